//! The suite's one child-process runner: re-runs `#[ignore]`d tests of the
//! calling test binary in a fresh process.
//!
//! Settings read once per process (policy, limits, dump directory), programs
//! that abort, hang or print at exit, and libtest's own verdicts are tested
//! this way. A child entry point is an `#[ignore]`d test that returns at once
//! unless [`is_child`] holds, so `cargo test -- --ignored` run by hand does
//! nothing surprising.

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Set in the environment of a child test process.
pub const CHILD_FLAG: &str = "LOCKDEP_TEST_CHILD";

/// Is this process a child started by [`ChildTest`]?
pub fn is_child() -> bool {
    std::env::var_os(CHILD_FLAG).is_some()
}

/// How long a child may run by default before it counts as hung. Not a
/// timed assertion: only a hang takes this long, and it fails the test
/// instead of blocking the suite.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// What becomes of the child's stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stderr {
    /// Read into [`ChildOutput::stderr`].
    Piped,
    /// `/dev/null`.
    Null,
    /// A pipe whose read end is closed before the child writes: every write
    /// fails with `EPIPE`.
    Closed,
}

/// A run of `#[ignore]`d tests of this test binary in a child process: with
/// `--exact --ignored --nocapture --test-threads=1`, none of this process's
/// `LOCKDEP*` variables (nor `RUST_BACKTRACE`), [`CHILD_FLAG`] set, and the
/// variables given with [`env`](Self::env).
#[must_use = "a ChildTest does nothing until run"]
pub struct ChildTest {
    tests: Vec<String>,
    env: Vec<(String, String)>,
    threads: usize,
    nocapture: bool,
    stderr: Stderr,
    timeout: Duration,
}

/// A finished child.
#[derive(Debug)]
pub struct ChildOutput {
    /// Its process id.
    pub pid: u32,
    /// How it ended.
    pub status: ExitStatus,
    /// Its standard output, lossily decoded.
    pub stdout: String,
    /// Its standard error, lossily decoded (empty unless piped).
    pub stderr: String,
}

impl ChildTest {
    /// The child test `name`.
    pub fn new(name: &str) -> ChildTest {
        ChildTest::all(&[name])
    }

    /// The child tests `names`, in one process.
    pub fn all(names: &[&str]) -> ChildTest {
        ChildTest {
            tests: names.iter().map(|n| n.to_string()).collect(),
            env: Vec::new(),
            threads: 1,
            nocapture: true,
            stderr: Stderr::Piped,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Sets `var` to `value` in the child.
    pub fn env(mut self, var: &str, value: &str) -> ChildTest {
        self.env.push((var.into(), value.into()));
        self
    }

    /// Sets each `(var, value)` in the child.
    pub fn envs(self, vars: &[(&str, &str)]) -> ChildTest {
        vars.iter().fold(self, |t, (k, v)| t.env(k, v))
    }

    /// Runs the tests on `n` libtest threads (default 1).
    pub fn threads(mut self, n: usize) -> ChildTest {
        self.threads = n;
        self
    }

    /// Lets libtest capture the tests' output (default: `--nocapture`), so
    /// that a failure's output appears in its `---- name stdout ----` section.
    pub fn captured(mut self) -> ChildTest {
        self.nocapture = false;
        self
    }

    /// Sends the child's stderr to `/dev/null`.
    pub fn stderr_null(mut self) -> ChildTest {
        self.stderr = Stderr::Null;
        self
    }

    /// Gives the child a stderr pipe that nobody reads: closed before the
    /// child writes, so every write to it fails.
    pub fn stderr_closed(mut self) -> ChildTest {
        self.stderr = Stderr::Closed;
        self
    }

    /// Kills the child as hung after `limit` (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, limit: Duration) -> ChildTest {
        self.timeout = limit;
        self
    }

    /// Runs the child to completion and checks that it ran the tests (each
    /// named on a libtest line, or `CHILD-START` printed); fails the test if
    /// the child hung.
    pub fn run(self) -> ChildOutput {
        let (tests, limit) = (self.tests.join(" "), self.timeout);
        let out = self
            .try_run()
            .unwrap_or_else(|| panic!("child {tests} hung (killed after {limit:?})"));
        for name in tests.split(' ') {
            assert!(
                out.stdout.contains(&format!("test {name} ")) || out.stdout.contains("CHILD-START"),
                "child did not run {name}:\n{}\n{}",
                out.stdout,
                out.stderr
            );
        }
        out
    }

    /// Runs the child to completion; `None` if it had to be killed after the
    /// timeout (it hung). Its output is read while it runs, so a child that
    /// prints more than a pipe holds does not block.
    pub fn try_run(self) -> Option<ChildOutput> {
        let mut cmd = Command::new(std::env::current_exe().expect("current_exe"));
        cmd.args(&self.tests)
            .args(["--exact", "--ignored"])
            .arg(format!("--test-threads={}", self.threads));
        if self.nocapture {
            cmd.arg("--nocapture");
        }
        for (var, _) in std::env::vars_os() {
            if var.to_string_lossy().starts_with("LOCKDEP") {
                cmd.env_remove(var);
            }
        }
        cmd.env_remove("RUST_BACKTRACE");
        cmd.env(CHILD_FLAG, "1");
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd.stdin(Stdio::null()).stdout(Stdio::piped());
        cmd.stderr(match self.stderr {
            Stderr::Piped | Stderr::Closed => Stdio::piped(),
            Stderr::Null => Stdio::null(),
        });
        let mut child = cmd.spawn().expect("run the child test binary");
        let pid = child.id();
        let stdout = reader(child.stdout.take());
        let stderr = reader(child.stderr.take().filter(|_| self.stderr == Stderr::Piped));
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for the child") {
                break status;
            }
            if start.elapsed() > self.timeout {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        };
        Some(ChildOutput {
            pid,
            status,
            stdout: stdout.join().expect("stdout reader"),
            stderr: stderr.join().expect("stderr reader"),
        })
    }
}

/// Reads `pipe` to its end on a thread of its own (nothing if `None`; a
/// dropped pipe is closed).
fn reader(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    })
}
