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
    mark: Mark,
    verdict: String,
    findings: Vec<gate::Finding>,
}

/// The row of one report.
pub fn row(r: &Report) -> Row {
    let (mark, verdict) = verdict(r);
    Row {
        path: r.path().to_string(),
        mark,
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
    let failing = rows.iter().filter(|r| r.mark != Mark::Passes).count();
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
        let mark = match r.mark {
            Mark::Passes => "✅",
            Mark::Fails => "❌",
            Mark::NotJudged => "❔",
        };
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

/// How an input fares, as its row's mark says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    /// ✅: it passes the gate.
    Passes,
    /// ❌: it will not start, or cannot be read.
    Fails,
    /// ❔: dlcheck has no data to judge it (exit status 6; its finding is
    /// a note, not an error).
    NotJudged,
}

/// How the input fares, and its verdict in a few words.
fn verdict(r: &Report) -> (Mark, String) {
    let mark = |ok: bool| if ok { Mark::Passes } else { Mark::Fails };
    match r {
        Report::Binary(b) => match (&b.image_check, &b.recommendation) {
            (Some(c), _) if c.runs => (Mark::Passes, format!("starts in {}", c.image)),
            (Some(c), _) if c.no_data() => (Mark::NotJudged, format!("no data on {}: not judged", c.image)),
            (Some(c), _) => (Mark::Fails, format!("will crash on start in {}", c.image)),
            (None, Some(rec)) => (Mark::Passes, format!("use {}", rec.image)),
            (None, None) => (Mark::Fails, "no distroless image runs it".to_string()),
        },
        Report::Image(i) if i.start.starts => (Mark::Passes, "starts".to_string()),
        Report::Image(i) => (
            Mark::Fails,
            match &i.start.crash {
                Some(c) => format!("will crash on start: {}", c.lines().next().unwrap_or_default()),
                None => "will not start".to_string(),
            },
        ),
        Report::Dockerfile(d) => {
            let p = &d.check.prediction;
            (
                mark(d.check.exit_code() == 0),
                format!("build {}, start {}", p.build, p.start),
            )
        }
        Report::Failure(f) => (Mark::Fails, format!("cannot be judged: {}", f.error)),
    }
}

/// One line, `|` escaped: what a table cell can hold.
fn one_line(text: &str) -> String {
    text.replace('\n', " ").replace('|', "\\|")
}

/// A table cell of prose: one line, and `&`, `<`, `>` as entities, so that
/// `<iostream>` is shown, not taken for an HTML tag and dropped.
fn cell(text: &str) -> String {
    one_line(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An inline code span (where `<` is shown as it is), longer fences when
/// the text has backticks.
fn code(text: &str) -> String {
    let text = one_line(text);
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}
