//! Checking layers against their digests. An uncompressed layer's bytes
//! are a range of a file: they are hashed on worker threads, several
//! layers at once, while the tar headers are read in order on the caller's
//! thread. Each layer's SHA-256 is its diff_id and, when its blob is
//! named by a SHA-256 digest, its blob digest too: hashed once.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::{Scope, ScopedJoinHandle};

use super::digest::{Digest, Hasher};
use super::layers::Layer;
use super::stream::Budget;
use super::{ImageError, Limits, malformed};

/// Bytes read at a time.
const BLOCK: usize = 1 << 20;

/// The digests of an image's uncompressed layers, to be computed: the
/// jobs, largest first, and each layer's result (diff_id, and the blob
/// digest when it is not SHA-256).
pub(super) struct Work {
    jobs: Vec<usize>,
    next: AtomicUsize,
    results: Mutex<Vec<Option<HashResult>>>,
}

type HashResult = Result<(Digest, Option<Digest>), ImageError>;

impl Work {
    /// The work for `layers`.
    pub(super) fn new(layers: &[Layer]) -> Work {
        let mut jobs: Vec<usize> = (0..layers.len()).filter(|i| layers[*i].in_place()).collect();
        jobs.sort_by_key(|i| std::cmp::Reverse(layers[*i].blob.size));
        Work {
            jobs,
            next: AtomicUsize::new(0),
            results: Mutex::new(vec![None; layers.len()]),
        }
    }
}

/// Start hashing, on as many threads as there are cores (at most one per
/// layer). `stop` ends them early.
pub(super) fn spawn<'s>(
    s: &'s Scope<'s, '_>,
    work: &'s Work,
    layers: &'s [Layer],
    limits: &'s Limits,
    stop: &'s AtomicBool,
) -> Vec<ScopedJoinHandle<'s, ()>> {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(work.jobs.len());
    (0..threads)
        .map(|_| {
            s.spawn(move || {
                while let Some(&i) = work.jobs.get(work.next.fetch_add(1, Ordering::Relaxed)) {
                    let hashed = hash(i, &layers[i], limits, stop);
                    // A hash cut short by `stop` says nothing.
                    if let (false, Ok(mut r)) = (stop.load(Ordering::Relaxed), work.results.lock()) {
                        r[i] = Some(hashed);
                    }
                }
            })
        })
        .collect()
}

/// Hash layer `i`'s bytes as stored (it is uncompressed): its diff_id,
/// and its blob digest if that is not SHA-256.
fn hash(i: usize, layer: &Layer, limits: &Limits, stop: &AtomicBool) -> Result<(Digest, Option<Digest>), ImageError> {
    if layer.blob.size > limits.layer_bytes {
        return Err(ImageError::Limit(
            limits.exceeded("layer-bytes", format!("layer {}", i + 1)),
        ));
    }
    let mut diff = Hasher::sha256();
    let mut other = layer
        .blob
        .digest
        .as_ref()
        .filter(|d| d.algorithm != "sha256")
        .map(Digest::hasher);
    let mut buf = vec![0u8; BLOCK];
    let mut at = 0u64;
    while at < layer.blob.size {
        if stop.load(Ordering::Relaxed) {
            return Err(malformed("stopped"));
        }
        let n = layer
            .blob
            .read_at(at, &mut buf)
            .map_err(|e| malformed(format!("layer {}: {e}", i + 1)))?;
        if n == 0 {
            return Err(malformed(format!("layer {} is truncated", i + 1)));
        }
        diff.update(&buf[..n]);
        if let Some(h) = &mut other {
            h.update(&buf[..n]);
        }
        at += n as u64;
    }
    Ok((diff.finish(), other.map(Hasher::finish)))
}

/// Wait for the hashes, and check each of `layers` (a prefix of the
/// image's) that is uncompressed against its diff_id and blob digest.
pub(super) fn check(
    workers: Vec<ScopedJoinHandle<'_, ()>>,
    work: &Work,
    layers: &[Layer],
    diff_ids: &[Digest],
) -> Result<(), ImageError> {
    for w in workers {
        let _ = w.join();
    }
    let results = std::mem::take(&mut *work.results.lock().map_err(|_| malformed("poisoned"))?);
    for (i, layer) in layers.iter().enumerate() {
        let Some(Some(result)) = results.get(i).cloned() else {
            continue;
        };
        let (diff, other) = result?;
        diff_id(i, &diff, &diff_ids[i])?;
        if let Some(want) = &layer.blob.digest {
            let have = if want.algorithm == "sha256" {
                diff.clone()
            } else {
                other.unwrap_or(diff)
            };
            if have != *want {
                return Err(malformed(format!(
                    "layer {} is stored as {want} but its digest is {have}",
                    i + 1
                )));
            }
        }
    }
    Ok(())
}

/// Layer `i`'s tar stream hashes to `have`; its diff_id is `want`.
pub(super) fn diff_id(i: usize, have: &Digest, want: &Digest) -> Result<(), ImageError> {
    if have == want {
        return Ok(());
    }
    Err(malformed(format!(
        "layer {} does not match the config's rootfs.diff_ids ({have}): layers missing, reordered or changed",
        i + 1
    )))
}

/// The budget of layer `i`: its own bound, and the image's, counted in
/// `spent`.
pub(super) fn budget<'a>(limits: &Limits, i: usize, spent: &'a AtomicU64) -> Budget<'a> {
    Budget {
        layer: limits.layer_bytes,
        image: limits.image_bytes,
        spent,
        on_layer: limits.exceeded("layer-bytes", format!("layer {}", i + 1)),
        on_image: limits.exceeded("image-bytes", format!("layer {}", i + 1)),
    }
}
