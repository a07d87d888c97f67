//! [`ReentrantMutex`]: `parking_lot::ReentrantMutex` with lock-dependency
//! checking.
//!
//! Taking the *same* reentrant mutex again on the thread that holds it is
//! what the lock is for: a reference count, not recursion. The checker records
//! only the outermost acquisition (validated before it blocks) and releases
//! it when the last guard of this thread drops, in whatever order the guards
//! drop. Another mutex of the same class is a different lock: taking it while
//! holding the first is recursive locking, as for [`Mutex`](crate::Mutex).

use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::class::LockClass;
use crate::engine::{self, Flags};
use crate::map::{LockMap, Mode};
use crate::sync::guard::fmt_via_deref;
use crate::sync::serde::serde_lock;

type Inner<T> = lock_api::ReentrantMutex<parking_lot::RawMutex, parking_lot::RawThreadId, T>;
type InnerGuard<'a, T> =
    lock_api::ReentrantMutexGuard<'a, parking_lot::RawMutex, parking_lot::RawThreadId, T>;
type InnerMapped<'a, U> =
    lock_api::MappedReentrantMutexGuard<'a, parking_lot::RawMutex, parking_lot::RawThreadId, U>;

/// The checker's side of one reentrant mutex. `depth` and `recorded` are
/// touched only by the thread that holds the mutex, while it holds it (the
/// raw lock orders them between owners), so `Relaxed` is enough.
struct Reentry {
    map: LockMap,
    /// How many guards the owning thread has.
    depth: AtomicUsize,
    /// Whether the outermost acquisition went on the held stack.
    recorded: AtomicBool,
}

impl Reentry {
    /// After the raw lock was taken: count the guard; the outermost records `yes`.
    fn enter(&self, was_owned: bool, yes: bool) {
        if was_owned {
            self.depth.fetch_add(1, Ordering::Relaxed);
        } else {
            self.depth.store(1, Ordering::Relaxed);
            self.recorded.store(yes, Ordering::Relaxed);
        }
    }

    /// Before the raw unlock of one guard: the last one releases the entry.
    #[track_caller]
    fn exit(&self) {
        if self.depth.fetch_sub(1, Ordering::Relaxed) == 1 {
            let yes = self.recorded.swap(false, Ordering::Relaxed);
            self.map.release_if(yes);
        }
    }
}

/// A mutex the holding thread may lock again: `parking_lot::ReentrantMutex`
/// plus a [`LockMap`]. Its guards give shared access only (`&T`).
///
/// ```
/// use lockdep::ReentrantMutex;
/// use std::cell::Cell;
/// let m = ReentrantMutex::new(Cell::new(1));
/// let a = m.lock();
/// let b = m.lock(); // same mutex, same thread: a count, not a report
/// b.set(a.get() + 1);
/// drop((a, b));
/// assert_eq!(m.lock().get(), 2);
/// # assert!(lockdep::reports().is_empty());
/// ```
pub struct ReentrantMutex<T: ?Sized> {
    state: Reentry,
    inner: Inner<T>,
}

impl<T> ReentrantMutex<T> {
    /// A new unlocked mutex whose class is the caller's source location.
    #[track_caller]
    pub const fn new(value: T) -> ReentrantMutex<T> {
        ReentrantMutex::from_map(LockMap::at_caller_for::<Self>(), value)
    }

    /// As `new`, for constructors that run at run time (`Default`, `From`):
    /// a lock built inside the standard library (`Arc::default`) gets the
    /// user's construction site as its class (see `docs/semantics.md`).
    #[track_caller]
    pub(crate) fn new_runtime(value: T) -> ReentrantMutex<T> {
        ReentrantMutex::from_map(LockMap::at_runtime_caller_for::<Self>(), value)
    }

    /// A new unlocked mutex in the named class `class`.
    #[track_caller]
    pub const fn with_class(value: T, class: &'static LockClass) -> ReentrantMutex<T> {
        ReentrantMutex::from_map(LockMap::with_class(class), value)
    }

