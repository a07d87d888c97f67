//! The strong-path search (the kernel's `__bfs` / `check_noncircular`).
//!
//! Adding `prev → next` closes a cycle if a path `next → … → prev` already
//! exists. With readers in play only *strong* cycles can deadlock
//! (lockdep-design.rst, "Recursive Read Deadlock Detection"): a cycle is
//! strong if it never takes a `-(xR)->` hop (into a recursive reader)
//! followed by a `-(Sx)->` hop (out of a shared holder), because a recursive
//! reader reached that way and left as a shared holder blocks nobody.
//!
//! The search tracks, for each class, the *arrival state*: reached only via
//! `-(xR)->` hops (`only_xr`, so no `-(Sx)->` hop may follow) or not. Unlike the
//! kernel, which marks a class visited the first time any edge into it is
//! dequeued, before the strength filter, and visits it once, this search
//! visits each class once **per arrival state**, and a class reached with
//! `only_xr = false` dominates the same class reached with `only_xr = true`.
//! So it never misses a strong path that reaches a class a second time in a
//! better state (see docs/semantics.md). Breadth-first order keeps the path it
//! returns the shortest one, which is the one printed in the report.

use std::collections::VecDeque;

use petgraph::Direction;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;

use super::graph::Edge;
use crate::dep::DepMask;
use crate::node::Node;

/// An edge weight the search can walk: the set of dependency types on it
/// (a [`DepMask`] value). The engine's `Edge` is one; so is the edge of the
/// merged graph of `lockdep merge` (`tools::merge`), which reuses this search.
pub trait DepEdge {
    /// The dependency types on the edge, as [`DepMask`] bits.
    fn dep(&self) -> u8;
}

impl DepEdge for Edge {
    fn dep(&self) -> u8 {
        self.dep.0
    }
}

/// One visited (class, arrival state).
struct Visit {
    node: Node,
    only_xr: bool,
    /// The visit we came from and the edge taken, `None` for the root.
    parent: Option<(usize, EdgeIndex<u32>)>,
}

/// Finds the shortest strong path `from → … → to`.
///
/// - `from_only_xr`: the path starts right after a `-(xR)->` hop (the new
///   acquisition is a recursive read), so its first hop may not leave `from`
///   as a shared holder;
/// - `to_needs_n`: the hop after the path leaves `to` as a shared holder (the
///   held lock is a reader), so the path must not end with a `-(xR)->` hop.
///
/// Nodes are indices into `g` (the engine's `class * 8 + subclass`).
///
/// Returns the edges of the path in order, or `None` if there is no strong path.
pub fn strong_path<N, E: DepEdge>(
    g: &DiGraph<N, E, u32>,
    from: Node,
    from_only_xr: bool,
    to: Node,
    to_needs_n: bool,
) -> Option<Vec<EdgeIndex<u32>>> {
    strong_path_within(g, from, from_only_xr, to, to_needs_n, |_| true)
}

/// As [`strong_path`], visiting only classes `within` accepts (the engine
/// passes the component of the graph that holds both ends: every path
/// between them lies inside it).
pub(crate) fn strong_path_within<N, E: DepEdge>(
    g: &DiGraph<N, E, u32>,
    from: Node,
    from_only_xr: bool,
    to: Node,
    to_needs_n: bool,
    within: impl Fn(Node) -> bool,
) -> Option<Vec<EdgeIndex<u32>>> {
    if from as usize >= g.node_count() || to as usize >= g.node_count() {
        return None;
    }
    // visited[node]: bit 0 = seen with only_xr, bit 1 = seen without.
    let mut seen = vec![0u8; g.node_count()];
    let mut visits = vec![Visit {
        node: from,
        only_xr: from_only_xr,
        parent: None,
    }];
    seen[from as usize] = state_bit(from_only_xr);
    let accept = |only_xr: bool| !to_needs_n || !only_xr;
    if from == to && accept(from_only_xr) {
        return Some(Vec::new());
    }
    let mut queue = VecDeque::from([0usize]);
    while let Some(vi) = queue.pop_front() {
        let (node, only_xr) = (visits[vi].node, visits[vi].only_xr);
        for e in g.edges_directed(NodeIndex::new(node as usize), Direction::Outgoing) {
            let mut dep = e.weight().dep();
            if only_xr {
                dep &= !DepMask::S_ANY;
            }
            if dep == 0 {
                continue;
            }
            let child = e.target().index() as Node;
            if !within(child) {
                continue;
            }
            let child_only_xr = dep & DepMask::X_N == 0;
            let bit = state_bit(child_only_xr);
            // A visit without only_xr dominates one with it.
            if seen[child as usize] & (bit | state_bit(false)) != 0 {
                continue;
            }
            seen[child as usize] |= bit;
            visits.push(Visit {
                node: child,
                only_xr: child_only_xr,
                parent: Some((vi, e.id())),
            });
            let ci = visits.len() - 1;
            if child == to && accept(child_only_xr) {
                return Some(path_to(&visits, ci));
            }
            queue.push_back(ci);
        }
    }
    None
}

