//! The reasoning: does an image run a binary, and which image to recommend.
//!
//! For an image and a binary of one platform, following the dynamic
//! loader's own steps (glibc `elf/rtld.c`, `elf/dl-load.c`,
//! `elf/dl-version.c`):
//! 1. the kernel opens PT_INTERP; a binary without one needs nothing;
//! 2. the loader finds every DT_NEEDED soname in its default directories
//!    (the images have no `/etc/ld.so.cache`), and each library's own
//!    DT_NEEDED in turn;
//! 3. every version in the binary's DT_VERNEED must be defined by the
//!    library it names, checked against that library's own version
//!    definitions (libm defines versions libc does not).
//!
//! The facts about images come from [`crate::images::Catalog`].

use std::collections::{BTreeSet, VecDeque};

use serde::Serialize;

use crate::elf::{ElfFacts, Linkage, oci_arch, version_cmp};
use crate::go::{CGO_ONLY_MODULES, GoFacts};
use crate::images::{Catalog, GENERATIONS, Image, VARIANTS};

/// Where the predicted messages put the program: the path a Dockerfile's
/// `COPY` usually gives it. The kernel and the loader print the path the
/// container runtime executed, so yours may differ.
pub const PROGRAM: &str = "/app";

/// One reason an image cannot run the binary (JSON `images[].problems[]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `interpreter_missing`, `library_missing`, `runtime_library_missing`,
    /// `version_missing`, `wrong_os`, `wrong_architecture`,
    /// `unsupported_platform` or `no_data`.
    pub kind: &'static str,
    /// What the container prints, in the kernel's, the container runtime's
    /// or glibc's loader's own words, with the program at [`PROGRAM`]; one
    /// line per line printed. Empty when dlcheck cannot know (`no_data`).
    pub message: String,
    /// Why, in one line.
    pub explanation: String,
    /// The library concerned (the missing soname, or the library lacking
    /// versions), when there is one.
    pub library: Option<String>,
    /// For `version_missing`: the imported symbols bound to the missing
    /// versions, `name@VERSION`, demangled.
    pub symbols: Vec<String>,
    /// One concrete way to make it run.
    pub fix: String,
}

/// The verdict for one image (JSON `images[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageVerdict {
    /// Full reference, `gcr.io/distroless/cc-debian12`.
    pub image: String,
    /// `static`, `base-nossl`, `base`, `cc`.
    pub variant: String,
    /// `debian11`, `debian12`, `debian13`.
    pub generation: String,
    /// `linux/amd64` ...
    pub platform: String,
    /// Whether the binary starts in this image (no problems).
    pub runs: bool,
    /// Why it does not.
    pub problems: Vec<Problem>,
}

/// The recommended image (JSON `recommendation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recommendation {
    /// Full reference, `gcr.io/distroless/cc-debian12`.
    pub image: String,
    /// Variant of that image.
    pub variant: String,
    /// Generation of that image.
    pub generation: String,
    /// `linux/amd64` ...
    pub platform: String,
    /// Why this one and not a smaller or older one, one line each.
    pub reasons: Vec<String>,
}

/// Judge the binary against every image (4 variants × 3 generations) for
/// its own platform, or for `platform` (`linux/arm64`) when given, in
/// generation then size order.
pub fn judge_all(facts: &ElfFacts, catalog: &Catalog, platform: Option<&str>) -> Vec<ImageVerdict> {
    let mut verdicts: Vec<ImageVerdict> = GENERATIONS
        .iter()
        .flat_map(|g| VARIANTS.iter().map(move |v| (*g, *v)))
        .filter_map(|(g, v)| Some(judge(facts, catalog, catalog.image(v, g)?, platform)))
        .collect();
    // The simplest fix for an image that lacks a loader or library is the
    // smallest image that has all of them: of the same generation, else of
    // the nearest newer one.
    let best: Vec<Option<String>> = verdicts
        .iter()
        .map(|v| {
            let gen_idx = GENERATIONS.iter().position(|g| *g == v.generation).unwrap_or(0);
            GENERATIONS[gen_idx..]
                .iter()
                .find_map(|g| verdicts.iter().find(|w| w.generation == *g && w.runs))
                .map(|w| w.image.clone())
        })
        .collect();
    for (v, best) in verdicts.iter_mut().zip(best) {
        let Some(best) = best else { continue };
        for p in &mut v.problems {
            if matches!(
                p.kind,
                "interpreter_missing" | "library_missing" | "runtime_library_missing" | "version_missing"
            ) && !(p.kind == "interpreter_missing" && p.fix.contains("musl"))
                && !(p.kind == "library_missing" && facts.libc == crate::elf::Libc::Musl)
                && oci_arch(&facts.machine) != "386"
            {
                let also = if p.kind == "version_missing" {
                    format!(", or build on {} tools", v.generation)
                } else {
                    String::new()
                };
                p.fix = format!("FROM {best}{also}{}", static_alternative(facts, p));
            }
        }
    }
    verdicts
}

