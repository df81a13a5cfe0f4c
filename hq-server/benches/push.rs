//! Event push: sale events (5 lines, 1–2 tenders each) in batches of 100 from several tills at
//! once into a real HQ over loopback, sustained; then the same rows inserted into SQLite
//! directly (prepared statements, one transaction per 100 sales) for the ratio.
//!
//! As in the demo chain, 40% of the sales are member sales (PUSH_MEMBER_PCT): each earns points
//! under the policy in force, and one in four of them pays ¥5 with points and one in four ¥20 from
//! stored value, both held at HQ first (the holds are made over HTTP before the timing, as tills
//! make them while the cashier waits); the push then captures the holds, draws points lots, and
//! writes the ledger. HQ runs twice in the same run: with its writer at `synchronous=FULL` (what
//! it ships: an answer means the push is on disk) and at `NORMAL` (what it did before), to show
//! what durable acknowledgements cost.
//!
//! A third SQLite run at `FULL` has ingest write no stock movements, and a fourth writes them
//! again, to show what stock per branch (a sale's movements and its products' levels) costs
//! ingest: the run without them is compared with the mean of the two around it.
//!
//! `cargo bench -p hq-server --bench push` (PUSH_SALES=100000 by default, PUSH_TILLS=4). With
//! `TILLPOINT_TEST_PG=postgres://…` HQ runs a third time on PostgreSQL, in the same run, and the
//! same rows are written into PostgreSQL with `COPY` (one transaction of four `COPY`s per 100
//! sales) for its ratio. `PUSH_STORES=postgres` runs PostgreSQL alone (`sqlite` SQLite alone).
//!
//! `PUSH_OPEN_RATE=N` (sales/s): after the runs above, each store once more in open loop: every
//! till's batches are due at a fixed offered rate whatever HQ does (the chain's k-th batch at
//! start + k·100/N), and each push's latency is measured from when it was due, so a slow answer
//! delays and counts against the pushes behind it (no coordinated omission).

mod common;

use common::env;

use std::time::Instant;

use hq_server::model::{Actor, Adjustment, NewMember};
use hq_server::store::{MemberStore, PolicyStore};
use rusqlite::params;
use shared::Money;
use shared::ids::{HoldId, MemberId};
use shared::member::MemberIdentifier;
use shared::pricing::CashRounding;
use shared::sale::{CompletedSale, SaleMember, TenderInput, TenderKind, settle};
use shared::stored_value::SvSplit;
use shared::sync::{
    Event, EventEnvelope, EventOutcome, HoldAmount, HoldRequest, PROTOCOL_VERSION, PushRequest, PushResponse,
};

const BATCH: usize = 100;
const MEMBERS: usize = 2_000;

struct Run {
    rate: f64,
    secs: f64,
    events: Vec<Vec<EventEnvelope>>,
    member_sales: usize,
    points_tenders: usize,
    sv_tenders: usize,
    ledger: Vec<(String, i64)>,
}

