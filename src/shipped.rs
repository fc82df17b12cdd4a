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
/// `path` points with `$ORIGIN` entries of the search paths the loader
/// reads for it ([`loader::search_lists`]: its DT_RUNPATH, or its DT_RPATH
/// and those of the objects that loaded it), for its DT_NEEDED names and
/// the names it passes to dlopen, and theirs in turn; only those not
/// already in `shipped`. At most [`MAX_ON_DISK`] paths are tried. Empty for
/// an empty path (bytes given without one).
pub fn on_disk(shipped: &ShippedFiles, path: &str, binary: &Binary) -> ShippedFiles {
    let mut out = ShippedFiles::new();
    if path.is_empty() {
        return out;
    }
    let arch = oci_arch(&binary.elf.machine).to_string();
    let dlopened: Vec<String> = crate::verdict::dlopen_names(binary).map(str::to_string).collect();
    // The objects found, each with the one that needed it, as the loader
    // chains them: a library inherits the DT_RPATH of its loaders.
    let mut objects = vec![loader::Loaded {
        name: path.to_string(),
        path: path.to_string(),
        needed_by: 0,
        object: binary.object.clone(),
    }];
    let mut pending = vec![0];
    let mut looked = 0;
    while let Some(at) = pending.pop() {
        let names = if at == 0 { dlopened.as_slice() } else { &[] };
        for candidate in on_disk_candidates(&objects, at, &arch, names) {
            if shipped.contains_key(&candidate) || out.contains_key(&candidate) {
                continue;
            }
            looked += 1;
            if looked > MAX_ON_DISK {
                return out;
            }
            if let Some((found, soname)) = read_library(Path::new(&candidate)) {
                add(&mut out, &candidate, soname.as_deref(), found.clone());
                pending.push(objects.len());
                objects.push(loader::Loaded {
                    name: candidate.clone(),
                    path: candidate,
                    needed_by: at,
                    object: found,
                });
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

/// The paths where the loader looks for each DT_NEEDED of object `at` of
/// `objects` (and each name in `dlopened`) through the `$ORIGIN` entries of
/// its search paths, normalised. Entries without `$ORIGIN` name places in
/// the image, not beside the file on this machine: they are not read.
fn on_disk_candidates(objects: &[loader::Loaded], at: usize, arch: &str, dlopened: &[String]) -> Vec<String> {
    let dirs: Vec<String> = loader::search_lists(objects, at)
        .into_iter()
        .filter_map(|list| match list {
            loader::SearchList::Rpath(o) => Some((o, o.object.rpath.as_deref()?)),
            loader::SearchList::Runpath(o) => Some((o, o.object.runpath.as_deref()?)),
            loader::SearchList::LdLibraryPath => None,
        })
        .flat_map(|(o, list)| {
            let origin = loader::origin_of(&o.path);
            list.split(':')
                .filter(|d| d.contains("ORIGIN"))
                .map(move |d| loader::expand(d, origin, arch))
        })
        .collect();
    objects[at]
        .object
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