/// Judge the binary against one image, of the binary's own platform or of
/// `platform` when given.
pub fn judge(facts: &ElfFacts, catalog: &Catalog, image: &Image, platform: Option<&str>) -> ImageVerdict {
    let arch = oci_arch(&facts.machine);
    let own = facts.platform();
    // A 32-bit x86 program runs on amd64 images through the kernel's IA32
    // emulation: those are the images it meets.
    let native = if own == "linux/386" {
        "linux/amd64".to_string()
    } else {
        own.clone()
    };
    let platform = platform.unwrap_or(&native).to_string();
    let mut problems = Vec::new();
    let name = short_name(image);
    let generation = catalog
        .generation(image.generation)
        .expect("every image's generation is in the catalog");
    let is_static = matches!(facts.linkage, Linkage::Static | Linkage::StaticPie);
    if platform != native && facts.os == "linux" {
        let want = platform.rsplit('/').next().unwrap_or_default();
        problems.push(Problem {
            kind: "wrong_architecture",
            message: format!("exec {PROGRAM}: exec format error"),
            explanation: format!("built for {own}, but the image is {platform}"),
            fix: format!("rebuild for {platform} (Go: GOARCH={want}; C: a cross compiler for {want})"),
            ..Default::default()
        });
    } else if facts.os != "linux" {
        problems.push(Problem {
            kind: "wrong_os",
            explanation: format!("built for {}, not Linux: rebuild for linux/{arch}", facts.os),
            ..Default::default()
        });
    } else if arch == "386" {
        if !is_static {
            let interp = facts.interpreter.as_deref().unwrap_or_default();
            problems.push(Problem {
                kind: "interpreter_missing",
                explanation: format!(
                    "a 32-bit x86 program: amd64 images run it through the kernel's IA32 emulation, but {name} has no 32-bit loader {interp} or 32-bit libraries: the kernel reports \"no such file or directory\" for the program, which is there"
                ),
                fix: "rebuild as a 64-bit program (drop -m32; Go: GOARCH=amd64)".to_string(),
                ..Default::default()
            });
        }
    } else if !generation.built_architectures.contains(&arch) {
        problems.push(Problem {
            kind: "unsupported_platform",
            explanation: format!("distroless publishes no {} images for linux/{arch}", image.generation),
            ..Default::default()
        });
    } else if !is_static {
        match image.arch(arch) {
            None => problems.push(Problem {
                kind: "no_data",
                explanation: format!("dlcheck has no data on the libraries of {name} for linux/{arch}"),
                ..Default::default()
            }),
            Some(contents) => check_dynamic(facts, catalog, image, contents, &mut problems),
        }
    }
    for p in &mut problems {
        annotate(p, facts, catalog, image);
    }
    ImageVerdict {
        image: image.reference.to_string(),
        variant: image.variant.to_string(),
        generation: image.generation.to_string(),
        platform,
        runs: problems.is_empty(),
        problems,
    }
}

