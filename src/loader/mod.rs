//! glibc's dynamic loader, modelled once: where it looks for each DT_NEEDED
//! library, which file it maps, what that file needs in turn, and which
//! needed versions the files it found do not define.
//!
//! The rules followed are glibc's (`elf/dl-load.c` `_dl_map_object`,
//! `elf/dl-version.c`, `elf/dl-dst.h`), as Debian builds it:
//! - a DT_NEEDED name that contains a `/` is opened as it is, relative to
//!   the working directory;
//! - otherwise the directories are searched in this order: the DT_RPATH of
//!   the object that needs the library, then of the object that loaded
//!   that one, and so on up to the program (each only when that object has
//!   no DT_RUNPATH; an object with a DT_RUNPATH has its DT_RPATH ignored),
//!   then `LD_LIBRARY_PATH`, then the needing object's own DT_RUNPATH, then
//!   `/etc/ld.so.cache` when the root has one, then the default
//!   directories (`/lib/<triplet>`, `/usr/lib/<triplet>`, `/lib`,
//!   `/usr/lib`, Debian's multiarch layout);
//! - in each entry the tokens `$ORIGIN`, `$LIB` and `$PLATFORM` (also
//!   written `${ORIGIN}` ...) are replaced anywhere they appear: `$ORIGIN`
//!   by the directory of the object whose entry it is, `$LIB` by
//!   `lib/<triplet>` and `$PLATFORM` by the CPU name (`x86_64`, `aarch64`);
//! - a library already loaded under the same DT_NEEDED name is not loaded
//!   again; libraries are loaded breadth first;
//! - every version in an object's DT_VERNEED must be defined (DT_VERDEF) by
//!   the library loaded for that file name, unless the need is weak;
//! - up to glibc 2.38, a search directory that is the root itself (`/`:
//!   `$ORIGIN` of a program at `/app`) is searched only until a name is
//!   not found there: `open_path` then `stat`s the directory name with its
//!   last `/` cut off, which for `/` is the empty string, marks it as not
//!   existing and skips it from then on, for every object that names it
//!   (see [`drops_root_dir_after_miss`]).
//!
//! What a root holds is asked through [`Root`]: the embedded data about a
//! distroless image (`crate::catalog`), an image's or a root directory's
//! own files (`crate::imagefs`), or the libraries shipped beside a program
//! ([`Shipped`]).

pub mod cache;

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::elf::{self, DynStrings, ElfFile};

/// The most objects one walk loads: real programs load dozens; a hostile
/// image must not make the walk unbounded.
pub const MAX_OBJECTS: usize = 512;

/// One version an object needs (an Elf_Vernaux entry of its DT_VERNEED).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionNeed {
    /// The library file name it is needed from (`vn_file`), `libc.so.6`.
    pub file: String,
    /// The version (`vna_name`), `GLIBC_2.34`.
    pub version: String,
    /// `VER_FLG_WEAK`: the loader does not fail when it is missing.
    pub weak: bool,
}

/// What the loader reads of one ELF object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Object {
    /// DT_NEEDED, in dynamic-section order.
    pub needed: Vec<String>,
    /// DT_RPATH, colon-separated, as stored.
    pub rpath: Option<String>,
    /// DT_RUNPATH, colon-separated, as stored.
    pub runpath: Option<String>,
    /// DT_VERNEED, in the order the loader checks it.
    pub version_needs: Vec<VersionNeed>,
    /// DT_VERDEF: the versions it defines, without the base entry, sorted
    /// and each once (see [`Object::defines`]).
    pub verdefs: Vec<String>,
    /// It needs an executable stack (PT_GNU_STACK `RWX`, or none): see
    /// [`refuses_executable_stack`].
    pub executable_stack: bool,
}

impl Object {
    /// Read the loader's facts of a parsed ELF file. A table that cannot be
    /// read counts as empty: a damaged library is still mapped, and its
    /// needs and versions are what can be read of them.
    pub fn read(file: &ElfFile<'_>) -> Object {
        let strings = file.dynamic_strings().unwrap_or_default();
        let needs = file.version_needs().unwrap_or_default();
        Object {
            executable_stack: file.needs_executable_stack(),
            ..Object::from_parts(&strings, &needs, file.version_definitions().unwrap_or_default())
        }
    }

