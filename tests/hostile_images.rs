//! Hostile images (issue 18): each kind built here from a small generated
//! input (compressed, or sparse on disk) around the real distroless
//! cc-debian12 base layer and the real programs of testdata/hostile/, and
//! each run as a child process whose peak RSS is read from `wait4`: within
//! the budget (256 MiB, 20 s), with the right outcome.

#[path = "common/images.rs"]
pub mod images;

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use images::{
    Compress, Layer, LayerWriter, Run, base_layer, config, docker_save, elf64, hostile, image, layer, oci_archive,
};
use serde_json::{Value, json};

/// The budget of every input (README, "Hostile input").
const RSS_MIB: u64 = 256;
const TIME: Duration = Duration::from_secs(20);

/// Run dlcheck with `args`, its peak RSS measured.
fn dlcheck(args: &[&str]) -> Run {
    images::measure(Path::new(env!("CARGO_BIN_EXE_dlcheck")), args)
}

/// Within the budget: memory always; time when dlcheck is built
/// optimised (`cargo test --release`; examples/hostile-images.rs times
/// every kind at full size).
fn bounded(what: &str, r: &Run) {
    assert!(r.rss_mib <= RSS_MIB, "{what}: {} MiB peak RSS", r.rss_mib);
    assert!(cfg!(debug_assertions) || r.time <= TIME, "{what}: {:?}", r.time);
}

