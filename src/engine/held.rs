//! The per-thread held-lock stack (the kernel's `current->held_locks[]`) and
//! the per-thread "inside the checker" flag (the kernel's `lockdep_recursion`).
//!
//! Each entry records what the checker needs about one held acquisition: its
//! graph node (class + subclass), the lock object, the mode, the trylock flag,
//! the nest lock, where it was acquired, and the chain key *below* it, so a
//! release of the newest entry is a pop that restores the key. The running
//! chain key folds `(node, mode, flags)` of every entry, bottom to top: equal
//! keys mean equal sequences of held classes, which is what the chain cache
//! remembers.
//!
//! # Layout and cost
//!
//! [`HELD`] is a `const`-initialised thread-local *without a destructor*, so
//! an access is a plain thread-pointer offset: no lazy-init or
//! destroyed-state check. The entries live in a buffer of `LOCKDEP_MAX_DEPTH`
//! slots allocated on the thread's first acquisition; at that moment a second
//! thread-local, [`ThreadState`] (which has a destructor), is touched once to
//! register the thread-exit check and to free the buffer.
//!
//! # Re-entry
//!
//! `busy` is set while the checker does anything that may allocate, print,
//! capture a stack or call user code (registration, validation, reporting,
//! dumping, test attribution). A lock event that arrives while it is set (an
//! allocator or a `Display` impl built on our locks, a panic hook) reads only
//! that flag and goes straight to the raw lock, untracked. The stack itself is
//! only ever borrowed while `busy` is clear or by the code that set it.

use std::cell::{Cell, RefCell, UnsafeCell};
use std::panic::Location;
use std::ptr;
use std::sync::OnceLock;

use crate::identity::ThreadInfo;
use crate::mode::Mode;
use crate::node::Node;
use crate::report::{ClassRef, LockRef};

/// Per-acquisition flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Flags(u8);

impl Flags {
    pub(crate) const NONE: Flags = Flags(0);
    /// A successful trylock: no validation, no edges into it.
    pub(crate) const TRYLOCK: Flags = Flags(1);
    /// A serialized seqcount writer: treated exactly like a held trylock.
    pub(crate) const SERIALIZED: Flags = Flags(2);
    /// A lock whose waiters are async tasks (`lockdep::tokio`): not a
    /// blocking lock, so holding it across `.await` is fine (`crate::task`).
    #[cfg(feature = "tokio")]
    pub(crate) const ASYNC: Flags = Flags(4);

    /// These flags plus `other`'s.
    #[cfg(feature = "tokio")]
    pub(crate) const fn with(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    /// Was the lock taken by an async task's await (`lockdep::tokio`)?
    #[inline]
    pub(crate) fn is_async(self) -> bool {
        self.0 & 4 != 0
    }

    #[inline(always)]
    pub(crate) fn bits(self) -> u8 {
        self.0
    }

    /// Trylocks and serialized writers: not validated as the new lock, and
    /// the edge walk goes past them when they are held.
    #[inline(always)]
    pub(crate) fn is_trylike(self) -> bool {
        self.0 & (Flags::TRYLOCK.0 | Flags::SERIALIZED.0) != 0
    }
}

/// One held acquisition.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HeldLock {
    pub(crate) node: Node,
    pub(crate) mode: Mode,
    pub(crate) flags: Flags,
    pub(crate) instance: u64,
    /// Instance of the nest lock named by this acquisition (0 = none).
    pub(crate) nest: u64,
    /// The nest lock's graph node (its class, subclass 0), for reports.
    pub(crate) nest_node: Node,
    pub(crate) at: &'static Location<'static>,
    /// The thread's chain key before this entry was pushed.
    pub(crate) prev_key: u64,
}

impl HeldLock {
    /// The value folded into the chain key: node, mode and flags (the
    /// kernel's `hlock_id` = class | read; we add the trylock flag because it
    /// changes which held locks get edges).
    #[inline(always)]
    pub(crate) fn chain_id(&self) -> u64 {
        chain_id(self.node, self.mode, self.flags)
    }

