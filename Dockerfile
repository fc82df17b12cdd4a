# dlcheck's own container image: the static build (glibc's libc.a,
# static-pie) on Google's distroless static image, which has no libc,
# no shell and nothing else. The binary comes from the build context, as
# release tools such as goreleaser do:
#
#   scripts/build-image.sh            # static build into dist/, then docker build
#   docker run --rm -v "$PWD:/src" -w /src dlcheck:dev ./myapp
#
# dlcheck checks this file itself (dlcheck Dockerfile): the program needs
# nothing the image lacks.
FROM gcr.io/distroless/static-debian12
COPY dist/dlcheck /dlcheck
ENTRYPOINT ["/dlcheck"]
