//! `SeqCount`: its three reader/writer models as the checker sees them.
//!
//! - retry-free readers (`try_read_begin` / `try_read`) record nothing, in any
//!   context;
//! - serialized writers must hold their lock for write, and behave like a held
//!   trylock (edges out of the count, none into it);
//! - bare writers are exclusive acquisitions of the count's class (concurrent
//!   writers and same-class nesting are reported);
//! - spinning readers (`read_begin`) record `held -> count` dependencies.
//!
//! Every test calls `lockdep::reset()` and then asserts on *all* reports, so
//! the tests of this file run one at a time (`serial()`).

mod common;
// They reset the global graph and look at every report: each holds
// `serial_reset()` for its whole body (a fresh graph and report list).
use common::serial_reset as serial;
use common::{CheckingOff, run_named};

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use lockdep::{LockClass, LockMap, Mutex, Report, ReportKind, RwLock, SeqCount};

fn kinds(reports: &[Report]) -> Vec<ReportKind> {
    reports.iter().map(|r| r.kind).collect()
}

fn edge_set() -> HashSet<(String, String)> {
    lockdep::graph()
        .edges
        .into_iter()
        .map(|e| (e.from.name, e.to.name))
        .collect()
}

// ===== retry-free readers =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn retry_free_readers_add_no_edges_in_any_context() {
    let _serial = serial();
    static S_CLASS: LockClass = LockClass::new("seq-rf::S");
    static OTHER_CLASS: LockClass = LockClass::new("seq-rf::S2");
    static M_CLASS: LockClass = LockClass::new("seq-rf::M");
    static RW_CLASS: LockClass = LockClass::new("seq-rf::RW");
    static T_CLASS: LockClass = LockClass::new("seq-rf::T");
    static S: SeqCount = SeqCount::with_class(&S_CLASS);
    static OTHER: SeqCount = SeqCount::with_class(&OTHER_CLASS);
    static M: Mutex<u32> = Mutex::with_class(0, &M_CLASS);
    static RW: RwLock<u32> = RwLock::with_class(0, &RW_CLASS);
    static T: Mutex<u32> = Mutex::with_class(0, &T_CLASS);
    static PSEUDO: LockMap = LockMap::new("seq-rf::pseudo");
    static X: AtomicU64 = AtomicU64::new(7);
    const S_NAME: &str = "seq-rf::S";

    // Put the count into the graph once as a writer (holding nothing, so
    // this records no edge either), so its class is registered and known.
    {
        let _w = S.write();
        X.store(7, Relaxed);
    }
    let before = edge_set();

    let read_ok = || {
        let start = S.try_read_begin().expect("no writer: the read starts");
        assert_eq!(X.load(Relaxed), 7);
        assert!(!S.read_retry(start));
        assert_eq!(S.try_read(|| X.load(Relaxed)), Some(7));
    };

    // Holding nothing.
    read_ok();
    // Holding a Mutex.
    {
        let _m = M.lock();
        read_ok();
    }
    // Holding an RwLock for read, then for write.
    {
        let _r = RW.read();
        read_ok();
    }
    {
        let _w = RW.write();
        read_ok();
    }
    // Holding a pseudo-lock.
    {
        let _p = PSEUDO.acquire();
        read_ok();
    }
    // Holding a trylock.
    {
        let _t = T.try_lock().expect("uncontended");
        read_ok();
    }
    // Inside a write section of another count.
    {
        let _w = OTHER.write();
        read_ok();
    }
    // Several at once: Mutex, pseudo-lock, another count's write section.
    {
        let _m = M.lock();
        let _p = PSEUDO.acquire();
        let _w = OTHER.write();
        read_ok();
    }
    // While a writer of this very count is inside its section on another
    // thread: the retry-free reader gives up at once.
    {
        let (inside_tx, inside_rx) = mpsc::channel();
        let (done_tx, done_rx) = mpsc::channel::<()>();
        thread::scope(|s| {
            let writer = thread::Builder::new()
                .name("seq-rf-writer".into())
                .spawn_scoped(s, move || {
                    S.write_begin();
                    inside_tx.send(()).unwrap();
                    done_rx.recv().unwrap();
                    S.write_end();
                })
                .unwrap();
            inside_rx.recv().unwrap();
            assert_eq!(S.sequence() % 2, 1, "a write is in progress");
            assert_eq!(S.try_read_begin(), None);
            assert_eq!(S.try_read(|| X.load(Relaxed)), None);
            {
                let _m = M.lock();
                assert_eq!(S.try_read(|| X.load(Relaxed)), None);
            }
            done_tx.send(()).unwrap();
            writer.join().unwrap();
        });
        // Writer gone: reads succeed again.
        read_ok();
    }

    let after = edge_set();
    let new_with_s: Vec<_> = after
        .difference(&before)
        .filter(|(a, b)| a == S_NAME || b == S_NAME)
        .collect();
    assert!(
        new_with_s.is_empty(),
        "retry-free readers recorded edges: {new_with_s:?}"
    );
    assert!(
        after.iter().all(|(a, b)| a != S_NAME && b != S_NAME),
        "no edge at all mentions the count: {after:?}"
    );
    let reports = lockdep::reports();
    assert!(reports.is_empty(), "no report: {reports:#?}");

    // Control: a *spinning* reader in the same context does record `M -> S`,
    // so the snapshot above would have seen an edge had one been recorded.
    {
        let _m = M.lock();
        assert_eq!(S.read(|| X.load(Relaxed)), 7);
    }
    let g = lockdep::graph();
    assert!(
        g.has_edge("seq-rf::M", S_NAME),
        "spinning reader edge missing"
    );
    assert!(lockdep::reports().is_empty());
}

