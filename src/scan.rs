//! Directory scans: every regular file below a directory, analysed in
//! parallel, the ELF ones kept and the rest counted.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::{Format, Options, Report, inspect_path};

/// What a scan found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Reports for ELF files (and for files dlcheck could not read or that
    /// are malformed ELF), sorted by path.
    pub reports: Vec<Report>,
    /// Files that are not ELF programs or libraries (scripts, data, objects,
    /// Mach-O, PE, empty files), sorted: skipped quietly. Empty unless asked
    /// for; see `skipped_count`.
    pub skipped: Vec<String>,
    /// How many files were skipped.
    pub skipped_count: usize,
}

/// Whether a report is for a file a scan passes over quietly: not ELF, or an
/// ELF object that is not a program or library.
fn skippable(r: &Report) -> bool {
    let kind = r.error.as_ref().map(|e| e.kind);
    r.format != Format::Elf && r.format != Format::Unknown
        || matches!(
            kind,
            Some("empty" | "script" | "mach_o" | "pe" | "unknown_format" | "not_executable")
        )
}

/// Scan `dir` recursively. Symbolic links are not followed unless `follow`.
/// Files are analysed in parallel as the walk finds them, so memory holds
/// the reports, not the file list; reports come back sorted by path, the
/// same whatever the thread count. Skipped paths are kept only when
/// `keep_skipped` (otherwise just counted). `progress` is called with the
/// number of files done, from any thread.
pub fn scan(dir: &Path, follow: bool, keep_skipped: bool, opts: &Options, progress: &(dyn Fn(usize) + Sync)) -> Scan {
    let done = AtomicUsize::new(0);
    let skipped = AtomicUsize::new(0);
    let display = |p: &Path| crate::text::from_bytes(std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str()));
    let results: Vec<Outcome> = walkdir::WalkDir::new(dir)
        .follow_links(follow)
        .into_iter()
        .par_bridge()
        .filter_map(|entry| {
            let outcome = match entry {
                Ok(e) if e.file_type().is_file() => {
                    let p = e.path();
                    // Most files in a tree are not ELF: four bytes tell,
                    // without reading the rest.
                    if crate::input::starts_with_elf_magic(p) == Some(false) {
                        Outcome::Skipped(display(p))
                    } else {
                        let r = inspect_path(p, opts);
                        if skippable(&r) {
                            Outcome::Skipped(r.path)
                        } else {
                            Outcome::Report(Box::new(r))
                        }
                    }
                }
                Ok(_) => return None,
                Err(err) => {
                    let path: PathBuf = err.path().unwrap_or(dir).to_path_buf();
                    let e = err
                        .into_io_error()
                        .map(|e| crate::input::io_error(&path, e))
                        .unwrap_or_else(|| {
                            crate::Error::Io("a symlink loop while scanning: check where links point".into())
                        });
                    Outcome::Report(Box::new(Report::failed(display(&path), Format::Unknown, &e)))
                }
            };
            progress(done.fetch_add(1, Ordering::Relaxed) + 1);
            match outcome {
                Outcome::Skipped(p) => {
                    skipped.fetch_add(1, Ordering::Relaxed);
                    keep_skipped.then_some(Outcome::Skipped(p))
                }
                report => Some(report),
            }
        })
        .collect();
    let mut out = Scan {
        skipped_count: skipped.into_inner(),
        ..Scan::default()
    };
    for r in results {
        match r {
            Outcome::Skipped(p) => out.skipped.push(p),
            Outcome::Report(r) => out.reports.push(*r),
        }
    }
    out.reports.sort_by(|a, b| a.path.cmp(&b.path));
    out.skipped.sort();
    out
}

enum Outcome {
    Skipped(String),
    Report(Box<Report>),
}
