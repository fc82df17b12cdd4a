//! Where an image's blobs are, and what its manifests say: a `docker save`
//! archive (`manifest.json`, old `<id>/layer.tar` and Docker 25+ `blobs/`
//! layouts), an OCI image-layout archive or directory (`index.json`,
//! nested indexes for several platforms), and the image configuration.
//!
//! Sources: the OCI image-spec (`image-layout.md`, `image-index.md`,
//! `manifest.md`, `config.md`) and Docker's `image/spec/v1.2.md`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Config, ImageError, Limits, clean, err};

/// The largest manifest, index or configuration read, in bytes.
const MAX_METADATA: u64 = 16 << 20;

/// The most nested manifests followed in an index.
const MAX_MANIFESTS: usize = 64;

/// Where a blob (config, manifest, layer) lives.
#[derive(Debug, Clone)]
pub(super) enum Blob {
    /// A member of the outer archive: offset and size in the archive file.
    Member { offset: u64, size: u64 },
    /// A file of an OCI layout directory.
    Path(PathBuf),
}

/// The blobs of an image: an archive's members or a layout directory's
/// files, never anything outside them.
pub(super) struct Store {
    /// The archive file, or the layout directory.
    path: PathBuf,
    /// An archive's members by clean name; empty for a directory.
    members: BTreeMap<String, Blob>,
    dir: bool,
}

impl Store {
    /// Index an archive's members, or take a layout directory as it is.
    pub(super) fn open(path: &Path, limits: Limits) -> Result<Store, ImageError> {
        let dir = path.is_dir();
        Ok(Store {
            path: path.to_path_buf(),
            members: if dir {
                BTreeMap::new()
            } else {
                index_archive(path, limits)?
            },
            dir,
        })
    }

    /// `docker-archive`, `oci-archive` or `oci-layout`.
    pub(super) fn format(&self) -> &'static str {
        if self.dir {
            "oci-layout"
        } else if self.members.contains_key("manifest.json") {
            "docker-archive"
        } else {
            "oci-archive"
        }
    }

    /// The blob named `name` (a path inside the archive or layout).
    fn blob(&self, name: &str) -> Result<Blob, ImageError> {
        let name = clean(name).ok_or_else(|| ImageError(format!("the archive names {name:?}, outside itself")))?;
        if !self.dir {
            return self.members.get(&name).cloned().ok_or_else(|| {
                if name == "index.json" {
                    ImageError(
                        "neither manifest.json (docker save) nor index.json (OCI) is in the archive: not an image"
                            .into(),
                    )
                } else {
                    ImageError(format!("the archive has no member {name}"))
                }
            });
        }
        // Every component must be a real directory or file of the layout: a
        // symbolic link could lead to the host's files.
        let mut p = self.path.clone();
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
    }

    /// The blob a descriptor names by digest (`blobs/<algorithm>/<hex>`),
    /// checked against the descriptor's size.
    fn described(&self, descriptor: &Value) -> Result<Blob, ImageError> {
        let digest = descriptor["digest"].as_str().unwrap_or_default();
        let (algo, hex) = digest
            .split_once(':')
            .ok_or_else(|| ImageError(format!("bad digest {digest:?}")))?;
        if !algo.chars().all(|c| c.is_ascii_alphanumeric()) || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return err(format!("bad digest {digest:?}"));
        }
        let blob = self.blob(&format!("blobs/{algo}/{hex}"))?;
        check_size(descriptor, &blob)?;
        Ok(blob)
    }

    /// A blob's bytes, as a stream.
    pub(super) fn reader(&self, blob: &Blob) -> Result<Box<dyn Read + '_>, ImageError> {
        match blob {
            Blob::Member { offset, size } => {
                let mut f = File::open(&self.path).map_err(|e| ImageError(format!("{}: {e}", self.path.display())))?;
                f.seek(SeekFrom::Start(*offset))
                    .map_err(|e| ImageError(e.to_string()))?;
                Ok(Box::new(f.take(*size)))
            }
            Blob::Path(p) => Ok(Box::new(
                File::open(p).map_err(|e| ImageError(format!("{}: {e}", p.display())))?,
            )),
        }
    }

    /// A metadata blob's bytes, at most [`MAX_METADATA`].
    fn read(&self, blob: &Blob) -> Result<Vec<u8>, ImageError> {
        let mut out = Vec::new();
        self.reader(blob)?
            .take(MAX_METADATA + 1)
            .read_to_end(&mut out)
            .map_err(|e| ImageError(format!("reading the archive: {e}")))?;
        if out.len() as u64 > MAX_METADATA {
            return err(format!("a metadata blob is larger than {MAX_METADATA} bytes"));
        }
        Ok(out)
    }

    /// A metadata blob as JSON; `what` names it in errors.
    fn json(&self, blob: &Blob, what: &str) -> Result<Value, ImageError> {
        serde_json::from_slice(&self.read(blob)?).map_err(|e| ImageError(format!("{what}: {e}")))
    }
}

