//! WeChat Pay v2 micropay (付款码支付) requests and answers, as pure functions: the request's XML
//! body from what to do, and the outcome from the answer's XML.

use std::collections::BTreeMap;

use super::sign::{self, SignType};
use super::xml;
use crate::provider::{
    CancelOutcome, Failure, Paid, PayAnswer, PayOutcome, PayRequest, ProviderError, ProviderKind, RefundOutcome,
    RefundRequest, Refunded, beijing_time,
};

/// The paths under the API's base URL (`https://api.mch.weixin.qq.com`)
pub mod path {
    pub const MICROPAY: &str = "/pay/micropay";
    pub const ORDER_QUERY: &str = "/pay/orderquery";
    pub const REVERSE: &str = "/secapi/pay/reverse";
    pub const REFUND: &str = "/secapi/pay/refund";
    pub const REFUND_QUERY: &str = "/pay/refundquery";
}

/// A merchant's WeChat Pay account as HQ holds it
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WeChatMerchant {
    /// 公众账号ID
    pub appid: String,
    /// 商户号
    pub mch_id: String,
    /// The API key (API密钥) both sides sign with
    pub api_key: String,
    #[serde(default)]
    pub sign_type: SignType,
    /// `spbill_create_ip`: the address of the machine calling (HQ)
    #[serde(default = "default_ip")]
    pub spbill_create_ip: String,
}

fn default_ip() -> String {
    "127.0.0.1".into()
}

impl std::fmt::Debug for WeChatMerchant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WeChatMerchant")
            .field("appid", &self.appid)
            .field("mch_id", &self.mch_id)
            .field("api_key", &"<hidden>")
            .field("sign_type", &self.sign_type)
            .finish()
    }
}

const KIND: ProviderKind = ProviderKind::WeChat;

fn malformed(detail: impl Into<String>) -> ProviderError {
    ProviderError::Malformed { provider: KIND, detail: detail.into() }
}

fn invalid(detail: impl Into<String>) -> ProviderError {
    ProviderError::InvalidRequest { provider: KIND, detail: detail.into() }
}

fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The fields every request carries, then `sign`, as XML
fn signed_request(merchant: &WeChatMerchant, nonce: &str, mut body: BTreeMap<String, String>) -> String {
    body.insert("appid".into(), merchant.appid.clone());
    body.insert("mch_id".into(), merchant.mch_id.clone());
    body.insert("nonce_str".into(), nonce.to_owned());
    if merchant.sign_type == SignType::HmacSha256 {
        body.insert("sign_type".into(), SignType::HmacSha256.wire().into());
    }
    let signature = sign::sign(&body, &merchant.api_key, merchant.sign_type);
    body.insert("sign".into(), signature);
    xml::write(&body)
}

/// `/pay/micropay`: charge a scanned payment code
pub fn micropay_request(merchant: &WeChatMerchant, request: &PayRequest, nonce: &str) -> Result<String, ProviderError> {
    if request.amount < 1 {
        return Err(invalid(format!("amount {} fen: a payment is at least 1 fen", request.amount)));
    }
    if request.auth_code.is_empty() || request.out_trade_no.is_empty() {
        return Err(invalid("a payment needs a payment code and an order number"));
    }
    let total_fee = request.amount.to_string();
    let body = fields(&[
        ("auth_code", &request.auth_code),
        ("body", &request.subject),
        ("device_info", request.terminal.as_deref().unwrap_or("")),
        ("out_trade_no", &request.out_trade_no),
        ("spbill_create_ip", &merchant.spbill_create_ip),
        ("total_fee", &total_fee),
    ]);
    Ok(signed_request(merchant, nonce, body))
}

/// `/pay/orderquery` (or `/secapi/pay/reverse`, which takes the same fields)
pub fn order_request(merchant: &WeChatMerchant, out_trade_no: &str, nonce: &str) -> String {
    signed_request(merchant, nonce, fields(&[("out_trade_no", out_trade_no)]))
}

/// `/secapi/pay/refund`
pub fn refund_request(
    merchant: &WeChatMerchant,
    request: &RefundRequest,
    nonce: &str,
) -> Result<String, ProviderError> {
    if request.amount < 1 || request.total < request.amount {
        return Err(invalid(format!(
            "refund of {} fen of an order of {} fen: a refund is at least 1 fen and at most the order",
            request.amount, request.total
        )));
    }
    let (refund_fee, total_fee) = (request.amount.to_string(), request.total.to_string());
    let body = fields(&[
        ("out_refund_no", &request.out_refund_no),
        ("out_trade_no", &request.out_trade_no),
        ("refund_desc", request.reason.as_deref().unwrap_or("")),
        ("refund_fee", &refund_fee),
        ("total_fee", &total_fee),
    ]);
    Ok(signed_request(merchant, nonce, body))
}

