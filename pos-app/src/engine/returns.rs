//! Returns and voids: new records against a past sale, never edits of it. A return starts from
//! the receipt number (scanned from its barcode); the sale and its earlier refunds come from this
//! till, and from HQ when the sale was made at another till or refunded elsewhere, so no return
//! ever gives back more than was sold.

use shared::catalog::ProductId;
use shared::ids::RefundId;
use shared::member::MemberIdentifier;
use shared::money::{Money, Qty};
use shared::receipt::{Receipt, ReceiptNo};
use shared::sale::{
    CompletedSale, Refund, RefundKind, RefundLine, RefundPlan, ReturnPick, SaleMember, Tender, TenderKind, plan_refund,
    plan_refund_with,
};
use shared::staff::ApprovalAction;
use shared::stored_value::SvSplit;
use shared::sync::Event;

use super::{Approval, Till, TillError, TillResult};
use crate::authority::AuthorityError;
use crate::store::records;

/// A sale found for a return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnContext {
    pub sale: CompletedSale,
    /// Every refund and void of it known here and at HQ.
    pub refunds: Vec<Refund>,
    /// Per line, how much may still be returned.
    pub returnable: Vec<Qty>,
}

/// Who approved a refund and for what, and a manager's waiver of a threshold clawback (its audit
/// entry, written in the refund's transaction).
struct Approved {
    approver: shared::ids::StaffId,
    action: ApprovalAction,
    waiver: Option<shared::sync::AuditEntry>,
}

/// Where the money of a return without receipt goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefundTo {
    Cash,
    /// Onto the stored value of the member (HQ must know them).
    StoredValue(MemberIdentifier),
}

