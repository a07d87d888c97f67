//! Checking compiled out (`RUSTFLAGS="--cfg lockdep_off"` or the feature
//! `off`): every lock has the size of the raw lock it wraps, nothing is
//! recorded, and the whole API still compiles and locks.
//!
//! The lock-behaviour tests at the end run in both builds; the size tests
//! assert equality with checking compiled out and the overhead otherwise.

use std::mem::size_of;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::thread;
use std::time::Duration;

use lockdep::{
    Condvar, LockClass, LockMap, Mode, Mutex, MutexGuard, RwLock, RwLockReadGuard,
    RwLockUpgradableReadGuard, RwLockWriteGuard, SeqCount, SetClass,
};

#[cfg(lockdep_off)]
mod compiled_out {
    use super::*;
    use lockdep::{MappedMutexGuard, MappedRwLockReadGuard, MappedRwLockWriteGuard};

    #[test]
    fn locks_and_guards_are_the_size_of_parking_lots() {
        assert_eq!(
            size_of::<Mutex<u64>>(),
            size_of::<parking_lot::Mutex<u64>>()
        );
        assert_eq!(size_of::<Mutex<()>>(), size_of::<parking_lot::Mutex<()>>());
        assert_eq!(
            size_of::<Mutex<[u8; 3]>>(),
            size_of::<parking_lot::Mutex<[u8; 3]>>()
        );
        assert_eq!(
            size_of::<MutexGuard<'_, u64>>(),
            size_of::<parking_lot::MutexGuard<'_, u64>>()
        );
        assert_eq!(
            size_of::<MappedMutexGuard<'_, u64>>(),
            size_of::<parking_lot::MappedMutexGuard<'_, u64>>()
        );
        // The lock underneath lockdep's RwLock is parking_lot's RecursiveRwLock
        // (in both builds); it is as big as parking_lot's RwLock.
        assert_eq!(
            size_of::<RwLock<u64>>(),
            size_of::<parking_lot::RecursiveRwLock<u64>>()
        );
        assert_eq!(
            size_of::<RwLock<u64>>(),
            size_of::<parking_lot::RwLock<u64>>()
        );
        assert_eq!(
            size_of::<RwLockReadGuard<'_, u64>>(),
            size_of::<parking_lot::RecursiveRwLockReadGuard<'_, u64>>()
        );
        assert_eq!(
            size_of::<RwLockWriteGuard<'_, u64>>(),
            size_of::<parking_lot::RecursiveRwLockWriteGuard<'_, u64>>()
        );
        assert_eq!(
            size_of::<RwLockUpgradableReadGuard<'_, u64>>(),
            size_of::<parking_lot::RecursiveRwLockUpgradableReadGuard<'_, u64>>()
        );
        assert_eq!(
            size_of::<MappedRwLockReadGuard<'_, u64>>(),
            size_of::<parking_lot::MappedRecursiveRwLockReadGuard<'_, u64>>()
        );
        assert_eq!(
            size_of::<MappedRwLockWriteGuard<'_, u64>>(),
            size_of::<parking_lot::MappedRecursiveRwLockWriteGuard<'_, u64>>()
        );
        assert_eq!(size_of::<Condvar>(), size_of::<parking_lot::Condvar>());
        assert_eq!(size_of::<SeqCount>(), size_of::<usize>());
        assert_eq!(size_of::<LockMap>(), 0);
        assert_eq!(size_of::<lockdep::LockMapGuard<'_>>(), 0);
        // Option<guard> keeps its niche.
        assert_eq!(
            size_of::<Option<MutexGuard<'_, u64>>>(),
            size_of::<parking_lot::MutexGuard<'_, u64>>()
        );
    }

    /// `FairMutex` and `ReentrantMutex` are lockdep's newtypes (with the
    /// checked build's extras), the size of parking_lot's; so are the `Arc`
    /// guards (their record is zero-sized).
    #[test]
    fn fair_and_reentrant_mutexes_and_arc_guards_are_the_size_of_parking_lots() {
        use lockdep::{FairMutex, FairMutexGuard, ReentrantMutex, ReentrantMutexGuard};
        assert_eq!(
            size_of::<FairMutex<u64>>(),
            size_of::<parking_lot::FairMutex<u64>>()
        );
        assert_eq!(
            size_of::<FairMutexGuard<'_, u64>>(),
            size_of::<parking_lot::FairMutexGuard<'_, u64>>()
        );
        assert_eq!(
            size_of::<ReentrantMutex<u64>>(),
            size_of::<parking_lot::ReentrantMutex<u64>>()
        );
        assert_eq!(
            size_of::<ReentrantMutexGuard<'_, u64>>(),
            size_of::<parking_lot::ReentrantMutexGuard<'_, u64>>()
        );
        assert_eq!(
            size_of::<lockdep::MappedReentrantMutexGuard<'_, u64>>(),
            size_of::<parking_lot::MappedReentrantMutexGuard<'_, u64>>()
        );
        #[cfg(feature = "arc_lock")]
        {
            assert_eq!(
                size_of::<lockdep::ArcMutexGuard<u64>>(),
                size_of::<parking_lot::ArcMutexGuard<parking_lot::RawMutex, u64>>()
            );
            assert_eq!(
                size_of::<lockdep::ArcRwLockWriteGuard<u64>>(),
                size_of::<parking_lot::ArcRwLockWriteGuard<parking_lot::RawRwLock, u64>>()
            );
            assert_eq!(
                size_of::<lockdep::ArcReentrantMutexGuard<u64>>(),
                size_of::<
                    parking_lot::ArcReentrantMutexGuard<
                        parking_lot::RawMutex,
                        parking_lot::RawThreadId,
                        u64,
                    >,
                >()
            );
        }
    }

    #[test]
    fn std_locks_are_the_size_of_stds() {
        use lockdep::stdsync;
        assert_eq!(
            size_of::<stdsync::Mutex<u64>>(),
            size_of::<std::sync::Mutex<u64>>()
        );
        assert_eq!(
            size_of::<stdsync::MutexGuard<'_, u64>>(),
            size_of::<std::sync::MutexGuard<'_, u64>>()
        );
        assert_eq!(
            size_of::<stdsync::RwLock<u64>>(),
            size_of::<std::sync::RwLock<u64>>()
        );
        assert_eq!(
            size_of::<stdsync::RwLockReadGuard<'_, u64>>(),
            size_of::<std::sync::RwLockReadGuard<'_, u64>>()
        );
        assert_eq!(
            size_of::<stdsync::RwLockWriteGuard<'_, u64>>(),
            size_of::<std::sync::RwLockWriteGuard<'_, u64>>()
        );
        assert_eq!(
            size_of::<stdsync::Condvar>(),
            size_of::<std::sync::Condvar>()
        );
    }

    #[test]
    fn an_abba_inversion_records_nothing() {
        static A: Mutex<()> = Mutex::new(());
        static B: Mutex<()> = Mutex::new(());
        thread::spawn(|| {
            let _a = A.lock();
            let _b = B.lock();
        })
        .join()
        .unwrap();
        thread::spawn(|| {
            let _b = B.lock();
            let _a = A.lock();
        })
        .join()
        .unwrap();
        // Recursive locking of one class, a bad unlock and a pseudo-lock cycle:
        // all silent too.
        let (x, y) = (Mutex::new(0), Mutex::new(0));
        let _x = x.lock();
        let _y = y.lock();
        let m = LockMap::new("m");
        m.unlock();
        assert!(lockdep::reports().is_empty());
        assert!(!lockdep::is_enabled());
        lockdep::set_enabled(true);
        assert!(!lockdep::is_enabled(), "cannot be switched on at run time");
        let g = lockdep::graph();
        assert!(g.classes.is_empty() && g.edges.is_empty());
        assert_eq!(lockdep::stats().edges, 0);
    }

    #[test]
    fn the_checkers_handles_are_empty() {
        static NAMED: LockClass = LockClass::new("named");
        let m = Mutex::with_class(1, &NAMED);
        assert_eq!(m.lock_map().class_name(), "<untracked>");
        m.set_class(&NAMED);
        assert!(!m.lock_map().is_held());
        assert!(!m.lock_map().lock(Mode::Exclusive, 0, None));
        // The lock's own `is_held` answers `is_locked`.
        assert!(!m.is_held());
        let g = m.lock();
        assert!(m.is_held());
        drop(g);
    }
}

#[cfg(not(lockdep_off))]
#[test]
fn checked_locks_carry_a_lock_map() {
    assert!(size_of::<Mutex<u64>>() > size_of::<parking_lot::Mutex<u64>>());
    assert!(size_of::<RwLock<u64>>() > size_of::<parking_lot::RecursiveRwLock<u64>>());
    assert!(size_of::<LockMap>() > 0);
}

// ===== in both builds: every annotation still compiles and locks =====

#[test]
fn nested_classes_and_nest_locks_lock() {
    static CLASS: LockClass = LockClass::new("&off->nested");
    let outer = Mutex::new(());
    let (a, b) = (Mutex::with_class(1, &CLASS), Mutex::with_class(2, &CLASS));
    let _o = outer.lock();
    {
        let ga = a.lock_nested(0);
        let gb = b.lock_nested(1);
        assert_eq!(*ga + *gb, 3);
        assert!(a.try_lock().is_none());
    }
    let ga = a.lock_nest_lock(outer.lock_map());
    let gb = b.lock_nest_lock(outer.lock_map());
    assert_eq!(*ga + *gb, 3);
    drop((ga, gb));
    assert!(a.try_lock_for(Duration::from_millis(1)).is_some());

    let rw = RwLock::with_class(5, lockdep::class!("&off->rw"));
    rw.set_class(lockdep::class!("&off->rw2"));
    {
        let r1 = rw.read_nested(1);
        let r2 = rw.read();
        assert_eq!(*r1 + *r2, 10);
        assert!(rw.try_write().is_none());
    }
    *rw.write_nested(2) += 1;
    let u = rw.upgradable_read();
    let mut w = RwLockUpgradableReadGuard::upgrade(u);
    *w += 1;
    let r = RwLockWriteGuard::downgrade(w);
    assert_eq!(*r, 7);
    assert!(std::ptr::eq(RwLockReadGuard::rwlock(&r), &rw));
}

#[test]
fn lock_map_events_and_guards_compile_and_do_not_block() {
    static FS_RECLAIM: LockMap = LockMap::new("fs_reclaim");
    FS_RECLAIM.might_acquire();
    FS_RECLAIM.might_acquire_read();
    // Checked, an event is recorded and the map is held until it is
    // released; compiled out, nothing is recorded and nothing is held.
    let checked = cfg!(not(lockdep_off));
    {
        let _r = FS_RECLAIM.acquire();
        assert_eq!(FS_RECLAIM.is_held(), checked);
        let _n = FS_RECLAIM.acquire_nested(1);
        let _rd = FS_RECLAIM.acquire_read();
        let _rr = FS_RECLAIM.acquire_read_recursive();
    }
    assert!(!FS_RECLAIM.is_held(), "every guard released its event");
    let recorded = FS_RECLAIM.lock(Mode::Read, 0, None);
    assert_eq!(recorded, checked);
    assert_eq!(FS_RECLAIM.is_held(), checked);
    FS_RECLAIM.release_if(recorded);
    assert!(!FS_RECLAIM.is_held());
    let recorded = FS_RECLAIM.lock_try(Mode::Exclusive, 0);
    assert_eq!(recorded, checked);
    FS_RECLAIM.release_if(recorded);
    assert!(!FS_RECLAIM.is_held());
    let m = Mutex::new(0);
    {
        let _g = m.lock_map().acquire();
        assert_eq!(m.lock_map().is_held(), checked);
        // A pseudo-acquisition of the map does not lock the mutex.
        assert!(!m.is_locked());
    }
    assert!(!m.lock_map().is_held());
}

#[test]
fn mapped_guards_hold_the_lock_until_they_drop() {
    let m = Mutex::new((1, 2));
    {
        let mut second = MutexGuard::map(m.lock(), |p| &mut p.1);
        *second += 40;
        assert!(m.is_locked());
    }
    assert!(!m.is_locked());
    assert_eq!(*m.lock(), (1, 42));
    let g = MutexGuard::try_map(m.lock(), |_| None::<&mut u8>).unwrap_err();
    assert!(std::ptr::eq(MutexGuard::mutex(&g), &m));
    drop(g);

    let l = RwLock::new(vec![1, 2, 3]);
    {
        let first = RwLockReadGuard::map(l.read(), |v| &v[0]);
        assert_eq!(*first, 1);
        assert!(l.is_locked() && !l.is_locked_exclusive());
    }
    {
        let mut last = RwLockWriteGuard::map(l.write(), |v| v.last_mut().unwrap());
        *last = 30;
        assert!(l.is_locked_exclusive());
    }
    assert_eq!(*l.read(), [1, 2, 30]);
}

#[test]
fn condvar_waits_release_the_mutex() {
    let pair = std::sync::Arc::new((Mutex::new(false), Condvar::new()));
    let p2 = pair.clone();
    let t = thread::spawn(move || {
        *p2.0.lock() = true;
        p2.1.notify_all();
    });
    let mut g = pair.0.lock();
    pair.1.wait_while(&mut g, |ready| !*ready);
    assert!(*g);
    let r = pair.1.wait_for(&mut g, Duration::from_millis(1));
    assert!(r.timed_out());
    MutexGuard::unlocked(&mut g, || assert!(!pair.0.is_locked()));
    drop(g);
    t.join().unwrap();
}

#[test]
fn seqcount_readers_and_writers() {
    static SEQ: SeqCount = SeqCount::new();
    static SERIALIZED: SeqCount = SeqCount::new().serialized_by_class(&CLASS);
    static CLASS: LockClass = LockClass::new("&off->seq");
    static X: AtomicU64 = AtomicU64::new(0);
    {
        let _w = SEQ.write_nested(1);
        assert_eq!(SEQ.sequence() & 1, 1);
        assert_eq!(SEQ.try_read(|| ()), None);
        X.store(7, Relaxed);
    }
    assert_eq!(SEQ.read(|| X.load(Relaxed)), 7);
    SERIALIZED.write_begin();
    SERIALIZED.write_end();
    assert_eq!(SERIALIZED.sequence(), 2);
    let start = SEQ.read_begin();
    assert!(!SEQ.read_retry(start));
}

#[test]
fn const_constructors_and_the_macros_work() {
    static M: Mutex<u32> = lockdep::const_mutex(1);
    static L: RwLock<u32> = lockdep::const_rwlock(2);
    assert_eq!(*M.lock() + *L.read(), 3);

    #[lockdep::classes]
    struct Pair {
        a: Mutex<u32>,
        #[lockdep(class = "&Pair->b")]
        b: RwLock<u32>,
    }
    let p = Pair {
        a: Mutex::new(1),
        b: RwLock::new(2),
    };
    p.lockdep_set_classes();
    assert_eq!(*p.a.lock() + *p.b.read(), 3);
}

#[lockdep::test]
fn the_test_attribute_runs_the_test() {
    let m = Mutex::new(1);
    assert_eq!(*m.lock(), 1);
}
