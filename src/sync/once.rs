//! One-time initialisation as a lock: [`Once`] (parking_lot's), [`OnceLock`]
//! and [`LazyLock`] (std's).
//!
//! While one thread runs a cell's initialiser, every other thread that needs
//! the value blocks until it finishes. So:
//!
//! - **running the initialiser** is an exclusive acquisition of the cell's
//!   class, held while the initialiser runs: a lock taken inside it records
//!   `cell → lock`;
//! - **finding the cell uninitialised** is a blocking acquisition (acquire +
//!   release, like [`LockMap::might_acquire`]) validated before the thread
//!   goes into the standard library, where it may wait: the locks it holds
//!   record `lock → cell`;
//! - **reading an initialised cell** records nothing: it can never wait (like
//!   a retry-free sequence-count reader).
//!
//! A global `LazyLock` whose initialiser takes mutex `L`, and a thread that
//! holds `L` and touches a cell of that class that is not initialised yet,
//! close the cycle `cell → L → cell`: the second thread may wait for an
//! initialiser that waits for `L`.
//!
//! # Races
//!
//! "Will this call run the initialiser or wait for another thread's?" is only
//! known inside the standard library. We do not guess it with a flag: every
//! call that finds the cell uninitialised records the might-wait acquisition,
//! and the initialiser closure itself (which runs exactly when this thread
//! is the initialiser) records the held acquisition. The accepted imprecision
//! is one-sided: a call that found the cell uninitialised and then did not
//! wait (it ran the initialiser itself, or the initialiser finished in
//! between) still recorded `held → cell`. For the initialiser those are the
//! very edges its own acquisition records; for the other case they are the
//! kernel's `might_lock` stance (a thread that arrives a moment earlier does
//! wait). A check with a "someone is initialising" flag would instead *miss*
//! the wait of a thread that read the flag just before another thread started
//! the initialiser, and a missed wait is a missed deadlock; the extra edge
//! never names an order the program cannot produce. A cell read after it was
//! initialised records nothing, so a program that initialises its cells
//! before taking the locks gets no report.
//!
//! The synchronisation is always the real one: `Once` wraps `parking_lot::Once`
//! and `OnceLock` wraps `std::sync::OnceLock`. std's `LazyLock` runs its
//! function with no hook around it, so [`LazyLock`] is a `std::sync::OnceLock`
//! plus the stored function (what std's `LazyLock` is, and what `once_cell`'s
//! `Lazy` was).

use std::cell::Cell;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::{Location, RefUnwindSafe, UnwindSafe};

use crate::map::LockMap;

pub use parking_lot::OnceState;

/// The initialiser's acquisition of a cell's class, released when dropped
/// (also when the initialiser panics).
pub(crate) struct Initialising<'a> {
    map: &'a LockMap,
    at: &'static Location<'static>,
    recorded: bool,
}

impl<'a> Initialising<'a> {
    /// Acquires `map` exclusively, validated, reported at `at` (the user's call).
    pub(crate) fn begin(map: &'a LockMap, at: &'static Location<'static>) -> Self {
        Initialising {
            map,
            at,
            recorded: map.lock_exclusive_at(at),
        }
    }
}

impl Drop for Initialising<'_> {
    fn drop(&mut self) {
        self.map.release_if_at(self.recorded, self.at);
    }
}

/// `cell.get_or_init(f)` with the checker told: nothing if initialised; a
/// might-wait acquisition, then the initialiser held while `f` runs.
#[track_caller]
#[inline]
pub(crate) fn get_or_init<'c, T>(
    map: &LockMap,
    cell: &'c std::sync::OnceLock<T>,
    f: impl FnOnce() -> T,
) -> &'c T {
    if let Some(value) = cell.get() {
        return value;
    }
    let at = Location::caller();
    map.might_acquire();
    cell.get_or_init(|| {
        let _held = Initialising::begin(map, at);
        f()
    })
}

