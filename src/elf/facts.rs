//! The facts reported for an ELF file ([`ElfFacts`]): kind and linkage,
//! target OS, C library, the run-time loads glibc makes, and the build
//! tools recorded in `.comment`.

use std::collections::BTreeMap;

use goblin::container::Container;
use goblin::elf::{dynamic, header};

use super::dynamic::DynStrings;
use super::machine_name;
use super::{Class, ElfFacts, ElfFile, Endianness, Kind, Libc, Linkage, RuntimeLoad, VersionNeed, version_cmp};
use crate::error::Error;
use crate::text;

impl ElfFile<'_> {
    /// Collect the reported facts.
    ///
    /// Errors: [`Error::Malformed`] when PT_INTERP, the dynamic section or
    /// the version needs cannot be read.
    pub fn facts(&self) -> Result<ElfFacts, Error> {
        let interpreter = self.interpreter()?;
        let strings = self.dynamic_strings()?;
        let needs = self.version_needs()?;
        Ok(self.facts_from(interpreter, &strings, &needs))
    }

    /// The facts, from PT_INTERP, the dynamic section's strings and the
    /// version needs already read.
    pub(crate) fn facts_from(
        &self,
        interpreter: Option<String>,
        strings: &DynStrings,
        needs: &[VersionNeed],
    ) -> ElfFacts {
        let mut version_needs: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for need in needs {
            version_needs
                .entry(need.file.clone())
                .or_default()
                .push(need.name.clone());
        }
        for versions in version_needs.values_mut() {
            versions.sort_by(|a, b| version_cmp(a, b).then_with(|| a.cmp(b)));
            versions.dedup();
        }
        let is_dyn = self.header.e_type == header::ET_DYN;
        let (kind, linkage) = self.kind_and_linkage(interpreter.is_some(), strings);
        let machine = machine_name(&self.header);
        let os = self.os(interpreter.as_deref());
        let libc = self.libc(&interpreter, &strings.needed, linkage);
        let watched = self.watched();
        let runtime_loads = self.runtime_loads(libc, &strings.needed, &watched);
        // Library names (for a program that imports dlopen) and a shell's
        // path are each a search of `.rodata`: when it is large (node's is
        // 47 MB), the two run on two threads.
        let dlopen_names = || self.dlopen_names(&watched);
        let shell_calls = || self.shell_calls(&watched);
        let large = watched.imports("dlopen")
            && self
                .section(".rodata")
                .is_some_and(|r| r.len() >= crate::binary::PARALLEL_FACTS_BYTES);
        let (dlopen_names, shell_calls) = if large {
            rayon::join(dlopen_names, shell_calls)
        } else {
            (dlopen_names(), shell_calls())
        };
        ElfFacts {
            class: if self.ctx.container == Container::Big {
                Class::Elf64
            } else {
                Class::Elf32
            },
            endianness: if self.ctx.le == scroll::Endian::Little {
                Endianness::Little
            } else {
                Endianness::Big
            },
            machine,
            os,
            e_type: if is_dyn { "DYN" } else { "EXEC" },
            kind,
            linkage,
            interpreter,
            needed: strings.needed.clone(),
            soname: strings.soname.clone(),
            rpath: strings.rpath.clone(),
            runpath: strings.runpath.clone(),
            version_needs,
            libc,
            runtime_loads,
            imports_dlopen: watched.imports("dlopen"),
            dlopen_note: self.dlopen_note(),
            dlopen_names,
            comment: self.comment(),
            isa_needed: self.isa_level_needed(),
            gnu_stack: self.gnu_stack(),
            executable_stack: self.needs_executable_stack(),
            min_kernel: self.min_kernel(),
            shell_calls,
            arm_cpu_arch: if self.header.e_machine == header::EM_ARM {
                self.arm_cpu_arch()
            } else {
                None
            },
        }
    }

    /// What the file is and how it is linked, from PT_INTERP, `e_type`,
    /// DT_NEEDED, DT_SONAME, DT_FLAGS_1 (`DF_1_PIE`) and the entry point.
    pub(crate) fn kind_and_linkage(&self, has_interpreter: bool, strings: &DynStrings) -> (Kind, Linkage) {
        let is_dyn = self.header.e_type == header::ET_DYN;
        let flags_1 = self.dyn_val(dynamic::DT_FLAGS_1).unwrap_or(0);
        match (has_interpreter, is_dyn) {
            (true, _) if strings.needed.is_empty() => (Kind::Executable, Linkage::LoaderOnly),
            (true, _) => (Kind::Executable, Linkage::Dynamic),
            (false, false) => (Kind::Executable, Linkage::Static),
            (false, true) => {
                let pie = flags_1 & dynamic::DF_1_PIE != 0;
                // DF_1_PIE, or a self-contained object with an entry point
                // (a static-pie program; glibc's ld.so, which also runs as
                // a program).
                if pie || (strings.needed.is_empty() && self.header.e_entry != 0) {
                    (Kind::Executable, Linkage::StaticPie)
                } else {
                    (Kind::SharedLibrary, Linkage::Dynamic)
                }
            }
        }
    }

    /// Libraries glibc loads at run time for functions the file imports.
    fn runtime_loads(&self, libc: Libc, needed: &[String], watched: &Watched) -> Vec<RuntimeLoad> {
        let mut runtime_loads = Vec::new();
        // glibc's pthread_exit and pthread_cancel unwind the thread's stack
        // with libgcc_s, which they dlopen on first use (nptl
        // unwind-resume / `__libc_unwind_link_get`): without it the program
        // aborts with "libgcc_s.so.1 must be installed for pthread_exit to work".
        if libc == Libc::Glibc && !needed.iter().any(|n| n == "libgcc_s.so.1") {
            let functions: Vec<&'static str> = ["pthread_exit", "pthread_cancel"]
                .into_iter()
                .filter(|f| watched.imports(f))
                .collect();
            if !functions.is_empty() {
                runtime_loads.push(RuntimeLoad {
                    library: "libgcc_s.so.1".to_string(),
                    functions,
                });
            }
        }
        runtime_loads
    }

    fn os(&self, interpreter: Option<&str>) -> String {
        let by_abi = match self.header.e_ident[header::EI_OSABI] {
            2 => Some("netbsd"),
            6 => Some("solaris"),
            9 => Some("freebsd"),
            12 => Some("openbsd"),
            _ => None,
        };
        let by_interp = interpreter.and_then(|i| match i {
            "/libexec/ld-elf.so.1" => Some("freebsd"),
            "/usr/libexec/ld.so" => Some("openbsd"),
            "/usr/libexec/ld.elf_so" => Some("netbsd"),
            "/system/bin/linker" | "/system/bin/linker64" => Some("android"),
            _ => None,
        });
        let by_note = || {
            self.notes().find_map(|n| match n.owner {
                b"OpenBSD" => Some("openbsd"),
                b"NetBSD" => Some("netbsd"),
                b"FreeBSD" => Some("freebsd"),
                b"Android" => Some("android"),
                _ => None,
            })
        };
        by_abi.or(by_interp).or_else(by_note).unwrap_or("linux").to_string()
    }

    fn libc(&self, interpreter: &Option<String>, needed: &[String], linkage: Linkage) -> Libc {
        let musl_name = |n: &str| n == "libc.so" || n.starts_with("libc.musl-");
        if needed.iter().any(|n| n == "libc.so.6") {
            return Libc::Glibc;
        }
        if needed.iter().any(|n| musl_name(n)) || interpreter.as_deref().is_some_and(|i| i.contains("ld-musl")) {
            return Libc::Musl;
        }
        match linkage {
            Linkage::LoaderOnly => Libc::None,
            Linkage::Dynamic => Libc::Unknown,
            Linkage::Static | Linkage::StaticPie => {
                if self.has_gnu_abi_tag() {
                    Libc::Glibc
                } else if self.has_section(".go.buildinfo") || self.has_section(".gopclntab") {
                    // Go without cgo; with cgo, the Go analysis looks for
                    // musl's start code (crate::analyze).
                    Libc::None
                } else if self.has_symbol(b"__init_libc") {
                    Libc::Musl
                } else {
                    Libc::Unknown
                }
            }
        }
    }

    /// How the file runs a shell: `system` and `popen` always do; `exec*`
    /// and `posix_spawn*` do when the file holds a shell's path; for Go,
    /// `os/exec` with a shell's path.
    /// Library names among the program's constant strings (`.rodata`) when
    /// it imports `dlopen`: the names it most likely passes to it
    /// (`libz.so.1`). A name is `lib`, then letters, digits and `_+-.`, then
    /// `.so` and an optional version (`.1`, `.1.2.3`). At most
    /// [`MAX_DLOPEN_NAMES`], in file order.
    fn dlopen_names(&self, watched: &Watched) -> Vec<String> {
        if !watched.imports("dlopen") {
            return Vec::new();
        }
        let Some(rodata) = self.section(".rodata") else {
            return Vec::new();
        };
        // Each name holds ".so": find those (memmem), then the string
        // around each, at most MAX_SONAME bytes either side.
        let mut out: Vec<String> = Vec::new();
        let mut done = 0;
        for at in memchr::memmem::find_iter(rodata, b".so") {
            if at < done {
                continue; // inside the string just read
            }
            let lo = at.saturating_sub(MAX_SONAME);
            let start = match memchr::memrchr(0, &rodata[lo..at]) {
                Some(p) => lo + p + 1,
                None if lo == 0 => 0,
                None => continue, // longer than a soname
            };
            let hi = rodata.len().min(at + MAX_SONAME);
            let end = memchr::memchr(0, &rodata[at..hi]).map_or(hi, |p| at + p);
            done = end;
            let s = &rodata[start..end];
            if looks_like_soname(s) {
                let name = String::from_utf8_lossy(s).into_owned();
                if !out.contains(&name) {
                    out.push(name);
                }
                if out.len() >= MAX_DLOPEN_NAMES {
                    break;
                }
            }
        }
        out
    }

    fn shell_calls(&self, watched: &Watched) -> Vec<String> {
        let mut out: Vec<String> = SHELL_ALWAYS
            .iter()
            .filter(|f| watched.has(f))
            .map(|f| f.to_string())
            .collect();
        let execs: Vec<&str> = SHELL_EXEC.iter().copied().filter(|f| watched.has(f)).collect();
        // Go: os/exec's Command in .symtab, or in the function table that
        // stays when .symtab is stripped.
        let go_exec = watched.go_exec
            || self
                .section(".gopclntab")
                .is_some_and(|t| memchr::memmem::find(t, b"os/exec.Command").is_some());
        if execs.is_empty() && !go_exec {
            return out;
        }
        // The program's constant strings: `.rodata`, or without section
        // headers the file bytes its PT_LOAD segments map (never bytes past
        // them: a file padded to gigabytes is not read).
        let loaded: Vec<&[u8]> = match self.section(".rodata") {
            Some(r) => vec![r],
            None => self
                .load_segments()
                .filter_map(|(_, off, len)| {
                    let start = usize::try_from(off).ok()?;
                    self.bytes.get(start..start.checked_add(usize::try_from(len).ok()?)?)
                })
                .collect(),
        };
        let shell = shell_path(&loaded);
        if let Some(shell) = shell {
            out.extend(execs.iter().map(|f| format!("{f} {shell}")));
            if go_exec {
                out.push(format!("os/exec {shell}"));
            }
        }
        out
    }

    /// Which of [`watched_names`] the file imports (`.dynsym`) and which
    /// `.symtab` names, and whether `.symtab` names Go's `os/exec.Command`:
    /// each table read once.
    fn watched(&self) -> Watched {
        use goblin::elf::section_header::SHT_SYMTAB;
        let mut out = Watched::default();
        for name in self.imported_symbols() {
            if let Some(i) = watched_names().position(|w| w.as_bytes() == name) {
                out.imported |= 1 << i;
            }
        }
        for v in self.symbol_table(SHT_SYMTAB).name_views() {
            if !matches!(v.first(), Some(b'd' | b'e' | b'o' | b'p' | b's')) {
                continue;
            }
            if let Some(i) = watched_names().position(|w| super::name_is(v, w.as_bytes())) {
                out.in_symtab |= 1 << i;
            }
            out.go_exec |= v.starts_with(b"os/exec.Command");
        }
        out
    }

    /// The strings of `.comment`, deduplicated, in order (at most 32).
    fn comment(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in self.section(".comment").unwrap_or_default().split(|b| *b == 0) {
            let s = text::from_bytes(s).trim().to_string();
            if !s.is_empty() && !out.contains(&s) && out.len() < 32 {
                out.push(s);
            }
        }
        out
    }
}

