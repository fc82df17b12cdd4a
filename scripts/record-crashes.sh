#!/usr/bin/env bash
# Record what really happens when dlcheck's fixture binaries are started in
# root filesystems assembled from the Debian packages the Google distroless
# images are built from, so tests can compare dlcheck's predicted start-up
# errors with the messages of glibc's dynamic loader and of the kernel.
#
# Host: Linux x86_64 (Debian 12 here), run as root (chroot(2) needs it).
# Required packages:
#
#   apt-get install -y coreutils curl xz-utils dpkg python3
#
# (coreutils: timeout, chroot, sha256sum; dpkg: dpkg-deb, dpkg --compare-versions;
# python3: scripts/crashes/exec-in-root.py, which chroots and execve()s.)
#
# What it does:
#
# 1. Downloads (never installs) the amd64 .debs of the shared libraries in
#    the distroless images from Debian's archive over http, checks each one's
#    SHA256 and caches them in scripts/crashes/.cache/ (git-ignored):
#      debian11 (bullseye):  libc6 libssl1.1 openssl libgcc-s1 libstdc++6 libgomp1
#      debian12 (bookworm):  libc6 libssl3 libgcc-s1 libstdc++6 libgomp1 gcc-12-base
#      debian13 (trixie):    libc6 libssl3t64 zlib1g libzstd1 libgcc-s1 libstdc++6
#                            libgomp1 gcc-14-base
#    Versions: the ones pinned by distroless (see
#    shared/reference/distroless-images.json) when <suite> or
#    <suite>-security still lists them, else the newest listed there.
#    The versions, file names and SHA256 sums taken from the Packages.xz
#    indexes are written to scripts/crashes/debs.lock. Later runs use the
#    lock file and the cache only (no index, no network unless a cached
#    .deb is missing), so they produce the same output. `--relock`
#    resolves the versions again from the current indexes.
# 2. Builds one root filesystem per image in a temporary directory:
#    static-debianN (no libraries), base-nossl-debianN (libc6),
#    base-debianN (+ libssl, + openssl on 11, + zlib1g/libzstd1 on 13) and
#    cc-debianN (+ libgcc-s1, libstdc++6, libgomp1, gcc-N-base), using
#    `dpkg-deb -x` and the layout of the real images: debian11/12 are not
#    usr-merged (real /bin /sbin /lib, /lib64 from libc6); debian13 is
#    (/bin /sbin /lib /lib64 are symlinks into usr/ and package paths under
#    them are moved to /usr, as rules_distroless does). Each tree also gets
#    the small generated files of the images (/etc/passwd, /etc/group,
#    /etc/nsswitch.conf, /usr/lib/os-release, /tmp, /root, /home/nonroot)
#    and the /etc/hosts a container runtime bind-mounts. No ld.so.cache.
# 3. Copies each fixture of testdata/bin/ (list FIXTURES below) to /app
#    (mode 0755) in each tree and runs it with a 10 s timeout, stdin
#    /dev/null and an environment of only PATH and LC_ALL=C:
#      timeout 10 python3 scripts/crashes/exec-in-root.py ROOT /app
#    which is `chroot ROOT /app` with a direct execve(2) (see that file for
#    why not chroot(1)'s execvp(3)). Every case is also run with the real
#    `timeout 10 chroot ROOT /app`; where the two differ, README.md says so.
# 4. Replaces testdata/crash/ with:
#      <image>/<fixture>.txt     "exit: <status>" line, then stderr verbatim
#      <image>/<fixture>.stdout  stdout verbatim (often empty)
#      index.tsv                 image, fixture, exit, first stderr line
#      README.md                 how it was recorded, package versions
#    <status> is the shell's: the exit code, or 128+N for death by signal N.
#
# Usage: bash scripts/record-crashes.sh [--relock]
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian),
# DEBIAN_SECURITY_MIRROR (default http://deb.debian.org/debian-security),
# KEEP_ROOTS=1 keeps the temporary root filesystems and prints their path,
# ALLOW_BINFMT_MISC=1 allows running with binfmt_misc handlers registered.
set -euo pipefail