    /// The object from the dynamic section's strings, the version needs and
    /// the version definitions already read.
    pub(crate) fn from_parts(strings: &DynStrings, needs: &[elf::VersionNeed], verdefs: Vec<String>) -> Object {
        Object {
            needed: strings.needed.clone(),
            rpath: strings.rpath.clone(),
            runpath: strings.runpath.clone(),
            version_needs: needs
                .iter()
                .map(|n| VersionNeed {
                    file: n.file.clone(),
                    version: n.name.clone(),
                    weak: n.weak,
                })
                .collect(),
            verdefs: sorted(verdefs),
            executable_stack: false,
        }
    }

    /// Whether it defines `version` (DT_VERDEF): one binary search, as the
    /// loader asks this of every version every object needs.
    pub fn defines(&self, version: &str) -> bool {
        self.verdefs.binary_search_by(|d| d.as_str().cmp(version)).is_ok()
    }
}

/// Version definitions as [`Object::verdefs`] holds them: sorted, each once.
pub(crate) fn sorted(mut verdefs: Vec<String>) -> Vec<String> {
    verdefs.sort_unstable();
    verdefs.dedup();
    verdefs
}

/// Bounds on one walk's search, so that hostile search paths cannot make
/// it unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Elements of one search path (DT_RPATH, DT_RUNPATH,
    /// `LD_LIBRARY_PATH`).
    pub search_path: u64,
    /// Directories tried for one library, all search paths together.
    pub library_dirs: u64,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            search_path: 1024,
            library_dirs: 4096,
        }
    }
}

/// A walk stopped at one of its [`Bounds`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundHit {
    /// `search-path` or `library-dirs`.
    pub name: &'static str,
    /// Where: `DT_RUNPATH of /app`, `libfoo.so.1`.
    pub context: String,
}

/// A root file system as the loader sees it.
pub trait Root {
    /// The real file that the PT_INTERP path `path` leads to, if it is a
    /// regular file in the root.
    fn interpreter(&self, path: &str) -> Option<String>;
    /// The ELF object the loader maps when it opens `path`, if there is a
    /// regular ELF file there.
    fn object(&self, path: &str) -> Option<Arc<Object>>;
    /// The path `/etc/ld.so.cache` gives for `soname`, if the root has a
    /// cache that lists it.
    fn cache(&self, _soname: &str) -> Option<String> {
        None
    }
    /// The bounds of a walk in this root.
    fn bounds(&self) -> Bounds {
        Bounds::default()
    }
}

/// The process's side of a load: the architecture and the environment.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    /// The OCI architecture (`amd64`, `arm64` ...): default directories,
    /// `$LIB`, `$PLATFORM`.
    pub arch: &'a str,
    /// `LD_LIBRARY_PATH` entries, in order.
    pub ld_library_path: &'a [String],
    /// The glibc release of the loader, `(2, 36)`, for the behaviour that
    /// changed between releases; `None` when unknown (the newest behaviour).
    pub glibc: Option<(u32, u32)>,
}

/// Whether glibc's loader stops searching the directory `/` after the
/// first name not found there. Recorded: glibc 2.31 (debian11) and 2.36
/// (debian12) do, 2.41 (debian13) does not (testdata/crash/: a program at
/// `/app` with DT_RUNPATH `$ORIGIN`, its DT_NEEDED `libc.so.6` listed before
/// a library at `/`). glibc 2.39's `elf/dl-load.c` `open_path` no longer
/// cuts the `/`; 2.37 and 2.38 are taken to behave as 2.36.
pub fn drops_root_dir_after_miss(glibc: Option<(u32, u32)>) -> bool {
    glibc.is_some_and(|v| v < (2, 39))
}

/// Whether glibc refuses to `dlopen` a library that needs an executable
/// stack: 2.41 and later do, with "cannot enable executable stack as
/// shared object requires: Invalid argument" (recorded in debian13); a
/// library loaded through DT_NEEDED at start still loads.
pub fn refuses_executable_stack(glibc: Option<(u32, u32)>) -> bool {
    glibc.is_some_and(|v| v >= (2, 41))
}