/// The shell a program's constant strings name, preferring a whole string
/// `/bin/sh`, then `/bin/bash`, then `/bin/sh` at the start of a longer one
/// (`/bin/sh -c`): one pass over each part for `/bin/`.
fn shell_path(parts: &[&[u8]]) -> Option<String> {
    const SHELLS: [&[u8]; 3] = [b"sh\0", b"bash\0", b"sh"];
    let mut best: Option<usize> = None;
    for part in parts {
        for at in memchr::memmem::find_iter(part, b"/bin/") {
            let rest = &part[at + 5..];
            if let Some(rank) = SHELLS.iter().position(|s| rest.starts_with(s)) {
                best = Some(best.map_or(rank, |b| b.min(rank)));
                if rank == 0 {
                    return Some("/bin/sh".into());
                }
            }
        }
    }
    best.map(|rank| format!("/bin/{}", String::from_utf8_lossy(SHELLS[rank]).trim_end_matches('\0')))
}

/// The most library names [`ElfFile::dlopen_names`] reports.
pub const MAX_DLOPEN_NAMES: usize = 32;

/// The longest library name taken for one passed to `dlopen`.
const MAX_SONAME: usize = 128;

/// What runs a shell when the image has none: always, or when the file
/// also holds a shell's path.
const SHELL_ALWAYS: [&str; 2] = ["system", "popen"];
const SHELL_EXEC: [&str; 9] = [
    "execl",
    "execlp",
    "execle",
    "execv",
    "execvp",
    "execvpe",
    "execve",
    "posix_spawn",
    "posix_spawnp",
];

