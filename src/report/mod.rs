//! Reports: the plain data the checker produces ([`Report`] and its parts),
//! the kernel-style splat ([`text`]), and [`reports()`], every report so far.
//!
//! The engine builds a [`Report`] under its lock with *raw* stack traces; the
//! dispatcher (the report store, a layer above this data) de-duplicates it
//! (each distinct problem is reported once, by kind and classes), symbolises
//! the traces, hands it to the sinks (stderr, `LOCKDEP_DUMP_DIR`, test
//! attribution) and applies the [`OnReport`](crate::config::OnReport)
//! policy, all after every internal lock has been released.

pub(crate) mod store;
pub mod text;

// The public paths `lockdep::report::{reports, count}` (a name only: nothing
// here uses the store, which is a layer above the data).
pub use store::{count, reports};

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::class;
use crate::config;
use crate::mode::Mode;
use crate::node::{self, Node};

pub use crate::dep::DepType;
pub use crate::identity::{ProcessInfo, TaskInfo, ThreadInfo};

/// What kind of problem a report is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReportKind {
    /// `possible circular locking dependency detected`: a new dependency
    /// closes a strong cycle in the class graph.
    CircularDependency,
    /// `possible recursive locking detected`: a class acquired while a lock of
    /// the same class is held, not exempted.
    RecursiveLocking,
    /// `bad unlock balance detected!`: release of a lock this thread does not hold.
    BadUnlockBalance,
    /// `held lock freed!`: a lock object dropped or re-initialised while held.
    HeldLockFreed,
    /// `Nested lock was not taken`: an acquisition names a nest lock the
    /// thread does not hold.
    NestLockNotHeld,
    /// `still has locks held!`: a thread exited holding locks.
    LocksHeldAtExit,
    /// A capacity limit was reached; the checker stops adding that kind of item.
    CapacityReached,
    /// `seqcount writer without its serializing lock`: a write section of a
    /// serialized [`SeqCount`](crate::SeqCount) begun without holding its lock for write.
    SeqcountWriterWithoutLock,
    /// `concurrent seqcount writers detected`: two threads inside write
    /// sections of one [`SeqCount`](crate::SeqCount) at once.
    ConcurrentSeqcountWriters,
    /// `blocking lock held across await`: an instrumented async task's poll
    /// returned `Pending` (the task awaits) while it holds a blocking (sync)
    /// lock (docs/async.md). Reported once per class and acquisition site.
    BlockingLockHeldAcrossAwait,
}

impl ReportKind {
    /// The title line, as the kernel prints it after `WARNING: `.
    pub fn title(self) -> &'static str {
        match self {
            ReportKind::CircularDependency => "possible circular locking dependency detected",
            ReportKind::RecursiveLocking => "possible recursive locking detected",
            ReportKind::BadUnlockBalance => "bad unlock balance detected!",
            ReportKind::HeldLockFreed => "held lock freed!",
            ReportKind::NestLockNotHeld => "Nested lock was not taken",
            ReportKind::LocksHeldAtExit => "still has locks held!",
            ReportKind::CapacityReached => "lockdep capacity reached",
            ReportKind::SeqcountWriterWithoutLock => "seqcount writer without its serializing lock",
            ReportKind::ConcurrentSeqcountWriters => "concurrent seqcount writers detected",
            ReportKind::BlockingLockHeldAcrossAwait => "blocking lock held across await",
        }
    }
}

/// The current time as RFC 3339 UTC with milliseconds (`2026-11-26T01:46:34.123Z`).
pub fn now() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}

/// A lock class as reports name it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassRef {
    /// Printed name: the class name, `#N` if several classes share it, `/n` for subclass n > 0.
    pub name: String,
    /// Stable key across processes: the name for named classes,
    /// `[type@|name@]path:line:col` for site classes (see `docs/report-format.md`).
    pub key: String,
    /// Subclass 0..=7.
    pub subclass: u8,
}

