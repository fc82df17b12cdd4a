//! The gate: what a CI pipeline acts on. Each report gives [`Finding`]s
//! (a rule of [`rules`], a level, a message, where), and the findings and
//! the reports' outcomes give the exit status ([`Status`]).
//!
//! A finding is made from typed data only: a problem's
//! [`ProblemKind`](crate::verdict::ProblemKind), a warning's
//! [`WarningKind`](crate::verdict::WarningKind), an error's
//! [`Error::kind`](crate::Error::kind), a Dockerfile finding's rule.

pub mod rules;

use serde::Serialize;

use crate::dockerfile::Severity;
use crate::report::{BinaryReport, ImageReport, Report};
use crate::verdict::{Problem, ProblemKind, Warning, WarningKind};

pub use rules::{RuleInfo, rule, rules};

/// How serious a finding is, as SARIF names levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Information: what an image is built on, no data to decide.
    Note,
    /// Worth knowing; fails the gate with `--fail-on warning`.
    Warning,
    /// The program will not start, the build fails, or the input cannot be
    /// judged. The default level a gate fails on.
    #[default]
    Error,
}

impl From<Severity> for Level {
    fn from(s: Severity) -> Level {
        match s {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
            Severity::Info => Level::Note,
        }
    }
}

/// One thing a gate may act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule id (`problem/library_missing`, `warning/cgo`,
    /// `input/malformed_elf`, `dockerfile/shell-form`): see [`rules`].
    pub rule: String,
    /// How serious it is.
    pub level: Level,
    /// What happens, in one line (what the container prints, when known).
    pub message: String,
    /// The input it is about, as given.
    pub path: String,
    /// 1-based line of a Dockerfile instruction.
    pub line: Option<usize>,
    /// 1-based column of that instruction.
    pub column: Option<usize>,
    /// How to fix it, when there is one way.
    pub fix: Option<String>,
}

impl Finding {
    fn at(path: &str, rule: String, level: Level, message: String, fix: Option<String>) -> Finding {
        Finding {
            rule,
            level,
            message,
            path: path.to_string(),
            line: None,
            column: None,
            fix,
        }
    }
}

/// The findings of one report, errors first.
pub fn findings(report: &Report) -> Vec<Finding> {
    let mut out = match report {
        Report::Binary(b) => binary(b),
        Report::Image(i) => image(i),
        Report::Dockerfile(d) => d
            .check
            .findings
            .iter()
            .map(|f| Finding {
                rule: format!("dockerfile/{}", f.rule.id()),
                level: f.rule.severity().into(),
                message: f
                    .output
                    .clone()
                    .map_or_else(|| f.message.clone(), |o| format!("{}: {o}", f.message)),
                path: d.path.clone(),
                line: (f.at.line > 0).then_some(f.at.line),
                column: (f.at.line > 0).then_some(f.at.column),
                fix: (!f.fix.is_empty()).then(|| f.fix.clone()),
            })
            .collect(),
        Report::Failure(f) => vec![Finding::at(
            &f.path,
            format!("input/{}", f.error.kind()),
            Level::Error,
            f.error.to_string(),
            None,
        )],
    };
    out.sort_by_key(|f| std::cmp::Reverse(f.level));
    out
}

/// The problems as findings: errors, except no data (a note: dlcheck
/// cannot decide). The first says what the container prints: the start
/// stops there.
fn problems(path: &str, list: &[Problem]) -> Vec<Finding> {
    list.iter().enumerate().map(|(i, p)| problem(path, p, i == 0)).collect()
}

fn problem(path: &str, p: &Problem, first: bool) -> Finding {
    let level = match p.kind {
        ProblemKind::NoData { .. } => Level::Note,
        _ => Level::Error,
    };
    let message = match p.message.lines().next() {
        Some(printed) if first && !printed.is_empty() => format!("{}: it prints \"{printed}\"", p.explanation),
        _ => p.explanation.clone(),
    };
    let fix = (!p.fix.is_empty()).then(|| p.fix.clone());
    Finding::at(path, format!("problem/{}", p.kind.name()), level, message, fix)
}

fn warning(path: &str, w: &Warning, image_given: bool) -> Finding {
    let name = serde_json::to_value(w.kind).ok();
    let name = name.as_ref().and_then(|v| v.as_str()).unwrap_or("other");
    Finding::at(
        path,
        format!("warning/{name}"),
        level(w.kind, image_given),
        w.message.clone(),
        None,
    )
}

/// The level of a warning of a binary's report: [`warning_level`], except
/// that a frozen generation is a note unless the image was given
/// (`--image`): a recommendation from the default generation is not the
/// user's choice to act on.
pub fn level(kind: WarningKind, image_given: bool) -> Level {
    match kind {
        WarningKind::FrozenGeneration if !image_given => Level::Note,
        _ => warning_level(kind),
    }
}

/// The level of a warning: `note` for what explains or informs (the
/// `:debug` shell, a library found beside the program, why newer versions
/// are needed, cgo linked in, a digest, an unread part), `warning` for
/// what may fail at run time or is a risk to act on.
pub fn warning_level(kind: WarningKind) -> Level {
    match kind {
        WarningKind::DebugShell
        | WarningKind::ShippedLibrary
        | WarningKind::NewerVersions
        | WarningKind::Cgo
        | WarningKind::Dlopen
        | WarningKind::DigestPin
        | WarningKind::UnreadPart => Level::Note,
        WarningKind::FrozenGeneration
        | WarningKind::CgoOnlyModule
        | WarningKind::DlopenFails
        | WarningKind::StaticNss
        | WarningKind::CpuLevel
        | WarningKind::Shell
        | WarningKind::ExecutableStack
        | WarningKind::FloatingTag
        | WarningKind::ScratchMissingFile
        | WarningKind::AmbiguousReference => Level::Warning,
    }
}

