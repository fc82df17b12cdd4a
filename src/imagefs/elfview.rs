//! The loader's view of an ELF file in an image ([`ElfView`]), read once
//! per file from the few ranges the loader reads: the ELF header and
//! program headers, PT_INTERP, PT_DYNAMIC, and the tables the dynamic
//! section points at (DT_STRTAB, DT_VERNEED, DT_VERDEF). In real files
//! those tables sit in the first PT_LOAD segment, before the code, so a
//! file streaming by in a compressed layer is captured by its first
//! segment (at most [`PREFIX`] bytes) and its dynamic section; the rest is
//! skipped, never held.

use std::sync::Arc;

use goblin::elf::dynamic::{DT_STRSZ, DT_STRTAB, DT_VERDEF, DT_VERNEED};
use goblin::elf::program_header::{PT_DYNAMIC, PT_INTERP, PT_LOAD, ProgramHeader};

use super::content::Sparse;
use super::tar::{Source, read_exact};
use crate::elf::{ElfFile, Kind};
use crate::loader::Object;

/// The most of a file's start captured from a stream (bytes): the first
/// PT_LOAD segment of real programs and libraries, where their loader
/// tables are, is smaller.
pub(super) const PREFIX: u64 = 16 << 20;

/// Files up to this size (bytes) are captured whole from a stream.
const SMALL: u64 = 1 << 20;

/// The most of PT_INTERP or PT_DYNAMIC captured (bytes).
const SEGMENT: u64 = 1 << 20;

/// What the loader, and the kernel before it, read of one ELF file.
#[derive(Debug, Clone)]
pub struct ElfView {
    /// `e_machine`, as [`crate::elf::ElfFacts::machine`] names it.
    pub machine: String,
    /// PT_INTERP.
    pub interpreter: Option<String>,
    /// A shared library, not a program.
    pub shared_library: bool,
    /// DT_SONAME.
    pub soname: Option<String>,
    /// DT_NEEDED, search paths and versions.
    pub object: Arc<Object>,
}

impl ElfView {
    /// Read the view from a file's bytes (whole, mapped, or sparse with the
    /// loader's ranges filled in). Errors: why the file is malformed, as
    /// reading it alone would say.
    pub fn read(bytes: &[u8]) -> Result<ElfView, crate::Error> {
        let file = ElfFile::parse(bytes)?;
        let interpreter = file.interpreter()?;
        let strings = file.dynamic_strings()?;
        file.version_needs()?;
        let (kind, _) = file.kind_and_linkage(interpreter.is_some(), &strings);
        Ok(ElfView {
            machine: crate::elf::machine_name(file.header()),
            interpreter,
            shared_library: kind == Kind::SharedLibrary,
            soname: strings.soname.clone(),
            object: Arc::new(Object::read(&file)),
        })
    }

    /// The view of a shared library's bytes; `None` for a program without
    /// a DT_SONAME or a file that is not readable ELF (a program's versions
    /// are not read). A library that is also a program (`libc.so.6`,
    /// `libcap.so.2`: a PT_INTERP and a DT_SONAME) is a library here: other
    /// objects load it by its soname.
    pub fn library(bytes: &[u8]) -> Option<ElfView> {
        let file = ElfFile::parse(bytes).ok()?;
        let interpreter = file.interpreter().ok()?;
        let strings = file.dynamic_strings().ok()?;
        let (kind, _) = file.kind_and_linkage(interpreter.is_some(), &strings);
        if kind != Kind::SharedLibrary && strings.soname.is_none() {
            return None;
        }
        ElfView::read(bytes).ok()
    }

    /// About how many bytes of memory the view holds.
    pub(super) fn weight(&self) -> u64 {
        let o = &self.object;
        let strings = o
            .needed
            .iter()
            .chain(&o.verdefs)
            .chain(o.rpath.iter())
            .chain(o.runpath.iter());
        let needs = o.version_needs.iter().map(|n| n.file.len() + n.version.len() + 64);
        (strings.map(|s| s.len() + 32).sum::<usize>() + needs.sum::<usize>() + 256) as u64
    }
}

/// What a stream gave of one ELF entry.
pub(super) enum Captured {
    /// The view, or why the file is not readable ELF.
    View(Result<ElfView, String>),
    /// The loader's tables lie where the stream had passed: the file must
    /// be read again (whole).
    Incomplete,
}

