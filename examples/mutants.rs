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

#[path = "../tests/common/elf_fields.rs"]
mod elf_fields;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dlcheck::{Options, analyze};
use elf_fields::{
    DYN_TAGS, Field, Layout, dyn_entries, ehdr_field, elf_layout, field, foreign_fields, get, phdr_field, phdr_value,
    phdrs, put, read, verneed_fields,
};

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

/// The ELF header fields mutated, in header order (the fixed seed's mutants depend on it).
const EHDR_FIELDS: [&str; 9] = [
    "e_type",
    "e_entry",
    "e_phoff",
    "e_shoff",
    "e_phentsize",
    "e_phnum",
    "e_shentsize",
    "e_shnum",
    "e_shstrndx",
];

/// The program-header fields mutated, in header order.
const PHDR_FIELDS: [&str; 5] = ["p_type", "p_offset", "p_vaddr", "p_filesz", "p_memsz"];

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
    let mut out: Vec<u64> = EHDR_FIELDS
        .iter()
        .filter_map(|n| read(b, ehdr_field(l, n), l.le))
        .collect();
    for ph in phdrs(b, l) {
        let value = |name| phdr_value(b, l, ph, name);
        if let (Some(off), Some(vaddr), Some(filesz)) = (value("p_offset"), value("p_vaddr"), value("p_filesz")) {
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
    put(b, f, le, v);
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
        "ehdr" => layout.is_some_and(|l| overwrite(b, rng, &EHDR_FIELDS.map(|n| ehdr_field(l, n)), le, &related)),
        "phdr" => layout.is_some_and(|l| {
            let ph = phdrs(b, l);
            if ph.is_empty() {
                return false;
            }
            let p = ph[rng.below(ph.len() as u64) as usize];
            overwrite(b, rng, &PHDR_FIELDS.map(|n| phdr_field(l, p, n)), le, &related)
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
                put(b, field(e, w), l.le, tag);
            } else {
                let v = interesting(rng, w, b.len(), &related);
                put(b, field(e + w, w), l.le, v);
            }
            true
        }),
        "verneed" => layout.is_some_and(|l| {
            let fields: Vec<Field> = verneed_fields(b, l).into_iter().map(|(f, _)| f).collect();
            overwrite(b, rng, &fields, le, &related)
        }),
        "shdr" => layout.is_some_and(|l| {
            let fields = shdr_fields(b, l);
            overwrite(b, rng, &fields, le, &related)
        }),
        "foreign" => {
            let mut fields = if b.starts_with(b"MZ") && b.len() < 0x40 {
                // Too short to hold e_lfanew: offer it anyway (its overwrite writes nothing), as this
                // example did before it shared foreign_fields; the fixed seed's mutants depend on it.
                vec![field(0x3c, 4)]
            } else {
                foreign_fields(b)
            };
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
                report
                    .error()
                    .map_or_else(|| "ok".to_string(), |e| e.kind().to_string())
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
