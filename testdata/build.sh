#!/usr/bin/env bash
# Rebuild the dlcheck test fixtures (testdata/bin/) and their independent
# oracles (testdata/oracle/) from the sources in testdata/src/.
#
# Host: Debian 12 (bookworm) amd64. Required packages:
#
#   apt-get install -y golang-go gcc g++ gcc-12-multilib musl-tools \
#       gcc-aarch64-linux-gnu libc6-dev-arm64-cross libssl-dev zlib1g-dev \
#       binutils file python3 coreutils curl xz-utils dpkg
#
# and for testdata/build-platforms.sh (run from here):
#
#   apt-get install -y libpython3.11-dev gcc-arm-linux-gnueabihf g++-arm-linux-gnueabihf \
#       gcc-s390x-linux-gnu g++-s390x-linux-gnu gcc-powerpc64le-linux-gnu \
#       g++-powerpc64le-linux-gnu gcc-riscv64-linux-gnu g++-riscv64-linux-gnu
#
# NOTE: use gcc-12-multilib (for `gcc -m32`), NOT the gcc-multilib meta
# package: on Debian gcc-multilib Conflicts with gcc-aarch64-linux-gnu and
# apt would silently remove the aarch64 cross compiler.
#
# plus a Rust toolchain providing `rustc` for x86_64-unknown-linux-gnu
# (rustup stable, or Debian's `rustc` package).
#
# The go115-* / go123-* fixtures need two more Go toolchains and one Go
# module source. They are taken from Debian .debs that are DOWNLOADED and
# EXTRACTED with `dpkg-deb -x` into testdata/.toolchains/ (git-ignored),
# never installed. Versions and SHA256 sums are pinned below (DEBS); the
# SHA256 is also checked against the archive's Packages.xz index:
#
#   bullseye/main             golang-1.15-go, golang-1.15-src   1.15.15-1~deb11u4
#   bookworm-backports/main   golang-1.23-go, golang-1.23-src   1.23.5-1~bpo12+1
#   bookworm/main             golang-github-mattn-go-sqlite3-dev 1.14.16~ds1-1
#   trixie/main               libstdc++6 (GCC 14's libstdc++)     14.2.0-19
#
# Usage (from anywhere):
#
#   bash testdata/build.sh
#
# The first run downloads the .debs above from $DEBIAN_MIRROR (default
# http://deb.debian.org/debian); later runs reuse testdata/.toolchains/ and
# need no network access (cached .debs are re-checked against the pinned
# SHA256). When a download is needed and the index no longer lists a pinned
# version, the script stops with an error before touching bin/ or oracle/.
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

# --------------------------------------------------------------------------
# Extra Go toolchains + go-sqlite3 source: Debian .debs, downloaded and
# extracted (not installed) into $TC. Pinned: index dir | package | version |
# SHA256 | extract dir (under $TC).
# --------------------------------------------------------------------------
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
TC="$TD/.toolchains"
DEBS=(
    "bullseye/main/binary-amd64|golang-1.15-go|1.15.15-1~deb11u4|33f6680406698b60370322aa5710be199006b3d66fbb0974b44da012de3aa82a|go1.15"
    "bullseye/main/binary-amd64|golang-1.15-src|1.15.15-1~deb11u4|e580f570f706d801191f9a17e55156736fc5979a6a878bab9304ca007ae29941|go1.15"
    "bookworm-backports/main/binary-amd64|golang-1.23-go|1.23.5-1~bpo12+1|9469e6c2b37fed52b9dea80e5c614a5392790cfac99de4ca6242857a039097ee|go1.23"
    "bookworm-backports/main/binary-all|golang-1.23-src|1.23.5-1~bpo12+1|c425bc2e0bdd215e66c963072ceab22d93694a206a04e5a9a252bfc081dbac7b|go1.23"
    "bookworm/main/binary-amd64|golang-github-mattn-go-sqlite3-dev|1.14.16~ds1-1|f73a8bd01b9641fb32ef3cd1322e946cf77d3ede375b3b318c667753595e7f2a|go-sqlite3"
    "trixie/main/binary-amd64|libstdc++6|14.2.0-19|ab1fa05837aa7a92aae748fd07a18a35f7d18bb4a71c4724fe2bbf0e32089de0|libstdcxx14"
)

