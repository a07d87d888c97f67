//! GitHub Actions workflow annotations: `lockdep check --format github`.
//!
//! One line per report,
//! `::error file=F,line=L,col=C,title=lockdep: <title>::<summary>`, at the
//! report's main site (for a cycle, the acquisition that closes it); the
//! message's further lines (encoded as `%0A`) list every site of the cycle
//! and who recorded it. GitHub shows it on the pull request's diff and in the
//! run's summary. Escaping follows GitHub's rules (`@actions/core`'s
//! `escapeData` / `escapeProperty`): `%`, CR and LF everywhere, and `:` and
//! `,` inside properties.

use crate::{parse_location, sites, summary};
use lockdep::report::Report;

/// The annotation for one report, `level` being `error`, `warning` or `notice`.
pub fn annotation(r: &Report, level: &str) -> String {
    let sites = sites(r);
    let mut props: Vec<String> = Vec::new();
    if let Some((file, line, col)) = sites.first().and_then(|s| parse_location(&s.location)) {
        props.push(format!("file={}", escape_property(file)));
        props.push(format!("line={line}"));
        props.push(format!("col={col}"));
    }
    props.push(format!(
        "title={}",
        escape_property(&format!("lockdep: {}", r.kind.title()))
    ));
    let mut message = summary(r);
    for s in &sites {
        message.push_str(&format!("\n  {} {}", s.location, s.what));
    }
    format!("::{level} {}::{}", props.join(","), escape_data(&message))
}

/// Escapes a command's message (`@actions/core` `escapeData`).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property's value (`@actions/core` `escapeProperty`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("lockdep: a, b%"), "lockdep%3A a%2C b%25");
    }
}
