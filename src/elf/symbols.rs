//! Symbol tables (`.symtab`, `.dynsym`), read in place, and the names in
//! them (gABI chapter 4, "Symbol Table").

use goblin::elf::section_header;
use goblin::elf::sym::Symtab;

use super::{ElfFile, MAX_NAME};
use crate::endian::{ByteOrder, cstr_at};

/// One symbol table (`.symtab` or `.dynsym`), read in place.
///
/// Each `Elf32_Sym`/`Elf64_Sym` record (gABI chapter 4, "Symbol Table")
/// begins with `st_name`, a 32-bit offset into the string table named by
/// the section's `sh_link`. Names are not split out one by one: a large Go
/// program has tens of thousands of symbols, and finding each name's end
/// costs more than the few checks made on them. A name is handed out as a
/// *view*: the bytes from `st_name` to the end of the string table, so the
/// name is what comes before the first NUL (see [`name_is`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct SymbolTable<'a> {
    entries: &'a [u8],
    strtab: &'a [u8],
    entsize: usize,
    order: ByteOrder,
}

impl<'a> SymbolTable<'a> {
    /// Whether the table is missing or has no records.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of records.
    pub fn len(&self) -> usize {
        self.entries.len().checked_div(self.entsize).unwrap_or(0)
    }

    /// The view of each symbol's name, in table order (see the type's
    /// documentation); records whose `st_name` lies outside the string
    /// table are skipped.
    pub fn name_views(self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let (strtab, order) = (self.strtab, self.order);
        let entsize = self.entsize.max(4);
        self.entries
            .chunks_exact(entsize)
            .filter_map(move |rec| strtab.get(order.u32(rec, 0)? as usize..))
    }

    /// The names, in table order, that contain `needle`.
    ///
    /// The string table is searched once, instead of each name: only the
    /// strings that hold `needle` are kept, as `(start, last match, end)`,
    /// and a symbol's name holds `needle` when it starts inside such a
    /// string, at or before its last match. That also finds a name stored
    /// as the tail of a longer one (GNU ld shares suffixes in `.strtab`).
    /// Strings longer than [`MAX_NAME`] are skipped, and at most
    /// [`MAX_MATCHING_STRINGS`] strings are kept, so a hostile table costs
    /// bounded memory.
    pub fn names_containing(self, needle: &[u8]) -> Vec<&'a [u8]> {
        let strtab = self.strtab;
        let mut strings: Vec<(usize, usize, usize)> = Vec::new();
        // Matches before `next` lie in a string already looked at, so each
        // byte of the table is searched for a NUL at most once.
        let mut next = 0;
        for i in memchr::memmem::find_iter(strtab, needle) {
            if i < next {
                if let Some(last) = strings.last_mut().filter(|(_, _, end)| i < *end) {
                    last.1 = i;
                }
                continue;
            }
            let Some(p) = memchr::memchr(0, &strtab[i..]) else {
                break; // no NUL follows: the rest of the table is no name
            };
            let end = i + p;
            next = end;
            if strings.len() == MAX_MATCHING_STRINGS {
                break;
            }
            let lo = i.saturating_sub(MAX_NAME);
            let start = match memchr::memrchr(0, &strtab[lo..i]) {
                Some(q) => lo + q + 1,
                None if lo == 0 => 0,
                None => continue, // longer than MAX_NAME
            };
            if end - start <= MAX_NAME {
                strings.push((start, i, end));
            }
        }
        if strings.is_empty() {
            return Vec::new();
        }
        // One bit per 4 KiB of the string table that a kept string touches:
        // most names start on a page without one, and skip the search.
        let mut pages = vec![0u64; strtab.len() / (4096 * 64) + 1];
        for &(start, last, _) in &strings {
            for p in start / 4096..=last / 4096 {
                pages[p / 64] |= 1 << (p % 64);
            }
        }
        let order = self.order;
        self.entries
            .chunks_exact(self.entsize.max(4))
            .filter_map(|rec| {
                let s = order.u32(rec, 0)? as usize;
                let p = s / 4096;
                if pages.get(p / 64).is_none_or(|w| w & (1 << (p % 64)) == 0) {
                    return None;
                }
                let k = strings.partition_point(|&(_, last, _)| last < s);
                let &(start, _, end) = strings.get(k)?;
                (start <= s).then(|| &strtab[s..end])
            })
            .collect()
    }
}