die() {
    echo "build.sh: error: $*" >&2
    exit 1
}

# fetch_deb <index dir> <package> <version> <sha256>: make sure
# $TC/debs/<package>_<version>.deb exists and has the pinned SHA256.
fetch_deb() {
    local idx="$1" pkg="$2" ver="$3" sha="$4"
    local deb="$TC/debs/${pkg}_${ver}.deb"
    if [ -f "$deb" ] && [ "$(sha256sum < "$deb" | cut -d' ' -f1)" = "$sha" ]; then
        return 0
    fi
    command -v curl >/dev/null || die "curl is needed to download $pkg"
    local idxfile="$TMP/index-${idx//\//_}"
    if [ ! -f "$idxfile" ]; then
        echo "fetching $DEBIAN_MIRROR/dists/$idx/Packages.xz"
        curl -fsSL --retry 3 "$DEBIAN_MIRROR/dists/$idx/Packages.xz" | xz -dc > "$idxfile.part" \
            || die "cannot download $DEBIAN_MIRROR/dists/$idx/Packages.xz"
        mv "$idxfile.part" "$idxfile"
    fi
    # "<Filename> <SHA256>" of the stanza with this Package and Version
    local hit
    hit="$(awk -v pkg="$pkg" -v ver="$ver" '
        BEGIN { RS = ""; FS = "\n" }
        {
            p = v = f = s = ""
            for (i = 1; i <= NF; i++) {
                if ($i ~ /^Package: /)  p = substr($i, 10)
                if ($i ~ /^Version: /)  v = substr($i, 10)
                if ($i ~ /^Filename: /) f = substr($i, 11)
                if ($i ~ /^SHA256: /)   s = substr($i, 9)
            }
            if (p == pkg && v == ver) { print f, s; exit }
        }' "$idxfile")"
    if [ -z "$hit" ]; then
        local have
        have="$(awk -v pkg="$pkg" 'BEGIN { RS = ""; FS = "\n" }
            $1 == "Package: " pkg { for (i = 1; i <= NF; i++) if ($i ~ /^Version: /) print substr($i, 10) }' \
            "$idxfile" | tr '\n' ' ' | sed 's/ $//')"
        die "$pkg $ver (pinned in build.sh) is no longer in $DEBIAN_MIRROR/dists/$idx/Packages.xz" \
            "(versions listed there: ${have:-none}). Pin a version that exists (package, version and" \
            "SHA256 in DEBS), rebuild, and expect the affected fixtures to change."
    fi
    local filename="${hit% *}" idxsha="${hit#* }"
    [ "$idxsha" = "$sha" ] || die "$pkg $ver: SHA256 in the index ($idxsha) differs from the pinned one ($sha)"
    echo "fetching $DEBIAN_MIRROR/$filename"
    mkdir -p "$TC/debs"
    curl -fsSL --retry 3 -o "$deb.part" "$DEBIAN_MIRROR/$filename" || die "cannot download $DEBIAN_MIRROR/$filename"
    local got
    got="$(sha256sum < "$deb.part" | cut -d' ' -f1)"
    [ "$got" = "$sha" ] || { rm -f "$deb.part"; die "$filename: SHA256 $got, expected $sha"; }
    mv "$deb.part" "$deb"
}

for entry in "${DEBS[@]}"; do
    IFS='|' read -r idx pkg ver sha dir <<< "$entry"
    fetch_deb "$idx" "$pkg" "$ver" "$sha"
