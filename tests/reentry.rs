//! The checker never re-enters itself (issue 10, defect 3): this test
//! binary's global allocator takes a `lockdep::Mutex` on every allocation, so
//! everything the checker allocates — registering a class under the registry
//! lock, validating a chain under the graph lock, building, storing and
//! printing a report — comes back into the checker on the same thread. Each
//! such nested lock event must go straight to the raw lock: no deadlock on an
//! internal lock, no recursion, no lost report.

#[path = "support/locked_alloc.rs"]
mod locked_alloc;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lockdep::{LockClass, Mutex, ReportKind};
use locked_alloc::{Locked, THROUGH_LOCK};

static ARMED: AtomicBool = AtomicBool::new(false);

#[global_allocator]
static GLOBAL: Locked = Locked {
    armed: || ARMED.load(Ordering::Relaxed),
};

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn an_allocator_built_on_lockdep_locks_neither_hangs_nor_loses_reports() {
    // A watchdog: a deadlock on an internal lock would hang the test.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(60));
        eprintln!("reentry: the checker deadlocked on itself");
        std::process::abort();
    });
    lockdep::set_quiet(true);
    ARMED.store(true, Ordering::Relaxed);
    static A: LockClass = LockClass::new("reentry::A");
    static B: LockClass = LockClass::new("reentry::B");
    // Classes registered now allocate inside the registry (their names, the
    // key map), with ALLOC_LOCK's own class registered first from inside
    // that allocation.
    let a = Mutex::with_class(vec![1u8], &A);
    let b = Mutex::with_class(vec![2u8], &B);
    std::thread::scope(|s| {
        s.spawn(|| {
            let ga = a.lock();
            let gb = b.lock();
            drop((gb, ga));
        })
        .join()
        .unwrap();
        s.spawn(|| {
            let gb = b.lock();
            // Validating this closes a cycle: the report is built, stored
            // and printed (quietly), every allocation going through ALLOC_LOCK.
            let ga = a.lock();
            drop((ga, gb));
        })
        .join()
        .unwrap();
    });
    ARMED.store(false, Ordering::Relaxed);
    let reports = lockdep::reports();
    let ours: Vec<_> = reports
        .iter()
        .filter(|r| r.classes().contains(&"reentry::A"))
        .collect();
    assert_eq!(ours.len(), 1, "{reports:#?}");
    assert_eq!(ours[0].kind, ReportKind::CircularDependency);
    assert_eq!(ours[0].classes(), ["reentry::B", "reentry::A"]);
    // The allocator's own lock never shows up in a report: every use of it
    // inside the checker was untracked, every use outside it is a leaf.
    assert!(
        reports
            .iter()
            .all(|r| r.kind == ReportKind::CircularDependency
                && !r.splat().contains("locked_alloc.rs")),
        "{reports:#?}"
    );
    assert!(THROUGH_LOCK.load(Ordering::Relaxed) > 0);
}
