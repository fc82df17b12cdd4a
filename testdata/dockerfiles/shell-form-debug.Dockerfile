# :debug has busybox at /busybox/sh, not /bin/sh: the shell form still fails
FROM gcr.io/distroless/base-debian12:debug
COPY app /app
ENTRYPOINT /app
