# The library copied to a directory of no search path but LD_LIBRARY_PATH's.
FROM gcr.io/distroless/base-nossl-debian12
COPY app-lib /app
COPY lib/ /opt/lib/
ENV LD_LIBRARY_PATH=/opt/lib
ENTRYPOINT ["/app"]
