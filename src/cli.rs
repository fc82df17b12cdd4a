//! The command line, parsed by clap. Nothing here reaches the library.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

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

    /// Print one JSON document on stdout (schema in README.md).
    #[arg(long)]
    pub json: bool,

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

    /// Debian generation to recommend from; a newer one is chosen only when
    /// none of this generation runs the binary. Default: the generation of
    /// --image when one is given, else debian11.
    #[arg(long, value_enum, value_name = "GEN")]
    pub distro: Option<Distro>,
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

/// `--distro`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Distro {
    /// Debian 11 (bullseye); images frozen since 2024-09-03.
    Debian11,
    /// Debian 12 (bookworm).
    Debian12,
    /// Debian 13 (trixie).
    Debian13,
}

impl Distro {
    /// The generation name used in the image data.
    pub fn name(self) -> &'static str {
        match self {
            Distro::Debian11 => "debian11",
            Distro::Debian12 => "debian12",
            Distro::Debian13 => "debian13",
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn verify_cli() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
