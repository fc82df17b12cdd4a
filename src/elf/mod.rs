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

mod arm;
mod dynamic;
mod facts;
mod notes;
mod properties;
mod symbols;
mod versions;

use std::collections::BTreeMap;

use goblin::container::{Container, Ctx};
use goblin::elf::dynamic::Dyn;
use goblin::elf::header::{self, Header};
use goblin::elf::program_header::{self, ProgramHeader};
use goblin::elf::section_header::{self, SectionHeader};
use serde::Serialize;

pub use arm::oci_variant;
pub use dynamic::DynStrings;
pub use notes::Note;
pub use symbols::{MAX_MATCHING_STRINGS, SymbolTable, demangle, name_is};
pub use versions::{VersionNeed, VersionSymbols, version_cmp};

use crate::endian::{ByteOrder, cstr_at};
use crate::error::{Error, malformed};

/// ELF file class (`EI_CLASS`): the width of addresses and offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub enum Class {
    /// `ELFCLASS32`
    #[serde(rename = "ELF32")]
    Elf32,
    /// `ELFCLASS64`
    #[serde(rename = "ELF64")]
    Elf64,
}

/// Byte order (`EI_DATA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Endianness {
    /// `ELFDATA2LSB`
    Little,
    /// `ELFDATA2MSB`
    Big,
}

/// How the program gets its code at start, from PT_INTERP, PT_DYNAMIC,
/// DT_NEEDED and `e_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A program the kernel can `execve`.
    Executable,
    /// An `ET_DYN` object without PT_INTERP that is not static-pie: loaded
    /// by other programs, not run itself.
    SharedLibrary,
}

/// Which C library the binary is built against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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

impl Libc {
    /// The JSON name: `glibc`, `musl`, `none`, `unknown`.
    pub fn name(self) -> &'static str {
        match self {
            Libc::Glibc => "glibc",
            Libc::Musl => "musl",
            Libc::None => "none",
            Libc::Unknown => "unknown",
        }
    }
}

/// The facts dlcheck reports about an ELF file (the JSON `elf` object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
    /// Library names among its constant strings (`.rodata`) when it imports
    /// `dlopen`, such as `libz.so.1`: the libraries it most likely loads at
    /// run time, checked against an image's files like DT_NEEDED.
    pub dlopen_names: Vec<String>,
    /// The strings of the `.comment` section: the compilers that built it
    /// (`GCC: (Debian 12.2.0-14) 12.2.0`, `rustc version 1.95.0 ...`).
    pub comment: Vec<String>,
    /// The x86-64 ISA level the GNU property note says it needs
    /// (`x86-64-v2`, `x86-64-v3`, `x86-64-v4`; GNU_PROPERTY_X86_ISA_1_NEEDED),
    /// or `null` for the baseline or no note. glibc 2.33 and later refuse to
    /// start it on an older CPU.
    pub isa_needed: Option<&'static str>,
    /// PT_GNU_STACK's permissions, `RW` or `RWX`; `null` without one.
    pub gnu_stack: Option<&'static str>,
    /// Whether it needs an executable stack: PT_GNU_STACK is `RWX`, or a
    /// dynamic object has none. glibc 2.41 (debian13) refuses to `dlopen`
    /// such a library.
    pub executable_stack: bool,
    /// The oldest Linux kernel its C library starts on (`3.2.0`), from the
    /// GNU ABI tag (NT_GNU_ABI_TAG); older kernels print
    /// `FATAL: kernel too old`.
    pub min_kernel: Option<String>,
    /// How it runs a shell (`/bin/sh`), which no distroless image has:
    /// `system`, `popen`, or an `exec*`/`posix_spawn*` function with a
    /// `/bin/sh` or `/bin/bash` string in the file (and for Go, `os/exec`
    /// with such a string). Such a call fails with status 127 at run time.
    pub shell_calls: Vec<String>,
    /// 32-bit ARM only: the architecture version the code was built for,
    /// Tag_CPU_arch of the `.ARM.attributes` build attributes as
    /// `readelf -A` names it (`v7`, `v6KZ` ...); absent elsewhere, or when
    /// the file does not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arm_cpu_arch: Option<&'static str>,
}

/// A library glibc loads at run time by `dlopen`, invisible to DT_NEEDED,
/// because the program imports a function that needs it. In JSON:
/// `{"library": "libgcc_s.so.1", "reason": "imports pthread_exit: ..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeLoad {
    /// The soname loaded, `libgcc_s.so.1`.
    pub library: String,
    /// The imported functions that load it (`pthread_exit`,
    /// `pthread_cancel`), in that order.
    pub functions: Vec<&'static str>,
}

impl RuntimeLoad {
    /// Why, in one line.
    pub fn reason(&self) -> String {
        format!(
            "imports {}: glibc loads {} for it at run time, or aborts",
            self.functions.join(" and "),
            self.library
        )
    }
}

/// A run-time load on the wire.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "RuntimeLoad")]
struct RuntimeLoadWire<'a> {
    /// The soname loaded, `libgcc_s.so.1`.
    library: &'a str,
    /// Why, in one line.
    reason: String,
}

impl Serialize for RuntimeLoad {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RuntimeLoadWire {
            library: &self.library,
            reason: self.reason(),
        }
        .serialize(s)
    }
}

impl schemars::JsonSchema for RuntimeLoad {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        RuntimeLoadWire::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        RuntimeLoadWire::json_schema(generator)
    }
}