/// What the manifests say about the chosen image.
pub(super) struct Manifest {
    /// The image's name as recorded (`RepoTags`, or the OCI ref name).
    pub(super) reference: Option<String>,
    /// Every platform an index offers (empty for a single image).
    pub(super) platforms: Vec<String>,
    /// The configuration.
    pub(super) config: Config,
    /// The uncompressed layers' digests (`rootfs.diff_ids`).
    pub(super) diff_ids: Vec<String>,
    /// The layers, lowest first.
    pub(super) layers: Vec<Blob>,
}

/// Read the manifests of `store` and the configuration of the image for
/// `want` (`linux/amd64`).
pub(super) fn manifest(store: &Store, want: &str) -> Result<Manifest, ImageError> {
    let (reference, platforms, config_blob, layers) = if store.format() == "docker-archive" {
        docker_manifest(store)?
    } else {
        oci_manifest(store, want)?
    };
    let config = store.json(&config_blob, "image config")?;
    let diff_ids: Vec<String> = config["rootfs"]["diff_ids"]
        .as_array()
        .map(|a| a.iter().filter_map(|d| d.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    if diff_ids.len() != layers.len() {
        return err(format!(
            "the manifest lists {} layers, the config's rootfs.diff_ids {}",
            layers.len(),
            diff_ids.len()
        ));
    }
    Ok(Manifest {
        reference,
        platforms,
        config: parse_config(&config),
        diff_ids,
        layers,
    })
}

type Parts = (Option<String>, Vec<String>, Blob, Vec<Blob>);

/// A `docker save` archive's `manifest.json`: its first image.
fn docker_manifest(store: &Store) -> Result<Parts, ImageError> {
    let manifest = store.json(&store.blob("manifest.json")?, "manifest.json")?;
    let m = manifest
        .get(0)
        .ok_or_else(|| ImageError("manifest.json lists no image".into()))?;
    let reference = m["RepoTags"].get(0).and_then(Value::as_str).map(str::to_string);
    let config = store.blob(m["Config"].as_str().unwrap_or_default())?;
    let mut layers = Vec::new();
    for l in m["Layers"]
        .as_array()
        .ok_or_else(|| ImageError("manifest.json has no Layers list".into()))?
    {
        let l = l
            .as_str()
            .ok_or_else(|| ImageError("manifest.json lists a layer that is not a path".into()))?;
        layers.push(store.blob(l)?);
    }
    Ok((reference, Vec::new(), config, layers))
}

/// An OCI layout's `index.json`, nested indexes followed: the manifest
/// for `want`, or the one without a platform, or the only one.
fn oci_manifest(store: &Store, want: &str) -> Result<Parts, ImageError> {
    let index = store.json(&store.blob("index.json")?, "index.json")?;
    let mut pending: Vec<Value> = index["manifests"].as_array().cloned().unwrap_or_default();
    let reference = pending
        .iter()
        .find_map(|m| m["annotations"]["org.opencontainers.image.ref.name"].as_str())
        .map(str::to_string);
    let mut resolved = Vec::new();
    let mut guard = 0;
    while let Some(d) = pending.pop() {
        guard += 1;
        if guard > MAX_MANIFESTS {
            return err("index.json nests too deeply");
        }
        let v = store.json(&store.described(&d)?, "manifest")?;
        match v["manifests"].as_array() {
            Some(nested) => pending.extend(nested.iter().cloned()),
            None => resolved.push((platform_of(&d["platform"]), v)),
        }
    }
    resolved.reverse();
    let platforms: Vec<String> = resolved.iter().filter_map(|(p, _)| p.clone()).collect();
    let offered: Vec<Option<String>> = resolved.iter().map(|(p, _)| p.clone()).collect();
    let chosen = super::pick_platform(&offered, want)
        .map(|i| &resolved[i])
        .ok_or_else(|| ImageError(format!("no image for {want}; the index has {}", platforms.join(", "))))?;
    let manifest = &chosen.1;
    let config = store.described(&manifest["config"])?;
    let layers = manifest["layers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| store.described(l))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((reference, platforms, config, layers))
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
