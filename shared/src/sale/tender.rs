//! Paying a sale: the tenders as entered and as recorded, and `settle`, which applies them with
//! cash rounding and change.

use serde::{Deserialize, Serialize};

use crate::ids::HoldId;
use crate::money::Money;
use crate::pricing::CashRounding;
use crate::stored_value::SvSplit;

/// How a customer pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenderKind {
    Cash,
    /// A bank card on the payment terminal; the till keeps only the terminal's reference number.
    BankCard,
    StoredValue,
    Points,
}

impl TenderKind {
    pub const ALL: [TenderKind; 4] =
        [TenderKind::Cash, TenderKind::BankCard, TenderKind::StoredValue, TenderKind::Points];

    pub fn code(self) -> &'static str {
        match self {
            TenderKind::Cash => "cash",
            TenderKind::BankCard => "bank_card",
            TenderKind::StoredValue => "stored_value",
            TenderKind::Points => "points",
        }
    }
}

/// A tender as the cashier enters it. For cash, `amount` is what the customer hands over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderInput {
    pub kind: TenderKind,
    pub amount: Money,
    /// The payment terminal's reference number (bank card).
    pub reference: Option<String>,
    /// Points spent (points tender).
    pub points: i64,
    /// Principal and bonus spent (stored-value tender).
    pub stored_value: Option<SvSplit>,
    /// HQ's hold backing a points or stored-value tender.
    pub hold: Option<HoldId>,
}

impl TenderInput {
    pub fn cash(amount: Money) -> TenderInput {
        TenderInput { kind: TenderKind::Cash, amount, reference: None, points: 0, stored_value: None, hold: None }
    }

    pub fn card(amount: Money, reference: &str) -> TenderInput {
        TenderInput { kind: TenderKind::BankCard, reference: Some(reference.to_owned()), ..TenderInput::cash(amount) }
    }
}

/// A tender as recorded: `amount` is what it paid toward the sale (for cash: handed over minus change).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tender {
    pub kind: TenderKind,
    pub amount: Money,
    /// What the customer handed over (cash); equal to `amount` for the other kinds.
    pub tendered: Money,
    pub reference: Option<String>,
    pub points: i64,
    pub stored_value: Option<SvSplit>,
    pub hold: Option<HoldId>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TenderError {
    #[error("a tender must be above zero")]
    NotPositive,
    #[error("{amount} by {kind} is more than the {remaining} still due; only cash gives change", kind = .kind.code())]
    Overpaid { kind: TenderKind, amount: Money, remaining: Money },
    #[error("{remaining} is still due")]
    Short { remaining: Money },
    #[error("a bank card tender needs the terminal's reference number")]
    MissingReference,
    #[error("that is a card number, which may not be kept: enter the terminal's reference number")]
    CardNumberInReference,
}

/// The outcome of paying a sale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    pub tenders: Vec<Tender>,
    /// Cash rounding adjustment on the part paid in cash.
    pub rounding: Money,
    pub due: Money,
    pub change: Money,
}

/// Applies tenders to `total`. Bank card, stored value and points pay first and may not exceed what is
/// due; cash pays the rest, rounded by the branch's cash rounding, and only cash gives change.
pub fn settle(total: Money, inputs: &[TenderInput], rounding: CashRounding) -> Result<Settlement, TenderError> {
    let mut remaining = total;
    let mut tenders = Vec::with_capacity(inputs.len());
    for t in inputs.iter().filter(|t| t.kind != TenderKind::Cash) {
        if t.amount.0 <= 0 {
            return Err(TenderError::NotPositive);
        }
        if t.kind == TenderKind::BankCard && t.reference.as_deref().is_none_or(|r| r.trim().is_empty()) {
            return Err(TenderError::MissingReference);
        }
        if t.reference.as_deref().is_some_and(crate::card_data::holds_card_data) {
            return Err(TenderError::CardNumberInReference);
        }
        if t.amount > remaining {
            return Err(TenderError::Overpaid { kind: t.kind, amount: t.amount, remaining });
        }
        remaining -= t.amount;
        tenders.push(Tender {
            kind: t.kind,
            amount: t.amount,
            tendered: t.amount,
            reference: t.reference.clone(),
            points: t.points,
            stored_value: t.stored_value,
            hold: t.hold,
        });
    }
    let cash: Vec<&TenderInput> = inputs.iter().filter(|t| t.kind == TenderKind::Cash).collect();
    if cash.iter().any(|t| t.amount.0 <= 0) {
        return Err(TenderError::NotPositive);
    }
    let handed: Money = cash.iter().map(|t| t.amount).sum();
    let (adjustment, change) = if cash.is_empty() {
        if remaining.0 > 0 {
            return Err(TenderError::Short { remaining });
        }
        (Money::ZERO, Money::ZERO)
    } else {
        let cash_due = rounding.apply(remaining);
        if handed < cash_due {
            return Err(TenderError::Short { remaining: cash_due - handed });
        }
        let change = handed - cash_due;
        // Change comes out of the cash tenders, last one first.
        let mut change_left = change;
        let mut cash_tenders: Vec<Tender> = cash
            .iter()
            .map(|t| Tender {
                kind: TenderKind::Cash,
                amount: t.amount,
                tendered: t.amount,
                reference: None,
                points: 0,
                stored_value: None,
                hold: None,
            })
            .collect();
        for t in cash_tenders.iter_mut().rev() {
            let take = change_left.min(t.amount);
            t.amount -= take;
            change_left -= take;
        }
        tenders.extend(cash_tenders);
        (cash_due - remaining, change)
    };
    Ok(Settlement { tenders, rounding: adjustment, due: total + adjustment, change })
}

