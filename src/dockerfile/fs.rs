//! A stage's file system, as far as the Dockerfile tells: the base image's
//! directories and files, then what `COPY`, `ADD` and `WORKDIR` put there,
//! with BuildKit's rules for where a copy lands (fsutil's copy, as
//! `docker build` runs it): a file onto an existing directory is
//! `cannot replace to directory <path> with file`, a file onto a symbolic
//! link replaces the link, and missing parent directories are made, through
//! the links of the path's parents.
//!
//! A tree is *open* when something dlcheck cannot see may have added files
//! (a `RUN`, an image it has no data for, a copied directory whose contents
//! are not visible): a path missing from an open tree may still be there.

use std::collections::BTreeMap;

/// Where a file in the tree came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The base image.
    Base,
    /// The build context: the path there (relative to the context).
    Context(String),
    /// Another stage or image (`COPY --from`): its name and the path there.
    From {
        /// The stage (name or index) or image.
        from: String,
        /// The source path there.
        path: String,
    },
    /// A heredoc of a `COPY`.
    HereDoc,
}

/// A file put in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Where from.
    pub origin: Origin,
    /// The line of the `COPY`/`ADD` that put it there (0: the base).
    pub line: usize,
    /// Whether it has execute bits, when known.
    pub executable: Option<bool>,
}

/// One entry of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A directory; `open` when its contents are not all known.
    Dir {
        /// Files dlcheck cannot see may be in it.
        open: bool,
    },
    /// A symbolic link, with its target as stored.
    Link(String),
    /// A regular file.
    File(File),
}

/// What a path is, seen from the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// There: its real path (links followed) and node.
    Found(String, &'a Node),
    /// Not there, and nothing unseen can have put it there.
    Missing,
    /// Not there: a parent (this one) is a file (`ENOTDIR`).
    NotDirectory(String),
    /// Not known to be there; something unseen may have put it there.
    Unknown,
}

impl Lookup<'_> {
    /// `Some(true)` when there, `Some(false)` when surely not, `None`
    /// when not known.
    pub fn found(&self) -> Option<bool> {
        match self {
            Lookup::Found(..) => Some(true),
            Lookup::Missing | Lookup::NotDirectory(_) => Some(false),
            Lookup::Unknown => None,
        }
    }
}

/// Why a copy cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyError {
    /// A file onto an existing directory (BuildKit refuses; the legacy
    /// builder replaces the directory with the file).
    ReplaceDirectory(String),
    /// A directory onto an existing file.
    NotDirectory(String),
}

/// A file system tree: absolute, normalised paths to nodes.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    nodes: BTreeMap<String, Node>,
    /// Anything may be anywhere (an unknown base image, or after a `RUN`).
    pub open: bool,
}

