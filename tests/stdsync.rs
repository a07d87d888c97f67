//! `lockdep::stdsync`: std's API and behaviour, and what it means to the checker.
//!
//! - `on_std` / `on_facade`: the examples of std's documentation for every
//!   method (`tests/stdsync/std_examples.rs`), compiled and run once against
//!   `std::sync` and once against `lockdep::stdsync`. Same source, same
//!   results: that is the drop-in guarantee.
//! - `written_like_std`: application code with the literal
//!   `use lockdep::stdsync::{..}` a migration produces.
//! - The rest: the facade as the checker sees it. Each test uses its own
//!   named classes or construction sites and looks only at reports naming them.

mod common;
use common::*;

use std::thread;
use std::time::Duration;

use lockdep::stdsync::{Arc, Condvar, Mutex, PoisonError, RwLock, TryLockError};
use lockdep::{LockClass, Mode, ReportKind};

/// The reference: std's own locks.
mod on_std {
    use std::sync;
    include!("stdsync/std_examples.rs");
}

/// The same code on the facade.
mod on_facade {
    use lockdep::stdsync as sync;
    include!("stdsync/std_examples.rs");
}

/// Code exactly as it is written against std, after swapping the path.
mod written_like_std {
    use lockdep::stdsync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock};
    use std::collections::HashMap;
    use std::error::Error;
    use std::thread;

    #[derive(Default)]
    struct Registry {
        names: RwLock<HashMap<u32, String>>,
        queue: Mutex<Vec<u32>>,
        wakeup: Condvar,
    }

    impl Registry {
        fn register(&self, id: u32, name: &str) -> Result<(), Box<dyn Error + '_>> {
            self.names.write()?.insert(id, name.to_owned());
            self.queue.lock()?.push(id);
            self.wakeup.notify_all();
            Ok(())
        }

        fn next(&self) -> Option<String> {
            let queue: MutexGuard<'_, Vec<u32>> = self.queue.lock().unwrap();
            let mut queue = self.wakeup.wait_while(queue, |q| q.is_empty()).unwrap();
            let id = queue.pop()?;
            drop(queue);
            let names = self.names.read().unwrap_or_else(PoisonError::into_inner);
            names.get(&id).cloned()
        }
    }

    #[test]
    fn a_registry_written_against_std_runs_on_the_facade() {
        let registry = Arc::new(Registry::default());
        let reader = {
            let registry = Arc::clone(&registry);
            thread::spawn(move || registry.next())
        };
        registry.register(1, "one").unwrap();
        assert_eq!(reader.join().unwrap().as_deref(), Some("one"));
        assert!(!registry.queue.is_poisoned());
    }
}

