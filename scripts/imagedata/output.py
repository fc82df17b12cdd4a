"""data/distroless.json from the committed sources: per generation and
architecture the library catalog, per image and architecture what the
loader finds, with each fact's package, version and file. Deterministic:
no network, no clock.
"""
import json

from .layout import REGISTRY, VARIANTS, Fail, build_tree, chain, contents_of, find, loaders, read_version, sonames

SCHEMA_VERSION = 2


def glibc_version(record):
    """Upstream glibc version of a libc6 package version: `2.36`."""
    v = read_version(record).split(":")[-1]
    return v.split("-")[0]


def packages_of(src, img, arch):
    """name → {pinned, read?} of every package in the image on `arch`."""
    from .layout import layer_keys

    out = {}
    for key in layer_keys(src, src["images"], img, arch):
        record = src["packages"][key]
        entry = {"pinned": record["pinned"]}
        if "analyzed" in record:
            entry["read"] = record["analyzed"]["version"]
            entry["read_from"] = record["analyzed"]["pinned_by"]
        if "unavailable" in record:
            entry["unread"] = record["unavailable"]
        out[key.split("/")[-1]] = entry
    for i in chain(src["images"], img):
        for d in i.get("derived", []):
            record = src["packages"][d["keys"][arch]]
            out[d["package"]] = {"pinned": record["pinned"], "only": d["file"]}
    return dict(sorted(out.items()))


def image_arch(src, img, arch):
    """What one image holds on one architecture: (entry, None), or (None,
    why there is no data)."""
    tree, missing, unread = build_tree(src, img, arch)
    if missing:
        more = f" and {len(missing) - 1} more of its packages" if len(missing) > 1 else ""
        return None, f"Debian's archive no longer has {missing[0]}{more} (nor a version its signed index or an earlier distroless lock file vouches for)", None
    found = sonames(tree, arch)
    libc = tree.resolve(found["libc.so.6"]) if "libc.so.6" in found else None
    entry = {
        "packages": packages_of(src, img, arch),
        "standard_interpreter": tree.files[libc][0]["interpreter"] if libc else None,
        "loaders": dict(sorted(loaders(tree).items())),
        "sonames": found,
    }
    cache = next((f for i in chain(src["images"], img) for p, f in i.get("files_per_arch", {}).get(arch, {}).items() if p == "/etc/ld.so.cache"), None)
    if cache:
        entry["ld_so_cache"] = [[k, v] for k, v in cache["ld_so_cache"]]
        entry["ld_so_cache_source"] = cache["source"]
    if unread:
        entry["unread"] = sorted(unread)
    return entry, None, tree


def flags(src, tree, entry):
    """The facts the flags summarise, from the tree of one architecture."""
    settings = src["distroless"]["settings"]
    users = {u["username"]: u for u in src["distroless"]["users"]["passwd"]}
    groups = {g["name"]: g for g in src["distroless"]["users"]["group"]}
    debug = settings["debug"]
    found = entry["sonames"]

    def exists(p):
        return tree.resolve(p) is not None

    def has(soname):
        return soname in found

    bundle = settings["env"]["SSL_CERT_FILE"]
    elf = lambda p: bool(tree.resolve(p) and tree.files[tree.resolve(p)][0])  # noqa: E731
    return {
        "has_libc": has("libc.so.6"),
        "has_shell": exists("/bin/sh"),
        "debug_variant_has_shell": debug["entrypoint"][0].endswith("/sh"),
        "debug_shell": f"{debug['entrypoint'][0]} (ENTRYPOINT {json.dumps(debug['entrypoint'])}, PATH {debug['env']['PATH']})",
        "has_ca_certificates": bool(tree.certificates) and exists(bundle),
        "ca_bundle": bundle,
        "env_SSL_CERT_FILE": bundle,
        "has_tzdata": bool(tree.zoneinfo),
        "has_etc_localtime": exists("/etc/localtime"),
        "has_passwd": exists("/etc/passwd"),
        "has_group": exists("/etc/group"),
        "has_nsswitch": exists("/etc/nsswitch.conf"),
        "has_tmp": exists("/tmp"),
        "has_mime_types": exists("/etc/mime.types"),
        "has_ld_so_cache": exists("/etc/ld.so.cache"),
        "has_openssl_binary": elf("/usr/bin/openssl"),
        "has_libstdcxx": has("libstdc++.so.6"),
        "has_libgcc_s": has("libgcc_s.so.1"),
        "has_libgomp": has("libgomp.so.1"),
        "has_libz": has("libz.so.1"),
        "has_libzstd": has("libzstd.so.1"),
        "has_openssl_legacy_provider": any(p.endswith("/ossl-modules/legacy.so") for p in tree.files),
        "nonroot_uid": users["nonroot"]["uid"],
        "nonroot_gid": groups["nonroot"]["gid"],
        "user_latest": settings["users"]["root"]["uid"],
        "user_nonroot": settings["users"]["nonroot"]["uid"],
        "workdir_latest": settings["users"]["root"]["workdir"],
        "workdir_nonroot": settings["users"]["nonroot"]["workdir"],
        "zoneinfo_files": sum(tree.zoneinfo.values()),
        "ca_certificates": sum(tree.certificates.values()),
        "users": sorted(users),
    }


def library_facts(tree, path, src):
    real = tree.resolve(path)
    facts, key = tree.files[real]
    record, _ = contents_of(src, key)
    return {
        "path": real,
        "package": key.split("/")[-1],
        "version": read_version(record),
        "needed": facts.get("needed", []),
        "verdefs": facts.get("verdefs", []),
    }


