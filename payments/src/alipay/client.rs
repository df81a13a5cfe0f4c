//! The HTTP half: POSTs the signed form to the gateway URL (Alipay's, or the simulator's) and
//! reads the answer with `api`. A timeout or a broken connection is `Unknown`: the gateway queries.

use std::time::Duration;

use super::api::{self, AlipayMerchant, method};
use crate::provider::{
    CancelOutcome, PayAnswer, PayOutcome, PayRequest, Provider, ProviderError, ProviderFuture, ProviderKind,
    RefundOutcome, RefundRequest, beijing_text,
};
use crate::wechat::client::describe;

/// Alipay's gateway
pub const PRODUCTION_URL: &str = "https://openapi.alipay.com/gateway.do";

/// An Alipay barcode-pay client for one merchant application
#[derive(Debug, Clone)]
pub struct Alipay {
    merchant: AlipayMerchant,
    gateway_url: String,
    http: reqwest::Client,
}

impl Alipay {
    /// `gateway_url`: `PRODUCTION_URL` or the simulator's `alipay_gateway_url()`
    pub fn new(merchant: AlipayMerchant, gateway_url: &str, timeout: Duration) -> Result<Self, reqwest::Error> {
        Ok(Alipay {
            merchant,
            gateway_url: gateway_url.to_owned(),
            http: reqwest::Client::builder().timeout(timeout).build()?,
        })
    }

    async fn call(&self, method: &str, biz_content: &str) -> Result<String, String> {
        let timestamp = beijing_text(jiff::Timestamp::now(), false);
        let body = api::request_body(&self.merchant, method, biz_content, &timestamp);
        let response = self
            .http
            .post(&self.gateway_url)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded;charset=utf-8")
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
        match self.call(method::QUERY, &api::order_biz(out_trade_no)).await {
            Ok(body) => api::query_answer(&self.merchant, out_trade_no, &body),
            Err(reason) => Ok(PayOutcome::Unknown { reason }),
        }
    }
}

impl Provider for Alipay {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Alipay
    }

    fn pay<'a>(&'a self, request: &'a PayRequest) -> ProviderFuture<'a, PayOutcome> {
        Box::pin(async move {
            let biz = api::pay_biz(request)?;
            let body = match self.call(method::PAY, &biz).await {
                Ok(body) => body,
                Err(reason) => return Ok(PayOutcome::Unknown { reason }),
            };
            match api::pay_answer(&self.merchant, &request.out_trade_no, &body)? {
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
            match self.call(method::CANCEL, &api::order_biz(out_trade_no)).await {
                Ok(body) => api::cancel_answer(&self.merchant, out_trade_no, &body),
                Err(reason) => Ok(CancelOutcome::Unknown { reason }),
            }
        })
    }

    fn refund<'a>(&'a self, request: &'a RefundRequest) -> ProviderFuture<'a, RefundOutcome> {
        Box::pin(async move {
            let biz = api::refund_biz(request)?;
            match self.call(method::REFUND, &biz).await {
                Ok(body) => api::refund_answer(&self.merchant, request, &body),
                Err(reason) => Ok(RefundOutcome::Unknown { reason }),
            }
        })
    }

    fn refund_query<'a>(&'a self, out_trade_no: &'a str, out_refund_no: &'a str) -> ProviderFuture<'a, RefundOutcome> {
        Box::pin(async move {
            match self.call(method::REFUND_QUERY, &api::refund_query_biz(out_trade_no, out_refund_no)).await {
                Ok(body) => api::refund_query_answer(&self.merchant, out_trade_no, &body),
                Err(reason) => Ok(RefundOutcome::Unknown { reason }),
            }
        })
    }
}
