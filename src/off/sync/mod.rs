//! The lock wrappers with checking compiled out (`--cfg lockdep_off` or the
//! feature `off`): each is a `#[repr(transparent)]` newtype of parking_lot's
//! lock, with the checked build's API and `#[inline(always)]` delegation, so
//! it has the raw lock's size and code.
//!
//! ```
//! use std::mem::size_of;
//! assert_eq!(size_of::<lockdep::Mutex<u64>>(), size_of::<parking_lot::Mutex<u64>>());
//! assert_eq!(
//!     size_of::<lockdep::MutexGuard<'_, u64>>(),
//!     size_of::<parking_lot::MutexGuard<'_, u64>>()
//! );
//! ```

pub(crate) mod condvar;
pub(crate) mod mapped;
pub(crate) mod mutex;
/// One-time initialisation: the checked build's wrappers, compiled against
/// this build's zero-sized `LockMap` (so they record nothing and cost one
/// `Cell<bool>`-free call into std's or parking_lot's cell).
#[path = "../../sync/once.rs"]
pub(crate) mod once;
pub(crate) mod rwlock;

/// The raw lock of [`RwLock`].
type RwRaw = parking_lot::RawRwLock;

pub(crate) mod recursive_rwlock;
pub(crate) mod seqcount;

pub use condvar::{Condvar, WaitTimeoutResult};
pub use mapped::{Mapped, MappedMutexGuard, MappedRwLockReadGuard, MappedRwLockWriteGuard};
pub use mutex::{Mutex, MutexGuard};
pub use once::{LazyLock, Once, OnceLock, OnceState};

// parking_lot's own types, re-exported as they are (same behaviour, same
// size): the lockdep extras of the checked build (`with_class`,
// `lock_nested`, `lock_map`, `SetClass`) are not mirrored on `FairMutex` and
// `ReentrantMutex` yet.
pub use parking_lot::{
    FairMutex, FairMutexGuard, MappedFairMutexGuard, MappedReentrantMutexGuard, ReentrantMutex,
    ReentrantMutexGuard,
};
pub use recursive_rwlock::{
    MappedRecursiveRwLockReadGuard, MappedRecursiveRwLockWriteGuard, RecursiveRwLock,
    RecursiveRwLockReadGuard, RecursiveRwLockUpgradableReadGuard, RecursiveRwLockWriteGuard,
};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockUpgradableReadGuard, RwLockWriteGuard, RwSem};
pub use seqcount::{SeqCount, SeqCountWriteGuard};

/// A new mutex in a `const` context (parking_lot's `const_mutex`).
#[track_caller]
#[inline(always)]
pub const fn const_mutex<T>(value: T) -> Mutex<T> {
    Mutex::new(value)
}

/// A new reader-writer lock in a `const` context (parking_lot's `const_rwlock`).
#[track_caller]
#[inline(always)]
pub const fn const_rwlock<T>(value: T) -> RwLock<T> {
    RwLock::new(value)
}
