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

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::Value;

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

/// Where a blob (config, manifest, layer) lives.
#[derive(Debug, Clone)]
enum Blob {
    /// A member of the outer archive: offset and size in the archive file.
    Member { offset: u64, size: u64 },
    /// A file of an OCI layout directory.
    Path(PathBuf),
}

/// The image configuration (`config` of the OCI image config).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
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
pub struct Image {
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
    archive: Option<PathBuf>,
    root: Option<PathBuf>,
    limits: Limits,
    cache: Mutex<HashMap<String, Vec<u8>>>,
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

/// Whether the file at `path` looks like an image: a tar archive (`ustar`
/// at offset 257) or a directory with an `oci-layout` file.
pub fn looks_like_image(path: &Path) -> bool {
    if path.is_dir() {
        return path.join("oci-layout").is_file();
    }
    // Only a regular file is read, and it is opened without blocking: a
    // FIFO or device given by mistake must not hang the check.
    use std::os::unix::fs::OpenOptionsExt;
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut head = [0u8; 262];
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .and_then(|f| {
            if !f.metadata()?.is_file() {
                return Err(std::io::Error::other("not a regular file"));
            }
            let mut f = f;
            f.read_exact(&mut head)
        })
        .map(|()| &head[257..262] == b"ustar")
        .unwrap_or(false)
}

impl Image {
    /// Open a `docker save` or OCI archive, or an OCI layout directory, and
    /// apply its layers for `platform` (`linux/amd64`; `None`: this
    /// machine's).
    pub fn open(path: &Path, platform: Option<&str>, limits: Limits) -> Result<Image, ImageError> {
        let want = platform.map(str::to_string).unwrap_or_else(host_platform);
        let (format, members, archive) = if path.is_dir() {
            ("oci-layout", BTreeMap::new(), None)
        } else {
            let members = index_archive(path, limits)?;
            let f = if members.contains_key("manifest.json") {
                "docker-archive"
            } else {
                "oci-archive"
            };
            (f, members, Some(path.to_path_buf()))
        };
        let mut image = Image {
            format,
            reference: None,
            config: Config::default(),
            platform: want.clone(),
            platforms: Vec::new(),
            nodes: BTreeMap::new(),
            layers: Vec::new(),
            diff_ids: Vec::new(),
            archive,
            root: None,
            limits,
            cache: Mutex::new(HashMap::new()),
        };
        image.nodes.insert(String::new(), Node::Dir);
        let blob_of = |name: &str| -> Result<Blob, ImageError> {
            let name = clean(name).ok_or_else(|| ImageError(format!("the archive names {name:?}, outside itself")))?;
            if path.is_dir() {
                // Every component must be a real directory or file of the
                // layout: a symbolic link could lead to the host's files.
                let mut p = path.to_path_buf();
                for part in name.split('/') {
                    p.push(part);
                    match std::fs::symlink_metadata(&p) {
                        Ok(m) if m.file_type().is_symlink() => {
                            return err(format!("the layout's {name} is a symbolic link; refusing to follow it"));
                        }
                        Ok(_) => {}
                        Err(_) => return err(format!("the layout has no {name}")),
                    }
                }
                if !std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_file()) {
                    return err(format!("the layout's {name} is not a regular file"));
                }
                Ok(Blob::Path(p))
            } else {
                members.get(&name).cloned().ok_or_else(|| {
                    if name == "index.json" {
                        ImageError(
                            "neither manifest.json (docker save) nor index.json (OCI) is in the archive: not an image"
                                .into(),
                        )
                    } else {
                        ImageError(format!("the archive has no member {name}"))
                    }
                })
            }
        };
        let digest_path = |digest: &str| -> Result<String, ImageError> {
            let (algo, hex) = digest
                .split_once(':')
                .ok_or_else(|| ImageError(format!("bad digest {digest:?}")))?;
            if !algo.chars().all(|c| c.is_ascii_alphanumeric()) || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return err(format!("bad digest {digest:?}"));
            }
            Ok(format!("blobs/{algo}/{hex}"))
        };
        let config_blob;
        let mut layer_blobs = Vec::new();
        if format == "docker-archive" {
            let manifest: Value = serde_json::from_slice(&image.read_blob(&blob_of("manifest.json")?, 16 << 20)?)
                .map_err(|e| ImageError(format!("manifest.json: {e}")))?;
            let m = manifest
                .get(0)
                .ok_or_else(|| ImageError("manifest.json lists no image".into()))?;
            image.reference = m["RepoTags"].get(0).and_then(Value::as_str).map(str::to_string);
            config_blob = blob_of(m["Config"].as_str().unwrap_or_default())?;
            let layers = m["Layers"]
                .as_array()
                .ok_or_else(|| ImageError("manifest.json has no Layers list".into()))?;
            for l in layers {
                let l = l
                    .as_str()
                    .ok_or_else(|| ImageError("manifest.json lists a layer that is not a path".into()))?;
                layer_blobs.push((blob_of(l)?, None));
            }
            image.platforms.push(want.clone());
        } else {
            let index: Value = serde_json::from_slice(&image.read_blob(&blob_of("index.json")?, 16 << 20)?)
                .map_err(|e| ImageError(format!("index.json: {e}")))?;
            let mut manifests: Vec<Value> = index["manifests"].as_array().cloned().unwrap_or_default();
            image.reference = manifests
                .iter()
                .find_map(|m| m["annotations"]["org.opencontainers.image.ref.name"].as_str())
                .map(str::to_string);
            // Follow nested indexes (a multi-platform image).
            let mut resolved = Vec::new();
            let mut guard = 0;
            while let Some(d) = manifests.pop() {
                guard += 1;
                if guard > 64 {
                    return err("index.json nests too deeply");
                }
                let blob = blob_of(&digest_path(d["digest"].as_str().unwrap_or_default())?)?;
                let bytes = image.read_blob(&blob, 16 << 20)?;
                check_size(&d, &blob)?;
                let v: Value = serde_json::from_slice(&bytes).map_err(|e| ImageError(format!("manifest: {e}")))?;
                if v["manifests"].is_array() {
                    manifests.extend(v["manifests"].as_array().cloned().unwrap_or_default());
                } else {
                    resolved.push((platform_of(&d["platform"]), v));
                }
            }
            resolved.reverse();
            image.platforms = resolved.iter().filter_map(|(p, _)| p.clone()).collect();
            let chosen = resolved
                .iter()
                .find(|(p, _)| {
                    p.as_deref()
                        .is_some_and(|p| p == want || p.starts_with(&format!("{want}/")))
                })
                .or_else(|| resolved.iter().find(|(p, _)| p.is_none()))
                .or_else(|| (resolved.len() == 1).then(|| &resolved[0]))
                .ok_or_else(|| {
                    ImageError(format!(
                        "no image for {want}; the index has {}",
                        image.platforms.join(", ")
                    ))
                })?;
            let manifest = &chosen.1;
            let cd = &manifest["config"];
            config_blob = blob_of(&digest_path(cd["digest"].as_str().unwrap_or_default())?)?;
            check_size(cd, &config_blob)?;
            for l in manifest["layers"].as_array().into_iter().flatten() {
                let b = blob_of(&digest_path(l["digest"].as_str().unwrap_or_default())?)?;
                check_size(l, &b)?;
                layer_blobs.push((b, Some(l.clone())));
            }
        }
        let config: Value = serde_json::from_slice(&image.read_blob(&config_blob, 16 << 20)?)
            .map_err(|e| ImageError(format!("image config: {e}")))?;
        image.config = parse_config(&config);
        image.diff_ids = config["rootfs"]["diff_ids"]
            .as_array()
            .map(|a| a.iter().filter_map(|d| d.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        if image.diff_ids.len() != layer_blobs.len() {
            return err(format!(
                "the manifest lists {} layers, the config's rootfs.diff_ids {}",
                layer_blobs.len(),
                image.diff_ids.len()
            ));
        }
        if format == "docker-archive" || image.platforms.is_empty() {
            let p = format!("{}/{}", image.config.os, image.config.architecture);
            image.platform = p.clone();
            image.platforms = vec![p];
        } else {
            image.platform = format!("{}/{}", image.config.os, image.config.architecture);
        }
        image.layers = layer_blobs.into_iter().map(|(b, _)| b).collect();
        image.apply_layers()?;
        Ok(image)
    }

    /// A plain root file system on this machine (`--root DIR`). Paths are
    /// resolved inside it: links never lead out of it.
    pub fn root(dir: &Path, limits: Limits) -> Result<Image, ImageError> {
        if !dir.is_dir() {
            return err(format!("{} is not a directory", dir.display()));
        }
        Ok(Image {
            format: "rootfs",
            reference: None,
            config: Config::default(),
            platform: host_platform(),
            platforms: vec![host_platform()],
            nodes: BTreeMap::new(),
            layers: Vec::new(),
            diff_ids: Vec::new(),
            archive: None,
            root: Some(dir.to_path_buf()),
            limits,
            cache: Mutex::new(HashMap::new()),
        })
    }

    fn read_blob(&self, blob: &Blob, max: u64) -> Result<Vec<u8>, ImageError> {
        let mut out = Vec::new();
        self.open_blob(blob)?
            .take(max + 1)
            .read_to_end(&mut out)
            .map_err(|e| ImageError(format!("reading the archive: {e}")))?;
        if out.len() as u64 > max {
            return err(format!("a metadata blob is larger than {max} bytes"));
        }
        Ok(out)
    }

    fn open_blob(&self, blob: &Blob) -> Result<Box<dyn Read + '_>, ImageError> {
        match blob {
            Blob::Member { offset, size } => {
                let path = self.archive.as_ref().ok_or_else(|| ImageError("no archive".into()))?;
                let mut f = File::open(path).map_err(|e| ImageError(format!("{}: {e}", path.display())))?;
                f.seek(SeekFrom::Start(*offset))
                    .map_err(|e| ImageError(e.to_string()))?;
                Ok(Box::new(f.take(*size)))
            }
            Blob::Path(p) => Ok(Box::new(
                File::open(p).map_err(|e| ImageError(format!("{}: {e}", p.display())))?,
            )),
        }
    }