/// Why a `dlopen` the program makes after its start fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DlopenFailure {
    /// The library is nowhere the loader looks.
    NotFound {
        /// The name passed to `dlopen`.
        name: String,
    },
    /// The library needs an executable stack and glibc refuses it (see
    /// [`refuses_executable_stack`]).
    ExecutableStack {
        /// The name passed to `dlopen`.
        name: String,
        /// Where the loader found it.
        path: String,
    },
}

impl DlopenFailure {
    /// What `dlerror()` returns, in glibc's words.
    pub fn dlerror(&self) -> String {
        match self {
            DlopenFailure::NotFound { name } => {
                format!("{name}: cannot open shared object file: No such file or directory")
            }
            DlopenFailure::ExecutableStack { name, .. } => {
                format!("{name}: cannot enable executable stack as shared object requires: Invalid argument")
            }
        }
    }
}

/// Why `dlopen(name)` called by the program fails after its start (the
/// program's DT_RPATH or DT_RUNPATH, `LD_LIBRARY_PATH`, the cache, the
/// default directories, as the walk left the loader), or `None` when it
/// loads.
pub fn dlopen_failure(root: &dyn Root, walk: &Walk, name: &str, env: &Env<'_>) -> Option<DlopenFailure> {
    if walk.objects.iter().any(|o| o.name == name) {
        return None; // already loaded: dlopen returns it
    }
    let mut root_dir_gone = walk.root_dir_gone;
    match search(root, &walk.objects, 0, name, env, &mut root_dir_gone) {
        Ok(None) => Some(DlopenFailure::NotFound { name: name.to_string() }),
        Ok(Some((path, o))) if o.executable_stack && refuses_executable_stack(env.glibc) => {
            Some(DlopenFailure::ExecutableStack {
                name: name.to_string(),
                path,
            })
        }
        // Past a bound, the walk has already said so: nothing to add.
        Ok(Some(_)) | Err(_) => None,
    }
}

/// The glibc release of a loader or C library file: from the banner glibc
/// 2.33 and later put in `ld.so` and every release puts in `libc.so.6`
/// (`stable release version 2.36.`), else from the file name of older
/// loaders (`ld-2.31.so`).
pub fn glibc_release(real_path: &str, bytes: &[u8]) -> Option<(u32, u32)> {
    const BANNER: &[u8] = b"release version ";
    if let Some(at) = memchr::memmem::find(bytes, BANNER) {
        let tail = &bytes[at + BANNER.len()..];
        let tail = &tail[..tail.len().min(16)];
        let text: String = tail
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .map(|&b| b as char)
            .collect();
        if let Some(v) = parse_release(&text) {
            return Some(v);
        }
    }
    let name = real_path.rsplit('/').next()?;
    parse_release(name.strip_prefix("ld-")?.strip_suffix(".so")?)
}

/// `(2, 36)` for `2.36` (and `2.36.1`, `2.36-9+deb12u4`).
pub fn parse_release(text: &str) -> Option<(u32, u32)> {
    let (major, rest) = text.split_once('.')?;
    let minor: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Debian's multiarch directory name for an OCI architecture: the
/// `<triplet>` of `/lib/<triplet>` and `/usr/lib/<triplet>` (Debian's
/// multiarch specification).
pub fn multiarch_triplet(arch: &str) -> &'static str {
    match arch {
        "arm64" => "aarch64-linux-gnu",
        "arm" => "arm-linux-gnueabihf",
        "s390x" => "s390x-linux-gnu",
        "ppc64le" => "powerpc64le-linux-gnu",
        "riscv64" => "riscv64-linux-gnu",
        "386" => "i386-linux-gnu",
        _ => "x86_64-linux-gnu",
    }
}

