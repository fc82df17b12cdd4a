//! Kinds 8 to 13: what an input says (library metadata, strings for the
//! terminal, broken entrypoints, layouts, digests, names as bytes), and
//! the committed hostile archives.

use serde_json::{Value, json};

use super::images::{self, Compress, Layer, LayerWriter, base_layer, config, docker_save, elf64, hostile, layer};
use super::{Case, Ctx, Expect, ZS, case, fixture};

/// Kind 8: library metadata bombs: ld.so.cache and DT_VERDEF.
pub(super) fn metadata(c: &mut Ctx) -> Vec<Case> {
    let cache = |n: u32| {
        let mut b = b"glibc-ld.so.cache1.1".to_vec();
        b.resize(48, 0);
        b[20..24].copy_from_slice(&n.to_le_bytes());
        let string = 48 + 24 * n;
        for _ in 0..n {
            [0x0303u32, string, string, 0, 0, 0]
                .iter()
                .for_each(|v| b.extend_from_slice(&v.to_le_bytes()));
        }
        b.extend(std::iter::repeat_n(b'a', 1 << 20));
        b.push(0);
        b
    };
    let libv = verdef_bomb();
    let mut out = Vec::new();
    for (n, expect) in [(100_000, Expect::Limit("cache-entries")), (60_000, Expect::Exit(0))] {
        let files: [(&str, &[u8]); 3] = [
            ("etc/ld.so.cache", &cache(n)),
            ("usr/lib/x86_64-linux-gnu/libv.so.1", &hostile("libv.so.1")),
            ("app", &hostile("usesv")),
        ];
        let top = c.layer(Compress::Gzip, &files);
        out.push(case(
            format!("an ld.so.cache of {n} entries naming one 1 MiB string"),
            &[&c.image(&[&top], json!({"Entrypoint": ["/app"]}))],
            expect,
        ));
    }
    let top = c.layer(
        Compress::Zstd,
        &[
            ("usr/lib/x86_64-linux-gnu/libv.so.1", &libv),
            ("app", &hostile("usesv")),
        ],
    );
    out.push(case(
        "a library of 50,000 DT_VERDEF naming one 1 MiB string",
        &[&c.image(&[&top], json!({"Entrypoint": ["/app"]}))],
        Expect::Exit(0),
    ));
    let alone = c.path("libv.so.1");
    std::fs::write(&alone, &libv).unwrap();
    out.push(case(
        "the same library given alone",
        &[&alone.to_string_lossy()],
        Expect::Exit(0),
    ));
    out
}

/// libv.so.1 with V_1 and then 50,000 version definitions that all name
/// one 1 MiB string.
fn verdef_bomb() -> Vec<u8> {
    let mut libv = hostile("libv.so.1");
    let verdef = elf64::offset_of(&libv, elf64::dyn_get(&libv, 0x6fff_fffc)) as usize;
    let names = [0, 28].map(|r| u32::from_le_bytes(libv[verdef + r + 20..verdef + r + 24].try_into().unwrap()));
    let bomb = elf64::append_string(&mut libv, &vec![b'B'; 1 << 20]) as u32;
    let count = 50_002u32;
    let mut chain = Vec::new();
    for i in 0..count {
        let (flags, name) = [(1u16, names[0]), (0, names[1])]
            .get(i as usize)
            .copied()
            .unwrap_or((0, bomb));
        let next = if i + 1 == count { 0u32 } else { 28 };
        [1u16, flags, (i + 1) as u16, 1]
            .iter()
            .for_each(|v| chain.extend_from_slice(&v.to_le_bytes()));
        [0u32, 20, next, name, 0]
            .iter()
            .for_each(|v| chain.extend_from_slice(&v.to_le_bytes()));
    }
    let (_, vaddr) = elf64::append_loaded(&mut libv, &chain);
    elf64::dyn_set(&mut libv, 0x6fff_fffc, vaddr);
    elf64::dyn_set(&mut libv, 0x6fff_fffd, u64::from(count));
    libv
}

/// The hostile strings of kind 9.
const FORGED: [&str; 5] = [
    "\x1b[2J",
    "\n  will start",
    "\x1b]0;pwned\x07",
    "\u{202e}trats lliw",
    "\r  will start",
];

