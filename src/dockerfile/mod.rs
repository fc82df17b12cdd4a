//! Dockerfile mode: will the image this Dockerfile builds start in its
//! final (distroless) base, told before anything is built.
//!
//! The flow, one module per step:
//! - [`parse`]: the text to stages of typed steps (the `parse-dockerfile`
//!   crate for the syntax; [`words`] for variables and quotes);
//! - [`base`]: what each `FROM` names (distroless, scratch, a stage, a
//!   builder image and its release), from `data/dockerfile.json`;
//! - [`stage`]: each stage replayed (its base's files and config, then
//!   `COPY`/`ADD` placed as BuildKit places them, [`fs`]);
//! - [`check`]: what makes the build fail, and the container's start as
//!   runc does it; [`program`]: the program judged against the image;
//! - [`findings`]: the rules, their ids and severities.
//!
//! Predictions follow BuildKit, the builder of `docker build` since Docker
//! 23 and of `docker buildx`; where the legacy builder differs, the
//! finding says so.

pub mod base;
pub mod check;
pub mod commands;
pub mod findings;
pub mod fs;
pub mod ignore;
pub mod parse;
pub mod program;
pub mod stage;
pub mod words;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use base::Builder;
pub use findings::{Finding, Rule, Severity};
pub use parse::ParseError;

use crate::report::Report;
use fs::Origin;
use stage::{Context, Event, Replayed, Root};

/// The `PATH` BuildKit gives an image that sets none, and distroless's.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// How to read a Dockerfile: `docker build`'s `--target` and
/// `--build-arg`, and the build context.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `--target`: the stage to judge (default: the last).
    pub target: Option<String>,
    /// `--build-arg NAME=VALUE` values.
    pub build_args: BTreeMap<String, String>,
    /// The build context (default: the Dockerfile's directory).
    pub context: Option<PathBuf>,
    /// `--platform`: the platform the build targets (`linux/arm64`);
    /// default: this machine's, as the engine's build does.
    pub platform: Option<String>,
}

/// The build arguments with BuildKit's automatic platform ones added
/// (those the user did not set): `TARGETPLATFORM`, `TARGETOS`,
/// `TARGETARCH`, `TARGETVARIANT` for `target`, `BUILD*` for `build`.
fn with_platform_args(given: &BTreeMap<String, String>, target: &str, build: &str) -> BTreeMap<String, String> {
    let mut out = given.clone();
    for (prefix, platform) in [("TARGET", target), ("BUILD", build)] {
        let mut parts = platform.split('/');
        let (os, arch, variant) = (parts.next(), parts.next(), parts.next());
        for (name, value) in [
            ("PLATFORM", Some(platform)),
            ("OS", os),
            ("ARCH", arch),
            ("VARIANT", Some(variant.unwrap_or_default())),
        ] {
            out.entry(format!("{prefix}{name}"))
                .or_insert_with(|| value.unwrap_or_default().to_string());
        }
    }
    out
}

/// The JSON `dockerfile` object of a report.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Check {
    /// The stage judged: its name, or its index when it has none.
    pub target: String,
    /// Every stage.
    pub stages: Vec<StageInfo>,
    /// What the target stage is built on, ultimately.
    pub base: BaseInfo,
    /// The platform the image is built for (`linux/amd64`): the base's
    /// architecture tag (`:latest-arm64`), else the target stage's
    /// `FROM --platform`, else `--platform`, else this machine's, as the
    /// engine's build chooses.
    pub platform: String,
    /// What the container runs: ENTRYPOINT then CMD, a shell form wrapped
    /// in its shell.
    pub command: Vec<String>,
    /// USER (empty: root).
    pub user: String,
    /// WORKDIR.
    pub workdir: String,
    /// The environment the container gets (the base's and ENV), as
    /// `NAME=value`.
    pub env: Vec<String>,
    /// The findings, by line.
    pub findings: Vec<Finding>,
    /// What building and starting will do.
    pub prediction: Prediction,
    /// The program the command starts, judged against the final image:
    /// the binary given with `--dockerfile`, or a program of the build
    /// context; or the built image given with `--dockerfile`.
    pub program: Option<Report>,
}

/// One stage.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StageInfo {
    /// Index, from 0.
    pub index: usize,
    /// `AS` name, lower-cased.
    pub name: Option<String>,
    /// `FROM`, variables substituted.
    pub from: String,
    /// Line of `FROM`.
    pub line: usize,
    /// The builder image's release, when `FROM` is one dlcheck knows.
    pub builder: Option<Builder>,
}

