//! The cost of a JSON dump (`LOCKDEP_DUMP_DIR` writes one after each new
//! report and at exit): building it from a graph of 200 classes and 400
//! edges with stacks already symbolised, serialising, and reading it back.
//!
//! `cargo bench --bench dump`; figures in docs/performance.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

/// Builds a chain-shaped graph: classes c0..c199, edges c[i] -> c[i+1] and
/// c[i] -> c[i+2].
fn populate() {
    let classes: Vec<&'static lockdep::LockClass> = (0..200)
        .map(|i| lockdep::LockClass::new_dynamic(format!("dump-bench-{i}")))
        .collect();
    let locks: Vec<lockdep::Mutex<()>> = classes
        .iter()
        .map(|c| lockdep::Mutex::with_class((), c))
        .collect();
    for i in 0..198 {
        let _a = locks[i].lock();
        let _b = locks[i + 1].lock();
        drop(_b);
        let _c = locks[i + 2].lock();
    }
}

fn dump(c: &mut Criterion) {
    populate();
    // Symbolise every edge's stack once (what the first dump pays).
    let first = std::time::Instant::now();
    let d = lockdep::Dump::current();
    eprintln!(
        "first dump (symbolises {} edge stacks): {:?}",
        d.graph.edges.len(),
        first.elapsed()
    );
    let mut group = c.benchmark_group("dump_400_edges");
    group.bench_function("build", |b| b.iter(|| black_box(lockdep::Dump::current())));
    group.bench_function("to_json", |b| b.iter(|| black_box(d.to_json().unwrap())));
    let json = d.to_json().unwrap();
    eprintln!("dump size: {} bytes", json.len());
    group.bench_function("parse", |b| {
        b.iter(|| black_box(lockdep::Dump::parse(&json, "bench").unwrap()))
    });
    let dir = std::env::temp_dir().join(format!("lockdep-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bench.json");
    group.bench_function("write_atomic", |b| {
        b.iter(|| d.write_atomic(&path).unwrap())
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(2));
    targets = dump
}
criterion_main!(benches);