/// Fill in a problem's predicted message, culprit symbols and fix.
fn annotate(p: &mut Problem, facts: &ElfFacts, catalog: &Catalog, image: &Image) {
    let arch = oci_arch(&facts.machine);
    let generation = image.generation;
    let lib = p.library.clone().unwrap_or_default();
    let holder = |soname: &str| {
        VARIANTS.iter().find_map(|v| {
            let i = catalog.image(v, generation)?;
            i.arch(arch)?.has_soname(soname).then_some(i.reference)
        })
    };
    match p.kind {
        "wrong_os" => {
            p.message = format!("exec {PROGRAM}: exec format error");
            p.fix = format!("rebuild for linux/{arch} (Go: GOOS=linux GOARCH={arch})");
        }
        "unsupported_platform" => {
            p.message = format!("no matching manifest for linux/{arch} in the manifest list entries");
            p.fix = if arch == "386" {
                "rebuild as a 64-bit program (drop -m32; Go: GOARCH=amd64): distroless has no 32-bit x86 images".into()
            } else {
                format!(
                    "rebuild for linux/amd64 or linux/arm64: distroless has no {generation} images for linux/{arch}"
                )
            };
        }
        "no_data" => {
            p.fix = format!(
                "dlcheck knows the libraries of the amd64 and arm64 images only; distroless does publish linux/{arch} images: check the binary in one"
            );
        }
        "interpreter_missing" if arch == "386" => {
            p.message = format!("exec {PROGRAM}: no such file or directory");
        }
        "interpreter_missing" => {
            p.message = format!("exec {PROGRAM}: no such file or directory");
            let interp = facts.interpreter.as_deref().unwrap_or_default();
            p.fix = if facts.libc == crate::elf::Libc::Musl || interp.contains("ld-musl") {
                musl_fix(facts, generation)
            } else if let Some(h) = image
                .arch(arch)
                .and_then(|_| holder_of_loader(catalog, generation, arch, interp))
            {
                format!("FROM {h}")
            } else {
                format!("link statically, or build against glibc with its standard loader instead of {interp}")
            };
        }
        "library_missing" => {
            p.message = format!(
                "{PROGRAM}: error while loading shared libraries: {lib}: cannot open shared object file: No such file or directory"
            );
            let dir = format!("/usr/lib/{}", crate::elf::multiarch_triplet(arch));
            p.fix = if facts.libc == crate::elf::Libc::Musl {
                musl_fix(facts, generation)
            } else if let Some(h) = holder(&lib) {
                format!("FROM {h}")
            } else if lib.starts_with("libssl.so.1") || lib.starts_with("libcrypto.so.1") {
                format!(
                    "rebuild against OpenSSL 3 (libssl.so.3 is in gcr.io/distroless/base-debian12 and later), or COPY --from=build {dir}/{lib} {dir}/"
                )
            } else {
                format!(
                    "COPY --from=build {dir}/{lib} {dir}/ (and the libraries it needs in turn), or link {lib} statically"
                )
            };
        }
        "runtime_library_missing" => {
            let func = if p.explanation.contains("pthread_exit") {
                "pthread_exit"
            } else {
                "pthread_cancel"
            };
            p.message = format!("{lib} must be installed for {func} to work");
            p.fix = match holder(&lib) {
                Some(h) => format!("FROM {h}"),
                None => format!("COPY {lib} into the image"),
            };
        }
        "version_missing" => {
            let path = image
                .arch(arch)
                .and_then(|a| a.soname(&lib))
                .map(str::to_string)
                .unwrap_or_else(|| lib.clone());
            let defs = catalog
                .library(generation, arch, &lib)
                .map(|l| l.verdefs)
                .unwrap_or_default();
            let missing: Vec<&(String, String)> = facts
                .verneed_order
                .iter()
                .filter(|(file, version)| *file == lib && !defs.contains(&version.as_str()))
                .collect();
            p.message = missing
                .iter()
                .map(|(_, v)| format!("{PROGRAM}: {path}: version `{v}' not found (required by {PROGRAM})"))
                .collect::<Vec<_>>()
                .join("\n");
            p.symbols = missing
                .iter()
                .flat_map(|(file, v)| {
                    facts
                        .version_symbols
                        .get(&(file.clone(), v.clone()))
                        .into_iter()
                        .flatten()
                        .map(move |name| format!("{name}@{v}"))
                })
                .collect();
            // The same image of a newer generation, if one has every version.
            let newer = GENERATIONS.iter().skip_while(|g| **g != generation).skip(1).find(|g| {
                catalog
                    .library(g, arch, &lib)
                    .is_some_and(|l| missing.iter().all(|(_, v)| l.verdefs.contains(&v.as_str())))
            });
            p.fix = match newer {
                Some(g) => format!(
                    "FROM gcr.io/distroless/{}-{g}, or build on {generation} tools",
                    image.variant
                ),
                None => format!(
                    "build on {generation} tools (for example a {generation} build image) so that it needs only versions {generation} has"
                ),
            };
        }
        _ => {}
    }
}