/// Kind 9: strings from the image that would drive the terminal or forge
/// a line, in every field the human output shows.
pub(super) fn forgery(c: &mut Ctx) -> Vec<Case> {
    let base = base_layer(&c.mkdir("b"));
    let mut out = Vec::new();
    for (k, f) in FORGED.iter().enumerate() {
        let made = forged_layers(c, k, f);
        for (field, cfg, uses, status) in forged_fields(k, f) {
            let mut layers = vec![&base];
            layers.extend(uses.iter().map(|i| &made[*i]));
            let mut doc: Value = serde_json::from_slice(&config(cfg, &layers)).unwrap();
            match field {
                "os" => doc["os"] = json!(format!("linux{f}")),
                "architecture" => doc["architecture"] = json!(format!("amd64{f}")),
                _ => {}
            }
            let path = c.path("forged.tar");
            docker_save(&path, &layers, &serde_json::to_vec(&doc).unwrap());
            out.push(case(
                format!("{field} holding {f:?}"),
                &[&path.to_string_lossy()],
                Expect::Exit(status),
            ));
        }
    }
    out
}

/// The layers of forged string `f` (number `k`): [files and a link named
/// with it, an os-release whose VERSION_ID holds it, a program whose
/// DT_NEEDED starts with it].
fn forged_layers(c: &mut Ctx, k: usize, f: &str) -> [Layer; 3] {
    let program = fixture("c-static");
    let d = c.mkdir("forged");
    let (app, real, link) = (format!("app{k}{f}"), format!("real{k}{f}"), format!("/real{k}{f}"));
    let files: [(&str, &[u8]); 2] = [(&app, &program), (&real, &program)];
    let top = layer(&d, "top.gz", Compress::Gzip, &files, &[(&format!("link{k}"), &link)]);
    let release = format!("PRETTY_NAME=\"Distroless\"\nVERSION_ID=\"12{f}\"\n");
    let rel = layer(
        &d,
        "rel.gz",
        Compress::Gzip,
        &[("usr/lib/os-release", release.as_bytes())],
        &[],
    );
    let mut needed = fixture("c-dynamic");
    let at = needed.windows(10).position(|w| w == b"libc.so.6\0").unwrap();
    let short: Vec<u8> = f.bytes().chain(b"libc.so.6".iter().copied()).take(9).collect();
    needed[at..at + 9].copy_from_slice(&short);
    let dynl = layer(&d, "dyn.gz", Compress::Gzip, &[("dyn", &needed)], &[]);
    [top, rel, dynl]
}

/// Each field the human output shows, holding forged string `f`: its
/// config, the layers of [`forged_layers`] it uses, and the exit status.
fn forged_fields(k: usize, f: &str) -> Vec<(&'static str, Value, &'static [usize], i32)> {
    let app = json!({"Entrypoint": [format!("/app{k}{f}")]});
    vec![
        ("os", app.clone(), &[0], 0),
        ("architecture", app.clone(), &[0], 1),
        ("Entrypoint", json!({"Entrypoint": [format!("/x{f}")]}), &[], 1),
        ("Cmd", json!({"Cmd": [format!("/x{f}")]}), &[], 1),
        ("User", json!({"Entrypoint": ["/x"], "User": format!("u{f}")}), &[], 1),
        (
            "PATH",
            json!({"Entrypoint": ["app"], "Env": [format!("PATH=/b{f}")]}),
            &[],
            1,
        ),
        ("file name", app.clone(), &[0], 0),
        ("link target", json!({"Entrypoint": [format!("/link{k}")]}), &[0], 0),
        ("VERSION_ID", app, &[0, 1], 0),
        ("DT_NEEDED", json!({"Entrypoint": ["/dyn"]}), &[2], 1),
        (
            "WorkingDir",
            json!({"Entrypoint": ["./x"], "WorkingDir": format!("/w{f}")}),
            &[],
            1,
        ),
    ]
}

/// Kind 10: an entrypoint that cannot be read as ELF is the image's error.
pub(super) fn swallowed(c: &mut Ctx) -> Vec<Case> {
    let program = fixture("c-dynamic");
    let mut broken: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut p = program.clone();
    elf64::dyn_set(&mut p, 10, 1);
    broken.push(("DT_STRSZ cut to 1", p));
    let mut p = program.clone();
    elf64::dyn_set(&mut p, 5, 0x7fff_0000);
    broken.push(("DT_STRTAB outside the file", p));
    broken.push(("cut in half", program[..program.len() / 2].to_vec()));
    let mut p = program.clone();
    elf64::dyn_set(&mut p, 1, 0xffff);
    broken.push(("DT_NEEDED outside DT_STRTAB", p));
    let mut out = Vec::new();
    for (what, bytes) in &broken {
        for z in [Compress::None, Compress::Gzip] {
            let top = c.layer(z, &[("app", bytes)]);
            out.push(case(
                format!("entrypoint {what}, {z:?}"),
                &[&c.image(&[&top], json!({"Entrypoint": ["/app"]}))],
                Expect::Error("malformed ELF"),
            ));
        }
    }
    out
}

