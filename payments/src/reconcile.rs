//! Reconciliation (对账), pure: a provider's day as its statement says it, against what HQ's
//! records say was taken and given back. HQ gathers both sides (the statement's rows through
//! [`wechat_lines`] / [`alipay_lines`]; its own from the tills' tenders and the gateway's
//! refunds); [`reconcile`] says what matches and what differs.
//!
//! Payments are matched per order (`out_trade_no`): what the provider kept of it (paid, less a
//! reversal) against what the tills' sales claim of it. Refunds are matched per refund number
//! (`out_refund_no`). A difference is one of:
//! - **missing at HQ**: the provider took (or gave back) money no record of HQ's claims, e.g. a
//!   payment whose sale never completed;
//! - **missing at the provider**: HQ's records claim money the statement does not show;
//! - **amount mismatch**: both have it, with different amounts.

use std::collections::BTreeMap;

use crate::statement::alipay::AlipayStatement;
use crate::statement::wechat::WeChatStatement;

/// What a statement row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LineKind {
    /// Money taken.
    Payment,
    /// A whole order given back by a cancel (WeChat `REVOKED`, an Alipay refund without a request
    /// number): no refund of HQ's stands behind it.
    Reversal,
    /// A refund under the merchant's refund number.
    Refund,
}

/// One row of a statement, as reconciliation reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    /// The line of the statement file (to name it).
    pub row: usize,
    pub kind: LineKind,
    pub out_trade_no: String,
    pub transaction_id: String,
    /// The merchant's refund number (refunds).
    pub out_refund_no: Option<String>,
    /// Fen, above zero (a refund's too).
    pub amount: i64,
}

/// A payment HQ's records claim: a till's sale tender (one order may back several tenders of a
/// split payment only if HQ allowed it; they add up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub out_trade_no: String,
    /// The sale's receipt number, to name it.
    pub receipt_no: String,
    pub transaction_id: Option<String>,
    pub amount: i64,
}

/// A refund HQ's gateway made (refunded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GaveBack {
    pub out_trade_no: String,
    pub out_refund_no: String,
    pub amount: i64,
}

/// What differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// The provider kept `amount` of an order no sale claims.
    PaymentMissingAtHq {
        out_trade_no: String,
        transaction_id: String,
        amount: i64,
        rows: Vec<usize>,
    },
    /// A sale claims an order the provider kept nothing of.
    PaymentMissingAtProvider {
        out_trade_no: String,
        receipt_no: String,
        amount: i64,
    },
    /// Both have the order, with different amounts.
    PaymentAmount {
        out_trade_no: String,
        receipt_no: String,
        ours: i64,
        provider: i64,
        rows: Vec<usize>,
    },
    /// The provider gave back money under a refund number HQ has no refund of.
    RefundMissingAtHq {
        out_trade_no: String,
        out_refund_no: String,
        amount: i64,
        row: usize,
    },
    /// HQ refunded, and the statement does not show it.
    RefundMissingAtProvider {
        out_trade_no: String,
        out_refund_no: String,
        amount: i64,
    },
    RefundAmount {
        out_trade_no: String,
        out_refund_no: String,
        ours: i64,
        provider: i64,
        row: usize,
    },
}

impl Difference {
    /// `missing_at_hq`, `missing_at_provider` or `amount_mismatch`.
    pub fn kind(&self) -> &'static str {
        match self {
            Difference::PaymentMissingAtHq { .. } | Difference::RefundMissingAtHq { .. } => "missing_at_hq",
            Difference::PaymentMissingAtProvider { .. } | Difference::RefundMissingAtProvider { .. } => {
                "missing_at_provider"
            }
            Difference::PaymentAmount { .. } | Difference::RefundAmount { .. } => "amount_mismatch",
        }
    }

    pub fn out_trade_no(&self) -> &str {
        match self {
            Difference::PaymentMissingAtHq { out_trade_no, .. }
            | Difference::PaymentMissingAtProvider { out_trade_no, .. }
            | Difference::PaymentAmount { out_trade_no, .. }
            | Difference::RefundMissingAtHq { out_trade_no, .. }
            | Difference::RefundMissingAtProvider { out_trade_no, .. }
            | Difference::RefundAmount { out_trade_no, .. } => out_trade_no,
        }
    }
}

