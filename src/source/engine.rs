//! `docker:NAME`: an image of the local Docker engine, read through the
//! engine API (bollard) on its socket: `DOCKER_HOST` when set
//! (`unix:///path`, `tcp://host:port`), else `unix:///var/run/docker.sock`.
//! The API version is negotiated (`GET /version`), so an engine of API
//! 1.41 (Docker 20.10) is spoken to in 1.41. The image is inspected
//! (`GET /images/NAME/json`), then its export (`GET /images/NAME/get`, a
//! `docker save` archive) is written to a temporary file as it streams.
//! No `docker` CLI is needed.

use bollard::Docker;
use bollard::errors::Error as EngineError;

use super::spool::{self, Expect};
use super::{Fetched, SourceInfo, SourceKind, chain};
use crate::error::Error;
use crate::run::Progress;

/// Where the engine is when `DOCKER_HOST` is not set.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// The engine address in use: `DOCKER_HOST`, else [`DEFAULT_HOST`].
pub fn host() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| DEFAULT_HOST.to_string())
}

/// Export `name` from the local engine to a temporary `docker save`
/// archive.
///
/// Errors: [`Error::Unreachable`] (no engine, socket not permitted, the
/// engine failed), [`Error::ImageNotFound`] (the engine has no such image).
pub fn fetch(name: &str, progress: &dyn Progress) -> Result<Fetched, Error> {
    if name.is_empty() {
        return Err(Error::ImageNotFound(
            "docker: names no image: write docker:NAME[:TAG] or docker:NAME@sha256:DIGEST".into(),
        ));
    }
    super::runtime()?.block_on(export(name, progress))
}

async fn export(name: &str, progress: &dyn Progress) -> Result<Fetched, Error> {
    let host = host();
    let docker = Docker::connect_with_defaults().map_err(|e| unreachable(&host, &e))?;
    let docker = docker.negotiate_version().await.map_err(|e| unreachable(&host, &e))?;
    let inspect = docker.inspect_image(name).await.map_err(|e| match e {
        EngineError::DockerResponseServerError { status_code: 404, .. } => Error::ImageNotFound(format!(
            "no image {name} in the Docker engine at {host}: build or pull it first (docker pull {name}), or read it from its registry with registry:{name}"
        )),
        e => unreachable(&host, &e),
    })?;
    let mut file = spool::temp_file()?;
    let what = format!("docker:{name}");
    // The export is an uncompressed tar of about the image's size; its
    // exact size and digest are not known in advance (the archive's own
    // digests are checked when it is read).
    let expect = Expect {
        size: None,
        digest: None,
        estimate: inspect.size.and_then(|s| u64::try_from(s).ok()),
    };
    let stream = Box::pin(docker.export_image(name));
    spool::stream_to(stream, file.as_file_mut(), &what, expect, progress, |e| {
        unreachable(&host, &e)
    })
    .await?;
    let mut info = SourceInfo::new(SourceKind::Docker);
    info.reference = inspect
        .repo_tags
        .as_ref()
        .and_then(|tags| {
            tags.iter()
                .find(|t| t.as_str() == name || t.starts_with(&format!("{name}:")))
        })
        .cloned()
        .or_else(|| Some(name.to_string()));
    info.digest = inspect.id;
    Ok(Fetched::file(file, info))
}

/// An engine that cannot be reached or failed, with what to do.
fn unreachable(host: &str, e: &EngineError) -> Error {
    let why = chain(e);
    let todo = if let EngineError::SocketNotFoundError(path) = e {
        format!(
            "no socket at {path}: start the engine (systemctl start docker, or dockerd), or point DOCKER_HOST at a running one"
        )
    } else if why.contains("Permission denied") || why.contains("permission denied") {
        format!("{why}: add your user to the docker group (then log in again) or run dlcheck as root")
    } else if why.contains("Connection refused") || why.contains("No such file") {
        format!("{why}: is dockerd running? start it, or point DOCKER_HOST at a running engine")
    } else if let EngineError::DockerResponseServerError { status_code, message } = e {
        format!("the engine answered HTTP {status_code}: {message}")
    } else {
        format!("{why}: check that the engine runs and DOCKER_HOST names it")
    };
    Error::Unreachable(format!("cannot read from the Docker engine at {host}: {todo}"))
}
