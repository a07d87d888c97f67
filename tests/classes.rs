//! Lock classes that match how Rust code builds locks: site classes keyed by
//! the lock's type, `#[lockdep::classes]` for fields, `set_class` for one
//! logical lock built in several places, and the recursive-locking hint
//! when two objects collapse into one class.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use lockdep::class::SetClass;
use lockdep::{LockClass, Mutex, ReportKind, RwLock};

use common::reports_naming;

/// Takes `first` then `second`, then the other way round.
fn inversion<A, B>(a: &RwLock<A>, b: &RwLock<B>) {
    {
        let _ga = a.write();
        let _gb = b.write();
    }
    {
        let _gb = b.write();
        let _ga = a.write();
    }
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn derived_locks_of_different_types_get_different_classes() {
    #[derive(Default)]
    struct Index {
        names: RwLock<Vec<String>>,
        ids: RwLock<HashMap<String, usize>>,
    }
    let ix = Index::default();
    let names = ix.names.lock_map().class_name();
    let ids = ix.ids.lock_map().class_name();
    assert_ne!(names, ids);
    assert!(
        names.starts_with("RwLock<Vec<String>> @ tests/classes.rs:"),
        "{names}"
    );
    assert!(
        ids.starts_with("RwLock<HashMap<String, usize>> @ tests/classes.rs:"),
        "{ids}"
    );
    // Both are at the derive: same file:line:col after the type.
    assert_eq!(names.split(" @ ").nth(1), ids.split(" @ ").nth(1));
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn same_typed_derived_fields_collapse_and_the_splat_says_how_to_fix_it() {
    #[derive(Default)]
    struct Pair {
        left: RwLock<Vec<u16>>,
        right: RwLock<Vec<u16>>,
    }
    let p = Pair::default();
    let class = p.left.lock_map().class_name();
    assert_eq!(class, p.right.lock_map().class_name());
    {
        let _l = p.left.write();
        let _r = p.right.write();
    }
    let found = reports_naming(&[class.as_str()]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let r = &found[0];
    assert_eq!(r.kind, ReportKind::RecursiveLocking);
    let note = r.note.as_deref().expect("collapse hint");
    assert!(
        note.contains("different objects built at one place"),
        "{note}"
    );
    assert!(note.contains("#[lockdep::classes]"), "{note}");
    let splat = r.splat();
    assert!(
        splat.contains("May be due to missing lock nesting notation"),
        "{splat}"
    );
    assert!(splat.contains("#[derive(Default)]"), "{splat}");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn classes_attribute_names_fields_like_the_kernel_and_finds_the_inversion() {
    #[lockdep::classes]
    #[derive(Default)]
    struct Server {
        loaders: RwLock<Vec<u32>>,
        index: RwLock<Vec<u32>>,
        #[lockdep(skip)]
        stats: Mutex<u64>,
        #[lockdep(class = "server_conn")]
        conn: Arc<Mutex<u8>>,
        name: String,
    }
    let s = Server::default();
    assert_eq!(s.loaders.lock_map().class_name(), "&Server->loaders");
    assert_eq!(s.index.lock_map().class_name(), "&Server->index");
    assert_eq!(s.conn.lock_map().class_name(), "server_conn");
    assert!(s.stats.lock_map().class_name().starts_with("Mutex<u64> @ "));
    assert!(s.name.is_empty());
    // A second instance is in the same classes.
    let t = Server::default();
    assert_eq!(t.loaders.lock_map().class_name(), "&Server->loaders");

    inversion(&s.loaders, &t.index);
    let found = reports_naming(&["&Server->loaders", "&Server->index"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
    // Printed from the held class (#1) to the one being acquired (#0).
    assert_eq!(found[0].classes(), ["&Server->index", "&Server->loaders"]);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn classes_attribute_serves_hand_written_constructors_and_generics() {
    #[lockdep::classes]
    struct Cache<K> {
        map: Mutex<Vec<K>>,
        lru: lockdep::SeqCount,
    }
    impl<K> Cache<K> {
        fn new() -> Cache<K> {
            let c = Cache {
                map: Mutex::new(Vec::new()),
                lru: lockdep::SeqCount::new(),
            };
            c.lockdep_set_classes();
            c
        }
    }
    let a: Cache<u8> = Cache::new();
    let b: Cache<String> = Cache::new();
    assert_eq!(a.map.lock_map().class_name(), "&Cache->map");
    assert_eq!(b.map.lock_map().class_name(), "&Cache->map");
    assert_eq!(a.lru.lock_map().class_name(), "&Cache->lru");
    a.map.lock().push(1);
    b.map.lock().push("x".into());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn set_class_joins_one_logical_lock_built_in_two_places() {
    static SESSIONS: LockClass = LockClass::new("&Manager->sessions");
    static USERS: LockClass = LockClass::new("&Manager->users");
    let built_by_new = RwLock::new(0u8);
    let built_by_loader = RwLock::new(0u8);
    assert_ne!(
        built_by_new.lock_map().class_name(),
        built_by_loader.lock_map().class_name()
    );
    built_by_new.set_class(&SESSIONS);
    SetClass::set_class(&built_by_loader, &SESSIONS);
    assert_eq!(built_by_new.lock_map().class_name(), "&Manager->sessions");
    assert_eq!(
        built_by_loader.lock_map().class_name(),
        "&Manager->sessions"
    );

    let users = RwLock::with_class(0u8, &USERS);
    {
        let _s = built_by_new.write();
        let _u = users.write();
    }
    {
        let _u = users.write();
        let _s = built_by_loader.write();
    }
    let found = reports_naming(&["&Manager->sessions", "&Manager->users"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, ReportKind::CircularDependency);
    assert_eq!(
        found[0].classes(),
        ["&Manager->users", "&Manager->sessions"]
    );
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn classes_attribute_below_the_derive_leaves_default_alone() {
    // rustc expands a derive written above an attribute macro before the
    // macro sees the struct, so the derived `Default` is the plain one (the
    // documented rule: write #[lockdep::classes] above #[derive(Default)]).
    // The generated `lockdep_set_classes` still works.
    #[derive(Default)]
    #[lockdep::classes]
    struct S {
        m: Mutex<u8>,
    }
    let s = S::default();
    assert!(s.m.lock_map().class_name().starts_with("Mutex<u8> @ "));
    s.lockdep_set_classes();
    assert_eq!(s.m.lock_map().class_name(), "&S->m");
}
