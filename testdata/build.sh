#!/usr/bin/env bash
# Rebuild the dlcheck test fixtures (testdata/bin/) and their independent
# oracles (testdata/oracle/) from the sources in testdata/src/.
#
# Host: Debian 12 (bookworm) amd64. Required packages:
#
#   apt-get install -y golang-go gcc g++ gcc-12-multilib musl-tools \
#       gcc-aarch64-linux-gnu libc6-dev-arm64-cross libssl-dev zlib1g-dev \
#       binutils file python3 coreutils
#
# NOTE: use gcc-12-multilib (for `gcc -m32`), NOT the gcc-multilib meta
# package: on Debian gcc-multilib Conflicts with gcc-aarch64-linux-gnu and
# apt would silently remove the aarch64 cross compiler.
#
# plus a Rust toolchain providing `rustc` for x86_64-unknown-linux-gnu
# (rustup stable, or Debian's `rustc` package).
#
# Usage (from anywhere; no network access is needed):
#
#   bash testdata/build.sh
#
# Everything in testdata/bin/ and testdata/oracle/ is deleted and regenerated.
# The oracles are produced only by readelf, `go version -m` and oracle.py
# (never by dlcheck itself), so tests can compare dlcheck against them.
set -euo pipefail

export LC_ALL=C
export TZ=UTC
export SOURCE_DATE_EPOCH=0

TD="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$TD/src"
BIN="$TD/bin"
ORACLE="$TD/oracle"

