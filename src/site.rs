//! Construction sites of locks built inside the standard library.
//!
//! A lock's class is the `#[track_caller]` location of its constructor's
//! caller. When that caller is the standard library (`Arc::default`,
//! `Box::default` and `#[derive(Default)]` fields through them, `Vec` and map
//! entries std builds, `LazyLock`), the location is a line of
//! `/rustc/<hash>/library/alloc/src/sync.rs`: one class for every such lock of
//! a type in the whole program, named after the toolchain, and keyed
//! differently by every compiler. Run-time constructors
//! (`LockMap::at_runtime_caller_for`) therefore look for the user's
//! construction site on the stack: the first frame that is neither the
//! standard library nor lockdep (nor the unwinder).
//!
//! Cost: a walk of the return addresses up to that frame (no symbol lookup),
//! each looked up in a cache of classified return addresses; a return address
//! is symbolised only the first time it is seen. So a program building many
//! locks at one place pays the walk, not the symbolisation. The site is
//! interned once per distinct `file:line:col`, and its path is made
//! workspace-relative like a `#[track_caller]` path ([`display_path`]), so the
//! class key does not depend on the toolchain or the machine.
//!
//! Without debug information (a release build without `debug = true` or
//! `line-tables-only`), no frame has a file and the class stays the standard
//! library's site, as before.

use std::collections::{HashMap, HashSet};
use std::panic::Location;
use std::path::{Path, PathBuf};

use once_cell::sync::Lazy;
use parking_lot::{Mutex as RawMutex, RwLock as RawRwLock};

use crate::class::Site;

/// The most frames looked at for a user frame.
const MAX_DEPTH: usize = 32;

/// A user construction site found on the stack, interned (one `'static`
/// object per distinct site, so its address identifies it).
#[derive(Debug)]
pub(crate) struct UserSite {
    file: &'static str,
    line: u32,
    col: u32,
}

impl UserSite {
    /// The class site.
    pub(crate) fn site(&'static self) -> Site {
        Site::interned(self, self.file, self.line, self.col)
    }
}

/// Is `file` (a `Location::file()` or a symbol's file) in the standard library?
pub(crate) fn is_std_path(file: &str) -> bool {
    file.starts_with("/rustc/")
        || file.starts_with("library/std/")
        || file.starts_with("library/core/")
        || file.starts_with("library/alloc/")
        || file.contains("/lib/rustlib/src/rust/library/")
}

/// What a return address is to the search.
#[derive(Clone, Copy)]
enum Frame {
    /// No symbol with a file and line (no debug information).
    NoInfo,
    /// The standard library.
    Std,
    /// lockdep, the unwinder, or another frame that cannot be the user's.
    Skip,
    /// The user's code: the construction site.
    User(&'static UserSite),
}

/// Classified return addresses.
static FRAMES: Lazy<RawRwLock<HashMap<usize, Frame>>> = Lazy::new(Default::default);

/// Interned user sites.
static SITES: Lazy<RawMutex<SiteTable>> = Lazy::new(Default::default);

/// `(file, line, column)` → its interned site.
type SiteTable = HashMap<(String, u32, u32), &'static UserSite>;

/// The user's construction site of a lock whose constructor's caller is
/// `std_site` (in the standard library): the innermost frame on the current
/// stack that is not the standard library, lockdep or the unwinder; `None` if
/// no frame within [`MAX_DEPTH`] has debug information for one.
///
/// A frame without debug information after a frame of the standard library
/// is the user's code built without it: the walk stops there, and later
/// constructions from `std_site` do not walk at all (so a release build
/// without debug information pays one hash lookup).
pub(crate) fn construction_site(std_site: &'static Location<'static>) -> Option<&'static UserSite> {
    let key = std_site as *const Location<'static> as usize;
    if NO_INFO.read().contains(&key) {
        return None;
    }
    let mut found = None;
    let mut depth = 0;
    let mut seen_std = false;
    let mut any_info = false;
    let mut user_without_info = false;
    backtrace::trace(|frame| {
        depth += 1;
        let ip = frame.ip() as usize;
        let cached = FRAMES.read().get(&ip).copied();
        let kind = cached.unwrap_or_else(|| {
            let kind = classify(frame);
            FRAMES.write().insert(ip, kind);
            kind
        });
        match kind {
            Frame::User(site) => {
                found = Some(site);
                false
            }
            Frame::Std => {
                seen_std = true;
                any_info = true;
                depth < MAX_DEPTH
            }
            Frame::Skip => {
                any_info = true;
                depth < MAX_DEPTH
            }
            Frame::NoInfo if seen_std => {
                user_without_info = true;
                false
            }
            Frame::NoInfo => depth < MAX_DEPTH,
        }
    });
    if found.is_none() && (user_without_info || !any_info) {
        // No debug information for the user's frame: this std site keeps its
        // own class, without another walk. (A walk that only ran out of depth
        // is not remembered: another caller may be within reach.)
        NO_INFO.write().insert(key);
    }
    found
}

/// Standard-library sites whose callers could not be resolved.
static NO_INFO: Lazy<RawRwLock<HashSet<usize>>> = Lazy::new(Default::default);

