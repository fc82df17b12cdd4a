#!/usr/bin/env bash
# Make Google's distroless base images in the local Docker engine, from the
# pinned Debian packages, under their real names, so that tests (and users
# without network access to gcr.io) can build FROM them and run containers:
#
#   gcr.io/distroless/{static,base-nossl,base,cc}-{debian11,debian12,debian13}:latest
#   ...:nonroot                       (user 65532, WorkingDir /home/nonroot)
#   gcr.io/distroless/{static,base-nossl,base,cc}:latest|nonroot  (= debian13: the data's also_published_as)
#
# linux/amd64 only. Each root file system is assembled by the recipe that
# scripts/record-crashes.sh uses (scripts/lib/distroless-rootfs.sh: the
# .debs of scripts/crashes/debs.lock, SHA-256 checked, unpacked with
# dpkg-deb, the images' generated files) and imported with `docker import`
# and the real images' config: Env PATH=/usr/local/sbin:/usr/local/bin:
# /usr/sbin:/usr/bin:/sbin:/bin and SSL_CERT_FILE=/etc/ssl/certs/
# ca-certificates.crt, User 0 (:latest) or 65532 (:nonroot), WorkingDir /
# or /home/nonroot. What the real images have and these do not: base-files,
# netbase, tzdata, media-types and the CA bundle (no ELF files among them).
#
# Offline once the .debs are cached (scripts/crashes/.cache/; the first run
# downloads them from deb.debian.org). An image already made from the same
# recipe (label dlcheck.recipe) is kept, so a second run takes seconds.
#
# Needs: root, a running Docker engine (docker CLI), dpkg-deb, sha256sum,
# tar, and curl for the first run. Used by .ci/run.
#
# Usage: scripts/make-distroless-images.sh [GEN-or-KIND-or-IMAGE ...]
#   e.g. scripts/make-distroless-images.sh static-debian12 cc-debian12
#   (no argument: all twelve)
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() {
    echo "make-distroless-images.sh: error: $*" >&2
    exit 1
}
log() {
    echo "make-distroless-images.sh: $*" >&2
}
# shellcheck source=scripts/lib/distroless-rootfs.sh
. "$REPO/scripts/lib/distroless-rootfs.sh"

[ "$(id -u)" = 0 ] || die "must run as root (the images' files are owned by root and 65532)"
for tool in docker dpkg-deb sha256sum tar; do
    command -v "$tool" >/dev/null || die "missing tool: $tool"
done
docker info >/dev/null 2>&1 || die "the Docker engine does not answer (start dockerd, or set DOCKER_HOST)"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/distroless-images.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

ENV_PATH="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ENV_CERT="SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"

# recipe <kind> <gen>: what the image is made from (this recipe and the
# locked .debs), as one hash.
recipe() {
    local pkg
    {
        cat "$REPO/scripts/lib/distroless-rootfs.sh" "${BASH_SOURCE[0]}"
        for pkg in $(image_packages "$1" "$2"); do
            lock_field "$2" "$pkg" 7
        done
    } | sha256sum | cut -d' ' -f1
}

# import <tar> <name> <recipe> <user> <workdir>
import() {
    docker import \
        --change "ENV $ENV_PATH" --change "ENV $ENV_CERT" \
        --change "USER $4" --change "WORKDIR $5" \
        --change "LABEL dlcheck.recipe=$3" \
        "$1" "$2" >/dev/null
}

make_image() { # <kind> <gen>
    local kind="$1" gen="$2" name="gcr.io/distroless/$1-$2" key have root pkg
    key="$(recipe "$kind" "$gen")"
    have="$(docker image inspect -f '{{index .Config.Labels "dlcheck.recipe"}}' "$name:nonroot" 2>/dev/null || true)"
    if [ "$have" = "$key" ] && docker image inspect "$name:latest" >/dev/null 2>&1; then
        log "$name: up to date"
    else
        root="$TMP/$kind-$gen"
        log "$name: $(image_packages "$kind" "$gen" | tr -s ' ' || true)"
        build_root "$kind" "$gen" "$root"
        rm -f "$root/etc/hosts" # the engine mounts its own
        # The package records distroless keeps (rules_distroless writes each
        # package's control file to /var/lib/dpkg/status.d/NAME).
        mkdir -p "$root/var/lib/dpkg/status.d"
        for pkg in $(image_packages "$kind" "$gen"); do
            dpkg-deb -f "$(deb_path "$gen" "$pkg")" >"$root/var/lib/dpkg/status.d/$pkg"
        done
        tar -C "$root" --numeric-owner -cf "$TMP/rootfs.tar" .
        import "$TMP/rootfs.tar" "$name:latest" "$key" 0 /
        import "$TMP/rootfs.tar" "$name:nonroot" "$key" 65532 /home/nonroot
        rm -rf "$root" "$TMP/rootfs.tar"
    fi
    if [ "$gen" = debian13 ]; then
        docker tag "$name:latest" "gcr.io/distroless/$kind:latest"
        docker tag "$name:nonroot" "gcr.io/distroless/$kind:nonroot"
    fi
}

want() { # <kind> <gen>: whether the arguments ask for it
    [ $# -gt 0 ] || return 1
    local kind="$1" gen="$2" a
    [ ${#ARGS[@]} -eq 0 ] && return 0
    for a in "${ARGS[@]}"; do
        case "$a" in "$gen" | "$kind" | "$kind-$gen" | "gcr.io/distroless/$kind-$gen") return 0 ;; esac
    done
    return 1
}

ARGS=("$@")
for gen in "${GENERATIONS[@]}"; do
    for kind in "${KINDS[@]}"; do
        if want "$kind" "$gen"; then
            make_image "$kind" "$gen"
        fi
    done
done
