//! [`Mutex`] and [`MutexGuard`] with `std::sync::Mutex`'s API and poisoning,
//! on [`crate::Mutex`].

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::{LockResult, TryLockError, TryLockResult};

use lock_api::GuardNoSend;

use super::poison::{self, Flag};
use crate::class::LockClass;

/// A mutual-exclusion lock with the API of [`std::sync::Mutex`], checked by lockdep.
///
/// [`lock`](Mutex::lock) is an exclusive blocking acquisition, validated
/// before it blocks; [`try_lock`](Mutex::try_lock) is a trylock. The class is
/// the caller's source location of [`new`](Mutex::new), [`default`](Default::default)
/// or [`from`](From::from), or a named [`LockClass`] with [`Mutex::with_class`].
///
/// Poisoning is std's: a panic while a guard is held poisons the mutex, and
/// every later acquisition returns `Err(PoisonError)` carrying the guard.
///
/// ```
/// use lockdep::stdsync::{Arc, Mutex};
/// use std::thread;
///
/// let counter = Arc::new(Mutex::new(0));
/// let c = Arc::clone(&counter);
/// thread::spawn(move || *c.lock().unwrap() += 1).join().unwrap();
/// assert_eq!(*counter.lock().unwrap(), 1);
/// ```
pub struct Mutex<T: ?Sized> {
    poison: Flag,
    inner: crate::sync::Mutex<T>,
}

// As std: poisoning is what makes a mutex safe to observe after a panic.
impl<T: ?Sized> UnwindSafe for Mutex<T> {}
impl<T: ?Sized> RefUnwindSafe for Mutex<T> {}

impl<T> Mutex<T> {
    /// Creates a new unlocked mutex (std's `Mutex::new`, usable in a
    /// `static`). Its class is the caller's source location.
    ///
    /// ```
    /// use lockdep::stdsync::Mutex;
    /// static COUNT: Mutex<u32> = Mutex::new(0);
    /// *COUNT.lock().unwrap() += 1;
    /// ```
    #[track_caller]
    pub const fn new(t: T) -> Mutex<T> {
        Mutex {
            poison: Flag::new(),
            inner: crate::sync::Mutex::new(t),
        }
    }

    /// Creates a new unlocked mutex in the named class `class` (a lockdep
    /// extra, not in std): every mutex built with one class is one node of
    /// the dependency graph, wherever it was constructed.
    #[track_caller]
    pub const fn with_class(t: T, class: &'static LockClass) -> Mutex<T> {
        Mutex {
            poison: Flag::new(),
            inner: crate::sync::Mutex::with_class(t, class),
        }
    }

    /// Consumes the mutex and returns its data, in `Err` if it is poisoned.
    pub fn into_inner(self) -> LockResult<T> {
        let Mutex { poison, inner } = self;
        let data = inner.into_inner();
        poison::map_result(poison.borrow(), |()| data)
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Acquires the mutex, blocking the current thread until it is able to do
    /// so. Returns `Err` carrying the guard if the mutex is poisoned.
    ///
    /// To lockdep: an exclusive acquisition, validated against the locks this
    /// thread holds before it blocks. Locking a mutex this thread already
    /// holds (which deadlocks or panics with std) is reported as recursive
    /// locking, and then deadlocks.
    #[track_caller]
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        let inner = self.inner.lock();
        MutexGuard::new(&self.poison, inner)
    }

    /// Attempts to acquire the mutex without blocking: `Err(WouldBlock)` if it
    /// is locked, `Err(Poisoned(..))` carrying the guard if it is poisoned.
    ///
    /// To lockdep: a trylock, recorded only if it succeeds and never
    /// validated as the new lock (it cannot wait).
    #[track_caller]
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        match self.inner.try_lock() {
            Some(inner) => Ok(MutexGuard::new(&self.poison, inner)?),
            None => Err(TryLockError::WouldBlock),
        }
    }
}

super::poison::common_lock_api!(Mutex, Mutex, "mutex");

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    /// As std: `Mutex { data: .., poisoned: false, .. }`, with `data:
    /// "<locked>"` if the mutex is locked (the look is a trylock).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => {
                d.field("data", &&*guard);
            }
            Err(TryLockError::Poisoned(err)) => {
                d.field("data", &&**err.get_ref());
            }
            Err(TryLockError::WouldBlock) => {
                d.field("data", &"<locked>");
            }
        }
        d.field("poisoned", &self.poison.get());
        d.finish_non_exhaustive()
    }
}

/// An RAII guard of a [`Mutex`] (std's `MutexGuard`): the data is reachable
/// through `Deref`/`DerefMut`, and the mutex is unlocked (and the checker
/// told) when it drops. Dropped by a panic that began while it was held, it
/// poisons the mutex.
///
/// `!Send`, like std's: the held-lock stack is per thread.
#[must_use = "if unused the Mutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MutexGuard<'a, T: ?Sized + 'a> {
    /// Dropped first: poisons while the mutex is still locked, as std does.
    poison: poison::Guard<'a>,
    inner: crate::sync::MutexGuard<'a, T>,
    _not_send: PhantomData<GuardNoSend>,
}

// As std: the mutex is poisoned if a panic unwinds through the guard.
impl<T: ?Sized> UnwindSafe for MutexGuard<'_, T> {}
impl<T: ?Sized> RefUnwindSafe for MutexGuard<'_, T> {}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    fn new(flag: &'a Flag, inner: crate::sync::MutexGuard<'a, T>) -> LockResult<Self> {
        poison::map_result(flag.guard(), |poison| MutexGuard {
            poison,
            inner,
            _not_send: PhantomData,
        })
    }

    /// The engine's guard, for [`Condvar`](super::Condvar) waits.
    pub(super) fn checked(&mut self) -> &mut crate::sync::MutexGuard<'a, T> {
        &mut self.inner
    }

    /// Whether the mutex this guard holds is poisoned.
    pub(super) fn mutex_poisoned(&self) -> bool {
        self.poison.flag().get()
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
