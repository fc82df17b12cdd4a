//! A container image's file system, read without a daemon and without
//! unpacking: a `docker save` archive, an OCI image layout (archive or
//! directory), or a plain root directory.
//!
//! Each layer is read once, as a stream ([`stream`]): decompressed, hashed
//! against the config's `rootfs.diff_ids` (and its blob against its
//! descriptor's digest) and applied to an index of the merged file system
//! ([`tree`]) in the same pass. The index keeps entries, not bytes. What the
//! verdicts need of a file is learnt in that pass: the loader's view of
//! every ELF file ([`ElfView`]), and the files the start reads whole (the
//! command, `/etc/passwd` ...), which a compressed layer spools to a
//! temporary file; an uncompressed layer's members are read in place,
//! mapped. A file reached late (through a symbolic link) costs one more,
//! targeted pass over its layer, never one per file.
//!
//! Every path stays inside the image root: absolute symbolic links resolve
//! from the image root, `..` stops at it, a member whose name climbs out of
//! the root rejects the archive, and nothing is written but dlcheck's own
//! temporary file. Everything is bounded ([`Limits`]).

mod archive;
mod content;
mod digest;
mod elfview;
mod fetch;
mod layers;
mod limits;
mod manifest;
mod rootfs;
mod stream;
mod tar;
mod tree;
mod verify;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

pub use content::Mapped;
pub use elfview::ElfView;
pub use limits::{LIMITS, LimitExceeded, LimitInfo, Limits};
pub use tree::{FileNode, Node};

use crate::loader;

/// Why an image could not be read (exit 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageError {
    /// Truncated, inconsistent, or with names that leave the image (JSON
    /// kind `malformed_image`).
    Malformed(String),
    /// More work than a limit allows (JSON kind `limit_exceeded`).
    Limit(LimitExceeded),
    /// The layout holds no image by the name asked for, or several when
    /// none was named (JSON kind `image_not_found`, exit 3).
    NotFound(String),
}

impl std::fmt::Display for ImageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageError::Malformed(m) | ImageError::NotFound(m) => f.write_str(m),
            ImageError::Limit(l) => l.fmt(f),
        }
    }
}

impl From<ImageError> for crate::Error {
    fn from(e: ImageError) -> Self {
        match e {
            ImageError::Malformed(m) => crate::Error::MalformedImage(m),
            ImageError::Limit(l) => crate::Error::LimitExceeded(l.to_string()),
            ImageError::NotFound(m) => crate::Error::ImageNotFound(m),
        }
    }
}

fn malformed(msg: impl Into<String>) -> ImageError {
    ImageError::Malformed(msg.into())
}

/// The image configuration (`config` of the OCI image config).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Config {
    /// `Entrypoint`.
    pub entrypoint: Vec<String>,
    /// `Cmd`.
    pub cmd: Vec<String>,
    /// `User`.
    pub user: String,
    /// `WorkingDir`.
    pub working_dir: String,
    /// `Env`, as `NAME=value` strings.
    pub env: Vec<String>,
    /// `os`.
    pub os: String,
    /// `architecture` (and `variant`, as `arm64/v8`).
    pub architecture: String,
}

/// An image's merged file system, its configuration and where it came from.
pub struct ImageFs {
    /// `docker-archive`, `oci-archive`, `oci-layout` or `rootfs`.
    pub format: &'static str,
    /// The configuration.
    pub config: Config,
    /// The image's name as the archive records it (`RepoTags` of a docker
    /// save, `org.opencontainers.image.ref.name` of an OCI index), if any.
    pub reference: Option<String>,
    /// The platform chosen, `linux/amd64`.
    pub platform: String,
    /// Every platform the index offers.
    pub platforms: Vec<String>,
    /// The bounds.
    pub limits: Limits,
    tree: tree::Tree,
    root: Option<PathBuf>,
    layers: Vec<layers::Layer>,
    files: Vec<layers::FileData>,
    spool: Arc<Mutex<Spooled>>,
    views: Mutex<HashMap<u64, Result<Arc<ElfView>, String>>>,
    object_bytes: AtomicU64,
    failure: Mutex<Option<ImageError>>,
    ld_so_cache: OnceLock<Vec<loader::cache::Entry>>,
}

