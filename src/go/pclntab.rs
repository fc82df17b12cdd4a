//! The Go function table (`.gopclntab`, `runtime.pclntab`): its header,
//! and the name and file tables that stay in stripped programs. Layouts as
//! Go's `debug/gosym` and `runtime/symtab.go` read them.

use crate::endian::ByteOrder;

/// The magics of a Go function table's header, oldest layout first:
/// Go 1.2–1.15, 1.16–1.17, 1.18–1.19, 1.20 on.
pub(super) const PCLN_MAGICS: [u32; 4] = [0xffff_fffb, 0xffff_fffa, 0xffff_fff0, 0xffff_fff1];

/// A Go function table's header (Go's `runtime/symtab.go` `pcHeader`):
/// a 4-byte magic (0xfffffffb for Go 1.2–1.15, 0xfffffffa for 1.16–1.17,
/// 0xfffffff0 for 1.18–1.19, 0xfffffff1 from 1.20), two zero bytes, the
/// instruction quantum, the pointer size, then pointer-sized words.
struct PcHeader<'a> {
    table: &'a [u8],
    magic: u32,
    order: ByteOrder,
    ptr: usize,
}

impl<'a> PcHeader<'a> {
    /// The header of `table`, in either byte order; `None` for an unknown
    /// magic or a pointer size other than 4 or 8.
    fn parse(table: &'a [u8]) -> Option<Self> {
        let (magic, order) = [ByteOrder::Little, ByteOrder::Big]
            .into_iter()
            .find_map(|o| o.u32(table, 0).filter(|m| PCLN_MAGICS.contains(m)).map(|m| (m, o)))?;
        let ptr = usize::from(*table.get(7)?);
        (ptr == 4 || ptr == 8).then_some(PcHeader {
            table,
            magic,
            order,
            ptr,
        })
    }

    /// Pointer-sized word `i` after the 8 fixed bytes.
    fn word(&self, i: usize) -> Option<usize> {
        let v = self.order.word(self.table, 8 + i * self.ptr, self.ptr)?;
        usize::try_from(v).ok()
    }
}

/// The function names and the source file names of a Go function table:
/// `(funcnametab, filetab)`, located through its header ([`PcHeader`]; as
/// `debug/gosym` reads the Go 1.16, 1.18 and 1.20 layouts, the words are
/// `nfunc`, `nfiles`, `textStart` (1.18 on), and the offsets of
/// funcnametab, cutab, filetab, pctab and the function data). Reading these
/// two is enough for names and files, and spares the bulk of a large table
/// (the pc-value tables). For the Go 1.2–1.15 layout, which has no separate
/// name table, or offsets that do not fit, the whole table is both.
pub(super) fn pcln_tables(p: &[u8]) -> (&[u8], &[u8]) {
    let whole = (p, p);
    let Some(h) = PcHeader::parse(p).filter(|h| h.magic != 0xffff_fffb) else {
        return whole;
    };
    let first = if h.magic == 0xffff_fffa { 2 } else { 3 };
    let (Some(names), Some(cu), Some(files), Some(pc)) =
        (h.word(first), h.word(first + 1), h.word(first + 2), h.word(first + 3))
    else {
        return whole;
    };
    // The tables follow one another in this order, and hold NUL-terminated
    // names: offsets that say otherwise are damage, and the whole table is
    // read instead.
    if !(names < cu && cu <= files && files < pc) {
        return whole;
    }
    match (p.get(names..cu), p.get(files..pc)) {
        (Some(n), Some(f)) if n.ends_with(&[0]) && f.ends_with(&[0]) && n[0] != 0 && f[0] != 0 => (n, f),
        _ => whole,
    }
}

/// The number of functions a Go function table's header gives (`nfunc`,
/// its first word), when the layout is known.
pub(super) fn pcln_nfunc(p: &[u8]) -> Option<usize> {
    PcHeader::parse(p)?.word(0)
}

/// NUL-delimited names in `region` that contain `needle`, bounded to 512
/// bytes each side of the match.
pub(super) fn names_containing<'a>(region: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    memchr::memmem::find_iter(region, needle).filter_map(move |i| {
        let lo = i.saturating_sub(512);
        let start = memchr::memrchr(0, &region[lo..i]).map_or(lo, |p| lo + p + 1);
        let hi = region.len().min(i + 512);
        let end = memchr::memchr(0, &region[i..hi]).map(|p| i + p)?;
        let name = &region[start..end];
        name.iter().all(|c| c.is_ascii_graphic()).then_some(name)
    })
}

/// Whether `region` holds a NUL-delimited name that starts with `prefix`
/// (a prefix ending in `.` names a package) or, for any other prefix, is
/// exactly `prefix`.
pub(super) fn has_name(region: &[u8], prefix: &str) -> bool {
    let mut pat = Vec::with_capacity(prefix.len() + 2);
    pat.push(0);
    pat.extend_from_slice(prefix.as_bytes());
    if !prefix.ends_with('.') {
        pat.push(0);
    }
    memchr::memmem::find(region, &pat).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `.gopclntab` section of a fixture, found with goblin.
    fn gopclntab(name: &str) -> Vec<u8> {
        let bytes = std::fs::read(format!("{}/testdata/bin/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let elf = goblin::elf::Elf::parse(&bytes).unwrap();
        let sh = elf
            .section_headers
            .iter()
            .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(".gopclntab"))
            .unwrap();
        bytes[sh.sh_offset as usize..(sh.sh_offset + sh.sh_size) as usize].to_vec()
    }

    #[test]
    fn function_table_names_and_files() {
        // Go 1.23 (magic 0xfffffff1) and 1.19 (0xfffffff0): two text tables
        // of NUL-separated names, a small part of the whole.
        for (name, stub) in [
            ("go123-cgo-stripped", &b"net._C2func_getaddrinfo\0"[..]),
            ("go-cgo-net-stripped", b"net._C2func_getaddrinfo\0"),
        ] {
            let table = gopclntab(name);
            let (names, files) = pcln_tables(&table);
            // UTF-8 text (Go writes `·` in some names), no control bytes.
            let text = |t: &[u8]| std::str::from_utf8(t).is_ok() && t.iter().all(|&b| b == 0 || b >= 0x20);
            assert!(text(names) && text(files), "{name}");
            assert!(names.len() + files.len() < table.len() / 4, "{name}");
            assert!(memchr::memmem::find(names, stub).is_some(), "{name}");
            assert!(memchr::memmem::find(files, b"\0runtime/cgo/").is_some(), "{name}");
            assert!(names.ends_with(b"\0") && files.ends_with(b"\0"), "{name}");
        }
        // Go 1.15 (0xfffffffb) has no separate name table: the whole table.
        let table = gopclntab("go115-cgo-net");
        let (names, files) = pcln_tables(&table);
        assert_eq!((names.len(), files.len()), (table.len(), table.len()));
    }
}
