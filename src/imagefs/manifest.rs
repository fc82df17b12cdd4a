//! What an image's manifests say: a `docker save` archive's
//! `manifest.json`, an OCI layout's `index.json` (nested indexes for
//! several platforms followed), the chosen manifest and the image
//! configuration. Each is read whole (at most `metadata-bytes`), checked
//! against its digest, counted (at most `json-nodes` JSON values, so a
//! small file of tiny objects cannot take gigabytes) and only then parsed
//! into the few fields dlcheck uses.
//!
//! Sources: the OCI image-spec (`image-layout.md`, `image-index.md`,
//! `manifest.md`, `config.md`, `descriptor.md`) and Docker's
//! `image/spec/v1.2.md`.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::archive::{Blob, Store};
use super::digest::Digest;
use super::{Config, ImageError, Limits, malformed};

/// What the manifests say about the chosen image.
pub(super) struct Manifest {
    /// The image's name as recorded (`RepoTags`, or the OCI ref name).
    pub reference: Option<String>,
    /// Every platform an index offers (empty for a single image).
    pub platforms: Vec<String>,
    /// The configuration.
    pub config: Config,
    /// The uncompressed layers' digests (`rootfs.diff_ids`).
    pub diff_ids: Vec<Digest>,
    /// The layers, lowest first.
    pub layers: Vec<Blob>,
}

