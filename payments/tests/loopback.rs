//! Both clients against the simulator on loopback: every scripted outcome, signatures wrong both
//! ways, exactly-once charging on retry, refunds, and the day's statements read back.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use payments::alipay::{Alipay, AlipayMerchant};
use payments::sim::{Script, Simulator, keys};
use payments::wechat::{SignType, WeChatPay};
use payments::{
    CancelOutcome, PayOutcome, PayRequest, Provider, ProviderError, ProviderKind, RefundOutcome, RefundRequest,
};

const KINDS: [ProviderKind; 2] = [ProviderKind::WeChat, ProviderKind::Alipay];

fn client(sim: &Simulator, kind: ProviderKind, timeout: Duration) -> Box<dyn Provider> {
    match kind {
        ProviderKind::WeChat => Box::new(
            WeChatPay::new(Simulator::wechat_merchant(SignType::HmacSha256), &sim.base_url(), timeout).unwrap(),
        ),
        ProviderKind::Alipay => {
            Box::new(Alipay::new(Simulator::alipay_merchant(), &sim.alipay_gateway_url(), timeout).unwrap())
        }
    }
}

fn clients(sim: &Simulator) -> Vec<Box<dyn Provider>> {
    KINDS.iter().map(|&k| client(sim, k, Duration::from_secs(5))).collect()
}

/// A payment code of the provider's shape (WeChat 18 digits from 13, Alipay 18 from 28)
fn code(kind: ProviderKind, n: u32) -> String {
    match kind {
        ProviderKind::WeChat => format!("13{n:016}"),
        ProviderKind::Alipay => format!("28{n:016}"),
    }
}

fn pay(order: &str, code: &str, amount: i64) -> PayRequest {
    PayRequest {
        out_trade_no: order.into(),
        auth_code: code.into(),
        amount,
        subject: "Tillpoint 测试店".into(),
        terminal: Some("B001-01".into()),
    }
}

fn paid(outcome: &PayOutcome) -> &payments::Paid {
    match outcome {
        PayOutcome::Paid(paid) => paid,
        other => panic!("not paid: {other:?}"),
    }
}

fn failure(outcome: PayOutcome) -> payments::Failure {
    match outcome {
        PayOutcome::Failed(failure) => failure,
        other => panic!("not failed: {other:?}"),
    }
}

#[tokio::test]
async fn a_code_that_pays_is_charged_once_and_queries_as_paid() {
    let sim = Simulator::start().await.unwrap();
    for provider in clients(&sim) {
        let kind = provider.kind();
        let outcome = provider.pay(&pay("B001-01-000001-1", &code(kind, 1), 1234)).await.unwrap();
        let first = paid(&outcome).clone();
        assert_eq!(first.amount, 1234);
        assert_eq!(first.transaction_id.len(), 28);
        assert!(first.paid_at.is_some());
        let queried = provider.query("B001-01-000001-1").await.unwrap();
        assert_eq!(paid(&queried), &first, "{kind}");
        assert_eq!(sim.times_charged(kind, "B001-01-000001-1"), 1);
    }
}

#[tokio::test]
async fn a_customer_who_must_confirm_is_polled_until_paid() {
    let sim = Simulator::start().await.unwrap();
    for provider in clients(&sim) {
        let kind = provider.kind();
        sim.script_code(&code(kind, 2), Script::UserPaying { paid_after_queries: Some(2) });
        let request = pay("B001-01-000002-1", &code(kind, 2), 880);
        assert_eq!(provider.pay(&request).await.unwrap(), PayOutcome::UserPaying);
        assert_eq!(provider.query("B001-01-000002-1").await.unwrap(), PayOutcome::UserPaying);
        assert_eq!(sim.times_charged(kind, "B001-01-000002-1"), 0);
        assert_eq!(paid(&provider.query("B001-01-000002-1").await.unwrap()).amount, 880);
        assert_eq!(sim.times_charged(kind, "B001-01-000002-1"), 1);
        // the till retries the same attempt: answered as paid, never charged again
        assert_eq!(paid(&provider.pay(&request).await.unwrap()).amount, 880);
        assert_eq!(sim.times_charged(kind, "B001-01-000002-1"), 1);
    }
}

