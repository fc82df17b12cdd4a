//! The kernel's `execve` of the command (a script's `#!` interpreter, an
//! ELF program's PT_INTERP), then glibc's loader over the image's files.

use std::sync::Arc;

use super::base::Base;
use super::{Start, env};
use crate::Options;
use crate::elf::oci_arch;
use crate::error::Error;
use crate::imagefs::{ElfView, FileNode, ImageError, ImageFs, Node, show};
use crate::input::sniff::{self, Format};
use crate::loader::{self, Env, Event, Walk};
use crate::verdict::{ExecFailure, Problem, ProblemKind, exec_failed};

/// How the program is named where it fails: runc names the file it
/// executes (`exec`: the command as given, or where its `LookPath` found a
/// bare name in PATH), glibc's loader its `argv[0]` (`argv0`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Named<'a> {
    /// The path runc executes.
    pub exec: &'a str,
    /// The program's `argv[0]`.
    pub argv0: &'a str,
}

/// The kernel's execve of the file `f` at `path` (named as `shown`), then
/// the loader. Errors: the program cannot be judged (a limit; a malformed
/// ELF file, as reading it alone would say).
pub(super) fn exec(
    image: &ImageFs,
    opts: &Options,
    shown: Named<'_>,
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
                format!("exec {}: {e}", shown.exec),
                e.to_string(),
                String::new(),
            );
            return Ok(());
        }
    };
    match sniff::detect(&bytes) {
        Format::Script if depth == 0 => script(image, opts, shown, path, &bytes, r),
        Format::Elf => {
            // The image itself is what is judged (no second --image
            // verdict), against its own generation when it is a
            // distroless one, unless --distro asks for another.
            let own = r.base.as_ref().and_then(|b| b.generation.clone());
            let inner = Options {
                image: None,
                distro: match own {
                    Some(g) if !opts.distro_given => g,
                    _ => opts.distro.clone(),
                },
                ..opts.clone()
            };
            let report = crate::analyze(&bytes, &inner);
            if let Some(Error::Malformed(m)) = report.error() {
                return Err(Error::Malformed(format!("{}: {m}", show(path))));
            }
            let view = ElfView::read(&bytes).map(Arc::new).map_err(|e| e.to_string());
            let dlopened: Vec<String> = match &report {
                crate::report::Report::Binary(b) => {
                    let mut seen = std::collections::BTreeSet::new();
                    let names = b.elf.dlopen_note.iter().chain(&b.elf.dlopen_names);
                    names.filter(|n| seen.insert(n.as_str())).cloned().collect()
                }
                _ => Vec::new(),
            };
            load(image, shown, path, view, &dlopened, r)?;
            r.binaries.push(report.with_path(show(path)));
            Ok(())
        }
        _ => {
            r.fail(
                ProblemKind::ExecFormat { path: show(path) },
                exec_failed(shown.exec, ExecFailure::Format),
                format!("{} is not a Linux program", show(path)),
                "build the program for Linux".into(),
            );
            Ok(())
        }
    }
}

/// A script: the kernel runs its `#!` interpreter.
fn script(
    image: &ImageFs,
    opts: &Options,
    shown: Named<'_>,
    path: &[u8],
    bytes: &[u8],
    r: &mut Start,
) -> Result<(), Error> {
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
                exec_failed(shown.exec, ExecFailure::NoSuchFile),
                format!("the script's #! interpreter {interp} is not in the image: the kernel reports ENOENT for the script, which is there"),
                "ship a compiled program, or an image that has the interpreter (gcr.io/distroless/python3, nodejs)".into(),
            );
            Ok(())
        }
    }
}

