//! Everything dlcheck reads from one ELF file before judging it: the ELF
//! facts, the Go facts, what the loader needs, the symbols bound to each
//! needed version, and the NSS functions a static glibc program calls.
//!
//! [`Binary::read`] is the one place these are gathered, so that a fact
//! that needs two readers (the C library of a static Go program, which
//! only the Go symbol pass can tell) is settled before anything is judged.

use std::collections::BTreeSet;
use std::sync::Arc;

use goblin::elf::section_header::{SHT_DYNSYM, SHT_SYMTAB};

use crate::elf::{self, ElfFacts, ElfFile, Libc, Linkage, VersionSymbols};
use crate::error::Error;
use crate::go::{self, GoFacts};
use crate::loader;

/// glibc functions that go through NSS (`nsswitch.conf`) and so `dlopen`
/// `libnss_*` modules even in a static program (glibc manual, "Name
/// Service Switch"; the linker warns "Using 'getaddrinfo' in statically
/// linked applications requires at runtime the shared libraries from the
/// glibc version used for linking").
pub const NSS_FUNCTIONS: &[&str] = &[
    "getaddrinfo",
    "gethostbyname",
    "gethostbyname2",
    "gethostbyname_r",
    "gethostbyname2_r",
    "gethostbyaddr",
    "gethostbyaddr_r",
    "getpwnam",
    "getpwnam_r",
    "getpwuid",
    "getpwuid_r",
    "getpwent",
    "getgrnam",
    "getgrnam_r",
    "getgrgid",
    "getgrgid_r",
    "getgrouplist",
    "initgroups",
    "getservbyname",
    "getservbyname_r",
    "getprotobyname",
];

/// How a statically linked glibc program uses NSS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaticNss {
    /// It calls these [`NSS_FUNCTIONS`] (from its symbol tables).
    Calls(Vec<&'static str>),
    /// Its symbols are gone, but it holds the NSS module loader's
    /// `libnss_` prefix.
    ModuleLoader,
}

/// The language a program was written in, as far as its build tools tell:
/// what decides which build image to suggest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// Go build information.
    Go,
    /// `rustc version` in `.comment`.
    Rust,
    /// Needs libstdc++.
    Cxx,
    /// Anything else.
    C,
}

impl Language {
    /// The key of `data/builders.json`: `go`, `rust`, `c++`, `c`.
    pub fn key(self) -> &'static str {
        match self {
            Language::Go => "go",
            Language::Rust => "rust",
            Language::Cxx => "c++",
            Language::C => "c",
        }
    }
}

/// One ELF file, read: the facts reported and what judging it needs.
#[derive(Debug, Clone)]
pub struct Binary {
    /// The ELF facts (the JSON `elf` object).
    pub elf: ElfFacts,
    /// The Go facts, when it is a Go program (the JSON `go` object).
    pub go: Option<GoFacts>,
    /// What the loader reads of it.
    pub object: Arc<loader::Object>,
    /// Imported symbols by needed version, to name the culprits of a
    /// missing version.
    pub version_symbols: VersionSymbols,
    /// Static glibc that uses NSS, which loads modules at run time.
    pub static_nss: Option<StaticNss>,
}

/// The size (bytes) from which a file's ELF facts and Go facts are read on
/// two threads, and so are two searches of a `.rodata` section: about where
/// reading them takes longer than starting the threads (0.2 ms).
pub(crate) const PARALLEL_FACTS_BYTES: usize = 8 << 20;

impl Binary {
    /// Read an ELF file's bytes.
    ///
    /// Errors: [`Error::Malformed`] for headers or tables that lie outside
    /// the file; [`Error::NotExecutable`] for objects and core dumps.
    pub fn read(bytes: &[u8]) -> Result<Binary, Error> {
        let file = ElfFile::parse(bytes)?;
        if file.is_debug_only() {
            return Err(Error::DebugInfo);
        }
        let interpreter = file.interpreter()?;
        let strings = file.dynamic_strings()?;
        let needs = file.version_needs()?;
        // The ELF facts and the Go facts each read the file's big tables
        // (`.rodata` for a shell's path, the Go function table's names):
        // in a large file, on two threads, as neither needs the other. A
        // small file is read faster than a thread pool starts.
        let elf_facts = || file.facts_from(interpreter.clone(), &strings, &needs);
        let go_facts = || go_facts(&file, interpreter.as_deref(), &strings.needed);
        let (mut elf, go) = if bytes.len() >= PARALLEL_FACTS_BYTES {
            rayon::join(elf_facts, go_facts)
        } else {
            (elf_facts(), go_facts())
        };
        // The program's own version definitions matter only when it is
        // loaded as a library: what can be read of them.
        let verdefs = file.version_definitions().unwrap_or_default();
        let object = loader::Object {
            executable_stack: file.needs_executable_stack(),
            ..loader::Object::from_parts(&strings, &needs, verdefs)
        };
        let go = go.map(|(go, seen)| {
            // A static Go program has no C library, unless cgo linked one
            // in (glibc is told by its ABI note before this).
            if matches!(elf.linkage, Linkage::Static | Linkage::StaticPie)
                && matches!(elf.libc, Libc::None | Libc::Unknown)
            {
                elf.libc = match (go.cgo, seen.init_libc) {
                    (false, _) => Libc::None,
                    (true, true) => Libc::Musl,
                    (true, false) => Libc::Unknown,
                };
            }
            go
        });
        let static_nss = static_nss(&file, &elf);
        Ok(Binary {
            version_symbols: file.version_symbols(&needs),
            elf,
            go,
            object: Arc::new(object),
            static_nss,
        })
    }

