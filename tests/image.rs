//! Image mode on real image archives built from Debian packages
//! (scripts/build-test-images.py; testdata/images/expected.json says what
//! each must give, and why).

use std::io::Read;
use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

fn images() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/images")
}

fn run(args: &[&str]) -> (Value, i32, String) {
    let out = cargo_bin_cmd!("dlcheck").arg("--json").args(args).output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    (doc, out.status.code().unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn every_image_gives_its_expected_verdict() {
    let expected: Value = serde_json::from_slice(&std::fs::read(images().join("expected.json")).unwrap()).unwrap();
    let expected = expected.as_object().unwrap();
    assert!(expected.len() >= 20);
    for (name, want) in expected {
        let path = images().join(name).to_string_lossy().into_owned();
        let (doc, status, stderr) = run(&["--platform", "linux/amd64", &path]);
        let r = &doc["reports"][0];
        assert_eq!(r["format"], "image", "{name}");
        match want["outcome"].as_str().unwrap() {
            "reject" => {
                assert_eq!(status, 5, "{name}: {stderr}");
                assert_eq!(r["error"]["kind"], "malformed_image", "{name}");
                assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
            }
            outcome => {
                assert!(r["error"].is_null(), "{name}: {}", r["error"]);
                let starts = outcome == "starts";
                assert_eq!(r["image"]["starts"], starts, "{name}: {}", r["image"]["crash"]);
                assert_eq!(status, i32::from(!starts), "{name}");
                if !starts {
                    // The predicted message opens the expected explanation.
                    let crash = r["image"]["crash"].as_str().unwrap();
                    let why = want["why"].as_str().unwrap();
                    let first = crash.lines().next().unwrap();
                    let shared = first.split(": ").last().unwrap();
                    assert!(why.contains(shared), "{name}: {crash:?} vs {why:?}");
                }
            }
        }
    }
    assert!(
        !Path::new("/tmp/dlcheck-pwned").exists(),
        "a hostile archive wrote to the host"
    );
}

#[test]
fn predicted_messages_of_images() {
    let crash = |name: &str| {
        let (doc, _, _) = run(&["--platform", "linux/amd64", &images().join(name).to_string_lossy()]);
        doc["reports"][0]["image"]["crash"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        crash("oci-base11-gzip.tar"),
        "/app: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required by /app)"
    );
    assert_eq!(
        crash("whiteout.tar"),
        "/app: error while loading shared libraries: libstdc++.so.6: cannot open shared object file: No such file or directory"
    );
    assert_eq!(
        crash("shell-form.tar"),
        "exec: \"/bin/sh\": stat /bin/sh: no such file or directory"
    );
    assert_eq!(
        crash("script-entrypoint.tar"),
        "exec /app/run.sh: no such file or directory"
    );
    assert_eq!(
        crash("missing-user.tar"),
        "unable to find user appuser: no matching entries in passwd file"
    );
}

#[test]
fn image_report_details() {
    let (doc, status, _) = run(&[
        "--platform",
        "linux/amd64",
        &images().join("symlink-entrypoint.tar").to_string_lossy(),
    ]);
    assert_eq!(status, 0);
    let i = &doc["reports"][0]["image"];
    assert_eq!(i["format"], "docker-archive");
    assert_eq!(i["reference"], "dlcheck-test/symlink-entrypoint:latest");
    assert_eq!(i["config"]["entrypoint"], serde_json::json!(["app"]));
    let steps: Vec<&str> = i["entrypoint_steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(steps.contains(&"app found in PATH"), "{steps:?}");
    assert!(steps.contains(&"app resolves to /opt/app/bin/real"), "{steps:?}");
    assert!(
        steps
            .iter()
            .any(|s| s.starts_with("libc.so.6 → /lib/x86_64-linux-gnu/libc.so.6")),
        "{steps:?}"
    );
    assert_eq!(i["base"]["generation"], "debian12");
    // The entrypoint binary's own report is inside.
    assert_eq!(i["binaries"][0]["path"], "/opt/app/bin/real");
    assert_eq!(i["binaries"][0]["elf"]["needed"], serde_json::json!(["libc.so.6"]));
    // ld.so.cache is read: libz.so.1 lives only in /opt/zlib.
    let (doc, _, _) = run(&[
        "--platform",
        "linux/amd64",
        &images().join("ldcache.tar").to_string_lossy(),
    ]);
    let steps = doc["reports"][0]["image"]["entrypoint_steps"].to_string();
    assert!(steps.contains("libz.so.1 → /opt/zlib/libz.so.1"), "{steps}");
}

#[test]
fn multi_platform_index() {
    let path = images().join("multi-platform.tar").to_string_lossy().into_owned();
    for platform in ["linux/amd64", "linux/arm64"] {
        let (doc, status, _) = run(&["--platform", platform, &path]);
        assert_eq!(status, 0, "{platform}");
        let i = &doc["reports"][0]["image"];
        assert!(
            i["platform"].as_str().unwrap().starts_with(platform),
            "{}",
            i["platform"]
        );
        assert_eq!(i["platforms"].as_array().unwrap().len(), 2);
        let machine = &i["binaries"][0]["elf"]["machine"];
        assert_eq!(machine, if platform == "linux/amd64" { "x86_64" } else { "aarch64" });
    }
}

/// --root judges programs in an unpacked root file system: unpack the
/// docker-cc12 archive's layers into a temporary directory (the test does;
/// dlcheck never does).
#[test]
fn root_file_system() {
    let dir = tempfile::tempdir().unwrap();
    let mut outer = tar::Archive::new(std::fs::File::open(images().join("docker-cc12.tar")).unwrap());
    let mut blobs = std::collections::BTreeMap::new();
    for e in outer.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        blobs.insert(name, data);
    }
    let manifest: Value = serde_json::from_slice(&blobs["manifest.json"]).unwrap();
    for layer in manifest[0]["Layers"].as_array().unwrap() {
        let data = &blobs[layer.as_str().unwrap()];
        let reader: Box<dyn Read> = if data.starts_with(&[0x1f, 0x8b]) {
            Box::new(flate2::read::GzDecoder::new(&data[..]))
        } else {
            Box::new(&data[..])
        };
        tar::Archive::new(reader).unpack(dir.path()).unwrap();
    }
    let root = dir.path().to_string_lossy().into_owned();
    let (doc, status, _) = run(&["--root", &root, "/app"]);
    assert_eq!(status, 0, "{}", doc["reports"][0]["image"]["crash"]);
    assert_eq!(doc["reports"][0]["image"]["format"], "rootfs");
    // Remove libstdc++ from the root: the loader's message follows.
    for e in std::fs::read_dir(dir.path().join("usr/lib/x86_64-linux-gnu")).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().unwrap().to_string_lossy().starts_with("libstdc++") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let (doc, status, _) = run(&["--root", &root, "/app", "/missing"]);
    assert_eq!(status, 1);
    assert_eq!(
        doc["reports"][0]["image"]["crash"],
        "/app: error while loading shared libraries: libstdc++.so.6: cannot open shared object file: No such file or directory"
    );
    assert_eq!(
        doc["reports"][1]["image"]["crash"],
        "exec: \"/missing\": stat /missing: no such file or directory"
    );
}

#[test]
fn all_checks_every_elf_file() {
    let (doc, status, _) = run(&[
        "--all",
        "--platform",
        "linux/amd64",
        &images().join("docker-cc12.tar").to_string_lossy(),
    ]);
    assert_eq!(status, 0);
    let all = doc["reports"][0]["image"]["all"].as_array().unwrap();
    let paths: Vec<&str> = all.iter().map(|c| c["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        [
            "/app",
            "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/lib/x86_64-linux-gnu/libgcc_s.so.1",
            "/lib/x86_64-linux-gnu/libm.so.6",
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30",
        ]
    );
    assert!(all.iter().all(|c| c["loads"] == true));
    // With libstdc++ whited out, the program no longer loads; the libraries still do.
    let (doc, _, _) = run(&[
        "--all",
        "--platform",
        "linux/amd64",
        &images().join("whiteout.tar").to_string_lossy(),
    ]);
    let all = doc["reports"][0]["image"]["all"].as_array().unwrap();
    let broken: Vec<&str> = all
        .iter()
        .filter(|c| c["loads"] == false)
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(broken, ["/app"]);
}

#[test]
fn image_files_are_compared_with_the_built_in_data() {
    let warnings = |name: &str| {
        let (doc, _, _) = run(&["--platform", "linux/amd64", &images().join(name).to_string_lossy()]);
        doc["reports"][0]["image"]["warnings"].as_array().unwrap().clone()
    };
    // libstdc++ whited out of a cc image: the published cc-debian12 would run it.
    let w = warnings("whiteout.tar");
    assert_eq!(w.len(), 1);
    assert!(
        w[0].as_str()
            .unwrap()
            .starts_with("dlcheck's data says gcr.io/distroless/cc-debian12 runs it")
    );
    // libz added in /opt with an ld.so.cache: the published base-nossl would not.
    let w = warnings("ldcache.tar");
    assert!(
        w[0].as_str().unwrap().contains("base-nossl-debian12 does not run it"),
        "{w:?}"
    );
    // An unchanged image agrees with the data.
    assert!(warnings("docker-cc12.tar").is_empty());
}

/// Tampered archives: a manifest whose layers are reordered, and an OCI
/// layout whose index.json is a symbolic link out of the layout.
#[test]
fn tampered_images_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    // docker save with the layer list reversed: the diff_ids no longer match.
    let src = std::fs::File::open(images().join("docker-cc12.tar")).unwrap();
    let mut outer = tar::Archive::new(src);
    let out_path = dir.path().join("reversed.tar");
    let mut builder = tar::Builder::new(std::fs::File::create(&out_path).unwrap());
    for e in outer.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        if name == "manifest.json" {
            let mut m: Value = serde_json::from_slice(&data).unwrap();
            let layers = m[0]["Layers"].as_array_mut().unwrap();
            layers.reverse();
            data = serde_json::to_vec(&m).unwrap();
        }
        let mut h = e.header().clone();
        h.set_size(data.len() as u64);
        h.set_cksum();
        builder.append_data(&mut h, &name, &data[..]).unwrap();
    }
    builder.finish().unwrap();
    drop(builder);
    let (doc, status, stderr) = run(&[&out_path.to_string_lossy()]);
    assert_eq!(status, 5, "{stderr}");
    assert!(
        doc["reports"][0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("diff_ids")
    );
    // An OCI layout whose index.json points out of the layout.
    let layout = dir.path().join("layout");
    std::fs::create_dir_all(layout.join("blobs")).unwrap();
    std::fs::write(layout.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", layout.join("index.json")).unwrap();
    let (doc, status, _) = run(&[&layout.to_string_lossy()]);
    assert_eq!(status, 5);
    assert!(
        doc["reports"][0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("symbolic link")
    );
    // A platform the image does not have; a root that does not exist.
    let (doc, status, _) = run(&[
        "--platform",
        "linux/arm64",
        &images().join("docker-cc12.tar").to_string_lossy(),
    ]);
    assert_eq!(status, 1);
    assert!(
        doc["reports"][0]["image"]["crash"]
            .as_str()
            .unwrap()
            .contains("does not match the specified platform")
    );
    let (_, status, _) = run(&["--root", "/nonexistent-root", "/app"]);
    assert_eq!(status, 3);
}

/// An entrypoint that is a directory, or a file without execute bits.
#[test]
fn entrypoint_must_be_an_executable_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin/c-static");
    std::fs::copy(&fixture, dir.path().join("app")).unwrap();
    std::fs::set_permissions(dir.path().join("app"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::copy(&fixture, dir.path().join("noexec")).unwrap();
    std::fs::set_permissions(dir.path().join("noexec"), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::create_dir(dir.path().join("adir")).unwrap();
    // An absolute link inside the root resolves inside it, not on the host.
    std::os::unix::fs::symlink("/app", dir.path().join("link")).unwrap();
    let root = dir.path().to_string_lossy().into_owned();
    let (doc, status, _) = run(&["--root", &root, "/app", "/noexec", "/adir", "/link"]);
    assert_eq!(status, 1);
    let crash = |i: usize| doc["reports"][i]["image"]["crash"].clone();
    assert_eq!(crash(0), Value::Null);
    assert_eq!(crash(1), "exec /noexec: permission denied");
    assert_eq!(crash(2), "exec /adir: permission denied");
    assert_eq!(crash(3), Value::Null);
    assert_eq!(
        doc["reports"][3]["image"]["entrypoint_steps"][0],
        "/link resolves to /app"
    );
}

/// A minimal distroless-like root: os-release naming the generation, the
/// dpkg status files of `packages` (and their md5sums, as rules_distroless
/// writes them), and `program` at /app.
fn distroless_root(version: &str, packages: &[&str], program: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("usr/lib")).unwrap();
    std::fs::write(
        root.join("usr/lib/os-release"),
        format!("PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=\"debian\"\nVERSION_ID=\"{version}\"\n"),
    )
    .unwrap();
    let status = root.join("var/lib/dpkg/status.d");
    std::fs::create_dir_all(&status).unwrap();
    for p in packages {
        std::fs::write(status.join(p), format!("Package: {p}\n")).unwrap();
        std::fs::write(status.join(format!("{p}.md5sums")), "").unwrap();
    }
    let app = root.join("app");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin").join(program),
        &app,
    )
    .unwrap();
    dir
}

/// debian11's base has libssl1.1, whose package name holds a dot: it is
/// base, not base-nossl.
#[test]
fn base_identified_by_package_names_with_dots() {
    let dir = distroless_root("11", &["libc6", "libssl1.1", "openssl"], "c-static");
    let root = dir.path().to_string_lossy().into_owned();
    let (doc, status, _) = run(&["--root", &root, "/app"]);
    assert_eq!(status, 0);
    let base = &doc["reports"][0]["image"]["base"];
    assert_eq!(
        (base["variant"].as_str(), base["generation"].as_str()),
        (Some("base"), Some("debian11"))
    );
    assert_eq!(base["packages"], serde_json::json!(["libc6", "libssl1.1", "openssl"]));
}

/// A musl program in a glibc image: no distroless image has musl's
/// loader, so the fix is a static musl build, not another base image.
#[test]
fn musl_program_in_a_glibc_image() {
    let dir = distroless_root("12", &["libc6"], "musl-dynamic");
    let root = dir.path().to_string_lossy().into_owned();
    let (doc, status, _) = run(&["--root", &root, "/app"]);
    assert_eq!(status, 1);
    let p = &doc["reports"][0]["image"]["problems"][0];
    assert_eq!(p["kind"], "interpreter_missing");
    assert!(
        p["fix"]
            .as_str()
            .unwrap()
            .starts_with("link it statically against musl"),
        "{}",
        p["fix"]
    );
}

/// The program of a distroless image is judged against the image's own
/// generation, unless --distro asks for another.
#[test]
fn image_programs_are_judged_against_the_image_generation() {
    let image = images().join("docker-cc12.tar").to_string_lossy().into_owned();
    let (doc, _, _) = run(&["--platform", "linux/amd64", &image]);
    assert_eq!(doc["reports"][0]["image"]["binaries"][0]["distro"], "debian12");
    let (doc, _, _) = run(&["--platform", "linux/amd64", "--distro", "debian13", &image]);
    assert_eq!(doc["reports"][0]["image"]["binaries"][0]["distro"], "debian13");
}

/// A library the loader does not find, though the image has it elsewhere:
/// off the search path, with both ways to put it on.
#[test]
fn a_library_off_the_search_path() {
    let image = images().join("noldcache.tar").to_string_lossy().into_owned();
    let (doc, status, _) = run(&["--platform", "linux/amd64", &image]);
    assert_eq!(status, 1);
    let p = &doc["reports"][0]["image"]["problems"][0];
    assert_eq!(
        p["explanation"],
        "/app needs libz.so.1, which the image has at /opt/zlib/libz.so.1, but /opt/zlib is not where the loader looks (not a default directory, and no /etc/ld.so.cache lists it)"
    );
    assert!(
        p["fix"]
            .as_str()
            .unwrap()
            .starts_with("link the program with -Wl,-rpath,/opt/zlib (DT_RUNPATH)")
    );
}
