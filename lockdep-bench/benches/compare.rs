//! Workloads w1–w4 of issue 9, every checker in the same run: plain
//! `parking_lot` 0.13 (the baseline of every ratio), `std::sync`,
//! tracing-mutex 0.3 (its `stdsync::tracing` types: the top-level ones are
//! plain `std` in release builds), deloxide 1.1 (feature `lock-order-graph`)
//! and lockdep (plus lockdep with checking switched off at run time, and
//! lockdep's `std::sync` facade).
//!
//! - w1: one mutex, lock + unlock, one thread.
//! - w2: four nested mutexes of four classes, the chain seen before, released
//!   newest-first (`lifo`) or oldest-first (`fifo`); guards live in locals.
//! - w3: w2 (LIFO) on 1, 2, 4, 8 real threads, each with its own four mutexes
//!   (the same four classes on every thread); time per operation per thread.
//! - w4: 1 and 8 threads read-lock one shared `RwLock`.
//!
//! The sizes of `Mutex<u64>` and its guard are printed first.
//!
//! `cd lockdep-bench && cargo bench --bench compare`, then
//! `cd lockdep-bench && cargo run --bin table` for the ratios (docs/performance.md).

mod common;

use std::hint::black_box;
use std::mem::size_of;
use std::time::Duration;

use common::lockdep_four;
use criterion::{BenchmarkId, Criterion, criterion_group};
use lockdep_bench::on_threads;

type TmMutex<T> = tracing_mutex::stdsync::tracing::Mutex<T>;
type TmRwLock<T> = tracing_mutex::stdsync::tracing::RwLock<T>;

/// Takes the four locks of `$locks` in order with `$lock` (an expression of
/// `$m`, the lock) into locals, then drops the guards newest-first (`lifo`)
/// or oldest-first (`fifo`).
macro_rules! four {
    ($order:ident, $locks:expr, |$m:ident| $lock:expr) => {{
        let l = $locks;
        let g0 = {
            let $m = &l[0];
            $lock
        };
        let g1 = {
            let $m = &l[1];
            $lock
        };
        let g2 = {
            let $m = &l[2];
            $lock
        };
        let g3 = {
            let $m = &l[3];
            $lock
        };
        black_box((&g0, &g1, &g2, &g3));
        four!(@release $order g0 g1 g2 g3);
    }};
    (@release lifo $a:ident $b:ident $c:ident $d:ident) => {
        drop($d);
        drop($c);
        drop($b);
        drop($a);
    };
    (@release fifo $a:ident $b:ident $c:ident $d:ident) => {
        drop($a);
        drop($b);
        drop($c);
        drop($d);
    };
}

/// Starts deloxide's detector with its lock-order graph (once per process).
fn start_deloxide() {
    static START: std::sync::Once = std::sync::Once::new();
    START.call_once(|| {
        deloxide::Deloxide::new()
            .with_lock_order_checking()
            .start()
            .expect("deloxide detector");
    });
}

/// Prints `size_of` the mutex and its guard for every checker.
fn sizes() {
    macro_rules! row {
        ($name:expr, $m:ty, $g:ty) => {
            eprintln!(
                "size_of {:<16} Mutex<u64> {:>3} B, guard {:>3} B",
                $name,
                size_of::<$m>(),
                size_of::<$g>()
            );
        };
    }
    row!(
        "parking_lot",
        parking_lot::Mutex<u64>,
        parking_lot::MutexGuard<'static, u64>
    );
    row!(
        "std",
        std::sync::Mutex<u64>,
        std::sync::MutexGuard<'static, u64>
    );
    row!(
        "tracing-mutex",
        TmMutex<u64>,
        tracing_mutex::stdsync::tracing::MutexGuard<'static, u64>
    );
    row!(
        "deloxide",
        deloxide::Mutex<u64>,
        deloxide::MutexGuard<'static, u64>
    );
    row!(
        "lockdep",
        lockdep::Mutex<u64>,
        lockdep::MutexGuard<'static, u64>
    );
    row!(
        "lockdep stdsync",
        lockdep::stdsync::Mutex<u64>,
        lockdep::stdsync::MutexGuard<'static, u64>
    );
}

fn w1(c: &mut Criterion) {
    sizes();
    start_deloxide();
    let mut g = c.benchmark_group("w1");
    let pl = parking_lot::Mutex::new(0u64);
    g.bench_function("parking_lot", |b| b.iter(|| *black_box(&pl).lock() += 1));
    let st = std::sync::Mutex::new(0u64);
    g.bench_function("std", |b| b.iter(|| *black_box(&st).lock().unwrap() += 1));
    let tm = TmMutex::new(0u64);
    g.bench_function("tracing-mutex", |b| {
        b.iter(|| *black_box(&tm).lock().unwrap() += 1)
    });
    let dl = deloxide::Mutex::new(0u64);
    g.bench_function("deloxide", |b| b.iter(|| *black_box(&dl).lock() += 1));
    let ld = lockdep::Mutex::new(0u64);
    g.bench_function("lockdep", |b| b.iter(|| *black_box(&ld).lock() += 1));
    lockdep::set_enabled(false);
    g.bench_function("lockdep-off", |b| b.iter(|| *black_box(&ld).lock() += 1));
    lockdep::set_enabled(true);
    let lds = lockdep::stdsync::Mutex::new(0u64);
    g.bench_function("lockdep-stdsync", |b| {
        b.iter(|| *black_box(&lds).lock().unwrap() += 1)
    });
    g.finish();
}

