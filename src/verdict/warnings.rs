//! Things worth knowing that do not change the verdict: why a newer glibc
//! is needed, a frozen generation, cgo and how to remove it, `dlopen`, and
//! NSS in a static glibc program.

use serde::Serialize;

use super::judge::ImageVerdict;
use super::problem::ProblemKind;
use super::recommend::{Recommendation, largest};
use crate::binary::{Binary, StaticNss};
use crate::catalog::Catalog;
use crate::elf::{ElfFacts, Kind, Linkage};
use crate::go::{CGO_ONLY_MODULES, GoFacts};

/// What a warning is about: the JSON `kind` and the rule id a CI gate
/// reports it under (`--fail-on warning` gates on every kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// The recommended generation is no longer built or patched.
    FrozenGeneration,
    /// Why newer symbol versions are needed, and the build environment.
    NewerVersions,
    /// cgo is linked in (or a race-detector build needs it).
    Cgo,
    /// A module that needs cgo, built without it.
    CgoOnlyModule,
    /// Libraries loaded with `dlopen`, which DT_NEEDED does not show.
    Dlopen,
    /// A library the program names for `dlopen` that will not load in the
    /// image (not there; or glibc refuses it).
    DlopenFails,
    /// Static glibc that loads NSS modules at run time.
    StaticNss,
    /// A host CPU level the program needs.
    CpuLevel,
    /// A shell run at run time.
    Shell,
    /// A library that needs an executable stack.
    ExecutableStack,
    /// A library found beside the program (DT_RUNPATH/DT_RPATH).
    ShippedLibrary,
    /// An image name without a generation, which moves.
    FloatingTag,
    /// Where to find a shell for debugging.
    DebugShell,
    /// A file the program reads that scratch lacks.
    ScratchMissingFile,
    /// A path that also reads as an image reference (`myapp:dev`).
    AmbiguousReference,
    /// An image named by digest: judged as dlcheck's data describes the
    /// name, which that build may predate or follow.
    DigestPin,
    /// A part of a language image dlcheck has not read (the JRE of java).
    UnreadPart,
}

/// Something worth knowing that does not change the verdict (JSON
/// `warnings[]`: `{kind, message}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Warning {
    /// What it is about.
    pub kind: WarningKind,
    /// One line for people.
    pub message: String,
}

impl Warning {
    /// A warning of `kind`.
    pub fn new(kind: WarningKind, message: String) -> Warning {
        Warning { kind, message }
    }
}

/// A warning that explains why the binary needs newer symbol versions than
/// the `target` generation has: the well-known cause of the first such
/// version (in DT_VERNEED order) and the build environment recorded in
/// `.comment`.
pub fn version(binary: &Binary, verdicts: &[ImageVerdict], target: &str) -> Option<String> {
    let (lib, versions) = largest(verdicts, target)?.problems.iter().find_map(|p| match &p.kind {
        ProblemKind::VersionMissing { library, versions } => Some((library, versions)),
        _ => None,
    })?;
    let first = binary
        .object
        .version_needs
        .iter()
        .find(|n| n.file == *lib && versions.contains(&n.version))?;
    let first = first.version.as_str();
    let mut out = format!("needs {first} from {lib}, which {target} lacks");
    if let Some(cause) = version_cause(first) {
        out.push_str(&format!(": {cause}"));
    }
    match built_on(binary, target) {
        Some(b) => out.push_str(&format!("; built with {b}")),
        None => out.push_str(&format!(
            "; build it on the runtime's generation ({} for {target})",
            super::judge::builder(binary, target)
        )),
    }
    Some(out)
}

/// The well-known reason a version is needed.
fn version_cause(version: &str) -> Option<&'static str> {
    match version {
        "GLIBC_2.34" => Some(
            "glibc 2.34 merged libpthread, libdl and librt into libc, so programs built on glibc 2.34 or later need GLIBC_2.34 (__libc_start_main, pthread_create, dlopen ...)",
        ),
        "GLIBC_2.38" => Some("glibc 2.38's headers redirect strtol, sscanf and friends to the C23 __isoc23_* symbols"),
        v if v.starts_with("GLIBCXX_") || v.starts_with("CXXABI_") => Some(
            "a newer GCC's libstdc++ raises GLIBCXX/CXXABI; build with the runtime's GCC or link -static-libstdc++ -static-libgcc",
        ),
        v if v.starts_with("GLIBC_") => Some("the binary was built against a newer glibc than the image has"),
        _ => None,
    }
}

