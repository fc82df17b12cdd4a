//! One pass over a layer, on three threads: one reads the blob (hashing
//! its bytes as stored when the descriptor names a digest) and
//! decompresses it, one hashes the decompressed tar stream (its diff_id),
//! and the caller's thread reads the tar members from the same chunks.
//! Each byte is read, decompressed and hashed once; the channels hold a few
//! chunks, so memory does not grow with the layer.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::digest::{Digest, Hasher};
use super::limits::LimitExceeded;
use super::tar::Source;
use super::{ImageError, malformed};

/// Bytes per chunk.
const CHUNK: usize = 256 << 10;
/// Chunks waiting in each channel.
const QUEUE: usize = 8;

/// How a layer's bytes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Compression {
    /// A plain tar stream.
    None,
    /// gzip (RFC 1952).
    Gzip,
    /// Zstandard (RFC 8878).
    Zstd,
}

impl Compression {
    /// Told by the first bytes.
    pub(super) fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// What one pass learnt of the bytes.
pub(super) struct Digests {
    /// SHA-256 of the decompressed stream (the diff_id).
    pub diff_id: Digest,
    /// The digest of the stored bytes, when asked for.
    pub stored: Option<Digest>,
    /// Bytes decompressed.
    pub bytes: u64,
}

/// How far the decompressed bytes may go: `layer` bytes of this layer,
/// and `image` bytes of all layers together, counted in `spent` by every
/// layer being read (several are read at once); and the limits that say so.
pub(super) struct Budget<'a> {
    /// Bytes allowed of this layer.
    pub layer: u64,
    /// Bytes allowed of all layers.
    pub image: u64,
    /// Bytes of all layers so far.
    pub spent: &'a AtomicU64,
    /// The error past `layer`.
    pub on_layer: LimitExceeded,
    /// The error past `image`.
    pub on_image: LimitExceeded,
}

impl Budget<'_> {
    /// Count `n` more bytes, `total` of them this layer's.
    pub(super) fn spend(&self, total: u64, n: u64) -> Result<(), ImageError> {
        let before = self.spent.fetch_add(n, Ordering::Relaxed);
        if total > self.layer {
            return Err(ImageError::Limit(self.on_layer.clone()));
        }
        if before + n > self.image {
            return Err(ImageError::Limit(self.on_image.clone()));
        }
        Ok(())
    }
}

/// The chunks of a layer, as a tar [`Source`].
pub(super) struct Chunks {
    rx: Receiver<Arc<Vec<u8>>>,
    chunk: Arc<Vec<u8>>,
    at: usize,
    pos: u64,
}

impl Source for Chunks {
    fn next_slice(&mut self, max: usize) -> std::io::Result<&[u8]> {
        while self.at == self.chunk.len() {
            match self.rx.recv() {
                Ok(c) => {
                    self.chunk = c;
                    self.at = 0;
                }
                Err(_) => return Ok(&[]),
            }
        }
        let n = max.min(self.chunk.len() - self.at);
        let s = &self.chunk[self.at..self.at + n];
        self.at += n;
        self.pos += n as u64;
        Ok(s)
    }

    fn skip(&mut self, mut n: u64) -> std::io::Result<()> {
        while n > 0 {
            let step = usize::try_from(n).unwrap_or(usize::MAX);
            let got = self.next_slice(step)?.len();
            if got == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "unexpected EOF during skip",
                ));
            }
            n -= got as u64;
        }
        Ok(())
    }

    fn position(&self) -> u64 {
        self.pos
    }
}