done
# Extract each group of .debs into $TC/<dir>; a stamp with the SHA256s
# avoids re-extracting on every run.
for dir in $(printf '%s\n' "${DEBS[@]}" | cut -d'|' -f5 | sort -u); do
    want="$(printf '%s\n' "${DEBS[@]}" | awk -F'|' -v d="$dir" '$5 == d { print $4 }')"
    if [ ! -f "$TC/$dir/.stamp" ] || [ "$(cat "$TC/$dir/.stamp")" != "$want" ]; then
        echo "extracting into $TC/$dir"
        rm -rf "${TC:?}/$dir"
        mkdir -p "$TC/$dir"
        for entry in "${DEBS[@]}"; do
            IFS='|' read -r idx pkg ver sha d <<< "$entry"
            [ "$d" = "$dir" ] && dpkg-deb -x "$TC/debs/${pkg}_${ver}.deb" "$TC/$dir"
        done
        printf '%s\n' "$want" > "$TC/$dir/.stamp"
    fi
done
GO115ROOT="$TC/go1.15/usr/lib/go-1.15"
GO123ROOT="$TC/go1.23/usr/lib/go-1.23"
[ "$(head -n1 "$GO115ROOT/VERSION")" = go1.15.15 ] || die "no Go 1.15.15 in $GO115ROOT"
[ "$(head -n1 "$GO123ROOT/VERSION")" = go1.23.5 ] || die "no Go 1.23.5 in $GO123ROOT"

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
export GOTOOLCHAIN=local
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

# Go 1.15.15 and 1.23.5 from the extracted .debs. Go 1.15 knows no
# -buildvcs (and stamps no VCS info anyway). -ldflags=-w drops DWARF but keeps
# .symtab, to keep the fixtures small.
# gobuildv <115|123> <srcdir> <out> [env assignments...] -- [extra go build flags...]
gobuildv() {
    local v="$1" dir="$2" out="$3"
    shift 3
    local envs=() root flags=(-trimpath)
    case "$v" in
        # Go 1.15 hashes GOROOT_FINAL (default: $GOROOT, i.e. this checkout's
        # path) into the link action ID, i.e. the first part of the Go build
        # ID. Pin it so the output does not depend on where testdata/ lives.
        # (With -trimpath the binary itself records GOROOT as "go".)
        115) root="$GO115ROOT"; envs+=(GOROOT_FINAL=/usr/lib/go-1.15) ;;
        123) root="$GO123ROOT"; flags+=(-buildvcs=false) ;;
        *) die "gobuildv: unknown Go $v" ;;
    esac
    while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
        envs+=("$1")
        shift
    done
    [ "$#" -gt 0 ] && shift
    echo "go$v build: $out"
    (cd "$SRC/$dir" && env GOROOT="$root" GOCACHE="$TMP/gocache-$v" "${envs[@]}" \
        "$root/bin/go" build "${flags[@]}" "$@" -o "$BIN/$out" .)
}

gobuildv 115 go115-hello       go115-static          CGO_ENABLED=0 -- -ldflags=-w
gobuildv 115 go115-cgo-net     go115-cgo-net         CGO_ENABLED=1 -- -ldflags=-w
gobuildv 123 go123-hello       go123-static          CGO_ENABLED=0 -- -ldflags=-w
gobuildv 123 go123-cgo-net     go123-cgo-net         CGO_ENABLED=1 -- -ldflags=-w
gobuildv 123 go123-cgo-user    go123-cgo-user        CGO_ENABLED=1 -- -ldflags=-w
gobuildv 123 go123-importc     go123-importc         CGO_ENABLED=1 -- -ldflags=-w
gobuildv 123 go123-net-user    go123-netgo-osusergo  CGO_ENABLED=1 -- -ldflags=-w -tags=netgo,osusergo
gobuildv 123 go123-importc-net go123-importc-netgo   CGO_ENABLED=1 -- -ldflags=-w -tags=netgo,osusergo
gobuildv 123 go123-cgo-net     go123-cgo-stripped    CGO_ENABLED=1 -- -ldflags=-s\ -w
# glibc's static getaddrinfo/getpwnam_r make the linker warn ("Using ... in
# statically linked applications requires at runtime the shared libraries").
gobuildv 123 go123-net-user    go123-static-extld    CGO_ENABLED=1 -- \
    "-ldflags=-w -linkmode external -extldflags -static"