/// The most strings [`SymbolTable::names_containing`] keeps: far more cgo
/// stubs than any real program has.
pub const MAX_MATCHING_STRINGS: usize = 1 << 16;

/// Whether a name view (see [`SymbolTable`]) is exactly `name`: it starts
/// with `name`, followed by a NUL or by nothing.
pub fn name_is(view: &[u8], name: &[u8]) -> bool {
    view.starts_with(name) && view.get(name.len()).is_none_or(|&b| b == 0)
}

impl<'a> ElfFile<'a> {
    /// The symbol table of type `sh_type` (`SHT_SYMTAB` or `SHT_DYNSYM`),
    /// read in place; empty when the section headers or the section are gone
    /// (`strip`, `-s`). The gABI allows one section of each of these types,
    /// so only the first is read.
    ///
    /// A damaged file can hold several: the one with the usual name
    /// (`.symtab`, `.dynsym`) is preferred. Its `sh_link` must name a
    /// string table (SHT_STRTAB), or the table counts as missing.
    pub fn symbol_table(&self, sh_type: u32) -> SymbolTable<'a> {
        let usual = if sh_type == section_header::SHT_DYNSYM {
            ".dynsym"
        } else {
            ".symtab"
        };
        let sh = self
            .section_header(usual)
            .filter(|sh| sh.sh_type == sh_type)
            .or_else(|| self.shdrs.iter().find(|sh| sh.sh_type == sh_type));
        let table = sh.and_then(|sh| {
            let strtab = self
                .shdrs
                .get(sh.sh_link as usize)
                .filter(|s| s.sh_type == section_header::SHT_STRTAB)?;
            Some(SymbolTable {
                entries: self.section_bytes(sh)?,
                strtab: self.section_bytes(strtab)?,
                entsize: goblin::elf::sym::Sym::size(self.ctx.container),
                order: self.order,
            })
        });
        table.unwrap_or_default()
    }

    /// Whether `.symtab` or `.dynsym` names a symbol `name`.
    pub fn has_symbol(&self, name: &[u8]) -> bool {
        [section_header::SHT_SYMTAB, section_header::SHT_DYNSYM]
            .into_iter()
            .any(|t| self.symbol_table(t).name_views().any(|v| name_is(v, name)))
    }

    /// Names of the undefined (imported) symbols of `.dynsym` (every
    /// section of type SHT_DYNSYM, in order), bounded by the section sizes;
    /// symbols whose name cannot be read are skipped. Only an undefined
    /// symbol's name is looked for: a C++ library defines tens of thousands
    /// of symbols, and finding each name's end would cost more than the rest
    /// of reading the file.
    pub fn imported_symbols(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.shdrs
            .iter()
            .filter(|sh| sh.sh_type == section_header::SHT_DYNSYM)
            .filter_map(|sh| {
                let data = self.section_bytes(sh)?;
                let strtab = self.section_bytes(self.shdrs.get(sh.sh_link as usize)?)?;
                let count = data.len() / goblin::elf::sym::Sym::size(self.ctx.container);
                let syms = Symtab::parse(data, 0, count, self.ctx).ok()?;
                Some((0..count).filter_map(move |i| {
                    let sym = syms.get(i).filter(|sym| sym.st_shndx == 0)?;
                    cstr_at(strtab, sym.st_name).filter(|name| !name.is_empty())
                }))
            })
            .flatten()
    }
}

