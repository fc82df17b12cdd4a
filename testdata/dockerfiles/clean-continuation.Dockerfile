FROM gcr.io/distroless/static-debian12
COPY \
  app \
  # a comment inside the continuation
  /app
ENTRYPOINT ["/app", \
  "--flag"]
