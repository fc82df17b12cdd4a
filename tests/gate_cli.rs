//! The CI gate from the command line: exit statuses for every gate rule,
//! `--fail-on`, `-q`, `--summary`, `-o`, the formats (SARIF checked
//! against the official schema), flags that do nothing, directories given
//! without `-r`, completions, the man page and `--version`.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::cargo::cargo_bin_cmd;

use crate::hostile_images::images;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn bin(name: &str) -> String {
    testdata().join("bin").join(name).to_string_lossy().into_owned()
}

fn dlcheck(args: &[&str]) -> Output {
    cargo_bin_cmd!("dlcheck").args(args).output().unwrap()
}

fn status(args: &[&str]) -> i32 {
    dlcheck(args).status.code().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The SARIF results of a run.
fn sarif_results(args: &[&str]) -> Vec<serde_json::Value> {
    let doc: serde_json::Value = serde_json::from_slice(&dlcheck(args).stdout).unwrap();
    doc["runs"][0]["results"].as_array().unwrap().clone()
}

/// Whether `results` hold one of `rule` at `level`.
fn has(results: &[serde_json::Value], rule: &str, level: &str) -> bool {
    results.iter().any(|r| r["ruleId"] == rule && r["level"] == level)
}

/// Each rule of README.md's "Exit status": verdicts (1) and input errors
/// (3 to 6) kept apart, 8 added when both occur, so an unreadable path
/// never hides a program that runs nowhere.
#[test]
fn exit_statuses_keep_verdicts_and_input_errors_apart() {
    let missing = testdata().join("no-such-file").to_string_lossy().into_owned();
    let cases: Vec<(Vec<String>, i32)> = vec![
        (vec![bin("c-static")], 0),
        // musl's loader is in no distroless image.
        (vec![bin("musl-dynamic")], 1),
        (vec![missing.clone()], 3),
        (vec![bin("script.sh")], 4),
        (vec![bin("truncated-64")], 5),
        (vec![bin("c-static"), missing.clone()], 3),
        (vec![bin("musl-dynamic"), missing.clone()], 8 + 3),
        (vec![bin("musl-dynamic"), bin("script.sh")], 8 + 4),
        (vec![bin("musl-dynamic"), bin("truncated-64"), missing], 8 + 5),
        (vec![bin("musl-dynamic"), bin("c-static")], 1),
    ];
    for (paths, want) in cases {
        let args: Vec<&str> = paths.iter().map(String::as_str).collect();
        assert_eq!(status(&args), want, "{paths:?}");
    }
    // With --image: the image's verdict.
    let dynamic = bin("c-dynamic");
    assert_eq!(status(&["--image", "static-debian12", &dynamic]), 1);
    assert_eq!(status(&["--image", "base-nossl-debian12", &dynamic]), 0);
}

/// A scan that judged nothing fails: an empty directory, text files, image
/// archives given with -r.
#[test]
fn a_scan_that_judges_nothing_fails() {
    let empty = tempfile::tempdir().unwrap();
    let text_only = tempfile::tempdir().unwrap();
    for name in ["script.sh", "text.txt"] {
        std::fs::copy(bin(name), text_only.path().join(name)).unwrap();
    }
    let images = testdata().join("images");
    for dir in [empty.path(), text_only.path(), images.as_path()] {
        let out = dlcheck(&["-r", &dir.to_string_lossy()]);
        assert_eq!(out.status.code(), Some(4), "{dir:?}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "dlcheck: {}: no ELF programs or libraries found under it",
                dir.display()
            )),
            "{stderr}"
        );
    }
    let doc: serde_json::Value =
        serde_json::from_slice(&dlcheck(&["--json", "-r", &text_only.path().to_string_lossy()]).stdout).unwrap();
    assert_eq!(doc["reports"][0]["error"]["kind"], "no_elf_files");
    assert!(
        doc["reports"][0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains(": 2 files passed over, none of them ELF")
    );
    // One program is enough for the scan to count.
    std::fs::copy(bin("musl-dynamic"), text_only.path().join("app")).unwrap();
    assert_eq!(status(&["-r", &text_only.path().to_string_lossy()]), 1);
}

