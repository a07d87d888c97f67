//! [`ReentrantMutex`] with checking compiled out:
//! `parking_lot::ReentrantMutex`, transparently, with the checked build's API.

use std::fmt;
use std::ops::Deref;
use std::time::{Duration, Instant};

use crate::class::LockClass;
use crate::map::LockMap;
use crate::sync::guard::fmt_via_deref;
use crate::sync::serde::serde_lock;

type Inner<T> = parking_lot::ReentrantMutex<T>;

/// A mutex the holding thread may lock again: `parking_lot::ReentrantMutex`,
/// with the API of the checked build and nothing recorded.
///
/// ```
/// use lockdep::ReentrantMutex;
/// use std::cell::Cell;
/// let m = ReentrantMutex::new(Cell::new(1));
/// let a = m.lock();
/// let b = m.lock();
/// b.set(a.get() + 1);
/// drop((a, b));
/// assert_eq!(m.lock().get(), 2);
/// ```
#[repr(transparent)]
pub struct ReentrantMutex<T: ?Sized> {
    inner: Inner<T>,
}

impl<T> ReentrantMutex<T> {
    /// A new unlocked mutex.
    #[track_caller]
    #[inline(always)]
    pub const fn new(value: T) -> ReentrantMutex<T> {
        ReentrantMutex {
            inner: lock_api::ReentrantMutex::new(value),
        }
    }

    /// A new unlocked mutex (the class is not kept).
    #[track_caller]
    #[inline(always)]
    pub const fn with_class(value: T, class: &'static LockClass) -> ReentrantMutex<T> {
        let _ = class;
        ReentrantMutex::new(value)
    }

    /// A new mutex over an existing raw mutex and thread-id source
    /// (parking_lot's `from_raw`).
    #[track_caller]
    #[inline(always)]
    pub const fn from_raw(
        raw: parking_lot::RawMutex,
        get_thread_id: parking_lot::RawThreadId,
        value: T,
    ) -> ReentrantMutex<T> {
        ReentrantMutex {
            inner: lock_api::ReentrantMutex::from_raw(raw, get_thread_id, value),
        }
    }

    /// Consumes the mutex, returning the raw mutex, the thread-id source and
    /// the data (parking_lot's `into_inner_with_raw`).
    #[inline(always)]
    pub fn into_inner_with_raw(self) -> (parking_lot::RawMutex, parking_lot::RawThreadId, T) {
        self.inner.into_inner_with_raw()
    }

    /// Consumes the mutex, returning the data.
    #[inline(always)]
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> ReentrantMutex<T> {
    /// Acquires the mutex, blocking until it is available (at once if this
    /// thread holds it).
    #[track_caller]
    #[inline(always)]
    pub fn lock(&self) -> ReentrantMutexGuard<'_, T> {
        ReentrantMutexGuard(self.inner.lock())
    }