gobuildv 123 go123-hello       go123-arm64           CGO_ENABLED=0 GOOS=linux GOARCH=arm64 -- -ldflags=-w
gobuildv 123 go123-hello       go123-macho           CGO_ENABLED=0 GOOS=darwin GOARCH=arm64 -- -ldflags=-w
gobuildv 123 go123-hello       go123-pe.exe          CGO_ENABLED=0 GOOS=windows GOARCH=amd64 -- -ldflags=-w
gobuildv 123 go123-sqlite      go123-sqlite-nocgo    CGO_ENABLED=0 -- -ldflags=-w
gobuildv 123 go123-x509-tz     go123-x509-tz         CGO_ENABLED=0 -- -ldflags=-w
gobuildv 123 go123-tzdata      go123-tzdata          CGO_ENABLED=0 -- -ldflags=-w
# Needs a newer CPU than the baseline: the Go runtime refuses to start on an
# older one ("This program can only be run on AMD64 processors with v3
# microarchitecture support.").
gobuildv 123 go123-hello       go123-goamd64-v3      CGO_ENABLED=0 GOAMD64=v3 -- -ldflags=-w
gobuildv 123 go123-hello       go123-goarm64-v9      CGO_ENABLED=0 GOARCH=arm64 GOARM64=v9.0 -- -ldflags=-w
# The race detector needs cgo (Go refuses -race with CGO_ENABLED=0).
gobuildv 123 go123-hello       go123-race            CGO_ENABLED=1 -- -ldflags=-w -race
# os/exec with /bin/sh: starts, then the command fails where there is no shell.
gobuildv 123 go123-osexec      go123-osexec          CGO_ENABLED=0 -- -ldflags=-w
gobuildv 123 go123-osexec      go123-osexec-stripped CGO_ENABLED=0 -- -ldflags=-s\ -w
# Go records -ldflags only without -trimpath (they may hold paths), quoted
# because they hold spaces and quotes: build	-ldflags="-s -w -X \"main.version=1.0 beta\"".
# This one build therefore records this checkout's source paths.
echo "go123 build: go123-ldflags-quoted"
(cd "$SRC/go123-hello" && env GOROOT="$GO123ROOT" GOCACHE="$TMP/gocache-123" CGO_ENABLED=0 \
    "$GO123ROOT/bin/go" build -buildvcs=false '-ldflags=-s -w -X "main.version=1.0 beta"' \
    -o "$BIN/go123-ldflags-quoted" .)

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
# PT_INTERP written unnormalised: the kernel resolves it as any path.
gcc -O2 -Wl,--dynamic-linker=//lib64/./ld-linux-x86-64.so.2 -o "$BIN/c-interp-unnormal" c/hello.c
gcc -O2 -Wl,--disable-new-dtags,-rpath,'$ORIGIN/../lib' -o "$BIN/c-rpath" c/hello.c
gcc -O2 -Wl,--enable-new-dtags,-rpath,'$ORIGIN/lib:/opt/app/lib' -o "$BIN/c-runpath" c/hello.c
gcc -O2 -fPIC -shared -Wl,-soname,libdemo.so.1 -o "$BIN/libdemo.so.1" c/libdemo.c
# An application tree that ships its own library: apps/shipped/{bin/app,lib/libdemo.so.1}.
APPS="$(dirname "$BIN")/apps"
rm -rf "$APPS/shipped" && mkdir -p "$APPS/shipped/bin" "$APPS/shipped/lib"
cp "$BIN/libdemo.so.1" "$APPS/shipped/lib/libdemo.so.1"
gcc -O2 -o "$APPS/shipped/bin/app" c/useslib.c "$APPS/shipped/lib/libdemo.so.1" \
    -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib'