    /// A layer's tar stream, decompressed by its magic bytes (gzip, zstd or
    /// none) and bounded to `max_layer_bytes`.
    fn layer_stream(&self, layer: usize) -> Result<Box<dyn Read + '_>, ImageError> {
        let mut raw = self.open_blob(&self.layers[layer])?;
        let mut magic = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            match raw.read(&mut magic[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) => return err(format!("layer {}: {e}", layer + 1)),
            }
        }
        let head = std::io::Cursor::new(magic[..got].to_vec()).chain(raw);
        let inner: Box<dyn Read> = if magic[..got].starts_with(&[0x1f, 0x8b]) {
            Box::new(flate2::read::GzDecoder::new(head))
        } else if magic[..got] == [0x28, 0xb5, 0x2f, 0xfd] {
            Box::new(
                zstd::stream::read::Decoder::new(head).map_err(|e| ImageError(format!("layer {}: {e}", layer + 1)))?,
            )
        } else {
            Box::new(head)
        };
        Ok(Box::new(Bounded {
            inner,
            left: self.limits.max_layer_bytes,
        }))
    }

    fn apply_layers(&mut self) -> Result<(), ImageError> {
        let mut entries = 0usize;
        for layer in 0..self.layers.len() {
            let hasher = std::rc::Rc::new(std::cell::RefCell::new(sha2::Sha256::default()));
            let stream = Hashing {
                inner: self.layer_stream(layer)?,
                hasher: hasher.clone(),
            };
            let mut archive = tar::Archive::new(stream);
            let iter = archive
                .entries()
                .map_err(|e| ImageError(format!("layer {}: {e}", layer + 1)))?;
            let mut changes: Vec<(String, Node)> = Vec::new();
            for (ordinal, entry) in iter.enumerate() {
                let entry =
                    entry.map_err(|e| ImageError(format!("layer {} is truncated or corrupt: {e}", layer + 1)))?;
                entries += 1;
                if entries > self.limits.max_entries {
                    return err(format!("more than {} entries", self.limits.max_entries));
                }
                let raw = entry.path_bytes().into_owned();
                let name = String::from_utf8_lossy(&raw).into_owned();
                let path = clean(&name).ok_or_else(|| {
                    ImageError(format!(
                        "layer {} has a member {name:?} that leaves the image root",
                        layer + 1
                    ))
                })?;
                if path.split('/').count() > self.limits.max_depth {
                    return err(format!(
                        "layer {} has a path deeper than {} components",
                        layer + 1,
                        self.limits.max_depth
                    ));
                }
                let header = entry.header();
                let kind = header.entry_type();
                let node = if kind.is_dir() {
                    Node::Dir
                } else if kind.is_symlink() {
                    let target = entry
                        .link_name_bytes()
                        .map(|t| String::from_utf8_lossy(&t).into_owned());
                    Node::Symlink(target.unwrap_or_default())
                } else if kind.is_hard_link() {
                    let target = entry
                        .link_name_bytes()
                        .map(|t| String::from_utf8_lossy(&t).into_owned());
                    let target = clean(&target.unwrap_or_default()).ok_or_else(|| {
                        ImageError(format!("layer {} has a hard link that leaves the root", layer + 1))
                    })?;
                    // A link to an entry of this layer or a lower one.
                    changes
                        .iter()
                        .rev()
                        .find(|(p, _)| *p == target)
                        .map(|(_, n)| n.clone())
                        .or_else(|| self.nodes.get(&target).cloned())
                        .ok_or_else(|| {
                            ImageError(format!("layer {}: hard link {path} to missing {target}", layer + 1))
                        })?
                } else if kind.is_file() || kind == tar::EntryType::Continuous {
                    Node::File {
                        layer,
                        ordinal,
                        size: entry.size(),
                        mode: header.mode().unwrap_or(0o644),
                    }
                } else if kind.is_pax_global_extensions() || kind.is_pax_local_extensions() || kind.is_gnu_longname() {
                    continue;
                } else {
                    Node::Special
                };
                changes.push((path, node));
            }
            // Drain what follows the end-of-archive blocks, then check the
            // uncompressed layer against the config's diff_id.
            std::io::copy(&mut archive.into_inner(), &mut std::io::sink())
                .map_err(|e| ImageError(format!("layer {} is truncated or corrupt: {e}", layer + 1)))?;
            let digest = {
                use sha2::Digest;
                let h = std::mem::take(&mut *hasher.borrow_mut());
                h.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>()
            };
            if self.diff_ids[layer] != format!("sha256:{digest}") {
                return err(format!(
                    "layer {} does not match the config's rootfs.diff_ids (sha256:{digest}): layers missing, reordered or changed",
                    layer + 1
                ));
            }
            self.apply_changes(layer, changes);
        }
        Ok(())
    }

    fn apply_changes(&mut self, _layer: usize, changes: Vec<(String, Node)>) {
        let remove_under = |nodes: &mut BTreeMap<String, Node>, dir: &str, with_self: bool| {
            let prefix = if dir.is_empty() {
                String::new()
            } else {
                format!("{dir}/")
            };
            let doomed: Vec<String> = nodes
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .map(|(k, _)| k.clone())
                .collect();
            for k in doomed {
                nodes.remove(&k);
            }
            if with_self {
                nodes.remove(dir);
            }
        };
        // Whiteouts act on the lower layers only: apply them first.
        for (path, _) in &changes {
            let (dir, base) = match path.rsplit_once('/') {
                Some((d, b)) => (d.to_string(), b),
                None => (String::new(), path.as_str()),
            };
            if base == ".wh..wh..opq" {
                remove_under(&mut self.nodes, &dir, false);
            } else if let Some(name) = base.strip_prefix(".wh.") {
                let victim = if dir.is_empty() {
                    name.to_string()
                } else {
                    format!("{dir}/{name}")
                };
                remove_under(&mut self.nodes, &victim, true);
            }
        }
        for (path, node) in changes {
            let base = path.rsplit('/').next().unwrap_or_default();
            if base.starts_with(".wh.") {
                continue;
            }
            if node != Node::Dir {
                remove_under(&mut self.nodes, &path, false);
            }
            self.nodes.insert(path, node);
        }
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
                if crate::input::starts_with_elf_magic(entry.path()) == Some(true)
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

/// A reader that feeds what it reads to a SHA-256.
struct Hashing<R> {
    inner: R,
    hasher: std::rc::Rc<std::cell::RefCell<sha2::Sha256>>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        sha2::Digest::update(&mut *self.hasher.borrow_mut(), &buf[..n]);
        Ok(n)
    }
}

