//! The member pages' home and history for a long-time member with 10,000 ledger entries, through
//! a real HQ on loopback: each request's time from send to the last byte (an upper bound of HQ's
//! own time), p50 / p99 / max, and each page's weight.
//!
//! The member is made as a till and HQ's staff would make them, over 400 days of HQ's (manual)
//! clock: member sales of three lines pushed by a till (points earned on each; one in ten paid
//! partly with stored value, held first; one in 25 with a coupon, held and captured), a partial
//! return of one sale in four, coupons issued now and then (most lapse, some are valid), the
//! daily job expiring the year-old points lots, and adjustments up to ENTRIES ledger entries.
//!
//! `cargo bench -p hq-server --bench member_pages` (ENTRIES=10000, REQUESTS=2000). With
//! `TILLPOINT_TEST_PG=postgres://…` HQ runs on PostgreSQL, in a schema of its own, its tables vacuumed
//! after seeding as autovacuum keeps a live database.

mod common;

use common::env;

use std::time::Instant;

use hdrhistogram::Histogram;
use hq_server::fixtures::{TillRef, envelope};
use hq_server::model::{Actor, Adjustment, NewMember};
use hq_server::store::{Clocked, CouponStore, MemberPagesStore, MemberStore};
use hq_server::{Application, Clock, admin};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use shared::ids::{HoldId, MemberId, SaleId};
use shared::member::{MemberIdentifier, Phone};
use shared::money::{Money, Qty};
use shared::pricing::CashRounding;
use shared::promotions::coupons::Coupon;
use shared::promotions::{Customer, PromotionEngine, PromotionSet};
use shared::sale::{
    CompletedSale, PromotionContext, RedeemedCoupon, ReturnPick, SaleMember, SaleTotals, TenderInput, TenderKind,
    plan_refund, price_sale_with, settle,
};
use shared::stored_value::SvSplit;
use shared::sync::{Event, PROTOCOL_VERSION, PushRequest};

