//! The `dlcheck` binary: parse flags, run the request, render each report
//! as it is ready, exit with the gate's status.

mod bars;
mod cli;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use dlcheck::render::{self, OutputFormat, Stream};
use dlcheck::report::Report;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli.generate(&mut io::stdout().lock()) {
        Ok(true) => return ExitCode::SUCCESS,
        Ok(false) => {}
        Err(e) => return cannot_write(&e),
    }
    let format = cli.format();
    if cli.summary && matches!(format, OutputFormat::Sarif | OutputFormat::Markdown) {
        cli::Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "--summary applies to the human, json and jsonl formats: SARIF and Markdown are always whole",
            )
            .exit();
    }
    let to_terminal = cli.output.is_none() && io::stdout().is_terminal();
    colored::control::set_override(cli.colour() && (cli.output.is_none() || cli.color == cli::ColorWhen::Always));
    // People's text wraps to the terminal, or to 100 columns elsewhere.
    let width = if to_terminal { textwrap::termwidth() } else { 100 };
    render::set_width(Some(width));
    let request = cli.request();
    let mut out: Box<dyn Write> = match (&cli.output, cli.quiet) {
        (_, true) => Box::new(io::sink()),
        (Some(path), false) => match std::fs::File::create(path) {
            Ok(f) => Box::new(io::BufWriter::new(f)),
            Err(e) => {
                eprintln!("dlcheck: {}: cannot write the output: {e}", path.display());
                return ExitCode::from(3);
            }
        },
        (None, false) => Box::new(io::BufWriter::new(io::stdout().lock())),
    };
    let mut err: Box<dyn Write> = if cli.quiet {
        Box::new(io::sink())
    } else {
        Box::new(io::stderr())
    };
    // Progress on stderr, only on a terminal and for people.
    let bars = bars::Bars::new(
        cli.recursive,
        format == OutputFormat::Human && !cli.quiet && io::stderr().is_terminal(),
    );
    let mut stream = Stream::new(format, &mut out, &mut err).summary_only(cli.summary);
    let (mut images, mut others, mut failed) = (false, false, 0u8);
    let finished = dlcheck::run::run_with(&request, &bars, &mut |r| {
        match &r {
            Report::Image(_) => images = true,
            Report::Failure(f) if f.format == dlcheck::input::Format::Image => images = true,
            _ => others = true,
        }
        failed = failed.max(r.exit_code());
        bars.suspend(|| stream.report(&r))
    });
    bars.finish();
    let written = finished.and_then(|f| {
        let skipped = cli.verbose.then_some(f.skipped.as_slice());
        stream.finish(f.summary.as_ref(), skipped, f.exit_code)?;
        if !cli.quiet {
            for warning in cli.unused_flags(images, others, f.summary.is_some()) {
                eprintln!("dlcheck: warning: {warning}");
            }
        }
        Ok(f.exit_code)
    });
    drop(stream);
    match written.and_then(|code| out.flush().map(|()| code)) {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(failed),
        Err(e) => cannot_write(&e),
    }
}

/// The output could not be written: exit 3.
fn cannot_write(e: &io::Error) -> ExitCode {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return ExitCode::SUCCESS;
    }
    eprintln!("dlcheck: cannot write output: {e}");
    ExitCode::from(3)
}
