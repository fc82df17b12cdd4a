# Everything is left out of the context but what the Dockerfile's own
# ignore file re-includes: the program, and the library inside the
# directory `lib`, which `*` leaves out. BuildKit still walks `lib` for it,
# so COPY lib brings that one file.
FROM gcr.io/distroless/base-nossl-debian12
COPY app-lib /opt/app/bin/app
COPY lib /opt/app/lib
ENTRYPOINT ["/opt/app/bin/app"]
