//! Lock-order bugs in the shapes they take in real code. Each shape has a
//! buggy variant that must be reported (kind and the classes on the cycle)
//! and a fixed variant that must stay clean.
//!
//! Every "thread" runs to completion before the next one starts (spawn, then
//! join), so no test can really deadlock: the checker finds the problem from
//! the orders alone. Variants use their own construction sites or named
//! classes, so they do not see each other's dependencies in this process.

mod common;
use common::*;

use lockdep::{LockClass, Mode, ReportKind, RwLock};

/// ` @ file:line:` of a site class built on `line` of this file (site classes
/// print as `Type @ file:line:col`).
fn site(line: u32) -> String {
    format!(" @ {}:{}:", file!(), line)
}

/// Every report naming a class built at one of `sites` (see [`site`]), as a
/// class on it or as a held lock.
fn reports_at_sites(sites: &[String]) -> Vec<lockdep::Report> {
    let at_site = |name: &str| sites.iter().any(|s| name.contains(s.as_str()));
    lockdep::reports()
        .into_iter()
        .filter(|r| {
            r.classes().into_iter().any(at_site) || r.held.iter().any(|l| at_site(&l.class.name))
        })
        .collect()
}

// ===== Shape 1: a progress-bar library on std::sync (through the facade) =====

/// A progress-bar library in the style of indicatif, written against
/// `std::sync` and switched to `lockdep::stdsync`.
mod progress {
    use lockdep::stdsync::{Arc, Mutex, RwLock};

    /// One bar's own state, behind the bar's mutex.
    #[derive(Default)]
    pub struct BarState {
        pub pos: u64,
        /// The line the bar was last drawn on.
        pub line: Option<usize>,
    }

    /// The shared state of all bars: their draw order.
    #[derive(Default)]
    pub struct MultiState {
        pub order: Vec<usize>,
    }

    pub struct MultiProgress {
        state: Arc<RwLock<MultiState>>,
    }

    pub struct ProgressBar {
        id: usize,
        state: Mutex<BarState>,
        multi: Arc<RwLock<MultiState>>,
    }

    impl MultiProgress {
        // `#[track_caller]` so that the class of each lock is the test's
        // call site: each test variant gets its own classes. A real library
        // would not need it (one class for all bars is what it wants).
        #[track_caller]
        pub fn new() -> MultiProgress {
            MultiProgress {
                state: Arc::new(RwLock::new(MultiState::default())),
            }
        }

        #[track_caller]
        pub fn add(&self) -> ProgressBar {
            let mut multi = self.state.write().unwrap();
            let id = multi.order.len();
            multi.order.push(id);
            ProgressBar {
                id,
                state: Mutex::new(BarState::default()),
                multi: Arc::clone(&self.state),
            }
        }

        /// BUGGY: holds the multi state for write while it locks the anchor
        /// bar (to read the line it was drawn on). A ticker holds its bar and
        /// then reads the multi state: ABBA.
        pub fn insert_after_locking_anchor(&self, anchor: &ProgressBar, bar: &ProgressBar) {
            let mut multi = self.state.write().unwrap();
            let anchor_line = anchor.state.lock().unwrap().line;
            multi.order.retain(|&id| id != bar.id);
            let at = anchor_line.map_or(multi.order.len(), |l| (l + 1).min(multi.order.len()));
            multi.order.insert(at, bar.id);
        }

        /// FIXED: finds the anchor by its id, which never changes and needs no
        /// lock: no bar is locked under the multi state.
        pub fn insert_after(&self, anchor: &ProgressBar, bar: &ProgressBar) {
            let mut multi = self.state.write().unwrap();
            multi.order.retain(|&id| id != bar.id);
            let at = multi
                .order
                .iter()
                .position(|&id| id == anchor.id)
                .map_or(multi.order.len(), |i| i + 1);
            multi.order.insert(at, bar.id);
        }

        pub fn order(&self) -> Vec<usize> {
            self.state.read().unwrap().order.clone()
        }
    }

