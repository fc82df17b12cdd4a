//! Building container images in tests (tests/hostile_images.rs and
//! examples/hostile-images.rs). Layers are tar streams written through a
//! compressor into a file as they are generated, hashed on the way, so a
//! layer that decompresses to gigabytes costs megabytes on disk; archives
//! around them are `docker save` or OCI image layouts with correct digests,
//! unless a test changes them on purpose. An uncompressed member's runs of
//! zeros are left as holes in the archive file.
//!
//! The real parts are real: the distroless cc-debian12 base layer of the
//! committed testdata/images/docker-cc12.tar, and the programs and
//! libraries of testdata/hostile/ (testdata/hostile/build.sh).

#![allow(dead_code)]

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};

/// One run of dlcheck: exit status, output, wall time, peak RSS (MiB).
pub struct Run {
    /// Exit status (-1: killed).
    pub status: i32,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: String,
    /// Wall time.
    pub time: Duration,
    /// Peak RSS, MiB.
    pub rss_mib: u64,
}

impl Run {
    /// Standard output as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout).expect("JSON")
    }
}

/// Run `exe` with `args` under GNU time (`/usr/bin/time`, Debian's `time`
/// package), which reports its peak RSS. (A process cannot ask the kernel
/// for its child's: a child inherits its parent's high-water mark.)
pub fn measure(exe: &Path, args: &[&str]) -> Run {
    let time = Path::new("/usr/bin/time");
    assert!(
        time.exists(),
        "peak RSS is measured with /usr/bin/time: apt-get install -y time"
    );
    let stats = tempfile::NamedTempFile::new().unwrap();
    let start = Instant::now();
    let out = Command::new(time)
        .args(["-f", "%M", "-o"])
        .arg(stats.path())
        .arg(exe)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let took = start.elapsed();
    let kib: u64 = std::fs::read_to_string(stats.path())
        .unwrap()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("GNU time's %M");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        time: took,
        rss_mib: kib / 1024,
    }
}

/// How a layer is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compress {
    /// A plain tar stream.
    None,
    /// gzip.
    Gzip,
    /// zstd.
    Zstd,
}

/// A layer written to a file.
#[derive(Debug, Clone)]
pub struct Layer {
    /// Its stored bytes.
    pub path: PathBuf,
    /// `sha256:` of its tar stream.
    pub diff_id: String,
    /// `sha256:` of its stored bytes.
    pub digest: String,
    /// Stored size.
    pub size: u64,
    /// How it is stored.
    pub compress: Compress,
}

/// A file that hashes what is written to it.
struct Hashed {
    file: File,
    hash: Sha256,
    size: u64,
}