fn main() {
    let sales = env("PUSH_SALES", 100_000);
    let tills = env("PUSH_TILLS", 4).max(1);
    let member_pct = env("PUSH_MEMBER_PCT", 40).min(100);
    let open_rate = env("PUSH_OPEN_RATE", 0);
    let postgres = std::env::var(hq_server::testing::PG_ENV).is_ok_and(|v| !v.is_empty());
    let stores = std::env::var("PUSH_STORES").unwrap_or_default();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    if stores.trim() == "postgres" {
        assert!(postgres, "PUSH_STORES=postgres needs {}", hq_server::testing::PG_ENV);
        postgres_runs(&rt, sales, tills, member_pct, None, open_rate);
        return;
    }
    let full = rt.block_on(run_hq(sales, tills, member_pct, "FULL", None));
    let normal = rt.block_on(run_hq(sales, tills, member_pct, "NORMAL", None));
    println!(
        "durable acknowledgements (FULL) cost {:.1}% of the NORMAL rate ({:.0} vs {:.0} sales/s)",
        100.0 * (1.0 - full.rate / normal.rate),
        full.rate,
        normal.rate
    );
    // The same push with ingest writing no stock movements (what stock per branch costs ingest).
    hq_server::store::sql::stock::set_stock_movements_for_benchmarks(false);
    let unstocked = rt.block_on(run_hq(sales, tills, member_pct, "FULL", None));
    hq_server::store::sql::stock::set_stock_movements_for_benchmarks(true);
    // And with them again, after it: the first run is also the one that warms the machine, so the
    // run without movements sits between two with them and is compared with their mean.
    let again = rt.block_on(run_hq(sales, tills, member_pct, "FULL", None));
    let stocked = (full.rate + again.rate) / 2.0;
    println!(
        "stock movements (a sale line each) cost {:.1}% of the FULL rate without them ({:.0} vs {:.0} sales/s; \
         with them {:.0} before and {:.0} after)",
        100.0 * (1.0 - stocked / unstocked.rate),
        stocked,
        unstocked.rate,
        full.rate,
        again.rate
    );
    for r in [&full, &normal, &unstocked] {
        println!(
            "  {} sales in {:.2} s; {} member sales, {} by points, {} by stored value; ledger {:?}",
            r.events.iter().map(Vec::len).sum::<usize>(),
            r.secs,
            r.member_sales,
            r.points_tenders,
            r.sv_tenders,
            r.ledger
        );
    }
    if postgres && stores.trim() != "sqlite" {
        postgres_runs(&rt, sales, tills, member_pct, Some(full.rate), open_rate);
    }
    if open_rate > 0 {
        rt.block_on(run_hq(sales, tills, member_pct, "FULL", Some(open_rate)));
    }
    let hq_rate = full.rate;
    let batches_for_baseline = full.events;
    // The same rows, straight into SQLite: events, sales, sale_lines, sale_tenders.
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("plain.sqlite");
    drop(hq_server::SqlStore::open(&path).expect("schema"));
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

/// HQ on PostgreSQL (`synchronous_commit=on`), then the same rows by `COPY`, and optionally the
/// open-loop run; `sqlite_full`: SQLite's `FULL` rate in the same run, to compare with.
fn postgres_runs(
    rt: &tokio::runtime::Runtime,
    sales: usize,
    tills: usize,
    member_pct: usize,
    sqlite_full: Option<f64>,
    open_rate: usize,
) {
    let pg = rt.block_on(run_hq(sales, tills, member_pct, "POSTGRES", None));
    match sqlite_full {
        Some(full) => println!(
            "PostgreSQL (synchronous_commit=on, the same push): {:.0} sales/s, {:.2}× SQLite FULL's {full:.0}",
            pg.rate,
            pg.rate / full
        ),
        None => println!("PostgreSQL (synchronous_commit=on): {:.0} sales/s", pg.rate),
    }
    println!(
        "  {} sales in {:.2} s; {} member sales, {} by points, {} by stored value; ledger {:?}",
        pg.events.iter().map(Vec::len).sum::<usize>(),
        pg.secs,
        pg.member_sales,
        pg.points_tenders,
        pg.sv_tenders,
        pg.ledger
    );
    let plain = rt.block_on(copy_into_postgres(&pg.events));
    println!(
        "ratio: HQ push on PostgreSQL reaches {:.1}% of plain COPY of the same rows ({:.0} sales/s)",
        100.0 * pg.rate / plain,
        plain
    );
    if open_rate > 0 {
        rt.block_on(run_hq(sales, tills, member_pct, "POSTGRES", Some(open_rate)));
    }
}

/// The same sale rows (events, sales, lines, tenders) written into HQ's PostgreSQL tables with
/// `COPY`, one transaction of four `COPY`s per 100 sales, `synchronous_commit=on`: what the
/// database does with no HQ in the way. Sales a second.
async fn copy_into_postgres(batches: &[Vec<EventEnvelope>]) -> f64 {
    use futures_util::SinkExt;

    let dir = tempfile::tempdir().expect("dir");
    let db = hq_server::testing::TestDb::new(dir.path());
    drop(db.open(hq_server::clock::Clock::system()).expect("schema"));
    let hq_server::store::sql::Location::Postgres(url) = &db.location else { panic!("PostgreSQL") };
    let (mut client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("connect");
    tokio::spawn(connection);
    client
        .batch_execute("INSERT INTO branches (id, code, name, settings, created_at, updated_at) VALUES (1, 'B001', 'b', '{}', 0, 0)")
        .await
        .expect("branch");
    let tills: std::collections::BTreeSet<i64> = batches.iter().flatten().map(|e| e.till.0).collect();
    for t in tills {
        client
            .batch_execute(&format!(
                "INSERT INTO tills (id, branch_id, number, name, created_at) VALUES ({t}, 1, {t}, 't', 0)"
            ))
            .await
            .expect("till");
    }
    let all: Vec<&EventEnvelope> = batches.iter().flatten().collect();
    let start = Instant::now();
    for chunk in all.chunks(BATCH) {
        let (mut events, mut sales, mut lines, mut tenders) =
            (String::new(), String::new(), String::new(), String::new());
        for e in chunk {
            let Event::SaleCompleted(s) = &e.event else { continue };
            let at = e.at.as_microsecond();
            let sid = s.id.to_string();
            let payload = serde_json::to_string(&e.event).expect("json");
            copy_row(
                &mut events,
                &[
                    &e.id.to_string(),
                    &e.till.0.to_string(),
                    &e.seq.to_string(),
                    "sale_completed",
                    &at.to_string(),
                    &at.to_string(),
                    "accepted",
                    &payload,
                ],
            );
            let t = &s.totals;
            copy_row(
                &mut sales,
                &[
                    &sid,
                    &e.id.to_string(),
                    &s.receipt_no.to_string(),
                    &s.branch.0.to_string(),
                    &s.till.0.to_string(),
                    &s.shift.to_string(),
                    &s.cashier.0.to_string(),
                    &s.completed_at.as_microsecond().to_string(),
                    &s.business_day.to_string(),
                    &t.gross.0.to_string(),
                    &t.member_savings.0.to_string(),
                    &t.manual_discounts.0.to_string(),
                    &t.order_discount.0.to_string(),
                    &t.total.0.to_string(),
                    &t.rounding.0.to_string(),
                    &t.due.0.to_string(),
                    &s.change.0.to_string(),
                    &s.change_to_stored_value.0.to_string(),
                    &s.points_eligible_net.0.to_string(),
                    "0",
                    &at.to_string(),
                ],
            );
            for (i, l) in s.lines.iter().enumerate() {
                let p = &l.priced;
                copy_row(
                    &mut lines,
                    &[
                        &sid,
                        &(i + 1).to_string(),
                        &l.item.product_id.0.to_string(),
                        &l.item.product_code,
                        l.item.barcode.as_deref().unwrap_or("\\N"),
                        &l.item.name,
                        &l.item.category.0.to_string(),
                        &l.item.unit,
                        &l.item.vat.0.to_string(),
                        &p.qty.0.to_string(),
                        &p.base_unit.0.to_string(),
                        &p.unit.0.to_string(),
                        &p.gross.0.to_string(),
                        &p.member_saving.0.to_string(),
                        &p.manual_discount.0.to_string(),
                        &l.order_discount.0.to_string(),
                        &l.net.0.to_string(),
                        &i64::from(l.item.points_eligible).to_string(),
                    ],
                );
            }
            for (i, x) in s.tenders.iter().enumerate() {
                copy_row(
                    &mut tenders,
                    &[
                        &sid,
                        &i.to_string(),
                        x.kind.code(),
                        &x.amount.0.to_string(),
                        &x.tendered.0.to_string(),
                        x.reference.as_deref().unwrap_or("\\N"),
                        &x.points.to_string(),
                    ],
                );
            }
        }
        let tx = client.transaction().await.expect("tx");
        for (table, rows) in [
            ("events (id, till_id, seq, kind, till_at, received_at, status, payload)", events),
            (
                "sales (id, event_id, receipt_no, branch_id, till_id, shift_id, cashier_id, completed_at, business_day, \
                 gross, member_savings, manual_discounts, order_discount, total, rounding, due, change_given, \
                 change_to_stored_value, points_eligible_net, points_earned, received_at)",
                sales,
            ),
            (
                "sale_lines (sale_id, line_no, product_id, product_code, barcode, name, category_id, unit, vat, qty, \
                 base_unit, unit_price, gross, member_saving, manual_discount, order_discount, net, points_eligible)",
                lines,
            ),
            ("sale_tenders (sale_id, idx, kind, amount, tendered, reference, points)", tenders),
        ] {
            let sink = tx.copy_in(&format!("COPY {table} FROM STDIN")).await.expect("copy");
            let mut sink = std::pin::pin!(sink);
            sink.send(bytes::Bytes::from(rows)).await.expect("rows");
            sink.finish().await.expect("copied");
        }
        tx.commit().await.expect("commit");
    }
    let secs = start.elapsed().as_secs_f64();
    let rate = all.len() as f64 / secs;
    println!("plain PostgreSQL COPY of the same rows: {} sales in {secs:.2} s = {rate:.0} sales/s", all.len());
    rate
}

/// One row of `COPY … FROM STDIN` text: fields escaped, tab-separated (`\\N`, as given, is NULL).
fn copy_row(out: &mut String, fields: &[&str]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        if *f == "\\N" {
            out.push_str(f);
            continue;
        }
        for c in f.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c => out.push(c),
            }
        }
    }
    out.push('\n');
}

