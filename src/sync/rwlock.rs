//! [`RwLock`] (alias [`RwSem`]): `parking_lot::RwLock` with lock-dependency checking.
//!
//! parking_lot's `RwLock` is task-fair: a waiting writer blocks new readers.
//! So [`RwLock::read`] is a *non-recursive* read to the checker (the kernel's
//! rwsem `down_read`): read-read cycles through a writer are real deadlocks
//! and are reported. [`RwLock::read_recursive`] is a read that does not queue
//! behind writers: a *recursive* read (the kernel's rwlock `read_lock`),
//! blocked only by a writer that holds the lock.
//!
//! parking_lot 0.13 offers recursive reads only on its reader-preferring
//! `RecursiveRwLock` (the task-fair `RwLock` lost `read_recursive`), so that is
//! the lock underneath: both `read` and `read_recursive` exist, and the
//! checker judges `read` by the stricter task-fair rule, so its reports are
//! those a task-fair lock needs. The one run-time difference from
//! `parking_lot::RwLock` is that writers may wait longer under constant reads.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::time::{Duration, Instant};

use crate::class::LockClass;
use crate::engine::{self, Flags, Recorded};
use crate::map::{LockMap, Mode};
use crate::sync::mapped::{Mapped, MappedRwLockReadGuard, MappedRwLockWriteGuard};

/// A reader-writer lock: `parking_lot::RwLock` plus a [`LockMap`].
///
/// ```
/// use lockdep::RwLock;
/// let l = RwLock::new(vec![1]);
/// l.write().push(2);
/// assert_eq!(l.read().len(), 2);
/// ```
pub struct RwLock<T: ?Sized> {
    map: LockMap,
    inner: parking_lot::RecursiveRwLock<T>,
}

/// The kernel's name for a reader-writer semaphore: the same type as [`RwLock`].
pub type RwSem<T> = RwLock<T>;

impl<T> RwLock<T> {
    /// A new unlocked lock whose class is the caller's source location.
    #[track_caller]
    pub const fn new(value: T) -> RwLock<T> {
        RwLock {
            map: LockMap::at_caller_for::<Self>(),
            inner: parking_lot::RecursiveRwLock::new(value),
        }
    }

    /// A new unlocked lock in the named class `class`.
    #[track_caller]
    pub const fn with_class(value: T, class: &'static LockClass) -> RwLock<T> {
        RwLock {
            map: LockMap::with_class(class),
            inner: parking_lot::RecursiveRwLock::new(value),
        }
    }

    /// Consumes the lock, returning the data.
    pub fn into_inner(self) -> T {
        let RwLock { map, inner } = self;
        drop(map);
        inner.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Shared, non-recursive read (queues behind waiting writers).
    #[track_caller]
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        self.read_nested(0)
    }

