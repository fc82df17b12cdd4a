//! Go binaries: the build information block, the evidence of cgo, why cgo
//! got in, and the files a Go program reads at run time.
//!
//! The build information layout follows Go's `debug/buildinfo` package
//! (`src/debug/buildinfo/buildinfo.go`): a 32-byte header that starts with
//! the 14-byte magic `\xff Go buildinf:`, then the pointer size (byte 14)
//! and flags (byte 15: bit 0 big-endian, bit 1 inline strings). Go 1.18 and
//! later store the version and the module information inline after the
//! header as two uvarint-length-prefixed strings; earlier releases store two
//! pointers (at offsets 16 and 16 + pointer size) to Go string headers
//! `{data pointer, length}` in the program's memory. The module information
//! is wrapped in two 16-byte sentinels and holds tab-separated lines (`path`,
//! `mod`, `dep`, `=>`, `build`), as `runtime/debug.BuildInfo.String` writes
//! them.
//!
//! cgo is decided from evidence, never from the `CGO_ENABLED` setting
//! alone: runtime/cgo's C functions in `.symtab` and its exports in
//! `.dynsym` (which survive `-s -w`), PT_INTERP with DT_NEEDED (only
//! external linking, which cgo implies, produces them), and names in the Go
//! function table (`.gopclntab`, `__gopclntab`, `runtime.pclntab`), which
//! stays in stripped binaries: `runtime/cgo` source files and the
//! `pkg._Cfunc_*` / `pkg._C2func_*` stubs that cmd/cgo generates for each
//! package that imports "C".

mod buildinfo;
mod cgo;
mod objects;
mod pclntab;

use std::collections::BTreeMap;

use serde::Serialize;

pub use buildinfo::{BUILDINFO_MAGIC, BuildInfo, decode};
pub use cgo::MAX_CGO_PACKAGES;
pub use objects::{macho_input, pe_input};

use crate::elf::SymbolTable;
use cgo::NameScan;
use pclntab::{PCLN_MAGICS, has_name, pcln_nfunc, pcln_tables};

/// C functions of the `runtime/cgo` package (`gcc_*.c`), present in a
/// program only when C code is linked in. `crosscall2`, `_cgo_panic` and
/// `_cgo_topofstack` are dynamic exports and survive `-ldflags='-s -w'`.
/// Not listed: the runtime's hook variables `_cgo_init`,
/// `_cgo_thread_start` ... which every Go program has (in `.bss`, nil, when
/// cgo is absent).
pub const CGO_SYMBOLS: &[&str] = &[
    "x_cgo_init",
    "crosscall2",
    "_cgo_panic",
    "_cgo_topofstack",
    "_cgo_sys_thread_start",
    "x_cgo_thread_start",
    "x_cgo_notify_runtime_init_done",
    "_cgo_wait_runtime_init_done",
    "_cgo_try_pthread_create",
    "x_cgo_setenv",
    "x_cgo_unsetenv",
    "_cgo_get_context_function",
    "x_cgo_getstackbound",
];

/// Modules that need cgo to work and build a stub without it, which fails
/// at first use (go-sqlite3's `static_mock.go`: "Binary was compiled with
/// 'CGO_ENABLED=0', go-sqlite3 requires cgo to work").
pub const CGO_ONLY_MODULES: &[&str] = &["github.com/mattn/go-sqlite3"];

/// The largest function table scanned for names, in bytes.
const MAX_PCLNTAB_SCAN: usize = 256 << 20;