/// A day's reconciliation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciliation {
    /// Orders and refunds that match.
    pub matched_payments: usize,
    pub matched_refunds: usize,
    /// Fen the provider kept (payments less reversals) and gave back by refunds.
    pub provider_paid: i64,
    pub provider_refunded: i64,
    /// Fen HQ's records claim.
    pub ours_paid: i64,
    pub ours_refunded: i64,
    pub differences: Vec<Difference>,
}

/// Compares a day's statement lines with HQ's claims and refunds of the same day.
pub fn reconcile(statement: &[StatementLine], claimed: &[Claimed], gave_back: &[GaveBack]) -> Reconciliation {
    let mut out = Reconciliation::default();
    // Per order: what the provider kept, and the rows that say it.
    let mut kept: BTreeMap<&str, (i64, &str, Vec<usize>)> = BTreeMap::new();
    let mut refunds: BTreeMap<&str, (&StatementLine, i64)> = BTreeMap::new();
    for line in statement {
        match line.kind {
            LineKind::Payment | LineKind::Reversal => {
                let e = kept.entry(&line.out_trade_no).or_insert((0, "", Vec::new()));
                e.0 += if line.kind == LineKind::Payment { line.amount } else { -line.amount };
                if line.kind == LineKind::Payment {
                    e.1 = &line.transaction_id;
                }
                e.2.push(line.row);
            }
            LineKind::Refund => {
                let key = line.out_refund_no.as_deref().unwrap_or("");
                refunds.entry(key).or_insert((line, 0)).1 += line.amount;
            }
        }
    }
    let mut ours: BTreeMap<&str, (i64, &str)> = BTreeMap::new();
    for c in claimed {
        let e = ours.entry(&c.out_trade_no).or_insert((0, &c.receipt_no));
        e.0 += c.amount;
    }
    out.provider_paid = kept.values().map(|k| k.0).sum();
    out.ours_paid = ours.values().map(|o| o.0).sum();
    for (order, (provider, txn, rows)) in &kept {
        match ours.get(order) {
            None if *provider == 0 => {}
            None => out.differences.push(Difference::PaymentMissingAtHq {
                out_trade_no: (*order).to_owned(),
                transaction_id: (*txn).to_owned(),
                amount: *provider,
                rows: rows.clone(),
            }),
            Some((amount, _)) if amount == provider => out.matched_payments += 1,
            Some((amount, receipt)) => out.differences.push(Difference::PaymentAmount {
                out_trade_no: (*order).to_owned(),
                receipt_no: (*receipt).to_owned(),
                ours: *amount,
                provider: *provider,
                rows: rows.clone(),
            }),
        }
    }
    for (order, (amount, receipt)) in &ours {
        if !kept.contains_key(order) {
            out.differences.push(Difference::PaymentMissingAtProvider {
                out_trade_no: (*order).to_owned(),
                receipt_no: (*receipt).to_owned(),
                amount: *amount,
            });
        }
    }
    let ours_refunds: BTreeMap<&str, &GaveBack> = gave_back.iter().map(|g| (g.out_refund_no.as_str(), g)).collect();
    out.provider_refunded = refunds.values().map(|r| r.1).sum();
    out.ours_refunded = gave_back.iter().map(|g| g.amount).sum();
    for (no, (line, provider)) in &refunds {
        match ours_refunds.get(no) {
            None => out.differences.push(Difference::RefundMissingAtHq {
                out_trade_no: line.out_trade_no.clone(),
                out_refund_no: (*no).to_owned(),
                amount: *provider,
                row: line.row,
            }),
            Some(g) if g.amount == *provider => out.matched_refunds += 1,
            Some(g) => out.differences.push(Difference::RefundAmount {
                out_trade_no: g.out_trade_no.clone(),
                out_refund_no: (*no).to_owned(),
                ours: g.amount,
                provider: *provider,
                row: line.row,
            }),
        }
    }
    for g in gave_back {
        if !refunds.contains_key(g.out_refund_no.as_str()) {
            out.differences.push(Difference::RefundMissingAtProvider {
                out_trade_no: g.out_trade_no.clone(),
                out_refund_no: g.out_refund_no.clone(),
                amount: g.amount,
            });
        }
    }
    out
}