#[tokio::test]
async fn a_customer_who_never_confirms_is_cancelled_and_nothing_is_taken() {
    let sim = Simulator::start().await.unwrap();
    for provider in clients(&sim) {
        let kind = provider.kind();
        sim.script_code(&code(kind, 3), Script::UserPaying { paid_after_queries: None });
        assert_eq!(provider.pay(&pay("B001-01-000003-1", &code(kind, 3), 500)).await.unwrap(), PayOutcome::UserPaying);
        assert_eq!(provider.query("B001-01-000003-1").await.unwrap(), PayOutcome::UserPaying);
        assert_eq!(provider.cancel("B001-01-000003-1").await.unwrap(), CancelOutcome::Cancelled { refunded: false });
        assert_eq!(provider.query("B001-01-000003-1").await.unwrap(), PayOutcome::Closed);
        assert_eq!(sim.times_charged(kind, "B001-01-000003-1"), 0);
        assert_eq!(provider.cancel("B001-01-000404-1").await.unwrap(), CancelOutcome::NotFound);
    }
}

#[tokio::test]
async fn declines_say_why_and_a_new_attempt_can_pay() {
    let sim = Simulator::start().await.unwrap();
    for provider in clients(&sim) {
        let kind = provider.kind();
        sim.script_code(&code(kind, 4), Script::InsufficientFunds);
        sim.script_code(&code(kind, 5), Script::CodeExpired);
        let poor = failure(provider.pay(&pay("B001-01-000004-1", &code(kind, 4), 9900)).await.unwrap());
        let expired = failure(provider.pay(&pay("B001-01-000004-2", &code(kind, 5), 9900)).await.unwrap());
        let (poor_code, expired_code) = match kind {
            ProviderKind::WeChat => ("NOTENOUGH", "AUTHCODEEXPIRE"),
            ProviderKind::Alipay => ("ACQ.BUYER_BALANCE_NOT_ENOUGH", "ACQ.PAYMENT_AUTH_CODE_INVALID"),
        };
        assert_eq!((poor.code.as_str(), poor.retryable), (poor_code, true));
        assert_eq!((expired.code.as_str(), expired.retryable), (expired_code, true));
        assert!(!poor.message.is_empty());
        // a code that is not the provider's shape
        let misread = failure(provider.pay(&pay("B001-01-000004-3", "6901234567892", 9900)).await.unwrap());
        assert!(misread.retryable, "{misread:?}");
        // the customer refreshes the code: attempt 4 pays
        assert_eq!(paid(&provider.pay(&pay("B001-01-000004-4", &code(kind, 6), 9900)).await.unwrap()).amount, 9900);
        let charges: Vec<_> = sim.charges().into_iter().filter(|c| c.provider == kind).collect();
        assert_eq!(charges.len(), 1);
        assert_eq!(charges[0].out_trade_no, "B001-01-000004-4");
    }
}

#[tokio::test]
async fn a_lost_answer_is_unknown_and_the_query_tells_what_happened() {
    let sim = Simulator::start().await.unwrap();
    for kind in KINDS {
        let provider = client(&sim, kind, Duration::from_millis(300));
        sim.script_order("B001-01-000005-1", Script::Timeout { delay_ms: 1500, charged: true });
        sim.script_order("B001-01-000005-2", Script::Timeout { delay_ms: 1500, charged: false });
        let outcome = provider.pay(&pay("B001-01-000005-1", &code(kind, 7), 2500)).await.unwrap();
        assert!(matches!(outcome, PayOutcome::Unknown { .. }), "{outcome:?}");
        assert_eq!(paid(&provider.query("B001-01-000005-1").await.unwrap()).amount, 2500);
        let outcome = provider.pay(&pay("B001-01-000005-2", &code(kind, 8), 2500)).await.unwrap();
        assert!(matches!(outcome, PayOutcome::Unknown { .. }), "{outcome:?}");
        assert_eq!(provider.query("B001-01-000005-2").await.unwrap(), PayOutcome::NotFound);
        assert_eq!(sim.times_charged(kind, "B001-01-000005-1"), 1);
        assert_eq!(sim.times_charged(kind, "B001-01-000005-2"), 0);
        // a retry of the attempt whose answer was lost is not a second charge
        assert_eq!(paid(&provider.pay(&pay("B001-01-000005-1", &code(kind, 7), 2500)).await.unwrap()).amount, 2500);
        assert_eq!(sim.times_charged(kind, "B001-01-000005-1"), 1);
    }
}

