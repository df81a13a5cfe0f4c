//! Reconciliation (对账) at HQ: each provider's daily statement imported, then compared with what
//! HQ's records say of the same day, per branch.
//!
//! - **Import** ([`import_statement`]): the file is read whole first ([`read_statement`], pure):
//!   WeChat Pay's `downloadbill` text or Alipay's GBK 业务明细 CSV. A broken row, a row of
//!   another day, or an Alipay file whose period is not the day refuses the whole file, naming
//!   the row; nothing is imported, and the refusal is kept with its reason. A good file replaces
//!   the provider's statement of that day (a re-download), with an audit entry.
//! - **HQ's side of a day**: the payments HQ's gateway saw paid, each with what the sales HQ holds
//!   claim of it (a sale's WeChat Pay / Alipay tender names its payment's receipt and transaction
//!   id, checked when the sale came in), and the gateway's refunds.
//! - **The day's report** ([`build_report`], pure): `payments::reconcile` compares them; every
//!   difference is put to the branch whose till asked for the payment, and each branch gets its
//!   totals. Which of HQ's records belong to the day: those in the statement, and those HQ saw on
//!   the day (Beijing time, as the providers' days are) that the statement of the day before or
//!   after does not list (a payment at 23:59:59 the provider booked a second later is the next
//!   day's).

use std::collections::{BTreeMap, HashSet};

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use payments::reconcile::{
    Claimed, Difference, GaveBack, LineKind, Reconciliation, StatementLine, alipay_lines, reconcile, wechat_lines,
};
use payments::statement::StatementError;
use serde::Serialize;
use sha2::{Digest, Sha256};
use shared::ids::BranchId;
use shared::payment_code::Provider;

use crate::model::Actor;
use crate::store::statements::{GatewayRefund, NewStatement, PaidAttempt, RejectedStatement, StatementInfo};
use crate::store::{Store, StoreResult};

/// The providers' days are Beijing time (UTC+8, no daylight saving).
pub fn provider_zone() -> TimeZone {
    TimeZone::fixed(jiff::tz::offset(8))
}

/// The providers a statement can come from, by their codes.
pub const PROVIDERS: [Provider; 2] = [Provider::Wechat, Provider::Alipay];

/// `wechat` or `alipay`.
pub fn provider_code(p: Provider) -> &'static str {
    match p {
        Provider::Wechat => "wechat",
        Provider::Alipay => "alipay",
    }
}

/// A provider by its code.
pub fn provider_of(code: &str) -> Result<Provider, String> {
    PROVIDERS
        .into_iter()
        .find(|p| provider_code(*p) == code.trim())
        .ok_or_else(|| format!("provider `{}` is not wechat or alipay", code.trim()))
}

/// When a Beijing day starts.
pub fn day_start(day: Date) -> Timestamp {
    day.to_zoned(provider_zone()).map(|z| z.timestamp()).unwrap_or(Timestamp::MIN)
}

fn day_of(at: Timestamp) -> Date {
    at.to_zoned(provider_zone()).date()
}

fn refused(row: usize, message: impl Into<String>) -> StatementError {
    StatementError { row, message: message.into() }
}

/// Reads a provider's statement of `day`: every row parsed and of the day, or the first that is
/// not, by its line.
pub fn read_statement(provider: Provider, day: Date, bytes: &[u8]) -> Result<Vec<StatementLine>, StatementError> {
    match provider {
        Provider::Wechat => {
            let text = std::str::from_utf8(bytes).map_err(|e| {
                let row = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
                refused(row, "not UTF-8 text (WeChat Pay's statements are)")
            })?;
            let statement = payments::statement::wechat::parse(text)?;
            if let Some(r) = statement.rows.iter().find(|r| r.traded_at.date() != day) {
                return Err(refused(r.row, format!("traded at {}, not on {day}", r.traded_at)));
            }
            Ok(wechat_lines(&statement))
        }
        Provider::Alipay => {
            let statement = payments::statement::alipay::parse(bytes)?;
            let next = day.tomorrow().unwrap_or(day);
            if statement.from != day.at(0, 0, 0, 0) || statement.to != next.at(0, 0, 0, 0) {
                return Err(refused(
                    3,
                    format!("the statement covers {} to {}, not the day {day}", statement.from, statement.to),
                ));
            }
            if let Some(r) = statement.rows.iter().find(|r| r.finished_at.date() != day) {
                return Err(refused(r.row, format!("finished at {}, not on {day}", r.finished_at)));
            }
            Ok(alipay_lines(&statement))
        }
    }
}

