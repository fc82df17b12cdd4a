//! The one reader of integers and strings in byte buffers, for every parser
//! in dlcheck: ELF tables, Go's build information and function table,
//! Mach-O load commands, PE headers and glibc's `ld.so.cache`.
//!
//! Every read is bounded: an offset outside the buffer gives `None`, never a
//! panic, so a hostile size or offset field cannot crash a parser.

/// A byte order: ELF's `EI_DATA`, the flag bit of Go's build information,
/// the magic of a Go function table or a Mach-O header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ByteOrder {
    /// Least significant byte first (`ELFDATA2LSB`).
    #[default]
    Little,
    /// Most significant byte first (`ELFDATA2MSB`).
    Big,
}

impl ByteOrder {
    /// The `N` bytes at `off`, if they are inside `b`.
    fn array<const N: usize>(b: &[u8], off: usize) -> Option<[u8; N]> {
        b.get(off..off.checked_add(N)?)?.try_into().ok()
    }

    /// The 16-bit integer at `off`.
    pub fn u16(self, b: &[u8], off: usize) -> Option<u16> {
        let a = Self::array(b, off)?;
        Some(match self {
            ByteOrder::Little => u16::from_le_bytes(a),
            ByteOrder::Big => u16::from_be_bytes(a),
        })
    }

    /// The 32-bit integer at `off`.
    pub fn u32(self, b: &[u8], off: usize) -> Option<u32> {
        let a = Self::array(b, off)?;
        Some(match self {
            ByteOrder::Little => u32::from_le_bytes(a),
            ByteOrder::Big => u32::from_be_bytes(a),
        })
    }

    /// The 64-bit integer at `off`.
    pub fn u64(self, b: &[u8], off: usize) -> Option<u64> {
        let a = Self::array(b, off)?;
        Some(match self {
            ByteOrder::Little => u64::from_le_bytes(a),
            ByteOrder::Big => u64::from_be_bytes(a),
        })
    }

    /// A pointer-sized word at `off`: `size` is 4 or 8 bytes (anything else
    /// gives `None`).
    pub fn word(self, b: &[u8], off: usize, size: usize) -> Option<u64> {
        match size {
            4 => self.u32(b, off).map(u64::from),
            8 => self.u64(b, off),
            _ => None,
        }
    }
}

/// The NUL-terminated string starting at `off` in `table`, without the NUL;
/// `None` if `off` is outside the table or no NUL follows inside it.
pub fn cstr_at(table: &[u8], off: usize) -> Option<&[u8]> {
    let rest = table.get(off..)?;
    let end = memchr::memchr(0, rest)?;
    Some(&rest[..end])
}

/// The NUL-terminated string at `off` in `table`, if its NUL lies within
/// `max` bytes: a hostile table whose strings never end costs `max` bytes
/// of search per name, not the table's length.
pub fn cstr_within(table: &[u8], off: usize, max: usize) -> Option<&[u8]> {
    let rest = table.get(off..)?;
    let window = &rest[..rest.len().min(max.saturating_add(1))];
    let end = memchr::memchr(0, window)?;
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_orders_and_stays_in_bounds() {
        let b = [1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(ByteOrder::Little.u16(&b, 0), Some(0x0201));
        assert_eq!(ByteOrder::Big.u32(&b, 0), Some(0x0102_0304));
        assert_eq!(ByteOrder::Little.word(&b, 0, 8), Some(0x0807_0605_0403_0201));
        assert_eq!(ByteOrder::Little.u32(&b, 5), None);
        assert_eq!(ByteOrder::Little.u32(&b, usize::MAX), None);
        assert_eq!(ByteOrder::Little.word(&b, 0, 2), None);
        assert_eq!(cstr_at(b"ab\0cd", 0), Some(&b"ab"[..]));
        assert_eq!(cstr_at(b"ab\0cd", 3), None);
        assert_eq!(cstr_within(b"abc\0", 0, 3), Some(&b"abc"[..]));
        assert_eq!(cstr_within(b"abcd\0", 0, 3), None);
    }
}