/// glibc's default library directories on Debian, in search order.
pub fn default_dirs(arch: &str) -> [&'static str; 4] {
    macro_rules! dirs {
        ($triplet:literal) => {
            [
                concat!("/lib/", $triplet),
                concat!("/usr/lib/", $triplet),
                "/lib",
                "/usr/lib",
            ]
        };
    }
    match multiarch_triplet(arch) {
        "aarch64-linux-gnu" => dirs!("aarch64-linux-gnu"),
        "arm-linux-gnueabihf" => dirs!("arm-linux-gnueabihf"),
        "s390x-linux-gnu" => dirs!("s390x-linux-gnu"),
        "powerpc64le-linux-gnu" => dirs!("powerpc64le-linux-gnu"),
        "riscv64-linux-gnu" => dirs!("riscv64-linux-gnu"),
        "i386-linux-gnu" => dirs!("i386-linux-gnu"),
        _ => dirs!("x86_64-linux-gnu"),
    }
}

/// The value of `$PLATFORM` (the kernel's `AT_PLATFORM`) for an OCI
/// architecture.
fn platform_token(arch: &str) -> &str {
    match arch {
        "amd64" => "x86_64",
        "arm64" => "aarch64",
        "386" => "i686",
        "arm" => "v7l",
        other => other,
    }
}

/// Replace the dynamic string tokens of one search-path entry, anywhere in
/// it: `$ORIGIN`/`${ORIGIN}` by `origin` (the directory of the object whose
/// entry it is), `$LIB`/`${LIB}` by `lib/<triplet>`, `$PLATFORM`/
/// `${PLATFORM}` by the CPU name. Other `$` are kept.
pub fn expand(entry: &str, origin: &str, arch: &str) -> String {
    let lib = format!("lib/{}", multiarch_triplet(arch));
    let tokens = [
        ("ORIGIN", origin),
        ("LIB", lib.as_str()),
        ("PLATFORM", platform_token(arch)),
    ];
    let mut out = String::with_capacity(entry.len());
    let mut rest = entry;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let found = tokens.iter().find_map(|(name, value)| {
            if let Some(tail) = after
                .strip_prefix('{')
                .and_then(|a| a.strip_prefix(name)?.strip_prefix('}'))
            {
                return Some((value, tail));
            }
            let tail = after.strip_prefix(name)?;
            // `$ORIGINAL` is not `$ORIGIN` followed by `AL`.
            (!tail.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')).then_some((value, tail))
        });
        match found {
            Some((value, tail)) => {
                out.push_str(value);
                rest = tail;
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The directory part of a path, as `$ORIGIN` gives it: `/usr/bin` for
/// `/usr/bin/app`, `.` for a bare name.
pub fn origin_of(path: &str) -> &str {
    match path.rsplit_once('/') {
        Some(("", _)) => "/",
        Some((dir, _)) => dir,
        None => ".",
    }
}

/// The directories of `LD_LIBRARY_PATH`'s `value` as glibc's loader reads
/// them (`_dl_init_paths`, `fillin_rpath` in elf/dl-load.c): split at `:`
/// and `;`; `$ORIGIN` (the program's directory, `origin`), `$LIB` and
/// `$PLATFORM` expanded; an empty entry is the working directory `cwd`, a
/// relative one is taken from it. Absolute and normalised, in order; at
/// most `max` of them (the bound is hit when there are more).
pub fn ld_library_path(value: &str, cwd: &str, origin: &str, arch: &str, max: u64) -> Result<Vec<String>, BoundHit> {
    if value.is_empty() {
        return Ok(Vec::new());
    }
    if value
        .split([':', ';'])
        .nth(usize::try_from(max).unwrap_or(usize::MAX))
        .is_some()
    {
        return Err(BoundHit {
            name: "search-path",
            context: "LD_LIBRARY_PATH".into(),
        });
    }
    Ok(value
        .split([':', ';'])
        .map(|entry| {
            let dir = expand(entry, origin, arch);
            let dir = if dir.starts_with('/') {
                dir
            } else {
                format!("{}/{dir}", cwd.trim_end_matches('/'))
            };
            let dir = normalize(&dir);
            if dir.starts_with('/') { dir } else { format!("/{dir}") }
        })
        .collect())
}

/// The path as the kernel resolves `.` and `..` in it (lexically: the
/// roots dlcheck reads resolve links themselves).
pub fn normalize(path: &str) -> String {
    normalized(path).into_owned()
}

/// [`normalize`], borrowing a path that has nothing to resolve.
pub fn normalized(path: &str) -> std::borrow::Cow<'_, str> {
    // Most paths have nothing to resolve: keep them as they are.
    if is_plain(path.as_bytes()) {
        return path.into();
    }
    let mut out = PathBuf::new();
    for c in Path::new(path).components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out.to_string_lossy().into_owned().into()
}

/// Whether `path` is already normal: not empty, no trailing `/`, and no
/// component that is empty (but the first, of an absolute path), `.` or
/// `..`. One pass over the bytes: the loader asks this of every path it
/// tries.
fn is_plain(path: &[u8]) -> bool {
    if path.is_empty() || path.ends_with(b"/") {
        return false;
    }
    let mut start = 0;
    for end in 0..=path.len() {
        if end < path.len() && path[end] != b'/' {
            continue;
        }
        let c = &path[start..end];
        if (c.is_empty() && start != 0) || c == b"." || c == b".." {
            return false;
        }
        start = end + 1;
    }
    true
}

/// One object of a walk: the program, or a library it loaded.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The DT_NEEDED name it was loaded for (for the program: its path).
    pub name: String,
    /// The path the loader opened.
    pub path: String,
    /// The index of the object that needed it first (the program: itself).
    pub needed_by: usize,
    /// What the loader read of it.
    pub object: Arc<Object>,
}

/// A library the loader looked for and did not find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The DT_NEEDED name.
    pub name: String,
    /// The index of the object that needed it.
    pub needed_by: usize,
}

/// What happened, in the order the loader does it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Object `n` of [`Walk::objects`] was loaded.
    Loaded(usize),
    /// A library was not found.
    Missing(Missing),
}

