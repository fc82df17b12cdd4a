"""The image definitions, read from the distroless repository at a pinned
commit: which images exist, for which architectures, built from which
Debian packages (and which lock file pins them), on top of which image.

Only facts are taken. The Starlark files are parsed with Python's `ast`
(Starlark's syntax is a subset of Python's) and never executed: literal
assignments (`*/config.bzl`, `distro.bzl`), the `passwd` and `group`
entries, the image settings in `static/static.bzl`. How the images are
stacked (cc on base, python3 on cc ...) is stated in IMAGES below and
checked against the `.bzl` files, so that a change upstream stops the
maintainer step instead of producing wrong data.
"""
import ast
import json
import re
import subprocess

REPOSITORY = "https://github.com/GoogleContainerTools/distroless"

# A generation distroless no longer builds, read at the last commit that
# built it: (generation, last commit, the commit that removed it).
FROZEN = [("debian11", "c7f2e3744ee2522300385e0429d3e4e0c235af7b", "1533e54a73805ec13fe0cc68218fc7a215a0a6f7")]


class Fail(Exception):
    """The repository does not say what the generator expects."""


class Repo:
    """A git directory of the distroless repository (no work tree needed)."""

    def __init__(self, gitdir):
        self.gitdir = gitdir
        self.read = set()

    def git(self, *args):
        out = subprocess.run(["git", "--git-dir", self.gitdir, *args], capture_output=True, text=True)
        if out.returncode != 0:
            raise Fail(f"git {' '.join(args)}: {out.stderr.strip()}")
        return out.stdout

    def show(self, commit, path):
        self.read.add((commit, path))
        return self.git("show", f"{commit}:{path}")

    def show_bytes(self, commit, path):
        self.read.add((commit, path))
        return subprocess.run(
            ["git", "--git-dir", self.gitdir, "show", f"{commit}:{path}"], capture_output=True, check=True
        ).stdout

    def exists(self, commit, path):
        r = subprocess.run(["git", "--git-dir", self.gitdir, "cat-file", "-e", f"{commit}:{path}"], capture_output=True)
        return r.returncode == 0

    def commit(self, rev):
        """(full hash, commit date YYYY-MM-DD)."""
        sha, date = self.git("log", "-1", "--format=%H %cs", rev).split()
        return sha, date


# --- Starlark, read as Python syntax ------------------------------------------------------------


def evaluate(node, env):
    """The value of a literal expression, with names looked up in `env`:
    constants, lists, tuples, dicts, `dict(k = v)`, `+` of lists and
    strings, and subscripts."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in env:
            raise Fail(f"unknown name {node.id}")
        return env[node.id]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [evaluate(e, env) for e in node.elts]
    if isinstance(node, ast.Dict):
        return {evaluate(k, env): evaluate(v, env) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        return {k.arg: evaluate(k.value, env) for k in node.keywords}
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return evaluate(node.left, env) + evaluate(node.right, env)
    if isinstance(node, ast.Subscript):
        return evaluate(node.value, env)[evaluate(node.slice, env)]
    raise Fail(f"not a literal: {ast.dump(node)[:80]}")


def literals(source, env=None):
    """Every top-level `NAME = <literal>` of a Starlark file."""
    env = dict(env or {})
    for stmt in ast.parse(source).body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            try:
                env[stmt.targets[0].id] = evaluate(stmt.value, env)
            except Fail:
                pass
    return env


def calls(tree, name):
    """Every call of the function `name` (a plain or dotted name)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            full = f.id if isinstance(f, ast.Name) else (f"{f.value.id}.{f.attr}" if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else None)
            if full == name:
                yield node


def keyword(call, name):
    return next((k.value for k in call.keywords if k.arg == name), None)


def leftmost_string(node):
    """The first string of a `"a" + x + ...` chain."""
    while isinstance(node, ast.BinOp):
        node = node.left
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def deb_packages(node, env):
    """The package names of `deb.package(arch, distro, "NAME")` calls under
    `node`, and of comprehensions over a literal list (`for pkg in X[distro]`)."""
    names = []
    for call in calls(node, "deb.package"):
        if len(call.args) >= 3 and isinstance(call.args[2], ast.Constant):
            names.append(call.args[2].value)
    for comp in ast.walk(node):
        if isinstance(comp, ast.ListComp) and any(True for _ in calls(comp.elt, "deb.package")):
            it = comp.generators[0].iter
            if isinstance(it, ast.Subscript) and isinstance(it.value, ast.Name):
                names.append(("lookup", it.value.id))
    return names


# --- what the repository says ---------------------------------------------------------------


