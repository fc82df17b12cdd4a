//! A set of binaries, as a release ships them: the one image that runs
//! them all ([`summarize`]), and the shared libraries shipped beside the
//! programs that find them through DT_RUNPATH/DT_RPATH ([`link_shipped`]).
//!
//! Both work on the per-binary reports of [`crate::recommend`]; the loader
//! rules followed are glibc's `elf/dl-load.c` (`$ORIGIN` expansion,
//! DT_RUNPATH before the default directories).

use serde::Serialize;

use crate::images::{GENERATIONS, VARIANTS};
use crate::recommend::{fixes, recommend};

/// The answer for a set of binaries (JSON `summary`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Executables judged.
    pub executables: usize,
    /// Shared libraries judged.
    pub libraries: usize,
    /// Paths that could not be judged (unreadable, malformed).
    pub errors: usize,
    /// Files a scan passed over (not ELF programs or libraries).
    pub skipped: usize,
    /// The smallest image that runs every executable, or `null`.
    pub image: Option<String>,
    /// Its variant.
    pub variant: Option<String>,
    /// Its generation.
    pub generation: Option<String>,
    /// Why not each smaller image or skipped generation: which binary forces
    /// each step up.
    pub reasons: Vec<SetReason>,
    /// Executables that no image runs.
    pub unrunnable: Vec<String>,
}

/// One step up for a set: `image` is ruled out by `path` because of `why`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetReason {
    /// The image (or generation) ruled out, `gcr.io/distroless/base-debian12`.
    pub image: String,
    /// The binary that rules it out.
    pub path: String,
    /// Its first problem there.
    pub why: String,
}

/// The smallest single image that runs every executable in `reports`: the
/// `target` generation first, then newer ones, then older ones.
pub fn summarize(reports: &[crate::Report], skipped: usize, target: &str) -> Summary {
    let exes: Vec<&crate::Report> = reports
        .iter()
        .filter(|r| r.error.is_none() && r.elf.as_ref().is_some_and(|e| e.kind == crate::elf::Kind::Executable))
        .collect();
    let mut s = Summary {
        executables: exes.len(),
        libraries: reports
            .iter()
            .filter(|r| {
                r.elf
                    .as_ref()
                    .is_some_and(|e| e.kind == crate::elf::Kind::SharedLibrary)
            })
            .count(),
        errors: reports.iter().filter(|r| r.error.is_some()).count(),
        skipped,
        unrunnable: exes
            .iter()
            .filter(|r| !r.images.iter().any(|v| v.runs))
            .map(|r| r.path.clone())
            .collect(),
        ..Summary::default()
    };
    if exes.is_empty() {
        return s;
    }
    let Some(target_idx) = GENERATIONS.iter().position(|g| *g == target) else {
        return s;
    };
    let verdict = |r: &crate::Report, v: &str, g: &str| {
        r.images
            .iter()
            .find(|x| x.variant == v && x.generation == g)
            .map(|x| {
                (
                    x.runs,
                    x.problems.first().map(|p| p.explanation.clone()).unwrap_or_default(),
                )
            })
            .unwrap_or((false, "no verdict for this image".to_string()))
    };
    let order = GENERATIONS[target_idx..]
        .iter()
        .chain(GENERATIONS[..target_idx].iter().rev());
    for g in order {
        let mut reasons = Vec::new();
        for v in VARIANTS {
            let blocker = exes.iter().find_map(|r| {
                let (runs, why) = verdict(r, v, g);
                (!runs).then(|| SetReason {
                    image: format!("gcr.io/distroless/{v}-{g}"),
                    path: r.path.clone(),
                    why,
                })
            });
            match blocker {
                Some(b) => reasons.push(b),
                None => {
                    s.image = Some(format!("gcr.io/distroless/{v}-{g}"));
                    s.variant = Some(v.to_string());
                    s.generation = Some(g.to_string());
                    s.reasons.extend(reasons);
                    return s;
                }
            }
        }
        // No image of this generation runs them all: keep the largest one's
        // blocker as the reason the generation was passed over.
        s.reasons.extend(reasons.pop());
    }
    s
}

