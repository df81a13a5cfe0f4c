//! The till database's schema, as an ordered list of migrations. A database records how many it
//! has applied (`PRAGMA user_version`); opening runs the rest, each in its own transaction, so an
//! older database is upgraded in place.

use rusqlite::{Connection, Transaction};

use super::search::index_terms;

/// One step of the schema.
pub struct Migration {
    pub name: &'static str,
    pub apply: fn(&Transaction<'_>) -> rusqlite::Result<()>,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration { name: "initial schema", apply: v1 },
    Migration { name: "product search index (name, pinyin initials, code)", apply: v2 },
    Migration { name: "witnesses of HQ's audit chain", apply: v3 },
    Migration { name: "promotions pulled from HQ", apply: v4 },
    Migration { name: "coupon campaigns pulled from HQ, coupons taken offline", apply: v5 },
    Migration { name: "a product's brand, for promotions by brand", apply: v6 },
    Migration { name: "complaint categories pulled from HQ, complaints taken at the till", apply: v7 },
    Migration { name: "the branch's on hand and open counts pulled from HQ, count lines taken at the till", apply: v8 },
    Migration { name: "payments by code (WeChat Pay, Alipay): every attempt, written before it is sent", apply: v9 },
    Migration {
        name: "refunds by code: a return's refunds to WeChat Pay / Alipay, written before they are sent",
        apply: v10,
    },
    Migration { name: "bank cards on the payment terminal: every request, written before it is sent", apply: v11 },
];

/// The schema version a fully migrated database has.
pub fn latest_version() -> u32 {
    MIGRATIONS.len() as u32
}

pub(crate) fn version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Applies every migration after the database's version, up to `target`.
pub(crate) fn migrate_to(conn: &mut Connection, target: u32) -> rusqlite::Result<()> {
    let current = version(conn)?;
    for (i, m) in MIGRATIONS.iter().enumerate().skip(current as usize).take(target.saturating_sub(current) as usize) {
        let tx = conn.transaction()?;
        tracing::info!(step = i + 1, name = m.name, "migrating till database");
        (m.apply)(&tx)?;
        tx.pragma_update(None, "user_version", i as u32 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

fn v1(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        r#"
        -- Who this till is, its HQ, and the pull cursor.
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

        -- Pulled from HQ.
        CREATE TABLE branch (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
        CREATE TABLE staff (
            id INTEGER PRIMARY KEY,
            login TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            pin_hash TEXT NOT NULL,
            active INTEGER NOT NULL
        );
        CREATE TABLE categories (id INTEGER PRIMARY KEY, code TEXT NOT NULL, name TEXT NOT NULL, parent INTEGER);
        CREATE TABLE products (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL,
            name TEXT NOT NULL,
            short_name TEXT NOT NULL,
            category INTEGER NOT NULL,
            unit TEXT NOT NULL,
            retail_price INTEGER NOT NULL,
            member_price INTEGER,
            vat INTEGER NOT NULL,
            points_eligible INTEGER NOT NULL,
            discount_eligible INTEGER NOT NULL,
            weighed INTEGER NOT NULL,
            plu INTEGER,
            status TEXT NOT NULL
        );
        CREATE INDEX products_code ON products (code);
        CREATE INDEX products_plu ON products (plu) WHERE plu IS NOT NULL;
        CREATE TABLE barcodes (code TEXT PRIMARY KEY, product_id INTEGER NOT NULL) WITHOUT ROWID;
        CREATE INDEX barcodes_product ON barcodes (product_id);
        CREATE TABLE branch_prices (product_id INTEGER PRIMARY KEY, price INTEGER, member_price INTEGER);
        CREATE TABLE policies (version INTEGER PRIMARY KEY, effective_from TEXT NOT NULL, json TEXT NOT NULL);
        CREATE TABLE members (
            id TEXT PRIMARY KEY,
            code TEXT UNIQUE,
            phone TEXT UNIQUE,
            json TEXT NOT NULL,
            provisional INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE member_uids (uid TEXT PRIMARY KEY, member_id TEXT NOT NULL);
        CREATE TABLE member_merges (from_id TEXT PRIMARY KEY, into_id TEXT NOT NULL);

        -- What the till does.
        CREATE TABLE sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        CREATE TABLE staff_lockouts (staff_id INTEGER PRIMARY KEY, failures INTEGER NOT NULL, locked_until TEXT);
        CREATE TABLE shifts (
            id TEXT PRIMARY KEY,
            cashier INTEGER NOT NULL,
            opened_at TEXT NOT NULL,
            business_day TEXT NOT NULL,
            float INTEGER NOT NULL,
            float_json TEXT NOT NULL,
            closed_at TEXT,
            z_number INTEGER UNIQUE,
            count_json TEXT,
            report_json TEXT
        );
        CREATE TABLE sales (
            id TEXT PRIMARY KEY,
            receipt_no TEXT NOT NULL UNIQUE,
            shift_id TEXT NOT NULL,
            cashier INTEGER NOT NULL,
            completed_at TEXT NOT NULL,
            business_day TEXT NOT NULL,
            total INTEGER NOT NULL,
            due INTEGER NOT NULL,
            member_id TEXT,
            member_identifier TEXT,
            points_earned INTEGER NOT NULL,
            policy_version INTEGER NOT NULL,
            json TEXT NOT NULL
        );
        CREATE INDEX sales_shift ON sales (shift_id);
        CREATE INDEX sales_day ON sales (business_day);
        CREATE INDEX sales_member ON sales (member_id);
        CREATE TABLE sale_lines (
            sale_id TEXT NOT NULL,
            line_no INTEGER NOT NULL,
            product_id INTEGER NOT NULL,
            qty INTEGER NOT NULL,
            gross INTEGER NOT NULL,
            member_saving INTEGER NOT NULL,
            manual_discount INTEGER NOT NULL,
            order_discount INTEGER NOT NULL,
            net INTEGER NOT NULL,
            vat INTEGER NOT NULL,
            PRIMARY KEY (sale_id, line_no)
        );
        CREATE TABLE sale_tenders (
            sale_id TEXT NOT NULL,
            idx INTEGER NOT NULL,
            kind TEXT NOT NULL,
            amount INTEGER NOT NULL,
            tendered INTEGER NOT NULL,
            reference TEXT,
            points INTEGER NOT NULL,
            hold_id TEXT,
            PRIMARY KEY (sale_id, idx)
        );
        CREATE TABLE refunds (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            sale_id TEXT,
            receipt_no TEXT NOT NULL UNIQUE,
            original_receipt TEXT,
            shift_id TEXT NOT NULL,
            refunded_at TEXT NOT NULL,
            business_day TEXT NOT NULL,
            total INTEGER NOT NULL,
            json TEXT NOT NULL
        );
        CREATE INDEX refunds_sale ON refunds (sale_id);
        CREATE INDEX refunds_shift ON refunds (shift_id);
        CREATE TABLE cash_movements (
            id TEXT PRIMARY KEY,
            shift_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            amount INTEGER NOT NULL,
            reason TEXT NOT NULL,
            cashier INTEGER NOT NULL,
            approved_by INTEGER,
            at TEXT NOT NULL,
            json TEXT NOT NULL
        );
        CREATE INDEX cash_movements_shift ON cash_movements (shift_id);
        CREATE TABLE day_closes (business_day TEXT PRIMARY KEY, closed_at TEXT NOT NULL, json TEXT NOT NULL);
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            action TEXT NOT NULL,
            actor INTEGER NOT NULL,
            approver INTEGER,
            detail TEXT NOT NULL,
            sale_id TEXT
        );
        CREATE TABLE offline_redemptions (
            member_id TEXT NOT NULL,
            day TEXT NOT NULL,
            points INTEGER NOT NULL,
            stored_value INTEGER NOT NULL,
            PRIMARY KEY (member_id, day)
        );

        -- The sale being rung up, and the ones put on hold.
        CREATE TABLE cart (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
        CREATE TABLE held_carts (id TEXT PRIMARY KEY, held_at TEXT NOT NULL, label TEXT NOT NULL, json TEXT NOT NULL);

        -- Events for HQ, in order. AUTOINCREMENT: a sequence number is never reused.
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
            reason TEXT,
            attempts INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX outbox_pending ON outbox (status, seq);
        "#,
    )
}

fn v3(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    // HQ's audit chain head as HQ answered a day close: a copy HQ's own database cannot rewrite.
    tx.execute_batch(
        "CREATE TABLE audit_witnesses (
            head_id BIGINT NOT NULL,
            head_hash TEXT NOT NULL,
            received_at BIGINT NOT NULL,
            PRIMARY KEY (head_id, head_hash)
        );",
    )
}

fn v2(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    // A contentless full-text index (see `search`): terms are the name's single CJK characters
    // and words, pairs its adjacent CJK character pairs, initials the pinyin initials, codes the
    // product code and barcodes.
    tx.execute_batch(
        "CREATE VIRTUAL TABLE product_search USING fts5(
            terms, pairs, initials, codes,
            content = '', contentless_delete = 1,
            tokenize = 'unicode61 remove_diacritics 0',
            prefix = '2 3'
        );",
    )?;
    // Index what an older database already has.
    let mut read = tx.prepare(
        "SELECT p.id, p.name, p.code, group_concat(b.code, ' ')
         FROM products p LEFT JOIN barcodes b ON b.product_id = p.id GROUP BY p.id",
    )?;
    let mut insert =
        tx.prepare("INSERT INTO product_search (rowid, terms, pairs, initials, codes) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    let mut rows = read.query([])?;
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let name: String = row.get(1)?;
        let code: String = row.get(2)?;
        let barcodes: Option<String> = row.get(3)?;
        let t = index_terms(&name, &code, barcodes.as_deref().unwrap_or(""));
        insert.execute(rusqlite::params![id, t.terms, t.pairs, t.initials, t.codes])?;
    }
    Ok(())
}

fn v4(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    // The newest revision of each promotion HQ published (a withdrawn one is deleted); the set's
    // version is the highest version pulled (`meta.promotion_version`).
    tx.execute_batch("CREATE TABLE promotions (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, json TEXT NOT NULL);")
}

fn v5(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    // Each coupon campaign as last pulled (its kind and offline cap); and every coupon this till took
    // while HQ could not be reached, one row per coupon (so one coupon is never taken twice here),
    // written with the sale that used it: the campaign's offline cap counts these per day.
    tx.execute_batch(
        "CREATE TABLE coupon_campaigns (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
         CREATE TABLE offline_coupons (
             coupon_id INTEGER PRIMARY KEY,
             campaign_id INTEGER NOT NULL,
             day TEXT NOT NULL,
             sale_id TEXT NOT NULL
         );
         CREATE INDEX offline_coupons_by_day ON offline_coupons (campaign_id, day);",
    )
}

fn v6(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    // HQ's brand id of each product (none until HQ names one), so a promotion by brand prices offline.
    tx.execute_batch("ALTER TABLE products ADD COLUMN brand INTEGER;")
}

fn v7(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    // The complaint categories HQ offers tills, as last pulled (the whole list each time); and every
    // complaint taken here, kept from the moment it is taken until HQ has it (`sent`, with HQ's id)
    // or refused it (`rejected`, with HQ's reason, for the manager): `body` is what is posted, its
    // request id chosen once, so a complaint sent again is recorded once at HQ.
    tx.execute_batch(
        "CREATE TABLE complaint_categories (
             id INTEGER PRIMARY KEY,
             name TEXT NOT NULL,
             due_hours INTEGER NOT NULL,
             active INTEGER NOT NULL
         );
         CREATE TABLE complaints (
             seq INTEGER PRIMARY KEY AUTOINCREMENT,
             request_id TEXT NOT NULL UNIQUE,
             taken_at TEXT NOT NULL,
             staff_id INTEGER NOT NULL,
             category_name TEXT NOT NULL,
             body TEXT NOT NULL,
             status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'rejected')),
             reason TEXT,
             hq_id INTEGER,
             attempts INTEGER NOT NULL DEFAULT 0
         );
         CREATE INDEX complaints_pending ON complaints (status, seq);",
    )
}

