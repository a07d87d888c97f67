//! Reader-writer locks and the kernel's recursive-read rules
//! (kernel-lockdep.md §3, lockdep-design.rst "Recursive read locks").
//!
//! `RecursiveRwLock::read` is a recursive reader (R, rwlock `read_lock`),
//! `RwLock::read` a non-recursive reader (r, rwsem `down_read`), `write` and
//! `Mutex::lock` writers (W). Each test uses its own named classes and only
//! looks at the reports naming them.

mod common;
use common::*;

use std::sync::Arc;

use lockdep::{DepType, LockClass, Mutex, RecursiveRwLock, Report, ReportKind, RwLock};

fn edge_types(from: &str, to: &str) -> Vec<DepType> {
    lockdep::graph()
        .edges
        .into_iter()
        .find(|e| e.from.name == from && e.to.name == to)
        .map(|e| e.types)
        .unwrap_or_default()
}

// ===== ABBA between two rw locks =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn recursive_read_abba_does_not_report() {
    static A: LockClass = LockClass::new("rrabba::A");
    static B: LockClass = LockClass::new("rrabba::B");
    let a = Arc::new(RecursiveRwLock::with_class(1u32, &A));
    let b = Arc::new(RecursiveRwLock::with_class(2u32, &B));
    {
        let (a, b) = (a.clone(), b.clone());
        run_named("rrabba-1", move || {
            let ga = a.read();
            let gb = b.read();
            assert_eq!(*ga + *gb, 3);
        });
    }
    {
        let (a, b) = (a.clone(), b.clone());
        run_named("rrabba-2", move || {
            let gb = b.read();
            let ga = a.read();
            assert_eq!(*ga + *gb, 3);
        });
    }
    // Both edges were recorded (as shared -> recursive-reader edges) ...
    assert_eq!(edge_types("rrabba::A", "rrabba::B"), [DepType::SR]);
    assert_eq!(edge_types("rrabba::B", "rrabba::A"), [DepType::SR]);
    // ... but a cycle of recursive reads cannot deadlock.
    let found = reports_naming(&["rrabba::A", "rrabba::B"]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn non_recursive_read_abba_reports() {
    static A: LockClass = LockClass::new("rabba::A");
    static B: LockClass = LockClass::new("rabba::B");
    let a = Arc::new(RwLock::with_class(1u32, &A));
    let b = Arc::new(RwLock::with_class(2u32, &B));
    {
        let (a, b) = (a.clone(), b.clone());
        run_named("rabba-1", move || {
            let _ga = a.read();
            let _gb = b.read();
        });
    }
    assert!(reports_naming(&["rabba::A", "rabba::B"]).is_empty());
    {
        let (a, b) = (a.clone(), b.clone());
        run_named("rabba-2", move || {
            let _gb = b.read();
            let _ga = a.read();
        });
    }
    assert_eq!(edge_types("rabba::A", "rabba::B"), [DepType::SN]);
    let found = reports_naming(&["rabba::A", "rabba::B"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let r = &found[0];
    assert_eq!(r.kind, ReportKind::CircularDependency);
    assert_eq!(r.classes(), ["rabba::B", "rabba::A"]);
    assert_eq!(r.thread.name, "rabba-2");
    assert_eq!(r.holding.as_ref().unwrap().mode, lockdep::Mode::Read);
    assert_eq!(r.acquiring.as_ref().unwrap().mode, lockdep::Mode::Read);
}

// ===== kernel self-tests (kernel-selftests.lds) =====

/// rlock_ABBA1: `read_lock(X); lock(Y)` vs `lock(Y); write_lock(X)` is a deadlock
/// (X -(SN)-> Y, Y -(EN)-> X). Before the 2020 rework lockdep missed it.
#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn rlock_abba1_read_lock_then_lock_vs_lock_then_write_lock_reports() {
    static X: LockClass = LockClass::new("rlock_ABBA1::X");
    static Y: LockClass = LockClass::new("rlock_ABBA1::Y");
    let x = Arc::new(RecursiveRwLock::with_class(0u32, &X));
    let y = Arc::new(Mutex::with_class(0u32, &Y));
    {
        let (x, y) = (x.clone(), y.clone());
        run_named("rlock_ABBA1-t0", move || {
            let _rx = x.read();
            let _wy = y.lock();
        });
    }
    assert!(reports_naming(&["rlock_ABBA1::X", "rlock_ABBA1::Y"]).is_empty());
    {
        let (x, y) = (x.clone(), y.clone());
        run_named("rlock_ABBA1-t1", move || {
            let _wy = y.lock();
            let mut wx = x.write();
            *wx = 5;
        });
    }
    let found = reports_naming(&["rlock_ABBA1::X", "rlock_ABBA1::Y"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
    assert_eq!(found[0].classes(), ["rlock_ABBA1::Y", "rlock_ABBA1::X"]);
    assert_eq!(found[0].thread.name, "rlock_ABBA1-t1");
    assert_eq!(*x.read(), 5);
}

/// rlock_ABBA2: `RR(X); W(Y)` vs `W(Y); RR(X)` must not report:
/// X -(SN)-> Y -(ER)-> X is not a strong cycle.
#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn rlock_abba2_recursive_reader_on_both_sides_does_not_report() {
    static X: LockClass = LockClass::new("rlock_ABBA2::X");
    static Y: LockClass = LockClass::new("rlock_ABBA2::Y");
    let x = Arc::new(RecursiveRwLock::with_class(0u32, &X));
    let y = Arc::new(Mutex::with_class(0u32, &Y));
    {
        let (x, y) = (x.clone(), y.clone());
        run_named("rlock_ABBA2-t0", move || {
            let _rx = x.read();
            let _wy = y.lock();
        });
    }
    {
        let (x, y) = (x.clone(), y.clone());
        run_named("rlock_ABBA2-t1", move || {
            let _wy = y.lock();
            let _rx = x.read();
        });
    }
    assert_eq!(
        edge_types("rlock_ABBA2::X", "rlock_ABBA2::Y"),
        [DepType::SN]
    );
    assert_eq!(
        edge_types("rlock_ABBA2::Y", "rlock_ABBA2::X"),
        [DepType::ER]
    );
    let found = reports_naming(&["rlock_ABBA2::X", "rlock_ABBA2::Y"]);
    assert!(found.is_empty(), "{found:#?}");
}

/// rwsem_ABBA2: the same shape with a non-recursive reader fails.
#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn rwsem_abba2_non_recursive_reader_reports() {
    static X: LockClass = LockClass::new("rwsem_ABBA2::X");
    static Y: LockClass = LockClass::new("rwsem_ABBA2::Y");
    let x = Arc::new(RwLock::with_class(0u32, &X));
    let y = Arc::new(Mutex::with_class(0u32, &Y));
    {
        let (x, y) = (x.clone(), y.clone());
        run_named("rwsem_ABBA2-t0", move || {
            let _rx = x.read();
            let _wy = y.lock();
        });
    }
    assert!(reports_naming(&["rwsem_ABBA2::X", "rwsem_ABBA2::Y"]).is_empty());
    {
        let (x, y) = (x.clone(), y.clone());
        run_named("rwsem_ABBA2-t1", move || {
            let _wy = y.lock();
            let _rx = x.read();
        });
    }
    let found = reports_naming(&["rwsem_ABBA2::X", "rwsem_ABBA2::Y"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
    assert_eq!(found[0].classes(), ["rwsem_ABBA2::Y", "rwsem_ABBA2::X"]);
}

/// The recursive read on the *other* side: `W(Y); RR(X)` first, then
/// `RR(X); W(Y)` closes X -(SN)-> Y -(ER)-> X: still not strong, no report.
#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn rlock_abba2_reversed_order_does_not_report() {
    static X: LockClass = LockClass::new("rlock_ABBA2r::X");
    static Y: LockClass = LockClass::new("rlock_ABBA2r::Y");
    let x = RecursiveRwLock::with_class((), &X);
    let y = Mutex::with_class((), &Y);
    {
        let _wy = y.lock();
        let _rx = x.read();
    }
    {
        let _rx = x.read();
        let _wy = y.lock();
    }
    assert!(lockdep::graph().has_edge("rlock_ABBA2r::X", "rlock_ABBA2r::Y"));
    assert!(lockdep::graph().has_edge("rlock_ABBA2r::Y", "rlock_ABBA2r::X"));
    let found = reports_naming(&["rlock_ABBA2r::X", "rlock_ABBA2r::Y"]);
    assert!(found.is_empty(), "{found:#?}");
}

/// A recursive-read hop followed by a hop out of a *writer-held* lock is
/// strong: `W(X); RR(Y)` vs `W(Y); W(X)` closes X -(ER)-> Y -(EN)-> X.
#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn recursive_read_followed_by_writer_hop_reports() {
    static X: LockClass = LockClass::new("rrw::X");
    static Y: LockClass = LockClass::new("rrw::Y");
    let x = RwLock::with_class((), &X);
    let y = RecursiveRwLock::with_class((), &Y);
    {
        let _wx = x.write();
        let _ry = y.read();
    }
    assert!(reports_naming(&["rrw::X", "rrw::Y"]).is_empty());
    {
        let _wy = y.write();
        let _wx = x.write();
    }
    let found = reports_naming(&["rrw::X", "rrw::Y"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
    assert_eq!(found[0].classes(), ["rrw::Y", "rrw::X"]);
}

// ===== same class twice (check_deadlock) =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn read_then_read_of_one_class_is_recursive_locking() {
    static C: LockClass = LockClass::new("rr_same::read-read");
    let l1 = RwLock::with_class(1, &C);
    let l2 = RwLock::with_class(2, &C);
    let g1 = l1.read();
    let g2 = l2.read();
    assert_eq!(*g1 + *g2, 3);
    drop(g2);
    drop(g1);
    let found = reports_naming(&["rr_same::read-read"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let r = &found[0];
    assert_eq!(r.kind, ReportKind::RecursiveLocking);
    assert_eq!(r.classes(), ["rr_same::read-read", "rr_same::read-read"]);
    let (held, new) = (r.holding.as_ref().unwrap(), r.acquiring.as_ref().unwrap());
    assert_ne!(held.instance, new.instance, "two different objects");
    assert_eq!(held.mode, lockdep::Mode::Read);
    assert_eq!(new.mode, lockdep::Mode::Read);
}

#[test]
fn read_then_recursive_read_of_one_class_does_not_report() {
    static C: LockClass = LockClass::new("rr_same::read-rread");
    let l1 = RwLock::with_class(1, &C);
    let l2 = RecursiveRwLock::with_class(2, &C);
    let l3 = RecursiveRwLock::with_class(1, &C);
    {
        let g1 = l1.read();
        let g2 = l2.read();
        assert_eq!(*g1 + *g2, 3);
    }
    // Another recursive lock of the class (a task-fair `RwLock` cannot be
    // read twice by one thread: a waiting writer would deadlock it).
    {
        let g1 = l1.read();
        let g1b = l3.read();
        assert_eq!(*g1 + *g1b, 2);
    }
    let found = reports_naming(&["rr_same::read-rread"]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn recursive_read_then_read_of_one_class_is_recursive_locking() {
    // RR;R is not exempt: the second reader is non-recursive.
    static C: LockClass = LockClass::new("rr_same::rread-read");
    let l1 = RecursiveRwLock::with_class((), &C);
    let l2 = RwLock::with_class((), &C);
    {
        let _g1 = l1.read();
        let _g2 = l2.read();
    }
    let found = reports_naming(&["rr_same::rread-read"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::RecursiveLocking);
    assert_eq!(
        found[0].acquiring.as_ref().unwrap().mode,
        lockdep::Mode::Read
    );
    assert_eq!(
        found[0].holding.as_ref().unwrap().mode,
        lockdep::Mode::RecursiveRead
    );
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn write_then_recursive_read_of_one_class_is_recursive_locking() {
    static C: LockClass = LockClass::new("rr_same::write-rread");
    let l1 = RwLock::with_class((), &C);
    let l2 = RecursiveRwLock::with_class((), &C);
    {
        let _g1 = l1.write();
        let _g2 = l2.read();
    }
    let found = reports_naming(&["rr_same::write-rread"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::RecursiveLocking);
    assert_eq!(
        found[0].holding.as_ref().unwrap().mode,
        lockdep::Mode::Exclusive
    );
}

#[test]
fn recursive_read_then_recursive_read_of_one_class_does_not_report() {
    static C: LockClass = LockClass::new("rr_same::rread-rread");
    let l1 = RecursiveRwLock::with_class((), &C);
    let l2 = RecursiveRwLock::with_class((), &C);
    {
        let _g1 = l1.read();
        let _g2 = l2.read();
    }
    assert!(reports_naming(&["rr_same::rread-rread"]).is_empty());
}

// ===== downgrade and upgrade =====

#[test]
fn downgraded_write_is_held_as_a_reader() {
    // After downgrade the held entry is a reader, so a recursive read of
    // another object of the same class is allowed (R held, RR new).
    static C: LockClass = LockClass::new("rwdown::C");
    let l1 = RwLock::with_class(0u32, &C);
    let l2 = RecursiveRwLock::with_class(0u32, &C);
    {
        let mut w = l1.write();
        *w = 9;
        let r = lockdep::RwLockWriteGuard::downgrade(w);
        assert!(l1.is_held());
        let r2 = l2.read();
        assert_eq!(*r + *r2, 9);
    }
    assert!(!l1.is_held() && !l2.is_held());
    let found = reports_naming(&["rwdown::C"]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn upgrade_is_validated_as_an_exclusive_acquisition() {
    // upgradable_read of X (a reader) then lock Y gives X -(SN)-> Y; after the
    // upgrade X is held exclusively, and Z taken under it gives X -(EN)-> Z.
    static X: LockClass = LockClass::new("rwup::X");
    static Y: LockClass = LockClass::new("rwup::Y");
    static Z: LockClass = LockClass::new("rwup::Z");
    let x = RwLock::with_class(0u32, &X);
    let y = Mutex::with_class((), &Y);
    let z = Mutex::with_class((), &Z);
    {
        let u = x.upgradable_read();
        drop(y.lock());
        let mut w = lockdep::RwLockUpgradableReadGuard::upgrade(u);
        *w = 3;
        drop(z.lock());
    }
    assert_eq!(*x.read(), 3);
    assert_eq!(edge_types("rwup::X", "rwup::Y"), [DepType::SN]);
    assert_eq!(edge_types("rwup::X", "rwup::Z"), [DepType::EN]);
    assert!(!x.is_held());
    assert!(reports_naming(&["rwup::X", "rwup::Y", "rwup::Z"]).is_empty());
}

// ===== three-class cycles through a reader =====

fn three_thread_cycle(prefix: &'static str, recursive: bool) -> Vec<Report> {
    let a = Arc::new(RwLock::with_class(
        (),
        LockClass::new_dynamic(format!("{prefix}::A")),
    ));
    // B is read recursively or not: two locks of one class, one of each kind.
    let b_class = LockClass::new_dynamic(format!("{prefix}::B"));
    let b = Arc::new(RwLock::with_class((), b_class));
    let b_rec = Arc::new(RecursiveRwLock::with_class((), b_class));
    let c = Arc::new(RwLock::with_class(
        (),
        LockClass::new_dynamic(format!("{prefix}::C")),
    ));
    {
        // W(A); RR(B) or R(B)
        let (a, b, b_rec) = (a.clone(), b.clone(), b_rec.clone());
        run_named(&format!("{prefix}-t0"), move || {
            let _wa = a.write();
            if recursive {
                let _rb = b_rec.read();
            } else {
                let _rb = b.read();
            }
        });
    }
    {
        // R(B); W(C): B -(SN)-> C
        let (b, c) = (b.clone(), c.clone());
        run_named(&format!("{prefix}-t1"), move || {
            let _rb = b.read();
            let _wc = c.write();
        });
    }
    {
        // W(C); W(A): C -(EN)-> A closes the cycle
        let (c, a) = (c.clone(), a.clone());
        run_named(&format!("{prefix}-t2"), move || {
            let _wc = c.write();
            let _wa = a.write();
        });
    }
    let names = [
        format!("{prefix}::A"),
        format!("{prefix}::B"),
        format!("{prefix}::C"),
    ];
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert!(lockdep::graph().has_edge(names[0], names[1]));
    assert!(lockdep::graph().has_edge(names[1], names[2]));
    assert!(lockdep::graph().has_edge(names[2], names[0]));
    reports_naming(&names)
}

/// A -(ER)-> B -(SN)-> C -(EN)-> A: B is reached as a recursive reader and
/// left as a shared holder, so the cycle is not strong (no deadlock possible).
#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn three_class_cycle_through_recursive_reader_does_not_report() {
    let found = three_thread_cycle("cyc3rr", true);
    assert!(found.is_empty(), "{found:#?}");
}

/// A -(EN)-> B -(SN)-> C -(EN)-> A: strong, reported with the whole chain.
#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn three_class_cycle_through_non_recursive_reader_reports() {
    let found = three_thread_cycle("cyc3r", false);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
    assert_eq!(found[0].classes(), ["cyc3r::C", "cyc3r::B", "cyc3r::A"]);
    assert_eq!(found[0].thread.name, "cyc3r-t2");
}

/// rlock_chaincache_ABBA1: the chain Y -> X is first seen (and cached) with X
/// as a recursive reader; the same classes in the same order with X as a
/// writer are a different chain and must be checked: deadlock.
#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn rlock_chaincache_abba1_chain_cache_keys_on_read_vs_write() {
    static X: LockClass = LockClass::new("chaincache::X");
    static Y: LockClass = LockClass::new("chaincache::Y");
    let x = Arc::new(RecursiveRwLock::with_class((), &X));
    let y = Arc::new(Mutex::with_class((), &Y));
    let names = ["chaincache::X", "chaincache::Y"];
    {
        let (x, y) = (x.clone(), y.clone());
        run_named("chaincache-t0", move || {
            let _rx = x.read();
            let _wy = y.lock();
        });
    }
    {
        let (x, y) = (x.clone(), y.clone());
        run_named("chaincache-t1", move || {
            let _wy = y.lock();
            let _rx = x.read();
        });
    }
    assert!(reports_naming(&names).is_empty());
    {
        let (x, y) = (x.clone(), y.clone());
        run_named("chaincache-t2", move || {
            let _wy = y.lock();
            let _wx = x.write();
        });
    }
    let found = reports_naming(&names);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
    assert_eq!(found[0].classes(), ["chaincache::Y", "chaincache::X"]);
    assert_eq!(found[0].thread.name, "chaincache-t2");
    assert_eq!(
        edge_types("chaincache::Y", "chaincache::X"),
        [DepType::EN, DepType::ER]
    );
}

/// A held recursive read does not end the edge walk (FORMAT.md rule 3a):
/// `W(A); RR(B); W(C)` records both B -> C and A -> C.
#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn held_recursive_read_does_not_stop_the_edge_walk() {
    static A: LockClass = LockClass::new("rrwalk::A");
    static B: LockClass = LockClass::new("rrwalk::B");
    static C: LockClass = LockClass::new("rrwalk::C");
    let a = Mutex::with_class((), &A);
    let b = RecursiveRwLock::with_class((), &B);
    let c = Mutex::with_class((), &C);
    {
        let _ga = a.lock();
        let _rb = b.read();
        let _gc = c.lock();
    }
    assert_eq!(edge_types("rrwalk::A", "rrwalk::B"), [DepType::ER]);
    assert_eq!(edge_types("rrwalk::B", "rrwalk::C"), [DepType::SN]);
    assert_eq!(edge_types("rrwalk::A", "rrwalk::C"), [DepType::EN]);
    // So C -> A closes the strong cycle A -(EN)-> C -(EN)-> A.
    {
        let _gc = c.lock();
        let _ga = a.lock();
    }
    let found = reports_naming(&["rrwalk::A", "rrwalk::B", "rrwalk::C"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].classes(), ["rrwalk::C", "rrwalk::A"]);
}
