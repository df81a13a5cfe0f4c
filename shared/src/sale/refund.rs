//! Refunds: returns against a receipt, post-voids and returns without a receipt, their records,
//! the checks HQ runs on them, and `plan_refund`, which decides what goes back.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::*;

/// What kind of correction a refund record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundKind {
    /// Goods returned against a receipt.
    Return,
    /// A completed sale cancelled whole (post-void), with a manager's approval.
    Void,
    /// Goods returned without a receipt: today's price, no member benefits, no points.
    NoReceipt,
}

/// One returned line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundLine {
    /// The index of the line in the original sale (`None` for a return without receipt).
    pub sale_line: Option<usize>,
    pub product_id: ProductId,
    pub name: String,
    pub vat: Bp,
    pub qty: Qty,
    /// The share of the line's net this return gives back.
    pub amount: Money,
    pub points_eligible: bool,
}

/// A refund, a void or a return without receipt: a new record, never an edit of the sale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub id: RefundId,
    pub kind: RefundKind,
    pub sale: Option<SaleId>,
    pub original_receipt: Option<ReceiptNo>,
    /// The refund's own receipt number, from the till's sequence.
    pub receipt_no: ReceiptNo,
    pub branch: BranchId,
    pub till: TillId,
    pub shift: ShiftId,
    pub cashier: StaffId,
    pub approved_by: Option<StaffId>,
    pub refunded_at: Timestamp,
    pub business_day: Date,
    pub reason: String,
    pub lines: Vec<RefundLine>,
    /// The money going back before cash rounding (positive); `total + rounding` is paid out.
    pub total: Money,
    pub rounding: Money,
    /// What goes back, per original tender kind (positive amounts).
    pub tenders: Vec<Tender>,
    pub points_taken_back: i64,
    pub points_restored: i64,
    pub member: Option<SaleMember>,
    pub tax: Vec<TaxGroup>,
    /// What this refund kept back for promotions whose threshold the kept goods no longer reach
    /// (`threshold_clawback`; negative when it releases an earlier one). The sale's clawback so far is
    /// the sum over its refunds.
    #[serde(default, skip_serializing_if = "no_clawback")]
    pub clawback: Money,
    /// A manager waived the threshold clawback on this return (and so on the sale's later ones).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub clawback_waived: bool,
}

fn no_clawback(m: &Money) -> bool {
    m.is_zero()
}

/// Why a refund record does not add up (HQ rejects such an event with this reason).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InconsistentRefund {
    #[error("the refund has no lines")]
    NoLines,
    #[error(transparent)]
    OutOfBounds(#[from] crate::limits::OutOfBounds),
    #[error("the refund's tenders ({tenders}) do not add up to its total {total}")]
    TendersVsTotal { tenders: Money, total: Money },
    #[error("the refund's rounding {rounding} is not what its cash tender was rounded by")]
    Rounding { rounding: Money },
    #[error("a stored-value tender's principal and bonus do not add up to it")]
    StoredValueSplit,
    #[error("the points restored ({restored}) are not the sum of the points tenders ({tenders})")]
    PointsVsTenders { restored: i64, tenders: i64 },
    #[error("a return or void must name the sale it corrects")]
    NoSale,
    #[error("a return without a receipt names no sale, pays back in cash or stored value only, and moves no points")]
    NoReceiptShape,
}

