//! Go binaries: cgo decided from evidence (including stripped binaries),
//! the packages that pulled cgo in, the fix, and the reverse traps. The
//! expected values follow from how each fixture was built
//! (testdata/build.sh, testdata/src/): which packages it imports, its
//! CGO_ENABLED, tags and link flags.

use std::path::Path;

use crate::verdicts::msgs;
use dlcheck::go::{EvidenceSource, GoFacts};
use dlcheck::{Options, Report, analyze};

fn run(name: &str) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin").join(name);
    analyze(
        &std::fs::read(path).unwrap(),
        &Options {
            distro: "debian12".into(),
            ..Default::default()
        },
    )
}

fn go(name: &str) -> GoFacts {
    run(name)
        .go()
        .cloned()
        .unwrap_or_else(|| panic!("{name}: not recognised as Go"))
}

fn sources(g: &GoFacts) -> Vec<&str> {
    g.cgo_evidence
        .iter()
        .map(|e| match e.source {
            EvidenceSource::Symtab => "symtab",
            EvidenceSource::Dynsym => "dynsym",
            EvidenceSource::Dynamic => "dynamic",
            EvidenceSource::Pclntab => "pclntab",
        })
        .collect()
}

#[test]
fn cgo_and_the_packages_that_pulled_it_in() {
    let cases: &[(&str, bool, &[&str])] = &[
        ("go115-static", false, &[]),
        ("go115-cgo-net", true, &["net"]),
        ("go123-static", false, &[]),
        ("go123-cgo-net", true, &["net"]),
        ("go123-cgo-user", true, &["os/user"]),
        ("go123-importc", true, &["main"]),
        // CGO_ENABLED=1 but netgo,osusergo: no cgo code at all.
        ("go123-netgo-osusergo", false, &[]),
        // Tags remove net's cgo; the user's own C stays.
        ("go123-importc-netgo", true, &["main"]),
        ("go123-cgo-stripped", true, &["net"]),
        ("go123-static-extld", true, &["net", "os/user"]),
        ("go123-arm64", false, &[]),
        ("go123-sqlite-nocgo", false, &[]),
        ("go-cgo-net-stripped", true, &["net"]),
    ];
    for (name, cgo, packages) in cases {
        let g = go(name);
        assert_eq!(g.cgo, *cgo, "{name}: cgo ({:?})", g.cgo_evidence);
        assert_eq!(g.cgo_packages, *packages, "{name}: cgo packages");
        assert_eq!(g.cgo, !g.cgo_evidence.is_empty(), "{name}");
    }
}

#[test]
fn cgo_evidence_survives_stripping() {
    // -s -w drops .symtab; .dynsym exports, PT_INTERP/DT_NEEDED and the
    // function table remain.
    let g = go("go123-cgo-stripped");
    assert_eq!(sources(&g), ["dynsym", "dynamic", "pclntab"]);
    assert_eq!(g.cgo_symbols, ["crosscall2", "_cgo_panic", "_cgo_topofstack"]);
    // With a symbol table, the function table is not needed.
    let g = go("go123-cgo-net");
    assert_eq!(sources(&g), ["symtab", "dynsym", "dynamic"]);
    assert!(g.cgo_symbols.contains(&"x_cgo_init".to_string()));
    // Static external link: no dynamic section, the symbols show it.
    let g = go("go123-static-extld");
    assert_eq!(sources(&g), ["symtab"]);
}

#[test]
fn build_info_of_every_layout_and_format() {
    // Pre-1.18 pointer layout.
    let g = go("go115-static");
    assert_eq!(g.version.as_deref(), Some("go1.15.15"));
    assert_eq!(g.path.as_deref(), Some("dlcheck.test/go115hello"));
    assert!(g.settings.is_empty(), "Go 1.15 records no build settings");
    // Mach-O and PE, with the reason they cannot run.
    for (name, goos, kind) in [("go123-macho", "darwin", "mach_o"), ("go123-pe.exe", "windows", "pe")] {
        let r = run(name);
        assert_eq!(r.error().unwrap().kind(), kind);
        let g = r.go().unwrap();
        assert_eq!(g.version.as_deref(), Some("go1.23.5"), "{name}");
        assert_eq!(g.settings["GOOS"], goos, "{name}");
        assert_eq!(g.settings["-buildmode"], "exe", "{name}");
    }
    let g = go("go123-arm64");
    assert_eq!(g.settings["GOARCH"], "arm64");
    assert_eq!(g.settings["GOARM64"], "v8.0");
}

