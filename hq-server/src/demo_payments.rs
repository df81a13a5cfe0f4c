//! The demo chain's payments by code and their reconciliation: yesterday (Beijing time) each
//! branch's customers paid a few sales by WeChat Pay and Alipay code through HQ's gateway, and
//! both providers' statements of the day are imported through the same reading as a file from
//! the console, so the reconciliation page has a day to show. One difference is there on
//! purpose: a WeChat Pay payment the provider took whose sale never reached HQ (its till has not
//! pushed it), which reconciliation finds missing at HQ.

use jiff::Timestamp;
use jiff::civil::Date;
use payments::sim::keys;
use payments::statement::alipay::{AlipayRow, AlipayStatement};
use payments::statement::wechat::{WeChatRow, WeChatStatement, WeChatSummary};
use rand::SeedableRng;
use rand::rngs::StdRng;
use shared::Money;
use shared::payment::AttemptState;
use shared::payment_code::Provider;
use shared::sale::{TenderInput, TenderKind, settle};
use shared::sync::{Event, EventEnvelope};

use crate::demo::DemoBranch;
use crate::model::Actor;
use crate::reconciliation::provider_zone;
use crate::store::payments::{CallRecord, NewAttempt};
use crate::store::{Store, StoreError, StoreResult};

/// A payment as both sides see it.
struct Paid {
    provider: Provider,
    order_no: String,
    transaction_id: String,
    amount: i64,
    at: Timestamp,
}

fn internal(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(e.to_string())
}

/// Sales paid by code yesterday at every branch, the gateway's records of them, and both
/// statements of the day imported; how many payments.
pub(crate) fn seed(store: &dyn Store, actor: &Actor, branches: &[DemoBranch], seed: u64) -> StoreResult<usize> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x9a7);
    let products: Vec<shared::catalog::Product> = store
        .list_products(0, 200, None)?
        .into_iter()
        .filter(|p| p.status == shared::catalog::ProductStatus::Active && !p.weighed)
        .collect();
    if products.is_empty() {
        return Ok(0);
    }
    let policy = store.current_policy()?;
    let day = crate::calendar::days_before(crate::calendar::hq_day(store.now()), 1);
    let mut paid = Vec::new();
    for b in branches {
        let settings = store.get_branch(b.id)?;
        let (till, _) =
            crate::admin::add_till(store, actor, b.id, "扫码支付 demo payments", std::time::Duration::from_secs(1))?;
        let mut events = Vec::new();
        for k in 0..6u32 {
            let provider = if k % 2 == 0 { Provider::Wechat } else { Provider::Alipay };
            let at = beijing(day, 10 + k as i8, 7 * k as i8)?;
            let receipt = 9000 + k;
            let business_day = settings.business_day(at);
            let mut sale = crate::demo_history::sale(
                &mut rng,
                &products,
                &policy,
                b,
                &settings,
                till.id,
                till.number,
                receipt,
                at,
                business_day,
                None,
            )?;
            let total = sale.totals.total;
            let order_no = payments::order_no(&sale.receipt_no.to_string(), 1).map_err(internal)?.to_string();
            let transaction_id = transaction_id(provider, day, b.id.0, k);
            record_paid(
                store,
                b,
                till.id,
                &sale.receipt_no.to_string(),
                &order_no,
                provider,
                total,
                &transaction_id,
                at,
            )?;
            let kind = TenderKind::of_provider(provider);
            let settled =
                settle(total, &[TenderInput::mobile(kind, total, &transaction_id, &order_no)], settings.cash_rounding)
                    .map_err(internal)?;
            sale.totals.rounding = settled.rounding;
            sale.totals.due = settled.due;
            sale.tenders = settled.tenders;
            sale.change = settled.change;
            events.push(EventEnvelope {
                id: shared::ids::EventId::new(),
                till: till.id,
                seq: u64::from(k) + 1,
                at,
                event: Event::SaleCompleted(sale),
            });
            paid.push(Paid { provider, order_no, transaction_id, amount: total.0, at });
        }
        let verdicts = vec![Ok(Vec::new()); events.len()];
        store.ingest(&till, &events, &verdicts, store.now(), 0)?;
        // The first branch's last customer paid by WeChat Pay, and the sale is still on its till.
        if b.id == branches[0].id {
            let receipt_no = shared::receipt::ReceiptNo::new(&b.code, till.number, 9099).to_string();
            let order_no = payments::order_no(&receipt_no, 1).map_err(internal)?.to_string();
            let transaction_id = transaction_id(Provider::Wechat, day, b.id.0, 99);
            let at = beijing(day, 20, 45)?;
            let amount = Money(4_250);
            record_paid(store, b, till.id, &receipt_no, &order_no, Provider::Wechat, amount, &transaction_id, at)?;
            paid.push(Paid { provider: Provider::Wechat, order_no, transaction_id, amount: amount.0, at });
        }
    }
    let wechat: Vec<&Paid> = paid.iter().filter(|p| p.provider == Provider::Wechat).collect();
    let alipay: Vec<&Paid> = paid.iter().filter(|p| p.provider == Provider::Alipay).collect();
    let text = payments::statement::wechat::write(&wechat_statement(&wechat));
    import(store, actor, Provider::Wechat, day, &format!("wechat-{day}.csv"), text.as_bytes())?;
    let bytes = payments::statement::alipay::write(&alipay_statement(day, &alipay, store.now()));
    import(store, actor, Provider::Alipay, day, &format!("{}_业务明细.csv", keys::ALIPAY_SELLER_ID), &bytes)?;
    Ok(paid.len())
}

