//! Graphviz of the class graph: `lockdep dot`.
//!
//! One node per class (and subclass), labelled with its printed name; one
//! edge per dependency `held → acquired`, labelled with its strongest type
//! (`EN`, `ER`, `SN`, `SR`). The edges of every reported cycle, and their
//! classes, are red and bold; with `only_cycles`, nothing else is drawn.
//! Render with `dot -Tsvg graph.dot > graph.svg`.

use std::collections::HashSet;
use std::fmt::Write as _;

use lockdep::DepType;
use lockdep::dump::Dump;
use lockdep::report::{ClassRef, ReportKind};

type NodeKey = (String, u8);

fn key(c: &ClassRef) -> NodeKey {
    (c.key.clone(), c.subclass)
}

/// The edges `from → to` of every cycle reported in `d`, with their types.
fn cycle_edges(d: &Dump) -> Vec<(ClassRef, ClassRef, DepType)> {
    let mut out = Vec::new();
    for r in d
        .reports
        .iter()
        .filter(|r| r.kind == ReportKind::CircularDependency)
    {
        let c = &r.chain;
        let Some(last) = c.last() else { continue };
        // Printed order #N … #0: chain[i + 1] → chain[i] is the edge
        // C(k-1) → C(k) with chain[i]'s type; chain[0] → last (held → new)
        // closes the cycle with #0's type.
        for i in 0..c.len() - 1 {
            out.push((c[i + 1].class.clone(), c[i].class.clone(), c[i].dep));
        }
        out.push((c[0].class.clone(), last.class.clone(), last.dep));
    }
    out
}

/// The graph of `d` in the DOT language.
pub fn dot(d: &Dump, only_cycles: bool) -> String {
    let on_cycle = cycle_edges(d);
    let red_edges: HashSet<(NodeKey, NodeKey)> =
        on_cycle.iter().map(|(a, b, _)| (key(a), key(b))).collect();
    let red_nodes: HashSet<NodeKey> = red_edges
        .iter()
        .flat_map(|(a, b)| [a.clone(), b.clone()])
        .collect();

    // Nodes in a stable order: registered classes, then subclasses and any
    // class only an edge or a report names.
    let mut nodes: Vec<(NodeKey, String)> = Vec::new();
    let mut index: std::collections::HashMap<NodeKey, usize> = Default::default();
    let mut add = |k: NodeKey, name: &str| {
        if !index.contains_key(&k) {
            index.insert(k.clone(), nodes.len());
            nodes.push((k, name.to_owned()));
        }
    };
    for c in &d.graph.classes {
        add((c.key.clone(), 0), &c.name);
    }
    for e in &d.graph.edges {
        add(key(&e.from), &e.from.name);
        add(key(&e.to), &e.to.name);
    }
    for (a, b, _) in &on_cycle {
        add(key(a), &a.name);
        add(key(b), &b.name);
    }

    // Edges: the graph's, then cycle edges the graph lacks.
    let mut edges: Vec<(NodeKey, NodeKey, DepType)> = d
        .graph
        .edges
        .iter()
        .map(|e| {
            let t = e.types.first().copied().unwrap_or(DepType::EN);
            (key(&e.from), key(&e.to), t)
        })
        .collect();
    let mut have: HashSet<(NodeKey, NodeKey)> = edges
        .iter()
        .map(|(a, b, _)| (a.clone(), b.clone()))
        .collect();
    for (a, b, t) in &on_cycle {
        if have.insert((key(a), key(b))) {
            edges.push((key(a), key(b), *t));
        }
    }

    let mut out = String::from(
        "digraph lockdep {\n  graph [rankdir=LR];\n  node [shape=box, fontname=\"monospace\"];\n  edge [fontname=\"monospace\"];\n",
    );
    for (i, (k, name)) in nodes.iter().enumerate() {
        let red = red_nodes.contains(k);
        if only_cycles && !red {
            continue;
        }
        let style = if red {
            ", color=\"red\", fontcolor=\"red\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  n{i} [label=\"{}\", tooltip=\"{}\"{style}];",
            escape(name),
            escape(&format!("{}/{}", k.0, k.1))
        );
    }
    for (a, b, t) in &edges {
        let red = red_edges.contains(&(a.clone(), b.clone()));
        if only_cycles && !red {
            continue;
        }
        let (Some(ia), Some(ib)) = (index.get(a), index.get(b)) else {
            continue;
        };
        let style = if red {
            ", color=\"red\", fontcolor=\"red\", style=\"bold\", penwidth=2"
        } else {
            ""
        };
        let _ = writeln!(out, "  n{ia} -> n{ib} [label=\"{t:?}\"{style}];");
    }
    out.push_str("}\n");
    out
}

/// Escapes a DOT double-quoted string.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_quotes_and_backslashes() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
