use std::io::{self, Write};

use colored::Colorize;

use super::sanitize;
use crate::elf::{ElfFacts, Kind, Linkage};
use crate::images::GENERATIONS;
use crate::report::Report;

/// Write the human-readable rendering of `reports`: per path, the facts,
/// the recommendation and its reasons, and a table of which images run it.
/// Reports with an error are skipped: the CLI prints their one-line error on
/// stderr. Colour follows `colored`'s global override, set once by the CLI.
pub fn human(reports: &[Report], w: &mut dyn Write) -> io::Result<()> {
    let mut first = true;
    for r in reports.iter().filter(|r| r.error.is_none()) {
        if !first {
            writeln!(w)?;
        }
        first = false;
        report(r, w)?;
    }
    Ok(())
}

fn report(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "{}", sanitize(&r.path).bold())?;
    let Some(elf) = &r.elf else { return Ok(()) };
    writeln!(w, "  {}", summary(elf, r))?;
    let field = |w: &mut dyn Write, name: &str, value: &str| writeln!(w, "  {:<12} {}", name.dimmed(), value);
    if let Some(i) = &elf.interpreter {
        field(w, "interpreter", &sanitize(i))?;
    }
    if !elf.needed.is_empty() {
        let list: Vec<String> = elf.needed.iter().map(|n| sanitize(n)).collect();
        field(w, "needed", &list.join(", "))?;
    }
    for (k, v) in [
        ("soname", &elf.soname),
        ("rpath", &elf.rpath),
        ("runpath", &elf.runpath),
    ] {
        if let Some(v) = v {
            field(w, k, &sanitize(v))?;
        }
    }
    for (i, (lib, versions)) in elf.version_needs.iter().enumerate() {
        let name = if i == 0 { "versions" } else { "" };
        let list: Vec<String> = versions.iter().map(|v| sanitize(v)).collect();
        field(w, name, &format!("{}: {}", sanitize(lib), list.join(", ")))?;
    }
    if let Some(go) = &r.go {
        let version = go
            .version
            .as_deref()
            .map(sanitize)
            .unwrap_or_else(|| "unknown version".into());
        let cgo = if go.cgo {
            match go.cgo_symbols.as_slice() {
                [] => "cgo linked in (PT_INTERP and DT_NEEDED)".to_string(),
                s if s.len() <= 3 => format!("cgo linked in ({})", s.join(", ")),
                s => format!("cgo linked in ({}, and {} more)", s[..3].join(", "), s.len() - 3),
            }
        } else {
            "no cgo".to_string()
        };
        field(w, "go", &format!("{version}, {cgo}"))?;
    }
    match &r.recommendation {
        Some(rec) => {
            writeln!(w, "  {} {}", "use".green().bold(), rec.image.green().bold())?;
            for reason in &rec.reasons {
                writeln!(w, "    - {}", sanitize(reason))?;
            }
        }
        None => {
            writeln!(w, "  {}", "no distroless image runs it".red().bold())?;
            // The newest cc image has the most; its problems are what blocks.
            if let Some(v) = r.images.iter().rfind(|v| !v.runs) {
                for p in &v.problems {
                    writeln!(
                        w,
                        "    - {}: {}",
                        v.image.split('/').next_back().unwrap_or(&v.image),
                        sanitize(&p.message)
                    )?;
                }
            }
            for fix in &r.fixes {
                writeln!(w, "  {} {}", "fix:".cyan().bold(), sanitize(fix))?;
            }
        }
    }
    if let Some(platform) = r.images.first().map(|v| v.platform.as_str()) {
        writeln!(w, "  {} ({platform})", "images".dimmed())?;
        for g in GENERATIONS {
            let cells: Vec<String> = r
                .images
                .iter()
                .filter(|v| v.generation == g)
                .map(|v| {
                    if v.runs {
                        format!("{} {}", v.variant, "✓".green())
                    } else {
                        format!("{} {}", v.variant, "✗".red())
                    }
                })
                .collect();
            writeln!(w, "    {g:<9} {}", cells.join("  "))?;
        }
    }
    for warning in &r.warnings {
        writeln!(w, "  {} {}", "warning:".yellow().bold(), sanitize(warning))?;
    }
    Ok(())
}

fn summary(elf: &ElfFacts, r: &Report) -> String {
    let kind = match elf.kind {
        Kind::Executable => "executable",
        Kind::SharedLibrary => "shared library",
    };
    let linkage = match elf.linkage {
        Linkage::Static => "static",
        Linkage::StaticPie => "static-pie",
        Linkage::Dynamic => "dynamic",
        Linkage::LoaderOnly => "loader-only",
    };
    let libc = serde_json::to_value(elf.libc)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let class = if matches!(elf.class, crate::elf::Class::Elf64) {
        "ELF64"
    } else {
        "ELF32"
    };
    let go = if r.go.is_some() { "Go " } else { "" };
    format!(
        "{class} {} {go}{kind}, {linkage}, libc: {libc}, {}",
        sanitize(&elf.machine),
        elf.platform()
    )
}
