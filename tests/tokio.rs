//! Async tasks (feature `tokio`): lock order checked per task on real tokio
//! runtimes, guards released elsewhere, cancellation, blocking locks held
//! across `.await`, mixed sync/async cycles, nested runtimes, `#[lockdep::test]`
//! on async tests.
//!
//! Run with `cargo test --features tokio --test tokio` (`.ci/run` does).
//! Every test uses its own named classes and looks only at the reports that
//! name them.
#![cfg(feature = "tokio")]

mod common;

use std::future::{pending, ready};
use std::sync::Arc;
use std::time::Duration;

use common::reports_naming;
use lockdep::task::Instrument;
use lockdep::{LockClass, ReportKind};

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

/// The one report naming `names`, of kind `kind`.
fn one_report(kind: ReportKind, names: &[&str]) -> lockdep::Report {
    let found = reports_naming(names);
    assert_eq!(found.len(), 1, "exactly one report: {found:#?}");
    assert_eq!(found[0].kind, kind, "{}", found[0].splat());
    found[0].clone()
}

/// Two tasks, `A` then `B` and, after the first has finished, `B` then `A`.
async fn abba(a: Arc<lockdep::tokio::Mutex<u32>>, b: Arc<lockdep::tokio::Mutex<u32>>, spawn: bool) {
    let first = {
        let (a, b) = (a.clone(), b.clone());
        async move {
            let _ga = a.lock().await;
            tokio::task::yield_now().await;
            *b.lock().await += 1;
        }
    };
    let second = async move {
        let _gb = b.lock().await;
        tokio::task::yield_now().await;
        *a.lock().await += 1;
    };
    if spawn {
        lockdep::task::spawn(first).await.unwrap();
        lockdep::task::spawn(second).await.unwrap();
    } else {
        tokio::spawn(first).await.unwrap();
        tokio::spawn(second).await.unwrap();
    }
}

