//! [`Mutex`] and [`FairMutex`] with checking compiled out: parking_lot's
//! `Mutex` and `FairMutex`, transparently, with the checked build's API. Both
//! are generated from one body by the `mutex!` macro below, as in the checked
//! build.

use std::ops::DerefMut;
use std::time::{Duration, Instant};

use super::mapped::{Mapped, MappedFairMutexGuard, MappedMutexGuard};
use crate::map::LockMap;
use crate::sync::arc::arc_guard;
use crate::sync::borrowed::{borrowed_guard, guard_map};
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

        borrowed_guard! {
            #[doc = concat!("RAII guard of a [`", stringify!($lock), "`]: parking_lot's guard, transparently.")]
            #[must_use = "if unused the Mutex will immediately unlock"]
            guard: $guard,
            lock: $lock,
            inner: MutexGuard,
            inner_lock: Mutex,
            raw: $raw,
            accessor: mutex,
            make: make_guard_unchecked,
        }

        guard_map!($guard, MutexGuard, $mapped, [mut]);

        impl<'a, T: ?Sized> $guard<'a, T> {
            /// Leaks the guard: the mutex stays locked forever (parking_lot's `leak`).
            #[inline(always)]
            pub fn leak(s: Self) -> &'a mut T {
                lock_api::MutexGuard::leak(s.0)
            }
        }

        impl<T: ?Sized> DerefMut for $guard<'_, T> {
            #[inline(always)]
            fn deref_mut(&mut self) -> &mut T {
                &mut self.0
            }
        }
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
