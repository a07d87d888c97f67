//! # lockdep: the Linux kernel's lock-dependency validator, for Rust
//!
//! Swap `parking_lot::{Mutex, RwLock, Condvar}` for `lockdep::{Mutex, RwLock,
//! Condvar}`, run your program or tests, and get a kernel-style report of
//! every lock-order problem that *could* deadlock, even when the two
//! conflicting orders never ran at the same time. Code written against
//! `std::sync` swaps to [`stdsync`] instead (std's API and poisoning).
//!
//! ```
//! use lockdep::Mutex;
//! use std::thread;
//!
//! static A: Mutex<()> = Mutex::new(());
//! static B: Mutex<()> = Mutex::new(());
//!
//! // Thread 1 takes A then B; thread 2, long after, takes B then A.
//! thread::spawn(|| { let _a = A.lock(); let _b = B.lock(); }).join().unwrap();
//! thread::spawn(|| { let _b = B.lock(); let _a = A.lock(); }).join().unwrap();
//!
//! // Nothing deadlocked, but the second order closes a cycle in the class
//! // graph: a splat was printed on stderr and a report recorded.
//! # if cfg!(lockdep_off) { return; } // compiled out: nothing is recorded
//! let r = &lockdep::reports()[0];
//! assert_eq!(r.kind, lockdep::ReportKind::CircularDependency);
//! assert_eq!(r.classes().len(), 2);
//! ```
//!
//! ## How it works
//!
//! - Every lock belongs to a **class**: its construction site (`Mutex::new`
//!   is `#[track_caller]`), or a named [`LockClass`]. The graph has one node
//!   per class and subclass, never per lock object.
//! - Each thread keeps a **held-lock stack**. Acquiring a lock while holding
//!   others adds **dependency edges** `held → new` to one global graph.
//! - A new edge that closes a **strong** cycle is a possible deadlock (readers
//!   follow the kernel's rules: a cycle of recursive reads cannot deadlock).
//! - Each chain of held classes is validated once; after that, acquiring along
//!   it costs a thread-local push and a lock-free cache lookup.
//!
//! See `docs/design.md` for the pipeline and `docs/semantics.md` for what each
//! call means to the checker and where it differs from the kernel.
//!
//! ## Reports
//!
//! By default a report is printed to stderr and the program continues; each
//! distinct problem is reported once. [`reports()`] returns them as data.
//! `LOCKDEP_ON_REPORT=panic|abort` (or [`set_on_report`]) makes them fatal;
//! `LOCKDEP=0` (or [`set_enabled`]) turns checking off.
//!
//! ## Dumps and the `lockdep` command
//!
//! With `LOCKDEP_DUMP_DIR=dir` every process writes its reports and class
//! graph to `dir/<program>-<pid>.json` ([`mod@dump`]). The `lockdep` command
//! (the workspace crate `lockdep-cli`: `cargo install --path lockdep-cli`)
//! shows them, merges the graphs of many processes to find cycles that no
//! single process saw, checks them against a baseline for CI (text, JSON,
//! SARIF, GitHub annotations) and draws the graph. None of that is compiled
//! into this crate, which keeps only the dump format and its reader. See
//! `docs/ci.md`.
//!
//! ## Where things are
//!
//! Everyday types and functions are at the root (the locks, [`LockClass`],
//! [`LockMap`], [`reports()`], [`Report`], the switches of [`config`]).
//! Report data ([`report::Report`], [`report::ChainEntry`],
//! [`report::DepType`], ...) is under [`report`], configuration under
//! [`config`], dumps under [`mod@dump`], the class graph under [`snapshot`].
//!
//! ## Compiling the checker out
//!
//! Built with `RUSTFLAGS="--cfg lockdep_off"` (or the cargo feature `off`,
//! which unifies across the dependency graph: one crate that enables it turns
//! checking off for every crate in the build), every lock is a
//! `#[repr(transparent)]` newtype of the raw lock with the same API, the same
//! size as the raw lock, and nothing recorded: [`reports()`] is empty and
//! [`is_enabled()`] is `false`. The report and dump modules still compile
//! (they are data formats). See `docs/migrating.md`.
//!
//! ## Environment variables
//!
//! `LOCKDEP`, `LOCKDEP_ON_REPORT`, `LOCKDEP_BACKTRACE`, `LOCKDEP_MAX_CLASSES`,
//! `LOCKDEP_MAX_EDGES`, `LOCKDEP_MAX_CHAINS`, `LOCKDEP_MAX_DEPTH`: see [`config`].

