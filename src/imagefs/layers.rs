//! Layers: each one's tar stream, decompressed by its magic bytes, checked
//! against the configuration's `rootfs.diff_ids`, and applied as the OCI
//! image spec's "Applying Changesets" says.

use std::collections::BTreeMap;
use std::io::Read;

use super::{ImageError, ImageFs, Node, clean, err};

impl ImageFs {
    /// A layer's tar stream, decompressed by its magic bytes (gzip, zstd or
    /// none) and bounded to `max_layer_bytes`.
    pub(super) fn layer_stream(&self, layer: usize) -> Result<Box<dyn Read + '_>, ImageError> {
        let store = self.store.as_ref().ok_or_else(|| ImageError("no archive".into()))?;
        let mut raw = store.reader(&self.layers[layer])?;
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

    /// Apply every layer in order, each checked against its diff_id.
    pub(super) fn apply_layers(&mut self) -> Result<(), ImageError> {
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
                if let Some(change) = self.change(&entry, layer, ordinal, &changes)? {
                    changes.push(change);
                }
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
            self.apply_changes(changes);
        }
        Ok(())
    }

    /// What one entry of a layer changes: its clean path and node; `None`
    /// for PAX and GNU long-name records. `earlier` are the changes of the
    /// same layer so far (a hard link may point at one of them).
    fn change<R: Read>(
        &self,
        entry: &tar::Entry<'_, R>,
        layer: usize,
        ordinal: usize,
        earlier: &[(String, Node)],
    ) -> Result<Option<(String, Node)>, ImageError> {
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
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
        let link = || {
            entry
                .link_name_bytes()
                .map(|t| String::from_utf8_lossy(&t).into_owned())
                .unwrap_or_default()
        };
        let node = if kind.is_dir() {
            Node::Dir
        } else if kind.is_symlink() {
            Node::Symlink(link())
        } else if kind.is_hard_link() {
            let target = clean(&link())
                .ok_or_else(|| ImageError(format!("layer {} has a hard link that leaves the root", layer + 1)))?;
            // A link to an entry of this layer or a lower one.
            earlier
                .iter()
                .rev()
                .find(|(p, _)| *p == target)
                .map(|(_, n)| n.clone())
                .or_else(|| self.nodes.get(&target).cloned())
                .ok_or_else(|| ImageError(format!("layer {}: hard link {path} to missing {target}", layer + 1)))?
        } else if kind.is_file() || kind == tar::EntryType::Continuous {
            Node::File {
                layer,
                ordinal,
                size: entry.size(),
                mode: header.mode().unwrap_or(0o644),
            }
        } else if kind.is_pax_global_extensions() || kind.is_pax_local_extensions() || kind.is_gnu_longname() {
            return Ok(None);
        } else {
            Node::Special
        };
        Ok(Some((path, node)))
    }

    /// Apply one layer's changes: its whiteouts first (they act on the lower
    /// layers only), then its entries.
    fn apply_changes(&mut self, changes: Vec<(String, Node)>) {
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
