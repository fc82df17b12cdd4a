//! The findings about building the target stage and starting it: the build
//! steps that fail (a copy the builder refuses, a `RUN` without a shell),
//! then the container's start as the runtime does it (runc's user lookup,
//! the command found, `execve` of a script or program).

use super::findings::{Finding, Rule};
use super::fs::{CopyError, Lookup, Node, Origin};
use super::parse::{Command, Pos};
use super::stage::{self, Event, Replayed, Root};

/// The users and groups of every distroless image's `/etc/passwd` and
/// `/etc/group` (the reference data's generated files).
const DISTROLESS_USERS: [&str; 3] = ["root", "nobody", "nonroot"];
const DISTROLESS_GROUPS: [&str; 5] = ["root", "nobody", "tty", "staff", "nonroot"];

/// The findings of the build: each step that makes it fail, in order.
pub fn build(stages: &[&Replayed]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, r) in stages.iter().enumerate() {
        let last = i + 1 == stages.len();
        for e in &r.events {
            out.extend(build_event(e, r, last));
        }
    }
    out.sort_by_key(|f| f.at.line);
    out
}

fn build_event(e: &Event, r: &Replayed, last: bool) -> Option<Finding> {
    let legacy = "the legacy builder (DOCKER_BUILDKIT=0) replaces the directory with the file instead";
    Some(match e {
        Event::CopyFailed {
            at,
            error: CopyError::ReplaceDirectory(p),
        } => Finding::new(
            Rule::CopyOntoDirectory,
            *at,
            format!("the copy lands on {p}, a directory the image already has: BuildKit refuses to replace a directory with a file, and the build fails ({legacy})"),
            Some(format!("cannot replace to directory {p} with file")),
            format!("copy the file into the directory with a trailing slash or a full name ({p}/NAME), or to a path of its own"),
        ),
        Event::CopyFailed {
            at,
            error: CopyError::NotDirectory(p),
        } => Finding::new(
            Rule::CopyOntoFile,
            *at,
            format!("the copy needs {p} to be a directory, and it is a file: the build fails"),
            Some(format!("cannot copy to non-directory: {p}")),
            "copy to another path".into(),
        ),
        Event::SourceMissing { at, path, excluded } => Finding::new(
            Rule::CopySourceMissing,
            *at,
            if *excluded {
                format!("{path} is left out of the build context by .dockerignore: the build fails (newer BuildKit words it \"failed to calculate checksum of ref ...: \"{path}\": not found\")")
            } else {
                format!("{path} is not in the build context (or the stage it is copied from): the build fails (newer BuildKit words it \"failed to calculate checksum of ref ...: \"{path}\": not found\")")
            },
            Some(format!("failed to compute cache key: \"{path}\" not found")),
            if *excluded {
                format!("take it out of .dockerignore (or re-include it: !{})", path.trim_start_matches('/'))
            } else {
                "fix the source path, or check .dockerignore".into()
            },
        ),
        Event::SourceUnseen { at, path } => Finding::new(
            Rule::CopySourceUnseen,
            *at,
            format!("{path} is not in the Dockerfile's directory, which dlcheck takes as the build context: if the build uses this directory, it fails; if the context is elsewhere (docker build -f DIR/Dockerfile .), pass it with --context"),
            Some(format!("failed to compute cache key: \"{path}\" not found")),
            "pass the build context (--context DIR), or fix the source path".into(),
        ),
        Event::MultipleToFile { at } => Finding::new(
            Rule::CopySeveralToFile,
            *at,
            "several sources are copied to a destination that does not end with a slash and is not a directory: BuildKit copies each onto that one path, so only the last source is there, as a file; the legacy builder (DOCKER_BUILDKIT=0) refuses the build".into(),
            Some("When using COPY with more than one source file, the destination must be a directory and end with a /".into()),
            "end the destination with /".into(),
        ),
        Event::Run {
            at,
            program,
            command,
            found: Some(false),
        } if last || r.root.shell_less() == Some(true) => run_without_shell(*at, program, command),
        _ => return None,
    })
}

fn run_without_shell(at: Pos, program: &str, command: &Command) -> Finding {
    let form = match command {
        Command::Shell(_) => format!("a shell-form RUN runs {program} -c, and the image has no {program}"),
        Command::Exec(_) => format!("the image has no {program}"),
    };
    Finding::new(
        Rule::RunWithoutShell,
        at,
        format!("{form}: the build fails at this RUN"),
        Some(exec_stat(program)),
        "run the step in a builder stage (FROM debian or golang ... AS build) and COPY --from=build only its result into the distroless stage".into(),
    )
}

