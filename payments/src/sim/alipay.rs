//! The simulator's Alipay side: one gateway URL, the signed form in, signed JSON out.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::routing::post;
use axum::{Form, Router};
use serde_json::{Map, Value, json};

use super::{Decline, Inner, Order, OrderState, PayVerdict, RefundVerdict, Shared, beijing_civil, beijing_day, keys};
use crate::alipay::api::{method, response_key};
use crate::alipay::sign::{PrivateKey, PublicKey, content_to_sign};
use crate::money::{fen_to_yuan, yuan_to_fen};
use crate::provider::{ProviderKind, beijing_text};
use crate::statement::alipay::{AlipayRow, AlipayStatement};

const KIND: ProviderKind = ProviderKind::Alipay;

pub(super) fn router() -> Router<Shared> {
    Router::new().route("/gateway.do", post(gateway))
}

struct Keys {
    sim: PrivateKey,
    merchant: PublicKey,
}

fn keys() -> Option<&'static Keys> {
    static KEYS: std::sync::OnceLock<Option<Keys>> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        Some(Keys {
            sim: PrivateKey::parse(keys::SIM_ALIPAY_PRIVATE).ok()?,
            merchant: PublicKey::parse(keys::MERCHANT_APP_PUBLIC).ok()?,
        })
    })
    .as_ref()
}

/// `{"<method>_response":{…},"sign":"…"}`, signed over the object's text as written
fn signed(method: &str, object: Map<String, Value>, corrupt: bool) -> String {
    let text = Value::Object(object).to_string();
    let sign = match keys() {
        Some(keys) if corrupt => keys.sim.sign(&format!("{text} ")),
        Some(keys) => keys.sim.sign(&text),
        None => String::new(),
    };
    format!("{{\"{}\":{text},\"sign\":{}}}", response_key(method), Value::String(sign))
}

fn success(fields: Value) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("code".into(), "10000".into());
    object.insert("msg".into(), "Success".into());
    if let Value::Object(fields) = fields {
        object.extend(fields);
    }
    object
}

fn failure(code: &str, msg: &str, sub_code: &str, sub_msg: &str) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("code".into(), code.into());
    object.insert("msg".into(), msg.into());
    object.insert("sub_code".into(), sub_code.into());
    object.insert("sub_msg".into(), sub_msg.into());
    object
}

fn business_failure(sub_code: &str, sub_msg: &str) -> Map<String, Value> {
    failure("40004", "Business Failed", sub_code, sub_msg)
}

fn paid(order: &Order, at_name: &str) -> Value {
    let mut fields = json!({
        "trade_no": order.transaction_id,
        "out_trade_no": order.out_trade_no,
        "buyer_logon_id": "159****5620",
        "buyer_user_id": "2088101117955611",
        "total_amount": fen_to_yuan(order.amount),
        "receipt_amount": fen_to_yuan(order.amount),
        "fund_bill_list": [{"fund_channel": "ALIPAYACCOUNT", "amount": fen_to_yuan(order.amount)}],
    });
    if let (Some(at), Value::Object(map)) = (order.paid_at, &mut fields) {
        map.insert(at_name.into(), beijing_text(at, false).into());
    }
    fields
}

