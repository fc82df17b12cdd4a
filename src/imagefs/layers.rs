//! Layers: each read once, in order, and applied to the tree as its
//! members go by; what the verdicts need of each file is taken in the
//! same read.
//!
//! An uncompressed layer is a range of a file on disk: its tar headers are
//! read in order, seeking over the data, while other threads hash whole
//! layers in parallel (the layers' SHA-256 is most of the work: on 2 cores,
//! two layers are hashed at once). A compressed layer is decompressed once
//! ([`super::stream::pass`]), hashed and parsed on three threads.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::archive::Blob;
use super::digest::Digest;
use super::elfview::{self, Captured};
use super::stream::{self, Budget, Compression};
use super::tar::{self, Kind, Member, ReadSource, Source, TarError};
use super::tree::{FileNode, Put};
use super::{ImageError, ImageFs, Limits, components, malformed, verify};

/// One layer: its blob and how it is stored.
#[derive(Clone)]
pub(super) struct Layer {
    /// Where its bytes are.
    pub blob: Blob,
    /// How they are stored.
    pub compression: Compression,
}

impl Layer {
    /// Layer `i` of `blob`, told by its first bytes.
    fn sniff(i: usize, blob: Blob) -> Result<Layer, ImageError> {
        let mut head = [0u8; 4];
        let n = blob
            .read_at(0, &mut head)
            .map_err(|e| malformed(format!("layer {}: {e}", i + 1)))?;
        Ok(Layer {
            compression: Compression::sniff(&head[..n]),
            blob,
        })
    }

    /// Whether its members can be read in place (mapped).
    pub(super) fn in_place(&self) -> bool {
        self.compression == Compression::None
    }
}

/// Where one regular file's bytes are.
#[derive(Debug, Clone, Copy)]
pub(super) struct FileData {
    /// The layer.
    pub layer: u16,
    /// Offset of its data in the layer's tar stream.
    pub data: u64,
    /// It starts with the ELF magic.
    pub elf: bool,
    /// A GNU sparse member: its stored data is not its bytes.
    pub sparse: bool,
}

/// What a pass does with each member: given the member, the stream at its
/// data, and the headers read so far in the layer.
pub(super) type OnMember<'a> = dyn FnMut(&Member, &mut dyn Source, u64) -> Result<(), ImageError> + 'a;

/// Read the members of layer `i` from `src`, each handed to `on`.
pub(super) fn members(
    i: usize,
    src: &mut dyn Source,
    limits: &Limits,
    on: &mut OnMember<'_>,
) -> Result<(), ImageError> {
    let mut reader = tar::Reader::new(src, limits.name_bytes);
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

/// One pass over compressed layer `i`, its members handed to `on`; checks
/// it against `diff_id` and its blob's digest; returns the bytes
/// decompressed.
pub(super) fn stream_pass(
    i: usize,
    layer: &Layer,
    budget: Budget,
    diff_id: Option<&Digest>,
    limits: &Limits,
    on: &mut OnMember<'_>,
) -> Result<u64, ImageError> {
    let what = format!("layer {}", i + 1);
    let blob = &layer.blob;
    let stored = blob.digest.as_ref().map(Digest::hasher);
    let ((), d) = stream::pass(blob.reader(), stored, budget, &what, |chunks| {
        members(i, chunks, limits, on)
    })?;
    if let Some(want) = diff_id {
        verify::diff_id(i, &d.diff_id, want)?;
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

impl ImageFs {
    /// Read every layer once, in order, applying it, while the
    /// uncompressed ones are hashed in parallel; each is checked against
    /// its diff_id and its blob against its digest. Of a layer that is both
    /// corrupt and changed, the change is reported.
    pub(super) fn read_layers(
        &mut self,
        blobs: Vec<Blob>,
        diff_ids: &[Digest],
        wanted: &HashSet<Vec<u8>>,
    ) -> Result<(), ImageError> {
        let layers: Vec<Layer> = blobs
            .into_iter()
            .enumerate()
            .map(|(i, b)| Layer::sniff(i, b))
            .collect::<Result<_, _>>()?;
        self.layers = layers.clone();
        let stop = AtomicBool::new(false);
        let work = verify::Work::new(&layers);
        let limits = self.limits;
        std::thread::scope(|s| {
            let hashes = verify::spawn(s, &work, &layers, &limits, &stop);
            let applied = self.apply_layers(&layers, diff_ids, wanted);
            if applied.is_err() {
                stop.store(true, Ordering::Relaxed);
            }
            let upto = match &applied {
                Ok(()) => layers.len(),
                Err((i, _)) => *i + 1,
            };
            verify::check(hashes, &work, &layers[..upto], diff_ids)?;
            applied.map_err(|(_, e)| e)
        })
    }

    /// Apply the layers in order. Errors: the layer and why.
    fn apply_layers(
        &mut self,
        layers: &[Layer],
        diff_ids: &[Digest],
        wanted: &HashSet<Vec<u8>>,
    ) -> Result<(), (usize, ImageError)> {
        let limits = self.limits;
        let (mut total, mut entries) = (0u64, 0u64);
        for (i, (layer, diff_id)) in layers.iter().zip(diff_ids).enumerate() {
            let budget = verify::budget(&limits, i, total, layer).map_err(|e| (i, e))?;
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
            let read = if layer.in_place() {
                let mut src = ReadSource::seeking(layer.blob.at());
                members(i, &mut src, &limits, &mut on).map(|()| layer.blob.size)
            } else {
                stream_pass(i, layer, budget, Some(diff_id), &limits, &mut on)
            };
            total += read.map_err(|e| (i, e))?;
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
        let streamed = !self.layers[i].in_place();
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
    pub(super) fn spool_entry(&self, src: &mut dyn Source, id: u64, size: u64) -> Result<Vec<u8>, ImageError> {
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
}

fn io(i: usize, e: std::io::Error) -> ImageError {
    malformed(format!("layer {} is truncated or corrupt: {e}", i + 1))
}
