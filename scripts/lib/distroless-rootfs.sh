# Sourced (never run) by scripts/record-crashes.sh and
# scripts/make-distroless-images.sh: the Debian packages of each distroless
# image, the lock file that pins them (scripts/crashes/debs.lock: version,
# file name and SHA-256 of each .deb on deb.debian.org), the .deb cache,
# and the recipe that assembles an image's root file system from them.
#
# The caller defines REPO, TMP (a scratch directory), die and log. Tools:
# curl (only when a .deb is not cached yet), sha256sum, dpkg-deb.
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian),
# DEBIAN_SECURITY_MIRROR (default http://deb.debian.org/debian-security).
#
#   image_packages KIND GEN      the packages of KIND-GEN, in layer order
#   deb_path GEN PKG             the cached, SHA-256-checked .deb (downloaded once)
#   build_root KIND GEN ROOT     the image's root file system in ROOT

HELPERS="$REPO/scripts/crashes"
CACHE="$HELPERS/.cache"
LOCK="$HELPERS/debs.lock"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DEBIAN_SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
GENERATIONS=(debian11 debian12 debian13)
KINDS=(static base-nossl base cc)

# generation | suite | package | version pinned by distroless
PACKAGES=(
    "debian11|bullseye|libc6|2.31-13+deb11u10"
    "debian11|bullseye|libssl1.1|1.1.1w-0+deb11u1"
    "debian11|bullseye|openssl|1.1.1w-0+deb11u1"
    "debian11|bullseye|libgcc-s1|10.2.1-6"
    "debian11|bullseye|libstdc++6|10.2.1-6"
    "debian11|bullseye|libgomp1|10.2.1-6"
    "debian12|bookworm|libc6|2.36-9+deb12u14"
    "debian12|bookworm|libssl3|3.0.20-1~deb12u2"
    "debian12|bookworm|libgcc-s1|12.2.0-14+deb12u1"
    "debian12|bookworm|libstdc++6|12.2.0-14+deb12u1"
    "debian12|bookworm|libgomp1|12.2.0-14+deb12u1"
    "debian12|bookworm|gcc-12-base|12.2.0-14+deb12u1"
    "debian13|trixie|libc6|2.41-12+deb13u3"
    "debian13|trixie|libssl3t64|3.5.6-1~deb13u2"
    "debian13|trixie|zlib1g|1:1.3.dfsg+really1.3.1-1+b1"
    "debian13|trixie|libzstd1|1.5.7+dfsg-1"
    "debian13|trixie|libgcc-s1|14.2.0-19"
    "debian13|trixie|libstdc++6|14.2.0-19"
    "debian13|trixie|libgomp1|14.2.0-19"
    "debian13|trixie|gcc-14-base|14.2.0-19"
)

# image_packages <kind> <generation>: the packages of that image, in layer order.
image_packages() {
    local kind="$1" gen="$2"
    local ssl cc_extra
    case "$gen" in
        debian11) ssl="libssl1.1 openssl"; cc_extra="libgomp1 libstdc++6 libgcc-s1" ;;
        debian12) ssl="libssl3"; cc_extra="libgomp1 libstdc++6 libgcc-s1 gcc-12-base" ;;
        debian13) ssl="libssl3t64 libzstd1 zlib1g"; cc_extra="libgomp1 libstdc++6 libgcc-s1 gcc-14-base" ;;
    esac
    case "$kind" in
        static) echo "" ;;
        base-nossl) echo "libc6" ;;
        base) echo "libc6 $ssl" ;;
        cc) echo "libc6 $ssl $cc_extra" ;;
    esac
}

suite_base_url() { # <suite> -> archive base URL
    case "$1" in
        *-security) echo "$DEBIAN_SECURITY_MIRROR" ;;
        *) echo "$DEBIAN_MIRROR" ;;
    esac
}

# lock_field <generation> <package> <column 3..7>
lock_field() {
    awk -F'\t' -v g="$1" -v p="$2" -v c="$3" '!/^#/ && $1 == g && $2 == p { print $c; found = 1; exit }
        END { if (!found) exit 1 }' "$LOCK" || die "$1 $2 is not in $LOCK (run with --relock)"
}

