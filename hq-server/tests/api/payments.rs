//! HQ as the payment gateway (issue 23), against the payment simulator on loopback (real HTTP,
//! real signatures): a payment code collected exactly once, the providers' refusals, a customer
//! confirming on the phone, lost answers and bad signatures queried, attempts a killed HQ left
//! open resolved by another process, a cashier's cancel, and refunds. On both stores.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use hq_server::gateway::{Gateway, GatewaySettings, PaymentsConfig};
use hq_server::store::PaymentStore as _;
use hq_server::store::payments::{NewAttempt, PaymentFilter};
use payments::ProviderKind;
use payments::sim::{Script, Simulator};
use serde_json::{Value, json};
use shared::money::Money;
use shared::payment_code::Provider;

use crate::helpers::{Reply, Req, TestApp, spawn_app_with};
use crate::members::till_post;
use crate::till_stock::till_get;

const WECHAT: &str = "134567890123456789";
const ALIPAY: &str = "281234567890123456";

/// Quick timings, so a customer's confirmation and a lost answer take a test moments.
pub(crate) fn settings() -> GatewaySettings {
    GatewaySettings {
        answer_within: Duration::from_secs(5),
        poll_every: Duration::from_millis(20),
        confirm_within: Duration::from_millis(600),
        lease: Duration::from_secs(2),
        max_backoff: Duration::from_millis(200),
        provider_timeout: Duration::from_millis(400),
        subject: "Tillpoint 测试店".into(),
    }
}

struct Chain {
    app: TestApp,
    sim: Arc<Simulator>,
    payments: PaymentsConfig,
    till: hq_server::fixtures::TillRef,
    token: String,
    other_token: String,
}

async fn chain_with(settings: GatewaySettings) -> Chain {
    let payments = PaymentsConfig::start_simulator(settings).await.expect("simulator");
    let sim = payments.simulator.clone().expect("started");
    let config = payments.clone();
    let app = spawn_app_with(move |c| c.payments = config).await;
    let b1 = app.branch("B001").await;
    let (till, token) = app.enrolled_till(b1).await;
    let (_, other_token) = app.enrolled_till(b1).await;
    Chain { app, sim, payments, till, token, other_token }
}

async fn chain() -> Chain {
    chain_with(settings()).await
}

fn collect(receipt: &str, attempt: u32, code: &str, amount: i64) -> Value {
    json!({"receipt_no": receipt, "attempt": attempt, "code": code, "amount": amount})
}

impl Chain {
    async fn collect(&self, receipt: &str, attempt: u32, code: &str, amount: i64) -> Reply {
        till_post(&self.app, &self.token, "/api/v1/till/payments", collect(receipt, attempt, code, amount)).await
    }

    fn calls(&self, order_no: &str) -> Vec<(String, String)> {
        self.app.store.payment_calls(order_no).expect("calls").into_iter().map(|c| (c.call, c.state)).collect()
    }

    fn attempts(&self) -> usize {
        self.app.store.payments(&PaymentFilter { limit: 1000, ..PaymentFilter::default() }).expect("payments").len()
    }

    /// Another HQ process on the same database (the test's own gateway over the same store).
    fn other_process(&self) -> Arc<Gateway> {
        Arc::new(Gateway::new(self.app.store.clone(), &self.payments))
    }
}

