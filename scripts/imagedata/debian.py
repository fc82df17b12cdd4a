"""The pinned Debian packages, from Debian's archive.

A lock file names each package's version, SHA-256 and snapshot.debian.org
URL. The same pool path is fetched from Debian's archive
(deb.debian.org, security.debian.org) and checked against the pinned
SHA-256. When the archive no longer has the pinned version, the nearest
version the same suite still has is taken instead, found in the suite's
Packages index (whose SHA-256 is checked against the InRelease file, whose
OpenPGP signature is checked with gpgv and Debian's archive keyring), and
both versions are recorded. Downloads are cached by SHA-256.
"""
import functools
import hashlib
import lzma
import os
import re
import subprocess
import urllib.error
import urllib.request

ARCHIVES = {
    "debian": os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian"),
    "debian-security": os.environ.get("DEBIAN_SECURITY_MIRROR", "http://security.debian.org/debian-security"),
}
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


class Unavailable(Exception):
    """Debian's archive no longer has the package for this architecture."""


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    d = os.path.join(base, "dlcheck", "image-data")
    os.makedirs(d, exist_ok=True)
    return d


def get(url):
    """The body of `url`, or None on 404."""
    try:
        with urllib.request.urlopen(url, timeout=120) as r:
            return r.read()
    except urllib.error.HTTPError as e:
        if e.code in (403, 404, 410):
            return None
        raise


def archive_url(snapshot_url):
    """A snapshot.debian.org URL as the same path in Debian's archive:
    (archive name, base URL, pool path)."""
    m = re.match(r"https?://snapshot\.debian\.org/archive/(debian|debian-security)/[0-9TZ]+/(.*)$", snapshot_url)
    if not m:
        raise ValueError(f"not a snapshot.debian.org URL: {snapshot_url}")
    return m.group(1), ARCHIVES[m.group(1)], m.group(2)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def fetch_pinned(url, digest):
    """The .deb at the pool path of `url`, checked against `digest`; None
    when the archive no longer has it."""
    path = os.path.join(cache_dir(), digest + ".deb")
    if os.path.exists(path):
        with open(path, "rb") as f:
            if sha256(f.read()) == digest:
                return path
    _, base, pool = archive_url(url)
    body = get(f"{base}/{pool}")
    if body is None:
        return None
    if sha256(body) != digest:
        raise ValueError(f"{base}/{pool}: SHA-256 {sha256(body)} differs from the pinned {digest}")
    with open(path, "wb") as f:
        f.write(body)
    return path


class Index:
    """Packages indexes of Debian suites, verified and kept for the run."""

    def __init__(self):
        self.suites = {}
        self.packages = {}
        # Indexes not used: their SHA-256 is not the one InRelease signs.
        self.skipped = []

    def release(self, base, suite):
        """The SHA256 lines of the suite's InRelease, after its signature
        is checked; None when the suite is not in the archive."""
        key = (base, suite)
        if key not in self.suites:
            body = get(f"{base}/dists/{suite}/InRelease")
            if body is not None and os.path.exists(KEYRING):
                path = os.path.join(cache_dir(), "InRelease")
                with open(path, "wb") as f:
                    f.write(body)
                r = subprocess.run(["gpgv", "--keyring", KEYRING, path], capture_output=True)
                if r.returncode != 0:
                    raise ValueError(f"{base}/dists/{suite}/InRelease: bad signature: {r.stderr.decode()[:200]}")
            sums = {}
            if body is not None:
                text = body.decode("utf-8", "replace")
                section = text.split("\nSHA256:\n", 1)[-1]
                for line in section.splitlines():
                    parts = line.split()
                    if len(parts) == 3 and line.startswith(" "):
                        sums[parts[2]] = parts[0]
            self.suites[key] = sums if body is not None else None
        return self.suites[key]

    def stanzas(self, base, suite, component, arch):
        """Every (package, version, filename, sha256) of one Packages index."""
        key = (base, suite, component, arch)
        if key in self.packages:
            return self.packages[key]
        sums = self.release(base, suite)
        name = f"{component}/binary-{arch}/Packages.xz"
        out = []
        if sums and name in sums:
            # By hash, as apt fetches it: the index that InRelease names.
            body = get(f"{base}/dists/{suite}/{component}/binary-{arch}/by-hash/SHA256/{sums[name]}")
            if body is None:
                body = get(f"{base}/dists/{suite}/{name}")
            if body is None or sha256(body) != sums[name]:
                # A mirror caught between updates: never use an index the
                # signed InRelease does not vouch for.
                self.skipped.append(f"{base}/dists/{suite}/{name}")
                body = None
            for stanza in lzma.decompress(body or lzma.compress(b"")).decode("utf-8", "replace").split("\n\n"):
                f = dict(re.findall(r"^(Package|Version|Filename|SHA256|Architecture): (.*)$", stanza, re.M))
                if "Package" in f:
                    out.append(f)
        self.packages[key] = out
        return out