# deb_path <generation> <package>: make sure the cached .deb exists with the
# locked SHA256 and print its path.
deb_path() {
    local gen="$1" pkg="$2" suite fn sha file url
    suite="$(lock_field "$gen" "$pkg" 5)"
    fn="$(lock_field "$gen" "$pkg" 6)"
    sha="$(lock_field "$gen" "$pkg" 7)"
    mkdir -p "$CACHE"
    file="$CACHE/$(basename "$fn")"
    if [ -f "$file" ] && [ "$(sha256sum <"$file" | cut -d' ' -f1)" = "$sha" ]; then
        echo "$file"
        return
    fi
    url="$(suite_base_url "$suite")/$fn"
    log "downloading $url"
    curl -fsSL --retry 3 -o "$file.part" "$url" || die "cannot fetch $url"
    [ "$(sha256sum <"$file.part" | cut -d' ' -f1)" = "$sha" ] || {
        rm -f "$file.part"
        die "SHA256 mismatch for $url"
    }
    mv "$file.part" "$file"
    echo "$file"
}

generated_files() { # <root> <generation>
    local root="$1" gen="$2" ver codename
    case "$gen" in
        debian11) ver=11; codename=bullseye ;;
        debian12) ver=12; codename=bookworm ;;
        debian13) ver=13; codename=trixie ;;
    esac
    mkdir -p "$root/etc" "$root/root" "$root/home/nonroot" "$root/tmp" "$root/usr/lib"
    chmod 1777 "$root/tmp"
    chmod 700 "$root/root"
    chown 65532:65532 "$root/home/nonroot"
    chmod 700 "$root/home/nonroot"
    cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
    cat >"$root/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
EOF
    cat >"$root/etc/nsswitch.conf" <<'EOF'
passwd:         files
group:          files
shadow:         files
gshadow:        files

hosts:          files dns
networks:       files

protocols:      db files
services:       db files
ethers:         db files
rpc:            db files

netgroup:       nis
EOF
    # What docker/containerd bind-mount over the image's (absent) /etc/hosts.
    cat >"$root/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
EOF
    cat >"$root/usr/lib/os-release" <<EOF
PRETTY_NAME="Distroless"
NAME="Debian GNU/Linux"
ID="debian"
VERSION_ID="$ver"
VERSION="Debian GNU/Linux $ver ($codename)"
HOME_URL="https://github.com/GoogleContainerTools/distroless"
SUPPORT_URL="https://github.com/GoogleContainerTools/distroless/blob/master/README.md"
BUG_REPORT_URL="https://github.com/GoogleContainerTools/distroless/issues/new"
EOF
    ln -s ../usr/lib/os-release "$root/etc/os-release"
}

build_root() { # <kind> <generation> <root>
    local kind="$1" gen="$2" root="$3" pkg deb stage d
    mkdir -p "$root"
    if [ "$gen" = debian13 ]; then
        mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib" "$root/usr/lib64"
        ln -s usr/bin "$root/bin"
        ln -s usr/sbin "$root/sbin"
        ln -s usr/lib "$root/lib"
        ln -s usr/lib64 "$root/lib64"
    else
        mkdir -p "$root/bin" "$root/sbin" "$root/lib" "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib"
    fi
    generated_files "$root" "$gen"
    for pkg in $(image_packages "$kind" "$gen"); do
        deb="$(deb_path "$gen" "$pkg")"
        if [ "$gen" = debian13 ]; then
            # merged /usr: move anything under /bin, /sbin, /lib* to /usr/...
            stage="$TMP/stage"
            rm -rf "$stage"
            mkdir -p "$stage"
            dpkg-deb -x "$deb" "$stage"
            for d in "$stage"/bin "$stage"/sbin "$stage"/lib*; do
                [ -e "$d" ] || [ -L "$d" ] || continue
                [ -L "$d" ] && die "$pkg ships /$(basename "$d") as a symlink"
                mkdir -p "$root/usr/$(basename "$d")"
                cp -a "$d/." "$root/usr/$(basename "$d")/"
                rm -rf "$d"
            done
            cp -a "$stage/." "$root/"
            rm -rf "$stage"
        else
            dpkg-deb -x "$deb" "$root"
        fi
    done
    # dpkg-deb -x sets the directory modes of the archive on the root itself
    chmod 755 "$root"
    [ ! -e "$root/etc/ld.so.cache" ] || die "unexpected ld.so.cache in $root"
}
