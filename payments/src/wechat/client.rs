//! The HTTP half: POSTs the XML to the base URL (WeChat Pay's, or the simulator's) and reads the
//! answer with `api`. A timeout or a broken connection is `Unknown`: the gateway queries.

use std::time::Duration;

use super::api::{self, WeChatMerchant, path};
use crate::provider::{
    CancelOutcome, PayAnswer, PayOutcome, PayRequest, Provider, ProviderError, ProviderFuture, ProviderKind,
    RefundOutcome, RefundRequest,
};

/// WeChat Pay's API
pub const PRODUCTION_URL: &str = "https://api.mch.weixin.qq.com";

/// A WeChat Pay micropay client for one merchant
#[derive(Debug, Clone)]
pub struct WeChatPay {
    merchant: WeChatMerchant,
    base_url: String,
    http: reqwest::Client,
}

impl WeChatPay {
    /// `base_url`: `PRODUCTION_URL` or the simulator's; `timeout`: for each request
    pub fn new(merchant: WeChatMerchant, base_url: &str, timeout: Duration) -> Result<Self, reqwest::Error> {
        Self::build(merchant, base_url, reqwest::Client::builder().timeout(timeout))
    }

    /// As `new`, presenting the merchant's API certificate (`apiclient_cert.pem` and
    /// `apiclient_key.pem` concatenated), which WeChat Pay requires for reverse and refund
    pub fn with_certificate(
        merchant: WeChatMerchant,
        base_url: &str,
        timeout: Duration,
        certificate_and_key_pem: &[u8],
    ) -> Result<Self, reqwest::Error> {
        let identity = reqwest::Identity::from_pem(certificate_and_key_pem)?;
        Self::build(merchant, base_url, reqwest::Client::builder().timeout(timeout).identity(identity))
    }

    fn build(
        merchant: WeChatMerchant,
        base_url: &str,
        builder: reqwest::ClientBuilder,
    ) -> Result<Self, reqwest::Error> {
        Ok(WeChatPay { merchant, base_url: base_url.trim_end_matches('/').to_owned(), http: builder.build()? })
    }

    pub fn merchant(&self) -> &WeChatMerchant {
        &self.merchant
    }

    /// The answer's body, or why there is none
    async fn post(&self, path: &str, body: String) -> Result<String, String> {
        let response = self
            .http
            .post(format!("{}{path}", self.base_url))
            .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .body(body)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        response.text().await.map_err(|e| describe(&e))
    }

    async fn query_order(&self, out_trade_no: &str) -> Result<PayOutcome, ProviderError> {
        let body = api::order_request(&self.merchant, out_trade_no, &nonce());
        match self.post(path::ORDER_QUERY, body).await {
            Ok(answer) => api::order_query_answer(&self.merchant, out_trade_no, &answer),
            Err(reason) => Ok(PayOutcome::Unknown { reason }),
        }
    }
}

/// A fresh `nonce_str` (32 hex digits)
pub(crate) fn nonce() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

pub(crate) fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "no answer in time".into()
    } else if error.is_connect() {
        format!("cannot connect: {error}")
    } else {
        format!("no answer: {error}")
    }
}

impl Provider for WeChatPay {
    fn kind(&self) -> ProviderKind {
        ProviderKind::WeChat
    }

    fn pay<'a>(&'a self, request: &'a PayRequest) -> ProviderFuture<'a, PayOutcome> {
        Box::pin(async move {
            let body = api::micropay_request(&self.merchant, request, &nonce())?;
            let answer = match self.post(path::MICROPAY, body).await {
                Ok(answer) => answer,
                Err(reason) => return Ok(PayOutcome::Unknown { reason }),
            };
            match api::micropay_answer(&self.merchant, &request.out_trade_no, &answer)? {
                PayAnswer::Outcome(outcome) => Ok(outcome),
                PayAnswer::AlreadyPaid => self.query_order(&request.out_trade_no).await,
            }
        })
    }

    fn query<'a>(&'a self, out_trade_no: &'a str) -> ProviderFuture<'a, PayOutcome> {
        Box::pin(self.query_order(out_trade_no))
    }

    fn cancel<'a>(&'a self, out_trade_no: &'a str) -> ProviderFuture<'a, CancelOutcome> {
        Box::pin(async move {
            let body = api::order_request(&self.merchant, out_trade_no, &nonce());
            match self.post(path::REVERSE, body).await {
                Ok(answer) => api::reverse_answer(&self.merchant, out_trade_no, &answer),
                Err(reason) => Ok(CancelOutcome::Unknown { reason }),
            }
        })
    }

    fn refund<'a>(&'a self, request: &'a RefundRequest) -> ProviderFuture<'a, RefundOutcome> {
        Box::pin(async move {
            let body = api::refund_request(&self.merchant, request, &nonce())?;
            match self.post(path::REFUND, body).await {
                Ok(answer) => api::refund_answer(&self.merchant, &request.out_trade_no, &answer),
                Err(reason) => Ok(RefundOutcome::Unknown { reason }),
            }
        })
    }

    fn refund_query<'a>(&'a self, out_trade_no: &'a str, out_refund_no: &'a str) -> ProviderFuture<'a, RefundOutcome> {
        Box::pin(async move {
            let body = api::refund_query_request(&self.merchant, out_refund_no, &nonce());
            match self.post(path::REFUND_QUERY, body).await {
                Ok(answer) => api::refund_query_answer(&self.merchant, out_trade_no, out_refund_no, &answer),
                Err(reason) => Ok(RefundOutcome::Unknown { reason }),
            }
        })
    }
}
