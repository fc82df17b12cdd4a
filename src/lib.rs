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

pub mod container;
pub mod elf;
pub mod error;
pub mod format;
pub mod go;
pub mod image;
pub mod images;
pub mod input;
pub mod recommend;
pub mod render;
pub mod report;
pub mod scan;
pub mod set;
pub mod text;

use std::collections::BTreeSet;
use std::path::Path;

pub use error::Error;
pub use format::Format;
pub use report::{Document, Report, SCHEMA_VERSION};

use crate::elf::{ElfFacts, ElfFile, Libc, Linkage};
use crate::go::GoFacts;
use crate::images::Catalog;

/// Analysis options.
#[derive(Debug, Clone)]
pub struct Options {
    /// The generation to recommend from first: `debian11`, `debian12` or
    /// `debian13`.
    pub distro: String,
    /// Judge for this platform (`linux/amd64`, `linux/arm64`) instead of
    /// the binary's own.
    pub platform: Option<String>,
    /// Check against this one image only (`--image`).
    pub image: Option<images::ImageRef>,
    /// For a container image or root file system: check every ELF file.
    pub all: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            distro: "debian11".to_string(),
            platform: None,
            image: None,
            all: false,
        }
    }
}

/// Read `path` and analyse it. The report's `path` is `path` as given.
/// Never fails: an unreadable path gives a report whose `error` says why.
pub fn inspect_path(path: &Path, opts: &Options) -> Report {
    let shown = text::from_bytes(std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()));
    match input::load(path) {
        Ok(bytes) => {
            let mut report = analyze(&bytes, opts);
            report.path = shown;
            report
        }
        Err(e) => Report::failed(shown, Format::Unknown, &e),
    }
}

/// Judge a container image: a `docker save` or OCI archive, or an OCI
/// layout directory, for `opts.platform` (default: this machine's). Never
/// writes to disk; a hostile or broken archive gives a report whose error
/// is `malformed_image`.
pub fn inspect_image(path: &Path, opts: &Options) -> Report {
    let shown = text::from_bytes(std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()));
    match image::Image::open(path, opts.platform.as_deref(), image::Limits::default()) {
        Ok(img) => {
            let mut r = container::check(&img, opts);
            if opts.all
                && let Err(e) = container::check_all(&img, &mut r)
            {
                return Report::failed(shown, Format::Image, &Error::MalformedImage(e.0));
            }
            image_report(shown, r)
        }
        Err(e) => Report::failed(shown, Format::Image, &Error::MalformedImage(e.0)),
    }
}

/// Judge programs inside a root file system (`--root DIR PATH...`), as if
/// it were an image whose entrypoint is each path.
pub fn inspect_root(root: &Path, paths: &[String], opts: &Options) -> Vec<Report> {
    let shown = text::from_bytes(std::os::unix::ffi::OsStrExt::as_bytes(root.as_os_str()));
    match std::fs::metadata(root) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return vec![Report::failed(
                shown,
                Format::Image,
                &Error::Io("not a directory: --root takes a root file system".into()),
            )];
        }
        Err(e) => return vec![Report::failed(shown, Format::Image, &input::io_error(root, e))],
    }
    let img = match image::Image::root(root, image::Limits::default()) {
        Ok(i) => i,
        Err(e) => return vec![Report::failed(shown, Format::Image, &Error::MalformedImage(e.0))],
    };
    paths
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let shown = format!("{}:{p}", root.display());
            let mut r = container::check_command(&img, opts, std::slice::from_ref(p));
            if opts.all && i == 0 {
                let _ = container::check_all(&img, &mut r);
            }
            image_report(shown, r)
        })
        .collect()
}

fn image_report(path: String, image: container::ImageReport) -> Report {
    Report {
        path,
        format: Format::Image,
        error: None,
        elf: None,
        go: None,
        distro: String::new(),
        images: Vec::new(),
        recommendation: None,
        image: Some(image),
        image_check: None,
        fixes: Vec::new(),
        warnings: Vec::new(),
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
            let mut cmd = if sb.command.is_empty() {
                "an empty #! line".to_string()
            } else {
                sb.command
            };
            if sb.crlf {
                cmd.push_str(" (the #! line ends in CR LF, so even a full distribution fails with \"no such file or directory\": convert it with dos2unix)");
            }
            Err(Error::Script(cmd))
        }
        Format::Unknown | Format::Image => Err(Error::UnknownFormat(format::describe_unknown(bytes))),
    };
    match result {
        Ok(report) => report,
        Err(e) => {
            let mut report = Report::failed(String::new(), format, &e);
            report.distro = opts.distro.clone();
            report.go = match format {
                Format::MachO => go::macho_input(bytes).and_then(|i| go::analyze(&i)),
                Format::Pe => go::pe_input(bytes).and_then(|i| go::analyze(&i)),
                _ => None,
            };
            report
        }
    }
}