#[tokio::test]
async fn a_system_error_is_unknown_and_queried() {
    let sim = Simulator::start().await.unwrap();
    for provider in clients(&sim) {
        let kind = provider.kind();
        sim.script_code(&code(kind, 9), Script::SystemError { charged: true });
        let outcome = provider.pay(&pay("B001-01-000006-1", &code(kind, 9), 100)).await.unwrap();
        assert!(matches!(outcome, PayOutcome::Unknown { .. }), "{outcome:?}");
        assert_eq!(paid(&provider.query("B001-01-000006-1").await.unwrap()).amount, 100);
        // what did complete is reversed: the money goes back
        let cancelled = provider.cancel("B001-01-000006-1").await.unwrap();
        assert!(matches!(cancelled, CancelOutcome::Cancelled { .. }), "{cancelled:?}");
        assert_eq!(provider.query("B001-01-000006-1").await.unwrap(), PayOutcome::Closed);
        assert_eq!(sim.refunded(kind, "B001-01-000006-1"), 100);
    }
}

#[tokio::test]
async fn the_same_order_number_is_never_a_second_charge() {
    let sim = Simulator::start().await.unwrap();
    for provider in clients(&sim) {
        let kind = provider.kind();
        let request = pay("B001-01-000007-1", &code(kind, 10), 4200);
        let first = paid(&provider.pay(&request).await.unwrap()).clone();
        for _ in 0..3 {
            assert_eq!(paid(&provider.pay(&request).await.unwrap()), &first);
        }
        // the same number for another amount is refused, not charged
        let other = failure(provider.pay(&pay("B001-01-000007-1", &code(kind, 10), 4300)).await.unwrap());
        assert!(!other.retryable, "{other:?}");
        assert_eq!(sim.times_charged(kind, "B001-01-000007-1"), 1);
    }
}

#[tokio::test]
async fn an_answer_with_a_bad_signature_is_refused_and_the_query_finds_the_truth() {
    let sim = Simulator::start().await.unwrap();
    for provider in clients(&sim) {
        let kind = provider.kind();
        sim.script_code(&code(kind, 11), Script::BadSignature);
        let refused = provider.pay(&pay("B001-01-000008-1", &code(kind, 11), 777)).await;
        assert!(
            matches!(refused, Err(ProviderError::BadSignature { provider, .. }) if provider == kind),
            "{refused:?}"
        );
        assert_eq!(paid(&provider.query("B001-01-000008-1").await.unwrap()).amount, 777);
        assert_eq!(sim.times_charged(kind, "B001-01-000008-1"), 1);
    }
}

