//! Why a program will not start: one typed [`ProblemKind`] per cause, with
//! the facts it is about, and the words shown for it ([`Problem`]).
//!
//! Every decision is made on the kind and its fields; the message, the
//! explanation and the fix are text rendered from them for people, never
//! read back.

use serde::Serialize;

/// Where the predicted messages put the program: the path a Dockerfile's
/// `COPY` usually gives it. The kernel and the loader print the path the
/// container runtime executed, so yours may differ.
pub const PROGRAM: &str = "/app";

/// Why the kernel refuses to start a program: `execve`'s errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecFailure {
    /// ENOEXEC: not a format the kernel runs here (another architecture or
    /// operating system, or not an executable at all).
    Format,
    /// ENOENT: the program is not there, or its ELF interpreter
    /// (PT_INTERP) is not, which the kernel reports as the program's.
    NoSuchFile,
}

/// What the container runtime prints when `execve` of `program` fails:
/// runc's `exec <path>: <strerror(errno)>`, so
/// `exec /app: exec format error` or `exec /app: no such file or directory`.
pub fn exec_failed(program: &str, why: ExecFailure) -> String {
    let text = match why {
        ExecFailure::Format => "exec format error",
        ExecFailure::NoSuchFile => "no such file or directory",
    };
    format!("exec {program}: {text}")
}

/// The cause of a problem, with the facts it is about. Serialised as its
/// `snake_case` name (`interpreter_missing` ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// The ELF interpreter (PT_INTERP), or a script's `#!` interpreter, is
    /// not in the image: the kernel reports ENOENT for the program.
    InterpreterMissing {
        /// The path asked for.
        interpreter: String,
        /// It is musl's loader (`ld-musl-*`), or the program is built
        /// against musl.
        musl: bool,
    },
    /// A shared library in an image that has no dynamic loader: no program
    /// there can load it.
    NoLoader {
        /// The image, `gcr.io/distroless/static-debian12`.
        image: String,
    },
    /// A DT_NEEDED library is not where the loader looks.
    LibraryMissing {
        /// The DT_NEEDED name.
        soname: String,
        /// The library that needs it (`None`: the program itself).
        needed_by: Option<String>,
    },
    /// glibc loads a library at run time (`dlopen`) for a function the
    /// program imports, and the image lacks it.
    RuntimeLibraryMissing {
        /// The library, `libgcc_s.so.1`.
        soname: String,
        /// The imported functions that need it: the first is the one
        /// glibc names when it aborts.
        functions: Vec<&'static str>,
    },
    /// A library lacks versions its users need (DT_VERNEED vs DT_VERDEF).
    VersionMissing {
        /// The library file name, `libc.so.6`.
        library: String,
        /// The versions it lacks, in the order they are reported.
        versions: Vec<String>,
    },
    /// Built for another operating system.
    WrongOs {
        /// `freebsd`, `netbsd` ...
        os: String,
    },
    /// Built for another architecture than the image's.
    WrongArchitecture {
        /// The program's platform, `linux/arm64`.
        built_for: String,
        /// The image's platform, `linux/amd64`.
        image: String,
    },
    /// distroless publishes no image of that generation for the platform.
    UnsupportedPlatform {
        /// `linux/386` ...
        platform: String,
    },
    /// dlcheck has no data on the image's libraries for the platform.
    NoData {
        /// `linux/s390x` ...
        platform: String,
    },
    /// The image is not of the platform asked for.
    WrongPlatform {
        /// The platform asked for.
        wanted: String,
        /// The image's.
        actual: String,
    },
    /// The configured user or group is not in the image.
    UserMissing {
        /// The name.
        name: String,
        /// A group, not a user.
        group: bool,
    },
    /// The image has neither Entrypoint nor Cmd.
    NoCommand,
    /// The command is not in the image (or not in its `PATH`).
    EntrypointMissing {
        /// The command as configured.
        command: String,
    },
    /// The command is a directory or has no execute bits.
    NotExecutable {
        /// The file, in the image.
        path: String,
    },
    /// The program's bytes could not be read from the image.
    Unreadable {
        /// The file, in the image.
        path: String,
    },
    /// The kernel does not recognise the file as a program of the image's
    /// platform: not Linux ELF, or a malformed one.
    ExecFormat {
        /// The file, in the image.
        path: String,
    },
}

impl ProblemKind {
    /// Every [`ProblemKind::name`], in declaration order.
    pub const NAMES: [&'static str; 16] = [
        "interpreter_missing",
        "no_loader",
        "library_missing",
        "runtime_library_missing",
        "version_missing",
        "wrong_os",
        "wrong_architecture",
        "unsupported_platform",
        "no_data",
        "wrong_platform",
        "user_missing",
        "no_command",
        "entrypoint_missing",
        "not_executable",
        "unreadable",
        "exec_format",
    ];

