//! Sample events that add up, for tests and benchmarks here and in other crates: a sale priced
//! and settled by `shared`'s own rules, and envelopes around events.

use jiff::Timestamp;
use shared::Money;
use shared::catalog::{CategoryId, ProductId};
use shared::ids::{BranchId, EventId, SaleId, ShiftId, StaffId, TillId};
use shared::money::{Bp, Qty};
use shared::pricing::{CashRounding, LineInput};
use shared::receipt::ReceiptNo;
use shared::sale::{
    CompletedSale, LineItem, Refund, RefundKind, RefundPlan, SaleTotals, TenderInput, price_sale, settle,
};
use shared::sync::{Event, EventEnvelope};

/// The till a fixture is made for.
#[derive(Clone, Debug)]
pub struct TillRef {
    pub till: TillId,
    pub number: u16,
    pub branch: BranchId,
    pub branch_code: String,
}

/// A completed sale of `lines` lines (1–2 pieces of products 1, 2, 3, …) paid by `tenders`
/// tenders (1: cash; 2: bank card for half, cash for the rest). `receipt_seq` numbers the receipt.
pub fn sale(till: &TillRef, receipt_seq: u32, lines: usize, tenders: usize) -> CompletedSale {
    let items: Vec<LineItem> = (0..lines)
        .map(|i| {
            let id = i as i64 + 1;
            LineItem {
                brand: None,
                product_id: ProductId(id),
                product_code: format!("P{id:06}"),
                barcode: None,
                name: format!("商品{id}"),
                category: CategoryId(1),
                unit: "个".into(),
                vat: Bp(if i % 2 == 0 { 1300 } else { 900 }),
                points_eligible: true,
                weighed: false,
                pricing: LineInput {
                    base_price: Money(15_000 + 3_700 * id + 100 * i64::from(receipt_seq % 50)),
                    member_price: None,
                    discount_eligible: true,
                    qty: Qty::pieces(1 + (i as i64 % 2)),
                    label_price: None,
                    manual: None,
                },
            }
        })
        .collect();
    let priced = price_sale(&items, None, None).unwrap_or_else(|e| panic!("fixture prices: {e}"));
    let total = priced.totals.total;
    let inputs = if tenders >= 2 {
        let card = Money(total.0 / 2);
        vec![TenderInput::card(card, "T0001"), TenderInput::cash(Money((total.0 - card.0 + 99) / 100 * 100))]
    } else {
        vec![TenderInput::cash(Money((total.0 + 99) / 100 * 100))]
    };
    let settled = settle(total, &inputs, CashRounding::None).unwrap_or_else(|e| panic!("fixture settles: {e}"));
    let now = Timestamp::now();
    CompletedSale {
        id: SaleId::new(),
        receipt_no: ReceiptNo::new(&till.branch_code, till.number, receipt_seq),
        branch: till.branch,
        till: till.till,
        shift: ShiftId::new(),
        cashier: StaffId(1),
        completed_at: now,
        // The business day by the rule of a branch with the usual settings (Shanghai, from 04:00).
        business_day: crate::admin::default_branch(&till.branch_code, "").business_day(now),
        lines: priced.lines,
        order_discount: None,
        totals: SaleTotals { rounding: settled.rounding, due: settled.due, ..priced.totals },
        tax: priced.tax,
        points_eligible_net: priced.points_eligible_net,
        promotions: priced.promotions.clone(),
        coupons: Vec::new(),
        tenders: settled.tenders,
        change: settled.change,
        change_to_stored_value: Money::ZERO,
        member: None,
    }
}

