//! Does a distroless image run a binary? For each image of the catalog:
//! the platform first (the kernel's `exec format error`, an image that is
//! not published for it), then the loader's steps against the image's
//! contents, through [`crate::loader`]:
//! 1. the kernel opens PT_INTERP; a binary without one needs nothing;
//! 2. the loader finds every DT_NEEDED library, and each library's own;
//! 3. every needed version must be defined by the library found;
//! 4. glibc loads some libraries at run time for functions the binary
//!    imports (`libgcc_s.so.1` for `pthread_exit`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::problem::{ExecFailure, PROGRAM, Problem, ProblemKind, Remedy, exec_failed};
use crate::binary::Binary;
use crate::catalog::{self, Catalog, Image, ImageRoot};
use crate::elf::{Kind, Libc, oci_arch, version_cmp};
use crate::loader::{self, Env, Event, Root, Shipped, Walk};

/// The verdict for one image (JSON `images[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ImageVerdict {
    /// Full reference, `gcr.io/distroless/cc-debian12`.
    pub image: String,
    /// `static`, `base-nossl`, `base`, `cc`.
    pub variant: String,
    /// `debian11`, `debian12`, `debian13`.
    pub generation: String,
    /// `linux/amd64` ...
    pub platform: String,
    /// Whether the binary starts in this image (no problems).
    pub runs: bool,
    /// Why it does not.
    pub problems: Vec<Problem>,
    /// The libraries it names for `dlopen` (`.note.dlopen`, constant
    /// strings) that will not load there, once it runs: warnings of the
    /// `--image` check, not part of `images[]`.
    #[serde(skip)]
    #[schemars(skip)]
    pub dlopen_failures: Vec<loader::DlopenFailure>,
}

impl ImageVerdict {
    /// dlcheck has no data on this image for the platform (or on a part of
    /// it that may hold what is missing).
    pub fn no_data(&self) -> bool {
        self.problems
            .iter()
            .any(|p| matches!(p.kind, ProblemKind::NoData { .. }))
    }
}

/// The libraries shipped beside a binary (see [`Shipped`]), by normalised
/// path: what a set of binaries brings along.
pub type ShippedFiles = std::collections::HashMap<String, loader::ShippedLibrary>;

/// What the loader meets besides the image when the binary starts: the
/// libraries shipped beside it and the directories of `LD_LIBRARY_PATH`
/// (split at `:`), searched before the cache and the default directories.
#[derive(Debug, Clone, Copy)]
pub struct Around<'a> {
    /// The libraries shipped beside it, found where they lie.
    pub shipped: &'a ShippedFiles,
    /// `LD_LIBRARY_PATH`'s directories, in order.
    pub ld_library_path: &'a [String],
}

/// A library a binary finds among the files shipped beside it: its
/// DT_NEEDED name and the path it is found at.
pub type ShippedUse = (String, String);

/// Judge the binary (at `path`, where `$ORIGIN` points) against every
/// image of the catalog, for its own platform or for `platform`
/// (`linux/arm64`) when given, in generation then size order, with what
/// is `around` it. Also returns the shipped libraries it finds, sorted.
pub fn judge_all(
    binary: &Binary,
    path: &str,
    catalog: &'static Catalog,
    platform: Option<&str>,
    around: Around<'_>,
) -> (Vec<ImageVerdict>, Vec<ShippedUse>) {
    let mut uses = Vec::new();
    let mut verdicts: Vec<ImageVerdict> = catalog
        .images
        .iter()
        .map(|image| judge(binary, path, catalog, image, platform, around, &mut uses))
        .collect();
    suggest_smallest(binary, &mut verdicts);
    uses.sort();
    uses.dedup();
    (verdicts, uses)
}

