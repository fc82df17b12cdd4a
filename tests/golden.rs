//! Golden renderings: the human and JSON output of every fixture, test
//! image and set, byte for byte, as dlcheck prints them. A change in what
//! dlcheck prints shows here as a diff to review; when the change is meant,
//! rewrite the files with `DLCHECK_BLESS=1 cargo test --test golden`.
//!
//! These files record renderings, never facts: the facts are checked
//! against independent oracles (readelf, `go version -m`, real runs) in the
//! other tests.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The committed JSON Schema of `--json`.
fn schema() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(root().join("schema/dlcheck.schema.json")).unwrap()).unwrap()
}

/// The committed schema is the one the report types generate.
#[test]
fn schema_is_current() {
    let generated = serde_json::to_string_pretty(&dlcheck::report::json_schema()).unwrap() + "\n";
    let path = root().join("schema/dlcheck.schema.json");
    if std::env::var_os("DLCHECK_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema/dlcheck.schema.json differs from the report types: rerun with DLCHECK_BLESS=1"
    );
}

/// The schema rejects what dlcheck does not print: an unknown field, a
/// wrong type, an unknown problem kind or format.
#[test]
fn schema_rejects_other_documents() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
        .current_dir(root())
        .args(["--json", "testdata/bin/c-dynamic"])
        .output()
        .unwrap();
    let good: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(validator.is_valid(&good));
    let mut extra = good.clone();
    extra["reports"][0]["bogus"] = 1.into();
    let mut wrong_type = good.clone();
    wrong_type["reports"][0]["elf"]["needed"] = "libc.so.6".into();
    let mut format = good.clone();
    format["reports"][0]["format"] = "coff".into();
    let mut libc = good.clone();
    libc["reports"][0]["elf"]["libc"] = "bionic".into();
    for bad in [extra, wrong_type, format, libc] {
        assert!(!validator.is_valid(&bad), "{bad}");
    }
}

/// Run dlcheck with `args` in the repository root and render what it did;
/// `--json` output is validated against the committed schema.
fn transcript(args: &[String], validator: &jsonschema::Validator) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
        .current_dir(root())
        .env_remove("NO_COLOR")
        .env("COLUMNS", "100")
        .args(args)
        .output()
        .expect("dlcheck runs");
    if args.iter().any(|a| a == "--json") && !out.stdout.is_empty() {
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("--json prints JSON");
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .take(5)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "dlcheck {}: not valid against the schema: {errors:?}",
            args.join(" ")
        );
    }
    format!(
        "$ dlcheck {}\n--- stdout\n{}--- stderr\n{}--- exit {}\n\n",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        out.status.code().unwrap_or(-1)
    )
}

