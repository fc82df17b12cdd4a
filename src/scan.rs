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
    /// Mach-O, PE, empty files), sorted: skipped quietly.
    pub skipped: Vec<String>,
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

/// Scan `dir` recursively. Symbolic links are not followed unless `follow`;
/// files are analysed in parallel and reported in path order, the same
/// whatever the thread count. `progress` is called with the number of
/// files done and the total, from any thread.
pub fn scan(dir: &Path, follow: bool, opts: &Options, progress: &(dyn Fn(usize, usize) + Sync)) -> Scan {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut errors: Vec<Report> = Vec::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(follow) {
        match entry {
            Ok(e) if e.file_type().is_file() => files.push(e.into_path()),
            Ok(_) => {}
            Err(err) => {
                let path = err.path().unwrap_or(dir).to_path_buf();
                let io = err
                    .into_io_error()
                    .map(|e| crate::input::io_error(&path, e))
                    .unwrap_or_else(|| {
                        crate::Error::Io("a symlink loop while scanning: check where links point".into())
                    });
                errors.push(Report::failed(
                    crate::text::from_bytes(std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str())),
                    Format::Unknown,
                    &io,
                ));
            }
        }
    }
    files.sort();
    let total = files.len();
    let done = AtomicUsize::new(0);
    let results: Vec<Report> = files
        .par_iter()
        .map(|p| {
            let r = inspect_path(p, opts);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            r
        })
        .collect();
    let mut out = Scan::default();
    for r in results {
        if skippable(&r) {
            out.skipped.push(r.path);
        } else {
            out.reports.push(r);
        }
    }
    out.reports.extend(errors);
    out.reports.sort_by(|a, b| a.path.cmp(&b.path));
    out
}
