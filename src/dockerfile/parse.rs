//! From Dockerfile text to stages of typed steps, with build arguments and
//! variables substituted as BuildKit's frontend does.
//!
//! The syntax (instructions, flags, line continuations, comments, parser
//! directives, heredocs, exec versus shell form) is read by the
//! `parse-dockerfile` crate. Two things it leaves to its users are done
//! here: variable substitution and quote removal (see [`super::words`]),
//! and `ENTRYPOINT []` (an empty exec form, which the engine accepts to
//! clear an inherited entrypoint, and the crate refuses: the line is
//! blanked, the crate parses the rest, and the reset is put back in place).

use std::collections::BTreeMap;

use parse_dockerfile as pd;

use super::words::{self, Vars};
use crate::text;

/// Where an instruction starts: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// 1-based line; 0 for the file as a whole.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone)]
pub struct Dockerfile {
    /// The stages, in order.
    pub stages: Vec<Stage>,
    /// The escape character (`\`, or the `# escape=` directive's).
    pub escape: char,
}

/// One build stage: `FROM` and what follows it.
#[derive(Debug, Clone)]
pub struct Stage {
    /// Its index (0-based), what `COPY --from=0` names.
    pub index: usize,
    /// Its `AS` name, lower-cased as the engine does.
    pub name: Option<String>,
    /// The `FROM` image, with the global `ARG`s substituted.
    pub base: String,
    /// `FROM --platform=`, substituted (the automatic platform `ARG`s too):
    /// the platform the stage is built for, when it names one.
    pub platform: Option<String>,
    /// Where `FROM` is.
    pub at: Pos,
    /// The instructions after `FROM`.
    pub steps: Vec<Step>,
}

/// One instruction of a stage.
#[derive(Debug, Clone)]
pub struct Step {
    /// Where it starts.
    pub at: Pos,
    /// What it does.
    pub op: Op,
}

/// A command of `RUN`, `CMD` or `ENTRYPOINT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// The JSON array (exec) form, as written.
    Exec(Vec<String>),
    /// The shell form: the text, line continuations joined.
    Shell(String),
}

/// A `COPY` or `ADD` source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A path (in the context, or in the `--from` stage or image).
    Path(String),
    /// A heredoc: a file named after its delimiter.
    HereDoc {
        /// The delimiter, the file's name.
        name: String,
        /// Its text.
        body: String,
    },
}

/// A `COPY` or `ADD`.
#[derive(Debug, Clone)]
pub struct Copy {
    /// `ADD`, not `COPY`.
    pub add: bool,
    /// `--from`: a stage name or index, or an image.
    pub from: Option<String>,
    /// The sources.
    pub sources: Vec<Source>,
    /// The destination, substituted.
    pub dest: String,
    /// `--chmod`.
    pub chmod: Option<String>,
}

/// What an instruction does, as far as starting the container goes.
#[derive(Debug, Clone)]
pub enum Op {
    /// `COPY` or `ADD`.
    Copy(Copy),
    /// `RUN`; `cgo` is the value `CGO_ENABLED` has in the stage's
    /// variables at this point, if any.
    Run {
        /// The command.
        command: Command,
        /// `CGO_ENABLED` in the stage's `ENV`/`ARG` values here.
        cgo: Option<String>,
        /// The bodies of its heredocs (`RUN <<EOF`): a script the shell
        /// runs, or what a command reads.
        heredocs: Vec<String>,
    },
    /// `CMD`.
    Cmd(Command),
    /// `ENTRYPOINT`.
    Entrypoint(Command),
    /// `WORKDIR`, substituted (relative to the previous one if relative).
    Workdir(String),
    /// `USER`, substituted.
    User(String),
    /// `ENV` pairs, substituted.
    Env(Vec<(String, String)>),
    /// `SHELL`.
    Shell(Vec<String>),
    /// Anything else (`LABEL`, `EXPOSE`, `ARG` ...).
    Other,
}

