FROM gcr.io/distroless/static-debian12
COPY app /app
RUN chmod +x /app
CMD ["/app"]
