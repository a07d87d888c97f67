//! Locks built inside the standard library (`Arc::default()`, `Box::default()`
//! and the `#[derive(Default)]` fields that go through them) get the user's
//! construction site as their class, not a line of `library/alloc`.
// Every test here asserts what the checker records: compiled out
// (`--cfg lockdep_off`) there is nothing to assert.
#![cfg(not(lockdep_off))]

use std::sync::Arc;

use lockdep::OnceLock;

/// `Type @ tests/std_sites.rs:line:` for a lock built on `line` of this file.
fn named_after(ty: &str, line: u32) -> String {
    format!("{ty} @ {}:{line}:", file!())
}

#[test]
fn cells_built_by_arc_default_on_two_lines_are_two_classes() {
    let a: Arc<OnceLock<Vec<u8>>> = Default::default();
    let line_a = line!() - 1;
    let b: Arc<OnceLock<Vec<u8>>> = Default::default();
    let line_b = line!() - 1;
    let (ca, cb) = (a.lock_map().class_name(), b.lock_map().class_name());
    assert!(
        ca.starts_with(&named_after("OnceLock<Vec<u8>>", line_a)),
        "{ca}"
    );
    assert!(
        cb.starts_with(&named_after("OnceLock<Vec<u8>>", line_b)),
        "{cb}"
    );
    assert_ne!(ca, cb);
}

#[test]
fn many_cells_built_at_one_line_share_its_class() {
    let cells: Vec<Arc<OnceLock<u16>>> = (0..100).map(|_| Arc::default()).collect();
    let line = line!() - 1;
    let boxed: Box<OnceLock<u16>> = Box::default();
    let boxed_line = line!() - 1;
    let first = cells[0].lock_map().class_name();
    assert!(
        first.starts_with(&named_after("OnceLock<u16>", line)),
        "{first}"
    );
    assert!(cells.iter().all(|c| c.lock_map().class_name() == first));
    let b = boxed.lock_map().class_name();
    assert!(
        b.starts_with(&named_after("OnceLock<u16>", boxed_line)),
        "{b}"
    );
}

/// A `#[derive(Default)]` struct built through `Arc::default()`: each field's
/// lock is named after the line that builds the struct.
#[test]
fn derived_default_fields_through_arc() {
    #[derive(Default)]
    struct Registry {
        names: lockdep::LazyLock<Vec<String>>,
        ready: lockdep::Once,
    }
    let r: Arc<Registry> = Arc::default();
    let line = line!() - 1;
    let names = lockdep::LazyLock::lock_map(&r.names).class_name();
    assert!(!names.contains("library/"), "{names}");
    // `Registry::default` (derived, user code) calls the fields' defaults, so
    // their site is the derive's, in this file, whoever builds the struct.
    assert!(names.contains(file!()), "{names} (built on line {line})");
    assert!(r.ready.lock_map().class_name().contains(file!()));
}

/// The same for `lockdep::Mutex` (its `Default` and `From` resolve the site
/// at run time; see docs/semantics.md, "Locks built by the standard
/// library").
#[test]
fn mutexes_built_by_arc_default_on_two_lines_are_two_classes() {
    let a: Arc<lockdep::Mutex<Vec<u8>>> = Default::default();
    let line_a = line!() - 1;
    let b: Arc<lockdep::Mutex<Vec<u8>>> = Default::default();
    let line_b = line!() - 1;
    let (ca, cb) = (a.lock_map().class_name(), b.lock_map().class_name());
    assert!(
        ca.starts_with(&named_after("Mutex<Vec<u8>>", line_a)),
        "{ca}"
    );
    assert!(
        cb.starts_with(&named_after("Mutex<Vec<u8>>", line_b)),
        "{cb}"
    );
}
