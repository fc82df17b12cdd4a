//! Will a built image start? The container runtime's and the kernel's
//! steps, replayed against the image's own files (never the host's):
//! runc's user lookup and `exec.LookPath`, the kernel's `execve` (scripts'
//! `#!` interpreter, PT_INTERP), and glibc's loader (DT_RPATH,
//! LD_LIBRARY_PATH, DT_RUNPATH with `$ORIGIN`, `/etc/ld.so.cache`, the
//! default directories; each library's own DT_NEEDED; each needed version
//! against the actual library file's version definitions).

use std::collections::{BTreeSet, VecDeque};

use serde::Serialize;

use crate::elf::{ElfFile, oci_arch};
use crate::format::{self, Format};
use crate::image::{Config, Image, Node};
use crate::recommend::Problem;
use crate::{Options, Report};

/// The JSON `image` object of a report.
#[derive(Debug, Clone, Serialize)]
pub struct ImageReport {
    /// `docker-archive`, `oci-archive`, `oci-layout` or `rootfs`.
    pub format: &'static str,
    /// The image's name as recorded in the archive, or `null`.
    pub reference: Option<String>,
    /// The platform judged.
    pub platform: String,
    /// Every platform the image offers.
    pub platforms: Vec<String>,
    /// The configuration that decides how it starts.
    pub config: Config,
    /// The distroless image it is built on, when it is one.
    pub base: Option<Base>,
    /// How the command was found: one line per step.
    pub entrypoint_steps: Vec<String>,
    /// Whether the container starts.
    pub starts: bool,
    /// What it prints when it does not: the first failure.
    pub crash: Option<String>,
    /// Every problem found, in the order the runtime, the kernel and the
    /// loader meet them.
    pub problems: Vec<Problem>,
    /// Worth knowing.
    pub warnings: Vec<String>,
    /// The report of the entrypoint binary.
    pub binaries: Vec<Report>,
    /// With `--all`: every ELF program and library in the image, each
    /// checked against the image's files as the loader would load it.
    pub all: Vec<FileCheck>,
}

impl ImageReport {
    /// A report for `image` with nothing found yet.
    fn new(image: &Image, base: Option<Base>) -> ImageReport {
        ImageReport {
            format: image.format,
            reference: image.reference.clone(),
            platform: image.platform.clone(),
            platforms: image.platforms.clone(),
            config: image.config.clone(),
            base,
            entrypoint_steps: Vec::new(),
            starts: false,
            crash: None,
            problems: Vec::new(),
            warnings: Vec::new(),
            binaries: Vec::new(),
            all: Vec::new(),
        }
    }
}

/// One ELF file of the image, checked with `--all`.
#[derive(Debug, Clone, Serialize)]
pub struct FileCheck {
    /// Its path in the image.
    pub path: String,
    /// Whether its loader, libraries and versions are all there.
    pub loads: bool,
    /// What the loader would print first when it does not.
    pub crash: Option<String>,
    /// Its problems.
    pub problems: Vec<Problem>,
}

/// Check every ELF file of the image (`--all`): each program as if it
/// were the entrypoint, each library as the loader would load it.
pub fn check_all(image: &Image, r: &mut ImageReport) -> Result<(), crate::image::ImageError> {
    let mut out = Vec::new();
    image.for_each_elf(&mut |path, bytes| {
        let mut sub = ImageReport::new(image, None);
        let shown = abs(path);
        load(image, &shown, path, bytes, &mut sub);
        out.push(FileCheck {
            path: shown,
            loads: sub.problems.is_empty(),
            crash: sub.problems.first().map(|p| p.message.clone()),
            problems: sub.problems,
        });
    })?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    r.all = out;
    Ok(())
}

