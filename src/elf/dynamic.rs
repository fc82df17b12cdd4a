//! The dynamic section (PT_DYNAMIC) and PT_INTERP: DT_NEEDED, DT_SONAME,
//! DT_RPATH, DT_RUNPATH, read through DT_STRTAB/DT_STRSZ as glibc's loader
//! reads them (gABI chapter 5, "Dynamic Section"; glibc `elf/dl-load.c`).

use goblin::elf::dynamic::{self, Dyn};
use goblin::elf::program_header;

use super::{ElfFile, MAX_NAME, MAX_NEEDED};

/// The longest DT_RPATH or DT_RUNPATH accepted (bytes): real ones are a
/// few hundred; glibc's loader sets no bound, but a string of millions of
/// elements is an attack on whoever searches it.
pub const MAX_SEARCH_PATH: usize = 64 << 10;
use crate::endian::{cstr_at, cstr_within};
use crate::error::{Error, malformed};
use crate::text;

impl<'a> ElfFile<'a> {
    /// The value of the first dynamic entry tagged `tag`.
    pub(crate) fn dyn_val(&self, tag: u64) -> Option<u64> {
        self.dyns.iter().find(|d| d.d_tag == tag).map(|d| d.d_val)
    }

    /// The dynamic string table (DT_STRTAB, DT_STRSZ), clamped to the file.
    pub(crate) fn dynstr(&self) -> Result<&'a [u8], Error> {
        let Some(addr) = self.dyn_val(dynamic::DT_STRTAB) else {
            return Err(malformed("the dynamic section has no DT_STRTAB"));
        };
        let size = self.dyn_val(dynamic::DT_STRSZ).unwrap_or(0);
        let off = self.vaddr_to_offset(addr, 0).ok_or_else(|| {
            malformed(format!(
                "DT_STRTAB {addr:#x} is not inside any PT_LOAD segment of the file"
            ))
        })?;
        let end = usize::try_from(size)
            .ok()
            .and_then(|s| off.checked_add(s))
            .map_or(self.bytes.len(), |e| e.min(self.bytes.len()));
        Ok(&self.bytes[off..end])
    }

    fn dyn_string(&self, strtab: &[u8], d: &Dyn, what: &str) -> Result<String, Error> {
        cstr_at(strtab, d.d_val as usize)
            .map(text::from_bytes)
            .ok_or_else(|| malformed(format!("{what} string at {:#x} lies outside DT_STRTAB", d.d_val)))
    }

    /// A DT_RPATH or DT_RUNPATH string, at most [`MAX_SEARCH_PATH`] bytes:
    /// a longer one is hostile (millions of elements) and malformed.
    fn search_path(&self, strtab: &[u8], d: &Dyn, what: &str) -> Result<String, Error> {
        cstr_within(strtab, d.d_val as usize, MAX_SEARCH_PATH)
            .map(text::from_bytes)
            .ok_or_else(|| {
                malformed(format!(
                    "{what} string at {:#x} lies outside DT_STRTAB or is longer than {MAX_SEARCH_PATH} bytes",
                    d.d_val
                ))
            })
    }

    /// PT_INTERP, read from the program header itself. A PT_INTERP that lies
    /// outside the file, is empty, or has no terminating NUL is malformed.
    pub fn interpreter(&self) -> Result<Option<String>, Error> {
        let Some(ph) = self.phdrs.iter().find(|p| p.p_type == program_header::PT_INTERP) else {
            return Ok(None);
        };
        let range = usize::try_from(ph.p_offset)
            .ok()
            .zip(usize::try_from(ph.p_filesz).ok())
            .and_then(|(o, n)| Some(o..o.checked_add(n)?));
        let raw = range.and_then(|r| self.bytes.get(r)).ok_or_else(|| {
            malformed(format!(
                "PT_INTERP ({} bytes at offset {:#x}) runs past the end of the file ({} bytes)",
                ph.p_filesz,
                ph.p_offset,
                self.bytes.len()
            ))
        })?;
        let nul = memchr::memchr(0, raw).ok_or_else(|| malformed("PT_INTERP has no terminating NUL byte"))?;
        if nul == 0 {
            return Err(malformed("PT_INTERP is an empty path"));
        }
        Ok(Some(text::from_bytes(&raw[..nul])))
    }

    /// Every DT_NEEDED entry, DT_SONAME, DT_RPATH and DT_RUNPATH. Each
    /// DT_NEEDED is counted in the dynamic section itself; one whose name
    /// cannot be read is an error, not a silent omission.
    pub fn dynamic_strings(&self) -> Result<DynStrings, Error> {
        let mut out = DynStrings::default();
        if self.dyns.is_empty() {
            return Ok(out);
        }
        let interesting = [
            dynamic::DT_NEEDED,
            dynamic::DT_SONAME,
            dynamic::DT_RPATH,
            dynamic::DT_RUNPATH,
        ];
        if !self.dyns.iter().any(|d| interesting.contains(&d.d_tag)) {
            return Ok(out);
        }
        let count = self.dyns.iter().filter(|d| d.d_tag == dynamic::DT_NEEDED).count();
        if count > MAX_NEEDED {
            return Err(malformed(format!(
                "{count} DT_NEEDED entries; real programs have at most a few hundred"
            )));
        }
        let strtab = self.dynstr()?;
        for d in &self.dyns {
            match d.d_tag {
                dynamic::DT_NEEDED => {
                    let name = self.dyn_string(strtab, d, "DT_NEEDED")?;
                    if name.is_empty() {
                        return Err(malformed("a DT_NEEDED entry names an empty string"));
                    }
                    if name.len() > MAX_NAME {
                        return Err(malformed(format!("a DT_NEEDED name is {} bytes long", name.len())));
                    }
                    out.needed.push(name);
                }
                dynamic::DT_SONAME => out.soname = Some(self.dyn_string(strtab, d, "DT_SONAME")?),
                dynamic::DT_RPATH => out.rpath = Some(self.search_path(strtab, d, "DT_RPATH")?),
                dynamic::DT_RUNPATH => out.runpath = Some(self.search_path(strtab, d, "DT_RUNPATH")?),
                _ => {}
            }
        }
        Ok(out)
    }
}

/// The string-valued entries of the dynamic section.
#[derive(Debug, Clone, Default)]
pub struct DynStrings {
    /// DT_NEEDED, in order.
    pub needed: Vec<String>,
    /// DT_SONAME.
    pub soname: Option<String>,
    /// DT_RPATH.
    pub rpath: Option<String>,
    /// DT_RUNPATH.
    pub runpath: Option<String>,
}
