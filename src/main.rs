//! The `dlcheck` binary: parse flags, run the request, render each report
//! as it is ready, exit.

mod bars;
mod cli;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use dlcheck::render::{OutputFormat, Stream};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    colored::control::set_override(cli.colour());
    let request = cli.request();
    let format = cli.output();
    // Progress on stderr, only on a terminal and for people.
    let bars = bars::Bars::new(
        cli.recursive,
        format == OutputFormat::Human && io::stderr().is_terminal(),
    );
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut err = io::stderr();
    let mut stream = Stream::new(format, &mut out, &mut err);
    let mut code = 0;
    let finished = dlcheck::run::run_with(&request, &bars, &mut |r| {
        code = code.max(r.exit_code());
        bars.suspend(|| stream.report(&r))
    });
    bars.finish();
    let written = finished.and_then(|f| {
        let skipped = cli.verbose.then_some(f.skipped.as_slice());
        stream.finish(f.summary.as_ref(), skipped)?;
        Ok(f.exit_code)
    });
    match written.and_then(|code| out.flush().map(|()| code)) {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(code),
        Err(e) => {
            eprintln!("dlcheck: cannot write output: {e}");
            ExitCode::from(3)
        }
    }
}
