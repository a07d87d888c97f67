//! Stress on real threads (issue 10, "Stress on real threads").
//!
//! - `random_consistent_orders_*`: 8 threads take random subsets of 8 mutexes
//!   in one global order, release them in random order (LIFO and out of
//!   order), and count under each lock: no report, no hang, exact counters.
//! - `inverted_pair_*`: the same load plus one thread that inverts one pair:
//!   first with a timed second lock that backs out (a trylock to the checker:
//!   it cannot deadlock, so no report), then once blocking, while a gate keeps
//!   the workers out (so it cannot deadlock for real): exactly one
//!   `CircularDependency` naming exactly that pair, in order.
//! - `thread_churn_*`: 5,000 short-lived threads in a child process: no
//!   report, the checker's tables do not grow after the first 500 threads,
//!   and RSS growth stays under [`RSS_BOUND_KIB`].
//! - `rwlock_and_condvar_*`: readers, writers and condvar waits on a bounded
//!   queue under load, in one consistent order: no report, exact totals.
//!
//! Every test runs under a watchdog that aborts the process after 60 s.
//! Tests share the process's graph, so each uses its own class names and
//! looks only at reports naming them (the churn test, which reads global
//! sizes, runs alone in a child process).
// Every test here asserts what the checker records: compiled out
// (`--cfg lockdep_off`) there is nothing to assert.
#![cfg(not(lockdep_off))]

mod common;

use common::{ChildTest, Watchdog};

use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use lockdep::{
    Condvar, LockClass, Mutex, MutexGuard, ReportKind, RwLock, RwLockUpgradableReadGuard,
    RwLockWriteGuard,
};

/// The hang guard of each test here: a real deadlock must fail the run, not
/// hang it.
const HANG: Duration = Duration::from_secs(60);

/// xorshift64*: deterministic per-thread randomness without a dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

const THREADS: usize = 8;
const LOCKS: usize = 8;
const ITERATIONS: usize = 20_000;

macro_rules! classes {
    ($prefix:literal) => {
        [
            LockClass::new(concat!($prefix, "0")),
            LockClass::new(concat!($prefix, "1")),
            LockClass::new(concat!($prefix, "2")),
            LockClass::new(concat!($prefix, "3")),
            LockClass::new(concat!($prefix, "4")),
            LockClass::new(concat!($prefix, "5")),
            LockClass::new(concat!($prefix, "6")),
            LockClass::new(concat!($prefix, "7")),
        ]
    };
}

