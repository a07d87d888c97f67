//! The `.lds` lock-order scenario language and its runner.
//!
//! A scenario file holds cases like
//!
//! ```text
//! case ABBA_W
//! expect deadlock
//! t0: W(A) ; W(B) ; U(B) ; U(A)
//! t1: W(B) ; W(A)! ; U(A) ; U(B)
//! ```
//!
//! (see `docs/scenarios.md` for the full grammar). [`parse`] turns a file into
//! [`Case`]s or a [`ParseError`] naming the file and line; [`run_case`] runs one
//! case on a fresh checker state, each `tN:` line on its own thread (spawned and
//! joined before the next line starts), through the public [`LockMap`] API,
//! the same entry points the lock wrappers use.
//!
//! Locks a line still holds when it ends are forgotten quietly by the runner
//! (the kernel's cases leave some held), so they never produce a "thread
//! exited with locks held" report. Reports are recorded but not printed while a
//! case runs.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex as StdMutex};

use serde::Serialize;

use lockdep::report::ReportKind;
use lockdep::{LockClass, LockMap, Mode};

/// The verdict a case expects (the kernel banner it corresponds to).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No report at all.
    Ok,
    /// Possible circular locking dependency.
    Deadlock,
    /// Possible recursive locking.
    Recursive,
    /// Bad unlock balance.
    UnlockImbalance,
    /// Held lock freed (re-initialised while held).
    ReinitHeld,
    /// Nested lock was not taken.
    NestLockNotHeld,
}

impl Verdict {
    /// The spelling used in `.lds` files and the runner's output.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Deadlock => "deadlock",
            Verdict::Recursive => "recursive",
            Verdict::UnlockImbalance => "unlock-imbalance",
            Verdict::ReinitHeld => "reinit-held",
            Verdict::NestLockNotHeld => "nest-lock-not-held",
        }
    }

    /// Every verdict, in the order of the format's table.
    pub const ALL: [Verdict; 6] = [
        Verdict::Ok,
        Verdict::Deadlock,
        Verdict::Recursive,
        Verdict::UnlockImbalance,
        Verdict::ReinitHeld,
        Verdict::NestLockNotHeld,
    ];

    fn parse(s: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The verdict spelling of a report kind.
pub fn verdict_of(kind: ReportKind) -> &'static str {
    match kind {
        ReportKind::CircularDependency => "deadlock",
        ReportKind::RecursiveLocking => "recursive",
        ReportKind::BadUnlockBalance => "unlock-imbalance",
        ReportKind::HeldLockFreed => "reinit-held",
        ReportKind::NestLockNotHeld => "nest-lock-not-held",
        ReportKind::LocksHeldAtExit => "locks-held-at-exit",
        ReportKind::CapacityReached => "capacity-reached",
        ReportKind::SeqcountWriterWithoutLock => "seqcount-unserialized-writer",
        ReportKind::ConcurrentSeqcountWriters => "seqcount-concurrent-writers",
        ReportKind::BlockingLockHeldAcrossAwait => "held-across-await",
        // `ReportKind` is non-exhaustive: a kind added to the runtime reads
        // as this until it gets a spelling here (no scenario expects it).
        _ => "unknown-report",
    }
}

/// What an op does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// `W`: exclusive acquire.
    W,
    /// `R`: non-recursive shared acquire.
    R,
    /// `RR`: recursive shared acquire.
    RR,
    /// `T`: successful exclusive trylock.
    T,
    /// `TR`: successful shared trylock.
    TR,
    /// `U`: release.
    U,
    /// `INIT`: drop and re-create the object.
    Init,
}

/// A lock object: class `X` and object `k` (`X@k`; a bare `X` is `X@0`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Object {
    /// Class name.
    pub class: String,
    /// Object name within the class.
    pub object: String,
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.class, self.object)
    }
}

/// One operation of a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    /// What it does.
    pub kind: OpKind,
    /// On which object.
    pub object: Object,
    /// `/n` subclass.
    pub subclass: u8,
    /// `nest=M`.
    pub nest: Option<Object>,
    /// `!`: the first report must come here.
    pub marked: bool,
}

/// One `tN:` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// `t0`, `t1`, ...
    pub name: String,
    /// Its operations in order.
    pub ops: Vec<Op>,
}

/// One case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// `case <id>`.
    pub id: String,
    /// `expect <verdict>`.
    pub expect: Verdict,
    /// Its lines, run one after another.
    pub lines: Vec<Line>,
    /// Where the case starts: `file:line`.
    pub origin: String,
}

impl Case {
    /// The marked position `tN:K`, if any.
    pub fn expect_at(&self) -> Option<String> {
        self.lines.iter().find_map(|l| {
            l.ops
                .iter()
                .position(|o| o.marked)
                .map(|k| format!("{}:{}", l.name, k + 1))
        })
    }
}

