//! A sale from lines to a completed record: pricing every line, spreading the order discount,
//! settling tenders with cash rounding and change, and the record of a completed sale that the
//! till keeps, prints and sends to HQ. Refunds and voids are new records planned from the sale.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::catalog::{CategoryId, ProductId};
use crate::ids::{BranchId, HoldId, MemberId, RefundId, SaleId, ShiftId, StaffId, TillId};
use crate::member::MemberIdentifier;
use crate::money::{Bp, Money, Qty, div_floor, div_round_half_up};
use crate::points::refund_delta;
use crate::pricing::{
    CashRounding, LineInput, MemberBenefit, OrderDiscount, PricedLine, PricingError, price_line,
    spread_largest_remainder,
};
use crate::receipt::ReceiptNo;
use crate::stored_value::{StoredValueError, SvSplit, refund_split};
use crate::tax::{TaxGroup, tax_groups};

/// A line as the till rang it up: the product's facts at the moment of sale, and its pricing input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    pub product_id: ProductId,
    pub product_code: String,
    /// The code that was scanned, if the line came from a scan.
    pub barcode: Option<String>,
    /// The name printed on the receipt.
    pub name: String,
    pub category: CategoryId,
    pub unit: String,
    pub vat: Bp,
    pub points_eligible: bool,
    pub pricing: LineInput,
}

/// A priced line of a sale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleLine {
    pub item: LineItem,
    pub priced: PricedLine,
    /// This line's part of the order discount.
    pub order_discount: Money,
    /// What the line finally costs: `priced.net - order_discount`.
    pub net: Money,
}

/// The money figures of a sale. `total = gross - member_savings - manual_discounts - order_discount`
/// is the sum of the lines' nets; `due = total + rounding` is what the tenders pay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleTotals {
    pub gross: Money,
    pub member_savings: Money,
    pub manual_discounts: Money,
    pub order_discount: Money,
    pub total: Money,
    /// The cash rounding adjustment (negative when rounded down).
    pub rounding: Money,
    pub due: Money,
}

impl SaleTotals {
    /// Everything taken off the gross: member savings, manual and order discounts.
    pub fn discounts(&self) -> Money {
        self.member_savings + self.manual_discounts + self.order_discount
    }
}

/// A sale priced line by line, before tenders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedSale {
    pub lines: Vec<SaleLine>,
    pub totals: SaleTotals,
    pub tax: Vec<TaxGroup>,
    /// Sum of the nets of points-eligible lines after the order discount.
    pub points_eligible_net: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SaleError {
    #[error("line {}: {error}", .index + 1)]
    Line { index: usize, error: PricingError },
    #[error("order discount: {0}")]
    OrderDiscount(PricingError),
    #[error("the sale is too large")]
    Overflow,
}

/// Prices every line (steps 1–5), then spreads the order discount over the discount-eligible lines
/// by the largest-remainder method, then groups tax by rate.
pub fn price_sale(
    items: &[LineItem],
    member: Option<&MemberBenefit>,
    order_discount: Option<OrderDiscount>,
) -> Result<PricedSale, SaleError> {
    let priced: Vec<PricedLine> = items
        .iter()
        .enumerate()
        .map(|(index, item)| price_line(&item.pricing, member).map_err(|error| SaleError::Line { index, error }))
        .collect::<Result<_, _>>()?;
    let sum = |f: &dyn Fn(&PricedLine) -> Money| -> Result<Money, SaleError> {
        priced.iter().try_fold(Money::ZERO, |acc, p| acc.checked_add(f(p))).ok_or(SaleError::Overflow)
    };
    let gross = sum(&|p| p.gross)?;
    let member_savings = sum(&|p| p.member_saving)?;
    let manual_discounts = sum(&|p| p.manual_discount)?;
    let weights: Vec<i64> =
        items.iter().zip(&priced).map(|(item, p)| if item.pricing.discount_eligible { p.net.0 } else { 0 }).collect();
    let eligible = Money(weights.iter().sum());
    let order_amount = match order_discount {
        Some(d) => d.amount_of(eligible).map_err(SaleError::OrderDiscount)?,
        None => Money::ZERO,
    };
    let parts = spread_largest_remainder(order_amount.0, &weights);
    let lines: Vec<SaleLine> = items
        .iter()
        .zip(priced)
        .zip(parts)
        .map(|((item, priced), part)| SaleLine {
            item: item.clone(),
            priced,
            order_discount: Money(part),
            net: priced.net - Money(part),
        })
        .collect();
    let total: Money = lines.iter().map(|l| l.net).sum();
    let points_eligible_net = lines.iter().filter(|l| l.item.points_eligible).map(|l| l.net).sum();
    let tax = tax_groups(lines.iter().map(|l| (l.item.vat, l.net)));
    Ok(PricedSale {
        lines,
        totals: SaleTotals {
            gross,
            member_savings,
            manual_discounts,
            order_discount: order_amount,
            total,
            rounding: Money::ZERO,
            due: total,
        },
        tax,
        points_eligible_net,
    })
}

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