/// Read `raw` once: decompress it by its first bytes (`what` names the
/// layer in errors), hash it, and let `consume` read the tar stream from
/// the chunks on this thread. `stored` asks for the digest of the bytes as
/// stored, in that digest's algorithm.
pub(super) fn pass<T: Send>(
    raw: Box<dyn Read + Send + '_>,
    stored: Option<Hasher>,
    budget: Budget<'_>,
    what: &str,
    consume: impl FnOnce(&mut Chunks) -> Result<T, ImageError>,
) -> Result<(T, Digests), ImageError> {
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let (to_hash, hash_rx) = sync_channel::<Arc<Vec<u8>>>(QUEUE);
        let (to_parse, parse_rx) = sync_channel::<Arc<Vec<u8>>>(QUEUE);
        let stop = &stop;
        // The bytes as stored are hashed on a thread of their own too.
        let (to_stored, stored_rx) = sync_channel::<Arc<Vec<u8>>>(QUEUE);
        let stored_hasher = stored.map(|h| s.spawn(move || hash(h, stored_rx)));
        let tee = Tee {
            inner: raw,
            tx: stored_hasher.is_some().then_some(to_stored),
            buf: Vec::new(),
        };
        let producer = s.spawn(move || produce(Box::new(tee), &budget, what, stop, to_hash, to_parse));
        let hasher = s.spawn(move || hash(Hasher::sha256(), hash_rx));
        let mut chunks = Chunks {
            rx: parse_rx,
            chunk: Arc::new(Vec::new()),
            at: 0,
            pos: 0,
        };
        let consumed = consume(&mut chunks);
        if consumed.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        drop(chunks);
        let produced = producer
            .join()
            .unwrap_or_else(|_| Err(malformed(format!("{what}: reading failed"))));
        let diff_id = hasher
            .join()
            .map_err(|_| malformed(format!("{what}: hashing failed")))?;
        let stored = match stored_hasher {
            Some(h) => Some(h.join().map_err(|_| malformed(format!("{what}: hashing failed")))?),
            None => None,
        };
        // A producer's error (a limit, corrupt compression) explains a
        // consumer's (a tar stream cut short): it comes first.
        let bytes = produced?;
        Ok((consumed?, Digests { diff_id, stored, bytes }))
    })
}

/// Hash every chunk received.
fn hash(mut h: Hasher, rx: Receiver<Arc<Vec<u8>>>) -> Digest {
    for c in rx {
        h.update(&c);
    }
    h.finish()
}

/// The producer: read, decompress, count, send; returns the bytes
/// decompressed.
fn produce(
    raw: Box<dyn Read + Send + '_>,
    budget: &Budget<'_>,
    what: &str,
    stop: &AtomicBool,
    to_hash: SyncSender<Arc<Vec<u8>>>,
    to_parse: SyncSender<Arc<Vec<u8>>>,
) -> Result<u64, ImageError> {
    let mut hashed = raw;
    let mut head = [0u8; 4];
    let got = fill(&mut hashed, &mut head).map_err(|e| malformed(format!("{what}: {e}")))?;
    let head = &head[..got];
    let joined = std::io::Cursor::new(head.to_vec()).chain(&mut hashed);
    let mut inner: Box<dyn Read + '_> = match Compression::sniff(head) {
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(joined)),
        Compression::Zstd => {
            Box::new(zstd::stream::read::Decoder::new(joined).map_err(|e| malformed(format!("{what}: {e}")))?)
        }
        Compression::None => Box::new(joined),
    };
    let mut total = 0u64;
    let mut parse = Some(to_parse);
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(total);
        }
        let mut buf = vec![0u8; CHUNK];
        let n = fill(&mut inner, &mut buf).map_err(|e| malformed(format!("{what} is truncated or corrupt: {e}")))?;
        if n == 0 {
            break;
        }
        buf.truncate(n);
        total += n as u64;
        budget.spend(total, n as u64)?;
        let chunk = Arc::new(buf);
        if to_hash.send(chunk.clone()).is_err() {
            return Err(malformed(format!("{what}: hashing stopped")));
        }
        // The tar reader stops at the end-of-archive blocks; what follows
        // is still hashed.
        if parse.as_ref().is_some_and(|p| p.send(chunk).is_err()) {
            parse = None;
        }
    }
    drop(inner);
    // Bytes stored after the compressed stream are part of the blob.
    std::io::copy(&mut hashed, &mut std::io::sink()).map_err(|e| malformed(format!("{what}: {e}")))?;
    Ok(total)
}

/// Read until `buf` is full or the stream ends.
fn fill(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// A reader that sends a copy of what it reads, a chunk at a time, to a
/// hashing thread, when there is one.
struct Tee<R> {
    inner: R,
    tx: Option<SyncSender<Arc<Vec<u8>>>>,
    buf: Vec<u8>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        if let Some(tx) = &self.tx {
            self.buf.extend_from_slice(&out[..n]);
            if self.buf.len() >= CHUNK || n == 0 {
                let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
                tx.send(Arc::new(chunk))
                    .map_err(|_| std::io::Error::other("hashing stopped"))?;
            }
        }
        Ok(n)
    }
}
