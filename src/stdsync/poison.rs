//! The poison flag of a [`Mutex`](super::Mutex) or [`RwLock`](super::RwLock):
//! std's `poison::Flag` and `poison::Guard`, with std's semantics.
//!
//! A lock is poisoned when a thread panics while holding it exclusively: the
//! guard remembers whether its thread was already panicking when it acquired
//! the lock, and on drop sets the flag if the thread is panicking now and was
//! not then (a guard taken *during* unwinding, e.g. in a `Drop`, never
//! poisons). Read guards never poison. The flag is only advisory: the lock
//! still works, every acquisition reports it through [`LockResult`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LockResult, PoisonError};
use std::thread;

/// Whether a thread panicked while holding the lock exclusively.
///
/// `Relaxed` is enough, as in std: the flag is set before the lock is released
/// and read after it is acquired, so the lock orders it.
#[derive(Debug)]
pub(crate) struct Flag {
    failed: AtomicBool,
}

impl Flag {
    /// An unpoisoned flag.
    pub(crate) const fn new() -> Flag {
        Flag {
            failed: AtomicBool::new(false),
        }
    }

    /// `Ok(())`, or `Err` if poisoned: for acquisitions that cannot poison
    /// (reads) and for `into_inner` / `get_mut`.
    pub(crate) fn borrow(&self) -> LockResult<()> {
        if self.get() {
            Err(PoisonError::new(()))
        } else {
            Ok(())
        }
    }

    /// A guard for an exclusive acquisition that has just succeeded, in `Err`
    /// if the lock is poisoned (the guard is valid either way).
    pub(crate) fn guard(&self) -> LockResult<Guard<'_>> {
        let guard = Guard {
            flag: self,
            panicking: thread::panicking(),
        };
        if self.get() {
            Err(PoisonError::new(guard))
        } else {
            Ok(guard)
        }
    }

    /// Is the lock poisoned?
    pub(crate) fn get(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// Clears the poison.
    pub(crate) fn clear(&self) {
        self.failed.store(false, Ordering::Relaxed);
    }
}

/// Held by an exclusive lock guard; poisons the flag if dropped by a panic
/// that began after the acquisition. Declare it *before* the field that
/// unlocks, so the flag is set while the lock is still held (as std does).
#[derive(Debug)]
pub(crate) struct Guard<'a> {
    flag: &'a Flag,
    panicking: bool,
}

impl Guard<'_> {
    /// The flag this guard may poison.
    pub(crate) fn flag(&self) -> &Flag {
        self.flag
    }

    /// Gives the guard up without poisoning (std's `RwLockWriteGuard::downgrade`
    /// does not poison either). The guard owns nothing, so forgetting it leaks nothing.
    pub(crate) fn disarm(self) {
        std::mem::forget(self);
    }
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        if !self.panicking && thread::panicking() {
            self.flag.failed.store(true, Ordering::Relaxed);
        }
    }
}

/// Maps the value inside a [`LockResult`], keeping it poisoned or not.
pub(crate) fn map_result<T, U>(result: LockResult<T>, f: impl FnOnce(T) -> U) -> LockResult<U> {
    match result {
        Ok(t) => Ok(f(t)),
        Err(e) => Err(PoisonError::new(f(e.into_inner()))),
    }
}

/// The part of the API `Mutex` and `RwLock` share word for word: the poison
/// flag, `get_mut`, the checker's handle, and the `Default` / `From`
/// constructors (both `#[track_caller]`, so the class is the caller's site).
macro_rules! common_lock_api {
    ($Lock:ident, $Inner:ident, $what:literal) => {
        impl<T: ?Sized> $Lock<T> {
            #[doc = concat!("Is the ", $what, " poisoned? Another thread may poison it at any time, so")]
            /// `false` is only a snapshot.
            #[inline]
            pub fn is_poisoned(&self) -> bool {
                self.poison.get()
            }

            /// Clears the poisoned state, e.g. after the data was repaired.
            #[inline]
            pub fn clear_poison(&self) {
                self.poison.clear();
            }

            /// A mutable reference to the data without locking (the borrow
            #[doc = concat!("checker proves exclusivity), in `Err` if the ", $what, " is poisoned.")]
            pub fn get_mut(&mut self) -> LockResult<&mut T> {
                let data = self.inner.get_mut();
                $crate::stdsync::poison::map_result(self.poison.borrow(), |()| data)
            }

            #[doc = concat!("The checker's handle for this ", $what, " (a lockdep extra, not in std): its")]
            /// class name, whether this thread holds it, or a nest lock.
            pub const fn lock_map(&self) -> &$crate::map::LockMap {
                self.inner.lock_map()
            }
        }

        impl<T: Default> Default for $Lock<T> {
            #[doc = concat!("A ", $what, " holding `T::default()`, whose class is the caller's location.")]
            #[track_caller]
            fn default() -> $Lock<T> {
                $Lock {
                    poison: $crate::stdsync::poison::Flag::new(),
                    inner: $crate::sync::$Inner::new_runtime(T::default()),
                }
            }
        }

        impl<T> From<T> for $Lock<T> {
            #[doc = concat!("A new unlocked ", $what, " holding `t`, whose class is the caller's location.")]
            #[track_caller]
            fn from(t: T) -> $Lock<T> {
                $Lock {
                    poison: $crate::stdsync::poison::Flag::new(),
                    inner: $crate::sync::$Inner::new_runtime(t),
                }
            }
        }
    };
}
pub(crate) use common_lock_api;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_poisons_only_when_a_panic_starts_while_it_is_held() {
        let flag = Flag::new();
        drop(flag.guard());
        assert!(!flag.get() && flag.borrow().is_ok());

        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _g = flag.guard();
            panic!("while holding");
        }));
        assert!(unwound.is_err());
        assert!(flag.get());
        assert!(flag.borrow().is_err());
        assert!(flag.guard().is_err());

        flag.clear();
        assert!(!flag.get());
    }

    #[test]
    fn guard_taken_during_unwinding_does_not_poison() {
        struct TakesGuardInDrop<'a>(&'a Flag);
        impl Drop for TakesGuardInDrop<'_> {
            fn drop(&mut self) {
                assert!(thread::panicking());
                drop(self.0.guard());
            }
        }
        let flag = Flag::new();
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _d = TakesGuardInDrop(&flag);
            panic!("unwinding");
        }));
        assert!(unwound.is_err());
        assert!(!flag.get());
    }

    #[test]
    fn disarmed_guard_does_not_poison() {
        let flag = Flag::new();
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let g = flag.guard();
            if let Ok(g) = g {
                g.disarm();
            }
            panic!("after disarm");
        }));
        assert!(unwound.is_err());
        assert!(!flag.get());
    }

    #[test]
    fn map_result_keeps_the_poison() {
        assert_eq!(map_result(Ok(2), |x| x * 3).ok(), Some(6));
        let mapped = map_result(Err(PoisonError::new(2)), |x| x * 3);
        assert_eq!(mapped.map_err(PoisonError::into_inner), Err(6));
    }
}
