//! The report model, and every JSON wire type in one place.
//!
//! One [`Report`] per input: a binary judged against the images
//! ([`BinaryReport`]), a container image or root file system started
//! ([`ImageReport`]), or an input that could not be judged
//! ([`FailureReport`]), or a Dockerfile checked ([`DockerfileReport`]). On the wire each is one flat object with the same
//! keys (documented in README.md, "JSON output"; its JSON Schema is
//! `schema/dlcheck.schema.json`): `path`, `format`, `error`, `elf`, `go`,
//! `distro`, `images`, `recommendation`, `image`, `image_check`, `fixes`,
//! `warnings`, `judged_as`, `dockerfile`, with `null` or empty values for what a kind does not have.
//! Renderers only render these types.

use serde::Serialize;

pub use crate::elf::{Class, ElfFacts, Endianness, Kind, Libc, Linkage, RuntimeLoad};
pub use crate::error::Error;
pub use crate::go::{Evidence, EvidenceSource, GoFacts, Module, RuntimeFile};
pub use crate::input::Format;
pub use crate::replay::{Base, Config, FileCheck, Start};
pub use crate::verdict::set::{SetReason, Summary};
pub use crate::verdict::{ImageCheck, ImageVerdict, Problem, ProblemKind, Recommendation, Warning, WarningKind};

/// The exit status when dlcheck has no data to decide: the image is not
/// known for the binary's platform (or a part of it was not read). Not a
/// crash (1) and not an error about the input (3 to 5).
pub const NO_DATA: u8 = 6;

/// Version of the JSON document's shape. Changes only on purpose, when a
/// field is removed or changes meaning; adding fields does not change it.
pub const SCHEMA_VERSION: u32 = 3;

/// The top-level JSON document: `{"schema_version": 2, "reports": [...],
/// "summary": ..., "image_data": ...}`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Document<'a> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// One report per path, in the order given (a scanned directory's
    /// files in path order).
    pub reports: &'a [Report],
    /// With several paths or a scan: the one image for the whole set.
    pub summary: Option<&'a Summary>,
    /// Which image data the verdicts come from.
    pub image_data: ImageData,
}

/// Which image data the verdicts come from (JSON `image_data`): the day it
/// was read from its sources and the distroless commit it describes.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ImageData {
    /// The day the data was generated from its sources, `YYYY-MM-DD`.
    pub generated: &'static str,
    /// The distroless commit whose image definitions were read.
    pub distroless_commit: &'static str,
    /// That commit's date, `YYYY-MM-DD`.
    pub distroless_commit_date: &'static str,
}

impl ImageData {
    /// The data compiled into this binary.
    pub fn embedded() -> ImageData {
        ImageData {
            generated: crate::catalog::GENERATED,
            distroless_commit: crate::catalog::DISTROLESS_COMMIT,
            distroless_commit_date: crate::catalog::DISTROLESS_COMMIT_DATE,
        }
    }
}

/// Everything dlcheck found about one input.
#[derive(Debug, Clone)]
pub enum Report {
    /// An ELF program or library, judged against every image.
    Binary(Box<BinaryReport>),
    /// A container image or root file system, started.
    Image(Box<ImageReport>),
    /// An input that could not be judged.
    Failure(FailureReport),
    /// A Dockerfile, checked.
    Dockerfile(Box<DockerfileReport>),
}

/// A Dockerfile, checked: its findings and what building and starting the
/// image will do.
#[derive(Debug, Clone)]
pub struct DockerfileReport {
    /// The path as given.
    pub path: String,
    /// The JSON `dockerfile` object.
    pub check: crate::dockerfile::Check,
}

/// How a binary is judged in an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JudgedAs {
    /// A program: does it start there?
    Program,
    /// A shared library: can a dynamic program there load it (a dynamic
    /// loader, then the library's own needs)? It never "starts".
    Library,
}

/// An ELF program or library, judged against every image.
#[derive(Debug, Clone)]
pub struct BinaryReport {
    /// The path as given on the command line (or inside an image).
    pub path: String,
    /// As a program or as a library.
    pub judged_as: JudgedAs,
    /// The ELF facts.
    pub elf: ElfFacts,
    /// Go facts, when it is a Go program.
    pub go: Option<GoFacts>,
    /// The generation recommendations start from (`--distro`).
    pub distro: String,
    /// The verdict for each image of the binary's platform.
    pub images: Vec<ImageVerdict>,
    /// The smallest image that runs it, or `None` when none does.
    pub recommendation: Option<Recommendation>,
    /// The verdict for the image of `--image`.
    pub image_check: Option<ImageCheck>,
    /// When no image runs it: how to make it run, simplest first.
    pub fixes: Vec<String>,
    /// Things worth knowing that do not change the verdict.
    pub warnings: Vec<Warning>,
    /// For the program of a container image: whether the image starts it
    /// (with its own files, which may add what no published image has).
    pub image_starts: Option<bool>,
}

