#!/bin/sh
# Builds dlcheck's container image from the repository's Dockerfile: the
# static build (scripts/build-static.sh) copied to dist/dlcheck, then
# `docker build`. The base, gcr.io/distroless/static-debian12, must be in
# the local engine (scripts/make-distroless-images.sh makes it from
# Debian's packages when it cannot be pulled).
#
#   scripts/build-image.sh [TAG]      # default dlcheck:dev
#
# Needs: cargo, gcc, libc6-dev, a running Docker engine.
set -eu
cd "$(dirname "$0")/.."
tag="${1:-dlcheck:dev}"
static="$(scripts/build-static.sh)"
mkdir -p dist
cp "$static" dist/dlcheck
docker build --quiet --tag "$tag" . >/dev/null
echo "$tag"