# The same, found through the tokens glibc expands anywhere in an entry:
# DT_RUNPATH ${ORIGIN}/../$LIB is bin/../lib/x86_64-linux-gnu on Debian amd64.
rm -rf "$APPS/tokens" && mkdir -p "$APPS/tokens/bin" "$APPS/tokens/lib/x86_64-linux-gnu"
cp "$BIN/libdemo.so.1" "$APPS/tokens/lib/x86_64-linux-gnu/libdemo.so.1"
gcc -O2 -o "$APPS/tokens/bin/app" c/useslib.c "$APPS/tokens/lib/x86_64-linux-gnu/libdemo.so.1" \
    -Wl,--enable-new-dtags,-rpath,'${ORIGIN}/../$LIB'
# A library's dependency found through the DT_RPATH of the program that
# loads it (a library without DT_RUNPATH inherits it): bin/app has DT_RPATH
# $ORIGIN/../lib, lib/libchain.so needs lib/libdemo.so.1 and names no path.
rm -rf "$APPS/rpath-chain" && mkdir -p "$APPS/rpath-chain/bin" "$APPS/rpath-chain/lib"
cp "$BIN/libdemo.so.1" "$APPS/rpath-chain/lib/libdemo.so.1"
gcc -O2 -fPIC -shared -Wl,-soname,libchain.so -o "$APPS/rpath-chain/lib/libchain.so" c/chain.c \
    "$APPS/rpath-chain/lib/libdemo.so.1"
gcc -O2 -o "$APPS/rpath-chain/bin/app" c/useschain.c "$APPS/rpath-chain/lib/libchain.so" \
    -Wl,-rpath-link,"$APPS/rpath-chain/lib" -Wl,--disable-new-dtags,-rpath,'$ORIGIN/../lib'
gcc -O2 -c -o "$BIN/c-object.o" c/hello.c
gcc -O2 -m32 -o "$BIN/c-i386" c/hello.c
gcc -O2 -m32 -static -s -o "$BIN/c-i386-static" c/hello.c
g++ -O2 -o "$BIN/cxx-dynamic" c/hello.cpp
# libstdc++ linked in, libgcc_s still needed (no -static-libgcc); stripped.
g++ -O2 -s -static-libstdc++ -o "$BIN/cxx-static-libstdcxx" c/hello.cpp
# The same program as g++ 13.2 and later build it (see the source): it needs
# GLIBCXX_3.4.32, linked against trixie's libstdc++ (GCC 14), whose own
# needs of glibc 2.38 are not this machine's to satisfy (never run here).
mkdir -p "$TMP/libstdcxx14"
ln -sf "$TC/libstdcxx14/usr/lib/x86_64-linux-gnu/libstdc++.so.6" "$TMP/libstdcxx14/libstdc++.so"
g++ -O2 -include c/iostream-gcc13.h -o "$BIN/cxx-glibcxx32" c/hello.cpp -L "$TMP/libstdcxx14" -Wl,--allow-shlib-undefined
musl-gcc -O2 -o "$BIN/musl-dynamic" c/hello.c
musl-gcc -O2 -static -o "$BIN/musl-static" c/hello.c
aarch64-linux-gnu-gcc -O2 -o "$BIN/c-aarch64" c/hello.c
gcc -O2 -pthread -o "$BIN/c-pthread-exit" c/pthread_exit.c
gcc -O2 -static -o "$BIN/c-static-nss" c/nss.c 2> "$TMP/nss-link.log" || { cat "$TMP/nss-link.log"; exit 1; }
strip -s -o "$BIN/c-static-nss-stripped" "$BIN/c-static-nss"
gcc -O2 -static -o "$BIN/c-static-nss-name" c/nss-name.c
gcc -O2 -o "$BIN/c-dlopen" c/dlopen.c
# Run a shell at run time (system, popen; execl of /bin/sh).
gcc -O2 -o "$BIN/c-shell" c/shell.c
gcc -O2 -o "$BIN/c-execsh" c/execsh.c
# Both, with a .rodata of 9 MiB (zeros: a few KiB in git).
gcc -O2 -o "$BIN/c-large-rodata" c/large-rodata.c
# Marked as needing an x86-64 micro-architecture level (GNU property note,
# GNU_PROPERTY_X86_ISA_1_NEEDED): glibc 2.33+ refuses older CPUs.
gcc -O2 -Wl,-z,x86-64-v3 -o "$BIN/c-isa-v3" c/hello.c
gcc -O2 -Wl,-z,x86-64-v4 -o "$BIN/c-isa-v4" c/hello.c
# Built by Nix: PT_INTERP and RUNPATH in /nix/store (no file is needed here).
gcc -O2 -Wl,--dynamic-linker=/nix/store/g2p6fwjc995jrq3d8vph7k45l9zhdf8f-glibc-2.39-52/lib/ld-linux-x86-64.so.2 \
    -Wl,-rpath,/nix/store/g2p6fwjc995jrq3d8vph7k45l9zhdf8f-glibc-2.39-52/lib -o "$BIN/c-nix" c/hello.c
