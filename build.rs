//! Turns data/distroless.json (made by scripts/gen-images.py from the
//! committed sources, data/sources/) into Rust statics, so that the image
//! facts cost nothing at start: no parsing, no allocation. Also sets
//! `DLCHECK_LONG_VERSION` (`dlcheck --version`): the package version and the
//! image data's generation date and distroless commit.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

fn s(v: &Value) -> String {
    format!(
        "{:?}",
        v.as_str().unwrap_or_else(|| panic!("expected a string, got {v}"))
    )
}

fn opt(v: &Value) -> String {
    match v.as_str() {
        Some(x) => format!("Some({x:?})"),
        None => "None".to_string(),
    }
}

fn strs(v: &Value) -> String {
    let items: Vec<String> = v.as_array().map(|a| a.iter().map(s).collect()).unwrap_or_default();
    format!("&[{}]", items.join(", "))
}

/// A JSON object as a sorted `&[(&str, &str)]`: strings as they are, other
/// values as JSON text.
fn pairs(v: &Value) -> String {
    let mut items: Vec<(String, String)> = v
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                .collect()
        })
        .unwrap_or_default();
    items.sort();
    let items: Vec<String> = items.iter().map(|(k, v)| format!("({k:?}, {v:?})")).collect();
    format!("&[{}]", items.join(", "))
}

/// A `Table` (src/catalog/table.rs) of `lines`: one string and the byte
/// offset of each line, two relocations in all.
fn table(lines: &[String]) -> String {
    let mut text = String::new();
    let mut starts = Vec::new();
    for l in lines {
        assert!(!l.contains('\n'), "a table entry holds a newline: {l:?}");
        starts.push(text.len().to_string());
        text.push_str(l);
        text.push('\n');
    }
    format!("Table::new({text:?}, &[{}])", starts.join(", "))
}

/// A JSON list of strings as a table, in its own order.
fn list_table(v: &Value) -> String {
    let lines: Vec<String> = v
        .as_array()
        .map(|a| a.iter().map(|x| x.as_str().expect("a string").to_string()).collect())
        .unwrap_or_default();
    table(&lines)
}

/// A JSON object as a table of `key\tvalue` lines sorted by key: strings as
/// they are, other values as JSON text.
fn keyed_table(v: &Value) -> String {
    let mut lines: Vec<String> = v
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| format!("{k}\t{}", v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                .collect()
        })
        .unwrap_or_default();
    lines.sort();
    table(&lines)
}

/// A JSON list of `[a, b]` pairs as a table of `a\tb` lines, in its own
/// order.
fn pair_table(v: &Value) -> String {
    let lines: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| format!("{}\t{}", p[0].as_str().unwrap(), p[1].as_str().unwrap()))
                .collect()
        })
        .unwrap_or_default();
    table(&lines)
}

/// The objects of a JSON object, sorted by key.
fn sorted(v: &Value) -> Vec<(&String, &Value)> {
    let mut items: Vec<(&String, &Value)> = v.as_object().map(|o| o.iter().collect()).unwrap_or_default();
    items.sort_by_key(|(k, _)| k.to_string());
    items
}

fn generation(out: &mut String, name: &str, g: &Value) {
    let mut arch_src = String::new();
    for (arch, a) in sorted(&g["arch"]) {
        let mut lib_src = String::new();
        for (soname, l) in sorted(&a["libraries"]) {
            write!(
                lib_src,
                "Library {{ soname: {soname:?}, path: {}, package: {}, version: {}, needed: {}, verdefs: {} }},",
                s(&l["path"]),
                s(&l["package"]),
                s(&l["version"]),
                list_table(&l["needed"]),
                list_table(&l["verdefs"])
            )
            .unwrap();
        }
        write!(
            arch_src,
            "GenerationArch {{ arch: {arch:?}, glibc_version: {}, libraries: &[{lib_src}] }},",
            opt(&a["glibc_version"])
        )
        .unwrap();
    }
    writeln!(
        out,
        "Generation {{ name: {name:?}, codename: {}, debian_version: {}, supported: {}, default: {}, status: {}, removed_date: {}, eol: {}, usr_merged: {}, built_architectures: {}, commit: {}, arch: &[{arch_src}] }},",
        s(&g["codename"]),
        s(&g["debian_version"]),
        g["supported"].as_bool().unwrap(),
        g["default"].as_bool().unwrap(),
        s(&g["status"]),
        opt(&g["removed_date"]),
        opt(&g["eol"]),
        g["usr_merged"].as_bool().unwrap(),
        strs(&g["built_architectures"]),
        s(&g["commit"]),
    )
    .unwrap();
}

