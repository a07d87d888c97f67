// std's documented behaviour, written as plain `std::sync` code.
//
// `tests/stdsync.rs` includes this file twice: in a module where `sync` is
// `std::sync` and in one where it is `lockdep::stdsync`. Every example must
// compile and pass against both, so a signature or behaviour that differs from
// std fails here. The examples are those of std's documentation for each
// method, lightly completed with assertions.

use sync::atomic::{AtomicUsize, Ordering};
use sync::mpsc::channel;
use sync::{
    Arc, Barrier, BarrierWaitResult, Condvar, LazyLock, LockResult, Mutex, MutexGuard, Once,
    OnceLock, OnceState, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError,
    TryLockResult, WaitTimeoutResult, Weak,
};

use std::collections::HashSet;
use std::error::Error;
use std::fmt::Debug;
use std::thread;
use std::time::Duration;

// ===== Mutex =====

#[test]
fn mutex_type_docs_shared_counter() {
    const N: usize = 10;
    let data = Arc::new(Mutex::new(0));
    let (tx, rx) = channel();
    for _ in 0..N {
        let (data, tx) = (Arc::clone(&data), tx.clone());
        thread::spawn(move || {
            let mut data = data.lock().unwrap();
            *data += 1;
            if *data == N {
                tx.send(()).unwrap();
            }
        });
    }
    rx.recv().unwrap();
    assert_eq!(*data.lock().unwrap(), N);
}

#[test]
fn mutex_type_docs_recover_from_poison() {
    let lock = Arc::new(Mutex::new(0_u32));
    let lock2 = Arc::clone(&lock);
    let joined = thread::spawn(move || {
        let _guard = lock2.lock().unwrap();
        panic!(); // the mutex gets poisoned
    })
    .join();
    assert!(joined.is_err());

    let mut guard = match lock.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    };
    *guard += 1;
    assert_eq!(*guard, 1);
}

#[test]
fn mutex_type_docs_drop_to_unlock_early() {
    const N: usize = 3;
    let data_mutex = Arc::new(Mutex::new(vec![1, 2, 3, 4]));
    let res_mutex = Arc::new(Mutex::new(0));
    let mut threads = Vec::with_capacity(N);
    (0..N).for_each(|_| {
        let data_mutex_clone = Arc::clone(&data_mutex);
        let res_mutex_clone = Arc::clone(&res_mutex);
        threads.push(thread::spawn(move || {
            let mut data = data_mutex_clone.lock().unwrap();
            let result = data.iter().fold(0, |acc, x| acc + x * 2);
            data.push(result);
            drop(data);
            *res_mutex_clone.lock().unwrap() += result;
        }));
    });
    let mut data = data_mutex.lock().unwrap();
    let result = data.iter().fold(0, |acc, x| acc + x * 2);
    data.push(result);
    drop(data);
    *res_mutex.lock().unwrap() += result;
    threads
        .into_iter()
        .for_each(|thread| thread.join().expect("The thread creating or execution failed !"));
    assert_eq!(*res_mutex.lock().unwrap(), 800);
}

#[test]
fn mutex_new_is_const_and_usable_in_a_static() {
    static GLOBAL: Mutex<Vec<u32>> = Mutex::new(Vec::new());
    const fn build() -> Mutex<u8> {
        Mutex::new(0)
    }
    let mutex = Mutex::new(0);
    GLOBAL.lock().unwrap().push(1);
    assert_eq!(GLOBAL.lock().unwrap().len(), 1);
    assert_eq!(*mutex.lock().unwrap(), 0);
    assert_eq!(*build().lock().unwrap(), 0);
}

#[test]
fn mutex_lock() {
    let mutex = Arc::new(Mutex::new(0));
    let c_mutex = Arc::clone(&mutex);
    thread::spawn(move || {
        *c_mutex.lock().unwrap() = 10;
    })
    .join()
    .expect("thread::spawn failed");
    assert_eq!(*mutex.lock().unwrap(), 10);
}

