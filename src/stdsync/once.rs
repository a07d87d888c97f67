//! std's [`Once`] with lock-dependency checking ([`OnceLock`](crate::OnceLock)
//! and [`LazyLock`](crate::LazyLock) are the same types in both flavours; see
//! `crate::sync::once` for what the checker records).

use std::fmt;
use std::panic::Location;
use std::sync::OnceState;

use crate::map::LockMap;
use crate::sync::once::Initialising;

/// A synchronisation primitive which runs a one-time global initialisation:
/// `std::sync::Once` with lock-dependency checking.
///
/// Same API as std's stable `Once` ([`OnceState`] is std's own type). Running
/// the closure is an exclusive acquisition of the `Once`'s class (the
/// caller's site of [`Once::new`]); a call that finds it not completed may
/// wait, which is validated first; a completed `Once` records nothing.
///
/// ```
/// use lockdep::stdsync::Once;
/// static START: Once = Once::new();
/// START.call_once(|| println!("once"));
/// assert!(START.is_completed());
/// ```
pub struct Once {
    map: LockMap,
    inner: std::sync::Once,
}

// std's `Once` has no `Default`; neither has this one.
#[allow(clippy::new_without_default)]
impl Once {
    /// A new `Once` that has not run; its class is the caller's site.
    #[track_caller]
    pub const fn new() -> Once {
        Once {
            map: LockMap::at_caller_for::<Self>(),
            inner: std::sync::Once::new(),
        }
    }

    /// Runs `f` once, if no closure has completed yet; other callers block
    /// until it has. Panics if the `Once` is poisoned.
    ///
    /// # Lock dependency tracking
    /// Not completed: a blocking acquisition of the class, validated before
    /// waiting; the thread that runs `f` holds the class while it runs.
    /// Completed: nothing.
    #[track_caller]
    pub fn call_once<F>(&self, f: F)
    where
        F: FnOnce(),
    {
        if self.inner.is_completed() {
            return;
        }
        let at = Location::caller();
        self.map.might_acquire();
        self.inner.call_once(|| {
            let _held = Initialising::begin(&self.map, at);
            f()
        });
    }

    /// As [`call_once`](Self::call_once), also running on a poisoned `Once`.
    #[track_caller]
    pub fn call_once_force<F>(&self, f: F)
    where
        F: FnOnce(&OnceState),
    {
        if self.inner.is_completed() {
            return;
        }
        let at = Location::caller();
        self.map.might_acquire();
        self.inner.call_once_force(|state| {
            let _held = Initialising::begin(&self.map, at);
            f(state)
        });
    }

    /// Has a closure completed successfully? Records nothing.
    #[inline]
    pub fn is_completed(&self) -> bool {
        self.inner.is_completed()
    }

    /// Blocks until a closure has completed; panics if poisoned. A blocking
    /// acquisition of the class when not completed.
    #[track_caller]
    pub fn wait(&self) {
        if !self.inner.is_completed() {
            self.map.might_acquire();
            self.inner.wait();
        }
    }

    /// As [`wait`](Self::wait), ignoring poison.
    #[track_caller]
    pub fn wait_force(&self) {
        if !self.inner.is_completed() {
            self.map.might_acquire();
            self.inner.wait_force();
        }
    }

    /// The checker's handle for this `Once` (a lockdep extra).
    pub const fn lock_map(&self) -> &LockMap {
        &self.map
    }
}

/// std's deprecated `ONCE_INIT`, as a checked [`Once`] (so that old code
/// keeps compiling). Every `Once` made from it has the class of this
/// constant's definition: prefer `Once::new()`, whose class is its own site.
#[deprecated(note = "the `Once::new()` function is now preferred")]
#[allow(clippy::declare_interior_mutable_const)] // std's is a `const` too
pub const ONCE_INIT: Once = Once::new();

impl fmt::Debug for Once {
    /// As std's: `Once { .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}