    /// Attempts to acquire the mutex without blocking.
    #[track_caller]
    #[inline(always)]
    pub fn try_lock(&self) -> Option<ReentrantMutexGuard<'_, T>> {
        self.inner.try_lock().map(ReentrantMutexGuard)
    }

    /// Attempts to acquire the mutex, giving up after `timeout`.
    #[track_caller]
    #[inline(always)]
    pub fn try_lock_for(&self, timeout: Duration) -> Option<ReentrantMutexGuard<'_, T>> {
        self.inner.try_lock_for(timeout).map(ReentrantMutexGuard)
    }

    /// Attempts to acquire the mutex, giving up at `deadline`.
    #[track_caller]
    #[inline(always)]
    pub fn try_lock_until(&self, deadline: Instant) -> Option<ReentrantMutexGuard<'_, T>> {
        self.inner.try_lock_until(deadline).map(ReentrantMutexGuard)
    }

    /// Mutable access without locking.
    #[inline(always)]
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    /// Is the mutex locked (by any thread)?
    #[inline(always)]
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// Is the mutex locked by the current thread?
    #[inline(always)]
    pub fn is_owned_by_current_thread(&self) -> bool {
        self.inner.is_owned_by_current_thread()
    }

    /// With checking compiled out there is no held-lock stack: this answers
    /// [`is_owned_by_current_thread`](Self::is_owned_by_current_thread),
    /// exactly what the checked build answers.
    #[inline(always)]
    pub fn is_held(&self) -> bool {
        self.inner.is_owned_by_current_thread()
    }

    /// The checker's handle for this lock: a zero-sized [`LockMap`] that does nothing.
    #[inline(always)]
    pub const fn lock_map(&self) -> &LockMap {
        &crate::map::NONE
    }

    /// A raw pointer to the data (parking_lot's `data_ptr`).
    #[inline(always)]
    pub const fn data_ptr(&self) -> *mut T {
        self.inner.data_ptr()
    }

    /// The raw mutex underneath (parking_lot's `raw`).
    ///
    /// # Safety
    /// As parking_lot's `raw`.
    #[inline(always)]
    pub unsafe fn raw(&self) -> &parking_lot::RawMutex {
        // SAFETY: forwarded; the caller upholds `raw`'s contract.
        unsafe { self.inner.raw() }
    }

    /// A guard for one level this thread holds and whose guard was forgotten
    /// (parking_lot's `make_guard_unchecked`).
    ///
    /// # Safety
    /// As parking_lot's.
    #[inline(always)]
    pub unsafe fn make_guard_unchecked(&self) -> ReentrantMutexGuard<'_, T> {
        // SAFETY: forwarded; the caller upholds the contract.
        ReentrantMutexGuard(unsafe { self.inner.make_guard_unchecked() })
    }

    /// Releases one level whose guard was forgotten (parking_lot's `force_unlock`).
    ///
    /// # Safety
    /// As parking_lot's.
    #[track_caller]
    #[inline(always)]
    pub unsafe fn force_unlock(&self) {
        // SAFETY: forwarded; the caller upholds the contract.
        unsafe { self.inner.force_unlock() }
    }

    /// As [`force_unlock`](Self::force_unlock), unlocking fairly if it is the last level.
    ///
    /// # Safety
    /// As parking_lot's `force_unlock_fair`.
    #[track_caller]
    #[inline(always)]
    pub unsafe fn force_unlock_fair(&self) {
        // SAFETY: forwarded; the caller upholds the contract.
        unsafe { self.inner.force_unlock_fair() }
    }
}

serde_lock!(ReentrantMutex, lock);

impl<T: Default> Default for ReentrantMutex<T> {
    #[track_caller]
    #[inline(always)]
    fn default() -> Self {
        ReentrantMutex::new(T::default())
    }
}

impl<T> From<T> for ReentrantMutex<T> {
    #[track_caller]
    #[inline(always)]
    fn from(value: T) -> Self {
        ReentrantMutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for ReentrantMutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Exactly what the raw lock prints, as in the checked build.
        fmt::Debug::fmt(&self.inner, f)
    }
}

/// RAII guard of a [`ReentrantMutex`]: parking_lot's guard, transparently.
#[must_use = "if unused the ReentrantMutex will immediately unlock"]
#[clippy::has_significant_drop]
#[repr(transparent)]
pub struct ReentrantMutexGuard<'a, T: ?Sized>(parking_lot::ReentrantMutexGuard<'a, T>);

