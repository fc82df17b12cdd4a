//! Files needed after the first pass that a compressed layer did not
//! keep: fetched by one more pass over that layer, for all such files at
//! once; and every file's bytes, mapped where they are.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::layers::{spool_copy, stream_pass};
use super::tar::{Kind, Member, Source};
use super::tree::{FileNode, Node};
use super::{ImageError, ImageFs, Mapped, content, malformed, verify};

impl ImageFs {
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
            if !self.layers[d.layer as usize].in_place() && !d.sparse && !spool.at.contains_key(&id) {
                by_layer.entry(d.layer as usize).or_default().insert(d.data, id);
            }
        }
        drop(spool);
        for (i, wanted) in by_layer {
            let limits = &self.limits;
            // The layer was counted against the image's bound when first read.
            let spent = AtomicU64::new(0);
            let mut budget = verify::budget(limits, i, &spent);
            budget.image = u64::MAX;
            let mut on = |m: &Member, src: &mut dyn Source, _| match wanted.get(&m.data) {
                Some(&id) if m.kind == Kind::File => {
                    let (at, _) = spool_copy(src, m.size, &self.spool, limits)?;
                    self.spool
                        .lock()
                        .map_err(|_| malformed("poisoned"))?
                        .at
                        .insert(id, (at, m.size));
                    Ok(())
                }
                _ => Ok(()),
            };
            stream_pass(i, &self.layers[i], budget, None, limits, &mut on)?;
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
        if layer.in_place() {
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
