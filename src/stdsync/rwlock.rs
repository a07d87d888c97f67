//! [`RwLock`] and its guards with `std::sync::RwLock`'s API and poisoning, on
//! [`crate::RwLock`].

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::{LockResult, TryLockError, TryLockResult};

use lock_api::GuardNoSend;

use super::poison::{self, Flag};
use crate::class::LockClass;

/// A reader-writer lock with the API of [`std::sync::RwLock`], checked by lockdep.
///
/// [`write`](RwLock::write) is an exclusive acquisition. [`read`](RwLock::read)
/// is a **non-recursive** read: std's `read` may block behind a waiting
/// writer on some platforms, and std documents that a thread taking a read it
/// already holds may deadlock, so the checker reports read-read inversions
/// (which deadlock once writers queue) and re-entrant reads. `try_read` and `try_write` are
/// trylocks. The class is the caller's source location of
/// [`new`](RwLock::new), [`default`](Default::default) or
/// [`from`](From::from), or a named [`LockClass`] with [`RwLock::with_class`].
///
/// Poisoning is std's: a panic while a *write* guard is held poisons the lock
/// (read guards never do); every later acquisition returns `Err(PoisonError)`
/// carrying the guard.
///
/// ```
/// use lockdep::stdsync::RwLock;
///
/// let lock = RwLock::new(5);
/// assert_eq!(*lock.read().unwrap(), 5);
/// *lock.write().unwrap() += 1;
/// assert_eq!(*lock.read().unwrap(), 6);
/// ```
pub struct RwLock<T: ?Sized> {
    poison: Flag,
    inner: crate::sync::RwLock<T>,
}

// As std: poisoning is what makes a lock safe to observe after a panic.
impl<T: ?Sized> UnwindSafe for RwLock<T> {}
impl<T: ?Sized> RefUnwindSafe for RwLock<T> {}

impl<T> RwLock<T> {
    /// Creates a new unlocked lock (std's `RwLock::new`, usable in a
    /// `static`). Its class is the caller's source location.
    ///
    /// ```
    /// use lockdep::stdsync::RwLock;
    /// static CONFIG: RwLock<Vec<String>> = RwLock::new(Vec::new());
    /// CONFIG.write().unwrap().push("verbose".into());
    /// assert_eq!(CONFIG.read().unwrap().len(), 1);
    /// ```
    #[track_caller]
    pub const fn new(t: T) -> RwLock<T> {
        RwLock {
            poison: Flag::new(),
            inner: crate::sync::RwLock::new(t),
        }
    }

    /// Creates a new unlocked lock in the named class `class` (a lockdep
    /// extra, not in std).
    #[track_caller]
    pub const fn with_class(t: T, class: &'static LockClass) -> RwLock<T> {
        RwLock {
            poison: Flag::new(),
            inner: crate::sync::RwLock::with_class(t, class),
        }
    }

    /// Consumes the lock and returns its data, in `Err` if it is poisoned.
    pub fn into_inner(self) -> LockResult<T> {
        let RwLock { poison, inner } = self;
        let data = inner.into_inner();
        poison::map_result(poison.borrow(), |()| data)
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Locks with shared read access, blocking until it can. Returns `Err`
    /// carrying the guard if the lock is poisoned.
    ///
    /// To lockdep: a non-recursive read (the kernel's `down_read`), validated
    /// before it blocks. Taking it again while this thread holds a read of the
    /// same class is reported as recursive locking, as std warns it may
    /// deadlock.
    #[track_caller]
    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        let inner = self.inner.read();
        RwLockReadGuard::new(&self.poison, inner)
    }

    /// Attempts a shared read without blocking: `Err(WouldBlock)` if it is
    /// write-locked, `Err(Poisoned(..))` carrying the guard if poisoned.
    ///
    /// To lockdep: a trylock read, recorded only if it succeeds.
    #[track_caller]
    pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, T>> {
        match self.inner.try_read() {
            Some(inner) => Ok(RwLockReadGuard::new(&self.poison, inner)?),
            None => Err(TryLockError::WouldBlock),
        }
    }

