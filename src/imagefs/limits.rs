//! Bounds on the work an image or a root file system may make dlcheck do,
//! counted in work (bytes decompressed, entries, JSON nodes, links
//! followed, search-path elements), not only in bytes on disk. Each has a
//! name, and `--limit NAME=N` raises it; past one, the input is refused
//! with a one-line "limit exceeded" error (exit 5) that names both.
//!
//! The defaults keep any input within 20 s and 256 MiB on 2 cores
//! (README, "Hostile input") and are far above what real images need.

/// Bounds on what an image may make dlcheck do (see [`LIMITS`] for each
/// one's name, meaning and default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes decompressed from all layers together.
    pub image_bytes: u64,
    /// Bytes decompressed from one layer.
    pub layer_bytes: u64,
    /// Layers in the image (Docker refuses more than 125).
    pub layers: u64,
    /// Tar entries in all layers together, and members of the archive.
    pub entries: u64,
    /// Bytes of one member name or link target (GNU long names, PAX
    /// `path`/`linkpath`), and of one PAX extended header.
    pub name_bytes: u64,
    /// Bytes of one manifest, index or configuration blob.
    pub metadata_bytes: u64,
    /// JSON values (objects, arrays, strings, numbers ...) in one
    /// manifest, index or configuration.
    pub json_nodes: u64,
    /// Distinct manifests and indexes read from an OCI index.
    pub manifests: u64,
    /// Indexes nested inside indexes.
    pub index_depth: u64,
    /// Symbolic links followed to resolve one path (Linux's ELOOP bound).
    pub link_hops: u64,
    /// Components of one path.
    pub path_depth: u64,
    /// Elements of one search path: `PATH`, `LD_LIBRARY_PATH`, DT_RPATH,
    /// DT_RUNPATH.
    pub search_path: u64,
    /// Directories tried for one library (all search paths together).
    pub library_dirs: u64,
    /// Bytes of one file read whole (the entrypoint, `/etc/passwd`).
    pub file_bytes: u64,
    /// Bytes copied out of compressed layers into a temporary file (the
    /// files a verdict needs whole).
    pub spool_bytes: u64,
    /// Entries of `/etc/ld.so.cache` read.
    pub cache_entries: u64,
    /// Bytes of the loader's view of all ELF files together (their
    /// DT_NEEDED, search paths and versions), kept for the walk.
    pub object_bytes: u64,
}

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            image_bytes: 8 * GIB,
            layer_bytes: 8 * GIB,
            layers: 128,
            entries: 1_000_000,
            name_bytes: 4096,
            metadata_bytes: 16 * MIB,
            json_nodes: 200_000,
            manifests: 1024,
            index_depth: 8,
            link_hops: 40,
            path_depth: 256,
            search_path: 1024,
            library_dirs: 4096,
            file_bytes: 4 * GIB,
            spool_bytes: 8 * GIB,
            cache_entries: 65_536,
            object_bytes: 64 * MIB,
        }
    }
}

/// One limit: its name (for `--limit NAME=N`), what it bounds, and where
/// its value lives in [`Limits`].
pub struct LimitInfo {
    /// The name, `image-bytes`.
    pub name: &'static str,
    /// What it bounds, for the error line and the README's table.
    pub what: &'static str,
    /// Its field.
    pub field: fn(&mut Limits) -> &mut u64,
}