/// The member on a sale, and what the till promised them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleMember {
    /// `None` when the till only captured an identifier (offline, or a card HQ has not seen yet).
    pub member_id: Option<MemberId>,
    pub identifier: MemberIdentifier,
    pub tier: Option<String>,
    /// The points base: eligible lines' nets minus what points paid.
    pub points_base: Money,
    /// The points the receipt says the member earned; HQ honours it.
    pub points_earned: i64,
    /// The policy version the till used.
    pub policy_version: u32,
}

/// A completed sale: never changed once written; corrected only by refunds and voids.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedSale {
    pub id: SaleId,
    pub receipt_no: ReceiptNo,
    pub branch: BranchId,
    pub till: TillId,
    pub shift: ShiftId,
    pub cashier: StaffId,
    pub completed_at: Timestamp,
    pub business_day: Date,
    pub lines: Vec<SaleLine>,
    pub order_discount: Option<OrderDiscount>,
    pub totals: SaleTotals,
    pub tax: Vec<TaxGroup>,
    pub points_eligible_net: Money,
    pub tenders: Vec<Tender>,
    pub change: Money,
    /// Part of the change put on the member's stored value (找零转存) instead of handed back.
    pub change_to_stored_value: Money,
    pub member: Option<SaleMember>,
}

/// Why a sale record does not add up (HQ rejects such an event with this reason).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InconsistentSale {
    #[error("the sale has no lines")]
    NoLines,
    #[error("line {0} has a negative net")]
    NegativeLine(usize),
    #[error("line {0}: net is not its priced net minus its order discount")]
    LineNet(usize),
    #[error("the lines' nets do not sum to the total")]
    LinesVsTotal,
    #[error("the total is not gross minus discounts")]
    TotalVsDiscounts,
    #[error("due is not total plus rounding")]
    DueVsRounding,
    #[error("the tenders do not sum to what was due")]
    TendersVsDue,
    #[error("change put on stored value is more than the change, or there is no member")]
    ChangeToStoredValue,
    #[error("a tender is not above zero")]
    TenderNotPositive,
    #[error("points earned are negative")]
    NegativePoints,
    #[error(transparent)]
    OutOfBounds(#[from] crate::limits::OutOfBounds),
    #[error("a stored-value tender's principal and bonus do not add up to it")]
    StoredValueSplit,
    #[error("a points tender must spend points, and only a points tender may")]
    PointsTender,
    #[error("the points base is not the points-eligible lines' nets less what points paid")]
    PointsBase,
    #[error("the tax groups are not those of the lines")]
    Tax,
}

