//! The embedded image data is what scripts/gen-images.py makes from the
//! checked reference, and it says where its facts come from.

use std::path::Path;
use std::process::Command;

use dlcheck::images::{Catalog, GENERATIONS, VARIANTS};

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
    assert_eq!(
        c.provenance["source"]["distroless_commit"],
        "cd080764af3103b2f49fb5eb23297c72c945e77a"
    );
    for g in GENERATIONS {
        for v in VARIANTS {
            let image = c.image(v, g).unwrap_or_else(|| panic!("{v}-{g}"));
            assert_eq!(image.reference, format!("gcr.io/distroless/{v}-{g}"));
            assert!(image.arch.contains_key("amd64") && image.arch.contains_key("arm64"));
        }
    }
    // Facts the verdicts depend on, as the reference states them.
    let libc = |g: &str| c.library(g, "amd64", "libc.so.6").unwrap();
    assert!(!libc("debian11").verdefs.iter().any(|v| v == "GLIBC_2.34"));
    assert!(libc("debian12").verdefs.iter().any(|v| v == "GLIBC_2.36"));
    assert!(
        c.library("debian11", "amd64", "libm.so.6")
            .unwrap()
            .verdefs
            .iter()
            .any(|v| v == "GLIBC_2.31")
    );
    assert!(c.image("static", "debian12").unwrap().arch["amd64"].loaders.is_empty());
    assert!(
        c.image("base", "debian12").unwrap().arch["amd64"]
            .sonames
            .contains_key("libssl.so.3")
    );
    assert!(
        !c.image("base", "debian12").unwrap().arch["amd64"]
            .sonames
            .contains_key("libgcc_s.so.1")
    );
    assert!(!c.generations["debian11"].supported);
    assert_eq!(c.generations["debian11"].removed_date.as_deref(), Some("2024-09-03"));
}