/// Symbolises one frame: the first of its (inlined) symbols, innermost
/// first, that is user code.
#[cold]
fn classify(frame: &backtrace::Frame) -> Frame {
    let mut user = None;
    let mut info = false;
    let mut std = false;
    backtrace::resolve_frame(frame, |sym| {
        if user.is_some() {
            return;
        }
        let (Some(name), Some(file), Some(line)) = (sym.name(), sym.filename(), sym.lineno())
        else {
            return;
        };
        info = true;
        let name = format!("{name:#}");
        let file_text = file.to_string_lossy();
        if is_std_path(&file_text) {
            std = true;
        } else if is_user_symbol(&name) && is_user_file(&file_text) {
            user = Some((display_path(file), line, sym.colno().unwrap_or(0)));
        }
    });
    match user {
        Some(key) => Frame::User(intern(key)),
        None if std => Frame::Std,
        None if info => Frame::Skip,
        None => Frame::NoInfo,
    }
}

/// Not a function of lockdep, the unwinder or the standard library, by
/// name. Inlined frames often have a bare name (`trace_unsynchronized<..>`),
/// so [`is_user_file`] decides too.
fn is_user_symbol(name: &str) -> bool {
    let name = name.trim_start_matches('<');
    ![
        "lockdep::",
        "backtrace::",
        "std::",
        "core::",
        "alloc::",
        "once_cell::",
        // Not a bare `parking_lot`: a user crate may be called
        // `parking_lot_something` (this crate's test `parking_lot_api` is).
        "parking_lot::",
        "parking_lot_core::",
        "lock_api::",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

fn intern(key: (String, u32, u32)) -> &'static UserSite {
    let mut sites = SITES.lock();
    if let Some(site) = sites.get(&key) {
        return site;
    }
    let site: &'static UserSite = Box::leak(Box::new(UserSite {
        file: Box::leak(key.0.clone().into_boxed_str()),
        line: key.1,
        col: key.2,
    }));
    sites.insert(key, site);
    site
}

/// A Rust source file that is neither lockdep's own nor one of the crates
/// the checker is built on (the unwinder, parking_lot, once_cell). Any other
/// crate, the user's or a dependency, can be where a lock is built.
fn is_user_file(file: &str) -> bool {
    const OWN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/");
    const INFRA: [&str; 5] = [
        "backtrace-",
        "parking_lot-",
        "parking_lot_core-",
        "lock_api-",
        "once_cell-",
    ];
    let portable = crate::class::portable_path(file);
    file.ends_with(".rs")
        && !file.starts_with(OWN)
        && !INFRA.iter().any(|c| portable.starts_with(c))
}

/// A source path printed one way everywhere (splat frames, user sites):
///
/// - the standard library: `library/alloc/src/sync.rs` (no `/rustc/<hash>`);
/// - registry and git dependencies: `serde-1.0.0/src/lib.rs`
///   ([`portable_path`](crate::class::portable_path), as class keys);
/// - the user's workspace: relative to the workspace root (the nearest
///   ancestor directory with a `Cargo.lock`), as `#[track_caller]` paths of
///   workspace crates are;
/// - anything else: as it is.
pub(crate) fn display_path(file: &Path) -> String {
    let s = file.to_string_lossy();
    if is_std_path(&s) {
        if let Some(i) = s.find("/library/") {
            return s[i + 1..].to_string();
        }
        return s.into_owned();
    }
    let portable = crate::class::portable_path(&s);
    if portable.len() != s.len() || file.is_relative() {
        return portable.to_string();
    }
    if let Some(root) = workspace_root(file)
        && let Ok(rel) = file.strip_prefix(&root)
    {
        return rel.to_string_lossy().into_owned();
    }
    s.into_owned()
}

/// The nearest ancestor of `file` with a `Cargo.lock`, cached per directory.
fn workspace_root(file: &Path) -> Option<PathBuf> {
    static ROOTS: Lazy<RawMutex<HashMap<PathBuf, Option<PathBuf>>>> = Lazy::new(Default::default);
    let dir = file.parent()?;
    if let Some(root) = ROOTS.lock().get(dir) {
        return root.clone();
    }
    let root = dir
        .ancestors()
        .find(|d| d.join("Cargo.lock").is_file())
        .map(Path::to_path_buf);
    ROOTS.lock().insert(dir.to_path_buf(), root.clone());
    root
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_files() {
        assert!(is_user_file("/work/app/tests/std_sites.rs"));
        assert!(is_user_file(
            "/h/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/serde-1.0.0/src/lib.rs"
        ));
        assert!(!is_user_file(
            "/h/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/backtrace-0.3.77/src/backtrace/mod.rs"
        ));
        assert!(!is_user_file(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/site.rs"
        )));
        assert!(!is_user_file("/build/libgcc/unwind.inc"));
    }

    #[test]
    fn std_paths() {
        assert!(is_std_path("/rustc/0123abcd/library/alloc/src/sync.rs"));
        assert!(is_std_path("library/core/src/option.rs"));
        assert!(!is_std_path("src/library/mod.rs"));
        assert!(!is_std_path("tests/std_sites.rs"));
    }

    #[test]
    fn paths_print_one_way() {
        assert_eq!(
            display_path(Path::new("/rustc/0123abcd/library/alloc/src/sync.rs")),
            "library/alloc/src/sync.rs"
        );
        assert_eq!(
            display_path(Path::new(
                "/h/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/serde-1.0.0/src/lib.rs"
            )),
            "serde-1.0.0/src/lib.rs"
        );
        // This crate's own sources, absolute (as debug information has them):
        // relative to the workspace root, as `file!()` is.
        let me = Path::new(env!("CARGO_MANIFEST_DIR")).join(file!());
        assert_eq!(display_path(&me), file!());
        assert_eq!(display_path(Path::new("src/site.rs")), "src/site.rs");
    }
}
