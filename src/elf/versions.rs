//! Symbol versioning: what a file needs (verneed: DT_VERNEED,
//! Elf_Verneed/Elf_Vernaux), what it defines (verdef: DT_VERDEF,
//! Elf_Verdef/Elf_Verdaux), and which imported symbols are bound to each
//! needed version (`.gnu.version`, SHT_GNU_versym).
//!
//! Source: the LSB Core specification, "Symbol Versioning"; glibc's
//! `elf/dl-version.c`, which checks every needed version against the
//! definitions of the library the loader found.

use std::collections::BTreeMap;

use goblin::elf::dynamic;
use goblin::elf::sym::Symtab;

use super::{ElfFile, MAX_NAME, MAX_VERSION_NEEDS};
use crate::endian::{cstr_at, cstr_within};
use crate::error::{Error, malformed};
use crate::text;

/// One version a binary requires (an Elf_Vernaux entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionNeed {
    /// The library file (`vn_file`), such as `libc.so.6`.
    pub file: String,
    /// The version name (`vna_name`), such as `GLIBC_2.34`.
    pub name: String,
    /// `vna_other`: the index `.gnu.version` uses to bind symbols to it.
    pub index: u16,
    /// `VER_FLG_WEAK`: a missing weak version is not fatal.
    pub weak: bool,
}

/// Imported symbols by the version they are bound to: `(library file,
/// version)` → demangled names, in `.dynsym` order.
pub type VersionSymbols = BTreeMap<(String, String), Vec<String>>;

/// A name from DT_STRTAB at `off`, at most [`MAX_NAME`] bytes.
fn dyn_name(strtab: &[u8], off: Option<u32>) -> Option<String> {
    cstr_within(strtab, off? as usize, MAX_NAME).map(text::from_bytes)
}

/// The next entry of a chain: `at` plus the `next` field (`what`); `None`
/// at the end of the chain (a zero or unreadable field).
fn step(at: usize, next: Option<u32>, what: &str) -> Result<Option<usize>, Error> {
    match next {
        Some(0) | None => Ok(None),
        Some(n) => at
            .checked_add(n as usize)
            .map(Some)
            .ok_or_else(|| malformed(format!("{what} overflows"))),
    }
}

