//! The program the command starts, and whether it will run in the final
//! image: judged exactly when its bytes are at hand (given on the command
//! line, or a file of the build context), else inferred from the builder
//! stage that made it (its release's glibc, cgo's default, the language's
//! default linkage).

use super::base::{self, Builder};
use super::commands::{self, RunCommand};
use super::findings::{Finding, Rule};
use super::fs::{self, File, Lookup, Node, Origin};
use super::parse::{Command, Op, Pos, Stage};
use super::stage::{Context, Event, Replayed, Root};
use crate::catalog::{self, Catalog, ImageRef};
use crate::elf::version_cmp;
use crate::report::Report;
use crate::run::{self, Read};
use crate::verdict::{self, ExecFailure, PROGRAM, ShippedFiles, exec_failed};

/// What is known of the program.
pub struct Judged {
    /// Its report, when its bytes were read.
    pub report: Option<Report>,
    /// It will start (its linkage checked, or a static build inferred);
    /// `None` when not known.
    pub starts: Option<bool>,
    /// The assumption behind `starts`, when it was inferred.
    pub assumes: Option<String>,
}

impl Judged {
    /// Not judged: no report, whether it starts not known.
    pub fn unknown() -> Judged {
        Judged {
            report: None,
            starts: None,
            assumes: None,
        }
    }
}

/// The image the final stage is, as `--image` would name it.
pub fn image_ref(root: &Root) -> Option<ImageRef> {
    match root {
        Root::Distroless(i) => Some(i.clone()),
        Root::Scratch => Catalog::embedded().resolve("scratch").ok(),
        _ => None,
    }
}