/// A container image or root file system, started.
#[derive(Debug, Clone)]
pub struct ImageReport {
    /// The path as given (for `--root`: `ROOT:PROGRAM`).
    pub path: String,
    /// Whether and how it starts (the JSON `image` object).
    pub start: Start,
}

/// An input that could not be judged.
#[derive(Debug, Clone)]
pub struct FailureReport {
    /// The path as given.
    pub path: String,
    /// What kind of file it is, as far as that was found.
    pub format: Format,
    /// Why it could not be judged.
    pub error: Error,
    /// Go facts of a Go program built for another OS (Mach-O, PE).
    pub go: Option<Box<GoFacts>>,
    /// The target generation when the file was read and judged not to be a
    /// Linux program; empty when it could not be read at all.
    pub distro: String,
}

/// The JSON `error` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ErrorInfo {
    /// Stable name: see [`Error::kind`].
    pub kind: &'static str,
    /// One line: what went wrong, and what to do.
    pub message: String,
}

impl From<&Error> for ErrorInfo {
    fn from(e: &Error) -> Self {
        ErrorInfo {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

impl Report {
    /// A report for an input that could not be judged.
    pub fn failed(path: String, format: Format, error: &Error) -> Report {
        Report::Failure(FailureReport {
            path,
            format,
            error: error.clone(),
            go: None,
            distro: String::new(),
        })
    }

    /// The path as given.
    pub fn path(&self) -> &str {
        match self {
            Report::Binary(r) => &r.path,
            Report::Image(r) => &r.path,
            Report::Failure(r) => &r.path,
            Report::Dockerfile(r) => &r.path,
        }
    }

    /// The binary report, if it is one.
    pub fn binary(&self) -> Option<&BinaryReport> {
        match self {
            Report::Binary(r) => Some(r),
            _ => None,
        }
    }

    /// The ELF facts, when it is a binary.
    pub fn elf(&self) -> Option<&ElfFacts> {
        self.binary().map(|b| &b.elf)
    }

    /// The Go facts, when it is a Go program (also one built for another
    /// OS, which fails).
    pub fn go(&self) -> Option<&GoFacts> {
        match self {
            Report::Binary(r) => r.go.as_ref(),
            Report::Failure(r) => r.go.as_deref(),
            Report::Image(_) | Report::Dockerfile(_) => None,
        }
    }

    /// The warnings of a binary (none for the other kinds).
    pub fn warnings(&self) -> &[Warning] {
        self.binary().map(|b| b.warnings.as_slice()).unwrap_or_default()
    }

    /// The image's start, when it is an image.
    pub fn start(&self) -> Option<&Start> {
        match self {
            Report::Image(r) => Some(&r.start),
            _ => None,
        }
    }

    /// Why it could not be judged, if it could not.
    pub fn error(&self) -> Option<&Error> {
        match self {
            Report::Failure(r) => Some(&r.error),
            _ => None,
        }
    }

    /// The same report with its path set to `path`.
    pub fn with_path(mut self, path: String) -> Report {
        match &mut self {
            Report::Binary(r) => r.path = path,
            Report::Image(r) => r.path = path,
            Report::Failure(r) => r.path = path,
            Report::Dockerfile(r) => r.path = path,
        }
        self
    }

    /// The kind of file.
    pub fn format(&self) -> Format {
        match self {
            Report::Binary(_) => Format::Elf,
            Report::Image(_) => Format::Image,
            Report::Failure(r) => r.format,
            Report::Dockerfile(_) => Format::Dockerfile,
        }
    }

    /// Exit status for this input: the error's code; for an image, 0 when
    /// it starts and 1 when it does not; for a Dockerfile, 1 when a finding
    /// is an error (the build fails or the container will not start); for a
    /// binary with `--image`, 0 when that image runs it, 1 when it does not
    /// and [`NO_DATA`] when dlcheck has no data on that image for the
    /// platform; without, 0 when an image runs it, 1 when none does and
    /// [`NO_DATA`] when none it has data for does but some have no data.
    pub fn exit_code(&self) -> u8 {
        match self {
            Report::Failure(r) => r.error.exit_code(),
            Report::Image(r) => u8::from(!r.start.starts),
            Report::Dockerfile(r) => r.check.exit_code(),
            Report::Binary(r) => match (&r.image_check, &r.recommendation) {
                (Some(check), _) if check.no_data() => NO_DATA,
                (Some(check), _) => u8::from(!check.runs),
                (None, Some(_)) => 0,
                (None, None) if r.images.iter().any(ImageVerdict::no_data) => NO_DATA,
                (None, None) => 1,
            },
        }
    }
}

/// The flat wire form of every report (see the module documentation).
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "Report")]
struct Wire<'a> {
    /// The path as given (for `--root`: `ROOT:PROGRAM`; inside an image:
    /// the path in the image).
    path: &'a str,
    /// What kind of file it is.
    format: Format,
    /// Why it could not be judged, or `null`.
    error: Option<ErrorInfo>,
    /// ELF facts, or `null` when it is not a readable ELF file.
    elf: Option<&'a ElfFacts>,
    /// Go facts, or `null` when it is not a Go program.
    go: Option<&'a GoFacts>,
    /// The generation recommendations start from (`--distro`); empty for
    /// an image, or an input that could not be read.
    distro: &'a str,
    /// The verdict for each image of the binary's platform.
    images: &'a [ImageVerdict],
    /// The smallest image that runs it, or `null` when none does.
    recommendation: Option<&'a Recommendation>,
    /// For a container image or root file system: whether it starts.
    image: Option<&'a Start>,
    /// The verdict for the image of `--image`, or `null` without it.
    image_check: Option<&'a ImageCheck>,
    /// When no image runs it: how to make it run, simplest first.
    fixes: &'a [String],
    /// Things worth knowing that do not change the verdict: `{kind,
    /// message}`.
    warnings: &'a [Warning],
    /// For a binary: judged as a `program` (does it start?) or a `library`
    /// (can a dynamic program load it? `images[].runs` then means it can
    /// be loaded there); `null` for the other kinds.
    judged_as: Option<JudgedAs>,
    /// For a Dockerfile: its findings and what building and starting the
    /// image will do; `null` for the other kinds.
    dockerfile: Option<&'a crate::dockerfile::Check>,
}

