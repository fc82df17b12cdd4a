//! `--image`: will the binary start in this one image? The verdict leads
//! with what the container prints.

use serde::Serialize;

use super::judge::{Around, judge, judge_all};
use super::problem::{ExecFailure, PROGRAM, Problem, ProblemKind, exec_failed};
use super::recommend::Recommendation;
use super::warnings::{Warning, WarningKind};
use crate::binary::Binary;
use crate::catalog::{self, Catalog, Image, ImageRef};
use crate::elf::Kind;
use crate::loader::DlopenFailure;

/// The verdict for the image of `--image` (JSON `image_check`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ImageCheck {
    /// The reference as given.
    pub requested: String,
    /// What it resolves to, `gcr.io/distroless/base-debian13:nonroot` or `scratch`.
    pub image: String,
    /// The platform judged, `linux/amd64`.
    pub platform: String,
    /// Whether the binary starts there (false too when dlcheck has no data
    /// on the image for the platform: then the only problem is `no_data`
    /// and `crash` is null).
    pub runs: bool,
    /// What the container prints when it does not: the first failure, as
    /// the kernel, the container runtime or glibc's loader words it.
    pub crash: Option<String>,
    /// Every problem, in the order the kernel and the loader meet them.
    pub problems: Vec<Problem>,
    /// Worth knowing: a floating tag, a frozen generation, files missing
    /// from scratch, the `:debug` shell.
    pub warnings: Vec<Warning>,
}

/// Judge the binary against the image of `--image`, for `platform` (the
/// binary's own when `None`).
pub fn check_image(
    binary: &Binary,
    path: &str,
    catalog: &'static Catalog,
    image: &ImageRef,
    platform: Option<&str>,
    recommendation: Option<&Recommendation>,
    around: Around<'_>,
) -> ImageCheck {
    let own = binary.elf.meets_platform();
    // An architecture tag (`:latest-arm64`) names the platform.
    let tagged = image.arch.as_deref().map(catalog::platform_of);
    let platform = tagged.as_deref().or(platform).unwrap_or(&own).to_string();
    let mut warnings = Vec::new();
    if let Some(d) = &image.digest {
        warnings.push(Warning::new(WarningKind::DigestPin, format!(
            "{d} pins one build of {}: dlcheck judges the image as its data of {} describes it (distroless {}), which that build may predate or follow; the name still tells the generation",
            image.name(),
            catalog::GENERATED,
            &catalog::DISTROLESS_COMMIT[..12]
        )));
    }
    let found = match (&image.variant, &image.generation) {
        (Some(v), Some(g)) => catalog.image(v, g),
        _ => None,
    };
    let problems = match found {
        Some(i) => {
            let (problems, more) = known_image(binary, path, catalog, image, i, &platform, around);
            warnings.extend(more);
            problems
        }
        None if image.variant.is_some() => vec![unknown_image(catalog, image, &platform)],
        None => scratch(binary, &platform, recommendation, &mut warnings),
    };
    // The host CPU is the host's: the image cannot decide it.
    for m in super::warnings::cpu(binary) {
        warnings.push(Warning::new(
            WarningKind::CpuLevel,
            format!("{m}; the host that runs the container decides this, not the image"),
        ));
    }
    let runs = problems.is_empty();
    let crash = crash(&problems);
    // The platform as the image publishes it (`linux/arm/v7`).
    let platform = match problems.first().map(|p| &p.kind) {
        Some(ProblemKind::WrongArchitecture { .. }) => platform,
        _ => catalog::published_as(&platform),
    };
    let no_data = problems.iter().any(|p| matches!(p.kind, ProblemKind::NoData { .. }));
    if !runs && !no_data && image.variant.is_some() && !image.tag.starts_with("debug") {
        warnings.push(Warning::new(WarningKind::DebugShell, format!(
            "to look around inside, the :debug tag adds a busybox shell: docker run --rm -it --entrypoint=/busybox/sh {}:debug",
            image.resolved().split(':').next().unwrap_or_default()
        )));
    }
    ImageCheck {
        requested: image.given.clone(),
        image: image.resolved(),
        platform,
        runs,
        crash,
        problems,
        warnings,
    }
}

/// The problems of a distroless image of the data, with what is worth
/// knowing about it: its name and generation, parts not read, the
/// `dlopen`s that will fail there.
fn known_image(
    binary: &Binary,
    path: &str,
    catalog: &'static Catalog,
    image: &ImageRef,
    found: &'static Image,
    platform: &str,
    around: Around<'_>,
) -> (Vec<Problem>, Vec<Warning>) {
    let mut warnings = generation_warnings(catalog, image, found);
    let arch = catalog::arch_of(platform).unwrap_or_default();
    for part in found.arch(arch).into_iter().flat_map(|a| a.unread.iter()) {
        warnings.push(Warning::new(
            WarningKind::UnreadPart,
            format!("dlcheck has not read this part of {}: {part}", found.short_name()),
        ));
    }
    let verdict = if found.language {
        Some(judge(
            binary,
            path,
            catalog,
            found,
            Some(platform),
            around,
            &mut Vec::new(),
        ))
    } else {
        let (verdicts, _) = judge_all(binary, path, catalog, Some(platform), around);
        verdicts.into_iter().find(|x| x.image == found.reference)
    };
    let failures = verdict.iter().flat_map(|v| &v.dlopen_failures);
    warnings.extend(failures.map(|f| dlopen_warning(f, &image.resolved())));
    (verdict.map(|x| x.problems).unwrap_or_default(), warnings)
}

