use std::collections::HashSet;
use std::io::{self, Write};

use colored::Colorize;

use super::sanitize;
use super::wrap::{hanging, prose};
use crate::catalog::GENERATIONS;
use crate::elf::{ElfFacts, Kind, Linkage};
use crate::go::EvidenceSource;
use crate::report::{BinaryReport, JudgedAs, Report, Start};

/// Write the human-readable rendering of one report: the facts, the
/// recommendation and its reasons, and a table of which images run it.
/// A report with an error writes nothing: the CLI prints its one-line error
/// on stderr. Colour follows `colored`'s global override, set once by the
/// CLI.
pub fn human(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    human_once(r, &mut HashSet::new(), w)
}

/// [`human`], writing each note and warning whose words are in `seen`
/// not again (the same note after every report of a set is noise), and
/// adding those it writes; a shipped library's note, part of each
/// binary's verdict, is written every time.
pub fn human_once(r: &Report, seen: &mut HashSet<String>, w: &mut dyn Write) -> io::Result<()> {
    match r {
        Report::Failure(_) => Ok(()),
        _ => report(r, seen, w),
    }
}

/// A report, path first; inside an image, a binary that could not be
/// judged shows its path only.
pub(super) fn report(r: &Report, seen: &mut HashSet<String>, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "{}", sanitize(r.path()).bold())?;
    match r {
        Report::Image(i) => image_report(&i.start, seen, w),
        Report::Binary(b) => binary(b, seen, w),
        Report::Dockerfile(d) => super::dockerfile::dockerfile(&d.check, seen, w),
        Report::Failure(_) => Ok(()),
    }
}

pub(super) fn field(w: &mut dyn Write, name: &str, value: &str) -> io::Result<()> {
    // Continuation lines hang two columns in, apart from the next value.
    let width = 15.max(name.len() + 3);
    hanging(w, &format!("  {:<12} ", name.dimmed()), width, width + 2, value)
}

/// `  LABEL TEXT`, the text wrapped under itself.
pub(super) fn labelled(w: &mut dyn Write, indent: usize, label: colored::ColoredString, text: &str) -> io::Result<()> {
    let width = indent + label.chars().count() + 1;
    prose(w, &format!("{}{label} ", " ".repeat(indent)), width, text)
}

fn binary(r: &BinaryReport, seen: &mut HashSet<String>, w: &mut dyn Write) -> io::Result<()> {
    if let Some(check) = &r.image_check {
        image_check(check, r.judged_as, seen, w)?;
    }
    let elf = &r.elf;
    writeln!(w, "  {}", headline(elf, r))?;
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
        go_fields(go, w)?;
    }
    verdict(r, w)?;
    warnings(&r.warnings, r.image_check.is_some(), seen, w)
}

/// Each warning not already in `seen` (which gets it), labelled by its
/// level in the gate (`warning:` fails `--fail-on warning`, `note:` never).
fn warnings(
    list: &[crate::verdict::Warning],
    image_given: bool,
    seen: &mut HashSet<String>,
    w: &mut dyn Write,
) -> io::Result<()> {
    // A shipped library's note is part of this binary's verdict (it holds
    // only with the library beside it): said for each binary.
    let once = |x: &&crate::verdict::Warning| {
        x.kind == crate::verdict::WarningKind::ShippedLibrary || seen.insert(x.message.clone())
    };
    for warning in list.iter().filter(once) {
        let label = match crate::gate::level(warning.kind, image_given) {
            crate::gate::Level::Note => "note:",
            _ => "warning:",
        };
        labelled(w, 2, label.yellow().bold(), &sanitize(&warning.message))?;
    }
    Ok(())
}

