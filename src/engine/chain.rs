//! The chain cache: the set of lock chains already validated.
//!
//! A chain is the ordered sequence of `(class, subclass, mode, trylock)` held
//! by a thread, ending with the lock being acquired, folded into a 64-bit key
//! (see `held::mix`). Once a chain has been validated, every edge it can add
//! is in the graph and every report it can raise has been raised, so
//! acquiring along it again needs no graph work at all: this is what makes the
//! hot path cheap (kernel `lookup_chain_cache`).
//!
//! The table is an open-addressing array of `AtomicU64` keys (0 = empty) with
//! linear probing. Two rules keep every loop bounded:
//!
//! - a key is always stored within [`MAX_PROBE`] slots of its home slot, so
//!   [`contains`] looks at no more than that many slots;
//! - the table never fills past 3/4: [`insert`] (which runs only under the
//!   graph lock) grows it first, and also when a key would land farther than
//!   `MAX_PROBE` from home.
//!
//! Growing builds a table twice the size, re-inserts every key and publishes
//! it with one `Release` store. Readers that still probe the old table see a
//! subset of the keys: a miss there only sends them to the slow path, which
//! re-checks under the graph lock. Old tables are kept (never freed while the
//! cache lives) because a reader may still be probing one; together they are
//! smaller than the live table.
//!
//! The logic is the type [`ChainCache`]; the process-wide cache is one
//! `static` of it behind the functions [`contains`], [`insert`], [`len`],
//! [`bytes`] and [`clear`]. Its atomics come from a small shim ([`sync`]) so
//! that `--cfg loom` builds swap in `loom`'s and the `loom_tests` below can
//! model the reader/writer races:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --lib loom_
//! ```
//!
//! (`.ci/run` runs the same without `--release`: the build is what costs,
//! and the dev profile builds in less than half the CPU time; the models take
//! about 0.3 s in release and 2–5 s in the dev profile.)

use std::ptr;

use sync::{AtomicPtr, AtomicU64, AtomicUsize, Ordering, WriterLock};

/// The atomics and the writers' lock: `std`/`parking_lot`, or `loom`'s in
/// the unit tests under `--cfg loom` (only there: other builds with the cfg,
/// such as the library a dev-dependency links, do not have loom).
mod sync {
    #[cfg(all(test, loom))]
    pub(super) use loom::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
    #[cfg(not(all(test, loom)))]
    pub(super) use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};

    /// The lock writers take (a raw `parking_lot` mutex).
    #[cfg(not(all(test, loom)))]
    pub(super) type WriterLock<T> = parking_lot::Mutex<T>;

    /// The lock writers take (`loom`'s mutex, with `parking_lot`'s `lock`).
    #[cfg(all(test, loom))]
    pub(super) struct WriterLock<T>(loom::sync::Mutex<T>);

    #[cfg(all(test, loom))]
    impl<T> WriterLock<T> {
        pub(super) fn new(value: T) -> WriterLock<T> {
            WriterLock(loom::sync::Mutex::new(value))
        }

        pub(super) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
            self.0.lock().unwrap()
        }
    }
}

/// Slots probed at most, from a key's home slot.
pub(crate) const MAX_PROBE: usize = 128;

/// Slots of the process-wide cache's first table.
const INITIAL_SLOTS: usize = 1024;

struct Table {
    slots: Box<[AtomicU64]>,
    /// Keys stored (written by writers only, which hold the writers' lock).
    count: AtomicUsize,
}

impl Table {
    fn new(slots: usize) -> Table {
        Table {
            slots: (0..slots).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicUsize::new(0),
        }
    }

    #[inline(always)]
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// Stores `key` (already non-zero) within `MAX_PROBE` of home. `Err` if
    /// there is no free slot in that window.
    fn place(&self, key: u64) -> Result<bool, ()> {
        let mask = self.mask();
        let home = home(key);
        for step in 0..MAX_PROBE.min(self.slots.len()) {
            let slot = &self.slots[(home + step) & mask];
            match slot.load(Ordering::Relaxed) {
                0 => {
                    slot.store(key, Ordering::Release);
                    self.count.fetch_add(1, Ordering::Relaxed);
                    return Ok(true);
                }
                k if k == key => return Ok(false),
                _ => {}
            }
        }
        Err(())
    }
}

/// 0 marks an empty slot, so a key of 0 is stored as 1.
#[inline(always)]
fn stored(key: u64) -> u64 {
    if key == 0 { 1 } else { key }
}

/// The home slot (before masking): the high bits, the best mixed by the
/// key's final multiply, folded onto the low ones.
#[inline(always)]
fn home(key: u64) -> usize {
    (key >> 29 ^ key) as usize
}

