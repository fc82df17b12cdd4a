//! Markdown (`--format markdown`), for pull-request and merge-request
//! comments: a table with one row per input (its verdict in a few words),
//! then for each input with findings a table of them (level, rule, what
//! happens, the fix). GitHub-flavoured: `|` in cells is escaped, line
//! breaks become spaces.

use std::io::{self, Write};

use crate::gate::{self, Level};
use crate::report::Report;

/// Write the reports as Markdown; `exit_code` is the run's status.
pub fn markdown(reports: &[Report], exit_code: u8, w: &mut dyn Write) -> io::Result<()> {
    let verdicts: Vec<(bool, String)> = reports.iter().map(verdict).collect();
    let failing = verdicts.iter().filter(|(ok, _)| !ok).count();
    writeln!(w, "### dlcheck")?;
    writeln!(w)?;
    writeln!(
        w,
        "{} of {} input{} will not start or could not be judged (exit status {exit_code}).",
        failing,
        reports.len(),
        if reports.len() == 1 { "" } else { "s" },
    )?;
    writeln!(w)?;
    writeln!(w, "| | Input | Verdict |")?;
    writeln!(w, "|---|---|---|")?;
    for (r, (ok, text)) in reports.iter().zip(&verdicts) {
        let mark = if *ok { "✅" } else { "❌" };
        writeln!(w, "| {mark} | {} | {} |", code(r.path()), cell(text))?;
    }
    for r in reports {
        let findings = gate::findings(r);
        if findings.is_empty() {
            continue;
        }
        writeln!(w)?;
        writeln!(w, "#### {}", code(r.path()))?;
        writeln!(w)?;
        writeln!(w, "| Level | Rule | What happens | Fix |")?;
        writeln!(w, "|---|---|---|---|")?;
        for f in findings {
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
            (Some(c), _) if c.no_data() => (true, format!("no data on {}", c.image)),
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