fn v8(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    // The branch's on hand as HQ's ledger had it at the last pull (`meta.stock_cursor` says where
    // the pull stands, `meta.stock_as_of` when the last one finished, in HQ's time); the open
    // counts of the branch as last pulled (the whole list each time); and every line counted here,
    // kept from the moment it is scanned until HQ has it (`sent`) or refused it (`rejected`, with
    // HQ's reason). `total` is the product's running count in that count at this till, what HQ is
    // sent; a line's `batch_id` is chosen when it is first sent and kept, so a batch sent again
    // is entered once at HQ.
    tx.execute_batch(
        "CREATE TABLE stock_on_hand (product_id INTEGER PRIMARY KEY, on_hand INTEGER NOT NULL);
         CREATE TABLE open_counts (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
         CREATE TABLE count_lines (
             seq INTEGER PRIMARY KEY AUTOINCREMENT,
             count_id INTEGER NOT NULL,
             product_id INTEGER NOT NULL,
             scanned TEXT NOT NULL,
             qty INTEGER NOT NULL,
             total INTEGER NOT NULL,
             counted_at TEXT NOT NULL,
             counter TEXT NOT NULL,
             staff_id INTEGER NOT NULL,
             batch_id TEXT,
             status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'rejected')),
             reason TEXT
         );
         CREATE INDEX count_lines_pending ON count_lines (status, seq);
         CREATE INDEX count_lines_product ON count_lines (count_id, product_id, seq);",
    )
}

