//! `Debug` output is exactly parking_lot's (for `lockdep::*`) and std's (for
//! `lockdep::stdsync::*`): each value is printed next to the real one, in
//! the same state, with `{:?}` and `{:#?}`.

use std::panic::{AssertUnwindSafe, catch_unwind};

fn both<A: std::fmt::Debug, B: std::fmt::Debug>(theirs: &A, ours: &B) {
    assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
    assert_eq!(format!("{ours:#?}"), format!("{theirs:#?}"));
}

#[test]
fn mutex_matches_parking_lot() {
    let (p, l) = (
        parking_lot::Mutex::new(vec![0, 10]),
        lockdep::Mutex::new(vec![0, 10]),
    );
    both(&p, &l);
    assert_eq!(format!("{l:?}"), "Mutex { data: [0, 10] }");
    {
        let (gp, gl) = (p.lock(), l.lock());
        both(&p, &l);
        assert_eq!(format!("{l:?}"), "Mutex { data: <locked> }");
        both(&gp, &gl);
        assert_eq!(format!("{gl:?}"), "[0, 10]");
    }
    let mp = parking_lot::MutexGuard::map(p.lock(), |v| &mut v[1]);
    let ml = lockdep::MutexGuard::map(l.lock(), |v| &mut v[1]);
    both(&mp, &ml);
    assert_eq!(format!("{}", *ml), "10");
}

#[test]
fn rwlock_matches_parking_lot() {
    let (p, l) = (parking_lot::RwLock::new("x"), lockdep::RwLock::new("x"));
    both(&p, &l);
    {
        let (rp, rl) = (p.read(), l.read());
        both(&p, &l); // read-locked: still printed
        both(&rp, &rl);
    }
    {
        let (wp, wl) = (p.write(), l.write());
        both(&p, &l);
        assert_eq!(format!("{l:?}"), "RwLock { data: <locked> }");
        both(&wp, &wl);
    }
    {
        let (up, ul) = (p.upgradable_read(), l.upgradable_read());
        both(&p, &l);
        both(&up, &ul);
    }
    let mp = parking_lot::RwLockReadGuard::map(p.read(), |s| &s[..1]);
    let ml = lockdep::RwLockReadGuard::map(l.read(), |s| &s[..1]);
    both(&mp, &ml);
}

#[test]
fn recursive_rwlock_matches_parking_lot() {
    let (p, l) = (
        parking_lot::RecursiveRwLock::new(Some(3)),
        lockdep::RecursiveRwLock::new(Some(3)),
    );
    both(&p, &l);
    let (wp, wl) = (p.write(), l.write());
    both(&p, &l);
    both(&wp, &wl);
}

#[test]
fn condvar_matches_parking_lot() {
    both(&parking_lot::Condvar::new(), &lockdep::Condvar::new());
}

#[test]
fn stdsync_mutex_matches_std() {
    let (s, l) = (std::sync::Mutex::new(5), lockdep::stdsync::Mutex::new(5));
    both(&s, &l);
    assert_eq!(format!("{l:?}"), format!("{s:?}"));
    {
        let (gs, gl) = (s.lock().unwrap(), l.lock().unwrap());
        both(&s, &l);
        both(&gs, &gl);
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let _gs = s.lock().unwrap();
        let _gl = l.lock().unwrap();
        panic!("poison both");
    }));
    both(&s, &l);
    assert!(format!("{l:?}").contains("poisoned: true"));
}

#[test]
fn stdsync_rwlock_matches_std() {
    let (s, l) = (
        std::sync::RwLock::new(vec!['a']),
        lockdep::stdsync::RwLock::new(vec!['a']),
    );
    both(&s, &l);
    {
        let (rs, rl) = (s.read().unwrap(), l.read().unwrap());
        both(&s, &l);
        both(&rs, &rl);
    }
    {
        let (ws, wl) = (s.write().unwrap(), l.write().unwrap());
        both(&s, &l);
        both(&ws, &wl);
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let _ws = s.write().unwrap();
        let _wl = l.write().unwrap();
        panic!("poison both");
    }));
    both(&s, &l);
}

#[test]
fn stdsync_condvar_matches_std() {
    both(
        &std::sync::Condvar::new(),
        &lockdep::stdsync::Condvar::new(),
    );
}

#[test]
fn printing_a_lock_is_invisible_to_the_checker() {
    static A: lockdep::LockClass = lockdep::LockClass::new("dbg::A");
    static B: lockdep::LockClass = lockdep::LockClass::new("dbg::B");
    let a = lockdep::Mutex::with_class((), &A);
    let b = lockdep::RwLock::with_class(1, &B);
    let _ga = a.lock();
    let _ = format!("{b:?}");
    assert!(!b.is_held());
    assert!(!lockdep::graph().has_edge("dbg::A", "dbg::B"));
}
