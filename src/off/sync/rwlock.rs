//! [`RwLock`] (alias [`RwSem`]) with checking compiled out:
//! `parking_lot::RwLock`, transparently (the lock underneath the
//! checked build's `RwLock` too, so both builds behave alike at run time).
//!
//! The file is compiled twice, over the raw lock `super::RwRaw`: as
//! `RwLock` (parking_lot's task-fair `RawRwLock`) and, in
//! `recursive_rwlock`, as `RecursiveRwLock` (`RawRwLockRecursive`).

use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

#[cfg(feature = "arc_lock")]
use crate::sync::arc::Recorded;
use crate::sync::arc::arc_rwlock;
use crate::sync::guard::fmt_via_deref;
use crate::sync::mapped::Mapped;
use crate::sync::serde::serde_lock;
use crate::sync::shell::lock_shell;

/// The raw lock underneath (see the module documentation).
type Raw = super::RwRaw;
type MappedRwLockReadGuard<'a, U> = Mapped<'a, lock_api::MappedRwLockReadGuard<'a, Raw, U>>;
type MappedRwLockWriteGuard<'a, U> = Mapped<'a, lock_api::MappedRwLockWriteGuard<'a, Raw, U>>;

lock_shell! {
    /// A reader-writer lock: parking_lot's `RwLock` (or `RecursiveRwLock`),
    /// with the API of the checked build and nothing recorded.
    ///
    /// ```
    /// use lockdep::RwLock;
    /// let l = RwLock::new(vec![1]);
    /// l.write().push(2);
    /// assert_eq!(l.read().len(), 2);
    /// ```
    lock: RwLock,
    inner: RwLock,
    raw: Raw,
    what: "lock",
}

/// The kernel's name for a reader-writer semaphore: the same type as [`RwLock`].
#[allow(dead_code)] // re-exported for `RwLock` only
pub type RwSem<T> = RwLock<T>;

