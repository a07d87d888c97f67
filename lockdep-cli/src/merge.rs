//! `lockdep merge`: the union of many processes' class graphs, and the
//! cycles that only the union has.
//!
//! Binary 1 takes `A` then `B`, binary 2 takes `B` then `A`: each process's
//! graph has one edge and no cycle, so neither reports anything, yet the two
//! programs deadlock if they ever share those locks (through a library, a
//! shared-memory segment, a file lock). Classes are identified across
//! processes by their stable key (see [`ClassSnapshot::key`]), so the union
//! of the graphs has the cycle `A → B → A`.
//!
//! [`merge`]:
//!
//! - classes: de-duplicated by key, the first seen kept;
//! - edges: keyed by `(from key, from subclass, to key, to subclass)`;
//!   dependency types united, counts summed, the first origin kept (location,
//!   thread, process, stack), in input order;
//! - reports: the inputs' reports concatenated, each problem once (by
//!   [`Report::fingerprint`]);
//! - then every edge `prev → next` of the union is checked the way the
//!   checker checks a new dependency: is there a *strong* path
//!   `next → … → prev` (the engine's own search, with the kernel's rules for
//!   readers)? A cycle found that way is reported, as a
//!   [`ReportKind::CircularDependency`] whose chain entries name the process
//!   that recorded each edge, unless its fingerprint is among the reports
//!   already or one process recorded every edge of it (that process's own
//!   checker saw the cycle: it is that process's report, not a new one).
//!
//! The result is itself a [`Dump`], with `merged_from` listing the input
//! processes, so it can be shown, checked, drawn and merged again.

use std::collections::{HashMap, HashSet};

use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};

use lockdep::__private::{self as bfs, DepEdge, DepMask};
use lockdep::dump::{self, Dump};
use lockdep::report::{ChainEntry, ClassRef, LockRef, ProcessInfo, Report, ReportKind};
use lockdep::snapshot::{ClassSnapshot, EdgeSnapshot, GraphSnapshot};
use lockdep::{DepType, Mode};

/// The program name of a merged dump's `process`.
pub const MERGE_PROGRAM: &str = "lockdep-merge";

/// One edge of the union: the merged snapshot plus what the search needs.
struct MergedEdge {
    snap: EdgeSnapshot,
    mask: u8,
    /// Every process that recorded this edge (not only the first).
    recorded_by: HashSet<ProcessInfo>,
}

impl DepEdge for MergedEdge {
    fn dep(&self) -> u8 {
        self.mask
    }
}

type EdgeKey = (String, u8, String, u8);

fn node_key(c: &ClassRef) -> (String, u8) {
    (c.key.clone(), c.subclass)
}

/// Merges `dumps` (in order: the first origin of an edge wins) and appends
/// the cross-process cycles found to the merged dump's reports (see the
/// module documentation).
pub fn merge(dumps: &[Dump]) -> Dump {
    let mut merged_from: Vec<ProcessInfo> = Vec::new();
    for d in dumps {
        let from = if d.merged_from.is_empty() {
            std::slice::from_ref(&d.process)
        } else {
            &d.merged_from[..]
        };
        for p in from {
            if !merged_from.contains(p) {
                merged_from.push(p.clone());
            }
        }
    }

    // Reports, each problem once.
    let mut seen: HashSet<String> = HashSet::new();
    let mut reports: Vec<Report> = Vec::new();
    for r in dumps.iter().flat_map(|d| &d.reports) {
        if seen.insert(r.fingerprint()) {
            reports.push(r.clone());
        }
    }

    // Classes by key.
    let mut class_keys: HashSet<&str> = HashSet::new();
    let mut classes: Vec<ClassSnapshot> = Vec::new();
    for c in dumps.iter().flat_map(|d| &d.graph.classes) {
        if class_keys.insert(&c.key) {
            classes.push(c.clone());
        }
    }

    // The union graph.
    let mut g: DiGraph<ClassRef, MergedEdge, u32> = DiGraph::default();
    let mut nodes: HashMap<(String, u8), NodeIndex<u32>> = HashMap::new();
    let mut edges: HashMap<EdgeKey, EdgeIndex<u32>> = HashMap::new();
    let mut node = |g: &mut DiGraph<ClassRef, MergedEdge, u32>, c: &ClassRef| {
        *nodes
            .entry(node_key(c))
            .or_insert_with(|| g.add_node(c.clone()))
    };
    for e in dumps.iter().flat_map(|d| &d.graph.edges) {
        let key = (
            e.from.key.clone(),
            e.from.subclass,
            e.to.key.clone(),
            e.to.subclass,
        );
        let mask = DepMask::from_types(&e.types).0;
        match edges.get(&key) {
            Some(&i) => {
                let m = &mut g[i];
                m.mask |= mask;
                m.snap.count = m.snap.count.saturating_add(e.count);
                m.recorded_by.insert(e.process.clone());
            }
            None => {
                let a = node(&mut g, &e.from);
                let b = node(&mut g, &e.to);
                let i = g.add_edge(
                    a,
                    b,
                    MergedEdge {
                        snap: e.clone(),
                        mask,
                        recorded_by: HashSet::from([e.process.clone()]),
                    },
                );
                edges.insert(key, i);
            }
        }
    }
    for w in g.edge_weights_mut() {
        w.snap.types = DepMask(w.mask).types();
    }

    let cycles = cross_process_cycles(&g, &seen, &merged_from);
    reports.extend(cycles);

    Dump {
        format: dump::FORMAT.to_owned(),
        version: dump::VERSION,
        process: ProcessInfo {
            program: MERGE_PROGRAM.to_owned(),
            pid: std::process::id(),
        },
        time: bfs::now(),
        merged_from,
        reports,
        graph: GraphSnapshot {
            classes,
            edges: g.edge_weights().map(|w| w.snap.clone()).collect(),
            chains: dumps.iter().map(|d| d.graph.chains).sum(),
        },
    }
}