/// The JSON `go` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct GoFacts {
    /// The Go release that built it (`go1.22.5`); `null` when the build
    /// information block is missing or unreadable.
    pub version: Option<String>,
    /// The main package path (`path` line).
    pub path: Option<String>,
    /// The main module (`mod` line).
    pub main_module: Option<Module>,
    /// Dependencies (`dep` lines, with `=>` replacements), in file order.
    pub deps: Vec<Module>,
    /// Build settings (`build` lines): `-buildmode`, `-compiler`, `-tags`,
    /// `-ldflags`, `-trimpath`, `CGO_ENABLED`, `GOOS`, `GOARCH`, `GOAMD64`,
    /// `vcs.*` ..., key to value.
    pub settings: BTreeMap<String, String>,
    /// The `CGO_ENABLED` setting as recorded. It says cgo was allowed, not
    /// that it is used.
    pub cgo_enabled_setting: Option<String>,
    /// Whether C code is linked in, decided from `cgo_evidence`.
    pub cgo: bool,
    /// The runtime/cgo symbols found in `.symtab` or `.dynsym`, in the order
    /// of [`CGO_SYMBOLS`].
    pub cgo_symbols: Vec<String>,
    /// Each piece of evidence that cgo is linked in.
    pub cgo_evidence: Vec<Evidence>,
    /// Packages whose cgo code is linked in (`net`, `os/user`, `main` ...),
    /// from their cmd/cgo stubs (`net._C2func_getaddrinfo`).
    pub cgo_packages: Vec<String>,
    /// Files the program will read at run time, by the packages it links.
    pub runtime_files: Vec<RuntimeFile>,
}

/// A module line of the build information.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Module {
    /// Module path.
    pub path: String,
    /// Version (`v1.2.3`, `(devel)`).
    pub version: String,
    /// `h1:` checksum, if recorded.
    pub sum: Option<String>,
    /// The `=>` replacement, if any.
    pub replace: Option<Box<Module>>,
}

/// Where a piece of evidence of cgo was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceSource {
    /// `.symtab` (or the Mach-O symbol table).
    Symtab,
    /// `.dynsym`.
    Dynsym,
    /// PT_INTERP and DT_NEEDED.
    Dynamic,
    /// The Go function table.
    Pclntab,
}

/// One piece of evidence of cgo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Evidence {
    /// Where it was found: `symtab`, `dynsym`, `dynamic` or `pclntab`.
    pub source: EvidenceSource,
    /// What was found there.
    pub detail: String,
}

/// A file a Go program reads at run time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RuntimeFile {
    /// Path inside the container.
    pub path: &'static str,
    /// The package that reads it.
    pub package: &'static str,
    /// Why, in one line.
    pub reason: &'static str,
}

/// A file-backed range of the program's memory.
#[derive(Debug, Clone, Copy)]
pub struct Segment {
    /// Virtual address of its first byte.
    pub vaddr: u64,
    /// File offset of its first byte.
    pub offset: u64,
    /// Bytes present in the file.
    pub size: u64,
}

/// The names of one symbol table.
#[derive(Debug, Default)]
pub enum Names<'a> {
    /// No symbol table (stripped, or a format without one).
    #[default]
    None,
    /// Names already split out by the format's parser (Mach-O).
    List(Vec<&'a [u8]>),
    /// An ELF symbol table, read in place.
    Elf(SymbolTable<'a>),
}

impl<'a> Names<'a> {
    /// A view of each name: it starts with the name, which ends at the
    /// first NUL or at the end of the view (see [`SymbolTable`]).
    fn views(&self) -> Box<dyn Iterator<Item = &'a [u8]> + '_> {
        match self {
            Names::None => Box::new(std::iter::empty()),
            Names::List(v) => Box::new(v.iter().copied()),
            Names::Elf(t) => Box::new(t.name_views()),
        }
    }

    /// The names that contain `needle`: for an ELF table, one search of its
    /// string table.
    fn containing(&self, needle: &'static [u8]) -> Box<dyn Iterator<Item = &'a [u8]> + '_> {
        match self {
            Names::None => Box::new(std::iter::empty()),
            Names::List(v) => Box::new(
                v.iter()
                    .copied()
                    .filter(move |n| memchr::memmem::find(n, needle).is_some()),
            ),
            Names::Elf(t) => Box::new(t.names_containing(needle).into_iter()),
        }
    }
}

/// What the Go analysis needs from an object file of any format.
#[derive(Default)]
pub struct GoInput<'a> {
    /// The whole file.
    pub bytes: &'a [u8],
    /// Address translation for the pre-1.18 pointer layout.
    pub segments: Vec<Segment>,
    /// The build information section, when the format names it
    /// (`.go.buildinfo`, `__go_buildinfo`); otherwise the magic is searched.
    pub buildinfo: Option<&'a [u8]>,
    /// Where the magic is searched then, as Go's `debug/buildinfo` does:
    /// the first writable, non-executable segment (ELF) or the first
    /// writable initialised-data section (PE). `None`: the whole file.
    pub data: Option<&'a [u8]>,
    /// The function table section (`.gopclntab`, `__gopclntab`); otherwise
    /// its header is searched.
    pub pclntab: Option<&'a [u8]>,
    /// Names in `.symtab` (or the Mach-O symbol table).
    pub symtab: Names<'a>,
    /// Names in `.dynsym`.
    pub dynsym: Names<'a>,
    /// PT_INTERP and DT_NEEDED, when the file is dynamically linked and
    /// needs libraries: `(interpreter, needed)`.
    pub dynamic: Option<(String, Vec<String>)>,
}

