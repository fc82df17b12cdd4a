//! Each stage replayed as the builder would: its base's files and
//! configuration, then its instructions (`COPY`/`ADD` placed by
//! [`super::fs`], `WORKDIR`, `ENV`, `USER`, `SHELL`, `CMD` and `ENTRYPOINT`
//! combined as BuildKit's frontend does: an `ENTRYPOINT` clears the `CMD`
//! inherited from the base, not one set earlier in the same stage).

use std::path::{Path, PathBuf};

use super::base::{self, BaseKind};
use super::fs::{self, CopyError, File, Lookup, Node, Origin, Tree};
use super::ignore::Ignore;
use super::parse::{Command, Copy, Op, Pos, Source, Stage};
use super::words::Vars;
use crate::catalog::{Catalog, ImageRef};

/// What the final image is built on, the chain of stage bases followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    /// A distroless image dlcheck has data for.
    Distroless(ImageRef),
    /// A distroless image it has no data for (no shell either).
    OtherDistroless(String),
    /// `scratch`.
    Scratch,
    /// Another image: its reference.
    Other(String),
}

impl Root {
    /// Whether the image has no `/bin/sh` (distroless without `:debug`,
    /// scratch); `None` when not known.
    pub fn shell_less(&self) -> Option<bool> {
        match self {
            Root::Distroless(_) | Root::OtherDistroless(_) | Root::Scratch => Some(true),
            Root::Other(_) => None,
        }
    }
}

/// A command with where it was set (`None`: inherited from the base).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Set {
    /// The command.
    pub command: Command,
    /// The instruction that set it, or `None` for the base image's.
    pub at: Option<Pos>,
}

/// Something that happened while replaying that findings speak of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A `RUN`, with the shell form's shell (`SHELL`, else `/bin/sh -c`).
    Run {
        /// Where.
        at: Pos,
        /// The program the engine starts for it: the shell, or the exec
        /// form's first word.
        program: String,
        /// The command.
        command: Command,
        /// Whether that program is in the stage's image at that point
        /// (`None`: not known).
        found: Option<bool>,
    },
    /// A copy that cannot be made.
    CopyFailed {
        /// Where.
        at: Pos,
        /// Why.
        error: CopyError,
    },
    /// A `COPY` of several sources to a destination without a trailing
    /// slash that is not a directory: BuildKit copies each onto it (the
    /// last one stays), the legacy builder refuses.
    MultipleToFile {
        /// Where.
        at: Pos,
    },
    /// A source that is not there: the build fails.
    SourceMissing {
        /// Where.
        at: Pos,
        /// The source, as BuildKit names it (absolute in the context or
        /// the stage).
        path: String,
        /// It is in the context's directory, but `.dockerignore` leaves it
        /// out of the context.
        excluded: bool,
    },
    /// A source not in the directory taken as the context (the
    /// Dockerfile's): the build fails unless the context is elsewhere.
    SourceUnseen {
        /// Where.
        at: Pos,
        /// The source, absolute in the context.
        path: String,
    },
    /// A file placed: its path in the image.
    Placed {
        /// Where.
        at: Pos,
        /// The path it landed at (links followed).
        path: String,
        /// Where it came from.
        origin: Origin,
    },
}

/// A stage after its instructions.
#[derive(Debug, Clone)]
pub struct Replayed {
    /// What it is built on, ultimately.
    pub root: Root,
    /// Its files.
    pub tree: Tree,
    /// `ENTRYPOINT`, if set.
    pub entrypoint: Option<Set>,
    /// `CMD`, if set.
    pub cmd: Option<Set>,
    /// `CMD` was set in this stage (then an `ENTRYPOINT` keeps it).
    cmd_set_here: bool,
    /// `USER`, with where it was set (`None`: the base's).
    pub user: (String, Option<Pos>),
    /// `WORKDIR`.
    pub workdir: String,
    /// The environment (`ENV`, and the base's).
    pub env: Vars,
    /// `SHELL`.
    pub shell: Vec<String>,
    /// The configuration is the one the Dockerfile gives (the base's is
    /// known).
    pub config_known: bool,
    /// What happened, in order.
    pub events: Vec<Event>,
}

/// The build context, when it can be read.
#[derive(Debug, Clone)]
pub struct Context {
    /// Its directory.
    pub dir: Option<PathBuf>,
    /// It was given (`--context`), not taken to be the Dockerfile's
    /// directory: a source missing there surely fails the build.
    pub given: bool,
    /// Its `.dockerignore`: what the build never sees.
    pub ignore: Ignore,
}

impl Context {
    fn path(&self, rel: &str) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join(fs::normalize(rel, "/").trim_start_matches('/')))
    }
}

