//! [`Mutex`] and [`FairMutex`]: `parking_lot::Mutex` and
//! `parking_lot::FairMutex` with lock-dependency checking. Both are generated
//! from one body by the `mutex!` macro below; the checker treats them alike.

use std::ops::DerefMut;
use std::panic::Location;
use std::time::{Duration, Instant};

use crate::engine::{self, Flags, Recorded};
use crate::map::{LockMap, Mode};
use crate::sync::arc::arc_guard;
use crate::sync::borrowed::borrowed_guard;
use crate::sync::mapped::{Mapped, MappedFairMutexGuard, MappedMutexGuard};
use crate::sync::serde::serde_lock;
use crate::sync::shell::lock_shell;

/// Generates a checked mutex type `$lock` over the raw mutex `$raw`, with its
/// guard `$guard` and mapped guard `$mapped`.
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
            ///
            /// # Lock dependency tracking
            /// Validated against the locks this thread holds before blocking: a
            /// new dependency that closes a strong cycle, or a second lock of
            /// the same class, is reported.
            #[track_caller]
            pub fn lock(&self) -> $guard<'_, T> {
                self.lock_nested(0)
            }

            /// As [`lock`](Self::lock), in subclass `subclass` (0..=7): for
            /// taking two locks of one class in a fixed order (the kernel's
            /// `mutex_lock_nested`).
            #[track_caller]
            pub fn lock_nested(&self, subclass: u8) -> $guard<'_, T> {
                let recorded = Recorded::new(self.map.lock(Mode::Exclusive, subclass, None));
                $guard {
                    lock: self,
                    inner: self.inner.lock(),
                    recorded,
                    subclass,
                    nest: None,
                }
            }

            /// As [`lock`](Self::lock), declaring that the held lock `nest`
            /// serialises every acquisition of this class (the kernel's
            /// `mutex_lock_nest_lock`): several locks of this class may then be
            /// held at once, in any order.
            #[track_caller]
            pub fn lock_nest_lock<'a>(&'a self, nest: &'a LockMap) -> $guard<'a, T> {
                let recorded = Recorded::new(self.map.lock(Mode::Exclusive, 0, Some(nest)));
                $guard {
                    lock: self,
                    inner: self.inner.lock(),
                    recorded,
                    subclass: 0,
                    nest: Some(nest),
                }
            }

            /// Attempts to acquire the mutex without blocking (recorded as a trylock).
            #[track_caller]
            pub fn try_lock(&self) -> Option<$guard<'_, T>> {
                let at = Location::caller();
                self.inner.try_lock().map(|inner| self.tried(inner, at))
            }

            /// Attempts to acquire the mutex, giving up after `timeout`. A timed
            /// lock cannot wait forever, so the checker treats it like a trylock.
            #[track_caller]
            pub fn try_lock_for(&self, timeout: Duration) -> Option<$guard<'_, T>> {
                let at = Location::caller();
                self.inner.try_lock_for(timeout).map(|inner| self.tried(inner, at))
            }

            /// Attempts to acquire the mutex, giving up at `deadline` (treated
            /// like a trylock).
            #[track_caller]
            pub fn try_lock_until(&self, deadline: Instant) -> Option<$guard<'_, T>> {
                let at = Location::caller();
                self.inner.try_lock_until(deadline).map(|inner| self.tried(inner, at))
            }

            fn tried<'a>(
                &'a self,
                inner: lock_api::MutexGuard<'a, $raw, T>,
                at: &'static Location<'static>,
            ) -> $guard<'a, T> {
                let recorded = Recorded::new(engine::acquire(
                    &self.map,
                    Mode::Exclusive,
                    0,
                    Flags::TRYLOCK,
                    None,
                    at,
                ));
                $guard {
                    lock: self,
                    inner,
                    recorded,
                    subclass: 0,
                    nest: None,
                }
            }

            /// A guard for a mutex this thread locked through [`raw`](Self::raw)
            /// (parking_lot's `make_guard_unchecked`). The checker records it
            /// now, as a trylock: the lock is already held, nothing is waited for.
            ///
            /// # Safety
            /// As parking_lot's: the current thread holds the lock with the
            /// acquisition state `guard`, and no other guard for it exists.
            #[track_caller]
            pub unsafe fn make_guard_unchecked(
                &self,
                guard: <$raw as lock_api::RawMutex>::Guard,
            ) -> $guard<'_, T> {
                // SAFETY: forwarded; the caller upholds the contract.
                let inner = unsafe { self.inner.make_guard_unchecked(guard) };
                self.tried(inner, Location::caller())
            }

            /// Forcibly unlocks a mutex whose guard was forgotten (parking_lot's
            /// `force_unlock`), and tells the checker: this thread's entry for
            /// the mutex is released, as when the guard drops. This is the sound
            /// choice: the forgotten guard left the entry on the held stack,
            /// and only this call can take it off. A mutex this thread does not
            /// hold in the checker's view (taken through `raw`, or while
            /// checking was off) gives a *bad unlock balance* report.
            ///
            /// # Safety
            /// As parking_lot's: the current thread holds the lock with the
            /// acquisition state `guard`, and no live guard will unlock it.
            #[track_caller]
            pub unsafe fn force_unlock(&self, guard: <$raw as lock_api::RawMutex>::Guard) {
                self.map.unlock();
                // SAFETY: forwarded; the caller upholds the contract.
                unsafe { self.inner.force_unlock(guard) }
            }

            /// As [`force_unlock`](Self::force_unlock), unlocking fairly.
            ///
            /// # Safety
            /// As [`force_unlock`](Self::force_unlock).
            #[track_caller]
            pub unsafe fn force_unlock_fair(&self, guard: <$raw as lock_api::RawMutex>::Guard) {
                self.map.unlock();
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
            fn deref_mut(&mut self) -> &mut T {
                // SAFETY: the guard holds the lock exclusively and is borrowed mutably.
                unsafe { &mut *self.lock.data_ptr() }
            }
        }

        borrowed_guard! {
            #[doc = concat!("RAII guard of a [`", stringify!($lock), "`]; the lock is released (and the")]
            /// checker told) when it drops. `!Send` (the held-lock stack is per
            /// thread), unless the `send_guard` feature is on: see `docs/migrating.md`.
            #[must_use = "if unused the Mutex will immediately unlock"]
            guard: $guard,
            lock: $lock,
            inner: MutexGuard,
            raw: $raw,
            mapped: $mapped,
            mode: Mode::Exclusive,
            nest: Option<&'a LockMap>,
            accessor: mutex,
            make: make_guard_unchecked,
            access: [mut],
        }

        impl<'a, T: ?Sized> $guard<'a, T> {
            /// Leaks the guard: the mutex stays locked forever and the data is
            /// borrowed for `'a` (parking_lot's `leak`). The checker keeps the
            /// mutex on this thread's held stack, which is the truth: the
            /// thread never releases it, and locking it again is reported.
            pub fn leak(s: Self) -> &'a mut T {
                let (_, inner, _, _) = s.into_parts();
                lock_api::MutexGuard::leak(inner)
            }
        }

        impl<T: ?Sized> DerefMut for $guard<'_, T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.inner
            }
        }
    };
}