/// A member sale: the fixture's lines (no member prices, so the entry tier's prices are the same),
/// points earned under `policy` for the entry tier, and optionally ¥5 by points and ¥20 by stored
/// value against holds HQ gave (returned, to be made before the push).
fn member_sale(
    mut s: CompletedSale,
    policy: &shared::policy::MemberPolicy,
    member: MemberId,
    code: &shared::catalog::MemberCode,
    points: bool,
    stored_value: bool,
) -> (CompletedSale, Vec<HoldRequest>) {
    let mut inputs = Vec::new();
    let mut holds = Vec::new();
    if points {
        let value = Money(500);
        let cost = policy.redeem.cost(value);
        let hold = HoldId::new();
        holds.push(HoldRequest { hold, member, sale: s.id, amount: HoldAmount::Points { points: cost, value } });
        inputs.push(TenderInput {
            kind: TenderKind::Points,
            amount: value,
            reference: None,
            points: cost,
            stored_value: None,
            hold: Some(hold),
            authorization: None,
        });
    }
    if stored_value {
        let amount = Money(2_000);
        let hold = HoldId::new();
        holds.push(HoldRequest { hold, member, sale: s.id, amount: HoldAmount::StoredValue { amount } });
        inputs.push(TenderInput {
            kind: TenderKind::StoredValue,
            amount,
            reference: None,
            points: 0,
            stored_value: Some(SvSplit { principal: amount, bonus: Money::ZERO }),
            hold: Some(hold),
            authorization: None,
        });
    }
    let total = s.totals.total;
    let paid: Money = inputs.iter().map(|t| t.amount).sum();
    inputs.push(TenderInput::cash(Money((total.0 - paid.0 + 99) / 100 * 100)));
    let settled = settle(total, &inputs, CashRounding::None).expect("settles");
    s.tenders = settled.tenders;
    s.totals.rounding = settled.rounding;
    s.totals.due = settled.due;
    s.change = settled.change;
    let tier = policy.tiers.entry();
    let base = shared::points::eligible_base(s.points_eligible_net, s.paid_by(TenderKind::Points));
    s.member = Some(SaleMember {
        member_id: Some(member),
        identifier: MemberIdentifier::Code(code.clone()),
        tier: Some(tier.code.clone()),
        points_base: base,
        points_earned: policy.points_for(base, tier, s.business_day, None).expect("points"),
        policy_version: policy.version,
    });
    s.check().expect("the member sale adds up");
    (s, holds)
}