#[tokio::test]
async fn a_payment_code_is_collected_once_and_asking_again_is_the_same_attempt() {
    let c = chain().await;
    let r = c.collect("B001-01-000001", 1, WECHAT, 1250).await.expect(StatusCode::OK);
    assert_eq!(r.body["state"], "paid", "{}", r.body);
    assert_eq!(r.body["order_no"], "B001-01-000001-1");
    assert_eq!(r.body["provider"], "wechat");
    assert_eq!(r.body["code_masked"], "1345**********6789", "the code is kept masked only");
    let txn = r.body["transaction_id"].as_str().expect("transaction id").to_owned();
    assert_eq!(c.sim.times_charged(ProviderKind::WeChat, "B001-01-000001-1"), 1);

    // The answer was lost and the till asks again: the same attempt, charged once.
    let again = c.collect("B001-01-000001", 1, WECHAT, 1250).await.expect(StatusCode::OK);
    assert_eq!((again.body["state"].as_str(), again.body["transaction_id"].as_str()), (Some("paid"), Some(&*txn)));
    assert_eq!(c.sim.times_charged(ProviderKind::WeChat, "B001-01-000001-1"), 1);
    let status = till_get(&c.app, &c.token, "/api/v1/till/payments/B001-01-000001-1").await.expect(StatusCode::OK);
    assert_eq!(status.body, again.body);
    // Another amount or code under the same attempt is refused: a new code is a new attempt.
    c.collect("B001-01-000001", 1, WECHAT, 1300).await.expect(StatusCode::CONFLICT);
    c.collect("B001-01-000001", 1, "134567890123450000", 1250).await.expect(StatusCode::CONFLICT);
    assert_eq!(c.calls("B001-01-000001-1"), [("pay".to_owned(), "paid".to_owned())]);

    // Alipay the same way.
    let ali = c.collect("B001-01-000002", 1, ALIPAY, 880).await.expect(StatusCode::OK);
    assert_eq!((ali.body["state"].as_str(), ali.body["provider"].as_str()), (Some("paid"), Some("alipay")));
    assert_eq!(c.sim.times_charged(ProviderKind::Alipay, "B001-01-000002-1"), 1);
    // Another till sees neither.
    till_get(&c.app, &c.other_token, "/api/v1/till/payments/B001-01-000001-1").await.expect(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_requests_and_refusals_take_no_money_and_say_why() {
    let c = chain().await;
    for (body, why) in [
        (collect("B001-01-000003", 1, WECHAT, 0), "amount"),
        (collect("B001-01-000003", 1, WECHAT, -5), "amount"),
        (collect("B001-01-000003", 1, "6901234567892", 100), "not a WeChat Pay or Alipay payment code"),
        (collect("B001-01-000003", 1, "13456789012345678", 100), "misread"),
        (collect("B001-01-000003", 1, "1345678901234567890", 100), "misread"),
        (collect("B002-01-000003", 1, WECHAT, 100), "not a receipt of this till"),
        (collect("B001-02-000003", 1, WECHAT, 100), "not a receipt of this till"),
        (collect("not a receipt", 1, WECHAT, 100), "receipt_no"),
        (collect("B001-01-000003", 0, WECHAT, 100), "attempt"),
    ] {
        let r = till_post(&c.app, &c.token, "/api/v1/till/payments", body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.body);
        assert!(r.body["message"].as_str().expect("message").contains(why), "{body}: {}", r.body);
    }
    assert_eq!(c.attempts(), 0, "nothing recorded");
    assert!(c.sim.charges().is_empty(), "nothing sent");

    // The provider refuses: the attempt fails with its reason; another code is a new attempt.
    c.sim.script_code(WECHAT, Script::InsufficientFunds);
    let r = c.collect("B001-01-000003", 1, WECHAT, 500).await.expect(StatusCode::OK);
    assert_eq!((r.body["state"].as_str(), r.body["failure_code"].as_str()), (Some("failed"), Some("NOTENOUGH")));
    assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", r.body);
    assert_eq!(r.body["retryable"], true);
    c.sim.script_code("134567890123450001", Script::CodeExpired);
    let expired = c.collect("B001-01-000003", 2, "134567890123450001", 500).await.expect(StatusCode::OK);
    assert_eq!(
        (expired.body["state"].as_str(), expired.body["failure_code"].as_str()),
        (Some("failed"), Some("AUTHCODEEXPIRE"))
    );
    let paid = c.collect("B001-01-000003", 3, ALIPAY, 500).await.expect(StatusCode::OK);
    assert_eq!(paid.body["state"], "paid");
    assert_eq!(c.sim.charges().len(), 1, "only the last attempt took money");

    // No till token: no payment.
    let anon = c
        .app
        .send(Req {
            method: Method::POST,
            uri: "/api/v1/till/payments".into(),
            cookie: None,
            till_token: None,
            body: Some(collect("B001-01-000004", 1, WECHAT, 100)),
            from: None,
        })
        .await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_customer_who_confirms_is_polled_until_paid_and_one_who_does_not_is_cancelled() {
    let c = chain().await;
    c.sim.script_code(WECHAT, Script::UserPaying { paid_after_queries: Some(3) });
    let r = c.collect("B001-01-000010", 1, WECHAT, 2000).await.expect(StatusCode::OK);
    assert_eq!(r.body["state"], "paid", "{}", r.body);
    let calls = c.calls("B001-01-000010-1");
    assert_eq!(calls.first().map(|(call, state)| (call.as_str(), state.as_str())), Some(("pay", "user_paying")));
    assert_eq!(calls.iter().filter(|(call, _)| call == "query").count(), 3, "{calls:?}");

    // Never confirmed: cancelled at the deadline, nothing taken.
    c.sim.script_code(ALIPAY, Script::UserPaying { paid_after_queries: None });
    let r = c.collect("B001-01-000011", 1, ALIPAY, 2000).await.expect(StatusCode::OK);
    assert_eq!((r.body["state"].as_str(), r.body["failure_code"].as_str()), (Some("cancelled"), Some("USER_TIMEOUT")));
    assert_eq!(c.sim.times_charged(ProviderKind::Alipay, "B001-01-000011-1"), 0);
    assert!(c.calls("B001-01-000011-1").iter().any(|(call, _)| call == "cancel"));
}

#[tokio::test]
async fn a_lost_answer_or_a_bad_signature_is_queried_and_the_money_kept_or_given_back() {
    let c = chain().await;
    // The provider charged, but its answer never came: the query finds it paid.
    c.sim.script_code(WECHAT, Script::Timeout { delay_ms: 1500, charged: true });
    let r = c.collect("B001-01-000020", 1, WECHAT, 1000).await.expect(StatusCode::OK);
    assert_eq!(r.body["state"], "paid", "{}", r.body);
    assert_eq!(c.sim.times_charged(ProviderKind::WeChat, "B001-01-000020-1"), 1);
    assert_eq!(c.calls("B001-01-000020-1")[0], ("pay".to_owned(), "unknown".to_owned()));

    // Not charged and no answer: the query finds nothing to keep, and nothing was taken.
    c.sim.script_code(ALIPAY, Script::Timeout { delay_ms: 1500, charged: false });
    let r = c.collect("B001-01-000021", 1, ALIPAY, 1000).await.expect(StatusCode::OK);
    assert!(matches!(r.body["state"].as_str(), Some("failed" | "cancelled")), "{}", r.body);
    assert_eq!(c.sim.times_charged(ProviderKind::Alipay, "B001-01-000021-1"), 0);

    // A pay answer whose signature does not verify is refused and logged, never taken as paid:
    // the (properly signed) query says paid.
    c.sim.script_code("134567890123450002", Script::BadSignature);
    let r = c.collect("B001-01-000022", 1, "134567890123450002", 1000).await.expect(StatusCode::OK);
    assert_eq!(r.body["state"], "paid", "{}", r.body);
    let calls = c.app.store.payment_calls("B001-01-000022-1").expect("calls");
    assert_eq!((calls[0].call.as_str(), calls[0].state.as_str()), ("pay", "unknown"));
    assert!(calls[0].note.contains("signature"), "{calls:?}");
}

#[tokio::test]
async fn attempts_a_killed_hq_left_open_are_resolved_by_another_process() {
    let c = chain().await;
    let tills = {
        use hq_server::store::BranchStore as _;
        let b1 = c.app.store.list_branches().expect("branches")[0].id;
        c.app.store.list_tills(b1).expect("tills")
    };
    let t = tills.iter().find(|t| t.number == 1).expect("till 01");
    let new = |receipt: &str| NewAttempt {
        order_no: format!("{receipt}-1"),
        provider: Provider::Wechat,
        branch: t.branch_id,
        till: t.id,
        receipt_no: receipt.to_owned(),
        attempt: 1,
        amount: Money(700),
        code_masked: "1345**********6789".into(),
    };
    let lease = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(1);
    // Killed after writing the attempt, before the provider heard of it.
    c.app.store.begin_payment(&new("B001-01-000030"), lease).expect("begun");
    // Killed after the provider charged, before the answer was written.
    c.app.store.begin_payment(&new("B001-01-000031"), lease).expect("begun");
    let client = c.payments.wechat.clone().expect("wechat");
    let paid = client
        .pay(&payments::PayRequest {
            out_trade_no: "B001-01-000031-1".into(),
            auth_code: WECHAT.into(),
            amount: 700,
            subject: "Tillpoint".into(),
            terminal: None,
        })
        .await
        .expect("charged");
    assert!(matches!(paid, payments::PayOutcome::Paid(_)), "{paid:?}");

    // Any process's round resolves both.
    let other = c.other_process();
    for _ in 0..50 {
        other.run_due().await.expect("round");
        let open = c.app.store.payments(&PaymentFilter { open: true, limit: 10, ..PaymentFilter::default() });
        if open.expect("open").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let never = c.app.store.payment("B001-01-000030-1").expect("attempt");
    assert_eq!(never.attempt.state, shared::payment::AttemptState::Failed, "{never:?}");
    assert_eq!(never.attempt.failure_code.as_deref(), Some("NOT_FOUND"));
    let charged = c.app.store.payment("B001-01-000031-1").expect("attempt");
    assert_eq!(charged.attempt.state, shared::payment::AttemptState::Paid, "{charged:?}");
    assert!(charged.attempt.transaction_id.is_some());
    assert_eq!(c.sim.times_charged(ProviderKind::WeChat, "B001-01-000030-1"), 0);
    assert_eq!(c.sim.times_charged(ProviderKind::WeChat, "B001-01-000031-1"), 1);
    // The till learns where each stands.
    let r = till_get(&c.app, &c.token, "/api/v1/till/payments/B001-01-000031-1").await;
    assert_eq!(r.expect(StatusCode::OK).body["state"], "paid");
}

#[tokio::test]
async fn a_cashier_who_gives_up_cancels_and_the_provider_gives_back_what_it_took() {
    let mut s = settings();
    // The till is answered while the customer still confirms.
    s.answer_within = Duration::from_millis(150);
    s.confirm_within = Duration::from_secs(60);
    let c = chain_with(s).await;
    c.sim.script_code(WECHAT, Script::UserPaying { paid_after_queries: None });
    let r = c.collect("B001-01-000040", 1, WECHAT, 1500).await.expect(StatusCode::OK);
    assert_eq!(r.body["state"], "user_paying", "{}", r.body);
    let mut cancelled = till_post(&c.app, &c.token, "/api/v1/till/payments/B001-01-000040-1/cancel", json!({})).await;
    for _ in 0..100 {
        if cancelled.body["state"] == "cancelled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        cancelled = till_get(&c.app, &c.token, "/api/v1/till/payments/B001-01-000040-1").await;
    }
    assert_eq!(cancelled.body["state"], "cancelled", "{}", cancelled.body);
    assert_eq!(cancelled.body["failure_code"], "CASHIER_CANCELLED");
    assert_eq!(c.sim.times_charged(ProviderKind::WeChat, "B001-01-000040-1"), 0);
    // A final attempt is answered as it is.
    let again = till_post(&c.app, &c.token, "/api/v1/till/payments/B001-01-000040-1/cancel", json!({})).await;
    assert_eq!(again.expect(StatusCode::OK).body["state"], "cancelled");
    till_post(&c.app, &c.other_token, "/api/v1/till/payments/B001-01-000040-1/cancel", json!({}))
        .await
        .expect(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn refunds_go_back_in_parts_once_each_and_never_beyond_what_was_paid() {
    let c = chain().await;
    for (receipt, code, provider) in
        [("B001-01-000050", WECHAT, ProviderKind::WeChat), ("B001-01-000051", ALIPAY, ProviderKind::Alipay)]
    {
        let order = format!("{receipt}-1");
        c.collect(receipt, 1, code, 1000).await.expect(StatusCode::OK);
        let refunds = format!("/api/v1/till/payments/{order}/refunds");
        let refund = |seq: u32, amount: i64| json!({"seq": seq, "amount": amount, "refund_receipt_no": format!("B001-01-9{seq:05}"), "reason": "退货"});
        let first = till_post(&c.app, &c.token, &refunds, refund(1, 300)).await.expect(StatusCode::OK);
        assert_eq!(first.body["state"], "refunded", "{}", first.body);
        assert_eq!(first.body["out_refund_no"], format!("{order}-R1"));
        // Sent again (the answer lost): the same refund, not a second one.
        let again = till_post(&c.app, &c.token, &refunds, refund(1, 300)).await.expect(StatusCode::OK);
        assert_eq!(again.body["state"], "refunded");
        assert_eq!(c.sim.refunded(provider, &order), 300);
        till_post(&c.app, &c.token, &refunds, refund(1, 400)).await.expect(StatusCode::CONFLICT);
        let too_much = till_post(&c.app, &c.token, &refunds, refund(2, 800)).await.expect(StatusCode::CONFLICT);
        assert!(too_much.body["message"].as_str().expect("message").contains("¥7.00"), "{}", too_much.body);
        till_post(&c.app, &c.token, &refunds, refund(2, 700)).await.expect(StatusCode::OK);
        assert_eq!(c.sim.refunded(provider, &order), 1000);
        let status = till_get(&c.app, &c.token, &format!("{refunds}/2")).await.expect(StatusCode::OK);
        assert_eq!(status.body["state"], "refunded");
        let attempt = till_get(&c.app, &c.token, &format!("/api/v1/till/payments/{order}")).await;
        assert_eq!(attempt.body["refunded"], 1000);
        till_post(&c.app, &c.token, &refunds, refund(3, 1)).await.expect(StatusCode::CONFLICT);
    }

    // A refund of an attempt that was not paid is refused; bad refunds change nothing.
    c.sim.script_code("134567890123450003", Script::InsufficientFunds);
    c.collect("B001-01-000052", 1, "134567890123450003", 1000).await.expect(StatusCode::OK);
    let refunds = "/api/v1/till/payments/B001-01-000052-1/refunds";
    let body = json!({"seq": 1, "amount": 100, "refund_receipt_no": "B001-01-900009"});
    till_post(&c.app, &c.token, refunds, body).await.expect(StatusCode::CONFLICT);
    for bad in [
        json!({"seq": 0, "amount": 100, "refund_receipt_no": "B001-01-900009"}),
        json!({"seq": 1, "amount": 0, "refund_receipt_no": "B001-01-900009"}),
        json!({"seq": 1, "amount": 100, "refund_receipt_no": " "}),
    ] {
        let r = till_post(&c.app, &c.token, "/api/v1/till/payments/B001-01-000050-1/refunds", bad.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", r.body);
    }

    // The provider refuses a refund (the payment was reversed there meanwhile): shown as failed
    // with its reason, nothing given back here.
    c.collect("B001-01-000053", 1, WECHAT, 600).await.expect(StatusCode::OK);
    let client = c.payments.wechat.clone().expect("wechat");
    client.cancel("B001-01-000053-1").await.expect("reversed at the provider");
    let r = till_post(
        &c.app,
        &c.token,
        "/api/v1/till/payments/B001-01-000053-1/refunds",
        json!({"seq": 1, "amount": 600, "refund_receipt_no": "B001-01-900010"}),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(r.body["state"], "failed", "{}", r.body);
    assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", r.body);
}

#[tokio::test]
async fn without_a_provider_set_up_a_payment_code_is_refused() {
    let app = spawn_app_with(|_| {}).await;
    let b1 = app.branch("B001").await;
    let (_, token) = app.enrolled_till(b1).await;
    let r = till_post(&app, &token, "/api/v1/till/payments", collect("B001-01-000001", 1, WECHAT, 100)).await;
    assert_eq!(r.expect(StatusCode::CONFLICT).error_code(), "provider_not_configured");
}

#[tokio::test]
async fn a_sale_paid_by_a_payment_code_is_accepted_only_for_the_payment_hq_collected() {
    use shared::sale::{Authorization, Tender, TenderKind};
    let c = chain().await;
    for (code, product) in [("COLA", "6901234567892"), ("TEA", "6920152400012")] {
        c.app.product(code, product).await;
    }
    let mut seq = 0;
    let mut push = |sale: shared::sale::CompletedSale| {
        seq += 1;
        let env = hq_server::fixtures::envelope(c.till.till, seq, shared::sync::Event::SaleCompleted(sale));
        let (app, token, till) = (&c.app, c.token.clone(), c.till.till);
        async move {
            let r = app.push(&token, till, vec![env]).await.expect(StatusCode::OK);
            r.body["results"][0]["outcome"].clone()
        }
    };
    let paid_by = |sale: &mut shared::sale::CompletedSale, kind, txn: &str, order_no: &str| {
        let due = sale.totals.due;
        sale.tenders = vec![Tender {
            kind,
            amount: due,
            tendered: due,
            reference: Some(txn.to_owned()),
            points: 0,
            stored_value: None,
            hold: None,
            authorization: Some(Authorization::order(order_no)),
        }];
        sale.change = Money::ZERO;
    };
    let mut sale = hq_server::fixtures::sale(&c.till, 7, 1, 1);
    let receipt = sale.receipt_no.to_string();
    let due = sale.totals.due;
    let r = c.collect(&receipt, 1, WECHAT, due.0).await.expect(StatusCode::OK);
    let txn = r.body["transaction_id"].as_str().expect("paid").to_owned();
    let order_no = format!("{receipt}-1");

    // Claims HQ did not collect are rejected with the reason (and kept).
    let mut forged = sale.clone();
    paid_by(&mut forged, TenderKind::WechatPay, "4200000000000000000000000000", &format!("{receipt}-2"));
    let out = push(forged).await;
    assert_eq!(out["status"], "rejected", "{out}");
    assert!(out["reason"].as_str().is_some_and(|r| r.contains("not one HQ collected")), "{out}");
    let mut wrong_id = sale.clone();
    paid_by(&mut wrong_id, TenderKind::WechatPay, "4200000000000000000000000000", &order_no);
    let out = push(wrong_id).await;
    assert!(out["reason"].as_str().is_some_and(|r| r.contains("is not payment")), "{out}");
    let mut wrong_kind = sale.clone();
    paid_by(&mut wrong_kind, TenderKind::Alipay, &txn, &order_no);
    let out = push(wrong_kind).await;
    assert!(out["reason"].as_str().is_some_and(|r| r.contains("was made by")), "{out}");
    let mut other_sale = hq_server::fixtures::sale(&c.till, 8, 1, 1);
    let other_due = other_sale.totals.due;
    paid_by(&mut other_sale, TenderKind::WechatPay, &txn, &order_no);
    other_sale.tenders[0].amount = other_due;
    other_sale.tenders[0].tendered = other_due;
    let out = push(other_sale).await;
    assert!(out["reason"].as_str().is_some_and(|r| r.contains("another sale")), "{out}");

    // The payment HQ collected: accepted.
    paid_by(&mut sale, TenderKind::WechatPay, &txn, &order_no);
    let out = push(sale).await;
    assert_eq!(out["status"], "accepted", "{out}");
}

#[tokio::test]
async fn an_attempt_being_cancelled_moves_on_only_by_the_cancel() {
    use hq_server::store::payments::CallRecord;
    use shared::payment::AttemptState;
    let c = chain().await;
    let store = c.app.store.clone();
    let tills = {
        use hq_server::store::BranchStore as _;
        let b1 = store.list_branches().expect("branches")[0].id;
        store.list_tills(b1).expect("tills")
    };
    let t = tills.iter().find(|t| t.number == 1).expect("till 01");
    let new = NewAttempt {
        order_no: "B001-01-000060-1".into(),
        provider: Provider::Wechat,
        branch: t.branch_id,
        till: t.id,
        receipt_no: "B001-01-000060".into(),
        attempt: 1,
        amount: Money(900),
        code_masked: "1345**********6789".into(),
    };
    store.begin_payment(&new, jiff::Timestamp::now()).expect("begun");
    let record = |call: &'static str, state: AttemptState| CallRecord {
        call,
        state,
        paid: (state == AttemptState::Paid).then(|| ("4200000000000000000000000001".to_owned(), None)),
        failure: None,
        next_at: Some(jiff::Timestamp::now() + Duration::from_secs(60)),
        note: call.into(),
    };
    store.record_payment_call("B001-01-000060-1", &record("cashier_cancel", AttemptState::Cancelling)).expect("cancel");
    // A query a round had already sent comes back paid: the cancel goes on, due now.
    let a = store.record_payment_call("B001-01-000060-1", &record("query", AttemptState::Paid)).expect("query");
    assert_eq!(a.attempt.state, AttemptState::Cancelling);
    assert!(a.attempt.transaction_id.is_none());
    assert!(a.next_at.is_some_and(|at| at <= jiff::Timestamp::now()), "{a:?}");
    let a = store.record_payment_call("B001-01-000060-1", &record("cancel", AttemptState::Cancelled)).expect("done");
    assert_eq!(a.attempt.state, AttemptState::Cancelled);
    // Final: nothing moves it.
    let a = store.record_payment_call("B001-01-000060-1", &record("query", AttemptState::Paid)).expect("late");
    assert_eq!(a.attempt.state, AttemptState::Cancelled);
    let calls: Vec<String> =
        store.payment_calls("B001-01-000060-1").expect("calls").into_iter().map(|c| c.state).collect();
    assert_eq!(calls, ["cancelling", "cancelling", "cancelled"]);
}
