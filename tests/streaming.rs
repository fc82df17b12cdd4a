//! Streaming output: `--format jsonl` gives one line per report, in the
//! order and with the content of the JSON document's `reports`, and the
//! summary last; the document itself is written report by report, byte for
//! byte what one serialisation of the whole would be.

use std::process::Command;

use serde_json::Value;

fn dlcheck(args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap();
    out.stdout
}

#[test]
fn jsonl_lines_are_the_documents_reports() {
    for args in [
        &["-r", "testdata/bin"][..],
        &[
            "testdata/bin/c-dynamic",
            "testdata/bin/nonexistent",
            "testdata/images/whiteout.tar",
        ][..],
        &["testdata/bin/cxx-dynamic"],
        &["--all", "testdata/images/docker-cc12.tar"],
    ] {
        let doc: Value = serde_json::from_slice(&dlcheck(&[&["--json"], args].concat())).unwrap();
        let lines = dlcheck(&[&["--format", "jsonl"], args].concat());
        let lines: Vec<Value> = lines
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        let (last, reports) = lines.split_last().unwrap();
        assert_eq!(reports.len(), doc["reports"].as_array().unwrap().len(), "{args:?}");
        for (line, report) in reports.iter().zip(doc["reports"].as_array().unwrap()) {
            assert_eq!(line["schema_version"], doc["schema_version"]);
            assert_eq!(&line["report"], report, "{args:?}");
        }
        assert_eq!(last["summary"], doc["summary"], "{args:?}");
        assert!(last.get("report").is_none());
    }
}

/// The document written report by report is what serde_json writes for
/// the whole (the golden renderings check the bytes of every case; this
/// checks a set with a summary, and an empty one).
#[test]
fn the_streamed_document_is_one_document() {
    let empty = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in [root.join("testdata/apps/shipped"), empty.path().to_path_buf()] {
        let streamed = dlcheck(&["--json", "-r", &dir.to_string_lossy()]);
        let request = dlcheck::Request {
            paths: vec![dir.clone()],
            recursive: true,
            ..Default::default()
        };
        let outcome = dlcheck::run(&request, &|_| {});
        let mut whole = Vec::new();
        dlcheck::render::json(&outcome.reports, outcome.summary.as_ref(), &mut whole).unwrap();
        assert_eq!(
            String::from_utf8(streamed).unwrap(),
            String::from_utf8(whole).unwrap(),
            "{dir:?}"
        );
    }
}
