FROM gcr.io/distroless/static-debian12
WORKDIR /srv
COPY app .
CMD ["app"]
