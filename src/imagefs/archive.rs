//! Where an image's blobs are: the members of a `docker save` or OCI
//! archive (found by reading the archive's tar headers only, seeking over
//! the data), or the files of an OCI layout directory, never anything
//! outside them. Blobs are read as streams, or mapped a range at a time.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::digest::Digest;
use super::tar::{self, Kind, ReadSource, TarError};
use super::{ImageError, Limits, clean, malformed};

/// Where a blob (manifest, config, layer) lives: a range of a file.
#[derive(Debug, Clone)]
pub(super) struct Blob {
    /// The archive, or the layout's blob file.
    pub file: Arc<File>,
    /// Where the blob starts in it.
    pub offset: u64,
    /// Its size.
    pub size: u64,
    /// The digest it must have, when its name or descriptor gives one.
    pub digest: Option<Digest>,
}

impl Blob {
    /// The blob's bytes, as a stream.
    pub(super) fn reader(&self) -> Box<dyn Read + Send> {
        Box::new(self.at())
    }

    /// The blob's bytes, as a stream that can skip by seeking.
    pub(super) fn at(&self) -> At {
        At {
            file: self.file.clone(),
            start: self.offset,
            pos: self.offset,
            end: self.offset + self.size,
        }
    }

    /// Read up to `buf.len()` bytes at `offset` in the blob.
    pub(super) fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.size.saturating_sub(offset);
        let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let mut got = 0;
        while got < n {
            match self.file.read_at(&mut buf[got..n], self.offset + offset + got as u64)? {
                0 => break,
                k => got += k,
            }
        }
        Ok(got)
    }
}

/// A range of a file, read in order with `pread`.
pub(super) struct At {
    file: Arc<File>,
    start: u64,
    pos: u64,
    end: u64,
}

impl std::io::Seek for At {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let pos = match to {
            std::io::SeekFrom::Start(n) => self.start.checked_add(n),
            std::io::SeekFrom::Current(n) => self.pos.checked_add_signed(n),
            std::io::SeekFrom::End(n) => self.end.checked_add_signed(n),
        };
        // Past the end is where a member claims more bytes than there are.
        self.pos = pos
            .filter(|p| *p >= self.start && *p <= self.end)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "unexpected EOF during skip"))?;
        Ok(self.pos - self.start)
    }
}

impl Read for At {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf
            .len()
            .min(usize::try_from(self.end.saturating_sub(self.pos)).unwrap_or(usize::MAX));
        let got = self.file.read_at(&mut buf[..n], self.pos)?;
        self.pos += got as u64;
        Ok(got)
    }
}

/// The blobs of an image: an archive's members or a layout directory's
/// files.
pub(super) struct Store {
    /// The layout directory, for a layout.
    dir: Option<PathBuf>,
    /// The archive, for an archive.
    archive: Option<Arc<File>>,
    /// An archive's members by clean name: offset and size.
    members: BTreeMap<Vec<u8>, (u64, u64)>,
}

impl Store {
    /// Index an archive's members, or take a layout directory as it is.
    pub(super) fn open(path: &Path, limits: &Limits) -> Result<Store, ImageError> {
        if path.is_dir() {
            return Ok(Store {
                dir: Some(path.to_path_buf()),
                archive: None,
                members: BTreeMap::new(),
            });
        }
        let file = File::open(path).map_err(|e| malformed(format!("{e}")))?;
        let members = index_archive(&file, limits)?;
        Ok(Store {
            dir: None,
            archive: Some(Arc::new(file)),
            members,
        })
    }