/// The final image's base.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BaseInfo {
    /// `distroless`, `distroless-unknown` (a distroless image dlcheck has
    /// no data for), `scratch` or `other`.
    pub kind: &'static str,
    /// The reference as written (the root of a chain of stages).
    pub reference: String,
    /// For distroless: what it resolves to,
    /// `gcr.io/distroless/static-debian12:nonroot`.
    pub image: Option<String>,
    /// `static`, `base-nossl`, `base`, `cc`.
    pub variant: Option<String>,
    /// `debian11`, `debian12`, `debian13`.
    pub generation: Option<String>,
    /// `latest`, `nonroot`, `debug`, `debug-nonroot`.
    pub tag: Option<String>,
}

/// What building and starting will do.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Prediction {
    /// `fails`, or `succeeds`: no step dlcheck checks fails (a copy the
    /// builder refuses, a RUN without a shell; what RUN commands do is not
    /// judged).
    pub build: &'static str,
    /// What the builder prints when it fails (the first failure).
    pub build_output: Option<String>,
    /// `starts`, `crashes`, `unknown`, or `not-built` when the build fails.
    pub start: &'static str,
    /// What the container (or docker run) prints when it does not start.
    pub output: Option<String>,
    /// What a `starts` rests on when the program's bytes were not read.
    pub assumes: Option<String>,
}

/// What is joined to the Dockerfile: the program's bytes, or a report
/// already made (a built image or root judged, or a path that could not be
/// read).
pub enum Joined {
    /// A binary given on the command line: its path as shown, and bytes.
    Binary(String, Vec<u8>),
    /// A built image (or root) judged, or why the path could not be.
    Report(Report),
}

impl Check {
    /// 1 when the build fails or the container will not start (an error
    /// finding); else 0; a joined input that could not be read gives its
    /// own code.
    pub fn exit_code(&self) -> u8 {
        let own = u8::from(self.findings.iter().any(|f| f.rule.severity() == Severity::Error));
        let joined = self.program.as_ref().map_or(0, Report::exit_code);
        own.max(joined)
    }
}

/// Whether `path` names a Dockerfile (`Dockerfile`, `Containerfile`,
/// `*.Dockerfile`, `Dockerfile.*`, any case), or `head` (its first bytes)
/// reads as one: text whose first instruction is `FROM`, or `ARG` then
/// `FROM`, after comments and parser directives.
pub fn is_dockerfile(path: &Path, head: &[u8]) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name == "dockerfile"
        || name == "containerfile"
        || name.ends_with(".dockerfile")
        || name.ends_with(".containerfile")
        || name.starts_with("dockerfile.")
        || name.starts_with("containerfile.")
    {
        return true;
    }
    let Ok(text) = std::str::from_utf8(head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head)) else {
        return false;
    };
    let mut words = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().next().unwrap_or_default().to_ascii_uppercase());
    loop {
        match words.next().as_deref() {
            Some("ARG") => continue,
            Some("FROM") => return true,
            _ => return false,
        }
    }
}

