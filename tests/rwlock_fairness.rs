//! `lockdep::RwLock` is parking_lot's task-fair `RwLock` underneath: a reader
//! arriving while a writer waits queues behind the writer, exactly as with
//! `parking_lot::RwLock`; `lockdep::RecursiveRwLock` lets it in, exactly as
//! `parking_lot::RecursiveRwLock` does. Each behaviour is checked on the
//! parking_lot lock and on ours in the same test.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// The three operations of the scenario, on some reader-writer lock.
trait Rw: Sync {
    fn hold_read(&self, until: mpsc::Receiver<()>);
    fn write_once(&self);
    fn try_read_ok(&self) -> bool;
    fn read_once(&self);
    fn is_locked_exclusive(&self) -> bool;
}

macro_rules! rw {
    ($t:ty) => {
        impl Rw for $t {
            fn hold_read(&self, until: mpsc::Receiver<()>) {
                let _g = self.read();
                until.recv().unwrap();
            }
            fn write_once(&self) {
                *self.write() += 1;
            }
            fn try_read_ok(&self) -> bool {
                self.try_read().is_some()
            }
            fn read_once(&self) {
                let _g = self.read();
            }
            fn is_locked_exclusive(&self) -> bool {
                <$t>::is_locked_exclusive(self)
            }
        }
    };
}
rw!(parking_lot::RwLock<u32>);
rw!(lockdep::RwLock<u32>);
rw!(parking_lot::RecursiveRwLock<u32>);
rw!(lockdep::RecursiveRwLock<u32>);

/// What happens to a new reader (thread C) while thread A holds a read and
/// thread B waits to write: (`try_read` succeeded, `read` returned before B
/// got the lock).
fn reader_behind_waiting_writer(lock: &dyn Rw) -> (bool, bool) {
    let (release_a, a_rx) = mpsc::channel();
    let (a_holds_tx, a_holds) = mpsc::channel();
    thread::scope(|s| {
        s.spawn(move || {
            // Thread A: a read held until told.
            let (tx, rx) = mpsc::channel::<()>();
            let hold = s.spawn(move || lock.hold_read(rx));
            thread::sleep(Duration::from_millis(20));
            a_holds_tx.send(()).unwrap();
            a_rx.recv().unwrap_or(());
            tx.send(()).unwrap();
            hold.join().unwrap();
        });
        a_holds.recv().unwrap();
        // Thread B: a writer, which queues behind A's read.
        let (b_done_tx, b_done) = mpsc::channel();
        s.spawn(move || {
            lock.write_once();
            b_done_tx.send(()).unwrap();
        });
        thread::sleep(Duration::from_millis(100));
        assert!(b_done.try_recv().is_err(), "B must wait for A's read");
        // Thread C: a new reader while B waits.
        let try_ok = s.spawn(|| lock.try_read_ok()).join().unwrap();
        let (c_done_tx, c_done) = mpsc::channel();
        s.spawn(move || {
            lock.read_once();
            c_done_tx.send(()).unwrap();
        });
        // A lock that let C's `try_read` in lets its `read` in too: wait for
        // it (the long timeout only guards against a hang, so a loaded
        // machine cannot turn "C got in" into "C waited"). One that refused
        // it cannot let C in before A goes, so a short look shows that C
        // still waits.
        let look = if try_ok {
            Duration::from_secs(10)
        } else {
            Duration::from_millis(200)
        };
        let c_before_b = c_done.recv_timeout(look).is_ok();
        // Let A go: B writes, then C (if it was blocked) reads.
        release_a.send(()).unwrap();
        b_done.recv().unwrap();
        c_done.recv_timeout(Duration::from_secs(10)).ok();
        (try_ok, c_before_b)
    })
}

#[test]
fn read_on_rwlock_blocks_behind_a_waiting_writer_like_parking_lot() {
    let theirs = reader_behind_waiting_writer(&parking_lot::RwLock::new(0u32));
    let ours = reader_behind_waiting_writer(&lockdep::RwLock::new(0u32));
    assert_eq!(theirs, (false, false), "parking_lot's RwLock is task-fair");
    assert_eq!(ours, theirs);
}

#[test]
fn read_on_recursive_rwlock_passes_a_waiting_writer_like_parking_lot() {
    let theirs = reader_behind_waiting_writer(&parking_lot::RecursiveRwLock::new(0u32));
    let ours = reader_behind_waiting_writer(&lockdep::RecursiveRwLock::new(0u32));
    assert_eq!(theirs, (true, true), "RecursiveRwLock prefers readers");
    assert_eq!(ours, theirs);
}

#[test]
fn writer_ran_in_each_scenario() {
    let l = lockdep::RwLock::new(0u32);
    reader_behind_waiting_writer(&l);
    assert!(!Rw::is_locked_exclusive(&l));
    assert_eq!(l.into_inner(), 1);
}
