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
    r.error().map(|e| e.kind())
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
    assert!(r.error().unwrap().to_string().contains("PT_INTERP"));
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
    assert!(r.error().unwrap().to_string().contains("DT_NEEDED"));
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
        let before = check(&original).elf().cloned().unwrap();
        let after = check(&b).elf().cloned().unwrap();
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
    assert!(r.error().is_none(), "{:?}", r.error());
    assert_eq!(r.elf().unwrap().version_needs.len(), 3);
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
        let full = check(&b).elf().cloned().unwrap();
        let mut cuts: Vec<usize> = (0..b.len().min(2048)).collect();
        cuts.extend((2048..b.len()).step_by((b.len() / 97).max(1)));
        for cut in cuts {
            let r = check(&b[..cut]);
            match (r.error(), r.elf()) {
                (Some(e), None) => assert!(
                    ["malformed_elf", "empty", "unknown_format"].contains(&e.kind()),
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
    let elf = r.elf().unwrap();
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
fn a_binary_cut_at_its_tail_is_malformed() {
    // Go's linker writes the section headers first and .symtab, .strtab and
    // .shstrtab last: one byte less and the last section runs past the end.
    // The program's PT_LOAD segments are whole, but the facts the sections
    // give (cgo's symbols, the names passed to dlopen, a shell's path) would
    // be lost without a word: a cut file is malformed (exit 5), as one cut
    // inside its headers is.
    let bytes = fixture("go123-x509-tz");
    assert!(check(&bytes).error().is_none());
    let cut = check(&bytes[..bytes.len() - 1]);
    assert_eq!(error_kind(&cut), Some("malformed_elf"));
    let message = cut.error().unwrap().to_string();
    assert!(
        message.contains("section 13 (SHT_STRTAB, 168 bytes at offset 0x27fccc)")
            && message.contains("runs past the end of the file"),
        "{message}"
    );
    // GNU ld writes the section headers last: ten bytes less and the table
    // runs past the end (it was read as absent, and the report lost
    // c-dynamic's facts from .dynsym's sections).
    let bytes = fixture("c-dynamic");
    let cut = check(&bytes[..bytes.len() - 10]);
    assert_eq!(error_kind(&cut), Some("malformed_elf"));
    assert!(
        cut.error().unwrap().to_string().contains("section headers at offset"),
        "{:?}",
        cut.error()
    );
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
    let g = check(&b).go().cloned().unwrap();
    assert!(g.cgo);
    assert_eq!(g.cgo_packages, ["net", "os/user"]);
    assert_eq!(g.cgo_evidence[0].source, dlcheck::go::EvidenceSource::Pclntab);
    assert_eq!(
        g.runtime_files.iter().map(|f| f.package).collect::<Vec<_>>(),
        ["os/user"]
    );
    // Nor does the static-glibc NSS check trust those names: the loader's
    // "libnss_" string still tells.
    let w = check(&b)
        .warnings()
        .iter()
        .map(|w| w.message.clone())
        .collect::<Vec<_>>();
    assert!(
        w.iter()
            .any(|w| w.starts_with("statically linked glibc that calls the NSS module loader")),
        "{w:?}"
    );
}

#[test]
fn stub_like_names_are_capped() {
    // go115-cgo-net without section headers, followed by 5,000 made-up cgo
    // stub names. Its Go 1.15 function table has no separate name table,
    // so the search runs from the table's header to the end of the file and
    // finds them all; the report keeps MAX_CGO_PACKAGES.
    let mut b = fixture("go115-cgo-net");
    put_u64(&mut b, 0x28, 0); // e_shoff
    b[0x3c..0x40].fill(0); // e_shnum, e_shstrndx
    for i in 0..5000 {
        b.extend_from_slice(format!("p{i}._Cfunc_x\0").as_bytes());
    }
    let g = check(&b).go().cloned().unwrap();
    assert_eq!(g.cgo_packages.len(), dlcheck::go::MAX_CGO_PACKAGES);
    assert!(g.cgo_packages.contains(&"net".to_string()));
    // Without runtime/cgo, stub-like names are only names: go115-static.
    let mut b = fixture("go115-static");
    put_u64(&mut b, 0x28, 0);
    b[0x3c..0x40].fill(0);
    for i in 0..50 {
        b.extend_from_slice(format!("p{i}._Cfunc_x\0").as_bytes());
    }
    let g = check(&b).go().cloned().unwrap();
    assert!(!g.cgo && g.cgo_packages.is_empty() && g.cgo_evidence.is_empty());
}

/// Removes the section headers (e_shoff, e_shnum, e_shstrndx = 0).
fn drop_section_headers(b: &mut [u8]) {
    put_u64(b, 0x28, 0);
    b[0x3c..0x40].fill(0);
}

/// A Go build information header (Go 1.18+ inline layout) naming `version`.
fn buildinfo_block(version: &str) -> Vec<u8> {
    let mut b = b"\xff Go buildinf:".to_vec();
    b.extend_from_slice(&[8, 2]);
    b.resize(32, 0);
    b.push(version.len() as u8);
    b.extend_from_slice(version.as_bytes());
    b.push(0);
    b
}

/// `(p_offset, p_filesz)` of the largest PT_LOAD whose p_flags are `flags`
/// (ELF64).
fn load_segment(b: &[u8], flags: u32) -> (usize, usize) {
    let phoff = u64_at(b, 0x20) as usize;
    let phnum = u16::from_le_bytes([b[0x38], b[0x39]]) as usize;
    (0..phnum)
        .map(|i| phoff + i * 56)
        .filter(|&o| {
            u32::from_le_bytes(b[o..o + 4].try_into().unwrap()) == 1
                && u32::from_le_bytes(b[o + 4..o + 8].try_into().unwrap()) == flags
        })
        .map(|o| (u64_at(b, o + 8) as usize, u64_at(b, o + 32) as usize))
        .max_by_key(|&(_, size)| size)
        .unwrap()
}

#[test]
fn build_info_is_looked_for_where_go_puts_it() {
    // c-static without section headers, with a build information block in
    // its read-only data segment, then in its writable one off alignment:
    // Go's reader looks only in the writable segment, at offsets from its
    // start that are multiples of 16, so neither makes a C program a Go
    // one. Aligned in the writable segment, it does.
    let fresh = fixture("c-static");
    let (ro, ro_size) = load_segment(&fresh, 4); // PF_R
    let (rw, rw_size) = load_segment(&fresh, 6); // PF_R | PF_W
    assert!(ro_size > 0x2000 && rw_size > 0x2000);
    for (at, is_go) in [(ro + 0x1000, false), (rw + 0x1001, false), (rw + 0x1000, true)] {
        let mut b = fresh.clone();
        drop_section_headers(&mut b);
        let block = buildinfo_block("go1.99.1");
        b[at..at + block.len()].copy_from_slice(&block);
        let r = check(&b);
        assert_eq!(r.go().is_some(), is_go, "{at:#x}");
        if is_go {
            assert_eq!(r.go().unwrap().version.as_deref(), Some("go1.99.1"));
        }
    }
}

#[test]
fn runtime_cgo_files_are_whole_file_names() {
    // go123-static (no cgo) without section headers: its function table is
    // read. One file name rewritten as runtime/cgo's is evidence; the same
    // inside another directory (myruntime/cgo/) is not.
    let whole = fixture("go123-static");
    let at = memchr::memmem::find(&whole, b"\0internal/cpu/cpu.go\0").unwrap() + 1;
    for (name, cgo) in [(&b"runtime/cgo/abc1.go"[..], true), (b"xruntime/cgo/cpu.go", false)] {
        let mut b = whole.clone();
        drop_section_headers(&mut b);
        b[at..at + name.len()].copy_from_slice(name);
        let g = check(&b).go().cloned().unwrap();
        assert_eq!(g.cgo, cgo, "{}", String::from_utf8_lossy(name));
    }
}

#[test]
fn a_symtab_cut_short_gives_way_to_the_function_table() {
    // .symtab (section 42) of go123-static-extld cut to a tenth: it still
    // names runtime functions, but fewer symbols than the function table
    // has functions, so the function table decides.
    let mut b = fixture("go123-static-extld");
    let size = shdr(&b, 42) + 32;
    let full = u64_at(&b, size);
    put_u64(&mut b, size, full / 10 / 24 * 24);
    let g = check(&b).go().cloned().unwrap();
    assert!(g.cgo);
    assert_eq!(g.cgo_packages, ["net", "os/user"]);
}

#[test]
fn damaged_function_table_offsets_fall_back_to_the_whole_table() {
    // go123-cgo-stripped's .gopclntab header: swap the name and file table
    // offsets (words 3..5 and 5..7). The program still runs (the runtime
    // does not read them); the facts must not change.
    let intact = check(&fixture("go123-cgo-stripped")).go().cloned().unwrap();
    let mut b = fixture("go123-cgo-stripped");
    let elf = goblin::elf::Elf::parse(&b).unwrap();
    let table = elf
        .section_headers
        .iter()
        .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(".gopclntab"))
        .unwrap()
        .sh_offset as usize;
    drop(elf);
    assert_eq!(b[table..table + 4], 0xffff_fff1u32.to_le_bytes());
    let h = table + 8;
    let words: Vec<u64> = (0..8).map(|i| u64_at(&b, h + 8 * i)).collect();
    for (i, w) in [(3, words[5]), (4, words[6]), (5, words[3]), (6, words[4])] {
        put_u64(&mut b, h + 8 * i, w);
    }
    let g = check(&b).go().cloned().unwrap();
    assert!(g.cgo);
    assert_eq!(g.cgo_packages, intact.cgo_packages);
    assert_eq!(g.runtime_files, intact.runtime_files);
    assert_eq!(g.cgo_evidence, intact.cgo_evidence);
}

#[test]
fn without_a_usable_symtab_the_function_table_tells_the_files_read_at_run_time() {
    // .symtab linked to .shstrtab instead of .strtab: its names are garbage
    // and the function table's names decide: crypto/x509, then
    // time.LoadLocation and, only for a program that has it, time/tzdata.
    for (name, files) in [
        (
            "go123-x509-tz",
            &["/etc/ssl/certs/ca-certificates.crt", "/usr/share/zoneinfo"][..],
        ),
        ("go123-tzdata", &[][..]),
        ("go123-static", &[][..]),
    ] {
        let mut b = fixture(name);
        let (symtab, shstrndx) = {
            let elf = goblin::elf::Elf::parse(&b).unwrap();
            let symtab = elf
                .section_headers
                .iter()
                .position(|sh| sh.sh_type == goblin::elf::section_header::SHT_SYMTAB)
                .unwrap();
            (symtab, elf.header.e_shstrndx as u32)
        };
        let link = shdr(&b, symtab) + 40;
        b[link..link + 4].copy_from_slice(&shstrndx.to_le_bytes());
        let g = check(&b).go().cloned().unwrap();
        assert_eq!(
            g.runtime_files.iter().map(|f| f.path).collect::<Vec<_>>(),
            files,
            "{name}"
        );
    }
}
