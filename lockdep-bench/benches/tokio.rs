//! `lock().await` + drop of an uncontended async mutex, in the same run:
//! plain `tokio::sync::Mutex` (the baseline) and `lockdep::tokio::Mutex`
//! inside an instrumented task (`fut.lockdep()`, the recommended setup),
//! inside an uninstrumented tokio task (the stack-per-task-id fallback) and
//! outside any task (`block_on`, the thread's stack). Each sample runs
//! `iters` lock/unlock pairs inside one future on a current-thread runtime,
//! so the runtime's own cost is not in the figure.
//!
//! `cd lockdep-bench && cargo bench --bench tokio` (docs/performance.md).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use lockdep::task::Instrument;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
}

fn async_mutex(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("tokio-lock-await");
    g.bench_function("tokio", |b| {
        let m = tokio::sync::Mutex::new(0u64);
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    *black_box(&m).lock().await += 1;
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("lockdep-instrumented", |b| {
        let m = lockdep::tokio::Mutex::new(0u64);
        b.iter_custom(|iters| {
            rt.block_on(
                async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        *black_box(&m).lock().await += 1;
                    }
                    start.elapsed()
                }
                .lockdep(),
            )
        })
    });
    g.bench_function("lockdep-thread", |b| {
        let m = lockdep::tokio::Mutex::new(0u64);
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    *black_box(&m).lock().await += 1;
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("lockdep-tokio-task", |b| {
        let m = std::sync::Arc::new(lockdep::tokio::Mutex::new(0u64));
        b.iter_custom(|iters| {
            let m = m.clone();
            rt.block_on(async move {
                tokio::spawn(async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        *black_box(&m).lock().await += 1;
                    }
                    start.elapsed()
                })
                .await
                .expect("task")
            })
        })
    });
    g.finish();
    // The sync engine's own cost in the same run, for scale: lock + unlock
    // of one uncontended mutex (w1 of benches/compare.rs).
    let mut g = c.benchmark_group("sync-lock");
    g.bench_function("parking_lot", |b| {
        let m = parking_lot::Mutex::new(0u64);
        b.iter(|| *black_box(&m).lock() += 1)
    });
    g.bench_function("lockdep", |b| {
        let m = lockdep::Mutex::new(0u64);
        b.iter(|| *black_box(&m).lock() += 1)
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = async_mutex
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
