//! tokio's async locks with lock-dependency checking (feature `tokio`):
//! [`Mutex`] and [`RwLock`] wrap `tokio::sync::Mutex` and
//! `tokio::sync::RwLock` with tokio's API, item for item, and tokio's
//! `Debug` output.
//!
//! Classes work as for the sync locks: the construction site plus the type,
//! or a named [`LockClass`](crate::LockClass) (`with_class`,
//! [`SetClass`](crate::SetClass), `#[lockdep::classes]`), and subclasses
//! through `lock_nested` / `read_nested` / `write_nested`. Sync and async
//! locks share one graph: holding a `lockdep::Mutex` while awaiting a
//! `lockdep::tokio::Mutex` records the same edge as any nesting.
//!
//! An acquisition is validated *before* the task waits (a report appears even
//! if the program then hangs). While the task waits, the lock is not on its
//! held stack (a future cancelled while waiting, by `select!` or `timeout`,
//! leaves nothing behind); it is pushed again, from the chain cache, when the
//! lock is granted.
//!
//! Whose held stack a guard's entry is on: the polled instrumented task's
//! ([`crate::task`]), else the running tokio task's, else the thread's.
//! Guards are `Send`: a release from another thread or task goes to the
//! owner's stack (docs/async.md).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use lockdep::task::Instrument;
//! use lockdep::tokio::Mutex;
//!
//! let m = Mutex::new(1);
//! async {
//!     *m.lock().await += 1;
//! }
//! .lockdep()
//! .await;
//! assert_eq!(*m.lock().await, 2);
//! # }
//! ```

/// The lock-level traits both wrappers have, from one body: `SetClass`,
/// `From` and `Default` (classed at the user's site, resolved at run time)
/// and tokio's own `Debug` (`Mutex { data: .. }`, or `<locked>`). Expanded
/// in `mutex.rs` and `rwlock.rs`, which import the names it uses.
macro_rules! lock_traits {
    ($lock:ident over $tk:ident) => {
        impl<T: ?Sized> SetClass for $lock<T> {
            #[track_caller]
            fn set_class(&self, class: &'static LockClass) {
                self.map.set_class(class)
            }
        }

        impl<T> From<T> for $lock<T> {
            #[track_caller]
            fn from(value: T) -> $lock<T> {
                $lock {
                    map: LockMap::at_runtime_caller_for::<Self>(),
                    inner: tk::$tk::new(value),
                }
            }
        }

        impl<T: Default> Default for $lock<T> {
            #[track_caller]
            fn default() -> $lock<T> {
                $lock {
                    map: LockMap::at_runtime_caller_for::<Self>(),
                    inner: tk::$tk::new(T::default()),
                }
            }
        }

        impl<T: ?Sized + fmt::Debug> fmt::Debug for $lock<T> {
            /// tokio's: `Mutex { data: .. }` (`RwLock { .. }`), or `<locked>`.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.inner, f)
            }
        }
    };
}

mod mutex;
mod rwlock;

pub use ::tokio::sync::TryLockError;
pub use mutex::{MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard};
pub use rwlock::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
    RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard,
};

use std::future::Future;
use std::panic::Location;
#[cfg(not(any(lockdep_off, feature = "off")))]
use std::task::Poll;

use crate::engine::Flags;
#[cfg(not(any(lockdep_off, feature = "off")))]
use crate::engine::{self, Recorded};
use crate::map::{LockMap, Mode};
#[cfg(not(any(lockdep_off, feature = "off")))]
use crate::task::{self, Owner};

/// What a guard keeps to release its acquisition: whether it was recorded,
/// and on whose held stack. (Nothing, with checking compiled out.)
#[derive(Clone, Copy, Debug)]
pub(crate) struct Held {
    #[cfg(not(any(lockdep_off, feature = "off")))]
    owner: Owner,
    #[cfg(not(any(lockdep_off, feature = "off")))]
    recorded: bool,
}

#[cfg(not(any(lockdep_off, feature = "off")))]
impl Held {
    /// Records (and, unless it is a trylock, validates) an acquisition of
    /// `map` on the held stack of whoever runs now.
    #[inline]
    pub(crate) fn acquire(
        map: &LockMap,
        mode: Mode,
        subclass: u8,
        flags: Flags,
        at: &'static Location<'static>,
    ) -> Held {
        task::in_context(|owner| Held {
            owner,
            recorded: engine::acquire(map, mode, subclass, flags.with(Flags::ASYNC), None, at),
        })
    }

    /// Releases the acquisition: on the owner's stack if the owner runs now,
    /// else posted to it.
    #[inline]
    pub(crate) fn release(&mut self, map: &LockMap) {
        if !std::mem::replace(&mut self.recorded, false) {
            return;
        }
        let owner = self.owner;
        if task::owner_in_place(owner) {
            // The fast case: the owner's stack is the one in place.
            engine::release(map, Location::caller());
            return;
        }
        task::in_context(|now| {
            if now == owner {
                engine::release(map, Location::caller());
            } else {
                task::post(owner, map.instance_if_used());
            }
        });
    }