/// Stopped at limit `name`: exit 5, one line naming the limit and the flag.
fn limited(what: &str, r: &Run, name: &str) {
    bounded(what, r);
    assert_eq!(r.status, 5, "{what}: {}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{what}: {}", r.stderr);
    assert!(
        r.stderr.contains("limit exceeded") && r.stderr.contains(&format!("--limit {name}=")),
        "{what}: {}",
        r.stderr
    );
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Kind 1: Decompression bombs: a gzip layer of zeros listed many times, and a
/// zstd one: stopped at the total, and at the layer's bound.
#[test]
fn decompression_bombs_stop_at_a_limit() {
    let dir = tmp();
    let mut w = LayerWriter::new(&dir.path().join("zeros.gz"), Compress::Gzip);
    w.padded_file("zeros", b"", 32 << 20, 0o644);
    let zeros = w.finish();
    assert!(zeros.size < 1 << 20);
    let copies: Vec<&Layer> = std::iter::repeat_n(&zeros, 64).collect();
    let path = image(dir.path(), &copies, json!({"Entrypoint": ["/app"]}));
    limited(
        "64 × 32 MiB",
        &dlcheck(&["--limit", "image-bytes=512M", &path]),
        "image-bytes",
    );
    let mut w = LayerWriter::new(&dir.path().join("zeros.zst"), Compress::Zstd);
    w.padded_file("zeros", b"", 1 << 30, 0o644);
    let bomb = w.finish();
    assert!(bomb.size < 1 << 20);
    let path = image(dir.path(), &[&bomb], json!({"Entrypoint": ["/app"]}));
    limited(
        "zstd 1 GiB",
        &dlcheck(&["--limit", "layer-bytes=256M", &path]),
        "layer-bytes",
    );
}

/// Kind 2: A 1 GiB file ahead of 400 libraries an entrypoint needs: each
/// library is read in the one pass over the layer, not once each.
#[test]
fn one_pass_per_layer() {
    let dir = tmp();
    let lib = hostile("libempty.so");
    let mut w = LayerWriter::new(&dir.path().join("libs.gz"), Compress::Gzip);
    w.padded_file("data/zeros", b"", 1 << 30, 0o644);
    for i in 0..400 {
        w.file(&format!("usr/lib/x86_64-linux-gnu/lib{i:03}.so"), &lib, 0o644);
    }
    w.file("app", &hostile("needs400"), 0o755);
    let top = w.finish();
    let path = image(dir.path(), &[&top], json!({"Entrypoint": ["/app"]}));
    let r = dlcheck(&["--json", &path]);
    bounded("1 GiB + 400 libraries", &r);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let steps = r.json()["reports"][0]["image"]["entrypoint_steps"].to_string();
    assert!(
        steps.contains("lib399.so → /usr/lib/x86_64-linux-gnu/lib399.so"),
        "{steps}"
    );
}

/// Kind 3: Search paths without bounds: PATH, LD_LIBRARY_PATH and DT_RUNPATH of
/// millions of elements.
#[test]
fn search_paths_are_bounded() {
    let dir = tmp();
    let app = layer(
        dir.path(),
        "app.gz",
        Compress::Gzip,
        &[("app", &hostile("needs400"))],
        &[],
    );
    let path_var = format!("PATH={}", "/a:".repeat(5_000_000));
    let path = image(dir.path(), &[&app], json!({"Entrypoint": ["app"], "Env": [path_var]}));
    limited("PATH", &dlcheck(&[&path]), "search-path");
    let lib_path = format!("LD_LIBRARY_PATH={}", "/a:".repeat(5_000_000));
    let path = image(dir.path(), &[&app], json!({"Entrypoint": ["/app"], "Env": [lib_path]}));
    limited("LD_LIBRARY_PATH", &dlcheck(&[&path]), "search-path");
    let mut bomb = std::fs::read(images::repo().join("testdata/bin/c-runpath")).unwrap();
    let runpath = elf64::append_string(&mut bomb, "a:".repeat(32 << 20).as_bytes());
    elf64::dyn_set(&mut bomb, 0x1d, runpath); // DT_RUNPATH
    let app = layer(dir.path(), "runpath.gz", Compress::Gzip, &[("app", &bomb)], &[]);
    let path = image(dir.path(), &[&app], json!({"Entrypoint": ["/app"]}));
    let r = dlcheck(&[&path]);
    bounded("DT_RUNPATH", &r);
    assert_eq!(r.status, 5, "{}", r.stderr);
    assert!(r.stderr.contains("DT_RUNPATH"), "{}", r.stderr);
}

/// Kind 4: JSON amplification: two million tiny objects in manifest.json, and
/// in the config's history.
#[test]
fn json_values_are_counted() {
    let dir = tmp();
    let out = dir.path().join("manifest.tar");
    let tiny = format!("[{}{{}}]", "{},".repeat(2_000_000));
    images::outer(
        &out,
        &[("manifest.json".into(), images::Member::Bytes(tiny.into_bytes()))],
    );
    limited("manifest.json", &dlcheck(&[&s(&out)]), "json-nodes");
    let base = base_layer(dir.path());
    let mut cfg: Value = serde_json::from_slice(&config(json!({"Entrypoint": ["/app"]}), &[&base])).unwrap();
    cfg["history"] = Value::Array(vec![json!({}); 2_000_000]);
    let out = dir.path().join("history.tar");
    docker_save(&out, &[&base], &serde_json::to_vec(&cfg).unwrap());
    limited("history", &dlcheck(&[&s(&out)]), "json-nodes");
}

/// Kind 5: Indexes: one listing a nested index 80,000 times is refused by its
/// size in values; a flat one of 70 manifests is fine; nesting is bounded.
#[test]
fn indexes_are_bounded_not_refused() {
    let dir = tmp();
    let (base, app) = images::static_app(dir.path());
    let layers = [&base, &app];
    let cfg = config(json!({"Entrypoint": ["/app"]}), &layers);
    // Flat: 69 other platforms, then amd64.
    let flat = |inner: &Value| {
        let mut list: Vec<Value> = (0..69)
            .map(|i| {
                let mut d = inner.clone();
                d["platform"] = json!({"os": "linux", "architecture": format!("arch{i}")});
                d
            })
            .collect();
        list.push(inner.clone());
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": list})).unwrap()
    };
    let out = dir.path().join("plain.tar");
    oci_archive(&out, &layers, &cfg, None, Vec::new());
    let plain_index: Value = serde_json::from_slice(&tar_member(&out, "index.json")).unwrap();
    let descriptor = plain_index["manifests"][0].clone();
    let out = dir.path().join("flat.tar");
    oci_archive(&out, &layers, &cfg, Some(flat(&descriptor)), Vec::new());
    let r = dlcheck(&["--platform", "linux/amd64", &s(&out)]);
    bounded("flat 70", &r);
    assert_eq!(r.status, 0, "{}", r.stderr);
    // 80,000 references to one nested index.
    let nested = serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [descriptor]})).unwrap();
    let mut d = images::descriptor("application/vnd.oci.image.index.v1+json", &nested);
    let name = format!("blobs/sha256/{}", images::hex_sha256(&nested));
    let many = serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": vec![d.clone(); 80_000]})).unwrap();
    let out = dir.path().join("many.tar");
    oci_archive(
        &out,
        &layers,
        &cfg,
        Some(many),
        vec![(name.clone(), images::Member::Bytes(nested.clone()))],
    );
    limited("80,000 references", &dlcheck(&[&s(&out)]), "json-nodes");
    // Ten indexes deep.
    let mut extra = vec![(name, images::Member::Bytes(nested))];
    for _ in 0..9 {
        let outer = serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [d]})).unwrap();
        d = images::descriptor("application/vnd.oci.image.index.v1+json", &outer);
        extra.push((
            format!("blobs/sha256/{}", images::hex_sha256(&outer)),
            images::Member::Bytes(outer),
        ));
    }
    let top = serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [d]})).unwrap();
    let out = dir.path().join("deep.tar");
    oci_archive(&out, &layers, &cfg, Some(top), extra);
    limited("ten deep", &dlcheck(&[&s(&out)]), "index-depth");
}

