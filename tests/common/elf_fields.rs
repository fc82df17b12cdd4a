//! Where named fields lie inside real ELF files, per the ELF gABI: the ELF header, the program headers, the
//! dynamic section and the GNU version-need chain (Elf_Verneed / Elf_Vernaux, from the LSB); and the header
//! fields of PE and 64-bit Mach-O files. Used to mutate real fixtures one field at a time.
//!
//! Shared by `tests/proptest.rs` and `examples/mutants.rs`, which include this file with `#[path]`. Being in
//! a subdirectory of `tests/`, it is not a test target of its own. Every read is bounds-checked (a field
//! past the end reads as `None`) and every walk is capped, so the helpers also work on files that earlier
//! mutations have already broken.

/// A field of the file: byte offset and width (1, 2, 4 or 8 bytes).
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub off: usize,
    pub width: usize,
}

pub fn field(off: usize, width: usize) -> Field {
    Field { off, width }
}

/// How an ELF file encodes its fields: ELFCLASS64 or ELFCLASS32 (`e_ident[EI_CLASS]`), little- or
/// big-endian (`e_ident[EI_DATA]`).
#[derive(Clone, Copy)]
pub struct Layout {
    pub is64: bool,
    pub le: bool,
}

/// The layout of an ELF file whose header is whole; `None` for anything else.
pub fn elf_layout(b: &[u8]) -> Option<Layout> {
    if !b.starts_with(b"\x7fELF") || b.len() < 0x34 {
        return None;
    }
    let is64 = b[4] == 2;
    if is64 && b.len() < 0x40 {
        return None;
    }
    Some(Layout { is64, le: b[5] != 2 })
}

/// The unsigned value `width` bytes wide at `off`; `None` when it lies (partly) past the end.
pub fn get(b: &[u8], off: usize, width: usize, le: bool) -> Option<u64> {
    let s = b.get(off..off.checked_add(width)?)?;
    let mut v = 0u64;
    for i in 0..width {
        v = (v << 8) | u64::from(if le { s[width - 1 - i] } else { s[i] });
    }
    Some(v)
}

/// The value of field `f`.
pub fn read(b: &[u8], f: Field, le: bool) -> Option<u64> {
    get(b, f.off, f.width, le)
}

/// Writes the low bytes of `v` into `f`; nothing when `f` lies (partly) past the end.
pub fn put(b: &mut [u8], f: Field, le: bool, v: u64) {
    let Some(s) = f.off.checked_add(f.width).and_then(|end| b.get_mut(f.off..end)) else {
        return;
    };
    for (i, byte) in s.iter_mut().enumerate() {
        *byte = (v >> if le { 8 * i } else { 8 * (f.width - 1 - i) }) as u8;
    }
}

/// An ELF header field, by name: `e_type`, `e_entry`, `e_phoff`, `e_shoff`, `e_phentsize`, `e_phnum`,
/// `e_shentsize`, `e_shnum` or `e_shstrndx`.
pub fn ehdr_field(l: Layout, name: &str) -> Field {
    // (offset in ELFCLASS64, offset in ELFCLASS32, width; 0 for a word: 8 or 4 bytes)
    let (off64, off32, width) = match name {
        "e_type" => (0x10, 0x10, 2),
        "e_entry" => (0x18, 0x18, 0),
        "e_phoff" => (0x20, 0x1c, 0),
        "e_shoff" => (0x28, 0x20, 0),
        "e_phentsize" => (0x36, 0x2a, 2),
        "e_phnum" => (0x38, 0x2c, 2),
        "e_shentsize" => (0x3a, 0x2e, 2),
        "e_shnum" => (0x3c, 0x30, 2),
        "e_shstrndx" => (0x3e, 0x32, 2),
        _ => unreachable!("{name}"),
    };
    let word = if l.is64 { 8 } else { 4 };
    field(
        if l.is64 { off64 } else { off32 },
        if width == 0 { word } else { width },
    )
}

/// Offsets of the program headers that lie inside the file (at most 256 of them).
pub fn phdrs(b: &[u8], l: Layout) -> Vec<usize> {
    let (Some(phoff), Some(phnum)) = (
        read(b, ehdr_field(l, "e_phoff"), l.le),
        read(b, ehdr_field(l, "e_phnum"), l.le),
    ) else {
        return Vec::new();
    };
    let size = if l.is64 { 56 } else { 32 };
    (0..phnum.min(256) as usize)
        .filter_map(|i| {
            let off = usize::try_from(phoff).ok()?.checked_add(i * size)?;
            (off.checked_add(size)? <= b.len()).then_some(off)
        })
        .collect()
}

