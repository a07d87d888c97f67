//! [`Mode`]: how an acquisition holds a lock. One definition for the checked
//! and the compiled-out builds (both `map` modules re-export it): reports and
//! dumps use it in either.

/// How an acquisition holds the lock (the kernel's `read` = 0, 1, 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Exclusive (writer): `lock`, `write`, `write_seqcount_begin`.
    Exclusive,
    /// Shared, non-recursive (rwsem `down_read`): blocks behind a *waiting*
    /// writer, so read-read cycles through a writer can deadlock.
    Read,
    /// Shared, recursive (rwlock `read_lock`, seqcount readers): blocked only
    /// by a writer that *holds* the lock.
    RecursiveRead,
}

impl Mode {
    /// Any kind of reader?
    #[inline]
    pub fn is_read(self) -> bool {
        self != Mode::Exclusive
    }
}
