//! Real components for tests: the local Docker engine, a real registry
//! (Debian's `docker-registry`, the CNCF distribution registry) and
//! skopeo. Nothing here is a mock; each test starts what it needs and the
//! guards stop what they started.
//!
//! - [`Engine::get`]: the engine at `DOCKER_HOST` (or the default socket),
//!   `None` when it is not running: the test then prints why it is skipped,
//!   or fails when `DLCHECK_REQUIRE_ENGINE=1` (set by `.ci/run`, so CI never
//!   skips). [`Engine::load`] loads an archive through the engine's load
//!   API (`skopeo copy ... docker-daemon:`), [`Engine::run`] is `docker run`.
//! - [`Registry::start`]: `docker-registry serve CONFIG` on a free
//!   127.0.0.1 port with a temporary storage directory, anonymous, with
//!   htpasswd (basic) auth, or with token auth served by a small token
//!   service in this process (JWTs signed by `openssl`, trusted by the
//!   registry through its `rootcertbundle`). [`Registry::push`] copies an
//!   archive in with skopeo; [`Registry::docker_config`] writes a
//!   `config.json` with its credentials.
//!
//! Needs (Debian): docker.io, docker-registry, skopeo, openssl.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// The user name of the authenticated registries.
pub const USER: &str = "dlcheck";
/// Its password (`testdata/registry/htpasswd` holds its bcrypt hash).
pub const PASSWORD: &str = "dlcheck-secret";

/// Whether CI asked that nothing be skipped (`DLCHECK_REQUIRE_ENGINE=1`).
pub fn required() -> bool {
    std::env::var_os("DLCHECK_REQUIRE_ENGINE").is_some_and(|v| v == "1")
}

/// Report that `test` cannot run because `why`: a failure when required,
/// else a clear line on stderr. Returns `None` for the caller to return.
pub fn skip<T>(test: &str, why: &str) -> Option<T> {
    assert!(
        !required(),
        "{test}: {why} (DLCHECK_REQUIRE_ENGINE=1: engine tests must not be skipped)"
    );
    eprintln!("SKIPPED {test}: {why} (install docker.io, docker-registry and skopeo and start dockerd; .ci/run does)");
    None
}

fn have(program: &str) -> bool {
    let probe = if program == "openssl" { "version" } else { "--version" };
    Command::new(program)
        .arg(probe)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Run `cmd`: its output, or its stderr when it fails.
pub fn attempt(cmd: &mut Command) -> Result<Output, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(out)
}

/// Run `cmd`, panicking with its stderr when it fails.
pub fn check(cmd: &mut Command) -> Output {
    attempt(cmd).unwrap_or_else(|e| panic!("{e}"))
}

/// skopeo's name for a test archive or layout: `oci:DIR`,
/// `oci-archive:FILE` (no manifest.json) or `docker-archive:FILE`.
pub fn transport(path: &Path) -> String {
    let p = path.display();
    if path.is_dir() {
        return format!("oci:{p}");
    }
    let mut archive = tar::Archive::new(std::fs::File::open(path).unwrap());
    let docker = archive
        .entries()
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.path().is_ok_and(|n| n == Path::new("manifest.json")));
    if docker {
        format!("docker-archive:{p}")
    } else {
        format!("oci-archive:{p}")
    }
}

/// The local Docker engine.
pub struct Engine;