/// `/pay/refundquery` by the refund's number
pub fn refund_query_request(merchant: &WeChatMerchant, out_refund_no: &str, nonce: &str) -> String {
    signed_request(merchant, nonce, fields(&[("out_refund_no", out_refund_no)]))
}

/// An answer once opened: refused as a request (`return_code=FAIL`, unsigned by the protocol), or a
/// business result whose signature verified
enum Answer {
    Refused { message: String },
    Result { success: bool, fields: BTreeMap<String, String> },
}

fn open(merchant: &WeChatMerchant, answer: &str, out_trade_no: Option<&str>) -> Result<Answer, ProviderError> {
    let fields = xml::read(answer).map_err(|e| malformed(e.to_string()))?;
    let get = |name: &str| fields.get(name).map(String::as_str).unwrap_or("");
    match get("return_code") {
        "FAIL" => return Ok(Answer::Refused { message: get("return_msg").to_owned() }),
        "SUCCESS" => {}
        other => return Err(malformed(format!("return_code `{other}`"))),
    }
    if !sign::verify(&fields, &merchant.api_key, merchant.sign_type) {
        return Err(ProviderError::BadSignature { provider: KIND, detail: format!("sign `{}`", get("sign")) });
    }
    for (name, ours) in [("appid", &merchant.appid), ("mch_id", &merchant.mch_id)] {
        if let Some(theirs) = fields.get(name)
            && theirs != ours
        {
            return Err(malformed(format!("{name} `{theirs}` is not ours")));
        }
    }
    if let (Some(expected), Some(theirs)) = (out_trade_no, fields.get("out_trade_no"))
        && theirs != expected
    {
        return Err(malformed(format!("answer for order `{theirs}`, not `{expected}`")));
    }
    let success = match get("result_code") {
        "SUCCESS" => true,
        "FAIL" => false,
        other => return Err(malformed(format!("result_code `{other}`"))),
    };
    Ok(Answer::Result { success, fields })
}

fn text<'a>(fields: &'a BTreeMap<String, String>, name: &str) -> Result<&'a str, ProviderError> {
    match fields.get(name).map(String::as_str) {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(malformed(format!("no {name}"))),
    }
}

fn fen(fields: &BTreeMap<String, String>, name: &str) -> Result<i64, ProviderError> {
    let value = text(fields, name)?;
    match value.parse::<i64>() {
        Ok(fen) if fen >= 0 && value.bytes().all(|b| b.is_ascii_digit()) => Ok(fen),
        _ => Err(malformed(format!("{name} `{value}` is not fen"))),
    }
}

fn failure(fields: &BTreeMap<String, String>, retryable: bool) -> Failure {
    Failure {
        code: fields.get("err_code").cloned().unwrap_or_default(),
        message: fields.get("err_code_des").cloned().unwrap_or_default(),
        retryable,
    }
}

fn refused(message: String) -> Failure {
    Failure { code: "FAIL".into(), message, retryable: false }
}

fn paid(fields: &BTreeMap<String, String>) -> Result<Paid, ProviderError> {
    Ok(Paid {
        transaction_id: text(fields, "transaction_id")?.to_owned(),
        amount: fen(fields, "total_fee")?,
        paid_at: fields.get("time_end").and_then(|t| beijing_time(t)),
    })
}

/// The micropay answer. A request refused as such (`return_code=FAIL`: bad signature, bad XML)
/// cannot have charged anyone and is a non-retryable failure, as WeChat Pay's own SDK takes it.
pub fn micropay_answer(
    merchant: &WeChatMerchant,
    out_trade_no: &str,
    answer: &str,
) -> Result<PayAnswer, ProviderError> {
    let (success, fields) = match open(merchant, answer, Some(out_trade_no))? {
        Answer::Refused { message } => return Ok(PayAnswer::Outcome(PayOutcome::Failed(refused(message)))),
        Answer::Result { success, fields } => (success, fields),
    };
    if success {
        return Ok(PayAnswer::Outcome(PayOutcome::Paid(paid(&fields)?)));
    }
    let code = fields.get("err_code").map(String::as_str).unwrap_or("");
    let outcome = match code {
        "USERPAYING" => PayOutcome::UserPaying,
        "ORDERPAID" => return Ok(PayAnswer::AlreadyPaid),
        "SYSTEMERROR" | "BANKERROR" => {
            PayOutcome::Unknown { reason: format!("{code}: {}", failure(&fields, true).message) }
        }
        // the customer can show another code or pay another way
        "AUTHCODEEXPIRE" | "AUTH_CODE_ERROR" | "AUTH_CODE_INVALID" | "NOTENOUGH" | "NOTSUPORTCARD"
        | "BUYER_MISMATCH" | "PAYERROR" | "TRADE_ERROR" => PayOutcome::Failed(failure(&fields, true)),
        _ => PayOutcome::Failed(failure(&fields, false)),
    };
    Ok(PayAnswer::Outcome(outcome))
}

