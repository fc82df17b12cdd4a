//! Verdicts and recommendations on real fixtures, with the right answers
//! worked out from the binaries' needs (testdata/oracle) and the image
//! facts (shared/reference/distroless-images.json): debian11 has glibc 2.31
//! (GLIBC_2.30 in libc.so.6), debian12 glibc 2.36, debian13 glibc 2.41;
//! libstdc++ and libgcc_s are only in cc; libssl.so.3 is in base/cc of
//! debian12 and 13 (debian11 has libssl.so.1.1); libz.so.1 is only in base
//! and cc of debian13; GLIBC_ABI_DT_RELR exists from debian12. The
//! reference's chroot probes agree: a Debian 12 `hello_c` fails on every
//! debian11 image for GLIBC_2.34, `hello_cc` runs only on cc-debian12/13.

use std::path::Path;

use dlcheck::elf::{Kind, Libc, Linkage};
use dlcheck::report::BinaryReport;
use dlcheck::{Options, Report, analyze};

fn run(name: &str, distro: &str) -> BinaryReport {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin").join(name);
    let opts = Options {
        distro: distro.to_string(),
        ..Default::default()
    };
    match analyze(&std::fs::read(path).unwrap(), &opts) {
        Report::Binary(b) => *b,
        other => panic!("{name} is not judged as a binary: {:?}", other.error()),
    }
}

fn recommended(name: &str, distro: &str) -> Option<String> {
    run(name, distro).recommendation.map(|r| r.image)
}

const D: &str = "gcr.io/distroless/";

#[test]
fn recommendations() {
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("c-static", "debian11", Some("static-debian11")),
        ("c-static-pie", "debian12", Some("static-debian12")),
        ("musl-static", "debian11", Some("static-debian11")),
        ("rust-crt-static", "debian11", Some("static-debian11")),
        ("go-static", "debian11", Some("static-debian11")),
        ("go-arm64", "debian13", Some("static-debian13")),
        // Needs GLIBC_2.34: the oldest newer generation.
        ("c-dynamic", "debian11", Some("base-nossl-debian12")),
        ("c-dynamic", "debian13", Some("base-nossl-debian13")),
        ("c-aarch64", "debian11", Some("base-nossl-debian12")),
        ("c-relr", "debian11", Some("base-nossl-debian12")),
        ("go-cgo-net", "debian11", Some("base-nossl-debian12")),
        ("go-cgo-net-stripped", "debian12", Some("base-nossl-debian12")),
        ("go-cgo-user", "debian11", Some("base-nossl-debian12")),
        // Only the loader: debian11 base-nossl has it.
        ("go-pie", "debian11", Some("base-nossl-debian11")),
        ("libdemo.so.1", "debian11", Some("base-nossl-debian11")),
        ("c-libssl", "debian11", Some("base-debian12")),
        ("c-libz", "debian11", Some("base-debian13")),
        ("c-libz", "debian12", Some("base-debian13")),
        ("cxx-dynamic", "debian11", Some("cc-debian12")),
        ("rust-release", "debian12", Some("cc-debian12")),
        ("musl-dynamic", "debian11", None),
        // pthread_exit makes glibc load libgcc_s.so.1: only cc has it.
        ("c-pthread-exit", "debian12", Some("cc-debian12")),
        ("c-static-nss", "debian12", Some("static-debian12")),
        ("c-i386", "debian12", None),
    ];
    for (name, distro, want) in cases {
        let got = recommended(name, distro);
        let want = want.map(|w| format!("{D}{w}"));
        assert_eq!(got, want, "{name} with --distro {distro}");
    }
}

fn problems(name: &str, image: &str) -> Vec<(String, String)> {
    let r = run(name, "debian11");
    let v = r.images.iter().find(|v| v.image == format!("{D}{image}")).unwrap();
    assert_eq!(v.runs, v.problems.is_empty());
    v.problems
        .iter()
        .map(|p| (p.kind.name().to_string(), p.explanation.clone()))
        .collect()
}

