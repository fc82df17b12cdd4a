//! `.dockerignore`: the context files a build never sees. A COPY of an
//! excluded file fails as a COPY of a missing one, and a directory is
//! copied without its excluded files.
//!
//! Source: Docker's documentation of the file ("Dockerfile reference",
//! .dockerignore file) and moby's `patternmatcher`, which the builders use:
//! one pattern a line, `#` comments, surrounding white space dropped; a
//! pattern is cleaned as a path (`./a/../b` is `b`, a leading `/` is
//! dropped) and matched against the whole path from the context's root:
//! `*` any run of characters but `/`, `?` one of them, `[...]` a class,
//! `\` an escape, `**` any number of directories (none too); a pattern
//! that matches a directory excludes what is in it; `!` re-includes, and
//! the last pattern that matches decides. The file beside the Dockerfile
//! (`Dockerfile.dockerignore`, BuildKit) replaces the context's.

use std::path::Path;

/// The most patterns read, the longest pattern kept (bytes) and the most
/// parts it may have: a hostile file cannot make matching unbounded (each
/// file copied is matched against each pattern once, in time linear in the
/// product of the pattern's and the path's parts).
const MAX_PATTERNS: usize = 512;
const MAX_PATTERN: usize = 1024;
const MAX_PARTS: usize = 64;

/// The patterns of a `.dockerignore`, in order.
#[derive(Debug, Clone, Default)]
pub struct Ignore {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    /// `!`: it re-includes what it matches.
    include: bool,
    /// The cleaned pattern, split at `/`.
    parts: Vec<String>,
}

impl Ignore {
    /// The patterns for a build of `dockerfile` with context `context`:
    /// `<dockerfile>.dockerignore` when it exists, else
    /// `<context>/.dockerignore`, else none.
    pub fn read(context: &Path, dockerfile: &Path) -> Ignore {
        let mut beside = dockerfile.as_os_str().to_owned();
        beside.push(".dockerignore");
        let text = std::fs::read(&beside).or_else(|_| std::fs::read(context.join(".dockerignore")));
        text.map(|t| Ignore::parse(&String::from_utf8_lossy(&t)))
            .unwrap_or_default()
    }

    /// The patterns of a `.dockerignore`'s text.
    pub fn parse(text: &str) -> Ignore {
        let patterns = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                let (include, p) = match l.strip_prefix('!') {
                    Some(rest) => (true, rest.trim()),
                    None => (false, l),
                };
                // A pattern that climbs above the context's root (`../x`)
                // names nothing in it, as Go's filepath.Clean keeps the `..`.
                let parts = clean(p)?;
                (!parts.is_empty() && p.len() <= MAX_PATTERN && parts.len() <= MAX_PARTS)
                    .then_some(Pattern { include, parts })
            })
            .take(MAX_PATTERNS)
            .collect();
        Ignore { patterns }
    }

    /// Whether the file or directory at `path` (from the context's root;
    /// a leading `/` is allowed) is left out of the context.
    pub fn excludes(&self, path: &str) -> bool {
        if self.patterns.is_empty() {
            return false;
        }
        let parts = clean(path).unwrap_or_default();
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        let mut excluded = false;
        for p in &self.patterns {
            if matches_or_a_directory(&p.parts, &refs) {
                excluded = !p.include;
            }
        }
        excluded
    }
}

/// `path` cleaned as Go's `filepath.Clean` does, split at `/`: no empty
/// or `.` parts, `..` taken back; `None` when a `..` climbs above the
/// start of a relative path (a leading `/` is the root, which `..` stays
/// at).
fn clean(path: &str) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    let rooted = path.starts_with('/');
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if out.pop().is_none() && !rooted => return None,
            ".." => {}
            p => out.push(p.to_string()),
        }
    }
    Some(out)
}

impl Ignore {
    /// Whether a pattern re-includes something (`!`): an excluded
    /// directory is then still walked for what it re-includes, as the
    /// builders walk it.
    pub fn reincludes(&self) -> bool {
        self.patterns.iter().any(|p| p.include)
    }
}

