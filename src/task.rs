//! Held locks per async task (docs/async.md).
//!
//! A thread's held stack is the wrong place for an async task's locks: a task
//! holds a guard across `.await`, moves to another worker thread, and other
//! tasks run on its old thread meanwhile. An *instrumented* future
//! ([`Instrument::lockdep`], `spawn` (feature `tokio`)) owns a held stack of its own and
//! swaps it with the thread's for the length of each `poll` (and of its
//! drop), so everything acquired while it runs, sync or async locks, lands on
//! the task's stack, with the chain keys and edges of any nesting.
//!
//! When an instrumented poll returns `Pending` while the task holds a
//! blocking (sync) lock, the checker reports *blocking lock held across
//! await* once per (class, acquisition site).
//!
//! Without instrumentation, `lockdep::tokio`'s locks fall back to a stack per
//! tokio task id (uninstrumented tokio tasks), and outside any task to the
//! thread's stack; sync locks always use the polled task's stack when there
//! is one and the thread's otherwise (no task-id lookup on their hot path).

use std::cell::Cell;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use parking_lot::Mutex as RawMutex;

use crate::engine::held::{self, HeldLock, Stack};
use crate::identity::{CURRENT, Ident, tokio_id};
use crate::report::{LockRef, Report, ReportKind};

/// lockdep's numbers for instrumented tasks (never 0, never reused).
static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

/// Whose held stack an acquisition went to, so its release finds it again
/// wherever the guard is dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
pub(crate) enum Owner {
    /// A thread's own stack (its lockdep number).
    Thread(u64),
    /// An instrumented task's stack (its key).
    Task(u64),
    /// An uninstrumented tokio task's stack (its tokio id).
    Tokio(u64),
}

/// The owner whose stack is in use on this thread now: the polled
/// instrumented task, else the thread.
#[inline]
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
pub(crate) fn current_owner() -> Owner {
    let p = CURRENT.try_with(Cell::get).unwrap_or(std::ptr::null());
    if p.is_null() {
        Owner::Thread(held::thread_id())
    } else {
        // SAFETY: as in `current_task`.
        Owner::Task(unsafe { (*p).key })
    }
}

/// Runs `f` (an engine call) with the held stack of whoever runs now in
/// place, and says whose it is: the polled instrumented task's (already
/// swapped in), else the running tokio task's (kept in a table by tokio id,
/// swapped in for the call), else the thread's. Used by `lockdep::tokio`'s
/// locks only; sync locks use whatever stack is in place.
#[cfg(feature = "tokio")]
#[inline]
pub(crate) fn in_context<R>(f: impl FnOnce(Owner) -> R) -> R {
    let owner = current_owner();
    if let Owner::Thread(_) = owner
        && let Some(id) = tokio_id()
    {
        return with_tokio_stack(id, f);
    }
    f(owner)
}

/// The held stacks of uninstrumented tokio tasks that hold (or wait for)
/// async locks, by tokio task id. An internal, uninstrumented lock, never
/// held while calling into the engine.
#[cfg(feature = "tokio")]
static TOKIO_STACKS: std::sync::LazyLock<RawMutex<rustc_hash::FxHashMap<u64, TaskStack>>> =
    std::sync::LazyLock::new(Default::default);

#[cfg(feature = "tokio")]
thread_local! {
    /// An empty task stack (its buffer allocated) kept for the next
    /// uninstrumented task's lock event on this thread. No destructor: one
    /// buffer per thread is left at thread exit.
    static SPARE: Cell<Option<TaskStack>> = const { Cell::new(None) };
}

/// [`in_context`] for uninstrumented tokio task `id`: its stack leaves the
/// table, is swapped in for `f`, and goes back (or is freed when empty).
/// A task runs on one thread at a time and other tasks post releases to it
/// (never touch its stack), so no one else can want it meanwhile.
#[cfg(feature = "tokio")]
#[cold]
fn with_tokio_stack<R>(id: u64, f: impl FnOnce(Owner) -> R) -> R {
    struct Back {
        id: u64,
        stack: TaskStack,
        swapped: bool,
    }
    impl Drop for Back {
        fn drop(&mut self) {
            if self.swapped {
                held::swap_out(&mut self.stack.0);
            }
            if self.stack.0.life != held::Life::Live {
                self.stack.0.switch_off(); // never tracked, or off for good
            } else if self.stack.0.locks().is_empty() {
                // Kept for this thread's next task (no allocation per lock
                // event); a second one is freed.
                let stack = std::mem::replace(&mut self.stack, TaskStack(Stack::new()));
                if let Some(mut extra) = SPARE.try_with(|s| s.replace(Some(stack))).ok().flatten() {
                    extra.0.switch_off();
                }
            } else {
                let stack = std::mem::replace(&mut self.stack, TaskStack(Stack::new()));
                TOKIO_STACKS.lock().insert(self.id, stack);
            }
        }
    }
    let stack = TOKIO_STACKS.lock().remove(&id);
    let stack = stack
        .or_else(|| SPARE.try_with(Cell::take).ok().flatten())
        .unwrap_or(TaskStack(Stack::new()));
    let mut back = Back {
        id,
        stack,
        swapped: false,
    };
    back.swapped = held::swap_in(&mut back.stack.0);
    if back.swapped {
        apply_posted(Owner::Tokio(id));
    }
    let r = f(Owner::Tokio(id));
    drop(back);
    r
}

