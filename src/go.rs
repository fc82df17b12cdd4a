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

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::elf::{SymbolTable, name_is};

/// The magic that starts Go's build information block.
pub const BUILDINFO_MAGIC: &[u8] = b"\xff Go buildinf:";

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// One piece of evidence of cgo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Where it was found: `symtab`, `dynsym`, `dynamic` or `pclntab`.
    pub source: &'static str,
    /// What was found there.
    pub detail: String,
}

/// A file a Go program reads at run time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuntimeFile {
    /// Path inside the container.
    pub path: &'static str,
    /// The package that reads it.
    pub package: &'static str,
    /// Why, in one line.
    pub reason: &'static str,
}

/// The decoded build information block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildInfo {
    /// Go release, such as `go1.19.8`.
    pub version: String,
    /// The module information text (sentinels removed).
    pub modinfo: String,
}

impl BuildInfo {
    fn lines<'s>(&'s self, tag: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.modinfo
            .lines()
            .filter_map(move |l| l.strip_prefix(tag)?.strip_prefix('\t'))
    }

    /// The `path` line: the main package path.
    pub fn path(&self) -> Option<String> {
        self.lines("path").next().map(str::to_string)
    }

    /// The `build` lines as key → value. A key or value that Go quoted
    /// (one with a space, a quote, `=` in a key, or a non-printable byte;
    /// `runtime/debug.BuildSetting.String`) is unquoted by Go's rules
    /// (`strconv.Unquote`); one that does not unquote is kept as written.
    pub fn settings(&self) -> BTreeMap<String, String> {
        self.lines("build")
            .filter_map(|kv| {
                let (k, v) = match quoted_prefix(kv) {
                    Some(n) => (&kv[..n], kv[n..].strip_prefix('=')?),
                    None => kv.split_once('=')?,
                };
                Some((unquote(k), unquote(v)))
            })
            .collect()
    }

    /// The `mod` line.
    pub fn main_module(&self) -> Option<Module> {
        self.lines("mod").next().and_then(module)
    }

    /// The `dep` lines, each with the `=>` line that follows it.
    pub fn deps(&self) -> Vec<Module> {
        let mut out: Vec<Module> = Vec::new();
        for line in self.modinfo.lines() {
            if let Some(rest) = line.strip_prefix("dep\t") {
                out.extend(module(rest));
            } else if let Some(rest) = line.strip_prefix("=>\t")
                && let Some(last) = out.last_mut()
            {
                last.replace = module(rest).map(Box::new);
            }
        }
        out
    }
}

fn module(fields: &str) -> Option<Module> {
    let mut f = fields.split('\t');
    let path = f.next().filter(|p| !p.is_empty())?.to_string();
    let version = f.next().unwrap_or_default().to_string();
    let sum = f.next().filter(|s| !s.is_empty()).map(str::to_string);
    Some(Module {
        path,
        version,
        sum,
        replace: None,
    })
}