impl Write for Hashed {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(b)?;
        self.hash.update(&b[..n]);
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

fn hex(d: impl AsRef<[u8]>) -> String {
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A compressor fed chunks; `None` finishes it and gives the file back.
type Sink = Box<dyn FnMut(Option<&[u8]>) -> std::io::Result<Option<Hashed>>>;

/// A layer's tar stream being written.
pub struct LayerWriter {
    out: Sink,
    diff: Sha256,
    path: PathBuf,
    compress: Compress,
}

impl LayerWriter {
    /// A layer stored as `path`.
    pub fn new(path: &Path, compress: Compress) -> LayerWriter {
        let hashed = Hashed {
            file: File::create(path).unwrap(),
            hash: Sha256::new(),
            size: 0,
        };
        let out: Sink = match compress {
            Compress::None => {
                let mut w = Some(hashed);
                Box::new(move |b| match b {
                    Some(b) => w.as_mut().unwrap().write_all(b).map(|()| None),
                    None => Ok(w.take()),
                })
            }
            Compress::Gzip => {
                let mut w = Some(flate2::write::GzEncoder::new(hashed, flate2::Compression::fast()));
                Box::new(move |b| match b {
                    Some(b) => w.as_mut().unwrap().write_all(b).map(|()| None),
                    None => w.take().unwrap().finish().map(Some),
                })
            }
            Compress::Zstd => {
                let mut w = Some(zstd::stream::write::Encoder::new(hashed, 1).unwrap());
                Box::new(move |b| match b {
                    Some(b) => w.as_mut().unwrap().write_all(b).map(|()| None),
                    None => w.take().unwrap().finish().map(Some),
                })
            }
        };
        LayerWriter {
            out,
            diff: Sha256::new(),
            path: path.to_path_buf(),
            compress,
        }
    }

    /// Raw bytes of the tar stream.
    pub fn raw(&mut self, b: &[u8]) {
        self.diff.update(b);
        (self.out)(Some(b)).unwrap();
    }

    /// `n` zero bytes.
    pub fn zeros(&mut self, mut n: u64) {
        let block = vec![0u8; 1 << 20];
        while n > 0 {
            let k = n.min(block.len() as u64) as usize;
            self.raw(&block[..k]);
            n -= k as u64;
        }
    }

    /// Pad the stream to a 512-byte block after `size` bytes of data.
    pub fn pad(&mut self, size: u64) {
        let rest = (512 - size % 512) % 512;
        self.zeros(rest);
    }

    /// A ustar header: `name` (at most 100 bytes here), typeflag, size,
    /// link target, mode.
    pub fn header(&mut self, name: &[u8], flag: u8, size: u64, link: &[u8], mode: u32) {
        let mut h = [0u8; 512];
        h[..name.len().min(100)].copy_from_slice(&name[..name.len().min(100)]);
        h[100..107].copy_from_slice(format!("{mode:07o}").as_bytes());
        h[108..115].copy_from_slice(b"0000000");
        h[116..123].copy_from_slice(b"0000000");
        if size < 0o77777777777 {
            h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        } else {
            h[124] = 0x80;
            h[128..136].copy_from_slice(&size.to_be_bytes());
        }
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = flag;
        h[157..157 + link.len().min(100)].copy_from_slice(&link[..link.len().min(100)]);
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        self.raw(&h);
    }

    /// A member with `data`; names over 100 bytes get a GNU long name.
    pub fn entry(&mut self, name: &[u8], flag: u8, data: &[u8], link: &[u8], mode: u32) {
        if name.len() > 100 {
            let mut long = name.to_vec();
            long.push(0);
            self.header(b"././@LongLink", b'L', long.len() as u64, b"", 0o644);
            self.raw(&long);
            self.pad(long.len() as u64);
        }
        self.header(name, flag, data.len() as u64, link, mode);
        self.raw(data);
        self.pad(data.len() as u64);
    }

    /// A regular file.
    pub fn file(&mut self, name: &str, data: &[u8], mode: u32) {
        self.entry(name.as_bytes(), b'0', data, b"", mode);
    }

    /// A regular file of `data` followed by `zeros` zero bytes.
    pub fn padded_file(&mut self, name: &str, data: &[u8], zeros: u64, mode: u32) {
        let size = data.len() as u64 + zeros;
        self.header(name.as_bytes(), b'0', size, b"", mode);
        self.raw(data);
        self.zeros(zeros);
        self.pad(size);
    }

    /// A directory.
    pub fn dir(&mut self, name: &str) {
        self.entry(name.as_bytes(), b'5', b"", b"", 0o755);
    }

    /// A symbolic link.
    pub fn symlink(&mut self, name: &str, target: &str) {
        self.entry(name.as_bytes(), b'2', b"", target.as_bytes(), 0o777);
    }

    /// A pax extended header with `records` (key, value).
    pub fn pax(&mut self, records: &[(&str, &[u8])]) {
        let mut data = Vec::new();
        for (k, v) in records {
            let body = 1 + k.len() + 1 + v.len() + 1;
            let mut len = body + 1;
            while format!("{len}").len() + body != len {
                len = format!("{len}").len() + body;
            }
            data.extend_from_slice(format!("{len} {k}=").as_bytes());
            data.extend_from_slice(v);
            data.push(b'\n');
        }
        self.entry(b"./PaxHeaders/x", b'x', &data, b"", 0o644);
    }

    /// End the stream and store it.
    pub fn finish(mut self) -> Layer {
        self.zeros(1024);
        let hashed = (self.out)(None).unwrap().unwrap();
        Layer {
            path: self.path,
            diff_id: format!("sha256:{}", hex(self.diff.finalize())),
            digest: format!("sha256:{}", hex(hashed.hash.finalize())),
            size: hashed.size,
            compress: self.compress,
        }
    }
}

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// A fixture of testdata/hostile.
pub fn hostile(name: &str) -> Vec<u8> {
    std::fs::read(repo().join("testdata/hostile").join(name)).unwrap()
}

/// The distroless cc-debian12 base layer of testdata/images/docker-cc12.tar
/// (gzip), copied into `dir`.
pub fn base_layer(dir: &Path) -> Layer {
    let mut outer = tar::Archive::new(File::open(repo().join("testdata/images/docker-cc12.tar")).unwrap());
    let mut stored = Vec::new();
    for e in outer.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        if name.starts_with("2e9010e0") && name.ends_with("layer.tar") {
            e.read_to_end(&mut stored).unwrap();
        }
    }
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&stored[..])
        .read_to_end(&mut plain)
        .unwrap();
    let path = dir.join("base.tar.gz");
    std::fs::write(&path, &stored).unwrap();
    Layer {
        path,
        diff_id: format!("sha256:{}", hex(Sha256::digest(&plain))),
        digest: format!("sha256:{}", hex(Sha256::digest(&stored))),
        size: stored.len() as u64,
        compress: Compress::Gzip,
    }
}

