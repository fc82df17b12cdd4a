//! Reading a path into bytes, safely: all filesystem work lives here.
//!
//! The path is `stat`ed before it is opened, so a FIFO (whose open blocks),
//! a socket or a device (which may never end) is refused without being
//! opened. Files up to [`MAP_THRESHOLD`] bytes are read into memory; larger
//! ones are memory-mapped read-only, so a 100 MB Go binary costs page-cache
//! pages, not heap.

pub mod scan;
pub mod sniff;

use std::io::{ErrorKind, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

pub use sniff::{Format, Shebang};

use crate::error::Error;

/// Open `path` for reading without blocking (a FIFO's open would wait for
/// a writer) and without making a terminal the controlling one.
pub(crate) fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

/// Files larger than this (in bytes) are memory-mapped; smaller ones are read.
pub const MAP_THRESHOLD: u64 = 64 << 10;

/// The contents of an input file.
pub enum Bytes {
    /// Read into memory.
    Owned(Vec<u8>),
    /// Mapped read-only.
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Mapped(m) => m,
        }
    }
}

/// Map an I/O error on `path` to dlcheck's error.
pub fn io_error(path: &Path, e: std::io::Error) -> Error {
    match e.kind() {
        ErrorKind::NotFound => Error::NotFound(path.to_path_buf()),
        ErrorKind::PermissionDenied => Error::PermissionDenied(path.to_path_buf()),
        ErrorKind::IsADirectory => Error::IsDirectory(path.to_path_buf(), root_like(path)),
        _ if e.raw_os_error() == Some(libc::ELOOP) => {
            Error::Io("too many levels of symbolic links (a symlink loop?): check where the path points".to_string())
        }
        _ => Error::Io(format!("{e}: check the path and its permissions")),
    }
}

/// Whether the directory `dir` looks like a root file system: `etc/` and
/// `usr/` or `lib/` below it.
fn root_like(dir: &Path) -> bool {
    dir.join("etc").is_dir() && (dir.join("usr").is_dir() || dir.join("lib").is_dir())
}

/// Open and load `path`.
///
/// Errors (all exit 3): [`Error::NotFound`], [`Error::IsDirectory`],
/// [`Error::PermissionDenied`], [`Error::NotRegularFile`] for FIFOs,
/// sockets and devices, [`Error::Io`] otherwise.
pub fn load(path: &Path) -> Result<Bytes, Error> {
    // Open without blocking (a FIFO's open would wait for a writer) and
    // judge the file type from the opened handle, so a path swapped between
    // a check and the open cannot make dlcheck block or read a device.
    let file = open_nonblocking(path).map_err(|e| {
        // open(2) on a socket fails with ENXIO: say what it is.
        if std::fs::metadata(path).is_ok_and(|m| m.file_type().is_socket()) {
            Error::NotRegularFile("a socket")
        } else {
            io_error(path, e)
        }
    })?;
    let meta = file.metadata().map_err(|e| io_error(path, e))?;
    let ft = meta.file_type();
    if ft.is_dir() {
        return Err(Error::IsDirectory(path.to_path_buf(), root_like(path)));
    }
    if !ft.is_file() {
        let what = if ft.is_fifo() {
            "a FIFO"
        } else if ft.is_socket() {
            "a socket"
        } else if ft.is_char_device() {
            "a character device"
        } else if ft.is_block_device() {
            "a block device"
        } else {
            "a special file"
        };
        return Err(Error::NotRegularFile(what));
    }
    let len = meta.len();
    if len > MAP_THRESHOLD {
        // SAFETY: the mapping is read-only and only ever read through `&[u8]`.
        // If another process truncates the file while it is mapped, touching
        // the lost pages raises SIGBUS, which ends dlcheck (the binary's
        // handler says so in one line, exit 3). That risk is accepted for
        // large files, so that a 100 MB binary costs mapped
        // pages rather than heap (README, "Reading files"); small files are
        // read into memory instead, and are immune.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| io_error(path, e))?;
        return Ok(Bytes::Mapped(map));
    }
    // Read at most the threshold plus one byte: a file that grows while it is
    // read is cut there rather than read without bound. /proc files report
    // size 0 and are read this way too.
    let mut buf = Vec::with_capacity(len as usize);
    file.take(MAP_THRESHOLD + 1)
        .read_to_end(&mut buf)
        .map_err(|e| io_error(path, e))?;
    Ok(Bytes::Owned(buf))
}
