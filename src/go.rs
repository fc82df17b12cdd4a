//! Go binaries: the build information block and the evidence of cgo.
//!
//! The build information layout follows Go's `debug/buildinfo` package
//! (`src/debug/buildinfo/buildinfo.go`): a 32-byte header that starts with
//! the 14-byte magic `\xff Go buildinf:`, then the pointer size (byte 14)
//! and flags (byte 15: bit 0 big-endian, bit 1 inline strings). Go 1.18 and
//! later store the version and the module information inline after the
//! header as two uvarint-length-prefixed strings; earlier releases store two
//! pointers (at offsets 16 and 16 + pointer size) to Go string headers
//! `{data pointer, length}` in the program's memory. The module information
//! is wrapped in two 16-byte sentinels and holds tab-separated lines (`path`,
//! `mod`, `dep`, `=>`, `build`), as written by `runtime/debug.BuildInfo`.
//!
//! cgo is decided from evidence in the binary, never from the
//! `CGO_ENABLED` setting alone: the runtime/cgo symbols (`_cgo_init`,
//! `x_cgo_init`, `crosscall2` ...) in `.symtab` or `.dynsym`, and a
//! PT_INTERP with DT_NEEDED libraries, which only external (cgo) linking
//! produces.

use std::collections::BTreeMap;

use serde::Serialize;

/// The magic that starts Go's build information block.
pub const BUILDINFO_MAGIC: &[u8] = b"\xff Go buildinf:";

/// C functions of the `runtime/cgo` package (`gcc_*.c`), present in a
/// program only when C code is linked in, so their presence in `.symtab` or
/// `.dynsym` proves cgo. `crosscall2`, `_cgo_panic` and `_cgo_topofstack`
/// are dynamic exports and survive `-ldflags='-s -w'`. Not listed: the
/// runtime's hook variables `_cgo_init`, `_cgo_thread_start` ... which every
/// Go program has (in `.bss`, nil, when cgo is absent).
pub const CGO_SYMBOLS: &[&str] = &[
    "x_cgo_init",
    "crosscall2",
    "_cgo_panic",
    "_cgo_topofstack",
    "_cgo_sys_thread_start",
    "x_cgo_thread_start",
    "x_cgo_notify_runtime_init_done",
    "_cgo_wait_runtime_init_done",
    "_cgo_try_pthread_create",
    "x_cgo_setenv",
    "x_cgo_unsetenv",
    "_cgo_get_context_function",
    "x_cgo_getstackbound",
];

/// The JSON `go` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoFacts {
    /// The Go release that built it (`go1.22.5`), from the build information;
    /// `null` when the block is missing or unreadable.
    pub version: Option<String>,
    /// Whether C code is linked in, decided from evidence (see module docs).
    pub cgo: bool,
    /// The cgo symbols found, in the order of [`CGO_SYMBOLS`].
    pub cgo_symbols: Vec<String>,
    /// The `CGO_ENABLED` build setting as recorded (`"0"`, `"1"`), if any.
    /// It says cgo was allowed, not that it is used.
    pub cgo_enabled_setting: Option<String>,
    /// The main package path (`path` line of the module information).
    pub path: Option<String>,
    /// Build settings from the `build` lines (`-buildmode`, `CGO_ENABLED`,
    /// `GOARCH`, `vcs.revision` ...), key to value.
    pub settings: BTreeMap<String, String>,
}

/// The decoded build information block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildInfo {
    /// Go release, such as `go1.19.8`.
    pub version: String,
    /// The raw module information text (sentinels removed).
    pub modinfo: String,
}

impl BuildInfo {
    /// The `path` line: the main package path.
    pub fn path(&self) -> Option<String> {
        self.lines("path").next().map(str::to_string)
    }

    /// The `build` lines as key → value.
    pub fn settings(&self) -> BTreeMap<String, String> {
        self.lines("build")
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), unquote(v)))
            .collect()
    }

    fn lines<'s>(&'s self, tag: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.modinfo
            .lines()
            .filter_map(move |l| l.strip_prefix(tag)?.strip_prefix('\t'))
    }
}

fn unquote(v: &str) -> String {
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        v[1..v.len() - 1].replace("\\\"", "\"").replace("\\\\", "\\")
    } else {
        v.to_string()
    }
}

/// Read an unsigned LEB128 varint (Go's `binary.Uvarint`).
fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    for (i, &byte) in b.iter().enumerate().take(10) {
        x |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            return Some((x, i + 1));
        }
    }
    None
}

/// Decode the build information block starting at `block` (which begins
/// with [`BUILDINFO_MAGIC`]). `read_mem(addr, len)` returns `len` bytes of
/// the program's memory at virtual address `addr`, for the pre-1.18
/// pointer layout. Every length and pointer is checked; `None` when the
/// block is malformed.
pub fn decode(block: &[u8], read_mem: &dyn Fn(u64, u64) -> Option<Vec<u8>>) -> Option<BuildInfo> {
    let header = block.get(..32)?;
    if !header.starts_with(BUILDINFO_MAGIC) {
        return None;
    }
    let ptr_size = usize::from(header[14]);
    let flags = header[15];
    let (version, modinfo) = if flags & 2 != 0 {
        let mut rest = &block[32..];
        let mut read = || {
            let (len, n) = uvarint(rest)?;
            let len = usize::try_from(len).ok()?;
            let s = rest.get(n..n.checked_add(len)?)?;
            rest = &rest[n + len..];
            Some(s.to_vec())
        };
        (read()?, read()?)
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return None;
        }
        let big = flags & 1 != 0;
        let word = |b: &[u8]| -> Option<u64> {
            let b = b.get(..ptr_size)?;
            Some(match (ptr_size, big) {
                (4, false) => u64::from(u32::from_le_bytes(b.try_into().ok()?)),
                (4, true) => u64::from(u32::from_be_bytes(b.try_into().ok()?)),
                (_, false) => u64::from_le_bytes(b.try_into().ok()?),
                (_, true) => u64::from_be_bytes(b.try_into().ok()?),
            })
        };
        let string_at = |ptr: u64| -> Option<Vec<u8>> {
            let hdr = read_mem(ptr, 2 * ptr_size as u64)?;
            let data = word(&hdr)?;
            let len = word(&hdr[ptr_size..])?;
            // Module information is a few kilobytes; 16 MiB bounds a hostile length.
            if len > 16 << 20 {
                return None;
            }
            read_mem(data, len)
        };
        let v = string_at(word(&header[16..])?)?;
        let m = word(&header[16 + ptr_size..]).and_then(string_at).unwrap_or_default();
        (v, m)
    };
    // The module information is framed by 16-byte sentinels (binary bytes,
    // removed before the text is decoded).
    let modinfo = if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        &modinfo[16..modinfo.len() - 16]
    } else {
        &[][..]
    };
    Some(BuildInfo {
        version: String::from_utf8_lossy(&version).into_owned(),
        modinfo: String::from_utf8_lossy(modinfo).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uvarint_matches_go() {
        assert_eq!(uvarint(&[0x07]), Some((7, 1)));
        assert_eq!(uvarint(&[0x96, 0x01]), Some((150, 2)));
        assert_eq!(uvarint(&[0x80; 11]), None);
    }

    #[test]
    fn inline_block_with_hostile_length_is_rejected() {
        let mut b = BUILDINFO_MAGIC.to_vec();
        b.extend_from_slice(&[8, 2]);
        b.resize(32, 0);
        b.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(decode(&b, &|_, _| None), None);
    }
}
