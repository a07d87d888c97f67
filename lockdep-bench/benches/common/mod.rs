//! What the criterion benches (`compare.rs`) and the instruction counts
//! (`instructions.rs`) share: the four lockdep classes of w2/w3. (Not in
//! `src/lib.rs`, which stays plain `std`: lockdep is a dev-dependency.)

use lockdep::LockClass;

/// The four classes of w2/w3 (the same on every thread).
static CLASS_A: LockClass = LockClass::new("bench-w2-a");
static CLASS_B: LockClass = LockClass::new("bench-w2-b");
static CLASS_C: LockClass = LockClass::new("bench-w2-c");
static CLASS_D: LockClass = LockClass::new("bench-w2-d");

/// Four lockdep mutexes of the four w2 classes.
pub fn lockdep_four() -> [lockdep::Mutex<u64>; 4] {
    [
        lockdep::Mutex::with_class(0, &CLASS_A),
        lockdep::Mutex::with_class(0, &CLASS_B),
        lockdep::Mutex::with_class(0, &CLASS_C),
        lockdep::Mutex::with_class(0, &CLASS_D),
    ]
}
