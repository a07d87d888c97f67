//! The per-thread held-lock stack (the kernel's `current->held_locks[]`).
//!
//! Each entry records what the checker needs about one held acquisition: its
//! graph node (class + subclass), the lock object, the mode, the trylock flag,
//! the nest lock, where it was acquired, and the chain key *below* it, so a
//! release restores the key without rehashing. The running chain key folds
//! `(node, mode, flags)` of every entry, bottom to top: equal keys mean equal
//! sequences of held classes, which is what the chain cache remembers.
//!
//! Access goes through [`with`], which returns `None` instead of re-entering:
//! if anything the checker does (allocating, printing, a user's allocator
//! built on our locks) acquires a lock on the same thread while the stack is
//! borrowed, that acquisition is simply not tracked. During thread-local
//! teardown it returns `None` too.

use std::cell::RefCell;
use std::panic::Location;

use crate::class::Node;
use crate::map::Mode;
use crate::report::{self, ThreadInfo};

use super::Flags;

/// One held acquisition.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HeldLock {
    pub(crate) node: Node,
    pub(crate) instance: u64,
    pub(crate) mode: Mode,
    pub(crate) flags: Flags,
    /// Instance of the nest lock named by this acquisition (0 = none).
    pub(crate) nest: u64,
    pub(crate) at: &'static Location<'static>,
    /// The thread's chain key before this entry was pushed.
    pub(crate) prev_key: u64,
}

impl HeldLock {
    /// The value folded into the chain key: node, mode and flags (the
    /// kernel's `hlock_id` = class | read; we add the trylock flag because it
    /// changes which held locks get edges).
    #[inline]
    pub(crate) fn chain_id(&self) -> u64 {
        ((self.node as u64) << 8) | ((self.mode as u64) << 4) | self.flags.bits() as u64
    }

    /// A lock that ends the walk down the held stack when adding edges: one
    /// that is neither a trylock (or a serialized seqcount writer) nor a
    /// recursive read.
    #[inline]
    pub(crate) fn stops_walk(&self) -> bool {
        !self.flags.is_trylike() && self.mode != Mode::RecursiveRead
    }
}

/// The initial chain key (the kernel's `INITIAL_CHAIN_KEY`).
pub(crate) const INITIAL_KEY: u64 = u64::MAX;

/// Folds one entry into a chain key (a 64-bit multiply-xorshift mix; like the
/// kernel's jhash fold, distinct chains are assumed to get distinct keys).
#[inline]
pub(crate) fn mix(key: u64, id: u64) -> u64 {
    let mut x = key ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 29)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 32)
}

/// One thread's held locks.
#[derive(Debug)]
pub(crate) struct HeldStack {
    pub(crate) locks: Vec<HeldLock>,
    /// Chain key of the whole stack.
    pub(crate) key: u64,
    /// Set after this thread overflowed its depth limit: it is no longer checked.
    pub(crate) off: bool,
    /// Name and id, captured on first use (they cannot be read at thread exit).
    thread: Option<ThreadInfo>,
    /// This thread's [`thread_token`], captured on first use.
    #[cfg(feature = "send_guard")]
    token: u64,
}

impl HeldStack {
    const fn new() -> Self {
        HeldStack {
            locks: Vec::new(),
            key: INITIAL_KEY,
            off: false,
            thread: None,
            #[cfg(feature = "send_guard")]
            token: 0,
        }
    }

    /// This thread's name and id.
    pub(crate) fn thread(&mut self) -> ThreadInfo {
        self.thread.get_or_insert_with(ThreadInfo::current).clone()
    }

    /// Pushes an entry whose `prev_key` is the current key; `key` is the
    /// folded key including it.
    #[inline]
    pub(crate) fn push(&mut self, entry: HeldLock, key: u64) {
        if self.locks.capacity() == 0 {
            self.locks.reserve(crate::config::max_depth());
            self.thread.get_or_insert_with(ThreadInfo::current);
            #[cfg(feature = "send_guard")]
            {
                self.token = thread_token();
            }
        }
        self.locks.push(entry);
        self.key = key;
    }

    /// Index of the topmost entry for `instance`.
    #[inline]
    pub(crate) fn find(&self, instance: u64) -> Option<usize> {
        self.locks.iter().rposition(|h| h.instance == instance)
    }