impl ElfFacts {
    /// The OCI platform string, `linux/amd64`, `linux/arm64`, ... (the
    /// architecture named as Go and OCI name it, with the variant where the
    /// file states it).
    /// 32-bit ARM code built for v7 is `linux/arm/v7` (from Tag_CPU_arch);
    /// without build attributes, `linux/arm`.
    pub fn platform(&self) -> String {
        match self.arm_cpu_arch.and_then(oci_variant) {
            Some(v) => format!("{}/{}/{v}", self.os, oci_arch(&self.machine)),
            None => format!("{}/{}", self.os, oci_arch(&self.machine)),
        }
    }

    /// The platform of the images it meets when none is named: its own
    /// ([`ElfFacts::platform`]), but `linux/amd64` for a 32-bit x86
    /// program, which runs on amd64 through the kernel's IA32 emulation
    /// (distroless publishes no `linux/386` image).
    pub fn meets_platform(&self) -> String {
        match self.platform() {
            p if p == "linux/386" => "linux/amd64".to_string(),
            p => p,
        }
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
    order: ByteOrder,
    header: Header,
    phdrs: Vec<ProgramHeader>,
    shdrs: Vec<SectionHeader>,
    dyns: Vec<Dyn>,
}

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
        let (le, order) = match data {
            header::ELFDATA2LSB => (scroll::Endian::Little, ByteOrder::Little),
            header::ELFDATA2MSB => (scroll::Endian::Big, ByteOrder::Big),
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
        let phdrs = Self::parse_program_headers(bytes, &header, ctx)?;
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
        // One that, or a section of which, runs past the end of the file is
        // a truncated file: its facts (the symbols of cgo, dlopen and
        // shells) would be silently lost.
        let shdrs = Self::parse_sections(bytes, &header, ctx)?;

        let dyns = Self::parse_dynamic(bytes, &phdrs, ctx)?;
        Ok(ElfFile {
            bytes,
            ctx,
            order,
            header,
            phdrs,
            shdrs,
            dyns,
        })
    }

    /// The program headers, each segment's file-backed bytes inside the
    /// file: a cut-off PT_LOAD would be mapped short and the program would
    /// crash.
    fn parse_program_headers(bytes: &[u8], header: &Header, ctx: Ctx) -> Result<Vec<ProgramHeader>, Error> {
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
        Ok(phdrs)
    }

    /// The dynamic section (PT_DYNAMIC), which must lie inside the file.
    fn parse_dynamic(bytes: &[u8], phdrs: &[ProgramHeader], ctx: Ctx) -> Result<Vec<Dyn>, Error> {
        match goblin::elf::dynamic::Dynamic::parse(bytes, phdrs, ctx) {
            Ok(Some(d)) => Ok(d.dyns),
            Ok(None) => Ok(Vec::new()),
            Err(_) => {
                let ph = phdrs.iter().find(|p| p.p_type == program_header::PT_DYNAMIC);
                let (off, size) = ph.map(|p| (p.p_offset, p.p_filesz)).unwrap_or_default();
                Err(malformed(format!(
                    "PT_DYNAMIC ({size} bytes at offset {off:#x}) runs past the end of the file ({} bytes)",
                    bytes.len()
                )))
            }
        }
    }

    /// The section headers: none when the table is absent or unreadable
    /// (`e_shoff` 0, an `e_shentsize` of another class, no entries).
    ///
    /// Errors: [`Error::Malformed`] when the table, or the bytes of a
    /// section that has some in the file (not SHT_NOBITS), run past the end
    /// of the file: the file was cut short.
    fn parse_sections(bytes: &[u8], header: &Header, ctx: Ctx) -> Result<Vec<SectionHeader>, Error> {
        let size = SectionHeader::size(ctx);
        if header.e_shoff == 0 || usize::from(header.e_shentsize) != size {
            return Ok(Vec::new());
        }
        let Ok(off) = usize::try_from(header.e_shoff) else {
            return Ok(Vec::new());
        };
        let n = usize::from(header.e_shnum);
        if n == 0 {
            return Ok(Vec::new());
        }
        let fits = n
            .checked_mul(size)
            .and_then(|len| len.checked_add(off))
            .is_some_and(|end| end <= bytes.len());
        if !fits {
            return Err(malformed(format!(
                "the {n} section headers at offset {off:#x} (e_shoff) run past the end of the file ({} bytes)",
                bytes.len()
            )));
        }
        let shdrs = SectionHeader::parse(bytes, off, n, ctx).unwrap_or_default();
        for (i, sh) in shdrs.iter().enumerate() {
            let in_file = !matches!(sh.sh_type, section_header::SHT_NOBITS | section_header::SHT_NULL);
            let end = sh.sh_offset.checked_add(sh.sh_size);
            if in_file && sh.sh_size > 0 && end.is_none_or(|e| e > bytes.len() as u64) {
                return Err(malformed(format!(
                    "section {i} ({}, {} bytes at offset {:#x}) runs past the end of the file ({} bytes)",
                    section_header::sht_to_str(sh.sh_type),
                    sh.sh_size,
                    sh.sh_offset,
                    bytes.len()
                )));
            }
        }
        Ok(shdrs)
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

    /// File-backed PT_LOAD ranges as `(p_vaddr, p_offset, p_filesz)`.
    pub fn load_segments(&self) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        self.phdrs
            .iter()
            .filter(|p| p.p_type == program_header::PT_LOAD)
            .map(|p| (p.p_vaddr, p.p_offset, p.p_filesz))
    }
}

/// `e_machine` as a short name, refined by class and byte order.
pub(crate) fn machine_name(h: &Header) -> String {
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
