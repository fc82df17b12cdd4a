//! Each fixture's facts, as dlcheck reads them, must equal the oracle that
//! testdata/build.sh recorded from `readelf -hldVW` and `go version -m`
//! when the fixture was built (testdata/oracle/<name>.json).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use dlcheck::{Options, Report, analyze};
use serde_json::Value;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn oracles() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(testdata().join("oracle")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            out.push((v["name"].as_str().unwrap().to_string(), v));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(
        out.len() >= 30,
        "expected the full fixture set, found {} oracles",
        out.len()
    );
    out
}

fn analyze_fixture(name: &str) -> Report {
    let bytes = std::fs::read(testdata().join("bin").join(name)).unwrap();
    analyze(&bytes, &Options::default())
}

/// readelf's `Machine:` text (and the byte order) to dlcheck's short
/// machine name.
fn machine_from_readelf(m: &str, endianness: &Value) -> &'static str {
    match (m, endianness.as_str()) {
        ("Advanced Micro Devices X86-64", _) => "x86_64",
        ("AArch64", _) => "aarch64",
        ("Intel 80386", _) => "i386",
        ("ARM", _) => "arm",
        ("IBM S/390", _) => "s390x",
        ("PowerPC64", Some("little")) => "ppc64le",
        ("RISC-V", _) => "riscv64",
        (other, _) => panic!("add readelf machine {other:?} to the test's table"),
    }
}

fn opt_str(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

#[test]
fn formats_match_the_oracle() {
    for (name, oracle) in oracles() {
        let report = analyze_fixture(&name);
        let format = serde_json::to_value(report.format()).unwrap();
        assert_eq!(format, oracle["format"], "{name}: format");
    }
}

#[test]
fn elf_facts_match_readelf() {
    let mut checked = 0;
    for (name, o) in oracles() {
        if o["format"] != "elf" || o["malformed"] == true || o["e_type"] == "REL" {
            continue;
        }
        let report = analyze_fixture(&name);
        if name.ends_with(".debug") {
            // objcopy --only-keep-debug: readelf reads its headers, but its
            // code segments hold no bytes (a static one crashes when run).
            assert_eq!(report.error().map(|e| e.kind()), Some("debug_info"), "{name}");
            continue;
        }
        let elf = report
            .elf()
            .unwrap_or_else(|| panic!("{name}: no ELF facts, error {:?}", report.error()));
        let class = if o["class"] == 64 { "ELF64" } else { "ELF32" };
        assert_eq!(serde_json::to_value(elf.class).unwrap(), class, "{name}: class");
        assert_eq!(
            serde_json::to_value(elf.endianness).unwrap(),
            o["endianness"],
            "{name}: endianness"
        );
        assert_eq!(
            elf.machine,
            machine_from_readelf(o["readelf_machine"].as_str().unwrap(), &o["endianness"]),
            "{name}: machine"
        );
        // Tag_CPU_arch, where readelf -A was recorded (the 32-bit ARM fixtures).
        if let Some(arch) = o.get("arm_cpu_arch") {
            assert_eq!(elf.arm_cpu_arch, arch.as_str(), "{name}: Tag_CPU_arch");
            assert_eq!(elf.platform(), "linux/arm/v7", "{name}: platform");
        }
        assert_eq!(elf.e_type, o["e_type"].as_str().unwrap(), "{name}: e_type");
        assert_eq!(elf.interpreter, opt_str(&o["interpreter"]), "{name}: PT_INTERP");
        let needed: Vec<String> = serde_json::from_value(o["needed"].clone()).unwrap();
        assert_eq!(elf.needed, needed, "{name}: DT_NEEDED");
        assert_eq!(elf.soname, opt_str(&o["soname"]), "{name}: DT_SONAME");
        assert_eq!(elf.rpath, opt_str(&o["rpath"]), "{name}: DT_RPATH");
        assert_eq!(elf.runpath, opt_str(&o["runpath"]), "{name}: DT_RUNPATH");
        let want: std::collections::BTreeMap<String, BTreeSet<String>> =
            serde_json::from_value(o["version_needs"].clone()).unwrap();
        let got: std::collections::BTreeMap<String, BTreeSet<String>> = elf
            .version_needs
            .iter()
            .map(|(k, v)| (k.clone(), v.iter().cloned().collect()))
            .collect();
        assert_eq!(got, want, "{name}: version needs");
        // readelf -l's GNU_STACK flags, and readelf -n's "x86 ISA needed"
        // and "OS: Linux, ABI:" notes.
        assert_eq!(elf.gnu_stack, o["gnu_stack"].as_str(), "{name}: PT_GNU_STACK");
        assert_eq!(elf.isa_needed, o["isa_needed"].as_str(), "{name}: x86 ISA needed");
        assert_eq!(elf.min_kernel, opt_str(&o["min_kernel"]), "{name}: NT_GNU_ABI_TAG");
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} ELF fixtures checked");
}

#[test]
fn go_facts_match_go_version_m() {
    let mut checked = 0;
    for (name, o) in oracles() {
        let Some(version) = o.get("go_version").and_then(Value::as_str) else {
            continue;
        };
        let report = analyze_fixture(&name);
        let go = report.go().unwrap_or_else(|| panic!("{name}: Go not detected"));
        assert_eq!(go.version.as_deref(), Some(version), "{name}: Go version");
        assert_eq!(go.path, opt_str(&o["go_path"]), "{name}: main package path");
        let want_mod = &o["go_main_module"];
        let got_mod = serde_json::to_value(&go.main_module).unwrap();
        for key in ["path", "version", "sum"] {
            assert_eq!(got_mod[key], want_mod[key], "{name}: main module {key}");
        }
        let want_deps = o["go_deps"].as_array().unwrap();
        assert_eq!(go.deps.len(), want_deps.len(), "{name}: deps");
        for (got, want) in go.deps.iter().zip(want_deps) {
            let got = serde_json::to_value(got).unwrap();
            for key in ["path", "version", "sum"] {
                assert_eq!(got[key], want[key], "{name}: dep {key}");
                assert_eq!(
                    got["replace"].get(key),
                    want["replace"].get(key),
                    "{name}: dep replace {key}"
                );
            }
        }
        assert_eq!(
            go.settings.len(),
            o["go_settings"].as_object().unwrap().len(),
            "{name}: settings"
        );
        for (k, v) in o["go_settings"].as_object().unwrap() {
            assert_eq!(
                go.settings.get(k).map(String::as_str),
                v.as_str(),
                "{name}: build setting {k}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 24, "only {checked} Go fixtures checked");
}

#[test]
fn non_go_binaries_have_no_go_facts() {
    for name in ["c-dynamic", "c-static", "cxx-dynamic", "rust-release", "musl-static"] {
        assert!(analyze_fixture(name).go().is_none(), "{name}");
    }
}
