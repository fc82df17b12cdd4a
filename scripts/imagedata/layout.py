"""The deterministic step: the committed per-package facts
(data/sources/distroless-sources.json) layered into images the way the
distroless build stacks them, and what glibc's loader finds in each:
data/distroless.json. No network, no clock: the same input gives the same
bytes.

Per image and architecture: the packages (pinned version, and the version
read when the archive no longer had it), the loader paths that resolve
(PT_INTERP candidates), the soname → path map of the loader's default
directories (`/lib/<triplet>`, `/usr/lib/<triplet>`, `/lib`, `/usr/lib`),
the `/etc/ld.so.cache` entries where the image has one, and the facts the
flags summarise (CA bundle, zoneinfo, users ...). Per generation and
architecture: every shared library, with its package and version, its
DT_NEEDED and its version definitions.
"""
import hashlib
import posixpath
import re

VARIANTS = ["static", "base-nossl", "base", "cc"]
REGISTRY = "gcr.io/distroless"
TRIPLETS = {
    "amd64": "x86_64-linux-gnu",
    "arm64": "aarch64-linux-gnu",
    "arm": "arm-linux-gnueabihf",
    "s390x": "s390x-linux-gnu",
    "ppc64le": "powerpc64le-linux-gnu",
    "riscv64": "riscv64-linux-gnu",
}
MERGED = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
LOADER = re.compile(r"^(ld-linux.*|ld64|ld)\.so(\.\d+)?$")
MAX_HOPS = 40


class Fail(Exception):
    """The facts contradict each other."""


def merged_path(path):
    """rules_distroless's `mergedusr`: `/lib/x` → `/usr/lib/x` (also bin,
    sbin, lib32, lib64, libx32); the directories themselves are dropped."""
    parts = path.split("/")
    if len(parts) > 2 and parts[1] in MERGED and parts[2]:
        return "/usr" + path
    return path


class Tree:
    """An image's file system as far as the facts go: files (ELF facts or
    None), symbolic links, and the package each came from."""

    def __init__(self):
        self.files = {}
        self.links = {}
        # Time zones and CA certificates, counted: package key → count.
        self.zoneinfo = {}
        self.certificates = {}

    def add_package(self, key, record, contents, merged):
        fix = merged_path if merged else (lambda p: p)
        for path, target in contents["links"].items():
            p = fix(path)
            self.files.pop(p, None)
            self.links[p] = (target, key)
        for path, facts in contents["elf"].items():
            self.links.pop(fix(path), None)
            self.files[fix(path)] = (facts, key)
        for path in contents["files"]:
            self.links.pop(fix(path), None)
            self.files[fix(path)] = (None, key)
        for d, names in contents["modules"].items():
            for n in names if isinstance(names, list) else []:
                self.files[fix(f"{d}/{n}")] = (None, key)
        if contents.get("zoneinfo"):
            self.zoneinfo[key] = contents["zoneinfo"]

    def add_file(self, path, what):
        self.links.pop(path, None)
        self.files[path] = (None, what)

    def add_link(self, path, target, what):
        self.files.pop(path, None)
        self.links[path] = (target, what)

    def resolve(self, path):
        """The real path `path` leads to, following links in every
        component; None when it leads nowhere (or loops)."""
        hops = 0
        parts = [p for p in path.split("/") if p]
        cur = ""
        while parts:
            comp = parts.pop(0)
            nxt = f"{cur}/{comp}"
            if nxt in self.links:
                hops += 1
                if hops > MAX_HOPS:
                    return None
                target = self.links[nxt][0]
                base = "" if target.startswith("/") else cur
                parts = [p for p in posixpath.normpath(f"{base}/{target}").split("/") if p] + parts
                cur = ""
                continue
            cur = nxt
        return cur if cur in self.files else None

    def visible(self):
        """Every path a program can name for a file or link: each node, and
        each again through a top-level directory link (`/lib` → `usr/lib`)."""
        nodes = set(self.files) | set(self.links)
        out = set(nodes)
        for link, (target, _) in self.links.items():
            if link.count("/") != 1:
                continue
            real = posixpath.normpath(posixpath.join("/", target))
            for n in nodes:
                if n.startswith(real + "/"):
                    out.add(link + n[len(real) :])
        return sorted(out)


def version_key(v):
    """Sort key for version names: `GLIBC_2.10` after `GLIBC_2.9`."""
    return [(0, int(x), "") if x.isdigit() else (1, 0, x) for x in re.split(r"(\d+)", v)]


def read_version(record):
    """The version whose contents were read."""
    return record.get("analyzed", {}).get("version", record["pinned"])


def contents_of(src, key):
    record = src["packages"][key]
    return record, src["contents"].get(record.get("analyzed", record)["sha256"])


def layer_keys(src, images, img, arch):
    """The package keys of `img` on `arch`, base image first."""
    keys = []
    if img["based_on"]:
        base = find(images, img["based_on"], img["generation"])
        keys += layer_keys(src, images, base, arch)
    return keys + img["packages"].get(arch, [])


def find(images, name, gen):
    return next(i for i in images if i["name"] == name and i["generation"] == gen)


def chain(images, img):
    """`img` and the images it is built on, base first."""
    return (chain(images, find(images, img["based_on"], img["generation"])) if img["based_on"] else []) + [img]


def build_tree(src, img, arch):
    """The tree of one image on one architecture, and what could not be
    read: (tree, missing Debian packages, unread parts)."""
    images = src["images"]
    merged = src["distroless"]["mergedusr"]
    tree, missing, unread = Tree(), [], []
    for key in layer_keys(src, images, img, arch):
        record, contents = contents_of(src, key)
        if "unavailable" in record:
            _, debarch, name = key.split("/")
            if "not from Debian" in record["unavailable"]:
                unread.append(f"{name} {record['pinned']}, {record['unavailable']}")
            else:
                missing.append(f"{name} {record['pinned']} for {debarch}")
            continue
        tree.add_package(key, record, contents, merged.get(key.split("/")[0], False))
    for i in chain(images, img):
        for d in i.get("derived", []):
            key = d["keys"].get(arch)
            record, contents = contents_of(src, key)
            if "unavailable" in record:
                missing.append(f"{d['package']} {record['pinned']} for {key.split('/')[1]}")
            elif contents.get("ca_certificates"):
                tree.certificates[key] = contents["ca_certificates"]
                tree.add_file(d["file"], d["source"])
        for path, f in {**i["files"], **i.get("files_per_arch", {}).get(arch, {})}.items():
            if "link" in f:
                tree.add_link(path, f["link"].replace("{arch}", arch), f["source"])
            else:
                tree.add_file(path, f["source"])
        unread += [f"{u['what']}, from {u['from']}" for u in i["unread"]]
    return tree, missing, unread


def loaders(tree):
    """Every path that resolves to glibc's dynamic loader → its real path."""
    out = {}
    for p in tree.visible():
        real = tree.resolve(p)
        facts = real and tree.files[real][0]
        if facts and LOADER.match(facts.get("soname", "")):
            out[p] = real
    return out


def sonames(tree, arch):
    """soname → the path the loader finds it at in its default directories."""
    dirs = [f"/lib/{TRIPLETS[arch]}", f"/usr/lib/{TRIPLETS[arch]}", "/lib", "/usr/lib"]
    names = sorted({f[0]["soname"] for f in tree.files.values() if f[0] and f[0].get("soname")})
    out = {}
    for name in names:
        for d in dirs:
            real = tree.resolve(f"{d}/{name}")
            if real and tree.files[real][0]:
                out[name] = f"{d}/{name}"
                break
    return out


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
