//! Lock classes and the class registry.
//!
//! Validation works on *classes*, never on lock objects (the kernel's
//! `lock_class`): every lock belongs to one, and the dependency graph has one
//! node per (class, subclass). A class comes from one of two places:
//!
//! - a construction site: `Mutex::new` is `#[track_caller]`, and the
//!   `file:line:col` of its caller names the class (the kernel's per-call-site
//!   `static struct lock_class_key` in `mutex_init()`);
//! - a named [`LockClass`], declared as a `static` (keyed by its address) or
//!   created at run time with [`LockClass::new_dynamic`] (leaked, so it is also
//!   `'static`).
//!
//! Classes are registered on first use and never freed. Two distinct classes
//! that share a name print as `name`, `name#2`, `name#3`... (the kernel's
//! `name_version`). The registry has its own raw lock, taken only on a class's
//! first use; the hot path reads the index cached in the lock object.

use std::collections::HashMap;
use std::panic::Location;
use std::sync::atomic::{AtomicU32, Ordering};

use once_cell::sync::Lazy;
use parking_lot::Mutex as RawMutex;

/// The number of subclasses per class (`lock_nested(0..=7)`), as in the kernel.
pub const MAX_SUBCLASSES: u8 = 8;

/// A named lock class: every lock constructed with it (`Mutex::with_class`,
/// `LockMap::with_class`, ...) shares one node in the dependency graph.
///
/// Declare it as a `static`, like the kernel's `struct lock_class_key`:
///
/// ```
/// use lockdep::{LockClass, Mutex};
/// static I_MMAP: LockClass = LockClass::new("&mapping->i_mmap_rwsem");
/// let a = Mutex::with_class(0u32, &I_MMAP);
/// let b = Mutex::with_class(1u32, &I_MMAP); // same class as `a`
/// # drop((a, b));
/// ```
///
/// For locks made in loops or from configuration, create classes at run time
/// with [`LockClass::new_dynamic`].
#[derive(Debug)]
pub struct LockClass {
    name: ClassName,
    /// Registered index + 1; 0 while not yet registered.
    index: AtomicU32,
}

#[derive(Debug)]
enum ClassName {
    Static(&'static str),
    Owned(String),
}

impl LockClass {
    /// A class named `name`. `const`, so it can be a `static`; two statics with
    /// the same name are still two classes (printed `name` and `name#2`).
    pub const fn new(name: &'static str) -> LockClass {
        LockClass {
            name: ClassName::Static(name),
            index: AtomicU32::new(0),
        }
    }

    /// A class created at run time from a `String`. The class is leaked (lock
    /// classes are never freed, as in the kernel), so call this once per
    /// logical class, not once per lock.
    pub fn new_dynamic(name: impl Into<String>) -> &'static LockClass {
        Box::leak(Box::new(LockClass {
            name: ClassName::Owned(name.into()),
            index: AtomicU32::new(0),
        }))
    }

    /// The name given to the class.
    pub fn name(&self) -> &str {
        match &self.name {
            ClassName::Static(s) => s,
            ClassName::Owned(s) => s,
        }
    }

    /// Registered index, registering the class on first use.
    #[inline]
    pub(crate) fn index(&'static self) -> Option<u32> {
        match self.index.load(Ordering::Acquire) {
            0 => self.register_slow(),
            n => Some(n - 1),
        }
    }

    #[cold]
    #[inline(never)]
    fn register_slow(&'static self) -> Option<u32> {
        let added = {
            let mut reg = REGISTRY.lock();
            // Re-check under the registry lock: another thread may have won.
            if let n @ 1.. = self.index.load(Ordering::Acquire) {
                return Some(n - 1);
            }
            let idx = reg.add(
                self.name().to_owned(),
                ClassKey::Named(self as *const LockClass as usize),
            );
            if let Some(idx) = idx {
                self.index.store(idx + 1, Ordering::Release);
            }
            idx
        };
        added.or_else(class_limit_reached)
    }
}

