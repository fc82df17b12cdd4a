//! Property tests: hostile inputs derived from the real fixtures in
//! testdata/bin (byte flips, truncations, and ELF header, program-header,
//! dynamic-entry and version-need fields overwritten with huge, tiny,
//! wrapping and overlapping values; Mach-O and PE header fields too).
//!
//! Properties: `analyze` returns (no panic, within a time limit); the report
//! has no error or an error of a documented kind (README, "JSON output"),
//! and its exit code is 0..=5; a truncated prefix of a dynamically linked
//! fixture is never judged static.
//!
//! The runs are deterministic (fixed seed, no failure persistence) and the
//! case counts are fixed so that the file stays quick in a debug build.

use std::path::Path;
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

use dlcheck::elf::Linkage;
use dlcheck::{Options, Report, analyze};
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, RngSeed};

const FIXTURES: [&str; 9] = [
    "c-dynamic",
    "cxx-dynamic",
    "go-cgo-net-stripped",
    "c-static-pie",
    "musl-dynamic",
    "c-aarch64",
    "c-i386",
    "go123-macho",
    "go123-pe.exe",
];
/// The ELF fixtures among [`FIXTURES`] (indexes).
const ELF: [usize; 7] = [0, 1, 2, 3, 4, 5, 6];
/// The ELF fixtures with a DT_VERNEED chain.
const VERNEED: [usize; 6] = [0, 1, 2, 4, 5, 6];

/// The documented `error.kind` values and their exit codes.
const KINDS: [(&str, u8); 12] = [
    ("not_found", 3),
    ("is_directory", 3),
    ("permission_denied", 3),
    ("not_regular_file", 3),
    ("io", 3),
    ("empty", 4),
    ("script", 4),
    ("mach_o", 4),
    ("pe", 4),
    ("not_executable", 4),
    ("unknown_format", 4),
    ("malformed_elf", 5),
];

/// One input may take this long in a debug build before it counts as a hang.
const TIME_LIMIT: Duration = Duration::from_secs(15);

fn fixture(i: usize) -> &'static [u8] {
    static CACHE: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    &CACHE.get_or_init(|| {
        FIXTURES
            .iter()
            .map(|name| std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin").join(name)).unwrap())
            .collect()
    })[i]
}

fn config(cases: u32, seed: u64) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        max_shrink_iters: 200,
        max_shrink_time: 60_000,
        ..ProptestConfig::default()
    }
}

/// Analyse on another thread, so that a hang fails the case instead of
/// stopping the test run; a panic comes back as an error message.
fn analyze_within(bytes: Vec<u8>) -> Result<Report, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(analyze(&bytes, &Options::default()));
    });
    match rx.recv_timeout(TIME_LIMIT) {
        Ok(report) => Ok(report),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!("analyze did not return within {TIME_LIMIT:?}")),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err("analyze panicked (message above)".to_string()),
    }
}

/// The property every hostile input must satisfy.
fn check(bytes: Vec<u8>, what: &str) -> Result<Report, TestCaseError> {
    let report = analyze_within(bytes).map_err(|e| TestCaseError::fail(format!("{what}: {e}")))?;
    let code = report.exit_code();
    prop_assert!(code <= 5, "{what}: exit code {code}");
    match &report.error {
        None => {
            prop_assert!(report.elf.is_some(), "{what}: no error and no ELF facts");
            prop_assert!(code <= 1, "{what}: no error but exit code {code}");
        }
        Some(e) => {
            let kind = KINDS.iter().find(|(k, _)| *k == e.kind);
            prop_assert!(kind.is_some(), "{what}: undocumented error kind {:?}", e.kind);
            prop_assert_eq!(kind.unwrap().1, e.exit_code, "{}: exit code of {}", what, e.kind);
            prop_assert_eq!(code, e.exit_code);
            prop_assert!(
                !e.message.is_empty() && !e.message.contains('\n'),
                "{what}: error message is not one line: {:?}",
                e.message
            );
        }
    }
    Ok(report)
}

// ---------------------------------------------------------------------------
// Field access (ELF of either class and byte order; Mach-O and PE little-endian)

#[derive(Clone, Copy, Debug)]
struct Field {
    off: usize,
    width: usize,
}

fn field(off: usize, width: usize) -> Field {
    Field { off, width }
}

#[derive(Clone, Copy)]
struct Layout {
    is64: bool,
    le: bool,
}

