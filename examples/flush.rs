//! Flush, the other half of a cross-process lock-order problem (with
//! `ingest`; see there).
//!
//! Flushing reads the index and, while holding it, drops from the cache every
//! document whose words are all indexed: `index` (read) → `cache`, the
//! opposite of ingest's `cache` → `index` (write). Alone, no report.

#[path = "common/locks.rs"]
mod locks;

use locks::Store;

/// Drops the cached documents that are fully indexed; returns how many.
fn flush(store: &Store) -> usize {
    let index = store.index.read();
    let mut cache = store.cache.lock();
    let before = cache.len();
    cache.retain(|_, text| !text.split_whitespace().all(|w| index.contains_key(w)));
    before - cache.len()
}

fn main() {
    let store = Store::new();
    store.cache.lock().insert(1, "already flushed".to_owned());
    let dropped = flush(&store);
    println!(
        "flush: {dropped} documents dropped; lockdep found {} problem(s)",
        lockdep::reports().len()
    );
}