impl schemars::JsonSchema for Report {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        Wire::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        Wire::json_schema(generator)
    }
}

/// The JSON Schema (draft 2020-12) of the `--json` document, generated
/// from these types; committed as `schema/dlcheck.schema.json`. Every
/// object is closed (`additionalProperties: false`), so a field the schema
/// does not describe fails validation.
pub fn json_schema() -> serde_json::Value {
    use schemars::transform::RecursiveTransform;
    let close = RecursiveTransform(|schema: &mut schemars::Schema| {
        if let Some(o) = schema.as_object_mut()
            && o.contains_key("properties")
        {
            o.insert("additionalProperties".into(), false.into());
        }
    });
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .with_transform(close)
        .into_generator();
    generator.into_root_schema_for::<Document<'static>>().to_value()
}

impl Report {
    fn wire(&self) -> Wire<'_> {
        let mut w = Wire {
            path: self.path(),
            format: self.format(),
            error: None,
            elf: None,
            go: None,
            distro: "",
            images: &[],
            recommendation: None,
            image: None,
            image_check: None,
            fixes: &[],
            warnings: &[],
            judged_as: None,
            dockerfile: None,
        };
        match self {
            Report::Binary(r) => {
                w.elf = Some(&r.elf);
                w.go = r.go.as_ref();
                w.distro = &r.distro;
                w.images = &r.images;
                w.recommendation = r.recommendation.as_ref();
                w.image_check = r.image_check.as_ref();
                w.fixes = &r.fixes;
                w.warnings = &r.warnings;
                w.judged_as = Some(r.judged_as);
            }
            Report::Image(r) => w.image = Some(&r.start),
            Report::Dockerfile(r) => w.dockerfile = Some(&r.check),
            Report::Failure(r) => {
                w.error = Some((&r.error).into());
                w.go = r.go.as_deref();
                w.distro = &r.distro;
            }
        }
        w
    }
}

impl Serialize for Report {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.wire().serialize(s)
    }
}