    /// `docker-archive`, `oci-archive` or `oci-layout`.
    pub(super) fn format(&self) -> &'static str {
        if self.dir.is_some() {
            "oci-layout"
        } else if self.members.contains_key(b"manifest.json".as_slice()) {
            "docker-archive"
        } else {
            "oci-archive"
        }
    }

    /// The blob named `name` (a path inside the archive or layout), with
    /// the digest it must have.
    pub(super) fn blob(&self, name: &str, digest: Option<Digest>) -> Result<Blob, ImageError> {
        let name = clean(name).ok_or_else(|| malformed(format!("the archive names {name:?}, outside itself")))?;
        if let Some(archive) = &self.archive {
            let &(offset, size) = self.members.get(name.as_bytes()).ok_or_else(|| {
                malformed(if name == "index.json" {
                    "neither manifest.json (docker save) nor index.json (OCI) is in the archive: not an image".into()
                } else {
                    format!("the archive has no member {name}")
                })
            })?;
            return Ok(Blob {
                file: archive.clone(),
                offset,
                size,
                digest,
            });
        }
        let path = self.layout_file(&name)?;
        let file = File::open(&path).map_err(|e| malformed(format!("{}: {e}", path.display())))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(Blob {
            file: Arc::new(file),
            offset: 0,
            size,
            digest,
        })
    }

    /// A layout's file: every component must be a real directory or file
    /// (a symbolic link could lead to the host's files).
    fn layout_file(&self, name: &str) -> Result<PathBuf, ImageError> {
        let mut p = self.dir.clone().unwrap_or_default();
        for part in name.split('/') {
            p.push(part);
            match std::fs::symlink_metadata(&p) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(malformed(format!(
                        "the layout's {name} is a symbolic link; refusing to follow it"
                    )));
                }
                Ok(_) => {}
                Err(_) => return Err(malformed(format!("the layout has no {name}"))),
            }
        }
        if !std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_file()) {
            return Err(malformed(format!("the layout's {name} is not a regular file")));
        }
        Ok(p)
    }

    /// The blob a descriptor names by digest (`blobs/<algorithm>/<hex>`),
    /// checked against the descriptor's size.
    pub(super) fn described(&self, digest: &str, size: Option<u64>) -> Result<Blob, ImageError> {
        let d = Digest::parse(digest).map_err(malformed)?;
        let blob = self.blob(&format!("blobs/{}/{}", d.algorithm, d.hex), Some(d))?;
        if let Some(want) = size
            && want != blob.size
        {
            return Err(malformed(format!(
                "blob {digest} is {} bytes, its descriptor says {want}",
                blob.size
            )));
        }
        Ok(blob)
    }

    /// A metadata blob's bytes (at most `limits.metadata_bytes`), checked
    /// against its digest; `what` names it in errors.
    pub(super) fn read(&self, blob: &Blob, what: &str, limits: &Limits) -> Result<Vec<u8>, ImageError> {
        if blob.size > limits.metadata_bytes {
            return Err(ImageError::Limit(limits.exceeded("metadata-bytes", what)));
        }
        let mut out = Vec::with_capacity(blob.size as usize);
        blob.reader()
            .read_to_end(&mut out)
            .map_err(|e| malformed(format!("reading {what}: {e}")))?;
        if let Some(want) = &blob.digest {
            let have = want.of(&out);
            if have != *want {
                return Err(malformed(format!(
                    "{what} is stored as {want} but its digest is {have}"
                )));
            }
        }
        Ok(out)
    }
}

/// Index the members of the outer tar archive by reading its headers and
/// seeking over the data: clean name → (offset, size).
fn index_archive(file: &File, limits: &Limits) -> Result<BTreeMap<Vec<u8>, (u64, u64)>, ImageError> {
    let file_len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut src = ReadSource::seeking(file);
    let mut reader = tar::Reader::new(&mut src, limits.name_bytes);
    let mut out = BTreeMap::new();
    loop {
        let member = match reader.next_member() {
            Ok(Some(m)) => m,
            Ok(None) => break,
            Err(TarError::NameTooLong) => {
                return Err(ImageError::Limit(
                    limits.exceeded("name-bytes", "a member of the archive"),
                ));
            }
            Err(TarError::Corrupt(e)) => {
                return Err(malformed(format!("the archive is truncated or corrupt: {e}")));
            }
        };
        if reader.headers > limits.entries {
            return Err(ImageError::Limit(limits.exceeded("entries", "the archive's members")));
        }
        let shown = crate::text::from_bytes(&member.name);
        // Manifests name members in JSON strings: a name that is not UTF-8
        // can never be one of them.
        let Ok(name) = std::str::from_utf8(&member.name) else {
            continue;
        };
        let Some(name) = clean(name) else {
            return Err(malformed(format!("the archive has a member {shown:?} that leaves it")));
        };
        if member.data.checked_add(member.size).is_none_or(|end| end > file_len) {
            return Err(malformed(format!(
                "member {shown} claims {} bytes, past the end of the archive",
                member.size
            )));
        }
        if member.kind == Kind::File {
            out.insert(name.into_bytes(), (member.data, member.size));
        }
    }
    Ok(out)
}
