//! Facts about an ELF file, named in the ELF gABI's own terms.
//!
//! Everything here is read from the bytes, bounded by the file's length:
//! the ELF header, the program headers (PT_INTERP, PT_DYNAMIC, PT_LOAD,
//! PT_NOTE), the dynamic section (DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH,
//! DT_STRTAB, DT_VERNEED/DT_VERNEEDNUM, DT_FLAGS_1) and, only when asked, the
//! symbol tables (`.symtab`, `.dynsym`).
//!
//! Sources: the System V ABI (gABI) chapters 4 and 5; the LSB Core
//! specification, "Symbol Versioning" (Elf_Verneed / Elf_Vernaux layout);
//! glibc's `elf/dl-load.c` for how PT_INTERP and DT_NEEDED are used.
//!
//! goblin parses the fixed-layout headers. What goblin does silently
//! (dropping an unreadable DT_NEEDED, turning a bad PT_INTERP into `None`,
//! mapping addresses through `p_memsz` instead of `p_filesz`) is done here
//! explicitly, so a damaged file is reported as malformed, never as a
//! different kind of binary.

use std::collections::BTreeMap;

use goblin::container::{Container, Ctx};
use goblin::elf::dynamic::{self, Dyn};
use goblin::elf::header::{self, Header};
use goblin::elf::program_header::{self, ProgramHeader};
use goblin::elf::section_header::{self, SectionHeader};
use goblin::elf::sym::Symtab;
use serde::Serialize;

use crate::error::{Error, malformed};

/// ELF file class (`EI_CLASS`): the width of addresses and offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Class {
    /// `ELFCLASS32`
    #[serde(rename = "ELF32")]
    Elf32,
    /// `ELFCLASS64`
    #[serde(rename = "ELF64")]
    Elf64,
}

/// Byte order (`EI_DATA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Endianness {
    /// `ELFDATA2LSB`
    Little,
    /// `ELFDATA2MSB`
    Big,
}

/// How the program gets its code at start, from PT_INTERP, PT_DYNAMIC,
/// DT_NEEDED and `e_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Linkage {
    /// No PT_INTERP and no dynamic section: the kernel jumps straight in.
    Static,
    /// `ET_DYN` with no PT_INTERP: relocates itself (`gcc -static-pie`,
    /// Rust `crt-static` on PIE targets).
    StaticPie,
    /// PT_INTERP and at least one DT_NEEDED library (or a shared library
    /// with DT_NEEDED entries).
    Dynamic,
    /// PT_INTERP but no DT_NEEDED: needs the loader file and nothing else
    /// (Go `-buildmode=pie` with `CGO_ENABLED=0`).
    LoaderOnly,
}

/// What the file is for, from `e_type` and PT_INTERP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A program the kernel can `execve`.
    Executable,
    /// An `ET_DYN` object without PT_INTERP that is not static-pie: loaded
    /// by other programs, not run itself.
    SharedLibrary,
}

/// Which C library the binary is built against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Libc {
    /// GNU C library: DT_NEEDED `libc.so.6`, or a static binary carrying the
    /// `NT_GNU_ABI_TAG` note that glibc's crt1.o adds.
    Glibc,
    /// musl: PT_INTERP `/lib/ld-musl-*`, DT_NEEDED `libc.so` or
    /// `libc.musl-*`, or musl's `__init_libc` in a static binary's symbols.
    Musl,
    /// No C library (Go without cgo; a loader-only PIE).
    None,
    /// Static, stripped and not recognisably either.
    Unknown,
}