fn import(
    store: &dyn Store,
    actor: &Actor,
    provider: Provider,
    day: Date,
    name: &str,
    bytes: &[u8],
) -> StoreResult<()> {
    crate::reconciliation::import_statement(store, actor, provider, day, name, bytes)?
        .map(|_| ())
        .map_err(|e| internal(format!("the demo's {provider} statement: {e}")))
}

fn beijing(day: Date, hour: i8, minute: i8) -> StoreResult<Timestamp> {
    Ok(day.at(hour, minute, 0, 0).to_zoned(provider_zone()).map_err(internal)?.timestamp())
}

fn transaction_id(provider: Provider, day: Date, branch: i64, k: u32) -> String {
    let ymd = day.strftime("%Y%m%d").to_string();
    match provider {
        Provider::Wechat => format!("4200{ymd}{branch:06}{k:010}"),
        Provider::Alipay => format!("{ymd}2200{branch:06}{k:010}"),
    }
}

/// The gateway's record of a payment it took: asked, then paid.
#[allow(clippy::too_many_arguments)]
fn record_paid(
    store: &dyn Store,
    b: &DemoBranch,
    till: shared::ids::TillId,
    receipt_no: &str,
    order_no: &str,
    provider: Provider,
    amount: Money,
    transaction_id: &str,
    at: Timestamp,
) -> StoreResult<()> {
    let code_masked = match provider {
        Provider::Wechat => "134567******0001",
        Provider::Alipay => "281234******0001",
    };
    let new = NewAttempt {
        order_no: order_no.into(),
        provider,
        branch: b.id,
        till,
        receipt_no: receipt_no.into(),
        attempt: 1,
        amount,
        code_masked: code_masked.into(),
    };
    store.begin_payment(&new, store.now())?;
    let record = CallRecord {
        call: "pay",
        state: AttemptState::Paid,
        paid: Some((transaction_id.into(), Some(at))),
        failure: None,
        next_at: None,
        note: "demo data".into(),
    };
    store.record_payment_call(order_no, &record)?;
    Ok(())
}

fn civil(at: Timestamp) -> jiff::civil::DateTime {
    at.to_zoned(provider_zone()).datetime()
}

fn wechat_statement(paid: &[&Paid]) -> WeChatStatement {
    let rows: Vec<WeChatRow> = paid
        .iter()
        .enumerate()
        .map(|(i, p)| WeChatRow {
            row: i + 2,
            traded_at: civil(p.at),
            appid: keys::WECHAT_APPID.into(),
            mch_id: keys::WECHAT_MCH_ID.into(),
            sub_mch_id: "0".into(),
            device_info: String::new(),
            transaction_id: p.transaction_id.clone(),
            out_trade_no: p.order_no.clone(),
            openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
            trade_type: "MICROPAY".into(),
            trade_state: "SUCCESS".into(),
            bank_type: "CFT".into(),
            currency: "CNY".into(),
            settlement_amount: p.amount,
            coupon_amount: 0,
            refund_id: "0".into(),
            out_refund_no: "0".into(),
            refund_amount: 0,
            coupon_refund_amount: 0,
            refund_type: String::new(),
            refund_status: String::new(),
            body: "Tillpoint 演示门店".into(),
            attach: String::new(),
            fee: "0.00000".into(),
            rate: "0.60%".into(),
            order_amount: p.amount,
            requested_refund_amount: 0,
            rate_note: String::new(),
        })
        .collect();
    let summary = WeChatSummary {
        count: rows.len(),
        settlement_total: rows.iter().map(|r| r.settlement_amount).sum(),
        refund_total: 0,
        coupon_refund_total: 0,
        fee_total: "0.00000".into(),
        order_total: rows.iter().map(|r| r.order_amount).sum(),
        requested_refund_total: 0,
    };
    WeChatStatement { rows, summary }
}

fn alipay_statement(day: Date, paid: &[&Paid], now: Timestamp) -> AlipayStatement {
    let rows = paid
        .iter()
        .enumerate()
        .map(|(i, p)| AlipayRow {
            row: i + 6,
            trade_no: p.transaction_id.clone(),
            out_trade_no: p.order_no.clone(),
            kind: "交易".into(),
            subject: "Tillpoint 演示门店".into(),
            created_at: civil(p.at),
            finished_at: civil(p.at),
            store_id: String::new(),
            store_name: String::new(),
            operator: String::new(),
            terminal_id: String::new(),
            buyer_account: "159****5620".into(),
            order_amount: p.amount,
            receipt_amount: p.amount,
            refund_request_no: String::new(),
            service_fee: 0,
            note: String::new(),
        })
        .collect();
    AlipayStatement {
        account: keys::ALIPAY_SELLER_ID.into(),
        from: day.at(0, 0, 0, 0),
        to: day.tomorrow().unwrap_or(day).at(0, 0, 0, 0),
        rows,
        exported_at: civil(now),
    }
}
