//! Guards for a part of the locked data: what `MutexGuard::map` and the
//! `RwLock` guards' `map` return (parking_lot's `MappedMutexGuard`,
//! `MappedRwLockReadGuard`, `MappedRwLockWriteGuard`).

use std::fmt;
use std::ops::{Deref, DerefMut};

use crate::engine::Recorded;
use crate::map::LockMap;

/// A guard for a part of a locked value. The lock stays held, and on this
/// thread's held-lock stack, until the mapped guard drops; it cannot be
/// unlocked and re-locked through it (as with parking_lot's mapped guards).
#[must_use = "if unused the lock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct Mapped<'a, G> {
    inner: G,
    map: &'a LockMap,
    recorded: Recorded,
}

impl<'a, G> Mapped<'a, G> {
    pub(crate) fn new(inner: G, map: &'a LockMap, recorded: Recorded) -> Self {
        Mapped {
            inner,
            map,
            recorded,
        }
    }
}

impl<G> Drop for Mapped<'_, G> {
    fn drop(&mut self) {
        // The real unlock follows, when `inner` drops.
        self.recorded.release(self.map);
    }
}

impl<G: Deref> Deref for Mapped<'_, G> {
    type Target = G::Target;
    fn deref(&self) -> &G::Target {
        &self.inner
    }
}

impl<G: DerefMut> DerefMut for Mapped<'_, G> {
    fn deref_mut(&mut self) -> &mut G::Target {
        &mut self.inner
    }
}

impl<G: Deref<Target: fmt::Debug>> fmt::Debug for Mapped<'_, G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<G: Deref<Target: fmt::Display>> fmt::Display for Mapped<'_, G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// A guard for a part of the data of a [`Mutex`](crate::Mutex), from [`MutexGuard::map`](crate::MutexGuard::map).
pub type MappedMutexGuard<'a, U> = Mapped<'a, parking_lot::MappedMutexGuard<'a, U>>;

/// A guard for a part of the data of a [`FairMutex`](crate::FairMutex), from
/// [`FairMutexGuard::map`](crate::FairMutexGuard::map).
pub type MappedFairMutexGuard<'a, U> =
    Mapped<'a, lock_api::MappedMutexGuard<'a, parking_lot::RawFairMutex, U>>;

/// A shared guard for a part of the data of a [`RwLock`](crate::RwLock), from
/// [`RwLockReadGuard::map`](crate::RwLockReadGuard::map).
pub type MappedRwLockReadGuard<'a, U> =
    Mapped<'a, lock_api::MappedRwLockReadGuard<'a, parking_lot::RawRwLock, U>>;

/// An exclusive guard for a part of the data of a [`RwLock`](crate::RwLock),
/// from [`RwLockWriteGuard::map`](crate::RwLockWriteGuard::map).
pub type MappedRwLockWriteGuard<'a, U> =
    Mapped<'a, lock_api::MappedRwLockWriteGuard<'a, parking_lot::RawRwLock, U>>;

/// A shared guard for a part of the data of a
/// [`RecursiveRwLock`](crate::RecursiveRwLock), from
/// [`RecursiveRwLockReadGuard::map`](crate::RecursiveRwLockReadGuard::map).
pub type MappedRecursiveRwLockReadGuard<'a, U> =
    Mapped<'a, lock_api::MappedRwLockReadGuard<'a, parking_lot::RawRwLockRecursive, U>>;

/// An exclusive guard for a part of the data of a
/// [`RecursiveRwLock`](crate::RecursiveRwLock), from
/// [`RecursiveRwLockWriteGuard::map`](crate::RecursiveRwLockWriteGuard::map).
pub type MappedRecursiveRwLockWriteGuard<'a, U> =
    Mapped<'a, lock_api::MappedRwLockWriteGuard<'a, parking_lot::RawRwLockRecursive, U>>;
