//! Will a built image start? The container runtime's and the kernel's
//! steps, replayed against the image's own files (never the host's):
//! runc's user lookup and `exec.LookPath`, the kernel's `execve` (a
//! script's `#!` interpreter, PT_INTERP), then glibc's loader
//! ([`crate::loader`], with the image's `LD_LIBRARY_PATH` and
//! `/etc/ld.so.cache`).

mod base;

use serde::Serialize;

pub use crate::imagefs::Config;
pub use base::Base;

use crate::Options;
use crate::elf::{ElfFile, Kind, oci_arch};
use crate::imagefs::{ImageError, ImageFs, Node};
use crate::input::sniff::{self, Format};
use crate::loader::{self, Env, Event, Walk};
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
}

/// One ELF file of the image, checked with `--all`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FileCheck {
    /// Its path in the image.
    pub path: String,
    /// Whether its loader, libraries and versions are all there.
    pub loads: bool,
    /// What the loader would print first when it does not.
    pub crash: Option<String>,
    /// Its problems.
    pub problems: Vec<Problem>,
}

/// Check every ELF file of the image (`--all`): each program as if it
/// were the entrypoint, each library as the loader would load it.
pub fn load_all(image: &ImageFs, r: &mut Start) -> Result<(), ImageError> {
    let mut out = Vec::new();
    image.for_each_elf(&mut |path, bytes| {
        let mut sub = Start::new(image, None);
        let shown = abs(path);
        load(image, &shown, path, bytes, &mut sub);
        out.push(FileCheck {
            path: shown,
            loads: sub.problems.is_empty(),
            crash: sub.problems.first().map(|p| p.message.clone()),
            problems: sub.problems,
        });
    })?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    r.all = out;
    Ok(())
}

fn abs(p: &str) -> String {
    format!("/{p}")
}

/// Replay the container's start against `image`, with its configured
/// entrypoint and command (Docker's rule: `Entrypoint` followed by `Cmd`,
/// or `Cmd` alone).
pub fn start(image: &ImageFs, opts: &Options) -> Start {
    let cfg = &image.config;
    let argv: Vec<String> = if cfg.entrypoint.is_empty() {
        cfg.cmd.clone()
    } else {
        cfg.entrypoint.iter().chain(cfg.cmd.iter()).cloned().collect()
    };
    start_command(image, opts, &argv)
}

/// Replay the start of `argv` in `image`.
pub fn start_command(image: &ImageFs, opts: &Options, argv: &[String]) -> Start {
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
    } else if user_found(image, &mut r) {
        run(image, opts, argv, &mut r);
    }
    r.starts = r.problems.is_empty();
    r.crash = r.problems.first().map(|p| p.message.clone());
    for b in &mut r.binaries {
        if let Report::Binary(b) = b {
            b.image_starts = Some(r.starts);
        }
    }
    base::compare_with_data(&mut r);
    r
}

/// runc's user lookup: a name must be in the image's `/etc/passwd` (and a
/// group name in `/etc/group`); numbers need nothing.
fn user_found(image: &ImageFs, r: &mut Start) -> bool {
    let cfg = &image.config;
    if cfg.user.is_empty() {
        return true;
    }
    let (user, group) = cfg.user.split_once(':').unwrap_or((&cfg.user, ""));
    for (name, file, is_group) in [(user, "etc/passwd", false), (group, "etc/group", true)] {
        if name.is_empty() || name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let entries = image
            .resolve(file)
            .ok()
            .flatten()
            .and_then(|(p, _)| image.read(&p).ok())
            .unwrap_or_default();
        let found = String::from_utf8_lossy(&entries)
            .lines()
            .any(|l| l.split(':').next() == Some(name));
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
            return false;
        }
    }
    r.entrypoint_steps.push(format!("user {} found", cfg.user));
    true
}