/// A rebuild that removes the need for a C/C++ runtime library instead of
/// moving to the image that has it: Rust's static C runtime, or GCC's static
/// libstdc++ and libgcc.
fn static_alternative(facts: &ElfFacts, p: &Problem) -> String {
    let lib = p.library.as_deref().unwrap_or_default();
    if !matches!(p.kind, "library_missing" | "interpreter_missing") {
        return String::new();
    }
    let rust = facts.comment.iter().any(|c| c.starts_with("rustc version"));
    if rust {
        format!(
            ", or build it static: RUSTFLAGS='-C target-feature=+crt-static' (glibc) or --target {}-unknown-linux-musl, for gcr.io/distroless/static",
            facts.machine
        )
    } else if matches!(lib, "libstdc++.so.6" | "libgcc_s.so.1") {
        ", or link with -static-libstdc++ -static-libgcc to need only libc (base-nossl)".to_string()
    } else {
        String::new()
    }
}

/// The fix for a musl program: link it statically.
fn musl_fix(facts: &ElfFacts, generation: &str) -> String {
    format!(
        "link statically against musl (musl-gcc -static; Rust: --target {}-unknown-linux-musl) and use gcr.io/distroless/static-{generation}",
        facts.machine
    )
}

/// A warning that explains why the binary needs newer symbol versions than
/// the `target` generation has: the well-known cause of the first such
/// version and the build environment recorded in `.comment`.
pub fn version_warning(facts: &ElfFacts, verdicts: &[ImageVerdict], target: &str) -> Option<String> {
    let cc = verdicts.iter().rfind(|v| v.generation == target)?;
    let p = cc.problems.iter().find(|p| p.kind == "version_missing")?;
    let lib = p.library.as_deref().unwrap_or_default();
    let versions: Vec<&str> = p.symbols.iter().filter_map(|s| s.rsplit('@').next()).collect();
    let first = facts
        .verneed_order
        .iter()
        .find(|(file, v)| file == lib && (versions.contains(&v.as_str()) || p.message.contains(&format!("`{v}'"))))
        .map(|(_, v)| v.as_str())?;
    let mut out = format!("needs {first} from {lib}, which {target} lacks");
    if let Some(cause) = version_cause(first) {
        out.push_str(&format!(": {cause}"));
    }
    if let Some(b) = built_on(facts) {
        out.push_str(&format!("; built with {b}"));
    }
    Some(out)
}

/// The image of `generation` whose loaders include `interp`.
fn holder_of_loader<'c>(catalog: &'c Catalog, generation: &str, arch: &str, interp: &str) -> Option<&'c str> {
    VARIANTS.iter().find_map(|v| {
        let i = catalog.image(v, generation)?;
        i.arch(arch)?.has_loader(interp).then_some(i.reference)
    })
}

/// The well-known reason a version is needed.
fn version_cause(version: &str) -> Option<&'static str> {
    match version {
        "GLIBC_2.34" => Some(
            "glibc 2.34 merged libpthread, libdl and librt into libc, so programs built on glibc 2.34 or later need GLIBC_2.34 (__libc_start_main, pthread_create, dlopen ...)",
        ),
        "GLIBC_2.38" => Some("glibc 2.38's headers redirect strtol, sscanf and friends to the C23 __isoc23_* symbols"),
        v if v.starts_with("GLIBCXX_") || v.starts_with("CXXABI_") => Some(
            "a newer GCC's libstdc++ raises GLIBCXX/CXXABI; build with the runtime's GCC or link -static-libstdc++ -static-libgcc",
        ),
        v if v.starts_with("GLIBC_") => Some("the binary was built against a newer glibc than the image has"),
        _ => None,
    }
}

/// The build environment, from `.comment`: `Debian 12 tools (GCC: (Debian
/// 12.2.0-14) 12.2.0)` and what follows from it. Debian's GCC majors: 8
/// in buster, 10 in bullseye, 12 in bookworm, 14 in trixie.
pub fn built_on(facts: &ElfFacts) -> Option<String> {
    facts.comment.iter().find_map(|c| {
        let gcc = c.strip_prefix("GCC: (Debian ")?;
        let major: u32 = gcc.split('.').next()?.parse().ok()?;
        let debian = match major {
            8 => "10",
            10 => "11",
            12 => "12",
            14 => "13",
            _ => return Some(format!("Debian tools ({c})")),
        };
        Some(format!("Debian {debian} tools ({c}): it needs debian{debian} or later, or a build on the runtime's generation (for example golang:1.22-bullseye for debian11)"))
    })
}