/// The facts dlcheck reports about an ELF file (the JSON `elf` object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ElfFacts {
    /// `EI_CLASS`.
    pub class: Class,
    /// `EI_DATA`.
    pub endianness: Endianness,
    /// `e_machine` as a short name (`x86_64`, `aarch64`, `i386`, `arm`,
    /// `riscv64`, `ppc64le`, `s390x`, ...), or `EM_<number>`.
    pub machine: String,
    /// Target operating system: `linux`, or what `EI_OSABI`, PT_INTERP or an
    /// OS note says instead (`freebsd`, `netbsd`, `openbsd`, `android`, ...).
    pub os: String,
    /// `e_type`: `EXEC` or `DYN` (others are rejected before this point).
    #[serde(rename = "type")]
    pub e_type: &'static str,
    /// Executable or shared library.
    pub kind: Kind,
    /// See [`Linkage`].
    pub linkage: Linkage,
    /// The PT_INTERP path, without its terminating NUL.
    pub interpreter: Option<String>,
    /// Every DT_NEEDED entry, in dynamic-section order.
    pub needed: Vec<String>,
    /// DT_SONAME.
    pub soname: Option<String>,
    /// DT_RPATH (colon-separated, as stored).
    pub rpath: Option<String>,
    /// DT_RUNPATH (colon-separated, as stored).
    pub runpath: Option<String>,
    /// Symbol-version needs from DT_VERNEED: library file name to the version
    /// names required from it, oldest first (`libc.so.6` → `GLIBC_2.2.5`,
    /// `GLIBC_2.34`), as [`version_cmp`] orders them.
    pub version_needs: BTreeMap<String, Vec<String>>,
    /// See [`Libc`].
    pub libc: Libc,
    /// Libraries loaded at run time without a DT_NEEDED entry, that the
    /// image must also have.
    pub runtime_loads: Vec<RuntimeLoad>,
    /// Whether the binary imports `dlopen` (so it may load libraries that
    /// no DT_NEEDED names).
    pub imports_dlopen: bool,
    /// Sonames listed in a `.note.dlopen` note (owner `FDO`, type
    /// 0x407c0c0a, the ELF dlopen metadata format systemd introduced).
    pub dlopen_note: Vec<String>,
    /// The strings of the `.comment` section: the compilers that built it
    /// (`GCC: (Debian 12.2.0-14) 12.2.0`, `rustc version 1.95.0 ...`).
    pub comment: Vec<String>,
    /// Imported symbols by the version they are bound to, through
    /// `.gnu.version` and `.dynsym`: `(library, version)` → demangled
    /// names. Not in the JSON `elf` object; problems quote the culprits.
    #[serde(skip)]
    pub version_symbols: BTreeMap<(String, String), Vec<String>>,
    /// `(library, version)` in DT_VERNEED order, the order the loader
    /// checks and reports them in.
    #[serde(skip)]
    pub verneed_order: Vec<(String, String)>,
}

/// A library loaded at run time by `dlopen`, invisible to DT_NEEDED.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuntimeLoad {
    /// The soname loaded, `libgcc_s.so.1`.
    pub library: String,
    /// Why, in one line.
    pub reason: String,
}

impl ElfFacts {
    /// The OCI platform string, `linux/amd64`, `linux/arm64`, ... (the
    /// architecture named as Go and OCI name it).
    pub fn platform(&self) -> String {
        format!("{}/{}", self.os, oci_arch(&self.machine))
    }
}

/// Map dlcheck's machine names to OCI/Go architecture names.
pub fn oci_arch(machine: &str) -> &str {
    match machine {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "i386" => "386",
        "mipsel" => "mipsle",
        "loongarch64" => "loong64",
        other => other,
    }
}

