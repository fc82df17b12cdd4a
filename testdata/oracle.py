#!/usr/bin/env python3
"""Independent oracle for the dlcheck fixtures (stdlib only).

Usage: python3 oracle.py <bin-dir> <oracle-dir>

For every file in <bin-dir> writes <oracle-dir>/<name>.json. The ELF facts
come exclusively from the raw `readelf -hldnVW` output stored next to it
(<name>.readelf) and the Go facts from `go version -m` (<name>.go-version);
only the container format (and script shebangs) are decided from the
fixture's leading magic bytes. dlcheck output is never consulted.

JSON keys:
  all:     name, format ("elf"|"mach-o"|"pe"|"script"|"empty"|"unknown")
  script:  shebang (interpreter path), shebang_arg (str|null), crlf (bool)
  elf:     class, endianness, readelf_machine, e_type, interpreter, needed,
           soname, rpath, runpath, version_needs, has_dynamic, malformed;
           arm_cpu_arch (Tag_CPU_arch) from `readelf -A` (<name>.readelf-A)
           when that file exists (32-bit ARM fixtures)
  Go:      go_version, go_path, go_settings, go_main_module, go_deps (also for
           the Mach-O/PE Go files).
           go_main_module: {path, version, sum} from the `mod` line, or null.
           go_deps: [{path, version, sum, replace}] from the `dep` lines, in
           order; replace is null or {path, version, sum} from the `=>` line
           that follows the dep. An empty version or sum field becomes null.
"""

import json
import os
import re
import sys

MACHO_MAGICS = {
    b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe",  # 32-bit
    b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe",  # 64-bit
    b"\xca\xfe\xba\xbe",                      # fat/universal
}


def detect_format(data):
    if len(data) == 0:
        return "empty"
    if data[:4] == b"\x7fELF":
        return "elf"
    if data[:4] in MACHO_MAGICS:
        return "mach-o"
    if data[:2] == b"MZ":
        return "pe"
    if data[:2] == b"#!":
        return "script"
    return "unknown"


def parse_shebang(data):
    line = data.split(b"\n", 1)[0][2:]
    crlf = line.endswith(b"\r")
    line = line.rstrip(b"\r").decode("utf-8", "replace").strip()
    parts = line.split(None, 1)
    return {
        "shebang": parts[0] if parts else "",
        "shebang_arg": parts[1] if len(parts) > 1 else None,
        "crlf": crlf,
    }


RE_BRACKET = re.compile(r"\[(.*)\]\s*$")


def parse_readelf(text):
    out = {
        "class": None,
        "endianness": None,
        "readelf_machine": None,
        "e_type": None,
        "interpreter": None,
        "needed": [],
        "soname": None,
        "rpath": None,
        "runpath": None,
        "version_needs": {},
        "has_dynamic": False,
        "malformed": False,
        "gnu_stack": None,
        "isa_needed": None,
        "min_kernel": None,
    }
    section = None  # which part of the readelf output we are in
    in_phdrs = False
    cur_file = None
    for raw in text.splitlines():
        line = raw.rstrip()
        s = line.strip()
        if s.startswith("readelf: Error:") or s.startswith("readelf: Warning:"):
            out["malformed"] = True
            continue

        # --- ELF header (-h)
        if s.startswith("Class:"):
            v = s.split(":", 1)[1].strip()
            out["class"] = 64 if v == "ELF64" else 32 if v == "ELF32" else v
            continue
        if s.startswith("Data:") and out["endianness"] is None:
            v = s.split(":", 1)[1]
            out["endianness"] = ("little" if "little endian" in v
                                 else "big" if "big endian" in v else v.strip())
            continue
        if s.startswith("Machine:") and out["readelf_machine"] is None:
            out["readelf_machine"] = s.split(":", 1)[1].strip()
            continue
        if s.startswith("Type:") and out["e_type"] is None:
            out["e_type"] = s.split(":", 1)[1].strip().split()[0]
            continue

        # --- section switches
        if s.startswith("Program Headers:"):
            in_phdrs = True
            section = "phdrs"
            continue
        if s.startswith("Section to Segment mapping:"):
            in_phdrs = False
            section = None
            continue
        if s.startswith("Dynamic section at offset"):
            section = "dynamic"
            continue
        if s.startswith("Version needs section"):
            section = "verneed"
            cur_file = None
            continue
        if (s.startswith("Version symbols section")
                or s.startswith("Version definition section")
                or s.startswith("No version information")):
            section = "version-other"
            continue
        # Notes (-n) follow the version sections: a SystemTap probe's
        # "Name: throw" (libstdc++ linked in statically) is no version.
        if s.startswith("Displaying notes found in"):
            section = None
            continue

        # --- program headers (-l)
        if in_phdrs:
            if s.startswith("[Requesting program interpreter:"):
                out["interpreter"] = s[len("[Requesting program interpreter:"):].rstrip("]").strip()
            elif s.split()[:1] == ["DYNAMIC"]:
                out["has_dynamic"] = True
            elif s.split()[:1] == ["GNU_STACK"]:
                # Type Offset VirtAddr PhysAddr FileSiz MemSiz Flg Align:
                # the flags are what lies between MemSiz and Align.
                flags = "".join(s.split()[6:-1])
                out["gnu_stack"] = "RWX" if "E" in flags else "RW"
            continue

        # --- notes (-n)
        m = re.search(r"x86 ISA needed: (.*)$", s)
        if m:
            levels = [v.strip() for v in m.group(1).split(",")]
            above = [v for v in levels if v in ("x86-64-v2", "x86-64-v3", "x86-64-v4")]
            out["isa_needed"] = max(above) if above else None
            continue
        m = re.search(r"OS: Linux, ABI: (\d+\.\d+\.\d+)", s)
        if m:
            out["min_kernel"] = m.group(1)
            continue

        # --- dynamic section (-d)
        if section == "dynamic":
            m = re.match(r"0x[0-9a-fA-F]+\s+\((\w+)\)\s+(.*)$", s)
            if not m:
                continue
            tag, rest = m.group(1), m.group(2)
            b = RE_BRACKET.search(rest)
            val = b.group(1) if b else None
            if tag == "NEEDED" and val is not None:
                out["needed"].append(val)
            elif tag == "SONAME":
                out["soname"] = val
            elif tag == "RPATH":
                out["rpath"] = val
            elif tag == "RUNPATH":
                out["runpath"] = val
            continue

        # --- version needs (-V, .gnu.version_r only)
        if section == "verneed":
            m = re.search(r"\bFile:\s*(\S+)", s)
            if m and re.match(r"[0-9a-fA-Fx]+:\s+Version:", s):
                cur_file = m.group(1)
                out["version_needs"].setdefault(cur_file, [])
                continue
            m = re.search(r"\bName:\s*(\S+)", s)
            if m and cur_file is not None:
                out["version_needs"][cur_file].append(m.group(1))
            continue
    return out


