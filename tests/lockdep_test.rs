//! `#[lockdep::test]`: a test fails with the splat when its own code produced
//! a report, and a report of another test running in parallel does not fail it.
//!
//! The `fixture_*` tests are the cases: `#[ignore]`d, they run only when the
//! `check_*` tests re-run this binary as a child with `--ignored` and look at
//! libtest's verdict for each fixture.

mod common;

use std::sync::Barrier;

use common::{ChildTest, is_child};
use lockdep::{LockClass, Mutex};

/// Runs `fixtures` of this binary in one child process with `threads` test
/// threads, libtest capturing their output (so a failure's message is in its
/// `---- name stdout ----` section); returns (stdout, stderr).
fn run_fixtures(fixtures: &[&str], threads: usize) -> (String, String) {
    let out = ChildTest::all(fixtures).threads(threads).captured().run();
    (out.stdout, out.stderr)
}

/// libtest's verdict line for `name`: `ok`, `FAILED` or `ignored`.
fn verdict<'a>(stdout: &'a str, name: &str) -> &'a str {
    let prefix = format!("test {name} ... ");
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no verdict for {name} in:\n{stdout}"))
}

/// Takes `a` then `b`, then `b` then `a`: one circular report.
fn abba(a: &'static LockClass, b: &'static LockClass) {
    let x = Mutex::with_class((), a);
    let y = Mutex::with_class((), b);
    {
        let _gx = x.lock();
        let _gy = y.lock();
    }
    {
        let _gy = y.lock();
        let _gx = x.lock();
    }
}

/// Holds the two parallel fixtures together, so that the report of one is
/// raised while the other is running.
static BOTH_RUNNING: Barrier = Barrier::new(2);
static REPORTED: Barrier = Barrier::new(2);

#[lockdep::test]
#[ignore = "fixture: run by check_* tests"]
fn fixture_abba_on_test_thread() {
    if !is_child() {
        return;
    }
    static A: LockClass = LockClass::new("fixture::A");
    static B: LockClass = LockClass::new("fixture::B");
    BOTH_RUNNING.wait();
    abba(&A, &B);
    REPORTED.wait();
}

#[lockdep::test]
#[ignore = "fixture: run by check_* tests"]
fn fixture_clean_in_parallel() {
    if !is_child() {
        return;
    }
    static C: LockClass = LockClass::new("fixture::C");
    static D: LockClass = LockClass::new("fixture::D");
    let c = Mutex::with_class((), &C);
    let d = Mutex::with_class((), &D);
    BOTH_RUNNING.wait();
    {
        let _gc = c.lock();
        let _gd = d.lock();
    }
    // Stay running until the other test has raised its report.
    REPORTED.wait();
}

#[lockdep::test]
#[ignore = "fixture: run by check_* tests"]
fn fixture_abba_on_lockdep_thread() {
    static E: LockClass = LockClass::new("fixture::E");
    static F: LockClass = LockClass::new("fixture::F");
    lockdep::thread::spawn(|| abba(&E, &F)).join().unwrap();
}

#[lockdep::test]
#[ignore = "fixture: run by check_* tests"]
fn fixture_abba_on_std_thread() {
    static G: LockClass = LockClass::new("fixture::G");
    static H: LockClass = LockClass::new("fixture::H");
    std::thread::spawn(|| abba(&G, &H)).join().unwrap();
}

#[lockdep::test]
#[ignore = "fixture: run by check_* tests"]
fn fixture_result_ok() -> Result<(), String> {
    let m = Mutex::new(1);
    let v = *m.lock();
    if v == 1 { Ok(()) } else { Err("bad".into()) }
}

#[lockdep::test]
#[ignore = "fixture: run by check_* tests"]
#[should_panic(expected = "possible circular locking dependency detected")]
fn fixture_should_panic_on_report() {
    static I: LockClass = LockClass::new("fixture::I");
    static J: LockClass = LockClass::new("fixture::J");
    abba(&I, &J);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn check_report_fails_its_own_test_with_the_splat_not_the_parallel_one() {
    let (out, err) = run_fixtures(
        &["fixture_abba_on_test_thread", "fixture_clean_in_parallel"],
        2,
    );
    assert_eq!(
        verdict(&out, "fixture_abba_on_test_thread"),
        "FAILED",
        "{out}\n{err}"
    );
    assert_eq!(
        verdict(&out, "fixture_clean_in_parallel"),
        "ok",
        "{out}\n{err}"
    );
    // libtest prints the failure message: our panic with the full splat.
    let failure = out
        .split("---- fixture_abba_on_test_thread stdout ----")
        .nth(1)
        .expect("failure section");
    assert!(
        failure
            .contains("lock-order problem(s) in test `lockdep_test::fixture_abba_on_test_thread`"),
        "{failure}"
    );
    assert!(
        failure.contains("WARNING: possible circular locking dependency detected"),
        "{failure}"
    );
    assert!(
        failure.contains("fixture::A") && failure.contains("fixture::B"),
        "{failure}"
    );
    assert!(failure.contains("*** DEADLOCK ***"), "{failure}");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn check_threads_started_through_lockdep_carry_the_test() {
    // In parallel with a clean test, so only the carried scope can attribute it.
    let (out, err) = run_fixtures(&["fixture_abba_on_lockdep_thread", "fixture_result_ok"], 2);
    assert_eq!(
        verdict(&out, "fixture_abba_on_lockdep_thread"),
        "FAILED",
        "{out}\n{err}"
    );
    assert_eq!(verdict(&out, "fixture_result_ok"), "ok", "{out}\n{err}");
    assert!(
        out.contains("fixture::E") && out.contains("fixture::F"),
        "{out}"
    );
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn check_plain_std_threads_count_when_the_test_runs_alone() {
    let (out, err) = run_fixtures(&["fixture_abba_on_std_thread"], 1);
    assert_eq!(
        verdict(&out, "fixture_abba_on_std_thread"),
        "FAILED",
        "{out}\n{err}"
    );
    assert!(
        out.contains("fixture::G") && out.contains("fixture::H"),
        "{out}"
    );
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn check_result_tests_and_should_panic_keep_working() {
    let (out, err) = run_fixtures(&["fixture_result_ok", "fixture_should_panic_on_report"], 1);
    assert_eq!(verdict(&out, "fixture_result_ok"), "ok", "{out}\n{err}");
    assert_eq!(
        verdict(&out, "fixture_should_panic_on_report - should panic"),
        "ok",
        "{out}\n{err}"
    );
}

#[lockdep::test]
fn a_clean_lockdep_test_passes() {
    static K: LockClass = LockClass::new("clean::K");
    static L: LockClass = LockClass::new("clean::L");
    let k = Mutex::with_class(0, &K);
    let l = Mutex::with_class(0, &L);
    for _ in 0..3 {
        let _gk = k.lock();
        let _gl = l.lock();
    }
    // The test passes because its order was checked and found clean, not
    // because nothing was checked: the order K -> L is in the graph.
    if cfg!(not(lockdep_off)) {
        assert!(lockdep::graph().has_edge("clean::K", "clean::L"));
    }
    assert!(common::reports_naming(&["clean::K", "clean::L"]).is_empty());
}

#[test]
fn class_macro_declares_one_class_per_call_site() {
    fn make() -> &'static LockClass {
        lockdep::class!("macro::one")
    }
    assert!(std::ptr::eq(make(), make()), "one static per call site");
    let other = lockdep::class!("macro::one");
    assert!(
        !std::ptr::eq(make(), other),
        "another call site is another class"
    );
    assert_eq!(make().name(), "macro::one");
}
