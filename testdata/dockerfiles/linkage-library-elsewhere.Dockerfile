# The library copied in, where the loader does not look: /app's
# DT_RUNPATH $ORIGIN/../lib is /lib, and no LD_LIBRARY_PATH is set.
FROM gcr.io/distroless/base-nossl-debian12
COPY app-lib /app
COPY lib/libdemo.so.1 /opt/lib/
ENTRYPOINT ["/app"]