/// The methods that std's and parking_lot's `Once` share, checked alike:
/// `is_completed`, `wait`, `wait_force`, `call_once`, `call_once_force` (whose
/// closure gets `$state`) and lockdep's `lock_map`. For a type with fields
/// `map: LockMap` and `inner` (the `Once` underneath).
macro_rules! once_methods {
    ($state:ty) => {
        impl Once {
            /// Has a closure completed successfully? Records nothing.
            #[inline]
            pub fn is_completed(&self) -> bool {
                self.inner.is_completed()
            }

            /// Blocks until a closure has completed; panics if the `Once` is
            /// poisoned. A blocking acquisition of the class when not completed.
            #[track_caller]
            pub fn wait(&self) {
                if !self.inner.is_completed() {
                    self.map.might_acquire();
                    self.inner.wait();
                }
            }

            /// As [`wait`](Self::wait), ignoring poison.
            #[track_caller]
            pub fn wait_force(&self) {
                if !self.inner.is_completed() {
                    self.map.might_acquire();
                    self.inner.wait_force();
                }
            }

            /// Runs `f` once, if no closure has completed yet; other callers block
            /// until it has. Panics if the `Once` is poisoned.
            ///
            /// # Lock dependency tracking
            /// Not completed: a blocking acquisition of the class, validated before
            /// waiting; the thread that runs `f` holds the class while it runs.
            /// Completed: nothing.
            #[track_caller]
            pub fn call_once<F>(&self, f: F)
            where
                F: FnOnce(),
            {
                if self.inner.is_completed() {
                    return;
                }
                let at = std::panic::Location::caller();
                self.map.might_acquire();
                self.inner.call_once(|| {
                    let _held = crate::sync::once::Initialising::begin(&self.map, at);
                    f()
                });
            }

            /// As [`call_once`](Self::call_once), also running on a poisoned `Once`;
            /// `f` gets the state it found.
            #[track_caller]
            pub fn call_once_force<F>(&self, f: F)
            where
                F: FnOnce($state),
            {
                if self.inner.is_completed() {
                    return;
                }
                let at = std::panic::Location::caller();
                self.map.might_acquire();
                self.inner.call_once_force(|state| {
                    let _held = crate::sync::once::Initialising::begin(&self.map, at);
                    f(state)
                });
            }

            /// The checker's handle for this `Once` (a lockdep extra).
            pub const fn lock_map(&self) -> &LockMap {
                &self.map
            }
        }
    };
}

pub(crate) use once_methods;

// ===== Once (parking_lot's) =====

/// A synchronisation primitive which runs a one-time initialisation:
/// `parking_lot::Once` with lock-dependency checking.
///
/// Same API as parking_lot 0.13's `Once` ([`OnceState`] is parking_lot's own
/// type). Its class is the caller's site of [`Once::new`]; running the closure
/// is an exclusive acquisition of it, and a call that finds the `Once` not
/// completed may wait, which is validated first (see `docs/semantics.md`,
/// *One-time initialisation*).
///
/// ```
/// use lockdep::Once;
/// static INIT: Once = Once::new();
/// let mut ran = 0;
/// INIT.call_once(|| ran += 1);
/// INIT.call_once(|| ran += 1); // completed: records nothing, runs nothing
/// assert_eq!(ran, 1);
/// assert!(INIT.state().done());
/// ```
pub struct Once {
    map: LockMap,
    inner: parking_lot::Once,
}

impl Once {
    /// A new `Once` that has not run; its class is the caller's site.
    #[track_caller]
    pub const fn new() -> Once {
        Once {
            map: LockMap::at_caller_for::<Self>(),
            inner: parking_lot::Once::new(),
        }
    }

    /// A `Once` that has already completed (its closures never run, and
    /// nothing is ever recorded for it).
    #[track_caller]
    pub const fn new_completed() -> Once {
        Once {
            map: LockMap::at_caller_for::<Self>(),
            inner: parking_lot::Once::new_completed(),
        }
    }

    /// The current state (reads never record anything).
    #[inline]
    pub fn state(&self) -> OnceState {
        self.inner.state()
    }
}

once_methods!(OnceState);

impl Default for Once {
    /// A new `Once`; its class is the caller's site (the user's, when the
    /// caller is the standard library: see `docs/semantics.md`).
    #[track_caller]
    fn default() -> Once {
        Once {
            map: LockMap::at_runtime_caller_for::<Self>(),
            inner: parking_lot::Once::new(),
        }
    }
}

impl fmt::Debug for Once {
    /// As parking_lot's: `Once { state: New }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

// ===== OnceLock (std's) =====

/// A cell written once, by the first caller of
/// [`get_or_init`](OnceLock::get_or_init) or [`set`](OnceLock::set):
/// `std::sync::OnceLock` with lock-dependency checking.
///
/// Same API as std's stable `OnceLock`. Its class is the caller's site of
/// [`OnceLock::new`] (or `Default`, `From`, `Clone`).
///
/// To the checker, running the initialiser is an exclusive acquisition of
/// the class, held while it runs; an access that finds the cell empty may
/// wait for another thread's initialiser, so it is a blocking acquisition
/// (validated before it waits); an access to a full cell records nothing.
/// See `docs/semantics.md`, *One-time initialisation*.
///
/// ```
/// use lockdep::OnceLock;
/// static CONFIG: OnceLock<String> = OnceLock::new();
/// assert_eq!(CONFIG.get(), None);
/// assert_eq!(CONFIG.get_or_init(|| "fast".into()), "fast");
/// assert_eq!(CONFIG.set("slow".into()), Err("slow".into()));
/// ```
pub struct OnceLock<T> {
    map: LockMap,
    inner: std::sync::OnceLock<T>,
}

impl<T> OnceLock<T> {
    /// A new empty cell; its class is the caller's site.
    #[track_caller]
    pub const fn new() -> OnceLock<T> {
        OnceLock {
            map: LockMap::at_caller_for::<Self>(),
            inner: std::sync::OnceLock::new(),
        }
    }