    /// A lock that ends the walk down the held stack when adding edges: one
    /// that is neither a trylock (or a serialized seqcount writer) nor a
    /// recursive read.
    #[inline]
    pub(crate) fn stops_walk(&self) -> bool {
        !self.flags.is_trylike() && self.mode != Mode::RecursiveRead
    }
}

/// See [`HeldLock::chain_id`].
#[inline(always)]
pub(crate) fn chain_id(node: Node, mode: Mode, flags: Flags) -> u64 {
    ((node as u64) << 8) | ((mode as u64) << 4) | flags.bits() as u64
}

/// The initial chain key (the kernel's `INITIAL_CHAIN_KEY`).
pub(crate) const INITIAL_KEY: u64 = u64::MAX;

/// Folds one entry into a chain key: rotate, xor, one multiply (the FxHash
/// step). For a fixed `id` the step is a bijection of `key`, and for a fixed
/// `key` an injection of `id`, so two chains that differ in one entry always
/// get different keys; like the kernel's jhash fold, chains that differ in
/// several entries are assumed to get different keys (a collision would skip
/// one validation).
#[inline(always)]
pub(crate) fn mix(key: u64, id: u64) -> u64 {
    (key.rotate_left(26) ^ id).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Where a thread's stack is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Life {
    /// No acquisition yet: no buffer.
    Fresh,
    /// Tracking.
    Live,
    /// Not tracked any more: the depth limit was reached, checking was
    /// switched off by a capacity limit, or the thread is exiting.
    Off,
}

/// One thread's held locks.
pub(crate) struct Stack {
    /// `cap` slots, `len` of them in use (null while [`Life::Fresh`]).
    buf: *mut HeldLock,
    len: usize,
    cap: usize,
    /// Chain key of the whole stack.
    pub(crate) key: u64,
    pub(crate) life: Life,
}

impl Stack {
    /// An empty stack (a thread's, or an async task's: `crate::task`).
    pub(crate) const fn new() -> Stack {
        Stack {
            buf: ptr::null_mut(),
            len: 0,
            cap: 0,
            key: INITIAL_KEY,
            life: Life::Fresh,
        }
    }