def require(repo, commit, path, *needles):
    """Check that `path` still states the structure the generator assumes."""
    text = repo.show(commit, path)
    for n in needles:
        if n not in text:
            raise Fail(f"{path} at {commit[:12]} no longer contains {n!r}: the image structure changed, update IMAGES in scripts/imagedata/distroless.py")
    return text


# How the images are stacked, checked against these files. Each entry:
# name, family, based on, config file, packages variable, architectures
# variable, lock repository suffix, the strings that prove the structure.
IMAGES = [
    ("static", "base", None, "static/config.bzl", "STATIC_PACKAGES", "STATIC_ARCHITECTURES", None,
     [("static/BUILD", "packages = STATIC_PACKAGES[distro]"), ("static/static.bzl", '"//common:passwd"')]),
    ("base-nossl", "base", "static", "base/config.bzl", "BASE_NOSSL_PACKAGES", "BASE_ARCHITECTURES", None,
     [("base/BUILD", "packages = BASE_NOSSL_PACKAGES[distro]"), ("base/base.bzl", 'base = "//static:static" + mode')]),
    ("base", "base", "static", "base/config.bzl", "BASE_PACKAGES", "BASE_ARCHITECTURES", None,
     [("base/BUILD", "packages = BASE_PACKAGES[distro]")]),
    ("cc", "base", "base", "cc/config.bzl", "CC_PACKAGES", "CC_ARCHITECTURES", None,
     [("cc/BUILD", "packages = CC_PACKAGES[distro]"), ("cc/cc.bzl", 'base = "//base:base" + mode')]),
    ("python3", "language", "cc", "python3/config.bzl", "PYTHON_PACKAGES", "PYTHON_ARCHITECTURES", "python",
     [("python3/BUILD", "packages = PYTHON_PACKAGES[distro]"), ("python3/python.bzl", 'base = "//cc:cc" + mode'),
      ("python3/python.bzl", 'deb.package(arch, distro, pkg, "python")'), ("python3/python.bzl", '":ldconfig_cache_" + arch')]),
    ("java-base", "language", "base-nossl", "java/config.bzl", "JAVA_BASE_PACKAGES", "JAVA_ARCHITECTURES", "java",
     [("java/BUILD", "JAVA_BASE_PACKAGES[distro]"), ("java/java.bzl", 'base = "//base:base_nossl" + mode'),
      ("java/java.bzl", 'deb.package(arch, distro, pkg, "java")')]),
]


def config(repo, commit, path):
    return literals(repo.show(commit, path))


def current_images(repo, commit, generations):
    """The images of the current layout (`*/config.bzl`)."""
    images = []
    for name, family, based_on, path, pkgs_var, arches_var, suffix, checks in IMAGES:
        for file, needle in checks:
            require(repo, commit, file, needle)
        c = config(repo, commit, path)
        for gen in sorted(c[pkgs_var]):
            if gen not in generations:
                continue
            images.append(image(name, family, gen, based_on, c[arches_var][gen], suffix, c[pkgs_var][gen], f"{path}: {pkgs_var}[{gen!r}], {arches_var}[{gen!r}]"))
    images += java_images(repo, commit, generations) + nodejs_images(repo, commit, generations)
    return images


def image(name, family, gen, based_on, arches, suffix, packages, source, files=None, unread=None):
    return {
        "name": name,
        "family": family,
        "generation": gen,
        "based_on": based_on,
        "architectures": list(arches),
        "layers": [{"suffix": suffix, "packages": list(packages)}] if packages else [],
        "files": files or {},
        "unread": unread or [],
        "source": source,
    }


def java_images(repo, commit, generations):
    text = require(repo, commit, "java/java.bzl", 'base = ":java_base_" + user', '"temurin-" + java_version + "-jre"', '"temurin-" + java_version + "-jdk"', '"adoptium"')
    assert text
    c = config(repo, commit, "java/config.bzl")
    out = []
    for gen, versions in sorted(c["JAVA_MAJOR_VERSIONS"].items()):
        if gen not in generations:
            continue
        for v in versions:
            jre = f"temurin-{v}-jre"
            out.append(image(
                f"java{v}", "language", gen, "java-base", c["JAVA_ARCHITECTURES"][gen], "adoptium", [jre],
                f"java/config.bzl: JAVA_MAJOR_VERSIONS[{gen!r}]; java/java.bzl: java_image (the :debug tags carry temurin-{v}-jdk instead)",
                files={"/usr/bin/java": {"link": f"/usr/lib/jvm/temurin-{v}-jre-{{arch}}/bin/java", "source": "java/java.bzl"}},
            ))
    return out


