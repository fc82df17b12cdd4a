ARG BASE=gcr.io/distroless/static-debian12
ARG DEST=/opt/bin/
FROM ${BASE}
ARG DEST
COPY app ${DEST:-/usr/local/bin/}
ENV PATH=/opt/bin:$PATH
CMD ["app"]
