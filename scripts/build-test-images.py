#!/usr/bin/env python3
"""Build the small container images of testdata/images/ that dlcheck's image
mode (`dlcheck image.tar`, `dlcheck DIR`, `dlcheck --root DIR`) is tested on.

Usage:
    python3 scripts/build-test-images.py            # (re)build testdata/images/, then --verify
    python3 scripts/build-test-images.py --verify   # check the committed images only
    python3 scripts/build-test-images.py --run      # as root: also unpack every amd64 image
                                                    # and start its command in a chroot

Host requirements (Debian 12 here):

    apt-get install -y python3 zstd libc-bin

  * python3 (3.8 or later, standard library only: tarfile, gzip, lzma, json,
    hashlib, urllib),
  * `zstd` (Debian package `zstd`, 1.5.4 here): the zstd-compressed layers of
    oci-static12-zstd/; the output is byte-identical for the same zstd version,
  * `ldconfig` (Debian package `libc-bin`, glibc 2.36 here): generates the
    /etc/ld.so.cache of ldcache.tar (`ldconfig -r ROOT -C etc/ld.so.cache -f
    etc/ld.so.conf`); the cache names the ldconfig version that wrote it.

What it does:

 1. Takes the Debian .debs the distroless images are built from. The versions,
    file names and SHA256 sums come from scripts/crashes/debs.lock (written by
    scripts/record-crashes.sh) plus scripts/images/debs.lock (zlib1g for
    bookworm, which no distroless debian12 image contains; its SHA256 was taken
    from the host's apt index, `apt-cache show zlib1g=1:1.2.13.dfsg-1`).
    A .deb is read from scripts/crashes/.cache/ or scripts/images/.cache/
    (both git-ignored); a missing one is downloaded from Debian's archive
    (DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR) into scripts/images/.cache/.
    Every .deb's SHA256 is checked before use. The .debs are parsed here
    (ar + data.tar.xz), never installed.
 2. Builds trimmed distroless base layers: only the files dlcheck looks at,
    with their real paths, modes and symlinks from the .debs (loader, libc.so.6,
    libm.so.6, for cc also libgcc_s.so.1 and libstdc++.so.6), plus the files
    the distroless build generates (/etc/passwd, /etc/group, /etc/nsswitch.conf,
    /usr/lib/os-release and the /etc/os-release symlink, /tmp, /root,
    /home/nonroot), a placeholder CA bundle and /var/lib/dpkg/status.d/<pkg>
    (the package's control file) for each package whose files are included.
 3. Writes the images in four formats (docker save before Docker 25, docker
    save from Docker 25 on, OCI image-layout archive, OCI image-layout
    directory), the hostile archives, expected.json and checks them all.

Reproducible: tar entries are sorted, mtime 0, owner 0:0 (except
/home/nonroot, 65532:65532 as in distroless), no user/group names; gzip
streams have mtime 0 and no file name. Two runs give byte-identical files.
"""
import gzip
import hashlib
import io
import json
import lzma
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "testdata", "images")
BIN = os.path.join(REPO, "testdata", "bin")
LOCKS = [
    os.path.join(REPO, "scripts", "crashes", "debs.lock"),
    os.path.join(REPO, "scripts", "images", "debs.lock"),
]
CACHES = [
    os.path.join(REPO, "scripts", "crashes", ".cache"),
    os.path.join(REPO, "scripts", "images", ".cache"),
]
DOWNLOAD_CACHE = CACHES[1]
DEBIAN_MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
DEBIAN_SECURITY_MIRROR = os.environ.get("DEBIAN_SECURITY_MIRROR", "http://deb.debian.org/debian-security")

PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SSL_ENV = "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"
EPOCH = "1970-01-01T00:00:00Z"
REPO_PREFIX = "dlcheck-test/"

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = {
    None: "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}

GENERATIONS = {
    "debian11": {"codename": "bullseye", "version": "11", "usrmerge": False},
    "debian12": {"codename": "bookworm", "version": "12", "usrmerge": False},
    "debian13": {"codename": "trixie", "version": "13", "usrmerge": True},
}
# packages whose files go into the trimmed base, per image kind
KIND_PACKAGES = {
    "static": [],
    "base": ["libc6"],
    "cc": ["libc6", "libgcc-s1", "libstdc++6"],
}
# the sonames (file names) taken from each package; symlinks to them come along
WANTED = {
    "libc6": ["ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6"],
    "libgcc-s1": ["libgcc_s.so.1"],
    "libstdc++6": ["libstdc++.so.6"],
    "zlib1g": ["libz.so.1"],
}

PASSWD = (
    "root:x:0:0:root:/root:/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
    "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
)
GROUP = "root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n"
NSSWITCH = (
    "passwd:         files\n"
    "group:          files\n"
    "shadow:         files\n"
    "gshadow:        files\n"
    "\n"
    "hosts:          files dns\n"
    "networks:       files\n"
    "\n"
    "protocols:      db files\n"
    "services:       db files\n"
    "ethers:         db files\n"
    "rpc:            db files\n"
    "\n"
    "netgroup:       nis\n"
)
CA_PLACEHOLDER = (
    "# Placeholder written by scripts/build-test-images.py.\n"
    "# The real distroless image has the Debian ca-certificates bundle here;\n"
    "# it is left out to keep testdata/images small.\n"
)


def die(msg):
    sys.exit("build-test-images: error: " + msg)


def log(msg):
    sys.stderr.write("build-test-images: " + msg + "\n")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def cjson(obj):
    """Compact JSON as Docker and containerd write it."""
    return json.dumps(obj, separators=(",", ":")).encode()


# --------------------------------------------------------------------------
# Debian packages
# --------------------------------------------------------------------------
def read_locks():
    lock = {}
    for path in LOCKS:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip() or line.startswith("#"):
                    continue
                gen, pkg, pinned, used, suite, filename, sha = line.rstrip("\n").split("\t")
                lock[(gen, pkg)] = {"pinned": pinned, "version": used, "suite": suite,
                                    "filename": filename, "sha256": sha, "lock": os.path.relpath(path, REPO)}
    return lock


LOCK = None
_DEB_CACHE = {}


def deb_bytes(gen, pkg):
    global LOCK
    if LOCK is None:
        LOCK = read_locks()
    key = (gen, pkg)
    if key in _DEB_CACHE:
        return _DEB_CACHE[key]
    if key not in LOCK:
        die("%s %s is not in %s" % (gen, pkg, " or ".join(LOCKS)))
    ent = LOCK[key]
    name = os.path.basename(ent["filename"])
    data = None
    for cache in CACHES:
        p = os.path.join(cache, name)
        if os.path.isfile(p):
            with open(p, "rb") as f:
                d = f.read()
            if sha256(d) == ent["sha256"]:
                data = d
                break
            log("ignoring %s: SHA256 mismatch" % p)
    if data is None:
        base = DEBIAN_SECURITY_MIRROR if ent["suite"].endswith("-security") else DEBIAN_MIRROR
        url = base + "/" + ent["filename"]
        log("downloading " + url)
        try:
            with urllib.request.urlopen(url, timeout=120) as r:
                data = r.read()
        except OSError as e:
            die("cannot fetch %s: %s" % (url, e))
        if sha256(data) != ent["sha256"]:
            die("SHA256 mismatch for " + url)
        os.makedirs(DOWNLOAD_CACHE, exist_ok=True)
        tmp = os.path.join(DOWNLOAD_CACHE, name + ".part")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(DOWNLOAD_CACHE, name))
    _DEB_CACHE[key] = data
    return data


def read_ar(data):
    if data[:8] != b"!<arch>\n":
        die("not an ar archive")
    off, out = 8, {}
    while off + 60 <= len(data):
        hdr = data[off:off + 60]
        name = hdr[:16].decode().strip().rstrip("/")
        size = int(hdr[48:58].decode().strip())
        off += 60
        out[name] = data[off:off + size]
        off += size + (size & 1)
    return out


def decompress_member(name, data):
    if name.endswith(".xz"):
        return lzma.decompress(data)
    if name.endswith(".gz"):
        return gzip.decompress(data)
    if name.endswith(".zst"):
        return subprocess.run(["zstd", "-dcq"], input=data, stdout=subprocess.PIPE, check=True).stdout
    return data


def norm(name):
    while name.startswith("./"):
        name = name[2:]
    return name.strip("/")