/// A field of the program header at `ph`, by name: `p_type`, `p_offset`, `p_vaddr`, `p_filesz` or `p_memsz`.
pub fn phdr_field(l: Layout, ph: usize, name: &str) -> Field {
    let (off64, off32) = match name {
        "p_type" => return field(ph, 4),
        "p_offset" => (8, 4),
        "p_vaddr" => (16, 8),
        "p_filesz" => (32, 16),
        "p_memsz" => (40, 20),
        _ => unreachable!("{name}"),
    };
    if l.is64 {
        field(ph + off64, 8)
    } else {
        field(ph + off32, 4)
    }
}

/// The value of a field of the program header at `ph` (see [`phdr_field`]).
pub fn phdr_value(b: &[u8], l: Layout, ph: usize, name: &str) -> Option<u64> {
    read(b, phdr_field(l, ph, name), l.le)
}

const PT_LOAD: u64 = 1;
const PT_DYNAMIC: u64 = 2;

/// File offset of virtual address `vaddr`, through the PT_LOAD segment that holds it in the file.
pub fn vaddr_to_off(b: &[u8], l: Layout, vaddr: u64) -> Option<usize> {
    phdrs(b, l).into_iter().find_map(|ph| {
        let (va, filesz) = (phdr_value(b, l, ph, "p_vaddr")?, phdr_value(b, l, ph, "p_filesz")?);
        if phdr_value(b, l, ph, "p_type")? != PT_LOAD || vaddr < va || vaddr - va >= filesz {
            return None;
        }
        usize::try_from(phdr_value(b, l, ph, "p_offset")?.checked_add(vaddr - va)?).ok()
    })
}

pub const DT_NULL: u64 = 0;
pub const DT_NEEDED: u64 = 1;
pub const DT_STRTAB: u64 = 5;
pub const DT_SYMTAB: u64 = 6;
pub const DT_STRSZ: u64 = 10;
pub const DT_SONAME: u64 = 14;
pub const DT_RPATH: u64 = 15;
pub const DT_RUNPATH: u64 = 29;
pub const DT_FLAGS_1: u64 = 0x6fff_fffb;
pub const DT_VERNEED: u64 = 0x6fff_fffe;
pub const DT_VERNEEDNUM: u64 = 0x6fff_ffff;

/// The dynamic tags whose entries are worth mutating: those that lead to the needed libraries and the
/// version needs, those that name the file and its search paths, DT_SYMTAB, DT_FLAGS_1 and DT_NULL.
#[allow(dead_code)] // tests/proptest.rs draws from its own five tags
pub const DYN_TAGS: &[u64] = &[
    DT_NEEDED,
    DT_STRTAB,
    DT_STRSZ,
    DT_VERNEED,
    DT_VERNEEDNUM,
    DT_SONAME,
    DT_RPATH,
    DT_RUNPATH,
    DT_SYMTAB,
    DT_FLAGS_1,
    DT_NULL,
];

