//! The command line as a user meets it: exit codes, one-line errors, and
//! the JSON document parsed strictly against the documented schema.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::cargo_bin_cmd;
use serde::Deserialize;

fn bin(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin").join(name)
}

// The schema as README.md documents it; unknown fields fail the test.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    schema_version: u32,
    reports: Vec<JReport>,
    summary: Option<JSummary>,
    image_data: JImageData,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JImageData {
    generated: String,
    distroless_commit: String,
    distroless_commit_date: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JSummary {
    executables: usize,
    libraries: usize,
    errors: usize,
    skipped: usize,
    image: Option<String>,
    variant: Option<String>,
    generation: Option<String>,
    reasons: Vec<JSetReason>,
    unrunnable: Vec<String>,
    failures: Vec<JFailureCount>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JFailureCount {
    rule: String,
    count: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JSetReason {
    image: String,
    path: String,
    why: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JReport {
    path: String,
    format: String,
    error: Option<JError>,
    elf: Option<JElf>,
    go: Option<JGo>,
    distro: String,
    images: Vec<JImage>,
    recommendation: Option<JRecommendation>,
    image: Option<serde_json::Value>,
    image_check: Option<JImageCheck>,
    fixes: Vec<String>,
    warnings: Vec<JWarning>,
    judged_as: Option<String>,
    #[allow(dead_code)]
    dockerfile: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JWarning {
    kind: String,
    message: String,
}

impl JWarning {
    fn contains(&self, s: &str) -> bool {
        self.message.contains(s)
    }
    fn starts_with(&self, s: &str) -> bool {
        self.message.starts_with(s)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JError {
    kind: String,
    message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JElf {
    class: String,
    endianness: String,
    machine: String,
    os: String,
    #[serde(rename = "type")]
    e_type: String,
    kind: String,
    linkage: String,
    interpreter: Option<String>,
    needed: Vec<String>,
    soname: Option<String>,
    rpath: Option<String>,
    runpath: Option<String>,
    version_needs: BTreeMap<String, Vec<String>>,
    libc: String,
    runtime_loads: Vec<JRuntimeLoad>,
    imports_dlopen: bool,
    dlopen_note: Vec<String>,
    dlopen_names: Vec<String>,
    comment: Vec<String>,
    isa_needed: Option<String>,
    gnu_stack: Option<String>,
    executable_stack: bool,
    min_kernel: Option<String>,
    shell_calls: Vec<String>,
    /// Only for 32-bit ARM.
    #[serde(default)]
    arm_cpu_arch: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JRuntimeLoad {
    library: String,
    reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JGo {
    version: Option<String>,
    path: Option<String>,
    main_module: Option<JModule>,
    deps: Vec<JModule>,
    settings: BTreeMap<String, String>,
    cgo_enabled_setting: Option<String>,
    cgo: bool,
    cgo_symbols: Vec<String>,
    cgo_evidence: Vec<JEvidence>,
    cgo_packages: Vec<String>,
    runtime_files: Vec<JRuntimeFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JModule {
    path: String,
    version: String,
    sum: Option<String>,
    replace: Option<Box<JModule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JEvidence {
    source: String,
    detail: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JRuntimeFile {
    path: String,
    package: String,
    reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JImage {
    image: String,
    variant: String,
    generation: String,
    platform: String,
    runs: bool,
    problems: Vec<JProblem>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JProblem {
    kind: String,
    message: String,
    explanation: String,
    library: Option<String>,
    symbols: Vec<String>,
    fix: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JImageCheck {
    requested: String,
    image: String,
    platform: String,
    runs: bool,
    crash: Option<String>,
    problems: Vec<JProblem>,
    warnings: Vec<JWarning>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JRecommendation {
    image: String,
    variant: String,
    generation: String,
    platform: String,
    reasons: Vec<String>,
}

fn run_json(args: &[&str]) -> (Doc, i32, String) {
    let out = cargo_bin_cmd!("dlcheck").arg("--json").args(args).output().unwrap();
    let doc: Doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not schema JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (doc, out.status.code().unwrap(), String::from_utf8(out.stderr).unwrap())
}

fn code(args: &[&str]) -> (i32, String) {
    let out = cargo_bin_cmd!("dlcheck").args(args).output().unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stderr).unwrap())
}

fn p(name: &str) -> String {
    bin(name).to_string_lossy().into_owned()
}

#[test]
fn json_for_a_cpp_binary() {
    let (doc, status, stderr) = run_json(&[&p("cxx-dynamic")]);
    assert_eq!(status, 0);
    assert_eq!(stderr, "");
    assert_eq!(doc.schema_version, 3);
    assert_eq!(doc.schema_version, 3);
    // The image data the verdicts come from: the data's own provenance.
    assert_eq!(doc.image_data.generated, dlcheck::catalog::GENERATED);
    assert_eq!(
        doc.image_data.distroless_commit,
        "cd080764af3103b2f49fb5eb23297c72c945e77a"
    );
    assert_eq!(doc.image_data.distroless_commit_date, "2026-08-21");
    let r = &doc.reports[0];
    assert_eq!(r.path, p("cxx-dynamic"));
    assert_eq!(r.format, "elf");
    assert!(r.error.is_none());
    let elf = r.elf.as_ref().unwrap();
    assert_eq!(
        (elf.class.as_str(), elf.machine.as_str(), elf.e_type.as_str()),
        ("ELF64", "x86_64", "DYN")
    );
    assert_eq!(elf.linkage, "dynamic");
    assert_eq!(elf.libc, "glibc");
    assert_eq!(elf.needed, ["libstdc++.so.6", "libgcc_s.so.1", "libc.so.6"]);
    assert!(r.go.is_none());
    // 4 variants x 3 generations, all linux/amd64.
    assert_eq!(r.images.len(), 12);
    assert!(r.images.iter().all(|i| i.platform == "linux/amd64"));
    let runs: Vec<&str> = r.images.iter().filter(|i| i.runs).map(|i| i.image.as_str()).collect();
    // Built on Debian 12 (glibc 2.36): needs GLIBC_2.34, absent from debian11's 2.31.
    assert_eq!(runs, ["gcr.io/distroless/cc-debian12", "gcr.io/distroless/cc-debian13"]);
    let cc11 = r.images.iter().find(|i| i.image.ends_with("cc-debian11")).unwrap();
    assert_eq!(cc11.variant, "cc");
    assert_eq!(cc11.generation, "debian11");
    assert_eq!(cc11.problems.len(), 1);
    assert_eq!(cc11.problems[0].kind, "version_missing");
    assert_eq!(cc11.problems[0].library.as_deref(), Some("libc.so.6"));
    assert_eq!(r.distro, "debian11");
    assert_eq!(
        cc11.problems[0].message,
        "/app: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required by /app)"
    );
    assert!(
        cc11.problems[0].explanation.contains("GLIBC_2.30"),
        "{}",
        cc11.problems[0].explanation
    );
    assert_eq!(cc11.problems[0].symbols, ["__libc_start_main@GLIBC_2.34"]);
    assert_eq!(
        cc11.problems[0].fix,
        "FROM gcr.io/distroless/cc-debian12, or build on debian11 tools"
    );
    assert!(r.image_check.is_none());
    assert!(r.image.is_none(), "a binary is not an image");
    let base12 = r.images.iter().find(|i| i.image.ends_with("/base-debian12")).unwrap();
    let kinds: Vec<&str> = base12.problems.iter().map(|p| p.kind.as_str()).collect();
    assert_eq!(kinds, ["library_missing", "library_missing"]);
    let rec = r.recommendation.as_ref().unwrap();
    assert_eq!(rec.image, "gcr.io/distroless/cc-debian12");
    assert!(
        rec.reasons.iter().any(|m| m.contains("libstdc++.so.6")),
        "{:?}",
        rec.reasons
    );
}

#[test]
fn distro_flag_moves_the_target_generation() {
    // c-static runs everywhere: the target generation decides.
    for (distro, want) in [
        ("debian11", "gcr.io/distroless/static-debian11"),
        ("debian12", "gcr.io/distroless/static-debian12"),
        ("debian13", "gcr.io/distroless/static-debian13"),
    ] {
        let (doc, status, _) = run_json(&["--distro", distro, &p("c-static")]);
        assert_eq!(status, 0);
        assert_eq!(doc.reports[0].recommendation.as_ref().unwrap().image, want);
    }
}

#[test]
fn image_flag_sets_the_target_generation_unless_distro_is_given() {
    // Without --distro the recommendation comes from the --image's generation,
    // not from frozen debian11 (which would add a warning).
    let (doc, status, _) = run_json(&["--image", "static-debian12", &p("c-static")]);
    assert_eq!(status, 0);
    assert_eq!(
        doc.reports[0].recommendation.as_ref().unwrap().image,
        "gcr.io/distroless/static-debian12"
    );
    assert!(doc.reports[0].warnings.is_empty());
    // An explicit --distro wins.
    let (doc, _, _) = run_json(&["--image", "static-debian12", "--distro", "debian13", &p("c-static")]);
    assert_eq!(
        doc.reports[0].recommendation.as_ref().unwrap().image,
        "gcr.io/distroless/static-debian13"
    );
    // scratch has no generation: debian11, the default.
    let (doc, _, _) = run_json(&["--image", "scratch", &p("c-static")]);
    assert_eq!(
        doc.reports[0].recommendation.as_ref().unwrap().image,
        "gcr.io/distroless/static-debian11"
    );
}

#[test]
fn musl_dynamic_runs_nowhere_exit_1() {
    let (doc, status, _) = run_json(&[&p("musl-dynamic")]);
    assert_eq!(status, 1);
    let r = &doc.reports[0];
    assert!(r.recommendation.is_none());
    assert!(r.images.iter().all(|i| !i.runs));
    let cc13 = r.images.iter().find(|i| i.image.ends_with("cc-debian13")).unwrap();
    assert_eq!(cc13.problems[0].kind, "interpreter_missing");
    assert!(cc13.problems[0].explanation.contains("/lib/ld-musl-x86_64.so.1"));
    assert_eq!(cc13.problems[0].message, "exec /app: no such file or directory");
    assert!(r.fixes[0].contains("musl-gcc -static"), "{:?}", r.fixes);
}

#[test]
fn errors_are_one_line_with_distinct_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let missing = dir.path().join("missing");
    let cases: Vec<(String, i32, &str)> = vec![
        (missing.to_string_lossy().into(), 3, "no such file"),
        (dir.path().to_string_lossy().into(), 3, "is a directory"),
        (fifo.to_string_lossy().into(), 3, "FIFO"),
        ("/dev/null".into(), 3, "character device"),
        (p("empty"), 4, "empty file"),
        (p("script.sh"), 4, "/bin/sh"),
        (p("script-crlf.sh"), 4, "CR LF"),
        (p("go-macho"), 4, "macOS"),
        (p("go-pe.exe"), 4, "Windows"),
        (p("c-object.o"), 4, "relocatable"),
        (p("text.txt"), 4, "not an ELF"),
        (p("truncated-64"), 5, "malformed ELF"),
        (p("truncated-half"), 5, "malformed ELF"),
    ];
    for (path, want, needle) in cases {
        let (status, stderr) = code(&[&path]);
        assert_eq!(status, want, "{path}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{path}: {stderr}");
        assert!(stderr.starts_with(&format!("dlcheck: {path}: ")), "{stderr}");
        assert!(stderr.contains(needle), "{path}: {stderr}");
    }
}

#[test]
fn json_reports_errors_with_their_kind() {
    let (doc, status, stderr) = run_json(&[&p("go-macho"), &p("c-static")]);
    assert_eq!(status, 4);
    assert_eq!(stderr.lines().count(), 1);
    let e = doc.reports[0].error.as_ref().unwrap();
    assert_eq!(doc.reports[0].format, "mach-o");
    assert_eq!(e.kind, "mach_o");
    assert!(e.message.contains("GOOS=linux"));
    assert!(doc.reports[0].elf.is_none() && doc.reports[0].images.is_empty());
    // Go's build information is read from the Mach-O file too.
    let go = doc.reports[0].go.as_ref().unwrap();
    assert_eq!(go.version.as_deref(), Some("go1.19.8"));
    assert_eq!(go.settings["GOOS"], "darwin");
    // The good path is still reported, with the note that debian11 is frozen.
    assert_eq!(
        doc.reports[1].recommendation.as_ref().unwrap().image,
        "gcr.io/distroless/static-debian11"
    );
    assert_eq!(doc.reports[1].warnings.len(), 1);
    assert!(doc.reports[1].warnings[0].contains("2024-09-03"));
    assert_eq!(doc.reports[1].warnings[0].kind, "frozen_generation");
}

#[test]
fn several_paths_exit_with_the_highest_code() {
    assert_eq!(code(&[&p("c-static"), &p("musl-dynamic")]).0, 1);
    assert_eq!(code(&[&p("truncated-64"), &p("script.sh"), &p("c-static")]).0, 5);
    assert_eq!(code(&[&p("c-static"), "/nonexistent/x"]).0, 3);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(code(&[]).0, 2);
    assert_eq!(code(&["--distro", "debian10", &p("c-static")]).0, 2);
    assert_eq!(code(&["--no-such-flag"]).0, 2);
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let out = cargo_bin_cmd!("dlcheck")
        .args(["--color", "always", &p("c-static")])
        .output()
        .unwrap();
    assert!(out.stdout.contains(&0x1b), "--color always gives escapes");
    let out = cargo_bin_cmd!("dlcheck")
        .args(["--color", "never", &p("c-static")])
        .output()
        .unwrap();
    assert!(!out.stdout.contains(&0x1b));
    // Not a terminal, so auto means no colour.
    let out = cargo_bin_cmd!("dlcheck").arg(p("c-static")).output().unwrap();
    assert!(!out.stdout.contains(&0x1b));
}

#[test]
fn human_output_names_the_image() {
    let out = cargo_bin_cmd!("dlcheck")
        .args(["--distro", "debian12", &p("rust-release")])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("use gcr.io/distroless/cc-debian12"), "{text}");
    assert!(text.contains("libgcc_s.so.1"), "{text}");
    assert!(text.contains("interpreter  /lib64/ld-linux-x86-64.so.2"), "{text}");
}

#[test]
fn image_check_gates_ci() {
    // Runs: exit 0. Crashes: exit 1, with what the container prints.
    let (doc, status, _) = run_json(&["--image", "cc-debian12", &p("cxx-dynamic")]);
    assert_eq!(status, 0);
    let c = doc.reports[0].image_check.as_ref().unwrap();
    assert!(c.runs && c.crash.is_none() && c.problems.is_empty());
    assert_eq!(c.image, "gcr.io/distroless/cc-debian12");
    let (doc, status, _) = run_json(&["--image", "gcr.io/distroless/base-debian12:nonroot", &p("cxx-dynamic")]);
    assert_eq!(status, 1);
    let c = doc.reports[0].image_check.as_ref().unwrap();
    assert_eq!(c.requested, "gcr.io/distroless/base-debian12:nonroot");
    assert_eq!(c.image, "gcr.io/distroless/base-debian12:nonroot");
    assert_eq!(c.platform, "linux/amd64");
    assert!(!c.runs);
    assert_eq!(
        c.crash.as_deref(),
        Some(
            "/app: error while loading shared libraries: libstdc++.so.6: cannot open shared object file: No such file or directory"
        )
    );
    assert_eq!(
        c.problems[0].fix,
        "FROM gcr.io/distroless/cc-debian12, or link with -static-libstdc++ -static-libgcc to need only libc (base-nossl)"
    );
    assert!(c.warnings.iter().any(|w| w.contains("/busybox/sh")));
}

#[test]
fn image_references() {
    // Unversioned names float with the default generation (debian13 in the data).
    let (doc, _, _) = run_json(&["--image", "gcr.io/distroless/static", &p("c-static")]);
    let c = doc.reports[0].image_check.as_ref().unwrap();
    assert_eq!(c.image, "gcr.io/distroless/static-debian13");
    assert!(c.warnings[0].contains("will move"), "{:?}", c.warnings);
    // scratch: a static binary starts; a dynamic one has no loader.
    let (doc, status, _) = run_json(&["--image", "scratch", &p("c-static")]);
    assert_eq!(status, 0);
    assert_eq!(doc.reports[0].image_check.as_ref().unwrap().image, "scratch");
    let (doc, status, _) = run_json(&["--image", "scratch", &p("c-dynamic")]);
    assert_eq!(status, 1);
    let c = doc.reports[0].image_check.as_ref().unwrap();
    assert_eq!(c.crash.as_deref(), Some("exec /app: no such file or directory"));
    // A Go program that verifies TLS: scratch has no CA bundle.
    let (doc, status, _) = run_json(&["--image", "scratch", &p("go123-x509-tz")]);
    assert_eq!(status, 0);
    let c = doc.reports[0].image_check.as_ref().unwrap();
    assert!(
        c.warnings
            .iter()
            .any(|w| w.starts_with("scratch has no /etc/ssl/certs/ca-certificates.crt"))
    );
    // Another architecture: exec format error.
    let (doc, status, _) = run_json(&[
        "--image",
        "static-debian12",
        "--platform",
        "linux/arm64",
        &p("c-static"),
    ]);
    assert_eq!(status, 1);
    let c = doc.reports[0].image_check.as_ref().unwrap();
    assert_eq!(c.platform, "linux/arm64");
    assert_eq!(c.crash.as_deref(), Some("exec /app: exec format error"));
    // distroless images the data does not know are no data (exit 6), naming
    // what it knows; see tests/platforms.rs.
    for unknown in ["gcr.io/distroless/nodejs22-debian12", "static-debian10"] {
        let (status, _) = code(&["--image", unknown, &p("c-static")]);
        assert_eq!(status, 6, "{unknown}");
    }
    // Other references are usage errors: a misspelt name gets the closest
    // one, a bad tag what tags are, anything else what names look like.
    for (bad, says) in [
        ("cc-debain12", "did you mean cc-debian12?"),
        (
            "base-nosl-debian12:nonroot",
            "did you mean base-nossl-debian12:nonroot?",
        ),
        (
            "static-debian12:edge",
            "tag 'edge' is not one of latest, nonroot, debug, debug-nonroot",
        ),
        ("cc-debian12:nonrot", "did you mean cc-debian12:nonroot?"),
        ("CC-DEBIAN12", "did you mean cc-debian12? (image names are lower case)"),
        ("ubuntu", "distroless images are static, base-nossl, base and cc"),
    ] {
        let (status, stderr) = code(&["--image", bad, &p("c-static")]);
        assert_eq!(status, 2, "{bad}");
        assert!(stderr.contains(says), "{bad}: {stderr}");
        assert_eq!(stderr.lines().filter(|l| l.contains("error:")).count(), 1, "{stderr}");
    }
}

#[test]
fn a_directory_scan_gives_one_image_for_the_set() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(bin.join("tools")).unwrap();
    for name in ["c-static", "cxx-dynamic", "c-libssl", "script.sh", "text.txt"] {
        std::fs::copy(self::bin(name), bin.join(name)).unwrap();
    }
    std::fs::copy(self::bin("go123-static"), bin.join("tools/healthcheck")).unwrap();
    std::os::unix::fs::symlink(bin.join("c-static"), bin.join("link-to-static")).unwrap();
    let root = dir.path().to_string_lossy().into_owned();
    let (doc, status, stderr) = run_json(&["-r", "--distro", "debian12", &root]);
    assert_eq!(status, 0, "{stderr}");
    let paths: Vec<String> = doc.reports.iter().map(|r| r.path.clone()).collect();
    let want: Vec<String> = ["c-libssl", "c-static", "cxx-dynamic", "tools/healthcheck"]
        .iter()
        .map(|n| bin.join(n).to_string_lossy().into_owned())
        .collect();
    assert_eq!(paths, want, "sorted, symlink not followed, scripts and text skipped");
    let s = doc.summary.unwrap();
    assert_eq!((s.executables, s.libraries, s.errors, s.skipped), (4, 0, 0, 2));
    assert_eq!(s.image.as_deref(), Some("gcr.io/distroless/cc-debian12"));
    let steps: Vec<(&str, &str)> = s
        .reasons
        .iter()
        .map(|r| (r.image.as_str(), r.path.rsplit('/').next().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("gcr.io/distroless/static-debian12", "c-libssl"),
            ("gcr.io/distroless/base-nossl-debian12", "c-libssl"),
            ("gcr.io/distroless/base-debian12", "cxx-dynamic"),
        ]
    );
    assert!(s.reasons[2].why.contains("libstdc++.so.6"));
    // --follow analyses the link too; the order is the same with one thread.
    let (doc, _, _) = run_json(&["-r", "--follow", &root]);
    assert_eq!(doc.reports.len(), 5);
    let one = cargo_bin_cmd!("dlcheck")
        .env("RAYON_NUM_THREADS", "1")
        .args(["--json", "-r", &root])
        .output()
        .unwrap();
    let many = cargo_bin_cmd!("dlcheck")
        .env("RAYON_NUM_THREADS", "2")
        .args(["--json", "-r", &root])
        .output()
        .unwrap();
    assert_eq!(one.stdout, many.stdout);
    // Human output: the summary names the binary that forces cc; -v lists the skipped.
    let out = cargo_bin_cmd!("dlcheck")
        .args(["-r", "-v", "--distro", "debian12", &root])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("use for all: gcr.io/distroless/cc-debian12"), "{text}");
    assert!(text.contains("not base-debian12 because of"), "{text}");
    assert!(text.contains("skipped: ") && text.contains("script.sh"), "{text}");
    // Without -r a directory is an input error that suggests -r.
    let (status, stderr) = code(&[&root]);
    assert_eq!(status, 3);
    assert!(stderr.contains("pass -r"), "{stderr}");
}

#[test]
fn a_shipped_library_satisfies_runpath() {
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/apps/shipped");
    let exe = app.join("bin/app").to_string_lossy().into_owned();
    // Given alone, its DT_RUNPATH $ORIGIN/../lib is followed on disk.
    let (doc, status, _) = run_json(&["--distro", "debian12", &exe]);
    assert_eq!(status, 0);
    assert_eq!(
        doc.reports[0].recommendation.as_ref().unwrap().image,
        "gcr.io/distroless/base-nossl-debian12"
    );
    // Copied away from its lib/ directory, libdemo.so.1 is in no image:
    // the one fix that works copies it in and uses an image with a glibc
    // new enough (GLIBC_2.34), both together.
    let dir = tempfile::tempdir().unwrap();
    let lone = dir.path().join("app");
    std::fs::copy(&exe, &lone).unwrap();
    let (doc, status, _) = run_json(&[&lone.to_string_lossy()]);
    assert_eq!(status, 1);
    assert!(doc.reports[0].recommendation.is_none());
    assert_eq!(
        doc.reports[0].fixes,
        [
            "COPY --from=build /usr/lib/x86_64-linux-gnu/libdemo.so.1 /usr/lib/x86_64-linux-gnu/ (and the libraries it needs in turn), or link libdemo.so.1 statically; and FROM gcr.io/distroless/base-nossl-debian12 (all of these are needed)"
        ]
    );
    // Scanned with its lib/ directory, RUNPATH $ORIGIN/../lib finds it.
    let (doc, status, _) = run_json(&["-r", "--distro", "debian12", &app.to_string_lossy()]);
    assert_eq!(status, 0);
    let r = doc.reports.iter().find(|r| r.path == exe).unwrap();
    assert_eq!(
        r.recommendation.as_ref().unwrap().image,
        "gcr.io/distroless/base-nossl-debian12"
    );
    assert_eq!(r.judged_as.as_deref(), Some("program"));
    let lib = doc.reports.iter().find(|r| r.path.ends_with("libdemo.so.1")).unwrap();
    assert_eq!(lib.judged_as.as_deref(), Some("library"));
    assert!(
        r.warnings
            .iter()
            .any(|w| w.starts_with("libdemo.so.1 is shipped beside it")),
        "{:?}",
        r.warnings
    );
    assert_eq!(
        doc.summary.unwrap().image.as_deref(),
        Some("gcr.io/distroless/base-nossl-debian12")
    );
}

/// The report on `exe`, a C program built on Debian 12 (it needs
/// GLIBC_2.34), asserting that it starts in every debian12 and debian13
/// image with glibc, and that base-nossl-debian12 is recommended.
fn starts_with_glibc_2_34(exe: &Path) -> JReport {
    let (doc, status, _) = run_json(&[&exe.to_string_lossy()]);
    assert_eq!(status, 0);
    let r = doc.reports.into_iter().next().unwrap();
    assert_eq!(
        r.recommendation.as_ref().unwrap().image,
        "gcr.io/distroless/base-nossl-debian12"
    );
    let runs: Vec<&str> = r.images.iter().filter(|i| i.runs).map(|i| i.image.as_str()).collect();
    assert_eq!(
        runs,
        [
            "gcr.io/distroless/base-nossl-debian12",
            "gcr.io/distroless/base-debian12",
            "gcr.io/distroless/cc-debian12",
            "gcr.io/distroless/base-nossl-debian13",
            "gcr.io/distroless/base-debian13",
            "gcr.io/distroless/cc-debian13",
        ]
    );
    r
}

/// A library without DT_RUNPATH inherits the DT_RPATH of the program that
/// loads it (glibc's `_dl_map_object`): apps/rpath-chain's libchain.so
/// finds libdemo.so.1 only through bin/app's DT_RPATH `$ORIGIN/../lib`. The
/// engine runs that tree in base-nossl-debian12 ("hello, distroless") and
/// fails it in debian11 on GLIBC_2.34; the program given alone was judged
/// to start nowhere ("libchain.so needs libdemo.so.1"), as the libraries on
/// disk were looked for through each library's own paths only.
#[test]
fn a_library_finds_its_dependency_through_the_programs_rpath() {
    let exe = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/apps/rpath-chain/bin/app");
    let r = starts_with_glibc_2_34(&exe);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.starts_with("libdemo.so.1 is shipped beside it")),
        "{:?}",
        r.warnings
    );
}

/// The kernel resolves PT_INTERP as it resolves any path: a program
/// linked with `--dynamic-linker=//lib64/./ld-linux-x86-64.so.2` starts in
/// base-nossl-debian12 (the engine prints "hello from c"). It was judged to
/// start nowhere: "PT_INTERP ... is not in the image".
#[test]
fn an_unnormalised_pt_interp_is_found() {
    let exe = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin/c-interp-unnormal");
    starts_with_glibc_2_34(&exe);
    let (doc, status, _) = run_json(&["--image", "base-nossl-debian13", &exe.to_string_lossy()]);
    assert_eq!(status, 0);
    let check = doc.reports[0].image_check.as_ref().unwrap();
    assert!(check.runs && check.crash.is_none(), "{check:?}");
}

/// A 32-bit x86 program meets amd64 images when `--image` names no
/// platform, as it does without `--image`: the static one starts in
/// static-debian12 and scratch (the engine prints "hello from c"); the
/// dynamic one crashes, as the engine says, with "exec /app: no such file
/// or directory" (no 32-bit loader). Both were "exec format error: built
/// for linux/386, but the image is linux/386".
#[test]
fn image_check_judges_a_32_bit_x86_program_on_amd64() {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin");
    for image in ["static-debian12", "scratch"] {
        let (doc, status, _) = run_json(&["--image", image, &bin.join("c-i386-static").to_string_lossy()]);
        let check = doc.reports[0].image_check.as_ref().unwrap();
        assert_eq!(
            (status, check.runs, check.platform.as_str()),
            (0, true, "linux/amd64"),
            "{check:?}"
        );
    }
    let (doc, status, _) = run_json(&["--image", "base-debian12", &bin.join("c-i386").to_string_lossy()]);
    let check = doc.reports[0].image_check.as_ref().unwrap();
    assert_eq!(status, 1);
    assert_eq!(check.crash.as_deref(), Some("exec /app: no such file or directory"));
    assert_eq!(check.platform, "linux/amd64");
}