/// The length of the Go double-quoted string at the start of `s` (text as
/// [`crate::text`] keeps it), if `s` starts with one.
fn quoted_prefix(s: &str) -> Option<usize> {
    let raw = crate::text::to_bytes(s)?;
    let mut i = 1;
    if raw.first() != Some(&b'"') {
        return None;
    }
    while let Some(&b) = raw.get(i) {
        match b {
            b'"' => return Some(crate::text::from_bytes(&raw[..=i]).len()),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    None
}

/// `v` unquoted by Go's `strconv.Unquote` rules when it is a double-quoted
/// string, otherwise as it is. `v` and the result are lossless text (see
/// [`crate::text`]): the quoted bytes are decoded, unescaped, and encoded
/// again.
fn unquote(v: &str) -> String {
    crate::text::to_bytes(v)
        .and_then(|raw| go_unquote(&raw))
        .map(|b| crate::text::from_bytes(&b))
        .unwrap_or_else(|| v.to_string())
}

/// Go's `strconv.Unquote` for a double-quoted string: `\a \b \f \n \r
/// \t \v \\ \"`, `\xNN` and octal `\NNN` (one byte each), `\uNNNN` and
/// `\UNNNNNNNN` (a code point, written as UTF-8). `None` when `raw` is not
/// one quoted string or an escape is invalid.
fn go_unquote(raw: &[u8]) -> Option<Vec<u8>> {
    let inner = raw.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    let hex = |d: &[u8]| {
        d.iter()
            .try_fold(0u32, |n, &c| Some(n * 16 + (c as char).to_digit(16)?))
    };
    while i < inner.len() {
        let b = inner[i];
        if b == b'"' || b == b'\n' {
            return None;
        }
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let e = *inner.get(i + 1)?;
        i += 2;
        let simple = match e {
            b'a' => Some(7),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(11),
            b'\\' => Some(b'\\'),
            b'"' => Some(b'"'),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            continue;
        }
        match e {
            b'x' => {
                out.push(u8::try_from(hex(inner.get(i..i + 2)?)?).ok()?);
                i += 2;
            }
            b'0'..=b'7' => {
                let d = inner.get(i - 1..i + 2)?;
                let n = d.iter().try_fold(0u32, |n, &c| {
                    (b'0'..=b'7').contains(&c).then(|| n * 8 + u32::from(c - b'0'))
                })?;
                out.push(u8::try_from(n).ok()?);
                i += 2;
            }
            b'u' | b'U' => {
                let n = if e == b'u' { 4 } else { 8 };
                let c = char::from_u32(hex(inner.get(i..i + n)?)?)?;
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                i += n;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Read an unsigned LEB128 varint (Go's `binary.Uvarint`).
fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    for (i, &byte) in b.iter().enumerate().take(10) {
        x |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            return Some((x, i + 1));
        }
    }
    None
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

/// What one pass over a symbol table's names finds.
#[derive(Default)]
struct NameScan {
    /// Members of [`CGO_SYMBOLS`] present.
    cgo: BTreeSet<&'static str>,
    x509: bool,
    load_location: bool,
    tzdata: bool,
    user: bool,
    /// musl's start code, `__init_libc` (see [`Seen`]).
    init_libc: bool,
    /// A function of Go's runtime package: the table is a Go program's.
    runtime: bool,
    /// Names seen.
    count: usize,
}

impl NameScan {
    fn of(names: &Names<'_>) -> NameScan {
        let mut out = NameScan::default();
        // Most names fail on their first byte, so that is tested first.
        for v in names.views() {
            out.count += 1;
            match v.first() {
                Some(b'x' | b'_' | b'c') => {
                    if v.starts_with(b"crypto/x509.") {
                        out.x509 = true;
                    } else if name_is(v, b"__init_libc") {
                        out.init_libc = true;
                    } else if (v.starts_with(b"x_cgo") || v.starts_with(b"_cgo") || v.starts_with(b"crosscall2"))
                        && let Some(s) = CGO_SYMBOLS.iter().find(|s| name_is(v, s.as_bytes()))
                    {
                        out.cgo.insert(s);
                    }
                }
                Some(b't') => {
                    out.load_location |= name_is(v, b"time.LoadLocation");
                    out.tzdata |= v.starts_with(b"time/tzdata.");
                }
                Some(b'o') => out.user |= v.starts_with(b"os/user."),
                Some(b'r') => out.runtime |= v.starts_with(b"runtime."),
                _ => {}
            }
        }
        out
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
}

/// The magics of a Go function table's header, oldest layout first:
/// Go 1.2–1.15, 1.16–1.17, 1.18–1.19, 1.20 on.
const PCLN_MAGICS: [u32; 4] = [0xffff_fffb, 0xffff_fffa, 0xffff_fff0, 0xffff_fff1];

/// A Go function table's header (Go's `runtime/symtab.go` `pcHeader`):
/// a 4-byte magic (0xfffffffb for Go 1.2–1.15, 0xfffffffa for 1.16–1.17,
/// 0xfffffff0 for 1.18–1.19, 0xfffffff1 from 1.20), two zero bytes, the
/// instruction quantum, the pointer size, then pointer-sized words.
struct PcHeader<'a> {
    table: &'a [u8],
    magic: u32,
    little_endian: bool,
    ptr: usize,
}

impl<'a> PcHeader<'a> {
    /// The header of `table`, in either byte order; `None` for an unknown
    /// magic or a pointer size other than 4 or 8.
    fn parse(table: &'a [u8]) -> Option<Self> {
        let h = table.get(..8)?;
        let raw = [h[0], h[1], h[2], h[3]];
        let (magic, little_endian) = if PCLN_MAGICS.contains(&u32::from_le_bytes(raw)) {
            (u32::from_le_bytes(raw), true)
        } else if PCLN_MAGICS.contains(&u32::from_be_bytes(raw)) {
            (u32::from_be_bytes(raw), false)
        } else {
            return None;
        };
        let ptr = usize::from(h[7]);
        (ptr == 4 || ptr == 8).then_some(PcHeader {
            table,
            magic,
            little_endian,
            ptr,
        })
    }

    /// Pointer-sized word `i` after the 8 fixed bytes.
    fn word(&self, i: usize) -> Option<usize> {
        let b = self.table.get(8 + i * self.ptr..8 + (i + 1) * self.ptr)?;
        let v = match (self.ptr, self.little_endian) {
            (4, true) => u64::from(u32::from_le_bytes(b.try_into().ok()?)),
            (4, false) => u64::from(u32::from_be_bytes(b.try_into().ok()?)),
            (_, true) => u64::from_le_bytes(b.try_into().ok()?),
            (_, false) => u64::from_be_bytes(b.try_into().ok()?),
        };
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
fn pcln_tables(p: &[u8]) -> (&[u8], &[u8]) {
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
fn pcln_nfunc(p: &[u8]) -> Option<usize> {
    PcHeader::parse(p)?.word(0)
}

/// Decode the build information block starting at `block` (which begins
/// with [`BUILDINFO_MAGIC`]). `read_mem(addr, len)` returns `len` bytes of
/// the program's memory at virtual address `addr`, for the pre-1.18
/// pointer layout. Every length and pointer is checked; `None` when the
/// block is malformed.
pub fn decode<'a>(block: &[u8], read_mem: &dyn Fn(u64, u64) -> Option<&'a [u8]>) -> Option<BuildInfo> {
    let header = block.get(..32)?;
    if !header.starts_with(BUILDINFO_MAGIC) {
        return None;
    }
    let ptr_size = usize::from(header[14]);
    let flags = header[15];
    let (version, modinfo): (Vec<u8>, Vec<u8>) = if flags & 2 != 0 {
        let mut rest = &block[32..];
        let mut read = || {
            let (len, n) = uvarint(rest)?;
            let len = usize::try_from(len).ok()?;
            let s = rest.get(n..n.checked_add(len)?)?;
            rest = &rest[n + len..];
            Some(s.to_vec())
        };
        (read()?, read()?)
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return None;
        }
        let big = flags & 1 != 0;
        let word = |b: &[u8]| -> Option<u64> {
            let b = b.get(..ptr_size)?;
            Some(match (ptr_size, big) {
                (4, false) => u64::from(u32::from_le_bytes(b.try_into().ok()?)),
                (4, true) => u64::from(u32::from_be_bytes(b.try_into().ok()?)),
                (_, false) => u64::from_le_bytes(b.try_into().ok()?),
                (_, true) => u64::from_be_bytes(b.try_into().ok()?),
            })
        };
        let string_at = |ptr: u64| -> Option<Vec<u8>> {
            let hdr = read_mem(ptr, 2 * ptr_size as u64)?;
            let data = word(hdr)?;
            let len = word(&hdr[ptr_size..])?;
            // Module information is kilobytes; 16 MiB bounds a hostile length.
            if len > 16 << 20 {
                return None;
            }
            read_mem(data, len).map(<[u8]>::to_vec)
        };
        let v = string_at(word(&header[16..])?)?;
        let m = word(&header[16 + ptr_size..]).and_then(string_at).unwrap_or_default();
        (v, m)
    };
    // The module information is framed by 16-byte binary sentinels.
    let modinfo = if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        &modinfo[16..modinfo.len() - 16]
    } else {
        &[][..]
    };
    Some(BuildInfo {
        version: crate::text::from_bytes(&version),
        modinfo: crate::text::from_bytes(modinfo),
    })
}

/// NUL-delimited names in `region` that contain `needle`, bounded to 512
/// bytes each side of the match.
fn names_containing<'a>(region: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
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
fn has_name(region: &[u8], prefix: &str) -> bool {
    let mut pat = Vec::with_capacity(prefix.len() + 2);
    pat.push(0);
    pat.extend_from_slice(prefix.as_bytes());
    if !prefix.ends_with('.') {
        pat.push(0);
    }
    memchr::memmem::find(region, &pat).is_some()
}

/// The most packages reported as pulling cgo in: real programs have a
/// handful, and a hostile file must not turn stub-like names into
/// unbounded memory and output.
pub const MAX_CGO_PACKAGES: usize = 1000;

/// Adds to `out` the packages whose cmd/cgo stubs (`pkg._Cfunc_name`,
/// `pkg._C2func_name`, `pkg._Cmacro_name`, `pkg._Cvar_name`) appear in
/// `names`, up to [`MAX_CGO_PACKAGES`] in all.
fn cgo_packages_in<'a>(out: &mut BTreeSet<String>, names: impl Iterator<Item = &'a [u8]>) {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"._C"));
    for name in names {
        if out.len() >= MAX_CGO_PACKAGES {
            return;
        }
        // Cheap filter first: most symbols have no "._C" at all.
        let Some(i) = FINDER.find(name) else { continue };
        let rest = &name[i..];
        if !["._Cfunc_", "._C2func_", "._Cmacro_", "._Cvar_"]
            .iter()
            .any(|m| rest.starts_with(m.as_bytes()))
        {
            continue;
        }
        let Ok(pkg) = std::str::from_utf8(&name[..i]) else {
            continue;
        };
        let pkg = pkg.strip_prefix("type:").unwrap_or(pkg);
        let ok = !pkg.is_empty()
            && pkg.chars().all(|c| c.is_ascii_alphanumeric() || "./_-~".contains(c))
            && pkg != "runtime"
            && pkg != "runtime/cgo";
        if ok && !out.contains(pkg) {
            out.insert(pkg.to_string());
        }
    }
}

/// Go facts for a file, or `None` when it is not a Go program.
pub fn analyze(input: &GoInput<'_>) -> Option<GoFacts> {
    analyze_seen(input).map(|(facts, _)| facts)
}

/// What the pass over the symbol tables saw that is a fact about the
/// program rather than about Go, so that no second pass is needed.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// `.symtab` or `.dynsym` names musl's start code, `__init_libc`: a
    /// static cgo program linked against musl.
    pub init_libc: bool,
}

/// [`analyze`], with what else the symbol pass saw.
pub(crate) fn analyze_seen<'a>(input: &GoInput<'a>) -> Option<(GoFacts, Seen)> {
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
    // The function table is scanned only when the symbol table is gone
    // (`-s`) or is not the program's (no `runtime.` function: a damaged
    // sh_link, say): .symtab names the same functions, and reading a large
    // Go binary's table costs time and memory.
    // Every Go function has a symbol: fewer symbols than the function table
    // counts means the table was cut short. Only a named table is read
    // for this: searching a large file for an unnamed one costs more than
    // the check is worth.
    let nfunc = input.pclntab.and_then(pcln_nfunc).unwrap_or(0);
    let symtab_usable = symtab.runtime && symtab.count >= nfunc;
    let (pcln, pcln_files) = if symtab_usable {
        (&[][..], &[][..])
    } else {
        let (names, files) = input.pclntab_region().map(pcln_tables).unwrap_or_default();
        let cap = |t: &'a [u8]| &t[..t.len().min(MAX_PCLNTAB_SCAN)];
        (cap(names), cap(files))
    };
    let mut evidence = Vec::new();
    for (source, scan) in [("symtab", &symtab), ("dynsym", &dynsym)] {
        let hits: Vec<&str> = CGO_SYMBOLS.iter().copied().filter(|s| scan.cgo.contains(s)).collect();
        if !hits.is_empty() {
            evidence.push(Evidence {
                source,
                detail: format!("runtime/cgo symbols {}", hits.join(", ")),
            });
        }
    }
    if let Some((interp, needed)) = &input.dynamic {
        evidence.push(Evidence {
            source: "dynamic",
            detail: format!("PT_INTERP {interp} and DT_NEEDED {}", needed.join(", ")),
        });
    }
    // runtime/cgo's own source files: `runtime/cgo/x.go` (-trimpath) or
    // `<GOROOT>/src/runtime/cgo/x.go`, not any directory of that name.
    let cgo_runtime_in_pcln = pcln_files.starts_with(b"runtime/cgo/")
        || memchr::memmem::find(pcln_files, b"\0runtime/cgo/").is_some()
        || memchr::memmem::find(pcln_files, b"/src/runtime/cgo/").is_some();
    if cgo_runtime_in_pcln {
        evidence.push(Evidence {
            source: "pclntab",
            detail: "runtime/cgo source files in the Go function table".to_string(),
        });
    }
    let mut packages = BTreeSet::new();
    if symtab_usable {
        cgo_packages_in(&mut packages, input.symtab.containing(b"._C"));
    }
    // One search for what the four stub markers (`._Cfunc_`, `._C2func_`,
    // `._Cmacro_`, `._Cvar_`) share; cgo_packages_in checks the rest.
    cgo_packages_in(&mut packages, names_containing(pcln, b"._C"));
    // Every program that uses cgo links runtime/cgo: without that evidence,
    // stub-like names are Go functions that only look like stubs
    // (`func _Cfunc_x()` is legal Go).
    if evidence.is_empty() {
        packages.clear();
    }
    if !packages.is_empty() && !pcln.is_empty() && !cgo_runtime_in_pcln {
        evidence.push(Evidence {
            source: "pclntab",
            detail: format!(
                "cgo stubs of {}",
                packages.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
        });
    }
    let cgo_symbols: Vec<String> = CGO_SYMBOLS
        .iter()
        .filter(|s| symtab.cgo.contains(*s) || dynsym.cgo.contains(*s))
        .map(|s| s.to_string())
        .collect();

    // Files read at run time.
    let mut runtime_files = Vec::new();
    let symtab = if symtab_usable { symtab } else { NameScan::default() };
    if symtab.x509 || has_name(pcln, "crypto/x509.") {
        runtime_files.push(RuntimeFile {
            path: "/etc/ssl/certs/ca-certificates.crt",
            package: "crypto/x509",
            reason: "TLS verification loads the system CA bundle",
        });
    }
    let tzdata = symtab.tzdata || has_name(pcln, "time/tzdata.");
    if (symtab.load_location || has_name(pcln, "time.LoadLocation")) && !tzdata {
        runtime_files.push(RuntimeFile {
            path: "/usr/share/zoneinfo",
            package: "time",
            reason: "time.LoadLocation reads zoneinfo (import _ \"time/tzdata\" to embed it)",
        });
    }
    if symtab.user || has_name(pcln, "os/user.") {
        runtime_files.push(RuntimeFile {
            path: "/etc/passwd",
            package: "os/user",
            reason: "user and group lookups read /etc/passwd and /etc/group",
        });
    }

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
        cgo: !evidence.is_empty(),
        cgo_symbols,
        cgo_evidence: evidence,
        cgo_packages: packages.into_iter().collect(),
        runtime_files,
    };
    Some((facts, seen))
}

/// Go input for a Mach-O file (thin, or the first slice of a fat file).
pub fn macho_input(bytes: &[u8]) -> Option<GoInput<'_>> {
    use goblin::mach::{Mach, SingleArch};
    // goblin's Mach-O parser computes the entry address without checking
    // for overflow, which panics in builds with overflow checks: check those
    // numbers first, and contain any other panic.
    if !macho_entry_in_range(bytes) {
        return None;
    }
    let parsed = std::panic::catch_unwind(|| Mach::parse(bytes).ok()).ok().flatten()?;
    let macho = match parsed {
        Mach::Binary(m) => m,
        Mach::Fat(fat) => match fat.get(0).ok()? {
            SingleArch::MachO(m) => m,
            SingleArch::Archive(_) => return None,
        },
    };
    let mut input = GoInput {
        bytes,
        ..GoInput::default()
    };
    for seg in macho.segments.iter() {
        input.segments.push(Segment {
            vaddr: seg.vmaddr,
            offset: seg.fileoff,
            size: seg.filesize,
        });
        // Go's reader: the first non-empty segment mapped read-write.
        if input.data.is_none() && seg.vmaddr != 0 && seg.filesize != 0 && seg.initprot == 3 && seg.maxprot == 3 {
            input.data = usize::try_from(seg.fileoff)
                .ok()
                .zip(usize::try_from(seg.filesize).ok())
                .and_then(|(o, n)| bytes.get(o..o.checked_add(n)?));
        }
        for (sect, data) in seg.sections().ok().into_iter().flatten() {
            let name = sect.name().unwrap_or_default();
            match name {
                "__go_buildinfo" => input.buildinfo = Some(data),
                "__gopclntab" => input.pclntab = Some(data),
                _ => {}
            }
        }
    }
    if let Some(syms) = macho.symbols.as_ref() {
        // LC_SYMTAB's nsyms can claim more symbols than the file holds: stop
        // at the first one that cannot be read.
        input.symtab = Names::List(
            syms.iter()
                .take(bytes.len() / 16)
                .map_while(Result::ok)
                .map(|(n, _)| n.strip_prefix('_').unwrap_or(n).as_bytes())
                .collect(),
        );
    }
    Some(input)
}

