//! Every rule a finding can name, for the formats CI tools read (SARIF's
//! `tool.driver.rules`, the Markdown table, README.md's "Rules"): why a
//! program will not start (`problem/...`: the kinds of
//! [`ProblemKind`](crate::verdict::ProblemKind)), what is worth knowing
//! (`warning/...`: [`WarningKind`](crate::verdict::WarningKind)), why an
//! input could not be judged (`input/...`: [`Error::kind`](crate::Error::kind))
//! and what a Dockerfile check found (`dockerfile/...`:
//! [`dockerfile::Rule`](crate::dockerfile::Rule)).

use super::Level;

/// Where README.md is published: each rule's help links to its anchor.
pub const README_URL: &str = "https://github.com/dlcheck/dlcheck/blob/main/README.md";

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// The stable id: `problem/library_missing`, `warning/cgo`,
    /// `input/malformed_elf`, `dockerfile/shell-form`.
    pub id: String,
    /// The level of its findings (a Dockerfile rule's severity).
    pub level: Level,
    /// One line.
    pub short: &'static str,
    /// What happens, and what to do.
    pub full: &'static str,
}

impl RuleInfo {
    /// The anchor of its row in README.md's "Rules" table
    /// (`rule-problem-library_missing`).
    pub fn anchor(&self) -> String {
        format!("rule-{}", self.id.replace('/', "-"))
    }

    /// Its help: README.md at [`RuleInfo::anchor`].
    pub fn help_uri(&self) -> String {
        format!("{README_URL}#{}", self.anchor())
    }
}

/// Problems: the JSON `kind` of a problem, one line, what to do.
const PROBLEMS: &[(&str, &str, &str)] = &[
    (
        "interpreter_missing",
        "The program's ELF interpreter (PT_INTERP) is not in the image",
        "The kernel cannot start the loader and reports \"exec /app: no such file or directory\" for the program, which is there. Use an image with that loader (base-nossl or larger for glibc), or link statically.",
    ),
    (
        "no_loader",
        "A shared library in an image without a dynamic loader",
        "No program in the image can load the library: static and scratch have no loader. Use base-nossl or larger.",
    ),
    (
        "library_missing",
        "A DT_NEEDED library is not where the loader looks",
        "The loader stops with \"error while loading shared libraries: X: cannot open shared object file\". Use an image that has it, ship it beside the program (DT_RUNPATH $ORIGIN), or link it statically.",
    ),
    (
        "runtime_library_missing",
        "glibc loads a library at run time that the image lacks",
        "glibc's pthread_exit and pthread_cancel load libgcc_s.so.1 when first used, or abort with \"libgcc_s.so.1 must be installed for pthread_exit to work\". Use cc.",
    ),
    (
        "version_missing",
        "A library in the image lacks a symbol version the program needs",
        "The loader prints \"version `GLIBC_2.34' not found\": the program was built against a newer library than the image has. Use a newer generation, or build on the image's.",
    ),
    (
        "wrong_os",
        "Built for another operating system",
        "The kernel refuses it: \"exec format error\". Rebuild for Linux.",
    ),
    (
        "wrong_architecture",
        "Built for another architecture than the image's",
        "The kernel refuses it: \"exec format error\". Rebuild for the image's platform.",
    ),
    (
        "unsupported_platform",
        "distroless publishes no image for the platform",
        "The engine prints \"no matching manifest for PLATFORM in the manifest list entries\". Rebuild for a published platform.",
    ),
    (
        "no_data",
        "dlcheck has no data on the image for the platform",
        "dlcheck cannot judge the binary there: check it in a built image (dlcheck IMAGE) instead.",
    ),
    (
        "wrong_platform",
        "The image is not of the platform asked for",
        "The engine refuses to run it for that platform. Build the image for it.",
    ),
    (
        "user_missing",
        "The image's USER is not in its /etc/passwd (or group)",
        "The runtime prints \"unable to find user NAME: no matching entries in passwd file\". Use a numeric id, or one of the image's users (root, nonroot, nobody).",
    ),
    (
        "no_command",
        "The image has neither ENTRYPOINT nor CMD",
        "The engine prints \"no command specified\". Set ENTRYPOINT in exec form.",
    ),
    (
        "entrypoint_missing",
        "The command is not in the image",
        "The runtime prints \"exec: \\\"/app\\\": stat /app: no such file or directory\" (or \"executable file not found in $PATH\"; a shell-form command needs /bin/sh, which distroless lacks). Fix the path, or use the exec form.",
    ),
    (
        "not_executable",
        "The command is a directory or has no execute bits",
        "The runtime prints \"permission denied\". COPY --chmod=0755, and point ENTRYPOINT at the program.",
    ),
    (
        "unreadable",
        "The program's bytes could not be read from the image",
        "The image is damaged or larger than the limits; check it.",
    ),
    (
        "exec_format",
        "The command is not a Linux program (or a malformed one)",
        "The kernel refuses it: \"exec format error\". Build the program for Linux.",
    ),
];