/// The distroless base an image is built on.
#[derive(Debug, Clone, Serialize)]
pub struct Base {
    /// `static`, `base-nossl`, `base` or `cc`, from the packages in
    /// `/var/lib/dpkg/status.d/`.
    pub variant: String,
    /// `debian12`, from `VERSION_ID` of `/usr/lib/os-release`.
    pub generation: Option<String>,
    /// The Debian packages recorded in `/var/lib/dpkg/status.d/`.
    pub packages: Vec<String>,
}

/// Glibc's default library directories for an architecture, as the
/// reference data lists them (the images have no `ld.so.conf` processing).
fn default_dirs(arch: &str) -> Vec<String> {
    let triplet = crate::elf::multiarch_triplet(arch);
    vec![
        format!("/lib/{triplet}"),
        format!("/usr/lib/{triplet}"),
        "/lib".into(),
        "/usr/lib".into(),
    ]
}

/// Entries of `/etc/ld.so.cache` (glibc's `glibc-ld.so.cache1.1` format,
/// `elf/cache.c`): soname → path, for this architecture's flag.
fn ld_so_cache(bytes: &[u8], arch: &str) -> Vec<(String, String)> {
    const MAGIC: &[u8] = b"glibc-ld.so.cache1.1";
    let Some(start) = memchr::memmem::find(bytes, MAGIC) else {
        return Vec::new();
    };
    let b = &bytes[start..];
    let u32_at = |o: usize| b.get(o..o + 4).map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]));
    let Some(n) = u32_at(20) else { return Vec::new() };
    let want = match arch {
        "amd64" => Some(0x0300),
        "arm64" => Some(0x0a00),
        _ => None,
    };
    let mut out = Vec::new();
    for i in 0..(n as usize).min(b.len() / 24) {
        let e = 48 + i * 24;
        let (Some(flags), Some(key), Some(value)) = (u32_at(e), u32_at(e + 4), u32_at(e + 8)) else {
            break;
        };
        if want.is_some_and(|w| flags & 0xff00 != w) {
            continue;
        }
        let s = |o: u32| crate::elf::cstr_at(b, o as usize).map(crate::text::from_bytes);
        if let (Some(k), Some(v)) = (s(key), s(value)) {
            out.push((k, v));
        }
    }
    out
}

fn problem(kind: &'static str, message: String, explanation: String, fix: String) -> Problem {
    Problem {
        kind,
        message,
        explanation,
        fix,
        ..Default::default()
    }
}

fn abs(p: &str) -> String {
    format!("/{p}")
}

/// Replay the container's start against `image`, with its configured
/// entrypoint and command.
pub fn check(image: &Image, opts: &Options) -> ImageReport {
    let cfg = &image.config;
    let argv: Vec<String> = if cfg.entrypoint.is_empty() {
        cfg.cmd.clone()
    } else {
        cfg.entrypoint.iter().chain(cfg.cmd.iter()).cloned().collect()
    };
    check_command(image, opts, &argv)
}

/// Replay the start of `argv` in `image`.
pub fn check_command(image: &Image, opts: &Options, argv: &[String]) -> ImageReport {
    let mut r = ImageReport::new(image, identify_base(image));
    if r.platforms.len() > 1 {
        let others: Vec<&str> = r
            .platforms
            .iter()
            .map(String::as_str)
            .filter(|p| *p != r.platform)
            .collect();
        r.warnings.push(format!(
            "judged for {}; the image also offers {}",
            r.platform,
            others.join(", ")
        ));
    }
    let asked = opts.platform.as_deref();
    if let Some(want) = asked.filter(|w| !(r.platform == *w || r.platform.starts_with(&format!("{w}/")))) {
        r.problems.push(problem(
            "wrong_platform",
            format!(
                "docker: Error response from daemon: image was found but does not match the specified platform: wanted {want}, actual: {}",
                r.platform
            ),
            format!("the image is {}, not {want}", r.platform),
            format!("build the image for {want} (docker buildx build --platform {want})"),
        ));
    } else {
        run(image, opts, argv, &mut r);
    }
    r.starts = r.problems.is_empty();
    r.crash = r.problems.first().map(|p| p.message.clone());
    compare_with_data(&mut r);
    r
}

