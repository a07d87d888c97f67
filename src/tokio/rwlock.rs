//! [`RwLock`]: `tokio::sync::RwLock` with lock-dependency checking, its
//! borrowed, owned and mapped guards.
//!
//! tokio's lock is fair (first come, first served): a reader waits behind a
//! waiting writer, so `read` is a non-recursive read ([`Mode::Read`], the
//! kernel's rwsem `down_read`), and read-read cycles through a writer are
//! deadlocks.

use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::ptr;
use std::sync::Arc;

use super::mutex::guard_traits;
use super::{Held, TryLockError};
use crate::class::{LockClass, SetClass};
use crate::engine::Flags;
use crate::map::{LockMap, Mode};

use ::tokio::sync as tk;

/// `tokio::sync::RwLock` with lock-dependency checking (see the [module
/// documentation](super)).
pub struct RwLock<T: ?Sized> {
    map: LockMap,
    inner: tk::RwLock<T>,
}

impl<T> RwLock<T> {
    /// A new unlocked lock whose class is the caller's source location.
    #[track_caller]
    pub fn new(value: T) -> RwLock<T> {
        RwLock {
            map: LockMap::at_caller_for::<Self>(),
            inner: tk::RwLock::new(value),
        }
    }

    /// As [`new`](Self::new), allowing at most `max_reads` concurrent readers.
    #[track_caller]
    pub fn with_max_readers(value: T, max_reads: u32) -> RwLock<T> {
        RwLock {
            map: LockMap::at_caller_for::<Self>(),
            inner: tk::RwLock::with_max_readers(value, max_reads),
        }
    }

    /// As [`new`](Self::new), usable in a `static`.
    #[track_caller]
    pub const fn const_new(value: T) -> RwLock<T> {
        RwLock {
            map: LockMap::at_caller_for::<Self>(),
            inner: tk::RwLock::const_new(value),
        }
    }

    /// As [`with_max_readers`](Self::with_max_readers), usable in a `static`.
    #[track_caller]
    pub const fn const_with_max_readers(value: T, max_reads: u32) -> RwLock<T> {
        RwLock {
            map: LockMap::at_caller_for::<Self>(),
            inner: tk::RwLock::const_with_max_readers(value, max_reads),
        }
    }

    /// A new unlocked lock in the named class `class`.
    #[track_caller]
    pub const fn with_class(value: T, class: &'static LockClass) -> RwLock<T> {
        RwLock {
            map: LockMap::with_class(class),
            inner: tk::RwLock::const_new(value),
        }
    }

    /// Consumes the lock, returning the data.
    pub fn into_inner(self) -> T {
        // The map drops after (a lock still held by this task: *held lock freed*).
        let RwLock { map: _map, inner } = self;
        inner.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Locks for reading, waiting (asynchronously) while a writer holds or
    /// waits for the lock. Validated before the task waits.
    #[track_caller]
    pub fn read(&self) -> impl Future<Output = RwLockReadGuard<'_, T>> {
        self.read_nested(0)
    }

    /// As [`read`](Self::read), in subclass `subclass` (not in tokio's API).
    #[track_caller]
    pub fn read_nested(&self, subclass: u8) -> impl Future<Output = RwLockReadGuard<'_, T>> {
        let at = Location::caller();
        super::then_make(
            super::acquire(&self.map, Mode::Read, subclass, at, self.inner.read()),
            move |inner, held| RwLockReadGuard::new(inner, held, &self.map),
        )
    }

    /// Locks for reading from synchronous code, blocking the thread.
    #[track_caller]
    pub fn blocking_read(&self) -> RwLockReadGuard<'_, T> {
        let held = Held::acquire(&self.map, Mode::Read, 0, Flags::NONE, Location::caller());
        RwLockReadGuard::new(self.inner.blocking_read(), held, &self.map)
    }

    /// Attempts to lock for reading without waiting (a trylock).
    #[track_caller]
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        let at = Location::caller();
        let inner = self.inner.try_read()?;
        Ok(RwLockReadGuard::new(
            inner,
            super::tried(&self.map, Mode::Read, at),
            &self.map,
        ))
    }

    /// Locks for writing, waiting (asynchronously) until no one holds the
    /// lock. Validated before the task waits.
    #[track_caller]
    pub fn write(&self) -> impl Future<Output = RwLockWriteGuard<'_, T>> {
        self.write_nested(0)
    }

    /// As [`write`](Self::write), in subclass `subclass` (not in tokio's API).
    #[track_caller]
    pub fn write_nested(&self, subclass: u8) -> impl Future<Output = RwLockWriteGuard<'_, T>> {
        let at = Location::caller();
        super::then_make(
            super::acquire(&self.map, Mode::Exclusive, subclass, at, self.inner.write()),
            move |inner, held| RwLockWriteGuard::new(inner, held, &self.map),
        )
    }

    /// Locks for writing from synchronous code, blocking the thread.
    #[track_caller]
    pub fn blocking_write(&self) -> RwLockWriteGuard<'_, T> {
        let held = Held::acquire(
            &self.map,
            Mode::Exclusive,
            0,
            Flags::NONE,
            Location::caller(),
        );
        RwLockWriteGuard::new(self.inner.blocking_write(), held, &self.map)
    }

    /// Attempts to lock for writing without waiting (a trylock).
    #[track_caller]
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        let at = Location::caller();
        let inner = self.inner.try_write()?;
        Ok(RwLockWriteGuard::new(
            inner,
            super::tried(&self.map, Mode::Exclusive, at),
            &self.map,
        ))
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

