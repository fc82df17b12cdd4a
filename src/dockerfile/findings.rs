//! The findings of Dockerfile mode: one typed [`Rule`] per thing that can
//! go wrong (its stable id is what CI output shows; README.md, "Dockerfile
//! rules", documents each), where it is, and what people are told.

use serde::Serialize;

use super::parse::Pos;

/// How bad it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// What the Dockerfile builds on, and other facts.
    Info,
    /// May fail, depending on what dlcheck cannot see.
    Warning,
    /// The build fails, or the container will not start.
    Error,
}

/// Each rule; [`Rule::id`] is the stable name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// What the final stage is built on.
    FinalBase,
    /// An image dlcheck knows nothing of: only a built image or `--root`
    /// can be judged.
    UnknownBase,
    /// `--target` names no stage.
    UnknownTarget,
    /// A shell-form `CMD`/`ENTRYPOINT` in an image without the shell.
    ShellForm,
    /// The command's program is not in the image.
    CommandMissing,
    /// A name without a slash that is in no `PATH` directory.
    CommandNotInPath,
    /// The command names a directory, or a file without execute bits.
    CommandNotExecutable,
    /// Neither `ENTRYPOINT` nor `CMD`.
    NoCommand,
    /// A `#!` script whose interpreter the image lacks.
    ScriptEntrypoint,
    /// A `RUN` in a stage whose image has no shell: the build fails.
    RunWithoutShell,
    /// A copy of a file onto a directory: the build fails.
    CopyOntoDirectory,
    /// A copy of a directory onto a file: the build fails.
    CopyOntoFile,
    /// A source that is not in the context or stage: the build fails.
    CopySourceMissing,
    /// A source not in the Dockerfile's directory, taken as the context.
    CopySourceUnseen,
    /// Several sources to a destination without a trailing slash that is
    /// not a directory.
    CopySeveralToFile,
    /// `USER` names a user (or group) the image does not list.
    UserMissing,
    /// A `:nonroot` image whose `USER` goes back to root, or the other way.
    NonrootUser,
    /// A builder on a newer glibc than the final image.
    BuilderNewerGlibc,
    /// A Go builder with cgo on by default, and a final image without libc.
    CgoStatic,
    /// A C, C++ or Rust builder (dynamic by default), and a final image
    /// without a loader.
    DynamicOnStatic,
    /// A Rust builder for the GNU target, and a final image without
    /// libgcc_s.so.1.
    RustLibgcc,
    /// A C++ program built with g++ or clang++, and a final image without
    /// the libstdc++ it links, or with an older one.
    CxxLibstdcxx,
    /// The program (given, or read from the context) will not start in the
    /// final image: its loader, libraries or versions.
    Linkage,
    /// distroless publishes no final base image for the build's platform:
    /// the build fails when it pulls the base.
    BasePlatform,
    /// A Go, Rust, C or C++ program built in a stage of another platform,
    /// with no `GOARCH`, `--target` or cross compiler: built for another
    /// architecture than the final image's.
    BuilderPlatform,
    /// `--platform` names another platform than the one the final stage
    /// is built for, which its base's architecture tag or its own
    /// `FROM --platform` fixes.
    PlatformPinned,
    /// A distroless final base with a tag distroless does not publish:
    /// the build fails when it pulls the base.
    BaseTag,
}

impl Rule {
    /// Every rule, in the order the README documents them.
    pub const ALL: [Rule; 27] = [
        Rule::FinalBase,
        Rule::UnknownBase,
        Rule::UnknownTarget,
        Rule::ShellForm,
        Rule::CommandMissing,
        Rule::CommandNotInPath,
        Rule::CommandNotExecutable,
        Rule::NoCommand,
        Rule::ScriptEntrypoint,
        Rule::RunWithoutShell,
        Rule::CopyOntoDirectory,
        Rule::CopyOntoFile,
        Rule::CopySourceMissing,
        Rule::CopySourceUnseen,
        Rule::CopySeveralToFile,
        Rule::UserMissing,
        Rule::NonrootUser,
        Rule::BuilderNewerGlibc,
        Rule::CgoStatic,
        Rule::DynamicOnStatic,
        Rule::RustLibgcc,
        Rule::CxxLibstdcxx,
        Rule::Linkage,
        Rule::BasePlatform,
        Rule::BaseTag,
        Rule::BuilderPlatform,
        Rule::PlatformPinned,
    ];