/// When the image is a distroless one, compare what its own files say with
/// what dlcheck's built-in data says about the same image: a difference
/// means the image was changed (files added, removed or replaced).
fn compare_with_data(r: &mut ImageReport) {
    let (Some(base), Some(bin)) = (&r.base, r.binaries.first()) else {
        return;
    };
    let Some(generation) = &base.generation else { return };
    let loader_only = r
        .problems
        .iter()
        .all(|p| matches!(p.kind, "library_missing" | "version_missing" | "interpreter_missing"));
    if !loader_only {
        return;
    }
    let Some(v) = bin
        .images
        .iter()
        .find(|v| v.variant == base.variant && v.generation == *generation && r.platform.starts_with(&v.platform))
    else {
        return;
    };
    if v.runs != r.starts {
        let (data, files) = if v.runs {
            ("runs", "do not")
        } else {
            ("does not run", "do")
        };
        r.warnings.push(format!(
            "dlcheck's data says {} {data} it, but this image's own files {files}: the image differs from the published one (files added, removed or replaced)",
            v.image
        ));
    }
}

fn run(image: &Image, opts: &Options, argv: &[String], r: &mut ImageReport) {
    let cfg = &image.config;
    // The user: a name must be in the image's /etc/passwd; numbers need nothing.
    if !cfg.user.is_empty() {
        let (user, group) = cfg.user.split_once(':').unwrap_or((&cfg.user, ""));
        for (name, file, what) in [(user, "etc/passwd", "user"), (group, "etc/group", "group")] {
            if name.is_empty() || name.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let entries = image
                .resolve(file)
                .ok()
                .flatten()
                .and_then(|(p, _)| image.read(&p).ok())
                .unwrap_or_default();
            let found = String::from_utf8_lossy(&entries)
                .lines()
                .any(|l| l.split(':').next() == Some(name));
            if !found {
                let plural = if what == "user" { "passwd" } else { "group" };
                r.problems.push(problem(
                    "user_missing",
                    format!("unable to find {what} {name}: no matching entries in {plural} file"),
                    format!("the image's User is {name:?}, which /{file} does not list"),
                    format!("use a numeric {what} id, or one of the image's (distroless has root, nobody and nonroot (65532))"),
                ));
                return;
            }
        }
        r.entrypoint_steps.push(format!("user {} found", cfg.user));
    }
    let Some(cmd) = argv.first() else {
        r.problems.push(problem(
            "no_command",
            "docker: Error response from daemon: no command specified".into(),
            "the image has neither Entrypoint nor Cmd".into(),
            "set ENTRYPOINT [\"/path/to/binary\"] in exec form".into(),
        ));
        return;
    };
    if cmd == "/bin/sh" && argv.get(1).is_some_and(|a| a == "-c") {
        r.entrypoint_steps.push(format!("shell form: {}", argv[2..].join(" ")));
    }
    // runc's LookPath: a name without a slash is searched in PATH.
    let path_var = cfg
        .env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .to_string();
    let program = if cmd.contains('/') {
        let full = if cmd.starts_with('/') {
            cmd.clone()
        } else {
            format!(
                "{}/{cmd}",
                if cfg.working_dir.is_empty() {
                    ""
                } else {
                    cfg.working_dir.as_str()
                }
            )
        };
        match image.resolve(&full) {
            Ok(Some((p, node))) => (p, node),
            Ok(None) => {
                r.problems.push(problem(
                    "entrypoint_missing",
                    format!("exec: \"{cmd}\": stat {cmd}: no such file or directory"),
                    format!("{cmd} is not in the image"),
                    if cmd.starts_with("/bin/sh") || cmd == "/bin/sh" {
                        "use the exec form, ENTRYPOINT [\"/app\", \"--flag\"]: distroless has no shell".into()
                    } else {
                        format!("COPY the program to {cmd}, or fix the path")
                    },
                ));
                return;
            }
            Err(e) => {
                r.problems.push(problem(
                    "entrypoint_missing",
                    format!("exec: \"{cmd}\": stat {cmd}: {e}"),
                    format!("{cmd} cannot be resolved: {e}"),
                    "fix the symbolic links".into(),
                ));
                return;
            }
        }
    } else {
        let found = path_var.split(':').filter(|d| !d.is_empty()).find_map(|d| {
            let (p, node) = image.resolve(&format!("{d}/{cmd}")).ok().flatten()?;
            matches!(node, Node::File { mode, .. } if mode & 0o111 != 0).then_some((p, node))
        });
        match found {
            Some(x) => {
                r.entrypoint_steps.push(format!("{cmd} found in PATH"));
                x
            }
            None => {
                r.problems.push(problem(
                    "entrypoint_missing",
                    format!("exec: \"{cmd}\": executable file not found in $PATH"),
                    format!("no executable {cmd} in PATH={path_var}"),
                    format!("use an absolute path in ENTRYPOINT, or put {cmd} in one of those directories"),
                ));
                return;
            }
        }
    };
    let (path, node) = program;
    if abs(&path) != *cmd {
        r.entrypoint_steps.push(format!("{cmd} resolves to /{path}"));
    }
    match node {
        Node::File { mode, .. } if mode & 0o111 != 0 => {}
        Node::File { .. } | Node::Dir | Node::Special | Node::Symlink(_) => {
            let what = if node == Node::Dir {
                "a directory"
            } else {
                "not executable"
            };
            r.problems.push(problem(
                "not_executable",
                format!("exec {cmd}: permission denied"),
                format!("/{path} is {what}"),
                "point ENTRYPOINT at the program and give it execute bits (COPY --chmod=0755)".into(),
            ));
            return;
        }
    }
    exec(image, opts, cmd, &path, r, 0);
}

