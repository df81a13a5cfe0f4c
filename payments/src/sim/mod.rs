//! The simulator: a loopback HTTP server speaking WeChat Pay v2's and Alipay's request and answer
//! shapes, signatures included, with scripted outcomes and a ledger of its own.
//!
//! It checks each request's signature with the demo merchant's key (`keys`) and signs its
//! answers (WeChat: the API key; Alipay: the DEMO-ONLY key pair in `demo-keys/`).
//! Outcomes are scripted per payment code or per order (`Script`); an unscripted code is paid.
//! Money moves only in its ledger: `charges()` and `refunds()` let a test check "charged exactly
//! once" and refund totals. `wechat_statement` / `alipay_statement` write a day's statement in
//! each provider's format from the ledger.

mod alipay;
pub mod keys;
mod wechat;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::provider::ProviderKind;

/// What the simulator does with a payment (scripted per payment code or per order number)
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Script {
    /// Charged at once
    Paid,
    /// The customer must confirm: `USERPAYING` / 10003, then charged on the given query
    /// (1 = the first query finds it paid); `None`: never confirms
    UserPaying { paid_after_queries: Option<u32> },
    /// `NOTENOUGH` / `ACQ.BUYER_BALANCE_NOT_ENOUGH`
    InsufficientFunds,
    /// `AUTHCODEEXPIRE` / `ACQ.PAYMENT_AUTH_CODE_INVALID`
    CodeExpired,
    /// The answer comes after `delay_ms` (longer than the client waits); `charged`: the money
    /// was taken all the same (the answer, not the payment, was lost)
    Timeout { delay_ms: u64, charged: bool },
    /// `SYSTEMERROR` / `ACQ.SYSTEM_ERROR` at once; `charged` as for `Timeout`
    SystemError { charged: bool },
    /// Charged, but the pay answer's signature is wrong (queries are signed properly)
    BadSignature,
    /// Any other refusal, with the provider's code (WeChat `err_code`, Alipay `sub_code`)
    Decline { code: String, message: String },
}

/// What the simulator does with a refund of an order (scripted per order number; unscripted:
/// refunded)
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RefundScript {
    /// Refunded at once
    Refunded,
    /// Refused with the provider's code and words, nothing given back: WeChat Pay's `NOTENOUGH`
    /// (the merchant's balance is short), Alipay's `ACQ.SELLER_BALANCE_NOT_ENOUGH`, or any other
    Refused { code: String, message: String },
}

impl RefundScript {
    /// The merchant's balance is short, in the provider's own code and words
    pub fn balance_short(provider: ProviderKind) -> RefundScript {
        match provider {
            ProviderKind::WeChat => RefundScript::Refused {
                code: "NOTENOUGH".into(),
                message: "基本账户余额不足，请充值后重新发起".into(),
            },
            ProviderKind::Alipay => RefundScript::Refused {
                code: "ACQ.SELLER_BALANCE_NOT_ENOUGH".into(),
                message: "卖家余额不足".into(),
            },
        }
    }
}

/// Scripts read from a file by `payment-sim --script`
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScriptBook {
    #[serde(default)]
    pub codes: HashMap<String, Script>,
    #[serde(default)]
    pub orders: HashMap<String, Script>,
    /// Refunds of an order, by its order number
    #[serde(default)]
    pub refunds: HashMap<String, RefundScript>,
}

/// A charge in the simulator's ledger
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub provider: ProviderKind,
    pub out_trade_no: String,
    pub transaction_id: String,
    pub auth_code: String,
    pub amount: i64,
    pub subject: String,
    pub created_at: jiff::Timestamp,
    pub at: jiff::Timestamp,
}

