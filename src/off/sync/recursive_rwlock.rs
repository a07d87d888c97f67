//! [`RecursiveRwLock`](crate::RecursiveRwLock) with checking compiled out:
//! the same wrapper as `RwLock` (the file `rwlock.rs`, compiled again) over
//! parking_lot's reader-preferring `RawRwLockRecursive`.

/// The raw lock of `RecursiveRwLock`.
type RwRaw = parking_lot::RawRwLockRecursive;
// Deliberately the same file as `RwLock`'s, over another raw lock.
#[allow(clippy::duplicate_mod)]
#[path = "rwlock.rs"]
mod imp;
#[cfg(feature = "arc_lock")]
pub use imp::{
    ArcRwLockReadGuard as ArcRecursiveRwLockReadGuard,
    ArcRwLockUpgradableReadGuard as ArcRecursiveRwLockUpgradableReadGuard,
    ArcRwLockWriteGuard as ArcRecursiveRwLockWriteGuard,
};
pub use imp::{
    RwLock as RecursiveRwLock, RwLockReadGuard as RecursiveRwLockReadGuard,
    RwLockUpgradableReadGuard as RecursiveRwLockUpgradableReadGuard,
    RwLockWriteGuard as RecursiveRwLockWriteGuard,
};

/// A shared guard for a part of the data of a `RecursiveRwLock`.
pub type MappedRecursiveRwLockReadGuard<'a, U> = crate::sync::mapped::Mapped<
    'a,
    lock_api::MappedRwLockReadGuard<'a, parking_lot::RawRwLockRecursive, U>,
>;
/// An exclusive guard for a part of the data of a `RecursiveRwLock`.
pub type MappedRecursiveRwLockWriteGuard<'a, U> = crate::sync::mapped::Mapped<
    'a,
    lock_api::MappedRwLockWriteGuard<'a, parking_lot::RawRwLockRecursive, U>,
>;