/// The command: found (in `PATH` for a bare name, as runc's `LookPath`
/// does), an executable file, then executed.
fn run(image: &ImageFs, opts: &Options, argv: &[String], r: &mut Start) {
    let Some(cmd) = argv.first() else {
        r.fail(
            ProblemKind::NoCommand,
            "docker: Error response from daemon: no command specified".into(),
            "the image has neither Entrypoint nor Cmd".into(),
            "set ENTRYPOINT [\"/path/to/binary\"] in exec form".into(),
        );
        return;
    };
    if cmd == "/bin/sh" && argv.get(1).is_some_and(|a| a == "-c") {
        r.entrypoint_steps.push(format!("shell form: {}", argv[2..].join(" ")));
    }
    let Some((path, node)) = find_command(image, cmd, r) else {
        return;
    };
    if abs(&path) != *cmd {
        r.entrypoint_steps.push(format!("{cmd} resolves to /{path}"));
    }
    if !matches!(node, Node::File { mode, .. } if mode & 0o111 != 0) {
        let what = if node == Node::Dir {
            "a directory"
        } else {
            "not executable"
        };
        r.fail(
            ProblemKind::NotExecutable { path: abs(&path) },
            format!("exec {cmd}: permission denied"),
            format!("/{path} is {what}"),
            "point ENTRYPOINT at the program and give it execute bits (COPY --chmod=0755)".into(),
        );
        return;
    }
    exec(image, opts, cmd, &path, r, 0);
}