/// Money given back: a refund, or a reversal (`out_refund_no` none) of a paid order
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRefund {
    pub provider: ProviderKind,
    pub out_trade_no: String,
    pub transaction_id: String,
    pub out_refund_no: Option<String>,
    pub refund_id: String,
    pub amount: i64,
    pub at: jiff::Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum OrderState {
    Paying {
        queries_left: Option<u32>,
    },
    Paid,
    Failed {
        decline: Decline,
    },
    /// Closed unpaid (cancelled while the customer had not paid)
    Closed,
    /// Paid, then reversed: the money went back
    Reversed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Decline {
    InsufficientFunds,
    CodeExpired,
    CodeInvalid,
    Other { code: String, message: String },
}

#[derive(Debug, Clone)]
struct Order {
    provider: ProviderKind,
    out_trade_no: String,
    auth_code: String,
    amount: i64,
    subject: String,
    terminal: String,
    transaction_id: String,
    created_at: jiff::Timestamp,
    paid_at: Option<jiff::Timestamp>,
    state: OrderState,
    refunds: Vec<LedgerRefund>,
}

impl Order {
    fn refunded(&self) -> i64 {
        self.refunds.iter().filter(|r| r.out_refund_no.is_some()).map(|r| r.amount).sum()
    }
}

/// What a pay request comes to, before it is put in a provider's words
#[derive(Debug, Clone)]
enum PayVerdict {
    Paid(Order),
    UserPaying(Order),
    Declined(Decline),
    /// The same order number again, already paid
    AlreadyPaid,
    OrderClosed,
    OrderReversed,
    /// The same order number with another code or amount
    Mismatch,
    SystemError,
}

struct PayReply {
    verdict: PayVerdict,
    delay: Option<Duration>,
    corrupt_signature: bool,
}

enum RefundVerdict {
    NoOrder,
    NotPaid,
    /// `fresh`: false when the same refund number was answered before (no new money moved)
    Refunded {
        order: Box<Order>,
        refund: LedgerRefund,
        fresh: bool,
    },
    Exceeds,
    Mismatch,
    /// Scripted: the provider refuses it (nothing moves)
    Refused {
        code: String,
        message: String,
    },
}

#[derive(Default)]
struct Inner {
    orders: HashMap<(ProviderKind, String), Order>,
    codes: HashMap<String, Script>,
    order_scripts: HashMap<String, Script>,
    refund_scripts: HashMap<String, RefundScript>,
    charges: Vec<Charge>,
    refunds: Vec<LedgerRefund>,
    now: Option<jiff::Timestamp>,
    seq: u64,
    requests: u64,
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Inner>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // a panic elsewhere while holding the lock leaves plain data: keep serving it
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Inner {
    fn now(&self) -> jiff::Timestamp {
        self.now.unwrap_or_else(jiff::Timestamp::now)
    }

    fn next_id(&mut self, provider: ProviderKind) -> String {
        self.seq += 1;
        let day = crate::provider::beijing_text(self.now(), true);
        match provider {
            // 28 digits, as WeChat Pay's transaction ids
            ProviderKind::WeChat => format!("42000{}{:09}", &day[..14], self.seq),
            // 28 digits, as Alipay's trade numbers
            ProviderKind::Alipay => format!("{}2200{:016}", &day[..8], self.seq),
        }
    }

    fn charge(&mut self, order: &mut Order) {
        let at = self.now();
        order.state = OrderState::Paid;
        order.paid_at = Some(at);
        self.charges.push(Charge {
            provider: order.provider,
            out_trade_no: order.out_trade_no.clone(),
            transaction_id: order.transaction_id.clone(),
            auth_code: order.auth_code.clone(),
            amount: order.amount,
            subject: order.subject.clone(),
            created_at: order.created_at,
            at,
        });
    }

    fn pay(
        &mut self,
        provider: ProviderKind,
        out_trade_no: &str,
        auth_code: &str,
        amount: i64,
        subject: &str,
        terminal: &str,
    ) -> PayReply {
        let reply = |verdict| PayReply { verdict, delay: None, corrupt_signature: false };
        if let Some(order) = self.orders.get(&(provider, out_trade_no.to_owned())) {
            if order.auth_code != auth_code || order.amount != amount {
                return reply(PayVerdict::Mismatch);
            }
            return reply(match &order.state {
                OrderState::Paid => PayVerdict::AlreadyPaid,
                OrderState::Paying { .. } => PayVerdict::UserPaying(order.clone()),
                OrderState::Failed { decline } => PayVerdict::Declined(decline.clone()),
                OrderState::Closed => PayVerdict::OrderClosed,
                OrderState::Reversed => PayVerdict::OrderReversed,
            });
        }
        if !code_fits(provider, auth_code) {
            return reply(PayVerdict::Declined(Decline::CodeInvalid));
        }
        let script =
            self.order_scripts.get(out_trade_no).or_else(|| self.codes.get(auth_code)).cloned().unwrap_or(Script::Paid);
        let now = self.now();
        let transaction_id = self.next_id(provider);
        let mut order = Order {
            provider,
            out_trade_no: out_trade_no.to_owned(),
            auth_code: auth_code.to_owned(),
            amount,
            subject: subject.to_owned(),
            terminal: terminal.to_owned(),
            transaction_id,
            created_at: now,
            paid_at: None,
            state: OrderState::Paying { queries_left: None },
            refunds: Vec::new(),
        };
        let mut delay = None;
        let mut corrupt_signature = false;
        let verdict = match script {
            Script::Paid => {
                self.charge(&mut order);
                PayVerdict::Paid(order.clone())
            }
            Script::BadSignature => {
                corrupt_signature = true;
                self.charge(&mut order);
                PayVerdict::Paid(order.clone())
            }
            Script::UserPaying { paid_after_queries } => {
                order.state = OrderState::Paying { queries_left: paid_after_queries };
                PayVerdict::UserPaying(order.clone())
            }
            Script::InsufficientFunds | Script::CodeExpired | Script::Decline { .. } => {
                let decline = match script {
                    Script::InsufficientFunds => Decline::InsufficientFunds,
                    Script::CodeExpired => Decline::CodeExpired,
                    Script::Decline { code, message } => Decline::Other { code, message },
                    _ => Decline::CodeInvalid,
                };
                order.state = OrderState::Failed { decline: decline.clone() };
                PayVerdict::Declined(decline)
            }
            Script::Timeout { delay_ms, charged } => {
                delay = Some(Duration::from_millis(delay_ms));
                if charged {
                    self.charge(&mut order);
                    PayVerdict::Paid(order.clone())
                } else {
                    // the request was lost on the way: the provider has no such order
                    return PayReply { verdict: PayVerdict::SystemError, delay, corrupt_signature };
                }
            }
            Script::SystemError { charged } => {
                if charged {
                    self.charge(&mut order);
                } else {
                    return reply(PayVerdict::SystemError);
                }
                PayVerdict::SystemError
            }
        };
        self.orders.insert((provider, out_trade_no.to_owned()), order);
        PayReply { verdict, delay, corrupt_signature }
    }

    /// The order as a query finds it (a customer confirming counts the queries)
    fn query(&mut self, provider: ProviderKind, out_trade_no: &str) -> Option<Order> {
        let key = (provider, out_trade_no.to_owned());
        let mut order = self.orders.get(&key)?.clone();
        if let OrderState::Paying { queries_left: Some(left) } = order.state {
            if left <= 1 {
                self.charge(&mut order);
            } else {
                order.state = OrderState::Paying { queries_left: Some(left - 1) };
            }
            self.orders.insert(key, order.clone());
        }
        Some(order)
    }

    /// Reverse: close an unpaid order, give back a paid one. `None`: no such order
    fn cancel(&mut self, provider: ProviderKind, out_trade_no: &str) -> Option<Order> {
        let key = (provider, out_trade_no.to_owned());
        let mut order = self.orders.get(&key)?.clone();
        match order.state {
            OrderState::Paying { .. } | OrderState::Failed { .. } => order.state = OrderState::Closed,
            OrderState::Paid => {
                let remaining = order.amount - order.refunded();
                let refund = LedgerRefund {
                    provider,
                    out_trade_no: order.out_trade_no.clone(),
                    transaction_id: order.transaction_id.clone(),
                    out_refund_no: None,
                    refund_id: self.next_id(provider),
                    amount: remaining,
                    at: self.now(),
                };
                self.refunds.push(refund.clone());
                order.refunds.push(refund);
                order.state = OrderState::Reversed;
            }
            OrderState::Closed | OrderState::Reversed => {}
        }
        self.orders.insert(key, order.clone());
        Some(order)
    }

    fn refund(
        &mut self,
        provider: ProviderKind,
        out_trade_no: &str,
        out_refund_no: &str,
        amount: i64,
        total: Option<i64>,
    ) -> RefundVerdict {
        let key = (provider, out_trade_no.to_owned());
        let Some(mut order) = self.orders.get(&key).cloned() else { return RefundVerdict::NoOrder };
        if let Some(previous) = order.refunds.iter().find(|r| r.out_refund_no.as_deref() == Some(out_refund_no)) {
            if previous.amount != amount || total.is_some_and(|t| t != order.amount) {
                return RefundVerdict::Mismatch;
            }
            return RefundVerdict::Refunded { refund: previous.clone(), order: Box::new(order), fresh: false };
        }
        if order.state != OrderState::Paid {
            return RefundVerdict::NotPaid;
        }
        if amount < 1 || total.is_some_and(|t| t != order.amount) {
            return RefundVerdict::Mismatch;
        }
        if order.refunded() + amount > order.amount {
            return RefundVerdict::Exceeds;
        }
        if let Some(RefundScript::Refused { code, message }) = self.refund_scripts.get(out_trade_no) {
            return RefundVerdict::Refused { code: code.clone(), message: message.clone() };
        }
        let refund = LedgerRefund {
            provider,
            out_trade_no: order.out_trade_no.clone(),
            transaction_id: order.transaction_id.clone(),
            out_refund_no: Some(out_refund_no.to_owned()),
            refund_id: self.next_id(provider),
            amount,
            at: self.now(),
        };
        self.refunds.push(refund.clone());
        order.refunds.push(refund.clone());
        self.orders.insert(key, order.clone());
        RefundVerdict::Refunded { order: Box::new(order), refund, fresh: true }
    }

    fn find_refund(&self, provider: ProviderKind, out_refund_no: &str) -> Option<(Order, LedgerRefund)> {
        self.orders.values().filter(|o| o.provider == provider).find_map(|o| {
            let refund = o.refunds.iter().find(|r| r.out_refund_no.as_deref() == Some(out_refund_no))?;
            Some((o.clone(), refund.clone()))
        })
    }
}

/// WeChat Pay codes are 18 digits beginning 10–15; Alipay's 16–24 digits beginning 25–30
fn code_fits(provider: ProviderKind, code: &str) -> bool {
    let digits = code.bytes().all(|b| b.is_ascii_digit());
    let prefix: u32 = code.get(..2).and_then(|p| p.parse().ok()).unwrap_or(0);
    match provider {
        ProviderKind::WeChat => digits && code.len() == 18 && (10..=15).contains(&prefix),
        ProviderKind::Alipay => digits && (16..=24).contains(&code.len()) && (25..=30).contains(&prefix),
    }
}

/// A running simulator; dropping it (or `stop`) ends the server
pub struct Simulator {
    address: SocketAddr,
    shared: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl Simulator {
    /// Starts on a free loopback port
    pub async fn start() -> std::io::Result<Simulator> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), ScriptBook::default()).await
    }

    /// Starts on `address` with scripts loaded
    pub async fn start_on(address: SocketAddr, scripts: ScriptBook) -> std::io::Result<Simulator> {
        let shared = Shared::default();
        {
            let mut inner = shared.lock();
            inner.codes = scripts.codes;
            inner.order_scripts = scripts.orders;
            inner.refund_scripts = scripts.refunds;
        }
        let listener = tokio::net::TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let app = wechat::router().merge(alipay::router()).with_state(shared.clone());
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "payment simulator stopped");
            }
        });
        Ok(Simulator { address, shared, server })
    }

    /// `http://127.0.0.1:PORT`: WeChat Pay's base URL
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Alipay's gateway URL on the simulator
    pub fn alipay_gateway_url(&self) -> String {
        format!("{}/gateway.do", self.base_url())
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The demo merchant the simulator takes requests from
    pub fn wechat_merchant(sign_type: crate::wechat::SignType) -> crate::wechat::WeChatMerchant {
        crate::wechat::WeChatMerchant {
            appid: keys::WECHAT_APPID.into(),
            mch_id: keys::WECHAT_MCH_ID.into(),
            api_key: keys::WECHAT_API_KEY.into(),
            sign_type,
            spbill_create_ip: "127.0.0.1".into(),
        }
    }

    /// The demo Alipay application the simulator takes requests from (DEMO-ONLY keys)
    pub fn alipay_merchant() -> crate::alipay::AlipayMerchant {
        match crate::alipay::AlipayMerchant::new(
            keys::ALIPAY_APP_ID,
            keys::MERCHANT_APP_PRIVATE,
            keys::SIM_ALIPAY_PUBLIC,
        ) {
            Ok(merchant) => merchant,
            // the committed demo keys are tested to parse
            Err(error) => unreachable!("demo keys: {error}"),
        }
    }

    /// What a payment with this code does (until scripted otherwise)
    pub fn script_code(&self, auth_code: &str, script: Script) {
        self.shared.lock().codes.insert(auth_code.to_owned(), script);
    }

    /// What a payment with this order number does (before any code's script)
    pub fn script_order(&self, out_trade_no: &str, script: Script) {
        self.shared.lock().order_scripts.insert(out_trade_no.to_owned(), script);
    }

    /// What a refund of this order number does from now on (refused, or refunded again)
    pub fn script_refund(&self, out_trade_no: &str, script: RefundScript) {
        self.shared.lock().refund_scripts.insert(out_trade_no.to_owned(), script);
    }

    /// Fixes the simulator's clock (charges, refunds and statements use it); `None`: the system's
    pub fn set_now(&self, now: Option<jiff::Timestamp>) {
        self.shared.lock().now = now;
    }

    pub fn charges(&self) -> Vec<Charge> {
        self.shared.lock().charges.clone()
    }

    pub fn refunds(&self) -> Vec<LedgerRefund> {
        self.shared.lock().refunds.clone()
    }

    /// How many times an order was charged (a correct client: never more than once)
    pub fn times_charged(&self, provider: ProviderKind, out_trade_no: &str) -> usize {
        self.shared.lock().charges.iter().filter(|c| c.provider == provider && c.out_trade_no == out_trade_no).count()
    }

    /// Fen given back on an order (refunds and reversal)
    pub fn refunded(&self, provider: ProviderKind, out_trade_no: &str) -> i64 {
        self.shared
            .lock()
            .refunds
            .iter()
            .filter(|r| r.provider == provider && r.out_trade_no == out_trade_no)
            .map(|r| r.amount)
            .sum()
    }

    /// Requests served so far (all endpoints)
    pub fn requests(&self) -> u64 {
        self.shared.lock().requests
    }

    /// WeChat Pay's statement (`downloadbill`, `bill_type=ALL`) of a Beijing day, as text
    pub fn wechat_statement(&self, day: jiff::civil::Date) -> String {
        let inner = self.shared.lock();
        crate::statement::wechat::write(&wechat::statement(&inner, day))
    }

    /// Alipay's statement (`bill_type=trade`, 业务明细) of a Beijing day, GBK-encoded
    pub fn alipay_statement(&self, day: jiff::civil::Date) -> Vec<u8> {
        let inner = self.shared.lock();
        crate::statement::alipay::write(&alipay::statement(&inner, day))
    }

    pub fn stop(self) {
        self.server.abort();
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The Beijing day of a moment
fn beijing_day(at: jiff::Timestamp) -> jiff::civil::Date {
    at.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC)).date()
}

