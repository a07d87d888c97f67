//! Helpers shared by the integration tests, used through `mod common;`.
//!
//! Each test file is its own process with its own global graph; tests inside
//! a file use their own named classes and look only at the reports that name
//! them ([`reports_naming`], [`reports_for`]). The pieces:
//!
//! - [`child`]: running `#[ignore]`d tests of the same binary in a child
//!   process, for settings read once per process (policy, limits, dumps) and
//!   for programs that abort or hang;
//! - [`state`]: the serialise-and-reset guard for the files whose tests reset
//!   the global checker, and the checking-off guard;
//! - [`golden`]: expected output kept as files under `tests/golden/`,
//!   re-blessed with `LOCKDEP_BLESS=1`;
//! - [`watchdog`]: a hang guard that aborts the run instead of hanging it;
//! - [`run_named`]: running a closure on a named thread.
#![allow(dead_code, unused_imports)] // each test file uses a subset

pub mod child;
pub mod golden;
pub mod state;
pub mod watchdog;

pub use child::{ChildTest, is_child};
pub use state::{CheckingOff, serial, serial_reset};
pub use watchdog::{Watchdog, with_watchdog};

use std::thread;

use lockdep::{Report, ReportKind};

/// Every report that names one of `names`, as a class on it or as a held lock.
pub fn reports_naming(names: &[&str]) -> Vec<Report> {
    lockdep::reports()
        .into_iter()
        .filter(|r| {
            r.classes().iter().any(|c| names.contains(c))
                || r.held
                    .iter()
                    .any(|l| names.contains(&l.class.name.as_str()))
        })
        .collect()
}

/// Reports of `kind` that have classes, all of them in `names` (a report
/// with no classes is nobody's, not everybody's).
pub fn reports_for(kind: ReportKind, names: &[&str]) -> Vec<Report> {
    lockdep::reports()
        .into_iter()
        .filter(|r| {
            let classes = r.classes();
            r.kind == kind && !classes.is_empty() && classes.iter().all(|c| names.contains(c))
        })
        .collect()
}

/// Runs `f` on a new thread called `name`, waits for it and returns its
/// result; a panic in it fails the test.
pub fn run_named<T: Send>(name: &str, f: impl FnOnce() -> T + Send) -> T {
    thread::scope(|s| {
        thread::Builder::new()
            .name(name.into())
            .spawn_scoped(s, f)
            .expect("spawn")
            .join()
            .expect("thread panicked")
    })
}