/// Is `owner`'s stack the one in place on this thread now (no lookup of
/// the tokio task)? The polled instrumented task's, or the thread's own when
/// no task stack is swapped in (an uninstrumented tokio task's stack is
/// swapped in only inside [`in_context`]).
#[cfg(feature = "tokio")]
#[inline]
pub(crate) fn owner_in_place(owner: Owner) -> bool {
    let p = CURRENT.try_with(Cell::get).unwrap_or(std::ptr::null());
    match owner {
        // SAFETY: as in `current_task`.
        Owner::Task(key) => !p.is_null() && unsafe { (*p).key } == key,
        Owner::Thread(id) => p.is_null() && held::own_stack_in() && held::thread_id() == id,
        Owner::Tokio(_) => false,
    }
}

// ===== releases posted to a task by another one =====

/// Releases of entries on an instrumented task's stack done elsewhere (a
/// guard moved to another task and dropped there): applied at the owner's
/// next poll. `orphans` are entries left on the stack of a task that has
/// ended (its guard lives on elsewhere): their release is dropped here.
#[derive(Default)]
struct Mailbox {
    posted: Vec<(Owner, u64)>,
    orphans: Vec<(Owner, u64)>,
}

/// An internal, uninstrumented lock, never held while calling into the
/// engine or user code.
static MAILBOX: RawMutex<Mailbox> = RawMutex::new(Mailbox {
    posted: Vec::new(),
    orphans: Vec::new(),
});
/// Entries in `MAILBOX.posted` (one atomic load per poll while it is 0).
static POSTED: AtomicUsize = AtomicUsize::new(0);

/// Posts the release of `instance` to `owner`'s stack.
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
pub(crate) fn post(owner: Owner, instance: u64) {
    match owner {
        Owner::Thread(_id) => {
            #[cfg(feature = "tokio")]
            held::foreign::post(_id, instance);
        }
        Owner::Task(_) | Owner::Tokio(_) => {
            let mut m = MAILBOX.lock();
            if let Some(i) = m.orphans.iter().position(|&o| o == (owner, instance)) {
                m.orphans.swap_remove(i);
                return;
            }
            m.posted.push((owner, instance));
            POSTED.fetch_add(1, Ordering::Release);
        }
    }
}

/// Takes the releases posted to `owner`.
fn take_posted(owner: Owner) -> Vec<u64> {
    if POSTED.load(Ordering::Acquire) == 0 {
        return Vec::new();
    }
    let mut m = MAILBOX.lock();
    let mut mine = Vec::new();
    m.posted.retain(|&(o, instance)| {
        let keep = o != owner;
        if !keep {
            mine.push(instance);
        }
        keep
    });
    POSTED.fetch_sub(mine.len(), Ordering::Release);
    mine
}

/// Applies the releases posted to `owner`, whose stack is swapped in.
fn apply_posted(owner: Owner) {
    for instance in take_posted(owner) {
        crate::engine::forget_acquisition(instance);
    }
}

/// `owner` ended with `left` still on its stack: their guards live on
/// elsewhere, and their releases will find nothing to do.
fn orphan(owner: Owner, left: &[HeldLock]) {
    let posted = take_posted(owner);
    let mut m = MAILBOX.lock();
    for h in left {
        if !posted.contains(&h.instance) {
            m.orphans.push((owner, h.instance));
        }
    }
}

// ===== instrumented futures =====

/// A held stack owned by a task.
struct TaskStack(Stack);

