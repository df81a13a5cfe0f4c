//! What the till pulled from HQ (branch, staff, catalog, prices, policy, members) and the lookups
//! the sale screen makes: a barcode, a scale PLU, a search.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, Transaction, params};
use shared::branch::BranchSettings;
use shared::catalog::{BrandId, Category, CategoryId, Product, ProductId, ProductStatus, canonical_barcode};
use shared::ids::{MemberId, StaffId};
use shared::member::{MemberIdentifier, MemberSnapshot};
use shared::money::{Bp, Money};
use shared::policy::MemberPolicy;
use shared::promotions::{Promotion, PromotionSet};
use shared::staff::{StaffMember, StaffRole};
use shared::sync::{Change, PromotionChange, PullResponse};

use super::search::{fts_query, index_terms};
use super::{Store, StoreError, StoreResult, from_json, to_json};

/// A product as this till sells it: HQ's product plus this branch's prices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TillProduct {
    /// The product (its `barcodes` are not loaded by lookups).
    pub product: Product,
    pub branch_price: Option<Money>,
    pub branch_member_price: Option<Money>,
}

impl TillProduct {
    /// Step 1 of pricing: the branch price if set, else the retail price.
    pub fn base_price(&self) -> Money {
        shared::pricing::base_price(self.product.retail_price, self.branch_price)
    }

    /// The member price at this branch.
    pub fn member_price(&self) -> Option<Money> {
        self.branch_member_price.or(self.product.member_price)
    }
}

/// A search result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductHit {
    pub id: ProductId,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub price: Money,
    /// On hand at this branch as of the last pull of it from HQ (none before the first pull, or
    /// for a product that never moved here). A till never refuses a sale for it.
    pub on_hand: Option<super::stock::OnHand>,
}

const PRODUCT_COLUMNS: &str = "p.id, p.code, p.name, p.short_name, p.category, p.unit, p.retail_price, p.member_price, \
     p.vat, p.points_eligible, p.discount_eligible, p.weighed, p.plu, p.status, bp.price, bp.member_price, p.brand";

fn product_from_row(r: &Row<'_>) -> rusqlite::Result<TillProduct> {
    let status: String = r.get(13)?;
    Ok(TillProduct {
        product: Product {
            brand: r.get::<_, Option<i64>>(16)?.map(BrandId),
            id: ProductId(r.get(0)?),
            code: r.get(1)?,
            barcodes: Vec::new(),
            name: r.get(2)?,
            short_name: r.get(3)?,
            category: CategoryId(r.get(4)?),
            unit: r.get(5)?,
            retail_price: Money(r.get(6)?),
            member_price: r.get::<_, Option<i64>>(7)?.map(Money),
            vat: Bp(r.get(8)?),
            points_eligible: r.get(9)?,
            discount_eligible: r.get(10)?,
            weighed: r.get(11)?,
            plu: r.get::<_, Option<u32>>(12)?,
            status: if status == "delisted" { ProductStatus::Delisted } else { ProductStatus::Active },
        },
        branch_price: r.get::<_, Option<i64>>(14)?.map(Money),
        branch_member_price: r.get::<_, Option<i64>>(15)?.map(Money),
    })
}

fn role_code(r: StaffRole) -> &'static str {
    match r {
        StaffRole::Cashier => "cashier",
        StaffRole::Manager => "manager",
    }
}