/// Let shared libraries found in the same scan satisfy DT_NEEDED entries
/// through each binary's DT_RUNPATH (or DT_RPATH), with `$ORIGIN` expanded
/// to the binary's directory, as the loader would once the whole tree is
/// copied into the image. A library that satisfies a need brings its own
/// problems for that image instead. Verdicts, recommendations and fixes of
/// the affected reports are recomputed.
pub fn link_shipped(reports: &mut [crate::Report], target: &str) {
    use std::path::{Component, Path, PathBuf};
    fn normalize(p: &Path) -> PathBuf {
        let mut out = PathBuf::new();
        for c in p.components() {
            match c {
                Component::ParentDir => {
                    out.pop();
                }
                Component::CurDir => {}
                other => out.push(other),
            }
        }
        out
    }
    // (directory, file name or soname) → report index, for shared libraries.
    let mut libs: std::collections::BTreeMap<(PathBuf, String), usize> = Default::default();
    for (i, r) in reports.iter().enumerate() {
        let Some(elf) = r.elf.as_ref().filter(|e| e.kind == crate::elf::Kind::SharedLibrary) else {
            continue;
        };
        let path = Path::new(&r.path);
        let dir = normalize(path.parent().unwrap_or(Path::new("")));
        if let Some(name) = path.file_name() {
            libs.insert((dir.clone(), name.to_string_lossy().into_owned()), i);
        }
        if let Some(so) = &elf.soname {
            libs.entry((dir, so.clone())).or_insert(i);
        }
    }
    if libs.is_empty() {
        return;
    }
    // Libraries first, a few rounds, so that chains of shipped libraries settle.
    for _round in 0..4 {
        let mut changed = false;
        for i in 0..reports.len() {
            let Some(elf) = reports[i].elf.as_ref() else { continue };
            let Some(search) = elf.runpath.as_ref().or(elf.rpath.as_ref()) else {
                continue;
            };
            let origin = normalize(Path::new(&reports[i].path).parent().unwrap_or(Path::new("")));
            let dirs: Vec<PathBuf> = search
                .split(':')
                .filter(|d| !d.is_empty())
                .map(|d| {
                    let d = d.replace("${ORIGIN}", "$ORIGIN");
                    match d.strip_prefix("$ORIGIN") {
                        Some(rest) => normalize(&origin.join(rest.trim_start_matches('/'))),
                        None => normalize(Path::new(&d)),
                    }
                })
                .collect();
            let find = |name: &str| {
                dirs.iter()
                    .find_map(|d| libs.get(&(d.clone(), name.to_string())).copied())
            };
            let mut new_images = reports[i].images.clone();
            let mut shipped = Vec::new();
            for v in &mut new_images {
                let mut problems = Vec::new();
                for p in std::mem::take(&mut v.problems) {
                    let lib = p.library.clone().unwrap_or_default();
                    let direct = p.kind == "library_missing" && p.explanation.starts_with("needs ");
                    match find(&lib).filter(|j| *j != i && direct) {
                        Some(j) => {
                            shipped.push((lib, reports[j].path.clone()));
                            let theirs = reports[j].images.iter().find(|w| w.image == v.image);
                            for q in theirs.into_iter().flat_map(|w| w.problems.iter()) {
                                if q.kind != "interpreter_missing" && !problems.contains(q) {
                                    problems.push(q.clone());
                                }
                            }
                        }
                        None => problems.push(p),
                    }
                }
                v.runs = problems.is_empty();
                v.problems = problems;
            }
            if new_images != reports[i].images {
                changed = true;
                let r = &mut reports[i];
                r.images = new_images;
                shipped.sort();
                shipped.dedup();
                for (lib, path) in shipped {
                    let note = format!("{lib} is shipped beside it, at {path} (found through DT_RUNPATH/DT_RPATH)");
                    if !r.warnings.contains(&note) {
                        r.warnings.push(note);
                    }
                }
                if let Some(elf) = r.elf.as_ref() {
                    r.recommendation = recommend(elf, &r.images, target);
                    r.fixes = if r.recommendation.is_none() {
                        fixes(&r.images, target)
                    } else {
                        Vec::new()
                    };
                }
            }
        }
        if !changed {
            break;
        }
    }
}
