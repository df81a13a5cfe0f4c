//! Paying: cash with change and the branch's rounding, bank card (reference number only), points
//! and stored value (held at HQ), split across several; completing the sale durably, then printing;
//! reprinting any past receipt.

use shared::ids::{EventId, HoldId};
use shared::member::MemberStatus;
use shared::money::Money;
use shared::points::PointsError;
use shared::receipt::{Receipt, ReceiptNo};
use shared::sale::{CompletedSale, RedeemedCoupon, SaleMember, TenderInput, TenderKind, settle};
use shared::stored_value::SvSplit;
use shared::sync::{Event, HoldAmount, HoldRequest, TopUpRequest};

use super::{Till, TillError, TillResult};
use crate::authority::AuthorityError;
use crate::store::records;

/// A completed sale and the receipt handed to the printer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completed {
    pub sale: CompletedSale,
    pub receipt: Receipt,
}

/// A payment toward the sale in progress, as the cashier takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payment {
    /// Cash handed over: any amount; short is a part payment, over gives change.
    Cash(Money),
    /// A bank card payment the terminal approved, with its reference number.
    Card { amount: Money, reference: String },
    /// Paid with the member's points (held at HQ).
    Points(Money),
    /// Paid from the member's stored value (held at HQ).
    StoredValue(Money),
}

/// What a payment did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Paid {
    /// Taken as part of the sale: this much is still to pay.
    Part { outstanding: Money },
    /// The payment covered the sale, which is complete.
    Completed(Box<Completed>),
}

impl Till {
    /// Takes a payment: the tender is added and, once the tenders cover the sale, the sale
    /// completes. A payment that is refused, or whose sale cannot complete, is taken back: it is
    /// recorded nowhere, so no later payment can pay change against it.
    pub fn pay(&mut self, payment: &Payment) -> TillResult<Paid> {
        // A payment by code not settled may yet cover the sale: it is settled (or cancelled) first.
        if self.code_payment_pending()?.is_some() {
            return Err(TillError::PaymentPending);
        }
        match payment {
            Payment::Cash(m) => self.add_cash(*m)?,
            Payment::Card { amount, reference } => self.add_card(*amount, reference)?,
            Payment::Points(m) => self.add_points(*m).map(|_| ())?,
            Payment::StoredValue(m) => self.add_stored_value(*m).map(|_| ())?,
        }
        let completed = self.outstanding().and_then(|left| {
            if left.0 > 0 {
                Ok(Paid::Part { outstanding: left })
            } else {
                self.complete(false).map(|c| Paid::Completed(Box::new(c)))
            }
        });
        if completed.is_err() {
            let added = self.cart.as_ref().map_or(0, |c| c.tenders.len());
            if let Some(last) = added.checked_sub(1)
                && let Err(e) = self.remove_tender(last)
            {
                tracing::error!(error = %e, "a refused payment could not be taken back off the sale");
            }
        }
        completed
    }

    /// What is still to pay on the sale in progress (zero once its tenders cover it).
    fn outstanding(&self) -> TillResult<Money> {
        let view = self.view()?.ok_or(TillError::NoSale)?;
        Ok(view.outstanding)
    }

    fn add_tender(&mut self, tender: TenderInput) -> TillResult<()> {
        let view = self.view()?.ok_or(TillError::NoSale)?;
        if view.lines.is_empty() {
            return Err(TillError::NoSale);
        }
        if tender.amount.0 <= 0 {
            return Err(shared::sale::TenderError::NotPositive.into());
        }
        if tender.kind != TenderKind::Cash && tender.amount > view.remaining {
            return Err(shared::sale::TenderError::Overpaid {
                kind: tender.kind,
                amount: tender.amount,
                remaining: view.remaining,
            }
            .into());
        }
        let previous = self.cart.clone();
        if let Some(cart) = &mut self.cart {
            cart.tenders.push(tender);
        }
        if let Err(e) = self.persist_cart(None) {
            self.cart = previous;
            return Err(e);
        }
        Ok(())
    }

    /// Cash handed over (any amount; change is worked out on completion).
    pub fn add_cash(&mut self, handed: Money) -> TillResult<()> {
        self.my_shift()?;
        self.add_tender(TenderInput::cash(handed))
    }