/// The kernel's execve of `/path` (shown as `shown`), then the loader.
fn exec(image: &Image, opts: &Options, shown: &str, path: &str, r: &mut ImageReport, depth: usize) {
    let bytes = match image.read(path) {
        Ok(b) => b,
        Err(e) => {
            r.problems.push(problem(
                "unreadable",
                format!("exec {shown}: {e}"),
                e.to_string(),
                String::new(),
            ));
            return;
        }
    };
    match format::detect(&bytes) {
        Format::Script if depth == 0 => {
            let sb = format::shebang(&bytes).map(|s| s.command).unwrap_or_default();
            let interp = sb.split_whitespace().next().unwrap_or_default().to_string();
            r.entrypoint_steps.push(format!("/{path} is a script for {sb}"));
            match image.resolve(&interp).ok().flatten() {
                Some((p, Node::File { .. })) => exec(image, opts, shown, &p, r, depth + 1),
                _ => r.problems.push(problem(
                    "interpreter_missing",
                    format!("exec {shown}: no such file or directory"),
                    format!("the script's #! interpreter {interp} is not in the image: the kernel reports ENOENT for the script, which is there"),
                    "ship a compiled program, or an image that has the interpreter (gcr.io/distroless/python3, nodejs)".into(),
                )),
            }
        }
        Format::Elf => {
            // The image itself is what is judged: no second --image verdict.
            let inner = Options {
                image: None,
                ..opts.clone()
            };
            let mut report = crate::analyze(&bytes, &inner);
            report.path = abs(path);
            load(image, shown, path, &bytes, r);
            r.binaries.push(report);
        }
        _ => r.problems.push(problem(
            "exec_format",
            format!("exec {shown}: exec format error"),
            format!("/{path} is not a Linux program"),
            "build the program for Linux".into(),
        )),
    }
}