fn elf_layout(b: &[u8]) -> Option<Layout> {
    let is64 = *b.get(4)? == 2;
    (b.starts_with(b"\x7fELF") && b.len() >= if is64 { 0x40 } else { 0x34 }).then_some(Layout { is64, le: b[5] != 2 })
}

fn get(b: &[u8], off: usize, width: usize, le: bool) -> Option<u64> {
    let s = b.get(off..off.checked_add(width)?)?;
    let mut v = 0u64;
    for i in 0..width {
        v = (v << 8) | u64::from(if le { s[width - 1 - i] } else { s[i] });
    }
    Some(v)
}

fn put(b: &mut [u8], f: Field, le: bool, v: u64) {
    let Some(s) = f.off.checked_add(f.width).and_then(|end| b.get_mut(f.off..end)) else {
        return;
    };
    for (i, byte) in s.iter_mut().enumerate() {
        *byte = (v >> if le { 8 * i } else { 8 * (f.width - 1 - i) }) as u8;
    }
}

/// ELF header fields, by name.
fn ehdr_field(l: Layout, name: &str) -> Field {
    let (off64, off32, width) = match name {
        "e_type" => (0x10, 0x10, 2),
        "e_entry" => (0x18, 0x18, 0),
        "e_phoff" => (0x20, 0x1c, 0),
        "e_shoff" => (0x28, 0x20, 0),
        "e_phentsize" => (0x36, 0x2a, 2),
        "e_phnum" => (0x38, 0x2c, 2),
        "e_shentsize" => (0x3a, 0x2e, 2),
        "e_shnum" => (0x3c, 0x30, 2),
        "e_shstrndx" => (0x3e, 0x32, 2),
        _ => unreachable!("{name}"),
    };
    let word = if l.is64 { 8 } else { 4 };
    field(
        if l.is64 { off64 } else { off32 },
        if width == 0 { word } else { width },
    )
}

const EHDR_FIELDS: [&str; 9] = [
    "e_phnum",
    "e_phoff",
    "e_shoff",
    "e_shnum",
    "e_shstrndx",
    "e_phentsize",
    "e_shentsize",
    "e_type",
    "e_entry",
];

/// Offsets of the program headers inside the file.
fn phdrs(b: &[u8], l: Layout) -> Vec<usize> {
    let phoff = get(b, ehdr_field(l, "e_phoff").off, if l.is64 { 8 } else { 4 }, l.le).unwrap_or(0);
    let phnum = get(b, ehdr_field(l, "e_phnum").off, 2, l.le).unwrap_or(0);
    let size = if l.is64 { 56 } else { 32 };
    (0..phnum.min(256) as usize)
        .filter_map(|i| usize::try_from(phoff).ok()?.checked_add(i * size))
        .filter(|off| off.checked_add(size).is_some_and(|end| end <= b.len()))
        .collect()
}

/// A program-header field: `p_type`, `p_offset`, `p_vaddr`, `p_filesz`, `p_memsz`.
fn phdr_field(l: Layout, ph: usize, name: &str) -> Field {
    let (off64, off32) = match name {
        "p_type" => return field(ph, 4),
        "p_offset" => (8, 4),
        "p_vaddr" => (16, 8),
        "p_filesz" => (32, 16),
        "p_memsz" => (40, 20),
        _ => unreachable!("{name}"),
    };
    if l.is64 {
        field(ph + off64, 8)
    } else {
        field(ph + off32, 4)
    }
}

const PHDR_FIELDS: [&str; 5] = ["p_offset", "p_filesz", "p_vaddr", "p_memsz", "p_type"];

fn phdr_value(b: &[u8], l: Layout, ph: usize, name: &str) -> Option<u64> {
    let f = phdr_field(l, ph, name);
    get(b, f.off, f.width, l.le)
}

fn vaddr_to_off(b: &[u8], l: Layout, vaddr: u64) -> Option<usize> {
    phdrs(b, l).into_iter().find_map(|ph| {
        let (va, filesz) = (phdr_value(b, l, ph, "p_vaddr")?, phdr_value(b, l, ph, "p_filesz")?);
        if phdr_value(b, l, ph, "p_type")? != 1 || vaddr < va || vaddr - va >= filesz {
            return None;
        }
        usize::try_from(phdr_value(b, l, ph, "p_offset")?.checked_add(vaddr - va)?).ok()
    })
}

