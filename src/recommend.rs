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

/// One reason an image cannot run the binary (JSON `images[].problems[]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `interpreter_missing`, `library_missing`, `version_missing`,
    /// `wrong_os`, `unsupported_platform` or `no_data`.
    pub kind: &'static str,
    /// One line for a person.
    pub message: String,
    /// The library concerned (the missing soname, or the library lacking
    /// versions), when there is one.
    pub library: Option<String>,
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
/// its own platform, in generation then size order.
pub fn judge_all(facts: &ElfFacts, catalog: &Catalog) -> Vec<ImageVerdict> {
    GENERATIONS
        .iter()
        .flat_map(|g| VARIANTS.iter().map(move |v| (*g, *v)))
        .filter_map(|(g, v)| Some(judge(facts, catalog, catalog.image(v, g)?)))
        .collect()
}

/// Judge the binary against one image.
pub fn judge(facts: &ElfFacts, catalog: &Catalog, image: &Image) -> ImageVerdict {
    let arch = oci_arch(&facts.machine);
    let platform = facts.platform();
    let mut problems = Vec::new();
    let name = short_name(image);
    let generation = &catalog.generations[&image.generation];
    if facts.os != "linux" {
        problems.push(Problem {
            kind: "wrong_os",
            message: format!("built for {}, not Linux: rebuild for linux/{arch}", facts.os),
            ..Default::default()
        });
    } else if !generation.built_architectures.iter().any(|a| a == arch) {
        problems.push(Problem {
            kind: "unsupported_platform",
            message: format!("distroless publishes no {} images for linux/{arch}", image.generation),
            ..Default::default()
        });
    } else if !matches!(facts.linkage, Linkage::Static | Linkage::StaticPie) {
        match image.arch.get(arch) {
            None => problems.push(Problem {
                kind: "no_data",
                message: format!("dlcheck has no data on the libraries of {name} for linux/{arch}"),
                ..Default::default()
            }),
            Some(contents) => check_dynamic(facts, catalog, image, contents, &mut problems),
        }
    }
    ImageVerdict {
        image: image.reference.clone(),
        variant: image.variant.clone(),
        generation: image.generation.clone(),
        platform,
        runs: problems.is_empty(),
        problems,
    }
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
    if let Some(interp) = facts
        .interpreter
        .as_ref()
        .filter(|i| !contents.loaders.contains_key(*i))
    {
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
            message: format!(
                "PT_INTERP {interp} is not in the image ({why}); exec fails with \"no such file or directory\""
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
        if contents.sonames.contains_key(&soname) {
            if let Some(lib) = catalog.library(&image.generation, arch, &soname) {
                queue.extend(lib.needed.iter().map(|n| (n.clone(), Some(soname.clone()))));
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
                    .image(v, &image.generation)
                    .and_then(|i| i.arch.get(arch))
                    .is_some_and(|a| a.sonames.contains_key(&soname))
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
            message,
            library: Some(soname),
        });
    }
    // Libraries glibc itself loads at run time for functions the binary imports.
    for load in &facts.runtime_loads {
        if !contents.sonames.contains_key(&load.library) {
            problems.push(Problem {
                kind: "runtime_library_missing",
                message: format!("{}, and {name} does not have {}", load.reason, load.library),
                library: Some(load.library.clone()),
            });
        }
    }
    // Symbol versions, checked against each library's own definitions.
    for (lib, versions) in &facts.version_needs {
        if !contents.sonames.contains_key(lib) {
            continue;
        }
        let Some(defs) = catalog.library(&image.generation, arch, lib) else {
            continue;
        };
        let missing: Vec<&str> = versions
            .iter()
            .filter(|v| !defs.verdefs.contains(v))
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
            message,
            library: Some(lib.clone()),
        });
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
            .flat_map(|v| v.problems.iter().map(|p| p.message.as_str()))
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
            reasons.push(format!("not {}-{}: {}", smaller.variant, smaller.generation, p.message));
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

/// When no image runs the binary: how to make it run, simplest first, one
/// line each, from the problems of the largest image of the `target`
/// generation (which holds every library any image of it has).
pub fn fixes(facts: &ElfFacts, verdicts: &[ImageVerdict], target: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Some(cc) = verdicts.iter().rfind(|v| v.generation == target) else {
        return out;
    };
    let arch = oci_arch(&facts.machine);
    let musl = facts.libc == crate::elf::Libc::Musl;
    for p in &cc.problems {
        let lib = p.library.as_deref().unwrap_or_default();
        let fix = match p.kind {
            "wrong_os" => format!("rebuild for Linux (Go: GOOS=linux GOARCH={arch})"),
            "unsupported_platform" if arch == "386" => {
                "rebuild as a 64-bit program (drop -m32; Go: GOARCH=amd64): distroless has no 32-bit x86 images".to_string()
            }
            "unsupported_platform" => format!("rebuild for linux/amd64 or linux/arm64: distroless has no {target} images for linux/{arch}"),
            "no_data" => format!(
                "dlcheck knows the libraries of the amd64 and arm64 images only; distroless does publish linux/{arch} images: check one by running the binary in it"
            ),
            "interpreter_missing" if musl => format!(
                "link it statically against musl (musl-gcc -static; Rust: --target {}-unknown-linux-musl) and use gcr.io/distroless/static-{target}",
                facts.machine
            ),
            "interpreter_missing" => format!(
                "the loader {} is in no image: link statically, or build against glibc with its standard loader",
                facts.interpreter.as_deref().unwrap_or_default()
            ),
            // Linking musl statically also removes musl's libc.so.
            "library_missing" if musl => continue,
            "library_missing" if lib.starts_with("libssl.so.1") || lib.starts_with("libcrypto.so.1") => {
                format!("rebuild against OpenSSL 3 (libssl.so.3 is in gcr.io/distroless/base-{target} for debian12 and later), or ship {lib}")
            }
            "library_missing" => match facts.runpath.as_ref().or(facts.rpath.as_ref()) {
                Some(path) => format!("COPY {lib} into the image, into a directory of the binary's RUNPATH/RPATH ({path}), or link it statically"),
                None => format!(
                    "COPY {lib} into the image beside the binary and link with -Wl,-rpath,'$ORIGIN', or link it statically"
                ),
            },
            "runtime_library_missing" => format!("use a cc image (it has {lib}), or COPY {lib} into the image"),
            "version_missing" => "build on the Debian generation you deploy to (or older), so that it needs only symbol versions that generation has".to_string(),
            _ => continue,
        };
        if !out.contains(&fix) {
            out.push(fix);
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
    let generation = catalog.generations.get(&rec.generation).filter(|g| !g.supported)?;
    let since = generation.removed_date.as_deref().unwrap_or("unknown");
    let maintained = verdicts
        .iter()
        .find(|v| v.runs && catalog.generations.get(&v.generation).is_some_and(|g| g.supported));
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
                    message: format!("needs libssl.so.1.1, which {variant}-{generation} does not have"),
                    library: Some("libssl.so.1.1".into()),
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
