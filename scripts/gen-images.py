#!/usr/bin/env python3
"""Regenerate dlcheck's image data (data/distroless.json) from its primary
sources: the distroless repository at a pinned commit and the Debian
packages its lock files pin.

    python3 scripts/gen-images.py refresh [--distroless GITDIR] [--commit REV]
        the maintainer's one command: fetch, then build
    python3 scripts/gen-images.py fetch [--distroless GITDIR] [--commit REV]
        (network) read the image definitions at REV, download every pinned
        Debian package from Debian's archive (SHA-256 checked), read each
        with dlcheck's own ELF reader, and write the compact per-package
        facts with their provenance: data/sources/distroless-sources.json
    python3 scripts/gen-images.py build [--check]
        (no network, deterministic) data/distroless.json from
        data/sources/distroless-sources.json; --check: exit 1 if the
        committed file differs from what the sources give
    python3 scripts/gen-images.py compare [REFERENCE_JSON]
        print every disagreement with the hand-checked reference
        (default ../shared/reference/distroless-images.json), amd64 and arm64

GITDIR is a clone of https://github.com/GoogleContainerTools/distroless (a
bare one will do); without --distroless the script clones it into
~/.cache/dlcheck/distroless.git, or fetches there. REV defaults to the
commit the committed sources record, so a refresh without --commit reads
the same pins again; pass --commit origin/main (after a fetch) to move to
distroless's newest definitions.

Needs Python 3.11, git, dpkg-deb, gpgv with debian-archive-keyring (to
check Debian's signed indexes), cargo (to build examples/image-facts), and
network access to github.com (for the clone) and deb.debian.org /
security.debian.org. About 110 MB of .debs are cached in
~/.cache/dlcheck/image-data/.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from imagedata import distroless, fetch, output, reference  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = os.path.join(ROOT, "data", "sources", "distroless-sources.json")
OUT = os.path.join(ROOT, "data", "distroless.json")
DEFAULT_REF = os.path.join(ROOT, "..", "shared", "reference", "distroless-images.json")


def fail(msg):
    sys.exit(f"gen-images: {msg}")


def clone(gitdir):
    """A clone of the distroless repository: the one given, or a bare clone
    kept in the cache (fetched again)."""
    if gitdir:
        return gitdir if os.path.exists(os.path.join(gitdir, "HEAD")) else os.path.join(gitdir, ".git")
    path = os.path.join(os.path.expanduser("~"), ".cache", "dlcheck", "distroless.git")
    if os.path.exists(path):
        subprocess.run(["git", "--git-dir", path, "fetch", "--quiet", "origin", "+refs/heads/*:refs/remotes/origin/*"], check=True)
    else:
        subprocess.run(["git", "clone", "--quiet", "--bare", distroless.REPOSITORY, path], check=True)
    return path


def pinned_commit():
    if not os.path.exists(SOURCES):
        fail("no committed sources to take the commit from: pass --commit")
    with open(SOURCES) as f:
        return json.load(f)["distroless"]["commit"]


def text_of_build():
    if not os.path.exists(SOURCES):
        fail(f"{SOURCES} not found: run `fetch` first")
    with open(SOURCES, "rb") as f:
        raw = f.read()
    return json.dumps(output.build(json.loads(raw), hashlib.sha256(raw).hexdigest()), indent=1) + "\n"


def do_fetch(args):
    started = time.monotonic()
    try:
        data = fetch.fetch(clone(args.distroless), args.commit or pinned_commit())
    except distroless.Fail as e:
        fail(str(e))
    fetch.write(data, SOURCES)
    print(f"wrote {SOURCES} ({os.path.getsize(SOURCES)} bytes, {time.monotonic() - started:.0f} s)")


def do_build(args):
    text = text_of_build()
    if args.check:
        current = open(OUT).read() if os.path.exists(OUT) else ""
        if current != text:
            fail("data/distroless.json differs from what data/sources/distroless-sources.json gives: run python3 scripts/gen-images.py build")
        print("data/distroless.json is what the sources give")
        return
    with open(OUT, "w") as f:
        f.write(text)
    print(f"wrote {OUT} ({len(text)} bytes)")


def do_compare(args):
    with open(OUT) as f:
        generated = json.load(f)
    path = args.reference or DEFAULT_REF
    if not os.path.exists(path):
        fail(f"reference data not found at {path}: pass its path")
    with open(path) as f:
        ref = json.load(f)
    for line in reference.compare(generated, ref):
        print(line)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("refresh", "fetch"):
        s = sub.add_parser(name)
        s.add_argument("--distroless", metavar="GITDIR", help="a clone of the distroless repository")
        s.add_argument("--commit", metavar="REV", help="the distroless commit to read (default: the one the sources record)")
    b = sub.add_parser("build")
    b.add_argument("--check", action="store_true")
    c = sub.add_parser("compare")
    c.add_argument("reference", nargs="?")
    args = p.parse_args()
    if args.command in ("refresh", "fetch"):
        do_fetch(args)
    if args.command in ("refresh", "build"):
        args.check = getattr(args, "check", False)
        do_build(args)
    if args.command == "compare":
        do_compare(args)


if __name__ == "__main__":
    main()
