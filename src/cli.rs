//! The command line, parsed by clap, and turned into the library's
//! [`Request`]. Nothing of clap reaches the library.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{CommandFactory, Parser, ValueEnum};
use dlcheck::catalog::{self, Catalog, GENERATIONS};
use dlcheck::gate::Level;
use dlcheck::render::OutputFormat;
use dlcheck::{Options, Request, dockerfile};

/// Will this binary start in a distroless container?
///
/// dlcheck reads each binary (it never runs it), reports its interpreter
/// (PT_INTERP), DT_NEEDED libraries, symbol-version needs and Go/cgo facts,
/// and recommends the smallest gcr.io/distroless image that runs it. It also
/// judges whole directories (-r), one image (--image), and built container
/// images or root file systems against their own files.
///
/// A Dockerfile is checked before anything is built: the final base, the
/// command, the copies, the user, the builder stages.
///
/// Exit status: 0 an image runs every input (or the image starts, or the
/// Dockerfile has no error); 1 one does not (or, with --fail-on warning,
/// a warning); 2 usage error; 3 input cannot be read; 4 not a Linux ELF
/// executable (or a scan found none); 5 malformed ELF, image archive or
/// Dockerfile, or a limit passed; 6 no data on the image for that
/// platform. With several paths, the worst input error of 3 to 6, plus 8
/// when a program also fails (11 to 14).
#[derive(Debug, Parser)]
#[command(name = "dlcheck", version = env!("DLCHECK_LONG_VERSION"), about, long_about)]
pub struct Cli {
    /// Binaries to inspect; container images: a docker save or OCI archive
    /// (plain, gzip or zstd) or an OCI layout directory, `-` (an archive on
    /// stdin), docker:NAME[:TAG] (the local Docker engine), registry:REF,
    /// oci:DIR[:REF], docker-archive:FILE, oci-archive:FILE, or a reference that
    /// is not a path (the engine first, then the registry); or, with
    /// --root, programs inside the root.
    /// Dockerfiles (Dockerfile, Containerfile, *.Dockerfile, Dockerfile.*,
    /// or a file whose first instruction is FROM) are checked too.
    #[arg(required_unless_present_any = ["dockerfile", "completions", "man"], value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Check this Dockerfile; a PATH given with it (one at most) is the program it copies
    /// in, or the image it built (archive, docker:NAME ...), judged against
    /// the final stage's base; --root DIR judges its command in that root.
    #[arg(long, value_name = "FILE")]
    pub dockerfile: Option<PathBuf>,

    /// For a Dockerfile: the stage to judge, as docker build --target.
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,

    /// For a Dockerfile: a build argument, as docker build --build-arg.
    /// Repeatable.
    #[arg(long = "build-arg", value_name = "NAME=VALUE", value_parser = build_arg)]
    pub build_args: Vec<(String, String)>,

    /// For a Dockerfile: the build context (default: the Dockerfile's
    /// directory), where COPY sources are read.
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,

    /// A registry (HOST or HOST:PORT) to speak to in plain HTTP, as
    /// Docker's --insecure-registry; localhost always is. Repeatable.
    #[arg(long, value_name = "HOST")]
    pub insecure_registry: Vec<String>,

    /// For a container image or --root: check every ELF program and library
    /// in it, not just the entrypoint.
    #[arg(long)]
    pub all: bool,