impl Till {
    /// Finds a sale to return against, with every earlier refund of it.
    pub fn start_return(&self, receipt_no: &ReceiptNo) -> TillResult<ReturnContext> {
        self.cashier()?;
        let local = self.store.sale_by_receipt(receipt_no)?;
        let remote = match self.authority.sale_history(receipt_no) {
            Ok(found) => Some(found),
            Err(AuthorityError::NotFound) => None,
            Err(AuthorityError::Unavailable(why)) if local.is_none() => return Err(TillError::HqUnavailable(why)),
            Err(AuthorityError::Unavailable(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let (sale, mut refunds) = match (local, remote) {
            (Some(sale), remote) => (sale, remote.map(|(_, r)| r).unwrap_or_default()),
            (None, Some((sale, refunds))) => (sale, refunds),
            (None, None) => return Err(TillError::ReceiptNotFound(receipt_no.to_string())),
        };
        for r in self.store.refunds_of(sale.id)? {
            if !refunds.iter().any(|x| x.id == r.id) {
                refunds.push(r);
            }
        }
        refunds.sort_by_key(|r| r.refunded_at);
        let returnable = sale
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let back: i64 =
                    refunds.iter().flat_map(|r| &r.lines).filter(|x| x.sale_line == Some(i)).map(|x| x.qty.0).sum();
                Qty(l.priced.qty.0 - back)
            })
            .collect();
        Ok(ReturnContext { sale, refunds, returnable })
    }

    /// What a return of `picks` would give back, without doing it.
    pub fn preview_return(&self, ctx: &ReturnContext, picks: &[ReturnPick]) -> TillResult<RefundPlan> {
        let branch = self.branch()?;
        Ok(plan_refund(&ctx.sale, &ctx.refunds, picks, branch.cash_rounding)?)
    }

    fn record_refund(
        &mut self,
        kind: RefundKind,
        sale: Option<&CompletedSale>,
        plan: RefundPlan,
        member: Option<SaleMember>,
        reason: &str,
        approved: Approved,
    ) -> TillResult<(Refund, Receipt)> {
        let Approved { approver, action, waiver } = approved;
        let shift = self.my_shift()?;
        let cashier = self.cashier()?.id;
        let branch = self.branch()?;
        let stamp = self.stamp();
        let refund = Refund {
            id: RefundId::new(),
            kind,
            sale: sale.map(|s| s.id),
            original_receipt: sale.map(|s| s.receipt_no.clone()),
            receipt_no: ReceiptNo::new(&stamp.identity.branch_code, stamp.identity.number, 0),
            branch: branch.id,
            till: stamp.identity.till,
            shift: shift.id,
            cashier,
            approved_by: Some(approver),
            refunded_at: stamp.at,
            business_day: self.business_day_at(&branch, stamp.at),
            reason: reason.trim().to_owned(),
            lines: plan.lines,
            total: plan.total,
            rounding: plan.rounding,
            tenders: plan.tenders,
            points_taken_back: plan.points_taken_back,
            points_restored: plan.points_restored,
            member,
            tax: plan.tax,
            clawback: plan.clawback,
            clawback_waived: plan.clawback_waived,
        };
        let mut audits = vec![self.approval_entry(
            action,
            approver,
            format!("{kind:?} {} of {}", refund.paid_back(), sale.map_or("-".into(), |s| s.receipt_no.to_string())),
            sale.map(|s| s.id),
        )?];
        audits.extend(waiver);
        if refund.tenders.iter().any(|t| (t.kind.is_mobile() && t.amount.0 > 0) || super::card_refunds::on_terminal(t))
        {
            // Money back to WeChat Pay / Alipay goes through HQ's gateway first, and to a card
            // the terminal charged through the terminal.
            return self.refund_by_code(refund, audits);
        }
        self.commit_refund(refund, audits, None)
    }

    /// Records a refund with its event and audit entries in one durable transaction, then prints
    /// its receipt (and opens the drawer for cash). A return by code (`code_return`) already has
    /// its receipt number and is marked completed in the same transaction.
    pub(crate) fn commit_refund(
        &mut self,
        mut refund: Refund,
        audits: Vec<shared::sync::AuditEntry>,
        code_return: Option<crate::store::CodeReturn>,
    ) -> TillResult<(Refund, Receipt)> {
        let branch = self.branch()?;
        let stamp = self.stamp();
        refund = self.store.durable(|tx| {
            match &code_return {
                Some(done) => crate::store::refunds::update_return(tx, done)?,
                None => refund.receipt_no = stamp.next_receipt_no(tx)?,
            }
            records::insert_refund(tx, &refund)?;
            let event = match refund.kind {
                RefundKind::Void => Event::SaleVoided(refund.clone()),
                RefundKind::Return | RefundKind::NoReceipt => Event::SaleRefunded(refund.clone()),
            };
            stamp.enqueue(tx, &event)?;
            for entry in audits {
                stamp.audit(tx, entry)?;
            }
            Ok(refund)
        })?;
        let ctx = self.receipt_context(&branch, refund.cashier, refund.refunded_at, false)?;
        let receipt = Receipt::for_refund(&refund, &ctx);
        self.devices.print(&receipt);
        if refund.tenders.iter().any(|t| t.kind == TenderKind::Cash && t.tendered.0 > 0) {
            self.devices.open_drawer();
        }
        Ok((refund, receipt))
    }

    /// Returns goods against a receipt: never more than was sold across every return of it; money
    /// back to the original tenders; points taken back and restored exactly; a promotion sale from
    /// the allocations it recorded, with any threshold clawback. A manager approves.
    pub fn complete_return(
        &mut self,
        receipt_no: &ReceiptNo,
        picks: &[ReturnPick],
        reason: &str,
        approval: Option<Approval>,
    ) -> TillResult<(Refund, Receipt)> {
        self.return_goods(receipt_no, picks, reason, approval, None)
    }

    /// [`Till::complete_return`] with the threshold clawback waived: a second approval, a manager's
    /// for [`ApprovalAction::WaiveClawback`], recorded in the audit trail.
    pub fn complete_return_waiving_clawback(
        &mut self,
        receipt_no: &ReceiptNo,
        picks: &[ReturnPick],
        reason: &str,
        approval: Option<Approval>,
        waiver: Option<Approval>,
    ) -> TillResult<(Refund, Receipt)> {
        let waiver = self.check_approval(waiver.as_ref(), ApprovalAction::WaiveClawback)?;
        self.return_goods(receipt_no, picks, reason, approval, Some(waiver))
    }

    fn return_goods(
        &mut self,
        receipt_no: &ReceiptNo,
        picks: &[ReturnPick],
        reason: &str,
        approval: Option<Approval>,
        waived_by: Option<shared::ids::StaffId>,
    ) -> TillResult<(Refund, Receipt)> {
        self.my_shift()?;
        if self.cart.as_ref().is_some_and(|c| !c.lines.is_empty()) {
            return Err(TillError::SaleInProgress);
        }
        let approver = self.check_approval(approval.as_ref(), ApprovalAction::Refund)?;
        let mut ctx = self.start_return(receipt_no)?;
        if self.settle_open_return_of(ctx.sale.id)? {
            // An earlier return of it completed just now: plan against it too.
            ctx = self.start_return(receipt_no)?;
        }
        let branch = self.branch()?;
        let plan = plan_refund_with(&ctx.sale, &ctx.refunds, picks, branch.cash_rounding, waived_by.is_some())?;
        let waiver = match waived_by {
            Some(manager) => Some(self.approval_entry(
                ApprovalAction::WaiveClawback,
                manager,
                format!("threshold clawback waived on a return of {receipt_no}"),
                Some(ctx.sale.id),
            )?),
            None => None,
        };
        let member = ctx.sale.member.clone();
        self.record_refund(
            RefundKind::Return,
            Some(&ctx.sale),
            plan,
            member,
            reason,
            Approved { approver, action: ApprovalAction::Refund, waiver },
        )
    }

    /// Cancels a whole sale of the open shift (post-void) that has no refunds: everything goes
    /// back as it was paid. A manager approves.
    pub fn void_sale(
        &mut self,
        receipt_no: &ReceiptNo,
        reason: &str,
        approval: Option<Approval>,
    ) -> TillResult<(Refund, Receipt)> {
        let shift = self.my_shift()?;
        let approver = self.check_approval(approval.as_ref(), ApprovalAction::VoidSale)?;
        let sale = self
            .store
            .sale_by_receipt(receipt_no)?
            .ok_or_else(|| TillError::ReceiptNotFound(receipt_no.to_string()))?;
        if sale.shift != shift.id {
            return Err(TillError::CannotVoid(receipt_no.to_string(), "it was made in another shift; use a return"));
        }
        self.settle_open_return_of(sale.id)?;
        if !self.store.refunds_of(sale.id)?.is_empty() {
            return Err(TillError::CannotVoid(receipt_no.to_string(), "it already has a return or void"));
        }
        let picks: Vec<ReturnPick> =
            sale.lines.iter().enumerate().map(|(line, l)| ReturnPick { line, qty: l.priced.qty }).collect();
        let branch = self.branch()?;
        let plan = plan_refund(&sale, &[], &picks, branch.cash_rounding)?;
        let member = sale.member.clone();
        self.record_refund(
            RefundKind::Void,
            Some(&sale),
            plan,
            member,
            reason,
            Approved { approver, action: ApprovalAction::VoidSale, waiver: None },
        )
    }

    /// A return without a receipt: today's price at this branch, no member benefits, no points,
    /// in cash or onto stored value. A manager approves.
    pub fn return_without_receipt(
        &mut self,
        product: ProductId,
        qty: Qty,
        to: RefundTo,
        reason: &str,
        approval: Option<Approval>,
    ) -> TillResult<(Refund, Receipt)> {
        self.my_shift()?;
        if qty.0 <= 0 {
            return Err(shared::pricing::PricingError::QtyNotPositive(qty).into());
        }
        let approver = self.check_approval(approval.as_ref(), ApprovalAction::ReturnWithoutReceipt)?;
        let p = self.store.product(product)?.ok_or(TillError::UnknownProduct)?;
        let amount = shared::pricing::extend(p.base_price(), qty)?;
        if amount.0 <= 0 {
            return Err(TillError::Invalid("nothing to refund at today's price".into()));
        }
        let branch = self.branch()?;
        let (tender, rounding, member) = match &to {
            RefundTo::Cash => {
                let paid = branch.cash_rounding.apply(amount);
                (
                    Tender {
                        kind: TenderKind::Cash,
                        amount,
                        tendered: paid,
                        reference: None,
                        points: 0,
                        stored_value: None,
                        hold: None,
                        authorization: None,
                    },
                    paid - amount,
                    None,
                )
            }
            RefundTo::StoredValue(by) => {
                if amount > branch.no_receipt_refund_cap {
                    return Err(TillError::OverNoReceiptLimit(branch.no_receipt_refund_cap));
                }
                let found = self.authority.lookup(by)?;
                (
                    Tender {
                        kind: TenderKind::StoredValue,
                        amount,
                        tendered: amount,
                        reference: None,
                        points: 0,
                        stored_value: Some(SvSplit { principal: amount, bonus: Money::ZERO }),
                        hold: None,
                        authorization: None,
                    },
                    Money::ZERO,
                    Some(SaleMember {
                        member_id: Some(found.member.id),
                        identifier: by.clone(),
                        tier: None,
                        points_base: Money::ZERO,
                        points_earned: 0,
                        policy_version: found.policy_version,
                    }),
                )
            }
        };
        let plan = RefundPlan {
            lines: vec![RefundLine {
                sale_line: None,
                product_id: product,
                name: p.product.receipt_name().to_owned(),
                vat: p.product.vat,
                qty,
                amount,
                points_eligible: false,
            }],
            total: amount,
            rounding,
            tenders: vec![tender],
            points_taken_back: 0,
            points_restored: 0,
            clawback: Money::ZERO,
            clawback_waived: false,
            tax: shared::tax::tax_groups([(p.product.vat, amount)]),
        };
        self.record_refund(
            RefundKind::NoReceipt,
            None,
            plan,
            member,
            reason,
            Approved { approver, action: ApprovalAction::ReturnWithoutReceipt, waiver: None },
        )
    }
}