/// The simplest fix for an image that lacks a loader, a library or a
/// version is the smallest image that has all of them: of the same
/// generation, else of the nearest newer one.
fn suggest_smallest(binary: &Binary, verdicts: &mut [ImageVerdict]) {
    let facts = &binary.elf;
    let best: Vec<Option<String>> = verdicts
        .iter()
        .map(|v| {
            catalog::this_and_newer(&v.generation)
                .find_map(|g| verdicts.iter().find(|w| w.generation == g && w.runs))
                .map(|w| w.image.clone())
        })
        .collect();
    for (v, best) in verdicts.iter_mut().zip(best) {
        let Some(best) = best else { continue };
        for p in &mut v.problems {
            let replace = match &p.kind {
                ProblemKind::InterpreterMissing { musl, .. } => !musl,
                ProblemKind::NoLoader { .. } => true,
                ProblemKind::LibraryMissing { .. } => facts.libc != Libc::Musl,
                ProblemKind::RuntimeLibraryMissing { .. } | ProblemKind::VersionMissing { .. } => true,
                _ => false,
            };
            if replace && oci_arch(&facts.machine) != "386" {
                let also = if matches!(p.kind, ProblemKind::VersionMissing { .. }) {
                    format!(", or build on {} tools", v.generation)
                } else {
                    String::new()
                };
                p.fix = format!("FROM {best}{also}{}", static_alternative(binary, &p.kind));
                p.remedy = Remedy::Image(best.clone());
            }
        }
    }
}

/// Judge the binary against one image of the catalog (a language image
/// too), for `platform` (the binary's own when `None`), with what is
/// `around` it; the shipped
/// libraries it finds are added to `uses`.
pub fn judge(
    binary: &Binary,
    path: &str,
    catalog: &'static Catalog,
    image: &'static Image,
    platform: Option<&str>,
    around: Around<'_>,
    uses: &mut Vec<ShippedUse>,
) -> ImageVerdict {
    let Around {
        shipped,
        ld_library_path,
    } = around;
    let native = binary.elf.meets_platform();
    let platform = platform.unwrap_or(&native).to_string();
    let mut dlopen_failures = Vec::new();
    let problem = platform_problem(binary, image, &platform, &native);
    // The image's platform as distroless publishes it (`linux/arm/v7`).
    let shown = match &problem {
        Some(p) if matches!(p.kind, ProblemKind::WrongArchitecture { .. }) => platform.clone(),
        _ => catalog::published_as(&platform),
    };
    let problems = match problem {
        Some(p) => vec![p],
        None if binary.is_static() => Vec::new(),
        None => {
            let arch = oci_arch(&binary.elf.machine);
            let base = ImageRoot::new(catalog, image, arch);
            let root = Shipped::new(&base, shipped);
            let glibc = image.glibc_version.and_then(loader::parse_release);
            let env = Env {
                arch,
                ld_library_path,
                glibc,
            };
            let walk = loader::load(&root, path, binary.object.clone(), &env);
            uses.extend(
                walk.libraries()
                    .iter()
                    .filter_map(|l| Some((l.name.clone(), root.ships(&l.path)?.path.clone()))),
            );
            dlopen_failures = dlopen_names(binary)
                .filter_map(|name| loader::dlopen_failure(&root, &walk, name, &env))
                .collect();
            let c = Context {
                binary,
                catalog,
                image,
                arch,
                ld_library_path,
            };
            unread_parts(image, arch, c.linkage_problems(&root, &walk))
        }
    };
    ImageVerdict {
        image: image.reference.to_string(),
        variant: image.variant.to_string(),
        generation: image.generation.to_string(),
        platform: shown,
        runs: problems.is_empty(),
        problems,
        dlopen_failures,
    }
}

/// The libraries a program names for `dlopen`: its `.note.dlopen`, then
/// the library names among its strings, each once.
pub fn dlopen_names(binary: &Binary) -> impl Iterator<Item = &str> {
    let note = &binary.elf.dlopen_note;
    note.iter()
        .chain(binary.elf.dlopen_names.iter().filter(move |n| !note.contains(n)))
        .map(String::as_str)
}

