//! The `dlcheck` binary: parse flags, run the request, render, exit.

mod cli;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use dlcheck::render::{self, OutputFormat};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    colored::control::set_override(cli.colour());
    let request = cli.request();
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
    let outcome = dlcheck::run(&request, &progress);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let format = if cli.json {
        OutputFormat::Json
    } else {
        OutputFormat::Human
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    let written =
        render::outcome(&outcome, format, cli.verbose, &mut out, &mut io::stderr()).and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("dlcheck: cannot write output: {e}");
            ExitCode::from(3)
        }
        _ => ExitCode::from(outcome.exit_code()),
    }
}
