//! dlcheck's predicted crash messages equal what really happens.
//!
//! scripts/record-crashes.sh assembled each image's root filesystem from
//! the Debian packages the distroless images use, started each fixture in
//! it as /app (chroot + execve, as a container runtime does) and kept what
//! it printed in testdata/crash/<image>/<fixture>.txt: a line `exit: N`,
//! then stderr. A failed execve is printed by the recorder as
//! "chroot: failed to run command '/app': <strerror>", which a container
//! runtime (runc) words as "exec /app: <lowercase strerror>".

use std::path::{Path, PathBuf};

use dlcheck::verdict::WarningKind;
use dlcheck::{Options, analyze};

/// Fixtures recorded with a library beside /app (record-crashes.sh's
/// COMPANIONS): a lone binary cannot say where it will be copied, so these
/// are judged in built images (`docker_run_matches_with_a_library_at_the_root`).
const WITH_COMPANION: &[&str] = &["c-dlopen-execstack", "c-origin-root"];

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// `(image, fixture, exit status, stderr, stdout)` of every recording under
/// `dir` (testdata/crash or testdata/crash-qemu64).
fn recordings(dir: &str) -> Vec<(String, String, i32, String, String)> {
    let mut out = Vec::new();
    for image in std::fs::read_dir(testdata().join(dir)).unwrap() {
        let image = image.unwrap().path();
        if !image.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&image).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_none_or(|e| e != "txt") {
                continue;
            }
            let recorded = std::fs::read_to_string(&file).unwrap();
            let (status, stderr) = recorded.split_once('\n').unwrap();
            let status: i32 = status.strip_prefix("exit: ").unwrap().parse().unwrap();
            let stdout = std::fs::read_to_string(file.with_extension("stdout")).unwrap();
            out.push((
                image.file_name().unwrap().to_string_lossy().into_owned(),
                file.file_stem().unwrap().to_string_lossy().into_owned(),
                status,
                stderr.trim_end_matches('\n').to_string(),
                stdout,
            ));
        }
    }
    out.sort();
    out
}

/// The report of `fixture` for `--image image`.
fn judged(fixture: &str, image: &str) -> dlcheck::Report {
    let catalog = dlcheck::catalog::Catalog::embedded();
    let bytes = std::fs::read(testdata().join("bin").join(fixture)).unwrap();
    let opts = Options {
        distro: "debian12".into(),
        platform: Some("linux/amd64".into()),
        image: Some(catalog.resolve(image).unwrap()),
        distro_given: true,
        ..Default::default()
    };
    analyze(&bytes, &opts)
}

fn runtime_wording(stderr: &str) -> String {
    match stderr.strip_prefix("chroot: failed to run command '/app': ") {
        Some(err) => format!("exec /app: {}", err.to_lowercase()),
        None => stderr.to_string(),
    }
}

