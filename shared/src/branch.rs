//! A branch's settings as HQ defines them and tills pull them.

use jiff::civil::Time;
use serde::{Deserialize, Serialize};

use crate::catalog::BarcodeRules;
use crate::ids::BranchId;
use crate::money::Bp;
use crate::pricing::CashRounding;
use crate::receipt::{PaperWidth, ReceiptHeader};

/// What a cashier may do without a manager's approval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashierLimits {
    /// The largest reduction of a line a cashier may give (1000 = 10 %).
    pub line_discount: Bp,
    /// The largest order discount a cashier may give, as a share of the discountable goods.
    pub order_discount: Bp,
}

impl Default for CashierLimits {
    fn default() -> Self {
        CashierLimits { line_discount: Bp(1_000), order_discount: Bp(500) }
    }
}

/// A branch (store) and how its tills behave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchSettings {
    pub id: BranchId,
    /// Short code printed in receipt numbers, e.g. `B001`.
    pub code: String,
    pub name: String,
    pub address: String,
    pub phone: String,
    /// Extra lines under the shop name on receipts.
    pub receipt_header: Vec<String>,
    /// Lines at the foot of receipts.
    pub receipt_footer: Vec<String>,
    pub cash_rounding: CashRounding,
    /// Before this local time, a sale belongs to the previous business day.
    pub business_day_cutoff: Time,
    /// IANA time zone of the branch, e.g. `Asia/Shanghai`.
    pub time_zone: String,
    pub barcode_rules: BarcodeRules,
    pub cashier_limits: CashierLimits,
    /// Minutes after which a cashier locked out by wrong PINs may try again (0: only a manager unlocks).
    pub pin_lockout_minutes: u32,
    pub paper: PaperWidth,
}

impl BranchSettings {
    pub fn receipt_header(&self) -> ReceiptHeader {
        ReceiptHeader {
            branch_name: self.name.clone(),
            address: self.address.clone(),
            phone: self.phone.clone(),
            extra: self.receipt_header.clone(),
        }
    }
}

/// Whether a branch code may be used in receipt numbers: 1–16 ASCII letters or digits.
pub fn valid_branch_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= 16 && code.bytes().all(|b| b.is_ascii_alphanumeric())
}
