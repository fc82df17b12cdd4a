//! dlcheck: will this binary start in a distroless container?
//!
//! dlcheck reads a binary's bytes (it never executes, loads or `dlopen`s
//! what it inspects), reports the facts that decide whether it can start,
//! its PT_INTERP, DT_NEEDED libraries, symbol-version needs, libc, and for
//! Go binaries the build information and evidence of cgo, and judges it
//! against every Google distroless image (`static`, `base-nossl`, `base`,
//! `cc` × `debian11`, `debian12`, `debian13`) using the embedded, checked
//! facts in [`images`].
//!
//! Entry points: [`analyze`] takes bytes, [`inspect_path`] takes a path;
//! both return a [`Report`] and never panic on bad input.

#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod elf;
pub mod error;
pub mod format;
pub mod go;
pub mod images;
pub mod input;
pub mod recommend;
pub mod render;
pub mod report;

use std::path::Path;

pub use error::Error;
pub use format::Format;
pub use report::{Document, Report, SCHEMA_VERSION};

use crate::elf::{ElfFacts, ElfFile, Linkage};
use crate::go::GoFacts;
use crate::images::Catalog;

/// Analysis options.
#[derive(Debug, Clone)]
pub struct Options {
    /// The generation to recommend from first: `debian11`, `debian12` or
    /// `debian13`.
    pub distro: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            distro: "debian11".to_string(),
        }
    }
}

/// Read `path` and analyse it. The report's `path` is `path` as given.
/// Never fails: an unreadable path gives a report whose `error` says why.
pub fn inspect_path(path: &Path, opts: &Options) -> Report {
    let shown = path.to_string_lossy().into_owned();
    match input::load(path) {
        Ok(bytes) => {
            let mut report = analyze(&bytes, opts);
            report.path = shown;
            report
        }
        Err(e) => Report::failed(shown, Format::Unknown, &e),
    }
}

/// Analyse a file's bytes. The report's `path` is empty.
pub fn analyze(bytes: &[u8], opts: &Options) -> Report {
    let format = format::detect(bytes);
    let result = match format {
        Format::Elf => analyze_elf(bytes, opts),
        Format::Empty => Err(Error::Empty),
        Format::MachO => Err(Error::MachO),
        Format::Pe => Err(Error::Pe),
        Format::Script => {
            let sb = format::shebang(bytes).unwrap_or_else(|| format::Shebang {
                command: String::new(),
                crlf: false,
            });
            let mut cmd = sb.command;
            if sb.crlf {
                cmd.push_str(" (the #! line ends in CR LF, so even a full distribution fails with \"no such file or directory\": convert it with dos2unix)");
            }
            Err(Error::Script(cmd))
        }
        Format::Unknown => Err(Error::UnknownFormat(format::describe_unknown(bytes))),
    };
    match result {
        Ok(report) => report,
        Err(e) => Report::failed(String::new(), format, &e),
    }
}

fn analyze_elf(bytes: &[u8], opts: &Options) -> Result<Report, Error> {
    let file = ElfFile::parse(bytes)?;
    let facts = file.facts()?;
    let go = go_facts(&file, &facts);
    let catalog = Catalog::embedded();
    let images = recommend::judge_all(&facts, catalog);
    let recommendation = recommend::recommend(&facts, &images, &opts.distro);
    let mut warnings = Vec::new();
    let dropped = recommendation
        .as_ref()
        .and_then(|rec| Some((rec, catalog.generations.get(&rec.generation).filter(|g| !g.supported)?)));
    if let Some((rec, g)) = dropped {
        warnings.push(format!(
            "{} images are no longer built or patched (frozen since {}): prefer {}-debian12 or later",
            rec.generation,
            g.removed_date.as_deref().unwrap_or("unknown"),
            rec.variant
        ));
    }
    if go.as_ref().is_some_and(|g| g.cgo) {
        warnings.push(
            "cgo is linked in, so this Go binary needs glibc's loader and libc and cannot run on static: build with CGO_ENABLED=0 (or -tags netgo,osusergo when only net and os/user pulled cgo in) to run on gcr.io/distroless/static".to_string(),
        );
    }
    let fixes = if recommendation.is_none() {
        recommend::fixes(&facts, &images)
    } else {
        Vec::new()
    };
    Ok(Report {
        path: String::new(),
        format: Format::Elf,
        error: None,
        elf: Some(facts),
        go,
        images,
        recommendation,
        fixes,
        warnings,
    })
}

/// Go facts, if this is a Go binary: it has a build information block, a
/// `.gopclntab` section, or a Go build-ID note.
fn go_facts(file: &ElfFile<'_>, facts: &ElfFacts) -> Option<GoFacts> {
    let bytes = file.bytes();
    let block = file
        .section(".go.buildinfo")
        .filter(|s| s.starts_with(go::BUILDINFO_MAGIC))
        // Without section headers, search the file for the magic, as Go's
        // debug/buildinfo does in the data segment.
        .or_else(|| {
            if file.has_sections() {
                return None;
            }
            memchr::memmem::find(bytes, go::BUILDINFO_MAGIC).map(|i| &bytes[i..])
        });
    let read_mem = |addr: u64, len: u64| {
        file.vaddr_to_offset(addr, len)
            .map(|o| bytes[o..o + len as usize].to_vec())
    };
    let info = block.and_then(|b| go::decode(b, &read_mem));
    if info.is_none() && file.section(".gopclntab").is_none() {
        return None;
    }
    let found: Vec<&[u8]> = file
        .symbol_names()
        .filter(|n| go::CGO_SYMBOLS.iter().any(|s| s.as_bytes() == *n))
        .collect();
    let cgo_symbols: Vec<String> = go::CGO_SYMBOLS
        .iter()
        .filter(|s| found.contains(&s.as_bytes()))
        .map(|s| s.to_string())
        .collect();
    let externally_linked = facts.linkage == Linkage::Dynamic && !facts.needed.is_empty();
    let settings = info.as_ref().map(|i| i.settings()).unwrap_or_default();
    Some(GoFacts {
        version: info.as_ref().map(|i| i.version.clone()),
        cgo: !cgo_symbols.is_empty() || externally_linked,
        cgo_symbols,
        cgo_enabled_setting: settings.get("CGO_ENABLED").cloned(),
        path: info.as_ref().and_then(|i| i.path()),
        settings,
    })
}