/// The recommendation and its reasons (or what blocks every image, and the
/// fixes), then which images run it.
fn verdict(r: &BinaryReport, w: &mut dyn Write) -> io::Result<()> {
    match &r.recommendation {
        Some(rec) => {
            let label = match r.judged_as {
                JudgedAs::Program => "use",
                JudgedAs::Library => "loadable in",
            };
            writeln!(w, "  {} {}", label.green().bold(), rec.image.green().bold())?;
            for reason in &rec.reasons {
                prose(w, "    - ", 6, &sanitize(reason))?;
            }
        }
        None if r.images.iter().any(|v| v.no_data()) => {
            let known = r.images.iter().any(|v| !v.no_data());
            let what = if known {
                "no distroless image dlcheck has data for runs it"
            } else {
                "no data"
            };
            writeln!(w, "  {}", what.yellow().bold())?;
            no_data(r, w)?;
        }
        None => {
            let none = match (r.judged_as, r.image_starts) {
                (JudgedAs::Program, Some(true)) => {
                    "no published distroless image runs it alone: the image it is in adds what it needs"
                }
                (JudgedAs::Program, _) => "no distroless image runs it",
                (JudgedAs::Library, _) => "no distroless image can load it",
            };
            writeln!(w, "  {}", none.red().bold())?;
            // cc has the most of its generation; its problems are what blocks.
            if let Some(v) = r.images.iter().rfind(|v| v.generation == r.distro) {
                for p in &v.problems {
                    let short = v.image.split('/').next_back().unwrap_or(&v.image);
                    prose(w, "    - ", 6, &format!("{short}: {}", sanitize(&p.explanation)))?;
                }
            }
            for fix in &r.fixes {
                labelled(w, 2, "fix:".cyan().bold(), &sanitize(fix))?;
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
                    } else if v.no_data() {
                        format!("{} {}", v.variant, "?".yellow())
                    } else {
                        format!("{} {}", v.variant, "✗".red())
                    }
                })
                .collect();
            writeln!(w, "    {g:<9} {}", cells.join("  "))?;
        }
    }
    Ok(())
}

/// Why dlcheck cannot decide: each generation without data, once.
fn no_data(r: &BinaryReport, w: &mut dyn Write) -> io::Result<()> {
    for g in GENERATIONS {
        let first = r.images.iter().find(|v| v.generation == g && v.no_data());
        if let Some(p) = first.and_then(|v| v.problems.first()) {
            prose(w, "    - ", 6, &format!("{g}: {}", sanitize(&p.explanation)))?;
        }
    }
    if let Some(fix) = r.images.iter().find(|v| v.no_data()).and_then(|v| v.problems.first()) {
        labelled(w, 2, "fix:".cyan().bold(), &sanitize(&fix.fix))?;
    }
    Ok(())
}

