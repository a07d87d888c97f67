//! The lock wrappers: drop-in replacements for `parking_lot`'s locks, built on
//! [`LockMap`](crate::LockMap) and the engine's entry points.

pub(crate) mod arc;
pub(crate) mod borrowed;
pub(crate) mod condvar;
pub(crate) mod guard;
pub(crate) mod mapped;
pub(crate) mod mutex;
pub(crate) mod once;
pub(crate) mod remutex;
#[cfg(feature = "arc_lock")]
pub(crate) mod remutex_arc;
pub(crate) mod rwlock;
pub(crate) mod seqcount;
pub(crate) mod serde;
pub(crate) mod shell;

pub use condvar::{Condvar, WaitTimeoutResult};
pub use mapped::{
    Mapped, MappedFairMutexGuard, MappedMutexGuard, MappedRecursiveRwLockReadGuard,
    MappedRecursiveRwLockWriteGuard, MappedRwLockReadGuard, MappedRwLockWriteGuard,
};
#[cfg(feature = "arc_lock")]
pub use mutex::{ArcFairMutexGuard, ArcMutexGuard};
pub use mutex::{FairMutex, FairMutexGuard, Mutex, MutexGuard};
pub use once::{LazyLock, Once, OnceLock, OnceState};
pub use remutex::{MappedReentrantMutexGuard, ReentrantMutex, ReentrantMutexGuard};
#[cfg(feature = "arc_lock")]
pub use remutex_arc::ArcReentrantMutexGuard;
#[cfg(feature = "arc_lock")]
pub use rwlock::{
    ArcRecursiveRwLockReadGuard, ArcRecursiveRwLockUpgradableReadGuard,
    ArcRecursiveRwLockWriteGuard, ArcRwLockReadGuard, ArcRwLockUpgradableReadGuard,
    ArcRwLockWriteGuard,
};
pub use rwlock::{
    RecursiveRwLock, RecursiveRwLockReadGuard, RecursiveRwLockUpgradableReadGuard,
    RecursiveRwLockWriteGuard, RwLock, RwLockReadGuard, RwLockUpgradableReadGuard,
    RwLockWriteGuard, RwSem,
};
pub use seqcount::{SeqCount, SeqCountWriteGuard};

/// A new mutex in a `const` context (parking_lot's `const_mutex`); its class
/// is the caller's site, as with [`Mutex::new`].
#[track_caller]
pub const fn const_mutex<T>(value: T) -> Mutex<T> {
    Mutex::new(value)
}

/// A new reader-writer lock in a `const` context (parking_lot's
/// `const_rwlock`); its class is the caller's site, as with [`RwLock::new`].
#[track_caller]
pub const fn const_rwlock<T>(value: T) -> RwLock<T> {
    RwLock::new(value)
}
