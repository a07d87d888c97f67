//! Lock/unlock cost: lockdep's wrappers side by side with plain parking_lot,
//! in the same run. The lockdep cases take the hot path (the chain of held
//! classes was validated on the first iteration); `lockdep_disabled` is
//! lockdep with checking switched off at run time.
//!
//! Each iteration takes `depth` mutexes of distinct classes in order and
//! releases them newest-first (`lifo`) or oldest-first (`fifo`). The guards
//! are kept in a fixed array on the stack (no allocation in the timed loop),
//! the same for both sides.
//!
//! `cargo bench --bench acquire`. The comparison with the other checkers
//! (tracing-mutex, deloxide, std) is `lockdep-bench/benches/compare.rs`;
//! both are described in docs/performance.md.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// Most locks a case holds.
const MAX_DEPTH: usize = 8;

/// Takes every lock of `$locks` in order, then releases them newest-first if
/// `$lifo`, else oldest-first. The guards live in a `[Option<Guard>; 8]` on
/// the stack.
macro_rules! nest {
    ($locks:expr, $lifo:expr) => {{
        let locks = $locks;
        let mut guards = [None, None, None, None, None, None, None, None];
        for (slot, l) in guards.iter_mut().zip(locks.iter()) {
            *slot = Some(l.lock());
        }
        black_box(&guards);
        let held = &mut guards[..locks.len()];
        if $lifo {
            for g in held.iter_mut().rev() {
                drop(g.take());
            }
        } else {
            for g in held.iter_mut() {
                drop(g.take());
            }
        }
    }};
}

fn mutex(c: &mut Criterion) {
    for (order, lifo) in [("lifo", true), ("fifo", false)] {
        let mut group = c.benchmark_group(format!("mutex_lock_unlock_{order}"));
        for depth in [1usize, 2, 4, 8] {
            assert!(depth <= MAX_DEPTH);
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
                b.iter(|| nest!(black_box(&pl), lifo))
            });
            lockdep::set_enabled(true);
            group.bench_with_input(BenchmarkId::new("lockdep", depth), &depth, |b, _| {
                b.iter(|| nest!(black_box(&ld), lifo))
            });
            lockdep::set_enabled(false);
            group.bench_with_input(
                BenchmarkId::new("lockdep_disabled", depth),
                &depth,
                |b, _| b.iter(|| nest!(black_box(&ld), lifo)),
            );
            lockdep::set_enabled(true);
        }
        group.finish();
    }
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
