use super::conn::{Conn, OptionalExtension, Row, Value, params};
use shared::Money;
use shared::catalog::{Brand, BrandId, Category, CategoryId, Product, ProductId, ProductStatus};
use shared::ids::BranchId;
use shared::money::Bp;
use shared::sync::{BranchPrice, Change};

use super::{SqlStore, append_audit, emit, in_chunks, is_constraint, micros, not_found};
use crate::model::Actor;
use crate::store::{BrandCount, CatalogStore, ImportBrand, ImportRow, ImportSummary, StoreError, StoreResult};

const PRODUCT_COLUMNS: &str = "id, code, name, short_name, category_id, unit, retail_price, member_price, vat, \
     points_eligible, discount_eligible, weighed, plu, status, brand_id";

fn product_row(r: &Row<'_>) -> super::conn::Result<Product> {
    let status: String = r.get(13)?;
    Ok(Product {
        brand: r.get::<_, Option<i64>>(14)?.map(BrandId),
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
        plu: r.get(12)?,
        status: if status == "delisted" { ProductStatus::Delisted } else { ProductStatus::Active },
    })
}

fn status_code(s: ProductStatus) -> &'static str {
    match s {
        ProductStatus::Active => "active",
        ProductStatus::Delisted => "delisted",
    }
}

