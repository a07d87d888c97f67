//! [`Mutex`]: `tokio::sync::Mutex` with lock-dependency checking, its
//! borrowed, owned and mapped guards.

use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::ptr;
use std::sync::Arc;

use super::{Held, TryLockError};
use crate::class::{LockClass, SetClass};
use crate::map::{LockMap, Mode};

use ::tokio::sync as tk;

/// `tokio::sync::Mutex` with lock-dependency checking (see the [module
/// documentation](super)).
pub struct Mutex<T: ?Sized> {
    map: LockMap,
    inner: tk::Mutex<T>,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex whose class is the caller's source location.
    #[track_caller]
    pub fn new(t: T) -> Mutex<T> {
        Mutex {
            map: LockMap::at_caller_for::<Self>(),
            inner: tk::Mutex::new(t),
        }
    }

    /// As [`new`](Self::new), usable in a `static`.
    #[track_caller]
    pub const fn const_new(t: T) -> Mutex<T> {
        Mutex {
            map: LockMap::at_caller_for::<Self>(),
            inner: tk::Mutex::const_new(t),
        }
    }

    /// A new unlocked mutex in the named class `class`.
    #[track_caller]
    pub const fn with_class(t: T, class: &'static LockClass) -> Mutex<T> {
        Mutex {
            map: LockMap::with_class(class),
            inner: tk::Mutex::const_new(t),
        }
    }

    /// Consumes the mutex, returning the data.
    pub fn into_inner(self) -> T {
        // The map drops after (a lock still held by this task: *held lock freed*).
        let Mutex { map: _map, inner } = self;
        inner.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks the mutex, waiting (asynchronously) until it is available.
    ///
    /// # Lock dependency tracking
    /// Validated against the locks the task holds before it waits.
    #[track_caller]
    pub fn lock(&self) -> impl Future<Output = MutexGuard<'_, T>> {
        self.lock_nested(0)
    }

    /// As [`lock`](Self::lock), in subclass `subclass` (0..=7): for taking
    /// two locks of one class in a fixed order (not in tokio's API).
    #[track_caller]
    pub fn lock_nested(&self, subclass: u8) -> impl Future<Output = MutexGuard<'_, T>> {
        let at = Location::caller();
        super::then_make(
            super::acquire(&self.map, Mode::Exclusive, subclass, at, self.inner.lock()),
            move |inner, held| MutexGuard {
                inner: ManuallyDrop::new(inner),
                held,
                lock: self,
            },
        )
    }

    /// Locks the mutex from synchronous code, blocking the thread (tokio's
    /// `blocking_lock`: panics inside an async context). Validated before
    /// blocking.
    #[track_caller]
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        let held = Held::acquire(
            &self.map,
            Mode::Exclusive,
            0,
            crate::engine::Flags::NONE,
            Location::caller(),
        );
        MutexGuard {
            inner: ManuallyDrop::new(self.inner.blocking_lock()),
            held,
            lock: self,
        }
    }

    /// Attempts to lock the mutex without waiting (recorded as a trylock).
    #[track_caller]
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        let at = Location::caller();
        let inner = self.inner.try_lock()?;
        Ok(MutexGuard {
            inner: ManuallyDrop::new(inner),
            held: super::tried(&self.map, Mode::Exclusive, at),
            lock: self,
        })
    }

    /// Mutable access without locking (the borrow checker proves exclusivity).
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    /// The checker's handle for this lock.
    pub const fn lock_map(&self) -> &LockMap {
        &self.map
    }
}

/// The owned-guard methods need `T: 'static` (tokio's do not): the guard
/// keeps tokio's borrowing guard, erased to `'static`, next to the `Arc`
/// (docs/async.md).
impl<T: ?Sized + 'static> Mutex<T> {
    /// The mutex inside an `Arc` as a `'static` reference, for owned guards.
    ///
    /// # Safety
    /// The caller keeps `this` (or a clone) alive for as long as the
    /// reference (or a guard borrowing through it) is used.
    unsafe fn erase(this: &Arc<Self>) -> &'static Mutex<T> {
        // SAFETY: the `Arc` keeps the mutex at this address while the
        // caller keeps it alive (the contract).
        unsafe { &*Arc::as_ptr(this) }
    }

    /// Locks the mutex, returning a guard that owns an `Arc` of it.
    #[track_caller]
    pub fn lock_owned(self: Arc<Self>) -> impl Future<Output = OwnedMutexGuard<T>> {
        let at = Location::caller();
        async move {
            // SAFETY: `self` moves into the guard, which drops the borrowing
            // guard before it.
            let lock = unsafe { Self::erase(&self) };
            let (inner, held) =
                super::acquire(&lock.map, Mode::Exclusive, 0, at, lock.inner.lock()).await;
            OwnedMutexGuard {
                inner: ManuallyDrop::new(inner),
                held,
                lock: self,
            }
        }
    }

    /// [`blocking_lock`](Self::blocking_lock) returning an owned guard.
    #[track_caller]
    pub fn blocking_lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        // SAFETY: as in `lock_owned`.
        let lock = unsafe { Self::erase(&self) };
        let guard = lock.blocking_lock();
        MutexGuard::into_owned(guard, self)
    }

    /// [`try_lock`](Self::try_lock) returning an owned guard.
    #[track_caller]
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        // SAFETY: as in `lock_owned`.
        let lock = unsafe { Self::erase(&self) };
        let guard = lock.try_lock()?;
        Ok(MutexGuard::into_owned(guard, self))
    }
}

