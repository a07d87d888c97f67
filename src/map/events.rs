//! The event API of [`LockMap`]: acquisitions, releases, pseudo-lock guards
//! and "might" annotations, fed to the engine's entry points. Apart from the
//! map's identity (`map.rs`) because it sits a layer above the engine, which
//! reads that identity.

use std::fmt;
use std::panic::Location;

use super::{LockMap, Mode};
use crate::engine;

impl LockMap {
    // ===== the event API =====

    /// Records a blocking acquisition in `mode`, `subclass` (0..=7), with an
    /// optional nest lock (the kernel's `lock_acquire(..., trylock=0, ...)`).
    /// Validation happens here: call it *before* blocking on the real lock.
    /// Returns whether the acquisition was recorded on this thread's held
    /// stack (it is not when checking is off); pass that to [`LockMap::release_if`].
    #[track_caller]
    #[inline]
    pub fn lock(&self, mode: Mode, subclass: u8, nest: Option<&LockMap>) -> bool {
        engine::acquire(
            self,
            mode,
            subclass,
            engine::Flags::NONE,
            nest,
            Location::caller(),
        )
    }

    /// [`lock`](Self::lock) (exclusive, subclass 0, no nest lock) reported
    /// at `at`: for wrappers whose acquisition happens inside a closure, out
    /// of `#[track_caller]`'s reach (an initialiser run by `OnceLock`).
    #[inline]
    pub(crate) fn lock_exclusive_at(&self, at: &'static Location<'static>) -> bool {
        engine::acquire(self, Mode::Exclusive, 0, engine::Flags::NONE, None, at)
    }

    /// [`release_if`](Self::release_if) reported at `at`.
    #[inline]
    pub(crate) fn release_if_at(&self, recorded: bool, at: &'static Location<'static>) {
        if recorded {
            engine::release(self, at);
        }
    }

    /// Records a *successful* trylock (never validated as the new lock, never
    /// the target of an edge, but a valid source of edges while held).
    #[track_caller]
    #[inline]
    pub fn lock_try(&self, mode: Mode, subclass: u8) -> bool {
        engine::acquire(
            self,
            mode,
            subclass,
            engine::Flags::TRYLOCK,
            None,
            Location::caller(),
        )
    }

    /// Records a release. Releasing a map this thread does not hold is a
    /// *bad unlock balance* report.
    #[track_caller]
    #[inline]
    pub fn unlock(&self) {
        engine::release(self, Location::caller());
    }

    /// Releases only if `recorded` (the value `lock` / `lock_try` returned).
    #[track_caller]
    #[inline]
    pub fn release_if(&self, recorded: bool) {
        if recorded {
            engine::release(self, Location::caller());
        }
    }

    /// Does the current thread hold this object (in any mode)?
    pub fn is_held(&self) -> bool {
        engine::is_held(self)
    }

    // ===== guards and "might" annotations =====

    /// Holds the pseudo-lock exclusively until the guard drops
    /// (`lock_map_acquire` / `lock_map_release`).
    #[track_caller]
    pub fn acquire(&self) -> LockMapGuard<'_> {
        self.acquire_nested(0)
    }

    /// As [`acquire`](Self::acquire), in subclass `subclass`.
    #[track_caller]
    pub fn acquire_nested(&self, subclass: u8) -> LockMapGuard<'_> {
        LockMapGuard::new(self, self.lock(Mode::Exclusive, subclass, None))
    }

    /// Holds the pseudo-lock as a non-recursive reader (rwsem-style).
    #[track_caller]
    pub fn acquire_read(&self) -> LockMapGuard<'_> {
        LockMapGuard::new(self, self.lock(Mode::Read, 0, None))
    }

    /// Holds the pseudo-lock as a recursive reader (`lock_map_acquire_read`).
    #[track_caller]
    pub fn acquire_read_recursive(&self) -> LockMapGuard<'_> {
        LockMapGuard::new(self, self.lock(Mode::RecursiveRead, 0, None))
    }

    /// "This code may block on it": an exclusive acquire immediately followed
    /// by a release (the kernel's `might_lock`, `might_alloc`).
    #[track_caller]
    pub fn might_acquire(&self) {
        let recorded = self.lock(Mode::Exclusive, 0, None);
        self.release_if(recorded);
    }

    /// As [`might_acquire`](Self::might_acquire), as a recursive reader
    /// (the kernel's `might_lock_read`, a seqcount reader's annotation).
    #[track_caller]
    pub fn might_acquire_read(&self) {
        let recorded = self.lock(Mode::RecursiveRead, 0, None);
        self.release_if(recorded);
    }
}

impl Drop for LockMap {
    /// A lock object dropped while this thread holds it is a *held lock
    /// freed* report (e.g. after `mem::forget(guard)`).
    fn drop(&mut self) {
        if self.instance_if_used() != 0 {
            engine::forget_instance(self);
        }
    }
}

/// Releases a [`LockMap`] acquisition when dropped.
#[must_use = "if unused the pseudo-lock is released at once"]
pub struct LockMapGuard<'a> {
    map: &'a LockMap,
    recorded: bool,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl<'a> LockMapGuard<'a> {
    fn new(map: &'a LockMap, recorded: bool) -> Self {
        LockMapGuard {
            map,
            recorded,
            _not_send: std::marker::PhantomData,
        }
    }
}

impl Drop for LockMapGuard<'_> {
    fn drop(&mut self) {
        self.map.release_if(self.recorded);
    }
}

impl fmt::Debug for LockMapGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockMapGuard")
            .field("map", self.map)
            .finish()
    }
}
