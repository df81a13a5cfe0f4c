//! Versioned schema migrations. Each is applied once, in order, in its own transaction, and
//! recorded in `schema_migrations`. Never edit a released migration: add the next one.
//!
//! The SQL keeps to what PostgreSQL also speaks (BIGINT, TEXT, partial indexes) apart from
//! `AUTOINCREMENT` and the SQLite trigger syntax, which a PostgreSQL schema replaces with an
//! identity column and `CREATE RULE`/trigger functions.

/// `(version, description, SQL)`.
pub const MIGRATIONS: &[(u32, &str, &str)] = &[
    (1, "core: users, branches, tills, staff, catalog, change feed, audit", V1),
    (2, "sync ingest: events, gaps, sales, refunds, shifts, day closes", V2),
];

pub const LATEST: u32 = 2;

const V1: &str = r#"
CREATE TABLE branches (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    settings TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    branch_id BIGINT NULL REFERENCES branches(id),
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures(key, at);

CREATE TABLE tills (
    id INTEGER PRIMARY KEY,
    branch_id BIGINT NOT NULL REFERENCES branches(id),
    number INTEGER NOT NULL,
    name TEXT NOT NULL,
    device_name TEXT NULL,
    code_hash TEXT NULL UNIQUE,
    code_expires_at BIGINT NULL,
    token_hash TEXT NULL UNIQUE,
    enrolled_at BIGINT NULL,
    revoked_at BIGINT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (branch_id, number)
);

CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    branch_id BIGINT NOT NULL REFERENCES branches(id),
    login TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    pin_hash TEXT NOT NULL,
    active INTEGER NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (branch_id, login)
);

CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    parent_id BIGINT NULL REFERENCES categories(id)
);

CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    category_id BIGINT NOT NULL REFERENCES categories(id),
    unit TEXT NOT NULL,
    retail_price BIGINT NOT NULL,
    member_price BIGINT NULL,
    vat BIGINT NOT NULL,
    points_eligible INTEGER NOT NULL,
    discount_eligible INTEGER NOT NULL,
    weighed INTEGER NOT NULL,
    plu BIGINT NULL,
    status TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX products_plu ON products(plu) WHERE plu IS NOT NULL;

CREATE TABLE product_barcodes (
    barcode TEXT PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products(id)
);
CREATE INDEX product_barcodes_product ON product_barcodes(product_id);

