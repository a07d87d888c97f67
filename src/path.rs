//! Portable source paths (vocabulary): file names as reports, class keys and
//! dumps print them, the same on every machine.

/// `file` without the machine-specific prefix of a dependency's checkout
/// (registry or git):
/// `/home/u/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/serde-1.0.0/src/lib.rs`
/// becomes `serde-1.0.0/src/lib.rs`.
pub(crate) fn portable_path(file: &str) -> &str {
    if let Some(i) = file.find("/git/checkouts/") {
        // `<repo>-<hash of its URL>/<revision>/...`: the same on every machine.
        return &file[i + "/git/checkouts/".len()..];
    }
    if let Some(i) = file.find("/registry/src/") {
        // Skip the index directory, keep `<crate>-<version>/...`.
        let rest = &file[i + "/registry/src/".len()..];
        if let Some(j) = rest.find('/') {
            return &rest[j + 1..];
        }
    }
    file
}
