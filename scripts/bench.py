#!/usr/bin/env python3
"""Speed and memory of dlcheck against the tools it replaces, measured in
the same run on the same machine. Run: python3 scripts/bench.py
(needs: cargo, rustc, gcc, binutils (readelf), pax-utils (scanelf), hyperfine, GNU
time at /usr/bin/time, and optionally valgrind and golang-go; apt-get install -y gcc
binutils pax-utils hyperfine time valgrind golang-go).

Two builds of dlcheck are measured: the static one that scripts/build-static.sh
makes (the way to ship it) and the plain `cargo build --release` one, which
is dynamically linked. Every time is hyperfine's median of whole-process
runs (-N: no shell), so each side pays process start once.

Prints, each as a pair and a ratio:
 0. the floor: a static C program that does nothing and a static Rust
    "hello world", against readelf on /usr/bin/true. No program takes less
    than the first, no Rust program less than the second;
 1. one binary: `dlcheck --json FILE` vs `readelf -hldVW FILE`, the median
    over this machine's /usr/bin ELF files and the fixtures of the per-file
    ratio;
 1b. the same pair on the largest C and C++ programs and libraries at hand
    (20 MB or more, not Go: gcc's cc1, node, libLLVM; pass them with
    --large-c PATH), where the target is kept;
 2. the same pair on the largest Go binary at hand (40 MB or more; pass one
    with --large PATH), and `go version -m FILE` (Debian's golang-go), the
    reference for a Go binary;
 3. peak memory of dlcheck on that binary: max RSS (GNU time), which counts
    the mapped pages of the file that it touched, and, with valgrind, the
    heap's peak (massif);
 4. `dlcheck -r /usr --json > /dev/null` vs `scanelf -R -q -n /usr`, wall time.
"""
import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DYNAMIC = os.path.join(ROOT, "target", "release", "dlcheck")


def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def hyperfine(cmds, runs):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            ["hyperfine", "-N", "-i", "--warmup", "2", "-r", str(runs), "--export-json", out.name] + cmds,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        return [r["median"] for r in json.load(open(out.name))["results"]]


def large_go(given):
    """The largest Go program of 40 MB or more in the usual binary folders."""
    if given:
        return given
    found = []
    for d in ["/usr/local/bin", "/usr/bin", "/usr/local/go/bin", os.path.expanduser("~/go/bin"),
              "/usr/lib/google-cloud-sdk/bin"]:
        for f in glob.glob(os.path.join(d, "*")):
            if os.path.isfile(f) and not os.path.islink(f) and os.path.getsize(f) >= 40 << 20 and is_elf(f):
                with open(f, "rb") as fh:
                    if b"\xff Go buildinf:" in fh.read():
                        found.append((os.path.getsize(f), f))
    return max(found)[1] if found else None


def large_c(given):
    """The three largest ELF files of 20 MB or more that are not Go, in the
    usual binary and library folders."""
    if given:
        return given
    found = []
    for pattern in ["/usr/bin/*", "/usr/local/bin/*", "/usr/lib/gcc/*/*/*", "/usr/lib/x86_64-linux-gnu/*"]:
        for f in glob.glob(pattern):
            if os.path.isfile(f) and not os.path.islink(f) and os.path.getsize(f) >= 20 << 20 and is_elf(f):
                with open(f, "rb") as fh:
                    if b"\xff Go buildinf:" not in fh.read():
                        found.append((os.path.getsize(f), f))
    return [f for _, f in sorted(found)[-3:]]


