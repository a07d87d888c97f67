//! [`RwLock`] (alias [`RwSem`]) and [`RecursiveRwLock`]: parking_lot's two
//! reader-writer locks with lock-dependency checking.
//!
//! - [`RwLock`] wraps `parking_lot::RwLock`, which is task-fair: a waiting
//!   writer blocks new readers. Its [`read`](RwLock::read) is a
//!   *non-recursive* read to the checker (the kernel's rwsem `down_read`):
//!   read-read cycles through a writer are real deadlocks and are reported.
//! - [`RecursiveRwLock`] wraps `parking_lot::RecursiveRwLock`, which prefers
//!   readers: a read is blocked only by a writer that *holds* the lock. Its
//!   [`read`](RecursiveRwLock::read) is a *recursive* read (the kernel's
//!   rwlock `read_lock`), so a thread may take it again while it holds a read
//!   of the same class.
//!
//! Both are generated from one body by the `rwlock!` macro below; they differ
//! only in the lock underneath and in the mode of `read`.

use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::time::{Duration, Instant};

use crate::engine::{self, Flags, Recorded};
use crate::map::Mode;
use crate::sync::arc::arc_rwlock;
use crate::sync::borrowed::borrowed_guard;
use crate::sync::guard::fmt_via_deref;
use crate::sync::mapped::{
    Mapped, MappedRecursiveRwLockReadGuard, MappedRecursiveRwLockWriteGuard, MappedRwLockReadGuard,
    MappedRwLockWriteGuard,
};
use crate::sync::serde::serde_lock;
use crate::sync::shell::lock_shell;

/// The kernel's name for a reader-writer semaphore: the same type as [`RwLock`].
pub type RwSem<T> = RwLock<T>;

