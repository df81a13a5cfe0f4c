//! The member each refund paid back (SQLite's version 18, PostgreSQL's version 14): the member
//! of the refunded sale, kept on the refund so a member's trailing spend reads their own refunds
//! by an index instead of probing the refunds of every sale they made (5,000 probes for a member
//! with 5,000 sales: the member pages' home page on PostgreSQL). Ingest keeps it equal to the
//! sale's member: when a refund is stored (HQ refuses a refund of a sale it has not received) and
//! when a sale is put under a member later. `refunds.member_id`
//! stays what it was: the member the refund event itself named. With it, the lots a member can
//! still use by their expiry, so their usable points and what expires next are read from the
//! index (a long-time member has thousands of lots). The same SQL on both stores; the version
//! fills the column from what is stored.

/// The column, its back-fill and its index, in both dialects.
const SQL: &str = r#"
ALTER TABLE refunds ADD COLUMN sale_member_id TEXT NULL;
UPDATE refunds SET sale_member_id = (SELECT s.member_id FROM sales s WHERE s.id = refunds.sale_id)
WHERE sale_id IS NOT NULL;
CREATE INDEX refunds_sale_member_day ON refunds(sale_member_id, business_day) WHERE sale_member_id IS NOT NULL;
CREATE INDEX points_lots_usable ON points_lots(member_id, expires_on, remaining) WHERE remaining > 0;
"#;

/// SQLite's version 18.
pub(super) const V18: &str = SQL;

/// PostgreSQL's version 14.
pub(super) const PG_V14: &str = SQL;
