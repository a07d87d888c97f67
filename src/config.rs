//! Run-time configuration: the `LOCKDEP*` environment variables, the report
//! policy and the capacity limits.
//!
//! Everything here is read once, on the first lock event, into plain atomics,
//! so the hot path pays one `Relaxed` load to learn whether checking is on.
//! An invalid value prints one warning on stderr and keeps the default; it never
//! panics inside a lock operation.
//!
//! | variable | values | default |
//! |---|---|---|
//! | `LOCKDEP` | `0` / `1` | `1` (checking on) |
//! | `LOCKDEP_ON_REPORT` | `warn` (print and continue), `panic`, `abort` | `warn` |
//! | `LOCKDEP_BACKTRACE` | `0` / `1` | `1` (capture a stack per new dependency) |
//! | `LOCKDEP_MAX_CLASSES` | integer | 8192 |
//! | `LOCKDEP_MAX_EDGES` | integer | 262144 |
//! | `LOCKDEP_MAX_CHAINS` | integer | 524288 |
//! | `LOCKDEP_MAX_DEPTH` | integer (held locks per thread) | 48 |
//! | `LOCKDEP_DUMP_DIR` | directory: write `<program>-<pid>.json` there after each report and at exit (see [`dump`](mod@crate::dump)) | unset |

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

/// What the checker does after it has printed a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnReport {
    /// Print the splat to stderr and carry on (the default).
    Warn,
    /// Print the splat, then panic in the thread that triggered it (after the
    /// checker has released all of its internal state). Thread-exit reports,
    /// which fire while the thread is being torn down, only print.
    Panic,
    /// Print the splat, then abort the process.
    Abort,
}

/// Capacity limits. Reaching one prints one `capacity reached` report naming
/// the setting to raise; the checker then stops adding that kind of item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Lock classes (`LOCKDEP_MAX_CLASSES`, kernel `MAX_LOCKDEP_KEYS`).
    pub classes: usize,
    /// Dependency edges (`LOCKDEP_MAX_EDGES`, kernel `MAX_LOCKDEP_ENTRIES`).
    pub edges: usize,
    /// Cached lock chains (`LOCKDEP_MAX_CHAINS`, kernel `MAX_LOCKDEP_CHAINS`).
    pub chains: usize,
    /// Locks one thread may hold at once (`LOCKDEP_MAX_DEPTH`, kernel `MAX_LOCK_DEPTH`).
    pub depth: usize,
}

