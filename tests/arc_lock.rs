//! Feature `arc_lock`: `'static` guards through an `Arc`, validated and
//! released like the borrowed ones.
#![cfg(feature = "arc_lock")]

use std::sync::Arc;
use std::time::Duration;

use lockdep::{ArcMutexGuard, ArcRwLockWriteGuard, LockClass, Mutex, ReportKind, RwLock};

mod common;
use common::*;

/// A guard that outlives every borrow: stored in a struct with no lifetime.
struct Holder {
    guard: Option<ArcMutexGuard<Vec<u8>>>,
}

#[test]
fn arc_guards_lock_release_and_hold_in_the_checker() {
    let m = Arc::new(Mutex::new(vec![1u8]));
    let mut h = Holder {
        guard: Some(m.lock_arc()),
    };
    h.guard.as_mut().unwrap().push(2);
    assert!(m.is_held() && m.is_locked());
    let other_thread_got_it = std::thread::scope(|s| {
        s.spawn(|| m.try_lock_arc_for(Duration::from_millis(5)).is_some())
            .join()
            .unwrap()
    });
    assert!(!other_thread_got_it);
    let back = ArcMutexGuard::into_arc(h.guard.take().unwrap());
    assert!(!m.is_held() && !m.is_locked());
    assert_eq!(*back.lock(), [1, 2]);
    assert_eq!(format!("{:?}", m.lock_arc()), "[1, 2]");

    let l = Arc::new(RwLock::new(5));
    let r1 = l.read_arc();
    let r2 = l.try_read_arc().expect("no writer");
    assert!(l.try_write_arc().is_none());
    assert_eq!(*r1 + *r2, 10);
    drop((r1, r2));
    let mut w = l.write_arc();
    *w += 1;
    assert!(l.is_held());
    ArcRwLockWriteGuard::unlock_fair(w);
    assert!(!l.is_held() && !l.is_locked());
}

#[test]
fn arc_acquisitions_make_dependencies() {
    static A: LockClass = LockClass::new("arc::A");
    static B: LockClass = LockClass::new("arc::B");
    let a = Arc::new(Mutex::with_class((), &A));
    let b = Arc::new(RwLock::with_class((), &B));
    run_named("arc-ab", || {
        let _a = a.lock_arc();
        let _b = b.write_arc();
    });
    run_named("arc-ba", || {
        let _b = b.read_arc();
        let _a = a.lock_arc();
    });
    let found = reports_naming(&["arc::A", "arc::B"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
}

#[test]
fn arc_upgradable_guards() {
    use lockdep::ArcRwLockUpgradableReadGuard as U;
    // parking_lot's test_issue_430, checked.
    let lock = Arc::new(RwLock::new(0));
    let mut rl = lock.upgradable_read_arc();
    rl.with_upgraded(|v| *v += 1);
    rl.with_upgraded(|v| *v += 1);
    assert!(lock.is_held() && !lock.is_locked_exclusive());
    let r2 = lock.try_read_arc().expect("upgradable admits readers");
    let Err(rl) = U::try_upgrade(rl) else {
        panic!("a reader is in")
    };
    drop(r2);
    let w = U::upgrade(rl);
    assert!(lock.is_locked_exclusive());
    drop(w);
    let r = U::downgrade(lock.try_upgradable_read_arc().unwrap());
    assert_eq!(*r, 2);
    drop(r);
    assert!(!lock.is_held() && !lock.is_locked());
}

/// Compiles only if `T` is not `Sync` (two impls would apply otherwise).
trait NotSync<A> {
    fn check() {}
}
impl<T: ?Sized> NotSync<()> for T {}
impl<T: ?Sized + Sync> NotSync<u8> for T {}

#[test]
fn an_arc_guard_of_non_sync_data_is_not_sync() {
    // `Mutex<Cell<_>>` is `Sync`, but a shared guard would hand out `&Cell`.
    <ArcMutexGuard<std::cell::Cell<u8>> as NotSync<_>>::check();
    <lockdep::ArcFairMutexGuard<std::cell::Cell<u8>> as NotSync<_>>::check();
}