TMP="$(mktemp -d)"
cleanup() {
    chmod -R u+w "$TMP" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

rm -rf "$BIN" "$ORACLE"
mkdir -p "$BIN" "$ORACLE"

# --------------------------------------------------------------------------
# Go (hermetic-ish: private cache, no proxy, no VCS stamping, trimmed paths)
# --------------------------------------------------------------------------
export GOCACHE="$TMP/gocache"
export GOPATH="$TMP/gopath"
export GOMODCACHE="$GOPATH/pkg/mod"
export GOENV=off
export GOFLAGS=-mod=mod
export GOPROXY=off
export GOSUMDB=off
export GO111MODULE=on
unset GOAMD64 GOARM GO386 GOEXPERIMENT CGO_CFLAGS CGO_CPPFLAGS CGO_CXXFLAGS \
    CGO_LDFLAGS CGO_FFLAGS CC CXX GOOS GOARCH 2>/dev/null || true

# gobuild <srcdir> <out> [env assignments...] -- [extra go build flags...]
gobuild() {
    local dir="$1" out="$2"
    shift 2
    local envs=()
    while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
        envs+=("$1")
        shift
    done
    [ "$#" -gt 0 ] && shift
    echo "go build: $out"
    (cd "$SRC/$dir" && env "${envs[@]}" go build -trimpath -buildvcs=false "$@" -o "$BIN/$out" .)
}

gobuild go-hello    go-static           CGO_ENABLED=0
gobuild go-cgo-net  go-cgo-net          CGO_ENABLED=1
gobuild go-cgo-user go-cgo-user         CGO_ENABLED=1
gobuild go-cgo-net  go-cgo-net-stripped CGO_ENABLED=1 -- -ldflags=-s\ -w
gobuild go-hello    go-pie              CGO_ENABLED=0 -- -buildmode=pie
gobuild go-hello    go-arm64            CGO_ENABLED=0 GOOS=linux GOARCH=arm64
gobuild go-hello    go-macho            CGO_ENABLED=0 GOOS=darwin GOARCH=arm64
gobuild go-hello    go-pe.exe           CGO_ENABLED=0 GOOS=windows GOARCH=amd64

# --------------------------------------------------------------------------
# C / C++ (compiled from inside src/ so embedded file names are relative)
# --------------------------------------------------------------------------
cd "$SRC"
set -x
gcc -O2 -o "$BIN/c-dynamic" c/hello.c
gcc -O2 -static -o "$BIN/c-static" c/hello.c
gcc -O2 -static-pie -o "$BIN/c-static-pie" c/hello.c
gcc -O2 -o "$BIN/c-libz" c/zlib.c -lz
gcc -O2 -o "$BIN/c-libssl" c/ssl.c -lssl -lcrypto
gcc -O2 -Wl,-z,pack-relative-relocs -o "$BIN/c-relr" c/hello.c
gcc -O2 -Wl,--disable-new-dtags,-rpath,'$ORIGIN/../lib' -o "$BIN/c-rpath" c/hello.c
gcc -O2 -Wl,--enable-new-dtags,-rpath,'$ORIGIN/lib:/opt/app/lib' -o "$BIN/c-runpath" c/hello.c
gcc -O2 -fPIC -shared -Wl,-soname,libdemo.so.1 -o "$BIN/libdemo.so.1" c/libdemo.c
gcc -O2 -c -o "$BIN/c-object.o" c/hello.c
gcc -O2 -m32 -o "$BIN/c-i386" c/hello.c
g++ -O2 -o "$BIN/cxx-dynamic" c/hello.cpp
musl-gcc -O2 -o "$BIN/musl-dynamic" c/hello.c
musl-gcc -O2 -static -o "$BIN/musl-static" c/hello.c
aarch64-linux-gnu-gcc -O2 -o "$BIN/c-aarch64" c/hello.c

# --------------------------------------------------------------------------
# Rust (x86_64-unknown-linux-gnu)
# --------------------------------------------------------------------------
cd "$SRC/rust"
# -C strip=debuginfo (what `cargo build --release` does by default) drops the
# ~4 MB of libstd debuginfo but keeps .symtab/.dynsym.
rustc --edition 2021 -C opt-level=3 -C strip=debuginfo \
    --remap-path-prefix="$SRC=src" -o "$BIN/rust-release" hello.rs
rustc --edition 2021 -C opt-level=3 -C strip=debuginfo -C target-feature=+crt-static \
    --remap-path-prefix="$SRC=src" -o "$BIN/rust-crt-static" hello.rs
set +x

# --------------------------------------------------------------------------
# Non-ELF / broken inputs
# --------------------------------------------------------------------------
cp "$SRC/misc/script.sh" "$BIN/script.sh"
sed 's/$/\r/' "$SRC/misc/script.sh" > "$BIN/script-crlf.sh"
cp "$SRC/misc/script-env-python" "$BIN/script-env-python"
cp "$SRC/misc/text.txt" "$BIN/text.txt"
: > "$BIN/empty"
head -c 64 "$BIN/c-dynamic" > "$BIN/truncated-64"
head -c "$(( $(stat -c %s "$BIN/c-dynamic") / 2 ))" "$BIN/c-dynamic" > "$BIN/truncated-half"

chmod 0755 "$BIN"/*
chmod 0644 "$BIN/c-object.o" "$BIN/text.txt" "$BIN/empty"

# --------------------------------------------------------------------------
# Oracles: raw tool output, then JSON via oracle.py
# --------------------------------------------------------------------------
cd "$BIN"
GO_FIXTURES="go-static go-cgo-net go-cgo-user go-cgo-net-stripped go-pie go-arm64 go-macho go-pe.exe"
for f in *; do
    if [ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" = "7f454c46" ]; then
        # stdout first, then readelf's complaints (stderr) appended, so errors
        # about malformed files are kept without nondeterministic interleaving.
        readelf -hldVW "$f" > "$ORACLE/$f.readelf" 2> "$TMP/readelf.err" || true
        cat "$TMP/readelf.err" >> "$ORACLE/$f.readelf"
    fi
done
for f in $GO_FIXTURES; do
    go version -m "$f" > "$ORACLE/$f.go-version" 2>&1 || true
done

python3 "$TD/oracle.py" "$BIN" "$ORACLE"

echo
echo "fixtures:"
ls -l "$BIN"
du -sh "$TD"
