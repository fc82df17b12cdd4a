#!/usr/bin/env bash
# Tests README's "In a multi-stage Dockerfile" gate with the real engine:
# dlcheck copied from its image into a builder stage, where RUN dlcheck
# --image ... fails the build for a program that would crash in the final
# image, and lets it through for one that starts.
#
#   scripts/test-dockerfile-gate.sh [IMAGE]   # default dlcheck:dev
#
# The builder is the local golang:1.20 shim of tests/dockerfile.rs (a
# busybox shell; no image can be pulled here). Needs: a running Docker
# engine, the image (scripts/build-image.sh), the distroless images
# (scripts/make-distroless-images.sh).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
image="${1:-dlcheck:dev}"
work="$(mktemp -d)"
trap 'rm -rf "$work"; docker rmi dlcheck-gate-test:ok >/dev/null 2>&1 || true' EXIT
cat >"$work/Dockerfile" <<EOF
FROM golang:1.20 AS build
# The real golang images have /usr/local/bin in PATH; the local shim does not.
ENV PATH=/usr/local/bin:\$PATH
COPY app /out/app
COPY --from=$image /dlcheck /usr/local/bin/dlcheck
RUN dlcheck --image gcr.io/distroless/static-debian12 /out/app

FROM gcr.io/distroless/static-debian12
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
EOF
build() { # build FIXTURE: docker build with testdata/bin/FIXTURE as the program
    cp "$repo/testdata/bin/$1" "$work/app"
    DOCKER_BUILDKIT=0 docker build --network none -t dlcheck-gate-test:ok "$work" >"$work/log" 2>&1
}
if ! build c-static; then
    cat "$work/log"; echo "test-dockerfile-gate: a static program did not pass the gate" >&2; exit 1
fi
echo "test-dockerfile-gate: a static C program passes, and the image is built"
if build c-dynamic; then
    cat "$work/log"; echo "test-dockerfile-gate: a dynamic program passed the gate for static" >&2; exit 1
fi
grep -q "will crash on start in gcr.io/distroless/static-debian12" "$work/log" || {
    cat "$work/log"; echo "test-dockerfile-gate: the build log does not say why" >&2; exit 1; }
grep -q "exec /app: no such file or directory" "$work/log" || {
    cat "$work/log"; echo "test-dockerfile-gate: the build log lacks the predicted message" >&2; exit 1; }
echo "test-dockerfile-gate: a dynamic C program fails the build, saying what the container would print"
