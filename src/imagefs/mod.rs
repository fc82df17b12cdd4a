//! A container image's file system, read without a daemon and without
//! unpacking: a `docker save` archive, an OCI image layout (archive or
//! directory), or a plain root directory.
//!
//! Layers are applied in order in memory, as the OCI image spec's
//! "Applying Changesets" says: `.wh.NAME` removes NAME from lower layers,
//! `.wh..wh..opq` hides everything a lower layer put in its directory, a
//! file replaces a directory, hard links share their target's contents.
//! Only metadata is kept; a file's bytes are read when asked for, by
//! streaming its layer again. Every path stays inside the image root:
//! absolute symbolic links resolve from the image root, `..` stops at it, a
//! member whose name climbs out of the root rejects the archive, and nothing
//! is ever written to disk. Everything is bounded ([`Limits`]).

mod archive;
mod layers;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use archive::{Blob, Store};

use crate::elf::ElfFile;
use crate::input::sniff::{self, Format};
use crate::loader;

/// Bounds on what an image may make dlcheck do.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Entries in all layers together.
    pub max_entries: usize,
    /// Bytes decompressed from one layer.
    pub max_layer_bytes: u64,
    /// Bytes of one file read into memory.
    pub max_file_bytes: u64,
    /// Symbolic links followed while resolving one path (Linux's ELOOP limit).
    pub max_link_hops: usize,
    /// Components in one path.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 2_000_000,
            max_layer_bytes: 64 << 30,
            max_file_bytes: 1 << 30,
            max_link_hops: 40,
            max_depth: 256,
        }
    }
}

/// Why an image could not be read (exit 5, JSON kind `malformed_image`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageError(pub String);

impl std::fmt::Display for ImageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, ImageError> {
    Err(ImageError(msg.into()))
}

/// One node of the merged file system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A regular file: where its bytes are, its size and mode bits.
    File {
        /// Index of the layer that holds it.
        layer: usize,
        /// Position of the entry in that layer's tar stream.
        ordinal: usize,
        /// Size in bytes.
        size: u64,
        /// Permission bits.
        mode: u32,
    },
    /// A directory.
    Dir,
    /// A symbolic link and its target, as stored.
    Symlink(String),
    /// A device, FIFO or other special file.
    Special,
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
    nodes: BTreeMap<String, Node>,
    layers: Vec<Blob>,
    diff_ids: Vec<String>,
    store: Option<Store>,
    root: Option<PathBuf>,
    limits: Limits,
    cache: Mutex<HashMap<String, Vec<u8>>>,
    objects: Mutex<HashMap<String, Option<Arc<loader::Object>>>>,
    ld_so_cache: OnceLock<Vec<(String, String)>>,
}

