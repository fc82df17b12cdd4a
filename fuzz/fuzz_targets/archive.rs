//! Fuzz image archives: any bytes, as a whole archive or as one layer of an
//! otherwise valid `docker save` archive (uncompressed, gzip or zstd, its
//! digests right so the layer is read), give a report, never a panic; the
//! report keeps the documented contract (README, "JSON output", "Exit
//! status" and "Hostile input"): an error of a documented kind on one line,
//! exit code 0..=5. Limits are lowered so that each input runs in
//! milliseconds.

#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

const KINDS: [&str; 4] = ["malformed_image", "limit_exceeded", "malformed_elf", "io"];

fn hex(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

/// A tar member.
fn member(out: &mut Vec<u8>, name: &str, data: &[u8]) {
    let mut h = tar::Header::new_gnu();
    h.set_path(name).unwrap();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

/// `layer` (a tar stream) as the only layer of a docker save archive,
/// stored as `how` says.
fn docker_save(layer: &[u8], how: u8) -> Vec<u8> {
    let stored = match how {
        2 => {
            let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            z.write_all(layer).unwrap();
            z.finish().unwrap()
        }
        3 => zstd::encode_all(layer, 1).unwrap(),
        _ => layer.to_vec(),
    };
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{"Entrypoint":["/app"],"User":"app","Env":["LD_LIBRARY_PATH=/lib"]}},"rootfs":{{"type":"layers","diff_ids":["sha256:{}"]}}}}"#,
        hex(layer)
    );
    let (c, l) = (format!("blobs/sha256/{}", hex(config.as_bytes())), format!("blobs/sha256/{}", hex(&stored)));
    let manifest = format!(r#"[{{"Config":"{c}","Layers":["{l}"]}}]"#);
    let mut out = Vec::new();
    member(&mut out, "manifest.json", manifest.as_bytes());
    member(&mut out, &c, config.as_bytes());
    member(&mut out, &l, &stored);
    out.extend_from_slice(&[0; 1024]);
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let archive = match mode % 4 {
        0 => rest.to_vec(),
        how => docker_save(rest, how),
    };
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(&archive).unwrap();
    let mut opts = dlcheck::Options { all: mode & 4 != 0, ..Default::default() };
    for l in ["image-bytes=64M", "entries=10000", "file-bytes=16M", "spool-bytes=64M", "json-nodes=10000"] {
        opts.limits.set(l).unwrap();
    }
    let report = dlcheck::run::inspect_image(file.path(), &opts);
    assert!(report.exit_code() <= 5, "exit code {}", report.exit_code());
    if let Some(e) = report.error() {
        assert!(KINDS.contains(&e.kind()), "undocumented error kind {:?}", e.kind());
        let message = e.to_string();
        assert!(!message.contains('\n'), "error message is not one line: {message:?}");
    }
});
