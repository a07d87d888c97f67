//! A global allocator that takes a `lockdep::Mutex` on every allocation
//! while `armed()` says so: the re-entry tests' way of making everything the
//! checker allocates come back into the checker on the same thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use lockdep::Mutex;

/// The system allocator behind an instrumented lock.
pub struct Locked {
    /// Whether allocations currently go through the lock.
    pub armed: fn() -> bool,
}

/// The lock every armed allocation takes (it counts them).
pub static ALLOC_LOCK: Mutex<u64> = Mutex::new(0);
/// Allocations that went through the lock.
pub static THROUGH_LOCK: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to `System` unchanged; the lock only counts.
unsafe impl GlobalAlloc for Locked {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if (self.armed)() {
            *ALLOC_LOCK.lock() += 1;
            THROUGH_LOCK.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}