impl ElfFile<'_> {
    /// The version needs (Elf_Verneed chain at DT_VERNEED, DT_VERNEEDNUM
    /// entries), as the dynamic loader reads them; this works on files whose
    /// section headers are stripped. Every step is bounded: at most
    /// DT_VERNEEDNUM files, at most `vn_cnt` entries each, and never more
    /// entries in total than 16-byte records fit in the file, so a `vn_next`
    /// or `vna_next` loop ends.
    pub fn version_needs(&self) -> Result<Vec<VersionNeed>, Error> {
        let Some(addr) = self.dyn_val(dynamic::DT_VERNEED) else {
            return Ok(Vec::new());
        };
        let count = self.dyn_val(dynamic::DT_VERNEEDNUM).unwrap_or(0);
        let strtab = self.dynstr()?;
        let mut off = self
            .vaddr_to_offset(addr, 16)
            .ok_or_else(|| malformed(format!("DT_VERNEED {addr:#x} is not inside the file")))?;
        let mut budget = self.bytes.len() / 16;
        let mut out = Vec::new();
        let o = self.order;
        for _ in 0..count {
            let rec = self
                .bytes
                .get(off..off.saturating_add(16))
                .ok_or_else(|| malformed("an Elf_Verneed entry runs past the end of the file"))?;
            let (vn_cnt, vn_aux, vn_next) = (o.u16(rec, 2), o.u32(rec, 8), o.u32(rec, 12));
            let file = dyn_name(strtab, o.u32(rec, 4))
                .ok_or_else(|| malformed("an Elf_Verneed vn_file name lies outside DT_STRTAB or is too long"))?;
            let mut aux = off
                .checked_add(vn_aux.unwrap_or(0) as usize)
                .ok_or_else(|| malformed("Elf_Verneed vn_aux overflows"))?;
            for _ in 0..vn_cnt.unwrap_or(0) {
                budget = budget
                    .checked_sub(1)
                    .ok_or_else(|| malformed("the version-need chain loops (vna_next)"))?;
                let a = self
                    .bytes
                    .get(aux..aux.saturating_add(16))
                    .ok_or_else(|| malformed("an Elf_Vernaux entry runs past the end of the file"))?;
                let name = dyn_name(strtab, o.u32(a, 8))
                    .ok_or_else(|| malformed("an Elf_Vernaux vna_name lies outside DT_STRTAB or is too long"))?;
                if out.len() >= MAX_VERSION_NEEDS {
                    return Err(malformed(format!("more than {MAX_VERSION_NEEDS} version needs")));
                }
                out.push(VersionNeed {
                    file: file.clone(),
                    name,
                    index: o.u16(a, 6).unwrap_or(0) & 0x7fff,
                    weak: o.u16(a, 4).unwrap_or(0) & 0x2 != 0,
                });
                match step(aux, o.u32(a, 12), "Elf_Vernaux vna_next")? {
                    Some(next) => aux = next,
                    None => break,
                }
            }
            let next = match vn_next {
                Some(0) | None => break,
                Some(next) => next,
            };
            budget = budget
                .checked_sub(1)
                .ok_or_else(|| malformed("the version-need chain loops (vn_next)"))?;
            off = off
                .checked_add(next as usize)
                .ok_or_else(|| malformed("Elf_Verneed vn_next overflows"))?;
        }
        Ok(out)
    }

    /// The versions this file defines (Elf_Verdef chain at DT_VERDEF,
    /// DT_VERDEFNUM entries; each entry's first Elf_Verdaux names it), without
    /// the base entry (VER_FLG_BASE). Bounded like [`Self::version_needs`].
    pub fn version_definitions(&self) -> Result<Vec<String>, Error> {
        let Some(addr) = self.dyn_val(dynamic::DT_VERDEF) else {
            return Ok(Vec::new());
        };
        let count = self.dyn_val(dynamic::DT_VERDEFNUM).unwrap_or(0);
        let strtab = self.dynstr()?;
        let o = self.order;
        let mut off = self
            .vaddr_to_offset(addr, 20)
            .ok_or_else(|| malformed(format!("DT_VERDEF {addr:#x} is not inside the file")))?;
        let mut out = Vec::new();
        for _ in 0..count.min(self.bytes.len() as u64 / 20) {
            let rec = self
                .bytes
                .get(off..off.saturating_add(20))
                .ok_or_else(|| malformed("an Elf_Verdef entry runs past the end of the file"))?;
            let aux = o
                .u32(rec, 12)
                .and_then(|a| off.checked_add(a as usize))
                .and_then(|a| self.bytes.get(a..a.checked_add(8)?))
                .ok_or_else(|| malformed("an Elf_Verdaux entry runs past the end of the file"))?;
            if o.u16(rec, 2).unwrap_or(0) & 1 == 0 {
                let name = o
                    .u32(aux, 0)
                    .ok_or_else(|| malformed("an Elf_Verdaux entry is cut short"))?;
                if strtab.len() <= name as usize {
                    return Err(malformed("an Elf_Verdaux vda_name lies outside DT_STRTAB"));
                }
                // A name longer than any version can be needed by (needs
                // are at most MAX_NAME bytes) is passed over, unread.
                out.extend(dyn_name(strtab, Some(name)));
            }
            match step(off, o.u32(rec, 16), "Elf_Verdef vd_next")? {
                Some(next) => off = next,
                None => break,
            }
        }
        Ok(out)
    }

    /// Imported symbols bound to each needed version: `.gnu.version`
    /// (SHT_GNU_versym) holds one 16-bit version index per `.dynsym` entry;
    /// index `vna_other` of a version need names its `(file, version)`.
    /// Names are as stored (mangled): demangle those shown
    /// ([`super::demangle`]). Empty without sections.
    pub fn version_symbols(&self, needs: &[VersionNeed]) -> VersionSymbols {
        const SHT_GNU_VERSYM: u32 = 0x6fff_ffff;
        let mut out = VersionSymbols::new();
        let Some(versym_sh) = self.shdrs.iter().find(|sh| sh.sh_type == SHT_GNU_VERSYM) else {
            return out;
        };
        let Some(dynsym_sh) = self.shdrs.get(versym_sh.sh_link as usize) else {
            return out;
        };
        let (Some(versym), Some(data)) = (self.section_bytes(versym_sh), self.section_bytes(dynsym_sh)) else {
            return out;
        };
        let Some(strtab) = self
            .shdrs
            .get(dynsym_sh.sh_link as usize)
            .and_then(|sh| self.section_bytes(sh))
        else {
            return out;
        };
        let count = (data.len() / goblin::elf::sym::Sym::size(self.ctx.container)).min(versym.len() / 2);
        let Ok(syms) = Symtab::parse(data, 0, count, self.ctx) else {
            return out;
        };
        // Each need's position by its index, sorted for a binary search;
        // of needs sharing an index, the last holds it. The names are
        // gathered per need, and keyed once each: not a key per symbol.
        let mut by_index: Vec<(u16, usize)> = needs.iter().enumerate().map(|(at, n)| (n.index, at)).collect();
        by_index.sort_by_key(|&(index, at)| (index, std::cmp::Reverse(at)));
        by_index.dedup_by_key(|&mut (index, _)| index);
        let mut names: Vec<Vec<String>> = vec![Vec::new(); needs.len()];
        for i in 0..count {
            let index = self.order.u16(versym, i * 2).unwrap_or(0) & 0x7fff;
            let Ok(at) = by_index.binary_search_by_key(&index, |&(index, _)| index) else {
                continue;
            };
            let Some(sym) = syms.get(i).filter(|s| s.st_shndx == 0) else {
                continue;
            };
            if let Some(name) = cstr_at(strtab, sym.st_name).filter(|n| !n.is_empty()) {
                names[by_index[at].1].push(text::from_bytes(name));
            }
        }
        for (need, names) in needs.iter().zip(names).filter(|(_, names)| !names.is_empty()) {
            out.entry((need.file.clone(), need.name.clone()))
                .or_default()
                .extend(names);
        }
        out
    }
}