    /// A write guard downgraded to a read: the entry's mode changes (on the
    /// owner's stack; a guard that moved elsewhere keeps its entry as is).
    pub(crate) fn downgrade(&self, map: &LockMap) {
        if !self.recorded {
            return;
        }
        let owner = self.owner;
        task::in_context(|now| {
            if now == owner {
                Recorded::new(true).change_mode(map, Mode::Read);
            }
        });
    }
}

/// Checking compiled out: nothing is recorded.
#[cfg(any(lockdep_off, feature = "off"))]
impl Held {
    #[inline(always)]
    pub(crate) fn acquire(
        _map: &LockMap,
        _mode: Mode,
        _subclass: u8,
        _flags: Flags,
        _at: &'static Location<'static>,
    ) -> Held {
        Held {}
    }

    #[inline(always)]
    pub(crate) fn release(&mut self, _map: &LockMap) {}

    #[inline(always)]
    pub(crate) fn downgrade(&self, _map: &LockMap) {}
}

/// Acquires through tokio's lock future `fut`: validates and records the
/// acquisition before the first poll (before any wait); if the lock is not
/// granted at once, takes the entry off while waiting and records it again
/// when granted (a chain-cache hit unless the task took other locks
/// meanwhile).
#[cfg(not(any(lockdep_off, feature = "off")))]
pub(crate) fn acquire<'m, F: Future>(
    map: &'m LockMap,
    mode: Mode,
    subclass: u8,
    at: &'static Location<'static>,
    fut: F,
) -> Acquire<'m, F> {
    Acquire {
        fut,
        map,
        at,
        mode,
        subclass,
        waiting: false,
    }
}

/// The future of [`acquire`] (hand-written: one state flag around tokio's
/// future, instead of two nested `async` blocks).
#[cfg(not(any(lockdep_off, feature = "off")))]
pub(crate) struct Acquire<'m, F> {
    fut: F,
    map: &'m LockMap,
    at: &'static Location<'static>,
    mode: Mode,
    subclass: u8,
    /// Polled before and not granted: the entry is off the stack.
    waiting: bool,
}

#[cfg(not(any(lockdep_off, feature = "off")))]
impl<F: Future> Future for Acquire<'_, F> {
    type Output = (F::Output, Held);

    #[inline]
    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `fut` is pinned structurally (never moved out); the other
        // fields are plain data, never pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above.
        let fut = unsafe { std::pin::Pin::new_unchecked(&mut this.fut) };
        let (map, mode, subclass, at) = (this.map, this.mode, this.subclass, this.at);
        if this.waiting {
            let Poll::Ready(guard) = fut.poll(cx) else {
                return Poll::Pending;
            };
            this.waiting = false;
            return Poll::Ready((guard, Held::acquire(map, mode, subclass, Flags::NONE, at)));
        }
        let mut held = Held::acquire(map, mode, subclass, Flags::NONE, at);
        match fut.poll(cx) {
            Poll::Ready(guard) => Poll::Ready((guard, held)),
            Poll::Pending => {
                // Waiting: the task does not hold the lock (and a cancelled
                // wait leaves nothing behind).
                held.release(map);
                this.waiting = true;
                Poll::Pending
            }
        }
    }
}

/// Checking compiled out: tokio's lock future alone.
#[cfg(any(lockdep_off, feature = "off"))]
#[inline(always)]
pub(crate) async fn acquire<G>(
    _map: &LockMap,
    _mode: Mode,
    _subclass: u8,
    _at: &'static Location<'static>,
    fut: impl Future<Output = G>,
) -> (G, Held) {
    (fut.await, Held {})
}

/// `fut` (an acquisition), then `make` on its result: the guard built
/// without another `async` block around the acquisition.
pub(crate) fn then_make<G, O, Fut, K>(fut: Fut, make: K) -> Make<Fut, K>
where
    Fut: Future<Output = (G, Held)>,
    K: FnOnce(G, Held) -> O,
{
    Make {
        fut,
        make: Some(make),
    }
}

/// The future of [`then_make`].
pub(crate) struct Make<Fut, K> {
    fut: Fut,
    make: Option<K>,
}

impl<G, O, Fut, K> Future for Make<Fut, K>
where
    Fut: Future<Output = (G, Held)>,
    K: FnOnce(G, Held) -> O,
{
    type Output = O;

    #[inline]
    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<O> {
        // SAFETY: `fut` is pinned structurally (never moved out); `make` is
        // never pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above.
        let fut = unsafe { std::pin::Pin::new_unchecked(&mut this.fut) };
        let std::task::Poll::Ready((guard, held)) = fut.poll(cx) else {
            return std::task::Poll::Pending;
        };
        let make = this.make.take().expect("polled after completion");
        std::task::Poll::Ready(make(guard, held))
    }
}

/// Records a successful trylock.
#[inline]
pub(crate) fn tried(map: &LockMap, mode: Mode, at: &'static Location<'static>) -> Held {
    Held::acquire(map, mode, 0, Flags::TRYLOCK, at)
}
