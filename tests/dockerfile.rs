//! Dockerfile mode: the parser on the syntax the issue lists, every
//! fixture's findings, and each prediction against a real build and run
//! with the Docker engine (BuildKit, and the legacy builder for the blog
//! recipe).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use dlcheck::dockerfile::{self, Settings, parse};
use serde_json::Value;

use crate::common::engine;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/dockerfiles")
}

/// dlcheck's JSON report of a fixture, with the fixtures' context.
fn report(name: &str, extra: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
        .arg("--json")
        .arg("--context")
        .arg(dir().join("context"))
        .args(extra)
        .arg(dir().join(format!("{name}.Dockerfile")))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{name}: {e}"));
    doc["reports"][0].clone()
}

/// The ids of the error and warning findings, in order.
fn rules(r: &Value) -> Vec<String> {
    r["dockerfile"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| format!("{}@{}", f["rule"].as_str().unwrap(), f["line"]))
        .collect()
}

/// Every fixture: the findings (rule@line, errors and warnings) and the
/// prediction, worked out by hand from the Dockerfile reference and the
/// engine's behaviour (the `engine_agrees` test then checks the
/// predictions against real builds).
const EXPECTED: &[(&str, &[&str], &str, &str)] = &[
    (
        "blog",
        &["copy-onto-directory@7", "command-missing@8"],
        "fails",
        "not-built",
    ),
    ("arch-tag", &["linkage@4"], "succeeds", "crashes"),
    ("blog-fixed", &[], "succeeds", "starts"),
    ("builder-newer-glibc", &["builder-newer-glibc@6"], "succeeds", "unknown"),
    ("builder-platform", &[], "succeeds", "starts"),
    ("cgo-static", &["cgo-static@6"], "succeeds", "unknown"),
    ("cxx-libstdcxx", &["cxx-libstdcxx@6"], "succeeds", "unknown"),
    ("clean-args", &[], "succeeds", "starts"),
    ("clean-continuation", &[], "succeeds", "starts"),
    ("clean-debian13-bin", &[], "succeeds", "starts"),
    ("clean-dynamic", &[], "succeeds", "starts"),
    ("clean-copied-library", &[], "succeeds", "starts"),
    ("clean-ld-library-path", &[], "succeeds", "starts"),
    ("clean-entrypoint-cmd", &[], "succeeds", "starts"),
    ("clean-entrypoint-reset", &[], "succeeds", "starts"),
    ("clean-existing-dir", &[], "succeeds", "starts"),
    ("clean-multiple-sources", &[], "succeeds", "starts"),
    ("clean-nonroot-path", &[], "succeeds", "starts"),
    ("clean-scratch", &[], "succeeds", "starts"),
    ("clean-static", &[], "succeeds", "starts"),
    ("clean-workdir", &[], "succeeds", "starts"),
    ("dynamic-on-static", &["dynamic-on-static@6"], "succeeds", "unknown"),
    ("heredoc-escape", &[], "succeeds", "starts"),
    ("linkage-glibc", &["linkage@2"], "succeeds", "crashes"),
    ("linkage-library-elsewhere", &["linkage@4"], "succeeds", "crashes"),
    (
        "ignored-source",
        &["copy-source-missing@5", "command-missing@6"],
        "fails",
        "not-built",
    ),
    ("ignored-reinclude", &[], "succeeds", "starts"),
    ("linkage-path-command", &["linkage@5"], "succeeds", "crashes"),
    (
        "linkage-path-interpreter",
        &["linkage@5", "linkage@5"],
        "succeeds",
        "crashes",
    ),
    ("linkage-static", &["linkage@2", "linkage@2"], "succeeds", "crashes"),
    ("no-command", &["no-command@0"], "succeeds", "crashes"),
    ("nonroot-root", &["nonroot-user@3"], "succeeds", "starts"),
    ("not-executable", &["command-not-executable@3"], "succeeds", "crashes"),
    ("relative-name", &["command-not-in-path@4"], "succeeds", "crashes"),
    ("run-without-shell", &["run-without-shell@3"], "fails", "not-built"),
    ("rust-builder-platform", &[], "succeeds", "unknown"),
    ("rust-libgcc", &["rust-libgcc@6"], "succeeds", "unknown"),
    ("script-entrypoint", &["script-entrypoint@2"], "succeeds", "crashes"),
    (
        "several-to-file",
        &["copy-several-to-file@2", "command-missing@3"],
        "succeeds",
        "crashes",
    ),
    ("shell-form", &["shell-form@3"], "succeeds", "crashes"),
    ("shell-form-debug", &["shell-form@4"], "succeeds", "crashes"),
    (
        "source-missing",
        &["copy-source-missing@2", "command-missing@3"],
        "fails",
        "not-built",
    ),
    ("target", &["shell-form@7"], "succeeds", "crashes"),
    ("target-platform", &[], "succeeds", "starts"),
    ("unknown-base", &[], "succeeds", "unknown"),
    ("user-missing", &["user-missing@3"], "succeeds", "crashes"),
    ("wrong-arch", &["linkage@4"], "succeeds", "crashes"),
];

#[test]
fn every_fixture_gives_its_findings() {
    let on_disk: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_suffix(".Dockerfile")
                .map(str::to_string)
        })
        .collect();
    assert!(on_disk.len() >= 20);
    for name in &on_disk {
        assert!(EXPECTED.iter().any(|(n, ..)| n == name), "{name} has no expectation");
    }
    for (name, want, build, start) in EXPECTED {
        let r = report(name, &[]);
        let p = &r["dockerfile"]["prediction"];
        assert_eq!(rules(&r), *want, "{name}");
        assert_eq!(
            (p["build"].as_str(), p["start"].as_str()),
            (Some(*build), Some(*start)),
            "{name}"
        );
        let warnings = [
            "nonroot-user@",
            "cgo-static@",
            "builder-newer-glibc@",
            "dynamic-on-static@",
            "rust-libgcc@",
            "cxx-libstdcxx@",
            "copy-several-to-file@",
        ];
        let code = i32::from(want.iter().any(|w| !warnings.iter().any(|x| w.starts_with(x))));
        let exit = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
            .arg("--context")
            .arg(dir().join("context"))
            .arg(dir().join(format!("{name}.Dockerfile")))
            .output()
            .unwrap();
        assert_eq!(
            exit.status.code(),
            Some(code),
            "{name}: {}",
            String::from_utf8_lossy(&exit.stderr)
        );
    }
}

#[test]
fn the_blog_recipe_says_what_the_engine_prints() {
    let r = report("blog", &[]);
    let f = &r["dockerfile"]["findings"];
    let missing = f
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "command-missing")
        .unwrap();
    assert_eq!(
        missing["output"],
        "exec: \"/app\": stat /app: no such file or directory"
    );
    assert_eq!(missing["line"], 8);
    let stages = &r["dockerfile"]["stages"];
    assert_eq!(
        stages[0]["builder"]["release"], "debian12",
        "golang:1.20 ended on bookworm"
    );
    let fixed = report("blog-fixed", &[]);
    assert!(
        fixed["dockerfile"]["prediction"]["assumes"]
            .as_str()
            .unwrap()
            .contains("CGO_ENABLED=0")
    );
}

#[test]
fn target_and_build_args() {
    let release = report("target", &["--target", "release"]);
    assert_eq!(release["dockerfile"]["prediction"]["start"], "starts");
    assert_eq!(rules(&release), Vec::<String>::new());
    let missing = report("target", &["--target", "nope"]);
    assert_eq!(rules(&missing), ["unknown-target@0"]);
    // A build argument moves the copy away from where CMD looks.
    let moved = report("clean-args", &["--build-arg", "DEST=/srv/"]);
    assert_eq!(rules(&moved), ["command-not-in-path@7"]);
    let base = report(
        "clean-args",
        &["--build-arg", "BASE=gcr.io/distroless/static-debian11:nonroot"],
    );
    assert_eq!(
        base["dockerfile"]["base"]["image"],
        "gcr.io/distroless/static-debian11:nonroot"
    );
}

#[test]
fn a_binary_or_image_given_with_the_dockerfile() {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin");
    let out = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
        .args(["--json", "--dockerfile"])
        .arg(dir().join("cgo-static.Dockerfile"))
        .arg(bin.join("go123-cgo-stripped"))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &doc["reports"][0]["dockerfile"];
    // The exact verdict replaces the guess about cgo.
    let ids: Vec<&str> = c["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"linkage") && !ids.contains(&"cgo-static"), "{ids:?}");
    assert_eq!(c["prediction"]["output"], "exec /server: no such file or directory");
    assert_eq!(
        c["program"]["image_check"]["image"],
        "gcr.io/distroless/static-debian12:nonroot"
    );
    assert_eq!(out.status.code(), Some(1));
}

/// A program given with the Dockerfile that cannot be read: its one line
/// on stderr (it was only inside the JSON, and the human output showed its
/// bare path), with its exit code; the Dockerfile's report still on
/// stdout. Found by a fresh-user trial.
#[test]
fn a_joined_program_that_cannot_be_read_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let cut = tmp.path().join("cut");
    let ls = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin/c-dynamic")).unwrap();
    std::fs::write(&cut, &ls[..1000]).unwrap();
    let missing = tmp.path().join("missing");
    for (path, code, words) in [
        (&missing, 3, "no such file: check the path"),
        (&cut, 5, "malformed ELF: "),
    ] {
        for json in [false, true] {
            let out = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
                .args(if json { &["--json"][..] } else { &[] })
                .arg("--dockerfile")
                .arg(dir().join("clean-static.Dockerfile"))
                .arg(path)
                .output()
                .unwrap();
            let stderr = String::from_utf8(out.stderr).unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            assert!(
                stderr.starts_with(&format!("dlcheck: {}: {words}", path.display())),
                "{stderr}"
            );
            assert_eq!(out.status.code(), Some(code), "{stderr}");
            assert!(stdout.contains("clean-static.Dockerfile"), "{stdout}");
            if !json {
                assert!(!stdout.lines().any(|l| l == path.to_str().unwrap()), "{stdout}");
            }
        }
    }
}