/// The owned-guard methods need `T: 'static` (tokio's do not): see
/// [`Mutex`](super::Mutex).
impl<T: ?Sized + 'static> RwLock<T> {
    /// The lock inside an `Arc` as a `'static` reference, for owned guards.
    ///
    /// # Safety
    /// The caller keeps `this` (or a clone) alive for as long as the
    /// reference (or a guard borrowing through it) is used.
    unsafe fn erase(this: &Arc<Self>) -> &'static RwLock<T> {
        // SAFETY: the `Arc` keeps the lock at this address while the caller
        // keeps it alive (the contract).
        unsafe { &*Arc::as_ptr(this) }
    }

    /// [`read`](Self::read) returning a guard that owns an `Arc` of the lock.
    #[track_caller]
    pub fn read_owned(self: Arc<Self>) -> impl Future<Output = OwnedRwLockReadGuard<T>> {
        let at = Location::caller();
        async move {
            // SAFETY: `self` moves into the guard, which drops the borrowing
            // guard before it.
            let lock = unsafe { Self::erase(&self) };
            let (inner, held) =
                super::acquire(&lock.map, Mode::Read, 0, at, lock.inner.read()).await;
            OwnedRwLockReadGuard::new(inner, held, self)
        }
    }

    /// [`try_read`](Self::try_read) returning an owned guard.
    #[track_caller]
    pub fn try_read_owned(self: Arc<Self>) -> Result<OwnedRwLockReadGuard<T>, TryLockError> {
        // SAFETY: as in `read_owned`.
        let lock = unsafe { Self::erase(&self) };
        let guard = lock.try_read()?;
        let (inner, held, _) = RwLockReadGuard::into_parts(guard);
        Ok(OwnedRwLockReadGuard::new(inner, held, self))
    }

    /// [`write`](Self::write) returning a guard that owns an `Arc` of the lock.
    #[track_caller]
    pub fn write_owned(self: Arc<Self>) -> impl Future<Output = OwnedRwLockWriteGuard<T>> {
        let at = Location::caller();
        async move {
            // SAFETY: as in `read_owned`.
            let lock = unsafe { Self::erase(&self) };
            let (inner, held) =
                super::acquire(&lock.map, Mode::Exclusive, 0, at, lock.inner.write()).await;
            OwnedRwLockWriteGuard::new(inner, held, self)
        }
    }

    /// [`try_write`](Self::try_write) returning an owned guard.
    #[track_caller]
    pub fn try_write_owned(self: Arc<Self>) -> Result<OwnedRwLockWriteGuard<T>, TryLockError> {
        // SAFETY: as in `read_owned`.
        let lock = unsafe { Self::erase(&self) };
        let guard = lock.try_write()?;
        let (inner, held, _) = RwLockWriteGuard::into_parts(guard);
        Ok(OwnedRwLockWriteGuard::new(inner, held, self))
    }
}

lock_traits!(RwLock over RwLock);

