//! DEMO-ONLY credentials of the simulator's merchant: public test fixtures that protect nothing.
//! Never configure a real merchant with them (see `demo-keys/README.md`).

/// The simulator's stand-in for Alipay's own private key (signs the simulator's answers)
pub const SIM_ALIPAY_PRIVATE: &str = include_str!("../../demo-keys/sim-alipay-private.pem");
/// Its public key: the client's "Alipay public key" when talking to the simulator
pub const SIM_ALIPAY_PUBLIC: &str = include_str!("../../demo-keys/sim-alipay-public.pem");
/// The demo merchant application's private key (signs the client's requests)
pub const MERCHANT_APP_PRIVATE: &str = include_str!("../../demo-keys/merchant-app-private.pem");
/// Its public key, with which the simulator checks requests
pub const MERCHANT_APP_PUBLIC: &str = include_str!("../../demo-keys/merchant-app-public.pem");

pub const ALIPAY_APP_ID: &str = "2021000000000000";
/// The demo seller's Alipay account (statement header)
pub const ALIPAY_SELLER_ID: &str = "2088000000000000";

pub const WECHAT_APPID: &str = "wx00000000demo0000";
pub const WECHAT_MCH_ID: &str = "1900000109";
/// The demo merchant's WeChat Pay API key (32 characters, as WeChat Pay's are)
pub const WECHAT_API_KEY: &str = "DEMOONLY0tillpoint0simulator0key";
