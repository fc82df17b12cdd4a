//! The `dlcheck` binary: parse flags, inspect each path, render, exit.

mod cli;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, ColorWhen, Distro};
use dlcheck::{Options, Report, inspect_path, render, scan, set};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let colour = match cli.color {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
                && io::stdout().is_terminal()
        }
    };
    colored::control::set_override(colour);

    let image = cli.image.as_deref().map(|r| {
        dlcheck::images::Catalog::embedded().resolve(r).unwrap_or_else(|msg| {
            use clap::CommandFactory;
            Cli::command().error(clap::error::ErrorKind::InvalidValue, msg).exit()
        })
    });
    // Without --distro, recommend from the generation of the image given.
    let distro = match (cli.distro, image.as_ref().and_then(|i| i.generation.clone())) {
        (Some(d), _) => d.name().to_string(),
        (None, Some(generation)) => generation,
        (None, None) => Distro::Debian11.name().to_string(),
    };
    let opts = Options {
        distro,
        platform: cli.platform.clone(),
        image,
        all: cli.all,
    };

    // Progress on stderr for scans, only on a terminal and never with --json.
    let bar = (cli.recursive && !cli.json && io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {pos} files, {elapsed}") {
            bar.set_style(style);
        }
        bar
    });
    let progress = |done: usize| {
        if let Some(bar) = &bar {
            bar.set_position(done as u64);
        }
    };
    let mut reports: Vec<Report> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    let mut skipped_count = 0;
    if let Some(root) = &cli.root {
        let inside: Vec<String> = cli.paths.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        reports.extend(dlcheck::inspect_root(root, &inside, &opts));
    }
    for path in cli.paths.iter().filter(|_| cli.root.is_none()) {
        if dlcheck::image::looks_like_image(path) {
            reports.push(dlcheck::inspect_image(path, &opts));
        } else if cli.recursive && path.is_dir() {
            let found = scan::scan(path, cli.follow, cli.verbose, &opts, &progress);
            reports.extend(found.reports);
            skipped.extend(found.skipped);
            skipped_count += found.skipped_count;
        } else {
            reports.push(inspect_path(path, &opts));
        }
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    set::link_shipped(&mut reports, &opts.distro);
    // A set summary is about binaries; images carry their own verdicts.
    let binaries = reports.iter().any(|r| r.image.is_none());
    let summary = (binaries && (cli.recursive || cli.paths.len() > 1))
        .then(|| set::summarize(&reports, skipped_count, &opts.distro));

    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let error_line = |r: &Report| {
        r.error.as_ref().map(|e| {
            format!(
                "dlcheck: {}: {}",
                render::sanitize(&r.path),
                render::sanitize(&e.message)
            )
        })
    };
    let written = if cli.json {
        for line in reports.iter().filter_map(error_line) {
            eprintln!("{line}");
        }
        render::json(&reports, summary.as_ref(), &mut out)
    } else {
        // In path order, each error on stderr where its report would be.
        let mut first = true;
        reports
            .iter()
            .try_for_each(|r| {
                if let Some(line) = error_line(r) {
                    out.flush()?;
                    eprintln!("{line}");
                    return Ok(());
                }
                if !first {
                    writeln!(out)?;
                }
                first = false;
                render::human(r, &mut out)
            })
            .and_then(|()| match &summary {
                Some(s) => render::summary(s, cli.verbose.then_some(skipped.as_slice()), &mut out),
                None => Ok(()),
            })
    }
    .and_then(|()| out.flush());
    if let Err(e) = written
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        eprintln!("dlcheck: cannot write output: {e}");
        return ExitCode::from(3);
    }
    ExitCode::from(reports.iter().map(|r| r.exit_code()).max().unwrap_or(0))
}
