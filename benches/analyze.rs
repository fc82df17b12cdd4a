//! `cargo bench`: time `dlcheck::analyze` on real fixtures, against
//! goblin's bare `Elf::parse` of the same bytes measured in the same run
//! (the reference: parsing alone, with no verdicts, no Go scan and no
//! report). The ratio says what dlcheck's reasoning costs over parsing.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin");
    [
        "c-dynamic",
        "cxx-dynamic",
        "rust-release",
        "go123-cgo-net",
        "go123-static",
        "c-static",
    ]
    .iter()
    .map(|n| (n.to_string(), std::fs::read(dir.join(n)).expect("fixture")))
    .collect()
}

fn bench(c: &mut Criterion) {
    let opts = dlcheck::Options::default();
    for (name, bytes) in fixtures() {
        let mut group = c.benchmark_group(&name);
        group.bench_function("dlcheck::analyze", |b| {
            b.iter(|| dlcheck::analyze(std::hint::black_box(&bytes), &opts))
        });
        group.bench_function("goblin Elf::parse", |b| {
            b.iter(|| goblin::elf::Elf::parse(std::hint::black_box(&bytes)).map(|e| e.libraries.len()))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
