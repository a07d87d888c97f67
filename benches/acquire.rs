//! Lock/unlock cost: lockdep's wrappers side by side with plain parking_lot,
//! in the same run. The lockdep cases take the hot path (the chain of held
//! classes was validated on the first iteration); `disabled` is lockdep with
//! checking switched off at run time.
//!
//! `cargo bench --bench acquire`; the ratios are written down in docs/performance.md.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// Takes `locks` in order, then releases them (nesting depth = locks.len()).
macro_rules! nest {
    ($locks:expr) => {{
        let locks = $locks;
        let mut guards = Vec::with_capacity(8);
        for l in locks.iter() {
            guards.push(l.lock());
        }
        black_box(&guards);
        drop(guards);
    }};
}

fn mutex(c: &mut Criterion) {
    let mut group = c.benchmark_group("mutex_lock_unlock");
    for depth in [1usize, 2, 4, 8] {
        let pl: Vec<parking_lot::Mutex<u64>> =
            (0..depth).map(|_| parking_lot::Mutex::new(0)).collect();
        let classes: Vec<&'static lockdep::LockClass> = (0..depth)
            .map(|i| lockdep::LockClass::new_dynamic(format!("bench-{i}")))
            .collect();
        let ld: Vec<lockdep::Mutex<u64>> = classes
            .iter()
            .map(|c| lockdep::Mutex::with_class(0, c))
            .collect();
        group.bench_with_input(BenchmarkId::new("parking_lot", depth), &depth, |b, _| {
            b.iter(|| nest!(&pl))
        });
        lockdep::set_enabled(true);
        group.bench_with_input(BenchmarkId::new("lockdep", depth), &depth, |b, _| {
            b.iter(|| nest!(&ld))
        });
        lockdep::set_enabled(false);
        group.bench_with_input(
            BenchmarkId::new("lockdep_disabled", depth),
            &depth,
            |b, _| b.iter(|| nest!(&ld)),
        );
        lockdep::set_enabled(true);
    }
    group.finish();
}

fn rwlock_read(c: &mut Criterion) {
    let mut group = c.benchmark_group("rwlock_read");
    let pl = parking_lot::RwLock::new(0u64);
    let ld = lockdep::RwLock::new(0u64);
    group.bench_function("parking_lot", |b| b.iter(|| black_box(*pl.read())));
    group.bench_function("lockdep", |b| b.iter(|| black_box(*ld.read())));
    group.finish();
}

fn stdsync_mutex(c: &mut Criterion) {
    // The std::sync facade (poison flag + checker) against std's own mutex.
    let mut group = c.benchmark_group("stdsync_mutex_lock_unlock");
    let std_m = std::sync::Mutex::new(0u64);
    let ld = lockdep::stdsync::Mutex::new(0u64);
    group.bench_function("std", |b| b.iter(|| *std_m.lock().unwrap() += 1));
    group.bench_function("lockdep_stdsync", |b| b.iter(|| *ld.lock().unwrap() += 1));
    group.finish();
}

fn new_chain(c: &mut Criterion) {
    // The slow path: a chain never seen before (graph lock, edge, search).
    // Each iteration uses a fresh pair of classes, so this includes class registration.
    c.bench_function("first_time_chain", |b| {
        let mut n = 0u64;
        b.iter(|| {
            n += 1;
            let a = lockdep::Mutex::with_class(
                (),
                lockdep::LockClass::new_dynamic(format!("slow-a-{n}")),
            );
            let b2 = lockdep::Mutex::with_class(
                (),
                lockdep::LockClass::new_dynamic(format!("slow-b-{n}")),
            );
            let _ga = a.lock();
            let _gb = b2.lock();
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_millis(300)).measurement_time(std::time::Duration::from_secs(1));
    targets = mutex, rwlock_read, stdsync_mutex
}
criterion_group! {
    name = slow;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(1));
    targets = new_chain
}
criterion_main!(benches, slow);
