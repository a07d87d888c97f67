//! Threads that carry the `#[lockdep::test]` scope over, so reports on them
//! fail the test that started them even while other tests run in parallel
//! (see [`crate::testing`] for the attribution rules).
//!
//! ```
//! let h = lockdep::thread::spawn(|| 6 * 7);
//! assert_eq!(h.join().unwrap(), 42);
//!
//! std::thread::scope(|s| {
//!     lockdep::thread::spawn_scoped(s, || { /* ... */ });
//! });
//! ```
//!
//! Outside a `#[lockdep::test]` these are plain `std::thread` calls.

use std::thread::{JoinHandle, Scope, ScopedJoinHandle};

/// `std::thread::spawn`, and the new thread works for the caller's test.
#[track_caller]
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let cx = context();
    std::thread::spawn(move || cx.run(f))
}

/// `scope.spawn(f)`, and the new thread works for the caller's test.
#[track_caller]
pub fn spawn_scoped<'scope, 'env, F, T>(
    scope: &'scope Scope<'scope, 'env>,
    f: F,
) -> ScopedJoinHandle<'scope, T>
where
    F: FnOnce() -> T + Send + 'scope,
    T: Send + 'scope,
{
    let cx = context();
    scope.spawn(move || cx.run(f))
}

/// The calling thread's test scope, to carry into a thread started some other
/// way (a pool, `std::thread::Builder`): call [`Context::run`] there.
pub fn context() -> Context {
    Context(crate::testing::current())
}

/// A test scope captured by [`context`].
#[derive(Clone, Copy, Debug)]
pub struct Context(Option<&'static str>);

impl Context {
    /// Runs `f` on the calling thread inside the captured scope.
    pub fn run<R>(self, f: impl FnOnce() -> R) -> R {
        crate::testing::with_scope(self.0, f)
    }
}