def deb_contents(gen, pkg):
    """(files, control): files maps path -> (TarInfo, bytes or None)."""
    ar = read_ar(deb_bytes(gen, pkg))
    files, control = {}, None
    for member, blob in ar.items():
        if member.startswith("data.tar"):
            with tarfile.open(fileobj=io.BytesIO(decompress_member(member, blob))) as t:
                for ti in t.getmembers():
                    p = norm(ti.name)
                    if not p:
                        continue
                    files[p] = (ti, t.extractfile(ti).read() if ti.isfile() else None)
        elif member.startswith("control.tar"):
            with tarfile.open(fileobj=io.BytesIO(decompress_member(member, blob))) as t:
                for ti in t.getmembers():
                    if norm(ti.name) == "control":
                        control = t.extractfile(ti).read().decode()
    if control is None:
        die("%s %s: no control file" % (gen, pkg))
    return files, control


def one_hop(files, path):
    tgt = files[path][0].linkname
    return norm(tgt) if tgt.startswith("/") else os.path.normpath(os.path.join(os.path.dirname(path), tgt))


def resolve_in(files, path):
    """Follow the symlinks of a .deb's file list; return the final path."""
    for _ in range(10):
        if path not in files or not files[path][0].issym():
            return path
        path = one_hop(files, path)
    die("symlink loop in a .deb at " + path)


def pick_from_deb(gen, pkg, names):
    """The files called `names` (with the chain of symlinks down to the real
    file, and every other symlink to that file) from a .deb."""
    files, control = deb_contents(gen, pkg)
    chosen = set()
    for p, (ti, _) in files.items():
        if os.path.basename(p) in names and (ti.isfile() or ti.issym()):
            chosen.add(p)
            q = p
            while files[q][0].issym():
                q = one_hop(files, q)
                if q not in files:
                    die("%s %s: dangling symlink %s" % (gen, pkg, p))
                chosen.add(q)
    real = {resolve_in(files, p) for p in chosen}
    for p, (ti, _) in files.items():
        if ti.issym() and resolve_in(files, p) in real:
            chosen.add(p)
    missing = set(names) - {os.path.basename(p) for p in chosen}
    if missing:
        die("%s %s: no %s" % (gen, pkg, ", ".join(sorted(missing))))
    return {p: files[p] for p in chosen}, control


# --------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------
class Layer:
    """The entries of one layer tar. Paths are relative ("usr/lib/..."),
    except the deliberately hostile ones added with raw()."""

    def __init__(self, created_by, comment="buildkit.dockerfile.v0", desc=None):
        self.entries = {}
        self.created_by = created_by
        self.comment = comment
        self.desc = desc or created_by  # for README.md
        self.auto_parents = True

    def _put(self, path, **kw):
        self.entries[path] = kw

    def dir(self, path, mode=0o755, uid=0, gid=0):
        self._put(norm(path), type=tarfile.DIRTYPE, mode=mode, uid=uid, gid=gid)

    def file(self, path, data, mode=0o644, uid=0, gid=0):
        if isinstance(data, str):
            data = data.encode()
        self._put(norm(path), type=tarfile.REGTYPE, mode=mode, uid=uid, gid=gid, data=data)

    def symlink(self, path, target):
        self._put(norm(path), type=tarfile.SYMTYPE, mode=0o777, uid=0, gid=0, linkname=target)

    def raw(self, name, data=b"", mode=0o644):
        """A member whose name is written verbatim (hostile archives)."""
        if isinstance(data, str):
            data = data.encode()
        self._put(name, type=tarfile.REGTYPE, mode=mode, uid=0, gid=0, data=data, raw=True)

    def add_deb_files(self, files, usrmerge=False):
        for p, (ti, data) in files.items():
            if usrmerge and p.split("/")[0] in ("bin", "sbin") or usrmerge and p.split("/")[0].startswith("lib"):
                p = "usr/" + p
            if ti.issym():
                self.symlink(p, ti.linkname)
            elif ti.isfile():
                self.file(p, data, mode=ti.mode)
            elif ti.isdir():
                self.dir(p, mode=ti.mode)

    def tar(self):
        entries = dict(self.entries)
        if self.auto_parents:
            for p, e in list(entries.items()):
                if e.get("raw"):
                    continue
                parts = p.split("/")
                for i in range(1, len(parts)):
                    entries.setdefault("/".join(parts[:i]), dict(type=tarfile.DIRTYPE, mode=0o755, uid=0, gid=0))
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
            for p in sorted(entries, key=lambda s: s.split("/")):
                e = entries[p]
                ti = tarfile.TarInfo(p)
                ti.type = e["type"]
                ti.mode = e["mode"]
                ti.uid, ti.gid = e["uid"], e["gid"]
                ti.uname = ti.gname = ""
                ti.mtime = 0
                data = e.get("data", b"")
                if ti.type == tarfile.SYMTYPE:
                    ti.linkname = e["linkname"]
                if ti.type == tarfile.REGTYPE:
                    ti.size = len(data)
                    t.addfile(ti, io.BytesIO(data))
                else:
                    t.addfile(ti)
        return buf.getvalue()


def compress(data, how):
    if how is None:
        return data
    if how == "gzip":
        return gzip.compress(data, compresslevel=9, mtime=0)
    if how == "zstd":
        return subprocess.run(["zstd", "-19", "-T1", "-q", "-c", "-"], input=data,
                              stdout=subprocess.PIPE, check=True).stdout
    raise ValueError(how)


def fixture(name):
    p = os.path.join(BIN, name)
    if not os.path.isfile(p):
        die("missing fixture %s (build testdata/bin with testdata/build.sh)" % p)
    with open(p, "rb") as f:
        return f.read()


def os_release(gen):
    g = GENERATIONS[gen]
    return (
        'PRETTY_NAME="Distroless"\n'
        'NAME="Debian GNU/Linux"\n'
        'ID="debian"\n'
        'VERSION_ID="%s"\n'
        'VERSION="Debian GNU/Linux %s (%s)"\n'
        'HOME_URL="https://github.com/GoogleContainerTools/distroless"\n'
        'SUPPORT_URL="https://github.com/GoogleContainerTools/distroless/blob/master/README.md"\n'
        'BUG_REPORT_URL="https://github.com/GoogleContainerTools/distroless/issues/new"\n'
    ) % (g["version"], g["version"], g["codename"])


USED_DEBS = {}  # (gen, pkg) -> version, for the README


def base_layer(gen, kind, arch="amd64"):
    """A trimmed distroless <kind>-<gen> root filesystem as one layer."""
    g = GENERATIONS[gen]
    if arch != "amd64" and KIND_PACKAGES[kind]:
        die("only static images are built for " + arch)
    ref = "gcr.io/distroless/%s-%s" % (kind, gen)
    layer = Layer("bazel build %s (%s; trimmed, see testdata/images/README.md)" % (ref, arch),
                  comment="distroless base, trimmed by scripts/build-test-images.py",
                  desc="%s-%s%s" % (kind, gen, "" if arch == "amd64" else " " + arch))
    if g["usrmerge"]:
        for d in ("usr/bin", "usr/sbin", "usr/lib", "usr/lib64"):
            layer.dir(d)
        for d in ("bin", "sbin", "lib", "lib64"):
            layer.symlink(d, "usr/" + d)
    else:
        for d in ("bin", "sbin", "lib", "usr/bin", "usr/sbin", "usr/lib"):
            layer.dir(d)
    for d in ("etc", "etc/ssl/certs", "usr/local/bin", "var/lib/dpkg/status.d"):
        layer.dir(d)
    layer.dir("tmp", mode=0o1777)
    layer.dir("root", mode=0o700)
    layer.dir("home")
    layer.dir("home/nonroot", mode=0o700, uid=65532, gid=65532)
    layer.file("etc/passwd", PASSWD)
    layer.file("etc/group", GROUP)
    layer.file("etc/nsswitch.conf", NSSWITCH)
    layer.file("usr/lib/os-release", os_release(gen))
    layer.symlink("etc/os-release", "../usr/lib/os-release")
    layer.file("etc/ssl/certs/ca-certificates.crt", CA_PLACEHOLDER)
    for pkg in KIND_PACKAGES[kind]:
        files, control = pick_from_deb(gen, pkg, WANTED[pkg])
        layer.add_deb_files(files, usrmerge=g["usrmerge"])
        layer.file("var/lib/dpkg/status.d/" + pkg, control)
        USED_DEBS[(gen, pkg)] = LOCK[(gen, pkg)]
    return layer


def app_layer(path, fixture_name, mode=0o755):
    layer = Layer("COPY %s /%s # buildkit" % (fixture_name, norm(path)), desc="/%s = %s" % (norm(path), fixture_name))
    layer.file(path, fixture(fixture_name), mode=mode)
    return layer


