//! Cashiers and managers as tills know them: a role and a PIN hash set at HQ.

use serde::{Deserialize, Serialize};

use crate::ids::{BranchId, StaffId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    Cashier,
    /// May approve voids, refunds, overrides, drawer opens, paid-in / paid-out, and unlock cashiers.
    Manager,
}

/// A member of a branch's staff. Only the PIN's argon2id hash (PHC string) ever leaves HQ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    pub id: StaffId,
    pub branch: BranchId,
    /// The number a cashier types before the PIN, e.g. `1001`.
    pub login: String,
    pub name: String,
    pub role: StaffRole,
    pub pin_hash: String,
    pub active: bool,
}

impl StaffMember {
    pub fn can_approve(&self) -> bool {
        self.active && self.role == StaffRole::Manager
    }
}

/// The actions that need a manager's PIN at the till.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalAction {
    VoidSale,
    Refund,
    ReturnWithoutReceipt,
    PriceOverride,
    LineDiscount,
    OrderDiscount,
    NoSaleDrawerOpen,
    PaidIn,
    PaidOut,
    UnlockCashier,
    /// Voiding a sale in progress that already has lines.
    VoidCart,
    /// Closing the business day at this till.
    DayEnd,
    /// A return that keeps no threshold clawback although the kept goods no longer reach the
    /// promotion's threshold (domain.md "Returns of promotion sales").
    WaiveClawback,
}