#[test]
fn predictions_match_recorded_runs() {
    let mut checked = 0;
    for (image, fixture, status, stderr, _) in recordings("crash") {
        if WITH_COMPANION.contains(&fixture.as_str()) {
            continue;
        }
        let stderr = runtime_wording(&stderr);
        let report = judged(&fixture, &image);
        let what = format!("{fixture} on {image}");
        let check = report.binary().and_then(|b| b.image_check.as_ref());
        match (report.error(), check) {
            // Separate debug information: the kernel refuses it (no
            // PT_INTERP bytes: ENOEXEC) or it dies at once (SIGSEGV).
            (Some(e @ dlcheck::Error::DebugInfo), _) => {
                assert!([126, 139].contains(&status), "{what}: {e} vs exit {status}");
            }
            // Not an ELF program (script, Mach-O): the error names the message.
            (Some(e), _) => {
                assert_ne!(status, 0, "{what}");
                let e = e.to_string();
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
    assert!(checked >= 250, "only {checked} recordings");
}

/// The warnings of `fixture` checked with `--image image`, of `kind`:
/// the binary's own and those of the image check.
fn warnings(fixture: &str, image: &str, kind: WarningKind) -> Vec<String> {
    let report = judged(fixture, image);
    let b = report.binary().expect("a binary report");
    let check = b.image_check.iter().flat_map(|c| &c.warnings);
    b.warnings
        .iter()
        .chain(check)
        .filter(|w| w.kind == kind)
        .map(|w| w.message.clone())
        .collect()
}

/// Programs that run a shell start, then their shell call fails: the
/// warning says how each call fails, and the recorded runs print exactly
/// that (system() 127, popen() NULL, Go's os/exec error).
#[test]
fn shell_warnings_say_what_the_runs_printed() {
    let mut checked = 0;
    for (image, fixture, status, _, stdout) in recordings("crash") {
        let expected = match fixture.as_str() {
            "c-shell" => [
                "system returned 127\npopen/pclose returned -1\n",
                "system() returns 127, popen() returns NULL",
            ],
            "c-execsh" => ["child exited 127\n", "no distroless image has /bin/sh"],
            "go123-osexec" | "go123-osexec-stripped" => [
                "exec failed: fork/exec /bin/sh: no such file or directory\n",
                "Go's os/exec returns \"fork/exec /bin/sh: no such file or directory\"",
            ],
            _ => continue,
        };
        if status != 0 {
            continue; // it did not start there (no loader, versions)
        }
        assert_eq!(stdout, expected[0], "{fixture} on {image}");
        let found = warnings(&fixture, &image, WarningKind::Shell);
        assert!(
            found.iter().any(|w| w.contains(expected[1])),
            "{fixture} on {image}: {found:?}"
        );
        checked += 1;
    }
    assert_eq!(
        checked,
        2 * 6 + 2 * 12,
        "c-shell and c-execsh start in 6 images, the Go programs in 12"
    );
}

/// Under the baseline x86-64 CPU (qemu64): programs marked x86-64-v3/v4
/// are refused by glibc 2.33 and later with the message the CPU warning
/// quotes; GOAMD64=v3 Go programs exit with the message it quotes.
#[test]
fn cpu_warnings_quote_what_the_runs_printed() {
    let mut checked = 0;
    for (image, fixture, status, stderr, _) in recordings("crash-qemu64") {
        if image.starts_with("static-") && fixture.starts_with("c-") {
            continue; // no loader there at all
        }
        let found = warnings(&fixture, &image, WarningKind::CpuLevel);
        let what = format!("{fixture} on {image} (qemu64)");
        if fixture.starts_with("c-isa") {
            if image.ends_with("debian11") {
                assert_eq!(status, 1, "{what}: {stderr}"); // GLIBC_2.34: built on debian12
                continue;
            }
            assert_eq!(
                (status, stderr.as_str()),
                (127, "/app: CPU ISA level is lower than required"),
                "{what}"
            );
        } else {
            assert_eq!(status, 1, "{what}");
        }
        assert!(
            found.iter().any(|w| w.contains(&format!("\"{stderr}\""))),
            "{what}: {found:?}"
        );
        checked += 1;
    }
    assert_eq!(
        checked,
        2 * 6 + 12,
        "c-isa-v3/v4 on the 6 debian12/13 glibc images, the Go program on 12"
    );
}

/// A program that dlopens a library by name: where the recorded run's
/// dlerror() says it failed, the `--image` check warns with that message;
/// where it loaded, there is no such warning.
#[test]
fn dlopen_warnings_say_what_the_runs_printed() {
    let mut checked = 0;
    for (image, fixture, status, _, stdout) in recordings("crash") {
        if fixture != "c-dlopen" || status != 0 {
            continue;
        }
        let found = warnings(&fixture, &image, WarningKind::DlopenFails);
        let failing: Vec<&String> = found.iter().filter(|w| w.contains("will fail")).collect();
        match stdout.trim_end().strip_prefix("libz ") {
            Some("loaded") => assert!(failing.is_empty(), "{image}: {failing:?}"),
            Some(dlerror) => assert!(
                failing.iter().any(|w| w.contains(&format!("\"{dlerror}\""))),
                "{image}: {dlerror} vs {found:?}"
            ),
            None => panic!("{image}: {stdout}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 6, "c-dlopen starts in the 6 debian12/13 glibc images");
}

/// An image `name` built by the engine on gcr.io/distroless/`base`, with
/// each `(fixture, file)` of testdata/bin copied to `/file` and `/app` as
/// its entrypoint, and dlcheck's JSON report on it (`docker:NAME`). The
/// image is removed when the first value drops.
fn build_and_judge(
    engine: &crate::common::engine::Engine,
    base: &str,
    files: &[(&str, &str)],
    name: &str,
) -> Result<(crate::common::engine::Loaded, serde_json::Value), String> {
    let dir = tempfile::tempdir().unwrap();
    let mut dockerfile = format!("FROM gcr.io/distroless/{base}\n");
    for (fixture, file) in files {
        std::fs::copy(testdata().join("bin").join(fixture), dir.path().join(file)).unwrap();
        dockerfile.push_str(&format!("COPY {file} /{file}\n"));
    }
    dockerfile.push_str("ENTRYPOINT [\"/app\"]\n");
    std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    let built = engine.try_build(dir.path(), name)?;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dlcheck"))
        .args(["--json", &format!("docker:{name}")])
        .output()
        .unwrap();
    Ok((built, serde_json::from_slice(&out.stdout).unwrap()))
}

/// A C++ program as g++ 13.2 and later build it (testdata/bin/cxx-glibcxx32:
/// its `<iostream>` needs GLIBCXX_3.4.32), built into each generation's
/// `cc` image by the real engine and started with `docker run`: debian11's
/// and debian12's libstdc++ (GCC 10, GCC 12) lack that version and the
/// loader's words are dlcheck's prediction; debian13's (GCC 14) has it and
/// the program prints its line.
#[test]
fn docker_run_matches_a_newer_libstdcxx() {
    use crate::common::engine::{self, Engine};
    let test = "crash::docker_run_matches_a_newer_libstdcxx";
    let Some(engine) = Engine::get(test) else { return };
    for (generation, starts) in [("debian11", false), ("debian12", false), ("debian13", true)] {
        let base = format!("cc-{generation}");
        let name = format!("dlcheck-libstdcxx/cxx-glibcxx32:{generation}");
        let built = match build_and_judge(&engine, &base, &[("cxx-glibcxx32", "app")], &name) {
            Ok(b) => b,
            Err(e) if !engine::required() => return engine::skip(test, &e).unwrap_or(()),
            Err(e) => panic!("{e}"),
        };
        let (built, doc) = built;
        let image = &doc["reports"][0]["image"];
        let run = engine.run(&built.name, &[]);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(image["starts"], starts, "{generation}: {image}");
        if starts {
            assert_eq!(run.status.code(), Some(0), "{generation}: {stderr}");
            assert_eq!(String::from_utf8_lossy(&run.stdout), "caught failure: c++\n");
        } else {
            let crash = image["crash"].as_str().unwrap();
            assert!(crash.contains("version `GLIBCXX_3.4.32' not found"), "{crash}");
            assert_ne!(run.status.code(), Some(0), "{generation}");
            assert_eq!(stderr.trim_end(), crash, "{generation}");
        }
    }
}

/// A program copied to /app with its library at / (DT_RUNPATH `$ORIGIN`),
/// built on each generation's distroless image by the real engine and
/// started with `docker run`: what dlcheck predicts for the built image
/// (crash message, or the dlopen that will fail) is what the container
/// prints. glibc 2.31 and 2.36 stop searching `/` after one miss there;
/// 2.41 refuses to dlopen a library that needs an executable stack.
#[test]
fn docker_run_matches_with_a_library_at_the_root() {
    use crate::common::engine::{self, Engine};
    let test = "crash::docker_run_matches_with_a_library_at_the_root";
    let Some(engine) = Engine::get(test) else { return };
    let mut checked = 0;
    for generation in ["debian11", "debian12", "debian13"] {
        for (fixture, library, base) in [
            ("c-origin-root", "libleaf.so", "base-nossl"),
            ("c-dlopen-execstack", "libexecstack.so", "cc"),
        ] {
            let name = format!("dlcheck-origin/{fixture}:{generation}");
            let files = [(fixture, "app"), (library, library)];
            let (built, doc) = match build_and_judge(&engine, &format!("{base}-{generation}"), &files, &name) {
                Ok(b) => b,
                Err(e) if !engine::required() => return engine::skip(test, &e).unwrap_or(()),
                Err(e) => panic!("{e}"),
            };
            let image = &doc["reports"][0]["image"];
            let run = engine.run(&built.name, &[]);
            let (stdout, stderr) = (
                String::from_utf8_lossy(&run.stdout),
                String::from_utf8_lossy(&run.stderr),
            );
            let what = format!("{fixture} on {base}-{generation}");
            if image["starts"] == false {
                assert_ne!(run.status.code(), Some(0), "{what}");
                assert_eq!(stderr.trim_end(), image["crash"].as_str().unwrap(), "{what}");
            } else {
                let failing: Vec<&str> = image["warnings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|w| w.as_str().filter(|w| w.starts_with("dlopen("))?.split('"').nth(3))
                    .collect();
                match failing.as_slice() {
                    [] => assert_eq!(run.status.code(), Some(0), "{what}: {stderr}"),
                    [dlerror] => assert_eq!(stdout.trim_end(), format!("libexecstack {dlerror}"), "{what}"),
                    more => panic!("{what}: {more:?}"),
                }
            }
            if library == "libexecstack.so" {
                // --all marks the library: refused exactly where the run's
                // dlopen said so.
                let out = std::process::Command::new(env!("CARGO_BIN_EXE_dlcheck"))
                    .args(["--json", "--all", &format!("docker:{name}")])
                    .output()
                    .unwrap();
                let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                let all = doc["reports"][0]["image"]["all"].as_array().unwrap();
                let check = all
                    .iter()
                    .find(|c| c["path"].as_str().unwrap().ends_with("libexecstack.so"))
                    .unwrap_or_else(|| panic!("{what}: no libexecstack.so in --all"));
                assert_eq!(check["executable_stack"], true, "{what}");
                let refused = stdout.contains("cannot enable executable stack");
                assert_eq!(check["dlopen_refused"], refused, "{what}: {stdout}");
                assert_eq!(refused, generation == "debian13", "{what}: {stdout}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 6);
}