export LC_ALL=C
export TZ=UTC
umask 022

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The package list, the lock file, the .deb cache and the root-filesystem
# recipe (image_packages, deb_path, build_root), shared with
# scripts/make-distroless-images.sh.
# shellcheck source=scripts/lib/distroless-rootfs.sh
. "$REPO/scripts/lib/distroless-rootfs.sh"
RUNNER="$HELPERS/exec-in-root.py"
BIN="$REPO/testdata/bin"
OUT="$REPO/testdata/crash"
PYTHON="${PYTHON:-/usr/bin/python3}"
IMAGE_PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TIMEOUT=10

FIXTURES=(
    c-dynamic c-static cxx-dynamic rust-release c-libz c-libssl c-relr
    c-pthread-exit go-cgo-net go123-cgo-net musl-dynamic go-pie c-aarch64
    c-i386 script.sh go-macho
)

die() {
    echo "record-crashes.sh: error: $*" >&2
    exit 1
}
log() {
    echo "record-crashes.sh: $*" >&2
}

RELOCK=0
for arg in "$@"; do
    case "$arg" in
        --relock) RELOCK=1 ;;
        -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d'; exit 0 ;;
        *) die "unknown argument: $arg" ;;
    esac
done

[ "$(id -u)" = 0 ] || die "must run as root (chroot)"
[ "$(uname -m)" = x86_64 ] || die "needs an x86_64 host"
for tool in curl xz dpkg-deb dpkg sha256sum timeout chroot "$PYTHON"; do
    command -v "$tool" >/dev/null || die "missing tool: $tool"
done
for f in "${FIXTURES[@]}"; do
    [ -f "$BIN/$f" ] || die "missing fixture $BIN/$f"
done
# A binfmt_misc handler (qemu-user, wine, ...) would run foreign binaries
# instead of letting the kernel refuse them, which changes the results.
if [ -r /proc/sys/fs/binfmt_misc/status ] && grep -qx enabled /proc/sys/fs/binfmt_misc/status; then
    handlers="$(find /proc/sys/fs/binfmt_misc -mindepth 1 -maxdepth 1 ! -name register ! -name status -printf '%f ' 2>/dev/null || true)"
    if [ -n "$handlers" ] && [ "${ALLOW_BINFMT_MISC:-0}" != 1 ]; then
        die "binfmt_misc handlers are registered ($handlers); results would differ from a plain kernel. Disable them or set ALLOW_BINFMT_MISC=1"
    fi
fi