/// Why a chain was not cached: the chain limit was reached.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Full;

/// A lock-free set of chain keys: [`contains`](Self::contains) never blocks;
/// [`insert`](Self::insert) and the rest serialise on the writers' lock.
pub(crate) struct ChainCache {
    /// The live table (null until the first insert).
    live: AtomicPtr<Table>,
    /// Every table ever published, the live one last (freed only when the
    /// cache is dropped: a reader may still be probing an old one). Taken
    /// only by writers, which in the engine already hold the graph lock.
    tables: WriterLock<Vec<usize>>,
    /// Slots of the first table (a power of two).
    initial_slots: usize,
}

impl ChainCache {
    /// An empty cache whose first table has `initial_slots` (a power of two) slots.
    #[cfg(not(all(test, loom)))]
    pub(crate) const fn new(initial_slots: usize) -> ChainCache {
        ChainCache {
            live: AtomicPtr::new(ptr::null_mut()),
            tables: WriterLock::new(Vec::new()),
            initial_slots,
        }
    }

    /// An empty cache whose first table has `initial_slots` (a power of two) slots.
    #[cfg(all(test, loom))]
    pub(crate) fn new(initial_slots: usize) -> ChainCache {
        ChainCache {
            live: AtomicPtr::new(ptr::null_mut()),
            tables: WriterLock::new(Vec::new()),
            initial_slots,
        }
    }

    /// Has this chain been validated? Lock-free: at most [`MAX_PROBE`] `Acquire` loads.
    #[inline(always)]
    pub(crate) fn contains(&self, key: u64) -> bool {
        let table = self.live.load(Ordering::Acquire);
        if table.is_null() {
            return false;
        }
        // SAFETY: published tables are never freed while `self` lives (see
        // `tables`), and a table's slot array is never resized after publication.
        let table = unsafe { &*table };
        let key = stored(key);
        let mask = table.mask();
        let slots = table.slots.as_ptr();
        let home = home(key);
        for step in 0..MAX_PROBE {
            // SAFETY: `mask` is the table's length minus one (a power of two),
            // so the index is in bounds.
            let slot = unsafe { &*slots.add((home + step) & mask) };
            match slot.load(Ordering::Acquire) {
                0 => return false,
                k if k == key => return true,
                _ => {}
            }
        }
        false
    }

    /// Records a validated chain, unless `limit` chains are cached already.
    pub(crate) fn insert(&self, key: u64, limit: usize) -> Result<(), Full> {
        let key = stored(key);
        let mut tables = self.tables.lock();
        let live = self.live.load(Ordering::Acquire);
        if !live.is_null() {
            // SAFETY: published tables are never freed while `self` lives;
            // everything in them is atomic, and only writers (which hold
            // `tables`) store.
            let table = unsafe { &*live };
            if self.contains(key) {
                return Ok(());
            }
            let count = table.count.load(Ordering::Relaxed);
            if count >= limit {
                return Err(Full);
            }
            if (count + 1) * 4 <= table.slots.len() * 3 && table.place(key).is_ok() {
                return Ok(());
            }
        }
        self.grow(&mut tables, live, key);
        Ok(())
    }

    /// Publishes a bigger table holding every key of `old` plus `key`.
    #[cold]
    fn grow(&self, tables: &mut Vec<usize>, old: *mut Table, key: u64) {
        // SAFETY: as in `insert`.
        let old = (!old.is_null()).then(|| unsafe { &*old });
        let mut slots = old.map_or(self.initial_slots, |t| t.slots.len() * 2);
        'size: loop {
            let next = Table::new(slots);
            let keys = old
                .into_iter()
                .flat_map(|t| t.slots.iter())
                .map(|s| s.load(Ordering::Relaxed))
                .filter(|&k| k != 0)
                .chain([key]);
            for k in keys {
                if next.place(k).is_err() {
                    slots *= 2;
                    continue 'size;
                }
            }
            let ptr = Box::into_raw(Box::new(next));
            tables.push(ptr as usize);
            self.live.store(ptr, Ordering::Release);
            return;
        }
    }

    /// Number of cached chains.
    pub(crate) fn len(&self) -> usize {
        let _tables = self.tables.lock();
        let live = self.live.load(Ordering::Acquire);
        if live.is_null() {
            return 0;
        }
        // SAFETY: as in `contains`.
        unsafe { (*live).count.load(Ordering::Relaxed) }
    }

    /// Bytes held by every table ever published (the live one and the retired ones).
    pub(crate) fn bytes(&self) -> usize {
        let tables = self.tables.lock();
        tables
            .iter()
            // SAFETY: as in `contains`.
            .map(|&t| unsafe { (&(*(t as *const Table))).slots.len() } * 8)
            .sum()
    }

    /// Forgets every chain.
    pub(crate) fn clear(&self) {
        let _tables = self.tables.lock();
        let live = self.live.load(Ordering::Acquire);
        if !live.is_null() {
            // SAFETY: as in `insert`.
            let table = unsafe { &*live };
            for slot in table.slots.iter() {
                slot.store(0, Ordering::Release);
            }
            table.count.store(0, Ordering::Relaxed);
        }
    }
}

