//! Targets (计划): each branch's target for each month of a year, per metric and, for sales, per
//! category; in both stores' dialects: SQLite's version 12 and PostgreSQL's version 8.

/// SQLite's version 12.
pub(super) const V12: &str = r#"
CREATE TABLE targets (
    branch_id BIGINT NOT NULL REFERENCES branches(id),
    year BIGINT NOT NULL,
    -- `sales` (fen), `new_members` (members), `member_share` (basis points).
    metric TEXT NOT NULL,
    -- 0: the whole branch; otherwise the sales of this category (and its subcategories).
    category_id BIGINT NOT NULL DEFAULT 0,
    month BIGINT NOT NULL CHECK (month BETWEEN 1 AND 12),
    amount BIGINT NOT NULL CHECK (amount >= 0),
    -- How the year was split: `even`, `last_year` or `typed`.
    split TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (branch_id, year, metric, category_id, month)
);
CREATE INDEX targets_year ON targets(year, metric, category_id);
"#;

/// PostgreSQL's version 8: the same.
pub(super) const PG_V8: &str = r#"
CREATE TABLE targets (
    branch_id BIGINT NOT NULL REFERENCES branches(id),
    year BIGINT NOT NULL,
    metric TEXT NOT NULL,
    category_id BIGINT NOT NULL DEFAULT 0,
    month BIGINT NOT NULL CHECK (month BETWEEN 1 AND 12),
    amount BIGINT NOT NULL CHECK (amount >= 0),
    split TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (branch_id, year, metric, category_id, month)
);
CREATE INDEX targets_year ON targets(year, metric, category_id);
"#;
