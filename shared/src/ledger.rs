//! The member ledger's vocabulary: every change to points or stored value is an append-only entry,
//! and a balance is the sum of entries.

use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::stored_value::StoredValue;

/// The kinds of ledger entry of domain.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    /// Points earned by a sale (a new lot).
    Earn,
    /// Points spent as a tender.
    Redeem,
    /// Earned points taken back by a refund.
    Reverse,
    /// Tendered points given back by a refund.
    Restore,
    /// What was left of a lot on its expiry.
    Expire,
    /// A manual change by HQ staff, with a reason (points or stored value, either sign).
    Adjust,
    /// Stored value added (principal and bonus).
    TopUp,
    /// Stored value spent on a sale.
    Spend,
    /// Stored value given back by a refund.
    Refund,
}

impl LedgerKind {
    pub const ALL: [LedgerKind; 9] = [
        LedgerKind::Earn,
        LedgerKind::Redeem,
        LedgerKind::Reverse,
        LedgerKind::Restore,
        LedgerKind::Expire,
        LedgerKind::Adjust,
        LedgerKind::TopUp,
        LedgerKind::Spend,
        LedgerKind::Refund,
    ];

    pub fn code(self) -> &'static str {
        match self {
            LedgerKind::Earn => "earn",
            LedgerKind::Redeem => "redeem",
            LedgerKind::Reverse => "reverse",
            LedgerKind::Restore => "restore",
            LedgerKind::Expire => "expire",
            LedgerKind::Adjust => "adjust",
            LedgerKind::TopUp => "topup",
            LedgerKind::Spend => "spend",
            LedgerKind::Refund => "refund",
        }
    }

    pub fn parse(code: &str) -> Option<LedgerKind> {
        LedgerKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The sign the entry's points and money must have: +1, -1, or 0 for either.
    pub fn sign(self) -> i8 {
        match self {
            LedgerKind::Earn | LedgerKind::Restore | LedgerKind::TopUp | LedgerKind::Refund => 1,
            LedgerKind::Redeem | LedgerKind::Reverse | LedgerKind::Expire | LedgerKind::Spend => -1,
            LedgerKind::Adjust => 0,
        }
    }

    /// Whether an entry of this kind may carry these amounts (right sign; points kinds carry no
    /// money and stored-value kinds no points).
    pub fn accepts(self, points: i64, sv: StoredValue) -> bool {
        let money_kind = matches!(self, LedgerKind::TopUp | LedgerKind::Spend | LedgerKind::Refund);
        let points_kind = matches!(
            self,
            LedgerKind::Earn | LedgerKind::Redeem | LedgerKind::Reverse | LedgerKind::Restore | LedgerKind::Expire
        );
        let s = i64::from(self.sign());
        let sign_ok = |v: i64| s == 0 || v == 0 || v.signum() == s;
        if points_kind && (sv.principal != Money::ZERO || sv.bonus != Money::ZERO) {
            return false;
        }
        if money_kind && points != 0 {
            return false;
        }
        sign_ok(points) && sign_ok(sv.principal.0) && sign_ok(sv.bonus.0)
    }
}

/// The signed amounts of one entry, enough to derive balances.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerAmounts {
    pub points: i64,
    pub principal: Money,
    pub bonus: Money,
}

/// A balance is the sum of entries.
pub fn balances(entries: impl IntoIterator<Item = LedgerAmounts>) -> (i64, StoredValue) {
    entries.into_iter().fold((0, StoredValue::default()), |(p, sv), e| {
        (p + e.points, StoredValue { principal: sv.principal + e.principal, bonus: sv.bonus + e.bonus })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs() {
        let sv = |p: i64, b: i64| StoredValue { principal: Money(p), bonus: Money(b) };
        assert!(LedgerKind::Earn.accepts(10, sv(0, 0)));
        assert!(!LedgerKind::Earn.accepts(-10, sv(0, 0)));
        assert!(!LedgerKind::Earn.accepts(10, sv(1, 0)));
        assert!(LedgerKind::Spend.accepts(0, sv(-100, -20)));
        assert!(!LedgerKind::Spend.accepts(0, sv(100, 0)));
        assert!(LedgerKind::Adjust.accepts(-5, sv(100, 0)));
        for k in LedgerKind::ALL {
            assert_eq!(LedgerKind::parse(k.code()), Some(k));
        }
    }

    #[test]
    fn balance_is_the_sum() {
        let e = |points, principal, bonus| LedgerAmounts { points, principal: Money(principal), bonus: Money(bonus) };
        let (p, sv) = balances([e(385, 0, 0), e(-100, 0, 0), e(0, 50_000, 6_000), e(0, -50_000, -2_000)]);
        assert_eq!(p, 285);
        assert_eq!(sv.total(), Money(4_000));
    }
}
