//! [`LockMap`]: the event-level annotation API (the kernel's `lockdep_map`).
//!
//! A `LockMap` is a class-bearing object with no lock behind it. Every lock
//! wrapper in this crate embeds one and reports its acquisitions and releases
//! through it; user code uses it directly for its own lock types and for
//! *pseudo-locks*, waits that are not locks (the kernel's `fs_reclaim`,
//! workqueue flushes, completions).
//!
//! ```
//! use lockdep::LockMap;
//! static FS_RECLAIM: LockMap = LockMap::new("fs_reclaim");
//!
//! fn allocate() {
//!     // "this may enter reclaim": records held-lock -> fs_reclaim edges
//!     FS_RECLAIM.might_acquire();
//! }
//! fn direct_reclaim() {
//!     let _reclaim = FS_RECLAIM.acquire();
//!     // everything taken here gets an fs_reclaim -> lock edge
//! }
//! # allocate(); direct_reclaim();
//! ```
//!
//! This file holds a map's identity (its class, resolved on first use, and
//! its instance id); the event API that feeds the engine is `map/events.rs`,
//! a layer above (docs/design.md, "Layers").

mod events;

pub use events::LockMapGuard;

use std::cell::Cell;
use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crate::class::{self, LockClass, Site};

pub use crate::mode::Mode;