fn image(out: &mut String, im: &Value) {
    let mut arch_src = String::new();
    for (arch, a) in sorted(&im["arch"]) {
        let field = |p: &Value, k: &str| p[k].as_str().unwrap_or_default().to_string();
        let packages: Vec<String> = sorted(&a["packages"])
            .into_iter()
            .map(|(name, p)| {
                let f: Vec<String> = ["pinned", "read", "read_from", "only", "unread"]
                    .iter()
                    .map(|k| field(p, k))
                    .collect();
                format!("{name}\t{}", f.join("\t"))
            })
            .collect();
        write!(
            arch_src,
            "ImageArch {{ arch: {arch:?}, standard_interpreter: {}, loaders: {}, sonames: {}, ld_so_cache: {}, package_table: {}, unread: {} }},",
            s(&a["standard_interpreter"]),
            keyed_table(&a["loaders"]),
            keyed_table(&a["sonames"]),
            pair_table(&a["ld_so_cache"]),
            table(&packages),
            list_table(&a["unread"]),
        )
        .unwrap();
    }
    writeln!(
        out,
        "Image {{ variant: {}, language: {}, generation: {}, reference: {}, also_published_as: {}, status: {}, tags: {}, based_on: {}, glibc_version: {}, packages: {}, flags: {}, architectures: {}, arch: &[{arch_src}], no_data: {}, source: {} }},",
        s(&im["name"]),
        im["family"] == "language",
        s(&im["generation"]),
        s(&im["reference"]),
        opt(&im["also_published_as"]),
        s(&im["status"]),
        strs(&im["tags"]),
        opt(&im["based_on"]),
        opt(&im["glibc_version"]),
        list_table(&im["packages"]),
        keyed_table(&im["flags"]),
        strs(&im["architectures"]),
        keyed_table(&im["no_data"]),
        s(&im["source"]),
    )
    .unwrap();
}

fn main() {
    println!("cargo::rerun-if-changed=data/distroless.json");
    let text = std::fs::read_to_string("data/distroless.json").expect("data/distroless.json");
    let data: Value = serde_json::from_str(&text).expect("data/distroless.json is JSON");
    let p = &data["provenance"];
    let mut out = String::new();
    writeln!(out, "/// The `provenance` block of data/distroless.json, as JSON text.").unwrap();
    writeln!(out, "pub static PROVENANCE: &str = {:?};", p.to_string()).unwrap();
    writeln!(
        out,
        "/// The day the image data was read from its sources (`YYYY-MM-DD`).\npub const GENERATED: &str = {};",
        s(&p["generated"])
    )
    .unwrap();
    writeln!(
        out,
        "/// The distroless commit the image definitions were read at.\npub const DISTROLESS_COMMIT: &str = {};",
        s(&p["distroless_commit"])
    )
    .unwrap();
    writeln!(
        out,
        "/// The date of that commit (`YYYY-MM-DD`).\npub const DISTROLESS_COMMIT_DATE: &str = {};",
        s(&p["distroless_commit_date"])
    )
    .unwrap();
    println!(
        "cargo::rustc-env=DLCHECK_LONG_VERSION={}{} (image data of {}: distroless {} of {} and the Debian packages it pins)",
        std::env::var("CARGO_PKG_VERSION").unwrap(),
        commit().map(|c| format!(", commit {c}")).unwrap_or_default(),
        p["generated"].as_str().unwrap(),
        &p["distroless_commit"].as_str().unwrap()[..12],
        p["distroless_commit_date"].as_str().unwrap(),
    );

    let gens = sorted(&data["generations"]);
    let names: Vec<String> = gens.iter().map(|(k, _)| format!("{k:?}")).collect();
    writeln!(
        out,
        "/// Debian generations, oldest first.\npub const GENERATIONS: [&str; {}] = [{}];",
        names.len(),
        names.join(", ")
    )
    .unwrap();
    let variants: Vec<String> = data["variants"].as_array().unwrap().iter().map(s).collect();
    writeln!(
        out,
        "/// The base image variants, smallest first.\npub const VARIANTS: [&str; {}] = [{}];",
        variants.len(),
        variants.join(", ")
    )
    .unwrap();
    writeln!(
        out,
        "/// OCI architecture → the platform distroless publishes it as, sorted.\npub static PLATFORMS: &[(&str, &str)] = {};",
        pairs(&data["platforms"])
    )
    .unwrap();
    out.push_str("/// Every generation, oldest first.\npub static GENERATION_DATA: &[Generation] = &[\n");
    for (name, g) in gens {
        generation(&mut out, name, g);
    }
    out.push_str("];\n");
    for (name, language) in [("IMAGE_DATA", false), ("LANGUAGE_IMAGE_DATA", true)] {
        writeln!(
            out,
            "/// The {} images, by generation then size.\npub static {name}: &[Image] = &[",
            if language { "language" } else { "base" }
        )
        .unwrap();
        for im in data["images"].as_array().unwrap() {
            if (im["family"] == "language") == language {
                image(&mut out, im);
            }
        }
        out.push_str("];\n");
    }
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("catalog.rs");
    std::fs::write(dest, out).unwrap();
}

/// The commit dlcheck is built from: `DLCHECK_COMMIT` when set (a build
/// without the repository, such as a container build), else `git`'s
/// abbreviated HEAD with `-dirty` for uncommitted changes, else none.
fn commit() -> Option<String> {
    println!("cargo::rerun-if-env-changed=DLCHECK_COMMIT");
    if let Ok(c) = std::env::var("DLCHECK_COMMIT") {
        return (!c.is_empty()).then_some(c);
    }
    let root = Path::new(&std::env::var("CARGO_MANIFEST_DIR").ok()?).to_path_buf();
    let git = root.join(".git");
    if !git.exists() {
        return None;
    }
    for watched in ["HEAD", "index"] {
        println!("cargo::rerun-if-changed={}", git.join(watched).display());
    }
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let head = run(&["rev-parse", "--short=12", "HEAD"])?;
    let dirty = run(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(if dirty { format!("{head}-dirty") } else { head })
}