impl Engine {
    /// The engine, when `docker info` answers; else a skip (see [`skip`]).
    pub fn get(test: &str) -> Option<Engine> {
        for tool in ["docker", "skopeo"] {
            if !have(tool) {
                return skip(test, &format!("{tool} is not installed"));
            }
        }
        let info = Command::new("docker")
            .args(["info", "--format", "{{.ServerVersion}}"])
            .output();
        match info {
            Ok(o) if o.status.success() => Some(Engine),
            Ok(o) => skip(
                test,
                &format!(
                    "the Docker engine does not answer: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                ),
            ),
            Err(e) => skip(test, &format!("docker: {e}")),
        }
    }

    /// Load the archive or layout at `path` as `name` (`repo:tag`) through
    /// the engine's load API; the image is removed when the guard drops.
    pub fn load(&self, path: &Path, name: &str) -> Loaded {
        self.try_load(path, name).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Engine::load`], or why the engine (or skopeo) refused it. Docker's
    /// image format has no zstd layers, so an OCI layout with zstd layers
    /// is first rewritten as a `docker save` archive of plain layers.
    pub fn try_load(&self, path: &Path, name: &str) -> Result<Loaded, String> {
        let dest = format!("docker-daemon:{name}");
        match attempt(Command::new("skopeo").args(["copy", "-q", &transport(path), &dest])) {
            Err(e) if e.contains("zstd compression is not supported") && path.is_dir() => {
                let dir = tempfile::tempdir().unwrap();
                let archive = plain_docker_archive(path, dir.path());
                attempt(Command::new("skopeo").args(["copy", "-q", &transport(&archive), &dest]))?;
            }
            other => {
                other?;
            }
        }
        Ok(Loaded { name: name.to_string() })
    }

    /// `docker run --rm IMAGE ARGS...`, stdin closed, with a time limit.
    pub fn run(&self, image: &str, args: &[&str]) -> Output {
        Command::new("timeout")
            .args(["60", "docker", "run", "--rm", "--network", "none", image])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

/// The single image of the OCI layout `layout` as a `docker save` archive
/// in `dir`, its layers decompressed (gzip or zstd, told by their magic).
fn plain_docker_archive(layout: &Path, dir: &Path) -> PathBuf {
    let blob = |digest: &str| layout.join("blobs/sha256").join(digest.trim_start_matches("sha256:"));
    let json = |p: PathBuf| -> serde_json::Value { serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap() };
    let index = json(layout.join("index.json"));
    let manifest = json(blob(index["manifests"][0]["digest"].as_str().unwrap()));
    let out = dir.join("image.tar");
    let mut tar = tar::Builder::new(std::fs::File::create(&out).unwrap());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, name, data).unwrap();
    };
    let config = manifest["config"]["digest"].as_str().unwrap();
    add("config.json", &std::fs::read(blob(config)).unwrap());
    let mut layers = Vec::new();
    for (i, l) in manifest["layers"].as_array().unwrap().iter().enumerate() {
        let raw = std::fs::read(blob(l["digest"].as_str().unwrap())).unwrap();
        let plain = if raw.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            zstd::decode_all(&raw[..]).unwrap()
        } else if raw.starts_with(&[0x1f, 0x8b]) {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&raw[..]), &mut v).unwrap();
            v
        } else {
            raw
        };
        let name = format!("layer{i}.tar");
        add(&name, &plain);
        layers.push(name);
    }
    let m = serde_json::json!([{"Config": "config.json", "RepoTags": [], "Layers": layers}]);
    add("manifest.json", m.to_string().as_bytes());
    tar.into_inner().unwrap();
    out
}

/// An image loaded into the engine, removed on drop.
pub struct Loaded {
    /// `repo:tag`.
    pub name: String,
}

impl Drop for Loaded {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rmi", "-f", &self.name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// How a test registry authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Anyone may pull and push.
    Anonymous,
    /// HTTP basic auth against `testdata/registry/htpasswd`.
    Htpasswd,
    /// Bearer tokens from a token service that checks [`USER`] and
    /// [`PASSWORD`].
    Token,
}

/// A running `docker-registry`, stopped (and its storage removed) on drop.
pub struct Registry {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    child: Child,
    dir: tempfile::TempDir,
    token: Option<TokenService>,
}

/// A free TCP port on 127.0.0.1.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Registry {
    /// Start a registry with `auth`; a skip when the tools are missing.
    pub fn start(test: &str, auth: Auth) -> Option<Registry> {
        for tool in ["docker-registry", "skopeo", "openssl"] {
            let found = if tool == "docker-registry" {
                Path::new("/usr/bin/docker-registry").exists()
            } else {
                have(tool)
            };
            if !found {
                return skip(test, &format!("{tool} is not installed"));
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let token = (auth == Auth::Token).then(|| TokenService::start(dir.path()));
        let auth_yaml = match (&token, auth) {
            (Some(t), _) => format!(
                "auth:\n  token:\n    realm: http://{}/token\n    service: dlcheck-registry\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
                t.addr,
                t.cert.display()
            ),
            (None, Auth::Htpasswd) => format!(
                "auth:\n  htpasswd:\n    realm: dlcheck-registry\n    path: {}/testdata/registry/htpasswd\n",
                env!("CARGO_MANIFEST_DIR")
            ),
            _ => String::new(),
        };
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}/storage\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n{auth_yaml}",
                dir.path().display()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new("/usr/bin/docker-registry")
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let registry = Registry {
            addr,
            child,
            dir,
            token,
        };
        registry.wait();
        Some(registry)
    }

    /// Wait until the registry answers `GET /v2/` (any status).
    fn wait(&self) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(15) {
            if let Ok(mut s) = TcpStream::connect(&self.addr) {
                let _ = write!(s, "GET /v2/ HTTP/1.0\r\n\r\n");
                let mut first = String::new();
                if BufReader::new(s).read_line(&mut first).is_ok() && first.starts_with("HTTP/") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let log = std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default();
        panic!("docker-registry on {} did not start: {log}", self.addr);
    }

    /// Copy the archive or layout at `path` into the registry as `name`
    /// (`repo:tag`), every platform of an index with `all`; returns the
    /// reference `127.0.0.1:PORT/repo:tag`.
    pub fn push(&self, path: &Path, name: &str, all: bool) -> String {
        self.try_push(path, name, all).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Registry::push`], or why skopeo (or the registry) refused it.
    pub fn try_push(&self, path: &Path, name: &str, all: bool) -> Result<String, String> {
        let dest = format!("{}/{name}", self.addr);
        let mut cmd = Command::new("skopeo");
        cmd.args(["copy", "-q", "--dest-tls-verify=false"]);
        if all {
            cmd.arg("--all");
        }
        if self.token.is_some() || self.authenticated() {
            cmd.args(["--dest-creds", &format!("{USER}:{PASSWORD}")]);
        }
        attempt(cmd.arg(transport(path)).arg(format!("docker://{dest}")))?;
        Ok(dest)
    }

    fn authenticated(&self) -> bool {
        std::fs::read_to_string(self.dir.path().join("config.yml")).is_ok_and(|c| c.contains("htpasswd"))
    }

    /// A Docker configuration directory (for `DOCKER_CONFIG`) whose
    /// `config.json` holds `auths` for this registry with `password`.
    pub fn docker_config(&self, password: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let auth = STANDARD.encode(format!("{USER}:{password}"));
        let config = serde_json::json!({"auths": {&self.addr: {"auth": auth}}});
        std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
        dir
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `iss` of the test tokens.
const ISSUER: &str = "dlcheck-token-issuer";

/// A token service (the Docker registry token protocol): `GET
/// /token?service=...&scope=repository:NAME:ACTIONS` with basic
/// credentials [`USER`]/[`PASSWORD`] answers `{"token": JWT}` granting the
/// scopes asked for; anything else is 401. JWTs are RS256, signed by
/// `openssl dgst -sha256 -sign` with a key whose self-signed certificate
/// is in the `x5c` header and in the registry's `rootcertbundle`.
struct TokenService {
    addr: String,
    cert: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TokenService {
    fn start(dir: &Path) -> TokenService {
        let (key, cert) = (dir.join("token.key"), dir.join("token.crt"));
        check(
            Command::new("openssl")
                .args([
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=dlcheck-token",
                ])
                .arg("-keyout")
                .arg(&key)
                .arg("-out")
                .arg(&cert),
        );
        let der = check(
            Command::new("openssl")
                .args(["x509", "-outform", "DER", "-in"])
                .arg(&cert),
        )
        .stdout;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, x5c) = (stop.clone(), STANDARD.encode(der));
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        answer(stream, &key, &x5c);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        TokenService {
            addr,
            cert,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for TokenService {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answer one token request.
fn answer(mut stream: TcpStream, key: &Path, x5c: &str) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request = String::new();
    let _ = reader.read_line(&mut request);
    let mut authorized = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some(v) = line
            .strip_prefix("Authorization: Basic ")
            .or_else(|| line.strip_prefix("authorization: Basic "))
        {
            authorized = STANDARD
                .decode(v.trim())
                .is_ok_and(|d| d == format!("{USER}:{PASSWORD}").as_bytes());
        }
    }
    let target = request.split_whitespace().nth(1).unwrap_or_default().to_string();
    let query = target.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let (status, body) = if authorized {
        let jwt = sign(key, x5c, &scopes(query));
        (
            "200 OK",
            serde_json::json!({"token": jwt, "access_token": jwt, "expires_in": 600}).to_string(),
        )
    } else {
        (
            "401 Unauthorized",
            r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}"#.to_string(),
        )
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// The `access` claims for the `scope` parameters of `query`.
fn scopes(query: &str) -> Vec<serde_json::Value> {
    query
        .split('&')
        .filter_map(|kv| kv.strip_prefix("scope="))
        .filter_map(|s| {
            let s = s.replace("%3A", ":").replace("%2F", "/").replace("%2C", ",");
            let mut parts = s.rsplitn(2, ':');
            let actions = parts.next()?.split(',').map(str::to_string).collect::<Vec<_>>();
            let (kind, name) = parts.next()?.split_once(':')?;
            Some(serde_json::json!({"type": kind, "name": name, "actions": actions}))
        })
        .collect()
}

/// An RS256 JWT for `access`, signed with openssl.
fn sign(key: &Path, x5c: &str, access: &[serde_json::Value]) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5c": [x5c]});
    let claims = serde_json::json!({
        "iss": ISSUER, "sub": USER, "aud": "dlcheck-registry",
        "exp": now + 600, "nbf": now - 60, "iat": now - 60, "jti": format!("{now}-{}", access.len()),
        "access": access,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(signing_input.as_bytes()).unwrap();
    let signature = child.wait_with_output().unwrap().stdout;
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}