/// Order version names such as `GLIBC_2.9` < `GLIBC_2.34` < `GLIBC_PRIVATE`
/// by their numbers (names without numbers sort last).
pub fn version_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut na, mut nb) = (Numbers(a.as_bytes()), Numbers(b.as_bytes()));
    match (na.clone().next().is_none(), nb.clone().next().is_none()) {
        (true, false) => std::cmp::Ordering::Greater,
        (false, true) => std::cmp::Ordering::Less,
        _ => na.by_ref().cmp(nb.by_ref()),
    }
}

/// The numbers of a version name (runs of ASCII digits; one too large for
/// a `u64` is skipped), read in place: [`version_cmp`] runs for every
/// version of every library a verdict explains.
#[derive(Clone)]
struct Numbers<'a>(&'a [u8]);

impl Iterator for Numbers<'_> {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        loop {
            let start = self.0.iter().position(u8::is_ascii_digit)?;
            let digits = &self.0[start..];
            let len = digits.iter().position(|b| !b.is_ascii_digit()).unwrap_or(digits.len());
            self.0 = &digits[len..];
            let n = digits[..len]
                .iter()
                .try_fold(0u64, |n, d| n.checked_mul(10)?.checked_add(u64::from(d - b'0')));
            if n.is_some() {
                return n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::version_cmp;

    #[test]
    fn version_order_is_numeric() {
        let mut v = vec!["GLIBC_2.34", "GLIBC_PRIVATE", "GLIBC_2.2.5", "GLIBC_2.9"];
        v.sort_by(|a, b| version_cmp(a, b));
        assert_eq!(v, ["GLIBC_2.2.5", "GLIBC_2.9", "GLIBC_2.34", "GLIBC_PRIVATE"]);
        let mut v = vec![
            "GLIBCXX_3.4.29",
            "CXXABI_1.3.13",
            "GLIBCXX_3.4",
            "GLIBCXX_3.4.9",
            "CXXABI_1.3",
        ];
        v.sort_by(|a, b| version_cmp(a, b));
        assert_eq!(
            v,
            [
                "CXXABI_1.3",
                "CXXABI_1.3.13",
                "GLIBCXX_3.4",
                "GLIBCXX_3.4.9",
                "GLIBCXX_3.4.29"
            ]
        );
        assert_eq!(version_cmp("GLIBC_2.34", "2.34"), std::cmp::Ordering::Equal);
        assert_eq!(version_cmp("GLIBC_PRIVATE", "GCC_PRIVATE"), std::cmp::Ordering::Equal);
        // A number too large for 64 bits is skipped, as before.
        assert_eq!(
            version_cmp("V_99999999999999999999.2", "V_2"),
            std::cmp::Ordering::Equal
        );
    }
}
