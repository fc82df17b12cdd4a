//! Renderers: turn an outcome into bytes. They compute nothing.

mod dockerfile;
mod human;
mod json;
mod markdown;
mod sanitize;
mod sarif;
mod stream;
mod wrap;

use std::io::{self, Write};

pub use human::{human, human_once, summary};
pub use json::json;
pub use markdown::{Row, markdown, markdown_rows, row};
pub use sanitize::sanitize;
pub use sarif::sarif;
pub use stream::{JsonLine, Stream};
pub use wrap::set_width;

use crate::report::Report;
use crate::run::Outcome;

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Text for people, coloured by `colored`'s global override.
    Human,
    /// One JSON document (README.md, "JSON output").
    Json,
    /// JSON Lines: one object per report as it is ready, the summary last.
    JsonLines,
    /// SARIF 2.1.0, for code scanning (README.md, "SARIF"): one result per
    /// finding, written at the end.
    Sarif,
    /// Markdown for pull-request comments: a table of inputs, then each
    /// input's findings, written at the end.
    Markdown,
}

/// The one-line error of a report that could not be judged, as written on
/// stderr: `dlcheck: PATH: what went wrong: what to do`. For a Dockerfile
/// checked with a program or image (`--dockerfile FILE PATH`), the error
/// of that input, which the Dockerfile's report holds.
pub fn error_line(r: &Report) -> Option<String> {
    let failed = match r {
        Report::Dockerfile(d) => d.check.program.as_ref()?,
        _ => r,
    };
    failed
        .error()
        .map(|e| format!("dlcheck: {}: {}", sanitize(failed.path()), sanitize(&e.to_string())))
}

/// Write an outcome: the reports (and summary) on `out`, each error on
/// `err` where its report would be. The files a scan skipped are listed
/// when `list_skipped`.
pub fn outcome(
    o: &Outcome,
    format: OutputFormat,
    list_skipped: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<()> {
    let mut stream = Stream::new(format, out, err);
    for r in &o.reports {
        stream.report(r)?;
    }
    stream.finish(
        o.summary.as_ref(),
        list_skipped.then_some(o.skipped.as_slice()),
        o.exit_code(),
    )
}