// With checking compiled out, the class registry and the report machinery
// are only reachable from the engine, which no lock calls.
#[cfg_attr(any(lockdep_off, feature = "off"), allow(dead_code))]
pub mod class;
pub mod config;
mod dep;
pub mod dump;
// Compiled in both builds (the report, snapshot and merge code share its graph
// types and algorithms), but with checking compiled out no lock calls it.
#[cfg_attr(any(lockdep_off, feature = "off"), allow(dead_code))]
mod engine;
mod identity;
#[cfg(not(any(lockdep_off, feature = "off")))]
pub mod map;
#[cfg(any(lockdep_off, feature = "off"))]
#[path = "off/map.rs"]
pub mod map;
mod mode;
mod node;
mod path;
#[cfg_attr(any(lockdep_off, feature = "off"), allow(dead_code))]
pub mod report;
mod set_class;
#[cfg_attr(any(lockdep_off, feature = "off"), allow(dead_code))]
mod site;
pub mod snapshot;
#[cfg(not(any(lockdep_off, feature = "off")))]
pub mod stdsync;
#[cfg(any(lockdep_off, feature = "off"))]
#[path = "off/stdsync.rs"]
pub mod stdsync;
#[cfg(not(any(lockdep_off, feature = "off")))]
pub mod sync;
#[cfg(any(lockdep_off, feature = "off"))]
#[path = "off/sync/mod.rs"]
pub mod sync;
#[cfg(not(any(lockdep_off, feature = "off")))]
pub mod task;
#[cfg(any(lockdep_off, feature = "off"))]
#[path = "off/task.rs"]
pub mod task;
pub mod testing;
pub mod thread;
#[cfg(feature = "tokio")]
pub mod tokio;
mod trace;

/// Support for lockdep's own macros and for the workspace crates
/// `lockdep-cli` (the `lockdep` command) and `lockdep-scenario` (the `.lds`
/// runner). Not a public API: no stability promise, it may change in any
/// release.
#[doc(hidden)]
pub mod __private {
    // What the macros expand to (`#[lockdep::test]`, `#[lockdep::classes]`).
    pub use crate::class::SetClass;
    pub use crate::testing::TestScope;

    // What the workspace's tools use.
    pub use crate::dep::DepMask;
    pub use crate::engine::bfs::{DepEdge, strong_path};
    pub use crate::engine::forget_held;
    pub use crate::report::now;
}

/// Runs the code blocks of `docs/migrating.md` as doctests (they show what
/// the checker reports, so not with checking compiled out).
#[cfg(all(doctest, not(lockdep_off)))]
#[doc = include_str!("../docs/migrating.md")]
pub struct MigratingGuideDoctests;

pub use class::{LockClass, SetClass};
pub use config::{Limits, OnReport, is_enabled, set_enabled, set_limits, set_on_report, set_quiet};
pub use dep::DepType;
pub use dump::{Dump, dump};
pub use engine::{Stats, reset, stats};
pub use lockdep_macros::{class, classes, test};
pub use map::{LockMap, LockMapGuard, Mode};
pub use report::{ProcessInfo, Report, ReportKind, reports};
pub use snapshot::graph;
#[cfg(feature = "arc_lock")]
pub use sync::{
    ArcFairMutexGuard, ArcMutexGuard, ArcRecursiveRwLockReadGuard,
    ArcRecursiveRwLockUpgradableReadGuard, ArcRecursiveRwLockWriteGuard, ArcReentrantMutexGuard,
    ArcRwLockReadGuard, ArcRwLockUpgradableReadGuard, ArcRwLockWriteGuard,
};
pub use sync::{
    Condvar, FairMutex, FairMutexGuard, LazyLock, MappedFairMutexGuard, MappedMutexGuard,
    MappedRecursiveRwLockReadGuard, MappedRecursiveRwLockWriteGuard, MappedReentrantMutexGuard,
    MappedRwLockReadGuard, MappedRwLockWriteGuard, Mutex, MutexGuard, Once, OnceLock, OnceState,
    RecursiveRwLock, RecursiveRwLockReadGuard, RecursiveRwLockUpgradableReadGuard,
    RecursiveRwLockWriteGuard, ReentrantMutex, ReentrantMutexGuard, RwLock, RwLockReadGuard,
    RwLockUpgradableReadGuard, RwLockWriteGuard, RwSem, SeqCount, SeqCountWriteGuard,
    WaitTimeoutResult, const_mutex, const_rwlock,
};