/// Generates a checked reader-writer lock type, its three guards and their
/// methods, over the raw lock `$raw`; `read` is recorded in `$read_mode`.
macro_rules! rwlock {
    (
        $(#[$doc:meta])*
        lock: $lock:ident,
        read_guard: $read_guard:ident,
        write_guard: $write_guard:ident,
        upgradable_guard: $upg_guard:ident,
        mapped_read: $mapped_read:ident,
        mapped_write: $mapped_write:ident,
        arc_read: $arc_read:ident,
        arc_write: $arc_write:ident,
        arc_upgradable: $arc_upg:ident,
        raw: $raw:ty,
        read_mode: $read_mode:expr,
        read_doc: $read_doc:literal,
    ) => {
        lock_shell! {
            $(#[$doc])*
            lock: $lock,
            inner: RwLock,
            raw: $raw,
            what: "lock",
        }

        impl<T: ?Sized> $lock<T> {
            #[doc = $read_doc]
            #[track_caller]
            pub fn read(&self) -> $read_guard<'_, T> {
                self.read_nested(0)
            }

            /// As [`read`](Self::read), in subclass `subclass` (0..=7).
            #[track_caller]
            pub fn read_nested(&self, subclass: u8) -> $read_guard<'_, T> {
                let recorded = Recorded::new(self.map.lock($read_mode, subclass, None));
                $read_guard {
                    lock: self,
                    inner: self.inner.read(),
                    recorded,
                    subclass,
                    nest: (),
                }
            }

            /// Exclusive write, validated before blocking.
            #[track_caller]
            pub fn write(&self) -> $write_guard<'_, T> {
                self.write_nested(0)
            }

            /// As [`write`](Self::write), in subclass `subclass` (0..=7).
            #[track_caller]
            pub fn write_nested(&self, subclass: u8) -> $write_guard<'_, T> {
                let recorded = Recorded::new(self.map.lock(Mode::Exclusive, subclass, None));
                $write_guard {
                    lock: self,
                    inner: self.inner.write(),
                    recorded,
                    subclass,
                    nest: (),
                }
            }

            /// Upgradable read: shared with plain readers, exclusive among
            /// upgradable readers and writers; a non-recursive read to the
            /// checker, validated before blocking.
            #[track_caller]
            pub fn upgradable_read(&self) -> $upg_guard<'_, T> {
                let recorded = Recorded::new(self.map.lock(Mode::Read, 0, None));
                $upg_guard {
                    lock: self,
                    inner: Some(self.inner.upgradable_read()),
                    recorded,
                }
            }

            /// Attempts a read without blocking (recorded as a trylock).
            #[track_caller]
            pub fn try_read(&self) -> Option<$read_guard<'_, T>> {
                let at = Location::caller();
                self.inner.try_read().map(|g| self.read_tried(g, at))
            }

            /// Attempts a read, giving up after `timeout` (treated like a trylock).
            #[track_caller]
            pub fn try_read_for(&self, timeout: Duration) -> Option<$read_guard<'_, T>> {
                let at = Location::caller();
                self.inner.try_read_for(timeout).map(|g| self.read_tried(g, at))
            }

            /// Attempts a read, giving up at `deadline` (treated like a trylock).
            #[track_caller]
            pub fn try_read_until(&self, deadline: Instant) -> Option<$read_guard<'_, T>> {
                let at = Location::caller();
                self.inner.try_read_until(deadline).map(|g| self.read_tried(g, at))
            }

            /// Attempts a write without blocking (recorded as a trylock).
            #[track_caller]
            pub fn try_write(&self) -> Option<$write_guard<'_, T>> {
                let at = Location::caller();
                self.inner.try_write().map(|g| self.write_tried(g, at))
            }

            /// Attempts a write, giving up after `timeout` (treated like a trylock).
            #[track_caller]
            pub fn try_write_for(&self, timeout: Duration) -> Option<$write_guard<'_, T>> {
                let at = Location::caller();
                self.inner.try_write_for(timeout).map(|g| self.write_tried(g, at))
            }

            /// Attempts a write, giving up at `deadline` (treated like a trylock).
            #[track_caller]
            pub fn try_write_until(&self, deadline: Instant) -> Option<$write_guard<'_, T>> {
                let at = Location::caller();
                self.inner.try_write_until(deadline).map(|g| self.write_tried(g, at))
            }

            /// Attempts an upgradable read without blocking (recorded as a trylock).
            #[track_caller]
            pub fn try_upgradable_read(&self) -> Option<$upg_guard<'_, T>> {
                let at = Location::caller();
                self.inner.try_upgradable_read().map(|g| self.upgradable_tried(g, at))
            }

            /// Attempts an upgradable read, giving up after `timeout` (treated like a trylock).
            #[track_caller]
            pub fn try_upgradable_read_for(&self, timeout: Duration) -> Option<$upg_guard<'_, T>> {
                let at = Location::caller();
                self.inner
                    .try_upgradable_read_for(timeout)
                    .map(|g| self.upgradable_tried(g, at))
            }

            /// Attempts an upgradable read, giving up at `deadline` (treated like a trylock).
            #[track_caller]
            pub fn try_upgradable_read_until(&self, deadline: Instant) -> Option<$upg_guard<'_, T>> {
                let at = Location::caller();
                self.inner
                    .try_upgradable_read_until(deadline)
                    .map(|g| self.upgradable_tried(g, at))
            }

            fn upgradable_tried<'a>(
                &'a self,
                inner: lock_api::RwLockUpgradableReadGuard<'a, $raw, T>,
                at: &'static Location<'static>,
            ) -> $upg_guard<'a, T> {
                let recorded = Recorded::new(engine::acquire(
                    &self.map,
                    Mode::Read,
                    0,
                    Flags::TRYLOCK,
                    None,
                    at,
                ));
                $upg_guard {
                    lock: self,
                    inner: Some(inner),
                    recorded,
                }
            }

            fn read_tried<'a>(
                &'a self,
                inner: lock_api::RwLockReadGuard<'a, $raw, T>,
                at: &'static Location<'static>,
            ) -> $read_guard<'a, T> {
                let recorded = Recorded::new(engine::acquire(
                    &self.map,
                    $read_mode,
                    0,
                    Flags::TRYLOCK,
                    None,
                    at,
                ));
                $read_guard {
                    lock: self,
                    inner,
                    recorded,
                    subclass: 0,
                    nest: (),
                }
            }

            fn write_tried<'a>(
                &'a self,
                inner: lock_api::RwLockWriteGuard<'a, $raw, T>,
                at: &'static Location<'static>,
            ) -> $write_guard<'a, T> {
                let recorded = Recorded::new(engine::acquire(
                    &self.map,
                    Mode::Exclusive,
                    0,
                    Flags::TRYLOCK,
                    None,
                    at,
                ));
                $write_guard {
                    lock: self,
                    inner,
                    recorded,
                    subclass: 0,
                    nest: (),
                }
            }

            /// A read guard for a lock this thread read-locked through
            /// [`raw`](Self::raw) (parking_lot's `make_read_guard_unchecked`).
            /// The checker records it now, in the mode of [`read`](Self::read),
            /// as a trylock: the lock is already held, nothing is waited for.
            ///
            /// # Safety
            /// As parking_lot's: the current thread holds the lock shared with
            /// the acquisition state `guard`, and no other guard for it exists.
            #[track_caller]
            pub unsafe fn make_read_guard_unchecked(
                &self,
                guard: <$raw as lock_api::RawRwLock>::SharedGuard,
            ) -> $read_guard<'_, T> {
                // SAFETY: forwarded; the caller upholds the contract.
                let inner = unsafe { self.inner.make_read_guard_unchecked(guard) };
                self.read_tried(inner, Location::caller())
            }

            /// A write guard for a lock this thread write-locked through
            /// [`raw`](Self::raw), recorded now as an exclusive trylock.
            ///
            /// # Safety
            /// As parking_lot's `make_write_guard_unchecked`: the current thread
            /// holds the lock exclusively with `guard`, and no other guard for
            /// it exists.
            #[track_caller]
            pub unsafe fn make_write_guard_unchecked(
                &self,
                guard: <$raw as lock_api::RawRwLock>::ExclusiveGuard,
            ) -> $write_guard<'_, T> {
                // SAFETY: forwarded; the caller upholds the contract.
                let inner = unsafe { self.inner.make_write_guard_unchecked(guard) };
                self.write_tried(inner, Location::caller())
            }

            /// An upgradable guard for a lock this thread took upgradable
            /// through [`raw`](Self::raw), recorded now as a non-recursive read
            /// trylock.
            ///
            /// # Safety
            /// As parking_lot's `make_upgradable_guard_unchecked`: the current
            /// thread holds the lock upgradable with `guard`, and no other
            /// guard for it exists.
            #[track_caller]
            pub unsafe fn make_upgradable_guard_unchecked(
                &self,
                guard: <$raw as lock_api::RawRwLockUpgrade>::UpgradableGuard,
            ) -> $upg_guard<'_, T> {
                // SAFETY: forwarded; the caller upholds the contract.
                let inner = unsafe { self.inner.make_upgradable_guard_unchecked(guard) };
                self.upgradable_tried(inner, Location::caller())
            }

            /// Is the lock held exclusively by any thread?
            pub fn is_locked_exclusive(&self) -> bool {
                self.inner.is_locked_exclusive()
            }

            /// Forcibly unlocks a read lock whose guard was forgotten
            /// (parking_lot's `force_unlock_read`), and tells the checker:
            /// this thread's entry for the lock is released, as when the
            /// guard drops (a *bad unlock balance* report if it holds none).
            ///
            /// # Safety
            /// As parking_lot's: the current thread holds the lock shared with
            /// the acquisition state `guard`, and no live guard will unlock it.
            #[track_caller]
            pub unsafe fn force_unlock_read(&self, guard: <$raw as lock_api::RawRwLock>::SharedGuard) {
                self.map.unlock();
                // SAFETY: forwarded; the caller upholds the contract.
                unsafe { self.inner.force_unlock_read(guard) }
            }

            /// As [`force_unlock_read`](Self::force_unlock_read), unlocking fairly.
            ///
            /// # Safety
            /// As [`force_unlock_read`](Self::force_unlock_read).
            #[track_caller]
            pub unsafe fn force_unlock_read_fair(&self, guard: <$raw as lock_api::RawRwLock>::SharedGuard) {
                self.map.unlock();
                // SAFETY: forwarded; the caller upholds the contract.
                unsafe { self.inner.force_unlock_read_fair(guard) }
            }

            /// Forcibly unlocks a write lock whose guard was forgotten, and
            /// releases this thread's checker entry for it (see
            /// [`force_unlock_read`](Self::force_unlock_read)).
            ///
            /// # Safety
            /// As parking_lot's `force_unlock_write`: the current thread holds
            /// the lock exclusively with `guard`, and no live guard will unlock it.
            #[track_caller]
            pub unsafe fn force_unlock_write(&self, guard: <$raw as lock_api::RawRwLock>::ExclusiveGuard) {
                self.map.unlock();
                // SAFETY: forwarded; the caller upholds the contract.
                unsafe { self.inner.force_unlock_write(guard) }
            }

            /// As [`force_unlock_write`](Self::force_unlock_write), unlocking fairly.
            ///
            /// # Safety
            /// As [`force_unlock_write`](Self::force_unlock_write).
            #[track_caller]
            pub unsafe fn force_unlock_write_fair(&self, guard: <$raw as lock_api::RawRwLock>::ExclusiveGuard) {
                self.map.unlock();
                // SAFETY: forwarded; the caller upholds the contract.
                unsafe { self.inner.force_unlock_write_fair(guard) }
            }
        }

        serde_lock!($lock, read);

        borrowed_guard! {
            #[doc = concat!("Shared guard of a [`", stringify!($lock), "`].")]
            #[must_use = "if unused the RwLock will immediately unlock"]
            guard: $read_guard,
            lock: $lock,
            inner: RwLockReadGuard,
            raw: $raw,
            mapped: $mapped_read,
            mode: $read_mode,
            nest: (),
            accessor: rwlock,
            make: make_read_guard_unchecked,
            access: [],
        }

        borrowed_guard! {
            #[doc = concat!("Exclusive guard of a [`", stringify!($lock), "`].")]
            #[must_use = "if unused the RwLock will immediately unlock"]
            guard: $write_guard,
            lock: $lock,
            inner: RwLockWriteGuard,
            raw: $raw,
            mapped: $mapped_write,
            mode: Mode::Exclusive,
            nest: (),
            accessor: rwlock,
            make: make_write_guard_unchecked,
            access: [mut],
        }

        #[doc = concat!("Upgradable read guard of a [`", stringify!($lock), "`].")]
        #[must_use = "if unused the RwLock will immediately unlock"]
        #[clippy::has_significant_drop]
        pub struct $upg_guard<'a, T: ?Sized> {
            lock: &'a $lock<T>,
            /// `None` only while being upgraded.
            inner: Option<lock_api::RwLockUpgradableReadGuard<'a, $raw, T>>,
            recorded: Recorded,
        }

        impl<'a, T: ?Sized> $write_guard<'a, T> {
            /// Turns the write into a read without letting a writer in
            /// between. It cannot block, so it is not validated; the held
            /// entry changes mode (to the mode of this lock's `read`).
            pub fn downgrade(s: Self) -> $read_guard<'a, T> {
                let (lock, inner, recorded, (subclass, nest)) = s.into_parts();
                recorded.change_mode(&lock.map, $read_mode);
                $read_guard {
                    lock,
                    inner: lock_api::RwLockWriteGuard::downgrade(inner),
                    recorded,
                    subclass,
                    nest,
                }
            }

            /// Turns the write into an upgradable read (cannot block, not
            /// validated); the held entry becomes a non-recursive read.
            pub fn downgrade_to_upgradable(s: Self) -> $upg_guard<'a, T> {
                let (lock, inner, recorded, _) = s.into_parts();
                recorded.change_mode(&lock.map, Mode::Read);
                $upg_guard {
                    lock,
                    inner: Some(lock_api::RwLockWriteGuard::downgrade_to_upgradable(inner)),
                    recorded,
                }
            }
        }

        impl<'a, T: ?Sized> $upg_guard<'a, T> {
            /// A guard for this thread's upgradable acquisition of `lock`,
            /// already held and recorded as `recorded` (for an `Arc` guard).
            ///
            /// # Safety
            /// As the read and write guards' `adopted`.
            #[cfg(feature = "arc_lock")]
            unsafe fn adopted(lock: &'a $lock<T>, recorded: Recorded) -> Self {
                // SAFETY: the caller's contract; the raw state is stateless.
                let inner = unsafe { lock.inner.make_upgradable_guard_unchecked(Default::default()) };
                $upg_guard { lock, inner: Some(inner), recorded }
            }

            /// This guard's record (for an `Arc` guard that lent it out).
            #[cfg(feature = "arc_lock")]
            fn record(&self) -> Recorded {
                self.recorded
            }

            /// Gives the guard up: the lock stays held and recorded.
            #[cfg(feature = "arc_lock")]
            fn detach(mut self) -> Recorded {
                std::mem::forget(self.take());
                std::mem::replace(&mut self.recorded, Recorded::NO)
            }

            fn take(&mut self) -> lock_api::RwLockUpgradableReadGuard<'a, $raw, T> {
                self.inner.take().expect("upgradable guard holds the lock")
            }

            fn held(&mut self) -> &mut lock_api::RwLockUpgradableReadGuard<'a, $raw, T> {
                self.inner.as_mut().expect("upgradable guard holds the lock")
            }

            /// Upgrades to a write, blocking until the other readers leave.
            /// Validated as a new exclusive acquisition (the read is released
            /// first).
            #[track_caller]
            pub fn upgrade(mut s: Self) -> $write_guard<'a, T> {
                let at = Location::caller();
                let lock = s.lock;
                s.recorded.release(&lock.map);
                let recorded = Recorded::new(engine::acquire(
                    &lock.map,
                    Mode::Exclusive,
                    0,
                    Flags::NONE,
                    None,
                    at,
                ));
                let inner = s.take();
                $write_guard {
                    lock,
                    inner: lock_api::RwLockUpgradableReadGuard::upgrade(inner),
                    recorded,
                    subclass: 0,
                    nest: (),
                }
            }

            /// Attempts to upgrade without blocking. On success the held entry
            /// becomes exclusive (no validation: nothing was waited for);
            /// otherwise the guard comes back unchanged.
            pub fn try_upgrade(mut s: Self) -> Result<$write_guard<'a, T>, Self> {
                let inner = s.take();
                match lock_api::RwLockUpgradableReadGuard::try_upgrade(inner) {
                    Ok(w) => Ok(s.upgraded(w)),
                    Err(inner) => {
                        s.inner = Some(inner);
                        Err(s)
                    }
                }
            }

            /// Attempts to upgrade, giving up after `timeout` (treated like
            /// [`try_upgrade`](Self::try_upgrade)).
            pub fn try_upgrade_for(mut s: Self, timeout: Duration) -> Result<$write_guard<'a, T>, Self> {
                let inner = s.take();
                match lock_api::RwLockUpgradableReadGuard::try_upgrade_for(inner, timeout) {
                    Ok(w) => Ok(s.upgraded(w)),
                    Err(inner) => {
                        s.inner = Some(inner);
                        Err(s)
                    }
                }
            }

            /// Attempts to upgrade, giving up at `deadline` (treated like
            /// [`try_upgrade`](Self::try_upgrade)).
            pub fn try_upgrade_until(mut s: Self, deadline: Instant) -> Result<$write_guard<'a, T>, Self> {
                let inner = s.take();
                match lock_api::RwLockUpgradableReadGuard::try_upgrade_until(inner, deadline) {
                    Ok(w) => Ok(s.upgraded(w)),
                    Err(inner) => {
                        s.inner = Some(inner);
                        Err(s)
                    }
                }
            }

            /// The write guard after a successful try-upgrade: the held entry
            /// changes mode in place.
            fn upgraded(mut self, inner: lock_api::RwLockWriteGuard<'a, $raw, T>) -> $write_guard<'a, T> {
                let recorded = std::mem::replace(&mut self.recorded, Recorded::NO);
                recorded.change_mode(&self.lock.map, Mode::Exclusive);
                $write_guard {
                    lock: self.lock,
                    inner,
                    recorded,
                    subclass: 0,
                    nest: (),
                }
            }

            /// Upgrades, runs `f` on the data, and downgrades back to an
            /// upgradable read. To the checker: the upgrade is validated as
            /// [`upgrade`](Self::upgrade)'s, and the entry becomes a
            /// non-recursive read again afterwards.
            #[track_caller]
            pub fn with_upgraded<Ret, F: FnOnce(&mut T) -> Ret>(&mut self, f: F) -> Ret {
                let at = Location::caller();
                let map = &self.lock.map;
                self.recorded.release(map);
                self.recorded = Recorded::new(engine::acquire(
                    map,
                    Mode::Exclusive,
                    0,
                    Flags::NONE,
                    None,
                    at,
                ));
                let out = self.held().with_upgraded(f);
                self.recorded.change_mode(map, Mode::Read);
                out
            }

            /// As [`with_upgraded`](Self::with_upgraded) if the upgrade succeeds
            /// without blocking (treated like [`try_upgrade`](Self::try_upgrade)).
            pub fn try_with_upgraded<Ret, F: FnOnce(&mut T) -> Ret>(&mut self, f: F) -> Option<Ret> {
                let map = &self.lock.map;
                let recorded = self.recorded;
                self.held().try_with_upgraded(|data| {
                    recorded.change_mode(map, Mode::Exclusive);
                    let out = f(data);
                    recorded.change_mode(map, Mode::Read);
                    out
                })
            }

            /// As [`try_with_upgraded`](Self::try_with_upgraded), giving up after `timeout`.
            pub fn try_with_upgraded_for<Ret, F: FnOnce(&mut T) -> Ret>(
                &mut self,
                timeout: Duration,
                f: F,
            ) -> Option<Ret> {
                let map = &self.lock.map;
                let recorded = self.recorded;
                self.held().try_with_upgraded_for(timeout, |data| {
                    recorded.change_mode(map, Mode::Exclusive);
                    let out = f(data);
                    recorded.change_mode(map, Mode::Read);
                    out
                })
            }

            /// As [`try_with_upgraded`](Self::try_with_upgraded), giving up at `deadline`.
            pub fn try_with_upgraded_until<Ret, F: FnOnce(&mut T) -> Ret>(
                &mut self,
                deadline: Instant,
                f: F,
            ) -> Option<Ret> {
                let map = &self.lock.map;
                let recorded = self.recorded;
                self.held().try_with_upgraded_until(deadline, |data| {
                    recorded.change_mode(map, Mode::Exclusive);
                    let out = f(data);
                    recorded.change_mode(map, Mode::Read);
                    out
                })
            }

            /// Turns the upgradable read into a plain read (cannot block; the
            /// held entry takes the mode of this lock's `read`).
            pub fn downgrade(mut s: Self) -> $read_guard<'a, T> {
                let inner = s.take();
                let recorded = std::mem::replace(&mut s.recorded, Recorded::NO);
                if $read_mode != Mode::Read {
                    recorded.change_mode(&s.lock.map, $read_mode);
                }
                $read_guard {
                    lock: s.lock,
                    inner: lock_api::RwLockUpgradableReadGuard::downgrade(inner),
                    recorded,
                    subclass: 0,
                    nest: (),
                }
            }

            /// Unlocks fairly (parking_lot's `unlock_fair`); the checker entry
            /// is released first.
            #[track_caller]
            pub fn unlock_fair(mut s: Self) {
                s.recorded.release(&s.lock.map);
                lock_api::RwLockUpgradableReadGuard::unlock_fair(s.take());
            }

            /// Temporarily unlocks to run `f`, then takes the upgradable read
            /// again (validated as a new acquisition).
            #[track_caller]
            pub fn unlocked<F: FnOnce() -> U, U>(s: &mut Self, f: F) -> U {
                Self::around(s, Location::caller(), |g, f| {
                    lock_api::RwLockUpgradableReadGuard::unlocked(g, f)
                }, f)
            }

            /// As [`unlocked`](Self::unlocked), unlocking fairly.
            #[track_caller]
            pub fn unlocked_fair<F: FnOnce() -> U, U>(s: &mut Self, f: F) -> U {
                Self::around(s, Location::caller(), |g, f| {
                    lock_api::RwLockUpgradableReadGuard::unlocked_fair(g, f)
                }, f)
            }

            /// Lets waiting threads take the lock if any (parking_lot's
            /// `bump`): to the checker a release and a validated re-acquisition.
            #[track_caller]
            pub fn bump(s: &mut Self) {
                Self::around(s, Location::caller(), |g, f| {
                    lock_api::RwLockUpgradableReadGuard::bump(g);
                    f()
                }, || ())
            }

            fn around<U>(
                s: &mut Self,
                at: &'static Location<'static>,
                how: impl FnOnce(&mut lock_api::RwLockUpgradableReadGuard<'a, $raw, T>, &mut dyn FnMut() -> U) -> U,
                f: impl FnOnce() -> U,
            ) -> U {
                let map = &s.lock.map;
                s.recorded.release(map);
                let recorded = &mut s.recorded;
                let mut f = Some(f);
                let out = how(s.inner.as_mut().expect("upgradable guard holds the lock"), &mut || {
                    let out = (f.take().expect("called once"))();
                    *recorded = Recorded::new(engine::acquire(map, Mode::Read, 0, Flags::NONE, None, at));
                    out
                });
                out
            }
        }

        impl<T: ?Sized> Drop for $upg_guard<'_, T> {
            fn drop(&mut self) {
                self.recorded.release(&self.lock.map);
            }
        }

        fmt_via_deref!($upg_guard<'_, T>);

        impl<'a, T: ?Sized> $upg_guard<'a, T> {
            /// The lock this guard holds.
            pub fn rwlock(s: &Self) -> &'a $lock<T> {
                s.lock
            }
        }

        impl<T: ?Sized> Deref for $upg_guard<'_, T> {
            type Target = T;
            fn deref(&self) -> &T {
                self.inner.as_ref().expect("upgradable guard holds the lock")
            }
        }

        arc_rwlock! {
            lock: $lock,
            read_guard: $read_guard,
            write_guard: $write_guard,
            upgradable_guard: $upg_guard,
            arc_read: $arc_read,
            arc_write: $arc_write,
            arc_upgradable: $arc_upg,
            raw: $raw,
        }


        impl<T: ?Sized> DerefMut for $write_guard<'_, T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.inner
            }
        }
    };
}