/// A layer holding `files` (name, bytes, mode) and `links` (name, target).
pub fn layer(dir: &Path, name: &str, z: Compress, files: &[(&str, &[u8])], links: &[(&str, &str)]) -> Layer {
    let mut w = LayerWriter::new(&dir.join(name), z);
    for (n, t) in links {
        w.symlink(n, t);
    }
    for (n, b) in files {
        w.file(n, b, 0o755);
    }
    w.finish()
}

/// The cc-debian12 base with `top` over it, `cfg` as its config, as a
/// docker save archive.
pub fn image(dir: &Path, top: &[&Layer], cfg: Value) -> String {
    let base = base_layer(dir);
    let mut layers = vec![&base];
    layers.extend_from_slice(top);
    let out = dir.join("image.tar");
    docker_save(&out, &layers, &config(cfg, &layers));
    out.to_string_lossy().into_owned()
}

/// An image configuration: `config` fields (Entrypoint, User, Env ...)
/// and the layers' diff_ids.
pub fn config(config: serde_json::Value, layers: &[&Layer]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>()},
    }))
    .unwrap()
}

/// A member of an outer archive: bytes, or a file's contents.
pub enum Member {
    /// These bytes.
    Bytes(Vec<u8>),
    /// The file at this path.
    File(PathBuf),
}

/// Write a tar of `members`; runs of zeros in files become holes.
pub fn outer(out: &Path, members: &[(String, Member)]) {
    let mut f = File::create(out).unwrap();
    let mut end = 0u64;
    for (name, m) in members {
        let size = match m {
            Member::Bytes(b) => b.len() as u64,
            Member::File(p) => std::fs::metadata(p).unwrap().len(),
        };
        let mut h = tar::Header::new_gnu();
        h.set_path(name).unwrap();
        h.set_size(size);
        h.set_mode(0o644);
        h.set_cksum();
        f.write_all(h.as_bytes()).unwrap();
        match m {
            Member::Bytes(b) => f.write_all(b).unwrap(),
            Member::File(p) => copy_sparse(&mut File::open(p).unwrap(), &mut f),
        }
        let padded = size.div_ceil(512) * 512;
        f.seek(SeekFrom::Current((padded - size) as i64)).unwrap();
        end = f.stream_position().unwrap();
    }
    f.seek(SeekFrom::Start(end)).unwrap();
    f.write_all(&[0u8; 1024]).unwrap();
}

fn copy_sparse(from: &mut File, to: &mut File) {
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = from.read(&mut buf).unwrap();
        if n == 0 {
            return;
        }
        if buf[..n].iter().all(|b| *b == 0) {
            to.seek(SeekFrom::Current(n as i64)).unwrap();
        } else {
            to.write_all(&buf[..n]).unwrap();
        }
    }
}