/// A version that an object needs and the library loaded for it lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingVersion {
    /// The index of the object that needs it.
    pub requirer: usize,
    /// The index of the library that lacks it.
    pub library: usize,
    /// The version, `GLIBC_2.34`.
    pub version: String,
}

/// The result of loading a program.
#[derive(Debug, Clone)]
pub struct Walk {
    /// The program (index 0), then each library in the order loaded.
    pub objects: Vec<Loaded>,
    /// Every library found or missing, in the loader's order.
    pub events: Vec<Event>,
    /// Versions not defined by the library found, object by object, each
    /// in DT_VERNEED order (weak needs left out).
    pub missing_versions: Vec<MissingVersion>,
    /// The walk stopped at [`MAX_OBJECTS`].
    pub truncated: bool,
    /// The loader no longer searches `/` (see [`drops_root_dir_after_miss`]).
    pub root_dir_gone: bool,
    /// The walk stopped at one of the root's [`Bounds`].
    pub bound: Option<BoundHit>,
}

impl Walk {
    /// The libraries not found, in order.
    pub fn missing(&self) -> impl Iterator<Item = &Missing> {
        self.events.iter().filter_map(|e| match e {
            Event::Missing(m) => Some(m),
            Event::Loaded(_) => None,
        })
    }

    /// The objects loaded (not the program), in order.
    pub fn libraries(&self) -> &[Loaded] {
        self.objects.get(1..).unwrap_or_default()
    }
}

/// One search path glibc reads for a DT_NEEDED name (see [`search_lists`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum SearchList<'a> {
    /// The DT_RPATH of this object (the needing one or one that loaded it).
    Rpath(&'a Loaded),
    /// `LD_LIBRARY_PATH`.
    LdLibraryPath,
    /// The DT_RUNPATH of the needing object.
    Runpath(&'a Loaded),
}

/// The search paths glibc reads, in its order, for a DT_NEEDED name of
/// object `at` of `objects` (whose `needed_by` links lead to the program
/// at 0): when the object has no DT_RUNPATH, its DT_RPATH, then that of
/// each object that loaded it, up to the program, skipping those with a
/// DT_RUNPATH; then `LD_LIBRARY_PATH`; then its DT_RUNPATH (glibc's
/// `_dl_map_object`; [`search`] appends the cache and the default
/// directories). Each `$ORIGIN` is that of the object the list is from.
pub(crate) fn search_lists(objects: &[Loaded], at: usize) -> Vec<SearchList<'_>> {
    let mut out = Vec::new();
    if objects[at].object.runpath.is_none() {
        let mut l = at;
        // needed_by leads to an earlier object, so this ends; the bound
        // holds against a table made otherwise.
        for _ in 0..=objects.len() {
            let o = &objects[l];
            if o.object.runpath.is_none() && o.object.rpath.is_some() {
                out.push(SearchList::Rpath(o));
            }
            if l == 0 {
                break;
            }
            l = o.needed_by;
        }
    }
    out.push(SearchList::LdLibraryPath);
    if objects[at].object.runpath.is_some() {
        out.push(SearchList::Runpath(&objects[at]));
    }
    out
}