def _order(c):
    """Debian's character order: `~` before everything, letters before
    other characters."""
    if c == "~":
        return -1
    if c.isalpha():
        return ord(c)
    return ord(c) + 256


def _compare_part(a, b):
    """Debian policy 5.6.12: alternate non-digit and digit runs."""
    while a or b:
        i = 0
        while i < len(a) and not a[i].isdigit():
            i += 1
        j = 0
        while j < len(b) and not b[j].isdigit():
            j += 1
        sa, sb = a[:i], b[:j]
        for k in range(max(len(sa), len(sb))):
            ca = _order(sa[k]) if k < len(sa) else 0
            cb = _order(sb[k]) if k < len(sb) else 0
            if ca != cb:
                return -1 if ca < cb else 1
        a, b = a[i:], b[j:]
        i = len(a) - len(a.lstrip("0123456789"))
        j = len(b) - len(b.lstrip("0123456789"))
        da, db = int(a[:i] or 0), int(b[:j] or 0)
        if da != db:
            return -1 if da < db else 1
        a, b = a[i:], b[j:]
    return 0


def compare(a, b):
    """-1, 0 or 1 as Debian version `a` is older, equal or newer than `b`."""
    def split(v):
        epoch, _, rest = v.rpartition(":") if ":" in v else ("0", "", v)
        upstream, _, revision = rest.rpartition("-") if "-" in rest else (rest, "", "0")
        return int(epoch or 0), upstream, revision

    ea, ua, ra = split(a)
    eb, ub, rb = split(b)
    if ea != eb:
        return -1 if ea < eb else 1
    return _compare_part(ua, ub) or _compare_part(ra, rb)


def newer(a, b):
    return compare(a, b) > 0


def index_candidates(index, name, debarch, sources):
    """Every version of `name` the verified Packages indexes of the suites
    of `sources` list: (version, sha256, url, where)."""
    out = []
    for src in sources:
        suite, component = src["channel"].split()[:2]
        _, base, _ = archive_url(src["url"].rstrip("/") + "/dists")
        if index.release(base, suite) is None:
            continue
        for f in index.stanzas(base, suite, component, debarch):
            if f["Package"] == name and f["Architecture"] in (debarch, "all"):
                out.append((f["Version"], f["SHA256"], f"{base}/{f['Filename']}", f"the {suite} Packages index"))
    return out


def nearest_first(pinned, candidates):
    """Candidates ordered by closeness to the pinned version: newer ones
    oldest first, then older ones newest first."""
    def closer(a, b):
        up_a, up_b = newer(a[0], pinned), newer(b[0], pinned)
        if up_a != up_b:
            return -1 if up_a else 1
        return compare(a[0], b[0]) if up_a else compare(b[0], a[0])

    seen, unique = set(), []
    for c in candidates:
        if (c[0], c[1]) not in seen:
            seen.add((c[0], c[1]))
            unique.append(c)
    return sorted(unique, key=functools.cmp_to_key(closer))


def download(url, digest):
    """The file at `url` (an archive or snapshot URL), checked against
    `digest`, from the cache or the archive; None when missing."""
    if "snapshot.debian.org" in url:
        return fetch_pinned(url, digest)
    path = os.path.join(cache_dir(), digest + ".deb")
    if os.path.exists(path):
        return path
    body = get(url)
    if body is None or sha256(body) != digest:
        return None
    with open(path, "wb") as f:
        f.write(body)
    return path


def fetch(index, name, debarch, pin, sources, history):
    """The package as pinned, else the nearest version the archive has:
    (path, record), the record holding `pinned`, `sha256`, `lock_url` and,
    when another version was read, `analyzed` {version, sha256, url,
    pinned_by}.

    The other versions tried, nearest first, are those the suite's signed
    Packages indexes list and those earlier lock files pinned (`history`:
    (version, sha256, url, where) from the lock file's git history); each
    is checked against the SHA-256 of its source. The pinned file found
    elsewhere in the archive (a security update moved to the main pool)
    is the pinned file."""
    record = {"pinned": pin["version"], "sha256": pin["sha256"], "lock_url": pin["url"]}
    path = fetch_pinned(pin["url"], pin["sha256"])
    if path is not None:
        return path, record
    candidates = index_candidates(index, name, debarch, sources) + list(history)
    for version, digest, url, where in nearest_first(pin["version"], candidates):
        path = download(url, digest)
        if path is None:
            continue
        if digest != pin["sha256"]:
            if "snapshot.debian.org" in url:
                _, base, pool = archive_url(url)
                url = f"{base}/{pool}"
            record["analyzed"] = {"version": version, "sha256": digest, "url": url, "pinned_by": where}
        return path, record
    raise Unavailable(
        f"Debian's archive has neither the pinned {pin['version']} nor another version that a signed index or an earlier lock file vouches for"
    )