    /// Judge the PATHs as programs inside this root file system (an unpacked
    /// image, a chroot, a sysroot), against its own files.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// Print one JSON document on stdout (schema in README.md); the same
    /// as --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Output: human (default), json (one document), jsonl (JSON Lines:
    /// one report per line as soon as it is ready, the summary last), sarif
    /// (SARIF 2.1.0 for code scanning) or markdown (for pull-request
    /// comments).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// Write the output to FILE instead of stdout (errors stay on stderr):
    /// written beside it and renamed over it at the end; - is stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Fail (exit 1) on findings of LEVEL or worse: error (a program that
    /// will not start, the default) or warning (also a dlopen that will
    /// fail, a missing CA bundle, a CPU level, a floating tag ...).
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = FailOn::Error)]
    pub fail_on: FailOn,

    /// Print nothing (usage errors aside): only the exit status tells.
    #[arg(short, long, conflicts_with_all = ["output", "verbose"])]
    pub quiet: bool,

    /// With several paths or -r: print the set's summary only (how many
    /// fail, and why), not each report. Errors still go to stderr.
    #[arg(long)]
    pub summary: bool,

    /// Print a shell completion script for SHELL on stdout, and exit.
    #[arg(long, value_enum, value_name = "SHELL", exclusive = true)]
    pub completions: Option<clap_complete::Shell>,

    /// Print the man page (roff) on stdout, and exit.
    #[arg(long, exclusive = true)]
    pub man: bool,

    /// Scan directories: every regular file below them; ELF programs and
    /// libraries are judged, other files skipped quietly.
    #[arg(short = 'r', long)]
    pub recursive: bool,

    /// With -r, follow symbolic links.
    #[arg(long, requires = "recursive")]
    pub follow: bool,

    /// With -r, list the files skipped.
    #[arg(short, long, requires = "recursive")]
    pub verbose: bool,

    /// When to colour the human output.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,

    /// Check against this one image and exit 1 if the binary would not
    /// start there: gcr.io/distroless/static-debian12, static-debian12, a
    /// language image (python3-debian13, java21-debian13, nodejs22-debian13
    /// ...), with a tag (:nonroot, :debug, :debug-nonroot, :latest, or one
    /// with an architecture suffix, :latest-arm64), a digest (@sha256:...),
    /// an unversioned name (gcr.io/distroless/base) or scratch.
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,

    /// Judge for this platform instead of the binary's own: one distroless
    /// publishes (linux/amd64, linux/arm64, linux/arm/v7, linux/s390x,
    /// linux/ppc64le, linux/riscv64). For a Dockerfile: the platform the
    /// image is built for (default: this machine's, as docker build).
    #[arg(long, value_name = "PLATFORM", value_parser = parse_platform)]
    pub platform: Option<String>,

    /// Raise (or lower) a bound on the work an image or root may cause:
    /// NAME=N, such as image-bytes=32G or entries=5000000 (README, "Hostile
    /// input", lists them). Repeatable.
    #[arg(long = "limit", value_name = "NAME=N")]
    pub limits: Vec<String>,

    /// Debian generation to recommend from; a newer one is chosen only when
    /// none of this generation runs the binary. Default: the generation of
    /// --image when one is given, else debian11.
    #[arg(long, value_name = "GEN", value_parser = clap::builder::PossibleValuesParser::new(GENERATIONS))]
    pub distro: Option<String>,
}

/// `--platform`: a platform distroless publishes, as it publishes it
/// (`linux/arm` and `linux/arm/v7` are `linux/arm/v7`; `linux/arm64/v8` is
/// `linux/arm64`).
fn parse_platform(given: &str) -> Result<String, String> {
    let published = catalog::published_platforms();
    let arch = catalog::arch_of(given).filter(|_| given.starts_with("linux/"));
    let platform = arch.map(catalog::platform_of);
    let variant_ok = |p: &str| given.matches('/').count() == 1 || p == given || given == "linux/arm64/v8";
    match platform {
        Some(p) if published.contains(&p) && variant_ok(&p) => Ok(p),
        _ => Err(format!("distroless publishes images for {}", published.join(", "))),
    }
}

/// The generation recommended from when neither `--distro` nor `--image`
/// names one.
const DEFAULT_DISTRO: &str = "debian11";