    impl ProgressBar {
        /// The ticker's step: update the bar, then read the layout to draw
        /// it, still holding the bar.
        pub fn tick(&self) {
            let mut state = self.state.lock().unwrap();
            state.pos += 1;
            let multi = self.multi.read().unwrap();
            state.line = multi.order.iter().position(|&id| id == self.id);
        }
    }
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn shape1_progress_bar_ticker_vs_insert_after_is_reported() {
    use progress::MultiProgress;
    let (multi, multi_line) = (MultiProgress::new(), line!());
    let (anchor, anchor_line) = (multi.add(), line!());
    let bar = multi.add();
    let (state_site, anchor_site) = (site(multi_line), site(anchor_line));
    let sites = [state_site.clone(), anchor_site.clone()];

    // The ticker thread: anchor bar, then the multi state (read).
    run_named("shape1-ticker", || anchor.tick());
    assert!(reports_at_sites(&sites).is_empty());
    // Later, another thread: multi state (write), then the anchor bar.
    run_named("shape1-insert", || {
        multi.insert_after_locking_anchor(&anchor, &bar)
    });

    let found = reports_at_sites(&sites);
    assert_eq!(found.len(), 1, "{found:#?}");
    let r = &found[0];
    assert_eq!(r.kind, ReportKind::CircularDependency);
    let classes = r.classes();
    assert_eq!(classes.len(), 2, "{classes:?}");
    assert!(classes[0].contains(&state_site), "{classes:?}");
    assert!(classes[1].contains(&anchor_site), "{classes:?}");
    assert_eq!(r.holding.as_ref().unwrap().mode, Mode::Exclusive);
    assert_eq!(r.thread.name, "shape1-insert");
    // The other half of the cycle was the ticker's read of the state.
    assert_eq!(r.chain[0].thread.name, "shape1-ticker");
    assert_eq!(multi.order(), [0, 1]);
}

#[test]
fn shape1_progress_bar_fixed_insert_after_is_clean() {
    use progress::MultiProgress;
    let (multi, multi_line) = (MultiProgress::new(), line!());
    let (anchor, anchor_line) = (multi.add(), line!());
    let (bar, bar_line) = (multi.add(), line!());
    let sites = [site(multi_line), site(anchor_line), site(bar_line)];

    run_named("shape1-fixed-ticker", || anchor.tick());
    run_named("shape1-fixed-insert", || multi.insert_after(&anchor, &bar));
    run_named("shape1-fixed-ticker2", || bar.tick());

    assert!(
        reports_at_sites(&sites).is_empty(),
        "{:#?}",
        reports_at_sites(&sites)
    );
    assert_eq!(multi.order(), [0, 1]);
}

// ===== Shape 2: an asset server built by #[derive(Default)] =====

/// An asset server in the style of a game engine's: two `RwLock`s of
/// different types, both built by one `#[derive(Default)]`, so both have the
/// same construction site. Their classes differ only because a site class is
/// keyed by the lock's type too; with the site alone they would be one class
/// and the inversion below would turn into a bogus recursive-locking report.
mod assets {
    use std::collections::HashMap;

    use lockdep::RwLock;

    pub trait AssetLoader: Send + Sync {
        fn extensions(&self) -> &[&'static str];
    }

    pub struct TextLoader;

    impl AssetLoader for TextLoader {
        fn extensions(&self) -> &[&'static str] {
            &["txt", "md"]
        }
    }

    /// `add_loader` takes both locks for write, `loaders` first; `get_loader`
    /// reads `extension_to_loader_index` first, then `loaders`. A reader
    /// holding the index while a writer holds `loaders` and waits for the
    /// index blocks for ever: a fair RwLock queues the reader's second read
    /// behind the waiting writer.
    #[derive(Default)]
    pub struct BuggyAssetServer {
        loaders: RwLock<Vec<Box<dyn AssetLoader>>>,
        extension_to_loader_index: RwLock<HashMap<String, usize>>,
    }

