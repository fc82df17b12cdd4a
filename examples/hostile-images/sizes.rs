//! Kinds 1 to 7: the work an input asks for (bytes, layers, lookups,
//! JSON values, indexes, whole files, names and entries).

use std::path::Path;

use serde_json::{Value, json};

use super::images::{
    self, Compress, Layer, LayerWriter, Member, base_layer, config, docker_save, elf64, hostile, layer,
};
use super::{Case, Ctx, Expect, case, fixture};

/// Kind 1: decompression bombs, at the default limits.
pub(super) fn bombs(c: &mut Ctx) -> Vec<Case> {
    let mut out = Vec::new();
    for z in [Compress::Gzip, Compress::Zstd] {
        let mut w = LayerWriter::new(&c.path("bomb"), z);
        w.padded_file("zeros", b"", 9 << 30, 0o644);
        let bomb = w.finish();
        // Over the base layer, it is the image's total that runs out first.
        out.push(case(
            format!("bomb: 9 GiB of zeros, {z:?}"),
            &[&c.image(&[&bomb], json!({"Entrypoint": ["/app"]}))],
            Expect::Limit("image-bytes"),
        ));
        let mut w = LayerWriter::new(&c.path("gig"), z);
        w.padded_file("zeros", b"", 1 << 30, 0o644);
        let gig = w.finish();
        let copies: Vec<&Layer> = std::iter::repeat_n(&gig, 12).collect();
        out.push(case(
            format!("bomb: one 1 GiB layer listed 12 times, {z:?}"),
            &[&c.image(&copies, json!({"Entrypoint": ["/app"]}))],
            Expect::Limit("image-bytes"),
        ));
    }
    let mut w = LayerWriter::new(&c.path("sparse"), Compress::None);
    w.padded_file("zeros", b"", 9 << 30, 0o644);
    let sparse = w.finish();
    out.push(case(
        "bomb: an uncompressed 9 GiB layer (sparse on disk)",
        &[&c.image(&[&sparse], json!({"Entrypoint": ["/app"]}))],
        Expect::Limit("layer-bytes"),
    ));
    let tiny = c.layer(Compress::Gzip, &[("app", &fixture("c-static"))]);
    let many: Vec<&Layer> = std::iter::repeat_n(&tiny, 200).collect();
    out.push(case(
        "bomb: 200 layers",
        &[&c.image(&many, json!({"Entrypoint": ["/app"]}))],
        Expect::Limit("layers"),
    ));
    let some: Vec<&Layer> = std::iter::repeat_n(&tiny, 100).collect();
    out.push(case(
        "100 layers (under the bound)",
        &[&c.image(&some, json!({"Entrypoint": ["/app"]}))],
        Expect::Exit(0),
    ));
    out
}

/// Kind 2: a big file ahead of 400 libraries the entrypoint needs.
pub(super) fn one_pass(c: &mut Ctx) -> Vec<Case> {
    let lib = hostile("libempty.so");
    let mut out = Vec::new();
    for (z, gib) in [
        (Compress::Gzip, 1u64),
        (Compress::Zstd, 1),
        (Compress::Gzip, 2),
        (Compress::None, 1),
    ] {
        let mut w = LayerWriter::new(&c.path("libs"), z);
        w.padded_file("data/zeros", b"", gib << 30, 0o644);
        for i in 0..400 {
            w.file(&format!("usr/lib/x86_64-linux-gnu/lib{i:03}.so"), &lib, 0o644);
        }
        w.file("app", &hostile("needs400"), 0o755);
        let top = w.finish();
        out.push(case(
            format!("{gib} GiB, then 400 needed libraries, {z:?}"),
            &[&c.image(&[&top], json!({"Entrypoint": ["/app"]}))],
            Expect::Exit(0),
        ));
    }
    out
}

