//! A file's bytes without holding them: a range of a file on disk mapped
//! read-only (a member of an uncompressed layer in the archive, or a copy
//! spooled to a temporary file from a compressed layer), so that reading a
//! 1 GiB program's headers costs the pages read, not 1 GiB; and the sparse
//! copy of an ELF file streaming by, where only the ranges the loader
//! reads are filled in.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::ops::Range;
use std::sync::Arc;

/// A range of a file, mapped read-only.
pub struct Mapped {
    map: Option<memmap2::Mmap>,
    skip: usize,
    len: usize,
}

impl std::ops::Deref for Mapped {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match &self.map {
            Some(m) => &m[self.skip..self.skip + self.len],
            None => &[],
        }
    }
}

/// Map `len` bytes of `file` at `offset`.
pub(super) fn map(file: &File, offset: u64, len: u64) -> std::io::Result<Mapped> {
    let len = usize::try_from(len).map_err(|_| std::io::Error::other("too large to map"))?;
    if len == 0 {
        return Ok(Mapped {
            map: None,
            skip: 0,
            len: 0,
        });
    }
    let page = 4096u64;
    let start = offset / page * page;
    let skip = (offset - start) as usize;
    // SAFETY: the mapping is read-only and only read through `&[u8]`. The
    // file is the image archive, a layout's blob or dlcheck's own temporary
    // file; if another process truncates it while mapped, touching a lost
    // page raises SIGBUS (README, "Reading files"), the same risk dlcheck
    // takes for any large file it reads.
    #[allow(unsafe_code)]
    let map = unsafe { memmap2::MmapOptions::new().offset(start).len(skip + len).map(file)? };
    Ok(Mapped {
        map: Some(map),
        skip,
        len,
    })
}

/// A temporary file, deleted when dropped, where files needed whole are
/// copied out of compressed layers.
pub(super) struct Spool {
    file: Option<Arc<File>>,
    end: u64,
}

impl Spool {
    /// An empty spool; the file is made on first use.
    pub(super) fn new() -> Spool {
        Spool { file: None, end: 0 }
    }

    /// Bytes spooled so far.
    pub(super) fn len(&self) -> u64 {
        self.end
    }

    /// The file, for reading.
    pub(super) fn file(&self) -> Option<Arc<File>> {
        self.file.clone()
    }

    /// Start a copy at the end: its offset.
    pub(super) fn begin(&mut self) -> std::io::Result<u64> {
        if self.file.is_none() {
            self.file = Some(Arc::new(tempfile::tempfile()?));
        }
        Ok(self.end)
    }

    /// Append bytes.
    pub(super) fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let mut f: &File = self
            .file
            .as_ref()
            .ok_or_else(|| std::io::Error::other("spool not begun"))?;
        f.seek(SeekFrom::Start(self.end))?;
        f.write_all(bytes)?;
        self.end += bytes.len() as u64;
        Ok(())
    }
}

/// A file's bytes as far as they were captured: the ranges written, zeros
/// elsewhere. Backed by an anonymous mapping of the file's size that
/// reserves nothing: pages never written cost no memory.
pub(super) struct Sparse {
    map: memmap2::MmapMut,
    len: usize,
    written: Vec<Range<usize>>,
}

impl Sparse {
    /// Room for a file of `len` bytes.
    pub(super) fn new(len: u64) -> std::io::Result<Sparse> {
        let len = usize::try_from(len).map_err(|_| std::io::Error::other("too large"))?;
        let map = memmap2::MmapOptions::new()
            .len(len.max(1))
            .no_reserve_swap()
            .map_anon()?;
        Ok(Sparse {
            map,
            len,
            written: Vec::new(),
        })
    }

    /// Copy `bytes` to offset `at` (clamped to the file).
    pub(super) fn write(&mut self, at: usize, bytes: &[u8]) {
        let end = at.saturating_add(bytes.len()).min(self.len);
        if at >= end {
            return;
        }
        self.map[at..end].copy_from_slice(&bytes[..end - at]);
        match self.written.last_mut() {
            Some(last) if last.end == at => last.end = end,
            _ => self.written.push(at..end),
        }
    }

    /// Whether `range` was written.
    pub(super) fn covers(&self, range: Range<usize>) -> bool {
        range.is_empty()
            || self
                .written
                .iter()
                .any(|w| w.start <= range.start && range.end <= w.end)
    }

    /// Where the written bytes end (the end of the last range written).
    pub(super) fn written_to(&self) -> usize {
        self.written.last().map_or(0, |w| w.end)
    }

    /// The whole file's bytes.
    pub(super) fn bytes(&self) -> &[u8] {
        &self.map[..self.len]
    }
}
