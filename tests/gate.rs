//! The CI gate: findings, SARIF against the official SARIF 2.1.0 schema,
//! the rules and their documentation, exit statuses.

use std::path::{Path, PathBuf};

use dlcheck::gate::{self, Level, Status};
use dlcheck::{Options, analyze};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// The official SARIF 2.1.0 schema (testdata/schemas/README.md). Its
/// `run.language` pattern ends in a lone `]`, a literal in ECMA-262's
/// Annex B that Rust's regex engines refuse: it is escaped (`\\]`, the
/// same meaning) before the schema is compiled.
fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(testdata().join("schemas/sarif-schema-2.1.0.json")).unwrap();
    let lone = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert!(text.contains(lone), "the schema's language pattern changed");
    let text = text.replace(lone, r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#);
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the SARIF schema is a valid JSON Schema")
}

fn sarif_of(reports: &[dlcheck::Report]) -> serde_json::Value {
    let findings: Vec<gate::Finding> = reports.iter().flat_map(gate::findings).collect();
    let mut out = Vec::new();
    dlcheck::render::sarif(&findings, 0, &mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

fn report(fixture: &str, image: Option<&str>) -> dlcheck::Report {
    let bytes = std::fs::read(testdata().join("bin").join(fixture)).unwrap();
    let catalog = dlcheck::catalog::Catalog::embedded();
    let opts = Options {
        image: image.map(|i| catalog.resolve(i).unwrap()),
        ..Default::default()
    };
    analyze(&bytes, &opts).with_path(format!("testdata/bin/{fixture}"))
}

/// Every fixture, with and without `--image`, gives SARIF the official
/// schema accepts.
#[test]
fn sarif_of_every_fixture_is_valid() {
    let validator = sarif_validator();
    let mut names: Vec<String> = std::fs::read_dir(testdata().join("bin"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in &names {
        for image in [None, Some("gcr.io/distroless/static-debian12")] {
            let doc = sarif_of(&[report(name, image)]);
            let errors: Vec<String> = validator
                .iter_errors(&doc)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{name} {image:?}: {errors:?}");
        }
    }
    assert!(names.len() > 80, "{}", names.len());
}

/// A dynamic C program checked against static: one error, the missing
/// interpreter, located at the file; its rule is described in the driver.
#[test]
fn sarif_result_for_a_missing_interpreter() {
    let doc = sarif_of(&[report("c-dynamic", Some("gcr.io/distroless/static-debian12"))]);
    let run = &doc["runs"][0];
    let results = run["results"].as_array().unwrap();
    let errors: Vec<&serde_json::Value> = results.iter().filter(|r| r["level"] == "error").collect();
    // The kernel stops at the interpreter; the loader's problems follow.
    let r = errors[0];
    assert_eq!(errors[1]["ruleId"], "problem/library_missing");
    assert_eq!(r["ruleId"], "problem/interpreter_missing");
    assert_eq!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "testdata/bin/c-dynamic"
    );
    // readelf -l: [Requesting program interpreter: /lib64/ld-linux-x86-64.so.2];
    // what runc prints for the missing interpreter.
    let text = r["message"]["text"].as_str().unwrap();
    assert!(text.contains("/lib64/ld-linux-x86-64.so.2"), "{text}");
    assert!(
        text.contains("it prints \"exec /app: no such file or directory\""),
        "{text}"
    );
    assert!(!errors[1]["message"]["text"].as_str().unwrap().contains("it prints"));
    let index = r["ruleIndex"].as_u64().unwrap() as usize;
    let rule = &run["tool"]["driver"]["rules"][index];
    assert_eq!(rule["id"], "problem/interpreter_missing");
    assert!(
        rule["helpUri"]
            .as_str()
            .unwrap()
            .ends_with("README.md#rule-problem-interpreter_missing")
    );
}

/// Every rule is documented in README.md under its anchor, every problem
/// and warning kind of the JSON Schema has a rule, and every Dockerfile
/// rule too.
#[test]
fn every_rule_is_documented() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let rules = gate::rules();
    let mut ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate rule ids");
    // README.md's "Rules" table is made from the rules themselves.
    let mut table = String::from("| Rule | Level | What it means |\n|---|---|---|\n");
    for r in &rules {
        let level = match r.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        };
        let text = if r.full == r.short {
            r.short.to_string()
        } else {
            format!("{}. {}", r.short, r.full)
        };
        table.push_str(&format!(
            "| <a id=\"{}\"></a>`{}` | {level} | {} |\n",
            r.anchor(),
            r.id,
            text.replace('|', "\\|")
        ));
    }
    let start = "<!-- rules: generated by `DLCHECK_BLESS=1 cargo test --test tests gate`; do not edit by hand -->\n";
    let end = "<!-- rules: end -->";
    let (a, b) = (
        readme.find(start).expect("README.md: rules start") + start.len(),
        readme.find(end).expect("README.md: rules end"),
    );
    if std::env::var_os("DLCHECK_BLESS").is_some() {
        let text = format!("{}{table}{}", &readme[..a], &readme[b..]);
        std::fs::write(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"), text).unwrap();
    } else {
        assert_eq!(
            &readme[a..b],
            table,
            "README.md's rules table: DLCHECK_BLESS=1 cargo test --test tests gate"
        );
    }
    // The kinds the JSON Schema allows for problems and warnings.
    let schema: serde_json::Value = serde_json::from_slice(
        &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/dlcheck.schema.json")).unwrap(),
    )
    .unwrap();
    let defs = &schema["$defs"];
    let problems = defs["Problem"]["properties"]["kind"]["enum"].as_array().unwrap();
    assert_eq!(problems.len(), 16);
    let warnings: Vec<&str> = defs["WarningKind"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["const"].as_str().unwrap())
        .collect();
    assert!(warnings.len() >= 17, "{warnings:?}");
    let kinds = problems
        .iter()
        .map(|k| format!("problem/{}", k.as_str().unwrap()))
        .chain(warnings.iter().map(|k| format!("warning/{k}")));
    for id in kinds {
        assert!(gate::rule(&id).is_some(), "no rule for {id}");
    }
    // Input errors: every kind the error type names.
    for kind in dlcheck::Error::KINDS {
        assert!(
            gate::rule(&format!("input/{kind}")).is_some(),
            "no rule for input/{kind}"
        );
    }
}

/// The exit status: verdict failures and input errors in separate parts.
#[test]
fn status_keeps_verdicts_and_errors_apart() {
    let fails = report("c-dynamic", Some("gcr.io/distroless/static-debian12"));
    let runs = report("c-static", Some("gcr.io/distroless/static-debian12"));
    let malformed = report("truncated-half", None);
    let status = |reports: &[&dlcheck::Report], fail_on: Level| {
        let mut s = Status::new(fail_on);
        for r in reports {
            s.add(r);
        }
        s.code()
    };
    assert_eq!(malformed.exit_code(), 5, "{:?}", malformed.error());
    assert_eq!(status(&[&runs], Level::Error), 0);
    assert_eq!(status(&[&fails], Level::Error), 1);
    assert_eq!(status(&[&malformed], Level::Error), 5);
    assert_eq!(status(&[&fails, &malformed], Level::Error), 13);
    assert_eq!(status(&[&runs, &malformed], Level::Error), 5);
    // A warning fails the gate only when asked: c-dlopen loads libz.so.1,
    // which static-debian12 lacks.
    let warned = report("c-static-nss", Some("gcr.io/distroless/static-debian12"));
    assert!(gate::findings(&warned).iter().any(|f| f.level == Level::Warning));
    assert_eq!(status(&[&warned], Level::Error), 0);
    assert_eq!(status(&[&warned], Level::Warning), 1);
    // The same rule names why each fails, for the exit status and for a
    // set's counts: static-debian12 has no loader, so the kernel's open of
    // PT_INTERP fails first.
    let standing = |r: &dlcheck::Report, fail_on| {
        let s = gate::standing(r, fail_on);
        (s.code, s.fails, s.rule)
    };
    let rule = |r: &str| Some(r.to_string());
    assert_eq!(standing(&runs, Level::Error), (0, false, None));
    assert_eq!(
        standing(&fails, Level::Error),
        (1, true, rule("problem/interpreter_missing"))
    );
    assert_eq!(
        standing(&malformed, Level::Error),
        (5, false, rule("input/malformed_elf"))
    );
    // The recommendation is from debian11 (the library's default), which
    // is frozen: with --image named, that is a warning, and the first.
    assert_eq!(
        standing(&runs, Level::Warning),
        (0, true, rule("warning/frozen_generation"))
    );
    // Without --image, it is a note: the static NSS use is the warning.
    let nss = report("c-static-nss", None);
    assert_eq!(standing(&nss, Level::Error), (0, false, None));
    assert_eq!(standing(&nss, Level::Warning), (0, true, rule("warning/static_nss")));
}
