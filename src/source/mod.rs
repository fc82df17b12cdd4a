//! Where an image is: a path, stdin, the local Docker engine or a registry.
//!
//! Every source ends as a `docker save` archive or an OCI image layout on
//! this machine, which [`crate::imagefs::ImageFs::open`] reads like any
//! other: a path as it is, anything else written to a temporary file or
//! directory in `$TMPDIR` ([`Fetched`] removes it when dropped). Streams
//! are written as they arrive, never held whole in memory.
//!
//! | argument | source |
//! |---|---|
//! | an existing path | that file or directory (a compressed archive is inflated first) |
//! | `-` | an archive on stdin, plain, gzip or zstd |
//! | `docker:NAME[:TAG\|@DIGEST]` | the local Docker engine's export ([`engine`]) |
//! | `registry:REF` | an OCI distribution registry ([`registry`]) |
//! | `oci:DIR`, `docker-archive:FILE`, `oci-archive:FILE` | skopeo's names for a path read as an image |
//! | a reference with a tag, digest or registry host | the engine when it has it, else the registry (syft's order) |
//! | a bare name (`myapp`) | the engine when it has it, else a missing path (no network) |

mod auth;
pub mod engine;
pub mod registry;
pub mod spool;

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use spool::{Compression, compressed_tar};

use crate::error::Error;
use crate::run::{Options, Progress};

/// One command-line argument, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A path on this machine: a binary, a directory, an image archive or
    /// layout (today's detection).
    Path(PathBuf),
    /// `-`: an image archive on stdin.
    Stdin,
    /// `docker:NAME`: the local Docker engine.
    Engine(String),
    /// `registry:REF`: a registry.
    Registry(String),
    /// A reference that is not a path and names a tag, a digest or a
    /// registry host (`myapp:dev`, `ghcr.io/org/app`): the engine first,
    /// then the registry.
    Reference(String),
    /// A bare name that is not a path (`myapp`, `org/app`): the local engine
    /// only, never the network; without such an image it is a missing path.
    LocalName(String),
    /// `oci:DIR`, `docker-archive:FILE` or `oci-archive:FILE`: a path read
    /// as an image, whatever its name; `oci:DIR:REF` (skopeo's form) names
    /// one image of a layout by its `org.opencontainers.image.ref.name`.
    Image(PathBuf, Option<String>),
}

/// skopeo's transport names for image paths.
const PATH_SCHEMES: [&str; 3] = ["oci:", "docker-archive:", "oci-archive:"];

impl Source {
    /// Classify `arg`. An explicit scheme wins; then an existing path;
    /// then a valid image reference (see [`is_reference`]); else a path
    /// (reading it then says it does not exist).
    pub fn parse(arg: &Path) -> Source {
        if arg.as_os_str().as_bytes() == b"-" {
            return Source::Stdin;
        }
        let Some(text) = arg.to_str() else {
            return Source::Path(arg.to_path_buf());
        };
        if let Some(name) = text.strip_prefix("docker:") {
            return Source::Engine(name.to_string());
        }
        if let Some(r) = text.strip_prefix("registry:") {
            return Source::Registry(r.to_string());
        }
        if let Some(rest) = text.strip_prefix("oci:") {
            // `oci:DIR:REF`, unless the whole is a path that exists.
            return match rest.rsplit_once(':') {
                Some((dir, name)) if !name.is_empty() && std::fs::symlink_metadata(rest).is_err() => {
                    Source::Image(PathBuf::from(dir), Some(name.to_string()))
                }
                _ => Source::Image(PathBuf::from(rest), None),
            };
        }
        if let Some(path) = PATH_SCHEMES.iter().find_map(|s| text.strip_prefix(s)) {
            return Source::Image(PathBuf::from(path), None);
        }
        if std::fs::symlink_metadata(arg).is_err() && is_reference(text) {
            return if is_qualified(text) {
                Source::Reference(text.to_string())
            } else {
                Source::LocalName(text.to_string())
            };
        }
        Source::Path(arg.to_path_buf())
    }
}

/// Whether `text` is an image reference (`[HOST[:PORT]/]NAME[:TAG][@DIGEST]`,
/// the distribution project's grammar), and not written as a path (`/…`,
/// `./…`, `../…`).
pub fn is_reference(text: &str) -> bool {
    !text.starts_with(['/', '.']) && oci_client::Reference::try_from(text).is_ok()
}