/// Kind 3: search paths of millions of elements.
pub(super) fn lookups(c: &mut Ctx) -> Vec<Case> {
    let lib = hostile("libempty.so");
    let names: Vec<String> = (0..400).map(|i| format!("opt/lib/lib{i:03}.so")).collect();
    let mut files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), lib.as_slice())).collect();
    let needs = hostile("needs400");
    files.push(("app", &needs));
    let app = c.layer(Compress::Gzip, &files);
    let mut out = Vec::new();
    for n in [5_000_000, 100_000, 1025] {
        let env = format!("PATH={}", "/a:".repeat(n));
        out.push(case(
            format!("PATH of {n} elements, a bare command"),
            &[&c.image(&[&app], json!({"Entrypoint": ["app"], "Env": [env]}))],
            Expect::Limit("search-path"),
        ));
        let env = format!("LD_LIBRARY_PATH={}", "/a:".repeat(n));
        out.push(case(
            format!("LD_LIBRARY_PATH of {n} elements"),
            &[&c.image(&[&app], json!({"Entrypoint": ["/app"], "Env": [env]}))],
            Expect::Limit("search-path"),
        ));
    }
    let env = format!("LD_LIBRARY_PATH={}/opt/lib", "/nowhere:".repeat(1000));
    out.push(case(
        "LD_LIBRARY_PATH of 1001 elements, 401 libraries",
        &[&c.image(&[&app], json!({"Entrypoint": ["/app"], "Env": [env]}))],
        Expect::Exit(0),
    ));
    for (what, n) in [
        ("DT_RUNPATH", 32usize << 20),
        ("DT_RUNPATH", 2000),
        ("DT_RUNPATH", 1000),
    ] {
        let mut bomb = fixture("c-runpath");
        let s = elf64::append_string(&mut bomb, "a:".repeat(n).as_bytes());
        elf64::dyn_set(&mut bomb, 0x1d, s);
        let top = c.layer(Compress::Gzip, &[("app", &bomb)]);
        let expect = match n {
            1000 => Expect::Exit(0),
            2000 => Expect::Limit("search-path"),
            _ => Expect::Error("DT_RUNPATH"),
        };
        out.push(case(
            format!("{what} of {n} elements"),
            &[&c.image(&[&top], json!({"Entrypoint": ["/app"]}))],
            expect,
        ));
    }
    out
}

/// Kind 4: JSON of millions of tiny values.
pub(super) fn json_bombs(c: &mut Ctx) -> Vec<Case> {
    let mut out = Vec::new();
    let tiny = format!("[{}{{}}]", "{},".repeat(2_000_000));
    let path = c.path("manifest.tar");
    images::outer(
        &path,
        &[("manifest.json".into(), Member::Bytes(tiny.clone().into_bytes()))],
    );
    out.push(case(
        "manifest.json of two million objects",
        &[&path.to_string_lossy()],
        Expect::Limit("json-nodes"),
    ));
    let path = c.path("index.tar");
    images::outer(
        &path,
        &[
            ("oci-layout".into(), Member::Bytes(b"{}".to_vec())),
            (
                "index.json".into(),
                Member::Bytes(format!("{{\"manifests\": {tiny}}}").into_bytes()),
            ),
        ],
    );
    out.push(case(
        "index.json of two million objects",
        &[&path.to_string_lossy()],
        Expect::Limit("json-nodes"),
    ));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let path = c.path("deep.tar");
    images::outer(&path, &[("manifest.json".into(), Member::Bytes(deep.into_bytes()))]);
    out.push(case(
        "manifest.json nested 100,000 deep",
        &[&path.to_string_lossy()],
        Expect::Error("manifest.json"),
    ));
    let base = base_layer(&c.mkdir("b"));
    for (field, value) in [
        ("history", Value::Array(vec![json!({}); 2_000_000])),
        ("Env", Value::Array(vec![json!("A="); 2_000_000])),
    ] {
        let mut cfg: Value = serde_json::from_slice(&config(json!({"Entrypoint": ["/app"]}), &[&base])).unwrap();
        if field == "Env" {
            cfg["config"]["Env"] = value;
        } else {
            cfg[field] = value;
        }
        let path = c.path("cfg.tar");
        docker_save(&path, &[&base], &serde_json::to_vec(&cfg).unwrap());
        out.push(case(
            format!("config {field} of two million values"),
            &[&path.to_string_lossy()],
            Expect::Limit("json-nodes"),
        ));
    }
    let mut cfg: Value = serde_json::from_slice(&config(json!({"Entrypoint": ["/app"]}), &[&base])).unwrap();
    cfg["pad"] = json!("x".repeat(17 << 20));
    let path = c.path("big.tar");
    docker_save(&path, &[&base], &serde_json::to_vec(&cfg).unwrap());
    out.push(case(
        "a config of 17 MiB",
        &[&path.to_string_lossy()],
        Expect::Limit("metadata-bytes"),
    ));
    out
}

