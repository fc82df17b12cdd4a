//! The reasoning: from what a binary is ([`crate::binary::Binary`]) and
//! what each image holds ([`crate::catalog`]) to which images run it,
//! which to use, what will fail and how to fix it.
//!
//! - [`problem`]: why a program will not start, typed;
//! - [`judge`]: the verdict for each image of the catalog;
//! - [`recommend`]: the image to use, and the fixes when none fits;
//! - [`image_check`]: `--image`, one image;
//! - [`warnings`]: what is worth knowing besides;
//! - [`set`]: one image for a set of binaries.

pub mod image_check;
pub mod judge;
pub mod problem;
pub mod recommend;
pub mod set;
pub mod warnings;

pub use image_check::ImageCheck;
pub use judge::{ImageVerdict, ShippedFiles, dlopen_names};
pub use problem::{ExecFailure, PROGRAM, Problem, ProblemKind, Remedy, exec_failed};
pub use recommend::Recommendation;
pub use warnings::{Warning, WarningKind};

use crate::Options;
use crate::binary::Binary;
use crate::catalog::Catalog;
use crate::elf::Kind;
use crate::report::{BinaryReport, JudgedAs};

/// Judge a binary read from `path` (shown as given) against every image,
/// recommend one, and say what else is worth knowing. `shipped` holds the
/// libraries shipped beside it (empty for a lone binary).
pub fn judge_binary(path: String, binary: Binary, opts: &Options, shipped: &ShippedFiles) -> BinaryReport {
    let catalog = Catalog::embedded();
    let target = opts.distro.as_str();
    let around = judge::Around {
        shipped,
        ld_library_path: &opts.ld_library_path,
    };
    let (images, uses) = judge::judge_all(&binary, &path, catalog, opts.platform.as_deref(), around);
    let recommendation = recommend::recommend(&binary.elf, &images, target);
    let warnings = binary_warnings(&binary, &images, recommendation.as_ref(), target, (uses, around));
    let fixes = if recommendation.is_none() {
        recommend::fixes(&images, target, catalog)
    } else {
        Vec::new()
    };
    let image_check = opts.image.as_ref().map(|image| {
        image_check::check_image(
            &binary,
            &path,
            catalog,
            image,
            opts.platform.as_deref(),
            recommendation.as_ref(),
            around,
        )
    });
    let judged_as = if binary.elf.kind == Kind::SharedLibrary {
        JudgedAs::Library
    } else {
        JudgedAs::Program
    };
    BinaryReport {
        path,
        judged_as,
        elf: binary.elf,
        go: binary.go,
        distro: opts.distro.clone(),
        images,
        recommendation,
        image_check,
        fixes,
        warnings,
        image_starts: None,
    }
}

/// What is worth knowing about a binary, whatever the image: a frozen
/// generation, why it needs newer versions, dlopen, Go and cgo, static
/// NSS, the CPU level, a shell, an executable stack, the libraries it
/// finds shipped beside it (`uses`, found with what is `around` it).
fn binary_warnings(
    binary: &Binary,
    images: &[ImageVerdict],
    recommendation: Option<&Recommendation>,
    target: &str,
    (uses, around): (Vec<judge::ShippedUse>, judge::Around<'_>),
) -> Vec<Warning> {
    let catalog = Catalog::embedded();
    let tag = |kind: WarningKind, messages: Vec<String>| messages.into_iter().map(move |m| Warning::new(kind, m));
    let mut out: Vec<Warning> = Vec::new();
    out.extend(tag(
        WarningKind::FrozenGeneration,
        warnings::frozen(recommendation, images, catalog).into_iter().collect(),
    ));
    out.extend(tag(
        WarningKind::NewerVersions,
        warnings::version(binary, images, target).into_iter().collect(),
    ));
    out.extend(tag(
        WarningKind::Dlopen,
        warnings::dlopen(&binary.elf).into_iter().collect(),
    ));
    if let Some(g) = &binary.go {
        out.extend(warnings::go(g, &binary.elf, recommendation, target));
    }
    let nss = binary.static_nss.as_ref().map(warnings::static_nss);
    out.extend(tag(WarningKind::StaticNss, nss.into_iter().collect()));
    out.extend(tag(WarningKind::CpuLevel, warnings::cpu(binary)));
    out.extend(tag(
        WarningKind::Shell,
        warnings::shell(&binary.elf).into_iter().collect(),
    ));
    out.extend(tag(
        WarningKind::ExecutableStack,
        warnings::executable_stack(&binary.elf).into_iter().collect(),
    ));
    let looks = if around.ld_library_path.is_empty() {
        "its DT_RUNPATH/DT_RPATH, or a default directory"
    } else {
        "LD_LIBRARY_PATH, its DT_RUNPATH/DT_RPATH, or a default directory"
    };
    let shipped = uses.into_iter().map(|(lib, at)| {
        format!(
            "{lib} is shipped beside it, at {at}, where the loader looks ({looks}): the verdict holds when the two are copied into the image together, at the same paths"
        )
    });
    out.extend(tag(WarningKind::ShippedLibrary, shipped.collect()));
    out
}
