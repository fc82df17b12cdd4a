//! The report model: one [`Report`] per input path. Its `Serialize`
//! derive is the JSON schema (documented in README.md, "JSON output");
//! renderers only render it.

use serde::Serialize;

use crate::elf::ElfFacts;
use crate::error::Error;
use crate::format::Format;
use crate::go::GoFacts;
use crate::recommend::{ImageCheck, ImageVerdict, Recommendation};

/// Version of the JSON document's shape. Changes only on purpose, when a
/// field is removed or changes meaning; adding fields does not change it.
pub const SCHEMA_VERSION: u32 = 2;

/// The top-level JSON document: `{"schema_version": 2, "reports": [...]}`.
#[derive(Debug, Serialize)]
pub struct Document<'a> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// One report per path, in the order given (a scanned directory's
    /// files in path order).
    pub reports: &'a [Report],
    /// With several paths or a scan: the one image for the whole set.
    pub summary: Option<&'a crate::set::Summary>,
}

/// Everything dlcheck found about one path.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The path as given on the command line.
    pub path: String,
    /// What kind of file it is.
    pub format: Format,
    /// Why it could not be judged, or `null`.
    pub error: Option<ErrorInfo>,
    /// ELF facts, or `null` when the file is not a readable ELF file.
    pub elf: Option<ElfFacts>,
    /// Go facts, or `null` when it is not a Go binary.
    pub go: Option<GoFacts>,
    /// The generation recommendations start from (`--distro`).
    pub distro: String,
    /// The verdict for each image of the binary's platform.
    pub images: Vec<ImageVerdict>,
    /// The smallest image that runs it, or `null` when none does.
    pub recommendation: Option<Recommendation>,
    /// For a container image or root file system: whether it starts, and
    /// the reports of its binaries; `null` for a binary.
    pub image: Option<crate::container::ImageReport>,
    /// The verdict for the image of `--image`, or `null` without it.
    pub image_check: Option<ImageCheck>,
    /// When no image runs it: how to make it run, simplest first.
    pub fixes: Vec<String>,
    /// Things worth knowing that do not change the verdict.
    pub warnings: Vec<String>,
}

/// The JSON `error` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorInfo {
    /// Stable name: see [`Error::kind`].
    pub kind: &'static str,
    /// One line: what went wrong, and what to do.
    pub message: String,
    /// The exit status this error maps to.
    #[serde(skip)]
    pub exit_code: u8,
}

impl From<&Error> for ErrorInfo {
    fn from(e: &Error) -> Self {
        ErrorInfo {
            kind: e.kind(),
            message: e.to_string(),
            exit_code: e.exit_code(),
        }
    }
}

impl Report {
    /// A report for a path that could not be judged.
    pub fn failed(path: String, format: Format, error: &Error) -> Self {
        Report {
            path,
            format,
            error: Some(error.into()),
            elf: None,
            go: None,
            distro: String::new(),
            images: Vec::new(),
            recommendation: None,
            image: None,
            image_check: None,
            fixes: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Exit status for this path: the error's code; else, with `--image`,
    /// 0 when that image runs it and 1 when it does not; without, 0 when an
    /// image runs it and 1 when none does.
    pub fn exit_code(&self) -> u8 {
        if let (None, Some(image)) = (&self.error, &self.image) {
            return u8::from(!image.starts);
        }
        match (&self.error, &self.image_check, &self.recommendation) {
            (Some(e), _, _) => e.exit_code,
            (None, Some(check), _) => u8::from(!check.runs),
            (None, None, Some(_)) => 0,
            (None, None, None) => 1,
        }
    }
}