fn beijing_civil(at: jiff::Timestamp) -> jiff::civil::DateTime {
    at.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC)).datetime()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_codes_fit_their_provider() {
        assert!(code_fits(ProviderKind::WeChat, "134567890123456789"));
        assert!(!code_fits(ProviderKind::WeChat, "164567890123456789"));
        assert!(!code_fits(ProviderKind::WeChat, "13456789012345678"));
        assert!(code_fits(ProviderKind::Alipay, "2845678901234567"));
        assert!(code_fits(ProviderKind::Alipay, "284567890123456789012345"));
        assert!(!code_fits(ProviderKind::Alipay, "134567890123456789"));
        assert!(!code_fits(ProviderKind::Alipay, "28456789012345a7"));
    }

    #[test]
    fn a_refund_scripted_refused_moves_nothing_until_the_script_changes() {
        let mut inner = Inner::default();
        let order = "B001-01-000001-1";
        let paid = inner.pay(ProviderKind::Alipay, order, "281234567890120001", 1000, "s", "t");
        assert!(matches!(paid.verdict, PayVerdict::Paid(_)));
        inner.refund_scripts.insert(order.into(), RefundScript::balance_short(ProviderKind::Alipay));
        let refused = inner.refund(ProviderKind::Alipay, order, "B001-01-000001-1-R1", 500, None);
        let RefundVerdict::Refused { code, .. } = refused else { panic!("refused") };
        assert_eq!(code, "ACQ.SELLER_BALANCE_NOT_ENOUGH");
        assert!(inner.refunds.is_empty());
        inner.refund_scripts.insert(order.into(), RefundScript::Refunded);
        let refunded = inner.refund(ProviderKind::Alipay, order, "B001-01-000001-1-R2", 500, None);
        assert!(matches!(refunded, RefundVerdict::Refunded { fresh: true, .. }));
        assert_eq!(inner.refunds.len(), 1);
    }

    #[test]
    fn ids_look_like_the_providers() {
        let mut inner = Inner::default();
        assert_eq!(inner.next_id(ProviderKind::WeChat).len(), 28);
        assert_eq!(inner.next_id(ProviderKind::Alipay).len(), 28);
    }
}