fn headline(elf: &ElfFacts, r: &BinaryReport) -> String {
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
    let libc = elf.libc.name();
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

fn go_fields(go: &crate::go::GoFacts, w: &mut dyn Write) -> io::Result<()> {
    let mut line = go
        .version
        .as_deref()
        .map(sanitize)
        .unwrap_or_else(|| "unknown version".into());
    if let Some(p) = &go.path {
        line.push_str(&format!(", {}", sanitize(p)));
    }
    if !go.deps.is_empty() {
        line.push_str(&format!(", {} dependencies", go.deps.len()));
    }
    if let Some(mode) = go.settings.get("-buildmode") {
        line.push_str(&format!(", -buildmode={}", sanitize(mode)));
    }
    if let Some(tags) = go.settings.get("-tags") {
        line.push_str(&format!(", -tags={}", sanitize(tags)));
    }
    if let Some(c) = &go.cgo_enabled_setting {
        line.push_str(&format!(", CGO_ENABLED={}", sanitize(c)));
    }
    field(w, "go", &line)?;
    let cgo = if go.cgo {
        let by = if go.cgo_packages.is_empty() {
            String::new()
        } else {
            format!(
                " by {}",
                go.cgo_packages
                    .iter()
                    .map(|p| sanitize(p))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let sources: Vec<&str> = go
            .cgo_evidence
            .iter()
            .map(|e| match e.source {
                EvidenceSource::Symtab => ".symtab",
                EvidenceSource::Dynsym => ".dynsym",
                EvidenceSource::Dynamic => "PT_INTERP+DT_NEEDED",
                EvidenceSource::Pclntab => "Go function table",
            })
            .collect();
        let symbols = match go.cgo_symbols.as_slice() {
            [] => String::new(),
            s if s.len() <= 3 => format!("; symbols {}", s.join(", ")),
            s => format!("; symbols {} and {} more", s[..3].join(", "), s.len() - 3),
        };
        format!("linked in{by} (evidence: {}{symbols})", sources.join(", "))
    } else {
        "not linked in".to_string()
    };
    field(w, "cgo", &cgo)?;
    if !go.runtime_files.is_empty() {
        let files: Vec<String> = go
            .runtime_files
            .iter()
            .map(|f| format!("{} ({})", f.path, f.package))
            .collect();
        field(
            w,
            "reads",
            &format!("{}: in every distroless image, not in scratch", files.join(", ")),
        )?;
    }
    Ok(())
}

/// The `--image` verdict, first: what the container will print, why, and
/// the fix.
fn image_check(
    c: &crate::verdict::ImageCheck,
    judged_as: JudgedAs,
    seen: &mut HashSet<String>,
    w: &mut dyn Write,
) -> io::Result<()> {
    let target = format!("{} ({})", sanitize(&c.image), c.platform);
    if c.no_data() {
        writeln!(
            w,
            "  {} {target}: dlcheck cannot say whether it starts",
            "no data on".yellow().bold()
        )?;
        problems(&c.problems, w)?;
        return warnings(&c.warnings, true, seen, w);
    }
    let (ok, crash) = match judged_as {
        JudgedAs::Program => (
            ("will start in", format!(" {target}")),
            ("will crash on start in", format!(" {target}; it prints:")),
        ),
        JudgedAs::Library => (
            ("can be loaded in", format!(" {target}")),
            (
                "cannot be loaded in",
                format!(" {target}; a program that needs it prints:"),
            ),
        ),
    };
    start(c.runs, ok, crash, c.crash.as_deref(), w)?;
    problems(&c.problems, w)?;
    warnings(&c.warnings, true, seen, w)
}

/// Whether the container starts: the `ok` line (highlighted words, then
/// the rest), or the `crash` line and what the container prints.
fn start(
    starts: bool,
    ok: (&str, String),
    crash: (&str, String),
    printed: Option<&str>,
    w: &mut dyn Write,
) -> io::Result<()> {
    if starts {
        return writeln!(w, "  {}{}", ok.0.green().bold(), ok.1);
    }
    writeln!(w, "  {}{}", crash.0.red().bold(), crash.1)?;
    for line in printed.unwrap_or_default().lines() {
        writeln!(w, "    {}", sanitize(line).red())?;
    }
    Ok(())
}

/// The notes not already in `seen` (which gets them).
fn notes(notes: &[String], seen: &mut HashSet<String>, w: &mut dyn Write) -> io::Result<()> {
    for note in notes.iter().filter(|n| seen.insert(n.to_string())) {
        labelled(w, 2, "note:".yellow().bold(), &sanitize(note))?;
    }
    Ok(())
}

/// Each problem: why, the symbols that need a missing version, the fix
/// (once: a fix already given above is not repeated).
fn problems(problems: &[crate::verdict::Problem], w: &mut dyn Write) -> io::Result<()> {
    let mut fixes: HashSet<&str> = HashSet::new();
    for p in problems {
        labelled(w, 2, "why:".dimmed(), &sanitize(&p.explanation))?;
        if !p.symbols.is_empty() {
            let shown: Vec<String> = p.symbols.iter().take(8).map(|x| sanitize(x)).collect();
            let more = p.symbols.len().saturating_sub(8);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            labelled(w, 2, "needs:".dimmed(), &format!("{}{more}", shown.join(", ")))?;
        }
        if !p.fix.is_empty() && fixes.insert(&p.fix) {
            labelled(w, 2, "fix:".cyan().bold(), &sanitize(&p.fix))?;
        }
    }
    Ok(())
}

/// How many executables no image runs the human summary names.
const UNRUNNABLE_SHOWN: usize = 10;

/// The set-level answer after the reports of several paths or a scan: the
/// one image for all, and which binary forces each step up. `skipped` lists
/// the files a scan passed over, when asked (`--verbose`).
pub fn summary(s: &crate::verdict::set::Summary, skipped: Option<&[String]>, w: &mut dyn Write) -> io::Result<()> {
    let count = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    writeln!(
        w,
        "{} {}, {}, {}, {}",
        "summary:".bold(),
        count(s.executables, "executable", "executables"),
        count(s.libraries, "library", "libraries"),
        count(s.errors, "error", "errors"),
        count(s.skipped, "file skipped", "files skipped"),
    )?;
    match &s.image {
        Some(image) => writeln!(w, "  {} {}", "use for all:".green().bold(), image.green().bold())?,
        None if s.executables == 0 => writeln!(w, "  no executables to judge")?,
        None => writeln!(w, "  {}", "no single distroless image runs them all".red().bold())?,
    }
    for r in &s.reasons {
        let short = r.image.rsplit('/').next().unwrap_or(&r.image);
        prose(
            w,
            "    - ",
            6,
            &format!("not {short} because of {}: {}", sanitize(&r.path), sanitize(&r.why)),
        )?;
    }
    // A scan of a whole system can fail hundreds: the first few, counted.
    for p in s.unrunnable.iter().take(UNRUNNABLE_SHOWN) {
        writeln!(w, "    - no image runs {}", sanitize(p))?;
    }
    if s.unrunnable.len() > UNRUNNABLE_SHOWN {
        let more = s.unrunnable.len() - UNRUNNABLE_SHOWN;
        writeln!(w, "    - and {more} more that no image runs (--json lists them all)")?;
    }
    if !s.failures.is_empty() {
        let total: usize = s.failures.iter().map(|f| f.count).sum();
        let each: Vec<String> = s.failures.iter().map(|f| format!("{} {}", f.count, f.rule)).collect();
        labelled(w, 2, "failing:".red().bold(), &format!("{total} ({})", each.join(", ")))?;
    }
    for p in skipped.unwrap_or_default() {
        writeln!(w, "  {} {}", "skipped:".dimmed(), sanitize(p))?;
    }
    Ok(())
}

/// Where an image was read from, in one line: `the Docker engine:
/// myapp:dev (image sha256:…)`, `stdin, zstd-compressed`.
fn read_from(s: &crate::source::SourceInfo) -> String {
    use crate::source::SourceKind;
    let mut out = match s.kind {
        SourceKind::Docker => "the Docker engine".to_string(),
        SourceKind::Registry => "the registry".to_string(),
        SourceKind::Stdin => "stdin".to_string(),
        SourceKind::File => "a compressed archive".to_string(),
    };
    if let Some(r) = &s.reference {
        out.push_str(&format!(": {r}"));
    }
    match (s.kind, &s.digest) {
        (SourceKind::Docker, Some(d)) => out.push_str(&format!(" (image {d})")),
        (_, Some(d)) => out.push_str(&format!(" (manifest {d})")),
        _ => {}
    }
    if let Some(c) = s.compression {
        out.push_str(&format!(", {}-compressed", c.name()));
    }
    if let Some(n) = &s.note {
        out.push_str(&format!("; {n}"));
    }
    out
}

/// A container image: the verdict and what it prints first, why and the
/// fix, how the entrypoint was found, then its binaries.
fn image_report(i: &Start, seen: &mut HashSet<String>, w: &mut dyn Write) -> io::Result<()> {
    let base = match &i.base {
        Some(b) => format!(
            ", built on distroless {}-{}",
            sanitize(&b.variant),
            sanitize(b.generation.as_deref().unwrap_or("?"))
        ),
        None => String::new(),
    };
    writeln!(w, "  {} {}{base}", i.format, sanitize(&i.platform))?;
    if let Some(source) = &i.source {
        field(w, "read from", &sanitize(&read_from(source)))?;
    }
    if i.starts {
        writeln!(w, "  {}", "will start".green().bold())?;
    } else {
        writeln!(w, "  {}", "will crash on start; it prints:".red().bold())?;
        // Each line as the container prints it; a newline inside a name
        // from the image is escaped, so it cannot forge a line.
        for line in &i.crash_lines {
            writeln!(w, "    {}", sanitize(line).red())?;
        }
    }
    problems(&i.problems, w)?;
    let argv: Vec<String> = i
        .config
        .entrypoint
        .iter()
        .chain(&i.config.cmd)
        .map(|a| sanitize(a))
        .collect();
    if !argv.is_empty() {
        field(w, "command", &argv.join(" "))?;
    }
    if !i.config.user.is_empty() {
        field(w, "user", &sanitize(&i.config.user))?;
    }
    for step in &i.entrypoint_steps {
        field(w, "step", &sanitize(step))?;
    }
    notes(&i.warnings, seen, w)?;
    if !i.all.is_empty() {
        let ok = i.all.iter().filter(|c| c.loads).count();
        writeln!(w, "  {} {} ELF files, {ok} load", "all:".bold(), i.all.len())?;
        for c in i.all.iter().filter(|c| !c.loads) {
            // What the loader prints, a line at a time (each escaped).
            let mut lines = c.crash.as_deref().unwrap_or_default().lines();
            let first = lines.next().unwrap_or_default();
            writeln!(w, "    - {}: {}", sanitize(&c.path), sanitize(first))?;
            for line in lines {
                writeln!(w, "      {}", sanitize(line))?;
            }
        }
        for c in i.all.iter().filter(|c| c.dlopen_refused) {
            let why = "needs an executable stack: this image's glibc (2.41 or later) refuses to dlopen it; relink it with -Wl,-z,noexecstack";
            prose(w, "    - ", 6, &format!("{}: {why}", sanitize(&c.path)))?;
        }
    }
    for b in &i.binaries {
        writeln!(w)?;
        report(b, seen, w)?;
    }
    Ok(())
}
