//! WeChat Pay v2 付款码支付 (micropay): the merchant scans the customer's payment code.
//!
//! Followed: WeChat Pay's v2 merchant documentation for 付款码支付 (pay.weixin.qq.com
//! `wiki/doc/api/micropay.php`, chapters 9_10 提交付款码支付, 9_2 查询订单, 9_11 撤销订单,
//! 9_4 申请退款, 9_5 查询退款, 9_6 下载对账单, 4_3 签名算法 with its worked example, and 5_4
//! the recommended flow: `USERPAYING` → poll the query, `SYSTEMERROR`/`BANKERROR`/no answer → query,
//! then reverse what did not complete), as mirrored in the wechatpay-im `openapi/v2` pages.

pub mod api;
pub mod client;
pub mod sign;
pub mod xml;

pub use api::WeChatMerchant;
pub use client::{PRODUCTION_URL, WeChatPay};
pub use sign::SignType;