/// A `docker save` archive (Docker 25+ `blobs/` layout) of `layers` (in
/// that order, repeats allowed) and `config`.
pub fn docker_save(out: &Path, layers: &[&Layer], config: &[u8]) {
    let cfg = format!("blobs/sha256/{}", hex(Sha256::digest(config)));
    let names: Vec<String> = layers
        .iter()
        .map(|l| format!("blobs/sha256/{}", &l.digest[7..]))
        .collect();
    let manifest = serde_json::json!([{"Config": cfg, "RepoTags": ["hostile:latest"], "Layers": names}]);
    let mut members = vec![
        (
            "manifest.json".to_string(),
            Member::Bytes(serde_json::to_vec(&manifest).unwrap()),
        ),
        (cfg, Member::Bytes(config.to_vec())),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (l, name) in layers.iter().zip(names) {
        if seen.insert(name.clone()) {
            members.push((name, Member::File(l.path.clone())));
        }
    }
    outer(out, &members);
}

/// A descriptor of `bytes` with `media` type.
pub fn descriptor(media: &str, bytes: &[u8]) -> serde_json::Value {
    serde_json::json!({"mediaType": media, "digest": format!("sha256:{}", hex(Sha256::digest(bytes))), "size": bytes.len()})
}

/// An OCI image-layout archive of `layers` and `config`, with a one-image
/// index (or `index` instead); `extra` blobs are added as they are.
pub fn oci_archive(out: &Path, layers: &[&Layer], config: &[u8], index: Option<Vec<u8>>, extra: Vec<(String, Member)>) {
    let media = |l: &Layer| match l.compress {
        Compress::None => "application/vnd.oci.image.layer.v1.tar",
        Compress::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
        Compress::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
    };
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", config),
        "layers": layers.iter().map(|l| serde_json::json!({"mediaType": media(l), "digest": l.digest, "size": l.size})).collect::<Vec<_>>(),
    }))
    .unwrap();
    let mut m = descriptor("application/vnd.oci.image.manifest.v1+json", &manifest);
    m["platform"] = serde_json::json!({"os": "linux", "architecture": "amd64"});
    let index = index
        .unwrap_or_else(|| serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "manifests": [m]})).unwrap());
    let blob = |b: &[u8]| format!("blobs/sha256/{}", hex(Sha256::digest(b)));
    let mut members = vec![
        (
            "oci-layout".to_string(),
            Member::Bytes(br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec()),
        ),
        ("index.json".to_string(), Member::Bytes(index)),
        (blob(&manifest), Member::Bytes(manifest.clone())),
        (blob(config), Member::Bytes(config.to_vec())),
    ];
    for l in layers {
        members.push((format!("blobs/sha256/{}", &l.digest[7..]), Member::File(l.path.clone())));
    }
    members.extend(extra);
    outer(out, &members);
}

/// The manifest blob `oci_archive` writes for `layers` and `config`: its
/// bytes, for building indexes around it.
pub fn hex_sha256(b: &[u8]) -> String {
    hex(Sha256::digest(b))
}

