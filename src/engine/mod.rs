//! The engine's entry points: [`acquire`], [`release`], [`is_held`].
//!
//! # Fast path and slow path
//!
//! Every lock event goes through here. The fast path, an acquisition whose
//! chain of held classes was validated before, is:
//!
//! 1. one `Relaxed` load: is checking on? ([`config::is_enabled`]);
//! 2. the class index cached in the [`LockMap`] (one atomic load);
//! 3. the thread's held stack ([`held::with`]: a thread-local, no lock);
//! 4. fold the new entry into the chain key and look the key up in the chain
//!    cache ([`chain::contains`]: atomic loads, no lock);
//! 5. push the entry.
//!
//! No global lock, no allocation (the stack is reserved to its depth limit on
//! first use), no formatting. Only a chain never seen before goes to
//! [`validate::new_chain`], which takes the graph lock, runs the same-class
//! check, adds dependency edges, searches for strong cycles and builds
//! reports. Reports are dispatched (printed, panicked on) only after the graph
//! lock and the held stack have been released, and before the entry is pushed,
//! so a panicking policy leaves the held stack as it was.
//!
//! A trylock is never validated as the new lock (it cannot block), so it
//! always takes the fast path.

pub(crate) mod bfs;
pub(crate) mod chain;
pub(crate) mod graph;
pub(crate) mod held;
mod validate;

use std::panic::Location;

use crate::class::{self, MAX_SUBCLASSES};
use crate::config;
use crate::map::{LockMap, Mode};
use crate::report::{self, LockRef, Pending, Report, ReportKind};
use held::HeldLock;

/// Per-acquisition flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Flags(u8);

impl Flags {
    pub(crate) const NONE: Flags = Flags(0);
    /// A successful trylock: no validation, no edges into it.
    pub(crate) const TRYLOCK: Flags = Flags(1);
    /// A serialized seqcount writer: treated exactly like a held trylock.
    pub(crate) const SERIALIZED: Flags = Flags(2);

    #[inline]
    pub(crate) fn bits(self) -> u8 {
        self.0
    }

    /// Trylocks and serialized writers: not validated as the new lock, and
    /// the edge walk goes past them when they are held.
    #[inline]
    pub(crate) fn is_trylike(self) -> bool {
        self.0 & (Flags::TRYLOCK.0 | Flags::SERIALIZED.0) != 0
    }
}

enum Outcome {
    Pushed,
    Untracked,
    Reports(Vec<Pending>),
}

/// Records an acquisition of `map` (validating it first unless it is a
/// trylock). Returns whether it was pushed on this thread's held stack.
#[inline]
pub(crate) fn acquire(
    map: &LockMap,
    mode: Mode,
    subclass: u8,
    flags: Flags,
    nest: Option<&LockMap>,
    at: &'static Location<'static>,
) -> bool {
    if !config::is_enabled() {
        return false;
    }
    let Some(class) = map.class() else {
        return false;
    };
    let subclass = if subclass < MAX_SUBCLASSES {
        subclass
    } else {
        bad_subclass(subclass)
    };
    let mut entry = HeldLock {
        node: class::node(class, subclass),
        instance: map.instance(),
        mode,
        flags,
        nest: nest.map_or(0, LockMap::instance),
        at,
        prev_key: 0,
    };
    let outcome = held::with(|h| {
        if h.off {
            return Outcome::Untracked;
        }
        if h.locks.len() >= config::max_depth() {
            return depth_overflow(h);
        }
        entry.prev_key = h.key;
        let key = held::mix(h.key, entry.chain_id());
        let validated = flags.is_trylike() || (entry.nest == 0 && chain::contains(key));
        if !validated {
            let reports = validate::new_chain(h, &entry, nest, key);
            if !reports.is_empty() {
                return Outcome::Reports(reports);
            }
        }
        h.push(entry, key);
        Outcome::Pushed
    });
    match outcome {
        Some(Outcome::Pushed) => true,
        None | Some(Outcome::Untracked) => false,
        Some(Outcome::Reports(reports)) => {
            // May panic (LOCKDEP_ON_REPORT=panic): nothing is pushed yet.
            report::dispatch(reports);
            held::with(|h| {
                if h.off {
                    return false;
                }
                entry.prev_key = h.key;
                let key = held::mix(h.key, entry.chain_id());
                h.push(entry, key);
                true
            })
            .unwrap_or(false)
        }
    }
}

/// Records a release of `map` by this thread: removes its topmost entry from
/// the held stack, or reports a bad unlock balance if it is not there.
#[inline]
pub(crate) fn release(map: &LockMap, at: &'static Location<'static>) {
    let instance = map.instance_if_used();
    let found = held::with(|h| {
        if h.off {
            return true;
        }
        match h.find(instance).filter(|_| instance != 0) {
            Some(i) => {
                h.remove(i);
                true
            }
            None => false,
        }
    });
    if found == Some(false) && config::is_enabled() {
        bad_unlock(map, at);
    }
}

/// Does this thread hold `map`?
pub(crate) fn is_held(map: &LockMap) -> bool {
    let instance = map.instance_if_used();
    instance != 0 && held::with(|h| h.find(instance).is_some()).unwrap_or(false)
}

