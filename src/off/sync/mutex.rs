//! [`Mutex`] and [`FairMutex`] with checking compiled out: parking_lot's
//! `Mutex` and `FairMutex`, transparently, with the checked build's API. Both
//! are generated from one body by the `mutex!` macro below, as in the checked
//! build.

use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use super::mapped::{Mapped, MappedFairMutexGuard, MappedMutexGuard};
use crate::map::LockMap;
#[cfg(feature = "arc_lock")]
use crate::sync::arc::Recorded;
use crate::sync::arc::arc_guard;
use crate::sync::guard::fmt_via_deref;
use crate::sync::serde::serde_lock;
use crate::sync::shell::lock_shell;

/// Generates the compiled-out mutex type `$lock` over the raw mutex `$raw`,
/// with its guard `$guard`, mapped guard `$mapped` and `Arc` guard `$arc`.
macro_rules! mutex {
    (
        $(#[$doc:meta])*
        lock: $lock:ident,
        guard: $guard:ident,
        mapped: $mapped:ident,
        arc_guard: $arc:ident,
        raw: $raw:ty,
    ) => {
        lock_shell! {
            $(#[$doc])*
            lock: $lock,
            inner: Mutex,
            raw: $raw,
            what: "mutex",
        }

        impl<T: ?Sized> $lock<T> {
            /// Acquires the mutex, blocking until it is available.
            #[track_caller]
            #[inline(always)]
            pub fn lock(&self) -> $guard<'_, T> {
                $guard(self.inner.lock())
            }

            /// As [`lock`](Self::lock) (the subclass is not kept).
            #[track_caller]
            #[inline(always)]
            pub fn lock_nested(&self, subclass: u8) -> $guard<'_, T> {
                let _ = subclass;
                self.lock()
            }

            /// As [`lock`](Self::lock) (the nest lock is not kept).
            #[track_caller]
            #[inline(always)]
            pub fn lock_nest_lock<'a>(&'a self, nest: &'a LockMap) -> $guard<'a, T> {
                let _ = nest;
                self.lock()
            }

            /// Attempts to acquire the mutex without blocking.
            #[track_caller]
            #[inline(always)]
            pub fn try_lock(&self) -> Option<$guard<'_, T>> {
                self.inner.try_lock().map($guard)
            }

            /// Attempts to acquire the mutex, giving up after `timeout`.
            #[track_caller]
            #[inline(always)]
            pub fn try_lock_for(&self, timeout: Duration) -> Option<$guard<'_, T>> {
                self.inner.try_lock_for(timeout).map($guard)
            }

            /// Attempts to acquire the mutex, giving up at `deadline`.
            #[track_caller]
            #[inline(always)]
            pub fn try_lock_until(&self, deadline: Instant) -> Option<$guard<'_, T>> {
                self.inner.try_lock_until(deadline).map($guard)
            }

            /// A guard for a mutex this thread locked through [`raw`](Self::raw)
            /// (parking_lot's `make_guard_unchecked`).
            ///
            /// # Safety
            /// As parking_lot's: the current thread holds the lock with the
            /// acquisition state `guard`, and no other guard for it exists.
            #[track_caller]
            #[inline(always)]
            pub unsafe fn make_guard_unchecked(
                &self,
                guard: <$raw as lock_api::RawMutex>::Guard,
            ) -> $guard<'_, T> {
                // SAFETY: forwarded; the caller upholds the contract.
                $guard(unsafe { self.inner.make_guard_unchecked(guard) })
            }

            /// Forcibly unlocks a mutex whose guard was forgotten (parking_lot's
            /// `force_unlock`).
            ///
            /// # Safety
            /// As parking_lot's: the current thread holds the lock with the
            /// acquisition state `guard`, and no live guard will unlock it.
            #[track_caller]
            #[inline(always)]
            pub unsafe fn force_unlock(&self, guard: <$raw as lock_api::RawMutex>::Guard) {
                // SAFETY: forwarded; the caller upholds the contract.
                unsafe { self.inner.force_unlock(guard) }
            }

            /// As [`force_unlock`](Self::force_unlock), unlocking fairly.
            ///
            /// # Safety
            /// As [`force_unlock`](Self::force_unlock).
            #[track_caller]
            #[inline(always)]
            pub unsafe fn force_unlock_fair(&self, guard: <$raw as lock_api::RawMutex>::Guard) {
                // SAFETY: forwarded; the caller upholds the contract.
                unsafe { self.inner.force_unlock_fair(guard) }
            }
        }

        serde_lock!($lock, lock);

        arc_guard! {
            lock: $lock,
            guard: $guard,
            arc: $arc,
            accessor: mutex,
            what: "mutex",
            lock_arc = lock,
            try_lock_arc = try_lock,
            try_lock_arc_for = try_lock_for,
            try_lock_arc_until = try_lock_until,
        }

        #[cfg(feature = "arc_lock")]
        impl<T: ?Sized> DerefMut for $arc<T> {
            #[inline(always)]
            fn deref_mut(&mut self) -> &mut T {
                // SAFETY: the guard holds the lock exclusively and is borrowed mutably.
                unsafe { &mut *self.lock.data_ptr() }
            }
        }

        #[doc = concat!("RAII guard of a [`", stringify!($lock), "`]: parking_lot's guard, transparently.")]
        #[must_use = "if unused the Mutex will immediately unlock"]
        #[clippy::has_significant_drop]
        #[repr(transparent)]
        pub struct $guard<'a, T: ?Sized>(pub(crate) lock_api::MutexGuard<'a, $raw, T>);

        impl<'a, T: ?Sized> $guard<'a, T> {
            /// The mutex this guard holds.
            #[inline(always)]
            pub fn mutex(s: &Self) -> &'a $lock<T> {
                let raw: *const lock_api::Mutex<$raw, T> = lock_api::MutexGuard::mutex(&s.0);
                // SAFETY: the lock is a `#[repr(transparent)]` wrapper of
                // `lock_api::Mutex<$raw, T>` (same layout and pointer metadata),
                // and every guard of this type was made from one, so the
                // pointer is to a live lock borrowed for `'a`.
                unsafe { &*(raw as *const $lock<T>) }
            }

            /// A guard for a part of the locked data (parking_lot's `map`).
            #[inline(always)]
            pub fn map<U: ?Sized, F>(s: Self, f: F) -> $mapped<'a, U>
            where
                F: FnOnce(&mut T) -> &mut U,
            {
                Mapped::new(lock_api::MutexGuard::map(s.0, f))
            }

            /// As [`map`](Self::map) if `f` returns `Some`; otherwise gives the guard back.
            #[inline(always)]
            pub fn try_map<U: ?Sized, F>(s: Self, f: F) -> Result<$mapped<'a, U>, Self>
            where
                F: FnOnce(&mut T) -> Option<&mut U>,
            {
                match lock_api::MutexGuard::try_map(s.0, f) {
                    Ok(mapped) => Ok(Mapped::new(mapped)),
                    Err(inner) => Err($guard(inner)),
                }
            }

            /// As [`map`](Self::map) if `f` returns `Ok`; otherwise gives the
            /// guard back with the error.
            #[inline(always)]
            pub fn try_map_or_err<U: ?Sized, F, E>(s: Self, f: F) -> Result<$mapped<'a, U>, (Self, E)>
            where
                F: FnOnce(&mut T) -> Result<&mut U, E>,
            {
                match lock_api::MutexGuard::try_map_or_err(s.0, f) {
                    Ok(mapped) => Ok(Mapped::new(mapped)),
                    Err((inner, e)) => Err(($guard(inner), e)),
                }
            }

            /// Leaks the guard: the mutex stays locked forever (parking_lot's `leak`).
            #[inline(always)]
            pub fn leak(s: Self) -> &'a mut T {
                lock_api::MutexGuard::leak(s.0)
            }

            /// Unlocks fairly (parking_lot's `unlock_fair`).
            #[track_caller]
            #[inline(always)]
            pub fn unlock_fair(s: Self) {
                lock_api::MutexGuard::unlock_fair(s.0);
            }

            /// Temporarily unlocks the mutex to run `f`, then locks it again.
            #[track_caller]
            #[inline(always)]
            pub fn unlocked<F: FnOnce() -> U, U>(s: &mut Self, f: F) -> U {
                lock_api::MutexGuard::unlocked(&mut s.0, f)
            }

            /// As [`unlocked`](Self::unlocked), unlocking fairly.
            #[track_caller]
            #[inline(always)]
            pub fn unlocked_fair<F: FnOnce() -> U, U>(s: &mut Self, f: F) -> U {
                lock_api::MutexGuard::unlocked_fair(&mut s.0, f)
            }

            /// Lets a waiting thread take the mutex if there is one (parking_lot's `bump`).
            #[track_caller]
            #[inline(always)]
            pub fn bump(s: &mut Self) {
                lock_api::MutexGuard::bump(&mut s.0);
            }

            /// A guard for an acquisition of `lock` already held (for an `Arc` guard).
            ///
            /// # Safety
            /// The lock is held by this acquisition and only the returned
            /// guard will release it.
            #[cfg(feature = "arc_lock")]
            #[inline(always)]
            unsafe fn adopted(lock: &'a $lock<T>, recorded: Recorded) -> Self {
                let _ = recorded;
                // SAFETY: the caller's contract; the raw state is stateless.
                $guard(unsafe { lock.inner.make_guard_unchecked(Default::default()) })
            }

            /// This guard's record: nothing is recorded.
            #[cfg(feature = "arc_lock")]
            #[inline(always)]
            fn record(&self) -> Recorded {
                Recorded::NO
            }

            /// Gives the guard up: the lock stays held.
            #[cfg(feature = "arc_lock")]
            #[inline(always)]
            fn detach(self) -> Recorded {
                std::mem::forget(self);
                Recorded::NO
            }
        }

        impl<T: ?Sized> Deref for $guard<'_, T> {
            type Target = T;
            #[inline(always)]
            fn deref(&self) -> &T {
                &self.0
            }
        }

        impl<T: ?Sized> DerefMut for $guard<'_, T> {
            #[inline(always)]
            fn deref_mut(&mut self) -> &mut T {
                &mut self.0
            }
        }

        fmt_via_deref!($guard<'_, T>);
    };
}

mutex! {
    /// A mutual-exclusion lock: `parking_lot::Mutex`, with the API of the
    /// checked build and nothing recorded.
    ///
    /// ```
    /// use lockdep::Mutex;
    /// let m = Mutex::new(5);
    /// *m.lock() += 1;
    /// assert_eq!(*m.lock(), 6);
    /// ```
    lock: Mutex,
    guard: MutexGuard,
    mapped: MappedMutexGuard,
    arc_guard: ArcMutexGuard,
    raw: parking_lot::RawMutex,
}

mutex! {
    /// An always-fair mutex: `parking_lot::FairMutex`, with the API of the
    /// checked build and nothing recorded.
    ///
    /// ```
    /// use lockdep::FairMutex;
    /// let m = FairMutex::new(5);
    /// *m.lock() += 1;
    /// assert_eq!(*m.lock(), 6);
    /// ```
    lock: FairMutex,
    guard: FairMutexGuard,
    mapped: MappedFairMutexGuard,
    arc_guard: ArcFairMutexGuard,
    raw: parking_lot::RawFairMutex,
}