impl<'a, T: ?Sized> ReentrantMutexGuard<'a, T> {
    /// The mutex this guard holds.
    #[inline(always)]
    pub fn remutex(s: &Self) -> &'a ReentrantMutex<T> {
        let raw: *const Inner<T> = lock_api::ReentrantMutexGuard::remutex(&s.0);
        // SAFETY: `ReentrantMutex<T>` is a `#[repr(transparent)]` wrapper of
        // `Inner<T>` (same layout and pointer metadata), and every guard of
        // this type was made from one, so the pointer is to a live
        // `ReentrantMutex<T>` borrowed for `'a`.
        unsafe { &*(raw as *const ReentrantMutex<T>) }
    }

    /// A guard for a part of the data.
    #[inline(always)]
    pub fn map<U: ?Sized, F>(s: Self, f: F) -> MappedReentrantMutexGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        MappedReentrantMutexGuard(lock_api::ReentrantMutexGuard::map(s.0, f))
    }

    /// As [`map`](Self::map) if `f` returns `Some`; otherwise gives the guard back.
    #[inline(always)]
    pub fn try_map<U: ?Sized, F>(s: Self, f: F) -> Result<MappedReentrantMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        lock_api::ReentrantMutexGuard::try_map(s.0, f)
            .map(MappedReentrantMutexGuard)
            .map_err(ReentrantMutexGuard)
    }

    /// As [`map`](Self::map) if `f` returns `Ok`; otherwise gives the guard
    /// back with the error.
    #[inline(always)]
    pub fn try_map_or_err<U: ?Sized, F, E>(
        s: Self,
        f: F,
    ) -> Result<MappedReentrantMutexGuard<'a, U>, (Self, E)>
    where
        F: FnOnce(&T) -> Result<&U, E>,
    {
        lock_api::ReentrantMutexGuard::try_map_or_err(s.0, f)
            .map(MappedReentrantMutexGuard)
            .map_err(|(g, e)| (ReentrantMutexGuard(g), e))
    }

    /// Releases this level, fairly if it is the last (parking_lot's `unlock_fair`).
    #[track_caller]
    #[inline(always)]
    pub fn unlock_fair(s: Self) {
        lock_api::ReentrantMutexGuard::unlock_fair(s.0);
    }

    /// Temporarily releases this level to run `f`, then takes it again.
    #[track_caller]
    #[inline(always)]
    pub fn unlocked<F: FnOnce() -> U, U>(s: &mut Self, f: F) -> U {
        lock_api::ReentrantMutexGuard::unlocked(&mut s.0, f)
    }

    /// As [`unlocked`](Self::unlocked), unlocking fairly.
    #[track_caller]
    #[inline(always)]
    pub fn unlocked_fair<F: FnOnce() -> U, U>(s: &mut Self, f: F) -> U {
        lock_api::ReentrantMutexGuard::unlocked_fair(&mut s.0, f)
    }

    /// Lets a waiting thread take the mutex (parking_lot's `bump`).
    #[track_caller]
    #[inline(always)]
    pub fn bump(s: &mut Self) {
        lock_api::ReentrantMutexGuard::bump(&mut s.0);
    }
}

impl<T: ?Sized> Deref for ReentrantMutexGuard<'_, T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}

fmt_via_deref!(ReentrantMutexGuard<'_, T>);

/// A guard for a part of the data of a [`ReentrantMutex`]: parking_lot's
/// mapped guard, transparently.
#[must_use = "if unused the ReentrantMutex will immediately unlock"]
#[clippy::has_significant_drop]
#[repr(transparent)]
pub struct MappedReentrantMutexGuard<'a, U: ?Sized>(parking_lot::MappedReentrantMutexGuard<'a, U>);

impl<'a, U: ?Sized> MappedReentrantMutexGuard<'a, U> {
    /// A guard for a part of this part of the data.
    #[inline(always)]
    pub fn map<V: ?Sized, F>(s: Self, f: F) -> MappedReentrantMutexGuard<'a, V>
    where
        F: FnOnce(&U) -> &V,
    {
        MappedReentrantMutexGuard(lock_api::MappedReentrantMutexGuard::map(s.0, f))
    }

    /// As [`map`](Self::map) if `f` returns `Some`; otherwise gives the guard back.
    #[inline(always)]
    pub fn try_map<V: ?Sized, F>(s: Self, f: F) -> Result<MappedReentrantMutexGuard<'a, V>, Self>
    where
        F: FnOnce(&U) -> Option<&V>,
    {
        lock_api::MappedReentrantMutexGuard::try_map(s.0, f)
            .map(MappedReentrantMutexGuard)
            .map_err(MappedReentrantMutexGuard)
    }

    /// As [`map`](Self::map) if `f` returns `Ok`; otherwise gives the guard
    /// back with the error.
    #[inline(always)]
    pub fn try_map_or_err<V: ?Sized, F, E>(
        s: Self,
        f: F,
    ) -> Result<MappedReentrantMutexGuard<'a, V>, (Self, E)>
    where
        F: FnOnce(&U) -> Result<&V, E>,
    {
        lock_api::MappedReentrantMutexGuard::try_map_or_err(s.0, f)
            .map(MappedReentrantMutexGuard)
            .map_err(|(g, e)| (MappedReentrantMutexGuard(g), e))
    }

    /// Releases this level, fairly if it is the last.
    #[track_caller]
    #[inline(always)]
    pub fn unlock_fair(s: Self) {
        lock_api::MappedReentrantMutexGuard::unlock_fair(s.0);
    }
}

impl<U: ?Sized> Deref for MappedReentrantMutexGuard<'_, U> {
    type Target = U;
    #[inline(always)]
    fn deref(&self) -> &U {
        &self.0
    }
}

fmt_via_deref!(MappedReentrantMutexGuard<'_, U>);