/// A member sale of the fixture's three lines at `at`, earning `points`, with `coupon` taking
/// effect and `sv` paid from stored value; cash for the rest.
fn member_sale(
    till: &TillRef,
    seq: u32,
    at: Timestamp,
    member: MemberId,
    by: &MemberIdentifier,
    coupon: Option<(&Coupon, &str, HoldId)>,
    sv: Option<(Money, HoldId)>,
) -> CompletedSale {
    let mut s = hq_server::fixtures::sale(till, seq, 3, 1);
    s.completed_at = at;
    s.business_day = admin::default_branch(&till.branch_code, "").business_day(at);
    if let Some((c, code, hold)) = coupon {
        let items: Vec<_> = s.lines.iter().map(|l| l.item.clone()).collect();
        let engine = PromotionEngine::new(PromotionSet { version: 0, promotions: Vec::new() });
        let coupons = [c.clone()];
        let ctx = PromotionContext {
            engine: &engine,
            branch: till.branch,
            at: hq_server::calendar::hq_time(at).datetime(),
            customer: Customer::default(),
            gifts: &[],
            coupons: &coupons,
        };
        let priced = price_sale_with(&items, None, None, Some(&ctx)).expect("priced");
        assert_eq!(priced.coupons.len(), 1, "the coupon took effect");
        s.coupons = vec![RedeemedCoupon {
            code: code.into(),
            coupon: c.clone(),
            hold: Some(hold),
            discount: priced.coupons[0].discount,
        }];
        s.lines = priced.lines;
        s.totals = priced.totals;
        s.tax = priced.tax;
        s.points_eligible_net = priced.points_eligible_net;
        s.promotions = priced.promotions;
    }
    let total = s.totals.total;
    let mut tenders = Vec::new();
    if let Some((amount, hold)) = sv {
        tenders.push(TenderInput {
            kind: TenderKind::StoredValue,
            amount,
            reference: None,
            points: 0,
            stored_value: Some(SvSplit { principal: amount, bonus: Money::ZERO }),
            hold: Some(hold),
            authorization: None,
        });
    }
    let paid: Money = tenders.iter().map(|t| t.amount).sum();
    tenders.push(TenderInput::cash(Money((total - paid).0 + 500)));
    let settled = settle(total, &tenders, CashRounding::None).expect("settles");
    s.tenders = settled.tenders;
    s.totals = SaleTotals { rounding: settled.rounding, due: settled.due, ..s.totals };
    s.change = settled.change;
    let base = shared::points::eligible_base(s.points_eligible_net, s.paid_by(TenderKind::Points));
    s.member = Some(SaleMember {
        member_id: Some(member),
        identifier: by.clone(),
        tier: Some("regular".into()),
        points_base: base,
        points_earned: base.0 / 100,
        policy_version: 1,
    });
    s.check().expect("the bench's sale adds up");
    s
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let entries = env("ENTRIES", 10_000);
    let requests = env("REQUESTS", 2_000);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        // HQ's clock starts 400 days ago and moves with the member's history.
        let start = Timestamp::now() - SignedDuration::from_hours(24 * 400);
        let clock = Clock::manual(start);
        let dir = tempfile::tempdir().expect("temp dir");
        let db = hq_server::testing::TestDb::new(dir.path());
        println!("== HQ on {}", if db.is_postgres() { "PostgreSQL" } else { "SQLite" });
        let mut config = db.config();
        config.clock = clock.clone();
        let app = Application::build(config).await.expect("HQ");
        let store = app.store();
        let branch =
            admin::add_branch(&*store, &Actor::cli(), admin::default_branch("B001", "基准店")).expect("branch").id;
        let bench = common::Bench {
            hq: app.spawn(),
            store: store.clone(),
            branch,
            client: reqwest::Client::new(),
            _db: Some(db),
            _dir: dir,
        };
        let (till, token) = bench.till().await;
        let url = bench.hq.url();
        let seeded = Instant::now();
        let phone = Phone::parse("13812345678").expect("phone");
        let s = store.clone();
        let p = phone.clone();
        let m = tokio::task::spawn_blocking(move || {
            let m = s
                .create_member(
                    &Actor::cli(),
                    NewMember {
                        phone: Some(p),
                        name: "陈小姐".into(),
                        home_branch: Some(branch),
                        ..NewMember::default()
                    },
                )
                .expect("member");
            let opening =
                Adjustment { points: 0, principal: Money(1_000_000), bonus: Money::ZERO, reason: "opening".into() };
            s.adjust(&Actor::cli(), m.id, opening).expect("stored").expect("adjusted");
            m
        })
        .await
        .expect("member");
        let by = MemberIdentifier::Code(m.code.clone());
        let campaign = |name: &str, days: u32| {
            let new = serde_json::from_value(json!({
                "name": name,
                "kind": {"kind": "amount_off", "min_spend": 5000, "off": 500, "scope": {"all_products": true,
                    "products": [], "categories": [], "brands": [], "excluded": []}},
                "offline_cap": 20,
                "validity": {"kind": "days", "days": days},
            }))
            .expect("a campaign");
            store.create_campaign(&Actor::cli(), new).expect("campaign").campaign.id
        };
        let (monthly, used) = (campaign("月度满50减5", 30), campaign("到店满50减5", 7));
        let issue = |id, batch: String| {
            let request = serde_json::from_value(
                json!({"batch": batch, "audience": {"kind": "members", "members": [m.code.as_str()]}}),
            )
            .expect("an issue");
            assert_eq!(store.issue_coupons(&Actor::cli(), id, &request).expect("issued").issued, 1);
        };
        let post = |path: &str, body: serde_json::Value| {
            let request = bench.client.post(format!("{url}{path}")).header("x-till-token", &token).json(&body);
            let path = path.to_owned();
            async move {
                let r = request.send().await.expect("HQ answered");
                assert!(r.status().is_success(), "{path}: {}", r.status());
            }
        };
        let mut seq = 0u64;
        let mut push = |event: Event| {
            seq += 1;
            let body = PushRequest {
                protocol: PROTOCOL_VERSION,
                till: till.till,
                // Sent as the event happens, by the till's clock (HQ's here).
                events: vec![shared::sync::EventEnvelope { at: clock.now(), ..envelope(till.till, seq, event) }],
                sent_at: None,
            };
            let r = bench.client.post(format!("{url}/api/v1/sync/push")).header("x-till-token", &token).json(&body);
            async move {
                let r: serde_json::Value = r.send().await.expect("pushed").json().await.expect("answer");
                assert_eq!(r["results"][0]["outcome"]["status"], "accepted", "{r}");
            }
        };
        let sales = entries / 2;
        for i in 0..sales {
            clock.advance(SignedDuration::from_mins(110));
            if i % 20 == 0 {
                issue(monthly, format!("m{i}"));
            }
            let sale_id = SaleId::new();
            let coupon = if i % 25 == 3 {
                issue(used, format!("u{i}"));
                let usable = store.usable_coupons(m.id, clock.now()).expect("usable");
                let c = usable.coupons.iter().find(|c| c.coupon.name == "到店满50减5").expect("the coupon").clone();
                let hold = HoldId::new();
                post(
                    "/api/v1/till/coupons/holds",
                    json!({"hold": hold, "sale": sale_id, "code": c.code, "member": m.id}),
                )
                .await;
                Some((c, hold))
            } else {
                None
            };
            let sv = if i % 10 == 5 {
                let hold = HoldId::new();
                post(
                    "/api/v1/till/holds",
                    json!({"hold": hold, "member": m.id, "sale": sale_id,
                           "amount": {"kind": "stored_value", "amount": 300}}),
                )
                .await;
                Some((Money(300), hold))
            } else {
                None
            };
            let receipt = u32::try_from(i + 1).expect("receipt");
            let c = coupon.as_ref().map(|(c, hold)| (&c.coupon, c.code.as_str(), *hold));
            let mut sale = member_sale(&till, receipt, clock.now(), m.id, &by, c, sv);
            sale.id = sale_id;
            push(Event::SaleCompleted(sale.clone())).await;
            if i % 4 == 1 {
                clock.advance(SignedDuration::from_mins(10));
                let plan = plan_refund(&sale, &[], &[ReturnPick { line: 0, qty: Qty::ONE }], CashRounding::None)
                    .expect("a return");
                let mut back = hq_server::fixtures::refund(&sale, &till, receipt + 900_000, plan);
                back.refunded_at = clock.now();
                push(Event::SaleRefunded(back)).await;
            }
        }
        // Back to now: the daily job expires the lots past their year, and adjustments make up
        // the rest of the entries.
        clock.set(Timestamp::now());
        let s = store.clone();
        let (member, token) = tokio::task::spawn_blocking(move || {
            let now = s.now();
            let day = hq_server::calendar::hq_time(now).date();
            s.run_daily(&Actor::cli(), day, now).expect("the daily job");
            let made = s.ledger(m.id, 1_000_000).expect("ledger").len();
            for i in made..entries {
                let a = Adjustment {
                    points: if i % 3 == 2 { -5 } else { 10 },
                    principal: Money(if i % 10 == 0 { 100 } else { 0 }),
                    bonus: Money::ZERO,
                    reason: format!("bench {i}"),
                };
                s.adjust(&Actor::cli(), m.id, a).expect("stored").expect("adjusted");
            }
            let token = "tpm_bench";
            let expires = now + SignedDuration::from_hours(1);
            s.open_member_session(&hq_server::auth::token_hash(token), &phone, Some(m.id), expires).expect("session");
            (m.id, token.to_owned())
        })
        .await
        .expect("seed");
        let ledger = bench.store.ledger(member, 1_000_000).expect("ledger");
        let mut kinds = std::collections::BTreeMap::new();
        for e in &ledger {
            *kinds.entry(e.kind.code()).or_insert(0) += 1;
        }
        let coupons = bench.store.member_coupons(member).expect("coupons");
        let mut states = std::collections::BTreeMap::new();
        for c in &coupons {
            *states.entry(format!("{:?}", c.status)).or_insert(0) += 1;
        }
        println!(
            "seeded a member with {} ledger entries {kinds:?} and {} coupons {states:?} in {:.1?}",
            ledger.len(),
            coupons.len(),
            seeded.elapsed()
        );
        if let Some((base, schema)) = bench._db.as_ref().and_then(|d| d.postgres_schema()) {
            // A member's year of rows has long been vacuumed on a live database (autovacuum):
            // its pages are all-visible, so an index-only scan reads no heap. So here too.
            let (client, conn) = tokio_postgres::connect(base, tokio_postgres::NoTls).await.expect("connect");
            tokio::spawn(conn);
            let vacuumed = Instant::now();
            // One statement each: several in one string run as one transaction, which VACUUM refuses.
            client.batch_execute(&format!("SET search_path = {schema}")).await.expect("search path");
            client
                .batch_execute("VACUUM ANALYZE points_lots, sales, refunds, ledger_entries, coupons, members")
                .await
                .expect("vacuum");
            println!("vacuumed the member's tables in {:.1?}", vacuumed.elapsed());
        }
        let cookie = format!("tp_member={token}");
        for page in ["/m/home", "/m/history"] {
            let url = format!("{}{page}", bench.hq.url());
            let mut h = Histogram::<u64>::new(3).expect("histogram");
            let mut bytes = 0;
            // Warm the connection and the caches first.
            for _ in 0..50 {
                bench
                    .client
                    .get(&url)
                    .header("cookie", &cookie)
                    .send()
                    .await
                    .expect("get")
                    .bytes()
                    .await
                    .expect("body");
            }
            for _ in 0..requests {
                let t = Instant::now();
                let r = bench.client.get(&url).header("cookie", &cookie).send().await.expect("get");
                assert!(r.status().is_success(), "{page}: {}", r.status());
                bytes = r.bytes().await.expect("body").len();
                h.record(t.elapsed().as_micros() as u64).expect("record");
            }
            assert!(bytes < 100_000, "{page} weighs {bytes} bytes");
            println!(
                "{page}: {requests} requests, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {:.1} kB",
                h.value_at_quantile(0.5) as f64 / 1000.0,
                h.value_at_quantile(0.99) as f64 / 1000.0,
                h.max() as f64 / 1000.0,
                bytes as f64 / 1000.0
            );
        }
    });
}