/// Generates one guard type: `$name` over tokio's `$tk` with its lifetime
/// (`'a` borrowed, `'static` owned), the fields, `into_parts`, `Drop` and
/// the traits. `$map` reads the `LockMap` from `self`.
macro_rules! guard {
    (
        $(#[$doc:meta])*
        $name:ident [$($decl:tt)*] [$($gen:tt)*] [$($args:tt)*] => $target:ty,
        inner: $tk:ty,
        owner: $owner:ty,
        map: |$s:ident| $map:expr,
        read_owner: |$o:ident| $read_owner:expr,
        deref_mut: $dm:tt,
    ) => {
        $(#[$doc])*
        #[must_use = "if unused the RwLock will immediately unlock"]
        pub struct $name<$($decl)*> {
            /// Borrows the lock through `owner`: dropped before it.
            inner: ManuallyDrop<$tk>,
            held: Held,
            owner: $owner,
        }

        impl<$($gen)*> $name<$($args)*> {
            fn new(inner: $tk, held: Held, owner: $owner) -> Self {
                $name {
                    inner: ManuallyDrop::new(inner),
                    held,
                    owner,
                }
            }

            /// Takes the parts out without running `Drop`.
            #[allow(dead_code)]
            fn into_parts(this: Self) -> ($tk, Held, $owner) {
                let mut this = ManuallyDrop::new(this);
                let $o = &this.owner;
                // SAFETY: `this` is never used or dropped again; each field
                // is read once (an `Arc` owner moves out with the guard).
                let owner = unsafe { $read_owner };
                // SAFETY: as above.
                (unsafe { ManuallyDrop::take(&mut this.inner) }, this.held, owner)
            }
        }

        impl<$($gen)*> Drop for $name<$($args)*> {
            fn drop(&mut self) {
                let $s = &*self;
                let map: &LockMap = $map;
                let mut held = self.held;
                held.release(map);
                // SAFETY: dropped once, here, before `owner` (a field).
                unsafe { ManuallyDrop::drop(&mut self.inner) };
            }
        }

        guard!(@traits $dm [$($gen)*] $name<$($args)*> => $target);
    };
    (@traits mut [$($gen:tt)*] $guard:ty => $target:ty) => {
        guard_traits!([$($gen)*] $guard => $target);
    };
    (@traits ref [$($gen:tt)*] $guard:ty => $target:ty) => {
        impl<$($gen)*> Deref for $guard {
            type Target = $target;
            fn deref(&self) -> &$target {
                &self.inner
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

guard! {
    /// A read-held [`RwLock`] (tokio's `RwLockReadGuard`); `Send`.
    RwLockReadGuard ['a, T: ?Sized] ['a, T: ?Sized] ['a, T] => T,
    inner: tk::RwLockReadGuard<'a, T>,
    owner: &'a LockMap,
    map: |s| s.owner,
    read_owner: |o| ptr::read(o),
    deref_mut: ref,
}

guard! {
    /// A write-held [`RwLock`] (tokio's `RwLockWriteGuard`); `Send`.
    RwLockWriteGuard ['a, T: ?Sized] ['a, T: ?Sized] ['a, T] => T,
    inner: tk::RwLockWriteGuard<'a, T>,
    owner: &'a LockMap,
    map: |s| s.owner,
    read_owner: |o| ptr::read(o),
    deref_mut: mut,
}

guard! {
    /// A write-held part of an [`RwLock`]'s data (tokio's `RwLockMappedWriteGuard`).
    RwLockMappedWriteGuard ['a, T: ?Sized] ['a, T: ?Sized] ['a, T] => T,
    inner: tk::RwLockMappedWriteGuard<'a, T>,
    owner: &'a LockMap,
    map: |s| s.owner,
    read_owner: |o| ptr::read(o),
    deref_mut: mut,
}

guard! {
    /// A read-held `Arc<RwLock<T>>`, or a part `U` of its data (tokio's
    /// `OwnedRwLockReadGuard`).
    OwnedRwLockReadGuard [T: ?Sized + 'static, U: ?Sized + 'static = T] [T: ?Sized + 'static, U: ?Sized + 'static] [T, U] => U,
    inner: tk::RwLockReadGuard<'static, U>,
    owner: Arc<RwLock<T>>,
    map: |s| &s.owner.map,
    read_owner: |o| ptr::read(o),
    deref_mut: ref,
}

guard! {
    /// A write-held `Arc<RwLock<T>>` (tokio's `OwnedRwLockWriteGuard`).
    OwnedRwLockWriteGuard [T: ?Sized + 'static] [T: ?Sized + 'static] [T] => T,
    inner: tk::RwLockWriteGuard<'static, T>,
    owner: Arc<RwLock<T>>,
    map: |s| &s.owner.map,
    read_owner: |o| ptr::read(o),
    deref_mut: mut,
}

guard! {
    /// A write-held part `U` of an `Arc<RwLock<T>>`'s data (tokio's
    /// `OwnedRwLockMappedWriteGuard`).
    OwnedRwLockMappedWriteGuard [T: ?Sized + 'static, U: ?Sized + 'static = T] [T: ?Sized + 'static, U: ?Sized + 'static] [T, U] => U,
    inner: tk::RwLockMappedWriteGuard<'static, U>,
    owner: Arc<RwLock<T>>,
    map: |s| &s.owner.map,
    read_owner: |o| ptr::read(o),
    deref_mut: mut,
}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// Makes a guard for a part of the locked data.
    pub fn map<F, U: ?Sized>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let (inner, held, map) = Self::into_parts(this);
        RwLockReadGuard::new(tk::RwLockReadGuard::map(inner, f), held, map)
    }

    /// As [`map`](Self::map), or the guard back if `f` returns `None`.
    pub fn try_map<F, U: ?Sized>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let (inner, held, map) = Self::into_parts(this);
        match tk::RwLockReadGuard::try_map(inner, f) {
            Ok(inner) => Ok(RwLockReadGuard::new(inner, held, map)),
            Err(inner) => Err(RwLockReadGuard::new(inner, held, map)),
        }
    }
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Makes a guard for a part of the locked data.
    pub fn map<F, U: ?Sized>(this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let (inner, held, map) = Self::into_parts(this);
        RwLockMappedWriteGuard::new(tk::RwLockWriteGuard::map(inner, f), held, map)
    }

    /// As [`map`](Self::map), or the guard back if `f` returns `None`.
    pub fn try_map<F, U: ?Sized>(this: Self, f: F) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let (inner, held, map) = Self::into_parts(this);
        match tk::RwLockWriteGuard::try_map(inner, f) {
            Ok(inner) => Ok(RwLockMappedWriteGuard::new(inner, held, map)),
            Err(inner) => Err(RwLockWriteGuard::new(inner, held, map)),
        }
    }

    /// Downgrades to a read guard of a part of the data, atomically.
    pub fn downgrade_map<F, U: ?Sized>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let (inner, held, map) = Self::into_parts(this);
        held.downgrade(map);
        RwLockReadGuard::new(tk::RwLockWriteGuard::downgrade_map(inner, f), held, map)
    }

    /// As [`downgrade_map`](Self::downgrade_map), or the write guard back
    /// if `f` returns `None`.
    pub fn try_downgrade_map<F, U: ?Sized>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let (inner, held, map) = Self::into_parts(this);
        match tk::RwLockWriteGuard::try_downgrade_map(inner, f) {
            Ok(inner) => {
                held.downgrade(map);
                Ok(RwLockReadGuard::new(inner, held, map))
            }
            Err(inner) => Err(RwLockWriteGuard::new(inner, held, map)),
        }
    }

    /// This guard as a mapped write guard of the whole data.
    pub fn into_mapped(this: Self) -> RwLockMappedWriteGuard<'a, T> {
        let (inner, held, map) = Self::into_parts(this);
        RwLockMappedWriteGuard::new(tk::RwLockWriteGuard::into_mapped(inner), held, map)
    }

    /// Downgrades to a read guard, atomically (the checker's entry becomes a
    /// read, as the kernel's `downgrade_write`).
    pub fn downgrade(self) -> RwLockReadGuard<'a, T> {
        let (inner, held, map) = Self::into_parts(self);
        held.downgrade(map);
        RwLockReadGuard::new(inner.downgrade(), held, map)
    }
}

impl<'a, T: ?Sized> RwLockMappedWriteGuard<'a, T> {
    /// Makes a guard for a part of this part.
    pub fn map<F, U: ?Sized>(this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let (inner, held, map) = Self::into_parts(this);
        RwLockMappedWriteGuard::new(tk::RwLockMappedWriteGuard::map(inner, f), held, map)
    }

    /// As [`map`](Self::map), or the guard back if `f` returns `None`.
    pub fn try_map<F, U: ?Sized>(this: Self, f: F) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let (inner, held, map) = Self::into_parts(this);
        match tk::RwLockMappedWriteGuard::try_map(inner, f) {
            Ok(inner) => Ok(RwLockMappedWriteGuard::new(inner, held, map)),
            Err(inner) => Err(RwLockMappedWriteGuard::new(inner, held, map)),
        }
    }
}