impl Cli {
    /// Whether to colour the output: `--color`, then `NO_COLOR`, `TERM=dumb`
    /// and whether stdout is a terminal.
    pub fn colour(&self) -> bool {
        match self.color {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
                    && std::io::stdout().is_terminal()
            }
        }
    }

    /// The library's request; exits with a usage error for an unknown
    /// `--image`.
    pub fn request(&self) -> Request {
        let image = self.image.as_deref().map(|r| {
            Catalog::embedded()
                .resolve(r)
                .unwrap_or_else(|e| Cli::command().error(clap::error::ErrorKind::InvalidValue, e).exit())
        });
        // Without --distro, recommend from the generation of the image given.
        let distro = self
            .distro
            .clone()
            .or_else(|| image.as_ref().and_then(|i| i.generation.clone()))
            .filter(|g| GENERATIONS.contains(&g.as_str()))
            .unwrap_or_else(|| DEFAULT_DISTRO.to_string());
        let mut limits = dlcheck::imagefs::Limits::default();
        for l in &self.limits {
            if let Err(msg) = limits.set(l) {
                Cli::command()
                    .error(clap::error::ErrorKind::InvalidValue, format!("--limit {msg}"))
                    .exit()
            }
        }
        Request {
            paths: self.paths.clone(),
            options: Options {
                distro,
                distro_given: self.distro.is_some(),
                platform: self.platform.clone(),
                image,
                all: self.all,
                insecure_registries: self.insecure_registry.clone(),
                limits,
                ld_library_path: Vec::new(),
            },
            recursive: self.recursive,
            follow: self.follow,
            list_skipped: self.verbose,
            root: self.root.clone(),
            dockerfile: self.dockerfile.clone(),
            dockerfile_settings: dockerfile::Settings {
                target: self.target.clone(),
                build_args: self.build_args.iter().cloned().collect(),
                context: self.context.clone(),
                platform: self.platform.clone(),
            },
            fail_on: match self.fail_on {
                FailOn::Error => Level::Error,
                FailOn::Warning => Level::Warning,
            },
        }
    }
}

/// Where the report goes. A regular file is written as a temporary file
/// beside it and renamed over it at the end (as `sort -o` does): an input
/// read during the run (a file of a `-r` scan, of `--root`, of a
/// Dockerfile's context) is never truncated before it is read, and a
/// failed run leaves the file as it was. A device or FIFO is written in
/// place.
pub struct Output {
    /// The writer.
    pub out: Box<dyn Write>,
    pending: Option<(tempfile::TempPath, PathBuf)>,
}

impl Output {
    /// Errors name `path` as given (never the temporary file beside it).
    fn file(path: &std::path::Path) -> std::io::Result<Output> {
        Self::file_in_place(path).map_err(|e| named(path, &e))
    }

    fn file_in_place(path: &std::path::Path) -> std::io::Result<Output> {
        // A device, FIFO or socket (/dev/stdout, a process substitution):
        // written in place, never replaced.
        let path = match std::fs::metadata(path) {
            Ok(m) if !m.is_file() => {
                let file = std::fs::OpenOptions::new().write(true).open(path)?;
                return Ok(Output {
                    out: Box::new(std::io::BufWriter::new(file)),
                    pending: None,
                });
            }
            // A symbolic link to a file: the file is replaced, not the link.
            Ok(_) => std::fs::canonicalize(path)?,
            Err(_) => path.to_path_buf(),
        };
        let path = path.as_path();
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => std::path::Path::new("."),
        };
        // The system's own error for a directory that is not there (the
        // temporary file's error would name the temporary file).
        std::fs::metadata(dir)?;
        let (file, temp) = tempfile::Builder::new()
            .prefix(".dlcheck-output")
            .tempfile_in(dir)?
            .into_parts();
        Ok(Output {
            out: Box::new(std::io::BufWriter::new(file)),
            pending: Some((temp, path.to_path_buf())),
        })
    }

    /// Stdout. Errors: it is closed (Rust's standard library would take
    /// every write to a closed descriptor for a success).
    fn stdout() -> std::io::Result<Output> {
        // SAFETY: fcntl(2) F_GETFD on descriptor 1 reads its flags only.
        if unsafe { libc::fcntl(1, libc::F_GETFD) } == -1 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Output {
            out: Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            pending: None,
        })
    }

    /// Flush, and put the file in place.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()?;
        drop(self.out);
        if let Some((temp, path)) = self.pending {
            temp.persist(&path).map_err(|e| named(&path, &e.error))?;
        }
        Ok(())
    }
}

