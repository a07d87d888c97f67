//! The engine's entry points: [`acquire`], [`release`], [`is_held`].
//!
//! # Fast path and slow path
//!
//! Every lock event goes through here. The fast path — an acquisition whose
//! chain of held classes was validated before, or the release of the newest
//! held lock — is inlined into the lock wrapper and is:
//!
//! 1. one `Relaxed` load: is checking on? ([`config::is_enabled`]);
//! 2. the class index and instance id cached in the [`LockMap`] (two loads);
//! 3. the thread's held stack ([`held::with`]: a thread-local, no lock, no
//!    destructor check);
//! 4. fold the new entry into the chain key and look the key up in the chain
//!    cache ([`chain::contains`]: usually one `Acquire` load, no lock);
//! 5. write the entry into its slot.
//!
//! A release of the newest entry is a compare and a pop that restores the
//! chain key saved in the entry. Everything else — a class or a thread seen
//! for the first time, a chain never validated, a nest lock, an out-of-order
//! release, a misuse — is `#[cold]` and runs inside the checker
//! ([`held::enter`]), where a lock event on the same thread is passed
//! straight to the raw lock. Only a chain never seen before goes to
//! [`validate::new_chain`], which takes the graph lock, runs the same-class
//! check, adds dependency edges, searches for strong cycles and builds
//! reports. Reports are dispatched (printed, panicked on) only after the graph
//! lock has been released, and before the entry is pushed, so a panicking
//! policy leaves the held stack as it was.
//!
//! A trylock is never validated as the new lock (it cannot block), so it
//! always takes the fast path once its class is known.

pub(crate) mod bfs;
pub(crate) mod chain;
pub(crate) mod graph;
pub(crate) mod held;
pub(crate) mod topo;
mod validate;

use std::panic::Location;

use crate::config;
use crate::map::LockMap;
use crate::mode::Mode;
use crate::node::{self, MAX_SUBCLASSES};
use crate::report::store;
use crate::report::{self, LockRef, Pending, Report, ReportKind};
pub(crate) use held::Flags;
use held::{HeldLock, Stack};

/// Are releases from other threads waiting to be applied (`send_guard`)?
#[inline(always)]
fn foreign_pending() -> bool {
    #[cfg(any(feature = "send_guard", feature = "tokio"))]
    {
        held::foreign::pending()
    }
    #[cfg(not(any(feature = "send_guard", feature = "tokio")))]
    {
        false
    }
}

/// Records an acquisition of `map` (validating it first unless it is a
/// trylock). Returns whether it was pushed on this thread's held stack.
#[inline(always)]
pub(crate) fn acquire(
    map: &LockMap,
    mode: Mode,
    subclass: u8,
    flags: Flags,
    nest: Option<&LockMap>,
    at: &'static Location<'static>,
) -> bool {
    if !config::is_enabled() {
        return checking_off();
    }
    let Some(class) = map.class_if_resolved() else {
        return acquire_slow(map, mode, subclass, flags, nest, at);
    };
    if subclass >= MAX_SUBCLASSES || nest.is_some() {
        return acquire_slow(map, mode, subclass, flags, nest, at);
    }
    let node = node::node(class, subclass);
    let instance = map.instance();
    let pushed = held::with(|s| {
        if !s.has_room() || foreign_pending() {
            return false;
        }
        let key = held::mix(s.key, held::chain_id(node, mode, flags));
        if !flags.is_trylike() && !chain::contains(key) {
            return false;
        }
        let entry = HeldLock {
            node,
            mode,
            flags,
            instance,
            nest: 0,
            nest_node: 0,
            at,
            prev_key: s.key,
        };
        s.push(entry, key);
        true
    });
    match pushed {
        Some(true) => true,
        Some(false) => acquire_slow(map, mode, subclass, flags, nest, at),
        None => false, // inside the checker: untracked
    }
}

/// [`acquire`] with checking off: nothing recorded, but the process has
/// started (an exit-time dump is still written).
#[cold]
#[inline(never)]
fn checking_off() -> bool {
    start();
    false
}

