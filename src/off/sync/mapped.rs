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

/// A guard for a part of the data of a [`Mutex`](crate::Mutex), from [`MutexGuard::map`](crate::MutexGuard::map).
pub type MappedMutexGuard<'a, U> = Mapped<'a, parking_lot::MappedMutexGuard<'a, U>>;

/// A shared guard for a part of the data of a [`RwLock`](crate::RwLock), from
/// [`RwLockReadGuard::map`](crate::RwLockReadGuard::map).
pub type MappedRwLockReadGuard<'a, U> =
    Mapped<'a, lock_api::MappedRwLockReadGuard<'a, parking_lot::RawRwLock, U>>;

/// An exclusive guard for a part of the data of a [`RwLock`](crate::RwLock),
/// from [`RwLockWriteGuard::map`](crate::RwLockWriteGuard::map).
pub type MappedRwLockWriteGuard<'a, U> =
    Mapped<'a, lock_api::MappedRwLockWriteGuard<'a, parking_lot::RawRwLock, U>>;
