//! Each branch's business days in one row (SQLite's version 16, PostgreSQL's version 12): the
//! sales' count and money, the members' part of it and what refunds paid back, kept by ingest in
//! the transaction that stores the sale or refund. Plan against actual reads these rows (500
//! branches × a year is 182,500 rows) instead of every sale of the year. The same SQL on both
//! stores; the version fills the table from the sales and refunds already stored.

/// The table and its back-fill, in both dialects.
const SQL: &str = r#"
CREATE TABLE branch_days (
    branch_id BIGINT NOT NULL,
    business_day TEXT NOT NULL,
    sales BIGINT NOT NULL DEFAULT 0,
    due BIGINT NOT NULL DEFAULT 0,
    member_due BIGINT NOT NULL DEFAULT 0,
    refunded BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (branch_id, business_day)
);
INSERT INTO branch_days (branch_id, business_day, sales, due, member_due)
SELECT branch_id, business_day, COUNT(*), SUM(due), SUM(CASE WHEN member_id IS NULL THEN 0 ELSE due END)
FROM sales GROUP BY branch_id, business_day;
INSERT INTO branch_days (branch_id, business_day, refunded)
SELECT branch_id, business_day, SUM(total + rounding) FROM refunds WHERE 1 = 1 GROUP BY branch_id, business_day
ON CONFLICT (branch_id, business_day) DO UPDATE SET refunded = excluded.refunded;
"#;

/// SQLite's version 16.
pub(super) const V16: &str = SQL;

/// PostgreSQL's version 12.
pub(super) const PG_V12: &str = SQL;