/// ELF64 little-endian fields, for patching the x86_64 fixtures.
pub mod elf64 {
    fn u64_at(b: &[u8], off: usize) -> u64 {
        u64::from_le_bytes(b[off..off + 8].try_into().unwrap())
    }
    fn put(b: &mut [u8], off: usize, v: u64) {
        b[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }

    /// Offsets of the program headers.
    fn phdrs(b: &[u8]) -> Vec<usize> {
        let phoff = u64_at(b, 0x20) as usize;
        let phnum = u16::from_le_bytes([b[0x38], b[0x39]]) as usize;
        (0..phnum).map(|i| phoff + i * 56).collect()
    }

    /// The offset of the `d_val` of the first dynamic entry tagged `tag`.
    pub fn dyn_slot(b: &[u8], tag: u64) -> Option<usize> {
        let dynamic = phdrs(b)
            .into_iter()
            .find(|&p| u32::from_le_bytes(b[p..p + 4].try_into().unwrap()) == 2)?;
        let (off, size) = (u64_at(b, dynamic + 8) as usize, u64_at(b, dynamic + 32) as usize);
        (off..off + size)
            .step_by(16)
            .find(|&e| u64_at(b, e) == tag)
            .map(|e| e + 8)
    }

    /// The value of dynamic entry `tag`.
    pub fn dyn_get(b: &[u8], tag: u64) -> u64 {
        u64_at(b, dyn_slot(b, tag).unwrap())
    }

    /// Set dynamic entry `tag` to `v`.
    pub fn dyn_set(b: &mut [u8], tag: u64, v: u64) {
        let slot = dyn_slot(b, tag).unwrap();
        put(b, slot, v);
    }

    /// The file offset of virtual address `vaddr`.
    pub fn offset_of(b: &[u8], vaddr: u64) -> u64 {
        for p in phdrs(b) {
            let (ty, off, va, filesz) = (
                u32::from_le_bytes(b[p..p + 4].try_into().unwrap()),
                u64_at(b, p + 8),
                u64_at(b, p + 16),
                u64_at(b, p + 32),
            );
            if ty == 1 && vaddr >= va && vaddr < va + filesz {
                return off + (vaddr - va);
            }
        }
        panic!("{vaddr:#x} is not loaded");
    }

    /// Append `data` (8-aligned) and extend the last PT_LOAD's file-backed
    /// part over it: its file offset and virtual address.
    pub fn append_loaded(b: &mut Vec<u8>, data: &[u8]) -> (u64, u64) {
        b.resize(b.len().div_ceil(8) * 8, 0);
        let off = b.len() as u64;
        b.extend_from_slice(data);
        let load = phdrs(b)
            .into_iter()
            .filter(|&p| u32::from_le_bytes(b[p..p + 4].try_into().unwrap()) == 1)
            .max_by_key(|&p| u64_at(b, p + 8))
            .unwrap();
        let (p_off, p_va) = (u64_at(b, load + 8), u64_at(b, load + 16));
        let filesz = b.len() as u64 - p_off;
        put(b, load + 32, filesz);
        if u64_at(b, load + 40) < filesz {
            put(b, load + 40, filesz);
        }
        (off, p_va + (off - p_off))
    }

    /// Append `s` and a NUL, reachable from DT_STRTAB: its string offset.
    pub fn append_string(b: &mut Vec<u8>, s: &[u8]) -> u64 {
        let strtab = offset_of(b, dyn_get(b, 5));
        let at = b.len() as u64;
        b.extend_from_slice(s);
        b.push(0);
        let size = b.len() as u64 - strtab;
        dyn_set(b, 10, size); // DT_STRSZ
        at - strtab
    }
}

/// The cc-debian12 base and a gzip layer holding testdata/bin/c-static as
/// `/app`.
pub fn static_app(dir: &Path) -> (Layer, Layer) {
    let program = std::fs::read(repo().join("testdata/bin/c-static")).unwrap();
    (
        base_layer(dir),
        layer(dir, "app.gz", Compress::Gzip, &[("app", &program)], &[]),
    )
}

/// A gzip layer of 1,000 empty files, each named by a 1 MiB pax `path`.
pub fn pax_paths(path: &Path) -> Layer {
    let mut w = LayerWriter::new(path, Compress::Gzip);
    for i in 0..1000 {
        let mut name = vec![b'a'; 1 << 20];
        name.extend_from_slice(format!("{i}").as_bytes());
        w.pax(&[("path", &name)]);
        w.file("x", b"", 0o644);
    }
    w.finish()
}

/// Write `good` again as `out`, with `edit` applied to the members `pick`
/// chooses (by name and bytes).
pub fn tamper(good: &Path, out: &Path, pick: &dyn Fn(&str, &[u8]) -> bool, edit: &dyn Fn(&mut Vec<u8>)) {
    let mut a = tar::Archive::new(File::open(good).unwrap());
    let mut members = Vec::new();
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut b = Vec::new();
        e.read_to_end(&mut b).unwrap();
        if pick(&name, &b) {
            edit(&mut b);
        }
        members.push((name, Member::Bytes(b)));
    }
    outer(out, &members);
}

/// Replace the first `from` in `b` with `to` (of the same length).
pub fn swap(b: &mut [u8], from: &str, to: &str) {
    let at = b.windows(from.len()).position(|w| w == from.as_bytes()).unwrap();
    b[at..at + to.len()].copy_from_slice(to.as_bytes());
}