/// A symbol name for people: Rust and C++ (Itanium) names demangled,
/// others as they are.
pub fn demangle(name: &str) -> String {
    if let Ok(d) = rustc_demangle::try_demangle(name) {
        return format!("{d:#}");
    }
    if name.starts_with("_Z")
        && let Ok(sym) = cpp_demangle::Symbol::new(name)
        && let Ok(d) = sym.demangle()
    {
        return d;
    }
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use goblin::elf::section_header;

    #[test]
    fn name_views_end_at_nul() {
        assert!(name_is(b"x_cgo_init\0crosscall2\0", b"x_cgo_init"));
        assert!(name_is(b"x_cgo_init", b"x_cgo_init"));
        assert!(!name_is(b"x_cgo_init_extra\0", b"x_cgo_init"));
        assert!(!name_is(b"x_cgo\0_init\0", b"x_cgo_init"));
    }

    /// A hostile string table: one huge string full of matches, then
    /// matching strings past [`MAX_MATCHING_STRINGS`].
    #[test]
    fn names_containing_is_bounded() {
        let mut strtab = b"\0".to_vec();
        strtab.extend(b"._C".repeat(1 << 20)); // one 3 MiB string
        strtab.push(0);
        let many = strtab.len();
        strtab.extend(b"a._C\0".repeat(MAX_MATCHING_STRINGS + 10));
        // Symbols: the huge string, the first and the last short strings.
        let last = many + 5 * (MAX_MATCHING_STRINGS + 9);
        let mut entries = Vec::new();
        for off in [1, many, many + 5, last] {
            let mut rec = [0u8; 24];
            rec[..4].copy_from_slice(&(off as u32).to_le_bytes());
            entries.extend_from_slice(&rec);
        }
        let table = SymbolTable {
            entries: &entries,
            strtab: &strtab,
            entsize: 24,
            order: ByteOrder::Little,
        };
        // The huge string is longer than MAX_NAME; the last short string is
        // past the cap. The two first short ones are found.
        assert_eq!(table.names_containing(b"._C"), [&b"a._C"[..], b"a._C"]);
        // No NUL after the matches: nothing, and no name runs off the end.
        let open = b"\0a._C._C._C".to_vec();
        let table = SymbolTable { strtab: &open, ..table };
        assert_eq!(table.names_containing(b"._C"), Vec::<&[u8]>::new());
    }

    /// The in-place symbol table reads the same names as goblin's full
    /// parser, on real programs: Go linked by its own linker and by GNU ld
    /// (cgo), and C and C++, whose `.strtab` GNU ld shares suffixes in
    /// (`_start` and `data_start` are stored as the tail of `__data_start`).
    #[test]
    fn symbol_table_matches_goblin() {
        for name in [
            "go123-cgo-user",
            "go123-static",
            "c-dynamic",
            "cxx-dynamic",
            "go115-cgo-net",
        ] {
            let path = format!("{}/testdata/bin/{name}", env!("CARGO_MANIFEST_DIR"));
            let bytes = std::fs::read(&path).unwrap();
            let oracle = goblin::elf::Elf::parse(&bytes).unwrap();
            let file = ElfFile::parse(&bytes).unwrap();
            let cut = |v: &[u8]| v[..memchr::memchr(0, v).unwrap_or(v.len())].to_vec();
            for (sh_type, syms, strtab) in [
                (section_header::SHT_SYMTAB, &oracle.syms, &oracle.strtab),
                (section_header::SHT_DYNSYM, &oracle.dynsyms, &oracle.dynstrtab),
            ] {
                let want: Vec<Vec<u8>> = syms
                    .iter()
                    .map(|s| strtab.get_at(s.st_name).unwrap_or("").as_bytes().to_vec())
                    .collect();
                let table = file.symbol_table(sh_type);
                let got: Vec<Vec<u8>> = table.name_views().map(cut).collect();
                assert_eq!(got, want, "{name} {sh_type}");
                // names_containing finds every name that holds the needle,
                // tails of longer strings included.
                for needle in [&b"._C"[..], b"cgo", b"GLIBC", b"start", b"tm_clones"] {
                    let found: Vec<&[u8]> = table.names_containing(needle);
                    let names: Vec<&[u8]> = want
                        .iter()
                        .filter(|n| memchr::memmem::find(n, needle).is_some())
                        .map(|n| n.as_slice())
                        .collect();
                    assert_eq!(found, names, "{name} {sh_type} {needle:?}");
                }
            }
        }
    }

    #[test]
    fn demangles_cpp_and_rust() {
        assert_eq!(
            demangle("_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE9_M_createERmm"),
            "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::_M_create(unsigned long&, unsigned long)"
        );
        assert_eq!(
            demangle("_ZN3std2io5stdio6_print17h0123456789abcdefE"),
            "std::io::stdio::_print"
        );
        assert_eq!(demangle("pthread_create"), "pthread_create");
    }
}