/// The reports of a merged dump that `lockdep merge` found itself (the
/// cross-process cycles), not raised by any one process.
pub fn found_by_merge(d: &Dump) -> Vec<&Report> {
    d.reports.iter().filter(|r| is_from_merge(r)).collect()
}

/// Did `lockdep merge` find this report (rather than a process raise it)?
pub fn is_from_merge(r: &Report) -> bool {
    r.found_by_merge
}

const NOTE_PREFIX: &str = "found by lockdep merge";

/// Every strong cycle of `g` closed by one of its edges, not among `known`
/// fingerprints and not recorded entirely by one process.
fn cross_process_cycles(
    g: &DiGraph<ClassRef, MergedEdge, u32>,
    known: &HashSet<String>,
    merged_from: &[ProcessInfo],
) -> Vec<Report> {
    let mut found: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for closing in g.edge_indices() {
        let Some((prev, next)) = g.edge_endpoints(closing) else {
            continue;
        };
        let mask = g[closing].mask;
        // Try each dependency type on the edge, strongest first, as if it
        // were being added now: the first that closes a strong cycle counts.
        for t in DepMask(mask).types() {
            let from_only_xr = matches!(t, DepType::ER | DepType::SR);
            let to_needs_n = matches!(t, DepType::SR | DepType::SN);
            let Some(path) = bfs::strong_path(
                g,
                next.index() as u32,
                from_only_xr,
                prev.index() as u32,
                to_needs_n,
            ) else {
                continue;
            };
            if path.contains(&closing) {
                break;
            }
            let r = cycle_report(g, closing, t, &path, merged_from);
            let fp = r.fingerprint();
            let single_process = path
                .iter()
                .chain(std::iter::once(&closing))
                .map(|&e| &g[e].recorded_by)
                .fold(None::<HashSet<ProcessInfo>>, |acc, s| {
                    Some(match acc {
                        None => s.clone(),
                        Some(a) => a.intersection(s).cloned().collect(),
                    })
                })
                .is_some_and(|common| !common.is_empty());
            if !single_process && !known.contains(&fp) && found.insert(fp) {
                out.push(r);
            }
            break;
        }
    }
    out
}

/// The modes a dependency type implies for the held (`prev`) and the
/// acquired (`next`) lock.
fn modes(t: DepType) -> (Mode, Mode) {
    let prev = match t {
        DepType::SR | DepType::SN => Mode::Read,
        DepType::ER | DepType::EN => Mode::Exclusive,
    };
    let next = match t {
        DepType::SR | DepType::ER => Mode::RecursiveRead,
        DepType::SN | DepType::EN => Mode::Exclusive,
    };
    (prev, next)
}

