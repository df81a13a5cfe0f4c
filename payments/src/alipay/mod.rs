//! Alipay 当面付 条码支付 (barcode pay): the merchant scans the customer's payment code.
//!
//! Followed: Alipay Open Platform's documentation of `alipay.trade.pay` (统一收单交易支付接口,
//! with `scene=bar_code`), `alipay.trade.query`, `alipay.trade.cancel`, `alipay.trade.refund`,
//! `alipay.trade.fastpay.refund.query`, the 公共请求参数 / 公共响应参数 pages, 自行实现签名
//! (RSA2 over the sorted parameters; the answer verified over the raw `*_response` text), the
//! 当面付 best practice (10003 → poll the query; 20000 or `ACQ.SYSTEM_ERROR` or no answer →
//! query, then cancel what did not complete), and 对账单 (`bill_type=trade`, 业务明细).

pub mod api;
pub mod client;
pub mod sign;

pub use api::AlipayMerchant;
pub use client::{Alipay, PRODUCTION_URL};