/// Read the manifests of `store` and the configuration of the image for
/// `want` (`linux/amd64`), of the name `named` in an OCI layout.
pub(super) fn read(
    store: &Store,
    path: &Path,
    want: &str,
    named: Option<&str>,
    limits: &Limits,
) -> Result<Manifest, ImageError> {
    let (reference, platforms, config_blob, layers) = if store.format() == "docker-archive" {
        docker(store, limits)?
    } else {
        oci(store, path, want, named, limits)?
    };
    if layers.len() as u64 > limits.layers {
        return Err(ImageError::Limit(limits.exceeded("layers", "the manifest")));
    }
    let doc: ConfigDoc = parse(
        &store.read(&config_blob, "the image config", limits)?,
        "the image config",
        limits,
    )?;
    let diff_ids = doc
        .rootfs
        .diff_ids
        .iter()
        .map(|d| Digest::parse(d).map_err(|e| malformed(format!("rootfs.diff_ids: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    if diff_ids.len() != layers.len() {
        return Err(malformed(format!(
            "the manifest lists {} layers, the config's rootfs.diff_ids {}",
            layers.len(),
            diff_ids.len()
        )));
    }
    Ok(Manifest {
        reference,
        platforms,
        config: doc.into_config(),
        diff_ids,
        layers,
    })
}

type Parts = (Option<String>, Vec<String>, Blob, Vec<Blob>);

/// The digest a `docker save` member name gives: `blobs/<alg>/<hex>`, or
/// a legacy config's `<hex>.json` (the image ID is its SHA-256).
fn named_digest(name: &str) -> Option<Digest> {
    let name = name.trim_start_matches("./");
    if let Some(rest) = name.strip_prefix("blobs/") {
        return Digest::parse(&rest.replacen('/', ":", 1)).ok();
    }
    Digest::parse(&format!("sha256:{}", name.strip_suffix(".json")?)).ok()
}

/// A `docker save` archive's `manifest.json`: its first image.
fn docker(store: &Store, limits: &Limits) -> Result<Parts, ImageError> {
    let bytes = store.read(&store.blob("manifest.json", None)?, "manifest.json", limits)?;
    let list: Vec<DockerImage> = parse(&bytes, "manifest.json", limits)?;
    let m = list
        .into_iter()
        .next()
        .ok_or_else(|| malformed("manifest.json lists no image"))?;
    let config = store.blob(&m.config, named_digest(&m.config))?;
    let layers = m
        .layers
        .ok_or_else(|| malformed("manifest.json has no Layers list"))?
        .iter()
        .map(|l| store.blob(l, named_digest(l)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((m.repo_tags.into_iter().next(), Vec::new(), config, layers))
}

/// An OCI layout's `index.json`, nested indexes followed in order: the
/// manifest for `want`, or the one without a platform, or the only one.
fn oci(store: &Store, path: &Path, want: &str, named: Option<&str>, limits: &Limits) -> Result<Parts, ImageError> {
    let bytes = store.read(&store.blob("index.json", None)?, "index.json", limits)?;
    let index: OciDoc = parse(&bytes, "index.json", limits)?;
    let top = by_name(index.manifests.unwrap_or_default(), named, path)?;
    let reference = top.iter().find_map(|m| m.annotations.as_ref()?.ref_name.clone());
    let mut walk = Walk {
        store,
        limits,
        seen: BTreeSet::new(),
        leaves: Vec::new(),
    };
    walk.visit(top, 0)?;
    let platforms: Vec<String> = walk.leaves.iter().filter_map(|(p, _)| p.clone()).collect();
    let offered: Vec<Option<String>> = walk.leaves.iter().map(|(p, _)| p.clone()).collect();
    let chosen = super::pick_platform(&offered, want)
        .map(|i| walk.leaves[i].1.clone())
        .ok_or_else(|| malformed(format!("no image for {want}; the index has {}", platforms.join(", "))))?;
    let blob = store.described(&chosen.digest, chosen.size)?;
    let manifest: OciDoc = parse(&store.read(&blob, "the manifest", limits)?, "the manifest", limits)?;
    let config = manifest.config.ok_or_else(|| malformed("the manifest has no config"))?;
    let config = store.described(&config.digest, config.size)?;
    let layers = manifest
        .layers
        .unwrap_or_default()
        .iter()
        .map(|l| store.described(&l.digest, l.size))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((reference, platforms, config, layers))
}

/// The entries of an OCI layout's `index.json` for the image named
/// `named` (`org.opencontainers.image.ref.name`). Without a name, a layout
/// whose names lead to different manifests holds several images: refused,
/// as skopeo refuses it, naming them and how to choose (`oci:PATH:NAME`,
/// `path` being the layout or archive); names that all lead to the same
/// manifests are one image. A name the layout does not hold is an image not
/// found (exit 3), as the layout itself is sound.
fn by_name(top: Vec<Descriptor>, named: Option<&str>, path: &Path) -> Result<Vec<Descriptor>, ImageError> {
    let name_of = |d: &Descriptor| d.annotations.as_ref().and_then(|a| a.ref_name.clone());
    // Each name, in index order, with the digests its entries lead to.
    let mut names: Vec<(String, BTreeSet<String>)> = Vec::new();
    for d in &top {
        let Some(name) = name_of(d) else { continue };
        match names.iter_mut().find(|(n, _)| *n == name) {
            Some((_, digests)) => {
                digests.insert(d.digest.clone());
            }
            None => names.push((name, BTreeSet::from([d.digest.clone()]))),
        }
    }
    let listed = names.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ");
    match named {
        Some(want) => {
            let found: Vec<Descriptor> = top
                .into_iter()
                .filter(|d| name_of(d).as_deref() == Some(want))
                .collect();
            if found.is_empty() {
                return Err(ImageError::NotFound(format!(
                    "the layout has no image named {want}; it has {}",
                    if names.is_empty() { "no named image" } else { &listed }
                )));
            }
            Ok(found)
        }
        None if names.iter().any(|(_, d)| *d != names[0].1) => Err(ImageError::NotFound(format!(
            "the layout holds several images ({listed}): name one, oci:{}:{}",
            path.display(),
            names[0].0
        ))),
        // One image under several names: its entries under the first.
        None if names.len() > 1 => Ok(top
            .into_iter()
            .filter(|d| name_of(d).as_deref() == Some(names[0].0.as_str()))
            .collect()),
        None => Ok(top),
    }
}

/// A walk through nested indexes.
struct Walk<'a> {
    store: &'a Store,
    limits: &'a Limits,
    /// The indexes read so far, by digest.
    seen: BTreeSet<String>,
    /// Each manifest found: its platform and descriptor, in index order.
    leaves: Vec<(Option<String>, Descriptor)>,
}

impl Walk<'_> {
    /// Follow `list` at nesting `depth`. Only indexes are read: a
    /// manifest's descriptor says its platform. A descriptor without a
    /// media type is read to tell which it is.
    fn visit(&mut self, list: Vec<Descriptor>, depth: u64) -> Result<(), ImageError> {
        for d in list {
            let kind = d.media_type.as_deref().unwrap_or_default();
            let index = kind.ends_with("image.index.v1+json") || kind.ends_with("manifest.list.v2+json");
            if !index && !kind.is_empty() {
                self.leaves.push((platform_of(d.platform.as_ref()), d));
                continue;
            }
            if !self.seen.insert(d.digest.clone()) {
                return Err(malformed(format!("the index refers to {} twice (a loop)", d.digest)));
            }
            if self.seen.len() as u64 > self.limits.manifests {
                return Err(ImageError::Limit(self.limits.exceeded("manifests", "the index")));
            }
            let blob = self.store.described(&d.digest, d.size)?;
            let doc: OciDoc = parse(
                &self.store.read(&blob, "a manifest", self.limits)?,
                "a manifest",
                self.limits,
            )?;
            match doc.manifests {
                Some(nested) if depth + 1 > self.limits.index_depth => {
                    let _ = nested;
                    return Err(ImageError::Limit(self.limits.exceeded("index-depth", "the index")));
                }
                Some(nested) => self.visit(nested, depth + 1)?,
                None => {
                    // A manifest read to learn what it is: read once more
                    // when chosen, no longer a loop.
                    self.seen.remove(&d.digest);
                    self.leaves.push((platform_of(d.platform.as_ref()), d));
                }
            }
        }
        Ok(())
    }
}

fn platform_of(p: Option<&Platform>) -> Option<String> {
    let p = p?;
    let (os, arch) = (p.os.as_deref()?, p.architecture.as_deref()?);
    Some(match &p.variant {
        Some(v) => format!("{os}/{arch}/{v}"),
        None => format!("{os}/{arch}"),
    })
}

/// Parse a metadata blob as `T`, after counting its JSON values.
fn parse<T: for<'de> Deserialize<'de>>(bytes: &[u8], what: &str, limits: &Limits) -> Result<T, ImageError> {
    let left = Cell::new(limits.json_nodes);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let counted = Count(&left).deserialize(&mut de).and_then(|()| de.end());
    if left.get() == 0 {
        return Err(ImageError::Limit(limits.exceeded("json-nodes", what)));
    }
    counted.map_err(|e| malformed(format!("{what}: {e}")))?;
    serde_json::from_slice(bytes).map_err(|e| malformed(format!("{what}: {e}")))
}

/// Counts JSON values down from the cell's value, storing nothing; fails
/// when it reaches zero.
struct Count<'a>(&'a Cell<u64>);

impl Count<'_> {
    fn tick<E: de::Error>(&self) -> Result<(), E> {
        match self.0.get() {
            0 | 1 => {
                self.0.set(0);
                Err(E::custom("too many JSON values"))
            }
            n => {
                self.0.set(n - 1);
                Ok(())
            }
        }
    }
}

impl<'de> DeserializeSeed<'de> for Count<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Count<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.tick()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.tick()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.tick()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.tick()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.tick()
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.tick()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.tick()?;
        while seq.next_element_seed(Count(self.0))?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.tick()?;
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(Count(self.0))?;
        }
        Ok(())
    }
}