    /// As [`read`](Self::read), in subclass `subclass`.
    #[track_caller]
    pub fn read_nested(&self, subclass: u8) -> RwLockReadGuard<'_, T> {
        let recorded = Recorded::new(self.map.lock(Mode::Read, subclass, None));
        RwLockReadGuard {
            lock: self,
            inner: self.inner.read(),
            recorded,
        }
    }

    /// Recursive read: does not queue behind waiting writers, so it may be
    /// taken while this thread already holds a read of the same class.
    #[track_caller]
    pub fn read_recursive(&self) -> RwLockReadGuard<'_, T> {
        let recorded = Recorded::new(self.map.lock(Mode::RecursiveRead, 0, None));
        RwLockReadGuard {
            lock: self,
            inner: self.inner.read(),
            recorded,
        }
    }

    /// Exclusive write.
    #[track_caller]
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.write_nested(0)
    }

    /// As [`write`](Self::write), in subclass `subclass`.
    #[track_caller]
    pub fn write_nested(&self, subclass: u8) -> RwLockWriteGuard<'_, T> {
        let recorded = Recorded::new(self.map.lock(Mode::Exclusive, subclass, None));
        RwLockWriteGuard {
            lock: self,
            inner: self.inner.write(),
            recorded,
        }
    }

    /// Upgradable read: shared with plain readers, exclusive among upgradable
    /// readers and writers; a non-recursive read to the checker.
    #[track_caller]
    pub fn upgradable_read(&self) -> RwLockUpgradableReadGuard<'_, T> {
        let recorded = Recorded::new(self.map.lock(Mode::Read, 0, None));
        RwLockUpgradableReadGuard {
            lock: self,
            inner: Some(self.inner.upgradable_read()),
            recorded,
        }
    }

    /// Attempts a read without blocking.
    #[track_caller]
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        let at = Location::caller();
        self.inner.try_read().map(|g| self.read_tried(g, at))
    }

    /// Attempts a read, giving up after `timeout` (treated like a trylock).
    #[track_caller]
    pub fn try_read_for(&self, timeout: Duration) -> Option<RwLockReadGuard<'_, T>> {
        let at = Location::caller();
        self.inner
            .try_read_for(timeout)
            .map(|g| self.read_tried(g, at))
    }

    /// Attempts a read, giving up at `deadline` (treated like a trylock).
    #[track_caller]
    pub fn try_read_until(&self, deadline: Instant) -> Option<RwLockReadGuard<'_, T>> {
        let at = Location::caller();
        self.inner
            .try_read_until(deadline)
            .map(|g| self.read_tried(g, at))
    }

    /// Attempts a write without blocking.
    #[track_caller]
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        let at = Location::caller();
        self.inner.try_write().map(|g| self.write_tried(g, at))
    }

    /// Attempts a write, giving up after `timeout` (treated like a trylock).
    #[track_caller]
    pub fn try_write_for(&self, timeout: Duration) -> Option<RwLockWriteGuard<'_, T>> {
        let at = Location::caller();
        self.inner
            .try_write_for(timeout)
            .map(|g| self.write_tried(g, at))
    }

    /// Attempts a write, giving up at `deadline` (treated like a trylock).
    #[track_caller]
    pub fn try_write_until(&self, deadline: Instant) -> Option<RwLockWriteGuard<'_, T>> {
        let at = Location::caller();
        self.inner
            .try_write_until(deadline)
            .map(|g| self.write_tried(g, at))
    }

    /// Attempts an upgradable read without blocking.
    #[track_caller]
    pub fn try_upgradable_read(&self) -> Option<RwLockUpgradableReadGuard<'_, T>> {
        let at = Location::caller();
        self.inner.try_upgradable_read().map(|g| {
            let recorded = Recorded::new(engine::acquire(
                &self.map,
                Mode::Read,
                0,
                Flags::TRYLOCK,
                None,
                at,
            ));
            RwLockUpgradableReadGuard {
                lock: self,
                inner: Some(g),
                recorded,
            }
        })
    }

    fn read_tried<'a>(
        &'a self,
        inner: parking_lot::RecursiveRwLockReadGuard<'a, T>,
        at: &'static Location<'static>,
    ) -> RwLockReadGuard<'a, T> {
        let recorded = Recorded::new(engine::acquire(
            &self.map,
            Mode::Read,
            0,
            Flags::TRYLOCK,
            None,
            at,
        ));
        RwLockReadGuard {
            lock: self,
            inner,
            recorded,
        }
    }

    fn write_tried<'a>(
        &'a self,
        inner: parking_lot::RecursiveRwLockWriteGuard<'a, T>,
        at: &'static Location<'static>,
    ) -> RwLockWriteGuard<'a, T> {
        let recorded = Recorded::new(engine::acquire(
            &self.map,
            Mode::Exclusive,
            0,
            Flags::TRYLOCK,
            None,
            at,
        ));
        RwLockWriteGuard {
            lock: self,
            inner,
            recorded,
        }
    }

    /// Mutable access without locking.
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    /// Is the lock held by any thread, in any mode?
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// Is the lock held exclusively by any thread?
    pub fn is_locked_exclusive(&self) -> bool {
        self.inner.is_locked_exclusive()
    }

    /// Does the current thread hold this lock (as the checker sees it)?
    pub fn is_held(&self) -> bool {
        self.map.is_held()
    }

    /// The checker's handle for this lock.
    pub const fn lock_map(&self) -> &LockMap {
        &self.map
    }
}

impl<T: Default> Default for RwLock<T> {
    #[track_caller]
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLock")
            .field("class", &self.map.class_name())
            .field("data", &&self.inner)
            .finish()
    }
}

/// Shared guard of a [`RwLock`].
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    inner: parking_lot::RecursiveRwLockReadGuard<'a, T>,
    recorded: Recorded,
}

/// Exclusive guard of a [`RwLock`].
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    inner: parking_lot::RecursiveRwLockWriteGuard<'a, T>,
    recorded: Recorded,
}