/// Whether the pattern's parts match the path's parts, or the parts of one
/// of its directories: `**` any number of parts, any other part one (see
/// [`part_matches`]). Dynamic programming over the two lists, for every
/// leading run of the path at once: linear in their product.
fn matches_or_a_directory(pattern: &[String], path: &[&str]) -> bool {
    // can[j]: the pattern's parts so far match the path's first j parts.
    if path.is_empty() {
        return false;
    }
    let mut can = vec![false; path.len() + 1];
    can[0] = true;
    for p in pattern {
        let mut next = vec![false; path.len() + 1];
        if p == "**" {
            let mut any = false;
            for j in 0..=path.len() {
                any |= can[j];
                next[j] = any;
            }
        } else {
            for j in 1..=path.len() {
                next[j] = can[j - 1] && part_matches(p.as_bytes(), path[j - 1].as_bytes());
            }
        }
        can = next;
    }
    can[1..].iter().any(|&c| c)
}

/// One part of a pattern against one part of a path: `*` (or `**` inside
/// a part) any run of bytes, `?` one byte, `[...]` a class (`[^...]`
/// negated, `a-z` ranges), `\` an escape. The classic two-pointer
/// search with one backtracking point.
fn part_matches(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && p[pi] == b'*' {
            while pi < p.len() && p[pi] == b'*' {
                pi += 1;
            }
            star = Some((pi, si));
            continue;
        }
        if let Some((len, ok)) = one(&p[pi..], s[si])
            && ok
        {
            pi += len;
            si += 1;
            continue;
        }
        match star {
            Some((sp, ss)) => {
                pi = sp;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// The pattern element at the start of `p` against byte `c`: its length in
/// the pattern and whether it matches; `None` at the end of the pattern.
fn one(p: &[u8], c: u8) -> Option<(usize, bool)> {
    match *p.first()? {
        b'?' => Some((1, true)),
        b'\\' => Some((2.min(p.len()), p.get(1) == Some(&c))),
        b'[' => {
            // Go's filepath.Match negates with `^` only (`[!a]` is `!` or `a`).
            let negated = p.get(1) == Some(&b'^');
            let mut i = if negated { 2 } else { 1 };
            let mut hit = false;
            let mut first = true;
            while i < p.len() && (p[i] != b']' || first) {
                first = false;
                let lo = p[i];
                if p.get(i + 1) == Some(&b'-') && p.get(i + 2).is_some_and(|&h| h != b']') {
                    hit |= (lo..=p[i + 2]).contains(&c);
                    i += 3;
                } else {
                    hit |= lo == c;
                    i += 1;
                }
            }
            if i >= p.len() {
                // No closing bracket: the pattern is malformed, and
                // matches nothing (Go's filepath.Match: ErrBadPattern).
                return Some((p.len(), false));
            }
            Some((i + 1, hit != negated))
        }
        b => Some((1, b == c)),
    }
}

#[cfg(test)]
mod tests {
    use super::Ignore;

    #[test]
    fn patterns_match_as_the_builders_match() {
        let files: [(&str, &[(&str, bool)]); 3] = [
            (
                "# build output\n  app  \n*.md\n!README.md\ndocs/**/*.png\n/tmp/\n**/.git\nsrc/*/gen\n",
                &[
                    ("app", true),
                    ("/app", true),
                    ("app/inside", true),
                    ("bin/app", false),
                    ("notes.md", true),
                    ("README.md", false),
                    ("sub/notes.md", false),
                    ("docs/a.png", true),
                    ("docs/x/y/a.png", true),
                    ("docs/a.jpg", false),
                    ("tmp/file", true),
                    (".git", true),
                    ("deep/down/.git/config", true),
                    ("src/a/gen", true),
                    ("src/a/b/gen", false),
                ],
            ),
            (
                "*\n!bin\n!bin/**\nbin/secret\n![a-c]?.txt\n!x\\*y\n",
                &[
                    ("anything", true),
                    ("bin", false),
                    ("bin/app", false),
                    ("bin/secret", true),
                    ("b1.txt", false),
                    ("d1.txt", true),
                    ("x*y", false),
                    ("xay", true),
                ],
            ),
            // Go negates a class with ^ only: [!o] is ! or o.
            (
                "app/[!o]*\n../server\n",
                &[("app/ok", true), ("app/!x", true), ("app/x", false), ("server", false)],
            ),
        ];
        for (text, cases) in files {
            let ig = Ignore::parse(text);
            for (path, excluded) in cases {
                assert_eq!(ig.excludes(path), *excluded, "{path} with {text:?}");
            }
        }
        assert!(!Ignore::parse("").excludes("app"));
        assert!(!Ignore::parse("[abc\n").excludes("a"));
    }
}
