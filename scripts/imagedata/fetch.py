"""The maintainer step (network): read the distroless repository at a
pinned commit, download every Debian package its images are made of, read
each with dlcheck's own reader, and return the compact per-package facts
with their provenance (the committed intermediate file,
data/sources/distroless-sources.json).
"""
import datetime
import json
import os
import sys

from . import contents, debian, distroless

SCHEMA_VERSION = 1


def log(msg):
    print(f"gen-images: {msg}", file=sys.stderr, flush=True)


def generations(repo, commit):
    """Every generation: the current ones at `commit`, the frozen ones at
    their last commit."""
    head = distroless.literals(repo.show(commit, "distro.bzl"))
    build = distroless.literals(repo.show(commit, "BUILD"))
    repos = distroless.repositories(repo, commit)
    out = {}
    for gen, codename, version in head["VERSIONS"]:
        out[gen] = {
            "codename": codename,
            "version": version,
            "commit": commit,
            "supported": gen in head["ALL_DISTROS"],
            "default": gen == build["DEFAULT_DISTRO"],
            "usr_merged": repos.get(codename, {}).get("mergedusr", False),
            "eol": distroless.eol(repo, commit, gen, "cc"),
            "source": "distro.bzl: VERSIONS, ALL_DISTROS; BUILD: DEFAULT_DISTRO; private/repos/deb/deb.MODULE.bazel: mergedusr; SUPPORT_POLICY.md",
        }
    for gen, last, removed_by in distroless.FROZEN:
        old = distroless.literals(repo.show(last, "checksums.bzl"))
        codename, version = next((c, v) for g, c, v in old["VERSIONS"] if g == gen)
        removed_sha, removed_date = repo.commit(removed_by)
        out[gen] = {
            "codename": codename,
            "version": version,
            "commit": last,
            "supported": False,
            "default": False,
            "usr_merged": False,
            "removed_by": removed_sha,
            "removed_date": removed_date,
            "eol": None,
            "source": f"checksums.bzl: VERSIONS at {last[:12]}; removed by {removed_sha[:12]}",
        }
    return dict(sorted(out.items()))


def lock_repository(codename, suffix, debarch, repos):
    """The lock repository a package comes from (private/util/deb.bzl:
    `<codename>[_<suffix>]`, or `<codename>_<arch>` where the repository
    has one for the architecture, as bookworm_s390x)."""
    name = codename + (f"_{suffix}" if suffix else "")
    if not suffix and f"{codename}_{debarch}" in repos:
        name = f"{codename}_{debarch}"
    return name


def python_files(repo, commit, img, arch):
    """python3: its /etc/ld.so.cache and the python/python3 links."""
    text = repo.show(commit, "python3/python.bzl")
    version = distroless.literals(text)["DISTRO_VERSION"][img["generation"]]
    files = {
        "/usr/bin/python": {"link": f"/usr/bin/python{version}", "source": "python3/python.bzl: python_alias"},
        "/usr/bin/python3": {"link": f"/usr/bin/python{version}", "source": "python3/python.bzl: python_alias"},
    }
    cache = f"python3/ldconfig/ld.so.cache.{arch}"
    if repo.exists(commit, cache):
        tmp = os.path.join(debian.cache_dir(), f"ld.so.cache.{arch}")
        with open(tmp, "wb") as f:
            f.write(repo.show_bytes(commit, cache))
        files["/etc/ld.so.cache"] = {"ld_so_cache": contents.read_cache(tmp, arch), "source": cache}
    return files


def describe(repo, commit, gens):
    """Every image of every generation, with per-architecture extra files."""
    current = [g for g, v in gens.items() if v["commit"] == commit]
    images = distroless.current_images(repo, commit, current)
    for gen, last, _ in distroless.FROZEN:
        images += distroless.frozen_images(repo, last, gen)
    settings = distroless.image_settings(repo, commit)
    generated = distroless.generated_files(repo, commit, settings)
    bundle = settings["env"]["SSL_CERT_FILE"]
    for img in images:
        if img["name"] == "static":
            # The CA bundle is made from the ca-certificates package of the
            # same lock (common/BUILD.bazel: cacerts).
            img["files"] = {p: f for p, f in generated.items() if p != bundle}
            img["derived"] = [{"package": "ca-certificates", "file": bundle, "source": generated[bundle]["source"]}]
        if img["name"] == "python3":
            img["files_per_arch"] = {a: python_files(repo, commit, img, a) for a in img["architectures"]}
    return images


