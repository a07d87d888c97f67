//! Which test a report belongs to: the machinery behind `#[lockdep::test]`.
//!
//! A `#[lockdep::test]` function runs inside a [`TestScope`] named after the
//! test. A report raised on a thread is *attributed* to a test by these rules,
//! in order:
//!
//! 1. the thread is inside a scope: the test's own thread, or a thread started
//!    with [`crate::thread::spawn`] / [`crate::thread::spawn_scoped`] /
//!    [`crate::thread::Context::run`], which carry the scope over → that test;
//! 2. otherwise, if exactly one `#[lockdep::test]` is running in the process
//!    (always the case under `cargo nextest`, which runs each test in its own
//!    process, and under `cargo test -- --test-threads=1`) → that test, so
//!    threads started with plain `std::thread::spawn` count too;
//! 3. otherwise the report is attributed to no test: it is printed and
//!    recorded, but fails nothing, because a report on a plain thread cannot
//!    be told apart from one of another test running in parallel.
//!
//! When the test's body returns, the test fails with the splat of every report
//! attributed to it. See `docs/ci.md` for the whole story.

use std::cell::Cell;

use parking_lot::Mutex as RawMutex;

use crate::report::Report;
use crate::report::store::Sink;

thread_local! {
    /// The test this thread works for.
    static SCOPE: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// Every `#[lockdep::test]` running now (an internal lock, held briefly).
static ACTIVE: RawMutex<Vec<&'static str>> = RawMutex::new(Vec::new());

/// `#[lockdep::test]` attribution as a report sink: names the test each new
/// report belongs to.
pub(crate) struct Attribution;

impl Sink for Attribution {
    fn annotate(&self, report: &mut Report) {
        report.test = attribute();
    }
}

/// The test the calling thread's reports go to (rules above).
pub(crate) fn attribute() -> Option<String> {
    if let Ok(Some(name)) = SCOPE.try_with(Cell::get) {
        return Some(name.to_owned());
    }
    match ACTIVE.lock().as_slice() {
        [only] => Some((*only).to_owned()),
        _ => None,
    }
}

/// The test the calling thread works for, if it is inside a scope.
pub(crate) fn current() -> Option<&'static str> {
    SCOPE.try_with(Cell::get).ok().flatten()
}

/// Runs `f` with the calling thread inside `test`'s scope (or none).
pub(crate) fn with_scope<R>(test: Option<&'static str>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<&'static str>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = SCOPE.try_with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SCOPE.with(|s| s.replace(test)));
    f()
}

/// The scope of one running `#[lockdep::test]`. Used by the macro's
/// expansion; not meant to be named in user code.
#[doc(hidden)]
pub struct TestScope {
    name: &'static str,
    prev: Option<&'static str>,
}

impl TestScope {
    /// Enters the scope of test `name` on the calling thread.
    pub fn enter(name: &'static str) -> TestScope {
        ACTIVE.lock().push(name);
        let prev = SCOPE.with(|s| s.replace(Some(name)));
        TestScope { name, prev }
    }

    /// Leaves the scope; panics (failing the test) with every report
    /// attributed to the test.
    #[track_caller]
    pub fn finish(self) {
        let name = self.name;
        drop(self);
        let mine: Vec<_> = crate::report::store::reports()
            .into_iter()
            .filter(|r| r.test.as_deref() == Some(name))
            .collect();
        if mine.is_empty() {
            return;
        }
        let mut msg = format!(
            "lockdep: {} lock-order problem(s) in test `{name}`:\n",
            mine.len()
        );
        for r in &mine {
            msg.push('\n');
            msg.push_str(&r.splat());
        }
        panic!("{msg}");
    }
}

impl Drop for TestScope {
    fn drop(&mut self) {
        let _ = SCOPE.try_with(|s| s.set(self.prev));
        let mut active = ACTIVE.lock();
        if let Some(i) = active.iter().rposition(|n| *n == self.name) {
            active.remove(i);
        }
    }
}