impl Refund {
    /// Checks the sums every consumer relies on, every figure within [`crate::limits`] first.
    pub fn check(&self) -> Result<(), InconsistentRefund> {
        use crate::limits::{self, MAX_LINES, MAX_TENDERS};
        if self.lines.is_empty() {
            return Err(InconsistentRefund::NoLines);
        }
        limits::count("refund lines", self.lines.len(), MAX_LINES)?;
        limits::count("refund tenders", self.tenders.len(), MAX_TENDERS)?;
        for l in &self.lines {
            limits::qty("a returned quantity", l.qty)?;
            limits::non_negative("a refund line's amount", l.amount)?;
        }
        limits::non_negative("the refund's total", self.total)?;
        limits::amount("the refund's rounding", self.rounding)?;
        limits::points("the points taken back", self.points_taken_back)?;
        limits::points("the points restored", self.points_restored)?;
        for t in &self.tenders {
            limits::non_negative("a refund tender", t.amount)?;
            limits::non_negative("a refund tender's paid-out amount", t.tendered)?;
            limits::points("a refund tender's points", t.points)?;
            if let Some(sv) = t.stored_value {
                limits::non_negative("a refund's stored-value principal", sv.principal)?;
                limits::non_negative("a refund's stored-value bonus", sv.bonus)?;
                if t.kind == TenderKind::StoredValue && sv.total() != t.amount {
                    return Err(InconsistentRefund::StoredValueSplit);
                }
            }
        }
        let tenders: Money = self.tenders.iter().map(|t| t.amount).sum();
        if tenders != self.total {
            return Err(InconsistentRefund::TendersVsTotal { tenders, total: self.total });
        }
        let cash_rounding: Money =
            self.tenders.iter().filter(|t| t.kind == TenderKind::Cash).map(|t| t.tendered - t.amount).sum();
        if cash_rounding != self.rounding {
            return Err(InconsistentRefund::Rounding { rounding: self.rounding });
        }
        let tendered_points: i64 = self.tenders.iter().filter(|t| t.kind == TenderKind::Points).map(|t| t.points).sum();
        if tendered_points != self.points_restored {
            return Err(InconsistentRefund::PointsVsTenders {
                restored: self.points_restored,
                tenders: tendered_points,
            });
        }
        match self.kind {
            RefundKind::NoReceipt => {
                if self.sale.is_some()
                    || self.points_taken_back != 0
                    || self.points_restored != 0
                    || self.tenders.iter().any(|t| !matches!(t.kind, TenderKind::Cash | TenderKind::StoredValue))
                {
                    return Err(InconsistentRefund::NoReceiptShape);
                }
            }
            RefundKind::Return | RefundKind::Void => {
                if self.sale.is_none() {
                    return Err(InconsistentRefund::NoSale);
                }
            }
        }
        Ok(())
    }

    pub fn paid_back_by(&self, kind: TenderKind) -> Money {
        self.tenders.iter().filter(|t| t.kind == kind).map(|t| t.amount).sum()
    }

    pub fn paid_back(&self) -> Money {
        self.total + self.rounding
    }
}

/// A line and quantity the customer brings back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnPick {
    pub line: usize,
    pub qty: Qty,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    #[error("nothing to return")]
    Nothing,
    #[error("the sale has no line {}", .0 + 1)]
    UnknownLine(usize),
    #[error("quantity must be above zero")]
    QtyNotPositive,
    #[error("line {}: {asked} asked but only {left} of {sold} is left to return", .line + 1)]
    ExceedsSold { line: usize, sold: Qty, left: Qty, asked: Qty },
    #[error("this sale has already been refunded in full")]
    FullyRefunded,
    #[error(transparent)]
    StoredValue(#[from] StoredValueError),
    #[error(
        "the goods kept no longer reach a promotion's threshold: the customer would owe {owed}; a manager may waive the clawback"
    )]
    ClawbackExceedsRefund { owed: Money },
    #[error("the sale's promotion record does not add up: {0}")]
    Promotions(String),
}

/// The figures of a refund against a sale, before it becomes a [`Refund`] record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundPlan {
    pub lines: Vec<RefundLine>,
    pub total: Money,
    pub rounding: Money,
    pub tenders: Vec<Tender>,
    pub points_taken_back: i64,
    pub points_restored: i64,
    pub tax: Vec<TaxGroup>,
    /// See [`Refund::clawback`].
    pub clawback: Money,
    /// See [`Refund::clawback_waived`].
    pub clawback_waived: bool,
}

fn rhu(n: i128, d: i128) -> i64 {
    if d == 0 { 0 } else { div_round_half_up(n, d) as i64 }
}

/// Plans a return of `picks` from `sale`, given the earlier refunds (and voids) of the same sale.
///
/// Every figure is cumulative, so any sequence of partial returns adds up to the sale exactly:
/// a line's refund is `round(net × returned_qty / sold_qty)` so far, the money back is the returned
/// nets scaled to what was paid (the sale's rounding included), points earned are taken back and
/// points tendered restored by the cumulative floor of domain.md, stored value goes back in the
/// split it was spent, and each tender gets back its share, never more than it paid.
pub fn plan_refund(
    sale: &CompletedSale,
    previous: &[Refund],
    picks: &[ReturnPick],
    cash_rounding: CashRounding,
) -> Result<RefundPlan, RefundError> {
    plan_refund_with(sale, previous, picks, cash_rounding, false)
}