/// Why the text is not a Dockerfile the engine accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line; 0 when the error is about the whole text (no `FROM`).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The parser's words.
    pub message: String,
}

/// Read `text` with the `--build-arg` values `build_args`.
pub fn parse(text: &str, build_args: &BTreeMap<String, String>) -> Result<Dockerfile, ParseError> {
    if text.is_empty() {
        // BuildKit's words for a file with nothing in it (a file of
        // blanks has no instructions, below).
        return Err(ParseError {
            line: 0,
            column: 0,
            message: "the Dockerfile cannot be empty".into(),
        });
    }
    // The engine reads past a UTF-8 byte-order mark: lines and columns
    // count from after it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        // The engine's parser's words for comments and blank lines alone
        // (Docker 20.10: "failed to parse Dockerfile: file with no
        // instructions").
        return Err(ParseError {
            line: 0,
            column: 0,
            message: "file with no instructions".into(),
        });
    }
    let (blanked, resets) = blank_entrypoint_resets(text)?;
    let parsed = pd::parse(&blanked).map_err(|e| ParseError {
        line: e.line(),
        column: e.column(),
        // `{:#}`: the parser's words without its own "at line L column C".
        message: format!("{e:#}"),
    })?;
    let escape = parsed.parser_directives.escape.as_ref().map_or('\\', |d| d.value.value);
    let lines = Lines::new(&blanked);
    // The automatic platform ARGs are defined in the global scope without
    // an `ARG` (BuildKit's "Automatic platform ARGs in the global scope").
    let mut globals: Vars = AUTOMATIC_ARGS
        .iter()
        .filter_map(|a| Some((a.to_string(), build_args.get(*a)?.clone())))
        .collect();
    for arg in parsed.global_args() {
        for (name, default) in words::args(&arg.arguments.value, &globals, escape) {
            if let Some(v) = build_args.get(&name).cloned().or(default) {
                globals.insert(name, v);
            }
        }
    }
    let mut stages: Vec<Stage> = Vec::new();
    let mut envs: Vec<Vars> = Vec::new();
    // Each stage's `COPY --from` and `RUN --mount=from=`, where written.
    let mut sources: Vec<Vec<StageSource>> = Vec::new();
    // BuildKit parses a base image's reference after it has read every
    // stage's sources: the first base that is no reference, kept till then.
    let mut bad_reference: Option<ParseError> = None;
    for (index, s) in parsed.stages().enumerate() {
        if let Some((_, n)) = &s.from.as_
            && !is_stage_name(&n.value.to_lowercase())
        {
            let at = lines.pos(s.from.from.span.start);
            return Err(ParseError {
                line: at.line,
                column: at.column,
                message: format!(
                    "invalid name for build stage: {:?}, name can't start with a number or contain symbols",
                    n.value
                ),
            });
        }
        check_flags(&s.from.options, &["platform"], &lines)?;
        let base = words::expand(&s.from.image.value, &globals, escape);
        if base.trim().is_empty() {
            let at = lines.pos(s.from.image.span.start);
            return Err(ParseError {
                line: at.line,
                column: at.column,
                message: format!("base name ({}) should not be blank", s.from.image.value),
            });
        }
        let platform = flag_value(&s.from.options, "platform")
            .map(|v| words::expand(v, &globals, escape))
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                from_platform(p.trim()).map_err(|why| {
                    let at = lines.pos(s.from.from.span.start);
                    ParseError {
                        line: at.line,
                        column: at.column,
                        message: format!("failed to parse platform {}: {why}", p.trim()),
                    }
                })
            })
            .transpose()?;
        let name = s.from.as_.as_ref().map(|(_, n)| n.value.to_lowercase());
        // A stage built on an earlier one starts with its variables.
        let parent = stages
            .iter()
            .position(|p| p.name.as_deref() == Some(base.to_lowercase().as_str()));
        if parent.is_none()
            && base != "scratch"
            && bad_reference.is_none()
            && let Err(why) = image_reference(&base)
        {
            let at = lines.pos(s.from.image.span.start);
            bad_reference = Some(ParseError {
                line: at.line,
                column: at.column,
                message: format!("failed to parse stage name \"{}\": {why}", text::clipped(&base, 1024)),
            });
        }
        let mut vars = parent.map(|i| envs[i].clone()).unwrap_or_else(default_env);
        let mut steps = Vec::new();
        let mut from: Vec<StageSource> = Vec::new();
        for i in s.instructions {
            match i {
                pd::Instruction::Copy(c) => check_flags(&c.options, COPY_FLAGS, &lines)?,
                pd::Instruction::Add(c) => check_flags(&c.options, ADD_FLAGS, &lines)?,
                _ => {}
            }
            let at = lines.pos(span_start(i));
            if let pd::Instruction::Run(r) = i {
                from.extend(mount_sources(&r.options).map(|name| StageSource { name, at, index: false }));
            }
            let op = lower(i, &mut vars, &globals, build_args, escape, &lines);
            if let Op::Copy(Copy { from: Some(f), .. }) = &op {
                from.push(StageSource {
                    name: f.clone(),
                    at,
                    index: true,
                });
            }
            steps.push(Step { at, op });
        }
        sources.push(from);
        let at = lines.pos(s.from.from.span.start);
        stages.push(Stage {
            index,
            name,
            base,
            platform,
            at,
            steps,
        });
        envs.push(vars);
    }
    check_stage_sources(&stages, &sources)?;
    if let Some(e) = bad_reference {
        return Err(e);
    }
    put_back_resets(&mut stages, &resets);
    Ok(Dockerfile { stages, escape })
}

