//! `/etc/ld.so.cache`, glibc's "new format" (`glibc-ld.so.cache1.1`,
//! `elf/cache.c` and `sysdeps/generic/dl-cache.h`): a header of 48 bytes
//! (magic, version, entry count `nlibs` at offset 20, string table size,
//! reserved words), then `nlibs` entries of 24 bytes (`flags`, `key`,
//! `value`, `osversion`, `hwcap`), whose `key` (the soname) and `value`
//! (the path) are offsets of NUL-terminated strings from the start of the
//! new-format header. The old format (`ld.so-1.7.0`) may come first; the
//! new header is found by its magic.

use std::collections::HashMap;
use std::sync::Arc;

use crate::elf::MAX_NAME;
use crate::endian::{ByteOrder, cstr_within};
use crate::text;

const MAGIC: &[u8] = b"glibc-ld.so.cache1.1";

/// The most entries read: a real cache lists a few thousand libraries.
pub const MAX_ENTRIES: usize = 1 << 16;

/// The `flags` architecture bits of an OCI architecture, when known
/// (glibc's `sysdeps/generic/ldconfig.h`: `FLAG_X8664_LIB64` 0x0300,
/// `FLAG_S390_LIB64` 0x0400, `FLAG_POWERPC_LIB64` 0x0500, `FLAG_ARM_LIBHF`
/// 0x0900, `FLAG_AARCH64_LIB64` 0x0a00, `FLAG_RISCV_FLOAT_ABI_DOUBLE`
/// 0x1000).
fn arch_flag(arch: &str) -> Option<u32> {
    match arch {
        "amd64" => Some(0x0300),
        "s390x" => Some(0x0400),
        "ppc64le" => Some(0x0500),
        "arm" => Some(0x0900),
        "arm64" => Some(0x0a00),
        "riscv64" => Some(0x1000),
        _ => None,
    }
}

/// One entry: the soname and the path it maps to.
pub type Entry = (Arc<str>, Arc<str>);

/// The entries of a cache for `arch`: `(soname, path)` in cache order, at
/// most `max` of them, and whether the cache lists more (a real cache lists
/// a few thousand libraries). Entries whose strings cannot be read, or are
/// longer than [`MAX_NAME`] (searched no further), are skipped; an unknown
/// layout gives no entries. Strings are shared between the entries that
/// point at the same one, so entries cost no more than the cache's bytes.
pub fn parse(bytes: &[u8], arch: &str, max: usize) -> (Vec<Entry>, bool) {
    let Some(start) = memchr::memmem::find(bytes, MAGIC) else {
        return (Vec::new(), false);
    };
    let b = &bytes[start..];
    let le = ByteOrder::Little;
    let Some(n) = le.u32(b, 20) else {
        return (Vec::new(), false);
    };
    let want = arch_flag(arch);
    let mut out = Vec::new();
    let mut strings: HashMap<u32, Option<Arc<str>>> = HashMap::new();
    let listed = (n as usize).min(b.len().saturating_sub(48) / 24);
    for i in 0..listed.min(max) {
        let e = 48 + i * 24;
        let (Some(flags), Some(key), Some(value)) = (le.u32(b, e), le.u32(b, e + 4), le.u32(b, e + 8)) else {
            break;
        };
        if want.is_some_and(|w| flags & 0xff00 != w) {
            continue;
        }
        let mut s = |o: u32| {
            strings
                .entry(o)
                .or_insert_with(|| cstr_within(b, o as usize, MAX_NAME).map(|s| Arc::from(text::from_bytes(s))))
                .clone()
        };
        if let (Some(k), Some(v)) = (s(key), s(value)) {
            out.push((k, v));
        }
    }
    (out, listed > max)
}
