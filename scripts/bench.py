#!/usr/bin/env python3
"""Speed and memory of dlcheck against the tools it replaces, measured in
the same run on the same machine. Run: python3 scripts/bench.py
(needs: cargo, binutils (readelf), pax-utils (scanelf), hyperfine, GNU time
at /usr/bin/time; apt-get install -y binutils pax-utils hyperfine time).

Prints, each as a pair and a ratio:
 1. one binary, whole process: `dlcheck --json FILE` vs `readelf -hldVW FILE`,
    the median over this machine's /usr/bin ELF files and the fixtures of the
    per-file ratio (each side the best of 5 runs);
 2. the same pair on the largest Go binary at hand (40 MB or more; pass one
    with --large PATH), timed by hyperfine;
 3. peak memory (max RSS) of dlcheck on that binary;
 4. `dlcheck -r /usr --json > /dev/null` vs `scanelf -R -q -n /usr`, wall time
    (hyperfine, 3 runs each).
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
DLCHECK = os.path.join(ROOT, "target", "release", "dlcheck")


def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def best_of(cmd, n=5):
    best = float("inf")
    for _ in range(n):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def hyperfine(cmds, runs):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            ["hyperfine", "-N", "-i", "--warmup", "2", "-r", str(runs), "--export-json", out.name] + cmds,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        return [r["median"] for r in json.load(open(out.name))["results"]]


def large_go(given):
    if given:
        return given
    for p in ["/usr/local/bin/docker", "/usr/local/bin/terraform", "/usr/lib/google-cloud-sdk/bin/kubectl"]:
        if os.path.isfile(p) and os.path.getsize(p) >= 40 << 20:
            return p
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--large", help="a Go binary of 40 MB or more")
    ap.add_argument("--files", type=int, default=0, help="at most this many /usr/bin files (0: all)")
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "-q"], cwd=ROOT, check=True)
    for tool in ["readelf", "scanelf", "hyperfine"]:
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is missing (apt-get install -y binutils pax-utils hyperfine)")
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                         capture_output=True, text=True).stdout.strip()
    print(f"machine: {os.cpu_count()} cores, {cpu}")

    files = [f for f in sorted(glob.glob("/usr/bin/*")) if os.path.isfile(f) and not os.path.islink(f) and is_elf(f)]
    if args.files:
        files = files[: args.files]
    files += [f for f in sorted(glob.glob(os.path.join(ROOT, "testdata", "bin", "*"))) if is_elf(f)]
    ratios = []
    for f in files:
        a = best_of([DLCHECK, "--json", f])
        b = best_of(["readelf", "-hldVW", f])
        ratios.append(a / b)
    print(f"1. one binary, dlcheck --json / readelf -hldVW: median ratio {statistics.median(ratios):.2f} "
          f"over {len(files)} files (p10 {statistics.quantiles(ratios, n=10)[0]:.2f}, "
          f"p90 {statistics.quantiles(ratios, n=10)[-1]:.2f})")

    big = large_go(args.large)
    if big:
        size = os.path.getsize(big) / (1 << 20)
        d, r = hyperfine([f"{DLCHECK} --json {big}", f"readelf -hldVW {big}"], 20)
        print(f"2. {big} ({size:.0f} MB): dlcheck {d * 1000:.1f} ms, readelf {r * 1000:.1f} ms, ratio {d / r:.2f}")
        res = subprocess.run(["/usr/bin/time", "-f", "%M", DLCHECK, "--json", big],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        kib = int(res.stderr.strip().splitlines()[-1])
        print(f"3. peak memory on it: {kib / 1024:.1f} MiB (max RSS)")
    else:
        print("2./3. no Go binary of 40 MB or more found: pass one with --large PATH")

    d, s = hyperfine([f"sh -c '{DLCHECK} -r /usr --json > /dev/null'", "sh -c 'scanelf -R -q -n /usr > /dev/null'"], 3)
    print(f"4. dlcheck -r /usr --json: {d:.2f} s, scanelf -R -q -n /usr: {s:.2f} s, ratio {d / s:.2f}")


if __name__ == "__main__":
    main()