const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;
const DT_STRSZ: u64 = 10;
const DT_VERNEED: u64 = 0x6fff_fffe;
const DT_VERNEEDNUM: u64 = 0x6fff_ffff;
const DT_TAGS: [u64; 5] = [DT_NEEDED, DT_STRTAB, DT_STRSZ, DT_VERNEED, DT_VERNEEDNUM];

/// `(entry offset, d_tag, d_val)` of each dynamic entry up to DT_NULL.
fn dyn_entries(b: &[u8], l: Layout) -> Vec<(usize, u64, u64)> {
    let w = if l.is64 { 8 } else { 4 };
    let Some(ph) = phdrs(b, l)
        .into_iter()
        .find(|&ph| phdr_value(b, l, ph, "p_type") == Some(2))
    else {
        return Vec::new();
    };
    let off = phdr_value(b, l, ph, "p_offset").unwrap_or(0) as usize;
    let size = phdr_value(b, l, ph, "p_filesz").unwrap_or(0) as usize;
    let mut out = Vec::new();
    for i in 0..(size / (2 * w)).min(1024) {
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

/// Fields of the Elf_Verneed records (vn_cnt, vn_file, vn_aux, vn_next) and
/// their Elf_Vernaux records (vna_other, vna_name, vna_next), in chain order.
fn verneed_fields(b: &[u8], l: Layout) -> Vec<(Field, &'static str)> {
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
            (field(off.saturating_add(2), 2), "vn_cnt"),
            (field(off.saturating_add(4), 4), "vn_file"),
            (field(off.saturating_add(8), 4), "vn_aux"),
            (field(off.saturating_add(12), 4), "vn_next"),
        ]);
        let mut a = off.saturating_add(aux as usize);
        for _ in 0..cnt.min(32) {
            let Some(anext) = get(b, a.saturating_add(12), 4, l.le) else {
                break;
            };
            out.extend([
                (field(a.saturating_add(6), 2), "vna_other"),
                (field(a.saturating_add(8), 4), "vna_name"),
                (field(a.saturating_add(12), 4), "vna_next"),
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

/// Counts, sizes, offsets and addresses in a PE or 64-bit Mach-O header.
fn foreign_fields(b: &[u8]) -> Vec<Field> {
    let mut out = Vec::new();
    if b.starts_with(b"MZ") {
        out.push(field(0x3c, 4)); // e_lfanew
        let coff = get(b, 0x3c, 4, true).unwrap_or(0) as usize + 4;
        // NumberOfSections, PointerToSymbolTable, NumberOfSymbols, SizeOfOptionalHeader
        out.extend([
            field(coff + 2, 2),
            field(coff + 8, 4),
            field(coff + 12, 4),
            field(coff + 16, 2),
        ]);
        let opt = coff + 20;
        out.push(if get(b, opt, 2, true) == Some(0x20b) {
            field(opt + 24, 8)
        } else {
            field(opt + 28, 4)
        }); // ImageBase
        let sects = opt + get(b, coff + 16, 2, true).unwrap_or(0) as usize;
        for i in 0..get(b, coff + 2, 2, true).unwrap_or(0).min(32) as usize {
            let s = sects + 40 * i; // VirtualSize, VirtualAddress, SizeOfRawData, PointerToRawData
            out.extend([field(s + 8, 4), field(s + 12, 4), field(s + 16, 4), field(s + 20, 4)]);
        }
    } else if b.starts_with(&[0xcf, 0xfa, 0xed, 0xfe]) {
        out.extend([field(16, 4), field(20, 4)]); // ncmds, sizeofcmds
        let mut lc = 32;
        for _ in 0..get(b, 16, 4, true).unwrap_or(0).min(64) {
            let (Some(cmd), Some(size)) = (get(b, lc, 4, true), get(b, lc + 4, 4, true)) else {
                break;
            };
            out.push(field(lc + 4, 4));
            if cmd == 0x19 {
                // LC_SEGMENT_64: vmaddr, vmsize, fileoff, filesize, nsects; each section's addr, size, offset
                out.extend([
                    field(lc + 24, 8),
                    field(lc + 32, 8),
                    field(lc + 40, 8),
                    field(lc + 48, 8),
                ]);
                out.push(field(lc + 64, 4));
                for s in 0..get(b, lc + 64, 4, true).unwrap_or(0).min(32) as usize {
                    let sect = lc + 72 + 80 * s;
                    out.extend([field(sect + 32, 8), field(sect + 40, 8), field(sect + 48, 4)]);
                }
            } else if cmd == 0x2 {
                // LC_SYMTAB: symoff, nsyms, stroff, strsize
                out.extend([
                    field(lc + 8, 4),
                    field(lc + 12, 4),
                    field(lc + 16, 4),
                    field(lc + 20, 4),
                ]);
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

/// Header, program-header and dynamic values of the file, so that an
/// overwrite can make two tables overlap.
fn related(b: &[u8]) -> Vec<u64> {
    let Some(l) = elf_layout(b) else {
        return Vec::new();
    };
    let mut out: Vec<u64> = EHDR_FIELDS
        .iter()
        .filter_map(|n| {
            let f = ehdr_field(l, n);
            get(b, f.off, f.width, l.le)
        })
        .collect();
    for ph in phdrs(b, l) {
        for name in PHDR_FIELDS {
            out.extend(phdr_value(b, l, ph, name));
        }
    }
    out.extend(dyn_entries(b, l).iter().map(|e| e.2));
    out
}

/// A hostile value for a field `width` bytes wide, chosen by `sel`:
/// 0, 1, the maximum and just below it, the sign bit, the file length and
/// around it, a "next" offset that wraps to point back, another field's
/// value (overlapping tables) or a raw random value.
fn value(sel: u8, raw: u64, width: usize, len: usize, related: &[u64]) -> u64 {
    let max = if width >= 8 { u64::MAX } else { (1 << (8 * width)) - 1 };
    let len = len as u64;
    let v = match sel % 16 {
        0 => 0,
        1 => 1,
        2 => max,
        3 => max - raw % 64,
        4 => 1 << (8 * width - 1),
        5 => len,
        6 => len.saturating_sub(1 + raw % 64),
        7 => len + raw % 4096,
        8 => len / 2,
        9 | 10 if !related.is_empty() => {
            let r = related[(raw % related.len() as u64) as usize];
            if sel % 16 == 9 {
                r
            } else {
                r.wrapping_add((raw >> 32) % 128).wrapping_sub(64)
            }
        }
        11 => 16,
        12 => 0u64.wrapping_sub(16 * (1 + raw % 4)),
        13 => raw % 256,
        14 => raw % (len + 1),
        _ => raw,
    };
    v & max
}

/// Pick one of `n` things with `sel`; `None` when there are none.
fn pick(sel: u64, n: usize) -> Option<usize> {
    (n > 0).then(|| (sel % n as u64) as usize)
}

/// One mutation of the generic kind: `kind` chooses what is changed,
/// `at` where, `sel` and `raw` the value.
#[derive(Clone, Debug)]
struct Mutation {
    kind: u8,
    at: u64,
    sel: u8,
    raw: u64,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    (0u8..7, any::<u64>(), any::<u8>(), any::<u64>()).prop_map(|(kind, at, sel, raw)| Mutation { kind, at, sel, raw })
}

/// Apply `m` to `b`; kinds that do not apply to the file flip a byte instead.
fn apply(b: &mut Vec<u8>, m: &Mutation) {
    let rel = related(b);
    let layout = elf_layout(b);
    let le = layout.is_none_or(|l| l.le);
    let len = b.len();
    let target: Option<Field> = match (m.kind, layout) {
        (2, Some(l)) => Some(ehdr_field(l, EHDR_FIELDS[pick(m.at, EHDR_FIELDS.len()).unwrap()])),
        (3, Some(l)) => {
            let ph = phdrs(b, l);
            pick(m.at, ph.len()).map(|i| phdr_field(l, ph[i], PHDR_FIELDS[(m.at >> 32) as usize % PHDR_FIELDS.len()]))
        }
        (4, Some(l)) => {
            let w = if l.is64 { 8 } else { 4 };
            let entries: Vec<_> = dyn_entries(b, l)
                .into_iter()
                .filter(|e| DT_TAGS.contains(&e.1))
                .collect();
            pick(m.at, entries.len()).map(|i| field(entries[i].0 + w, w))
        }
        (5, Some(l)) => {
            let fields = verneed_fields(b, l);
            pick(m.at, fields.len()).map(|i| fields[i].0)
        }
        (6, _) => {
            let fields = foreign_fields(b);
            pick(m.at, fields.len()).map(|i| fields[i])
        }
        _ => None,
    };
    match (m.kind, target) {
        (1, _) => {
            let cut = match m.sel % 3 {
                0 => m.at % len.min(4096) as u64,
                1 => m.at % len as u64,
                _ => len.saturating_sub(1 + (m.at % 4096) as usize) as u64,
            };
            b.truncate(cut as usize);
        }
        (_, Some(f)) => put(b, f, le, value(m.sel, m.raw, f.width, len, &rel)),
        _ => {
            // A byte flip, half of them in the first 4 KiB where the headers are.
            let span = if m.sel & 1 == 0 { len.min(4096) } else { len };
            let pos = (m.at % span as u64) as usize;
            b[pos] ^= (m.raw as u8) | 1;
        }
    }
}

const SEED: u64 = 0x646c_6368_6563_6b21; // "dlcheck!"

proptest! {
    // Whole-file mutants of every fixture (1.4 MB Go binaries included): the
    // slowest cases, so fewer of them.
    #![proptest_config(config(256, SEED))]

    /// Random byte flips anywhere, and concentrated in the headers.
    #[test]
    fn byte_flips(fx in 0..FIXTURES.len(), flips in prop::collection::vec((any::<u64>(), 1u8..=255, any::<bool>()), 1..16)) {
        let mut b = fixture(fx).to_vec();
        for (at, xor, head) in &flips {
            let span = if *head { b.len().min(4096) } else { b.len() };
            let pos = (at % span as u64) as usize;
            b[pos] ^= xor;
        }
        check(b, &format!("{} with flips {flips:?}", FIXTURES[fx]))?;
    }

    /// Several mutations of any kind on any fixture, Mach-O and PE included.
    #[test]
    fn mixed_mutations(fx in 0..FIXTURES.len(), ms in prop::collection::vec(mutation(), 1..5)) {
        let mut b = fixture(fx).to_vec();
        for m in &ms {
            if b.is_empty() {
                break;
            }
            apply(&mut b, m);
        }
        check(b, &format!("{} with {ms:?}", FIXTURES[fx]))?;
    }
}

proptest! {
    #![proptest_config(config(384, SEED ^ 2))]

    /// Truncation at random offsets of every fixture.
    #[test]
    fn truncations(fx in 0..FIXTURES.len(), cut in any::<u64>(), head in any::<bool>()) {
        let b = fixture(fx);
        let cut = (cut % if head { b.len().min(8192) } else { b.len() } as u64) as usize;
        check(b[..cut].to_vec(), &format!("{} cut at {cut}", FIXTURES[fx]))?;
    }

    /// e_phnum, e_phoff, e_shoff, e_shnum, e_shstrndx (and the entry sizes,
    /// e_type, e_entry) set to huge, tiny or another table's values.
    #[test]
    fn elf_header_fields(fx in prop::sample::select(ELF.to_vec()), name in prop::sample::select(EHDR_FIELDS.to_vec()), sel: u8, raw: u64) {
        let mut b = fixture(fx).to_vec();
        let l = elf_layout(&b).unwrap();
        let f = ehdr_field(l, name);
        let v = value(sel, raw, f.width, b.len(), &related(&b));
        put(&mut b, f, l.le, v);
        check(b, &format!("{} with {name} = {v:#x}", FIXTURES[fx]))?;
    }

    /// p_offset and p_filesz (and p_vaddr, p_memsz, p_type) of any program
    /// header set to huge, tiny or overlapping values.
    #[test]
    fn program_header_fields(fx in prop::sample::select(ELF.to_vec()), at: u64, name in prop::sample::select(PHDR_FIELDS.to_vec()), sel: u8, raw: u64) {
        let mut b = fixture(fx).to_vec();
        let l = elf_layout(&b).unwrap();
        let ph = phdrs(&b, l);
        let i = pick(at, ph.len()).unwrap();
        let f = phdr_field(l, ph[i], name);
        let v = value(sel, raw, f.width, b.len(), &related(&b));
        put(&mut b, f, l.le, v);
        check(b, &format!("{} with program header {i} {name} = {v:#x}", FIXTURES[fx]))?;
    }

    /// DT_STRTAB, DT_STRSZ, DT_VERNEED, DT_VERNEEDNUM and DT_NEEDED values
    /// set to huge, tiny or overlapping values (several at once).
    #[test]
    fn dynamic_entries(fx in prop::sample::select(VERNEED.to_vec()), edits in prop::collection::vec((prop::sample::select(DT_TAGS.to_vec()), any::<u64>(), any::<u8>(), any::<u64>()), 1..4)) {
        let mut b = fixture(fx).to_vec();
        let l = elf_layout(&b).unwrap();
        let w = if l.is64 { 8 } else { 4 };
        let rel = related(&b);
        let mut what = Vec::new();
        for (tag, at, sel, raw) in &edits {
            let entries: Vec<_> = dyn_entries(&b, l).into_iter().filter(|e| e.1 == *tag).collect();
            let Some(i) = pick(*at, entries.len()) else { continue };
            let v = value(*sel, *raw, w, b.len(), &rel);
            put(&mut b, field(entries[i].0 + w, w), l.le, v);
            what.push(format!("tag {tag:#x} #{i} = {v:#x}"));
        }
        check(b, &format!("{} with {}", FIXTURES[fx], what.join(", ")))?;
    }

    /// The Elf_Verneed / Elf_Vernaux chain: counts, names, and vn_next,
    /// vn_aux, vna_next set to 0, to wrap and point back, to point at
    /// themselves or past the end.
    #[test]
    fn version_need_chain(fx in prop::sample::select(VERNEED.to_vec()), edits in prop::collection::vec((any::<u64>(), any::<u8>(), any::<u64>()), 1..4)) {
        let mut b = fixture(fx).to_vec();
        let l = elf_layout(&b).unwrap();
        let rel = related(&b);
        let mut what = Vec::new();
        for (at, sel, raw) in &edits {
            let fields = verneed_fields(&b, l);
            let Some(i) = pick(*at, fields.len()) else { continue };
            let (f, name) = fields[i];
            let v = value(*sel, *raw, f.width, b.len(), &rel);
            put(&mut b, f, l.le, v);
            what.push(format!("{name} at {:#x} = {v:#x}", f.off));
        }
        check(b, &format!("{} with {}", FIXTURES[fx], what.join(", ")))?;
    }
}

/// The full ELF fixture's linkage and interpreter, computed once.
fn full_facts(fx: usize) -> &'static (Linkage, Option<String>) {
    static CACHE: OnceLock<Vec<(Linkage, Option<String>)>> = OnceLock::new();
    let facts = CACHE.get_or_init(|| {
        ELF.iter()
            .map(|&i| {
                let elf = analyze(fixture(i), &Options::default()).elf.unwrap();
                (elf.linkage, elf.interpreter)
            })
            .collect()
    });
    &facts[ELF.iter().position(|&i| i == fx).unwrap()]
}

proptest! {
    #![proptest_config(config(1024, SEED ^ 1))]

    /// A truncated prefix of a dynamically linked fixture is either an error
    /// or still dynamic: never judged static (which would recommend an
    /// image without the loader), and its PT_INTERP is never dropped.
    #[test]
    fn truncated_dynamic_is_never_static(fx in prop::sample::select(ELF.to_vec()), cut: u64, region in 0u8..3) {
        let b = fixture(fx);
        let (full_linkage, full_interp) = full_facts(fx);
        let cut = match region {
            0 => cut % b.len().min(4096) as u64,
            1 => cut % b.len() as u64,
            _ => (b.len() - 1 - (cut % b.len().min(65536) as u64) as usize) as u64,
        } as usize;
        let what = format!("{} cut at {cut} of {}", FIXTURES[fx], b.len());
        let r = check(b[..cut].to_vec(), &what)?;
        match (&r.error, &r.elf) {
            (Some(e), _) => prop_assert!(
                ["malformed_elf", "empty", "unknown_format"].contains(&e.kind),
                "{what}: {e:?}"
            ),
            (None, Some(elf)) => {
                if *full_linkage != Linkage::Static {
                    prop_assert_ne!(elf.linkage, Linkage::Static, "{}", what);
                }
                if matches!(full_linkage, Linkage::Dynamic | Linkage::LoaderOnly) {
                    prop_assert_ne!(elf.linkage, Linkage::StaticPie, "{}", what);
                    prop_assert_eq!(&elf.interpreter, full_interp, "{}", what);
                }
            }
            (None, None) => prop_assert!(false, "{what}: no error and no ELF facts"),
        }
    }
}