#[test]
fn mutex_try_lock() {
    let mutex = Arc::new(Mutex::new(0));
    let c_mutex = Arc::clone(&mutex);
    thread::spawn(move || {
        let mut lock = c_mutex.try_lock();
        if let Ok(ref mut mutex) = lock {
            **mutex = 10;
        } else {
            println!("try_lock failed");
        }
    })
    .join()
    .expect("thread::spawn failed");
    assert_eq!(*mutex.lock().unwrap(), 10);
}

#[test]
fn mutex_try_lock_would_block_while_held_elsewhere() {
    let mutex = Arc::new(Mutex::new(1));
    let held = mutex.lock().unwrap();
    let c_mutex = Arc::clone(&mutex);
    let outcome = thread::spawn(move || match c_mutex.try_lock() {
        Ok(_) => "locked",
        Err(TryLockError::WouldBlock) => "would block",
        Err(TryLockError::Poisoned(_)) => "poisoned",
    })
    .join()
    .unwrap();
    assert_eq!(outcome, "would block");
    drop(held);
}

#[test]
fn mutex_is_poisoned() {
    let mutex = Arc::new(Mutex::new(0));
    let c_mutex = Arc::clone(&mutex);
    assert!(!mutex.is_poisoned());
    let _ = thread::spawn(move || {
        let _lock = c_mutex.lock().unwrap();
        panic!(); // the mutex gets poisoned
    })
    .join();
    assert!(mutex.is_poisoned());
}

#[test]
fn mutex_clear_poison() {
    let mutex = Arc::new(Mutex::new(0));
    let c_mutex = Arc::clone(&mutex);
    let _ = thread::spawn(move || {
        let _lock = c_mutex.lock().unwrap();
        panic!(); // the mutex gets poisoned
    })
    .join();

    assert!(mutex.is_poisoned());
    let x = mutex.lock().unwrap_or_else(|mut e| {
        **e.get_mut() = 1;
        mutex.clear_poison();
        e.into_inner()
    });
    assert!(!mutex.is_poisoned());
    assert_eq!(*x, 1);
}

#[test]
fn mutex_poisoned_try_lock_carries_the_guard() {
    let mutex = Arc::new(Mutex::new(5));
    let c_mutex = Arc::clone(&mutex);
    let _ = thread::spawn(move || {
        let mut g = c_mutex.lock().unwrap();
        *g = 6;
        panic!();
    })
    .join();
    match mutex.try_lock() {
        Err(TryLockError::Poisoned(e)) => assert_eq!(*e.into_inner(), 6),
        Err(TryLockError::WouldBlock) => panic!("not locked"),
        Ok(_) => panic!("poisoned"),
    }
    // The error displays like std's.
    let err = mutex.try_lock().unwrap_err();
    assert_eq!(
        err.to_string(),
        "poisoned lock: another task failed inside"
    );
}

#[test]
fn mutex_into_inner() {
    let mutex = Mutex::new(0);
    assert_eq!(mutex.into_inner().unwrap(), 0);

    let poisoned = Arc::new(Mutex::new(String::from("x")));
    let c = Arc::clone(&poisoned);
    let _ = thread::spawn(move || {
        let _g = c.lock().unwrap();
        panic!();
    })
    .join();
    let mutex = Arc::try_unwrap(poisoned).expect("last reference");
    assert_eq!(mutex.into_inner().unwrap_err().into_inner(), "x");
}

#[test]
fn mutex_get_mut() {
    let mut mutex = Mutex::new(0);
    *mutex.get_mut().unwrap() = 10;
    assert_eq!(*mutex.lock().unwrap(), 10);

    let mut poisoned = Mutex::new(1);
    let _ = std::panic::catch_unwind(|| {
        let _g = poisoned.lock().unwrap();
        panic!();
    });
    *poisoned.get_mut().unwrap_err().into_inner() += 1;
    assert_eq!(*poisoned.lock().unwrap_or_else(PoisonError::into_inner), 2);
}

