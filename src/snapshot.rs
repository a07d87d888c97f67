//! A copy of the class graph for tools and tests (the kernel's `/proc/lockdep`
//! and `/proc/lockdep_chains`), the `graph` part of a JSON dump.

use std::sync::Arc;

use petgraph::visit::EdgeRef;
use serde::{Deserialize, Serialize};

use crate::dep::DepType;
use crate::engine::graph::GRAPH;
use crate::report::{ClassRef, ProcessInfo, ThreadInfo};
use crate::trace::{self, Trace};

/// One lock class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassSnapshot {
    /// Printed name (`name`, `name#2`, `RwLock<Vec<u8>> @ src/a.rs:3:9`, `file:line:col`).
    pub name: String,
    /// Stable key, the same in every process that builds the class at the same
    /// place (see `docs/report-format.md`).
    pub key: String,
    /// Where the class was created: its construction site, or for a named
    /// class where the first lock using it was constructed.
    pub created: Option<String>,
}

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
    /// The process that first recorded it.
    pub process: ProcessInfo,
    /// How many distinct lock chains recorded it.
    pub count: u64,
    /// The stack when it was first recorded, symbolised (empty when capture
    /// is off, and in [`graph()`], which skips symbolisation).
    pub stack: Vec<String>,
}

/// The dependency graph at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphSnapshot {
    /// Every registered class, in registration order.
    pub classes: Vec<ClassSnapshot>,
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

/// A copy of the dependency graph, without stacks. Takes the graph lock briefly.
pub fn graph() -> GraphSnapshot {
    snapshot(false)
}

/// A copy of the dependency graph; `stacks`: symbolise each edge's stack
/// (once per edge for the life of the process; done after the graph lock is
/// released).
pub(crate) fn snapshot(stacks: bool) -> GraphSnapshot {
    let g = GRAPH.lock();
    let raw: Vec<_> =
        g.g.edge_references()
            .map(|e| {
                (
                    e.source().index() as u32,
                    e.target().index() as u32,
                    *e.weight(),
                    g.origins[e.weight().origin as usize].clone(),
                )
            })
            .collect();
    let chains = crate::engine::chain::len();
    drop(g);
    let process = ProcessInfo::current();
    let edges = raw
        .into_iter()
        .map(|(a, b, e, origin)| EdgeSnapshot {
            from: ClassRef::of(a),
            to: ClassRef::of(b),
            types: DepType::all_in(e.dep),
            location: trace::location(origin.at),
            from_location: trace::location(origin.prev_at),
            thread: origin.thread,
            process: process.clone(),
            count: u64::from(e.count),
            stack: match (&origin.trace, stacks) {
                (Some(t), true) => Trace::symbols(Arc::as_ref(t)).to_vec(),
                _ => Vec::new(),
            },
        })
        .collect();
    let classes = crate::class::all()
        .into_iter()
        .map(|c| ClassSnapshot {
            name: c.name,
            key: c.key,
            created: c.created,
        })
        .collect();
    GraphSnapshot {
        classes,
        edges,
        chains,
    }
}