fn check_dynamic(
    facts: &ElfFacts,
    catalog: &Catalog,
    image: &Image,
    contents: &crate::images::ImageArch,
    problems: &mut Vec<Problem>,
) {
    let arch = oci_arch(&facts.machine);
    let name = short_name(image);
    if let Some(interp) = facts.interpreter.as_ref().filter(|i| !contents.has_loader(i)) {
        let why = if contents.loaders.is_empty() {
            format!("{name} has no dynamic loader at all")
        } else if interp.contains("ld-musl") {
            format!(
                "that is musl's loader; {name} has only glibc's {}",
                contents.standard_interpreter
            )
        } else {
            format!("{name} has only {}", contents.standard_interpreter)
        };
        problems.push(Problem {
            kind: "interpreter_missing",
            explanation: format!(
                "PT_INTERP {interp} is not in the image ({why}): the kernel cannot start the loader and reports \"no such file or directory\" for the program, which is there"
            ),
            ..Default::default()
        });
    }
    // DT_NEEDED, then each found library's own DT_NEEDED, breadth first.
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<(String, Option<String>)> = facts.needed.iter().map(|n| (n.clone(), None)).collect();
    while let Some((soname, wanted_by)) = queue.pop_front() {
        if !seen.insert(soname.clone()) {
            continue;
        }
        if contents.has_soname(&soname) {
            if let Some(lib) = catalog.library(image.generation, arch, &soname) {
                queue.extend(lib.needed.iter().map(|n| (n.to_string(), Some(soname.clone()))));
            }
            continue;
        }
        let mut message = match &wanted_by {
            None => format!("needs {soname}, which {name} does not have"),
            Some(parent) => format!("{parent} needs {soname}, which {name} does not have"),
        };
        let holders: Vec<&str> = VARIANTS
            .iter()
            .filter(|v| {
                catalog
                    .image(v, image.generation)
                    .and_then(|i| i.arch(arch))
                    .is_some_and(|a| a.has_soname(&soname))
            })
            .copied()
            .collect();
        match holders.as_slice() {
            [] => message.push_str(&format!(" (no {} image has it)", image.generation)),
            [one] => message.push_str(&format!(" (only {one} has it)")),
            [first, ..] => message.push_str(&format!(" ({first} and larger have it)")),
        }
        if wanted_by.is_none() && (facts.runpath.is_some() || facts.rpath.is_some()) {
            message.push_str("; unless you ship it in a directory of the binary's RUNPATH/RPATH");
        }
        problems.push(Problem {
            kind: "library_missing",
            explanation: message,
            library: Some(soname),
            ..Default::default()
        });
    }
    // Symbol versions, checked against each library's own definitions.
    for (lib, versions) in &facts.version_needs {
        if !contents.has_soname(lib) {
            continue;
        }
        let Some(defs) = catalog.library(image.generation, arch, lib) else {
            continue;
        };
        let missing: Vec<&str> = versions
            .iter()
            .filter(|v| !defs.verdefs.contains(&v.as_str()))
            .map(String::as_str)
            .collect();
        if missing.is_empty() {
            continue;
        }
        let family = missing[0].split('_').next().unwrap_or_default();
        let newest = defs
            .verdefs
            .iter()
            .filter(|d| d.starts_with(family) && d.as_bytes().get(family.len()) == Some(&b'_'))
            .filter(|d| d[family.len() + 1..].starts_with(|c: char| c.is_ascii_digit()))
            .max_by(|a, b| version_cmp(a, b));
        let mut message = format!("{lib} in {name} lacks {}", missing.join(", "));
        if let Some(newest) = newest {
            message.push_str(&format!(" (it defines up to {newest})"));
        }
        problems.push(Problem {
            kind: "version_missing",
            explanation: message,
            library: Some(lib.clone()),
            ..Default::default()
        });
    }
    // Libraries glibc itself loads at run time for functions the binary imports.
    for load in &facts.runtime_loads {
        if !contents.has_soname(&load.library) {
            problems.push(Problem {
                kind: "runtime_library_missing",
                explanation: format!("{}, and {name} does not have {}", load.reason, load.library),
                library: Some(load.library.clone()),
                ..Default::default()
            });
        }
    }
}

/// `1 thing`, `3 things`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `cc-debian12` from an image.
fn short_name(image: &Image) -> String {
    format!("{}-{}", image.variant, image.generation)
}

