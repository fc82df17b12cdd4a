//! Output written as the reports come: people's text, the JSON document
//! (byte for byte what [`super::json`] writes for the same reports), or
//! JSON Lines, one object per line, flushed as each is ready. SARIF and
//! Markdown are written at the end, from each report's findings (never
//! the reports themselves: memory holds what will be written).

use std::collections::HashSet;
use std::io::{self, Write};

use serde::Serialize;

use super::markdown::{Row, markdown_rows, row};
use super::{OutputFormat, error_line, human_once, sarif, summary};
use crate::gate::{self, Finding};
use crate::report::{ImageData, Report, SCHEMA_VERSION};
use crate::verdict::set::Summary;

/// One line of `--format jsonl`: a report, or the summary that ends the
/// stream (`null` for a single path).
#[derive(Serialize, schemars::JsonSchema)]
pub struct JsonLine<'a> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// A report, as in the document's `reports`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<&'a Report>,
    /// The last line: the set's summary, or null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<Option<&'a Summary>>,
    /// The last line: the embedded image data's provenance, as in the
    /// document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_data: Option<ImageData>,
}

/// A writer of reports as they come.
pub struct Stream<'a> {
    format: OutputFormat,
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    written: usize,
    summary_only: bool,
    seen: HashSet<String>,
    findings: Vec<Finding>,
    rows: Vec<Row>,
    failed: Option<io::Error>,
}

impl<'a> Stream<'a> {
    /// Reports go to `out`, their one-line errors to `err`.
    pub fn new(format: OutputFormat, out: &'a mut dyn Write, err: &'a mut dyn Write) -> Self {
        Stream {
            format,
            out,
            err,
            written: 0,
            summary_only: false,
            seen: HashSet::new(),
            findings: Vec::new(),
            rows: Vec::new(),
            failed: None,
        }
    }

    /// Write the set's summary only, not the reports (`--summary`; errors
    /// still go to `err`). SARIF and Markdown are always whole.
    pub fn summary_only(mut self, yes: bool) -> Self {
        self.summary_only = yes;
        self
    }

    /// Write one report (or its error line). A write error other than a
    /// closed pipe (a full disk) is kept for [`Stream::finish`] and the
    /// reports after it are not written, so that the caller still sees
    /// every report (the exit status must count them all). Errors: a
    /// closed pipe, which should end the run.
    pub fn report(&mut self, r: &Report) -> io::Result<()> {
        if self.failed.is_some() {
            return Ok(());
        }
        match self.write(r) {
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                self.failed = Some(e);
                Ok(())
            }
            other => other,
        }
    }

    fn write(&mut self, r: &Report) -> io::Result<()> {
        if let Some(line) = error_line(r) {
            self.out.flush()?;
            writeln!(self.err, "{line}")?;
            if self.format == OutputFormat::Human && r.error().is_some() {
                return Ok(());
            }
        }
        let whole = matches!(self.format, OutputFormat::Sarif | OutputFormat::Markdown);
        if self.summary_only && !whole {
            return Ok(());
        }
        match self.format {
            OutputFormat::Human => {
                if self.written > 0 {
                    writeln!(self.out)?;
                }
                human_once(r, &mut self.seen, self.out)?;
            }
            OutputFormat::Sarif => self.findings.extend(gate::findings(r)),
            OutputFormat::Markdown => self.rows.push(row(r)),
            OutputFormat::Json => {
                let head = if self.written == 0 { head() } else { ",\n".to_string() };
                self.out.write_all(head.as_bytes())?;
                indented(r, "    ", self.out)?;
            }
            OutputFormat::JsonLines => {
                let line = JsonLine {
                    schema_version: SCHEMA_VERSION,
                    report: Some(r),
                    summary: None,
                    image_data: None,
                };
                serde_json::to_writer(&mut *self.out, &line)?;
                writeln!(self.out)?;
                self.out.flush()?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Write the end: the summary (when there is one), and with the human
    /// output the files a scan skipped, when `skipped` lists them; SARIF
    /// and Markdown whole, with `exit_code`, the run's status.
    /// Errors: the first write error [`Stream::report`] kept, or this one.
    pub fn finish(&mut self, s: Option<&Summary>, skipped: Option<&[String]>, exit_code: u8) -> io::Result<()> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        match self.format {
            OutputFormat::Sarif => sarif(&self.findings, exit_code, self.out),
            OutputFormat::Markdown => markdown_rows(&self.rows, exit_code, self.out),
            OutputFormat::Human => match s {
                Some(s) => {
                    if self.written > 0 {
                        writeln!(self.out)?;
                    }
                    summary(s, skipped, self.out)
                }
                None => Ok(()),
            },
            OutputFormat::Json => {
                let open = if self.written == 0 {
                    format!("{}]", head().trim_end_matches('\n'))
                } else {
                    "\n  ]".into()
                };
                write!(self.out, "{open},\n  \"summary\": ")?;
                indented(&s, "  ", self.out)?;
                write!(self.out, ",\n  \"image_data\": ")?;
                indented(&ImageData::embedded(), "  ", self.out)?;
                writeln!(self.out, "\n}}")
            }
            OutputFormat::JsonLines => {
                let line = JsonLine {
                    schema_version: SCHEMA_VERSION,
                    report: None,
                    summary: Some(s),
                    image_data: Some(ImageData::embedded()),
                };
                serde_json::to_writer(&mut *self.out, &line)?;
                writeln!(self.out)
            }
        }
    }
}

/// The document's start, up to its first report.
fn head() -> String {
    format!("{{\n  \"schema_version\": {SCHEMA_VERSION},\n  \"reports\": [\n")
}

/// `value` as pretty JSON, each line after the first indented by `indent`
/// (the first too when `indent` is four spaces: a report in the list).
fn indented<T: Serialize>(value: &T, indent: &str, w: &mut dyn Write) -> io::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            w.write_all(b"\n")?;
        }
        if i > 0 || indent.len() == 4 {
            w.write_all(indent.as_bytes())?;
        }
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}
