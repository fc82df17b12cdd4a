FROM gcr.io/distroless/static-debian12
COPY app /app
USER appuser
CMD ["/app"]