    /// The held entries, oldest first.
    #[inline(always)]
    pub(crate) fn locks(&self) -> &[HeldLock] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: `buf` holds `cap >= len` slots of which the first `len`
        // are initialised (every push writes its slot before `len` grows).
        unsafe { std::slice::from_raw_parts(self.buf, self.len) }
    }

    /// The newest entry.
    #[inline(always)]
    pub(crate) fn top(&self) -> Option<&HeldLock> {
        self.locks().last()
    }

    /// Is there room for one more entry? (False while fresh or off.)
    #[inline(always)]
    pub(crate) fn has_room(&self) -> bool {
        self.len < self.cap
    }

    /// Pushes `entry` (whose `prev_key` is the current key); `key` is the
    /// folded key including it. The caller checked [`has_room`](Self::has_room).
    #[inline(always)]
    pub(crate) fn push(&mut self, entry: HeldLock, key: u64) {
        debug_assert!(self.has_room());
        // SAFETY: `len < cap`, so slot `len` is inside the buffer.
        unsafe { self.buf.add(self.len).write(entry) };
        self.len += 1;
        self.key = key;
    }

    /// Pushes `entry` on top of the stack as it is now: its `prev_key` and the
    /// new key are folded from the current key (for entries moved or pushed
    /// again). The caller checked [`has_room`](Self::has_room).
    pub(crate) fn push_on_top(&mut self, entry: HeldLock) {
        let key = mix(self.key, entry.chain_id());
        self.push(
            HeldLock {
                prev_key: self.key,
                ..entry
            },
            key,
        );
    }

    /// Pops the newest entry, restoring the key below it.
    #[inline(always)]
    pub(crate) fn pop(&mut self) {
        debug_assert!(self.len > 0);
        self.len -= 1;
        // SAFETY: slot `len` was initialised by its push.
        self.key = unsafe { (*self.buf.add(self.len)).prev_key };
    }

    /// Drops entries `i..`, restoring the key below entry `i`, and returns
    /// them (oldest first).
    pub(crate) fn truncate(&mut self, i: usize) -> Vec<HeldLock> {
        let above = self.locks()[i..].to_vec();
        if let Some(first) = above.first() {
            self.key = first.prev_key;
        }
        self.len = i;
        above
    }

    /// Removes entry `i` when every entry above it re-acquires from the chain
    /// cache alone (no nest lock, chain validated before): the kernel's
    /// re-acquisition with nothing to validate, done in place with no
    /// allocation. Returns `false`, changing nothing, when one would need
    /// validation.
    #[inline]
    pub(crate) fn remove_cached(&mut self, i: usize) -> bool {
        let locks = self.locks();
        let mut key = locks[i].prev_key;
        for e in &locks[i + 1..] {
            key = mix(key, e.chain_id());
            if e.nest != 0 || (!e.flags.is_trylike() && !super::chain::contains(key)) {
                return false;
            }
        }
        let mut key = locks[i].prev_key;
        for j in i + 1..self.len {
            // SAFETY: `j < len <= cap`: both slots are initialised.
            unsafe {
                let mut e = self.buf.add(j).read();
                e.prev_key = key;
                key = mix(key, e.chain_id());
                self.buf.add(j - 1).write(e);
            }
        }
        self.len -= 1;
        self.key = key;
        true
    }

    /// Forgets every entry.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
        self.key = INITIAL_KEY;
    }

    /// Index of the topmost entry for `instance`.
    #[inline]
    pub(crate) fn find(&self, instance: u64) -> Option<usize> {
        self.locks().iter().rposition(|h| h.instance == instance)
    }

    /// Makes room for the first push (allocates the buffer), or grows it if
    /// the depth limit was raised since. Returns whether there is room now.
    #[cold]
    pub(crate) fn make_room(&mut self) -> bool {
        let depth = crate::config::max_depth();
        if self.life == Life::Off || self.len >= depth {
            return false;
        }
        // Grows geometrically up to the limit: an async task has a stack of
        // its own (`crate::task`), and a program may have many thousands.
        // (`max(8)` then `min(depth)`: the limit may be below 8.)
        let mut slots: Vec<HeldLock> = Vec::with_capacity((self.cap * 2).max(8).min(depth));
        slots.extend_from_slice(self.locks());
        let old = std::mem::replace(&mut self.buf, slots.as_mut_ptr());
        let old_cap = std::mem::replace(&mut self.cap, slots.capacity());
        std::mem::forget(slots);
        if !old.is_null() {
            // SAFETY: `old` came from a `Vec` of capacity `old_cap` that was
            // forgotten, as here; its entries are `Copy` and were copied.
            drop(unsafe { Vec::from_raw_parts(old, 0, old_cap) });
        }
        if self.life == Life::Fresh {
            self.life = Life::Live;
            ThreadState::register();
        }
        true
    }

    /// Stops tracking this thread: frees the buffer, forgets the entries.
    pub(crate) fn switch_off(&mut self) {
        self.life = Life::Off;
        self.clear();
        let (buf, cap) = (std::mem::replace(&mut self.buf, ptr::null_mut()), self.cap);
        self.cap = 0;
        if !buf.is_null() {
            // SAFETY: as in `make_room`: a forgotten `Vec` of capacity `cap`.
            drop(unsafe { Vec::from_raw_parts(buf, 0, cap) });
        }
    }
}