/// The build environment, from `.comment`: `Debian 12 tools (GCC: (Debian
/// 12.2.0-14) 12.2.0)` and what follows from it, with the build image of
/// the binary's language for the `target` generation. Debian's GCC majors:
/// 8 in buster, 10 in bullseye, 12 in bookworm, 14 in trixie.
pub fn built_on(binary: &Binary, target: &str) -> Option<String> {
    let example = super::judge::builder(binary, target);
    binary.elf.comment.iter().find_map(|c| {
        let gcc = c.strip_prefix("GCC: (Debian ")?;
        let major: u32 = gcc.split('.').next()?.parse().ok()?;
        let debian = match major {
            8 => "10",
            10 => "11",
            12 => "12",
            14 => "13",
            _ => return Some(format!("Debian tools ({c})")),
        };
        Some(format!("Debian {debian} tools ({c}): it needs debian{debian} or later, or a build on the runtime's generation ({example} for {target})"))
    })
}

/// Warnings about a Go binary: why cgo got in and how to remove it (with
/// the image that fits afterwards), and a cgo-only module built without
/// cgo.
pub fn go(go: &GoFacts, facts: &ElfFacts, rec: Option<&Recommendation>, target: &str) -> Vec<Warning> {
    let mut out = Vec::new();
    let static_image = format!("gcr.io/distroless/static-{target}");
    if go.cgo {
        let std_pkgs: Vec<&str> = go
            .cgo_packages
            .iter()
            .map(String::as_str)
            .filter(|p| matches!(*p, "net" | "os/user"))
            .collect();
        let own: Vec<&str> = go
            .cgo_packages
            .iter()
            .map(String::as_str)
            .filter(|p| !matches!(*p, "net" | "os/user"))
            .collect();
        let mut why: Vec<String> = std_pkgs
            .iter()
            .map(|p| match *p {
                "net" => "net (its cgo DNS resolver, net._C2func_getaddrinfo)".to_string(),
                _ => "os/user (its cgo user and group lookups)".to_string(),
            })
            .collect();
        why.extend(own.iter().map(|p| format!("{p} (import \"C\")")));
        let pulled = if why.is_empty() {
            String::new()
        } else {
            format!(", pulled in by {}", why.join(" and "))
        };
        let is_static = matches!(facts.linkage, Linkage::Static | Linkage::StaticPie);
        let race = go.settings.get("-race").is_some_and(|v| v == "true");
        if race {
            // Go refuses -race without cgo ("-race requires cgo"): telling
            // it to build with CGO_ENABLED=0 cannot work.
            out.push(Warning::new(WarningKind::Cgo, format!(
                "a race-detector build (-race), which needs cgo, so it needs glibc's loader and libc{}; a build without -race can drop cgo (CGO_ENABLED=0) and run on {static_image}",
                rec.map(|r| format!(": use {}", r.image)).unwrap_or_default()
            )));
            return out;
        }
        let fix = if own.is_empty() && !std_pkgs.is_empty() {
            format!(
                "build with CGO_ENABLED=0 (or -tags netgo,osusergo) for Go's pure resolver and user lookups, and it runs on {static_image}"
            )
        } else if own.is_empty() {
            format!("build with CGO_ENABLED=0 and it runs on {static_image}")
        } else if std_pkgs.is_empty() {
            format!(
                "{} needs its C code, so keep cgo{}",
                own.join(", "),
                rec.map(|r| format!(" and {}", r.image)).unwrap_or_default()
            )
        } else {
            format!(
                "-tags netgo,osusergo removes the cgo of {}, but {} needs its C code, so keep cgo{}",
                std_pkgs.join(" and "),
                own.join(", "),
                rec.map(|r| format!(" and {}", r.image)).unwrap_or_default()
            )
        };
        let message = if is_static {
            format!(
                "cgo is linked in statically{pulled}: it needs no loader, but C code in a static Go binary is fragile; {fix}"
            )
        } else {
            format!("cgo is linked in{pulled}, so it needs glibc's loader and libc and cannot run on static: {fix}")
        };
        out.push(Warning::new(WarningKind::Cgo, message));
    }
    if go.cgo_enabled_setting.as_deref() == Some("0") {
        for m in go.deps.iter().filter(|d| CGO_ONLY_MODULES.contains(&d.path.as_str())) {
            out.push(Warning::new(WarningKind::CgoOnlyModule, format!(
                "{} needs cgo, but this binary was built with CGO_ENABLED=0: it contains the module's stub, which fails at first use; build with CGO_ENABLED=1 (then it needs base-nossl or larger)",
                m.path
            )));
        }
    }
    out
}

/// When the recommended image's generation is no longer built: which
/// maintained image to move to, or that none runs the binary.
pub fn frozen(rec: Option<&Recommendation>, verdicts: &[ImageVerdict], catalog: &Catalog) -> Option<String> {
    let rec = rec?;
    let generation = catalog.generation(&rec.generation).filter(|g| !g.supported)?;
    let since = generation.removed_date.unwrap_or("unknown");
    let maintained = verdicts
        .iter()
        .find(|v| v.runs && catalog.generation(&v.generation).is_some_and(|g| g.supported));
    Some(match maintained {
        Some(v) => format!(
            "{} images are no longer built or patched (frozen since {since}): prefer {}",
            rec.generation, v.image
        ),
        None => format!(
            "{} images are no longer built or patched (frozen since {since}), and no maintained image runs this binary",
            rec.generation
        ),
    })
}

