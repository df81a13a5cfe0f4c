//! Versioned schema migrations. Each is applied once, in order, in its own transaction, and
//! recorded in `schema_migrations`. Never edit a released migration: add the next one.
//!
//! The SQL keeps to what PostgreSQL also speaks (BIGINT, TEXT, partial indexes) apart from
//! `AUTOINCREMENT` and the SQLite trigger syntax, which a PostgreSQL schema replaces with an
//! identity column and `CREATE RULE`/trigger functions.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior};

use super::micros;
use super::schema_analysis::V17;
use super::schema_care::V13;
use super::schema_complaints::V15;
use super::schema_counts::V20;
use super::schema_expenses::{SQLITE_VERSION as V14_VERSION, V14};
use super::schema_jobs::V11;
use super::schema_member_pages::V10;
use super::schema_payments::V23;
use super::schema_promotions::{V6, V7, V8, V9};
use super::schema_refund_members::V18;
use super::schema_reorder::V21;
use super::schema_rollups::V16;
use super::schema_statements::V24;
use super::schema_stock::V19;
use super::schema_targets::V12;
use super::schema_till_stock::V22;
use crate::audit::{AuditKey, EntryFields, GENESIS, entry_hash};
use crate::store::{StoreError, StoreResult};

/// `(version, description, SQL)`.
pub const MIGRATIONS: &[(u32, &str, &str)] = &[
    (1, "core: users, branches, tills, staff, catalog, change feed, audit", V1),
    (2, "sync ingest: events, gaps, sales, refunds, shifts, day closes", V2),
    (3, "members: registry, cards, ledger, points lots, holds, top-ups, attribution, daily runs", V3),
    (4, "the branches members shopped at, for their tills' offline copies", V4),
    (5, "flags on accepted events; card numbers scrubbed from tender references", V5),
    (6, "promotions: the versioned promotion set and every promotion's revisions", V6),
    (7, "promotion discounts on sales and lines, and every promotion's fen on every line", V7),
    (8, "member coupons: campaigns, issued coupons, their holds, and the coupons each sale used", V8),
    (9, "brands: the catalog's brands and every product's brand", V9),
    (10, "member pages: members' code secrets and consent, their sessions, sign-in codes, the SMS log", V10),
    (11, "the console's long jobs, so any HQ process shows a job's progress", V11),
    (12, "targets: each branch's monthly targets by metric and category", V12),
    (13, "member care: care campaigns and each member's message", V13),
    (V14_VERSION, "expenses: subjects with editable names, and each branch's expense entries by month", V14),
    (15, "complaints: categories with their due time, complaints, every change to one", V15),
    (16, "each branch's business days in one row: sales, members' sales, refunds", V16),
    (17, "the nightly member analysis: RFM runs and the members each scored", V17),
    (18, "the member each refund paid back, so a member's trailing spend reads their refunds by an index", V18),
    (19, "stock per branch: the movement ledger and each branch and product's level", V19),
    (20, "stock counts: a count's snapshot and every figure its counters entered", V20),
    (21, "reorder settings: each branch and product's minimum, maximum, pack and supplier", V21),
    (22, "stock at the tills: each level's version for the tills' pull, the count batches tills sent", V22),
    (23, "the payment gateway: payment attempts, every call made to a provider, refunds", V23),
    (24, "the providers' daily statements, their rows, the files refused; payments by when paid", V24),
];

pub const LATEST: u32 = 24;

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

const V3: &str = r#"
-- The member registry. `points`, `sv_principal` and `sv_bonus` are the sums of the member's ledger
-- entries, kept for speed and checked against the ledger by tests; `points_deficit` is what refunds
-- took back beyond the member's lots (balance = sum of lots' remaining - deficit).
CREATE TABLE members (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    phone TEXT NULL UNIQUE,
    name TEXT NOT NULL,
    birthday TEXT NULL,
    tier TEXT NOT NULL,
    status TEXT NOT NULL,
    merged_into TEXT NULL,
    home_branch BIGINT NULL,
    enrolled_at BIGINT NOT NULL,
    enrolled_by TEXT NOT NULL,
    points BIGINT NOT NULL DEFAULT 0,
    points_deficit BIGINT NOT NULL DEFAULT 0,
    sv_principal BIGINT NOT NULL DEFAULT 0,
    sv_bonus BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);
CREATE INDEX members_name ON members(name);
CREATE INDEX members_home ON members(home_branch);

-- Member cards: the printed code and contactless UIDs, with what happened to them.
CREATE TABLE member_cards (
    id INTEGER PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES members(id),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (kind, value)
);
CREATE INDEX member_cards_member ON member_cards(member_id);

