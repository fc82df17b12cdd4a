//! Which image to recommend, and why; and, when none runs the binary, how
//! to make it run.

use serde::Serialize;

use super::judge::ImageVerdict;
use super::problem::{Problem, Remedy};
use crate::catalog::{self, Catalog, GENERATIONS};
use crate::elf::{ElfFacts, Kind, Linkage};

/// The recommended image (JSON `recommendation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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

/// `1 thing`, `3 things`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The largest image's verdict of `generation`: cc holds every library of
/// its generation, so its problems are the ones no image of the generation
/// can get past.
pub fn largest<'v>(verdicts: &'v [ImageVerdict], generation: &str) -> Option<&'v ImageVerdict> {
    verdicts.iter().rfind(|v| v.generation == generation)
}

/// Pick the smallest image of the `target` generation that runs the
/// binary; if none does, the smallest of the next generation in
/// [`catalog::search_order`] that does. `None` when no image runs it.
pub fn recommend(facts: &ElfFacts, verdicts: &[ImageVerdict], target: &str) -> Option<Recommendation> {
    let target_idx = GENERATIONS.iter().position(|g| *g == target)?;
    let mut reasons = Vec::new();
    let mut chosen = None;
    for g in catalog::search_order(target) {
        if let Some(v) = verdicts.iter().find(|v| v.generation == g && v.runs) {
            chosen = Some(v);
            break;
        }
        let blockers: Vec<&str> = largest(verdicts, g)
            .iter()
            .flat_map(|v| v.problems.iter().map(|p| p.explanation.as_str()))
            .collect();
        // Without data on the generation, it is not known that none runs it.
        if largest(verdicts, g).is_some_and(ImageVerdict::no_data) {
            reasons.push(format!("{g}: {}", blockers.join("; ")));
        } else {
            reasons.push(format!("no {g} image runs it: {}", blockers.join("; ")));
        }
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
    reasons.push(why_it_fits(facts, chosen));
    Some(Recommendation {
        image: chosen.image.clone(),
        variant: chosen.variant.clone(),
        generation: chosen.generation.clone(),
        platform: chosen.platform.clone(),
        reasons,
    })
}

/// The last reason: what the chosen image gives the binary.
fn why_it_fits(facts: &ElfFacts, chosen: &ImageVerdict) -> String {
    match facts.linkage {
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
            let what = if facts.kind == Kind::SharedLibrary {
                "a dynamic loader and everything the library needs"
            } else {
                "everything it needs"
            };
            format!(
                "{}-{} has {what}: {} and {last}",
                chosen.variant,
                chosen.generation,
                parts.join(", ")
            )
        }
    }
}

/// When no image runs the binary: how to make it run. Only fixes that work
/// are given: a fix that moves to another image cannot help when no image
/// runs it. The closest image is the first, in [`catalog::search_order`]
/// and smallest first, whose problems all go away without changing image
/// (a library copied in, the program rebuilt static, its loader path
/// patched); its fixes are given in one line, with that image when it is
/// needed too. Without such an image: the fixes of the largest image of the
/// `target` generation that do not move to another image.
pub fn fixes(verdicts: &[ImageVerdict], target: &str, catalog: &Catalog) -> Vec<String> {
    let closest = catalog::search_order(target).find_map(|g| {
        verdicts
            .iter()
            .filter(|v| v.generation == g)
            .find(|v| !v.problems.is_empty() && v.problems.iter().all(|p| fixable_in(p, v, catalog)))
    });
    let Some(v) = closest else {
        let problems = largest(verdicts, target)
            .map(|v| v.problems.as_slice())
            .unwrap_or_default();
        return distinct_fixes(problems.iter().filter(|p| !matches!(p.remedy, Remedy::Image(_))));
    };
    let texts = distinct_fixes(v.problems.iter());
    // A static rebuild or a rebuild for another platform names its image
    // itself; anything else still needs this image.
    let own_image = v
        .problems
        .iter()
        .any(|p| matches!(p.remedy, Remedy::Static | Remedy::Rebuild));
    let mut line = texts.join("; and ");
    if !own_image {
        line = format!("{line}; and FROM {}", v.image);
    }
    if texts.len() > 1 || !own_image {
        line.push_str(" (all of these are needed)");
    }
    let mut out = vec![line];
    // A patched loader path keeps the program dynamic; linking it
    // statically is the other way out.
    if v.problems.iter().any(|p| p.remedy == Remedy::Interpreter) {
        out.push(format!(
            "or link it statically (gcc -static; Go: CGO_ENABLED=0) and use gcr.io/distroless/static-{target}"
        ));
    }
    out
}

/// Whether a problem of verdict `v` goes away without moving to another
/// image: a library put in, a static or another platform's rebuild, a
/// patched loader path (which needs an image with a loader).
fn fixable_in(p: &Problem, v: &ImageVerdict, catalog: &Catalog) -> bool {
    match p.remedy {
        Remedy::Library | Remedy::Static | Remedy::Rebuild => true,
        Remedy::Interpreter => catalog
            .images
            .iter()
            .find(|i| i.reference == v.image)
            .and_then(|i| i.arch.first())
            .is_some_and(|a| !a.loaders.is_empty()),
        Remedy::Image(_) | Remedy::BuildOn | Remedy::Other => false,
    }
}

/// The fixes of `problems`, each once, in order.
fn distinct_fixes<'p>(problems: impl Iterator<Item = &'p Problem>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in problems {
        if !p.fix.is_empty() && !out.contains(&p.fix) {
            out.push(p.fix.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::{Problem, ProblemKind};

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
                vec![Problem::new(
                    ProblemKind::LibraryMissing {
                        soname: "libssl.so.1.1".into(),
                        needed_by: None,
                    },
                    format!("needs libssl.so.1.1, which {variant}-{generation} does not have"),
                )]
            },
            dlopen_failures: vec![],
        }
    }

    /// An OpenSSL 1.1 program runs only on base/cc of debian11: asked for
    /// debian12, the older generation is still better than nothing.
    #[test]
    fn falls_back_to_an_older_generation() {
        let bytes = std::fs::read("testdata/bin/c-dynamic").unwrap();
        let facts = crate::binary::Binary::read(&bytes).unwrap().elf;
        let mut verdicts = Vec::new();
        for g in GENERATIONS {
            for v in catalog::VARIANTS {
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
        let warning = super::super::warnings::frozen(Some(&rec), &verdicts, catalog::Catalog::embedded()).unwrap();
        assert!(
            warning.ends_with("and no maintained image runs this binary"),
            "{warning}"
        );
    }
}