/// The order query's answer (`trade_state`)
pub fn order_query_answer(
    merchant: &WeChatMerchant,
    out_trade_no: &str,
    answer: &str,
) -> Result<PayOutcome, ProviderError> {
    let (success, fields) = match open(merchant, answer, Some(out_trade_no))? {
        Answer::Refused { message } => return Ok(PayOutcome::Unknown { reason: format!("query refused: {message}") }),
        Answer::Result { success, fields } => (success, fields),
    };
    if !success {
        return Ok(match fields.get("err_code").map(String::as_str) {
            Some("ORDERNOTEXIST") => PayOutcome::NotFound,
            _ => PayOutcome::Unknown { reason: format!("query failed: {:?}", failure(&fields, true)) },
        });
    }
    Ok(match text(&fields, "trade_state")? {
        "SUCCESS" | "REFUND" => PayOutcome::Paid(paid(&fields)?),
        "USERPAYING" | "ACCEPT" => PayOutcome::UserPaying,
        "NOTPAY" => PayOutcome::NotPaid,
        "CLOSED" | "REVOKED" => PayOutcome::Closed,
        "PAYERROR" => PayOutcome::Failed(Failure {
            code: "PAYERROR".into(),
            message: fields.get("trade_state_desc").cloned().unwrap_or_default(),
            retryable: true,
        }),
        other => return Err(malformed(format!("trade_state `{other}`"))),
    })
}

/// The reverse's answer (`recall`: call again)
pub fn reverse_answer(
    merchant: &WeChatMerchant,
    out_trade_no: &str,
    answer: &str,
) -> Result<CancelOutcome, ProviderError> {
    let (success, fields) = match open(merchant, answer, Some(out_trade_no))? {
        Answer::Refused { message } => return Ok(CancelOutcome::Failed(refused(message))),
        Answer::Result { success, fields } => (success, fields),
    };
    if fields.get("recall").map(String::as_str) == Some("Y") {
        return Ok(CancelOutcome::CallAgain);
    }
    if success {
        return Ok(CancelOutcome::Cancelled { refunded: false });
    }
    Ok(match fields.get("err_code").map(String::as_str).unwrap_or("") {
        "ORDERNOTEXIST" => CancelOutcome::NotFound,
        "SYSTEMERROR" | "USERPAYING" => CancelOutcome::Unknown { reason: format!("{:?}", failure(&fields, true)) },
        _ => CancelOutcome::Failed(failure(&fields, false)),
    })
}

/// The refund's answer: accepted (`Pending`, to be confirmed by the refund query) or refused
pub fn refund_answer(
    merchant: &WeChatMerchant,
    out_trade_no: &str,
    answer: &str,
) -> Result<RefundOutcome, ProviderError> {
    let (success, fields) = match open(merchant, answer, Some(out_trade_no))? {
        Answer::Refused { message } => return Ok(RefundOutcome::Failed(refused(message))),
        Answer::Result { success, fields } => (success, fields),
    };
    if success {
        return Ok(RefundOutcome::Pending { refund_id: Some(text(&fields, "refund_id")?.to_owned()) });
    }
    Ok(match fields.get("err_code").map(String::as_str).unwrap_or("") {
        "SYSTEMERROR" | "BIZERR_NEED_RETRY" => {
            RefundOutcome::Unknown { reason: format!("{:?}", failure(&fields, true)) }
        }
        "NOTENOUGH" | "FREQUENCY_LIMITED" | "INVALID_REQ_TOO_MUCH" => RefundOutcome::Failed(failure(&fields, true)),
        _ => RefundOutcome::Failed(failure(&fields, false)),
    })
}