/// `text` (a predicted message) with the program's names instead of
/// [`PROGRAM`], where the verdict's messages put it: runc's `exec` line
/// names the file it executes (`path`), the loader's lines its argv[0]
/// (`argv0`).
fn at_path(text: &str, path: &str, argv0: &str) -> String {
    text.lines()
        .map(|l| {
            let l = l.replace(&format!("exec {PROGRAM}:"), &format!("exec {path}:"));
            let l = l.replace(&format!("(required by {PROGRAM})"), &format!("(required by {argv0})"));
            match l.strip_prefix(&format!("{PROGRAM}:")) {
                Some(rest) => format!("{argv0}:{rest}"),
                None => l,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The final image as the program's loader meets it: the base, the shared
/// libraries the final stage copies in from the build context (at the
/// paths they are copied to: a COPY makes no link under a library's
/// DT_SONAME) and `LD_LIBRARY_PATH` in its `ENV` (read as the loader
/// reads it, [`crate::loader::ld_library_path`], once the program's path
/// is known).
pub struct FinalImage<'a> {
    /// The base.
    pub root: &'a Root,
    /// The platform it is built for (`linux/amd64`).
    pub platform: &'a str,
    /// The final stage's `WORKDIR`, against which a relative command is
    /// found.
    workdir: &'a str,
    /// The shared libraries copied in from the context, by image path.
    copied: ShippedFiles,
    /// `LD_LIBRARY_PATH` in its `ENV`, as written.
    ld_library_path: String,
}

impl<'a> FinalImage<'a> {
    /// Read the final stage `last`: each file it copies from the context
    /// whose name holds `.so` (or link to one, under the link's name) is
    /// read for its loader view, at most
    /// [`crate::shipped::MAX_ON_DISK`] of them.
    pub fn new(last: &'a Replayed, context: &Context, platform: &'a str) -> Self {
        let mut copied = ShippedFiles::new();
        // A file of the context, or a link in the image to one.
        let from_context = |node: &Node| match node {
            Node::File(File {
                origin: Origin::Context(rel),
                ..
            }) => Some(rel.clone()),
            _ => None,
        };
        let files = last.tree.files_under("/").into_iter().filter_map(|(at, node)| {
            let at = format!("/{at}");
            if !fs::basename(&at).contains(".so") {
                return None;
            }
            let rel = match &node {
                Node::Link(_) => match last.tree.lookup(&at) {
                    Lookup::Found(_, real) => from_context(real),
                    _ => None,
                },
                node => from_context(node),
            }?;
            Some((at, rel))
        });
        for (at, rel) in files.take(crate::shipped::MAX_ON_DISK) {
            let Some(dir) = &context.dir else { break };
            let file = dir.join(fs::normalize(&rel, "/").trim_start_matches('/'));
            if let Some((object, _)) = crate::shipped::read_library(&file) {
                crate::shipped::add(&mut copied, &at, None, object);
            }
        }
        let ld_library_path = last.env.get("LD_LIBRARY_PATH").cloned().unwrap_or_default();
        FinalImage {
            root: &last.root,
            platform,
            workdir: &last.workdir,
            copied,
            ld_library_path,
        }
    }
}

/// Judge the program's bytes, started as `path` (where `$ORIGIN`
/// points) with `argv0` (the name its messages give it), against the
/// final image (built for its platform; an architecture tag of the image
/// wins): the report, and one finding per problem.
pub fn judge_bytes(
    bytes: &[u8],
    shown: &str,
    (path, argv0): (&str, &str),
    image: &FinalImage<'_>,
    at: Pos,
    out: &mut Vec<Finding>,
) -> Judged {
    let (root, platform) = (image.root, image.platform);
    let located = fs::normalize(path, image.workdir);
    let arch = catalog::arch_of(platform).unwrap_or("amd64");
    // Past the loader's bounds (a walk would stop short), none is searched.
    let ld_library_path = crate::loader::ld_library_path(
        &image.ld_library_path,
        image.workdir,
        crate::loader::origin_of(&located),
        arch,
        crate::loader::Bounds::default().search_path,
    )
    .unwrap_or_default();
    let copied = &image.copied;
    let image = image_ref(root);
    let opts = crate::Options {
        distro: image
            .as_ref()
            .and_then(|i| i.generation.clone())
            .unwrap_or_else(|| "debian12".into()),
        image: image.clone(),
        platform: Some(catalog::published_as(platform)),
        ld_library_path,
        ..Default::default()
    };
    let report = match run::read_bytes(bytes, &opts) {
        Read::Binary { binary, .. } => Report::Binary(Box::new(verdict::judge_binary(located, *binary, &opts, copied)))
            .with_path(shown.to_string()),
        Read::Done(r) => r.with_path(shown.to_string()),
    };
    let check = report.binary().and_then(|b| b.image_check.as_ref());
    if let Some(check) = check {
        for p in &check.problems {
            out.push(Finding::new(
                Rule::Linkage,
                at,
                format!("{path} will not start in {}: {}", check.image, p.explanation),
                Some(at_path(&p.message, path, argv0)).filter(|m| !m.is_empty()),
                p.fix.clone(),
            ));
        }
    }
    Judged {
        starts: check.map(|c| c.runs),
        report: Some(report),
        assumes: None,
    }
}

/// A `#!` script as the program: its interpreter must be in the image.
pub fn script(bytes: &[u8], program: &str, r: &Replayed, at: Pos) -> Option<Finding> {
    let line = bytes.strip_prefix(b"#!")?;
    let line = &line[..line.iter().position(|&b| b == b'\n').unwrap_or(line.len())];
    let line = String::from_utf8_lossy(line);
    let interp = line.split_whitespace().next().unwrap_or_default().to_string();
    if super::stage::find_program(&r.tree, &r.env, "/", &interp).found() != Some(false) {
        return None;
    }
    let crlf = if interp.ends_with('\r') {
        " (its line ends in CR: Windows line endings)"
    } else {
        ""
    };
    Some(Finding::new(
        Rule::ScriptEntrypoint,
        at,
        format!(
            "{program} is a script for {}{crlf}, which the image does not have: the kernel reports the missing interpreter as if the script were missing",
            interp.trim_end()
        ),
        Some(exec_failed(program, ExecFailure::NoSuchFile)),
        "ship a compiled program, or an image that has the interpreter (gcr.io/distroless/python3, nodejs)".into(),
    ))
}

/// The stage (and its base chain) a `COPY --from` names.
fn chain<'s>(stages: &'s [Stage], from: &str) -> Vec<&'s Stage> {
    let mut out = Vec::new();
    let mut at = stages
        .iter()
        .position(|s| s.name.as_deref() == Some(from.to_lowercase().as_str()))
        .or_else(|| from.parse().ok());
    while let Some(i) = at.filter(|i| *i < stages.len() && !out.iter().any(|s: &&Stage| s.index == *i)) {
        let s = &stages[i];
        out.push(s);
        at = stages[..i]
            .iter()
            .rposition(|p| p.name.as_deref() == Some(s.base.to_lowercase().as_str()));
    }
    out
}

/// Whether the stages turn cgo off: `CGO_ENABLED=0` in an `ENV`, an
/// `ARG`, or the text of a `RUN`.
fn cgo_off(stages: &[&Stage]) -> bool {
    stages.iter().flat_map(|s| &s.steps).any(|step| match &step.op {
        Op::Env(pairs) => pairs.iter().any(|(k, v)| k == "CGO_ENABLED" && v == "0"),
        Op::Run { command, cgo, heredocs } => {
            cgo.as_deref() == Some("0") || run_text(command, heredocs).contains("CGO_ENABLED=0")
        }
        _ => false,
    })
}

fn version(v: &str) -> (u32, u32) {
    let mut it = v.split('.').map(|x| x.parse().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

/// The platforms a Dockerfile's programs are built for and run on.
pub struct Platforms<'a> {
    /// The build's target platform (`--platform`, else this machine's):
    /// what a stage without `FROM --platform` is built for.
    pub build_for: &'a str,
    /// The final image's platform (`linux/arm64`).
    pub runs_on: &'a str,
    /// What the Dockerfile names that can make a build target another
    /// platform than its stage's: then that build's platform is not
    /// worked out.
    pub cross: Cross,
}

/// Ways to build for another platform than the stage's that a Dockerfile's
/// non-comment lines name, by language. Read from the text, not the steps:
/// a build script the Dockerfile runs can read them too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cross {
    /// `GOARCH`.
    pub go: bool,
    /// `--target` or `CARGO_BUILD_TARGET`.
    pub rust: bool,
    /// A cross compiler or a way to name one: a triplet (`-linux-gnu`,
    /// `-linux-musl`), `--target`, `CC=`, `CXX=`, `CROSS_COMPILE`.
    pub c: bool,
}

impl Cross {
    /// Read the Dockerfile `text`. Both are named as well by BuildKit's
    /// target ARGs (`TARGETARCH`, `TARGETPLATFORM`, `TARGETVARIANT`) outside
    /// a `FROM` line, and by tonistiigi/xx's wrappers (`xx-go`,
    /// `xx-cargo`), which build for the target platform.
    pub fn named_in(text: &str) -> Cross {
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim_start)
            .filter(|l| !l.starts_with('#'))
            .collect();
        let names = |words: &[&str]| lines.iter().any(|l| words.iter().any(|w| l.contains(w)));
        let target_args = lines.iter().any(|l| {
            !l.get(..4).is_some_and(|w| w.eq_ignore_ascii_case("FROM"))
                && ["TARGETARCH", "TARGETPLATFORM", "TARGETVARIANT"]
                    .iter()
                    .any(|a| l.contains(a))
        });
        let any = target_args || names(&["xx-"]);
        Cross {
            go: any || names(&["GOARCH"]),
            rust: any || names(&["--target", "CARGO_BUILD_TARGET"]),
            c: any || names(&["-linux-gnu", "-linux-musl", "--target", "CC=", "CXX=", "CROSS_COMPILE"]),
        }
    }
}