    /// A bank card payment made on the payment terminal: only its reference number is kept.
    pub fn add_card(&mut self, amount: Money, reference: &str) -> TillResult<()> {
        self.my_shift()?;
        let reference = reference.trim();
        if reference.is_empty()
            || reference.len() > 64
            || !reference.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(shared::sale::TenderError::MissingReference.into());
        }
        if shared::card_data::holds_card_data(reference) {
            return Err(shared::sale::TenderError::CardNumberInReference.into());
        }
        self.add_tender(TenderInput::card(amount, reference))
    }

    /// The member a points or stored-value tender needs: attached, known to HQ, active.
    fn paying_member(&self) -> TillResult<(shared::member::MemberSnapshot, bool)> {
        let cart = self.cart.as_ref().ok_or(TillError::NoSale)?;
        let member = cart.member.as_ref().ok_or(TillError::NoMember)?;
        let snapshot = member.snapshot.clone().ok_or(TillError::MemberNotIdentified)?;
        if snapshot.status != MemberStatus::Active {
            return Err(TillError::MemberBlocked);
        }
        Ok((snapshot, member.online))
    }

    /// Pays `amount` with points: checked against the policy's limits, held at HQ. Offline only
    /// within the policy's daily offline cap. Returns the points it costs.
    pub fn add_points(&mut self, amount: Money) -> TillResult<i64> {
        self.my_shift()?;
        let (member, _) = self.paying_member()?;
        let policy = self.policy()?.ok_or_else(|| TillError::NotConfigured("no member policy".into()))?;
        let view = self.view()?.ok_or(TillError::NoSale)?;
        let already: Money = view.tenders.iter().filter(|t| t.kind == TenderKind::Points).map(|t| t.amount).sum();
        let already_points: i64 = view.tenders.iter().filter(|t| t.kind == TenderKind::Points).map(|t| t.points).sum();
        if amount > view.remaining {
            return Err(PointsError::ExceedsDue { amount, due: view.remaining }.into());
        }
        // Limits apply to everything paid with points on this sale.
        let cost_all = policy.redeem.check(already + amount, member.points, view.totals.total)?;
        let cost = cost_all - already_points;
        let sale = self.cart.as_ref().ok_or(TillError::NoSale)?.id;
        let request = HoldRequest {
            hold: HoldId::new(),
            member: member.id,
            sale,
            amount: HoldAmount::Points { points: cost, value: amount },
        };
        let hold = match self.authority.hold(&request) {
            Ok(h) => Some(h.hold),
            Err(AuthorityError::Unavailable(why)) => {
                let day = self.business_day()?;
                let (used, _) = self.store.offline_redeemed(member.id, day)?;
                if policy.offline.points_per_day <= 0 || used + cost_all > policy.offline.points_per_day {
                    return Err(TillError::HqUnavailable(why));
                }
                None
            }
            Err(e) => return Err(e.into()),
        };
        self.add_tender(TenderInput {
            kind: TenderKind::Points,
            amount,
            reference: None,
            points: cost,
            stored_value: None,
            hold,
            authorization: None,
        })
        .inspect_err(|_| {
            if let Some(h) = hold {
                let _ = self.authority.release(h);
            }
        })?;
        Ok(cost)
    }

    /// Pays `amount` from the member's stored value (principal first, then bonus), held at HQ.
    pub fn add_stored_value(&mut self, amount: Money) -> TillResult<SvSplit> {
        self.my_shift()?;
        let (member, _) = self.paying_member()?;
        let view = self.view()?.ok_or(TillError::NoSale)?;
        if amount > view.remaining {
            return Err(shared::sale::TenderError::Overpaid {
                kind: TenderKind::StoredValue,
                amount,
                remaining: view.remaining,
            }
            .into());
        }
        let sale = self.cart.as_ref().ok_or(TillError::NoSale)?.id;
        let request =
            HoldRequest { hold: HoldId::new(), member: member.id, sale, amount: HoldAmount::StoredValue { amount } };
        let (hold, split) = match self.authority.hold(&request) {
            Ok(h) => {
                let split = match h.split {
                    Some(s) => s,
                    None => member.stored_value.spend_split(amount)?,
                };
                (Some(h.hold), split)
            }
            Err(AuthorityError::Unavailable(why)) => {
                let policy = self.policy()?.ok_or_else(|| TillError::NotConfigured("no member policy".into()))?;
                let day = self.business_day()?;
                let (_, used) = self.store.offline_redeemed(member.id, day)?;
                let in_cart: Money =
                    view.tenders.iter().filter(|t| t.kind == TenderKind::StoredValue).map(|t| t.amount).sum();
                let cap = policy.offline.stored_value_per_day;
                if cap.0 <= 0 || used + in_cart + amount > cap {
                    return Err(TillError::HqUnavailable(why));
                }
                (None, member.stored_value.spend_split(amount)?)
            }
            Err(e) => return Err(e.into()),
        };
        self.add_tender(TenderInput {
            kind: TenderKind::StoredValue,
            amount,
            reference: None,
            points: 0,
            stored_value: Some(split),
            hold,
            authorization: None,
        })
        .inspect_err(|_| {
            if let Some(h) = hold {
                let _ = self.authority.release(h);
            }
        })?;
        Ok(split)
    }

    /// Removes a tender (its hold is released).
    pub fn remove_tender(&mut self, index: usize) -> TillResult<()> {
        self.cashier()?;
        let cart = self.cart.as_mut().ok_or(TillError::NoSale)?;
        if index >= cart.tenders.len() {
            return Err(TillError::NoSuchTender(index));
        }
        if cart.tenders[index].kind.is_mobile() {
            return Err(TillError::PaidByCode);
        }
        if super::card_pay::from_terminal(&cart.tenders[index]) {
            // The card was charged: taken back on the terminal first.
            return self.void_card_tender(index);
        }
        let removed = cart.tenders.remove(index);
        if let Some(h) = removed.hold
            && let Err(e) = self.authority.release(h)
        {
            tracing::warn!(hold = %h, error = %e, "could not release a hold; it will expire at HQ");
        }
        self.persist_cart(None)
    }

    /// Completes the sale: totals, tax, points with the policy version, the receipt number, one
    /// durable transaction with its outbox event; then the receipt goes to the printer and the
    /// drawer opens for cash. With `change_to_stored_value`, the change goes onto the member's
    /// stored value (HQ must be online) instead of being handed back.
    pub fn complete(&mut self, change_to_stored_value: bool) -> TillResult<Completed> {
        let shift = self.my_shift()?;
        let cashier = self.cashier()?.id;
        self.complete_in(shift, cashier, change_to_stored_value)
    }

    /// Completes the sale in `shift` by `cashier`: what [`Till::complete`] does, also without a
    /// session (a sale paid by code, completed by the recovery at a restart).
    pub(crate) fn complete_in(
        &mut self,
        shift: crate::store::ShiftRow,
        cashier: shared::ids::StaffId,
        change_to_stored_value: bool,
    ) -> TillResult<Completed> {
        let cart = self.cart.clone().filter(|c| !c.lines.is_empty()).ok_or(TillError::NoSale)?;
        let branch = self.branch()?;
        let (priced, tier, policy) = self.price(&cart)?;
        let settlement = settle(priced.totals.total, &cart.tenders, branch.cash_rounding)?;
        let paid_with_points: Money =
            settlement.tenders.iter().filter(|t| t.kind == TenderKind::Points).map(|t| t.amount).sum();
        let points = self.points_for(&cart, &priced, tier.as_ref(), policy.as_ref(), paid_with_points)?;

        // Change onto stored value is a top-up at HQ, made idempotent by the sale's id.
        let mut change_to_sv = Money::ZERO;
        let mut topped_up = None;
        if change_to_stored_value && settlement.change.0 > 0 {
            let (member, _) = self.paying_member()?;
            let response = self.authority.top_up(&TopUpRequest {
                id: EventId(cart.id.0),
                member: member.id,
                amount: settlement.change,
                tender: TenderKind::Cash,
                shift: shift.id,
                cashier,
            })?;
            change_to_sv = settlement.change;
            topped_up = Some(response.balance);
        }

        let member = cart.member.as_ref().map(|m| SaleMember {
            member_id: m.snapshot.as_ref().map(|s| s.id),
            identifier: m.identifier.clone(),
            tier: tier.as_ref().map(|t| t.code.clone()),
            points_base: shared::points::eligible_base(priced.points_eligible_net, paid_with_points),
            points_earned: points,
            policy_version: policy.as_ref().map_or(0, |p| p.version),
        });
        let mut totals = priced.totals;
        totals.rounding = settlement.rounding;
        totals.due = settlement.due;
        let stamp = self.stamp();
        let business_day = self.business_day_at(&branch, stamp.at);
        let mut sale = CompletedSale {
            id: cart.id,
            receipt_no: ReceiptNo::new(&stamp.identity.branch_code, stamp.identity.number, 0),
            branch: branch.id,
            till: stamp.identity.till,
            shift: shift.id,
            cashier,
            completed_at: stamp.at,
            business_day,
            lines: priced.lines,
            order_discount: cart.order_discount,
            totals,
            tax: priced.tax,
            points_eligible_net: priced.points_eligible_net,
            promotions: priced.promotions.clone(),
            coupons: priced
                .coupons
                .iter()
                .filter_map(|a| {
                    let c = cart.coupons.iter().find(|c| c.coupon.id == a.id)?;
                    Some(RedeemedCoupon {
                        code: c.code.clone(),
                        coupon: c.coupon.clone(),
                        hold: c.hold,
                        discount: a.discount,
                    })
                })
                .collect(),
            tenders: settlement.tenders,
            change: settlement.change,
            change_to_stored_value: change_to_sv,
            member,
        };
        sale.check().map_err(|e| TillError::Invalid(format!("the sale does not add up: {e}")))?;
        let offline_use: Option<(shared::ids::MemberId, i64, Money)> = cart
            .member
            .as_ref()
            .and_then(|m| m.snapshot.as_ref())
            .map(|s| {
                let unheld = sale.tenders.iter().filter(|t| t.hold.is_none());
                let (p, v) = unheld.fold((0, Money::ZERO), |(p, v), t| match t.kind {
                    TenderKind::Points => (p + t.points, v),
                    TenderKind::StoredValue => (p, v + t.amount),
                    _ => (p, v),
                });
                (s.id, p, v)
            })
            .filter(|(_, p, v)| *p > 0 || v.0 > 0);

        // The one durable transaction: the sale, its event, the cart gone.
        sale = self.store.durable(|tx| {
            sale.receipt_no = match &cart.receipt_no {
                // Taken for its payments by code, which HQ knows by it.
                Some(no) => no.clone(),
                None => stamp.next_receipt_no(tx)?,
            };
            records::insert_sale(tx, &sale)?;
            stamp.enqueue(tx, &Event::SaleCompleted(sale.clone()))?;
            if let Some((member, points, value)) = offline_use {
                records::add_offline_redemption(tx, member, business_day, points, value)?;
            }
            crate::store::write_cart(tx, None)?;
            Ok(sale)
        })?;
        self.cart = None;

        // Only now, with the sale on disk: the receipt and the drawer.
        let mut ctx = self.receipt_context(&branch, cashier, sale.completed_at, false)?;
        ctx.tier_name = tier.as_ref().map(|t| t.name.clone());
        if let Some(snapshot) = cart.member.as_ref().and_then(|m| m.snapshot.as_ref()) {
            ctx.points_balance = Some(snapshot.points - sale.points_redeemed() + sale.points_earned());
            let spent = sale.paid_by(TenderKind::StoredValue);
            ctx.stored_value_balance =
                Some(topped_up.map_or(snapshot.stored_value.total() - spent, |b| b.total() - spent));
        }
        let weighed: Vec<bool> = cart.lines.iter().map(|l| l.weighed).collect();
        let receipt = Receipt::for_sale(&sale, &ctx, |i| weighed.get(i).copied().unwrap_or(false));
        self.devices.print(&receipt);
        if sale.tenders.iter().any(|t| t.kind == TenderKind::Cash) {
            self.devices.open_drawer();
        }
        let handed: Money = sale.tenders.iter().map(|t| t.tendered).sum();
        self.devices.show_change(handed, sale.change);
        // Coupons the sale did not use go back to the member (the used ones are captured by the
        // sale's event).
        let used: Vec<_> = sale.coupons.iter().map(|c| c.coupon.id).collect();
        self.release_coupon_holds(&cart, &used);
        Ok(Completed { sale, receipt })
    }

    /// Past sales of this till, newest first: by receipt number, business day and/or member (card
    /// code, phone number or member id).
    pub fn find_sales(
        &self,
        receipt: Option<&ReceiptNo>,
        day: Option<jiff::civil::Date>,
        member: Option<&str>,
        limit: usize,
    ) -> TillResult<Vec<crate::store::SaleSummary>> {
        self.cashier()?;
        let member = member.map(str::trim).filter(|m| !m.is_empty());
        Ok(self.store.search_sales(receipt, day, member, limit.min(500))?)
    }

    /// Prints any past receipt of this till again, marked as a reprint.
    pub fn reprint(&mut self, receipt_no: &ReceiptNo) -> TillResult<Receipt> {
        self.cashier()?;
        let branch = self.branch()?;
        let receipt = if let Some(sale) = self.store.sale_by_receipt(receipt_no)? {
            let mut ctx = self.receipt_context(&branch, sale.cashier, sale.completed_at, true)?;
            let policy = self.store.policy_at(sale.completed_at)?;
            ctx.tier_name = sale
                .member
                .as_ref()
                .and_then(|m| m.tier.as_ref())
                .and_then(|code| policy.as_ref()?.tiers.by_code(code).map(|t| t.name.clone()));
            let weighed: Vec<bool> = sale
                .lines
                .iter()
                .map(|l| self.store.product(l.item.product_id).ok().flatten().is_some_and(|p| p.product.weighed))
                .collect();
            Receipt::for_sale(&sale, &ctx, |i| weighed.get(i).copied().unwrap_or(false))
        } else if let Some(refund) = self.store.refund_by_receipt(receipt_no)? {
            let ctx = self.receipt_context(&branch, refund.cashier, refund.refunded_at, true)?;
            Receipt::for_refund(&refund, &ctx)
        } else {
            return Err(TillError::ReceiptNotFound(receipt_no.to_string()));
        };
        self.devices.print(&receipt);
        Ok(receipt)
    }
}
