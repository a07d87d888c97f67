//! [`Condvar`]: `parking_lot::Condvar` that keeps the checker's held stack true.
//!
//! A wait releases the mutex (its entry leaves the thread's held stack) and
//! re-acquires it when woken, validated like any acquisition: waiting on a
//! condition variable while holding *another* lock keeps that lock held, and
//! re-taking the mutex under it records the dependency `other → mutex`.

use std::fmt;
use std::panic::Location;
use std::time::{Duration, Instant};

/// Whether a timed wait returned because its time ran out (parking_lot's type of the same name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// `true` if the wait timed out.
    pub fn timed_out(self) -> bool {
        self.0
    }
}

use super::mutex::MutexGuard;

/// A condition variable for [`Mutex`](crate::Mutex) guards.
#[derive(Default)]
pub struct Condvar {
    inner: parking_lot::Condvar,
}

impl Condvar {
    /// A new condition variable.
    pub const fn new() -> Condvar {
        Condvar {
            inner: parking_lot::Condvar::new(),
        }
    }

    /// The raw condition variable underneath (parking_lot's `RawCondvar`),
    /// as `lock_api::Condvar::raw`. Waiting on it directly (through
    /// `lock_api::RawCondvar`) bypasses the checker, like the locks' `raw`.
    #[inline]
    pub fn raw(&self) -> &parking_lot::RawCondvar {
        self.inner.raw()
    }

    /// Wakes one waiter; returns whether one was woken.
    pub fn notify_one(&self) -> bool {
        self.inner.notify_one()
    }

    /// Wakes all waiters; returns how many.
    pub fn notify_all(&self) -> usize {
        self.inner.notify_all()
    }

    /// Blocks until notified. The mutex is released while waiting and
    /// re-acquired (and re-validated) before returning.
    #[track_caller]
    pub fn wait<T: ?Sized>(&self, guard: &mut MutexGuard<'_, T>) {
        let at = Location::caller();
        guard.around_wait(at, |inner| {
            self.inner.wait(inner);
        })
    }

    /// Waits while `condition` returns true (checked with the mutex held).
    #[track_caller]
    pub fn wait_while<T, F>(&self, guard: &mut MutexGuard<'_, T>, mut condition: F)
    where
        T: ?Sized,
        F: FnMut(&mut T) -> bool,
    {
        let at = Location::caller();
        while condition(&mut **guard) {
            guard.around_wait(at, |inner| self.inner.wait(inner));
        }
    }

    /// Blocks until notified or `timeout` elapses.
    #[track_caller]
    pub fn wait_for<T: ?Sized>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        timeout: Duration,
    ) -> WaitTimeoutResult {
        let at = Location::caller();
        guard.around_wait(at, |inner| {
            WaitTimeoutResult(self.inner.wait_for(inner, timeout).timed_out())
        })
    }

    /// Blocks until notified or `deadline` passes.
    #[track_caller]
    pub fn wait_until<T: ?Sized>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        deadline: Instant,
    ) -> WaitTimeoutResult {
        let at = Location::caller();
        guard.around_wait(at, |inner| {
            WaitTimeoutResult(self.inner.wait_until(inner, deadline).timed_out())
        })
    }

    /// Waits while `condition` holds, giving up after `timeout`.
    #[track_caller]
    pub fn wait_while_for<T, F>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        condition: F,
        timeout: Duration,
    ) -> WaitTimeoutResult
    where
        T: ?Sized,
        F: FnMut(&mut T) -> bool,
    {
        self.wait_while_until(guard, condition, Instant::now() + timeout)
    }

    /// Waits while `condition` holds, giving up at `deadline`.
    #[track_caller]
    pub fn wait_while_until<T, F>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        mut condition: F,
        deadline: Instant,
    ) -> WaitTimeoutResult
    where
        T: ?Sized,
        F: FnMut(&mut T) -> bool,
    {
        let at = Location::caller();
        while condition(&mut **guard) {
            let timed_out = guard.around_wait(at, |inner| {
                self.inner.wait_until(inner, deadline).timed_out()
            });
            if timed_out {
                // As parking_lot: one last look at the condition after the timeout.
                return WaitTimeoutResult(condition(&mut **guard));
            }
        }
        WaitTimeoutResult(false)
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Condvar { .. }")
    }
}