#[tokio::test]
async fn signatures_wrong_either_way_are_refused() {
    let sim = Simulator::start().await.unwrap();
    let timeout = Duration::from_secs(5);

    // WeChat: a request signed with another key is refused by the provider, nothing charged
    let mut wrong = Simulator::wechat_merchant(SignType::Md5);
    wrong.api_key = "NOT0THE0MERCHANT0KEY000000000000".into();
    let wechat = WeChatPay::new(wrong, &sim.base_url(), timeout).unwrap();
    let refused = failure(wechat.pay(&pay("B001-01-000009-1", &code(ProviderKind::WeChat, 12), 100)).await.unwrap());
    assert_eq!((refused.code.as_str(), refused.message.as_str(), refused.retryable), ("FAIL", "签名错误", false));
    let proper = WeChatPay::new(Simulator::wechat_merchant(SignType::Md5), &sim.base_url(), timeout).unwrap();
    assert_eq!(proper.query("B001-01-000009-1").await.unwrap(), PayOutcome::NotFound);
    // (WeChat: an answer signed with another key is `Script::BadSignature`, tested above)

    // Alipay: a request signed with another application's key is refused
    let stranger = AlipayMerchant::new(keys::ALIPAY_APP_ID, keys::SIM_ALIPAY_PRIVATE, keys::SIM_ALIPAY_PUBLIC).unwrap();
    let alipay = Alipay::new(stranger, &sim.alipay_gateway_url(), timeout).unwrap();
    let refused = failure(alipay.pay(&pay("B001-01-000009-2", &code(ProviderKind::Alipay, 12), 100)).await.unwrap());
    assert_eq!((refused.code.as_str(), refused.retryable), ("isv.invalid-signature", false));
    // Alipay: answers checked with a key that is not the simulator's never verify
    let gullible =
        AlipayMerchant::new(keys::ALIPAY_APP_ID, keys::MERCHANT_APP_PRIVATE, keys::MERCHANT_APP_PUBLIC).unwrap();
    let alipay = Alipay::new(gullible, &sim.alipay_gateway_url(), timeout).unwrap();
    let refused = alipay.pay(&pay("B001-01-000009-3", &code(ProviderKind::Alipay, 13), 100)).await;
    assert!(matches!(refused, Err(ProviderError::BadSignature { .. })), "{refused:?}");
    // (that request was good: the simulator charged it, and a proper client finds it paid)
    let proper = client(&sim, ProviderKind::Alipay, timeout);
    assert_eq!(paid(&proper.query("B001-01-000009-3").await.unwrap()).amount, 100);

    assert_eq!(sim.charges().len(), 1);
}

#[tokio::test]
async fn partial_and_repeated_refunds_add_up_and_never_pass_the_payment() {
    let sim = Simulator::start().await.unwrap();
    for provider in clients(&sim) {
        let kind = provider.kind();
        let order = payments::order_no("B001-01-000010", 1).unwrap();
        paid(&provider.pay(&pay(order.as_str(), &code(kind, 14), 1000)).await.unwrap());
        let refund = |seq: u32, amount: i64| RefundRequest {
            out_trade_no: order.to_string(),
            out_refund_no: order.refund_no(seq),
            amount,
            total: 1000,
            reason: Some("退货".into()),
        };
        let first = provider.refund(&refund(1, 300)).await.unwrap();
        match (kind, &first) {
            (ProviderKind::WeChat, RefundOutcome::Pending { refund_id: Some(_) }) => {}
            (ProviderKind::Alipay, RefundOutcome::Refunded(r)) => {
                assert_eq!((r.amount, r.refunded_total), (300, Some(300)));
            }
            _ => panic!("{kind}: {first:?}"),
        }
        let confirmed = provider.refund_query(order.as_str(), &order.refund_no(1)).await.unwrap();
        assert!(matches!(&confirmed, RefundOutcome::Refunded(r) if r.amount == 300), "{confirmed:?}");
        // the same refund again (its answer was lost): no more money moves
        let again = provider.refund(&refund(1, 300)).await.unwrap();
        assert!(matches!(again, RefundOutcome::Pending { .. } | RefundOutcome::Refunded(_)), "{again:?}");
        assert_eq!(sim.refunded(kind, order.as_str()), 300);
        // a second partial refund of the rest
        let second = provider.refund(&refund(2, 700)).await.unwrap();
        assert!(!matches!(second, RefundOutcome::Failed(_) | RefundOutcome::Unknown { .. }), "{second:?}");
        assert_eq!(sim.refunded(kind, order.as_str()), 1000);
        // one fen more than was paid is refused
        let RefundOutcome::Failed(too_much) = provider.refund(&refund(3, 1)).await.unwrap() else {
            panic!("{kind}: a refund past the payment was not refused");
        };
        let expected = match kind {
            ProviderKind::WeChat => "ERROR",
            ProviderKind::Alipay => "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
        };
        assert_eq!((too_much.code.as_str(), too_much.retryable), (expected, false));
        assert_eq!(sim.refunded(kind, order.as_str()), 1000);
        assert_eq!(provider.refund_query(order.as_str(), &order.refund_no(9)).await.unwrap(), RefundOutcome::NotFound);
        assert_eq!(
            sim.refunds().iter().filter(|r| r.provider == kind).map(|r| r.out_refund_no.clone()).collect::<Vec<_>>(),
            vec![Some(order.refund_no(1)), Some(order.refund_no(2))]
        );
    }
}

