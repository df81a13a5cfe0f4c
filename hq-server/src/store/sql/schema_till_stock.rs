//! Stock at the tills (SQLite's version 22, PostgreSQL's version 18): what a till pulls of its
//! branch's on hand, and the batches of count lines tills sent.
//!
//! `stock_levels.version` says when HQ last wrote a level, in the order HQ writes: every write
//! stamps the level with one more than the largest stock movement id there is (each level write
//! comes with its movement, and writes are serialised, SQLite's one writer and PostgreSQL's
//! advisory lock), so any later transaction's stamp is larger than every stamp committed before
//! it. A till pulls the levels of its branch written after the `(version, product)` it last had,
//! by the index on `(branch_id, version, product_id)`. `last_movement_at` is no cursor: it is
//! when goods moved (a sale made offline days ago is older than levels written since). Levels
//! written before this version keep version 0: a till's first pull takes them all.
//!
//! `stock_count_batches` keeps every batch of count lines a till sent, by the till's batch id, so
//! a batch sent again (its answer lost) is answered as the first time and entered once.

/// SQLite's version 22.
pub(super) const V22: &str = r#"
ALTER TABLE stock_levels ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX stock_levels_version ON stock_levels(branch_id, version, product_id);
CREATE TABLE stock_count_batches (
    batch_id TEXT PRIMARY KEY,
    count_id BIGINT NOT NULL REFERENCES stock_counts(id),
    till_id BIGINT NOT NULL,
    counter TEXT NOT NULL,
    lines BIGINT NOT NULL,
    -- The first entry's seq in the count; the batch's entries are the next `lines`.
    first_seq BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL
);
"#;

/// PostgreSQL's version 18: the same (adding a column with a constant default rewrites nothing).
pub(super) const PG_V18: &str = V22;
