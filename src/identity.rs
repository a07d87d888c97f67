//! Thread and process identity (vocabulary): how reports and dumps name the
//! thread and the process a lock event happened in.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use serde::{Deserialize, Serialize};

/// A thread as reports name it: `name/id`, and, when it was running an
/// async task, `task#17(name) on name/id` (docs/async.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadInfo {
    /// The thread's name, or `<unnamed>`.
    pub name: String,
    /// The thread's number: unique within the process, never reused, in the
    /// order threads first used a lock (lockdep's own counter).
    pub id: u64,
    /// The async task the thread was running (absent from dumps when none,
    /// and in dumps written before tasks were named).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskInfo>,
}

/// An async task as reports name it: `task#17(fetch)` (docs/async.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskInfo {
    /// tokio's task id when the task is a tokio task, else lockdep's own
    /// number for an instrumented future polled outside tokio (then
    /// `tokio` is false).
    pub id: u64,
    /// Whether `id` is tokio's task id.
    pub tokio: bool,
    /// The name given with `lockdep::task::Builder::name` or
    /// `Instrument::lockdep_named`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl std::fmt::Display for TaskInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hash = if self.tokio { "#" } else { "#lockdep-" };
        write!(f, "task{hash}{}", self.id)?;
        match &self.name {
            Some(name) => write!(f, "({name})"),
            None => Ok(()),
        }
    }
}

impl ThreadInfo {
    /// The calling thread.
    pub fn current() -> ThreadInfo {
        let t = std::thread::current();
        ThreadInfo {
            name: t.name().unwrap_or("<unnamed>").to_owned(),
            id: thread_id(),
            task: None,
        }
    }
}

impl std::fmt::Display for ThreadInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(task) = &self.task {
            write!(f, "{task} on ")?;
        }
        write!(f, "{}/{}", self.name, self.id)
    }
}

/// A process as reports and dumps name it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProcessInfo {
    /// The program: the executable's file name, without the `-<hash>` suffix
    /// cargo gives test binaries (`abba-1a2b3c4d5e6f7a8b` → `abba`).
    pub program: String,
    /// The process id.
    pub pid: u32,
}

impl ProcessInfo {
    /// This process.
    pub fn current() -> ProcessInfo {
        static CURRENT: LazyLock<ProcessInfo> = LazyLock::new(|| ProcessInfo {
            program: program_name(),
            pid: std::process::id(),
        });
        CURRENT.clone()
    }
}

impl std::fmt::Display for ProcessInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[{}]", self.program, self.pid)
    }
}

/// The executable's stem, minus cargo's `-<16 hex digits>` suffix.
fn program_name() -> String {
    let exe = std::env::current_exe().ok();
    let stem = exe
        .as_deref()
        .and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| String::from("unknown"));
    match stem.rsplit_once('-') {
        Some((base, hash))
            if !base.is_empty()
                && hash.len() == 16
                && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            base.to_owned()
        }
        _ => stem,
    }
}

/// This thread's number: unique in the process, never reused, never 0,
/// assigned on first use (our own counter: std's `ThreadId` has no stable
/// numeric accessor).
pub(crate) fn thread_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static ID: Cell<u64> = const { Cell::new(0) };
    }
    ID.try_with(|t| {
        if t.get() == 0 {
            t.set(NEXT.fetch_add(1, Ordering::Relaxed));
        }
        t.get()
    })
    .unwrap_or(u64::MAX)
}

// The async task a thread is running (set by `crate::task` for the length of
// an instrumented poll): identity, so that the held stack, below the task
// layer, can name it in reports.

/// Who a task, as the checker identifies it, is: lockdep's number for it,
/// tokio's id, its name.
pub(crate) struct Ident {
    pub(crate) key: u64,
    pub(crate) tokio: Option<u64>,
    pub(crate) name: Option<Arc<str>>,
}

thread_local! {
    /// The instrumented task being polled on this thread (null: none). Points
    /// at the polled `Instrumented`'s boxed `Ident`, which outlives the poll.
    pub(crate) static CURRENT: Cell<*const Ident> = const { Cell::new(std::ptr::null()) };
}

/// The task the calling thread is running, as reports name it: the polled
/// instrumented future, else (with the `tokio` feature) the tokio task.
pub(crate) fn current_task() -> Option<TaskInfo> {
    let p = CURRENT.try_with(Cell::get).unwrap_or(std::ptr::null());
    if !p.is_null() {
        // SAFETY: `CURRENT` is non-null only while `Enter` lives, and it
        // points at the `Ident` its task owns for that whole time (the box
        // is freed only after the task's last `Enter` ended).
        let ident = unsafe { &*p };
        return Some(TaskInfo {
            id: ident.tokio.unwrap_or(ident.key),
            tokio: ident.tokio.is_some(),
            name: ident.name.as_deref().map(str::to_owned),
        });
    }
    tokio_id().map(|id| TaskInfo {
        id,
        tokio: true,
        name: None,
    })
}

/// The running tokio task's id, if any.
#[cfg(feature = "tokio")]
#[inline]
pub(crate) fn tokio_id() -> Option<u64> {
    thread_local! {
        /// The last id converted on this thread (a task runs many events
        /// in a row): the conversion formats a string.
        static LAST: Cell<Option<(tokio::task::Id, u64)>> = const { Cell::new(None) };
    }
    let id = tokio::task::try_id()?;
    let last = LAST.try_with(Cell::get).ok().flatten();
    match last {
        Some((last, n)) if last == id => Some(n),
        _ => {
            // tokio's `Id` shows as its number; it has no stable numeric accessor.
            let n = id.to_string().parse().ok()?;
            let _ = LAST.try_with(|l| l.set(Some((id, n))));
            Some(n)
        }
    }
}

/// The running tokio task's id, if any.
#[cfg(not(feature = "tokio"))]
#[inline]
pub(crate) fn tokio_id() -> Option<u64> {
    None
}
