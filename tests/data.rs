//! The embedded image data is what scripts/gen-images.py makes from the
//! checked reference, and it says where its facts come from.

use std::path::Path;
use std::process::Command;

use dlcheck::catalog::{Catalog, GENERATIONS, VARIANTS};

#[test]
fn data_is_regenerated_from_the_reference_without_drift() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference = root.join("../shared/reference/distroless-images.json");
    if !reference.exists() {
        // CI and developer machines have shared/ beside the checkout.
        assert!(std::env::var_os("CI").is_none(), "CI must have {}", reference.display());
        eprintln!("skipping: {} not found", reference.display());
        return;
    }
    let out = Command::new("python3")
        .arg(root.join("scripts/gen-images.py"))
        .arg("--check")
        .arg(&reference)
        .output()
        .expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn every_image_and_generation_is_present_with_provenance() {
    let c = Catalog::embedded();
    let provenance: serde_json::Value = serde_json::from_str(c.provenance).unwrap();
    assert_eq!(
        provenance["source"]["distroless_commit"],
        "cd080764af3103b2f49fb5eb23297c72c945e77a"
    );
    assert_eq!(provenance["generated_by"], "scripts/gen-images.py");
    for g in GENERATIONS {
        for v in VARIANTS {
            let image = c.image(v, g).unwrap_or_else(|| panic!("{v}-{g}"));
            assert_eq!(image.reference, format!("gcr.io/distroless/{v}-{g}"));
            assert!(image.arch("amd64").is_some() && image.arch("arm64").is_some());
        }
    }
    // Facts the verdicts depend on, as the reference states them.
    let libc = |g: &str| c.library(g, "amd64", "libc.so.6").unwrap();
    assert!(!libc("debian11").verdefs.contains(&"GLIBC_2.34"));
    assert!(libc("debian12").verdefs.contains(&"GLIBC_2.36"));
    assert_eq!(libc("debian12").path, "/lib/x86_64-linux-gnu/libc.so.6");
    assert!(
        c.library("debian11", "amd64", "libm.so.6")
            .unwrap()
            .verdefs
            .contains(&"GLIBC_2.31")
    );
    let amd64 = |v: &str, g: &str| c.image(v, g).unwrap().arch("amd64").unwrap();
    assert!(amd64("static", "debian12").loaders.is_empty());
    assert!(amd64("base-nossl", "debian12").has_loader("/lib64/ld-linux-x86-64.so.2"));
    assert!(amd64("base", "debian12").has_soname("libssl.so.3"));
    assert!(!amd64("base", "debian12").has_soname("libgcc_s.so.1"));
    // usr-merged debian13: the loader meets it first in /lib/<triplet>, a link to /usr/lib.
    assert_eq!(
        amd64("cc", "debian13").soname("libstdc++.so.6"),
        Some("/lib/x86_64-linux-gnu/libstdc++.so.6")
    );
    assert!(c.image("cc", "debian12").unwrap().flag("has_libstdcxx"));
    assert!(!c.image("base", "debian12").unwrap().flag("has_libstdcxx"));
    assert!(!c.generation("debian11").unwrap().supported);
    assert_eq!(c.generation("debian11").unwrap().removed_date, Some("2024-09-03"));
}