/// In an image with parts dlcheck has not read (the JRE of a java image),
/// a library missing from the parts it has read may be in those: that is no
/// data, not a crash.
fn unread_parts(image: &Image, arch: &str, problems: Vec<Problem>) -> Vec<Problem> {
    let unread: Vec<&str> = image.arch(arch).into_iter().flat_map(|a| a.unread.iter()).collect();
    if unread.is_empty() {
        return problems;
    }
    problems
        .into_iter()
        .map(|p| match &p.kind {
            ProblemKind::LibraryMissing { soname, .. } => Problem::with(
                ProblemKind::NoData {
                    platform: catalog::platform_of(arch),
                },
                String::new(),
                format!(
                    "{soname} is not in the Debian packages of {}; the image also holds {}, which dlcheck has not read: it may provide {soname}",
                    image.short_name(),
                    unread.join("; ")
                ),
                format!(
                    "check the binary in the image itself (docker save the image, then: dlcheck IMAGE.tar), or ship {soname} beside it (DT_RUNPATH $ORIGIN)"
                ),
            ),
            _ => p,
        })
        .collect()
}

/// What stops the binary before any loader runs: another architecture or
/// OS, a 32-bit x86 program on an image without 32-bit libraries, a
/// platform distroless does not publish the image for, or one dlcheck has
/// no data for.
fn platform_problem(binary: &Binary, image: &Image, platform: &str, native: &str) -> Option<Problem> {
    let facts = &binary.elf;
    let arch = oci_arch(&facts.machine);
    let own = facts.platform();
    let name = image.short_name();
    if catalog::arch_of(platform) != catalog::arch_of(native) && facts.os == "linux" {
        let want = catalog::arch_of(platform).unwrap_or_default();
        return Some(
            Problem::with(
                ProblemKind::WrongArchitecture {
                    built_for: own.clone(),
                    image: platform.to_string(),
                },
                exec_failed(PROGRAM, ExecFailure::Format),
                format!("built for {own}, but the image is {platform}"),
                format!("rebuild for {platform} (Go: GOARCH={want}; C: a cross compiler for {want})"),
            )
            .remedy(Remedy::Rebuild),
        );
    }
    if facts.os != "linux" {
        return Some(
            Problem::with(
                ProblemKind::WrongOs { os: facts.os.clone() },
                exec_failed(PROGRAM, ExecFailure::Format),
                format!("built for {}, not Linux: rebuild for linux/{arch}", facts.os),
                format!("rebuild for linux/{arch} (Go: GOOS=linux GOARCH={arch})"),
            )
            .remedy(Remedy::Rebuild),
        );
    }
    if arch == "386" {
        let interp = facts.interpreter.clone()?;
        return Some(Problem::with(
            ProblemKind::InterpreterMissing {
                interpreter: interp.clone(),
                musl: false,
            },
            exec_failed(PROGRAM, ExecFailure::NoSuchFile),
            format!(
                "a 32-bit x86 program: amd64 images run it through the kernel's IA32 emulation, but {name} has no 32-bit loader {interp} or 32-bit libraries: the kernel reports \"no such file or directory\" for the program, which is there"
            ),
            "rebuild as a 64-bit program (drop -m32; Go: GOARCH=amd64)".to_string(),
        )
        .remedy(Remedy::Rebuild));
    }
    if !image.published_for(arch) {
        let published = image.published_platforms();
        return Some(
            Problem::with(
                ProblemKind::UnsupportedPlatform {
                    platform: format!("linux/{arch}"),
                },
                format!("no matching manifest for linux/{arch} in the manifest list entries"),
                format!("distroless publishes no {name} image for linux/{arch}"),
                format!("rebuild for one of {}", published.join(", ")),
            )
            .remedy(Remedy::Rebuild),
        );
    }
    if !binary.is_static() && image.arch(arch).is_none() {
        return Some(no_data(image, arch));
    }
    None
}

/// dlcheck has no data on `image` for `arch`, though distroless publishes
/// it: say why, and what is known instead.
fn no_data(image: &Image, arch: &str) -> Problem {
    let platform = catalog::platform_of(arch);
    let known: Vec<String> = image.arch.iter().map(|a| catalog::platform_of(a.arch)).collect();
    let why = image.no_data(arch).unwrap_or("its packages were not read");
    let known = if known.is_empty() {
        "no platform".to_string()
    } else {
        known.join(", ")
    };
    Problem::with(
        ProblemKind::NoData { platform: platform.clone() },
        String::new(),
        format!(
            "dlcheck has no data on {} for {platform}: {why}; it has data for {known}",
            image.short_name()
        ),
        "check the binary in the image itself (docker save the image, then: dlcheck IMAGE.tar), or refresh dlcheck's data (python3 scripts/gen-images.py refresh)".to_string(),
    )
}

