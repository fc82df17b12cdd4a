use std::io::{self, Write};

use crate::report::{Document, ImageData, Report, SCHEMA_VERSION};

/// Write `{"schema_version": 2, "reports": [...], "summary": ...,
/// "image_data": ...}` as pretty JSON and a
/// trailing newline. Strings are written as serde_json writes Rust strings:
/// bytes from the file that are not UTF-8 were replaced with U+FFFD.
pub fn json(reports: &[Report], summary: Option<&crate::verdict::set::Summary>, w: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        reports,
        summary,
        image_data: ImageData::embedded(),
    };
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}
