//! The simulator's WeChat Pay v2 side: XML in, signed XML out.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::routing::post;

use super::{Decline, Inner, Order, OrderState, PayVerdict, RefundVerdict, Shared, beijing_civil, beijing_day, keys};
use crate::provider::{ProviderKind, beijing_text};
use crate::statement::wechat::{WeChatRow, WeChatStatement, WeChatSummary};
use crate::wechat::api::path;
use crate::wechat::{SignType, sign, xml};

const KIND: ProviderKind = ProviderKind::WeChat;

pub(super) fn router() -> Router<Shared> {
    Router::new()
        .route(path::MICROPAY, post(micropay))
        .route(path::ORDER_QUERY, post(order_query))
        .route(path::REVERSE, post(reverse))
        .route(path::REFUND, post(refund))
        .route(path::REFUND_QUERY, post(refund_query))
}

type Fields = BTreeMap<String, String>;

/// A request whose XML, merchant and signature are good, with the sign type it used
struct Request {
    fields: Fields,
    sign_type: SignType,
}

impl Request {
    fn get(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }
}

/// `return_code=FAIL` (unsigned, as WeChat Pay answers a request it refuses as such)
fn refuse(message: &str) -> String {
    let fields: Fields = [("return_code", "FAIL"), ("return_msg", message)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    xml::write(&fields)
}

fn open(shared: &Shared, body: &str) -> Result<Request, String> {
    shared.lock().requests += 1;
    let fields = xml::read(body).map_err(|_| refuse("XML格式错误"))?;
    let get = |name: &str| fields.get(name).map(String::as_str);
    let sign_type = SignType::from_wire(get("sign_type")).ok_or_else(|| refuse("sign_type参数错误"))?;
    if !sign::verify(&fields, keys::WECHAT_API_KEY, sign_type) {
        return Err(refuse("签名错误"));
    }
    if get("appid") != Some(keys::WECHAT_APPID) || get("mch_id") != Some(keys::WECHAT_MCH_ID) {
        return Err(refuse("appid和mch_id不匹配"));
    }
    Ok(Request { fields, sign_type })
}

/// A signed answer: `return_code=SUCCESS`, the merchant, a nonce, the result and `fields`
fn answer(request: &Request, result: Result<Vec<(&str, String)>, (&str, &str)>, corrupt: bool) -> String {
    let mut fields: Fields = [
        ("return_code", "SUCCESS"),
        ("return_msg", "OK"),
        ("appid", keys::WECHAT_APPID),
        ("mch_id", keys::WECHAT_MCH_ID),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    fields.insert("nonce_str".into(), crate::wechat::client::nonce());
    match result {
        Ok(pairs) => {
            fields.insert("result_code".into(), "SUCCESS".into());
            fields.extend(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)));
        }
        Err((code, message)) => {
            fields.insert("result_code".into(), "FAIL".into());
            fields.insert("err_code".into(), code.into());
            fields.insert("err_code_des".into(), message.into());
        }
    }
    let key = if corrupt { "NOT-THE-MERCHANT-KEY" } else { keys::WECHAT_API_KEY };
    let signature = sign::sign(&fields, key, request.sign_type);
    fields.insert("sign".into(), signature);
    xml::write(&fields)
}

fn paid_fields(order: &Order) -> Vec<(&'static str, String)> {
    let mut pairs = vec![
        ("openid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".to_owned()),
        ("is_subscribe", "N".into()),
        ("trade_type", "MICROPAY".into()),
        ("bank_type", "CFT".into()),
        ("fee_type", "CNY".into()),
        ("total_fee", order.amount.to_string()),
        ("cash_fee", order.amount.to_string()),
        ("transaction_id", order.transaction_id.clone()),
        ("out_trade_no", order.out_trade_no.clone()),
    ];
    if let Some(at) = order.paid_at {
        pairs.push(("time_end", beijing_text(at, true)));
    }
    if !order.terminal.is_empty() {
        pairs.push(("device_info", order.terminal.clone()));
    }
    pairs
}

fn decline_words(decline: &Decline) -> (String, String) {
    match decline {
        Decline::InsufficientFunds => ("NOTENOUGH".into(), "余额不足".into()),
        Decline::CodeExpired => ("AUTHCODEEXPIRE".into(), "二维码已过期，请用户在微信上刷新后再试".into()),
        Decline::CodeInvalid => {
            ("AUTH_CODE_INVALID".into(), "请扫描微信支付授权码(以10/11/12/13/14/15为前缀的18位数字)".into())
        }
        Decline::Other { code, message } => (code.clone(), message.clone()),
    }
}