/// Whether `name` (lower-cased) may name a stage: BuildKit's
/// `^[a-z][a-z0-9-_.]*$` (`parseBuildStageName`).
fn is_stage_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
}

/// A stage or image a stage reads from.
struct StageSource {
    /// As written.
    name: String,
    /// Where.
    at: Pos,
    /// A number is a stage's index (`COPY --from=0`; a mount's `from=`
    /// takes names only).
    index: bool,
}

/// The stages or images a `RUN`'s `--mount` flags read from (`from=`, of
/// any mount type but tmpfs).
fn mount_sources<'a>(options: &'a [pd::Flag<'_>]) -> impl Iterator<Item = String> + 'a {
    options.iter().filter(|f| f.name.value == "mount").filter_map(|f| {
        let value = f.value.as_ref()?;
        let fields: Vec<(&str, &str)> = value
            .value
            .split(',')
            .map(|kv| kv.split_once('=').unwrap_or((kv, "")))
            .collect();
        let key = |k: &str, want: &str| k.eq_ignore_ascii_case(want);
        if fields
            .iter()
            .any(|(k, v)| key(k, "type") && v.eq_ignore_ascii_case("tmpfs"))
        {
            return None;
        }
        fields
            .iter()
            .find(|(k, v)| key(k, "from") && !v.is_empty())
            .map(|(_, v)| v.to_string())
    })
}

/// The stage graph BuildKit refuses before it builds anything
/// (dockerfile2llb): a `COPY --from=N` whose index names no stage
/// ("invalid stage index N"), and stages that read from each other, or a
/// stage from itself ("circular dependency detected on stage: NAME",
/// named after the first stage, in order, from which a cycle is reached;
/// `stage-N` when it has no name). A source that names no stage is an
/// image. `sources`: each stage's sources and where they are written.
fn check_stage_sources(stages: &[Stage], sources: &[Vec<StageSource>]) -> Result<(), ParseError> {
    let mut deps: Vec<Vec<(usize, Pos)>> = Vec::with_capacity(stages.len());
    for from in sources {
        let mut out = Vec::new();
        for StageSource { name, at, index } in from {
            let named = stages
                .iter()
                .position(|s| s.name.as_deref() == Some(name.to_lowercase().as_str()));
            // Go's strconv.Atoi: a sign and digits, within 64 bits.
            let number = name.parse::<i64>().ok().filter(|_| *index);
            let stage = match (named, number) {
                (Some(i), None) => i,
                (_, Some(i)) => match usize::try_from(i).ok().filter(|i| *i < stages.len()) {
                    Some(i) => i,
                    None => {
                        return Err(ParseError {
                            line: at.line,
                            column: at.column,
                            message: format!("invalid stage index {i}"),
                        });
                    }
                },
                (None, None) => continue,
            };
            out.push((stage, *at));
        }
        deps.push(out);
    }
    // Depth first, as BuildKit: `visited` across starts, `path` the stack.
    fn cycle(at: usize, deps: &[Vec<(usize, Pos)>], visited: &mut [bool], path: &mut [bool]) -> Option<Pos> {
        if visited[at] {
            return None;
        }
        visited[at] = true;
        path[at] = true;
        for (dep, pos) in &deps[at] {
            if path[*dep] || cycle(*dep, deps, visited, path).is_some() {
                return Some(*pos);
            }
        }
        path[at] = false;
        None
    }
    let mut visited = vec![false; stages.len()];
    let mut path = vec![false; stages.len()];
    for s in stages {
        if let Some(at) = cycle(s.index, &deps, &mut visited, &mut path) {
            let name = s.name.clone().unwrap_or_else(|| format!("stage-{}", s.index));
            return Err(ParseError {
                line: at.line,
                column: at.column,
                message: format!("circular dependency detected on stage: {name}"),
            });
        }
    }
    Ok(())
}

/// Whether `reference` is an image reference as the engine parses one
/// (distribution's reference grammar, which BuildKit applies to a `FROM`
/// that names no stage): `[domain/]path[:tag][@digest]`, a path of
/// lower-case components (`[a-z0-9]+` joined by `.`, `_`, `__` or dashes),
/// a domain with a `.` or `:` or `localhost`, a tag of at most 128 word
/// characters, dots and dashes, a digest `algorithm:hex` (32 hex digits at
/// least). The error in the engine's words.
fn image_reference(reference: &str) -> Result<(), String> {
    const INVALID: &str = "invalid reference format";
    if reference.len() == 64
        && reference
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(format!(
            "invalid repository name ({reference}), cannot specify 64-byte hexadecimal strings"
        ));
    }
    let parses = |r: &str| -> bool {
        let (rest, digest) = match r.split_once('@') {
            Some((rest, d)) => (rest, Some(d)),
            None => (r, None),
        };
        if let Some(d) = digest {
            let Some((algorithm, hex)) = d.split_once(':') else {
                return false;
            };
            let alg_ok = algorithm.split(['-', '_', '+', '.']).all(|p| {
                p.starts_with(|c: char| c.is_ascii_alphabetic()) && p.chars().all(|c| c.is_ascii_alphanumeric())
            });
            if !alg_ok || hex.len() < 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return false;
            }
        }
        // A tag follows the last ':' after the last '/'.
        let (name, tag) = match rest.rfind(':') {
            Some(i) if !rest[i + 1..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
            _ => (rest, None),
        };
        if let Some(t) = tag {
            let ok = t.len() <= 128
                && t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                && t.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
            if !ok {
                return false;
            }
        }
        let mut parts: Vec<&str> = name.split('/').collect();
        if parts.len() > 1 && (parts[0].contains(['.', ':']) || parts[0] == "localhost") {
            let domain = parts.remove(0);
            let (host, port) = match domain.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (domain, None),
            };
            let host_ok = !host.is_empty()
                && host.split('.').all(|c| {
                    !c.is_empty()
                        && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
                        && !c.starts_with('-')
                        && !c.ends_with('-')
                });
            if !host_ok || port.is_some_and(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit())) {
                return false;
            }
        }
        // Each path component: alphanumerics joined by '.', '_', '__' or
        // dashes, starting and ending with an alphanumeric.
        parts.iter().all(|c| {
            let b = c.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_lowercase() | b[0].is_ascii_digit()
                && b[b.len() - 1].is_ascii_lowercase() | b[b.len() - 1].is_ascii_digit()
                && b.iter()
                    .all(|&x| x.is_ascii_lowercase() || x.is_ascii_digit() || b"._-".contains(&x))
                && !c.contains("..")
                && !c.contains("___")
                && !c.contains("._")
                && !c.contains("_.")
                && !c.contains("-.")
                && !c.contains(".-")
                && !c.contains("_-")
                && !c.contains("-_")
        })
    };
    if !parses(reference) {
        return Err(if parses(&reference.to_lowercase()) {
            "invalid reference format: repository name must be lowercase".into()
        } else {
            INVALID.into()
        });
    }
    // The name, normalised as the engine does (`gcc` is
    // docker.io/library/gcc), is at most 255 bytes.
    let name = reference.split('@').next().unwrap_or_default();
    let name = match name.rfind(':') {
        Some(i) if !name[i + 1..].contains('/') => &name[..i],
        _ => name,
    };
    let normalized = match name.split_once('/') {
        Some((domain, _)) if domain.contains(['.', ':']) || domain == "localhost" => name.len(),
        Some(_) => "docker.io/".len() + name.len(),
        None => "docker.io/library/".len() + name.len(),
    };
    if normalized > 255 {
        return Err("repository name must not be more than 255 characters".into());
    }
    Ok(())
}

