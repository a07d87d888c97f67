//! Guards released on another thread (feature `send_guard`): the release is
//! posted to the owner's held stack, which applies it before its next lock
//! event, so there is no bad-unlock report and no stale dependency.
//!
//! Run with `cargo test --features send_guard --test send_guard` (`.ci/run`
//! does).
#![cfg(feature = "send_guard")]

mod common;

use std::thread;

use common::reports_naming;
use lockdep::{LockClass, Mutex, RwLock};

fn assert_send<T: Send>(_: &T) {}

#[test]
fn a_guard_dropped_on_another_thread_leaves_the_owner_clean() {
    static A: LockClass = LockClass::new("sg::A");
    static B: LockClass = LockClass::new("sg::B");
    let a = Mutex::with_class(1u32, &A);
    let b = Mutex::with_class(2u32, &B);
    let guard = a.lock();
    assert_send(&guard);
    assert!(a.is_held());
    thread::scope(|s| {
        s.spawn(move || {
            assert_eq!(*guard, 1);
            drop(guard); // released on a thread that never took it
        });
    });
    // The owner applies the posted release at its next lock event: `a` is no
    // longer held, so taking `b` records no `a -> b` dependency.
    assert!(!a.is_held());
    drop(b.lock());
    assert!(!lockdep::graph().has_edge("sg::A", "sg::B"));
    assert!(reports_naming(&["sg::A", "sg::B"]).is_empty());
    // The lock really is free and usable again on the owner.
    *a.lock() += 1;
    assert_eq!(*a.lock(), 2);
}

#[test]
#[cfg_attr(lockdep_off, ignore)] // asserts a report
fn without_the_foreign_release_the_dependency_is_recorded() {
    // Control: the same sequence with the guard dropped by its owner.
    static A: LockClass = LockClass::new("sg-ctl::A");
    static B: LockClass = LockClass::new("sg-ctl::B");
    let a = Mutex::with_class((), &A);
    let b = Mutex::with_class((), &B);
    let guard = a.lock();
    drop(b.lock());
    drop(guard);
    assert!(lockdep::graph().has_edge("sg-ctl::A", "sg-ctl::B"));
}

#[test]
fn rwlock_guards_move_downgrade_and_drop_on_another_thread() {
    static L: LockClass = LockClass::new("sg::rw");
    let l = RwLock::with_class(0u32, &L);
    let w = l.write();
    thread::scope(|s| {
        s.spawn(move || {
            let r = lockdep::RwLockWriteGuard::downgrade(w);
            assert_eq!(*r, 0);
        });
    });
    assert!(!l.is_held());
    // A second read by this thread: of another (recursive) lock of the
    // class, since the task-fair `RwLock` must not be read twice by one thread.
    let l2 = lockdep::RecursiveRwLock::with_class(0u32, &L);
    let r1 = l.read();
    let r2 = l2.read();
    thread::scope(|s| {
        s.spawn(move || drop(r2));
    });
    assert!(l.is_held(), "r1 is still held by this thread");
    assert!(!l2.is_held());
    drop(r1);
    assert!(!l.is_held());
    assert!(reports_naming(&["sg::rw"]).is_empty());
}

#[test]
#[cfg_attr(lockdep_off, ignore)] // asserts a report
fn an_inversion_is_still_found_on_the_owners() {
    static C: LockClass = LockClass::new("sg::C");
    static D: LockClass = LockClass::new("sg::D");
    let c = Mutex::with_class((), &C);
    let d = Mutex::with_class((), &D);
    {
        let _c = c.lock();
        let _d = d.lock();
    }
    let gd = d.lock();
    drop(c.lock());
    thread::scope(|s| {
        s.spawn(move || drop(gd));
    });
    let found = reports_naming(&["sg::C", "sg::D"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, lockdep::ReportKind::CircularDependency);
    assert_eq!(found[0].classes(), ["sg::D", "sg::C"]);
}
