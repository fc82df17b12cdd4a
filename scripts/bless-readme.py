#!/usr/bin/env python3
"""Rewrite the sample outputs in README.md: every "$ dlcheck ARGS" line in a
fenced block is run with target/debug/dlcheck (build it first) and the lines
after it, up to the closing fence, are replaced with what it prints.
tests/readme.rs fails until the samples are current. Review the diff."""
import os
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
exe = os.path.join(root, "target", "debug", "dlcheck")
lines = open(os.path.join(root, "README.md")).read().split("\n")
out, i = [], 0
while i < len(lines):
    line = lines[i]
    out.append(line)
    i += 1
    if line.startswith("$ dlcheck "):
        args = line[len("$ dlcheck "):].split()
        res = subprocess.run([exe] + args, cwd=root, capture_output=True, text=True)
        out.extend(res.stdout.rstrip("\n").split("\n"))
        while i < len(lines) and not lines[i].startswith("```"):
            i += 1
open(os.path.join(root, "README.md"), "w").write("\n".join(out))
print("README.md samples rewritten", file=sys.stderr)