TMP="$(mktemp -d /tmp/record-crashes.XXXXXX)"
cleanup() {
    if [ "${KEEP_ROOTS:-0}" = 1 ]; then
        log "kept $TMP"
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
mkdir -p "$CACHE"

# --------------------------------------------------------------------------
# 1. Resolve versions (only with --relock or without a lock file).
# --------------------------------------------------------------------------
# fetch_index <suite>: print "suite<TAB>package<TAB>version<TAB>filename<TAB>sha256"
# for every stanza of <suite>/main/binary-amd64/Packages.xz.
fetch_index() {
    local suite="$1" url file
    url="$(suite_base_url "$suite")/dists/$suite/main/binary-amd64/Packages.xz"
    file="$TMP/index-$suite.xz"
    log "fetching $url"
    curl -fsSL --retry 3 -o "$file" "$url" || die "cannot fetch $url"
    xz -dc "$file" | awk -v suite="$suite" '
        BEGIN { RS = ""; FS = "\n" }
        {
            p = v = fn = sh = ""
            for (i = 1; i <= NF; i++) {
                if ($i ~ /^Package: /) p = substr($i, 10)
                else if ($i ~ /^Version: /) v = substr($i, 10)
                else if ($i ~ /^Filename: /) fn = substr($i, 11)
                else if ($i ~ /^SHA256: /) sh = substr($i, 9)
            }
            if (p != "" && v != "" && fn != "" && sh != "") print suite "\t" p "\t" v "\t" fn "\t" sh
        }'
}

relock() {
    local suites=() s entry gen suite pkg pinned
    for entry in "${PACKAGES[@]}"; do
        IFS='|' read -r gen suite pkg pinned <<<"$entry"
        case " ${suites[*]-} " in *" $suite "*) ;; *) suites+=("$suite") ;; esac
    done
    : >"$TMP/all-index.tsv"
    for s in "${suites[@]}"; do
        fetch_index "$s" >>"$TMP/all-index.tsv"
        fetch_index "$s-security" >>"$TMP/all-index.tsv"
    done
    {
        echo "# Debian .debs used by scripts/record-crashes.sh, resolved from the Packages.xz indexes."
        echo "# resolved-on: $(date -u +%Y-%m-%d)"
        echo "# Regenerate with: bash scripts/record-crashes.sh --relock"
        printf '# generation\tpackage\tpinned\tused\tsuite\tfilename\tsha256\n'
        for entry in "${PACKAGES[@]}"; do
            IFS='|' read -r gen suite pkg pinned <<<"$entry"
            local cands best="" line bv
            cands="$(awk -F'\t' -v p="$pkg" -v s1="$suite" -v s2="$suite-security" \
                '$2 == p && ($1 == s1 || $1 == s2)' "$TMP/all-index.tsv")"
            [ -n "$cands" ] || die "$pkg is not listed in $suite or $suite-security"
            best="$(awk -F'\t' -v v="$pinned" '$3 == v { print; exit }' <<<"$cands")"
            if [ -z "$best" ]; then
                # newest version; on a tie the main suite (listed first) wins
                while IFS= read -r line; do
                    if [ -z "$best" ]; then
                        best="$line"
                        continue
                    fi
                    bv="$(cut -f3 <<<"$best")"
                    if dpkg --compare-versions "$(cut -f3 <<<"$line")" gt "$bv"; then
                        best="$line"
                    fi
                done <<<"$cands"
                log "$gen $pkg: pinned $pinned not in the index, using $(cut -f3 <<<"$best") ($(cut -f1 <<<"$best"))"
            fi
            IFS=$'\t' read -r s _ v fn sh <<<"$best"
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$gen" "$pkg" "$pinned" "$v" "$s" "$fn" "$sh"
        done
    } >"$TMP/debs.lock"
    mv "$TMP/debs.lock" "$LOCK"
    log "wrote $LOCK"
}

if [ "$RELOCK" = 1 ] || [ ! -f "$LOCK" ]; then
    relock
fi

# --------------------------------------------------------------------------
# 3. Runs.
# --------------------------------------------------------------------------
ulimit -c 0
RESULTS="$TMP/out"
mkdir -p "$RESULTS"
: >"$TMP/chroot-diffs.tsv"

run_case() { # <root> <outdir> <fixture>
    local root="$1" dir="$2" fx="$3" st st2
    install -m 0755 "$BIN/$fx" "$root/app"
    # The subshells keep bash's own "Aborted" job notices out of the log.
    set +e
    st="$(
        env -i PATH="$IMAGE_PATH" LC_ALL=C \
            timeout -k 2 "$TIMEOUT" "$PYTHON" -I -S "$RUNNER" "$root" /app \
            </dev/null >"$dir/$fx.stdout" 2>"$TMP/stderr"
        echo $?
    )" 2>/dev/null
    st2="$(
        env -i PATH="$IMAGE_PATH" LC_ALL=C \
            timeout -k 2 "$TIMEOUT" chroot "$root" /app \
            </dev/null >"$TMP/chroot.stdout" 2>"$TMP/chroot.stderr"
        echo $?
    )" 2>/dev/null
    set -e
    rm -f "$root/app"
    {
        printf 'exit: %s\n' "$st"
        cat "$TMP/stderr"
    } >"$dir/$fx.txt"
    if [ "$st" != "$st2" ] || ! cmp -s "$TMP/stderr" "$TMP/chroot.stderr" \
        || ! cmp -s "$dir/$fx.stdout" "$TMP/chroot.stdout"; then
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(basename "$dir")" "$fx" "$st" \
            "$(head -n1 "$TMP/stderr" | tr '\t\r' '  ')" "$st2" \
            "$(head -n1 "$TMP/chroot.stderr" | tr '\t\r' '  ')" >>"$TMP/chroot-diffs.tsv"
    fi
}

