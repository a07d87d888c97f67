//! Dependency types (vocabulary): the four kinds of edge `prev → next` the
//! kernel distinguishes by how each end is held (`-(ER)->`, `-(EN)->`,
//! `-(SR)->`, `-(SN)->`), one at a time ([`DepType`]) or as a set
//! ([`DepMask`]).

use crate::mode::Mode;

/// A set of dependency types on one edge (the kernel's `lock_list::dep`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DepMask(pub u8);

impl DepMask {
    /// Held as a reader, acquired as a recursive reader.
    pub const SR: u8 = 1 << 0;
    /// Held exclusively, acquired as a recursive reader.
    pub const ER: u8 = 1 << 1;
    /// Held as a reader, acquired as writer or non-recursive reader.
    pub const SN: u8 = 1 << 2;
    /// Held exclusively, acquired as writer or non-recursive reader.
    pub const EN: u8 = 1 << 3;
    /// Edges out of a shared holder.
    pub const S_ANY: u8 = Self::SR | Self::SN;
    /// Edges into an exclusive or non-recursive acquisition.
    pub const X_N: u8 = Self::SN | Self::EN;

    /// The one type of a `prev → next` dependency (the kernel's `__calc_dep_bit`).
    pub fn of(prev: Mode, next: Mode) -> DepMask {
        let bit = (prev == Mode::Exclusive) as u8 + (((next != Mode::RecursiveRead) as u8) << 1);
        DepMask(1 << bit)
    }

    /// The set of `types`.
    pub fn from_types(types: &[DepType]) -> DepMask {
        DepMask(types.iter().fold(0, |m, t| m | t.mask()))
    }

    /// The types in the set, strongest first.
    pub fn types(self) -> Vec<DepType> {
        DepType::all_in(self)
    }

    /// The strongest type in the set, for printing (`EN` > `ER` > `SN` > `SR`).
    pub fn strongest(self) -> DepType {
        if self.0 & Self::EN != 0 {
            DepType::EN
        } else if self.0 & Self::ER != 0 {
            DepType::ER
        } else if self.0 & Self::SN != 0 {
            DepType::SN
        } else {
            DepType::SR
        }
    }
}

/// One dependency type, as printed in docs and JSON: `-(ER)->` etc.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DepType {
    /// Exclusive holder → recursive reader.
    ER,
    /// Exclusive holder → writer or non-recursive reader.
    EN,
    /// Shared holder → recursive reader.
    SR,
    /// Shared holder → writer or non-recursive reader.
    SN,
}

impl DepType {
    /// The single-bit mask of this type.
    pub(crate) fn mask(self) -> u8 {
        match self {
            DepType::SR => DepMask::SR,
            DepType::ER => DepMask::ER,
            DepType::SN => DepMask::SN,
            DepType::EN => DepMask::EN,
        }
    }

    /// All types present in `mask`, strongest first.
    pub(crate) fn all_in(mask: DepMask) -> Vec<DepType> {
        [DepType::EN, DepType::ER, DepType::SN, DepType::SR]
            .into_iter()
            .filter(|t| mask.0 & t.mask() != 0)
            .collect()
    }
}