fn names(classes: &'static [LockClass; LOCKS]) -> Vec<&'static str> {
    classes.iter().map(LockClass::name).collect()
}

/// What one worker did, for the final checks.
#[derive(Default)]
struct Tally {
    /// Increments this worker made under each lock.
    counts: [u64; LOCKS],
    /// Releases that were not of the newest held lock.
    out_of_order: u64,
    /// Acquisitions.
    acquisitions: u64,
}

/// One iteration: a random non-empty subset of `locks`, taken in index
/// order, each counter incremented, released in a random order.
fn one_iteration(locks: &[Mutex<u64>; LOCKS], rng: &mut Rng, tally: &mut Tally) {
    let mask = 1 + rng.below((1 << LOCKS) - 1);
    let mut guards: Vec<Option<MutexGuard<'_, u64>>> = Vec::with_capacity(LOCKS);
    for (i, lock) in locks.iter().enumerate() {
        if mask & (1 << i) != 0 {
            let mut g = lock.lock();
            *g += 1;
            tally.counts[i] += 1;
            tally.acquisitions += 1;
            guards.push(Some(g));
        }
    }
    let mut order: Vec<usize> = (0..guards.len()).collect();
    rng.shuffle(&mut order);
    for k in order {
        // Out of order: a guard taken after this one is still held.
        if guards[k + 1..].iter().any(Option::is_some) {
            tally.out_of_order += 1;
        }
        guards[k] = None;
    }
    debug_assert!(guards.iter().all(Option::is_none));
}

/// Runs `THREADS` workers for `ITERATIONS` each; `gate` (if any) is held for
/// reading around every iteration. Returns the summed tallies.
fn run_workers(
    locks: &[Mutex<u64>; LOCKS],
    seed: u64,
    gate: Option<&std::sync::RwLock<()>>,
    progress: &AtomicUsize,
) -> Tally {
    let start = Barrier::new(THREADS);
    let tallies: Vec<Tally> = thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let start = &start;
                thread::Builder::new()
                    .name(format!("stress-worker-{t}"))
                    .spawn_scoped(s, move || {
                        let mut rng = Rng::new(seed + t as u64);
                        let mut tally = Tally::default();
                        start.wait();
                        for _ in 0..ITERATIONS {
                            let _gate = gate.map(|g| g.read().unwrap());
                            one_iteration(locks, &mut rng, &mut tally);
                            progress.fetch_add(1, Ordering::Relaxed);
                        }
                        tally
                    })
                    .unwrap()
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sum = Tally::default();
    for t in &tallies {
        for i in 0..LOCKS {
            sum.counts[i] += t.counts[i];
        }
        sum.out_of_order += t.out_of_order;
        sum.acquisitions += t.acquisitions;
    }
    sum
}

fn assert_counters(locks: &[Mutex<u64>; LOCKS], sum: &Tally) {
    for (i, lock) in locks.iter().enumerate() {
        assert_eq!(*lock.lock(), sum.counts[i], "counter {i} is not exact");
        assert!(!lock.is_held());
        assert!(!lock.is_locked());
    }
}

#[test]
fn random_consistent_orders_on_8_threads_report_nothing_and_count_exactly() {
    let _dog = Watchdog::start("stress: random_consistent_orders", HANG);
    static C: [LockClass; LOCKS] = classes!("stress::order::L");
    let locks: [Mutex<u64>; LOCKS] = std::array::from_fn(|i| Mutex::with_class(0, &C[i]));
    let t0 = Instant::now();
    let sum = run_workers(&locks, 0x5eed, None, &AtomicUsize::new(0));
    let elapsed = t0.elapsed();
    assert_counters(&locks, &sum);
    let found = common::reports_naming(&names(&C));
    assert!(found.is_empty(), "{found:#?}");
    // The run really exercised both release orders and every lock.
    assert!(sum.out_of_order > 1000, "{}", sum.out_of_order);
    assert!(sum.counts.iter().all(|&c| c > 10_000), "{:?}", sum.counts);
    // Every pair was taken in order somewhere: the graph has all 28 edges.
    let g = lockdep::graph();
    for (i, lo) in C.iter().enumerate() {
        for hi in &C[i + 1..] {
            assert!(
                g.has_edge(lo.name(), hi.name()),
                "{} -> {} missing",
                lo.name(),
                hi.name()
            );
            assert!(
                !g.has_edge(hi.name(), lo.name()),
                "{} -> {} recorded",
                hi.name(),
                lo.name()
            );
        }
    }
    println!(
        "stress: {THREADS} threads x {ITERATIONS} iterations, {} acquisitions, \
         {} out-of-order releases, {elapsed:?}",
        sum.acquisitions, sum.out_of_order
    );
}

#[test]
fn inverted_pair_is_reported_exactly_once_and_nothing_deadlocks() {
    let _dog = Watchdog::start("stress: inverted_pair", HANG);
    static C: [LockClass; LOCKS] = classes!("stress::inv::L");
    // The inverted pair: adjacent in the order, so the only cycle the
    // inversion can close is A -> B -> A (no other order can ever report).
    const A: usize = 3;
    const B: usize = 4;
    const FORCED_ROUNDS: u64 = 50;
    let locks: [Mutex<u64>; LOCKS] = std::array::from_fn(|i| Mutex::with_class(0, &C[i]));
    // A -> B is in the graph before anything else runs.
    {
        let _a = locks[A].lock();
        let _b = locks[B].lock();
    }
    let gate = std::sync::RwLock::new(());
    let progress = AtomicUsize::new(0);
    let timed_out = AtomicU64::new(0);
    let rendezvous = Barrier::new(2);
    let (sum, inverted) = thread::scope(|s| {
        // The ABBA interleaving, forced: this thread holds A and wants B
        // while the inverter holds B and wants A (timed). The inverter must
        // time out and back out; then this one gets B.
        s.spawn(|| {
            for _ in 0..FORCED_ROUNDS {
                rendezvous.wait(); // round start
                let mut a = locks[A].lock();
                rendezvous.wait(); // A held
                rendezvous.wait(); // the inverter holds B
                let mut b = locks[B].lock();
                *a += 1;
                *b += 1;
            }
        });
        let inverter = thread::Builder::new()
            .name("stress-inverter".into())
            .spawn_scoped(s, || {
                let mut inverted = 0u64;
                while progress.load(Ordering::Relaxed) < THREADS * ITERATIONS / 10 {
                    thread::yield_now();
                }
                // Phase 1, concurrent with the workers: B then A with a
                // timed lock that backs out. A timed wait cannot wait for
                // ever: the checker treats it as a trylock (no edge B -> A).
                // First the forced deadlock interleaving, every round.
                for _ in 0..FORCED_ROUNDS {
                    rendezvous.wait(); // round start
                    rendezvous.wait(); // the helper holds A
                    let b = locks[B].lock();
                    rendezvous.wait(); // B held
                    let a = locks[A].try_lock_for(Duration::from_millis(5));
                    assert!(a.is_none(), "A is held by the helper");
                    timed_out.fetch_add(1, Ordering::Relaxed);
                    drop(b); // back out: the helper can take B now
                }
                // Then at random against the workers.
                for _ in 0..2000 {
                    let mut b = locks[B].lock();
                    match locks[A].try_lock_for(Duration::from_micros(200)) {
                        Some(mut a) => {
                            *a += 1;
                            *b += 1;
                            inverted += 1;
                        }
                        None => {
                            timed_out.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                let early = common::reports_naming(&names(&C));
                assert!(early.is_empty(), "a timed lock was reported: {early:#?}");
                // Phase 2: B then A, both blocking, once, while the gate
                // keeps every worker out: the checker must report it (the
                // order could deadlock) and, gated, it cannot deadlock here.
                {
                    let _excl = gate.write().unwrap();
                    let mut b = locks[B].lock();
                    let mut a = locks[A].lock();
                    *a += 1;
                    *b += 1;
                    inverted += 1;
                }
                inverted
            })
            .unwrap();
        let sum = run_workers(&locks, 0xabba, Some(&gate), &progress);
        (sum, inverter.join().unwrap())
    });
    let mut expected = sum;
    expected.counts[A] += inverted + FORCED_ROUNDS;
    expected.counts[B] += inverted + FORCED_ROUNDS;
    assert_counters(&locks, &expected);
    let found = common::reports_naming(&names(&C));
    assert_eq!(found.len(), 1, "{found:#?}");
    let r = &found[0];
    assert_eq!(r.kind, ReportKind::CircularDependency);
    assert_eq!(r.classes(), [C[B].name(), C[A].name()], "{}", r.splat());
    assert_eq!(r.thread.name, "stress-inverter");
    println!(
        "stress: inverted pair: {inverted} inversions completed, {} timed out and \
         backed out, one report",
        timed_out.load(Ordering::Relaxed)
    );
}

/// RSS growth allowed between thread 500 and thread 5,000. A per-thread leak
/// of the held-stack buffer alone (48 entries) would be about 10 MiB.
const RSS_BOUND_KIB: u64 = 4096;
const CHURN_THREADS: usize = 5000;
const CHURN_WARMUP: usize = 500;
const CHURN_WAVE: usize = 8;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS line");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
#[ignore = "child process entry point, run by thread_churn_keeps_memory_bounded"]
fn child_thread_churn() {
    if std::env::var_os("LOCKDEP_TEST_CHILD").is_none() {
        return;
    }
    static OUTER: LockClass = LockClass::new("stress::churn::outer");
    static INNER: LockClass = LockClass::new("stress::churn::inner");
    let outer = Mutex::with_class(0u64, &OUTER);
    let inner = Mutex::with_class(0u64, &INNER);
    let mut at_warmup = None;
    let t0 = Instant::now();
    for wave in 0..CHURN_THREADS / CHURN_WAVE {
        thread::scope(|s| {
            for _ in 0..CHURN_WAVE {
                s.spawn(|| {
                    let mut o = outer.lock();
                    let mut i = inner.lock();
                    *o += 1;
                    *i += 1;
                });
            }
        });
        if at_warmup.is_none() && (wave + 1) * CHURN_WAVE >= CHURN_WARMUP {
            at_warmup = Some((lockdep::stats(), rss_kib()));
        }
    }
    let elapsed = t0.elapsed();
    let spawned = CHURN_THREADS / CHURN_WAVE * CHURN_WAVE;
    let (warm, warm_rss) = at_warmup.expect("warm-up point reached");
    let (end, end_rss) = (lockdep::stats(), rss_kib());
    println!("CHILD-WARM {warm:?} rss={warm_rss}KiB");
    println!("CHILD-END {end:?} rss={end_rss}KiB");
    assert_eq!(*outer.lock(), spawned as u64);
    assert_eq!(*inner.lock(), spawned as u64);
    assert!(lockdep::reports().is_empty(), "{:#?}", lockdep::reports());
    assert_eq!(end.edges, warm.edges);
    assert_eq!(end.chains, warm.chains);
    assert_eq!(end.origins, warm.origins);
    assert_eq!(end.graph_bytes, warm.graph_bytes);
    assert_eq!(end.chain_bytes, warm.chain_bytes);
    let growth = end_rss.saturating_sub(warm_rss);
    assert!(
        growth < RSS_BOUND_KIB,
        "RSS grew by {growth} KiB over {} threads",
        spawned - CHURN_WARMUP
    );
    println!(
        "CHILD-OK {spawned} threads in {elapsed:?}, RSS +{growth} KiB after thread {CHURN_WARMUP}"
    );
}

#[test]
fn thread_churn_keeps_memory_bounded() {
    let _dog = Watchdog::start("stress: thread_churn", HANG);
    let out = ChildTest::new("child_thread_churn")
        .timeout(Duration::from_secs(50))
        .run();
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("CHILD-OK"), "{stdout}\n{stderr}");
    assert!(!stderr.contains("WARNING"), "{stderr}");
    for line in stdout
        .lines()
        .filter_map(|l| l.find("CHILD-").map(|i| &l[i..]))
    {
        println!("{line}");
    }
}

#[test]
fn rwlock_and_condvar_under_load_report_nothing() {
    let _dog = Watchdog::start("stress: rwlock_and_condvar", HANG);
    static TABLE: LockClass = LockClass::new("stress::mix::table");
    static QUEUE: LockClass = LockClass::new("stress::mix::queue");
    const PRODUCERS: u64 = 3;
    const CONSUMERS: usize = 3;
    const READERS: usize = 2;
    const ITEMS: u64 = 20_000; // per producer
    const MIN_READS: u64 = 3000; // reader passes, all kinds
    const CAPACITY: usize = 16;
    struct Queue {
        items: std::collections::VecDeque<u64>,
        producers_left: u64,
        pushed: u64,
    }
    // Order everywhere: table (read, recursive read, upgradable read, write,
    // downgraded write) -> queue.
    let table = RwLock::with_class((0u64, 0u64), &TABLE); // (sum, count)
    let queue = Mutex::with_class(
        Queue {
            items: Default::default(),
            producers_left: PRODUCERS,
            pushed: 0,
        },
        &QUEUE,
    );
    let not_empty = Condvar::new();
    let not_full = Condvar::new();
    let stop_readers = AtomicBool::new(false);
    let waits = AtomicU64::new(0);
    let reads = AtomicU64::new(0);
    let t0 = Instant::now();
    thread::scope(|s| {
        for p in 0..PRODUCERS {
            let (queue, not_empty, not_full, waits) = (&queue, &not_empty, &not_full, &waits);
            s.spawn(move || {
                for i in 0..ITEMS {
                    let mut q = queue.lock();
                    while q.items.len() >= CAPACITY {
                        waits.fetch_add(1, Ordering::Relaxed);
                        not_full.wait_for(&mut q, Duration::from_millis(100));
                    }
                    q.items.push_back(p * ITEMS + i + 1);
                    q.pushed += 1;
                    drop(q);
                    not_empty.notify_one();
                }
                queue.lock().producers_left -= 1;
                not_empty.notify_all();
            });
        }
        for c in 0..CONSUMERS {
            let (table, queue, not_empty, not_full, waits) =
                (&table, &queue, &not_empty, &not_full, &waits);
            s.spawn(move || {
                loop {
                    let mut q = queue.lock();
                    let item = loop {
                        if let Some(item) = q.items.pop_front() {
                            break Some(item);
                        }
                        if q.producers_left == 0 {
                            break None;
                        }
                        waits.fetch_add(1, Ordering::Relaxed);
                        not_empty.wait_for(&mut q, Duration::from_millis(100));
                    };
                    drop(q);
                    not_full.notify_one();
                    let Some(item) = item else { break };
                    let mut t = table.write();
                    t.0 += item;
                    t.1 += 1;
                    if c == 0 {
                        // Writer, then the queue: table -> queue.
                        let q = queue.lock();
                        assert!(q.pushed >= t.1);
                    }
                }
            });
        }
        for _ in 0..READERS {
            let (table, queue, stop, reads) = (&table, &queue, &stop_readers, &reads);
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    // Reader, then the queue.
                    let t = table.read();
                    let q = queue.lock();
                    assert!(q.pushed >= t.1);
                    drop(q);
                    drop(t);
                    reads.fetch_add(1, Ordering::Relaxed);
                    thread::yield_now();
                }
            });
        }
        {
            let (table, queue, stop, reads) = (&table, &queue, &stop_readers, &reads);
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    // Upgradable read -> write -> read, then the queue.
                    let u = table.upgradable_read();
                    let w = RwLockUpgradableReadGuard::upgrade(u);
                    let t = RwLockWriteGuard::downgrade(w);
                    let q = queue.lock();
                    assert!(q.pushed >= t.1);
                    drop(t); // out of order
                    drop(q);
                    reads.fetch_add(1, Ordering::Relaxed);
                    thread::yield_now();
                }
            });
        }
        // Stop the readers once every item has been consumed.
        while table.read().1 < PRODUCERS * ITEMS || reads.load(Ordering::Relaxed) < MIN_READS {
            thread::sleep(Duration::from_millis(5));
        }
        stop_readers.store(true, Ordering::Relaxed);
    });
    let n = PRODUCERS * ITEMS;
    let (sum, count) = *table.read();
    assert_eq!(count, n);
    assert_eq!(sum, n * (n + 1) / 2);
    assert!(queue.lock().items.is_empty());
    let found = common::reports_naming(&["stress::mix::table", "stress::mix::queue"]);
    assert!(found.is_empty(), "{found:#?}");
    let g = lockdep::graph();
    assert!(g.has_edge("stress::mix::table", "stress::mix::queue"));
    assert!(!g.has_edge("stress::mix::queue", "stress::mix::table"));
    println!(
        "stress: rwlock+condvar: {n} items, {} condvar waits, {} reader passes, {:?}",
        waits.load(Ordering::Relaxed),
        reads.load(Ordering::Relaxed),
        t0.elapsed()
    );
}

