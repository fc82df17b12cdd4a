# A program and the library it needs, copied in together: its DT_RUNPATH
# is $ORIGIN/../lib, so the loader finds /opt/app/lib/libdemo.so.1.
FROM gcr.io/distroless/base-nossl-debian12
COPY app-lib /opt/app/bin/app
COPY lib/libdemo.so.1 /opt/app/lib/
ENTRYPOINT ["/opt/app/bin/app"]