/// runc's words when the program does not exist.
pub fn exec_stat(program: &str) -> String {
    format!("exec: \"{program}\": stat {program}: no such file or directory")
}

/// What the container runs: `ENTRYPOINT` then `CMD`, a shell form wrapped
/// in `SHELL` (default `/bin/sh -c`); with where the program's name comes
/// from and whether it is a shell form.
pub struct Argv {
    /// The arguments, program first.
    pub args: Vec<String>,
    /// The instruction whose first word is the program (`None`: the base's).
    pub at: Option<Pos>,
    /// The program is the shell of a shell form.
    pub shell_form: bool,
}

/// Combine `ENTRYPOINT` and `CMD` as the engine does.
pub fn argv(r: &Replayed) -> Argv {
    let words = |c: &Command| match c {
        Command::Exec(a) => a.clone(),
        Command::Shell(t) => r.shell.iter().cloned().chain([t.clone()]).collect(),
    };
    let mut args = Vec::new();
    let mut at = None;
    let mut shell_form = false;
    for set in [&r.entrypoint, &r.cmd].into_iter().flatten() {
        if args.is_empty() {
            at = set.at;
            shell_form = matches!(set.command, Command::Shell(_));
        }
        args.extend(words(&set.command));
    }
    Argv { args, at, shell_form }
}

/// The findings of the start, in the order the runtime meets them (the
/// first error is what the container prints; those after it are met once
/// it is fixed); the path the program resolves to when it is found.
pub fn start(r: &Replayed) -> (Vec<Finding>, Option<String>) {
    let mut out: Vec<Finding> = user(r).into_iter().collect();
    let argv = argv(r);
    let Some(program) = argv.args.first() else {
        if !r.config_known {
            // The base's ENTRYPOINT and CMD are not known (alpine's CMD is
            // /bin/sh): it may give the command.
            return (out, None);
        }
        let f = Finding::new(
            Rule::NoCommand,
            Pos::default(),
            "the final stage has neither ENTRYPOINT nor CMD (and its base gives none): docker run refuses to start it"
                .into(),
            Some("No command specified".into()),
            "add ENTRYPOINT [\"/path/to/program\"] (exec form)".into(),
        );
        return (vec![f], None);
    };
    let at = argv.at.unwrap_or_default();
    let found = stage::find_program(&r.tree, &r.env, &r.workdir, program);
    match (&found, argv.shell_form) {
        (Lookup::Missing, true) => out.push(Finding::new(
            Rule::ShellForm,
            at,
            format!(
                "the shell form runs {} and the image has no {program}: the container does not start",
                argv.args[..argv.args.len() - 1].join(" ")
            ),
            Some(exec_stat(program)),
            format!(
                "use the exec form: {}",
                exec_form_of(argv.args.last().map_or("", String::as_str))
            ),
        )),
        (Lookup::Missing, false) => out.push(missing_program(r, program, at, None)),
        (Lookup::NotDirectory(file), _) => out.push(missing_program(r, program, at, Some(file))),
        (Lookup::Found(path, node), _) => {
            if let Some(f) = not_executable(program, node, at) {
                out.push(f);
            } else {
                return (out, Some(path.clone()));
            }
        }
        (Lookup::Unknown, _) => {}
    }
    (out, None)
}

/// `["/app", "--flag"]` for the shell-form text `/app --flag` (words split
/// on spaces; quotes are not undone).
fn exec_form_of(text: &str) -> String {
    let words: Vec<String> = text.split_whitespace().map(|w| format!("{w:?}")).collect();
    format!("CMD [{}] (or ENTRYPOINT)", words.join(", "))
}