impl<T: ?Sized> RwLock<T> {
    /// Shared read.
    #[track_caller]
    #[inline(always)]
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        RwLockReadGuard(self.inner.read())
    }

    /// As [`read`](Self::read) (the subclass is not kept).
    #[track_caller]
    #[inline(always)]
    pub fn read_nested(&self, subclass: u8) -> RwLockReadGuard<'_, T> {
        let _ = subclass;
        RwLockReadGuard(self.inner.read())
    }

    /// Exclusive write.
    #[track_caller]
    #[inline(always)]
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        RwLockWriteGuard(self.inner.write())
    }

    /// As [`write`](Self::write) (the subclass is not kept).
    #[track_caller]
    #[inline(always)]
    pub fn write_nested(&self, subclass: u8) -> RwLockWriteGuard<'_, T> {
        let _ = subclass;
        RwLockWriteGuard(self.inner.write())
    }

    /// Upgradable read: shared with plain readers, exclusive among upgradable
    /// readers and writers.
    #[track_caller]
    #[inline(always)]
    pub fn upgradable_read(&self) -> RwLockUpgradableReadGuard<'_, T> {
        RwLockUpgradableReadGuard(self.inner.upgradable_read())
    }

    /// Attempts a read without blocking.
    #[track_caller]
    #[inline(always)]
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        self.inner.try_read().map(RwLockReadGuard)
    }

    /// Attempts a read, giving up after `timeout`.
    #[track_caller]
    #[inline(always)]
    pub fn try_read_for(&self, timeout: Duration) -> Option<RwLockReadGuard<'_, T>> {
        self.inner.try_read_for(timeout).map(RwLockReadGuard)
    }

    /// Attempts a read, giving up at `deadline`.
    #[track_caller]
    #[inline(always)]
    pub fn try_read_until(&self, deadline: Instant) -> Option<RwLockReadGuard<'_, T>> {
        self.inner.try_read_until(deadline).map(RwLockReadGuard)
    }

    /// Attempts a write without blocking.
    #[track_caller]
    #[inline(always)]
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        self.inner.try_write().map(RwLockWriteGuard)
    }

    /// Attempts a write, giving up after `timeout`.
    #[track_caller]
    #[inline(always)]
    pub fn try_write_for(&self, timeout: Duration) -> Option<RwLockWriteGuard<'_, T>> {
        self.inner.try_write_for(timeout).map(RwLockWriteGuard)
    }

    /// Attempts a write, giving up at `deadline`.
    #[track_caller]
    #[inline(always)]
    pub fn try_write_until(&self, deadline: Instant) -> Option<RwLockWriteGuard<'_, T>> {
        self.inner.try_write_until(deadline).map(RwLockWriteGuard)
    }

    /// Attempts an upgradable read without blocking.
    #[track_caller]
    #[inline(always)]
    pub fn try_upgradable_read(&self) -> Option<RwLockUpgradableReadGuard<'_, T>> {
        self.inner
            .try_upgradable_read()
            .map(RwLockUpgradableReadGuard)
    }

    /// Attempts an upgradable read, giving up after `timeout`.
    #[track_caller]
    #[inline(always)]
    pub fn try_upgradable_read_for(
        &self,
        timeout: Duration,
    ) -> Option<RwLockUpgradableReadGuard<'_, T>> {
        self.inner
            .try_upgradable_read_for(timeout)
            .map(RwLockUpgradableReadGuard)
    }

    /// Attempts an upgradable read, giving up at `deadline`.
    #[track_caller]
    #[inline(always)]
    pub fn try_upgradable_read_until(
        &self,
        deadline: Instant,
    ) -> Option<RwLockUpgradableReadGuard<'_, T>> {
        self.inner
            .try_upgradable_read_until(deadline)
            .map(RwLockUpgradableReadGuard)
    }

    /// A read guard for a lock this thread read-locked through [`raw`](Self::raw).
    ///
    /// # Safety
    /// As parking_lot's `make_read_guard_unchecked`.
    #[track_caller]
    #[inline(always)]
    pub unsafe fn make_read_guard_unchecked(
        &self,
        guard: <Raw as lock_api::RawRwLock>::SharedGuard,
    ) -> RwLockReadGuard<'_, T> {
        // SAFETY: forwarded; the caller upholds the contract.
        RwLockReadGuard(unsafe { self.inner.make_read_guard_unchecked(guard) })
    }

    /// A write guard for a lock this thread write-locked through [`raw`](Self::raw).
    ///
    /// # Safety
    /// As parking_lot's `make_write_guard_unchecked`.
    #[track_caller]
    #[inline(always)]
    pub unsafe fn make_write_guard_unchecked(
        &self,
        guard: <Raw as lock_api::RawRwLock>::ExclusiveGuard,
    ) -> RwLockWriteGuard<'_, T> {
        // SAFETY: forwarded; the caller upholds the contract.
        RwLockWriteGuard(unsafe { self.inner.make_write_guard_unchecked(guard) })
    }

    /// An upgradable guard for a lock this thread took upgradable through
    /// [`raw`](Self::raw).
    ///
    /// # Safety
    /// As parking_lot's `make_upgradable_guard_unchecked`.
    #[track_caller]
    #[inline(always)]
    pub unsafe fn make_upgradable_guard_unchecked(
        &self,
        guard: <Raw as lock_api::RawRwLockUpgrade>::UpgradableGuard,
    ) -> RwLockUpgradableReadGuard<'_, T> {
        // SAFETY: forwarded; the caller upholds the contract.
        RwLockUpgradableReadGuard(unsafe { self.inner.make_upgradable_guard_unchecked(guard) })
    }

    /// Forcibly unlocks a read lock whose guard was forgotten.
    ///
    /// # Safety
    /// As parking_lot's `force_unlock_read`.
    #[track_caller]
    #[inline(always)]
    pub unsafe fn force_unlock_read(&self, guard: <Raw as lock_api::RawRwLock>::SharedGuard) {
        // SAFETY: forwarded; the caller upholds the contract.
        unsafe { self.inner.force_unlock_read(guard) }
    }

    /// As [`force_unlock_read`](Self::force_unlock_read), unlocking fairly.
    ///
    /// # Safety
    /// As parking_lot's `force_unlock_read_fair`.
    #[track_caller]
    #[inline(always)]
    pub unsafe fn force_unlock_read_fair(&self, guard: <Raw as lock_api::RawRwLock>::SharedGuard) {
        // SAFETY: forwarded; the caller upholds the contract.
        unsafe { self.inner.force_unlock_read_fair(guard) }
    }

    /// Forcibly unlocks a write lock whose guard was forgotten.
    ///
    /// # Safety
    /// As parking_lot's `force_unlock_write`.
    #[track_caller]
    #[inline(always)]
    pub unsafe fn force_unlock_write(&self, guard: <Raw as lock_api::RawRwLock>::ExclusiveGuard) {
        // SAFETY: forwarded; the caller upholds the contract.
        unsafe { self.inner.force_unlock_write(guard) }
    }

    /// As [`force_unlock_write`](Self::force_unlock_write), unlocking fairly.
    ///
    /// # Safety
    /// As parking_lot's `force_unlock_write_fair`.
    #[track_caller]
    #[inline(always)]
    pub unsafe fn force_unlock_write_fair(
        &self,
        guard: <Raw as lock_api::RawRwLock>::ExclusiveGuard,
    ) {
        // SAFETY: forwarded; the caller upholds the contract.
        unsafe { self.inner.force_unlock_write_fair(guard) }
    }

    /// Is the lock held exclusively by any thread?
    #[inline(always)]
    pub fn is_locked_exclusive(&self) -> bool {
        self.inner.is_locked_exclusive()
    }
}