// ===== serialized writers: the lock must be held for write =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn serialized_count_written_without_its_lock_reports_once() {
    let _serial = serial();
    static LOCK_CLASS: LockClass = LockClass::new("seq-ser::LOCK");
    static S_CLASS: LockClass = LockClass::new("seq-ser::S");
    static LOCK: Mutex<()> = Mutex::with_class((), &LOCK_CLASS);
    static S: SeqCount = SeqCount::with_class(&S_CLASS).serialized_by(LOCK.lock_map());
    static X: AtomicU64 = AtomicU64::new(0);

    // With the lock held: fine.
    run_named("seq-ser-ok", || {
        let _g = LOCK.lock();
        let _w = S.write();
        X.store(1, Relaxed);
    });
    assert!(lockdep::reports().is_empty(), "{:#?}", lockdep::reports());

    // Without it: one report naming the count.
    run_named("seq-ser-bad", || {
        S.write_begin();
        X.store(2, Relaxed);
        S.write_end();
    });
    let reports = lockdep::reports();
    assert_eq!(
        kinds(&reports),
        [ReportKind::SeqcountWriterWithoutLock],
        "{reports:#?}"
    );
    let r = &reports[0];
    assert_eq!(r.classes(), ["seq-ser::S"]);
    assert_eq!(r.thread.name, "seq-ser-bad");
    let acq = r.acquiring.as_ref().expect("the count");
    assert_eq!(acq.class.name, "seq-ser::S");
    assert_eq!(acq.mode, lockdep::Mode::Exclusive);
    assert!(r.held.is_empty(), "nothing was held: {:?}", r.held);
    assert!(
        r.note.as_deref().unwrap_or("").contains("seq-ser::LOCK"),
        "the note names the serializing lock: {:?}",
        r.note
    );
    assert!(
        r.splat()
            .contains("seqcount writer without its serializing lock"),
        "{}",
        r.splat()
    );

    // The write section itself still works, and with the lock held again
    // nothing new is reported.
    assert_eq!(S.sequence() % 2, 0);
    assert_eq!(S.try_read(|| X.load(Relaxed)), Some(2));
    run_named("seq-ser-ok2", || {
        let _g = LOCK.lock();
        S.write_begin();
        S.write_end();
    });
    assert_eq!(lockdep::reports().len(), 1);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn serialized_count_with_lock_held_only_for_read_reports() {
    let _serial = serial();
    static RW_CLASS: LockClass = LockClass::new("seq-serrw::RW");
    static S_CLASS: LockClass = LockClass::new("seq-serrw::S");
    static RW: RwLock<()> = RwLock::with_class((), &RW_CLASS);
    static S: SeqCount = SeqCount::with_class(&S_CLASS).serialized_by(RW.lock_map());

    run_named("seq-serrw-write", || {
        let _w = RW.write();
        let _s = S.write();
    });
    assert!(lockdep::reports().is_empty(), "{:#?}", lockdep::reports());

    run_named("seq-serrw-read", || {
        let _r = RW.read();
        let _s = S.write();
    });
    let reports = lockdep::reports();
    assert_eq!(
        kinds(&reports),
        [ReportKind::SeqcountWriterWithoutLock],
        "{reports:#?}"
    );
    assert_eq!(reports[0].classes(), ["seq-serrw::S"]);
    let held: Vec<_> = reports[0]
        .held
        .iter()
        .map(|l| l.class.name.as_str())
        .collect();
    assert_eq!(held, ["seq-serrw::RW"]);
    assert_eq!(reports[0].held[0].mode, lockdep::Mode::Read);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn serialized_by_class_accepts_any_lock_of_the_class_held_for_write() {
    let _serial = serial();
    static MM_CLASS: LockClass = LockClass::new("seq-sercls::mmap_sem");
    static OTHER_CLASS: LockClass = LockClass::new("seq-sercls::other");
    static S_CLASS: LockClass = LockClass::new("seq-sercls::S");

    let mm1 = RwLock::with_class((), &MM_CLASS);
    let mm2 = RwLock::with_class((), &MM_CLASS);
    let other = Mutex::with_class((), &OTHER_CLASS);
    let s = SeqCount::with_class(&S_CLASS).serialized_by_class(&MM_CLASS);

    run_named("seq-sercls-ok", || {
        {
            let _g = mm1.write();
            let _w = s.write();
        }
        {
            let _g = mm2.write();
            let _w = s.write();
        }
    });
    assert!(lockdep::reports().is_empty(), "{:#?}", lockdep::reports());

    // Another class held: not the serializing lock.
    run_named("seq-sercls-bad", || {
        let _g = other.lock();
        let _w = s.write();
    });
    let reports = lockdep::reports();
    assert_eq!(
        kinds(&reports),
        [ReportKind::SeqcountWriterWithoutLock],
        "{reports:#?}"
    );
    assert_eq!(reports[0].classes(), ["seq-sercls::S"]);
}

// ===== serialized writers: trylock-like edges =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn serialized_writer_has_edges_out_but_none_into_the_count() {
    let _serial = serial();
    static LOCK_CLASS: LockClass = LockClass::new("seq-edge::LOCK");
    static S_CLASS: LockClass = LockClass::new("seq-edge::S");
    static X_CLASS: LockClass = LockClass::new("seq-edge::X");
    static LOCK: Mutex<()> = Mutex::with_class((), &LOCK_CLASS);
    static S: SeqCount = SeqCount::with_class(&S_CLASS).serialized_by(LOCK.lock_map());
    static X: Mutex<u32> = Mutex::with_class(0, &X_CLASS);

    run_named("seq-edge", || {
        let _g = LOCK.lock();
        S.write_begin();
        *X.lock() += 1;
        S.write_end();
    });
    let g = lockdep::graph();
    assert!(g.has_edge("seq-edge::S", "seq-edge::X"), "{:#?}", g.edges);
    assert!(
        g.has_edge("seq-edge::LOCK", "seq-edge::X"),
        "{:#?}",
        g.edges
    );
    assert!(
        !g.has_edge("seq-edge::LOCK", "seq-edge::S"),
        "no edge into a serialized count: {:#?}",
        g.edges
    );
    assert!(
        g.edges.iter().all(|e| e.to.name != "seq-edge::S"),
        "{:#?}",
        g.edges
    );
    assert!(lockdep::reports().is_empty(), "{:#?}", lockdep::reports());

    // The kernel's false positive (§4.4): `lock(X); write_seqcount(S)` on one
    // path and `write_seqcount(S); lock(X)` on another. With the count
    // serialized by LOCK there is no edge X -> S, so no cycle.
    run_named("seq-edge-2", || {
        let _g = LOCK.lock();
        let _x = X.lock();
        let _w = S.write();
    });
    let g = lockdep::graph();
    assert!(!g.has_edge("seq-edge::X", "seq-edge::S"), "{:#?}", g.edges);
    assert!(lockdep::reports().is_empty(), "{:#?}", lockdep::reports());
}

