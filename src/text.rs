//! Text taken from an input file, kept lossless.
//!
//! ELF strings (PT_INTERP, DT_NEEDED, versions), Go build information and
//! `#!` lines are bytes, usually UTF-8 but not always. dlcheck turns them
//! into Rust strings with one reversible rule: valid UTF-8 is kept as it
//! is, except that a backslash is written `\\`, and every byte that is not
//! part of valid UTF-8 is written `\xNN` (two lowercase hex digits). JSON
//! consumers undo it with those two rules; for valid UTF-8 without
//! backslashes, the usual case, the string is the bytes unchanged.

/// Encode `bytes` as described in the module documentation.
pub fn from_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Decode a string made by [`from_bytes`] back into the original bytes.
/// `None` if it is not a valid encoding.
pub fn to_bytes(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.extend_from_slice(&rest.as_bytes()[..i]);
        let esc = &rest[i + 1..];
        if let Some(r) = esc.strip_prefix('\\') {
            out.push(b'\\');
            rest = r;
        } else if let Some(hex) = esc.strip_prefix('x').and_then(|h| h.get(..2)) {
            out.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &esc[3..];
        } else {
            return None;
        }
    }
    out.extend_from_slice(rest.as_bytes());
    Some(out)
}

/// `s`, or its first `max` bytes (at a character boundary) and how long it
/// is, for a message that names a value taken from the input: an error
/// stays one readable line whatever the input holds.
pub fn clipped(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if s.len() <= max {
        return s.into();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &s[..end], s.len()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_any_bytes() {
        for b in [
            &b"libc.so.6"[..],
            b"lib\xffname\xc3",
            b"a\\b",
            b"\\x41",
            "h\u{e9}llo".as_bytes(),
            b"",
        ] {
            let s = from_bytes(b);
            assert_eq!(to_bytes(&s).as_deref(), Some(b), "{s}");
        }
        assert_eq!(from_bytes(b"bad\xffname"), "bad\\xffname");
        assert_eq!(from_bytes(b"libc.so.6"), "libc.so.6");
    }
}
