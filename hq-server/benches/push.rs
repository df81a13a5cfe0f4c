//! Event push: sale events (5 lines, 1–2 tenders each) in batches of 100 from several tills at
//! once into a real HQ over loopback, sustained; then the same rows inserted into SQLite
//! directly (prepared statements, one transaction per 100 sales) for the ratio.
//!
//! `cargo bench -p hq-server --bench push` (PUSH_SALES=100000 by default, PUSH_TILLS=4).

mod common;

use std::time::Instant;

use rusqlite::params;
use shared::sync::{Event, EventEnvelope, EventOutcome, PROTOCOL_VERSION, PushRequest, PushResponse};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

const BATCH: usize = 100;

fn main() {
    let sales = env("PUSH_SALES", 100_000);
    let tills = env("PUSH_TILLS", 4).max(1);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (hq_rate, batches_for_baseline) = rt.block_on(async {
        let bench = common::start().await;
        let mut work = Vec::new();
        for _ in 0..tills {
            let (till, token) = bench.till().await;
            let per_till = sales / tills;
            let events: Vec<EventEnvelope> = (1..=per_till as u64)
                .map(|seq| {
                    let sale = hq_server::fixtures::sale(&till, seq as u32, 5, 1 + (seq as usize % 2));
                    hq_server::fixtures::envelope(till.till, seq, Event::SaleCompleted(sale))
                })
                .collect();
            let bodies: Vec<Vec<u8>> = events
                .chunks(BATCH)
                .map(|c| {
                    serde_json::to_vec(&PushRequest {
                        protocol: PROTOCOL_VERSION,
                        till: till.till,
                        events: c.to_vec(),
                        sent_at: None,
                    })
                    .expect("json")
                })
                .collect();
            work.push((token, bodies, events));
        }
        let total_batches: usize = work.iter().map(|w| w.1.len()).sum();
        eprintln!(
            "pushing {} sales in {total_batches} batches of {BATCH} from {tills} tills ...",
            tills * (sales / tills)
        );
        let url = format!("{}/api/v1/sync/push", bench.hq.url());
        let start = Instant::now();
        let mut tasks = Vec::new();
        for (token, bodies, _) in &work {
            let (client, url, token, bodies) = (bench.client.clone(), url.clone(), token.clone(), bodies.clone());
            tasks.push(tokio::spawn(async move {
                let mut accepted = 0usize;
                for (i, body) in bodies.into_iter().enumerate() {
                    let r: PushResponse = client
                        .post(&url)
                        .header("x-till-token", &token)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .expect("push")
                        .json()
                        .await
                        .expect("push body");
                    accepted += r.results.iter().filter(|r| r.outcome == EventOutcome::Accepted).count();
                    if i % 100 == 99 {
                        eprintln!("  a till has pushed {} batches", i + 1);
                    }
                }
                accepted
            }));
        }
        let mut accepted = 0;
        for t in tasks {
            accepted += t.await.expect("task");
        }
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(accepted, tills * (sales / tills), "every sale accepted");
        let rate = accepted as f64 / secs;
        println!("HQ push: {accepted} sales in {secs:.2} s = {rate:.0} sales/s ({tills} tills, batches of {BATCH})");
        let events: Vec<Vec<EventEnvelope>> = work.into_iter().map(|w| w.2).collect();
        bench.hq.stop().await.expect("stop");
        (rate, events)
    });

    // The same rows, straight into SQLite: events, sales, sale_lines, sale_tenders.
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("plain.sqlite");
    drop(hq_server::SqliteStore::open(&path).expect("schema"));
    let mut c = rusqlite::Connection::open(&path).expect("open");
    c.pragma_update(None, "journal_mode", "WAL").expect("wal");
    c.pragma_update(None, "synchronous", "NORMAL").expect("sync");
    c.execute(
        "INSERT INTO branches (id, code, name, settings, created_at, updated_at) VALUES (1, 'B001', 'b', '{}', 0, 0)",
        [],
    )
    .expect("branch");
    for t in 1..=tills as i64 {
        c.execute("INSERT INTO tills (id, branch_id, number, name, created_at) VALUES (?1, 1, ?1, 't', 0)", [t])
            .expect("till");
    }
    let all: Vec<&EventEnvelope> = batches_for_baseline.iter().flatten().collect();
    let start = Instant::now();
    for chunk in all.chunks(BATCH) {
        let tx = c.transaction().expect("tx");
        {
            let mut ev = tx
                .prepare_cached(
                    "INSERT INTO events (id, till_id, seq, kind, till_at, received_at, status, reason, payload)
                     VALUES (?1, ?2, ?3, 'sale_completed', ?4, ?4, 'accepted', NULL, ?5)",
                )
                .expect("prepare");
            let mut sale = tx
                .prepare_cached(
                    "INSERT INTO sales (id, event_id, receipt_no, branch_id, till_id, shift_id, cashier_id, completed_at,
                     business_day, gross, member_savings, manual_discounts, order_discount, total, rounding, due,
                     change_given, change_to_stored_value, points_eligible_net, points_earned, received_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, 0, ?8)",
                )
                .expect("prepare");
            let mut line = tx
                .prepare_cached(
                    "INSERT INTO sale_lines (sale_id, line_no, product_id, product_code, barcode, name, category_id, unit,
                     vat, qty, base_unit, unit_price, gross, member_saving, manual_discount, order_discount, net,
                     points_eligible) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
                )
                .expect("prepare");
            let mut tender = tx
                .prepare_cached(
                    "INSERT INTO sale_tenders (sale_id, idx, kind, amount, tendered, reference, points) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .expect("prepare");
            for e in chunk {
                let Event::SaleCompleted(s) = &e.event else { continue };
                let payload = serde_json::to_string(&e.event).expect("json");
                let at = e.at.as_microsecond();
                ev.execute(params![e.id.to_string(), e.till.0, e.seq as i64, at, payload]).expect("event");
                let t = &s.totals;
                sale.execute(params![
                    s.id.to_string(),
                    e.id.to_string(),
                    s.receipt_no.to_string(),
                    s.branch.0,
                    s.till.0,
                    s.shift.to_string(),
                    s.cashier.0,
                    s.completed_at.as_microsecond(),
                    s.business_day.to_string(),
                    t.gross.0,
                    t.member_savings.0,
                    t.manual_discounts.0,
                    t.order_discount.0,
                    t.total.0,
                    t.rounding.0,
                    t.due.0,
                    s.change.0,
                    s.change_to_stored_value.0,
                    s.points_eligible_net.0
                ])
                .expect("sale");
                let sid = s.id.to_string();
                for (i, l) in s.lines.iter().enumerate() {
                    let p = &l.priced;
                    line.execute(params![
                        sid,
                        i as i64 + 1,
                        l.item.product_id.0,
                        l.item.product_code,
                        l.item.barcode,
                        l.item.name,
                        l.item.category.0,
                        l.item.unit,
                        l.item.vat.0,
                        p.qty.0,
                        p.base_unit.0,
                        p.unit.0,
                        p.gross.0,
                        p.member_saving.0,
                        p.manual_discount.0,
                        l.order_discount.0,
                        l.net.0,
                        l.item.points_eligible
                    ])
                    .expect("line");
                }
                for (i, x) in s.tenders.iter().enumerate() {
                    tender
                        .execute(params![sid, i as i64, x.kind.code(), x.amount.0, x.tendered.0, x.reference, x.points])
                        .expect("tender");
                }
            }
        }
        tx.commit().expect("commit");
    }
    let secs = start.elapsed().as_secs_f64();
    let plain = all.len() as f64 / secs;
    println!("plain SQLite insert of the same rows: {} sales in {secs:.2} s = {plain:.0} sales/s", all.len());
    println!(
        "ratio: HQ push reaches {:.0}% of plain SQLite inserts ({:.2}x slower)",
        100.0 * hq_rate / plain,
        plain / hq_rate
    );
}