/// [`plan_refund`], for a sale priced with promotions, following domain.md "Returns of promotion
/// sales": each returned line pays back `floor(paid × returned so far / sold)` cumulatively, from the
/// allocations the sale recorded, and a promotion with `threshold_clawback` whose lowest threshold the
/// kept lines no longer reach takes back what they got from it, unless `waive_clawback` (a manager's
/// waiver). A sale without promotions is refunded as before.
pub fn plan_refund_with(
    sale: &CompletedSale,
    previous: &[Refund],
    picks: &[ReturnPick],
    cash_rounding: CashRounding,
    waive_clawback: bool,
) -> Result<RefundPlan, RefundError> {
    if picks.is_empty() {
        return Err(RefundError::Nothing);
    }
    let earlier: Vec<&Refund> = previous.iter().filter(|r| r.sale == Some(sale.id)).collect();
    let returned_qty = |line: usize| -> Qty {
        Qty(earlier.iter().flat_map(|r| &r.lines).filter(|l| l.sale_line == Some(line)).map(|l| l.qty.0).sum())
    };
    // Merge picks of the same line.
    let mut wanted: Vec<(usize, Qty)> = Vec::new();
    for p in picks {
        if p.line >= sale.lines.len() {
            return Err(RefundError::UnknownLine(p.line));
        }
        if p.qty.0 <= 0 {
            return Err(RefundError::QtyNotPositive);
        }
        match wanted.iter_mut().find(|(l, _)| *l == p.line) {
            Some((_, q)) => q.0 += p.qty.0,
            None => wanted.push((p.line, p.qty)),
        }
    }
    wanted.sort_by_key(|(l, _)| *l);
    for &(line, qty) in &wanted {
        let sold = sale.lines[line].priced.qty;
        let left = Qty(sold.0 - returned_qty(line).0);
        if qty > left {
            return Err(RefundError::ExceedsSold { line, sold, left, asked: qty });
        }
    }
    let promotion_refund = match &sale.promotions {
        Some(record) => {
            let recorded: Vec<crate::promotions::RecordedLine> = sale
                .lines
                .iter()
                .map(|l| crate::promotions::RecordedLine {
                    qty: l.priced.qty,
                    // The line as the engine measured it (after member benefit); what it paid is its
                    // net: the promotions, then a manual line discount and the order discount, off.
                    net_before: l.priced.gross - l.priced.member_saving,
                    allocations: l.promotions.clone(),
                    coupon_allocations: l.coupons.clone(),
                    after_promotions: l.priced.manual_discount + l.order_discount,
                })
                .collect();
            let before: Vec<Qty> = (0..sale.lines.len()).map(returned_qty).collect();
            let mut now = vec![Qty(0); sale.lines.len()];
            for (line, qty) in &wanted {
                now[*line] = *qty;
            }
            let clawed_before: Money = earlier.iter().map(|r| r.clawback).sum();
            // A manager's waiver holds for the returns after it too: what it let the customer keep
            // is not taken back later.
            let waive_clawback = waive_clawback || earlier.iter().any(|r| r.clawback_waived);
            match crate::promotions::refund_for_return(
                &recorded,
                &record.applied,
                &before,
                &now,
                clawed_before,
                waive_clawback,
            ) {
                Ok(r) => Some(r),
                Err(crate::promotions::ReturnError::ClawbackExceedsRefund { owed }) => {
                    return Err(RefundError::ClawbackExceedsRefund { owed });
                }
                // The quantities were checked above: anything else means the record is broken.
                Err(e) => return Err(RefundError::Promotions(e.to_string())),
            }
        }
        None => None,
    };
    let mut lines = Vec::with_capacity(wanted.len());
    for (line, qty) in wanted {
        let sl = &sale.lines[line];
        let sold = sl.priced.qty;
        let before = returned_qty(line);
        let left = Qty(sold.0 - before.0);
        if qty > left {
            return Err(RefundError::ExceedsSold { line, sold, left, asked: qty });
        }
        let net = i128::from(sl.net.0);
        let amount = match &promotion_refund {
            Some(r) => r.lines[line].0,
            None => {
                rhu(net * i128::from(before.0 + qty.0), i128::from(sold.0))
                    - rhu(net * i128::from(before.0), i128::from(sold.0))
            }
        };
        lines.push(RefundLine {
            sale_line: Some(line),
            product_id: sl.item.product_id,
            name: sl.item.name.clone(),
            vat: sl.item.vat,
            qty,
            amount: Money(amount),
            points_eligible: sl.item.points_eligible,
        });
    }

    // Money back: the returned nets scaled to what was actually paid, cumulatively.
    let nets_before: Money = earlier.iter().flat_map(|r| &r.lines).map(|l| l.amount).sum();
    let nets_now: Money = lines.iter().map(|l| l.amount).sum();
    let t = &sale.totals;
    let scale = |nets: Money| {
        if t.total.0 == 0 {
            Money::ZERO
        } else {
            Money(rhu(i128::from(t.due.0) * i128::from(nets.0), i128::from(t.total.0)))
        }
    };
    let clawback = promotion_refund.as_ref().map_or(Money::ZERO, |r| r.clawback);
    let total = scale(nets_before + nets_now) - scale(nets_before) - clawback;
    if total.is_negative() {
        return Err(RefundError::ClawbackExceedsRefund { owed: -total });
    }

    // Each tender's share of it.
    let paid: Vec<Money> = sale.tenders.iter().map(|x| x.amount).collect();
    let already: Vec<Money> = sale
        .tenders
        .iter()
        .enumerate()
        .map(|(i, _)| earlier.iter().filter_map(|r| r.tenders.get(i)).map(|x| x.amount).sum())
        .collect();
    let refunded_before: Money = already.iter().copied().sum();
    let back = allocate_to_tenders(&sale.tenders, &paid, &already, t.due, refunded_before, total);

    let mut tenders = Vec::with_capacity(back.len());
    let mut points_restored = 0;
    for ((orig, amount), before) in sale.tenders.iter().zip(&back).zip(&already) {
        let mut tender = Tender {
            kind: orig.kind,
            amount: *amount,
            tendered: *amount,
            reference: orig.reference.clone(),
            points: 0,
            stored_value: None,
            hold: None,
            // Names the payment it goes back to (a mobile payment's order number).
            authorization: orig.authorization.clone(),
        };
        match orig.kind {
            TenderKind::Points => {
                tender.points = refund_delta(orig.points, orig.amount, *before, *amount);
                points_restored += tender.points;
            }
            TenderKind::StoredValue if amount.0 > 0 => {
                let spent = orig.stored_value.unwrap_or(SvSplit { principal: orig.amount, bonus: Money::ZERO });
                tender.stored_value = Some(refund_split(spent, *before, *amount)?);
            }
            _ => {}
        }
        tenders.push(tender);
    }
    // Cash rounding applies to the cash paid out.
    let mut rounding = Money::ZERO;
    if let Some(cash) = tenders.iter_mut().find(|x| x.kind == TenderKind::Cash) {
        let rounded = cash_rounding.apply(cash.amount);
        rounding = rounded - cash.amount;
        cash.tendered = rounded;
    }

    let points_taken_back = match &sale.member {
        Some(m) if m.points_earned > 0 => {
            let eligible = |ls: &mut dyn Iterator<Item = &RefundLine>| -> Money {
                ls.filter(|l| l.points_eligible).map(|l| l.amount).sum()
            };
            let before = eligible(&mut earlier.iter().flat_map(|r| r.lines.iter()));
            let now = eligible(&mut lines.iter());
            refund_delta(m.points_earned, sale.points_eligible_net, before, now)
        }
        _ => 0,
    };
    let tax = tax_groups(lines.iter().map(|l| (l.vat, l.amount)));
    let clawback_waived = waive_clawback && sale.promotions.is_some();
    Ok(RefundPlan {
        lines,
        total,
        rounding,
        tenders,
        points_taken_back,
        points_restored,
        tax,
        clawback,
        clawback_waived,
    })
}