fn files(dir: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".md") && !n.ends_with(".json"))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    v.sort();
    v
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Every golden file and the command lines it records.
fn cases() -> Vec<(PathBuf, Vec<Vec<String>>)> {
    let mut out = Vec::new();
    let name = |p: &str| Path::new(p).file_name().unwrap().to_string_lossy().into_owned();
    for f in files("testdata/bin") {
        let mut runs = vec![
            args(&[&f]),
            args(&["--json", &f]),
            args(&["--distro", "debian12", &f]),
            args(&["--distro", "debian13", "--json", &f]),
            args(&["--platform", "linux/arm64", &f]),
            args(&["--json", "--image", "cc-debian12", &f]),
        ];
        for image in [
            "static-debian12",
            "base-nossl-debian11",
            "base-debian11",
            "cc-debian12",
            "cc-debian13",
            "scratch",
            "gcr.io/distroless/base:nonroot",
        ] {
            runs.push(args(&["--image", image, &f]));
        }
        out.push((PathBuf::from(format!("bin/{}.txt", name(&f))), runs));
    }
    for f in files("testdata/malformed") {
        out.push((
            PathBuf::from(format!("malformed/{}.txt", name(&f))),
            vec![args(&[&f]), args(&["--json", &f])],
        ));
    }
    for f in files("testdata/images") {
        out.push((
            PathBuf::from(format!("images/{}.txt", name(&f))),
            vec![
                args(&[&f]),
                args(&["--json", &f]),
                args(&["--all", &f]),
                args(&["--json", "--all", &f]),
                args(&["--platform", "linux/arm64", &f]),
                args(&["--platform", "linux/amd64", "--distro", "debian13", &f]),
            ],
        ));
    }
    out.push((
        PathBuf::from("sets.txt"),
        vec![
            args(&["-r", "testdata/bin"]),
            args(&["--json", "-r", "testdata/bin"]),
            args(&["--distro", "debian13", "-r", "-v", "testdata/bin"]),
            args(&["-r", "-v", "testdata/apps"]),
            args(&["--json", "-r", "testdata/apps"]),
            args(&["--json", "--distro", "debian12", "-r", "testdata/apps"]),
            args(&[
                "testdata/bin/c-dynamic",
                "testdata/bin/go-static",
                "testdata/bin/cxx-dynamic",
            ]),
            args(&[
                "--json",
                "testdata/apps/shipped/bin/app",
                "testdata/apps/shipped/lib/libdemo.so.1",
            ]),
            args(&["testdata/apps/shipped/bin/app"]),
            args(&[
                "--image",
                "cc-debian12",
                "testdata/bin/c-dynamic",
                "testdata/bin/rust-release",
            ]),
        ],
    ));
    out.push((
        PathBuf::from("root.txt"),
        vec![
            args(&["--root", "testdata/apps/shipped", "/bin/app"]),
            args(&[
                "--root",
                "testdata/apps/shipped",
                "--all",
                "/bin/app",
                "/lib/libdemo.so.1",
                "/missing",
            ]),
            args(&[
                "--json",
                "--root",
                "testdata/apps/shipped",
                "--all",
                "/bin/app",
                "/missing",
            ]),
            args(&["--root", "testdata/nonexistent", "/app"]),
        ],
    ));
    let context = "testdata/dockerfiles/context";
    for f in files("testdata/dockerfiles")
        .into_iter()
        .filter(|f| f.ends_with(".Dockerfile"))
    {
        out.push((
            PathBuf::from(format!("dockerfiles/{}.txt", name(&f))),
            vec![
                args(&["--context", context, &f]),
                args(&["--json", "--context", context, &f]),
                args(&["--color", "always", "--context", context, &f]),
            ],
        ));
    }
    out.push((
        PathBuf::from("dockerfiles/joined.txt"),
        vec![
            args(&[
                "--dockerfile",
                "testdata/dockerfiles/cgo-static.Dockerfile",
                "testdata/bin/go123-cgo-stripped",
            ]),
            args(&[
                "--json",
                "--dockerfile",
                "testdata/dockerfiles/clean-scratch.Dockerfile",
                "testdata/bin/go123-static",
            ]),
            args(&[
                "--dockerfile",
                "testdata/dockerfiles/clean-static.Dockerfile",
                "testdata/nonexistent",
            ]),
            args(&[
                "--target",
                "release",
                "--context",
                context,
                "testdata/dockerfiles/target.Dockerfile",
            ]),
        ],
    ));
    let mut roots = Vec::new();
    for image in ["docker-cc12", "ldcache", "noldcache", "debian13-usrmerge"] {
        let dir = unpack(image);
        roots.push(args(&["--root", &dir, "/app"]));
        roots.push(args(&["--json", "--root", &dir, "--all", "/app"]));
    }
    out.push((PathBuf::from("roots.txt"), roots));
    out.push((
        PathBuf::from("misc.txt"),
        vec![
            args(&["--color", "always", "testdata/bin/cxx-dynamic"]),
            args(&[
                "--color",
                "always",
                "--image",
                "base-debian11",
                "testdata/bin/rust-release",
            ]),
            args(&["--color", "always", "testdata/images/whiteout.tar"]),
            args(&["--color", "always", "-r", "testdata/apps"]),
            args(&["testdata/nonexistent"]),
            args(&["testdata"]),
            args(&["/dev/null"]),
            args(&["--json", "testdata/nonexistent", "testdata/bin/c-static"]),
            args(&["testdata/bin/c-static", "testdata/nonexistent", "testdata/bin/empty"]),
            args(&["--image", "cc-debain12", "testdata/bin/c-static"]),
        ],
    ));
    out
}

/// Unpack a test image's layers into `target/golden-roots/NAME` (the test
/// does; dlcheck never does), at a fixed path so that the output is the
/// same on every run. Returns the path relative to the repository.
fn unpack(name: &str) -> String {
    use std::io::Read;
    let rel = format!("target/golden-roots/{name}");
    let dir = root().join(&rel);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut outer = tar::Archive::new(std::fs::File::open(root().join(format!("testdata/images/{name}.tar"))).unwrap());
    let mut blobs = std::collections::BTreeMap::new();
    for e in outer.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        blobs.insert(name, data);
    }
    let manifest: serde_json::Value = serde_json::from_slice(&blobs["manifest.json"]).unwrap();
    for layer in manifest[0]["Layers"].as_array().unwrap() {
        let data = &blobs[layer.as_str().unwrap()];
        let reader: Box<dyn Read> = if data.starts_with(&[0x1f, 0x8b]) {
            Box::new(flate2::read::GzDecoder::new(&data[..]))
        } else {
            Box::new(&data[..])
        };
        tar::Archive::new(reader).unpack(&dir).unwrap();
    }
    rel
}

#[test]
fn renderings_are_unchanged() {
    let bless = std::env::var_os("DLCHECK_BLESS").is_some();
    let dir = root().join("testdata/golden");
    let cases = cases();
    let validator = jsonschema::validator_for(&schema()).expect("the schema is a valid JSON Schema");
    let validator = &validator;
    let results: Vec<(PathBuf, String)> = std::thread::scope(|s| {
        let chunks: Vec<_> = cases
            .chunks(cases.len().div_ceil(4))
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|(file, runs)| (file.clone(), runs.iter().map(|a| transcript(a, validator)).collect()))
                        .collect::<Vec<(PathBuf, String)>>()
                })
            })
            .collect();
        chunks.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let mut differ = Vec::new();
    for (file, got) in results {
        let path = dir.join(&file);
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if want != got {
            let first = want
                .lines()
                .zip(got.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(want.lines().count().min(got.lines().count()));
            differ.push(format!(
                "{}: first difference at line {}:\n  want: {}\n  got:  {}",
                file.display(),
                first + 1,
                want.lines().nth(first).unwrap_or("<end>"),
                got.lines().nth(first).unwrap_or("<end>")
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "{} golden files differ (rerun with DLCHECK_BLESS=1 to accept):\n{}",
        differ.len(),
        differ.join("\n")
    );
}
