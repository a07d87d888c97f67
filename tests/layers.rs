//! Layers that only point down (docs/design.md, "Layers"): every module of
//! `src/` belongs to one layer of [`LAYERS`], and may import (`crate::…`,
//! `super::…`) only modules of its own layer or below, and never in a cycle.
//!
//! The check reads the source text: `use` declarations and paths written in
//! code (`crate::config::stderr(…)`), comments removed. A file's unit tests
//! (`#[cfg(test)] mod tests { … }`) may use anything and are skipped; so is
//! `src/lib.rs`, the crate root, which only declares modules and re-exports.
//! Paths through the root's re-exports (`crate::Mutex`) are refused: a module
//! names what it uses by its module path, so the check can see it.
//!
//! Upward imports not yet removed are listed in [`KNOWN_UPWARD`] with the
//! reason; the list may only shrink (an entry that no longer occurs fails
//! the test too, so it gets deleted).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, lowest first: each module path (a file of `src/`, or a
/// directory's `mod.rs`, written as a path: `engine::held`) belongs to the
/// layer of the longest prefix listed here.
const LAYERS: &[(&str, &[&str])] = &[
    // 1. Vocabulary: no imports from the crate.
    ("vocabulary", &["mode", "dep", "node", "path", "identity"]),
    // 2. Data: the class registry, configuration, a lock's identity
    //    (`LockMap` without its events), stacks, report data.
    (
        "registry and configuration",
        &["config", "trace", "site", "class", "map", "report"],
    ),
    // 3. The engine: held stack, chain cache, graph, search, validation;
    //    produces report data.
    (
        "engine",
        &[
            "engine::held",
            "engine::chain",
            "engine::graph",
            "engine::topo",
            "engine::bfs",
            "engine::validate",
        ],
    ),
    // 4. The report store and its sinks (dumps, test attribution), graph
    //    snapshots.
    (
        "reports and sinks",
        &["report::store", "snapshot", "dump", "testing", "thread"],
    ),
    // 5. The engine's entry points (start-up installs the sinks), `LockMap`'s
    //    event API, the lock wrappers.
    (
        "events and wrappers",
        &[
            "engine",
            "map::events",
            "sync",
            "stdsync",
            "off",
            "set_class",
            "tokio",
            "task",
        ],
    ),
];

/// Upward imports (and imports that close a cycle within a layer) still
/// present: (importing unit, imported unit, why). Only ever shrinks.
const KNOWN_UPWARD: &[(&str, &str, &str)] = &[];

