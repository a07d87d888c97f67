//! The kernel's own locking self-test matrix (`lib/locking-selftest.c`), 90
//! cases, run through the scenario runner: every case must give the kernel's
//! verdict (report kind) at the marked operation.

use lockdep_scenario::{Verdict, parse, run_case};

const FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/scenarios/kernel-selftests.lds"
);

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn all_90_kernel_selftests_pass() {
    let text = std::fs::read_to_string(FILE).expect("read kernel-selftests.lds");
    let cases = parse(FILE, &text).expect("kernel-selftests.lds parses");
    assert_eq!(cases.len(), 90, "the matrix has 90 cases");
    let failed: Vec<_> = cases.iter().map(run_case).filter(|o| !o.pass).collect();
    assert!(failed.is_empty(), "failing cases: {failed:#?}");
    // The matrix exercises every verdict.
    for v in Verdict::ALL {
        assert!(
            cases.iter().any(|c| c.expect == v),
            "no case expects {}",
            v.as_str()
        );
    }
}
