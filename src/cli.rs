//! The command line, parsed by clap, and turned into the library's
//! [`Request`]. Nothing of clap reaches the library.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{CommandFactory, Parser, ValueEnum};
use dlcheck::catalog::{Catalog, GENERATIONS};
use dlcheck::render::OutputFormat;
use dlcheck::{Options, Request};

/// Will this binary start in a distroless container?
///
/// dlcheck reads each binary (it never runs it), reports its interpreter
/// (PT_INTERP), DT_NEEDED libraries, symbol-version needs and Go/cgo facts,
/// and recommends the smallest gcr.io/distroless image that runs it. It also
/// judges whole directories (-r), one image (--image), and built container
/// images or root file systems against their own files.
///
/// Exit status: 0 an image runs every input (or the image starts); 1 one
/// does not; 2 usage error; 3 input cannot be read; 4 not a Linux ELF
/// executable; 5 malformed ELF or image archive. With several paths, the
/// highest wins.
#[derive(Debug, Parser)]
#[command(name = "dlcheck", version, about, long_about)]
pub struct Cli {
    /// Binaries to inspect; container images (a docker save or OCI archive,
    /// or an OCI layout directory); or, with --root, programs inside the root.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

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

    /// Output: human (default), json (one document), or jsonl (JSON Lines:
    /// one report per line as soon as it is ready, the summary last).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// Scan directories: every regular file below them; ELF programs and
    /// libraries are judged, other files skipped quietly.
    #[arg(short = 'r', long)]
    pub recursive: bool,

    /// With -r, follow symbolic links.
    #[arg(long, requires = "recursive")]
    pub follow: bool,

    /// With -r, list the files skipped.
    #[arg(short, long)]
    pub verbose: bool,

    /// When to colour the human output.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,

    /// Check against this one image and exit 1 if the binary would not
    /// start there: gcr.io/distroless/static-debian12, static-debian12,
    /// with a tag (:nonroot, :debug, :debug-nonroot, :latest), an
    /// unversioned name (gcr.io/distroless/base) or scratch.
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,

    /// Judge for this platform instead of the binary's own.
    #[arg(long, value_name = "PLATFORM", value_parser = ["linux/amd64", "linux/arm64"])]
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
                .unwrap_or_else(|msg| Cli::command().error(clap::error::ErrorKind::InvalidValue, msg).exit())
        });
        // Without --distro, recommend from the generation of the image given.
        let distro = self
            .distro
            .clone()
            .or_else(|| image.as_ref().and_then(|i| i.generation.clone()))
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
                platform: self.platform.clone(),
                image,
                all: self.all,
                limits,
            },
            recursive: self.recursive,
            follow: self.follow,
            list_skipped: self.verbose,
            root: self.root.clone(),
        }
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
}

impl Cli {
    /// The output format chosen.
    pub fn output(&self) -> OutputFormat {
        match (self.json, self.format) {
            (true, _) | (_, Some(Format::Json)) => OutputFormat::Json,
            (_, Some(Format::Jsonl)) => OutputFormat::JsonLines,
            _ => OutputFormat::Human,
        }
    }
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