-- Every change to points or stored value: append-only, never updated or deleted.
CREATE TABLE ledger_entries (
    id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES members(id),
    kind TEXT NOT NULL,
    points BIGINT NOT NULL,
    principal BIGINT NOT NULL,
    bonus BIGINT NOT NULL,
    at BIGINT NOT NULL,
    business_day TEXT NOT NULL,
    branch_id BIGINT NULL,
    source TEXT NOT NULL,
    lot_id TEXT NULL,
    reason TEXT NULL,
    actor TEXT NOT NULL,
    UNIQUE (source, kind)
);
CREATE INDEX ledger_member ON ledger_entries(member_id, at);
CREATE INDEX ledger_day ON ledger_entries(business_day, kind);
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;

-- Each earning (and restore) is a lot with its own expiry; `remaining` is what is left of it.
CREATE TABLE points_lots (
    id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES members(id),
    earned_on TEXT NOT NULL,
    points BIGINT NOT NULL,
    remaining BIGINT NOT NULL,
    expires_on TEXT NULL,
    sale_id TEXT NULL
);
CREATE INDEX points_lots_member ON points_lots(member_id, remaining);
CREATE INDEX points_lots_expiry ON points_lots(expires_on, remaining);

-- Points and stored value reserved for a sale in progress at a till.
CREATE TABLE holds (
    id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES members(id),
    till_id BIGINT NOT NULL,
    sale_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    points BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    principal BIGINT NOT NULL,
    bonus BIGINT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    closed_at BIGINT NULL
);
CREATE INDEX holds_member ON holds(member_id, status);

-- Top-ups made online (idempotent by the till's request id), with the answer given.
CREATE TABLE topups (
    id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES members(id),
    amount BIGINT NOT NULL,
    principal BIGINT NOT NULL,
    bonus BIGINT NOT NULL,
    tender TEXT NOT NULL,
    till_id BIGINT NULL,
    branch_id BIGINT NULL,
    shift_id TEXT NULL,
    cashier_id BIGINT NULL,
    at BIGINT NOT NULL,
    balance_principal BIGINT NOT NULL,
    balance_bonus BIGINT NOT NULL
);

-- Sales for a member HQ could not identify yet (offline enrolment, an unknown card or phone):
-- credited when that member appears.
CREATE TABLE pending_attributions (
    sale_id TEXT PRIMARY KEY,
    identifier_kind TEXT NOT NULL,
    identifier TEXT NOT NULL,
    points BIGINT NOT NULL,
    policy_version BIGINT NOT NULL,
    branch_id BIGINT NOT NULL,
    business_day TEXT NOT NULL,
    spend BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    attributed_to TEXT NULL,
    attributed_at BIGINT NULL
);
CREATE INDEX pending_attributions_open ON pending_attributions(identifier_kind, identifier, attributed_to);

-- Members merged into another (the same phone enrolled twice).
CREATE TABLE member_merges (
    from_id TEXT PRIMARY KEY,
    into_id TEXT NOT NULL,
    at BIGINT NOT NULL
);

-- Tier changes, for the member's history and the daily job.
CREATE TABLE tier_changes (
    id INTEGER PRIMARY KEY,
    member_id TEXT NOT NULL,
    from_tier TEXT NOT NULL,
    to_tier TEXT NOT NULL,
    at BIGINT NOT NULL,
    why TEXT NOT NULL
);
CREATE INDEX tier_changes_member ON tier_changes(member_id);

-- The daily job, once per date.
CREATE TABLE member_daily_runs (
    day TEXT PRIMARY KEY,
    ran_at BIGINT NOT NULL,
    lots_expired BIGINT NOT NULL,
    points_expired BIGINT NOT NULL,
    tier_changes BIGINT NOT NULL,
    holds_expired BIGINT NOT NULL
);

CREATE TABLE member_code_seq (id INTEGER PRIMARY KEY CHECK (id = 1), next BIGINT NOT NULL);

ALTER TABLE member_policies ADD COLUMN created_by TEXT NOT NULL DEFAULT 'system';
"#;

const V4: &str = r#"
-- Branches a member shopped at recently: their tills get the member's snapshot for offline use too.
CREATE TABLE member_visits (
    member_id TEXT NOT NULL,
    branch_id BIGINT NOT NULL,
    last_day TEXT NOT NULL,
    PRIMARY KEY (member_id, branch_id)
);
"#;

const V5: &str = r#"
-- What HQ's checks found doubtful in an accepted event (a product it does not know, a card
-- number it masked), for a person to look at.
CREATE TABLE event_flags (
    event_id TEXT NOT NULL,
    flag TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX event_flags_event ON event_flags(event_id);

-- An account at an address that signed in successfully: slowed down, never locked, when others
-- guess that account's password from elsewhere.
CREATE TABLE login_known (
    key TEXT PRIMARY KEY,
    at BIGINT NOT NULL
);
"#;

/// Applies the migrations above the database's version, up to `target`.
pub(crate) fn migrate(conn: &mut Connection, target: u32, now: Timestamp, key: &AuditKey) -> StoreResult<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )?;
    let current: u32 = conn.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0))?;
    if current > LATEST {
        return Err(StoreError::Invalid(format!(
            "the database is at schema version {current}, newer than this HQ ({}); upgrade HQ",
            LATEST
        )));
    }
    for (version, description, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v > current && *v <= target) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        if *version == 5 {
            scrub_card_data(&tx)?;
            key_audit_chain(&tx, key)?;
        }
        tx.execute(
            "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![version, description, micros(now)],
        )?;
        tx.commit()?;
        tracing::info!(version, description, "applied schema migration");
    }
    Ok(())
}

