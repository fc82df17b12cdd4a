FROM gcr.io/distroless/static-debian12
COPY app-dyn /app
ENTRYPOINT ["/app"]
