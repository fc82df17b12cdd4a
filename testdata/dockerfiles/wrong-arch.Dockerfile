# An arm64 program in an image built for this machine (amd64): the kernel
# cannot run it.
FROM gcr.io/distroless/base-debian12
COPY app-arm64 /app
ENTRYPOINT ["/app"]