/// The hot per-thread state: the re-entry flag and the held stack.
pub(crate) struct Held {
    busy: Cell<bool>,
    stack: UnsafeCell<Stack>,
}

thread_local! {
    /// No destructor (see the module documentation): `ThreadState` frees the buffer.
    static HELD: Held = const {
        Held {
            busy: Cell::new(false),
            stack: UnsafeCell::new(Stack::new()),
        }
    };
}

/// Runs `f` on this thread's held stack unless the thread is inside the
/// checker (`busy`): then `None`, and the caller lets the event through
/// untracked. `f` must not call anything that can re-enter the checker
/// (allocate, print, run user code): use [`enter`] for that.
#[inline(always)]
pub(crate) fn with<R>(f: impl FnOnce(&mut Stack) -> R) -> Option<R> {
    HELD.with(|h| {
        if h.busy.get() {
            return None;
        }
        // SAFETY: the stack is borrowed only here and in `enter`, both of
        // which require `busy` clear; `f` cannot re-enter (documented
        // contract), and a re-entrant event under `enter` sees `busy` set and
        // never reaches the stack. The thread-local is never destroyed (no
        // destructor), so the pointer is valid for the whole call.
        Some(f(unsafe { &mut *h.stack.get() }))
    })
}

thread_local! {
    /// How many task stacks are swapped in on this thread (nested
    /// instrumented futures): while non-zero, `HELD.stack` is not the
    /// thread's own, so releases posted to the thread wait.
    static SWAPPED: Cell<u32> = const { Cell::new(0) };
}

/// Swaps this thread's held stack with `task` (an async task's, for the
/// length of one poll: `crate::task`); [`swap_out`] swaps them back. Returns
/// `false`, swapping nothing, inside the checker (a future polled by code the
/// checker runs is untracked).
pub(crate) fn swap_in(task: &mut Stack) -> bool {
    HELD.with(|h| {
        if h.busy.get() {
            return false;
        }
        // SAFETY: as in `with`: `busy` is clear, so no borrow of the stack
        // is live on this thread, and this one ends with the statement.
        std::mem::swap(unsafe { &mut *h.stack.get() }, task);
        SWAPPED.with(|n| n.set(n.get() + 1));
        true
    })
}

/// Undoes a successful [`swap_in`] (the task's stack goes back into `task`).
pub(crate) fn swap_out(task: &mut Stack) {
    HELD.with(|h| {
        // SAFETY: as in `swap_in`; `busy` is clear again (every `Inside`
        // taken during the poll was dropped, also when unwinding).
        std::mem::swap(unsafe { &mut *h.stack.get() }, task);
    });
    SWAPPED.with(|n| n.set(n.get().saturating_sub(1)));
}

/// Is the stack in [`HELD`] the thread's own (no task stack swapped in)?
#[inline]
#[cfg(any(feature = "send_guard", feature = "tokio"))]
pub(crate) fn own_stack_in() -> bool {
    SWAPPED.with(Cell::get) == 0
}

/// Marks this thread as inside the checker for the life of the returned
/// guard, giving access to the stack; `None` if it already is (re-entry).
#[inline]
pub(crate) fn enter() -> Option<Inside> {
    HELD.with(|h| {
        if h.busy.replace(true) {
            None
        } else {
            Some(Inside { _private: () })
        }
    })
}

/// Proof that this thread is inside the checker; clears the flag on drop
/// (also when unwinding).
pub(crate) struct Inside {
    _private: (),
}

impl Inside {
    /// The thread's held stack.
    #[allow(clippy::mut_from_ref)]
    pub(crate) fn stack(&self) -> &mut Stack {
        // SAFETY: `busy` is set for as long as `self` lives, so no other
        // borrow of the stack is taken on this thread (see `with`); callers
        // take one `&mut` at a time from their single `Inside`.
        HELD.with(|h| unsafe { &mut *h.stack.get() })
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        HELD.with(|h| h.busy.set(false));
    }
}