impl ClassRef {
    pub(crate) fn of(node: Node) -> ClassRef {
        let info = class::info(node::node_class(node));
        let subclass = node::node_subclass(node);
        let name = if subclass == 0 {
            info.name
        } else {
            format!("{}/{}", info.name, subclass)
        };
        ClassRef {
            name,
            key: info.key,
            subclass,
        }
    }
}

/// One held (or being acquired, or being released) lock in a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockRef {
    /// Its class.
    pub class: ClassRef,
    /// How it is (to be) held.
    pub mode: Mode,
    /// A successful trylock (or a serialized seqcount writer, which the checker treats like one).
    pub trylock: bool,
    /// The lock object's identity (printed where the kernel prints the address).
    pub instance: u64,
    /// Where it was acquired: `file:line:col`.
    pub location: String,
}

/// One entry `-> #k (class):` of a circular report's dependency chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainEntry {
    /// `k`: the chain is printed from `#N` (the held lock) down to `#0` (the new lock).
    pub index: usize,
    /// The class `C(k)`.
    pub class: ClassRef,
    /// Type of the edge `C(k-1) → C(k)` (for `#0`: of the new edge `held → new`).
    pub dep: DepType,
    /// Where `C(k)` was acquired when the edge was first recorded (for `#0`: now).
    pub location: String,
    /// The thread that first recorded the edge.
    pub thread: ThreadInfo,
    /// The process that recorded the edge (differs between entries only in
    /// the cross-process cycles `lockdep merge` finds).
    pub process: ProcessInfo,
    /// The stack saved with the edge (for `#0`: the current stack), symbolised.
    pub stack: Vec<String>,
}

/// One problem found by the checker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// What kind of problem.
    pub kind: ReportKind,
    /// The kind's title line, [`ReportKind::title`] (e.g. `possible circular
    /// locking dependency detected`). A dump without it reads as the kind's title.
    #[serde(default)]
    pub title: String,
    /// The thread that ran into it.
    pub thread: ThreadInfo,
    /// The process it happened in.
    pub process: ProcessInfo,
    /// When it was reported (RFC 3339, UTC).
    pub time: String,
    /// The `#[lockdep::test]` it is attributed to, if any (see `docs/ci.md`).
    pub test: Option<String>,
    /// The lock being acquired (or released, or freed).
    pub acquiring: Option<LockRef>,
    /// The held lock it conflicts with.
    pub holding: Option<LockRef>,
    /// For a cycle: the dependency chain in printed order (`#N` first, `#0` last).
    pub chain: Vec<ChainEntry>,
    /// Every lock the thread held at the time.
    pub held: Vec<LockRef>,
    /// Extra text: the nest lock's name, the capacity setting to raise, a hint.
    pub note: Option<String>,
    /// Found by `lockdep merge` in the union of several processes' graphs,
    /// not raised by any one process (absent from dumps: `false`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub found_by_merge: bool,
    /// Where the problem happened (the release site for a bad unlock).
    pub location: Option<String>,
    /// The stack of the thread at the time, symbolised, lockdep frames trimmed.
    pub stack: Vec<String>,
}

impl Report {
    pub(crate) fn new(kind: ReportKind, thread: ThreadInfo) -> Report {
        Report {
            kind,
            title: kind.title().to_owned(),
            thread,
            process: ProcessInfo::current(),
            time: String::new(),
            test: None,
            acquiring: None,
            holding: None,
            chain: Vec::new(),
            held: Vec::new(),
            note: None,
            found_by_merge: false,
            location: None,
            stack: Vec::new(),
        }
    }

    /// The class names of a cycle in printed order (`#N` first), e.g.
    /// `["fs_reclaim", "&vma->vm_sequence/1", "&vma->vm_sequence", "&mapping->i_mmap_rwsem"]`;
    /// for other kinds, the held lock then the acquired one, where present.
    pub fn classes(&self) -> Vec<&str> {
        if !self.chain.is_empty() {
            return self.chain.iter().map(|e| e.class.name.as_str()).collect();
        }
        self.holding
            .iter()
            .chain(self.acquiring.iter())
            .map(|l| l.class.name.as_str())
            .collect()
    }