/// Imports a provider's statement of `day` (see the module's documentation): what was stored, or
/// why the file was refused (nothing of it imported, the refusal kept).
pub fn import_statement(
    store: &dyn Store,
    actor: &Actor,
    provider: Provider,
    day: Date,
    file_name: &str,
    bytes: &[u8],
) -> StoreResult<Result<StatementInfo, StatementError>> {
    let sha256 = crate::audit::hex(&Sha256::digest(bytes));
    let file_name: String = file_name.trim().chars().filter(|c| !c.is_control()).take(200).collect();
    match read_statement(provider, day, bytes) {
        Ok(lines) => Ok(Ok(store.import_statement(actor, &NewStatement { provider, day, file_name, sha256, lines })?)),
        Err(why) => {
            let rejected = RejectedStatement {
                provider: provider_code(provider).into(),
                day,
                file_name,
                sha256,
                reason: why.to_string(),
                at: store.now(),
                by: actor.who.clone(),
            };
            store.reject_statement(actor, &rejected)?;
            Ok(Err(why))
        }
    }
}

/// One branch's share of a provider's day.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BranchDay {
    /// `None`: orders the statement has that HQ's gateway never made.
    pub branch_id: Option<i64>,
    /// Fen the provider kept of the branch's orders, and gave back.
    pub provider_paid: i64,
    pub provider_refunded: i64,
    /// Fen the branch's sales claim, and its refunds through the gateway.
    pub ours_paid: i64,
    pub ours_refunded: i64,
    pub differences: u32,
}

/// A difference, as the report shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DifferenceRow {
    /// `missing_at_hq`, `missing_at_provider` or `amount_mismatch`.
    pub kind: String,
    /// `payment` or `refund`.
    pub of: String,
    pub branch_id: Option<i64>,
    pub out_trade_no: String,
    pub out_refund_no: Option<String>,
    pub receipt_no: Option<String>,
    pub transaction_id: Option<String>,
    /// Fen by HQ's records, and by the statement (`None`: it has none).
    pub ours: Option<i64>,
    pub provider: Option<i64>,
    /// The statement's rows it comes from.
    pub rows: Vec<usize>,
}

/// A provider's day: the statement (if imported), the totals, each branch's, the differences.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DayReport {
    #[schema(value_type = String, format = Date)]
    pub day: Date,
    pub provider: String,
    /// `None`: no statement of the day imported yet (HQ's side alone is shown).
    pub statement: Option<StatementInfo>,
    pub matched_payments: u32,
    pub matched_refunds: u32,
    pub provider_paid: i64,
    pub provider_refunded: i64,
    pub ours_paid: i64,
    pub ours_refunded: i64,
    pub branches: Vec<BranchDay>,
    pub differences: Vec<DifferenceRow>,
}

/// What the report is made from (read by [`day_report`]).
#[derive(Clone, Debug, Default)]
pub struct DayInputs {
    pub statement: Option<(StatementInfo, Vec<StatementLine>)>,
    /// Orders and refund numbers the statements of the day before and after list.
    pub neighbours: HashSet<String>,
    /// The gateway's paid payments and refunds from the day before to the day after.
    pub paid: Vec<PaidAttempt>,
    pub refunds: Vec<GatewayRefund>,
}

/// Reads what a provider's day's report is made of, and makes it.
pub fn day_report(store: &dyn Store, provider: Provider, day: Date) -> StoreResult<DayReport> {
    let before = day.yesterday().unwrap_or(day);
    let after = day.tomorrow().unwrap_or(day);
    let mut neighbours = HashSet::new();
    for d in [before, after] {
        if let Some((_, lines)) = store.statement(provider, d)? {
            for l in lines {
                neighbours.extend(l.out_refund_no);
                neighbours.insert(l.out_trade_no);
            }
        }
    }
    let (from, to) = (day_start(before), day_start(after.tomorrow().unwrap_or(after)));
    let inputs = DayInputs {
        statement: store.statement(provider, day)?,
        neighbours,
        paid: store.paid_attempts(provider, from, to)?,
        refunds: store.gateway_refunds(provider, from, to)?,
    };
    Ok(build_report(provider, day, &inputs))
}