/// What the builder stage implies for a program copied from it.
/// A Go build makes a program for the platform its stage is built for
/// unless `GOARCH` says otherwise: when that is not the final image's
/// architecture, the kernel refuses it (`builder-platform`).
pub fn from_builder(
    stages: &[Stage],
    (from, source): (&str, &str),
    last: &Replayed,
    program: &str,
    platforms: &Platforms<'_>,
    at: Pos,
    out: &mut Vec<Finding>,
) -> Judged {
    let unknown = Judged::unknown();
    let chain = chain(stages, from);
    let (Some(builder), Some(image)) = (chain.last().and_then(|s| base::builder(&s.base)), image_ref(&last.root))
    else {
        return unknown;
    };
    let static_image = image.variant.as_deref().is_none_or(|v| v == "static");
    let cmds = commands::run_commands(&chain);
    let go = makers(&cmds, RunCommand::is_go_build, source);
    let stage_name = chain
        .first()
        .and_then(|s| s.name.clone())
        .unwrap_or_else(|| from.to_string());
    // A C, C++ or Rust program is built for the platform of its stage
    // unless the build names another (Go's check is below, with cgo off).
    type Fix<'f> = Box<dyn Fn(&str) -> String + 'f>;
    let native: Option<(Compiler, Fix)> = match builder.image.as_str() {
        "rust" => Some((
            Compiler {
                lang: "Rust",
                setting: "--target",
                told: platforms.cross.rust,
            },
            Box::new(|arch: &str| {
                format!(
                    "build for the image's platform: cargo build --target for {arch} (rustup target add, with a linker for it, or tonistiigi/xx's xx-cargo), or build stage {stage_name} on that platform (no FROM --platform)"
                )
            }),
        )),
        "golang" => None,
        _ if compiles_natively(&chain) => Some((
            Compiler {
                lang: "C or C++",
                setting: "cross compiler",
                told: platforms.cross.c,
            },
            Box::new(|arch: &str| {
                format!(
                    "build stage {stage_name} on the image's platform (no FROM --platform), or with a cross compiler for {arch} (Debian's gcc-<triplet> packages, or tonistiigi/xx's xx-clang)"
                )
            }),
        )),
        _ => None,
    };
    if let Some((compiler, fix)) = native
        && let Some(f) = built_elsewhere(&chain, platforms, &compiler, program, &stage_name, at, fix)
    {
        out.push(f);
        return unknown;
    }
    if builder.image == "golang" {
        let off = if go.is_empty() {
            cgo_off(&chain)
        } else {
            go.iter().all(|c| c.cgo.as_deref() == Some("0"))
        };
        if !builder.cgo_default || off {
            let go = Compiler {
                lang: "Go",
                setting: "GOARCH",
                told: platforms.cross.go,
            };
            let fix = |arch: &str| {
                format!(
                    "build for the image's platform: ARG TARGETARCH, then GOARCH=$TARGETARCH in the go build ({arch} here)"
                )
            };
            if let Some(f) = built_elsewhere(&chain, platforms, &go, program, &stage_name, at, fix) {
                out.push(f);
                return unknown;
            }
            return Judged {
                report: None,
                starts: Some(true),
                assumes: Some(format!(
                    "{program} is the Go program of stage {stage_name}, built without cgo (CGO_ENABLED=0 or no C compiler): statically linked, it needs nothing from the image"
                )),
            };
        }
        // With cgo on, the program is still static when the build links
        // it so (-extldflags -static) or when nothing needs cgo once the
        // netgo and osusergo tags take net's and os/user's C away: not
        // known, but no warning.
        let static_anyway = !go.is_empty()
            && go.iter().all(|c| {
                let has = |w: &str| c.args().iter().any(|a| a.contains(w));
                (has("-extldflags") && c.args().iter().any(|a| a == "-static" || a == "-static-pie"))
                    || (has("netgo") && has("osusergo"))
            });
        if static_image {
            if !static_anyway {
                out.push(cgo_static(&builder, &image, program, at));
            }
            return unknown;
        }
    } else if static_image {
        // Linked statically, as the build says: for Rust, crt-static or a
        // musl target; for C and C++, the compiler command that made the
        // file (a `make`'s flags are not seen: not known).
        let how = if builder.image == "rust" && builder.release == "alpine" {
            // rust:alpine's host target is musl's, linked statically.
            Some("rust:alpine builds for musl")
        } else if builder.image == "rust" {
            rust_static(&chain).then_some("crt-static or a musl target")
        } else {
            links_statically(&chain, &cmds, source).then_some("-static")
        };
        let Some(how) = how else {
            out.push(dynamic_on_static(&builder, &image, program, at));
            return unknown;
        };
        if builder.image != "rust" && makers(&cmds, c_link, source).is_empty() {
            return unknown;
        }
        return Judged {
            report: None,
            starts: Some(true),
            assumes: Some(format!(
                "{program} is the program stage {stage_name} builds, linked statically ({how}): it needs nothing from the image"
            )),
        };
    }
    if builder.image == "rust" && builder.release != "alpine" && !rust_static(&chain) {
        out.extend(rust_libgcc(&builder, &image, program, platforms.runs_on, at));
    }
    if let Some(cxx) = cxx_build(&chain, &cmds, source) {
        out.extend(cxx_runtime(&builder, &image, cxx, last, program, platforms.runs_on, at));
    }
    out.extend(newer_glibc(&builder, &image, program, at));
    unknown
}