lock_traits!(Mutex over Mutex);

/// Deref, DerefMut, Debug and Display through `inner`, as tokio's guards.
macro_rules! guard_traits {
    ([$($gen:tt)*] $guard:ty => $target:ty) => {
        impl<$($gen)*> Deref for $guard {
            type Target = $target;
            fn deref(&self) -> &$target {
                &self.inner
            }
        }

        impl<$($gen)*> DerefMut for $guard {
            fn deref_mut(&mut self) -> &mut $target {
                &mut self.inner
            }
        }

        impl<$($gen)*> fmt::Debug for $guard
        where
            $target: fmt::Debug,
        {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self.inner, f)
            }
        }

        impl<$($gen)*> fmt::Display for $guard
        where
            $target: fmt::Display,
        {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&**self.inner, f)
            }
        }
    };
}
pub(super) use guard_traits;

/// A held [`Mutex`] (tokio's `MutexGuard`); `Send`.
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T: ?Sized> {
    inner: ManuallyDrop<tk::MutexGuard<'a, T>>,
    held: Held,
    lock: &'a Mutex<T>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// Takes the parts out without running `Drop`.
    fn into_parts(this: Self) -> (tk::MutexGuard<'a, T>, Held, &'a Mutex<T>) {
        let mut this = ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again; each field is read once.
        unsafe { (ManuallyDrop::take(&mut this.inner), this.held, this.lock) }
    }

    /// This guard, for the mutex `arc` it borrows, as an owned guard.
    fn into_owned(this: Self, arc: Arc<Mutex<T>>) -> OwnedMutexGuard<T>
    where
        'a: 'static,
        T: 'static,
    {
        let (inner, held, _) = Self::into_parts(this);
        OwnedMutexGuard {
            inner: ManuallyDrop::new(inner),
            held,
            lock: arc,
        }
    }

    /// Makes a guard for a part of the locked data (tokio's `MutexGuard::map`).
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let (inner, held, lock) = Self::into_parts(this);
        MappedMutexGuard {
            inner: ManuallyDrop::new(tk::MutexGuard::map(inner, f)),
            held,
            map: &lock.map,
        }
    }

    /// As [`map`](Self::map), or the guard back if `f` returns `None`.
    pub fn try_map<U: ?Sized, F>(this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let (inner, held, lock) = Self::into_parts(this);
        match tk::MutexGuard::try_map(inner, f) {
            Ok(inner) => Ok(MappedMutexGuard {
                inner: ManuallyDrop::new(inner),
                held,
                map: &lock.map,
            }),
            Err(inner) => Err(MutexGuard {
                inner: ManuallyDrop::new(inner),
                held,
                lock,
            }),
        }
    }

    /// The mutex this guard holds.
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.lock
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.held.release(&self.lock.map);
        // SAFETY: dropped once, here; never used again.
        unsafe { ManuallyDrop::drop(&mut self.inner) };
    }
}

guard_traits!(['a, T: ?Sized] MutexGuard<'a, T> => T);

/// A held [`Mutex`] that owns an `Arc` of it (tokio's `OwnedMutexGuard`).
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct OwnedMutexGuard<T: ?Sized + 'static> {
    /// Borrows `*lock` (erased to `'static`): dropped before it.
    inner: ManuallyDrop<tk::MutexGuard<'static, T>>,
    held: Held,
    lock: Arc<Mutex<T>>,
}

impl<T: ?Sized + 'static> OwnedMutexGuard<T> {
    fn into_parts(this: Self) -> (tk::MutexGuard<'static, T>, Held, Arc<Mutex<T>>) {
        let mut this = ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again; each field is read
        // once; the caller keeps the `Arc` alive while it uses the guard.
        unsafe {
            (
                ManuallyDrop::take(&mut this.inner),
                this.held,
                ptr::read(&this.lock),
            )
        }
    }

    /// Makes a guard for a part of the locked data.
    pub fn map<U: ?Sized + 'static, F>(this: Self, f: F) -> OwnedMappedMutexGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let (inner, held, lock) = Self::into_parts(this);
        OwnedMappedMutexGuard {
            inner: ManuallyDrop::new(tk::MutexGuard::map(inner, f)),
            held,
            lock,
        }
    }

    /// As [`map`](Self::map), or the guard back if `f` returns `None`.
    pub fn try_map<U: ?Sized + 'static, F>(
        this: Self,
        f: F,
    ) -> Result<OwnedMappedMutexGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let (inner, held, lock) = Self::into_parts(this);
        match tk::MutexGuard::try_map(inner, f) {
            Ok(inner) => Ok(OwnedMappedMutexGuard {
                inner: ManuallyDrop::new(inner),
                held,
                lock,
            }),
            Err(inner) => Err(OwnedMutexGuard {
                inner: ManuallyDrop::new(inner),
                held,
                lock,
            }),
        }
    }

    /// The mutex this guard holds.
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.lock
    }
}