// SAFETY: a `Stack` owns its buffer exclusively (like a `Vec<HeldLock>`,
// whose entries are plain `Copy` data); it is only touched through `&mut`,
// by whichever thread polls or drops the task.
unsafe impl Send for TaskStack {}
// SAFETY: no `&self` method reads it; all access is through `&mut`.
unsafe impl Sync for TaskStack {}

/// The per-task state of an [`Instrumented`] future.
struct TaskState {
    stack: TaskStack,
    /// Boxed so `CURRENT` can point at it while `&mut TaskState` is live;
    /// freed in `Instrumented`'s drop.
    ident: *mut Ident,
    /// The `#[lockdep::test]` scope the future was created in.
    scope: Option<&'static str>,
    /// Where it was instrumented (or spawned): the poll site of reports.
    at: &'static Location<'static>,
    polled: bool,
}

// SAFETY: `ident` is owned (a leaked box freed once, in `Instrumented`'s
// drop) and `Ident` is `Send + Sync`; the stack: see `TaskStack`.
unsafe impl Send for TaskState {}
// SAFETY: no `&self` method reads anything; all access is through `&mut`.
unsafe impl Sync for TaskState {}

impl TaskState {
    fn new(name: Option<Arc<str>>, at: &'static Location<'static>) -> TaskState {
        let ident = Box::new(Ident {
            key: NEXT_KEY.fetch_add(1, Ordering::Relaxed),
            tokio: None,
            name,
        });
        TaskState {
            stack: TaskStack(Stack::new()),
            ident: Box::into_raw(ident),
            scope: crate::testing::current(),
            at,
            polled: false,
        }
    }

    fn key(&self) -> u64 {
        // SAFETY: `ident` is valid until `Instrumented`'s drop frees it.
        unsafe { (*self.ident).key }
    }
}

/// The task's stack swapped in and the task current on this thread, until
/// dropped (also when unwinding).
struct Enter<'a> {
    task: &'a mut TaskState,
    swapped: bool,
    prev: *const Ident,
}

impl<'a> Enter<'a> {
    fn new(task: &'a mut TaskState) -> Enter<'a> {
        if !task.polled {
            task.polled = true;
            // SAFETY: `ident` is valid (see `key`), and nothing else reads
            // it now: the task is not current anywhere.
            unsafe { (*task.ident).tokio = tokio_id() };
        }
        let swapped = held::swap_in(&mut task.stack.0);
        let prev = CURRENT.with(|c| c.replace(task.ident));
        if swapped {
            apply_posted(Owner::Task(task.key()));
        }
        Enter {
            task,
            swapped,
            prev,
        }
    }
}

impl Drop for Enter<'_> {
    fn drop(&mut self) {
        if self.swapped {
            held::swap_out(&mut self.task.stack.0);
        }
        CURRENT.with(|c| c.set(self.prev));
    }
}

/// A future whose held locks travel with it (see the [module
/// documentation](self)); made by [`Instrument::lockdep`].
#[must_use = "futures do nothing unless polled"]
pub struct Instrumented<F> {
    inner: ManuallyDrop<F>,
    task: TaskState,
}

impl<F: std::fmt::Debug> std::fmt::Debug for Instrumented<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instrumented")
            .field("inner", &*self.inner)
            .finish_non_exhaustive()
    }
}

/// Gives a future a held-lock stack of its own: `fut.lockdep()`, in the
/// style of `tracing::Instrument`.
pub trait Instrument: Future + Sized {
    /// This future, with its own held-lock stack installed for each poll.
    #[track_caller]
    fn lockdep(self) -> Instrumented<Self> {
        Instrumented {
            inner: ManuallyDrop::new(self),
            task: TaskState::new(None, Location::caller()),
        }
    }

    /// As [`lockdep`](Self::lockdep), with a name reports print
    /// (`task#17(name) on worker/3`).
    #[track_caller]
    fn lockdep_named(self, name: &str) -> Instrumented<Self> {
        Instrumented {
            inner: ManuallyDrop::new(self),
            task: TaskState::new(Some(Arc::from(name)), Location::caller()),
        }
    }
}

impl<F: Future> Instrument for F {}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `inner` is pinned structurally (never moved out, dropped
        // in place); `task` is not pinned and is only used through `&mut`.
        let this = unsafe { self.get_unchecked_mut() };
        let scope = this.task.scope;
        let at = this.task.at;
        let enter = Enter::new(&mut this.task);
        // SAFETY: see above: `inner` stays where it is until dropped.
        let inner = unsafe { Pin::new_unchecked(&mut *this.inner) };
        let poll = crate::testing::with_scope(scope, || inner.poll(cx));
        if poll.is_pending() && enter.swapped {
            crate::testing::with_scope(scope, || held_across_await(at));
        }
        drop(enter);
        poll
    }
}

