//! [`RwLock`] (alias [`RwSem`]) with checking compiled out:
//! `parking_lot::RwLock`, transparently (the lock underneath the
//! checked build's `RwLock` too, so both builds behave alike at run time).
//!
//! The file is compiled twice, over the raw lock `super::RwRaw`: as
//! `RwLock` (parking_lot's task-fair `RawRwLock`) and, in
//! `recursive_rwlock`, as `RecursiveRwLock` (`RawRwLockRecursive`).

use std::ops::DerefMut;
use std::time::{Duration, Instant};

use crate::sync::arc::arc_rwlock;
use crate::sync::borrowed::{borrowed_guard, guard_map};
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

borrowed_guard! {
    /// Shared guard of a [`RwLock`]: parking_lot's guard, transparently.
    #[must_use = "if unused the RwLock will immediately unlock"]
    guard: RwLockReadGuard,
    lock: RwLock,
    inner: RwLockReadGuard,
    inner_lock: RwLock,
    raw: Raw,
    accessor: rwlock,
    make: make_read_guard_unchecked,
}

borrowed_guard! {
    /// Exclusive guard of a [`RwLock`]: parking_lot's guard, transparently.
    #[must_use = "if unused the RwLock will immediately unlock"]
    guard: RwLockWriteGuard,
    lock: RwLock,
    inner: RwLockWriteGuard,
    inner_lock: RwLock,
    raw: Raw,
    accessor: rwlock,
    make: make_write_guard_unchecked,
}

borrowed_guard! {
    /// Upgradable read guard of a [`RwLock`]: parking_lot's guard, transparently.
    #[must_use = "if unused the RwLock will immediately unlock"]
    guard: RwLockUpgradableReadGuard,
    lock: RwLock,
    inner: RwLockUpgradableReadGuard,
    inner_lock: RwLock,
    raw: Raw,
    accessor: rwlock,
    make: make_upgradable_guard_unchecked,
}

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

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

guard_map!(RwLockReadGuard, RwLockReadGuard, MappedRwLockReadGuard, []);
guard_map!(RwLockWriteGuard, RwLockWriteGuard, MappedRwLockWriteGuard, [mut]);