/// Upgradable read guard of a [`RwLock`].
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockUpgradableReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    /// `None` only while being upgraded.
    inner: Option<parking_lot::RecursiveRwLockUpgradableReadGuard<'a, T>>,
    recorded: Recorded,
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Turns the write into a read without letting a writer in between. It
    /// cannot block, so it is not validated; the held entry changes mode.
    pub fn downgrade(s: Self) -> RwLockReadGuard<'a, T> {
        let this = std::mem::ManuallyDrop::new(s);
        // SAFETY: `this` is never used or dropped again; each field is moved out exactly once.
        let (lock, inner, recorded) =
            unsafe { (this.lock, std::ptr::read(&this.inner), this.recorded) };
        recorded.change_mode(&lock.map, Mode::Read);
        RwLockReadGuard {
            lock,
            inner: parking_lot::RecursiveRwLockWriteGuard::downgrade(inner),
            recorded,
        }
    }
}

impl<'a, T: ?Sized> RwLockUpgradableReadGuard<'a, T> {
    /// Upgrades to a write, blocking until the other readers leave. Validated
    /// as a new exclusive acquisition.
    #[track_caller]
    pub fn upgrade(mut s: Self) -> RwLockWriteGuard<'a, T> {
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
        let inner = s.inner.take().expect("upgradable guard holds the lock");
        RwLockWriteGuard {
            lock,
            inner: parking_lot::RecursiveRwLockUpgradableReadGuard::upgrade(inner),
            recorded,
        }
    }

    /// Turns the upgradable read into a plain read (cannot block).
    pub fn downgrade(mut s: Self) -> RwLockReadGuard<'a, T> {
        let inner = s.inner.take().expect("upgradable guard holds the lock");
        let recorded = std::mem::replace(&mut s.recorded, Recorded::NO);
        RwLockReadGuard {
            lock: s.lock,
            inner: parking_lot::RecursiveRwLockUpgradableReadGuard::downgrade(inner),
            recorded,
        }
    }
}

macro_rules! guard_impls {
    ($guard:ident) => {
        impl<T: ?Sized> Drop for $guard<'_, T> {
            fn drop(&mut self) {
                self.recorded.release(&self.lock.map);
            }
        }

        impl<T: ?Sized + fmt::Debug> fmt::Debug for $guard<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }

        impl<'a, T: ?Sized> $guard<'a, T> {
            /// The lock this guard holds.
            pub fn rwlock(s: &Self) -> &'a RwLock<T> {
                s.lock
            }
        }
    };
}

guard_impls!(RwLockReadGuard);
guard_impls!(RwLockWriteGuard);
guard_impls!(RwLockUpgradableReadGuard);

/// `map` and `try_map` for a guard whose `inner` is a lock_api guard with the
/// same two functions.
macro_rules! guard_map {
    ($guard:ident, $inner:ident, $mapped:ident $(, $mut:tt)?) => {
        impl<'a, T: ?Sized> $guard<'a, T> {
            /// A guard for a part of the locked data (parking_lot's `map`). The
            /// lock stays held, and on the held-lock stack, until it drops.
            pub fn map<U: ?Sized, F>(s: Self, f: F) -> $mapped<'a, U>
            where
                F: FnOnce(& $($mut)? T) -> & $($mut)? U,
            {
                let (lock, inner, recorded) = s.into_parts();
                Mapped::new(lock_api::$inner::map(inner, f), &lock.map, recorded)
            }

            /// As `map` if `f` returns `Some`; otherwise gives the guard back.
            pub fn try_map<U: ?Sized, F>(s: Self, f: F) -> Result<$mapped<'a, U>, Self>
            where
                F: FnOnce(& $($mut)? T) -> Option<& $($mut)? U>,
            {
                let (lock, inner, recorded) = s.into_parts();
                match lock_api::$inner::try_map(inner, f) {
                    Ok(mapped) => Ok(Mapped::new(mapped, &lock.map, recorded)),
                    Err(inner) => Err($guard {
                        lock,
                        inner,
                        recorded,
                    }),
                }
            }

            /// Takes the guard apart without releasing anything.
            fn into_parts(
                self,
            ) -> (
                &'a RwLock<T>,
                lock_api::$inner<'a, parking_lot::RawRwLockRecursive, T>,
                Recorded,
            ) {
                let this = std::mem::ManuallyDrop::new(self);
                // SAFETY: `this` is never used or dropped again, and `inner`
                // is moved out exactly once; the other fields are `Copy`.
                let inner = unsafe { std::ptr::read(&this.inner) };
                (this.lock, inner, this.recorded)
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

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<T: ?Sized> Deref for RwLockUpgradableReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.inner
            .as_ref()
            .expect("upgradable guard holds the lock")
    }
}
