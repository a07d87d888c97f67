//! An incremental topological order of the class graph's strongly connected
//! components (Pearce and Kelly, "A dynamic topological sort algorithm for
//! directed acyclic graphs", JEA 2006, extended to merge the components a new
//! edge closes into one).
//!
//! Why: a new edge `prev → next` can close a cycle only if a path
//! `next → … → prev` exists. Every component has a distinct position `ord`,
//! and every edge between two components goes from a lower to a higher
//! position. So if `ord(comp(prev)) < ord(comp(next))`, no such path exists
//! and the exact strong-path search is skipped: one comparison. Otherwise
//! Pearce–Kelly searches only the *affected region*, the components whose
//! positions lie between the two, and either reorders it (still no path
//! back: no search needed) or finds that the edge closes a cycle. Then the
//! components on the cycle become one component, and only then does the
//! engine run its exact strong-path search, restricted to that component's
//! classes (every path `next → … → prev` lies inside it).
//!
//! Edges inside one component (the graph may legitimately hold cycles that
//! are not strong, e.g. recursive-read cycles) always get the exact search.
//!
//! The order is over the plain graph (types ignored): a strong cycle is in
//! particular a cycle, so nothing is missed; the exact search decides
//! strength.

use crate::node::Node;

/// What a new edge may do.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// No path back exists: the edge closes no cycle.
    Acyclic,
    /// A path back may exist; it lies within the classes of this component
    /// (a representative node: test membership with [`Topo::same`]).
    Within(Node),
}

/// Components (union–find over nodes) and their positions.
#[derive(Default)]
pub(crate) struct Topo {
    /// Union–find parent of each node (a root is its component's id).
    parent: Vec<u32>,
    /// Position of each component (indexed by root).
    ord: Vec<u32>,
    /// Nodes of each component (indexed by root; empty for non-roots, and
    /// for singleton components, whose only member is the root itself).
    members: Vec<Vec<u32>>,
    next_ord: u32,
    /// Visit marks for the searches (indexed by root; `stamp` = visited).
    mark: Vec<u32>,
    stamp: u32,
}

impl Topo {
    /// Makes sure node `n` (and every node below it) exists; a new node is
    /// its own component, placed after every existing one.
    pub(crate) fn ensure(&mut self, n: Node) {
        while self.parent.len() <= n as usize {
            let id = self.parent.len() as u32;
            self.parent.push(id);
            self.ord.push(self.next_ord);
            self.next_ord += 1;
            self.members.push(Vec::new());
            self.mark.push(0);
        }
    }

    /// The component of `n`.
    pub(crate) fn find(&mut self, n: Node) -> u32 {
        let mut root = n;
        while self.parent[root as usize] != root {
            root = self.parent[root as usize];
        }
        let mut x = n;
        while self.parent[x as usize] != root {
            let up = self.parent[x as usize];
            self.parent[x as usize] = root;
            x = up;
        }
        root
    }

    /// Are `a` and `b` in one component?
    pub(crate) fn same(&mut self, a: Node, b: Node) -> bool {
        self.find(a) == self.find(b)
    }

