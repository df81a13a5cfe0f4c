//! A few weeks of past trading for the demo chain, so the console's dashboard and reports have
//! something to show: sales of the demo catalog, priced and settled by `shared`'s rules, some for
//! members with the points the policy gives, ingested through the same path as tills' events.
//! They come from a till of each branch kept for this history (no real till shares its event
//! sequence).

use jiff::civil::{Date, Time};
use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use shared::Money;
use shared::catalog::{Product, ProductStatus};
use shared::ids::{SaleId, ShiftId, StaffId};
use shared::member::MemberIdentifier;
use shared::money::Qty;
use shared::pricing::LineInput;
use shared::receipt::ReceiptNo;
use shared::sale::{CompletedSale, LineItem, SaleMember, SaleTotals, TenderInput, price_sale, settle};
use shared::sync::{Event, EventEnvelope};

use crate::demo::{DemoBranch, DemoMember};
use crate::model::Actor;
use crate::store::{Store, StoreError, StoreResult};

/// Sales for each branch over the `days` business days before today.
pub fn seed(
    store: &dyn Store,
    actor: &Actor,
    branches: &[DemoBranch],
    members: &[DemoMember],
    days: u32,
    seed: u64,
) -> StoreResult<u64> {
    if days == 0 {
        return Ok(0);
    }
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5a1e);
    let products: Vec<Product> = store
        .list_products(0, 400, None)?
        .into_iter()
        .filter(|p| p.status == ProductStatus::Active && !p.weighed)
        .collect();
    if products.is_empty() {
        return Ok(0);
    }
    let policy = store.current_policy()?;
    let today = crate::calendar::chain_day(&store.list_branches()?, store.now()).day;
    let mut count = 0;
    for (bi, b) in branches.iter().enumerate() {
        let settings = store.get_branch(b.id)?;
        let cashier = store
            .list_staff(b.id)?
            .into_iter()
            .find(|s| s.role == shared::staff::StaffRole::Cashier)
            .map_or(StaffId(1), |s| s.id);
        let (till, _) =
            crate::admin::add_till(store, actor, b.id, "历史数据 demo history", std::time::Duration::from_secs(1))?;
        let mut seq = 0u64;
        let mut receipt = 0u32;
        let mut events = Vec::new();
        for d in (1..=days).rev() {
            let day = today.checked_sub(SignedDuration::from_hours(24 * i64::from(d))).map_err(internal)?;
            let weekend = matches!(day.weekday(), jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday);
            let n = 18 + rng.random_range(0..12) + if weekend { 10 } else { 0 } - bi as u32 * 2;
            for k in 0..n {
                receipt += 1;
                seq += 1;
                let at = at_on(&settings, day, 9 * 60 + k * (12 * 60 / n.max(1)) + rng.random_range(0..10))?;
                let member = (!members.is_empty() && rng.random_range(0..10) < 4)
                    .then(|| &members[rng.random_range(0..members.len())]);
                let mut sale =
                    sale(&mut rng, &products, &policy, b, &settings, till.id, till.number, receipt, at, day, member)?;
                sale.cashier = cashier;
                events.push(EventEnvelope {
                    id: shared::ids::EventId::new(),
                    till: till.id,
                    seq,
                    at,
                    event: Event::SaleCompleted(sale),
                });
                count += 1;
            }
        }
        for chunk in events.chunks(200) {
            let verdicts = vec![Ok(Vec::new()); chunk.len()];
            store.ingest(&till, chunk, &verdicts, store.now(), 0)?;
        }
    }
    Ok(count)
}

fn internal(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(e.to_string())
}

/// `minute` minutes after midnight of `day`, the branch's local time.
fn at_on(branch: &shared::branch::BranchSettings, day: Date, minute: u32) -> StoreResult<Timestamp> {
    let minute = minute.min(23 * 60 + 59);
    let time = Time::new((minute / 60) as i8, (minute % 60) as i8, 0, 0).map_err(internal)?;
    Ok(day.to_datetime(time).to_zoned(branch.zone()).map_err(internal)?.timestamp())
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn sale(
    rng: &mut StdRng,
    products: &[Product],
    policy: &shared::policy::MemberPolicy,
    b: &DemoBranch,
    settings: &shared::branch::BranchSettings,
    till: shared::ids::TillId,
    number: u16,
    receipt: u32,
    at: Timestamp,
    day: Date,
    member: Option<&DemoMember>,
) -> StoreResult<CompletedSale> {
    let lines = 1 + rng.random_range(0..6);
    let items: Vec<LineItem> = (0..lines)
        .map(|_| {
            let p = &products[rng.random_range(0..products.len())];
            LineItem {
                brand: p.brand,
                product_id: p.id,
                product_code: p.code.clone(),
                barcode: p.barcodes.first().cloned(),
                name: p.name.clone(),
                category: p.category,
                unit: p.unit.clone(),
                vat: p.vat,
                points_eligible: p.points_eligible,
                weighed: p.weighed,
                pricing: LineInput {
                    base_price: p.retail_price,
                    member_price: p.member_price,
                    discount_eligible: p.discount_eligible,
                    qty: Qty::pieces(1 + rng.random_range(0..3)),
                    label_price: None,
                    manual: None,
                },
            }
        })
        .collect();
    let tier = member.and_then(|m| policy.tiers.by_code(&m.tier)).or_else(|| member.map(|_| policy.tiers.entry()));
    let benefit = tier.map(|t| t.benefit());
    let priced = price_sale(&items, benefit.as_ref(), None).map_err(internal)?;
    let total = priced.totals.total;
    let inputs = match rng.random_range(0..10) {
        0..=4 => vec![TenderInput::cash(Money((total.0 + 999) / 1000 * 1000))],
        5..=7 => vec![TenderInput::card(total, &format!("T{receipt:06}"))],
        _ => {
            let card = Money(total.0 / 2);
            vec![
                TenderInput::card(card, &format!("T{receipt:06}")),
                TenderInput::cash(Money((total.0 - card.0 + 99) / 100 * 100)),
            ]
        }
    };
    let settled = settle(total, &inputs, settings.cash_rounding).map_err(internal)?;
    let member = match (member, tier) {
        (Some(m), Some(t)) => Some(SaleMember {
            member_id: Some(m.id),
            identifier: MemberIdentifier::Code(shared::catalog::MemberCode::parse(&m.code).map_err(internal)?),
            tier: Some(t.code.clone()),
            points_base: priced.points_eligible_net,
            points_earned: policy.points_for(priced.points_eligible_net, t, day, None).map_err(internal)?,
            policy_version: policy.version,
        }),
        _ => None,
    };
    Ok(CompletedSale {
        id: SaleId::new(),
        receipt_no: ReceiptNo::new(&b.code, number, receipt),
        branch: b.id,
        till,
        shift: ShiftId::new(),
        cashier: StaffId(1),
        completed_at: at,
        business_day: day,
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
        member,
    })
}