def per_file(builds, files, runs):
    """Median seconds of each command on each file: {label: [t per file]}."""
    cmds = [f"{exe} --json {{f}}" for exe in builds.values()] + ["readelf -hldVW {f}"]
    out = {label: [] for label in list(builds) + ["readelf"]}
    # hyperfine takes the file list as one comma-separated parameter.
    for k in range(0, len(files), 100):
        chunk = files[k:k + 100]
        with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
            subprocess.run(
                ["hyperfine", "-N", "-i", "--warmup", "1", "-r", str(runs), "--export-json", tmp.name,
                 "-L", "f", ",".join(chunk)] + cmds,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            median = {r["command"]: r["median"] for r in json.load(open(tmp.name))["results"]}
        for f in chunk:
            for label, cmd in zip(out, cmds):
                out[label].append(median[cmd.replace("{f}", f)])
    return out


def summary(ratios):
    q = statistics.quantiles(ratios, n=10)
    return f"{statistics.median(ratios):.2f} (p10 {q[0]:.2f}, p90 {q[-1]:.2f})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--large", action="append",
                    help="a Go binary of 40 MB or more (repeatable; default: the largest found)")
    ap.add_argument("--large-c", action="append",
                    help="a C or C++ program or library of 20 MB or more (repeatable; default: the three largest found)")
    ap.add_argument("--files", type=int, default=0, help="at most this many /usr/bin files (0: all)")
    ap.add_argument("--runs", type=int, default=10, help="runs per command and file")
    args = ap.parse_args()
    for tool in ["readelf", "scanelf", "hyperfine", "gcc"]:
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is missing (apt-get install -y gcc binutils pax-utils hyperfine time)")
    subprocess.run(["cargo", "build", "--release", "--locked", "-q"], cwd=ROOT, check=True)
    static = os.path.join(ROOT, subprocess.run([os.path.join(ROOT, "scripts", "build-static.sh")],
                                               check=True, capture_output=True, text=True).stdout.strip())
    builds = {"static": static, "dynamic": DYNAMIC}
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                         capture_output=True, text=True).stdout.strip()
    print(f"machine: {os.cpu_count()} cores, {cpu}")
    print(f"builds: static = {os.path.relpath(static, ROOT)} (scripts/build-static.sh), "
          f"dynamic = target/release/dlcheck (cargo build --release)")

    with tempfile.TemporaryDirectory() as tmp:
        noop, hello = os.path.join(tmp, "noop"), os.path.join(tmp, "hello")
        open(noop + ".c", "w").write("int main(void) { return 0; }\n")
        open(hello + ".rs", "w").write('fn main() { println!("hello"); }\n')
        subprocess.run(["gcc", "-O2", "-static", "-o", noop, noop + ".c"], check=True)
        subprocess.run(["rustc", "-O", "-C", "target-feature=+crt-static", "-o", hello, hello + ".rs"], check=True)
        n, h, r = hyperfine([noop, hello, "readelf -hldVW /usr/bin/true"], 200)
    print(f"0. floor: a static C program that does nothing {n * 1000:.2f} ms, a static Rust hello world "
          f"{h * 1000:.2f} ms; readelf -hldVW /usr/bin/true {r * 1000:.2f} ms")

    files = [f for f in sorted(glob.glob("/usr/bin/*")) if os.path.isfile(f) and not os.path.islink(f) and is_elf(f)]
    if args.files:
        files = files[: args.files]
    files += [f for f in sorted(glob.glob(os.path.join(ROOT, "testdata", "bin", "*"))) if is_elf(f)]
    files = [f for f in files if "," not in f and " " not in f]
    t = per_file(builds, files, args.runs)
    for label in builds:
        ratios = [a / b for a, b in zip(t[label], t["readelf"])]
        print(f"1. one binary, dlcheck --json / readelf -hldVW, {label} build: median ratio {summary(ratios)} "
              f"over {len(files)} files (target <= 0.5); medians {statistics.median(t[label]) * 1000:.2f} ms "
              f"against {statistics.median(t['readelf']) * 1000:.2f} ms")

    for big in large_c(args.large_c):
        size = os.path.getsize(big) / (1 << 20)
        s, d, r = hyperfine([f"{static} --json {big}", f"{DYNAMIC} --json {big}", f"readelf -hldVW {big}"], 30)
        print(f"1b. {big} ({size:.0f} MB): readelf {r * 1000:.2f} ms; dlcheck static {s * 1000:.2f} ms, ratio "
              f"{s / r:.2f}; dynamic {d * 1000:.2f} ms, ratio {d / r:.2f} (target <= 0.5)")

    bigs = args.large or [b for b in [large_go(None)] if b]
    if not bigs:
        print("2./3. no Go binary of 40 MB or more found: pass one with --large PATH")
    for big in bigs:
        size = os.path.getsize(big) / (1 << 20)
        cmds = [f"{static} --json {big}", f"{DYNAMIC} --json {big}", f"readelf -hldVW {big}"]
        go = shutil.which("go")
        s, d, r, *g = hyperfine(cmds + ([f"go version -m {big}"] if go else []), 50)
        print(f"2. {big} ({size:.0f} MB): readelf {r * 1000:.2f} ms; dlcheck static {s * 1000:.2f} ms, ratio "
              f"{s / r:.2f}; dynamic {d * 1000:.2f} ms, ratio {d / r:.2f}")
        if g:
            print(f"   go version -m {g[0] * 1000:.2f} ms (the reference for a Go binary): static ratio "
                  f"{s / g[0]:.2f}, dynamic {d / g[0]:.2f} (target <= 0.5)")
        else:
            print("   go version -m: no `go` on PATH (apt-get install -y golang-go) to compare with")
        res = subprocess.run(["/usr/bin/time", "-f", "%M", static, "--json", big],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        kib = int(res.stderr.strip().splitlines()[-1])
        heap = ""
        if shutil.which("valgrind"):
            with tempfile.NamedTemporaryFile() as out:
                # massif replaces malloc in shared libc only: the dynamic build.
                subprocess.run(["valgrind", "--tool=massif", f"--massif-out-file={out.name}", DYNAMIC, "--json", big],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                peak = max(int(line.split("=")[1]) for line in open(out.name) if line.startswith("mem_heap_B="))
            heap = f"; heap peak {peak / 1024:.0f} KiB (valgrind massif, dynamic build)"
        print(f"3. peak memory on it: {kib / 1024:.1f} MiB max RSS, which counts the file's pages dlcheck "
              f"touched (target < 16 MiB){heap}")

    d, s = hyperfine([f"sh -c '{static} -r /usr --json > /dev/null'", "sh -c 'scanelf -R -q -n /usr > /dev/null'"], 3)
    print(f"4. dlcheck -r /usr --json: {d:.2f} s, scanelf -R -q -n /usr: {s:.2f} s, ratio {d / s:.2f} "
          f"(target <= 1)")


if __name__ == "__main__":
    main()
