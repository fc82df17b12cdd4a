FROM gcr.io/distroless/static-debian12
COPY entry.sh /entry.sh
ENTRYPOINT ["/entry.sh"]
