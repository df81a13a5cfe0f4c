//! Which providers HQ collects payments through, and the gateway's timings.
//!
//! `hq-server serve --payments` takes:
//! - `none` (the default): no payment codes are taken (a till's collect request is refused);
//! - `sim`: the simulator, started inside HQ on a free loopback port, with its DEMO-ONLY keys
//!   (`payments/demo-keys/`): the demo and the tests;
//! - `sim:URL`: a simulator already running (`payment-sim --port 8089`), with the demo keys;
//! - a JSON file naming real merchants (see [`ProvidersFile`]); keys stay at HQ, never at a till.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use payments::alipay::{Alipay, AlipayMerchant};
use payments::sim::Simulator;
use payments::wechat::{WeChatMerchant, WeChatPay};
use shared::payment_code::Provider;

/// The gateway's timings and the name the customer's app shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewaySettings {
    /// How long a till's collect (or cancel, or refund) request waits for a final answer before
    /// HQ answers with the attempt as it stands and the till polls (the till's HTTP timeout is
    /// longer than this).
    pub answer_within: Duration,
    /// Between queries while the customer confirms on the phone, and the first retries.
    pub poll_every: Duration,
    /// How long a customer has to confirm (enter the password) before the attempt is cancelled.
    pub confirm_within: Duration,
    /// How long one HQ process holds an attempt it calls the provider for.
    pub lease: Duration,
    /// The longest wait between calls for an attempt no one can tell yet.
    pub max_backoff: Duration,
    /// Each request to a provider, before it counts as no answer (then queried).
    pub provider_timeout: Duration,
    /// What the customer's app shows (WeChat `body`, Alipay `subject`).
    pub subject: String,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        GatewaySettings {
            answer_within: Duration::from_secs(20),
            poll_every: Duration::from_secs(2),
            // WeChat Pay asks merchants to query for about 30 s before reversing.
            confirm_within: Duration::from_secs(45),
            lease: Duration::from_secs(30),
            max_backoff: Duration::from_secs(60),
            provider_timeout: Duration::from_secs(10),
            subject: "Tillpoint".into(),
        }
    }
}

/// How HQ collects payments.
#[derive(Clone, Default)]
pub struct PaymentsConfig {
    pub wechat: Option<Arc<dyn payments::Provider>>,
    pub alipay: Option<Arc<dyn payments::Provider>>,
    pub settings: GatewaySettings,
    /// The simulator HQ started for `--payments sim` (kept running as long as HQ).
    pub simulator: Option<Arc<Simulator>>,
}

impl std::fmt::Debug for PaymentsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentsConfig")
            .field("wechat", &self.wechat.is_some())
            .field("alipay", &self.alipay.is_some())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// The providers file of `--payments FILE`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvidersFile {
    pub wechat: Option<WeChatFile>,
    pub alipay: Option<AlipayFile>,
    /// What the customer's app shows.
    pub subject: Option<String>,
}

/// WeChat Pay (v2 micropay): the merchant's ids and API key, and the API certificate that
/// reverse and refund need.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeChatFile {
    #[serde(flatten)]
    pub merchant: WeChatMerchant,
    /// Default: WeChat Pay's own.
    pub base_url: Option<String>,
    /// `apiclient_cert.pem` and `apiclient_key.pem` in one file.
    pub certificate: Option<PathBuf>,
}

/// Alipay (当面付): the application's id and key files.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlipayFile {
    pub app_id: String,
    pub app_private_key_file: PathBuf,
    pub alipay_public_key_file: PathBuf,
    /// Default: Alipay's own.
    pub gateway_url: Option<String>,
}

impl PaymentsConfig {
    /// The providers by the payment codes they take.
    pub fn providers(&self) -> HashMap<Provider, Arc<dyn payments::Provider>> {
        let mut out = HashMap::new();
        if let Some(p) = &self.wechat {
            out.insert(Provider::Wechat, p.clone());
        }
        if let Some(p) = &self.alipay {
            out.insert(Provider::Alipay, p.clone());
        }
        out
    }

    /// Both providers at a simulator at `base_url`, with its DEMO-ONLY keys.
    pub fn simulator_at(base_url: &str, settings: GatewaySettings) -> anyhow::Result<PaymentsConfig> {
        let base = base_url.trim_end_matches('/');
        let wechat = WeChatPay::new(
            Simulator::wechat_merchant(payments::wechat::SignType::HmacSha256),
            base,
            settings.provider_timeout,
        )?;
        let alipay =
            Alipay::new(Simulator::alipay_merchant(), &format!("{base}/gateway.do"), settings.provider_timeout)?;
        Ok(PaymentsConfig { wechat: Some(Arc::new(wechat)), alipay: Some(Arc::new(alipay)), settings, simulator: None })
    }

    /// The simulator started here, on a free loopback port (`--payments sim`).
    pub async fn start_simulator(settings: GatewaySettings) -> anyhow::Result<PaymentsConfig> {
        let sim = Simulator::start().await?;
        tracing::info!(url = %sim.base_url(), "payment simulator (DEMO keys only) started for --payments sim");
        let mut config = Self::simulator_at(&sim.base_url(), settings)?;
        config.simulator = Some(Arc::new(sim));
        Ok(config)
    }

    /// Real merchants from a providers file.
    pub fn from_file(path: &Path, mut settings: GatewaySettings) -> anyhow::Result<PaymentsConfig> {
        use anyhow::Context as _;
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let file: ProvidersFile = serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
        if let Some(subject) = file.subject {
            settings.subject = subject;
        }
        let wechat = match file.wechat {
            None => None,
            Some(w) => {
                let base = w.base_url.as_deref().unwrap_or(payments::wechat::PRODUCTION_URL);
                let client = match &w.certificate {
                    Some(cert) => {
                        let pem = std::fs::read(cert).with_context(|| format!("reading {}", cert.display()))?;
                        WeChatPay::with_certificate(w.merchant, base, settings.provider_timeout, &pem)?
                    }
                    None => WeChatPay::new(w.merchant, base, settings.provider_timeout)?,
                };
                Some(Arc::new(client) as Arc<dyn payments::Provider>)
            }
        };
        let alipay = match file.alipay {
            None => None,
            Some(a) => {
                let read = |p: &PathBuf| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()));
                let merchant =
                    AlipayMerchant::new(&a.app_id, &read(&a.app_private_key_file)?, &read(&a.alipay_public_key_file)?)
                        .map_err(|e| anyhow::anyhow!("the Alipay keys: {e}"))?;
                let url = a.gateway_url.as_deref().unwrap_or(payments::alipay::PRODUCTION_URL);
                Some(Arc::new(Alipay::new(merchant, url, settings.provider_timeout)?) as Arc<dyn payments::Provider>)
            }
        };
        if wechat.is_none() && alipay.is_none() {
            anyhow::bail!("{} sets up neither wechat nor alipay", path.display());
        }
        Ok(PaymentsConfig { wechat, alipay, settings, simulator: None })
    }

    /// Reads `--payments`: `none`, `sim`, `sim:URL` or a providers file.
    pub async fn from_arg(arg: &str, settings: GatewaySettings) -> anyhow::Result<PaymentsConfig> {
        match arg {
            "none" | "" => Ok(PaymentsConfig { settings, ..PaymentsConfig::default() }),
            "sim" => Self::start_simulator(settings).await,
            _ => match arg.strip_prefix("sim:") {
                Some(url) => Self::simulator_at(url, settings),
                None => Self::from_file(Path::new(arg), settings),
            },
        }
    }
}
