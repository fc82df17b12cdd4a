//! The sample outputs in README.md are what dlcheck prints today: each
//! "$ dlcheck ARGS" block in a fenced code block is run and compared.

use assert_cmd::cargo::cargo_bin_cmd;

#[test]
fn readme_samples_are_current() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let mut checked = 0;
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let Some(args) = line.strip_prefix("$ dlcheck ") else {
            continue;
        };
        let expected: Vec<&str> = lines.by_ref().take_while(|l| !l.starts_with("```")).collect();
        let out = cargo_bin_cmd!("dlcheck")
            .current_dir(root)
            .args(args.split_whitespace())
            .output()
            .unwrap();
        let got = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            got.lines().collect::<Vec<_>>(),
            expected,
            "README sample: $ dlcheck {args}"
        );
        checked += 1;
    }
    assert!(checked >= 2, "README samples found: {checked}");
}