    impl BuggyAssetServer {
        pub fn add_loader(&self, loader: Box<dyn AssetLoader>) {
            let mut loaders = self.loaders.write();
            let mut index = self.extension_to_loader_index.write();
            for ext in loader.extensions() {
                index.insert(ext.to_string(), loaders.len());
            }
            loaders.push(loader);
        }

        pub fn get_loader(&self, ext: &str) -> Option<usize> {
            let index = self.extension_to_loader_index.read();
            let i = *index.get(ext)?;
            let loaders = self.loaders.read();
            (i < loaders.len()).then_some(i)
        }
    }

    /// The fix: `get_loader` takes the locks in `add_loader`'s order.
    #[derive(Default)]
    pub struct FixedAssetServer {
        loaders: RwLock<Vec<Box<dyn AssetLoader>>>,
        extension_to_loader_index: RwLock<HashMap<String, usize>>,
    }

    impl FixedAssetServer {
        pub fn add_loader(&self, loader: Box<dyn AssetLoader>) {
            let mut loaders = self.loaders.write();
            let mut index = self.extension_to_loader_index.write();
            for ext in loader.extensions() {
                index.insert(ext.to_string(), loaders.len());
            }
            loaders.push(loader);
        }

        pub fn get_loader(&self, ext: &str) -> Option<usize> {
            let loaders = self.loaders.read();
            let index = self.extension_to_loader_index.read();
            let i = *index.get(ext)?;
            (i < loaders.len()).then_some(i)
        }
    }

    /// The printed class names of the buggy server's two locks.
    pub fn buggy_classes(s: &BuggyAssetServer) -> (String, String) {
        (
            s.loaders.lock_map().class_name(),
            s.extension_to_loader_index.lock_map().class_name(),
        )
    }

