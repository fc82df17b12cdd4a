//! The loader model: libraries shipped beside a program, found through
//! DT_RUNPATH with glibc's dynamic string tokens, and advice that agrees
//! with the verdicts. The fixtures' own runs confirm the search: glibc's
//! `LD_DEBUG=libs` on `apps/tokens/bin/app` tries
//! `bin/../lib/x86_64-linux-gnu/libdemo.so.1` (testdata/README.md).

use serde_json::Value;

fn json(args: &[&str]) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dlcheck"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

fn report<'a>(doc: &'a Value, path: &str) -> &'a Value {
    doc["reports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == path)
        .unwrap_or_else(|| panic!("no report for {path}"))
}

fn verdict<'a>(r: &'a Value, image: &str) -> &'a Value {
    r["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["image"] == format!("gcr.io/distroless/{image}"))
        .unwrap()
}

/// `${ORIGIN}` and `$LIB` are expanded wherever they stand in a
/// DT_RUNPATH entry, as glibc does (`${ORIGIN}/../$LIB` is
/// `bin/../lib/x86_64-linux-gnu` on Debian amd64).
#[test]
fn runpath_tokens_find_the_shipped_library() {
    let doc = json(&["-r", "testdata/apps/tokens"]);
    let app = report(&doc, "testdata/apps/tokens/bin/app");
    assert_eq!(app["elf"]["runpath"], "${ORIGIN}/../$LIB");
    assert_eq!(app["recommendation"]["image"], "gcr.io/distroless/base-nossl-debian12");
    assert_eq!(verdict(app, "base-nossl-debian12")["runs"], true);
    let shipped = "libdemo.so.1 is shipped beside it, at testdata/apps/tokens/lib/x86_64-linux-gnu/libdemo.so.1, where the loader looks (its DT_RUNPATH/DT_RPATH, or a default directory): the verdict holds when the two are copied into the image together, at the same paths";
    assert!(
        app["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["message"] == shipped && w["kind"] == "shipped_library"),
        "{}",
        app["warnings"]
    );
    // Given alone, the program's DT_RUNPATH is followed on disk, as
    // lddtree does: the same verdict, the same library.
    let alone = json(&["testdata/apps/tokens/bin/app"]);
    let alone = &alone["reports"][0];
    assert_eq!(
        alone["recommendation"]["image"],
        "gcr.io/distroless/base-nossl-debian12"
    );
    assert!(
        alone["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["message"] == shipped)
    );
}

/// A library shipped beside the program brings only its own needs: the
/// program's problems in an image list each missing library once, needed
/// by the program.
#[test]
fn a_shipped_library_adds_no_duplicate_problem() {
    let doc = json(&["-r", "testdata/apps/shipped"]);
    let app = report(&doc, "testdata/apps/shipped/bin/app");
    let problems = verdict(app, "static-debian11")["problems"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| (p["kind"].as_str().unwrap(), p["library"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(kinds, [("interpreter_missing", ""), ("library_missing", "libc.so.6")]);
    assert_eq!(
        problems[1]["explanation"],
        "needs libc.so.6, which static-debian11 does not have (base-nossl and larger have it); unless you ship it in a directory of the binary's RUNPATH/RPATH"
    );
}

/// Every fix that names an image names one the same report says runs the
/// binary: advice never contradicts the verdicts beside it. When no image
/// runs it, no fix moves to an image alone: an image is named only
/// together with what else is needed.
#[test]
fn fixes_name_images_that_run_the_binary() {
    let doc = json(&["-r", "testdata/bin", "testdata/apps"]);
    let mut checked = 0;
    for r in doc["reports"].as_array().unwrap() {
        if r["recommendation"].is_null() {
            for fix in r["fixes"].as_array().into_iter().flatten() {
                let fix = fix.as_str().unwrap();
                assert!(
                    !fix.contains("FROM ") || fix.ends_with("(all of these are needed)"),
                    "{}: {fix:?}",
                    r["path"]
                );
            }
            continue;
        }
        let runs = |image: &str| {
            r["images"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v["image"] == image && v["runs"] == true)
        };
        for v in r["images"].as_array().into_iter().flatten() {
            for p in v["problems"].as_array().unwrap() {
                let fix = p["fix"].as_str().unwrap();
                let Some(image) = fix.strip_prefix("FROM ") else {
                    continue;
                };
                let image = image.split([',', ' ']).next().unwrap();
                assert!(runs(image), "{}: {} says {fix:?}", r["path"], v["image"]);
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "only {checked} fixes checked");
}

/// The glibc release read from this machine's own loader and C library
/// equals what `ldd --version` says (its first line ends in the release).
#[test]
fn glibc_release_of_the_host_loader() {
    let out = std::process::Command::new("ldd").arg("--version").output().unwrap();
    let first = String::from_utf8_lossy(&out.stdout).lines().next().unwrap().to_string();
    let release = first.rsplit(' ').next().unwrap();
    let expected = dlcheck::loader::parse_release(release);
    assert!(expected.is_some(), "{first}");
    for path in ["/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6"] {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(dlcheck::loader::glibc_release(path, &bytes), expected, "{path}");
    }
    // glibc 2.31's loader has no banner: its file name says it.
    assert_eq!(
        dlcheck::loader::glibc_release("/lib/x86_64-linux-gnu/ld-2.31.so", b""),
        Some((2, 31))
    );
}