/// `--dockerfile` given a program: what it is, in one line (it was an
/// "unknown instruction" of 350 escaped bytes). Found by a fresh-user
/// trial.
#[test]
fn a_program_where_the_dockerfile_goes() {
    let elf = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin/c-static");
    let out = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
        .arg("--dockerfile")
        .arg(&elf)
        .arg(&elf)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "dlcheck: {}: malformed Dockerfile: not a Dockerfile but an ELF file: the Dockerfile comes first",
            elf.display()
        )),
        "{stderr}"
    );
}

/// `--context` that is missing or not a directory: the command line's
/// error (exit 3, one line), not a Dockerfile whose sources are missing.
/// Found by a fresh-user trial.
#[test]
fn a_context_that_is_not_a_directory() {
    for (context, words) in [
        ("/nonexistent-context", "no such file: check the path"),
        ("/etc/passwd", "not a directory: --context names the build context"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
            .args(["--context", context])
            .arg(dir().join("clean-static.Dockerfile"))
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with(&format!("dlcheck: {context}: ")) && stderr.contains(words),
            "{stderr}"
        );
    }
}

/// `builder-newer-glibc`'s fix names a distroless image with that glibc
/// (debian12's is 2.36, the first at or above ubuntu 22.04's 2.35), not the
/// builder's release. Found by a fresh-user trial.
#[test]
fn newer_glibc_fix_names_a_distroless_image() {
    let text = "FROM ubuntu:22.04 AS build\nRUN apt-get install -y gcc && gcc -o /server main.c\nFROM gcr.io/distroless/cc-debian11\nCOPY --from=build /server /server\nENTRYPOINT [\"/server\"]\n";
    let finding = finding_in(text, &[], "builder-newer-glibc").unwrap();
    assert_eq!(
        finding["fix"],
        "build on debian:bullseye with gcc, or use gcr.io/distroless/cc-debian12; pass the binary (dlcheck --dockerfile Dockerfile ./app) to make certain"
    );
}

#[test]
fn detected_by_name_and_content() {
    let p = |s: &str| PathBuf::from(s);
    for name in [
        "Dockerfile",
        "Containerfile",
        "app.Dockerfile",
        "Dockerfile.prod",
        "dockerfile",
    ] {
        assert!(dockerfile::is_dockerfile(&p(name), b""), "{name}");
    }
    assert!(dockerfile::is_dockerfile(
        &p("build.txt"),
        b"# syntax=docker/dockerfile:1\nARG X=1\nfrom alpine\n"
    ));
    assert!(!dockerfile::is_dockerfile(&p("notes.txt"), b"hello\nFROM x\n"));
    assert!(!dockerfile::is_dockerfile(&p("data.bin"), b"\xff\xfe"));
}

/// The syntax the issue lists, read by parse-dockerfile and lowered.
#[test]
fn parser_cases() {
    let args: BTreeMap<String, String> = [("V".to_string(), "12".to_string())].into();
    let text = "# syntax=docker/dockerfile:1\n# escape=\\\nARG V=11\nARG REG=gcr.io/distroless\nFROM golang:1.22 AS Build\nRUN --mount=type=cache,target=/root/.cache \\\n    CGO_ENABLED=0 go build -o /out/app .\nFROM ${REG}/static-debian${V}:nonroot\n# a comment\nCOPY --from=build --chown=nonroot:nonroot --chmod=0755 /out/app /app\nCOPY [\"a b\", \"/c d/\"]\nCOPY <<EOT /etc/x.conf\nk = v\nEOT\nENV A=1 B=\"two words\"\nCMD [\"/app\", \"--a=\\\"q\\\"\"]\nENTRYPOINT /app -x\n";
    let d = parse::parse(text, &args).unwrap();
    assert_eq!(d.stages.len(), 2);
    assert_eq!(d.stages[0].name.as_deref(), Some("build"));
    assert_eq!(
        d.stages[1].base, "gcr.io/distroless/static-debian12:nonroot",
        "ARG before FROM, --build-arg wins"
    );
    assert_eq!(d.stages[1].at.line, 8);
    let ops: Vec<&parse::Op> = d.stages[1].steps.iter().map(|s| &s.op).collect();
    let parse::Op::Copy(c) = ops[0] else { panic!() };
    assert_eq!(
        (c.from.as_deref(), c.chmod.as_deref(), c.dest.as_str()),
        (Some("build"), Some("0755"), "/app")
    );
    let parse::Op::Copy(json) = ops[1] else { panic!() };
    assert_eq!(json.sources, [parse::Source::Path("a b".into())]);
    assert_eq!(json.dest, "/c d/");
    let parse::Op::Copy(h) = ops[2] else { panic!() };
    assert_eq!(
        h.sources,
        [parse::Source::HereDoc {
            name: "EOT".into(),
            body: "k = v\n".into()
        }]
    );
    let parse::Op::Env(env) = ops[3] else { panic!() };
    assert_eq!(env[1], ("B".to_string(), "two words".to_string()));
    let parse::Op::Cmd(cmd) = ops[4] else { panic!() };
    assert_eq!(*cmd, parse::Command::Exec(vec!["/app".into(), "--a=\"q\"".into()]));
    let parse::Op::Entrypoint(e) = ops[5] else { panic!() };
    assert_eq!(*e, parse::Command::Shell("/app -x".into()));
    let parse::Op::Run {
        command: parse::Command::Shell(run),
        ..
    } = &d.stages[0].steps[0].op
    else {
        panic!()
    };
    assert!(run.contains("CGO_ENABLED=0 go build"), "continuation joined: {run}");
    // Two heredocs in one COPY, each a file named after its delimiter.
    let d = parse::parse("FROM scratch\nCOPY <<A <<\"B\" /etc/\na\nA\nb\nB\n", &BTreeMap::new()).unwrap();
    let parse::Op::Copy(c) = &d.stages[0].steps[0].op else {
        panic!()
    };
    let names: Vec<&str> = c
        .sources
        .iter()
        .map(|s| match s {
            parse::Source::HereDoc { name, .. } => name.as_str(),
            parse::Source::Path(p) => p.as_str(),
        })
        .collect();
    assert_eq!(names, ["A", "B"]);
    // A backtick escape directive.
    let d = parse::parse("# escape=`\nFROM scratch\nCOPY a `\n  /b\n", &BTreeMap::new()).unwrap();
    let parse::Op::Copy(c) = &d.stages[0].steps[0].op else {
        panic!()
    };
    assert_eq!(c.dest, "/b");
}

/// `ENTRYPOINT []` clears an inherited entrypoint; parse-dockerfile 0.1.9
/// refuses it, so dlcheck blanks the line and puts the reset back.
#[test]
fn empty_entrypoint_is_handled_here() {
    let text = "FROM gcr.io/distroless/base-debian12:debug\nENTRYPOINT []\nCMD [\"/app\"]\n";
    assert!(
        parse_dockerfile::parse(text).is_err(),
        "the crate now accepts ENTRYPOINT []: drop the workaround"
    );
    let d = parse::parse(text, &BTreeMap::new()).unwrap();
    assert!(matches!(&d.stages[0].steps[0].op, parse::Op::Entrypoint(parse::Command::Exec(a)) if a.is_empty()));
    let r = dockerfile::check(Path::new("Dockerfile"), text, &Settings::default(), None).unwrap();
    assert_eq!(r.command, ["/app"]);
}

/// Without --context, the Dockerfile's directory is taken as the context,
/// and a source missing there is only a warning: the build's context may be
/// elsewhere.
#[test]
fn default_context_is_a_guess() {
    let tmp = tempfile::tempdir().unwrap();
    let df = tmp.path().join("Dockerfile");
    std::fs::write(
        &df,
        "FROM gcr.io/distroless/static-debian12\nCOPY dist/server /server\nENTRYPOINT [\"/server\"]\n",
    )
    .unwrap();
    let c = dockerfile::check(&df, &std::fs::read_to_string(&df).unwrap(), &Settings::default(), None).unwrap();
    let ids: Vec<&str> = c.findings.iter().map(|f| f.rule.id()).collect();
    assert_eq!(ids, ["final-base", "copy-source-unseen"]);
    assert_eq!(c.prediction.start, "unknown");
    let given = Settings {
        context: Some(tmp.path().to_path_buf()),
        ..Settings::default()
    };
    let c = dockerfile::check(&df, &std::fs::read_to_string(&df).unwrap(), &given, None).unwrap();
    assert_eq!(c.prediction.build, "fails");
}

#[test]
fn malformed_dockerfile_is_exit_5() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("Dockerfile");
    // What BuildKit refuses, and how it says so (docker build with
    // BuildKit 0.x here: "Unknown flag: frm", "base name (${X}) should not
    // be blank").
    for (text, says) in [
        ("FROM scratch\nCOPY <<EOF /x\nno end\n", "line"),
        (
            "FROM scratch\nCOPY --frm=a /x /x\n",
            "line 2, column 6: Unknown flag: frm",
        ),
        (
            "FROM scratch\nADD --from=a /x /x\n",
            "line 2, column 5: Unknown flag: from",
        ),
        (
            "FROM --plaform=linux/amd64 scratch\n",
            "line 1, column 6: Unknown flag: plaform",
        ),
        (
            "ARG X\nFROM ${X}\n",
            "line 2, column 6: base name (${X}) should not be blank",
        ),
        // The position said once (the parser's own "at line 1 column 1"
        // is left out), and none for the whole text.
        (
            "FROM\n",
            "line 1, column 1: FROM instruction requires at least one argument; docker build",
        ),
        // The stage graph (engine_refuses_the_malformed checks these
        // against BuildKit): a stage reading from itself, two reading from
        // each other (named after the first stage that reaches the cycle),
        // an index that names no stage, a name BuildKit refuses.
        (
            "FROM scratch AS self\nCOPY --from=self /etc/passwd /x\n",
            "line 2, column 1: circular dependency detected on stage: self; docker build",
        ),
        (
            "FROM scratch AS a\nCOPY --from=C /x /x\nFROM scratch AS b\nCOPY --from=c /y /y\nFROM scratch AS c\nRUN --mount=from=b,target=/m true\n",
            "line 2, column 1: circular dependency detected on stage: a; docker build",
        ),
        (
            "FROM scratch\nCOPY --from=0 /x /x\n",
            "line 2, column 1: circular dependency detected on stage: stage-0; docker build",
        ),
        (
            "FROM scratch\nCOPY --from=1 /x /x\n",
            "line 2, column 1: invalid stage index 1; docker build",
        ),
        (
            "FROM scratch AS 1Bad\n",
            "line 1, column 1: invalid name for build stage: \"1Bad\", name can't start with a number or contain symbols; docker build",
        ),
        // Comments and blank lines alone: the engine's parser's words
        // (engine_refuses_the_malformed checks them against BuildKit).
        ("# nothing but a comment\n", "file with no instructions; docker build"),
        (
            "# syntax=docker/dockerfile:1\n\n   \n# more\n",
            "file with no instructions; docker build",
        ),
        // An empty file named Dockerfile is an empty Dockerfile, not an
        // empty program (exit 4, "nothing to run").
        ("", "the Dockerfile cannot be empty; docker build"),
        // Blanks are no instructions (BuildKit: the file is not empty).
        (" \n\n", "file with no instructions; docker build"),
    ] {
        std::fs::write(&f, text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_dlcheck")).arg(&f).output().unwrap();
        assert_eq!(out.status.code(), Some(5), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("dlcheck: ") && err.contains(&format!("malformed Dockerfile: {says}")),
            "{text}: {err}"
        );
    }
}

