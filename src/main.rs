//! The `dlcheck` binary: parse flags, run the request, render each report
//! as it is ready, exit with the gate's status.

mod bars;
mod cli;
mod sigbus;

use std::io::{self, IsTerminal};
use std::process::ExitCode;

use clap::Parser;
use dlcheck::input::Format;
use dlcheck::render::{self, OutputFormat, Stream};
use dlcheck::report::Report;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    sigbus::install(cli.quiet);
    match cli.generate() {
        Ok(true) => return ExitCode::SUCCESS,
        Ok(false) => {}
        Err(e) => return cannot_write(&e, 0),
    }
    let format = cli.format();
    cli.refuse_conflicts();
    colored::control::set_override(cli.colour() && (cli.output.is_none() || cli.color == cli::ColorWhen::Always));
    render::set_width(Some(cli.width()));
    let request = cli.request();
    let (mut output, mut err) = match cli.writers() {
        Ok(w) => w,
        Err(e) => return cannot_write(&e, 0),
    };
    // Progress on stderr, only on a terminal and for people.
    let bars = bars::Bars::new(
        cli.recursive,
        format == OutputFormat::Human && !cli.quiet && io::stderr().is_terminal(),
    );
    let set = cli.recursive || cli.paths.len() > 1;
    let mut stream = Stream::new(format, &mut output.out, &mut err).summary_only(cli.summary && set);
    let mut judged = cli::Judged {
        set,
        ..cli::Judged::default()
    };
    let mut status = dlcheck::gate::Status::new(request.fail_on);
    let finished = dlcheck::run::run_with(&request, &bars, &mut |r| {
        // What was judged, for the flags that apply to some inputs only.
        judged.images |= r.format() == Format::Image;
        judged.binaries |= matches!(r, Report::Binary(_) | Report::Failure(_))
            && !matches!(r.format(), Format::Image | Format::Dockerfile);
        judged.dockerfiles |= r.format() == Format::Dockerfile;
        status.add(&r);
        bars.suspend(|| stream.report(&r))
    });
    bars.finish();
    let written = finished.and_then(|f| {
        let skipped = cli.verbose.then_some(f.skipped.as_slice());
        stream.finish(f.summary.as_ref(), skipped, f.exit_code)?;
        if !cli.quiet {
            for warning in cli.unused_flags(judged) {
                eprintln!("dlcheck: warning: {warning}");
            }
        }
        Ok(f.exit_code)
    });
    drop(stream);
    match written.and_then(|code| output.finish().map(|()| code)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => cannot_write(&e, status.code()),
    }
}

/// The output could not be written (exit 3, kept apart from the verdicts
/// of `code` as an input error is); a closed pipe is no error.
fn cannot_write(e: &io::Error, code: u8) -> ExitCode {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return ExitCode::from(code);
    }
    eprintln!("dlcheck: cannot write the output: {e}");
    ExitCode::from(match code {
        0 => 3,
        1 => 8 + 3,
        c => c,
    })
}
