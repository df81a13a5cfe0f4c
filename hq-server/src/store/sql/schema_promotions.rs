//! The SQLite migrations of promotions, coupons and brands (versions 6–9 of [`super::schema`],
//! which runs them; PostgreSQL's mirror is in [`super::schema_pg`]).

pub(super) const V7: &str = r#"
-- What promotions took off each sale and line (tills before this version sent none: 0), and every
-- promotion's fen on every line, for the promotion cost report.
ALTER TABLE sales ADD COLUMN promotion_discounts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sale_lines ADD COLUMN promotion_discount BIGINT NOT NULL DEFAULT 0;
CREATE TABLE sale_line_promotions (
    sale_id TEXT NOT NULL REFERENCES sales(id),
    line_no BIGINT NOT NULL,
    position BIGINT NOT NULL,
    promotion_id BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (sale_id, line_no, position)
);
CREATE INDEX sale_line_promotions_promotion ON sale_line_promotions(promotion_id);
"#;

pub(super) const V8: &str = r#"
-- Coupon campaigns (券): what their coupons give (`kind`, a `shared::promotions::coupons::CouponKind`
-- as JSON), the offline rule, and how long a coupon is valid: `days_valid` from its issue, or the
-- fixed instants `valid_from`..`valid_until`.
CREATE TABLE coupon_campaigns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    offline_cap BIGINT NULL,
    days_valid BIGINT NULL,
    valid_from BIGINT NULL,
    valid_until BIGINT NULL,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    ended_at BIGINT NULL,
    ended_by TEXT NULL
);

-- Every coupon issued to a member: its secret (the code is `CP{campaign}-{id}-{secret}{check}`),
-- its validity, and where it stands: `issued`, `held` (by `hold_id` until `hold_expires_at`; a
-- passed hold is usable again) or `redeemed` (by a sale). Expired is computed from `valid_until`.
-- One coupon per member per issue batch.
CREATE TABLE coupons (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id BIGINT NOT NULL REFERENCES coupon_campaigns(id),
    member_id TEXT NOT NULL REFERENCES members(id),
    secret TEXT NOT NULL,
    batch TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    valid_from BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    status TEXT NOT NULL,
    hold_id TEXT NULL,
    hold_till BIGINT NULL,
    hold_sale TEXT NULL,
    hold_expires_at BIGINT NULL,
    redeemed_sale TEXT NULL,
    redeemed_branch BIGINT NULL,
    redeemed_at BIGINT NULL,
    redeemed_discount BIGINT NULL,
    UNIQUE (campaign_id, batch, member_id)
);
CREATE INDEX coupons_member ON coupons(member_id, valid_until);
CREATE INDEX coupons_campaign ON coupons(campaign_id, status);
CREATE INDEX coupons_redeemed_sale ON coupons(redeemed_sale);

-- Every hold a till took on a coupon (idempotent by the till's hold id) and how it ended:
-- `held`, `released`, `captured` or `lapsed` (another sale took the coupon after it expired).
CREATE TABLE coupon_holds (
    id TEXT PRIMARY KEY,
    coupon_id BIGINT NOT NULL REFERENCES coupons(id),
    till_id BIGINT NOT NULL,
    sale_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    closed_at BIGINT NULL
);
CREATE INDEX coupon_holds_coupon ON coupon_holds(coupon_id);

-- What coupons took off each sale and line (tills before this version sent none: 0), and the
-- coupons each sale used as its till recorded them: with the hold or taken offline, and
-- whether HQ redeemed the coupon for it (a doubtful one is flagged, not redeemed).
ALTER TABLE sales ADD COLUMN coupon_discounts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sale_lines ADD COLUMN coupon_discount BIGINT NOT NULL DEFAULT 0;
CREATE TABLE sale_coupons (
    sale_id TEXT NOT NULL REFERENCES sales(id),
    position BIGINT NOT NULL,
    coupon_id BIGINT NOT NULL,
    code TEXT NOT NULL,
    hold_id TEXT NULL,
    discount BIGINT NOT NULL,
    offline BIGINT NOT NULL,
    redeemed BIGINT NOT NULL,
    PRIMARY KEY (sale_id, position)
);
CREATE INDEX sale_coupons_coupon ON sale_coupons(coupon_id);
"#;

pub(super) const V9: &str = r#"
-- Brands (品牌): products name theirs; promotions and coupons scope by them. `code` is what staff
-- type in CSV files and forms.
CREATE TABLE brands (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
ALTER TABLE products ADD COLUMN brand_id BIGINT NULL REFERENCES brands(id);
CREATE INDEX products_brand ON products(brand_id);
"#;

pub(super) const V6: &str = r#"
-- The promotion set's version: one row, taken up by one on every write to the set (the row is
-- made by the first write, so a new database stays empty for a move into it).
CREATE TABLE promotion_set_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);

-- One row per promotion: what the list filters and searches on, and where it stands.
CREATE TABLE promotions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    date_from TEXT NOT NULL,
    date_to TEXT NOT NULL,
    -- The set version of its newest revision, or of its withdrawal.
    version BIGINT NOT NULL,
    withdrawn_version BIGINT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX promotions_dates ON promotions(date_to, date_from);

-- Every revision of every promotion: in the set from `version_from` (included) to `version_to`
-- (excluded; NULL while it is the newest and not withdrawn). The set at a version is the
-- revisions whose range holds it.
CREATE TABLE promotion_revisions (
    promotion_id BIGINT NOT NULL REFERENCES promotions(id),
    version_from BIGINT NOT NULL,
    version_to BIGINT NULL,
    promotion TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (promotion_id, version_from)
);
CREATE INDEX promotion_revisions_range ON promotion_revisions(version_from, version_to);
"#;
