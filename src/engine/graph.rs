//! The global dependency graph: the one lock of the engine (`GRAPH`).
//!
//! `GRAPH` is a raw `parking_lot` mutex, never a `lockdep` type; it is taken
//! only on the slow path (a chain not seen before, a report, a snapshot) and
//! never held while calling user code or printing. Lock order inside the
//! checker: `GRAPH`, then the class registry, then the report store.
//!
//! Nodes are `(class, subclass)` pairs packed as `class * 8 + subclass`; an
//! edge `prev → next` means "`next` was acquired while `prev` was held" and
//! carries the set of dependency types seen (`-(SR)->`, `-(ER)->`, `-(SN)->`,
//! `-(EN)->`) plus where and on which thread it was first recorded.
//!
//! # Memory
//!
//! An edge is 28 bytes in the `petgraph` graph (weight: types, count, origin
//! index) plus one entry in the `(prev, next)` index. Where an edge was first
//! recorded — both acquisition sites, the thread, the stack — is an
//! [`Origin`], stored once per distinct (sites, thread) and shared by every
//! edge recorded there: a loop that takes a thousand classes in a thousand
//! orders at one pair of call sites keeps one origin and one stack.

use std::collections::HashMap;
use std::panic::Location;
use std::sync::Arc;

use once_cell::sync::Lazy;
use parking_lot::Mutex as RawMutex;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use rustc_hash::{FxBuildHasher, FxHasher};

use super::topo::Topo;
use crate::class::Node;
use crate::map::Mode;
use crate::report::ThreadInfo;

/// A set of dependency types on one edge (the kernel's `lock_list::dep`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DepMask(pub(crate) u8);

impl DepMask {
    /// Held as a reader, acquired as a recursive reader.
    pub(crate) const SR: u8 = 1 << 0;
    /// Held exclusively, acquired as a recursive reader.
    pub(crate) const ER: u8 = 1 << 1;
    /// Held as a reader, acquired as writer or non-recursive reader.
    pub(crate) const SN: u8 = 1 << 2;
    /// Held exclusively, acquired as writer or non-recursive reader.
    pub(crate) const EN: u8 = 1 << 3;
    /// Edges out of a shared holder.
    pub(crate) const S_ANY: u8 = Self::SR | Self::SN;
    /// Edges into an exclusive or non-recursive acquisition.
    pub(crate) const X_N: u8 = Self::SN | Self::EN;

    /// The one type of a `prev → next` dependency (the kernel's `__calc_dep_bit`).
    pub(crate) fn of(prev: Mode, next: Mode) -> DepMask {
        let bit = (prev == Mode::Exclusive) as u8 + (((next != Mode::RecursiveRead) as u8) << 1);
        DepMask(1 << bit)
    }

    /// The strongest type in the set, for printing (`EN` > `ER` > `SN` > `SR`).
    pub(crate) fn strongest(self) -> DepType {
        if self.0 & Self::EN != 0 {
            DepType::EN
        } else if self.0 & Self::ER != 0 {
            DepType::ER
        } else if self.0 & Self::SN != 0 {
            DepType::SN
        } else {
            DepType::SR
        }
    }
}

/// One dependency type, as printed in docs and JSON: `-(ER)->` etc.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DepType {
    /// Exclusive holder → recursive reader.
    ER,
    /// Exclusive holder → writer or non-recursive reader.
    EN,
    /// Shared holder → recursive reader.
    SR,
    /// Shared holder → writer or non-recursive reader.
    SN,
}

impl DepType {
    /// The single-bit mask of this type.
    pub(crate) fn mask(self) -> u8 {
        match self {
            DepType::SR => DepMask::SR,
            DepType::ER => DepMask::ER,
            DepType::SN => DepMask::SN,
            DepType::EN => DepMask::EN,
        }
    }

    /// All types present in `mask`, strongest first.
    pub(crate) fn all_in(mask: DepMask) -> Vec<DepType> {
        [DepType::EN, DepType::ER, DepType::SN, DepType::SR]
            .into_iter()
            .filter(|t| mask.0 & t.mask() != 0)
            .collect()
    }
}

/// Where and how an edge was first recorded.
#[derive(Clone, Debug)]
pub(crate) struct Origin {
    /// Where `next` was acquired.
    pub(crate) at: &'static Location<'static>,
    /// Where `prev` had been acquired.
    pub(crate) prev_at: &'static Location<'static>,
    pub(crate) thread: ThreadInfo,
    /// Raw frames, symbolised only when a report is written.
    pub(crate) trace: Option<Arc<crate::trace::Trace>>,
}