CREATE TABLE branch_prices (
    branch_id BIGINT NOT NULL REFERENCES branches(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    price BIGINT NULL,
    member_price BIGINT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (branch_id, product_id)
);

CREATE TABLE member_policies (
    version BIGINT PRIMARY KEY,
    effective_from BIGINT NOT NULL,
    policy TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The change feed the tills pull: one row per entity, moved to a new, higher seq whenever the
-- entity changes, so a new till pulls exactly the current state and an old one what changed.
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    entity TEXT NOT NULL UNIQUE,
    branch_id BIGINT NULL,
    payload TEXT NOT NULL
);

CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    client TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    before TEXT NOT NULL,
    after TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_id BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
"#;

const V2: &str = r#"
-- Every event a till pushed, accepted or rejected (with its reason), forever: the dedup key.
CREATE TABLE events (
    id TEXT PRIMARY KEY,
    till_id BIGINT NOT NULL REFERENCES tills(id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    till_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX events_till_seq ON events(till_id, seq);
CREATE INDEX events_rejected ON events(till_id, status);

CREATE TABLE till_sync (
    till_id BIGINT PRIMARY KEY REFERENCES tills(id),
    next_seq BIGINT NOT NULL,
    last_push_at BIGINT NULL,
    clock_skew_seconds BIGINT NULL
);

CREATE TABLE seq_gaps (
    id INTEGER PRIMARY KEY,
    till_id BIGINT NOT NULL REFERENCES tills(id),
    expected BIGINT NOT NULL,
    received BIGINT NOT NULL,
    detected_at BIGINT NOT NULL,
    filled_at BIGINT NULL
);
CREATE INDEX seq_gaps_till ON seq_gaps(till_id, filled_at);

CREATE TABLE sales (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    receipt_no TEXT NOT NULL UNIQUE,
    branch_id BIGINT NOT NULL,
    till_id BIGINT NOT NULL,
    shift_id TEXT NOT NULL,
    cashier_id BIGINT NOT NULL,
    completed_at BIGINT NOT NULL,
    business_day TEXT NOT NULL,
    gross BIGINT NOT NULL,
    member_savings BIGINT NOT NULL,
    manual_discounts BIGINT NOT NULL,
    order_discount BIGINT NOT NULL,
    total BIGINT NOT NULL,
    rounding BIGINT NOT NULL,
    due BIGINT NOT NULL,
    change_given BIGINT NOT NULL,
    change_to_stored_value BIGINT NOT NULL,
    points_eligible_net BIGINT NOT NULL,
    member_id TEXT NULL,
    member_identifier TEXT NULL,
    member_tier TEXT NULL,
    points_earned BIGINT NOT NULL,
    policy_version BIGINT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX sales_branch_day ON sales(branch_id, business_day);
CREATE INDEX sales_member ON sales(member_id);

CREATE TABLE sale_lines (
    sale_id TEXT NOT NULL REFERENCES sales(id),
    line_no INTEGER NOT NULL,
    product_id BIGINT NOT NULL,
    product_code TEXT NOT NULL,
    barcode TEXT NULL,
    name TEXT NOT NULL,
    category_id BIGINT NOT NULL,
    unit TEXT NOT NULL,
    vat BIGINT NOT NULL,
    qty BIGINT NOT NULL,
    base_unit BIGINT NOT NULL,
    unit_price BIGINT NOT NULL,
    gross BIGINT NOT NULL,
    member_saving BIGINT NOT NULL,
    manual_discount BIGINT NOT NULL,
    order_discount BIGINT NOT NULL,
    net BIGINT NOT NULL,
    points_eligible INTEGER NOT NULL,
    PRIMARY KEY (sale_id, line_no)
);

CREATE TABLE sale_tenders (
    sale_id TEXT NOT NULL REFERENCES sales(id),
    idx INTEGER NOT NULL,
    kind TEXT NOT NULL,
    amount BIGINT NOT NULL,
    tendered BIGINT NOT NULL,
    reference TEXT NULL,
    points BIGINT NOT NULL,
    sv_principal BIGINT NULL,
    sv_bonus BIGINT NULL,
    hold_id TEXT NULL,
    PRIMARY KEY (sale_id, idx)
);

CREATE TABLE refunds (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    sale_id TEXT NULL,
    original_receipt TEXT NULL,
    receipt_no TEXT NOT NULL UNIQUE,
    branch_id BIGINT NOT NULL,
    till_id BIGINT NOT NULL,
    shift_id TEXT NOT NULL,
    cashier_id BIGINT NOT NULL,
    approved_by BIGINT NULL,
    refunded_at BIGINT NOT NULL,
    business_day TEXT NOT NULL,
    reason TEXT NOT NULL,
    total BIGINT NOT NULL,
    rounding BIGINT NOT NULL,
    points_taken_back BIGINT NOT NULL,
    points_restored BIGINT NOT NULL,
    member_id TEXT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX refunds_sale ON refunds(sale_id);
CREATE INDEX refunds_branch_day ON refunds(branch_id, business_day);

CREATE TABLE refund_lines (
    refund_id TEXT NOT NULL REFERENCES refunds(id),
    idx INTEGER NOT NULL,
    sale_line INTEGER NULL,
    product_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    vat BIGINT NOT NULL,
    qty BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    points_eligible INTEGER NOT NULL,
    PRIMARY KEY (refund_id, idx)
);

CREATE TABLE refund_tenders (
    refund_id TEXT NOT NULL REFERENCES refunds(id),
    idx INTEGER NOT NULL,
    kind TEXT NOT NULL,
    amount BIGINT NOT NULL,
    tendered BIGINT NOT NULL,
    reference TEXT NULL,
    points BIGINT NOT NULL,
    sv_principal BIGINT NULL,
    sv_bonus BIGINT NULL,
    PRIMARY KEY (refund_id, idx)
);

CREATE TABLE shifts (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    till_id BIGINT NOT NULL,
    branch_id BIGINT NOT NULL,
    cashier_id BIGINT NOT NULL,
    opened_at BIGINT NOT NULL,
    business_day TEXT NOT NULL,
    float_amount BIGINT NOT NULL,
    float_count TEXT NOT NULL
);
CREATE INDEX shifts_branch_day ON shifts(branch_id, business_day);

CREATE TABLE z_reports (
    till_id BIGINT NOT NULL,
    z_number BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    shift_id TEXT NOT NULL,
    branch_id BIGINT NOT NULL,
    cashier_id BIGINT NOT NULL,
    closed_at BIGINT NOT NULL,
    business_day TEXT NOT NULL,
    cash_count TEXT NOT NULL,
    expected BIGINT NOT NULL,
    counted BIGINT NULL,
    over_short BIGINT NULL,
    report TEXT NOT NULL,
    PRIMARY KEY (till_id, z_number)
);
CREATE UNIQUE INDEX z_reports_shift ON z_reports(shift_id);
CREATE INDEX z_reports_branch_day ON z_reports(branch_id, business_day);

CREATE TABLE cash_movements (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    till_id BIGINT NOT NULL,
    branch_id BIGINT NOT NULL,
    shift_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount BIGINT NOT NULL,
    reason TEXT NOT NULL,
    cashier_id BIGINT NOT NULL,
    approved_by BIGINT NULL,
    at BIGINT NOT NULL,
    member_id TEXT NULL
);

CREATE TABLE day_closes (
    till_id BIGINT NOT NULL,
    business_day TEXT NOT NULL,
    event_id TEXT NOT NULL,
    branch_id BIGINT NOT NULL,
    closed_by BIGINT NOT NULL,
    closed_at BIGINT NOT NULL,
    z_numbers TEXT NOT NULL,
    summary TEXT NOT NULL,
    PRIMARY KEY (till_id, business_day)
);

-- Members enrolled at tills, kept as they came; the member registry (issue 6) takes them from here.
CREATE TABLE member_enrolments (
    event_id TEXT PRIMARY KEY,
    till_id BIGINT NOT NULL,
    branch_id BIGINT NOT NULL,
    member_id TEXT NOT NULL,
    phone TEXT NOT NULL,
    payload TEXT NOT NULL
);

-- Approvals and traceable actions at the tills (overrides, drawer opens, lock-outs).
CREATE TABLE till_audit (
    event_id TEXT PRIMARY KEY,
    till_id BIGINT NOT NULL,
    branch_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    action TEXT NOT NULL,
    actor_id BIGINT NOT NULL,
    approver_id BIGINT NULL,
    detail TEXT NOT NULL,
    sale_id TEXT NULL
);
"#;