impl Limits {
    /// Sized for user space: 8192 classes and depth 48 as in the kernel;
    /// 262,144 edges and 524,288 chains (8× and 8× the kernel's: a test
    /// suite's graph outgrows a kernel's, and both tables grow on demand, so
    /// a high limit costs nothing until it is used).
    pub const DEFAULT: Limits = Limits {
        classes: 8192,
        edges: 262_144,
        chains: 524_288,
        depth: 48,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

const UNINIT: u8 = 0;
const ON: u8 = 1;
const OFF: u8 = 2;

static STATE: AtomicU8 = AtomicU8::new(UNINIT);
static POLICY: AtomicU8 = AtomicU8::new(0);
static BACKTRACE: AtomicBool = AtomicBool::new(true);
static QUIET: AtomicBool = AtomicBool::new(false);
static MAX_CLASSES: AtomicUsize = AtomicUsize::new(Limits::DEFAULT.classes);
static MAX_EDGES: AtomicUsize = AtomicUsize::new(Limits::DEFAULT.edges);
static MAX_CHAINS: AtomicUsize = AtomicUsize::new(Limits::DEFAULT.chains);
static MAX_DEPTH: AtomicUsize = AtomicUsize::new(Limits::DEFAULT.depth);

/// Is checking on? The hot path's first question: one `Relaxed` load once the
/// environment has been read. Always `false` when checking is compiled out
/// (`--cfg lockdep_off` or the feature `off`), whatever [`set_enabled`] says.
#[inline]
pub fn is_enabled() -> bool {
    if cfg!(any(lockdep_off, feature = "off")) {
        return false;
    }
    match STATE.load(Ordering::Relaxed) {
        ON => true,
        OFF => false,
        _ => init_slow(),
    }
}

/// Switches checking on or off for the whole process (the `LOCKDEP` variable
/// does the same at start-up). Locks acquired while checking was off are not
/// on any held stack, so releasing them later is not an error.
pub fn set_enabled(on: bool) {
    init_slow();
    STATE.store(if on { ON } else { OFF }, Ordering::Relaxed);
}

/// Sets what happens after a report (the `LOCKDEP_ON_REPORT` variable does the
/// same at start-up).
pub fn set_on_report(policy: OnReport) {
    init_slow();
    POLICY.store(policy as u8, Ordering::Relaxed);
}

/// The current report policy.
pub fn on_report() -> OnReport {
    init_slow();
    match POLICY.load(Ordering::Relaxed) {
        1 => OnReport::Panic,
        2 => OnReport::Abort,
        _ => OnReport::Warn,
    }
}

/// Turns stack capture on or off (`LOCKDEP_BACKTRACE`).
pub fn set_backtraces(on: bool) {
    init_slow();
    BACKTRACE.store(on, Ordering::Relaxed);
}

/// Stops printing splats (reports are still recorded and returned by
/// [`reports`](crate::reports); the policy still applies). For harnesses that
/// check reports as data, like the scenario runner.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Are splats being printed?
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

pub(crate) fn backtraces() -> bool {
    BACKTRACE.load(Ordering::Relaxed)
}

/// Sets the capacity limits. Lowering a limit below what is already in use
/// makes the next addition report `capacity reached`. The chain-cache size is
/// fixed the first time the cache is used, so set `chains` before taking any
/// lock (or through `LOCKDEP_MAX_CHAINS`).
pub fn set_limits(limits: Limits) {
    init_slow();
    MAX_CLASSES.store(limits.classes, Ordering::Relaxed);
    MAX_EDGES.store(limits.edges, Ordering::Relaxed);
    MAX_CHAINS.store(limits.chains, Ordering::Relaxed);
    MAX_DEPTH.store(limits.depth.max(1), Ordering::Relaxed);
}

/// The capacity limits in force.
pub fn limits() -> Limits {
    init_slow();
    Limits {
        classes: MAX_CLASSES.load(Ordering::Relaxed),
        edges: MAX_EDGES.load(Ordering::Relaxed),
        chains: MAX_CHAINS.load(Ordering::Relaxed),
        depth: MAX_DEPTH.load(Ordering::Relaxed),
    }
}

#[inline]
pub(crate) fn max_depth() -> usize {
    MAX_DEPTH.load(Ordering::Relaxed)
}

/// Reads the environment once. Returns whether checking is on.
#[cold]
#[inline(never)]
fn init_slow() -> bool {
    static INIT: std::sync::Once = std::sync::Once::new();
    thread_local! {
        /// Set while this thread reads the environment: a lock event from
        /// inside (an allocator built on our locks) is simply not checked,
        /// instead of re-entering the `Once` (which would deadlock).
        static READING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if READING.with(|r| r.replace(true)) {
        return false;
    }
    struct Done;
    impl Drop for Done {
        fn drop(&mut self) {
            READING.with(|r| r.set(false));
        }
    }
    let _done = Done;
    INIT.call_once(|| {
        let mut on = true;
        if let Some(v) = var("LOCKDEP") {
            match v.as_str() {
                "0" | "off" | "false" => on = false,
                "1" | "on" | "true" => {}
                _ => warn("LOCKDEP", &v, "0, 1, off, on, false or true"),
            }
        }
        if let Some(v) = var("LOCKDEP_ON_REPORT") {
            let p = match v.as_str() {
                "warn" | "print" => Some(OnReport::Warn),
                "panic" => Some(OnReport::Panic),
                "abort" => Some(OnReport::Abort),
                _ => None,
            };
            match p {
                Some(p) => POLICY.store(p as u8, Ordering::Relaxed),
                None => warn("LOCKDEP_ON_REPORT", &v, "warn (or print), panic or abort"),
            }
        }
        if let Some(v) = var("LOCKDEP_BACKTRACE") {
            match v.as_str() {
                "0" | "off" | "false" => BACKTRACE.store(false, Ordering::Relaxed),
                "1" | "on" | "true" => {}
                _ => warn("LOCKDEP_BACKTRACE", &v, "0, 1, off, on, false or true"),
            }
        }
        for (name, slot) in [
            ("LOCKDEP_MAX_CLASSES", &MAX_CLASSES),
            ("LOCKDEP_MAX_EDGES", &MAX_EDGES),
            ("LOCKDEP_MAX_CHAINS", &MAX_CHAINS),
            ("LOCKDEP_MAX_DEPTH", &MAX_DEPTH),
        ] {
            if let Some(v) = var(name) {
                match v.parse::<usize>() {
                    Ok(n) if n > 0 => slot.store(n, Ordering::Relaxed),
                    _ => warn(name, &v, "a positive integer"),
                }
            }
        }
        // Only the first initialiser decides; `set_enabled` may already have run.
        let _ = STATE.compare_exchange(
            UNINIT,
            if on { ON } else { OFF },
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    });
    STATE.load(Ordering::Relaxed) == ON
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn warn(name: &str, value: &str, expected: &str) {
    stderr(format_args!(
        "lockdep: ignoring {name}={value:?}: expected {expected}; keeping the default\n"
    ));
}

/// Writes to stderr, ignoring failure: `eprint!` panics when stderr is
/// closed or a broken pipe, and the checker must never panic inside a lock
/// operation because it could not print.
pub(crate) fn stderr(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_fmt(args);
}