    /// The value, if initialised; never blocks and records nothing.
    #[inline]
    pub fn get(&self) -> Option<&T> {
        self.inner.get()
    }

    /// The value, mutably, if initialised.
    #[inline]
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.inner.get_mut()
    }

    /// Blocks until the cell is initialised. A blocking acquisition of the
    /// class when it is not.
    #[track_caller]
    pub fn wait(&self) -> &T {
        if let Some(value) = self.inner.get() {
            return value;
        }
        self.map.might_acquire();
        self.inner.wait()
    }

    /// Initialises the cell with `value`, or gives it back if the cell was
    /// already initialised. May block while another thread initialises it:
    /// when not initialised, a blocking acquisition of the class.
    #[track_caller]
    pub fn set(&self, value: T) -> Result<(), T> {
        if self.inner.get().is_some() {
            return Err(value);
        }
        self.map.might_acquire();
        self.inner.set(value)
    }

    /// The value, running `f` to initialise the cell first if it is empty.
    /// Other callers block while `f` runs; `f` must not initialise this cell
    /// (std: it deadlocks or panics; the checker reports recursive locking).
    ///
    /// # Lock dependency tracking
    /// Initialised: nothing. Otherwise a blocking acquisition of the class,
    /// validated before waiting, and if this thread runs `f`, the class is
    /// held while it runs.
    #[track_caller]
    pub fn get_or_init<F>(&self, f: F) -> &T
    where
        F: FnOnce() -> T,
    {
        get_or_init(&self.map, &self.inner, f)
    }

    /// The value, if the cell was initialised.
    pub fn into_inner(self) -> Option<T> {
        self.inner.into_inner()
    }

    /// Takes the value out, leaving the cell empty.
    pub fn take(&mut self) -> Option<T> {
        self.inner.take()
    }

    /// The checker's handle for this cell (a lockdep extra).
    pub const fn lock_map(&self) -> &LockMap {
        &self.map
    }
}

impl<T> Default for OnceLock<T> {
    /// A new empty cell; its class is the caller's site (the user's, when
    /// the caller is the standard library: `Arc::default()`).
    #[track_caller]
    fn default() -> OnceLock<T> {
        OnceLock {
            map: LockMap::at_runtime_caller_for::<Self>(),
            inner: std::sync::OnceLock::new(),
        }
    }
}

impl<T> From<T> for OnceLock<T> {
    /// An initialised cell; its class is the caller's site.
    #[track_caller]
    fn from(value: T) -> OnceLock<T> {
        OnceLock {
            map: LockMap::at_runtime_caller_for::<Self>(),
            inner: std::sync::OnceLock::from(value),
        }
    }
}

impl<T: Clone> Clone for OnceLock<T> {
    /// A cell holding a clone of the value, if any; its class is the site of
    /// the `clone` call (never blocks, records nothing).
    #[track_caller]
    fn clone(&self) -> OnceLock<T> {
        OnceLock {
            map: LockMap::at_runtime_caller_for::<Self>(),
            inner: self.inner.clone(),
        }
    }
}

impl<T: PartialEq> PartialEq for OnceLock<T> {
    fn eq(&self, other: &OnceLock<T>) -> bool {
        self.inner == other.inner
    }
}

impl<T: Eq> Eq for OnceLock<T> {}