impl CompletedSale {
    /// Checks the sums every consumer relies on.
    pub fn check(&self) -> Result<(), InconsistentSale> {
        if self.lines.is_empty() {
            return Err(InconsistentSale::NoLines);
        }
        self.check_bounds()?;
        for (i, l) in self.lines.iter().enumerate() {
            if l.net.is_negative() {
                return Err(InconsistentSale::NegativeLine(i + 1));
            }
            if l.net != l.priced.net - l.order_discount {
                return Err(InconsistentSale::LineNet(i + 1));
            }
        }
        let t = &self.totals;
        if self.lines.iter().map(|l| l.net).sum::<Money>() != t.total {
            return Err(InconsistentSale::LinesVsTotal);
        }
        if t.gross - t.member_savings - t.manual_discounts - t.order_discount != t.total {
            return Err(InconsistentSale::TotalVsDiscounts);
        }
        if t.total + t.rounding != t.due {
            return Err(InconsistentSale::DueVsRounding);
        }
        if self.tenders.iter().any(|x| x.amount.is_negative()) {
            return Err(InconsistentSale::TenderNotPositive);
        }
        if self.tenders.iter().map(|x| x.amount).sum::<Money>() != t.due {
            return Err(InconsistentSale::TendersVsDue);
        }
        if self.change_to_stored_value.is_negative()
            || self.change_to_stored_value > self.change
            || (self.change_to_stored_value.0 > 0 && self.member.is_none())
        {
            return Err(InconsistentSale::ChangeToStoredValue);
        }
        if self.member.as_ref().is_some_and(|m| m.points_earned < 0) {
            return Err(InconsistentSale::NegativePoints);
        }
        for x in &self.tenders {
            if x.kind == TenderKind::StoredValue && x.stored_value.is_some_and(|sv| sv.total() != x.amount) {
                return Err(InconsistentSale::StoredValueSplit);
            }
            if (x.kind == TenderKind::Points) != (x.points > 0) {
                return Err(InconsistentSale::PointsTender);
            }
        }
        let eligible: Money = self.lines.iter().filter(|l| l.item.points_eligible).map(|l| l.net).sum();
        if eligible != self.points_eligible_net {
            return Err(InconsistentSale::PointsBase);
        }
        if let Some(m) = &self.member
            && m.points_base != crate::points::eligible_base(eligible, self.paid_by(TenderKind::Points))
        {
            return Err(InconsistentSale::PointsBase);
        }
        if self.tax != tax_groups(self.lines.iter().map(|l| (l.item.vat, l.net))) {
            return Err(InconsistentSale::Tax);
        }
        Ok(())
    }

    /// Every figure within [`crate::limits`], checked before anything is added up.
    fn check_bounds(&self) -> Result<(), InconsistentSale> {
        use crate::limits::{self, MAX_LINES, MAX_TENDERS};
        limits::count("lines", self.lines.len(), MAX_LINES)?;
        limits::count("tenders", self.tenders.len(), MAX_TENDERS)?;
        for l in &self.lines {
            limits::qty("a line's quantity", l.priced.qty)?;
            for (what, m) in [
                ("a line's unit price", l.priced.unit),
                ("a line's base price", l.priced.base_unit),
                ("a line's gross", l.priced.gross),
                ("a line's member saving", l.priced.member_saving),
                ("a line's net", l.priced.net),
                ("a line's order discount", l.order_discount),
                ("a line's net", l.net),
            ] {
                limits::non_negative(what, m)?;
            }
            limits::amount("a line's manual discount", l.priced.manual_discount)?;
        }
        let t = &self.totals;
        for (what, m) in [
            ("the gross", t.gross),
            ("the member savings", t.member_savings),
            ("the order discount", t.order_discount),
            ("the total", t.total),
            ("the amount due", t.due),
            ("the points base", self.points_eligible_net),
            ("the change", self.change),
            ("the change put on stored value", self.change_to_stored_value),
        ] {
            limits::non_negative(what, m)?;
        }
        limits::amount("the manual discounts", t.manual_discounts)?;
        limits::amount("the rounding", t.rounding)?;
        for x in &self.tenders {
            limits::non_negative("a tender", x.amount)?;
            limits::non_negative("a tender's handed amount", x.tendered)?;
            limits::points("a tender's points", x.points)?;
            if let Some(sv) = x.stored_value {
                limits::non_negative("a tender's stored-value principal", sv.principal)?;
                limits::non_negative("a tender's stored-value bonus", sv.bonus)?;
            }
        }
        if let Some(m) = &self.member {
            limits::points("the points earned", m.points_earned)?;
            limits::non_negative("the member's points base", m.points_base)?;
        }
        for g in &self.tax {
            limits::amount("a tax group's gross", g.gross)?;
            limits::amount("a tax group's tax", g.tax)?;
        }
        Ok(())
    }

