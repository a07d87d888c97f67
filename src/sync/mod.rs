//! The lock wrappers: drop-in replacements for `parking_lot`'s locks, built on
//! [`LockMap`](crate::LockMap) and the engine's entry points.

pub(crate) mod condvar;
pub(crate) mod mutex;
pub(crate) mod rwlock;
pub(crate) mod seqcount;

pub use condvar::{Condvar, WaitTimeoutResult};
pub use mutex::{Mutex, MutexGuard};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockUpgradableReadGuard, RwLockWriteGuard, RwSem};
pub use seqcount::{SeqCount, SeqCountWriteGuard};