/// Whether a reference names a tag, a digest or a registry host (its first
/// component has a `.` or `:`, or is `localhost`, as Docker decides).
fn is_qualified(text: &str) -> bool {
    let host = text.split_once('/').map(|(first, _)| first);
    text.contains(['@', ':']) || host.is_some_and(|h| h.contains('.') || h == "localhost")
}

/// When an existing path also reads as an image reference with a tag, a
/// digest or a registry host (`myapp:dev`), the path was read: a note
/// that says how to read the image instead.
pub fn ambiguity(arg: &Path) -> Option<String> {
    let text = arg.to_str()?;
    let marked = text.contains([':', '@']);
    (marked && std::fs::symlink_metadata(arg).is_ok() && is_reference(text)).then(|| {
        format!(
            "{text} is a path here and also an image reference: the path was read; for the image, pass docker:{text} (the local engine) or registry:{text}"
        )
    })
}

/// Where an image was read from (the JSON `image.source` object; absent
/// for a path read as it is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SourceInfo {
    /// `docker` (the local engine), `registry`, `stdin`, or `file` (a
    /// compressed archive, inflated to a temporary file).
    pub kind: SourceKind,
    /// The reference read, as the engine or registry resolved it
    /// (`docker.io/library/myapp:dev`), or `null`.
    pub reference: Option<String>,
    /// The engine's image ID, or the registry manifest's digest (of the
    /// index, for a multi-platform image), verified against the bytes.
    pub digest: Option<String>,
    /// `gzip` or `zstd` when the archive was compressed.
    pub compression: Option<Compression>,
    /// For a plain reference: why this source was read (`not in the local
    /// Docker engine`).
    pub note: Option<String>,
}

/// The kinds of [`SourceInfo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// The local Docker engine, through its API.
    Docker,
    /// An OCI distribution registry.
    Registry,
    /// Standard input.
    Stdin,
    /// A compressed archive file.
    File,
}

impl SourceInfo {
    fn new(kind: SourceKind) -> SourceInfo {
        SourceInfo {
            kind,
            reference: None,
            digest: None,
            compression: None,
            note: None,
        }
    }
}

/// What keeps a temporary copy alive: held for its `Drop`, which removes
/// the copy.
#[allow(dead_code)]
enum Guard {
    None,
    File(tempfile::NamedTempFile),
    Dir(tempfile::TempDir),
}

/// A source made local: the archive file or layout directory to open, and
/// where it came from. The temporary copy, if any, is removed on drop.
pub struct Fetched {
    /// The archive file or OCI layout directory.
    pub path: PathBuf,
    /// Where it came from; `None` for a path read as it is.
    pub info: Option<SourceInfo>,
    _guard: Guard,
}

impl Fetched {
    fn file(file: tempfile::NamedTempFile, info: SourceInfo) -> Fetched {
        Fetched {
            path: file.path().to_path_buf(),
            info: Some(info),
            _guard: Guard::File(file),
        }
    }

    fn dir(dir: tempfile::TempDir, info: SourceInfo) -> Fetched {
        Fetched {
            path: dir.path().to_path_buf(),
            info: Some(info),
            _guard: Guard::Dir(dir),
        }
    }
}

/// Make `source` local. A [`Source::Path`] or [`Source::Image`] is used in
/// place unless it is compressed.
///
/// Errors: [`Error::Unreachable`], [`Error::Unauthorized`],
/// [`Error::ImageNotFound`] (exit 3) for the engine and registries;
/// [`Error::Io`] when stdin or the temporary file fails;
/// [`Error::MalformedImage`] for a digest or size that does not match, or
/// compressed data that does not inflate.
pub fn fetch(source: &Source, opts: &Options, progress: &dyn Progress) -> Result<Fetched, Error> {
    match source {
        Source::Path(path) | Source::Image(path, _) => local(path, progress),
        Source::Stdin => {
            // A terminal would wait for a paste that never comes.
            if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                return Err(Error::Io(
                    "stdin is a terminal: pipe an image archive or a program in (docker save myapp | dlcheck -)".into(),
                ));
            }
            let (file, compression) = spool::spool(std::io::stdin().lock(), "stdin", None, progress)?;
            let mut info = SourceInfo::new(SourceKind::Stdin);
            info.compression = compression;
            Ok(Fetched::file(file, info))
        }
        Source::Engine(name) => engine::fetch(name, progress),
        Source::Registry(r) => registry::fetch(r, opts, progress),
        Source::Reference(r) => engine_then_registry(r, opts, progress),
        Source::LocalName(name) => engine::fetch(name, progress).map_err(|e| match e {
            Error::ImageNotFound(_) | Error::Unreachable(_) => Error::NotFound(PathBuf::from(name)),
            other => other,
        }),
    }
}

