FROM gcr.io/distroless/static-debian12
COPY server /server
CMD ["/server"]