impl<'a> GoInput<'a> {
    fn read_mem(&self, addr: u64, len: u64) -> Option<&'a [u8]> {
        let s = self
            .segments
            .iter()
            .find(|s| addr >= s.vaddr && addr - s.vaddr < s.size)?;
        let delta = addr - s.vaddr;
        if delta.checked_add(len)? > s.size {
            return None;
        }
        let start = usize::try_from(s.offset.checked_add(delta)?).ok()?;
        self.bytes.get(start..start.checked_add(usize::try_from(len).ok()?)?)
    }

    fn buildinfo_block(&self) -> Option<&'a [u8]> {
        if let Some(b) = self.buildinfo.filter(|b| b.starts_with(BUILDINFO_MAGIC)) {
            return Some(b);
        }
        // The block is 16-byte aligned (Go's buildInfoAlign): the magic
        // elsewhere is only data, such as this program's own copy of it.
        let region = self.data.unwrap_or(self.bytes);
        memchr::memmem::find_iter(region, BUILDINFO_MAGIC)
            .find(|i| i % 16 == 0)
            .map(|i| &region[i..])
    }

    /// The function table: the named section, or the bytes from a valid
    /// table header (magic 0xfffffffb/fa/f0/f1, two zero bytes, an
    /// instruction quantum of 1, 2 or 4 and a pointer size of 4 or 8) to
    /// the end of the file.
    fn pclntab_region(&self) -> Option<&'a [u8]> {
        if let Some(p) = self.pclntab.filter(|p| p.len() >= 8) {
            return Some(p);
        }
        let b = self.bytes;
        let mut best: Option<usize> = None;
        for m in PCLN_MAGICS {
            for i in memchr::memmem::find_iter(b, &m.to_le_bytes()) {
                let h = &b[i..b.len().min(i + 8)];
                if h.len() == 8 && h[4] == 0 && h[5] == 0 && matches!(h[6], 1 | 2 | 4) && matches!(h[7], 4 | 8) {
                    best = Some(best.map_or(i, |x| x.min(i)));
                    break;
                }
            }
        }
        best.map(|i| &b[i..])
    }

    /// The function table's name and file tables, each capped at
    /// [`MAX_PCLNTAB_SCAN`] bytes; empty when the symbol table is usable
    /// (`.symtab` names the same functions, and reading a large Go
    /// binary's table costs time and memory). It is read when `.symtab` is
    /// gone (`-s`), or is not the program's (no `runtime.` function: a
    /// damaged sh_link, say).
    fn function_table(&self, symtab_usable: bool) -> (&'a [u8], &'a [u8]) {
        if symtab_usable {
            return (&[], &[]);
        }
        let (names, files) = self.pclntab_region().map(pcln_tables).unwrap_or_default();
        let cap = |t: &'a [u8]| &t[..t.len().min(MAX_PCLNTAB_SCAN)];
        (cap(names), cap(files))
    }
}