/// A path: used in place, or inflated to a temporary file when it is a
/// compressed archive.
fn local(path: &Path, progress: &dyn Progress) -> Result<Fetched, Error> {
    std::fs::metadata(path).map_err(|e| crate::input::io_error(path, e))?;
    let Some(compression) = compressed_tar(path) else {
        return Ok(Fetched {
            path: path.to_path_buf(),
            info: None,
            _guard: Guard::None,
        });
    };
    let file = std::fs::File::open(path).map_err(|e| crate::input::io_error(path, e))?;
    let total = file.metadata().ok().map(|m| m.len());
    let shown = path.display().to_string();
    let (spooled, _) = spool::spool(file, &shown, total, progress)?;
    let mut info = SourceInfo::new(SourceKind::File);
    info.compression = Some(compression);
    Ok(Fetched::file(spooled, info))
}

/// A plain reference: the local engine when it is reachable and has the
/// image, else the registry; the note says which was read and why.
fn engine_then_registry(r: &str, opts: &Options, progress: &dyn Progress) -> Result<Fetched, Error> {
    let engine_said = match engine::fetch(r, progress) {
        Ok(mut fetched) => {
            if let Some(info) = &mut fetched.info {
                info.note = Some("the local Docker engine has it (registry:REF reads the registry's)".into());
            }
            return Ok(fetched);
        }
        Err(Error::ImageNotFound(_)) => "not in the local Docker engine".to_string(),
        Err(Error::Unreachable(e)) => format!("the local Docker engine was not reachable ({e})"),
        Err(other) => return Err(other),
    };
    match registry::fetch(r, opts, progress) {
        Ok(mut fetched) => {
            if let Some(info) = &mut fetched.info {
                info.note = Some(engine_said);
            }
            Ok(fetched)
        }
        Err(e) => {
            let tried = format!("no such file, and {engine_said}; from its registry: {e}");
            Err(match e {
                Error::Unauthorized(_) => Error::Unauthorized(tried),
                Error::Unreachable(_) => Error::Unreachable(tried),
                Error::ImageNotFound(_) => Error::ImageNotFound(tried),
                other => other,
            })
        }
    }
}

/// A current-thread async runtime for one source's requests.
fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Io(format!("cannot start the network runtime: {e}")))
}

/// An error and its causes, joined by `: ` (what reqwest and hyper say is
/// in the chain).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_classified() {
        let p = |s: &str| Source::parse(Path::new(s));
        assert_eq!(p("-"), Source::Stdin);
        assert_eq!(p("docker:myapp:dev"), Source::Engine("myapp:dev".into()));
        assert_eq!(
            p("registry:localhost:5000/app"),
            Source::Registry("localhost:5000/app".into())
        );
        assert_eq!(p("oci:some/dir"), Source::Image("some/dir".into(), None));
        assert_eq!(
            p("oci:some/dir:v2"),
            Source::Image("some/dir".into(), Some("v2".into()))
        );
        assert_eq!(p("oci-archive:a.tar"), Source::Image("a.tar".into(), None));
        assert_eq!(p("docker-archive:a.tar"), Source::Image("a.tar".into(), None));
        assert_eq!(
            p("ghcr.io/org/app:1.4"),
            Source::Reference("ghcr.io/org/app:1.4".into())
        );
        assert_eq!(p("myapp"), Source::LocalName("myapp".into()));
        assert_eq!(p("testdata/missing"), Source::LocalName("testdata/missing".into()));
        assert_eq!(p("myapp:dev"), Source::Reference("myapp:dev".into()));
        assert_eq!(p("localhost/app"), Source::Reference("localhost/app".into()));
        assert_eq!(p("/no/such/file"), Source::Path("/no/such/file".into()));
        assert_eq!(p("./myapp"), Source::Path("./myapp".into()));
        assert_eq!(p("Not A Ref"), Source::Path("Not A Ref".into()));
        // An existing path is a path, even when it reads as a reference.
        assert_eq!(p("Cargo.toml"), Source::Path("Cargo.toml".into()));
        assert_eq!(p("src"), Source::Path("src".into()));
    }

    #[test]
    fn compression_by_magic() {
        assert_eq!(Compression::detect(&[0x1f, 0x8b, 8]), Some(Compression::Gzip));
        assert_eq!(Compression::detect(&[0x28, 0xb5, 0x2f, 0xfd]), Some(Compression::Zstd));
        assert_eq!(Compression::detect(b"ustar"), None);
    }
}
