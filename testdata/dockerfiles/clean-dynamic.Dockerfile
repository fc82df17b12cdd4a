FROM gcr.io/distroless/base-nossl-debian12
COPY app-dyn /app
ENTRYPOINT ["/app"]
