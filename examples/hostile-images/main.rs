//! The hostile-image run: more than a hundred generated hostile archives
//! (issue 18's kinds, at full size and with the default limits, in their
//! variants), each run through the release build of dlcheck and checked
//! against the budget and the right outcome.
//!
//!     cargo build --release && cargo run --release --example hostile-images
//!
//! Needs GNU time (`apt-get install -y time`) and about 1 GB of free disk
//! in the temporary directory (each case is built, run and removed). For
//! each case it prints the exit status, wall time and peak RSS, and whether
//! it was over budget (more than 20 s or 256 MiB), wrote a raw escape
//! sequence or a forged line to the terminal, or gave a wrong verdict; then
//! the totals. Exit status 1 when any case fails. An argument runs only the
//! families whose name contains it (`-- forgery`).

mod content;
#[path = "../../tests/common/images.rs"]
mod images;
mod sizes;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use images::{Compress, Layer, image, layer};
use serde_json::Value;

/// A family of cases: built in a context, run, removed.
type Family = fn(&mut Ctx) -> Vec<Case>;

/// What a case must give.
#[derive(Clone)]
enum Expect {
    /// This exit status.
    Exit(i32),
    /// Exit 5 at this limit.
    Limit(&'static str),
    /// Exit 5 with this in the error.
    Error(&'static str),
}

struct Case {
    name: String,
    args: Vec<String>,
    expect: Expect,
}

/// Where cases are built.
struct Ctx {
    dir: PathBuf,
    n: usize,
}

impl Ctx {
    /// A fresh path for a case's files.
    fn path(&mut self, what: &str) -> PathBuf {
        self.n += 1;
        self.dir.join(format!("{}-{what}", self.n))
    }

    /// A fresh directory.
    fn mkdir(&mut self, what: &str) -> PathBuf {
        let d = self.path(what);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// The cc-debian12 base with `top` over it, `cfg` as its config.
    fn image(&mut self, top: &[&Layer], cfg: Value) -> String {
        let dir = self.mkdir("image");
        image(&dir, top, cfg)
    }

    /// A layer of `files`.
    fn layer(&mut self, z: Compress, files: &[(&str, &[u8])]) -> Layer {
        let p = self.path("layer");
        layer(
            p.parent().unwrap(),
            p.file_name().unwrap().to_str().unwrap(),
            z,
            files,
            &[],
        )
    }
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(images::repo().join("testdata/bin").join(name)).unwrap()
}

const ZS: [Compress; 3] = [Compress::None, Compress::Gzip, Compress::Zstd];

fn case(name: impl Into<String>, args: &[&str], expect: Expect) -> Case {
    Case {
        name: name.into(),
        args: args.iter().map(|s| s.to_string()).collect(),
        expect,
    }
}

/// The budget of every input (README, "Hostile input").
const BUDGET_TIME: Duration = Duration::from_secs(20);
const BUDGET_MIB: u64 = 256;

/// What was wrong with one run.
fn faults(c: &Case, r: &images::Run) -> Vec<String> {
    let mut out = Vec::new();
    if r.time > BUDGET_TIME || r.rss_mib > BUDGET_MIB {
        out.push(format!(
            "over budget ({:.1} s, {} MiB)",
            r.time.as_secs_f64(),
            r.rss_mib
        ));
    }
    let text = String::from_utf8_lossy(&r.stdout);
    let raw = |s: &str| {
        s.chars()
            .any(|ch| ch == '\x1b' || ch == '\r' || ch == '\x07' || ('\u{202a}'..='\u{202e}').contains(&ch))
    };
    if raw(&text) || raw(&r.stderr) {
        out.push("raw escape".into());
    }
    let starts = text
        .lines()
        .filter(|l| l.trim_start().starts_with("will start"))
        .count();
    if starts > usize::from(r.status == 0) || r.stderr.lines().count() > 1 {
        out.push("forged line".into());
    }
    let right = match &c.expect {
        Expect::Exit(s) => r.status == *s,
        Expect::Limit(name) => r.status == 5 && r.stderr.contains(&format!("--limit {name}=")),
        Expect::Error(what) => r.status == 5 && r.stderr.contains(what),
    };
    if !right {
        out.push(format!("wrong verdict (exit {}: {})", r.status, r.stderr.trim()));
    }
    out
}

fn main() {
    let exe = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("dlcheck");
    assert!(exe.exists(), "build dlcheck first: cargo build --release");
    let families: [(&str, Family); 12] = [
        ("bombs", sizes::bombs),
        ("one pass", sizes::one_pass),
        ("lookups", sizes::lookups),
        ("json", sizes::json_bombs),
        ("indexes", sizes::indexes),
        ("whole files", sizes::whole_files),
        ("names", sizes::names),
        ("metadata", content::metadata),
        ("forgery", content::forgery),
        ("swallowed errors", content::swallowed),
        ("layouts", content::layouts),
        ("committed", |_| content::committed()),
    ];
    // `cargo run --release --example hostile-images -- FAMILY` runs one.
    let only = std::env::args().nth(1);
    let start = Instant::now();
    let (mut total, mut failed, mut over, mut raw, mut wrong) = (0, 0, 0, 0, 0);
    let (mut slowest, mut biggest) = ((Duration::ZERO, String::new()), (0, String::new()));
    for (family, build) in families
        .into_iter()
        .filter(|(f, _)| only.as_deref().is_none_or(|o| f.contains(o)))
    {
        let dir = tempfile::tempdir().unwrap();
        let mut ctx = Ctx {
            dir: dir.path().to_path_buf(),
            n: 0,
        };
        for c in build(&mut ctx) {
            let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
            let r = images::measure(&exe, &args);
            let f = faults(&c, &r);
            total += 1;
            over += usize::from(f.iter().any(|x| x.starts_with("over")));
            raw += usize::from(f.iter().any(|x| x.starts_with("raw") || x.starts_with("forged")));
            wrong += usize::from(f.iter().any(|x| x.starts_with("wrong")));
            failed += usize::from(!f.is_empty());
            if r.time > slowest.0 {
                slowest = (r.time, c.name.clone());
            }
            if r.rss_mib > biggest.0 {
                biggest = (r.rss_mib, c.name.clone());
            }
            let verdict = if f.is_empty() { "ok".to_string() } else { f.join("; ") };
            println!(
                "{family:>16} | {:<60} | exit {} | {:>5.2} s | {:>4} MiB | {verdict}",
                c.name.replace(char::is_control, "?"),
                r.status,
                r.time.as_secs_f64(),
                r.rss_mib
            );
        }
    }
    println!(
        "{total} cases: {over} over budget, {raw} raw escapes or forged lines, {wrong} wrong verdicts; slowest {:.2} s ({}), peak RSS {} MiB ({}); {:.0} s in all",
        slowest.0.as_secs_f64(),
        slowest.1,
        biggest.0,
        biggest.1,
        start.elapsed().as_secs_f64()
    );
    std::process::exit(i32::from(failed > 0));
}