/// Pick the smallest image of `target` generation that runs the binary; if
/// none does, the smallest of the oldest newer generation that does.
/// `None` when no image runs it.
pub fn recommend(facts: &ElfFacts, verdicts: &[ImageVerdict], target: &str) -> Option<Recommendation> {
    let target_idx = GENERATIONS.iter().position(|g| *g == target)?;
    // The target, then newer generations oldest first, then older ones
    // newest first: an older, frozen image is better than none.
    let order = GENERATIONS[target_idx..]
        .iter()
        .chain(GENERATIONS[..target_idx].iter().rev());
    let mut reasons = Vec::new();
    let mut chosen = None;
    for g in order {
        if let Some(v) = verdicts.iter().find(|v| v.generation == *g && v.runs) {
            chosen = Some(v);
            break;
        }
        // cc holds every library of its generation, so its problems are
        // the ones no image of the generation can get past.
        let blockers: Vec<&str> = verdicts
            .iter()
            .rfind(|v| v.generation == *g)
            .iter()
            .flat_map(|v| v.problems.iter().map(|p| p.explanation.as_str()))
            .collect();
        reasons.push(format!("no {g} image runs it: {}", blockers.join("; ")));
    }
    let chosen = chosen?;
    if chosen.generation != target {
        let newer = GENERATIONS.iter().position(|g| *g == chosen.generation) > Some(target_idx);
        reasons.push(if newer {
            format!("{} is the oldest newer generation that runs it", chosen.generation)
        } else {
            format!(
                "{} is the newest generation that runs it, though older than {target}",
                chosen.generation
            )
        });
    }
    for smaller in verdicts
        .iter()
        .filter(|v| v.generation == chosen.generation)
        .take_while(|v| v.variant != chosen.variant)
    {
        if let Some(p) = smaller.problems.first() {
            reasons.push(format!(
                "not {}-{}: {}",
                smaller.variant, smaller.generation, p.explanation
            ));
        }
    }
    reasons.push(match facts.linkage {
        Linkage::Static => "statically linked (no PT_INTERP): needs no loader and no libraries".to_string(),
        Linkage::StaticPie => "static-pie (no PT_INTERP): needs no loader and no libraries".to_string(),
        Linkage::LoaderOnly => format!(
            "needs only the loader {} (no DT_NEEDED), which {}-{} has",
            facts.interpreter.as_deref().unwrap_or_default(),
            chosen.variant,
            chosen.generation
        ),
        Linkage::Dynamic => {
            let versions: usize = facts.version_needs.values().map(Vec::len).sum();
            let mut parts = Vec::new();
            if let Some(i) = &facts.interpreter {
                parts.push(format!("the loader {i}"));
            }
            parts.push(plural(facts.needed.len(), "DT_NEEDED library", "DT_NEEDED libraries"));
            parts.push(plural(versions, "symbol version", "symbol versions"));
            let last = parts.pop().unwrap_or_default();
            format!(
                "{}-{} has everything it needs: {} and {last}",
                chosen.variant,
                chosen.generation,
                parts.join(", ")
            )
        }
    });
    Some(Recommendation {
        image: chosen.image.clone(),
        variant: chosen.variant.clone(),
        generation: chosen.generation.clone(),
        platform: chosen.platform.clone(),
        reasons,
    })
}

/// When no image runs the binary: how to make it run, one line each, from
/// the problems of the largest image of the `target` generation (which
/// holds every library any image of it has).
pub fn fixes(verdicts: &[ImageVerdict], target: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in verdicts
        .iter()
        .rfind(|v| v.generation == target)
        .into_iter()
        .flat_map(|v| &v.problems)
    {
        if !p.fix.is_empty() && !out.contains(&p.fix) {
            out.push(p.fix.clone());
        }
    }
    out
}

