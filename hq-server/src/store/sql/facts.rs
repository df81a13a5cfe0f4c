//! [`Facts`] over the ingest's write transaction: what `event_checks::value` checks a pushed event
//! against, read on the same connection so earlier events of the batch count.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::conn::{Conn, OptionalExtension, params};
use jiff::Timestamp;
use jiff::civil::Date;
use shared::branch::BranchSettings;
use shared::catalog::ProductId;
use shared::ids::{BranchId, HoldId, MemberId, SaleId, StaffId, TillId};
use shared::money::Money;
use shared::policy::MemberPolicy;
use shared::sale::{CompletedSale, Refund, SaleMember};
use shared::staff::StaffMember;
use shared::stored_value::SvSplit;
use shared::sync::Event;

use super::{SqlStore, from_micros, ledger, micros};
use crate::event_checks::{Facts, HoldRecord};
use crate::model::MemberRecord;
use crate::store::{StoreError, StoreResult};

pub(crate) struct SqlFacts<'a> {
    store: &'a SqlStore,
    c: &'a Conn<'a>,
    /// Branches, staff and policies as read once for the batch: ingest writes none of them, and
    /// its transaction holds the write lock, so they cannot change under it.
    branches: RefCell<HashMap<BranchId, Option<BranchSettings>>>,
    staff: RefCell<HashMap<StaffId, Option<StaffMember>>>,
    policies: RefCell<Option<Arc<Vec<MemberPolicy>>>>,
    /// Prices read for the batch (`None`: HQ has no such product): the catalog is not ingest's.
    prices: RefCell<HashMap<(BranchId, ProductId), Option<Money>>>,
}

impl<'a> SqlFacts<'a> {
    /// The facts of one ingest batch, read in its transaction `c`.
    pub(crate) fn new(store: &'a SqlStore, c: &'a Conn<'a>) -> Self {
        SqlFacts {
            store,
            c,
            branches: RefCell::default(),
            staff: RefCell::default(),
            policies: RefCell::default(),
            prices: RefCell::default(),
        }
    }
}

