//! Reconciliation (对账, issue 23): the providers' statements of a day, as the payment simulator
//! writes them from its own ledger, imported through the API and compared with the payments HQ's
//! gateway took, the sales the tills pushed and the refunds the gateway made, per branch. A
//! statement with a broken row imports nothing and says which row; the refusal is kept. A
//! refund's WeChat Pay / Alipay tender is accepted only for a refund the gateway made. On both
//! stores.

use std::sync::Arc;

use axum::http::StatusCode;
use hq_server::gateway::PaymentsConfig;
use hq_server::store::StatementStore as _;
use payments::sim::Simulator;
use serde_json::{Value, json};
use shared::money::Money;
use shared::payment_code::Provider;
use shared::sale::{Authorization, CompletedSale, Tender, TenderKind};

use crate::helpers::{Reply, TestApp, spawn_app_with};
use crate::members::till_post;
use crate::payments::settings;

const WECHAT: &str = "134567890123456789";
const ALIPAY: &str = "281234567890123456";

struct Chain {
    app: TestApp,
    sim: Arc<Simulator>,
    tills: Vec<(hq_server::fixtures::TillRef, String)>,
    seq: std::sync::Mutex<u64>,
    /// The day every payment is made on (the simulator's clock is fixed at its noon).
    day: jiff::civil::Date,
}

async fn chain() -> Chain {
    let payments = PaymentsConfig::start_simulator(settings()).await.expect("simulator");
    let sim = payments.simulator.clone().expect("started");
    let app = spawn_app_with(move |c| c.payments = payments).await;
    let b1 = app.branch("B001").await;
    let b2 = app.branch("B002").await;
    let t1 = app.enrolled_till(b1).await;
    let t2 = app.enrolled_till(b2).await;
    for (code, product) in [("COLA", "6901234567892"), ("TEA", "6920152400012")] {
        app.product(code, product).await;
    }
    // Yesterday's noon in Beijing: a day whose statement exists, however near midnight the test runs.
    let zone = hq_server::reconciliation::provider_zone();
    let day = jiff::Timestamp::now().to_zoned(zone.clone()).date().yesterday().expect("yesterday");
    sim.set_now(Some(day.at(12, 0, 0, 0).to_zoned(zone).expect("noon").timestamp()));
    Chain { app, sim, tills: vec![t1, t2], seq: std::sync::Mutex::new(0), day }
}

impl Chain {
    /// A sale of `lines` at till `t`, paid by `code` through the gateway; pushed unless `keep`.
    async fn paid_sale(&self, t: usize, n: u32, code: &str, keep: bool) -> (CompletedSale, String) {
        let (till, token) = &self.tills[t];
        let mut sale = hq_server::fixtures::sale(till, n, 1, 1);
        let receipt = sale.receipt_no.to_string();
        let due = sale.totals.due;
        let body = json!({"receipt_no": receipt, "attempt": 1, "code": code, "amount": due.0});
        let r = till_post(&self.app, token, "/api/v1/till/payments", body).await.expect(StatusCode::OK);
        assert_eq!(r.body["state"], "paid", "{}", r.body);
        let txn = r.body["transaction_id"].as_str().expect("txn").to_owned();
        let order_no = format!("{receipt}-1");
        let kind = if code.starts_with("13") { TenderKind::WechatPay } else { TenderKind::Alipay };
        sale.tenders = vec![Tender {
            kind,
            amount: due,
            tendered: due,
            reference: Some(txn),
            points: 0,
            stored_value: None,
            hold: None,
            authorization: Some(Authorization::order(&order_no)),
        }];
        sale.change = Money::ZERO;
        if !keep {
            assert_eq!(self.push(t, shared::sync::Event::SaleCompleted(sale.clone())).await["status"], "accepted");
        }
        (sale, order_no)
    }

    async fn push(&self, t: usize, event: shared::sync::Event) -> Value {
        let (till, token) = &self.tills[t];
        let seq = {
            let mut s = self.seq.lock().expect("seq");
            *s += 1;
            *s
        };
        let env = hq_server::fixtures::envelope(till.till, seq, event);
        let r = self.app.push(token, till.till, vec![env]).await.expect(StatusCode::OK);
        r.body["results"][0]["outcome"].clone()
    }

