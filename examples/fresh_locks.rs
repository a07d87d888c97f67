//! Cost of a fresh lock: `Mutex::new` + its first `lock()`, for a site whose
//! class is already registered (the common case: a lock built in a loop or a
//! constructor), against plain `parking_lot`. Single-threaded and
//! multi-threaded (every thread building locks at the same site).
//!
//! `cargo run --release --example fresh_locks`

use std::hint::black_box;
use std::time::Instant;

const N: u32 = 200_000;

#[inline(never)]
fn lockdep_fresh() {
    let m = lockdep::Mutex::new(0u64);
    *m.lock() += 1;
    black_box(&m);
}

#[inline(never)]
fn parking_lot_fresh() {
    let m = parking_lot::Mutex::new(0u64);
    *m.lock() += 1;
    black_box(&m);
}

/// A cell built by the standard library (`Arc::default`): its class is the
/// user's site found on the stack (`src/site.rs`), so this pays a stack walk
/// (symbolisation happens once per return address). Needs debug information
/// (`CARGO_PROFILE_RELEASE_DEBUG=line-tables-only`); without it the walk is
/// skipped after the first and the class stays std's site.
#[inline(never)]
fn lockdep_std_built() {
    let c: std::sync::Arc<lockdep::OnceLock<u64>> = Default::default();
    c.get_or_init(|| 1);
    black_box(&c);
}

#[inline(never)]
fn std_built() {
    let c: std::sync::Arc<std::sync::OnceLock<u64>> = Default::default();
    c.get_or_init(|| 1);
    black_box(&c);
}

fn per_op(threads: u32, f: fn()) -> f64 {
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(move || {
                for _ in 0..N {
                    f();
                }
            });
        }
    });
    start.elapsed().as_nanos() as f64 / f64::from(N)
}

fn main() {
    lockdep::set_quiet(true);
    lockdep_fresh(); // register the site's class
    lockdep_std_built();
    for threads in [1, 2] {
        // Best of three: the machine is shared.
        let best = |f: fn()| (0..3).map(|_| per_op(threads, f)).fold(f64::MAX, f64::min);
        let pl = best(parking_lot_fresh);
        let ld = best(lockdep_fresh);
        println!(
            "{threads} thread(s): parking_lot {pl:.1} ns, lockdep {ld:.1} ns per new + first lock (wall time per op per thread)"
        );
        let std = best(std_built);
        let ld = best(lockdep_std_built);
        println!(
            "{threads} thread(s): std {std:.1} ns, lockdep {ld:.1} ns per Arc::<OnceLock>::default() + get_or_init (class: {})",
            {
                let c: std::sync::Arc<lockdep::OnceLock<u64>> = Default::default();
                c.lock_map().class_name()
            }
        );
    }
}