/// Replay every stage, in order (a stage sees the ones before it).
pub fn replay_all(stages: &[Stage], context: &Context) -> Vec<Replayed> {
    let mut done: Vec<Replayed> = Vec::new();
    for s in stages {
        let names: Vec<Option<String>> = stages[..s.index].iter().map(|p| p.name.clone()).collect();
        let mut r = start(&base::classify(&s.base, &names), &s.base, &done);
        for step in &s.steps {
            apply(&mut r, step.at, &step.op, stages, &done, context);
        }
        done.push(r);
    }
    done
}

/// A stage's start: its base's files and configuration.
fn start(kind: &BaseKind, reference: &str, done: &[Replayed]) -> Replayed {
    let mut r = Replayed {
        root: Root::Other(reference.to_string()),
        tree: Tree::unknown(),
        entrypoint: None,
        cmd: None,
        cmd_set_here: false,
        user: (String::new(), None),
        workdir: "/".into(),
        env: [("PATH".to_string(), super::DEFAULT_PATH.to_string())]
            .into_iter()
            .collect(),
        shell: vec!["/bin/sh".into(), "-c".into()],
        config_known: false,
        events: Vec::new(),
    };
    match kind {
        BaseKind::Stage(i) => {
            r = done[*i].clone();
            r.cmd_set_here = false;
            r.events.clear();
        }
        BaseKind::Scratch => {
            r.root = Root::Scratch;
            r.tree = Tree::new();
            r.config_known = true;
        }
        BaseKind::Distroless(image) => distroless(&mut r, image),
        BaseKind::OtherDistroless => r.root = Root::OtherDistroless(reference.to_string()),
        BaseKind::Other => {}
    }
    r
}

/// A distroless image's files (base-files' directories, the generated
/// ones, the libraries and loaders of the catalog for amd64, busybox for
/// `:debug`) and configuration (the reference data's `user_*`,
/// `workdir_*`, `SSL_CERT_FILE`, and `:debug`'s entrypoint).
fn distroless(r: &mut Replayed, image: &ImageRef) {
    r.root = Root::Distroless(image.clone());
    r.config_known = true;
    let generation = image.generation.as_deref().unwrap_or_default();
    let mut t = Tree::new();
    let (dirs, links) = base::base_files(generation);
    for (path, target) in links {
        t.put_link(path, target);
    }
    for d in dirs
        .iter()
        .chain(["/home/nonroot", "/var/lib/dpkg/status.d", "/etc/ssl/certs"].iter())
    {
        let _ = t.mkdir_p(d);
    }
    let base_file = |executable| File {
        origin: Origin::Base,
        line: 0,
        executable: Some(executable),
    };
    for f in [
        "/etc/passwd",
        "/etc/group",
        "/etc/nsswitch.conf",
        "/etc/ssl/certs/ca-certificates.crt",
    ] {
        let _ = t.put_file(f, base_file(false));
    }
    let catalog = Catalog::embedded();
    if let Some(arch) = catalog
        .image(image.variant.as_deref().unwrap_or_default(), generation)
        .and_then(|i| i.arch("amd64"))
    {
        for (path, real) in arch.loaders.pairs().chain(arch.sonames.pairs().map(|(_, p)| (p, p))) {
            let _ = t.put_file(real, base_file(true));
            if path != real {
                let _ = t.put_file(path, base_file(true));
            }
        }
    }
    let nonroot = image.tag.contains("nonroot");
    if nonroot {
        r.user = ("65532".into(), None);
        r.workdir = "/home/nonroot".into();
    }
    let mut path = super::DEFAULT_PATH.to_string();
    if image.tag.starts_with("debug") {
        let _ = t.put_file("/busybox/sh", base_file(true));
        path.push_str(":/busybox");
        r.entrypoint = Some(Set {
            command: Command::Exec(vec!["/busybox/sh".into()]),
            at: None,
        });
    }
    r.env.insert("PATH".into(), path);
    r.env
        .insert("SSL_CERT_FILE".into(), "/etc/ssl/certs/ca-certificates.crt".into());
    r.tree = t;
}

/// One instruction.
fn apply(r: &mut Replayed, at: Pos, op: &Op, stages: &[Stage], done: &[Replayed], context: &Context) {
    match op {
        Op::Copy(c) => copy(r, at, c, stages, done, context),
        Op::Run { command, .. } => {
            let program = match command {
                Command::Exec(args) => args.first().cloned().unwrap_or_default(),
                Command::Shell(_) => r.shell.first().cloned().unwrap_or_default(),
            };
            let found = find_program(&r.tree, &r.env, &r.workdir, &program).found();
            r.events.push(Event::Run {
                at,
                program,
                command: command.clone(),
                found,
            });
            // What it writes is not known.
            r.tree.open = true;
        }
        Op::Cmd(c) => {
            r.cmd = Some(Set {
                command: c.clone(),
                at: Some(at),
            });
            r.cmd_set_here = true;
        }
        Op::Entrypoint(c) => {
            r.entrypoint = Some(Set {
                command: c.clone(),
                at: Some(at),
            });
            if !r.cmd_set_here {
                r.cmd = None;
            }
        }
        Op::Workdir(w) => {
            r.workdir = fs::normalize(w, &r.workdir);
            let _ = r.tree.mkdir_p(&r.workdir);
        }
        Op::User(u) => r.user = (u.clone(), Some(at)),
        Op::Env(pairs) => r.env.extend(pairs.iter().cloned()),
        Op::Shell(s) => r.shell = s.clone(),
        Op::Other => {}
    }
}

