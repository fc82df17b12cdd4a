//! Every platform distroless publishes, and the language images: dlcheck's
//! verdicts against real runs, and "no data" where it has none.
//!
//! scripts/record-platform-runs.py unpacked each image's Debian packages
//! (the very ones the image data was read from) into a root file system,
//! started each platform fixture in it as /app (chroot, then execve; other
//! architectures through the static qemu user emulator copied into the
//! root, so the loader and libraries are the root's) and loaded each native
//! library with dlopen(3); testdata/platforms/<image>@<arch>/<fixture>.txt
//! keeps `exit: N`, then stderr. The JRE of the java images is not a Debian
//! package and was not read: verdicts that depend on it are "no data".

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use dlcheck::catalog::{self, Catalog};
use dlcheck::{Options, analyze};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// A recorded run: image, architecture, fixture, exit status, stderr.
fn recordings() -> Vec<(String, String, String, i32, String)> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(testdata().join("platforms")).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let label = dir.file_name().unwrap().to_string_lossy().into_owned();
        let (image, arch) = label.split_once('@').unwrap();
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_none_or(|e| e != "txt") {
                continue;
            }
            let recorded = std::fs::read_to_string(&file).unwrap();
            let (status, stderr) = recorded.split_once('\n').unwrap();
            let status = status.strip_prefix("exit: ").unwrap().parse().unwrap();
            let fixture = file.file_stem().unwrap().to_string_lossy().into_owned();
            out.push((
                image.into(),
                arch.into(),
                fixture,
                status,
                stderr.trim_end().to_string(),
            ));
        }
    }
    out.sort();
    out
}

/// The recorded failure as a container would print it: qemu reports a
/// missing PT_INTERP itself, where the kernel fails the execve with ENOENT.
fn container_wording(stderr: &str) -> String {
    let first = stderr.lines().next().unwrap_or_default();
    if first.contains("-static: Could not open '") && first.ends_with("': No such file or directory") {
        return "exec /app: no such file or directory".to_string();
    }
    first.to_string()
}

fn check(image: &str, arch: &str, fixture: &str) -> dlcheck::verdict::ImageCheck {
    let bytes = std::fs::read(testdata().join("bin").join(fixture)).unwrap();
    let opts = Options {
        distro: "debian12".into(),
        platform: Some(catalog::platform_of(arch)),
        image: Some(Catalog::embedded().resolve(image).unwrap()),
        ..Default::default()
    };
    let report = analyze(&bytes, &opts);
    let what = format!("{fixture} on {image} {arch}");
    let binary = report
        .binary()
        .unwrap_or_else(|| panic!("{what}: {:?}", report.error()));
    binary
        .image_check
        .clone()
        .unwrap_or_else(|| panic!("{what}: no image check"))
}

#[test]
fn verdicts_match_real_runs_on_every_platform() {
    let mut checked = 0;
    let mut arches = std::collections::BTreeSet::new();
    for (image, arch, fixture, status, stderr) in recordings() {
        let what = format!("{fixture} on {image} {arch}");
        let c = check(&image, &arch, &fixture);
        assert!(!c.no_data(), "{what}: ran for real, dlcheck has no data");
        assert_eq!(c.platform, catalog::platform_of(&arch), "{what}");
        if status == 0 {
            assert!(c.runs, "{what}: it ran, dlcheck says {:?}", c.problems);
        } else if fixture.ends_with(".so") {
            // dlerror(): "libz.so.1: cannot open shared object file: ..."
            let soname = stderr.split(':').next().unwrap();
            assert!(!c.runs, "{what}: it failed with {stderr:?}");
            assert_eq!(c.problems[0].kind.library(), Some(soname), "{what}");
        } else {
            assert!(!c.runs, "{what}: it failed with {stderr:?}");
            let crash = c.crash.as_deref().unwrap_or_default();
            assert_eq!(
                crash.lines().next(),
                Some(container_wording(&stderr).as_str()),
                "{what}"
            );
        }
        arches.insert(arch);
        checked += 1;
    }
    assert!(checked >= 110, "only {checked} recordings");
    assert_eq!(
        arches.into_iter().collect::<Vec<_>>(),
        ["amd64", "arm", "ppc64le", "riscv64", "s390x"]
    );
}

