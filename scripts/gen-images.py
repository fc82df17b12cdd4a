#!/usr/bin/env python3
"""Regenerate data/distroless.json, dlcheck's embedded facts about the
Google distroless images, from the checked reference data.

Usage:
    python3 scripts/gen-images.py [REFERENCE_JSON]          # write data/distroless.json
    python3 scripts/gen-images.py --check [REFERENCE_JSON]  # exit 1 if the committed file differs

REFERENCE_JSON defaults to ../shared/reference/distroless-images.json
(beside the checkout). That file records where each fact comes from: the
distroless repository (image definitions, lock files), Debian's archive
(the packages, unpacked and read with readelf) and chroot runs; its
`source` block is copied into our `provenance` block unchanged.

What is kept: per generation, its status and the catalog of every shared
library (path, DT_NEEDED, version definitions) per architecture; per image,
the loader paths, the soname -> path map the loader can resolve, its tags
and its flags (CA bundle, zoneinfo, passwd ...). The script also checks the
reference for internal consistency (every soname an image resolves is in
its generation's catalog, every needed library of an image's library is in
the image) and refuses to write data that fails.
Needs only Python 3's standard library.
"""
import hashlib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "data", "distroless.json")
DEFAULT_REF = os.path.join(ROOT, "..", "shared", "reference", "distroless-images.json")
VARIANTS = ["static", "base-nossl", "base", "cc"]  # smallest first


def fail(msg):
    sys.exit(f"gen-images: {msg}")


def build(ref_path):
    raw = open(ref_path, "rb").read()
    ref = json.loads(raw)
    if ref.get("schema_version") != 1:
        fail(f"unsupported reference schema_version {ref.get('schema_version')!r}")

    generations = {}
    for name, g in ref["generations"].items():
        arches = {}
        for arch, a in g["arch"].items():
            libs = {}
            for soname, lib in sorted(a["libraries"].items()):
                libs[soname] = {
                    "path": lib["path"],
                    "package": lib.get("package"),
                    "needed": lib.get("needed", []),
                    "verdefs": lib.get("verdefs", []),
                }
            arches[arch] = {"glibc_version": a.get("glibc_version"), "libraries": libs}
        status = g["status"]
        generations[name] = {
            "codename": g["debian_codename"],
            "debian_version": g["debian_version"],
            "supported": not status.startswith("dropped"),
            "status": status,
            "removed_date": g.get("removed_date"),
            "eol": g.get("eol"),
            "usr_merged": g["usr_merged"],
            "built_architectures": g["built_architectures"],
            "arch": arches,
        }

    images = []
    for im in ref["images"]:
        if im["image"] not in VARIANTS:
            fail(f"unknown image variant {im['image']!r}")
        gen = generations.get(im["generation"])
        if gen is None:
            fail(f"{im['reference']}: unknown generation {im['generation']!r}")
        arches = {}
        for arch, a in im["arch"].items():
            catalog = gen["arch"].get(arch, {}).get("libraries", {})
            for soname in a["sonames"]:
                if soname not in catalog:
                    fail(f"{im['reference']} {arch}: soname {soname} missing from the {im['generation']} catalog")
                for dep in catalog[soname]["needed"]:
                    if dep not in a["sonames"]:
                        fail(f"{im['reference']} {arch}: {soname} needs {dep}, which the image lacks")
            if im["flags"]["has_libc"] and a["standard_interpreter"] not in a["loaders"]:
                fail(f"{im['reference']} {arch}: has libc but no standard loader")
            arches[arch] = {
                "standard_interpreter": a["standard_interpreter"],
                "loaders": a["loaders"],
                "sonames": a["sonames"],
            }
        images.append({
            "variant": im["image"],
            "generation": im["generation"],
            "reference": im["reference"],
            "also_published_as": im.get("also_published_as"),
            "status": im["status"],
            "tags": im["tags"],
            "glibc_version": im.get("glibc_version"),
            "packages": sorted(next(iter(im["arch"].values()))["packages"].keys()),
            "flags": im["flags"],
            "arch": arches,
        })
    images.sort(key=lambda i: (i["generation"], VARIANTS.index(i["variant"])))

    return {
        "schema_version": 1,
        "provenance": {
            "generated_by": "scripts/gen-images.py",
            "reference_file": "shared/reference/distroless-images.json",
            "reference_sha256": hashlib.sha256(raw).hexdigest(),
            "source": ref["source"],
            "notes": ref.get("notes", []),
        },
        "variants": VARIANTS,
        "generations": generations,
        "images": images,
    }


def main():
    args = sys.argv[1:]
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    ref_path = args[0] if args else DEFAULT_REF
    if not os.path.exists(ref_path):
        fail(f"reference data not found at {ref_path}: pass its path")
    text = json.dumps(build(ref_path), indent=1, sort_keys=False) + "\n"
    if check:
        current = open(OUT).read() if os.path.exists(OUT) else ""
        if current != text:
            fail("data/distroless.json differs from what the reference gives: run python3 scripts/gen-images.py")
        print("data/distroless.json is up to date")
        return
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write(text)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
