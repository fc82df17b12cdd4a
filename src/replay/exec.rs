//! The kernel's `execve` of the command (a script's `#!` interpreter, an
//! ELF program's PT_INTERP), then glibc's loader over the image's files.

use std::sync::Arc;

use super::{Start, env, search_path};
use crate::Options;
use crate::elf::oci_arch;
use crate::error::Error;
use crate::imagefs::{ElfView, FileNode, ImageError, ImageFs, Node, show};
use crate::input::sniff::{self, Format};
use crate::loader::{self, Env, Event, Walk};
use crate::verdict::{Problem, ProblemKind};

/// The kernel's execve of the file `f` at `path` (shown as `shown`), then
/// the loader. Errors: the program cannot be judged (a limit; a malformed
/// ELF file, as reading it alone would say).
pub(super) fn exec(
    image: &ImageFs,
    opts: &Options,
    shown: &str,
    path: &[u8],
    f: FileNode,
    r: &mut Start,
    depth: usize,
) -> Result<(), Error> {
    let bytes = match image.map(path, f) {
        Ok(b) => b,
        Err(ImageError::Limit(l)) => return Err(Error::LimitExceeded(l.to_string())),
        Err(e) => {
            r.fail(
                ProblemKind::Unreadable { path: show(path) },
                format!("exec {shown}: {e}"),
                e.to_string(),
                String::new(),
            );
            return Ok(());
        }
    };
    match sniff::detect(&bytes) {
        Format::Script if depth == 0 => script(image, opts, shown, path, &bytes, r),
        Format::Elf => {
            // The image itself is what is judged: no second --image verdict.
            let inner = Options {
                image: None,
                ..opts.clone()
            };
            let report = crate::analyze(&bytes, &inner);
            if let Some(Error::Malformed(m)) = report.error() {
                return Err(Error::Malformed(format!("{}: {m}", show(path))));
            }
            let view = ElfView::read(&bytes).map(Arc::new).map_err(|e| e.to_string());
            load(image, shown, path, view, r)?;
            r.binaries.push(report.with_path(show(path)));
            Ok(())
        }
        _ => {
            r.fail(
                ProblemKind::ExecFormat { path: show(path) },
                format!("exec {shown}: exec format error"),
                format!("{} is not a Linux program", show(path)),
                "build the program for Linux".into(),
            );
            Ok(())
        }
    }
}

/// A script: the kernel runs its `#!` interpreter.
fn script(image: &ImageFs, opts: &Options, shown: &str, path: &[u8], bytes: &[u8], r: &mut Start) -> Result<(), Error> {
    let sb = sniff::shebang(bytes).map(|s| s.command).unwrap_or_default();
    let interp = sb.split_whitespace().next().unwrap_or_default().to_string();
    r.entrypoint_steps.push(format!("{} is a script for {sb}", show(path)));
    match crate::text::to_bytes(&interp).and_then(|b| image.resolve(&b).ok().flatten()) {
        Some((p, Node::File(f))) => exec(image, opts, shown, &p, f, r, 1),
        _ => {
            r.fail(
                ProblemKind::InterpreterMissing {
                    interpreter: interp.clone(),
                    musl: false,
                },
                format!("exec {shown}: no such file or directory"),
                format!("the script's #! interpreter {interp} is not in the image: the kernel reports ENOENT for the script, which is there"),
                "ship a compiled program, or an image that has the interpreter (gcr.io/distroless/python3, nodejs)".into(),
            );
            Ok(())
        }
    }
}

