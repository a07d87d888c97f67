//! parking_lot 0.13's guard and lock methods beyond `lock`/`read`/`write`,
//! on lockdep's types: each does what parking_lot's does, and the checker's
//! held stack follows (released when the lock is, held when it is).
// Compiled out (`--cfg lockdep_off`) the same API compiles and locks: the
// lock-behaviour tests run there too, those that assert reports are skipped.

use std::time::Duration;

use lockdep::{
    FairMutex, FairMutexGuard, LockClass, Mutex, MutexGuard, RecursiveRwLock, ReportKind, RwLock,
    RwLockUpgradableReadGuard, RwLockWriteGuard,
};

mod common;
use common::*;

#[test]
fn mutex_guard_fair_unlock_bump_and_unlocked_fair() {
    let m = Mutex::new(1);
    let mut g = m.lock();
    MutexGuard::bump(&mut g);
    assert!(m.is_held());
    let seen = MutexGuard::unlocked_fair(&mut g, || {
        assert!(!m.is_locked());
        assert!(!m.is_held());
        7
    });
    assert_eq!(seen, 7);
    assert!(m.is_held() && m.is_locked());
    MutexGuard::unlock_fair(g);
    assert!(!m.is_held() && !m.is_locked());
}

#[test]
fn mutex_guard_try_map_or_err() {
    let m = Mutex::new(vec![1, 2]);
    let g = m.lock();
    let (g, e) = match MutexGuard::try_map_or_err(g, |v| v.get_mut(9).ok_or("none")) {
        Ok(_) => panic!("index 9 does not exist"),
        Err(back) => back,
    };
    assert_eq!(e, "none");
    let mut mapped = MutexGuard::try_map_or_err(g, |v| v.get_mut(1).ok_or("none"))
        .unwrap_or_else(|_| panic!("index 1 exists"));
    *mapped = 5;
    assert!(m.is_held());
    drop(mapped);
    assert!(!m.is_held());
    assert_eq!(*m.lock(), [1, 5]);
}

#[test]
fn mutex_leak_keeps_it_locked_and_held() {
    let m: &'static Mutex<u8> = Box::leak(Box::new(Mutex::new(3)));
    let data: &'static mut u8 = MutexGuard::leak(m.lock());
    *data += 1;
    assert!(m.is_locked() && m.is_held());
    assert!(m.try_lock().is_none());
    // SAFETY: the leaked guard's lock is ours and `data` is no longer used.
    unsafe { m.force_unlock(Default::default()) };
    assert!(!m.is_locked() && !m.is_held());
    assert_eq!(*m.lock(), 4);
}

#[test]
fn mutex_raw_and_make_guard_unchecked() {
    use parking_lot::lock_api::RawMutex as _;
    let m = Mutex::new(0u32);
    // SAFETY: the raw lock is locked and unlocked only through the guard.
    let g = unsafe {
        let state = m.raw().lock();
        m.make_guard_unchecked(state)
    };
    assert!(m.is_held());
    drop(g);
    assert!(!m.is_held() && !m.is_locked());
    // SAFETY: no guard is live; the pointer is used while nothing else is.
    unsafe { *m.data_ptr() = 9 };
    assert_eq!(*m.lock(), 9);
}

