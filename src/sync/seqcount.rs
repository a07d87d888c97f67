//! [`SeqCount`]: the kernel's `seqcount_t`, with its three reader/writer models.
//!
//! A sequence count lets readers run without blocking writers: a writer makes
//! the count odd, changes the data, and makes it even again; a reader reads
//! the count, reads the data, and checks that the count did not change.
//!
//! To the checker:
//!
//! - **writers** of a bare count ([`SeqCount::new`]) are an exclusive
//!   acquisition of the count's class held for the write section, exactly as
//!   the kernel's `write_seqcount_begin` (this is what finds the kernel's
//!   `mmap_sem → vm_sequence → fs_reclaim → i_mmap_rwsem` cycle);
//! - writers of a count **serialized by a lock** ([`SeqCount::serialized_by`],
//!   [`SeqCount::serialized_by_class`]; the kernel's `seqcount_mutex_t`
//!   family) must hold that lock for write (checked at every `write_begin`),
//!   never wait on the count, and are treated like a held *trylock*: no edge
//!   into the count, edges out of it to what the write section takes, and the
//!   edge walk continues past it to the serializing lock below;
//! - a **spinning reader** ([`SeqCount::read_begin`]) waits while a write is in
//!   progress, so it is a recursive-read acquire + release of the count's class
//!   (`read_seqcount_begin`): it records `held → count` dependencies;
//! - a **retry-free reader** ([`SeqCount::try_read_begin`]) checks the count
//!   once and gives up if a write is in progress: it never waits, so it records
//!   no dependency and no event at all (the speculative-page-fault reader).
//!
//! # What a `SeqCount` may protect
//!
//! Readers run concurrently with writers, so the data must be readable while
//! being written without undefined behaviour: use atomics (relaxed loads and
//! stores are enough; the count's fences order them), and treat what a reader
//! read as valid only if [`SeqCount::read_retry`] returns `false`. Build `Copy`
//! snapshots from several atomics and use them only after the retry check.
//! There is no API here that hands out `&T` to non-atomic data, because such a
//! read would race with the writer.

use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering, fence};

use crate::class::LockClass;
use crate::engine::{self, Flags};
use crate::map::{LockMap, Mode};
use crate::report::ReportKind;