fn v9(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    // Every attempt to collect a payment code's amount through HQ, written before the request
    // leaves and updated with each answer (`state` is HQ's `AttemptState` code; `json` the whole
    // `TillAttempt`). An attempt not final is asked of HQ at the next start.
    tx.execute_batch(
        "CREATE TABLE payment_attempts (
             order_no TEXT PRIMARY KEY,
             sale_id TEXT NOT NULL,
             receipt_no TEXT NOT NULL,
             attempt INTEGER NOT NULL,
             state TEXT NOT NULL,
             json TEXT NOT NULL,
             UNIQUE (receipt_no, attempt)
         );
         CREATE INDEX payment_attempts_state ON payment_attempts (state);",
    )
}

fn v10(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    // A return or void that gives money back to WeChat Pay / Alipay waits for HQ's gateway: the
    // return as it will be recorded (`json`: `store::refunds::CodeReturn`, its receipt number
    // taken) and each refund asked of HQ (`json`: `store::refunds::CodeRefund`, written before the
    // request leaves, updated with each answer). An open return is resumed at the next start with
    // the same refund numbers (`{order_no}-R{seq}`), so a refund is never asked twice.
    tx.execute_batch(
        "CREATE TABLE code_returns (
             receipt_no TEXT PRIMARY KEY,
             sale_id TEXT NOT NULL,
             state TEXT NOT NULL,
             json TEXT NOT NULL
         );
         CREATE INDEX code_returns_sale ON code_returns (sale_id, state);
         CREATE TABLE code_refunds (
             out_refund_no TEXT PRIMARY KEY,
             order_no TEXT NOT NULL,
             seq INTEGER NOT NULL,
             receipt_no TEXT NOT NULL,
             state TEXT NOT NULL,
             json TEXT NOT NULL,
             UNIQUE (order_no, seq)
         );
         CREATE INDEX code_refunds_receipt ON code_refunds (receipt_no);",
    )
}

fn v11(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    // Every sale request sent to the bank-card payment terminal, written before it leaves and
    // updated with the answer (`json`: `store::cards::CardAttempt`). One not settled (no answer)
    // is queried on the terminal at the next start.
    tx.execute_batch(
        "CREATE TABLE card_attempts (
             request_id TEXT PRIMARY KEY,
             receipt_no TEXT NOT NULL,
             attempt INTEGER NOT NULL,
             state TEXT NOT NULL,
             json TEXT NOT NULL,
             UNIQUE (receipt_no, attempt)
         );
         CREATE INDEX card_attempts_state ON card_attempts (state);",
    )
}