#[test]
fn mutex_default_from_and_debug() {
    let d: Mutex<Vec<u8>> = Mutex::default();
    assert!(d.lock().unwrap().is_empty());
    let f = Mutex::from(3);
    let g: Mutex<&str> = "s".into();
    assert_eq!(format!("{f:?}"), "Mutex { data: 3, poisoned: false, .. }");
    assert_eq!(format!("{g:?}"), "Mutex { data: \"s\", poisoned: false, .. }");
    let guard = f.lock().unwrap();
    assert_eq!(format!("{f:?}"), "Mutex { data: \"<locked>\", poisoned: false, .. }");
    assert_eq!(format!("{guard:?} {guard}"), "3 3");
    drop(guard);
    let _ = std::panic::catch_unwind(|| {
        let _g = f.lock().unwrap();
        panic!();
    });
    assert_eq!(format!("{f:?}"), "Mutex { data: 3, poisoned: true, .. }");
}

#[test]
fn mutex_of_unsized_data() {
    let m: Arc<Mutex<dyn Debug + Send>> = Arc::new(Mutex::new(5_u8));
    assert_eq!(format!("{:?}", &*m.lock().unwrap()), "5");
    let s: &Mutex<[u32]> = &Mutex::new([1, 2, 3]);
    s.lock().unwrap()[1] = 7;
    assert_eq!(&*s.lock().unwrap(), &[1, 7, 3]);
}

// ===== PoisonError / TryLockError and `?` =====

#[test]
fn poison_error_get_ref_and_into_inner() {
    let mutex = Arc::new(Mutex::new(HashSet::new()));
    let c_mutex = Arc::clone(&mutex);
    let _ = thread::spawn(move || {
        let mut data = c_mutex.lock().unwrap();
        data.insert(10);
        panic!();
    })
    .join();

    let p_err = mutex.lock().unwrap_err();
    let data = p_err.get_ref();
    assert!(data.contains(&10));
    let data = p_err.into_inner();
    assert_eq!(data.len(), 1);
}

fn bump<'a>(m: &'a Mutex<i32>) -> Result<i32, Box<dyn Error + 'a>> {
    let mut g = m.lock()?;
    *g += 1;
    Ok(*g)
}

fn try_bump<'a>(m: &'a Mutex<i32>) -> Result<i32, Box<dyn Error + 'a>> {
    let mut g = m.try_lock()?;
    *g += 1;
    Ok(*g)
}

fn locked<T>(m: &Mutex<Vec<T>>) -> LockResult<MutexGuard<'_, Vec<T>>> {
    m.lock()
}

fn try_read_len(l: &RwLock<Vec<u8>>) -> Result<usize, TryLockError<RwLockReadGuard<'_, Vec<u8>>>> {
    let guard: TryLockResult<RwLockReadGuard<'_, Vec<u8>>> = l.try_read();
    Ok(guard?.len())
}

#[test]
fn question_mark_converts_poison_errors() {
    let m = Mutex::new(1);
    assert_eq!(bump(&m).unwrap(), 2);
    assert_eq!(try_bump(&m).unwrap(), 3);
    let _ = std::panic::catch_unwind(|| {
        let _g = m.lock().unwrap();
        panic!();
    });
    let err = bump(&m).unwrap_err();
    assert_eq!(err.to_string(), "poisoned lock: another task failed inside");

    let v = Mutex::new(vec!['a']);
    assert_eq!(locked(&v).unwrap().first(), Some(&'a'));
    let l = RwLock::new(vec![1, 2]);
    assert_eq!(try_read_len(&l).unwrap(), 2);
    let w = l.write().unwrap();
    assert!(matches!(try_read_len(&l), Err(TryLockError::WouldBlock)));
    drop(w);
}

// ===== RwLock =====