/// One image of a `docker save` manifest.json.
#[derive(Deserialize)]
struct DockerImage {
    #[serde(rename = "Config", default)]
    config: String,
    #[serde(rename = "RepoTags", default, deserialize_with = "strings")]
    repo_tags: Vec<String>,
    #[serde(rename = "Layers", default, deserialize_with = "some_strings")]
    layers: Option<Vec<String>>,
}

/// An OCI index or manifest: the fields of either.
#[derive(Deserialize)]
struct OciDoc {
    manifests: Option<Vec<Descriptor>>,
    config: Option<Descriptor>,
    layers: Option<Vec<Descriptor>>,
}

/// An OCI content descriptor.
#[derive(Deserialize, Clone)]
struct Descriptor {
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
    #[serde(default)]
    digest: String,
    size: Option<u64>,
    platform: Option<Platform>,
    annotations: Option<Annotations>,
}

#[derive(Deserialize, Clone)]
struct Annotations {
    #[serde(rename = "org.opencontainers.image.ref.name")]
    ref_name: Option<String>,
}

#[derive(Deserialize, Clone)]
struct Platform {
    os: Option<String>,
    architecture: Option<String>,
    variant: Option<String>,
}

/// The image configuration: the fields that decide how it starts.
#[derive(Deserialize, Default)]
struct ConfigDoc {
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    config: Option<RunConfig>,
    #[serde(default)]
    rootfs: RootFs,
}

#[derive(Deserialize, Default)]
struct RootFs {
    #[serde(default, deserialize_with = "strings")]
    diff_ids: Vec<String>,
}

#[derive(Deserialize, Default)]
struct RunConfig {
    #[serde(rename = "Entrypoint", default, deserialize_with = "strings")]
    entrypoint: Vec<String>,
    #[serde(rename = "Cmd", default, deserialize_with = "strings")]
    cmd: Vec<String>,
    #[serde(rename = "User", default, deserialize_with = "string")]
    user: String,
    #[serde(rename = "WorkingDir", default, deserialize_with = "string")]
    working_dir: String,
    #[serde(rename = "Env", default, deserialize_with = "strings")]
    env: Vec<String>,
}

impl ConfigDoc {
    fn into_config(self) -> Config {
        let c = self.config.unwrap_or_default();
        Config {
            entrypoint: c.entrypoint,
            cmd: c.cmd,
            user: c.user,
            working_dir: c.working_dir,
            env: c.env,
            os: self.os.unwrap_or_else(|| "linux".into()),
            architecture: self.architecture.unwrap_or_else(|| "amd64".into()),
        }
    }
}

/// The strings of a JSON array (other values and non-arrays give none).
fn strings<'de, D: de::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(some_strings(d)?.unwrap_or_default())
}

/// The strings of a JSON array, or `None` when it is not one.
fn some_strings<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(v.as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()))
}

/// A JSON string (other values give an empty one).
fn string<'de, D: de::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(serde_json::Value::deserialize(d)?
        .as_str()
        .unwrap_or_default()
        .to_string())
}
