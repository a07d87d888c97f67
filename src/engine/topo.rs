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

use crate::class::Node;

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
    /// Out- and in-neighbours of each node (the graph's edges as node ids):
    /// the searches walk these contiguous lists instead of the graph's
    /// edge records, one cache line for many neighbours.
    succ: Vec<Vec<u32>>,
    pred: Vec<Vec<u32>>,
    /// Visit marks of the forward and backward searches (indexed by root;
    /// `stamp` = visited by the current `add_edge`).
    forward_mark: Vec<u32>,
    backward_mark: Vec<u32>,
    stamp: u32,
    /// Scratch buffers of `add_edge`, kept to spare an allocation per
    /// search: the components visited forward and backward, the search
    /// stack, the positions to hand out.
    forward: Vec<u32>,
    backward: Vec<u32>,
    stack: Vec<u32>,
    pool: Vec<u32>,
}

/// Which search a visit mark belongs to.
#[derive(Clone, Copy)]
enum Direction {
    Forward,
    Backward,
}

impl Topo {
    /// Makes sure node `n` (and every node below it) exists; a new node is
    /// its own component, placed after every existing one.
    #[inline]
    pub(crate) fn ensure(&mut self, n: Node) {
        if self.parent.len() <= n as usize {
            self.grow(n);
        }
    }

    #[cold]
    fn grow(&mut self, n: Node) {
        while self.parent.len() <= n as usize {
            let id = self.parent.len() as u32;
            self.parent.push(id);
            self.ord.push(self.next_ord);
            self.next_ord += 1;
            self.members.push(Vec::new());
            self.succ.push(Vec::new());
            self.pred.push(Vec::new());
            self.forward_mark.push(0);
            self.backward_mark.push(0);
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

    /// Records that the graph now has the edge `prev → next` (both nodes
    /// exist; [`Topo::add_edge`] has placed it).
    pub(crate) fn link(&mut self, prev: Node, next: Node) {
        self.succ[prev as usize].push(next);
        self.pred[next as usize].push(prev);
    }

    /// Places the new edge `prev → next` (both nodes exist) in the order,
    /// and says whether it may close a cycle. The edge itself is recorded
    /// with [`Topo::link`] once the graph has it.
    pub(crate) fn add_edge(&mut self, prev: Node, next: Node) -> Verdict {
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
        self.new_stamp();
        self.search(cv, Direction::Forward, |o| o <= ub);
        self.search(cu, Direction::Backward, |o| o >= lb);
        let stamp = self.stamp;
        // `next` reaches `prev`: the edge closes a cycle, made of the
        // components visited both ways.
        let cycle = self.forward_mark[cu as usize] == stamp;
        let on_cycle = |t: &Self, c: u32| {
            cycle && t.forward_mark[c as usize] == stamp && t.backward_mark[c as usize] == stamp
        };

        // Every position in the region, handed out again in order:
        // everything that reaches `prev` first, then the merged cycle (if
        // any), then everything `next` reaches; each keeps its relative order.
        let mut forward = std::mem::take(&mut self.forward);
        let mut backward = std::mem::take(&mut self.backward);
        let mut pool = std::mem::take(&mut self.pool);
        pool.clear();
        pool.extend(forward.iter().map(|&c| self.ord[c as usize]));
        backward.retain(|&c| !on_cycle(self, c));
        pool.extend(backward.iter().map(|&c| self.ord[c as usize]));
        pool.sort_unstable();
        backward.sort_unstable_by_key(|&c| self.ord[c as usize]);
        // The cycle's components, moved to the end of `backward` (which
        // no longer holds any of them) so that `forward` keeps the rest.
        let before = backward.len();
        backward.extend(forward.iter().copied().filter(|&c| on_cycle(self, c)));
        forward.retain(|&c| !on_cycle(self, c));
        forward.sort_unstable_by_key(|&c| self.ord[c as usize]);
        let merged = before..backward.len();

        let mut slots = pool.iter().copied();
        for &c in &backward[..before] {
            self.ord[c as usize] = slots.next().expect("a slot per component");
        }
        let mut merged_ord = None;
        for _ in merged.clone() {
            merged_ord = slots.next();
        }
        for &c in &forward {
            self.ord[c as usize] = slots.next().expect("a slot per component");
        }
        let root = cycle.then(|| {
            let root = self.merge(&backward[merged]);
            self.ord[root as usize] = merged_ord.expect("the cycle has components");
            root
        });
        (self.forward, self.backward, self.pool) = (forward, backward, pool);
        match root {
            Some(root) => Verdict::Within(root),
            None => Verdict::Acyclic,
        }
    }

    /// A fresh visit stamp for both searches of one `add_edge`.
    fn new_stamp(&mut self) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.forward_mark.iter_mut().for_each(|m| *m = 0);
            self.backward_mark.iter_mut().for_each(|m| *m = 0);
            self.stamp = 1;
        }
    }

    /// Depth-first search over components from `start`, following the
    /// edges (out-edges forward, in-edges backward) of every member node,
    /// into components whose position `keep` accepts. Leaves the components
    /// visited, `start` first, in `self.forward` or `self.backward` (by
    /// `dir`), and marks them there.
    fn search(&mut self, start: u32, dir: Direction, keep: impl Fn(u32) -> bool) {
        let stamp = self.stamp;
        let mut seen = std::mem::take(match dir {
            Direction::Forward => &mut self.forward,
            Direction::Backward => &mut self.backward,
        });
        let mut stack = std::mem::take(&mut self.stack);
        seen.clear();
        stack.clear();
        seen.push(start);
        stack.push(start);
        self.mark(dir)[start as usize] = stamp;
        while let Some(c) = stack.pop() {
            // A singleton component's only member is its root.
            let count = self.members[c as usize].len().max(1);
            for k in 0..count {
                let x = match self.members[c as usize].get(k) {
                    Some(&x) => x,
                    None => c,
                };
                let degree = match dir {
                    Direction::Forward => self.succ[x as usize].len(),
                    Direction::Backward => self.pred[x as usize].len(),
                };
                for i in 0..degree {
                    let y = match dir {
                        Direction::Forward => self.succ[x as usize][i],
                        Direction::Backward => self.pred[x as usize][i],
                    };
                    let cy = self.find(y);
                    if self.mark(dir)[cy as usize] == stamp || !keep(self.ord[cy as usize]) {
                        continue;
                    }
                    self.mark(dir)[cy as usize] = stamp;
                    seen.push(cy);
                    stack.push(cy);
                }
            }
        }
        self.stack = stack;
        match dir {
            Direction::Forward => self.forward = seen,
            Direction::Backward => self.backward = seen,
        }
    }

    fn mark(&mut self, dir: Direction) -> &mut Vec<u32> {
        match dir {
            Direction::Forward => &mut self.forward_mark,
            Direction::Backward => &mut self.backward_mark,
        }
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
        (self.parent.capacity()
            + self.ord.capacity()
            + self.forward_mark.capacity()
            + self.backward_mark.capacity()
            + self.forward.capacity()
            + self.backward.capacity()
            + self.stack.capacity()
            + self.pool.capacity())
            * 4
            + (self.members.capacity() + self.succ.capacity() + self.pred.capacity())
                * size_of::<Vec<u32>>()
            + [&self.members, &self.succ, &self.pred]
                .into_iter()
                .flatten()
                .map(|list| list.capacity() * 4)
                .sum::<usize>()
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
            let v = self.topo.add_edge(a, b);
            self.topo.link(a, b);
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
