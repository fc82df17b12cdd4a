//! A root file system on this machine (`--root DIR`): the same questions
//! as of an image, answered from the directory. Paths are components
//! below the root; the caller resolves links inside it ([`super::ImageFs::resolve`]),
//! so nothing outside the root is ever read.

use std::ffi::OsStr;
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::content::{self, Mapped};
use super::{FileNode, ImageError, Node, malformed, show};
use crate::input::sniff::{self, Format};

fn host(root: &Path, path: &[&[u8]]) -> PathBuf {
    let mut p = root.to_path_buf();
    for c in path {
        p.push(OsStr::from_bytes(c));
    }
    p
}

/// The node at `path`, links not followed. A file's id is its inode, so
/// hard links share what is read of them.
pub(super) fn lstat(root: &Path, path: &[&[u8]]) -> Option<Node> {
    let host = host(root, path);
    let meta = std::fs::symlink_metadata(&host).ok()?;
    let ft = meta.file_type();
    Some(if ft.is_symlink() {
        Node::Symlink(std::fs::read_link(&host).ok()?.as_os_str().as_bytes().to_vec())
    } else if ft.is_dir() {
        Node::Dir
    } else if ft.is_file() {
        Node::File(FileNode {
            id: meta.ino(),
            size: meta.len(),
            mode: meta.permissions().mode(),
        })
    } else {
        Node::Special
    })
}

/// Names in the directory at `path`, in byte order.
pub(super) fn list(root: &Path, path: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(host(root, path))
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().as_bytes().to_vec())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn open(root: &Path, path: &[u8]) -> Result<File, ImageError> {
    let parts: Vec<&[u8]> = path.split(|b| *b == b'/').filter(|c| !c.is_empty()).collect();
    crate::input::open_nonblocking(&host(root, &parts)).map_err(|e| malformed(format!("{}: {e}", show(path))))
}

/// The file at `path` (resolved), mapped.
pub(super) fn map(root: &Path, path: &[u8], size: u64) -> Result<Mapped, ImageError> {
    let file = open(root, path)?;
    content::map(&file, 0, size).map_err(|e| malformed(format!("{}: {e}", show(path))))
}

/// A reader of the file at `path` (resolved).
pub(super) fn reader(root: &Path, path: &[u8]) -> Result<super::Read, ImageError> {
    let mut file = open(root, path)?;
    Ok(Box::new(move |buf: &mut [u8]| std::io::Read::read(&mut file, buf)))
}

/// Every regular ELF file below `root` (links not followed), in path
/// order, told by its first bytes.
pub(super) fn elf_files(root: &Path) -> Vec<(Vec<u8>, FileNode)> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
    {
        if !entry.file_type().is_file() || sniff::path(entry.path()) != Some(Format::Elf) {
            continue;
        }
        let (Ok(rel), Ok(meta)) = (entry.path().strip_prefix(root), entry.metadata()) else {
            continue;
        };
        let node = FileNode {
            id: meta.ino(),
            size: meta.len(),
            mode: meta.permissions().mode(),
        };
        out.push((rel.as_os_str().as_bytes().to_vec(), node));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}