/// The text a `RUN` gives the build: its command (an exec form's words
/// joined by spaces), then the bodies of its heredocs, a line apart.
fn run_text(command: &Command, heredocs: &[String]) -> String {
    let mut out = match command {
        Command::Shell(t) => t.clone(),
        Command::Exec(a) => a.join(" "),
    };
    for h in heredocs {
        out.push('\n');
        out.push_str(h);
    }
    out
}

/// The words of the stages' `RUN` commands (and heredocs) and `ENV`
/// values: what a build step runs, and the flags it passes.
fn build_words(stages: &[&Stage]) -> Vec<String> {
    const SHELL: &[char] = &[';', '&', '|', '(', ')', '`', '"', '\'', '='];
    let mut out = Vec::new();
    for step in stages.iter().flat_map(|s| &s.steps) {
        let text = match &step.op {
            Op::Env(pairs) => pairs.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(" "),
            Op::Run { command, heredocs, .. } => run_text(command, heredocs),
            _ => continue,
        };
        out.extend(
            text.split_whitespace()
                .flat_map(|w| w.split(SHELL))
                .filter(|w| !w.is_empty())
                .map(str::to_string),
        );
    }
    out
}

/// The commands `is` accepts that may have made `source` (a path in the
/// stage): the last whose `-o` writes it, else every one of them.
fn makers<'c>(cmds: &'c [RunCommand], is: impl Fn(&RunCommand) -> bool, source: &str) -> Vec<&'c RunCommand> {
    let all: Vec<&RunCommand> = cmds.iter().filter(|c| is(c)).collect();
    let source = fs::normalize(source, "/");
    match all
        .iter()
        .rev()
        .find(|c| c.output().as_deref() == Some(source.as_str()))
    {
        Some(c) => vec![*c],
        None => all,
    }
}

