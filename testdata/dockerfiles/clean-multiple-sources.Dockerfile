FROM gcr.io/distroless/static-debian12
COPY app entry.sh /opt/
CMD ["/opt/app"]
