//! Damaged inputs made by cutting or corrupting real fixtures: each gives
//! either a report or the malformed-ELF error, never a panic, and a damaged
//! PT_INTERP or DT_NEEDED is never mistaken for a static binary.

use std::path::Path;

use dlcheck::elf::Linkage;
use dlcheck::{Options, Report, analyze};
use goblin::elf::program_header::{PT_DYNAMIC, PT_INTERP};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin").join(name)).unwrap()
}

fn check(bytes: &[u8]) -> Report {
    analyze(bytes, &Options::default())
}

fn error_kind(r: &Report) -> Option<&str> {
    r.error.as_ref().map(|e| e.kind)
}

// ELF64 little-endian field access, for patching the x86_64 fixtures.
fn u64_at(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().unwrap())
}
fn put_u64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}
/// Offset of the first program header of type `pt`.
fn phdr(b: &[u8], pt: u32) -> usize {
    let phoff = u64_at(b, 0x20) as usize;
    let phnum = u16::from_le_bytes([b[0x38], b[0x39]]) as usize;
    (0..phnum)
        .map(|i| phoff + i * 56)
        .find(|&o| u32::from_le_bytes(b[o..o + 4].try_into().unwrap()) == pt)
        .unwrap()
}
/// Offset of the d_val of the first dynamic entry with tag `tag`.
fn dyn_val(b: &[u8], tag: u64) -> usize {
    let dynamic = u64_at(b, phdr(b, PT_DYNAMIC) + 8) as usize;
    (0..)
        .map(|i| dynamic + i * 16)
        .find(|&o| u64_at(b, o) == tag)
        .map(|o| o + 8)
        .unwrap()
}

#[test]
fn pt_interp_outside_the_file_is_malformed_not_static() {
    let mut b = fixture("c-dynamic");
    let ph = phdr(&b, PT_INTERP);
    put_u64(&mut b, ph + 8, 0x7fff_0000); // p_offset
    let r = check(&b);
    assert_eq!(error_kind(&r), Some("malformed_elf"));
    assert!(r.error.unwrap().message.contains("PT_INTERP"));
}

#[test]
fn pt_interp_without_nul_is_malformed() {
    let mut b = fixture("c-dynamic");
    let ph = phdr(&b, PT_INTERP);
    let (off, size) = (u64_at(&b, ph + 8) as usize, u64_at(&b, ph + 32) as usize);
    b[off + size - 1] = b'x';
    assert_eq!(error_kind(&check(&b)), Some("malformed_elf"));
}

#[test]
fn unreadable_dt_needed_is_malformed_not_dropped() {
    let mut b = fixture("cxx-dynamic");
    let v = dyn_val(&b, goblin::elf::dynamic::DT_NEEDED);
    put_u64(&mut b, v, 0xffff_ff00);
    let r = check(&b);
    assert_eq!(error_kind(&r), Some("malformed_elf"));
    assert!(r.error.unwrap().message.contains("DT_NEEDED"));
}

#[test]
fn dt_strtab_outside_every_segment_is_malformed() {
    let mut b = fixture("c-dynamic");
    let v = dyn_val(&b, goblin::elf::dynamic::DT_STRTAB);
    put_u64(&mut b, v, 0x7fff_ffff_0000);
    assert_eq!(error_kind(&check(&b)), Some("malformed_elf"));
}

#[test]
fn version_needs_survive_stripped_section_headers() {
    for name in ["c-dynamic", "cxx-dynamic", "go-cgo-net", "rust-release", "c-libssl"] {
        let original = fixture(name);
        let mut b = original.clone();
        put_u64(&mut b, 0x28, 0); // e_shoff
        b[0x3c..0x40].fill(0); // e_shnum, e_shstrndx
        let before = check(&original).elf.unwrap();
        let after = check(&b).elf.unwrap();
        assert!(!before.version_needs.is_empty(), "{name}");
        assert_eq!(after.version_needs, before.version_needs, "{name}");
        assert_eq!(after.needed, before.needed, "{name}");
        assert_eq!(after.interpreter, before.interpreter, "{name}");
    }
}

#[test]
fn a_huge_verneednum_ends() {
    let mut b = fixture("cxx-dynamic");
    let v = dyn_val(&b, 0x6fff_ffff); // DT_VERNEEDNUM
    put_u64(&mut b, v, u64::MAX);
    let r = check(&b);
    // The chain ends at vn_next == 0 as before; the count is only an upper bound.
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.elf.unwrap().version_needs.len(), 3);
}

#[test]
fn huge_header_counts_are_malformed() {
    let mut b = fixture("c-dynamic");
    b[0x38..0x3a].copy_from_slice(&u16::MAX.to_le_bytes()); // e_phnum
    assert_eq!(error_kind(&check(&b)), Some("malformed_elf"));
    let mut b = fixture("c-dynamic");
    put_u64(&mut b, 0x20, u64::MAX - 8); // e_phoff
    assert_eq!(error_kind(&check(&b)), Some("malformed_elf"));
    let mut b = fixture("c-dynamic");
    let ph = phdr(&b, PT_DYNAMIC);
    put_u64(&mut b, ph + 32, u64::MAX); // p_filesz
    assert_eq!(error_kind(&check(&b)), Some("malformed_elf"));
}

