//! dlcheck's facts on this machine's own binaries equal what GNU readelf
//! says about them: every ELF file in /usr/bin and the shared libraries in
//! /usr/lib/x86_64-linux-gnu (or the aarch64 directory on arm64 hosts).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use dlcheck::{Format, Options, analyze};

#[derive(Debug, Default, PartialEq)]
struct ReadelfFacts {
    interpreter: Option<String>,
    needed: Vec<String>,
    soname: Option<String>,
    rpath: Option<String>,
    runpath: Option<String>,
    version_needs: BTreeMap<String, BTreeSet<String>>,
}

fn bracketed(line: &str) -> Option<String> {
    let start = line.find('[')? + 1;
    let end = line.rfind(']')?;
    Some(line[start..end].to_string())
}

fn readelf(path: &Path) -> ReadelfFacts {
    let out = Command::new("readelf")
        .args(["-lWdV"])
        .arg(path)
        .env("LC_ALL", "C")
        .output()
        .expect("readelf (binutils) must be installed for this test");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut f = ReadelfFacts::default();
    let mut in_verneed = false;
    let mut file = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("[Requesting program interpreter:") {
            f.interpreter = t
                .strip_prefix("[Requesting program interpreter: ")
                .map(|s| s.trim_end_matches(']').to_string());
        } else if t.contains("(NEEDED)") {
            f.needed.push(bracketed(t).unwrap());
        } else if t.contains("(SONAME)") {
            f.soname = bracketed(t);
        } else if t.contains("(RPATH)") {
            f.rpath = bracketed(t);
        } else if t.contains("(RUNPATH)") {
            f.runpath = bracketed(t);
        } else if t.starts_with("Version needs section") {
            in_verneed = true;
        } else if t.starts_with("Version symbols section") || t.starts_with("Version definition section") {
            in_verneed = false;
        } else if in_verneed {
            if let Some(rest) = t.split("File: ").nth(1) {
                file = rest.split_whitespace().next().unwrap().to_string();
            } else if let Some(rest) = t.split("Name: ").nth(1) {
                let name = rest.split_whitespace().next().unwrap().to_string();
                f.version_needs.entry(file.clone()).or_default().insert(name);
            }
        }
    }
    f
}

fn check_dir(dir: &Path, filter: impl Fn(&Path) -> bool) -> usize {
    let mut checked = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for path in paths.into_iter().filter(|p| filter(p)) {
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if !meta.is_file() || path.is_symlink() {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let report = analyze(&bytes, &Options::default());
        if report.format() != Format::Elf {
            continue;
        }
        let elf = report
            .elf()
            .cloned()
            .unwrap_or_else(|| panic!("{}: not analysed: {:?}", path.display(), report.error()));
        let want = readelf(&path);
        let got = ReadelfFacts {
            interpreter: elf.interpreter,
            needed: elf.needed,
            soname: elf.soname,
            rpath: elf.rpath,
            runpath: elf.runpath,
            version_needs: elf
                .version_needs
                .into_iter()
                .map(|(k, v)| (k, v.into_iter().collect()))
                .collect(),
        };
        assert_eq!(got, want, "{}", path.display());
        checked += 1;
    }
    checked
}

#[test]
fn usr_bin_matches_readelf() {
    let n = check_dir(Path::new("/usr/bin"), |_| true);
    assert!(n >= 50, "only {n} ELF files in /usr/bin");
}

#[test]
fn system_libraries_match_readelf() {
    let dir = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu"]
        .into_iter()
        .map(Path::new)
        .find(|d| d.is_dir())
        .expect("a multiarch library directory");
    let n = check_dir(dir, |p| p.to_string_lossy().contains(".so"));
    assert!(n >= 20, "only {n} libraries in {}", dir.display());
}

/// A library that is also a program (PT_INTERP and DT_SONAME, as readelf
/// shows for Debian's libcap.so.2.66) is shipped under its soname in a
/// scan: libsystemd.so.0, which needs libcap.so.2 (and libraries no
/// distroless image has), loads from the scanned directory. Found by a new
/// user: 24 libraries of /usr/lib/x86_64-linux-gnu were said to load
/// nowhere.
#[test]
fn a_library_that_is_also_a_program_is_shipped() {
    let dir = Path::new("/usr/lib/x86_64-linux-gnu");
    let (Ok(cap), Ok(systemd)) = (
        std::fs::canonicalize(dir.join("libcap.so.2")),
        std::fs::canonicalize(dir.join("libsystemd.so.0")),
    ) else {
        eprintln!("SKIPPED system::a_library_that_is_also_a_program_is_shipped: no libcap2 or libsystemd0 here");
        return;
    };
    let elf = readelf(&cap);
    assert!(
        elf.interpreter.is_some(),
        "{cap:?} has no PT_INTERP: the premise changed"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
        .args(["--json", "-r"])
        .arg(dir)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let report = doc["reports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == systemd.to_string_lossy().as_ref())
        .expect("libsystemd's report");
    let images = report["images"].as_array().unwrap();
    assert!(
        images.iter().any(|i| i["runs"] == true),
        "{}: {}",
        systemd.display(),
        serde_json::to_string(&images[3]["problems"]).unwrap()
    );
}