/// Check the Dockerfile `text` (read from `path`).
pub fn check(path: &Path, text: &str, settings: &Settings, joined: Option<Joined>) -> Result<Check, ParseError> {
    let host = crate::imagefs::host_platform();
    let wanted = settings.platform.clone().unwrap_or_else(|| host.clone());
    let dockerfile = parse::parse(text, &with_platform_args(&settings.build_args, &wanted, &host))?;
    let dir = settings.context.clone().unwrap_or_else(|| {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf()
    });
    let context = Context {
        ignore: ignore::Ignore::read(&dir, path),
        dir: Some(dir),
        given: settings.context.is_some(),
    };
    let stages = &dockerfile.stages;
    let target = match &settings.target {
        Some(t) => stages
            .iter()
            .position(|s| s.name.as_deref() == Some(t.to_lowercase().as_str())),
        None => stages.len().checked_sub(1),
    };
    let infos: Vec<StageInfo> = stages
        .iter()
        .map(|s| StageInfo {
            index: s.index,
            name: s.name.clone(),
            from: s.base.clone(),
            line: s.at.line,
            builder: base::builder(&s.base),
        })
        .collect();
    let Some(target) = target else {
        return Ok(unknown_target(settings.target.as_deref().unwrap_or_default(), infos));
    };
    let replayed = stage::replay_all(&stages[..=target], &context);
    let last = &replayed[target];
    // The base's architecture tag, else the final stage's own
    // FROM --platform, else the build's.
    let tagged = match &last.root {
        Root::Distroless(i) => i.arch.as_deref().map(crate::catalog::platform_of),
        _ => None,
    };
    let platform = tagged
        .clone()
        .or_else(|| stages[target].platform.clone())
        .unwrap_or(wanted.clone());
    let mut findings = check::build(&replayed.iter().collect::<Vec<_>>());
    // A base that is not published for the platform is never pulled: there
    // is no image to judge the program in.
    let unpublished = unpublished_tag(&last.root, stages[target].at)
        .or_else(|| unpublished_base(&last.root, &platform, stages[target].at));
    let no_image = unpublished.is_some();
    findings.extend(unpublished);
    if let Some(given) = &settings.platform {
        let by = if tagged.is_some() {
            "its base's architecture tag"
        } else {
            "its FROM --platform"
        };
        findings.extend(pinned_platform(given, &platform, by, stages[target].at));
    }
    let build_fails = findings
        .iter()
        .find(|f| f.rule.severity() == Severity::Error)
        .map(|f| f.output.clone().unwrap_or_default());
    let (start, resolved) = check::start(last);
    // What the container prints is the first failure the runtime meets,
    // whatever the lines of the instructions behind it.
    let first_at_start = start.iter().find(|f| f.rule.severity() == Severity::Error).cloned();
    findings.extend(start);
    findings.extend(check::nonroot(last));
    let judged = if no_image {
        program::Judged::unknown()
    } else {
        judge_program(
            last,
            stages,
            resolved.as_deref(),
            &context,
            joined,
            &program::Platforms {
                build_for: &wanted,
                runs_on: &platform,
                cross: program::Cross::named_in(text),
            },
            &mut findings,
        )
    };
    findings.extend(base_findings(last, stages[target].at));
    findings.sort_by_key(|f| (f.at.line, std::cmp::Reverse(f.rule.severity())));
    let prediction = predict(build_fails, first_at_start.as_ref(), &findings, &judged);
    Ok(Check {
        target: stages[target].name.clone().unwrap_or_else(|| target.to_string()),
        stages: infos,
        base: base_info(&last.root),
        platform: crate::catalog::published_as(&platform),
        command: check::argv(last).args,
        user: last.user.0.clone(),
        workdir: last.workdir.clone(),
        env: last.env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        findings,
        prediction,
        program: judged.report,
    })
}

/// `--target` names no stage: the build fails.
fn unknown_target(target: &str, stages: Vec<StageInfo>) -> Check {
    let names: Vec<String> = stages.iter().filter_map(|s| s.name.clone()).collect();
    let output = format!("target stage \"{target}\" could not be found");
    Check {
        target: target.to_string(),
        stages,
        base: base_info(&Root::Other(String::new())),
        platform: crate::imagefs::host_platform(),
        command: Vec::new(),
        user: String::new(),
        workdir: "/".into(),
        env: Vec::new(),
        findings: vec![Finding::new(
            Rule::UnknownTarget,
            parse::Pos::default(),
            format!("--target {target} names no stage: the build fails"),
            Some(output.clone()),
            format!("use one of the stage names: {}", names.join(", ")),
        )],
        prediction: Prediction {
            build: "fails",
            build_output: Some(output),
            start: "not-built",
            output: None,
            assumes: None,
        },
        program: None,
    }
}