/// Every cut through the headers and a sample of cuts after them: a report
/// or the malformed-ELF error, never a panic and never a different verdict
/// on linkage for a cut that keeps PT_INTERP.
#[test]
fn truncation_never_panics() {
    for name in [
        "c-dynamic",
        "cxx-dynamic",
        "c-static-pie",
        "musl-dynamic",
        "c-i386",
        "c-aarch64",
        "go-pie",
    ] {
        let b = fixture(name);
        let full = check(&b).elf.unwrap();
        let mut cuts: Vec<usize> = (0..b.len().min(2048)).collect();
        cuts.extend((2048..b.len()).step_by((b.len() / 97).max(1)));
        for cut in cuts {
            let r = check(&b[..cut]);
            match (&r.error, &r.elf) {
                (Some(e), None) => assert!(
                    ["malformed_elf", "empty", "unknown_format"].contains(&e.kind),
                    "{name} cut at {cut}: {e:?}"
                ),
                (None, Some(elf)) => {
                    if full.linkage != Linkage::Static {
                        assert_ne!(elf.linkage, Linkage::Static, "{name} cut at {cut}")
                    }
                }
                other => panic!("{name} cut at {cut}: {other:?}"),
            }
        }
    }
}

/// Non-UTF-8 and control bytes in DT_NEEDED reach JSON losslessly (backslash
/// and `\xNN` escapes) and the terminal escaped.
#[test]
fn hostile_strings_are_kept_losslessly_and_shown_escaped() {
    let mut b = fixture("c-dynamic");
    let at = b.windows(10).position(|w| w == b"libc.so.6\0").unwrap();
    b[at + 3] = 0xff; // "lib\xff.so.6"
    b[at + 4] = 0x1b; // ESC
    let r = check(&b);
    let elf = r.elf.as_ref().unwrap();
    assert_eq!(elf.needed, ["lib\\xff\u{1b}so.6"]);
    assert_eq!(dlcheck::text::to_bytes(&elf.needed[0]).unwrap(), b"lib\xff\x1bso.6");
    let mut out = Vec::new();
    dlcheck::render::human(&r, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains('\u{1b}'), "raw ESC reached the terminal");
    assert!(text.contains("lib\\xff\\u{1b}so.6"), "{text}");
}

/// Offset of section header `index` (ELF64).
fn shdr(b: &[u8], index: usize) -> usize {
    u64_at(b, 0x28) as usize + index * 64
}

#[test]
fn a_go_binary_cut_at_its_tail_is_still_go() {
    // Go's linker writes the section headers first and .symtab, .strtab and
    // .shstrtab last: one byte less and the section names are gone, but the
    // program (all of its PT_LOAD segments) is whole.
    let whole = check(&fixture("go123-x509-tz"));
    let bytes = fixture("go123-x509-tz");
    let cut = check(&bytes[..bytes.len() - 1]);
    let (g, w) = (cut.go.expect("still Go"), whole.go.unwrap());
    assert_eq!(g.version.as_deref(), Some("go1.23.5"));
    assert_eq!(g.runtime_files, w.runtime_files);
    assert_eq!(
        g.runtime_files.iter().map(|f| f.path).collect::<Vec<_>>(),
        ["/etc/ssl/certs/ca-certificates.crt", "/usr/share/zoneinfo"]
    );
    assert_eq!(cut.elf.unwrap().libc, dlcheck::elf::Libc::None);
}

#[test]
fn a_symtab_linked_to_the_wrong_strings_falls_back_to_the_function_table() {
    // .symtab (section 42) of go123-static-extld with sh_link pointing at
    // .shstrtab (44) instead of .strtab (43): its names are garbage, with no
    // runtime function among them, so the function table decides.
    let mut b = fixture("go123-static-extld");
    let link = shdr(&b, 42) + 40;
    assert_eq!(u32::from_le_bytes(b[link..link + 4].try_into().unwrap()), 43);
    b[link..link + 4].copy_from_slice(&44u32.to_le_bytes());
    let g = check(&b).go.unwrap();
    assert!(g.cgo);
    assert_eq!(g.cgo_packages, ["net", "os/user"]);
    assert_eq!(g.cgo_evidence[0].source, "pclntab");
    assert_eq!(
        g.runtime_files.iter().map(|f| f.package).collect::<Vec<_>>(),
        ["os/user"]
    );
}

#[test]
fn stub_like_names_are_capped() {
    // go115-static without section headers, followed by 5,000 made-up cgo
    // stub names. Its Go 1.15 function table has no separate name table,
    // so the search runs from the table's header to the end of the file and
    // finds them all; the report keeps MAX_CGO_PACKAGES.
    let mut b = fixture("go115-static");
    put_u64(&mut b, 0x28, 0); // e_shoff
    b[0x3c..0x40].fill(0); // e_shnum, e_shstrndx
    for i in 0..5000 {
        b.extend_from_slice(format!("p{i}._Cfunc_x\0").as_bytes());
    }
    let g = check(&b).go.unwrap();
    assert_eq!(g.cgo_packages.len(), dlcheck::go::MAX_CGO_PACKAGES);
    assert!(g.cgo && g.cgo_evidence.iter().any(|e| e.detail.starts_with("cgo stubs of ")));
}