/// A reader of a file's bytes, a block at a time (0 at the end).
pub(crate) type Read = Box<dyn FnMut(&mut [u8]) -> std::io::Result<usize> + Send>;

/// Files copied out of compressed layers: the temporary file, and where
/// each file (by [`FileNode::id`]) is in it.
struct Spooled {
    file: content::Spool,
    at: HashMap<u64, (u64, u64)>,
}

/// Normalise a path inside the image: no leading `/` or `./`, no `.`, and
/// `..` resolved; `None` when it climbs out of the root.
pub fn clean(path: &str) -> Option<String> {
    let parts = components(path.as_bytes())?;
    Some(String::from_utf8_lossy(&parts.join(&b'/')).into_owned())
}

/// A path's components as bytes, `.` dropped and `..` resolved; `None`
/// when it climbs out of the root.
fn components(path: &[u8]) -> Option<Vec<&[u8]>> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for c in path.split(|b| *b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts)
}

impl ImageFs {
    /// An image with nothing in it yet.
    fn empty(format: &'static str, platform: String, limits: Limits) -> ImageFs {
        ImageFs {
            format,
            reference: None,
            config: Config::default(),
            platform: platform.clone(),
            platforms: vec![platform],
            limits,
            tree: tree::Tree::new(),
            root: None,
            layers: Vec::new(),
            files: Vec::new(),
            spool: Arc::new(Mutex::new(Spooled {
                file: content::Spool::new(),
                at: HashMap::new(),
            })),
            views: Mutex::new(HashMap::new()),
            object_bytes: AtomicU64::new(0),
            failure: Mutex::new(None),
            ld_so_cache: OnceLock::new(),
        }
    }

    /// Open a `docker save` or OCI archive, or an OCI layout directory, and
    /// apply its layers for `platform` (`linux/amd64`; `None`: this
    /// machine's), reading each once. Errors: [`ImageError`], one line.
    pub fn open(path: &Path, platform: Option<&str>, limits: Limits) -> Result<ImageFs, ImageError> {
        Self::open_named(path, None, platform, limits)
    }

    /// [`ImageFs::open`], for the image of an OCI layout whose
    /// `org.opencontainers.image.ref.name` is `named` (skopeo's
    /// `oci:DIR:REF`). Without a name, a layout that holds images of
    /// several names is refused, naming them.
    pub fn open_named(
        path: &Path,
        named: Option<&str>,
        platform: Option<&str>,
        limits: Limits,
    ) -> Result<ImageFs, ImageError> {
        let want = platform.map(str::to_string).unwrap_or_else(host_platform);
        let store = archive::Store::open(path, &limits)?;
        let m = manifest::read(&store, path, &want, named, &limits)?;
        let mut image = ImageFs::empty(store.format(), want, limits);
        let own = format!("{}/{}", m.config.os, m.config.architecture);
        image.platforms = if store.format() == "docker-archive" || m.platforms.is_empty() {
            vec![own.clone()]
        } else {
            m.platforms
        };
        image.platform = own;
        image.reference = m.reference;
        image.config = m.config;
        let wanted: HashSet<Vec<u8>> = crate::replay::start_files(&image.config, &limits).into_iter().collect();
        image.read_layers(m.layers, &m.diff_ids, &wanted)?;
        image.fetch_wanted(&wanted)?;
        Ok(image)
    }

    /// A plain root file system on this machine (`--root DIR`). Paths are
    /// resolved inside it: links never lead out of it.
    pub fn root(dir: &Path, limits: Limits) -> Result<ImageFs, ImageError> {
        if !dir.is_dir() {
            return Err(malformed(format!("{} is not a directory", dir.display())));
        }
        let mut image = ImageFs::empty("rootfs", host_platform(), limits);
        image.root = Some(dir.to_path_buf());
        Ok(image)
    }