/// The C and C++ compilers' program names, without a triplet or version.
const C_COMPILERS: [&str; 6] = ["gcc", "cc", "clang", "g++", "c++", "clang++"];

/// A compiler's arguments that ask it something rather than build.
const QUERIES: [&str; 7] = [
    "--version",
    "-v",
    "--help",
    "-dumpversion",
    "-dumpfullversion",
    "-dumpmachine",
    "-###",
];

/// A C or C++ compiler command that links (`gcc`, `cc`, `clang`, `g++`,
/// `c++`, `clang++`, with a triplet or a version: not `-c`, `-E`, `-S`, nor
/// a query such as `--version`).
fn c_link(c: &RunCommand) -> bool {
    let compiler = c.name().split('-').any(|p| C_COMPILERS.contains(&p));
    let args = c.args();
    compiler
        && args.iter().any(|a| !a.starts_with('-') || a.starts_with("-o"))
        && !args
            .iter()
            .any(|a| ["-c", "-E", "-S"].contains(&a.as_str()) || QUERIES.contains(&a.as_str()))
}

/// Whether `source` is linked statically: the compiler command that made
/// it (or every one, when none names it with `-o`) passes `-static` or
/// `-static-pie` (gcc and clang), so the program needs no loader and no
/// library. Without a compiler command seen (a `make`), any build step
/// passing one.
fn links_statically(stages: &[&Stage], cmds: &[RunCommand], source: &str) -> bool {
    let is_static = |w: &str| w == "-static" || w == "-static-pie";
    let made = makers(cmds, c_link, source);
    if made.is_empty() {
        return build_words(stages).iter().any(|w| is_static(w));
    }
    made.iter().all(|c| c.args().iter().any(|a| is_static(a)))
}

/// How the stages build C++ with libstdc++ (g++'s default), when they do.
#[derive(Debug, Clone, Copy)]
struct CxxBuild {
    /// `-static-libstdc++`: libstdc++ is in the program.
    static_libstdcxx: bool,
    /// `-static-libgcc`: so is libgcc (else it needs libgcc_s.so.1).
    static_libgcc: bool,
}

/// Whether the stages compile C++ into a program that links libstdc++:
/// a RUN runs `g++`, `c++` or `clang++` as a command (by any path or
/// triplet prefix, `x86_64-linux-gnu-g++-12`; after `ccache`, `env`,
/// `then`, `do` and the like; not a package name that `apt-get install` is
/// given, nor `g++ --version`), unless `source` links statically (`-static`).
/// clang++ with `-stdlib=libc++` links libc++ instead: not this.
fn cxx_build(stages: &[&Stage], cmds: &[RunCommand], source: &str) -> Option<CxxBuild> {
    if links_statically(stages, cmds, source) {
        return None;
    }
    let is_cxx = |name: &str| ["g++", "c++", "clang++"].iter().any(|c| name.contains(c));
    let found = runs_compiler(stages, &|name, args| is_cxx(name) && !args.contains(&"-stdlib=libc++"));
    let words = build_words(stages);
    found.then(|| CxxBuild {
        static_libstdcxx: words.iter().any(|w| w == "-static-libstdc++"),
        static_libgcc: words.iter().any(|w| w == "-static-libgcc"),
    })
}

