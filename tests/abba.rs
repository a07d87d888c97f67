//! ABBA lock-order inversions: two locks taken in opposite orders, on real
//! threads that never run at the same time, on one thread, and a three-lock
//! cycle spread over three threads.
//!
//! Every test uses its own named classes and looks only at the reports that
//! name them, so the tests are independent of each other and of their order.

mod common;
use common::*;

use std::sync::Arc;
use std::thread;

use lockdep::{LockClass, Mutex, Report, ReportKind};

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn abba_on_two_sequential_threads_reports_once_in_held_acquiring_order() {
    static A: LockClass = LockClass::new("abba2t::A");
    static B: LockClass = LockClass::new("abba2t::B");
    let a = Arc::new(Mutex::with_class(0u32, &A));
    let b = Arc::new(Mutex::with_class(0u32, &B));

    // Thread 1: A then B, finishes completely.
    {
        let (a, b) = (a.clone(), b.clone());
        run_named("abba2t-first", move || {
            let _ga = a.lock();
            let mut gb = b.lock();
            *gb += 1;
        });
    }
    assert!(
        reports_naming(&["abba2t::A", "abba2t::B"]).is_empty(),
        "a single consistent order must not report"
    );
    assert!(lockdep::graph().has_edge("abba2t::A", "abba2t::B"));

    // Thread 2, long after: B then A. Nothing can deadlock now, but the
    // order closes the cycle A -> B -> A.
    {
        let (a, b) = (a.clone(), b.clone());
        run_named("abba2t-second", move || {
            let _gb = b.lock();
            let mut ga = a.lock();
            *ga = 42;
        });
    }

    let found = reports_naming(&["abba2t::A", "abba2t::B"]);
    assert_eq!(found.len(), 1, "exactly one report: {found:#?}");
    let r = &found[0];
    assert_eq!(r.kind, ReportKind::CircularDependency);
    // Held lock (#1) first, the lock being acquired (#0) last.
    assert_eq!(r.classes(), ["abba2t::B", "abba2t::A"]);
    assert_eq!(r.holding.as_ref().unwrap().class.name, "abba2t::B");
    assert_eq!(r.acquiring.as_ref().unwrap().class.name, "abba2t::A");
    assert_eq!(r.thread.name, "abba2t-second");
    let indices: Vec<usize> = r.chain.iter().map(|e| e.index).collect();
    assert_eq!(indices, [1, 0]);
    // #1's edge (A -> B) was recorded by the first thread, #0 is now.
    assert_eq!(r.chain[0].thread.name, "abba2t-first");
    assert_eq!(r.chain[1].thread.name, "abba2t-second");
    // The only lock held at the time was B.
    let held: Vec<&str> = r.held.iter().map(|l| l.class.name.as_str()).collect();
    assert_eq!(held, ["abba2t::B"]);

    // The checker only warns: the second thread got its lock and its write is visible.
    assert_eq!(*a.lock(), 42);
    assert_eq!(*b.lock(), 1);
    assert!(!a.is_locked() && !b.is_locked());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn abba_repeated_is_reported_once() {
    static A: LockClass = LockClass::new("abbarep::A");
    static B: LockClass = LockClass::new("abbarep::B");
    let a = Arc::new(Mutex::with_class((), &A));
    let b = Arc::new(Mutex::with_class((), &B));
    for round in 0..3 {
        let (a1, b1) = (a.clone(), b.clone());
        run_named(&format!("abbarep-ab-{round}"), move || {
            let _ga = a1.lock();
            let _gb = b1.lock();
        });
        let (a2, b2) = (a.clone(), b.clone());
        run_named(&format!("abbarep-ba-{round}"), move || {
            let _gb = b2.lock();
            let _ga = a2.lock();
        });
    }
    let found = reports_naming(&["abbarep::A", "abbarep::B"]);
    assert_eq!(
        found.len(),
        1,
        "the same problem is reported once: {found:#?}"
    );
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
    assert_eq!(found[0].classes(), ["abbarep::B", "abbarep::A"]);
    assert_eq!(found[0].thread.name, "abbarep-ba-0");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn same_order_on_many_threads_does_not_report() {
    static A: LockClass = LockClass::new("sameorder::A");
    static B: LockClass = LockClass::new("sameorder::B");
    static C: LockClass = LockClass::new("sameorder::C");
    let a = Arc::new(Mutex::with_class(0u64, &A));
    let b = Arc::new(Mutex::with_class(0u64, &B));
    let c = Arc::new(Mutex::with_class(0u64, &C));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let (a, b, c) = (a.clone(), b.clone(), c.clone());
            thread::spawn(move || {
                for _ in 0..200 {
                    let mut ga = a.lock();
                    *ga += 1;
                    if i % 2 == 0 {
                        // A -> B -> C
                        let mut gb = b.lock();
                        *gb += 1;
                        *c.lock() += 1;
                    } else {
                        // A -> C
                        *c.lock() += 1;
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(*a.lock(), 800);
    assert_eq!(*b.lock(), 400);
    assert_eq!(*c.lock(), 800);
    let g = lockdep::graph();
    assert!(g.has_edge("sameorder::A", "sameorder::B"));
    assert!(g.has_edge("sameorder::B", "sameorder::C"));
    assert!(!g.has_edge("sameorder::C", "sameorder::A"));
    assert!(reports_naming(&["sameorder::A", "sameorder::B", "sameorder::C"]).is_empty());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn three_lock_cycle_over_three_threads() {
    static A: LockClass = LockClass::new("abc3::A");
    static B: LockClass = LockClass::new("abc3::B");
    static C: LockClass = LockClass::new("abc3::C");
    let names = ["abc3::A", "abc3::B", "abc3::C"];
    let a = Arc::new(Mutex::with_class((), &A));
    let b = Arc::new(Mutex::with_class((), &B));
    let c = Arc::new(Mutex::with_class((), &C));

    {
        let (a, b) = (a.clone(), b.clone());
        run_named("abc3-ab", move || {
            let _x = a.lock();
            let _y = b.lock();
        });
    }
    {
        let (b, c) = (b.clone(), c.clone());
        run_named("abc3-bc", move || {
            let _x = b.lock();
            let _y = c.lock();
        });
    }
    assert!(reports_naming(&names).is_empty(), "A->B->C is no cycle yet");
    {
        let (c, a) = (c.clone(), a.clone());
        run_named("abc3-ca", move || {
            let _x = c.lock();
            let _y = a.lock();
        });
    }

    let found = reports_for(ReportKind::CircularDependency, &names);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(reports_naming(&names).len(), 1);
    let r = &found[0];
    // Holding C, acquiring A; the path found is A -> B -> C.
    assert_eq!(r.classes(), ["abc3::C", "abc3::B", "abc3::A"]);
    assert_eq!(r.chain.len(), 3);
    let indices: Vec<usize> = r.chain.iter().map(|e| e.index).collect();
    assert_eq!(indices, [2, 1, 0]);
    // #2 = C via edge B->C (thread abc3-bc), #1 = B via A->B (abc3-ab), #0 = now.
    let threads: Vec<&str> = r.chain.iter().map(|e| e.thread.name.as_str()).collect();
    assert_eq!(threads, ["abc3-bc", "abc3-ab", "abc3-ca"]);
    assert_eq!(r.thread.name, "abc3-ca");

    let splat = r.splat();
    assert!(
        splat.contains("\nChain exists of:\n  abc3::A --> abc3::B --> abc3::C\n\n"),
        "{splat}"
    );
    assert!(splat.contains("\n-> #2 (abc3::C):\n"), "{splat}");
    assert!(splat.contains("\n-> #1 (abc3::B):\n"), "{splat}");
    assert!(splat.contains("\n-> #0 (abc3::A):\n"), "{splat}");
    // CPU1 takes the parent C(N-1) = B, then the held lock C.
    assert!(
        splat.contains(
            "  lock(abc3::C);\n                               lock(abc3::B);\n                               lock(abc3::C);\n  lock(abc3::A);\n"
        ),
        "{splat}"
    );
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn abba_on_one_thread() {
    static A: LockClass = LockClass::new("abba1t::A");
    static B: LockClass = LockClass::new("abba1t::B");
    let a = Mutex::with_class(1u8, &A);
    let b = Mutex::with_class(2u8, &B);
    {
        let _ga = a.lock();
        let _gb = b.lock();
    }
    assert!(reports_naming(&["abba1t::A", "abba1t::B"]).is_empty());
    {
        let _gb = b.lock();
        let mut ga = a.lock();
        *ga = 7;
    }
    let found = reports_naming(&["abba1t::A", "abba1t::B"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let r = &found[0];
    assert_eq!(r.kind, ReportKind::CircularDependency);
    assert_eq!(r.classes(), ["abba1t::B", "abba1t::A"]);
    assert_eq!(
        r.thread.id, r.chain[0].thread.id,
        "both orders ran on this thread"
    );
    assert_eq!(
        r.thread.name,
        thread::current().name().unwrap_or("<unnamed>")
    );
    assert_eq!(*a.lock(), 7);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn site_classes_are_named_by_construction_site() {
    // Mutex::new is #[track_caller]: each construction site is its own class,
    // printed as the lock's type and the site.
    let (a, line_a) = (Mutex::new(()), line!());
    let (b, line_b) = (Mutex::new(()), line!());
    let prefix_a = format!("Mutex<()> @ {}:{}:", file!(), line_a);
    let prefix_b = format!("Mutex<()> @ {}:{}:", file!(), line_b);
    {
        let _ga = a.lock();
        let _gb = b.lock();
    }
    {
        let _gb = b.lock();
        let _ga = a.lock();
    }
    let found: Vec<Report> = lockdep::reports()
        .into_iter()
        .filter(|r| {
            r.kind == ReportKind::CircularDependency
                && r.classes().iter().any(|c| c.starts_with(&prefix_a))
        })
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    let classes = found[0].classes();
    assert_eq!(classes.len(), 2);
    assert!(classes[0].starts_with(&prefix_b), "{classes:?}");
    assert!(classes[1].starts_with(&prefix_a), "{classes:?}");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn objects_of_one_site_class_share_the_class() {
    // Two objects from one construction site are one class; a second site is
    // another. Ordering site1 -> site2 through one pair of objects and
    // site2 -> site1 through a different pair is still an inversion.
    fn make_pair() -> (Mutex<u8>, Mutex<u8>, u32) {
        (Mutex::new(0), Mutex::new(0), line!())
    }
    let (x1, y1, make_pair_line) = make_pair();
    let (x2, y2, _) = make_pair();
    {
        let _g = x1.lock();
        let _h = y1.lock();
    }
    {
        let _h = y2.lock();
        let _g = x2.lock();
    }
    let prefix = format!("Mutex<u8> @ {}:{}:", file!(), make_pair_line);
    let found: Vec<Report> = lockdep::reports()
        .into_iter()
        .filter(|r| r.classes().iter().all(|c| c.starts_with(&prefix)) && !r.classes().is_empty())
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
    assert_ne!(found[0].classes()[0], found[0].classes()[1]);
}