/// A reader that fails once it has given `left` bytes.
struct Bounded<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other("the layer decompresses to more than the limit"));
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Index the members of the outer tar archive: clean name → where its bytes are.
fn index_archive(path: &Path, limits: Limits) -> Result<BTreeMap<String, Blob>, ImageError> {
    let file = File::open(path).map_err(|e| ImageError(format!("{e}")))?;
    let file_len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut archive = tar::Archive::new(file);
    let mut out = BTreeMap::new();
    for entry in archive
        .entries()
        .map_err(|e| ImageError(format!("not a tar archive: {e}")))?
    {
        let entry = entry.map_err(|e| ImageError(format!("the archive is truncated or corrupt: {e}")))?;
        if out.len() > limits.max_entries {
            return err("too many archive members");
        }
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(name) = clean(&name) else {
            return err(format!("the archive has a member {name:?} that leaves it"));
        };
        let (offset, size) = (entry.raw_file_position(), entry.size());
        if offset.checked_add(size).is_none_or(|end| end > file_len) {
            return err(format!(
                "member {name} claims {size} bytes, past the end of the archive"
            ));
        }
        if entry.header().entry_type().is_file() {
            out.insert(name, Blob::Member { offset, size });
        }
    }
    Ok(out)
}

fn check_size(descriptor: &Value, blob: &Blob) -> Result<(), ImageError> {
    let Some(want) = descriptor["size"].as_u64() else {
        return Ok(());
    };
    let have = match blob {
        Blob::Member { size, .. } => *size,
        Blob::Path(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
    };
    if want != have {
        return err(format!(
            "blob {} is {have} bytes, its descriptor says {want}",
            descriptor["digest"].as_str().unwrap_or("?")
        ));
    }
    Ok(())
}

fn platform_of(p: &Value) -> Option<String> {
    let os = p["os"].as_str()?;
    let arch = p["architecture"].as_str()?;
    Some(match p["variant"].as_str() {
        Some(v) => format!("{os}/{arch}/{v}"),
        None => format!("{os}/{arch}"),
    })
}

fn parse_config(v: &Value) -> Config {
    let c = &v["config"];
    let list = |x: &Value| -> Vec<String> {
        x.as_array()
            .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    Config {
        entrypoint: list(&c["Entrypoint"]),
        cmd: list(&c["Cmd"]),
        user: c["User"].as_str().unwrap_or_default().to_string(),
        working_dir: c["WorkingDir"].as_str().unwrap_or_default().to_string(),
        env: list(&c["Env"]),
        os: v["os"].as_str().unwrap_or("linux").to_string(),
        architecture: v["architecture"].as_str().unwrap_or("amd64").to_string(),
    }
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
