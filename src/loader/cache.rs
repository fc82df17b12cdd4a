//! `/etc/ld.so.cache`, glibc's "new format" (`glibc-ld.so.cache1.1`,
//! `elf/cache.c` and `sysdeps/generic/dl-cache.h`): a header of 48 bytes
//! (magic, version, entry count `nlibs` at offset 20, string table size,
//! reserved words), then `nlibs` entries of 24 bytes (`flags`, `key`,
//! `value`, `osversion`, `hwcap`), whose `key` (the soname) and `value`
//! (the path) are offsets of NUL-terminated strings from the start of the
//! new-format header. The old format (`ld.so-1.7.0`) may come first; the
//! new header is found by its magic.

use crate::elf::MAX_NAME;
use crate::endian::{ByteOrder, cstr_at};
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

/// The entries of a cache for `arch`: `(soname, path)` in cache order.
/// Entries whose strings cannot be read, or are longer than
/// [`MAX_NAME`], are skipped; an unknown layout gives
/// no entries.
pub fn parse(bytes: &[u8], arch: &str) -> Vec<(String, String)> {
    let Some(start) = memchr::memmem::find(bytes, MAGIC) else {
        return Vec::new();
    };
    let b = &bytes[start..];
    let le = ByteOrder::Little;
    let Some(n) = le.u32(b, 20) else {
        return Vec::new();
    };
    let want = arch_flag(arch);
    let mut out = Vec::new();
    for i in 0..(n as usize).min(b.len() / 24).min(MAX_ENTRIES) {
        let e = 48 + i * 24;
        let (Some(flags), Some(key), Some(value)) = (le.u32(b, e), le.u32(b, e + 4), le.u32(b, e + 8)) else {
            break;
        };
        if want.is_some_and(|w| flags & 0xff00 != w) {
            continue;
        }
        let s = |o: u32| {
            cstr_at(b, o as usize)
                .filter(|s| s.len() <= MAX_NAME)
                .map(text::from_bytes)
        };
        if let (Some(k), Some(v)) = (s(key), s(value)) {
            out.push((k, v));
        }
    }
    out
}