    const fn from_map(map: LockMap, value: T) -> ReentrantMutex<T> {
        ReentrantMutex {
            state: Reentry {
                map,
                depth: AtomicUsize::new(0),
                recorded: AtomicBool::new(false),
            },
            inner: lock_api::ReentrantMutex::new(value),
        }
    }

    /// A new mutex over an existing raw mutex and thread-id source
    /// (parking_lot's `from_raw`), whose class is the caller's source
    /// location, as for `new`. The raw mutex should be unlocked.
    #[track_caller]
    pub const fn from_raw(
        raw: parking_lot::RawMutex,
        get_thread_id: parking_lot::RawThreadId,
        value: T,
    ) -> ReentrantMutex<T> {
        ReentrantMutex {
            state: Reentry {
                map: LockMap::at_caller_for::<Self>(),
                depth: AtomicUsize::new(0),
                recorded: AtomicBool::new(false),
            },
            inner: lock_api::ReentrantMutex::from_raw(raw, get_thread_id, value),
        }
    }

    /// Consumes the mutex, returning the raw mutex, the thread-id source and
    /// the data (parking_lot's `into_inner_with_raw`).
    pub fn into_inner_with_raw(self) -> (parking_lot::RawMutex, parking_lot::RawThreadId, T) {
        let ReentrantMutex { state, inner } = self;
        drop(state);
        inner.into_inner_with_raw()
    }

    /// Consumes the mutex, returning the data.
    pub fn into_inner(self) -> T {
        let ReentrantMutex { state, inner } = self;
        drop(state);
        inner.into_inner()
    }
}