/// The order in which a refund's rounding leftovers go back: cash, stored value, card, points.
fn refund_priority(kind: TenderKind) -> u8 {
    match kind {
        TenderKind::Cash => 0,
        TenderKind::StoredValue => 1,
        TenderKind::BankCard | TenderKind::WechatPay | TenderKind::Alipay => 2,
        TenderKind::Points => 3,
    }
}

/// Splits `now` over the sale's tenders: each tender's target is the floor of its pro-rata share of
/// everything refunded so far; no tender gets back more than it paid; leftovers go by priority.
fn allocate_to_tenders(
    tenders: &[Tender],
    paid: &[Money],
    already: &[Money],
    due: Money,
    refunded_before: Money,
    now: Money,
) -> Vec<Money> {
    let n = tenders.len();
    let capacity: Vec<i64> = (0..n).map(|i| (paid[i] - already[i]).0.max(0)).collect();
    let after = i128::from((refunded_before + now).0);
    let mut delta: Vec<i64> = (0..n)
        .map(|i| {
            let target =
                if due.0 <= 0 { 0 } else { div_floor(i128::from(paid[i].0) * after, i128::from(due.0)) as i64 };
            (target - already[i].0).clamp(0, capacity[i])
        })
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|i| (refund_priority(tenders[*i].kind), *i));
    let mut left = now.0 - delta.iter().sum::<i64>();
    // Too much: take back from the lowest priority first.
    for &i in order.iter().rev() {
        if left >= 0 {
            break;
        }
        let take = delta[i].min(-left);
        delta[i] -= take;
        left += take;
    }
    // Too little: fill by priority.
    for &i in &order {
        if left <= 0 {
            break;
        }
        let add = (capacity[i] - delta[i]).min(left);
        delta[i] += add;
        left -= add;
    }
    delta.into_iter().map(Money).collect()
}
