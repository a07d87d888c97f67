//! The report store and the dispatcher: each new report is de-duplicated,
//! symbolised, handed to the installed [`Sink`]s, stored, and the
//! [`OnReport`] policy applied, all after every internal lock of the engine
//! has been released.
//!
//! The outputs are sinks, installed once at start-up (`engine::start`, the
//! first lock event of the process), the way tracing's callsites reach
//! output only through a dispatcher: the stderr splat writer ([`Stderr`],
//! here), the `LOCKDEP_DUMP_DIR` writer (`dump`) and `#[lockdep::test]`
//! attribution (`testing`). The store never names them.

use std::collections::HashSet;
use std::sync::{LazyLock, OnceLock};

use parking_lot::Mutex as RawMutex;

use super::{Pending, Report, ReportKind, now};
use crate::config::{self, OnReport};
use crate::engine::held;
use crate::trace;

/// An output of reports.
pub(crate) trait Sink: Sync {
    /// Fills in what the sink knows about a new report, before it is
    /// rendered and stored (attribution names the running test).
    fn annotate(&self, _report: &mut Report) {}
    /// A new report was stored; `splat` is its text.
    fn stored(&self, _report: &Report, _splat: &str) {}
}

/// The sinks, in order: installed once by [`install`].
static SINKS: OnceLock<&'static [&'static dyn Sink]> = OnceLock::new();

/// Installs the sinks (the first call wins: start-up runs once).
pub(crate) fn install(sinks: &'static [&'static dyn Sink]) {
    let _ = SINKS.set(sinks);
}

fn installed() -> &'static [&'static dyn Sink] {
    SINKS.get().copied().unwrap_or(&[])
}

/// The stderr splat writer: prints each new report unless quiet.
pub(crate) struct Stderr;

impl Sink for Stderr {
    fn stored(&self, _report: &Report, splat: &str) {
        if !config::quiet() {
            config::stderr(format_args!("{splat}"));
        }
    }
}

#[derive(Default)]
struct Store {
    reports: Vec<Report>,
    seen: HashSet<String>,
}

/// Reports so far and the de-duplication set. An internal, uninstrumented lock.
static STORE: LazyLock<RawMutex<Store>> = LazyLock::new(Default::default);

/// Every report raised so far in this process (since the last [`crate::reset`]).
pub fn reports() -> Vec<Report> {
    STORE.lock().reports.clone()
}

/// Number of reports so far (cheaper than [`reports`]).
pub fn count() -> usize {
    STORE.lock().reports.len()
}

pub(crate) fn clear() {
    *STORE.lock() = Store::default();
}

/// Dedups, symbolises, stores, prints and applies the policy. Must be called
/// with no internal lock held and the held stack not borrowed.
#[cold]
#[inline(never)]
pub(crate) fn dispatch(pending: Vec<Pending>) {
    // Inside the checker while storing, printing, dumping and attributing:
    // a lock taken by anything this calls (an allocator, a `Display` impl,
    // the dump writer) goes straight to the raw lock. (`None`: the caller is
    // already inside.)
    let inside = held::enter();
    let mut first_text = None;
    for Pending { mut report, traces } in pending {
        if !STORE.lock().seen.insert(report.fingerprint()) {
            continue;
        }
        for (entry, raw) in report.chain.iter_mut().zip(traces) {
            if let Some(raw) = raw {
                entry.stack = raw.symbols().to_vec();
            }
        }
        if config::backtraces() {
            report.stack = trace::current();
        }
        if let Some(last) = report.chain.last_mut()
            && last.stack.is_empty()
        {
            last.stack = report.stack.clone();
        }
        report.time = now();
        let sinks = installed();
        for sink in sinks {
            sink.annotate(&mut report);
        }
        let text = report.splat();
        let kind = report.kind;
        STORE.lock().reports.push(report.clone());
        for sink in sinks {
            sink.stored(&report, &text);
        }
        // A thread-exit report fires in a thread-local destructor, where a
        // panic would abort the process: it only prints (documented).
        if report_kind_can_panic(kind) {
            first_text.get_or_insert(text);
        }
    }
    drop(inside);
    let Some(text) = first_text else { return };
    match config::on_report() {
        OnReport::Warn => {}
        OnReport::Abort => std::process::abort(),
        OnReport::Panic => {
            if !std::thread::panicking() {
                panic!("lockdep: {}", text.trim_start());
            }
        }
    }
}

fn report_kind_can_panic(kind: ReportKind) -> bool {
    kind != ReportKind::LocksHeldAtExit
}
