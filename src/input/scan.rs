//! Directory scans: every regular file below a directory, analysed in
//! parallel, the ELF ones kept and the rest counted.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::{Format, sniff};
use crate::report::Report;
use crate::run::{Options, Read, read_path, shown};

/// What a scan found.
#[derive(Default)]
pub struct Scan {
    /// ELF files read (and files dlcheck could not read or that are
    /// malformed ELF), sorted by path.
    pub items: Vec<Read>,
    /// Files that are not ELF programs or libraries (scripts, data, objects,
    /// Mach-O, PE, empty files), sorted: skipped quietly. Empty unless asked
    /// for; see `skipped_count`.
    pub skipped: Vec<String>,
    /// How many files were skipped.
    pub skipped_count: usize,
}

/// Whether a file is one a scan passes over quietly: not ELF, or an ELF
/// object that is not a program or library.
fn skippable(item: &Read) -> bool {
    matches!(item, Read::Done(r) if r.error().is_some_and(|e| e.is_not_a_program()))
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
    let results: Vec<Outcome> = walkdir::WalkDir::new(dir)
        .follow_links(follow)
        .into_iter()
        .par_bridge()
        .filter_map(|entry| {
            let outcome = match entry {
                Ok(e) if e.file_type().is_file() => {
                    let p = e.path();
                    // Most files in a tree are not ELF: their first bytes
                    // tell, without reading the rest.
                    if sniff::path(p).is_some_and(|f| f != Format::Elf) {
                        Outcome::Skipped(shown(p))
                    } else {
                        let item = read_path(p, opts);
                        if skippable(&item) {
                            Outcome::Skipped(shown(p))
                        } else {
                            Outcome::Item(Box::new(item))
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
                    Outcome::Item(Box::new(Read::Done(Report::failed(shown(&path), Format::Unknown, &e))))
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
            Outcome::Item(r) => out.items.push(*r),
        }
    }
    out.items.sort_by(|a, b| a.path().cmp(b.path()));
    out.skipped.sort();
    out
}

enum Outcome {
    Skipped(String),
    Item(Box<Read>),
}