impl<T: fmt::Debug> fmt::Debug for OnceLock<T> {
    /// As std's: `OnceLock(5)`, `OnceLock(<uninit>)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

// ===== LazyLock (std's) =====

/// A value initialised on first access by a function: `std::sync::LazyLock`
/// with lock-dependency checking.
///
/// Same API as std's stable `LazyLock` (`new`, `force`, `force_mut`, `get`,
/// `get_mut`, `Deref`, `DerefMut`, `Default`, `Debug`); the methods are
/// associated functions (`LazyLock::force(&L)`), as in std, so they never
/// shadow the value's own. Its class is the caller's site of
/// [`LazyLock::new`]: the first access runs the function holding it, and a
/// thread that arrives meanwhile waits, as for [`OnceLock`].
/// A function that panics poisons the `LazyLock`: every later access panics.
///
/// ```
/// use lockdep::{LazyLock, Mutex};
/// static TABLE: LazyLock<Mutex<Vec<u32>>> = LazyLock::new(|| Mutex::new(vec![1, 2]));
/// TABLE.lock().push(3);
/// assert_eq!(*TABLE.lock(), [1, 2, 3]);
/// ```
pub struct LazyLock<T, F = fn() -> T> {
    map: LockMap,
    cell: std::sync::OnceLock<T>,
    /// The function, until an initialiser takes it.
    init: Cell<Option<F>>,
}

// SAFETY: `init` is only touched inside the initialiser closure given to
// `cell.get_or_init`, which std's `OnceLock` runs on at most one thread at a
// time (the others block until it returns or unwinds), or through `&mut self`.
// So `&LazyLock` shared between threads never touches the `Cell` concurrently.
// `F` must be `Send` because the thread that initialises takes it; `T` must be
// `Send + Sync` because it is built on one thread and shared with (and
// dropped by) others. These are std's bounds for `Sync for LazyLock<T, F>`.
unsafe impl<T: Sync + Send, F: Send> Sync for LazyLock<T, F> {}

impl<T: RefUnwindSafe + UnwindSafe, F: UnwindSafe> RefUnwindSafe for LazyLock<T, F> {}

impl<T, F: FnOnce() -> T> LazyLock<T, F> {
    /// A new lazy value initialised by `f`; its class is the caller's site.
    #[track_caller]
    pub const fn new(f: F) -> LazyLock<T, F> {
        LazyLock {
            map: LockMap::at_caller_for::<Self>(),
            cell: std::sync::OnceLock::new(),
            init: Cell::new(Some(f)),
        }
    }

    /// The value, initialising it first if needed (what `Deref` does).
    ///
    /// # Lock dependency tracking
    /// Initialised: nothing. Otherwise a blocking acquisition of the class,
    /// validated before waiting, and if this thread runs the function, the
    /// class is held while it runs.
    #[track_caller]
    pub fn force(this: &LazyLock<T, F>) -> &T {
        get_or_init(&this.map, &this.cell, || match this.init.take() {
            Some(f) => f(),
            None => panic!("LazyLock instance has previously been poisoned"),
        })
    }

    /// The value, mutably, initialising it first if needed. Nobody else can
    /// wait on it (`&mut`), but the function still runs holding the class.
    #[track_caller]
    pub fn force_mut(this: &mut LazyLock<T, F>) -> &mut T {
        LazyLock::force(this);
        match this.cell.get_mut() {
            Some(value) => value,
            None => unreachable!("LazyLock::force initialised it"),
        }
    }
}

impl<T, F> LazyLock<T, F> {
    /// The value, if initialised; never initialises and records nothing.
    #[inline]
    pub fn get(this: &LazyLock<T, F>) -> Option<&T> {
        this.cell.get()
    }

    /// The value, mutably, if initialised.
    #[inline]
    pub fn get_mut(this: &mut LazyLock<T, F>) -> Option<&mut T> {
        this.cell.get_mut()
    }

    /// The checker's handle for this value (a lockdep extra; an associated
    /// function so that it never shadows the value's own `lock_map`).
    pub const fn lock_map(this: &LazyLock<T, F>) -> &LockMap {
        &this.map
    }
}

impl<T, F: FnOnce() -> T> Deref for LazyLock<T, F> {
    type Target = T;

    /// [`LazyLock::force`].
    #[track_caller]
    fn deref(&self) -> &T {
        LazyLock::force(self)
    }
}

impl<T, F: FnOnce() -> T> DerefMut for LazyLock<T, F> {
    /// [`LazyLock::force_mut`].
    #[track_caller]
    fn deref_mut(&mut self) -> &mut T {
        LazyLock::force_mut(self)
    }
}

impl<T: Default> Default for LazyLock<T> {
    /// A lazy `T::default()`; its class is the caller's site (the user's,
    /// when the caller is the standard library).
    #[track_caller]
    fn default() -> LazyLock<T> {
        LazyLock {
            map: LockMap::at_runtime_caller_for::<Self>(),
            cell: std::sync::OnceLock::new(),
            init: Cell::new(Some(T::default)),
        }
    }
}

impl<T: fmt::Debug, F> fmt::Debug for LazyLock<T, F> {
    /// As std's: `LazyLock(5)`, `LazyLock(<uninit>)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_tuple("LazyLock");
        match self.cell.get() {
            Some(value) => d.field(value),
            None => d.field(&format_args!("<uninit>")),
        };
        d.finish()
    }
}
