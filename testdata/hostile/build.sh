#!/usr/bin/env bash
# Rebuild the fixtures of the hostile-image tests (tests/hostile_images.rs
# and examples/hostile-images.rs), which build their images from these real
# binaries and the committed testdata/images/docker-cc12.tar base at test
# time. Host: Debian 12 amd64 with gcc and binutils
# (apt-get install -y gcc binutils).
#
#   bash testdata/hostile/build.sh
#
# - libv.so.1: a library whose DT_VERDEF defines V_1 (version script);
# - usesv: a program that needs V_1 from libv.so.1 (DT_VERNEED);
# - libempty.so: an empty library without DT_SONAME;
# - needs400: a program with 400 DT_NEEDED entries, lib000.so ... lib399.so
#   (copies of libempty.so, linked and then thrown away), and libc.so.6.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
printf 'int v(void) { return 1; }\n' > v.c
printf 'V_1 { global: v; local: *; };\n' > v.map
gcc -O2 -fPIC -shared -Wl,-soname,libv.so.1 -Wl,--version-script=v.map -o libv.so.1 v.c
printf 'int v(void);\nint main(void) { return v() - 1; }\n' > usesv.c
gcc -O2 -o usesv usesv.c ./libv.so.1
printf 'void nothing(void) {}\n' > empty.c
gcc -O2 -fPIC -shared -o libempty.so empty.c
libs=()
for i in $(seq -f '%03g' 0 399); do
    cp libempty.so "lib$i.so"
    libs+=("-l:lib$i.so")
done
printf 'int main(void) { return 0; }\n' > main.c
gcc -O2 -o needs400 main.c -L. -Wl,--no-as-needed "${libs[@]}"
strip --strip-unneeded libv.so.1 usesv libempty.so needs400
cp libv.so.1 usesv libempty.so needs400 "$HERE/"
readelf -d "$HERE/needs400" | grep -c NEEDED