/// What a thread that exits holding locks is handed to: the events layer's
/// report, installed at start-up ([`at_exit`]).
static AT_EXIT: OnceLock<fn(ThreadInfo, Vec<HeldLock>)> = OnceLock::new();

/// Installs the thread-exit check's report (the first call wins).
pub(crate) fn at_exit(check: fn(ThreadInfo, Vec<HeldLock>)) {
    let _ = AT_EXIT.set(check);
}

/// Cold per-thread state with a destructor: the thread's identity, captured
/// on first use (it cannot be read during thread exit), and the thread-exit
/// check.
pub(crate) struct ThreadState {
    info: Option<ThreadInfo>,
}

thread_local! {
    static STATE: RefCell<ThreadState> = const { RefCell::new(ThreadState { info: None }) };
}

impl ThreadState {
    /// Registers the destructor (first access) and captures the identity.
    #[cold]
    fn register() {
        let _ = STATE.try_with(|s| {
            if let Ok(mut s) = s.try_borrow_mut() {
                s.info.get_or_insert_with(ThreadInfo::current);
            }
        });
    }
}

/// This thread's name and id (captured on first use), and the async task it
/// is running, if any (`crate::task`).
pub(crate) fn thread() -> ThreadInfo {
    let mut info = STATE
        .try_with(|s| match s.try_borrow_mut() {
            Ok(mut s) => s.info.get_or_insert_with(ThreadInfo::current).clone(),
            Err(_) => ThreadInfo::current(),
        })
        .unwrap_or_else(|_| ThreadInfo::current());
    info.task = crate::identity::current_task();
    info
}

impl Drop for ThreadState {
    /// Thread exit with locks still held (the kernel's
    /// `debug_check_no_locks_held` from `do_exit`); then the stack stops
    /// tracking for good (other thread-locals' destructors may still lock).
    fn drop(&mut self) {
        let Some(inside) = enter() else { return };
        let stack = inside.stack();
        let held = stack.locks().to_vec();
        let was_live = stack.life == Life::Live;
        stack.switch_off();
        drop(inside);
        // With `send_guard`, a guard this thread took may live on in another
        // thread: locks left here are not a bug, and the check is off.
        if cfg!(feature = "send_guard") {
            return;
        }
        if was_live && !held.is_empty() && crate::config::is_enabled() {
            let thread = self.info.take().unwrap_or_else(|| ThreadInfo {
                name: String::from("<exiting>"),
                id: thread_id(),
                task: None,
            });
            if let Some(check) = AT_EXIT.get() {
                check(thread, held);
            }
        }
    }
}

pub(crate) use crate::identity::thread_id;

/// A held lock as reports name it.
impl LockRef {
    pub(crate) fn of(h: &HeldLock) -> LockRef {
        LockRef {
            class: ClassRef::of(h.node),
            mode: h.mode,
            trylock: h.flags.is_trylike(),
            instance: h.instance,
            location: crate::trace::location(h.at),
        }
    }
}

/// Releases done on other threads (`send_guard`, and `tokio`, whose guards
/// are `Send`): a guard dropped on a
/// thread other than the one that took it posts `(owner, lock)` here, and the
/// owner removes the entry before its next lock event. The check costs one
/// atomic load while the mailbox is empty.
#[cfg(any(feature = "send_guard", feature = "tokio"))]
pub(crate) mod foreign {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use parking_lot::Mutex as RawMutex;

    /// `(owner thread id, lock instance)`; an internal lock, held briefly.
    static MAILBOX: RawMutex<Vec<(u64, u64)>> = RawMutex::new(Vec::new());
    /// Entries in `MAILBOX`.
    static PENDING: AtomicUsize = AtomicUsize::new(0);