/// `path` made absolute against `cwd`, with `.`, `..` and repeated
/// slashes resolved; the trailing slash is dropped.
pub fn normalize(path: &str, cwd: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{cwd}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// The last component of a path.
pub fn basename(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or_default()
}

impl Tree {
    /// An empty tree (`scratch`), with `/`.
    pub fn new() -> Tree {
        let mut t = Tree::default();
        t.nodes.insert("/".into(), Node::Dir { open: false });
        t
    }

    /// A tree about which nothing is known.
    pub fn unknown() -> Tree {
        let mut t = Tree::new();
        t.open = true;
        t
    }

    /// `path` with the links of its parents followed (at most 40, as the
    /// kernel); the last component is kept as it is.
    fn resolve_parents(&self, path: &str) -> String {
        self.resolve_within(path, &mut 0)
    }

    /// [`Tree::resolve_parents`], counting the links followed in `hops`
    /// across the recursion, so a loop of links ends.
    fn resolve_within(&self, path: &str, hops: &mut usize) -> String {
        let mut out = String::from("/");
        let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        for (i, c) in comps.iter().enumerate() {
            let next = normalize(c, &out);
            if i + 1 == comps.len() {
                return next;
            }
            out = match self.nodes.get(&next) {
                Some(Node::Link(target)) if *hops < 40 => {
                    *hops += 1;
                    self.resolve_within(&normalize(target, parent(&next)), hops)
                }
                _ => next,
            };
        }
        out
    }

    /// `path` with every link followed.
    fn resolve(&self, path: &str) -> String {
        let mut p = self.resolve_parents(path);
        for _ in 0..40 {
            match self.nodes.get(&p) {
                Some(Node::Link(target)) => p = self.resolve_parents(&normalize(target, parent(&p))),
                _ => break,
            }
        }
        p
    }

    /// What `path` is.
    pub fn lookup(&self, path: &str) -> Lookup<'_> {
        let real = self.resolve(&normalize(path, "/"));
        let mut up = real.as_str();
        while up != "/" {
            up = parent(up);
            if let Some(Node::File(_)) = self.nodes.get(up) {
                return Lookup::NotDirectory(up.to_string());
            }
        }
        match self.nodes.get(&real) {
            Some(n) => Lookup::Found(real, n),
            None if self.open || self.open_above(&real) => Lookup::Unknown,
            None => Lookup::Missing,
        }
    }

    /// Whether a directory above `path` has unseen contents.
    fn open_above(&self, path: &str) -> bool {
        let mut p = path;
        while p != "/" {
            p = parent(p);
            if let Some(Node::Dir { open: true }) = self.nodes.get(p) {
                return true;
            }
        }
        false
    }

    /// `mkdir -p path` (WORKDIR, and the parents of a copy).
    pub fn mkdir_p(&mut self, path: &str) -> Result<String, CopyError> {
        let real = self.resolve(&normalize(path, "/"));
        if real != "/" {
            self.mkdir_p(parent(&real))?;
        }
        match self.nodes.get(&real) {
            Some(Node::Dir { .. }) => {}
            Some(Node::File(_)) => return Err(CopyError::NotDirectory(real)),
            _ => {
                self.nodes.insert(real.clone(), Node::Dir { open: false });
            }
        }
        Ok(real)
    }

    /// Put a file at `path` (its parents made as needed), as BuildKit's
    /// copy does; returns where it landed.
    pub fn put_file(&mut self, path: &str, file: File) -> Result<String, CopyError> {
        let target = self.resolve_parents(&normalize(path, "/"));
        self.mkdir_p(parent(&target))?;
        let target = self.resolve_parents(&target);
        if let Some(Node::Dir { .. }) = self.nodes.get(&target) {
            return Err(CopyError::ReplaceDirectory(target));
        }
        self.nodes.insert(target.clone(), Node::File(file));
        Ok(target)
    }

    /// Add a base image's symbolic link.
    pub fn put_link(&mut self, path: &str, target: &str) {
        self.nodes.insert(normalize(path, "/"), Node::Link(target.to_string()));
    }

    /// Mark the directory at `path` (made if missing) as holding files
    /// dlcheck cannot see.
    pub fn open_dir(&mut self, path: &str) -> Result<String, CopyError> {
        let real = self.mkdir_p(path)?;
        self.nodes.insert(real.clone(), Node::Dir { open: true });
        Ok(real)
    }

    /// Whether `path` (links followed) is a directory.
    pub fn is_dir(&self, path: &str) -> bool {
        matches!(self.lookup(path), Lookup::Found(_, Node::Dir { .. }))
    }

    /// The files under `dir` (links followed for `dir` itself), with their
    /// paths relative to it.
    pub fn files_under(&self, dir: &str) -> Vec<(String, Node)> {
        let real = self.resolve(&normalize(dir, "/"));
        let prefix = if real == "/" {
            "/".to_string()
        } else {
            format!("{real}/")
        };
        self.nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, n)| (k[prefix.len()..].to_string(), n.clone()))
            .collect()
    }

    /// Copy a subtree (a stage's directory) into `dest`, node by node.
    pub fn put_tree(&mut self, dest: &str, entries: &[(String, Node)], line: usize) -> Result<(), CopyError> {
        let dest = self.mkdir_p(dest)?;
        for (rel, node) in entries {
            let path = normalize(rel, &dest);
            match node {
                Node::Dir { open } => {
                    self.mkdir_p(&path)?;
                    if *open {
                        self.open_dir(&path)?;
                    }
                }
                Node::Link(t) => self.put_link(&path, t),
                Node::File(f) => {
                    self.put_file(&path, File { line, ..f.clone() })?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> File {
        File {
            origin: Origin::HereDoc,
            line: 1,
            executable: Some(true),
        }
    }

    #[test]
    fn paths() {
        assert_eq!(normalize("app", "/srv"), "/srv/app");
        assert_eq!(normalize("./a/../b/", "/"), "/b");
        assert_eq!(normalize("/x//y/.", "/z"), "/x/y");
        assert_eq!(basename("/app/bin/"), "bin");
    }

    #[test]
    fn copies_as_buildkit() {
        let mut t = Tree::new();
        t.mkdir_p("/bin").unwrap();
        t.mkdir_p("/usr/bin").unwrap();
        t.put_link("/sbin", "usr/bin");
        // A file onto an existing directory fails.
        assert_eq!(
            t.put_file("/bin", file()),
            Err(CopyError::ReplaceDirectory("/bin".into()))
        );
        // Into a directory through a link.
        assert_eq!(t.put_file("/sbin/app", file()).unwrap(), "/usr/bin/app");
        assert!(matches!(t.lookup("/sbin/app"), Lookup::Found(p, Node::File(_)) if p == "/usr/bin/app"));
        // A file onto a link replaces the link.
        assert_eq!(t.put_file("/sbin", file()).unwrap(), "/sbin");
        assert_eq!(t.lookup("/app"), Lookup::Missing);
        t.open_dir("/opt").unwrap();
        assert_eq!(t.lookup("/opt/x/y"), Lookup::Unknown);
        // A loop of links ends.
        t.put_link("/loop", "loop/loop");
        assert_eq!(t.lookup("/loop/x"), Lookup::Missing);
    }
}