/// Kind 5: indexes listing an index many times, nesting deep, or flat.
pub(super) fn indexes(c: &mut Ctx) -> Vec<Case> {
    let dir = c.mkdir("oci");
    let base = base_layer(&dir);
    let app = layer(&dir, "app.gz", Compress::Gzip, &[("app", &fixture("c-static"))], &[]);
    let layers = [&base, &app];
    let cfg = config(json!({"Entrypoint": ["/app"]}), &layers);
    let plain = dir.join("plain.tar");
    images::oci_archive(&plain, &layers, &cfg, None, Vec::new());
    let index: Value = serde_json::from_slice(&member(&plain, "index.json")).unwrap();
    let mut out = Vec::new();
    for (name, index, extra, expect) in index_variants(&index["manifests"][0]) {
        let path = c.path("oci.tar");
        images::oci_archive(&path, &layers, &cfg, Some(index), extra);
        out.push(case(
            name,
            &["--platform", "linux/amd64", &path.to_string_lossy()],
            expect,
        ));
    }
    out
}

/// An index's bytes, with the extra blobs it needs.
type Variant = (String, Vec<u8>, Vec<(String, Member)>, Expect);

/// Indexes around the manifest descriptor `m`: listing one nested index
/// 190,000 and 80,000 times, flat with 70 manifests, nested ten deep, and
/// listing 1,100 distinct nested indexes.
fn index_variants(m: &Value) -> Vec<Variant> {
    let wrap = |list: Vec<Value>| serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": list})).unwrap();
    let kind = "application/vnd.oci.image.index.v1+json";
    let blob = |b: &[u8]| {
        (
            format!("blobs/sha256/{}", images::hex_sha256(b)),
            Member::Bytes(b.to_vec()),
        )
    };
    let nested = wrap(vec![m.clone()]);
    let nd = images::descriptor(kind, &nested);
    let mut out: Vec<Variant> = Vec::new();
    for (n, limit) in [(190_000, "metadata-bytes"), (80_000, "json-nodes")] {
        let name = format!("an index listing one nested index {n} times");
        out.push((
            name,
            wrap(vec![nd.clone(); n]),
            vec![blob(&nested)],
            Expect::Limit(limit),
        ));
    }
    let mut flat: Vec<Value> = vec![m.clone(); 70];
    for (i, d) in flat.iter_mut().enumerate().take(69) {
        d["platform"]["architecture"] = json!(format!("a{i}"));
    }
    out.push((
        "a flat index of 70 manifests".into(),
        wrap(flat),
        Vec::new(),
        Expect::Exit(0),
    ));
    let (mut d, mut extra) = (nd, vec![blob(&nested)]);
    for _ in 0..9 {
        let o = wrap(vec![d]);
        d = images::descriptor(kind, &o);
        extra.push(blob(&o));
    }
    out.push((
        "indexes nested ten deep".into(),
        wrap(vec![d]),
        extra,
        Expect::Limit("index-depth"),
    ));
    let distinct: Vec<Vec<u8>> = (0..1100)
        .map(|i| serde_json::to_vec(&json!({"schemaVersion": 2, "n": i, "manifests": [m.clone()]})).unwrap())
        .collect();
    let list = distinct.iter().map(|b| images::descriptor(kind, b)).collect();
    let extra = distinct.iter().map(|b| blob(b)).collect();
    out.push((
        "an index of 1100 distinct nested indexes".into(),
        wrap(list),
        extra,
        Expect::Limit("manifests"),
    ));
    out
}

fn member(archive: &Path, name: &str) -> Vec<u8> {
    let mut a = tar::Archive::new(std::fs::File::open(archive).unwrap());
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().to_string_lossy() == name {
            let mut b = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut b).unwrap();
            return b;
        }
    }
    panic!("no {name}");
}

