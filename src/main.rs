//! The `dlcheck` binary: parse flags, run the request, render, exit.

mod bars;
mod cli;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use dlcheck::render::{self, OutputFormat};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    colored::control::set_override(cli.colour());
    let request = cli.request();
    // Progress on stderr, only on a terminal and never with --json.
    let bars = bars::Bars::new(cli.recursive, !cli.json && io::stderr().is_terminal());
    let outcome = dlcheck::run(&request, &bars);
    bars.finish();
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
