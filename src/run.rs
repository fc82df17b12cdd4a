//! The main flow: a [`Request`] (paths and options) in, an [`Outcome`]
//! (reports, the set's summary, the files skipped, the exit status) out.
//!
//! ```text
//! path ─ input::sniff ─┬─ image archive/layout ─ imagefs ─ replay ────────────┐
//!                      ├─ directory (-r) ─ input::scan ─┐                     │
//!                      └─ file ─ input::load ───────────┴─ binary::Binary::read│
//!                                                          │                  │
//!        libraries of the set (loader::Shipped) ───────────┤                  │
//!                                                          ▼                  │
//!                       verdict::judge_binary (catalog + loader) ─ Report ◄───┘
//!                                                          │
//!                                     verdict::set::summarize ─ Outcome ─ render
//! ```

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::binary::Binary;
use crate::catalog::ImageRef;
use crate::error::Error;
use crate::imagefs::{ImageFs, Limits};
use crate::input::{self, Format, scan};
use crate::report::{ImageReport, Report};
use crate::source::{self, Source};
use crate::verdict::set::{Summary, summarize};
use crate::verdict::warnings::{Warning, WarningKind};
use crate::verdict::{self, ShippedFiles};
use crate::{go, replay, shipped, text};

/// How to judge.
#[derive(Debug, Clone)]
pub struct Options {
    /// The generation to recommend from first: `debian11`, `debian12` or
    /// `debian13`.
    pub distro: String,
    /// `distro` was asked for (`--distro`), not a default: a container
    /// image's program is otherwise judged against the image's own
    /// generation.
    pub distro_given: bool,
    /// Judge for this platform (`linux/amd64`, `linux/arm64`) instead of
    /// the binary's own.
    pub platform: Option<String>,
    /// Check against this one image only (`--image`).
    pub image: Option<ImageRef>,
    /// For a container image or root file system: check every ELF file.
    pub all: bool,
    /// Registries (`host` or `host:port`) spoken to in plain HTTP, besides
    /// localhost (`--insecure-registry`).
    pub insecure_registries: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            distro: "debian11".to_string(),
            distro_given: false,
            platform: None,
            image: None,
            all: false,
            insecure_registries: Vec::new(),
        }
    }
}

/// What to judge, and how.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Binaries, directories (with `recursive`), container images; or,
    /// with `root`, programs inside the root.
    pub paths: Vec<PathBuf>,
    /// How to judge.
    pub options: Options,
    /// Scan directories.
    pub recursive: bool,
    /// In a scan, follow symbolic links.
    pub follow: bool,
    /// Keep the list of files a scan skipped.
    pub list_skipped: bool,
    /// Judge the paths as programs inside this root file system.
    pub root: Option<PathBuf>,
    /// `--dockerfile FILE`: check this Dockerfile, joined with the program
    /// or built image in `paths` (at most one), or with `root`.
    pub dockerfile: Option<PathBuf>,
    /// `--target`, `--build-arg` and the context, for Dockerfiles.
    pub dockerfile_settings: crate::dockerfile::Settings,
}

/// What came of a request.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// One report per input, in the order given (a scan's in path order).
    pub reports: Vec<Report>,
    /// With several inputs or a scan: the one image for the set.
    pub summary: Option<Summary>,
    /// Files a scan skipped (kept when asked).
    pub skipped: Vec<String>,
}

impl Outcome {
    /// The process exit status: the highest of the reports' (see
    /// [`Report::exit_code`]), 0 when there are none.
    pub fn exit_code(&self) -> u8 {
        self.reports.iter().map(Report::exit_code).max().unwrap_or(0)
    }
}

/// One input read, before it is judged: judging a binary waits until the
/// libraries shipped beside it are known.
pub enum Read {
    /// An ELF file, read.
    Binary {
        /// The path as given.
        path: String,
        /// What was read.
        binary: Box<Binary>,
    },
    /// An input that is already decided: an image, or a failure.
    Done(Report),
}

impl Read {
    /// The path as given.
    pub fn path(&self) -> &str {
        match self {
            Read::Binary { path, .. } => path,
            Read::Done(r) => r.path(),
        }
    }
}