    /// The kernel-style text splat.
    pub fn splat(&self) -> String {
        text::render(self)
    }

    /// What identifies "the same problem", in this process and across
    /// processes and builds: the kind and the stable keys (with subclass) of
    /// the classes involved, never line numbers of acquisitions or thread
    /// names. A cycle's classes are taken as a set (the same cycle entered at
    /// another class is the same problem); a capacity report adds which limit.
    /// Used to report each problem once and by `lockdep check --baseline`.
    ///
    /// Format: `kind:key/subclass,key/subclass...` (e.g.
    /// `circular_dependency:A/0,B/0`).
    pub fn fingerprint(&self) -> String {
        let refs: Vec<&ClassRef> = match self.kind {
            ReportKind::LocksHeldAtExit => self.held.iter().map(|l| &l.class).collect(),
            _ if !self.chain.is_empty() => self.chain.iter().map(|e| &e.class).collect(),
            _ => self
                .holding
                .iter()
                .chain(self.acquiring.iter())
                .map(|l| &l.class)
                .collect(),
        };
        let mut keys: Vec<String> = refs
            .iter()
            .map(|c| format!("{}/{}", c.key, c.subclass))
            .collect();
        if self.kind == ReportKind::CircularDependency {
            keys.sort_unstable();
            keys.dedup();
        }
        let kind = serde_json::to_value(self.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let mut out = format!("{kind}:{}", keys.join(","));
        if self.kind == ReportKind::CapacityReached
            && let Some(note) = &self.note
        {
            out.push('|');
            out.push_str(note.lines().next().unwrap_or(""));
        }
        // Once per (class, acquisition site): the site is part of the
        // problem (docs/async.md).
        if self.kind == ReportKind::BlockingLockHeldAcrossAwait
            && let Some(l) = &self.acquiring
        {
            out.push('@');
            out.push_str(&l.location);
        }
        out
    }
}

/// A report whose stacks are still raw frames (symbolised at dispatch).
pub(crate) struct Pending {
    pub(crate) report: Report,
    /// Raw traces for `report.chain`, index-aligned.
    pub(crate) traces: Vec<Option<Arc<crate::trace::Trace>>>,
}

impl From<Report> for Pending {
    fn from(report: Report) -> Self {
        Pending {
            report,
            traces: Vec::new(),
        }
    }
}

/// Which limit was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Capacity {
    Classes,
    Edges,
    Chains,
    Depth,
}

impl Capacity {
    fn message(self) -> String {
        let l = config::limits();
        let (what, var, n, then) = match self {
            Capacity::Classes => (
                "lock classes",
                "LOCKDEP_MAX_CLASSES",
                l.classes,
                "locks of new classes are no longer tracked",
            ),
            Capacity::Edges => (
                "dependency edges",
                "LOCKDEP_MAX_EDGES",
                l.edges,
                "new dependencies are no longer recorded",
            ),
            Capacity::Chains => (
                "cached lock chains",
                "LOCKDEP_MAX_CHAINS",
                l.chains,
                "new chains are validated every time but no longer cached",
            ),
            Capacity::Depth => (
                "locks held by one thread",
                "LOCKDEP_MAX_DEPTH",
                l.depth,
                "this thread is no longer checked",
            ),
        };
        format!(
            "BUG: {var} too low! (limit {n} {what})\n\
             {then}; raise the limit with {var}=<n> or lockdep::set_limits()."
        )
    }
}

pub(crate) fn capacity_report(which: Capacity, thread: ThreadInfo) -> Pending {
    let mut r = Report::new(ReportKind::CapacityReached, thread);
    r.note = Some(which.message());
    r.into()
}
