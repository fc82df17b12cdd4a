#!/bin/sh
# Builds dlcheck as one static executable (glibc's static libc, static-pie),
# the way to ship it: it starts faster than the dynamically linked build
# (no loader, no libraries to map and relocate) and runs in
# gcr.io/distroless/static. Prints the binary's absolute path.
#
#   scripts/build-static.sh       # the dist profile (Cargo.toml): fat LTO
#
# Needs: cargo and gcc (glibc's libc.a comes with libc6-dev). The target
# is named explicitly so that RUSTFLAGS reach only dlcheck, not the build
# scripts and proc-macros cargo runs on the host (those cannot be static).
set -eu
cd "$(dirname "$0")/.."
host="$(rustc -vV | sed -n 's/^host: //p')"
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
    cargo build --profile dist --locked --quiet --target "$host"
echo "$(pwd)/target/$host/dist/dlcheck"