/// A base name of a megabyte is malformed in one line of stderr that
/// names it clipped (it was accepted, and echoed whole into the report).
#[test]
fn a_huge_base_name_is_one_short_line() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("Dockerfile");
    std::fs::write(&f, format!("FROM {}\nRUN true\n", "a".repeat(1 << 20))).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dlcheck")).arg(&f).output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(err.lines().count(), 1);
    assert!(err.len() < 2048, "{} bytes", err.len());
    assert!(
        err.contains(&format!(
            "line 1, column 6: failed to parse stage name \"{}... (1048576 bytes)\": repository name must not be more than 255 characters",
            "a".repeat(1024)
        )),
        "{err}"
    );
}

/// What the stage graph allows: a stage may read from a later one, a
/// mount's `from=0` names an image (mounts take names only), a tmpfs mount
/// reads nothing. None of these is malformed (the engine built the first).
#[test]
fn stage_graph_buildkit_accepts() {
    for text in [
        "FROM scratch AS a\nCOPY --from=b /x /x\nFROM scratch AS b\nCOPY go.mod /y\nFROM a\n",
        "FROM scratch AS a\nRUN --mount=from=0,target=/m true\n",
        "FROM scratch AS a\nRUN --mount=type=tmpfs,from=a,target=/m true\n",
        "FROM scratch AS a\nCOPY --from=gcr.io/distroless/static-debian12 /etc/passwd /x\n",
    ] {
        let d = parse::parse(text, &BTreeMap::new());
        assert!(d.is_ok(), "{text:?}: {d:?}");
    }
}

/// A library the final stage copies in is found only under the name it is
/// copied as (a COPY makes no link under its DT_SONAME) and only where the
/// loader looks; the fixtures `clean-copied-library`, `clean-ld-library-path`
/// and `linkage-library-elsewhere` are the cases the engine runs.
#[test]
fn copied_libraries_are_found_where_they_land() {
    let start = |text: &str| {
        let (code, doc) = written_json(text, &[]);
        let d = &doc["reports"][0]["dockerfile"];
        (
            code,
            d["prediction"]["start"].as_str().unwrap().to_string(),
            d["prediction"]["output"].clone(),
        )
    };
    let head = "FROM gcr.io/distroless/base-nossl-debian12\nCOPY app-lib /opt/app/bin/app\n";
    let missing = "/opt/app/bin/app: error while loading shared libraries: libdemo.so.1: cannot open shared object file: No such file or directory";
    // Renamed on the way in: the loader looks for libdemo.so.1.
    let renamed = format!("{head}COPY lib/libdemo.so.1 /opt/app/lib/libdemo.so\nENTRYPOINT [\"/opt/app/bin/app\"]\n");
    assert_eq!(start(&renamed), (Some(1), "crashes".into(), Value::from(missing)));
    // A directory copied whole lands the library where DT_RUNPATH points.
    let whole = format!("{head}COPY lib /opt/app/lib\nENTRYPOINT [\"/opt/app/bin/app\"]\n");
    assert_eq!(start(&whole), (Some(0), "starts".into(), Value::Null));
    // LD_LIBRARY_PATH naming another directory does not help.
    let elsewhere = format!(
        "{head}COPY lib/libdemo.so.1 /srv/\nENV LD_LIBRARY_PATH=/opt/lib:/usr/local/lib\nENTRYPOINT [\"/opt/app/bin/app\"]\n"
    );
    assert_eq!(start(&elsewhere), (Some(1), "crashes".into(), Value::from(missing)));
}

