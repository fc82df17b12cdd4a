# The base's architecture tag names the platform: an amd64 program in an
# arm64 image.
FROM gcr.io/distroless/static-debian12:latest-arm64
COPY app /app
ENTRYPOINT ["/app"]
