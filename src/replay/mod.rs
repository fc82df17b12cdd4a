//! Will a built image start? The container runtime's and the kernel's
//! steps, replayed against the image's own files (never the host's):
//! runc's user lookup and `exec.LookPath`, the kernel's `execve` (a
//! script's `#!` interpreter, PT_INTERP), then glibc's loader
//! ([`crate::loader`], with the image's `LD_LIBRARY_PATH` and
//! `/etc/ld.so.cache`).
//!
//! Names from the image are compared as bytes: a configured path and a
//! file name match only when their bytes are equal.

mod all;
mod base;
mod exec;

use serde::Serialize;

pub use crate::imagefs::Config;
pub use all::{FileCheck, load_all};
pub use base::Base;

use crate::Options;
use crate::error::Error;
use crate::imagefs::{ImageError, ImageFs, Limits, Node, show};
use crate::report::Report;
use crate::verdict::{Problem, ProblemKind};

/// How a container starts (the JSON `image` object of a report).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Start {
    /// `docker-archive`, `oci-archive`, `oci-layout` or `rootfs`.
    pub format: &'static str,
    /// The image's name as recorded in the archive, or `null`.
    pub reference: Option<String>,
    /// The platform judged.
    pub platform: String,
    /// Every platform the image offers.
    pub platforms: Vec<String>,
    /// The configuration that decides how it starts.
    pub config: Config,
    /// The distroless image it is built on, when it is one.
    pub base: Option<Base>,
    /// How the command was found: one line per step.
    pub entrypoint_steps: Vec<String>,
    /// Whether the container starts.
    pub starts: bool,
    /// What it prints when it does not: the first failure.
    pub crash: Option<String>,
    /// `crash`, line by line as the container prints it (a name from the
    /// image may itself hold a newline: the human output escapes it).
    #[serde(skip)]
    #[schemars(skip)]
    pub crash_lines: Vec<String>,
    /// Every problem found, in the order the runtime, the kernel and the
    /// loader meet them.
    pub problems: Vec<Problem>,
    /// Worth knowing.
    pub warnings: Vec<String>,
    /// The report of the entrypoint binary.
    pub binaries: Vec<Report>,
    /// With `--all`: every ELF program and library in the image, each
    /// checked against the image's files as the loader would load it.
    pub all: Vec<FileCheck>,
    /// Where the image was read from, when not from a path as given: the
    /// Docker engine, a registry, stdin, a compressed archive. Absent
    /// otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<crate::source::SourceInfo>,
}

impl Start {
    /// A start of `image` with nothing found yet.
    fn new(image: &ImageFs, base: Option<Base>) -> Start {
        Start {
            format: image.format,
            reference: image.reference.clone(),
            platform: image.platform.clone(),
            platforms: image.platforms.clone(),
            config: image.config.clone(),
            base,
            entrypoint_steps: Vec::new(),
            starts: false,
            crash: None,
            crash_lines: Vec::new(),
            problems: Vec::new(),
            warnings: Vec::new(),
            binaries: Vec::new(),
            all: Vec::new(),
            source: None,
        }
    }

    fn fail(&mut self, kind: ProblemKind, message: String, explanation: String, fix: String) {
        self.problems.push(Problem::with(kind, message, explanation, fix));
    }

    /// Settle `starts`, `crash` and its lines from the problems.
    fn settle(&mut self) {
        self.starts = self.problems.is_empty();
        self.crash = self.problems.first().map(|p| p.message.clone());
        if self.crash_lines.is_empty() {
            self.crash_lines.extend(self.crash.clone());
        }
    }
}

/// The default `PATH` of runc and Docker when the config sets none.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The value of `NAME` in the config's `Env`.
fn env<'a>(config: &'a Config, name: &str) -> Option<&'a str> {
    config.env.iter().find_map(|e| e.strip_prefix(name)?.strip_prefix('='))
}

/// The elements of a colon-separated search path, empty ones dropped; an
/// error past the `search-path` limit (`what` names it).
fn search_path<'a>(value: &'a str, what: &str, limits: &Limits) -> Result<Vec<&'a str>, ImageError> {
    let mut out = Vec::new();
    for d in value.split(':').filter(|d| !d.is_empty()) {
        if out.len() as u64 >= limits.search_path {
            return Err(ImageError::Limit(limits.exceeded("search-path", what)));
        }
        out.push(d);
    }
    Ok(out)
}

/// The argv the container starts with: Docker's rule, `Entrypoint`
/// followed by `Cmd`, or `Cmd` alone.
fn argv(config: &Config) -> Vec<String> {
    if config.entrypoint.is_empty() {
        config.cmd.clone()
    } else {
        config.entrypoint.iter().chain(config.cmd.iter()).cloned().collect()
    }
}