// ===== bare writers =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn bare_writer_is_an_exclusive_lock_so_opposite_orders_report() {
    let _serial = serial();
    static S_CLASS: LockClass = LockClass::new("seq-bare::S");
    static X_CLASS: LockClass = LockClass::new("seq-bare::X");
    static S: SeqCount = SeqCount::with_class(&S_CLASS);
    static X: Mutex<u32> = Mutex::with_class(0, &X_CLASS);

    run_named("seq-bare-1", || {
        let _x = X.lock();
        let _w = S.write();
    });
    assert!(lockdep::graph().has_edge("seq-bare::X", "seq-bare::S"));
    run_named("seq-bare-2", || {
        let _w = S.write();
        *X.lock() += 1;
    });
    let reports = lockdep::reports();
    assert_eq!(
        kinds(&reports),
        [ReportKind::CircularDependency],
        "{reports:#?}"
    );
    assert_eq!(reports[0].classes(), ["seq-bare::S", "seq-bare::X"]);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn concurrent_writers_of_a_bare_count_are_reported() {
    let _serial = serial();
    static S_CLASS: LockClass = LockClass::new("seq-conc::S");
    static S: SeqCount = SeqCount::with_class(&S_CLASS);
    static X: AtomicU64 = AtomicU64::new(0);

    let a_inside = Arc::new(Barrier::new(2));
    let b_begun = Arc::new(Barrier::new(2));
    let a_ended = Arc::new(Barrier::new(2));
    thread::scope(|s| {
        let a = {
            let (a_inside, b_begun, a_ended) = (a_inside.clone(), b_begun.clone(), a_ended.clone());
            thread::Builder::new()
                .name("seq-conc-A".into())
                .spawn_scoped(s, move || {
                    S.write_begin();
                    X.store(1, Relaxed);
                    a_inside.wait();
                    b_begun.wait();
                    S.write_end();
                    a_ended.wait();
                })
                .unwrap()
        };
        let b = thread::Builder::new()
            .name("seq-conc-B".into())
            .spawn_scoped(s, move || {
                a_inside.wait();
                S.write_begin();
                X.store(2, Relaxed);
                b_begun.wait();
                a_ended.wait();
                S.write_end();
            })
            .unwrap();
        a.join().unwrap();
        b.join().unwrap();
    });

    let reports = lockdep::reports();
    assert_eq!(
        kinds(&reports),
        [ReportKind::ConcurrentSeqcountWriters],
        "{reports:#?}"
    );
    assert_eq!(reports[0].thread.name, "seq-conc-B");
    assert_eq!(reports[0].classes(), ["seq-conc::S"]);
    assert!(
        reports[0]
            .splat()
            .contains("concurrent seqcount writers detected")
    );
    // Both sections ended: the count is even again.
    assert_eq!(S.sequence() % 2, 0);
}

