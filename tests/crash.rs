//! dlcheck's predicted crash messages equal what really happens.
//!
//! scripts/record-crashes.sh assembled each image's root filesystem from
//! the Debian packages the distroless images use, started each fixture in
//! it as /app (chroot + execve, as a container runtime does) and kept what
//! it printed in testdata/crash/<image>/<fixture>.txt: a line `exit: N`,
//! then stderr. A failed execve is printed by the recorder as
//! "chroot: failed to run command '/app': <strerror>", which a container
//! runtime (runc) words as "exec /app: <lowercase strerror>".

use std::path::Path;

use dlcheck::{Options, analyze};

fn runtime_wording(stderr: &str) -> String {
    match stderr.strip_prefix("chroot: failed to run command '/app': ") {
        Some(err) => format!("exec /app: {}", err.to_lowercase()),
        None => stderr.to_string(),
    }
}

#[test]
fn predictions_match_recorded_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let catalog = dlcheck::catalog::Catalog::embedded();
    let mut checked = 0;
    let mut images: Vec<_> = std::fs::read_dir(root.join("crash"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    images.sort();
    for dir in images {
        let image = dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .collect();
        files.sort();
        for file in files {
            let fixture = file.file_stem().unwrap().to_string_lossy().into_owned();
            let recorded = std::fs::read_to_string(&file).unwrap();
            let (status, stderr) = recorded.split_once('\n').unwrap();
            let status: i32 = status.strip_prefix("exit: ").unwrap().parse().unwrap();
            let stderr = runtime_wording(stderr.trim_end_matches('\n'));
            let bytes = std::fs::read(root.join("bin").join(&fixture)).unwrap();
            let opts = Options {
                distro: "debian12".into(),
                platform: Some("linux/amd64".into()),
                image: Some(catalog.resolve(&image).unwrap()),
                ..Options::default()
            };
            let report = analyze(&bytes, &opts);
            let what = format!("{fixture} on {image}");
            let check = report.binary().and_then(|b| b.image_check.as_ref());
            match (report.error().map(|e| e.to_string()), check) {
                // Not an ELF program (script, Mach-O): the error names the message.
                (Some(e), _) => {
                    assert_ne!(status, 0, "{what}");
                    assert!(e.contains(&format!("\"{stderr}\"")), "{what}: {e} vs {stderr}");
                }
                (None, Some(check)) if status == 0 => {
                    assert!(check.runs, "{what}: it ran, dlcheck says {:?}", check.crash);
                }
                (None, Some(check)) => {
                    assert!(!check.runs, "{what}: it failed with {stderr:?}");
                    assert_eq!(check.crash.as_deref(), Some(stderr.as_str()), "{what}");
                }
                (None, None) => panic!("{what}: no image check"),
            }
            checked += 1;
        }
    }
    assert!(checked >= 150, "only {checked} recordings");
}