    /// The stable name: the JSON `kind` and the rule id.
    pub fn name(&self) -> &'static str {
        match self {
            ProblemKind::InterpreterMissing { .. } => "interpreter_missing",
            ProblemKind::NoLoader { .. } => "no_loader",
            ProblemKind::LibraryMissing { .. } => "library_missing",
            ProblemKind::RuntimeLibraryMissing { .. } => "runtime_library_missing",
            ProblemKind::VersionMissing { .. } => "version_missing",
            ProblemKind::WrongOs { .. } => "wrong_os",
            ProblemKind::WrongArchitecture { .. } => "wrong_architecture",
            ProblemKind::UnsupportedPlatform { .. } => "unsupported_platform",
            ProblemKind::NoData { .. } => "no_data",
            ProblemKind::WrongPlatform { .. } => "wrong_platform",
            ProblemKind::UserMissing { .. } => "user_missing",
            ProblemKind::NoCommand => "no_command",
            ProblemKind::EntrypointMissing { .. } => "entrypoint_missing",
            ProblemKind::NotExecutable { .. } => "not_executable",
            ProblemKind::Unreadable { .. } => "unreadable",
            ProblemKind::ExecFormat { .. } => "exec_format",
        }
    }

    /// The library concerned: the missing soname, or the library lacking
    /// versions.
    pub fn library(&self) -> Option<&str> {
        match self {
            ProblemKind::LibraryMissing { soname, .. } | ProblemKind::RuntimeLibraryMissing { soname, .. } => {
                Some(soname)
            }
            ProblemKind::VersionMissing { library, .. } => Some(library),
            _ => None,
        }
    }

    /// Whether the loader or the kernel reports it because the image lacks
    /// a file the program links: what a larger or newer image can fix.
    pub fn is_linkage(&self) -> bool {
        matches!(
            self,
            ProblemKind::InterpreterMissing { .. }
                | ProblemKind::NoLoader { .. }
                | ProblemKind::LibraryMissing { .. }
                | ProblemKind::RuntimeLibraryMissing { .. }
                | ProblemKind::VersionMissing { .. }
        )
    }
}

/// What a fix asks for, typed: decisions about fixes (which one to give
/// when no image runs the binary, which two go together) read this, never
/// the fix's text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Remedy {
    /// Use this image (full reference): it has what the problem lacks.
    Image(String),
    /// Rebuild the program statically linked: it then needs no loader and
    /// no library, and the fix names the image.
    Static,
    /// Put the library into the image (or link it statically).
    Library,
    /// Rebuild for another platform or operating system.
    Rebuild,
    /// Build with the tools of the image's generation.
    BuildOn,
    /// Point the program at the standard loader (`patchelf`).
    Interpreter,
    /// Nothing more specific.
    #[default]
    Other,
}

/// One reason an image cannot run the program: its kind, and what people
/// are told (JSON `problems[]`: `kind`, `message`, `explanation`,
/// `library`, `symbols`, `fix`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The cause, with its facts.
    pub kind: ProblemKind,
    /// What the container prints, in the kernel's, the container runtime's
    /// or glibc's loader's own words, with the program at [`PROGRAM`] (or
    /// its path in the image); one line per line printed. Empty when
    /// dlcheck cannot know (`no_data`).
    pub message: String,
    /// Why, in one line.
    pub explanation: String,
    /// For `version_missing`: the imported symbols bound to the missing
    /// versions, `name@VERSION`, demangled.
    pub symbols: Vec<String>,
    /// One concrete way to make it run.
    pub fix: String,
    /// What the fix asks for (not on the wire: the fix's text is).
    pub remedy: Remedy,
}

impl Problem {
    /// A problem with no message, symbols or fix yet.
    pub fn new(kind: ProblemKind, explanation: String) -> Problem {
        Problem {
            kind,
            message: String::new(),
            explanation,
            symbols: Vec::new(),
            fix: String::new(),
            remedy: Remedy::Other,
        }
    }

    /// The same problem, its fix asking for `remedy`.
    pub fn remedy(mut self, remedy: Remedy) -> Problem {
        self.remedy = remedy;
        self
    }

    /// A problem with everything but symbols.
    pub fn with(kind: ProblemKind, message: String, explanation: String, fix: String) -> Problem {
        Problem {
            kind,
            message,
            explanation,
            symbols: Vec::new(),
            fix,
            remedy: Remedy::Other,
        }
    }
}

/// The JSON Schema of a problem's `kind`: one of [`ProblemKind::NAMES`].
fn kind_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": "string", "enum": ProblemKind::NAMES })
}

/// A problem on the wire.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "Problem")]
struct Wire<'a> {
    /// The cause, a stable name (README.md, "Rules": `problem/KIND`).
    #[schemars(schema_with = "kind_schema")]
    kind: &'a str,
    /// What the container prints, one line per line printed; empty when
    /// dlcheck cannot know.
    message: &'a str,
    /// Why, in one line.
    explanation: &'a str,
    /// The library concerned, when there is one.
    library: Option<&'a str>,
    /// For `version_missing`: the imported symbols bound to the missing
    /// versions, `name@VERSION`.
    symbols: &'a [String],
    /// One concrete way to make it run.
    fix: &'a str,
}

impl Serialize for Problem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Wire {
            kind: self.kind.name(),
            message: &self.message,
            explanation: &self.explanation,
            library: self.kind.library(),
            symbols: &self.symbols,
            fix: &self.fix,
        }
        .serialize(s)
    }
}

impl schemars::JsonSchema for Problem {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        Wire::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        Wire::json_schema(generator)
    }
}