/// Functions whose import (or, in a static program, presence in
/// `.symtab`) is a fact: `dlopen`; `pthread_exit` and `pthread_cancel`
/// (glibc loads libgcc_s for them); what runs a shell. Bit `i` of
/// [`Watched`] is the `i`-th of these.
fn watched_names() -> impl Iterator<Item = &'static str> {
    ["dlopen", "pthread_exit", "pthread_cancel"]
        .into_iter()
        .chain(SHELL_ALWAYS)
        .chain(SHELL_EXEC)
}

/// Which of [`watched_names`] a file imports or names, read once per file.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Watched {
    imported: u16,
    in_symtab: u16,
    go_exec: bool,
}

impl Watched {
    fn bit(name: &str) -> u16 {
        watched_names().position(|w| w == name).map_or(0, |i| 1 << i)
    }

    /// `.dynsym` imports `name`.
    pub(crate) fn imports(&self, name: &str) -> bool {
        self.imported & Self::bit(name) != 0
    }

    /// `name` is imported, or named in `.symtab` (defined in a static
    /// program).
    fn has(&self, name: &str) -> bool {
        (self.imported | self.in_symtab) & Self::bit(name) != 0
    }
}

/// `libz.so.1`, `libexecstack.so`: a shared-library file name as programs
/// pass it to `dlopen` (no directory).
fn looks_like_soname(s: &[u8]) -> bool {
    if s.len() > 128 || !s.starts_with(b"lib") {
        return false;
    }
    let Some(at) = memchr::memmem::rfind(s, b".so") else {
        return false;
    };
    let (stem, version) = (&s[3..at], &s[at + 3..]);
    !stem.is_empty()
        && stem.iter().all(|&b| b.is_ascii_alphanumeric() || b"_+-.".contains(&b))
        && (version.is_empty()
            || (version[0] == b'.' && version.len() > 1 && version.iter().all(|&b| b.is_ascii_digit() || b == b'.')))
}