/// Re-hashes an audit chain made before keying with HMAC under `key`, after checking it is intact
/// as it stands (a broken chain is refused, never laundered). A chain already keyed is left.
fn key_audit_chain(tx: &Connection, key: &AuditKey) -> StoreResult<()> {
    use crate::audit::{ChainChecker, plain_hash};
    type Row = (i64, i64, String, String, String, String, String, String, String, String);
    let rows: Vec<Row> = tx
        .prepare(
            "SELECT id, at, actor, client, action, entity, before, after, prev_hash, hash FROM audit_log ORDER BY id",
        )?
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    fn fields(r: &Row) -> EntryFields<'_> {
        EntryFields { id: r.0, at: r.1, actor: &r.2, from: &r.3, action: &r.4, entity: &r.5, before: &r.6, after: &r.7 }
    }
    let head: Option<(i64, String)> = tx
        .query_row("SELECT last_id, last_hash FROM audit_head WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let verdict = |mut checker: ChainChecker| {
        for r in &rows {
            checker.check(&fields(r), &r.8, &r.9);
        }
        checker.finish(head.clone()).1
    };
    if verdict(ChainChecker::new(key)).is_empty() {
        return Ok(());
    }
    let problems = verdict(ChainChecker::unkeyed());
    if !problems.is_empty() {
        return Err(StoreError::Invalid(format!(
            "the audit log is broken ({}); HQ will not key a broken chain: restore it from a backup",
            problems.join("; ")
        )));
    }
    tx.execute_batch("DROP TRIGGER audit_log_no_update")?;
    let mut prev = GENESIS.to_owned();
    for r in &rows {
        debug_assert_eq!(plain_hash(&r.8, &fields(r)), r.9);
        let hash = entry_hash(key, &prev, &fields(r));
        tx.execute("UPDATE audit_log SET prev_hash = ?2, hash = ?3 WHERE id = ?1", rusqlite::params![r.0, prev, hash])?;
        prev = hash;
    }
    if let Some(last) = rows.last() {
        tx.execute("UPDATE audit_head SET last_id = ?1, last_hash = ?2 WHERE id = 1", rusqlite::params![last.0, prev])?;
    }
    tx.execute_batch(
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
         BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    )?;
    tracing::info!(entries = rows.len(), "keyed the audit chain");
    Ok(())
}

/// Masks card numbers and track data that tills sent as tender references before HQ checked for
/// them (PCI DSS 3.2, 3.4): in the sales' and refunds' tenders and in the stored events.
fn scrub_card_data(tx: &Connection) -> StoreResult<()> {
    use shared::card_data::{holds_card_data, mask_card_data};
    for table in ["sale_tenders", "refund_tenders"] {
        let key = if table == "sale_tenders" { "sale_id" } else { "refund_id" };
        let rows: Vec<(String, i64, String)> = tx
            .prepare(&format!("SELECT {key}, idx, reference FROM {table} WHERE reference IS NOT NULL"))?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        for (id, idx, reference) in rows.into_iter().filter(|(_, _, r)| holds_card_data(r)) {
            tx.execute(
                &format!("UPDATE {table} SET reference = ?3 WHERE {key} = ?1 AND idx = ?2"),
                rusqlite::params![id, idx, mask_card_data(&reference)],
            )?;
        }
    }
    let events: Vec<(String, String)> = tx
        .prepare(
            "SELECT id, payload FROM events WHERE kind IN ('sale_completed', 'sale_refunded', 'sale_voided')
             AND payload LIKE '%\"reference\":\"%'",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut scrubbed = 0;
    for (id, payload) in events {
        let mut event: shared::sync::Event = serde_json::from_str(&payload)?;
        if crate::event_checks::mask_card_data(&mut event) {
            tx.execute(
                "UPDATE events SET payload = ?2 WHERE id = ?1",
                rusqlite::params![id, serde_json::to_string(&event)?],
            )?;
            scrubbed += 1;
        }
    }
    if scrubbed > 0 {
        tracing::warn!(events = scrubbed, "masked card numbers in stored events");
    }
    Ok(())
}