printf 'image\tfixture\texit\tfirst_stderr_line\n' >"$RESULTS/index.tsv"
for gen in "${GENERATIONS[@]}"; do
    for kind in "${KINDS[@]}"; do
        image="$kind-$gen"
        root="$TMP/roots/$image"
        log "building $image: $(image_packages "$kind" "$gen")"
        build_root "$kind" "$gen" "$root"
        mkdir -p "$RESULTS/$image"
        for fx in "${FIXTURES[@]}"; do
            run_case "$root" "$RESULTS/$image" "$fx"
            printf '%s\t%s\t%s\t%s\n' "$image" "$fx" \
                "$(head -n1 "$RESULTS/$image/$fx.txt" | sed 's/^exit: //')" \
                "$(sed -n 2p "$RESULTS/$image/$fx.txt" | tr '\t\r' '  ')" >>"$RESULTS/index.tsv"
        done
    done
done

# --------------------------------------------------------------------------
# Sanity checks: the trees must be able to run what they are known to run.
# --------------------------------------------------------------------------
expect() { # <image> <fixture> <exit> [stderr substring]
    local f="$RESULTS/$1/$2.txt"
    [ "$(head -n1 "$f")" = "exit: $3" ] || die "sanity: $1/$2: expected exit $3, got: $(head -n2 "$f" | tr '\n' ' ')"
    if [ $# -ge 4 ]; then
        grep -qF -- "$4" "$f" || die "sanity: $1/$2: stderr lacks: $4"
    fi
}
for gen in "${GENERATIONS[@]}"; do
    for kind in "${KINDS[@]}"; do
        expect "$kind-$gen" c-static 0
    done
    expect "static-$gen" c-dynamic 127 "chroot: failed to run command '/app': No such file or directory"
    expect "base-nossl-$gen" cxx-dynamic 127 "libstdc++.so.6: cannot open shared object file"
    expect "base-nossl-$gen" go-macho 126 "Exec format error"
done
for gen in debian12 debian13; do
    expect "base-nossl-$gen" c-dynamic 0
    expect "cc-$gen" cxx-dynamic 0
    expect "cc-$gen" rust-release 0
    expect "cc-$gen" c-pthread-exit 0
    expect "base-$gen" c-libssl 0
done
expect base-debian13 c-libz 0
expect base-nossl-debian11 c-dynamic 1 "GLIBC_2.34"

# --------------------------------------------------------------------------
# 4. README and install.
# --------------------------------------------------------------------------
resolved_on="$(sed -n 's/^# resolved-on: //p' "$LOCK" | head -n1)"
{
    cat <<EOF
# Recorded start-up results in distroless-like root filesystems

Generated by \`scripts/record-crashes.sh\` (do not edit by hand). Package
versions resolved on $resolved_on (see \`scripts/crashes/debs.lock\`).

For every image × fixture, \`<image>/<fixture>.txt\` holds a first line
\`exit: <status>\` followed by the program's stderr, byte for byte, and
\`<image>/<fixture>.stdout\` its stdout. \`<status>\` is the shell's: the
exit code, or 128+N when the process was killed by signal N (134 = SIGABRT;
124 would be the 10 s timeout). \`index.tsv\` lists image, fixture, exit and
the first stderr line (tabs and CRs turned into spaces).

## How

Root filesystems were assembled from Debian amd64 .debs, downloaded from
Debian's archive (SHA256 checked against the suite's \`Packages.xz\`) and
unpacked with \`dpkg-deb -x\` (nothing installed, no maintainer scripts, no
\`/etc/ld.so.cache\`), one per image:

| image | packages |
|---|---|
EOF
    for gen in "${GENERATIONS[@]}"; do
        for kind in "${KINDS[@]}"; do
            pk="$(image_packages "$kind" "$gen")"
            printf '| %s-%s | %s |\n' "$kind" "$gen" "${pk:-(none)}"
        done
    done
    cat <<'EOF'

Layout as in the real images: debian11 and debian12 are not usr-merged
(`/bin`, `/sbin`, `/lib` are real directories, `/lib64` comes from libc6,
`/lib64/ld-linux-x86-64.so.2` is a symlink into `/lib/x86_64-linux-gnu`);
debian13 is usr-merged (`/bin`, `/sbin`, `/lib`, `/lib64` are symlinks to
`usr/...` and package paths under them were moved to `/usr`). Every tree
also has the generated files of the images (`/etc/passwd`, `/etc/group`,
`/etc/nsswitch.conf` with `hosts: files dns`, `/usr/lib/os-release`, `/tmp`,
`/root`, `/home/nonroot`) plus the `/etc/hosts` a container runtime
provides (`127.0.0.1 localhost`, `::1 localhost`). base-files, netbase,
tzdata, media-types and the CA bundle were left out: they hold no ELF files.
There is no shell in any tree.

Package versions used (pinned = distroless lock file; used = the .deb
unpacked, which differs when the archive no longer has the pinned version):

| generation | package | pinned | used | suite |
|---|---|---|---|---|
EOF
    awk -F'\t' '!/^#/ { printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }' "$LOCK"
    cat <<EOF

Each fixture of \`testdata/bin/\` was copied to \`/app\` (mode 0755) and
started as root, with stdin \`/dev/null\`, the environment
\`PATH=$IMAGE_PATH LC_ALL=C\` and nothing else, core dumps off:

    env -i PATH=... LC_ALL=C timeout -k 2 $TIMEOUT python3 -I -S scripts/crashes/exec-in-root.py ROOT /app

\`exec-in-root.py\` does what \`chroot ROOT /app\` does, but starts \`/app\`
with a plain \`execve(2)\`, as container runtimes do; when \`execve\` fails it
prints chroot(1)'s message, \`chroot: failed to run command '/app': <strerror>\`,
and exits 127 for ENOENT, 126 otherwise, as chroot(1) does. (Container runtimes
word the same errno as \`exec /app: no such file or directory\` or
\`exec /app: exec format error\`.)

Every case was also run with coreutils' own \`timeout -k 2 $TIMEOUT chroot ROOT /app\`.
chroot(1) starts the program with \`execvp(3)\`, and glibc's \`execvp\` retries a
file the kernel refuses with ENOEXEC through \`/bin/sh\`; these trees have no
\`/bin/sh\`, so chroot(1) reports ENOENT for such files. The cases where its
result differs from the recorded one:

EOF
    if [ -s "$TMP/chroot-diffs.tsv" ]; then
        echo "| image | fixture | recorded exit | recorded stderr | chroot(1) exit | chroot(1) stderr |"
        echo "|---|---|---|---|---|---|"
        awk -F'\t' '{ printf "| %s | %s | %s | `%s` | %s | `%s` |\n", $1, $2, $3, $4, $5, $6 }' "$TMP/chroot-diffs.tsv"
    else
        echo "(none)"
    fi
    cat <<'EOF'

Host requirements for the same results: an x86_64 kernel with 32-bit (IA32)
emulation (otherwise `c-i386` gets ENOEXEC instead of ENOENT for its missing
`/lib/ld-linux.so.2`) and no binfmt_misc handlers (the script refuses to run
with any registered, since qemu-user would start `c-aarch64`). The dynamic
loader's messages depend only on the glibc in the tree.
EOF
} >"$RESULTS/README.md"

rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
cp -a "$RESULTS" "$OUT"
log "wrote $OUT ($(($(wc -l <"$OUT/index.tsv") - 1)) cases)"
