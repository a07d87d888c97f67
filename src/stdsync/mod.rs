//! `std::sync`'s locks with lock-dependency checking: swap
//! `use std::sync::{Arc, Mutex, RwLock, Condvar}` for
//! `use lockdep::stdsync::{Arc, Mutex, RwLock, Condvar}` and the code compiles
//! unchanged, with std's signatures and std's poisoning.
//!
//! ```
//! use lockdep::stdsync::{Arc, Mutex};
//! use std::thread;
//!
//! let a = Arc::new(Mutex::new(0));
//! let b = Arc::new(Mutex::new(0));
//!
//! // Two threads that never overlap take the mutexes in opposite orders.
//! let (a1, b1) = (Arc::clone(&a), Arc::clone(&b));
//! thread::spawn(move || {
//!     let _a = a1.lock().unwrap();
//!     *b1.lock().unwrap() += 1;
//! })
//! .join()
//! .unwrap();
//! let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
//! thread::spawn(move || {
//!     let _b = b2.lock().unwrap();
//!     *a2.lock().unwrap() += 1;
//! })
//! .join()
//! .unwrap();
//!
//! // Nothing deadlocked this time, but the checker reported the inversion.
//! let cycle = &lockdep::reports()[0];
//! assert_eq!(cycle.kind, lockdep::ReportKind::CircularDependency);
//! assert_eq!(cycle.classes(), [b.lock_map().class_name(), a.lock_map().class_name()]);
//! ```
//!
//! # What maps to what
//!
//! | `std::sync` | here | to the checker |
//! |---|---|---|
//! | `Mutex::new` (`const`), `Default`, `From<T>` | [`Mutex`] | class: the caller's `file:line:col` (`#[track_caller]`) |
//! | `Mutex::lock` | same signature | exclusive acquisition, validated before it blocks |
//! | `Mutex::try_lock` | same | trylock: recorded if it succeeds, never validated |
//! | `RwLock::new` (`const`), `Default`, `From<T>` | [`RwLock`] | class: the caller's location |
//! | `RwLock::read` | same | **non-recursive** read (see below) |
//! | `RwLock::try_read` | same | trylock read |
//! | `RwLock::write` / `try_write` | same | exclusive / trylock |
//! | `RwLockWriteGuard::downgrade` | same | the held entry becomes a read (cannot block: not validated) |
//! | `Condvar::wait`, `wait_while`, `wait_timeout`, `wait_timeout_while` | [`Condvar`] | the mutex leaves the held stack while waiting, and is re-acquired (validated) on wake-up |
//! | `WaitTimeoutResult` | [`WaitTimeoutResult`] | this module's own type (std's cannot be constructed), same API |
//! | `LockResult`, `TryLockResult`, `PoisonError`, `TryLockError` | std's own types, re-exported | |
//! | `Once` (`call_once`, `call_once_force`, `wait`, ...) | [`Once`] | running the closure: exclusive acquisition of the `Once`'s class (its `new` site), held while it runs; a call that finds it not completed: a blocking acquisition (it may wait), validated first; completed: nothing |
//! | `OnceLock`, `LazyLock` | [`OnceLock`], [`LazyLock`] (the same types as `lockdep::OnceLock`, `lockdep::LazyLock`) | as `Once`: the initialiser holds the cell's class; an access that finds the cell uninitialised may wait; an initialised cell records nothing |
//! | `ONCE_INIT` (deprecated) | a [`Once`] constant: every `Once` built from it is one class | |
//! | `OnceState` | std's own, re-exported (what [`Once::call_once_force`] passes) | |
//! | `Arc`, `Weak`, `Barrier`, `BarrierWaitResult`, `mpsc`, `atomic` | std's own, re-exported | not checked |
//!
//! The non-lock items of `std::sync` are re-exported so that a `use` of
//! several `std::sync` items keeps compiling after the path is swapped. They
//! are std's own: a `Barrier` wait or an `mpsc` receive is not a lock to the
//! checker. Unstable `std::sync` items (`ReentrantLock`, `mpmc`, `Exclusive`,
//! `MutexGuard::map`, `Mutex::set`/`replace`/`get_cloned`, the `nonpoison`
//! module) are not provided.
//!
//! Two lockdep extras, not in std, exist on [`Mutex`] and [`RwLock`]:
//! `with_class(value, &CLASS)` puts the lock in a named
//! [`LockClass`](crate::LockClass), and `lock_map()` gives the checker's
//! [`LockMap`](crate::LockMap) (its class name, whether this thread holds it).
//!
//! # Poisoning
//!
//! As in std: a thread that panics while it holds a [`MutexGuard`] or a
//! [`RwLockWriteGuard`] poisons the lock (read guards never poison, and a guard
//! acquired while the thread was already panicking does not either). Every
//! later `lock`, `read`, `write`, `into_inner`, `get_mut` and `Condvar` wait
//! returns `Err(PoisonError)` carrying what it would have returned; the lock
//! itself works as before. `try_*` return `Err(TryLockError::Poisoned(..))`.
//! [`Mutex::clear_poison`] / [`RwLock::clear_poison`] clear the flag. The
//! checker is not involved: a guard dropped during unwinding releases its lock
//! as usual.
//!
//! # `read` is a non-recursive read
//!
//! std's `RwLock::read` may block behind a *waiting* writer on some platforms
//! (the futex lock on Linux prefers writers), and std documents that a thread
//! taking a read lock it already holds may deadlock or panic. So to the
//! checker it is a non-recursive read, the kernel's `down_read`:
//!
//! - two threads taking reads of `A` and `B` in opposite orders form a cycle:
//!   once writers queue on both, each thread's second read waits behind a
//!   writer that waits for the other thread's first read. Reported;
//! - a read of a lock this thread already reads (same class) is reported as
//!   recursive locking.
//!
//! The lock underneath is lockdep's [`RwLock`](crate::RwLock)
//! (parking_lot's reader-preferring lock), so such code does not deadlock *in
//! the test run*; the report is about the platforms where it can.
//!
//! # Differences from std
//!
//! - The locks are parking_lot's, not std's: no spurious `Condvar` wake-ups in
//!   practice, writers may wait longer under a constant stream of readers.
//! - The guards are `Sync` only when `T: Send + Sync` (std's need only
//!   `T: Sync`); this matters only for sharing a guard of a non-`Send` value
//!   between threads. `Send`, `UnwindSafe` and `RefUnwindSafe` are as std's.
//! - rustc's `let_underscore_lock` lint (`let _ = m.lock();`) recognises only
//!   std's own lock types.
//! - `Debug` formats as std's (`Mutex { data: 0, poisoned: false, .. }`); to
//!   show the data it trylocks the lock, which the checker records as a
//!   trylock.

mod condvar;
mod mutex;
mod once;
mod poison;
mod rwlock;

/// std's `OnceLock` and `LazyLock`, checked: the same types as [`crate::OnceLock`] and [`crate::LazyLock`].
pub use crate::sync::{LazyLock, OnceLock};
pub use condvar::{Condvar, WaitTimeoutResult};
pub use mutex::{Mutex, MutexGuard};
pub use once::Once;
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};

pub use std::sync::{Arc, Barrier, BarrierWaitResult, OnceState, Weak, atomic, mpsc};

#[allow(deprecated)]
pub use once::ONCE_INIT;
