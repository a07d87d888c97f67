//! `std::sync`'s locks with checking compiled out (`--cfg lockdep_off` or the
//! feature `off`): [`Mutex`], [`RwLock`], [`Condvar`] and their guards are
//! `#[repr(transparent)]` newtypes of std's own types, with the checked
//! build's API (std's, plus `with_class` and `lock_map`) and
//! `#[inline(always)]` delegation. So the program runs on std's locks, with
//! std's poisoning and std's sizes.
//!
//! ```
//! use lockdep::stdsync::{Arc, Mutex};
//! use std::mem::size_of;
//! use std::thread;
//!
//! let a = Arc::new(Mutex::new(0));
//! let a1 = Arc::clone(&a);
//! thread::spawn(move || *a1.lock().unwrap() += 1).join().unwrap();
//! assert_eq!(*a.lock().unwrap(), 1);
//! assert_eq!(size_of::<Mutex<u64>>(), size_of::<std::sync::Mutex<u64>>());
//! assert!(lockdep::reports().is_empty());
//! ```

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::time::Duration;

use crate::class::LockClass;
use crate::map::LockMap;

pub use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};

pub use std::sync::{Arc, Barrier, BarrierWaitResult, OnceState, Weak, atomic, mpsc};

/// std's `Once` (and `ONCE_INIT`): the checked build's wrapper, compiled
/// against this build's zero-sized `LockMap`, so it records nothing.
#[path = "../stdsync/once.rs"]
mod once;
#[allow(deprecated)]
pub use once::ONCE_INIT;
pub use once::Once;

/// std's `OnceLock` and `LazyLock`: the same types as [`crate::OnceLock`] and [`crate::LazyLock`].
pub use crate::sync::{LazyLock, OnceLock};

/// Maps the guard inside a std `LockResult`.
#[inline(always)]
fn map_result<G, H>(r: LockResult<G>, f: impl FnOnce(G) -> H) -> LockResult<H> {
    match r {
        Ok(g) => Ok(f(g)),
        Err(e) => Err(PoisonError::new(f(e.into_inner()))),
    }
}

/// Maps the guard inside a std `TryLockResult`.
#[inline(always)]
fn map_try<G, H>(r: TryLockResult<G>, f: impl FnOnce(G) -> H) -> TryLockResult<H> {
    match r {
        Ok(g) => Ok(f(g)),
        Err(TryLockError::Poisoned(e)) => {
            Err(TryLockError::Poisoned(PoisonError::new(f(e.into_inner()))))
        }
        Err(TryLockError::WouldBlock) => Err(TryLockError::WouldBlock),
    }
}

/// A mutual-exclusion lock with the API of [`std::sync::Mutex`]: std's mutex,
/// transparently.
///
/// ```
/// use lockdep::stdsync::Mutex;
/// static COUNT: Mutex<u32> = Mutex::new(0);
/// *COUNT.lock().unwrap() += 1;
/// ```
#[repr(transparent)]
pub struct Mutex<T: ?Sized> {
    inner: std::sync::Mutex<T>,
}

impl<T> Mutex<T> {
    /// Creates a new unlocked mutex (std's `Mutex::new`).
    #[track_caller]
    #[inline(always)]
    pub const fn new(t: T) -> Mutex<T> {
        Mutex {
            inner: std::sync::Mutex::new(t),
        }
    }

    /// Creates a new unlocked mutex (a lockdep extra; the class is not kept).
    #[inline(always)]
    pub const fn with_class(t: T, class: &'static LockClass) -> Mutex<T> {
        let _ = class;
        Mutex::new(t)
    }

    /// Consumes the mutex and returns its data, in `Err` if it is poisoned.
    #[inline(always)]
    pub fn into_inner(self) -> LockResult<T> {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Acquires the mutex, blocking the current thread until it is able to do
    /// so. Returns `Err` carrying the guard if the mutex is poisoned.
    #[track_caller]
    #[inline(always)]
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        map_result(self.inner.lock(), MutexGuard)
    }

    /// Attempts to acquire the mutex without blocking.
    #[track_caller]
    #[inline(always)]
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        map_try(self.inner.try_lock(), MutexGuard)
    }
}

