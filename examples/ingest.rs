//! Ingest, one half of a cross-process lock-order problem (with `flush`).
//!
//! Ingesting a document caches it, then indexes its words while still
//! holding the cache: `cache` → `index`. The `flush` example takes the same
//! two locks the other way round: `index` (read) → `cache`. A program that
//! ran both paths on two threads could deadlock; but this program only
//! ingests and `flush` only flushes, like two test binaries of one project
//! that each exercise one path, so each process alone reports nothing.
//! Merging their dumps finds the cycle:
//!
//! ```text
//! LOCKDEP_DUMP_DIR=target/lockdep cargo run --example ingest
//! LOCKDEP_DUMP_DIR=target/lockdep cargo run --example flush
//! cargo run -p lockdep-cli -- merge target/lockdep
//! ```

#[path = "common/locks.rs"]
mod locks;

use locks::Store;

/// Caches `text` under `id` and adds its words to the index.
fn ingest(store: &Store, id: u64, text: &str) {
    let mut cache = store.cache.lock();
    cache.insert(id, text.to_owned());
    let mut index = store.index.write();
    for word in text.split_whitespace() {
        *index.entry(word.to_owned()).or_default() += 1;
    }
}

fn main() {
    let store = Store::new();
    ingest(&store, 1, "locks taken in order");
    ingest(&store, 2, "order matters");
    println!(
        "ingest: {} documents cached, {} words indexed; lockdep found {} problem(s)",
        store.cache.lock().len(),
        store.index.read().len(),
        lockdep::reports().len()
    );
}
