FROM gcr.io/distroless/static-debian12
COPY --chmod=0755 app /app
ENTRYPOINT []
CMD ["/app"]