#[test]
#[cfg_attr(lockdep_off, ignore)] // asserts a report
fn fair_mutex_is_checked_like_mutex() {
    static A: LockClass = LockClass::new("fair::A");
    static B: LockClass = LockClass::new("fair::B");
    let a = FairMutex::with_class(0, &A);
    let b = FairMutex::with_class(0, &B);
    run_named("fair-ab", || {
        let _a = a.lock();
        let _b = b.lock();
    });
    run_named("fair-ba", || {
        let mut gb = b.lock();
        FairMutexGuard::bump(&mut gb);
        let _a = a.try_lock_for(Duration::from_millis(5)).unwrap();
        drop(_a);
        let _a = a.lock();
    });
    let found = reports_naming(&["fair::A", "fair::B"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
    let g = a.lock();
    FairMutexGuard::unlock_fair(g);
    assert!(!a.is_held());
    assert_eq!(
        format!("{:?}", a),
        format!("{:?}", parking_lot::FairMutex::new(0))
    );
}

#[test]
fn upgradable_read_methods() {
    let l = RwLock::new(1);
    let u = l.upgradable_read();
    let r = l.read();
    // A reader is in: try_upgrade fails and gives the guard back.
    let u = RwLockUpgradableReadGuard::try_upgrade(u).unwrap_err();
    let u = RwLockUpgradableReadGuard::try_upgrade_for(u, Duration::from_millis(5)).unwrap_err();
    drop(r);
    let mut w = RwLockUpgradableReadGuard::try_upgrade(u).unwrap_or_else(|_| panic!("no reader"));
    *w += 1;
    assert!(l.is_held() && l.is_locked_exclusive());
    let mut u = RwLockWriteGuard::downgrade_to_upgradable(w);
    assert!(!l.is_locked_exclusive() && l.is_held());
    let v = u.with_upgraded(|x| {
        *x += 1;
        *x
    });
    assert_eq!(v, 3);
    assert_eq!(u.try_with_upgraded(|x| *x), Some(3));
    assert_eq!(
        u.try_with_upgraded_for(Duration::from_millis(1), |x| *x),
        Some(3)
    );
    RwLockUpgradableReadGuard::bump(&mut u);
    let w = RwLockUpgradableReadGuard::try_upgrade_until(
        u,
        std::time::Instant::now() + Duration::from_millis(5),
    )
    .unwrap_or_else(|_| panic!("no reader"));
    RwLockWriteGuard::unlock_fair(w);
    assert!(!l.is_held() && !l.is_locked());
}

#[test]
fn rwlock_guard_fair_and_force_unlock() {
    let l = RecursiveRwLock::new(0);
    let mut r = l.read();
    lockdep::RecursiveRwLockReadGuard::bump(&mut r);
    lockdep::RecursiveRwLockReadGuard::unlocked_fair(&mut r, || assert!(!l.is_held()));
    assert!(l.is_held());
    lockdep::RecursiveRwLockReadGuard::unlock_fair(r);
    assert!(!l.is_held());
    std::mem::forget(l.write());
    assert!(l.is_held() && l.is_locked_exclusive());
    // SAFETY: the forgotten write guard's lock is held by this thread.
    unsafe { l.force_unlock_write(Default::default()) };
    assert!(!l.is_held() && !l.is_locked());
}

#[test]
#[cfg_attr(lockdep_off, ignore)] // asserts a report
fn upgrade_cycle_through_with_upgraded_is_reported() {
    static X: LockClass = LockClass::new("withup::X");
    static Y: LockClass = LockClass::new("withup::Y");
    let x = RwLock::with_class(0, &X);
    let y = Mutex::with_class(0, &Y);
    run_named("withup-xy", || {
        let mut u = x.upgradable_read();
        let _y = y.lock();
        u.with_upgraded(|v| *v += 1); // Y held: Y -> X (exclusive)
    });
    run_named("withup-yx", || {
        let _x = x.write();
        let _y = y.lock(); // X -> Y
    });
    let found = reports_naming(&["withup::X", "withup::Y"]);
    assert!(!found.is_empty(), "{found:#?}");
}

#[test]
fn mapped_guards_map_again() {
    let m = Mutex::new((1, [2, 3]));
    let pair = MutexGuard::map(m.lock(), |t| &mut t.1);
    let e = lockdep::MappedMutexGuard::try_map_or_err(pair, |p| p.get_mut(5).ok_or(5));
    let Err((pair, five)) = e else {
        panic!("no index 5")
    };
    assert_eq!(five, 5);
    let mut last = lockdep::MappedMutexGuard::map(pair, |p| &mut p[1]);
    *last = 4;
    assert!(m.is_held());
    drop(last);
    assert!(!m.is_held());
    let l = RwLock::new(vec![1]);
    let r = lockdep::RwLockReadGuard::map(l.read(), |v| v.as_slice());
    let r = lockdep::MappedRwLockReadGuard::try_map(r, |s| s.first())
        .ok()
        .unwrap();
    assert_eq!(*r, 1);
}

#[test]
fn reentrant_mutex_raw_make_guard_unchecked_and_force_unlock() {
    use lockdep::ReentrantMutex;
    let m = ReentrantMutex::new(1);
    std::mem::forget(m.lock());
    std::mem::forget(m.lock());
    assert!(m.is_held() && m.is_owned_by_current_thread());
    // SAFETY: a level whose guard was forgotten is given back, twice.
    unsafe { m.force_unlock() };
    assert!(m.is_held() && m.is_locked(), "one level is still held");
    // SAFETY: as above, the last level.
    unsafe { m.force_unlock_fair() };
    assert!(!m.is_held() && !m.is_locked());

    std::mem::forget(m.lock());
    // SAFETY: this thread holds the forgotten guard's level.
    let g = unsafe { m.make_guard_unchecked() };
    assert_eq!(*g, 1);
    assert!(m.is_held(), "make_guard_unchecked records nothing new");
    drop(g);
    assert!(!m.is_held() && !m.is_locked());
    // SAFETY: only `is_locked`, which changes nothing.
    assert!(!lock_api::RawMutex::is_locked(unsafe { m.raw() }));
}

#[test]
fn mapped_reentrant_guards_map_again_and_unlock_fair() {
    use lockdep::{MappedReentrantMutexGuard as Mapped, ReentrantMutex, ReentrantMutexGuard};
    let m = ReentrantMutex::new((1, [2, 3]));
    let outer = m.lock();
    let pair = ReentrantMutexGuard::map(m.lock(), |t| &t.1);
    let Err((pair, e)) = Mapped::try_map_or_err(pair, |p| p.get(7).ok_or("no 7")) else {
        panic!("no index 7")
    };
    assert_eq!(e, "no 7");
    let pair = Mapped::try_map(pair, |p| p.get(9)).unwrap_err();
    let last = Mapped::map(pair, |p| &p[1]);
    assert_eq!(*last, 3);
    drop(outer);
    assert!(
        m.is_held(),
        "the mapped guard is one of the thread's guards"
    );
    Mapped::unlock_fair(last);
    assert!(!m.is_held() && !m.is_locked());
}

#[test]
fn mapped_guards_unlock_fair_release_the_entry() {
    let m = Mutex::new([1, 2]);
    let first = MutexGuard::map(m.lock(), |a| &mut a[0]);
    lockdep::MappedMutexGuard::unlock_fair(first);
    assert!(!m.is_held() && !m.is_locked());
    let l = RwLock::new(vec![1]);
    let w = RwLockWriteGuard::map(l.write(), |v| &mut v[0]);
    lockdep::MappedRwLockWriteGuard::unlock_fair(w);
    assert!(!l.is_held() && !l.is_locked());
    let r = lockdep::RwLockReadGuard::map(l.read(), |v| &v[0]);
    lockdep::MappedRwLockReadGuard::unlock_fair(r);
    assert!(!l.is_held() && !l.is_locked());
}

#[test]
fn rwlock_make_guards_unchecked_record_in_the_mode_taken() {
    use lock_api::{RawRwLock as _, RawRwLockUpgrade as _};
    static R: LockClass = LockClass::new("make::R");
    let l = RwLock::with_class(0, &R);
    // SAFETY: each raw acquisition is handed to exactly one guard.
    let w = unsafe { l.make_write_guard_unchecked(l.raw().lock_exclusive()) };
    assert!(l.is_held() && l.is_locked_exclusive());
    drop(w);
    assert!(!l.is_held() && !l.is_locked());
    // SAFETY: as above.
    let u = unsafe { l.make_upgradable_guard_unchecked(l.raw().lock_upgradable()) };
    let w = RwLockUpgradableReadGuard::upgrade(u);
    drop(w);
    assert!(!l.is_held() && !l.is_locked());
    // A read recorded by make_read_guard_unchecked is a non-recursive read:
    // reading the lock again on this thread is reported.
    // SAFETY: as above.
    let r1 = unsafe { l.make_read_guard_unchecked(l.raw().lock_shared()) };
    assert!(l.is_held());
    let r2 = l.read();
    drop((r1, r2));
    assert!(!l.is_held() && !l.is_locked());
    if cfg!(lockdep_off) {
        return; // the rest asserts a report
    }
    let found = reports_naming(&["make::R"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::RecursiveLocking);
}

#[test]
fn from_raw_and_into_inner_with_raw() {
    use lock_api::{RawMutex as _, RawRwLock as _};
    let m = Mutex::from_raw(parking_lot::RawMutex::INIT, 5);
    let line = line!() - 1;
    *m.lock() += 1;
    if !cfg!(lockdep_off) {
        let class = m.lock_map().class_name();
        assert!(class.contains(&format!("{}:{line}:", file!())), "{class}");
    }
    let (raw, value) = m.into_inner_with_raw();
    assert_eq!(value, 6);
    assert!(!raw.is_locked());

    let l = RwLock::from_raw(parking_lot::RawRwLock::INIT, 1);
    assert_eq!(*l.read(), 1);
    let (raw, value) = l.into_inner_with_raw();
    assert!(!raw.is_locked() && value == 1);

    let r = lockdep::ReentrantMutex::from_raw(
        parking_lot::RawMutex::INIT,
        lock_api::GetThreadId::INIT,
        2,
    );
    let (a, b) = (r.lock(), r.lock());
    assert_eq!(*a + *b, 4);
    drop((a, b));
    assert!(!r.is_held());
    let (raw, _, value) = r.into_inner_with_raw();
    assert!(!raw.is_locked() && value == 2);
}

/// A lock built by the standard library (`Arc::default`) in a crate whose
/// name starts with `parking_lot` (this test file is `parking_lot_api`) is
/// still classed at the user's line: only `parking_lot::` frames are
/// parking_lot's own.
#[test]
#[cfg_attr(lockdep_off, ignore)] // asserts class names
fn default_site_in_a_crate_named_parking_lot_something() {
    let m: std::sync::Arc<lockdep::Mutex<u8>> = Default::default();
    let line = line!() - 1;
    let name = m.lock_map().class_name();
    assert!(
        name.contains(&format!("{}:{line}:", file!())),
        "{name} should be built on line {line}"
    );
}

/// `Condvar::raw` is parking_lot's raw condvar (lock_api's `raw`), in both builds.
#[test]
fn condvar_raw_is_parking_lots() {
    let c = lockdep::Condvar::new();
    let raw: &parking_lot::RawCondvar = c.raw();
    assert!(!lock_api::RawCondvar::notify_one(raw), "nobody waits");
}
