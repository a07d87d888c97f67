//! [`Condvar`] and [`WaitTimeoutResult`] with `std::sync::Condvar`'s API, on
//! [`crate::Condvar`].

use std::fmt;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::{LockResult, PoisonError};
use std::time::{Duration, Instant};

use super::mutex::MutexGuard;

/// Whether a timed wait timed out (std's `WaitTimeoutResult`).
#[derive(Debug, PartialEq, Eq, Copy, Clone)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// `true` if the wait ended because its time ran out.
    #[must_use]
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

/// A condition variable with the API of [`std::sync::Condvar`], for
/// [`stdsync::Mutex`](super::Mutex) guards.
///
/// A wait consumes the guard and hands it back: to lockdep the mutex is
/// released while the thread waits (it leaves the held-lock stack) and
/// re-acquired when it wakes, validated like any acquisition. Locks held
/// *besides* the mutex stay held across the wait, so re-taking the mutex under
/// them records `held → mutex` dependencies. Like std, a wait returns
/// `Err(PoisonError)` carrying the guard if the mutex is poisoned when it is
/// re-acquired.
///
/// ```
/// use lockdep::stdsync::{Arc, Condvar, Mutex};
/// use std::thread;
///
/// let pair = Arc::new((Mutex::new(false), Condvar::new()));
/// let pair2 = Arc::clone(&pair);
/// thread::spawn(move || {
///     let (lock, cvar) = &*pair2;
///     *lock.lock().unwrap() = true;
///     cvar.notify_one();
/// });
/// let (lock, cvar) = &*pair;
/// let started = cvar.wait_while(lock.lock().unwrap(), |started| !*started).unwrap();
/// assert!(*started);
/// ```
#[derive(Default)]
pub struct Condvar {
    inner: crate::sync::Condvar,
}

// As std.
impl UnwindSafe for Condvar {}
impl RefUnwindSafe for Condvar {}

/// `Ok(value)`, or `Err` carrying it if the waited-on mutex is poisoned.
fn poisoned_or<V>(poisoned: bool, value: V) -> LockResult<V> {
    if poisoned {
        Err(PoisonError::new(value))
    } else {
        Ok(value)
    }
}

impl Condvar {
    /// Creates a new condition variable.
    #[must_use]
    pub const fn new() -> Condvar {
        Condvar {
            inner: crate::sync::Condvar::new(),
        }
    }

    /// Blocks until notified, releasing the mutex while it waits and
    /// re-acquiring it before returning. Returns `Err` carrying the guard if
    /// the mutex is poisoned. Spurious wake-ups are allowed by the contract
    /// (as std's); wait in a loop or use [`wait_while`](Self::wait_while).
    #[track_caller]
    pub fn wait<'a, T>(&self, mut guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        self.inner.wait(guard.checked());
        poisoned_or(guard.mutex_poisoned(), guard)
    }

    /// Blocks while `condition` returns `true` (it is called with the mutex
    /// held, first before any wait).
    #[track_caller]
    pub fn wait_while<'a, T, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: F,
    ) -> LockResult<MutexGuard<'a, T>>
    where
        F: FnMut(&mut T) -> bool,
    {
        while condition(&mut *guard) {
            guard = self.wait(guard)?;
        }
        Ok(guard)
    }

    /// Blocks until notified or until `dur` has elapsed; the
    /// [`WaitTimeoutResult`] says which.
    #[track_caller]
    pub fn wait_timeout<'a, T>(
        &self,
        mut guard: MutexGuard<'a, T>,
        dur: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        let timed_out = self.inner.wait_for(guard.checked(), dur).timed_out();
        poisoned_or(
            guard.mutex_poisoned(),
            (guard, WaitTimeoutResult(timed_out)),
        )
    }

    /// Blocks while `condition` returns `true`, for at most `dur` in total.
    /// Timed out means the condition still held when the time ran out.
    #[track_caller]
    pub fn wait_timeout_while<'a, T, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        dur: Duration,
        mut condition: F,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)>
    where
        F: FnMut(&mut T) -> bool,
    {
        let start = Instant::now();
        loop {
            if !condition(&mut *guard) {
                return Ok((guard, WaitTimeoutResult(false)));
            }
            let Some(timeout) = dur.checked_sub(start.elapsed()) else {
                return Ok((guard, WaitTimeoutResult(true)));
            };
            guard = self.wait_timeout(guard, timeout)?.0;
        }
    }

    /// Waits on this condition variable for a notification, timing out after
    /// `ms` milliseconds; the `bool` is `true` if it did *not* time out.
    #[deprecated(since = "1.6.0", note = "replaced by `Condvar::wait_timeout`")]
    #[track_caller]
    pub fn wait_timeout_ms<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        ms: u32,
    ) -> LockResult<(MutexGuard<'a, T>, bool)> {
        let result = self.wait_timeout(guard, Duration::from_millis(u64::from(ms)));
        super::poison::map_result(result, |(guard, r)| (guard, !r.timed_out()))
    }

    /// Wakes up one thread blocked on this condition variable, if any.
    #[inline]
    pub fn notify_one(&self) {
        self.inner.notify_one();
    }

    /// Wakes up all threads blocked on this condition variable.
    #[inline]
    pub fn notify_all(&self) {
        self.inner.notify_all();
    }
}

impl fmt::Debug for Condvar {
    /// As std: `Condvar { .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar").finish_non_exhaustive()
    }
}
