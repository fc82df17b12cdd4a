//! Streams that cannot be read twice (stdin, the engine's export, a
//! registry's blob) and compressed archives, written to a temporary file in
//! `$TMPDIR` as they arrive: never held whole in memory.
//!
//! Compression is told by its magic bytes, not by a name: gzip `1f 8b`
//! (RFC 1952), zstd `28 b5 2f fd` (RFC 8878).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

use futures_util::{Stream, StreamExt};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::error::Error;
use crate::run::Progress;

/// The most bytes spooled from one source (64 GiB, the per-layer bound of
/// [`crate::imagefs::Limits`]): a decompression bomb on stdin stops here
/// instead of filling the disk.
pub const MAX_SPOOL_BYTES: u64 = 64 << 30;

/// How an archive was compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// gzip (`docker save app | gzip`).
    Gzip,
    /// Zstandard (`docker save app | zstd`).
    Zstd,
}

impl Compression {
    /// `gzip` or `zstd`, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    /// The compression whose magic `head` starts with, if any.
    pub fn detect(head: &[u8]) -> Option<Compression> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Compression::Gzip)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compression::Zstd)
        } else {
            None
        }
    }

    fn decoder<'a>(self, r: impl BufRead + 'a) -> io::Result<Box<dyn Read + 'a>> {
        Ok(match self {
            Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(r)),
            Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(r)?),
        })
    }
}

/// Whether the file at `path` is a gzip- or zstd-compressed tar archive:
/// its magic, then `ustar` at offset 257 of what it inflates to. A file
/// with the magic that does not inflate (cut short, damaged) counts as
/// one: reading it then says why it does not decompress (a malformed
/// image), rather than calling it data that is not ELF.
pub fn compressed_tar(path: &Path) -> Option<Compression> {
    let file = crate::input::open_nonblocking(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut reader = BufReader::new(file);
    let compression = Compression::detect(reader.fill_buf().ok()?)?;
    let mut head = Vec::with_capacity(512);
    let Ok(decoder) = compression.decoder(reader) else {
        return Some(compression);
    };
    if decoder.take(512).read_to_end(&mut head).is_err() {
        return Some(compression);
    }
    (head.get(257..262) == Some(b"ustar")).then_some(compression)
}

/// Counts the bytes read through it, for progress.
struct Counted<'p, R> {
    inner: R,
    done: u64,
    what: &'p str,
    total: Option<u64>,
    progress: &'p dyn Progress,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        self.progress.bytes(self.what, self.done, self.total);
        Ok(n)
    }
}

/// A new temporary file in `$TMPDIR`, removed when dropped.
pub fn temp_file() -> Result<NamedTempFile, Error> {
    tempfile::Builder::new()
        .prefix("dlcheck-")
        .suffix(".tar")
        .tempfile()
        .map_err(|e| {
            Error::Io(format!(
                "cannot make a temporary file in {}: {e}: set TMPDIR to a writable directory with room for the image",
                std::env::temp_dir().display()
            ))
        })
}

/// Copy `reader` (`what`, `total` bytes if known) to a temporary file,
/// decompressing it when it starts with a gzip or zstd magic. Returns the
/// file and the compression found.
pub fn spool(
    reader: impl Read,
    what: &str,
    total: Option<u64>,
    progress: &dyn Progress,
) -> Result<(NamedTempFile, Option<Compression>), Error> {
    let counted = Counted {
        inner: reader,
        done: 0,
        what,
        total,
        progress,
    };
    let mut reader = BufReader::with_capacity(1 << 16, counted);
    let read_error = |e: io::Error| Error::Io(format!("reading {what}: {e}"));
    let compression = Compression::detect(reader.fill_buf().map_err(read_error)?);
    let mut plain: Box<dyn Read> = match compression {
        Some(c) => c.decoder(reader).map_err(read_error)?,
        None => Box::new(reader),
    };
    let mut file = temp_file()?;
    let copied = io::copy(&mut (&mut plain).take(MAX_SPOOL_BYTES + 1), file.as_file_mut()).map_err(|e| {
        if compression.is_some() && e.kind() != io::ErrorKind::BrokenPipe {
            Error::MalformedImage(format!("{what} does not decompress: {e}"))
        } else {
            read_error(e)
        }
    })?;
    if copied > MAX_SPOOL_BYTES {
        return Err(Error::MalformedImage(format!(
            "{what} holds more than {MAX_SPOOL_BYTES} bytes"
        )));
    }
    file.as_file_mut().flush().map_err(read_error)?;
    progress.done();
    Ok((file, compression))
}

/// What a stream of bytes must be: its size and SHA-256, when known.
pub struct Expect<'a> {
    /// Exactly this many bytes (more stops the copy).
    pub size: Option<u64>,
    /// `sha256:<hex>` of the bytes.
    pub digest: Option<&'a str>,
    /// The size shown by the progress bar when `size` is not known.
    pub estimate: Option<u64>,
}

/// Write the chunks of `stream` to `out` as they arrive, checking the size
/// and digest `expect`ed (an error names `what`). `fail` turns a stream
/// error into dlcheck's. Returns the bytes written.
pub async fn stream_to<B: AsRef<[u8]>, E>(
    mut stream: impl Stream<Item = Result<B, E>> + Unpin,
    out: &mut impl Write,
    what: &str,
    expect: Expect<'_>,
    progress: &dyn Progress,
    fail: impl Fn(E) -> Error,
) -> Result<u64, Error> {
    let limit = expect.size.unwrap_or(MAX_SPOOL_BYTES);
    let mut hash = Sha256::new();
    let mut done: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(&fail)?;
        let chunk = chunk.as_ref();
        done += chunk.len() as u64;
        if done > limit {
            return Err(Error::MalformedImage(format!("{what} is larger than {limit} bytes")));
        }
        hash.update(chunk);
        out.write_all(chunk)
            .map_err(|e| Error::Io(format!("writing {what} to {}: {e}", std::env::temp_dir().display())))?;
        progress.bytes(what, done, expect.size.or(expect.estimate));
    }
    out.flush().map_err(|e| Error::Io(format!("writing {what}: {e}")))?;
    progress.done();
    if let Some(size) = expect.size
        && done != size
    {
        return Err(Error::MalformedImage(format!(
            "{what} is {done} bytes, its descriptor says {size}"
        )));
    }
    if let Some(digest) = expect.digest {
        let got = format!("sha256:{}", hex(&hash.finalize()));
        if got != digest {
            return Err(Error::MalformedImage(format!("{what} has digest {got}, not {digest}")));
        }
    }
    Ok(done)
}

/// Lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}
