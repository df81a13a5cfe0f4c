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
    /// A WeChat Pay payment code (付款码) collected through HQ's payment gateway.
    WechatPay,
    /// An Alipay payment code (付款码) collected through HQ's payment gateway.
    Alipay,
}

impl TenderKind {
    pub const ALL: [TenderKind; 6] = [
        TenderKind::Cash,
        TenderKind::BankCard,
        TenderKind::WechatPay,
        TenderKind::Alipay,
        TenderKind::StoredValue,
        TenderKind::Points,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TenderKind::Cash => "cash",
            TenderKind::BankCard => "bank_card",
            TenderKind::StoredValue => "stored_value",
            TenderKind::Points => "points",
            TenderKind::WechatPay => "wechat_pay",
            TenderKind::Alipay => "alipay",
        }
    }

    /// A payment code's provider as a tender.
    pub fn of_provider(provider: crate::payment_code::Provider) -> TenderKind {
        match provider {
            crate::payment_code::Provider::Wechat => TenderKind::WechatPay,
            crate::payment_code::Provider::Alipay => TenderKind::Alipay,
        }
    }

    /// Paid by a payment code through HQ's gateway (the money goes back the same way).
    pub fn is_mobile(self) -> bool {
        matches!(self, TenderKind::WechatPay | TenderKind::Alipay)
    }

    /// Needs an authorisation's reference: the terminal's (bank card) or the provider's
    /// transaction id (WeChat Pay, Alipay).
    pub fn needs_reference(self) -> bool {
        matches!(self, TenderKind::BankCard | TenderKind::WechatPay | TenderKind::Alipay)
    }
}

/// How an electronic tender was authorised, beyond its `reference` (the terminal's reference
/// number, or the provider's transaction id, which the receipt prints).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorization {
    /// HQ's order number of the payment attempt that was paid (WeChat Pay, Alipay): what a
    /// refund names to go back the same way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_no: Option<String>,
    /// The card as the terminal masked it: first six and last four digits only
    /// (`622848******1234`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<String>,
    /// The issuer's approval code (bank card).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_code: Option<String>,
}

impl Authorization {
    /// A mobile payment's: its order number.
    pub fn order(order_no: &str) -> Authorization {
        Authorization { order_no: Some(order_no.to_owned()), ..Authorization::default() }
    }

    /// Whether `card` is a masked card (6 digits, at least 3 `*`, 4 digits, 13–19 in all) and
    /// nothing else could carry card data.
    fn is_clean(&self) -> bool {
        let masked = |c: &str| {
            let b = c.as_bytes();
            (13..=19).contains(&b.len())
                && b[..6].iter().all(u8::is_ascii_digit)
                && b[b.len() - 4..].iter().all(u8::is_ascii_digit)
                && b[6..b.len() - 4].iter().all(|&x| x == b'*')
        };
        self.card.as_deref().is_none_or(masked)
            && [&self.order_no, &self.auth_code]
                .iter()
                .all(|f| f.as_deref().is_none_or(|t| !crate::card_data::holds_card_data(t)))
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
    /// The payment's authorisation (WeChat Pay, Alipay: the order number; a terminal's card
    /// approval: the masked card and auth code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
}

impl TenderInput {
    pub fn cash(amount: Money) -> TenderInput {
        TenderInput {
            kind: TenderKind::Cash,
            amount,
            reference: None,
            points: 0,
            stored_value: None,
            hold: None,
            authorization: None,
        }
    }

    /// A payment code's payment that HQ's gateway reported paid: `transaction_id` is the
    /// provider's, `order_no` the attempt's.
    pub fn mobile(kind: TenderKind, amount: Money, transaction_id: &str, order_no: &str) -> TenderInput {
        TenderInput {
            kind,
            reference: Some(transaction_id.to_owned()),
            authorization: Some(Authorization::order(order_no)),
            ..TenderInput::cash(amount)
        }
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
    /// As entered ([`TenderInput::authorization`]); absent from tills before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
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
    #[error("a {kind} tender needs the provider's transaction id and the payment's order number", kind = .kind.code())]
    MissingPayment { kind: TenderKind },
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
        if t.kind.is_mobile()
            && (t.reference.as_deref().is_none_or(|r| r.trim().is_empty())
                || t.authorization.as_ref().and_then(|a| a.order_no.as_deref()).is_none_or(|o| o.trim().is_empty()))
        {
            return Err(TenderError::MissingPayment { kind: t.kind });
        }
        if t.reference.as_deref().is_some_and(crate::card_data::holds_card_data)
            || t.authorization.as_ref().is_some_and(|a| !a.is_clean())
        {
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
            authorization: t.authorization.clone(),
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
                authorization: None,
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
    fn a_mobile_payment_needs_its_transaction_id_and_order_number_and_keeps_them() {
        let ok =
            TenderInput::mobile(TenderKind::Alipay, Money(1000), "2026120122001400000000000001", "B001-01-000042-1");
        let s = settle(Money(1500), &[ok.clone(), TenderInput::cash(Money(500))], CashRounding::None).expect("settled");
        assert_eq!(s.tenders[0].kind, TenderKind::Alipay);
        assert_eq!(s.tenders[0].reference.as_deref(), Some("2026120122001400000000000001"));
        assert_eq!(s.tenders[0].authorization, Some(Authorization::order("B001-01-000042-1")));
        let no_id = TenderInput { reference: None, ..ok.clone() };
        let no_order = TenderInput { authorization: Some(Authorization::default()), ..ok.clone() };
        for bad in [no_id, no_order] {
            assert_eq!(
                settle(Money(1000), &[bad], CashRounding::None),
                Err(TenderError::MissingPayment { kind: TenderKind::Alipay })
            );
        }
        // Only cash gives change: a mobile payment of more than is due is refused.
        assert!(matches!(settle(Money(900), &[ok], CashRounding::None), Err(TenderError::Overpaid { .. })));
        assert_eq!(TenderKind::of_provider(crate::payment_code::Provider::Wechat), TenderKind::WechatPay);
        assert!(TenderKind::ALL.iter().filter(|k| k.is_mobile()).count() == 2);
    }

    #[test]
    fn a_card_approval_keeps_the_masked_card_only() {
        let approval = |card: &str| TenderInput {
            authorization: Some(Authorization {
                card: Some(card.into()),
                auth_code: Some("123456".into()),
                ..Authorization::default()
            }),
            ..TenderInput::card(Money(1000), "000123456789")
        };
        assert!(settle(Money(1000), &[approval("622848******1234")], CashRounding::None).is_ok());
        for bad in ["6228480402564890018", "622848*1234", "62284x******1234", ""] {
            assert_eq!(
                settle(Money(1000), &[approval(bad)], CashRounding::None),
                Err(TenderError::CardNumberInReference),
                "{bad}"
            );
        }
    }

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
