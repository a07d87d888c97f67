//! [`Condvar`] with checking compiled out: `parking_lot::Condvar`, transparently.

use std::fmt;
use std::time::{Duration, Instant};

use super::mutex::MutexGuard;

/// Whether a timed wait returned because its time ran out (parking_lot's type of the same name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// `true` if the wait timed out.
    #[inline(always)]
    pub fn timed_out(self) -> bool {
        self.0
    }
}

/// A condition variable for [`Mutex`](crate::Mutex) guards.
#[derive(Default)]
#[repr(transparent)]
pub struct Condvar {
    inner: parking_lot::Condvar,
}

impl Condvar {
    /// A new condition variable.
    #[inline(always)]
    pub const fn new() -> Condvar {
        Condvar {
            inner: parking_lot::Condvar::new(),
        }
    }

    /// The raw condition variable underneath (parking_lot's `RawCondvar`),
    /// as `lock_api::Condvar::raw`. Waiting on it directly (through
    /// `lock_api::RawCondvar`) bypasses the checker, like the locks' `raw`.
    #[inline(always)]
    pub fn raw(&self) -> &parking_lot::RawCondvar {
        self.inner.raw()
    }

    /// Wakes one waiter; returns whether one was woken.
    #[inline(always)]
    pub fn notify_one(&self) -> bool {
        self.inner.notify_one()
    }

    /// Wakes all waiters; returns how many.
    #[inline(always)]
    pub fn notify_all(&self) -> usize {
        self.inner.notify_all()
    }

    /// Blocks until notified; the mutex is released while waiting.
    #[track_caller]
    #[inline(always)]
    pub fn wait<T: ?Sized>(&self, guard: &mut MutexGuard<'_, T>) {
        self.inner.wait(&mut guard.0);
    }

    /// Waits while `condition` returns true (checked with the mutex held).
    #[track_caller]
    #[inline(always)]
    pub fn wait_while<T, F>(&self, guard: &mut MutexGuard<'_, T>, condition: F)
    where
        T: ?Sized,
        F: FnMut(&mut T) -> bool,
    {
        self.inner.wait_while(&mut guard.0, condition);
    }

    /// Blocks until notified or `timeout` elapses.
    #[track_caller]
    #[inline(always)]
    pub fn wait_for<T: ?Sized>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        timeout: Duration,
    ) -> WaitTimeoutResult {
        WaitTimeoutResult(self.inner.wait_for(&mut guard.0, timeout).timed_out())
    }

    /// Blocks until notified or `deadline` passes.
    #[track_caller]
    #[inline(always)]
    pub fn wait_until<T: ?Sized>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        deadline: Instant,
    ) -> WaitTimeoutResult {
        WaitTimeoutResult(self.inner.wait_until(&mut guard.0, deadline).timed_out())
    }

    /// Waits while `condition` holds, giving up after `timeout`.
    #[track_caller]
    #[inline(always)]
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
    #[inline(always)]
    pub fn wait_while_until<T, F>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        condition: F,
        deadline: Instant,
    ) -> WaitTimeoutResult
    where
        T: ?Sized,
        F: FnMut(&mut T) -> bool,
    {
        let r = self
            .inner
            .wait_while_until(&mut guard.0, condition, deadline);
        WaitTimeoutResult(r.timed_out())
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Condvar { .. }")
    }
}
