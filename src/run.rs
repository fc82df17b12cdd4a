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
use crate::loader;
use crate::report::{ImageReport, Report};
use crate::verdict::set::SetBuilder;
use crate::verdict::set::Summary;
use crate::verdict::{self, ShippedFiles};
use crate::{go, replay, text};

/// How to judge.
#[derive(Debug, Clone)]
pub struct Options {
    /// The generation to recommend from first: `debian11`, `debian12` or
    /// `debian13`.
    pub distro: String,
    /// Judge for this platform (`linux/amd64`, `linux/arm64`) instead of
    /// the binary's own.
    pub platform: Option<String>,
    /// Check against this one image only (`--image`).
    pub image: Option<ImageRef>,
    /// For a container image or root file system: check every ELF file.
    pub all: bool,
    /// Bounds on the work an image or root may cause (`--limit`).
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            distro: "debian11".to_string(),
            platform: None,
            image: None,
            all: false,
            limits: Limits::default(),
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

/// A path as text, losslessly (see [`crate::text`]).
pub fn shown(path: &Path) -> String {
    text::from_bytes(std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()))
}

/// Run a request. `progress` is called with the number of files a scan has
/// done, from any thread. Collects every report: see [`run_with`] to
/// stream them instead.
pub fn run(request: &Request, progress: &(dyn Fn(usize) + Sync)) -> Outcome {
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
    /// The process exit status (see [`Outcome::exit_code`]).
    pub exit_code: u8,
}

/// Run a request, handing each report to `sink` as soon as it and those
/// before it are ready, in the order [`run`] gives them; memory holds a
/// batch of reports, never all of them. Errors: the first error of `sink`
/// (the output cannot be written), which ends the run.
pub fn run_with(
    request: &Request,
    progress: &(dyn Fn(usize) + Sync),
    sink: &mut dyn FnMut(Report) -> std::io::Result<()>,
) -> std::io::Result<Finished> {
    let opts = &request.options;
    let mut set = SetBuilder::default();
    let (mut exit, mut not_images) = (0u8, false);
    let mut emit = |r: Report| {
        exit = exit.max(r.exit_code());
        not_images |= !matches!(r, Report::Image(_));
        set.add(&r);
        sink(r)
    };
    let mut skipped = Skipped::default();
    if let Some(root) = &request.root {
        let inside: Vec<String> = request.paths.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        for r in inspect_root(root, &inside, opts) {
            emit(r)?;
        }
    } else {
        let shipped = Shipped::find(request, progress);
        for path in &request.paths {
            if input::sniff::path(path) == Some(Format::Image) {
                emit(inspect_image(path, opts))?;
            } else if let Some(listing) = shipped.listings.get(path) {
                let mut scan = Skipped {
                    count: listing.skipped_count,
                    paths: listing.skipped.clone(),
                };
                judge_entries(&listing.entries, opts, &shipped.files, &mut scan, &mut emit)?;
                scan.paths.sort();
                skipped.count += scan.count;
                skipped.paths.extend(scan.paths);
            } else {
                emit(judge(read_path(path, opts), opts, &shipped.files))?;
            }
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
        exit_code: exit,
    })
}

/// Files a scan passed over.
#[derive(Default)]
struct Skipped {
    count: usize,
    paths: Vec<String>,
}

/// Read and judge a scan's entries, a batch at a time in parallel, and
/// hand the reports on in path order. ELF files that are not programs or
/// libraries (objects, core dumps) are skipped.
fn judge_entries(
    entries: &[scan::Entry],
    opts: &Options,
    shipped: &ShippedFiles,
    skipped: &mut Skipped,
    emit: &mut dyn FnMut(Report) -> std::io::Result<()>,
) -> std::io::Result<()> {
    for batch in entries.chunks(BATCH) {
        let reports: Vec<Report> = batch
            .par_iter()
            .map(|e| match e {
                scan::Entry::File(p) => judge(read_path(p, opts), opts, shipped),
                scan::Entry::Failed(r) => r.clone(),
            })
            .collect();
        for r in reports {
            if r.error().is_some_and(|e| e.is_not_a_program()) {
                skipped.count += 1;
                skipped.paths.push(r.path().to_string());
            } else {
                emit(r)?;
            }
        }
    }
    Ok(())
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
    fn find(request: &Request, progress: &(dyn Fn(usize) + Sync)) -> Shipped {
        let mut out = Shipped {
            files: ShippedFiles::new(),
            listings: Default::default(),
        };
        for path in &request.paths {
            if input::sniff::path(path) == Some(Format::Image) {
                continue;
            }
            if request.recursive && path.is_dir() {
                let mut listing = scan::list(path, request.follow, request.list_skipped, progress);
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
        let dir = match loader::origin_of(&loader::normalize(&path)) {
            "." => String::new(),
            d => format!("{d}/"),
        };
        let library = loader::ShippedLibrary {
            path: path.clone(),
            object: view.object.clone(),
        };
        if let Some(so) = &view.soname {
            self.files
                .entry(loader::normalize(&format!("{dir}{so}")))
                .or_insert_with(|| library.clone());
        }
        self.files.insert(loader::normalize(&path), library);
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
        Format::Unknown | Format::Image => Error::UnknownFormat(input::sniff::describe_unknown(bytes)),
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

/// Judge a container image: a `docker save` or OCI archive, or an OCI
/// layout directory, for `opts.platform` (default: this machine's). Never
/// writes to disk but its own temporary file; a hostile or broken archive
/// gives a failure report whose error is `malformed_image` or
/// `limit_exceeded`.
pub fn inspect_image(path: &Path, opts: &Options) -> Report {
    let shown = shown(path);
    let judged = ImageFs::open(path, opts.platform.as_deref(), opts.limits)
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