/// Warnings about a Go binary: why cgo got in and how to remove it (with
/// the image that fits afterwards), and a cgo-only module built without
/// cgo.
pub fn go_warnings(go: &GoFacts, facts: &ElfFacts, rec: Option<&Recommendation>, target: &str) -> Vec<String> {
    let mut out = Vec::new();
    let static_image = format!("gcr.io/distroless/static-{target}");
    if go.cgo {
        let std_pkgs: Vec<&str> = go
            .cgo_packages
            .iter()
            .map(String::as_str)
            .filter(|p| matches!(*p, "net" | "os/user"))
            .collect();
        let own: Vec<&str> = go
            .cgo_packages
            .iter()
            .map(String::as_str)
            .filter(|p| !matches!(*p, "net" | "os/user"))
            .collect();
        let mut why: Vec<String> = std_pkgs
            .iter()
            .map(|p| match *p {
                "net" => "net (its cgo DNS resolver, net._C2func_getaddrinfo)".to_string(),
                _ => "os/user (its cgo user and group lookups)".to_string(),
            })
            .collect();
        why.extend(own.iter().map(|p| format!("{p} (import \"C\")")));
        let pulled = if why.is_empty() {
            String::new()
        } else {
            format!(", pulled in by {}", why.join(" and "))
        };
        let is_static = matches!(facts.linkage, Linkage::Static | Linkage::StaticPie);
        let fix = if own.is_empty() && !std_pkgs.is_empty() {
            format!(
                "build with CGO_ENABLED=0 (or -tags netgo,osusergo) for Go's pure resolver and user lookups, and it runs on {static_image}"
            )
        } else if own.is_empty() {
            format!("build with CGO_ENABLED=0 and it runs on {static_image}")
        } else if std_pkgs.is_empty() {
            format!(
                "{} needs its C code, so keep cgo{}",
                own.join(", "),
                rec.map(|r| format!(" and {}", r.image)).unwrap_or_default()
            )
        } else {
            format!(
                "-tags netgo,osusergo removes the cgo of {}, but {} needs its C code, so keep cgo{}",
                std_pkgs.join(" and "),
                own.join(", "),
                rec.map(|r| format!(" and {}", r.image)).unwrap_or_default()
            )
        };
        if is_static {
            out.push(format!(
                "cgo is linked in statically{pulled}: it needs no loader, but C code in a static Go binary is fragile; {fix}"
            ));
        } else {
            out.push(format!(
                "cgo is linked in{pulled}, so it needs glibc's loader and libc and cannot run on static: {fix}"
            ));
        }
    }
    if go.cgo_enabled_setting.as_deref() == Some("0") {
        for m in go.deps.iter().filter(|d| CGO_ONLY_MODULES.contains(&d.path.as_str())) {
            out.push(format!(
                "{} needs cgo, but this binary was built with CGO_ENABLED=0: it contains the module's stub, which fails at first use; build with CGO_ENABLED=1 (then it needs base-nossl or larger)",
                m.path
            ));
        }
    }
    out
}

