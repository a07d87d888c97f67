//! [`LockMap`] with checking compiled out (`--cfg lockdep_off` or the feature
//! `off`): a zero-sized type whose event API compiles and records nothing.
//!
//! ```
//! use lockdep::LockMap;
//! static FS_RECLAIM: LockMap = LockMap::new("fs_reclaim");
//!
//! FS_RECLAIM.might_acquire();
//! let _reclaim = FS_RECLAIM.acquire();
//! assert_eq!(std::mem::size_of::<LockMap>(), 0);
//! ```

use std::fmt;
use std::marker::PhantomData;

use crate::class::LockClass;

pub use crate::mode::Mode;

/// A lock object as the checker would see it; with checking compiled out, a
/// zero-sized type whose methods do nothing.
pub struct LockMap {
    _nothing: (),
}

/// What a lock wrapper's `lock_map()` returns: every compiled-out `LockMap` is
/// the same (there is nothing in it).
pub(crate) static NONE: LockMap = LockMap { _nothing: () };

impl LockMap {
    /// A pseudo-lock named `name` (compiled out: the name is not kept).
    #[track_caller]
    #[inline(always)]
    pub const fn new(name: &'static str) -> LockMap {
        let _ = name;
        LockMap { _nothing: () }
    }

    /// A map whose class would be the caller's source location.
    #[track_caller]
    #[inline(always)]
    pub const fn at_caller() -> LockMap {
        LockMap { _nothing: () }
    }

    /// A map in the named class `class` (compiled out: not kept).
    #[track_caller]
    #[inline(always)]
    pub const fn with_class(class: &'static LockClass) -> LockMap {
        let _ = class;
        LockMap { _nothing: () }
    }

    /// Would move this lock to `class`; does nothing.
    #[track_caller]
    #[inline(always)]
    pub fn set_class(&self, class: &'static LockClass) {
        let _ = class;
    }

    /// The name the checked build gives an untracked lock: `<untracked>`.
    pub fn class_name(&self) -> String {
        String::from("<untracked>")
    }

    // ===== the event API =====

    /// Would record a blocking acquisition; returns `false` (not recorded).
    #[track_caller]
    #[inline(always)]
    pub fn lock(&self, mode: Mode, subclass: u8, nest: Option<&LockMap>) -> bool {
        let _ = (mode, subclass, nest);
        false
    }

    /// Would record a successful trylock; returns `false` (not recorded).
    #[track_caller]
    #[inline(always)]
    pub fn lock_try(&self, mode: Mode, subclass: u8) -> bool {
        let _ = (mode, subclass);
        false
    }

    /// Would record a release; does nothing.
    #[track_caller]
    #[inline(always)]
    pub fn unlock(&self) {}

    /// Would release if `recorded`; does nothing.
    #[track_caller]
    #[inline(always)]
    pub fn release_if(&self, recorded: bool) {
        let _ = recorded;
    }

    /// Always `false`: nothing is tracked, and a pseudo-lock has no lock to
    /// look at. (The lock wrappers' `is_held` answers their `is_locked`.)
    #[inline(always)]
    pub fn is_held(&self) -> bool {
        false
    }

    // ===== guards and "might" annotations =====

    /// A guard that releases nothing.
    #[track_caller]
    #[inline(always)]
    pub fn acquire(&self) -> LockMapGuard<'_> {
        LockMapGuard::new()
    }

    /// As [`acquire`](Self::acquire).
    #[track_caller]
    #[inline(always)]
    pub fn acquire_nested(&self, subclass: u8) -> LockMapGuard<'_> {
        let _ = subclass;
        LockMapGuard::new()
    }

    /// As [`acquire`](Self::acquire).
    #[track_caller]
    #[inline(always)]
    pub fn acquire_read(&self) -> LockMapGuard<'_> {
        LockMapGuard::new()
    }

    /// As [`acquire`](Self::acquire).
    #[track_caller]
    #[inline(always)]
    pub fn acquire_read_recursive(&self) -> LockMapGuard<'_> {
        LockMapGuard::new()
    }

    /// Does nothing.
    #[track_caller]
    #[inline(always)]
    pub fn might_acquire(&self) {}

    /// Does nothing.
    #[track_caller]
    #[inline(always)]
    pub fn might_acquire_read(&self) {}
}

// What the one-time-initialisation wrappers (src/sync/once.rs, compiled in
// this build too) ask a map: every call does nothing. (`L` mirrors the
// checked build's signature, which names the lock's type in its class.)
#[allow(clippy::extra_unused_type_parameters)]
impl LockMap {
    /// A map for a lock of type `L` built at the caller's site (no class here).
    #[track_caller]
    #[inline(always)]
    pub(crate) const fn at_caller_for<L: ?Sized>() -> LockMap {
        LockMap::at_caller()
    }

    /// As [`at_caller_for`](Self::at_caller_for), at run time.
    #[track_caller]
    #[inline(always)]
    pub(crate) fn at_runtime_caller_for<L: ?Sized>() -> LockMap {
        LockMap::at_caller()
    }

    /// Records nothing.
    #[inline(always)]
    pub(crate) fn lock_exclusive_at(&self, _at: &'static std::panic::Location<'static>) -> bool {
        false
    }

    /// Records nothing.
    #[inline(always)]
    pub(crate) fn release_if_at(
        &self,
        _recorded: bool,
        _at: &'static std::panic::Location<'static>,
    ) {
    }
}

// What the engine asks a map. The engine is compiled in this build too (its
// graph types and algorithms serve reports, snapshots and `tools::merge`), but
// no lock calls it, so these are never called either.
#[allow(dead_code)]
impl LockMap {
    pub(crate) fn class(&self) -> Option<u32> {
        None
    }

    pub(crate) fn class_if_resolved(&self) -> Option<u32> {
        None
    }

    pub(crate) fn instance(&self) -> u64 {
        0
    }

    pub(crate) fn instance_if_used(&self) -> u64 {
        0
    }
}

impl fmt::Debug for LockMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockMap")
            .field("class", &self.class_name())
            .finish()
    }
}

/// What [`LockMap::acquire`] returns; zero-sized, releases nothing.
#[must_use = "if unused the pseudo-lock is released at once"]
pub struct LockMapGuard<'a> {
    _not_send: PhantomData<(&'a LockMap, *const ())>,
}

impl LockMapGuard<'_> {
    #[inline(always)]
    fn new() -> Self {
        LockMapGuard {
            _not_send: PhantomData,
        }
    }
}

impl fmt::Debug for LockMapGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockMapGuard").field("map", &NONE).finish()
    }
}