impl<T: ?Sized> ReentrantMutex<T> {
    /// Acquires the mutex, blocking until it is available. The outermost
    /// acquisition on a thread is validated before blocking, as
    /// [`Mutex::lock`](crate::Mutex::lock); a nested one records nothing.
    #[track_caller]
    pub fn lock(&self) -> ReentrantMutexGuard<'_, T> {
        let owned = self.inner.is_owned_by_current_thread();
        let yes = !owned && self.state.map.lock(Mode::Exclusive, 0, None);
        let inner = self.inner.lock();
        self.state.enter(owned, yes);
        ReentrantMutexGuard { lock: self, inner }
    }

    /// Attempts to acquire the mutex without blocking (an outermost
    /// acquisition is recorded as a trylock).
    #[track_caller]
    pub fn try_lock(&self) -> Option<ReentrantMutexGuard<'_, T>> {
        let at = Location::caller();
        self.tried(|m| m.try_lock(), at)
    }

    /// Attempts to acquire the mutex, giving up after `timeout` (treated like a trylock).
    #[track_caller]
    pub fn try_lock_for(&self, timeout: Duration) -> Option<ReentrantMutexGuard<'_, T>> {
        let at = Location::caller();
        self.tried(|m| m.try_lock_for(timeout), at)
    }

    /// Attempts to acquire the mutex, giving up at `deadline` (treated like a trylock).
    #[track_caller]
    pub fn try_lock_until(&self, deadline: Instant) -> Option<ReentrantMutexGuard<'_, T>> {
        let at = Location::caller();
        self.tried(|m| m.try_lock_until(deadline), at)
    }

    fn tried<'a>(
        &'a self,
        attempt: impl FnOnce(&'a Inner<T>) -> Option<InnerGuard<'a, T>>,
        at: &'static Location<'static>,
    ) -> Option<ReentrantMutexGuard<'a, T>> {
        let owned = self.inner.is_owned_by_current_thread();
        let inner = attempt(&self.inner)?;
        let yes = !owned
            && engine::acquire(
                &self.state.map,
                Mode::Exclusive,
                0,
                Flags::TRYLOCK,
                None,
                at,
            );
        self.state.enter(owned, yes);
        Some(ReentrantMutexGuard { lock: self, inner })
    }

    /// Mutable access without locking.
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    /// Is the mutex locked (by any thread)?
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// Is the mutex locked by the current thread?
    pub fn is_owned_by_current_thread(&self) -> bool {
        self.inner.is_owned_by_current_thread()
    }

    /// Does the current thread hold this mutex (as the checker sees it)?
    pub fn is_held(&self) -> bool {
        self.state.map.is_held()
    }

    /// The checker's handle for this lock.
    pub const fn lock_map(&self) -> &LockMap {
        &self.state.map
    }

    /// A raw pointer to the data (parking_lot's `data_ptr`); accesses through
    /// it are not seen by the checker.
    pub const fn data_ptr(&self) -> *mut T {
        self.inner.data_ptr()
    }

    /// The raw mutex underneath (parking_lot's `raw`). Locking or unlocking
    /// it directly bypasses the checker and the reentrancy count.
    ///
    /// # Safety
    /// As parking_lot's `raw`: operations on the raw lock must keep every
    /// live guard, reference to the data and the owner and count bookkeeping
    /// valid.
    pub unsafe fn raw(&self) -> &parking_lot::RawMutex {
        // SAFETY: forwarded; the caller upholds `raw`'s contract.
        unsafe { self.inner.raw() }
    }

    /// A guard for one level of the mutex this thread holds and whose guard
    /// was forgotten (parking_lot's `make_guard_unchecked`). The checker
    /// records nothing: the forgotten guard's level is still counted, and
    /// the outermost acquisition is still on the held stack.
    ///
    /// # Safety
    /// As parking_lot's: the current thread logically holds the level (its
    /// guard was forgotten), and no other guard for it exists.
    pub unsafe fn make_guard_unchecked(&self) -> ReentrantMutexGuard<'_, T> {
        // SAFETY: forwarded; the caller upholds the contract.
        let inner = unsafe { self.inner.make_guard_unchecked() };
        ReentrantMutexGuard { lock: self, inner }
    }

    /// Releases one level whose guard was forgotten (parking_lot's
    /// `force_unlock`), as dropping that guard would have: the thread's last
    /// level also releases the checker entry.
    ///
    /// # Safety
    /// As parking_lot's: the current thread holds a level whose guard was
    /// forgotten, and no live guard will release it.
    #[track_caller]
    pub unsafe fn force_unlock(&self) {
        self.state.exit();
        // SAFETY: forwarded; the caller upholds the contract.
        unsafe { self.inner.force_unlock() }
    }

    /// As [`force_unlock`](Self::force_unlock), unlocking fairly if this is
    /// the last level.
    ///
    /// # Safety
    /// As [`force_unlock`](Self::force_unlock).
    #[track_caller]
    pub unsafe fn force_unlock_fair(&self) {
        self.state.exit();
        // SAFETY: forwarded; the caller upholds the contract.
        unsafe { self.inner.force_unlock_fair() }
    }
}

serde_lock!(ReentrantMutex, lock);

impl<T: Default> Default for ReentrantMutex<T> {
    #[track_caller]
    fn default() -> Self {
        ReentrantMutex::new_runtime(T::default())
    }
}

impl<T> From<T> for ReentrantMutex<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        ReentrantMutex::new_runtime(value)
    }
}

/// Prints exactly what parking_lot prints (`ReentrantMutex { data: .. }`, or
/// `<locked>` while another thread holds it).
impl<T: ?Sized + fmt::Debug> fmt::Debug for ReentrantMutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

/// RAII guard of a [`ReentrantMutex`]; shared access to the data. The
/// thread's last guard releases the lock in the checker.
#[must_use = "if unused the ReentrantMutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct ReentrantMutexGuard<'a, T: ?Sized> {
    lock: &'a ReentrantMutex<T>,
    inner: InnerGuard<'a, T>,
}