/// Normalise a path inside the image: no leading `/` or `./`, no `.`, and
/// `..` resolved; `None` when it climbs out of the root.
pub fn clean(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
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
            nodes: BTreeMap::from([(String::new(), Node::Dir)]),
            layers: Vec::new(),
            diff_ids: Vec::new(),
            store: None,
            root: None,
            limits,
            cache: Mutex::new(HashMap::new()),
            objects: Mutex::new(HashMap::new()),
            ld_so_cache: OnceLock::new(),
        }
    }

    /// Open a `docker save` or OCI archive, or an OCI layout directory, and
    /// apply its layers for `platform` (`linux/amd64`; `None`: this
    /// machine's).
    pub fn open(path: &Path, platform: Option<&str>, limits: Limits) -> Result<ImageFs, ImageError> {
        let want = platform.map(str::to_string).unwrap_or_else(host_platform);
        let store = Store::open(path, limits)?;
        let m = archive::manifest(&store, &want)?;
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
        image.diff_ids = m.diff_ids;
        image.layers = m.layers;
        image.store = Some(store);
        image.apply_layers()?;
        Ok(image)
    }

    /// A plain root file system on this machine (`--root DIR`). Paths are
    /// resolved inside it: links never lead out of it.
    pub fn root(dir: &Path, limits: Limits) -> Result<ImageFs, ImageError> {
        if !dir.is_dir() {
            return err(format!("{} is not a directory", dir.display()));
        }
        let mut image = ImageFs::empty("rootfs", host_platform(), limits);
        image.nodes.clear();
        image.root = Some(dir.to_path_buf());
        Ok(image)
    }

    /// The node at `path` (already clean), without following a final link.
    fn lstat(&self, path: &str) -> Option<Node> {
        match &self.root {
            None => self.nodes.get(path).cloned(),
            Some(root) => {
                let host = root.join(path);
                let meta = std::fs::symlink_metadata(&host).ok()?;
                let ft = meta.file_type();
                Some(if ft.is_symlink() {
                    Node::Symlink(std::fs::read_link(&host).ok()?.to_string_lossy().into_owned())
                } else if ft.is_dir() {
                    Node::Dir
                } else if ft.is_file() {
                    use std::os::unix::fs::PermissionsExt;
                    Node::File {
                        layer: 0,
                        ordinal: 0,
                        size: meta.len(),
                        mode: meta.permissions().mode(),
                    }
                } else {
                    Node::Special
                })
            }
        }
    }

    /// Resolve `path` inside the image, following symbolic links (absolute
    /// targets from the image root) as the kernel would. Returns the final
    /// clean path and its node, `Ok(None)` when a component is missing, and
    /// an error string (`too many levels of symbolic links`, `not a
    /// directory`) when resolution fails.
    pub fn resolve(&self, path: &str) -> Result<Option<(String, Node)>, String> {
        let mut hops = 0;
        let mut pending: Vec<String> = path
            .split('/')
            .rev()
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        let mut cur: Vec<String> = Vec::new();
        while let Some(c) = pending.pop() {
            match c.as_str() {
                "." => continue,
                ".." => {
                    cur.pop();
                    continue;
                }
                _ => {}
            }
            let candidate = if cur.is_empty() {
                c.clone()
            } else {
                format!("{}/{c}", cur.join("/"))
            };
            match self.lstat(&candidate) {
                None => return Ok(None),
                Some(Node::Symlink(target)) => {
                    hops += 1;
                    if hops > self.limits.max_link_hops {
                        return Err("too many levels of symbolic links".into());
                    }
                    if target.starts_with('/') {
                        cur.clear();
                    }
                    pending.extend(target.split('/').rev().filter(|c| !c.is_empty()).map(str::to_string));
                    if pending.len() + cur.len() > self.limits.max_depth {
                        return Err("path too deep".into());
                    }
                }
                Some(node) => {
                    if !pending.is_empty() && node != Node::Dir {
                        return Err("not a directory".into());
                    }
                    cur.push(c);
                }
            }
        }
        let clean = cur.join("/");
        let node = self.lstat(&clean).unwrap_or(Node::Dir);
        Ok(Some((clean, node)))
    }

    /// The bytes of the regular file at `path` (clean, already resolved).
    pub fn read(&self, path: &str) -> Result<Vec<u8>, ImageError> {
        if let Some(b) = self.cache.lock().ok().and_then(|c| c.get(path).cloned()) {
            return Ok(b);
        }
        let bytes = match (&self.root, self.lstat(path)) {
            (_, Some(Node::File { size, .. })) if size > self.limits.max_file_bytes => {
                return err(format!("/{path} is larger than {} bytes", self.limits.max_file_bytes));
            }
            (Some(root), Some(Node::File { .. })) => {
                let mut out = Vec::new();
                File::open(root.join(path))
                    .and_then(|f| f.take(self.limits.max_file_bytes).read_to_end(&mut out))
                    .map_err(|e| ImageError(format!("/{path}: {e}")))?;
                out
            }
            (None, Some(Node::File { layer, ordinal, .. })) => {
                let mut archive = tar::Archive::new(self.layer_stream(layer)?);
                let mut entries = archive.entries().map_err(|e| ImageError(e.to_string()))?;
                let mut entry = entries
                    .nth(ordinal)
                    .ok_or_else(|| ImageError(format!("layer {} changed while read", layer + 1)))?
                    .map_err(|e| ImageError(format!("layer {}: {e}", layer + 1)))?;
                let mut out = Vec::new();
                (&mut entry)
                    .take(self.limits.max_file_bytes)
                    .read_to_end(&mut out)
                    .map_err(|e| ImageError(format!("layer {}: {e}", layer + 1)))?;
                out
            }
            _ => return err(format!("/{path} is not a regular file")),
        };
        if let Ok(mut c) = self.cache.lock() {
            c.insert(path.to_string(), bytes.clone());
        }
        Ok(bytes)
    }

    /// Call `f(path, bytes)` for every regular file of the merged file
    /// system that starts with the ELF magic, streaming each layer once (a
    /// root directory is walked without following links). Files larger than
    /// `max_file_bytes` are passed over.
    pub fn for_each_elf(&self, f: &mut dyn FnMut(&str, &[u8])) -> Result<(), ImageError> {
        if let Some(root) = &self.root {
            for entry in walkdir::WalkDir::new(root).into_iter().filter_map(Result::ok) {
                if !entry.file_type().is_file() {
                    continue;
                }
                let Ok(rel) = entry.path().strip_prefix(root) else {
                    continue;
                };
                let rel = rel.to_string_lossy().into_owned();
                if sniff::path(entry.path()) == Some(Format::Elf)
                    && let Ok(bytes) = self.read(&rel)
                {
                    f(&rel, &bytes);
                }
            }
            return Ok(());
        }
        // (layer, ordinal) → path, for the files that survive all layers.
        let mut wanted: BTreeMap<(usize, usize), &str> = BTreeMap::new();
        for (path, node) in &self.nodes {
            if let Node::File {
                layer, ordinal, size, ..
            } = node
                && *size >= 4
                && *size <= self.limits.max_file_bytes
            {
                wanted.insert((*layer, *ordinal), path);
            }
        }
        for layer in 0..self.layers.len() {
            if !wanted.range((layer, 0)..(layer + 1, 0)).any(|_| true) {
                continue;
            }
            let mut archive = tar::Archive::new(self.layer_stream(layer)?);
            let entries = archive.entries().map_err(|e| ImageError(e.to_string()))?;
            for (ordinal, entry) in entries.enumerate() {
                let Some(path) = wanted.get(&(layer, ordinal)) else {
                    continue;
                };
                let mut entry = entry.map_err(|e| ImageError(format!("layer {}: {e}", layer + 1)))?;
                let mut magic = [0u8; 4];
                if entry.read_exact(&mut magic).is_err() || &magic != b"\x7fELF" {
                    continue;
                }
                let mut bytes = magic.to_vec();
                (&mut entry)
                    .take(self.limits.max_file_bytes)
                    .read_to_end(&mut bytes)
                    .map_err(|e| ImageError(format!("layer {}: {e}", layer + 1)))?;
                if let Ok(mut c) = self.cache.lock() {
                    c.insert(path.to_string(), bytes.clone());
                }
                f(path, &bytes);
            }
        }
        Ok(())
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
                .find_map(|p| matches!(self.resolve(&p), Ok(Some((_, Node::File { .. })))).then(|| format!("/{p}")));
        }
        self.nodes.iter().find_map(|(p, node)| {
            let here = p.rsplit('/').next() == Some(name) && matches!(node, Node::File { .. } | Node::Symlink(_));
            here.then(|| format!("/{p}"))
        })
    }

    /// Names in the directory at `path` (clean).
    pub fn list(&self, path: &str) -> Vec<String> {
        match &self.root {
            Some(root) => std::fs::read_dir(root.join(path))
                .map(|d| {
                    d.filter_map(|e| e.ok())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default(),
            None => {
                let prefix = if path.is_empty() {
                    String::new()
                } else {
                    format!("{path}/")
                };
                self.nodes
                    .range(prefix.clone()..)
                    .take_while(|(k, _)| k.starts_with(&prefix))
                    .filter_map(|(k, _)| {
                        let rest = &k[prefix.len()..];
                        (!rest.is_empty() && !rest.contains('/')).then(|| rest.to_string())
                    })
                    .collect()
            }
        }
    }
}

impl loader::Root for ImageFs {
    fn interpreter(&self, path: &str) -> Option<String> {
        match self.resolve(path).ok()?? {
            (real, Node::File { .. }) => Some(format!("/{real}")),
            _ => None,
        }
    }

    /// The object at `path`, read once per resolved file. A file that is
    /// not readable ELF is mapped with nothing to load: what can be read of
    /// a damaged library is what the loader uses.
    fn object(&self, path: &str) -> Option<Arc<loader::Object>> {
        let (real, node) = self.resolve(path).ok()??;
        if !matches!(node, Node::File { .. }) {
            return None;
        }
        if let Some(known) = self.objects.lock().ok().and_then(|o| o.get(&real).cloned()) {
            return known;
        }
        let object = self.read(&real).ok().map(|bytes| {
            let object = ElfFile::parse(&bytes)
                .map(|f| loader::Object::read(&f))
                .unwrap_or_default();
            Arc::new(object)
        });
        if let Ok(mut o) = self.objects.lock() {
            o.insert(real, object.clone());
        }
        object
    }

    fn cache(&self, soname: &str) -> Option<String> {
        let arch = self.platform.split('/').nth(1).unwrap_or("amd64");
        let entries = self.ld_so_cache.get_or_init(|| {
            self.resolve("etc/ld.so.cache")
                .ok()
                .flatten()
                .and_then(|(p, _)| self.read(&p).ok())
                .map(|b| loader::cache::parse(&b, arch))
                .unwrap_or_default()
        });
        entries.iter().find(|(k, _)| k == soname).map(|(_, v)| v.clone())
    }
}

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