    /// Locks with exclusive write access, blocking until it can. Returns
    /// `Err` carrying the guard if the lock is poisoned.
    ///
    /// To lockdep: an exclusive acquisition, validated before it blocks.
    #[track_caller]
    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        let inner = self.inner.write();
        RwLockWriteGuard::new(&self.poison, inner)
    }

    /// Attempts an exclusive write without blocking: `Err(WouldBlock)` if it
    /// is locked, `Err(Poisoned(..))` carrying the guard if poisoned.
    ///
    /// To lockdep: a trylock, recorded only if it succeeds.
    #[track_caller]
    pub fn try_write(&self) -> TryLockResult<RwLockWriteGuard<'_, T>> {
        match self.inner.try_write() {
            Some(inner) => Ok(RwLockWriteGuard::new(&self.poison, inner)?),
            None => Err(TryLockError::WouldBlock),
        }
    }
}

super::poison::common_lock_api!(RwLock, RwLock, "lock");

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    /// As std: `RwLock { data: .., poisoned: false, .. }`, with `data:
    /// <locked>` if it is write-locked (the look is a trylock read).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => {
                d.field("data", &&*guard);
            }
            Err(TryLockError::Poisoned(err)) => {
                d.field("data", &&**err.get_ref());
            }
            Err(TryLockError::WouldBlock) => {
                // Unquoted, as std's RwLock (std's Mutex quotes it).
                d.field("data", &format_args!("<locked>"));
            }
        }
        d.field("poisoned", &self.poison.get());
        d.finish_non_exhaustive()
    }
}

/// An RAII shared guard of a [`RwLock`] (std's `RwLockReadGuard`). Never
/// poisons. `!Send`, like std's.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockReadGuard<'a, T: ?Sized + 'a> {
    inner: crate::sync::RwLockReadGuard<'a, T>,
    _not_send: PhantomData<GuardNoSend>,
}

// As std: a read guard is unwind-safe when its data is (it only hands out `&T`).
impl<T: ?Sized + RefUnwindSafe> UnwindSafe for RwLockReadGuard<'_, T> {}
impl<T: ?Sized + RefUnwindSafe> RefUnwindSafe for RwLockReadGuard<'_, T> {}

/// An RAII exclusive guard of a [`RwLock`] (std's `RwLockWriteGuard`).
/// Dropped by a panic that began while it was held, it poisons the lock.
/// `!Send`, like std's.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockWriteGuard<'a, T: ?Sized + 'a> {
    /// Dropped first: poisons while the lock is still held, as std does.
    poison: poison::Guard<'a>,
    inner: crate::sync::RwLockWriteGuard<'a, T>,
    _not_send: PhantomData<GuardNoSend>,
}

// As std: the lock is poisoned if a panic unwinds through the guard.
impl<T: ?Sized> UnwindSafe for RwLockWriteGuard<'_, T> {}
impl<T: ?Sized> RefUnwindSafe for RwLockWriteGuard<'_, T> {}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    fn new(flag: &Flag, inner: crate::sync::RwLockReadGuard<'a, T>) -> LockResult<Self> {
        poison::map_result(flag.borrow(), |()| RwLockReadGuard {
            inner,
            _not_send: PhantomData,
        })
    }
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    fn new(flag: &'a Flag, inner: crate::sync::RwLockWriteGuard<'a, T>) -> LockResult<Self> {
        poison::map_result(flag.guard(), |poison| RwLockWriteGuard {
            poison,
            inner,
            _not_send: PhantomData,
        })
    }

    /// Turns the write lock into a read lock without letting a writer in
    /// between (std's `RwLockWriteGuard::downgrade`; it does not poison).
    ///
    /// To lockdep: it cannot block, so it is not validated; the held entry
    /// becomes a non-recursive read.
    ///
    /// ```
    /// use lockdep::stdsync::{RwLock, RwLockWriteGuard};
    ///
    /// let rw = RwLock::new(0);
    /// let mut write_guard = rw.write().unwrap();
    /// *write_guard = 42;
    /// let read_guard = RwLockWriteGuard::downgrade(write_guard);
    /// assert_eq!(42, *read_guard);
    /// ```
    pub fn downgrade(s: Self) -> RwLockReadGuard<'a, T> {
        let RwLockWriteGuard { poison, inner, .. } = s;
        poison.disarm();
        RwLockReadGuard {
            inner: crate::sync::RwLockWriteGuard::downgrade(inner),
            _not_send: PhantomData,
        }
    }
}

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

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
