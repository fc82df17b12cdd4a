//! Directory scans, in two passes so that memory does not grow with the
//! tree: [`list`] walks it (in parallel) and keeps only the ELF files'
//! paths and the loader's view of each shared library (what programs
//! shipped beside them need); the caller then reads and judges the ELF
//! files a batch at a time, in path order, and lets each report go.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::{Format, sniff};
use crate::imagefs::ElfView;
use crate::report::Report;
use crate::run::shown;

/// One path of a scan to read and judge, in path order.
pub enum Entry {
    /// An ELF file (or one that could not be sniffed): read it.
    File(PathBuf),
    /// A failure met while walking (an unreadable directory, a loop).
    Failed(Report),
}

impl Entry {
    fn key(&self) -> String {
        match self {
            Entry::File(p) => shown(p),
            Entry::Failed(r) => r.path().to_string(),
        }
    }
}

/// What the walk found.
#[derive(Default)]
pub struct Listing {
    /// The files to read and the walk's failures, sorted by path.
    pub entries: Vec<Entry>,
    /// The shared libraries: path and loader view.
    pub libraries: Vec<(String, ElfView)>,
    /// Files that are not ELF (scripts, data ...), sorted: skipped quietly.
    /// Empty unless asked for; see `skipped_count`.
    pub skipped: Vec<String>,
    /// How many files were skipped.
    pub skipped_count: usize,
}

enum Found {
    Entry(Entry, Option<(String, ElfView)>),
    Skipped(String),
}

/// Walk `dir` recursively (symbolic links followed only with `follow`),
/// in parallel. Skipped paths are kept only when `keep_skipped`.
/// `progress` is called with the number of files done, from any thread.
pub fn list(dir: &Path, follow: bool, keep_skipped: bool, progress: &(dyn Fn(usize) + Sync)) -> Listing {
    let done = AtomicUsize::new(0);
    let skipped = AtomicUsize::new(0);
    let found: Vec<Found> = walkdir::WalkDir::new(dir)
        .follow_links(follow)
        .into_iter()
        .par_bridge()
        .filter_map(|entry| {
            let found = match entry {
                Ok(e) if e.file_type().is_file() => {
                    let p = e.path();
                    // Most files in a tree are not ELF: their first bytes
                    // tell, without reading the rest.
                    match sniff::path(p) {
                        Some(f) if f != Format::Elf => Found::Skipped(shown(p)),
                        _ => Found::Entry(Entry::File(p.to_path_buf()), library(p)),
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
                    Found::Entry(Entry::Failed(Report::failed(shown(&path), Format::Unknown, &e)), None)
                }
            };
            progress(done.fetch_add(1, Ordering::Relaxed) + 1);
            if let Found::Skipped(p) = found {
                skipped.fetch_add(1, Ordering::Relaxed);
                return keep_skipped.then_some(Found::Skipped(p));
            }
            Some(found)
        })
        .collect();
    let mut out = Listing {
        skipped_count: skipped.into_inner(),
        ..Listing::default()
    };
    for f in found {
        match f {
            Found::Skipped(p) => out.skipped.push(p),
            Found::Entry(e, lib) => {
                out.entries.push(e);
                out.libraries.extend(lib);
            }
        }
    }
    out.entries.sort_by_cached_key(Entry::key);
    out.libraries.sort_by(|a, b| a.0.cmp(&b.0));
    out.skipped.sort();
    out
}

/// The loader's view of the file at `p`, if it is a shared library.
pub fn library(p: &Path) -> Option<(String, ElfView)> {
    let bytes = super::load(p).ok()?;
    ElfView::library(&bytes).map(|view| (shown(p), view))
}