/// The program is not there (`not_dir`: because this parent is a file).
fn missing_program(r: &Replayed, program: &str, at: Pos, not_dir: Option<&str>) -> Finding {
    let placed: Vec<String> = r
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Placed { path, at, origin } if !matches!(origin, Origin::Base) => {
                Some(format!("{path} (line {})", at.line))
            }
            Event::CopyFailed {
                at,
                error: CopyError::ReplaceDirectory(p),
            } => Some(format!("{p} (line {}, where the legacy builder puts it)", at.line)),
            _ => None,
        })
        .collect();
    let mut placed = placed;
    placed.dedup();
    let put = if placed.is_empty() {
        "the Dockerfile puts no file there".to_string()
    } else {
        format!("the Dockerfile puts {}", placed.join(", "))
    };
    if program.contains('/') {
        let full = super::fs::normalize(program, &r.workdir);
        let (why, output) = match not_dir {
            Some(file) => (
                format!("{file} is a file, not a directory"),
                format!("exec: \"{program}\": stat {program}: not a directory"),
            ),
            None => ("it is not in the image".to_string(), exec_stat(program)),
        };
        Finding::new(
            Rule::CommandMissing,
            at,
            format!("the command runs {full}, and {why} ({put}): the container does not start"),
            Some(output),
            match placed.iter().find(|p| !p.contains("legacy builder")) {
                Some(p) => format!(
                    "point the command at the program ({}), or COPY it to {full}",
                    p.split(' ').next().unwrap_or_default()
                ),
                None => {
                    format!("COPY the program to {full}, naming the file in the destination (COPY ... SOURCE {full})")
                }
            },
        )
    } else {
        let path = r.env.get("PATH").map_or(super::DEFAULT_PATH, String::as_str);
        Finding::new(
            Rule::CommandNotInPath,
            at,
            format!(
                "{program} has no slash, so the runtime looks for it in PATH={path} only (not in WORKDIR {}), and it is not there ({put})",
                r.workdir
            ),
            Some(format!("exec: \"{program}\": executable file not found in $PATH")),
            format!(
                "use the absolute path ({}), or ./{program} from the WORKDIR",
                super::fs::normalize(program, &r.workdir)
            ),
        )
    }
}

fn not_executable(program: &str, node: &Node, at: Pos) -> Option<Finding> {
    let what = match node {
        Node::Dir { .. } => "a directory",
        Node::File(f) if f.executable == Some(false) => "a file without execute bits",
        _ => return None,
    };
    Some(Finding::new(
        Rule::CommandNotExecutable,
        at,
        format!("{program} is {what}: the container does not start"),
        Some(format!("exec: \"{program}\": permission denied")),
        "point the command at the program, and give it execute bits (COPY --chmod=0755)".into(),
    ))
}

/// runc's user lookup: a name must be in the image's `/etc/passwd` (a
/// group in `/etc/group`); numbers need nothing.
fn user(r: &Replayed) -> Option<Finding> {
    let (spec, at) = &r.user;
    let (name, group) = spec.split_once(':').unwrap_or((spec, ""));
    for (name, file, is_group) in [(name, "/etc/passwd", false), (group, "/etc/group", true)] {
        if name.is_empty() || name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let known: Option<&[&str]> = match r.tree.lookup(file) {
            Lookup::Found(_, Node::File(f)) if f.origin == Origin::Base => Some(if is_group {
                &DISTROLESS_GROUPS
            } else {
                &DISTROLESS_USERS
            }),
            Lookup::Missing => Some(&[]),
            _ => None,
        };
        if known.is_some_and(|k| !k.contains(&name)) {
            let (what, plural) = if is_group {
                ("group", "group")
            } else {
                ("user", "passwd")
            };
            let listed = known.unwrap_or_default().join(", ");
            let has = if listed.is_empty() {
                format!("the image has no {file}")
            } else {
                format!("{file} lists {listed}")
            };
            return Some(Finding::new(
                Rule::UserMissing,
                at.unwrap_or_default(),
                format!("USER {spec}: {has}, so the runtime cannot find {name} and the container does not start"),
                Some(format!(
                    "unable to find {what} {name}: no matching entries in {plural} file"
                )),
                format!("use a numeric id (USER 65532), or a {what} the image has (distroless: root, nobody, nonroot)"),
            ));
        }
    }
    None
}

/// `:nonroot` images and `USER`: going back to root undoes the tag.
pub fn nonroot(r: &Replayed) -> Option<Finding> {
    let Root::Distroless(image) = &r.root else { return None };
    let (spec, at) = &r.user;
    let name = spec.split(':').next().unwrap_or_default();
    let at = (*at)?;
    if image.tag.contains("nonroot") && matches!(name, "root" | "0") {
        return Some(Finding::new(
            Rule::NonrootUser,
            at,
            format!(
                "{} runs as nonroot (65532), and USER {spec} makes the container run as root again",
                image.given
            ),
            None,
            "drop the USER line, or use the :latest tag if root is meant".into(),
        ));
    }
    None
}
