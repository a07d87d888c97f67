//! std's [`Once`] with lock-dependency checking ([`OnceLock`](crate::OnceLock)
//! and [`LazyLock`](crate::LazyLock) are the same types in both flavours; see
//! `crate::sync::once` for what the checker records).

use std::fmt;
use std::sync::OnceState;

use crate::map::LockMap;
use crate::sync::once::once_methods;

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
}

once_methods!(&OnceState);

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
