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
use crate::verdict::set::{SetBuilder, Summary};
use crate::verdict::warnings::{Warning, WarningKind};
use crate::verdict::{self, ShippedFiles};
use crate::{gate, go, replay, shipped, text};

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
    /// Bounds on the work an image or root may cause (`--limit`).
    pub limits: Limits,
    /// The directories of `LD_LIBRARY_PATH` the program starts with (a
    /// Dockerfile's `ENV`), searched before the cache and the default
    /// directories as glibc's loader does; empty for none.
    pub ld_library_path: Vec<String>,
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
            limits: Limits::default(),
            ld_library_path: Vec::new(),
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
    /// The findings that fail the gate: errors (the default), or warnings
    /// too (`--fail-on warning`). See [`gate::Status`].
    pub fail_on: gate::Level,
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
    /// The process exit status of the reports, failing on errors (see
    /// [`gate::Status`]): 0 when there are none.
    pub fn exit_code(&self) -> u8 {
        let mut status = gate::Status::new(gate::Level::Error);
        for r in &self.reports {
            status.add(r);
        }
        status.code()
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
/// done, from any thread. Collects every report: see [`run_with`] to
/// stream them instead.
pub fn run(request: &Request, progress: &dyn Progress) -> Outcome {
    let mut reports = Vec::new();
    let finished = run_with(request, progress, &mut |r| {
        reports.push(r);
        Ok(())
    });
    let finished = finished.unwrap_or_default();
    Outcome {
        reports,
        summary: finished.summary,
        skipped: finished.skipped,
    }
}

/// How a streamed run ended.
#[derive(Debug, Clone, Default)]
pub struct Finished {
    /// With several inputs or a scan: the one image for the set.
    pub summary: Option<Summary>,
    /// Files a scan skipped (kept when asked).
    pub skipped: Vec<String>,
    /// The process exit status ([`gate::Status`] of `fail_on`).
    pub exit_code: u8,
}

/// Run a request, handing each report to `sink` as soon as it and those
/// before it are ready, in the order [`run`] gives them; memory holds a
/// batch of reports, never all of them. Errors: the first error of `sink`
/// (the output cannot be written), which ends the run.
pub fn run_with(
    request: &Request,
    progress: &dyn Progress,
    sink: &mut dyn FnMut(Report) -> std::io::Result<()>,
) -> std::io::Result<Finished> {
    let opts = &request.options;
    let mut set = SetBuilder::new(request.fail_on);
    let mut status = gate::Status::new(request.fail_on);
    let mut not_images = false;
    let mut emit = |r: Report| {
        let standing = gate::standing(&r, request.fail_on);
        status.count(&standing);
        not_images |= !matches!(r, Report::Image(_));
        set.add_standing(&r, &standing);
        sink(r)
    };
    let mut skipped = Skipped::default();
    if let Some(file) = &request.dockerfile {
        emit(dockerfile_joined(file, request, progress))?;
    } else if let Some(root) = &request.root {
        let inside: Vec<String> = request.paths.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        for r in inspect_root(root, &inside, opts) {
            emit(r)?;
        }
    } else {
        let shipped = Shipped::find(request, progress);
        for path in &request.paths {
            if let Some(listing) = shipped.listings.get(path) {
                let mut scan = Skipped {
                    count: listing.skipped_count,
                    paths: listing.skipped.clone(),
                };
                let judged = judge_entries(&listing.entries, opts, &shipped.files, &mut scan, &mut emit)?;
                if judged == 0 {
                    let passed = match scan.count {
                        0 if request.follow => "it holds no regular files".to_string(),
                        0 => "it holds no regular files (symbolic links are followed with --follow)".to_string(),
                        n => format!(
                            "{n} file{} passed over, none of them ELF (an image archive is read without -r: dlcheck IMAGE.tar)",
                            if n == 1 { "" } else { "s" }
                        ),
                    };
                    emit(Report::failed(shown(path), Format::Unknown, &Error::NoElfFiles(passed)))?;
                }
                scan.paths.sort();
                skipped.count += scan.count;
                skipped.paths.extend(scan.paths);
                continue;
            }
            let mut report = judge_path(path, request, &shipped.files, progress);
            if let Some(note) = source::ambiguity(path) {
                note_ambiguity(&mut report, note);
            }
            emit(report)?;
        }
    }
    let summary =
        (not_images && (request.recursive || request.paths.len() > 1)).then(|| set.finish(skipped.count, &opts.distro));
    Ok(Finished {
        summary,
        skipped: if request.list_skipped {
            skipped.paths
        } else {
            Vec::new()
        },
        exit_code: status.code(),
    })
}

/// Read and judge one path given (not a scanned directory): an image by
/// reference or archive, a Dockerfile, a file.
fn judge_path(path: &Path, request: &Request, shipped: &ShippedFiles, progress: &dyn Progress) -> Report {
    let opts = &request.options;
    let source = Source::parse(path);
    if !matches!(source, Source::Path(_)) || source::compressed_tar(path).is_some() {
        judge(inspect_source(path, &source, opts, progress), opts, shipped)
    } else if input::sniff::path(path) == Some(Format::Image) {
        inspect_image(path, opts)
    } else if let Some(text) = dockerfile_text(path) {
        check_dockerfile(path, &text, &request.dockerfile_settings, None)
    } else {
        judge(read_path(path, opts), opts, shipped)
    }
}

/// Files a scan passed over.
#[derive(Default)]
struct Skipped {
    count: usize,
    paths: Vec<String>,
}

/// Read and judge a scan's entries, a batch at a time in parallel, and
/// hand the reports on in path order; a batch's reports are handed on while
/// the next batch is judged. ELF files that are not programs or libraries
/// (objects, core dumps) are skipped. Returns how many reports were handed
/// on.
fn judge_entries(
    entries: &[scan::Entry],
    opts: &Options,
    shipped: &ShippedFiles,
    skipped: &mut Skipped,
    emit: &mut dyn FnMut(Report) -> std::io::Result<()>,
) -> std::io::Result<usize> {
    let judge_batch = |batch: &[scan::Entry]| -> Vec<Report> {
        batch
            .par_iter()
            .map(|e| match e {
                scan::Entry::File(p) => judge(read_path(p, opts), opts, shipped),
                scan::Entry::Failed(r) => r.clone(),
            })
            .collect()
    };
    let mut judged = 0;
    let mut hand_on = |reports: Vec<Report>| -> std::io::Result<()> {
        for r in reports {
            if r.error().is_some_and(|e| e.is_not_a_program()) {
                skipped.count += 1;
                skipped.paths.push(r.path().to_string());
            } else {
                judged += 1;
                emit(r)?;
            }
        }
        Ok(())
    };
    std::thread::scope(|s| {
        let mut batches = entries.chunks(BATCH);
        let mut ready = batches.next().map(judge_batch);
        while let Some(reports) = ready.take() {
            let next = batches.next().map(|b| s.spawn(move || judge_batch(b)));
            hand_on(reports)?;
            ready = next.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        Ok::<(), std::io::Error>(())
    })?;
    Ok(judged)
}

/// Files judged in parallel at a time: enough to keep the cores busy,
/// few enough that their reports cost little memory.
const BATCH: usize = 256;

/// The shared libraries of a set (found by scans, or given as paths),
/// under their path and their DT_SONAME in the same directory
/// (normalised), for [`loader::Shipped`]; and each scan's listing.
struct Shipped {
    files: ShippedFiles,
    listings: std::collections::HashMap<PathBuf, scan::Listing>,
}

impl Shipped {
    fn find(request: &Request, progress: &dyn Progress) -> Shipped {
        let mut out = Shipped {
            files: ShippedFiles::new(),
            listings: Default::default(),
        };
        for path in &request.paths {
            let source = Source::parse(path);
            if !matches!(source, Source::Path(_)) || input::sniff::path(path) == Some(Format::Image) {
                continue;
            }
            if request.recursive && path.is_dir() {
                let files = |n: usize| progress.files(n);
                let mut listing = scan::list(path, request.follow, request.list_skipped, &files);
                for (p, view) in std::mem::take(&mut listing.libraries) {
                    out.add(p, view);
                }
                out.listings.insert(path.clone(), listing);
            } else if let Some((_, view)) = scan::library(path) {
                out.add(shown(path), view);
            }
        }
        out
    }

    fn add(&mut self, path: String, view: crate::imagefs::ElfView) {
        shipped::add(&mut self.files, &path, view.soname.as_deref(), view.object);
    }
}

/// The text of `path` when it is a Dockerfile (by its name or its first
/// instruction) and not a program or image.
fn dockerfile_text(path: &Path) -> Option<String> {
    if path.is_dir() || matches!(input::sniff::path(path), Some(Format::Elf | Format::Image)) {
        return None;
    }
    let bytes = input::load(path).ok()?;
    match input::sniff::detect(&bytes) {
        Format::Unknown => {}
        // An empty file named as a Dockerfile is an empty Dockerfile (the
        // builder refuses it), not an empty program.
        Format::Empty if crate::dockerfile::is_dockerfile(path, b"") => return Some(String::new()),
        _ => return None,
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
    // The build context must be a directory: a missing one is the
    // command line's error, not the Dockerfile's missing sources.
    if let Some(dir) = &settings.context {
        let failed = match std::fs::metadata(dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(Error::NotFound(dir.clone())),
            Err(e) => Some(Error::Io(e.to_string())),
            Ok(m) if !m.is_dir() => Some(Error::Io(
                "not a directory: --context names the build context, a directory".into(),
            )),
            Ok(_) => None,
        };
        if let Some(e) = failed {
            return Report::failed(self::shown(dir), Format::Dockerfile, &e);
        }
    }
    match crate::dockerfile::check(path, text, settings, joined) {
        Ok(check) => Report::Dockerfile(Box::new(crate::report::DockerfileReport { path: shown, check })),
        Err(e) => Report::failed(
            shown,
            Format::Dockerfile,
            &Error::MalformedDockerfile(match e.line {
                0 => e.message.clone(),
                line => format!("line {line}, column {}: {}", e.column, e.message),
            }),
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
        Ok(bytes) => {
            // A program or an archive where the Dockerfile goes: say what it
            // is, not which of its bytes is no instruction.
            let what = match input::sniff::detect(&bytes) {
                Format::Elf => Some("an ELF file"),
                Format::MachO => Some("a Mach-O file"),
                Format::Pe => Some("a PE file"),
                Format::Image => Some("a tar archive"),
                Format::Unknown if !input::sniff::is_text(&bytes) => Some(input::sniff::describe_unknown(&bytes)),
                _ => None,
            };
            if let Some(what) = what {
                let e = Error::MalformedDockerfile(format!(
                    "not a Dockerfile but {what}: the Dockerfile comes first (--dockerfile Dockerfile PROGRAM)"
                ));
                return Report::failed(shown(file), Format::Dockerfile, &e);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
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
    if let Err(e) = root_dir(root) {
        return Report::failed(shown_root, Format::Image, &e);
    }
    let mut image = match ImageFs::root(root, opts.limits) {
        Ok(i) => i,
        Err(e) => return Report::failed(shown_root, Format::Image, &e.into()),
    };
    image.config.cmd = check.command.clone();
    image.config.user = check.user.clone();
    image.config.working_dir = check.workdir.clone();
    image.config.env = check.env.clone();
    match replay::start(&image, opts) {
        Ok(start) => Report::Image(Box::new(ImageReport {
            path: shown_root,
            start,
        })),
        Err(e) => Report::failed(shown_root, Format::Image, &e),
    }
}

/// Add `note` (a path that also reads as an image reference) to the
/// warnings of the report of that path.
fn note_ambiguity(report: &mut Report, note: String) {
    match report {
        Report::Binary(b) => b.warnings.push(Warning::new(WarningKind::AmbiguousReference, note)),
        Report::Image(i) => i.start.warnings.push(note),
        _ => {}
    }
}

/// Judge what was read.
fn judge(item: Read, opts: &Options, shipped: &ShippedFiles) -> Report {
    match item {
        Read::Binary { path, binary } => {
            let found = shipped::on_disk(shipped, &path, &binary);
            let report = if found.is_empty() {
                verdict::judge_binary(path, *binary, opts, shipped)
            } else {
                let mut all = shipped.clone();
                all.extend(found);
                verdict::judge_binary(path, *binary, opts, &all)
            };
            Report::Binary(Box::new(report))
        }
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
    let image = matches!(source, Source::Image(..))
        || fetched.path.is_dir()
        || input::sniff::path(&fetched.path) == Some(Format::Image);
    if !image {
        return match read_path(&fetched.path, opts) {
            Read::Binary { binary, .. } => Read::Binary { path: shown, binary },
            Read::Done(r) => Read::Done(r.with_path(shown)),
        };
    }
    let named = match source {
        Source::Image(_, name) => name.as_deref(),
        _ => None,
    };
    let mut report = inspect_image_at(shown, &fetched.path, named, opts);
    if let Report::Image(r) = &mut report {
        r.start.source = fetched.info.clone();
    }
    Read::Done(report)
}

/// Judge a container image: a `docker save` or OCI archive, or an OCI
/// layout directory, for `opts.platform` (default: this machine's). Never
/// writes to disk but its own temporary file; a hostile or broken archive
/// gives a failure report whose error is `malformed_image` or
/// `limit_exceeded`.
pub fn inspect_image(path: &Path, opts: &Options) -> Report {
    inspect_image_at(shown(path), path, None, opts)
}

/// [`inspect_image`] of `path`, reported as `shown`; `named`: the image of
/// an OCI layout to read, by its ref name.
fn inspect_image_at(shown: String, path: &Path, named: Option<&str>, opts: &Options) -> Report {
    let judged = ImageFs::open_named(path, named, opts.platform.as_deref(), opts.limits)
        .map_err(Error::from)
        .and_then(|image| {
            let mut start = replay::start(&image, opts)?;
            if opts.all {
                replay::load_all(&image, &mut start)?;
            }
            Ok(start)
        });
    match judged {
        Ok(start) => Report::Image(Box::new(ImageReport { path: shown, start })),
        Err(e) => Report::failed(shown, Format::Image, &e),
    }
}

/// `root` is a directory whose entries can be looked up (searched: its
/// `.` can be read): else the error, as for any input path.
fn root_dir(root: &Path) -> Result<(), Error> {
    match std::fs::metadata(root) {
        Ok(m) if m.is_dir() => std::fs::metadata(root.join("."))
            .map(|_| ())
            .map_err(|e| input::io_error(root, e)),
        Ok(_) => Err(Error::Io("not a directory: --root takes a root file system".into())),
        Err(e) => Err(input::io_error(root, e)),
    }
}

/// Judge programs inside a root file system (`--root DIR PATH...`), as if
/// it were an image whose entrypoint is each path.
pub fn inspect_root(root: &Path, paths: &[String], opts: &Options) -> Vec<Report> {
    let shown_root = shown(root);
    if let Err(e) = root_dir(root) {
        return vec![Report::failed(shown_root, Format::Image, &e)];
    }
    let image = match ImageFs::root(root, opts.limits) {
        Ok(i) => i,
        Err(e) => return vec![Report::failed(shown_root, Format::Image, &e.into())],
    };
    paths
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let path = format!("{}:{p}", root.display());
            let judged = replay::start_command(&image, opts, std::slice::from_ref(p)).and_then(|mut start| {
                if opts.all && i == 0 {
                    replay::load_all(&image, &mut start)?;
                }
                Ok(start)
            });
            match judged {
                Ok(start) => Report::Image(Box::new(ImageReport { path, start })),
                Err(e) => Report::failed(path, Format::Image, &e),
            }
        })
        .collect()
}

/// A judged report for a file's bytes, judged alone (no shipped
/// libraries). The report's path is empty.
pub fn analyze(bytes: &[u8], opts: &Options) -> Report {
    judge(read_bytes(bytes, opts), opts, &ShippedFiles::new())
}