/// A parsed ELF file: the headers, bounded views into the bytes, and the
/// tables needed to answer questions lazily.
pub struct ElfFile<'a> {
    bytes: &'a [u8],
    ctx: Ctx,
    header: Header,
    phdrs: Vec<ProgramHeader>,
    shdrs: Vec<SectionHeader>,
    dyns: Vec<Dyn>,
}

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
    le: scroll::Endian,
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
        let (strtab, le) = (self.strtab, self.le);
        let entsize = self.entsize.max(4);
        self.entries
            .chunks_exact(entsize)
            .filter_map(move |rec| strtab.get(u32_at(rec, 0, le) as usize..))
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
        let le = self.le;
        self.entries
            .chunks_exact(self.entsize.max(4))
            .filter_map(|rec| {
                let s = u32_at(rec, 0, le) as usize;
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

const NT_GNU_ABI_TAG: u32 = 1;

/// The longest name accepted for a DT_NEEDED entry or a version (bytes):
/// Linux's PATH_MAX. Longer ones are hostile and would cost memory.
pub const MAX_NAME: usize = 4096;

/// The most version needs accepted: `vna_other` indexes are 15 bits.
pub const MAX_VERSION_NEEDS: usize = 0x7fff;

/// The most DT_NEEDED entries accepted. glibc sets no limit, but real
/// programs list a few hundred at most; a larger count is a hostile file
/// and would cost memory for nothing.
pub const MAX_NEEDED: usize = 4096;

impl<'a> ElfFile<'a> {
    /// Parse the ELF header, program headers, section headers and dynamic
    /// section of `bytes` (which must start with `\x7fELF`).
    ///
    /// Errors: [`Error::Malformed`] when a header or table lies outside the
    /// file; [`Error::NotExecutable`] for `ET_REL` and `ET_CORE`.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        let class = *bytes
            .get(header::EI_CLASS)
            .ok_or_else(|| malformed("ELF identification is cut short"))?;
        let container = match class {
            header::ELFCLASS32 => Container::Little,
            header::ELFCLASS64 => Container::Big,
            c => return Err(malformed(format!("unknown ELF class {c} (EI_CLASS)"))),
        };
        let data = *bytes
            .get(header::EI_DATA)
            .ok_or_else(|| malformed("ELF identification is cut short"))?;
        let le = match data {
            header::ELFDATA2LSB => scroll::Endian::Little,
            header::ELFDATA2MSB => scroll::Endian::Big,
            d => return Err(malformed(format!("unknown ELF byte order {d} (EI_DATA)"))),
        };
        let ctx = Ctx::new(container, le);
        let header_size = if container == Container::Big { 64 } else { 52 };
        if bytes.len() < header_size {
            return Err(malformed(format!(
                "the ELF header needs {header_size} bytes, the file has {}",
                bytes.len()
            )));
        }
        let header = goblin::elf::Elf::parse_header(bytes).map_err(|e| malformed(format!("ELF header: {e}")))?;
        match header.e_type {
            header::ET_EXEC | header::ET_DYN => {}
            header::ET_REL => {
                return Err(Error::NotExecutable(
                    "relocatable object (ET_REL), not an executable: link it into a program first",
                ));
            }
            header::ET_CORE => {
                return Err(Error::NotExecutable(
                    "core dump (ET_CORE), not an executable: point dlcheck at the program that dumped it",
                ));
            }
            t => return Err(malformed(format!("unknown e_type {t:#x}"))),
        }
        let phentsize = ProgramHeader::size(ctx);
        if header.e_phnum > 0 && usize::from(header.e_phentsize) != phentsize {
            return Err(malformed(format!(
                "e_phentsize is {}, expected {phentsize}",
                header.e_phentsize
            )));
        }
        let phoff = usize::try_from(header.e_phoff).map_err(|_| malformed("e_phoff is beyond the address space"))?;
        let ph_end = usize::from(header.e_phnum)
            .checked_mul(phentsize)
            .and_then(|n| n.checked_add(phoff));
        if ph_end.is_none_or(|end| end > bytes.len()) {
            return Err(malformed(format!(
                "the {} program headers at offset {:#x} (e_phoff) run past the end of the file ({} bytes)",
                header.e_phnum,
                header.e_phoff,
                bytes.len()
            )));
        }
        let phdrs = ProgramHeader::parse(bytes, phoff, usize::from(header.e_phnum), ctx)
            .map_err(|e| malformed(format!("program headers: {e}")))?;
        // Every segment's file-backed bytes must be in the file: a cut-off
        // PT_LOAD would be mapped short and the program would crash.
        for (i, p) in phdrs.iter().enumerate() {
            let end = p.p_offset.checked_add(p.p_filesz);
            if p.p_filesz > 0 && end.is_none_or(|e| e > bytes.len() as u64) {
                return Err(malformed(format!(
                    "program header {i} ({}, {} bytes at offset {:#x}) runs past the end of the file ({} bytes)",
                    program_header::pt_to_str(p.p_type),
                    p.p_filesz,
                    p.p_offset,
                    bytes.len()
                )));
            }
        }
        // A section header table that starts past the end of the file is
        // the mark of a truncated file (strip tools set e_shoff to 0).
        if header.e_shoff != 0 && header.e_shoff >= bytes.len() as u64 {
            return Err(malformed(format!(
                "the section header table (e_shoff {:#x}) lies past the end of the file ({} bytes)",
                header.e_shoff,
                bytes.len()
            )));
        }

        // Section headers matter to readelf, not to the kernel or the loader:
        // an unreadable table is treated as absent (as `strip` leaves it).
        let shdrs = Self::parse_sections(bytes, &header, ctx);

        let dyns = match goblin::elf::dynamic::Dynamic::parse(bytes, &phdrs, ctx) {
            Ok(Some(d)) => d.dyns,
            Ok(None) => Vec::new(),
            Err(_) => {
                let ph = phdrs.iter().find(|p| p.p_type == program_header::PT_DYNAMIC);
                let (off, size) = ph.map(|p| (p.p_offset, p.p_filesz)).unwrap_or_default();
                return Err(malformed(format!(
                    "PT_DYNAMIC ({size} bytes at offset {off:#x}) runs past the end of the file ({} bytes)",
                    bytes.len()
                )));
            }
        };
        Ok(ElfFile {
            bytes,
            ctx,
            header,
            phdrs,
            shdrs,
            dyns,
        })
    }

    fn parse_sections(bytes: &[u8], header: &Header, ctx: Ctx) -> Vec<SectionHeader> {
        let size = SectionHeader::size(ctx);
        if header.e_shoff == 0 || usize::from(header.e_shentsize) != size {
            return Vec::new();
        }
        let Ok(off) = usize::try_from(header.e_shoff) else {
            return Vec::new();
        };
        let n = usize::from(header.e_shnum);
        let fits = n
            .checked_mul(size)
            .and_then(|len| len.checked_add(off))
            .is_some_and(|end| end <= bytes.len());
        if n == 0 || !fits {
            return Vec::new();
        }
        SectionHeader::parse(bytes, off, n, ctx).unwrap_or_default()
    }

    /// The raw bytes of the whole file.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The parsed ELF header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Program headers, in file order.
    pub fn program_headers(&self) -> &[ProgramHeader] {
        &self.phdrs
    }

    /// Translate a virtual address to a file offset through the PT_LOAD
    /// segment that holds it in its file-backed part (`p_filesz`), checking
    /// that `len` bytes from there are inside the file.
    pub fn vaddr_to_offset(&self, vaddr: u64, len: u64) -> Option<usize> {
        self.phdrs.iter().find_map(|p| {
            if p.p_type != program_header::PT_LOAD || vaddr < p.p_vaddr {
                return None;
            }
            let delta = vaddr - p.p_vaddr;
            if delta.checked_add(len)? > p.p_filesz {
                return None;
            }
            let off = p.p_offset.checked_add(delta)?;
            let end = off.checked_add(len)?;
            (end <= self.bytes.len() as u64).then_some(off as usize)
        })
    }

    /// The bytes of the section named `name`, if section headers exist and
    /// the section lies inside the file (`SHT_NOBITS` sections have none).
    pub fn section(&self, name: &str) -> Option<&'a [u8]> {
        let sh = self.section_header(name)?;
        self.section_bytes(sh)
    }

    fn section_header(&self, name: &str) -> Option<&SectionHeader> {
        let strtab = self.shdrs.get(usize::from(self.header.e_shstrndx))?;
        let names = self.section_bytes(strtab)?;
        self.shdrs
            .iter()
            .find(|sh| cstr_at(names, sh.sh_name).is_some_and(|n| n == name.as_bytes()))
    }

    fn section_bytes(&self, sh: &SectionHeader) -> Option<&'a [u8]> {
        if sh.sh_type == section_header::SHT_NOBITS {
            return None;
        }
        let start = usize::try_from(sh.sh_offset).ok()?;
        let len = usize::try_from(sh.sh_size).ok()?;
        self.bytes.get(start..start.checked_add(len)?)
    }

    /// Whether the file still has section headers.
    pub fn has_sections(&self) -> bool {
        !self.shdrs.is_empty()
    }

    /// Whether the section names can be read: the section header string
    /// table (`e_shstrndx`) exists and lies inside the file. A file cut
    /// short can keep its section headers (Go's linker writes them first)
    /// and lose the names.
    pub fn section_names_readable(&self) -> bool {
        self.shdrs
            .get(usize::from(self.header.e_shstrndx))
            .and_then(|sh| self.section_bytes(sh))
            .is_some()
    }

    /// Whether a section header is named `name`, even if its contents lie
    /// past the end of the file.
    pub fn has_section(&self, name: &str) -> bool {
        self.section_header(name).is_some()
    }

    fn dyn_val(&self, tag: u64) -> Option<u64> {
        self.dyns.iter().find(|d| d.d_tag == tag).map(|d| d.d_val)
    }

    /// The dynamic string table (DT_STRTAB, DT_STRSZ), clamped to the file.
    fn dynstr(&self) -> Result<&'a [u8], Error> {
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
            .map(lossy)
            .ok_or_else(|| malformed(format!("{what} string at {:#x} lies outside DT_STRTAB", d.d_val)))
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
        Ok(Some(lossy(&raw[..nul])))
    }

    /// Every DT_NEEDED entry, DT_SONAME, DT_RPATH and DT_RUNPATH. Each
    /// DT_NEEDED is counted in the dynamic section itself; one whose name
    /// cannot be read is an error, not a silent omission.
    fn dynamic_strings(&self) -> Result<DynStrings, Error> {
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
                dynamic::DT_RPATH => out.rpath = Some(self.dyn_string(strtab, d, "DT_RPATH")?),
                dynamic::DT_RUNPATH => out.runpath = Some(self.dyn_string(strtab, d, "DT_RUNPATH")?),
                _ => {}
            }
        }
        Ok(out)
    }

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
        let le = self.ctx.le;
        for _ in 0..count {
            let rec = self
                .bytes
                .get(off..off + 16)
                .ok_or_else(|| malformed("an Elf_Verneed entry runs past the end of the file"))?;
            let vn_cnt = u16_at(rec, 2, le);
            let vn_file = u32_at(rec, 4, le);
            let vn_aux = u32_at(rec, 8, le);
            let vn_next = u32_at(rec, 12, le);
            let file = cstr_at(strtab, vn_file as usize)
                .filter(|n| n.len() <= MAX_NAME)
                .map(lossy)
                .ok_or_else(|| malformed("an Elf_Verneed vn_file name lies outside DT_STRTAB or is too long"))?;
            let mut aux = off
                .checked_add(vn_aux as usize)
                .ok_or_else(|| malformed("Elf_Verneed vn_aux overflows"))?;
            for _ in 0..vn_cnt {
                budget = budget
                    .checked_sub(1)
                    .ok_or_else(|| malformed("the version-need chain loops (vna_next)"))?;
                let a = self
                    .bytes
                    .get(aux..aux.saturating_add(16))
                    .ok_or_else(|| malformed("an Elf_Vernaux entry runs past the end of the file"))?;
                let name = cstr_at(strtab, u32_at(a, 8, le) as usize)
                    .filter(|n| n.len() <= MAX_NAME)
                    .map(lossy)
                    .ok_or_else(|| malformed("an Elf_Vernaux vna_name lies outside DT_STRTAB or is too long"))?;
                if out.len() >= MAX_VERSION_NEEDS {
                    return Err(malformed(format!("more than {MAX_VERSION_NEEDS} version needs")));
                }
                out.push(VersionNeed {
                    file: file.clone(),
                    name,
                    index: u16_at(a, 6, le) & 0x7fff,
                    weak: u16_at(a, 4, le) & 0x2 != 0,
                });
                let next = u32_at(a, 12, le);
                if next == 0 {
                    break;
                }
                aux = aux
                    .checked_add(next as usize)
                    .ok_or_else(|| malformed("Elf_Vernaux vna_next overflows"))?;
            }
            if vn_next == 0 {
                break;
            }
            budget = budget
                .checked_sub(1)
                .ok_or_else(|| malformed("the version-need chain loops (vn_next)"))?;
            off = off
                .checked_add(vn_next as usize)
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
        let le = self.ctx.le;
        let mut off = self
            .vaddr_to_offset(addr, 20)
            .ok_or_else(|| malformed(format!("DT_VERDEF {addr:#x} is not inside the file")))?;
        let mut out = Vec::new();
        for _ in 0..count.min(self.bytes.len() as u64 / 20) {
            let rec = self
                .bytes
                .get(off..off.saturating_add(20))
                .ok_or_else(|| malformed("an Elf_Verdef entry runs past the end of the file"))?;
            let flags = u16_at(rec, 2, le);
            let aux = off
                .checked_add(u32_at(rec, 12, le) as usize)
                .and_then(|a| self.bytes.get(a..a.checked_add(8)?))
                .ok_or_else(|| malformed("an Elf_Verdaux entry runs past the end of the file"))?;
            if flags & 1 == 0 {
                let name = cstr_at(strtab, u32_at(aux, 0, le) as usize)
                    .ok_or_else(|| malformed("an Elf_Verdaux vda_name lies outside DT_STRTAB"))?;
                out.push(lossy(name));
            }
            let next = u32_at(rec, 16, le);
            if next == 0 {
                break;
            }
            off = off
                .checked_add(next as usize)
                .ok_or_else(|| malformed("Elf_Verdef vd_next overflows"))?;
        }
        Ok(out)
    }

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
                le: self.ctx.le,
            })
        });
        table.unwrap_or_default()
    }

    /// The file bytes of the first PT_LOAD segment that is writable and not
    /// executable: where Go's `debug/buildinfo` looks for the build
    /// information when no `.go.buildinfo` section is named.
    pub fn data_segment(&self) -> Option<&'a [u8]> {
        let p = self.phdrs.iter().find(|p| {
            p.p_type == program_header::PT_LOAD
                && p.p_flags & (program_header::PF_X | program_header::PF_W) == program_header::PF_W
        })?;
        let start = usize::try_from(p.p_offset).ok()?;
        let len = usize::try_from(p.p_filesz).ok()?;
        self.bytes.get(start..start.checked_add(len)?)
    }

    /// Whether `.symtab` or `.dynsym` names a symbol `name`.
    pub fn has_symbol(&self, name: &[u8]) -> bool {
        [section_header::SHT_SYMTAB, section_header::SHT_DYNSYM]
            .into_iter()
            .any(|t| self.symbol_table(t).name_views().any(|v| name_is(v, name)))
    }

    /// The symbols of the sections of type `sh_type` with their names,
    /// bounded by the section sizes; symbols whose name cannot be read are
    /// skipped.
    fn symbols(&self, sh_type: u32) -> impl Iterator<Item = (goblin::elf::Sym, &'a [u8])> + '_ {
        self.shdrs
            .iter()
            .filter(move |sh| sh.sh_type == sh_type)
            .filter_map(|sh| {
                let data = self.section_bytes(sh)?;
                let strtab = self.section_bytes(self.shdrs.get(sh.sh_link as usize)?)?;
                let count = data.len() / goblin::elf::sym::Sym::size(self.ctx.container);
                let syms = Symtab::parse(data, 0, count, self.ctx).ok()?;
                Some((0..count).filter_map(move |i| {
                    let sym = syms.get(i)?;
                    Some((sym, cstr_at(strtab, sym.st_name)?))
                }))
            })
            .flatten()
    }

    /// Imported symbols bound to each needed version: `.gnu.version`
    /// (SHT_GNU_versym) holds one 16-bit version index per `.dynsym` entry;
    /// index `vna_other` of a version need names its `(file, version)`.
    /// Names are demangled (C++ Itanium, Rust). Empty without sections.
    fn version_symbols(&self, needs: &[VersionNeed]) -> BTreeMap<(String, String), Vec<String>> {
        const SHT_GNU_VERSYM: u32 = 0x6fff_ffff;
        let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
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
        let by_index: std::collections::HashMap<u16, &VersionNeed> = needs.iter().map(|n| (n.index, n)).collect();
        for i in 0..count {
            let index = u16_at(versym, i * 2, self.ctx.le) & 0x7fff;
            let Some(need) = by_index.get(&index) else {
                continue;
            };
            let Some(sym) = syms.get(i).filter(|s| s.st_shndx == 0) else {
                continue;
            };
            if let Some(name) = cstr_at(strtab, sym.st_name).filter(|n| !n.is_empty()) {
                out.entry((need.file.clone(), need.name.clone()))
                    .or_default()
                    .push(demangle(&lossy(name)));
            }
        }
        out
    }

    /// The strings of `.comment`, deduplicated, in order.
    fn comment(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in self.section(".comment").unwrap_or_default().split(|b| *b == 0) {
            let s = lossy(s).trim().to_string();
            if !s.is_empty() && !out.contains(&s) && out.len() < 32 {
                out.push(s);
            }
        }
        out
    }

    /// Sonames in the `.note.dlopen` note: owner `FDO`, type 0x407c0c0a,
    /// a JSON array of objects whose `soname` lists alternatives.
    fn dlopen_note(&self) -> Vec<String> {
        const NT_FDO_DLOPEN_METADATA: u32 = 0x407c_0c0a;
        let Some(sec) = self.section(".note.dlopen") else {
            return Vec::new();
        };
        let le = self.ctx.le;
        let mut out = Vec::new();
        let mut pos = 0usize;
        while let Some(h) = sec.get(pos..pos + 12) {
            let namesz = u32_at(h, 0, le) as usize;
            let descsz = u32_at(h, 4, le) as usize;
            let ty = u32_at(h, 8, le);
            let name_start = pos + 12;
            let Some(desc_start) = namesz
                .checked_next_multiple_of(4)
                .and_then(|n| name_start.checked_add(n))
            else {
                break;
            };
            let Some(desc) = desc_start.checked_add(descsz).and_then(|end| sec.get(desc_start..end)) else {
                break;
            };
            let owner = sec.get(name_start..name_start + namesz).unwrap_or_default();
            if owner.strip_suffix(b"\0").unwrap_or(owner) == b"FDO" && ty == NT_FDO_DLOPEN_METADATA {
                let desc = desc.split(|b| *b == 0).next().unwrap_or_default();
                if let Ok(serde_json::Value::Array(entries)) = serde_json::from_slice(desc) {
                    for e in entries {
                        for s in e["soname"].as_array().into_iter().flatten() {
                            if let Some(s) = s.as_str().filter(|s| !out.iter().any(|o| o == s)) {
                                out.push(s.to_string());
                            }
                        }
                    }
                }
            }
            let Some(next) = descsz
                .checked_next_multiple_of(4)
                .and_then(|d| desc_start.checked_add(d))
            else {
                break;
            };
            pos = next;
        }
        out
    }

    /// Names of the undefined (imported) symbols of `.dynsym`.
    pub fn imported_symbols(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.symbols(section_header::SHT_DYNSYM)
            .filter(|(sym, name)| sym.st_shndx == 0 && !name.is_empty())
            .map(|(_, name)| name)
    }

    /// File-backed PT_LOAD ranges as `(p_vaddr, p_offset, p_filesz)`.
    pub fn load_segments(&self) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        self.phdrs
            .iter()
            .filter(|p| p.p_type == program_header::PT_LOAD)
            .map(|p| (p.p_vaddr, p.p_offset, p.p_filesz))
    }

    /// Whether a PT_NOTE segment carries the GNU ABI tag (`NT_GNU_ABI_TAG`,
    /// owner `GNU`), which glibc's start files put in every program.
    fn has_gnu_abi_tag(&self) -> bool {
        self.notes().any(|(owner, ty)| owner == b"GNU" && ty == NT_GNU_ABI_TAG)
    }

    /// `(owner, type)` of each note in the PT_NOTE segments, bounded by the
    /// segment sizes.
    fn notes(&self) -> impl Iterator<Item = (&'a [u8], u32)> + '_ {
        let le = self.ctx.le;
        self.phdrs
            .iter()
            .filter(|p| p.p_type == program_header::PT_NOTE)
            .filter_map(|p| {
                let start = usize::try_from(p.p_offset).ok()?;
                let end = start.checked_add(usize::try_from(p.p_filesz).ok()?)?;
                let align = if p.p_align == 8 { 8 } else { 4 };
                Some((self.bytes.get(start..end)?, align))
            })
            .flat_map(move |(seg, align)| {
                let mut pos = 0usize;
                std::iter::from_fn(move || {
                    let h = seg.get(pos..pos.checked_add(12)?)?;
                    let namesz = u32_at(h, 0, le) as usize;
                    let descsz = u32_at(h, 4, le) as usize;
                    let ty = u32_at(h, 8, le);
                    let name_start = pos + 12;
                    let name = seg.get(name_start..name_start.checked_add(namesz)?)?;
                    let name = name.strip_suffix(b"\0").unwrap_or(name);
                    let desc_start = name_start.checked_add(namesz.checked_next_multiple_of(align)?)?;
                    pos = desc_start.checked_add(descsz.checked_next_multiple_of(align)?)?;
                    Some((name, ty))
                })
            })
    }

    /// Collect the reported facts.
    pub fn facts(&self) -> Result<ElfFacts, Error> {
        let interpreter = self.interpreter()?;
        let strings = self.dynamic_strings()?;
        let needs = self.version_needs()?;
        let mut version_needs: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for need in &needs {
            version_needs
                .entry(need.file.clone())
                .or_default()
                .push(need.name.clone());
        }
        for versions in version_needs.values_mut() {
            versions.sort_by(|a, b| version_cmp(a, b).then_with(|| a.cmp(b)));
            versions.dedup();
        }
        let is_dyn = self.header.e_type == header::ET_DYN;
        let flags_1 = self.dyn_val(dynamic::DT_FLAGS_1).unwrap_or(0);
        let (kind, linkage) = match (&interpreter, is_dyn) {
            (Some(_), _) if strings.needed.is_empty() => (Kind::Executable, Linkage::LoaderOnly),
            (Some(_), _) => (Kind::Executable, Linkage::Dynamic),
            (None, false) => (Kind::Executable, Linkage::Static),
            (None, true) => {
                let pie = flags_1 & dynamic::DF_1_PIE != 0;
                if pie || (strings.needed.is_empty() && strings.soname.is_none() && self.header.e_entry != 0) {
                    (Kind::Executable, Linkage::StaticPie)
                } else {
                    (Kind::SharedLibrary, Linkage::Dynamic)
                }
            }
        };
        let machine = machine_name(&self.header);
        let os = self.os(interpreter.as_deref());
        let libc = self.libc(&interpreter, &strings.needed, linkage);
        let mut runtime_loads = Vec::new();
        // glibc's pthread_exit and pthread_cancel unwind the thread's stack
        // with libgcc_s, which they dlopen on first use (nptl
        // unwind-resume / `__libc_unwind_link_get`): without it the program
        // aborts with "libgcc_s.so.1 must be installed for pthread_exit to work".
        if libc == Libc::Glibc && !strings.needed.iter().any(|n| n == "libgcc_s.so.1") {
            let imports: Vec<&str> = ["pthread_exit", "pthread_cancel"]
                .into_iter()
                .filter(|f| self.imported_symbols().any(|n| n == f.as_bytes()))
                .collect();
            if !imports.is_empty() {
                runtime_loads.push(RuntimeLoad {
                    library: "libgcc_s.so.1".to_string(),
                    reason: format!(
                        "imports {}: glibc loads libgcc_s.so.1 for it at run time, or aborts",
                        imports.join(" and ")
                    ),
                });
            }
        }
        Ok(ElfFacts {
            class: if self.ctx.container == Container::Big {
                Class::Elf64
            } else {
                Class::Elf32
            },
            endianness: if self.ctx.le == scroll::Endian::Little {
                Endianness::Little
            } else {
                Endianness::Big
            },
            machine,
            os,
            e_type: if is_dyn { "DYN" } else { "EXEC" },
            kind,
            linkage,
            interpreter,
            needed: strings.needed,
            soname: strings.soname,
            rpath: strings.rpath,
            runpath: strings.runpath,
            version_needs,
            libc,
            runtime_loads,
            imports_dlopen: self.imported_symbols().any(|n| n == b"dlopen"),
            dlopen_note: self.dlopen_note(),
            comment: self.comment(),
            version_symbols: self.version_symbols(&needs),
            verneed_order: needs.iter().map(|n| (n.file.clone(), n.name.clone())).collect(),
        })
    }

    fn os(&self, interpreter: Option<&str>) -> String {
        let by_abi = match self.header.e_ident[header::EI_OSABI] {
            2 => Some("netbsd"),
            6 => Some("solaris"),
            9 => Some("freebsd"),
            12 => Some("openbsd"),
            _ => None,
        };
        let by_interp = interpreter.and_then(|i| match i {
            "/libexec/ld-elf.so.1" => Some("freebsd"),
            "/usr/libexec/ld.so" => Some("openbsd"),
            "/usr/libexec/ld.elf_so" => Some("netbsd"),
            "/system/bin/linker" | "/system/bin/linker64" => Some("android"),
            _ => None,
        });
        let by_note = || {
            self.notes().find_map(|(owner, _)| match owner {
                b"OpenBSD" => Some("openbsd"),
                b"NetBSD" => Some("netbsd"),
                b"FreeBSD" => Some("freebsd"),
                b"Android" => Some("android"),
                _ => None,
            })
        };
        by_abi.or(by_interp).or_else(by_note).unwrap_or("linux").to_string()
    }

    fn libc(&self, interpreter: &Option<String>, needed: &[String], linkage: Linkage) -> Libc {
        let musl_name = |n: &str| n == "libc.so" || n.starts_with("libc.musl-");
        if needed.iter().any(|n| n == "libc.so.6") {
            return Libc::Glibc;
        }
        if needed.iter().any(|n| musl_name(n)) || interpreter.as_deref().is_some_and(|i| i.contains("ld-musl")) {
            return Libc::Musl;
        }
        match linkage {
            Linkage::LoaderOnly => Libc::None,
            Linkage::Dynamic => Libc::Unknown,
            Linkage::Static | Linkage::StaticPie => {
                if self.has_gnu_abi_tag() {
                    Libc::Glibc
                } else if self.has_section(".go.buildinfo") || self.has_section(".gopclntab") {
                    // Go without cgo; with cgo, the Go analysis looks for
                    // musl's start code (crate::analyze).
                    Libc::None
                } else if self.has_symbol(b"__init_libc") {
                    Libc::Musl
                } else {
                    Libc::Unknown
                }
            }
        }
    }
}

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

