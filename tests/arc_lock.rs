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
#[cfg_attr(lockdep_off, ignore)] // asserts a report
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

#[test]
fn arc_guards_unlocked_bump_and_into_arc_fair() {
    let m = Arc::new(Mutex::new(1));
    let mut g = m.lock_arc();
    let seen = ArcMutexGuard::unlocked(&mut g, || {
        assert!(!m.is_locked() && !m.is_held());
        2
    });
    assert_eq!(seen, 2);
    assert!(m.is_locked() && m.is_held());
    ArcMutexGuard::unlocked_fair(&mut g, || assert!(!m.is_held()));
    ArcMutexGuard::bump(&mut g);
    *g += 1;
    assert!(m.is_held());
    assert_eq!(format!("{g}"), "2");
    let back = ArcMutexGuard::into_arc_fair(g);
    assert!(!m.is_held() && !m.is_locked());
    assert!(Arc::ptr_eq(&back, &m));

    let l = Arc::new(RwLock::new(0));
    let mut r = l.read_arc();
    lockdep::ArcRwLockReadGuard::unlocked(&mut r, || assert!(!l.is_locked()));
    lockdep::ArcRwLockReadGuard::bump(&mut r);
    assert!(l.is_held());
    drop(lockdep::ArcRwLockReadGuard::into_arc_fair(r));
    assert!(!l.is_held() && !l.is_locked());
    // SAFETY: the raw lock is taken once and handed to the guard.
    let w = unsafe {
        let state = lock_api::RawRwLock::lock_exclusive(l.raw());
        l.make_arc_write_guard_unchecked(state)
    };
    assert!(l.is_held() && l.is_locked_exclusive());
    drop(w);
    assert!(!l.is_held() && !l.is_locked());
}

/// `unlocked` re-takes the lock as a new acquisition: re-taking A while
/// holding B is B -> A, against the A -> B taken before.
#[test]
#[cfg_attr(lockdep_off, ignore)] // asserts a report
fn arc_unlocked_revalidates_the_relock() {
    static A: LockClass = LockClass::new("arcunl::A");
    static B: LockClass = LockClass::new("arcunl::B");
    let a = Arc::new(Mutex::with_class((), &A));
    let b = Mutex::with_class((), &B);
    run_named("arcunl", || {
        let mut ga = a.lock_arc();
        let _gb = b.lock(); // A -> B
        ArcMutexGuard::unlocked(&mut ga, || ()); // B held: B -> A
    });
    let found = reports_for(ReportKind::CircularDependency, &["arcunl::A", "arcunl::B"]);
    assert_eq!(found.len(), 1, "{found:#?}");
}

