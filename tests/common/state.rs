//! Guards over the checker's global state, for the test files whose tests
//! reset it or switch it off.
//!
//! The global graph, chain cache and report list are per process and tests
//! of one binary run on parallel threads: a test that calls
//! `lockdep::reset()` (itself or through a runner that does), or that asserts
//! on *every* report, holds [`serial`] (or [`serial_reset`]) for its whole
//! body. Tests of a file that never reset can run in parallel and look only
//! at the reports naming their own classes (`common::reports_naming`).

use std::sync::{Mutex, MutexGuard};

/// The one lock of this test binary that serialises its global-state tests.
/// A plain `std` mutex: the checker's own locks are not the subject here.
static SERIAL: Mutex<()> = Mutex::new(());

/// Holds the test binary's serialisation lock until dropped.
#[must_use = "the tests are serialised only while the guard lives"]
pub struct Serial(MutexGuard<'static, ()>);

/// Waits for the other global-state tests of this binary to finish and keeps
/// them out until the guard drops. A test that failed while holding it does
/// not fail the next ones (the poison is ignored).
pub fn serial() -> Serial {
    Serial(SERIAL.lock().unwrap_or_else(|e| e.into_inner()))
}

/// [`serial`], then a fresh checker: the warn policy (whatever an earlier
/// test set) and `lockdep::reset()` (no classes' edges, chains or reports).
pub fn serial_reset() -> Serial {
    let guard = serial();
    lockdep::set_on_report(lockdep::OnReport::Warn);
    lockdep::reset();
    guard
}

/// Switches checking off (`lockdep::set_enabled(false)`) until dropped, also
/// when the test fails while holding it.
#[must_use = "checking is off only while the guard lives"]
pub struct CheckingOff(());

impl CheckingOff {
    /// Switches checking off.
    pub fn new() -> CheckingOff {
        lockdep::set_enabled(false);
        CheckingOff(())
    }
}

impl Drop for CheckingOff {
    fn drop(&mut self) {
        lockdep::set_enabled(true);
    }
}