#[derive(Default)]
struct DynStrings {
    needed: Vec<String>,
    soname: Option<String>,
    rpath: Option<String>,
    runpath: Option<String>,
}

/// Order version names such as `GLIBC_2.9` < `GLIBC_2.34` < `GLIBC_PRIVATE`
/// by their numbers (names without numbers sort last).
pub fn version_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn parts(s: &str) -> Vec<u64> {
        s.split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.parse().ok())
            .collect()
    }
    let (pa, pb) = (parts(a), parts(b));
    match (pa.is_empty(), pb.is_empty()) {
        (true, false) => std::cmp::Ordering::Greater,
        (false, true) => std::cmp::Ordering::Less,
        _ => pa.cmp(&pb),
    }
}

/// `e_machine` as a short name, refined by class and byte order.
fn machine_name(h: &Header) -> String {
    let is64 = h.e_ident[header::EI_CLASS] == header::ELFCLASS64;
    let le = h.e_ident[header::EI_DATA] == header::ELFDATA2LSB;
    let name = match h.e_machine {
        header::EM_X86_64 => "x86_64",
        header::EM_AARCH64 => "aarch64",
        header::EM_386 => "i386",
        header::EM_ARM => "arm",
        header::EM_RISCV if is64 => "riscv64",
        header::EM_RISCV => "riscv32",
        header::EM_PPC64 if le => "ppc64le",
        header::EM_PPC64 => "ppc64",
        header::EM_PPC => "ppc",
        header::EM_S390 if is64 => "s390x",
        header::EM_S390 => "s390",
        header::EM_MIPS => match (is64, le) {
            (true, true) => "mips64le",
            (true, false) => "mips64",
            (false, true) => "mipsel",
            (false, false) => "mips",
        },
        258 => "loongarch64",
        header::EM_SPARCV9 => "sparc64",
        other => return format!("EM_{other}"),
    };
    name.to_string()
}

