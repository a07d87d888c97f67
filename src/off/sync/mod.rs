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

/// The `Arc` guards: the checked build's bodies, over this build's guards.
#[path = "../../sync/arc.rs"]
pub(crate) mod arc;
pub(crate) mod borrowed;
pub(crate) mod condvar;
/// `Debug`/`Display` of the guards: the checked build's macro.
#[path = "../../sync/guard.rs"]
pub(crate) mod guard;
pub(crate) mod mapped;
pub(crate) mod mutex;
/// One-time initialisation: the checked build's wrappers, compiled against
/// this build's zero-sized `LockMap` (so they record nothing and cost one
/// `Cell<bool>`-free call into std's or parking_lot's cell).
#[path = "../../sync/once.rs"]
pub(crate) mod once;
pub(crate) mod remutex;
/// `ArcReentrantMutexGuard`: the checked build's file (it uses only the
/// locks' public API).
#[cfg(feature = "arc_lock")]
#[path = "../../sync/remutex_arc.rs"]
pub(crate) mod remutex_arc;
pub(crate) mod rwlock;
/// The `serde` impls: the checked build's macro.
#[path = "../../sync/serde.rs"]
pub(crate) mod serde;
pub(crate) mod shell;

/// The raw lock of [`RwLock`].
type RwRaw = parking_lot::RawRwLock;

pub(crate) mod recursive_rwlock;
pub(crate) mod seqcount;

pub use condvar::{Condvar, WaitTimeoutResult};
pub use mapped::{
    Mapped, MappedFairMutexGuard, MappedMutexGuard, MappedRwLockReadGuard, MappedRwLockWriteGuard,
};
#[cfg(feature = "arc_lock")]
pub use mutex::{ArcFairMutexGuard, ArcMutexGuard};
pub use mutex::{FairMutex, FairMutexGuard, Mutex, MutexGuard};
pub use once::{LazyLock, Once, OnceLock, OnceState};

#[cfg(feature = "arc_lock")]
pub use recursive_rwlock::{
    ArcRecursiveRwLockReadGuard, ArcRecursiveRwLockUpgradableReadGuard,
    ArcRecursiveRwLockWriteGuard,
};
pub use recursive_rwlock::{
    MappedRecursiveRwLockReadGuard, MappedRecursiveRwLockWriteGuard, RecursiveRwLock,
    RecursiveRwLockReadGuard, RecursiveRwLockUpgradableReadGuard, RecursiveRwLockWriteGuard,
};
pub use remutex::{MappedReentrantMutexGuard, ReentrantMutex, ReentrantMutexGuard};
#[cfg(feature = "arc_lock")]
pub use remutex_arc::ArcReentrantMutexGuard;
#[cfg(feature = "arc_lock")]
pub use rwlock::{ArcRwLockReadGuard, ArcRwLockUpgradableReadGuard, ArcRwLockWriteGuard};
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
