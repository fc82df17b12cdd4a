//! Image sources (README, "Where the image is"): every test image read
//! from its archive, from stdin, gzip- and zstd-compressed, from the real
//! Docker engine (`docker:`) and from a real registry gives the same
//! verdict and messages; registry authentication, indexes, digests and
//! the errors; and a real `docker run` of each crashing image prints what
//! dlcheck predicts (the engine is the oracle).
//!
//! The engine and registry tests start what they need through
//! `tests/common/engine.rs`; they say when they are skipped, and fail
//! instead under `DLCHECK_REQUIRE_ENGINE=1` (`.ci/run` sets it).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::common::engine::{self, Auth, Engine, PASSWORD, Registry};

fn images() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/images")
}

/// The test images, with what each must give.
fn expected() -> Vec<(String, Value)> {
    let v: Value = serde_json::from_slice(&std::fs::read(images().join("expected.json")).unwrap()).unwrap();
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `dlcheck --json --platform linux/amd64 ARGS` with `env`, stdin from
/// `stdin` (else closed): the document, the exit status and stderr.
fn dlcheck(args: &[&str], env: &[(&str, &Path)], stdin: Option<&Path>) -> (Value, i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dlcheck"));
    cmd.args(["--json", "--platform", "linux/amd64"]).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(match stdin {
        Some(p) => Stdio::from(std::fs::File::open(p).unwrap()),
        None => Stdio::null(),
    });
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {stderr}"));
    (doc, out.status.code().unwrap(), stderr)
}

/// What must not depend on where an image was read from: the error, or
/// whether it starts, what it prints, every problem, how the entrypoint was
/// found, its base, config, warnings and binaries, and the exit status.
/// (`format`, `reference`, `platforms` and `source` say where it came from.)
fn verdict((doc, status, _): &(Value, i32, String)) -> Value {
    let r = &doc["reports"][0];
    if !r["error"].is_null() {
        return json!({"status": status, "error": r["error"]});
    }
    let i = &r["image"];
    let keep = [
        "platform",
        "config",
        "base",
        "entrypoint_steps",
        "starts",
        "crash",
        "problems",
        "warnings",
        "binaries",
        "all",
    ];
    let mut v: serde_json::Map<String, Value> = keep.iter().map(|k| (k.to_string(), i[*k].clone())).collect();
    v.insert("status".into(), json!(status));
    Value::Object(v)
}

/// The archive at `path`, as one tar file (an OCI layout directory is
/// packed into `dir`).
fn as_tar(path: &Path, dir: &Path) -> PathBuf {
    if !path.is_dir() {
        return path.to_path_buf();
    }
    let out = dir.join("layout.tar");
    let mut b = tar::Builder::new(std::fs::File::create(&out).unwrap());
    b.append_dir_all(".", path).unwrap();
    b.finish().unwrap();
    out
}

/// `path` compressed with gzip and with zstd, into `dir`.
fn compressed(path: &Path, dir: &Path) -> (PathBuf, PathBuf) {
    let data = std::fs::read(path).unwrap();
    let (gz, zst) = (dir.join("image.tar.gz"), dir.join("image.tar.zst"));
    let mut e = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    e.write_all(&data).unwrap();
    e.finish().unwrap();
    std::fs::write(&zst, zstd::encode_all(&data[..], 3).unwrap()).unwrap();
    (gz, zst)
}

/// An OCI layout that holds two images (skopeo's `oci:DIR:REF` copies):
/// `oci:DIR:REF` reads the one named, a name it does not hold is refused
/// naming those it has, and `oci:DIR` alone is refused as ambiguous (as
/// skopeo refuses it), never judged by its first entry; one image under
/// two names is not ambiguous.
#[test]
fn an_oci_layout_image_by_name() {
    let test = "sources::an_oci_layout_image_by_name";
    if Command::new("skopeo").arg("--version").output().is_err() {
        return engine::skip(test, "skopeo is not installed").unwrap_or(());
    }
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let copy = |from: String, name: &str| {
        engine::check(Command::new("skopeo").args(["copy", "-q", &from, &format!("oci:{}:{name}", layout.display())]));
    };
    copy(format!("oci:{}", images().join("oci-static12-zstd").display()), "v1");
    copy(
        format!("oci-archive:{}", images().join("oci-base11-gzip.tar").display()),
        "v2",
    );
    let alone = |arg: String| dlcheck(&[&arg], &[], None);
    for (name, fixture) in [("v1", "oci-static12-zstd"), ("v2", "oci-base11-gzip.tar")] {
        let got = alone(format!("oci:{}:{name}", layout.display()));
        let want = alone(images().join(fixture).display().to_string());
        assert_eq!(verdict(&got), verdict(&want), "{name}");
        assert_eq!(got.0["reports"][0]["image"]["reference"], name, "{name}");
    }
    // Refused, as no image is named: exit 3 (no such image), the layout
    // being sound, with the argument that names one.
    let (doc, status, _) = alone(format!("oci:{}", layout.display()));
    assert_eq!(status, 3, "{doc}");
    assert_eq!(doc["reports"][0]["error"]["kind"], "image_not_found", "{doc}");
    let ambiguous = format!(
        "the layout holds several images (v1, v2): name one, oci:{}:v1",
        layout.display()
    );
    assert!(
        doc["reports"][0]["error"]["message"]
            .as_str()
            .unwrap()
            .ends_with(&ambiguous),
        "{doc}"
    );
    let (doc, status, _) = alone(format!("oci:{}:v3", layout.display()));
    assert_eq!(status, 3, "{doc}");
    assert_eq!(doc["reports"][0]["error"]["kind"], "image_not_found", "{doc}");
    assert!(
        doc["reports"][0]["error"]["message"]
            .as_str()
            .unwrap()
            .ends_with("the layout has no image named v3; it has v1, v2"),
        "{doc}"
    );
    // One image copied under two names is one image: read without a name,
    // as the first.
    let twice = dir.path().join("twice");
    for name in ["a", "b"] {
        engine::check(Command::new("skopeo").args([
            "copy",
            "-q",
            &format!("oci:{}", images().join("oci-static12-zstd").display()),
            &format!("oci:{}:{name}", twice.display()),
        ]));
    }
    let got = alone(format!("oci:{}", twice.display()));
    let want = alone(images().join("oci-static12-zstd").display().to_string());
    assert_eq!(verdict(&got), verdict(&want));
    assert_eq!(got.0["reports"][0]["image"]["reference"], "a");
}

/// A compressed archive cut short is a malformed image at every length
/// (exit 5, "does not decompress"), not data that is not ELF; a gzip file
/// that inflates to something else is not ELF (exit 4).
#[test]
fn a_cut_compressed_archive_is_malformed() {
    let dir = tempfile::tempdir().unwrap();
    let (gz, zst) = compressed(&images().join("docker-cc12.tar"), dir.path());
    for whole in [gz, zst] {
        let bytes = std::fs::read(&whole).unwrap();
        for len in [20, 100, 1000, 5000, 50_000, bytes.len() / 2] {
            let cut = dir.path().join(format!("cut-{len}"));
            std::fs::write(&cut, &bytes[..len]).unwrap();
            let (doc, status, _) = dlcheck(&[cut.to_str().unwrap()], &[], None);
            let error = &doc["reports"][0]["error"];
            assert_eq!(
                (status, &error["kind"]),
                (5, &Value::from("malformed_image")),
                "{len}: {doc}"
            );
            assert!(
                error["message"].as_str().unwrap().contains("does not decompress"),
                "{len}: {doc}"
            );
        }
    }
    let text = dir.path().join("notes.gz");
    let mut e = flate2::write::GzEncoder::new(std::fs::File::create(&text).unwrap(), flate2::Compression::fast());
    e.write_all(b"not an archive\n").unwrap();
    e.finish().unwrap();
    let (doc, status, _) = dlcheck(&[text.to_str().unwrap()], &[], None);
    assert_eq!(
        (status, &doc["reports"][0]["error"]["kind"]),
        (4, &Value::from("unknown_format")),
        "{doc}"
    );
}

/// Every test image gives the same verdict and messages from its archive,
/// stdin, a gzip and a zstd file, the Docker engine and a registry.
/// Archives the engine's load or skopeo's push refuses must be ones
/// dlcheck rejects too (the tools agree they are broken).
#[test]
fn every_source_gives_the_same_verdict() {
    let test = "sources::every_source_gives_the_same_verdict";
    let engine = Engine::get(test);
    let registry = Registry::start(test, Auth::Anonymous);
    let mut compared = 0;
    for (name, _) in expected() {
        let path = images().join(&name);
        let arg = path.to_str().unwrap();
        let want = verdict(&dlcheck(&[arg], &[], None));
        let dir = tempfile::tempdir().unwrap();
        let tar = as_tar(&path, dir.path());
        let (gz, zst) = compressed(&tar, dir.path());
        let mut got = vec![
            ("stdin", dlcheck(&["-"], &[], Some(&tar))),
            ("gzip", dlcheck(&[gz.to_str().unwrap()], &[], None)),
            ("zstd on stdin", dlcheck(&["-"], &[], Some(&zst))),
        ];
        let tag = format!("dlcheck-sources/{}:latest", name.trim_end_matches(".tar"));
        let rejected = want["error"]["kind"] == "malformed_image";
        let _loaded = engine.as_ref().and_then(|e| match e.try_load(&path, &tag) {
            Ok(l) => {
                let out = dlcheck(&[&format!("docker:{tag}")], &[], None);
                // skopeo's load went through, but the engine did not keep
                // the image, or cannot export it again (HTTP 500).
                let kind = &out.0["reports"][0]["error"]["kind"];
                let refused = kind == "image_not_found" || kind == "unreachable";
                if refused {
                    assert!(
                        rejected,
                        "{name}: the engine cannot export it, dlcheck judged it: {want}"
                    );
                } else {
                    got.push(("docker:", out));
                }
                Some(l)
            }
            Err(why) => {
                assert!(
                    rejected,
                    "{name}: the engine refused it, dlcheck did not: {want}: {why}"
                );
                None
            }
        });
        if let Some(reg) = &registry {
            match reg.try_push(&path, &tag, true) {
                Ok(r) => got.push(("registry", dlcheck(&[&format!("registry:{r}")], &[], None))),
                Err(why) => assert!(rejected, "{name}: skopeo refused it, dlcheck did not: {want}: {why}"),
            }
        }
        for (source, out) in &got {
            let mut got = verdict(out);
            // A hostile archive goes through skopeo or `docker load`, which
            // rewrite its manifests (a lying descriptor size is replaced by
            // the true one): it must still be rejected, maybe for the flaw
            // that is left. The same bytes (stdin, compressed) give the
            // same message.
            if rejected && matches!(*source, "docker:" | "registry") {
                if got["error"].is_null() {
                    // skopeo recomputes descriptor sizes: a lying size is
                    // repaired on the way, and what arrives is a sound image.
                    let flaw = want["error"]["message"].as_str().unwrap();
                    assert!(
                        flaw.contains("its descriptor says"),
                        "{name} from {source}: accepted, but {flaw}"
                    );
                    continue;
                }
                got["error"]["message"] = want["error"]["message"].clone();
            }
            let mut want = want.clone();
            if *source == "docker:" {
                // The engine keeps one platform of an index: the note on the
                // platforms not judged has nothing to list.
                for v in [&mut got, &mut want] {
                    if let Some(w) = v["warnings"].as_array_mut() {
                        w.retain(|w| !w.as_str().unwrap_or_default().contains("the image also offers"));
                    }
                }
            }
            assert_eq!(got, want, "{name} from {source}: {}", out.2);
            compared += 1;
        }
    }
    assert!(compared >= 20 * 3, "{compared}");
}

/// `docker:NAME` reads the engine's image and says so; the plain name
/// finds the engine's image first; errors say what to do.
#[test]
fn docker_engine_source() {
    let test = "sources::docker_engine_source";
    let Some(engine) = Engine::get(test) else { return };
    let loaded = engine.load(&images().join("whiteout.tar"), "dlcheck-engine/whiteout:dev");
    let archive = dlcheck(&[images().join("whiteout.tar").to_str().unwrap()], &[], None);
    for arg in [format!("docker:{}", loaded.name), loaded.name.clone()] {
        let out = dlcheck(&[&arg], &[], None);
        assert_eq!(verdict(&out), verdict(&archive), "{arg}");
        let source = &out.0["reports"][0]["image"]["source"];
        assert_eq!(source["kind"], "docker", "{arg}: {source}");
        assert_eq!(source["reference"], loaded.name.as_str());
        // The image ID the engine reports.
        let id = Command::new("docker")
            .args(["image", "inspect", "--format", "{{.Id}}", &loaded.name])
            .output()
            .unwrap();
        assert_eq!(source["digest"], String::from_utf8(id.stdout).unwrap().trim());
    }
    // Not in the engine.
    let (doc, status, stderr) = dlcheck(&["docker:dlcheck-engine/absent:1"], &[], None);
    assert_eq!(status, 3, "{stderr}");
    assert_eq!(doc["reports"][0]["error"]["kind"], "image_not_found");
    assert!(stderr.contains("registry:dlcheck-engine/absent:1"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    // No engine where DOCKER_HOST points.
    let nowhere = tempfile::tempdir().unwrap();
    let host = format!("unix://{}/docker.sock", nowhere.path().display());
    let out = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
        .args(["--json", "docker:anything"])
        .env("DOCKER_HOST", &host)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["reports"][0]["error"]["kind"], "unreachable");
    let message = doc["reports"][0]["error"]["message"].as_str().unwrap();
    assert!(message.contains(&host) && message.contains("DOCKER_HOST"), "{message}");
}

/// A registry with each kind of authentication: the right password from
/// config.json pulls; a wrong one and none are refused (exit 3,
/// `unauthorized`), naming the credential tried.
#[test]
fn registry_authentication() {
    for auth in [Auth::Htpasswd, Auth::Token] {
        let test = format!("sources::registry_authentication ({auth:?})");
        let Some(reg) = Registry::start(&test, auth) else {
            return;
        };
        let r = reg.push(&images().join("missing-user.tar"), "private/app:1.0", false);
        let arg = format!("registry:{r}");
        let good = reg.docker_config(PASSWORD);
        let (doc, status, stderr) = dlcheck(&[&arg], &[("DOCKER_CONFIG", good.path())], None);
        assert_eq!(status, 1, "{auth:?}: {stderr}");
        assert_eq!(
            doc["reports"][0]["image"]["crash"],
            "unable to find user appuser: no matching entries in passwd file"
        );
        let bad = reg.docker_config("wrong-password");
        let (doc, status, stderr) = dlcheck(&[&arg], &[("DOCKER_CONFIG", bad.path())], None);
        assert_eq!(status, 3, "{auth:?}: {stderr}");
        assert_eq!(doc["reports"][0]["error"]["kind"], "unauthorized", "{auth:?}");
        assert!(
            stderr.contains("(user dlcheck)") && stderr.contains("docker login"),
            "{auth:?}: {stderr}"
        );
        let empty = tempfile::tempdir().unwrap();
        let (doc, status, stderr) = dlcheck(&[&arg], &[("DOCKER_CONFIG", empty.path())], None);
        assert_eq!(status, 3, "{auth:?}: {stderr}");
        assert_eq!(doc["reports"][0]["error"]["kind"], "unauthorized", "{auth:?}");
        assert!(stderr.contains("anonymously"), "{auth:?}: {stderr}");
    }
}

/// A multi-platform index pushed with `skopeo copy --all`: each platform's
/// image is judged, the index's platforms are listed; a digest reference
/// pulls the same image, a wrong digest or a missing tag does not.
#[test]
fn registry_index_digest_and_missing() {
    let test = "sources::registry_index_digest_and_missing";
    let Some(reg) = Registry::start(test, Auth::Anonymous) else {
        return;
    };
    let r = reg.push(&images().join("multi-platform.tar"), "multi/app:1", true);
    let empty = tempfile::tempdir().unwrap();
    let env = [("DOCKER_CONFIG", empty.path())];
    for (platform, machine) in [("linux/amd64", "x86_64"), ("linux/arm64", "aarch64")] {
        let out = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
            .args(["--json", "--platform", platform, &format!("registry:{r}")])
            .env("DOCKER_CONFIG", empty.path())
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let i = &doc["reports"][0]["image"];
        assert_eq!(
            out.status.code(),
            Some(0),
            "{platform}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(i["binaries"][0]["elf"]["machine"], machine, "{platform}");
        assert_eq!(i["platforms"], json!(["linux/amd64", "linux/arm64/v8"]));
    }
    // The index digest, as skopeo computes it from the registry.
    let inspect = Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false", &format!("docker://{r}")])
        .output()
        .unwrap();
    let digest = format!("sha256:{}", sha256_hex(&inspect.stdout));
    let by_digest = format!("registry:{}@{digest}", r.rsplit_once(':').unwrap().0);
    let (doc, status, stderr) = dlcheck(&[&by_digest], &env, None);
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(doc["reports"][0]["image"]["source"]["digest"], digest.as_str());
    let wrong = by_digest.replace(&digest[7..15], "00000000");
    let (doc, status, _) = dlcheck(&[&wrong], &env, None);
    assert_eq!(
        (status, &doc["reports"][0]["error"]["kind"]),
        (3, &json!("image_not_found"))
    );
    let (doc, status, stderr) = dlcheck(&[&format!("registry:{}/multi/app:2", reg.addr)], &env, None);
    assert_eq!(
        (status, &doc["reports"][0]["error"]["kind"]),
        (3, &json!("image_not_found"))
    );
    assert!(stderr.contains("check the tag"), "{stderr}");
    // Nothing listens: unreachable, exit 3.
    let closed = format!("registry:127.0.0.1:{}/x:1", free_port());
    let (doc, status, _) = dlcheck(&[&closed], &env, None);
    assert_eq!(
        (status, &doc["reports"][0]["error"]["kind"]),
        (3, &json!("unreachable"))
    );
    // A plain reference the engine does not have is read from the registry.
    let (doc, status, stderr) = dlcheck(&[&r], &env, None);
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(doc["reports"][0]["image"]["source"]["kind"], "registry");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The wording of the Docker engine's own errors differs between engine
/// versions; the prediction follows current engines. Docker 20.10 (the
/// Debian 12 engine) capitalises "No command specified".
fn engine_wording(line: &str) -> String {
    line.replace("No command specified", "no command specified")
}

/// Every crashing test image, started by the real engine: what the
/// container (or the engine, for errors before the process starts)
/// prints is what dlcheck predicts.
#[test]
fn a_real_container_prints_the_predicted_message() {
    let test = "sources::a_real_container_prints_the_predicted_message";
    let Some(engine) = Engine::get(test) else { return };
    let mut checked = 0;
    for (name, want) in expected() {
        if !matches!(want["outcome"].as_str(), Some("crashes" | "error")) {
            continue;
        }
        let path = images().join(&name);
        let (doc, _, _) = dlcheck(&[path.to_str().unwrap()], &[], None);
        let predicted = doc["reports"][0]["image"]["crash"].as_str().unwrap().to_string();
        let loaded = engine.load(
            &path,
            &format!("dlcheck-oracle/{}:latest", name.trim_end_matches(".tar")),
        );
        let out = engine.run(&loaded.name, &[]);
        assert_ne!(out.status.code(), Some(0), "{name} started");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let printed = match stderr.strip_prefix("docker: Error response from daemon: ") {
            // The engine refused to start it: its error ends with runc's
            // (or the daemon's) own message.
            Some(daemon) => {
                let line = engine_wording(daemon.lines().next().unwrap_or_default());
                let line = line.strip_suffix(": unknown").unwrap_or(&line).to_string();
                let predicted = predicted.trim_start_matches("docker: Error response from daemon: ");
                assert!(
                    line.ends_with(predicted),
                    "{name}: the engine said {line:?}, dlcheck predicted {predicted:?}"
                );
                predicted.to_string()
            }
            None => stderr.trim_end().to_string(),
        };
        assert_eq!(
            printed,
            predicted.trim_start_matches("docker: Error response from daemon: "),
            "{name}"
        );
        checked += 1;
    }
    assert!(checked >= 8, "{checked}");
}

/// A machine without CA certificates (the HTTP client cannot be made):
/// a one-line error and exit 3, never reqwest's panic; found by a new
/// user in dlcheck's own image on a static base without the bundle.
#[test]
fn no_ca_certificates_is_an_error_not_a_panic() {
    let out = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
        .arg("registry:localhost:5999/x:abc")
        .env("SSL_CERT_FILE", "/nonexistent")
        .env("SSL_CERT_DIR", "/nonexistent")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot set up a client for the registry localhost:5999"),
        "{stderr}"
    );
}
