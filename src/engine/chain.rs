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
//! re-checks under the graph lock. Old tables are kept (never freed) because a
//! reader may still be probing one; together they are smaller than the live
//! table.

use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};

use parking_lot::Mutex as RawMutex;

/// Slots probed at most, from a key's home slot.
pub(crate) const MAX_PROBE: usize = 128;

/// Slots of the first table.
const INITIAL_SLOTS: usize = 1024;

struct Table {
    slots: Box<[AtomicU64]>,
    /// Keys stored (written by writers only, which hold `TABLES`).
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

/// The live table (null until the first insert).
static LIVE: AtomicPtr<Table> = AtomicPtr::new(std::ptr::null_mut());
/// Every table ever published, the live one last (they are never freed: a
/// reader may still be probing an old one). Taken only by writers, which
/// already hold the graph lock.
static TABLES: RawMutex<Vec<usize>> = RawMutex::new(Vec::new());

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

/// Has this chain been validated? Lock-free: at most [`MAX_PROBE`] `Acquire` loads.
#[inline(always)]
pub(crate) fn contains(key: u64) -> bool {
    let table = LIVE.load(Ordering::Acquire);
    if table.is_null() {
        return false;
    }
    // SAFETY: published tables are never freed (see `TABLES`), and a table's
    // slot array is never resized after publication.
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

/// Why a chain was not cached: the chain limit was reached.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Full;

/// Records a validated chain. Call under the graph lock.
pub(crate) fn insert(key: u64) -> Result<(), Full> {
    let key = stored(key);
    let mut tables = TABLES.lock();
    let live = LIVE.load(Ordering::Acquire);
    if !live.is_null() {
        // SAFETY: published tables are never freed; everything in them is
        // atomic, and only writers (which hold `TABLES`) store.
        let table = unsafe { &*live };
        if contains(key) {
            return Ok(());
        }
        let count = table.count.load(Ordering::Relaxed);
        if count >= crate::config::limits().chains {
            return Err(Full);
        }
        if (count + 1) * 4 <= table.slots.len() * 3 && table.place(key).is_ok() {
            return Ok(());
        }
    }
    grow(&mut tables, live, key);
    Ok(())
}

/// Publishes a bigger table holding every key of `old` plus `key`.
#[cold]
fn grow(tables: &mut Vec<usize>, old: *mut Table, key: u64) {
    // SAFETY: as in `insert`.
    let old = (!old.is_null()).then(|| unsafe { &*old });
    let mut slots = old.map_or(INITIAL_SLOTS, |t| t.slots.len() * 2);
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
        LIVE.store(ptr, Ordering::Release);
        return;
    }
}

/// Number of cached chains.
pub(crate) fn len() -> usize {
    let _tables = TABLES.lock();
    let live = LIVE.load(Ordering::Acquire);
    if live.is_null() {
        return 0;
    }
    // SAFETY: as in `contains`.
    unsafe { (*live).count.load(Ordering::Relaxed) }
}

/// Bytes held by every table ever published (the live one and the retired ones).
pub(crate) fn bytes() -> usize {
    let tables = TABLES.lock();
    tables
        .iter()
        // SAFETY: as in `contains`.
        .map(|&t| unsafe { (&(*(t as *const Table))).slots.len() } * 8)
        .sum()
}

/// Forgets every chain (for [`crate::reset`]). Call under the graph lock.
pub(crate) fn clear() {
    let _tables = TABLES.lock();
    let live = LIVE.load(Ordering::Acquire);
    if !live.is_null() {
        // SAFETY: as in `insert`.
        let table = unsafe { &*live };
        for slot in table.slots.iter() {
            slot.store(0, Ordering::Release);
        }
        table.count.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
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
        let live = LIVE.load(Ordering::Acquire);
        // SAFETY: test-only read of the live table under the graph lock.
        let t = unsafe { &*live };
        let count = t.count.load(Ordering::Relaxed);
        assert!(count * 4 <= t.slots.len() * 3, "over its load factor");
    }
}
