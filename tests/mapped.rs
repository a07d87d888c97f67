//! parking_lot's mapped guards and `const_*` constructors: a mapped guard
//! keeps its lock held (for the checker too) until it drops.

mod common;

use common::reports_naming;
use lockdep::{LockClass, MappedMutexGuard, Mutex, MutexGuard, ReportKind, RwLock};
use lockdep::{RwLockReadGuard, RwLockWriteGuard};

struct Account {
    balance: u64,
    history: Vec<u64>,
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn a_mapped_mutex_guard_holds_the_lock_until_it_drops() {
    static A: LockClass = LockClass::new("mapped::A");
    static B: LockClass = LockClass::new("mapped::B");
    let a = Mutex::with_class(
        Account {
            balance: 5,
            history: vec![],
        },
        &A,
    );
    let b = Mutex::with_class(0u8, &B);
    {
        let mut balance: MappedMutexGuard<'_, u64> =
            MutexGuard::map(a.lock(), |acc| &mut acc.balance);
        *balance += 1;
        assert!(a.is_held() && a.is_locked());
        // Taking b under the mapped guard records a -> b.
        drop(b.lock());
    }
    assert!(!a.is_held() && !a.is_locked());
    assert!(lockdep::graph().has_edge("mapped::A", "mapped::B"));
    // The opposite order closes the cycle.
    {
        let _b = b.lock();
        let _a = MutexGuard::map(a.lock(), |acc| &mut acc.history);
    }
    let found = reports_naming(&["mapped::A", "mapped::B"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
    assert_eq!(found[0].classes(), ["mapped::B", "mapped::A"]);
    assert_eq!(a.lock().balance, 6);
}

#[test]
fn try_map_gives_back_a_guard_that_still_releases() {
    static C: LockClass = LockClass::new("mapped::C");
    let c = Mutex::with_class(vec![1u32], &C);
    let back = match MutexGuard::try_map(c.lock(), |v| v.get_mut(7)) {
        Ok(_) => panic!("no element 7"),
        Err(guard) => guard,
    };
    assert_eq!(back.len(), 1);
    assert!(c.is_held());
    drop(back);
    assert!(!c.is_held());
    let first = MutexGuard::try_map(c.lock(), |v| v.first_mut())
        .ok()
        .unwrap();
    assert_eq!(*first, 1);
    drop(first);
    assert!(!c.is_held());
    assert!(reports_naming(&["mapped::C"]).is_empty());
}

#[test]
fn rwlock_guards_map_for_read_and_write() {
    static R: LockClass = LockClass::new("mapped::R");
    let l = RwLock::with_class((1u8, String::from("x")), &R);
    {
        let name = RwLockReadGuard::map(l.read(), |t| &t.1);
        assert_eq!(&*name, "x");
        assert!(l.is_held());
    }
    assert!(!l.is_held());
    {
        let mut n = RwLockWriteGuard::map(l.write(), |t| &mut t.0);
        *n += 1;
        assert!(l.is_held() && l.is_locked_exclusive());
    }
    assert!(!l.is_held() && !l.is_locked());
    let missing = RwLockReadGuard::try_map(l.read(), |_| None::<&u8>);
    assert!(missing.is_err());
    drop(missing);
    assert!(!l.is_held());
    assert_eq!(l.read().0, 2);
    assert!(reports_naming(&["mapped::R"]).is_empty());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn const_constructors_name_the_class_by_their_caller() {
    static M: Mutex<u32> = lockdep::const_mutex(0);
    static L: RwLock<u32> = lockdep::const_rwlock(0);
    let (m, l) = (M.lock_map().class_name(), L.lock_map().class_name());
    assert!(m.starts_with("Mutex<u32> @ tests/mapped.rs:"), "{m}");
    assert!(l.starts_with("RwLock<u32> @ tests/mapped.rs:"), "{l}");
    *M.lock() += 1;
    *L.write() += 1;
}
