FROM gcr.io/distroless/static-debian12 AS release
COPY app /app
ENTRYPOINT ["/app"]

FROM gcr.io/distroless/static-debian12 AS broken
COPY app /app
ENTRYPOINT /app