/// The loader's work for the ELF program at `path`.
fn load(image: &Image, shown: &str, path: &str, bytes: &[u8], r: &mut ImageReport) {
    let Ok(file) = ElfFile::parse(bytes) else {
        r.problems.push(problem(
            "exec_format",
            format!("exec {shown}: exec format error"),
            format!("/{path} is a malformed ELF file"),
            "rebuild or re-copy it".into(),
        ));
        return;
    };
    let Ok(facts) = file.facts() else { return };
    let want_arch = image.platform.split('/').nth(1).unwrap_or("amd64");
    let arch = oci_arch(&facts.machine);
    if arch != want_arch && !(arch == "386" && want_arch == "amd64") {
        r.problems.push(problem(
            "wrong_architecture",
            format!("exec {shown}: exec format error"),
            format!("/{path} is built for linux/{arch}, the image is {}", image.platform),
            format!("build it for {}", image.platform),
        ));
        return;
    }
    let interp = facts.interpreter.clone();
    if interp.is_none() && (facts.kind != crate::elf::Kind::SharedLibrary || facts.needed.is_empty()) {
        r.entrypoint_steps.push(format!("/{path} is statically linked"));
        return;
    }
    match interp.as_ref().map(|i| (i, image.resolve(i).ok().flatten())) {
        None => {}
        Some((interp, Some((p, Node::File { .. })))) => {
            r.entrypoint_steps.push(format!("PT_INTERP {interp} resolves to /{p}"))
        }
        Some((interp, _)) => {
            r.problems.push(problem(
                "interpreter_missing",
                format!("exec {shown}: no such file or directory"),
                format!(
                    "PT_INTERP {interp} is not in the image: the kernel reports ENOENT for the program, which is there"
                ),
                "use a base image with glibc's loader (gcr.io/distroless/base-nossl or larger), or link statically"
                    .into(),
            ));
            return;
        }
    }
    let cache = image
        .resolve("etc/ld.so.cache")
        .ok()
        .flatten()
        .and_then(|(p, _)| image.read(&p).ok())
        .map(|b| ld_so_cache(&b, want_arch))
        .unwrap_or_default();
    let ld_library_path: Vec<String> = image
        .config
        .env
        .iter()
        .find_map(|e| e.strip_prefix("LD_LIBRARY_PATH="))
        .map(|v| v.split(':').filter(|d| !d.is_empty()).map(str::to_string).collect())
        .unwrap_or_default();
    // Breadth-first, as the loader maps DT_NEEDED.
    struct Loaded {
        name: String,
        shown: String,
        verdefs: Vec<String>,
    }
    let mut loaded: Vec<Loaded> = Vec::new();
    let mut needs: Vec<(String, Vec<(String, String)>)> = Vec::new(); // (requirer shown path, [(file, version)])
    let mut queue: VecDeque<(String, String, Vec<u8>)> = VecDeque::new();
    queue.push_back((shown.to_string(), path.to_string(), bytes.to_vec()));
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut objects = 0;
    while let Some((obj_shown, obj_path, obj_bytes)) = queue.pop_front() {
        objects += 1;
        if objects > 512 {
            break;
        }
        let Ok(f) = ElfFile::parse(&obj_bytes) else { continue };
        let Ok(of) = f.facts() else { continue };
        if let Ok(v) = f.version_needs() {
            needs.push((obj_shown.clone(), v.into_iter().map(|n| (n.file, n.name)).collect()));
        }
        let origin = abs(obj_path.rsplit_once('/').map_or("", |(d, _)| d));
        let expand = |list: &Option<String>| -> Vec<String> {
            list.iter()
                .flat_map(|l| l.split(':'))
                .filter(|d| !d.is_empty())
                .map(|d| d.replace("${ORIGIN}", "$ORIGIN").replace("$ORIGIN", &origin))
                .collect()
        };
        let mut dirs: Vec<String> = Vec::new();
        if of.runpath.is_none() {
            dirs.extend(expand(&of.rpath));
        }
        dirs.extend(ld_library_path.iter().cloned());
        dirs.extend(expand(&of.runpath));
        for name in &of.needed {
            if !seen.insert(name.clone()) {
                continue;
            }
            let found = if name.contains('/') {
                image.resolve(name).ok().flatten().map(|(p, n)| (name.clone(), p, n))
            } else {
                dirs.iter()
                    .map(|d| format!("{}/{name}", d.trim_end_matches('/')))
                    .chain(cache.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()))
                    .chain(default_dirs(want_arch).into_iter().map(|d| format!("{d}/{name}")))
                    .find_map(|cand| image.resolve(&cand).ok().flatten().map(|(p, n)| (cand, p, n)))
            };
            match found {
                Some((cand, real, Node::File { .. })) => {
                    let Ok(lib_bytes) = image.read(&real) else { continue };
                    let verdefs = ElfFile::parse(&lib_bytes)
                        .ok()
                        .and_then(|f| f.version_definitions().ok())
                        .unwrap_or_default();
                    r.entrypoint_steps.push(format!("{name} → {cand}"));
                    loaded.push(Loaded {
                        name: name.clone(),
                        shown: cand.clone(),
                        verdefs,
                    });
                    queue.push_back((cand, real, lib_bytes));
                }
                _ => {
                    r.problems.push(Problem {
                        kind: "library_missing",
                        message: format!(
                            "{shown}: error while loading shared libraries: {name}: cannot open shared object file: No such file or directory"
                        ),
                        explanation: format!("{obj_shown} needs {name}, which the image does not have where the loader looks"),
                        library: Some(name.clone()),
                        fix: format!("COPY {name} into /usr/lib/{} (and what it needs in turn)", crate::elf::multiarch_triplet(want_arch)),
                        ..Default::default()
                    });
                    return;
                }
            }
        }
    }
    // Versions, object by object, as the loader checks them.
    let mut lines = Vec::new();
    let mut missing_libs = Vec::new();
    for (requirer, list) in &needs {
        for (file, version) in list {
            let Some(lib) = loaded.iter().find(|l| l.name == *file) else {
                continue;
            };
            if !lib.verdefs.iter().any(|v| v == version) {
                lines.push(format!(
                    "{shown}: {}: version `{version}' not found (required by {requirer})",
                    lib.shown
                ));
                missing_libs.push(file.clone());
            }
        }
    }
    if !lines.is_empty() {
        missing_libs.dedup();
        r.problems.push(Problem {
            kind: "version_missing",
            message: lines.join("\n"),
            explanation: format!(
                "{} in the image lacks versions the program needs",
                missing_libs.join(", ")
            ),
            library: missing_libs.first().cloned(),
            fix: "build on the image's Debian generation, or move to a newer base image".into(),
            ..Default::default()
        });
    }
}