impl<F> Drop for Instrumented<F> {
    fn drop(&mut self) {
        let scope = self.task.scope;
        let enter = Enter::new(&mut self.task);
        // Guards the future still owns are released on its own stack.
        // SAFETY: `inner` is dropped exactly once, here, in place.
        crate::testing::with_scope(scope, || unsafe { ManuallyDrop::drop(&mut self.inner) });
        drop(enter);
        let key = self.task.key();
        let left = self.task.stack.0.locks().to_vec();
        self.task.stack.0.switch_off();
        if !left.is_empty() {
            orphan(Owner::Task(key), &left);
            ended_holding(&mut self.task, &left);
        }
        // SAFETY: the box was leaked in `TaskState::new` and is freed once,
        // here; no `Enter` of this task is alive any more.
        drop(unsafe { Box::from_raw(self.task.ident) });
    }
}

/// The task ended (its future was dropped) with `left` still on its stack:
/// blocking locks among them were leaked (`mem::forget` of a guard) and are
/// reported as *still has locks held*, naming the task (the kernel's check
/// at task exit). Async locks are not: their owned guards may live on in
/// other tasks. Neither are sync guards with `send_guard`, which may too.
fn ended_holding(task: &mut TaskState, left: &[HeldLock]) {
    if cfg!(feature = "send_guard")
        || !crate::config::is_enabled()
        || left.iter().all(|h| h.flags.is_async())
    {
        return;
    }
    let thread = {
        // Named as the task, as its other reports are.
        let prev = CURRENT.with(|c| c.replace(task.ident));
        let thread = held::thread();
        CURRENT.with(|c| c.set(prev));
        thread
    };
    let blocking: Vec<HeldLock> = left
        .iter()
        .filter(|h| !h.flags.is_async())
        .copied()
        .collect();
    crate::testing::with_scope(task.scope, || {
        crate::engine::locks_held_at_exit(thread, blocking.to_vec())
    });
}

// ===== blocking lock held across await =====

/// Reports, once per (class, acquisition site), every blocking lock the
/// polled task holds as its poll returns `Pending`.
fn held_across_await(at: &'static Location<'static>) {
    static SEEN: RawMutex<Vec<(u32, usize)>> = RawMutex::new(Vec::new());
    let Some(held) = held::with(|s| {
        if s.locks().iter().any(|h| !h.flags.is_async()) {
            s.locks().to_vec()
        } else {
            Vec::new()
        }
    }) else {
        return;
    };
    if held.is_empty() || !crate::config::is_enabled() {
        return;
    }
    let mut pending = Vec::new();
    for h in held.iter().filter(|h| !h.flags.is_async()) {
        let key = (h.node, h.at as *const Location<'static> as usize);
        {
            let mut seen = SEEN.lock();
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
        }
        let Some(_inside) = held::enter() else { return };
        let mut r = Report::new(ReportKind::BlockingLockHeldAcrossAwait, held::thread());
        r.acquiring = Some(LockRef::of(h));
        r.held = held.iter().map(LockRef::of).collect();
        r.location = Some(crate::trace::location(at));
        pending.push(r.into());
    }
    if !pending.is_empty() {
        crate::engine::dispatch(pending);
    }
}

// ===== spawning =====

/// `tokio::spawn(fut.lockdep())`: a tokio task whose held locks travel with
/// it, working for the caller's `#[lockdep::test]`.
#[cfg(feature = "tokio")]
#[track_caller]
pub fn spawn<F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(future.lockdep())
}

/// Builds instrumented tokio tasks with a name (tokio's own
/// `task::Builder::name` needs `--cfg tokio_unstable`).
#[cfg(feature = "tokio")]
#[derive(Debug, Default, Clone)]
pub struct Builder {
    name: Option<Arc<str>>,
}

#[cfg(feature = "tokio")]
impl Builder {
    /// A builder of unnamed tasks.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The name reports print for the task (`task#17(name) on worker/3`).
    pub fn name(mut self, name: &str) -> Builder {
        self.name = Some(Arc::from(name));
        self
    }

    /// Spawns `future` on the current tokio runtime, instrumented.
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        tokio::spawn(Instrumented {
            inner: ManuallyDrop::new(future),
            task: TaskState::new(self.name, Location::caller()),
        })
    }
}