/// Kinds 11 to 13: implied parents, digests, names as bytes.
pub(super) fn layouts(c: &mut Ctx) -> Vec<Case> {
    let program = fixture("c-static");
    let mut out = Vec::new();
    for z in ZS {
        let top = c.layer(z, &[("usr/local/app/bin/app", &program)]);
        out.push(case(
            format!("a layer of usr/local/app/bin/app alone, {z:?}"),
            &[&c.image(&[&top], json!({"Entrypoint": ["/usr/local/app/bin/app"]}))],
            Expect::Exit(0),
        ));
    }
    let d = c.mkdir("bytes");
    let mut w = LayerWriter::new(&d.join("ff.gz"), Compress::Gzip);
    w.entry(b"app\xff", b'0', &program, b"", 0o755);
    w.entry(b"link", b'2', b"", b"/real\xfe", 0o777);
    w.entry(b"real\xfe", b'0', &program, b"", 0o755);
    let ff = w.finish();
    out.push(case(
        "/app\u{fffd} against a file app\\xff",
        &[&c.image(&[&ff], json!({"Entrypoint": ["/app\u{fffd}"]}))],
        Expect::Exit(1),
    ));
    out.push(case(
        "a link to real\\xfe",
        &[&c.image(&[&ff], json!({"Entrypoint": ["/link"]}))],
        Expect::Exit(0),
    ));
    let utf8 = c.layer(Compress::Gzip, &[("app\u{fffd}", &program)]);
    out.push(case(
        "/app\u{fffd} against a file app\u{fffd}",
        &[&c.image(&[&utf8], json!({"Entrypoint": ["/app\u{fffd}"]}))],
        Expect::Exit(0),
    ));
    out.extend(digests(c, &program));
    out
}

/// Kind 12: blobs stored under the wrong digest.
fn digests(c: &mut Ctx, program: &[u8]) -> Vec<Case> {
    let d = c.mkdir("digests");
    let base = base_layer(&d);
    let app = layer(&d, "app.gz", Compress::Gzip, &[("app", program)], &[]);
    let layers = [&base, &app];
    let cfg = config(json!({"Entrypoint": ["/app"]}), &layers);
    let good = d.join("good.tar");
    images::oci_archive(&good, &layers, &cfg, None, Vec::new());
    let mut out = vec![case(
        "an OCI archive with every digest right",
        &[&good.to_string_lossy()],
        Expect::Exit(0),
    )];
    type Pick = fn(&str, &[u8], &str) -> bool;
    type Edit = fn(&mut Vec<u8>);
    let edits: [(&str, Pick, Edit); 3] = [
        (
            "config",
            |n, b, _| n.starts_with("blobs/") && b.starts_with(b"{\"architecture\""),
            |b| images::swap(b, "\"linux\"", "\"linuy\""),
        ),
        (
            "manifest",
            |n, b, _| n.starts_with("blobs/") && b.windows(13).any(|w| w == b"schemaVersion"),
            |b| images::swap(b, "\"schemaVersion\":2", "\"schemaVersion\":3"),
        ),
        ("gzip layer (its MTIME)", |n, _, app| n.ends_with(app), |b| b[4] ^= 1),
    ];
    for (what, pick, edit) in edits {
        let path = c.path("tampered.tar");
        images::tamper(&good, &path, &|n, b| pick(n, b, &app.digest[7..]), &edit);
        out.push(case(
            format!("the {what} stored under its old digest"),
            &[&path.to_string_lossy()],
            Expect::Error("digest"),
        ));
    }
    let mut wrong = app.clone();
    wrong.digest = format!("sha256:{}", "0".repeat(64));
    let path = c.path("named.tar");
    docker_save(
        &path,
        &[&base, &wrong],
        &config(json!({"Entrypoint": ["/app"]}), &[&base, &app]),
    );
    out.push(case(
        "a docker save layer stored under another digest",
        &[&path.to_string_lossy()],
        Expect::Error("digest"),
    ));
    out
}

/// The committed hostile archives of testdata/images, with their verdicts.
pub(super) fn committed() -> Vec<Case> {
    let dir = images::repo().join("testdata/images");
    let expected: Value = serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    let mut out = Vec::new();
    for (name, want) in expected
        .as_object()
        .unwrap()
        .iter()
        .filter(|(n, _)| n.starts_with("evil-"))
    {
        let status = match want["outcome"].as_str().unwrap() {
            "reject" => 5,
            "starts" => 0,
            _ => 1,
        };
        out.push(case(
            format!("testdata/images/{name}"),
            &["--platform", "linux/amd64", &dir.join(name).to_string_lossy()],
            Expect::Exit(status),
        ));
    }
    out
}
