//! Errors: one variant per reason an input cannot be judged, each mapped to an
//! exit code (see [`Error::exit_code`]) and a stable `kind` string for JSON.

use std::path::PathBuf;

/// Why a path could not be analysed.
///
/// `Display` is one line that says what went wrong and what to do; the CLI
/// prefixes it with `dlcheck: ` and the path.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// The path does not exist (exit 3).
    #[error("no such file: check the path")]
    NotFound(PathBuf),
    /// The path is a directory (exit 3); `true` when it looks like a root
    /// file system (`etc/` and `usr/` or `lib/`), where `--root` is meant.
    #[error(
        "is a directory: pass -r to scan it, or the binary inside it{}",
        if *.1 { "; it looks like a root file system: --root DIR /PROGRAM judges a program inside it against its files" } else { "" }
    )]
    IsDirectory(PathBuf, bool),
    /// The file cannot be opened for reading (exit 3).
    #[error("permission denied: make it readable, or run dlcheck as a user who can read it")]
    PermissionDenied(PathBuf),
    /// A FIFO, socket or device: reading it could block or never end (exit 3).
    #[error("not a regular file ({0}): dlcheck only reads regular files")]
    NotRegularFile(&'static str),
    /// Any other I/O failure while opening, stat-ing or mapping (exit 3).
    #[error("cannot read: {0}")]
    Io(String),
    /// A zero-length file (exit 4).
    #[error("empty file: 0 bytes, nothing to run (was the build or copy interrupted?)")]
    Empty,
    /// A `#!` script (exit 4).
    #[error(
        "script for {}: the distroless base images (static, base-nossl, base, cc) have no /bin/sh and no other interpreter, so there it fails with \"exec /app: no such file or directory\"; ship a compiled binary, use gcr.io/distroless/python3 or nodejs for those languages (dlcheck does not judge scripts in them), or a :debug image with #!/busybox/sh",
        script_command(.interpreter, *.crlf)
    )]
    Script {
        /// The interpreter command of the `#!` line (empty when there is none).
        interpreter: String,
        /// The `#!` line ends in CR LF.
        crlf: bool,
    },
    /// A Mach-O file (exit 4).
    #[error(
        "Mach-O binary, built for macOS, so it fails with \"exec /app: exec format error\": rebuild for Linux (Go: GOOS=linux; Rust: --target x86_64-unknown-linux-gnu)"
    )]
    MachO,
    /// A PE file (exit 4).
    #[error(
        "PE binary, built for Windows, so it fails with \"exec /app: exec format error\": rebuild for Linux (Go: GOOS=linux; Rust: --target x86_64-unknown-linux-gnu)"
    )]
    Pe,
    /// An ELF file that is not something the kernel executes: a relocatable
    /// object or a core dump (exit 4). Holds what it is and what to do.
    #[error("ELF {0}")]
    NotExecutable(&'static str),
    /// Separate debug information (`objcopy --only-keep-debug`,
    /// `/usr/lib/debug/.build-id/*.debug`): the headers of a program or
    /// library without its code (exit 4).
    #[error(
        "separate debug information, not a program: its code segments hold no bytes (objcopy --only-keep-debug); check the program it was split from"
    )]
    DebugInfo,
    /// A directory scan (`-r`) that found no ELF program or library to
    /// judge (exit 4): a gate must not pass on nothing. Holds what the scan
    /// passed over.
    #[error("no ELF programs or libraries found under it: {0}")]
    NoElfFiles(String),
    /// Anything else that is not ELF (exit 4).
    #[error("not an ELF binary ({0}): dlcheck judges Linux executables and shared libraries")]
    UnknownFormat(&'static str),
    /// A container image archive or layout that cannot be read safely:
    /// truncated, inconsistent, or with names that leave the image (exit 5).
    #[error("malformed image: {0}")]
    MalformedImage(String),
    /// An image source (the Docker engine, a registry) that cannot be
    /// reached: not running, a socket not permitted, the network or TLS
    /// (exit 3). Holds what was tried, why it failed and what to do.
    #[error("{0}")]
    Unreachable(String),
    /// A registry or engine refused the credentials tried, or asked for
    /// some (HTTP 401/403) (exit 3). Holds which credential was tried.
    #[error("{0}")]
    Unauthorized(String),
    /// The engine or registry has no such image, repository or tag (exit 3).
    #[error("{0}")]
    ImageNotFound(String),
    /// A Dockerfile the builder would refuse to read: the parser's words,
    /// with the line and column (exit 5).
    #[error("malformed Dockerfile: {0}; docker build fails the same way")]
    MalformedDockerfile(String),
    /// An input that asks for more work than a limit allows: decompressed
    /// bytes, entries, JSON values, links, search-path elements ... (exit
    /// 5). The message names the limit and the flag that raises it.
    #[error("{0}")]
    LimitExceeded(String),
    /// A file that starts like ELF but whose headers or tables are
    /// inconsistent or run past the end of the file (exit 5).
    #[error("malformed ELF: {0}; the file may be truncated or corrupt: rebuild or re-copy it")]
    Malformed(String),
}

