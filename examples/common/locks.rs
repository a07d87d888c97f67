//! The state shared by the `ingest` and `flush` examples: a document store
//! with a cache and an index, each behind its own lock.
//!
//! Both examples include this file (`#[path = "common/locks.rs"] mod locks;`),
//! so both build these locks at the same `file:line:col` and their classes
//! get the same stable keys in both programs' dumps. In a real project this
//! is a library crate that several binaries (or several test binaries)
//! depend on.
//!
//! Not an example itself: cargo only takes `examples/*.rs` and
//! `examples/*/main.rs`.

use std::collections::{BTreeMap, HashMap};

use lockdep::{Mutex, RwLock};

/// A document store.
pub struct Store {
    /// Recently ingested documents, by id, not yet flushed.
    pub cache: Mutex<HashMap<u64, String>>,
    /// Word → number of documents containing it.
    pub index: RwLock<BTreeMap<String, u64>>,
}

impl Store {
    pub fn new() -> Store {
        Store {
            cache: Mutex::new(HashMap::new()),
            index: RwLock::new(BTreeMap::new()),
        }
    }
}