/// A module path's layer (index into [`LAYERS`]) and unit (the prefix that
/// matched), or `None` if no layer lists it.
fn layer_of(module: &str) -> Option<(usize, &'static str)> {
    let mut best: Option<(usize, &'static str)> = None;
    for (i, (_, prefixes)) in LAYERS.iter().enumerate() {
        for p in *prefixes {
            let matches = module == *p || module.starts_with(&format!("{p}::"));
            if matches && best.is_none_or(|(_, b)| p.len() > b.len()) {
                best = Some((i, p));
            }
        }
    }
    best
}

/// `src/engine/held.rs` → `engine::held`; `src/engine/mod.rs` → `engine`;
/// `src/off/sync/mod.rs` → `off::sync`.
fn module_of(rel: &str) -> String {
    let rel = rel.strip_suffix(".rs").unwrap_or(rel);
    let rel = rel.strip_suffix("/mod").unwrap_or(rel);
    rel.replace('/', "::")
}

/// The text without comments and without a trailing `#[cfg(test)] mod … { … }`.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        let test_only = trimmed.starts_with("#[cfg(") && trimmed.contains("test");
        if test_only
            && lines
                .peek()
                .is_some_and(|n| n.trim_start().starts_with("mod ") && n.ends_with('{'))
        {
            // Skip the module: to the line that closes it at its indentation.
            // Blank lines keep the line numbers of what follows.
            let indent = &line[..line.len() - trimmed.len()];
            lines.next();
            out.push_str("\n\n");
            for inner in lines.by_ref() {
                out.push('\n');
                if inner == format!("{indent}}}") {
                    break;
                }
            }
            continue;
        }
        let code = match line.find("//") {
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// The module paths (relative to the crate root) that `code`, the text of
/// module `module`, names through `crate::` or `super::`, with the line.
fn imports(module: &str, code: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    // Inline modules (`mod foreign { … }`) open around a line: (indent, name).
    let mut inline: Vec<(String, String)> = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        if inline.last().is_some_and(|(i, _)| line == format!("{i}}}")) {
            inline.pop();
            continue;
        }
        let decl = trimmed
            .strip_prefix("pub(crate) ")
            .or_else(|| trimmed.strip_prefix("pub(super) "))
            .or_else(|| trimmed.strip_prefix("pub "))
            .unwrap_or(trimmed);
        if let Some(name) = decl.strip_prefix("mod ").and_then(|d| d.strip_suffix(" {")) {
            inline.push((indent.to_owned(), name.to_owned()));
            continue;
        }
        let here: Vec<&str> = module
            .split("::")
            .chain(inline.iter().map(|(_, m)| m.as_str()))
            .collect();
        let mut rest = line;
        while let Some((at, base)) = next_path_start(rest) {
            let after = &rest[at..];
            let (prefix, tail) = match base {
                Base::Crate => (Vec::new(), &after["crate::".len()..]),
                Base::Super(depth) => {
                    let mut parent = here.clone();
                    for _ in 0..depth {
                        parent.pop();
                    }
                    (parent, &after["super::".len() * depth..])
                }
            };
            for path in expand(tail) {
                let mut full: Vec<&str> = prefix.clone();
                full.extend(path.split("::").filter(|s| !s.is_empty()));
                found.push((full.join("::"), n + 1));
            }
            // Past the whole `super::super::` or `crate::` prefix.
            rest = &after[after.len() - tail.len()..];
        }
    }
    found
}

enum Base {
    Crate,
    /// `super::` repeated this many times.
    Super(usize),
}

/// The next `crate::` or `super::` path start in `s` (not part of a longer
/// identifier), with its base.
fn next_path_start(s: &str) -> Option<(usize, Base)> {
    let starts = |i: usize| {
        i == 0 || !s.as_bytes()[i - 1].is_ascii_alphanumeric() && s.as_bytes()[i - 1] != b'_'
    };
    let c = s
        .match_indices("crate::")
        .map(|(i, _)| i)
        .find(|&i| starts(i));
    let p = s
        .match_indices("super::")
        .map(|(i, _)| i)
        .find(|&i| starts(i));
    match (c, p) {
        (Some(c), Some(p)) if p < c => Some((p, Base::Super(supers(&s[p..])))),
        (Some(c), _) => Some((c, Base::Crate)),
        (None, Some(p)) => Some((p, Base::Super(supers(&s[p..])))),
        (None, None) => None,
    }
}

fn supers(mut s: &str) -> usize {
    let mut n = 0;
    while let Some(rest) = s.strip_prefix("super::") {
        n += 1;
        s = rest;
    }
    n
}

/// The paths a `use` tail names: `a::b` → [`a::b`]; `{a, b::{c, d}}` →
/// [`a`, `b::c`, `b::d`]; stops at the first character that cannot continue
/// a path.
fn expand(tail: &str) -> Vec<String> {
    let ident_end = tail
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(tail.len());
    let head = tail[..ident_end].trim_end_matches(':');
    if tail[ident_end..].starts_with('{') && tail[..ident_end].ends_with("::")
        || (ident_end == 0 && tail.starts_with('{'))
    {
        let inner = &tail[ident_end + 1..];
        let mut depth = 0;
        let mut end = inner.len();
        for (i, ch) in inner.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    end = i;
                    break;
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        let mut out = Vec::new();
        let mut depth = 0;
        let mut item_start = 0;
        let inner = &inner[..end];
        for (i, ch) in inner
            .char_indices()
            .chain(std::iter::once((inner.len(), ',')))
        {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    let item = inner[item_start..i].trim();
                    item_start = i + 1;
                    if item.is_empty() {
                        continue;
                    }
                    for sub in expand(item) {
                        let sub = if sub == "self" { String::new() } else { sub };
                        out.push(if head.is_empty() {
                            sub
                        } else if sub.is_empty() {
                            head.to_owned()
                        } else {
                            format!("{head}::{sub}")
                        });
                    }
                }
                _ => {}
            }
        }
        return out;
    }
    vec![head.to_owned()]
}

/// One file of the checked tree: its path relative to `src/` and its text.
struct File {
    rel: String,
    text: String,
}