/// The variables a stage starts with when its base's are not known: the
/// `PATH` BuildKit gives an image that has none.
fn default_env() -> Vars {
    let mut v = Vars::new();
    v.insert("PATH".into(), super::DEFAULT_PATH.into());
    v
}

/// One instruction, lowered; `vars` is updated by `ENV` and `ARG`.
fn lower(
    i: &pd::Instruction<'_>,
    vars: &mut Vars,
    globals: &Vars,
    build_args: &BTreeMap<String, String>,
    escape: char,
    lines: &Lines,
) -> Op {
    let x = |s: &str, vars: &Vars| words::expand(s, vars, escape);
    match i {
        pd::Instruction::Copy(c) => {
            let names = lines.heredoc_names(c.copy.span.start);
            Op::Copy(copy(false, &c.options, &c.src, &c.dest.value, vars, escape, &names))
        }
        pd::Instruction::Add(c) => {
            let names = lines.heredoc_names(c.add.span.start);
            Op::Copy(copy(true, &c.options, &c.src, &c.dest.value, vars, escape, &names))
        }
        pd::Instruction::Run(r) => Op::Run {
            command: command(&r.arguments, escape),
            cgo: vars.get("CGO_ENABLED").cloned(),
            heredocs: r.here_docs.iter().map(|h| h.value.to_string()).collect(),
        },
        pd::Instruction::Cmd(c) => Op::Cmd(command(&c.arguments, escape)),
        pd::Instruction::Entrypoint(e) => Op::Entrypoint(command(&e.arguments, escape)),
        pd::Instruction::Workdir(w) => Op::Workdir(x(&w.arguments.value, vars)),
        pd::Instruction::User(u) => Op::User(x(&u.arguments.value, vars)),
        pd::Instruction::Env(e) => {
            let pairs = words::pairs(&e.arguments.value, vars, escape);
            vars.extend(pairs.iter().cloned());
            Op::Env(pairs)
        }
        pd::Instruction::Arg(a) => {
            for (name, default) in words::args(&a.arguments.value, vars, escape) {
                let value = build_args
                    .get(&name)
                    .cloned()
                    .or(default)
                    .or_else(|| globals.get(&name).cloned());
                if let Some(v) = value {
                    vars.insert(name, v);
                }
            }
            Op::Other
        }
        pd::Instruction::Shell(s) => Op::Shell(s.arguments.iter().map(|a| a.value.to_string()).collect()),
        _ => Op::Other,
    }
}

