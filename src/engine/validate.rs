//! The slow path: validating a chain not seen before (the kernel's
//! `validate_chain`, `check_deadlock`, `check_prevs_add`, `check_prev_add`).
//!
//! Runs inside the checker, under the graph lock, and only builds plain-data
//! reports; the caller dispatches them after releasing everything.

use std::sync::Arc;

use petgraph::graph::EdgeIndex;

use super::bfs;
use super::chain;
use super::graph::{DepMask, Edge, GRAPH, Graph};
use super::held::{HeldLock, Stack};
use super::topo::Verdict;
use crate::config;
use crate::map::Mode;
use crate::report::{self, ChainEntry, ClassRef, LockRef, Pending, Report, ReportKind, ThreadInfo};
use crate::trace;

/// Validates `next` against the held stack `h` (which does not contain it
/// yet), records its dependencies and caches the chain `key` (unless `next`
/// names a nest lock: such acquisitions depend on which object is held, which
/// the key does not capture, so they are validated every time). Returns the
/// reports and whether `next`'s nest lock (if any) is held.
pub(super) fn new_chain(h: &Stack, next: &HeldLock, key: u64, thread: &Me) -> (Vec<Pending>, bool) {
    let mut out = Vec::new();
    let mut nest = next.nest;
    let nest_held = nest == 0 || h.find(nest).is_some();
    if !nest_held {
        out.push(nest_lock_not_held(h, next, thread));
        nest = 0;
    }

    let mut g = GRAPH.lock();
    let exempt = match check_deadlock(h, next, nest) {
        Deadlock::None => false,
        Deadlock::NestExempt => true,
        Deadlock::Recursive(prev) => {
            out.push(recursive(h, prev, next, thread));
            false
        }
    };
    if !exempt {
        let mut origin = None;
        for prev in h.locks().iter().rev() {
            if prev.node != next.node {
                check_prev_add(&mut g, h, prev, next, thread, &mut origin, &mut out);
            }
            if prev.stops_walk() {
                break;
            }
        }
    }
    if next.nest == 0 && chain::insert(key).is_err() {
        out.push(report::capacity_report(
            report::Capacity::Chains,
            thread.info().clone(),
        ));
    }
    (out, nest_held)
}

/// The acquiring thread: its id now, its name (an allocation) only if an
/// origin or a report needs it.
pub(super) struct Me {
    id: u64,
    info: std::cell::OnceCell<ThreadInfo>,
}

impl Me {
    pub(super) fn current() -> Me {
        Me {
            id: super::held::thread_id(),
            info: std::cell::OnceCell::new(),
        }
    }

    fn info(&self) -> &ThreadInfo {
        self.info.get_or_init(super::held::thread)
    }
}

enum Deadlock<'a> {
    None,
    NestExempt,
    Recursive(&'a HeldLock),
}

/// The same-class check, scanning the held stack bottom-up: a lock of the
/// same class (and subclass) is fine only if `next` is a recursive read and
/// the held one any read, or if `next`'s nest lock was seen held *below* it.
fn check_deadlock<'a>(h: &'a Stack, next: &HeldLock, nest: u64) -> Deadlock<'a> {
    let mut nest_seen = false;
    for prev in h.locks() {
        nest_seen |= nest != 0 && prev.instance == nest;
        if prev.node != next.node {
            continue;
        }
        if next.mode == Mode::RecursiveRead && prev.mode.is_read() {
            continue;
        }
        return if nest_seen {
            Deadlock::NestExempt
        } else {
            Deadlock::Recursive(prev)
        };
    }
    Deadlock::None
}

