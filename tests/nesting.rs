//! Two locks of one class, subclasses (`lock_nested`), nest locks and
//! trylocks (kernel-lockdep.md §1.2, §1.3, §2.4; FORMAT.md rules 1, 2, 4).
//!
//! Each test uses its own named classes and only looks at reports naming them.

mod common;
use common::*;

use std::time::Duration;

use lockdep::{LockClass, LockMap, Mutex, ReportKind};

// ===== same class twice =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn two_locks_of_one_class_nested_is_recursive_locking() {
    static INODE: LockClass = LockClass::new("nest::inode");
    let parent = Mutex::with_class(1u32, &INODE);
    let child = Mutex::with_class(2u32, &INODE);
    {
        let gp = parent.lock();
        let gc = child.lock();
        // The checker only warns: both locks are really held.
        assert_eq!(*gp + *gc, 3);
    }
    let found = reports_naming(&["nest::inode"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let r = &found[0];
    assert_eq!(r.kind, ReportKind::RecursiveLocking);
    assert_eq!(r.classes(), ["nest::inode", "nest::inode"]);
    let (held, new) = (r.holding.as_ref().unwrap(), r.acquiring.as_ref().unwrap());
    assert_ne!(held.instance, new.instance);
    assert_eq!(r.held.len(), 1);
    assert_eq!(r.held[0].instance, held.instance);
    assert!(r.chain.is_empty());
    // No self-edge is recorded for a same-class acquisition.
    assert!(!lockdep::graph().has_edge("nest::inode", "nest::inode"));
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn lock_nested_subclass_is_a_separate_node() {
    static DIR: LockClass = LockClass::new("nest::dir");
    let parent = Mutex::with_class(1u32, &DIR);
    let child = Mutex::with_class(2u32, &DIR);
    {
        let gp = parent.lock();
        let gc = child.lock_nested(1);
        assert_eq!(*gp + *gc, 3);
    }
    let found = reports_naming(&["nest::dir", "nest::dir/1"]);
    assert!(found.is_empty(), "{found:#?}");
    let g = lockdep::graph();
    assert!(g.has_edge("nest::dir", "nest::dir/1"), "{:#?}", g.edges);
    assert!(!g.has_edge("nest::dir/1", "nest::dir"));
    let e = g
        .edges
        .iter()
        .find(|e| e.from.name == "nest::dir" && e.to.name == "nest::dir/1")
        .unwrap();
    assert_eq!(e.from.subclass, 0);
    assert_eq!(e.to.subclass, 1);
    assert_eq!(e.to.key, "nest::dir", "subclasses share the class key");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn same_subclass_twice_is_recursive_locking() {
    static C: LockClass = LockClass::new("nest::sub2");
    let a = Mutex::with_class((), &C);
    let b = Mutex::with_class((), &C);
    let c = Mutex::with_class((), &C);
    {
        let _ga = a.lock();
        let _gb = b.lock_nested(2);
        let _gc = c.lock_nested(2);
    }
    let found = reports_naming(&["nest::sub2", "nest::sub2/2"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::RecursiveLocking);
    assert_eq!(found[0].classes(), ["nest::sub2/2", "nest::sub2/2"]);
    assert_eq!(found[0].held.len(), 2);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn inverted_subclass_order_is_a_circular_dependency() {
    // lock(0) then lock_nested(1) in one place, lock_nested(1) then lock(0) in
    // another: the subclasses are nodes, so this is an ordinary ABBA.
    static C: LockClass = LockClass::new("nest::inv");
    let a = Mutex::with_class((), &C);
    let b = Mutex::with_class((), &C);
    {
        let _ga = a.lock();
        let _gb = b.lock_nested(1);
    }
    assert!(reports_naming(&["nest::inv", "nest::inv/1"]).is_empty());
    {
        let _gb = b.lock_nested(1);
        let _ga = a.lock();
    }
    let found = reports_naming(&["nest::inv", "nest::inv/1"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
    assert_eq!(found[0].classes(), ["nest::inv/1", "nest::inv"]);
}

// ===== nest locks =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn nest_lock_allows_many_locks_of_one_class_in_any_order() {
    // mutex_lock_nest_lock: while the nest lock is held, any number of locks
    // of the class may be held at once, in any order.
    static ROOT: LockClass = LockClass::new("nest::root");
    static ITEM: LockClass = LockClass::new("nest::item");
    let root = Mutex::with_class((), &ROOT);
    let items: Vec<Mutex<usize>> = (0..4).map(|i| Mutex::with_class(i, &ITEM)).collect();
    {
        let _r = root.lock();
        let guards: Vec<_> = items
            .iter()
            .map(|m| m.lock_nest_lock(root.lock_map()))
            .collect();
        assert_eq!(guards.iter().map(|g| **g).sum::<usize>(), 6);
    }
    {
        let _r = root.lock();
        let guards: Vec<_> = items
            .iter()
            .rev()
            .map(|m| m.lock_nest_lock(root.lock_map()))
            .collect();
        assert_eq!(guards.len(), 4);
    }
    let found = reports_naming(&["nest::root", "nest::item"]);
    assert!(found.is_empty(), "{found:#?}");
    assert!(lockdep::graph().has_edge("nest::root", "nest::item"));
    assert!(!items.iter().any(|m| m.is_held()));
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn without_the_nest_lock_two_items_are_recursive_locking() {
    static ITEM: LockClass = LockClass::new("nest::item-nonest");
    let a = Mutex::with_class((), &ITEM);
    let b = Mutex::with_class((), &ITEM);
    {
        let _ga = a.lock();
        let _gb = b.lock();
    }
    let found = reports_naming(&["nest::item-nonest"]);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, ReportKind::RecursiveLocking);
}

// ===== trylocks =====

#[test]
fn trylock_as_inner_lock_adds_no_edge_into_it() {
    static OUTER: LockClass = LockClass::new("try::outer");
    static TRIED: LockClass = LockClass::new("try::tried");
    let outer = Mutex::with_class((), &OUTER);
    let tried = Mutex::with_class(0u32, &TRIED);
    {
        let _o = outer.lock();
        let mut t = tried.try_lock().expect("uncontended trylock succeeds");
        *t += 1;
        assert!(tried.is_held());
    }
    assert!(!tried.is_held());
    assert!(!lockdep::graph().has_edge("try::outer", "try::tried"));
    assert!(reports_naming(&["try::outer", "try::tried"]).is_empty());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn held_trylock_gets_edges_to_later_blocking_acquisitions() {
    static BASE: LockClass = LockClass::new("try2::base");
    static TRIED: LockClass = LockClass::new("try2::tried");
    static LATER: LockClass = LockClass::new("try2::later");
    let base = Mutex::with_class((), &BASE);
    let tried = Mutex::with_class((), &TRIED);
    let later = Mutex::with_class((), &LATER);
    {
        let _b = base.lock();
        let _t = tried.try_lock().unwrap();
        let _l = later.lock();
    }
    let g = lockdep::graph();
    assert!(g.has_edge("try2::tried", "try2::later"), "{:#?}", g.edges);
    // The walk goes down through the trylock to the first blocking lock.
    assert!(g.has_edge("try2::base", "try2::later"));
    assert!(!g.has_edge("try2::base", "try2::tried"));
    assert!(reports_naming(&["try2::base", "try2::tried", "try2::later"]).is_empty());
}

#[test]
fn trylock_in_reverse_order_is_not_a_deadlock() {
    // A then B (blocking) records A -> B; B held then try_lock(A) cannot block,
    // so no cycle is reported.
    static A: LockClass = LockClass::new("try3::A");
    static B: LockClass = LockClass::new("try3::B");
    let a = Mutex::with_class((), &A);
    let b = Mutex::with_class((), &B);
    {
        let _ga = a.lock();
        let _gb = b.lock();
    }
    {
        let _gb = b.lock();
        let ga = a.try_lock();
        assert!(ga.is_some());
    }
    {
        let _gb = b.lock();
        let ga = a.try_lock_for(Duration::from_millis(50));
        assert!(ga.is_some());
    }
    assert!(!lockdep::graph().has_edge("try3::B", "try3::A"));
    assert!(reports_naming(&["try3::A", "try3::B"]).is_empty());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn held_trylock_closing_a_cycle_reports() {
    // The held trylock's outgoing edge is real: A -> B recorded blocking,
    // then try_lock(B) held while blocking on A is B -> A: a cycle.
    static A: LockClass = LockClass::new("try4::A");
    static B: LockClass = LockClass::new("try4::B");
    let a = Mutex::with_class((), &A);
    let b = Mutex::with_class((), &B);
    {
        let _ga = a.lock();
        let _gb = b.lock();
    }
    {
        let _gb = b.try_lock().unwrap();
        let _ga = a.lock();
    }
    let found = reports_naming(&["try4::A", "try4::B"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
    assert_eq!(found[0].classes(), ["try4::B", "try4::A"]);
    assert!(found[0].holding.as_ref().unwrap().trylock);
    assert!(!found[0].acquiring.as_ref().unwrap().trylock);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn trylock_of_a_held_class_is_still_recursive_locking_for_later_locks() {
    // FORMAT.md rule 2: a trylock "still counts for the same-class check of
    // later acquisitions".
    static C: LockClass = LockClass::new("try5::C");
    let a = Mutex::with_class((), &C);
    let b = Mutex::with_class((), &C);
    {
        let _ga = a.try_lock().unwrap();
        let _gb = b.lock();
    }
    let found = reports_naming(&["try5::C"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::RecursiveLocking);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn lockmap_lock_try_behaves_like_a_trylock() {
    static OUTER: LockMap = LockMap::new("trymap::outer");
    static TRIED: LockMap = LockMap::new("trymap::tried");
    static LATER: LockMap = LockMap::new("trymap::later");
    let _o = OUTER.acquire();
    let rec = TRIED.lock_try(lockdep::Mode::Exclusive, 0);
    assert!(rec);
    assert!(TRIED.is_held());
    LATER.might_acquire();
    TRIED.release_if(rec);
    let g = lockdep::graph();
    assert!(!g.has_edge("trymap::outer", "trymap::tried"));
    assert!(g.has_edge("trymap::tried", "trymap::later"));
    assert!(g.has_edge("trymap::outer", "trymap::later"));
    assert!(reports_naming(&["trymap::outer", "trymap::tried", "trymap::later"]).is_empty());
}
