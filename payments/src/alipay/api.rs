//! Alipay 当面付 条码支付 (`alipay.trade.pay`, scene `bar_code`) and its query, cancel, refund and
//! refund query, as pure functions: the request's form body from what to do, and the outcome from
//! the answer's JSON.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::value::RawValue;

use super::sign::{KeyError, PrivateKey, PublicKey, content_to_sign};
use crate::money::{fen_to_yuan, yuan_to_fen};
use crate::provider::{
    CancelOutcome, Failure, Paid, PayAnswer, PayOutcome, PayRequest, ProviderError, ProviderKind, RefundOutcome,
    RefundRequest, Refunded, beijing_time,
};

pub mod method {
    pub const PAY: &str = "alipay.trade.pay";
    pub const QUERY: &str = "alipay.trade.query";
    pub const CANCEL: &str = "alipay.trade.cancel";
    pub const REFUND: &str = "alipay.trade.refund";
    pub const REFUND_QUERY: &str = "alipay.trade.fastpay.refund.query";
}

/// A merchant's Alipay application as HQ holds it
#[derive(Debug, Clone)]
pub struct AlipayMerchant {
    pub app_id: String,
    /// The application's private key (应用私钥), signs requests
    pub app_private_key: PrivateKey,
    /// Alipay's public key (支付宝公钥), verifies answers
    pub alipay_public_key: PublicKey,
}

impl AlipayMerchant {
    /// The keys as PEM or as the bare base64 Alipay's key tool gives
    pub fn new(app_id: &str, app_private_key: &str, alipay_public_key: &str) -> Result<AlipayMerchant, KeyError> {
        Ok(AlipayMerchant {
            app_id: app_id.to_owned(),
            app_private_key: PrivateKey::parse(app_private_key)?,
            alipay_public_key: PublicKey::parse(alipay_public_key)?,
        })
    }
}

const KIND: ProviderKind = ProviderKind::Alipay;

fn malformed(detail: impl Into<String>) -> ProviderError {
    ProviderError::Malformed { provider: KIND, detail: detail.into() }
}

fn invalid(detail: impl Into<String>) -> ProviderError {
    ProviderError::InvalidRequest { provider: KIND, detail: detail.into() }
}

/// The request's parameters, signed: the public ones, `biz_content`, then `sign`
pub fn signed_params(
    merchant: &AlipayMerchant,
    method: &str,
    biz_content: &str,
    timestamp: &str,
) -> BTreeMap<String, String> {
    let mut params: BTreeMap<String, String> = [
        ("app_id", merchant.app_id.as_str()),
        ("method", method),
        ("format", "JSON"),
        ("charset", "utf-8"),
        ("sign_type", "RSA2"),
        ("timestamp", timestamp),
        ("version", "1.0"),
        ("biz_content", biz_content),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let sign = merchant.app_private_key.sign(&content_to_sign(&params));
    params.insert("sign".into(), sign);
    params
}

/// The request as an `application/x-www-form-urlencoded` body (UTF-8)
pub fn request_body(merchant: &AlipayMerchant, method: &str, biz_content: &str, timestamp: &str) -> String {
    form_encode(&signed_params(merchant, method, biz_content, timestamp))
}

/// `k=v&k=v` with each name and value form-encoded (letters, digits and `*-._` kept, space as `+`)
pub fn form_encode(params: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (name, value) in params {
        if !out.is_empty() {
            out.push('&');
        }
        encode_into(&mut out, name);
        out.push('=');
        encode_into(&mut out, value);
    }
    out
}

fn encode_into(out: &mut String, text: &str) {
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

#[derive(Serialize)]
struct PayBiz<'a> {
    out_trade_no: &'a str,
    scene: &'a str,
    auth_code: &'a str,
    subject: &'a str,
    total_amount: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    terminal_id: Option<&'a str>,
}

#[derive(Serialize)]
struct OrderBiz<'a> {
    out_trade_no: &'a str,
}

#[derive(Serialize)]
struct RefundBiz<'a> {
    out_trade_no: &'a str,
    refund_amount: String,
    out_request_no: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refund_reason: Option<&'a str>,
}

