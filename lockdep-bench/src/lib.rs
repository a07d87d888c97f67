//! Helpers shared by the comparison benchmarks in `benches/` (issue 9):
//! the fixed pseudo-random pair list of workload w5, `/proc/self/status`
//! readings, and running a closure on N real threads at once.
//!
//! Everything here is plain `std`. This crate is a workspace of its own, so
//! the checkers under test never reach the root's `cargo test --workspace`.
//! See `docs/performance.md`.

use std::sync::Barrier;
use std::time::{Duration, Instant};

/// A 64-bit xorshift* generator: deterministic, no dependency, good enough to
/// pick lock pairs.
#[derive(Clone, Debug)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator with a non-zero `seed`.
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: u32) -> u32 {
        (self.next_u64() % u64::from(n)) as u32
    }
}

/// The seed of w5's pair list, fixed so that every checker and every run takes
/// the same pairs.
pub const W5_SEED: u64 = 0x6c6f_636b_6465_7039;

/// w5's pair list: `count` pairs `(i, j)` with `i < j < classes`, from
/// [`W5_SEED`].
pub fn w5_pairs(classes: u32, count: usize) -> Vec<(u32, u32)> {
    let mut rng = XorShift::new(W5_SEED);
    let mut pairs = Vec::with_capacity(count);
    while pairs.len() < count {
        let a = rng.below(classes);
        let b = rng.below(classes);
        if a != b {
            pairs.push((a.min(b), a.max(b)));
        }
    }
    pairs
}

/// A value in KiB from `/proc/self/status` (`VmRSS`, `VmHWM`, ...); 0 where
/// the file or the field is missing (not Linux).
pub fn proc_status_kib(field: &str) -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| {
            let rest = line.strip_prefix(field)?.strip_prefix(':')?;
            rest.trim().trim_end_matches("kB").trim().parse().ok()
        })
        .unwrap_or(0)
}

/// Runs a workload on `threads` real threads started together and returns the
/// mean of the threads' own elapsed times, so that `elapsed / iters` is the
/// time per operation per thread.
///
/// Each thread calls `make(thread_index)` to build its workload (its own
/// locks, or references to shared ones), runs it once for `1` iteration
/// untimed (so every chain has been seen before), waits for the others, and
/// then runs it for `iters` iterations under the clock. Thread start-up is
/// not timed.
pub fn on_threads<M, F>(threads: usize, iters: u64, make: M) -> Duration
where
    M: Fn(usize) -> F + Sync,
    F: FnMut(u64),
{
    let barrier = Barrier::new(threads);
    let total: Duration = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (barrier, make) = (&barrier, &make);
                s.spawn(move || {
                    let mut run = make(t);
                    run(1);
                    barrier.wait();
                    let start = Instant::now();
                    run(iters);
                    start.elapsed()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    total / threads as u32
}

#[cfg(test)]
mod tests {
    #[test]
    fn pairs_are_ordered_and_fixed() {
        let a = super::w5_pairs(1000, 100);
        assert!(a.iter().all(|&(i, j)| i < j && j < 1000));
        assert_eq!(a, super::w5_pairs(1000, 100));
    }
}