/// Where a `LockMap`'s class comes from.
#[derive(Clone, Copy)]
enum Source {
    /// Construction site, optionally named (`LockMap::new("fs_reclaim")`).
    Site(&'static Location<'static>, Option<&'static str>),
    /// Construction site of a lock wrapper, keyed also by the wrapper's type
    /// (`type_name::<RwLock<Vec<u8>>>`), so locks of different types built at
    /// one site (the fields of a `#[derive(Default)]` struct) get different classes.
    TypedSite(&'static Location<'static>, fn() -> &'static str),
    /// A named class, and where the lock using it was constructed.
    Class(&'static LockClass, &'static Location<'static>),
    /// A lock wrapper built inside the standard library (`Arc::default`):
    /// the user's construction site found on the stack (see [`crate::site`]),
    /// and the wrapper's type.
    UserSite(&'static crate::site::UserSite, fn() -> &'static str),
}

/// A lock object as the checker sees it: a class plus an instance identity.
///
/// See the [module documentation](self) for pseudo-locks. All methods take
/// `&self`; a `LockMap` is `Sync` and can live in a `static`.
pub struct LockMap {
    source: Source,
    /// Cached class index + 1 (0 = not resolved yet, or overridden later).
    class: AtomicU32,
    /// Instance identity, assigned on first use (0 = none yet).
    instance: AtomicU64,
}

/// The next block of instance ids to hand out (ids start at 1: 0 means "none").
static NEXT_INSTANCE: AtomicU64 = AtomicU64::new(1);

/// How many instance ids a thread takes from [`NEXT_INSTANCE`] at once.
const INSTANCE_BLOCK: u64 = 1024;

thread_local! {
    /// This thread's block of instance ids: `(next, end)`, empty when equal.
    static INSTANCE_IDS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

/// A new instance id: from this thread's block, refilled by one `fetch_add`
/// every [`INSTANCE_BLOCK`] ids. Blocks never overlap, so ids are unique and
/// never 0 (during thread-local teardown ids come one at a time).
#[inline]
fn fresh_instance() -> u64 {
    INSTANCE_IDS
        .try_with(|ids| {
            next_instance(ids, INSTANCE_BLOCK, |n| {
                NEXT_INSTANCE.fetch_add(n, Ordering::Relaxed)
            })
        })
        .unwrap_or_else(|_| NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed))
}

/// The next id of a thread's block `ids` = `(next, end)`, refilled when empty
/// by `take_block(block)`, which returns the first id of `block` fresh ones
/// (a `fetch_add` on the shared counter: blocks never overlap). Written
/// against a closure so the loom model below runs this very code.
#[inline]
fn next_instance(ids: &Cell<(u64, u64)>, block: u64, take_block: impl FnOnce(u64) -> u64) -> u64 {
    let (next, end) = ids.get();
    if next < end {
        ids.set((next + 1, end));
        next
    } else {
        let start = take_block(block);
        ids.set((start + 1, start + block));
        start
    }
}

impl LockMap {
    /// A pseudo-lock whose class is named `name` and keyed by this call site
    /// (usable in a `static`, like the kernel's `STATIC_LOCKDEP_MAP_INIT`).
    #[track_caller]
    pub const fn new(name: &'static str) -> LockMap {
        LockMap::from_source(Source::Site(Location::caller(), Some(name)))
    }

    /// A map whose class is the caller's source location (what every lock
    /// wrapper's `new` uses).
    #[track_caller]
    pub const fn at_caller() -> LockMap {
        LockMap::from_source(Source::Site(Location::caller(), None))
    }

    /// A map whose class is the caller's source location and the type `L` of
    /// the lock it belongs to (what every lock wrapper's `new` uses).
    #[track_caller]
    pub(crate) const fn at_caller_for<L: ?Sized>() -> LockMap {
        LockMap::from_source(Source::TypedSite(
            Location::caller(),
            core::any::type_name::<L>,
        ))
    }

    /// As [`at_caller_for`](Self::at_caller_for), for constructors that run
    /// at run time (`Default::default`, not `const`): when the caller is
    /// inside the standard library (`Arc::default`, `Box::default`, a
    /// `LazyLock`), the class is the user's construction site found on the
    /// stack instead (see [`crate::site`]).
    #[track_caller]
    #[inline]
    pub(crate) fn at_runtime_caller_for<L: ?Sized>() -> LockMap {
        let at = Location::caller();
        if crate::site::is_std_path(at.file())
            && let Some(user) = crate::site::construction_site(at)
        {
            return LockMap::from_source(Source::UserSite(user, core::any::type_name::<L>));
        }
        LockMap::from_source(Source::TypedSite(at, core::any::type_name::<L>))
    }

    /// A map in the named class `class`.
    #[track_caller]
    pub const fn with_class(class: &'static LockClass) -> LockMap {
        LockMap::from_source(Source::Class(class, Location::caller()))
    }

    const fn from_source(source: Source) -> LockMap {
        LockMap {
            source,
            class: AtomicU32::new(0),
            instance: AtomicU64::new(0),
        }
    }

    /// The class index, registering it on first use; `None` if the class
    /// limit was reached (the acquisition then goes untracked).
    #[inline]
    pub(crate) fn class(&self) -> Option<u32> {
        match self.class.load(Ordering::Relaxed) {
            0 => self.class_slow(),
            n => Some(n - 1),
        }
    }

    /// The class index if it was resolved before (one `Relaxed` load; the
    /// engine's fast path, which leaves registration to its slow path).
    #[inline(always)]
    pub(crate) fn class_if_resolved(&self) -> Option<u32> {
        self.class.load(Ordering::Relaxed).checked_sub(1)
    }

    #[cold]
    #[inline(never)]
    fn class_slow(&self) -> Option<u32> {
        let idx = match self.source {
            Source::Site(at, name) => class::site_class(Site::of(at), name, None)?,
            Source::TypedSite(at, ty) => class::site_class(Site::of(at), None, Some(ty()))?,
            Source::UserSite(user, ty) => class::site_class(
                Site::interned(user, user.file, user.line, user.col),
                None,
                Some(ty()),
            )?,
            Source::Class(c, at) => c.index(Some(at))?,
        };
        self.class.store(idx + 1, Ordering::Relaxed);
        Some(idx)
    }

    /// This object's identity (distinct for every `LockMap`, stable while it lives).
    #[inline(always)]
    pub(crate) fn instance(&self) -> u64 {
        match self.instance.load(Ordering::Relaxed) {
            0 => self.instance_slow(),
            n => n,
        }
    }

    #[cold]
    fn instance_slow(&self) -> u64 {
        let fresh = fresh_instance();
        match self
            .instance
            .compare_exchange(0, fresh, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => fresh,
            Err(won) => won,
        }
    }

    /// The instance id if one was ever assigned (i.e. the map was ever used).
    #[inline(always)]
    pub(crate) fn instance_if_used(&self) -> u64 {
        self.instance.load(Ordering::Relaxed)
    }

    /// Moves this lock to the named class `class` (the kernel's
    /// `lockdep_set_class`): for one logical lock built in several places
    /// (two constructors, a deserializer), or locks built by code you do not
    /// control (`#[derive(Default)]`). Call it before the lock is first used;
    /// a lock already held keeps its old class until released.
    #[track_caller]
    pub fn set_class(&self, class: &'static LockClass) {
        if let Some(idx) = class.index(Some(Location::caller())) {
            self.class.store(idx + 1, Ordering::Relaxed);
        }
    }

    /// The printed name of this map's class (`name`, `name#N`, or `file:line:col`).
    pub fn class_name(&self) -> String {
        match self.class() {
            Some(c) => class::info(c).name,
            None => String::from("<untracked>"),
        }
    }
}

impl fmt::Debug for LockMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockMap")
            .field("class", &self.class_name())
            .finish()
    }
}

/// Loom model of instance-id allocation (`RUSTFLAGS="--cfg loom" cargo test
/// --lib loom_`): threads taking ids from per-thread blocks of one shared
/// counter never get the same id, nor 0.
#[cfg(all(test, loom))]
mod loom_tests {
    use std::cell::Cell;

    use loom::sync::Arc;
    use loom::sync::atomic::{AtomicU64, Ordering};

    use super::next_instance;

    #[test]
    fn loom_instance_ids_from_blocks_are_unique() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let counter = Arc::new(AtomicU64::new(1));
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let counter = counter.clone();
                    loom::thread::spawn(move || {
                        let ids = Cell::new((0, 0));
                        // Blocks of 2: three ids cross a block boundary.
                        (0..3)
                            .map(|_| {
                                next_instance(&ids, 2, |n| counter.fetch_add(n, Ordering::Relaxed))
                            })
                            .collect::<Vec<u64>>()
                    })
                })
                .collect();
            let mut all: Vec<u64> = threads
                .into_iter()
                .flat_map(|t| t.join().unwrap())
                .collect();
            assert!(all.iter().all(|&id| id != 0));
            let n = all.len();
            all.sort_unstable();
            all.dedup();
            assert_eq!(all.len(), n, "an id was handed out twice");
        });
    }
}