#[test]
fn problems_name_what_is_missing() {
    let p = problems("c-dynamic", "base-debian11");
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].0, "version_missing");
    assert_eq!(
        p[0].1,
        "libc.so.6 in base-debian11 lacks GLIBC_2.34 (it defines up to GLIBC_2.30)"
    );

    let p = problems("go-cgo-net", "cc-debian11");
    assert_eq!(
        p[0].1,
        "libc.so.6 in cc-debian11 lacks GLIBC_2.32, GLIBC_2.34 (it defines up to GLIBC_2.30)"
    );

    let p = problems("c-static", "static-debian11");
    assert!(p.is_empty());

    let p = problems("c-dynamic", "static-debian12");
    let kinds: Vec<&str> = p.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["interpreter_missing", "library_missing"]);
    assert!(p[0].1.contains("/lib64/ld-linux-x86-64.so.2"));

    let p = problems("cxx-dynamic", "base-debian12");
    assert_eq!(
        p[0].1,
        "needs libstdc++.so.6, which base-debian12 does not have (only cc has it)"
    );
    assert_eq!(
        p[1].1,
        "needs libgcc_s.so.1, which base-debian12 does not have (only cc has it)"
    );

    let p = problems("c-libssl", "cc-debian11");
    assert!(
        p.iter().any(
            |(_, m)| m.starts_with("needs libssl.so.3, which cc-debian11 does not have (no debian11 image has it)")
        )
    );

    let p = problems("c-relr", "base-nossl-debian11");
    assert!(p[0].1.contains("GLIBC_ABI_DT_RELR"), "{:?}", p);

    let p = problems("c-i386", "static-debian12");
    // A 32-bit program meets amd64 images (IA32 emulation); they have no
    // 32-bit loader, so exec fails with ENOENT (testdata/crash/*/c-i386.txt).
    assert_eq!(p[0].0, "interpreter_missing");
    assert!(p[0].1.contains("/lib/ld-linux.so.2"), "{}", p[0].1);

    // The RUNPATH binary's libraries are all in the image: no problem at all.
    assert!(
        problems("c-runpath", "base-nossl-debian11")
            .iter()
            .all(|(k, _)| k == "version_missing")
    );
}

#[test]
fn recommendation_reasons() {
    let rec = run("cxx-dynamic", "debian11").recommendation.unwrap();
    assert_eq!(
        rec.reasons,
        [
            "no debian11 image runs it: libc.so.6 in cc-debian11 lacks GLIBC_2.34 (it defines up to GLIBC_2.30)",
            "debian12 is the oldest newer generation that runs it",
            "not static-debian12: PT_INTERP /lib64/ld-linux-x86-64.so.2 is not in the image (static-debian12 has no dynamic loader at all): the kernel cannot start the loader and reports \"no such file or directory\" for the program, which is there",
            "not base-nossl-debian12: needs libstdc++.so.6, which base-nossl-debian12 does not have (only cc has it)",
            "not base-debian12: needs libstdc++.so.6, which base-debian12 does not have (only cc has it)",
            "cc-debian12 has everything it needs: the loader /lib64/ld-linux-x86-64.so.2, 3 DT_NEEDED libraries and 7 symbol versions",
        ]
    );
}

#[test]
fn linkage_libc_and_kind() {
    let cases: &[(&str, Linkage, Libc, Kind)] = &[
        ("c-dynamic", Linkage::Dynamic, Libc::Glibc, Kind::Executable),
        ("c-static", Linkage::Static, Libc::Glibc, Kind::Executable),
        ("c-static-pie", Linkage::StaticPie, Libc::Glibc, Kind::Executable),
        ("rust-crt-static", Linkage::StaticPie, Libc::Glibc, Kind::Executable),
        ("musl-static", Linkage::Static, Libc::Musl, Kind::Executable),
        ("musl-dynamic", Linkage::Dynamic, Libc::Musl, Kind::Executable),
        ("go-static", Linkage::Static, Libc::None, Kind::Executable),
        ("go-pie", Linkage::LoaderOnly, Libc::None, Kind::Executable),
        ("go-cgo-net", Linkage::Dynamic, Libc::Glibc, Kind::Executable),
        ("libdemo.so.1", Linkage::Dynamic, Libc::Glibc, Kind::SharedLibrary),
    ];
    for (name, linkage, libc, kind) in cases {
        let elf = run(name, "debian11").elf;
        assert_eq!((elf.linkage, elf.libc, elf.kind), (*linkage, *libc, *kind), "{name}");
    }
}

