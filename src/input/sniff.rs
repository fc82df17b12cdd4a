//! The one file sniffer: what kind of file a path or a byte buffer holds,
//! from its magic bytes.
//!
//! Sources: the ELF gABI (`\x7fELF`), Apple's `<mach-o/loader.h>` and
//! `<mach-o/fat.h>` (`MH_MAGIC`, `MH_MAGIC_64`, `FAT_MAGIC`), the Microsoft PE
//! format (`MZ`, then `PE\0\0` at the offset stored at 0x3c), and execve(2)
//! for `#!` interpreter lines, POSIX tar (`ustar` at offset 257) and the OCI
//! image layout (a directory with an `oci-layout` file).

use std::io::{ErrorKind, Read};
use std::path::Path;

use serde::Serialize;

use crate::endian::ByteOrder;

/// The kind of file, as reported in the JSON `format` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Starts with `\x7fELF`.
    Elf,
    /// A Mach-O image or a universal ("fat") Mach-O.
    MachO,
    /// A DOS/PE executable (`MZ`).
    Pe,
    /// Starts with `#!`.
    Script,
    /// Zero bytes.
    Empty,
    /// Anything else.
    Unknown,
    /// A container image (archive, OCI layout) or root file system.
    Image,
    /// A Dockerfile (by its name, or its first instruction).
    Dockerfile,
}

/// Classify `bytes` by magic number. Never fails. A tar archive is taken
/// for a container image (`docker save`, OCI archive); whether it is one
/// is for the image reader to say.
pub fn detect(bytes: &[u8]) -> Format {
    if bytes.is_empty() {
        return Format::Empty;
    }
    if bytes.starts_with(b"\x7fELF") {
        return Format::Elf;
    }
    if bytes.starts_with(b"#!") {
        return Format::Script;
    }
    if bytes.get(257..262) == Some(b"ustar") {
        return Format::Image;
    }
    match ByteOrder::Big.u32(bytes, 0) {
        Some(0xfeedface | 0xfeedfacf | 0xcefaedfe | 0xcffaedfe) => return Format::MachO,
        // FAT_MAGIC is shared with Java class files; a fat header's
        // architecture count is small, a class file's version is not.
        Some(0xcafebabe) if ByteOrder::Big.u32(bytes, 4).is_some_and(|n| (1..=32).contains(&n)) => {
            return Format::MachO;
        }
        _ => {}
    }
    // MZ, then e_lfanew (at 0x3c) pointing at the "PE\0\0" signature.
    if bytes.starts_with(b"MZ")
        && let Some(lfanew) = ByteOrder::Little.u32(bytes, 0x3c)
        && bytes.get(lfanew as usize..(lfanew as usize).saturating_add(4)) == Some(b"PE\0\0")
    {
        return Format::Pe;
    }
    Format::Unknown
}

/// How many bytes [`path`] reads: enough for the magics above, and for a PE
/// header pointer in the usual place.
pub const HEAD: usize = 4096;

/// What the file or directory at `path` holds, from its first [`HEAD`]
/// bytes, read without blocking: `Some(Format::Image)` for a tar archive or
/// an OCI layout directory. `None` when it is not a regular file or such a
/// directory, or cannot be read (loading it then reports why).
pub fn path(path: &Path) -> Option<Format> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_dir() {
        return path.join("oci-layout").is_file().then_some(Format::Image);
    }
    let mut file = super::open_nonblocking(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut head = vec![0u8; HEAD];
    let mut got = 0;
    while got < head.len() {
        match file.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(detect(&head[..got]))
}

/// The interpreter command of a `#!` line (for example `/bin/sh` or
/// `/usr/bin/env python3`), with surrounding blanks and a CR before the
/// newline removed. The line is read up to 256 bytes, the limit older
/// kernels applied (BINPRM_BUF_SIZE was 128 before Linux 5.1).
pub fn shebang(bytes: &[u8]) -> Option<Shebang> {
    let rest = bytes.strip_prefix(b"#!")?;
    let rest = &rest[..rest.len().min(256)];
    let line = match memchr::memchr(b'\n', rest) {
        Some(i) => &rest[..i],
        None => rest,
    };
    let crlf = line.ends_with(b"\r");
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let text = crate::text::from_bytes(line).trim().to_string();
    Some(Shebang { command: text, crlf })
}

/// A parsed `#!` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shebang {
    /// The interpreter and its optional argument, as written.
    pub command: String,
    /// The line ends in CR LF: the kernel then looks for an interpreter whose
    /// name ends in `\r`, which exists nowhere, even on a full distribution.
    pub crlf: bool,
}

/// Whether the first 4 KiB of `bytes` read as text (UTF-8): the one
/// test of text, for descriptions and for decisions.
pub fn is_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    // A NUL byte is valid UTF-8 and ASCII, but no text holds one.
    !head.contains(&0) && (std::str::from_utf8(head).is_ok() || head.iter().all(|b| b.is_ascii()))
}

/// A short description of a non-ELF, non-script file for error messages.
pub fn describe_unknown(bytes: &[u8]) -> &'static str {
    let head = &bytes[..bytes.len().min(4096)];
    if head.starts_with(b"!<arch>\n") {
        "an ar archive, such as a static library"
    } else if head.starts_with(&[0x1f, 0x8b]) {
        "gzip data"
    } else if head.starts_with(b"PK\x03\x04") {
        "a zip archive"
    } else if head.starts_with(b"\xca\xfe\xba\xbe") {
        "a Java class file"
    } else if !head.is_empty() && head.iter().all(|&b| b == 0) {
        "all zero bytes, as a copy or download cut short leaves a file"
    } else if is_text(bytes) {
        "text"
    } else {
        "data"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebang_crlf_is_noticed() {
        let s = shebang(b"#!/bin/sh\r\necho hi\r\n").unwrap();
        assert_eq!(s.command, "/bin/sh");
        assert!(s.crlf);
        let s = shebang(b"#! /usr/bin/env python3\nprint()\n").unwrap();
        assert_eq!(s.command, "/usr/bin/env python3");
        assert!(!s.crlf);
    }

    #[test]
    fn zero_bytes_are_not_text() {
        assert!(!is_text(&[0; 100]));
        assert!(describe_unknown(&[0; 100_000]).starts_with("all zero bytes"));
        assert_eq!(describe_unknown(b"hello\0world"), "data");
        assert_eq!(describe_unknown(b"hello world\n"), "text");
    }

    #[test]
    fn mz_text_is_not_pe() {
        assert_eq!(
            detect(b"MZ is the start of this sentence, which is long enough to reach 0x40 bytes."),
            Format::Unknown
        );
    }

    #[test]
    fn java_class_is_not_mach_o() {
        // A class file: magic, minor 0, major 61 (Java 17) => 0x0000003d.
        assert_eq!(detect(b"\xca\xfe\xba\xbe\x00\x00\x00\x3d"), Format::Unknown);
        assert_eq!(detect(b"\xca\xfe\xba\xbe\x00\x00\x00\x02"), Format::MachO);
    }
}