/// The directories searched for a DT_NEEDED name of object `at`, in
/// glibc's order ([`search_lists`]), tokens expanded.
/// Errors: a search path, or all of them, past the root's [`Bounds`].
fn search_dirs(objects: &[Loaded], at: usize, env: &Env<'_>, bounds: Bounds) -> Result<Vec<String>, BoundHit> {
    let mut dirs = Vec::new();
    let add = |list: &Option<String>, o: &Loaded, what: &str, dirs: &mut Vec<String>| {
        let origin = origin_of(&o.path);
        for (n, d) in list
            .iter()
            .flat_map(|l| l.split(':'))
            .filter(|d| !d.is_empty())
            .enumerate()
        {
            if n as u64 >= bounds.search_path {
                return Err(BoundHit {
                    name: "search-path",
                    context: format!("{what} of {}", o.path),
                });
            }
            if dirs.len() as u64 >= bounds.library_dirs {
                return Err(BoundHit {
                    name: "library-dirs",
                    context: format!("the search from {}", objects[at].path),
                });
            }
            dirs.push(expand(d, origin, env.arch));
        }
        Ok(())
    };
    for list in search_lists(objects, at) {
        match list {
            SearchList::Rpath(o) => add(&o.object.rpath, o, "DT_RPATH", &mut dirs)?,
            SearchList::Runpath(o) => add(&o.object.runpath, o, "DT_RUNPATH", &mut dirs)?,
            SearchList::LdLibraryPath => {
                if env.ld_library_path.len() as u64 > bounds.search_path {
                    return Err(BoundHit {
                        name: "search-path",
                        context: "LD_LIBRARY_PATH".into(),
                    });
                }
                dirs.extend(env.ld_library_path.iter().cloned());
            }
        }
    }
    Ok(dirs)
}

/// Where the loader finds `name` for object `at`: the path it opens and
/// what it maps, or `None`. Errors: past the root's [`Bounds`].
/// `root_dir_gone`: the loader no longer searches `/` (see
/// [`drops_root_dir_after_miss`]); set here when a miss there makes it so.
fn search(
    root: &dyn Root,
    objects: &[Loaded],
    at: usize,
    name: &str,
    env: &Env<'_>,
    root_dir_gone: &mut bool,
) -> Result<Option<(String, Arc<Object>)>, BoundHit> {
    if name.contains('/') {
        return Ok(root.object(name).map(|o| (name.to_string(), o)));
    }
    for dir in search_dirs(objects, at, env, root.bounds())? {
        let dir = dir.trim_end_matches('/');
        if dir.is_empty() && *root_dir_gone {
            continue;
        }
        let path = format!("{dir}/{name}");
        if let Some(o) = root.object(&path) {
            return Ok(Some((path, o)));
        }
        if dir.is_empty() && drops_root_dir_after_miss(env.glibc) {
            *root_dir_gone = true;
        }
    }
    Ok(default_search(root, name, env))
}

/// The end of every search: `/etc/ld.so.cache`, then the default
/// directories. One path is built at a time, in place.
fn default_search(root: &dyn Root, name: &str, env: &Env<'_>) -> Option<(String, Arc<Object>)> {
    if let Some(path) = root.cache(name)
        && let Some(o) = root.object(&path)
    {
        return Some((path, o));
    }
    let mut path = String::with_capacity(64);
    for dir in default_dirs(env.arch) {
        path.clear();
        path.push_str(dir);
        path.push('/');
        path.push_str(name);
        if let Some(o) = root.object(&path) {
            return Some((path, o));
        }
    }
    None
}