#[test]
fn rwlock_new_is_const_and_usable_in_a_static() {
    static CONFIG: RwLock<Option<u32>> = RwLock::new(None);
    let lock = RwLock::new(5);
    *CONFIG.write().unwrap() = Some(1);
    assert_eq!(*CONFIG.read().unwrap(), Some(1));
    assert_eq!(*lock.read().unwrap(), 5);
}

#[test]
fn rwlock_type_docs_write_after_reads() {
    let lock = RwLock::new(5);
    {
        let r1 = lock.read().unwrap();
        assert_eq!(*r1, 5);
    }
    {
        let mut w = lock.write().unwrap();
        *w += 1;
        assert_eq!(*w, 6);
    }
}

#[test]
fn rwlock_read() {
    let lock = Arc::new(RwLock::new(1));
    let c_lock = Arc::clone(&lock);
    let n = lock.read().unwrap();
    assert_eq!(*n, 1);
    thread::spawn(move || {
        let r = c_lock.read();
        assert!(r.is_ok());
    })
    .join()
    .unwrap();
}

#[test]
fn rwlock_try_read() {
    let lock = RwLock::new(1);
    match lock.try_read() {
        Ok(n) => assert_eq!(*n, 1),
        Err(_) => unreachable!(),
    };
}

#[test]
fn rwlock_write() {
    let lock = RwLock::new(1);
    let mut n = lock.write().unwrap();
    *n = 2;
    assert!(lock.try_read().is_err());
    drop(n);
    assert_eq!(*lock.read().unwrap(), 2);
}

#[test]
fn rwlock_try_write() {
    let lock = RwLock::new(1);
    let n = lock.read().unwrap();
    assert_eq!(*n, 1);
    assert!(lock.try_write().is_err());
    drop(n);
    let w: RwLockWriteGuard<'_, i32> = lock.try_write().unwrap();
    assert_eq!(*w, 1);
}

#[test]
fn rwlock_is_poisoned() {
    let lock = Arc::new(RwLock::new(0));
    let c_lock = Arc::clone(&lock);
    let _ = thread::spawn(move || {
        let _lock = c_lock.write().unwrap();
        panic!(); // the lock gets poisoned
    })
    .join();
    assert!(lock.is_poisoned());
}

#[test]
fn rwlock_read_guard_does_not_poison() {
    let lock = Arc::new(RwLock::new(0));
    let c_lock = Arc::clone(&lock);
    let _ = thread::spawn(move || {
        let _lock = c_lock.read().unwrap();
        panic!();
    })
    .join();
    assert!(!lock.is_poisoned());
}

#[test]
fn rwlock_clear_poison() {
    let lock = Arc::new(RwLock::new(0));
    let c_lock = Arc::clone(&lock);
    let _ = thread::spawn(move || {
        let _lock = c_lock.write().unwrap();
        panic!(); // the lock gets poisoned
    })
    .join();

    assert!(lock.is_poisoned());
    assert!(lock.read().is_err());
    assert!(matches!(lock.try_read(), Err(TryLockError::Poisoned(_))));
    let guard = lock.write().unwrap_or_else(|mut e| {
        **e.get_mut() = 1;
        lock.clear_poison();
        e.into_inner()
    });
    assert!(!lock.is_poisoned());
    assert_eq!(*guard, 1);
}

#[test]
fn rwlock_into_inner() {
    let lock = RwLock::new(String::new());
    {
        let mut s = lock.write().unwrap();
        *s = "modified".to_owned();
    }
    assert_eq!(lock.into_inner().unwrap(), "modified");
}

#[test]
fn rwlock_get_mut() {
    let mut lock = RwLock::new(0);
    *lock.get_mut().unwrap() = 10;
    assert_eq!(*lock.read().unwrap(), 10);
}

#[test]
fn rwlock_write_guard_downgrade() {
    let rw = RwLock::new(0);
    let mut write_guard = rw.write().unwrap();
    *write_guard = 42;
    let read_guard = RwLockWriteGuard::downgrade(write_guard);
    assert_eq!(42, *read_guard);
    assert!(rw.try_write().is_err());
    assert_eq!(*rw.try_read().unwrap(), 42);
}