    /// The stable id, shown in every output.
    pub fn id(self) -> &'static str {
        match self {
            Rule::FinalBase => "final-base",
            Rule::UnknownBase => "unknown-base",
            Rule::UnknownTarget => "unknown-target",
            Rule::ShellForm => "shell-form",
            Rule::CommandMissing => "command-missing",
            Rule::CommandNotInPath => "command-not-in-path",
            Rule::CommandNotExecutable => "command-not-executable",
            Rule::NoCommand => "no-command",
            Rule::ScriptEntrypoint => "script-entrypoint",
            Rule::RunWithoutShell => "run-without-shell",
            Rule::CopyOntoDirectory => "copy-onto-directory",
            Rule::CopyOntoFile => "copy-onto-file",
            Rule::CopySourceMissing => "copy-source-missing",
            Rule::CopySourceUnseen => "copy-source-unseen",
            Rule::CopySeveralToFile => "copy-several-to-file",
            Rule::UserMissing => "user-missing",
            Rule::NonrootUser => "nonroot-user",
            Rule::BuilderNewerGlibc => "builder-newer-glibc",
            Rule::CgoStatic => "cgo-static",
            Rule::DynamicOnStatic => "dynamic-on-static",
            Rule::RustLibgcc => "rust-libgcc",
            Rule::CxxLibstdcxx => "cxx-libstdcxx",
            Rule::Linkage => "linkage",
            Rule::BasePlatform => "base-platform",
            Rule::BuilderPlatform => "builder-platform",
            Rule::PlatformPinned => "platform-pinned",
            Rule::BaseTag => "base-tag",
        }
    }

    /// What the rule is about, in one line (SARIF's short description).
    pub fn title(self) -> &'static str {
        match self {
            Rule::FinalBase => "What the final stage is built on",
            Rule::UnknownBase => "A base image dlcheck has no data for: only what the Dockerfile says is checked",
            Rule::UnknownTarget => "--target names no stage",
            Rule::ShellForm => "A shell-form CMD or ENTRYPOINT in an image without /bin/sh",
            Rule::CommandMissing => "The command's program is not in the image",
            Rule::CommandNotInPath => "A command without a slash that is in no PATH directory",
            Rule::CommandNotExecutable => "The command is a directory, or a file without execute bits",
            Rule::NoCommand => "Neither ENTRYPOINT nor CMD",
            Rule::ScriptEntrypoint => "A #! script whose interpreter the image lacks",
            Rule::RunWithoutShell => "A RUN in a stage whose image has no shell: the build fails",
            Rule::CopyOntoDirectory => "A file copied onto a directory: the build fails",
            Rule::CopyOntoFile => "A directory copied onto a file: the build fails",
            Rule::CopySourceMissing => "A COPY source that is not in the context or stage: the build fails",
            Rule::CopySourceUnseen => "A COPY source not in the Dockerfile's directory, taken as the context",
            Rule::CopySeveralToFile => "Several sources copied to a destination that is not a directory",
            Rule::UserMissing => "USER names a user or group the image does not list",
            Rule::NonrootUser => "A :nonroot image whose USER goes back to root, or the other way",
            Rule::BuilderNewerGlibc => "A builder on a newer glibc than the final image",
            Rule::CgoStatic => "A Go builder with cgo on by default, and a final image without libc",
            Rule::DynamicOnStatic => {
                "A C, C++ or Rust builder (dynamic by default), and a final image without a loader"
            }
            Rule::RustLibgcc => "A Rust builder (its programs need libgcc_s.so.1), and a final image without it",
            Rule::CxxLibstdcxx => "A C++ builder, and a final image without its libstdc++ or with an older one",
            Rule::Linkage => "The program will not start in the final image: its loader, libraries or versions",
            Rule::BasePlatform => "distroless publishes no final base image for the build's platform: the build fails",
            Rule::BuilderPlatform => {
                "A Go, Rust, C or C++ program built in a stage of another platform for that platform: exec format error"
            }
            Rule::PlatformPinned => "--platform names another platform than the final stage's FROM fixes",
            Rule::BaseTag => "A distroless final base with a tag distroless does not publish: the build fails",
        }
    }

    /// How bad a finding of this rule is.
    pub fn severity(self) -> Severity {
        match self {
            Rule::FinalBase | Rule::UnknownBase => Severity::Info,
            Rule::NonrootUser
            | Rule::BuilderNewerGlibc
            | Rule::CgoStatic
            | Rule::DynamicOnStatic
            | Rule::RustLibgcc
            | Rule::CxxLibstdcxx
            | Rule::CopySeveralToFile
            | Rule::CopySourceUnseen
            | Rule::PlatformPinned => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// The instruction it is about (line 0: the file as a whole).
    pub at: Pos,
    /// What will happen, for people.
    pub message: String,
    /// What the builder or the container prints, exactly as the engine
    /// words it (a path in the engine's storage aside), when there is such
    /// a line.
    pub output: Option<String>,
    /// How to fix it.
    pub fix: String,
}

impl Finding {
    /// A finding of `rule` at `at`.
    pub fn new(rule: Rule, at: Pos, message: String, output: Option<String>, fix: String) -> Finding {
        Finding {
            rule,
            at,
            message,
            output,
            fix,
        }
    }
}

/// A finding on the wire.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "Finding")]
struct Wire<'a> {
    /// The stable rule id (README.md, "Dockerfile rules").
    rule: &'static str,
    /// `error` (the build fails or the container will not start),
    /// `warning` (may fail) or `info`.
    severity: Severity,
    /// 1-based line of the instruction; 0 for the file as a whole.
    line: usize,
    /// 1-based column of the instruction, or null when not known.
    column: Option<usize>,
    /// What will happen.
    message: &'a str,
    /// What the builder or the container prints, in the engine's words,
    /// or null.
    output: Option<&'a str>,
    /// How to fix it.
    fix: &'a str,
}

impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Wire {
            rule: self.rule.id(),
            severity: self.rule.severity(),
            line: self.at.line,
            column: (self.at.line > 0).then_some(self.at.column),
            message: &self.message,
            output: self.output.as_deref(),
            fix: &self.fix,
        }
        .serialize(s)
    }
}

impl schemars::JsonSchema for Finding {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        Wire::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        Wire::json_schema(generator)
    }
}
