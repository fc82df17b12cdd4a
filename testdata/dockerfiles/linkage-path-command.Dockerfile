# A command found through PATH that cannot start: the loader names it by
# its argv[0] ("server: error while loading shared libraries ..."), not by
# the path runc found it at.
FROM gcr.io/distroless/base-nossl-debian12
COPY app-lib /usr/local/bin/server
ENTRYPOINT ["server"]