/// What a run reports while it works, from any thread; every method does
/// nothing unless implemented. A closure `Fn(usize)` receives the file
/// counts of a scan.
pub trait Progress: Sync {
    /// A directory scan has read `files` files so far.
    fn files(&self, files: usize) {
        let _ = files;
    }
    /// `done` bytes of `what` (`stdin`, `docker:myapp export`, a layer)
    /// have been read or downloaded, of `total` when known.
    fn bytes(&self, what: &str, done: u64, total: Option<u64>) {
        let _ = (what, done, total);
    }
    /// The transfer last reported by [`Progress::bytes`] is over.
    fn done(&self) {}
}

impl<F: Fn(usize) + Sync> Progress for F {
    fn files(&self, files: usize) {
        self(files)
    }
}

/// A path as text, losslessly (see [`crate::text`]).
pub fn shown(path: &Path) -> String {
    text::from_bytes(std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()))
}

/// Run a request. `progress` is called with the number of files a scan has
/// done, from any thread.
pub fn run(request: &Request, progress: &dyn Progress) -> Outcome {
    let opts = &request.options;
    let mut items: Vec<Read> = Vec::new();
    let mut outcome = Outcome::default();
    let mut skipped = 0;
    if let Some(file) = &request.dockerfile {
        outcome.reports = vec![dockerfile_joined(file, request, progress)];
        return outcome;
    }
    if let Some(root) = &request.root {
        let inside: Vec<String> = request.paths.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        items.extend(inspect_root(root, &inside, opts).into_iter().map(Read::Done));
    }
    for path in request.paths.iter().filter(|_| request.root.is_none()) {
        let source = Source::parse(path);
        if !matches!(source, Source::Path(_)) || source::compressed_tar(path).is_some() {
            items.push(inspect_source(path, &source, opts, progress));
        } else if input::sniff::path(path) == Some(Format::Image) {
            items.push(Read::Done(inspect_image(path, opts)));
        } else if let Some(text) = dockerfile_text(path) {
            items.push(Read::Done(check_dockerfile(
                path,
                &text,
                &request.dockerfile_settings,
                None,
            )));
        } else if request.recursive && path.is_dir() {
            let files = |n: usize| progress.files(n);
            let found = scan::scan(path, request.follow, request.list_skipped, opts, &files);
            items.extend(found.items);
            outcome.skipped.extend(found.skipped);
            skipped += found.skipped_count;
        } else {
            items.push(read_path(path, opts));
        }
    }
    let shipped = shipped::libraries(&items);
    outcome.reports = items.into_par_iter().map(|item| judge(item, opts, &shipped)).collect();
    for path in request.paths.iter().filter(|_| request.root.is_none()) {
        if let Some(note) = source::ambiguity(path) {
            note_ambiguity(&mut outcome.reports, &shown(path), note);
        }
    }
    // A set summary is about binaries; images carry their own verdicts.
    let binaries = outcome.reports.iter().any(|r| !matches!(r, Report::Image(_)));
    if binaries && (request.recursive || request.paths.len() > 1) {
        outcome.summary = Some(summarize(&outcome.reports, skipped, &opts.distro));
    }
    outcome
}

/// The text of `path` when it is a Dockerfile (by its name or its first
/// instruction) and not a program or image.
fn dockerfile_text(path: &Path) -> Option<String> {
    if path.is_dir() || matches!(input::sniff::path(path), Some(Format::Elf | Format::Image)) {
        return None;
    }
    let bytes = input::load(path).ok()?;
    if !matches!(input::sniff::detect(&bytes), Format::Unknown) {
        return None;
    }
    let head = &bytes[..bytes.len().min(input::sniff::HEAD)];
    crate::dockerfile::is_dockerfile(path, head).then(|| String::from_utf8_lossy(&bytes).into_owned())
}

/// Check a Dockerfile's text, joined with what was given with it.
pub fn check_dockerfile(
    path: &Path,
    text: &str,
    settings: &crate::dockerfile::Settings,
    joined: Option<crate::dockerfile::Joined>,
) -> Report {
    let shown = shown(path);
    match crate::dockerfile::check(path, text, settings, joined) {
        Ok(check) => Report::Dockerfile(Box::new(crate::report::DockerfileReport { path: shown, check })),
        Err(e) => Report::failed(
            shown,
            Format::Dockerfile,
            &Error::MalformedDockerfile(format!("line {}, column {}: {}", e.line, e.column, e.message)),
        ),
    }
}