/// A return of `sale` at `till` following `plan` (from `shared::sale::plan_refund`), receipt
/// `receipt_seq` of that till, dated now.
pub fn refund(sale: &CompletedSale, till: &TillRef, receipt_seq: u32, plan: RefundPlan) -> Refund {
    Refund {
        id: shared::ids::RefundId::new(),
        kind: RefundKind::Return,
        sale: Some(sale.id),
        original_receipt: Some(sale.receipt_no.clone()),
        receipt_no: ReceiptNo::new(&till.branch_code, till.number, receipt_seq),
        branch: till.branch,
        till: till.till,
        shift: sale.shift,
        cashier: StaffId(1),
        approved_by: Some(StaffId(9)),
        refunded_at: Timestamp::now(),
        business_day: sale.business_day,
        reason: "退货".into(),
        lines: plan.lines,
        total: plan.total,
        rounding: plan.rounding,
        tenders: plan.tenders,
        points_taken_back: plan.points_taken_back,
        points_restored: plan.points_restored,
        member: sale.member.clone(),
        tax: plan.tax,
        clawback: plan.clawback,
        clawback_waived: plan.clawback_waived,
    }
}

/// An envelope for `event` from `till` with sequence number `seq`, dated now.
pub fn envelope(till: TillId, seq: u64, event: Event) -> EventEnvelope {
    EventEnvelope { id: EventId::new(), till, seq, at: Timestamp::now(), event }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::sale::TenderKind;

    #[test]
    fn fixture_sales_add_up() {
        let t = TillRef { till: TillId(1), number: 1, branch: BranchId(1), branch_code: "B001".into() };
        for tenders in [1, 2] {
            let s = sale(&t, 7, 5, tenders);
            assert_eq!(s.check(), Ok(()));
            assert_eq!(s.tenders.len(), tenders);
            assert_eq!(s.lines.len(), 5);
        }
    }

    /// The fixture's figures worked by hand from the spec (prices include VAT; tax per rate group,
    /// `round_half_up(net × rate / (10000 + rate))`), not taken from `price_sale`/`settle`, whose
    /// output every HQ test then feeds to `check()`: a pricing bug cannot hide behind both.
    #[test]
    fn fixture_sale_has_the_worked_figures() {
        let t = TillRef { till: TillId(1), number: 2, branch: BranchId(1), branch_code: "B001".into() };
        let s = sale(&t, 1, 3, 2);
        assert_eq!(s.receipt_no.to_string(), "B001-02-000001");
        // ¥188.00 × 1 (13%), ¥225.00 × 2 (9%), ¥262.00 × 1 (13%).
        let lines: Vec<(i64, i64, i64)> = s.lines.iter().map(|l| (l.priced.unit.0, l.priced.qty.0, l.net.0)).collect();
        assert_eq!(lines, vec![(18_800, 1_000, 18_800), (22_500, 2_000, 45_000), (26_200, 1_000, 26_200)]);
        assert_eq!(
            (s.totals.gross, s.totals.total, s.totals.due, s.totals.rounding),
            (Money(90_000), Money(90_000), Money(90_000), Money::ZERO)
        );
        // 13%: ¥450.00 → 450.00 × 13/113 = 51.769… → ¥51.77; 9%: ¥450.00 × 9/109 = 37.155… → ¥37.16.
        let tax: Vec<(i64, i64, i64)> = s.tax.iter().map(|g| (g.rate.0, g.gross.0, g.tax.0)).collect();
        assert_eq!(tax, vec![(1300, 45_000, 5_177), (900, 45_000, 3_716)]);
        // Half by card, the rest in cash rounded up to the yuan: ¥450.00 each, no change.
        let tenders: Vec<(TenderKind, i64, i64)> =
            s.tenders.iter().map(|t| (t.kind, t.amount.0, t.tendered.0)).collect();
        assert_eq!(tenders, vec![(TenderKind::BankCard, 45_000, 45_000), (TenderKind::Cash, 45_000, 45_000)]);
        assert_eq!(s.change, Money::ZERO);
        assert_eq!(s.points_eligible_net, Money(90_000));
        // And one fen off anywhere is refused by the check the HQ tests rely on.
        let mut off = s.clone();
        off.totals.due = Money(89_999);
        assert!(off.check().is_err(), "a due one fen short must not add up");
        let mut off = s;
        off.tax[0].tax = Money(5_176);
        assert!(off.check().is_err(), "tax one fen short must not add up");
    }
}