async fn micropay(State(shared): State<Shared>, body: String) -> String {
    let request = match open(&shared, &body) {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    let amount = match request.get("total_fee").parse::<i64>() {
        Ok(amount) if amount >= 1 => amount,
        _ => return answer(&request, Err(("PARAM_ERROR", "total_fee参数错误")), false),
    };
    let reply = shared.lock().pay(
        KIND,
        request.get("out_trade_no"),
        request.get("auth_code"),
        amount,
        request.get("body"),
        request.get("device_info"),
    );
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    let result = match &reply.verdict {
        PayVerdict::Paid(order) => Ok(paid_fields(order)),
        PayVerdict::UserPaying(_) => Err(("USERPAYING".to_owned(), "需要用户输入支付密码".to_owned())),
        PayVerdict::Declined(decline) => Err(decline_words(decline)),
        PayVerdict::AlreadyPaid => Err(("ORDERPAID".into(), "订单已支付".into())),
        PayVerdict::OrderClosed => Err(("ORDERCLOSED".into(), "订单已关闭".into())),
        PayVerdict::OrderReversed => Err(("ORDERREVERSED".into(), "订单已撤销".into())),
        PayVerdict::Mismatch => Err(("OUT_TRADE_NO_USED".into(), "商户订单号重复".into())),
        PayVerdict::SystemError => Err(("SYSTEMERROR".into(), "系统超时".into())),
    };
    match result {
        Ok(pairs) => answer(&request, Ok(pairs), reply.corrupt_signature),
        Err((code, message)) => answer(&request, Err((&code, &message)), reply.corrupt_signature),
    }
}

async fn order_query(State(shared): State<Shared>, body: String) -> String {
    let request = match open(&shared, &body) {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    let Some(order) = shared.lock().query(KIND, request.get("out_trade_no")) else {
        return answer(&request, Err(("ORDERNOTEXIST", "此交易订单号不存在")), false);
    };
    let mut pairs = vec![("out_trade_no", order.out_trade_no.clone())];
    let (state, description) = match &order.state {
        OrderState::Paid if order.refunded() > 0 => ("REFUND", "转入退款"),
        OrderState::Paid => ("SUCCESS", "支付成功"),
        OrderState::Paying { .. } => ("USERPAYING", "需要用户输入支付密码"),
        OrderState::Failed { .. } => ("PAYERROR", "支付失败"),
        OrderState::Closed => ("CLOSED", "已关闭"),
        OrderState::Reversed => ("REVOKED", "已撤销"),
    };
    if matches!(order.state, OrderState::Paid) {
        pairs = paid_fields(&order);
    }
    pairs.push(("trade_state", state.into()));
    pairs.push(("trade_state_desc", description.into()));
    answer(&request, Ok(pairs), false)
}

async fn reverse(State(shared): State<Shared>, body: String) -> String {
    let request = match open(&shared, &body) {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    match shared.lock().cancel(KIND, request.get("out_trade_no")) {
        Some(order) => answer(&request, Ok(vec![("out_trade_no", order.out_trade_no), ("recall", "N".into())]), false),
        None => answer(&request, Err(("ORDERNOTEXIST", "订单不存在")), false),
    }
}

async fn refund(State(shared): State<Shared>, body: String) -> String {
    let request = match open(&shared, &body) {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    let (Ok(amount), Ok(total)) = (request.get("refund_fee").parse::<i64>(), request.get("total_fee").parse::<i64>())
    else {
        return answer(&request, Err(("PARAM_ERROR", "refund_fee或total_fee参数错误")), false);
    };
    let verdict =
        shared.lock().refund(KIND, request.get("out_trade_no"), request.get("out_refund_no"), amount, Some(total));
    match verdict {
        RefundVerdict::Refunded { order, refund, .. } => answer(
            &request,
            Ok(vec![
                ("transaction_id", order.transaction_id.clone()),
                ("out_trade_no", order.out_trade_no.clone()),
                ("out_refund_no", request.get("out_refund_no").to_owned()),
                ("refund_id", refund.refund_id),
                ("refund_fee", refund.amount.to_string()),
                ("total_fee", order.amount.to_string()),
                ("cash_fee", order.amount.to_string()),
            ]),
            false,
        ),
        RefundVerdict::NoOrder => answer(&request, Err(("INVALID_TRANSACTIONID", "订单号不存在")), false),
        RefundVerdict::NotPaid => answer(&request, Err(("TRADE_STATE_ERROR", "订单状态错误")), false),
        RefundVerdict::Exceeds => answer(&request, Err(("ERROR", "累计退款金额大于支付金额")), false),
        RefundVerdict::Mismatch => answer(&request, Err(("PARAM_ERROR", "订单金额或退款金额与之前请求不一致")), false),
        RefundVerdict::Refused { code, message } => answer(&request, Err((&code, &message)), false),
    }
}

async fn refund_query(State(shared): State<Shared>, body: String) -> String {
    let request = match open(&shared, &body) {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    let Some((order, refund)) = shared.lock().find_refund(KIND, request.get("out_refund_no")) else {
        return answer(&request, Err(("REFUNDNOTEXIST", "退款订单查询失败")), false);
    };
    answer(
        &request,
        Ok(vec![
            ("transaction_id", order.transaction_id.clone()),
            ("out_trade_no", order.out_trade_no.clone()),
            ("total_fee", order.amount.to_string()),
            ("cash_fee", order.amount.to_string()),
            ("refund_count", "1".into()),
            ("out_refund_no_0", refund.out_refund_no.clone().unwrap_or_default()),
            ("refund_id_0", refund.refund_id.clone()),
            ("refund_fee_0", refund.amount.to_string()),
            ("refund_status_0", "SUCCESS".into()),
            ("refund_channel_0", "ORIGINAL".into()),
            ("refund_recv_accout_0", "支付用户的零钱".into()),
            ("refund_success_time_0", beijing_text(refund.at, false)),
        ]),
        false,
    )
}

/// The day's statement from the ledger: a row per charge and per refund of the day
pub(super) fn statement(inner: &Inner, day: jiff::civil::Date) -> WeChatStatement {
    let mut rows = Vec::new();
    let base = |at: jiff::Timestamp, order: &str, transaction_id: &str, state: &str, subject: &str| WeChatRow {
        row: 0,
        traded_at: beijing_civil(at),
        appid: keys::WECHAT_APPID.into(),
        mch_id: keys::WECHAT_MCH_ID.into(),
        sub_mch_id: "0".into(),
        device_info: String::new(),
        transaction_id: transaction_id.into(),
        out_trade_no: order.into(),
        openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
        trade_type: "MICROPAY".into(),
        trade_state: state.into(),
        bank_type: "CFT".into(),
        currency: "CNY".into(),
        settlement_amount: 0,
        coupon_amount: 0,
        refund_id: "0".into(),
        out_refund_no: "0".into(),
        refund_amount: 0,
        coupon_refund_amount: 0,
        refund_type: String::new(),
        refund_status: String::new(),
        body: subject.into(),
        attach: String::new(),
        fee: "0.00000".into(),
        rate: "0.60%".into(),
        order_amount: 0,
        requested_refund_amount: 0,
        rate_note: String::new(),
    };
    for charge in inner.charges.iter().filter(|c| c.provider == KIND && beijing_day(c.at) == day) {
        let mut row = base(charge.at, &charge.out_trade_no, &charge.transaction_id, "SUCCESS", &charge.subject);
        row.settlement_amount = charge.amount;
        row.order_amount = charge.amount;
        rows.push(row);
    }
    for refund in inner.refunds.iter().filter(|r| r.provider == KIND && beijing_day(r.at) == day) {
        let subject =
            inner.orders.get(&(KIND, refund.out_trade_no.clone())).map(|o| o.subject.clone()).unwrap_or_default();
        let state = if refund.out_refund_no.is_some() { "REFUND" } else { "REVOKED" };
        let mut row = base(refund.at, &refund.out_trade_no, &refund.transaction_id, state, &subject);
        row.refund_id = refund.refund_id.clone();
        row.out_refund_no = refund.out_refund_no.clone().unwrap_or_else(|| "0".into());
        row.refund_amount = refund.amount;
        row.requested_refund_amount = refund.amount;
        row.refund_type = "ORIGINAL".into();
        row.refund_status = "SUCCESS".into();
        rows.push(row);
    }
    rows.sort_by_key(|r| r.traded_at);
    for (i, row) in rows.iter_mut().enumerate() {
        row.row = i + 2;
    }
    let summary = WeChatSummary {
        count: rows.len(),
        settlement_total: rows.iter().map(|r| r.settlement_amount).sum(),
        refund_total: rows.iter().map(|r| r.refund_amount).sum(),
        coupon_refund_total: 0,
        fee_total: "0.00000".into(),
        order_total: rows.iter().map(|r| r.order_amount).sum(),
        requested_refund_total: rows.iter().map(|r| r.requested_refund_amount).sum(),
    };
    WeChatStatement { rows, summary }
}