/// Where `dlopen(name)` called from the C library finds `name`
/// (`LD_LIBRARY_PATH`, the cache, the default directories), or `None`.
pub fn find_dlopen(root: &dyn Root, name: &str, env: &Env<'_>) -> Option<String> {
    env.ld_library_path
        .iter()
        .map(|d| format!("{}/{name}", d.trim_end_matches('/')))
        .chain(root.cache(name))
        .chain(default_dirs(env.arch).iter().map(|d| format!("{d}/{name}")))
        .find(|p| root.object(p).is_some())
}

/// Load `program` (at `path` in `root`, already mapped by the kernel) as
/// glibc's loader would: every DT_NEEDED, breadth first, each library's
/// own DT_NEEDED in turn, then every needed version.
pub fn load(root: &dyn Root, path: &str, program: Arc<Object>, env: &Env<'_>) -> Walk {
    let mut walk = Walk {
        objects: vec![Loaded {
            name: path.to_string(),
            path: path.to_string(),
            needed_by: 0,
            object: program,
        }],
        events: Vec::new(),
        missing_versions: Vec::new(),
        truncated: false,
        root_dir_gone: false,
        bound: None,
    };
    // Each DT_NEEDED name is searched once, the first time it is met.
    let mut seen: HashSet<String> = HashSet::new();
    let mut queue: VecDeque<usize> = VecDeque::from([0]);
    while let Some(at) = queue.pop_front() {
        let object = walk.objects[at].object.clone();
        for name in &object.needed {
            if seen.contains(name.as_str()) {
                continue;
            }
            seen.insert(name.clone());
            let name = name.clone();
            if walk.objects.len() >= MAX_OBJECTS {
                walk.truncated = true;
                break;
            }
            let found = match search(root, &walk.objects, at, &name, env, &mut walk.root_dir_gone) {
                Ok(found) => found,
                Err(hit) => {
                    walk.bound = Some(hit);
                    return walk;
                }
            };
            match found {
                Some((path, object)) => {
                    walk.events.push(Event::Loaded(walk.objects.len()));
                    queue.push_back(walk.objects.len());
                    walk.objects.push(Loaded {
                        name,
                        path,
                        needed_by: at,
                        object,
                    });
                }
                None => walk.events.push(Event::Missing(Missing { name, needed_by: at })),
            }
        }
    }
    walk.missing_versions = check_versions(&walk.objects);
    walk
}

/// Every non-weak version each object needs that the library loaded under
/// that file name does not define (glibc's `_dl_check_map_versions`).
fn check_versions(objects: &[Loaded]) -> Vec<MissingVersion> {
    // Sorted by name; the names of a walk are distinct.
    let mut by_name: Vec<(&str, usize)> = objects
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, o)| (o.name.as_str(), i))
        .collect();
    by_name.sort_unstable();
    let find = |file: &str| {
        by_name
            .binary_search_by(|(n, _)| (*n).cmp(file))
            .ok()
            .map(|at| by_name[at].1)
    };
    let mut out = Vec::new();
    for (requirer, o) in objects.iter().enumerate() {
        // A DT_VERNEED entry lists its versions together: one lookup each.
        let mut last: Option<(&str, Option<usize>)> = None;
        for need in o.object.version_needs.iter().filter(|n| !n.weak) {
            let library = match last {
                Some((file, found)) if file == need.file => found,
                _ => find(&need.file),
            };
            last = Some((&need.file, library));
            let Some(library) = library else {
                continue;
            };
            if !objects[library].object.defines(&need.version) {
                out.push(MissingVersion {
                    requirer,
                    library,
                    version: need.version.clone(),
                });
            }
        }
    }
    out
}

/// A library shipped beside the programs of a set.
#[derive(Debug, Clone)]
pub struct ShippedLibrary {
    /// Where the file is, as the set names it.
    pub path: String,
    /// What the loader reads of it.
    pub object: Arc<Object>,
}

