//! Renderers: turn an outcome into bytes. They compute nothing.

mod dockerfile;
mod human;
mod json;
mod markdown;
mod sanitize;
mod sarif;

use std::io::{self, Write};

pub use human::{human, summary};
pub use json::json;
pub use markdown::markdown;
pub use sanitize::sanitize;
pub use sarif::sarif;

use crate::report::Report;
use crate::run::Outcome;

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Text for people, coloured by `colored`'s global override.
    Human,
    /// One JSON document (README.md, "JSON output").
    Json,
}

/// The one-line error of a report that could not be judged, as written on
/// stderr: `dlcheck: PATH: what went wrong: what to do`.
pub fn error_line(r: &Report) -> Option<String> {
    r.error()
        .map(|e| format!("dlcheck: {}: {}", sanitize(r.path()), sanitize(&e.to_string())))
}

/// Write an outcome: the reports (and summary) on `out`, each error on
/// `err` where its report would be (JSON: all errors first). The files a
/// scan skipped are listed when `list_skipped`.
pub fn outcome(
    o: &Outcome,
    format: OutputFormat,
    list_skipped: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<()> {
    if format == OutputFormat::Json {
        for line in o.reports.iter().filter_map(error_line) {
            writeln!(err, "{line}")?;
        }
        return json(&o.reports, o.summary.as_ref(), out);
    }
    let mut first = true;
    for r in &o.reports {
        if let Some(line) = error_line(r) {
            out.flush()?;
            writeln!(err, "{line}")?;
            continue;
        }
        if !first {
            writeln!(out)?;
        }
        first = false;
        human(r, out)?;
    }
    match &o.summary {
        Some(s) => summary(s, list_skipped.then_some(o.skipped.as_slice()), out),
        None => Ok(()),
    }
}
