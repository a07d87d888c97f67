//! What every guard shares, in both builds (the compiled-out one includes
//! this file): `Debug` and `Display` print the guarded data, as lock_api's
//! guards do.

/// `Debug` and `Display` for the guard type `$guard<['a,] T>` through its
/// `Deref` (optionally under the attributes given first, e.g. a `cfg`).
macro_rules! fmt_via_deref {
    ($(#[$attr:meta])* $guard:ident<$($lt:lifetime,)? $t:ident>) => {
        $(#[$attr])*
        impl<$t: ?Sized + std::fmt::Debug> std::fmt::Debug for $guard<$($lt,)? $t> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&**self, f)
            }
        }

        $(#[$attr])*
        impl<$t: ?Sized + std::fmt::Display> std::fmt::Display for $guard<$($lt,)? $t> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&**self, f)
            }
        }
    };
}

pub(crate) use fmt_via_deref;