impl<'a, T: ?Sized> ReentrantMutexGuard<'a, T> {
    /// The mutex this guard holds.
    pub fn remutex(s: &Self) -> &'a ReentrantMutex<T> {
        s.lock
    }

    /// A guard for a part of the data; it counts as one of the thread's
    /// guards until it drops.
    pub fn map<U: ?Sized, F>(s: Self, f: F) -> MappedReentrantMutexGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let (lock, inner) = s.into_parts();
        MappedReentrantMutexGuard {
            state: &lock.state,
            inner: lock_api::ReentrantMutexGuard::map(inner, f),
        }
    }

    /// As [`map`](Self::map) if `f` returns `Some`; otherwise gives the guard back.
    pub fn try_map<U: ?Sized, F>(s: Self, f: F) -> Result<MappedReentrantMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let (lock, inner) = s.into_parts();
        match lock_api::ReentrantMutexGuard::try_map(inner, f) {
            Ok(inner) => Ok(MappedReentrantMutexGuard {
                state: &lock.state,
                inner,
            }),
            Err(inner) => Err(ReentrantMutexGuard { lock, inner }),
        }
    }

    /// As [`map`](Self::map) if `f` returns `Ok`; otherwise gives the guard
    /// back with the error.
    pub fn try_map_or_err<U: ?Sized, F, E>(
        s: Self,
        f: F,
    ) -> Result<MappedReentrantMutexGuard<'a, U>, (Self, E)>
    where
        F: FnOnce(&T) -> Result<&U, E>,
    {
        let (lock, inner) = s.into_parts();
        match lock_api::ReentrantMutexGuard::try_map_or_err(inner, f) {
            Ok(inner) => Ok(MappedReentrantMutexGuard {
                state: &lock.state,
                inner,
            }),
            Err((inner, e)) => Err((ReentrantMutexGuard { lock, inner }, e)),
        }
    }

    /// Unlocks fairly (parking_lot's `unlock_fair`); the checker entry is
    /// released first if this is the thread's last guard.
    #[track_caller]
    pub fn unlock_fair(s: Self) {
        s.lock.state.exit();
        let (_, inner) = s.into_parts();
        lock_api::ReentrantMutexGuard::unlock_fair(inner);
    }

    /// Temporarily unlocks to run `f` (one level: the mutex is really
    /// released only if this is the thread's only guard), then locks again;
    /// a re-acquisition that really takes the lock is validated.
    #[track_caller]
    pub fn unlocked<F: FnOnce() -> U, U>(s: &mut Self, f: F) -> U {
        let at = Location::caller();
        Self::around(
            s,
            at,
            |g, f| lock_api::ReentrantMutexGuard::unlocked(g, f),
            f,
        )
    }

    /// As [`unlocked`](Self::unlocked), unlocking fairly.
    #[track_caller]
    pub fn unlocked_fair<F: FnOnce() -> U, U>(s: &mut Self, f: F) -> U {
        let at = Location::caller();
        Self::around(
            s,
            at,
            |g, f| lock_api::ReentrantMutexGuard::unlocked_fair(g, f),
            f,
        )
    }

    /// Lets a waiting thread take the mutex (parking_lot's `bump`): to the
    /// checker a release and a validated re-acquisition when this is the
    /// thread's only guard, nothing otherwise.
    #[track_caller]
    pub fn bump(s: &mut Self) {
        let at = Location::caller();
        Self::around(
            s,
            at,
            |g, f| {
                lock_api::ReentrantMutexGuard::bump(g);
                f()
            },
            || (),
        )
    }

    fn around<U>(
        s: &mut Self,
        at: &'static Location<'static>,
        how: impl FnOnce(&mut InnerGuard<'a, T>, &mut dyn FnMut() -> U) -> U,
        f: impl FnOnce() -> U,
    ) -> U {
        let lock = s.lock;
        let state = &lock.state;
        state.exit();
        let mut f = Some(f);
        let mut relock = (false, false);
        let out = how(&mut s.inner, &mut || {
            let out = (f.take().expect("called once"))();
            // Not `depth`: while the lock is really released, another thread
            // may hold it and be counting.
            let owned = lock.inner.is_owned_by_current_thread();
            let yes =
                !owned && engine::acquire(&state.map, Mode::Exclusive, 0, Flags::NONE, None, at);
            relock = (owned, yes);
            out
        });
        state.enter(relock.0, relock.1);
        out
    }

    fn into_parts(self) -> (&'a ReentrantMutex<T>, InnerGuard<'a, T>) {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, and `inner` is moved
        // out exactly once; `lock` is `Copy`.
        let inner = unsafe { std::ptr::read(&this.inner) };
        (this.lock, inner)
    }
}