/// When the recommended image's generation is no longer built: which
/// maintained image to move to, or that none runs the binary.
pub fn frozen_warning(rec: Option<&Recommendation>, verdicts: &[ImageVerdict], catalog: &Catalog) -> Option<String> {
    let rec = rec?;
    let generation = catalog.generation(&rec.generation).filter(|g| !g.supported)?;
    let since = generation.removed_date.unwrap_or("unknown");
    let maintained = verdicts
        .iter()
        .find(|v| v.runs && catalog.generation(&v.generation).is_some_and(|g| g.supported));
    Some(match maintained {
        Some(v) => format!(
            "{} images are no longer built or patched (frozen since {since}): prefer {}",
            rec.generation, v.image
        ),
        None => format!(
            "{} images are no longer built or patched (frozen since {since}), and no maintained image runs this binary",
            rec.generation
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(variant: &str, generation: &str, runs: bool) -> ImageVerdict {
        ImageVerdict {
            image: format!("gcr.io/distroless/{variant}-{generation}"),
            variant: variant.into(),
            generation: generation.into(),
            platform: "linux/amd64".into(),
            runs,
            problems: if runs {
                vec![]
            } else {
                vec![Problem {
                    kind: "library_missing",
                    explanation: format!("needs libssl.so.1.1, which {variant}-{generation} does not have"),
                    library: Some("libssl.so.1.1".into()),
                    ..Default::default()
                }]
            },
        }
    }

    /// An OpenSSL 1.1 program runs only on base/cc of debian11: asked for
    /// debian12, the older generation is still better than nothing.
    #[test]
    fn falls_back_to_an_older_generation() {
        let facts = crate::analyze(&std::fs::read("testdata/bin/c-dynamic").unwrap(), &Default::default())
            .elf
            .unwrap();
        let mut verdicts = Vec::new();
        for g in GENERATIONS {
            for v in VARIANTS {
                verdicts.push(verdict(v, g, g == "debian11" && (v == "base" || v == "cc")));
            }
        }
        let rec = recommend(&facts, &verdicts, "debian12").unwrap();
        assert_eq!(rec.image, "gcr.io/distroless/base-debian11");
        assert_eq!(
            rec.reasons[0],
            "no debian12 image runs it: needs libssl.so.1.1, which cc-debian12 does not have"
        );
        assert_eq!(
            rec.reasons[1],
            "no debian13 image runs it: needs libssl.so.1.1, which cc-debian13 does not have"
        );
        assert_eq!(
            rec.reasons[2],
            "debian11 is the newest generation that runs it, though older than debian12"
        );
        let warning = frozen_warning(Some(&rec), &verdicts, Catalog::embedded()).unwrap();
        assert!(
            warning.ends_with("and no maintained image runs this binary"),
            "{warning}"
        );
    }
}

/// The verdict for the one image of `--image` (JSON `image_check`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageCheck {
    /// The reference as given.
    pub requested: String,
    /// What it resolves to, `gcr.io/distroless/base-debian13:nonroot` or `scratch`.
    pub image: String,
    /// The platform judged, `linux/amd64`.
    pub platform: String,
    /// Whether the binary starts there.
    pub runs: bool,
    /// What the container prints when it does not: the first failure, as
    /// the kernel, the container runtime or glibc's loader words it.
    pub crash: Option<String>,
    /// Every problem, in the order the kernel and the loader meet them.
    pub problems: Vec<Problem>,
    /// Worth knowing: a floating tag, a frozen generation, files missing
    /// from scratch, the `:debug` shell.
    pub warnings: Vec<String>,
}

/// Judge the binary against the image of `--image`.
pub fn check_image(
    facts: &ElfFacts,
    go: Option<&GoFacts>,
    catalog: &Catalog,
    image: &crate::images::ImageRef,
    platform: Option<&str>,
    recommendation: Option<&Recommendation>,
) -> ImageCheck {
    let own = facts.platform();
    let platform = platform.unwrap_or(&own).to_string();
    let mut warnings = Vec::new();
    let problems = match (&image.variant, &image.generation) {
        (Some(v), Some(g)) => {
            let verdicts = judge_all(facts, catalog, Some(&platform));
            let problems = verdicts
                .into_iter()
                .find(|x| x.variant == *v && x.generation == *g)
                .map(|x| x.problems)
                .unwrap_or_default();
            if image.floating {
                warnings.push(format!(
                    "{} has no generation in its name: it follows distroless's default, {g} today, and will move; pin gcr.io/distroless/{v}-{g}",
                    image.given
                ));
            }
            if let Some(frozen) = catalog.generation(g).filter(|x| !x.supported) {
                warnings.push(format!(
                    "{g} images are no longer built or patched (frozen since {})",
                    frozen.removed_date.unwrap_or("unknown")
                ));
            }
            problems
        }
        _ => {
            let mut problems = Vec::new();
            if platform != own {
                problems.push(Problem {
                    kind: "wrong_architecture",
                    message: format!("exec {PROGRAM}: exec format error"),
                    explanation: format!("built for {own}, but the image is {platform}"),
                    fix: format!("rebuild for {platform}"),
                    ..Default::default()
                });
            } else if !matches!(facts.linkage, Linkage::Static | Linkage::StaticPie) {
                problems.push(Problem {
                    kind: "interpreter_missing",
                    message: format!("exec {PROGRAM}: no such file or directory"),
                    explanation: format!(
                        "PT_INTERP {} is not in the image (scratch is empty): the kernel cannot start the loader and reports \"no such file or directory\" for the program, which is there",
                        facts.interpreter.as_deref().unwrap_or_default()
                    ),
                    fix: match recommendation {
                        Some(r) => format!("FROM {}", r.image),
                        None => "link it statically".to_string(),
                    },
                    ..Default::default()
                });
            }
            for f in go.map(|g| g.runtime_files.as_slice()).unwrap_or_default() {
                warnings.push(format!(
                    "scratch has no {}: {} ({}); gcr.io/distroless/static has it",
                    f.path, f.reason, f.package
                ));
            }
            problems
        }
    };
    let runs = problems.is_empty();
    let crash = problems.first().map(|first| {
        if first.kind == "version_missing" {
            problems
                .iter()
                .filter(|p| p.kind == "version_missing")
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            first.message.clone()
        }
    });
    if !runs && image.variant.is_some() && !image.tag.starts_with("debug") {
        warnings.push(format!(
            "to look around inside, the :debug tag adds a busybox shell: docker run --rm -it --entrypoint=/busybox/sh {}:debug",
            image.resolved().split(':').next().unwrap_or_default()
        ));
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