/// The kernel's and the loader's work for the ELF program at `path` (shown
/// as `shown`), from its loader view; when it starts, the names in
/// `dlopened` (what it passes to dlopen) that will fail, as warnings.
/// Errors: a limit passed.
pub(super) fn load(
    image: &ImageFs,
    shown: Named<'_>,
    path: &[u8],
    view: Result<Arc<ElfView>, String>,
    dlopened: &[String],
    r: &mut Start,
) -> Result<(), Error> {
    let Ok(view) = view else {
        r.fail(
            ProblemKind::ExecFormat { path: show(path) },
            exec_failed(shown.exec, ExecFailure::Format),
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
            exec_failed(shown.exec, ExecFailure::Format),
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
    let glibc = match &view.interpreter {
        Some(interp) => match interpreter(image, shown, interp, &view.machine, r) {
            Some(glibc) => glibc,
            None => return Ok(()),
        },
        None => None,
    };
    let lib_path = env(&image.config, "LD_LIBRARY_PATH").unwrap_or_default();
    let program = show(path);
    let ld_library_path = loader::ld_library_path(
        lib_path,
        &image.config.working_dir,
        loader::origin_of(&program),
        want_arch,
        image.limits.search_path,
    )
    .map_err(|hit| ImageError::Limit(image.limits.exceeded(hit.name, hit.context)))?;
    let env = Env {
        arch: want_arch,
        ld_library_path: &ld_library_path,
        glibc,
    };
    let walk = loader::load(image, &program, view.object.clone(), &env);
    if let Some(hit) = &walk.bound {
        return Err(Error::LimitExceeded(
            image.limits.exceeded(hit.name, hit.context.clone()).to_string(),
        ));
    }
    loader_problems(image, &walk, shown.argv0, want_arch, r);
    if r.problems.is_empty() {
        dlopen_warnings(image, &walk, &env, shown.argv0, dlopened, r);
    }
    Ok(())
}

/// The kernel's PT_INTERP lookup: the glibc release of the loader when the
/// image has it (`Some`), else the problem recorded and `None`.
fn interpreter(
    image: &ImageFs,
    shown: Named<'_>,
    interp: &str,
    machine: &str,
    r: &mut Start,
) -> Option<Option<(u32, u32)>> {
    if let Some(p) = loader::Root::interpreter(image, interp) {
        r.entrypoint_steps.push(format!("PT_INTERP {interp} resolves to {p}"));
        return Some(glibc_of(image, &p));
    }
    let musl = interp.contains("ld-musl");
    let fix = if musl {
        // No distroless image has musl's loader: only a static build runs.
        format!(
            "link it statically against musl (musl-gcc -static; Rust: --target {machine}-unknown-linux-musl): no distroless image has musl's loader"
        )
    } else {
        "use a base image with glibc's loader (gcr.io/distroless/base-nossl or larger), or link statically".into()
    };
    r.fail(
        ProblemKind::InterpreterMissing {
            interpreter: interp.to_string(),
            musl,
        },
        exec_failed(shown.exec, ExecFailure::NoSuchFile),
        format!("PT_INTERP {interp} is not in the image: the kernel reports ENOENT for the program, which is there"),
        fix,
    );
    None
}

/// The glibc release of the loader at `real` (an absolute path in the
/// image; see [`loader::glibc_release`]).
pub(super) fn glibc_of(image: &ImageFs, real: &str) -> Option<(u32, u32)> {
    let (p, node) = image.resolve(real.as_bytes()).ok().flatten()?;
    let Node::File(f) = node else { return None };
    let bytes = image.map(&p, f).ok()?;
    loader::glibc_release(real, &bytes)
}

/// The names the program passes to dlopen that will fail once it runs in
/// the image (not found where the loader looks, or refused), as warnings.
fn dlopen_warnings(image: &ImageFs, walk: &Walk, env: &Env<'_>, shown: &str, names: &[String], r: &mut Start) {
    for name in names {
        if let Some(f) = loader::dlopen_failure(image, walk, name, env) {
            let why = match &f {
                loader::DlopenFailure::NotFound { .. } => {
                    "the image does not have it where the loader looks".to_string()
                }
                loader::DlopenFailure::ExecutableStack { path, .. } => format!(
                    "{path} needs an executable stack, which glibc 2.41 and later refuse to dlopen; relink it with -Wl,-z,noexecstack"
                ),
            };
            r.warnings.push(format!(
                "dlopen(\"{name}\") will fail once {shown} runs: \"{}\": {why}",
                f.dlerror()
            ));
        }
    }
}

/// The loader's first failure, as it reports it: the first library not
/// found (the loader stops there), else every missing version.
fn loader_problems(image: &ImageFs, walk: &Walk, shown: &str, arch: &str, r: &mut Start) {
    let name_of = |i: usize| if i == 0 { shown } else { walk.objects[i].path.as_str() };
    for event in &walk.events {
        match event {
            Event::Loaded(i) => {
                let o = &walk.objects[*i];
                r.entrypoint_steps.push(format!("{} → {}", o.name, o.path));
            }
            Event::Missing(m) => {
                let (explanation, fix) = missing_library(image, &m.name, name_of(m.needed_by), arch, r.base.as_ref());
                r.problems.push(Problem::with(
                    ProblemKind::LibraryMissing {
                        soname: m.name.clone(),
                        needed_by: (m.needed_by != 0).then(|| walk.objects[m.needed_by].name.clone()),
                    },
                    format!(
                        "{shown}: error while loading shared libraries: {}: cannot open shared object file: No such file or directory",
                        m.name
                    ),
                    explanation,
                    fix,
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

/// Why a library the loader did not find is missing, and the fix: a file
/// of that name elsewhere in the image is off the loader's search path
/// (give it a DT_RUNPATH, or move it); on a distroless base, a larger
/// image of the same generation may have it; otherwise, copy it in.
fn missing_library(image: &ImageFs, name: &str, needed_by: &str, arch: &str, base: Option<&Base>) -> (String, String) {
    let dir = format!("/usr/lib/{}", loader::multiarch_triplet(arch));
    if let Some(found) = image.find_named(name) {
        let at = found.rsplit_once('/').map_or("/", |(d, _)| d);
        return (
            format!(
                "{needed_by} needs {name}, which the image has at {found}, but {at} is not where the loader looks (not a default directory, and no /etc/ld.so.cache lists it)"
            ),
            format!(
                "link the program with -Wl,-rpath,{at} (DT_RUNPATH), or put {name} in {dir} (or set ENV LD_LIBRARY_PATH={at})"
            ),
        );
    }
    let catalog = crate::catalog::Catalog::embedded();
    let holder = base
        .and_then(|b| b.generation.as_deref())
        .and_then(|g| catalog.holders(g, arch, name).next());
    let fix = match holder {
        Some(h) => format!("FROM {} (it has {name}), or COPY {name} into {dir}", h.reference),
        None => format!("COPY {name} into {dir} (and what it needs in turn)"),
    };
    (
        format!("{needed_by} needs {name}, which the image does not have where the loader looks"),
        fix,
    )
}