/// Every limit, in the README's order.
pub const LIMITS: &[LimitInfo] = &[
    LimitInfo {
        name: "image-bytes",
        what: "bytes decompressed from all layers",
        field: |l| &mut l.image_bytes,
    },
    LimitInfo {
        name: "layer-bytes",
        what: "bytes decompressed from one layer",
        field: |l| &mut l.layer_bytes,
    },
    LimitInfo {
        name: "layers",
        what: "layers in the image",
        field: |l| &mut l.layers,
    },
    LimitInfo {
        name: "entries",
        what: "tar entries in all layers (and archive members)",
        field: |l| &mut l.entries,
    },
    LimitInfo {
        name: "name-bytes",
        what: "bytes of one member name, link target or PAX header",
        field: |l| &mut l.name_bytes,
    },
    LimitInfo {
        name: "metadata-bytes",
        what: "bytes of one manifest, index or config",
        field: |l| &mut l.metadata_bytes,
    },
    LimitInfo {
        name: "json-nodes",
        what: "JSON values in one manifest, index or config",
        field: |l| &mut l.json_nodes,
    },
    LimitInfo {
        name: "manifests",
        what: "manifests and indexes read from an OCI index",
        field: |l| &mut l.manifests,
    },
    LimitInfo {
        name: "index-depth",
        what: "indexes nested in indexes",
        field: |l| &mut l.index_depth,
    },
    LimitInfo {
        name: "link-hops",
        what: "symbolic links followed for one path",
        field: |l| &mut l.link_hops,
    },
    LimitInfo {
        name: "path-depth",
        what: "components of one path",
        field: |l| &mut l.path_depth,
    },
    LimitInfo {
        name: "search-path",
        what: "elements of PATH, LD_LIBRARY_PATH, DT_RPATH or DT_RUNPATH",
        field: |l| &mut l.search_path,
    },
    LimitInfo {
        name: "library-dirs",
        what: "directories tried for one library",
        field: |l| &mut l.library_dirs,
    },
    LimitInfo {
        name: "file-bytes",
        what: "bytes of one file read whole (entrypoint, /etc/passwd)",
        field: |l| &mut l.file_bytes,
    },
    LimitInfo {
        name: "spool-bytes",
        what: "bytes copied out of compressed layers to a temporary file",
        field: |l| &mut l.spool_bytes,
    },
    LimitInfo {
        name: "cache-entries",
        what: "entries of /etc/ld.so.cache",
        field: |l| &mut l.cache_entries,
    },
    LimitInfo {
        name: "object-bytes",
        what: "bytes of the loader's view of all ELF files",
        field: |l| &mut l.object_bytes,
    },
];

impl Limits {
    /// The value of the limit named `name`.
    pub fn get(&self, name: &str) -> Option<u64> {
        let mut copy = *self;
        LIMITS.iter().find(|l| l.name == name).map(|l| *(l.field)(&mut copy))
    }

    /// Set a limit from `NAME=N` (`N` may end in `K`, `M`, `G` or `T`,
    /// powers of 1024). Errors: the text says what is wrong.
    pub fn set(&mut self, assignment: &str) -> Result<(), String> {
        let (name, value) = assignment
            .split_once('=')
            .ok_or_else(|| format!("{assignment:?}: expected NAME=N, such as image-bytes=32G"))?;
        let info = LIMITS.iter().find(|l| l.name == name).ok_or_else(|| {
            let names: Vec<&str> = LIMITS.iter().map(|l| l.name).collect();
            format!("unknown limit {name:?}; the limits are {}", names.join(", "))
        })?;
        *(info.field)(self) =
            parse_size(value).ok_or_else(|| format!("{value:?} is not a number (such as 4096, 64M, 32G)"))?;
        Ok(())
    }
}

/// `4096`, `64K`, `16M`, `32G`, `1T` (powers of 1024).
fn parse_size(s: &str) -> Option<u64> {
    let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, ""),
    };
    let shift = match unit.to_ascii_uppercase().trim_end_matches("IB").trim_end_matches('B') {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(1 << shift)
}

/// A limit was passed: the input asked for more work than allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitExceeded {
    /// The limit's name, `image-bytes`.
    pub name: &'static str,
    /// Its value when it was passed.
    pub value: u64,
    /// What went past it, `layer 2`.
    pub context: String,
}

impl std::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = LIMITS.iter().find(|l| l.name == self.name).map_or("work", |l| l.what);
        write!(
            f,
            "limit exceeded: {}: more than {} {what} ({}); raise it with --limit {}=N if the input is trusted",
            self.context, self.value, self.name, self.name
        )
    }
}

impl Limits {
    /// The error for passing the limit `name` in `context`.
    pub fn exceeded(&self, name: &'static str, context: impl Into<String>) -> LimitExceeded {
        LimitExceeded {
            name,
            value: self.get(name).unwrap_or(0),
            context: context.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_named_and_set() {
        let mut l = Limits::default();
        l.set("image-bytes=32G").unwrap();
        assert_eq!(l.image_bytes, 32 << 30);
        l.set("entries=5").unwrap();
        assert_eq!(l.get("entries"), Some(5));
        assert!(l.set("bogus=1").unwrap_err().contains("image-bytes"));
        assert!(l.set("entries=lots").is_err());
        assert_eq!(parse_size("64MiB"), Some(64 << 20));
        let e = l.exceeded("entries", "layer 3");
        assert_eq!(
            e.to_string(),
            "limit exceeded: layer 3: more than 5 tar entries in all layers (and archive members) (entries); raise it with --limit entries=N if the input is trusted"
        );
        let mut seen = std::collections::BTreeSet::new();
        assert!(LIMITS.iter().all(|l| seen.insert(l.name)));
    }
}
