# The program is in the context's directory, but the Dockerfile's own
# ignore file (ignored-source.Dockerfile.dockerignore, which BuildKit
# reads instead of the context's .dockerignore) leaves it out.
FROM gcr.io/distroless/static-debian12
COPY app /app
ENTRYPOINT ["/app"]