/// Everything [`acquire`]'s fast path does not handle: class registration,
/// a thread's first lock, a chain not validated yet, nest locks, subclasses
/// out of range, the depth limit, releases posted by other threads.
#[cold]
#[inline(never)]
fn acquire_slow(
    map: &LockMap,
    mode: Mode,
    subclass: u8,
    flags: Flags,
    nest: Option<&LockMap>,
    at: &'static Location<'static>,
) -> bool {
    start();
    let Some(inside) = held::enter() else {
        return false;
    };
    let Some(class) = map.class() else {
        drop(inside);
        capacity(report::Capacity::Classes);
        return false;
    };
    let subclass = if subclass < MAX_SUBCLASSES {
        subclass
    } else {
        bad_subclass(subclass)
    };
    let stack = inside.stack();
    apply_foreign_releases(stack);
    if !stack.has_room() && !stack.make_room() {
        if stack.life == held::Life::Off {
            return false;
        }
        stack.switch_off();
        drop(inside);
        capacity(report::Capacity::Depth);
        return false;
    }
    let entry = HeldLock {
        node: node::node(class, subclass),
        mode,
        flags,
        instance: map.instance(),
        nest: nest.map_or(0, LockMap::instance),
        nest_node: nest
            .and_then(LockMap::class)
            .map_or(0, |c| node::node(c, 0)),
        at,
        prev_key: 0,
    };
    let reports = check_and_push(stack, entry);
    drop(inside);
    if reports.is_empty() {
        return true;
    }
    // May panic (LOCKDEP_ON_REPORT=panic): then the entry must not stay
    // pushed, and the real lock is not taken.
    let popped = held::with(|s| {
        let top_is_it = s.top().is_some_and(|t| t.instance == entry.instance);
        if top_is_it {
            s.pop();
        }
        top_is_it
    });
    dispatch(reports);
    if popped != Some(true) {
        return true;
    }
    held::with(|s| {
        if !s.has_room() {
            return false;
        }
        s.push_on_top(entry);
        true
    })
    .unwrap_or(false)
}

/// Validates `entry` against `stack` unless its chain is cached (or it is a
/// trylock), then pushes it (its nest lock cleared if it was not held).
/// Returns the reports raised; runs inside the checker.
fn check_and_push(stack: &mut Stack, mut entry: HeldLock) -> Vec<Pending> {
    entry.prev_key = stack.key;
    let key = held::mix(stack.key, entry.chain_id());
    let cached = entry.flags.is_trylike() || (entry.nest == 0 && chain::contains(key));
    let mut reports = Vec::new();
    if !cached {
        let me = validate::Me::current();
        let (r, nest_held) = validate::new_chain(stack, &entry, key, &me);
        reports = r;
        if !nest_held {
            entry.nest = 0;
        }
        if reports
            .iter()
            .any(|p| p.report.kind == ReportKind::CapacityReached)
        {
            config::set_enabled(false);
        }
    }
    stack.push(entry, key);
    reports
}

/// Records a release of `map` by this thread: pops its entry, or reports a
/// bad unlock balance if it is not held.
#[inline(always)]
pub(crate) fn release(map: &LockMap, at: &'static Location<'static>) {
    let instance = map.instance_if_used();
    let popped = held::with(|s| match s.top() {
        Some(top) if top.instance == instance && !foreign_pending() => {
            s.pop();
            true
        }
        _ => false,
    });
    if popped == Some(false) {
        release_slow(map, at);
    }
}

/// A release that is not of the newest entry: out of order (the entries
/// above are re-acquired, as the kernel's `reacquire_held_locks` does), or of
/// a lock not held (*bad unlock balance*).
#[cold]
#[inline(never)]
fn release_slow(map: &LockMap, at: &'static Location<'static>) {
    let instance = map.instance_if_used();
    if instance != 0
        && !foreign_pending()
        && held::with(|s| s.find(instance).is_some_and(|i| s.remove_cached(i))) == Some(true)
    {
        return; // out of order, but everything above re-acquired from the cache
    }
    let Some(inside) = held::enter() else { return };
    let stack = inside.stack();
    apply_foreign_releases(stack);
    if stack.life == held::Life::Off {
        return;
    }
    let found = (instance != 0).then(|| stack.find(instance)).flatten();
    let reports = match found {
        Some(i) => reacquire_above(stack, i, None),
        None => Vec::new(),
    };
    drop(inside);
    if found.is_none() {
        if config::is_enabled() {
            bad_unlock(map, at);
        }
    } else {
        dispatch(reports);
    }
}

/// Removes entry `i` (or, with `new_mode`, changes its mode) and re-acquires
/// every entry above it through the full acquisition logic: new chain keys,
/// the chain cache, and on a miss the same-class, nest-lock and cycle checks
/// with new edges (the kernel's `__lock_release` / `__lock_downgrade` →
/// `reacquire_held_locks`).
fn reacquire_above(stack: &mut Stack, i: usize, new_mode: Option<Mode>) -> Vec<Pending> {
    let mut above = stack.truncate(i);
    match new_mode {
        Some(mode) => above[0].mode = mode,
        None => {
            above.remove(0);
        }
    }
    let mut reports = Vec::new();
    for entry in above {
        reports.extend(check_and_push(stack, entry));
    }
    reports
}