/// Whether a thin little-endian Mach-O file's `__TEXT` vmaddr − fileoff +
/// LC_MAIN entryoff stays within 64 bits (the entry address goblin
/// computes). Other layouts (fat, big-endian) are refused.
fn macho_entry_in_range(b: &[u8]) -> bool {
    let u32_at = |o: usize| b.get(o..o + 4).map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]));
    let u64_at = |o: usize| {
        b.get(o..o + 8)
            .map(|x| u64::from_le_bytes(x.try_into().unwrap_or([0; 8])))
    };
    let (is64, header) = match u32_at(0) {
        Some(0xfeed_facf) => (true, 32),
        Some(0xfeed_face) => (false, 28),
        _ => return false,
    };
    let Some(ncmds) = u32_at(16) else { return false };
    let mut off = header;
    let (mut base, mut entry) = (None, 0u64);
    for _ in 0..ncmds.min(4096) {
        let (Some(cmd), Some(size)) = (u32_at(off), u32_at(off + 4)) else {
            return false;
        };
        let text = b.get(off + 8..off + 15) == Some(b"__TEXT\0".as_slice());
        match (cmd, is64) {
            (0x19, true) if text => {
                let (Some(vmaddr), Some(fileoff)) = (u64_at(off + 24), u64_at(off + 40)) else {
                    return false;
                };
                let Some(b) = vmaddr.checked_sub(fileoff) else {
                    return false;
                };
                base = Some(b);
            }
            (0x1, false) if text => {
                let (Some(vmaddr), Some(fileoff)) = (u32_at(off + 24), u32_at(off + 32)) else {
                    return false;
                };
                let Some(b) = u64::from(vmaddr).checked_sub(u64::from(fileoff)) else {
                    return false;
                };
                base = Some(b);
            }
            (0x8000_0028, _) => entry = u64_at(off + 8).unwrap_or(0),
            _ => {}
        }
        if size < 8 {
            return false;
        }
        off += size as usize;
    }
    base.is_none_or(|b| b.checked_add(entry).is_some())
}