#[derive(Serialize)]
struct RefundQueryBiz<'a> {
    out_trade_no: &'a str,
    out_request_no: &'a str,
}

fn json(value: &impl Serialize) -> String {
    // serialising these plain structs of strings cannot fail
    serde_json::to_string(value).unwrap_or_default()
}

/// `biz_content` of `alipay.trade.pay` with `scene=bar_code`
pub fn pay_biz(request: &PayRequest) -> Result<String, ProviderError> {
    if request.amount < 1 {
        return Err(invalid(format!("amount {} fen: a payment is at least 1 fen", request.amount)));
    }
    if request.auth_code.is_empty() || request.out_trade_no.is_empty() {
        return Err(invalid("a payment needs a payment code and an order number"));
    }
    Ok(json(&PayBiz {
        out_trade_no: &request.out_trade_no,
        scene: "bar_code",
        auth_code: &request.auth_code,
        subject: &request.subject,
        total_amount: fen_to_yuan(request.amount),
        terminal_id: request.terminal.as_deref(),
    }))
}

/// `biz_content` of the query and the cancel
pub fn order_biz(out_trade_no: &str) -> String {
    json(&OrderBiz { out_trade_no })
}

/// `biz_content` of `alipay.trade.refund` (`out_request_no` tells partial refunds apart)
pub fn refund_biz(request: &RefundRequest) -> Result<String, ProviderError> {
    if request.amount < 1 || request.total < request.amount {
        return Err(invalid(format!(
            "refund of {} fen of an order of {} fen: a refund is at least 1 fen and at most the order",
            request.amount, request.total
        )));
    }
    Ok(json(&RefundBiz {
        out_trade_no: &request.out_trade_no,
        refund_amount: fen_to_yuan(request.amount),
        out_request_no: &request.out_refund_no,
        refund_reason: request.reason.as_deref(),
    }))
}

/// `biz_content` of `alipay.trade.fastpay.refund.query`
pub fn refund_query_biz(out_trade_no: &str, out_refund_no: &str) -> String {
    json(&RefundQueryBiz { out_trade_no, out_request_no: out_refund_no })
}

/// The answer object (`alipay_trade_pay_response` etc.) once its signature verified
#[derive(Debug)]
pub struct Answer {
    pub code: String,
    pub sub_code: String,
    pub sub_msg: String,
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl Answer {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(serde_json::Value::as_str).filter(|s| !s.is_empty())
    }

    fn text(&self, name: &str) -> Result<&str, ProviderError> {
        self.get(name).ok_or_else(|| malformed(format!("no {name}")))
    }

    fn fen(&self, name: &str) -> Result<i64, ProviderError> {
        let text = self.text(name)?;
        yuan_to_fen(text).map_err(|e| malformed(format!("{name}: {e}")))
    }

    fn failure(&self, retryable: bool) -> Failure {
        let (code, message) = if self.sub_code.is_empty() {
            (self.code.clone(), self.get("msg").unwrap_or_default().to_owned())
        } else {
            (self.sub_code.clone(), self.sub_msg.clone())
        };
        Failure { code, message, retryable }
    }

    /// Alipay's "the outcome is not known": 20000 service unavailable, `ACQ.SYSTEM_ERROR`
    fn unknown(&self) -> bool {
        self.code == "20000" || self.sub_code == "ACQ.SYSTEM_ERROR" || self.sub_code.starts_with("aop.SYSTEM")
    }
}

