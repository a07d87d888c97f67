//! Expected output kept as files under `tests/golden/` ("golden" files),
//! compared with a line diff on mismatch.
//!
//! To re-bless after an intended change of the output, run the test with
//! `LOCKDEP_BLESS=1` (e.g. `LOCKDEP_BLESS=1 cargo test --test splat_golden`):
//! each golden file is then written from the actual output instead of being
//! compared, and the test passes. Review the change with `git diff
//! tests/golden/` before committing it (docs/testing.md).

use std::path::PathBuf;

/// The environment variable that re-blesses the golden files.
pub const BLESS: &str = "LOCKDEP_BLESS";

/// Is this run re-blessing the golden files (`LOCKDEP_BLESS` set to
/// anything but empty or `0`)?
pub fn blessing() -> bool {
    std::env::var(BLESS).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// `tests/golden/<name>.txt` of this package.
pub fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.txt"))
}

/// Compares `actual` with `tests/golden/<name>.txt`, failing the test with a
/// unified diff (expected `-`, actual `+`) when they differ or with the whole
/// of `actual` when the file is missing. Under [`BLESS`] it writes `actual`
/// to the file instead.
pub fn check(name: &str, actual: &str) {
    let path = path(name);
    let shown = format!("tests/golden/{name}.txt");
    if blessing() {
        if std::fs::read_to_string(&path).ok().as_deref() != Some(actual) {
            std::fs::write(&path, actual).unwrap_or_else(|e| panic!("write {shown}: {e}"));
            eprintln!("{BLESS}: wrote {shown}");
        }
        return;
    }
    let expected = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            panic!("{shown}: {e}\n(create it with {BLESS}=1; the actual output is:)\n{actual}")
        }
    };
    if expected != actual {
        let diff = similar::TextDiff::from_lines(&expected, actual)
            .unified_diff()
            .context_radius(3)
            .header(&shown, "actual")
            .to_string();
        panic!(
            "the output differs from {shown}:\n{diff}\n\
             If the change is intended, re-bless with {BLESS}=1 and review `git diff tests/golden/`."
        );
    }
}