# --------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------
class Image:
    def __init__(self, name, layers, arch="amd64", compression=None, user=None, workdir="/",
                 entrypoint=None, cmd=None, extra_history=(), variant=None):
        """layers: list of (Layer, compression or None); `compression`
        overrides all of them when given."""
        self.name = name
        self.arch = arch
        self.variant = variant
        self.layers = [(l, compression if compression is not None else c) for l, c in layers]
        self.user, self.workdir = user, workdir
        self.entrypoint, self.cmd = entrypoint, cmd
        self.extra_history = list(extra_history)
        self._blobs = None

    def build(self):
        """-> (config bytes, [(blob, compression, diff_id)])"""
        if self._blobs is not None:
            return self._blobs
        layers, diff_ids, history = [], [], []
        for layer, how in self.layers:
            raw = layer.tar()
            diff_id = "sha256:" + sha256(raw)
            layers.append((compress(raw, how), how, diff_id))
            diff_ids.append(diff_id)
            history.append({"created": EPOCH, "created_by": layer.created_by, "comment": layer.comment})
        for h in self.extra_history:
            history.append({"created": EPOCH, "created_by": h, "comment": "buildkit.dockerfile.v0",
                            "empty_layer": True})
        cfg = {"Env": [PATH_ENV, SSL_ENV]}
        if self.user is not None:
            cfg["User"] = self.user
        if self.entrypoint is not None:
            cfg["Entrypoint"] = self.entrypoint
        if self.cmd is not None:
            cfg["Cmd"] = self.cmd
        cfg["WorkingDir"] = self.workdir
        config = {"architecture": self.arch}
        if self.variant:
            config["variant"] = self.variant
        config.update({"config": cfg, "created": EPOCH, "history": history, "os": "linux",
                       "rootfs": {"type": "layers", "diff_ids": diff_ids}})
        self._blobs = (cjson(config), layers)
        return self._blobs

    def platform(self):
        p = {"architecture": self.arch, "os": "linux"}
        if self.variant:
            p["variant"] = self.variant
        return p

    def oci_manifest(self, size_override=None):
        """-> (manifest bytes, {digest: blob})"""
        config, layers = self.build()
        blobs = {"sha256:" + sha256(config): config}
        descs = []
        for i, (blob, how, _) in enumerate(layers):
            d = "sha256:" + sha256(blob)
            blobs[d] = blob
            size = len(blob)
            if size_override and i in size_override:
                size = size_override[i]
            descs.append({"mediaType": MT_LAYER[how], "digest": d, "size": size})
        m = {"schemaVersion": 2, "mediaType": MT_MANIFEST,
             "config": {"mediaType": MT_CONFIG, "digest": "sha256:" + sha256(config), "size": len(config)},
             "layers": descs}
        mb = cjson(m)
        blobs["sha256:" + sha256(mb)] = mb
        return mb, blobs


def desc(mt, data, **extra):
    d = {"mediaType": mt, "digest": "sha256:" + sha256(data), "size": len(data)}
    d.update(extra)
    return d


def tar_archive(files):
    """files: {path: bytes}; directories are added for every parent."""
    entries = {}
    for p, data in files.items():
        parts = p.split("/")
        for i in range(1, len(parts)):
            entries.setdefault("/".join(parts[:i]), None)
        entries[p] = data
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for p in sorted(entries, key=lambda s: s.split("/")):
            ti = tarfile.TarInfo(p)
            ti.mtime = 0
            ti.uname = ti.gname = ""
            data = entries[p]
            if data is None:
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                t.addfile(ti)
            else:
                ti.mode, ti.size = 0o644, len(data)
                t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def repo_tag(name):
    return REPO_PREFIX + name.split(".")[0] + ":latest"


def docker_legacy_files(img, manifest_layers_override=None):
    """`docker save` before Docker 25: <id>/layer.tar, <id>/json, <id>/VERSION,
    <config-hex>.json, manifest.json, repositories."""
    config, layers = img.build()
    cfg_hex = sha256(config)
    files = {cfg_hex + ".json": config}
    paths, parent = [], ""
    for i, (blob, how, diff_id) in enumerate(layers):
        # Docker derives v1 ids from the chain; ours are sha256(parent + diff_id (+ config)).
        top = i == len(layers) - 1
        lid = sha256(("%s\n%s\n%s" % (parent, diff_id, cfg_hex if top else "")).encode())
        v1 = {"id": lid}
        if parent:
            v1["parent"] = parent
        v1.update({"created": EPOCH, "container_config": {"Cmd": None}, "os": "linux"})
        files[lid + "/VERSION"] = b"1.0"
        files[lid + "/json"] = cjson(v1)
        files[lid + "/layer.tar"] = blob
        paths.append(lid + "/layer.tar")
        parent = lid
    tag = repo_tag(img.name)
    manifest = [{"Config": cfg_hex + ".json", "RepoTags": [tag],
                 "Layers": manifest_layers_override or paths}]
    files["manifest.json"] = cjson(manifest) + b"\n"
    repo, t = tag.rsplit(":", 1)
    files["repositories"] = cjson({repo: {t: parent}}) + b"\n"
    return files


def docker_blobs_files(img):
    """`docker save` from Docker 25 on: an OCI layout plus manifest.json."""
    mb, blobs = img.oci_manifest()
    config, layers = img.build()
    files = {"blobs/sha256/" + d.split(":")[1]: b for d, b in blobs.items()}
    tag = repo_tag(img.name)
    index = {"schemaVersion": 2, "mediaType": MT_INDEX,
             "manifests": [desc(MT_MANIFEST, mb, annotations={
                 "io.containerd.image.name": "docker.io/" + tag,
                 "org.opencontainers.image.ref.name": "latest"})]}
    files["index.json"] = cjson(index) + b"\n"
    files["oci-layout"] = cjson({"imageLayoutVersion": "1.0.0"}) + b"\n"
    manifest = [{"Config": "blobs/sha256/" + sha256(config), "RepoTags": [tag],
                 "Layers": ["blobs/sha256/" + sha256(b) for b, _, _ in layers]}]
    files["manifest.json"] = cjson(manifest) + b"\n"
    repo, t = tag.rsplit(":", 1)
    files["repositories"] = cjson({repo: {t: sha256(layers[-1][0])}}) + b"\n"
    return files


def oci_files(img, size_override=None):
    """An OCI image layout (single platform)."""
    mb, blobs = img.oci_manifest(size_override)
    files = {"blobs/sha256/" + d.split(":")[1]: b for d, b in blobs.items()}
    index = {"schemaVersion": 2, "mediaType": MT_INDEX,
             "manifests": [desc(MT_MANIFEST, mb, annotations={"org.opencontainers.image.ref.name": "latest"})]}
    files["index.json"] = cjson(index) + b"\n"
    files["oci-layout"] = cjson({"imageLayoutVersion": "1.0.0"}) + b"\n"
    return files