/// Adds the dependency `prev → next`, first checking that it does not close
/// a strong cycle `next → … → prev`. The incremental topological order
/// settles most new edges in O(1); the exact search runs only when a path
/// back may exist, inside the component that would hold it.
fn check_prev_add(
    g: &mut Graph,
    h: &Stack,
    prev: &HeldLock,
    next: &HeldLock,
    thread: &Me,
    origin: &mut Option<u32>,
    out: &mut Vec<Pending>,
) {
    let dep = DepMask::of(prev.mode, next.mode);
    let existing = g.find(prev.node, next.node);
    if let Some(e) = existing
        && g.g[e].dep.0 & dep.0 != 0
    {
        g.g[e].count = g.g[e].count.saturating_add(1);
        return;
    }
    if existing.is_none() && g.edge_count() >= config::limits().edges {
        out.push(report::capacity_report(
            report::Capacity::Edges,
            thread.info().clone(),
        ));
        return;
    }
    g.ensure(prev.node.max(next.node));
    let verdict = if existing.is_some() {
        // The plain edge is already ordered: only its component matters.
        match g.topo.same(prev.node, next.node) {
            true => Verdict::Within(prev.node),
            false => Verdict::Acyclic,
        }
    } else {
        g.topo.add_edge(prev.node, next.node)
    };
    if let Verdict::Within(root) = verdict {
        let mut members = g.topo.component(root);
        members.sort_unstable();
        if let Some(path) = bfs::strong_path_within(
            &g.g,
            next.node,
            next.mode == Mode::RecursiveRead,
            prev.node,
            prev.mode.is_read(),
            |n| members.binary_search(&n).is_ok(),
        ) {
            out.push(circular(g, h, prev, next, &path, thread));
        }
    }
    if let Some(e) = existing {
        g.g[e].dep.0 |= dep.0;
        g.g[e].count = g.g[e].count.saturating_add(1);
        return;
    }
    let origin = *origin.get_or_insert_with(|| {
        g.origin_of(
            next.at,
            prev.at,
            thread.id,
            || thread.info().clone(),
            trace::capture,
        )
    });
    g.add(
        prev.node,
        next.node,
        Edge {
            dep,
            count: 1,
            origin,
        },
    );
}

fn held_refs(h: &Stack) -> Vec<LockRef> {
    h.locks().iter().map(LockRef::of).collect()
}

fn circular(
    g: &Graph,
    h: &Stack,
    prev: &HeldLock,
    next: &HeldLock,
    path: &[EdgeIndex<u32>],
    thread: &Me,
) -> Pending {
    let mut r = Report::new(ReportKind::CircularDependency, thread.info().clone());
    r.acquiring = Some(LockRef::of(next));
    r.holding = Some(LockRef::of(prev));
    r.held = held_refs(h);
    let mut traces: Vec<Option<Arc<trace::Trace>>> = Vec::with_capacity(path.len() + 1);
    // Path edges e1..eN run C0 = next → C1 → … → CN = prev; entry #k shows
    // Ck with the trace of e_k. Printed from #N down to #0.
    for (k, &e) in path.iter().enumerate().rev() {
        let (_, target) = g.g.edge_endpoints(e).expect("edge on a path exists");
        let origin = g.origin(e);
        r.chain.push(ChainEntry {
            index: k + 1,
            class: ClassRef::of(target.index() as u32),
            dep: g.g[e].dep.strongest(),
            location: trace::location(origin.at),
            thread: origin.thread.clone(),
            process: crate::report::ProcessInfo::current(),
            stack: Vec::new(),
        });
        traces.push(origin.trace.clone());
    }
    r.chain.push(ChainEntry {
        index: 0,
        class: ClassRef::of(next.node),
        dep: DepMask::of(prev.mode, next.mode).strongest(),
        location: trace::location(next.at),
        thread: thread.info().clone(),
        process: crate::report::ProcessInfo::current(),
        stack: Vec::new(),
    });
    traces.push(None);
    Pending { report: r, traces }
}

fn recursive(h: &Stack, prev: &HeldLock, next: &HeldLock, thread: &Me) -> Pending {
    let mut r = Report::new(ReportKind::RecursiveLocking, thread.info().clone());
    r.acquiring = Some(LockRef::of(next));
    r.holding = Some(LockRef::of(prev));
    r.held = held_refs(h);
    if prev.instance != next.instance {
        r.note = Some(class_collapse_hint(prev.node));
    }
    r.into()
}

/// The hint for two different lock objects in one class: where the class
/// comes from, and the tools that separate or annotate them (one line each).
fn class_collapse_hint(node: crate::class::Node) -> String {
    let info = crate::class::info(crate::class::node_class(node));
    let why = match (info.named, info.created) {
        (false, Some(site)) => format!(
            "The two locks are different objects built at one place, {site},\n\
             so they share a class (#[derive(Default)] builds all fields of one type there)."
        ),
        _ => format!(
            "The two locks are different objects of one class ({}).",
            info.name
        ),
    };
    format!(
        "{why}\n\
         If they are different locks, give each its own class: #[lockdep::classes]\n\
         on their struct, Mutex::with_class(.., lockdep::class!(\"..\")) or set_class().\n\
         If they are one kind of lock taken in a fixed order, take the inner one\n\
         with lock_nested(1). See docs/migrating.md."
    )
}

fn nest_lock_not_held(h: &Stack, next: &HeldLock, thread: &Me) -> Pending {
    let mut r = Report::new(ReportKind::NestLockNotHeld, thread.info().clone());
    r.acquiring = Some(LockRef::of(next));
    let name = crate::class::info(crate::class::node_class(next.nest_node)).name;
    r.note = Some(format!("{:016x} ({name})", next.nest));
    r.held = held_refs(h);
    r.into()
}
