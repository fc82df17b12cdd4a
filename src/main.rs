//! The `dlcheck` binary: parse flags, run the request, render each report
//! as it is ready, exit.

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
    // Progress on stderr for scans, only on a terminal and for people.
    let bar = (cli.recursive && format == OutputFormat::Human && io::stderr().is_terminal()).then(|| {
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
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut err = io::stderr();
    let mut stream = Stream::new(format, &mut out, &mut err);
    let mut code = 0;
    let finished = dlcheck::run::run_with(&request, &progress, &mut |r| {
        code = code.max(r.exit_code());
        match &bar {
            Some(bar) => bar.suspend(|| stream.report(&r)),
            None => stream.report(&r),
        }
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
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