    /// Records the edge `prev → next` (both nodes exist), keeping the order,
    /// and says whether it may close a cycle. `succ(x)` / `pred(x)` list the
    /// graph's current out- / in-neighbours of node `x` (without the new
    /// edge).
    pub(crate) fn add_edge<S, P>(
        &mut self,
        prev: Node,
        next: Node,
        succ: impl Fn(Node) -> S,
        pred: impl Fn(Node) -> P,
    ) -> Verdict
    where
        S: Iterator<Item = Node>,
        P: Iterator<Item = Node>,
    {
        let (cu, cv) = (self.find(prev), self.find(next));
        if cu == cv {
            return Verdict::Within(cu);
        }
        let (ub, lb) = (self.ord[cu as usize], self.ord[cv as usize]);
        if ub < lb {
            return Verdict::Acyclic;
        }
        // The affected region: components reachable from `next` with
        // positions up to `ub` (forward), and those reaching `prev` with
        // positions from `lb` (backward).
        let forward = self.search(cv, |o| o <= ub, &succ);
        let backward = self.search(cu, |o| o >= lb, &pred);
        let mut sorted_forward = forward.clone();
        sorted_forward.sort_unstable();
        let mut sorted_backward = backward.clone();
        sorted_backward.sort_unstable();
        let cycle = sorted_forward.binary_search(&cu).is_ok();
        let on_cycle = |c: &u32| {
            cycle
                && sorted_forward.binary_search(c).is_ok()
                && sorted_backward.binary_search(c).is_ok()
        };
        let mut before: Vec<u32> = backward.iter().copied().filter(|c| !on_cycle(c)).collect();
        let merged: Vec<u32> = forward.iter().copied().filter(|c| on_cycle(c)).collect();
        let mut after: Vec<u32> = forward.iter().copied().filter(|c| !on_cycle(c)).collect();
        let mut pool: Vec<u32> = forward
            .iter()
            .chain(backward.iter().filter(|c| !on_cycle(c)))
            .map(|&c| self.ord[c as usize])
            .collect();
        pool.sort_unstable();
        before.sort_unstable_by_key(|&c| self.ord[c as usize]);
        after.sort_unstable_by_key(|&c| self.ord[c as usize]);
        // Everything that reaches `prev` first, then the merged cycle (if
        // any), then everything `next` reaches: each keeps its relative order.
        let mut slots = pool.into_iter();
        for &c in &before {
            self.ord[c as usize] = slots.next().expect("a slot per component");
        }
        let mut merged_ord = None;
        for _ in &merged {
            merged_ord = slots.next();
        }
        for &c in &after {
            self.ord[c as usize] = slots.next().expect("a slot per component");
        }
        if !cycle {
            return Verdict::Acyclic;
        }
        let root = self.merge(&merged);
        self.ord[root as usize] = merged_ord.expect("the cycle has components");
        Verdict::Within(root)
    }

