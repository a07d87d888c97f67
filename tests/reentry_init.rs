//! The checker's very first lock event happens inside the global allocator:
//! this binary's allocator takes a `lockdep::Mutex` on every allocation from
//! the first one (before `main`), so reading the `LOCKDEP*` environment — the
//! checker's one-time initialisation, which allocates — is re-entered from
//! inside. The nested event must pass through unchecked instead of waiting
//! for the initialisation it is part of (a self-deadlock).
//!
//! Reading a variable allocates only when it is set, so the check runs in a
//! child process started with `LOCKDEP*` variables set.
// Every test here asserts what the checker records: compiled out
// (`--cfg lockdep_off`) there is nothing to assert.
#![cfg(not(lockdep_off))]

mod common;

#[path = "support/locked_alloc.rs"]
mod locked_alloc;

use common::ChildTest;
use lockdep::{LockClass, Mutex, ReportKind};
use locked_alloc::{ALLOC_LOCK, Locked};

#[global_allocator]
static GLOBAL: Locked = Locked { armed: || true };

#[test]
fn the_first_lock_event_inside_the_allocator_does_not_deadlock() {
    let out = ChildTest::new("child_reports_through_a_locked_allocator")
        .envs(&[("LOCKDEP_ON_REPORT", "warn"), ("LOCKDEP_BACKTRACE", "1")])
        .timeout(std::time::Duration::from_secs(60))
        .try_run()
        .expect("the child deadlocked while the checker read its configuration");
    assert!(out.status.success(), "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("1 passed"), "{}", out.stdout);
}

#[test]
#[ignore = "run in a child process by the_first_lock_event_inside_the_allocator_does_not_deadlock"]
fn child_reports_through_a_locked_allocator() {
    // Reaching this line at all means start-up did not deadlock.
    assert!(*ALLOC_LOCK.lock() > 0);
    lockdep::set_quiet(true);
    static A: LockClass = LockClass::new("reentry-init::A");
    static B: LockClass = LockClass::new("reentry-init::B");
    let (a, b) = (Mutex::with_class((), &A), Mutex::with_class((), &B));
    std::thread::scope(|s| {
        s.spawn(|| drop((a.lock(), b.lock()))).join().unwrap();
        s.spawn(|| {
            let gb = b.lock();
            let ga = a.lock();
            drop((ga, gb));
        })
        .join()
        .unwrap();
    });
    let ours: Vec<_> = lockdep::reports()
        .into_iter()
        .filter(|r| r.classes().contains(&"reentry-init::A"))
        .collect();
    assert_eq!(ours.len(), 1, "{ours:#?}");
    assert_eq!(ours[0].kind, ReportKind::CircularDependency);
}