/// One edge `prev → next` (12 bytes).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Edge {
    pub(crate) dep: DepMask,
    /// How many distinct chains recorded this edge (a cache miss each).
    pub(crate) count: u32,
    /// Index into [`Graph::origins`].
    pub(crate) origin: u32,
}

/// What identifies an [`Origin`]: both sites and the thread.
type OriginKey = (usize, usize, u64);

/// The class graph.
#[derive(Default)]
pub(crate) struct Graph {
    pub(crate) g: DiGraph<(), Edge, u32>,
    /// The edges by `(prev, next)`: O(1) lookups on the slow path. Stores
    /// only edge indices (4 bytes a slot, plus one control byte); the key is
    /// read from the edge itself.
    index: hashbrown::HashTable<u32>,
    /// Distinct origins, shared by edges.
    pub(crate) origins: Vec<Origin>,
    origin_index: HashMap<OriginKey, u32, FxBuildHasher>,
    /// Incremental topological order of the graph's strongly connected
    /// components: proves in O(1) that most new edges close no cycle.
    pub(crate) topo: Topo,
}

impl Graph {
    /// Makes sure the node exists (nodes are created densely up to `n`).
    pub(crate) fn ensure(&mut self, n: Node) -> NodeIndex<u32> {
        while self.g.node_count() <= n as usize {
            self.g.add_node(());
        }
        self.topo.ensure(n);
        NodeIndex::new(n as usize)
    }

    /// The edge `prev → next`, if recorded.
    #[inline]
    pub(crate) fn find(&self, prev: Node, next: Node) -> Option<EdgeIndex<u32>> {
        let g = &self.g;
        self.index
            .find(edge_hash(prev, next), |&e| {
                g.edge_endpoints(EdgeIndex::new(e as usize))
                    == Some((NodeIndex::new(prev as usize), NodeIndex::new(next as usize)))
            })
            .map(|&e| EdgeIndex::new(e as usize))
    }

    pub(crate) fn edge_count(&self) -> usize {
        self.g.edge_count()
    }

    /// The origin of edge `e`.
    pub(crate) fn origin(&self, e: EdgeIndex<u32>) -> &Origin {
        &self.origins[self.g[e].origin as usize]
    }

    /// The index of the origin `(at, prev_at, thread)`, recording it (with
    /// the stack `capture` gives) the first time.
    pub(crate) fn origin_of(
        &mut self,
        at: &'static Location<'static>,
        prev_at: &'static Location<'static>,
        thread_id: u64,
        thread: impl FnOnce() -> ThreadInfo,
        capture: impl FnOnce() -> Option<Arc<crate::trace::Trace>>,
    ) -> u32 {
        let key = (
            at as *const Location as usize,
            prev_at as *const Location as usize,
            thread_id,
        );
        if let Some(&i) = self.origin_index.get(&key) {
            return i;
        }
        let i = self.origins.len() as u32;
        self.origins.push(Origin {
            at,
            prev_at,
            thread: thread(),
            trace: capture(),
        });
        self.origin_index.insert(key, i);
        i
    }

    /// Adds the edge `prev → next` (not yet present; the caller has run
    /// [`Topo::add_edge`] for it).
    pub(crate) fn add(&mut self, prev: Node, next: Node, edge: Edge) {
        let (a, b) = (self.ensure(prev), self.ensure(next));
        let e = self.g.add_edge(a, b, edge);
        self.topo.link(prev, next);
        let g = &self.g;
        self.index
            .insert_unique(edge_hash(prev, next), e.index() as u32, |&e| {
                let (a, b) = g
                    .edge_endpoints(EdgeIndex::new(e as usize))
                    .expect("indexed edges exist");
                edge_hash(a.index() as Node, b.index() as Node)
            });
    }

    /// Forgets every edge (for [`crate::reset`]).
    pub(crate) fn clear(&mut self) {
        *self = Graph::default();
    }

    /// Bytes held by the graph's tables (capacity, not just length).
    pub(crate) fn bytes(&self) -> usize {
        use std::mem::size_of;
        self.g.capacity().0 * size_of::<petgraph::graph::Node<(), u32>>()
            + self.g.capacity().1 * size_of::<petgraph::graph::Edge<Edge, u32>>()
            + self.index.capacity() * (size_of::<u32>() + 1)
            + self.origins.capacity() * size_of::<Origin>()
            + self.origin_index.capacity() * (size_of::<(OriginKey, u32)>() + 1)
            + self.topo.bytes()
    }
}

#[inline]
fn edge_hash(prev: Node, next: Node) -> u64 {
    use std::hash::Hasher;
    let mut h = FxHasher::default();
    h.write_u64((prev as u64) << 32 | next as u64);
    h.finish()
}

/// The engine's one lock.
pub(crate) static GRAPH: Lazy<RawMutex<Graph>> = Lazy::new(Default::default);