/// The name of a method's answer object: `alipay.trade.pay` → `alipay_trade_pay_response`
pub fn response_key(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

/// Verifies and opens an answer. The signature covers the answer object's raw text as sent;
/// an answer without one is taken only for gateway errors (no business code), since a business
/// answer (10000, 10003, 40004) is always signed.
pub fn open(merchant: &AlipayMerchant, method: &str, body: &str, out_trade_no: &str) -> Result<Answer, ProviderError> {
    let envelope: BTreeMap<String, Box<RawValue>> =
        serde_json::from_str(body).map_err(|e| malformed(format!("not JSON: {e}")))?;
    let raw = envelope
        .get(&response_key(method))
        .or_else(|| envelope.get("error_response"))
        .ok_or_else(|| malformed(format!("no {}", response_key(method))))?;
    let sign = match envelope.get("sign") {
        Some(sign) => Some(serde_json::from_str::<String>(sign.get()).map_err(|_| malformed("sign is not a string"))?),
        None => None,
    };
    if let Some(sign) = &sign
        && !merchant.alipay_public_key.verify(raw.get(), sign)
    {
        return Err(ProviderError::BadSignature { provider: KIND, detail: format!("sign `{sign}`") });
    }
    let fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(raw.get()).map_err(|e| malformed(format!("answer object: {e}")))?;
    let string = |name: &str| fields.get(name).and_then(serde_json::Value::as_str).unwrap_or("").to_owned();
    let answer = Answer { code: string("code"), sub_code: string("sub_code"), sub_msg: string("sub_msg"), fields };
    if sign.is_none() && matches!(answer.code.as_str(), "10000" | "10003" | "40004") {
        return Err(ProviderError::BadSignature {
            provider: KIND,
            detail: format!("code {} without sign", answer.code),
        });
    }
    if let Some(theirs) = answer.get("out_trade_no")
        && theirs != out_trade_no
    {
        return Err(malformed(format!("answer for order `{theirs}`, not `{out_trade_no}`")));
    }
    Ok(answer)
}

fn paid(answer: &Answer, at: &str) -> Result<Paid, ProviderError> {
    Ok(Paid {
        transaction_id: answer.text("trade_no")?.to_owned(),
        amount: answer.fen("total_amount")?,
        paid_at: answer.get(at).and_then(beijing_time),
    })
}

/// Sub-codes after which the customer can show another code or pay another way
const PAY_RETRYABLE: &[&str] = &[
    "ACQ.PAYMENT_AUTH_CODE_INVALID",
    "ACQ.BUYER_BALANCE_NOT_ENOUGH",
    "ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH",
    "ACQ.PAYMENT_FAIL",
    "ACQ.BUYER_PAYMENT_AMOUNT_DAY_LIMIT_ERROR",
    "ACQ.BUYER_PAYMENT_AMOUNT_MONTH_LIMIT_ERROR",
    "ACQ.ERROR_BALANCE_PAYMENT_DISABLE",
    "ACQ.PULL_MOBILE_CASHIER_FAIL",
    "ACQ.BEYOND_PAY_RESTRICTION",
    "ACQ.BEYOND_PER_RECEIPT_RESTRICTION",
    "ACQ.ERROR_BUYER_CERTIFY_LEVEL_LIMIT",
    "ACQ.BUYER_ENABLE_STATUS_FORBID",
];

/// `alipay.trade.pay`'s answer: 10000 paid, 10003 waiting for the customer, 20000 or
/// `ACQ.SYSTEM_ERROR` unknown, 40004 refused (`ACQ.TRADE_HAS_SUCCESS`: paid already)
pub fn pay_answer(merchant: &AlipayMerchant, out_trade_no: &str, body: &str) -> Result<PayAnswer, ProviderError> {
    let answer = open(merchant, method::PAY, body, out_trade_no)?;
    let outcome = match answer.code.as_str() {
        "10000" => PayOutcome::Paid(paid(&answer, "gmt_payment")?),
        "10003" => PayOutcome::UserPaying,
        _ if answer.sub_code == "ACQ.TRADE_HAS_SUCCESS" => return Ok(PayAnswer::AlreadyPaid),
        _ if answer.unknown() => PayOutcome::Unknown { reason: format!("{:?}", answer.failure(true)) },
        _ => PayOutcome::Failed(answer.failure(PAY_RETRYABLE.contains(&answer.sub_code.as_str()))),
    };
    Ok(PayAnswer::Outcome(outcome))
}

/// `alipay.trade.query`'s answer (`trade_status`)
pub fn query_answer(merchant: &AlipayMerchant, out_trade_no: &str, body: &str) -> Result<PayOutcome, ProviderError> {
    let answer = open(merchant, method::QUERY, body, out_trade_no)?;
    if answer.code != "10000" {
        return Ok(match answer.sub_code.as_str() {
            "ACQ.TRADE_NOT_EXIST" => PayOutcome::NotFound,
            _ => PayOutcome::Unknown { reason: format!("query failed: {:?}", answer.failure(true)) },
        });
    }
    Ok(match answer.text("trade_status")? {
        "TRADE_SUCCESS" | "TRADE_FINISHED" => PayOutcome::Paid(paid(&answer, "send_pay_date")?),
        "WAIT_BUYER_PAY" => PayOutcome::UserPaying,
        "TRADE_CLOSED" => PayOutcome::Closed,
        other => return Err(malformed(format!("trade_status `{other}`"))),
    })
}

/// `alipay.trade.cancel`'s answer (`retry_flag`, `action`: close or refund)
pub fn cancel_answer(
    merchant: &AlipayMerchant,
    out_trade_no: &str,
    body: &str,
) -> Result<CancelOutcome, ProviderError> {
    let answer = open(merchant, method::CANCEL, body, out_trade_no)?;
    if answer.get("retry_flag") == Some("Y") {
        return Ok(CancelOutcome::CallAgain);
    }
    if answer.code == "10000" {
        return Ok(CancelOutcome::Cancelled { refunded: answer.get("action") == Some("refund") });
    }
    Ok(match answer.sub_code.as_str() {
        "ACQ.TRADE_NOT_EXIST" => CancelOutcome::NotFound,
        _ if answer.unknown() => CancelOutcome::Unknown { reason: format!("{:?}", answer.failure(true)) },
        _ => CancelOutcome::Failed(answer.failure(false)),
    })
}

/// `alipay.trade.refund`'s answer: `fund_change=Y` refunded now; `N` (also a repeated request's
/// answer) to be confirmed by the refund query
pub fn refund_answer(
    merchant: &AlipayMerchant,
    request: &RefundRequest,
    body: &str,
) -> Result<RefundOutcome, ProviderError> {
    let answer = open(merchant, method::REFUND, body, &request.out_trade_no)?;
    if answer.code == "10000" {
        if answer.get("fund_change") != Some("Y") {
            return Ok(RefundOutcome::Pending { refund_id: None });
        }
        return Ok(RefundOutcome::Refunded(Refunded {
            refund_id: None,
            amount: request.amount,
            refunded_total: Some(answer.fen("refund_fee")?),
            refunded_at: answer.get("gmt_refund_pay").and_then(beijing_time),
        }));
    }
    Ok(match answer.sub_code.as_str() {
        _ if answer.unknown() => RefundOutcome::Unknown { reason: format!("{:?}", answer.failure(true)) },
        "ACQ.SELLER_BALANCE_NOT_ENOUGH" => RefundOutcome::Failed(answer.failure(true)),
        _ => RefundOutcome::Failed(answer.failure(false)),
    })
}

/// `alipay.trade.fastpay.refund.query`'s answer: a refund it lists (`refund_status` empty or
/// `REFUND_SUCCESS`) was made; one it does not list was not
pub fn refund_query_answer(
    merchant: &AlipayMerchant,
    out_trade_no: &str,
    body: &str,
) -> Result<RefundOutcome, ProviderError> {
    let answer = open(merchant, method::REFUND_QUERY, body, out_trade_no)?;
    if answer.code != "10000" {
        return Ok(match answer.sub_code.as_str() {
            "ACQ.TRADE_NOT_EXIST" => RefundOutcome::NotFound,
            _ => RefundOutcome::Unknown { reason: format!("{:?}", answer.failure(true)) },
        });
    }
    if answer.get("refund_amount").is_none() {
        return Ok(RefundOutcome::NotFound);
    }
    Ok(match answer.get("refund_status") {
        None | Some("REFUND_SUCCESS") => RefundOutcome::Refunded(Refunded {
            refund_id: None,
            amount: answer.fen("refund_amount")?,
            refunded_total: None,
            refunded_at: answer.get("gmt_refund_pay").and_then(beijing_time),
        }),
        Some(_) => RefundOutcome::Pending { refund_id: None },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Simulator, keys};

    fn merchant() -> AlipayMerchant {
        Simulator::alipay_merchant()
    }

    fn request() -> PayRequest {
        PayRequest {
            out_trade_no: "B001-01-000042-1".into(),
            auth_code: "284567890123456789".into(),
            amount: 1234,
            subject: "Tillpoint 徐汇店".into(),
            terminal: Some("B001-01".into()),
        }
    }

    #[test]
    fn the_pay_request_is_byte_for_byte() {
        let biz = pay_biz(&request()).unwrap_or_default();
        assert_eq!(
            biz,
            r#"{"out_trade_no":"B001-01-000042-1","scene":"bar_code","auth_code":"284567890123456789","subject":"Tillpoint 徐汇店","total_amount":"12.34","terminal_id":"B001-01"}"#
        );
        let params = signed_params(&merchant(), method::PAY, &biz, "2026-11-30 10:00:00");
        let content = format!(
            "app_id=2021000000000000&biz_content={biz}&charset=utf-8&format=JSON&method=alipay.trade.pay\
             &sign_type=RSA2&timestamp=2026-11-30 10:00:00&version=1.0"
        );
        assert_eq!(content_to_sign(&params), content);
        let signature = merchant().app_private_key.sign(&content);
        assert_eq!(params.get("sign"), Some(&signature));
        let mut encoded_sign = String::new();
        encode_into(&mut encoded_sign, &signature);
        assert_eq!(
            request_body(&merchant(), method::PAY, &biz, "2026-11-30 10:00:00"),
            format!(
                "app_id=2021000000000000&biz_content=%7B%22out_trade_no%22%3A%22B001-01-000042-1%22%2C%22scene%22%3A%22bar_code%22\
                 %2C%22auth_code%22%3A%22284567890123456789%22%2C%22subject%22%3A%22Tillpoint+%E5%BE%90%E6%B1%87%E5%BA%97%22\
                 %2C%22total_amount%22%3A%2212.34%22%2C%22terminal_id%22%3A%22B001-01%22%7D&charset=utf-8&format=JSON\
                 &method=alipay.trade.pay&sign={encoded_sign}&sign_type=RSA2&timestamp=2026-11-30+10%3A00%3A00&version=1.0"
            )
        );
        assert!(matches!(pay_biz(&PayRequest { amount: 0, ..request() }), Err(ProviderError::InvalidRequest { .. })));
    }

    /// An answer as Alipay would send it: the object's text, signed with (the simulator's
    /// stand-in for) Alipay's key
    fn signed(method: &str, object: &str) -> String {
        let key = PrivateKey::parse(keys::SIM_ALIPAY_PRIVATE).unwrap_or_else(|e| panic!("{e}"));
        format!(r#"{{"{}":{object},"sign":"{}"}}"#, response_key(method), key.sign(object))
    }

    fn pay(body: &str) -> Result<PayAnswer, ProviderError> {
        pay_answer(&merchant(), "B001-01-000042-1", body)
    }

    #[test]
    fn pay_answers_read_as_outcomes() {
        // the raw text is verified as sent: spacing and key order included
        let object = r#"{"code": "10000","msg":"Success","trade_no":"2026113022001400001234567890","out_trade_no":"B001-01-000042-1","total_amount":"12.34","gmt_payment":"2026-11-30 10:00:03"}"#;
        assert_eq!(
            pay(&signed(method::PAY, object)),
            Ok(PayAnswer::Outcome(PayOutcome::Paid(Paid {
                transaction_id: "2026113022001400001234567890".into(),
                amount: 1234,
                paid_at: "2026-11-30T02:00:03Z".parse().ok(),
            })))
        );
        let business = |sub_code: &str| {
            signed(
                method::PAY,
                &format!(r#"{{"code":"40004","msg":"Business Failed","sub_code":"{sub_code}","sub_msg":"…"}}"#),
            )
        };
        let failed = |code: &str, retryable: bool| {
            Ok(PayAnswer::Outcome(PayOutcome::Failed(Failure { code: code.into(), message: "…".into(), retryable })))
        };
        assert_eq!(pay(&business("ACQ.BUYER_BALANCE_NOT_ENOUGH")), failed("ACQ.BUYER_BALANCE_NOT_ENOUGH", true));
        assert_eq!(pay(&business("ACQ.PAYMENT_AUTH_CODE_INVALID")), failed("ACQ.PAYMENT_AUTH_CODE_INVALID", true));
        assert_eq!(pay(&business("ACQ.TRADE_HAS_CLOSE")), failed("ACQ.TRADE_HAS_CLOSE", false));
        assert_eq!(pay(&business("ACQ.TRADE_HAS_SUCCESS")), Ok(PayAnswer::AlreadyPaid));
        assert!(matches!(pay(&business("ACQ.SYSTEM_ERROR")), Ok(PayAnswer::Outcome(PayOutcome::Unknown { .. }))));
        let waiting = signed(method::PAY, r#"{"code":"10003","msg":" order success pay inprocess"}"#);
        assert_eq!(pay(&waiting), Ok(PayAnswer::Outcome(PayOutcome::UserPaying)));
        let unavailable = signed(method::PAY, r#"{"code":"20000","msg":"Service Currently Unavailable"}"#);
        assert!(matches!(pay(&unavailable), Ok(PayAnswer::Outcome(PayOutcome::Unknown { .. }))));
    }

    #[test]
    fn a_paid_answer_not_signed_by_alipay_is_refused() {
        let object = r#"{"code":"10000","msg":"Success","trade_no":"1","out_trade_no":"B001-01-000042-1","total_amount":"12.34"}"#;
        let good = signed(method::PAY, object);
        let forged = good.replace("12.34", "0.01");
        assert!(matches!(pay(&forged), Err(ProviderError::BadSignature { .. })));
        let reformatted = good.replacen(r#""code":"10000""#, r#""code": "10000""#, 1);
        assert!(matches!(pay(&reformatted), Err(ProviderError::BadSignature { .. })));
        let unsigned = format!(r#"{{"alipay_trade_pay_response":{object}}}"#);
        assert!(matches!(pay(&unsigned), Err(ProviderError::BadSignature { .. })));
        // a gateway refusal (no business code) may come unsigned: nothing was charged
        let refused = r#"{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id","sub_msg":"无效的AppID参数"}}"#;
        assert!(matches!(pay(refused), Ok(PayAnswer::Outcome(PayOutcome::Failed(Failure { retryable: false, .. })))));
        let other_order = signed(method::PAY, r#"{"code":"10000","out_trade_no":"B001-01-000043-1"}"#);
        assert!(matches!(pay(&other_order), Err(ProviderError::Malformed { .. })));
        assert!(matches!(pay("<html>"), Err(ProviderError::Malformed { .. })));
    }

    #[test]
    fn refund_answers_tell_a_refund_made_from_one_to_confirm() {
        let refund = RefundRequest {
            out_trade_no: "B001-01-000042-1".into(),
            out_refund_no: "B001-01-000042-1-R1".into(),
            amount: 300,
            total: 1234,
            reason: None,
        };
        let made = signed(
            method::REFUND,
            r#"{"code":"10000","msg":"Success","out_trade_no":"B001-01-000042-1","fund_change":"Y","refund_fee":"5.00"}"#,
        );
        assert_eq!(
            refund_answer(&merchant(), &refund, &made),
            Ok(RefundOutcome::Refunded(Refunded {
                refund_id: None,
                amount: 300,
                refunded_total: Some(500),
                refunded_at: None
            }))
        );
        let repeated =
            signed(method::REFUND, r#"{"code":"10000","msg":"Success","fund_change":"N","refund_fee":"5.00"}"#);
        assert_eq!(refund_answer(&merchant(), &refund, &repeated), Ok(RefundOutcome::Pending { refund_id: None }));
        let none =
            signed(method::REFUND_QUERY, r#"{"code":"10000","msg":"Success","out_trade_no":"B001-01-000042-1"}"#);
        assert_eq!(refund_query_answer(&merchant(), "B001-01-000042-1", &none), Ok(RefundOutcome::NotFound));
    }
}