impl Facts for SqlFacts<'_> {
    fn payment(&self, order_no: &str) -> StoreResult<Option<(TillId, shared::payment::PaymentAttempt)>> {
        Ok(super::payments::attempt_tx(self.c, order_no)?.map(|a| (a.till, a.attempt)))
    }

    fn payment_refund(&self, out_refund_no: &str) -> StoreResult<Option<shared::payment::PaymentRefund>> {
        super::payments::refund_tx(self.c, out_refund_no)
    }

    fn branch(&self, id: BranchId) -> StoreResult<Option<BranchSettings>> {
        if let Some(known) = self.branches.borrow().get(&id) {
            return Ok(known.clone());
        }
        let json: Option<String> = self
            .c
            .prepare_cached("SELECT settings FROM branches WHERE id = ?1")?
            .query_row([id.0], |r| r.get(0))
            .optional()?;
        let settings: Option<BranchSettings> =
            json.map(|j| serde_json::from_str(&j).map_err(StoreError::from)).transpose()?;
        self.branches.borrow_mut().insert(id, settings.clone());
        Ok(settings)
    }

    fn policies(&self) -> StoreResult<Arc<Vec<MemberPolicy>>> {
        if let Some(all) = self.policies.borrow().as_ref() {
            return Ok(all.clone());
        }
        let all = self.store.all_policies_tx(self.c)?;
        *self.policies.borrow_mut() = Some(all.clone());
        Ok(all)
    }

    fn promotion_engine(
        &self,
        version: u64,
    ) -> StoreResult<Option<std::sync::Arc<shared::promotions::PromotionEngine>>> {
        self.store.promotion_engine_tx(self.c, version)
    }

    fn member_promotion_uses(
        &self,
        member: MemberId,
        ids: &[shared::promotions::PromotionId],
        except: SaleId,
    ) -> StoreResult<std::collections::BTreeMap<shared::promotions::PromotionId, u32>> {
        super::promotions::member_promotion_uses_tx(self.c, &member.to_string(), ids, Some(&except.to_string()))
    }

    fn coupon_campaign(
        &self,
        id: shared::promotions::coupons::CampaignId,
    ) -> StoreResult<Option<shared::promotions::coupons::CouponCampaign>> {
        super::coupon_capture::campaign_tx(self.c, id)
    }

    fn member(&self, named: &SaleMember) -> StoreResult<Option<MemberRecord>> {
        let by_id = match named.member_id {
            Some(id) => ledger::resolve(self.c, &id.to_string())?,
            None => None,
        };
        let id = match by_id {
            Some(id) => Some(id),
            None => ledger::find(self.c, &named.identifier)?.ok().flatten(),
        };
        match id {
            Some(id) => ledger::load_member(self.c, &id),
            None => Ok(None),
        }
    }

    fn tiers_held_since(&self, member: MemberId, since: Timestamp) -> StoreResult<Vec<String>> {
        let id = member.to_string();
        let mut held: Vec<String> = self
            .c
            .prepare_cached("SELECT tier FROM members WHERE id = ?1")?
            .query_map([&id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let changes: Vec<(String, String)> = self
            .c
            .prepare_cached("SELECT from_tier, to_tier FROM tier_changes WHERE member_id = ?1 AND at >= ?2")?
            .query_map(params![id, micros(since)], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (from, to) in changes {
            held.push(from);
            held.push(to);
        }
        held.sort();
        held.dedup();
        Ok(held)
    }

    fn hold(&self, id: HoldId) -> StoreResult<Option<HoldRecord>> {
        fn parsed<T, E: std::error::Error + Send + Sync + 'static>(
            i: usize,
            v: Result<T, E>,
        ) -> super::conn::Result<T> {
            v.map_err(|e| super::conn::Error::Conversion(i, e.to_string()))
        }
        Ok(self
            .c
            .prepare_cached(
                "SELECT member_id, till_id, sale_id, kind, points, amount, principal, bonus, status, expires_at
                 FROM holds WHERE id = ?1",
            )?
            .query_row([id.to_string()], |r| {
                Ok(HoldRecord {
                    id,
                    member: parsed(0, MemberId::parse(&r.get::<_, String>(0)?))?,
                    till: TillId(r.get(1)?),
                    sale: parsed(2, SaleId::parse(&r.get::<_, String>(2)?))?,
                    kind: r.get(3)?,
                    points: r.get(4)?,
                    amount: Money(r.get(5)?),
                    split: SvSplit { principal: Money(r.get(6)?), bonus: Money(r.get(7)?) },
                    status: r.get(8)?,
                    expires_at: from_micros(r.get(9)?),
                })
            })
            .optional()?)
    }

    fn offline_spent(&self, member: MemberId, day: Date, except: SaleId) -> StoreResult<(i64, Money)> {
        let (points, sv): (i64, i64) = self
            .c
            .prepare_cached(
                "SELECT COALESCE(SUM(CASE WHEN t.kind = 'points' THEN t.points ELSE 0 END), 0),
                        COALESCE(SUM(CASE WHEN t.kind = 'stored_value' THEN t.amount ELSE 0 END), 0)
                 FROM sales s JOIN sale_tenders t ON t.sale_id = s.id
                 WHERE s.member_id = ?1 AND s.business_day = ?2 AND s.id <> ?3 AND t.hold_id IS NULL
                   AND t.kind IN ('points', 'stored_value')",
            )?
            .query_row(params![member.to_string(), day.to_string(), except.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        Ok((points, Money(sv)))
    }

    fn sale(&self, id: SaleId) -> StoreResult<Option<CompletedSale>> {
        let payload: Option<String> = self
            .c
            .prepare_cached("SELECT e.payload FROM sales s JOIN events e ON e.id = s.event_id WHERE s.id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?;
        match payload.map(|p| serde_json::from_str::<Event>(&p)).transpose()? {
            None => Ok(None),
            Some(Event::SaleCompleted(s)) => Ok(Some(s)),
            Some(_) => Err(StoreError::Internal(format!("sale {id} is stored with another event"))),
        }
    }

    fn refunds_of(&self, sale: SaleId) -> StoreResult<Vec<Refund>> {
        let payloads: Vec<String> = self
            .c
            .prepare_cached(
                "SELECT e.payload FROM refunds r JOIN events e ON e.id = r.event_id
                 WHERE r.sale_id = ?1 ORDER BY r.refunded_at, r.id",
            )?
            .query_map([sale.to_string()], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        payloads
            .iter()
            .map(|p| match serde_json::from_str::<Event>(p)? {
                Event::SaleRefunded(r) | Event::SaleVoided(r) => Ok(r),
                _ => Err(StoreError::Internal(format!("a refund of sale {sale} is stored with another event"))),
            })
            .collect()
    }

    fn prices_today(&self, products: &[ProductId], branch: BranchId) -> StoreResult<HashMap<ProductId, Money>> {
        let missing: Vec<i64> = {
            let known = self.prices.borrow();
            let mut ids: Vec<i64> =
                products.iter().filter(|p| !known.contains_key(&(branch, **p))).map(|p| p.0).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        if !missing.is_empty() {
            // The products as one JSON list: one statement, whatever their number.
            let listed = self.c.json_list(1, true);
            let found: HashMap<ProductId, Money> = self
                .c
                .prepare_cached(&format!(
                    "SELECT p.id, COALESCE(bp.price, p.retail_price) FROM products p
                     LEFT JOIN branch_prices bp ON bp.branch_id = ?2 AND bp.product_id = p.id
                     WHERE p.id IN ({listed})"
                ))?
                .query_map(params![serde_json::to_string(&missing)?, branch.0], |r| {
                    Ok((ProductId(r.get(0)?), Money(r.get(1)?)))
                })?
                .collect::<Result<_, _>>()?;
            let mut known = self.prices.borrow_mut();
            for id in missing {
                known.insert((branch, ProductId(id)), found.get(&ProductId(id)).copied());
            }
        }
        let known = self.prices.borrow();
        Ok(products.iter().filter_map(|p| known.get(&(branch, *p)).copied().flatten().map(|m| (*p, m))).collect())
    }

    fn staff(&self, id: StaffId) -> StoreResult<Option<StaffMember>> {
        if let Some(known) = self.staff.borrow().get(&id) {
            return Ok(known.clone());
        }
        let found = match super::branches::load_staff(self.c, id) {
            Ok(s) => Some(s),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        self.staff.borrow_mut().insert(id, found.clone());
        Ok(found)
    }
}