/// The platform `ARG`s BuildKit defines in the global scope.
pub const AUTOMATIC_ARGS: [&str; 8] = [
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
];

/// The flags of `COPY` and of `ADD` the Dockerfile frontend knows (BuildKit
/// 1.x `dockerfile/instructions/parse.go`); any other is "Unknown flag".
const COPY_FLAGS: &[&str] = &["from", "chown", "chmod", "link", "parents", "exclude"];
const ADD_FLAGS: &[&str] = &[
    "chown",
    "chmod",
    "link",
    "keep-git-dir",
    "checksum",
    "exclude",
    "unpack",
];

/// The engine refuses an instruction with a flag it does not know, as
/// BuildKit words it: `Unknown flag: frm`.
fn check_flags(options: &[pd::Flag<'_>], known: &[&str], lines: &Lines<'_>) -> Result<(), ParseError> {
    match options.iter().find(|f| !known.contains(&f.name.value.as_ref())) {
        Some(f) => {
            let at = lines.pos(f.flag_span().start);
            Err(ParseError {
                line: at.line,
                column: at.column,
                message: format!("Unknown flag: {}", f.name.value),
            })
        }
        None => Ok(()),
    }
}

/// The value of the flag `name`, as written.
fn flag_value<'a>(options: &'a [pd::Flag<'_>], name: &str) -> Option<&'a str> {
    options
        .iter()
        .find(|f| f.name.value == name)
        .and_then(|f| f.value.as_ref())
        .map(|v| v.value.as_ref())
}

fn copy(
    add: bool,
    options: &[pd::Flag<'_>],
    src: &[pd::Source<'_>],
    dest: &str,
    vars: &Vars,
    escape: char,
    heredocs: &[String],
) -> Copy {
    let flag = |name: &str| {
        options
            .iter()
            .find(|f| f.name.value == name)
            .and_then(|f| f.value.as_ref())
            .map(|v| words::expand(&v.value, vars, escape))
    };
    let mut names = heredocs.iter();
    let sources = src
        .iter()
        .map(|s| match s {
            pd::Source::Path(p) => Source::Path(words::expand(&p.value, vars, escape)),
            pd::Source::HereDoc(h) => Source::HereDoc {
                name: names.next().cloned().unwrap_or_default(),
                body: h.value.to_string(),
            },
            // The crate may add kinds of source: none is known to it yet.
            _ => Source::Path(String::new()),
        })
        .collect();
    Copy {
        add,
        from: options
            .iter()
            .find(|f| f.name.value == "from")
            .and_then(|f| f.value.as_ref())
            .map(|v| v.value.to_string()),
        sources,
        dest: words::expand(dest, vars, escape),
        chmod: flag("chmod"),
    }
}

fn command(c: &pd::Command<'_>, escape: char) -> Command {
    match c {
        pd::Command::Exec(args) => Command::Exec(args.value.iter().map(|a| a.value.to_string()).collect()),
        pd::Command::Shell(text) => Command::Shell(join_continuations(text.value, escape)),
        _ => Command::Shell(String::new()),
    }
}

/// Shell-form text as the engine passes it to the shell: each escape at
/// the end of a line and its newline removed, comment lines inside the
/// continuation dropped.
fn join_continuations(text: &str, escape: char) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if !out.is_empty() && line.trim_start().starts_with('#') {
            continue;
        }
        let trimmed = line.trim_end();
        match trimmed.strip_suffix(escape) {
            Some(head) => out.push_str(head),
            None => out.push_str(line),
        }
    }
    out.trim().to_string()
}

fn span_start(i: &pd::Instruction<'_>) -> usize {
    use pd::Instruction as I;
    match i {
        I::Add(x) => x.add.span.start,
        I::Arg(x) => x.arg.span.start,
        I::Cmd(x) => x.cmd.span.start,
        I::Copy(x) => x.copy.span.start,
        I::Entrypoint(x) => x.entrypoint.span.start,
        I::Env(x) => x.env.span.start,
        I::Expose(x) => x.expose.span.start,
        I::From(x) => x.from.span.start,
        I::Healthcheck(x) => x.healthcheck.span.start,
        I::Label(x) => x.label.span.start,
        I::Maintainer(x) => x.maintainer.span.start,
        I::Onbuild(x) => x.onbuild.span.start,
        I::Run(x) => x.run.span.start,
        I::Shell(x) => x.shell.span.start,
        I::Stopsignal(x) => x.stopsignal.span.start,
        I::User(x) => x.user.span.start,
        I::Volume(x) => x.volume.span.start,
        I::Workdir(x) => x.workdir.span.start,
        _ => 0,
    }
}

/// Blank each `ENTRYPOINT []` line (same length, so offsets keep), which
/// `parse-dockerfile` refuses and the engine accepts; returns where they
/// were. A parse error elsewhere is returned as is.
fn blank_entrypoint_resets(text: &str) -> Result<(String, Vec<Pos>), ParseError> {
    let mut out = String::with_capacity(text.len());
    let mut resets = Vec::new();
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let t = line.trim();
        // By bytes: a line may hold any UTF-8 (a comment in Japanese).
        let is_reset = t
            .as_bytes()
            .get(..10)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"entrypoint"))
            && t.get(10..)
                .is_some_and(|rest| rest.chars().filter(|c| !c.is_whitespace()).eq("[]".chars()));
        if is_reset {
            let column = line.len() - line.trim_start().len() + 1;
            resets.push(Pos { line: n + 1, column });
            // As many bytes as the line: offsets after it stay the same.
            for c in line.chars() {
                match c {
                    '\n' | '\r' => out.push(c),
                    _ => out.extend(std::iter::repeat_n(' ', c.len_utf8())),
                }
            }
        } else {
            out.push_str(line);
        }
    }
    Ok((out, resets))
}