impl Drop for ChainCache {
    fn drop(&mut self) {
        for &t in self.tables.lock().iter() {
            // SAFETY: every entry came from `Box::into_raw` in `grow` and is
            // freed only here, once; `&mut self` means no reader can still
            // hold a reference into any table (they borrow `self`).
            drop(unsafe { Box::from_raw(t as *mut Table) });
        }
    }
}

/// The process-wide cache.
#[cfg(not(all(test, loom)))]
static CACHE: ChainCache = ChainCache::new(INITIAL_SLOTS);

#[cfg(not(all(test, loom)))]
#[inline(always)]
fn cache() -> &'static ChainCache {
    &CACHE
}

/// Under `--cfg loom` the process-wide cache is built on first use out of
/// `loom` atomics, which exist only inside a `loom::model`: a loom build runs
/// the `loom_` tests, which use caches of their own, and nothing else.
#[cfg(all(test, loom))]
fn cache() -> &'static ChainCache {
    static CACHE: std::sync::OnceLock<ChainCache> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| ChainCache::new(INITIAL_SLOTS))
}

/// Has this chain been validated? Lock-free: at most [`MAX_PROBE`] `Acquire` loads.
#[inline(always)]
pub(crate) fn contains(key: u64) -> bool {
    cache().contains(key)
}

/// Records a validated chain. Call under the graph lock.
pub(crate) fn insert(key: u64) -> Result<(), Full> {
    cache().insert(key, crate::config::limits().chains)
}

/// Number of cached chains.
pub(crate) fn len() -> usize {
    cache().len()
}

/// Bytes held by every table ever published (the live one and the retired ones).
pub(crate) fn bytes() -> usize {
    cache().bytes()
}