mutex! {
    /// A mutual-exclusion lock: `parking_lot::Mutex` plus a [`LockMap`](crate::LockMap).
    ///
    /// Same methods and guard behaviour as `parking_lot::Mutex`. Each
    /// blocking acquisition is validated *before* it blocks (so the report is
    /// printed even if the program then really deadlocks); trylocks and timed
    /// locks are recorded after they succeed and never validated as the new
    /// lock.
    ///
    /// The lock's class is the source location of [`Mutex::new`]'s caller, or
    /// a named [`LockClass`](crate::LockClass) with [`Mutex::with_class`].
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
    /// An always-fair mutex: `parking_lot::FairMutex` plus a [`LockMap`](crate::LockMap),
    /// checked exactly like [`Mutex`].
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

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// Releases the mutex in the held stack around `wait` (which unlocks and
    /// re-locks the real mutex), then re-acquires it the way it was first
    /// acquired (same subclass and nest lock), with full validation. The real
    /// re-lock happens inside `wait`, so this validation runs just after it;
    /// the mutex was validated before blocking when it was first taken.
    pub(crate) fn around_wait<R>(
        &mut self,
        at: &'static Location<'static>,
        wait: impl FnOnce(&mut parking_lot::MutexGuard<'a, T>) -> R,
    ) -> R {
        self.recorded.release(&self.lock.map);
        let out = wait(&mut self.inner);
        self.recorded = Recorded::new(engine::acquire(
            &self.lock.map,
            Mode::Exclusive,
            self.subclass,
            Flags::NONE,
            self.nest,
            at,
        ));
        out
    }
}