#[tokio::test]
async fn a_paid_order_reversed_gives_the_money_back() {
    let sim = Simulator::start().await.unwrap();
    for provider in clients(&sim) {
        let kind = provider.kind();
        paid(&provider.pay(&pay("B001-01-000011-1", &code(kind, 15), 650)).await.unwrap());
        let cancelled = provider.cancel("B001-01-000011-1").await.unwrap();
        let refunded = kind == ProviderKind::Alipay; // WeChat's reverse does not say
        assert_eq!(cancelled, CancelOutcome::Cancelled { refunded });
        assert_eq!(provider.query("B001-01-000011-1").await.unwrap(), PayOutcome::Closed);
        assert_eq!(sim.refunded(kind, "B001-01-000011-1"), 650);
        // a reversed order cannot be paid again under the same number
        let again = failure(provider.pay(&pay("B001-01-000011-1", &code(kind, 15), 650)).await.unwrap());
        assert!(!again.retryable);
        assert_eq!(sim.times_charged(kind, "B001-01-000011-1"), 1);
    }
}

#[tokio::test]
async fn what_cannot_be_asked_is_not_sent_and_no_answer_is_unknown() {
    let sim = Simulator::start().await.unwrap();
    for provider in clients(&sim) {
        let zero = provider.pay(&pay("B001-01-000012-1", &code(provider.kind(), 16), 0)).await;
        assert!(matches!(zero, Err(ProviderError::InvalidRequest { .. })), "{zero:?}");
        let refund = RefundRequest {
            out_trade_no: "B001-01-000012-1".into(),
            out_refund_no: "B001-01-000012-1-R1".into(),
            amount: 200,
            total: 100,
            reason: None,
        };
        assert!(matches!(provider.refund(&refund).await, Err(ProviderError::InvalidRequest { .. })));
    }
    assert_eq!(sim.requests(), 0);
    let address = sim.address();
    sim.stop();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let gone = WeChatPay::new(
        Simulator::wechat_merchant(SignType::Md5),
        &format!("http://{address}"),
        Duration::from_millis(500),
    )
    .unwrap();
    let outcome = gone.pay(&pay("B001-01-000012-2", &code(ProviderKind::WeChat, 17), 100)).await.unwrap();
    assert!(matches!(outcome, PayOutcome::Unknown { .. }), "{outcome:?}");
}