    /// Removes entry `i` and refolds the chain keys of the entries above it
    /// (unlock order is free; the kernel re-pushes the entries above).
    #[inline]
    pub(crate) fn remove(&mut self, i: usize) {
        let removed = self.locks.remove(i);
        if i < self.locks.len() {
            self.locks[i].prev_key = removed.prev_key;
            self.refold(i);
        } else {
            self.key = removed.prev_key;
        }
    }

    /// Recomputes the chain keys from entry `i` up (its `prev_key` is right).
    pub(crate) fn refold(&mut self, i: usize) {
        let mut key = self.locks[i].prev_key;
        for h in &mut self.locks[i..] {
            h.prev_key = key;
            key = mix(key, h.chain_id());
        }
        self.key = key;
    }
}

impl Drop for HeldStack {
    /// Thread exit with locks still held (the kernel's `debug_check_no_locks_held`
    /// from `do_exit`).
    fn drop(&mut self) {
        // With `send_guard`, a guard this thread took may live on in another
        // thread: locks left here are not a bug, and the check is off.
        if cfg!(feature = "send_guard") {
            return;
        }
        if !self.locks.is_empty() && !self.off && crate::config::is_enabled() {
            let thread = self.thread();
            let held = std::mem::take(&mut self.locks);
            report::locks_held_at_exit(thread, &held);
        }
    }
}

thread_local! {
    static HELD: RefCell<HeldStack> = const { RefCell::new(HeldStack::new()) };
}

/// Runs `f` on this thread's held stack; `None` if the stack is already in use
/// further up this thread's call stack (re-entry) or being torn down.
#[inline]
pub(crate) fn with<R>(f: impl FnOnce(&mut HeldStack) -> R) -> Option<R> {
    HELD.try_with(|cell| {
        cell.try_borrow_mut().ok().map(|mut held| {
            #[cfg(feature = "send_guard")]
            foreign::drain(&mut held);
            f(&mut held)
        })
    })
    .ok()
    .flatten()
}

/// Releases done on other threads (`send_guard`): a guard dropped on a
/// thread other than the one that took it posts `(owner, lock)` here, and the
/// owner removes the entry before its next lock event. The check costs one
/// atomic load while the mailbox is empty.
#[cfg(feature = "send_guard")]
pub(crate) mod foreign {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use parking_lot::Mutex as RawMutex;

    use super::HeldStack;

    /// `(owner token, lock instance)`; an internal lock, held briefly.
    static MAILBOX: RawMutex<Vec<(u64, u64)>> = RawMutex::new(Vec::new());
    /// Entries in `MAILBOX`.
    static PENDING: AtomicUsize = AtomicUsize::new(0);

    /// Posts the release of `instance` to thread `owner`.
    pub(crate) fn post(owner: u64, instance: u64) {
        MAILBOX.lock().push((owner, instance));
        PENDING.fetch_add(1, Ordering::Release);
    }

    /// Applies the releases posted to this thread.
    #[inline]
    pub(crate) fn drain(h: &mut HeldStack) {
        if PENDING.load(Ordering::Acquire) != 0 && h.token != 0 {
            drain_slow(h);
        }
    }

    #[cold]
    #[inline(never)]
    fn drain_slow(h: &mut HeldStack) {
        let mut mine = Vec::new();
        {
            let mut mailbox = MAILBOX.lock();
            mailbox.retain(|&(owner, instance)| {
                let keep = owner != h.token;
                if !keep {
                    mine.push(instance);
                }
                keep
            });
            PENDING.fetch_sub(mine.len(), Ordering::Release);
        }
        for instance in mine {
            if let Some(i) = h.find(instance) {
                h.remove(i);
            }
        }
    }
}

/// A small number unique to the calling thread (never 0), cheap to read.
pub(crate) fn thread_token() -> u64 {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static TOKEN: Cell<u64> = const { Cell::new(0) };
    }
    TOKEN
        .try_with(|t| {
            if t.get() == 0 {
                t.set(NEXT.fetch_add(1, Ordering::Relaxed));
            }
            t.get()
        })
        .unwrap_or(u64::MAX)
}
