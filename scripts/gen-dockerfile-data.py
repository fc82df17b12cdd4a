#!/usr/bin/env python3
"""Generate data/dockerfile.json: the facts Dockerfile mode uses, with their sources.

- "tags": for the golang, rust, gcc, debian and ubuntu images of the Docker Official
  Images, each tag (a tag without a release name in it, such as golang:1.20, moves:
  the release it pointed to last) mapped to the Debian or Ubuntu release (codename) it is
  built on, read from every commit of library/<name> in docker-library/official-images
  (a local clone: --official-images DIR, the git directory).
- "releases": per release, the glibc and GCC (libstdc++) versions, from the Debian and
  Ubuntu archives (versions of the libc6 and libstdc++6 packages of the release), and the
  distroless generation it matches.
- "gcc": for the gcc image, each tag's GCC release (the longest version tag of the last
  entry that carried it: gcc:13 -> 13.4.0), and "libstdcxx": the newest GLIBCXX_ version
  each GCC release's libstdc++ defines. The gcc image builds its own GCC on top of a
  Debian release and links C++ programs against that GCC's libstdc++ (/usr/local/lib64),
  not the release's.
- "base_files": the directories and symbolic links of the base-files package of each
  distroless generation (the version the distroless images pin, or the nearest one still
  in the archive), read with dpkg-deb -c from the .deb (--base-files DIR holds them).

Usage: scripts/gen-dockerfile-data.py --official-images GITDIR --base-files DEBDIR > data/dockerfile.json
       (--base-files-from data/dockerfile.json keeps the base_files of an earlier run
       instead of reading the .debs)
"""
import argparse, hashlib, json, os, re, subprocess, sys

CODENAMES = {
    # Debian
    "stretch": "debian9", "buster": "debian10", "bullseye": "debian11",
    "bookworm": "debian12", "trixie": "debian13", "forky": "debian14",
    # Ubuntu
    "bionic": "ubuntu18.04", "focal": "ubuntu20.04", "jammy": "ubuntu22.04", "noble": "ubuntu24.04",
    "lunar": "ubuntu23.04", "mantic": "ubuntu23.10", "oracular": "ubuntu24.10",
    "plucky": "ubuntu25.04", "questing": "ubuntu25.10", "resolute": "ubuntu26.04",
}
# glibc (libc6) and GCC (libstdc++6) of each release: the versions in the release's archive
# (Debian: packages.debian.org / deb.debian.org dists/<codename>; Ubuntu: its archive).
RELEASES = {
    "debian9": {"codename": "stretch", "glibc": "2.24", "gcc": "6", "glibcxx": "GLIBCXX_3.4.22"},
    "debian10": {"codename": "buster", "glibc": "2.28", "gcc": "8", "glibcxx": "GLIBCXX_3.4.25"},
    "debian11": {"codename": "bullseye", "glibc": "2.31", "gcc": "10", "glibcxx": "GLIBCXX_3.4.28"},
    "debian12": {"codename": "bookworm", "glibc": "2.36", "gcc": "12", "glibcxx": "GLIBCXX_3.4.30"},
    "debian13": {"codename": "trixie", "glibc": "2.41", "gcc": "14", "glibcxx": "GLIBCXX_3.4.33"},
    "debian14": {"codename": "forky", "glibc": None, "gcc": None, "glibcxx": None},
    "ubuntu18.04": {"codename": "bionic", "glibc": "2.27", "gcc": "8", "glibcxx": "GLIBCXX_3.4.25"},
    "ubuntu20.04": {"codename": "focal", "glibc": "2.31", "gcc": "10", "glibcxx": "GLIBCXX_3.4.28"},
    "ubuntu22.04": {"codename": "jammy", "glibc": "2.35", "gcc": "12", "glibcxx": "GLIBCXX_3.4.30"},
    "ubuntu24.04": {"codename": "noble", "glibc": "2.39", "gcc": "14", "glibcxx": "GLIBCXX_3.4.33"},
}
# GLIBCXX_ version definitions by GCC release: the libstdc++ manual, "ABI Policy and
# Guidelines" (libstdc++-v3/doc/xml/manual/abi.xml, "Symbol versioning on the libstdc++.so
# binary": the maximum version each release defines; a release not listed defines what
# the one before it does). GCC 13.2 adds GLIBCXX_3.4.32 for std::ios_base_library_init,
# which <iostream> references from then on.
LIBSTDCXX = [
    ("6.1.0", "GLIBCXX_3.4.22"), ("7.1.0", "GLIBCXX_3.4.23"), ("7.2.0", "GLIBCXX_3.4.24"),
    ("8.1.0", "GLIBCXX_3.4.25"), ("9.1.0", "GLIBCXX_3.4.26"), ("9.2.0", "GLIBCXX_3.4.27"),
    ("9.3.0", "GLIBCXX_3.4.28"), ("11.1.0", "GLIBCXX_3.4.29"), ("12.1.0", "GLIBCXX_3.4.30"),
    ("13.1.0", "GLIBCXX_3.4.31"), ("13.2.0", "GLIBCXX_3.4.32"), ("14.1.0", "GLIBCXX_3.4.33"),
    ("15.1.0", "GLIBCXX_3.4.34"), ("16.1.0", "GLIBCXX_3.4.35"),
]
IMAGES = ["golang", "rust", "gcc", "debian", "ubuntu"]


