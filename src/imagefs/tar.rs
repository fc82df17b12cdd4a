//! A tar reader with bounds: every name, link target and extended header
//! is read with a size limit, and a member's data is never read unless its
//! consumer asks for it.
//!
//! The formats are those `docker save`, `docker build`, BuildKit, Go's
//! `archive/tar` and Python's `tarfile` write: POSIX ustar (`prefix` +
//! `name`), POSIX.1-2001 pax extended headers (typeflag `x`, records
//! `"LEN key=value\n"`; `path`, `linkpath` and `size` are used; `g` global
//! headers are read and ignored), GNU long names (`L`, `K`) and GNU
//! base-256 sizes. Sources: POSIX.1-2017 `pax`, "ustar Interchange Format"
//! and "pax Header Block"; GNU tar manual, "Basic Tar Format".
//!
//! The `tar` crate reads GNU long names and pax headers of any size into
//! memory (a 512 MiB long name costs 2 GiB), so dlcheck reads them itself.

use std::io;

/// Where a tar stream comes from: bytes in order, which may be skipped.
pub(super) trait Source {
    /// The next bytes of the stream, at most `max` (and at least one),
    /// without copying when possible; empty at the end.
    fn next_slice(&mut self, max: usize) -> io::Result<&[u8]>;
    /// Skip `n` bytes.
    fn skip(&mut self, n: u64) -> io::Result<()>;
    /// Bytes consumed so far.
    fn position(&self) -> u64;
}

/// Fill `buf` from `src`; `Ok(false)` when the stream ends before the
/// first byte, an error when it ends inside.
pub(super) fn read_exact(src: &mut dyn Source, buf: &mut [u8]) -> io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        let s = src.next_slice(buf.len() - got)?;
        if s.is_empty() {
            if got == 0 {
                return Ok(false);
            }
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the tar stream ends inside a block",
            ));
        }
        buf[got..got + s.len()].copy_from_slice(s);
        got += s.len();
    }
    Ok(true)
}

/// What a member is (typeflag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `0`, `\0` or `7`: a regular file.
    File,
    /// `1`: a hard link to an earlier member.
    HardLink,
    /// `2`: a symbolic link.
    Symlink,
    /// `5`: a directory.
    Dir,
    /// `S`: a GNU sparse file (its data is not the file's bytes).
    Sparse,
    /// Devices, FIFOs and anything else.
    Other,
}

/// One member: its name, what it is, and where its data is.
#[derive(Debug, Clone)]
pub(super) struct Member {
    /// The name as stored (after pax `path` or a GNU long name).
    pub name: Vec<u8>,
    /// The link target (hard or symbolic), as stored.
    pub link: Vec<u8>,
    /// What it is.
    pub kind: Kind,
    /// Bytes of data.
    pub size: u64,
    /// Permission bits.
    pub mode: u32,
    /// Offset of its data in the stream.
    pub data: u64,
}

/// Why a tar stream cannot be read.
#[derive(Debug)]
pub(super) enum TarError {
    /// Truncated, corrupt or not tar.
    Corrupt(String),
    /// A name, link target or pax header longer than `name_bytes`.
    NameTooLong,
}

impl From<io::Error> for TarError {
    fn from(e: io::Error) -> Self {
        TarError::Corrupt(e.to_string())
    }
}

fn corrupt<T>(msg: impl Into<String>) -> Result<T, TarError> {
    Err(TarError::Corrupt(msg.into()))
}

/// Reads members one by one; the data of the last one is skipped when the
/// next is asked for, unless the consumer read it.
pub(super) struct Reader<'a> {
    src: &'a mut dyn Source,
    /// The longest name, link or pax header accepted (bytes).
    name_bytes: u64,
    /// Where the data (and padding) of the last member ends.
    next_header: u64,
    /// Headers read (extensions included).
    pub headers: u64,
    done: bool,
}

/// Pending extensions for the next member.
#[derive(Default)]
struct Extensions {
    name: Option<Vec<u8>>,
    link: Option<Vec<u8>>,
    size: Option<u64>,
}

impl<'a> Reader<'a> {
    /// A reader of `src` that refuses names longer than `name_bytes`.
    pub(super) fn new(src: &'a mut dyn Source, name_bytes: u64) -> Self {
        let next_header = src.position();
        Reader {
            src,
            name_bytes,
            next_header,
            headers: 0,
            done: false,
        }
    }

    /// The source, to read the current member's data from.
    pub(super) fn source(&mut self) -> &mut dyn Source {
        self.src
    }