/// The day's report from its inputs (see the module's documentation).
pub fn build_report(provider: Provider, day: Date, inputs: &DayInputs) -> DayReport {
    let lines: &[StatementLine] = inputs.statement.as_ref().map_or(&[], |s| &s.1);
    let listed: HashSet<&str> =
        lines.iter().flat_map(|l| std::iter::once(l.out_trade_no.as_str()).chain(l.out_refund_no.as_deref())).collect();
    let belongs =
        |key: &str, at: Timestamp| listed.contains(key) || (day_of(at) == day && !inputs.neighbours.contains(key));
    let mut branch_of: BTreeMap<&str, BranchId> = BTreeMap::new();
    for p in &inputs.paid {
        branch_of.insert(&p.order_no, p.branch);
    }
    for r in &inputs.refunds {
        branch_of.insert(&r.order_no, r.branch);
        branch_of.insert(&r.out_refund_no, r.branch);
    }
    let claimed: Vec<Claimed> = inputs
        .paid
        .iter()
        .filter(|p| belongs(&p.order_no, p.paid_at))
        .filter_map(|p| {
            p.claimed.map(|amount| Claimed {
                out_trade_no: p.order_no.clone(),
                receipt_no: p.receipt_no.clone(),
                transaction_id: p.transaction_id.clone(),
                amount,
            })
        })
        .collect();
    let gave_back: Vec<GaveBack> = inputs
        .refunds
        .iter()
        .filter(|r| r.state == "refunded" && belongs(&r.out_refund_no, r.made_at))
        .map(|r| GaveBack {
            out_trade_no: r.order_no.clone(),
            out_refund_no: r.out_refund_no.clone(),
            amount: r.amount,
        })
        .collect();

    // Each branch's totals, from both sides.
    let mut branches: BTreeMap<Option<i64>, BranchDay> = BTreeMap::new();
    let branch = |key: &str| branch_of.get(key).map(|b| b.0);
    let recon = if inputs.statement.is_some() {
        for l in lines {
            let b = branch(&l.out_trade_no);
            let e = branch_row(&mut branches, b);
            match l.kind {
                LineKind::Payment => e.provider_paid += l.amount,
                LineKind::Reversal => e.provider_paid -= l.amount,
                LineKind::Refund => e.provider_refunded += l.amount,
            }
        }
        reconcile(lines, &claimed, &gave_back)
    } else {
        Reconciliation { ours_paid: claimed.iter().map(|c| c.amount).sum(), ..Reconciliation::default() }
    };
    for c in &claimed {
        let b = branch(&c.out_trade_no);
        branch_row(&mut branches, b).ours_paid += c.amount;
    }
    let mut ours_refunded = 0;
    for g in &gave_back {
        let b = branch(&g.out_trade_no);
        branch_row(&mut branches, b).ours_refunded += g.amount;
        ours_refunded += g.amount;
    }
    let differences: Vec<DifferenceRow> = recon.differences.iter().map(|d| difference_row(d, &branch)).collect();
    for d in &differences {
        branch_row(&mut branches, d.branch_id).differences += 1;
    }
    DayReport {
        day,
        provider: provider_code(provider).into(),
        statement: inputs.statement.as_ref().map(|s| s.0.clone()),
        matched_payments: recon.matched_payments as u32,
        matched_refunds: recon.matched_refunds as u32,
        provider_paid: recon.provider_paid,
        provider_refunded: recon.provider_refunded,
        ours_paid: recon.ours_paid,
        ours_refunded: if inputs.statement.is_some() { recon.ours_refunded } else { ours_refunded },
        // Known branches first, by id; orders no branch made last.
        branches: {
            let mut rows: Vec<BranchDay> = branches.into_values().collect();
            rows.sort_by_key(|b| (b.branch_id.is_none(), b.branch_id));
            rows
        },
        differences,
    }
}

fn branch_row(branches: &mut BTreeMap<Option<i64>, BranchDay>, b: Option<i64>) -> &mut BranchDay {
    branches.entry(b).or_insert_with(|| BranchDay { branch_id: b, ..BranchDay::default() })
}