/// Go input for a PE file.
pub fn pe_input(bytes: &[u8]) -> Option<GoInput<'_>> {
    let pe = goblin::pe::PE::parse(bytes).ok()?;
    let mut input = GoInput {
        bytes,
        ..GoInput::default()
    };
    // Go's reader: the first section that is only initialised, readable,
    // writable data (IMAGE_SCN_CNT_INITIALIZED_DATA | MEM_READ | MEM_WRITE,
    // alignment bits aside).
    const DATA: u32 = 0x0000_0040 | 0x4000_0000 | 0x8000_0000;
    const ALIGN_32: u32 = 0x0060_0000;
    for s in &pe.sections {
        input.segments.push(Segment {
            vaddr: pe.image_base.wrapping_add(u64::from(s.virtual_address)),
            offset: u64::from(s.pointer_to_raw_data),
            size: u64::from(s.size_of_raw_data.min(s.virtual_size.max(s.size_of_raw_data))),
        });
        if input.data.is_none()
            && s.virtual_address != 0
            && s.size_of_raw_data != 0
            && s.characteristics & !ALIGN_32 == DATA
        {
            let o = s.pointer_to_raw_data as usize;
            input.data = bytes.get(o..o.saturating_add(s.size_of_raw_data as usize));
        }
    }
    Some(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uvarint_matches_go() {
        assert_eq!(uvarint(&[0x07]), Some((7, 1)));
        assert_eq!(uvarint(&[0x96, 0x01]), Some((150, 2)));
        assert_eq!(uvarint(&[0x80; 11]), None);
    }

    #[test]
    fn inline_block_with_hostile_length_is_rejected() {
        let mut b = BUILDINFO_MAGIC.to_vec();
        b.extend_from_slice(&[8, 2]);
        b.resize(32, 0);
        b.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(decode(&b, &|_, _| None), None);
    }

    #[test]
    fn cgo_package_names() {
        let names: [&[u8]; 5] = [
            b"net._C2func_getaddrinfo",
            b"os/user._Cfunc_mygetpwnam_r",
            b"main._Cfunc_add",
            b"runtime._cgo_panic_internal",
            b"github.com/mattn/go-sqlite3._Cfunc_sqlite3_open_v2",
        ];
        let mut got = BTreeSet::new();
        cgo_packages_in(&mut got, names.into_iter());
        let got: Vec<String> = got.into_iter().collect();
        assert_eq!(got, ["github.com/mattn/go-sqlite3", "main", "net", "os/user"]);
    }

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

    #[test]
    fn settings_are_unquoted_by_go_rules() {
        // The bytes as Go writes them (runtime/debug.BuildSetting.String,
        // strconv.Quote), kept as lossless text the way decode() keeps them.
        let raw = br#"build	-ldflags="-s -w -X \"main.v=a b\""
build	-gcflags="all=-N \t\x41\101\u00e9\U0001F600"
build	"we=ird"=x
build	bad="\q"
build	plain=a\b
"#;
        let info = BuildInfo {
            version: "go1.23.5".into(),
            modinfo: crate::text::from_bytes(raw),
        };
        let s = info.settings();
        assert_eq!(s["-ldflags"], r#"-s -w -X "main.v=a b""#);
        assert_eq!(s["-gcflags"], "all=-N \tAA\u{e9}\u{1F600}");
        assert_eq!(s["we=ird"], "x");
        // Not valid Go quoting, or not quoted: kept, backslashes as `\\`.
        assert_eq!(s["bad"], r#""\\q""#);
        assert_eq!(s["plain"], r"a\\b");
        assert_eq!(go_unquote(br#""\400""#), None);
        assert_eq!(go_unquote(br#""\x+1""#), None);
    }

    #[test]
    fn dep_lines_with_replacement() {
        let info = BuildInfo {
            version: "go1.23.5".into(),
            modinfo: "path\tex/app\nmod\tex/app\t(devel)\t\ndep\tgithub.com/mattn/go-sqlite3\tv1.14.16\t\n=>\t/src/sqlite\t(devel)\t\ndep\tgolang.org/x/sys\tv0.1.0\th1:abc=\nbuild\t-tags=netgo,osusergo\nbuild\tCGO_ENABLED=0\n".into(),
        };
        let deps = info.deps();
        assert_eq!(deps.len(), 2);
        assert_eq!(deps[0].path, "github.com/mattn/go-sqlite3");
        assert_eq!(deps[0].replace.as_ref().unwrap().path, "/src/sqlite");
        assert_eq!(deps[1].sum.as_deref(), Some("h1:abc="));
        assert_eq!(info.main_module().unwrap().version, "(devel)");
        assert_eq!(info.settings()["-tags"], "netgo,osusergo");
    }
}