    /// The next member, or `None` after the end-of-archive block (or a
    /// clean end of the stream).
    pub(super) fn next_member(&mut self) -> Result<Option<Member>, TarError> {
        let mut ext = Extensions::default();
        loop {
            if self.done {
                return Ok(None);
            }
            let here = self.src.position();
            if here > self.next_header {
                return corrupt("a member's data was read past its end");
            }
            self.src.skip(self.next_header - here)?;
            let mut block = [0u8; 512];
            if !read_exact(self.src, &mut block)? || block.iter().all(|b| *b == 0) {
                self.done = true;
                return Ok(None);
            }
            self.headers += 1;
            check_sum(&block)?;
            let size = ext.size.take().map_or_else(|| header_size(&block), Ok)?;
            let data = self.src.position();
            self.next_header = data
                .checked_add(size.div_ceil(512) * 512)
                .ok_or_else(|| TarError::Corrupt("a member size overflows".into()))?;
            match block[156] {
                b'L' => ext.name = Some(self.long_name(size)?),
                b'K' => ext.link = Some(self.long_name(size)?),
                b'x' => self.pax(size, Some(&mut ext))?,
                b'g' => self.pax(size, None)?,
                flag => return Ok(Some(self.member(&block, flag, size, data, ext))),
            }
        }
    }

    fn member(&self, block: &[u8; 512], flag: u8, size: u64, data: u64, ext: Extensions) -> Member {
        let kind = match flag {
            b'0' | 0 | b'7' => Kind::File,
            b'1' => Kind::HardLink,
            b'2' => Kind::Symlink,
            b'5' => Kind::Dir,
            b'S' => Kind::Sparse,
            _ => Kind::Other,
        };
        let name = ext.name.unwrap_or_else(|| {
            let name = field(&block[..100]);
            let prefix = field(&block[345..500]);
            if &block[257..263] == b"ustar\0" && !prefix.is_empty() {
                [prefix, b"/", name].concat()
            } else {
                name.to_vec()
            }
        });
        Member {
            name,
            link: ext.link.unwrap_or_else(|| field(&block[157..257]).to_vec()),
            kind,
            // Hard links, links and directories carry no data of their own.
            size: if kind == Kind::File || kind == Kind::Sparse {
                size
            } else {
                0
            },
            mode: octal(&block[100..108]).unwrap_or(0o644) as u32,
            data,
        }
    }

    /// A GNU long name or link: `size` bytes, NUL-terminated.
    fn long_name(&mut self, size: u64) -> Result<Vec<u8>, TarError> {
        if size > self.name_bytes + 1 {
            return Err(TarError::NameTooLong);
        }
        let mut buf = vec![0u8; size as usize];
        if !read_exact(self.src, &mut buf)? && size > 0 {
            return corrupt("the stream ends inside a GNU long name");
        }
        let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
        buf.truncate(end);
        Ok(buf)
    }

    /// A pax extended header of `size` bytes: `path`, `linkpath` and
    /// `size` are kept in `ext` (a global header's are dropped); other
    /// records are skipped without being stored.
    fn pax(&mut self, size: u64, mut ext: Option<&mut Extensions>) -> Result<(), TarError> {
        if size > self.name_bytes.saturating_mul(PAX_PER_NAME) {
            return Err(TarError::NameTooLong);
        }
        let end = self.src.position() + size;
        while self.src.position() < end {
            let (key, len) = self.pax_record_head(end)?;
            let keep = matches!(key.as_slice(), b"path" | b"linkpath" | b"size");
            if !keep || ext.is_none() {
                self.src.skip(len)?;
                continue;
            }
            if len > self.name_bytes + 1 {
                return Err(TarError::NameTooLong);
            }
            let mut value = vec![0u8; len as usize];
            if !read_exact(self.src, &mut value)? || value.pop() != Some(b'\n') {
                return corrupt("a pax record does not end in a newline");
            }
            let e = ext.as_deref_mut().expect("checked above");
            match key.as_slice() {
                b"path" => e.name = Some(value),
                b"linkpath" => e.link = Some(value),
                _ => {
                    let n = std::str::from_utf8(&value).ok().and_then(|s| s.parse::<u64>().ok());
                    e.size = Some(n.ok_or_else(|| TarError::Corrupt("a pax size is not a number".into()))?);
                }
            }
        }
        Ok(())
    }