/// Where the engine finds a program: a path with a slash (relative ones
/// from the working directory), or a bare name searched in `PATH` as runc's
/// `LookPath` does (a directory entry must be an executable file).
pub fn find_program<'t>(tree: &'t Tree, env: &Vars, workdir: &str, program: &str) -> Lookup<'t> {
    if program.contains('/') {
        return tree.lookup(&fs::normalize(program, workdir));
    }
    let path = env.get("PATH").map_or(super::DEFAULT_PATH, String::as_str);
    let mut unknown = false;
    for dir in path.split(':').filter(|d| !d.is_empty()) {
        match tree.lookup(&fs::normalize(program, dir)) {
            Lookup::Found(p, n @ Node::File(f)) if f.executable != Some(false) => return Lookup::Found(p, n),
            Lookup::Unknown => unknown = true,
            _ => {}
        }
    }
    if unknown { Lookup::Unknown } else { Lookup::Missing }
}

/// A source, read: a file (with its origin and execute bit), a directory's
/// files, or something not visible.
enum Found {
    File(File),
    Dir(Vec<(String, Node)>, bool),
    Unseen,
    Missing,
    /// In the context's directory, left out by `.dockerignore`.
    Excluded,
}

/// `COPY`/`ADD`: each source placed as BuildKit places it.
fn copy(r: &mut Replayed, at: Pos, c: &Copy, stages: &[Stage], done: &[Replayed], context: &Context) {
    let dest_dir_like = c.dest.ends_with('/') || c.dest == "." || c.dest.ends_with("/.");
    let dest = fs::normalize(&c.dest, &r.workdir);
    let into_dir = dest_dir_like || r.tree.is_dir(&dest);
    if c.sources.len() > 1 && !into_dir {
        r.events.push(Event::MultipleToFile { at });
    }
    for source in &c.sources {
        let (name, found) = read_source(source, c, at, stages, done, context);
        let target = if into_dir {
            fs::normalize(&name, &dest)
        } else {
            dest.clone()
        };
        let placed = match found {
            Found::File(mut f) => {
                if let Some(mode) = c.chmod.as_deref().and_then(|m| u32::from_str_radix(m, 8).ok()) {
                    f.executable = Some(mode & 0o111 != 0);
                }
                let origin = f.origin.clone();
                r.tree.put_file(&target, f).map(|path| Some((path, origin)))
            }
            // A directory's contents go into the destination.
            Found::Dir(entries, open) => r.tree.put_tree(&dest, &entries, at.line).and_then(|()| {
                if open {
                    r.tree.open_dir(&dest).map(|_| None)
                } else {
                    Ok(None)
                }
            }),
            Found::Unseen => r.tree.open_dir(&dest).map(|_| None),
            Found::Missing if c.from.is_none() && !context.given => {
                // Maybe a context elsewhere (docker build -f dir/Dockerfile .):
                // taken to be there, and said so.
                let path = fs::normalize(source_path(source), "/");
                r.events.push(Event::SourceUnseen { at, path: path.clone() });
                let f = File {
                    origin: Origin::Context(path),
                    line: at.line,
                    executable: None,
                };
                let origin = f.origin.clone();
                r.tree.put_file(&target, f).map(|path| Some((path, origin)))
            }
            Found::Missing | Found::Excluded => {
                r.events.push(Event::SourceMissing {
                    at,
                    path: fs::normalize(source_path(source), "/"),
                    excluded: matches!(found, Found::Excluded),
                });
                continue;
            }
        };
        match placed {
            Ok(Some((path, origin))) => r.events.push(Event::Placed { at, path, origin }),
            Ok(None) => {}
            Err(error) => r.events.push(Event::CopyFailed { at, error }),
        }
    }
}

fn source_path(source: &Source) -> &str {
    match source {
        Source::Path(p) => p,
        Source::HereDoc { name, .. } => name,
    }
}

