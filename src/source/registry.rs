//! `registry:REF`: an image pulled from an OCI distribution registry
//! (oci-client) into a temporary OCI image layout.
//!
//! What is fetched: the manifest REF names; for an index (multi-platform),
//! every manifest it lists (small JSON documents; the layout keeps them so
//! the image's platforms can be listed) and then, for the one platform
//! [`crate::imagefs::pick_platform`] chooses, its config and layers: never
//! another platform's layers. Every blob is checked against the digest
//! and size of its descriptor as it streams to disk; a manifest named by
//! digest is checked against that digest.
//!
//! Authentication, as Docker does it: the registry's `/v2/` challenge,
//! then anonymous or basic credentials ([`super::auth`]), exchanged for a
//! bearer token when the registry uses a token service. Plain HTTP is used
//! for `localhost`, `127.0.0.0/8`, `::1` and the hosts of
//! `--insecure-registry`; HTTPS (the system's CA certificates) otherwise.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::manifest::{self, OciDescriptor};
use oci_client::{Client, Reference, RegistryOperation};
use serde_json::{Value, json};

use super::auth::{self, Credential};
use super::spool::{self, Expect};
use super::{Fetched, SourceInfo, SourceKind, chain};
use crate::error::Error;
use crate::imagefs;
use crate::run::{Options, Progress};

/// The media types asked for: OCI and Docker v2 manifests and indexes.
const MANIFEST_TYPES: [&str; 4] = [
    manifest::OCI_IMAGE_INDEX_MEDIA_TYPE,
    manifest::OCI_IMAGE_MEDIA_TYPE,
    manifest::IMAGE_MANIFEST_LIST_MEDIA_TYPE,
    manifest::IMAGE_MANIFEST_MEDIA_TYPE,
];

/// The most manifests followed from one index (imagefs reads them all).
const MAX_MANIFESTS: usize = 64;

/// The largest manifest or config accepted, in bytes.
const MAX_METADATA: u64 = 16 << 20;

/// Pull `text` (`[HOST[:PORT]/]NAME[:TAG][@DIGEST]`) for `opts.platform`.
///
/// Errors: [`Error::ImageNotFound`] (not a reference; no such repository,
/// tag or manifest; no image for the platform), [`Error::Unauthorized`]
/// (401/403, naming the credential tried), [`Error::Unreachable`]
/// (network, TLS, the registry failed), [`Error::MalformedImage`] (a
/// digest or size that does not match).
pub fn fetch(text: &str, opts: &Options, progress: &dyn Progress) -> Result<Fetched, Error> {
    let reference: Reference = text.parse().map_err(|e| {
        Error::ImageNotFound(format!(
            "{text} is not an image reference ({e}): write [HOST[:PORT]/]NAME[:TAG] or NAME@sha256:DIGEST"
        ))
    })?;
    // rustls needs a process-wide crypto provider; an error means one is set.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let puller = Puller::new(reference, opts, progress)?;
    super::runtime()?.block_on(puller.pull(opts))
}

/// Whether `registry` (`host[:port]`) is spoken to in plain HTTP.
pub fn plain_http(registry: &str, insecure: &[String]) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => registry.split(':').next().unwrap_or_default(),
    };
    host == "localhost"
        || host == "::1"
        || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || insecure.iter().any(|i| i == registry || i == host)
}

struct Puller<'a> {
    client: Client,
    reference: Reference,
    credential: Credential,
    progress: &'a dyn Progress,
}