#[test]
fn cgo_is_decided_by_evidence() {
    let go = |n: &str| run(n, "debian11").go.unwrap();
    // CGO_ENABLED=0: the runtime's hook variables exist, but no cgo code.
    let g = go("go-static");
    assert!(!g.cgo);
    assert!(g.cgo_symbols.is_empty());
    assert_eq!(g.cgo_enabled_setting.as_deref(), Some("0"));
    let g = go("go-pie");
    assert!(!g.cgo, "loader-only PIE is not cgo");
    // cgo through net: runtime/cgo's C functions in .symtab and .dynsym.
    let g = go("go-cgo-net");
    assert!(g.cgo);
    for s in ["x_cgo_init", "crosscall2", "_cgo_panic", "_cgo_topofstack"] {
        assert!(g.cgo_symbols.iter().any(|x| x == s), "{s} in {:?}", g.cgo_symbols);
    }
    // Stripped with -s -w: .symtab is gone, the .dynsym exports remain.
    let g = go("go-cgo-net-stripped");
    assert!(g.cgo);
    assert_eq!(g.cgo_symbols, ["crosscall2", "_cgo_panic", "_cgo_topofstack"]);
    assert_eq!(g.version.as_deref(), Some("go1.19.8"));
}

#[test]
fn pthread_exit_needs_libgcc_s_at_run_time() {
    let r = run("c-pthread-exit", "debian12");
    let loads = &r.elf.runtime_loads;
    assert_eq!(loads.len(), 1);
    assert_eq!(loads[0].library, "libgcc_s.so.1");
    let base = r
        .images
        .iter()
        .find(|v| v.image == format!("{D}base-debian12"))
        .unwrap();
    assert_eq!(base.problems.len(), 1);
    assert_eq!(base.problems[0].kind.name(), "runtime_library_missing");
    assert_eq!(base.problems[0].kind.library(), Some("libgcc_s.so.1"));
    // A program that links libgcc_s itself, or does not call pthread_exit, has no such need.
    assert!(run("cxx-dynamic", "debian12").elf.runtime_loads.is_empty());
    assert!(run("c-dynamic", "debian12").elf.runtime_loads.is_empty());
}

#[test]
fn static_glibc_with_nss_is_warned() {
    let w = msgs(&run("c-static-nss", "debian12").warnings);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].starts_with("statically linked glibc that calls getaddrinfo"),
        "{w:?}"
    );
    assert!(w[0].contains("getpwnam"));
}

#[test]
fn stripped_static_glibc_with_nss_is_warned_from_the_loader_name() {
    // strip -s removes the function names; glibc's "libnss_" prefix remains.
    let w = msgs(&run("c-static-nss-stripped", "debian12").warnings);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].starts_with("statically linked glibc that calls the NSS module loader (libnss_)"),
        "{w:?}"
    );
}

#[test]
fn static_glibc_that_only_names_an_nss_module_is_not_warned() {
    // Its .symtab lists no NSS function: the string in its data is not a call.
    let r = run("c-static-nss-name", "debian12");
    assert_eq!(msgs(&r.warnings), Vec::<String>::new());
    assert_eq!(r.recommendation.unwrap().image, "gcr.io/distroless/static-debian12");
}

#[test]
fn frozen_generation_points_to_a_maintained_image() {
    let w = msgs(&run("c-static", "debian11").warnings);
    assert_eq!(
        w,
        [
            "debian11 images are no longer built or patched (frozen since 2024-09-03): prefer gcr.io/distroless/static-debian12"
        ]
    );
    assert!(msgs(&run("go-pie", "debian11").warnings)[0].ends_with("prefer gcr.io/distroless/base-nossl-debian12"));
}

#[test]
fn no_image_fixes_follow_the_target_generation() {
    let r = run("musl-dynamic", "debian13");
    assert_eq!(r.fixes.len(), 1);
    assert!(
        r.fixes[0].ends_with("use gcr.io/distroless/static-debian13"),
        "{:?}",
        r.fixes
    );
    let r = run("c-i386", "debian12");
    assert_eq!(r.fixes, ["rebuild as a 64-bit program (drop -m32; Go: GOARCH=amd64)"]);
}

#[test]
fn dlopen_is_warned() {
    let r = run("c-dlopen", "debian12");
    assert!(r.elf.imports_dlopen);
    // testdata/src/c/dlopen.c: dlopen("libz.so.1", RTLD_NOW)
    assert_eq!(r.elf.dlopen_names, ["libz.so.1"]);
    assert_eq!(
        msgs(&r.warnings),
        [
            "loads libraries at run time with dlopen (library names among its strings: libz.so.1): DT_NEEDED does not list them, so make sure the image has them"
        ]
    );
    assert!(!run("c-dynamic", "debian12").elf.imports_dlopen);
}