/// `e`, about the file the user named: `PATH: what the system said` (the
/// temporary file's name that tempfile adds is left out).
fn named(path: &std::path::Path, e: &std::io::Error) -> std::io::Error {
    let why = match e.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code).to_string(),
        None => e.kind().to_string(),
    };
    std::io::Error::new(e.kind(), format!("{}: {why}", path.display()))
}

/// `--build-arg NAME=VALUE` (a bare NAME takes the value of the variable
/// NAME of dlcheck's environment, as docker build does).
fn build_arg(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some(("", _)) => Err("expected NAME=VALUE".into()),
        Some((k, v)) => Ok((k.to_string(), v.to_string())),
        None => std::env::var(s)
            .map(|v| (s.to_string(), v))
            .map_err(|_| format!("{s} has no value: give NAME=VALUE")),
    }
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people.
    Human,
    /// One JSON document.
    Json,
    /// JSON Lines.
    Jsonl,
    /// SARIF 2.1.0.
    Sarif,
    /// Markdown.
    Markdown,
}

/// `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// A program that will not start, a build that fails, an input that
    /// cannot be judged.
    Error,
    /// Warnings too.
    Warning,
}

impl Cli {
    /// The output format chosen.
    pub fn format(&self) -> OutputFormat {
        match (self.json, self.format) {
            (true, _) | (_, Some(Format::Json)) => OutputFormat::Json,
            (_, Some(Format::Jsonl)) => OutputFormat::JsonLines,
            (_, Some(Format::Sarif)) => OutputFormat::Sarif,
            (_, Some(Format::Markdown)) => OutputFormat::Markdown,
            _ => OutputFormat::Human,
        }
    }

    /// Where the output and the errors go: stdout or `-o FILE` (`-o -`:
    /// stdout), and stderr; nowhere with `-q`. Errors: the temporary file
    /// beside FILE cannot be created, or stdout is closed.
    pub fn writers(&self) -> std::io::Result<(Output, Box<dyn Write>)> {
        if self.quiet {
            let out = Output {
                out: Box::new(std::io::sink()),
                pending: None,
            };
            return Ok((out, Box::new(std::io::sink())));
        }
        let out = match self.output.as_ref().filter(|p| p.as_os_str() != "-") {
            Some(path) => Output::file(path)?,
            None => Output::stdout()?,
        };
        Ok((out, Box::new(std::io::stderr())))
    }