/// The files the start reads whole, as paths in the image: the command
/// (where runc's `LookPath` may find it), `/etc/passwd` and `/etc/group`
/// for a user name, `/usr/lib/os-release` and `/etc/ld.so.cache`. An image
/// is read once with these in view ([`ImageFs::open`]).
pub fn start_files(config: &Config, limits: &Limits) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = vec![b"usr/lib/os-release".to_vec(), b"etc/ld.so.cache".to_vec()];
    if !config.user.is_empty() {
        out.extend([b"etc/passwd".to_vec(), b"etc/group".to_vec()]);
    }
    if let Some(cmd) = argv(config).first() {
        out.extend(command_candidates(config, cmd, limits).unwrap_or_default());
    }
    out.iter_mut().for_each(|p| {
        let clean: Vec<&[u8]> = p
            .split(|b| *b == b'/')
            .filter(|c| !c.is_empty() && *c != b".")
            .collect();
        *p = clean.join(&b'/');
    });
    out
}

/// Where the command may be: itself (from `WorkingDir` when relative), or
/// each `PATH` directory for a bare name.
fn command_candidates(config: &Config, cmd: &str, limits: &Limits) -> Result<Vec<Vec<u8>>, ImageError> {
    if cmd.contains('/') {
        return Ok(vec![full_path(config, cmd).into_bytes()]);
    }
    let path = env(config, "PATH").unwrap_or(DEFAULT_PATH);
    Ok(search_path(path, "PATH", limits)?
        .into_iter()
        .map(|d| format!("{d}/{cmd}").into_bytes())
        .collect())
}

/// A command with a `/`, as a path from the root.
fn full_path(config: &Config, cmd: &str) -> String {
    if cmd.starts_with('/') {
        cmd.to_string()
    } else {
        format!("{}/{cmd}", config.working_dir)
    }
}

/// Replay the container's start against `image`, with its configured
/// entrypoint and command. Errors: what makes the image's start unknowable
/// (a limit passed, a malformed entrypoint), as the image's error.
pub fn start(image: &ImageFs, opts: &Options) -> Result<Start, Error> {
    start_command(image, opts, &argv(&image.config))
}

/// Replay the start of `argv` in `image`.
pub fn start_command(image: &ImageFs, opts: &Options, argv: &[String]) -> Result<Start, Error> {
    let mut r = Start::new(image, base::identify(image));
    if r.platforms.len() > 1 {
        let others: Vec<&str> = r
            .platforms
            .iter()
            .map(String::as_str)
            .filter(|p| *p != r.platform)
            .collect();
        r.warnings.push(format!(
            "judged for {}; the image also offers {}",
            r.platform,
            others.join(", ")
        ));
    }
    let asked = opts.platform.as_deref();
    if let Some(want) = asked.filter(|w| !(r.platform == *w || r.platform.starts_with(&format!("{w}/")))) {
        let actual = r.platform.clone();
        r.fail(
            ProblemKind::WrongPlatform {
                wanted: want.to_string(),
                actual: actual.clone(),
            },
            format!(
                "docker: Error response from daemon: image was found but does not match the specified platform: wanted {want}, actual: {actual}"
            ),
            format!("the image is {actual}, not {want}"),
            format!("build the image for {want} (docker buildx build --platform {want})"),
        );
    } else if user_found(image, &mut r)? {
        run(image, opts, argv, &mut r)?;
    }
    if let Some(e) = image.failure() {
        return Err(e.into());
    }
    r.settle();
    for b in &mut r.binaries {
        if let Report::Binary(b) = b {
            b.image_starts = Some(r.starts);
        }
    }
    base::compare_with_data(&mut r);
    Ok(r)
}

/// runc's user lookup: a name must be in the image's `/etc/passwd` (and a
/// group name in `/etc/group`); numbers need nothing.
fn user_found(image: &ImageFs, r: &mut Start) -> Result<bool, Error> {
    let cfg = &image.config;
    if cfg.user.is_empty() {
        return Ok(true);
    }
    let (user, group) = cfg.user.split_once(':').unwrap_or((&cfg.user, ""));
    for (name, file, is_group) in [(user, "etc/passwd", false), (group, "etc/group", true)] {
        if name.is_empty() || name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let entry = [name.as_bytes(), b":"].concat();
        let found = match image.resolve(file.as_bytes()).ok().flatten() {
            Some((p, Node::File(f))) => image.any_line(&p, f, entry.len(), &|l| l.starts_with(&entry))?,
            _ => false,
        };
        if !found {
            let (what, plural) = if is_group {
                ("group", "group")
            } else {
                ("user", "passwd")
            };
            r.fail(
                ProblemKind::UserMissing {
                    name: name.to_string(),
                    group: is_group,
                },
                format!("unable to find {what} {name}: no matching entries in {plural} file"),
                format!("the image's User is {name:?}, which /{file} does not list"),
                format!(
                    "use a numeric {what} id, or one of the image's (distroless has root, nobody and nonroot (65532))"
                ),
            );
            return Ok(false);
        }
    }
    r.entrypoint_steps.push(format!("user {} found", cfg.user));
    Ok(true)
}

