//! [`ArcReentrantMutexGuard`] (feature `arc_lock`): a guard of a
//! [`ReentrantMutex`] held through an `Arc`. Each of its methods is the
//! borrowed [`ReentrantMutexGuard`]'s, on a guard made back for the same
//! level with `make_guard_unchecked`, so it is checked exactly as the
//! borrowed guard is. Only the locks' public API is used: the file is
//! compiled in both builds (the compiled-out one includes it).

use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::sync::guard::fmt_via_deref;
use crate::sync::{ReentrantMutex, ReentrantMutexGuard};

impl<T: ?Sized> ReentrantMutex<T> {
    /// As [`lock`](Self::lock), through an `Arc`: the guard owns a clone of
    /// the `Arc` and has no lifetime (feature `arc_lock`), and counts as one
    /// of the thread's guards until it drops.
    #[track_caller]
    pub fn lock_arc(self: &Arc<Self>) -> ArcReentrantMutexGuard<T> {
        ArcReentrantMutexGuard::adopt(self, self.lock())
    }

    /// As [`try_lock`](Self::try_lock), through an `Arc`.
    #[track_caller]
    pub fn try_lock_arc(self: &Arc<Self>) -> Option<ArcReentrantMutexGuard<T>> {
        let guard = self.try_lock()?;
        Some(ArcReentrantMutexGuard::adopt(self, guard))
    }

    /// As [`try_lock_for`](Self::try_lock_for), through an `Arc`.
    #[track_caller]
    pub fn try_lock_arc_for(
        self: &Arc<Self>,
        timeout: Duration,
    ) -> Option<ArcReentrantMutexGuard<T>> {
        let guard = self.try_lock_for(timeout)?;
        Some(ArcReentrantMutexGuard::adopt(self, guard))
    }

    /// As [`try_lock_until`](Self::try_lock_until), through an `Arc`.
    #[track_caller]
    pub fn try_lock_arc_until(
        self: &Arc<Self>,
        deadline: Instant,
    ) -> Option<ArcReentrantMutexGuard<T>> {
        let guard = self.try_lock_until(deadline)?;
        Some(ArcReentrantMutexGuard::adopt(self, guard))
    }

    /// As [`make_guard_unchecked`](Self::make_guard_unchecked), through an
    /// `Arc` (records nothing).
    ///
    /// # Safety
    /// As [`make_guard_unchecked`](Self::make_guard_unchecked).
    pub unsafe fn make_arc_guard_unchecked(self: &Arc<Self>) -> ArcReentrantMutexGuard<T> {
        // SAFETY: forwarded; the caller upholds the contract.
        let guard = unsafe { self.make_guard_unchecked() };
        ArcReentrantMutexGuard::adopt(self, guard)
    }
}

/// A guard of a [`ReentrantMutex`] held through an `Arc`, with no lifetime
/// (parking_lot's `ArcReentrantMutexGuard`, feature `arc_lock`). Its
/// methods are [`ReentrantMutexGuard`]'s, checked the same way: it is one of
/// the thread's guards, and the thread's last guard releases the checker
/// entry. Never `Send` (a reentrant mutex is owned by a thread).
#[must_use = "if unused the ReentrantMutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct ArcReentrantMutexGuard<T: ?Sized> {
    lock: Arc<ReentrantMutex<T>>,
    /// Not `Send`, as parking_lot's.
    _not_send: std::marker::PhantomData<lock_api::GuardNoSend>,
    /// `Sync` only if `T` is: a shared guard hands out `&T`.
    _sync: crate::sync::arc::SyncIf<T>,
}

impl<T: ?Sized> ArcReentrantMutexGuard<T> {
    /// Keeps the level of `guard`, a guard of `lock`, through a clone of `lock`.
    fn adopt(lock: &Arc<ReentrantMutex<T>>, guard: ReentrantMutexGuard<'_, T>) -> Self {
        // Its level stays counted and held: this guard gives it back.
        std::mem::forget(guard);
        ArcReentrantMutexGuard {
            lock: Arc::clone(lock),
            _not_send: std::marker::PhantomData,
            _sync: crate::sync::arc::SyncIf::NEW,
        }
    }

    /// The borrowed guard of this level. The caller makes sure that only one
    /// of it and the `Arc` guard gives the level back.
    fn borrowed(lock: &ReentrantMutex<T>) -> ManuallyDrop<ReentrantMutexGuard<'_, T>> {
        // SAFETY: the `Arc` guard holds the level; the guard is never dropped
        // unless its owner takes the level over (see the callers).
        ManuallyDrop::new(unsafe { lock.make_guard_unchecked() })
    }

    /// Takes the guard apart without releasing its level.
    fn into_lock(s: Self) -> Arc<ReentrantMutex<T>> {
        let s = ManuallyDrop::new(s);
        // SAFETY: `s` is never used or dropped again: the `Arc` is moved out once.
        unsafe { std::ptr::read(&s.lock) }
    }

    /// The `Arc` of the mutex this guard holds.
    pub fn remutex(s: &Self) -> &Arc<ReentrantMutex<T>> {
        &s.lock
    }

    /// Releases this level and returns the `Arc` (the mutex stays locked if
    /// the thread holds other levels).
    #[track_caller]
    pub fn into_arc(s: Self) -> Arc<ReentrantMutex<T>> {
        let lock = Self::into_lock(s);
        drop(ManuallyDrop::into_inner(Self::borrowed(&lock)));
        lock
    }

    /// As [`into_arc`](Self::into_arc), unlocking fairly if this is the last level.
    #[track_caller]
    pub fn into_arc_fair(s: Self) -> Arc<ReentrantMutex<T>> {
        let lock = Self::into_lock(s);
        ReentrantMutexGuard::unlock_fair(ManuallyDrop::into_inner(Self::borrowed(&lock)));
        lock
    }

    /// Releases this level, fairly if it is the last.
    #[track_caller]
    pub fn unlock_fair(s: Self) {
        drop(Self::into_arc_fair(s));
    }

    /// As [`ReentrantMutexGuard::unlocked`].
    #[track_caller]
    pub fn unlocked<F: FnOnce() -> U, U>(s: &mut Self, f: F) -> U {
        ReentrantMutexGuard::unlocked(&mut Self::borrowed(&s.lock), f)
    }

    /// As [`ReentrantMutexGuard::unlocked_fair`].
    #[track_caller]
    pub fn unlocked_fair<F: FnOnce() -> U, U>(s: &mut Self, f: F) -> U {
        ReentrantMutexGuard::unlocked_fair(&mut Self::borrowed(&s.lock), f)
    }

    /// As [`ReentrantMutexGuard::bump`].
    #[track_caller]
    pub fn bump(s: &mut Self) {
        ReentrantMutexGuard::bump(&mut Self::borrowed(&s.lock));
    }
}

impl<T: ?Sized> Drop for ArcReentrantMutexGuard<T> {
    fn drop(&mut self) {
        drop(ManuallyDrop::into_inner(Self::borrowed(&self.lock)));
    }
}

impl<T: ?Sized> Deref for ArcReentrantMutexGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex; reentrant guards give `&T` only.
        unsafe { &*self.lock.data_ptr() }
    }
}

fmt_via_deref!(ArcReentrantMutexGuard<T>);
