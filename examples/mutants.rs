//! Hostile-input benchmark: make N mutants of real fixtures and analyse each.
//!
//!     cargo run --release --example mutants -- [N]      (default N = 100000)
//!
//! Mutants mix random byte flips, truncations, and overwrites of ELF header,
//! program-header, section-header, dynamic-entry and version-need fields (and
//! of Mach-O and PE header fields) with huge, tiny and overlapping values,
//! from a fixed-seed xorshift generator, so two runs try the same mutants.
//! Each is analysed inside `catch_unwind` and timed. A mutant that panics is
//! written to `testdata/malformed/<fixture>-<kind>-<index>`; the first mutant
//! of each fixture that takes more than 1 s is written there with a `-slow`
//! suffix; one that runs for more than 120 s (a hang) is written with a
//! `-hang` suffix and the run stops. Prints: mutants tried, panics, timeouts (over 1 s), the slowest
//! mutant, total time, outcomes by error kind, and peak RSS.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dlcheck::{Options, analyze};

const FIXTURES: &[&str] = &[
    "c-dynamic",
    "cxx-dynamic",
    "go-cgo-net-stripped",
    "c-static-pie",
    "musl-dynamic",
    "c-aarch64",
    "c-i386",
    "go123-macho",
    "go123-pe.exe",
    "c-static",
    "go-pie",
    "rust-release",
    "libdemo.so.1",
];

const SEED: u64 = 0x6d75_7461_6e74_7321; // "mutants!"
const TIMEOUT: Duration = Duration::from_secs(1);
const HANG: Duration = Duration::from_secs(120);

/// xorshift64*: tiny, fixed-seed, good enough to pick mutations.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

/// A field of the file: byte offset and width (1, 2, 4 or 8 bytes).
#[derive(Clone, Copy)]
struct Field {
    off: usize,
    width: usize,
}

#[derive(Clone, Copy)]
struct Layout {
    is64: bool,
    le: bool,
}

fn get(b: &[u8], off: usize, width: usize, le: bool) -> Option<u64> {
    let s = b.get(off..off.checked_add(width)?)?;
    let mut v = 0u64;
    for i in 0..width {
        let byte = if le { s[width - 1 - i] } else { s[i] };
        v = (v << 8) | u64::from(byte);
    }
    Some(v)
}

fn put(b: &mut [u8], off: usize, width: usize, le: bool, v: u64) {
    let Some(s) = off.checked_add(width).and_then(|end| b.get_mut(off..end)) else {
        return;
    };
    for (i, byte) in s.iter_mut().enumerate() {
        let shift = if le { 8 * i } else { 8 * (width - 1 - i) };
        *byte = (v >> shift) as u8;
    }
}

fn elf_layout(b: &[u8]) -> Option<Layout> {
    if !b.starts_with(b"\x7fELF") || b.len() < 0x34 {
        return None;
    }
    let is64 = b[4] == 2;
    if is64 && b.len() < 0x40 {
        return None;
    }
    Some(Layout { is64, le: b[5] != 2 })
}

fn field(off: usize, width: usize) -> Field {
    Field { off, width }
}

/// ELF header fields: e_type, e_entry, e_phoff, e_shoff, e_phentsize,
/// e_phnum, e_shentsize, e_shnum, e_shstrndx.
fn ehdr_fields(l: Layout) -> Vec<Field> {
    if l.is64 {
        vec![
            field(0x10, 2),
            field(0x18, 8),
            field(0x20, 8),
            field(0x28, 8),
            field(0x36, 2),
            field(0x38, 2),
            field(0x3a, 2),
            field(0x3c, 2),
            field(0x3e, 2),
        ]
    } else {
        vec![
            field(0x10, 2),
            field(0x18, 4),
            field(0x1c, 4),
            field(0x20, 4),
            field(0x2a, 2),
            field(0x2c, 2),
            field(0x2e, 2),
            field(0x30, 2),
            field(0x32, 2),
        ]
    }
}