/// A downgraded Arc write guard is a read in the lock's read mode: on a
/// `RecursiveRwLock` a recursive read, which may be taken again.
#[test]
fn arc_write_downgrade_changes_the_mode() {
    use lockdep::{ArcRecursiveRwLockWriteGuard as W, RecursiveRwLock};
    static R: LockClass = LockClass::new("arcdown::R");
    let l = Arc::new(RecursiveRwLock::with_class(1, &R));
    let r = W::downgrade(l.write_arc());
    assert!(l.try_write_arc().is_none() && l.is_held());
    let again = l.read(); // recursive read after a recursive read: fine
    assert_eq!(*r + *again, 2);
    drop((r, again));
    let u = W::downgrade_to_upgradable(l.write_arc());
    assert!(!l.is_locked_exclusive() && l.is_held());
    drop(u);
    assert!(!l.is_held() && !l.is_locked());
    assert!(reports_naming(&["arcdown::R"]).is_empty());

    if cfg!(lockdep_off) {
        return; // the rest asserts a report
    }
    // The same on a task-fair RwLock: a non-recursive read, reported when
    // read again.
    static F: LockClass = LockClass::new("arcdown::F");
    let f = Arc::new(RwLock::with_class(1, &F));
    let r = ArcRwLockWriteGuard::downgrade(f.write_arc());
    let again = f.read();
    drop((r, again));
    let found = reports_naming(&["arcdown::F"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::RecursiveLocking);
}

#[test]
fn arc_upgradable_timed_and_try_with_upgraded() {
    use lockdep::ArcRwLockUpgradableReadGuard as U;
    let l = Arc::new(RwLock::new(0));
    let mut u = l.upgradable_read_arc();
    assert_eq!(
        u.try_with_upgraded(|v| {
            *v += 1;
            *v
        }),
        Some(1)
    );
    assert_eq!(
        u.try_with_upgraded_for(Duration::from_millis(5), |v| *v),
        Some(1)
    );
    let reader = l.read_arc();
    assert_eq!(
        u.try_with_upgraded_until(std::time::Instant::now() + Duration::from_millis(5), |v| *v),
        None,
        "a reader is in"
    );
    let u = U::try_upgrade_for(u, Duration::from_millis(5)).unwrap_err();
    assert!(l.is_held() && !l.is_locked_exclusive());
    drop(reader);
    let mut w = U::try_upgrade_until(u, std::time::Instant::now() + Duration::from_secs(5))
        .unwrap_or_else(|_| panic!("no reader left"));
    *w += 1;
    assert!(l.is_locked_exclusive() && l.is_held());
    drop(w);
    let mut u = l.upgradable_read_arc();
    U::bump(&mut u);
    U::unlocked(&mut u, || assert!(!l.is_locked()));
    U::unlock_fair(u);
    assert!(!l.is_held() && !l.is_locked());
    assert_eq!(*l.read(), 2);
}

#[test]
fn arc_reentrant_guards_count_like_borrowed_ones() {
    use lockdep::{ArcReentrantMutexGuard as G, ReentrantMutex};
    static M: LockClass = LockClass::new("arcre::M");
    let m = Arc::new(ReentrantMutex::with_class(std::cell::Cell::new(1), &M));
    let outer = m.lock_arc();
    let mut inner = m.try_lock_arc().expect("same thread: a count");
    inner.set(2);
    G::unlocked(&mut inner, || {
        assert!(m.is_held(), "the outer level holds it")
    });
    drop(outer);
    assert!(m.is_held());
    G::bump(&mut inner);
    G::unlocked_fair(&mut inner, || assert!(!m.is_held() && !m.is_locked()));
    assert!(m.is_held() && m.is_owned_by_current_thread());
    assert_eq!(format!("{:?}", inner), "Cell { value: 2 }");
    let back = G::into_arc(inner);
    assert!(!m.is_held() && !m.is_locked());
    G::unlock_fair(back.try_lock_arc_for(Duration::from_millis(5)).unwrap());
    std::mem::forget(m.lock_arc());
    // SAFETY: this thread holds the forgotten guard's level.
    let g = unsafe { m.make_arc_guard_unchecked() };
    assert!(m.is_held());
    drop(G::into_arc_fair(g));
    assert!(!m.is_held() && !m.is_locked());

    if cfg!(lockdep_off) {
        return; // the rest asserts a report
    }
    // Another mutex of the class, taken while holding this one: recursive locking.
    let other = Arc::new(ReentrantMutex::with_class(std::cell::Cell::new(0), &M));
    run_named("arcre", || {
        let _a = m.lock_arc();
        let _b = other.lock_arc();
    });
    let found = reports_naming(&["arcre::M"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::RecursiveLocking);
}

/// Compiles only if `T` is not `Send` (two impls would apply otherwise).
trait NotSend<A> {
    fn check() {}
}
impl<T: ?Sized> NotSend<()> for T {}
impl<T: ?Sized + Send> NotSend<u8> for T {}

/// Arc guards are `Send` exactly when parking_lot's are: with `send_guard`,
/// except the reentrant one, which never is (its mutex is owned by a thread).
#[test]
fn arc_guards_are_send_as_parking_lots() {
    <lockdep::ArcReentrantMutexGuard<u8> as NotSend<_>>::check();
    #[cfg(not(feature = "send_guard"))]
    {
        <ArcMutexGuard<u8> as NotSend<_>>::check();
        <ArcRwLockWriteGuard<u8> as NotSend<_>>::check();
        <lockdep::ArcRwLockUpgradableReadGuard<u8> as NotSend<_>>::check();
    }
    #[cfg(feature = "send_guard")]
    {
        fn is_send<T: Send>() {}
        is_send::<ArcMutexGuard<u8>>();
        is_send::<lockdep::ArcRwLockReadGuard<u8>>();
    }
}