    /// The printed class names of the fixed server's two locks.
    pub fn fixed_classes(s: &FixedAssetServer) -> (String, String) {
        (
            s.loaders.lock_map().class_name(),
            s.extension_to_loader_index.lock_map().class_name(),
        )
    }
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn shape2_asset_server_write_write_vs_read_read_is_reported() {
    use assets::*;
    let server = std::sync::Arc::new(BuggyAssetServer::default());
    let (loaders, index) = buggy_classes(&server);
    // One derive, two types: two classes, both at the derive.
    assert_ne!(loaders, index);
    assert!(
        loaders.starts_with("RwLock<Vec<Box<dyn AssetLoader>>> @ "),
        "{loaders}"
    );
    assert!(
        index.starts_with("RwLock<HashMap<String, usize>> @ "),
        "{index}"
    );
    assert_eq!(loaders.split(" @ ").nth(1), index.split(" @ ").nth(1));

    let s = server.clone();
    run_named("asset-loader-registration", move || {
        s.add_loader(Box::new(TextLoader))
    });
    let s = server.clone();
    let found = run_named("asset-load", move || s.get_loader("txt"));
    assert_eq!(found, Some(0));

    let reports = reports_naming(&[loaders.as_str(), index.as_str()]);
    assert_eq!(reports.len(), 1, "{reports:#?}");
    let r = &reports[0];
    assert_eq!(r.kind, ReportKind::CircularDependency);
    // get_loader holds the index (read) and acquires loaders (read).
    assert_eq!(r.classes(), [index.as_str(), loaders.as_str()]);
    assert_eq!(r.acquiring.as_ref().unwrap().mode, Mode::Read);
    assert_eq!(r.holding.as_ref().unwrap().mode, Mode::Read);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn shape2_asset_server_fixed_order_is_clean() {
    use assets::*;
    let server = std::sync::Arc::new(FixedAssetServer::default());
    let (loaders, index) = fixed_classes(&server);
    let s = server.clone();
    run_named("asset-loader-registration-fixed", move || {
        s.add_loader(Box::new(TextLoader))
    });
    let s = server.clone();
    assert_eq!(
        run_named("asset-load-fixed", move || s.get_loader("md")),
        Some(0)
    );
    assert!(reports_naming(&[loaders.as_str(), index.as_str()]).is_empty());
    assert!(lockdep::graph().has_edge(&loaders, &index));
}

// ===== Shape 3: read -> read through two RwLock statics, plus writers =====
//
// Thread 1 reads A then B, thread 2 reads B then A, and writers exist. With
// task-fair locks and the four interleaved, they deadlock: thread 1 holds A
// and its read of B queues behind B's waiting writer, which waits for thread
// 2's read of B; thread 2's read of A queues behind A's waiting writer, which
// waits for thread 1. Only the non-recursive read (`read`) models that.

static S3_A: RwLock<u32> = RwLock::new(0);
static S3_B: RwLock<u32> = RwLock::new(0);
static S3_REC_A: lockdep::RecursiveRwLock<u32> = lockdep::RecursiveRwLock::new(0);
static S3_REC_B: lockdep::RecursiveRwLock<u32> = lockdep::RecursiveRwLock::new(0);
static S3_FIXED_A: RwLock<u32> = RwLock::new(0);
static S3_FIXED_B: RwLock<u32> = RwLock::new(0);

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn shape3_read_read_cycle_with_writers_is_reported() {
    let (a, b) = (S3_A.lock_map().class_name(), S3_B.lock_map().class_name());
    assert!(a.contains(file!()) && b.contains(file!()) && a != b);
    let names = [a.as_str(), b.as_str()];

    run_named("shape3-ab", || {
        let _a = S3_A.read();
        let _b = S3_B.read();
    });
    run_named("shape3-writer-a", || *S3_A.write() += 1);
    run_named("shape3-writer-b", || *S3_B.write() += 1);
    assert!(reports_naming(&names).is_empty());
    run_named("shape3-ba", || {
        let _b = S3_B.read();
        let _a = S3_A.read();
    });

    let found = reports_naming(&names);
    assert_eq!(found.len(), 1, "{found:#?}");
    let r = &found[0];
    assert_eq!(r.kind, ReportKind::CircularDependency);
    assert_eq!(r.classes(), [b.as_str(), a.as_str()]);
    assert_eq!(r.holding.as_ref().unwrap().mode, Mode::Read);
    assert_eq!(r.acquiring.as_ref().unwrap().mode, Mode::Read);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn shape3_same_cycle_with_recursive_reads_is_not_a_deadlock() {
    // A recursive reader is blocked only by a writer that *holds* the lock,
    // never by one that waits. Both threads hold only reads, so neither can
    // hold what the other waits for: A -(SR)-> B -(SR)-> A is not a strong
    // cycle, and the checker stays quiet although it saw both orders.
    let (a, b) = (
        S3_REC_A.lock_map().class_name(),
        S3_REC_B.lock_map().class_name(),
    );
    let names = [a.as_str(), b.as_str()];

    run_named("shape3-rec-ab", || {
        let _a = S3_REC_A.read();
        let _b = S3_REC_B.read();
    });
    run_named("shape3-rec-writer-a", || *S3_REC_A.write() += 1);
    run_named("shape3-rec-writer-b", || *S3_REC_B.write() += 1);
    run_named("shape3-rec-ba", || {
        let _b = S3_REC_B.read();
        let _a = S3_REC_A.read();
    });

    let g = lockdep::graph();
    assert!(
        g.has_edge(&a, &b) && g.has_edge(&b, &a),
        "both orders recorded"
    );
    assert!(
        reports_naming(&names).is_empty(),
        "{:#?}",
        reports_naming(&names)
    );
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn shape3_fixed_consistent_order_is_clean() {
    let (a, b) = (
        S3_FIXED_A.lock_map().class_name(),
        S3_FIXED_B.lock_map().class_name(),
    );
    let names = [a.as_str(), b.as_str()];

    for name in ["shape3-fixed-1", "shape3-fixed-2"] {
        run_named(name, || {
            let _a = S3_FIXED_A.read();
            let _b = S3_FIXED_B.read();
        });
    }
    run_named("shape3-fixed-writer-a", || *S3_FIXED_A.write() += 1);
    run_named("shape3-fixed-writer-b", || *S3_FIXED_B.write() += 1);

    assert!(lockdep::graph().has_edge(&a, &b));
    assert!(!lockdep::graph().has_edge(&b, &a));
    assert!(
        reports_naming(&names).is_empty(),
        "{:#?}",
        reports_naming(&names)
    );
}

// ===== Shape 4: one logical lock built in two constructors =====

/// A manager with three mutexes, built fresh (`new`) or from saved state
/// (`from_saved`, a deserializer-like constructor).
mod manager {
    use std::collections::HashMap;

    use lockdep::{LockClass, LockMap, Mutex};

    /// The classes a variant uses, so that each test variant has its own in
    /// this one process. A real manager hard-codes them (`&SESSIONS`), or
    /// leaves `sessions` to its construction sites, which is the bug shown.
    pub struct Classes {
        pub users: &'static LockClass,
        pub audit: &'static LockClass,
        /// `None`: `Mutex::new`, one class per construction site.
        pub sessions: Option<&'static LockClass>,
    }

    pub struct Saved {
        pub sessions: Vec<u64>,
        pub users: HashMap<u64, String>,
    }

    pub struct Manager {
        sessions: Mutex<Vec<u64>>,
        users: Mutex<HashMap<u64, String>>,
        audit: Mutex<Vec<String>>,
    }

    impl Manager {
        pub fn new(classes: &Classes) -> Manager {
            Manager {
                sessions: match classes.sessions {
                    Some(class) => Mutex::with_class(Vec::new(), class),
                    None => Mutex::new(Vec::new()),
                },
                users: Mutex::with_class(HashMap::new(), classes.users),
                audit: Mutex::with_class(Vec::new(), classes.audit),
            }
        }

        pub fn from_saved(classes: &Classes, saved: Saved) -> Manager {
            Manager {
                sessions: match classes.sessions {
                    Some(class) => Mutex::with_class(saved.sessions, class),
                    None => Mutex::new(saved.sessions),
                },
                users: Mutex::with_class(saved.users, classes.users),
                audit: Mutex::with_class(Vec::new(), classes.audit),
            }
        }

        /// sessions -> users -> audit.
        pub fn login(&self, id: u64, name: &str) {
            let mut sessions = self.sessions.lock();
            let mut users = self.users.lock();
            users.insert(id, name.to_owned());
            sessions.push(id);
            self.audit.lock().push(format!("login {id}"));
        }

        /// BUGGY: users -> sessions (-> audit), the opposite of `login`.
        pub fn expire_inverted(&self, id: u64) {
            let mut users = self.users.lock();
            let mut sessions = self.sessions.lock();
            sessions.retain(|&s| s != id);
            users.remove(&id);
            self.audit.lock().push(format!("expire {id}"));
        }

        /// FIXED: the same order as `login`.
        pub fn expire(&self, id: u64) {
            let mut sessions = self.sessions.lock();
            let mut users = self.users.lock();
            sessions.retain(|&s| s != id);
            users.remove(&id);
            self.audit.lock().push(format!("expire {id}"));
        }

        pub fn sessions_map(&self) -> &LockMap {
            self.sessions.lock_map()
        }

        pub fn session_count(&self) -> usize {
            self.sessions.lock().len()
        }
    }
}

fn saved() -> manager::Saved {
    manager::Saved {
        sessions: vec![7],
        users: [(7, String::from("seven"))].into(),
    }
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn shape4_site_classes_split_one_lock_and_miss_the_inversion() {
    use manager::{Classes, Manager};
    static USERS: LockClass = LockClass::new("shape4-sites::users");
    static AUDIT: LockClass = LockClass::new("shape4-sites::audit");
    let classes = Classes {
        users: &USERS,
        audit: &AUDIT,
        sessions: None,
    };
    let fresh = Manager::new(&classes);
    let restored = Manager::from_saved(&classes, saved());
    let (s_new, s_saved) = (
        fresh.sessions_map().class_name(),
        restored.sessions_map().class_name(),
    );
    assert_ne!(s_new, s_saved, "two construction sites, two classes");
    let names = [
        "shape4-sites::users",
        "shape4-sites::audit",
        &s_new,
        &s_saved,
    ];

    // Logins are tested on fresh managers, expiry on restored ones.
    run_named("shape4-sites-login", || fresh.login(1, "one"));
    run_named("shape4-sites-expire", || restored.expire_inverted(7));

    // sessions@new -> users and users -> sessions@from_saved: no cycle in the
    // class graph, although either manager can deadlock on its own.
    assert!(
        reports_naming(&names).is_empty(),
        "{:#?}",
        reports_naming(&names)
    );
    let g = lockdep::graph();
    assert!(g.has_edge(&s_new, "shape4-sites::users"));
    assert!(g.has_edge("shape4-sites::users", &s_saved));

    // The same two calls on one manager are caught: the miss is the split class.
    run_named("shape4-sites-expire-fresh", || fresh.expire_inverted(1));
    let found = reports_for(ReportKind::CircularDependency, &names);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].classes(), ["shape4-sites::users", s_new.as_str()]);
    assert_eq!((fresh.session_count(), restored.session_count()), (0, 0));
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn shape4_named_class_joins_both_constructors_and_reports_the_inversion() {
    use manager::{Classes, Manager};
    static USERS: LockClass = LockClass::new("shape4-named::users");
    static AUDIT: LockClass = LockClass::new("shape4-named::audit");
    static SESSIONS: LockClass = LockClass::new("&Manager->sessions");
    let classes = Classes {
        users: &USERS,
        audit: &AUDIT,
        sessions: Some(&SESSIONS),
    };
    let fresh = Manager::new(&classes);
    let restored = Manager::from_saved(&classes, saved());
    assert_eq!(fresh.sessions_map().class_name(), "&Manager->sessions");
    assert_eq!(restored.sessions_map().class_name(), "&Manager->sessions");
    let names = [
        "shape4-named::users",
        "shape4-named::audit",
        "&Manager->sessions",
    ];

    run_named("shape4-named-login", || fresh.login(1, "one"));
    assert!(reports_naming(&names).is_empty());
    run_named("shape4-named-expire", || restored.expire_inverted(7));

    let found = reports_naming(&names);
    assert_eq!(found.len(), 1, "{found:#?}");
    let r = &found[0];
    assert_eq!(r.kind, ReportKind::CircularDependency);
    // Holding users (expire), acquiring sessions; audit is not on the cycle.
    assert_eq!(r.classes(), ["shape4-named::users", "&Manager->sessions"]);
    assert_eq!(r.thread.name, "shape4-named-expire");
    assert_eq!(r.chain[0].thread.name, "shape4-named-login");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn shape4_fixed_consistent_order_is_clean() {
    use manager::{Classes, Manager};
    static USERS: LockClass = LockClass::new("shape4-fixed::users");
    static AUDIT: LockClass = LockClass::new("shape4-fixed::audit");
    static SESSIONS: LockClass = LockClass::new("shape4-fixed::&Manager->sessions");
    let classes = Classes {
        users: &USERS,
        audit: &AUDIT,
        sessions: Some(&SESSIONS),
    };
    let fresh = Manager::new(&classes);
    let restored = Manager::from_saved(&classes, saved());
    let names = [
        "shape4-fixed::users",
        "shape4-fixed::audit",
        "shape4-fixed::&Manager->sessions",
    ];

    run_named("shape4-fixed-login", || fresh.login(1, "one"));
    run_named("shape4-fixed-expire", || restored.expire(7));
    run_named("shape4-fixed-expire-fresh", || fresh.expire(1));

    assert!(
        reports_naming(&names).is_empty(),
        "{:#?}",
        reports_naming(&names)
    );
    let g = lockdep::graph();
    assert!(g.has_edge("shape4-fixed::&Manager->sessions", "shape4-fixed::users"));
    assert!(!g.has_edge("shape4-fixed::users", "shape4-fixed::&Manager->sessions"));
    assert_eq!((fresh.session_count(), restored.session_count()), (0, 0));
}