/// What serialises the writers of a [`SeqCount`].
#[derive(Clone, Copy)]
enum Serializer {
    /// Nothing: writers are exclusive acquisitions of the count (`seqcount_t`).
    None,
    /// This exact lock, held for write.
    Lock(&'static LockMap),
    /// Any lock of this class, held for write.
    Class(&'static LockClass),
}

/// A sequence count (the kernel's `seqcount_t`); see the module docs of `lockdep::sync::seqcount`.
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
/// // Spinning reader: retries until it saw a consistent value.
/// assert_eq!(SEQ.read(|| X.load(Relaxed)), 42);
/// // Retry-free reader: gives up instead of waiting.
/// assert_eq!(SEQ.try_read(|| X.load(Relaxed)), Some(42));
/// ```
pub struct SeqCount {
    sequence: AtomicUsize,
    map: LockMap,
    serializer: Serializer,
    /// Id of the thread inside a write section (0 = none): detects unserialized writers.
    writer: AtomicU64,
}

impl SeqCount {
    /// A bare count whose class is the caller's source location.
    #[track_caller]
    pub const fn new() -> SeqCount {
        SeqCount::from_map(LockMap::at_caller())
    }

    /// A bare count in the named class `class` (e.g. `&vma->vm_sequence`).
    #[track_caller]
    pub const fn with_class(class: &'static LockClass) -> SeqCount {
        SeqCount::from_map(LockMap::with_class(class))
    }

    const fn from_map(map: LockMap) -> SeqCount {
        SeqCount {
            sequence: AtomicUsize::new(0),
            map,
            serializer: Serializer::None,
            writer: AtomicU64::new(0),
        }
    }

    /// Declares that every writer holds `lock` for write (`seqcount_mutex_t`
    /// and friends; pass e.g. `MMAP_SEM.lock_map()`).
    pub const fn serialized_by(mut self, lock: &'static LockMap) -> SeqCount {
        self.serializer = Serializer::Lock(lock);
        self
    }

    /// Declares that every writer holds, for write, a lock of class `class`
    /// (for counts and locks that live in objects, like a VMA's count and its
    /// mm's `mmap_sem`).
    pub const fn serialized_by_class(mut self, class: &'static LockClass) -> SeqCount {
        self.serializer = Serializer::Class(class);
        self
    }

    // ===== writers =====

    /// Begins a write section (`write_seqcount_begin`).
    #[track_caller]
    pub fn write_begin(&self) {
        self.write_begin_nested(0);
    }

    /// Begins a write section in subclass `subclass` (`write_seqcount_begin_nested`).
    #[track_caller]
    pub fn write_begin_nested(&self, subclass: u8) {
        let at = Location::caller();
        let flags = match self.serializer {
            Serializer::None => Flags::NONE,
            Serializer::Lock(lock) => {
                let id = lock.instance();
                self.check_serializer(at, || lock.class_name(), |inst, _| inst == id);
                Flags::SERIALIZED
            }
            Serializer::Class(class) => {
                if let Some(c) = class.index(None) {
                    self.check_serializer(at, || class.name().to_owned(), |_, cls| cls == c);
                }
                Flags::SERIALIZED
            }
        };
        let me = engine::held::thread_id();
        let other = self.writer.swap(me, Ordering::Relaxed);
        if other != 0 && other != me && crate::config::is_enabled() {
            let note =
                format!("another thread (token {other}) is inside a write section of this count");
            engine::misuse(
                ReportKind::ConcurrentSeqcountWriters,
                &self.map,
                Mode::Exclusive,
                at,
                Some(note),
            );
        }
        engine::acquire(&self.map, Mode::Exclusive, subclass, flags, None, at);
        self.sequence.fetch_add(1, Ordering::Relaxed);
        fence(Ordering::Release);
    }

    fn check_serializer(
        &self,
        at: &'static Location<'static>,
        name: impl FnOnce() -> String,
        pred: impl Fn(u64, u32) -> bool,
    ) {
        if crate::config::is_enabled() && !engine::holds_exclusive(pred) {
            let note = name();
            engine::misuse(
                ReportKind::SeqcountWriterWithoutLock,
                &self.map,
                Mode::Exclusive,
                at,
                Some(note),
            );
        }
    }

    /// Ends the write section begun on this thread (`write_seqcount_end`).
    #[track_caller]
    pub fn write_end(&self) {
        let before = self.sequence.fetch_add(1, Ordering::Release);
        let me = engine::held::thread_id();
        let _ = self
            .writer
            .compare_exchange(me, 0, Ordering::Relaxed, Ordering::Relaxed);
        // Release the section this thread holds. If it holds none, that is a
        // bad unlock only when no write section was open at all: a section
        // begun while checking was off is not on the held stack.
        if self.map.is_held() || before & 1 == 0 {
            self.map.unlock();
        }
    }

    /// Begins a write section that ends when the guard drops.
    #[track_caller]
    pub fn write(&self) -> SeqCountWriteGuard<'_> {
        self.write_begin();
        SeqCountWriteGuard {
            count: self,
            _not_send: std::marker::PhantomData,
        }
    }

    /// As [`write`](Self::write), in subclass `subclass`.
    #[track_caller]
    pub fn write_nested(&self, subclass: u8) -> SeqCountWriteGuard<'_> {
        self.write_begin_nested(subclass);
        SeqCountWriteGuard {
            count: self,
            _not_send: std::marker::PhantomData,
        }
    }

    // ===== readers =====

    /// Spinning reader: waits while a write is in progress and returns the
    /// (even) count to pass to [`read_retry`](Self::read_retry). Recorded as a
    /// recursive-read acquire + release of the count's class, *before* waiting.
    #[track_caller]
    pub fn read_begin(&self) -> usize {
        self.map.might_acquire_read();
        loop {
            let s = self.sequence.load(Ordering::Acquire);
            if s & 1 == 0 {
                return s;
            }
            std::hint::spin_loop();
            std::thread::yield_now();
        }
    }

    /// Retry-free reader: the count if no write is in progress, else `None`,
    /// at once. Never waits, so it records nothing.
    #[inline]
    pub fn try_read_begin(&self) -> Option<usize> {
        let s = self.sequence.load(Ordering::Acquire);
        (s & 1 == 0).then_some(s)
    }

    /// `true` if a write happened since `start` was read: what was read in
    /// between must be thrown away (`read_seqcount_retry`).
    #[inline]
    pub fn read_retry(&self, start: usize) -> bool {
        fence(Ordering::Acquire);
        self.sequence.load(Ordering::Relaxed) != start
    }

    /// Runs `f` as a spinning reader until it ran without a concurrent write.
    #[track_caller]
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
    pub fn sequence(&self) -> usize {
        self.sequence.load(Ordering::Relaxed)
    }

    /// The checker's handle for this count.
    pub const fn lock_map(&self) -> &LockMap {
        &self.map
    }
}

/// Its class is the caller's site, or, when the caller is inside the
/// standard library (`Arc::default`, a `#[derive(Default)]` field built by
/// `Box::default`), the user's construction site on the stack, as for every
/// lock's `Default` (see `docs/semantics.md`).
impl Default for SeqCount {
    #[track_caller]
    fn default() -> Self {
        SeqCount::from_map(LockMap::at_runtime_caller_for::<Self>())
    }
}

impl fmt::Debug for SeqCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeqCount")
            .field("class", &self.map.class_name())
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