    /// The width people's text wraps to: the terminal's (COLUMNS when it
    /// says), or 100 columns when the output is not a terminal.
    pub fn width(&self) -> usize {
        if self.output.is_some() || !std::io::stdout().is_terminal() {
            return 100;
        }
        let columns = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok());
        columns.unwrap_or_else(textwrap::termwidth)
    }

    /// Exit with a usage error for flags that cannot go together: `--summary`
    /// with SARIF or Markdown (always whole), `--dockerfile` with more than
    /// one PATH, `-o FILE` naming an input.
    pub fn refuse_conflicts(&self) {
        if self.dockerfile.is_some() && self.paths.len() > 1 {
            Cli::command()
                .error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "--dockerfile takes one PATH, the program the image runs (or the image it built): check other programs without --dockerfile",
                )
                .exit();
        }
        if self.summary && matches!(self.format(), OutputFormat::Sarif | OutputFormat::Markdown) {
            Cli::command()
                .error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "--summary applies to the human, json and jsonl formats: SARIF and Markdown are always whole",
                )
                .exit();
        }
        if self.paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
            Cli::command()
                .error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "- (stdin) can be read once: give it once",
                )
                .exit();
        }
        self.refuse_output_over_an_input();
    }

    /// Exit with a usage error when `-o FILE` is one of the inputs: writing
    /// the report would destroy what it reports on.
    fn refuse_output_over_an_input(&self) {
        use std::os::unix::fs::MetadataExt;
        let Some(out) = self.output.as_ref().and_then(|o| std::fs::metadata(o).ok()) else {
            return;
        };
        let same = |p: &PathBuf| std::fs::metadata(p).is_ok_and(|m| m.dev() == out.dev() && m.ino() == out.ino());
        if self.paths.iter().chain(&self.dockerfile).any(same) {
            Cli::command()
                .error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "-o/--output names one of the inputs: refusing to overwrite it",
                )
                .exit()
        }
    }

    /// `--completions SHELL` or `--man`: the script or page on stdout.
    /// Returns whether one was asked for.
    pub fn generate(&self) -> std::io::Result<bool> {
        let mut command = Cli::command();
        let mut text = Vec::new();
        if let Some(shell) = self.completions {
            // clap_complete panics on a write error: write a buffer first.
            clap_complete::generate(shell, &mut command, "dlcheck", &mut text);
        } else if self.man {
            clap_mangen::Man::new(command).render(&mut text)?;
        } else {
            return Ok(false);
        }
        let mut out = Output::stdout()?;
        out.out.write_all(&text)?;
        out.finish()?;
        Ok(true)
    }

    /// Flags that do nothing for what was judged, each with why: `--image`
    /// without a program or library (a container image or root is judged
    /// against its own files, a Dockerfile against its final base), `--all`
    /// without an image, `--summary` without a set, the Dockerfile flags
    /// without a Dockerfile.
    pub fn unused_flags(&self, judged: Judged) -> Vec<&'static str> {
        let Judged {
            images: judged_images,
            binaries: judged_binaries,
            dockerfiles,
            set,
        } = judged;
        let mut out = Vec::new();
        if !dockerfiles {
            if self.target.is_some() {
                out.push("--target does nothing without a Dockerfile: it names the stage of one to check");
            }
            if !self.build_args.is_empty() {
                out.push("--build-arg does nothing without a Dockerfile: it sets an ARG of one");
            }
            if self.context.is_some() {
                out.push(
                    "--context does nothing without a Dockerfile: it is where a Dockerfile's COPY sources are read",
                );
            }
        }
        if self.image.is_some() && !judged_binaries {
            out.push("--image does nothing for a container image, --root or a Dockerfile: an image is judged against its own files, a Dockerfile against its final base");
        }
        if self.all && !judged_images {
            out.push("--all does nothing without a container image or --root: it checks every ELF file inside one");
        }
        if self.summary && !set {
            out.push("--summary does nothing for a single input: it prints a set's summary (several paths or -r)");
        }
        let tagged = self
            .image
            .as_deref()
            .and_then(|i| Catalog::embedded().resolve(i).ok())
            .and_then(|r| r.arch)
            .map(|a| catalog::platform_of(&a));
        if let (Some(tag), Some(platform)) = (tagged, &self.platform)
            && tag != *platform
        {
            out.push(
                "--platform is not the platform the --image architecture tag names (:latest-arm64 ...): the tag wins",
            );
        }
        out
    }
}

/// What a run judged, for [`Cli::unused_flags`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Judged {
    /// A container image or a root file system.
    pub images: bool,
    /// A program or library given as such.
    pub binaries: bool,
    /// A Dockerfile.
    pub dockerfiles: bool,
    /// Several inputs, or a scan.
    pub set: bool,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// Colour when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[cfg(test)]
mod tests {
    #[test]
    fn verify_cli() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
