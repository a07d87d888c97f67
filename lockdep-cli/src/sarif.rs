//! SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format), for
//! code-scanning UIs such as GitHub's: `lockdep check --format sarif`.
//!
//! One run, tool `lockdep`; one rule per report kind present (id = the kind's
//! `snake_case` name, short description = its title); one result per report,
//! level `error`, message = the title and the classes, locations = the
//! report's source sites ([`crate::sites`]: for a cycle, the acquisition that
//! closes it first, then the acquire site of every other edge), and
//! `partialFingerprints."lockdep/v1"` = [`Report::fingerprint`] so that the UI
//! tracks the same problem across line changes. Reports listed in the
//! baseline carry an external, accepted `suppression`.
//!
//! The output validates against the official schema vendored at
//! `docs/schema/sarif-2.1.0.json` (tested in `lockdep-cli/tests/cli.rs`).

use serde_json::{Value, json};

use crate::{kind_id, parse_location, sites, summary};
use lockdep::report::{Report, ReportKind};

/// The `$schema` written into SARIF logs.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Key of the fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "lockdep/v1";

/// A SARIF 2.1.0 log of `reports`. `known(r)` says whether `r` is in the
/// baseline (then it carries a suppression); `baseline` names the baseline
/// file in that suppression's justification.
pub fn sarif(reports: &[Report], known: impl Fn(&Report) -> bool, baseline: Option<&str>) -> Value {
    let mut kinds: Vec<ReportKind> = Vec::new();
    for r in reports {
        if !kinds.contains(&r.kind) {
            kinds.push(r.kind);
        }
    }
    let rules: Vec<Value> = kinds
        .iter()
        .map(|&k| {
            json!({
                "id": kind_id(k),
                "name": rule_name(k),
                "shortDescription": { "text": k.title() },
                "defaultConfiguration": { "level": "error" },
            })
        })
        .collect();
    let results: Vec<Value> = reports
        .iter()
        .map(|r| {
            let rule_index = kinds.iter().position(|&k| k == r.kind).unwrap_or(0);
            let locations: Vec<Value> = sites(r)
                .iter()
                .filter_map(|s| {
                    let (file, line, col) = parse_location(&s.location)?;
                    let mut artifact = json!({ "uri": file_uri(file) });
                    if !is_absolute(file) {
                        artifact["uriBaseId"] = json!("%SRCROOT%");
                    }
                    Some(json!({
                        "physicalLocation": {
                            "artifactLocation": artifact,
                            "region": {
                                "startLine": line.max(1),
                                "startColumn": col.max(1),
                            },
                        },
                        "message": { "text": s.what },
                    }))
                })
                .collect();
            let mut result = json!({
                "ruleId": kind_id(r.kind),
                "ruleIndex": rule_index,
                "level": "error",
                "message": { "text": message(r) },
                "locations": locations,
                "partialFingerprints": { FINGERPRINT_KEY: r.fingerprint() },
            });
            if known(r) {
                result["suppressions"] = json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": match baseline {
                        Some(b) => format!("listed in the lockdep baseline {b}"),
                        None => String::from("listed in the lockdep baseline"),
                    },
                }]);
            }
            result
        })
        .collect();
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "lockdep",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                },
            },
            "results": results,
        }],
    })
}

/// The result message: the summary line, then for a cycle who recorded each edge.
fn message(r: &Report) -> String {
    let mut text = summary(r);
    let mut processes: Vec<String> = Vec::new();
    for e in &r.chain {
        let p = e.process.to_string();
        if !processes.contains(&p) {
            processes.push(p);
        }
    }
    if processes.len() > 1 {
        text.push_str(&format!(
            " (a cycle across processes: edges recorded by {})",
            processes.join(", ")
        ));
    }
    text
}

/// `CircularDependency`: the kind's name in UpperCamelCase.
fn rule_name(k: ReportKind) -> String {
    kind_id(k)
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn is_absolute(file: &str) -> bool {
    let b = file.as_bytes();
    file.starts_with('/')
        || file.starts_with('\\')
        || (b.len() >= 3
            && b[0].is_ascii_alphabetic()
            && b[1] == b':'
            && (b[2] == b'/' || b[2] == b'\\'))
}

/// A file path as a URI reference: forward slashes, percent-encoded; a
/// relative path stays relative (to `%SRCROOT%`, the repository root), an
/// absolute one becomes a `file://` URI.
pub fn file_uri(file: &str) -> String {
    let path = file.replace('\\', "/");
    if is_absolute(file) {
        let path = path.trim_start_matches('/');
        format!("file:///{}", encode(path, true))
    } else {
        encode(&path, false)
    }
}

/// Percent-encodes everything but unreserved characters and `/` (and `:`
/// when `colon`: fine inside an absolute URI's path, not in the first segment
/// of a relative one, where it would read as a scheme).
fn encode(path: &str, colon: bool) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/')
            || (colon && b == b':');
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(file_uri("examples/abba.rs"), "examples/abba.rs");
        assert_eq!(file_uri("src\\a b.rs"), "src/a%20b.rs");
        assert_eq!(file_uri("a:b.rs"), "a%3Ab.rs");
        assert_eq!(
            file_uri("/rustc/abc/library/std/src/rt.rs"),
            "file:///rustc/abc/library/std/src/rt.rs"
        );
        assert_eq!(file_uri("C:\\src\\x.rs"), "file:///C:/src/x.rs");
        assert_eq!(
            rule_name(ReportKind::CircularDependency),
            "CircularDependency"
        );
    }
}
