//! Instruction counts of the fast path (issue 9), under valgrind's callgrind
//! via `iai-callgrind`: w1 (one mutex, lock + unlock) and w2 (four nested
//! mutexes of four classes, LIFO and FIFO release), lockdep against plain
//! `parking_lot`, plus w1 with lockdep's checking switched off at run time.
//!
//! Each case runs the workload `n` times after an untimed setup that builds
//! the locks and takes the chain once (so lockdep is on its hot path). Every
//! case is run for `n = 100` and `n = 1100`; instructions per operation =
//! (Ir(1100) − Ir(100)) / 1000, which cancels the constant cost of the call.
//!
//! Needs valgrind and the runner of the same version as the crate:
//! `cargo install iai-callgrind-runner --version 0.16.1`, then
//! `cd lockdep-bench && cargo bench --features iai --bench instructions`.

mod common;

use std::hint::black_box;

use common::lockdep_four;
use iai_callgrind::{library_benchmark, library_benchmark_group, main};

/// Takes the four locks in order into locals, then releases them newest-first
/// (`lifo`) or oldest-first (`fifo`).
macro_rules! four {
    ($l:expr, lifo) => {{
        let l = $l;
        let (g0, g1, g2, g3) = (l[0].lock(), l[1].lock(), l[2].lock(), l[3].lock());
        black_box((&g0, &g1, &g2, &g3));
        drop(g3);
        drop(g2);
        drop(g1);
        drop(g0);
    }};
    ($l:expr, fifo) => {{
        let l = $l;
        let (g0, g1, g2, g3) = (l[0].lock(), l[1].lock(), l[2].lock(), l[3].lock());
        black_box((&g0, &g1, &g2, &g3));
        drop(g0);
        drop(g1);
        drop(g2);
        drop(g3);
    }};
}

fn pl_one(n: u64) -> (parking_lot::Mutex<u64>, u64) {
    let m = parking_lot::Mutex::new(0);
    *m.lock() += 1;
    (m, n)
}

fn ld_one(n: u64) -> (lockdep::Mutex<u64>, u64) {
    let m = lockdep::Mutex::new(0);
    *m.lock() += 1;
    (m, n)
}

fn ld_one_off(n: u64) -> (lockdep::Mutex<u64>, u64) {
    lockdep::set_enabled(false);
    ld_one(n)
}

fn pl_four(n: u64) -> ([parking_lot::Mutex<u64>; 4], u64) {
    let l: [parking_lot::Mutex<u64>; 4] = Default::default();
    four!(&l, lifo);
    (l, n)
}

fn ld_four(n: u64) -> ([lockdep::Mutex<u64>; 4], u64) {
    let l = lockdep_four();
    four!(&l, lifo);
    four!(&l, fifo);
    (l, n)
}

#[library_benchmark]
#[benches::n(args = [100, 1100], setup = pl_one)]
fn w1_parking_lot((m, n): (parking_lot::Mutex<u64>, u64)) {
    for _ in 0..n {
        *black_box(&m).lock() += 1;
    }
}

#[library_benchmark]
#[benches::n(args = [100, 1100], setup = ld_one)]
fn w1_lockdep((m, n): (lockdep::Mutex<u64>, u64)) {
    for _ in 0..n {
        *black_box(&m).lock() += 1;
    }
}

#[library_benchmark]
#[benches::n(args = [100, 1100], setup = ld_one_off)]
fn w1_lockdep_off((m, n): (lockdep::Mutex<u64>, u64)) {
    for _ in 0..n {
        *black_box(&m).lock() += 1;
    }
}

#[library_benchmark]
#[benches::n(args = [100, 1100], setup = pl_four)]
fn w2_lifo_parking_lot((l, n): ([parking_lot::Mutex<u64>; 4], u64)) {
    for _ in 0..n {
        four!(black_box(&l), lifo);
    }
}

#[library_benchmark]
#[benches::n(args = [100, 1100], setup = ld_four)]
fn w2_lifo_lockdep((l, n): ([lockdep::Mutex<u64>; 4], u64)) {
    for _ in 0..n {
        four!(black_box(&l), lifo);
    }
}

#[library_benchmark]
#[benches::n(args = [100, 1100], setup = pl_four)]
fn w2_fifo_parking_lot((l, n): ([parking_lot::Mutex<u64>; 4], u64)) {
    for _ in 0..n {
        four!(black_box(&l), fifo);
    }
}

#[library_benchmark]
#[benches::n(args = [100, 1100], setup = ld_four)]
fn w2_fifo_lockdep((l, n): ([lockdep::Mutex<u64>; 4], u64)) {
    for _ in 0..n {
        four!(black_box(&l), fifo);
    }
}

library_benchmark_group!(
    name = fast_path;
    benchmarks =
        w1_parking_lot,
        w1_lockdep,
        w1_lockdep_off,
        w2_lifo_parking_lot,
        w2_lifo_lockdep,
        w2_fifo_parking_lot,
        w2_fifo_lockdep
);

main!(library_benchmark_groups = fast_path);