/// What the pass over the symbol tables saw that is a fact about the
/// program rather than about Go, so that no second pass is needed.
#[derive(Debug, Default)]
pub struct Seen {
    /// `.symtab` or `.dynsym` names musl's start code, `__init_libc`: a
    /// static cgo program linked against musl.
    pub init_libc: bool,
}

/// Go facts for a file, or `None` when it is not a Go program.
pub fn analyze(input: &GoInput<'_>) -> Option<GoFacts> {
    analyze_seen(input).map(|(facts, _)| facts)
}

/// [`analyze`], with what else the symbol pass saw.
pub fn analyze_seen(input: &GoInput<'_>) -> Option<(GoFacts, Seen)> {
    let info = input
        .buildinfo_block()
        .and_then(|b| decode(b, &|a, l| input.read_mem(a, l)));
    // A Go program has a build information block or a named function table.
    if info.is_none() && input.pclntab.is_none() {
        return None;
    }
    // Evidence of cgo, and the functions that read files at run time, in
    // one pass over each table.
    let symtab = NameScan::of(&input.symtab);
    let dynsym = NameScan::of(&input.dynsym);
    // Every Go function has a symbol: fewer symbols than the function table
    // counts means the table was cut short. Only a named table is read
    // for this: searching a large file for an unnamed one costs more than
    // the check is worth.
    let nfunc = input.pclntab.and_then(pcln_nfunc).unwrap_or(0);
    let symtab = (symtab.runtime && symtab.count >= nfunc).then_some(symtab);
    let (pcln, pcln_files) = input.function_table(symtab.is_some());
    let cgo = cgo::evidence(input, symtab.as_ref(), &dynsym, pcln, pcln_files);
    let symtab = symtab.unwrap_or_default();
    let settings = info.as_ref().map(BuildInfo::settings).unwrap_or_default();
    let seen = Seen {
        init_libc: symtab.init_libc || dynsym.init_libc,
    };
    let facts = GoFacts {
        version: info.as_ref().map(|i| i.version.clone()),
        path: info.as_ref().and_then(BuildInfo::path),
        main_module: info.as_ref().and_then(BuildInfo::main_module),
        deps: info.as_ref().map(BuildInfo::deps).unwrap_or_default(),
        cgo_enabled_setting: settings.get("CGO_ENABLED").cloned(),
        settings,
        cgo: !cgo.evidence.is_empty(),
        cgo_symbols: cgo.symbols,
        cgo_evidence: cgo.evidence,
        cgo_packages: cgo.packages,
        runtime_files: runtime_files(&symtab, pcln),
    };
    Some((facts, seen))
}

/// The files a Go program reads at run time, from the packages its symbol
/// table (`symtab`) or, without one, its function table's names (`pcln`)
/// show.
fn runtime_files(symtab: &NameScan, pcln: &[u8]) -> Vec<RuntimeFile> {
    let mut out = Vec::new();
    if symtab.x509 || has_name(pcln, "crypto/x509.") {
        out.push(RuntimeFile {
            path: "/etc/ssl/certs/ca-certificates.crt",
            package: "crypto/x509",
            reason: "TLS verification loads the system CA bundle",
        });
    }
    // time/tzdata is looked for only in a program that loads locations:
    // each look is a pass over the function table's names.
    let loads_locations = symtab.load_location || has_name(pcln, "time.LoadLocation");
    if loads_locations && !(symtab.tzdata || has_name(pcln, "time/tzdata.")) {
        out.push(RuntimeFile {
            path: "/usr/share/zoneinfo",
            package: "time",
            reason: "time.LoadLocation reads zoneinfo (import _ \"time/tzdata\" to embed it)",
        });
    }
    if symtab.user || has_name(pcln, "os/user.") {
        out.push(RuntimeFile {
            path: "/etc/passwd",
            package: "os/user",
            reason: "user and group lookups read /etc/passwd and /etc/group",
        });
    }
    out
}