async fn run_hq(sales: usize, tills: usize, member_pct: usize, synchronous: &str, open_rate: Option<usize>) -> Run {
    let bench = if synchronous == "POSTGRES" {
        common::start_postgres().await
    } else {
        let bench = common::start().await;
        bench.store.set_writer_synchronous_for_benchmarks(synchronous).expect("synchronous");
        bench
    };
    let policy = bench.store.current_policy().expect("policy");
    // Members with balances to spend (one adjustment each).
    let members: Vec<(MemberId, shared::catalog::MemberCode)> = (0..MEMBERS)
        .map(|i| {
            let m = bench
                .store
                .create_member(
                    &Actor::cli(),
                    NewMember {
                        id: None,
                        code: None,
                        phone: Some(shared::member::Phone::parse(&format!("139{i:08}")).expect("phone")),
                        name: format!("会员{i}"),
                        birthday: None,
                        tier: None,
                        home_branch: None,
                        uid: None,
                    },
                )
                .expect("member");
            bench
                .store
                .adjust(
                    &Actor::cli(),
                    m.id,
                    Adjustment {
                        points: 10_000_000,
                        principal: Money(100_000_000),
                        bonus: Money::ZERO,
                        reason: "bench".into(),
                    },
                )
                .expect("adjust")
                .expect("adjusted");
            (m.id, m.code.clone())
        })
        .collect();
    let (mut member_sales, mut points_tenders, mut sv_tenders) = (0, 0, 0);
    let mut work = Vec::new();
    let mut all_holds = Vec::new();
    for t in 0..tills {
        let (till, token) = bench.till().await;
        let per_till = sales / tills;
        let mut holds = Vec::new();
        let events: Vec<EventEnvelope> = (1..=per_till as u64)
            .map(|seq| {
                let n = seq as usize + t * per_till;
                let mut sale = hq_server::fixtures::sale(&till, seq as u32, 5, 1 + (seq as usize % 2));
                // Every k-th sale a member sale, spread evenly (40% → 2 of every 5).
                if member_pct > 0 && (n * member_pct) / 100 != ((n - 1) * member_pct) / 100 {
                    let (id, code) = &members[member_sales % MEMBERS];
                    let (points, sv) = (member_sales % 4 == 1, member_sales % 4 == 3);
                    let (s, h) = member_sale(sale, &policy, *id, code, points, sv);
                    sale = s;
                    holds.extend(h);
                    member_sales += 1;
                    points_tenders += usize::from(points);
                    sv_tenders += usize::from(sv);
                }
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
        all_holds.push((token.clone(), holds));
        work.push((token, bodies, events));
    }
    // The holds, as the tills asked for them while their cashiers waited (not timed).
    let holds_url = format!("{}/api/v1/till/holds", bench.hq.url());
    let mut tasks = Vec::new();
    for (token, holds) in all_holds {
        let (client, url) = (bench.client.clone(), holds_url.clone());
        tasks.push(tokio::spawn(async move {
            for h in holds {
                let r = client.post(&url).header("x-till-token", &token).json(&h).send().await.expect("hold");
                assert!(r.status().is_success(), "hold: {}", r.text().await.unwrap_or_default());
            }
        }));
    }
    for t in tasks {
        t.await.expect("holds");
    }
    let total_batches: usize = work.iter().map(|w| w.1.len()).sum();
    eprintln!(
        "[{synchronous}] pushing {} sales ({member_sales} member sales, {points_tenders} paying by points, {sv_tenders} by stored value) in {total_batches} batches of {BATCH} from {tills} tills ...",
        tills * (sales / tills)
    );
    let url = format!("{}/api/v1/sync/push", bench.hq.url());
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (t, (token, bodies, _)) in work.iter().enumerate() {
        let (client, url, token, bodies) = (bench.client.clone(), url.clone(), token.clone(), bodies.clone());
        tasks.push(tokio::spawn(async move {
            let mut accepted = 0usize;
            let mut latencies = Vec::with_capacity(bodies.len());
            for (k, body) in bodies.into_iter().enumerate() {
                // Open loop: the chain's batches are due one after another at the offered rate,
                // the tills taking turns; a push is sent when due, or at once if it is late.
                let due = open_rate.map(|rate| {
                    let nth = (k * tills + t) as f64;
                    start + std::time::Duration::from_secs_f64(nth * BATCH as f64 / rate as f64)
                });
                if let Some(due) = due {
                    tokio::time::sleep_until(due.into()).await;
                }
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
                for x in &r.results {
                    if let EventOutcome::Rejected { reason } = &x.outcome {
                        panic!("rejected: {reason}");
                    }
                }
                accepted += r.results.iter().filter(|r| r.outcome == EventOutcome::Accepted).count();
                if let Some(due) = due {
                    latencies.push(due.elapsed());
                }
            }
            (accepted, latencies)
        }));
    }
    let mut accepted = 0;
    let mut latencies = Vec::new();
    for t in tasks {
        let (n, l) = t.await.expect("task");
        accepted += n;
        latencies.extend(l);
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(accepted, tills * (sales / tills), "every sale accepted");
    let rate = accepted as f64 / secs;
    match open_rate {
        None => println!(
            "HQ push, writer synchronous={synchronous}: {accepted} sales ({member_sales} member) in {secs:.2} s = {rate:.0} sales/s ({tills} tills, batches of {BATCH})"
        ),
        Some(offered) => {
            latencies.sort();
            let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
            println!(
                "HQ push, {synchronous}, open loop at {offered} sales/s offered ({tills} tills, batches of {BATCH}): \
                 {rate:.0} sales/s achieved; a push of {BATCH} from when it was due: p50 {:.1?}, p99 {:.1?}, max {:.1?}",
                at(0.5),
                at(0.99),
                latencies.last().copied().unwrap_or_default()
            );
        }
    }
    assert!(bench.store.check_balances().expect("check").is_empty(), "balances agree with the ledger");
    let ledger: Vec<(String, i64)> = bench
        .store
        .raw(|c| {
            Ok(c.prepare("SELECT kind, COUNT(*) FROM ledger_entries GROUP BY kind ORDER BY kind")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?)
        })
        .expect("ledger");
    println!("  ledger entries: {ledger:?}");
    let events: Vec<Vec<EventEnvelope>> = work.into_iter().map(|w| w.2).collect();
    bench.hq.stop().await.expect("stop");
    Run { rate, secs, events, member_sales, points_tenders, sv_tenders, ledger }
}