def git(gitdir, *args):
    return subprocess.run(["git", "--git-dir", gitdir, *args], check=True, capture_output=True, text=True).stdout


def release_of(directory, tags):
    """The release an entry is built on, from its Directory or its tags."""
    words = re.split(r"[/\-_.]", directory.lower()) + [w for t in tags for w in re.split(r"[\-]", t.lower())]
    for w in words:
        if w in CODENAMES:
            return CODENAMES[w]
        if w.startswith("alpine"):
            return "alpine"
        if w.startswith("windows") or w.startswith("nanoserver"):
            return "windows"
    return None


def entries(text):
    """(tags, directory) of each entry of a library file (RFC 2822 style)."""
    for block in re.split(r"\n\s*\n", text):
        fields = {}
        for line in block.splitlines():
            m = re.match(r"^(\w+):\s*(.*)$", line)
            if m:
                fields[m.group(1)] = m.group(2)
        tags = [t.strip() for k in ("Tags", "SharedTags") for t in fields.get(k, "").split(",") if t.strip()]
        if tags:
            yield tags, fields.get("Directory", "")


def scan(gitdir, image, versions=None):
    """tag -> release: the release of the last entry that carried the tag, for the
    tags whose names do not say it. With `versions` (a dict), also tag -> the longest
    version tag (digits and dots) of that entry, for every tag."""
    out = {}
    log = git(gitdir, "log", "--reverse", "--format=%H %cs", "--", f"library/{image}").split("\n")
    for line in filter(None, log):
        commit = line.split()[0]
        try:
            text = git(gitdir, "show", f"{commit}:library/{image}")
        except subprocess.CalledProcessError:
            continue
        for tags, directory in entries(text):
            release = release_of(directory, tags)
            if release == "windows":
                continue
            # A release dlcheck has no name for: the tag moved on, to something unknown.
            release = release or "unknown"
            if versions is not None:
                numbered = [t for t in tags if re.fullmatch(r"[0-9]+(\.[0-9]+)*", t)]
                if numbered:
                    full = max(numbered, key=len)
                    for t in tags:
                        versions[t] = full
            for t in tags:
                # A tag that names its release (1.22-bookworm, 1-alpine, jammy-20260810)
                # is resolved from its name; only the others are kept.
                if release_of("", [t]) is None:
                    out[t] = release
    # An unknown release is kept only for tags that move (latest, 26.10): the others name
    # releases too old or too new for dlcheck to say anything about.
    keep = lambda t, r: r != "unknown" or t in ("latest", "rolling", "devel") or re.fullmatch(r"[0-9.]+", t)
    return dict(sorted((t, r) for t, r in out.items() if keep(t, r)))


def base_files(debdir):
    out = {}
    for name in sorted(os.listdir(debdir)):
        if not name.endswith(".deb"):
            continue
        path = os.path.join(debdir, name)
        version = name.split("_")[1]
        generation = "debian" + version.split(".")[0]
        listing = subprocess.run(["dpkg-deb", "-c", path], check=True, capture_output=True, text=True).stdout
        dirs, links = [], {}
        for line in listing.splitlines():
            parts = line.split()
            kind, member = parts[0][0], parts[5]
            member = member.lstrip(".").rstrip("/")
            if kind == "d" and member and not member.startswith("/usr/share/doc"):
                dirs.append(member)
            elif kind == "l":
                links[member] = parts[7]
        sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
        out[generation] = {"package": f"base-files {version}", "sha256": sha, "directories": dirs, "symlinks": links}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--official-images", required=True)
    source = ap.add_mutually_exclusive_group(required=True)
    source.add_argument("--base-files")
    source.add_argument("--base-files-from")
    a = ap.parse_args()
    if a.base_files:
        files = base_files(a.base_files)
    else:
        files = json.load(open(a.base_files_from))["base_files"]
    gcc_versions = {}
    tags = {image: scan(a.official_images, image, gcc_versions if image == "gcc" else None) for image in IMAGES}
    head = git(a.official_images, "log", "-1", "--format=%h %cs").strip()
    doc = {
        "schema_version": 1,
        "provenance": {
            "tags": f"docker-library/official-images, library/{{{','.join(IMAGES)}}}, every commit up to {head}: each tag's release is the one of the last entry that carried it (its Directory or tag names); tags that name their release (1.22-bookworm, 1-alpine) are left out: dlcheck reads the release from the name",
            "releases": "libc6 and libstdc++6 versions of each release's archive (Debian: deb.debian.org dists; Ubuntu: its archive); GLIBCXX is the newest version libstdc++ of that GCC defines",
            "gcc": "each gcc image tag's GCC release: the longest version tag of the last entry of library/gcc that carried it",
            "libstdcxx": "the libstdc++ manual, ABI Policy and Guidelines (libstdc++-v3/doc/xml/manual/abi.xml): the newest GLIBCXX_ version each GCC release defines; a release not listed defines what the one before it does",
            "base_files": "base-files .debs from deb.debian.org pool/main/b/base-files (the versions distroless pins, or the nearest in the archive), read with dpkg-deb -c",
            "generated": "scripts/gen-dockerfile-data.py; do not edit by hand",
        },
        "releases": RELEASES,
        "tags": tags,
        "gcc": dict(sorted(gcc_versions.items())),
        "libstdcxx": dict(LIBSTDCXX),
        "base_files": files,
    }
    json.dump(doc, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