def nodejs_images(repo, commit, generations):
    require(repo, commit, "nodejs/nodejs.bzl", 'base = "//cc:cc" + mode', 'entrypoint = ["/nodejs/bin/node"]', '"@nodejs" + major_version + "_" + arch')
    c = config(repo, commit, "nodejs/config.bzl")
    out = []
    for gen, per_version in sorted(c["NODEJS_ARCHITECTURES"].items()):
        if gen not in generations:
            continue
        for v in c["NODEJS_MAJOR_VERSIONS"]:
            out.append(image(
                f"nodejs{v}", "language", gen, "cc", per_version[v], None, c["NODEJS_PACKAGES"][v],
                f"nodejs/config.bzl: NODEJS_ARCHITECTURES[{gen!r}][{v!r}], NODEJS_PACKAGES[{v!r}]",
                unread=[{"what": f"Node.js {v} release archive (/nodejs)", "from": "nodejs.org (not a Debian package)", "source": "nodejs/nodejs.bzl"}],
            ))
    return out


def frozen_images(repo, commit, gen):
    """The images of a generation at its last commit (old layout: package
    lists in `base/base.bzl` and `cc/BUILD`)."""
    arches = literals(repo.show(commit, "checksums.bzl"))["ARCHITECTURES"]
    base_bzl = ast.parse(repo.show(commit, "base/base.bzl"))
    lists = {}
    for call in calls(base_bzl, "oci_image"):
        prefix = leftmost_string(keyword(call, "name"))
        lists.setdefault(prefix, deb_packages(keyword(call, "tars"), {}))
    local = {}
    for node in ast.walk(base_bzl):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                local[node.targets[0].id] = evaluate(node.value, {})
            except Fail:
                pass

    def expand(names):
        out = []
        for n in names:
            out += local[n[1]][gen] if isinstance(n, tuple) else [n]
        return out

    cc = [p for p in deb_packages(ast.parse(repo.show(commit, "cc/BUILD")), {}) if isinstance(p, str)]
    require(repo, commit, "cc/BUILD", 'base = "//base" + (mode if mode else ":base")')
    src = "base/base.bzl: oci_image({}) tars"
    return [
        image("static", "base", gen, None, arches, None, expand(lists["static_"]), src.format("static_*")),
        image("base-nossl", "base", gen, "static", arches, None, expand(lists["base_nossl_"]), src.format("base_nossl_*")),
        image("base", "base", gen, "static", arches, None, expand(lists["base_"]), src.format("base_*")),
        image("cc", "base", gen, "base", arches, None, cc, "cc/BUILD: oci_image(cc_*) tars"),
    ]


def users(repo, commit):
    """The `passwd` and `group` entries of common/BUILD.bazel, with the
    uids of common/variables.bzl."""
    env = literals(repo.show(commit, "common/variables.bzl"))
    tree = ast.parse(repo.show(commit, "common/BUILD.bazel"))
    passwd = [evaluate(keyword(c, "entries"), env) for c in calls(tree, "passwd")][0]
    group = [evaluate(keyword(c, "entries"), env) for c in calls(tree, "group")][0]
    return {
        "passwd": [{k: e[k] for k in ("username", "uid", "gid", "home", "shell")} for e in passwd],
        "group": [{k: e[k] for k in ("name", "gid")} for e in group],
        "source": "common/BUILD.bazel (passwd, group), common/variables.bzl",
    }


def image_settings(repo, commit):
    """User, working directory, environment and the debug tags' shell, from
    static/static.bzl (every image inherits them from static)."""
    env = literals(repo.show(commit, "common/variables.bzl"))
    text = repo.show(commit, "static/static.bzl")
    tree = ast.parse(text)
    variants = literals(text, env)["USER_VARIANTS"]
    settings = {"users": {u: {"uid": uid, "workdir": wd} for u, uid, wd in variants}}
    for call in calls(tree, "oci_image"):
        prefix = leftmost_string(keyword(call, "name"))
        env_kw = keyword(call, "env")
        if prefix == "static_" and env_kw is not None:
            settings["env"] = evaluate(env_kw, {})
        if prefix == "static_debug_":
            settings["debug"] = {"entrypoint": evaluate(keyword(call, "entrypoint"), {}), "env": evaluate(keyword(call, "env"), {})}
    tars = [leftmost_string(e) for c in calls(tree, "oci_image") if leftmost_string(keyword(c, "name")) == "static_" for e in keyword(c, "tars").right.elts]
    settings["generated"] = sorted(t for t in tars if t)
    settings["source"] = "static/static.bzl (USER_VARIANTS, oci_image static_* and static_debug_*)"
    return settings


