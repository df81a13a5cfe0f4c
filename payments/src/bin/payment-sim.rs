//! The payment simulator as a process, for demos: WeChat Pay at `http://ADDR/pay/…`, Alipay at
//! `http://ADDR/gateway.do`, with the DEMO-ONLY merchant credentials of `payments::sim::keys`.
//!
//! `payment-sim --port 8089 --script script.json`, where the script file is
//! `{"codes": {"134567890123456789": {"outcome": "insufficient_funds"}},
//!   "orders": {"B001-01-000042-1": {"outcome": "user_paying", "paid_after_queries": 2}}}`;
//! an unscripted code pays.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;
use payments::sim::{ScriptBook, Simulator, keys};

#[derive(Parser)]
#[command(about = "WeChat Pay and Alipay simulator on loopback (demo keys only)")]
struct Args {
    /// Port on 127.0.0.1 (0: any free port)
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// JSON file of scripted outcomes by payment code and by order number
    #[arg(long)]
    script: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
    let args = Args::parse();
    let scripts = match &args.script {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str::<ScriptBook>(&text).with_context(|| format!("reading {}", path.display()))?
        }
        None => ScriptBook::default(),
    };
    let sim = Simulator::start_on(SocketAddr::from(([127, 0, 0, 1], args.port)), scripts).await?;
    println!("payment simulator (DEMO keys only) on {}", sim.base_url());
    println!("  WeChat Pay: base URL {}  appid {}  mch_id {}", sim.base_url(), keys::WECHAT_APPID, keys::WECHAT_MCH_ID);
    println!("  Alipay:     gateway {}  app_id {}", sim.alipay_gateway_url(), keys::ALIPAY_APP_ID);
    tokio::signal::ctrl_c().await?;
    sim.stop();
    Ok(())
}