    /// What the tenders of `kind` paid.
    pub fn paid_by(&self, kind: TenderKind) -> Money {
        self.tenders.iter().filter(|t| t.kind == kind).map(|t| t.amount).sum()
    }

    /// Points spent as a tender.
    pub fn points_redeemed(&self) -> i64 {
        self.tenders.iter().filter(|t| t.kind == TenderKind::Points).map(|t| t.points).sum()
    }

    pub fn points_earned(&self) -> i64 {
        self.member.as_ref().map_or(0, |m| m.points_earned)
    }
}

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
        let amount = rhu(net * i128::from(before.0 + qty.0), i128::from(sold.0))
            - rhu(net * i128::from(before.0), i128::from(sold.0));
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
    let total = scale(nets_before + nets_now) - scale(nets_before);

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
    Ok(RefundPlan { lines, total, rounding, tenders, points_taken_back, points_restored, tax })
}

/// The order in which a refund's rounding leftovers go back: cash, stored value, card, points.
fn refund_priority(kind: TenderKind) -> u8 {
    match kind {
        TenderKind::Cash => 0,
        TenderKind::StoredValue => 1,
        TenderKind::BankCard => 2,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::ManualAdjustment;

    pub(crate) fn item(id: i64, price: i64, qty: i64, vat: i64) -> LineItem {
        LineItem {
            product_id: ProductId(id),
            product_code: format!("P{id}"),
            barcode: None,
            name: format!("商品{id}"),
            category: CategoryId(1),
            unit: "个".into(),
            vat: Bp(vat),
            points_eligible: true,
            pricing: LineInput {
                base_price: Money(price),
                member_price: None,
                discount_eligible: true,
                qty: Qty(qty),
                label_price: None,
                manual: None,
            },
        }
    }

    #[test]
    fn order_discount_spreads_over_eligible_lines_only() {
        let mut items = vec![item(1, 1000, 1000, 1300), item(2, 2000, 1000, 900), item(3, 500, 1000, 1300)];
        items[2].pricing.discount_eligible = false;
        let sale = price_sale(&items, None, Some(OrderDiscount::Amount(Money(301)))).expect("priced");
        let parts: Vec<i64> = sale.lines.iter().map(|l| l.order_discount.0).collect();
        assert_eq!(parts, vec![100, 201, 0]);
        assert_eq!(sale.totals.total, Money(3500 - 301));
        assert_eq!(sale.totals.total, sale.lines.iter().map(|l| l.net).sum());
    }

    #[test]
    fn tax_after_discounts() {
        // ¥113.00 of 13% goods and ¥10.00 of 13%: one group of ¥123.00 → tax round(12300*1300/11300) = 1415.
        let items = vec![item(1, 11300, 1000, 1300), item(2, 1000, 1000, 1300)];
        let sale = price_sale(&items, None, None).expect("priced");
        assert_eq!(sale.tax.len(), 1);
        assert_eq!(sale.tax[0].tax, Money(1415));
    }

    #[test]
    fn a_bad_line_names_its_position() {
        let items = vec![item(1, 100, 1000, 1300), item(2, 100, 0, 1300)];
        assert_eq!(
            price_sale(&items, None, None),
            Err(SaleError::Line { index: 1, error: PricingError::QtyNotPositive(Qty(0)) })
        );
        let mut items = vec![item(1, 100, 1000, 1300)];
        items[0].pricing.manual = Some(ManualAdjustment::DiscountAmount(Money(200)));
        assert!(matches!(price_sale(&items, None, None), Err(SaleError::Line { index: 0, .. })));
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