/// Put the `ENTRYPOINT []` resets back into the stages, in line order.
fn put_back_resets(stages: &mut [Stage], resets: &[Pos]) {
    for at in resets {
        let Some(stage) = stages.iter_mut().rev().find(|s| s.at.line < at.line) else {
            continue;
        };
        let i = stage
            .steps
            .iter()
            .position(|s| s.at.line > at.line)
            .unwrap_or(stage.steps.len());
        stage.steps.insert(
            i,
            Step {
                at: *at,
                op: Op::Entrypoint(Command::Exec(Vec::new())),
            },
        );
    }
}

/// A `FROM --platform` value as containerd's `platforms.Parse`, which
/// BuildKit calls, reads it: each `/`-separated part letters, digits, `_`
/// and `-`; `OS/ARCH[/VARIANT]` taken as written (the architecture's
/// aliases normalised: `x86_64` is `amd64`, `aarch64` `arm64`); one word an
/// operating system (on this machine's architecture) or an architecture
/// (Linux). Errors: containerd's words.
fn from_platform(spec: &str) -> Result<String, String> {
    const OSES: [&str; 17] = [
        "aix",
        "android",
        "darwin",
        "dragonfly",
        "freebsd",
        "hurd",
        "illumos",
        "ios",
        "js",
        "linux",
        "nacl",
        "netbsd",
        "openbsd",
        "plan9",
        "solaris",
        "windows",
        "zos",
    ];
    const ARCHES: [&str; 24] = [
        "386",
        "amd64",
        "amd64p32",
        "arm",
        "armbe",
        "arm64",
        "arm64be",
        "ppc64",
        "ppc64le",
        "loong64",
        "mips",
        "mipsle",
        "mips64",
        "mips64le",
        "mips64p32",
        "mips64p32le",
        "ppc",
        "riscv",
        "riscv64",
        "s390",
        "s390x",
        "sparc",
        "sparc64",
        "wasm",
    ];
    let parts: Vec<&str> = spec.split('/').collect();
    if let Some(bad) = parts
        .iter()
        .find(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    {
        return Err(format!(
            "{bad:?} is an invalid component of {spec:?}: platform specifier component must match \"^[A-Za-z0-9_-]+$\": invalid argument"
        ));
    }
    // containerd's aliases beyond the machine names elf::oci_arch maps.
    let arch = |a: &str| -> String {
        match a.to_ascii_lowercase().as_str() {
            "x86-64" => "amd64".into(),
            "armhf" => "arm/v7".into(),
            "armel" => "arm/v6".into(),
            other => crate::elf::oci_arch(other).into(),
        }
    };
    let os = |o: &str| match o.to_ascii_lowercase().as_str() {
        "macos" => "darwin".to_string(),
        other => other.to_string(),
    };
    match parts.as_slice() {
        [one] if OSES.contains(&os(one).as_str()) => Ok(format!(
            "{}/{}",
            os(one),
            crate::imagefs::host_platform().split('/').nth(1).unwrap_or("amd64")
        )),
        [one] if ARCHES.contains(&arch(one).split('/').next().unwrap_or_default()) => {
            Ok(format!("linux/{}", arch(one)))
        }
        [_] => Err(format!(
            "{spec:?}: unknown operating system or architecture: invalid argument"
        )),
        [o, a] => Ok(format!("{}/{}", os(o), arch(a))),
        [o, a, v] => Ok(format!("{}/{}/{}", os(o), arch(a), v.to_ascii_lowercase())),
        _ => Err(format!("{spec:?}: cannot parse platform specifier: invalid argument")),
    }
}

/// Byte offsets to lines and columns.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { text, starts }
    }

    fn pos(&self, offset: usize) -> Pos {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = self.text.get(start..offset).map_or(1, |s| s.chars().count() + 1);
        Pos { line, column }
    }

    /// The delimiters of the heredocs of the instruction at `keyword`, in
    /// order: the word after each `<<` (or `<<-`) on its first line, quotes
    /// removed (a quoted delimiter only turns expansion off).
    fn heredoc_names(&self, keyword: usize) -> Vec<String> {
        let rest = &self.text[keyword.min(self.text.len())..];
        let line = rest.split('\n').next().unwrap_or_default();
        line.split("<<")
            .skip(1)
            .map(|w| {
                w.trim_start_matches('-')
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .trim_matches(|c| c == '"' || c == '\'')
                    .to_string()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The engine's reference grammar: these parse (the engine then pulls
    /// them), these do not, in its words (each checked with BuildKit,
    /// tests/dockerfile.rs `engine_refuses_the_malformed`).
    #[test]
    fn image_references() {
        for ok in [
            "gcc",
            "golang:1.22-bookworm",
            "my_org/app__x:v1",
            "GHCR.IO/org/app:1",
            "localhost:5000/app:1.0",
            "registry.example.com:443/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "gcr.io/distroless/static-debian12:nonroot-arm64",
            // 255 bytes once normalised: docker.io/library/ and 237.
            &"a".repeat(237),
            &format!("gcr.io/{}:1", "a".repeat(248)),
            // 63 hex digits, or 64 with a tag, are names.
            &"a".repeat(63),
            &format!("{}:1", "a".repeat(64)),
        ] {
            assert_eq!(image_reference(ok), Ok(()), "{ok}");
        }
        let long = "repository name must not be more than 255 characters";
        for (bad, why) in [
            ("a".repeat(238), long.to_string()),
            (format!("gcr.io/{}", "a".repeat(249)), long.to_string()),
            (format!("org/{}", "a".repeat(242)), long.to_string()),
            (
                "a".repeat(64),
                format!(
                    "invalid repository name ({}), cannot specify 64-byte hexadecimal strings",
                    "a".repeat(64)
                ),
            ),
        ] {
            assert_eq!(image_reference(&bad), Err(why), "{bad}");
        }
        for (bad, why) in [
            ("gcc:", "invalid reference format"),
            ("/app", "invalid reference format"),
            ("a..b", "invalid reference format"),
            ("app:-x", "invalid reference format"),
            ("a-_b", "invalid reference format"),
            ("app@sha256:abc", "invalid reference format"),
            ("Gcc:13", "invalid reference format: repository name must be lowercase"),
        ] {
            assert_eq!(image_reference(bad), Err(why.to_string()), "{bad}");
        }
    }
}