fn difference_row(d: &Difference, branch: &dyn Fn(&str) -> Option<i64>) -> DifferenceRow {
    let base = |of: &str, order: &str| DifferenceRow {
        kind: d.kind().into(),
        of: of.into(),
        branch_id: branch(order),
        out_trade_no: order.into(),
        out_refund_no: None,
        receipt_no: None,
        transaction_id: None,
        ours: None,
        provider: None,
        rows: Vec::new(),
    };
    match d {
        Difference::PaymentMissingAtHq { out_trade_no, transaction_id, amount, rows } => DifferenceRow {
            transaction_id: Some(transaction_id.clone()),
            provider: Some(*amount),
            rows: rows.clone(),
            ..base("payment", out_trade_no)
        },
        Difference::PaymentMissingAtProvider { out_trade_no, receipt_no, amount } => {
            DifferenceRow { receipt_no: Some(receipt_no.clone()), ours: Some(*amount), ..base("payment", out_trade_no) }
        }
        Difference::PaymentAmount { out_trade_no, receipt_no, ours, provider, rows } => DifferenceRow {
            receipt_no: Some(receipt_no.clone()),
            ours: Some(*ours),
            provider: Some(*provider),
            rows: rows.clone(),
            ..base("payment", out_trade_no)
        },
        Difference::RefundMissingAtHq { out_trade_no, out_refund_no, amount, row } => DifferenceRow {
            out_refund_no: Some(out_refund_no.clone()),
            provider: Some(*amount),
            rows: vec![*row],
            ..base("refund", out_trade_no)
        },
        Difference::RefundMissingAtProvider { out_trade_no, out_refund_no, amount } => DifferenceRow {
            out_refund_no: Some(out_refund_no.clone()),
            ours: Some(*amount),
            ..base("refund", out_trade_no)
        },
        Difference::RefundAmount { out_trade_no, out_refund_no, ours, provider, row } => DifferenceRow {
            out_refund_no: Some(out_refund_no.clone()),
            ours: Some(*ours),
            provider: Some(*provider),
            rows: vec![*row],
            ..base("refund", out_trade_no)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: Date, hour: i8, minute: i8, second: i8) -> Timestamp {
        day.at(hour, minute, second, 0).to_zoned(provider_zone()).expect("time").timestamp()
    }

    fn paid(order: &str, branch: i64, amount: i64, when: Timestamp, claimed: Option<i64>) -> PaidAttempt {
        PaidAttempt {
            order_no: order.into(),
            branch: BranchId(branch),
            till: shared::ids::TillId(branch * 10),
            receipt_no: order.rsplit_once('-').map(|(r, _)| r.to_owned()).unwrap_or_default(),
            transaction_id: Some(format!("T{order}")),
            amount,
            paid_at: when,
            claimed,
        }
    }

    fn line(row: usize, order: &str, amount: i64) -> StatementLine {
        StatementLine {
            row,
            kind: LineKind::Payment,
            out_trade_no: order.into(),
            transaction_id: format!("T{order}"),
            out_refund_no: None,
            amount,
        }
    }

    fn info(day: Date) -> StatementInfo {
        StatementInfo {
            id: 1,
            provider: "wechat".into(),
            day,
            file_name: "w.csv".into(),
            sha256: String::new(),
            lines: 0,
            paid: 0,
            refunded: 0,
            imported_at: Timestamp::UNIX_EPOCH,
            imported_by: "test".into(),
            replaced: false,
        }
    }

    #[test]
    fn a_payment_just_before_midnight_belongs_to_the_day_whose_statement_lists_it() {
        let day = jiff::civil::date(2026, 11, 30);
        let next = day.tomorrow().expect("next");
        // A paid at noon; B at 23:59:59, which the provider booked on the next day; C the next day.
        let inputs = |statement: Vec<StatementLine>, neighbours: &[&str]| DayInputs {
            statement: Some((info(day), statement)),
            neighbours: neighbours.iter().map(|s| (*s).to_owned()).collect(),
            paid: vec![
                paid("B001-01-000001-1", 1, 500, at(day, 12, 0, 0), Some(500)),
                paid("B001-01-000002-1", 1, 700, at(day, 23, 59, 59), Some(700)),
                paid("B002-01-000001-1", 2, 900, at(next, 9, 0, 0), Some(900)),
            ],
            refunds: Vec::new(),
        };
        // Before the next day's statement: B counts as the day's, and is missing at the provider.
        let r = build_report(Provider::Wechat, day, &inputs(vec![line(2, "B001-01-000001-1", 500)], &[]));
        assert_eq!(r.matched_payments, 1);
        assert_eq!(r.differences.len(), 1);
        assert_eq!(
            (r.differences[0].kind.as_str(), r.differences[0].out_trade_no.as_str()),
            ("missing_at_provider", "B001-01-000002-1")
        );
        assert_eq!(r.differences[0].branch_id, Some(1));
        // Once the next day's statement lists it: it is that day's, and this day matches.
        let r =
            build_report(Provider::Wechat, day, &inputs(vec![line(2, "B001-01-000001-1", 500)], &["B001-01-000002-1"]));
        assert_eq!((r.matched_payments, r.differences.len()), (1, 0), "{r:?}");
        assert_eq!((r.provider_paid, r.ours_paid), (500, 500));
        // C, of the next day, is never this day's.
        assert!(r.branches.iter().all(|b| b.branch_id != Some(2)), "{r:?}");
    }

    #[test]
    fn differences_go_to_the_branch_that_took_the_payment_and_unknown_orders_to_none() {
        let day = jiff::civil::date(2026, 11, 30);
        let inputs = DayInputs {
            statement: Some((
                info(day),
                vec![
                    line(2, "B001-01-000001-1", 500),
                    line(3, "B002-01-000001-1", 896),
                    line(4, "B002-01-000002-1", 300),
                    line(5, "X-1", 100),
                ],
            )),
            neighbours: HashSet::new(),
            paid: vec![
                paid("B001-01-000001-1", 1, 500, at(day, 10, 0, 0), Some(500)),
                paid("B002-01-000001-1", 2, 900, at(day, 11, 0, 0), Some(900)),
                paid("B002-01-000002-1", 2, 300, at(day, 12, 0, 0), None),
            ],
            refunds: Vec::new(),
        };
        let r = build_report(Provider::Wechat, day, &inputs);
        let kinds: Vec<(&str, &str, Option<i64>)> =
            r.differences.iter().map(|d| (d.kind.as_str(), d.out_trade_no.as_str(), d.branch_id)).collect();
        assert_eq!(
            kinds,
            [
                ("amount_mismatch", "B002-01-000001-1", Some(2)),
                ("missing_at_hq", "B002-01-000002-1", Some(2)),
                ("missing_at_hq", "X-1", None)
            ]
        );
        assert_eq!(r.differences[0].rows, [3]);
        let branches: Vec<(Option<i64>, i64, i64, u32)> =
            r.branches.iter().map(|b| (b.branch_id, b.provider_paid, b.ours_paid, b.differences)).collect();
        assert_eq!(branches, [(Some(1), 500, 500, 0), (Some(2), 1196, 900, 2), (None, 100, 0, 1)]);
    }

    #[test]
    fn without_a_statement_only_hqs_side_is_shown() {
        let day = jiff::civil::date(2026, 11, 30);
        let inputs = DayInputs {
            paid: vec![paid("B001-01-000001-1", 1, 500, at(day, 10, 0, 0), Some(500))],
            ..DayInputs::default()
        };
        let r = build_report(Provider::Alipay, day, &inputs);
        assert!(r.statement.is_none());
        assert_eq!((r.ours_paid, r.provider_paid, r.differences.len()), (500, 0, 0));
    }

    #[test]
    fn a_statement_of_another_day_or_a_broken_one_is_refused_by_its_row() {
        let day = jiff::civil::date(2026, 11, 30);
        let header = payments::statement::wechat::HEADER;
        let row = |time: &str| {
            format!(
                "`{time},`wx1,`1900000109,`0,`,`4200000001,`B001-01-000001-1,`o1,`MICROPAY,`SUCCESS,`CFT,`CNY,`5.00,`0.00,`0,`0,`0.00,`0.00,`,`,`x,`,`0.00000,`0.60%,`5.00,`0.00,`"
            )
        };
        let file = |time: &str| {
            format!(
                "{header}\r\n{}\r\n{}\r\n`1,`5.00,`0.00,`0.00,`0.00000,`5.00,`0.00\r\n",
                row(time),
                payments::statement::wechat::SUMMARY_HEADER
            )
        };
        let good = read_statement(Provider::Wechat, day, file("2026-11-30 10:00:00").as_bytes()).expect("read");
        assert_eq!((good.len(), good[0].amount), (1, 500));
        let other = read_statement(Provider::Wechat, day, file("2026-12-01 00:00:01").as_bytes()).expect_err("refused");
        assert_eq!(other.row, 2);
        let mut bytes = file("2026-11-30 10:00:00").into_bytes();
        bytes.extend_from_slice(b"\xff\xfe");
        assert_eq!(read_statement(Provider::Wechat, day, &bytes).expect_err("not UTF-8").row, 5);
        assert!(read_statement(Provider::Alipay, day, b"not a statement").is_err());
        assert_eq!(provider_of(" alipay "), Ok(Provider::Alipay));
        assert!(provider_of("unionpay").is_err());
    }
}