    /// The first error met while the loader or a check read the image
    /// (they cannot return one): the image's error.
    pub fn failure(&self) -> Option<ImageError> {
        self.failure.lock().ok().and_then(|f| f.clone())
    }

    /// Record an error met where it cannot be returned.
    fn fail(&self, e: ImageError) {
        if let Ok(mut f) = self.failure.lock() {
            f.get_or_insert(e);
        }
    }

    /// The node at `path` (clean components), without following a final
    /// link.
    fn lstat(&self, path: &[&[u8]]) -> Option<Node> {
        match &self.root {
            None => self.tree.lookup(path).map(|id| self.tree.node(id)),
            Some(root) => rootfs::lstat(root, path),
        }
    }

    /// Resolve `path` (bytes; relative paths from the root) inside the
    /// image, following symbolic links (absolute targets from the image
    /// root) as the kernel would. Returns the final path (components joined
    /// by `/`, no leading `/`) and its node, `Ok(None)` when a component is
    /// missing, and an error (`too many levels of symbolic links`, `not a
    /// directory`, `path too deep`) when resolution fails.
    pub fn resolve(&self, path: &[u8]) -> Result<Option<(Vec<u8>, Node)>, String> {
        let mut hops = 0;
        let mut pending: Vec<Vec<u8>> = split_rev(path);
        let mut cur: Vec<Vec<u8>> = Vec::new();
        while let Some(c) = pending.pop() {
            match c.as_slice() {
                b"." => continue,
                b".." => {
                    cur.pop();
                    continue;
                }
                _ => {}
            }
            cur.push(c);
            let here: Vec<&[u8]> = cur.iter().map(Vec::as_slice).collect();
            match self.lstat(&here) {
                None => return Ok(None),
                Some(Node::Symlink(target)) => {
                    hops += 1;
                    if hops > self.limits.link_hops {
                        return Err("too many levels of symbolic links".into());
                    }
                    cur.pop();
                    if target.starts_with(b"/") {
                        cur.clear();
                    }
                    pending.extend(split_rev(&target));
                }
                Some(node) if !pending.is_empty() && node != Node::Dir => return Err("not a directory".into()),
                Some(_) => {}
            }
            if (pending.len() + cur.len()) as u64 > self.limits.path_depth {
                return Err("path too deep".into());
            }
        }
        let here: Vec<&[u8]> = cur.iter().map(Vec::as_slice).collect();
        let node = self.lstat(&here).unwrap_or(Node::Dir);
        Ok(Some((here.join(&b'/'), node)))
    }

    /// Names in the directory at `path` (clean, resolved), in byte order.
    pub fn list(&self, path: &[u8]) -> Vec<Vec<u8>> {
        let parts = components(path).unwrap_or_default();
        match &self.root {
            Some(root) => rootfs::list(root, &parts),
            None => self.tree.lookup(&parts).map(|d| self.tree.list(d)).unwrap_or_default(),
        }
    }

    /// The bytes of the regular file `f` at `path` (resolved), mapped.
    /// Errors: past `file-bytes`, or the file cannot be read.
    pub fn map(&self, path: &[u8], f: FileNode) -> Result<Mapped, ImageError> {
        if f.size > self.limits.file_bytes {
            return Err(ImageError::Limit(self.limits.exceeded("file-bytes", show(path))));
        }
        match &self.root {
            Some(root) => rootfs::map(root, path, f.size),
            None => self.map_file(f),
        }
    }

    /// The bytes of the small regular file at `path` (resolved), read
    /// into memory: at most `max` bytes (`Ok(None)` when it is larger).
    pub fn read_small(&self, path: &[u8], f: FileNode, max: u64) -> Result<Option<Vec<u8>>, ImageError> {
        if f.size > max {
            return Ok(None);
        }
        Ok(Some(self.map(path, f)?.to_vec()))
    }