/// A member of a tar archive.
fn tar_member(archive: &Path, name: &str) -> Vec<u8> {
    let mut a = tar::Archive::new(std::fs::File::open(archive).unwrap());
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().to_string_lossy() == name {
            let mut b = Vec::new();
            e.read_to_end(&mut b).unwrap();
            return b;
        }
    }
    panic!("no {name}");
}

/// Kind 6: Whole files: a 1 GiB zero-padded entrypoint (in place, and from a
/// compressed layer), a 1 GiB /etc/passwd, and --all over many files.
#[test]
fn whole_files_are_never_held() {
    let dir = tmp();
    let program = std::fs::read(images::repo().join("testdata/bin/c-dynamic")).unwrap();
    for z in [Compress::None, Compress::Gzip] {
        let mut w = LayerWriter::new(&dir.path().join("big"), z);
        w.padded_file("app", &program, 1 << 30, 0o755);
        let top = w.finish();
        let path = image(dir.path(), &[&top], json!({"Entrypoint": ["/app"]}));
        let r = dlcheck(&[&path]);
        bounded("1 GiB entrypoint", &r);
        assert_eq!(r.status, 0, "{z:?}: {}", r.stderr);
        assert!(std::fs::metadata(&path).unwrap().len() < 64 << 20 || z == Compress::None);
    }
    let mut w = LayerWriter::new(&dir.path().join("passwd.gz"), Compress::Gzip);
    let line = "x:x:1:1::/:/x\n".repeat(4096);
    let last = b"appuser:x:1000:1000::/:/sbin/nologin\n";
    let blocks = (1u64 << 30) / line.len() as u64;
    let size = blocks * line.len() as u64 + last.len() as u64;
    w.header(b"etc/passwd", b'0', size, b"", 0o644);
    for _ in 0..blocks {
        w.raw(line.as_bytes());
    }
    w.raw(last);
    w.pad(size);
    let mut lib = LayerWriter::new(&dir.path().join("many.gz"), Compress::Gzip);
    let empty = hostile("libempty.so");
    for i in 0..3000 {
        lib.file(&format!("opt/lib/lib{i}.so"), &empty, 0o644);
    }
    lib.file(
        "app",
        &std::fs::read(images::repo().join("testdata/bin/c-static")).unwrap(),
        0o755,
    );
    let (top, many) = (w.finish(), lib.finish());
    let path = image(
        dir.path(),
        &[&top, &many],
        json!({"Entrypoint": ["/app"], "User": "appuser"}),
    );
    let r = dlcheck(&["--all", "--json", &path]);
    bounded("1 GiB passwd, 3000 libraries", &r);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.json()["reports"][0]["image"]["all"].as_array().unwrap().len() > 3000);
}