    async fn import(&self, provider: &str, day: jiff::civil::Date, bytes: Vec<u8>) -> Reply {
        let uri = format!("/api/v1/payments/statements?provider={provider}&day={day}&file_name={provider}.csv");
        self.app.post_bytes(&uri, &self.app.admin, "text/csv", bytes).await
    }

    async fn report(&self, provider: &str) -> Value {
        let uri = format!("/api/v1/payments/reconciliation?day={}&provider={provider}", self.day);
        let r = self.app.get(&uri, &self.app.admin).await.expect(StatusCode::OK);
        r.body[0].clone()
    }
}

#[tokio::test]
async fn a_days_statements_are_reconciled_per_branch_and_each_difference_is_named() {
    let c = chain().await;
    // Branch 1: two WeChat sales pushed, a third paid whose sale the till still holds; an
    // Alipay sale, partly refunded through the gateway.
    let (_, w1) = c.paid_sale(0, 1, WECHAT, false).await;
    let (_, _w2) = c.paid_sale(0, 2, "134567890123450002", false).await;
    let (kept, w3) = c.paid_sale(0, 3, "134567890123450003", true).await;
    let (a1_sale, a1) = c.paid_sale(0, 4, ALIPAY, false).await;
    let refund = json!({"seq": 1, "amount": 100, "refund_receipt_no": "B001-01-900001", "reason": "退货"});
    let (_, token) = &c.tills[0];
    let r = till_post(&c.app, token, &format!("/api/v1/till/payments/{a1}/refunds"), refund).await;
    assert_eq!(r.expect(StatusCode::OK).body["state"], "refunded");
    // Branch 2: one Alipay sale.
    let (_, a2) = c.paid_sale(1, 1, "281234567890120002", false).await;

    // Before the statements: HQ's side alone.
    let before = c.report("wechat").await;
    assert!(before["statement"].is_null(), "{before}");
    assert!(before["differences"].as_array().expect("differences").is_empty());

    // The providers' statements of the day, from the simulator's own ledger.
    let wechat = c.sim.wechat_statement(c.day);
    let alipay = c.sim.alipay_statement(c.day);
    let w = c.import("wechat", c.day, wechat.clone().into_bytes()).await.expect(StatusCode::CREATED);
    assert_eq!((w.body["lines"].as_u64(), w.body["replaced"].as_bool()), (Some(3), Some(false)), "{}", w.body);
    let a = c.import("alipay", c.day, alipay.clone()).await.expect(StatusCode::CREATED);
    assert_eq!(a.body["lines"], 3, "two payments and a refund: {}", a.body);

    // WeChat: the payment whose sale HQ does not have is the one difference, at branch 1.
    let r = c.report("wechat").await;
    assert_eq!(r["matched_payments"], 2, "{r}");
    let diffs = r["differences"].as_array().expect("differences");
    assert_eq!(diffs.len(), 1, "{r}");
    assert_eq!(diffs[0]["kind"], "missing_at_hq");
    assert_eq!(diffs[0]["out_trade_no"], w3);
    assert_eq!(diffs[0]["provider"], kept.totals.due.0);
    assert_eq!(diffs[0]["branch_id"], c.tills[0].0.branch.0);
    assert_eq!(diffs[0]["rows"].as_array().map(Vec::len), Some(1), "the statement's row is named");
    let b1 = &r["branches"][0];
    assert_eq!(b1["branch_id"], c.tills[0].0.branch.0);
    assert_eq!(b1["differences"], 1);
    assert_eq!(
        b1["provider_paid"].as_i64().expect("paid") - b1["ours_paid"].as_i64().expect("ours"),
        kept.totals.due.0
    );
    assert!(r["provider_paid"].as_i64() > r["ours_paid"].as_i64());

    // The till pushes the sale it held: the day matches.
    assert_eq!(c.push(0, shared::sync::Event::SaleCompleted(kept)).await["status"], "accepted");
    let r = c.report("wechat").await;
    assert_eq!((r["matched_payments"].as_u64(), r["differences"].as_array().map(Vec::len)), (Some(3), Some(0)), "{r}");
    assert_eq!(r["provider_paid"], r["ours_paid"]);

    // Alipay: both payments and the refund match, each at its own branch.
    let r = c.report("alipay").await;
    assert_eq!((r["matched_payments"].as_u64(), r["matched_refunds"].as_u64()), (Some(2), Some(1)), "{r}");
    assert_eq!(r["provider_refunded"], 100);
    assert_eq!(r["ours_refunded"], 100);
    let branches: Vec<(i64, i64)> = r["branches"]
        .as_array()
        .expect("branches")
        .iter()
        .map(|b| (b["branch_id"].as_i64().expect("id"), b["ours_paid"].as_i64().expect("paid")))
        .collect();
    assert_eq!(branches, [(c.tills[0].0.branch.0, a1_sale.totals.due.0), (c.tills[1].0.branch.0, branches[1].1)]);

    // A statement edited by hand (one payment 4 fen less): an amount mismatch naming the row.
    let mut statement = payments::statement::wechat::parse(&wechat).expect("parse");
    let row = statement.rows.iter_mut().find(|r| r.out_trade_no == w1).expect("w1's row");
    row.order_amount -= 4;
    row.settlement_amount -= 4;
    let named_row = row.row;
    statement.summary.order_total -= 4;
    statement.summary.settlement_total -= 4;
    let again = payments::statement::wechat::write(&statement);
    let w = c.import("wechat", c.day, again.into_bytes()).await.expect(StatusCode::CREATED);
    assert_eq!(w.body["replaced"], true, "a second import of the day replaces the first");
    let r = c.report("wechat").await;
    let diffs = r["differences"].as_array().expect("differences");
    assert_eq!(diffs.len(), 1, "{r}");
    assert_eq!((diffs[0]["kind"].as_str(), diffs[0]["out_trade_no"].as_str()), (Some("amount_mismatch"), Some(&*w1)));
    assert_eq!(diffs[0]["ours"].as_i64().expect("ours") - diffs[0]["provider"].as_i64().expect("provider"), 4);
    assert_eq!(diffs[0]["rows"], json!([named_row]));
    let _ = a2;

    // Both statements are listed; the store has the lines.
    let list = c.app.get("/api/v1/payments/statements", &c.app.admin).await.expect(StatusCode::OK);
    assert_eq!(list.body["statements"].as_array().map(Vec::len), Some(2), "{}", list.body);
    let (_, lines) = c.app.store.statement(Provider::Alipay, c.day).expect("read").expect("stored");
    assert_eq!(lines.len(), 3);
}

