//! The embedded image data: rebuilt byte for byte from the committed
//! sources (data/sources/distroless-sources.json), in agreement with the
//! hand-checked reference field by field, complete for every platform
//! distroless publishes, and carrying its provenance.

use std::path::Path;
use std::process::Command;

use dlcheck::catalog::{self, Catalog, GENERATIONS, VARIANTS};

fn gen_images(args: &[&str]) -> std::process::Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Command::new("python3")
        .arg(root.join("scripts/gen-images.py"))
        .args(args)
        .output()
        .expect("python3")
}

fn sources() -> serde_json::Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("data/sources/distroless-sources.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn data_is_rebuilt_from_the_committed_sources_byte_for_byte() {
    let out = gen_images(&["build", "--check"]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Where the generated data and the reference disagree, each checked: on
/// debian11 the loader's real file is `/lib/<triplet>/ld-2.31.so` (libc6
/// 2.31 ships the loader under that name and links
/// `ld-linux-x86-64.so.2` to it), a path that works as PT_INTERP as well as
/// the links (a C program linked with
/// `--dynamic-linker=/lib/x86_64-linux-gnu/ld-2.31.so`, started in a root
/// unpacked from base-nossl-debian11's packages, reached glibc's loader,
/// which reported the GLIBC_2.34 debian11 lacks); the reference lists only
/// the links.
const KNOWN_DIFFERENCES: [&str; 6] = [
    "images[base-nossl-debian11].arch.amd64.loaders",
    "images[base-nossl-debian11].arch.arm64.loaders",
    "images[base-debian11].arch.amd64.loaders",
    "images[base-debian11].arch.arm64.loaders",
    "images[cc-debian11].arch.amd64.loaders",
    "images[cc-debian11].arch.arm64.loaders",
];

#[test]
fn data_agrees_with_the_reference_field_by_field() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference = root.join("../shared/reference/distroless-images.json");
    if !reference.exists() {
        // CI and developer machines have shared/ beside the checkout.
        assert!(std::env::var_os("CI").is_none(), "CI must have {}", reference.display());
        eprintln!("skipping: {} not found", reference.display());
        return;
    }
    let out = gen_images(&["compare", reference.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let fields: Vec<&str> = text.lines().map(|l| l.split(": ").next().unwrap()).collect();
    assert_eq!(fields, KNOWN_DIFFERENCES, "{text}");
    // Each known difference is exactly the extra ld-2.31.so path.
    for line in text.lines() {
        let arch = if line.contains("amd64") { "x86_64" } else { "aarch64" };
        assert!(
            line.contains(&format!(
                "'/lib/{arch}-linux-gnu/ld-2.31.so': '/lib/{arch}-linux-gnu/ld-2.31.so', "
            )),
            "{line}"
        );
    }
}

#[test]
fn every_image_generation_and_published_platform_is_present_with_provenance() {
    let c = Catalog::embedded();
    let provenance: serde_json::Value = serde_json::from_str(c.provenance).unwrap();
    assert_eq!(
        provenance["distroless_commit"],
        "cd080764af3103b2f49fb5eb23297c72c945e77a"
    );
    assert_eq!(provenance["distroless_commit"], catalog::DISTROLESS_COMMIT);
    assert_eq!(provenance["generated_by"], "scripts/gen-images.py");
    assert_eq!(provenance["generated"], catalog::GENERATED);
    for g in GENERATIONS {
        for v in VARIANTS {
            let image = c.image(v, g).unwrap_or_else(|| panic!("{v}-{g}"));
            assert_eq!(image.reference, format!("gcr.io/distroless/{v}-{g}"));
            // Every published platform has data or says why not.
            for arch in image.architectures {
                assert!(
                    image.arch(arch).is_some() != image.no_data(arch).is_some(),
                    "{v}-{g} {arch}"
                );
            }
            for arch in ["amd64", "arm64", "arm"] {
                assert!(image.arch(arch).is_some(), "{v}-{g} {arch}");
            }
        }
    }
    // What distroless/*/config.bzl publishes.
    let cc12 = c.image("cc", "debian12").unwrap();
    assert_eq!(cc12.architectures, ["amd64", "arm64", "arm", "s390x", "ppc64le"]);
    assert_eq!(
        c.image("cc", "debian13").unwrap().architectures,
        ["amd64", "arm64", "arm", "s390x", "ppc64le", "riscv64"]
    );
    for arch in ["s390x", "ppc64le"] {
        assert!(cc12.arch(arch).is_some(), "cc-debian12 {arch}");
    }
    assert!(c.image("cc", "debian13").unwrap().arch("riscv64").is_some());
    for name in [
        "python3",
        "java-base",
        "java17",
        "java21",
        "java25",
        "nodejs22",
        "nodejs24",
        "nodejs26",
    ] {
        let image = c.image(name, "debian13").unwrap_or_else(|| panic!("{name}-debian13"));
        assert!(image.language && image.arch("amd64").is_some(), "{name}");
    }
    assert_eq!(
        c.image("python3", "debian13").unwrap().architectures,
        ["amd64", "arm64", "riscv64"]
    );
    // Facts the verdicts depend on, read from the packages.
    let libc = |g: &str| c.library(g, "amd64", "libc.so.6").unwrap();
    assert!(!libc("debian11").verdefs.contains("GLIBC_2.34"));
    assert!(libc("debian12").verdefs.contains("GLIBC_2.36"));
    assert_eq!(libc("debian12").path, "/lib/x86_64-linux-gnu/libc.so.6");
    assert_eq!(
        (libc("debian12").package, libc("debian12").version),
        ("libc6", "2.36-9+deb12u14")
    );
    assert!(
        c.library("debian11", "amd64", "libm.so.6")
            .unwrap()
            .verdefs
            .contains("GLIBC_2.31")
    );
    let at = |v: &str, g: &str, a: &str| c.image(v, g).unwrap().arch(a).unwrap();
    assert!(at("static", "debian12", "amd64").loaders.is_empty());
    assert!(at("base-nossl", "debian12", "amd64").has_loader("/lib64/ld-linux-x86-64.so.2"));
    assert!(at("base", "debian12", "amd64").has_soname("libssl.so.3"));
    assert!(!at("base", "debian12", "amd64").has_soname("libgcc_s.so.1"));
    assert_eq!(
        at("cc", "debian13", "amd64").soname("libstdc++.so.6"),
        Some("/lib/x86_64-linux-gnu/libstdc++.so.6")
    );
    // The other platforms: each ABI's loader, as libc.so.6's PT_INTERP names it.
    assert_eq!(
        at("cc", "debian12", "arm").standard_interpreter,
        "/lib/ld-linux-armhf.so.3"
    );
    assert!(at("base-nossl", "debian12", "arm").has_loader("/lib/ld-linux-armhf.so.3"));
    assert_eq!(at("cc", "debian12", "s390x").standard_interpreter, "/lib/ld64.so.1");
    assert_eq!(at("cc", "debian12", "ppc64le").standard_interpreter, "/lib64/ld64.so.2");
    assert_eq!(
        at("cc", "debian13", "riscv64").standard_interpreter,
        "/lib/ld-linux-riscv64-lp64d.so.1"
    );
    // python3 has an ld.so.cache; the java images' JRE is not a Debian package.
    assert!(
        at("python3", "debian13", "amd64")
            .ld_so_cache
            .pairs()
            .any(|(s, p)| s == "libz.so.1" && p == "/lib/x86_64-linux-gnu/libz.so.1")
    );
    assert!(
        at("java21", "debian13", "amd64")
            .unread
            .line(0)
            .starts_with("temurin-21-jre")
    );
    assert!(c.image("cc", "debian12").unwrap().flag("has_libstdcxx"));
    assert!(!c.image("base", "debian12").unwrap().flag("has_libstdcxx"));
    assert!(!c.generation("debian11").unwrap().supported);
    assert_eq!(c.generation("debian11").unwrap().removed_date, Some("2024-09-03"));
}

#[test]
fn every_package_is_pinned_with_its_checksum_and_source() {
    let s = sources();
    let hex = |v: &serde_json::Value| {
        v.as_str()
            .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    let packages = s["packages"].as_object().unwrap();
    assert!(packages.len() > 300, "{}", packages.len());
    for (key, p) in packages {
        assert!(p["lock"].as_str().unwrap().starts_with("private/repos/deb/"), "{key}");
        assert!(hex(&p["sha256"]) && p["pinned"].is_string(), "{key}");
        if p.get("unavailable").is_some() {
            continue;
        }
        let read = p.get("analyzed").unwrap_or(p);
        assert!(hex(&read["sha256"]), "{key}");
        assert!(s["contents"].get(read["sha256"].as_str().unwrap()).is_some(), "{key}");
        if let Some(a) = p.get("analyzed") {
            assert!(
                a["pinned_by"].is_string() && a["url"].as_str().unwrap().starts_with("http"),
                "{key}"
            );
        }
    }
    // Every read library names its file's facts as the reader saw them.
    let libc6 = &s["packages"]["bookworm/armhf/libc6"];
    let contents = &s["contents"][libc6["sha256"].as_str().unwrap()];
    let libc = &contents["elf"]["/lib/arm-linux-gnueabihf/libc.so.6"];
    assert_eq!(libc["machine"], "arm");
    assert_eq!(libc["interpreter"], "/lib/ld-linux-armhf.so.3");
}