impl<'a> Puller<'a> {
    /// Errors: the HTTP client cannot be made (no CA certificates on this
    /// machine: reqwest would panic).
    fn new(reference: Reference, opts: &Options, progress: &'a dyn Progress) -> Result<Puller<'a>, Error> {
        let registry = reference.resolve_registry().to_string();
        let protocol = if plain_http(&registry, &opts.insecure_registries) {
            ClientProtocol::HttpsExcept(vec![registry.clone()])
        } else {
            ClientProtocol::Https
        };
        // Client::try_from, not Client::new: new falls back to a default
        // client that panics when the machine has no CA certificates.
        let client = Client::try_from(ClientConfig {
            protocol,
            platform_resolver: None,
            connect_timeout: Some(Duration::from_secs(30)),
            read_timeout: Some(Duration::from_secs(300)),
            ..ClientConfig::default()
        })
        .map_err(|e| {
            Error::Unreachable(format!(
                "cannot set up a client for the registry {registry}: {e}: install the CA certificates (ca-certificates) or point SSL_CERT_FILE at a bundle; or read the image from the Docker engine (docker:NAME) or an archive"
            ))
        })?;
        let credential = auth::for_registry(reference.registry());
        Ok(Puller {
            client,
            reference,
            credential,
            progress,
        })
    }

    async fn pull(self, opts: &Options) -> Result<Fetched, Error> {
        let r = &self.reference;
        self.client
            .auth(r, &self.credential.auth, RegistryOperation::Pull)
            .await
            .map_err(|e| self.error(e))?;
        let dir = tempfile::Builder::new()
            .prefix("dlcheck-")
            .tempdir()
            .map_err(|e| Error::Io(format!("cannot make a temporary directory: {e}: set TMPDIR")))?;
        let blobs = dir.path().join("blobs/sha256");
        std::fs::create_dir_all(&blobs).map_err(|e| write_error(&blobs, e))?;
        let (top, digest) = self.manifest(r, dir.path()).await?;
        let want = opts.platform.clone().unwrap_or_else(imagefs::host_platform);
        let chosen = match top["manifests"].as_array() {
            Some(_) => self.platforms(&top, &want, dir.path()).await?,
            None => top.clone(),
        };
        self.blob(&chosen["config"], "config", dir.path()).await?;
        let layers = chosen["layers"].as_array().cloned().unwrap_or_default();
        for (i, layer) in layers.iter().enumerate() {
            let what = format!("layer {}/{} of {}", i + 1, layers.len(), r.whole());
            self.blob(layer, &what, dir.path()).await?;
        }
        write_layout(dir.path(), &top, &digest, &r.whole())?;
        let mut info = SourceInfo::new(SourceKind::Registry);
        info.reference = Some(r.whole());
        info.digest = Some(digest);
        Ok(Fetched::dir(dir, info))
    }

    /// The manifest `r` names, written into the layout as it came and
    /// parsed; its digest checked when `r` has one.
    async fn manifest(&self, r: &Reference, dir: &Path) -> Result<(Value, String), Error> {
        let (bytes, _) = self
            .client
            .pull_manifest_raw(r, &self.credential.auth, &MANIFEST_TYPES)
            .await
            .map_err(|e| self.error(e))?;
        let actual = spool::sha256(&bytes);
        if let Some(want) = r.digest()
            && want != actual
        {
            return Err(Error::MalformedImage(format!(
                "the manifest of {} has digest {actual}",
                r.whole()
            )));
        }
        if bytes.len() as u64 > MAX_METADATA {
            return Err(Error::MalformedImage(format!(
                "the manifest of {} is over {MAX_METADATA} bytes",
                r.whole()
            )));
        }
        let value = serde_json::from_slice(&bytes)
            .map_err(|e| Error::MalformedImage(format!("the manifest of {}: {e}", r.whole())))?;
        write_blob(dir, &actual, &bytes)?;
        Ok((value, actual))
    }

    /// Fetch every manifest of the index `top` (nested indexes followed)
    /// into the layout; return the one for `want`.
    async fn platforms(&self, top: &Value, want: &str, dir: &Path) -> Result<Value, Error> {
        let mut pending: Vec<Value> = top["manifests"].as_array().cloned().unwrap_or_default();
        pending.reverse();
        let mut offered: Vec<(Option<String>, Value)> = Vec::new();
        let mut fetched = 0;
        while let Some(d) = pending.pop() {
            fetched += 1;
            if fetched > MAX_MANIFESTS {
                return Err(Error::MalformedImage(format!(
                    "the index lists over {MAX_MANIFESTS} manifests"
                )));
            }
            let digest = descriptor_digest(&d)?;
            let (child, _) = self.manifest(&self.reference.clone_with_digest(digest), dir).await?;
            match child["manifests"].as_array() {
                Some(nested) => pending.extend(nested.iter().rev().cloned()),
                None => offered.push((platform(&d["platform"]), child)),
            }
        }
        let names: Vec<Option<String>> = offered.iter().map(|(p, _)| p.clone()).collect();
        let Some(i) = imagefs::pick_platform(&names, want) else {
            let listed: Vec<String> = names.into_iter().flatten().collect();
            return Err(Error::ImageNotFound(format!(
                "{} has no image for {want}; it has {}: pass --platform",
                self.reference.whole(),
                listed.join(", ")
            )));
        };
        Ok(offered.swap_remove(i).1)
    }

    /// Stream the blob `descriptor` names into the layout, checking its
    /// size and digest.
    async fn blob(&self, descriptor: &Value, what: &str, dir: &Path) -> Result<(), Error> {
        let digest = descriptor_digest(descriptor)?;
        let size = descriptor["size"].as_u64();
        let path = blob_path(dir, &digest);
        let mut file = std::fs::File::create(&path).map_err(|e| write_error(&path, e))?;
        let oci = OciDescriptor {
            digest: digest.clone(),
            size: size.and_then(|s| i64::try_from(s).ok()).unwrap_or_default(),
            media_type: descriptor["mediaType"].as_str().unwrap_or_default().to_string(),
            ..OciDescriptor::default()
        };
        let stream = self
            .client
            .pull_blob_stream(&self.reference, &oci)
            .await
            .map_err(|e| self.error(e))?;
        let expect = Expect {
            size,
            digest: Some(&digest),
            estimate: None,
        };
        let io = |e: std::io::Error| Error::Unreachable(format!("downloading {what}: {e}"));
        spool::stream_to(stream, &mut file, what, expect, self.progress, io).await?;
        Ok(())
    }

    /// A registry error as dlcheck's, with what to do.
    fn error(&self, e: OciDistributionError) -> Error {
        let r = self.reference.whole();
        let registry = self.reference.registry();
        let tried = &self.credential.tried;
        let login = format!("docker login {registry} (dlcheck reads its credentials from the Docker configuration)");
        let denied =
            |code: u16| Error::Unauthorized(format!("{registry} refused {tried} (HTTP {code}) for {r}: {login}"));
        match e {
            OciDistributionError::UnauthorizedError { .. } => denied(401),
            OciDistributionError::AuthenticationFailure(reason) => Error::Unauthorized(format!(
                "the token service of {registry} refused {tried}: {}: {login}",
                reason.trim()
            )),
            OciDistributionError::RegistryError { envelope, .. } => {
                let code = envelope.errors.first().map(|e| &e.code);
                let said: Vec<String> = envelope.errors.iter().map(|e| e.message.clone()).collect();
                match code {
                    Some(OciErrorCode::ManifestUnknown) => Error::ImageNotFound(format!(
                        "{registry} has no manifest {r} ({}): check the tag (skopeo list-tags docker://{})",
                        said.join("; "),
                        self.reference.registry().to_owned() + "/" + self.reference.repository()
                    )),
                    Some(OciErrorCode::NameUnknown) => Error::ImageNotFound(format!(
                        "{registry} has no repository {}: check the name",
                        self.reference.repository()
                    )),
                    Some(OciErrorCode::Unauthorized) => denied(401),
                    Some(OciErrorCode::Denied) => denied(403),
                    _ => Error::Unreachable(format!("{registry} failed for {r}: {}", said.join("; "))),
                }
            }
            OciDistributionError::ServerError { code: 404, .. } => {
                Error::ImageNotFound(format!("{registry} has no {r} (HTTP 404): check the name and tag"))
            }
            OciDistributionError::ServerError {
                code: c @ (401 | 403), ..
            } => denied(c),
            OciDistributionError::DigestError(d) => Error::MalformedImage(format!("{r}: {d}")),
            OciDistributionError::RequestError(e) => self.network(&e),
            other => Error::Unreachable(format!("{registry} failed for {r}: {}", chain(&other))),
        }
    }

    /// A request that did not get an answer.
    fn network(&self, e: &reqwest::Error) -> Error {
        let registry = self.reference.registry();
        let why = chain(e);
        let todo = if why.contains("certificate") || why.contains("tls") || why.contains("TLS") {
            format!("the TLS connection failed: if {registry} serves plain HTTP, pass --insecure-registry {registry}")
        } else if e.is_timeout() {
            "no answer in time: check the network".to_string()
        } else {
            format!("check the name {registry} and the network")
        };
        Error::Unreachable(format!("cannot reach the registry {registry}: {why}: {todo}"))
    }
}

/// `os/architecture[/variant]` of a descriptor's `platform`.
fn platform(p: &Value) -> Option<String> {
    let (os, arch) = (p["os"].as_str()?, p["architecture"].as_str()?);
    Some(match p["variant"].as_str() {
        Some(v) => format!("{os}/{arch}/{v}"),
        None => format!("{os}/{arch}"),
    })
}

/// A descriptor's `sha256:<hex>` digest (other algorithms are refused).
fn descriptor_digest(d: &Value) -> Result<String, Error> {
    let digest = d["digest"].as_str().unwrap_or_default();
    match digest.strip_prefix("sha256:") {
        Some(hex) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => Ok(digest.to_string()),
        _ => Err(Error::MalformedImage(format!("unsupported or bad digest {digest:?}"))),
    }
}

fn blob_path(dir: &Path, digest: &str) -> std::path::PathBuf {
    dir.join("blobs/sha256").join(digest.trim_start_matches("sha256:"))
}

fn write_error(path: &Path, e: std::io::Error) -> Error {
    Error::Io(format!(
        "cannot write {}: {e}: set TMPDIR to a writable directory with room for the image",
        path.display()
    ))
}

fn write_blob(dir: &Path, digest: &str, bytes: &[u8]) -> Result<(), Error> {
    let path = blob_path(dir, digest);
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| write_error(&path, e))
}

/// `oci-layout` and `index.json`, pointing at the manifest `top`.
fn write_layout(dir: &Path, top: &Value, digest: &str, reference: &str) -> Result<(), Error> {
    let size = std::fs::metadata(blob_path(dir, digest)).map(|m| m.len()).unwrap_or(0);
    let media_type = top["mediaType"].as_str().unwrap_or(manifest::OCI_IMAGE_MEDIA_TYPE);
    let index = json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": media_type,
            "digest": digest,
            "size": size,
            "annotations": {"org.opencontainers.image.ref.name": reference},
        }],
    });
    let write = |name: &str, v: &Value| {
        let path = dir.join(name);
        std::fs::write(&path, v.to_string()).map_err(|e| write_error(&path, e))
    };
    write("oci-layout", &json!({"imageLayoutVersion": "1.0.0"}))?;
    write("index.json", &index)
}