/// A program that loads libraries at run time: DT_NEEDED does not list
/// them.
pub fn dlopen(facts: &ElfFacts) -> Option<String> {
    if !facts.imports_dlopen && facts.dlopen_note.is_empty() {
        return None;
    }
    let strings: Vec<&str> = facts
        .dlopen_names
        .iter()
        .filter(|n| !facts.dlopen_note.contains(n))
        .map(String::as_str)
        .collect();
    let names = match (facts.dlopen_note.is_empty(), strings.is_empty()) {
        (true, true) => String::new(),
        (false, true) => format!(" (its .note.dlopen names {})", facts.dlopen_note.join(", ")),
        (true, false) => format!(" (library names among its strings: {})", strings.join(", ")),
        (false, false) => format!(
            " (its .note.dlopen names {}; library names among its strings: {})",
            facts.dlopen_note.join(", "),
            strings.join(", ")
        ),
    };
    Some(format!(
        "loads libraries at run time with dlopen{names}: DT_NEEDED does not list them, so make sure the image has them"
    ))
}

/// A statically linked glibc program that uses NSS.
pub fn static_nss(nss: &StaticNss) -> String {
    let what = match nss {
        StaticNss::Calls(functions) => functions.join(", "),
        StaticNss::ModuleLoader => "the NSS module loader (libnss_)".to_string(),
    };
    format!(
        "statically linked glibc that calls {what}: at run time glibc still loads libnss_*.so.2 of the exact glibc version it was built with; on static (and other images with a different glibc) user, group and host lookups fail silently. Use Go's pure resolver (CGO_ENABLED=0 or -tags netgo,osusergo), musl, or dynamic linking on base-nossl"
    )
}

/// The CPU the host must have: the x86-64 ISA level of the GNU property
/// note (glibc 2.33 and later check it at start; debian11's glibc 2.31 does
/// not), Go's GOAMD64 (its runtime checks at start), GOARM64 and GOARM.
/// Real runs under `qemu-x86_64 -cpu qemu64` print the quoted messages.
pub fn cpu(binary: &Binary) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(level) = binary.elf.isa_needed {
        out.push(format!(
            "needs a CPU with {level} (its GNU property note): glibc 2.33 and later (debian12, debian13) refuse to start it on an older host CPU, printing \"/app: CPU ISA level is lower than required\" (exit 127); debian11's loader does not check, and it dies at its first newer instruction instead"
        ));
    }
    let settings = binary.go.as_ref().map(|g| &g.settings);
    let setting = |k: &str| settings.and_then(|s| s.get(k)).map(String::as_str);
    if let Some(v) = setting("GOAMD64").filter(|v| *v != "v1") {
        out.push(format!(
            "built with GOAMD64={v}: on a host CPU without x86-64-{v} it exits at once, printing \"This program can only be run on AMD64 processors with {v} microarchitecture support.\""
        ));
    }
    if let Some(v) = setting("GOARM64").filter(|v| *v != "v8.0") {
        out.push(format!(
            "built with GOARM64={v}: on an older arm64 host CPU it dies with SIGILL (illegal instruction)"
        ));
    }
    if let Some(v) = setting("GOARM").filter(|v| !v.starts_with('5')) {
        out.push(format!(
            "built with GOARM={v}: on an ARM host CPU without the VFP floating point it needs, the Go runtime exits at start"
        ));
    }
    out
}

/// A program that runs a shell: it starts, then the call fails.
pub fn shell(facts: &ElfFacts) -> Option<String> {
    if facts.shell_calls.is_empty() {
        return None;
    }
    Some(format!(
        "runs a shell at run time ({}): no distroless image has /bin/sh, so that call fails once the program is running (system() returns 127, popen() returns NULL; Go's os/exec returns \"fork/exec /bin/sh: no such file or directory\"); start the command directly (exec, no shell), or use a :debug image, whose shell is /busybox/sh",
        facts.shell_calls.join(", ")
    ))
}

/// A shared library that needs an executable stack: glibc 2.41 (debian13)
/// refuses to `dlopen` it.
pub fn executable_stack(facts: &ElfFacts) -> Option<String> {
    if facts.kind != Kind::SharedLibrary || !facts.executable_stack {
        return None;
    }
    let why = match facts.gnu_stack {
        Some(_) => "its PT_GNU_STACK is RWX",
        None => "it has no PT_GNU_STACK",
    };
    Some(format!(
        "needs an executable stack ({why}): glibc 2.41 (debian13) refuses to dlopen it (\"cannot enable executable stack as shared object requires: Invalid argument\"); loaded through DT_NEEDED, it still loads. Relink it with -Wl,-z,noexecstack"
    ))
}