/// Offsets of the program headers that lie inside the file.
fn phdrs(b: &[u8], l: Layout) -> Vec<usize> {
    let (phoff, phnum, size) = if l.is64 {
        (get(b, 0x20, 8, l.le), get(b, 0x38, 2, l.le), 56)
    } else {
        (get(b, 0x1c, 4, l.le), get(b, 0x2c, 2, l.le), 32)
    };
    let (Some(phoff), Some(phnum)) = (phoff, phnum) else {
        return Vec::new();
    };
    (0..phnum.min(256) as usize)
        .filter_map(|i| {
            let off = usize::try_from(phoff).ok()?.checked_add(i * size)?;
            (off.checked_add(size)? <= b.len()).then_some(off)
        })
        .collect()
}

/// `(p_type, p_offset, p_vaddr, p_filesz)` of the program header at `ph`.
fn phdr(b: &[u8], l: Layout, ph: usize) -> Option<(u64, u64, u64, u64)> {
    if l.is64 {
        Some((
            get(b, ph, 4, l.le)?,
            get(b, ph + 8, 8, l.le)?,
            get(b, ph + 16, 8, l.le)?,
            get(b, ph + 32, 8, l.le)?,
        ))
    } else {
        Some((
            get(b, ph, 4, l.le)?,
            get(b, ph + 4, 4, l.le)?,
            get(b, ph + 8, 4, l.le)?,
            get(b, ph + 16, 4, l.le)?,
        ))
    }
}

/// p_type, p_offset, p_vaddr, p_filesz, p_memsz of the program header at `ph`.
fn phdr_fields(l: Layout, ph: usize) -> Vec<Field> {
    if l.is64 {
        vec![
            field(ph, 4),
            field(ph + 8, 8),
            field(ph + 16, 8),
            field(ph + 32, 8),
            field(ph + 40, 8),
        ]
    } else {
        vec![
            field(ph, 4),
            field(ph + 4, 4),
            field(ph + 8, 4),
            field(ph + 16, 4),
            field(ph + 20, 4),
        ]
    }
}

/// File offset of virtual address `vaddr`, through the PT_LOAD segments.
fn vaddr_to_off(b: &[u8], l: Layout, vaddr: u64) -> Option<usize> {
    phdrs(b, l).into_iter().find_map(|ph| {
        let (ty, off, va, filesz) = phdr(b, l, ph)?;
        if ty != 1 || vaddr < va || vaddr - va >= filesz {
            return None;
        }
        usize::try_from(off.checked_add(vaddr - va)?).ok()
    })
}

