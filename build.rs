//! Turns data/distroless.json (made by scripts/gen-images.py from the
//! checked reference data) into Rust statics, so that the image facts cost
//! nothing at start: no parsing, no allocation.

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

/// A JSON object of strings as a sorted `&[(&str, &str)]`.
fn pairs(v: &Value) -> String {
    let mut items: Vec<(String, String)> = v
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    items.sort();
    let items: Vec<String> = items.iter().map(|(k, v)| format!("({k:?}, {v:?})")).collect();
    format!("&[{}]", items.join(", "))
}

fn main() {
    println!("cargo::rerun-if-changed=data/distroless.json");
    let text = std::fs::read_to_string("data/distroless.json").expect("data/distroless.json");
    let data: Value = serde_json::from_str(&text).expect("data/distroless.json is JSON");
    let mut out = String::new();
    writeln!(out, "/// The `provenance` block of data/distroless.json, as JSON text.").unwrap();
    writeln!(
        out,
        "pub static PROVENANCE: &str = {:?};",
        data["provenance"].to_string()
    )
    .unwrap();

    let mut gens: Vec<(&String, &Value)> = data["generations"].as_object().unwrap().iter().collect();
    gens.sort_by_key(|(k, _)| k.to_string());
    let names: Vec<String> = gens.iter().map(|(k, _)| format!("{k:?}")).collect();
    writeln!(
        out,
        "/// Debian generations, oldest first.\npub const GENERATIONS: [&str; {}] = [{}];",
        names.len(),
        names.join(", ")
    )
    .unwrap();
    let mut variants: Vec<String> = Vec::new();
    for im in data["images"].as_array().unwrap() {
        let v = format!("{:?}", im["variant"].as_str().unwrap());
        if !variants.contains(&v) {
            variants.push(v);
        }
    }
    writeln!(
        out,
        "/// Image variants, smallest first, as the data lists them.\npub const VARIANTS: [&str; {}] = [{}];",
        variants.len(),
        variants.join(", ")
    )
    .unwrap();
    out.push_str("/// Every generation, oldest first.\npub static GENERATION_DATA: &[Generation] = &[\n");
    for (name, g) in gens {
        let mut arches: Vec<(&String, &Value)> = g["arch"].as_object().unwrap().iter().collect();
        arches.sort_by_key(|(k, _)| k.to_string());
        let mut arch_src = String::new();
        for (arch, a) in arches {
            let mut libs: Vec<(&String, &Value)> = a["libraries"].as_object().unwrap().iter().collect();
            libs.sort_by_key(|(k, _)| k.to_string());
            let mut lib_src = String::new();
            for (soname, l) in libs {
                write!(
                    lib_src,
                    "Library {{ soname: {soname:?}, path: {}, package: {}, needed: {}, verdefs: {} }},",
                    s(&l["path"]),
                    opt(&l["package"]),
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
            "Generation {{ name: {name:?}, codename: {}, debian_version: {}, supported: {}, status: {}, removed_date: {}, eol: {}, usr_merged: {}, built_architectures: {}, arch: &[{arch_src}] }},",
            s(&g["codename"]),
            s(&g["debian_version"]),
            g["supported"].as_bool().unwrap(),
            s(&g["status"]),
            opt(&g["removed_date"]),
            opt(&g["eol"]),
            g["usr_merged"].as_bool().unwrap(),
            strs(&g["built_architectures"]),
        )
        .unwrap();
    }
    out.push_str("];\n");

    out.push_str("/// Every image, by generation then size.\npub static IMAGE_DATA: &[Image] = &[\n");
    for im in data["images"].as_array().unwrap() {
        let mut arches: Vec<(&String, &Value)> = im["arch"].as_object().unwrap().iter().collect();
        arches.sort_by_key(|(k, _)| k.to_string());
        let mut arch_src = String::new();
        for (arch, a) in arches {
            write!(
                arch_src,
                "ImageArch {{ arch: {arch:?}, standard_interpreter: {}, loaders: {}, sonames: {} }},",
                s(&a["standard_interpreter"]),
                pairs(&a["loaders"]),
                pairs(&a["sonames"])
            )
            .unwrap();
        }
        let mut flags: Vec<(String, String)> = im["flags"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect();
        flags.sort();
        let flags: Vec<String> = flags.iter().map(|(k, v)| format!("({k:?}, {v:?})")).collect();
        writeln!(
            out,
            "Image {{ variant: {}, generation: {}, reference: {}, also_published_as: {}, status: {}, tags: {}, glibc_version: {}, packages: {}, flags: &[{}], arch: &[{arch_src}] }},",
            s(&im["variant"]),
            s(&im["generation"]),
            s(&im["reference"]),
            opt(&im["also_published_as"]),
            s(&im["status"]),
            strs(&im["tags"]),
            opt(&im["glibc_version"]),
            strs(&im["packages"]),
            flags.join(", "),
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("catalog.rs");
    std::fs::write(dest, out).unwrap();
}
