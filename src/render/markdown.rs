//! Markdown (`--format markdown`), for pull-request and merge-request
//! comments: a table with one row per input (its verdict in a few words),
//! then for each input with findings a table of them (level, rule, what
//! happens, the fix). GitHub-flavoured: `|` in cells is escaped, line
//! breaks become spaces.

use std::io::{self, Write};

use crate::gate::{self, Level};
use crate::report::Report;

/// One input's line of the table and its findings.
#[derive(Debug, Clone)]
pub struct Row {
    path: String,
    ok: bool,
    verdict: String,
    findings: Vec<gate::Finding>,
}

/// The row of one report.
pub fn row(r: &Report) -> Row {
    let (ok, verdict) = verdict(r);
    Row {
        path: r.path().to_string(),
        ok,
        verdict,
        findings: gate::findings(r),
    }
}

/// Write the reports as Markdown; `exit_code` is the run's status.
pub fn markdown(reports: &[Report], exit_code: u8, w: &mut dyn Write) -> io::Result<()> {
    let rows: Vec<Row> = reports.iter().map(row).collect();
    markdown_rows(&rows, exit_code, w)
}

/// Write the rows of [`row`] as Markdown; `exit_code` is the run's status.
pub fn markdown_rows(rows: &[Row], exit_code: u8, w: &mut dyn Write) -> io::Result<()> {
    let failing = rows.iter().filter(|r| !r.ok).count();
    writeln!(w, "### dlcheck")?;
    writeln!(w)?;
    writeln!(
        w,
        "{} of {} input{} will not start or could not be judged (exit status {exit_code}).",
        failing,
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
    )?;
    writeln!(w)?;
    writeln!(w, "| | Input | Verdict |")?;
    writeln!(w, "|---|---|---|")?;
    for r in rows {
        let mark = if r.ok { "✅" } else { "❌" };
        writeln!(w, "| {mark} | {} | {} |", code(&r.path), cell(&r.verdict))?;
    }
    for r in rows.iter().filter(|r| !r.findings.is_empty()) {
        writeln!(w)?;
        writeln!(w, "#### {}", code(&r.path))?;
        writeln!(w)?;
        writeln!(w, "| Level | Rule | What happens | Fix |")?;
        writeln!(w, "|---|---|---|---|")?;
        for f in &r.findings {
            let level = match f.level {
                Level::Error => "error",
                Level::Warning => "warning",
                Level::Note => "note",
            };
            let rule = match f.line {
                Some(line) => format!("{} (line {line})", code(&f.rule)),
                None => code(&f.rule),
            };
            writeln!(
                w,
                "| {level} | {rule} | {} | {} |",
                cell(&f.message),
                cell(f.fix.as_deref().unwrap_or(""))
            )?;
        }
    }
    Ok(())
}

/// Whether the input passes, and its verdict in a few words.
fn verdict(r: &Report) -> (bool, String) {
    match r {
        Report::Binary(b) => match (&b.image_check, &b.recommendation) {
            (Some(c), _) if c.runs => (true, format!("starts in {}", c.image)),
            (Some(c), _) if c.no_data() => (false, format!("no data on {}: not judged", c.image)),
            (Some(c), _) => (false, format!("will crash on start in {}", c.image)),
            (None, Some(rec)) => (true, format!("use {}", rec.image)),
            (None, None) => (false, "no distroless image runs it".to_string()),
        },
        Report::Image(i) if i.start.starts => (true, "starts".to_string()),
        Report::Image(i) => (
            false,
            match &i.start.crash {
                Some(c) => format!("will crash on start: {}", c.lines().next().unwrap_or_default()),
                None => "will not start".to_string(),
            },
        ),
        Report::Dockerfile(d) => {
            let p = &d.check.prediction;
            (
                d.check.exit_code() == 0,
                format!("build {}, start {}", p.build, p.start),
            )
        }
        Report::Failure(f) => (false, format!("cannot be judged: {}", f.error)),
    }
}

/// A table cell: one line, `|` escaped.
fn cell(text: &str) -> String {
    text.replace('\n', " ").replace('|', "\\|")
}

/// An inline code span, longer fences when the text has backticks.
fn code(text: &str) -> String {
    let text = cell(text);
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}