#[test]
fn rwlock_default_from_and_debug() {
    let d: RwLock<String> = RwLock::default();
    assert!(d.read().unwrap().is_empty());
    let f = RwLock::from(vec![1]);
    assert_eq!(format!("{f:?}"), "RwLock { data: [1], poisoned: false, .. }");
    let r = f.read().unwrap();
    assert_eq!(format!("{f:?}"), "RwLock { data: [1], poisoned: false, .. }");
    assert_eq!(format!("{r:?}"), "[1]");
    drop(r);
    let w = f.write().unwrap();
    assert_eq!(format!("{f:?}"), "RwLock { data: <locked>, poisoned: false, .. }");
    drop(w);
    let s = RwLock::new(String::from("hi"));
    let read = format!("{}", s.read().unwrap());
    let written = format!("{}", s.write().unwrap());
    assert_eq!((read.as_str(), written.as_str()), ("hi", "hi"));
}

// ===== Condvar =====

#[test]
fn condvar_type_docs_wait_loop() {
    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    let pair2 = Arc::clone(&pair);
    thread::spawn(move || {
        let (lock, cvar) = &*pair2;
        let mut started = lock.lock().unwrap();
        *started = true;
        // We notify the condvar that the value has changed.
        cvar.notify_one();
    });

    // Wait for the thread to start up.
    let (lock, cvar) = &*pair;
    let mut started = lock.lock().unwrap();
    while !*started {
        started = cvar.wait(started).unwrap();
    }
    assert!(*started);
}

#[test]
fn condvar_new_and_default() {
    let condvar = Condvar::new();
    let other = Condvar::default();
    condvar.notify_one();
    other.notify_all();
    assert_eq!(format!("{condvar:?}"), "Condvar { .. }");
}

#[test]
fn condvar_wait_while() {
    let pair = Arc::new((Mutex::new(true), Condvar::new()));
    let pair2 = Arc::clone(&pair);
    thread::spawn(move || {
        let (lock, cvar) = &*pair2;
        let mut pending = lock.lock().unwrap();
        *pending = false;
        // We notify the condvar that the value has changed.
        cvar.notify_one();
    });

    // Wait for the thread to start up.
    let (lock, cvar) = &*pair;
    // As long as the value inside the `Mutex<bool>` is `true`, we wait.
    let guard = cvar.wait_while(lock.lock().unwrap(), |pending| *pending).unwrap();
    assert!(!*guard);
}

#[test]
fn condvar_wait_timeout() {
    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    let pair2 = Arc::clone(&pair);
    thread::spawn(move || {
        let (lock, cvar) = &*pair2;
        let mut started = lock.lock().unwrap();
        *started = true;
        // We notify the condvar that the value has changed.
        cvar.notify_one();
    });

    // Wait for the thread to start up.
    let (lock, cvar) = &*pair;
    let mut started = lock.lock().unwrap();
    // As long as the value inside the `Mutex<bool>` is `false`, we wait.
    loop {
        let result = cvar.wait_timeout(started, Duration::from_millis(10)).unwrap();
        // (Not in std's example: the guard came back with the mutex locked.)
        assert!(matches!(lock.try_lock(), Err(TryLockError::WouldBlock)));
        // 10 milliseconds have passed, or maybe the value changed!
        started = result.0;
        if *started {
            // We received the notification and the value has been updated, we can leave.
            break;
        }
    }
}

#[test]
fn condvar_wait_timeout_times_out() {
    let lock = Mutex::new(0);
    let cvar = Condvar::new();
    let (guard, result) = cvar
        .wait_timeout(lock.lock().unwrap(), Duration::from_millis(5))
        .unwrap();
    let result: WaitTimeoutResult = result;
    assert!(result.timed_out());
    assert!(WaitTimeoutResult::timed_out(&result));
    assert_eq!(*guard, 0);
}