// ===== the checker through the facade =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn abba_between_two_stdsync_mutexes_is_one_cycle_in_held_acquiring_order() {
    let (a, line_a) = (Arc::new(Mutex::new(0)), line!());
    let (b, line_b) = (Arc::new(Mutex::new(0)), line!());
    let (name_a, name_b) = (a.lock_map().class_name(), b.lock_map().class_name());
    assert!(
        name_a.contains(&format!(" @ {}:{}:", file!(), line_a)),
        "{name_a}"
    );
    assert!(
        name_b.contains(&format!(" @ {}:{}:", file!(), line_b)),
        "{name_b}"
    );
    let names = [name_a.as_str(), name_b.as_str()];

    {
        let (a, b) = (Arc::clone(&a), Arc::clone(&b));
        run_named("stdsync-ab", move || {
            let _a = a.lock().unwrap();
            *b.lock().unwrap() += 1;
        });
    }
    assert!(reports_naming(&names).is_empty());
    {
        let (a, b) = (Arc::clone(&a), Arc::clone(&b));
        run_named("stdsync-ba", move || {
            let _b = b.lock().unwrap();
            *a.lock().unwrap() += 1;
        });
    }

    let found = reports_naming(&names);
    assert_eq!(found.len(), 1, "{found:#?}");
    let r = &found[0];
    assert_eq!(r.kind, ReportKind::CircularDependency);
    assert_eq!(r.classes(), [name_b.as_str(), name_a.as_str()]);
    assert_eq!(r.thread.name, "stdsync-ba");
    assert_eq!(r.holding.as_ref().unwrap().mode, Mode::Exclusive);
    // A warning, not a failure: both threads did their work.
    assert_eq!((*a.lock().unwrap(), *b.lock().unwrap()), (1, 1));
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn read_read_inversion_between_stdsync_rwlocks_is_a_cycle() {
    static A: LockClass = LockClass::new("stdsync-rr::A");
    static B: LockClass = LockClass::new("stdsync-rr::B");
    let names = ["stdsync-rr::A", "stdsync-rr::B"];
    let a = Arc::new(RwLock::with_class(0, &A));
    let b = Arc::new(RwLock::with_class(0, &B));

    {
        let (a, b) = (Arc::clone(&a), Arc::clone(&b));
        run_named("stdsync-rr-ab", move || {
            let _a = a.read().unwrap();
            let _b = b.read().unwrap();
        });
    }
    {
        // Writers: queued on A and B while both readers hold their first
        // lock, they make each second read wait for the other reader.
        let (a, b) = (Arc::clone(&a), Arc::clone(&b));
        run_named("stdsync-rr-writers", move || {
            *a.write().unwrap() += 1;
            *b.write().unwrap() += 1;
        });
    }
    assert!(reports_naming(&names).is_empty());
    {
        let (a, b) = (Arc::clone(&a), Arc::clone(&b));
        run_named("stdsync-rr-ba", move || {
            let _b = b.read().unwrap();
            let _a = a.read().unwrap();
        });
    }

    let found = reports_naming(&names);
    assert_eq!(found.len(), 1, "{found:#?}");
    let r = &found[0];
    assert_eq!(r.kind, ReportKind::CircularDependency);
    assert_eq!(r.classes(), ["stdsync-rr::B", "stdsync-rr::A"]);
    assert_eq!(r.holding.as_ref().unwrap().mode, Mode::Read);
    assert_eq!(r.acquiring.as_ref().unwrap().mode, Mode::Read);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn reading_a_lock_this_thread_already_reads_is_recursive_locking() {
    // std's RwLock type example takes two reads on one thread; std documents
    // that this may deadlock (a writer queued between them), so it is reported.
    static LOCK: LockClass = LockClass::new("stdsync-reread");
    let lock = RwLock::with_class(5, &LOCK);
    {
        let r1 = lock.read().unwrap();
        let r2 = lock.read().unwrap();
        assert_eq!((*r1, *r2), (5, 5));
    }
    let found = reports_naming(&["stdsync-reread"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::RecursiveLocking);
    assert_eq!(found[0].classes(), ["stdsync-reread", "stdsync-reread"]);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn class_is_the_site_of_new_default_from_and_into() {
    static STATIC: Mutex<()> = Mutex::new(());
    let static_line = line!() - 1;
    let site = |line: u32| format!("{}:{}:", file!(), line);

    let (m1, l1) = (Mutex::new(1), line!());
    let (m2, l2) = (Mutex::new(1), line!());
    let (d, ld) = (Mutex::<u8>::default(), line!());
    let (f, lf) = (Mutex::from(3), line!());
    let (i, li): (Mutex<u8>, u32) = (4.into(), line!());
    let (rn, lrn) = (RwLock::new(1), line!());
    let (rd, lrd) = (RwLock::<u8>::default(), line!());
    let (rf, lrf) = (RwLock::from(3), line!());
    let checks = [
        (STATIC.lock_map().class_name(), static_line),
        (m1.lock_map().class_name(), l1),
        (m2.lock_map().class_name(), l2),
        (d.lock_map().class_name(), ld),
        (f.lock_map().class_name(), lf),
        (i.lock_map().class_name(), li),
        (rn.lock_map().class_name(), lrn),
        (rd.lock_map().class_name(), lrd),
        (rf.lock_map().class_name(), lrf),
    ];
    for (name, line) in &checks {
        assert!(
            name.contains(&site(*line)),
            "{name} should be at line {line}"
        );
    }
    assert_ne!(checks[1].0, checks[2].0, "two sites, two classes");

    // The checker sees those classes: an inversion between the `default()`
    // and the `from()` mutex names both sites.
    {
        let _d = d.lock().unwrap();
        let _f = f.lock().unwrap();
    }
    {
        let _f = f.lock().unwrap();
        let _d = d.lock().unwrap();
    }
    let found = reports_naming(&[checks[3].0.as_str(), checks[4].0.as_str()]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
    assert_eq!(
        found[0].classes(),
        [checks[4].0.as_str(), checks[3].0.as_str()]
    );
}

#[test]
fn one_site_built_twice_is_one_class() {
    fn make() -> Mutex<u8> {
        Mutex::new(0)
    }
    assert_eq!(
        make().lock_map().class_name(),
        make().lock_map().class_name()
    );
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn try_lock_is_a_trylock_and_never_closes_a_cycle() {
    static A: LockClass = LockClass::new("stdsync-try::A");
    static B: LockClass = LockClass::new("stdsync-try::B");
    let a = Mutex::with_class((), &A);
    let b = Mutex::with_class((), &B);
    {
        let _a = a.lock().unwrap();
        let _b = b.lock().unwrap();
    }
    {
        let _b = b.lock().unwrap();
        let a_guard = a.try_lock().expect("free");
        assert!(a.lock_map().is_held());
        drop(a_guard);
        let _a = a.try_lock();
    }
    assert!(reports_naming(&["stdsync-try::A", "stdsync-try::B"]).is_empty());
    let g = lockdep::graph();
    assert!(g.has_edge("stdsync-try::A", "stdsync-try::B"));
    assert!(!g.has_edge("stdsync-try::B", "stdsync-try::A"));

    // A failed trylock records nothing.
    let held = a.lock().unwrap();
    assert!(matches!(a.try_lock(), Err(TryLockError::WouldBlock)));
    drop(held);
    assert!(!a.lock_map().is_held());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn a_poisoned_guard_is_held_and_released_like_any_other() {
    static P: LockClass = LockClass::new("stdsync-poison::P");
    static Q: LockClass = LockClass::new("stdsync-poison::Q");
    let p = Arc::new(Mutex::with_class(0, &P));
    let q = Mutex::with_class(0, &Q);
    {
        let p = Arc::clone(&p);
        let joined = thread::Builder::new()
            .name("stdsync-poisoner".into())
            .spawn(move || {
                let mut g = p.lock().unwrap();
                *g = 1;
                panic!("poison it");
            })
            .unwrap()
            .join();
        assert!(joined.is_err());
    }
    assert!(p.is_poisoned());

    let err = p.lock().unwrap_err();
    assert!(
        p.lock_map().is_held(),
        "the guard in the error holds the lock"
    );
    // It is a real held lock: taking another under it records the dependency.
    *q.lock().unwrap() += 1;
    assert_eq!(**err.get_ref(), 1);
    drop(err);
    assert!(!p.lock_map().is_held());
    assert!(lockdep::graph().has_edge("stdsync-poison::P", "stdsync-poison::Q"));

    // The unwind released the lock cleanly: no report of any kind.
    let names = ["stdsync-poison::P", "stdsync-poison::Q"];
    assert!(
        reports_naming(&names).is_empty(),
        "{:#?}",
        reports_naming(&names)
    );
    p.clear_poison();
    assert_eq!(*p.lock().unwrap(), 1);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn condvar_wait_releases_the_mutex_and_revalidates_it_under_held_locks() {
    static OUTER: LockClass = LockClass::new("stdsync-cv::outer");
    static STATE: LockClass = LockClass::new("stdsync-cv::state");
    let outer = Mutex::with_class((), &OUTER);
    let pair = Arc::new((Mutex::with_class(false, &STATE), Condvar::new()));

    let _outer = outer.lock().unwrap();
    let (lock, cvar) = &*pair;
    let notifier = {
        let pair = Arc::clone(&pair);
        thread::spawn(move || {
            let (lock, cvar) = &*pair;
            // Only possible because the waiter's wait released the mutex.
            *lock.lock().unwrap() = true;
            cvar.notify_all();
        })
    };
    let (ready, result) = cvar
        .wait_timeout_while(lock.lock().unwrap(), Duration::from_secs(30), |r| !*r)
        .unwrap();
    assert!(!result.timed_out() && *ready);
    assert!(lock.lock_map().is_held() && outer.lock_map().is_held());
    drop(ready);
    assert!(!lock.lock_map().is_held());
    notifier.join().unwrap();

    assert!(lockdep::graph().has_edge("stdsync-cv::outer", "stdsync-cv::state"));
    let names = ["stdsync-cv::outer", "stdsync-cv::state"];
    assert!(
        reports_naming(&names).is_empty(),
        "{:#?}",
        reports_naming(&names)
    );
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn condvar_reacquire_under_another_lock_closes_a_cycle() {
    // The waiter takes `state` then `outer`, then waits on `state`: the wait
    // releases `state` but keeps `outer`, so the re-acquisition after the
    // wake-up is `outer -> state`. Another thread taking `state` then `outer`
    // while this one waits would deadlock with it.
    static OUTER: LockClass = LockClass::new("stdsync-cv2::outer");
    static STATE: LockClass = LockClass::new("stdsync-cv2::state");
    let names = ["stdsync-cv2::outer", "stdsync-cv2::state"];
    let outer = Mutex::with_class((), &OUTER);
    let state = Mutex::with_class(0, &STATE);
    let cvar = Condvar::new();

    let g = state.lock().unwrap();
    let o = outer.lock().unwrap(); // state -> outer
    assert!(reports_naming(&names).is_empty());
    let (res, line) = (cvar.wait_timeout(g, Duration::from_millis(1)), line!());
    let (g, result) = res.unwrap();
    assert!(result.timed_out());
    drop((g, o));

    let found = reports_naming(&names);
    assert_eq!(found.len(), 1, "{found:#?}");
    let r = &found[0];
    assert_eq!(r.kind, ReportKind::CircularDependency);
    assert_eq!(r.classes(), ["stdsync-cv2::outer", "stdsync-cv2::state"]);
    // The re-acquisition is attributed to the caller of `wait_timeout`.
    let acquiring = r.acquiring.as_ref().unwrap();
    assert!(
        acquiring
            .location
            .starts_with(&format!("{}:{}:", file!(), line)),
        "{}",
        acquiring.location
    );
}

#[test]
fn into_inner_of_a_poison_error_gives_the_data() {
    let m = Arc::new(Mutex::new(vec![1]));
    let m2 = Arc::clone(&m);
    let _ = thread::spawn(move || {
        let mut g = m2.lock().unwrap();
        g.push(2);
        panic!();
    })
    .join();
    let data = m.lock().unwrap_or_else(PoisonError::into_inner);
    assert_eq!(*data, [1, 2]);
}