/// Kind 6: files of gigabytes the start needs whole.
pub(super) fn whole_files(c: &mut Ctx) -> Vec<Case> {
    let mut out = Vec::new();
    for (z, gib) in [
        (Compress::None, 1u64),
        (Compress::Gzip, 1),
        (Compress::Zstd, 1),
        (Compress::Zstd, 3),
    ] {
        let mut w = LayerWriter::new(&c.path("big"), z);
        w.padded_file("app", &fixture("c-dynamic"), gib << 30, 0o755);
        let top = w.finish();
        out.push(case(
            format!("a {gib} GiB zero-padded entrypoint, {z:?}"),
            &[&c.image(&[&top], json!({"Entrypoint": ["/app"]}))],
            Expect::Exit(0),
        ));
    }
    for (user, expect) in [("appuser", 0), ("nobody2", 1)] {
        let mut w = LayerWriter::new(&c.path("passwd"), Compress::Gzip);
        let line = "x:x:1:1::/:/x\n".repeat(4096);
        let last = b"appuser:x:1000:1000::/:/sbin/nologin\n";
        let blocks = (1u64 << 30) / line.len() as u64;
        let size = blocks * line.len() as u64 + last.len() as u64;
        w.header(b"etc/passwd", b'0', size, b"", 0o644);
        (0..blocks).for_each(|_| w.raw(line.as_bytes()));
        w.raw(last);
        w.pad(size);
        w.file("app", &fixture("c-static"), 0o755);
        let top = w.finish();
        out.push(case(
            format!("a 1 GiB /etc/passwd, User {user}"),
            &[&c.image(&[&top], json!({"Entrypoint": ["/app"], "User": user}))],
            Expect::Exit(expect),
        ));
    }
    let mut w = LayerWriter::new(&c.path("many"), Compress::Zstd);
    let lib = hostile("libempty.so");
    (0..20_000).for_each(|i| w.file(&format!("opt/lib/{}/lib{i}.so", i % 100), &lib, 0o644));
    w.file("app", &fixture("c-static"), 0o755);
    let top = w.finish();
    out.push(case(
        "--all over 20,000 ELF files",
        &["--all", &c.image(&[&top], json!({"Entrypoint": ["/app"]}))],
        Expect::Exit(0),
    ));
    out
}

/// Kind 7: names and entries without bounds.
pub(super) fn names(c: &mut Ctx) -> Vec<Case> {
    let mut out = Vec::new();
    for (what, flag) in [("GNU long name", b'L'), ("GNU long link", b'K')] {
        let mut w = LayerWriter::new(&c.path("long"), Compress::Gzip);
        w.header(b"././@LongLink", flag, 512 << 20, b"", 0o644);
        w.zeros(512 << 20);
        let l = w.finish();
        out.push(case(
            format!("a 512 MiB {what}"),
            &[&c.image(&[&l], json!({}))],
            Expect::Limit("name-bytes"),
        ));
    }
    let pax = images::pax_paths(&c.path("pax"));
    out.push(case(
        "1,000 entries with 1 MiB pax paths",
        &[&c.image(&[&pax], json!({}))],
        Expect::Limit("name-bytes"),
    ));
    let mut w = LayerWriter::new(&c.path("paxjunk"), Compress::Gzip);
    let junk = vec![b'j'; 60 << 10];
    let records: Vec<(&str, &[u8])> = (0..1000).map(|_| ("SCHILY.xattr.user.junk", &junk[..])).collect();
    w.pax(&records);
    w.file("x", b"", 0o644);
    let junk_layer = w.finish();
    out.push(case(
        "a 60 MiB pax header of extended attributes",
        &[&c.image(&[&junk_layer], json!({}))],
        Expect::Limit("name-bytes"),
    ));
    for (n, expect) in [(2_000_000u32, Expect::Limit("entries")), (990_000, Expect::Exit(0))] {
        let mut w = LayerWriter::new(&c.path("entries"), Compress::Gzip);
        (0..n).for_each(|i| w.header(format!("d/{i}").as_bytes(), b'5', 0, b"", 0o755));
        w.file("app", &fixture("c-static"), 0o755);
        let e = w.finish();
        out.push(case(
            format!("{n} entries"),
            &["--all", &c.image(&[&e], json!({"Entrypoint": ["/app"]}))],
            expect,
        ));
    }
    out
}