/// Read one source: its base name and what it is.
fn read_source(
    source: &Source,
    c: &Copy,
    at: Pos,
    stages: &[Stage],
    done: &[Replayed],
    context: &Context,
) -> (String, Found) {
    let path = match source {
        Source::HereDoc { name, .. } => {
            let file = File {
                origin: Origin::HereDoc,
                line: at.line,
                executable: Some(false),
            };
            return (name.clone(), Found::File(file));
        }
        Source::Path(p) => p,
    };
    let name = fs::basename(path).to_string();
    // Wildcards, URLs, and archives ADD unpacks: what lands is not known.
    let archive = [
        ".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst",
    ];
    if path.contains(['*', '?', '[']) || path.contains("://") || (c.add && archive.iter().any(|a| path.ends_with(a))) {
        return (name, Found::Unseen);
    }
    let Some(from) = &c.from else {
        return (name, from_context(path, at, context));
    };
    let stage = stages
        .iter()
        .position(|s| s.name.as_deref() == Some(from.to_lowercase().as_str()))
        .or_else(|| from.parse::<usize>().ok())
        .filter(|i| *i < done.len());
    let Some(i) = stage else {
        // An image: what is in it is not known; most copies take a file.
        return (name, assumed_file(from, path, at));
    };
    let tree = &done[i].tree;
    let found = match tree.lookup(path) {
        // After a RUN, what a directory holds is not known.
        Lookup::Found(real, Node::Dir { open }) => Found::Dir(tree.files_under(&real), *open || tree.open),
        Lookup::Found(_, Node::File(f)) => Found::File(File {
            origin: Origin::From {
                from: from.clone(),
                path: path.clone(),
            },
            line: at.line,
            executable: f.executable,
        }),
        Lookup::Found(..) | Lookup::Unknown => assumed_file(from, path, at),
        Lookup::Missing | Lookup::NotDirectory(_) => Found::Missing,
    };
    (name, found)
}

/// A file from a stage or image whose contents are not visible (built by
/// a `RUN`): taken to be a file, as a program copied out of a builder is.
fn assumed_file(from: &str, path: &str, at: Pos) -> Found {
    Found::File(File {
        origin: Origin::From {
            from: from.to_string(),
            path: path.to_string(),
        },
        line: at.line,
        executable: None,
    })
}

/// A source in the build context, read from disk when the context is
/// known (its files, bounded; a larger directory is left unseen).
fn from_context(path: &str, at: Pos, context: &Context) -> Found {
    let excluded = context.ignore.excludes(path);
    if excluded && !context.ignore.reincludes() {
        return Found::Excluded;
    }
    let Some(full) = context.path(path) else {
        if excluded {
            return Found::Excluded;
        }
        return Found::File(File {
            origin: Origin::Context(fs::normalize(path, "/")),
            line: at.line,
            executable: None,
        });
    };
    match std::fs::metadata(&full) {
        // An excluded directory brings what a `!` pattern re-includes in
        // it, and is missing when that is nothing.
        Ok(m) if m.is_dir() => match context_dir(&full, path, at, &context.ignore) {
            Found::Dir(entries, _) if excluded && entries.iter().all(|(_, n)| matches!(n, Node::Dir { .. })) => {
                Found::Excluded
            }
            found => found,
        },
        _ if excluded => Found::Excluded,
        Ok(m) => Found::File(File {
            origin: Origin::Context(fs::normalize(path, "/")),
            line: at.line,
            executable: Some(std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0),
        }),
        Err(_) => Found::Missing,
    }
}

/// The files of a context directory, at most 4096 (more: left unseen),
/// but those `ignore` excludes.
fn context_dir(full: &Path, rel: &str, at: Pos, ignore: &Ignore) -> Found {
    let mut entries = Vec::new();
    for e in walkdir::WalkDir::new(full).min_depth(1).into_iter().take(4097) {
        let Ok(e) = e else { return Found::Unseen };
        let sub = e
            .path()
            .strip_prefix(full)
            .unwrap_or(e.path())
            .to_string_lossy()
            .into_owned();
        if ignore.excludes(&format!("{rel}/{sub}")) {
            continue;
        }
        // A link inside a directory is copied as a link (BuildKit keeps
        // it); the target is the image's to resolve.
        let node = if e.file_type().is_dir() {
            Node::Dir { open: false }
        } else if e.path_is_symlink() {
            match std::fs::read_link(e.path()) {
                Ok(target) => Node::Link(target.to_string_lossy().into_owned()),
                Err(_) => return Found::Unseen,
            }
        } else {
            let mode = e
                .metadata()
                .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()));
            Node::File(File {
                origin: Origin::Context(fs::normalize(&sub, &fs::normalize(rel, "/"))),
                line: at.line,
                executable: mode.ok().map(|m| m & 0o111 != 0),
            })
        };
        entries.push((sub, node));
    }
    if entries.len() > 4096 {
        return Found::Unseen;
    }
    Found::Dir(entries, false)
}
