//! A set of binaries, as a release ships them: the one image that runs
//! them all. (The libraries shipped beside the programs are found by the
//! loader itself: see [`crate::loader::Shipped`].)

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::{self, VARIANTS};
use crate::elf::Kind;
use crate::report::Report;

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
    /// How many inputs fail the gate, per reason: the rule of each one's
    /// first error (`problem/library_missing`, `input/malformed_elf`; see
    /// README.md, "Rules"), most frequent first.
    pub failures: Vec<FailureCount>,
}

/// How many inputs of a set fail for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FailureCount {
    /// The rule id of the first error.
    pub rule: String,
    /// How many inputs.
    pub count: usize,
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
    let mut set = SetBuilder::default();
    reports.iter().for_each(|r| set.add(r));
    set.finish(skipped, target)
}

/// A [`Summary`] built as reports stream by, holding counts and, for each
/// image, the first executable that it does not run: never the reports.
#[derive(Debug, Default)]
pub struct SetBuilder {
    summary: Summary,
    /// The level that fails the gate (errors by default).
    fail_on: crate::gate::Level,
    /// Rule id → inputs failing first with it.
    failures: BTreeMap<String, usize>,
    /// (variant, generation) → the first executable it does not run.
    blockers: BTreeMap<(&'static str, &'static str), SetReason>,
}

impl SetBuilder {
    /// A builder whose `failures` count the inputs that fail the gate at
    /// `fail_on` (see [`crate::gate::Status`]).
    pub fn new(fail_on: crate::gate::Level) -> SetBuilder {
        SetBuilder {
            fail_on,
            ..SetBuilder::default()
        }
    }

    /// Count `r` in, in the order reports are given.
    pub fn add(&mut self, r: &Report) {
        let standing = crate::gate::standing(r, self.fail_on);
        self.add_standing(r, &standing);
    }

    /// Count `r` in, with its standing at the gate already made (at this
    /// builder's level): a failing one under its rule.
    pub fn add_standing(&mut self, r: &Report, standing: &crate::gate::Standing) {
        if r.error().is_some() {
            self.summary.errors += 1;
        }
        if let Some(rule) = &standing.rule {
            *self.failures.entry(rule.clone()).or_default() += 1;
        }
        let Some(b) = r.binary() else { return };
        if b.elf.kind == Kind::SharedLibrary {
            self.summary.libraries += 1;
            return;
        }
        self.summary.executables += 1;
        if !b.images.iter().any(|v| v.runs) {
            self.summary.unrunnable.push(b.path.clone());
        }
        for g in catalog::GENERATIONS {
            for v in VARIANTS {
                let key = (v, g);
                if self.blockers.contains_key(&key) {
                    continue;
                }
                let (runs, why) = b
                    .images
                    .iter()
                    .find(|x| x.variant == v && x.generation == g)
                    .map(|x| {
                        (
                            x.runs,
                            x.problems.first().map(|p| p.explanation.clone()).unwrap_or_default(),
                        )
                    })
                    .unwrap_or((false, "no verdict for this image".to_string()));
                if !runs {
                    let image = format!("gcr.io/distroless/{v}-{g}");
                    self.blockers.insert(
                        key,
                        SetReason {
                            image,
                            path: b.path.clone(),
                            why,
                        },
                    );
                }
            }
        }
    }

    /// The summary, with `skipped` files, recommending from `target`.
    pub fn finish(mut self, skipped: usize, target: &str) -> Summary {
        let mut s = std::mem::take(&mut self.summary);
        s.skipped = skipped;
        s.failures = std::mem::take(&mut self.failures)
            .into_iter()
            .map(|(rule, count)| FailureCount { rule, count })
            .collect();
        s.failures
            .sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.rule.cmp(&b.rule)));
        if s.executables == 0 {
            return s;
        }
        for g in catalog::search_order(target) {
            let mut reasons = Vec::new();
            for v in VARIANTS {
                match self.blockers.remove(&(v, g)) {
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
}
