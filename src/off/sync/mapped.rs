//! Guards for a part of the locked data, with checking compiled out: a
//! `#[repr(transparent)]` newtype of parking_lot's mapped guard.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

/// A guard for a part of a locked value: parking_lot's mapped guard `G`.
#[must_use = "if unused the lock will immediately unlock"]
#[clippy::has_significant_drop]
#[repr(transparent)]
pub struct Mapped<'a, G> {
    inner: G,
    _lock: PhantomData<&'a ()>,
}

impl<G> Mapped<'_, G> {
    #[inline(always)]
    pub(crate) fn new(inner: G) -> Self {
        Mapped {
            inner,
            _lock: PhantomData,
        }
    }
}

impl<G: Deref> Deref for Mapped<'_, G> {
    type Target = G::Target;
    #[inline(always)]
    fn deref(&self) -> &G::Target {
        &self.inner
    }
}

impl<G: DerefMut> DerefMut for Mapped<'_, G> {
    #[inline(always)]
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

impl<'a, G> Mapped<'a, G> {
    /// The raw mapped guard, to map again.
    #[inline(always)]
    fn into_inner(self) -> G {
        self.inner
    }
}

/// `map`, `try_map`, `try_map_or_err` and `unlock_fair` on a mapped guard,
/// as lock_api has them.
macro_rules! remap {
    ($guard:ident, $raw:path, $fair:path $(, $mut:tt)?) => {
        impl<'a, R: $raw + 'a, U: ?Sized + 'a> Mapped<'a, lock_api::$guard<'a, R, U>> {
            /// A guard for a part of this part of the locked data.
            #[inline(always)]
            pub fn map<V: ?Sized, F>(s: Self, f: F) -> Mapped<'a, lock_api::$guard<'a, R, V>>
            where
                F: FnOnce(& $($mut)? U) -> & $($mut)? V,
            {
                Mapped::new(lock_api::$guard::map(s.into_inner(), f))
            }

            /// As `map` if `f` returns `Some`; otherwise gives the guard back.
            #[inline(always)]
            pub fn try_map<V: ?Sized, F>(
                s: Self,
                f: F,
            ) -> Result<Mapped<'a, lock_api::$guard<'a, R, V>>, Self>
            where
                F: FnOnce(& $($mut)? U) -> Option<& $($mut)? V>,
            {
                match lock_api::$guard::try_map(s.into_inner(), f) {
                    Ok(inner) => Ok(Mapped::new(inner)),
                    Err(inner) => Err(Mapped::new(inner)),
                }
            }

            /// As `map` if `f` returns `Ok`; otherwise gives the guard back with the error.
            #[inline(always)]
            pub fn try_map_or_err<V: ?Sized, F, E>(
                s: Self,
                f: F,
            ) -> Result<Mapped<'a, lock_api::$guard<'a, R, V>>, (Self, E)>
            where
                F: FnOnce(& $($mut)? U) -> Result<& $($mut)? V, E>,
            {
                match lock_api::$guard::try_map_or_err(s.into_inner(), f) {
                    Ok(inner) => Ok(Mapped::new(inner)),
                    Err((inner, e)) => Err((Mapped::new(inner), e)),
                }
            }
        }

        impl<'a, R: $fair + 'a, U: ?Sized + 'a> Mapped<'a, lock_api::$guard<'a, R, U>> {
            /// Unlocks fairly (parking_lot's `unlock_fair`).
            #[track_caller]
            #[inline(always)]
            pub fn unlock_fair(s: Self) {
                lock_api::$guard::unlock_fair(s.into_inner());
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
