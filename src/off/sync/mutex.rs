//! [`Mutex`] with checking compiled out: `parking_lot::Mutex`, transparently.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use super::mapped::{Mapped, MappedMutexGuard};
use crate::class::LockClass;
use crate::map::LockMap;

/// A mutual-exclusion lock: `parking_lot::Mutex`, with the API of the checked
/// build and nothing recorded.
///
/// ```
/// use lockdep::Mutex;
/// let m = Mutex::new(5);
/// *m.lock() += 1;
/// assert_eq!(*m.lock(), 6);
/// ```
#[repr(transparent)]
pub struct Mutex<T: ?Sized> {
    inner: parking_lot::Mutex<T>,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex.
    #[track_caller]
    #[inline(always)]
    pub const fn new(value: T) -> Mutex<T> {
        Mutex {
            inner: parking_lot::Mutex::new(value),
        }
    }

    /// A new unlocked mutex (the class is not kept).
    #[track_caller]
    #[inline(always)]
    pub const fn with_class(value: T, class: &'static LockClass) -> Mutex<T> {
        let _ = class;
        Mutex::new(value)
    }

    /// Consumes the mutex, returning the data.
    #[inline(always)]
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Acquires the mutex, blocking until it is available.
    #[track_caller]
    #[inline(always)]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        MutexGuard(self.inner.lock())
    }

    /// As [`lock`](Self::lock) (the subclass is not kept).
    #[track_caller]
    #[inline(always)]
    pub fn lock_nested(&self, subclass: u8) -> MutexGuard<'_, T> {
        let _ = subclass;
        MutexGuard(self.inner.lock())
    }

    /// As [`lock`](Self::lock) (the nest lock is not kept).
    #[track_caller]
    #[inline(always)]
    pub fn lock_nest_lock<'a>(&'a self, nest: &'a LockMap) -> MutexGuard<'a, T> {
        let _ = nest;
        MutexGuard(self.inner.lock())
    }

    /// Attempts to acquire the mutex without blocking.
    #[track_caller]
    #[inline(always)]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.inner.try_lock().map(MutexGuard)
    }

    /// Attempts to acquire the mutex, giving up after `timeout`.
    #[track_caller]
    #[inline(always)]
    pub fn try_lock_for(&self, timeout: Duration) -> Option<MutexGuard<'_, T>> {
        self.inner.try_lock_for(timeout).map(MutexGuard)
    }

    /// Attempts to acquire the mutex, giving up at `deadline`.
    #[track_caller]
    #[inline(always)]
    pub fn try_lock_until(&self, deadline: Instant) -> Option<MutexGuard<'_, T>> {
        self.inner.try_lock_until(deadline).map(MutexGuard)
    }

    /// Mutable access without locking (the borrow checker proves exclusivity).
    #[inline(always)]
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    /// Is the mutex currently locked (by any thread)?
    #[inline(always)]
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// With checking compiled out there is no held-lock stack: this answers
    /// [`is_locked`](Self::is_locked), which is `true` whenever this thread
    /// holds the mutex (so `debug_assert!(m.is_held())` still holds), and also
    /// when another thread does.
    #[inline(always)]
    pub fn is_held(&self) -> bool {
        self.inner.is_locked()
    }

    /// The checker's handle for this lock: a zero-sized [`LockMap`] that does nothing.
    #[inline(always)]
    pub const fn lock_map(&self) -> &LockMap {
        &crate::map::NONE
    }
}

impl<T: Default> Default for Mutex<T> {
    #[track_caller]
    #[inline(always)]
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    #[track_caller]
    #[inline(always)]
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Exactly what the raw lock prints, as in the checked build.
        fmt::Debug::fmt(&self.inner, f)
    }
}

/// RAII guard of a [`Mutex`]: `parking_lot::MutexGuard`, transparently.
#[must_use = "if unused the Mutex will immediately unlock"]
#[clippy::has_significant_drop]
#[repr(transparent)]
pub struct MutexGuard<'a, T: ?Sized>(pub(crate) parking_lot::MutexGuard<'a, T>);

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The mutex this guard holds.
    #[inline(always)]
    pub fn mutex(s: &Self) -> &'a Mutex<T> {
        let raw: *const parking_lot::Mutex<T> = parking_lot::MutexGuard::mutex(&s.0);
        // SAFETY: `Mutex<T>` is a `#[repr(transparent)]` wrapper of
        // `parking_lot::Mutex<T>` (same layout and pointer metadata), and every
        // guard of this module was made from a `Mutex<T>`, so the pointer is to
        // a live `Mutex<T>` borrowed for `'a`.
        unsafe { &*(raw as *const Mutex<T>) }
    }

    /// A guard for a part of the locked data (parking_lot's `MutexGuard::map`).
    #[inline(always)]
    pub fn map<U: ?Sized, F>(s: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        Mapped::new(parking_lot::MutexGuard::map(s.0, f))
    }

    /// As [`map`](Self::map) if `f` returns `Some`; otherwise gives the guard back.
    #[inline(always)]
    pub fn try_map<U: ?Sized, F>(s: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        match parking_lot::MutexGuard::try_map(s.0, f) {
            Ok(mapped) => Ok(Mapped::new(mapped)),
            Err(inner) => Err(MutexGuard(inner)),
        }
    }

    /// Temporarily unlocks the mutex to run `f`, then locks it again.
    #[track_caller]
    #[inline(always)]
    pub fn unlocked<F: FnOnce() -> U, U>(s: &mut Self, f: F) -> U {
        parking_lot::MutexGuard::unlocked(&mut s.0, f)
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