/// The command: found (in `PATH` for a bare name, as runc's `LookPath`
/// does), an executable file, then executed.
fn run(image: &ImageFs, opts: &Options, argv: &[String], r: &mut Start) -> Result<(), Error> {
    let Some(cmd) = argv.first() else {
        r.fail(
            ProblemKind::NoCommand,
            "docker: Error response from daemon: no command specified".into(),
            "the image has neither Entrypoint nor Cmd".into(),
            "set ENTRYPOINT [\"/path/to/binary\"] in exec form".into(),
        );
        return Ok(());
    };
    if cmd == "/bin/sh" && argv.get(1).is_some_and(|a| a == "-c") {
        r.entrypoint_steps.push(format!("shell form: {}", argv[2..].join(" ")));
    }
    let Some((looked_up, (path, node))) = find_command(image, cmd, r)? else {
        return Ok(());
    };
    if show(&path).as_bytes() != cmd.as_bytes() {
        r.entrypoint_steps.push(format!("{cmd} resolves to {}", show(&path)));
    }
    match node {
        Node::File(f) if f.mode & 0o111 != 0 => {
            let named = exec::Named {
                exec: &looked_up,
                argv0: cmd,
            };
            exec::exec(image, opts, named, &path, f, r, 0)
        }
        _ => {
            let what = if node == Node::Dir {
                "a directory"
            } else {
                "not executable"
            };
            r.fail(
                ProblemKind::NotExecutable { path: show(&path) },
                format!("exec {cmd}: permission denied"),
                format!("{} is {what}", show(&path)),
                "point ENTRYPOINT at the program and give it execute bits (COPY --chmod=0755)".into(),
            );
            Ok(())
        }
    }
}

/// A command runc's `LookPath` found: the name it executes, and the file
/// that name resolves to (its path in the image, and what is there).
type Found = (String, (Vec<u8>, Node));

/// Where the command is in the image, or a problem that says why not, as
/// runc's `LookPath` finds it: the command as given when it has a `/`,
/// else the first executable file named so in a `PATH` directory. Returns
/// that name (what runc executes, and names when the execve fails) and the
/// file it resolves to.
fn find_command(image: &ImageFs, cmd: &str, r: &mut Start) -> Result<Option<Found>, Error> {
    let missing = |message: String, explanation: String, fix: String| {
        Problem::with(
            ProblemKind::EntrypointMissing {
                command: cmd.to_string(),
            },
            message,
            explanation,
            fix,
        )
    };
    if cmd.contains('/') {
        return Ok(match image.resolve(full_path(&image.config, cmd).as_bytes()) {
            Ok(Some(found)) => Some((cmd.to_string(), found)),
            Ok(None) => {
                let fix = if cmd.starts_with("/bin/sh") {
                    "use the exec form, ENTRYPOINT [\"/app\", \"--flag\"]: distroless has no shell".into()
                } else {
                    format!("COPY the program to {cmd}, or fix the path")
                };
                let message = format!("exec: \"{cmd}\": stat {cmd}: no such file or directory");
                r.problems
                    .push(missing(message, format!("{cmd} is not in the image"), fix));
                None
            }
            Err(e) => {
                let message = format!("exec: \"{cmd}\": stat {cmd}: {e}");
                r.problems.push(missing(
                    message,
                    format!("{cmd} cannot be resolved: {e}"),
                    "fix the symbolic links".into(),
                ));
                None
            }
        });
    }
    // runc's LookPath: a name without a slash is searched in PATH.
    let path_var = env(&image.config, "PATH").unwrap_or(DEFAULT_PATH);
    let found = command_candidates(&image.config, cmd, &image.limits)?
        .into_iter()
        .find_map(|looked| match image.resolve(&looked).ok().flatten()? {
            (p, Node::File(f)) if f.mode & 0o111 != 0 => Some((crate::text::from_bytes(&looked), (p, Node::File(f)))),
            _ => None,
        });
    if found.is_some() {
        r.entrypoint_steps.push(format!("{cmd} found in PATH"));
    } else {
        r.problems.push(missing(
            format!("exec: \"{cmd}\": executable file not found in $PATH"),
            format!("no executable {cmd} in PATH={path_var}"),
            format!("use an absolute path in ENTRYPOINT, or put {cmd} in one of those directories"),
        ));
    }
    Ok(found)
}