/// What identifies a class across the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ClassKey {
    /// A named [`LockClass`], by address.
    Named(usize),
    /// A construction site; `name` is set for `LockMap::new("name")`.
    Site {
        file: &'static str,
        line: u32,
        col: u32,
        name: Option<&'static str>,
    },
}

/// What the registry knows about one class.
#[derive(Clone, Debug)]
pub(crate) struct ClassInfo {
    /// Name as printed, with `#N` when several classes share a name.
    pub(crate) name: String,
    /// Stable identity across processes: the name for named classes,
    /// `file:line:col` (plus the name, if any) for site classes.
    pub(crate) key: String,
}

#[derive(Default)]
struct Registry {
    classes: Vec<ClassInfo>,
    by_key: HashMap<ClassKey, u32>,
    name_versions: HashMap<String, u32>,
}

/// The registry: an internal, uninstrumented lock, never held while calling
/// user code or printing.
static REGISTRY: Lazy<RawMutex<Registry>> = Lazy::new(Default::default);

impl Registry {
    fn add(&mut self, name: String, key: ClassKey) -> Option<u32> {
        let reg = self;
        if let Some(&idx) = reg.by_key.get(&key) {
            return Some(idx);
        }
        if reg.classes.len() >= crate::config::limits().classes {
            return None;
        }
        let version = reg.name_versions.entry(name.clone()).or_insert(0);
        *version += 1;
        let printed = if *version > 1 {
            format!("{name}#{version}")
        } else {
            name.clone()
        };
        let stable_key = match key {
            ClassKey::Named(_) => name,
            ClassKey::Site {
                file,
                line,
                col,
                name: None,
            } => format!("{file}:{line}:{col}"),
            ClassKey::Site {
                file,
                line,
                col,
                name: Some(n),
            } => format!("{n}@{file}:{line}:{col}"),
        };
        let idx = reg.classes.len() as u32;
        reg.classes.push(ClassInfo {
            name: printed,
            key: stable_key,
        });
        reg.by_key.insert(key, idx);
        Some(idx)
    }
}

/// Registers (or finds) the class of a construction site.
#[cold]
#[inline(never)]
pub(crate) fn register_site(
    site: &'static Location<'static>,
    name: Option<&'static str>,
) -> Option<u32> {
    let key = ClassKey::Site {
        file: site.file(),
        line: site.line(),
        col: site.column(),
        name,
    };
    let printed = match name {
        Some(n) => n.to_owned(),
        None => format!("{}:{}:{}", site.file(), site.line(), site.column()),
    };
    let added = REGISTRY.lock().add(printed, key);
    added.or_else(class_limit_reached)
}

/// Reports the class limit (after the registry lock is released); the
/// acquisition that needed a new class goes untracked.
#[cold]
fn class_limit_reached() -> Option<u32> {
    crate::report::capacity_reached(crate::report::Capacity::Classes);
    None
}

/// A copy of one class's information. Takes the registry lock briefly; never
/// called on the hot path.
pub(crate) fn info(class: u32) -> ClassInfo {
    let reg = REGISTRY.lock();
    reg.classes
        .get(class as usize)
        .cloned()
        .unwrap_or_else(|| ClassInfo {
            name: format!("<class {class}>"),
            key: String::new(),
        })
}

/// A graph node: one (class, subclass) pair, packed as `class * 8 + subclass`.
pub(crate) type Node = u32;

#[inline]
pub(crate) fn node(class: u32, subclass: u8) -> Node {
    class * MAX_SUBCLASSES as u32 + subclass as u32
}

#[inline]
pub(crate) fn node_class(node: Node) -> u32 {
    node / MAX_SUBCLASSES as u32
}

#[inline]
pub(crate) fn node_subclass(node: Node) -> u8 {
    (node % MAX_SUBCLASSES as u32) as u8
}