    /// The language it was written in (see [`Language`]).
    pub fn language(&self) -> Language {
        if self.go.is_some() {
            Language::Go
        } else if self.elf.comment.iter().any(|c| c.starts_with("rustc version")) {
            Language::Rust
        } else if self.elf.needed.iter().any(|n| n.starts_with("libstdc++")) {
            Language::Cxx
        } else {
            Language::C
        }
    }

    /// Whether it is built against musl, or asks for musl's loader.
    pub fn uses_musl(&self) -> bool {
        self.elf.libc == Libc::Musl || self.elf.interpreter.as_deref().is_some_and(|i| i.contains("ld-musl"))
    }

    /// Whether it is statically linked (no PT_INTERP).
    pub fn is_static(&self) -> bool {
        matches!(self.elf.linkage, Linkage::Static | Linkage::StaticPie)
    }
}

/// The NSS use of a statically linked glibc program: one pass over each
/// symbol table for the NSS functions called and whether `.symtab` is
/// glibc's (it names `__libc_start_main`). Without a `.symtab` that is
/// glibc's (stripped, or damaged) the function names are gone, and the NSS
/// module loader's `libnss_` prefix is the evidence left; with one, the
/// names decide, as the program may name a module in its data.
fn static_nss(file: &ElfFile<'_>, elf: &ElfFacts) -> Option<StaticNss> {
    if !matches!(elf.linkage, Linkage::Static | Linkage::StaticPie) || elf.libc != Libc::Glibc {
        return None;
    }
    let mut calls: BTreeSet<&'static str> = BTreeSet::new();
    let mut symtab_has_libc = false;
    for table in [SHT_SYMTAB, SHT_DYNSYM] {
        for v in file.symbol_table(table).name_views() {
            match v.first() {
                Some(b'g' | b'i') => {
                    calls.extend(NSS_FUNCTIONS.iter().copied().find(|f| elf::name_is(v, f.as_bytes())))
                }
                Some(b'_') if table == SHT_SYMTAB => symtab_has_libc |= elf::name_is(v, b"__libc_start_main"),
                _ => {}
            }
        }
    }
    if !calls.is_empty() {
        return Some(StaticNss::Calls(calls.into_iter().collect()));
    }
    (!symtab_has_libc && memchr::memmem::find(file.bytes(), b"libnss_").is_some()).then_some(StaticNss::ModuleLoader)
}

/// Go facts, if this is a Go program; its PT_INTERP and DT_NEEDED, when it
/// has both, are evidence of cgo.
fn go_facts(file: &ElfFile<'_>, interpreter: Option<&str>, needed: &[String]) -> Option<(GoFacts, go::Seen)> {
    let buildinfo = file.section(".go.buildinfo");
    let pclntab = file.section(".gopclntab");
    // With readable section names, a Go program always has one of these two
    // (their contents may be cut off: the magic is searched then).
    let named = file.has_section(".go.buildinfo") || file.has_section(".gopclntab");
    if !named && file.has_sections() && file.section_names_readable() {
        return None;
    }
    let input = go::GoInput {
        bytes: file.bytes(),
        segments: file
            .load_segments()
            .map(|(vaddr, offset, size)| go::Segment { vaddr, offset, size })
            .collect(),
        buildinfo,
        data: file.data_segment(),
        pclntab,
        symtab: go::Names::Elf(file.symbol_table(SHT_SYMTAB)),
        dynsym: go::Names::Elf(file.symbol_table(SHT_DYNSYM)),
        dynamic: match (interpreter, needed.is_empty()) {
            (Some(i), false) => Some((i.to_string(), needed.to_vec())),
            _ => None,
        },
    };
    go::analyze_seen(&input)
}