/// An RAII guard of a [`Mutex`]: std's `MutexGuard`, transparently.
#[must_use = "if unused the Mutex will immediately unlock"]
#[clippy::has_significant_drop]
#[repr(transparent)]
pub struct MutexGuard<'a, T: ?Sized + 'a>(std::sync::MutexGuard<'a, T>);

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// A reader-writer lock with the API of [`std::sync::RwLock`]: std's lock,
/// transparently.
///
/// ```
/// use lockdep::stdsync::RwLock;
/// let lock = RwLock::new(5);
/// assert_eq!(*lock.read().unwrap(), 5);
/// *lock.write().unwrap() += 1;
/// assert_eq!(*lock.read().unwrap(), 6);
/// ```
#[repr(transparent)]
pub struct RwLock<T: ?Sized> {
    inner: std::sync::RwLock<T>,
}

impl<T> RwLock<T> {
    /// Creates a new unlocked lock (std's `RwLock::new`).
    #[track_caller]
    #[inline(always)]
    pub const fn new(t: T) -> RwLock<T> {
        RwLock {
            inner: std::sync::RwLock::new(t),
        }
    }

    /// Creates a new unlocked lock (a lockdep extra; the class is not kept).
    #[inline(always)]
    pub const fn with_class(t: T, class: &'static LockClass) -> RwLock<T> {
        let _ = class;
        RwLock::new(t)
    }

    /// Consumes the lock and returns its data, in `Err` if it is poisoned.
    #[inline(always)]
    pub fn into_inner(self) -> LockResult<T> {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Locks with shared read access, blocking until it can.
    #[track_caller]
    #[inline(always)]
    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        map_result(self.inner.read(), RwLockReadGuard)
    }

    /// Attempts a shared read without blocking.
    #[track_caller]
    #[inline(always)]
    pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, T>> {
        map_try(self.inner.try_read(), RwLockReadGuard)
    }

    /// Locks with exclusive write access, blocking until it can.
    #[track_caller]
    #[inline(always)]
    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        map_result(self.inner.write(), RwLockWriteGuard)
    }

    /// Attempts an exclusive write without blocking.
    #[track_caller]
    #[inline(always)]
    pub fn try_write(&self) -> TryLockResult<RwLockWriteGuard<'_, T>> {
        map_try(self.inner.try_write(), RwLockWriteGuard)
    }
}

/// An RAII shared guard of a [`RwLock`]: std's `RwLockReadGuard`, transparently.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
#[repr(transparent)]
pub struct RwLockReadGuard<'a, T: ?Sized + 'a>(std::sync::RwLockReadGuard<'a, T>);

/// An RAII exclusive guard of a [`RwLock`]: std's `RwLockWriteGuard`, transparently.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
#[repr(transparent)]
pub struct RwLockWriteGuard<'a, T: ?Sized + 'a>(std::sync::RwLockWriteGuard<'a, T>);

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Turns the write lock into a read lock without letting a writer in
    /// between (std's `RwLockWriteGuard::downgrade`).
    #[inline(always)]
    pub fn downgrade(s: Self) -> RwLockReadGuard<'a, T> {
        RwLockReadGuard(std::sync::RwLockWriteGuard::downgrade(s.0))
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// What `Mutex` and `RwLock` share: the poison flag, `get_mut`, the checker's
/// handle, `Default`, `From` and `Debug` (std's).
macro_rules! common_lock_api {
    ($Lock:ident, $what:literal) => {
        impl<T: ?Sized> $Lock<T> {
            #[doc = concat!("Is the ", $what, " poisoned? Another thread may poison it at any time, so")]
            /// `false` is only a snapshot.
            #[inline(always)]
            pub fn is_poisoned(&self) -> bool {
                self.inner.is_poisoned()
            }

            /// Clears the poisoned state, e.g. after the data was repaired.
            #[inline(always)]
            pub fn clear_poison(&self) {
                self.inner.clear_poison();
            }

            /// A mutable reference to the data without locking (the borrow
            #[doc = concat!("checker proves exclusivity), in `Err` if the ", $what, " is poisoned.")]
            #[inline(always)]
            pub fn get_mut(&mut self) -> LockResult<&mut T> {
                self.inner.get_mut()
            }

            #[doc = concat!("The checker's handle for this ", $what, " (a lockdep extra): a")]
            /// zero-sized [`LockMap`] that does nothing.
            #[inline(always)]
            pub const fn lock_map(&self) -> &LockMap {
                &crate::map::NONE
            }
        }

        impl<T: Default> Default for $Lock<T> {
            #[doc = concat!("A ", $what, " holding `T::default()`.")]
            #[track_caller]
            #[inline(always)]
            fn default() -> $Lock<T> {
                $Lock::new(T::default())
            }
        }

        impl<T> From<T> for $Lock<T> {
            #[doc = concat!("A new unlocked ", $what, " holding `t`.")]
            #[track_caller]
            #[inline(always)]
            fn from(t: T) -> $Lock<T> {
                $Lock::new(t)
            }
        }

        impl<T: ?Sized + fmt::Debug> fmt::Debug for $Lock<T> {
            /// std's.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.inner, f)
            }
        }
    };
}

common_lock_api!(Mutex, "mutex");
common_lock_api!(RwLock, "lock");

/// `Debug` and `Display` of a guard: those of the data.
macro_rules! guard_fmt {
    ($($guard:ident),*) => {$(
        impl<T: ?Sized + fmt::Debug> fmt::Debug for $guard<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }

        impl<T: ?Sized + fmt::Display> fmt::Display for $guard<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&**self, f)
            }
        }
    )*};
}

