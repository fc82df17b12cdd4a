# The automatic platform ARGs: the image is built for the target platform.
FROM --platform=$TARGETPLATFORM gcr.io/distroless/static-debian12
COPY app /app
ENTRYPOINT ["/app"]