def oci_multi_files(imgs):
    """index.json -> image index blob -> one manifest per platform (as buildx
    `--output type=oci` and `skopeo copy --all` write it)."""
    files, mdescs = {}, []
    for img in imgs:
        mb, blobs = img.oci_manifest()
        files.update({"blobs/sha256/" + d.split(":")[1]: b for d, b in blobs.items()})
        mdescs.append(desc(MT_MANIFEST, mb, platform=img.platform()))
    nested = cjson({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": mdescs})
    files["blobs/sha256/" + sha256(nested)] = nested
    index = {"schemaVersion": 2, "mediaType": MT_INDEX,
             "manifests": [desc(MT_INDEX, nested, annotations={"org.opencontainers.image.ref.name": "latest"})]}
    files["index.json"] = cjson(index) + b"\n"
    files["oci-layout"] = cjson({"imageLayoutVersion": "1.0.0"}) + b"\n"
    return files


# --------------------------------------------------------------------------
# The images
# --------------------------------------------------------------------------
GZ, ZS = "gzip", "zstd"


def ldcache_layer(with_cache):
    """/opt/zlib/libz.so.1* from bookworm's zlib1g, /etc/ld.so.conf naming
    /opt/zlib and (with_cache) the /etc/ld.so.cache ldconfig builds for it."""
    files, _ = pick_from_deb("debian12", "zlib1g", WANTED["zlib1g"])
    USED_DEBS[("debian12", "zlib1g")] = LOCK[("debian12", "zlib1g")]
    layer = Layer("COPY zlib/ /opt/zlib/ + ld.so.conf; RUN ldconfig" if with_cache
                  else "COPY zlib/ /opt/zlib/ + ld.so.conf (no ldconfig run)",
                  desc="/opt/zlib/libz.so.1*, /etc/ld.so.conf" + (", /etc/ld.so.cache" if with_cache else " (no cache)"))
    for p, (ti, data) in files.items():
        dst = "opt/zlib/" + os.path.basename(p)
        if ti.issym():
            if "/" in ti.linkname:
                die("unexpected zlib symlink " + ti.linkname)
            layer.symlink(dst, ti.linkname)
        else:
            layer.file(dst, data, mode=ti.mode)
    layer.file("etc/ld.so.conf", "/opt/zlib\n")
    if with_cache:
        layer.file("etc/ld.so.cache", make_ld_so_cache(files), mode=0o644)
    return layer


def make_ld_so_cache(zlib_files):
    base = base_layer("debian12", "base")
    tmp = tempfile.mkdtemp(prefix="dlcheck-ldcache.")
    try:
        for lay in (base,):
            for p, e in lay.entries.items():
                dst = os.path.join(tmp, p)
                if e["type"] == tarfile.DIRTYPE:
                    os.makedirs(dst, exist_ok=True)
                elif e["type"] in (tarfile.REGTYPE, tarfile.SYMTYPE):
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                    if e["type"] == tarfile.SYMTYPE:
                        os.symlink(e["linkname"], dst)
                    else:
                        with open(dst, "wb") as f:
                            f.write(e["data"])
        os.makedirs(os.path.join(tmp, "opt/zlib"))
        for p, (ti, data) in zlib_files.items():
            dst = os.path.join(tmp, "opt/zlib", os.path.basename(p))
            if ti.issym():
                os.symlink(ti.linkname, dst)
            else:
                with open(dst, "wb") as f:
                    f.write(data)
        with open(os.path.join(tmp, "etc/ld.so.conf"), "w") as f:
            f.write("/opt/zlib\n")
        subprocess.run(["ldconfig", "-r", tmp, "-C", "etc/ld.so.cache", "-f", "etc/ld.so.conf"], check=True)
        with open(os.path.join(tmp, "etc/ld.so.cache"), "rb") as f:
            return f.read()
    finally:
        shutil.rmtree(tmp)


def huge_member_layer():
    """A tar whose one member claims 1 TiB (pax `size` record) and then ends
    after 512 bytes of data, without the end-of-archive blocks."""
    ti = tarfile.TarInfo("data/huge.bin")
    ti.size = 1 << 40
    ti.mtime, ti.mode, ti.uname, ti.gname = 0, 0o644, "", ""
    return ti.tobuf(tarfile.PAX_FORMAT) + b"\0" * 512


class RawLayer(Layer):
    def __init__(self, data, created_by):
        super().__init__(created_by, desc=created_by)
        self.data = data

    def tar(self):
        return self.data


def images():
    """[(name, writer, payload, expected)]"""
    out = []

    def add(name, kind, payload, starts, outcome, why, **extra):
        e = {"starts": starts, "outcome": outcome, "why": why}
        e.update(extra)
        out.append((name, kind, payload, e))

    cc12 = lambda: base_layer("debian12", "cc")
    base12 = lambda: base_layer("debian12", "base")
    static12 = lambda arch="amd64": base_layer("debian12", "static", arch)
    ep = lambda argv: 'ENTRYPOINT %s' % json.dumps(argv)

    add("docker-cc12.tar", "docker-legacy",
        Image("docker-cc12.tar", [(cc12(), GZ), (app_layer("app", "cxx-dynamic"), None)],
              user="nonroot", workdir="/home/nonroot", entrypoint=["/app"],
              extra_history=["USER nonroot", "WORKDIR /home/nonroot", ep(["/app"])]),
        True, "starts", "cc-debian12 has libstdc++.so.6, libgcc_s.so.1, libm and libc; user nonroot is 65532 in /etc/passwd")

    add("oci-base11-gzip.tar", "oci-archive",
        Image("oci-base11-gzip.tar", [(base_layer("debian11", "base"), None), (app_layer("app", "c-dynamic"), None)],
              compression=GZ, user="0", entrypoint=["/app"], extra_history=[ep(["/app"])]),
        False, "crashes",
        "/app: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required by /app) (bullseye glibc 2.31)")

    add("oci-static12-zstd", "oci-dir",
        Image("oci-static12-zstd", [(static12(), None), (app_layer("app", "go123-static"), None)],
              compression=ZS, user="0", entrypoint=["/app"], extra_history=[ep(["/app"])]),
        True, "starts", "go123-static is a static executable (no PT_INTERP): static-debian12 runs it")

    wh = Layer("RUN rm /usr/lib/x86_64-linux-gnu/libstdc++.so.6*",
               desc="whiteouts usr/lib/x86_64-linux-gnu/.wh.libstdc++.so.6 and .wh.libstdc++.so.6.0.30")
    wh.file("usr/lib/x86_64-linux-gnu/.wh.libstdc++.so.6", b"")
    wh.file("usr/lib/x86_64-linux-gnu/.wh.libstdc++.so.6.0.30", b"")
    add("whiteout.tar", "docker-blobs",
        Image("whiteout.tar", [(cc12(), GZ), (wh, None), (app_layer("app", "cxx-dynamic"), None)],
              user="0", entrypoint=["/app"], extra_history=[ep(["/app"])]),
        False, "crashes",
        "/app: error while loading shared libraries: libstdc++.so.6: cannot open shared object file: No such file or directory (removed by whiteouts in layer 2)")

    opq = Layer("RUN rm -rf /usr/lib/x86_64-linux-gnu && mkdir /usr/lib/x86_64-linux-gnu; COPY libdemo.so.1 /usr/lib/x86_64-linux-gnu/",
                desc="usr/lib/x86_64-linux-gnu/.wh..wh..opq + libdemo.so.1")
    opq.dir("usr/lib/x86_64-linux-gnu")
    opq.file("usr/lib/x86_64-linux-gnu/.wh..wh..opq", b"")
    opq.file("usr/lib/x86_64-linux-gnu/libdemo.so.1", fixture("libdemo.so.1"))
    add("opaque.tar", "docker-blobs",
        Image("opaque.tar", [(cc12(), GZ), (opq, None), (app_layer("app", "cxx-dynamic"), None)],
              user="0", entrypoint=["/app"], extra_history=[ep(["/app"])]),
        False, "crashes",
        "/app: error while loading shared libraries: libstdc++.so.6: cannot open shared object file: No such file or directory (layer 2 makes /usr/lib/x86_64-linux-gnu opaque)")

    real = app_layer("opt/app/bin/real", "c-dynamic")
    link = Layer("RUN ln -s /opt/app/bin/real /usr/local/bin/app", desc="/usr/local/bin/app -> /opt/app/bin/real")
    link.symlink("usr/local/bin/app", "/opt/app/bin/real")
    add("symlink-entrypoint.tar", "docker-blobs",
        Image("symlink-entrypoint.tar", [(base12(), GZ), (real, None), (link, None)],
              user="0", entrypoint=["app"], extra_history=[ep(["app"])]),
        True, "starts",
        "\"app\" is found through PATH at /usr/local/bin/app, an absolute symlink to /opt/app/bin/real (c-dynamic, needs glibc >= 2.34: bookworm has 2.36)")

    add("shell-form.tar", "docker-blobs",
        Image("shell-form.tar", [(base12(), GZ), (app_layer("app", "c-dynamic"), None)],
              user="0", entrypoint=["/bin/sh", "-c", "/app --serve"],
              extra_history=["ENTRYPOINT /app --serve"]),
        False, "crashes",
        "exec: \"/bin/sh\": stat /bin/sh: no such file or directory (shell-form ENTRYPOINT; distroless has no shell)")

    add("missing-user.tar", "docker-legacy",
        Image("missing-user.tar", [(base12(), GZ), (app_layer("app", "c-dynamic"), None)],
              user="appuser", entrypoint=["/app"], extra_history=["USER appuser", ep(["/app"])]),
        False, "crashes", "unable to find user appuser: no matching entries in passwd file")

    add("numeric-user.tar", "docker-legacy",
        Image("numeric-user.tar", [(base12(), GZ), (app_layer("app", "c-dynamic"), None)],
              user="1234:1234", entrypoint=["/app"], extra_history=["USER 1234:1234", ep(["/app"])]),
        True, "starts", "numeric uid:gid needs no /etc/passwd entry; c-dynamic runs on base-debian12")

    add("script-entrypoint.tar", "docker-blobs",
        Image("script-entrypoint.tar", [(base12(), GZ), (app_layer("app/run.sh", "script.sh"), None)],
              user="0", entrypoint=["/app/run.sh"], extra_history=[ep(["/app/run.sh"])]),
        False, "crashes",
        "exec /app/run.sh: no such file or directory (#!/bin/sh: the interpreter /bin/sh does not exist; execve returns ENOENT)")

    amd = Image("multi-platform.tar", [(static12("amd64"), GZ), (app_layer("app", "go123-static"), GZ)],
                user="0", entrypoint=["/app"], extra_history=[ep(["/app"])])
    arm = Image("multi-platform.tar", [(static12("arm64"), GZ), (app_layer("app", "go123-arm64"), GZ)],
                arch="arm64", variant="v8", user="0", entrypoint=["/app"], extra_history=[ep(["/app"])])
    add("multi-platform.tar", "oci-multi", [amd, arm], True, "starts",
        "image index: linux/amd64 runs go123-static, linux/arm64 runs go123-arm64; both static, both start on their platform",
        platforms={"linux/amd64": True, "linux/arm64/v8": True})

    add("ldcache.tar", "docker-blobs",
        Image("ldcache.tar", [(base12(), GZ), (ldcache_layer(True), None), (app_layer("app", "c-libz"), None)],
              user="0", entrypoint=["/app"], extra_history=[ep(["/app"])]),
        True, "starts",
        "libz.so.1 is only in /opt/zlib, which is not a default directory, but /etc/ld.so.cache maps libz.so.1 to /opt/zlib/libz.so.1")

    add("noldcache.tar", "docker-legacy",
        Image("noldcache.tar", [(base12(), GZ), (ldcache_layer(False), None), (app_layer("app", "c-libz"), None)],
              user="0", entrypoint=["/app"], extra_history=[ep(["/app"])]),
        False, "crashes",
        "/app: error while loading shared libraries: libz.so.1: cannot open shared object file: No such file or directory (/opt/zlib is only in /etc/ld.so.conf, which the loader never reads; there is no /etc/ld.so.cache)")

    add("debian13-usrmerge.tar", "docker-blobs",
        Image("debian13-usrmerge.tar", [(base_layer("debian13", "base"), GZ), (app_layer("app", "c-dynamic"), None)],
              user="0", entrypoint=["/app"], extra_history=[ep(["/app"])]),
        True, "starts",
        "/lib64 -> usr/lib64, usr/lib64/ld-linux-x86-64.so.2 -> ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2; /lib -> usr/lib holds libc.so.6 (glibc 2.41)")

    add("no-entrypoint.tar", "docker-blobs",
        Image("no-entrypoint.tar", [(base12(), GZ)], user="0"),
        False, "error", "no Entrypoint and no Cmd: docker run says \"no command specified\"")

    # ---- hostile archives -------------------------------------------------
    musl = lambda: app_layer("app", "musl-static")
    dd = Layer("hostile: members that climb out of the root", desc="../../../tmp/dlcheck-pwned, usr/../../escape")
    dd.raw("../../../tmp/dlcheck-pwned", b"pwned\n")
    dd.raw("usr/../../escape", b"pwned\n")
    add("evil-dotdot.tar", "docker-blobs",
        Image("evil-dotdot.tar", [(static12(), None), (dd, None), (musl(), None)],
              user="0", entrypoint=["/app"], extra_history=[ep(["/app"])]),
        False, "reject",
        "layer 2 has members ../../../tmp/dlcheck-pwned and usr/../../escape that leave the root: reject the archive (docker load fails with a breakout error); nothing may be written")

    ab = Layer("hostile: absolute member names", desc="/etc/passwd (+appuser), /app = musl-static (absolute names)")
    ab.raw("/etc/passwd", PASSWD + "appuser:x:1000:1000::/nonexistent:/sbin/nologin\n")
    ab.raw("/app", fixture("musl-static"), mode=0o755)
    add("evil-absolute.tar", "docker-blobs",
        Image("evil-absolute.tar", [(static12(), None), (ab, None)],
              user="appuser", entrypoint=["/app"], extra_history=["USER appuser", ep(["/app"])]),
        True, "starts",
        "members /etc/passwd and /app have absolute names; Docker (filepath.Join(root, name)) puts them inside the root, so we treat them as etc/passwd and app: /etc/passwd then has appuser and /app (musl-static) starts on static-debian12. Reading them as host paths would be a bug.")

    lp = Layer("hostile: symlink loop", desc="app -> /b, b -> /app")
    lp.symlink("app", "/b")
    lp.symlink("b", "/app")
    add("evil-linkloop.tar", "docker-legacy",
        Image("evil-linkloop.tar", [(static12(), None), (lp, None)],
              user="0", entrypoint=["/app"], extra_history=[ep(["/app"])]),
        False, "crashes",
        "/app -> /b -> /app: exec /app: too many levels of symbolic links (ELOOP); the check must stop, not loop")

    add("evil-huge.tar", "oci-archive-sizes",
        (Image("evil-huge.tar", [(static12(), GZ), (RawLayer(huge_member_layer(), "hostile: 1 TiB member"), None),
                                 (musl(), GZ)],
               user="0", entrypoint=["/app"], extra_history=[ep(["/app"])]),
         {2: 1 << 40}),
        False, "reject",
        "layer 2 (plain tar, 2048 bytes) has a member whose pax header claims 1 TiB and the tar ends after 512 bytes; layer 3 (gzip) is listed in the manifest with size 1099511627776 but is a few KB: reject (truncated layer / size mismatch) without allocating or reading 1 TiB")

    add("evil-huge-member.tar", "docker-legacy",
        Image("evil-huge-member.tar", [(static12(), None), (RawLayer(huge_member_layer(), "hostile: 1 TiB member"), None),
                                       (musl(), None)],
              user="0", entrypoint=["/app"], extra_history=[ep(["/app"])]),
        False, "reject",
        "the 1 TiB tar member of evil-huge.tar alone (layer 2: pax size=1099511627776, then 512 bytes and EOF) in a docker save archive, which has no descriptor sizes; every digest and diff_id is correct: reject the layer as truncated without allocating or reading 1 TiB")

    add("evil-size.tar", "oci-archive-sizes",
        (Image("evil-size.tar", [(static12(), GZ), (musl(), GZ)],
               user="0", entrypoint=["/app"], extra_history=[ep(["/app"])]),
         {1: "+1"}),
        False, "reject",
        "the manifest gives layer 2 (gzip) a size one byte larger than the blob (digest correct): a descriptor whose size does not match must be rejected")

    add("evil-manifest.tar", "docker-legacy-evil",
        Image("evil-manifest.tar", [(static12(), None), (musl(), None)],
              user="0", entrypoint=["/app"], extra_history=[ep(["/app"])]),
        False, "reject",
        "manifest.json lists the layer \"../../etc/shadow\", outside the archive: reject; never open a host file")
    return out


def write_tree(path, files):
    os.makedirs(path)
    for p in sorted(files):
        dst = os.path.join(path, p)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "wb") as f:
            f.write(files[p])


def build_all():
    outputs, expected, rows = {}, {}, []
    for name, kind, payload, exp in images():
        if kind == "docker-legacy":
            files = docker_legacy_files(payload)
        elif kind == "docker-legacy-evil":
            files = docker_legacy_files(payload)
            m = json.loads(files["manifest.json"])
            dropped = m[0]["Layers"][-1]
            m[0]["Layers"][-1] = "../../etc/shadow"
            files["manifest.json"] = cjson(m) + b"\n"
            # drop the app layer the manifest no longer names
            d = dropped.split("/")[0]
            for suffix in ("/layer.tar", "/json", "/VERSION"):
                files.pop(d + suffix)
        elif kind == "docker-blobs":
            files = docker_blobs_files(payload)
        elif kind in ("oci-archive", "oci-dir"):
            files = oci_files(payload)
        elif kind == "oci-archive-sizes":
            img, sizes = payload
            _, layers = img.build()
            so = {i: (len(layers[i][0]) + 1 if v == "+1" else v) for i, v in sizes.items()}
            files = oci_files(img, so)
        elif kind == "oci-multi":
            files = oci_multi_files(payload)
        else:
            raise ValueError(kind)
        outputs[name] = files if kind == "oci-dir" else tar_archive(files)
        exp = dict(exp)
        exp["format"] = FORMAT_NAMES[kind]
        expected[name] = exp
        size = sum(len(b) for b in files.values()) if kind == "oci-dir" else len(outputs[name])
        rows.append((name, kind, payload, exp, size))

    # everything in testdata/images/ is generated: replace it as a whole
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    total = 0
    for name, data in outputs.items():
        dst = os.path.join(OUT, name)
        if isinstance(data, dict):
            write_tree(dst, data)
            total += sum(len(b) for b in data.values())
        else:
            with open(dst, "wb") as f:
                f.write(data)
            total += len(data)
        log("wrote %s" % os.path.relpath(dst, REPO))
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2, sort_keys=True)
        f.write("\n")
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write(readme(rows, total))