/// Whether a RUN of the stages (its command or its heredoc script) runs a
/// compiler that builds something: a command (after variable assignments
/// and `ccache`, `env`, `then`, `do` and the like) whose program's name
/// (`x86_64-linux-gnu-g++-12`, without its directory) and arguments
/// `wanted` accepts, with an argument that is not a query (`--version`,
/// `-dumpmachine`, `-print-*`).
fn runs_compiler(stages: &[&Stage], wanted: &dyn Fn(&str, &[&str]) -> bool) -> bool {
    commands::run_commands(stages).iter().any(|c| {
        let args: Vec<&str> = c.args().iter().map(String::as_str).collect();
        args.iter().any(|a| !QUERIES.contains(a) && !a.starts_with("-print-")) && wanted(c.name(), &args)
    })
}

/// Whether the stages compile C or C++ with the compiler of the platform
/// they run on: `gcc`, `cc`, `clang`, `g++`, `c++` or `clang++` (with a
/// version suffix, `gcc-12`), not a cross compiler (`aarch64-linux-gnu-gcc`).
fn compiles_natively(stages: &[&Stage]) -> bool {
    runs_compiler(stages, &|name, _| {
        let base = name.split_once('-').map_or(name, |(b, _)| b);
        C_COMPILERS.contains(&base)
    })
}

/// Whether the final stage puts a file named like `library` (its path or
/// its source's) in the image, or points the loader elsewhere with
/// `LD_LIBRARY_PATH`: then which copy the program loads is not known.
fn ships_own(last: &Replayed, library: &str) -> bool {
    last.env.contains_key("LD_LIBRARY_PATH")
        || last.events.iter().any(|e| match e {
            Event::Placed { path, origin, .. } => {
                path.contains(library) || matches!(origin, Origin::From { path, .. } if path.contains(library))
            }
            _ => false,
        })
}

/// The first version of libstdc++ that `#include <iostream>` makes a
/// program need: from GCC 13.2, the header calls
/// `std::ios_base_library_init()`, defined at `GLIBCXX_3.4.32` (the
/// libstdc++ manual, "ABI Policy and Guidelines"; libstdc++-v3's gnu.ver).
const IOSTREAM_GLIBCXX: &str = "GLIBCXX_3.4.32";

/// `cxx-libstdcxx`: a C++ program links libstdc++.so.6 (unless
/// `-static-libstdc++`) and libgcc_s.so.1 (unless `-static-libgcc`); the
/// final image has no libstdc++ (base, base-nossl) or no libgcc_s, or an
/// older libstdc++ than the builder's GCC (the image data's version
/// definitions), whose newer versions a program can need. Silent when the
/// final stage ships its own copy.
fn cxx_runtime(
    builder: &Builder,
    image: &ImageRef,
    cxx: CxxBuild,
    last: &Replayed,
    program: &str,
    platform: &str,
    at: Pos,
) -> Option<Finding> {
    let catalog = Catalog::embedded();
    let generation = image.generation.as_deref()?;
    let arch = catalog::arch_of(platform)?;
    let found = catalog.image(image.variant.as_deref()?, generation)?;
    let built_in = format!("{}:{}", builder.image, builder.tag);
    let missing = [
        ("libstdc++.so.6", "-static-libstdc++", cxx.static_libstdcxx),
        ("libgcc_s.so.1", "-static-libgcc", cxx.static_libgcc),
    ]
    .into_iter()
    .find(|&(soname, _, linked_in)| {
        !linked_in
            && !ships_own(last, soname.split('.').next().unwrap_or(soname))
            && !found.arch(arch).is_some_and(|a| a.has_soname(soname))
    });
    if let Some((soname, flag, _)) = missing {
        return Some(Finding::new(
            Rule::CxxLibstdcxx,
            at,
            format!(
                "{program} is a C++ program built in {built_in}: it needs {soname} unless linked with {flag}, and {} does not have it",
                image.given
            ),
            Some(format!(
                "{program}: error while loading shared libraries: {soname}: cannot open shared object file: No such file or directory"
            )),
            format!(
                "use gcr.io/distroless/cc-{generation}, or link with -static-libstdc++ -static-libgcc; pass the binary (dlcheck --dockerfile Dockerfile ./app) to make certain"
            ),
        ));
    }
    if cxx.static_libstdcxx || ships_own(last, "libstdc++") {
        return None;
    }
    let newest = |generation: &str| {
        catalog
            .library(generation, arch, "libstdc++.so.6")?
            .verdefs
            .iter()
            .filter(|v| v.starts_with("GLIBCXX_3"))
            .max_by(|a, b| version_cmp(a, b))
    };
    let has = newest(generation)?;
    let built = builder.glibcxx.as_deref()?;
    if version_cmp(built, has).is_le() {
        return None;
    }
    let needs = if version_cmp(has, IOSTREAM_GLIBCXX).is_lt() && version_cmp(built, IOSTREAM_GLIBCXX).is_ge() {
        format!("one that includes <iostream> needs {IOSTREAM_GLIBCXX} (std::ios_base_library_init, since GCC 13.2)")
    } else {
        format!("one that uses what the newer libstdc++ added needs a version up to {built}")
    };
    let gcc = builder.gcc.as_deref().map(|g| format!("GCC {g}, ")).unwrap_or_default();
    let mut fixes = Vec::new();
    let runtime_glibc = found.glibc_version;
    match base::gcc_tag_within(has, runtime_glibc) {
        Some(tag) => fixes.push(format!("build on gcc:{tag}")),
        None => fixes.extend(catalog::builder("c", generation).map(|same| format!("build on {same}"))),
    }
    if let Some(g) =
        catalog::this_and_newer(generation).find(|g| newest(g).is_some_and(|v| version_cmp(built, v).is_le()))
    {
        fixes.push(format!("use gcr.io/distroless/cc-{g}"));
    }
    fixes.push("link with -static-libstdc++".into());
    Some(Finding::new(
        Rule::CxxLibstdcxx,
        at,
        format!(
            "{program} is a C++ program built in {built_in} ({gcc}libstdc++ up to {built}) and runs on {}, whose libstdc++ defines up to {has}: {needs}, and the loader refuses to start it",
            image.given
        ),
        None,
        format!(
            "{}; pass the binary (dlcheck --dockerfile Dockerfile ./app) to make certain",
            fixes.join(", or ")
        ),
    ))
}

