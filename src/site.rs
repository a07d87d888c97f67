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

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use once_cell::sync::Lazy;
use parking_lot::{Mutex as RawMutex, RwLock as RawRwLock};

use crate::class::Site;

/// The most frames looked at for a user frame.
const MAX_DEPTH: usize = 48;

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
    /// The standard library, lockdep, the unwinder, or no debug information.
    Skip,
    /// The user's code: the construction site.
    User(&'static UserSite),
}

/// Classified return addresses.
static FRAMES: Lazy<RawRwLock<HashMap<usize, Frame>>> = Lazy::new(Default::default);

/// Interned user sites.
static SITES: Lazy<RawMutex<HashMap<(String, u32, u32), &'static UserSite>>> =
    Lazy::new(Default::default);

/// The user's construction site: the innermost frame on the current stack
/// that is not the standard library, lockdep or the unwinder; `None` if no
/// frame within [`MAX_DEPTH`] has debug information for one.
pub(crate) fn construction_site() -> Option<&'static UserSite> {
    let mut found = None;
    let mut depth = 0;
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
            Frame::Skip => depth < MAX_DEPTH,
        }
    });
    found
}

/// Symbolises one frame: the first of its (inlined) symbols, innermost
/// first, that is user code.
#[cold]
fn classify(frame: &backtrace::Frame) -> Frame {
    let mut user = None;
    backtrace::resolve_frame(frame, |sym| {
        if user.is_some() {
            return;
        }
        let (Some(name), Some(file), Some(line)) = (sym.name(), sym.filename(), sym.lineno())
        else {
            return;
        };
        let name = format!("{name:#}");
        let file_text = file.to_string_lossy();
        if is_user_symbol(&name) && !is_std_path(&file_text) {
            user = Some((display_path(file), line, sym.colno().unwrap_or(0)));
        }
    });
    match user {
        Some(key) => Frame::User(intern(key)),
        None => Frame::Skip,
    }
}

/// A Rust function (`crate::path`) outside the standard library, lockdep and
/// the unwinder (C frames such as `_Unwind_Backtrace` have no `::`).
fn is_user_symbol(name: &str) -> bool {
    let name = name.trim_start_matches('<');
    name.contains("::")
        && ![
            "lockdep::",
            "backtrace::",
            "std::",
            "core::",
            "alloc::",
            "once_cell::",
            "parking_lot",
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