/// The report of the cycle `prev → next` (edge `closing`, type `t`) plus
/// `path` = `next → … → prev`, laid out like the checker's own: entries from
/// `#N` (the held class, `prev`) down to `#0` (`next`, acquired by the
/// closing edge).
fn cycle_report(
    g: &DiGraph<ClassRef, MergedEdge, u32>,
    closing: EdgeIndex<u32>,
    t: DepType,
    path: &[EdgeIndex<u32>],
    merged_from: &[ProcessInfo],
) -> Report {
    let c = &g[closing].snap;
    let (prev_mode, next_mode) = modes(t);
    let holding = LockRef {
        class: c.from.clone(),
        mode: prev_mode,
        trylock: false,
        instance: 0,
        location: c.from_location.clone(),
    };
    let mut chain: Vec<ChainEntry> = Vec::with_capacity(path.len() + 1);
    // Path edges e1..eN run C0 = next → … → CN = prev; entry #k is C(k)
    // with e_k's origin.
    for (k, &e) in path.iter().enumerate().rev() {
        let s = &g[e].snap;
        chain.push(ChainEntry {
            index: k + 1,
            class: s.to.clone(),
            dep: DepMask(g[e].mask).strongest(),
            location: s.location.clone(),
            thread: s.thread.clone(),
            process: s.process.clone(),
            stack: s.stack.clone(),
        });
    }
    chain.push(ChainEntry {
        index: 0,
        class: c.to.clone(),
        dep: t,
        location: c.location.clone(),
        thread: c.thread.clone(),
        process: c.process.clone(),
        stack: c.stack.clone(),
    });
    let mut involved: Vec<&ProcessInfo> = Vec::new();
    for e in &chain {
        if !involved.contains(&&e.process) {
            involved.push(&e.process);
        }
    }
    let names: Vec<String> = involved.iter().map(|p| p.to_string()).collect();
    let note = format!(
        "{NOTE_PREFIX} of {} process dump{}: no single process took all these \
         locks in these orders; the edges were recorded by {}.",
        merged_from.len(),
        if merged_from.len() == 1 { "" } else { "s" },
        names.join(", ")
    );
    Report {
        kind: ReportKind::CircularDependency,
        title: ReportKind::CircularDependency.title().to_owned(),
        thread: c.thread.clone(),
        process: c.process.clone(),
        time: bfs::now(),
        test: None,
        acquiring: Some(LockRef {
            class: c.to.clone(),
            mode: next_mode,
            trylock: false,
            instance: 0,
            location: c.location.clone(),
        }),
        holding: Some(holding.clone()),
        chain,
        held: vec![holding],
        note: Some(note),
        found_by_merge: true,
        location: Some(c.location.clone()),
        stack: c.stack.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockdep::report::ThreadInfo;

    fn class(name: &str) -> ClassRef {
        ClassRef {
            name: name.to_owned(),
            key: format!("key:{name}"),
            subclass: 0,
        }
    }

    fn edge(p: &ProcessInfo, from: &str, to: &str, types: &[DepType]) -> EdgeSnapshot {
        EdgeSnapshot {
            from: class(from),
            to: class(to),
            types: types.to_vec(),
            location: format!("src/{}.rs:{}:5", p.program, to.len()),
            from_location: format!("src/{}.rs:{}:5", p.program, from.len()),
            thread: ThreadInfo {
                name: "main".into(),
                id: 1,
                task: None,
            },
            process: p.clone(),
            count: 1,
            stack: vec![format!("{}::main", p.program)],
        }
    }

    fn dump_of(program: &str, pid: u32, edges: &[(&str, &str, &[DepType])]) -> Dump {
        let p = ProcessInfo {
            program: program.into(),
            pid,
        };
        let mut names: Vec<&str> = edges.iter().flat_map(|(a, b, _)| [*a, *b]).collect();
        names.dedup();
        Dump {
            format: dump::FORMAT.into(),
            version: dump::VERSION,
            process: p.clone(),
            time: String::new(),
            merged_from: Vec::new(),
            reports: Vec::new(),
            graph: GraphSnapshot {
                classes: names
                    .iter()
                    .map(|n| ClassSnapshot {
                        name: (*n).into(),
                        key: format!("key:{n}"),
                        created: None,
                    })
                    .collect(),
                edges: edges.iter().map(|(a, b, t)| edge(&p, a, b, t)).collect(),
                chains: 1,
            },
        }
    }

    use DepType::{EN, ER, SN, SR};

    #[test]
    fn abba_across_two_processes_is_one_report_naming_both() {
        let d1 = dump_of("one", 1, &[("A", "B", &[EN])]);
        let d2 = dump_of("two", 2, &[("B", "A", &[EN])]);
        let m = merge(&[d1, d2]);
        assert_eq!(m.process.program, MERGE_PROGRAM);
        assert_eq!(m.merged_from.len(), 2);
        assert_eq!(m.graph.edges.len(), 2);
        assert_eq!(m.graph.classes.len(), 2);
        assert_eq!(m.reports.len(), 1, "{:#?}", m.reports);
        let r = &m.reports[0];
        assert_eq!(r.kind, ReportKind::CircularDependency);
        assert!(is_from_merge(r));
        // Provenance is a field that survives a round trip, not note text.
        let back = Dump::parse(&m.to_json().unwrap(), "m.json").unwrap();
        assert!(is_from_merge(&back.reports[0]));
        let mut impostor = r.clone();
        impostor.found_by_merge = false;
        assert!(impostor.note.as_deref().unwrap().starts_with(NOTE_PREFIX));
        assert!(!is_from_merge(&impostor));
        assert_eq!(r.fingerprint(), "circular_dependency:key:A/0,key:B/0");
        // Closing edge A → B (first in order), path B → A.
        assert_eq!(r.holding.as_ref().unwrap().class.name, "A");
        assert_eq!(r.acquiring.as_ref().unwrap().class.name, "B");
        let chain: Vec<(usize, &str, &str)> = r
            .chain
            .iter()
            .map(|e| (e.index, e.class.name.as_str(), e.process.program.as_str()))
            .collect();
        assert_eq!(chain, [(1, "A", "two"), (0, "B", "one")]);
        let splat = r.splat();
        assert!(splat.contains("(process two[2])"), "{splat}");
        assert!(splat.contains("(process one[1])"), "{splat}");
        assert!(splat.contains("found by lockdep merge of 2 process dumps"));
    }

    #[test]
    fn one_process_alone_or_twice_finds_nothing_new() {
        let d1 = dump_of("one", 1, &[("A", "B", &[EN])]);
        assert!(merge(std::slice::from_ref(&d1)).reports.is_empty());
        // The same cycle recorded whole by one process is that process's business.
        let d2 = dump_of("two", 2, &[("A", "B", &[EN]), ("B", "A", &[EN])]);
        let m = merge(&[d1.clone(), d2]);
        assert!(m.reports.is_empty(), "{:#?}", m.reports);
        // Merging twice: counts add up, types unite, nothing reported.
        let d3 = dump_of("one", 3, &[("A", "B", &[SN])]);
        let m = merge(&[d1, d3]);
        assert_eq!(m.graph.edges.len(), 1);
        assert_eq!(m.graph.edges[0].count, 2);
        assert_eq!(m.graph.edges[0].types, [EN, SN]);
        assert_eq!(m.graph.edges[0].process.pid, 1, "first origin kept");
    }

    #[test]
    fn reader_rules_apply_across_processes() {
        // A recursive-read cycle cannot deadlock: A -(SR)-> B, B -(SR)-> A.
        let d1 = dump_of("one", 1, &[("A", "B", &[SR])]);
        let d2 = dump_of("two", 2, &[("B", "A", &[SR])]);
        assert!(merge(&[d1, d2]).reports.is_empty());
        // Writer into a recursive reader, and back out as a writer: strong.
        let d1 = dump_of("one", 1, &[("A", "B", &[ER])]);
        let d2 = dump_of("two", 2, &[("B", "A", &[EN])]);
        assert_eq!(merge(&[d1, d2]).reports.len(), 1);
    }

    #[test]
    fn three_processes_make_one_longer_cycle_reported_once() {
        let d1 = dump_of("one", 1, &[("A", "B", &[EN])]);
        let d2 = dump_of("two", 2, &[("B", "C", &[EN])]);
        let d3 = dump_of("three", 3, &[("C", "A", &[EN])]);
        let m = merge(&[d1, d2, d3]);
        assert_eq!(m.reports.len(), 1, "{:#?}", m.reports);
        let r = &m.reports[0];
        assert_eq!(r.chain.len(), 3);
        let splat = r.splat();
        assert!(splat.contains("Chain exists of:"), "{splat}");
        // Merging the merged dump again finds nothing new and keeps the report.
        let again = merge(std::slice::from_ref(&m));
        assert_eq!(again.reports.len(), 1);
        assert_eq!(again.merged_from, m.merged_from);
    }

    #[test]
    fn a_known_fingerprint_is_not_reported_again() {
        let d1 = dump_of("one", 1, &[("A", "B", &[EN])]);
        let d2 = dump_of("two", 2, &[("B", "A", &[EN])]);
        let first = merge(&[d1.clone(), d2.clone()]);
        let mut d2k = d2;
        d2k.reports = first.reports.clone();
        let m = merge(&[d1, d2k]);
        assert_eq!(m.reports.len(), 1);
    }
}
