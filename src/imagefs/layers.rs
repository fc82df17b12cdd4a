//! Layers: each read once ([`super::stream::pass`]) and applied to the
//! tree as its members stream by; what the verdicts need of each file is
//! taken in the same pass. A file needed later that a compressed layer did
//! not keep is fetched by one more pass over that layer, for all such
//! files at once.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::sync::Arc;

use super::archive::Blob;
use super::digest::Digest;
use super::elfview::{self, Captured};
use super::stream::{self, Budget, Chunks, Compression};
use super::tar::{self, Kind, Member, Source, TarError};
use super::tree::{FileNode, Node, Put};
use super::{ImageError, ImageFs, Mapped, components, content, malformed};

/// One layer: its blob and how it is stored.
#[derive(Clone)]
pub(super) struct Layer {
    blob: Blob,
    compression: Compression,
}

/// Where one regular file's bytes are.
#[derive(Debug, Clone, Copy)]
pub(super) struct FileData {
    /// The layer.
    layer: u16,
    /// Offset of its data in the layer's tar stream.
    data: u64,
    /// It starts with the ELF magic.
    pub elf: bool,
    /// A GNU sparse member: its stored data is not its bytes.
    sparse: bool,
}

/// What a pass does with each member: given the member, the stream at its
/// data, and the headers read so far in the layer.
type OnMember<'a> = dyn FnMut(&Member, &mut dyn Source, u64) -> Result<(), ImageError> + 'a;

/// One pass over `layer` (numbered `i`); checks it against `diff_id` and
/// its digest, and returns the bytes decompressed.
fn pass(
    i: usize,
    layer: &Layer,
    budget: Budget,
    diff_id: Option<&Digest>,
    name_bytes: u64,
    limits: &super::Limits,
    on: &mut OnMember<'_>,
) -> Result<u64, ImageError> {
    let what = format!("layer {}", i + 1);
    let blob = &layer.blob;
    let stored = blob.digest.as_ref().map(Digest::hasher);
    let ((), d) = stream::pass(blob.reader(), stored, budget, &what, |chunks| {
        members(i, chunks, name_bytes, limits, on)
    })?;
    if let Some(want) = diff_id
        && d.diff_id != *want
    {
        return Err(malformed(format!(
            "{what} does not match the config's rootfs.diff_ids ({}): layers missing, reordered or changed",
            d.diff_id
        )));
    }
    if let (Some(want), Some(have)) = (&blob.digest, &d.stored)
        && want != have
    {
        return Err(malformed(format!(
            "{what} is stored as {want} but its digest is {have}"
        )));
    }
    Ok(d.bytes)
}

/// Read the members of layer `i` from `chunks`, each handed to `on`.
fn members(
    i: usize,
    chunks: &mut Chunks,
    name_bytes: u64,
    limits: &super::Limits,
    on: &mut OnMember<'_>,
) -> Result<(), ImageError> {
    let mut reader = tar::Reader::new(chunks, name_bytes);
    loop {
        let member = match reader.next_member() {
            Ok(Some(m)) => m,
            Ok(None) => return Ok(()),
            Err(TarError::NameTooLong) => {
                return Err(ImageError::Limit(
                    limits.exceeded("name-bytes", format!("layer {}", i + 1)),
                ));
            }
            Err(TarError::Corrupt(e)) => {
                return Err(malformed(format!("layer {} is truncated or corrupt: {e}", i + 1)));
            }
        };
        let headers = reader.headers;
        on(&member, reader.source(), headers)?;
    }
}

impl ImageFs {
    /// Read every layer once, in order, checking each against its diff_id
    /// and its blob against its digest, and apply it.
    pub(super) fn read_layers(
        &mut self,
        blobs: Vec<Blob>,
        diff_ids: &[Digest],
        wanted: &HashSet<Vec<u8>>,
    ) -> Result<(), ImageError> {
        let mut total = 0u64;
        let mut entries = 0u64;
        let limits = self.limits;
        for (i, (blob, diff_id)) in blobs.into_iter().zip(diff_ids).enumerate() {
            let mut head = [0u8; 4];
            let n = blob
                .read_at(0, &mut head)
                .map_err(|e| malformed(format!("layer {}: {e}", i + 1)))?;
            let layer = Layer {
                compression: Compression::sniff(&head[..n]),
                blob,
            };
            let left = limits.image_bytes.saturating_sub(total);
            let (bytes, name) = if limits.layer_bytes <= left {
                (limits.layer_bytes, "layer-bytes")
            } else {
                (left, "image-bytes")
            };
            let budget = Budget {
                bytes,
                exceeded: limits.exceeded(name, format!("layer {}", i + 1)),
            };
            self.layers.push(Layer {
                compression: layer.compression,
                blob: layer.blob.clone(),
            });
            let mut before = 0;
            let mut on = |m: &Member, src: &mut dyn Source, headers: u64| {
                entries += headers - before;
                before = headers;
                if entries > limits.entries {
                    return Err(ImageError::Limit(
                        limits.exceeded("entries", format!("layer {}", i + 1)),
                    ));
                }
                self.apply(i, m, src, wanted)
            };
            total += pass(i, &layer, budget, Some(diff_id), limits.name_bytes, &limits, &mut on)?;
        }
        Ok(())
    }