/// Removes this thread's (or the polled task's) topmost entry for `map`
/// quietly, as if it had never been pushed: no report, the entries above
/// refolded, not re-validated (an acquisition that did not happen after all:
/// an async lock whose waiting future was dropped, a release posted to an
/// async task, `crate::task`).
pub(crate) fn forget_acquisition(instance: u64) {
    let Some(inside) = held::enter() else { return };
    let stack = inside.stack();
    if let Some(i) = stack.find(instance) {
        remove_quietly(stack, i);
    }
}

/// Removes entry `i` without re-validating the entries above (their keys are
/// refolded): for locks that vanish rather than being released.
fn remove_quietly(stack: &mut Stack, i: usize) {
    let above = stack.truncate(i);
    for entry in &above[1..] {
        stack.push_on_top(*entry);
    }
}

/// Applies releases other threads posted for this one (`send_guard`,
/// `tokio`); they wait while an async task's stack is swapped in.
#[inline]
fn apply_foreign_releases(_stack: &mut Stack) {
    #[cfg(any(feature = "send_guard", feature = "tokio"))]
    if held::foreign::pending() && held::own_stack_in() {
        for instance in held::foreign::take_mine() {
            if let Some(i) = _stack.find(instance) {
                remove_quietly(_stack, i);
            }
        }
    }
}

/// Applies releases posted by other threads (`send_guard`) before a query
/// of the held stack.
fn settle_foreign_releases() {
    if foreign_pending()
        && let Some(inside) = held::enter()
    {
        apply_foreign_releases(inside.stack());
    }
}

/// Does this thread hold `map`?
pub(crate) fn is_held(map: &LockMap) -> bool {
    let instance = map.instance_if_used();
    if instance == 0 {
        return false;
    }
    settle_foreign_releases();
    held::with(|s| s.find(instance).is_some()).unwrap_or(false)
}

/// `map` is going away (dropped or re-initialised): if this thread still
/// holds it, report *held lock freed* and drop its entries.
pub(crate) fn forget_instance(map: &LockMap) {
    let instance = map.instance_if_used();
    let Some(inside) = held::enter() else { return };
    let stack = inside.stack();
    apply_foreign_releases(stack);
    let Some(i) = stack.find(instance) else {
        return;
    };
    let mut r = Report::new(ReportKind::HeldLockFreed, held::thread());
    r.acquiring = Some(LockRef::of(&stack.locks()[i]));
    r.held = stack.locks().iter().map(LockRef::of).collect();
    while let Some(i) = stack.find(instance) {
        remove_quietly(stack, i);
    }
    drop(inside);
    if config::is_enabled() {
        dispatch(vec![Pending::from(r)]);
    }
}

/// Forgets this thread's held locks without releasing them: no report, no
/// re-acquisition (for the scenario runner, whose lines may end holding
/// locks that are not a finding).
pub fn forget_held() {
    if let Some(inside) = held::enter() {
        inside.stack().clear();
    }
}

/// Dispatches reports (never with the stack borrowed).
pub(crate) fn dispatch(reports: Vec<Pending>) {
    if !reports.is_empty() {
        start();
        store::dispatch(reports);
    }
}

/// Start-up, once per process, on its first lock event (any of the entry
/// points' cold paths, with checking on or off): installs the report sinks
/// (test attribution, the `LOCKDEP_DUMP_DIR` writer, the stderr splat
/// writer, in that order), registers the exit-time dump, and hands the
/// thread-exit check its report.
#[cold]
#[inline(never)]
fn start() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        static SINKS: [&dyn store::Sink; 3] = [
            &crate::testing::Attribution,
            &crate::dump::AutoDump,
            &store::Stderr,
        ];
        store::install(&SINKS);
        held::at_exit(locks_held_at_exit);
        // Compiled out, nothing is ever recorded: no exit-time dump either.
        if !cfg!(any(lockdep_off, feature = "off")) {
            crate::dump::init();
        }
    });
}