/// The distroless base, from `/usr/lib/os-release` and `/var/lib/dpkg/status.d/`.
fn identify_base(image: &Image) -> Option<Base> {
    let os_release = image
        .resolve("usr/lib/os-release")
        .ok()
        .flatten()
        .and_then(|(p, _)| image.read(&p).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())?;
    let field = |k: &str| {
        os_release
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .map(|v| v.trim_matches('"').to_string())
    };
    if !field("PRETTY_NAME")?.contains("Distroless") {
        return None;
    }
    let mut packages: Vec<String> = image
        .resolve("var/lib/dpkg/status.d")
        .ok()
        .flatten()
        .map(|(p, _)| image.list(&p))
        .unwrap_or_default()
        .into_iter()
        .map(|n| n.split('.').next().unwrap_or_default().to_string())
        .collect();
    packages.sort();
    packages.dedup();
    let has = |p: &str| packages.iter().any(|x| x == p || x.starts_with(&format!("{p}t64")));
    let variant = if has("libstdc++6") {
        "cc"
    } else if has("libssl3") || has("libssl1.1") {
        "base"
    } else if has("libc6") {
        "base-nossl"
    } else {
        "static"
    };
    Some(Base {
        variant: variant.to_string(),
        generation: field("VERSION_ID").map(|v| format!("debian{v}")),
        packages,
    })
}