/// `--dockerfile FILE [PATH]` (or with `--root`): the Dockerfile checked,
/// joined with the program or image given.
fn dockerfile_joined(file: &Path, request: &Request, progress: &dyn Progress) -> Report {
    use crate::dockerfile::Joined;
    let opts = &request.options;
    let settings = &request.dockerfile_settings;
    let text = match input::load(file) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => return Report::failed(shown(file), Format::Dockerfile, &e),
    };
    let joined = if let Some(root) = &request.root {
        // The command the Dockerfile gives, started inside the root.
        let Report::Dockerfile(first) = check_dockerfile(file, &text, settings, None) else {
            return check_dockerfile(file, &text, settings, None);
        };
        Some(Joined::Report(inspect_root_as(root, &first.check, opts)))
    } else {
        request.paths.first().map(|path| {
            let source = Source::parse(path);
            let image = !matches!(source, Source::Path(_))
                || source::compressed_tar(path).is_some()
                || input::sniff::path(path) == Some(Format::Image);
            match (image, input::load(path)) {
                (true, _) => match inspect_source(path, &source, opts, progress) {
                    Read::Done(r) => Joined::Report(r),
                    Read::Binary { path, binary } => {
                        Joined::Report(judge(Read::Binary { path, binary }, opts, &ShippedFiles::new()))
                    }
                },
                (false, Ok(bytes)) => Joined::Binary(shown(path), bytes.to_vec()),
                (false, Err(e)) => Joined::Report(Report::failed(shown(path), Format::Unknown, &e)),
            }
        })
    };
    check_dockerfile(file, &text, settings, joined)
}

/// Start the command a Dockerfile gives (with its user, working directory
/// and environment) inside the root file system `root`.
fn inspect_root_as(root: &Path, check: &crate::dockerfile::Check, opts: &Options) -> Report {
    let shown_root = shown(root);
    let mut image = match ImageFs::root(root, Limits::default()) {
        Ok(i) => i,
        Err(e) => return Report::failed(shown_root, Format::Image, &Error::MalformedImage(e.0)),
    };
    image.config.cmd = check.command.clone();
    image.config.user = check.user.clone();
    image.config.working_dir = check.workdir.clone();
    image.config.env = check.env.clone();
    let start = replay::start(&image, opts);
    Report::Image(Box::new(ImageReport {
        path: shown_root,
        start,
    }))
}

/// Add `note` (a path that also reads as an image reference) to the
/// warnings of the report of `path`.
fn note_ambiguity(reports: &mut [Report], path: &str, note: String) {
    match reports.iter_mut().find(|r| r.path() == path) {
        Some(Report::Binary(b)) => b.warnings.push(Warning::new(WarningKind::AmbiguousReference, note)),
        Some(Report::Image(i)) => i.start.warnings.push(note),
        _ => {}
    }
}

/// Judge what was read.
fn judge(item: Read, opts: &Options, shipped: &ShippedFiles) -> Report {
    match item {
        Read::Binary { path, binary } => Report::Binary(Box::new(verdict::judge_binary(path, *binary, opts, shipped))),
        Read::Done(r) => r,
    }
}

/// Read `path` (shown as given). Never fails: an unreadable path gives a
/// failure report that says why.
pub fn read_path(path: &Path, opts: &Options) -> Read {
    let shown = shown(path);
    match input::load(path) {
        Ok(bytes) => match read_bytes(&bytes, opts) {
            Read::Binary { binary, .. } => Read::Binary { path: shown, binary },
            Read::Done(r) => Read::Done(r.with_path(shown)),
        },
        Err(e) => Read::Done(Report::failed(shown, Format::Unknown, &e)),
    }
}

/// Read a file's bytes: an ELF file is read for judging; anything else is
/// a failure that says what it is (with the Go facts of a Go program built
/// for macOS or Windows). The path is empty.
pub fn read_bytes(bytes: &[u8], opts: &Options) -> Read {
    let format = input::sniff::detect(bytes);
    let error = match format {
        Format::Elf => match Binary::read(bytes) {
            Ok(binary) => {
                return Read::Binary {
                    path: String::new(),
                    binary: Box::new(binary),
                };
            }
            Err(e) => e,
        },
        Format::Empty => Error::Empty,
        Format::MachO => Error::MachO,
        Format::Pe => Error::Pe,
        Format::Script => {
            let sb = input::sniff::shebang(bytes);
            Error::Script {
                interpreter: sb.as_ref().map(|s| s.command.clone()).unwrap_or_default(),
                crlf: sb.is_some_and(|s| s.crlf),
            }
        }
        Format::Unknown | Format::Image | Format::Dockerfile => {
            Error::UnknownFormat(input::sniff::describe_unknown(bytes))
        }
    };
    let Report::Failure(mut failure) = Report::failed(String::new(), format, &error) else {
        unreachable!("Report::failed makes a failure")
    };
    failure.distro = opts.distro.clone();
    failure.go = match format {
        Format::MachO => go::macho_input(bytes).and_then(|i| go::analyze(&i)),
        Format::Pe => go::pe_input(bytes).and_then(|i| go::analyze(&i)),
        _ => None,
    }
    .map(Box::new);
    Read::Done(Report::Failure(failure))
}

