//! The sample outputs in README.md are what dlcheck prints today: each
//! "$ dlcheck ARGS" block in a fenced code block is run and compared.

use assert_cmd::cargo::cargo_bin_cmd;

#[test]
fn readme_samples_are_current() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let bless = std::env::var_os("DLCHECK_BLESS").is_some();
    let mut checked = 0;
    let mut blessed: Vec<String> = Vec::new();
    let mut lines = readme.lines().peekable();
    while let Some(line) = lines.next() {
        blessed.push(line.to_string());
        let Some(args) = line.strip_prefix("$ dlcheck ") else {
            continue;
        };
        let mut expected: Vec<&str> = Vec::new();
        while let Some(l) = lines.next_if(|l| !l.starts_with("```")) {
            expected.push(l);
        }
        let out = cargo_bin_cmd!("dlcheck")
            .current_dir(root)
            .args(args.split_whitespace())
            .output()
            .unwrap();
        let got = String::from_utf8(out.stdout).unwrap();
        // DLCHECK_BLESS=1 rewrites the samples after a deliberate change.
        if bless {
            blessed.extend(got.lines().map(str::to_string));
        } else {
            assert_eq!(
                got.lines().collect::<Vec<_>>(),
                expected,
                "README sample: $ dlcheck {args} (DLCHECK_BLESS=1 rewrites the samples)"
            );
        }
        checked += 1;
    }
    if bless {
        std::fs::write(format!("{root}/README.md"), blessed.join("\n") + "\n").unwrap();
    }
    assert!(checked >= 2, "README samples found: {checked}");
}

/// Every value in `want` is in `got`: objects by key, arrays element by
/// element (each excerpt element must appear in the real array).
fn contained(want: &serde_json::Value, got: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => w.iter().all(|(k, v)| g.get(k).is_some_and(|gv| contained(v, gv))),
        (Value::Array(w), Value::Array(g)) => w.iter().all(|v| g.iter().any(|gv| contained(v, gv))),
        _ => want == got,
    }
}

#[test]
fn readme_json_excerpt_is_real() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let marker = "<!-- json-excerpt: ";
    let start = readme.find(marker).expect("README has a JSON excerpt");
    let rest = &readme[start + marker.len()..];
    let args: Vec<&str> = rest[..rest.find(" -->").unwrap()].split_whitespace().collect();
    let body = &rest[rest.find("```json\n").unwrap() + 8..];
    let excerpt: serde_json::Value = serde_json::from_str(&body[..body.find("```").unwrap()]).unwrap();
    let out = cargo_bin_cmd!("dlcheck")
        .current_dir(root)
        .args(&args)
        .output()
        .unwrap();
    let real: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        contained(&excerpt, &real),
        "the README's JSON excerpt differs from {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Every schema version the README names is the one dlcheck writes.
#[test]
fn readme_names_the_schema_version() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let named: Vec<&str> = readme
        .match_indices("\"schema_version\": ")
        .map(|(i, m)| {
            readme[i + m.len()..]
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
        })
        .collect();
    assert!(named.len() >= 2, "{named:?}");
    let current = dlcheck::report::SCHEMA_VERSION.to_string();
    assert!(
        named.iter().all(|n| *n == current),
        "README names {named:?}, dlcheck writes {current}"
    );
}

/// Every field of the JSON `elf` object has its row in the README's table.
#[test]
fn readme_documents_every_elf_field() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let out = cargo_bin_cmd!("dlcheck")
        .args(["--json", concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/bin/c-dlopen")])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let elf = doc["reports"][0]["elf"].as_object().unwrap();
    assert!(elf.len() > 20);
    let table = &readme[readme.find("ELF (facts from").unwrap()..];
    let table = &table[..table.find("\n\n|").map_or(table.len(), |i| {
        table[i + 2..].find("\n\n").map_or(table.len(), |j| i + 2 + j)
    })];
    // A row names its fields in its first cell: | `soname`, `rpath` | ...
    let named = |k: &str| {
        table
            .lines()
            .filter_map(|l| l.strip_prefix("| ")?.split(" |").next())
            .any(|cell| cell.split(", ").any(|f| f == format!("`{k}`")))
    };
    let missing: Vec<&String> = elf.keys().filter(|k| !named(k)).collect();
    assert!(missing.is_empty(), "not in the README's ELF table: {missing:?}");
}
