//! Identifiers. Things made at a till or at HQ independently (events, sales, refunds, shifts,
//! members enrolled offline, ledger entries, holds) get a UUIDv7: unique without coordination and
//! ordered by creation time. Things only HQ creates (branches, tills, staff, products) get HQ's
//! integer ids.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id (UUIDv7).
            pub fn new() -> Self {
                $name(Uuid::now_v7())
            }

            pub fn parse(s: &str) -> Result<Self, uuid::Error> {
                Uuid::parse_str(s).map($name)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// An event in a till's outbox; HQ deduplicates on it forever.
    EventId
);
uuid_id!(
    /// A completed sale.
    SaleId
);
uuid_id!(
    /// A refund (return) of part or all of a sale.
    RefundId
);
uuid_id!(
    /// A cashier's shift at one till.
    ShiftId
);
uuid_id!(
    /// A member. Tills may create one offline when enrolling; HQ may merge it into another.
    MemberId
);
uuid_id!(
    /// A points or stored-value ledger entry.
    LedgerEntryId
);
uuid_id!(
    /// A hold on a member's points or stored value.
    HoldId
);
uuid_id!(
    /// A cash movement: paid in, paid out, or a no-sale drawer opening.
    MovementId
);

macro_rules! int_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

int_id!(
    /// A branch (store), assigned by HQ.
    BranchId
);
int_id!(
    /// A till, assigned by HQ when it is registered.
    TillId
);
int_id!(
    /// A cashier or manager, assigned by HQ.
    StaffId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_v7_and_time_ordered() {
        let a = EventId::new();
        let b = EventId::new();
        assert_eq!(a.0.get_version_num(), 7);
        assert!(a < b);
        assert_eq!(EventId::parse(&a.to_string()), Ok(a));
    }
}
