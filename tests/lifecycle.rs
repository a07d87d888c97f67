//! Lock object and thread lifecycle problems: a held lock freed, an unlock
//! of something not held, a thread exiting with locks held, a nest lock not
//! held (kernel-lockdep.md §6.3, §6.6, §6.7, §6.9).
//!
//! Each test uses its own classes and only looks at reports naming them.

// Compiled out, a lock has no `Drop` of its own: these tests drop locks on
// purpose (and are ignored in that build).
#![cfg_attr(lockdep_off, allow(clippy::drop_non_drop))]

mod common;
use common::*;

use std::mem;
use std::thread;

use lockdep::{LockClass, LockMap, Mode, Mutex, ReportKind, RwLock};

fn this_thread_name() -> String {
    thread::current().name().unwrap_or("<unnamed>").to_owned()
}

// ===== held lock freed =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn forgotten_guard_then_dropped_mutex_is_held_lock_freed() {
    static C: LockClass = LockClass::new("life::freed-mutex");
    let m = Mutex::with_class(5u32, &C);
    mem::forget(m.lock());
    assert!(m.is_held());
    drop(m);
    let found = reports_naming(&["life::freed-mutex"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let r = &found[0];
    assert_eq!(r.kind, ReportKind::HeldLockFreed);
    assert_eq!(r.classes(), ["life::freed-mutex"]);
    assert_eq!(
        r.acquiring.as_ref().unwrap().class.name,
        "life::freed-mutex"
    );
    assert_eq!(r.thread.name, this_thread_name());
    // The freed lock is listed among the locks held at the time.
    assert_eq!(r.held.len(), 1);
    assert_eq!(r.held[0].instance, r.acquiring.as_ref().unwrap().instance);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn freed_lock_leaves_the_held_stack() {
    // After the report the entry is gone: a new lock of the same class is
    // not "recursive locking", and nothing is left to report at thread exit.
    static C: LockClass = LockClass::new("life::freed-then-reuse");
    static OTHER: LockClass = LockClass::new("life::freed-then-other");
    run_named("freed-reuse", || {
        let m = Mutex::with_class((), &C);
        mem::forget(m.lock());
        drop(m);
        let m2 = Mutex::with_class((), &C);
        let _g = m2.lock();
        let o = Mutex::with_class((), &OTHER);
        let _h = o.lock();
    });
    let found = reports_naming(&["life::freed-then-reuse", "life::freed-then-other"]);
    assert_eq!(found.len(), 1, "only the freed report: {found:#?}");
    assert_eq!(found[0].kind, ReportKind::HeldLockFreed);
    assert!(!lockdep::graph().has_edge("life::freed-then-reuse", "life::freed-then-reuse"));
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn into_inner_of_a_held_rwlock_is_held_lock_freed() {
    static C: LockClass = LockClass::new("life::freed-rwlock");
    let l = RwLock::with_class(vec![1, 2], &C);
    mem::forget(l.read());
    let v = l.into_inner();
    assert_eq!(v, [1, 2]);
    let found = reports_naming(&["life::freed-rwlock"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::HeldLockFreed);
    assert_eq!(found[0].acquiring.as_ref().unwrap().mode, Mode::Read);
}

#[test]
fn dropping_an_unheld_lock_is_fine() {
    static C: LockClass = LockClass::new("life::dropped-unheld");
    let m = Mutex::with_class(0u8, &C);
    *m.lock() += 1;
    drop(m);
    let never_used = Mutex::with_class(0u8, &C);
    drop(never_used);
    assert!(reports_naming(&["life::dropped-unheld"]).is_empty());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn lock_held_by_another_thread_dropped_here_is_not_this_threads_problem() {
    // debug_check_no_locks_freed checks the *current* task's held locks only.
    // The other thread forgets its guard and exits (that is its own report,
    // locks held at exit); dropping the object here reports nothing more.
    static C: LockClass = LockClass::new("life::freed-elsewhere");
    let m = std::sync::Arc::new(Mutex::with_class((), &C));
    let m2 = m.clone();
    run_named("forgetter", move || mem::forget(m2.lock()));
    drop(std::sync::Arc::into_inner(m).expect("sole owner"));
    let found = reports_naming(&["life::freed-elsewhere"]);
    let kinds: Vec<ReportKind> = found.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [ReportKind::LocksHeldAtExit], "{found:#?}");
    assert_eq!(found[0].thread.name, "forgetter");
}

// ===== bad unlock balance =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn unlock_of_a_map_not_held_is_bad_unlock_balance() {
    static MAP: LockMap = LockMap::new("life::never-held");
    let ((), line) = (MAP.unlock(), line!());
    let found = reports_naming(&["life::never-held"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let r = &found[0];
    assert_eq!(r.kind, ReportKind::BadUnlockBalance);
    assert_eq!(r.classes(), ["life::never-held"]);
    assert!(r.holding.is_none());
    assert!(r.held.is_empty());
    assert_eq!(r.thread.name, this_thread_name());
    let at = r.location.as_deref().unwrap();
    assert!(at.starts_with(&format!("{}:{}:", file!(), line)), "{at}");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn double_unlock_is_bad_unlock_balance() {
    static MAP: LockMap = LockMap::new("life::double-unlock");
    static OTHER: LockMap = LockMap::new("life::double-unlock-other");
    let _other = OTHER.acquire();
    assert!(MAP.lock(Mode::Exclusive, 0, None));
    MAP.unlock();
    assert!(reports_naming(&["life::double-unlock"]).is_empty());
    MAP.unlock();
    let found = reports_naming(&["life::double-unlock"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::BadUnlockBalance);
    // The report lists what the thread does hold.
    let held: Vec<&str> = found[0]
        .held
        .iter()
        .map(|l| l.class.name.as_str())
        .collect();
    assert_eq!(held, ["life::double-unlock-other"]);
    // The unbalanced unlock did not disturb the held stack.
    assert!(OTHER.is_held());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn unlock_on_another_thread_is_bad_unlock_balance_there() {
    // The held stack is per thread: releasing on a thread that did not acquire.
    static MAP: LockMap = LockMap::new("life::cross-thread-unlock");
    assert!(MAP.lock(Mode::Exclusive, 0, None));
    run_named("releaser", || MAP.unlock());
    assert!(MAP.is_held(), "still held by this thread");
    MAP.unlock();
    let found = reports_naming(&["life::cross-thread-unlock"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::BadUnlockBalance);
    assert_eq!(found[0].thread.name, "releaser");
}

// ===== locks held at thread exit =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn thread_exiting_with_a_lockmap_held_reports_locks_held_at_exit() {
    static MAP: LockMap = LockMap::new("life::held-at-exit");
    let (id, line) = run_named("leaky-worker", || {
        assert!(!MAP.is_held());
        let (recorded, line) = (MAP.lock(Mode::Exclusive, 0, None), line!());
        assert!(recorded);
        (lockdep::report::ThreadInfo::current().id, line)
    });
    let found = reports_naming(&["life::held-at-exit"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let r = &found[0];
    assert_eq!(r.kind, ReportKind::LocksHeldAtExit);
    assert_eq!(r.thread.name, "leaky-worker");
    assert_eq!(r.thread.id, id);
    assert_eq!(r.held.len(), 1);
    assert_eq!(r.held[0].class.name, "life::held-at-exit");
    assert!(
        r.held[0]
            .location
            .starts_with(&format!("{}:{}:", file!(), line)),
        "{}",
        r.held[0].location
    );
    // The exiting thread's held stack is not this thread's.
    assert!(!MAP.is_held());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn thread_exiting_with_several_locks_lists_them_in_order() {
    static M1: LockMap = LockMap::new("life::exit-1");
    static M2: LockMap = LockMap::new("life::exit-2");
    run_named("leaky-two", || {
        M1.lock(Mode::Exclusive, 0, None);
        M2.lock(Mode::Read, 0, None);
    });
    let found = reports_naming(&["life::exit-1", "life::exit-2"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::LocksHeldAtExit);
    let held: Vec<(&str, Mode)> = found[0]
        .held
        .iter()
        .map(|l| (l.class.name.as_str(), l.mode))
        .collect();
    assert_eq!(
        held,
        [
            ("life::exit-1", Mode::Exclusive),
            ("life::exit-2", Mode::Read)
        ]
    );
}

#[test]
fn thread_exiting_after_releasing_everything_is_fine() {
    static MAP: LockMap = LockMap::new("life::exit-clean");
    thread::spawn(|| {
        let recorded = MAP.lock(Mode::Exclusive, 0, None);
        MAP.release_if(recorded);
        let _g = MAP.acquire();
    })
    .join()
    .unwrap();
    assert!(reports_naming(&["life::exit-clean"]).is_empty());
}

// ===== nest lock not held =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn nest_lock_not_held_is_reported() {
    static NEST: LockMap = LockMap::new("life::nest");
    static ITEM: LockMap = LockMap::new("life::nested-item");
    assert!(ITEM.lock(Mode::Exclusive, 0, Some(&NEST)));
    ITEM.unlock();
    let found = reports_naming(&["life::nested-item"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let r = &found[0];
    assert_eq!(r.kind, ReportKind::NestLockNotHeld);
    assert_eq!(
        r.acquiring.as_ref().unwrap().class.name,
        "life::nested-item"
    );
    let note = r.note.as_deref().unwrap();
    assert!(note.ends_with("(life::nest)"), "{note}");
    assert!(r.splat().contains("but this task is not holding:"));
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn nest_lock_held_is_fine() {
    static NEST: LockMap = LockMap::new("life::nest-ok");
    static ITEM: LockMap = LockMap::new("life::nested-item-ok");
    let _n = NEST.acquire();
    assert!(ITEM.lock(Mode::Exclusive, 0, Some(&NEST)));
    ITEM.unlock();
    assert!(reports_naming(&["life::nest-ok", "life::nested-item-ok"]).is_empty());
}

// ===== each problem once =====

/// The checker goes on validating after a report, and reports each problem
/// (its kind and classes, `Report::fingerprint`) once per process
/// (docs/ci.md): a repeated misuse, or the same one on another thread, adds
/// no report.
#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn the_same_problem_is_reported_once() {
    static UNBALANCED: LockMap = LockMap::new("life::once-unbalanced");
    static LEAKED: LockMap = LockMap::new("life::once-leaked");
    for _ in 0..3 {
        UNBALANCED.unlock();
    }
    for name in ["once-leaky-1", "once-leaky-2"] {
        run_named(name, || LEAKED.lock(Mode::Exclusive, 0, None));
    }
    let found = reports_naming(&["life::once-unbalanced"]);
    let kinds: Vec<ReportKind> = found.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [ReportKind::BadUnlockBalance], "{found:#?}");
    let found = reports_naming(&["life::once-leaked"]);
    let kinds: Vec<ReportKind> = found.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [ReportKind::LocksHeldAtExit], "{found:#?}");
    assert_eq!(
        found[0].thread.name, "once-leaky-1",
        "the first one is kept"
    );
}
