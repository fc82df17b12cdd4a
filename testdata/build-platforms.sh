#!/usr/bin/env bash
# Build the fixtures for the platforms beyond amd64 and arm64, and the
# native libraries judged against the language images, into testdata/bin/
# with their oracles in testdata/oracle/. testdata/build.sh runs this too;
# run it alone to rebuild only these.
#
# Host: Debian 12 (bookworm) amd64. Required packages:
#
#   apt-get install -y gcc g++ binutils python3 zlib1g-dev libssl-dev libpython3.11-dev \
#       gcc-arm-linux-gnueabihf g++-arm-linux-gnueabihf \
#       gcc-s390x-linux-gnu g++-s390x-linux-gnu \
#       gcc-powerpc64le-linux-gnu g++-powerpc64le-linux-gnu \
#       gcc-riscv64-linux-gnu g++-riscv64-linux-gnu
#
# (GCC 12 and glibc 2.36 for each target, Debian 12's cross toolchains.)
#
# Per target (arm-linux-gnueabihf: linux/arm/v7, s390x-linux-gnu,
# powerpc64le-linux-gnu, riscv64-linux-gnu):
#   c-<arch>, c-<arch>-static      testdata/src/c/hello.c, dynamic and -static
#   cxx-<arch>, cxx-<arch>-static  testdata/src/platforms/hello.cpp (libstdc++,
#                                  libgcc_s), dynamic and -static
# The static ones are stripped (-s) to keep them small. For amd64:
#   pyext-zlib.so        C++ and zlib: libstdc++.so.6, libz.so.1
#   pyext-libpython.so   linked against libpython3.11.so.1.0
#   jni-cxx.so           a C++ JNI library: libstdc++.so.6
#   jni-ssl.so           a JNI library using OpenSSL: libssl.so.3
# Oracles: readelf -hldnVW (testdata/oracle/<name>.readelf), and for ARM
# readelf -A (<name>.readelf-A, the build attributes), then oracle.py.
set -euo pipefail

export LC_ALL=C
export SOURCE_DATE_EPOCH=0

TD="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$TD/src"
BIN="$TD/bin"
ORACLE="$TD/oracle"
mkdir -p "$BIN" "$ORACLE"
BUILT=()

cd "$SRC"
set -x
for t in arm-linux-gnueabihf:arm s390x-linux-gnu:s390x powerpc64le-linux-gnu:ppc64le riscv64-linux-gnu:riscv64; do
    triplet="${t%%:*}" arch="${t##*:}"
    "$triplet-gcc" -O2 -o "$BIN/c-$arch" c/hello.c
    "$triplet-gcc" -O2 -static -s -o "$BIN/c-$arch-static" c/hello.c
    "$triplet-g++" -O2 -o "$BIN/cxx-$arch" platforms/hello.cpp
    "$triplet-g++" -O2 -static -s -o "$BIN/cxx-$arch-static" platforms/hello.cpp
    BUILT+=("c-$arch" "c-$arch-static" "cxx-$arch" "cxx-$arch-static")
done
g++ -O2 -fPIC -shared -o "$BIN/pyext-zlib.so" platforms/pyext-zlib.cpp -lz
gcc -O2 -fPIC -shared $(python3.11-config --includes) -o "$BIN/pyext-libpython.so" \
    platforms/pyext-libpython.c -lpython3.11
g++ -O2 -fPIC -shared -o "$BIN/jni-cxx.so" platforms/jni-cxx.cpp
gcc -O2 -fPIC -shared -o "$BIN/jni-ssl.so" platforms/jni-ssl.c -lssl -lcrypto
BUILT+=(pyext-zlib.so pyext-libpython.so jni-cxx.so jni-ssl.so)
set +x
chmod 0755 "${BUILT[@]/#/$BIN/}"

cd "$BIN"
for f in "${BUILT[@]}"; do
    readelf -hldnVW "$f" > "$ORACLE/$f.readelf"
    case "$f" in
        *-arm | *-arm-static) readelf -A "$f" > "$ORACLE/$f.readelf-A" ;;
    esac
done
python3 "$TD/oracle.py" "$BIN" "$ORACLE"
ls -l "${BUILT[@]}"
