//! [`RwLock`] (alias [`RwSem`]) with checking compiled out:
//! `parking_lot::RwLock`, transparently (the lock underneath the
//! checked build's `RwLock` too, so both builds behave alike at run time).
//!
//! The file is compiled twice, over the raw lock `super::RwRaw`: as
//! `RwLock` (parking_lot's task-fair `RawRwLock`) and, in
//! `recursive_rwlock`, as `RecursiveRwLock` (`RawRwLockRecursive`).

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use crate::sync::mapped::Mapped;

/// The raw lock underneath (see the module documentation).
type Raw = super::RwRaw;
type MappedRwLockReadGuard<'a, U> = Mapped<'a, lock_api::MappedRwLockReadGuard<'a, Raw, U>>;
type MappedRwLockWriteGuard<'a, U> = Mapped<'a, lock_api::MappedRwLockWriteGuard<'a, Raw, U>>;
use crate::class::LockClass;
use crate::map::LockMap;

/// A reader-writer lock: `parking_lot::RwLock`, with the API of the
/// checked build and nothing recorded.
///
/// ```
/// use lockdep::RwLock;
/// let l = RwLock::new(vec![1]);
/// l.write().push(2);
/// assert_eq!(l.read().len(), 2);
/// ```
#[repr(transparent)]
pub struct RwLock<T: ?Sized> {
    inner: lock_api::RwLock<Raw, T>,
}

/// The kernel's name for a reader-writer semaphore: the same type as [`RwLock`].
#[allow(dead_code)] // re-exported for `RwLock` only
pub type RwSem<T> = RwLock<T>;

impl<T> RwLock<T> {
    /// A new unlocked lock.
    #[track_caller]
    #[inline(always)]
    pub const fn new(value: T) -> RwLock<T> {
        RwLock {
            inner: lock_api::RwLock::new(value),
        }
    }

    /// A new unlocked lock (the class is not kept).
    #[track_caller]
    #[inline(always)]
    pub const fn with_class(value: T, class: &'static LockClass) -> RwLock<T> {
        let _ = class;
        RwLock::new(value)
    }

    /// Consumes the lock, returning the data.
    #[inline(always)]
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }
}

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

    /// Mutable access without locking.
    #[inline(always)]
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    /// Is the lock held by any thread, in any mode?
    #[inline(always)]
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// Is the lock held exclusively by any thread?
    #[inline(always)]
    pub fn is_locked_exclusive(&self) -> bool {
        self.inner.is_locked_exclusive()
    }

    /// With checking compiled out there is no held-lock stack: this answers
    /// [`is_locked`](Self::is_locked), `true` whenever this thread holds the
    /// lock in any mode (and also when another thread does).
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

impl<T: Default> Default for RwLock<T> {
    #[track_caller]
    #[inline(always)]
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    #[track_caller]
    #[inline(always)]
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Exactly what the raw lock prints, as in the checked build.
        fmt::Debug::fmt(&self.inner, f)
    }
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
}

impl<'a, T: ?Sized> RwLockUpgradableReadGuard<'a, T> {
    /// Upgrades to a write, blocking until the other readers leave.
    #[track_caller]
    #[inline(always)]
    pub fn upgrade(s: Self) -> RwLockWriteGuard<'a, T> {
        RwLockWriteGuard(lock_api::RwLockUpgradableReadGuard::upgrade(s.0))
    }

    /// Turns the upgradable read into a plain read (cannot block).
    #[inline(always)]
    pub fn downgrade(s: Self) -> RwLockReadGuard<'a, T> {
        RwLockReadGuard(lock_api::RwLockUpgradableReadGuard::downgrade(s.0))
    }
}

macro_rules! guard_impls {
    ($guard:ident, $inner:ident) => {
        impl<T: ?Sized + fmt::Debug> fmt::Debug for $guard<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }

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

guard_impls!(RwLockReadGuard, RwLockReadGuard);
guard_impls!(RwLockWriteGuard, RwLockWriteGuard);
guard_impls!(RwLockUpgradableReadGuard, RwLockUpgradableReadGuard);

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// `map` and `try_map` for a guard whose inner guard is a lock_api guard with
/// the same two functions.
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
