//! [`Mutex`]: `parking_lot::Mutex` with lock-dependency checking.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::time::{Duration, Instant};

use crate::class::LockClass;
use crate::engine::{self, Flags, Recorded};
use crate::map::{LockMap, Mode};
use crate::sync::mapped::{Mapped, MappedMutexGuard};

/// A mutual-exclusion lock: `parking_lot::Mutex` plus a [`LockMap`].
///
/// Same methods and guard behaviour as `parking_lot::Mutex`. Each blocking
/// acquisition is validated *before* it blocks (so the report is printed even
/// if the program then really deadlocks); trylocks and timed locks are
/// recorded after they succeed and never validated as the new lock.
///
/// The lock's class is the source location of [`Mutex::new`]'s caller, or a
/// named [`LockClass`] with [`Mutex::with_class`].
///
/// ```
/// use lockdep::Mutex;
/// let m = Mutex::new(5);
/// *m.lock() += 1;
/// assert_eq!(*m.lock(), 6);
/// ```
pub struct Mutex<T: ?Sized> {
    map: LockMap,
    inner: parking_lot::Mutex<T>,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex whose class is the caller's source location.
    #[track_caller]
    pub const fn new(value: T) -> Mutex<T> {
        Mutex {
            map: LockMap::at_caller_for::<Self>(),
            inner: parking_lot::Mutex::new(value),
        }
    }

    /// A new unlocked mutex in the named class `class`.
    #[track_caller]
    pub const fn with_class(value: T, class: &'static LockClass) -> Mutex<T> {
        Mutex {
            map: LockMap::with_class(class),
            inner: parking_lot::Mutex::new(value),
        }
    }

    /// Consumes the mutex, returning the data. Dropping a mutex this thread
    /// still holds (after `mem::forget` of a guard) reports *held lock freed*.
    pub fn into_inner(self) -> T {
        let Mutex { map, inner } = self;
        drop(map);
        inner.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Acquires the mutex, blocking until it is available.
    ///
    /// # Lock dependency tracking
    /// Validated against the locks this thread holds before blocking: a new
    /// dependency that closes a strong cycle, or a second lock of the same
    /// class, is reported.
    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.lock_nested(0)
    }

    /// As [`lock`](Self::lock), in subclass `subclass` (0..=7): for taking two
    /// locks of one class in a fixed order (the kernel's `mutex_lock_nested`).
    #[track_caller]
    pub fn lock_nested(&self, subclass: u8) -> MutexGuard<'_, T> {
        let recorded = Recorded::new(self.map.lock(Mode::Exclusive, subclass, None));
        MutexGuard {
            lock: self,
            inner: self.inner.lock(),
            recorded,
            subclass,
            nest: None,
        }
    }

    /// As [`lock`](Self::lock), declaring that the held lock `nest` serialises
    /// every acquisition of this class (the kernel's `mutex_lock_nest_lock`):
    /// several locks of this class may then be held at once, in any order.
    #[track_caller]
    pub fn lock_nest_lock<'a>(&'a self, nest: &'a LockMap) -> MutexGuard<'a, T> {
        let recorded = Recorded::new(self.map.lock(Mode::Exclusive, 0, Some(nest)));
        MutexGuard {
            lock: self,
            inner: self.inner.lock(),
            recorded,
            subclass: 0,
            nest: Some(nest),
        }
    }

    /// Attempts to acquire the mutex without blocking.
    #[track_caller]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        let at = Location::caller();
        self.inner.try_lock().map(|inner| self.tried(inner, at))
    }

    /// Attempts to acquire the mutex, giving up after `timeout`. A timed lock
    /// cannot wait forever, so the checker treats it like a trylock.
    #[track_caller]
    pub fn try_lock_for(&self, timeout: Duration) -> Option<MutexGuard<'_, T>> {
        let at = Location::caller();
        self.inner
            .try_lock_for(timeout)
            .map(|inner| self.tried(inner, at))
    }

    /// Attempts to acquire the mutex, giving up at `deadline` (treated like a trylock).
    #[track_caller]
    pub fn try_lock_until(&self, deadline: Instant) -> Option<MutexGuard<'_, T>> {
        let at = Location::caller();
        self.inner
            .try_lock_until(deadline)
            .map(|inner| self.tried(inner, at))
    }

    fn tried<'a>(
        &'a self,
        inner: parking_lot::MutexGuard<'a, T>,
        at: &'static Location<'static>,
    ) -> MutexGuard<'a, T> {
        let recorded = Recorded::new(engine::acquire(
            &self.map,
            Mode::Exclusive,
            0,
            Flags::TRYLOCK,
            None,
            at,
        ));
        MutexGuard {
            lock: self,
            inner,
            recorded,
            subclass: 0,
            nest: None,
        }
    }

    /// Mutable access without locking (the borrow checker proves exclusivity).
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    /// Is the mutex currently locked (by any thread)?
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// Does the current thread hold this mutex (as the checker sees it)?
    pub fn is_held(&self) -> bool {
        self.map.is_held()
    }

    /// The checker's handle for this lock, e.g. to name it as a nest lock.
    pub const fn lock_map(&self) -> &LockMap {
        &self.map
    }
}