    /// Posts the release of `instance` to thread `owner`.
    pub(crate) fn post(owner: u64, instance: u64) {
        let Some(_inside) = super::enter() else {
            return;
        };
        post_with(
            owner,
            instance,
            || MAILBOX.lock(),
            || {
                PENDING.fetch_add(1, Ordering::Release);
            },
        );
    }

    /// [`post`]'s protocol over any lock and counter (the loom model below
    /// runs it): the entry first, under the lock, then the count, so a
    /// thread that sees the count sees the entry.
    pub(super) fn post_with<G: std::ops::DerefMut<Target = Vec<(u64, u64)>>>(
        owner: u64,
        instance: u64,
        lock: impl FnOnce() -> G,
        bump: impl FnOnce(),
    ) {
        lock().push((owner, instance));
        bump();
    }

    /// [`take_mine`]'s protocol: under the lock, the entries of `me` leave
    /// the mailbox and the count drops by as many.
    pub(super) fn take_with<G: std::ops::DerefMut<Target = Vec<(u64, u64)>>>(
        me: u64,
        lock: impl FnOnce() -> G,
        drop_count: impl FnOnce(usize),
    ) -> Vec<u64> {
        let mut mine = Vec::new();
        let mut mailbox = lock();
        mailbox.retain(|&(owner, instance)| {
            let keep = owner != me;
            if !keep {
                mine.push(instance);
            }
            keep
        });
        drop_count(mine.len());
        mine
    }

    /// Are releases waiting for some thread?
    #[inline(always)]
    pub(crate) fn pending() -> bool {
        PENDING.load(Ordering::Acquire) != 0
    }

    /// Takes the releases posted to this thread.
    #[cold]
    #[inline(never)]
    pub(crate) fn take_mine() -> Vec<u64> {
        take_with(
            super::thread_id(),
            || MAILBOX.lock(),
            |n| {
                PENDING.fetch_sub(n, Ordering::Release);
            },
        )
    }
}

/// Loom model of the `send_guard` release mailbox (`RUSTFLAGS="--cfg loom"
/// cargo test --lib --features send_guard loom_`): a release posted by
/// another thread is applied by its owner exactly once, never lost, and the
/// count of pending releases returns to 0.
#[cfg(all(test, loom, feature = "send_guard"))]
mod loom_tests {
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::sync::{Arc, Mutex};

    use super::foreign::{post_with, take_with};

    #[test]
    fn loom_mailbox_release_applied_once() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let mailbox = Arc::new(Mutex::new(Vec::<(u64, u64)>::new()));
            let pending = Arc::new(AtomicUsize::new(0));
            const OWNER: u64 = 1;
            // Another thread drops two guards of the owner and one of thread 2.
            let poster = {
                let (mailbox, pending) = (mailbox.clone(), pending.clone());
                loom::thread::spawn(move || {
                    for (owner, instance) in [(OWNER, 7), (2, 8), (OWNER, 9)] {
                        post_with(
                            owner,
                            instance,
                            || mailbox.lock().unwrap(),
                            || {
                                pending.fetch_add(1, Ordering::Release);
                            },
                        );
                    }
                })
            };
            // The owner applies what it sees at its next lock event.
            let mut applied = Vec::new();
            if pending.load(Ordering::Acquire) != 0 {
                applied.extend(take_with(
                    OWNER,
                    || mailbox.lock().unwrap(),
                    |n| {
                        pending.fetch_sub(n, Ordering::Release);
                    },
                ));
            }
            poster.join().unwrap();
            // ... and the rest at a later one.
            applied.extend(take_with(
                OWNER,
                || mailbox.lock().unwrap(),
                |n| {
                    pending.fetch_sub(n, Ordering::Release);
                },
            ));
            applied.sort_unstable();
            assert_eq!(applied, [7, 9], "each release applied exactly once");
            assert_eq!(
                *mailbox.lock().unwrap(),
                [(2, 8)],
                "the other thread's stays"
            );
            assert_eq!(pending.load(Ordering::Acquire), 1);
        });
    }
}