/// Where the command is in the image, or a problem that says why not.
fn find_command(image: &ImageFs, cmd: &str, r: &mut Start) -> Option<(String, Node)> {
    let cfg = &image.config;
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
        let full = if cmd.starts_with('/') {
            cmd.to_string()
        } else {
            format!("{}/{cmd}", cfg.working_dir)
        };
        return match image.resolve(&full) {
            Ok(Some(found)) => Some(found),
            Ok(None) => {
                let fix = if cmd.starts_with("/bin/sh") {
                    "use the exec form, ENTRYPOINT [\"/app\", \"--flag\"]: distroless has no shell".into()
                } else {
                    format!("COPY the program to {cmd}, or fix the path")
                };
                r.problems.push(missing(
                    format!("exec: \"{cmd}\": stat {cmd}: no such file or directory"),
                    format!("{cmd} is not in the image"),
                    fix,
                ));
                None
            }
            Err(e) => {
                r.problems.push(missing(
                    format!("exec: \"{cmd}\": stat {cmd}: {e}"),
                    format!("{cmd} cannot be resolved: {e}"),
                    "fix the symbolic links".into(),
                ));
                None
            }
        };
    }
    // runc's LookPath: a name without a slash is searched in PATH.
    let path_var = cfg
        .env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    let found = path_var.split(':').filter(|d| !d.is_empty()).find_map(|d| {
        let (p, node) = image.resolve(&format!("{d}/{cmd}")).ok().flatten()?;
        matches!(node, Node::File { mode, .. } if mode & 0o111 != 0).then_some((p, node))
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
    found
}

/// The kernel's execve of `/path` (shown as `shown`), then the loader.
fn exec(image: &ImageFs, opts: &Options, shown: &str, path: &str, r: &mut Start, depth: usize) {
    let bytes = match image.read(path) {
        Ok(b) => b,
        Err(e) => {
            r.fail(
                ProblemKind::Unreadable { path: abs(path) },
                format!("exec {shown}: {e}"),
                e.to_string(),
                String::new(),
            );
            return;
        }
    };
    match sniff::detect(&bytes) {
        Format::Script if depth == 0 => {
            let sb = sniff::shebang(&bytes).map(|s| s.command).unwrap_or_default();
            let interp = sb.split_whitespace().next().unwrap_or_default().to_string();
            r.entrypoint_steps.push(format!("/{path} is a script for {sb}"));
            match image.resolve(&interp).ok().flatten() {
                Some((p, Node::File { .. })) => exec(image, opts, shown, &p, r, depth + 1),
                _ => r.fail(
                    ProblemKind::InterpreterMissing {
                        interpreter: interp.clone(),
                        musl: false,
                    },
                    format!("exec {shown}: no such file or directory"),
                    format!("the script's #! interpreter {interp} is not in the image: the kernel reports ENOENT for the script, which is there"),
                    "ship a compiled program, or an image that has the interpreter (gcr.io/distroless/python3, nodejs)".into(),
                ),
            }
        }
        Format::Elf => {
            // The image itself is what is judged (no second --image
            // verdict), against its own generation when it is a
            // distroless one, unless --distro asks for another.
            let own = r.base.as_ref().and_then(|b| b.generation.clone());
            let inner = Options {
                image: None,
                distro: match own {
                    Some(g) if !opts.distro_given => g,
                    _ => opts.distro.clone(),
                },
                ..opts.clone()
            };
            let report = crate::analyze(&bytes, &inner);
            load(image, shown, path, &bytes, r);
            r.binaries.push(report.with_path(abs(path)));
        }
        _ => r.fail(
            ProblemKind::ExecFormat { path: abs(path) },
            format!("exec {shown}: exec format error"),
            format!("/{path} is not a Linux program"),
            "build the program for Linux".into(),
        ),
    }
}

/// The kernel's and the loader's work for the ELF program at `path` (shown
/// as `shown`).
fn load(image: &ImageFs, shown: &str, path: &str, bytes: &[u8], r: &mut Start) {
    let Ok(file) = ElfFile::parse(bytes) else {
        r.fail(
            ProblemKind::ExecFormat { path: abs(path) },
            format!("exec {shown}: exec format error"),
            format!("/{path} is a malformed ELF file"),
            "rebuild or re-copy it".into(),
        );
        return;
    };
    let Ok(facts) = file.facts() else { return };
    let want_arch = image.platform.split('/').nth(1).unwrap_or("amd64");
    let arch = oci_arch(&facts.machine);
    if arch != want_arch && !(arch == "386" && want_arch == "amd64") {
        r.fail(
            ProblemKind::WrongArchitecture {
                built_for: format!("linux/{arch}"),
                image: image.platform.clone(),
            },
            format!("exec {shown}: exec format error"),
            format!("/{path} is built for linux/{arch}, the image is {}", image.platform),
            format!("build it for {}", image.platform),
        );
        return;
    }
    if facts.interpreter.is_none() && (facts.kind != Kind::SharedLibrary || facts.needed.is_empty()) {
        r.entrypoint_steps.push(format!("/{path} is statically linked"));
        return;
    }
    if let Some(interp) = &facts.interpreter {
        match loader::Root::interpreter(image, interp) {
            Some(p) => r.entrypoint_steps.push(format!("PT_INTERP {interp} resolves to {p}")),
            None => {
                let musl = interp.contains("ld-musl");
                let fix = if musl {
                    // No distroless image has musl's loader: only a static
                    // build runs.
                    format!(
                        "link it statically against musl (musl-gcc -static; Rust: --target {}-unknown-linux-musl): no distroless image has musl's loader",
                        facts.machine
                    )
                } else {
                    "use a base image with glibc's loader (gcr.io/distroless/base-nossl or larger), or link statically"
                        .into()
                };
                r.fail(
                    ProblemKind::InterpreterMissing {
                        interpreter: interp.clone(),
                        musl,
                    },
                    format!("exec {shown}: no such file or directory"),
                    format!(
                        "PT_INTERP {interp} is not in the image: the kernel reports ENOENT for the program, which is there"
                    ),
                    fix,
                );
                return;
            }
        }
    }
    let ld_library_path: Vec<String> = image
        .config
        .env
        .iter()
        .find_map(|e| e.strip_prefix("LD_LIBRARY_PATH="))
        .map(|v| v.split(':').filter(|d| !d.is_empty()).map(str::to_string).collect())
        .unwrap_or_default();
    let env = Env {
        arch: want_arch,
        ld_library_path: &ld_library_path,
    };
    let program = std::sync::Arc::new(loader::Object::read(&file));
    let walk = loader::load(image, &abs(path), program, &env);
    loader_problems(image, &walk, shown, want_arch, r);
}

/// The loader's first failure, as it reports it: the first library not
/// found (the loader stops there), else every missing version.
fn loader_problems(image: &ImageFs, walk: &Walk, shown: &str, arch: &str, r: &mut Start) {
    let name_of = |i: usize| if i == 0 { shown } else { walk.objects[i].path.as_str() };
    for event in &walk.events {
        match event {
            Event::Loaded(i) => {
                let o = &walk.objects[*i];
                r.entrypoint_steps.push(format!("{} → {}", o.name, o.path));
            }
            Event::Missing(m) => {
                let (explanation, fix) = missing_library(image, &m.name, name_of(m.needed_by), arch, r.base.as_ref());
                r.problems.push(Problem::with(
                    ProblemKind::LibraryMissing {
                        soname: m.name.clone(),
                        needed_by: (m.needed_by != 0).then(|| walk.objects[m.needed_by].name.clone()),
                    },
                    format!(
                        "{shown}: error while loading shared libraries: {}: cannot open shared object file: No such file or directory",
                        m.name
                    ),
                    explanation,
                    fix,
                ));
                return;
            }
        }
    }
    if walk.missing_versions.is_empty() {
        return;
    }
    let mut libraries: Vec<String> = walk
        .missing_versions
        .iter()
        .map(|m| walk.objects[m.library].name.clone())
        .collect();
    let lines: Vec<String> = walk
        .missing_versions
        .iter()
        .map(|m| {
            format!(
                "{shown}: {}: version `{}' not found (required by {})",
                walk.objects[m.library].path,
                m.version,
                name_of(m.requirer)
            )
        })
        .collect();
    libraries.dedup();
    let versions = walk.missing_versions.iter().map(|m| m.version.clone()).collect();
    r.fail(
        ProblemKind::VersionMissing {
            library: libraries[0].clone(),
            versions,
        },
        lines.join("\n"),
        format!("{} in the image lacks versions the program needs", libraries.join(", ")),
        "build on the image's Debian generation, or move to a newer base image".into(),
    );
}

/// Why a library the loader did not find is missing, and the fix: a file
/// of that name elsewhere in the image is off the loader's search path
/// (give it a DT_RUNPATH, or move it); on a distroless base, a larger
/// image of the same generation may have it; otherwise, copy it in.
fn missing_library(image: &ImageFs, name: &str, needed_by: &str, arch: &str, base: Option<&Base>) -> (String, String) {
    let dir = format!("/usr/lib/{}", loader::multiarch_triplet(arch));
    if let Some(found) = image.find_named(name) {
        let at = found.rsplit_once('/').map_or("/", |(d, _)| d);
        return (
            format!(
                "{needed_by} needs {name}, which the image has at {found}, but {at} is not where the loader looks (not a default directory, and no /etc/ld.so.cache lists it)"
            ),
            format!(
                "link the program with -Wl,-rpath,{at} (DT_RUNPATH), or put {name} in {dir} (or set ENV LD_LIBRARY_PATH={at})"
            ),
        );
    }
    let catalog = crate::catalog::Catalog::embedded();
    let holder = base
        .and_then(|b| b.generation.as_deref())
        .and_then(|g| catalog.holders(g, arch, name).next());
    let fix = match holder {
        Some(h) => format!("FROM {} (it has {name}), or COPY {name} into {dir}", h.reference),
        None => format!("COPY {name} into {dir} (and what it needs in turn)"),
    };
    (
        format!("{needed_by} needs {name}, which the image does not have where the loader looks"),
        fix,
    )
}
