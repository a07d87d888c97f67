//! The slow path: validating a chain not seen before (the kernel's
//! `validate_chain`, `check_deadlock`, `check_prevs_add`, `check_prev_add`).
//!
//! Runs under the graph lock and only builds plain-data reports; the caller
//! dispatches them after releasing everything.

use std::sync::Arc;

use petgraph::graph::EdgeIndex;

use super::bfs;
use super::chain;
use super::graph::{DepMask, Edge, GRAPH, Graph, Origin};
use super::held::{HeldLock, HeldStack};
use crate::config;
use crate::map::{LockMap, Mode};
use crate::report::{self, ChainEntry, ClassRef, LockRef, Pending, Report, ReportKind, ThreadInfo};
use crate::trace;

/// Validates `next` against the held stack `h` (which does not contain it
/// yet), records its dependencies and caches the chain `key`.
#[cold]
#[inline(never)]
pub(super) fn new_chain(
    h: &mut HeldStack,
    next: &HeldLock,
    nest_map: Option<&LockMap>,
    key: u64,
) -> Vec<Pending> {
    let thread = h.thread();
    let h: &HeldStack = h;
    let mut out = Vec::new();
    let mut nest = next.nest;
    if nest != 0 && h.find(nest).is_none() {
        out.push(nest_lock_not_held(h, next, nest_map, &thread));
        nest = 0;
    }

    let mut g = GRAPH.lock();
    let exempt = match check_deadlock(h, next, nest) {
        Deadlock::None => false,
        Deadlock::NestExempt => true,
        Deadlock::Recursive(prev) => {
            out.push(recursive(h, prev, next, &thread));
            false
        }
    };
    if !exempt {
        let mut trace = None;
        for prev in h.locks.iter().rev() {
            if prev.node != next.node {
                check_prev_add(&mut g, h, prev, next, &thread, &mut trace, &mut out);
            }
            if prev.stops_walk() {
                break;
            }
        }
    }
    // Acquisitions naming a nest lock depend on which object is held, which
    // the chain key does not capture: they are validated every time.
    if next.nest == 0 && chain::insert(key).is_err() {
        out.push(report::capacity_report(report::Capacity::Chains, thread));
    }
    out
}

enum Deadlock<'a> {
    None,
    NestExempt,
    Recursive(&'a HeldLock),
}

/// The same-class check, scanning the held stack bottom-up: a lock of the
/// same class (and subclass) is fine only if `next` is a recursive read and
/// the held one any read, or if `next`'s nest lock was seen held *below* it.
fn check_deadlock<'a>(h: &'a HeldStack, next: &HeldLock, nest: u64) -> Deadlock<'a> {
    let mut nest_seen = false;
    for prev in &h.locks {
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
/// a strong cycle `next → … → prev`.
fn check_prev_add(
    g: &mut Graph,
    h: &HeldStack,
    prev: &HeldLock,
    next: &HeldLock,
    thread: &ThreadInfo,
    trace: &mut Option<Option<Arc<crate::trace::Trace>>>,
    out: &mut Vec<Pending>,
) {
    let dep = DepMask::of(prev.mode, next.mode);
    let existing = g.find(prev.node, next.node);
    if let Some(e) = existing
        && g.g[e].dep.0 & dep.0 != 0
    {
        g.g[e].count += 1;
        return;
    }
    let to_needs_n = prev.mode.is_read();
    if let Some(path) = bfs::strong_path(
        &g.g,
        next.node,
        next.mode == Mode::RecursiveRead,
        prev.node,
        to_needs_n,
    ) {
        out.push(circular(g, h, prev, next, &path, thread));
    }
    if let Some(e) = existing {
        g.g[e].dep.0 |= dep.0;
        g.g[e].count += 1;
        return;
    }
    if g.edge_count() >= config::limits().edges {
        out.push(report::capacity_report(
            report::Capacity::Edges,
            thread.clone(),
        ));
        return;
    }
    let first = Origin {
        at: next.at,
        prev_at: prev.at,
        thread: thread.clone(),
        trace: trace.get_or_insert_with(trace::capture).clone(),
    };
    let (a, b) = (g.ensure(prev.node), g.ensure(next.node));
    g.g.add_edge(
        a,
        b,
        Edge {
            dep,
            first,
            count: 1,
        },
    );
}

fn held_refs(h: &HeldStack) -> Vec<LockRef> {
    h.locks.iter().map(LockRef::of).collect()
}

fn circular(
    g: &Graph,
    h: &HeldStack,
    prev: &HeldLock,
    next: &HeldLock,
    path: &[EdgeIndex<u32>],
    thread: &ThreadInfo,
) -> Pending {
    let mut r = Report::new(ReportKind::CircularDependency, thread.clone());
    r.acquiring = Some(LockRef::of(next));
    r.holding = Some(LockRef::of(prev));
    r.held = held_refs(h);
    let mut traces = Vec::with_capacity(path.len() + 1);
    // Path edges e1..eN run C0 = next → C1 → … → CN = prev; entry #k shows
    // Ck with the trace of e_k. Printed from #N down to #0.
    for (k, &e) in path.iter().enumerate().rev() {
        let (_, target) = g.g.edge_endpoints(e).expect("edge on a path exists");
        let edge = &g.g[e];
        r.chain.push(ChainEntry {
            index: k + 1,
            class: ClassRef::of(target.index() as u32),
            dep: edge.dep.strongest(),
            location: trace::location(edge.first.at),
            thread: edge.first.thread.clone(),
            process: crate::report::ProcessInfo::current(),
            stack: Vec::new(),
        });
        traces.push(edge.first.trace.clone());
    }
    r.chain.push(ChainEntry {
        index: 0,
        class: ClassRef::of(next.node),
        dep: DepMask::of(prev.mode, next.mode).strongest(),
        location: trace::location(next.at),
        thread: thread.clone(),
        process: crate::report::ProcessInfo::current(),
        stack: Vec::new(),
    });
    traces.push(None);
    Pending { report: r, traces }
}

fn recursive(h: &HeldStack, prev: &HeldLock, next: &HeldLock, thread: &ThreadInfo) -> Pending {
    let mut r = Report::new(ReportKind::RecursiveLocking, thread.clone());
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

fn nest_lock_not_held(
    h: &HeldStack,
    next: &HeldLock,
    nest: Option<&LockMap>,
    thread: &ThreadInfo,
) -> Pending {
    let mut r = Report::new(ReportKind::NestLockNotHeld, thread.clone());
    r.acquiring = Some(LockRef::of(next));
    let name = nest.map_or_else(|| String::from("?"), LockMap::class_name);
    r.note = Some(format!("{:016x} ({name})", next.nest));
    r.held = held_refs(h);
    r.into()
}