/// A WeChat Pay statement's rows as reconciliation reads them: `SUCCESS` a payment (its order
/// amount), `REFUND` a refund (its refund amount and number), `REVOKED` a reversal; other
/// states (a payment still `USERPAYING`, `PAYERROR`) moved no money and are left out.
pub fn wechat_lines(statement: &WeChatStatement) -> Vec<StatementLine> {
    statement
        .rows
        .iter()
        .filter_map(|r| {
            let (kind, amount, refund) = match r.trade_state.as_str() {
                "SUCCESS" => (LineKind::Payment, r.order_amount, None),
                "REFUND" => (LineKind::Refund, r.refund_amount, Some(r.out_refund_no.clone())),
                "REVOKED" => (LineKind::Reversal, r.refund_amount, None),
                _ => return None,
            };
            Some(StatementLine {
                row: r.row,
                kind,
                out_trade_no: r.out_trade_no.clone(),
                transaction_id: r.transaction_id.clone(),
                out_refund_no: refund,
                amount,
            })
        })
        .collect()
}

/// An Alipay statement's rows: a 交易 a payment (its order amount), a 退款 a refund under its
/// request number, or a reversal without one (amounts made positive).
pub fn alipay_lines(statement: &AlipayStatement) -> Vec<StatementLine> {
    statement
        .rows
        .iter()
        .map(|r| {
            let (kind, refund) = if !r.is_refund() {
                (LineKind::Payment, None)
            } else if r.refund_request_no.is_empty() {
                (LineKind::Reversal, None)
            } else {
                (LineKind::Refund, Some(r.refund_request_no.clone()))
            };
            StatementLine {
                row: r.row,
                kind,
                out_trade_no: r.out_trade_no.clone(),
                transaction_id: r.trade_no.clone(),
                out_refund_no: refund,
                amount: r.order_amount.abs(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(row: usize, kind: LineKind, order: &str, refund: Option<&str>, amount: i64) -> StatementLine {
        StatementLine {
            row,
            kind,
            out_trade_no: order.into(),
            transaction_id: format!("T{order}"),
            out_refund_no: refund.map(Into::into),
            amount,
        }
    }

    fn claim(order: &str, amount: i64) -> Claimed {
        Claimed {
            out_trade_no: order.into(),
            receipt_no: order.rsplit_once('-').map(|(r, _)| r.to_owned()).unwrap_or_default(),
            transaction_id: Some(format!("T{order}")),
            amount,
        }
    }

    #[test]
    fn a_day_that_matches_has_no_differences() {
        let statement = [
            line(2, LineKind::Payment, "B001-01-000001-1", None, 1250),
            line(3, LineKind::Payment, "B001-01-000002-1", None, 880),
            line(4, LineKind::Refund, "B001-01-000001-1", Some("B001-01-000001-1-R1"), 300),
            // Taken and reversed (a customer who paid after the cashier gave up): nothing kept,
            // nothing claimed.
            line(5, LineKind::Payment, "B001-01-000003-1", None, 500),
            line(6, LineKind::Reversal, "B001-01-000003-1", None, 500),
        ];
        let claimed = [claim("B001-01-000001-1", 1250), claim("B001-01-000002-1", 880)];
        let gave_back = [GaveBack {
            out_trade_no: "B001-01-000001-1".into(),
            out_refund_no: "B001-01-000001-1-R1".into(),
            amount: 300,
        }];
        let r = reconcile(&statement, &claimed, &gave_back);
        assert_eq!(r.differences, []);
        assert_eq!((r.matched_payments, r.matched_refunds), (2, 1));
        assert_eq!((r.provider_paid, r.ours_paid, r.provider_refunded, r.ours_refunded), (2130, 2130, 300, 300));
    }

    #[test]
    fn each_kind_of_difference_is_found_and_named() {
        let statement = [
            // Taken, but no sale claims it.
            line(2, LineKind::Payment, "B001-01-000010-1", None, 700),
            // Claimed for another amount.
            line(3, LineKind::Payment, "B001-01-000011-1", None, 1000),
            // A refund HQ has no record of, and one for another amount.
            line(4, LineKind::Refund, "B001-01-000011-1", Some("B001-01-000011-1-R9"), 100),
            line(5, LineKind::Refund, "B001-01-000011-1", Some("B001-01-000011-1-R1"), 250),
        ];
        let claimed = [claim("B001-01-000011-1", 990), claim("B001-01-000012-1", 400)];
        let gave_back = [
            GaveBack {
                out_trade_no: "B001-01-000011-1".into(),
                out_refund_no: "B001-01-000011-1-R1".into(),
                amount: 200,
            },
            GaveBack {
                out_trade_no: "B001-01-000011-1".into(),
                out_refund_no: "B001-01-000011-1-R2".into(),
                amount: 50,
            },
        ];
        let r = reconcile(&statement, &claimed, &gave_back);
        let kinds: Vec<(&str, &str)> = r.differences.iter().map(|d| (d.kind(), d.out_trade_no())).collect();
        assert_eq!(
            kinds,
            [
                ("missing_at_hq", "B001-01-000010-1"),
                ("amount_mismatch", "B001-01-000011-1"),
                ("missing_at_provider", "B001-01-000012-1"),
                ("amount_mismatch", "B001-01-000011-1"),
                ("missing_at_hq", "B001-01-000011-1"),
                ("missing_at_provider", "B001-01-000011-1"),
            ]
        );
        assert_eq!(
            r.differences[1],
            Difference::PaymentAmount {
                out_trade_no: "B001-01-000011-1".into(),
                receipt_no: "B001-01-000011".into(),
                ours: 990,
                provider: 1000,
                rows: vec![3],
            }
        );
        assert_eq!((r.matched_payments, r.matched_refunds), (0, 0));
    }

    #[test]
    fn a_wechat_statement_reads_as_payments_refunds_and_reversals() {
        use crate::statement::wechat;
        let mut w = WeChatStatement {
            rows: Vec::new(),
            summary: wechat::WeChatSummary {
                count: 0,
                settlement_total: 0,
                refund_total: 0,
                coupon_refund_total: 0,
                fee_total: "0.00000".into(),
                order_total: 0,
                requested_refund_total: 0,
            },
        };
        assert!(wechat_lines(&w).is_empty());
        let sim_row = |state: &str, order_amount: i64, refund_amount: i64, out_refund_no: &str| wechat::WeChatRow {
            row: 2,
            traded_at: jiff::civil::date(2026, 12, 1).at(10, 0, 0, 0),
            appid: String::new(),
            mch_id: String::new(),
            sub_mch_id: String::new(),
            device_info: String::new(),
            transaction_id: "4200".into(),
            out_trade_no: "B001-01-000001-1".into(),
            openid: String::new(),
            trade_type: "MICROPAY".into(),
            trade_state: state.into(),
            bank_type: String::new(),
            currency: "CNY".into(),
            settlement_amount: order_amount,
            coupon_amount: 0,
            refund_id: "0".into(),
            out_refund_no: out_refund_no.into(),
            refund_amount,
            coupon_refund_amount: 0,
            refund_type: String::new(),
            refund_status: String::new(),
            body: String::new(),
            attach: String::new(),
            fee: "0.00000".into(),
            rate: "0.60%".into(),
            order_amount,
            requested_refund_amount: refund_amount,
            rate_note: String::new(),
        };
        w.rows = vec![
            sim_row("SUCCESS", 1000, 0, "0"),
            sim_row("REFUND", 0, 300, "B001-01-000001-1-R1"),
            sim_row("REVOKED", 0, 700, "0"),
            sim_row("USERPAYING", 0, 0, "0"),
        ];
        let kinds: Vec<(LineKind, i64, Option<String>)> =
            wechat_lines(&w).into_iter().map(|l| (l.kind, l.amount, l.out_refund_no)).collect();
        assert_eq!(
            kinds,
            [
                (LineKind::Payment, 1000, None),
                (LineKind::Refund, 300, Some("B001-01-000001-1-R1".into())),
                (LineKind::Reversal, 700, None),
            ]
        );
    }
}
