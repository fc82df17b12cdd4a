//! A Dockerfile's report for people: what it builds on and runs, the
//! prediction, then the findings grouped by line, then the program judged.

use std::collections::HashSet;
use std::io::{self, Write};

use colored::Colorize;

use super::human::{field, labelled, report};
use super::sanitize;
use super::wrap::hanging;
use crate::dockerfile::{Check, Finding, Severity};

/// The report of a Dockerfile.
pub fn dockerfile(c: &Check, seen: &mut HashSet<String>, w: &mut dyn Write) -> io::Result<()> {
    let base = match (&c.base.image, &c.base.variant, &c.base.generation) {
        (Some(image), Some(v), Some(g)) => format!("{} ({v}, {g})", sanitize(image)),
        _ => format!("{} ({})", sanitize(&c.base.reference), c.base.kind),
    };
    let stage = c
        .stages
        .iter()
        .find(|s| s.name.as_deref() == Some(c.target.as_str()) || s.index.to_string() == c.target);
    let target = match stage {
        Some(s) => format!(
            "{} of {}{} (FROM on line {})",
            s.index + 1,
            c.stages.len(),
            s.name
                .as_deref()
                .map(|n| format!(", {}", sanitize(n)))
                .unwrap_or_default(),
            s.line
        ),
        None => sanitize(&c.target),
    };
    field(w, "stage", &target)?;
    field(w, "base", &base)?;
    field(w, "platform", &sanitize(&c.platform))?;
    if !c.command.is_empty() {
        let argv: Vec<String> = c.command.iter().map(|a| sanitize(a)).collect();
        field(w, "command", &argv.join(" "))?;
    }
    if !c.user.is_empty() {
        field(w, "user", &sanitize(&c.user))?;
    }
    prediction(c, w)?;
    let mut line = usize::MAX;
    for f in &c.findings {
        if f.at.line != line {
            line = f.at.line;
            let head = if line == 0 {
                "Dockerfile".to_string()
            } else {
                format!("line {line}")
            };
            writeln!(w, "  {}", head.bold())?;
        }
        finding(f, w)?;
    }
    // A program that could not be read has its one line on stderr.
    if let Some(p) = c.program.as_ref().filter(|p| p.error().is_none()) {
        writeln!(w)?;
        report(p, seen, w)?;
    }
    Ok(())
}

fn prediction(c: &Check, w: &mut dyn Write) -> io::Result<()> {
    let p = &c.prediction;
    let (words, output) = match (p.build, p.start) {
        ("fails", _) if p.build_output.is_some() => {
            ("the build fails; it prints:".red().bold(), p.build_output.as_deref())
        }
        ("fails", _) => ("the build fails".red().bold(), None),
        (_, "crashes") if p.output.is_some() => ("will crash on start; it prints:".red().bold(), p.output.as_deref()),
        (_, "crashes") => ("will crash on start".red().bold(), None),
        (_, "starts") => ("will start".green().bold(), None),
        _ => (
            "builds; whether it starts is not known from the Dockerfile alone"
                .yellow()
                .bold(),
            None,
        ),
    };
    writeln!(w, "  {words}")?;
    for line in output.unwrap_or_default().lines() {
        writeln!(w, "    {}", sanitize(line).red())?;
    }
    if let Some(a) = &p.assumes {
        labelled(w, 2, "assumes:".dimmed(), &sanitize(a))?;
    }
    Ok(())
}

fn finding(f: &Finding, w: &mut dyn Write) -> io::Result<()> {
    let severity = match f.rule.severity() {
        Severity::Error => "error".red().bold(),
        Severity::Warning => "warning".yellow().bold(),
        Severity::Info => "info".normal(),
    };
    let prefix = format!("    {severity} {}: ", f.rule.id().bold());
    let width = 4 + severity.chars().count() + 1 + f.rule.id().len() + 2;
    hanging(w, &prefix, width, 6, &sanitize(&f.message))?;
    if let Some(o) = &f.output {
        for line in o.lines() {
            writeln!(w, "      {} {}", "prints:".dimmed(), sanitize(line))?;
        }
    }
    if !f.fix.is_empty() {
        labelled(w, 6, "fix:".cyan().bold(), &sanitize(&f.fix))?;
    }
    Ok(())
}