/// A thread exited holding `held` (the held stack's thread-exit check).
pub(crate) fn locks_held_at_exit(thread: report::ThreadInfo, held: Vec<HeldLock>) {
    let mut r = Report::new(ReportKind::LocksHeldAtExit, thread);
    r.held = held.iter().map(LockRef::of).collect();
    dispatch(vec![r.into()]);
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
    let Some(inside) = held::enter() else { return };
    let Some(class) = map.class() else {
        drop(inside);
        capacity(report::Capacity::Classes);
        return;
    };
    let mut r = Report::new(kind, held::thread());
    r.held = inside.stack().locks().iter().map(LockRef::of).collect();
    let entry = HeldLock {
        node: node::node(class, 0),
        mode,
        flags: Flags::NONE,
        instance: map.instance(),
        nest: 0,
        nest_node: 0,
        at,
        prev_key: 0,
    };
    r.acquiring = Some(LockRef::of(&entry));
    r.location = Some(crate::trace::location(at));
    r.note = note;
    drop(inside);
    dispatch(vec![r.into()]);
}

/// Does this thread hold, exclusively, a lock matching `pred` (given its
/// instance and class)?
pub(crate) fn holds_exclusive(pred: impl Fn(u64, u32) -> bool) -> bool {
    settle_foreign_releases();
    held::with(|s| {
        s.locks()
            .iter()
            .any(|l| l.mode == Mode::Exclusive && pred(l.instance, node::node_class(l.node)))
    })
    .unwrap_or(true)
}

/// A limit was reached: one report naming the setting, then checking is
/// switched off for the whole process (as the kernel's `debug_locks_off`),
/// so the program runs on at full speed instead of validating under the
/// graph lock for ever.
#[cold]
#[inline(never)]
pub(crate) fn capacity(which: report::Capacity) {
    let report = report::capacity_report(which, held::thread());
    config::set_enabled(false);
    dispatch(vec![report]);
}

#[cold]
#[inline(never)]
fn bad_subclass(subclass: u8) -> u8 {
    config::stderr(format_args!(
        "lockdep: subclass {subclass} is out of range (0..={}); using {}\n",
        MAX_SUBCLASSES - 1,
        MAX_SUBCLASSES - 1
    ));
    MAX_SUBCLASSES - 1
}

/// Forgets the graph, the chain cache and all reports (classes and the
/// threads' held stacks stay). For test harnesses that run independent cases
/// in one process; call it while no other thread is using locks.
pub fn reset() {
    let Some(_inside) = held::enter() else { return };
    let mut g = graph::GRAPH.lock();
    g.clear();
    chain::clear();
    drop(g);
    store::clear();
}

/// Sizes of the checker's tables (the kernel's `/proc/lockdep_stats`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Dependency edges in the graph.
    pub edges: usize,
    /// Distinct places (both acquisition sites and the thread) where edges
    /// were first recorded; one stack is kept per origin.
    pub origins: usize,
    /// Cached (validated) lock chains.
    pub chains: usize,
    /// Bytes held by the graph, its index, origins and topological order.
    pub graph_bytes: usize,
    /// Bytes held by the chain cache's tables (live and retired).
    pub chain_bytes: usize,
}

/// The sizes of the checker's tables now. Takes the graph lock briefly.
pub fn stats() -> Stats {
    let Some(_inside) = held::enter() else {
        return Stats::default();
    };
    let g = graph::GRAPH.lock();
    Stats {
        edges: g.edge_count(),
        origins: g.origins.len(),
        chains: chain::len(),
        graph_bytes: g.bytes(),
        chain_bytes: chain::bytes(),
    }
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
    #[inline(always)]
    pub(crate) fn new(yes: bool) -> Recorded {
        Recorded {
            yes,
            #[cfg(feature = "send_guard")]
            owner: if yes { held::thread_id() } else { 0 },
        }
    }

    /// Is the calling thread the one whose held stack has the entry? (Always,
    /// without `send_guard`: a guard cannot leave its thread.)
    #[inline(always)]
    fn on_owner(self) -> bool {
        #[cfg(feature = "send_guard")]
        {
            self.owner == held::thread_id()
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
    #[inline(always)]
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

/// Changes the mode of this thread's topmost entry for `map` (a write
/// downgraded to a read): like the kernel's `lock_downgrade`, the entry and
/// every entry above it are re-acquired (a downgrade cannot block; the
/// re-acquisition only keeps the chain keys and edges what they would be had
/// the lock been taken in the new mode).
fn change_mode(map: &LockMap, mode: Mode) {
    let instance = map.instance_if_used();
    let Some(inside) = held::enter() else { return };
    let stack = inside.stack();
    let reports = match stack.find(instance) {
        Some(i) => reacquire_above(stack, i, Some(mode)),
        None => Vec::new(),
    };
    drop(inside);
    dispatch(reports);
}