fn w2(c: &mut Criterion) {
    start_deloxide();
    let pl: [parking_lot::Mutex<u64>; 4] = Default::default();
    let st: [std::sync::Mutex<u64>; 4] = Default::default();
    let tm: [TmMutex<u64>; 4] = std::array::from_fn(|_| TmMutex::new(0));
    let dl: [deloxide::Mutex<u64>; 4] = std::array::from_fn(|_| deloxide::Mutex::new(0));
    let ld = lockdep_four();
    for order in ["lifo", "fifo"] {
        let lifo = order == "lifo";
        let mut g = c.benchmark_group(format!("w2-{order}"));
        macro_rules! case {
            ($name:expr, $locks:expr, |$m:ident| $lock:expr) => {
                g.bench_function($name, |b| {
                    if lifo {
                        b.iter(|| four!(lifo, black_box(&$locks), |$m| $lock))
                    } else {
                        b.iter(|| four!(fifo, black_box(&$locks), |$m| $lock))
                    }
                });
            };
        }
        case!("parking_lot", pl, |m| m.lock());
        case!("std", st, |m| m.lock().unwrap());
        case!("tracing-mutex", tm, |m| m.lock().unwrap());
        case!("deloxide", dl, |m| m.lock());
        case!("lockdep", ld, |m| m.lock());
        g.finish();
    }
}

fn w3(c: &mut Criterion) {
    start_deloxide();
    let mut g = c.benchmark_group("w3");
    for threads in [1usize, 2, 4, 8] {
        macro_rules! case {
            ($name:expr, $new:expr, |$m:ident| $lock:expr) => {
                g.bench_with_input(BenchmarkId::new($name, threads), &threads, |b, &n| {
                    b.iter_custom(|iters| {
                        on_threads(n, iters, |_| {
                            let locks = $new;
                            move |k| {
                                for _ in 0..k {
                                    four!(lifo, black_box(&locks), |$m| $lock);
                                }
                            }
                        })
                    })
                });
            };
        }
        case!(
            "parking_lot",
            <[parking_lot::Mutex<u64>; 4]>::default(),
            |m| m.lock()
        );
        case!("std", <[std::sync::Mutex<u64>; 4]>::default(), |m| m
            .lock()
            .unwrap());
        case!(
            "tracing-mutex",
            {
                let l: [TmMutex<u64>; 4] = std::array::from_fn(|_| TmMutex::new(0));
                l
            },
            |m| m.lock().unwrap()
        );
        case!(
            "deloxide",
            {
                let l: [deloxide::Mutex<u64>; 4] = std::array::from_fn(|_| deloxide::Mutex::new(0));
                l
            },
            |m| m.lock()
        );
        case!("lockdep", lockdep_four(), |m| m.lock());
    }
    g.finish();
}

fn w4(c: &mut Criterion) {
    start_deloxide();
    let mut g = c.benchmark_group("w4");
    let pl = parking_lot::RwLock::new(0u64);
    let st = std::sync::RwLock::new(0u64);
    let tm = TmRwLock::new(0u64);
    let dl = deloxide::RwLock::new(0u64);
    let ld = lockdep::RwLock::new(0u64);
    for threads in [1usize, 8] {
        macro_rules! case {
            ($name:expr, $lock:expr, |$l:ident| $read:expr) => {
                g.bench_with_input(BenchmarkId::new($name, threads), &threads, |b, &n| {
                    b.iter_custom(|iters| {
                        on_threads(n, iters, |_| {
                            let $l = &$lock;
                            move |k| {
                                for _ in 0..k {
                                    black_box($read);
                                }
                            }
                        })
                    })
                });
            };
        }
        case!("parking_lot", pl, |l| *black_box(l).read());
        case!("std", st, |l| *black_box(l).read().unwrap());
        case!("tracing-mutex", tm, |l| *black_box(l).read().unwrap());
        case!("deloxide", dl, |l| *black_box(l).read());
        case!("lockdep", ld, |l| *black_box(l).read());
    }
    g.finish();
}

criterion_group! {
    name = single;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = w1, w2
}

criterion_group! {
    name = threaded;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = w3, w4
}

criterion::criterion_main!(single, threaded);
