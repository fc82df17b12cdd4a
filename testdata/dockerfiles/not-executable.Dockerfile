FROM gcr.io/distroless/static-debian12
COPY --chmod=0644 app /app
CMD ["/app"]