#[test]
fn writers_one_after_another_are_not_concurrent() {
    let _serial = serial();
    static S_CLASS: LockClass = LockClass::new("seq-seq::S");
    static S: SeqCount = SeqCount::with_class(&S_CLASS);
    for i in 0..4 {
        run_named(&format!("seq-seq-{i}"), || {
            let _w = S.write();
        });
    }
    assert_eq!(S.sequence(), 8);
    assert!(lockdep::reports().is_empty(), "{:#?}", lockdep::reports());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn spinning_reader_under_a_lock_the_writer_takes_reports() {
    let _serial = serial();
    static S_CLASS: LockClass = LockClass::new("S");
    static L_CLASS: LockClass = LockClass::new("L");
    static S: SeqCount = SeqCount::with_class(&S_CLASS);
    static L: Mutex<u32> = Mutex::with_class(0, &L_CLASS);

    run_named("seq-spin-writer", || {
        S.write_begin();
        *L.lock() += 1;
        S.write_end();
    });
    assert!(lockdep::reports().is_empty(), "{:#?}", lockdep::reports());
    assert!(lockdep::graph().has_edge("S", "L"));

    run_named("seq-spin-reader", || {
        let _l = L.lock();
        let start = S.read_begin();
        assert!(!S.read_retry(start));
    });
    let reports = lockdep::reports();
    assert_eq!(
        kinds(&reports),
        [ReportKind::CircularDependency],
        "{reports:#?}"
    );
    let r = &reports[0];
    assert_eq!(r.classes(), ["L", "S"]);
    assert_eq!(r.thread.name, "seq-spin-reader");
    let acq = r.acquiring.as_ref().unwrap();
    assert_eq!(acq.class.name, "S");
    assert_eq!(acq.mode, lockdep::Mode::RecursiveRead);
    assert_eq!(r.holding.as_ref().unwrap().class.name, "L");
}

#[test]
fn retry_free_reader_under_a_lock_the_writer_takes_does_not_report() {
    let _serial = serial();
    static S_CLASS: LockClass = LockClass::new("seq-rfw::S");
    static L_CLASS: LockClass = LockClass::new("seq-rfw::L");
    static S: SeqCount = SeqCount::with_class(&S_CLASS);
    static L: Mutex<u32> = Mutex::with_class(0, &L_CLASS);

    run_named("seq-rfw-writer", || {
        S.write_begin();
        *L.lock() += 1;
        S.write_end();
    });
    run_named("seq-rfw-reader", || {
        let _l = L.lock();
        assert_eq!(S.try_read(|| 1), Some(1));
    });
    assert!(lockdep::reports().is_empty(), "{:#?}", lockdep::reports());
    assert!(!lockdep::graph().has_edge("seq-rfw::L", "seq-rfw::S"));
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn writer_nested_in_its_own_class_needs_a_subclass() {
    let _serial = serial();
    static C: LockClass = LockClass::new("seq-nest::C");
    let outer = SeqCount::with_class(&C);
    let inner = SeqCount::with_class(&C);

    run_named("seq-nest-bad", || {
        outer.write_begin();
        inner.write_begin();
        inner.write_end();
        outer.write_end();
    });
    let reports = lockdep::reports();
    assert_eq!(
        kinds(&reports),
        [ReportKind::RecursiveLocking],
        "{reports:#?}"
    );
    assert_eq!(reports[0].classes(), ["seq-nest::C", "seq-nest::C"]);

    lockdep::reset();
    run_named("seq-nest-ok", || {
        outer.write_begin();
        inner.write_begin_nested(1);
        inner.write_end();
        outer.write_end();
        // Guard form too.
        let _o = outer.write();
        let _i = inner.write_nested(1);
    });
    assert!(lockdep::reports().is_empty(), "{:#?}", lockdep::reports());
    assert!(lockdep::graph().has_edge("seq-nest::C", "seq-nest::C/1"));
}

// ===== stress =====

#[test]
fn stress_serialized_writers_and_retry_free_readers_never_tear() {
    let _serial = serial();
    static LOCK_CLASS: LockClass = LockClass::new("seq-stress::LOCK");
    static S_CLASS: LockClass = LockClass::new("seq-stress::S");
    static LOCK: Mutex<u64> = Mutex::with_class(0, &LOCK_CLASS);
    static S: SeqCount = SeqCount::with_class(&S_CLASS).serialized_by(LOCK.lock_map());
    static A: AtomicU64 = AtomicU64::new(0);
    static B: AtomicU64 = AtomicU64::new(0);

    let deadline = Instant::now() + Duration::from_millis(300);
    let stop = AtomicBool::new(false);
    let (writes, reads): (Vec<u64>, Vec<(u64, u64)>) = thread::scope(|s| {
        let writers: Vec<_> = (0..2)
            .map(|i| {
                thread::Builder::new()
                    .name(format!("seq-stress-w{i}"))
                    .spawn_scoped(s, || {
                        let mut n_writes = 0u64;
                        while Instant::now() < deadline {
                            let mut n = LOCK.lock();
                            *n += 1;
                            let v = *n;
                            S.write_begin();
                            A.store(v, Relaxed);
                            // Widen the window between the two stores.
                            std::hint::spin_loop();
                            B.store(2 * v, Relaxed);
                            S.write_end();
                            drop(n);
                            n_writes += 1;
                            if n_writes.is_multiple_of(64) {
                                thread::yield_now();
                            }
                        }
                        n_writes
                    })
                    .unwrap()
            })
            .collect();
        let readers: Vec<_> = (0..3)
            .map(|i| {
                let stop = &stop;
                thread::Builder::new()
                    .name(format!("seq-stress-r{i}"))
                    .spawn_scoped(s, move || {
                        let (mut ok, mut retried) = (0u64, 0u64);
                        while Instant::now() < deadline && !stop.load(Relaxed) {
                            match S.try_read(|| (A.load(Relaxed), B.load(Relaxed))) {
                                Some((a, b)) => {
                                    if b != 2 * a {
                                        stop.store(true, Relaxed);
                                        panic!("torn read accepted: a={a} b={b}");
                                    }
                                    ok += 1;
                                }
                                None => retried += 1,
                            }
                            // The split form as well.
                            if let Some(start) = S.try_read_begin() {
                                let (a, b) = (A.load(Relaxed), B.load(Relaxed));
                                if !S.read_retry(start) {
                                    assert_eq!(b, 2 * a, "torn read accepted (split form)");
                                    ok += 1;
                                }
                            }
                        }
                        (ok, retried)
                    })
                    .unwrap()
            })
            .collect();
        (
            writers.into_iter().map(|h| h.join().unwrap()).collect(),
            readers.into_iter().map(|h| h.join().unwrap()).collect(),
        )
    });

    let total_writes: u64 = writes.iter().sum();
    assert!(total_writes > 0, "writers made progress");
    assert_eq!(*LOCK.lock(), total_writes);
    assert_eq!(S.sequence() as u64, 2 * total_writes);
    for (i, (ok, _)) in reads.iter().enumerate() {
        assert!(*ok > 0, "reader {i} never got a consistent read: {reads:?}");
    }
    assert_eq!(B.load(Relaxed), 2 * A.load(Relaxed));
    let reports = lockdep::reports();
    assert!(reports.is_empty(), "no report at all: {reports:#?}");
    assert!(
        lockdep::graph()
            .edges
            .iter()
            .all(|e| e.to.name != "seq-stress::S"),
        "no edge into the count"
    );
}

// ===== more serialized-writer checks =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn serializing_lock_held_by_another_thread_does_not_count() {
    let _serial = serial();
    static LOCK_CLASS: LockClass = LockClass::new("seq-other::LOCK");
    static S_CLASS: LockClass = LockClass::new("seq-other::S");
    static LOCK: Mutex<()> = Mutex::with_class((), &LOCK_CLASS);
    static S: SeqCount = SeqCount::with_class(&S_CLASS).serialized_by(LOCK.lock_map());

    let (held_tx, held_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    thread::scope(|s| {
        let holder = thread::Builder::new()
            .name("seq-other-holder".into())
            .spawn_scoped(s, move || {
                let _g = LOCK.lock();
                held_tx.send(()).unwrap();
                done_rx.recv().unwrap();
            })
            .unwrap();
        held_rx.recv().unwrap();
        run_named("seq-other-writer", || {
            let _w = S.write();
        });
        done_tx.send(()).unwrap();
        holder.join().unwrap();
    });
    let reports = lockdep::reports();
    assert_eq!(
        kinds(&reports),
        [ReportKind::SeqcountWriterWithoutLock],
        "{reports:#?}"
    );
    assert_eq!(reports[0].thread.name, "seq-other-writer");
}

#[test]
fn serializing_lock_taken_by_trylock_counts_as_held() {
    let _serial = serial();
    static LOCK_CLASS: LockClass = LockClass::new("seq-try::LOCK");
    static S_CLASS: LockClass = LockClass::new("seq-try::S");
    static LOCK: Mutex<()> = Mutex::with_class((), &LOCK_CLASS);
    static S: SeqCount = SeqCount::with_class(&S_CLASS).serialized_by(LOCK.lock_map());

    run_named("seq-try", || {
        let _g = LOCK.try_lock().expect("uncontended");
        let _w = S.write();
    });
    assert!(lockdep::reports().is_empty(), "{:#?}", lockdep::reports());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn spinning_reader_inside_its_own_write_section_is_reported_before_it_spins() {
    let _serial = serial();
    static S_CLASS: LockClass = LockClass::new("seq-self::S");
    static S: SeqCount = SeqCount::with_class(&S_CLASS);

    // With the panic policy the report unwinds out of `read_begin` before it
    // starts waiting for a writer that can never finish. (Run on a thread
    // with a timeout, so a missing report fails instead of hanging.)
    lockdep::set_on_report(lockdep::OnReport::Panic);
    let (tx, rx) = mpsc::channel();
    thread::Builder::new()
        .name("seq-self".into())
        .spawn(move || {
            S.write_begin();
            let caught = std::panic::catch_unwind(|| S.read_begin());
            lockdep::set_on_report(lockdep::OnReport::Warn);
            S.write_end();
            tx.send(caught.is_err()).unwrap();
        })
        .unwrap();
    let panicked = rx.recv_timeout(Duration::from_secs(5));
    lockdep::set_on_report(lockdep::OnReport::Warn);
    assert_eq!(
        panicked,
        Ok(true),
        "read_begin inside its own write section must report (and panic) before spinning"
    );
    let reports = lockdep::reports();
    assert_eq!(
        kinds(&reports),
        [ReportKind::RecursiveLocking],
        "{reports:#?}"
    );
    assert_eq!(reports[0].classes(), ["seq-self::S", "seq-self::S"]);
    assert_eq!(S.sequence() % 2, 0);
}

// ===== checking switched off =====

#[test]
fn serialized_writer_without_lock_is_not_reported_while_checking_is_off() {
    let _serial = serial();
    static LOCK: Mutex<()> = Mutex::new(());
    static S_CLASS: LockClass = LockClass::new("seq-off-ser::S");
    static S: SeqCount = SeqCount::with_class(&S_CLASS).serialized_by(LOCK.lock_map());
    {
        let _off = CheckingOff::new();
        let _w = S.write();
    }
    assert!(lockdep::reports().is_empty(), "{:#?}", lockdep::reports());
}

#[test]
fn concurrent_writers_are_not_reported_while_checking_is_off() {
    let _serial = serial();
    static S_CLASS: LockClass = LockClass::new("seq-off-conc::S");
    static S: SeqCount = SeqCount::with_class(&S_CLASS);
    {
        let _off = CheckingOff::new();
        let (inside, begun) = (Barrier::new(2), Barrier::new(2));
        thread::scope(|s| {
            s.spawn(|| {
                S.write_begin();
                inside.wait();
                begun.wait();
                S.write_end();
            });
            s.spawn(|| {
                inside.wait();
                S.write_begin();
                begun.wait();
                S.write_end();
            });
        });
    }
    assert!(lockdep::reports().is_empty(), "{:#?}", lockdep::reports());
}

#[test]
fn write_section_begun_while_checking_was_off_ends_quietly() {
    let _serial = serial();
    static S_CLASS: LockClass = LockClass::new("seq-off-end::S");
    static M_CLASS: LockClass = LockClass::new("seq-off-end::M");
    static S: SeqCount = SeqCount::with_class(&S_CLASS);
    static M: Mutex<()> = Mutex::with_class((), &M_CLASS);
    run_named("seq-off-end", || {
        let off = CheckingOff::new();
        // Both acquired while checking is off ...
        let m = M.lock();
        S.write_begin();
        drop(off);
        // ... and released after it is back on: a Mutex guard is quiet
        // (documented at `set_enabled`), a write section should be too.
        drop(m);
        S.write_end();
    });
    assert!(lockdep::reports().is_empty(), "{:#?}", lockdep::reports());
}
