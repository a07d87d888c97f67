//! The chain cache: the set of lock chains already validated.
//!
//! A chain is the ordered sequence of `(class, subclass, mode, trylock)` held
//! by a thread, ending with the lock being acquired, folded into a 64-bit key
//! (see `held::mix`). Once a chain has been validated, every edge it can add
//! is in the graph and every report it can raise has been raised, so
//! acquiring along it again needs no graph work at all: this is what makes the
//! hot path cheap (kernel `lookup_chain_cache`).
//!
//! The table is an open-addressing array of `AtomicU64` keys (0 = empty),
//! sized once to twice the chain limit. [`contains`] is lock-free: a few
//! `Acquire` loads. [`insert`] runs only on the slow path, under the graph lock,
//! and publishes with a CAS, so a concurrent reader sees either nothing (and
//! takes the slow path, where the graph lock serialises it) or the whole key.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use once_cell::sync::OnceCell;

static TABLE: OnceCell<Box<[AtomicU64]>> = OnceCell::new();
static COUNT: AtomicUsize = AtomicUsize::new(0);

fn table() -> &'static [AtomicU64] {
    TABLE.get_or_init(|| {
        let slots = (crate::config::limits().chains.max(16) * 2).next_power_of_two();
        (0..slots).map(|_| AtomicU64::new(0)).collect()
    })
}

/// 0 marks an empty slot, so a key of 0 is stored as 1.
#[inline]
fn stored(key: u64) -> u64 {
    if key == 0 { 1 } else { key }
}

/// Has this chain been validated? Lock-free.
#[inline]
pub(crate) fn contains(key: u64) -> bool {
    let key = stored(key);
    let table = table();
    let mask = table.len() - 1;
    let mut i = key as usize & mask;
    loop {
        match table[i].load(Ordering::Acquire) {
            0 => return false,
            k if k == key => return true,
            _ => i = (i + 1) & mask,
        }
    }
}

/// Why a chain was not cached.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Full;

/// Records a validated chain. Call under the graph lock.
pub(crate) fn insert(key: u64) -> Result<(), Full> {
    if COUNT.load(Ordering::Relaxed) >= crate::config::limits().chains {
        return Err(Full);
    }
    let key = stored(key);
    let table = table();
    let mask = table.len() - 1;
    let mut i = key as usize & mask;
    loop {
        match table[i].compare_exchange(0, key, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => {
                COUNT.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
            Err(k) if k == key => return Ok(()),
            Err(_) => i = (i + 1) & mask,
        }
    }
}

/// Number of cached chains.
pub(crate) fn len() -> usize {
    COUNT.load(Ordering::Relaxed)
}

/// Forgets every chain (for [`crate::reset`]). Call under the graph lock.
pub(crate) fn clear() {
    for slot in table() {
        slot.store(0, Ordering::Release);
    }
    COUNT.store(0, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_then_contains() {
        let k = 0xdead_beef_u64;
        assert!(!contains(k));
        insert(k).unwrap();
        assert!(contains(k));
        assert!(contains(k)); // idempotent
        insert(0).unwrap();
        assert!(contains(0));
    }
}