/// Warnings: the JSON `kind` of a warning, one line, what to do.
const WARNINGS: &[(&str, &str, &str)] = &[
    (
        "frozen_generation",
        "The recommended generation is no longer built or patched",
        "debian11 images have been frozen since 2024-09-03: no security fixes. Move to a maintained generation.",
    ),
    (
        "newer_versions",
        "Built against a newer library than the target generation has",
        "Why the binary needs newer symbol versions, and the build environment its .comment records; build on the runtime's generation to run on it.",
    ),
    (
        "cgo",
        "cgo is linked in",
        "The Go program needs glibc's loader and libc, so it cannot run on static; CGO_ENABLED=0 (or -tags netgo,osusergo) removes it where nothing else needs C.",
    ),
    (
        "cgo_only_module",
        "A module that needs cgo, built without it",
        "The module's stub fails at first use; build with CGO_ENABLED=1.",
    ),
    (
        "dlopen",
        "Libraries loaded with dlopen, which DT_NEEDED does not show",
        "Make sure the image has them: dlcheck cannot see them in DT_NEEDED.",
    ),
    (
        "static_nss",
        "Static glibc that loads NSS modules at run time",
        "User, group and host lookups fail silently in images with another glibc. Use Go's pure resolver, musl, or dynamic linking on base-nossl.",
    ),
    (
        "cpu_level",
        "The program needs a newer host CPU than the baseline",
        "glibc 2.33+ refuses with \"CPU ISA level is lower than required\"; Go exits with \"This program can only be run on AMD64 processors with v3 microarchitecture support.\". The host decides, not the image.",
    ),
    (
        "shell",
        "The program runs a shell at run time",
        "No distroless image has /bin/sh: system() returns 127, Go's os/exec fails. Start the command directly, or use a :debug image (/busybox/sh).",
    ),
    (
        "executable_stack",
        "A library that needs an executable stack",
        "glibc 2.41 (debian13) refuses to dlopen it: \"cannot enable executable stack as shared object requires: Invalid argument\". Relink with -Wl,-z,noexecstack.",
    ),
    (
        "shipped_library",
        "A library found beside the program",
        "The verdict holds when the program and the library are copied into the image together, at the same relative paths.",
    ),
    (
        "floating_tag",
        "An image name without a generation",
        "It follows distroless's default generation, which moves; pin the generation in the name.",
    ),
    (
        "debug_shell",
        "Where to find a shell for debugging",
        "The :debug tags add a busybox shell at /busybox/sh.",
    ),
    (
        "scratch_missing_file",
        "A file the program reads that scratch lacks",
        "Go's crypto/x509, time and os/user read files scratch does not have; gcr.io/distroless/static has them.",
    ),
    (
        "dlopen_fails",
        "A library it names for dlopen will not load in the image",
        "Not there, or glibc refuses it (an executable stack on glibc 2.41): add the library, ship it beside the program, or relink it with -Wl,-z,noexecstack.",
    ),
    (
        "ambiguous_reference",
        "A path that also reads as an image reference",
        "A file named like myapp:dev was read as a file; to read the image, write docker:myapp:dev or registry:myapp:dev.",
    ),
    (
        "digest_pin",
        "An image named by digest",
        "dlcheck judges it as its data describes the image's name; that build may predate or follow the data.",
    ),
    (
        "unread_part",
        "A part of a language image dlcheck has not read",
        "The JRE of java and Node.js of nodejs are not Debian packages; a library missing from the packages may be there. Check the image itself.",
    ),
    (
        "image",
        "Worth knowing about a container image",
        "What the image's own files say: a differing base, platforms offered, a dlopen that will fail.",
    ),
];