/// Threads creating new chains fast enough to grow the chain cache several
/// times (1,024 slots at first, 3/4 load) while the others hit it on the
/// fast path: every chain validated is cached exactly once (the cache's
/// count equals the number of distinct held sequences the threads built,
/// computed independently), no report, exact counters. Global sizes, so it
/// runs alone in a child process.
#[test]
#[ignore = "child process entry point, run by chain_cache_growth_under_load_loses_nothing"]
fn child_chain_growth_race() {
    if std::env::var_os("LOCKDEP_TEST_CHILD").is_none() {
        return;
    }
    const N: usize = 32;
    const GROWERS: usize = 4;
    const ROUNDS: usize = 6000;
    let locks: Vec<Mutex<u64>> = (0..N)
        .map(|i| Mutex::with_class(0, LockClass::new_dynamic(format!("stress::grow::{i:02}"))))
        .collect();
    let t0 = Instant::now();
    let (prefixes, counts) = thread::scope(|s| {
        let handles: Vec<_> = (0..GROWERS)
            .map(|t| {
                let locks = &locks;
                s.spawn(move || {
                    let mut rng = Rng::new(0x6709 + t as u64);
                    let mut prefixes = std::collections::HashSet::new();
                    let mut counts = [0u64; N];
                    for _ in 0..ROUNDS {
                        // 1 to 3 distinct locks, in index order, released LIFO.
                        let mut pick: Vec<usize> =
                            (0..1 + rng.below(3)).map(|_| rng.below(N)).collect();
                        pick.sort_unstable();
                        pick.dedup();
                        let mut guards = Vec::new();
                        for (k, &i) in pick.iter().enumerate() {
                            let mut g = locks[i].lock();
                            *g += 1;
                            counts[i] += 1;
                            guards.push(g);
                            prefixes.insert(pick[..=k].to_vec());
                        }
                        while guards.pop().is_some() {}
                    }
                    (prefixes, counts)
                })
            })
            .collect();
        let mut all = std::collections::HashSet::new();
        let mut total = [0u64; N];
        for h in handles {
            let (p, c) = h.join().unwrap();
            all.extend(p);
            for i in 0..N {
                total[i] += c[i];
            }
        }
        (all, total)
    });
    let stats = lockdep::stats();
    println!(
        "CHILD-STATS {stats:?} distinct={} in {:?}",
        prefixes.len(),
        t0.elapsed()
    );
    assert!(lockdep::reports().is_empty(), "{:#?}", lockdep::reports());
    for (i, l) in locks.iter().enumerate() {
        assert_eq!(*l.lock(), counts[i]);
    }
    assert_eq!(
        stats.chains,
        prefixes.len(),
        "cached chains != distinct chains"
    );
    // Grown at least twice past the first table (1,024 + 2,048 + 4,096 slots).
    assert!(stats.chain_bytes >= (1024 + 2048 + 4096) * 8, "{stats:?}");
    println!("CHILD-OK");
}

#[test]
fn chain_cache_growth_under_load_loses_nothing() {
    let _dog = Watchdog::start("stress: chain_cache_growth", HANG);
    let out = ChildTest::new("child_chain_growth_race")
        .timeout(Duration::from_secs(50))
        .run();
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("CHILD-OK"), "{stdout}\n{stderr}");
    for line in stdout
        .lines()
        .filter_map(|l| l.find("CHILD-").map(|i| &l[i..]))
    {
        println!("{line}");
    }
}