    /// Apply one member of layer `i` to the tree.
    fn apply(
        &mut self,
        i: usize,
        m: &Member,
        src: &mut dyn Source,
        wanted: &HashSet<Vec<u8>>,
    ) -> Result<(), ImageError> {
        let layer = i as u16;
        let shown = crate::text::from_bytes(&m.name);
        let path = components(&m.name).ok_or_else(|| {
            malformed(format!(
                "layer {} has a member {shown:?} that leaves the image root",
                i + 1
            ))
        })?;
        if path.len() as u64 > self.limits.path_depth {
            return Err(ImageError::Limit(
                self.limits.exceeded("path-depth", format!("layer {}", i + 1)),
            ));
        }
        let Some((base, parents)) = path.split_last() else {
            return Ok(());
        };
        if let Some(name) = base.strip_prefix(b".wh.") {
            match name {
                b".wh..opq" => self.tree.opaque(layer, parents),
                _ => self.tree.whiteout(layer, parents, name),
            }
            return Ok(());
        }
        let link_path;
        let put = match m.kind {
            Kind::Dir => Put::Dir,
            Kind::Symlink => Put::Symlink(&m.link),
            Kind::HardLink => {
                link_path = components(&m.link)
                    .ok_or_else(|| malformed(format!("layer {} has a hard link that leaves the root", i + 1)))?;
                Put::HardLink(&link_path)
            }
            Kind::File | Kind::Sparse => Put::File(self.file(i, m, src, wanted.contains(&path.join(&b'/')))?),
            Kind::Other => Put::Special,
        };
        self.tree
            .put(layer, &path, put)
            .map_err(|e| malformed(format!("layer {}: {shown}: {e}", i + 1)))
    }

    /// A regular file of layer `i`: where its bytes are, and what is kept
    /// of them now (`wanted`: spooled whole from a compressed layer).
    fn file(&mut self, i: usize, m: &Member, src: &mut dyn Source, wanted: bool) -> Result<FileNode, ImageError> {
        let id = self.files.len() as u64;
        let node = FileNode {
            id,
            size: m.size,
            mode: m.mode,
        };
        let sparse = m.kind == Kind::Sparse;
        let mut data = FileData {
            layer: i as u16,
            data: m.data,
            elf: false,
            sparse,
        };
        let streamed = self.layers[i].compression != Compression::None;
        if sparse {
        } else if wanted && streamed && m.size <= self.limits.file_bytes {
            let head = self.spool_entry(src, id, m.size)?;
            data.elf = head.starts_with(b"\x7fELF");
        } else if let Some(magic) = elfview::magic(src, m.size).map_err(|e| io(i, e))? {
            data.elf = &magic == b"\x7fELF";
            if data.elf && streamed {
                match elfview::capture(src, magic, m.size).map_err(|e| io(i, e))? {
                    Captured::View(v) => self.keep_view(id, v.map(Arc::new)),
                    Captured::Incomplete => {}
                }
            }
        }
        self.files.push(data);
        Ok(node)
    }

    /// Copy the member streaming by (file `id`, `size` bytes) to the
    /// spool; returns its first bytes.
    fn spool_entry(&self, src: &mut dyn Source, id: u64, size: u64) -> Result<Vec<u8>, ImageError> {
        let mut spool = self.spool.lock().map_err(|_| malformed("the spool is poisoned"))?;
        if spool.file.len() + size > self.limits.spool_bytes {
            return Err(ImageError::Limit(
                self.limits.exceeded("spool-bytes", "the files needed whole"),
            ));
        }
        let err = |e: std::io::Error| malformed(format!("the temporary file: {e}"));
        let at = spool.file.begin().map_err(err)?;
        let mut left = size;
        let mut head = Vec::new();
        while left > 0 {
            let s = src
                .next_slice(usize::try_from(left).unwrap_or(usize::MAX))
                .map_err(err)?;
            if s.is_empty() {
                break; // the tar reader says the stream is cut short
            }
            if head.len() < 4 {
                head.extend_from_slice(&s[..s.len().min(4 - head.len())]);
            }
            left -= s.len() as u64;
            spool.file.write(s).map_err(err)?;
        }
        spool.at.insert(id, (at, size));
        Ok(head)
    }