serde_lock!(RwLock, read);

arc_rwlock! {
    lock: RwLock,
    read_guard: RwLockReadGuard,
    write_guard: RwLockWriteGuard,
    upgradable_guard: RwLockUpgradableReadGuard,
    arc_read: ArcRwLockReadGuard,
    arc_write: ArcRwLockWriteGuard,
    arc_upgradable: ArcRwLockUpgradableReadGuard,
    raw: Raw,
}

/// Shared guard of a [`RwLock`]: parking_lot's guard, transparently.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
#[repr(transparent)]
pub struct RwLockReadGuard<'a, T: ?Sized>(lock_api::RwLockReadGuard<'a, Raw, T>);

/// Exclusive guard of a [`RwLock`]: parking_lot's guard, transparently.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
#[repr(transparent)]
pub struct RwLockWriteGuard<'a, T: ?Sized>(lock_api::RwLockWriteGuard<'a, Raw, T>);

/// Upgradable read guard of a [`RwLock`]: parking_lot's guard, transparently.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
#[repr(transparent)]
pub struct RwLockUpgradableReadGuard<'a, T: ?Sized>(
    lock_api::RwLockUpgradableReadGuard<'a, Raw, T>,
);

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Turns the write into a read without letting a writer in between.
    #[inline(always)]
    pub fn downgrade(s: Self) -> RwLockReadGuard<'a, T> {
        RwLockReadGuard(lock_api::RwLockWriteGuard::downgrade(s.0))
    }

    /// Turns the write into an upgradable read (cannot block).
    #[inline(always)]
    pub fn downgrade_to_upgradable(s: Self) -> RwLockUpgradableReadGuard<'a, T> {
        RwLockUpgradableReadGuard(lock_api::RwLockWriteGuard::downgrade_to_upgradable(s.0))
    }
}