# Separate debug information (objcopy --only-keep-debug): not programs.
objcopy --only-keep-debug "$BIN/c-dynamic" "$BIN/c-dynamic.debug"
objcopy --only-keep-debug "$BIN/c-static" "$BIN/c-static.debug"
# A shared library with no DT_NEEDED; a library that needs an executable
# stack, and a program that loads it at run time.
gcc -O2 -fPIC -shared -nostdlib -Wl,-soname,libleaf.so -o "$BIN/libleaf.so" c/leaf.c
gcc -O2 -fPIC -shared -Wl,-z,execstack -Wl,-soname,libexecstack.so -o "$BIN/libexecstack.so" c/leaf.c
gcc -O2 -Wl,--enable-new-dtags,-rpath,'$ORIGIN' -o "$BIN/c-dlopen-execstack" c/dlopen-execstack.c
# A program with its library beside it (DT_RUNPATH $ORIGIN): copied to /app
# with /libleaf.so, $ORIGIN is the root. libc.so.6 is listed before
# libleaf.so, so the loader misses once in / before it looks for libleaf.so
# there: glibc up to 2.38 then no longer searches /.
gcc -O2 -o "$BIN/c-origin-root" c/leaf-user.c -Wl,--no-as-needed -lc "$BIN/libleaf.so" \
    -Wl,--enable-new-dtags,-rpath,'$ORIGIN'

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
# linux/arm/v7, s390x, ppc64le, riscv64 (Debian's cross compilers) and the
# native libraries judged against the language images: see that script for
# the packages it needs.
# --------------------------------------------------------------------------
bash "$TD/build-platforms.sh"

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
GO_FIXTURES="go-static go-cgo-net go-cgo-user go-cgo-net-stripped go-pie go-arm64 go-macho go-pe.exe
    go115-static go115-cgo-net go123-static go123-cgo-net go123-cgo-user go123-importc
    go123-netgo-osusergo go123-importc-netgo go123-cgo-stripped go123-static-extld
    go123-arm64 go123-macho go123-pe.exe go123-sqlite-nocgo go123-x509-tz go123-tzdata
    go123-ldflags-quoted go123-goamd64-v3 go123-goarm64-v9 go123-race go123-osexec go123-osexec-stripped"
for f in *; do
    if [ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" = "7f454c46" ]; then
        # stdout first, then readelf's complaints (stderr) appended, so errors
        # about malformed files are kept without nondeterministic interleaving.
        readelf -hldnVW "$f" > "$ORACLE/$f.readelf" 2> "$TMP/readelf.err" || true
        cat "$TMP/readelf.err" >> "$ORACLE/$f.readelf"
    fi
done
for f in $GO_FIXTURES; do
    # Go 1.23's `go version -m` reads every layout (pre-1.18 ones included).
    GOROOT="$GO123ROOT" "$GO123ROOT/bin/go" version -m "$f" > "$ORACLE/$f.go-version" 2>&1 || true
done

python3 "$TD/oracle.py" "$BIN" "$ORACLE"

echo
echo "fixtures:"
ls -l "$BIN"
du -sh "$BIN" "$ORACLE"