/// Kind 7: Tar names without bounds: a 512 MiB GNU long name, 1 MiB pax paths,
/// and entries past the bound (300,000 against 200,000 here; the default
/// bound of a million against two million in examples/hostile-images.rs).
#[test]
fn tar_names_and_entries_are_bounded() {
    let dir = tmp();
    let mut w = LayerWriter::new(&dir.path().join("long.gz"), Compress::Gzip);
    w.header(b"././@LongLink", b'L', 512 << 20, b"", 0o644);
    w.zeros(512 << 20);
    let long = w.finish();
    limited(
        "512 MiB long name",
        &dlcheck(&[&image(dir.path(), &[&long], json!({}))]),
        "name-bytes",
    );
    let pax = images::pax_paths(&dir.path().join("pax.gz"));
    limited(
        "1 MiB pax paths",
        &dlcheck(&[&image(dir.path(), &[&pax], json!({}))]),
        "name-bytes",
    );
    let mut w = LayerWriter::new(&dir.path().join("entries.gz"), Compress::Gzip);
    for i in 0..300_000u32 {
        w.header(format!("d{i}").as_bytes(), b'5', 0, b"", 0o755);
    }
    let entries = w.finish();
    let r = dlcheck(&["--limit", "entries=200000", &image(dir.path(), &[&entries], json!({}))]);
    limited("300,000 entries", &r, "entries");
}

/// Kind 8: Library metadata bombs in an image: an ld.so.cache whose entries all
/// name one 1 MiB string, and a library whose 50,000 version definitions
/// all name one: bounded, as the same library given alone.
#[test]
fn library_metadata_is_bounded() {
    let dir = tmp();
    let mut cache = b"glibc-ld.so.cache1.1".to_vec();
    let n = 60_000u32;
    cache.extend_from_slice(&[0; 20][..]);
    cache[20..24].copy_from_slice(&n.to_le_bytes());
    cache.resize(48, 0);
    let string = 48 + 24 * n;
    for _ in 0..n {
        for v in [0x0303u32, string, string, 0, 0, 0] {
            cache.extend_from_slice(&v.to_le_bytes());
        }
    }
    cache.extend(std::iter::repeat_n(b'a', 1 << 20));
    cache.push(0);
    let mut libv = hostile("libv.so.1");
    let verdef = elf64::offset_of(&libv, elf64::dyn_get(&libv, 0x6fff_fffc)) as usize;
    let names = [0, 28].map(|r| u32::from_le_bytes(libv[verdef + r + 20..verdef + r + 24].try_into().unwrap()));
    let bomb = elf64::append_string(&mut libv, &vec![b'B'; 1 << 20]) as u32;
    let mut chain = Vec::new();
    let count = 50_002u32;
    for i in 0..count {
        let (flags, name) = match i {
            0 => (1u16, names[0]),
            1 => (0, names[1]),
            _ => (0, bomb),
        };
        let next = if i + 1 == count { 0u32 } else { 28 };
        for v in [1u16, flags, (i + 1) as u16, 1] {
            chain.extend_from_slice(&v.to_le_bytes());
        }
        for v in [0u32, 20, next, name, 0] {
            chain.extend_from_slice(&v.to_le_bytes());
        }
    }
    let (_, vaddr) = elf64::append_loaded(&mut libv, &chain);
    elf64::dyn_set(&mut libv, 0x6fff_fffc, vaddr); // DT_VERDEF
    elf64::dyn_set(&mut libv, 0x6fff_fffd, count as u64); // DT_VERDEFNUM
    let alone = dir.path().join("libv.so.1");
    std::fs::write(&alone, &libv).unwrap();
    bounded("libv alone", &dlcheck(&[&s(&alone)]));
    let top = layer(
        dir.path(),
        "top.gz",
        Compress::Gzip,
        &[
            ("etc/ld.so.cache", &cache),
            ("usr/lib/x86_64-linux-gnu/libv.so.1", &libv),
            ("app", &hostile("usesv")),
        ],
        &[],
    );
    let path = image(dir.path(), &[&top], json!({"Entrypoint": ["/app"]}));
    let r = dlcheck(&[&path]);
    bounded("ld.so.cache and verdef bombs", &r);
    assert_eq!(r.status, 0, "V_1 is still defined: {}", r.stderr);
}