guard_fmt!(MutexGuard, RwLockReadGuard, RwLockWriteGuard);

/// Whether a timed wait timed out (std's `WaitTimeoutResult`).
#[derive(Debug, PartialEq, Eq, Copy, Clone)]
#[repr(transparent)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// `true` if the wait ended because its time ran out.
    #[must_use]
    #[inline(always)]
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

/// A condition variable with the API of [`std::sync::Condvar`], for
/// [`Mutex`] guards: std's condition variable, transparently.
///
/// ```
/// use lockdep::stdsync::{Arc, Condvar, Mutex};
/// use std::thread;
///
/// let pair = Arc::new((Mutex::new(false), Condvar::new()));
/// let pair2 = Arc::clone(&pair);
/// thread::spawn(move || {
///     let (lock, cvar) = &*pair2;
///     *lock.lock().unwrap() = true;
///     cvar.notify_one();
/// });
/// let (lock, cvar) = &*pair;
/// let started = cvar.wait_while(lock.lock().unwrap(), |started| !*started).unwrap();
/// assert!(*started);
/// ```
#[derive(Default)]
#[repr(transparent)]
pub struct Condvar {
    inner: std::sync::Condvar,
}

impl Condvar {
    /// Creates a new condition variable.
    #[must_use]
    #[inline(always)]
    pub const fn new() -> Condvar {
        Condvar {
            inner: std::sync::Condvar::new(),
        }
    }

    /// Blocks until notified, releasing the mutex while it waits.
    #[track_caller]
    #[inline(always)]
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        map_result(self.inner.wait(guard.0), MutexGuard)
    }

    /// Blocks while `condition` returns `true`.
    #[track_caller]
    #[inline(always)]
    pub fn wait_while<'a, T, F>(
        &self,
        guard: MutexGuard<'a, T>,
        condition: F,
    ) -> LockResult<MutexGuard<'a, T>>
    where
        F: FnMut(&mut T) -> bool,
    {
        map_result(self.inner.wait_while(guard.0, condition), MutexGuard)
    }

    /// Blocks until notified or until `dur` has elapsed.
    #[track_caller]
    #[inline(always)]
    pub fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        dur: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        map_result(self.inner.wait_timeout(guard.0, dur), |(g, r)| {
            (MutexGuard(g), WaitTimeoutResult(r.timed_out()))
        })
    }

    /// Blocks while `condition` returns `true`, for at most `dur` in total.
    #[track_caller]
    #[inline(always)]
    pub fn wait_timeout_while<'a, T, F>(
        &self,
        guard: MutexGuard<'a, T>,
        dur: Duration,
        condition: F,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)>
    where
        F: FnMut(&mut T) -> bool,
    {
        map_result(
            self.inner.wait_timeout_while(guard.0, dur, condition),
            |(g, r)| (MutexGuard(g), WaitTimeoutResult(r.timed_out())),
        )
    }

    /// Waits on this condition variable for a notification, timing out after
    /// `ms` milliseconds; the `bool` is `true` if it did *not* time out.
    #[deprecated(since = "1.6.0", note = "replaced by `Condvar::wait_timeout`")]
    #[track_caller]
    #[inline(always)]
    pub fn wait_timeout_ms<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        ms: u32,
    ) -> LockResult<(MutexGuard<'a, T>, bool)> {
        let result = self.wait_timeout(guard, Duration::from_millis(u64::from(ms)));
        map_result(result, |(guard, r)| (guard, !r.timed_out()))
    }

    /// Wakes up one thread blocked on this condition variable, if any.
    #[inline(always)]
    pub fn notify_one(&self) {
        self.inner.notify_one();
    }

    /// Wakes up all threads blocked on this condition variable.
    #[inline(always)]
    pub fn notify_all(&self) {
        self.inner.notify_all();
    }
}

impl fmt::Debug for Condvar {
    /// As std: `Condvar { .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}