    /// After the first pass: fetch the `wanted` files (the command may be
    /// reached through links) and the ELF files whose view a stream could
    /// not capture, one more pass per layer that holds any.
    pub(super) fn fetch_wanted(&self, wanted: &HashSet<Vec<u8>>) -> Result<(), ImageError> {
        let mut ids: Vec<u64> = Vec::new();
        for w in wanted {
            if let Ok(Some((_, Node::File(f)))) = self.resolve(w) {
                ids.push(f.id);
            }
        }
        let views = self.views.lock().map_err(|_| malformed("poisoned"))?;
        self.tree.files(&mut |_, f| {
            if self.files[f.id as usize].elf && !views.contains_key(&f.id) {
                ids.push(f.id);
            }
        });
        drop(views);
        self.fetch(&ids)
    }

    /// Spool the files `ids` that a compressed layer holds and that are not
    /// spooled yet: one pass per layer.
    fn fetch(&self, ids: &[u64]) -> Result<(), ImageError> {
        let mut by_layer: BTreeMap<usize, BTreeMap<u64, u64>> = BTreeMap::new();
        let spool = self.spool.lock().map_err(|_| malformed("poisoned"))?;
        for &id in ids {
            let d = self.files[id as usize];
            if self.layers[d.layer as usize].compression != Compression::None
                && !d.sparse
                && !spool.at.contains_key(&id)
            {
                by_layer.entry(d.layer as usize).or_default().insert(d.data, id);
            }
        }
        drop(spool);
        for (i, wanted) in by_layer {
            let limits = &self.limits;
            let budget = Budget {
                bytes: limits.layer_bytes,
                exceeded: limits.exceeded("layer-bytes", format!("layer {}", i + 1)),
            };
            let mut on = |m: &Member, src: &mut dyn Source, _| match wanted.get(&m.data) {
                Some(&id) if m.kind == Kind::File => self.spool_entry(src, id, m.size).map(drop),
                _ => Ok(()),
            };
            pass(i, &self.layers[i], budget, None, limits.name_bytes, limits, &mut on)?;
        }
        Ok(())
    }

    /// The bytes of file `f`, mapped: in place for an uncompressed layer,
    /// from the spool for a compressed one (fetched first if need be).
    pub(super) fn map_file(&self, f: FileNode) -> Result<Mapped, ImageError> {
        let (file, offset) = self.extent(f)?;
        content::map(&file, offset, f.size).map_err(|e| malformed(format!("mapping a file: {e}")))
    }

    /// A reader of file `f`'s bytes, a block at a time.
    pub(super) fn reader(&self, f: FileNode) -> Result<super::Read, ImageError> {
        let (file, mut offset) = self.extent(f)?;
        let mut left = f.size;
        Ok(Box::new(move |buf: &mut [u8]| {
            let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            let got = std::os::unix::fs::FileExt::read_at(&*file, &mut buf[..n], offset)?;
            offset += got as u64;
            left -= got as u64;
            Ok(got)
        }))
    }

    /// The file on disk that holds `f`'s bytes, and where.
    fn extent(&self, f: FileNode) -> Result<(Arc<File>, u64), ImageError> {
        let d = *self.files.get(f.id as usize).ok_or_else(|| malformed("no such file"))?;
        if d.sparse {
            return Err(malformed("a file stored sparse (GNU tar 'S') cannot be read"));
        }
        let layer = &self.layers[d.layer as usize];
        if layer.compression == Compression::None {
            return Ok((layer.blob.file.clone(), layer.blob.offset + d.data));
        }
        for attempt in 0..2 {
            let spool = self.spool.lock().map_err(|_| malformed("poisoned"))?;
            if let (Some(&(at, _)), Some(file)) = (spool.at.get(&f.id), spool.file.file()) {
                return Ok((file, at));
            }
            drop(spool);
            if attempt == 0 {
                self.fetch(&[f.id])?;
            }
        }
        Err(malformed(format!(
            "a file of layer {} could not be read again",
            d.layer + 1
        )))
    }
}

fn io(i: usize, e: std::io::Error) -> ImageError {
    malformed(format!("layer {} is truncated or corrupt: {e}", i + 1))
}
