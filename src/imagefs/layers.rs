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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::{Scope, ScopedJoinHandle};

use super::archive::Blob;
use super::digest::Digest;
use super::elfview::{self, Captured, ElfView};
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
/// data, and how many tar headers it took (extension headers included).
pub(super) type OnMember<'a> = dyn FnMut(&Member, &mut dyn Source, u64) -> Result<(), ImageError> + 'a;

/// Read the members of layer `i` from `src`, each handed to `on`.
pub(super) fn members(
    i: usize,
    src: &mut dyn Source,
    limits: &Limits,
    on: &mut OnMember<'_>,
) -> Result<(), ImageError> {
    let mut reader = tar::Reader::new(src, limits.name_bytes);
    let mut seen = 0;
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
        // The headers read for this member (extension headers included).
        let headers = reader.headers - seen;
        seen = reader.headers;
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

/// What the first pass took from one member, before it is put in the
/// tree (in layer order): the member, the tar headers read for it, whether
/// it is ELF, its loader view (captured from a stream), and where it was
/// spooled.
pub(super) struct Taken {
    member: Member,
    headers: u64,
    elf: bool,
    view: Option<Result<Arc<ElfView>, String>>,
    spooled: Option<(u64, u64)>,
}

/// What taking members needs: the paths the start reads whole, the
/// spool, the limits.
#[derive(Clone, Copy)]
struct Taking<'a> {
    wanted: &'a HashSet<Vec<u8>>,
    spool: &'a Mutex<super::Spooled>,
    limits: &'a Limits,
}

impl Taking<'_> {
    /// Take what the verdicts need of member `m` of layer `i` as it goes
    /// by (`streamed`: from a compressed layer; `headers`: the tar headers
    /// it took): its magic, the loader view of an ELF file, and a wanted
    /// file copied to the spool whole.
    fn take(
        &self,
        i: usize,
        m: &Member,
        src: &mut dyn Source,
        headers: u64,
        streamed: bool,
    ) -> Result<Taken, ImageError> {
        let mut t = Taken {
            member: m.clone(),
            headers,
            elf: false,
            view: None,
            spooled: None,
        };
        if m.kind != Kind::File {
            return Ok(t);
        }
        let want = streamed
            && m.size <= self.limits.file_bytes
            && components(&m.name).is_some_and(|p| self.wanted.contains(&p.join(&b'/')));
        if want {
            let (at, head) = spool_copy(src, m.size, self.spool, self.limits)?;
            t.spooled = Some((at, m.size));
            t.elf = head.starts_with(ELF);
        } else if let Some(magic) = elfview::magic(src, m.size).map_err(|e| io(i, e))? {
            t.elf = magic == *ELF;
            if t.elf
                && streamed
                && let Captured::View(v) = elfview::capture(src, magic, m.size).map_err(|e| io(i, e))?
            {
                t.view = Some(v.map(Arc::new));
            }
        }
        Ok(t)
    }
}

const ELF: &[u8; 4] = b"\x7fELF";

/// Copy the member streaming by (`size` bytes) to the end of the spool:
/// where it starts there, and its first bytes.
pub(super) fn spool_copy(
    src: &mut dyn Source,
    size: u64,
    spool: &Mutex<super::Spooled>,
    limits: &Limits,
) -> Result<(u64, Vec<u8>), ImageError> {
    let mut spool = spool.lock().map_err(|_| malformed("the spool is poisoned"))?;
    if spool.file.len() + size > limits.spool_bytes {
        return Err(ImageError::Limit(
            limits.exceeded("spool-bytes", "the files needed whole"),
        ));
    }
    let err = |e: std::io::Error| malformed(format!("the temporary file: {e}"));
    let at = spool.file.begin().map_err(err)?;
    let (mut left, mut head) = (size, Vec::new());
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
    Ok((at, head))
}

/// A compressed layer read on threads of its own, its members taken and
/// sent on, a few at a time, to be put in the tree in layer order.
struct Ahead<'s> {
    i: usize,
    rx: Receiver<Taken>,
    pass: ScopedJoinHandle<'s, Result<u64, ImageError>>,
}