/// `--fail-on warning`: a Go program that runs a shell through os/exec
/// starts in static (exit 0), with a warning that the gate may act on.
#[test]
fn fail_on_warning_gates_on_warnings() {
    let program = bin("go123-osexec");
    let args = ["--image", "gcr.io/distroless/static-debian12", program.as_str()];
    assert_eq!(status(&args), 0);
    let results = sarif_results(&[&args[..], &["--format", "sarif"]].concat());
    assert!(has(&results, "warning/shell", "warning"), "{results:?}");
    assert!(!results.iter().any(|r| r["level"] == "error"));
    assert_eq!(status(&[&args[..], &["--fail-on", "warning"]].concat()), 1);
    assert_eq!(status(&[&args[..], &["--fail-on", "error"]].concat()), 0);
    // Notes never fail: a static C program has none above a note.
    assert_eq!(
        status(&["--image", "static-debian12", "--fail-on", "warning", &bin("c-static")]),
        0
    );
}

/// `--format sarif` from the command line: valid against the official
/// schema, with the exit status in the invocation, and Dockerfile findings
/// located at their line.
#[test]
fn sarif_from_the_command_line() {
    let schema_text = std::fs::read_to_string(testdata().join("schemas/sarif-schema-2.1.0.json")).unwrap();
    // See tests/gate.rs: the schema's lone `]` escaped for Rust's regex.
    let schema_text = schema_text.replace(
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#,
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#,
    );
    let schema: serde_json::Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let dockerfile = testdata().join("dockerfiles/shell-form.Dockerfile");
    let out = dlcheck(&[
        "--format",
        "sarif",
        &bin("musl-dynamic"),
        &bin("c-static"),
        &dockerfile.to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let run = &doc["runs"][0];
    assert_eq!(run["invocations"][0]["exitCode"], 1);
    let results = run["results"].as_array().unwrap();
    let shell = results
        .iter()
        .find(|r| r["ruleId"] == "dockerfile/shell-form")
        .expect("the shell-form finding");
    let line = std::fs::read_to_string(&dockerfile)
        .unwrap()
        .lines()
        .position(|l| l.starts_with("CMD ") || l.starts_with("ENTRYPOINT "))
        .unwrap()
        + 1;
    assert_eq!(
        shell["locations"][0]["physicalLocation"]["region"]["startLine"],
        line as u64
    );
    assert!(results.iter().any(|r| {
        r["ruleId"] == "problem/interpreter_missing"
            && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .ends_with("testdata/bin/musl-dynamic")
    }));
}

/// `--format markdown`: one row per input, its findings below.
#[test]
fn markdown_for_pull_requests() {
    let out = dlcheck(&["--format", "markdown", &bin("c-static"), &bin("musl-dynamic")]);
    assert_eq!(out.status.code(), Some(1));
    let md = text(&out.stdout);
    assert!(
        md.starts_with("### dlcheck\n\n1 of 2 inputs will not start or could not be judged (exit status 1).\n"),
        "{md}"
    );
    let rows: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| ✅") || l.starts_with("| ❌"))
        .collect();
    assert_eq!(rows.len(), 2, "{md}");
    assert!(rows[0].contains("testdata/bin/c-static") && rows[0].starts_with("| ✅"));
    assert!(rows[1].contains("testdata/bin/musl-dynamic") && rows[1].starts_with("| ❌"));
    assert!(md.contains("| error | `problem/interpreter_missing` |"), "{md}");
    // No data is not a pass, nor a crash: not judged, exit status 6.
    let out = dlcheck(&["--format", "markdown", "--image", "base-debian13", &bin("c-s390x")]);
    assert_eq!(out.status.code(), Some(6));
    let md = text(&out.stdout);
    assert!(
        md.lines().any(|l| l.starts_with("| ❔") && l.contains("no data on")),
        "{md}"
    );
    assert!(
        md.contains("1 of 1 input will not start or could not be judged (exit status 6)."),
        "{md}"
    );
}

/// Markdown prose cells show `<` and `>` as entities (GitHub drops what
/// reads as an HTML tag: `<iostream>` vanished); code spans keep them.
/// Found by a fresh-user trial.
#[test]
fn markdown_keeps_angle_brackets() {
    let df = testdata().join("dockerfiles/cxx-libstdcxx.Dockerfile");
    let out = dlcheck(&["--format", "markdown", df.to_str().unwrap()]);
    let md = text(&out.stdout);
    let row = md.lines().find(|l| l.contains("`dockerfile/cxx-libstdcxx`")).unwrap();
    assert!(
        row.contains("one that includes &lt;iostream&gt; needs GLIBCXX_3.4.32"),
        "{row}"
    );
    assert!(!row.contains("<iostream>"), "{row}");
}

/// `-q`: nothing on stdout or stderr, the same status.
#[test]
fn quiet_prints_nothing() {
    let missing = testdata().join("no-such-file").to_string_lossy().into_owned();
    for args in [
        vec![bin("c-static")],
        vec![bin("musl-dynamic"), missing.clone()],
        vec!["-r".to_string(), testdata().join("bin").to_string_lossy().into_owned()],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let loud = dlcheck(&args);
        let quiet = dlcheck(&[&["-q"][..], &args].concat());
        assert_eq!(quiet.status.code(), loud.status.code(), "{args:?}");
        assert!(quiet.stdout.is_empty() && quiet.stderr.is_empty(), "{args:?}");
    }
}

/// `--summary`: the set's summary only, with how many fail and why; the
/// same counts in JSON, whose reports are left out.
#[test]
fn summary_counts_failures_per_reason() {
    let dir = tempfile::tempdir().unwrap();
    for (name, copies) in [("musl-dynamic", 2), ("c-static", 1), ("truncated-64", 1)] {
        for i in 0..copies {
            std::fs::copy(bin(name), dir.path().join(format!("{name}-{i}"))).unwrap();
        }
    }
    let root = dir.path().to_string_lossy().into_owned();
    let out = dlcheck(&["-r", "--summary", "--color", "never", &root]);
    assert_eq!(out.status.code(), Some(8 + 5));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("summary: 3 executables, 0 libraries, 1 error,"),
        "{stdout}"
    );
    // No report: no headline of an ELF file.
    assert!(!stdout.contains("ELF64 x86_64"), "{stdout}");
    assert!(
        stdout.contains("  failing: 3 (2 problem/interpreter_missing, 1 input/malformed_elf)"),
        "{stdout}"
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&dlcheck(&["-r", "--summary", "--json", &root]).stdout).unwrap();
    assert_eq!(doc["reports"], serde_json::json!([]));
    assert_eq!(
        doc["summary"]["failures"],
        serde_json::json!([
            {"rule": "problem/interpreter_missing", "count": 2},
            {"rule": "input/malformed_elf", "count": 1},
        ])
    );
    // SARIF and Markdown are whole: --summary is refused with them.
    assert_eq!(status(&["-r", "--summary", "--format", "sarif", &root]), 2);
    // Hundreds that fail: the first ten are named, the rest counted.
    for i in 2..12 {
        std::fs::copy(bin("musl-dynamic"), dir.path().join(format!("musl-dynamic-{i}"))).unwrap();
    }
    let stdout = text(&dlcheck(&["-r", "--summary", "--color", "never", &root]).stdout);
    assert_eq!(stdout.matches("    - no image runs ").count(), 10, "{stdout}");
    assert!(
        stdout.contains("    - and 2 more that no image runs (--json lists them all)"),
        "{stdout}"
    );
    // One input: --summary has nothing to summarise, the report is printed.
    let out = dlcheck(&["--summary", "--image", "static-debian12", &bin("c-dynamic")]);
    assert!(
        text(&out.stdout).contains("will crash on start in"),
        "{}",
        text(&out.stdout)
    );
}

/// `-o FILE`: the output in the file, nothing on stdout, no colour.
#[test]
fn output_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.json");
    let out = dlcheck(&["--format", "json", "-o", &file.to_string_lossy(), &bin("c-static")]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(doc["reports"][0]["recommendation"]["variant"], "static");
    let human = dir.path().join("out.txt");
    dlcheck(&["-o", &human.to_string_lossy(), &bin("c-static")]);
    let written = std::fs::read_to_string(&human).unwrap();
    assert!(written.contains("use gcr.io/distroless/static-debian11") && !written.contains('\x1b'));
    // A file that cannot be written: exit 3, said once.
    // It names the file given, not the temporary file beside it.
    let out = dlcheck(&["-o", "/proc/no/such/dir/out", &bin("c-static")]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        text(&out.stderr).trim_end(),
        "dlcheck: cannot write the output: /proc/no/such/dir/out: No such file or directory (os error 2)"
    );
    let out = dlcheck(&["-o", &dir.path().to_string_lossy(), &bin("c-static")]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        text(&out.stderr).trim_end(),
        format!(
            "dlcheck: cannot write the output: {}: Is a directory (os error 21)",
            dir.path().display()
        )
    );
    // ... and a failing program is not hidden by it: 8 + 3.
    let out = dlcheck(&["-o", "/dev/full", "--image", "static-debian12", &bin("c-dynamic")]);
    assert_eq!(out.status.code(), Some(11), "{}", text(&out.stderr));
    // A device is written in place, never replaced by a file.
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata("/dev/full").unwrap().file_type().is_char_device());
    // -o naming an input is refused: the input stays whole.
    let victim = dir.path().join("victim");
    std::fs::copy(bin("c-dynamic"), &victim).unwrap();
    let v = victim.to_string_lossy();
    assert_eq!(status(&["-o", &v, &v]), 2);
    assert_eq!(
        std::fs::read(&victim).unwrap(),
        std::fs::read(bin("c-dynamic")).unwrap()
    );
}

