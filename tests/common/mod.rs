//! Helpers shared by the integration tests. Each test file is its own process
//! with its own global graph; tests inside a file use their own named classes
//! and look only at the reports that name them.
#![allow(dead_code)] // each test file uses a subset

use std::thread;

use lockdep::{Report, ReportKind};

/// Every report that names one of `names`, as a class on it or as a held lock.
pub fn reports_naming(names: &[&str]) -> Vec<Report> {
    lockdep::reports()
        .into_iter()
        .filter(|r| {
            r.classes().iter().any(|c| names.contains(c))
                || r.held
                    .iter()
                    .any(|l| names.contains(&l.class.name.as_str()))
        })
        .collect()
}

/// Reports of `kind` whose classes are all in `names`.
pub fn reports_for(kind: ReportKind, names: &[&str]) -> Vec<Report> {
    lockdep::reports()
        .into_iter()
        .filter(|r| r.kind == kind && r.classes().iter().all(|c| names.contains(c)))
        .collect()
}

/// Runs `f` on a new thread called `name`, waits for it and returns its
/// result; a panic in it fails the test.
pub fn run_named<T: Send>(name: &str, f: impl FnOnce() -> T + Send) -> T {
    thread::scope(|s| {
        thread::Builder::new()
            .name(name.into())
            .spawn_scoped(s, f)
            .expect("spawn")
            .join()
            .expect("thread panicked")
    })
}

/// Set in the environment of a child test process (see [`child_command`]).
pub const CHILD_FLAG: &str = "LOCKDEP_TEST_CHILD";

/// Is this process a child started by [`child_command`]? Child-only tests
/// are `#[ignore]`d and do nothing unless this holds.
pub fn is_child() -> bool {
    std::env::var_os(CHILD_FLAG).is_some()
}

/// The command that runs the `#[ignore]`d test `name` of the calling test
/// binary in a child process, with `env` and none of this process's
/// `LOCKDEP*` variables (nor `RUST_BACKTRACE`), output piped. The one child
/// runner of the suite: settings that are read once per process (policy,
/// limits, dump directory) are tested this way.
pub fn child_command(name: &str, env: &[(&str, &str)]) -> std::process::Command {
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(std::env::current_exe().expect("current_exe"));
    cmd.args([
        name,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("LOCKDEP") {
            cmd.env_remove(var);
        }
    }
    cmd.env_remove("RUST_BACKTRACE");
    cmd.env(CHILD_FLAG, "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

/// Runs [`child_command`]`(name, env)` to completion, killing it after
/// `timeout`. Returns its output, or `None` if it had to be killed (it hung).
pub fn run_child_test(
    name: &str,
    env: &[(&str, &str)],
    timeout: std::time::Duration,
) -> Option<std::process::Output> {
    let mut child = child_command(name, env)
        .spawn()
        .expect("run child test binary");
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().expect("wait for child").is_some() {
            return Some(child.wait_with_output().expect("child output"));
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(std::time::Duration::from_millis(20));
    }
}