/// A scenario file that cannot be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The file.
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses the text of a scenario file; `file` is used in error messages.
pub fn parse(file: &str, text: &str) -> Result<Vec<Case>, ParseError> {
    let err = |line: usize, message: String| ParseError {
        file: file.to_owned(),
        line,
        message,
    };
    let mut cases = Vec::new();
    let mut current: Option<(Case, usize, bool)> = None; // case, start line, saw expect
    let finish =
        |c: Option<(Case, usize, bool)>, cases: &mut Vec<Case>| -> Result<(), ParseError> {
            if let Some((case, start, saw_expect)) = c {
                if !saw_expect {
                    return Err(err(
                        start,
                        format!("case {}: `expect <verdict>` missing", case.id),
                    ));
                }
                if case.lines.is_empty() {
                    return Err(err(start, format!("case {}: no `tN:` lines", case.id)));
                }
                let marks = case
                    .lines
                    .iter()
                    .flat_map(|l| &l.ops)
                    .filter(|o| o.marked)
                    .count();
                if marks > 1 {
                    return Err(err(
                        start,
                        format!("case {}: {marks} `!` marks, at most one allowed", case.id),
                    ));
                }
                cases.push(case);
            }
            Ok(())
        };
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            finish(current.take(), &mut cases)?;
            continue;
        }
        if let Some(id) = line.strip_prefix("case ") {
            finish(current.take(), &mut cases)?;
            let id = id.trim();
            if id.is_empty() || id.contains(char::is_whitespace) {
                return Err(err(n, format!("bad case id {id:?}")));
            }
            let case = Case {
                id: id.to_owned(),
                expect: Verdict::Ok,
                lines: Vec::new(),
                origin: format!("{file}:{n}"),
            };
            current = Some((case, n, false));
            continue;
        }
        let Some((case, _, saw_expect)) = current.as_mut() else {
            return Err(err(
                n,
                format!("{line:?} outside a case (a case starts with `case <id>`)"),
            ));
        };
        if let Some(v) = line.strip_prefix("expect ") {
            let v = v.trim();
            case.expect = Verdict::parse(v).ok_or_else(|| {
                err(n, format!("unknown verdict {v:?} (ok, deadlock, recursive, unlock-imbalance, reinit-held, nest-lock-not-held)"))
            })?;
            *saw_expect = true;
            continue;
        }
        let Some((name, ops)) = line.split_once(':') else {
            return Err(err(
                n,
                format!("expected `case`, `expect` or `tN: ops`, found {line:?}"),
            ));
        };
        let name = name.trim();
        if !(name.starts_with('t')
            && name.len() > 1
            && name[1..].bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(err(
                n,
                format!("bad line name {name:?} (expected t0, t1, ...)"),
            ));
        }
        let ops = ops
            .split(';')
            .map(|op| parse_op(op.trim()).map_err(|m| err(n, format!("{m} in {:?}", op.trim()))))
            .collect::<Result<Vec<_>, _>>()?;
        case.lines.push(Line {
            name: name.to_owned(),
            ops,
        });
    }
    finish(current.take(), &mut cases)?;
    Ok(cases)
}

fn parse_op(s: &str) -> Result<Op, String> {
    let (s, marked) = match s.strip_suffix('!') {
        Some(rest) => (rest.trim_end(), true),
        None => (s, false),
    };
    let open = s.find('(').ok_or("missing `(`")?;
    let body = s[open + 1..]
        .strip_suffix(')')
        .ok_or("unbalanced parenthesis")?;
    if body.contains('(') || body.contains(')') {
        return Err("unbalanced parenthesis".into());
    }
    let kind = match &s[..open] {
        "W" => OpKind::W,
        "R" => OpKind::R,
        "RR" => OpKind::RR,
        "T" => OpKind::T,
        "TR" => OpKind::TR,
        "U" => OpKind::U,
        "INIT" => OpKind::Init,
        other => return Err(format!("unknown op {other:?} (W, R, RR, T, TR, U, INIT)")),
    };
    let mut parts = body.split_whitespace();
    let target = parts.next().ok_or("missing lock name")?;
    let mut nest = None;
    for extra in parts {
        let m = extra
            .strip_prefix("nest=")
            .ok_or_else(|| format!("unexpected {extra:?} (only `nest=M`)"))?;
        nest = Some(parse_object(m)?.0);
    }
    let (object, subclass) = parse_object(target)?;
    if matches!(kind, OpKind::U | OpKind::Init) && (subclass != 0 || nest.is_some()) {
        return Err("U and INIT name the object only".into());
    }
    Ok(Op {
        kind,
        object,
        subclass,
        nest,
        marked,
    })
}