def eol(repo, commit, generation, image_name):
    """The end of life SUPPORT_POLICY.md's table gives an image of a generation."""
    text = repo.show(commit, "SUPPORT_POLICY.md")
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in text.splitlines() if line.startswith("|")]
    if not rows:
        return None
    head = rows[0]
    want = f"Debian {generation.removeprefix('debian')} EOL"
    if want not in head:
        return None
    col = head.index(want)
    key = {"python3": "python*", "java-base": "java*", "nodejs": "node*"}.get(re.sub(r"\d+$", "", image_name), image_name)
    if image_name.startswith("java"):
        key = "java*"
    for r in rows[2:]:
        if r and r[0] == key and col < len(r):
            return r[col]
    return None


def repositories(repo, commit):
    """The lock repositories of deb.MODULE.bazel, with whether their paths
    are merged into /usr (`mergedusr`)."""
    path = "private/repos/deb/deb.MODULE.bazel"
    if not repo.exists(commit, path):
        return {}
    text = repo.show(commit, path)
    tree = ast.parse(text)
    names = literals(text)["REPOS"]
    merged = None
    for call in calls(tree, "apt.install"):
        merged = keyword(call, "mergedusr")
    out = {}
    for r in names:
        m = False
        if isinstance(merged, ast.Constant):
            m = bool(merged.value)
        elif isinstance(merged, ast.Call) and isinstance(merged.func, ast.Attribute) and merged.func.attr == "startswith":
            m = r.startswith(merged.args[0].value)
        elif merged is not None:
            raise Fail(f"{path}: cannot read mergedusr = {ast.unparse(merged)}")
        out[r] = {"mergedusr": m}
    return out


def sources_of(yaml_text):
    """The `sources` of a lock manifest (`channel`, `url`), read line by line."""
    out, cur = [], None
    for line in yaml_text.splitlines():
        m = re.match(r"\s*-\s*channel:\s*(.+?)\s*$", line)
        if m:
            cur = {"channel": m.group(1)}
            out.append(cur)
            continue
        m = re.match(r"\s*url:\s*(\S+)", line)
        if m and cur is not None:
            cur["url"] = m.group(1)
    return out


def lock(repo, commit, name):
    base = f"private/repos/deb/{name}"
    data = json.loads(repo.show(commit, base + ".lock.json"))
    entries = {}
    for p in data["packages"]:
        entries[(p["name"], p["arch"])] = {
            "version": p["version"],
            "sha256": p["sha256"],
            "url": (p.get("urls") or [p.get("url")])[0],
        }
    return {"file": base + ".lock.json", "commit": commit, "sources": sources_of(repo.show(commit, base + ".yaml")), "entries": entries}


def arch_aliases(repo, commit):
    """OCI architecture → Debian architecture (`private/util/deb.bzl`)."""
    return literals(repo.show(commit, "private/util/deb.bzl"))["ARCH_ALIAS"]


def lock_history(repo, path, commit):
    """Every version of a lock file up to `commit`, newest first:
    [(commit, entries)], entries as in `lock`."""
    out = []
    for c in repo.git("log", "--format=%H", commit, "--", path).split():
        try:
            data = json.loads(repo.git("show", f"{c}:{path}"))
        except (Fail, ValueError):
            continue
        entries = {(p["name"], p["arch"]): {"version": p["version"], "sha256": p["sha256"], "url": (p.get("urls") or [p.get("url")])[0]} for p in data.get("packages", [])}
        out.append((c, entries))
    return out


def generated_files(repo, commit, settings):
    """The files the static image's own rules make (not from a package),
    each with the rule that makes it: /etc/passwd, /etc/group, the home
    directories, /tmp, /etc/nsswitch.conf, /usr/lib/os-release and the CA
    bundle (made from the ca-certificates package)."""
    common = repo.show(commit, "common/BUILD.bazel")
    tree = ast.parse(common)
    env = literals(repo.show(commit, "common/variables.bzl"))
    homes = [e["home"] for c in calls(tree, "home") for e in evaluate(keyword(c, "dirs"), env)]
    tmp = re.search(r'name = "tmp".*?mtree = \["\./(\S+) ', common, re.S).group(1)
    nss = re.search(r'mtree = \["(\S+) ', repo.show(commit, "static/BUILD")).group(1)
    rules = settings["generated"]
    out = {}
    for rule, paths in [
        ("//common:passwd", ["/etc/passwd"]),
        ("//common:group", ["/etc/group"]),
        ("//common:home", homes),
        ("//common:tmp", ["/" + tmp]),
        (":nsswitch", ["/" + nss]),
        ("//common:os_release_", ["/usr/lib/os-release"]),
        ("//common:cacerts_", [settings["env"]["SSL_CERT_FILE"]]),
    ]:
        if rule not in rules:
            raise Fail(f"static/static.bzl no longer adds {rule}")
        for p in paths:
            out[p] = {"source": f"static/static.bzl: {rule}; common/BUILD.bazel"}
    return out