#[tokio::test]
async fn the_days_statements_list_what_the_simulator_charged_and_refunded() {
    let sim = Simulator::start().await.unwrap();
    let morning: jiff::Timestamp = "2026-11-30T02:00:00Z".parse().unwrap(); // 10:00 Beijing
    let day = jiff::civil::date(2026, 11, 30);
    sim.set_now(Some(morning));
    for provider in clients(&sim) {
        let kind = provider.kind();
        for (i, amount) in [(1u32, 1234i64), (2, 99), (3, 50_000)] {
            let order = format!("B001-01-00002{i}-1");
            paid(&provider.pay(&pay(&order, &code(kind, 20 + i), amount)).await.unwrap());
        }
        let refund = RefundRequest {
            out_trade_no: "B001-01-000023-1".into(),
            out_refund_no: "B001-01-000023-1-R1".into(),
            amount: 20_000,
            total: 50_000,
            reason: None,
        };
        provider.refund(&refund).await.unwrap();
        provider.cancel("B001-01-000022-1").await.unwrap();
    }
    // the next day's work is not in this day's statement
    sim.set_now(Some("2026-11-30T16:30:00Z".parse().unwrap())); // 00:30 on 1 December, Beijing
    for provider in clients(&sim) {
        paid(&provider.pay(&pay("B001-01-000030-1", &code(provider.kind(), 30), 10)).await.unwrap());
    }

    let wechat = payments::statement::wechat::parse(&sim.wechat_statement(day)).unwrap();
    let rows: Vec<_> = wechat
        .rows
        .iter()
        .map(|r| (r.out_trade_no.as_str(), r.trade_state.as_str(), r.settlement_amount, r.refund_amount))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("B001-01-000021-1", "SUCCESS", 1234, 0),
            ("B001-01-000022-1", "SUCCESS", 99, 0),
            ("B001-01-000023-1", "SUCCESS", 50_000, 0),
            ("B001-01-000023-1", "REFUND", 0, 20_000),
            ("B001-01-000022-1", "REVOKED", 0, 99),
        ]
    );
    assert_eq!(wechat.summary.count, 5);
    assert_eq!(wechat.summary.settlement_total, 51_333);
    assert_eq!(wechat.summary.refund_total, 20_099);
    let wechat_ids: Vec<_> = sim
        .charges()
        .iter()
        .filter(|c| c.provider == ProviderKind::WeChat && c.out_trade_no != "B001-01-000030-1")
        .map(|c| c.transaction_id.clone())
        .collect();
    assert_eq!(wechat.rows[..3].iter().map(|r| r.transaction_id.clone()).collect::<Vec<_>>(), wechat_ids);
    assert_eq!(wechat.rows[3].out_refund_no, "B001-01-000023-1-R1");
    assert_eq!(wechat.rows[0].traded_at, jiff::civil::datetime(2026, 11, 30, 10, 0, 0, 0));

    let bytes = sim.alipay_statement(day);
    assert!(std::str::from_utf8(&bytes).is_err(), "the statement is GBK, not UTF-8");
    let alipay = payments::statement::alipay::parse(&bytes).unwrap();
    assert_eq!(alipay.account, keys::ALIPAY_SELLER_ID);
    assert_eq!(alipay.from, jiff::civil::datetime(2026, 11, 30, 0, 0, 0, 0));
    let rows: Vec<_> = alipay
        .rows
        .iter()
        .map(|r| (r.out_trade_no.as_str(), r.kind.as_str(), r.receipt_amount, r.refund_request_no.as_str()))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("B001-01-000021-1", "交易", 1234, ""),
            ("B001-01-000022-1", "交易", 99, ""),
            ("B001-01-000023-1", "交易", 50_000, ""),
            ("B001-01-000023-1", "退款", -20_000, "B001-01-000023-1-R1"),
            ("B001-01-000022-1", "退款", -99, ""),
        ]
    );
    assert_eq!(alipay.rows[0].subject, "Tillpoint 测试店");
    assert_eq!(alipay.rows[0].terminal_id, "B001-01");
    assert_eq!(alipay.rows[0].row, 6);

    // Reconciled against what HQ's records claim, with one sale recorded 4 fen short: the
    // reversed order is nobody's, the refund matches, the short sale is the one difference.
    use payments::reconcile::{Claimed, Difference, GaveBack, alipay_lines, reconcile, wechat_lines};
    let claimed = [("B001-01-000021-1", 1230), ("B001-01-000023-1", 50_000)].map(|(order, amount)| Claimed {
        out_trade_no: order.into(),
        receipt_no: order[..14].into(),
        transaction_id: None,
        amount,
    });
    let gave_back = [GaveBack {
        out_trade_no: "B001-01-000023-1".into(),
        out_refund_no: "B001-01-000023-1-R1".into(),
        amount: 20_000,
    }];
    for (lines, row) in [(wechat_lines(&wechat), 2), (alipay_lines(&alipay), 6)] {
        let r = reconcile(&lines, &claimed, &gave_back);
        assert_eq!((r.matched_payments, r.matched_refunds), (1, 1));
        assert_eq!(
            r.differences,
            [Difference::PaymentAmount {
                out_trade_no: "B001-01-000021-1".into(),
                receipt_no: "B001-01-000021".into(),
                ours: 1230,
                provider: 1234,
                rows: vec![row],
            }]
        );
        assert_eq!((r.provider_paid, r.provider_refunded), (51_234, 20_000));
    }
}