fn parse_object(s: &str) -> Result<(Object, u8), String> {
    let (s, subclass) = match s.split_once('/') {
        Some((o, sub)) => {
            let n: u8 = sub.parse().map_err(|_| format!("bad subclass {sub:?}"))?;
            if n > 7 {
                return Err(format!("subclass {n} out of range 0..=7"));
            }
            (o, n)
        }
        None => (s, 0),
    };
    let (class, object) = s.split_once('@').unwrap_or((s, "0"));
    let ok = |x: &str| !x.is_empty() && x.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok(class) || !ok(object) {
        return Err(format!("bad lock name {s:?}"));
    }
    Ok((
        Object {
            class: class.to_owned(),
            object: object.to_owned(),
        },
        subclass,
    ))
}

/// The result of running one case (one JSON line of the runner's output).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Case id.
    pub case: String,
    /// Expected verdict.
    pub expect: String,
    /// Verdict of the first report (`ok` if none).
    pub got: String,
    /// Marked position, if any.
    pub expect_at: Option<String>,
    /// Position of the first report, if any.
    pub at: Option<String>,
    /// Did the case pass?
    pub pass: bool,
}

/// One class per name across all cases of a run (classes are never freed).
fn class_named(name: &str) -> &'static LockClass {
    static CLASSES: StdMutex<Option<HashMap<String, &'static LockClass>>> = StdMutex::new(None);
    let mut map = CLASSES.lock().unwrap_or_else(|e| e.into_inner());
    map.get_or_insert_with(HashMap::new)
        .entry(name.to_owned())
        .or_insert_with(|| LockClass::new_dynamic(name))
}

type Objects = StdMutex<HashMap<Object, Arc<LockMap>>>;

fn object(objects: &Objects, o: &Object) -> Arc<LockMap> {
    let mut map = objects.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(o.clone())
        .or_insert_with(|| Arc::new(LockMap::with_class(class_named(&o.class))))
        .clone()
}

/// Runs one case on a fresh checker state (this calls [`lockdep::reset`]: do not
/// run cases concurrently with other lock activity in the process).
pub fn run_case(case: &Case) -> Outcome {
    lockdep::reset();
    let quiet = lockdep::config::quiet();
    lockdep::config::set_quiet(true);
    let objects: Objects = StdMutex::new(HashMap::new());
    let mut first: Option<(String, String)> = None;
    for line in &case.lines {
        let found = std::thread::scope(|s| {
            std::thread::Builder::new()
                .name(line.name.clone())
                .spawn_scoped(s, || run_line(line, &objects))
                .expect("spawn scenario thread")
                .join()
                .unwrap_or(None)
        });
        if first.is_none() {
            first = found;
        }
    }
    lockdep::config::set_quiet(quiet);
    let got = first.as_ref().map_or("ok".to_owned(), |(v, _)| v.clone());
    let at = first.map(|(_, at)| at);
    let expect_at = case.expect_at();
    let pass = got == case.expect.as_str() && (expect_at.is_none() || expect_at == at);
    Outcome {
        case: case.id.clone(),
        expect: case.expect.as_str().to_owned(),
        got,
        expect_at,
        at,
        pass,
    }
}

/// Runs one line; returns the verdict and position of the first report it raised.
fn run_line(line: &Line, objects: &Objects) -> Option<(String, String)> {
    let mut first = None;
    for (k, op) in line.ops.iter().enumerate() {
        let before = lockdep::report::count();
        let map = object(objects, &op.object);
        let nest = op.nest.as_ref().map(|n| object(objects, n));
        match op.kind {
            OpKind::W => drop(map.lock(Mode::Exclusive, op.subclass, nest.as_deref())),
            OpKind::R => drop(map.lock(Mode::Read, op.subclass, nest.as_deref())),
            OpKind::RR => drop(map.lock(Mode::RecursiveRead, op.subclass, nest.as_deref())),
            OpKind::T => drop(map.lock_try(Mode::Exclusive, op.subclass)),
            OpKind::TR => drop(map.lock_try(Mode::Read, op.subclass)),
            OpKind::U => map.unlock(),
            OpKind::Init => {
                drop(map);
                let old = objects
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&op.object);
                drop(old); // the last reference: dropped on this thread
            }
        }
        if first.is_none() && lockdep::report::count() > before {
            let kind = lockdep::report::reports()[before].kind;
            first = Some((
                verdict_of(kind).to_owned(),
                format!("{}:{}", line.name, k + 1),
            ));
        }
    }
    // Forget quietly whatever the line still holds: releasing leftovers one
    // by one in some order could itself be an out-of-order release (which
    // re-acquires, and may report) and would de-duplicate a later report.
    lockdep::__private::forget_held();
    first
}
