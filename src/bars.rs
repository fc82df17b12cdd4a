//! Progress on stderr (indicatif), only on a terminal and never with
//! `--json`: a spinner counting a scan's files, and a bar per download or
//! read of an image (bytes, rate; a spinner when the size is not known).

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// The bars of one run; all do nothing when disabled.
pub struct Bars {
    enabled: bool,
    scan: Option<ProgressBar>,
    transfer: Mutex<Option<(String, ProgressBar)>>,
}

impl Bars {
    /// Bars drawn when `enabled`; the scan spinner only for a `scan`.
    pub fn new(scan: bool, enabled: bool) -> Bars {
        let scan = (scan && enabled).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(120));
            if let Ok(style) = ProgressStyle::with_template("{spinner} {pos} files, {elapsed}") {
                bar.set_style(style);
            }
            bar
        });
        Bars {
            enabled,
            scan,
            transfer: Mutex::new(None),
        }
    }

    /// Run `f` (which writes output) with the scan spinner hidden.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.scan {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// Clear every bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.scan {
            bar.finish_and_clear();
        }
        dlcheck::Progress::done(self);
    }
}

fn transfer_bar(what: &str, total: Option<u64>) -> ProgressBar {
    let (bar, template) = match total {
        Some(t) => (
            ProgressBar::new(t),
            "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec}",
        ),
        None => (ProgressBar::new_spinner(), "{spinner} {msg} {bytes} {bytes_per_sec}"),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar
}

impl dlcheck::Progress for Bars {
    fn files(&self, files: usize) {
        if let Some(bar) = &self.scan {
            bar.set_position(files as u64);
        }
    }

    fn bytes(&self, what: &str, done: u64, total: Option<u64>) {
        if !self.enabled {
            return;
        }
        let Ok(mut current) = self.transfer.lock() else { return };
        if current.as_ref().is_none_or(|(w, _)| w != what) {
            if let Some((_, old)) = current.take() {
                old.finish_and_clear();
            }
            *current = Some((what.to_string(), transfer_bar(what, total)));
        }
        if let Some((_, bar)) = current.as_ref() {
            bar.set_position(done);
        }
    }

    fn done(&self) {
        if let Ok(mut current) = self.transfer.lock()
            && let Some((_, bar)) = current.take()
        {
            bar.finish_and_clear();
        }
    }
}