    /// Whether a line of the text file at `path` (resolved) starts so
    /// that `pred` holds: `pred` sees each line's first `prefix` bytes.
    /// Read a block at a time (a 1 GiB `/etc/passwd` costs a block).
    pub fn any_line(
        &self,
        path: &[u8],
        f: FileNode,
        prefix: usize,
        pred: &dyn Fn(&[u8]) -> bool,
    ) -> Result<bool, ImageError> {
        if f.size > self.limits.file_bytes {
            return Err(ImageError::Limit(self.limits.exceeded("file-bytes", show(path))));
        }
        let mut read = match &self.root {
            Some(root) => rootfs::reader(root, path)?,
            None => self.reader(f)?,
        };
        let mut block = vec![0u8; 64 << 10];
        let mut line: Vec<u8> = Vec::new();
        let mut skipping = false;
        loop {
            let n = read(&mut block).map_err(|e| malformed(format!("{}: {e}", show(path))))?;
            for &b in &block[..n] {
                if b == b'\n' {
                    if !skipping && pred(&line) {
                        return Ok(true);
                    }
                    line.clear();
                    skipping = false;
                } else if !skipping {
                    line.push(b);
                    if line.len() > prefix {
                        skipping = true;
                        if pred(&line) {
                            return Ok(true);
                        }
                    }
                }
            }
            if n == 0 {
                return Ok(!skipping && !line.is_empty() && pred(&line));
            }
        }
    }

    /// The first regular file named `name` anywhere in the image (for a
    /// root directory: in the usual library directories), as an absolute
    /// path: where a library the loader did not find may lie.
    pub fn find_named(&self, name: &str) -> Option<String> {
        if self.root.is_some() {
            const DIRS: [&str; 6] = [
                "usr/local/lib",
                "usr/local/lib64",
                "opt/lib",
                "app/lib",
                "lib64",
                "usr/lib64",
            ];
            return DIRS
                .iter()
                .map(|d| format!("{d}/{name}"))
                .find(|p| matches!(self.resolve(p.as_bytes()), Ok(Some((_, Node::File(_))))))
                .map(|p| format!("/{p}"));
        }
        self.tree
            .named(name.as_bytes())
            .map(|p| format!("/{}", crate::text::from_bytes(&p)))
    }

    /// Every regular ELF file (path without a leading `/`, and its node), in
    /// path order.
    pub fn elf_files(&self) -> Vec<(Vec<u8>, FileNode)> {
        if let Some(root) = &self.root {
            return rootfs::elf_files(root);
        }
        let mut out = Vec::new();
        self.tree.files(&mut |p, f| {
            if self.files.get(f.id as usize).is_some_and(|d| d.elf) {
                out.push((p.to_vec(), f));
            }
        });
        out
    }

    /// The loader's view of the ELF file `f` at `path` (resolved), read
    /// once per file. Errors: why it is not readable ELF.
    pub fn view(&self, path: &[u8], f: FileNode) -> Result<Arc<ElfView>, String> {
        if let Some(v) = self.views.lock().ok().and_then(|v| v.get(&f.id).cloned()) {
            return v;
        }
        let view = match self.map(path, f) {
            Ok(bytes) => ElfView::read(&bytes).map(Arc::new).map_err(|e| e.to_string()),
            Err(e) => {
                let msg = e.to_string();
                self.fail(e);
                Err(msg)
            }
        };
        self.keep_view(f.id, view.clone());
        view
    }

    /// Cache a view, counting its weight against `object-bytes`.
    fn keep_view(&self, id: u64, view: Result<Arc<ElfView>, String>) {
        let weight = view.as_ref().map_or(64, |v| v.weight());
        let total = self.object_bytes.fetch_add(weight, Ordering::Relaxed) + weight;
        if total > self.limits.object_bytes {
            self.fail(ImageError::Limit(
                self.limits
                    .exceeded("object-bytes", "the loader's view of the ELF files"),
            ));
            return;
        }
        if let Ok(mut v) = self.views.lock() {
            v.insert(id, view);
        }
    }
}