/// What the tenders still leave to pay: zero once they cover the sale (when [`settle`] succeeds),
/// else what is short, in cash after the branch's rounding once cash was handed. A short cash
/// amount is a part payment: the till shows it as received and asks for this much more.
pub fn outstanding(total: Money, inputs: &[TenderInput], rounding: CashRounding) -> Result<Money, TenderError> {
    match settle(total, inputs, rounding) {
        Ok(_) => Ok(Money::ZERO),
        Err(TenderError::Short { remaining }) => Ok(remaining),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cash_with_change_and_rounding() {
        // ¥12.34 due, down to jiao → ¥12.30 asked; ¥20 handed → ¥7.70 change.
        let s = settle(Money(1234), &[TenderInput::cash(Money(2000))], CashRounding::DownToJiao).expect("settled");
        assert_eq!(s.rounding, Money(-4));
        assert_eq!(s.due, Money(1230));
        assert_eq!(s.change, Money(770));
        assert_eq!(s.tenders[0].amount, Money(1230));
        assert_eq!(s.tenders[0].tendered, Money(2000));
    }

    #[test]
    fn split_tender_card_then_cash() {
        let s = settle(
            Money(10005),
            &[TenderInput::cash(Money(5000)), TenderInput::card(Money(5000), "T123")],
            CashRounding::DownToJiao,
        )
        .expect("settled");
        // Card pays 50.00, cash is due 50.05 → rounded to 50.00, no change.
        assert_eq!(s.rounding, Money(-5));
        assert_eq!(s.change, Money::ZERO);
        assert_eq!(s.tenders.iter().map(|t| t.amount).sum::<Money>(), s.due);
    }

    #[test]
    fn tender_errors() {
        assert_eq!(
            settle(Money(1000), &[TenderInput::cash(Money(999))], CashRounding::None),
            Err(TenderError::Short { remaining: Money(1) })
        );
        assert_eq!(
            settle(Money(1000), &[TenderInput::card(Money(1001), "R1")], CashRounding::None),
            Err(TenderError::Overpaid { kind: TenderKind::BankCard, amount: Money(1001), remaining: Money(1000) })
        );
        assert_eq!(
            settle(Money(1000), &[TenderInput::card(Money(500), "")], CashRounding::None),
            Err(TenderError::MissingReference)
        );
        assert_eq!(
            settle(Money(1000), &[TenderInput::cash(Money(0))], CashRounding::None),
            Err(TenderError::NotPositive)
        );
        assert_eq!(settle(Money(1000), &[], CashRounding::None), Err(TenderError::Short { remaining: Money(1000) }));
    }

    #[test]
    fn a_short_cash_amount_leaves_the_rest_outstanding() {
        fn check(total: i64, tenders: &[TenderInput], rounding: CashRounding, expected: i64) {
            assert_eq!(outstanding(Money(total), tenders, rounding), Ok(Money(expected)), "{tenders:?}");
        }
        let cash = |m| TenderInput::cash(Money(m));
        check(18176, &[], CashRounding::None, 18176);
        check(18176, &[cash(10000)], CashRounding::None, 8176);
        check(18176, &[cash(10000), cash(10000)], CashRounding::None, 0);
        check(18176, &[cash(10000), cash(20000)], CashRounding::None, 0);
        // Rounding applies to the cash part: ¥181.76 is asked as ¥181.70.
        check(18176, &[cash(10000)], CashRounding::DownToJiao, 8170);
        check(18176, &[TenderInput::card(Money(8176), "R1"), cash(10000)], CashRounding::None, 0);
        check(18176, &[TenderInput::card(Money(8176), "R1")], CashRounding::None, 10000);
        assert!(outstanding(Money(100), &[TenderInput::card(Money(101), "R1")], CashRounding::None).is_err());
    }
}