/// Debian's multiarch directory name for an OCI architecture: the
/// `<triplet>` of `/lib/<triplet>` and `/usr/lib/<triplet>`, where glibc's
/// loader looks by default (Debian's multiarch specification).
pub fn multiarch_triplet(arch: &str) -> &'static str {
    match arch {
        "arm64" => "aarch64-linux-gnu",
        "arm" => "arm-linux-gnueabihf",
        "s390x" => "s390x-linux-gnu",
        "ppc64le" => "powerpc64le-linux-gnu",
        "riscv64" => "riscv64-linux-gnu",
        "386" => "i386-linux-gnu",
        _ => "x86_64-linux-gnu",
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

/// The NUL-terminated string starting at `off` in `table`, without the NUL;
/// `None` if `off` is outside the table or no NUL follows inside it.
pub(crate) fn cstr_at(table: &[u8], off: usize) -> Option<&[u8]> {
    let rest = table.get(off..)?;
    let end = memchr::memchr(0, rest)?;
    Some(&rest[..end])
}

/// Bytes from the file as text, losslessly (see [`crate::text`]).
pub(crate) fn lossy(b: &[u8]) -> String {
    crate::text::from_bytes(b)
}

fn u16_at(b: &[u8], off: usize, le: scroll::Endian) -> u16 {
    let a = [b[off], b[off + 1]];
    if le == scroll::Endian::Little {
        u16::from_le_bytes(a)
    } else {
        u16::from_be_bytes(a)
    }
}

fn u32_at(b: &[u8], off: usize, le: scroll::Endian) -> u32 {
    let a = [b[off], b[off + 1], b[off + 2], b[off + 3]];
    if le == scroll::Endian::Little {
        u32::from_le_bytes(a)
    } else {
        u32::from_be_bytes(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            le: scroll::Endian::Little,
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

    #[test]
    fn version_order_is_numeric() {
        let mut v = vec!["GLIBC_2.34", "GLIBC_PRIVATE", "GLIBC_2.2.5", "GLIBC_2.9"];
        v.sort_by(|a, b| version_cmp(a, b));
        assert_eq!(v, ["GLIBC_2.2.5", "GLIBC_2.9", "GLIBC_2.34", "GLIBC_PRIVATE"]);
    }
}