async fn gateway(State(shared): State<Shared>, Form(params): Form<BTreeMap<String, String>>) -> String {
    shared.lock().requests += 1;
    let method = params.get("method").cloned().unwrap_or_default();
    let Some(keys) = keys() else {
        return signed(
            &method,
            failure("20000", "Service Currently Unavailable", "aop.unknow-error", "demo keys"),
            false,
        );
    };
    let sign = params.get("sign").map(String::as_str).unwrap_or("");
    if !keys.merchant.verify(&content_to_sign(&params), sign) {
        return signed(&method, failure("40002", "Invalid Arguments", "isv.invalid-signature", "验签出错"), false);
    }
    if params.get("app_id").map(String::as_str) != Some(keys::ALIPAY_APP_ID) {
        return signed(&method, failure("40002", "Invalid Arguments", "isv.invalid-app-id", "无效的AppID参数"), false);
    }
    let biz: Map<String, Value> = match params.get("biz_content").map(|b| serde_json::from_str(b)) {
        Some(Ok(biz)) => biz,
        _ => {
            return signed(
                &method,
                failure("40002", "Invalid Arguments", "isv.missing-biz-content", "缺少业务参数"),
                false,
            );
        }
    };
    let get = |name: &str| biz.get(name).and_then(Value::as_str).unwrap_or("").to_owned();
    let out_trade_no = get("out_trade_no");
    match method.as_str() {
        method::PAY => {
            let amount = match yuan_to_fen(&get("total_amount")) {
                Ok(amount) if amount >= 1 => amount,
                _ => return signed(&method, business_failure("ACQ.INVALID_PARAMETER", "参数无效"), false),
            };
            if get("scene") != "bar_code" {
                return signed(&method, business_failure("ACQ.INVALID_PARAMETER", "scene必须为bar_code"), false);
            }
            let reply =
                shared.lock().pay(KIND, &out_trade_no, &get("auth_code"), amount, &get("subject"), &get("terminal_id"));
            if let Some(delay) = reply.delay {
                tokio::time::sleep(delay).await;
            }
            let object = match &reply.verdict {
                PayVerdict::Paid(order) => success(paid(order, "gmt_payment")),
                PayVerdict::UserPaying(order) => {
                    let mut object = success(json!({
                        "trade_no": order.transaction_id,
                        "out_trade_no": order.out_trade_no,
                        "total_amount": fen_to_yuan(order.amount),
                    }));
                    object.insert("code".into(), "10003".into());
                    object.insert("msg".into(), " order success pay inprocess".into());
                    object
                }
                PayVerdict::Declined(decline) => {
                    let (code, message) = match decline {
                        Decline::InsufficientFunds => {
                            ("ACQ.BUYER_BALANCE_NOT_ENOUGH".to_owned(), "买家余额不足".to_owned())
                        }
                        Decline::CodeExpired | Decline::CodeInvalid => {
                            ("ACQ.PAYMENT_AUTH_CODE_INVALID".into(), "付款码无效，请重新扫码".into())
                        }
                        Decline::Other { code, message } => (code.clone(), message.clone()),
                    };
                    business_failure(&code, &message)
                }
                PayVerdict::AlreadyPaid => business_failure("ACQ.TRADE_HAS_SUCCESS", "交易已被支付"),
                PayVerdict::OrderClosed | PayVerdict::OrderReversed => {
                    business_failure("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
                }
                PayVerdict::Mismatch => business_failure("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改"),
                PayVerdict::SystemError => business_failure("ACQ.SYSTEM_ERROR", "系统错误"),
            };
            signed(&method, object, reply.corrupt_signature)
        }
        method::QUERY => {
            let Some(order) = shared.lock().query(KIND, &out_trade_no) else {
                return signed(&method, business_failure("ACQ.TRADE_NOT_EXIST", "交易不存在"), false);
            };
            let (status, mut fields) = match &order.state {
                OrderState::Paid => ("TRADE_SUCCESS", paid(&order, "send_pay_date")),
                OrderState::Paying { .. } => (
                    "WAIT_BUYER_PAY",
                    json!({"trade_no": order.transaction_id, "out_trade_no": order.out_trade_no, "total_amount": fen_to_yuan(order.amount)}),
                ),
                OrderState::Failed { .. } => {
                    return signed(&method, business_failure("ACQ.TRADE_NOT_EXIST", "交易不存在"), false);
                }
                OrderState::Closed | OrderState::Reversed => (
                    "TRADE_CLOSED",
                    json!({"trade_no": order.transaction_id, "out_trade_no": order.out_trade_no, "total_amount": fen_to_yuan(order.amount)}),
                ),
            };
            if let Value::Object(map) = &mut fields {
                map.insert("trade_status".into(), status.into());
            }
            signed(&method, success(fields), false)
        }
        method::CANCEL => {
            let before = shared.lock().orders.get(&(KIND, out_trade_no.clone())).map(|o| o.state.clone());
            match shared.lock().cancel(KIND, &out_trade_no) {
                Some(order) => {
                    let action = if before == Some(OrderState::Paid) { "refund" } else { "close" };
                    signed(
                        &method,
                        success(
                            json!({"trade_no": order.transaction_id, "out_trade_no": order.out_trade_no, "retry_flag": "N", "action": action}),
                        ),
                        false,
                    )
                }
                None => signed(&method, business_failure("ACQ.TRADE_NOT_EXIST", "交易不存在"), false),
            }
        }
        method::REFUND => {
            let Ok(amount) = yuan_to_fen(&get("refund_amount")) else {
                return signed(&method, business_failure("ACQ.INVALID_PARAMETER", "参数无效"), false);
            };
            let out_request_no = get("out_request_no");
            let out_request_no = if out_request_no.is_empty() { out_trade_no.clone() } else { out_request_no };
            let verdict = shared.lock().refund(KIND, &out_trade_no, &out_request_no, amount, None);
            let object = match verdict {
                RefundVerdict::Refunded { order, refund, fresh } => success(json!({
                    "trade_no": order.transaction_id,
                    "out_trade_no": order.out_trade_no,
                    "buyer_logon_id": "159****5620",
                    "fund_change": if fresh { "Y" } else { "N" },
                    "refund_fee": fen_to_yuan(order.refunded()),
                    "gmt_refund_pay": beijing_text(refund.at, false),
                })),
                RefundVerdict::NoOrder => business_failure("ACQ.TRADE_NOT_EXIST", "交易不存在"),
                RefundVerdict::NotPaid => business_failure("ACQ.TRADE_STATUS_ERROR", "交易状态不合法"),
                RefundVerdict::Exceeds => business_failure("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限"),
                RefundVerdict::Mismatch => business_failure("ACQ.INVALID_PARAMETER", "退款金额与之前请求不一致"),
                RefundVerdict::Refused { code, message } => business_failure(&code, &message),
            };
            signed(&method, object, false)
        }
        method::REFUND_QUERY => {
            let inner = shared.lock();
            let Some(order) = inner.orders.get(&(KIND, out_trade_no.clone())) else {
                return signed(&method, business_failure("ACQ.TRADE_NOT_EXIST", "交易不存在"), false);
            };
            let out_request_no = get("out_request_no");
            let found = order.refunds.iter().find(|r| r.out_refund_no.as_deref() == Some(out_request_no.as_str()));
            let fields = match found {
                Some(refund) => json!({
                    "trade_no": order.transaction_id,
                    "out_trade_no": order.out_trade_no,
                    "out_request_no": out_request_no,
                    "total_amount": fen_to_yuan(order.amount),
                    "refund_amount": fen_to_yuan(refund.amount),
                    "refund_status": "REFUND_SUCCESS",
                    "gmt_refund_pay": beijing_text(refund.at, false),
                }),
                None => json!({"out_trade_no": order.out_trade_no, "trade_no": order.transaction_id}),
            };
            signed(&method, success(fields), false)
        }
        _ => signed(&method, failure("40004", "Business Failed", "isv.invalid-method", "不存在的方法名"), false),
    }
}

/// The day's 业务明细 from the ledger: a 交易 row per charge, a 退款 row per refund or reversal
pub(super) fn statement(inner: &Inner, day: jiff::civil::Date) -> AlipayStatement {
    let mut rows = Vec::new();
    let order_of = |no: &str| inner.orders.get(&(KIND, no.to_owned()));
    for charge in inner.charges.iter().filter(|c| c.provider == KIND && beijing_day(c.at) == day) {
        rows.push(AlipayRow {
            row: 0,
            trade_no: charge.transaction_id.clone(),
            out_trade_no: charge.out_trade_no.clone(),
            kind: "交易".into(),
            subject: charge.subject.clone(),
            created_at: beijing_civil(charge.created_at),
            finished_at: beijing_civil(charge.at),
            store_id: String::new(),
            store_name: String::new(),
            operator: String::new(),
            terminal_id: order_of(&charge.out_trade_no).map(|o| o.terminal.clone()).unwrap_or_default(),
            buyer_account: "159****5620".into(),
            order_amount: charge.amount,
            receipt_amount: charge.amount,
            refund_request_no: String::new(),
            service_fee: 0,
            note: String::new(),
        });
    }
    for refund in inner.refunds.iter().filter(|r| r.provider == KIND && beijing_day(r.at) == day) {
        let order = order_of(&refund.out_trade_no);
        rows.push(AlipayRow {
            row: 0,
            trade_no: refund.transaction_id.clone(),
            out_trade_no: refund.out_trade_no.clone(),
            kind: "退款".into(),
            subject: order.map(|o| o.subject.clone()).unwrap_or_default(),
            created_at: order.map(|o| beijing_civil(o.created_at)).unwrap_or_else(|| beijing_civil(refund.at)),
            finished_at: beijing_civil(refund.at),
            store_id: String::new(),
            store_name: String::new(),
            operator: String::new(),
            terminal_id: order.map(|o| o.terminal.clone()).unwrap_or_default(),
            buyer_account: "159****5620".into(),
            order_amount: -refund.amount,
            receipt_amount: -refund.amount,
            refund_request_no: refund.out_refund_no.clone().unwrap_or_default(),
            service_fee: 0,
            note: if refund.out_refund_no.is_none() { "撤销".into() } else { String::new() },
        });
    }
    rows.sort_by_key(|r| r.finished_at);
    for (i, row) in rows.iter_mut().enumerate() {
        row.row = i + 6;
    }
    let start = day.to_datetime(jiff::civil::Time::midnight());
    let end = day.tomorrow().map(|d| d.to_datetime(jiff::civil::Time::midnight())).unwrap_or(start);
    AlipayStatement {
        account: keys::ALIPAY_SELLER_ID.into(),
        from: start,
        to: end,
        rows,
        exported_at: beijing_civil(inner.now()),
    }
}
