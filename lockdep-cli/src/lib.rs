//! The library side of the `lockdep` command (`src/main.rs`; `cargo install
//! --path lockdep-cli`): everything it does with [`Dump`](lockdep::Dump)s, as
//! plain functions over data, so other tools and tests can use it too. The
//! runtime crate `lockdep` provides the dump format's types and reader; this
//! crate holds everything else, so programs that only take locks never
//! compile it.
//!
//! - [`mod@merge`]: unions the class graphs of many processes' dumps and finds
//!   the cycles that no single process saw (`lockdep merge`);
//! - [`baseline`]: the file of known reports `lockdep check --baseline`
//!   compares against, matched by [`Report::fingerprint`](lockdep::report::Report::fingerprint);
//! - [`sarif`]: SARIF 2.1.0 for code-scanning UIs (`--format sarif`);
//! - [`github`]: GitHub Actions workflow annotations (`--format github`);
//! - [`dot`]: Graphviz of the class graph with the reported cycles in red
//!   (`lockdep dot`).
//!
//! See `docs/ci.md` for the command and how to wire it into CI.

pub mod baseline;
pub mod dot;
pub mod github;
pub mod merge;
pub mod sarif;

pub use baseline::Baseline;
pub use merge::merge;

use lockdep::report::{Report, ReportKind};

/// A source location `file:line:col` split into its parts; `None` if it does
/// not end in two numbers (an empty location, `?`). The file may itself
/// contain `:` (a Windows drive).
pub fn parse_location(location: &str) -> Option<(&str, u32, u32)> {
    let (rest, col) = location.rsplit_once(':')?;
    let (file, line) = rest.rsplit_once(':')?;
    let line = line.parse().ok()?;
    let col = col.parse().ok()?;
    (!file.is_empty()).then_some((file, line, col))
}

/// A report kind's `snake_case` name, as in JSON and in fingerprints
/// (`circular_dependency`).
pub fn kind_id(kind: ReportKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// One line about a report: its title and classes
/// (`possible circular locking dependency detected: A -> B -> A`).
pub fn summary(r: &Report) -> String {
    let mut classes: Vec<&str> = r.classes();
    if r.kind == ReportKind::CircularDependency
        && let Some(first) = classes.first().copied()
    {
        classes.push(first);
    }
    if classes.is_empty() {
        return r.kind.title().to_owned();
    }
    format!("{}: {}", r.kind.title(), classes.join(" -> "))
}

/// The source locations of a report, the most relevant first, each with a
/// short description: for a cycle, the acquisition that closes it (`#0`),
/// then the acquire site of every other edge of the cycle (`#1` … `#N`); for
/// other kinds, where it happened, then the acquired and the held lock.
/// Duplicates and unparsable locations are left out.
pub fn sites(r: &Report) -> Vec<Site> {
    let mut out: Vec<Site> = Vec::new();
    let mut push = |location: &str, what: String| {
        if parse_location(location).is_some() && !out.iter().any(|s| s.location == location) {
            out.push(Site {
                location: location.to_owned(),
                what,
            });
        }
    };
    if !r.chain.is_empty() {
        // Printed order is #N … #0; entry #k is where C(k) was acquired
        // while C(k-1) was held (for #0: C(N), the held lock).
        let n = r.chain.len();
        for i in (0..n).rev() {
            let e = &r.chain[i];
            let held = if i + 1 < n {
                &r.chain[i + 1].class.name
            } else {
                &r.chain[0].class.name
            };
            push(
                &e.location,
                format!(
                    "#{}: {} acquired while holding {} [{} in {}]",
                    e.index, e.class.name, held, e.thread, e.process
                ),
            );
        }
        return out;
    }
    if let Some(l) = &r.location {
        push(
            l,
            format!("{} [{} in {}]", r.kind.title(), r.thread, r.process),
        );
    }
    if let Some(l) = &r.acquiring {
        push(&l.location, format!("{} acquired here", l.class.name));
    }
    if let Some(l) = &r.holding {
        push(&l.location, format!("{} acquired here", l.class.name));
    }
    for l in &r.held {
        push(
            &l.location,
            format!("{} acquired here (held)", l.class.name),
        );
    }
    out
}

/// A source location of a report (see [`sites`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// `file:line:col`.
    pub location: String,
    /// What happened there, one line.
    pub what: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_split_at_the_last_two_colons() {
        assert_eq!(
            parse_location("examples/a.rs:12:9"),
            Some(("examples/a.rs", 12, 9))
        );
        assert_eq!(
            parse_location("C:/src/a.rs:1:2"),
            Some(("C:/src/a.rs", 1, 2))
        );
        assert_eq!(parse_location("?"), None);
        assert_eq!(parse_location(""), None);
        assert_eq!(parse_location("a.rs:x:1"), None);
        assert_eq!(parse_location(":1:2"), None);
    }
}