/// The kernel's and the loader's work for the ELF program at `path` (shown
/// as `shown`), from its loader view. Errors: a limit passed.
pub(super) fn load(
    image: &ImageFs,
    shown: &str,
    path: &[u8],
    view: Result<Arc<ElfView>, String>,
    r: &mut Start,
) -> Result<(), Error> {
    let Ok(view) = view else {
        r.fail(
            ProblemKind::ExecFormat { path: show(path) },
            format!("exec {shown}: exec format error"),
            format!("{} is a malformed ELF file", show(path)),
            "rebuild or re-copy it".into(),
        );
        return Ok(());
    };
    let want_arch = image.platform.split('/').nth(1).unwrap_or("amd64");
    let arch = oci_arch(&view.machine);
    if arch != want_arch && !(arch == "386" && want_arch == "amd64") {
        r.fail(
            ProblemKind::WrongArchitecture {
                built_for: format!("linux/{arch}"),
                image: image.platform.clone(),
            },
            format!("exec {shown}: exec format error"),
            format!(
                "{} is built for linux/{arch}, the image is {}",
                show(path),
                image.platform
            ),
            format!("build it for {}", image.platform),
        );
        return Ok(());
    }
    if view.interpreter.is_none() && (!view.shared_library || view.object.needed.is_empty()) {
        r.entrypoint_steps.push(format!("{} is statically linked", show(path)));
        return Ok(());
    }
    if let Some(interp) = &view.interpreter {
        match loader::Root::interpreter(image, interp) {
            Some(p) => r.entrypoint_steps.push(format!("PT_INTERP {interp} resolves to {p}")),
            None => {
                r.fail(
                    ProblemKind::InterpreterMissing {
                        interpreter: interp.clone(),
                        musl: interp.contains("ld-musl"),
                    },
                    format!("exec {shown}: no such file or directory"),
                    format!(
                        "PT_INTERP {interp} is not in the image: the kernel reports ENOENT for the program, which is there"
                    ),
                    "use a base image with glibc's loader (gcr.io/distroless/base-nossl or larger), or link statically"
                        .into(),
                );
                return Ok(());
            }
        }
    }
    let lib_path = env(&image.config, "LD_LIBRARY_PATH").unwrap_or_default();
    let ld_library_path: Vec<String> = search_path(lib_path, "LD_LIBRARY_PATH", &image.limits)?
        .into_iter()
        .map(|d| crate::text::from_bytes(d.as_bytes()))
        .collect();
    let env = Env {
        arch: want_arch,
        ld_library_path: &ld_library_path,
    };
    let walk = loader::load(image, &show(path), view.object.clone(), &env);
    if let Some(hit) = &walk.bound {
        return Err(Error::LimitExceeded(
            image.limits.exceeded(hit.name, hit.context.clone()).to_string(),
        ));
    }
    loader_problems(&walk, shown, want_arch, r);
    Ok(())
}

/// The loader's first failure, as it reports it: the first library not
/// found (the loader stops there), else every missing version.
fn loader_problems(walk: &Walk, shown: &str, arch: &str, r: &mut Start) {
    let name_of = |i: usize| if i == 0 { shown } else { walk.objects[i].path.as_str() };
    for event in &walk.events {
        match event {
            Event::Loaded(i) => {
                let o = &walk.objects[*i];
                r.entrypoint_steps.push(format!("{} → {}", o.name, o.path));
            }
            Event::Missing(m) => {
                r.problems.push(Problem::with(
                    ProblemKind::LibraryMissing {
                        soname: m.name.clone(),
                        needed_by: (m.needed_by != 0).then(|| walk.objects[m.needed_by].name.clone()),
                    },
                    format!(
                        "{shown}: error while loading shared libraries: {}: cannot open shared object file: No such file or directory",
                        m.name
                    ),
                    format!(
                        "{} needs {}, which the image does not have where the loader looks",
                        name_of(m.needed_by),
                        m.name
                    ),
                    format!(
                        "COPY {} into /usr/lib/{} (and what it needs in turn)",
                        m.name,
                        loader::multiarch_triplet(arch)
                    ),
                ));
                return;
            }
        }
    }
    if !walk.missing_versions.is_empty() {
        version_problem(walk, &name_of, shown, r);
    }
}

/// Every missing version, one line each, as one problem.
fn version_problem<'a>(walk: &'a Walk, name_of: &dyn Fn(usize) -> &'a str, shown: &str, r: &mut Start) {
    let mut libraries: Vec<String> = walk
        .missing_versions
        .iter()
        .map(|m| walk.objects[m.library].name.clone())
        .collect();
    let lines: Vec<String> = walk
        .missing_versions
        .iter()
        .map(|m| {
            format!(
                "{shown}: {}: version `{}' not found (required by {})",
                walk.objects[m.library].path,
                m.version,
                name_of(m.requirer)
            )
        })
        .collect();
    libraries.dedup();
    let versions = walk.missing_versions.iter().map(|m| m.version.clone()).collect();
    if r.problems.is_empty() {
        r.crash_lines = lines.clone();
    }
    r.fail(
        ProblemKind::VersionMissing {
            library: libraries[0].clone(),
            versions,
        },
        lines.join("\n"),
        format!("{} in the image lacks versions the program needs", libraries.join(", ")),
        "build on the image's Debian generation, or move to a newer base image".into(),
    );
}