impl<T: ?Sized + 'static, U: ?Sized + 'static> OwnedRwLockReadGuard<T, U> {
    /// Makes a guard for a part of the locked data.
    pub fn map<F, V: ?Sized + 'static>(this: Self, f: F) -> OwnedRwLockReadGuard<T, V>
    where
        F: FnOnce(&U) -> &V,
    {
        let (inner, held, lock) = Self::into_parts(this);
        OwnedRwLockReadGuard::new(tk::RwLockReadGuard::map(inner, f), held, lock)
    }

    /// As [`map`](Self::map), or the guard back if `f` returns `None`.
    pub fn try_map<F, V: ?Sized + 'static>(
        this: Self,
        f: F,
    ) -> Result<OwnedRwLockReadGuard<T, V>, Self>
    where
        F: FnOnce(&U) -> Option<&V>,
    {
        let (inner, held, lock) = Self::into_parts(this);
        match tk::RwLockReadGuard::try_map(inner, f) {
            Ok(inner) => Ok(OwnedRwLockReadGuard::new(inner, held, lock)),
            Err(inner) => Err(OwnedRwLockReadGuard::new(inner, held, lock)),
        }
    }

    /// The lock this guard holds.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.owner
    }
}

impl<T: ?Sized + 'static> OwnedRwLockWriteGuard<T> {
    /// Makes a guard for a part of the locked data.
    pub fn map<F, U: ?Sized + 'static>(this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let (inner, held, lock) = Self::into_parts(this);
        OwnedRwLockMappedWriteGuard::new(tk::RwLockWriteGuard::map(inner, f), held, lock)
    }

    /// As [`map`](Self::map), or the guard back if `f` returns `None`.
    pub fn try_map<F, U: ?Sized + 'static>(
        this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let (inner, held, lock) = Self::into_parts(this);
        match tk::RwLockWriteGuard::try_map(inner, f) {
            Ok(inner) => Ok(OwnedRwLockMappedWriteGuard::new(inner, held, lock)),
            Err(inner) => Err(OwnedRwLockWriteGuard::new(inner, held, lock)),
        }
    }

    /// Downgrades to a read guard of a part of the data, atomically.
    pub fn downgrade_map<F, U: ?Sized + 'static>(this: Self, f: F) -> OwnedRwLockReadGuard<T, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let (inner, held, lock) = Self::into_parts(this);
        held.downgrade(&lock.map);
        OwnedRwLockReadGuard::new(tk::RwLockWriteGuard::downgrade_map(inner, f), held, lock)
    }

    /// As [`downgrade_map`](Self::downgrade_map), or the write guard back
    /// if `f` returns `None`.
    pub fn try_downgrade_map<F, U: ?Sized + 'static>(
        this: Self,
        f: F,
    ) -> Result<OwnedRwLockReadGuard<T, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let (inner, held, lock) = Self::into_parts(this);
        match tk::RwLockWriteGuard::try_downgrade_map(inner, f) {
            Ok(inner) => {
                held.downgrade(&lock.map);
                Ok(OwnedRwLockReadGuard::new(inner, held, lock))
            }
            Err(inner) => Err(OwnedRwLockWriteGuard::new(inner, held, lock)),
        }
    }

    /// This guard as a mapped write guard of the whole data.
    pub fn into_mapped(this: Self) -> OwnedRwLockMappedWriteGuard<T> {
        let (inner, held, lock) = Self::into_parts(this);
        OwnedRwLockMappedWriteGuard::new(tk::RwLockWriteGuard::into_mapped(inner), held, lock)
    }

    /// Downgrades to a read guard, atomically.
    pub fn downgrade(self) -> OwnedRwLockReadGuard<T> {
        let (inner, held, lock) = Self::into_parts(self);
        held.downgrade(&lock.map);
        OwnedRwLockReadGuard::new(inner.downgrade(), held, lock)
    }

    /// The lock this guard holds.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.owner
    }
}

impl<T: ?Sized + 'static, U: ?Sized + 'static> OwnedRwLockMappedWriteGuard<T, U> {
    /// Makes a guard for a part of this part.
    pub fn map<F, V: ?Sized + 'static>(this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, V>
    where
        F: FnOnce(&mut U) -> &mut V,
    {
        let (inner, held, lock) = Self::into_parts(this);
        OwnedRwLockMappedWriteGuard::new(tk::RwLockMappedWriteGuard::map(inner, f), held, lock)
    }

    /// As [`map`](Self::map), or the guard back if `f` returns `None`.
    pub fn try_map<F, V: ?Sized + 'static>(
        this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, V>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut V>,
    {
        let (inner, held, lock) = Self::into_parts(this);
        match tk::RwLockMappedWriteGuard::try_map(inner, f) {
            Ok(inner) => Ok(OwnedRwLockMappedWriteGuard::new(inner, held, lock)),
            Err(inner) => Err(OwnedRwLockMappedWriteGuard::new(inner, held, lock)),
        }
    }

    /// The lock this guard holds.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.owner
    }
}