fn assert_abba(a: &str, b: &str) {
    let r = one_report(ReportKind::CircularDependency, &[a, b]);
    assert_eq!(
        r.classes(),
        [b, a],
        "held lock first, then the one acquired"
    );
    let task = r.thread.task.as_ref().expect("the report names the task");
    assert!(task.tokio, "a tokio task: {task:?}");
    assert!(
        r.splat().contains(&format!("task#{} on ", task.id)),
        "{}",
        r.splat()
    );
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn abba_between_two_instrumented_tasks_on_a_multi_thread_runtime() {
    static A: LockClass = LockClass::new("tk-mt::A");
    static B: LockClass = LockClass::new("tk-mt::B");
    let a = Arc::new(lockdep::tokio::Mutex::with_class(0, &A));
    let b = Arc::new(lockdep::tokio::Mutex::with_class(0, &B));
    multi_thread().block_on(abba(a, b, true));
    assert_abba("tk-mt::A", "tk-mt::B");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn abba_between_two_instrumented_tasks_on_a_current_thread_runtime() {
    static A: LockClass = LockClass::new("tk-ct::A");
    static B: LockClass = LockClass::new("tk-ct::B");
    let a = Arc::new(lockdep::tokio::Mutex::with_class(0, &A));
    let b = Arc::new(lockdep::tokio::Mutex::with_class(0, &B));
    current_thread().block_on(abba(a, b, true));
    assert_abba("tk-ct::A", "tk-ct::B");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn abba_between_two_uninstrumented_tokio_tasks() {
    static A: LockClass = LockClass::new("tk-plain::A");
    static B: LockClass = LockClass::new("tk-plain::B");
    let a = Arc::new(lockdep::tokio::Mutex::with_class(0, &A));
    let b = Arc::new(lockdep::tokio::Mutex::with_class(0, &B));
    multi_thread().block_on(abba(a, b, false));
    assert_abba("tk-plain::A", "tk-plain::B");
}

/// Two tasks interleaved on one thread: one holds `A` across an await while
/// the other takes `B`. Per-task stacks record no `A -> B` (a per-thread
/// stack would, and would then report the harmless `B -> A` elsewhere).
fn interleaved(instrument: bool, a_name: &'static LockClass, b_name: &'static LockClass) {
    let a = Arc::new(lockdep::tokio::Mutex::with_class((), a_name));
    let b = Arc::new(lockdep::tokio::Mutex::with_class((), b_name));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (back_tx, back_rx) = tokio::sync::oneshot::channel::<()>();
    current_thread().block_on(async move {
        let holder = {
            let a = a.clone();
            async move {
                let _ga = a.lock().await;
                tx.send(()).unwrap();
                back_rx.await.unwrap(); // the other task runs meanwhile
            }
        };
        let taker = {
            let b = b.clone();
            async move {
                rx.await.unwrap();
                drop(b.lock().await);
                back_tx.send(()).unwrap();
            }
        };
        let (h, t) = if instrument {
            (lockdep::task::spawn(holder), lockdep::task::spawn(taker))
        } else {
            (tokio::spawn(holder), tokio::spawn(taker))
        };
        h.await.unwrap();
        t.await.unwrap();
        // And the opposite order, in one task: no cycle.
        let _gb = b.lock().await;
        drop(a.lock().await);
    });
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn interleaved_instrumented_tasks_on_one_thread_do_not_share_held_locks() {
    static A: LockClass = LockClass::new("tk-il::A");
    static B: LockClass = LockClass::new("tk-il::B");
    interleaved(true, &A, &B);
    assert!(!lockdep::graph().has_edge("tk-il::A", "tk-il::B"));
    assert!(lockdep::graph().has_edge("tk-il::B", "tk-il::A"));
    assert!(reports_naming(&["tk-il::A", "tk-il::B"]).is_empty());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn interleaved_uninstrumented_tasks_on_one_thread_do_not_share_held_locks() {
    static A: LockClass = LockClass::new("tk-il-plain::A");
    static B: LockClass = LockClass::new("tk-il-plain::B");
    interleaved(false, &A, &B);
    assert!(!lockdep::graph().has_edge("tk-il-plain::A", "tk-il-plain::B"));
    assert!(reports_naming(&["tk-il-plain::A", "tk-il-plain::B"]).is_empty());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn a_guard_held_across_awaits_on_a_multi_thread_runtime_is_released_by_its_task() {
    static A: LockClass = LockClass::new("tk-move::A");
    static B: LockClass = LockClass::new("tk-move::B");
    let a = Arc::new(lockdep::tokio::Mutex::with_class(0u32, &A));
    let b = Arc::new(lockdep::tokio::Mutex::with_class(0u32, &B));
    multi_thread().block_on(async {
        let (a2, b2) = (a.clone(), b.clone());
        lockdep::task::spawn(async move {
            let mut g = a2.lock().await;
            // Awaits that wake from other threads: the task may resume on
            // either worker; the entry travels with it.
            for _ in 0..50 {
                tokio::task::spawn_blocking(|| ()).await.unwrap();
            }
            *g += 1;
            assert!(a2.lock_map().is_held());
            drop(g);
            assert!(!a2.lock_map().is_held());
            drop(b2.lock().await);
        })
        .await
        .unwrap();
    });
    assert!(!lockdep::graph().has_edge("tk-move::A", "tk-move::B"));
    assert!(reports_naming(&["tk-move::A", "tk-move::B"]).is_empty());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn a_guard_moved_to_another_thread_and_dropped_there_goes_back_to_its_task() {
    static A: LockClass = LockClass::new("tk-post::A");
    static B: LockClass = LockClass::new("tk-post::B");
    let a = Arc::new(lockdep::tokio::Mutex::with_class(0u32, &A));
    let b = Arc::new(lockdep::tokio::Mutex::with_class(0u32, &B));
    multi_thread().block_on(async {
        let (a2, b2) = (a.clone(), b.clone());
        lockdep::task::spawn(async move {
            let g = a2.clone().lock_owned().await;
            // Dropped on a plain thread that is no task: posted to the task.
            std::thread::spawn(move || drop(g)).join().unwrap();
            tokio::task::yield_now().await; // the next poll applies it
            assert!(!a2.lock_map().is_held());
            drop(b2.lock().await);
        })
        .await
        .unwrap();
        // A guard taken by the runtime's own thread (no task) and dropped
        // by a task on a worker: posted to this thread.
        let g = a.clone().lock_owned().await;
        lockdep::task::spawn(async move { drop(g) }).await.unwrap();
        drop(b.lock().await);
    });
    assert!(!lockdep::graph().has_edge("tk-post::A", "tk-post::B"));
    assert!(reports_naming(&["tk-post::A", "tk-post::B"]).is_empty());
    assert!(a.try_lock().is_ok(), "the lock itself is free");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn cancelled_while_waiting_leaves_nothing_behind() {
    static M: LockClass = LockClass::new("tk-cancel-wait::M");
    static B: LockClass = LockClass::new("tk-cancel-wait::B");
    let m = Arc::new(lockdep::tokio::Mutex::with_class((), &M));
    let b = lockdep::tokio::Mutex::with_class((), &B);
    let held_elsewhere = m.clone().try_lock_owned().unwrap();
    current_thread().block_on(
        async {
            // select!: the lock future is polled (validated, pending), then
            // dropped when the other branch wins.
            tokio::select! {
                biased;
                _ = m.lock() => unreachable!("m is held elsewhere"),
                _ = ready(()) => {}
            }
            assert!(!m.lock_map().is_held());
            drop(b.lock().await);
            // timeout: the same, by the timer.
            assert!(
                tokio::time::timeout(Duration::from_millis(5), m.lock())
                    .await
                    .is_err()
            );
            assert!(!m.lock_map().is_held());
            drop(b.lock().await);
        }
        .lockdep(),
    );
    drop(held_elsewhere);
    assert!(!lockdep::graph().has_edge("tk-cancel-wait::M", "tk-cancel-wait::B"));
    assert!(reports_naming(&["tk-cancel-wait::M", "tk-cancel-wait::B"]).is_empty());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn cancelled_while_holding_releases_the_lock() {
    static A: LockClass = LockClass::new("tk-cancel-hold::A");
    static B: LockClass = LockClass::new("tk-cancel-hold::B");
    let a = lockdep::tokio::Mutex::with_class((), &A);
    let b = lockdep::tokio::Mutex::with_class((), &B);
    current_thread().block_on(
        async {
            tokio::select! {
                biased;
                _ = async { let _g = a.lock().await; pending::<()>().await } => unreachable!(),
                _ = ready(()) => {}
            }
            assert!(!a.lock_map().is_held());
            let r = tokio::time::timeout(Duration::from_millis(5), async {
                let _g = a.lock().await;
                pending::<()>().await
            })
            .await;
            assert!(r.is_err());
            assert!(!a.lock_map().is_held());
            drop(b.lock().await);
        }
        .lockdep(),
    );
    assert!(a.try_lock().is_ok());
    assert!(!lockdep::graph().has_edge("tk-cancel-hold::A", "tk-cancel-hold::B"));
    assert!(reports_naming(&["tk-cancel-hold::A", "tk-cancel-hold::B"]).is_empty());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn a_blocking_lock_held_across_await_is_reported_once_with_both_sites() {
    static S: LockClass = LockClass::new("tk-across::S");
    let s = lockdep::Mutex::with_class(0u32, &S);
    current_thread().block_on(
        async {
            for _ in 0..3 {
                let mut g = s.lock(); // the acquisition site in the report
                tokio::task::yield_now().await; // Pending while `g` is held
                *g += 1;
            }
        }
        .lockdep_named("across"),
    );
    let r = one_report(ReportKind::BlockingLockHeldAcrossAwait, &["tk-across::S"]);
    let held = r.acquiring.as_ref().unwrap();
    assert_eq!(held.class.name, "tk-across::S");
    assert!(
        held.location.contains("tests/tokio.rs"),
        "{}",
        held.location
    );
    let polled_at = r.location.as_deref().unwrap();
    assert!(polled_at.contains("tests/tokio.rs"), "{polled_at}");
    assert_ne!(held.location, polled_at);
    let task = r.thread.task.as_ref().unwrap();
    assert_eq!(task.name.as_deref(), Some("across"));
    assert!(!task.tokio, "block_on's future is no tokio task");
    let splat = r.splat();
    assert!(
        splat.contains("WARNING: blocking lock held across await"),
        "{splat}"
    );
    assert!(splat.contains("(across) on "), "{splat}");
    assert!(splat.contains(polled_at), "{splat}");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn a_blocking_lock_taken_and_released_between_awaits_is_silent() {
    static S: LockClass = LockClass::new("tk-between::S");
    let s = lockdep::Mutex::with_class(0u32, &S);
    current_thread().block_on(
        async {
            for _ in 0..3 {
                *s.lock() += 1;
                tokio::task::yield_now().await;
            }
            let t = lockdep::tokio::Mutex::new(());
            let _async_guard = t.lock().await; // an async lock across await: fine
            tokio::task::yield_now().await;
        }
        .lockdep(),
    );
    assert!(reports_naming(&["tk-between::S"]).is_empty());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn a_mixed_sync_async_cycle_is_found() {
    static S: LockClass = LockClass::new("tk-mixed::sync");
    static T: LockClass = LockClass::new("tk-mixed::async");
    let s = lockdep::Mutex::with_class((), &S);
    let t = lockdep::tokio::Mutex::with_class((), &T);
    let rt = current_thread();
    rt.block_on(
        async {
            let _gs = s.lock();
            drop(t.lock().await); // granted at once: no Pending
        }
        .lockdep(),
    );
    assert!(lockdep::graph().has_edge("tk-mixed::sync", "tk-mixed::async"));
    rt.block_on(
        async {
            let _gt = t.lock().await;
            drop(s.lock());
        }
        .lockdep(),
    );
    let r = one_report(
        ReportKind::CircularDependency,
        &["tk-mixed::sync", "tk-mixed::async"],
    );
    assert_eq!(r.classes(), ["tk-mixed::async", "tk-mixed::sync"]);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn nested_runtime_inside_spawn_blocking_shares_the_graph() {
    static A: LockClass = LockClass::new("tk-nested::A");
    static B: LockClass = LockClass::new("tk-nested::B");
    let a = Arc::new(lockdep::tokio::Mutex::with_class((), &A));
    let b = Arc::new(lockdep::tokio::Mutex::with_class((), &B));
    multi_thread().block_on(async {
        let (a2, b2) = (a.clone(), b.clone());
        lockdep::task::spawn(async move {
            let _ga = a2.lock().await;
            drop(b2.lock().await);
        })
        .await
        .unwrap();
        let (a3, b3) = (a.clone(), b.clone());
        tokio::task::spawn_blocking(move || {
            // A runtime of its own on the blocking thread.
            current_thread().block_on(
                async move {
                    let _gb = b3.lock().await;
                    drop(a3.lock().await);
                }
                .lockdep(),
            );
            // And the blocking API, from the blocking task.
            drop(b.blocking_lock());
        })
        .await
        .unwrap();
    });
    let r = one_report(
        ReportKind::CircularDependency,
        &["tk-nested::A", "tk-nested::B"],
    );
    assert_eq!(r.classes(), ["tk-nested::B", "tk-nested::A"]);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn recursion_on_one_tokio_mutex_in_one_task_is_reported_before_it_hangs() {
    static M: LockClass = LockClass::new("tk-recursive::M");
    let m = lockdep::tokio::Mutex::with_class((), &M);
    current_thread().block_on(
        async {
            let _g = m.lock().await;
            // A certain self-deadlock: reported at the first poll, before
            // the task would wait forever (cancelled here to end the test).
            tokio::select! {
                biased;
                _ = m.lock() => unreachable!("the mutex is held"),
                _ = ready(()) => {}
            }
        }
        .lockdep(),
    );
    let r = one_report(ReportKind::RecursiveLocking, &["tk-recursive::M"]);
    assert_eq!(r.classes(), ["tk-recursive::M", "tk-recursive::M"]);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn rwlock_read_write_cycle_and_downgrade() {
    static R: LockClass = LockClass::new("tk-rw::R");
    static M: LockClass = LockClass::new("tk-rw::M");
    let r = Arc::new(lockdep::tokio::RwLock::with_class(1u32, &R));
    let m = Arc::new(lockdep::tokio::Mutex::with_class((), &M));
    current_thread().block_on(
        async {
            {
                let w = r.write().await;
                let g = w.downgrade();
                assert_eq!(*g, 1);
                drop(m.lock().await); // R (read) -> M
            }
            let _gm = m.lock().await;
            // M -> R (write): closes the cycle; a read blocks behind a
            // waiting writer, so the read above counts (non-recursive read).
            let _w = r.clone().write_owned().await;
        }
        .lockdep(),
    );
    let rep = one_report(ReportKind::CircularDependency, &["tk-rw::R", "tk-rw::M"]);
    assert_eq!(rep.classes(), ["tk-rw::M", "tk-rw::R"]);
}

#[test]
fn debug_output_is_tokios() {
    let ours = lockdep::tokio::Mutex::new(vec![1, 2]);
    let theirs = tokio::sync::Mutex::new(vec![1, 2]);
    assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
    {
        let (g1, g2) = (ours.try_lock().unwrap(), theirs.try_lock().unwrap());
        assert_eq!(format!("{ours:?}"), format!("{theirs:?}"), "locked");
        assert_eq!(format!("{g1:?}"), format!("{g2:?}"));
    }
    let ours = lockdep::tokio::RwLock::new("x");
    let theirs = tokio::sync::RwLock::new("x");
    assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
    let (g1, g2) = (ours.try_write().unwrap(), theirs.try_write().unwrap());
    assert_eq!(format!("{ours:?}"), format!("{theirs:?}"), "locked");
    assert_eq!(format!("{g1:?}"), format!("{g2:?}"));
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn guards_are_send_and_mapped_guards_release() {
    fn assert_send<T: Send>(_: &T) {}
    static M: LockClass = LockClass::new("tk-map::M");
    let m = Arc::new(lockdep::tokio::Mutex::with_class((1u32, 2u32), &M));
    let g = m.try_lock().unwrap();
    assert_send(&g);
    let mut part = lockdep::tokio::MutexGuard::map(g, |p| &mut p.1);
    *part += 1;
    assert!(m.lock_map().is_held());
    drop(part);
    assert!(!m.lock_map().is_held());
    let owned = m.clone().try_lock_owned().unwrap();
    assert_send(&owned);
    let part = lockdep::tokio::OwnedMutexGuard::map(owned, |p| &mut p.0);
    assert_eq!(*part, 1);
    drop(part);
    assert_eq!(*m.try_lock().unwrap(), (1, 3));
    assert!(reports_naming(&["tk-map::M"]).is_empty());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn a_named_task_is_named_in_reports() {
    static A: LockClass = LockClass::new("tk-named::A");
    static B: LockClass = LockClass::new("tk-named::B");
    let a = Arc::new(lockdep::tokio::Mutex::with_class((), &A));
    let b = Arc::new(lockdep::tokio::Mutex::with_class((), &B));
    multi_thread().block_on(async {
        let (a2, b2) = (a.clone(), b.clone());
        lockdep::task::Builder::new()
            .name("first")
            .spawn(async move {
                let _ga = a2.lock().await;
                drop(b2.lock().await);
            })
            .await
            .unwrap();
        lockdep::task::Builder::new()
            .name("second")
            .spawn(async move {
                let _gb = b.lock().await;
                drop(a.lock().await);
            })
            .await
            .unwrap();
    });
    let r = one_report(
        ReportKind::CircularDependency,
        &["tk-named::A", "tk-named::B"],
    );
    let task_name = |t: &lockdep::report::ThreadInfo| t.task.as_ref().unwrap().name.clone();
    assert_eq!(task_name(&r.thread).as_deref(), Some("second"));
    // #1 (the edge A -> B) was recorded by the first task, #0 by the second.
    assert_eq!(task_name(&r.chain[0].thread).as_deref(), Some("first"));
    assert_eq!(task_name(&r.chain[1].thread).as_deref(), Some("second"));
    let splat = r.splat();
    assert!(splat.contains("(second) on "), "{splat}");
    assert!(splat.contains("(first) on "), "{splat}");
    // The task travels through a dump and back.
    let json = serde_json::to_string(&r).unwrap();
    let back: lockdep::Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
}

#[lockdep::test]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lockdep_test_on_a_clean_async_test_passes() {
    let a = Arc::new(lockdep::tokio::Mutex::new(0));
    let a2 = a.clone();
    lockdep::task::spawn(async move { *a2.lock().await += 1 })
        .await
        .unwrap();
    assert_eq!(*a.lock().await, 1);
}

#[lockdep::test]
#[tokio::test]
#[should_panic(
    expected = "lock-order problem(s) in test `tokio::lockdep_test_fails_an_async_test_with_a_report_in_a_task`"
)]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
async fn lockdep_test_fails_an_async_test_with_a_report_in_a_task() {
    static A: LockClass = LockClass::new("tk-attr::A");
    static B: LockClass = LockClass::new("tk-attr::B");
    let a = Arc::new(lockdep::tokio::Mutex::with_class(0, &A));
    let b = Arc::new(lockdep::tokio::Mutex::with_class(0, &B));
    abba(a, b, true).await;
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn dumps_with_tasks_validate_against_the_schema_and_read_back() {
    static S: LockClass = LockClass::new("tk-dump::S");
    let s = lockdep::Mutex::with_class((), &S);
    current_thread().block_on(
        async {
            let _g = s.lock();
            tokio::task::yield_now().await;
        }
        .lockdep_named("dumped"),
    );
    let dump = lockdep::Dump::current();
    let mine = dump
        .reports
        .iter()
        .find(|r| {
            r.kind == ReportKind::BlockingLockHeldAcrossAwait && r.classes() == ["tk-dump::S"]
        })
        .expect("the report is in the dump");
    assert_eq!(
        mine.thread.task.as_ref().unwrap().name.as_deref(),
        Some("dumped")
    );
    let json = dump.to_json().unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/schema/lockdep-dump-v1.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let instance: serde_json::Value = serde_json::from_str(&json).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "schema violations: {errors:#?}");
    assert_eq!(lockdep::Dump::parse(&json, "x").unwrap(), dump);
    // A thread written before tasks were named reads as no task.
    let old: lockdep::report::ThreadInfo =
        serde_json::from_str(r#"{"name":"main","id":1}"#).unwrap();
    assert_eq!(old.task, None);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn a_guard_of_an_uninstrumented_task_dropped_by_another_task_goes_back_to_it() {
    static A: LockClass = LockClass::new("tk-post-plain::A");
    static B: LockClass = LockClass::new("tk-post-plain::B");
    let a = Arc::new(lockdep::tokio::Mutex::with_class(0u32, &A));
    let b = Arc::new(lockdep::tokio::Mutex::with_class(0u32, &B));
    multi_thread().block_on(async move {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
        let dropper = tokio::spawn(async move {
            let guard: lockdep::tokio::OwnedMutexGuard<u32> = rx.await.unwrap();
            drop(guard); // in another (uninstrumented) task: posted to the owner
            done_tx.send(()).unwrap();
        });
        let owner = tokio::spawn(async move {
            tx.send(a.clone().lock_owned().await).unwrap();
            done_rx.await.unwrap();
            // The owner's next async-lock event applies the release first.
            drop(b.lock().await);
        });
        dropper.await.unwrap();
        owner.await.unwrap();
    });
    assert!(!lockdep::graph().has_edge("tk-post-plain::A", "tk-post-plain::B"));
    assert!(reports_naming(&["tk-post-plain::A", "tk-post-plain::B"]).is_empty());
}

#[lockdep::classes]
#[derive(Default)]
struct Server {
    conns: lockdep::tokio::Mutex<Vec<u32>>,
    index: lockdep::tokio::RwLock<Vec<u32>>,
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn classes_by_field_and_subclasses_work_for_async_locks() {
    let s = Server::default();
    assert_eq!(s.conns.lock_map().class_name(), "&Server->conns");
    assert_eq!(s.index.lock_map().class_name(), "&Server->index");
    static NODE: LockClass = LockClass::new("tk-sub::node");
    let parent = lockdep::tokio::Mutex::with_class((), &NODE);
    let child = lockdep::tokio::Mutex::with_class((), &NODE);
    current_thread().block_on(
        async {
            let _p = parent.lock().await;
            drop(child.lock_nested(1).await); // a subclass: not recursion
            let _i = s.index.read().await;
            drop(s.conns.lock().await);
        }
        .lockdep(),
    );
    assert!(reports_naming(&["tk-sub::node", "tk-sub::node/1"]).is_empty());
    assert!(lockdep::graph().has_edge("tk-sub::node", "tk-sub::node/1"));
    assert!(lockdep::graph().has_edge("&Server->index", "&Server->conns"));
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn many_tasks_in_one_order_on_real_workers_report_nothing_and_leave_nothing_held() {
    static A: LockClass = LockClass::new("tk-many::A");
    static B: LockClass = LockClass::new("tk-many::B");
    static S: LockClass = LockClass::new("tk-many::S");
    let a = Arc::new(lockdep::tokio::Mutex::with_class(0u64, &A));
    let b = Arc::new(lockdep::tokio::RwLock::with_class(0u64, &B));
    let s = Arc::new(lockdep::Mutex::with_class(0u64, &S));
    multi_thread().block_on(async {
        let mut handles = Vec::new();
        for i in 0..64u64 {
            let (a, b, s) = (a.clone(), b.clone(), s.clone());
            let task = async move {
                for _ in 0..20 {
                    let mut ga = a.lock().await; // contended: waits, re-pushed
                    tokio::task::yield_now().await;
                    if i % 2 == 0 {
                        *b.write().await += 1;
                    } else {
                        let _r = b.read().await;
                    }
                    *s.lock() += 1; // A -> S, B released before
                    *ga += 1;
                }
            };
            // Half instrumented, half plain tokio tasks.
            handles.push(if i % 4 < 2 {
                lockdep::task::spawn(task)
            } else {
                tokio::spawn(task)
            });
        }
        for h in handles {
            h.await.unwrap();
        }
    });
    assert_eq!(*a.try_lock().unwrap(), 64 * 20);
    assert!(reports_naming(&["tk-many::A", "tk-many::B", "tk-many::S"]).is_empty());
    assert!(!a.lock_map().is_held() && !s.lock_map().is_held());
    assert!(lockdep::graph().has_edge("tk-many::A", "tk-many::B"));
    assert!(lockdep::graph().has_edge("tk-many::A", "tk-many::S"));
    assert!(!lockdep::graph().has_edge("tk-many::B", "tk-many::A"));
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn a_task_that_ends_with_a_leaked_blocking_lock_is_reported() {
    static S: LockClass = LockClass::new("tk-leak::S");
    static T: LockClass = LockClass::new("tk-leak::T");
    let s = lockdep::Mutex::with_class((), &S);
    let t = Arc::new(lockdep::tokio::Mutex::with_class((), &T));
    let t2 = t.clone();
    let s = &s; // outlives the task (dropping it inside would be *held lock freed*)
    let escaped = current_thread().block_on(
        async move {
            std::mem::forget(s.lock()); // leaked: reported when the task ends
            t2.lock_owned().await // an async guard that lives on: not reported
        }
        .lockdep_named("leaky"),
    );
    let r = one_report(ReportKind::LocksHeldAtExit, &["tk-leak::S", "tk-leak::T"]);
    let held: Vec<&str> = r.held.iter().map(|l| l.class.name.as_str()).collect();
    assert_eq!(held, ["tk-leak::S"]);
    assert_eq!(
        r.thread.task.as_ref().unwrap().name.as_deref(),
        Some("leaky")
    );
    assert!(r.splat().contains("(leaky) on "), "{}", r.splat());
    // The escaped guard's release, later and elsewhere, finds nothing to do.
    drop(escaped);
    assert_eq!(reports_naming(&["tk-leak::T"]).len(), 0);
}