/// `(entry offset, d_tag, d_val)` of each dynamic entry, up to DT_NULL.
fn dyn_entries(b: &[u8], l: Layout) -> Vec<(usize, u64, u64)> {
    let w = if l.is64 { 8 } else { 4 };
    let Some((off, filesz)) = phdrs(b, l)
        .into_iter()
        .filter_map(|ph| phdr(b, l, ph))
        .find(|p| p.0 == 2)
        .map(|p| (p.1, p.3))
    else {
        return Vec::new();
    };
    let (Ok(off), Ok(filesz)) = (usize::try_from(off), usize::try_from(filesz)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for i in 0..(filesz / (2 * w)).min(1024) {
        let e = off.saturating_add(i * 2 * w);
        let (Some(tag), Some(val)) = (get(b, e, w, l.le), get(b, e.saturating_add(w), w, l.le)) else {
            break;
        };
        out.push((e, tag, val));
        if tag == 0 {
            break;
        }
    }
    out
}

const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;
const DT_STRSZ: u64 = 10;
const DT_VERNEED: u64 = 0x6fff_fffe;
const DT_VERNEEDNUM: u64 = 0x6fff_ffff;
const DYN_TAGS: &[u64] = &[
    DT_NEEDED,
    DT_STRTAB,
    DT_STRSZ,
    DT_VERNEED,
    DT_VERNEEDNUM,
    14,          // DT_SONAME
    15,          // DT_RPATH
    29,          // DT_RUNPATH
    6,           // DT_SYMTAB
    0x6fff_fffb, // DT_FLAGS_1
    0,           // DT_NULL
];

/// Fields of the Elf_Verneed / Elf_Vernaux records reached from DT_VERNEED:
/// vn_cnt, vn_file, vn_aux, vn_next; vna_flags, vna_other, vna_name, vna_next.
fn verneed_fields(b: &[u8], l: Layout) -> Vec<Field> {
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
        out.extend([
            field(off.saturating_add(2), 2),
            field(off.saturating_add(4), 4),
            field(off.saturating_add(8), 4),
            field(off.saturating_add(12), 4),
        ]);
        let mut a = off.saturating_add(aux as usize);
        for _ in 0..cnt.min(32) {
            let Some(anext) = get(b, a.saturating_add(12), 4, l.le) else {
                break;
            };
            out.extend([
                field(a.saturating_add(4), 2),
                field(a.saturating_add(6), 2),
                field(a.saturating_add(8), 4),
                field(a.saturating_add(12), 4),
            ]);
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

/// sh_name, sh_type, sh_offset, sh_size, sh_link, sh_entsize of each
/// section header inside the file.
fn shdr_fields(b: &[u8], l: Layout) -> Vec<Field> {
    let (shoff, shnum, size) = if l.is64 {
        (get(b, 0x28, 8, l.le), get(b, 0x3c, 2, l.le), 64)
    } else {
        (get(b, 0x20, 4, l.le), get(b, 0x30, 2, l.le), 40)
    };
    let (Some(Ok(shoff)), Some(shnum)) = (shoff.map(usize::try_from), shnum) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for i in 0..shnum as usize {
        let Some(sh) = shoff
            .checked_add(i * size)
            .filter(|&s| s.saturating_add(size) <= b.len())
        else {
            break;
        };
        if l.is64 {
            out.extend([
                field(sh, 4),
                field(sh + 4, 4),
                field(sh + 24, 8),
                field(sh + 32, 8),
                field(sh + 40, 4),
                field(sh + 56, 8),
            ]);
        } else {
            out.extend([
                field(sh, 4),
                field(sh + 4, 4),
                field(sh + 16, 4),
                field(sh + 20, 4),
                field(sh + 24, 4),
                field(sh + 36, 4),
            ]);
        }
    }
    out
}

/// Header fields of a Mach-O (64-bit, little-endian) or PE file: counts,
/// sizes, offsets and addresses.
fn foreign_fields(b: &[u8]) -> Vec<Field> {
    let mut out = Vec::new();
    if b.starts_with(b"MZ") {
        out.push(field(0x3c, 4)); // e_lfanew
        let Some(pe) = get(b, 0x3c, 4, true).map(|v| v as usize) else {
            return out;
        };
        let coff = pe + 4;
        out.extend([
            field(coff + 2, 2),
            field(coff + 8, 4),
            field(coff + 12, 4),
            field(coff + 16, 2),
        ]);
        let opt = coff + 20;
        let pe32plus = get(b, opt, 2, true) == Some(0x20b);
        out.push(if pe32plus {
            field(opt + 24, 8)
        } else {
            field(opt + 28, 4)
        }); // ImageBase
        let nsect = get(b, coff + 2, 2, true).unwrap_or(0) as usize;
        let sects = opt + get(b, coff + 16, 2, true).unwrap_or(0) as usize;
        for i in 0..nsect.min(32) {
            let s = sects + i * 40;
            out.extend([field(s + 8, 4), field(s + 12, 4), field(s + 16, 4), field(s + 20, 4)]);
        }
    } else if b.starts_with(&[0xcf, 0xfa, 0xed, 0xfe]) {
        out.extend([field(16, 4), field(20, 4)]); // ncmds, sizeofcmds
        let ncmds = get(b, 16, 4, true).unwrap_or(0) as usize;
        let mut lc = 32usize;
        for _ in 0..ncmds.min(64) {
            let (Some(cmd), Some(size)) = (get(b, lc, 4, true), get(b, lc + 4, 4, true)) else {
                break;
            };
            out.push(field(lc + 4, 4));
            match cmd {
                0x19 => {
                    // LC_SEGMENT_64: vmaddr, vmsize, fileoff, filesize, nsects
                    out.extend([
                        field(lc + 24, 8),
                        field(lc + 32, 8),
                        field(lc + 40, 8),
                        field(lc + 48, 8),
                    ]);
                    out.push(field(lc + 64, 4));
                    let nsects = get(b, lc + 64, 4, true).unwrap_or(0) as usize;
                    for s in 0..nsects.min(32) {
                        let sect = lc + 72 + s * 80;
                        out.extend([field(sect + 32, 8), field(sect + 40, 8), field(sect + 48, 4)]);
                    }
                }
                // LC_SYMTAB: symoff, nsyms, stroff, strsize
                0x2 => out.extend([
                    field(lc + 8, 4),
                    field(lc + 12, 4),
                    field(lc + 16, 4),
                    field(lc + 20, 4),
                ]),
                _ => {}
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

/// Values that make parsers misbehave: 0, 1, maxima and near-maxima, the
/// sign bit, the file's length and around it, values that wrap backwards
/// ("point back"), and other fields' values (overlapping tables).
fn interesting(rng: &mut XorShift, width: usize, len: usize, related: &[u64]) -> u64 {
    let max = if width >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * width)) - 1
    };
    let len = len as u64;
    let r = rng.next();
    let v = match rng.below(17) {
        0 => 0,
        1 => 1,
        2 => max,
        3 => max - (r % 64),
        4 => 1 << (8 * width - 1),
        5 => len,
        6 => len.saturating_sub(1 + r % 64),
        7 => len + r % 4096,
        8 => len / 2,
        9 if !related.is_empty() => related[(r % related.len() as u64) as usize],
        10 if !related.is_empty() => related[(r % related.len() as u64) as usize]
            .wrapping_add((r >> 32) % 128)
            .wrapping_sub(64),
        11 => 16,
        12 => 0u64.wrapping_sub(16 * (1 + r % 4)), // a relative "next" that points back
        13 => r % 256,
        14 => r % (len + 1),
        15 => (max >> 1) + (r % 3),
        _ => r,
    };
    v & max
}

/// Values of the header, program-header and dynamic fields, for overlaps.
fn related_values(b: &[u8], l: Option<Layout>) -> Vec<u64> {
    let Some(l) = l else {
        return Vec::new();
    };
    let mut out: Vec<u64> = ehdr_fields(l)
        .iter()
        .filter_map(|f| get(b, f.off, f.width, l.le))
        .collect();
    for ph in phdrs(b, l) {
        if let Some((_, off, vaddr, filesz)) = phdr(b, l, ph) {
            out.extend([off, vaddr, filesz, vaddr.wrapping_add(filesz)]);
        }
    }
    out.extend(dyn_entries(b, l).iter().map(|e| e.2));
    out
}

/// Mutation kinds, as named in reproducer file names.
const KINDS: &[&str] = &[
    "flip", "truncate", "ehdr", "phdr", "dyn", "verneed", "shdr", "foreign", "mix",
];

fn overwrite(b: &mut [u8], rng: &mut XorShift, fields: &[Field], le: bool, related: &[u64]) -> bool {
    if fields.is_empty() {
        return false;
    }
    let f = fields[rng.below(fields.len() as u64) as usize];
    let v = interesting(rng, f.width, b.len(), related);
    put(b, f.off, f.width, le, v);
    true
}

/// Apply one mutation of kind `kind` (an index into [`KINDS`]). Returns
/// false when the kind does not apply to this file (no such table).
fn mutate_once(b: &mut Vec<u8>, rng: &mut XorShift, kind: usize) -> bool {
    let layout = elf_layout(b);
    let le = layout.is_none_or(|l| l.le);
    let related = related_values(b, layout);
    match KINDS[kind] {
        "flip" => {
            if b.is_empty() {
                return false;
            }
            for _ in 0..1 + rng.below(8) {
                // Half of the flips land in the first 4 KiB, where the headers are.
                let span = if rng.next() & 1 == 0 {
                    b.len().min(4096)
                } else {
                    b.len()
                };
                let pos = rng.below(span as u64) as usize;
                b[pos] ^= (rng.next() as u8) | 1;
            }
            true
        }
        "truncate" => {
            let cut = match rng.below(3) {
                0 => rng.below(b.len().min(4096) as u64) as usize,
                1 => rng.below(b.len() as u64) as usize,
                _ => b.len().saturating_sub(1 + rng.below(4096) as usize),
            };
            b.truncate(cut);
            true
        }
        "ehdr" => layout.is_some_and(|l| overwrite(b, rng, &ehdr_fields(l), le, &related)),
        "phdr" => layout.is_some_and(|l| {
            let ph = phdrs(b, l);
            if ph.is_empty() {
                return false;
            }
            let p = ph[rng.below(ph.len() as u64) as usize];
            overwrite(b, rng, &phdr_fields(l, p), le, &related)
        }),
        "dyn" => layout.is_some_and(|l| {
            let w = if l.is64 { 8 } else { 4 };
            let entries: Vec<_> = dyn_entries(b, l);
            let wanted: Vec<_> = entries.iter().filter(|e| DYN_TAGS.contains(&e.1)).collect();
            if wanted.is_empty() {
                return false;
            }
            let (e, _, _) = *wanted[rng.below(wanted.len() as u64) as usize];
            if rng.below(4) == 0 {
                // Retag: a second DT_STRTAB, a DT_NEEDED made of a random value ...
                let tag = DYN_TAGS[rng.below(DYN_TAGS.len() as u64) as usize];
                put(b, e, w, l.le, tag);
            } else {
                let v = interesting(rng, w, b.len(), &related);
                put(b, e + w, w, l.le, v);
            }
            true
        }),
        "verneed" => layout.is_some_and(|l| {
            let fields = verneed_fields(b, l);
            overwrite(b, rng, &fields, le, &related)
        }),
        "shdr" => layout.is_some_and(|l| {
            let fields = shdr_fields(b, l);
            overwrite(b, rng, &fields, le, &related)
        }),
        "foreign" => {
            let mut fields = foreign_fields(b);
            if fields.is_empty() {
                // Any aligned word in the first 4 KiB.
                let width = [2usize, 4, 8][rng.below(3) as usize];
                let slots = b.len().min(4096) / width;
                if slots == 0 {
                    return false;
                }
                fields.push(field(rng.below(slots as u64) as usize * width, width));
            }
            overwrite(b, rng, &fields, le, &related)
        }
        _ => {
            let mut any = false;
            for _ in 0..2 + rng.below(3) {
                let k = rng.below(KINDS.len() as u64 - 1) as usize;
                any |= mutate_once(b, rng, k);
            }
            any
        }
    }
}

/// Make a mutant of `base`: pick a kind, falling back to byte flips when
/// the kind does not apply (no dynamic section, not ELF ...).
fn mutant(base: &[u8], rng: &mut XorShift) -> (Vec<u8>, &'static str) {
    let mut b = base.to_vec();
    let kind = rng.below(KINDS.len() as u64) as usize;
    if mutate_once(&mut b, rng, kind) {
        (b, KINDS[kind])
    } else {
        mutate_once(&mut b, rng, 0);
        (b, KINDS[0])
    }
}

fn peak_rss_mib() -> f64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the rusage struct it is given.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    if rc != 0 {
        return f64::NAN;
    }
    ru.ru_maxrss as f64 / 1024.0 // kilobytes on Linux
}

/// The mutant being analysed, for the watchdog: its bytes, its name, and
/// when it started.
type Current = Mutex<Option<(Arc<Vec<u8>>, String, Instant)>>;

fn save(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    if let Err(e) = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, bytes)) {
        eprintln!("cannot write {}: {e}", path.display());
    }
    path
}

fn main() {
    let n: u64 = match std::env::args().nth(1) {
        None => 100_000,
        Some(a) => a.parse().unwrap_or_else(|_| {
            eprintln!("usage: mutants [N]   (N: the number of mutants, default 100000)");
            std::process::exit(2)
        }),
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out_dir = root.join("testdata/malformed");
    let fixtures: Vec<(&str, Vec<u8>)> = FIXTURES
        .iter()
        .map(|name| {
            let path = root.join("testdata/bin").join(name);
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (*name, bytes)
        })
        .collect();

    // Panics are counted, not printed: the hook records where each happened.
    let last_panic: Arc<Mutex<String>> = Arc::default();
    {
        let last_panic = Arc::clone(&last_panic);
        std::panic::set_hook(Box::new(move |info| {
            let at = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let msg = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            *last_panic.lock().unwrap_or_else(|e| e.into_inner()) = format!("{at}: {msg}");
        }));
    }

    // A mutant that never ends would stop the loop: the watchdog saves it and exits.
    let current: Arc<Current> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (current, done, out_dir) = (Arc::clone(&current), Arc::clone(&done), out_dir.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                let guard = current.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((bytes, name, start)) = guard.as_ref()
                    && start.elapsed() > HANG
                {
                    let path = save(&out_dir, &format!("{name}-hang"), bytes);
                    eprintln!("HANG: {name} still running after {HANG:?}; saved to {}", path.display());
                    std::process::exit(1);
                }
            }
        })
    };

    let opts = Options::default();
    let mut rng = XorShift(SEED);
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_kind: BTreeMap<&str, u64> = BTreeMap::new();
    let (mut panics, mut timeouts) = (0u64, 0u64);
    let mut slowest = (Duration::ZERO, String::new());
    let mut saved = Vec::new();
    let mut slow_saved = BTreeSet::new();
    let started = Instant::now();
    for i in 0..n {
        let (fixture, base) = &fixtures[rng.below(fixtures.len() as u64) as usize];
        let (bytes, kind) = mutant(base, &mut rng);
        *by_kind.entry(kind).or_default() += 1;
        let name = format!("{fixture}-{kind}-{i}");
        let bytes = Arc::new(bytes);
        let t = Instant::now();
        *current.lock().unwrap_or_else(|e| e.into_inner()) = Some((Arc::clone(&bytes), name.clone(), t));
        let result = std::panic::catch_unwind(|| analyze(&bytes, &opts));
        let elapsed = t.elapsed();
        *current.lock().unwrap_or_else(|e| e.into_inner()) = None;
        if elapsed > slowest.0 {
            slowest = (elapsed, name.clone());
        }
        if elapsed > TIMEOUT {
            timeouts += 1;
            // One per fixture is enough to reproduce, and they are large files.
            if slow_saved.insert(*fixture) {
                let path = save(&out_dir, &format!("{name}-slow"), &bytes);
                eprintln!("slow: {name} took {elapsed:?}; saved to {}", path.display());
                saved.push(path);
            } else {
                eprintln!("slow: {name} took {elapsed:?}");
            }
        }
        let outcome = match result {
            Ok(report) => {
                let code = report.exit_code();
                assert!(code <= 5, "{name}: exit code {code}");
                report.error.map_or_else(|| "ok".to_string(), |e| e.kind.to_string())
            }
            Err(_) => {
                panics += 1;
                let at = last_panic.lock().unwrap_or_else(|e| e.into_inner()).clone();
                let path = save(&out_dir, &name, &bytes);
                eprintln!("PANIC: {name} at {at}; saved to {}", path.display());
                saved.push(path);
                "panic".to_string()
            }
        };
        *outcomes.entry(outcome).or_default() += 1;
    }
    let total = started.elapsed();
    done.store(true, Ordering::Relaxed);
    watchdog.join().ok();

    println!("fixtures           {}", FIXTURES.join(", "));
    println!("seed               {SEED:#x}");
    println!("mutants tried      {n}");
    println!("panics             {panics}");
    println!("timeouts (> {}s)    {timeouts}", TIMEOUT.as_secs());
    println!(
        "slowest mutant     {:.1} ms ({})",
        slowest.0.as_secs_f64() * 1e3,
        slowest.1
    );
    println!("total time         {:.1} s", total.as_secs_f64());
    println!("peak RSS           {:.1} MiB", peak_rss_mib());
    println!("mutations");
    for (kind, count) in &by_kind {
        println!("  {kind:<16} {count}");
    }
    println!("outcomes");
    for (kind, count) in &outcomes {
        println!("  {kind:<16} {count}");
    }
    for path in &saved {
        println!("reproducer         {}", path.display());
    }
    if panics > 0 || timeouts > 0 {
        std::process::exit(1);
    }
}