/// `(entry offset, d_tag, d_val)` of each entry of the PT_DYNAMIC segment, up to DT_NULL (at most 1024).
pub fn dyn_entries(b: &[u8], l: Layout) -> Vec<(usize, u64, u64)> {
    let w = if l.is64 { 8 } else { 4 };
    let Some(ph) = phdrs(b, l)
        .into_iter()
        .find(|&ph| phdr_value(b, l, ph, "p_type") == Some(PT_DYNAMIC))
    else {
        return Vec::new();
    };
    let (Some(Ok(off)), Some(Ok(size))) = (
        phdr_value(b, l, ph, "p_offset").map(usize::try_from),
        phdr_value(b, l, ph, "p_filesz").map(usize::try_from),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for i in 0..(size / (2 * w)).min(1024) {
        let e = off.saturating_add(i * 2 * w);
        let (Some(tag), Some(val)) = (get(b, e, w, l.le), get(b, e.saturating_add(w), w, l.le)) else {
            break;
        };
        out.push((e, tag, val));
        if tag == DT_NULL {
            break;
        }
    }
    out
}

/// Elf_Verneed fields: (offset in the record, width, name).
const VERNEED_RECORD: [(usize, usize, &str); 4] = [
    (2, 2, "vn_cnt"),
    (4, 4, "vn_file"),
    (8, 4, "vn_aux"),
    (12, 4, "vn_next"),
];
/// Elf_Vernaux fields: (offset in the record, width, name).
const VERNAUX_RECORD: [(usize, usize, &str); 4] = [
    (4, 2, "vna_flags"),
    (6, 2, "vna_other"),
    (8, 4, "vna_name"),
    (12, 4, "vna_next"),
];

/// The named fields of the record at `at`.
fn record(at: usize, fields: [(usize, usize, &'static str); 4]) -> [(Field, &'static str); 4] {
    fields.map(|(off, width, name)| (field(at.saturating_add(off), width), name))
}

/// Fields of the Elf_Verneed records reached from DT_VERNEED (vn_cnt, vn_file, vn_aux, vn_next) and of
/// their Elf_Vernaux records (vna_flags, vna_other, vna_name, vna_next), with their names, in chain
/// order (at most 16 records of 32 entries each).
pub fn verneed_fields(b: &[u8], l: Layout) -> Vec<(Field, &'static str)> {
    let Some(addr) = dyn_entries(b, l).iter().find(|e| e.1 == DT_VERNEED).map(|e| e.2) else {
        return Vec::new();
    };
    let Some(mut off) = vaddr_to_off(b, l, addr) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for _ in 0..16 {
        let (Some(cnt), Some(aux), Some(next)) = (
            get(b, off.saturating_add(2), 2, l.le),
            get(b, off.saturating_add(8), 4, l.le),
            get(b, off.saturating_add(12), 4, l.le),
        ) else {
            break;
        };
        out.extend(record(off, VERNEED_RECORD));
        let mut a = off.saturating_add(aux as usize);
        for _ in 0..cnt.min(32) {
            let Some(anext) = get(b, a.saturating_add(12), 4, l.le) else {
                break;
            };
            out.extend(record(a, VERNAUX_RECORD));
            if anext == 0 {
                break;
            }
            a = a.saturating_add(anext as usize);
        }
        if next == 0 {
            break;
        }
        off = off.saturating_add(next as usize);
    }
    out
}

/// Counts, sizes, offsets and addresses in a PE or 64-bit little-endian Mach-O header: those inside the
/// file.
pub fn foreign_fields(b: &[u8]) -> Vec<Field> {
    let mut out = Vec::new();
    if b.starts_with(b"MZ") {
        out.push(field(0x3c, 4)); // e_lfanew
        let coff = get(b, 0x3c, 4, true).unwrap_or(0) as usize + 4;
        // NumberOfSections, PointerToSymbolTable, NumberOfSymbols, SizeOfOptionalHeader
        out.extend([
            field(coff + 2, 2),
            field(coff + 8, 4),
            field(coff + 12, 4),
            field(coff + 16, 2),
        ]);
        let opt = coff + 20;
        out.push(if get(b, opt, 2, true) == Some(0x20b) {
            field(opt + 24, 8)
        } else {
            field(opt + 28, 4)
        }); // ImageBase
        let sects = opt + get(b, coff + 16, 2, true).unwrap_or(0) as usize;
        for i in 0..get(b, coff + 2, 2, true).unwrap_or(0).min(32) as usize {
            let s = sects + 40 * i; // VirtualSize, VirtualAddress, SizeOfRawData, PointerToRawData
            out.extend([field(s + 8, 4), field(s + 12, 4), field(s + 16, 4), field(s + 20, 4)]);
        }
    } else if b.starts_with(&[0xcf, 0xfa, 0xed, 0xfe]) {
        out.extend([field(16, 4), field(20, 4)]); // ncmds, sizeofcmds
        let mut lc = 32;
        for _ in 0..get(b, 16, 4, true).unwrap_or(0).min(64) {
            let (Some(cmd), Some(size)) = (get(b, lc, 4, true), get(b, lc + 4, 4, true)) else {
                break;
            };
            out.push(field(lc + 4, 4));
            if cmd == 0x19 {
                // LC_SEGMENT_64: vmaddr, vmsize, fileoff, filesize, nsects; each section's addr, size, offset
                out.extend([
                    field(lc + 24, 8),
                    field(lc + 32, 8),
                    field(lc + 40, 8),
                    field(lc + 48, 8),
                ]);
                out.push(field(lc + 64, 4));
                for s in 0..get(b, lc + 64, 4, true).unwrap_or(0).min(32) as usize {
                    let sect = lc + 72 + 80 * s;
                    out.extend([field(sect + 32, 8), field(sect + 40, 8), field(sect + 48, 4)]);
                }
            } else if cmd == 0x2 {
                // LC_SYMTAB: symoff, nsyms, stroff, strsize
                out.extend([
                    field(lc + 8, 4),
                    field(lc + 12, 4),
                    field(lc + 16, 4),
                    field(lc + 20, 4),
                ]);
            }
            if size < 8 {
                break;
            }
            lc += size as usize;
        }
    }
    out.retain(|f| f.off + f.width <= b.len());
    out
}
