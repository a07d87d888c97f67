//! [`SeqCount`] with checking compiled out: the count alone (one
//! `AtomicUsize`), the same reader and writer protocol, nothing recorded.
//! Writers must still be serialised by the caller, as in the kernel; the
//! checked build's detection of concurrent or unserialised writers is gone.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering, fence};

use crate::class::LockClass;
use crate::map::LockMap;

/// A sequence count (the kernel's `seqcount_t`).
///
/// ```
/// use lockdep::SeqCount;
/// use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
///
/// static SEQ: SeqCount = SeqCount::new();
/// static X: AtomicU64 = AtomicU64::new(0);
///
/// {
///     let _w = SEQ.write();
///     X.store(42, Relaxed);
/// }
/// assert_eq!(SEQ.read(|| X.load(Relaxed)), 42);
/// assert_eq!(SEQ.try_read(|| X.load(Relaxed)), Some(42));
/// assert_eq!(std::mem::size_of::<SeqCount>(), std::mem::size_of::<usize>());
/// ```
#[repr(transparent)]
pub struct SeqCount {
    sequence: AtomicUsize,
}

impl SeqCount {
    /// A bare count.
    #[track_caller]
    #[inline(always)]
    pub const fn new() -> SeqCount {
        SeqCount {
            sequence: AtomicUsize::new(0),
        }
    }

    /// A bare count (the class is not kept).
    #[track_caller]
    #[inline(always)]
    pub const fn with_class(class: &'static LockClass) -> SeqCount {
        let _ = class;
        SeqCount::new()
    }

    /// Would declare that every writer holds `lock` for write; not kept.
    #[inline(always)]
    pub const fn serialized_by(self, lock: &'static LockMap) -> SeqCount {
        let _ = lock;
        self
    }

    /// Would declare that every writer holds a lock of class `class`; not kept.
    #[inline(always)]
    pub const fn serialized_by_class(self, class: &'static LockClass) -> SeqCount {
        let _ = class;
        self
    }

    // ===== writers =====

    /// Begins a write section (`write_seqcount_begin`).
    #[track_caller]
    #[inline(always)]
    pub fn write_begin(&self) {
        self.sequence.fetch_add(1, Ordering::Relaxed);
        fence(Ordering::Release);
    }

    /// As [`write_begin`](Self::write_begin) (the subclass is not kept).
    #[track_caller]
    #[inline(always)]
    pub fn write_begin_nested(&self, subclass: u8) {
        let _ = subclass;
        self.write_begin();
    }

    /// Ends the write section (`write_seqcount_end`).
    #[track_caller]
    #[inline(always)]
    pub fn write_end(&self) {
        self.sequence.fetch_add(1, Ordering::Release);
    }

    /// Begins a write section that ends when the guard drops.
    #[track_caller]
    #[inline(always)]
    pub fn write(&self) -> SeqCountWriteGuard<'_> {
        self.write_begin();
        SeqCountWriteGuard {
            count: self,
            _not_send: std::marker::PhantomData,
        }
    }

    /// As [`write`](Self::write) (the subclass is not kept).
    #[track_caller]
    #[inline(always)]
    pub fn write_nested(&self, subclass: u8) -> SeqCountWriteGuard<'_> {
        let _ = subclass;
        self.write()
    }

    // ===== readers =====

    /// Spinning reader: waits while a write is in progress and returns the
    /// (even) count to pass to [`read_retry`](Self::read_retry).
    #[track_caller]
    #[inline]
    pub fn read_begin(&self) -> usize {
        loop {
            let s = self.sequence.load(Ordering::Acquire);
            if s & 1 == 0 {
                return s;
            }
            std::hint::spin_loop();
            std::thread::yield_now();
        }
    }

    /// Retry-free reader: the count if no write is in progress, else `None`.
    #[inline(always)]
    pub fn try_read_begin(&self) -> Option<usize> {
        let s = self.sequence.load(Ordering::Acquire);
        (s & 1 == 0).then_some(s)
    }

    /// `true` if a write happened since `start` was read (`read_seqcount_retry`).
    #[inline(always)]
    pub fn read_retry(&self, start: usize) -> bool {
        fence(Ordering::Acquire);
        self.sequence.load(Ordering::Relaxed) != start
    }

    /// Runs `f` as a spinning reader until it ran without a concurrent write.
    #[track_caller]
    #[inline]
    pub fn read<R>(&self, mut f: impl FnMut() -> R) -> R {
        loop {
            let start = self.read_begin();
            let r = f();
            if !self.read_retry(start) {
                return r;
            }
        }
    }

    /// Runs `f` once as a retry-free reader: `None` if a write was in progress
    /// or happened meanwhile.
    #[inline]
    pub fn try_read<R>(&self, f: impl FnOnce() -> R) -> Option<R> {
        let start = self.try_read_begin()?;
        let r = f();
        (!self.read_retry(start)).then_some(r)
    }

    /// The raw count (odd while a write is in progress).
    #[inline(always)]
    pub fn sequence(&self) -> usize {
        self.sequence.load(Ordering::Relaxed)
    }

    /// The checker's handle for this count: a zero-sized [`LockMap`] that does nothing.
    #[inline(always)]
    pub const fn lock_map(&self) -> &LockMap {
        &crate::map::NONE
    }
}

impl Default for SeqCount {
    #[track_caller]
    #[inline(always)]
    fn default() -> Self {
        SeqCount::new()
    }
}

impl fmt::Debug for SeqCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeqCount")
            .field("class", &self.lock_map().class_name())
            .field("sequence", &self.sequence())
            .finish()
    }
}

/// Ends a [`SeqCount`] write section when dropped.
#[must_use = "if unused the write section ends at once"]
pub struct SeqCountWriteGuard<'a> {
    count: &'a SeqCount,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for SeqCountWriteGuard<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        self.count.write_end();
    }
}

impl fmt::Debug for SeqCountWriteGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeqCountWriteGuard")
            .field("count", self.count)
            .finish()
    }
}
