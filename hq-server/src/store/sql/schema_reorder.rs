//! Reorder settings (SQLite's version 21, PostgreSQL's version 17): each branch and product's
//! minimum, maximum and pack, and the supplier it is ordered from. A shelf below its minimum is
//! suggested up to its maximum in whole packs (`shared::stock::reorder`).

/// SQLite's version 21.
pub(super) const V21: &str = r#"
CREATE TABLE stock_settings (
    branch_id BIGINT NOT NULL REFERENCES branches(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    min_qty BIGINT NOT NULL CHECK (min_qty >= 0),
    max_qty BIGINT NOT NULL,
    pack_qty BIGINT NOT NULL CHECK (pack_qty > 0),
    supplier_id BIGINT NULL REFERENCES suppliers(id),
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (branch_id, product_id),
    CHECK (max_qty >= min_qty)
);
CREATE INDEX stock_settings_supplier ON stock_settings(supplier_id);
"#;

/// PostgreSQL's version 17: the same.
pub(super) const PG_V17: &str = V21;