/// `map` is going away (dropped or re-initialised): if this thread still
/// holds it, report *held lock freed* and drop its entries.
pub(crate) fn forget_instance(map: &LockMap) {
    let instance = map.instance_if_used();
    let pending = held::with(|h| {
        let i = h.find(instance)?;
        let mut r = Report::new(ReportKind::HeldLockFreed, h.thread());
        r.acquiring = Some(LockRef::of(&h.locks[i]));
        r.held = h.locks.iter().map(LockRef::of).collect();
        while let Some(i) = h.find(instance) {
            h.remove(i);
        }
        Some(Pending::from(r))
    });
    if let Some(Some(p)) = pending
        && config::is_enabled()
    {
        report::dispatch(vec![p]);
    }
}

#[cold]
#[inline(never)]
fn bad_unlock(map: &LockMap, at: &'static Location<'static>) {
    misuse(ReportKind::BadUnlockBalance, map, Mode::Exclusive, at, None);
}

/// Reports a misuse of `map` at `at` (no graph work): the report names the
/// map's class as the lock acted on, plus this thread's held locks.
#[cold]
#[inline(never)]
pub(crate) fn misuse(
    kind: ReportKind,
    map: &LockMap,
    mode: Mode,
    at: &'static Location<'static>,
    note: Option<String>,
) {
    let Some(class) = map.class() else { return };
    let Some(mut r) = held::with(|h| {
        let mut r = Report::new(kind, h.thread());
        r.held = h.locks.iter().map(LockRef::of).collect();
        r
    }) else {
        return;
    };
    let entry = HeldLock {
        node: class::node(class, 0),
        instance: map.instance(),
        mode,
        flags: Flags::NONE,
        nest: 0,
        at,
        prev_key: 0,
    };
    r.acquiring = Some(LockRef::of(&entry));
    r.location = Some(crate::trace::location(at));
    r.note = note;
    report::dispatch(vec![r.into()]);
}

/// Does this thread hold, exclusively, a lock matching `pred` (given its
/// instance and class)?
pub(crate) fn holds_exclusive(pred: impl Fn(u64, u32) -> bool) -> bool {
    held::with(|h| {
        h.locks
            .iter()
            .any(|l| l.mode == Mode::Exclusive && pred(l.instance, class::node_class(l.node)))
    })
    .unwrap_or(true)
}

/// The depth limit was reached: this thread stops being checked.
#[cold]
#[inline(never)]
fn depth_overflow(h: &mut held::HeldStack) -> Outcome {
    h.off = true;
    h.locks.clear();
    Outcome::Reports(vec![report::capacity_report(
        report::Capacity::Depth,
        h.thread(),
    )])
}

#[cold]
#[inline(never)]
fn bad_subclass(subclass: u8) -> u8 {
    eprintln!(
        "lockdep: subclass {subclass} is out of range (0..={}); using {}",
        MAX_SUBCLASSES - 1,
        MAX_SUBCLASSES - 1
    );
    MAX_SUBCLASSES - 1
}

/// Forgets the graph, the chain cache and all reports (classes and the
/// threads' held stacks stay). For test harnesses that run independent cases
/// in one process; call it while no other thread is using locks.
pub fn reset() {
    let mut g = graph::GRAPH.lock();
    g.clear();
    chain::clear();
    drop(g);
    report::clear();
}

/// What a guard keeps to release its acquisition: whether it was recorded
/// and, with the `send_guard` feature, the thread whose held stack has it.
/// Without the feature it is one `bool`, and releasing costs what it did.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Recorded {
    yes: bool,
    #[cfg(feature = "send_guard")]
    owner: u64,
}

impl Recorded {
    /// Not recorded (checking off, or already released).
    pub(crate) const NO: Recorded = Recorded {
        yes: false,
        #[cfg(feature = "send_guard")]
        owner: 0,
    };

    /// The result of an acquisition by the calling thread.
    #[inline]
    pub(crate) fn new(yes: bool) -> Recorded {
        Recorded {
            yes,
            #[cfg(feature = "send_guard")]
            owner: if yes { held::thread_token() } else { 0 },
        }
    }

    /// Is the calling thread the one whose held stack has the entry? (Always,
    /// without `send_guard`: a guard cannot leave its thread.)
    #[inline]
    fn on_owner(self) -> bool {
        #[cfg(feature = "send_guard")]
        {
            self.owner == held::thread_token()
        }
        #[cfg(not(feature = "send_guard"))]
        {
            true
        }
    }

    /// Releases the acquisition, if recorded, and marks it released. On a
    /// thread other than the owner (`send_guard`), the release is posted to
    /// the owner, which applies it before its next lock event (the kernel's
    /// non-owner release).
    #[track_caller]
    #[inline]
    pub(crate) fn release(&mut self, map: &LockMap) {
        if !self.yes {
            return;
        }
        if self.on_owner() {
            release(map, Location::caller());
        } else {
            #[cfg(feature = "send_guard")]
            held::foreign::post(self.owner, map.instance_if_used());
        }
        *self = Recorded::NO;
    }

    /// Changes the entry's mode (a downgrade), on the owner's stack; a guard
    /// that moved to another thread is no longer tracked there.
    pub(crate) fn change_mode(self, map: &LockMap, mode: Mode) {
        if self.yes && self.on_owner() {
            change_mode(map, mode);
        }
    }
}

/// Changes the mode of this thread's topmost entry for `map` in place (a
/// write downgraded to a read). Not validated: a downgrade cannot block.
fn change_mode(map: &LockMap, mode: Mode) {
    let instance = map.instance_if_used();
    held::with(|h| {
        if let Some(i) = h.find(instance) {
            h.locks[i].mode = mode;
            h.refold(i);
        }
    });
}
