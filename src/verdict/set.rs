//! A set of binaries, as a release ships them: the one image that runs
//! them all. (The libraries shipped beside the programs are found by the
//! loader itself: see [`crate::loader::Shipped`].)

use serde::Serialize;

use crate::catalog::{self, VARIANTS};
use crate::elf::Kind;
use crate::report::{BinaryReport, Report};

/// The answer for a set of binaries (JSON `summary`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SetReason {
    /// The image (or generation) ruled out, `gcr.io/distroless/base-debian12`.
    pub image: String,
    /// The binary that rules it out.
    pub path: String,
    /// Its first problem there.
    pub why: String,
}

/// The smallest single image that runs every executable in `reports`: the
/// `target` generation first, then the others in
/// [`catalog::search_order`].
pub fn summarize(reports: &[Report], skipped: usize, target: &str) -> Summary {
    let binaries = || reports.iter().filter_map(Report::binary);
    let exes: Vec<&BinaryReport> = binaries().filter(|r| r.elf.kind == Kind::Executable).collect();
    let mut s = Summary {
        executables: exes.len(),
        libraries: binaries().filter(|r| r.elf.kind == Kind::SharedLibrary).count(),
        errors: reports.iter().filter(|r| r.error().is_some()).count(),
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
    let verdict = |r: &BinaryReport, v: &str, g: &str| {
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
    for g in catalog::search_order(target) {
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
