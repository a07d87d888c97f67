//! `ReentrantMutex`: the same mutex again on its thread is a count (one
//! held entry, released with the last guard in any order); another mutex of
//! the class is recursive locking; ABBA between reentrant mutexes is found.
// Compiled out (`--cfg lockdep_off`) the same API compiles and locks: the
// lock-behaviour tests run there too, those that assert reports are skipped.

use std::cell::Cell;

use lockdep::{LockClass, ReentrantMutex, ReentrantMutexGuard, ReportKind};

mod common;
use common::*;

#[test]
fn same_instance_again_is_a_count_not_a_report() {
    static C: LockClass = LockClass::new("remutex::same");
    let m = ReentrantMutex::with_class(Cell::new(0), &C);
    let a = m.lock();
    let b = m.lock();
    let c = m.try_lock().expect("the owner may always re-enter");
    assert!(m.is_held());
    c.set(3);
    // Out of order: the outermost guard first; still held until the last.
    drop(a);
    assert!(m.is_held() && m.is_locked());
    let Err((b, _)) = ReentrantMutexGuard::try_map_or_err(b, |_| Err::<&u8, _>(())) else {
        panic!("mapping failed on purpose")
    };
    let mapped = ReentrantMutexGuard::map(b, |cell| cell);
    drop(c);
    assert!(m.is_held());
    assert_eq!(mapped.get(), 3);
    drop(mapped);
    assert!(!m.is_held() && !m.is_locked());
    assert!(reports_naming(&["remutex::same"]).is_empty());
    assert_eq!(
        format!("{m:?}"),
        format!("{:?}", parking_lot::ReentrantMutex::new(Cell::new(3)))
    );
}

#[test]
#[cfg_attr(lockdep_off, ignore)] // asserts a report
fn another_instance_of_the_class_is_recursive_locking() {
    static C: LockClass = LockClass::new("remutex::other");
    let m1 = ReentrantMutex::with_class((), &C);
    let m2 = ReentrantMutex::with_class((), &C);
    run_named("remutex-other", || {
        let _a = m1.lock();
        let _b = m2.lock();
    });
    let found = reports_naming(&["remutex::other"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::RecursiveLocking);
}

#[test]
#[cfg_attr(lockdep_off, ignore)] // asserts a report
fn abba_between_reentrant_mutexes_is_reported_once() {
    static A: LockClass = LockClass::new("remutex::A");
    static B: LockClass = LockClass::new("remutex::B");
    let a = ReentrantMutex::with_class((), &A);
    let b = ReentrantMutex::with_class((), &B);
    run_named("remutex-ab", || {
        let _a = a.lock();
        let _a2 = a.lock(); // nested: no A -> A edge, no report
        let _b = b.lock();
    });
    run_named("remutex-ba", || {
        let _b = b.lock();
        let _a = a.lock();
    });
    let found = reports_naming(&["remutex::A", "remutex::B"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
    assert!(!lockdep::graph().has_edge("remutex::A", "remutex::A"));
}

#[test]
fn unlock_fair_and_try_lock_from_another_thread() {
    let m = ReentrantMutex::new(1);
    let g = m.lock();
    std::thread::scope(|s| {
        s.spawn(|| assert!(m.try_lock().is_none()));
    });
    ReentrantMutexGuard::unlock_fair(g);
    assert!(!m.is_held() && !m.is_locked());
    std::thread::scope(|s| {
        s.spawn(|| assert_eq!(*m.try_lock().unwrap(), 1));
    });
}

#[test]
fn bump_and_unlocked_follow_the_count() {
    let m = ReentrantMutex::new(0);
    let mut outer = m.lock();
    {
        let mut inner = m.lock();
        ReentrantMutexGuard::bump(&mut inner);
        ReentrantMutexGuard::unlocked(&mut inner, || assert!(m.is_owned_by_current_thread()));
        assert!(m.is_held());
    }
    ReentrantMutexGuard::unlocked_fair(&mut outer, || {
        assert!(!m.is_held() && !m.is_locked());
        std::thread::scope(|s| {
            s.spawn(|| *m.lock());
        });
    });
    assert!(m.is_held());
    ReentrantMutexGuard::bump(&mut outer);
    drop(outer);
    assert!(!m.is_held() && !m.is_locked());
}

/// `Default` of `ReentrantMutex` and `SeqCount` resolves the user's site when
/// the standard library builds the lock, as every other lock's does.
#[test]
#[cfg_attr(lockdep_off, ignore)] // asserts class names
fn reentrant_mutex_and_seqcount_built_by_arc_default_get_user_sites() {
    use std::sync::Arc;
    let a: Arc<lockdep::ReentrantMutex<u8>> = Default::default();
    let line_a = line!() - 1;
    let b: Arc<lockdep::ReentrantMutex<u8>> = Default::default();
    let line_b = line!() - 1;
    let s: Arc<lockdep::SeqCount> = Default::default();
    let line_s = line!() - 1;
    for (name, line) in [
        (a.lock_map().class_name(), line_a),
        (b.lock_map().class_name(), line_b),
        (s.lock_map().class_name(), line_s),
    ] {
        assert!(
            name.contains(&format!("{}:{line}:", file!())),
            "{name} should be built on line {line}"
        );
        assert!(!name.contains("library/"), "{name}");
    }
    assert_ne!(a.lock_map().class_name(), b.lock_map().class_name());
}