/// Members a layer read ahead may hold while the layers before it are
/// put in the tree.
const AHEAD: usize = 4096;

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

    /// Apply the layers in order: an uncompressed one by reading its
    /// headers here; a compressed one from the members its own threads
    /// take, while the next compressed layer is read ahead. Errors: the
    /// layer and why.
    fn apply_layers(
        &mut self,
        layers: &[Layer],
        diff_ids: &[Digest],
        wanted: &HashSet<Vec<u8>>,
    ) -> Result<(), (usize, ImageError)> {
        let limits = self.limits;
        let spent = AtomicU64::new(0);
        let spool = self.spool.clone();
        let taking = Taking {
            wanted,
            spool: &spool,
            limits: &limits,
        };
        let mut entries = 0u64;
        std::thread::scope(|s| {
            let start = |i: usize| ahead(s, i, &layers[i], &diff_ids[i], &spent, taking);
            let mut next: Option<Ahead<'_>> = None;
            for (i, layer) in layers.iter().enumerate() {
                if layer.in_place() {
                    verify::budget(&limits, i, &spent)
                        .spend(layer.blob.size, layer.blob.size)
                        .map_err(|e| (i, e))?;
                    let mut src = ReadSource::seeking(layer.blob.at());
                    let mut on = |m: &Member, src: &mut dyn Source, h: u64| {
                        let t = taking.take(i, m, src, h, false)?;
                        self.put(i, t, &mut entries)
                    };
                    members(i, &mut src, &limits, &mut on).map_err(|e| (i, e))?;
                    continue;
                }
                let current = match next.take() {
                    Some(a) if a.i == i => a,
                    _ => start(i),
                };
                next = (i + 1..layers.len()).find(|j| !layers[*j].in_place()).map(start);
                for t in &current.rx {
                    self.put(i, t, &mut entries).map_err(|e| (i, e))?;
                }
                let read = current
                    .pass
                    .join()
                    .unwrap_or_else(|_| Err(malformed("reading a layer failed")));
                read.map_err(|e| (i, e))?;
            }
            Ok(())
        })
    }

    /// Put what was taken of one member of layer `i` in the tree; `entries`
    /// counts the tar headers of all layers.
    fn put(&mut self, i: usize, t: Taken, entries: &mut u64) -> Result<(), ImageError> {
        let (layer, m) = (i as u16, &t.member);
        *entries += t.headers;
        if *entries > self.limits.entries {
            return Err(ImageError::Limit(
                self.limits.exceeded("entries", format!("layer {}", i + 1)),
            ));
        }
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
            Kind::File | Kind::Sparse => Put::File(self.file(i, &t)),
            Kind::Other => Put::Special,
        };
        self.tree
            .put(layer, &path, put)
            .map_err(|e| malformed(format!("layer {}: {shown}: {e}", i + 1)))
    }

    /// A regular file of layer `i`: its id, and where its bytes are.
    fn file(&mut self, i: usize, t: &Taken) -> FileNode {
        let id = self.files.len() as u64;
        let m = &t.member;
        self.files.push(FileData {
            layer: i as u16,
            data: m.data,
            elf: t.elf,
            sparse: m.kind == Kind::Sparse,
        });
        if let Some(v) = &t.view {
            self.keep_view(id, v.clone());
        }
        if let (Some(at), Ok(mut spool)) = (t.spooled, self.spool.lock()) {
            spool.at.insert(id, at);
        }
        FileNode {
            id,
            size: m.size,
            mode: m.mode,
        }
    }
}

/// Start reading compressed layer `i` on threads of its own.
fn ahead<'s>(
    s: &'s Scope<'s, '_>,
    i: usize,
    layer: &'s Layer,
    diff_id: &'s Digest,
    spent: &'s AtomicU64,
    taking: Taking<'s>,
) -> Ahead<'s> {
    let (tx, rx) = sync_channel::<Taken>(AHEAD);
    let pass = s.spawn(move || {
        let mut on = |m: &Member, src: &mut dyn Source, h: u64| {
            let t = taking.take(i, m, src, h, true)?;
            tx.send(t).map_err(|_| malformed("stopped"))
        };
        let budget = verify::budget(taking.limits, i, spent);
        stream_pass(i, layer, budget, Some(diff_id), taking.limits, &mut on)
    });
    Ahead { i, rx, pass }
}

fn io(i: usize, e: std::io::Error) -> ImageError {
    malformed(format!("layer {} is truncated or corrupt: {e}", i + 1))
}
