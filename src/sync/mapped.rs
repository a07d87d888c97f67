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

impl<'a, G> Mapped<'a, G> {
    /// Takes the guard apart without releasing anything.
    fn into_parts(self) -> (G, &'a LockMap, Recorded) {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, and `inner` is moved
        // out exactly once; the other fields are `Copy`.
        let inner = unsafe { std::ptr::read(&this.inner) };
        (inner, this.map, this.recorded)
    }
}

/// `map`, `try_map` and `try_map_or_err` on a mapped guard, as lock_api has
/// them: the lock stays held, and on the held-lock stack, until the new
/// mapped guard drops.
macro_rules! remap {
    ($guard:ident, $raw:path, $fair:path $(, $mut:tt)?) => {
        impl<'a, R: $raw + 'a, U: ?Sized + 'a> Mapped<'a, lock_api::$guard<'a, R, U>> {
            /// A guard for a part of this part of the locked data.
            pub fn map<V: ?Sized, F>(s: Self, f: F) -> Mapped<'a, lock_api::$guard<'a, R, V>>
            where
                F: FnOnce(& $($mut)? U) -> & $($mut)? V,
            {
                let (inner, map, recorded) = s.into_parts();
                Mapped::new(lock_api::$guard::map(inner, f), map, recorded)
            }

            /// As `map` if `f` returns `Some`; otherwise gives the guard back.
            pub fn try_map<V: ?Sized, F>(
                s: Self,
                f: F,
            ) -> Result<Mapped<'a, lock_api::$guard<'a, R, V>>, Self>
            where
                F: FnOnce(& $($mut)? U) -> Option<& $($mut)? V>,
            {
                let (inner, map, recorded) = s.into_parts();
                match lock_api::$guard::try_map(inner, f) {
                    Ok(inner) => Ok(Mapped::new(inner, map, recorded)),
                    Err(inner) => Err(Mapped::new(inner, map, recorded)),
                }
            }

            /// As `map` if `f` returns `Ok`; otherwise gives the guard back with the error.
            pub fn try_map_or_err<V: ?Sized, F, E>(
                s: Self,
                f: F,
            ) -> Result<Mapped<'a, lock_api::$guard<'a, R, V>>, (Self, E)>
            where
                F: FnOnce(& $($mut)? U) -> Result<& $($mut)? V, E>,
            {
                let (inner, map, recorded) = s.into_parts();
                match lock_api::$guard::try_map_or_err(inner, f) {
                    Ok(inner) => Ok(Mapped::new(inner, map, recorded)),
                    Err((inner, e)) => Err((Mapped::new(inner, map, recorded), e)),
                }
            }
        }

        impl<'a, R: $fair + 'a, U: ?Sized + 'a> Mapped<'a, lock_api::$guard<'a, R, U>> {
            /// Unlocks fairly (parking_lot's `unlock_fair`); the checker entry
            /// is released first.
            #[track_caller]
            pub fn unlock_fair(s: Self) {
                let (inner, map, mut recorded) = s.into_parts();
                recorded.release(map);
                lock_api::$guard::unlock_fair(inner);
            }
        }
    };
}

remap!(
    MappedMutexGuard,
    lock_api::RawMutex,
    lock_api::RawMutexFair,
    mut
);
remap!(
    MappedRwLockReadGuard,
    lock_api::RawRwLock,
    lock_api::RawRwLockFair
);
remap!(
    MappedRwLockWriteGuard,
    lock_api::RawRwLock,
    lock_api::RawRwLockFair,
    mut
);
