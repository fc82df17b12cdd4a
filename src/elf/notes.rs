//! ELF notes (gABI chapter 5, "Note Section"): one walker for the notes of
//! PT_NOTE segments and of named note sections, and what dlcheck reads
//! from them: glibc's ABI tag (`NT_GNU_ABI_TAG`), the OS owners of other
//! systems, and the `.note.dlopen` metadata (owner `FDO`).

use goblin::elf::program_header;

use super::ElfFile;
use crate::endian::ByteOrder;

/// `NT_GNU_ABI_TAG`: glibc's start files put it in every program.
pub(super) const NT_GNU_ABI_TAG: u32 = 1;

/// The ELF dlopen metadata note type (`.note.dlopen`, owner `FDO`), the
/// format systemd introduced.
const NT_FDO_DLOPEN_METADATA: u32 = 0x407c_0c0a;

/// One note: its owner (`GNU`, `FDO`, `FreeBSD` ..., without the NUL), its
/// type, and its descriptor bytes (empty when they lie outside the data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Note<'a> {
    /// `n_name`, without its terminating NUL.
    pub owner: &'a [u8],
    /// `n_type`.
    pub ty: u32,
    /// `desc`, `n_descsz` bytes.
    pub desc: &'a [u8],
}

/// The notes in `data`, whose entries are aligned to `align` bytes (4, or
/// 8 for 8-aligned segments). The walk stops at the first note whose header
/// or name lies outside `data`.
fn walk(data: &[u8], align: usize, order: ByteOrder) -> impl Iterator<Item = Note<'_>> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let namesz = order.u32(data, pos)? as usize;
        let descsz = order.u32(data, pos.checked_add(4)?)? as usize;
        let ty = order.u32(data, pos.checked_add(8)?)?;
        let name_start = pos.checked_add(12)?;
        let name_end = name_start.checked_add(namesz)?;
        let name = data.get(name_start..name_end)?;
        // The descriptor and the next note start at `align` boundaries (of
        // the segment, whose start is aligned).
        let desc_start = name_end.checked_next_multiple_of(align)?;
        let desc = desc_start
            .checked_add(descsz)
            .and_then(|end| data.get(desc_start..end))
            .unwrap_or_default();
        pos = desc_start.checked_add(descsz)?.checked_next_multiple_of(align)?;
        Some(Note {
            owner: name.strip_suffix(b"\0").unwrap_or(name),
            ty,
            desc,
        })
    })
}

impl<'a> ElfFile<'a> {
    /// Every note of the PT_NOTE segments, bounded by the segment sizes.
    pub fn notes(&self) -> impl Iterator<Item = Note<'a>> + '_ {
        let order = self.order;
        self.phdrs
            .iter()
            .filter(|p| p.p_type == program_header::PT_NOTE)
            .filter_map(|p| {
                let start = usize::try_from(p.p_offset).ok()?;
                let end = start.checked_add(usize::try_from(p.p_filesz).ok()?)?;
                let align = if p.p_align == 8 { 8 } else { 4 };
                Some((self.bytes.get(start..end)?, align))
            })
            .flat_map(move |(seg, align)| walk(seg, align, order))
    }

    /// Whether a PT_NOTE segment carries the GNU ABI tag (`NT_GNU_ABI_TAG`,
    /// owner `GNU`), which glibc's start files put in every program.
    pub(super) fn has_gnu_abi_tag(&self) -> bool {
        self.notes().any(|n| n.owner == b"GNU" && n.ty == NT_GNU_ABI_TAG)
    }

    /// Sonames in the `.note.dlopen` section: notes of owner `FDO` and type
    /// 0x407c0c0a whose descriptor is a JSON array of objects whose
    /// `soname` lists alternatives; each soname once, in order.
    pub(super) fn dlopen_note(&self) -> Vec<String> {
        let Some(sec) = self.section(".note.dlopen") else {
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        for note in walk(sec, 4, self.order).filter(|n| n.owner == b"FDO" && n.ty == NT_FDO_DLOPEN_METADATA) {
            let desc = note.desc.split(|b| *b == 0).next().unwrap_or_default();
            let Ok(serde_json::Value::Array(entries)) = serde_json::from_slice(desc) else {
                continue;
            };
            for s in entries
                .iter()
                .flat_map(|e| e["soname"].as_array().into_iter().flatten())
            {
                if let Some(s) = s.as_str().filter(|s| !out.iter().any(|o| o == s)) {
                    out.push(s.to_string());
                }
            }
        }
        out
    }
}
