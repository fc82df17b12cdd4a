//! `--all`: every ELF program and library of the image, each loaded as the
//! loader would load it, in parallel, from the loader views the image
//! keeps (never the files' bytes).

use rayon::prelude::*;
use serde::Serialize;

use super::Start;
use super::exec::load;
use crate::error::Error;
use crate::imagefs::{ImageFs, show};
use crate::verdict::Problem;

/// One ELF file of the image, checked with `--all`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FileCheck {
    /// Its path in the image.
    pub path: String,
    /// Whether its loader, libraries and versions are all there.
    pub loads: bool,
    /// What the loader would print first when it does not.
    pub crash: Option<String>,
    /// Its problems.
    pub problems: Vec<Problem>,
}

/// Check every ELF file of the image (`--all`): each program as if it
/// were the entrypoint, each library as the loader would load it. Errors:
/// a limit passed, or the image could not be read.
pub fn load_all(image: &ImageFs, r: &mut Start) -> Result<(), Error> {
    let files = image.elf_files();
    let checks: Vec<Result<FileCheck, Error>> = files
        .par_iter()
        .map(|(path, f)| {
            let mut sub = Start::new(image, None);
            let shown = show(path);
            load(image, &shown, path, image.view(path, *f), &[], &mut sub)?;
            Ok(FileCheck {
                path: shown,
                loads: sub.problems.is_empty(),
                crash: sub.problems.first().map(|p| p.message.clone()),
                problems: sub.problems,
            })
        })
        .collect();
    if let Some(e) = image.failure() {
        return Err(e.into());
    }
    r.all = checks.into_iter().collect::<Result<_, _>>()?;
    Ok(())
}