#[test]
fn build_environment_and_cause_of_a_version_need() {
    let r = run("cxx-dynamic", "debian11");
    let elf = r.elf;
    // Recorded by GCC in .comment; readelf -p .comment shows the same string.
    assert!(
        elf.comment.iter().any(|c| c.starts_with("GCC: (Debian 12.2.0-14")),
        "{:?}",
        elf.comment
    );
    let w = r
        .warnings
        .iter()
        .find(|w| w.kind == dlcheck::verdict::WarningKind::NewerVersions)
        .map(|w| w.message.as_str())
        .unwrap();
    assert!(w.starts_with("needs GLIBC_2.34 from libc.so.6"), "{w}");
    assert!(w.contains("glibc 2.34 merged libpthread"), "{w}");
    assert!(w.contains("built with Debian 12 tools"), "{w}");
}

/// The problems (kind, library) of `name` in `image`.
fn kinds(r: &BinaryReport, image: &str) -> Vec<(String, Option<String>)> {
    r.images
        .iter()
        .find(|v| v.image == format!("{D}{image}"))
        .unwrap()
        .problems
        .iter()
        .map(|p| (p.kind.name().to_string(), p.kind.library().map(str::to_string)))
        .collect()
}

/// A shared library is judged as loadable by a dynamic program: an image
/// without a dynamic loader cannot load it, even when it needs nothing
/// (running a library itself only crashes: testdata/crash).
#[test]
fn libraries_are_judged_as_loadable() {
    use dlcheck::report::JudgedAs;
    let r = run("libleaf.so", "debian12");
    assert_eq!(r.judged_as, JudgedAs::Library);
    assert!(r.elf.needed.is_empty());
    assert_eq!(kinds(&r, "static-debian12"), [("no_loader".to_string(), None)]);
    assert!(kinds(&r, "base-nossl-debian12").is_empty());
    assert_eq!(r.recommendation.unwrap().image, format!("{D}base-nossl-debian12"));
    let r = run("libdemo.so.1", "debian12");
    assert_eq!(
        kinds(&r, "static-debian12"),
        [
            ("no_loader".to_string(), None),
            ("library_missing".to_string(), Some("libc.so.6".to_string()))
        ]
    );
    // A program that is also a shared object keeps the program's view:
    // libc.so.6 has PT_INTERP; glibc's ld.so runs as a static-pie program.
    let ld = std::fs::read("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2").unwrap();
    let Report::Binary(ld) = analyze(&ld, &Options::default()) else {
        panic!()
    };
    assert_eq!((ld.judged_as, ld.elf.linkage), (JudgedAs::Program, Linkage::StaticPie));
}

/// Separate debug information is not a program (exit 4).
#[test]
fn debug_info_is_not_a_program() {
    for name in ["c-dynamic.debug", "c-static.debug"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin").join(name);
        let r = analyze(&std::fs::read(path).unwrap(), &Options::default());
        assert_eq!(r.error().map(|e| e.kind()), Some("debug_info"), "{name}");
        assert_eq!(r.exit_code(), 4, "{name}");
    }
}

/// When no image runs a binary, only fixes that work are given, and what
/// must go together is one line.
#[test]
fn fixes_when_no_image_runs_it() {
    let r = run("c-nix", "debian12");
    assert_eq!(
        r.fixes,
        [
            "built by Nix, for Nix's glibc: point it at the standard loader with patchelf --set-interpreter /lib64/ld-linux-x86-64.so.2 --remove-rpath; and FROM gcr.io/distroless/base-nossl-debian12 (all of these are needed)",
            "or link it statically (gcc -static; Go: CGO_ENABLED=0) and use gcr.io/distroless/static-debian12"
        ]
    );
    let r = run("musl-dynamic", "debian12");
    assert_eq!(
        r.fixes,
        [
            "link statically against musl (musl-gcc -static; Rust: --target x86_64-unknown-linux-musl) and use gcr.io/distroless/static-debian12"
        ]
    );
}

/// The build image named for a newer-glibc need is the language's own.
#[test]
fn builder_images_follow_the_language() {
    for (name, builder) in [
        ("rust-release", "rust:1-bullseye"),
        ("cxx-dynamic", "debian:bullseye with g++"),
        ("c-dynamic", "debian:bullseye with gcc"),
        ("go123-cgo-net", "golang:1.24-bullseye"),
    ] {
        let r = run(name, "debian11");
        assert!(
            msgs(&r.warnings)
                .iter()
                .any(|w| w.contains(&format!("(for example {builder} for debian11)"))),
            "{name}: {:?}",
            msgs(&r.warnings)
        );
    }
}