#[test]
fn the_fix_names_the_image_after_it() {
    let w = msgs(run("go123-cgo-net").warnings());
    assert_eq!(
        w,
        [
            "cgo is linked in, pulled in by net (its cgo DNS resolver, net._C2func_getaddrinfo), so it needs glibc's loader and libc and cannot run on static: build with CGO_ENABLED=0 (or -tags netgo,osusergo) for Go's pure resolver and user lookups, and it runs on gcr.io/distroless/static-debian12"
        ]
    );
    let w = msgs(run("go123-importc").warnings());
    assert_eq!(
        w,
        [
            "cgo is linked in, pulled in by main (import \"C\"), so it needs glibc's loader and libc and cannot run on static: main needs its C code, so keep cgo and gcr.io/distroless/base-nossl-debian12"
        ]
    );
    assert!(run("go123-netgo-osusergo").warnings().is_empty());
}

#[test]
fn reverse_trap_and_static_glibc() {
    let w = msgs(run("go123-sqlite-nocgo").warnings());
    assert_eq!(w.len(), 1);
    assert!(w[0].starts_with("github.com/mattn/go-sqlite3 needs cgo, but this binary was built with CGO_ENABLED=0"));
    // Static glibc reaching NSS: warned; musl-static and pure Go are not.
    let w = msgs(run("go123-static-extld").warnings());
    assert!(
        w.iter()
            .any(|m| m.starts_with("statically linked glibc that calls getaddrinfo")),
        "{w:?}"
    );
    for name in ["musl-static", "go123-static", "c-static"] {
        assert!(
            !msgs(run(name).warnings()).iter().any(|m| m.contains("libnss")),
            "{name} has no NSS calls"
        );
    }
}

#[test]
fn runtime_files() {
    let files = |n: &str| go(n).runtime_files.iter().map(|f| f.path).collect::<Vec<_>>();
    assert_eq!(
        files("go123-x509-tz"),
        ["/etc/ssl/certs/ca-certificates.crt", "/usr/share/zoneinfo"]
    );
    // time/tzdata embedded: no zoneinfo needed.
    assert_eq!(files("go123-tzdata"), Vec::<&str>::new());
    assert_eq!(files("go123-cgo-user"), ["/etc/passwd"]);
    assert_eq!(files("go123-static"), Vec::<&str>::new());
}

#[test]
fn a_program_of_8_mib_or_more_gets_the_same_report() {
    // From 8 MiB a file's ELF facts and Go facts are read on two threads.
    // Zeros after the last byte its headers name change nothing that is
    // read: the padded program's report is the program's, byte for byte,
    // and its facts are what the fixtures were built to have.
    let opts = Options {
        distro: "debian12".into(),
        ..Default::default()
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin");
    for name in ["go123-osexec-stripped", "go123-cgo-stripped", "go123-cgo-net"] {
        let small = std::fs::read(dir.join(name)).unwrap();
        assert!(small.len() < 8 << 20, "{name} is no longer small");
        let mut big = small.clone();
        big.resize(9 << 20, 0);
        let (a, b) = (analyze(&small, &opts), analyze(&big, &opts));
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap(),
            "{name}"
        );
        let elf = b.elf().unwrap();
        let go = b.go().unwrap();
        match name {
            // exec.Command("/bin/sh", ...) in a stripped program: the
            // function table shows os/exec, .rodata the shell.
            "go123-osexec-stripped" => {
                assert_eq!(elf.shell_calls, ["os/exec /bin/sh"]);
                assert!(!go.cgo);
            }
            "go123-cgo-stripped" => assert_eq!(sources(go), ["dynsym", "dynamic", "pclntab"]),
            _ => assert_eq!(sources(go), ["symtab", "dynsym", "dynamic"]),
        }
    }
}
