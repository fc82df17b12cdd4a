//! The libraries shipped beside programs: the shared libraries of a set
//! given together (a scanned release tree, several paths), and those on
//! disk where a program's DT_RUNPATH or DT_RPATH points with `$ORIGIN` (as
//! lddtree finds them). The loader finds them where they lie once the tree
//! is copied into the image at the same paths ([`loader::Shipped`]).

use std::path::Path;
use std::sync::Arc;

use crate::binary::Binary;
use crate::elf::{ElfFile, oci_arch};
use crate::input;
use crate::loader::{self, Object, ShippedLibrary};
use crate::verdict::ShippedFiles;

/// The most libraries looked for on disk for one program: a real
/// application ships dozens.
pub const MAX_ON_DISK: usize = 1024;

/// The libraries on disk where the program (or library) `binary` at
/// `path` points with `$ORIGIN` entries of its DT_RUNPATH or DT_RPATH, for
/// its DT_NEEDED names and the names it passes to dlopen, and theirs in
/// turn; only those not already in `shipped`. At most [`MAX_ON_DISK`]
/// paths are tried. Empty for an empty path (bytes given without one).
pub fn on_disk(shipped: &ShippedFiles, path: &str, binary: &Binary) -> ShippedFiles {
    let mut out = ShippedFiles::new();
    if path.is_empty() {
        return out;
    }
    let arch = oci_arch(&binary.elf.machine).to_string();
    let dlopened: Vec<String> = crate::verdict::dlopen_names(binary).map(str::to_string).collect();
    let mut pending = vec![(path.to_string(), binary.object.clone(), dlopened)];
    let mut looked = 0;
    while let Some((path, object, dlopened)) = pending.pop() {
        for candidate in on_disk_candidates(&path, &object, &arch, &dlopened) {
            if shipped.contains_key(&candidate) || out.contains_key(&candidate) {
                continue;
            }
            looked += 1;
            if looked > MAX_ON_DISK {
                return out;
            }
            if let Some((found, soname)) = read_library(Path::new(&candidate)) {
                add(&mut out, &candidate, soname.as_deref(), found.clone());
                pending.push((candidate, found, Vec::new()));
            }
        }
    }
    out
}

/// A shipped library, under its path and under its soname in the same
/// directory.
pub fn add(out: &mut ShippedFiles, path: &str, soname: Option<&str>, object: Arc<Object>) {
    let library = ShippedLibrary {
        path: loader::normalize(path),
        object,
    };
    if let Some(so) = soname {
        let dir = match loader::origin_of(&library.path) {
            "." => String::new(),
            d => format!("{d}/"),
        };
        out.entry(loader::normalize(&format!("{dir}{so}")))
            .or_insert_with(|| library.clone());
    }
    out.insert(library.path.clone(), library);
}

/// The paths where the loader looks for each DT_NEEDED of the object at
/// `path` (and each name in `dlopened`) through the entries of its
/// DT_RUNPATH (or DT_RPATH) that name `$ORIGIN`, normalised.
fn on_disk_candidates(path: &str, object: &Object, arch: &str, dlopened: &[String]) -> Vec<String> {
    let origin = loader::origin_of(path);
    let list = object.runpath.as_ref().or(object.rpath.as_ref());
    let dirs: Vec<String> = list
        .iter()
        .flat_map(|l| l.split(':'))
        .filter(|d| d.contains("ORIGIN"))
        .map(|d| loader::expand(d, origin, arch))
        .collect();
    object
        .needed
        .iter()
        .chain(dlopened)
        .filter(|n| !n.contains('/'))
        .flat_map(|n| {
            dirs.iter()
                .map(move |d| loader::normalize(&format!("{}/{n}", d.trim_end_matches('/'))))
        })
        .collect()
}

/// The loader's view and the soname of the ELF object at `path` on disk,
/// if it is one (bytes that are no ELF file, or a malformed one, are
/// `None`).
pub(crate) fn read_library(path: &Path) -> Option<(Arc<Object>, Option<String>)> {
    let bytes = input::load(path).ok()?;
    let file = ElfFile::parse(&bytes).ok()?;
    let soname = file.dynamic_strings().ok()?.soname;
    Some((Arc::new(Object::read(&file)), soname))
}