/// What a program asks of the host CPU, from its GNU property note or its
/// Go build settings; the quoted messages are those of real runs under
/// `qemu-x86_64 -cpu qemu64` (testdata/crash).
#[test]
fn cpu_levels_are_warned() {
    let r = run("c-isa-v3", "debian12");
    assert_eq!(r.elf.isa_needed, Some("x86-64-v3"));
    assert!(
        msgs(&r.warnings)
            .iter()
            .any(|w| w.starts_with("needs a CPU with x86-64-v3")
                && w.contains("\"/app: CPU ISA level is lower than required\""))
    );
    let r = run("go123-goamd64-v3", "debian12");
    assert!(msgs(&r.warnings).iter().any(|w| {
        w.contains("\"This program can only be run on AMD64 processors with v3 microarchitecture support.\"")
    }));
    let r = run("go123-goarm64-v9", "debian12");
    assert!(
        msgs(&r.warnings)
            .iter()
            .any(|w| w.starts_with("built with GOARM64=v9.0"))
    );
    assert!(
        msgs(&run("c-dynamic", "debian12").warnings)
            .iter()
            .all(|w| !w.contains("CPU"))
    );
}

/// Programs that run a shell start, then fail the call.
#[test]
fn shell_calls_are_warned() {
    for (name, calls) in [
        ("c-shell", &["system", "popen"][..]),
        ("c-execsh", &["execl /bin/sh"]),
        ("go123-osexec", &["os/exec /bin/sh"]),
        ("go123-osexec-stripped", &["os/exec /bin/sh"]),
        ("c-dynamic", &[]),
        ("go123-static", &[]),
    ] {
        let r = run(name, "debian12");
        assert_eq!(r.elf.shell_calls, calls, "{name}");
        assert_eq!(
            msgs(&r.warnings)
                .iter()
                .any(|w| w.starts_with("runs a shell at run time")),
            !calls.is_empty(),
            "{name}"
        );
    }
}

/// A `.rodata` of 8 MiB or more is searched for library names and for a
/// shell's path on two threads: testdata/src/c/large-rodata.c passes
/// dlopen "libz.so.1" and execl "/bin/sh" beside 9 MiB of constants, and
/// both are found, as in the small c-dlopen and c-execsh.
#[test]
fn a_large_rodata_is_searched_for_library_names_and_a_shell() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin/c-large-rodata");
    assert!(std::fs::metadata(path).unwrap().len() > 9 << 20);
    let r = run("c-large-rodata", "debian12");
    assert_eq!(r.elf.dlopen_names, ["libz.so.1"]);
    assert_eq!(r.elf.dlopen_names, run("c-dlopen", "debian12").elf.dlopen_names);
    assert_eq!(r.elf.shell_calls, ["execl /bin/sh"]);
    assert_eq!(r.elf.shell_calls, run("c-execsh", "debian12").elf.shell_calls);
}

/// A library that needs an executable stack: glibc 2.41 refuses to
/// dlopen it.
#[test]
fn executable_stack_libraries_are_warned() {
    let r = run("libexecstack.so", "debian13");
    assert_eq!((r.elf.gnu_stack, r.elf.executable_stack), (Some("RWX"), true));
    assert!(
        msgs(&r.warnings)
            .iter()
            .any(|w| w.starts_with("needs an executable stack (its PT_GNU_STACK is RWX)"))
    );
    let r = run("libdemo.so.1", "debian13");
    assert_eq!((r.elf.gnu_stack, r.elf.executable_stack), (Some("RW"), false));
}

/// A race-detector build needs cgo: the advice never says CGO_ENABLED=0
/// for it (Go refuses `-race` without cgo).
#[test]
fn race_builds_keep_cgo() {
    let r = run("go123-race", "debian12");
    let all = msgs(&r.warnings);
    let w: Vec<&String> = all.iter().filter(|w| w.contains("cgo")).collect();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].starts_with("a race-detector build (-race), which needs cgo"),
        "{}",
        w[0]
    );
    assert!(!w[0].contains("build with CGO_ENABLED=0"), "{}", w[0]);
}

/// The messages of warnings.
pub fn msgs(w: &[dlcheck::verdict::Warning]) -> Vec<String> {
    w.iter().map(|w| w.message.clone()).collect()
}