class Packages:
    """Every package read, by lock repository, architecture and name; the
    contents by SHA-256 (an `all` package is read once)."""

    def __init__(self, repo):
        self.repo = repo
        self.locks = {}
        self.records = {}
        self.contents = {}
        self.index = debian.Index()

    def lock(self, commit, name):
        key = (commit, name)
        if key not in self.locks:
            self.locks[key] = distroless.lock(self.repo, commit, name)
        return self.locks[key]

    def history(self, commit, lock, name, debarch):
        """Earlier pins of a package: (version, sha256, url, where), newest
        version first."""
        key = ("history", lock["file"], commit)
        if key not in self.locks:
            self.locks[key] = distroless.lock_history(self.repo, lock["file"], commit)
        seen, out = set(), []
        for c, entries in self.locks[key]:
            e = entries.get((name, debarch))
            if e and e["version"] not in seen and "snapshot.debian.org" in (e["url"] or ""):
                seen.add(e["version"])
                out.append((e["version"], e["sha256"], e["url"], f"{lock['file']} at {c[:12]}"))
        return out

    def read(self, commit, lock_name, debarch, name):
        key = f"{lock_name}/{debarch}/{name}"
        if key in self.records:
            return key
        lock = self.lock(commit, lock_name)
        pin = lock["entries"].get((name, debarch))
        if pin is None:
            raise distroless.Fail(f"{lock['file']} has no {name} for {debarch}")
        record = {"lock": lock["file"], "lock_commit": commit}
        try:
            if "snapshot.debian.org" not in pin["url"]:
                raise debian.Unavailable(f"not from Debian's archive ({pin['url'].split('/')[2]})")
            path, got = debian.fetch(self.index, name, debarch, pin, lock["sources"], self.history(commit, lock, name, debarch))
            record.update(got)
            digest = got.get("analyzed", got)["sha256"]
            if digest not in self.contents:
                log(f"reading {os.path.basename(got.get('analyzed', {}).get('url', pin['url']))}")
                self.contents[digest] = contents.read_deb(path)
        except (debian.Unavailable, OSError) as e:
            record.update({"pinned": pin["version"], "sha256": pin["sha256"], "lock_url": pin["url"], "unavailable": str(e)})
            log(f"{key}: {e}")
        self.records[key] = record
        return key


def fetch(gitdir, commit):
    repo = distroless.Repo(gitdir)
    commit, commit_date = repo.commit(commit)
    contents.build_reader()
    gens = generations(repo, commit)
    images = describe(repo, commit, gens)
    packages = Packages(repo)
    for img in images:
        g = gens[img["generation"]]
        aliases = distroless.arch_aliases(repo, g["commit"])
        repos = distroless.repositories(repo, g["commit"]) or {g["codename"]: {"mergedusr": False}}
        img["packages"] = {}
        for arch in img["architectures"]:
            keys = []
            for layer in img["layers"]:
                lock_name = lock_repository(g["codename"], layer["suffix"], aliases[arch], repos)
                for name in layer["packages"]:
                    keys.append(packages.read(g["commit"], lock_name, aliases[arch], name))
            img["packages"][arch] = keys
            for d in img.get("derived", []):
                lock_name = lock_repository(g["codename"], None, aliases[arch], repos)
                d.setdefault("keys", {})[arch] = packages.read(g["commit"], lock_name, aliases[arch], d["package"])
    for url in sorted(set(packages.index.skipped)):
        log(f"not used (its SHA-256 is not the one InRelease signs): {url}")
    build = distroless.literals(repo.show(commit, "BUILD"))
    return {
        "schema_version": SCHEMA_VERSION,
        "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "generated_by": "scripts/gen-images.py fetch",
        "distroless": {
            "repository": distroless.REPOSITORY,
            "commit": commit,
            "commit_date": commit_date,
            "default_generation": build["DEFAULT_DISTRO"],
            "tags": [t for t, _, _ in build["VARIANTS"]],
            "platform_variants": distroless.literals(repo.show(commit, "distro.bzl"))["VARIANTS"],
            "mergedusr": {r: v["mergedusr"] for r, v in distroless.repositories(repo, commit).items()},
            "users": distroless.users(repo, commit),
            "settings": distroless.image_settings(repo, commit),
            "files_read": sorted(f"{c[:12]}:{p}" for c, p in repo.read),
        },
        "debian_archive": sorted(set(debian.ARCHIVES.values())),
        "generations": gens,
        "images": images,
        "packages": dict(sorted(packages.records.items())),
        "contents": dict(sorted(packages.contents.items())),
    }


def write(data, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
