//! Feature `serde`: a lock serializes its data with the lock taken and
//! deserializes into a new unlocked lock, as parking_lot's do. One body for
//! every lock, in both builds (the compiled-out wrappers include this file).

/// `Serialize` (taking the lock with `$take`: a checked acquisition, validated
/// like any other) and `Deserialize` (a new lock whose class is the site of the
/// `deserialize` call) for the lock type `$lock`.
macro_rules! serde_lock {
    ($lock:ident, $take:ident) => {
        #[doc = concat!("Serializes the data with the lock taken (`", stringify!($take), "`), as parking_lot")]
        /// does (feature `serde`): a blocking acquisition, validated like any other.
        #[cfg(feature = "serde")]
        impl<T: ?Sized + serde::Serialize> serde::Serialize for $lock<T> {
            #[track_caller]
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.$take().serialize(serializer)
            }
        }

        /// Deserializes the data into a new unlocked lock (feature `serde`);
        /// its class is the site of the `deserialize` call.
        #[cfg(feature = "serde")]
        impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for $lock<T> {
            #[track_caller]
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = T::deserialize(deserializer)?;
                Ok($lock::new(value))
            }
        }
    };
}

pub(crate) use serde_lock;