/// The program the command starts: the joined binary, a file of the
/// context, or what its builder stage implies.
fn judge_program(
    last: &Replayed,
    stages: &[parse::Stage],
    resolved: Option<&str>,
    context: &Context,
    joined: Option<Joined>,
    platforms: &program::Platforms<'_>,
    findings: &mut Vec<Finding>,
) -> program::Judged {
    let platform = platforms.runs_on;
    let none = program::Judged::unknown();
    let argv = check::argv(last);
    let shown = match (argv.args.first(), resolved) {
        (Some(a), _) if a.contains('/') => a.clone(),
        (_, Some(p)) => p.to_string(),
        _ => String::new(),
    };
    // The loader names the program by its argv[0]: a bare name found in
    // PATH is `server: error while loading shared libraries ...`.
    let argv0 = match argv.args.first() {
        Some(a) if resolved.is_some() && !a.contains('/') => a.clone(),
        _ => shown.clone(),
    };
    // Placed by a COPY of the file, or inside a directory copied whole.
    let placed = resolved.and_then(|p| {
        let copied = last.events.iter().rev().find_map(|e| match e {
            Event::Placed { at, path, origin } if path == p => Some((*at, origin.clone())),
            _ => None,
        });
        copied.or_else(|| match last.tree.lookup(p) {
            fs::Lookup::Found(_, fs::Node::File(f)) if f.line > 0 => Some((
                parse::Pos {
                    line: f.line,
                    column: 1,
                },
                f.origin.clone(),
            )),
            _ => None,
        })
    });
    let at = placed.as_ref().map(|(a, _)| *a).or(argv.at).unwrap_or_default();
    match (joined, &placed) {
        (Some(Joined::Report(report)), _) => program::Judged {
            starts: report.start().map(|s| s.starts),
            report: Some(report),
            assumes: None,
        },
        (Some(Joined::Binary(name, bytes)), _) if resolved.is_some() || argv.args.is_empty() => program::judge_bytes(
            &bytes,
            &name,
            (&shown, &argv0),
            &program::FinalImage::new(last, context, platform),
            at,
            findings,
        ),
        (Some(Joined::Binary(name, bytes)), _) => program::judge_bytes(
            &bytes,
            &name,
            {
                let path = argv.args.first().map_or("/app", |s| s.as_str());
                (path, path)
            },
            &program::FinalImage::new(last, context, platform),
            at,
            findings,
        ),
        (None, Some((_, Origin::Context(rel)))) => {
            match context.dir.as_ref().map(|d| d.join(rel.trim_start_matches('/'))) {
                Some(file) => match crate::input::load(&file) {
                    Ok(bytes) if bytes.starts_with(b"#!") => {
                        findings.extend(program::script(&bytes, &shown, last, at));
                        none
                    }
                    Ok(bytes) => program::judge_bytes(
                        &bytes,
                        &rel[1..],
                        (&shown, &argv0),
                        &program::FinalImage::new(last, context, platform),
                        at,
                        findings,
                    ),
                    Err(_) => none,
                },
                None => none,
            }
        }
        (None, Some((_, Origin::From { from, path }))) => {
            program::from_builder(stages, (from, path), last, &shown, platforms, at, findings)
        }
        _ => none,
    }
}

/// `base-tag`: a distroless final base whose tag distroless does not
/// publish (the image data's tags, each also with an architecture suffix):
/// the pull of the base fails the build.
fn unpublished_tag(root: &Root, at: parse::Pos) -> Option<Finding> {
    let Root::Distroless(i) = root else { return None };
    let image = crate::catalog::Catalog::embedded().image(i.variant.as_deref()?, i.generation.as_deref()?)?;
    if image.tags.contains(&i.tag.as_str()) {
        return None;
    }
    Some(Finding::new(
        Rule::BaseTag,
        at,
        format!(
            "distroless publishes no tag {} of {}: pulling the base fails",
            i.tag, image.reference
        ),
        None,
        format!(
            "use one of its tags: {}, each also with an architecture suffix ({}-{})",
            image.tags.join(", "),
            image.tags.first().unwrap_or(&"latest"),
            image.architectures.first().unwrap_or(&"amd64")
        ),
    ))
}