#[test]
fn condvar_wait_timeout_while() {
    let pair = Arc::new((Mutex::new(true), Condvar::new()));
    let pair2 = Arc::clone(&pair);
    thread::spawn(move || {
        let (lock, cvar) = &*pair2;
        let mut pending = lock.lock().unwrap();
        *pending = false;
        // We notify the condvar that the value has changed.
        cvar.notify_one();
    });

    // wait for the thread to start up
    let (lock, cvar) = &*pair;
    let result = cvar
        .wait_timeout_while(lock.lock().unwrap(), Duration::from_secs(30), |&mut pending| {
            pending
        })
        .unwrap();
    assert!(!result.1.timed_out(), "the value changed well before 30s");
    assert!(!*result.0);

    // The condition never becomes false: the wait times out with it still true.
    let stuck = Mutex::new(true);
    let (guard, timed) = cvar
        .wait_timeout_while(stuck.lock().unwrap(), Duration::from_millis(5), |p| *p)
        .unwrap();
    assert!(timed.timed_out() && *guard);
}

#[test]
fn condvar_wait_timeout_result_timed_out_docs() {
    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    let pair2 = Arc::clone(&pair);
    thread::spawn(move || {
        let (lock, cvar) = &*pair2;
        // Let's wait 20 milliseconds before notifying the condvar.
        thread::sleep(Duration::from_millis(20));
        let mut started = lock.lock().unwrap();
        // We update the boolean value.
        *started = true;
        cvar.notify_one();
    });

    // Wait for the thread to start up.
    let (lock, cvar) = &*pair;
    loop {
        // Let's put a timeout on the condvar's wait.
        let result = cvar.wait_timeout(lock.lock().unwrap(), Duration::from_millis(10)).unwrap();
        // (Not in std's example: the guard came back with the mutex locked.)
        assert!(matches!(lock.try_lock(), Err(TryLockError::WouldBlock)));
        // 10 milliseconds have passed.
        if result.1.timed_out() {
            // timed out now and we can leave.
            break;
        }
    }
}

#[test]
#[allow(deprecated)]
fn condvar_wait_timeout_ms_is_still_there() {
    let lock = Mutex::new(());
    let cvar = Condvar::new();
    let (_guard, notified) = cvar.wait_timeout_ms(lock.lock().unwrap(), 1).unwrap();
    assert!(!notified);
}

#[test]
fn condvar_notify_all() {
    let pair = Arc::new((Mutex::new(0_usize), Condvar::new()));
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let pair = Arc::clone(&pair);
            thread::spawn(move || {
                let (lock, cvar) = &*pair;
                let mut state = lock.lock().unwrap();
                *state += 1; // "I am waiting"
                cvar.notify_all();
                while *state < 100 {
                    state = cvar.wait(state).unwrap();
                }
                *state
            })
        })
        .collect();
    let (lock, cvar) = &*pair;
    let mut state = cvar.wait_while(lock.lock().unwrap(), |n| *n < 3).unwrap();
    *state = 100;
    cvar.notify_all();
    drop(state);
    // Every waiter was woken and saw the final state.
    for w in waiters {
        assert_eq!(w.join().unwrap(), 100);
    }
}

#[test]
fn condvar_wait_on_a_poisoned_mutex_returns_err_with_the_guard() {
    let pair = Arc::new((Mutex::new(0), Condvar::new()));
    let pair2 = Arc::clone(&pair);
    let (lock, cvar) = &*pair;
    let guard = lock.lock().unwrap();
    let poisoner = thread::spawn(move || {
        let (lock, cvar) = &*pair2;
        let mut g = lock.lock().unwrap();
        *g = 1;
        cvar.notify_one();
        panic!(); // poisons while holding the mutex
    });
    let err = match cvar.wait_while(guard, |v| *v == 0) {
        Ok(_) => panic!("the mutex was poisoned while we waited"),
        Err(e) => e,
    };
    assert_eq!(**err.get_ref(), 1);
    drop(err);
    assert!(poisoner.join().is_err());
    assert!(lock.is_poisoned());
    let timed = cvar.wait_timeout(lock.lock().unwrap_or_else(PoisonError::into_inner), Duration::ZERO);
    let (guard, _) = timed.unwrap_err().into_inner();
    assert_eq!(*guard, 1);
}