/// Capture the view of the ELF entry of `size` bytes that starts at the
/// stream's position (its first 4 bytes, `magic`, already read).
pub(super) fn capture(src: &mut dyn Source, magic: [u8; 4], size: u64) -> std::io::Result<Captured> {
    let Ok(mut sparse) = Sparse::new(size) else {
        return Ok(Captured::Incomplete);
    };
    sparse.write(0, &magic);
    let head = size.min(if size <= SMALL { SMALL } else { 64 << 10 });
    copy(src, &mut sparse, 4, head)?;
    let mut complete = head == size;
    if let Some(plan) = plan(sparse.bytes(), size).filter(|_| !complete) {
        // The first segment is whole unless it was cut at PREFIX.
        complete = plan.first().is_some_and(|r| r.0 == 0 && r.1 < PREFIX);
        for (start, end) in plan {
            let at = sparse.written_to() as u64;
            if end > at {
                copy(src, &mut sparse, start.max(at), end)?;
            }
        }
    }
    let bytes = sparse.bytes();
    if !covered(bytes, &sparse, complete) {
        return Ok(Captured::Incomplete);
    }
    Ok(Captured::View(ElfView::read(bytes).map_err(|e| e.to_string())))
}

/// Copy the stream's bytes `[from, to)` of the entry into `sparse`,
/// skipping what lies before `from` (the stream is at `sparse`'s end).
fn copy(src: &mut dyn Source, sparse: &mut Sparse, from: u64, to: u64) -> std::io::Result<()> {
    let mut at = sparse.written_to().max(4) as u64;
    if from > at {
        src.skip(from - at)?;
        at = from;
    }
    while at < to {
        let s = src.next_slice(usize::try_from(to - at).unwrap_or(usize::MAX))?;
        if s.is_empty() {
            return Ok(());
        }
        sparse.write(at as usize, s);
        at += s.len() as u64;
    }
    Ok(())
}

/// The ranges to capture after the head, in file order: the first PT_LOAD
/// segment (at most [`PREFIX`]), PT_INTERP and PT_DYNAMIC. `None` when the
/// head is all there is to read (or not ELF enough to plan).
fn plan(head: &[u8], size: u64) -> Option<Vec<(u64, u64)>> {
    let header = goblin::elf::Elf::parse_header(head).ok()?;
    let ctx = goblin::container::Ctx::new(
        if header.e_ident[4] == 2 {
            goblin::container::Container::Big
        } else {
            goblin::container::Container::Little
        },
        if header.e_ident[5] == 2 {
            scroll::Endian::Big
        } else {
            scroll::Endian::Little
        },
    );
    let phoff = usize::try_from(header.e_phoff).ok()?;
    let phdrs = ProgramHeader::parse(head, phoff, usize::from(header.e_phnum), ctx).ok()?;
    let first = phdrs.iter().filter(|p| p.p_type == PT_LOAD).min_by_key(|p| p.p_offset);
    let mut out: Vec<(u64, u64)> = first
        .map(|p| (0, p.p_offset.saturating_add(p.p_filesz).min(PREFIX)))
        .into_iter()
        .collect();
    for p in phdrs.iter().filter(|p| p.p_type == PT_INTERP || p.p_type == PT_DYNAMIC) {
        out.push((p.p_offset, p.p_offset.saturating_add(p.p_filesz.min(SEGMENT))));
    }
    out.iter_mut().for_each(|r| r.1 = r.1.min(size));
    out.sort_unstable();
    Some(out)
}

/// Whether the tables the dynamic section points at were captured: all of
/// DT_STRTAB, and the version chains' first records, with 64 KiB after them
/// unless the segment around them was captured whole (`complete`): the
/// chains stay inside their segment.
fn covered(bytes: &[u8], sparse: &Sparse, complete: bool) -> bool {
    let Ok(file) = ElfFile::parse(bytes) else {
        return true; // malformed: reading it says why
    };
    let strsz = file.dyn_val(DT_STRSZ).unwrap_or(0).min(PREFIX) as usize;
    [(DT_STRTAB, strsz), (DT_VERNEED, 16), (DT_VERDEF, 20)]
        .into_iter()
        .all(|(tag, len)| {
            let Some(off) = file.dyn_val(tag).and_then(|addr| file.vaddr_to_offset(addr, 0)) else {
                return true;
            };
            let range = |n: usize| off..off.saturating_add(n).min(bytes.len());
            sparse.covers(range(len)) && (complete || sparse.covers(range(len.max(64 << 10))))
        })
}

/// Read the first 4 bytes of an entry: its magic.
pub(super) fn magic(src: &mut dyn Source, size: u64) -> std::io::Result<Option<[u8; 4]>> {
    if size < 4 {
        return Ok(None);
    }
    let mut m = [0u8; 4];
    Ok(read_exact(src, &mut m)?.then_some(m))
}