fn with_barcodes(c: &Conn<'_>, mut p: Product) -> StoreResult<Product> {
    let mut st = c.prepare_cached("SELECT barcode FROM product_barcodes WHERE product_id = ?1 ORDER BY rowid")?;
    p.barcodes = st.query_map([p.id.0], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
    Ok(p)
}

fn load_product(c: &Conn<'_>, id: ProductId) -> StoreResult<Product> {
    let p = c
        .prepare_cached(&format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE id = ?1"))?
        .query_row([id.0], product_row)
        .map_err(StoreError::from)
        .map_err(not_found(format!("product {}", id.0)))?;
    with_barcodes(c, p)
}

fn check_category(c: &Conn<'_>, id: CategoryId) -> StoreResult<()> {
    let ok: bool =
        c.prepare_cached("SELECT EXISTS (SELECT 1 FROM categories WHERE id = ?1)")?.query_row([id.0], |r| r.get(0))?;
    if ok { Ok(()) } else { Err(StoreError::Invalid(format!("category {} does not exist", id.0))) }
}

/// Refuses a brand HQ does not know, naming the field.
fn check_brand(c: &Conn<'_>, brand: Option<BrandId>) -> StoreResult<()> {
    let Some(b) = brand else { return Ok(()) };
    let ok: bool =
        c.prepare_cached("SELECT EXISTS (SELECT 1 FROM brands WHERE id = ?1)")?.query_row([b.0], |r| r.get(0))?;
    if ok { Ok(()) } else { Err(StoreError::Invalid(format!("brand_id: HQ has no brand with id {}", b.0))) }
}

fn brand_row(r: &Row<'_>) -> super::conn::Result<Brand> {
    Ok(Brand { id: BrandId(r.get(0)?), code: r.get(1)?, name: r.get(2)? })
}

fn find_brand_by_code(c: &Conn<'_>, code: &str) -> StoreResult<Option<Brand>> {
    Ok(c.prepare_cached("SELECT id, code, name FROM brands WHERE code = ?1")?
        .query_row([code], brand_row)
        .optional()?)
}

/// Inserts a brand after HQ's rules; a code another brand has is a conflict.
fn insert_brand(store: &SqlStore, tx: &Conn<'_>, actor: &Actor, action: &str, brand: Brand) -> StoreResult<Brand> {
    crate::rules::brand(&brand).map_err(StoreError::Invalid)?;
    if let Some(other) = find_brand_by_code(tx, &brand.code)? {
        return Err(StoreError::Conflict(format!(
            "brand code `{}` is already used by brand {} ({})",
            brand.code, other.id.0, other.name
        )));
    }
    let id: i64 = tx
        .prepare_cached("INSERT INTO brands (code, name, created_at) VALUES (?1, ?2, ?3) RETURNING id")?
        .query_row(params![brand.code, brand.name, micros(store.now())], |r| r.get(0))
        .map_err(|e| {
            if is_constraint(&e) {
                StoreError::Conflict(format!("brand code `{}` is already used", brand.code))
            } else {
                e.into()
            }
        })?;
    let created = Brand { id: BrandId(id), ..brand };
    append_audit(
        tx,
        &store.audit_key,
        actor,
        store.now(),
        action,
        &format!("brand:{id}"),
        None::<&()>,
        Some(&created),
    )?;
    Ok(created)
}

/// Refuses a barcode, code or PLU that belongs to another product.
fn check_product_keys(c: &Conn<'_>, p: &Product) -> StoreResult<()> {
    let other: Option<i64> = c
        .prepare_cached("SELECT id FROM products WHERE code = ?1 AND id <> ?2")?
        .query_row(params![p.code, p.id.0], |r| r.get(0))
        .optional()?;
    if let Some(o) = other {
        return Err(StoreError::Conflict(format!("product code `{}` is already used by product {o}", p.code)));
    }
    for b in &p.barcodes {
        let owner: Option<i64> = c
            .prepare_cached("SELECT product_id FROM product_barcodes WHERE barcode = ?1 AND product_id <> ?2")?
            .query_row(params![b, p.id.0], |r| r.get(0))
            .optional()?;
        if let Some(o) = owner {
            return Err(StoreError::Conflict(format!("barcode {b} already belongs to product {o}")));
        }
    }
    if let Some(plu) = p.plu {
        let owner: Option<i64> = c
            .prepare_cached("SELECT id FROM products WHERE plu = ?1 AND id <> ?2")?
            .query_row(params![plu, p.id.0], |r| r.get(0))
            .optional()?;
        if let Some(o) = owner {
            return Err(StoreError::Conflict(format!("PLU {plu} already belongs to product {o}")));
        }
    }
    Ok(())
}

/// Writes a product's row and barcodes (insert when `p.id` is 0), returning its id.
fn write_product(tx: &Conn<'_>, p: &Product, now: i64) -> StoreResult<ProductId> {
    let values = params![
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
        status_code(p.status),
        now,
        p.brand.map(|b| b.0),
        p.id.0
    ];
    let id = if p.id.0 == 0 {
        tx.prepare_cached(
            "INSERT INTO products (code, name, short_name, category_id, unit, retail_price, member_price, vat,
             points_eligible, discount_eligible, weighed, plu, status, updated_at, brand_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) RETURNING id",
        )?
        .query_row(&values[..15], |r| r.get(0))
        .map(ProductId)?
    } else {
        tx.prepare_cached(
            "UPDATE products SET code = ?1, name = ?2, short_name = ?3, category_id = ?4, unit = ?5,
             retail_price = ?6, member_price = ?7, vat = ?8, points_eligible = ?9, discount_eligible = ?10,
             weighed = ?11, plu = ?12, status = ?13, updated_at = ?14, brand_id = ?15 WHERE id = ?16",
        )?
        .execute(values)?;
        tx.prepare_cached("DELETE FROM product_barcodes WHERE product_id = ?1")?.execute([p.id.0])?;
        p.id
    };
    let mut ins = tx.prepare_cached("INSERT INTO product_barcodes (barcode, product_id) VALUES (?1, ?2)")?;
    for b in &p.barcodes {
        ins.execute(params![b, id.0]).map_err(|e| {
            if is_constraint(&e) {
                StoreError::Conflict(format!("barcode {b} is used twice or by another product"))
            } else {
                e.into()
            }
        })?;
    }
    Ok(id)
}

fn load_category(c: &Conn<'_>, id: CategoryId) -> StoreResult<Category> {
    c.query_row("SELECT id, code, name, parent_id FROM categories WHERE id = ?1", [id.0], |r| {
        Ok(Category {
            id: CategoryId(r.get(0)?),
            code: r.get(1)?,
            name: r.get(2)?,
            parent: r.get::<_, Option<i64>>(3)?.map(CategoryId),
        })
    })
    .map_err(StoreError::from)
    .map_err(not_found(format!("category {}", id.0)))
}

/// Refuses a parent that does not exist or would make a cycle.
fn check_parent(c: &Conn<'_>, cat: &Category) -> StoreResult<()> {
    let mut next = cat.parent;
    let mut steps = 0;
    while let Some(p) = next {
        if p == cat.id {
            return Err(StoreError::Invalid(format!("category {} cannot be its own ancestor", cat.id.0)));
        }
        let parent =
            load_category(c, p).map_err(|_| StoreError::Invalid(format!("parent category {} does not exist", p.0)))?;
        next = parent.parent;
        steps += 1;
        if steps > 64 {
            return Err(StoreError::Invalid("categories nest too deep".into()));
        }
    }
    Ok(())
}

fn check_category_code(c: &Conn<'_>, cat: &Category) -> StoreResult<()> {
    let other: Option<i64> = c
        .query_row("SELECT id FROM categories WHERE code = ?1 AND id <> ?2", params![cat.code, cat.id.0], |r| r.get(0))
        .optional()?;
    match other {
        Some(o) => Err(StoreError::Conflict(format!("category code `{}` is already used by category {o}", cat.code))),
        None => Ok(()),
    }
}

impl CatalogStore for SqlStore {
    fn create_category(&self, actor: &Actor, category: Category) -> StoreResult<Category> {
        self.write(|tx| {
            let probe = Category { id: CategoryId(0), ..category };
            check_category_code(tx, &probe)?;
            check_parent(tx, &probe)?;
            let id = tx.query_row(
                "INSERT INTO categories (code, name, parent_id) VALUES (?1, ?2, ?3) RETURNING id",
                params![probe.code, probe.name, probe.parent.map(|p| p.0)],
                |r| r.get(0),
            )?;
            let created = Category { id: CategoryId(id), ..probe };
            emit(tx, &format!("category:{}", created.id.0), None, &Change::Category(created.clone()))?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                self.now(),
                "create",
                &format!("category:{}", created.id.0),
                None::<&()>,
                Some(&created),
            )?;
            Ok(created)
        })
    }

    fn update_category(&self, actor: &Actor, category: Category) -> StoreResult<Category> {
        self.write(|tx| {
            let before = load_category(tx, category.id)?;
            check_category_code(tx, &category)?;
            check_parent(tx, &category)?;
            tx.execute(
                "UPDATE categories SET code = ?2, name = ?3, parent_id = ?4 WHERE id = ?1",
                params![category.id.0, category.code, category.name, category.parent.map(|p| p.0)],
            )?;
            emit(tx, &format!("category:{}", category.id.0), None, &Change::Category(category.clone()))?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                self.now(),
                "update",
                &format!("category:{}", category.id.0),
                Some(&before),
                Some(&category),
            )?;
            Ok(category)
        })
    }

    fn list_categories(&self) -> StoreResult<Vec<Category>> {
        self.read(|c| {
            let mut st = c.prepare("SELECT id, code, name, parent_id FROM categories ORDER BY id")?;
            let rows = st
                .query_map([], |r| {
                    Ok(Category {
                        id: CategoryId(r.get(0)?),
                        code: r.get(1)?,
                        name: r.get(2)?,
                        parent: r.get::<_, Option<i64>>(3)?.map(CategoryId),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn create_product(&self, actor: &Actor, product: Product) -> StoreResult<Product> {
        self.write(|tx| {
            let probe = Product { id: ProductId(0), ..product };
            check_category(tx, probe.category)?;
            check_brand(tx, probe.brand)?;
            check_product_keys(tx, &probe)?;
            let id = write_product(tx, &probe, micros(self.now()))?;
            let created = Product { id, ..probe };
            emit(tx, &format!("product:{}", id.0), None, &Change::Product(created.clone()))?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                self.now(),
                "create",
                &format!("product:{}", id.0),
                None::<&()>,
                Some(&created),
            )?;
            Ok(created)
        })
    }

    fn update_product(&self, actor: &Actor, product: Product) -> StoreResult<Product> {
        self.write(|tx| {
            let before = load_product(tx, product.id)?;
            check_category(tx, product.category)?;
            check_brand(tx, product.brand)?;
            check_product_keys(tx, &product)?;
            write_product(tx, &product, micros(self.now()))?;
            emit(tx, &format!("product:{}", product.id.0), None, &Change::Product(product.clone()))?;
            let action = if before.status != product.status && product.status == ProductStatus::Delisted {
                "delist"
            } else {
                "update"
            };
            append_audit(
                tx,
                &self.audit_key,
                actor,
                self.now(),
                action,
                &format!("product:{}", product.id.0),
                Some(&before),
                Some(&product),
            )?;
            Ok(product)
        })
    }

    fn get_product(&self, id: ProductId) -> StoreResult<Product> {
        self.read(|c| load_product(c, id))
    }

    fn product_by_code(&self, code: &str) -> StoreResult<Option<Product>> {
        self.read(|c| {
            let p = c
                .prepare_cached(&format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE code = ?1"))?
                .query_row([code], product_row)
                .optional()?;
            p.map(|p| with_barcodes(c, p)).transpose()
        })
    }

    fn product_ids_by_code(&self, codes: &[String]) -> StoreResult<Vec<(String, ProductId)>> {
        let values: Vec<Value> = codes.iter().map(|c| Value::Text(c.clone())).collect();
        self.read(|c| {
            in_chunks(c, "SELECT code, id FROM products WHERE code IN", &values, |r| {
                Ok((r.get(0)?, ProductId(r.get(1)?)))
            })
        })
    }

    fn product_codes_by_id(&self, ids: &[ProductId]) -> StoreResult<Vec<(ProductId, String)>> {
        let values: Vec<Value> = ids.iter().map(|id| Value::Int(id.0)).collect();
        self.read(|c| {
            in_chunks(c, "SELECT id, code FROM products WHERE id IN", &values, |r| {
                Ok((ProductId(r.get(0)?), r.get(1)?))
            })
        })
    }

    fn product_by_barcode(&self, barcode: &str) -> StoreResult<Option<Product>> {
        self.read(|c| {
            let id: Option<i64> = c
                .prepare_cached("SELECT product_id FROM product_barcodes WHERE barcode = ?1")?
                .query_row([barcode], |r| r.get(0))
                .optional()?;
            id.map(|id| load_product(c, ProductId(id))).transpose()
        })
    }

    fn list_products(&self, after: i64, limit: u32, query: Option<&str>) -> StoreResult<Vec<Product>> {
        self.read(|c| {
            let rows = match query.map(str::trim).filter(|q| !q.is_empty()) {
                Some(q) => {
                    let pattern = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
                    let mut st = c.prepare_cached(&format!(
                        "SELECT {PRODUCT_COLUMNS} FROM products WHERE id > ?1
                         AND (code {like} ?2 ESCAPE '\\' OR name {like} ?2 ESCAPE '\\'
                              OR id IN (SELECT product_id FROM product_barcodes WHERE barcode = ?3))
                         ORDER BY id LIMIT ?4",
                        like = c.like()
                    ))?;
                    st.query_map(params![after, pattern, q, limit], product_row)?.collect::<Result<Vec<_>, _>>()?
                }
                None => {
                    let mut st = c.prepare_cached(&format!(
                        "SELECT {PRODUCT_COLUMNS} FROM products WHERE id > ?1 ORDER BY id LIMIT ?2"
                    ))?;
                    st.query_map(params![after, limit], product_row)?.collect::<Result<Vec<_>, _>>()?
                }
            };
            rows.into_iter().map(|p| with_barcodes(c, p)).collect()
        })
    }

    fn count_products(&self) -> StoreResult<u64> {
        self.read(|c| Ok(c.query_row("SELECT COUNT(*) FROM products", [], |r| r.get::<_, i64>(0))?.max(0) as u64))
    }

    fn import_rows(&self, actor: &Actor, rows: Vec<ImportRow>, progress: &dyn Fn(u64)) -> StoreResult<ImportSummary> {
        self.write(|tx| {
            let now = micros(self.now());
            let mut brands: std::collections::HashMap<String, BrandId> = std::collections::HashMap::new();
            let mut summary = ImportSummary::default();
            for (i, ImportRow { product: p, brand }) in rows.into_iter().enumerate() {
                check_category(tx, p.category)?;
                let existing: Option<i64> = tx
                    .prepare_cached("SELECT id FROM products WHERE code = ?1")?
                    .query_row([&p.code], |r| r.get(0))
                    .optional()?;
                let before = existing.map(|id| load_product(tx, ProductId(id))).transpose()?;
                let brand = match brand {
                    ImportBrand::AsGiven => {
                        check_brand(tx, p.brand)?;
                        p.brand
                    }
                    ImportBrand::Keep => before.as_ref().and_then(|b| b.brand),
                    ImportBrand::Code(code) => Some(match brands.get(&code) {
                        Some(id) => *id,
                        None => {
                            let id = match find_brand_by_code(tx, &code)? {
                                Some(b) => b.id,
                                None => {
                                    let new = Brand { id: BrandId(0), code: code.clone(), name: code.clone() };
                                    insert_brand(self, tx, actor, "import (create)", new)?.id
                                }
                            };
                            brands.insert(code, id);
                            id
                        }
                    }),
                };
                let p = Product { id: ProductId(existing.unwrap_or(0)), brand, ..p };
                if before.as_ref() == Some(&p) {
                    continue;
                }
                let id = write_product(tx, &p, now)?;
                let after = Product { id, ..p };
                emit(tx, &format!("product:{}", id.0), None, &Change::Product(after.clone()))?;
                let action = if before.is_some() { "import (update)" } else { "import (create)" };
                append_audit(
                    tx,
                    &self.audit_key,
                    actor,
                    self.now(),
                    action,
                    &format!("product:{}", id.0),
                    before.as_ref(),
                    Some(&after),
                )?;
                if before.is_some() {
                    summary.updated += 1;
                } else {
                    summary.created += 1;
                }
                if i % 1000 == 999 {
                    progress(i as u64 + 1);
                }
            }
            Ok(summary)
        })
    }

    fn create_brand(&self, actor: &Actor, brand: Brand) -> StoreResult<Brand> {
        self.write(|tx| insert_brand(self, tx, actor, "create", Brand { id: BrandId(0), ..brand }))
    }

    fn rename_brand(&self, actor: &Actor, id: BrandId, name: &str) -> StoreResult<Brand> {
        crate::rules::brand_name(name).map_err(StoreError::Invalid)?;
        self.write(|tx| {
            let before = tx
                .prepare_cached("SELECT id, code, name FROM brands WHERE id = ?1")?
                .query_row([id.0], brand_row)
                .optional()?
                .ok_or_else(|| StoreError::NotFound(format!("brand {}", id.0)))?;
            if before.name == name {
                return Ok(before);
            }
            tx.prepare_cached("UPDATE brands SET name = ?2 WHERE id = ?1")?.execute(params![id.0, name])?;
            let after = Brand { name: name.to_owned(), ..before.clone() };
            append_audit(
                tx,
                &self.audit_key,
                actor,
                self.now(),
                "rename",
                &format!("brand:{}", id.0),
                Some(&before),
                Some(&after),
            )?;
            Ok(after)
        })
    }

    fn list_brands(&self) -> StoreResult<Vec<BrandCount>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT b.id, b.code, b.name, (SELECT COUNT(*) FROM products p WHERE p.brand_id = b.id)
                 FROM brands b ORDER BY b.code",
            )?;
            let rows = st
                .query_map([], |r| {
                    Ok(BrandCount { brand: brand_row(r)?, products: r.get::<_, i64>(3)?.max(0) as u64 })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn brand_by_code(&self, code: &str) -> StoreResult<Option<Brand>> {
        self.read(|c| find_brand_by_code(c, code))
    }

    fn set_branch_price(&self, actor: &Actor, branch: BranchId, price: BranchPrice) -> StoreResult<BranchPrice> {
        self.write(|tx| {
            let exists: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM branches WHERE id = ?1)", [branch.0], |r| r.get(0))?;
            if !exists {
                return Err(StoreError::NotFound(format!("branch {branch}")));
            }
            load_product(tx, price.product)?;
            let before: Option<BranchPrice> = tx
                .query_row(
                    "SELECT price, member_price FROM branch_prices WHERE branch_id = ?1 AND product_id = ?2",
                    params![branch.0, price.product.0],
                    |r| {
                        Ok(BranchPrice {
                            product: price.product,
                            price: r.get::<_, Option<i64>>(0)?.map(Money),
                            member_price: r.get::<_, Option<i64>>(1)?.map(Money),
                        })
                    },
                )
                .optional()?;
            if price.price.is_none() && price.member_price.is_none() {
                tx.execute(
                    "DELETE FROM branch_prices WHERE branch_id = ?1 AND product_id = ?2",
                    params![branch.0, price.product.0],
                )?;
            } else {
                tx.execute(
                    "INSERT INTO branch_prices (branch_id, product_id, price, member_price, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (branch_id, product_id)
                     DO UPDATE SET price = excluded.price, member_price = excluded.member_price,
                                   updated_at = excluded.updated_at",
                    params![
                        branch.0,
                        price.product.0,
                        price.price.map(|m| m.0),
                        price.member_price.map(|m| m.0),
                        micros(self.now())
                    ],
                )?;
            }
            let entity = format!("branch_price:{}:{}", branch, price.product.0);
            emit(tx, &entity, Some(branch.0), &Change::BranchPrice(price.clone()))?;
            append_audit(tx, &self.audit_key, actor, self.now(), "set price", &entity, before.as_ref(), Some(&price))?;
            Ok(price)
        })
    }

    fn list_branch_prices(&self, branch: BranchId) -> StoreResult<Vec<BranchPrice>> {
        self.read(|c| {
            let exists: bool =
                c.query_row("SELECT EXISTS (SELECT 1 FROM branches WHERE id = ?1)", [branch.0], |r| r.get(0))?;
            if !exists {
                return Err(StoreError::NotFound(format!("branch {branch}")));
            }
            let mut st = c.prepare(
                "SELECT product_id, price, member_price FROM branch_prices WHERE branch_id = ?1 ORDER BY product_id",
            )?;
            let rows = st
                .query_map([branch.0], |r| {
                    Ok(BranchPrice {
                        product: ProductId(r.get(0)?),
                        price: r.get::<_, Option<i64>>(1)?.map(Money),
                        member_price: r.get::<_, Option<i64>>(2)?.map(Money),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }
}
