//! Runs a [`Program`] through the real checker's public event API
//! ([`LockMap`]), the way `lockdep::scenario::run_case` does: fresh checker
//! state, each line on its own thread, joined before the next starts.
//!
//! Differences from `run_case`, both on purpose: the first report also gives
//! its classes (`Report::classes`), and a line's leftover locks are released
//! in reverse held order (newest first), so the clean-up never releases out
//! of order and can never raise a report itself (`run_case` releases in
//! reverse order of the ops that touched them, which can). The clean-up is
//! checked: a report raised by it fails the run.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use lockdep::{LockClass, LockMap, Mode, ReportKind};

use super::program::{Obj, OpKind, Pos, Program};

/// The real checker's first report, in the oracle's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Real {
    /// `.lds` verdict word of the report kind.
    pub verdict: String,
    /// Where it fired.
    pub at: Pos,
    /// `Report::classes()`: the printed node names (`B`, `B/1`).
    pub classes: Vec<String>,
}

/// One class per name, made once (classes are never freed; `reset` empties
/// the graph, the chain cache and the reports, so a reused class is a fresh
/// node with no edges).
fn class_named(name: &str) -> &'static LockClass {
    static POOL: OnceLock<Mutex<HashMap<String, &'static LockClass>>> = OnceLock::new();
    let mut pool = POOL
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    pool.entry(name.to_owned())
        .or_insert_with(|| LockClass::new_dynamic(name))
}

/// The `.lds` verdict word of a report kind (the kind's name if it has none).
fn verdict_of(kind: ReportKind) -> String {
    match kind {
        ReportKind::CircularDependency => "deadlock",
        ReportKind::RecursiveLocking => "recursive",
        ReportKind::BadUnlockBalance => "unlock-imbalance",
        ReportKind::HeldLockFreed => "reinit-held",
        ReportKind::NestLockNotHeld => "nest-lock-not-held",
        other => return format!("{other:?}"),
    }
    .to_owned()
}

/// The program's lock objects, made on first use (`INIT` removes one).
type Objects = HashMap<Obj, Arc<LockMap>>;

/// Runs `p` on a fresh checker; returns its first report (`None`: no report).
/// Stops at the first report, like the kernel. The checker state is global: call under `common::serial()`
/// (one program at a time in this process).
pub fn run(p: &Program) -> Option<Real> {
    static SETUP: std::sync::Once = std::sync::Once::new();
    SETUP.call_once(|| {
        // A program makes at most 60 chains (6 lines of 10 ops); `reset`
        // clears the whole chain table, which at the default 65,536 chains
        // (131,072 slots) costs more than running the program. The size is
        // fixed on first use: set it before any lock event.
        lockdep::set_limits(lockdep::Limits {
            chains: 1024,
            ..lockdep::Limits::DEFAULT
        });
        lockdep::set_quiet(true);
        // Traces are not compared; capturing them is the slowest part of a
        // new edge.
        lockdep::config::set_backtraces(false);
    });
    lockdep::reset();
    let mut objects: Objects = HashMap::new();
    for (l, ops) in p.lines.iter().enumerate() {
        let name = format!("t{l}");
        let found = crate::common::run_named(&name, || run_line(p, l, ops, &mut objects));
        if found.is_some() {
            return found;
        }
    }
    None
}

/// Runs line `l` on the current thread; returns its first report, if any.
fn run_line(
    p: &Program,
    l: usize,
    ops: &[super::program::Op],
    objects: &mut Objects,
) -> Option<Real> {
    let get = |objects: &mut Objects, o: Obj| -> Arc<LockMap> {
        objects
            .entry(o)
            .or_insert_with(|| {
                Arc::new(LockMap::with_class(class_named(
                    &p.class_names[o.class as usize],
                )))
            })
            .clone()
    };
    // This line's held objects, bottom to top (mirrors the checker's stack).
    let mut held: Vec<Obj> = Vec::new();
    let mut first = None;
    for (k, op) in ops.iter().enumerate() {
        let before = lockdep::report::count();
        let map = get(objects, op.obj);
        let nest = op.nest.map(|n| get(objects, n));
        let nest = nest.as_deref();
        let pushed = match op.kind {
            OpKind::W => map.lock(Mode::Exclusive, op.sub, nest),
            OpKind::R => map.lock(Mode::Read, op.sub, nest),
            OpKind::RR => map.lock(Mode::RecursiveRead, op.sub, nest),
            OpKind::T => map.lock_try(Mode::Exclusive, op.sub),
            OpKind::TR => map.lock_try(Mode::Read, op.sub),
            OpKind::U => {
                map.unlock();
                if let Some(i) = held.iter().rposition(|&h| h == op.obj) {
                    held.remove(i);
                }
                false
            }
            OpKind::Init => {
                drop(map);
                held.retain(|&h| h != op.obj);
                drop(objects.remove(&op.obj)); // the last reference
                false
            }
        };
        if pushed {
            held.push(op.obj);
        }
        let reports = lockdep::reports();
        if let Some(r) = reports.get(before) {
            first = Some(Real {
                verdict: verdict_of(r.kind),
                at: Pos { line: l, op: k },
                classes: r.classes().into_iter().map(str::to_owned).collect(),
            });
            break;
        }
    }
    let before = lockdep::report::count();
    for o in held.iter().rev() {
        get(objects, *o).unlock();
    }
    if first.is_none() {
        let after = lockdep::reports();
        assert!(
            after.len() == before,
            "releasing the leftover locks newest-first raised a report: {:?}",
            after.get(before)
        );
    }
    first
}

impl Real {
    /// The report's node names as a set.
    pub fn class_set(&self) -> BTreeSet<String> {
        self.classes.iter().cloned().collect()
    }
}