/// Kind 9: Forged terminal output: escape sequences and newlines from the
/// config and the image's files reach the terminal escaped.
#[test]
fn image_strings_cannot_drive_the_terminal() {
    let dir = tmp();
    let os_release = b"PRETTY_NAME=\"Distroless\"\nVERSION_ID=\"12\x1b[2J\"\n";
    let top = layer(
        dir.path(),
        "top.gz",
        Compress::Gzip,
        &[("usr/lib/os-release", os_release)],
        &[],
    );
    let base = base_layer(dir.path());
    let layers = [&base, &top];
    let mut cfg: Value =
        serde_json::from_slice(&config(json!({"Entrypoint": ["/nonexistent\n  will start"]}), &layers)).unwrap();
    cfg["os"] = json!("linux\x1b[2J");
    let out = dir.path().join("forged.tar");
    docker_save(&out, &layers, &serde_json::to_vec(&cfg).unwrap());
    let r = dlcheck(&[&s(&out)]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(!r.stdout.contains(&0x1b), "{}", String::from_utf8_lossy(&r.stdout));
    let text = String::from_utf8(r.stdout).unwrap();
    assert!(text.contains("will crash on start"), "{text}");
    assert!(
        !text.lines().any(|l| l.trim_start().starts_with("will start")),
        "{text}"
    );
    assert!(text.contains("\\u{a}  will start"), "{text}");
    // The JSON keeps the strings as they are.
    let doc = dlcheck(&["--json", &s(&out)]).json();
    assert!(
        doc["reports"][0]["image"]["crash"]
            .as_str()
            .unwrap()
            .contains("\n  will start")
    );
}

/// Kind 10: An entrypoint whose analysis fails (DT_STRSZ cut to 1) is the
/// image's error, as the file alone is.
#[test]
fn entrypoint_errors_are_the_images() {
    let dir = tmp();
    let mut program = std::fs::read(images::repo().join("testdata/bin/c-dynamic")).unwrap();
    elf64::dyn_set(&mut program, 10, 1); // DT_STRSZ
    let alone = dir.path().join("app");
    std::fs::write(&alone, &program).unwrap();
    let r = dlcheck(&["--json", &s(&alone)]);
    assert_eq!(r.status, 5);
    assert_eq!(r.json()["reports"][0]["error"]["kind"], "malformed_elf");
    let top = layer(dir.path(), "top.gz", Compress::Gzip, &[("app", &program)], &[]);
    let r = dlcheck(&["--json", &image(dir.path(), &[&top], json!({"Entrypoint": ["/app"]}))]);
    assert_eq!(r.status, 5, "{}", r.stderr);
    assert_eq!(r.json()["reports"][0]["error"]["kind"], "malformed_elf");
    assert!(r.stderr.contains("/app"), "{}", r.stderr);
}

/// Kind 11: A layer holding only usr/bin/app: its parents are implied.
#[test]
fn parents_are_implied() {
    let dir = tmp();
    let program = std::fs::read(images::repo().join("testdata/bin/c-static")).unwrap();
    let top = layer(
        dir.path(),
        "top.gz",
        Compress::Gzip,
        &[("usr/local/app/bin/app", &program)],
        &[],
    );
    let r = dlcheck(&[&image(
        dir.path(),
        &[&top],
        json!({"Entrypoint": ["/usr/local/app/bin/app"]}),
    )]);
    assert_eq!(r.status, 0, "{}", r.stderr);
}

/// Kind 12: Blobs stored under the wrong digest: the config, the manifest, a
/// compressed layer (its diff_id right), a docker save layer.
#[test]
fn every_digest_read_is_checked() {
    let dir = tmp();
    let (base, app) = images::static_app(dir.path());
    let layers = [&base, &app];
    let cfg = config(json!({"Entrypoint": ["/app"]}), &layers);
    let good = dir.path().join("good.tar");
    oci_archive(&good, &layers, &cfg, None, Vec::new());
    assert_eq!(dlcheck(&[&s(&good)]).status, 0);
    // Change a blob, keeping its name, its size and its meaning.
    let tamper = |what: &str, pick: &dyn Fn(&str, &[u8]) -> bool, edit: &dyn Fn(&mut Vec<u8>)| {
        let out = dir.path().join(format!("{what}.tar"));
        images::tamper(&good, &out, pick, edit);
        let r = dlcheck(&[&s(&out)]);
        assert_eq!(r.status, 5, "{what}: {}", r.stderr);
        assert!(r.stderr.contains("digest"), "{what}: {}", r.stderr);
    };
    let replace = |from: &'static str, to: &'static str| move |b: &mut Vec<u8>| images::swap(b, from, to);
    let contains = |what: &'static str| {
        move |n: &str, b: &[u8]| n.starts_with("blobs/") && b.windows(what.len()).any(|w| w == what.as_bytes())
    };
    tamper("config", &contains("rootfs"), &replace("\"linux\"", "\"linuy\""));
    tamper(
        "manifest",
        &contains("schemaVersion"),
        &replace("\"schemaVersion\":2", "\"schemaVersion\":3"),
    );
    // The gzip header's MTIME: the layer decompresses to the same bytes.
    tamper("layer", &|n, _| n.ends_with(&app.digest[7..]), &|b| b[4] ^= 1);
}

