"""What a Debian package holds, as far as starting a program goes: its ELF
files (read with dlcheck's own reader, examples/image-facts.rs), its
symbolic links, its files under /etc, the modules without a soname
(counted), and how many time zones and CA certificates it carries.

The package is unpacked in memory from `dpkg-deb --fsys-tarfile` (never
installed); only ELF files are written out, to a temporary directory, for
the reader.
"""
import io
import json
import os
import posixpath
import subprocess
import tarfile
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
READER = os.path.join(ROOT, "target", "release", "examples", "image-facts")

# A module directory listed by name when it holds at most this many files.
LIST_AT_MOST = 8


def build_reader():
    """Build dlcheck's reader (examples/image-facts.rs)."""
    subprocess.run(["cargo", "build", "--quiet", "--release", "--example", "image-facts"], cwd=ROOT, check=True)


def read_elf(paths):
    """The reader's facts of each file, by path."""
    out = {}
    for i in range(0, len(paths), 200):
        r = subprocess.run([READER, *paths[i : i + 200]], capture_output=True, text=True, check=True)
        for line in r.stdout.splitlines():
            facts = json.loads(line)
            out[facts.pop("file")] = facts
    return out


def read_cache(path, arch):
    """The entries of an ld.so.cache for `arch`, in cache order."""
    r = subprocess.run([READER, "--ld-so-cache", arch, path], capture_output=True, text=True, check=True)
    return json.loads(r.stdout)["entries"]


def kept(facts):
    """What is kept of an ELF file's facts: only what the loader uses."""
    out = {"type": facts["type"], "machine": facts["machine"]}
    for k in ("soname", "interpreter", "rpath", "runpath"):
        if facts.get(k):
            out[k] = facts[k]
    for k in ("needed", "verdefs"):
        if facts.get(k):
            out[k] = facts[k]
    return out


def absolute(member):
    """A tar member name (`./usr/lib/x`) as an absolute path."""
    name = member[2:] if member.startswith("./") else member
    return posixpath.normpath("/" + name.lstrip("/"))


def read_deb(path):
    """The contents of one .deb."""
    tar_bytes = subprocess.run(["dpkg-deb", "--fsys-tarfile", path], capture_output=True, check=True).stdout
    links, files, elf_paths, zoneinfo, certs = {}, [], {}, 0, 0
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r|") as tar:
        n = 0
        for m in tar:
            name = absolute(m.name)
            if m.issym() or m.islnk():
                target = m.linkname if m.issym() else absolute(m.linkname)
                if not name.startswith("/usr/share/"):
                    links[name] = target
                elif name.startswith("/usr/share/zoneinfo/"):
                    zoneinfo += 1
                continue
            if not m.isfile():
                continue
            if name.startswith("/usr/share/zoneinfo/"):
                zoneinfo += 1
                continue
            if name.startswith("/usr/share/ca-certificates/") and name.endswith(".crt"):
                certs += 1
                continue
            if name.startswith("/usr/share/"):
                continue
            data = tar.extractfile(m).read()
            if data[:4] == b"\x7fELF":
                n += 1
                out = os.path.join(tmp, str(n))
                with open(out, "wb") as f:
                    f.write(data)
                elf_paths[out] = name
            elif name.startswith("/etc/") or name.endswith("/os-release"):
                files.append(name)
        facts = read_elf(sorted(elf_paths)) if elf_paths else {}
    elf, modules = {}, {}
    for tmp_path, name in elf_paths.items():
        f = facts[tmp_path]
        if "error" in f:
            raise ValueError(f"{path}: {name}: {f['error']}")
        if f.get("soname") or f.get("interpreter"):
            elf[name] = kept(f)
        else:
            modules.setdefault(posixpath.dirname(name), []).append(posixpath.basename(name))
    contents = {"elf": dict(sorted(elf.items())), "links": dict(sorted(links.items())), "files": sorted(files)}
    contents["modules"] = {d: (sorted(v) if len(v) <= LIST_AT_MOST else len(v)) for d, v in sorted(modules.items())}
    if zoneinfo:
        contents["zoneinfo"] = zoneinfo
    if certs:
        contents["ca_certificates"] = certs
    return contents