/// Neither ENTRYPOINT nor CMD fails the start only when the base's are
/// known to be empty (scratch, distroless): alpine's CMD is /bin/sh, and an
/// unknown base may give one (it said "No command specified", exit 1).
#[test]
fn no_command_needs_a_known_base() {
    for (text, rule, start) in [
        ("FROM alpine:3.20\nCOPY app /x\n", None, "unknown"),
        ("FROM alpine:3.20 AS a\nFROM a\nCOPY app /x\n", None, "unknown"),
        ("FROM scratch\nCOPY app /x\n", Some("no-command"), "crashes"),
        (
            "FROM gcr.io/distroless/static-debian12\nCOPY app /x\n",
            Some("no-command"),
            "crashes",
        ),
    ] {
        let (_, doc) = written_json(text, &[]);
        let d = &doc["reports"][0]["dockerfile"];
        let found = d["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "no-command");
        assert_eq!(found.map(|f| f["rule"].as_str().unwrap()), rule, "{text}");
        assert_eq!(d["prediction"]["start"], start, "{text}");
    }
}

/// Every problem of the start is listed, and the container prints the
/// first the runtime meets (the user, before the command), whatever the
/// order of the lines (it listed only the user's: once fixed, the shell
/// form's came as a surprise). Found by a fresh-user trial.
#[test]
fn the_start_lists_every_problem_and_prints_the_first_met() {
    for (text, lines) in [
        (
            "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY app /app\nUSER appuser\nENTRYPOINT /app --flag\n",
            [3, 4],
        ),
        (
            "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY app /app\nENTRYPOINT /app --flag\nUSER appuser\n",
            [4, 3],
        ),
    ] {
        let (code, doc) = written_json(text, &[]);
        let d = &doc["reports"][0]["dockerfile"];
        let errors: Vec<(String, u64)> = d["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] == "error")
            .map(|f| (f["rule"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap()))
            .collect();
        let mut want = vec![
            ("user-missing".to_string(), lines[0]),
            ("shell-form".to_string(), lines[1]),
        ];
        want.sort_by_key(|(_, l)| *l);
        assert_eq!(errors, want, "{text}");
        assert_eq!(code, Some(1));
        assert_eq!(
            d["prediction"]["output"], "unable to find user appuser: no matching entries in passwd file",
            "{text}"
        );
    }
}

/// A Rust program built for musl (or with crt-static) starts in `static`,
/// as a Go program built without cgo does (it said "not known"); built in
/// a stage of another platform without --target, it does not.
#[test]
fn a_static_rust_build_starts_in_static() {
    let rust = |from: &str| {
        format!(
            "FROM {from} AS build\nWORKDIR /src\nCOPY app .\nRUN cargo build --release --target x86_64-unknown-linux-musl\nFROM gcr.io/distroless/static-debian12\nCOPY --from=build /src/target/x86_64-unknown-linux-musl/release/app /app\nENTRYPOINT [\"/app\"]\n"
        )
    };
    let (_, doc) = written_json(&rust("rust:1-bookworm"), &[]);
    let p = &doc["reports"][0]["dockerfile"]["prediction"];
    assert_eq!(p["start"], "starts");
    assert_eq!(
        p["assumes"],
        "/app is the program stage build builds, linked statically (crt-static or a musl target): it needs nothing from the image"
    );
    // --target names the platform: built for amd64 on an arm64 stage.
    let (_, doc) = written_json(&rust("--platform=linux/arm64 rust:1-bookworm"), &[]);
    assert_eq!(doc["reports"][0]["dockerfile"]["prediction"]["start"], "starts");
    // rust:alpine builds for musl without being told.
    let alpine = rust("rust:1-alpine").replace(" --target x86_64-unknown-linux-musl", "");
    let (_, doc) = written_json(&alpine, &[]);
    assert_eq!(
        doc["reports"][0]["dockerfile"]["prediction"]["start"], "starts",
        "{alpine}"
    );
    let into_base = alpine.replace("static-debian12", "base-debian12");
    assert!(finding_in(&into_base, &[], "rust-libgcc").is_none(), "{into_base}");
    assert!(finding_in(&into_base.replace("1-alpine", "1-bookworm"), &[], "rust-libgcc").is_some());
    // Without it, for the stage's platform.
    let text = rust("--platform=linux/arm64 rust:1-bookworm").replace(" --target x86_64-unknown-linux-musl", "");
    let text = text.replace(
        "RUN cargo build",
        "RUN RUSTFLAGS='-C target-feature=+crt-static' cargo build",
    );
    assert!(finding_in(&text, &[], "builder-platform").is_some(), "{text}");
}

/// Whether cgo is on, or a C program static, is decided for the command
/// that made the copied file (its `-o`), with the `CGO_ENABLED` that
/// command sees, not for the whole RUN. Found by a fresh-user trial: each
/// of the first four said "will start" or gave no warning.
#[test]
fn cgo_and_static_are_decided_per_command() {
    let go = |build: &str| {
        format!(
            "FROM golang:1.22-bookworm AS build\nWORKDIR /src\nCOPY app .\n{build}\nFROM gcr.io/distroless/static-debian12\nCOPY --from=build /out/app /app\nENTRYPOINT [\"/app\"]\n"
        )
    };
    let c = |build: &str| {
        format!(
            "FROM gcc:12 AS build\nCOPY app .\n{build}\nFROM gcr.io/distroless/static-debian12\nCOPY --from=build /out/app /app\nENTRYPOINT [\"/app\"]\n"
        )
    };
    for (text, rule, start) in [
        // cgo on for the program copied: the warning.
        (
            go("ENV CGO_ENABLED=0\nRUN CGO_ENABLED=1 go build -o /out/app ."),
            Some("cgo-static"),
            "unknown",
        ),
        (
            go("RUN echo CGO_ENABLED=0 && go build -o /out/app ."),
            Some("cgo-static"),
            "unknown",
        ),
        (
            go("RUN CGO_ENABLED=0 go build -o /out/server . && go build -o /out/app ."),
            Some("cgo-static"),
            "unknown",
        ),
        (
            c("RUN gcc -o /out/app main.c && gcc -static -o /out/app-static main.c"),
            Some("dynamic-on-static"),
            "unknown",
        ),
        // cgo off, or static, for the program copied.
        (
            go("RUN CGO_ENABLED=0 go build -o /out/app . && go build -o /out/helper ."),
            None,
            "starts",
        ),
        (go("RUN export CGO_ENABLED=0; go build -o /out/app ."), None, "starts"),
        (
            go("RUN go env -w CGO_ENABLED=0\nRUN go build -o ../out/app ."),
            None,
            "starts",
        ),
        (go("ENV CGO_ENABLED=0\nRUN go build -o /out/ ."), None, "starts"),
        (
            c("RUN gcc -o /out/app-dyn main.c && gcc -static -o /out/app main.c"),
            None,
            "starts",
        ),
        // A make's flags are not seen: no warning, and not known.
        (c("RUN make LDFLAGS=-static && cp app /out/app"), None, "unknown"),
        // cgo on, but linked statically, or with nothing left that needs
        // cgo: not known, and no warning.
        (
            go("RUN go build -ldflags '-linkmode external -extldflags -static' -o /out/app ."),
            None,
            "unknown",
        ),
        (go("RUN go build -tags netgo,osusergo -o /out/app ."), None, "unknown"),
    ] {
        let (_, doc) = written_json(&text, &[]);
        let d = &doc["reports"][0]["dockerfile"];
        let warned: Vec<&str> = d["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] == "warning")
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        assert_eq!(warned, rule.into_iter().collect::<Vec<_>>(), "{text}");
        assert_eq!(d["prediction"]["start"], start, "{text}");
    }
}

/// What the loader meets in the image a Dockerfile builds: a program in a
/// directory copied whole, links inside a copied directory (kept as links:
/// one to a path outside the image leads nowhere), and LD_LIBRARY_PATH as
/// glibc reads it (`;`, an empty entry for the working directory, a
/// relative entry, `$ORIGIN`). Each was wrong before (found by a fresh-user
/// trial); with the engine here, each is built and run, and the container
/// does what was predicted.
#[test]
fn the_loader_meets_what_the_dockerfile_copies() {
    let tmp = tempfile::tempdir().unwrap();
    let ctx = tmp.path();
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/apps/shipped");
    for d in ["bin", "lib", "abs", "rel"] {
        std::fs::create_dir(ctx.join(d)).unwrap();
    }
    std::fs::copy(app.join("bin/app"), ctx.join("bin/app")).unwrap();
    std::fs::copy(app.join("lib/libdemo.so.1"), ctx.join("lib/libdemo.so.1")).unwrap();
    std::fs::copy(app.join("lib/libdemo.so.1"), ctx.join("rel/libdemo.so.1.0")).unwrap();
    std::os::unix::fs::symlink(ctx.join("lib/libdemo.so.1"), ctx.join("abs/libdemo.so.1")).unwrap();
    std::os::unix::fs::symlink("libdemo.so.1.0", ctx.join("rel/libdemo.so.1")).unwrap();
    let engine = engine::Engine::get("dockerfile::the_loader_meets_what_the_dockerfile_copies");
    let missing = |p: &str| {
        format!(
            "{p}: error while loading shared libraries: libdemo.so.1: cannot open shared object file: No such file or directory"
        )
    };
    for (i, (body, crash)) in [
        ("COPY bin /srv/bin\nCOPY lib /srv/lib\nENTRYPOINT [\"/srv/bin/app\"]", None),
        ("COPY bin/app /srv/bin/app\nCOPY abs /srv/lib\nENTRYPOINT [\"/srv/bin/app\"]", Some(missing("/srv/bin/app"))),
        ("COPY bin/app /srv/bin/app\nCOPY rel /srv/lib\nENTRYPOINT [\"/srv/bin/app\"]", None),
        ("WORKDIR /w\nCOPY bin/app /app\nCOPY lib/libdemo.so.1 /w/mylib/\nENV LD_LIBRARY_PATH=mylib\nENTRYPOINT [\"/app\"]", None),
        ("WORKDIR /w\nCOPY bin/app /app\nCOPY lib/libdemo.so.1 /w/\nENV LD_LIBRARY_PATH=/nope:\nENTRYPOINT [\"/app\"]", None),
        (
            "COPY bin/app /usr/local/bin/app\nCOPY lib/libdemo.so.1 /usr/local/lib2/\nENV LD_LIBRARY_PATH='$ORIGIN/../lib2'\nENTRYPOINT [\"/usr/local/bin/app\"]",
            None,
        ),
        ("COPY bin/app /app\nCOPY lib/libdemo.so.1 /opt/a/\nENV LD_LIBRARY_PATH=/opt/b;/opt/a\nENTRYPOINT [\"/app\"]", None),
        ("COPY bin/app /app\nCOPY lib/libdemo.so.1 /opt/a/\nENTRYPOINT [\"/app\"]", Some(missing("/app"))),
    ]
    .into_iter()
    .enumerate()
    {
        let df = ctx.join(format!("Dockerfile.{i}"));
        std::fs::write(&df, format!("FROM gcr.io/distroless/base-nossl-debian12\n{body}\n")).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
            .args(["--json", "--context"])
            .arg(ctx)
            .arg(&df)
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let p = &doc["reports"][0]["dockerfile"]["prediction"];
        let want = if crash.is_some() { "crashes" } else { "starts" };
        assert_eq!(p["start"], want, "{body}");
        assert_eq!(p["output"].as_str(), crash.as_deref(), "{body}");
        let Some(engine) = &engine else { continue };
        let tag = format!("dlcheck-test-df-loader-{i}");
        let built = Command::new("timeout")
            .args(["300", buildkit_client(), "build", "--progress=plain", "-t", &tag, "-f"])
            .arg(&df)
            .arg(ctx)
            .env("DOCKER_BUILDKIT", "1")
            .output()
            .unwrap();
        assert!(built.status.success(), "{body}: {}", String::from_utf8_lossy(&built.stderr));
        let _guard = engine::Loaded { name: tag.clone() };
        let run = engine.run(&tag, &[]);
        let printed = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
        match &crash {
            None => assert!(run.status.success() && printed.contains("hello, distroless"), "{body}: {printed}"),
            Some(words) => assert!(!run.status.success() && printed.contains(words.as_str()), "{body}: {printed}"),
        }
    }
}

/// A UTF-8 byte-order mark is read past: lines and columns are those of
/// the text after it.
#[test]
fn byte_order_mark_keeps_positions() {
    let text =
        "\u{feff}# c\nFROM gcr.io/distroless/static-debian12\nCOPY app-dyn /app\nUSER appuser\nENTRYPOINT [\"/app\"]\n";
    let d = parse::parse(text, &BTreeMap::new()).unwrap();
    assert_eq!((d.stages[0].at.line, d.stages[0].at.column), (2, 1));
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("Dockerfile");
    std::fs::write(&f, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
        .args(["--json", "--context"])
        .arg(dir().join("context"))
        .arg(&f)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let at: Vec<(String, u64, u64)> = v["reports"][0]["dockerfile"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        at,
        [
            ("final-base".to_string(), 2, 1),
            ("linkage".to_string(), 3, 1),
            ("linkage".to_string(), 3, 1),
            ("user-missing".to_string(), 4, 1)
        ]
    );
}

/// The platform the image is built for: `--platform`, else this machine's
/// (amd64 here and in CI), as `docker build` chooses; the automatic
/// platform ARGs follow it; an architecture tag of the base wins.
#[test]
fn the_build_platform_decides() {
    let platform = |name: &str, extra: &[&str]| {
        let r = report(name, extra);
        let d = &r["dockerfile"];
        (
            d["platform"].as_str().unwrap().to_string(),
            d["prediction"]["start"].as_str().unwrap().to_string(),
        )
    };
    let host = format!(
        "linux/{}",
        if cfg!(target_arch = "aarch64") {
            "arm64"
        } else {
            "amd64"
        }
    );
    assert_eq!(host, "linux/amd64", "these expectations are for an amd64 machine");
    assert_eq!(platform("wrong-arch", &[]), (host.clone(), "crashes".into()));
    assert_eq!(
        platform("wrong-arch", &["--platform", "linux/arm64"]),
        ("linux/arm64".into(), "starts".into())
    );
    assert_eq!(platform("target-platform", &[]), (host.clone(), "starts".into()));
    assert_eq!(
        platform("target-platform", &["--platform", "linux/arm64"]),
        ("linux/arm64".into(), "crashes".into())
    );
    assert_eq!(
        platform("arch-tag", &["--platform", "linux/amd64"]),
        ("linux/arm64".into(), "crashes".into())
    );
    // A --platform the FROM overrides is warned about (platform-pinned);
    // one that agrees, or a FROM that follows it, is not.
    assert_eq!(
        rules(&report("arch-tag", &["--platform", "linux/amd64"])),
        ["platform-pinned@3", "linkage@4"]
    );
    assert_eq!(
        rules(&report("arch-tag", &["--platform", "linux/arm64"])),
        ["linkage@4"]
    );
    assert_eq!(rules(&report("arch-tag", &[])), ["linkage@4"]);
    assert_eq!(
        rules(&report("target-platform", &["--platform", "linux/arm64"])),
        ["linkage@3"]
    );
    // A Go builder on $BUILDPLATFORM without GOARCH builds for this
    // machine: in an image for another architecture the kernel refuses the
    // program (it was said to start).
    assert_eq!(platform("builder-platform", &[]), (host.clone(), "starts".into()));
    let r = report("builder-platform", &["--platform", "linux/arm64"]);
    assert_eq!(rules(&r), ["builder-platform@8"]);
    assert_eq!(r["dockerfile"]["platform"], "linux/arm64");
    assert_eq!(r["dockerfile"]["prediction"]["start"], "crashes");
    assert_eq!(r["dockerfile"]["prediction"]["output"], "exec /app: exec format error");
    // A Rust builder likewise, without --target.
    let r = report("rust-builder-platform", &["--platform", "linux/arm64"]);
    assert_eq!(rules(&r), ["builder-platform@8"]);
    assert_eq!(r["dockerfile"]["prediction"]["start"], "crashes");
    assert_eq!(
        r["dockerfile"]["prediction"]["output"],
        "exec /server: exec format error"
    );
    assert_eq!(
        rules(&report("rust-builder-platform", &["--platform", "linux/amd64"])),
        Vec::<String>::new()
    );
    // With GOARCH named (BuildKit's cross-compilation recipe), it is
    // trusted: no finding.
    let tmp = tempfile::tempdir().unwrap();
    let df = tmp.path().join("Dockerfile");
    std::fs::write(
        &df,
        std::fs::read_to_string(dir().join("builder-platform.Dockerfile"))
            .unwrap()
            .replace(
                "RUN CGO_ENABLED=0 go",
                "ARG TARGETARCH\nRUN CGO_ENABLED=0 GOARCH=$TARGETARCH go",
            ),
    )
    .unwrap();
    let (_, doc) = dockerfile_json(&df, &["--platform", "linux/arm64"]);
    let d = &doc["reports"][0];
    assert_eq!(rules(d), Vec::<String>::new());
    assert_eq!(d["dockerfile"]["prediction"]["start"], "starts");
    // So is a build that can read the target ARGs (a Makefile run with
    // ARG TARGETARCH declared), tonistiigi/xx's wrappers, and for Rust a
    // --target: no finding.
    for (fixture, from, to) in [
        (
            "builder-platform",
            "RUN CGO_ENABLED=0 go build -o /out/app .",
            "ARG TARGETARCH\nRUN CGO_ENABLED=0 make",
        ),
        ("builder-platform", "RUN CGO_ENABLED=0 go", "RUN CGO_ENABLED=0 xx-go"),
        (
            "rust-builder-platform",
            "RUN cargo build --release",
            "RUN cargo build --release --target aarch64-unknown-linux-gnu",
        ),
        ("rust-builder-platform", "RUN cargo", "RUN xx-cargo"),
    ] {
        let text = std::fs::read_to_string(dir().join(format!("{fixture}.Dockerfile"))).unwrap();
        assert!(text.contains(from), "{fixture}: {from}");
        std::fs::write(&df, text.replace(from, to)).unwrap();
        let (_, doc) = dockerfile_json(&df, &["--platform", "linux/arm64"]);
        assert_eq!(rules(&doc["reports"][0]), Vec::<String>::new(), "{fixture}: {to}");
    }
    // distroless publishes static-debian12 for no riscv64: pulling the
    // base fails the build (it was said to build, and the program judged),
    // and there is no image to judge the program in.
    let r = report("clean-static", &["--platform", "linux/riscv64"]);
    assert_eq!(rules(&r), ["base-platform@1"]);
    assert_eq!(r["dockerfile"]["program"], Value::Null);
    assert_eq!(r["dockerfile"]["prediction"]["build"], "fails");
    assert_eq!(r["dockerfile"]["prediction"]["start"], "not-built");
    // So does an architecture tag of a platform distroless does not
    // publish the image for (it was an unknown base that built).
    std::fs::write(
        &df,
        std::fs::read_to_string(dir().join("arch-tag.Dockerfile"))
            .unwrap()
            .replace("latest-arm64", "latest-riscv64"),
    )
    .unwrap();
    let (code, doc) = dockerfile_json(&df, &[]);
    assert_eq!(code, Some(1));
    let d = &doc["reports"][0];
    assert_eq!(rules(d), ["base-platform@3"]);
    assert_eq!(d["dockerfile"]["platform"], "linux/riscv64");
    assert_eq!(d["dockerfile"]["base"]["variant"], "static");
    assert_eq!(d["dockerfile"]["prediction"]["build"], "fails");
    assert_eq!(d["dockerfile"]["prediction"]["start"], "not-built");
    // A tag distroless does not publish at all fails the pull too (it
    // was an unknown base that built).
    for tag in ["latest-mips64le", "lastest"] {
        std::fs::write(
            &df,
            std::fs::read_to_string(dir().join("arch-tag.Dockerfile"))
                .unwrap()
                .replace("latest-arm64", tag),
        )
        .unwrap();
        let (code, doc) = dockerfile_json(&df, &[]);
        assert_eq!(code, Some(1), "{tag}");
        let d = &doc["reports"][0];
        assert_eq!(rules(d), ["base-tag@3"], "{tag}");
        assert_eq!(d["dockerfile"]["base"]["variant"], "static");
        assert_eq!(d["dockerfile"]["prediction"]["build"], "fails");
        assert_eq!(d["dockerfile"]["program"], Value::Null);
    }
    // A constant FROM --platform fixes the stage's platform whatever
    // --platform says.
    std::fs::write(
        &df,
        std::fs::read_to_string(dir().join("target-platform.Dockerfile"))
            .unwrap()
            .replace("$TARGETPLATFORM", "linux/amd64"),
    )
    .unwrap();
    let (_, doc) = dockerfile_json(&df, &["--platform", "linux/arm64"]);
    let d = &doc["reports"][0];
    assert_eq!(rules(d), ["platform-pinned@2"]);
    assert_eq!(d["dockerfile"]["platform"], "linux/amd64");
    assert_eq!(d["dockerfile"]["prediction"]["start"], "starts");
    // debian13 has riscv64.
    assert_eq!(
        platform("clean-debian13-bin", &["--platform", "linux/riscv64"]).0,
        "linux/riscv64"
    );
    assert!(
        rules(&report("clean-debian13-bin", &["--platform", "linux/riscv64"]))
            .iter()
            .all(|r| !r.starts_with("base-platform"))
    );
    // FROM --platform names it for its stage.
    let args: BTreeMap<String, String> = [("TARGETPLATFORM".to_string(), "linux/s390x".to_string())].into();
    let d = parse::parse(
        "FROM --platform=$TARGETPLATFORM scratch\nFROM --platform=linux/arm64 scratch\nFROM scratch\n",
        &args,
    )
    .unwrap();
    let named: Vec<Option<&str>> = d.stages.iter().map(|s| s.platform.as_deref()).collect();
    assert_eq!(named, [Some("linux/s390x"), Some("linux/arm64"), None]);
    // As containerd reads it: an architecture alone is Linux's, aliases
    // are normalised, an unknown word is refused in its words.
    let d = parse::parse(
        "FROM --platform=arm64 scratch\nFROM --platform=linux/aarch64 scratch\nFROM --platform=x86_64 scratch\nFROM --platform=linux/armhf scratch\n",
        &BTreeMap::new(),
    )
    .unwrap();
    let named: Vec<Option<&str>> = d.stages.iter().map(|s| s.platform.as_deref()).collect();
    assert_eq!(
        named,
        [
            Some("linux/arm64"),
            Some("linux/arm64"),
            Some("linux/amd64"),
            Some("linux/arm/v7")
        ]
    );
    let e = parse::parse("FROM --platform=bogus scratch\n", &BTreeMap::new()).unwrap_err();
    assert_eq!(
        (e.line, e.message.as_str()),
        (
            1,
            "failed to parse platform bogus: \"bogus\": unknown operating system or architecture: invalid argument"
        )
    );
}

/// The context's programs are the fixtures of testdata/bin.
#[test]
fn context_copies_are_the_fixtures() {
    for (copy, fixture) in [
        ("app", "go123-static"),
        ("app-dyn", "c-dynamic"),
        ("app-arm64", "c-aarch64"),
        ("app-lib", "../apps/shipped/bin/app"),
        ("lib/libdemo.so.1", "libdemo.so.1"),
    ] {
        let a = std::fs::read(dir().join("context").join(copy)).unwrap();
        let b = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin").join(fixture)).unwrap();
        assert!(a == b, "context/{copy} differs from testdata/bin/{fixture}");
    }
}

/// Fixtures the engine here cannot build, and why.
const NOT_BUILT: &[(&str, &str)] = &[
    ("arch-tag", "the :latest-arm64 images are not made locally"),
    ("shell-form-debug", "the :debug images are not made locally"),
    ("builder-newer-glibc", "needs a rust builder image"),
    ("rust-builder-platform", "needs a rust builder image"),
    ("rust-libgcc", "needs a rust builder image"),
    ("cxx-libstdcxx", "needs a gcc builder image"),
    ("dynamic-on-static", "needs an ubuntu builder image"),
    ("unknown-base", "needs alpine"),
    (
        "heredoc-escape",
        "heredocs need the docker/dockerfile:1.4 frontend image, which cannot be pulled here",
    ),
];

/// Builder images the fixtures name, made locally as shims: busybox's
/// shell and a `go` whose `build -o OUT` copies the prebuilt
/// testdata/bin/go123-static to OUT (and `mod download` does nothing).
const SHIMS: &[&str] = &["golang:1.20", "golang:1.22-bookworm"];

fn make_shim(name: &str) -> Result<(), String> {
    let have = Command::new("docker")
        .args([
            "image",
            "inspect",
            "-f",
            "{{index .Config.Labels \"dlcheck.test\"}}",
            name,
        ])
        .output()
        .map_err(|e| e.to_string())?;
    if have.status.success() && String::from_utf8_lossy(&have.stdout).trim() != "shim" {
        return Err(format!("{name} exists and is not dlcheck's shim: not replaced"));
    }
    let busybox = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .ok_or("busybox-static is not installed")?;
    let root = tempfile::tempdir().map_err(|e| e.to_string())?;
    let r = root.path();
    std::fs::create_dir_all(r.join("bin")).unwrap();
    std::fs::create_dir_all(r.join("usr/local/go/bin")).unwrap();
    std::fs::create_dir_all(r.join("tmp")).unwrap();
    std::fs::copy(busybox, r.join("bin/busybox")).unwrap();
    for tool in ["sh", "cp", "mkdir", "chmod", "ls", "cat", "echo", "true"] {
        std::os::unix::fs::symlink("busybox", r.join("bin").join(tool)).unwrap();
    }
    let prebuilt = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin/go123-static");
    std::fs::copy(prebuilt, r.join("usr/local/go/prebuilt")).unwrap();
    let go = "#!/bin/sh\n# dlcheck's test shim: 'go build -o OUT' copies a prebuilt static Go program.\nout=\nwhile [ $# -gt 0 ]; do [ \"$1\" = -o ] && out=$2; shift; done\n[ -n \"$out\" ] && mkdir -p \"$(dirname \"$out\")\" && cp /usr/local/go/prebuilt \"$out\"\nexit 0\n";
    std::fs::write(r.join("usr/local/go/bin/go"), go).unwrap();
    Command::new("chmod").args(["-R", "a+rX,u+w"]).arg(r).status().unwrap();
    Command::new("chmod")
        .arg("755")
        .arg(r.join("usr/local/go/bin/go"))
        .status()
        .unwrap();
    let tar = Command::new("tar")
        .arg("-C")
        .arg(r)
        .args(["-cf", "-", "."])
        .output()
        .unwrap();
    let mut import = Command::new("docker")
        .args([
            "import",
            "--change",
            "ENV PATH=/usr/local/go/bin:/bin",
            "--change",
            "WORKDIR /go",
        ])
        .args(["--change", "LABEL dlcheck.test=shim", "-", name])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut import.stdin.take().unwrap(), &tar.stdout).unwrap();
    import
        .wait()
        .unwrap()
        .success()
        .then_some(())
        .ok_or(format!("docker import {name} failed"))
}

/// A docker client that builds with BuildKit: Debian's docker.io (20.10)
/// has it built in (DOCKER_BUILDKIT=1); a newer client needs buildx.
fn buildkit_client() -> &'static str {
    if Path::new("/usr/bin/docker").exists() {
        "/usr/bin/docker"
    } else {
        "docker"
    }
}

/// Build `name` (BuildKit unless `legacy`): the exit status and what it
/// printed, the engine's storage paths taken out.
fn build(name: &str, tag: &str, legacy: bool) -> (bool, String) {
    let client = if legacy { "docker" } else { buildkit_client() };
    // The legacy builder has no --progress.
    let progress: &[&str] = if legacy { &[] } else { &["--progress=plain"] };
    let out = Command::new("timeout")
        .args(["300", client, "build"])
        .args(progress)
        .args(["-t", tag, "-f"])
        .arg(dir().join(format!("{name}.Dockerfile")))
        .arg(dir().join("context"))
        .env("DOCKER_BUILDKIT", if legacy { "0" } else { "1" })
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let storage = regex_lite_strip(&text);
    (out.status.success(), storage)
}

/// `/var/lib/docker/overlay2/<id>/merged/bin` → `/bin`: BuildKit names the
/// path in its own storage.
fn regex_lite_strip(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_inclusive(' ') {
        match word.find("/merged/") {
            Some(i) if word.starts_with("/var/lib/docker/") => out.push_str(&word[i + "/merged".len()..]),
            _ => out.push_str(word),
        }
    }
    out
}

/// Fixtures whose built image is also given to dlcheck with the
/// Dockerfile: as a `docker save` archive, and unpacked for `--root`.
const JOINED: &[&str] = &[
    "clean-static",
    "linkage-static",
    "blog-fixed",
    "user-missing",
    "wrong-arch",
];

/// The built image judged with the Dockerfile: its own verdict is the
/// prediction's, from the archive and from its files (`--root`).
fn joined_image_agrees(name: &str, tag: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("image.tar");
    engine::check(Command::new("docker").args(["save", "-o"]).arg(&archive).arg(tag));
    let rootfs = tmp.path().join("root");
    std::fs::create_dir(&rootfs).unwrap();
    let id = String::from_utf8(engine::check(Command::new("docker").args(["create", tag])).stdout).unwrap();
    let id = id.trim();
    let export = engine::check(Command::new("docker").args(["export", id]));
    engine::check(Command::new("docker").args(["rm", id]));
    tar::Archive::new(&export.stdout[..]).unpack(&rootfs).unwrap();
    let dockerfile = dir().join(format!("{name}.Dockerfile"));
    let alone = report(name, &[])["dockerfile"]["prediction"].clone();
    let predicted = alone["start"] == "starts";
    let ways: [Vec<std::ffi::OsString>; 2] = [vec![archive.into()], vec!["--root".into(), rootfs.into()]];
    for way in ways {
        let out = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
            .args(["--json", "--platform", "linux/amd64", "--dockerfile"])
            .arg(&dockerfile)
            .args(&way)
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let image = &doc["reports"][0]["dockerfile"]["program"]["image"];
        assert_eq!(image["starts"], predicted, "{name} joined with {way:?}: {image}");
        // Joined, the prediction is the image's own: its start and what it
        // prints (which the engine's run printed: engine_agrees).
        let joined = &doc["reports"][0]["dockerfile"]["prediction"];
        if !predicted && !image["crash"].is_null() {
            assert_eq!(
                (&joined["start"], &joined["output"]),
                (&Value::from("crashes"), &image["crash"]),
                "{name} joined with {way:?}"
            );
        }
    }
}

/// `dlcheck --json ARGS --context testdata/dockerfiles/context DF`: the
/// exit status and the JSON document.
fn dockerfile_json(df: &Path, args: &[&str]) -> (Option<i32>, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
        .arg("--json")
        .args(args)
        .arg("--context")
        .arg(dir().join("context"))
        .arg(df)
        .output()
        .unwrap();
    (out.status.code(), serde_json::from_slice(&out.stdout).unwrap())
}

/// [`dockerfile_json`] on the Dockerfile `text`, written to a file of its
/// own.
fn written_json(text: &str, args: &[&str]) -> (Option<i32>, Value) {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("Dockerfile");
    std::fs::write(&f, text).unwrap();
    dockerfile_json(&f, args)
}

/// The first finding of `rule` in the Dockerfile `text`'s report.
fn finding_in(text: &str, args: &[&str], rule: &str) -> Option<Value> {
    let (_, doc) = written_json(text, args);
    doc["reports"][0]["dockerfile"]["findings"]
        .as_array()?
        .iter()
        .find(|f| f["rule"] == rule)
        .cloned()
}

/// What the fixture testdata/bin/`fixture` prints in `image` by dlcheck's
/// verdict (`--image`, the first problem): the words the Dockerfile rules
/// about such programs must use.
fn crash_in(fixture: &str, image: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
        .args(["--json", "--image", image])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin").join(fixture))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["reports"][0]["image_check"]["problems"][0]["message"]
        .as_str()
        .unwrap()
        .to_string()
}

/// What dlcheck calls a malformed Dockerfile, BuildKit refuses in the same
/// words (a position aside: BuildKit names only some lines).
#[test]
fn engine_refuses_the_malformed() {
    if engine::Engine::get("dockerfile::engine_refuses_the_malformed").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("Dockerfile");
    for text in [
        "",
        "  \n\t\n",
        "# nothing but a comment\n\n",
        "ARG X\nFROM ${X}\n",
        "FROM --foo=bar scratch\n",
        "FROM --platform=bogus scratch\n",
        "FROM --platform=linux/amd64/v2/x scratch\n",
        "FROM gcc: AS build\nRUN true\n",
        "ARG V\nFROM gcc:${V} AS build\nRUN true\n",
        "FROM gcr.io/distroless/cc-debian12:${X}\n",
        "FROM Gcc:13\nRUN true\n",
        "FROM a..b\nRUN true\n",
        "FROM scratch AS self\nCOPY --from=self /etc/passwd /x\n",
        "FROM scratch AS a\nCOPY --from=C /x /x\nFROM scratch AS b\nCOPY --from=c /y /y\nFROM scratch AS c\nRUN --mount=from=b,target=/m true\n",
        "FROM scratch\nCOPY --from=0 /x /x\n",
        "FROM scratch\nCOPY --from=1 /x /x\n",
        "FROM scratch AS 1Bad\n",
        // Checked after the stage graph: the cycle is what BuildKit says.
        "FROM Gcc:13 AS a\nCOPY --from=a /x /x\n",
        // docker.io/library/ and 238 bytes: one past 255.
        &format!("FROM {}\nRUN true\n", "a".repeat(238)),
        &format!("FROM {}\nRUN true\n", "0123456789abcdef".repeat(4)),
    ] {
        std::fs::write(&f, text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_dlcheck")).arg(&f).output().unwrap();
        assert_eq!(out.status.code(), Some(5), "{text:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        let says = err
            .split_once("malformed Dockerfile: ")
            .and_then(|(_, m)| m.split_once("; docker build"))
            .map(|(m, _)| match m.split_once(": ") {
                Some((at, words)) if at.starts_with("line ") => words,
                _ => m,
            })
            .unwrap_or_else(|| panic!("{text:?}: {err}"));
        let built = Command::new("timeout")
            .args(["300", buildkit_client(), "build", "--progress=plain", "-f"])
            .arg(&f)
            .arg(tmp.path())
            .env("DOCKER_BUILDKIT", "1")
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&built.stderr);
        assert!(!built.status.success(), "{text:?}: the engine built it");
        assert!(printed.contains(says), "{text:?}: {says:?} not in:\n{printed}");
    }
}

#[test]
fn engine_agrees() {
    let Some(engine) = engine::Engine::get("dockerfile::engine_agrees") else {
        return;
    };
    for shim in SHIMS {
        if let Err(e) = make_shim(shim) {
            assert!(!engine::required(), "{e}");
            eprintln!("SKIPPED dockerfile::engine_agrees: {e}");
            return;
        }
    }
    let mut checked = 0;
    for (name, ..) in EXPECTED.iter().filter(|(n, ..)| !NOT_BUILT.iter().any(|(x, _)| x == n)) {
        let p = report(name, &[])["dockerfile"]["prediction"].clone();
        let tag = format!("dlcheck-test-df-{name}");
        let (built, log) = build(name, &tag, false);
        let _guard = engine::Loaded { name: tag.clone() };
        match p["build"].as_str().unwrap() {
            "fails" => {
                assert!(!built, "{name}: predicted the build fails, and it built");
                let want = p["build_output"].as_str().unwrap();
                assert!(log.contains(want), "{name}: the build did not print {want:?}:\n{log}");
            }
            _ => assert!(built, "{name}: predicted the build succeeds:\n{log}"),
        }
        if built && JOINED.contains(name) {
            joined_image_agrees(name, &tag);
        }
        if built {
            let run = engine.run(&tag, &[]);
            let printed = format!(
                "{}{}",
                String::from_utf8_lossy(&run.stdout),
                String::from_utf8_lossy(&run.stderr)
            );
            match p["start"].as_str().unwrap() {
                "starts" => assert!(run.status.success(), "{name}: predicted it starts:\n{printed}"),
                "crashes" => {
                    let want = p["output"].as_str().unwrap();
                    assert!(
                        !run.status.success(),
                        "{name}: predicted a crash, and it ran:\n{printed}"
                    );
                    assert!(
                        printed.to_lowercase().contains(&want.to_lowercase()),
                        "{name}: {want:?} not in:\n{printed}"
                    );
                }
                other => eprintln!("{name}: prediction {other}; the engine printed: {}", printed.trim()),
            }
        }
        checked += 1;
    }
    assert!(checked >= 25, "{checked}");
    // The legacy builder replaces /bin with the program, and the container
    // then dies as the blog recipe's readers saw (the finding's words).
    let (built, log) = build("blog", "dlcheck-test-df-blog-legacy", true);
    let _guard = engine::Loaded {
        name: "dlcheck-test-df-blog-legacy".into(),
    };
    assert!(built, "the legacy builder refused the blog recipe:\n{log}");
    let run = engine.run("dlcheck-test-df-blog-legacy", &[]);
    let printed = String::from_utf8_lossy(&run.stderr);
    assert!(
        printed.contains("exec: \"/app\": stat /app: no such file or directory"),
        "{printed}"
    );
}

/// The base-files directories of data/dockerfile.json for debian12 are the
/// ones this machine's base-files package lists (a Debian 12 host, as CI's:
/// the directory list does not change between point releases).
#[test]
fn base_files_data_matches_this_debian12() {
    let version = std::fs::read_to_string("/etc/debian_version").unwrap_or_default();
    let listed = Command::new("dpkg").args(["-L", "base-files"]).output();
    let Ok(listed) = listed.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()) else {
        eprintln!("SKIPPED base_files_data_matches_this_debian12: no dpkg");
        return;
    };
    if !version.starts_with("12") {
        eprintln!(
            "SKIPPED base_files_data_matches_this_debian12: not a Debian 12 host ({})",
            version.trim()
        );
        return;
    }
    let (dirs, links) = dockerfile::base::base_files("debian12");
    assert!(
        dirs.contains(&"/bin") && !links.iter().any(|(l, _)| *l == "/bin"),
        "debian12 is not usr-merged"
    );
    let host: Vec<&str> = listed.lines().collect();
    for d in dirs {
        assert!(host.contains(&d), "{d} is not a directory of this machine's base-files");
    }
    let (dirs13, links13) = dockerfile::base::base_files("debian13");
    assert!(
        !dirs13.contains(&"/bin") && links13.contains(&("/bin", "usr/bin")),
        "debian13 is usr-merged"
    );
}

/// The builder tags the issue names, checked against a clone of
/// docker-library/official-images when one is given
/// (DLCHECK_OFFICIAL_IMAGES=GITDIR): the release of each entry there.
#[test]
fn builder_tags_match_official_images() {
    let Some(git) = std::env::var_os("DLCHECK_OFFICIAL_IMAGES") else {
        eprintln!(
            "SKIPPED builder_tags_match_official_images: set DLCHECK_OFFICIAL_IMAGES to a clone of docker-library/official-images"
        );
        return;
    };
    for (image, tag, dir_word) in [
        ("rust", "1-bullseye", "bullseye"),
        ("golang", "1-bookworm", "bookworm"),
        ("debian", "12", "bookworm"),
        ("ubuntu", "22.04", "jammy"),
    ] {
        let out = Command::new("git")
            .arg("--git-dir")
            .arg(&git)
            .args(["show", &format!("HEAD:library/{image}")])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let entry = text
            .split("\n\n")
            .find(|b| {
                b.lines()
                    .any(|l| l.starts_with("Tags:") && l.split([',', ' ']).any(|t| t == tag))
            })
            .unwrap_or_else(|| panic!("{image}:{tag} not listed"));
        assert!(entry.contains(dir_word), "{image}:{tag}: {entry}");
        let release = dockerfile::base::builder(&format!("{image}:{tag}")).unwrap().release;
        let want = match dir_word {
            "bullseye" => "debian11",
            "bookworm" => "debian12",
            _ => "ubuntu22.04",
        };
        assert_eq!(release, want, "{image}:{tag}");
    }
}

/// CMD and ENTRYPOINT as the engine combines them: an ENTRYPOINT clears the
/// CMD inherited from an earlier stage, not one set before it in the same
/// stage; `:debug`'s entrypoint is busybox's shell, and a SHELL pointing at
/// it makes the shell form start.
#[test]
fn entrypoint_and_cmd_combined() {
    let check = |text: &str| dockerfile::check(Path::new("Dockerfile"), text, &Settings::default(), None).unwrap();
    let base = "FROM gcr.io/distroless/static-debian12 AS base\nCOPY --from=x /app /app\nCMD [\"--inherited\"]\n";
    let c = check(&format!("{base}FROM base\nENTRYPOINT [\"/app\"]\n"));
    assert_eq!(c.command, ["/app"]);
    let c = check(&format!("{base}FROM base\nCMD [\"--own\"]\nENTRYPOINT [\"/app\"]\n"));
    assert_eq!(c.command, ["/app", "--own"]);
    let c = check("FROM gcr.io/distroless/base-debian12:debug\nCMD [\"-c\", \"true\"]\n");
    assert_eq!(c.command, ["/busybox/sh", "-c", "true"]);
    let c = check("FROM gcr.io/distroless/base-debian12:debug\nSHELL [\"/busybox/sh\", \"-c\"]\nENTRYPOINT echo hi\n");
    assert_eq!(c.command, ["/busybox/sh", "-c", "echo hi"]);
    assert!(
        !c.findings
            .iter()
            .any(|f| f.rule.severity() == dockerfile::Severity::Error),
        "{:?}",
        c.findings
    );
}

/// No false alarm where dlcheck cannot see: a directory a RUN filled, an
/// archive ADD unpacks, a wildcard.
#[test]
fn unseen_contents_give_no_finding() {
    let check = |text: &str| dockerfile::check(Path::new("Dockerfile"), text, &Settings::default(), None).unwrap();
    for text in [
        "FROM golang:1.22 AS build\nWORKDIR /app\nRUN make\nFROM gcr.io/distroless/static-debian12\nCOPY --from=build /app /app\nCMD [\"/app/server\"]\n",
        "FROM gcr.io/distroless/static-debian12\nADD release.tar.gz /opt/\nCMD [\"/opt/server\"]\n",
        "FROM gcr.io/distroless/static-debian12\nCOPY bin/* /usr/bin/\nCMD [\"server\"]\n",
    ] {
        let c = check(text);
        let errors: Vec<&str> = c
            .findings
            .iter()
            .filter(|f| f.rule.severity() != dockerfile::Severity::Info)
            .map(|f| f.rule.id())
            .collect();
        assert!(errors.is_empty(), "{text}: {errors:?}");
    }
}

/// Every rule id is documented in README.md ("Dockerfile rules"), so a rule
/// id in CI output can be looked up.
#[test]
fn every_rule_is_documented() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = &readme[readme.find("### Dockerfile rules").unwrap()..];
    for rule in dockerfile::Rule::ALL {
        let entry = format!(
            "- **`{}`** ({})",
            rule.id(),
            format!("{:?}", rule.severity()).to_lowercase()
        );
        assert!(section.contains(&entry), "README lacks {entry}");
    }
}

/// `cxx-libstdcxx` rests on what g++ links and on what each libstdc++
/// defines. A real g++ build (testdata/bin/cxx-dynamic) needs
/// libstdc++.so.6, which base-debian12 lacks: the finding prints the same
/// words as that binary's verdict. gcc:13 is GCC 13.4.0 (its tag list),
/// whose `<iostream>` needs GLIBCXX_3.4.32 (the libstdc++ manual's ABI
/// policy: GCC 13.2 added it), and cc-debian12's libstdc++ (GCC 12)
/// defines up to GLIBCXX_3.4.30 (shared/reference); cc-debian13's (GCC
/// 14) up to GLIBCXX_3.4.33.
#[test]
fn cxx_programs_need_their_libstdcxx() {
    let cxx = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin/cxx-dynamic");
    let out = Command::new("readelf").arg("-dW").arg(&cxx).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Shared library: [libstdc++.so.6]"));
    let crash = crash_in("cxx-dynamic", "gcr.io/distroless/base-debian12");
    let text = std::fs::read_to_string(dir().join("cxx-libstdcxx.Dockerfile")).unwrap();
    let finding = |dockerfile: &str| finding_in(dockerfile, &[], "cxx-libstdcxx");
    let missing = finding(&text.replace("cc-debian12", "base-debian12")).expect("base has no libstdc++");
    assert_eq!(
        missing["output"].as_str().unwrap(),
        crash.replace("/app:", "/server:"),
        "{missing}"
    );
    let older = finding(&text).expect("gcc:13 on cc-debian12");
    let message = older["message"].as_str().unwrap();
    for words in [
        "GCC 13.4.0, libstdc++ up to GLIBCXX_3.4.32",
        "defines up to GLIBCXX_3.4.30",
        "<iostream> needs GLIBCXX_3.4.32",
    ] {
        assert!(message.contains(words), "{words}: {message}");
    }
    assert!(older["output"].is_null(), "{older}");
    // What such a program needs, on a real one (testdata/bin/cxx-glibcxx32,
    // which tests/crash.rs also runs in each cc image).
    assert_eq!(
        crash_in("cxx-glibcxx32", "gcr.io/distroless/cc-debian12"),
        "/app: /usr/lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by /app)"
    );
    assert_eq!(
        older["fix"],
        "build on gcc:12, or use gcr.io/distroless/cc-debian13, or link with -static-libstdc++; pass the binary (dlcheck --dockerfile Dockerfile ./app) to make certain"
    );
    // gcc:16 (GLIBCXX_3.4.35) on cc-debian13 (3.4.33): only what GCC 16
    // added is missing, so no <iostream> claim.
    let newer = finding(&text.replace("gcc:13", "gcc:16").replace("cc-debian12", "cc-debian13")).unwrap();
    let message = newer["message"].as_str().unwrap();
    assert!(message.contains("defines up to GLIBCXX_3.4.33"), "{message}");
    assert!(message.contains("needs a version up to GLIBCXX_3.4.35"), "{message}");
    assert!(!message.contains("iostream"), "{message}");
    // -static-libstdc++ alone still needs libgcc_s.so.1, which base lacks:
    // the words of a real such build's verdict (testdata/bin/cxx-static-libstdcxx).
    let crash = crash_in("cxx-static-libstdcxx", "gcr.io/distroless/base-debian12");
    let libgcc = finding(
        &text
            .replace("g++ -O2", "g++ -static-libstdc++ -O2")
            .replace("cc-debian12", "base-debian12"),
    )
    .expect("libgcc_s.so.1 is still needed");
    assert_eq!(libgcc["output"].as_str().unwrap(), crash.replace("/app:", "/server:"));
    assert!(
        crash.contains("libgcc_s.so.1: cannot open shared object file"),
        "{crash}"
    );
    // Found by a fresh-user trial: commands written in the ways builds
    // write them.
    for run in [
        "if true; then g++ -O2 -o /server main.cpp; fi",
        "ccache g++ -O2 -o /server main.cpp",
        "for f in main; do c++ -o /server $f.cpp; done",
        "CXXFLAGS=-O2 env x86_64-linux-gnu-g++-12 -o /server main.cpp",
        "<<EOT\nset -e\ng++ -O2 -o /server main.cpp\nEOT",
    ] {
        let edit = text.replace("g++ -O2 -o /server main.cpp", run);
        assert!(finding(&edit).is_some(), "{run}");
    }
    for (edit, why) in [
        (
            text.replace("RUN g++ -O2 -o /server main.cpp", "RUN g++ --version && gcc -O2 -o /server main.c"),
            "g++ only asked its version",
        ),
        (
            text.replace("g++ -O2", "clang++ -stdlib=libc++ -O2"),
            "libc++, not libstdc++",
        ),
        (
            text.replace("g++ -O2", "g++ -static-libstdc++ -static-libgcc -O2")
                .replace("cc-debian12", "base-debian12"),
            "both linked in",
        ),
        (
            text.replace(
                "COPY --from=build /server /server",
                "COPY --from=build /usr/local/lib64/libstdc++.so.6 /usr/lib/x86_64-linux-gnu/\nCOPY --from=build /server /server",
            ),
            "the image ships the builder's libstdc++",
        ),
        (
            text.replace("COPY --from=build /server /server", "ENV LD_LIBRARY_PATH=/opt/lib\nCOPY --from=build /server /server"),
            "the loader is pointed elsewhere",
        ),
        (text.replace("gcc:13", "gcc:12"), "GCC 12's libstdc++ is cc-debian12's"),
        (
            text.replace("cc-debian12", "cc-debian13"),
            "GLIBCXX_3.4.33 covers GCC 13",
        ),
        (
            text.replace("g++ -O2", "g++ -static-libstdc++ -O2"),
            "libstdc++ linked statically",
        ),
        (
            text.replace("RUN g++ -O2 -o /server main.cpp", "RUN apt-get install -y g++ && make"),
            "g++ only installed: what make builds is not known",
        ),
    ] {
        assert_eq!(finding(&edit), None, "{why}");
    }
}

/// A C or C++ program compiled by the stage's own compiler is built for
/// the stage's platform: on another one than the image's, the kernel
/// refuses it (`builder-platform`), unless the Dockerfile names a cross
/// compiler. Found by a fresh-user trial.
#[test]
fn c_built_on_another_platform() {
    let text = "FROM --platform=linux/amd64 gcc:12 AS build\nCOPY main.cpp .\nRUN g++ -O2 -o /server main.cpp\nFROM --platform=linux/arm64 gcr.io/distroless/cc-debian12\nCOPY --from=build /server /server\nENTRYPOINT [\"/server\"]\n";
    let (code, doc) = written_json(text, &[]);
    let found: Vec<&Value> = doc["reports"][0]["dockerfile"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "builder-platform")
        .collect();
    assert_eq!(found.len(), 1, "{doc}");
    assert_eq!(found[0]["output"], "exec /server: exec format error");
    assert!(
        found[0]["message"]
            .as_str()
            .unwrap()
            .contains("built on linux/amd64 with no cross compiler, so for amd64; the image is linux/arm64"),
        "{}",
        found[0]
    );
    assert_eq!(code, Some(1));
    for (edit, args, why) in [
        (
            text.replace("RUN g++", "RUN aarch64-linux-gnu-g++"),
            &[][..],
            "a cross compiler",
        ),
        (
            text.replace("RUN g++", "RUN CXX=aarch64-linux-gnu-g++ make && g++"),
            &[][..],
            "CXX= names one",
        ),
        (
            text.replace("FROM --platform=linux/amd64 gcc:12", "FROM gcc:12"),
            &["--platform", "linux/arm64"][..],
            "the builder runs on the image's platform",
        ),
    ] {
        assert_eq!(finding_in(&edit, args, "builder-platform"), None, "{why}");
    }
}

/// A RUN's heredoc is the script its shell runs: what it says counts as
/// the RUN's own text (`CGO_ENABLED=0` there: no cgo-static). Found by a
/// fresh-user trial.
#[test]
fn heredoc_scripts_are_read() {
    let text = std::fs::read_to_string(dir().join("cgo-static.Dockerfile")).unwrap();
    for (run, cgo_static) in [
        ("RUN <<EOT\nset -e\nCGO_ENABLED=0 go build -o /out/server .\nEOT", false),
        ("RUN <<EOT\nset -e\ngo build -o /out/server .\nEOT", true),
    ] {
        let edit = text.replace("RUN go build -o /out/server .", run);
        assert_eq!(finding_in(&edit, &[], "cgo-static").is_some(), cgo_static, "{run}");
    }
}

/// `dynamic-on-static` is about programs that are linked dynamically: a
/// build that links statically (`-static`, `-static-pie`; Rust's
/// crt-static or musl target) gives none, and the fix names a versioned
/// cc image. Found by a fresh-user trial.
#[test]
fn static_builds_are_not_dynamic_on_static() {
    let text = std::fs::read_to_string(dir().join("dynamic-on-static.Dockerfile")).unwrap();
    let finding = finding_in(&text, &[], "dynamic-on-static").unwrap();
    assert!(
        finding["fix"]
            .as_str()
            .unwrap()
            .contains("gcr.io/distroless/cc-debian12;"),
        "{finding}"
    );
    for edit in [
        text.replace("gcc -O2", "gcc -static -O2"),
        text.replace("gcc -O2", "gcc -static-pie -O2"),
        text.replace("gcc -O2 -o /hello hello.c", "g++ -O2 -static -o /hello hello.cpp"),
        text.replace("FROM ubuntu:22.04 AS build", "FROM rust:1-bookworm AS build")
            .replace(
                "RUN gcc -O2 -o /hello hello.c",
                "RUN RUSTFLAGS='-C target-feature=+crt-static' cargo build --release",
            ),
    ] {
        assert_eq!(finding_in(&edit, &[], "dynamic-on-static"), None, "{edit}");
    }
}

/// `rust-libgcc` rests on what a real cargo build links: the release build
/// of testdata/bin/rust-release needs libgcc_s.so.1 (readelf -d), which
/// base-debian12 lacks and cc-debian12 has; built with crt-static, no
/// finding.
#[test]
fn rust_programs_need_libgcc() {
    let out = Command::new("readelf")
        .args(["-dW"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin/rust-release"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Shared library: [libgcc_s.so.1]"));
    let binary = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
        .args(["--json", "--image", "gcr.io/distroless/base-debian12"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin/rust-release"))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&binary.stdout).unwrap();
    let crash = doc["reports"][0]["image_check"]["problems"][0]["message"]
        .as_str()
        .unwrap();
    let inferred = report("rust-libgcc", &[]);
    let finding = inferred["dockerfile"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "rust-libgcc")
        .unwrap()
        .clone();
    // The same words as the real binary's verdict, at the Dockerfile's path.
    assert_eq!(
        finding["output"].as_str().unwrap(),
        crash.replace("/app:", "/server:"),
        "{finding}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(dir().join("rust-libgcc.Dockerfile")).unwrap();
    for (edit, why) in [
        (
            text.replace(
                "RUN cargo build",
                "RUN RUSTFLAGS='-C target-feature=+crt-static' cargo build",
            ),
            "crt-static",
        ),
        (text.replace("base-debian12", "cc-debian12"), "cc has libgcc_s"),
    ] {
        let f = tmp.path().join("Dockerfile");
        std::fs::write(&f, edit).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
            .arg("--json")
            .arg(&f)
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(
            !rules(&doc["reports"][0]).iter().any(|r| r.starts_with("rust-libgcc")),
            "{why}"
        );
    }
}

/// A command found through PATH is named as runc and the loader name it,
/// in Dockerfile mode and in image mode alike: runc's `exec` line names the
/// PATH entry it executes (`exec /usr/local/bin/server: ...`), the loader
/// the program's argv[0] (`server: error while loading shared libraries`).
/// Both modes are compared with what the built image prints. Image mode
/// said `exec server:`, Dockerfile mode `/usr/local/bin/server: error ...`.
#[test]
fn a_command_found_in_path_is_named_as_the_engine_names_it() {
    let test = "dockerfile::a_command_found_in_path_is_named_as_the_engine_names_it";
    let Some(engine) = engine::Engine::get(test) else {
        return;
    };
    for (name, want) in [
        (
            "linkage-path-command",
            "server: error while loading shared libraries: libdemo.so.1: cannot open shared object file: No such file or directory",
        ),
        (
            "linkage-path-interpreter",
            "exec /usr/local/bin/server: no such file or directory",
        ),
    ] {
        let tag = format!("dlcheck-test/{name}:latest");
        let (built, log) = build(name, &tag, true);
        assert!(built, "{name}: {log}");
        let run = engine.run(&tag, &[]);
        let printed = String::from_utf8_lossy(&run.stderr).trim_end().to_string();
        assert!(printed.ends_with(want), "{name}: the engine printed {printed:?}");
        let (status, doc) = dockerfile_json(&dir().join(format!("{name}.Dockerfile")), &[]);
        assert_eq!(status, Some(1), "{name}");
        assert_eq!(doc["reports"][0]["dockerfile"]["prediction"]["output"], want, "{name}");
        let out = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
            .args(["--json", &format!("docker:{tag}")])
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["reports"][0]["image"]["crash"], want, "{name}");
        Command::new("docker").args(["rmi", "-f", &tag]).output().unwrap();
    }
}