#[tokio::test]
async fn a_statement_with_a_broken_row_imports_nothing_names_the_row_and_is_kept() {
    let c = chain().await;
    c.paid_sale(0, 1, WECHAT, false).await;
    c.paid_sale(0, 2, ALIPAY, false).await;
    let good = c.sim.wechat_statement(c.day);
    let audit = c.app.audit_count().await;

    // Row 2's amount is not money.
    let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
    lines[1] = lines[1].replacen("`CNY,`", "`CNY,`12.3.4", 1);
    let broken = lines.join("\r\n");
    let r = c.import("wechat", c.day, broken.into_bytes()).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["message"].as_str().is_some_and(|m| m.starts_with("row 2:") && m.contains("nothing")), "{}", r.body);

    // A statement of another day, and an Alipay file sent as WeChat's, and not GBK.
    let other_day = c.day.yesterday().expect("day before");
    let r = c.import("wechat", other_day, good.clone().into_bytes()).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["message"].as_str().is_some_and(|m| m.contains("not on")), "{}", r.body);
    let alipay = c.sim.alipay_statement(c.day);
    c.import("wechat", c.day, alipay.clone()).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    let r = c.import("alipay", other_day, alipay).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["message"].as_str().is_some_and(|m| m.contains("covers")), "{}", r.body);

    // Bad parameters: refused before the file is read.
    let tomorrow = jiff::Timestamp::now().to_zoned(hq_server::reconciliation::provider_zone()).date().tomorrow();
    c.import("wechat", tomorrow.expect("tomorrow"), good.clone().into_bytes())
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    c.import("unionpay", c.day, good.clone().into_bytes()).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    c.import("wechat", c.day, Vec::new()).await.expect(StatusCode::BAD_REQUEST);

    // Nothing was imported; every refused file is kept with its reason, and no audit entry.
    assert!(c.app.store.statement(Provider::Wechat, c.day).expect("read").is_none());
    assert!(c.app.store.statement(Provider::Alipay, other_day).expect("read").is_none());
    let list = c.app.get("/api/v1/payments/statements", &c.app.admin).await.expect(StatusCode::OK);
    assert_eq!(list.body["statements"], json!([]));
    let rejected = list.body["rejected"].as_array().expect("rejected");
    assert_eq!(rejected.len(), 4, "{}", list.body);
    assert!(rejected.iter().any(|r| r["reason"].as_str().is_some_and(|m| m.starts_with("row 2:"))));
    assert_eq!(c.app.audit_count().await, audit);

    // The good file then imports, with its audit entry.
    c.import("wechat", c.day, good.into_bytes()).await.expect(StatusCode::CREATED);
    assert_eq!(c.app.audit_count().await, audit + 1);

    // Only HQ finance and admins.
    let marketing = c.app.user("mkt", "marketing", None).await;
    let r = c.app.get("/api/v1/payments/reconciliation", &marketing).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_refund_to_a_wallet_is_accepted_only_for_a_refund_the_gateway_made() {
    use shared::pricing::CashRounding;
    use shared::sale::{ReturnPick, plan_refund};
    let c = chain().await;
    let (sale, order_no) = c.paid_sale(0, 1, ALIPAY, false).await;
    let (till, token) = &c.tills[0];
    let pick = [ReturnPick { line: 0, qty: shared::money::Qty::ONE }];
    let plan = plan_refund(&sale, &[], &pick, CashRounding::None).expect("plan");
    let refund_of = |receipt_seq: u32, no: &str| {
        let mut r = hq_server::fixtures::refund(&sale, till, receipt_seq, plan.clone());
        r.tenders[0].reference = Some(no.to_owned());
        r.tenders[0].authorization = Some(Authorization::order(&order_no));
        r
    };
    let amount = plan.tenders[0].amount.0;
    assert!(amount > 0);
    let no = format!("{order_no}-R1");
    // Claimed with no refund made: rejected, with the reason.
    let out = c.push(0, shared::sync::Event::SaleRefunded(refund_of(901, &no))).await;
    assert_eq!(out["status"], "rejected", "{out}");
    assert!(out["reason"].as_str().is_some_and(|r| r.contains("not one HQ's gateway made")), "{out}");
    // A refund made for another refund receipt does not back this one.
    let other = refund_of(902, &no).receipt_no.to_string();
    let body = json!({"seq": 1, "amount": amount, "refund_receipt_no": other});
    till_post(&c.app, token, &format!("/api/v1/till/payments/{order_no}/refunds"), body).await.expect(StatusCode::OK);
    let out = c.push(0, shared::sync::Event::SaleRefunded(refund_of(901, &no))).await;
    assert!(out["reason"].as_str().is_some_and(|r| r.contains("another refund")), "{out}");
    // Another amount than the refund made: rejected.
    let mut less = refund_of(902, &no);
    less.tenders[0].amount = Money(amount - 1);
    less.tenders[0].tendered = Money(amount - 1);
    let out = c.push(0, shared::sync::Event::SaleRefunded(less)).await;
    assert_eq!(out["status"], "rejected", "{out}");
    // The one it was made for: accepted.
    let out = c.push(0, shared::sync::Event::SaleRefunded(refund_of(902, &no))).await;
    assert_eq!(out["status"], "accepted", "{out}");
}

#[tokio::test]
async fn the_demo_chain_has_yesterdays_statements_with_one_difference() {
    let app = crate::helpers::spawn_app().await;
    let store = app.store.clone();
    let options = hq_server::demo::DemoOptions { payments: true, ..hq_server::demo::DemoOptions::small() };
    let demo = tokio::task::spawn_blocking(move || hq_server::demo::seed(&*store, &options)).await.expect("join");
    let demo = demo.expect("demo data");
    let r = app.get("/api/v1/payments/reconciliation", &app.admin).await.expect(StatusCode::OK);
    let (wechat, alipay) = (&r.body[0], &r.body[1]);
    assert!(wechat["statement"]["lines"].as_u64() > Some(0), "{wechat}");
    assert!(alipay["statement"]["lines"].as_u64() > Some(0), "{alipay}");
    let diffs = wechat["differences"].as_array().expect("differences");
    assert_eq!(diffs.len(), 1, "{wechat}");
    assert_eq!(diffs[0]["kind"], "missing_at_hq");
    assert_eq!(diffs[0]["branch_id"], demo.branches[0].id.0);
    assert_eq!(alipay["differences"], json!([]), "{alipay}");
    assert!(alipay["matched_payments"].as_u64() > Some(0));
}