impl<'a, T: ?Sized> RwLockUpgradableReadGuard<'a, T> {
    /// Upgrades to a write, blocking until the other readers leave.
    #[track_caller]
    #[inline(always)]
    pub fn upgrade(s: Self) -> RwLockWriteGuard<'a, T> {
        RwLockWriteGuard(lock_api::RwLockUpgradableReadGuard::upgrade(s.0))
    }

    /// Attempts to upgrade without blocking; otherwise gives the guard back.
    #[inline(always)]
    pub fn try_upgrade(s: Self) -> Result<RwLockWriteGuard<'a, T>, Self> {
        lock_api::RwLockUpgradableReadGuard::try_upgrade(s.0)
            .map(RwLockWriteGuard)
            .map_err(RwLockUpgradableReadGuard)
    }

    /// Attempts to upgrade, giving up after `timeout`.
    #[inline(always)]
    pub fn try_upgrade_for(s: Self, timeout: Duration) -> Result<RwLockWriteGuard<'a, T>, Self> {
        lock_api::RwLockUpgradableReadGuard::try_upgrade_for(s.0, timeout)
            .map(RwLockWriteGuard)
            .map_err(RwLockUpgradableReadGuard)
    }

    /// Attempts to upgrade, giving up at `deadline`.
    #[inline(always)]
    pub fn try_upgrade_until(s: Self, deadline: Instant) -> Result<RwLockWriteGuard<'a, T>, Self> {
        lock_api::RwLockUpgradableReadGuard::try_upgrade_until(s.0, deadline)
            .map(RwLockWriteGuard)
            .map_err(RwLockUpgradableReadGuard)
    }

    /// Upgrades, runs `f` on the data, and downgrades back to an upgradable read.
    #[track_caller]
    #[inline(always)]
    pub fn with_upgraded<Ret, F: FnOnce(&mut T) -> Ret>(&mut self, f: F) -> Ret {
        self.0.with_upgraded(f)
    }

    /// As [`with_upgraded`](Self::with_upgraded) if the upgrade succeeds without blocking.
    #[inline(always)]
    pub fn try_with_upgraded<Ret, F: FnOnce(&mut T) -> Ret>(&mut self, f: F) -> Option<Ret> {
        self.0.try_with_upgraded(f)
    }

    /// As [`try_with_upgraded`](Self::try_with_upgraded), giving up after `timeout`.
    #[inline(always)]
    pub fn try_with_upgraded_for<Ret, F: FnOnce(&mut T) -> Ret>(
        &mut self,
        timeout: Duration,
        f: F,
    ) -> Option<Ret> {
        self.0.try_with_upgraded_for(timeout, f)
    }

    /// As [`try_with_upgraded`](Self::try_with_upgraded), giving up at `deadline`.
    #[inline(always)]
    pub fn try_with_upgraded_until<Ret, F: FnOnce(&mut T) -> Ret>(
        &mut self,
        deadline: Instant,
        f: F,
    ) -> Option<Ret> {
        self.0.try_with_upgraded_until(deadline, f)
    }

    /// Turns the upgradable read into a plain read (cannot block).
    #[inline(always)]
    pub fn downgrade(s: Self) -> RwLockReadGuard<'a, T> {
        RwLockReadGuard(lock_api::RwLockUpgradableReadGuard::downgrade(s.0))
    }
}