/// Kind 13: Names are bytes: a config's "/app\u{fffd}" is not a file named
/// "app\xff", and is one named "app\u{fffd}".
#[test]
fn names_compare_as_bytes() {
    let dir = tmp();
    let program = std::fs::read(images::repo().join("testdata/bin/c-static")).unwrap();
    let mut w = LayerWriter::new(&dir.path().join("top.gz"), Compress::Gzip);
    w.entry(b"app\xff", b'0', &program, b"", 0o755);
    let top = w.finish();
    let r = dlcheck(&[
        "--json",
        &image(dir.path(), &[&top], json!({"Entrypoint": ["/app\u{fffd}"]})),
    ]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert_eq!(
        r.json()["reports"][0]["image"]["problems"][0]["kind"],
        "entrypoint_missing"
    );
    let top = layer(dir.path(), "utf8.gz", Compress::Gzip, &[("app\u{fffd}", &program)], &[]);
    let r = dlcheck(&[&image(dir.path(), &[&top], json!({"Entrypoint": ["/app\u{fffd}"]}))]);
    assert_eq!(r.status, 0, "{}", r.stderr);
}

/// The README's table of limits lists every limit, with its default and
/// what it bounds.
#[test]
fn readme_lists_every_limit() {
    let readme = std::fs::read_to_string(images::repo().join("README.md")).unwrap();
    let start = readme.find("<!-- limits:start -->").unwrap();
    let end = readme.find("<!-- limits:end -->").unwrap();
    let rows: Vec<Vec<&str>> = readme[start..end]
        .lines()
        .filter(|l| l.starts_with("| `") && !l.starts_with("| `--limit"))
        .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect();
    let defaults = dlcheck::imagefs::Limits::default();
    assert_eq!(rows.len(), dlcheck::imagefs::LIMITS.len());
    for (row, limit) in rows.iter().zip(dlcheck::imagefs::LIMITS) {
        let value = defaults.get(limit.name).unwrap();
        let shown = match value {
            v if v % (1 << 30) == 0 => format!("{}G", v >> 30),
            v if v % (1 << 20) == 0 => format!("{}M", v >> 20),
            v => v.to_string(),
        };
        assert_eq!(row[0], format!("`{}`", limit.name));
        assert_eq!(row[1], shown, "{}", limit.name);
        assert!(row[2].starts_with(limit.what), "{}: {}", limit.name, row[2]);
    }
}

/// `--all` shows what the loader prints a line at a time: c-dynamic with
/// its version needs renamed (GLIBC_2.34 → GLIBC_2.94, GLIBC_2.2.5 →
/// GLIBC_2.9.5) lacks both in cc-debian12's glibc 2.36, and glibc prints
/// one line for each, in the order of its DT_VERNEED (`readelf -V`:
/// GLIBC_2.2.5 first); a line is never run together with the next
/// (`\u{a}`), nor can a name forge one.
#[test]
fn all_shows_each_line_the_loader_prints() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = std::fs::read(images::repo().join("testdata/bin/c-dynamic")).unwrap();
    images::swap(&mut app, "GLIBC_2.34", "GLIBC_2.94");
    images::swap(&mut app, "GLIBC_2.2.5", "GLIBC_2.9.5");
    let top = layer(dir.path(), "app.gz", Compress::Gzip, &[("app", &app)], &[]);
    let archive = image(dir.path(), &[&top], json!({"Entrypoint": ["/app"]}));
    let run = dlcheck(&["--all", "--color", "never", &archive]);
    let out = String::from_utf8_lossy(&run.stdout);
    let at = out.find("    - /app: ").unwrap_or_else(|| panic!("{out}"));
    let shown: Vec<&str> = out[at..].lines().take(2).collect();
    assert_eq!(
        shown,
        [
            "    - /app: /app: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.9.5' not found (required by /app)",
            "      /app: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.94' not found (required by /app)",
        ],
        "{out}"
    );
    assert!(!out.contains("\\u{a}"), "{out}");
}