impl<T: ?Sized + 'static> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.held.release(&self.lock.map);
        // SAFETY: dropped once, here, before `lock` (a field, dropped after).
        unsafe { ManuallyDrop::drop(&mut self.inner) };
    }
}

guard_traits!([T: ?Sized + 'static] OwnedMutexGuard<T> => T);

/// A held part of a [`Mutex`]'s data (tokio's `MappedMutexGuard`).
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MappedMutexGuard<'a, T: ?Sized> {
    inner: ManuallyDrop<tk::MappedMutexGuard<'a, T>>,
    held: Held,
    map: &'a LockMap,
}

impl<'a, T: ?Sized> MappedMutexGuard<'a, T> {
    fn into_parts(this: Self) -> (tk::MappedMutexGuard<'a, T>, Held, &'a LockMap) {
        let mut this = ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again; each field is read once.
        unsafe { (ManuallyDrop::take(&mut this.inner), this.held, this.map) }
    }

    /// Makes a guard for a part of this part.
    pub fn map<U, F>(this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let (inner, held, map) = Self::into_parts(this);
        MappedMutexGuard {
            inner: ManuallyDrop::new(tk::MappedMutexGuard::map(inner, f)),
            held,
            map,
        }
    }

    /// As [`map`](Self::map), or the guard back if `f` returns `None`.
    pub fn try_map<U, F>(this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let (inner, held, map) = Self::into_parts(this);
        match tk::MappedMutexGuard::try_map(inner, f) {
            Ok(inner) => Ok(MappedMutexGuard {
                inner: ManuallyDrop::new(inner),
                held,
                map,
            }),
            Err(inner) => Err(MappedMutexGuard {
                inner: ManuallyDrop::new(inner),
                held,
                map,
            }),
        }
    }
}

impl<T: ?Sized> Drop for MappedMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.held.release(self.map);
        // SAFETY: dropped once, here; never used again.
        unsafe { ManuallyDrop::drop(&mut self.inner) };
    }
}

guard_traits!(['a, T: ?Sized] MappedMutexGuard<'a, T> => T);

/// A held part of an `Arc<Mutex<T>>`'s data (tokio's `OwnedMappedMutexGuard`).
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct OwnedMappedMutexGuard<T: ?Sized + 'static, U: ?Sized + 'static = T> {
    /// Borrows `*lock` (erased to `'static`): dropped before it.
    inner: ManuallyDrop<tk::MappedMutexGuard<'static, U>>,
    held: Held,
    lock: Arc<Mutex<T>>,
}

impl<T: ?Sized + 'static, U: ?Sized + 'static> OwnedMappedMutexGuard<T, U> {
    fn into_parts(this: Self) -> (tk::MappedMutexGuard<'static, U>, Held, Arc<Mutex<T>>) {
        let mut this = ManuallyDrop::new(this);
        // SAFETY: as in `OwnedMutexGuard::into_parts`.
        unsafe {
            (
                ManuallyDrop::take(&mut this.inner),
                this.held,
                ptr::read(&this.lock),
            )
        }
    }

    /// Makes a guard for a part of this part.
    pub fn map<S: 'static, F>(this: Self, f: F) -> OwnedMappedMutexGuard<T, S>
    where
        F: FnOnce(&mut U) -> &mut S,
    {
        let (inner, held, lock) = Self::into_parts(this);
        OwnedMappedMutexGuard {
            inner: ManuallyDrop::new(tk::MappedMutexGuard::map(inner, f)),
            held,
            lock,
        }
    }

    /// As [`map`](Self::map), or the guard back if `f` returns `None`.
    pub fn try_map<S: 'static, F>(this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, S>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut S>,
    {
        let (inner, held, lock) = Self::into_parts(this);
        match tk::MappedMutexGuard::try_map(inner, f) {
            Ok(inner) => Ok(OwnedMappedMutexGuard {
                inner: ManuallyDrop::new(inner),
                held,
                lock,
            }),
            Err(inner) => Err(OwnedMappedMutexGuard {
                inner: ManuallyDrop::new(inner),
                held,
                lock,
            }),
        }
    }
}

impl<T: ?Sized + 'static, U: ?Sized + 'static> Drop for OwnedMappedMutexGuard<T, U> {
    fn drop(&mut self) {
        self.held.release(&self.lock.map);
        // SAFETY: dropped once, here, before `lock` (a field, dropped after).
        unsafe { ManuallyDrop::drop(&mut self.inner) };
    }
}

guard_traits!([T: ?Sized + 'static, U: ?Sized + 'static] OwnedMappedMutexGuard<T, U> => U);