/// The images dlcheck has data for on a platform are exactly those it
/// recorded runs in, for the base images: nothing judged without a real
/// run to hold it against.
#[test]
fn every_platform_with_data_has_recorded_runs() {
    let recorded: std::collections::BTreeSet<(String, String)> =
        recordings().into_iter().map(|(i, a, ..)| (i, a)).collect();
    for image in Catalog::embedded().images {
        for a in image.arch.iter().filter(|a| !matches!(a.arch, "amd64" | "arm64")) {
            assert!(
                recorded.contains(&(image.short_name(), a.arch.to_string())),
                "{} {}",
                image.reference,
                a.arch
            );
        }
    }
}

fn dlcheck(args: &[&str]) -> (i32, String) {
    let out = cargo_bin_cmd!("dlcheck")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap())
}

/// Item 4 of the verdicts issue: a dynamic 32-bit ARM program is judged
/// against real data, shown as linux/arm/v7 (its Tag_CPU_arch is v7).
#[test]
fn a_dynamic_arm_program_gets_real_verdicts() {
    let (code, out) = dlcheck(&["testdata/bin/c-arm"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("linux/arm/v7"), "{out}");
    assert!(out.contains("use gcr.io/distroless/base-nossl-debian12"), "{out}");
    assert!(!out.contains("no distroless image runs it"), "{out}");
    let (code, out) = dlcheck(&["--image", "static-debian12", "testdata/bin/c-arm"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("it prints:\n    exec /app: no such file or directory\n"),
        "{out}"
    );
    let (code, out) = dlcheck(&[
        "--image",
        "cc-debian13",
        "--platform",
        "linux/arm",
        "testdata/bin/cxx-arm",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("will start in gcr.io/distroless/cc-debian13 (linux/arm/v7)"),
        "{out}"
    );
}

/// No data is its own outcome: exit 6, what is known named, no crash.
#[test]
fn no_data_is_not_a_crash() {
    // Debian's archive no longer has the pinned debian13 s390x packages.
    let c = check("cc-debian13", "s390x", "cxx-s390x");
    assert!(c.no_data() && !c.runs && c.crash.is_none(), "{c:?}");
    assert!(
        c.problems[0].explanation.contains("it has data for linux/amd64"),
        "{c:?}"
    );
    let (code, out) = dlcheck(&["--image", "cc-debian13", "testdata/bin/cxx-s390x"]);
    assert_eq!(code, 6, "{out}");
    assert!(
        out.contains("no data on gcr.io/distroless/cc-debian13 (linux/s390x)"),
        "{out}"
    );
    assert!(!out.contains("will crash"), "{out}");
    // Without --image: debian12 has data and runs it.
    let (code, out) = dlcheck(&["testdata/bin/cxx-s390x"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("debian13  static ?  base-nossl ?  base ?  cc ?"), "{out}");
    // A library that may be in the unread JRE: no data, not a crash.
    let (code, out) = dlcheck(&["--json", "--image", "java21-debian13", "testdata/bin/jni-ssl.so"]);
    assert_eq!(code, 6, "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let problem = &doc["reports"][0]["image_check"]["problems"][0];
    assert_eq!(problem["kind"], "no_data");
    assert!(
        problem["explanation"].as_str().unwrap().contains("temurin-21-jre"),
        "{problem}"
    );
}

/// An image the data does not know (a newer generation, one it does not
/// model) is no data, naming what it knows; a name that is not one of
/// distroless's is a usage error.
#[test]
fn unknown_images_are_no_data() {
    for image in ["cc-debian14", "gcr.io/distroless/nodejs20-debian12:nonroot-arm64"] {
        let (code, out) = dlcheck(&["--json", "--image", image, "testdata/bin/c-dynamic"]);
        assert_eq!(code, 6, "{image}: {out}");
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        let check = &doc["reports"][0]["image_check"];
        assert_eq!(check["crash"], serde_json::Value::Null, "{image}");
        let why = check["problems"][0]["explanation"].as_str().unwrap();
        assert!(
            why.contains("knows static-debian11, ") && why.contains("python3-debian13"),
            "{why}"
        );
    }
    let (code, _) = dlcheck(&["--image", "cc-debain12", "testdata/bin/c-dynamic"]);
    assert_eq!(code, 2);
}

/// The language images, from their package contents.
#[test]
fn native_libraries_in_the_language_images() {
    // python3-debian13: cc's libraries and python's own (libz, libexpat ...)
    // but no libpython3.*.so: the interpreter links Python in.
    assert!(check("python3-debian13", "amd64", "pyext-zlib.so").runs);
    let c = check("python3-debian13", "amd64", "pyext-libpython.so");
    assert_eq!(c.problems[0].kind.library(), Some("libpython3.11.so.1.0"));
    // java images are built on base-nossl, with libstdc++ from the java packages.
    assert!(check("java21-debian13", "amd64", "jni-cxx.so").runs);
    assert!(check("java-base-debian13", "amd64", "jni-cxx.so").runs);
    let c = check("java-base-debian13", "amd64", "jni-ssl.so");
    assert_eq!(c.problems[0].kind.library(), Some("libssl.so.3"));
    // python3 is published for amd64, arm64 and riscv64 only.
    let c = check("python3-debian13", "arm", "c-arm");
    assert_eq!(c.problems[0].kind.name(), "unsupported_platform");
}

#[test]
fn image_references_with_tags_architectures_and_digests() {
    let c = Catalog::embedded();
    let r = c
        .resolve("gcr.io/distroless/python3-debian13:debug-nonroot-arm64")
        .unwrap();
    assert_eq!(
        (r.variant.as_deref(), r.tag.as_str(), r.arch.as_deref()),
        (Some("python3"), "debug-nonroot", Some("arm64"))
    );
    let digest = format!("sha256:{}", "ab".repeat(32));
    let r = c.resolve(&format!("nodejs22-debian13@{digest}")).unwrap();
    assert_eq!(r.digest.as_deref(), Some(digest.as_str()));
    assert_eq!(r.resolved(), format!("gcr.io/distroless/nodejs22-debian13@{digest}"));
    assert!(c.resolve("cc-debian12@sha256:1234").is_err());
    match c.resolve("python3-debian13:latest-s390x").unwrap_err() {
        dlcheck::catalog::ResolveError::Unpublished { reference, message } => {
            assert_eq!(reference.resolved(), "gcr.io/distroless/python3-debian13:latest-s390x");
            assert_eq!(
                message,
                "unknown image 'python3-debian13:latest-s390x' (gcr.io/distroless/python3-debian13 is not published for s390x: only for amd64, arm64, riscv64)"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(c.resolve("gcr.io/distroless/java21").unwrap().floating);
    // An architecture tag names the platform: an amd64 program there is an exec format error.
    let (code, out) = dlcheck(&["--image", "cc-debian12:latest-arm64", "testdata/bin/c-dynamic"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("exec /app: exec format error"), "{out}");
    let (code, out) = dlcheck(&["--image", &format!("cc-debian12@{digest}"), "testdata/bin/c-dynamic"]);
    assert_eq!(code, 0, "{out}");
    // The human output wraps its prose: compare words.
    let words = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(&format!(
            "note: {digest} pins one build of gcr.io/distroless/cc-debian12"
        )),
        "{out}"
    );
    let (code, out) = dlcheck(&["--version"]);
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!(
            "image data of {}: distroless cd080764af31",
            catalog::GENERATED
        )),
        "{out}"
    );
}