/// The refund query's answer for refund `out_refund_no` (the `_$n` fields whose
/// `out_refund_no_$n` is ours)
pub fn refund_query_answer(
    merchant: &WeChatMerchant,
    out_trade_no: &str,
    out_refund_no: &str,
    answer: &str,
) -> Result<RefundOutcome, ProviderError> {
    let (success, fields) = match open(merchant, answer, Some(out_trade_no))? {
        Answer::Refused { message } => {
            return Ok(RefundOutcome::Unknown { reason: format!("query refused: {message}") });
        }
        Answer::Result { success, fields } => (success, fields),
    };
    if !success {
        return Ok(match fields.get("err_code").map(String::as_str) {
            Some("REFUNDNOTEXIST") => RefundOutcome::NotFound,
            _ => RefundOutcome::Unknown { reason: format!("{:?}", failure(&fields, true)) },
        });
    }
    let count = fen(&fields, "refund_count")?;
    let n = (0..count)
        .find(|n| fields.get(&format!("out_refund_no_{n}")).map(String::as_str) == Some(out_refund_no))
        .ok_or_else(|| malformed(format!("no refund `{out_refund_no}` among {count}")))?;
    let refund_id = text(&fields, &format!("refund_id_{n}"))?.to_owned();
    Ok(match text(&fields, &format!("refund_status_{n}"))? {
        "SUCCESS" => RefundOutcome::Refunded(Refunded {
            refund_id: Some(refund_id),
            amount: fen(&fields, &format!("refund_fee_{n}"))?,
            refunded_total: None,
            refunded_at: fields.get(&format!("refund_success_time_{n}")).and_then(|t| beijing_time(t)),
        }),
        "PROCESSING" => RefundOutcome::Pending { refund_id: Some(refund_id) },
        status @ ("REFUNDCLOSE" | "CHANGE") => {
            RefundOutcome::Failed(Failure { code: status.into(), message: String::new(), retryable: false })
        }
        other => return Err(malformed(format!("refund_status `{other}`"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Simulator;

    fn merchant() -> WeChatMerchant {
        Simulator::wechat_merchant(SignType::Md5)
    }

    /// The answer's XML as WeChat Pay would sign it with the merchant's key
    fn signed_answer(pairs: &[(&str, &str)]) -> String {
        let mut fields: BTreeMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let signature = sign::sign(&fields, &merchant().api_key, SignType::Md5);
        fields.insert("sign".into(), signature);
        xml::write(&fields)
    }

    const BASE: [(&str, &str); 5] = [
        ("return_code", "SUCCESS"),
        ("return_msg", "OK"),
        ("appid", "wx00000000demo0000"),
        ("mch_id", "1900000109"),
        ("nonce_str", "ibuaiVcKdpRxkhJA"),
    ];

    fn answer(more: &[(&str, &str)]) -> String {
        let all: Vec<(&str, &str)> = BASE.iter().chain(more.iter()).copied().collect();
        signed_answer(&all)
    }

    #[test]
    fn the_micropay_request_is_byte_for_byte() {
        let request = PayRequest {
            out_trade_no: "B001-01-000042-1".into(),
            auth_code: "134567890123456789".into(),
            amount: 1234,
            subject: "Tillpoint".into(),
            terminal: Some("B001-01".into()),
        };
        // sign: `printf %s 'appid=…&total_fee=1234&key=…' | openssl dgst -md5`, uppercased
        assert_eq!(
            micropay_request(&merchant(), &request, "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"),
            Ok("<xml><appid>wx00000000demo0000</appid><auth_code>134567890123456789</auth_code><body>Tillpoint</body>\
                <device_info>B001-01</device_info><mch_id>1900000109</mch_id>\
                <nonce_str>5K8264ILTKCH16CQ2502SI8ZNMTM67VS</nonce_str><out_trade_no>B001-01-000042-1</out_trade_no>\
                <sign>7413E08A8C7D74808199FE7F12CB4F88</sign><spbill_create_ip>127.0.0.1</spbill_create_ip>\
                <total_fee>1234</total_fee></xml>"
                .to_owned())
        );
        let zero = PayRequest { amount: 0, ..request };
        assert!(matches!(micropay_request(&merchant(), &zero, "n"), Err(ProviderError::InvalidRequest { .. })));
    }

    #[test]
    fn hmac_requests_say_their_sign_type() {
        let mut hmac = merchant();
        hmac.sign_type = SignType::HmacSha256;
        let xml = order_request(&hmac, "B001-01-000042-1", "n");
        let fields = xml::read(&xml).unwrap_or_default();
        assert_eq!(fields.get("sign_type").map(String::as_str), Some("HMAC-SHA256"));
        assert_eq!(fields.get("sign").map(String::len), Some(64));
        assert!(sign::verify(&fields, &hmac.api_key, SignType::HmacSha256));
    }

    fn pay(answer: &str) -> Result<PayAnswer, ProviderError> {
        micropay_answer(&merchant(), "B001-01-000042-1", answer)
    }

    #[test]
    fn micropay_answers_read_as_outcomes() {
        let paid = answer(&[
            ("result_code", "SUCCESS"),
            ("transaction_id", "4200000000202611300000000001"),
            ("out_trade_no", "B001-01-000042-1"),
            ("total_fee", "1234"),
            ("time_end", "20261130100003"),
        ]);
        assert_eq!(
            pay(&paid),
            Ok(PayAnswer::Outcome(PayOutcome::Paid(Paid {
                transaction_id: "4200000000202611300000000001".into(),
                amount: 1234,
                paid_at: "2026-11-30T02:00:03Z".parse().ok(),
            })))
        );
        let failed = |code: &str| answer(&[("result_code", "FAIL"), ("err_code", code), ("err_code_des", "…")]);
        assert_eq!(pay(&failed("USERPAYING")), Ok(PayAnswer::Outcome(PayOutcome::UserPaying)));
        assert_eq!(pay(&failed("ORDERPAID")), Ok(PayAnswer::AlreadyPaid));
        assert!(matches!(pay(&failed("SYSTEMERROR")), Ok(PayAnswer::Outcome(PayOutcome::Unknown { .. }))));
        assert!(matches!(pay(&failed("BANKERROR")), Ok(PayAnswer::Outcome(PayOutcome::Unknown { .. }))));
        let declined = |code: &str, retryable: bool| {
            Ok(PayAnswer::Outcome(PayOutcome::Failed(Failure { code: code.into(), message: "…".into(), retryable })))
        };
        assert_eq!(pay(&failed("NOTENOUGH")), declined("NOTENOUGH", true));
        assert_eq!(pay(&failed("AUTHCODEEXPIRE")), declined("AUTHCODEEXPIRE", true));
        assert_eq!(pay(&failed("PARAM_ERROR")), declined("PARAM_ERROR", false));
        // refused as a request: unsigned by the protocol, nothing charged
        assert_eq!(
            pay("<xml><return_code>FAIL</return_code><return_msg>签名错误</return_msg></xml>"),
            Ok(PayAnswer::Outcome(PayOutcome::Failed(Failure {
                code: "FAIL".into(),
                message: "签名错误".into(),
                retryable: false
            })))
        );
    }

    #[test]
    fn a_paid_answer_not_signed_by_the_merchants_key_is_refused() {
        let paid = answer(&[
            ("result_code", "SUCCESS"),
            ("transaction_id", "4200000000202611300000000001"),
            ("total_fee", "1234"),
        ]);
        let forged = paid.replace("<total_fee>1234", "<total_fee>1");
        assert!(matches!(pay(&forged), Err(ProviderError::BadSignature { .. })));
        let unsigned = paid.split("<sign>").next().unwrap_or_default().to_owned()
            + paid.split("</sign>").nth(1).unwrap_or_default();
        assert!(matches!(pay(&unsigned), Err(ProviderError::BadSignature { .. })));
        let other_order = answer(&[("result_code", "SUCCESS"), ("out_trade_no", "B001-01-000043-1")]);
        assert!(matches!(pay(&other_order), Err(ProviderError::Malformed { .. })));
        assert!(matches!(pay("not xml"), Err(ProviderError::Malformed { .. })));
    }

    #[test]
    fn query_states_read_as_outcomes() {
        let state = |s: &str| {
            order_query_answer(
                &merchant(),
                "B001-01-000042-1",
                &answer(&[
                    ("result_code", "SUCCESS"),
                    ("trade_state", s),
                    ("transaction_id", "42"),
                    ("total_fee", "5"),
                ]),
            )
        };
        assert!(matches!(state("SUCCESS"), Ok(PayOutcome::Paid(Paid { amount: 5, .. }))));
        assert!(matches!(state("REFUND"), Ok(PayOutcome::Paid(_))));
        assert_eq!(state("USERPAYING"), Ok(PayOutcome::UserPaying));
        assert_eq!(state("NOTPAY"), Ok(PayOutcome::NotPaid));
        assert_eq!(state("REVOKED"), Ok(PayOutcome::Closed));
        assert!(matches!(state("PAYERROR"), Ok(PayOutcome::Failed(_))));
        assert!(matches!(state("WHATEVER"), Err(ProviderError::Malformed { .. })));
        let missing = answer(&[("result_code", "FAIL"), ("err_code", "ORDERNOTEXIST")]);
        assert_eq!(order_query_answer(&merchant(), "B001-01-000042-1", &missing), Ok(PayOutcome::NotFound));
    }
}