/// A compiler that builds for the platform it runs on unless told
/// otherwise.
struct Compiler {
    /// The language, as the finding names it (`Go`).
    lang: &'static str,
    /// What tells it another platform (`GOARCH`).
    setting: &'static str,
    /// Whether the Dockerfile names a way to tell it ([`Cross`]).
    told: bool,
}

/// `builder-platform`: `program`, compiled in the stages `chain` (named
/// `stage_name`) by `compiler`, is built for the platform that stage is
/// built on (its `FROM --platform`, else the build's), unless the
/// Dockerfile tells the compiler otherwise; when that is not the final
/// image's architecture, the kernel refuses it. `fix` gets the image's
/// architecture.
fn built_elsewhere(
    chain: &[&Stage],
    platforms: &Platforms<'_>,
    compiler: &Compiler,
    program: &str,
    stage_name: &str,
    at: Pos,
    fix: impl FnOnce(&str) -> String,
) -> Option<Finding> {
    let built_on = chain
        .iter()
        .find_map(|s| s.platform.as_deref())
        .unwrap_or(platforms.build_for);
    let (made, runs) = (catalog::arch_of(built_on), catalog::arch_of(platforms.runs_on));
    if compiler.told || made == runs {
        return None;
    }
    Some(Finding::new(
        Rule::BuilderPlatform,
        at,
        format!(
            "{program} is the {} program of stage {stage_name}, built on {built_on} with no {}, so for {}; the image is {}",
            compiler.lang,
            compiler.setting,
            made.unwrap_or("?"),
            platforms.runs_on
        ),
        Some(exec_failed(program, ExecFailure::Format)),
        fix(runs.unwrap_or("?")),
    ))
}

/// Whether the stages build Rust without glibc's dynamic libraries: the
/// `crt-static` target feature, or a musl target, in an `ENV` or a `RUN`.
fn rust_static(stages: &[&Stage]) -> bool {
    let says = |t: &str| t.contains("crt-static") || t.contains("-linux-musl");
    stages.iter().flat_map(|s| &s.steps).any(|step| match &step.op {
        Op::Env(pairs) => pairs.iter().any(|(_, v)| says(v)),
        Op::Run { command, heredocs, .. } => says(&run_text(command, heredocs)),
        _ => false,
    })
}