/// A binary: with `--image`, that image's problems and every warning;
/// without, when no image runs it, the problems of the largest image of
/// its target generation (what even `cc` lacks).
fn binary(b: &BinaryReport) -> Vec<Finding> {
    let mut out: Vec<Finding> = match (&b.image_check, &b.recommendation) {
        (Some(c), _) => problems(&b.path, &c.problems),
        (None, Some(_)) => Vec::new(),
        (None, None) => crate::verdict::recommend::largest(&b.images, &b.distro)
            .map(|v| problems(&b.path, &v.problems))
            .unwrap_or_default(),
    };
    let checked = b.image_check.iter().flat_map(|c| &c.warnings);
    for w in b.warnings.iter().chain(checked) {
        let f = warning(&b.path, w, b.image_check.is_some());
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out
}

/// A container image: the start's problems and warnings.
fn image(i: &ImageReport) -> Vec<Finding> {
    let mut out = problems(&i.path, &i.start.problems);
    out.extend(
        i.start
            .warnings
            .iter()
            .map(|w| Finding::at(&i.path, "warning/image".to_string(), Level::Warning, w.clone(), None)),
    );
    // The programs started: their own warnings (a shell, a dlopen, static
    // NSS), judged against this image.
    for b in i.start.binaries.iter().filter_map(Report::binary) {
        let at = format!("{}:{}", i.path, b.path);
        for w in &b.warnings {
            let f = warning(&at, w, true);
            if f.level > Level::Note && !out.contains(&f) {
                out.push(f);
            }
        }
    }
    for c in i.start.all.iter().filter(|c| !c.loads) {
        out.extend(problems(&format!("{}:{}", i.path, c.path), &c.problems));
    }
    out
}

/// How one report stands at the gate: the one rule that both the exit
/// status ([`Status`]) and a set's failure counts follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// The report's own exit status: 0 passes, 1 a program that will not
    /// start, 3 to 6 an input error ([`Report::exit_code`]).
    pub code: u8,
    /// A program that fails the gate: status 1, or a warning when warnings
    /// fail (`--fail-on warning`).
    pub fails: bool,
    /// The rule it fails under: its first error, else (when warnings fail)
    /// its first warning, else its first finding; `other` when it fails
    /// with none. `None` when it passes.
    pub rule: Option<String>,
}

/// How `report` stands at the gate when findings of `fail_on` and worse
/// fail it. Its findings are only made when it may fail: a passing report
/// at the default level costs nothing.
pub fn standing(report: &Report, fail_on: Level) -> Standing {
    let code = report.exit_code();
    let warnings_fail = fail_on == Level::Warning;
    if code == 0 && !warnings_fail {
        return Standing {
            code,
            fails: false,
            rule: None,
        };
    }
    let findings = findings(report);
    let warned = warnings_fail && findings.iter().any(|f| f.level == Level::Warning);
    let first = findings
        .iter()
        .find(|f| f.level == Level::Error)
        .or_else(|| findings.iter().find(|f| warnings_fail && f.level == Level::Warning))
        .or(findings.first().filter(|_| code != 0));
    let rule = match first {
        Some(f) => Some(f.rule.clone()),
        None if code != 0 => Some("other".to_string()),
        None => None,
    };
    Standing {
        code,
        fails: code == 1 || warned,
        rule,
    }
}

/// The exit status of a run, built report by report (see README.md,
/// "Exit status"):
///
/// - 0: every input passes the gate;
/// - 1: a program will not start (no image runs it, the image of `--image`
///   or the container image does not start it, a Dockerfile's build or
///   start fails), or with `--fail-on warning` there is a warning;
/// - 3, 4, 5, 6: the worst input outcome that is not a verdict (3 cannot
///   be read, 4 not a Linux program, 5 malformed, 6 no data to decide);
/// - 8 + that (11 to 14): both: an input error and a program that will not
///   start, so an unreadable path never hides a failing binary.
///
/// Usage errors (2) are clap's, before any report.
#[derive(Debug, Clone, Copy)]
pub struct Status {
    fail_on: Level,
    failed: bool,
    worst: u8,
}

impl Status {
    /// A status that fails on findings of `fail_on` and worse.
    pub fn new(fail_on: Level) -> Status {
        Status {
            fail_on,
            failed: false,
            worst: 0,
        }
    }

    /// Count one report.
    pub fn add(&mut self, report: &Report) {
        self.count(&standing(report, self.fail_on));
    }

    /// Count one report's standing (made at this status's level).
    pub fn count(&mut self, standing: &Standing) {
        if standing.code > 1 {
            self.worst = self.worst.max(standing.code);
        }
        self.failed |= standing.fails;
    }

    /// The exit status.
    pub fn code(&self) -> u8 {
        match (self.worst, self.failed) {
            (0, false) => 0,
            (0, true) => 1,
            (w, false) => w,
            (w, true) => w + 8,
        }
    }
}