// ===== the rest of std::sync, re-exported =====

#[test]
fn other_std_sync_items_are_std_s_own() {
    static INIT: Once = Once::new();
    static CELL: OnceLock<u32> = OnceLock::new();
    static LAZY: LazyLock<Mutex<Vec<u8>>> = LazyLock::new(|| Mutex::new(vec![1]));
    static HITS: AtomicUsize = AtomicUsize::new(0);

    INIT.call_once(|| {
        HITS.fetch_add(1, Ordering::SeqCst);
    });
    INIT.call_once_force(|state: &OnceState| assert!(!state.is_poisoned()));
    assert_eq!(HITS.load(Ordering::SeqCst), 1);
    assert_eq!(*CELL.get_or_init(|| 7), 7);
    LAZY.lock().unwrap().push(2);
    assert_eq!(*LAZY.lock().unwrap(), [1, 2]);

    let strong = Arc::new(Mutex::new(1));
    let weak: Weak<Mutex<i32>> = Arc::downgrade(&strong);
    *weak.upgrade().unwrap().lock().unwrap() += 1;
    assert_eq!(*strong.lock().unwrap(), 2);

    let barrier = Arc::new(Barrier::new(2));
    let b2 = Arc::clone(&barrier);
    let t = thread::spawn(move || b2.wait().is_leader());
    let me: BarrierWaitResult = barrier.wait();
    assert_ne!(me.is_leader(), t.join().unwrap());
}

#[test]
#[allow(deprecated)]
fn once_init_is_still_there() {
    static O: Once = sync::ONCE_INIT;
    O.call_once(|| {});
    assert!(O.is_completed());
}

// ===== auto traits: the same as std's =====

fn send_sync<T: ?Sized + Send + Sync>() {}
fn sync_only<T: ?Sized + Sync>() {}
fn unwind_safe<T: ?Sized + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}

/// `<T as NotSend<_>>::check` is ambiguous, and fails to compile, iff `T: Send`.
trait NotSend<A> {
    fn check() {}
}
impl<T: ?Sized> NotSend<()> for T {}
#[allow(dead_code)]
struct IfSend;
impl<T: ?Sized + Send> NotSend<IfSend> for T {}

#[test]
fn auto_traits_match_std() {
    use std::cell::Cell;
    send_sync::<Mutex<Cell<u8>>>(); // T: Send is enough
    send_sync::<Mutex<dyn Debug + Send>>();
    send_sync::<RwLock<Vec<u8>>>();
    send_sync::<Condvar>();
    send_sync::<WaitTimeoutResult>();
    sync_only::<MutexGuard<'static, u8>>();
    sync_only::<RwLockReadGuard<'static, u8>>();
    sync_only::<RwLockWriteGuard<'static, u8>>();

    // Poisoning makes the locks and exclusive guards unwind-safe even around
    // data that is not.
    unwind_safe::<Mutex<Cell<u8>>>();
    unwind_safe::<RwLock<Cell<u8>>>();
    unwind_safe::<MutexGuard<'static, Cell<u8>>>();
    unwind_safe::<RwLockWriteGuard<'static, Cell<u8>>>();
    unwind_safe::<RwLockReadGuard<'static, u8>>();
    unwind_safe::<Condvar>();
    unwind_safe::<Arc<Mutex<Cell<u8>>>>();

    // Guards must stay on the thread that locked.
    <MutexGuard<'static, u8> as NotSend<_>>::check();
    <RwLockReadGuard<'static, u8> as NotSend<_>>::check();
    <RwLockWriteGuard<'static, u8> as NotSend<_>>::check();
}
