//! Compile-time behaviour of the macros: wrong uses fail with a clear message
//! (the expected compiler output is in `tests/ui/*.stderr`; regenerate with
//! `TRYBUILD=overwrite cargo test -p lockdep-macros --test ui` after a deliberate change).

#[test]
fn macros_reject_wrong_use_with_clear_messages() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/test_*.rs");
    t.compile_fail("tests/ui/classes_*.rs");
    t.compile_fail("tests/ui/class_not_literal.rs");
    t.compile_fail("tests/ui/class_empty.rs");
    t.compile_fail("tests/ui/class_no_args.rs");
    t.pass("tests/ui/class_ok.rs");
}