rwlock! {
    /// A reader-writer lock: `parking_lot::RwLock` (task-fair: a waiting
    /// writer blocks new readers) plus a [`LockMap`](crate::LockMap). [`read`](RwLock::read)
    /// is a non-recursive read to the checker.
    ///
    /// ```
    /// use lockdep::RwLock;
    /// let l = RwLock::new(vec![1]);
    /// l.write().push(2);
    /// assert_eq!(l.read().len(), 2);
    /// ```
    lock: RwLock,
    read_guard: RwLockReadGuard,
    write_guard: RwLockWriteGuard,
    upgradable_guard: RwLockUpgradableReadGuard,
    mapped_read: MappedRwLockReadGuard,
    mapped_write: MappedRwLockWriteGuard,
    arc_read: ArcRwLockReadGuard,
    arc_write: ArcRwLockWriteGuard,
    arc_upgradable: ArcRwLockUpgradableReadGuard,
    raw: parking_lot::RawRwLock,
    read_mode: Mode::Read,
    read_doc: "Shared, non-recursive read, validated before blocking. It queues behind a waiting writer (parking_lot's `RwLock` is task-fair), so a thread that takes it twice can deadlock; the checker reports a second read of the same class.",
}

rwlock! {
    /// A reader-preferring reader-writer lock: `parking_lot::RecursiveRwLock`
    /// plus a [`LockMap`](crate::LockMap). [`read`](RecursiveRwLock::read) is a recursive read
    /// to the checker (the kernel's rwlock `read_lock`): it waits only for a
    /// writer that holds the lock, so a thread may take it while holding a
    /// read of the same class.
    ///
    /// ```
    /// use lockdep::RecursiveRwLock;
    /// let l = RecursiveRwLock::new(1);
    /// let a = l.read();
    /// let b = l.read(); // fine: recursive
    /// assert_eq!(*a + *b, 2);
    /// ```
    lock: RecursiveRwLock,
    read_guard: RecursiveRwLockReadGuard,
    write_guard: RecursiveRwLockWriteGuard,
    upgradable_guard: RecursiveRwLockUpgradableReadGuard,
    mapped_read: MappedRecursiveRwLockReadGuard,
    mapped_write: MappedRecursiveRwLockWriteGuard,
    arc_read: ArcRecursiveRwLockReadGuard,
    arc_write: ArcRecursiveRwLockWriteGuard,
    arc_upgradable: ArcRecursiveRwLockUpgradableReadGuard,
    raw: parking_lot::RawRwLockRecursive,
    read_mode: Mode::RecursiveRead,
    read_doc: "Shared, recursive read, validated before blocking: it waits only for a writer that holds the lock, never for a waiting one.",
}