def _module_fields(fields):
    """[path, version, sum] tab fields -> dict; empty/missing fields -> None."""
    fields = list(fields) + [""] * (3 - len(fields))
    path, version, sum_ = fields[:3]
    return {"path": path or None, "version": version or None, "sum": sum_ or None}


def parse_go_modules(text):
    """`mod`, `dep` and `=>` lines of `go version -m` output.

    Each line is "\t<kind>\t<path>\t<version>\t<sum>" (the sum field may be
    empty but its tab is still printed, e.g. "\tmod\tx\t(devel)\t")."""
    res = {"go_main_module": None, "go_deps": []}
    last_dep = None
    for line in text.splitlines()[1:]:
        if not line.startswith("\t"):
            continue
        fields = line[1:].split("\t")
        kind, rest = fields[0], fields[1:]
        if kind == "mod":
            res["go_main_module"] = _module_fields(rest)
            last_dep = None
        elif kind == "dep":
            last_dep = _module_fields(rest)
            last_dep["replace"] = None
            res["go_deps"].append(last_dep)
        elif kind == "=>":
            if last_dep is not None:
                last_dep["replace"] = _module_fields(rest)
        else:
            last_dep = None
    return res


def parse_go_version(text):
    res = {"go_version": None, "go_path": None, "go_settings": {}}
    res.update(parse_go_modules(text))
    lines = text.splitlines()
    if lines:
        m = re.match(r"^.*?:\s+(go\S+)\s*$", lines[0])
        if m:
            res["go_version"] = m.group(1)
    for line in lines[1:]:
        parts = line.strip("\n").split("\t")
        # lines look like "\tbuild\tKEY=VALUE" / "\tpath\tPKG"
        parts = [p for p in parts if p != ""] if parts and parts[0] == "" else parts
        if len(parts) >= 2 and parts[0] == "build":
            kv = "\t".join(parts[1:])
            if "=" in kv:
                k, v = kv.split("=", 1)
                if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
                    try:  # Go quotes values containing spaces, e.g. -ldflags="-s -w"
                        v = json.loads(v)
                    except ValueError:
                        pass
                res["go_settings"][k] = v
        elif len(parts) >= 2 and parts[0] == "path":
            res["go_path"] = parts[1]
    return res


def parse_arm_attributes(text):
    """Tag_CPU_arch from `readelf -A` (the ARM build attributes), or None."""
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("Tag_CPU_arch:"):
            return s.split(":", 1)[1].strip()
    return None


def main():
    bin_dir, oracle_dir = sys.argv[1], sys.argv[2]
    for name in sorted(os.listdir(bin_dir)):
        path = os.path.join(bin_dir, name)
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        fmt = detect_format(data)
        rec = {"name": name, "format": fmt}
        if fmt == "script":
            rec.update(parse_shebang(data))
        elif fmt == "elf":
            with open(os.path.join(oracle_dir, name + ".readelf"),
                      encoding="utf-8", errors="replace") as f:
                rec.update(parse_readelf(f.read()))
        attrs = os.path.join(oracle_dir, name + ".readelf-A")
        if os.path.exists(attrs):
            with open(attrs, encoding="utf-8", errors="replace") as f:
                rec["arm_cpu_arch"] = parse_arm_attributes(f.read())
        gv = os.path.join(oracle_dir, name + ".go-version")
        if os.path.exists(gv):
            with open(gv, encoding="utf-8", errors="replace") as f:
                rec.update(parse_go_version(f.read()))
        with open(os.path.join(oracle_dir, name + ".json"), "w") as f:
            json.dump(rec, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
