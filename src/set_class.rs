//! [`SetClass`] for the lock wrappers (what `#[lockdep::classes]` calls): at
//! the wrappers' layer, above the class registry that defines the trait.

use crate::class::{LockClass, SetClass};
use crate::map::LockMap;
use crate::{stdsync, sync};

impl SetClass for LockMap {
    #[track_caller]
    fn set_class(&self, class: &'static LockClass) {
        LockMap::set_class(self, class)
    }
}

/// `SetClass` for a lock type with a `lock_map()` accessor.
macro_rules! set_class_via_lock_map {
    ($($ty:ty $(, $g:ident)?);* $(;)?) => {$(
        impl$(<$g: ?Sized>)? SetClass for $ty {
            #[track_caller]
            fn set_class(&self, class: &'static LockClass) {
                self.lock_map().set_class(class)
            }
        }
    )*};
}
set_class_via_lock_map! {
    sync::Mutex<T>, T;
    sync::RwLock<T>, T;
    sync::SeqCount;
    stdsync::Mutex<T>, T;
    stdsync::RwLock<T>, T;
    sync::Once;
    stdsync::Once;
}

impl<T> SetClass for sync::OnceLock<T> {
    #[track_caller]
    fn set_class(&self, class: &'static LockClass) {
        self.lock_map().set_class(class)
    }
}

// Not for `LazyLock`: it derefs to its value, and a `set_class` of its own
// would shadow that of a lock inside it (`LazyLock<Mutex<T>>`). Use
// `LazyLock::lock_map(&l).set_class(..)`.
