//! A hang guard: a deadlock in a test must fail the run, not hang it.
//!
//! Not a timed assertion: the limit is far above what the test takes even on
//! a loaded machine, and only a test that never finishes reaches it.

use std::io::Write;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Aborts the process with a message naming `what` unless dropped within
/// the limit. (A hung thread cannot be stopped, and an abort also ends the
/// threads the deadlock left behind.)
#[must_use = "the watchdog guards only while it lives"]
pub struct Watchdog(#[allow(dead_code)] mpsc::Sender<()>);

impl Watchdog {
    /// Starts watching: `what` is named in the message if `limit` passes.
    pub fn start(what: &str, limit: Duration) -> Watchdog {
        let (alive, watched) = mpsc::channel::<()>();
        let what = what.to_owned();
        thread::Builder::new()
            .name("watchdog".into())
            .spawn(move || {
                // Dropping the guard disconnects the channel and ends the wait.
                if let Err(mpsc::RecvTimeoutError::Timeout) = watched.recv_timeout(limit) {
                    // Straight to fd 2: `eprintln!` would go to libtest's
                    // capture of the test, which the abort throws away.
                    let _ = writeln!(
                        std::io::stderr(),
                        "{what} still running after {limit:?}: deadlock or lost wake-up"
                    );
                    std::process::abort();
                }
            })
            .expect("spawn the watchdog");
        Watchdog(alive)
    }
}

/// Runs `f` on this thread under a [`Watchdog`] of `limit`.
pub fn with_watchdog<R>(limit: Duration, f: impl FnOnce() -> R) -> R {
    let _dog = Watchdog::start(thread::current().name().unwrap_or("a test"), limit);
    f()
}