/// The methods every guard of this lock has, and its `Arc` guard's plumbing.
macro_rules! guard_impls {
    ($guard:ident, $inner:ident, $make:ident) => {
        fmt_via_deref!($guard<'_, T>);

        impl<'a, T: ?Sized> $guard<'a, T> {
            /// The lock this guard holds.
            #[inline(always)]
            pub fn rwlock(s: &Self) -> &'a RwLock<T> {
                let raw: *const lock_api::RwLock<Raw, T> = lock_api::$inner::rwlock(&s.0);
                // SAFETY: `RwLock<T>` is a `#[repr(transparent)]` wrapper of
                // `lock_api::RwLock<Raw, T>` (same layout and pointer
                // metadata), and every guard of this module was made from a
                // `RwLock<T>`, so the pointer is to a live `RwLock<T>`
                // borrowed for `'a`.
                unsafe { &*(raw as *const RwLock<T>) }
            }

            /// Unlocks fairly (parking_lot's `unlock_fair`).
            #[track_caller]
            #[inline(always)]
            pub fn unlock_fair(s: Self) {
                lock_api::$inner::unlock_fair(s.0);
            }

            /// Temporarily unlocks to run `f`, then locks again the same way.
            #[track_caller]
            #[inline(always)]
            pub fn unlocked<F: FnOnce() -> U, U>(s: &mut Self, f: F) -> U {
                lock_api::$inner::unlocked(&mut s.0, f)
            }

            /// As [`unlocked`](Self::unlocked), unlocking fairly.
            #[track_caller]
            #[inline(always)]
            pub fn unlocked_fair<F: FnOnce() -> U, U>(s: &mut Self, f: F) -> U {
                lock_api::$inner::unlocked_fair(&mut s.0, f)
            }

            /// Lets waiting threads take the lock if any (parking_lot's `bump`).
            #[track_caller]
            #[inline(always)]
            pub fn bump(s: &mut Self) {
                lock_api::$inner::bump(&mut s.0);
            }

            /// A guard for an acquisition of `lock` already held in this
            /// guard's mode (for an `Arc` guard).
            ///
            /// # Safety
            /// The lock is held by this acquisition and only the returned
            /// guard will release it.
            #[cfg(feature = "arc_lock")]
            #[inline(always)]
            unsafe fn adopted(lock: &'a RwLock<T>, recorded: Recorded) -> Self {
                let _ = recorded;
                // SAFETY: the caller's contract; the raw state is stateless.
                $guard(unsafe { lock.inner.$make(Default::default()) })
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
    };
}

guard_impls!(RwLockReadGuard, RwLockReadGuard, make_read_guard_unchecked);
guard_impls!(
    RwLockWriteGuard,
    RwLockWriteGuard,
    make_write_guard_unchecked
);
guard_impls!(
    RwLockUpgradableReadGuard,
    RwLockUpgradableReadGuard,
    make_upgradable_guard_unchecked
);

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// `map`, `try_map` and `try_map_or_err` for a guard whose inner guard is a
/// lock_api guard with the same functions.
macro_rules! guard_map {
    ($guard:ident, $inner:ident, $mapped:ident $(, $mut:tt)?) => {
        impl<'a, T: ?Sized> $guard<'a, T> {
            /// A guard for a part of the locked data (parking_lot's `map`).
            #[inline(always)]
            pub fn map<U: ?Sized, F>(s: Self, f: F) -> $mapped<'a, U>
            where
                F: FnOnce(& $($mut)? T) -> & $($mut)? U,
            {
                Mapped::new(lock_api::$inner::map(s.0, f))
            }

            /// As `map` if `f` returns `Some`; otherwise gives the guard back.
            #[inline(always)]
            pub fn try_map<U: ?Sized, F>(s: Self, f: F) -> Result<$mapped<'a, U>, Self>
            where
                F: FnOnce(& $($mut)? T) -> Option<& $($mut)? U>,
            {
                match lock_api::$inner::try_map(s.0, f) {
                    Ok(mapped) => Ok(Mapped::new(mapped)),
                    Err(inner) => Err($guard(inner)),
                }
            }

            /// As `map` if `f` returns `Ok`; otherwise gives the guard back with the error.
            #[inline(always)]
            pub fn try_map_or_err<U: ?Sized, F, E>(s: Self, f: F) -> Result<$mapped<'a, U>, (Self, E)>
            where
                F: FnOnce(& $($mut)? T) -> Result<& $($mut)? U, E>,
            {
                match lock_api::$inner::try_map_or_err(s.0, f) {
                    Ok(mapped) => Ok(Mapped::new(mapped)),
                    Err((inner, e)) => Err(($guard(inner), e)),
                }
            }
        }
    };
}

guard_map!(RwLockReadGuard, RwLockReadGuard, MappedRwLockReadGuard);
guard_map!(
    RwLockWriteGuard,
    RwLockWriteGuard,
    MappedRwLockWriteGuard,
    mut
);
