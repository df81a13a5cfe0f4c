//! A pay round trip client → simulator on loopback (sign, POST, the simulator's check, charge
//! and signed answer, the client's verification), for each provider: p50 / p99 / max.
//!
//! `cargo bench -p payments --bench roundtrip` (`PAY_BENCH_N` payments a provider, default 2,000)

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use payments::alipay::Alipay;
use payments::sim::Simulator;
use payments::wechat::{SignType, WeChatPay};
use payments::{PayOutcome, PayRequest, Provider};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u32 = std::env::var("PAY_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000);
    let sim = Simulator::start().await?;
    let timeout = Duration::from_secs(5);
    let providers: Vec<(&str, Box<dyn Provider>)> = vec![
        ("wechat md5", Box::new(WeChatPay::new(Simulator::wechat_merchant(SignType::Md5), &sim.base_url(), timeout)?)),
        (
            "wechat hmac-sha256",
            Box::new(WeChatPay::new(Simulator::wechat_merchant(SignType::HmacSha256), &sim.base_url(), timeout)?),
        ),
        ("alipay rsa2", Box::new(Alipay::new(Simulator::alipay_merchant(), &sim.alipay_gateway_url(), timeout)?)),
    ];
    for (p, (name, provider)) in providers.iter().enumerate() {
        let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
        let prefix = if name.starts_with("alipay") { "28" } else { "13" };
        for i in 0..(n + 100) {
            let request = PayRequest {
                out_trade_no: format!("BENCH{p}-01-{i:06}-1"),
                auth_code: format!("{prefix}{i:016}"),
                amount: 1234,
                subject: "Tillpoint bench".into(),
                terminal: Some("B001-01".into()),
            };
            let start = Instant::now();
            let outcome = provider.pay(&request).await?;
            let took = start.elapsed();
            if !matches!(outcome, PayOutcome::Paid(_)) {
                return Err(format!("{name}: {outcome:?}").into());
            }
            if i >= 100 {
                histogram.record(u64::try_from(took.as_micros()).unwrap_or(u64::MAX))?;
            }
        }
        println!(
            "{name:<20} n={n}  p50 {:>6} µs  p99 {:>6} µs  max {:>6} µs",
            histogram.value_at_quantile(0.50),
            histogram.value_at_quantile(0.99),
            histogram.max()
        );
    }
    sim.stop();
    Ok(())
}
