#!/usr/bin/env python3
"""Record what really happens when the platform fixtures start, and the
native libraries load, in root file systems assembled from the very Debian
packages dlcheck's image data was read from (data/sources/), so that tests
can hold dlcheck's verdicts against real runs.

    python3 scripts/record-platform-runs.py [--distroless GITDIR]

Host: Linux amd64, run as root (chroot(2)); needs dpkg-deb, gcc and
qemu-user-static (apt-get install -y dpkg gcc qemu-user-static). The .debs
come from the generator's cache (~/.cache/dlcheck/image-data/, filled by
scripts/gen-images.py fetch), downloaded again (SHA-256 checked) when
missing. GITDIR (a clone of the distroless repository, default the one
gen-images.py keeps) gives python3's /etc/ld.so.cache.

For each image and architecture with data:
1. the image's packages are unpacked (`dpkg-deb -x`, never installed) in
   layer order, with rules_distroless's mergedusr rewrite for the trixie
   repositories (bin, sbin, lib* moved under usr/);
2. a program fixture is copied to /app and started as a container runtime
   does (chroot, then execve; for another architecture through
   /qemu-<arch>-static, the static qemu user emulator copied into the
   root, so that its loader and libraries are the root's, never the
   host's), with stdin /dev/null, PATH and LC_ALL=C, a 20 s timeout;
3. a library fixture is loaded by /probe, a small C program built here
   that dlopen()s it (RTLD_NOW) and prints dlerror() on failure.

Writes testdata/platforms/<image>@<arch>/<fixture>.txt: a line
`exit: <status>`, then stderr (`.stdout` beside it), and
testdata/platforms/index.tsv. Replaces testdata/platforms/.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from imagedata import debian, layout  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = os.path.join(ROOT, "data", "sources", "distroless-sources.json")
BIN = os.path.join(ROOT, "testdata", "bin")
OUT = os.path.join(ROOT, "testdata", "platforms")
QEMU = {"arm": "arm", "arm64": "aarch64", "s390x": "s390x", "ppc64le": "ppc64le", "riscv64": "riscv64"}
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}

# Which fixtures start where: programs per architecture, libraries on amd64.
PROGRAMS = {arch: [f"c-{arch}", f"c-{arch}-static", f"cxx-{arch}", f"cxx-{arch}-static"] for arch in ("arm", "s390x", "ppc64le", "riscv64")}
LIBRARIES = ["pyext-zlib.so", "pyext-libpython.so", "jni-cxx.so", "jni-ssl.so"]
LIBRARY_IMAGES = ["base-nossl", "base", "cc", "python3", "java-base"]

PROBE = r"""
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
    if (argc < 2) return 2;
    if (!dlopen(argv[1], RTLD_NOW)) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    puts("loaded");
    return 0;
}
"""


def deb_path(record):
    """The cached .deb of a package record (downloaded when missing)."""
    read = record.get("analyzed", {})
    digest = read.get("sha256", record["sha256"])
    url = read.get("url", record["lock_url"])
    path = debian.download(url, digest)
    if path is None:
        raise SystemExit(f"cannot get {url}")
    return path


def unpack(src, img, arch, root):
    """The image's packages, unpacked into `root` in layer order."""
    merged = src["distroless"]["mergedusr"]
    for key in layout.layer_keys(src, src["images"], img, arch):
        record = src["packages"][key]
        if "unavailable" in record:
            raise SystemExit(f"{key}: {record['unavailable']}")
        with tempfile.TemporaryDirectory() as stage:
            subprocess.run(["dpkg-deb", "-x", deb_path(record), stage], check=True)
            if merged.get(key.split("/")[0]):
                for top in layout.MERGED:
                    d = os.path.join(stage, top)
                    if os.path.isdir(d) and not os.path.islink(d):
                        os.makedirs(os.path.join(stage, "usr", top), exist_ok=True)
                        subprocess.run(["cp", "-a", f"{d}/.", os.path.join(stage, "usr", top)], check=True)
                        shutil.rmtree(d)
            subprocess.run(["cp", "-a", f"{stage}/.", root], check=True)