/// A path's components, last first, as owned bytes.
fn split_rev(path: &[u8]) -> Vec<Vec<u8>> {
    path.split(|b| *b == b'/')
        .rev()
        .filter(|c| !c.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// A path inside the image, as shown: `/` and the lossless text.
pub fn show(path: &[u8]) -> String {
    format!("/{}", crate::text::from_bytes(path))
}

impl loader::Root for ImageFs {
    fn interpreter(&self, path: &str) -> Option<String> {
        let bytes = crate::text::to_bytes(path)?;
        match self.resolve(&bytes).ok()?? {
            (real, Node::File(_)) => Some(show(&real)),
            _ => None,
        }
    }

    /// The object at `path`, read once per file. A file that is not
    /// readable ELF is mapped with nothing to load: what can be read of a
    /// damaged library is what the loader uses.
    fn object(&self, path: &str) -> Option<Arc<loader::Object>> {
        let bytes = crate::text::to_bytes(path)?;
        let (real, Node::File(f)) = self.resolve(&bytes).ok()?? else {
            return None;
        };
        Some(match self.view(&real, f) {
            Ok(v) => v.object.clone(),
            Err(_) => Arc::new(loader::Object::default()),
        })
    }

    fn cache(&self, soname: &str) -> Option<String> {
        let entries = self.ld_so_cache.get_or_init(|| self.read_ld_so_cache());
        entries.iter().find(|(k, _)| &**k == soname).map(|(_, v)| v.to_string())
    }

    fn bounds(&self) -> loader::Bounds {
        loader::Bounds {
            search_path: self.limits.search_path,
            library_dirs: self.limits.library_dirs,
        }
    }
}

impl ImageFs {
    /// `/etc/ld.so.cache`'s entries for the image's architecture, at most
    /// `cache-entries`.
    fn read_ld_so_cache(&self) -> Vec<loader::cache::Entry> {
        let arch = self.platform.split('/').nth(1).unwrap_or("amd64");
        let Some((p, Node::File(mut f))) = self.resolve(b"etc/ld.so.cache").ok().flatten() else {
            return Vec::new();
        };
        // Real caches are a few hundred KiB: what lies past LD_SO_CACHE
        // bytes is not read.
        f.size = f.size.min(LD_SO_CACHE);
        match self.map(&p, f) {
            Ok(bytes) => {
                let (entries, more) = loader::cache::parse(&bytes, arch, self.limits.cache_entries as usize);
                if more {
                    self.fail(ImageError::Limit(
                        self.limits.exceeded("cache-entries", "/etc/ld.so.cache"),
                    ));
                }
                entries
            }
            Err(e) => {
                self.fail(e);
                Vec::new()
            }
        }
    }
}

/// The most of `/etc/ld.so.cache` read (bytes).
const LD_SO_CACHE: u64 = 16 << 20;

/// Which of an index's manifests is the image for `want` (`linux/arm64`):
/// the one whose platform is `want` or a variant of it (`linux/arm64/v8`),
/// else the one without a platform, else the only one. `offered` lists each
/// manifest's platform, in index order. Also used by the registry source,
/// which downloads only the layers of the manifest chosen here.
pub fn pick_platform(offered: &[Option<String>], want: &str) -> Option<usize> {
    offered
        .iter()
        .position(|p| {
            p.as_deref()
                .is_some_and(|p| p == want || p.starts_with(&format!("{want}/")))
        })
        .or_else(|| offered.iter().position(Option::is_none))
        .or_else(|| (offered.len() == 1).then_some(0))
}

/// This machine's platform, `linux/amd64`.
pub fn host_platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!("linux/{arch}")
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn paths_stay_in_the_root() {
        assert_eq!(clean("/usr/./lib/../bin/app").as_deref(), Some("usr/bin/app"));
        assert_eq!(clean("./etc/passwd").as_deref(), Some("etc/passwd"));
        assert_eq!(clean("../../tmp/x"), None);
        assert_eq!(clean("usr/../../escape"), None);
    }
}