/// `base-platform`: a distroless final base that distroless does not
/// publish for `platform` (the image data's architectures): the pull of
/// the base fails the build.
fn unpublished_base(root: &Root, platform: &str, at: parse::Pos) -> Option<Finding> {
    let Root::Distroless(i) = root else { return None };
    let image = crate::catalog::Catalog::embedded().image(i.variant.as_deref()?, i.generation.as_deref()?)?;
    let arch = crate::catalog::arch_of(platform)?;
    if image.published_for(arch) {
        return None;
    }
    Some(Finding::new(
        Rule::BasePlatform,
        at,
        format!(
            "distroless publishes no {} image for {platform}: pulling the base fails",
            i.given
        ),
        None,
        match &i.arch {
            // The tag names the platform: --platform does not change it.
            Some(_) => format!(
                "name a published architecture in the tag ({}), or use a generation published for {platform}",
                image
                    .architectures
                    .iter()
                    .map(|a| format!("{}-{a}", i.tag))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => format!(
                "build for one of {} (--platform), or use a generation published for {platform}",
                image.published_platforms().join(", ")
            ),
        },
    ))
}

/// `platform-pinned`: `--platform` (`given`) is not `platform`, the one
/// the final stage is built for, fixed `by` its base's architecture tag or
/// its own `FROM --platform`: the image is built for `platform` all the
/// same (the engine says nothing).
fn pinned_platform(given: &str, platform: &str, by: &str, at: parse::Pos) -> Option<Finding> {
    use crate::catalog::published_as;
    if published_as(given) == published_as(platform) {
        return None;
    }
    Some(Finding::new(
        Rule::PlatformPinned,
        at,
        format!("the final stage is built for {platform}, as {by} says, not for --platform {given}"),
        None,
        format!(
            "to build for --platform, take the architecture out of the FROM (the multi-platform tag, or FROM --platform=$TARGETPLATFORM); or check for {platform}"
        ),
    ))
}

/// `final-base` and `unknown-base`.
fn base_findings(last: &Replayed, at: parse::Pos) -> Option<Finding> {
    let (rule, message, fix) = match &last.root {
        Root::Distroless(i) => {
            let floating = if i.floating {
                format!(
                    "; the name has no generation, so it follows distroless's default ({} today) and will move",
                    i.generation.as_deref().unwrap_or("?")
                )
            } else {
                String::new()
            };
            (
                Rule::FinalBase,
                format!(
                    "the final image is {} ({}, {}, :{}){floating}; it has no shell{}",
                    i.given,
                    i.variant.as_deref().unwrap_or("?"),
                    i.generation.as_deref().unwrap_or("?"),
                    i.tag,
                    if i.tag.starts_with("debug") {
                        " but busybox's /busybox/sh"
                    } else {
                        ""
                    }
                ),
                String::new(),
            )
        }
        Root::Scratch => (
            Rule::FinalBase,
            "the final image is scratch: empty, no shell, no libc, no /etc/passwd".to_string(),
            String::new(),
        ),
        Root::OtherDistroless(r) | Root::Other(r) => (
            Rule::UnknownBase,
            format!(
                "the final image is built on {r}, which dlcheck has no data for: only the image's start is checked from what the Dockerfile says; judge the built image (dlcheck --dockerfile Dockerfile image.tar) or its files (--root DIR)"
            ),
            "docker save the built image and pass it with --dockerfile".to_string(),
        ),
    };
    Some(Finding::new(rule, at, message, None, fix))
}

fn base_info(root: &Root) -> BaseInfo {
    let (kind, reference, image) = match root {
        Root::Distroless(i) => ("distroless", i.given.clone(), Some(i)),
        Root::OtherDistroless(r) => ("distroless-unknown", r.clone(), None),
        Root::Scratch => ("scratch", "scratch".to_string(), None),
        Root::Other(r) => ("other", r.clone(), None),
    };
    BaseInfo {
        kind,
        reference,
        image: image.map(|i| i.resolved()),
        variant: image.and_then(|i| i.variant.clone()),
        generation: image.and_then(|i| i.generation.clone()),
        tag: image.map(|i| i.tag.clone()),
    }
}

/// The prediction: the build's first failure; else the first error the
/// runtime meets at the start (`first_at_start`), else the first error
/// finding; else whether the program is known to start.
fn predict(
    build_fails: Option<String>,
    first_at_start: Option<&Finding>,
    findings: &[Finding],
    judged: &program::Judged,
) -> Prediction {
    if let Some(output) = build_fails {
        return Prediction {
            build: "fails",
            build_output: Some(output).filter(|o| !o.is_empty()),
            start: "not-built",
            output: None,
            assumes: None,
        };
    }
    // No step dlcheck checks fails (what RUN commands do is not judged).
    let build = "succeeds";
    let crash = first_at_start.or_else(|| findings.iter().find(|f| f.rule.severity() == Severity::Error));
    let (start, output) = match (crash, judged.starts) {
        (Some(f), _) => ("crashes", f.output.clone()),
        (None, Some(true)) => ("starts", None),
        // The image built (joined): what its start prints.
        (None, Some(false)) => (
            "crashes",
            judged
                .report
                .as_ref()
                .and_then(|r| r.start())
                .and_then(|s| s.crash.clone()),
        ),
        (None, None) => ("unknown", None),
    };
    Prediction {
        build,
        build_output: None,
        start,
        output,
        assumes: judged.assumes.clone().filter(|_| start == "starts"),
    }
}