fn state_bit(only_xr: bool) -> u8 {
    if only_xr { 1 } else { 2 }
}

fn path_to(visits: &[Visit], mut i: usize) -> Vec<EdgeIndex<u32>> {
    let mut path = Vec::new();
    while let Some((parent, edge)) = visits[i].parent {
        path.push(edge);
        i = parent;
    }
    path.reverse();
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::graph::Graph;
    use crate::mode::Mode;

    fn add(g: &mut Graph, a: Node, b: Node, prev: Mode, next: Mode) {
        let dep = DepMask::of(prev, next);
        if let Some(e) = g.find(a, b) {
            g.g[e].dep.0 |= dep.0;
            return;
        }
        g.add(
            a,
            b,
            Edge {
                dep,
                count: 1,
                origin: 0,
            },
        );
    }

    use Mode::{Exclusive as W, Read as R, RecursiveRead as RR};

    #[test]
    fn plain_path_is_found_and_shortest() {
        let mut g = Graph::default();
        add(&mut g, 0, 1, W, W);
        add(&mut g, 1, 2, W, W);
        add(&mut g, 0, 2, W, W);
        assert_eq!(strong_path(&g.g, 0, false, 2, false).unwrap().len(), 1);
        assert!(strong_path(&g.g, 2, false, 0, false).is_none());
    }

    #[test]
    fn xr_then_sx_is_not_strong() {
        // 0 -(ER)-> 1 -(SN)-> 2: 1 is reached as a recursive reader and left as a reader.
        let mut g = Graph::default();
        add(&mut g, 0, 1, W, RR);
        add(&mut g, 1, 2, RR, W);
        assert!(strong_path(&g.g, 0, false, 2, false).is_none());
        // The same with 1 left as a writer is strong.
        add(&mut g, 1, 2, W, W);
        assert_eq!(strong_path(&g.g, 0, false, 2, false).unwrap().len(), 2);
    }

    #[test]
    fn end_state_matters_when_prev_is_a_reader() {
        let mut g = Graph::default();
        add(&mut g, 0, 1, W, RR); // ends with xR
        assert!(strong_path(&g.g, 0, false, 1, true).is_none());
        assert!(strong_path(&g.g, 0, false, 1, false).is_some());
        add(&mut g, 0, 1, W, R); // now also xN
        assert!(strong_path(&g.g, 0, false, 1, true).is_some());
    }

    #[test]
    fn revisits_a_class_in_a_better_state() {
        // 0 -(ER)-> 1 (reached only_xr), 0 -(EN)-> 2 -(EN)-> 1 (reached without),
        // 1 -(SN)-> 3. Only the longer route makes 0 → 3 strong; a search that
        // marks 1 visited on first arrival (the kernel's __bfs) misses it.
        let mut g = Graph::default();
        add(&mut g, 0, 1, W, RR);
        add(&mut g, 0, 2, W, W);
        add(&mut g, 2, 1, W, W);
        add(&mut g, 1, 3, R, W);
        let path = strong_path(&g.g, 0, false, 3, false).expect("strong path via 2");
        assert_eq!(path.len(), 3);
    }
}