def layer_cell(img):
    comp = {None: "tar", "gzip": "gzip", "zstd": "zstd"}
    return " + ".join("%s (%s)" % (l.desc, comp[c]) for l, c in img.layers)


def config_cell(img):
    parts = []
    if img.entrypoint is not None:
        parts.append("Entrypoint `%s`" % json.dumps(img.entrypoint))
    if img.cmd is not None:
        parts.append("Cmd `%s`" % json.dumps(img.cmd))
    if not parts:
        parts.append("no Entrypoint, no Cmd")
    parts.append("User `%s`" % (img.user or ""))
    if img.workdir != "/":
        parts.append("WorkingDir `%s`" % img.workdir)
    return ", ".join(parts)


def readme(rows, total):
    out = [README_HEAD]
    out.append("| file | size | format | layers, bottom to top (compression) | config | expected |")
    out.append("|---|---:|---|---|---|---|")
    for name, kind, payload, exp, size in rows:
        if kind == "oci-multi":
            layers = "<br>".join("%s/%s: %s" % (i.platform()["os"], i.platform()["architecture"], layer_cell(i)) for i in payload)
            cfg = config_cell(payload[0])
        else:
            img = payload[0] if isinstance(payload, tuple) else payload
            layers, cfg = layer_cell(img), config_cell(img)
        out.append("| `%s` | %d KiB | %s | %s | %s | **%s**: %s |" % (
            name, (size + 1023) // 1024, FORMAT_NAMES[kind], layers, cfg, exp["outcome"], exp["why"].replace("|", "\\|")))
    out.append("")
    out.append(README_DEBS_HEAD)
    out.append("| generation | package | version | suite | SHA256 of the .deb | lock file |")
    out.append("|---|---|---|---|---|---|")
    for (gen, pkg), e in sorted(USED_DEBS.items()):
        out.append("| %s | %s | %s | %s | `%s` | `%s` |" % (gen, pkg, e["version"], e["suite"], e["sha256"], e["lock"]))
    out.append("")
    out.append(README_TAIL % {"total": total, "mib": total / 1048576.0})
    return "\n".join(out)


README_HEAD = """# Container images for dlcheck's image mode

Generated by `python3 scripts/build-test-images.py`: do not edit by hand (the
script rewrites this whole directory, this file included). `expected.json`
gives the expected verdict of every image.

## What the layers contain

**The layers are trimmed.** Each distroless base layer holds only the files
dlcheck needs, not the whole image. They are taken from the real Debian .debs
(versions below) with their real paths, modes and symlinks:

- the glibc loader and its symlinks: debian11 `/lib/x86_64-linux-gnu/ld-2.31.so`,
  `/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 -> ld-2.31.so` and
  `/lib64/ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/ld-2.31.so` (absolute);
  debian12 `/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2` and
  `/lib64/ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2`
  (absolute); debian13 `/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2` and
  `/usr/lib64/ld-linux-x86-64.so.2 -> ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2`,
- `libc.so.6` and `libm.so.6` (debian11: `libc.so.6 -> libc-2.31.so`,
  `libm.so.6 -> libm-2.31.so`),
- cc only: `/lib/x86_64-linux-gnu/libgcc_s.so.1` and
  `/usr/lib/x86_64-linux-gnu/libstdc++.so.6 -> libstdc++.so.6.0.30`,
- the files the distroless build generates: `/etc/passwd` (root 0, nobody
  65534, nonroot 65532, all with shell `/sbin/nologin`), `/etc/group`,
  `/etc/nsswitch.conf`, `/usr/lib/os-release` (`PRETTY_NAME="Distroless"`,
  `VERSION_ID` of the generation) and `/etc/os-release -> ../usr/lib/os-release`,
  `/tmp` (mode 1777), `/root` (0700), `/home/nonroot` (0700, owner
  65532:65532 as in distroless; every other entry is owned by 0:0),
- `/etc/ssl/certs/ca-certificates.crt`: **a three-line placeholder**, not the
  real CA bundle (the path exists, as `SSL_CERT_FILE` says),
- `/var/lib/dpkg/status.d/<package>`: the package's `control` file, only for
  the packages whose files are included (libc6; cc adds libgcc-s1 and
  libstdc++6),
- skeleton directories: debian11/12 `/bin`, `/sbin`, `/lib`, `/usr/bin`,
  `/usr/sbin`, `/usr/lib`, `/usr/local/bin` are real directories (not
  usr-merged); debian13 has `/bin -> usr/bin`, `/sbin -> usr/sbin`,
  `/lib -> usr/lib`, `/lib64 -> usr/lib64` (relative symlinks, as trixie's
  base-files ships them) and real `/usr/bin`, `/usr/sbin`, `/usr/lib`, `/usr/lib64`.

Left out: base-files, netbase, tzdata, media-types, libssl, libgomp1,
gcc-N-base (their files and status.d records) and the other libraries of
libc6. So a file that a real image has may be missing here (for example
`/usr/lib/x86_64-linux-gnu/libssl.so.3` or `/usr/share/zoneinfo`); none of
the fixtures needs one. There is no shell and no `/etc/ld.so.cache` (as in
distroless); ldcache.tar adds a cache.

static images have no library and no status.d record. The amd64 and arm64
static-debian12 layers are byte-identical (only the configs' architecture
differs), so multi-platform.tar stores that blob once, for both manifests.

## Formats

- **docker-save-legacy**: `docker save` of Docker 24 and older: per layer
  `<id>/layer.tar`, `<id>/json`, `<id>/VERSION`; the config as
  `<sha256>.json`; `manifest.json` (`[{"Config","RepoTags","Layers"}]`) and
  `repositories`. The `<id>`s are derived deterministically (sha256 of parent
  id, diff_id and, for the top layer, the config digest), not with Docker's
  own algorithm.
- **docker-save-oci**: `docker save` of Docker 25 and newer: an OCI image
  layout (`oci-layout`, `index.json` with the annotations
  `io.containerd.image.name` and `org.opencontainers.image.ref.name`,
  `blobs/sha256/<hex>` holding the OCI manifest, the config and the layers)
  plus `manifest.json` whose `Config` and `Layers` are `blobs/sha256/<hex>`
  paths, and `repositories`.
- **oci-archive**: an OCI image layout in a tar: `oci-layout`, `index.json`
  (one manifest, annotation `org.opencontainers.image.ref.name: latest`),
  `blobs/sha256/...`; no `manifest.json`.
- **oci-archive-index**: the same, but `index.json` points to an image index
  blob (`application/vnd.oci.image.index.v1+json`) that lists one manifest
  per platform with its `platform`, as `docker buildx build --output type=oci`
  and `skopeo copy --all` write it.
- **oci-dir**: an OCI image layout directory (same files, not in a tar).

Compression: Docker 24 and older always save uncompressed layers. To keep
this directory small, the library layers are gzip-compressed (level 9) in the
docker-save archives too, even inside `<id>/layer.tar` (`docker load`
accepts that; a reader must look at the magic bytes, not at the name). App,
whiteout and hostile layers stay plain tars, so each docker-save archive
mixes both. With Docker 25+ and the containerd image store, `docker save`
keeps the compressed blobs it pulled, so compressed layers are realistic
there. In OCI manifests the layer media type always matches the blob
(`application/vnd.oci.image.layer.v1.tar`, `...tar+gzip`, `...tar+zstd`).
`rootfs.diff_ids` are the sha256 of the uncompressed layer tars; blob names
and descriptor digests are the sha256 of the stored bytes.

Configs are shaped like real ones: `architecture`, `os` (and `variant: v8`
for arm64), `created` 1970-01-01T00:00:00Z, `config.Env` = `PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`
and `SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt`,
Entrypoint/Cmd/User/WorkingDir as listed below (WorkingDir `/` when not
listed), `rootfs.diff_ids` and `history` (one entry per layer, plus
`empty_layer` entries for USER, WORKDIR and ENTRYPOINT). Tags are
`dlcheck-test/<name>:latest`.

## Images

"""

README_DEBS_HEAD = """`expected.json`: `{name: {"starts", "outcome", "why", "format"}}` (plus
`platforms` for multi-platform.tar). `outcome` is `starts` (`starts: true`),
`crashes` (the container is created but its command cannot start: the
runtime's or the dynamic loader's message is in `why`), `error` (nothing to
start: no Entrypoint and no Cmd) or `reject` (a hostile or inconsistent
archive: dlcheck must refuse it with a clear error, write nothing anywhere,
read nothing outside the archive, and neither allocate nor read the sizes it
claims). `starts` is false for everything but `starts`.

Our expectations for the hostile archives:

- `evil-dotdot.tar`: reject (Docker refuses such members with a breakout error).
- `evil-absolute.tar`: **not** rejected. Absolute member names are taken as
  relative to the image root, as Docker does (`filepath.Join(root, name)`):
  `/etc/passwd` and `/app` replace the image's `etc/passwd` and `app`, so the
  user `appuser` exists and `/app` starts. Reading the host's files would be a bug.
- `evil-linkloop.tar`: a well-formed archive whose entrypoint is a symlink
  loop: the verdict is a crash (ELOOP, `too many levels of symbolic links`);
  dlcheck must stop following links (Linux gives up after 40).
- `evil-huge.tar`, `evil-huge-member.tar`, `evil-size.tar`: reject without
  trying to allocate or read what the headers or descriptors claim.
- `evil-manifest.tar`: reject; never open `../../etc/shadow` (or any path)
  outside the archive.

The verdicts of the amd64 images that are not `reject` were checked by really
starting them: `python3 scripts/build-test-images.py --run` (as root)
unpacks the merged layers (whiteouts applied) into a temporary directory and
starts Entrypoint + Cmd there with chroot(2), the config's user (looked up in
the image's `/etc/passwd`, as runc does), its working directory and
environment, with a plain execve(2) (a bare command name is looked up in the
image's PATH first). The loader messages in `why` are the ones it printed;
`unable to find user ...`, `exec: "/bin/sh": stat /bin/sh: ...` and `no
command specified` are Docker's wording. The arm64 half of multi-platform.tar
was not run (no arm64 host or emulator here).

## Debian packages

Library files come from these amd64 .debs, downloaded from Debian's archive
and checked against the SHA256 of the lock file (see the script's header):

"""

README_TAIL = """## Rebuild and check

    python3 scripts/build-test-images.py           # rebuild this directory, then --verify
    python3 scripts/build-test-images.py --verify  # digests, sizes, media types, diff_ids,
                                                   # history, entrypoint resolution
    python3 scripts/build-test-images.py --run     # as root: --verify, then start each amd64 image

Needs python3 (standard library only), `zstd` (Debian package zstd) and
`ldconfig` (libc-bin) on an x86_64 Linux host, and the fixtures of
`testdata/bin/`. The .debs are read from `scripts/crashes/.cache/`
(`bash scripts/record-crashes.sh` fills it) or `scripts/images/.cache/`, and
downloaded there when missing. Two runs give byte-identical files, given the
same zlib, zstd and ldconfig versions (`ld.so.cache` names the ldconfig that
wrote it; here glibc 2.36, zstd 1.5.4).

Total size of the generated files: %(total)d bytes (%(mib).1f MiB).
"""


FORMAT_NAMES = {
    "docker-legacy": "docker-save-legacy",
    "docker-legacy-evil": "docker-save-legacy",
    "docker-blobs": "docker-save-oci",
    "oci-archive": "oci-archive",
    "oci-archive-sizes": "oci-archive",
    "oci-dir": "oci-dir",
    "oci-multi": "oci-archive-index",
}


# --------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------
class Bad(Exception):
    pass


def sniff_decompress(blob):
    if blob[:2] == b"\x1f\x8b":
        return gzip.decompress(blob), "gzip"
    if blob[:4] == b"\x28\xb5\x2f\xfd":
        return subprocess.run(["zstd", "-dcq"], input=blob, stdout=subprocess.PIPE, check=True).stdout, "zstd"
    return blob, None


def open_source(path):
    """{member path: bytes} of an archive or a layout directory (no symlinks
    followed, names checked)."""
    files = {}
    if os.path.isdir(path):
        for dirpath, dirnames, filenames in os.walk(path):
            for fn in filenames:
                full = os.path.join(dirpath, fn)
                with open(full, "rb") as f:
                    files[os.path.relpath(full, path)] = f.read()
        return files
    with tarfile.open(path) as t:
        for ti in t.getmembers():
            if ti.isfile():
                if ti.name.startswith("/") or ".." in ti.name.split("/"):
                    raise Bad("outer member " + ti.name)
                files[ti.name] = t.extractfile(ti).read()
    return files


def load_images(path):
    """-> list of (platform, config dict, [(blob, declared mediaType or None, declared size or None)])."""
    files = open_source(path)
    result = []
    if "index.json" in files and "manifest.json" not in files:
        idx = json.loads(files["index.json"])

        def blob(d):
            key = "blobs/sha256/" + d["digest"].split(":", 1)[1]
            if key not in files:
                raise Bad("missing blob " + d["digest"])
            b = files[key]
            if "sha256:" + sha256(b) != d["digest"]:
                raise Bad("digest mismatch " + d["digest"])
            return b

        def walk(d, platform):
            b = blob(d)
            if len(b) != d["size"]:
                raise Bad("size mismatch for %s: %d != %d" % (d["digest"], len(b), d["size"]))
            doc = json.loads(b)
            if doc.get("mediaType", d["mediaType"]) != d["mediaType"]:
                raise Bad("mediaType mismatch")
            if d["mediaType"] == MT_INDEX:
                for m in doc["manifests"]:
                    p = m.get("platform")
                    walk(m, "%s/%s%s" % (p["os"], p["architecture"], "/" + p["variant"] if p.get("variant") else "") if p else platform)
            elif d["mediaType"] == MT_MANIFEST:
                cfg = blob(doc["config"])
                if len(cfg) != doc["config"]["size"] or doc["config"]["mediaType"] != MT_CONFIG:
                    raise Bad("config descriptor")
                layers = []
                for l in doc["layers"]:
                    lb = blob(l)
                    if len(lb) != l["size"]:
                        raise Bad("layer %s: %d bytes, manifest says %d" % (l["digest"][:19], len(lb), l["size"]))
                    layers.append((lb, l["mediaType"], l["size"]))
                result.append((platform, json.loads(cfg), layers))
            else:
                raise Bad("unknown mediaType " + d["mediaType"])

        if json.loads(files["oci-layout"]) != {"imageLayoutVersion": "1.0.0"}:
            raise Bad("oci-layout")
        for m in idx["manifests"]:
            if "org.opencontainers.image.ref.name" not in m.get("annotations", {}):
                raise Bad("no ref.name annotation")
            walk(m, None)
        return result
    man = json.loads(files["manifest.json"])
    for m in man:
        cfg = files[m["Config"]]
        if m["Config"].startswith("blobs/sha256/") and sha256(cfg) != m["Config"].split("/")[-1]:
            raise Bad("config digest")
        if m["Config"].endswith(".json") and sha256(cfg) != m["Config"][:-5]:
            raise Bad("config digest")
        layers = []
        for lp in m["Layers"]:
            if lp.startswith("/") or ".." in lp.split("/"):
                raise Bad("manifest layer path " + lp)
            lb = files[lp]
            if lp.startswith("blobs/sha256/") and sha256(lb) != lp.split("/")[-1]:
                raise Bad("layer digest " + lp)
            layers.append((lb, None, None))
        result.append((None, json.loads(cfg), layers))
    if "index.json" in files:  # Docker 25+: the OCI side must agree
        oci = load_images_from_index(path)
        if [c for _, c, _ in oci] != [c for _, c, _ in result]:
            raise Bad("index.json and manifest.json disagree")
    return result


def load_images_from_index(path):
    files = open_source(path)
    tmp = dict(files)
    tmp.pop("manifest.json")
    d = tempfile.mkdtemp(prefix="dlcheck-verify.")
    try:
        write_tree(os.path.join(d, "x"), tmp)
        return load_images(os.path.join(d, "x"))
    finally:
        shutil.rmtree(d)


def layer_members(raw):
    """[(TarInfo, data)] of an uncompressed layer; raises Bad on a hostile name."""
    out = []
    with tarfile.open(fileobj=io.BytesIO(raw)) as t:
        for ti in t.getmembers():
            name = ti.name
            if ".." in name.split("/"):
                raise Bad("layer member " + name)
            out.append((ti, t.extractfile(ti).read() if ti.isfile() else None))
    return out


def merge(layers):
    """Apply layers with whiteouts; -> {path: (TarInfo, data)}."""
    fs = {}
    for raw in layers:
        members = layer_members(raw)
        for ti, _ in members:
            p = norm(ti.name)
            base, d = os.path.basename(p), os.path.dirname(p)
            if base == ".wh..wh..opq":
                for k in [k for k in fs if k.startswith(d + "/")]:
                    del fs[k]
            elif base.startswith(".wh."):
                victim = os.path.join(d, base[4:]) if d else base[4:]
                for k in [k for k in fs if k == victim or k.startswith(victim + "/")]:
                    del fs[k]
        for ti, data in members:
            p = norm(ti.name)
            if not os.path.basename(p).startswith(".wh."):
                fs[p] = (ti, data)
    return fs


def resolve(fs, path, limit=40):
    """Resolve an absolute path inside the merged tree (symlinks followed);
    -> relative path of the final file, or raises Bad('ELOOP'/'ENOENT')."""
    parts = [x for x in path.split("/") if x]
    cur, hops = [], 0
    while parts:
        c = parts.pop(0)
        if c == ".":
            continue
        if c == "..":
            if cur:
                cur.pop()
            continue
        p = "/".join(cur + [c])
        if p not in fs:
            # implicit parent directories
            if any(k.startswith(p + "/") for k in fs):
                cur.append(c)
                continue
            raise Bad("ENOENT " + path)
        ti = fs[p][0]
        if ti.issym():
            hops += 1
            if hops > limit:
                raise Bad("ELOOP " + path)
            tgt = ti.linkname
            if tgt.startswith("/"):
                cur = []
            parts = [x for x in tgt.split("/") if x] + parts
        else:
            cur.append(c)
    return "/".join(cur)


def verify():
    with open(os.path.join(OUT, "expected.json")) as f:
        expected = json.load(f)
    ok = True
    for name, exp in sorted(expected.items()):
        path = os.path.join(OUT, name)
        notes = []
        try:
            imgs = load_images(path)
            for platform, cfg, layers in imgs:
                raws, comps = [], []
                for i, (blob, mt, size) in enumerate(layers):
                    raw, how = sniff_decompress(blob)
                    if mt is not None and mt != MT_LAYER[how]:
                        raise Bad("layer %d: mediaType %s but content is %s" % (i + 1, mt, how))
                    if "sha256:" + sha256(raw) != cfg["rootfs"]["diff_ids"][i]:
                        raise Bad("layer %d: diff_id mismatch" % (i + 1))
                    raws.append(raw)
                    comps.append(how or "tar")
                if len(cfg["history"]) - sum(1 for h in cfg["history"] if h.get("empty_layer")) != len(raws):
                    raise Bad("history does not match the layers")
                fs = merge(raws)
                c = cfg["config"]
                argv = (c.get("Entrypoint") or []) + (c.get("Cmd") or [])
                if not argv:
                    raise Bad("no command")
                prog = argv[0]
                if "/" not in prog:
                    for d in dict(e.split("=", 1) for e in c["Env"])["PATH"].split(":"):
                        try:
                            resolve(fs, d + "/" + prog)
                            prog = d + "/" + prog
                            break
                        except Bad:
                            pass
                target = resolve(fs, prog)
                notes.append("%slayers %s; %s -> /%s" % (platform + ": " if platform else "", ",".join(comps), prog, target))
            verdict = "checked"
        except (Bad, KeyError, tarfile.TarError, EOFError, OSError, ValueError) as e:
            verdict = "%s: %s" % (type(e).__name__, e)
        good = True
        if exp["outcome"] == "reject":
            good = verdict != "checked"
        elif exp["outcome"] == "error":
            good = verdict == "Bad: no command"
        elif name == "evil-linkloop.tar":
            good = verdict.startswith("Bad: ELOOP")
        elif name == "shell-form.tar":
            good = verdict.startswith("Bad: ENOENT /bin/sh")
        else:
            good = verdict == "checked"
        ok &= good
        print("%-4s %-24s %-8s %s" % ("ok" if good else "FAIL", name, exp["outcome"],
                                      verdict if verdict != "checked" else " | ".join(notes)))
    return ok


# --------------------------------------------------------------------------
# --run: unpack each amd64 image and start it the way runc would
# --------------------------------------------------------------------------
def unpack(fs, root):
    for p in sorted(fs, key=lambda s: s.split("/")):
        ti, data = fs[p]
        dst = os.path.join(root, p)
        # never write through a symlink of the tree
        cur = root
        for comp in p.split("/")[:-1]:
            cur = os.path.join(cur, comp)
            if os.path.islink(cur):
                raise Bad("symlinked parent " + p)
            os.makedirs(cur, exist_ok=True)
        if ti.isdir():
            os.makedirs(dst, exist_ok=True)
            os.chmod(dst, ti.mode)
            os.chown(dst, ti.uid, ti.gid)
        elif ti.issym():
            os.symlink(ti.linkname, dst)
        elif ti.isfile():
            with open(dst, "wb") as f:
                f.write(data)
            os.chmod(dst, ti.mode)


def run_image(cfg, layers):
    fs = merge([sniff_decompress(b)[0] for b, _, _ in layers])
    c = cfg["config"]
    argv = (c.get("Entrypoint") or []) + (c.get("Cmd") or [])
    if not argv:
        return 125, "no command specified"
    root = tempfile.mkdtemp(prefix="dlcheck-run.")
    try:
        unpack(fs, root)
        os.chmod(root, 0o755)
        user = c.get("User") or "0"
        u, _, g = user.partition(":")
        uid = gid = None
        if u.isdigit():
            uid, gid = int(u), 0
        else:
            for line in open(os.path.join(root, "etc/passwd")):
                f = line.split(":")
                if f[0] == u:
                    uid, gid = int(f[2]), int(f[3])
            if uid is None:
                return 125, "unable to find user %s: no matching entries in passwd file" % u
        if g:
            gid = int(g)
        env = dict(e.split("=", 1) for e in c["Env"])
        prog = argv[0]
        if "/" not in prog:
            for d in env["PATH"].split(":"):
                if os.path.lexists(os.path.join(root, d.lstrip("/"), prog)):
                    prog = d + "/" + prog
                    break
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(r)
                os.dup2(w, 2)
                os.dup2(w, 1)
                for sig in (signal.SIGPIPE, signal.SIGXFSZ):
                    signal.signal(sig, signal.SIG_DFL)
                os.chroot(root)
                os.chdir(c.get("WorkingDir") or "/")
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
                try:
                    os.stat(prog)
                except OSError as e:
                    os.write(2, ('exec: "%s": stat %s: %s\n' % (prog, prog, os.strerror(e.errno).lower())).encode())
                    os._exit(127)
                os.execve(prog, [prog] + argv[1:], env)
            except OSError as e:
                os.write(2, ("exec %s: %s\n" % (prog, os.strerror(e.errno).lower())).encode())
            except BaseException as e:  # never return into the parent's code
                os.write(2, ("run_image: %r\n" % e).encode())
            os._exit(127)
        os.close(w)
        out = b""
        while True:
            chunk = os.read(r, 65536)
            if not chunk:
                break
            out += chunk
        os.close(r)
        _, st = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(st)
        return code, out.decode(errors="replace").strip()
    finally:
        shutil.rmtree(root)


def run_all():
    if os.geteuid() != 0:
        die("--run needs root (chroot)")
    with open(os.path.join(OUT, "expected.json")) as f:
        expected = json.load(f)
    ok = True
    for name, exp in sorted(expected.items()):
        if exp["outcome"] == "reject":
            continue
        for platform, cfg, layers in load_images(os.path.join(OUT, name)):
            if cfg["architecture"] != "amd64":
                print("skip %-24s %s (not amd64)" % (name, platform))
                continue
            code, out = run_image(cfg, layers)
            starts = code == 0
            good = starts == exp["starts"]
            ok &= good
            print("%-4s %-24s exit %-3d %s" % ("ok" if good else "FAIL", name, code, out.splitlines()[0] if out else ""))
    return ok


def main():
    args = sys.argv[1:]
    if args and args[0] in ("-h", "--help"):
        print(__doc__)
        return
    if not args:
        build_all()
    if "--run" in args:
        if not verify() or not run_all():
            sys.exit(1)
        return
    if not verify():
        sys.exit(1)


if __name__ == "__main__":
    main()
