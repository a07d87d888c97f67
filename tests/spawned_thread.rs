//! Reports raised on spawned threads: they carry that thread's name and id,
//! and are visible from every thread through `lockdep::reports()`.

mod common;

use std::sync::{Arc, Barrier};
use std::thread;

use common::{reports_naming, run_named};
use lockdep::{LockClass, Mutex, ReportKind};

/// The calling thread's number as reports print it (lockdep's own counter).
fn thread_id_number() -> u64 {
    lockdep::report::ThreadInfo::current().id
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn report_on_a_named_spawned_thread_names_that_thread() {
    static A: LockClass = LockClass::new("spawned::A");
    static B: LockClass = LockClass::new("spawned::B");
    let worker_id = run_named("worker-7", || {
        let a = Mutex::with_class((), &A);
        let b = Mutex::with_class((), &B);
        {
            let _ga = a.lock();
            let _gb = b.lock();
        }
        {
            let _gb = b.lock();
            let _ga = a.lock();
        }
        // Visible on the reporting thread itself, right away.
        assert_eq!(reports_naming(&["spawned::A"]).len(), 1);
        thread_id_number()
    });

    let found = reports_naming(&["spawned::A", "spawned::B"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let r = &found[0];
    assert_eq!(r.kind, ReportKind::CircularDependency);
    assert_eq!(r.classes(), ["spawned::B", "spawned::A"]);
    assert_eq!(r.thread.name, "worker-7");
    assert_eq!(r.thread.id, worker_id);
    assert_ne!(r.thread.id, thread_id_number());
    let splat = r.splat();
    let who = format!("worker-7/{} is trying to acquire lock:\n", r.thread.id);
    assert!(splat.contains(&who), "{splat}");
    assert!(splat.contains(&format!("1 lock held by worker-7/{}:\n", r.thread.id)));
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn report_on_an_unnamed_thread_says_unnamed() {
    static C: LockClass = LockClass::new("spawned::unnamed-C");
    thread::spawn(|| {
        let x = Mutex::with_class((), &C);
        let y = Mutex::with_class((), &C);
        let _gx = x.lock();
        let _gy = y.lock();
    })
    .join()
    .unwrap();
    let found = reports_naming(&["spawned::unnamed-C"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::RecursiveLocking);
    assert_eq!(found[0].thread.name, "<unnamed>");
    assert!(found[0].splat().contains("<unnamed>/"));
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn chain_entries_name_the_threads_that_recorded_each_edge() {
    static A: LockClass = LockClass::new("spawned3::A");
    static B: LockClass = LockClass::new("spawned3::B");
    static C: LockClass = LockClass::new("spawned3::C");
    let locks = Arc::new((
        Mutex::with_class((), &A),
        Mutex::with_class((), &B),
        Mutex::with_class((), &C),
    ));
    type Three = (Mutex<()>, Mutex<()>, Mutex<()>);
    let run = |name: &str, f: fn(&Three)| {
        let l = locks.clone();
        run_named(name, move || f(&l));
    };
    run("edge-ab", |(a, b, _)| {
        let _x = a.lock();
        let _y = b.lock();
    });
    run("edge-bc", |(_, b, c)| {
        let _x = b.lock();
        let _y = c.lock();
    });
    run("closer-ca", |(a, _, c)| {
        let _x = c.lock();
        let _y = a.lock();
    });
    let found = reports_naming(&["spawned3::A"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let r = &found[0];
    assert_eq!(r.thread.name, "closer-ca");
    let entries: Vec<(usize, &str, &str)> = r
        .chain
        .iter()
        .map(|e| (e.index, e.class.name.as_str(), e.thread.name.as_str()))
        .collect();
    assert_eq!(
        entries,
        [
            (2, "spawned3::C", "edge-bc"),
            (1, "spawned3::B", "edge-ab"),
            (0, "spawned3::A", "closer-ca"),
        ]
    );
    let splat = r.splat();
    for (name, e) in [("edge-bc", &r.chain[0]), ("edge-ab", &r.chain[1])] {
        let line = format!("       {} [{}/{}]\n", e.location, name, e.thread.id);
        assert!(splat.contains(&line), "{line:?} in\n{splat}");
    }
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn reports_from_concurrent_threads_are_all_collected() {
    // Eight threads each hit their own recursive-locking problem at once.
    const N: usize = 8;
    let classes: Vec<&'static LockClass> = (0..N)
        .map(|i| LockClass::new_dynamic(format!("spawned-many::C{i}")))
        .collect();
    let barrier = Arc::new(Barrier::new(N));
    let handles: Vec<_> = classes
        .iter()
        .enumerate()
        .map(|(i, &class)| {
            let barrier = barrier.clone();
            thread::Builder::new()
                .name(format!("many-{i}"))
                .spawn(move || {
                    let x = Mutex::with_class((), class);
                    let y = Mutex::with_class((), class);
                    barrier.wait();
                    let _gx = x.lock();
                    let _gy = y.lock();
                })
                .unwrap()
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    for i in 0..N {
        let name = format!("spawned-many::C{i}");
        let found = reports_naming(&[name.as_str()]);
        assert_eq!(found.len(), 1, "{name}: {found:#?}");
        assert_eq!(found[0].kind, ReportKind::RecursiveLocking);
        assert_eq!(found[0].thread.name, format!("many-{i}"));
    }
}