def add_files(src, img, arch, root, gitdir):
    """The image's own links and /etc/ld.so.cache (python3)."""
    for i in layout.chain(src["images"], img):
        for path, f in {**i["files"], **i.get("files_per_arch", {}).get(arch, {})}.items():
            dest = root + path
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            if "link" in f and not os.path.lexists(dest):
                os.symlink(f["link"].replace("{arch}", arch), dest)
            elif path == "/etc/ld.so.cache" and gitdir:
                data = subprocess.run(["git", "--git-dir", gitdir, "show", f"{src['distroless']['commit']}:{f['source']}"], capture_output=True, check=True).stdout
                with open(dest, "wb") as out:
                    out.write(data)


def run(root, argv, arch):
    """Start argv[0] in `root` as a container runtime does: (status, stdout,
    stderr)."""
    if arch != "amd64":
        argv = [f"/qemu-{QEMU[arch]}-static", *argv]
    try:
        p = subprocess.run(
            argv,
            executable=argv[0],
            env=ENV,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=20,
            preexec_fn=lambda: (os.chroot(root), os.chdir("/")),
        )
    except OSError as e:
        return 127, b"", f"exec {argv[0]}: {os.strerror(e.errno).lower()}\n".encode()
    status = p.returncode if p.returncode >= 0 else 128 - p.returncode
    return status, p.stdout, p.stderr


def record(out_dir, name, result, index, label):
    status, stdout, stderr = result
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, name + ".txt"), "wb") as f:
        f.write(f"exit: {status}\n".encode() + stderr)
    with open(os.path.join(out_dir, name + ".stdout"), "wb") as f:
        f.write(stdout)
    first = stderr.decode("utf-8", "replace").split("\n")[0]
    index.append(f"{label}\t{name}\t{status}\t{first}")


def image_runs(src, img, arch, probe, gitdir, index):
    label = f"{img['name']}-{img['generation']}@{arch}"
    programs = PROGRAMS.get(arch, []) if img["family"] == "base" else []
    libraries = LIBRARIES if arch == "amd64" and img["name"] in LIBRARY_IMAGES and img["generation"] == "debian13" else []
    if not programs and not libraries:
        return
    print(f"record-platform-runs: {label}", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory() as root:
        unpack(src, img, arch, root)
        add_files(src, img, arch, root, gitdir)
        if arch != "amd64":
            shutil.copy(f"/usr/bin/qemu-{QEMU[arch]}-static", root)
        for f in programs:
            shutil.copy(os.path.join(BIN, f), os.path.join(root, "app"))
            os.chmod(os.path.join(root, "app"), 0o755)
            record(os.path.join(OUT, label), f, run(root, ["/app"], arch), index, label)
        if libraries:
            shutil.copy(probe, os.path.join(root, "probe"))
        for f in libraries:
            shutil.copy(os.path.join(BIN, f), os.path.join(root, f))
            record(os.path.join(OUT, label), f, run(root, ["/probe", "/" + f], arch), index, label)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--distroless", default=os.path.expanduser("~/.cache/dlcheck/distroless.git"))
    args = p.parse_args()
    gitdir = args.distroless if os.path.exists(args.distroless) else None
    with open(SOURCES) as f:
        src = json.load(f)
    shutil.rmtree(OUT, ignore_errors=True)
    index = []
    with tempfile.TemporaryDirectory() as tmp:
        probe = os.path.join(tmp, "probe")
        subprocess.run(["gcc", "-O2", "-x", "c", "-o", probe, "-", "-ldl"], input=PROBE.encode(), check=True)
        for img in src["images"]:
            for arch in img["architectures"]:
                missing = any("unavailable" in src["packages"][k] for k in layout.layer_keys(src, src["images"], img, arch))
                if not missing:
                    image_runs(src, img, arch, probe, gitdir, index)
    with open(os.path.join(OUT, "index.tsv"), "w") as f:
        f.write("image\tfixture\texit\tfirst stderr line\n" + "\n".join(sorted(index)) + "\n")
    print(f"record-platform-runs: {len(index)} runs in {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