/// Worth knowing about the image's name and generation: a name without a
/// generation moves; a frozen generation gets no fixes.
fn generation_warnings(catalog: &Catalog, image: &ImageRef, found: &Image) -> Vec<Warning> {
    let (v, g) = (found.variant, found.generation);
    let mut out = Vec::new();
    if image.floating {
        out.push(Warning::new(WarningKind::FloatingTag, format!(
            "{} has no generation in its name: it follows distroless's default, {g} today, and will move; pin gcr.io/distroless/{v}-{g}",
            image.given
        )));
    }
    if let Some(frozen) = catalog.generation(g).filter(|x| !x.supported) {
        out.push(Warning::new(
            WarningKind::FrozenGeneration,
            format!(
                "{g} images are no longer built or patched (frozen since {})",
                frozen.removed_date.unwrap_or("unknown")
            ),
        ));
    }
    out
}

/// A distroless image dlcheck's data does not know (a newer generation, an
/// image it does not model): no data, naming the images it knows.
fn unknown_image(catalog: &Catalog, image: &ImageRef, platform: &str) -> Problem {
    let mut known: Vec<String> = Vec::new();
    for i in catalog.all_images() {
        let name = format!("{}-{}", i.variant, i.generation);
        if !known.contains(&name) {
            known.push(name);
        }
    }
    Problem::with(
        ProblemKind::NoData {
            platform: platform.to_string(),
        },
        String::new(),
        format!(
            "dlcheck has no data on {}: its data of {} (distroless {}) knows {}",
            image.name(),
            catalog::GENERATED,
            &catalog::DISTROLESS_COMMIT[..12],
            known.join(", ")
        ),
        "refresh dlcheck's data (python3 scripts/gen-images.py refresh --commit origin/main), or check the image itself (docker save the image, then: dlcheck IMAGE.tar)".to_string(),
    )
}

/// What the container prints first: the first problem's message, or every
/// missing version when the first problem is one (the loader reports them
/// all before it stops); nothing when dlcheck has no data to say.
pub fn crash(problems: &[Problem]) -> Option<String> {
    let first = problems.first()?;
    if problems.iter().any(|p| matches!(p.kind, ProblemKind::NoData { .. })) {
        return None;
    }
    Some(if matches!(first.kind, ProblemKind::VersionMissing { .. }) {
        problems
            .iter()
            .filter(|p| matches!(p.kind, ProblemKind::VersionMissing { .. }))
            .map(|p| p.message.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        first.message.clone()
    })
}

/// The problems of an empty image: only a static program of its platform
/// starts; the files a Go program reads at run time are missing.
fn scratch(
    binary: &Binary,
    platform: &str,
    recommendation: Option<&Recommendation>,
    warnings: &mut Vec<Warning>,
) -> Vec<Problem> {
    let facts = &binary.elf;
    let own = facts.platform();
    let mut problems = Vec::new();
    if catalog::arch_of(platform) != catalog::arch_of(&facts.meets_platform()) {
        problems.push(Problem::with(
            ProblemKind::WrongArchitecture {
                built_for: own.clone(),
                image: platform.to_string(),
            },
            exec_failed(PROGRAM, ExecFailure::Format),
            format!("built for {own}, but the image is {platform}"),
            format!("rebuild for {platform}"),
        ));
    } else if facts.kind == Kind::SharedLibrary {
        problems.push(Problem::with(
            ProblemKind::NoLoader {
                image: "scratch".to_string(),
            },
            exec_failed(PROGRAM, ExecFailure::NoSuchFile),
            "scratch is empty: it has no dynamic loader, so no program there can load a shared library".to_string(),
            match recommendation {
                Some(r) => format!("FROM {}", r.image),
                None => "link it into a static program".to_string(),
            },
        ));
    } else if !binary.is_static() {
        let interp = facts.interpreter.clone().unwrap_or_default();
        problems.push(Problem::with(
            ProblemKind::InterpreterMissing {
                musl: binary.uses_musl(),
                interpreter: interp.clone(),
            },
            exec_failed(PROGRAM, ExecFailure::NoSuchFile),
            format!(
                "PT_INTERP {interp} is not in the image (scratch is empty): the kernel cannot start the loader and reports \"no such file or directory\" for the program, which is there"
            ),
            match recommendation {
                Some(r) => format!("FROM {}", r.image),
                None => "link it statically".to_string(),
            },
        ));
    }
    for f in binary.go.iter().flat_map(|g| &g.runtime_files) {
        warnings.push(Warning::new(
            WarningKind::ScratchMissingFile,
            format!(
                "scratch has no {}: {} ({}); gcr.io/distroless/static has it",
                f.path, f.reason, f.package
            ),
        ));
    }
    problems
}

/// A `dlopen` that will fail in `image` once the program runs.
fn dlopen_warning(failure: &DlopenFailure, image: &str) -> Warning {
    match failure {
        DlopenFailure::NotFound { name } => Warning::new(
            WarningKind::DlopenFails,
            format!(
                "dlopen(\"{name}\") will fail in {image}: \"{}\" (the name is among its strings); add the library to the image, or ship it beside the program",
                failure.dlerror()
            ),
        ),
        DlopenFailure::ExecutableStack { name, path } => Warning::new(
            WarningKind::ExecutableStack,
            format!(
                "dlopen(\"{name}\") will fail in {image}: \"{}\": {path} needs an executable stack, which glibc 2.41 and later refuse to dlopen; relink it with -Wl,-z,noexecstack",
                failure.dlerror()
            ),
        ),
    }
}

impl ImageCheck {
    /// dlcheck has no data to say whether it starts: the image is not known
    /// for the platform, or a part it has not read may hold what is missing.
    pub fn no_data(&self) -> bool {
        self.problems
            .iter()
            .any(|p| matches!(p.kind, ProblemKind::NoData { .. }))
    }
}
