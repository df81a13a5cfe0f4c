//! The demo chain's stock: two suppliers; every branch's opening delivery of the products the
//! history sells (enough to cover what the history sold, and some), at about two thirds of the
//! retail price; and at the first branch an open purchase order, a transfer to the second branch
//! in transit, and reorder levels above what some shelves hold, so the console's stock pages, its
//! suggested order and the till's on-hand have something to show.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use shared::catalog::{Product, ProductStatus};
use shared::money::{Money, Qty};

use crate::demo::DemoBranch;
use crate::model::{Actor, CostLine, NewReceipt, NewStockSetting, StockKey};
use crate::store::{Store, StoreError, StoreResult};

/// Products stocked at each branch (the ones the history sells).
const STOCKED: u32 = 400;

/// What a unit costs the chain: 55 to 75 % of its retail price.
fn cost_of(p: &Product, rng: &mut StdRng) -> Money {
    Money(p.retail_price.0 * rng.random_range(55..=75) / 100)
}

/// Seeds the stock (nothing without a branch or a product).
pub fn seed(store: &dyn Store, actor: &Actor, branches: &[DemoBranch], seed: u64) -> StoreResult<()> {
    let products: Vec<Product> =
        store.list_products(0, STOCKED, None)?.into_iter().filter(|p| p.status == ProductStatus::Active).collect();
    let Some(first) = branches.first() else { return Ok(()) };
    if products.is_empty() {
        return Ok(());
    }
    let mut rng = StdRng::seed_from_u64(seed ^ 0x570c);
    let drinks = store.create_supplier(actor, "S01", "华润饮料食品批发 demo supplier")?;
    let fresh = store.create_supplier(actor, "S02", "城郊生鲜合作社 demo supplier")?;
    for b in branches {
        let mut lines = Vec::with_capacity(products.len());
        for p in &products {
            let on_hand = match store.stock_level(b.id, p.id) {
                Ok(l) => l.on_hand.0,
                Err(StoreError::NotFound(_)) => 0,
                Err(e) => return Err(e),
            };
            let qty = (-on_hand).max(0) + rng.random_range(24..=96) * 1000;
            lines.push(CostLine { product_id: p.id, qty: Qty(qty), unit_cost: cost_of(p, &mut rng) });
        }
        store.receive(
            actor,
            NewReceipt {
                branch: b.id,
                order: None,
                supplier: Some(drinks.id),
                lines,
                accept_unordered: false,
                note: "开业备货 opening stock".into(),
            },
        )?;
    }
    // At the first branch: six products on order from the fresh-food supplier.
    let ordered: Vec<CostLine> = products
        .iter()
        .filter(|p| p.weighed)
        .chain(products.iter().filter(|p| !p.weighed))
        .take(6)
        .map(|p| CostLine { product_id: p.id, qty: Qty(24_000), unit_cost: cost_of(p, &mut rng) })
        .collect();
    store.create_purchase_order(actor, fresh.id, first.id, ordered, "每周生鲜 weekly fresh")?;
    // Three products on their way to the second branch.
    if let Some(second) = branches.get(1) {
        let sent = products.iter().take(3).map(|p| (p.id, Qty(6_000))).collect();
        store.send_transfer(actor, first.id, second.id, sent, "补货调拨 restock")?;
    }
    // Reorder levels at the first branch: eight shelves whose minimum is above what they hold.
    let mut settings = Vec::new();
    for (i, p) in products.iter().skip(10).take(8).enumerate() {
        let on_hand = store.stock_level(first.id, p.id)?.on_hand.0.max(0);
        settings.push(NewStockSetting {
            row: i + 1,
            branch: StockKey::Id(first.id.0),
            product: StockKey::Id(p.id.0),
            min: Qty(on_hand + 12_000),
            max: Qty(on_hand + 48_000),
            pack: Qty(12_000),
            supplier: Some(StockKey::Id(drinks.id)),
        });
    }
    store.set_stock_settings(actor, None, settings)?;
    Ok(())
}