impl Store {
    /// The change-sequence cursor of the last applied pull page.
    pub fn pull_cursor(&self) -> StoreResult<u64> {
        Ok(self.meta("pull_cursor")?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Applies one page of changes and moves the cursor, in one transaction.
    pub fn apply_pull_page(&mut self, page: &PullResponse) -> StoreResult<()> {
        self.note_pulled();
        self.tx(|tx| {
            for c in &page.changes {
                apply_change(tx, &c.change)?;
            }
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('pull_cursor', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [page.next_cursor.to_string()],
            )?;
            Ok(())
        })
    }

    /// Applies changes that did not come from a pull (seeding a demo or a test).
    pub fn apply_changes(&mut self, changes: &[Change]) -> StoreResult<()> {
        self.note_pulled();
        self.tx(|tx| changes.iter().try_for_each(|c| apply_change(tx, c)))
    }

    pub fn branch(&self) -> StoreResult<Option<BranchSettings>> {
        let json: Option<String> =
            self.conn().query_row("SELECT json FROM branch ORDER BY id LIMIT 1", [], |r| r.get(0)).optional()?;
        json.map(|j| from_json(&j)).transpose()
    }

    pub fn product_by_barcode(&self, code: &str) -> StoreResult<Option<TillProduct>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {PRODUCT_COLUMNS} FROM barcodes b JOIN products p ON p.id = b.product_id
             LEFT JOIN branch_prices bp ON bp.product_id = p.id WHERE b.code = ?1"
        ))?;
        Ok(stmt.query_row([code], product_from_row).optional()?)
    }

    pub fn product_by_code(&self, code: &str) -> StoreResult<Option<TillProduct>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {PRODUCT_COLUMNS} FROM products p LEFT JOIN branch_prices bp ON bp.product_id = p.id
             WHERE p.code = ?1 ORDER BY p.status = 'delisted' LIMIT 1"
        ))?;
        Ok(stmt.query_row([code], product_from_row).optional()?)
    }

    pub fn product_by_plu(&self, plu: u32) -> StoreResult<Option<TillProduct>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {PRODUCT_COLUMNS} FROM products p LEFT JOIN branch_prices bp ON bp.product_id = p.id
             WHERE p.plu = ?1 ORDER BY p.status = 'delisted' LIMIT 1"
        ))?;
        Ok(stmt.query_row([plu], product_from_row).optional()?)
    }

    pub fn product(&self, id: ProductId) -> StoreResult<Option<TillProduct>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {PRODUCT_COLUMNS} FROM products p LEFT JOIN branch_prices bp ON bp.product_id = p.id WHERE p.id = ?1"
        ))?;
        Ok(stmt.query_row([id.0], product_from_row).optional()?)
    }

    /// The first `limit` active products matching what the cashier typed: Chinese characters of the
    /// name (as a phrase), pinyin initials, words of the name, or the start of a code or barcode.
    pub fn search_products(&self, query: &str, limit: usize) -> StoreResult<Vec<ProductHit>> {
        let Some(fts) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let as_of = self.stock_as_of()?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT p.id, p.code, p.name, p.unit, coalesce(bp.price, p.retail_price), oh.on_hand
             FROM product_search s JOIN products p ON p.id = s.rowid
             LEFT JOIN branch_prices bp ON bp.product_id = p.id
             LEFT JOIN stock_on_hand oh ON oh.product_id = p.id
             WHERE product_search MATCH ?1 AND p.status = 'active' LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![fts, limit as i64], |r| {
            let on_hand = r.get::<_, Option<i64>>(5)?.zip(as_of).map(|(q, as_of)| super::stock::OnHand {
                qty: shared::money::Qty(q),
                as_of,
                label: String::new(),
            });
            Ok(ProductHit {
                id: ProductId(r.get(0)?),
                code: r.get(1)?,
                name: r.get(2)?,
                unit: r.get(3)?,
                price: Money(r.get(4)?),
                on_hand,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Barcodes of the first `n` active, non-weighed products (tests and demos).
    pub fn sample_barcodes(&self, n: usize) -> StoreResult<Vec<String>> {
        let mut stmt = self.conn().prepare(
            "SELECT min(b.code) FROM barcodes b JOIN products p ON p.id = b.product_id
             WHERE p.status = 'active' AND NOT p.weighed GROUP BY p.id ORDER BY p.id LIMIT ?1",
        )?;
        let rows = stmt.query_map([n as i64], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn product_count(&self) -> StoreResult<u64> {
        Ok(self.conn().query_row("SELECT count(*) FROM products", [], |r| r.get::<_, i64>(0))? as u64)
    }

    pub fn staff_by_login(&self, login: &str) -> StoreResult<Option<StaffMember>> {
        self.staff_where("login = ?1", login)
    }

    pub fn staff_member(&self, id: StaffId) -> StoreResult<Option<StaffMember>> {
        self.staff_where("id = ?1", id.0)
    }

    fn staff_where(&self, cond: &str, arg: impl rusqlite::ToSql) -> StoreResult<Option<StaffMember>> {
        let branch = self.branch()?.map(|b| b.id);
        let mut stmt = self
            .conn()
            .prepare_cached(&format!("SELECT id, login, name, role, pin_hash, active FROM staff WHERE {cond}"))?;
        let row = stmt
            .query_row([arg], |r| {
                let role: String = r.get(3)?;
                Ok(StaffMember {
                    id: StaffId(r.get(0)?),
                    branch: branch.unwrap_or(shared::ids::BranchId(0)),
                    login: r.get(1)?,
                    name: r.get(2)?,
                    role: if role == "manager" { StaffRole::Manager } else { StaffRole::Cashier },
                    pin_hash: r.get(4)?,
                    active: r.get(5)?,
                })
            })
            .optional()?;
        Ok(row)
    }

    pub fn staff_list(&self) -> StoreResult<Vec<(StaffId, String, String, StaffRole)>> {
        let mut stmt = self.conn().prepare("SELECT id, login, name, role FROM staff WHERE active ORDER BY login")?;
        let rows = stmt.query_map([], |r| {
            let role: String = r.get(3)?;
            Ok((
                StaffId(r.get(0)?),
                r.get(1)?,
                r.get(2)?,
                if role == "manager" { StaffRole::Manager } else { StaffRole::Cashier },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn category(&self, id: CategoryId) -> StoreResult<Option<Category>> {
        Ok(self
            .conn()
            .query_row("SELECT id, code, name, parent FROM categories WHERE id = ?1", [id.0], |r| {
                Ok(Category {
                    id: CategoryId(r.get(0)?),
                    code: r.get(1)?,
                    name: r.get(2)?,
                    parent: r.get::<_, Option<i64>>(3)?.map(CategoryId),
                })
            })
            .optional()?)
    }

    /// Every policy version the till has, oldest first.
    pub fn policies(&self) -> StoreResult<Vec<MemberPolicy>> {
        let mut stmt = self.conn().prepare_cached("SELECT json FROM policies ORDER BY version")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|j| from_json(&j?)).collect()
    }

    /// The promotion set as pulled: every promotion HQ has published and not withdrawn, by id, at
    /// the highest set version pulled (0 before the first).
    pub fn promotion_set(&self) -> StoreResult<PromotionSet> {
        let version = self.meta("promotion_version")?.and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut stmt = self.conn().prepare_cached("SELECT json FROM promotions ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let promotions = rows.map(|j| from_json(&j?)).collect::<StoreResult<Vec<Promotion>>>()?;
        Ok(PromotionSet { version, promotions })
    }

    /// A coupon campaign as last pulled.
    pub fn coupon_campaign(
        &self,
        id: shared::promotions::coupons::CampaignId,
    ) -> StoreResult<Option<shared::promotions::coupons::CouponCampaign>> {
        let Ok(key) = i64::try_from(id.0) else { return Ok(None) };
        let json: Option<String> =
            self.conn().query_row("SELECT json FROM coupon_campaigns WHERE id = ?1", [key], |r| r.get(0)).optional()?;
        json.map(|j| from_json(&j)).transpose()
    }

    /// The policy in force at `at`.
    pub fn policy_at(&self, at: Timestamp) -> StoreResult<Option<MemberPolicy>> {
        Ok(shared::policy::in_force(&self.policies()?, at).cloned())
    }

    /// A cached member, by what the cashier scanned or typed, following merges.
    pub fn cached_member(&self, by: &MemberIdentifier) -> StoreResult<Option<MemberSnapshot>> {
        let id: Option<String> = match by {
            MemberIdentifier::Code(c) => self
                .conn()
                .query_row("SELECT id FROM members WHERE code = ?1", [c.as_str()], |r| r.get(0))
                .optional()?,
            MemberIdentifier::Phone(p) => self
                .conn()
                .query_row("SELECT id FROM members WHERE phone = ?1", [p.as_str()], |r| r.get(0))
                .optional()?,
            MemberIdentifier::Uid(u) => self
                .conn()
                .query_row("SELECT member_id FROM member_uids WHERE uid = ?1", [u.as_str()], |r| r.get(0))
                .optional()?,
        };
        match id {
            Some(id) => self.cached_member_by_id(&id),
            None => Ok(None),
        }
    }

    pub(crate) fn cached_member_by_id(&self, id: &str) -> StoreResult<Option<MemberSnapshot>> {
        let merged: Option<String> = self
            .conn()
            .query_row("SELECT into_id FROM member_merges WHERE from_id = ?1", [id], |r| r.get(0))
            .optional()?;
        let id = merged.as_deref().unwrap_or(id);
        let json: Option<String> =
            self.conn().query_row("SELECT json FROM members WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        json.map(|j| from_json(&j)).transpose()
    }

    /// Where a member id was merged to, if HQ merged it.
    pub fn merged_into(&self, id: MemberId) -> StoreResult<Option<MemberId>> {
        let into: Option<String> = self
            .conn()
            .query_row("SELECT into_id FROM member_merges WHERE from_id = ?1", [id.to_string()], |r| r.get(0))
            .optional()?;
        into.map(|s| MemberId::parse(&s).map_err(|e| StoreError::Corrupt(e.to_string()))).transpose()
    }

    /// Keeps a member HQ answered with (or enrolled here) for offline use.
    pub fn cache_member(&mut self, m: &MemberSnapshot, provisional: bool) -> StoreResult<()> {
        self.tx(|tx| upsert_member(tx, m, provisional))
    }
}

pub(crate) fn upsert_member(tx: &Transaction<'_>, m: &MemberSnapshot, provisional: bool) -> StoreResult<()> {
    let id = m.id.to_string();
    // A phone or code now belonging to this member is no longer another cached member's.
    tx.execute(
        "DELETE FROM members WHERE id <> ?1 AND (code = ?2 OR phone = ?3)",
        params![id, m.code.as_str(), m.phone.as_ref().map(|p| p.as_str())],
    )?;
    tx.execute(
        "INSERT INTO members (id, code, phone, json, provisional) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET code = excluded.code, phone = excluded.phone, json = excluded.json,
         provisional = excluded.provisional",
        params![id, m.code.as_str(), m.phone.as_ref().map(|p| p.as_str()), to_json(m)?, provisional],
    )?;
    tx.execute("DELETE FROM member_uids WHERE member_id = ?1", [&id])?;
    for uid in &m.card_uids {
        tx.execute(
            "INSERT INTO member_uids (uid, member_id) VALUES (?1, ?2)
             ON CONFLICT (uid) DO UPDATE SET member_id = excluded.member_id",
            params![uid.as_str(), id],
        )?;
    }
    Ok(())
}

fn apply_change(tx: &Transaction<'_>, change: &Change) -> StoreResult<()> {
    match change {
        Change::Branch(b) => {
            tx.execute(
                "INSERT INTO branch (id, json) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET json = excluded.json",
                params![b.id.0, to_json(b)?],
            )?;
        }
        Change::Staff(s) => {
            // A login may move to a new id (re-created at HQ): the newest wins.
            tx.execute("DELETE FROM staff WHERE login = ?1 AND id <> ?2", params![s.login, s.id.0])?;
            tx.execute(
                "INSERT INTO staff (id, login, name, role, pin_hash, active) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET login = excluded.login, name = excluded.name, role = excluded.role,
                 pin_hash = excluded.pin_hash, active = excluded.active",
                params![s.id.0, s.login, s.name, role_code(s.role), s.pin_hash, s.active],
            )?;
        }
        Change::Category(c) => {
            tx.execute(
                "INSERT INTO categories (id, code, name, parent) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET code = excluded.code, name = excluded.name, parent = excluded.parent",
                params![c.id.0, c.code, c.name, c.parent.map(|p| p.0)],
            )?;
        }
        Change::Product(p) => upsert_product(tx, p)?,
        Change::BranchPrice(bp) => {
            if bp.price.is_none() && bp.member_price.is_none() {
                tx.execute("DELETE FROM branch_prices WHERE product_id = ?1", [bp.product.0])?;
            } else {
                tx.execute(
                    "INSERT INTO branch_prices (product_id, price, member_price) VALUES (?1, ?2, ?3)
                     ON CONFLICT (product_id) DO UPDATE SET price = excluded.price, member_price = excluded.member_price",
                    params![bp.product.0, bp.price.map(|m| m.0), bp.member_price.map(|m| m.0)],
                )?;
            }
        }
        Change::Policy(p) => {
            tx.execute(
                "INSERT INTO policies (version, effective_from, json) VALUES (?1, ?2, ?3)
                 ON CONFLICT (version) DO UPDATE SET effective_from = excluded.effective_from, json = excluded.json",
                params![p.version, p.effective_from.to_string(), to_json(p)?],
            )?;
        }
        Change::Member(m) => upsert_member(tx, m, false)?,
        Change::MemberMerged { from, into } => {
            tx.execute(
                "INSERT INTO member_merges (from_id, into_id) VALUES (?1, ?2)
                 ON CONFLICT (from_id) DO UPDATE SET into_id = excluded.into_id",
                params![from.to_string(), into.to_string()],
            )?;
            tx.execute("DELETE FROM members WHERE id = ?1", [from.to_string()])?;
            tx.execute("DELETE FROM member_uids WHERE member_id = ?1", [from.to_string()])?;
        }
        Change::Promotion(p) => apply_promotion(tx, p)?,
        Change::CouponCampaign(c) => {
            let id = i64::try_from(c.id.0).map_err(|_| StoreError::Corrupt(format!("campaign id {}", c.id)))?;
            tx.execute(
                "INSERT INTO coupon_campaigns (id, json) VALUES (?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET json = excluded.json",
                params![id, to_json(c)?],
            )?;
        }
    }
    Ok(())
}

/// A promotion's revision replaces an older one of the same id (never a newer one: pages may be
/// re-applied); the set's version only goes up.
fn apply_promotion(tx: &Transaction<'_>, change: &PromotionChange) -> StoreResult<()> {
    let id = i64::try_from(change.id.0).map_err(|_| StoreError::Corrupt(format!("promotion id {}", change.id.0)))?;
    let version = i64::try_from(change.version)
        .map_err(|_| StoreError::Corrupt(format!("promotion set version {}", change.version)))?;
    let held: Option<i64> =
        tx.query_row("SELECT version FROM promotions WHERE id = ?1", [id], |r| r.get(0)).optional()?;
    if held.is_none_or(|v| v <= version) {
        match &change.promotion {
            Some(p) => {
                tx.execute(
                    "INSERT INTO promotions (id, version, json) VALUES (?1, ?2, ?3)
                     ON CONFLICT (id) DO UPDATE SET version = excluded.version, json = excluded.json",
                    params![id, version, to_json(p)?],
                )?;
            }
            None => {
                tx.execute("DELETE FROM promotions WHERE id = ?1", [id])?;
            }
        }
    }
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('promotion_version', ?1)
         ON CONFLICT (key) DO UPDATE SET value = CAST(MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER)) AS TEXT)",
        [version.to_string()],
    )?;
    Ok(())
}

fn upsert_product(tx: &Transaction<'_>, p: &Product) -> StoreResult<()> {
    let status = match p.status {
        ProductStatus::Active => "active",
        ProductStatus::Delisted => "delisted",
    };
    let mut stmt = tx.prepare_cached(
        "INSERT INTO products (id, code, name, short_name, category, unit, retail_price, member_price, vat,
             points_eligible, discount_eligible, weighed, plu, status, brand)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT (id) DO UPDATE SET code = excluded.code, name = excluded.name, short_name = excluded.short_name,
             category = excluded.category, unit = excluded.unit, retail_price = excluded.retail_price,
             member_price = excluded.member_price, vat = excluded.vat, points_eligible = excluded.points_eligible,
             discount_eligible = excluded.discount_eligible, weighed = excluded.weighed, plu = excluded.plu,
             status = excluded.status, brand = excluded.brand",
    )?;
    stmt.execute(params![
        p.id.0,
        p.code,
        p.name,
        p.short_name,
        p.category.0,
        p.unit,
        p.retail_price.0,
        p.member_price.map(|m| m.0),
        p.vat.0,
        p.points_eligible,
        p.discount_eligible,
        p.weighed,
        p.plu,
        status,
        p.brand.map(|b| b.0)
    ])?;
    tx.prepare_cached("DELETE FROM barcodes WHERE product_id = ?1")?.execute([p.id.0])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO barcodes (code, product_id) VALUES (?1, ?2)
         ON CONFLICT (code) DO UPDATE SET product_id = excluded.product_id",
    )?;
    let codes: Vec<String> = p.barcodes.iter().map(|b| canonical_barcode(b)).collect();
    for code in &codes {
        insert.execute(params![code, p.id.0])?;
    }
    tx.prepare_cached("DELETE FROM product_search WHERE rowid = ?1")?.execute([p.id.0])?;
    let t = index_terms(&p.name, &p.code, &codes.join(" "));
    tx.prepare_cached("INSERT INTO product_search (rowid, terms, pairs, initials, codes) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![p.id.0, t.terms, t.pairs, t.initials, t.codes])?;
    Ok(())
}
