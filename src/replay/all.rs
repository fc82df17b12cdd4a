//! `--all`: every ELF program and library of the image, each loaded as the
//! loader would load it, in parallel, from the loader views the image
//! keeps (never the files' bytes).

use rayon::prelude::*;
use serde::Serialize;

use super::Start;
use super::exec::{glibc_of, load};
use crate::error::Error;
use crate::imagefs::{ImageFs, show};
use crate::loader;
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
    /// A shared library whose PT_GNU_STACK asks for an executable stack
    /// (or that has none: the ELF gABI default on most architectures is
    /// executable). A program that links it through DT_NEEDED still starts.
    pub executable_stack: bool,
    /// `executable_stack`, and the image's glibc (2.41 and later: debian13)
    /// refuses to dlopen it: "cannot enable executable stack as shared
    /// object requires: Invalid argument" (glibc's `dl-load.c`).
    pub dlopen_refused: bool,
}

/// Check every ELF file of the image (`--all`): each program as if it
/// were the entrypoint, each library as the loader would load it. Errors:
/// a limit passed, or the image could not be read.
pub fn load_all(image: &ImageFs, r: &mut Start) -> Result<(), Error> {
    let files = image.elf_files();
    // The image's glibc: the release of the loader its programs name.
    let glibc = files.iter().find_map(|(path, f)| {
        let view = image.view(path, *f).ok()?;
        let real = loader::Root::interpreter(image, view.interpreter.as_deref()?)?;
        glibc_of(image, &real)
    });
    let refuses = loader::refuses_executable_stack(glibc);
    let checks: Vec<Result<FileCheck, Error>> = files
        .par_iter()
        .map(|(path, f)| {
            let mut sub = Start::new(image, None);
            let shown = show(path);
            let view = image.view(path, *f);
            let executable_stack = view
                .as_ref()
                .is_ok_and(|v| v.shared_library && v.object.executable_stack);
            let named = super::exec::Named {
                exec: &shown,
                argv0: &shown,
            };
            load(image, named, path, view, &[], &mut sub)?;
            Ok(FileCheck {
                path: shown,
                loads: sub.problems.is_empty(),
                crash: sub.problems.first().map(|p| p.message.clone()),
                problems: sub.problems,
                executable_stack,
                dlopen_refused: executable_stack && refuses,
            })
        })
        .collect();
    if let Some(e) = image.failure() {
        return Err(e.into());
    }
    r.all = checks.into_iter().collect::<Result<_, _>>()?;
    Ok(())
}
