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
pub use judge::{ImageVerdict, ShippedFiles};
pub use problem::{PROGRAM, Problem, ProblemKind, Remedy};
pub use recommend::Recommendation;

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
    let (images, uses) = judge::judge_all(&binary, &path, catalog, opts.platform.as_deref(), shipped);
    let recommendation = recommend::recommend(&binary.elf, &images, target);
    let mut warnings = Vec::new();
    warnings.extend(warnings::frozen(recommendation.as_ref(), &images, catalog));
    warnings.extend(warnings::version(&binary, &images, target));
    warnings.extend(warnings::dlopen(&binary.elf));
    if let Some(g) = &binary.go {
        warnings.extend(warnings::go(g, &binary.elf, recommendation.as_ref(), target));
    }
    warnings.extend(binary.static_nss.as_ref().map(warnings::static_nss));
    warnings.extend(warnings::cpu(&binary));
    warnings.extend(warnings::shell(&binary.elf));
    warnings.extend(warnings::executable_stack(&binary.elf));
    for (lib, at) in uses {
        warnings.push(format!(
            "{lib} is shipped beside it, at {at} (found through DT_RUNPATH/DT_RPATH): the verdict holds when the two are copied into the image together, at the same relative paths"
        ));
    }
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
            shipped,
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