/// Forgets every chain (for [`crate::reset`]). Call under the graph lock.
pub(crate) fn clear() {
    cache().clear()
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn insert_then_contains() {
        let _g = crate::engine::graph::GRAPH.lock();
        let k = 0xdead_beef_u64;
        assert!(!contains(k));
        insert(k).unwrap();
        assert!(contains(k));
        assert!(contains(k)); // idempotent
        insert(0).unwrap();
        assert!(contains(0));
    }

    #[test]
    fn grows_past_its_first_size_and_keeps_every_key() {
        let _g = crate::engine::graph::GRAPH.lock();
        // Keys that all share one home slot force the probe bound, then growth.
        let keys: Vec<u64> = (1..=5 * INITIAL_SLOTS as u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
            .chain((1..=200u64).map(|i| i << 40))
            .collect();
        for &k in &keys {
            insert(k).unwrap();
        }
        for &k in &keys {
            assert!(contains(k), "lost {k:#x}");
        }
        assert!(!contains(0x1234_5678_9abc_def1));
        let live = CACHE.live.load(Ordering::Acquire);
        // SAFETY: test-only read of the live table under the graph lock.
        let t = unsafe { &*live };
        let count = t.count.load(Ordering::Relaxed);
        assert!(count * 4 <= t.slots.len() * 3, "over its load factor");
    }

    #[test]
    fn a_cache_of_its_own_is_independent_and_frees_its_tables() {
        let cache = ChainCache::new(4);
        assert_eq!(cache.len(), 0);
        assert!(!cache.contains(7));
        for k in 1..=40u64 {
            cache.insert(k, usize::MAX).unwrap();
        }
        assert!((1..=40).all(|k| cache.contains(k)));
        assert!(!cache.contains(41));
        assert_eq!(cache.len(), 40);
        assert!(cache.bytes() >= 64 * 8);
        assert_eq!(cache.insert(41, 40), Err(Full));
        cache.clear();
        assert_eq!(cache.len(), 0);
        assert!(!cache.contains(1));
        // Dropped here: every table is freed (Miri/ASan would see a leak or a
        // double free).
    }
}

/// `loom` models of the races between lock-free readers and a writer. Run with
/// `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --lib loom_`.
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicBool;

    /// Keys for a first table of 4 slots, where `home(k) & 3 == k & 3`:
    /// `K1` at slot 0, `K2` at 1, `K3` homes to 0 and probes to 2, `K4`
    /// needs a fourth slot, which the 3/4 load factor refuses: it grows the
    /// table to 8 slots (`K3` then homes to 0, `K4` to 6).
    const K1: u64 = 4;
    const K2: u64 = 5;
    const K3: u64 = 8;
    const K4: u64 = 6;
    /// Never inserted; probes past `K1` and `K2` in both tables.
    const NEVER: u64 = 12;

    /// Runs `f` under every interleaving with at most `bound` preemptions;
    /// prints how many executions that was.
    fn model(bound: usize, f: impl Fn() + Sync + Send + 'static) {
        let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = runs.clone();
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(bound);
        builder.check(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            f()
        });
        let runs = runs.load(std::sync::atomic::Ordering::Relaxed);
        println!("loom: {runs} executions, preemption bound {bound}");
    }

    /// A reader probing while the writer inserts `K3` (in place), then `K4`
    /// (which grows the table), then raises a flag: a key is never seen
    /// before its insertion began; seeing a key makes what the writer did
    /// before inserting it visible (`payload`, standing for the graph edges
    /// validated before a chain is cached); an earlier key is seen whenever
    /// a later one is; keys present before the reader started are never
    /// lost (old table or new); a never-inserted key is never seen; and after
    /// the flag (the synchronising event: `Release` store, `Acquire` load)
    /// both are seen.
    #[test]
    fn loom_reader_races_insert_and_grow() {
        model(3, || {
            let cache = Arc::new(ChainCache::new(4));
            cache.insert(K1, usize::MAX).unwrap();
            cache.insert(K2, usize::MAX).unwrap();
            let started_k4 = Arc::new(AtomicBool::new(false));
            let done = Arc::new(AtomicBool::new(false));
            // How many of K3, K4 the writer is about to insert (or has).
            let payload = Arc::new(AtomicUsize::new(0));
            let reader = {
                let (cache, started_k4, done, payload) = (
                    cache.clone(),
                    started_k4.clone(),
                    done.clone(),
                    payload.clone(),
                );
                loom::thread::spawn(move || {
                    for _ in 0..2 {
                        let synced = done.load(Ordering::Acquire);
                        let k4 = cache.contains(K4);
                        if k4 {
                            assert!(
                                started_k4.load(Ordering::Relaxed),
                                "K4 seen before its insert"
                            );
                            assert_eq!(payload.load(Ordering::Relaxed), 2, "K4's payload");
                        }
                        let k3 = cache.contains(K3);
                        if k3 {
                            assert!(payload.load(Ordering::Relaxed) >= 1, "K3's payload");
                        }
                        assert!(!k4 || k3, "K4 seen but not K3, inserted before it");
                        assert!(cache.contains(K1) && cache.contains(K2), "an old key lost");
                        assert!(!cache.contains(NEVER), "a key never inserted seen");
                        if synced {
                            assert!(k3 && k4, "not seen after the synchronising event");
                        }
                    }
                })
            };
            payload.store(1, Ordering::Relaxed);
            cache.insert(K3, usize::MAX).unwrap(); // in place (probes to slot 2)
            started_k4.store(true, Ordering::Relaxed);
            payload.store(2, Ordering::Relaxed);
            cache.insert(K4, usize::MAX).unwrap(); // grows 4 -> 8 slots
            done.store(true, Ordering::Release);
            reader.join().unwrap();
            assert_eq!(cache.len(), 4);
            assert_eq!(cache.bytes(), (4 + 8) * 8);
        });
    }

    /// Two writers inserting at once (the writers' lock serialises them; in
    /// the engine the graph lock does too), one of whose inserts grows the
    /// table, and a reader: nothing is lost, nothing invented, and each
    /// writer sees its own key right after its insert.
    #[test]
    fn loom_two_writers_and_a_reader() {
        model(3, || {
            let cache = Arc::new(ChainCache::new(4));
            cache.insert(K1, usize::MAX).unwrap();
            let writers: Vec<_> = [K3, K4]
                .into_iter()
                .map(|k| {
                    let cache = cache.clone();
                    loom::thread::spawn(move || {
                        cache.insert(k, usize::MAX).unwrap();
                        assert!(cache.contains(k), "own insert not visible");
                    })
                })
                .collect();
            cache.insert(K2, usize::MAX).unwrap();
            assert!(cache.contains(K1) && cache.contains(K2));
            assert!(!cache.contains(NEVER));
            for w in writers {
                w.join().unwrap();
            }
            for k in [K1, K2, K3, K4] {
                assert!(cache.contains(k), "{k} lost");
            }
            assert_eq!(cache.len(), 4);
        });
    }
}
