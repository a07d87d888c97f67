//! `Condvar` keeps the checker's held stack true across waits: the mutex
//! leaves the held stack while the thread waits and is re-acquired (and
//! re-validated) when it wakes; other held locks stay held.
//!
//! Every blocking test body runs under a watchdog (`common::with_watchdog`),
//! so a lost wake-up or a real deadlock ends the run with a message instead
//! of hanging it.

mod common;
use common::*;

use std::collections::VecDeque;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use lockdep::{Condvar, LockClass, Mutex, ReportKind};

const LIMIT: Duration = Duration::from_secs(20);

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn producer_consumer_under_another_lock_works_without_reports() {
    static STATS: LockClass = LockClass::new("cv::stats");
    static QUEUE: LockClass = LockClass::new("cv::queue");
    const N: u64 = 500;
    const CAP: usize = 4;

    let sum = with_watchdog(LIMIT, || {
        let stats = Arc::new(Mutex::with_class(0u64, &STATS));
        let queue = Arc::new(Mutex::with_class(VecDeque::<u64>::new(), &QUEUE));
        let not_empty = Arc::new(Condvar::new());
        let not_full = Arc::new(Condvar::new());

        let consumer = {
            let (stats, queue) = (stats.clone(), queue.clone());
            let (not_empty, not_full) = (not_empty.clone(), not_full.clone());
            thread::Builder::new()
                .name("consumer".into())
                .spawn(move || {
                    // The consumer keeps `stats` held across every wait.
                    let mut total = stats.lock();
                    let mut received = 0;
                    while received < N {
                        let mut q = queue.lock();
                        not_empty.wait_while(&mut q, |q| q.is_empty());
                        let v = q.pop_front().unwrap();
                        not_full.notify_one();
                        drop(q);
                        *total += v;
                        received += 1;
                        assert!(stats.is_held());
                    }
                    *total
                })
                .unwrap()
        };
        let producer = {
            let (queue, not_empty, not_full) = (queue.clone(), not_empty.clone(), not_full.clone());
            thread::Builder::new()
                .name("producer".into())
                .spawn(move || {
                    for v in 1..=N {
                        let mut q = queue.lock();
                        while q.len() >= CAP {
                            not_full.wait(&mut q);
                        }
                        q.push_back(v);
                        not_empty.notify_one();
                    }
                })
                .unwrap()
        };
        producer.join().unwrap();
        let total = consumer.join().unwrap();
        assert_eq!(*stats.lock(), total);
        assert!(queue.lock().is_empty());
        total
    });
    assert_eq!(sum, N * (N + 1) / 2);

    let g = lockdep::graph();
    assert!(g.has_edge("cv::stats", "cv::queue"));
    assert!(!g.has_edge("cv::queue", "cv::stats"));
    let found = reports_naming(&["cv::stats", "cv::queue"]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn timed_wait_that_times_out_still_holds_the_mutex() {
    static M: LockClass = LockClass::new("cv::timeout-m");
    with_watchdog(LIMIT, || {
        let m = Mutex::with_class(0u32, &M);
        let cv = Condvar::new();
        let mut g = m.lock();
        let start = Instant::now();
        let r = cv.wait_for(&mut g, Duration::from_millis(20));
        assert!(r.timed_out());
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert!(m.is_held());
        assert!(m.is_locked());
        *g += 1;
        let r = cv.wait_while_for(&mut g, |v| *v < 100, Duration::from_millis(20));
        assert!(r.timed_out());
        assert!(m.is_held());
        drop(g);
        assert!(!m.is_held());
    });
    let found = reports_naming(&["cv::timeout-m"]);
    assert!(found.is_empty(), "no bad unlock after the wait: {found:#?}");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn mutex_reacquired_after_wait_is_on_the_held_stack() {
    // After a notified wait, a lock taken under the mutex records mutex -> other.
    static M: LockClass = LockClass::new("cv::held-after-wait");
    static OTHER: LockClass = LockClass::new("cv::taken-after-wait");
    with_watchdog(LIMIT, || {
        let m = Arc::new(Mutex::with_class(false, &M));
        let cv = Arc::new(Condvar::new());
        let other = Mutex::with_class((), &OTHER);

        let mut ready = m.lock();
        let notifier = {
            let (m, cv) = (m.clone(), cv.clone());
            thread::spawn(move || {
                *m.lock() = true;
                cv.notify_all();
            })
        };
        while !*ready {
            cv.wait(&mut ready);
        }
        assert!(m.is_held());
        assert!(!lockdep::graph().has_edge("cv::held-after-wait", "cv::taken-after-wait"));
        drop(other.lock());
        drop(ready);
        notifier.join().unwrap();
    });
    assert!(lockdep::graph().has_edge("cv::held-after-wait", "cv::taken-after-wait"));
    let found = reports_naming(&["cv::held-after-wait", "cv::taken-after-wait"]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn wait_keeps_other_locks_held_and_revalidates_the_mutex() {
    // M then N, then wait on M while still holding N: the wake-up re-takes M
    // under N (N -> M), the inverse of M -> N. A thread holding M and wanting N
    // would deadlock with this one, so it is a circular dependency.
    static M: LockClass = LockClass::new("cv::outer-mutex");
    static N: LockClass = LockClass::new("cv::inner-lock");
    with_watchdog(LIMIT, || {
        let m = Mutex::with_class((), &M);
        let n = Mutex::with_class((), &N);
        let cv = Condvar::new();
        let mut gm = m.lock();
        let gn = n.lock();
        let r = cv.wait_for(&mut gm, Duration::from_millis(10));
        assert!(r.timed_out());
        assert!(n.is_held() && m.is_held());
        drop(gn);
        drop(gm);
    });
    let found = reports_naming(&["cv::outer-mutex", "cv::inner-lock"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
    assert_eq!(found[0].classes(), ["cv::inner-lock", "cv::outer-mutex"]);
    assert!(lockdep::graph().has_edge("cv::inner-lock", "cv::outer-mutex"));
}

#[test]
fn wait_until_and_notify_one_across_threads() {
    static M: LockClass = LockClass::new("cv::until");
    let got = with_watchdog(LIMIT, || {
        let pair = Arc::new((Mutex::with_class(None::<u32>, &M), Condvar::new()));
        let p2 = pair.clone();
        let t = thread::spawn(move || {
            let (m, cv) = &*p2;
            // Wait for the slot to be filled, with a generous deadline.
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut g = m.lock();
            while g.is_none() {
                if cv.wait_until(&mut g, deadline).timed_out() {
                    break;
                }
            }
            assert!(m.is_held());
            g.take()
        });
        let (m, cv) = &*pair;
        // Keep notifying until the waiter has taken the value.
        *m.lock() = Some(17);
        loop {
            cv.notify_one();
            if t.is_finished() {
                break;
            }
            thread::sleep(Duration::from_millis(1));
        }
        t.join().unwrap()
    });
    assert_eq!(got, Some(17));
    assert!(reports_naming(&["cv::until"]).is_empty());
}

#[test]
fn wait_on_a_nested_mutex_keeps_its_subclass() {
    // parent.lock(); child.lock_nested(1); wait on the child's guard: the
    // wake-up re-takes the child, which must be re-acquired as `class/1`
    // again. Re-acquiring it as subclass 0 under the parent would be a false
    // "recursive locking" report.
    static DIR: LockClass = LockClass::new("cv::dir");
    with_watchdog(LIMIT, || {
        let parent = Mutex::with_class((), &DIR);
        let child = Mutex::with_class((), &DIR);
        let cv = Condvar::new();
        let _p = parent.lock();
        let mut c = child.lock_nested(1);
        let r = cv.wait_for(&mut c, Duration::from_millis(5));
        assert!(r.timed_out());
        assert!(child.is_held());
    });
    let found = reports_naming(&["cv::dir", "cv::dir/1"]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn guard_unlocked_on_a_nested_mutex_keeps_its_subclass() {
    // MutexGuard::unlocked re-takes the lock afterwards; same rule as a wait.
    static DIR: LockClass = LockClass::new("cv::dir-unlocked");
    let parent = Mutex::with_class((), &DIR);
    let child = Mutex::with_class(0u32, &DIR);
    {
        let _p = parent.lock();
        let mut c = child.lock_nested(1);
        lockdep::MutexGuard::unlocked(&mut c, || assert!(!child.is_held()));
        *c += 1;
        assert!(child.is_held());
    }
    let found = reports_naming(&["cv::dir-unlocked", "cv::dir-unlocked/1"]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn wait_on_a_nest_locked_mutex_keeps_its_nest_lock() {
    // Two items of one class held under their nest lock; waiting on one of
    // them must re-take it under the same nest lock, not as a bare lock of a
    // class that is already held.
    static ROOT: LockClass = LockClass::new("cv::nest-root");
    static ITEM: LockClass = LockClass::new("cv::nest-item");
    with_watchdog(LIMIT, || {
        let root = Mutex::with_class((), &ROOT);
        let a = Mutex::with_class((), &ITEM);
        let b = Mutex::with_class((), &ITEM);
        let cv = Condvar::new();
        let _r = root.lock();
        let _ga = a.lock_nest_lock(root.lock_map());
        let mut gb = b.lock_nest_lock(root.lock_map());
        assert!(cv.wait_for(&mut gb, Duration::from_millis(5)).timed_out());
    });
    let found = reports_naming(&["cv::nest-root", "cv::nest-item"]);
    assert!(found.is_empty(), "{found:#?}");
}