/// Libraries shipped beside the programs of a set (found by a scan, or on
/// disk next to a program), laid over another root: as the loader will see
/// them once the whole tree is copied into the image at the same paths.
/// A library is found under its file name and under its DT_SONAME.
pub struct Shipped<'a> {
    base: &'a dyn Root,
    files: &'a HashMap<String, ShippedLibrary>,
}

impl<'a> Shipped<'a> {
    /// `files`: normalised path (see [`normalize`]) of each shipped library,
    /// and of its DT_SONAME in the same directory, to the library.
    pub fn new(base: &'a dyn Root, files: &'a HashMap<String, ShippedLibrary>) -> Self {
        Shipped { base, files }
    }

    /// The shipped library the loader finds at `path`, if it is one.
    pub fn ships(&self, path: &str) -> Option<&ShippedLibrary> {
        self.files.get(normalized(path).as_ref())
    }
}

impl Root for Shipped<'_> {
    fn interpreter(&self, path: &str) -> Option<String> {
        self.base.interpreter(path)
    }

    fn object(&self, path: &str) -> Option<Arc<Object>> {
        match self.ships(path) {
            Some(l) => Some(l.object.clone()),
            None => self.base.object(path),
        }
    }

    fn cache(&self, soname: &str) -> Option<String> {
        self.base.cache(soname)
    }

    fn bounds(&self) -> Bounds {
        self.base.bounds()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ld_library_path_as_glibc_reads_it() {
        let dirs = |v: &str| ld_library_path(v, "/w", "/usr/local/bin", "amd64", 8).unwrap();
        assert_eq!(dirs(""), Vec::<String>::new());
        assert_eq!(dirs("/opt/b;/opt/a"), ["/opt/b", "/opt/a"]);
        assert_eq!(dirs("/nope:"), ["/nope", "/w"]);
        assert_eq!(dirs("mylib::/x/"), ["/w/mylib", "/w", "/x"]);
        assert_eq!(
            dirs("$ORIGIN/../lib:${ORIGIN}/$LIB"),
            ["/usr/local/lib", "/usr/local/bin/lib/x86_64-linux-gnu"]
        );
        assert_eq!(
            ld_library_path(".:../x", "/", "/", "amd64", 2),
            Ok(vec!["/".into(), "/x".into()])
        );
        assert_eq!(
            ld_library_path("/a;/b:/c", "/", "/", "amd64", 2).map_err(|h| h.name),
            Err("search-path")
        );
    }

    #[test]
    fn tokens_expand_anywhere() {
        assert_eq!(expand("$ORIGIN/../lib", "/opt/app/bin", "amd64"), "/opt/app/bin/../lib");
        assert_eq!(expand("/x/${ORIGIN}/y", "/o", "amd64"), "/x//o/y");
        assert_eq!(
            expand("/usr/$LIB/$PLATFORM", "/o", "amd64"),
            "/usr/lib/x86_64-linux-gnu/x86_64"
        );
        assert_eq!(expand("/usr/${LIB}:", "/o", "arm64"), "/usr/lib/aarch64-linux-gnu:");
        assert_eq!(expand("$ORIGINAL/$HOME/$", "/o", "amd64"), "$ORIGINAL/$HOME/$");
        assert_eq!(origin_of("/app"), "/");
        assert_eq!(origin_of("bin/app"), "bin");
        assert_eq!(normalize("a/bin/../lib/./x"), "a/lib/x");
        for p in [
            "/usr/lib/x",
            "usr//lib/",
            "./a",
            "/a/.",
            "a/..",
            "/",
            ".",
            "/lib/x86_64-linux-gnu/libc.so.6",
            "a//b",
            "//a",
            "a/./b",
            "..",
            "/a/../b",
            "a/.b/..c/...",
            "/.a/b..",
        ] {
            let slow: PathBuf = Path::new(p).components().fold(PathBuf::new(), |mut o, c| {
                match c {
                    Component::ParentDir => {
                        o.pop();
                    }
                    Component::CurDir => {}
                    other => o.push(other),
                }
                o
            });
            assert_eq!(normalize(p), slow.to_string_lossy(), "{p}");
        }
    }
}
