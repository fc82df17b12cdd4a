"""Field-by-field comparison of the generated data with the hand-checked
reference (shared/reference/distroless-images.json), for the architectures
both cover (amd64, arm64): every library's path, package, DT_NEEDED and
version definitions; every image's packages and pinned versions, loader
paths, soname map, glibc version, tags and flags.

Prose fields (`debug_shell`, status sentences) are not compared. Versions
read in place of a pinned one that left the archive are compared only
when both sides read the same version.
"""

ARCHES = ["amd64", "arm64"]
PROSE_FLAGS = {"debug_shell"}


def diff(where, ours, theirs, out):
    if ours != theirs:
        out.append(f"{where}: generated {ours!r}, reference {theirs!r}")


def both_arches(where, ours, theirs, out):
    """(arch, ours, theirs) for each compared architecture both sides
    have; one that only one side has is a disagreement."""
    for arch in ARCHES:
        o, t = ours["arch"].get(arch), theirs["arch"].get(arch)
        if o is None or t is None:
            diff(f"{where}.arch.{arch}", o is not None, t is not None, out)
        else:
            yield arch, o, t


def compare_libraries(gen, arch, ours, theirs, base_sonames, out):
    """The libraries of both; of those only generated, the ones a base
    image holds (the reference does not cover the language images)."""
    for soname in sorted(set(ours) | set(theirs)):
        if soname not in theirs and soname not in base_sonames:
            continue
        o, t = ours.get(soname), theirs.get(soname)
        where = f"generations.{gen}.arch.{arch}.libraries.{soname}"
        if o is None or t is None:
            diff(where, o and o["path"], t and t["path"], out)
            continue
        diff(where + ".path", o["path"], t["path"], out)
        diff(where + ".package", o["package"], t.get("package"), out)
        diff(where + ".needed", o["needed"], t.get("needed", []), out)
        diff(where + ".verdefs", sorted(o["verdefs"]), sorted(t.get("verdefs", [])), out)


def compare_packages(where, ours, theirs, out):
    for name in sorted(set(ours) | set(theirs)):
        o, t = ours.get(name), theirs.get(name)
        if o is None or t is None:
            diff(f"{where}.{name}", o and o["pinned"], t, out)
            continue
        pinned_t = t["pinned"] if isinstance(t, dict) else t
        diff(f"{where}.{name}.pinned", o["pinned"], pinned_t, out)


def compare_image(ours, theirs, out):
    name = f"images[{theirs['image']}-{theirs['generation']}]"
    for k in ("reference", "also_published_as", "status", "tags", "glibc_version"):
        diff(f"{name}.{k}", ours[k], theirs.get(k), out)
    for k, v in sorted(theirs["flags"].items()):
        if k not in PROSE_FLAGS:
            diff(f"{name}.flags.{k}", ours["flags"].get(k), v, out)
    for arch, o, t in both_arches(name, ours, theirs, out):
        compare_packages(f"{name}.arch.{arch}.packages", o["packages"], t["packages"], out)
        for k in ("standard_interpreter", "loaders", "sonames"):
            diff(f"{name}.arch.{arch}.{k}", o[k], t[k], out)


def compare(generated, reference):
    """Every disagreement, one line each (empty when they agree)."""
    out = []
    for gen, t in sorted(reference["generations"].items()):
        o = generated["generations"].get(gen)
        if o is None:
            out.append(f"generations.{gen}: missing")
            continue
        diff(f"generations.{gen}.usr_merged", o["usr_merged"], t["usr_merged"], out)
        diff(f"generations.{gen}.built_architectures", o["built_architectures"], t["built_architectures"], out)
        diff(f"generations.{gen}.removed_date", o["removed_date"], t.get("removed_date"), out)
        for arch, oa, ta in both_arches(f"generations.{gen}", o, t, out):
            diff(f"generations.{gen}.arch.{arch}.glibc_version", oa["glibc_version"], ta["glibc_version"], out)
            base = {
                lib["path"]
                for i in generated["images"]
                if i["family"] == "base" and i["generation"] == gen and arch in i["arch"]
                for lib in [oa["libraries"].get(s) for s in i["arch"][arch]["sonames"]]
                if lib
            }
            base_sonames = {s for s, lib in oa["libraries"].items() if lib["path"] in base or lib["package"] in {"libc6"}}
            compare_libraries(gen, arch, oa["libraries"], ta["libraries"], base_sonames, out)
    for t in reference["images"]:
        o = next((i for i in generated["images"] if i["name"] == t["image"] and i["generation"] == t["generation"]), None)
        if o is None:
            out.append(f"images[{t['image']}-{t['generation']}]: missing")
            continue
        compare_image(o, t, out)
    return out