impl<T: Default> Default for Mutex<T> {
    #[track_caller]
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

/// Prints exactly what parking_lot prints (`Mutex { data: [0, 10] }`, or
/// `Mutex { data: <locked> }` while locked); the probe is a raw trylock the
/// checker does not see.
impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

/// RAII guard of a [`Mutex`]; the lock is released (and the checker told)
/// when it drops. `!Send` (the held-lock stack is per thread), unless the
/// `send_guard` feature is on: see `docs/migrating.md`.
#[must_use = "if unused the Mutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MutexGuard<'a, T: ?Sized> {
    lock: &'a Mutex<T>,
    inner: parking_lot::MutexGuard<'a, T>,
    recorded: Recorded,
    /// How it was acquired, to re-acquire it the same way after a wait.
    subclass: u8,
    nest: Option<&'a LockMap>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The mutex this guard holds.
    pub fn mutex(s: &Self) -> &'a Mutex<T> {
        s.lock
    }

    /// A guard for a part of the locked data (parking_lot's
    /// `MutexGuard::map`). The mutex stays held, and on the held-lock stack,
    /// until the mapped guard drops.
    pub fn map<U: ?Sized, F>(s: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let (lock, inner, recorded) = s.into_parts();
        Mapped::new(parking_lot::MutexGuard::map(inner, f), &lock.map, recorded)
    }

    /// As [`map`](Self::map) if `f` returns `Some`; otherwise gives the guard back.
    pub fn try_map<U: ?Sized, F>(s: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let (subclass, nest) = (s.subclass, s.nest);
        let (lock, inner, recorded) = s.into_parts();
        match parking_lot::MutexGuard::try_map(inner, f) {
            Ok(mapped) => Ok(Mapped::new(mapped, &lock.map, recorded)),
            Err(inner) => Err(MutexGuard {
                lock,
                inner,
                recorded,
                subclass,
                nest,
            }),
        }
    }

    /// Takes the guard apart without releasing anything.
    fn into_parts(self) -> (&'a Mutex<T>, parking_lot::MutexGuard<'a, T>, Recorded) {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, and `inner` is moved
        // out exactly once; the other fields are `Copy`.
        let inner = unsafe { std::ptr::read(&this.inner) };
        (this.lock, inner, this.recorded)
    }

    /// Temporarily unlocks the mutex to run `f`, then locks it again (with
    /// full validation, as a new acquisition in the same subclass and with the
    /// same nest lock).
    #[track_caller]
    pub fn unlocked<F: FnOnce() -> U, U>(s: &mut Self, f: F) -> U {
        let at = Location::caller();
        s.recorded.release(&s.lock.map);
        let (map, subclass, nest) = (&s.lock.map, s.subclass, s.nest);
        let recorded = &mut s.recorded;
        parking_lot::MutexGuard::unlocked(&mut s.inner, || {
            let out = f();
            *recorded = Recorded::new(engine::acquire(
                map,
                Mode::Exclusive,
                subclass,
                Flags::NONE,
                nest,
                at,
            ));
            out
        })
    }

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

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.recorded.release(&self.lock.map);
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