/// What a problem's words are made from.
struct Context<'a> {
    binary: &'a Binary,
    catalog: &'static Catalog,
    image: &'static Image,
    arch: &'a str,
    /// `LD_LIBRARY_PATH`'s directories.
    ld_library_path: &'a [String],
}

impl Context<'_> {
    /// The loader's problems, in the order the kernel and the loader meet
    /// them: the interpreter, each missing library, each library's missing
    /// versions, the libraries glibc loads at run time.
    fn linkage_problems(&self, root: &dyn Root, walk: &Walk) -> Vec<Problem> {
        let mut problems = Vec::new();
        problems.extend(self.interpreter_problem(root));
        problems.extend(self.no_loader());
        for event in &walk.events {
            if let Event::Missing(m) = event {
                let needed_by = (m.needed_by != 0).then(|| walk.objects[m.needed_by].name.clone());
                problems.push(self.library_missing(&m.name, needed_by));
            }
        }
        problems.extend(self.version_problems(walk));
        let env = Env {
            arch: self.arch,
            ld_library_path: self.ld_library_path,
            glibc: self.image.glibc_version.and_then(loader::parse_release),
        };
        for load in &self.binary.elf.runtime_loads {
            if loader::find_dlopen(root, &load.library, &env).is_none() {
                problems.push(self.runtime_library_missing(&load.library, &load.functions, &load.reason()));
            }
        }
        problems
    }

    /// One `version_missing` problem per library that lacks versions, in
    /// library name order; the message has a line per missing version, in
    /// the order the loader checks them.
    fn version_problems(&self, walk: &Walk) -> Vec<Problem> {
        let mut by_library: BTreeMap<&str, Vec<&loader::MissingVersion>> = BTreeMap::new();
        for m in &walk.missing_versions {
            by_library.entry(&walk.objects[m.library].name).or_default().push(m);
        }
        by_library
            .into_iter()
            .map(|(lib, missing)| self.version_missing(walk, lib, &missing))
            .collect()
    }

    fn version_missing(&self, walk: &Walk, lib: &str, missing: &[&loader::MissingVersion]) -> Problem {
        let generation = self.image.generation;
        let mut versions: Vec<String> = missing.iter().map(|m| m.version.clone()).collect();
        versions.sort_by(|a, b| version_cmp(a, b).then_with(|| a.cmp(b)));
        versions.dedup();
        let defs = &walk.objects[missing[0].library].object.verdefs;
        let family = versions[0].split('_').next().unwrap_or_default();
        let newest = defs
            .iter()
            .filter(|d| d.starts_with(family) && d.as_bytes().get(family.len()) == Some(&b'_'))
            .filter(|d| d[family.len() + 1..].starts_with(|c: char| c.is_ascii_digit()))
            .max_by(|a, b| version_cmp(a, b));
        let mut explanation = format!("{lib} in {} lacks {}", self.image.short_name(), versions.join(", "));
        if let Some(newest) = newest {
            explanation.push_str(&format!(" (it defines up to {newest})"));
        }
        let shown = |i: usize| if i == 0 { PROGRAM } else { walk.objects[i].path.as_str() };
        let message = missing
            .iter()
            .map(|m| {
                format!(
                    "{PROGRAM}: {}: version `{}' not found (required by {})",
                    shown(m.library),
                    m.version,
                    shown(m.requirer)
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        let symbols = missing
            .iter()
            .filter(|m| m.requirer == 0)
            .flat_map(|m| {
                let names = self.binary.version_symbols.get(&(lib.to_string(), m.version.clone()));
                names
                    .into_iter()
                    .flatten()
                    .map(move |n| format!("{}@{}", crate::elf::demangle(n), m.version))
            })
            .collect();
        // The same image of a newer generation, if one has every version.
        let newer = catalog::newer_than(generation).find(|g| {
            self.catalog
                .library(g, self.arch, lib)
                .is_some_and(|l| versions.iter().all(|v| l.verdefs.contains(v)))
        });
        let (fix, remedy) = match newer {
            Some(g) => {
                let image = format!("gcr.io/distroless/{}-{g}", self.image.variant);
                (
                    format!("FROM {image}, or build on {generation} tools"),
                    Remedy::Image(image),
                )
            }
            None => (
                format!(
                    "build on {generation} tools ({}) so that it needs only versions {generation} has",
                    builder(self.binary, generation)
                ),
                Remedy::BuildOn,
            ),
        };
        Problem {
            kind: ProblemKind::VersionMissing {
                library: lib.to_string(),
                versions,
            },
            message,
            explanation,
            symbols,
            fix,
            remedy,
        }
    }

    fn interpreter_problem(&self, root: &dyn Root) -> Option<Problem> {
        let interp = self.binary.elf.interpreter.as_ref()?;
        if root.interpreter(interp).is_some() {
            return None;
        }
        let contents = self.image.arch(self.arch)?;
        let name = self.image.short_name();
        let why = if contents.loaders.is_empty() {
            format!("{name} has no dynamic loader at all")
        } else if interp.contains("ld-musl") {
            format!(
                "that is musl's loader; {name} has only glibc's {}",
                contents.standard_interpreter
            )
        } else {
            format!("{name} has only {}", contents.standard_interpreter)
        };
        let (fix, remedy) = if self.binary.uses_musl() {
            (self.musl_fix(), Remedy::Static)
        } else if let Some(h) = self.catalog.loader_holder(self.image.generation, self.arch, interp) {
            (format!("FROM {}", h.reference), Remedy::Image(h.reference.to_string()))
        } else if interp.starts_with("/nix/store/") {
            (
                format!(
                    "built by Nix, for Nix's glibc: point it at the standard loader with patchelf --set-interpreter {} --remove-rpath",
                    contents.standard_interpreter
                ),
                Remedy::Interpreter,
            )
        } else {
            (
                format!(
                    "built for another system's loader: point it at the standard loader with patchelf --set-interpreter {}",
                    contents.standard_interpreter
                ),
                Remedy::Interpreter,
            )
        };
        Some(Problem::with(
            ProblemKind::InterpreterMissing {
                interpreter: interp.clone(),
                musl: self.binary.uses_musl(),
            },
            exec_failed(PROGRAM, ExecFailure::NoSuchFile),
            format!(
                "PT_INTERP {interp} is not in the image ({why}): the kernel cannot start the loader and reports \"no such file or directory\" for the program, which is there"
            ),
            fix,
        )
        .remedy(remedy))
    }

    /// A shared library is loaded by a dynamic program's loader: an image
    /// without one cannot load it, whatever it needs.
    fn no_loader(&self) -> Option<Problem> {
        let contents = self.image.arch(self.arch)?;
        if self.binary.elf.kind != Kind::SharedLibrary || !contents.loaders.is_empty() {
            return None;
        }
        let holder = self.catalog.images.iter().find(|i| {
            i.generation == self.image.generation && i.arch(self.arch).is_some_and(|a| !a.loaders.is_empty())
        })?;
        Some(
            Problem::with(
                ProblemKind::NoLoader {
                    image: self.image.reference.to_string(),
                },
                exec_failed(PROGRAM, ExecFailure::NoSuchFile),
                format!(
                    "{} has no dynamic loader, so no program there can load a shared library",
                    self.image.short_name()
                ),
                format!("FROM {}", holder.reference),
            )
            .remedy(Remedy::Image(holder.reference.to_string())),
        )
    }

    fn library_missing(&self, soname: &str, needed_by: Option<String>) -> Problem {
        let facts = &self.binary.elf;
        let name = self.image.short_name();
        let mut explanation = match &needed_by {
            None => format!("needs {soname}, which {name} does not have"),
            Some(parent) => format!("{parent} needs {soname}, which {name} does not have"),
        };
        let holders: Vec<&str> = self
            .catalog
            .holders(self.image.generation, self.arch, soname)
            .map(|i| i.variant)
            .collect();
        match holders.as_slice() {
            [] => explanation.push_str(&format!(" (no {} image has it)", self.image.generation)),
            [one] => explanation.push_str(&format!(" (only {one} has it)")),
            [first, ..] => explanation.push_str(&format!(" ({first} and larger have it)")),
        }
        if needed_by.is_none() && (facts.runpath.is_some() || facts.rpath.is_some()) {
            explanation.push_str("; unless you ship it in a directory of the binary's RUNPATH/RPATH");
        }
        let dir = format!("/usr/lib/{}", loader::multiarch_triplet(self.arch));
        let (fix, remedy) = if facts.libc == Libc::Musl {
            (self.musl_fix(), Remedy::Static)
        } else if let Some(h) = self.holder(soname) {
            (format!("FROM {h}"), Remedy::Image(h.to_string()))
        } else if soname.starts_with("libssl.so.1") || soname.starts_with("libcrypto.so.1") {
            (
                format!(
                    "rebuild against OpenSSL 3 (libssl.so.3 is in gcr.io/distroless/base-debian12 and later), or COPY --from=build {dir}/{soname} {dir}/"
                ),
                Remedy::Library,
            )
        } else {
            (
                format!(
                    "COPY --from=build {dir}/{soname} {dir}/ (and the libraries it needs in turn), or link {soname} statically"
                ),
                Remedy::Library,
            )
        };
        Problem::with(
            ProblemKind::LibraryMissing {
                soname: soname.to_string(),
                needed_by,
            },
            format!(
                "{PROGRAM}: error while loading shared libraries: {soname}: cannot open shared object file: No such file or directory"
            ),
            explanation,
            fix,
        )
        .remedy(remedy)
    }

    fn runtime_library_missing(&self, soname: &str, functions: &[&'static str], reason: &str) -> Problem {
        let function = if functions.contains(&"pthread_exit") {
            "pthread_exit"
        } else {
            "pthread_cancel"
        };
        let (fix, remedy) = match self.holder(soname) {
            Some(h) => (format!("FROM {h}"), Remedy::Image(h.to_string())),
            None => (format!("COPY {soname} into the image"), Remedy::Library),
        };
        Problem::with(
            ProblemKind::RuntimeLibraryMissing {
                soname: soname.to_string(),
                functions: functions.to_vec(),
            },
            format!("{soname} must be installed for {function} to work"),
            format!("{reason}, and {} does not have {soname}", self.image.short_name()),
            fix,
        )
        .remedy(remedy)
    }

    /// The smallest image of this generation that has `soname`.
    fn holder(&self, soname: &str) -> Option<&'static str> {
        self.catalog
            .holders(self.image.generation, self.arch, soname)
            .next()
            .map(|i| i.reference)
    }

    /// The fix for a musl program: link it statically.
    fn musl_fix(&self) -> String {
        format!(
            "link statically against musl (musl-gcc -static; Rust: --target {}-unknown-linux-musl) and use gcr.io/distroless/static-{}",
            self.binary.elf.machine, self.image.generation
        )
    }
}

/// The build environment to name for `generation`: the builder image of
/// the binary's language (`golang:1.24-bullseye`), or a build image of
/// that generation.
pub fn builder(binary: &Binary, generation: &str) -> String {
    match catalog::builder(binary.language().key(), generation) {
        Some(image) => format!("for example {image}"),
        None => format!("for example a {generation} build image"),
    }
}

/// A rebuild that removes the need for a C/C++ runtime library instead of
/// moving to the image that has it: Rust's static C runtime, or GCC's static
/// libstdc++ and libgcc.
fn static_alternative(binary: &Binary, kind: &ProblemKind) -> String {
    let facts = &binary.elf;
    let lib = match kind {
        ProblemKind::LibraryMissing { soname, .. } => soname.as_str(),
        ProblemKind::InterpreterMissing { .. } => "",
        _ => return String::new(),
    };
    let rust = facts.comment.iter().any(|c| c.starts_with("rustc version"));
    if rust {
        format!(
            ", or build it static: RUSTFLAGS='-C target-feature=+crt-static' (glibc) or --target {}-unknown-linux-musl, for gcr.io/distroless/static",
            facts.machine
        )
    } else if matches!(lib, "libstdc++.so.6" | "libgcc_s.so.1") {
        ", or link with -static-libstdc++ -static-libgcc to need only libc (base-nossl)".to_string()
    } else {
        String::new()
    }
}
