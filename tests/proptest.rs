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

#[path = "common/elf_fields.rs"]
mod elf_fields;

use std::path::Path;
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

use dlcheck::elf::Linkage;
use dlcheck::{Options, Report, analyze};
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, RngSeed};

use elf_fields::{
    DT_NEEDED, DT_STRSZ, DT_STRTAB, DT_VERNEED, DT_VERNEEDNUM, Field, Layout, dyn_entries, ehdr_field, elf_layout,
    field, foreign_fields, phdr_field, phdr_value, phdrs, put, read, verneed_fields,
};

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
const KINDS: [(&str, u8); 13] = [
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
    ("debug_info", 4),
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
    match report.error() {
        None => {
            prop_assert!(report.elf().is_some(), "{what}: no error and no ELF facts");
            prop_assert!(code <= 1, "{what}: no error but exit code {code}");
        }
        Some(e) => {
            let kind = KINDS.iter().find(|(k, _)| *k == e.kind());
            prop_assert!(kind.is_some(), "{what}: undocumented error kind {:?}", e.kind());
            prop_assert_eq!(kind.unwrap().1, e.exit_code(), "{}: exit code of {}", what, e.kind());
            prop_assert_eq!(code, e.exit_code());
            let message = e.to_string();
            prop_assert!(
                !message.is_empty() && !message.contains('\n'),
                "{what}: error message is not one line: {:?}",
                message
            );
        }
    }
    Ok(report)
}

// ---------------------------------------------------------------------------
// Mutations (field locations: tests/common/elf_fields.rs)

/// The ELF header fields the tests change, in the order the fixed seeds draw them.
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

/// The program-header fields the tests change, in the order the fixed seeds draw them.
const PHDR_FIELDS: [&str; 5] = ["p_offset", "p_filesz", "p_vaddr", "p_memsz", "p_type"];

/// The dynamic tags the tests change: those that lead to the needed libraries and the version needs.
const DT_TAGS: [u64; 5] = [DT_NEEDED, DT_STRTAB, DT_STRSZ, DT_VERNEED, DT_VERNEEDNUM];

/// The version-need chain's fields the tests change (all but vna_flags), with their names.
fn verneed_chain(b: &[u8], l: Layout) -> Vec<(Field, &'static str)> {
    let mut fields = verneed_fields(b, l);
    fields.retain(|&(_, name)| name != "vna_flags");
    fields
}

/// Header, program-header and dynamic values of the file, so that an
/// overwrite can make two tables overlap.
fn related(b: &[u8]) -> Vec<u64> {
    let Some(l) = elf_layout(b) else {
        return Vec::new();
    };
    let mut out: Vec<u64> = EHDR_FIELDS
        .iter()
        .filter_map(|n| read(b, ehdr_field(l, n), l.le))
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
            let fields = verneed_chain(b, l);
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
            let fields = verneed_chain(&b, l);
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
                let elf = analyze(fixture(i), &Options::default()).elf().cloned().unwrap();
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
        match (r.error(), r.elf()) {
            (Some(e), _) => prop_assert!(
                ["malformed_elf", "empty", "unknown_format"].contains(&e.kind()),
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

/// The Dockerfile fixtures of testdata/dockerfiles, read once.
fn dockerfiles() -> &'static [(String, String)] {
    static CACHE: OnceLock<Vec<(String, String)>> = OnceLock::new();
    CACHE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/dockerfiles");
        let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let p = e.unwrap().path();
                let name = p.file_name()?.to_str()?.strip_suffix(".Dockerfile")?.to_string();
                Some((name, std::fs::read_to_string(&p).unwrap()))
            })
            .collect();
        out.sort();
        out
    })
}

proptest! {
    #![proptest_config(config(384, 0xD0CF11E))]

    /// Any text (any Unicode, line breaks, quotes, `$`, backslashes) put
    /// into a real Dockerfile at any character gets a check or a parse
    /// error, never a panic (a Japanese comment once made the parser slice
    /// inside a character).
    #[test]
    fn dockerfiles_with_any_text(
        fx in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), "(\\PC|[\\n\\r\\t \\\\$\"'\\[\\]{}=#-]){0,16}"), 1..4),
    ) {
        let (name, text) = fx.get(dockerfiles());
        let mut text = text.clone();
        for (at, insert) in &edits {
            let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
            text.insert_str(*at.get(&bounds), insert);
        }
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/dockerfiles");
        let settings = dlcheck::dockerfile::Settings {
            context: Some(dir.join("context")),
            ..Default::default()
        };
        let path = dir.join(format!("{name}.Dockerfile"));
        let (tx, rx) = mpsc::channel();
        let t = text.clone();
        std::thread::spawn(move || {
            let _ = tx.send(dlcheck::dockerfile::check(&path, &t, &settings, None).map(|_| ()));
        });
        match rx.recv_timeout(TIME_LIMIT) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => prop_assert!(!e.message.is_empty(), "{name}: an empty parse error for {text:?}"),
            Err(mpsc::RecvTimeoutError::Timeout) => prop_assert!(false, "{name}: no answer within {TIME_LIMIT:?} for {text:?}"),
            Err(mpsc::RecvTimeoutError::Disconnected) => prop_assert!(false, "{name}: panicked on {text:?}"),
        }
    }
}
