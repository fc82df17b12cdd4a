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

/// A JSON list of `[a, b]` pairs, in its own order.
fn list_pairs(v: &Value) -> String {
    let items: Vec<String> = v
        .as_array()
        .map(|a| a.iter().map(|p| format!("({}, {})", s(&p[0]), s(&p[1]))).collect())
        .unwrap_or_default();
    format!("&[{}]", items.join(", "))
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
                strs(&l["needed"]),
                strs(&l["verdefs"])
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
        let mut pkg_src = String::new();
        for (name, p) in sorted(&a["packages"]) {
            write!(
                pkg_src,
                "Package {{ name: {name:?}, pinned: {}, read: {}, read_from: {}, only: {}, unread: {} }},",
                s(&p["pinned"]),
                opt(&p["read"]),
                opt(&p["read_from"]),
                opt(&p["only"]),
                opt(&p["unread"])
            )
            .unwrap();
        }
        write!(
            arch_src,
            "ImageArch {{ arch: {arch:?}, standard_interpreter: {}, loaders: {}, sonames: {}, ld_so_cache: {}, packages: &[{pkg_src}], unread: {} }},",
            s(&a["standard_interpreter"]),
            pairs(&a["loaders"]),
            pairs(&a["sonames"]),
            list_pairs(&a["ld_so_cache"]),
            strs(&a["unread"]),
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
        strs(&im["packages"]),
        pairs(&im["flags"]),
        strs(&im["architectures"]),
        pairs(&im["no_data"]),
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
        "cargo::rustc-env=DLCHECK_LONG_VERSION={} (image data of {}: distroless {} of {} and the Debian packages it pins)",
        std::env::var("CARGO_PKG_VERSION").unwrap(),
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