/// Input errors: [`crate::Error::kind`], one line, what to do.
const INPUTS: &[(&str, &str, &str)] = &[
    ("not_found", "The path does not exist", "Check the path."),
    (
        "is_directory",
        "The path is a directory",
        "Pass -r to scan it, or --root for a root file system.",
    ),
    (
        "permission_denied",
        "The file cannot be read",
        "Make it readable, or run dlcheck as a user who can read it.",
    ),
    (
        "not_regular_file",
        "A FIFO, socket or device",
        "dlcheck only reads regular files.",
    ),
    (
        "io",
        "The input could not be read",
        "An I/O error, an unreachable engine or registry.",
    ),
    (
        "empty",
        "An empty file",
        "Nothing to run: was the build or copy interrupted?",
    ),
    (
        "script",
        "A script",
        "The distroless base images have no /bin/sh and no other interpreter: there it fails with \"exec /app: no such file or directory\".",
    ),
    (
        "mach_o",
        "A Mach-O (macOS) binary",
        "It fails with \"exec format error\": rebuild for Linux.",
    ),
    (
        "pe",
        "A PE (Windows) binary",
        "It fails with \"exec format error\": rebuild for Linux.",
    ),
    (
        "not_executable",
        "A relocatable object or core dump",
        "Link it into a program first.",
    ),
    (
        "debug_info",
        "Separate debug information, not a program",
        "Its code segments hold no bytes (objcopy --only-keep-debug): check the program it was split from.",
    ),
    (
        "unknown_format",
        "Not an ELF file",
        "dlcheck judges Linux executables, shared libraries and container images.",
    ),
    (
        "malformed_elf",
        "A truncated or corrupt ELF file",
        "Headers or tables lie outside the file or contradict each other: rebuild or re-copy it.",
    ),
    (
        "malformed_image",
        "A malformed or hostile image archive",
        "The archive is truncated, inconsistent, or names files outside itself.",
    ),
    (
        "unreachable",
        "The Docker engine or the registry does not answer",
        "Check DOCKER_HOST, the engine, the registry's address and the network.",
    ),
    (
        "unauthorized",
        "The registry refused the credentials",
        "Log in (docker login) or give credentials in DOCKER_CONFIG.",
    ),
    (
        "image_not_found",
        "No such image or tag",
        "Check the name, the tag and the digest.",
    ),
    (
        "malformed_dockerfile",
        "A Dockerfile the builder cannot parse",
        "Fix the line named in the message.",
    ),
    (
        "limit_exceeded",
        "An input past one of dlcheck's limits",
        "The image or file asks for more work than a limit allows (README, Hostile input): raise it with --limit NAME=N if the input is trusted.",
    ),
    (
        "no_elf_files",
        "A directory scan that found no ELF program or library",
        "A gate must not pass on nothing: check the path; image archives are read without -r.",
    ),
];

/// Every rule: problems, warnings, input errors, then Dockerfile rules.
pub fn rules() -> Vec<RuleInfo> {
    let table = |prefix: &str, level: Level, rows: &'static [(&str, &str, &str)]| {
        rows.iter()
            .map(move |(name, short, full)| RuleInfo {
                id: format!("{prefix}/{name}"),
                level,
                short,
                full,
            })
            .collect::<Vec<_>>()
    };
    let mut out = table("problem", Level::Error, PROBLEMS);
    let mut warnings = table("warning", Level::Warning, WARNINGS);
    for w in &mut warnings {
        let kind: Option<crate::verdict::WarningKind> =
            serde_json::from_value(serde_json::Value::String(w.id["warning/".len()..].to_string())).ok();
        if let Some(kind) = kind {
            w.level = super::warning_level(kind);
        }
    }
    out.extend(warnings);
    out.extend(table("input", Level::Error, INPUTS));
    out.extend(crate::dockerfile::Rule::ALL.iter().map(|r| RuleInfo {
        id: format!("dockerfile/{}", r.id()),
        level: r.severity().into(),
        short: r.title(),
        full: r.title(),
    }));
    for r in out.iter_mut().filter(|r| r.id == "problem/no_data") {
        r.level = Level::Note;
    }
    out
}

/// The rule with `id`.
pub fn rule(id: &str) -> Option<RuleInfo> {
    rules().into_iter().find(|r| r.id == id)
}