fn analyze_elf(bytes: &[u8], opts: &Options) -> Result<Report, Error> {
    let file = ElfFile::parse(bytes)?;
    let mut facts = file.facts()?;
    let go = go_facts(&file, &facts).map(|(go, seen)| {
        // A static Go program has no C library, unless cgo linked one in
        // (glibc is told by its ABI note before this).
        if matches!(facts.linkage, Linkage::Static | Linkage::StaticPie)
            && matches!(facts.libc, Libc::None | Libc::Unknown)
        {
            facts.libc = match (go.cgo, seen.init_libc) {
                (false, _) => Libc::None,
                (true, true) => Libc::Musl,
                (true, false) => Libc::Unknown,
            };
        }
        go
    });
    let catalog = Catalog::embedded();
    let images = recommend::judge_all(&facts, catalog, opts.platform.as_deref());
    let recommendation = recommend::recommend(&facts, &images, &opts.distro);
    let mut warnings = Vec::new();
    warnings.extend(recommend::frozen_warning(recommendation.as_ref(), &images, catalog));
    warnings.extend(recommend::version_warning(&facts, &images, &opts.distro));
    if facts.imports_dlopen || !facts.dlopen_note.is_empty() {
        let names = if facts.dlopen_note.is_empty() {
            String::new()
        } else {
            format!(" (its .note.dlopen names {})", facts.dlopen_note.join(", "))
        };
        warnings.push(format!(
            "loads libraries at run time with dlopen{names}: DT_NEEDED does not list them, so make sure the image has them"
        ));
    }
    if let Some(g) = &go {
        warnings.extend(recommend::go_warnings(g, &facts, recommendation.as_ref(), &opts.distro));
    }
    if matches!(facts.linkage, Linkage::Static | Linkage::StaticPie) && facts.libc == Libc::Glibc {
        use goblin::elf::section_header::{SHT_DYNSYM, SHT_SYMTAB};
        // One pass over each table: the NSS functions called, and whether
        // .symtab is glibc's (it names __libc_start_main).
        let mut nss: BTreeSet<&str> = BTreeSet::new();
        let mut symtab_has_libc = false;
        for table in [SHT_SYMTAB, SHT_DYNSYM] {
            for v in file.symbol_table(table).name_views() {
                match v.first() {
                    Some(b'g' | b'i') => {
                        nss.extend(NSS_FUNCTIONS.iter().copied().find(|f| elf::name_is(v, f.as_bytes())))
                    }
                    Some(b'_') if table == SHT_SYMTAB => symtab_has_libc |= elf::name_is(v, b"__libc_start_main"),
                    _ => {}
                }
            }
        }
        // Without a .symtab that is glibc's (stripped, or damaged: it lacks
        // __libc_start_main) the function names are gone, and the NSS
        // module loader's "libnss_" prefix is the evidence left. With one,
        // the names decide, as the program may name a module in its data.
        let stripped_nss = nss.is_empty() && !symtab_has_libc && memchr::memmem::find(bytes, b"libnss_").is_some();
        if !nss.is_empty() || stripped_nss {
            let what = if nss.is_empty() {
                "the NSS module loader (libnss_)".to_string()
            } else {
                nss.into_iter().collect::<Vec<_>>().join(", ")
            };
            warnings.push(format!(
                "statically linked glibc that calls {what}: at run time glibc still loads libnss_*.so.2 of the exact glibc version it was built with; on static (and other images with a different glibc) user, group and host lookups fail silently. Use Go's pure resolver (CGO_ENABLED=0 or -tags netgo,osusergo), musl, or dynamic linking on base-nossl"
            ));
        }
    }
    let fixes = if recommendation.is_none() {
        recommend::fixes(&images, &opts.distro)
    } else {
        Vec::new()
    };
    let image_check = opts.image.as_ref().map(|image| {
        recommend::check_image(
            &facts,
            go.as_ref(),
            catalog,
            image,
            opts.platform.as_deref(),
            recommendation.as_ref(),
        )
    });
    // The symbol bindings served the predicted messages; a scan keeps many
    // reports, so drop what the report does not show.
    facts.version_symbols = Default::default();
    facts.verneed_order = Vec::new();
    Ok(Report {
        path: String::new(),
        format: Format::Elf,
        error: None,
        elf: Some(facts),
        go,
        distro: opts.distro.clone(),
        images,
        recommendation,
        image: None,
        image_check,
        fixes,
        warnings,
    })
}

/// glibc functions that go through NSS (`nsswitch.conf`) and so `dlopen`
/// `libnss_*` modules even in a static program (glibc manual, "Name
/// Service Switch"; the linker warns "Using 'getaddrinfo' in statically
/// linked applications requires at runtime the shared libraries from the
/// glibc version used for linking").
const NSS_FUNCTIONS: &[&str] = &[
    "getaddrinfo",
    "gethostbyname",
    "gethostbyname2",
    "gethostbyname_r",
    "gethostbyname2_r",
    "gethostbyaddr",
    "gethostbyaddr_r",
    "getpwnam",
    "getpwnam_r",
    "getpwuid",
    "getpwuid_r",
    "getpwent",
    "getgrnam",
    "getgrnam_r",
    "getgrgid",
    "getgrgid_r",
    "getgrouplist",
    "initgroups",
    "getservbyname",
    "getservbyname_r",
    "getprotobyname",
];

/// Go facts, if this is a Go binary.
fn go_facts(file: &ElfFile<'_>, facts: &ElfFacts) -> Option<(GoFacts, go::Seen)> {
    use goblin::elf::section_header::{SHT_DYNSYM, SHT_SYMTAB};
    let buildinfo = file.section(".go.buildinfo");
    let pclntab = file.section(".gopclntab");
    // With readable section names, a Go program always has one of these two
    // (their contents may be cut off: the magic is searched then).
    let named = file.has_section(".go.buildinfo") || file.has_section(".gopclntab");
    if !named && file.has_sections() && file.section_names_readable() {
        return None;
    }
    let input = go::GoInput {
        bytes: file.bytes(),
        segments: file
            .load_segments()
            .map(|(vaddr, offset, size)| go::Segment { vaddr, offset, size })
            .collect(),
        buildinfo,
        data: file.data_segment(),
        pclntab,
        symtab: go::Names::Elf(file.symbol_table(SHT_SYMTAB)),
        dynsym: go::Names::Elf(file.symbol_table(SHT_DYNSYM)),
        dynamic: match (&facts.interpreter, facts.needed.is_empty()) {
            (Some(i), false) => Some((i.clone(), facts.needed.clone())),
            _ => None,
        },
    };
    go::analyze_seen(&input)
}
