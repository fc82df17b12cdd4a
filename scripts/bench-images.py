#!/usr/bin/env python3
"""Big images and big trees: dlcheck against the reference commands of
issue 17, measured in the same run on the same machine, and peak memory.

Run: python3 scripts/bench-images.py [--runs 5] [--work DIR] [--before EXE]
     [--write-readme]
(needs: cargo, python3, GNU time at /usr/bin/time, pax-utils (scanelf),
coreutils; about 20 GB free in --work, default a temporary directory that is
removed afterwards; apt-get install -y time pax-utils).

It builds, with Python's tarfile, from this machine's own files:
 - big.tar: a `docker save` archive (Docker 25+ `blobs/` layout) of four
   uncompressed layers: /usr/lib/x86_64-linux-gnu, /usr/bin, /usr/local/bin
   and a static entrypoint (testdata/bin/c-static as /app, with the usrmerge
   links /lib64 and /lib so the programs' loader resolves), 1.4 to 2 GB
   depending on the machine;
   root/: the same layers extracted, for --root and -r;
 - huge.tar: a generated `docker save` archive of more than 4 GiB: glibc's
   loader and libraries, 4.5 GiB of zero-filled "model" files (stored as
   holes, so the archive costs little disk) and a copy of /usr/bin, with a
   dynamic C++ entrypoint (testdata/bin/cxx-dynamic);
 - huge-gzip.tar: the same image as an OCI archive with gzip layers.
Nothing is committed; the work directory is removed unless --work is given.

Every command runs alternately with the others of its row, --runs times
(median reported), each under /usr/bin/time for its peak RSS (max over the
runs). The rows are those of issue 17; with --before, an older dlcheck
binary is measured in the same runs. With --write-readme the table replaces
the one between the `bench-images` markers in README.md.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHUNK = 1 << 20
ZERO = bytes(CHUNK)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class HashingWriter:
    """A file writer that hashes what is written and leaves holes for
    zeros written with `zeros` (the file is sparse on disk)."""

    def __init__(self, path):
        self.f = open(path, "wb")
        self.h = hashlib.sha256()
        self.n = 0

    def write(self, data):
        self.f.write(data)
        self.h.update(data)
        self.n += len(data)
        return len(data)

    def tell(self):
        return self.n

    def zeros(self, n):
        self.f.seek(n, 1)
        self.n += n
        while n:
            k = min(n, CHUNK)
            self.h.update(ZERO[:k])
            n -= k

    def close(self):
        self.f.truncate(self.n)
        self.f.close()
        return self.h.hexdigest()


def pad(w, n):
    if n % 512:
        w.write(bytes(512 - n % 512))


def add_tree(tar, src, arcname):
    """Add a directory of this machine under `arcname`, links kept as links."""
    tar.add(src, arcname=arcname, recursive=True,
            filter=lambda ti: ti if (ti.isfile() or ti.isdir() or ti.issym() or ti.islnk()) else None)


def layer_from_trees(path, trees, links=()):
    """A layer tar of (source dir or file, name in the image) pairs and
    (name, target) symbolic links; returns its sha256 hex."""
    w = HashingWriter(path)
    with tarfile.open(fileobj=w, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, target in links:
            ti = tarfile.TarInfo(name)
            ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, target, 0o777
            tar.addfile(ti)
        for src, name in trees:
            parent = os.path.dirname(name)
            parts = []
            while parent:
                parts.insert(0, parent)
                parent = os.path.dirname(parent)
            for d in parts:
                ti = tarfile.TarInfo(d)
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(ti)
            add_tree(tar, src, name)
    return w.close()


def zero_layer(path, files):
    """A layer of (name, size) zero-filled files, written as holes."""
    w = HashingWriter(path)
    for name, size in files:
        ti = tarfile.TarInfo(name)
        ti.size, ti.mode = size, 0o644
        w.write(ti.tobuf(tarfile.GNU_FORMAT))
        w.zeros(size)
        pad(w, size)
    w.write(bytes(1024))
    return w.close()


def copy_sparse(src, w):
    with open(src, "rb") as f:
        while True:
            b = f.read(CHUNK)
            if not b:
                return
            if b == ZERO[:len(b)]:
                w.zeros(len(b))
            else:
                w.write(b)


def outer_archive(path, members):
    """A tar of (name, file path or bytes) members; holes are kept."""
    w = HashingWriter(path)
    for name, src in members:
        size = len(src) if isinstance(src, bytes) else os.path.getsize(src)
        ti = tarfile.TarInfo(name)
        ti.size, ti.mode = size, 0o644
        w.write(ti.tobuf(tarfile.GNU_FORMAT))
        if isinstance(src, bytes):
            w.write(src)
        else:
            copy_sparse(src, w)
        pad(w, size)
    w.write(bytes(1024))
    w.close()


def config(diff_ids, entrypoint):
    return json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": [entrypoint], "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d in diff_ids]},
    }, sort_keys=True).encode()


def docker_save(path, layer_files, diff_ids, entrypoint):
    cfg = config(diff_ids, entrypoint)
    cfg_hex = hashlib.sha256(cfg).hexdigest()
    layers = [f"blobs/sha256/{d}" for d in diff_ids]
    manifest = json.dumps([{"Config": f"blobs/sha256/{cfg_hex}", "RepoTags": ["bench/big:latest"],
                            "Layers": layers}]).encode()
    members = [("manifest.json", manifest), (f"blobs/sha256/{cfg_hex}", cfg)]
    members += list(zip(layers, layer_files))
    outer_archive(path, members)


def oci_gzip(path, work, layer_files, diff_ids, entrypoint):
    """The same layers gzip-compressed, as an OCI image-layout archive."""
    members, descs = [], []
    for lf in layer_files:
        gz = lf + ".gz"
        h = hashlib.sha256()
        with open(lf, "rb") as src, open(gz, "wb") as raw:
            class Tee(io.RawIOBase):
                def write(self, b):
                    h.update(b)
                    return raw.write(b)
            with gzip.GzipFile(fileobj=Tee(), mode="wb", compresslevel=1, mtime=0) as z:
                shutil.copyfileobj(src, z, CHUNK)
        hexd = h.hexdigest()
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                      "digest": "sha256:" + hexd, "size": os.path.getsize(gz)})
        members.append((f"blobs/sha256/{hexd}", gz))
    cfg = config(diff_ids, entrypoint)
    cfg_hex = hashlib.sha256(cfg).hexdigest()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": "sha256:" + cfg_hex, "size": len(cfg)},
                           "layers": descs}).encode()
    m_hex = hashlib.sha256(manifest).hexdigest()
    index = json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + m_hex,
         "size": len(manifest), "platform": {"os": "linux", "architecture": "amd64"}}]}).encode()
    members = [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", index),
               (f"blobs/sha256/{m_hex}", manifest), (f"blobs/sha256/{cfg_hex}", cfg)] + members
    outer_archive(path, members)


def build(work):
    """Build big.tar, root/, huge.tar and huge-gzip.tar in `work`."""
    big = os.path.join(work, "big.tar")
    if not os.path.exists(big):
        log("building big.tar from /usr (about 1.4 GB) ...")
        trees = [[("/usr/lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu")], [("/usr/bin", "usr/bin")],
                 [("/usr/local/bin", "usr/local/bin")], [(os.path.join(ROOT, "testdata/bin/c-static"), "app")]]
        # The usrmerge links, so that the programs' PT_INTERP and default
        # library directories resolve and the loader walks their needs.
        links = [[], [], [], [("lib64", "usr/lib/x86_64-linux-gnu"), ("lib", "usr/lib")]]
        files = [os.path.join(work, f"big-layer{i}.tar") for i in range(len(trees))]
        ids = [layer_from_trees(f, t, l) for f, t, l in zip(files, trees, links)]
        docker_save(big, files, ids, "/app")
        root = os.path.join(work, "root")
        os.makedirs(root, exist_ok=True)
        for f in files:
            subprocess.run(["tar", "-xf", f, "-C", root], check=True)
            os.remove(f)
    huge = os.path.join(work, "huge.tar")
    if not os.path.exists(huge):
        log("building huge.tar (more than 4 GiB, sparse) and huge-gzip.tar ...")
        libs = "/usr/lib/x86_64-linux-gnu"
        base = [(os.path.join(libs, n), f"lib/x86_64-linux-gnu/{n}") for n in
                ["ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6", "libgcc_s.so.1", "libstdc++.so.6"]]
        base.append(("/lib64", "lib64"))
        layers = [("base", lambda p: layer_from_trees(p, base)),
                  ("model", lambda p: zero_layer(p, [(f"models/shard-{i:02}.bin", 128 << 20) for i in range(36)])),
                  ("bins", lambda p: layer_from_trees(p, [("/usr/bin", "opt/bin")])),
                  ("app", lambda p: layer_from_trees(p, [(os.path.join(ROOT, "testdata/bin/cxx-dynamic"), "app")]))]
        files = [os.path.join(work, f"huge-{n}.tar") for n, _ in layers]
        ids = [make(f) for f, (_, make) in zip(files, layers)]
        docker_save(huge, files, ids, "/app")
        oci_gzip(os.path.join(work, "huge-gzip.tar"), work, files, ids, "/app")
        for f in files:
            os.remove(f)
            os.remove(f + ".gz")
    return big, os.path.join(work, "root"), huge, os.path.join(work, "huge-gzip.tar")


def measure(cmds, runs):
    """{label: (median seconds, max RSS KiB)} running each command in turn,
    `runs` times, after one warm-up round."""
    times = {label: [] for label in cmds}
    rss = {label: 0 for label in cmds}
    for i in range(runs + 1):
        for label, argv in cmds.items():
            start = time.perf_counter()
            r = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
            took = time.perf_counter() - start
            if i == 0:
                continue
            times[label].append(took)
            rss[label] = max(rss[label], int(r.stderr.strip().splitlines()[-1]))
    return {label: (statistics.median(times[label]), rss[label]) for label in cmds}


def fmt(t, kib):
    return f"{t:.2f} s, {kib / 1024:.0f} MiB"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--work", help="keep the built images here (default: a temporary directory)")
    ap.add_argument("--before", help="an older dlcheck binary to measure in the same runs")
    ap.add_argument("--write-readme", action="store_true")
    ap.add_argument("--only", help="comma-separated row numbers to run (default: all)")
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--locked", "-q"], cwd=ROOT, check=True)
    exe = os.path.join(ROOT, "target", "release", "dlcheck")
    work = args.work or tempfile.mkdtemp(prefix="dlcheck-bench-")
    os.makedirs(work, exist_ok=True)
    try:
        rows = run_rows(exe, args, *build(work))
    finally:
        if not args.work:
            shutil.rmtree(work)
    table = render(rows, args)
    print(table)
    if args.write_readme:
        write_readme(table)


def run_rows(exe, args, big, root, huge, huge_gz):
    dirs = [os.path.join(root, d) for d in ["usr/lib/x86_64-linux-gnu", "usr/bin", "usr/local/bin"]]
    exes = {"dlcheck": exe}
    if args.before:
        exes["before"] = args.before
    only = set(args.only.split(",")) if args.only else None
    rows = []

    def row(n, title, ours, refs, ref_of, one_core=False):
        if only and str(n) not in only:
            return
        cmds = {f"{k} {label}": [e] + argv for label, argv in ours.items() for k, e in exes.items()}
        if one_core:
            # The same on one core: the speed-up of the threads.
            cmds.update({f"1core {label}": ["taskset", "-c", "0", exe] + argv for label, argv in ours.items()})
        cmds.update(refs)
        log(f"row {n}: {title}")
        m = measure(cmds, args.runs)
        rows.append((n, title, m, ref_of(m)))

    sumref = lambda *ks: lambda m: (sum(m[k][0] for k in ks), max(m[k][1] for k in ks))
    size = f"{os.path.getsize(big) / 1e9:.1f} GB"
    row(1, f"`--all` on big.tar ({size} docker save, 4 uncompressed layers)",
        {"": ["--all", "--json", big]},
        {"cat": ["cat", big], "-r extracted": [exe, "-r", "--json", root]}, sumref("cat", "-r extracted"), True)
    row(2, "`--root DIR --all` on big.tar extracted", {"": ["--json", "--all", "--root", root, "/app"]},
        {"-r extracted": [exe, "-r", "--json", root]}, sumref("-r extracted"))
    # openssl's SHA-256 uses the CPU's SHA extensions, as dlcheck's does:
    # reading the archive once and hashing all of it.
    sha = lambda f: ["openssl", "dgst", "-sha256", f]
    row(3, "entrypoint only, big.tar", {"": ["--json", big]}, {"openssl sha256": sha(big)}, sumref("openssl sha256"))
    row(4, "`-r` over the three directories (ELF-dense)", {"": ["-r", "--json"] + dirs},
        {"scanelf": ["scanelf", "-R", "-n"] + dirs}, sumref("scanelf"))
    row(5, f"entrypoint only, huge.tar ({os.path.getsize(huge) / (1 << 30):.1f} GiB, sparse)",
        {"": ["--json", huge]}, {"openssl sha256": sha(huge)}, sumref("openssl sha256"))
    row(6, "`--all` on huge.tar", {"": ["--json", "--all", huge]},
        {"openssl sha256": sha(huge)}, sumref("openssl sha256"))
    row(7, "`--all` on huge-gzip.tar (OCI, gzip layers)", {"": ["--json", "--all", huge_gz]},
        {"zcat | sha256": ["sh", "-c", f"for m in $(tar -tf {huge_gz} | grep ^blobs/); do "
                                        f"tar -xOf {huge_gz} $m | gzip -cdf; done | openssl dgst -sha256"]},
        sumref("zcat | sha256"), True)
    return rows


def render(rows, args):
    out = ["| work (same run, warm page cache) | dlcheck | reference | ratio | dlcheck on 1 core |"
           + (" before |" if args.before else ""),
           "|---|---|---|---|---|" + ("---|" if args.before else "")]
    for n, title, m, (rt, rk) in rows:
        t, k = m["dlcheck "]
        refs = ", ".join(f"`{label}` {fmt(*v)}" for label, v in m.items()
                         if not label.startswith(("dlcheck", "before", "1core")))
        one = m.get("1core ")
        one = f"{fmt(*one)} ({one[0] / t:.1f}× slower)" if one else ""
        line = f"| {n}. {title} | {fmt(t, k)} | {refs} | {t / rt:.2f} | {one} |"
        if args.before:
            line += f" {fmt(*m['before '])} |"
        out.append(line)
    return "\n".join(out)


def write_readme(table):
    path = os.path.join(ROOT, "README.md")
    text = open(path).read()
    start, end = "<!-- bench-images:start -->\n", "<!-- bench-images:end -->"
    i, j = text.index(start) + len(start), text.index(end)
    open(path, "w").write(text[:i] + table + "\n" + text[j:])


if __name__ == "__main__":
    main()
