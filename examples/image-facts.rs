//! The image-data generator's reader (`scripts/gen-images.py fetch`): the
//! facts of files unpacked from Debian packages, read with dlcheck's own
//! ELF and ld.so.cache readers, one JSON object per line on stdout.
//!
//!     cargo run --release --example image-facts -- FILE...
//!     cargo run --release --example image-facts -- --ld-so-cache ARCH FILE
//!
//! For each ELF FILE: `{"file", "class", "machine", "type", "interpreter",
//! "soname", "needed", "rpath", "runpath", "verdefs", "arm_cpu_arch"}`
//! (PT_INTERP; DT_SONAME, DT_NEEDED, DT_RPATH, DT_RUNPATH; the version
//! definitions without the base entry; Tag_CPU_arch); a file that cannot be
//! read gives `{"file", "error"}`. With `--ld-so-cache`: `{"file",
//! "entries": [[soname, path], ...]}`, the entries for ARCH in cache order.

use dlcheck::elf::{ElfFacts, ElfFile};
use dlcheck::loader::cache;
use serde_json::{Value, json};

fn elf_facts(path: &str) -> Value {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return json!({"file": path, "error": e.to_string()}),
    };
    let read = || -> Result<(ElfFacts, Vec<String>), dlcheck::Error> {
        let file = ElfFile::parse(&bytes)?;
        let facts = file.facts()?;
        let verdefs = file.version_definitions()?;
        Ok((facts, verdefs))
    };
    match read() {
        Ok((f, verdefs)) => json!({
            "file": path,
            "class": f.class,
            "machine": f.machine,
            "type": f.e_type,
            "interpreter": f.interpreter,
            "soname": f.soname,
            "needed": f.needed,
            "rpath": f.rpath,
            "runpath": f.runpath,
            "verdefs": verdefs,
            "arm_cpu_arch": f.arm_cpu_arch,
        }),
        Err(e) => json!({"file": path, "error": e.to_string()}),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--ld-so-cache") {
        let [_, arch, file] = args.as_slice() else {
            eprintln!("usage: image-facts --ld-so-cache ARCH FILE");
            std::process::exit(2);
        };
        let bytes = std::fs::read(file).unwrap_or_else(|e| {
            eprintln!("image-facts: {file}: {e}");
            std::process::exit(3);
        });
        let (entries, _) = cache::parse(&bytes, arch, cache::MAX_ENTRIES);
        let entries: Vec<(&str, &str)> = entries.iter().map(|(s, p)| (&**s, &**p)).collect();
        println!("{}", json!({"file": file, "entries": entries}));
        return;
    }
    for path in &args {
        println!("{}", elf_facts(path));
    }
}