    /// The head of a pax record, `"LEN key="`: the key, and how many bytes
    /// of the record follow (the value and its newline).
    fn pax_record_head(&mut self, end: u64) -> Result<(Vec<u8>, u64), TarError> {
        let start = self.src.position();
        let mut len: u64 = 0;
        let mut key = Vec::new();
        let mut in_key = false;
        loop {
            let mut b = [0u8];
            if self.src.position() >= end || !read_exact(self.src, &mut b)? {
                return corrupt("a pax record runs past its header");
            }
            match (in_key, b[0]) {
                (false, b'0'..=b'9') if len < u64::MAX / 10 => len = len * 10 + u64::from(b[0] - b'0'),
                (false, b' ') => in_key = true,
                (true, b'=') => break,
                (true, c) if key.len() < 256 => key.push(c),
                _ => return corrupt("a pax record is malformed"),
            }
        }
        let used = self.src.position() - start;
        match len.checked_sub(used) {
            Some(rest) if start + len <= end && rest > 0 => Ok((key, rest)),
            _ => corrupt("a pax record's length is wrong"),
        }
    }
}

/// A pax extended header may hold this many names' worth of records
/// (`path`, `linkpath`, extended attributes ...).
const PAX_PER_NAME: u64 = 64;

/// A NUL-terminated header field.
fn field(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|c| *c == 0).unwrap_or(b.len())]
}

/// An octal header number (spaces and NULs around it allowed).
fn octal(b: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(field(b))
        .ok()?
        .trim_matches(|c| c == ' ' || c == '\0');
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(s, 8).ok()
}

/// The size field: octal, or GNU base-256 when its first byte's high bit
/// is set.
fn header_size(block: &[u8; 512]) -> Result<u64, TarError> {
    let raw = &block[124..136];
    if raw[0] & 0x80 != 0 {
        if raw[0] & 0x40 != 0 || raw[1..4].iter().any(|b| *b != 0) {
            return corrupt("a negative or too large base-256 size");
        }
        return Ok(raw[4..].iter().fold(0u64, |n, b| (n << 8) | u64::from(*b)));
    }
    octal(raw).ok_or_else(|| TarError::Corrupt("a size field is not octal".into()))
}

/// The header checksum: the sum of its bytes with the checksum field read
/// as spaces (unsigned, or signed as some old tars wrote it).
fn check_sum(block: &[u8; 512]) -> Result<(), TarError> {
    let want = octal(&block[148..156]).ok_or_else(|| TarError::Corrupt("not a tar header".into()))?;
    let unsigned: u64 = block
        .iter()
        .enumerate()
        .map(|(i, b)| if (148..156).contains(&i) { 32 } else { u64::from(*b) })
        .sum();
    let signed: i64 = block
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                i64::from(*b as i8)
            }
        })
        .sum();
    if want == unsigned || i64::try_from(want).is_ok_and(|w| w == signed) {
        Ok(())
    } else {
        corrupt("a tar header's checksum is wrong (not a tar stream, or corrupt)")
    }
}

/// A source over a `Read` (a file, a decompressor), skipping by reading.
pub(super) struct ReadSource<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    pos: u64,
}

impl<R: io::Read + io::Seek> ReadSource<R> {
    /// A source that skips by seeking: only the headers are read.
    pub(super) fn seeking(inner: R) -> Self {
        ReadSource {
            inner,
            buf: vec![0; 64 << 10],
            start: 0,
            end: 0,
            pos: 0,
        }
    }
}

impl<R: io::Read + io::Seek> Source for ReadSource<R> {
    fn next_slice(&mut self, max: usize) -> io::Result<&[u8]> {
        if self.start == self.end {
            // Read what is asked (at least a block), not a whole buffer:
            // between headers, the data is sought over.
            let want = max.max(512).min(self.buf.len());
            self.start = 0;
            self.end = self.inner.read(&mut self.buf[..want])?;
        }
        let n = max.min(self.end - self.start);
        let s = &self.buf[self.start..self.start + n];
        self.start += n;
        self.pos += n as u64;
        Ok(s)
    }

    fn skip(&mut self, n: u64) -> io::Result<()> {
        let buffered = ((self.end - self.start) as u64).min(n);
        self.start += buffered as usize;
        self.pos += buffered;
        let rest = n - buffered;
        if rest > 0 {
            let rest = i64::try_from(rest).map_err(|_| io::Error::other("a member size overflows"))?;
            self.inner.seek(io::SeekFrom::Current(rest))?;
            self.pos += rest as u64;
        }
        Ok(())
    }

    fn position(&self) -> u64 {
        self.pos
    }
}