/// Read an image from where `source` says (stdin, the Docker engine, a
/// registry, a compressed archive, an explicit `oci:`/`docker-archive:`/
/// `oci-archive:` path), through a temporary local copy (see
/// [`crate::source`]), and judge it. Stdin that holds a program rather than
/// an archive is read as that program.
pub fn inspect_source(path: &Path, source: &Source, opts: &Options, progress: &dyn Progress) -> Read {
    let shown = shown(path);
    let fetched = match source::fetch(source, opts, progress) {
        Ok(f) => f,
        // A bare name the engine does not have: the missing path it also is.
        Err(Error::NotFound(_)) => return read_path(path, opts),
        Err(e) => return Read::Done(Report::failed(shown, Format::Image, &e)),
    };
    let image = matches!(source, Source::Image(_))
        || fetched.path.is_dir()
        || input::sniff::path(&fetched.path) == Some(Format::Image);
    if !image {
        return match read_path(&fetched.path, opts) {
            Read::Binary { binary, .. } => Read::Binary { path: shown, binary },
            Read::Done(r) => Read::Done(r.with_path(shown)),
        };
    }
    let mut report = inspect_image_at(shown, &fetched.path, opts);
    if let Report::Image(r) = &mut report {
        r.start.source = fetched.info.clone();
    }
    Read::Done(report)
}

/// Judge a container image: a `docker save` or OCI archive, or an OCI
/// layout directory, for `opts.platform` (default: this machine's). Never
/// writes to disk; a hostile or broken archive gives a failure report whose
/// error is `malformed_image`.
pub fn inspect_image(path: &Path, opts: &Options) -> Report {
    inspect_image_at(shown(path), path, opts)
}

/// [`inspect_image`] of `path`, reported as `shown`.
fn inspect_image_at(shown: String, path: &Path, opts: &Options) -> Report {
    let image = match ImageFs::open(path, opts.platform.as_deref(), Limits::default()) {
        Ok(image) => image,
        Err(e) => return Report::failed(shown, Format::Image, &Error::MalformedImage(e.0)),
    };
    let mut start = replay::start(&image, opts);
    if opts.all
        && let Err(e) = replay::load_all(&image, &mut start)
    {
        return Report::failed(shown, Format::Image, &Error::MalformedImage(e.0));
    }
    Report::Image(Box::new(ImageReport { path: shown, start }))
}

/// Judge programs inside a root file system (`--root DIR PATH...`), as if
/// it were an image whose entrypoint is each path.
pub fn inspect_root(root: &Path, paths: &[String], opts: &Options) -> Vec<Report> {
    let shown_root = shown(root);
    match std::fs::metadata(root) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return vec![Report::failed(
                shown_root,
                Format::Image,
                &Error::Io("not a directory: --root takes a root file system".into()),
            )];
        }
        Err(e) => return vec![Report::failed(shown_root, Format::Image, &input::io_error(root, e))],
    }
    let image = match ImageFs::root(root, Limits::default()) {
        Ok(i) => i,
        Err(e) => return vec![Report::failed(shown_root, Format::Image, &Error::MalformedImage(e.0))],
    };
    paths
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut start = replay::start_command(&image, opts, std::slice::from_ref(p));
            if opts.all && i == 0 {
                let _ = replay::load_all(&image, &mut start);
            }
            Report::Image(Box::new(ImageReport {
                path: format!("{}:{p}", root.display()),
                start,
            }))
        })
        .collect()
}

/// A judged report for a file's bytes, judged alone (no shipped
/// libraries). The report's path is empty.
pub fn analyze(bytes: &[u8], opts: &Options) -> Report {
    judge(read_bytes(bytes, opts), opts, &ShippedFiles::new())
}
