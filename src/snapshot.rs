//! A copy of the class graph for tools and tests (the kernel's `/proc/lockdep`).

use petgraph::visit::EdgeRef;
use serde::{Deserialize, Serialize};

use crate::engine::graph::{DepType, GRAPH};
use crate::report::{ClassRef, ThreadInfo};
use crate::trace;

/// One dependency `from → to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeSnapshot {
    /// The class that was held.
    pub from: ClassRef,
    /// The class acquired while `from` was held.
    pub to: ClassRef,
    /// Dependency types seen on this edge, strongest first.
    pub types: Vec<DepType>,
    /// Where `to` was acquired when the edge was first recorded.
    pub location: String,
    /// Where `from` had been acquired at that moment.
    pub from_location: String,
    /// The thread that first recorded it.
    pub thread: ThreadInfo,
    /// How many distinct lock chains recorded it.
    pub count: u64,
}

/// The dependency graph at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphSnapshot {
    /// Every edge, in the order first recorded.
    pub edges: Vec<EdgeSnapshot>,
    /// Number of cached lock chains.
    pub chains: usize,
}

impl GraphSnapshot {
    /// Is there an edge between the classes printed `from` and `to`?
    pub fn has_edge(&self, from: &str, to: &str) -> bool {
        self.edges
            .iter()
            .any(|e| e.from.name == from && e.to.name == to)
    }
}

/// A copy of the dependency graph. Takes the graph lock briefly.
pub fn graph() -> GraphSnapshot {
    let g = GRAPH.lock();
    let raw: Vec<_> =
        g.g.edge_references()
            .map(|e| {
                (
                    e.source().index() as u32,
                    e.target().index() as u32,
                    e.weight().clone(),
                )
            })
            .collect();
    let chains = crate::engine::chain::len();
    drop(g);
    let edges = raw
        .into_iter()
        .map(|(a, b, e)| EdgeSnapshot {
            from: ClassRef::of(a),
            to: ClassRef::of(b),
            types: DepType::all_in(e.dep),
            location: trace::location(e.first.at),
            from_location: trace::location(e.first.prev_at),
            thread: e.first.thread,
            count: e.count,
        })
        .collect();
    GraphSnapshot { edges, chains }
}