/// A Rust program for the GNU target needs libgcc_s.so.1 (the standard
/// library unwinds with it), which only some images have (the image
/// data's sonames): without it the loader stops at start.
fn rust_libgcc(builder: &Builder, image: &ImageRef, program: &str, platform: &str, at: Pos) -> Option<Finding> {
    let found = Catalog::embedded().image(image.variant.as_deref()?, image.generation.as_deref()?)?;
    if found.arch(catalog::arch_of(platform)?)?.has_soname("libgcc_s.so.1") {
        return None;
    }
    let generation = image.generation.as_deref()?;
    Some(Finding::new(
        Rule::RustLibgcc,
        at,
        format!(
            "{program} is built in {}:{}: a Rust program for the GNU target needs libgcc_s.so.1 (the standard library unwinds with it), and {} does not have it",
            builder.image, builder.tag, image.given
        ),
        Some(format!(
            "{program}: error while loading shared libraries: libgcc_s.so.1: cannot open shared object file: No such file or directory"
        )),
        format!(
            "use gcr.io/distroless/cc-{generation}, or build with RUSTFLAGS='-C target-feature=+crt-static' (static) for static-{generation}; pass the binary (dlcheck --dockerfile Dockerfile ./app) to make certain"
        ),
    ))
}

fn cgo_static(builder: &Builder, image: &ImageRef, program: &str, at: Pos) -> Finding {
    Finding::new(
        Rule::CgoStatic,
        at,
        format!(
            "{program} is built in golang:{}, where cgo is on by default (it has gcc); if the program imports net, os/user or C code, Go links it against glibc, and {} has no loader: it would not start",
            builder.tag, image.given
        ),
        Some(exec_failed(program, ExecFailure::NoSuchFile)),
        "build with CGO_ENABLED=0 (ENV CGO_ENABLED=0 in the build stage), or pass the binary (dlcheck --dockerfile Dockerfile ./app) to make certain".into(),
    )
}

fn dynamic_on_static(builder: &Builder, image: &ImageRef, program: &str, at: Pos) -> Finding {
    // scratch has no generation: the one distroless recommends.
    let generation = image.generation.as_deref().or_else(|| {
        Catalog::embedded()
            .generations
            .iter()
            .find(|g| g.default)
            .map(|g| g.name)
    });
    let cc = generation.map_or("gcr.io/distroless/cc".to_string(), |g| {
        format!("gcr.io/distroless/cc-{g}")
    });
    let how = if builder.image == "rust" {
        "Rust links glibc and libgcc_s dynamically by default; build with RUSTFLAGS='-C target-feature=+crt-static' or --target x86_64-unknown-linux-musl"
    } else {
        "C and C++ programs link glibc dynamically by default; link with -static"
    };
    Finding::new(
        Rule::DynamicOnStatic,
        at,
        format!(
            "{program} is built in {}:{}, whose programs need glibc's loader, and {} has none: unless it is linked statically it will not start",
            builder.image, builder.tag, image.given
        ),
        Some(exec_failed(program, ExecFailure::NoSuchFile)),
        format!("{how}; or use {cc}; or pass the binary (dlcheck --dockerfile Dockerfile ./app) to make certain"),
    )
}

fn newer_glibc(builder: &Builder, image: &ImageRef, program: &str, at: Pos) -> Option<Finding> {
    let generation = image.generation.as_deref()?;
    let runtime = Catalog::embedded()
        .image(image.variant.as_deref()?, generation)?
        .glibc_version?;
    let built = builder.glibc.as_deref()?;
    if version(built) <= version(runtime) {
        return None;
    }
    let language = match builder.image.as_str() {
        "golang" => "go",
        "rust" => "rust",
        _ => "c",
    };
    let same = catalog::builder(language, generation).unwrap_or("a builder of the runtime's release");
    // The oldest generation whose image of this variant has that glibc.
    let variant = image.variant.as_deref()?;
    let newer = catalog::newer_than(generation)
        .find(|g| {
            Catalog::embedded()
                .image(variant, g)
                .and_then(|i| i.glibc_version)
                .is_some_and(|v| version(v) >= version(built))
        })
        .map(|g| format!(", or use gcr.io/distroless/{variant}-{g}"))
        .unwrap_or_default();
    Some(Finding::new(
        Rule::BuilderNewerGlibc,
        at,
        format!(
            "{program} is built in {}:{} ({}, glibc {built}) and runs on {} (glibc {runtime}): a dynamically linked program built against the newer glibc needs symbol versions the older one lacks (GLIBC_2.34 and later), and the loader refuses to start it",
            builder.image, builder.tag, builder.release, image.given
        ),
        None,
        format!("build on {same}{newer}; pass the binary (dlcheck --dockerfile Dockerfile ./app) to make certain"),
    ))
}