impl<T: ?Sized> Deref for ReentrantMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ?Sized> Drop for ReentrantMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.state.exit();
    }
}

fmt_via_deref!(ReentrantMutexGuard<'_, T>);

/// A guard for a part of the data of a [`ReentrantMutex`], from
/// [`ReentrantMutexGuard::map`].
#[must_use = "if unused the ReentrantMutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MappedReentrantMutexGuard<'a, U: ?Sized> {
    state: &'a Reentry,
    inner: InnerMapped<'a, U>,
}

impl<U: ?Sized> Deref for MappedReentrantMutexGuard<'_, U> {
    type Target = U;
    fn deref(&self) -> &U {
        &self.inner
    }
}

impl<U: ?Sized> Drop for MappedReentrantMutexGuard<'_, U> {
    fn drop(&mut self) {
        self.state.exit();
    }
}

fmt_via_deref!(MappedReentrantMutexGuard<'_, U>);

impl<'a, U: ?Sized> MappedReentrantMutexGuard<'a, U> {
    fn into_parts(self) -> (&'a Reentry, InnerMapped<'a, U>) {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, and `inner` is moved
        // out exactly once; `state` is `Copy`.
        let inner = unsafe { std::ptr::read(&this.inner) };
        (this.state, inner)
    }

    /// A guard for a part of this part of the data; it stays one of the
    /// thread's guards until it drops.
    pub fn map<V: ?Sized, F>(s: Self, f: F) -> MappedReentrantMutexGuard<'a, V>
    where
        F: FnOnce(&U) -> &V,
    {
        let (state, inner) = s.into_parts();
        MappedReentrantMutexGuard {
            state,
            inner: lock_api::MappedReentrantMutexGuard::map(inner, f),
        }
    }

    /// As [`map`](Self::map) if `f` returns `Some`; otherwise gives the guard back.
    pub fn try_map<V: ?Sized, F>(s: Self, f: F) -> Result<MappedReentrantMutexGuard<'a, V>, Self>
    where
        F: FnOnce(&U) -> Option<&V>,
    {
        let (state, inner) = s.into_parts();
        match lock_api::MappedReentrantMutexGuard::try_map(inner, f) {
            Ok(inner) => Ok(MappedReentrantMutexGuard { state, inner }),
            Err(inner) => Err(MappedReentrantMutexGuard { state, inner }),
        }
    }

    /// As [`map`](Self::map) if `f` returns `Ok`; otherwise gives the guard
    /// back with the error.
    pub fn try_map_or_err<V: ?Sized, F, E>(
        s: Self,
        f: F,
    ) -> Result<MappedReentrantMutexGuard<'a, V>, (Self, E)>
    where
        F: FnOnce(&U) -> Result<&V, E>,
    {
        let (state, inner) = s.into_parts();
        match lock_api::MappedReentrantMutexGuard::try_map_or_err(inner, f) {
            Ok(inner) => Ok(MappedReentrantMutexGuard { state, inner }),
            Err((inner, e)) => Err((MappedReentrantMutexGuard { state, inner }, e)),
        }
    }

    /// Releases this level, fairly if it is the thread's last (then the
    /// checker entry is released first).
    #[track_caller]
    pub fn unlock_fair(s: Self) {
        s.state.exit();
        let (_, inner) = s.into_parts();
        lock_api::MappedReentrantMutexGuard::unlock_fair(inner);
    }
}
