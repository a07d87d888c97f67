//! What happens after a report: `LOCKDEP_ON_REPORT=warn|panic|abort`,
//! `LOCKDEP=0`, and their programmatic counterparts.
//!
//! The policy is process-wide and read once, so each case re-runs this test
//! binary as a child process (`common::ChildTest`) with the environment under
//! test. The `child_*` tests are the children's entry points: they are
//! `#[ignore]`d and do nothing unless `common::is_child()`.

mod common;

use common::child::ChildOutput;
use common::{ChildTest, is_child};
use lockdep::{LockClass, Mutex, OnReport, ReportKind};

const TITLE: &str = "WARNING: possible circular locking dependency detected";

/// Runs the ignored test `name` of this binary in a child process with
/// `env`; it must really have run the named test.
fn run_child(name: &str, env: &[(&str, &str)]) -> ChildOutput {
    ChildTest::new(name).envs(env).run()
}

/// ABBA on this thread; prints progress markers on stdout.
fn abba() {
    static A: LockClass = LockClass::new("policy::A");
    static B: LockClass = LockClass::new("policy::B");
    let a = Mutex::with_class(0u32, &A);
    let b = Mutex::with_class(0u32, &B);
    println!("CHILD-START");
    {
        let _ga = a.lock();
        let _gb = b.lock();
    }
    {
        let _gb = b.lock();
        let mut ga = a.lock();
        *ga = 1;
    }
    println!("CHILD-AFTER-ABBA value={}", *a.lock());
    let reports = lockdep::reports();
    println!("CHILD-REPORTS={}", reports.len());
    for r in &reports {
        println!("CHILD-REPORT {:?} {}", r.kind, r.classes().join(","));
    }
}

// ===== child entry points =====

#[test]
#[ignore = "child process entry point, run by the policy tests"]
fn child_abba() {
    if is_child() {
        abba();
    }
}

#[test]
#[ignore = "child process entry point, run by the policy tests"]
fn child_programmatic_panic() {
    if !is_child() {
        return;
    }
    lockdep::set_on_report(OnReport::Panic);
    assert_eq!(lockdep::config::on_report(), OnReport::Panic);
    let caught = std::panic::catch_unwind(abba).expect_err("the report must panic");
    let msg = caught
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| caught.downcast_ref::<&str>().map(|s| s.to_string()))
        .expect("panic message is a string");
    assert!(msg.starts_with("lockdep: "), "{msg}");
    assert!(msg.contains(TITLE), "{msg}");
    // The report was recorded before the panic.
    let reports = lockdep::reports();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].kind, ReportKind::CircularDependency);
    assert_eq!(reports[0].classes(), ["policy::B", "policy::A"]);
    println!("CHILD-CAUGHT");
}

#[test]
#[ignore = "child process entry point, run by the policy tests"]
fn child_programmatic_disable() {
    if !is_child() {
        return;
    }
    lockdep::set_enabled(false);
    assert!(!lockdep::is_enabled());
    abba();
}

#[test]
#[ignore = "child process entry point, run by the policy tests"]
fn child_quiet() {
    if !is_child() {
        return;
    }
    lockdep::config::set_quiet(true);
    abba();
}

// ===== the parent tests =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn panic_policy_fails_the_program_at_the_report() {
    let out = run_child("child_abba", &[("LOCKDEP_ON_REPORT", "panic")]);
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert!(!out.status.success(), "child must fail\n{stdout}\n{stderr}");
    assert!(
        stderr.contains("possible circular locking dependency detected"),
        "{stderr}"
    );
    assert!(stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("lockdep: "), "{stderr}");
    assert!(stdout.contains("CHILD-START"), "{stdout}");
    assert!(
        !stdout.contains("CHILD-AFTER-ABBA"),
        "the panic stops the program: {stdout}"
    );
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn warn_policy_prints_and_continues() {
    let out = run_child("child_abba", &[("LOCKDEP_ON_REPORT", "warn")]);
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert!(out.status.success(), "child must pass\n{stdout}\n{stderr}");
    assert_eq!(stderr.matches(TITLE).count(), 1, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stdout.contains("CHILD-AFTER-ABBA value=1"), "{stdout}");
    assert!(stdout.contains("CHILD-REPORTS=1"), "{stdout}");
    assert!(
        stdout.contains("CHILD-REPORT CircularDependency policy::B,policy::A"),
        "{stdout}"
    );
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn default_policy_is_warn() {
    let out = run_child("child_abba", &[]);
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(stderr.matches(TITLE).count(), 1, "{stderr}");
    assert!(stdout.contains("CHILD-REPORTS=1"), "{stdout}");
}

#[test]
fn lockdep_0_disables_checking() {
    let out = run_child(
        "child_abba",
        &[("LOCKDEP", "0"), ("LOCKDEP_ON_REPORT", "panic")],
    );
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        !stderr.contains("WARNING:"),
        "no splat when disabled: {stderr}"
    );
    assert!(!stderr.contains("lockdep"), "{stderr}");
    assert!(stdout.contains("CHILD-AFTER-ABBA value=1"), "{stdout}");
    assert!(stdout.contains("CHILD-REPORTS=0"), "{stdout}");
}