/// `-o FILE` is written beside FILE and renamed over it at the end: a
/// file of a scan named as the output is read before it is replaced (it
/// was truncated first, found by a new user), `-o -` is stdout, and a
/// full disk under any format keeps the status of a failing program.
#[test]
fn output_never_destroys_what_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    for name in ["c-dynamic", "c-static"] {
        std::fs::copy(bin(name), tree.join(name)).unwrap();
    }
    let target = tree.join("c-dynamic");
    let out = dlcheck(&["-r", "--json", "-o", &target.to_string_lossy(), &tree.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    let paths: Vec<&str> = doc["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    assert!(paths[0].ends_with("tree/c-dynamic"), "{paths:?}");
    assert_eq!(doc["reports"][0]["elf"]["interpreter"], "/lib64/ld-linux-x86-64.so.2");
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(&tree)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    // -o - is stdout.
    let out = cargo_bin_cmd!("dlcheck")
        .current_dir(dir.path())
        .args(["-o", "-", &bin("c-static")])
        .output()
        .unwrap();
    assert!(text(&out.stdout).contains("use gcr.io/distroless/static-debian11"));
    assert!(!dir.path().join("-").exists());
    // stdin is read once.
    assert_eq!(status(&["-", "-"]), 2);
    // A full disk: every format keeps the failing program (8 + 3), and the
    // completions end with an error, not clap_complete's panic.
    let full = || std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    for format in ["human", "json", "jsonl", "sarif", "markdown"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dlcheck"))
            .args(["--format", format, &bin("musl-dynamic"), &bin("c-static")])
            .stdout(full())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(11), "{format}: {}", text(&out.stderr));
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dlcheck"))
        .args(["--completions", "zsh"])
        .stdout(full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
}

/// --fail-on warning sees the warnings of the program a container image
/// starts (a shell at run time from os/exec), not only the image's own.
#[test]
fn fail_on_warning_inside_an_image() {
    let dir = tempfile::tempdir().unwrap();
    let program = std::fs::read(bin("go123-osexec")).unwrap();
    let top = images::layer(dir.path(), "top.tar", images::Compress::None, &[("app", &program)], &[]);
    let archive = images::image(dir.path(), &[&top], serde_json::json!({"Entrypoint": ["/app"]}));
    assert_eq!(status(&[&archive]), 0);
    assert_eq!(status(&["--fail-on", "warning", &archive]), 1);
    let results = sarif_results(&["--format", "sarif", &archive]);
    assert!(has(&results, "warning/shell", "warning"), "{results:?}");
}

/// The human labels follow the gate's levels: `warning:` is what fails
/// --fail-on warning, `note:` never does.
#[test]
fn labels_follow_levels() {
    let out = dlcheck(&[
        "--color",
        "never",
        "--image",
        "gcr.io/distroless/cc",
        &bin("go123-static"),
    ]);
    let words = text(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("warning: gcr.io/distroless/cc has no generation in its name"),
        "{words}"
    );
    assert_eq!(
        status(&[
            "--fail-on",
            "warning",
            "--image",
            "gcr.io/distroless/cc",
            &bin("go123-static")
        ]),
        1
    );
    // dlopen named in a program: a note, and no failure.
    let args = ["--color", "never", "--distro", "debian12", &bin("c-dlopen")];
    let out = dlcheck(&args);
    assert!(text(&out.stdout).contains("  note: "), "{}", text(&out.stdout));
    assert!(!text(&out.stdout).contains("  warning: "), "{}", text(&out.stdout));
    assert_eq!(status(&[&["--fail-on", "warning"][..], &args].concat()), 0);
    // A static program recommended from the default generation (frozen
    // debian11) passes --fail-on warning: the frozen note is a note.
    assert_eq!(status(&["--fail-on", "warning", &bin("go123-static")]), 0);
}

/// Flags that do nothing for what was given: refused when another flag
/// decides it (`-v` and `--follow` need `-r`), warned about when the input
/// decides it (`--image` with a container image, `--all` without one,
/// `--summary` for one input, the Dockerfile flags without a Dockerfile);
/// `--dockerfile` with two programs is refused.
#[test]
fn flags_that_do_nothing() {
    let program = bin("c-static");
    assert_eq!(status(&["-v", &program]), 2);
    assert_eq!(status(&["--follow", &program]), 2);
    let image = testdata().join("images/docker-cc12.tar").to_string_lossy().into_owned();
    for (args, warning) in [
        (
            vec!["--all", program.as_str()],
            "dlcheck: warning: --all does nothing without a container image",
        ),
        (
            vec!["--image", "cc-debian12", image.as_str()],
            "dlcheck: warning: --image does nothing for a container image",
        ),
        (
            vec!["--summary", program.as_str()],
            "dlcheck: warning: --summary does nothing for a single input",
        ),
        (
            vec!["--target", "build", program.as_str()],
            "dlcheck: warning: --target does nothing without a Dockerfile",
        ),
        (
            vec!["--build-arg", "V=1", program.as_str()],
            "dlcheck: warning: --build-arg does nothing without a Dockerfile",
        ),
        (
            vec!["--context", "/", program.as_str()],
            "dlcheck: warning: --context does nothing without a Dockerfile",
        ),
    ] {
        let out = dlcheck(&args);
        let stderr = text(&out.stderr);
        assert!(stderr.contains(warning), "{args:?}: {stderr}");
    }
    // The same flags where they do something: no warning.
    let dockerfile = testdata()
        .join("dockerfiles/clean-static.Dockerfile")
        .to_string_lossy()
        .into_owned();
    let context = testdata().join("dockerfiles/context").to_string_lossy().into_owned();
    for args in [
        vec!["--all", image.as_str()],
        vec!["--image", "static-debian12", program.as_str()],
        vec!["--context", context.as_str(), "--build-arg", "V=1", dockerfile.as_str()],
        vec![
            "--context",
            context.as_str(),
            "--dockerfile",
            dockerfile.as_str(),
            program.as_str(),
        ],
    ] {
        assert!(!text(&dlcheck(&args).stderr).contains("warning:"), "{args:?}");
    }
    // One program joins a Dockerfile: a second would be dropped.
    let out = dlcheck(&["--dockerfile", dockerfile.as_str(), program.as_str(), program.as_str()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("error: --dockerfile takes one PATH, the program the image runs"),
        "{}",
        text(&out.stderr)
    );
}

/// A directory without -r: what to do, and --root when it looks like a
/// root file system.
#[test]
fn a_directory_without_r_says_what_to_do() {
    let out = dlcheck(&[&testdata().join("bin").to_string_lossy()]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("is a directory: pass -r to scan it"), "{stderr}");
    assert!(!stderr.contains("--root"), "{stderr}");
    let root = tempfile::tempdir().unwrap();
    for d in ["etc", "usr/lib"] {
        std::fs::create_dir_all(root.path().join(d)).unwrap();
    }
    let stderr = text(&dlcheck(&[&root.path().to_string_lossy()]).stderr);
    assert!(
        stderr.contains("it looks like a root file system: --root DIR /PROGRAM"),
        "{stderr}"
    );
}

/// The note that a verdict holds with a library shipped beside the
/// program is each program's: two programs of a scan that use it both say
/// so (the second's was dropped as a repeat). Found by a fresh-user trial.
#[test]
fn each_program_says_it_uses_a_shipped_library() {
    let tmp = tempfile::tempdir().unwrap();
    let app = testdata().join("apps/shipped");
    for d in ["bin", "lib"] {
        std::fs::create_dir(tmp.path().join(d)).unwrap();
    }
    std::fs::copy(app.join("lib/libdemo.so.1"), tmp.path().join("lib/libdemo.so.1")).unwrap();
    for name in ["app", "app2"] {
        std::fs::copy(app.join("bin/app"), tmp.path().join("bin").join(name)).unwrap();
    }
    let out = dlcheck(&["--color", "never", "-r", &tmp.path().to_string_lossy()]);
    let stdout = text(&out.stdout);
    let note = "note: libdemo.so.1 is shipped beside it, at";
    assert_eq!(stdout.matches(note).count(), 2, "{stdout}");
}

/// The human output wraps its prose to 100 columns when not on a terminal
/// (a word, and what the container prints, stay whole), and the note on
/// the :debug shell appears once for a set.
#[test]
fn human_output_wraps_and_says_a_note_once() {
    let out = dlcheck(&[
        "--color",
        "never",
        "--image",
        "gcr.io/distroless/static-debian12",
        &bin("c-dynamic"),
        &bin("cxx-dynamic"),
    ]);
    let stdout = text(&out.stdout);
    for line in stdout.lines() {
        let quoted = line.starts_with("    ") && !line.starts_with("    - ");
        let one_word = !line.trim().contains(' ');
        assert!(line.chars().count() <= 100 || quoted || one_word, "{line}");
    }
    assert_eq!(
        stdout.matches("the :debug tag adds a busybox shell").count(),
        1,
        "{stdout}"
    );
    assert_eq!(stdout.matches("will crash on start in").count(), 2, "{stdout}");
    // cxx-dynamic lacks the loader and three libraries there: four whys,
    // and each fix once (the loader and libc: cc-debian12; libstdc++ and
    // libgcc_s: the same, or link them statically).
    let cxx = &stdout[stdout.find("testdata/bin/cxx-dynamic").unwrap()..];
    let cxx = &cxx[..cxx.find("  ELF64").unwrap()];
    assert_eq!(cxx.matches("  why: ").count(), 4, "{cxx}");
    let fixes: Vec<&str> = cxx.lines().filter(|l| l.starts_with("  fix: ")).collect();
    assert_eq!(
        fixes,
        [
            "  fix: FROM gcr.io/distroless/cc-debian12",
            "  fix: FROM gcr.io/distroless/cc-debian12, or link with -static-libstdc++ -static-libgcc to need"
        ],
        "{cxx}"
    );
}

/// Completions and the man page come from the command-line definition.
#[test]
fn completions_and_man_page() {
    for (shell, marker) in [
        ("bash", "_dlcheck()"),
        ("zsh", "#compdef dlcheck"),
        ("fish", "complete -c dlcheck"),
    ] {
        let out = dlcheck(&["--completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = text(&out.stdout);
        assert!(script.contains(marker) && script.contains("fail-on"), "{shell}");
    }
    let man = text(&dlcheck(&["--man"]).stdout);
    assert!(man.contains(".TH dlcheck 1"), "{man}");
    assert!(man.contains("\\-\\-fail\\-on"), "{man}");
    assert_eq!(status(&["--man", &bin("c-static")]), 2);
}

/// `--version`: the version, the commit when built from the repository,
/// and which image data the verdicts come from.
#[test]
fn version_names_the_image_data() {
    let v = text(&dlcheck(&["--version"]).stdout);
    assert!(v.starts_with(&format!("dlcheck {}", env!("CARGO_PKG_VERSION"))), "{v}");
    let data = dlcheck::report::ImageData::embedded();
    assert!(v.contains(&format!("image data of {}", data.generated)), "{v}");
    assert!(v.contains(&data.distroless_commit[..12]), "{v}");
    if Path::new(env!("CARGO_MANIFEST_DIR")).join(".git").exists() {
        assert!(v.contains(", commit "), "{v}");
    }
}

/// An architecture tag of --image names the platform; a --platform that
/// says otherwise is warned about, and the tag wins.
#[test]
fn platform_against_an_architecture_tag_is_warned() {
    let out = dlcheck(&[
        "--image",
        "gcr.io/distroless/static-debian12:latest-arm64",
        "--platform",
        "linux/amd64",
        &bin("go123-arm64"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("will start in gcr.io/distroless/static-debian12:latest-arm64 (linux/arm64)"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr)
            .contains("dlcheck: warning: --platform is not the platform the --image architecture tag names"),
        "{}",
        text(&out.stderr)
    );
    let agreed = dlcheck(&[
        "--image",
        "gcr.io/distroless/static-debian12:latest-arm64",
        "--platform",
        "linux/arm64",
        &bin("go123-arm64"),
    ]);
    assert_eq!(text(&agreed.stderr), "");
}
