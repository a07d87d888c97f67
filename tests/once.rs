//! One-time initialisation is a lock: `lockdep::{Once, OnceLock, LazyLock}`
//! and `lockdep::stdsync::Once`.
//!
//! The real shape: thread A initialises a cell whose initialiser takes mutex
//! `L`; thread B holds `L` and touches a cell of the same class that is not
//! initialised yet (it may have to wait for an initialiser that waits for
//! `L`). The threads run one after the other, so nothing really deadlocks;
//! each test builds its own cells and locks (its own classes) and looks only
//! at the reports naming them.
// Every test here asserts what the checker records: compiled out
// (`--cfg lockdep_off`) there is nothing to assert.
#![cfg(not(lockdep_off))]

mod common;
use common::*;

use lockdep::{LazyLock, Mutex, Once, OnceLock, ReportKind};

/// Reports naming any of `names` (by class name).
fn reports_about(names: &[&str]) -> Vec<lockdep::Report> {
    reports_naming(names)
}

#[test]
fn once_lock_initialiser_taking_a_lock_vs_holder_of_the_lock_is_a_cycle() {
    fn cell() -> OnceLock<u32> {
        OnceLock::new() // one class for every cell built here
    }
    let l = Mutex::new(());
    let (x1, x2) = (cell(), cell());
    run_named("A", || {
        x1.get_or_init(|| {
            let _l = l.lock();
            1
        });
    });
    run_named("B", || {
        let _l = l.lock();
        assert_eq!(*x2.get_or_init(|| 2), 2);
    });
    let (lock, once) = (l.lock_map().class_name(), x1.lock_map().class_name());
    assert!(once.starts_with("OnceLock<u32> @ tests/once.rs:"), "{once}");
    let found = reports_about(&[&lock, &once]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
    assert_eq!(found[0].classes(), [lock.as_str(), once.as_str()]);
    // Frames print one way: this crate's workspace-relative, std's as
    // `library/...`, never a machine or toolchain path.
    let stack = &found[0].stack;
    assert!(
        stack.iter().any(|f| f.contains("(tests/once.rs:")),
        "{stack:#?}"
    );
    assert!(
        stack
            .iter()
            .all(|f| !f.contains("/rustc/") && !f.contains(env!("CARGO_MANIFEST_DIR"))),
        "{stack:#?}"
    );
}

#[test]
fn lazy_lock_initialiser_taking_a_lock_vs_holder_of_the_lock_is_a_cycle() {
    static L: Mutex<u32> = Mutex::new(0);
    fn lazy(f: fn() -> u32) -> LazyLock<u32> {
        LazyLock::new(f)
    }
    let x1 = lazy(|| *L.lock() + 1);
    let x2 = lazy(|| 2);
    run_named("A", || assert_eq!(*x1, 1));
    run_named("B", || {
        let _l = L.lock();
        assert_eq!(*x2, 2);
    });
    let (lock, lazy) = (
        L.lock_map().class_name(),
        LazyLock::lock_map(&x1).class_name(),
    );
    assert!(lazy.starts_with("LazyLock<u32> @ tests/once.rs:"), "{lazy}");
    let found = reports_about(&[&lock, &lazy]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
    assert_eq!(found[0].classes(), [lock.as_str(), lazy.as_str()]);
}

#[test]
fn lock_taken_outside_the_initialiser_is_silent() {
    fn lazy(f: fn() -> u32) -> LazyLock<u32> {
        LazyLock::new(f)
    }
    static L: Mutex<u32> = Mutex::new(0);
    let x1 = lazy(|| 1);
    let x2 = lazy(|| 2);
    run_named("A", || {
        let v = *L.lock(); // the same work, but before the initialiser runs
        assert_eq!(*x1 + v, 1);
    });
    run_named("B", || {
        let _l = L.lock();
        assert_eq!(*x2, 2);
    });
    let (lock, lazy) = (
        L.lock_map().class_name(),
        LazyLock::lock_map(&x1).class_name(),
    );
    assert_eq!(reports_about(&[&lock, &lazy]), []);
}

#[test]
fn reading_an_initialised_cell_records_nothing() {
    fn cell() -> OnceLock<u32> {
        OnceLock::new()
    }
    let l = Mutex::new(());
    let (x1, x2) = (cell(), cell());
    assert_eq!(*x1.get_or_init(|| 1), 1);
    run_named("B", || {
        let _l = l.lock();
        // Initialised: can never wait, so no `l -> cell` dependency...
        assert_eq!(*x1.get_or_init(|| unreachable!()), 1);
        assert_eq!(x1.get(), Some(&1));
        assert_eq!(x1.set(5), Err(5));
    });
    // ...so an initialiser of the class that takes `l` closes no cycle.
    run_named("A", || {
        x2.get_or_init(|| {
            let _l = l.lock();
            2
        });
    });
    let (lock, once) = (l.lock_map().class_name(), x1.lock_map().class_name());
    assert_eq!(reports_about(&[&lock, &once]), []);
}

#[test]
fn parking_lot_once_is_checked() {
    fn once() -> Once {
        Once::new()
    }
    let l = Mutex::new(());
    let (o1, o2) = (once(), once());
    run_named("A", || o1.call_once(|| drop(l.lock())));
    run_named("B", || {
        let _l = l.lock();
        o2.call_once_force(|state| assert_eq!(state, lockdep::OnceState::New));
    });
    assert!(o1.state().done() && o2.is_completed());
    let (lock, class) = (l.lock_map().class_name(), o1.lock_map().class_name());
    let found = reports_about(&[&lock, &class]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
    assert_eq!(found[0].classes(), [lock.as_str(), class.as_str()]);
}

#[test]
fn std_once_is_checked() {
    fn once() -> lockdep::stdsync::Once {
        lockdep::stdsync::Once::new()
    }
    let l = lockdep::stdsync::Mutex::new(());
    let (o1, o2) = (once(), once());
    run_named("A", || o1.call_once(|| drop(l.lock().unwrap())));
    run_named("B", || {
        let _l = l.lock().unwrap();
        o2.call_once_force(|state| assert!(!state.is_poisoned()));
    });
    assert!(o1.is_completed() && o2.is_completed());
    o1.wait(); // completed: nothing
    let (lock, class) = (l.lock_map().class_name(), o1.lock_map().class_name());
    let found = reports_about(&[&lock, &class]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
    assert_eq!(found[0].classes(), [lock.as_str(), class.as_str()]);
}

#[test]
fn the_initialiser_holds_the_class_and_releases_it_on_panic() {
    let cell: OnceLock<bool> = OnceLock::new();
    assert!(cell.get_or_init(|| cell.lock_map().is_held()));
    assert!(!cell.lock_map().is_held());

    let lazy: LazyLock<u32> = LazyLock::new(|| panic!("initialiser fails"));
    let first = std::panic::catch_unwind(|| *lazy);
    assert!(first.is_err());
    assert!(!LazyLock::lock_map(&lazy).is_held());
    // Poisoned, like std's.
    let again = std::panic::catch_unwind(|| *lazy).unwrap_err();
    let msg = again.downcast_ref::<&str>().copied().unwrap_or_default();
    assert_eq!(msg, "LazyLock instance has previously been poisoned");
}

#[test]
fn debug_output_is_std_and_parking_lot_s() {
    let cell = OnceLock::new();
    let std_cell = std::sync::OnceLock::new();
    assert_eq!(format!("{cell:?}"), format!("{std_cell:?}"));
    cell.set(5).unwrap();
    std_cell.set(5).unwrap();
    assert_eq!(format!("{cell:?}"), format!("{std_cell:?}"));
    assert_eq!(format!("{cell:?}"), "OnceLock(5)");

    let lazy = LazyLock::new(|| 7);
    let std_lazy = std::sync::LazyLock::new(|| 7);
    assert_eq!(format!("{lazy:?}"), format!("{std_lazy:?}"));
    assert_eq!((*lazy, *std_lazy), (7, 7));
    assert_eq!(format!("{lazy:?}"), format!("{std_lazy:?}"));

    let once = Once::new();
    let pl = parking_lot::Once::new();
    assert_eq!(format!("{once:?}"), format!("{pl:?}"));
    once.call_once(|| ());
    pl.call_once(|| ());
    assert_eq!(format!("{once:?}"), "Once { state: Done }");
    assert_eq!(format!("{once:?}"), format!("{pl:?}"));
    assert_eq!(
        format!("{:?}", lockdep::stdsync::Once::new()),
        format!("{:?}", std::sync::Once::new())
    );
}

#[test]
fn std_api() {
    let mut cell: OnceLock<String> = OnceLock::default();
    assert_eq!(cell.get_mut(), None);
    assert_eq!(cell.set("a".into()), Ok(()));
    cell.get_mut().unwrap().push('b');
    assert_eq!(cell.wait(), "ab");
    let copy = cell.clone();
    assert_eq!(copy, cell);
    assert_eq!(cell.take().as_deref(), Some("ab"));
    assert_ne!(copy, cell);
    assert_eq!(OnceLock::from(3).into_inner(), Some(3));
    assert_eq!(OnceLock::<u8>::new().into_inner(), None);

    let mut lazy: LazyLock<Vec<u8>> = LazyLock::default();
    assert_eq!(LazyLock::get(&lazy), None);
    lazy.push(1); // DerefMut initialises
    LazyLock::force_mut(&mut lazy).push(2);
    assert_eq!(LazyLock::get_mut(&mut lazy).map(|v| v.len()), Some(2));
    assert_eq!(*LazyLock::force(&lazy), [1, 2]);

    let once = Once::new_completed();
    once.call_once(|| unreachable!());
    once.wait();
    assert_eq!(once.state(), lockdep::OnceState::Done);
}

#[test]
fn cells_can_be_put_in_a_named_class() {
    use lockdep::{LockClass, SetClass};
    static CONFIG: LockClass = LockClass::new("CONFIG");
    let cell: OnceLock<u8> = OnceLock::new();
    cell.set_class(&CONFIG);
    let lazy: LazyLock<u8> = LazyLock::new(|| 1);
    LazyLock::lock_map(&lazy).set_class(&CONFIG);
    assert_eq!(cell.lock_map().class_name(), "CONFIG");
    assert_eq!(LazyLock::lock_map(&lazy).class_name(), "CONFIG");
    // A lock inside a `LazyLock` keeps its own `set_class` (no shadowing).
    static INNER: LockClass = LockClass::new("INNER");
    let table: LazyLock<Mutex<u8>> = LazyLock::new(|| Mutex::new(0));
    table.set_class(&INNER);
    assert_eq!(table.lock_map().class_name(), "INNER");
}

/// Shared between threads like std's (compile-time checks).
#[test]
fn auto_traits_match_std() {
    fn sync_send<T: Sync + Send>() {}
    fn unwind_safe<T: std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    sync_send::<OnceLock<u32>>();
    sync_send::<LazyLock<u32>>();
    sync_send::<Once>();
    sync_send::<lockdep::stdsync::Once>();
    unwind_safe::<OnceLock<u32>>();
    unwind_safe::<LazyLock<u32>>();
    unwind_safe::<Once>();
}
