//! Baselines: the reports a project knows about and accepts for now, so that
//! `lockdep check --baseline known.json` fails only on new ones.
//!
//! ```json
//! {
//!   "format": "lockdep-baseline",
//!   "version": 1,
//!   "reports": [
//!     {
//!       "fingerprint": "circular_dependency:&bank->accounts/0,&bank->ledger/0",
//!       "kind": "circular_dependency",
//!       "title": "possible circular locking dependency detected",
//!       "classes": ["&bank->ledger", "&bank->accounts"]
//!     }
//!   ]
//! }
//! ```
//!
//! A report matches an entry by its [`Report::fingerprint`] alone: the kind
//! and the stable keys of the classes involved, never line numbers of
//! acquisitions, thread names or pids, so editing code around a known problem
//! keeps it known, and a new problem between the same classes of another
//! kind, or the same kind between other classes, is new. `kind`, `title` and
//! `classes` are for people reading the file (and reviewing its diffs).
//! Entries are sorted by fingerprint so that updating a baseline gives a
//! small diff.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use lockdep::dump::DumpError;
use lockdep::report::Report;

/// The value of a baseline's `format` field.
pub const FORMAT: &str = "lockdep-baseline";
/// The baseline schema version this crate writes and reads.
pub const VERSION: u32 = 1;

/// A baseline file's contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// The known reports, sorted by fingerprint.
    pub reports: Vec<BaselineEntry>,
}

/// One known report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineEntry {
    /// [`Report::fingerprint`]: what matching uses.
    pub fingerprint: String,
    /// The report kind (`circular_dependency`), informative.
    pub kind: String,
    /// The report's title, informative.
    pub title: String,
    /// The printed class names, informative.
    pub classes: Vec<String>,
}

impl Baseline {
    /// The baseline that accepts exactly `reports` (each problem once).
    pub fn from_reports<'a>(reports: impl IntoIterator<Item = &'a Report>) -> Baseline {
        let mut by_fp: BTreeMap<String, BaselineEntry> = BTreeMap::new();
        for r in reports {
            let fingerprint = r.fingerprint();
            by_fp
                .entry(fingerprint.clone())
                .or_insert_with(|| BaselineEntry {
                    fingerprint,
                    kind: crate::kind_id(r.kind),
                    title: r.kind.title().to_owned(),
                    classes: r.classes().into_iter().map(str::to_owned).collect(),
                });
        }
        Baseline {
            format: FORMAT.to_owned(),
            version: VERSION,
            reports: by_fp.into_values().collect(),
        }
    }

    /// Is a report with this fingerprint known?
    pub fn contains(&self, fingerprint: &str) -> bool {
        self.reports.iter().any(|e| e.fingerprint == fingerprint)
    }

    /// The entries no report matches any more (fixed problems, or renamed
    /// classes): candidates for removal with `--write-baseline`.
    pub fn stale<'a>(&'a self, reports: &[Report]) -> Vec<&'a BaselineEntry> {
        let seen: std::collections::HashSet<String> =
            reports.iter().map(Report::fingerprint).collect();
        self.reports
            .iter()
            .filter(|e| !seen.contains(&e.fingerprint))
            .collect()
    }

    /// The baseline as pretty-printed JSON (an error only if a value cannot
    /// be represented).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }

    /// Writes the baseline to `path` (with a final newline).
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let json = self.to_json().map_err(std::io::Error::other)?;
        std::fs::write(path, format!("{json}\n"))
    }

    /// Reads and checks the baseline in file `path`.
    pub fn read(path: &Path) -> Result<Baseline, DumpError> {
        let origin = path.display().to_string();
        Baseline::parse(&lockdep::dump::read_text(path, &origin)?, &origin)
    }

    /// Parses and checks a baseline; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Baseline, DumpError> {
        lockdep::dump::parse_versioned(text, origin, "baseline", FORMAT, VERSION)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors_name_the_place() {
        let b = Baseline {
            format: FORMAT.into(),
            version: VERSION,
            reports: vec![BaselineEntry {
                fingerprint: "circular_dependency:A/0,B/0".into(),
                kind: "circular_dependency".into(),
                title: "possible circular locking dependency detected".into(),
                classes: vec!["A".into(), "B".into()],
            }],
        };
        let back = Baseline::parse(&b.to_json().unwrap(), "b.json").unwrap();
        assert_eq!(back, b);
        assert!(back.contains("circular_dependency:A/0,B/0"));
        assert!(!back.contains("circular_dependency:A/0,C/0"));

        let e = Baseline::parse(
            "{\"format\": \"lockdep-baseline\", \"version\": 1,\n \"reports\": 3}",
            "b.json",
        )
        .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("b.json", 2));
        assert!(e.message.contains("wrong field type"), "{e}");
        let e = Baseline::parse("{\"format\": \"lockdep-dump\", \"version\": 1}", "b.json")
            .unwrap_err();
        assert!(
            e.to_string().starts_with("b.json: not a lockdep baseline"),
            "{e}"
        );
        let e = Baseline::parse(
            "{\"format\": \"lockdep-baseline\", \"version\": 7}",
            "b.json",
        )
        .unwrap_err();
        assert!(e.message.contains("unsupported schema version 7"), "{e}");
        let e = Baseline::parse("{\"format\": ", "b.json").unwrap_err();
        assert!(e.message.contains("truncated"), "{e}");
    }
}