def add_to_catalog(catalog, tree, entry, src, where):
    """Every shared library of the image (an ELF file with a DT_SONAME)
    joins its generation's catalog for the architecture, at the path the
    loader finds it (or its own, for one outside the loader's directories,
    as the gconv helpers); the same soname must mean the same file."""
    paths = dict(entry["sonames"])
    for path, (facts, _) in sorted(tree.files.items()):
        if facts and facts.get("soname") and facts["soname"] not in paths:
            paths[facts["soname"]] = path
    for soname, path in sorted(paths.items()):
        lib = library_facts(tree, path, src)
        old = catalog.get(soname)
        if old is not None and (old["path"], old["needed"], old["verdefs"]) != (lib["path"], lib["needed"], lib["verdefs"]):
            raise Fail(f"{where}: {soname} differs from the {old['package']} {old['version']} of another image")
        if old is None or (old["package"], old["version"]) > (lib["package"], lib["version"]):
            catalog[soname] = lib


def reference_name(img):
    return f"{REGISTRY}/{img['name']}-{img['generation']}"


def image_entry(src, img, gens, catalogs):
    g = gens[img["generation"]]
    arches, no_data, image_flags = {}, {}, None
    for arch in img["architectures"]:
        entry, why, tree = image_arch(src, img, arch)
        if entry is None:
            no_data[arch] = why
            continue
        arches[arch] = entry
        add_to_catalog(catalogs.setdefault(img["generation"], {}).setdefault(arch, {}), tree, entry, src, f"{reference_name(img)} {arch}")
        f = flags(src, tree, entry)
        if image_flags is None:
            image_flags = f
    libc = next((e["packages"].get("libc6") for e in arches.values() if "libc6" in e["packages"]), None)
    first = next(iter(arches.values()), None)
    return {
        "name": img["name"],
        "family": img["family"],
        "generation": img["generation"],
        "reference": reference_name(img),
        "also_published_as": f"{REGISTRY}/{img['name']}" if g["default"] else None,
        "status": "supported" if g["supported"] else "dropped",
        "tags": src["distroless"]["tags"],
        "based_on": img["based_on"],
        "glibc_version": glibc_version(libc) if libc and "unread" not in libc else None,
        "packages": sorted(first["packages"]) if first else [],
        "flags": image_flags or {},
        "architectures": img["architectures"],
        "arch": arches,
        "no_data": no_data,
        "source": img["source"],
    }


def build(src, sources_sha256):
    gens = src["generations"]
    catalogs = {}
    ordered = sorted(src["images"], key=lambda i: (i["family"] != "base", i["generation"], VARIANTS.index(i["name"]) if i["name"] in VARIANTS else 9, i["name"]))
    images = [image_entry(src, img, gens, catalogs) for img in ordered]
    # A static image has no libc: its standard interpreter is its generation's.
    for im in images:
        for arch, e in im["arch"].items():
            if e["standard_interpreter"] is None:
                libc = catalogs.get(im["generation"], {}).get(arch, {}).get("libc.so.6")
                e["standard_interpreter"] = find_interpreter(images, im["generation"], arch) if libc else None
    generations = {}
    for name, g in gens.items():
        arch = {}
        for a, libs in sorted(catalogs.get(name, {}).items()):
            libc = libs.get("libc.so.6")
            arch[a] = {"glibc_version": libc["version"].split(":")[-1].split("-")[0] if libc else None, "libraries": dict(sorted(libs.items()))}
        static = find(src["images"], "static", name)
        generations[name] = {
            "codename": g["codename"],
            "debian_version": g["version"],
            "supported": g["supported"],
            "status": "supported" if g["supported"] else "dropped",
            "default": g["default"],
            "removed_date": g.get("removed_date"),
            "eol": g.get("eol"),
            "usr_merged": g["usr_merged"],
            "built_architectures": static["architectures"],
            "commit": g["commit"],
            "arch": arch,
        }
    d = src["distroless"]
    return {
        "schema_version": SCHEMA_VERSION,
        "provenance": {
            "generated": src["generated"],
            "generated_by": "scripts/gen-images.py",
            "sources_file": "data/sources/distroless-sources.json",
            "sources_sha256": sources_sha256,
            "distroless_repository": d["repository"],
            "distroless_commit": d["commit"],
            "distroless_commit_date": d["commit_date"],
            "distroless_files": d["files_read"],
            "debian_archive": src["debian_archive"],
            "reader": "dlcheck's ELF and ld.so.cache readers (examples/image-facts.rs): PT_INTERP, DT_SONAME, DT_NEEDED, DT_VERDEF",
        },
        "variants": VARIANTS,
        "platforms": platforms(src),
        "generations": generations,
        "images": images,
    }


def find_interpreter(images, gen, arch):
    return next((im["arch"][arch]["standard_interpreter"] for im in images if im["generation"] == gen and arch in im["arch"] and im["arch"][arch]["standard_interpreter"]), None)


def platforms(src):
    """OCI architecture → the platform distroless publishes it as (the
    variant shown where it is not the architecture's default: arm/v7)."""
    variants = src["distroless"]["platform_variants"]
    arches = sorted({a for i in src["images"] for a in i["architectures"]})
    return {a: f"linux/{a}/{variants[a]}" if a in variants and a != "arm64" else f"linux/{a}" for a in arches}
