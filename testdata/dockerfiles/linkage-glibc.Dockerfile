FROM gcr.io/distroless/base-nossl-debian11
COPY app-dyn /app
ENTRYPOINT ["/app"]