    /// Depth-first search over components from `start`, following
    /// `neighbours` of every member node, into components whose position
    /// `keep` accepts. Returns the components visited, `start` first.
    fn search<I: Iterator<Item = Node>>(
        &mut self,
        start: u32,
        keep: impl Fn(u32) -> bool,
        neighbours: &impl Fn(Node) -> I,
    ) -> Vec<u32> {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.mark.iter_mut().for_each(|m| *m = 0);
            self.stamp = 1;
        }
        let mut seen = vec![start];
        self.mark[start as usize] = self.stamp;
        let mut stack = vec![start];
        while let Some(c) = stack.pop() {
            let members = self.members_of(c);
            for x in members {
                for y in neighbours(x) {
                    let cy = self.find(y);
                    if self.mark[cy as usize] == self.stamp || !keep(self.ord[cy as usize]) {
                        continue;
                    }
                    self.mark[cy as usize] = self.stamp;
                    seen.push(cy);
                    stack.push(cy);
                }
            }
        }
        seen
    }

    /// The nodes of component `c`.
    fn members_of(&self, c: u32) -> Vec<u32> {
        match self.members[c as usize].as_slice() {
            [] => vec![c],
            m => m.to_vec(),
        }
    }

    /// Every node of the component of `n`.
    pub(crate) fn component(&mut self, n: Node) -> Vec<Node> {
        let c = self.find(n);
        self.members_of(c)
    }

    /// Merges components into one; returns its root.
    fn merge(&mut self, comps: &[u32]) -> u32 {
        let root = comps[0];
        let mut all = self.members_of(root);
        for &c in &comps[1..] {
            all.extend(self.members_of(c));
            self.members[c as usize] = Vec::new();
            self.parent[c as usize] = root;
        }
        self.members[root as usize] = all;
        root
    }

    /// Bytes held (capacity).
    pub(crate) fn bytes(&self) -> usize {
        use std::mem::size_of;
        (self.parent.capacity() + self.ord.capacity() + self.mark.capacity()) * 4
            + self.members.capacity() * size_of::<Vec<u32>>()
            + self.members.iter().map(|m| m.capacity() * 4).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    /// A plain adjacency list next to a `Topo`, checked against brute force.
    #[derive(Default)]
    struct Model {
        out: HashMap<Node, Vec<Node>>,
        inc: HashMap<Node, Vec<Node>>,
        topo: Topo,
    }

    impl Model {
        fn reaches(&self, from: Node, to: Node) -> bool {
            let mut seen = HashSet::from([from]);
            let mut stack = vec![from];
            while let Some(x) = stack.pop() {
                if x == to {
                    return true;
                }
                for &y in self.out.get(&x).into_iter().flatten() {
                    if seen.insert(y) {
                        stack.push(y);
                    }
                }
            }
            false
        }

        fn add(&mut self, a: Node, b: Node) -> Verdict {
            self.topo.ensure(a.max(b));
            let out = &self.out;
            let inc = &self.inc;
            let v = self.topo.add_edge(
                a,
                b,
                |x| out.get(&x).cloned().unwrap_or_default().into_iter(),
                |x| inc.get(&x).cloned().unwrap_or_default().into_iter(),
            );
            self.out.entry(a).or_default().push(b);
            self.inc.entry(b).or_default().push(a);
            v
        }

        /// Every invariant, by brute force.
        fn check(&mut self, nodes: Node) {
            self.topo.ensure(nodes - 1);
            for a in 0..nodes {
                for b in 0..nodes {
                    let same = self.topo.same(a, b);
                    let scc = self.reaches(a, b) && self.reaches(b, a);
                    assert_eq!(same, scc, "{a} and {b}: same component {same}, scc {scc}");
                }
            }
            for (&a, bs) in &self.out.clone() {
                for &b in bs {
                    let (ca, cb) = (self.topo.find(a), self.topo.find(b));
                    if ca != cb {
                        assert!(self.topo.ord[ca as usize] < self.topo.ord[cb as usize]);
                    }
                }
            }
        }
    }

    #[test]
    fn forward_edges_are_acyclic_in_o1() {
        let mut m = Model::default();
        assert_eq!(m.add(0, 1), Verdict::Acyclic);
        assert_eq!(m.add(1, 2), Verdict::Acyclic);
        assert_eq!(m.add(0, 2), Verdict::Acyclic);
        m.check(3);
    }

    #[test]
    fn a_back_edge_without_a_path_reorders() {
        let mut m = Model::default();
        m.add(2, 3);
        assert_eq!(m.add(3, 0), Verdict::Acyclic);
        assert_eq!(m.add(1, 2), Verdict::Acyclic);
        m.check(4);
    }

    #[test]
    fn a_cycle_merges_exactly_its_components() {
        let mut m = Model::default();
        m.add(0, 1);
        m.add(1, 2);
        m.add(2, 3);
        m.add(1, 4); // 4 is reachable from 1 but not on the cycle
        m.add(5, 2); // 5 reaches the cycle but is not on it
        let v = m.add(3, 1);
        let Verdict::Within(root) = v else {
            panic!("expected a cycle, got {v:?}")
        };
        let mut comp = m.topo.component(root);
        comp.sort();
        assert_eq!(comp, [1, 2, 3]);
        assert_eq!(m.add(2, 1), Verdict::Within(m.topo.find(1)));
        m.check(6);
    }

    #[test]
    fn random_graphs_match_brute_force() {
        // A small deterministic generator (no dependency needed here).
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for round in 0..200 {
            let nodes = 3 + (round % 9) as Node;
            let mut m = Model::default();
            for _ in 0..(nodes * 2) {
                let (a, b) = (next(nodes as u64) as Node, next(nodes as u64) as Node);
                if a == b {
                    continue;
                }
                let could_cycle = m.reaches(b, a);
                let v = m.add(a, b);
                if could_cycle {
                    assert!(matches!(v, Verdict::Within(_)), "missed a path back");
                }
            }
            m.check(nodes);
        }
    }
}