impl Error {
    /// The process exit status for this error: 3 unreadable input, 4 not a
    /// Linux ELF executable, 5 malformed ELF (see README, "Exit status").
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::NotFound(_)
            | Error::IsDirectory(..)
            | Error::PermissionDenied(_)
            | Error::NotRegularFile(_)
            | Error::Io(_)
            | Error::Unreachable(_)
            | Error::Unauthorized(_)
            | Error::ImageNotFound(_) => 3,
            Error::Empty
            | Error::Script { .. }
            | Error::MachO
            | Error::Pe
            | Error::NotExecutable(_)
            | Error::DebugInfo
            | Error::NoElfFiles(_)
            | Error::UnknownFormat(_) => 4,
            Error::Malformed(_)
            | Error::MalformedImage(_)
            | Error::MalformedDockerfile(_)
            | Error::LimitExceeded(_) => 5,
        }
    }

    /// Whether the input is a file that is not a Linux program or library
    /// (exit 4): what a directory scan passes over quietly.
    pub fn is_not_a_program(&self) -> bool {
        self.exit_code() == 4
    }

    /// Every [`Error::kind`] (README.md, "Rules": `input/KIND`).
    pub const KINDS: [&'static str; 20] = [
        "not_found",
        "is_directory",
        "permission_denied",
        "not_regular_file",
        "io",
        "unreachable",
        "unauthorized",
        "image_not_found",
        "empty",
        "script",
        "mach_o",
        "pe",
        "not_executable",
        "debug_info",
        "no_elf_files",
        "unknown_format",
        "malformed_elf",
        "malformed_image",
        "malformed_dockerfile",
        "limit_exceeded",
    ];

    /// A stable machine-readable name for the JSON `error.kind` field.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::NotFound(_) => "not_found",
            Error::IsDirectory(..) => "is_directory",
            Error::PermissionDenied(_) => "permission_denied",
            Error::NotRegularFile(_) => "not_regular_file",
            Error::Io(_) => "io",
            Error::Unreachable(_) => "unreachable",
            Error::Unauthorized(_) => "unauthorized",
            Error::ImageNotFound(_) => "image_not_found",
            Error::Empty => "empty",
            Error::Script { .. } => "script",
            Error::MachO => "mach_o",
            Error::Pe => "pe",
            Error::NotExecutable(_) => "not_executable",
            Error::DebugInfo => "debug_info",
            Error::NoElfFiles(_) => "no_elf_files",
            Error::UnknownFormat(_) => "unknown_format",
            Error::Malformed(_) => "malformed_elf",
            Error::MalformedImage(_) => "malformed_image",
            Error::MalformedDockerfile(_) => "malformed_dockerfile",
            Error::LimitExceeded(_) => "limit_exceeded",
        }
    }
}

/// How a script's `#!` line is named in its error: the command, and why a
/// CR LF line ending fails everywhere.
fn script_command(interpreter: &str, crlf: bool) -> String {
    let mut cmd = if interpreter.is_empty() {
        "an empty #! line".to_string()
    } else {
        interpreter.to_string()
    };
    if crlf {
        cmd.push_str(" (the #! line ends in CR LF, so even a full distribution fails with \"no such file or directory\": convert it with dos2unix)");
    }
    cmd
}

/// Shorthand for a malformed-ELF error.
pub(crate) fn malformed(msg: impl Into<String>) -> Error {
    Error::Malformed(msg.into())
}