/// The violations in `files`: upward imports not in `known`, cycles between
/// units, paths through the crate root, modules no layer lists; and entries
/// of `known` that no longer occur.
fn check(files: &[File], known: &[(&str, &str, &str)]) -> Vec<String> {
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(&f.rel)).collect();
    let mut errors = Vec::new();
    let mut seen_known = BTreeSet::new();
    let mut edges: BTreeMap<&'static str, BTreeSet<&'static str>> = BTreeMap::new();
    for f in files {
        if f.rel == "lib.rs" {
            continue;
        }
        let module = module_of(&f.rel);
        let Some((from_layer, from_unit)) = layer_of(&module) else {
            errors.push(format!(
                "src/{}: module `{module}` is in no layer (tests/layers.rs)",
                f.rel
            ));
            continue;
        };
        let mut done = BTreeSet::new();
        for (path, line) in imports(&module, &code_of(&f.text)) {
            // The longest prefix of the path that is a module of the tree.
            let segments: Vec<&str> = path.split("::").collect();
            let target = (1..=segments.len())
                .rev()
                .map(|n| segments[..n].join("::"))
                .find(|m| modules.contains(m));
            let Some(target) = target else {
                errors.push(format!(
                    "src/{}:{line}: `crate::{path}` goes through the crate root: name the module",
                    f.rel
                ));
                continue;
            };
            let Some((to_layer, to_unit)) = layer_of(&target) else {
                continue; // reported for its own file
            };
            if !done.insert((line, to_unit)) {
                continue;
            }
            if let Some(k) = known
                .iter()
                .find(|(a, b, _)| *a == from_unit && *b == to_unit)
            {
                seen_known.insert((k.0, k.1));
            }
            if to_unit != from_unit {
                edges.entry(from_unit).or_default().insert(to_unit);
            }
            if to_layer > from_layer {
                if known
                    .iter()
                    .any(|(a, b, _)| *a == from_unit && *b == to_unit)
                {
                    continue;
                }
                errors.push(format!(
                    "src/{}:{line}: `{module}` ({}) imports `{target}` ({}), a layer above",
                    f.rel, LAYERS[from_layer].0, LAYERS[to_layer].0
                ));
            }
        }
    }
    for (a, b, _) in known {
        if !seen_known.contains(&(*a, *b)) {
            errors.push(format!(
                "KNOWN_UPWARD lists `{a}` → `{b}`, which no longer occurs: delete the entry"
            ));
        }
    }
    // Cycles between units that are not excused by `known` (same-layer units
    // may import each other, but not both ways round).
    for (a, outs) in &edges {
        for b in outs {
            let excused = |x: &str, y: &str| known.iter().any(|(p, q, _)| *p == x && *q == y);
            if a < b
                && edges.get(b).is_some_and(|o| o.contains(a))
                && !excused(a, b)
                && !excused(b, a)
            {
                errors.push(format!("`{a}` and `{b}` import each other"));
            }
        }
    }
    errors
}

fn read_tree(root: &Path, dir: &Path, out: &mut Vec<File>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            read_tree(root, &p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(File {
                rel: p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
                text: std::fs::read_to_string(&p).expect("read a source file"),
            });
        }
    }
}

#[test]
fn src_modules_only_import_downwards() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    read_tree(&root, &root, &mut files);
    assert!(files.len() > 20, "read the tree: {} files", files.len());
    let errors = check(&files, KNOWN_UPWARD);
    assert!(
        errors.is_empty(),
        "layer violations:\n{}",
        errors.join("\n")
    );
}

// ===== the checker on synthetic trees =====

fn tree(files: &[(&str, &str)]) -> Vec<File> {
    files
        .iter()
        .map(|(rel, text)| File {
            rel: (*rel).to_owned(),
            text: (*text).to_owned(),
        })
        .collect()
}

#[test]
fn an_upward_use_is_refused() {
    let t = tree(&[
        ("mode.rs", "pub enum Mode {}\n"),
        ("engine/mod.rs", "mod held;\n"),
        ("engine/held.rs", "use crate::mode::Mode;\n"),
        ("class.rs", "use crate::engine::held::Stack;\n"),
    ]);
    let errors = check(&t, &[]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(
            "src/class.rs:1: `class` (registry and configuration) imports `engine::held` (engine)"
        ),
        "{errors:?}"
    );
}

#[test]
fn upward_paths_in_code_groups_and_super_are_found() {
    let t = tree(&[
        ("config.rs", "fn f() {\n    crate::dump::init();\n}\n"),
        ("dump.rs", ""),
        ("node.rs", "use crate::{mode::Mode, class::{self, Site}};\n"),
        ("mode.rs", ""),
        ("class.rs", ""),
        ("engine/mod.rs", ""),
        ("engine/held.rs", "use super::super::sync::Mutex;\n"),
        ("sync/mod.rs", ""),
    ]);
    let errors = check(&t, &[]);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("src/config.rs:2: `config`")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("src/node.rs:1: `node` (vocabulary) imports `class`")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("src/engine/held.rs:1: `engine::held` (engine) imports `sync`")),
        "{errors:?}"
    );
    assert_eq!(errors.len(), 3, "{errors:?}");
}

#[test]
fn comments_unit_tests_and_downward_imports_pass() {
    let t = tree(&[
        ("mode.rs", "// see crate::engine::held\n"),
        ("engine/mod.rs", "use crate::mode::Mode;\n"),
        (
            "class.rs",
            "/// [`crate::engine`] docs\nfn f() {}\n\n#[cfg(test)]\nmod tests {\n    use crate::sync::Mutex;\n}\n",
        ),
        ("sync/mod.rs", "use crate::engine;\n"),
    ]);
    assert_eq!(check(&t, &[]), Vec::<String>::new());
}

#[test]
fn same_layer_cycles_root_paths_and_stale_exceptions_fail() {
    let t = tree(&[
        ("class.rs", "use crate::trace::location;\n"),
        (
            "trace.rs",
            "use crate::class::info;\nfn f() { crate::Mutex::new(0); }\n",
        ),
    ]);
    let errors = check(&t, &[("config", "dump", "gone")]);
    assert!(
        errors
            .iter()
            .any(|e| e == "`class` and `trace` import each other"),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("`crate::Mutex::new` goes through the crate root")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("`config` → `dump`, which no longer occurs")),
        "{errors:?}"
    );
    assert_eq!(errors.len(), 3, "{errors:?}");
}