#[cfg(unix)]
#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn abort_policy_aborts_the_process() {
    use std::os::unix::process::ExitStatusExt;
    let out = run_child("child_abba", &[("LOCKDEP_ON_REPORT", "abort")]);
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert_eq!(
        out.status.signal(),
        Some(6),
        "SIGABRT expected: {:?}\n{stderr}",
        out.status
    );
    assert!(
        stderr.contains(TITLE),
        "the splat is printed before aborting: {stderr}"
    );
    assert!(!stdout.contains("CHILD-AFTER-ABBA"), "{stdout}");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn unknown_policy_value_warns_and_keeps_the_default() {
    let out = run_child("child_abba", &[("LOCKDEP_ON_REPORT", "explode")]);
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("lockdep: ignoring LOCKDEP_ON_REPORT=\"explode\""),
        "{stderr}"
    );
    assert!(stdout.contains("CHILD-REPORTS=1"), "{stdout}");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn set_on_report_panic_makes_the_report_a_catchable_panic() {
    let out = run_child("child_programmatic_panic", &[]);
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("CHILD-CAUGHT"), "{stdout}");
    assert!(!stdout.contains("CHILD-AFTER-ABBA"), "{stdout}");
}

#[test]
fn set_enabled_false_disables_checking() {
    let out = run_child(
        "child_programmatic_disable",
        &[("LOCKDEP_ON_REPORT", "panic")],
    );
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(!stderr.contains("WARNING:"), "{stderr}");
    assert!(stdout.contains("CHILD-REPORTS=0"), "{stdout}");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn quiet_records_reports_without_printing() {
    let out = run_child("child_quiet", &[]);
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(!stderr.contains("WARNING:"), "{stderr}");
    assert!(stdout.contains("CHILD-REPORTS=1"), "{stdout}");
}

#[test]
#[ignore = "child process entry point, run by the policy tests"]
fn child_exit_with_lock_held() {
    if !is_child() {
        return;
    }
    static MAP: lockdep::LockMap = lockdep::LockMap::new("policy::held-at-exit");
    println!("CHILD-START");
    let joined = std::thread::Builder::new()
        .name("leaky".into())
        .spawn(|| {
            MAP.lock(lockdep::Mode::Exclusive, 0, None);
        })
        .unwrap()
        .join();
    println!("CHILD-JOINED ok={}", joined.is_ok());
    println!("CHILD-REPORTS={}", lockdep::reports().len());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn warn_policy_reports_locks_held_at_thread_exit() {
    let out = run_child(
        "child_exit_with_lock_held",
        &[("LOCKDEP_ON_REPORT", "warn")],
    );
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("WARNING: leaky/"), "{stderr}");
    assert!(stderr.contains(" still has locks held!"), "{stderr}");
    assert!(stdout.contains("CHILD-JOINED ok=true"), "{stdout}");
    assert!(stdout.contains("CHILD-REPORTS=1"), "{stdout}");
}

/// Under the panic policy the locks-held-at-exit report is raised from the
/// held stack's thread-local destructor; panicking there makes the runtime
/// abort the whole process ("fatal runtime error: thread local panicked on
/// drop, aborting"), so `panic` silently behaves like `abort` and the
/// exiting thread's `join()` never gets to return.
#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn panic_policy_at_thread_exit_does_not_abort_the_process() {
    let out = run_child(
        "child_exit_with_lock_held",
        &[("LOCKDEP_ON_REPORT", "panic")],
    );
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert!(stderr.contains(" still has locks held!"), "{stderr}");
    assert!(!stderr.contains("fatal runtime error"), "{stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_ne!(out.status.signal(), Some(6), "aborted: {stderr}");
    }
    // The parent of the exiting thread gets to observe the outcome.
    assert!(stdout.contains("CHILD-JOINED"), "{stdout}\n{stderr}");
}

#[test]
#[ignore = "child process entry point, run by the policy tests"]
fn child_reset() {
    if !is_child() {
        return;
    }
    abba();
    assert_eq!(lockdep::reports().len(), 1);
    assert!(lockdep::graph().has_edge("policy::A", "policy::B"));
    lockdep::reset();
    assert!(lockdep::reports().is_empty());
    assert!(lockdep::graph().edges.is_empty());
    // A fresh graph and a fresh de-duplication set: the same ABBA is found again.
    abba();
    let reports = lockdep::reports();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].classes(), ["policy::B", "policy::A"]);
    println!("CHILD-RESET-OK");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn reset_forgets_graph_and_reports() {
    let out = run_child("child_reset", &[]);
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("CHILD-RESET-OK"), "{stdout}");
    assert_eq!(stderr.matches(TITLE).count(), 2, "{stderr}");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn backtrace_off_says_so_in_the_splat() {
    let out = run_child("child_abba", &[("LOCKDEP_BACKTRACE", "0")]);
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("\nstack backtrace:\n (stack capture off: LOCKDEP_BACKTRACE=0)\n"),
        "{stderr}"
    );
    // No frames anywhere: chain entries carry only their location line.
    assert!(!stderr.contains("policy::abba ("), "{stderr}");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn backtrace_on_shows_user_frames() {
    let out = run_child("child_abba", &[]);
    let stderr = &out.stderr;
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("\nstack backtrace:\n policy::abba ("),
        "{stderr}"
    );
}
