//! HQ against its own OpenAPI document: schemathesis (a property-based API tester, from PyPI)
//! generates requests from the document, valid and invalid, one at a time and as stateful
//! sequences (create a member, then read, adjust and block it), and checks every answer against
//! the document: status codes, content types, schemas, that a valid request is not refused and
//! an invalid one is, and that nothing answers 5xx. Zero failures is the bar.
//!
//! Three runs over a demo chain served on loopback: every operation with an admin session and a
//! till token; every operation without credentials (each must say 401, as documented); and the
//! operations that end or change the fuzzer's own session (sign in and out, enrolment).
//!
//! The tester is installed once into `~/.cache/tillpoint/schemathesis-venv` (or named by
//! `TILLPOINT_SCHEMATHESIS`). The run is bounded and seeded: `TILLPOINT_SCHEMATHESIS_EXAMPLES`
//! (default 12 per operation) and `TILLPOINT_SCHEMATHESIS_SEED` (default 1) repeat it exactly;
//! `hq-server/scripts/schemathesis.sh` runs it longer.

use std::path::{Path, PathBuf};
use std::process::Command;

use hq_server::Application;
use hq_server::demo::{ADMIN_PASSWORD, DemoOptions, seed};

/// The version the configuration and the document's answers were checked with.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

fn tester() -> PathBuf {
    if let Ok(st) = std::env::var("TILLPOINT_SCHEMATHESIS") {
        return PathBuf::from(st);
    }
    let home = std::env::var("HOME").expect("HOME");
    let venv = Path::new(&home).join(".cache/tillpoint/schemathesis-venv");
    let st = venv.join("bin/st");
    if !st.exists() {
        let ok = Command::new("python3").arg("-m").arg("venv").arg(&venv).status().expect("python3").success();
        assert!(ok, "python3 -m venv {} failed", venv.display());
        let ok = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", SCHEMATHESIS])
            .status()
            .expect("pip")
            .success();
        assert!(ok, "pip install {SCHEMATHESIS} failed");
    }
    st
}

fn config_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis/schemathesis.toml")
}

/// The same configuration without the credentials.
fn anonymous_config(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(config_file()).expect("config");
    let mut out = String::new();
    let mut in_auth = false;
    for line in text.lines() {
        if line.starts_with('[') {
            in_auth = line.starts_with("[auth");
        }
        if !in_auth {
            out.push_str(line);
            out.push('\n');
        }
    }
    let path = dir.join("anonymous.toml");
    std::fs::write(&path, out).expect("write config");
    path
}

struct Run<'a> {
    name: &'a str,
    config: PathBuf,
    filters: Vec<&'a str>,
    env: Vec<(&'a str, String)>,
}

fn run(st: &Path, base: &str, r: &Run) -> Result<(), String> {
    let examples = std::env::var("TILLPOINT_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "12".into());
    let seed = std::env::var("TILLPOINT_SCHEMATHESIS_SEED").unwrap_or_else(|_| "1".into());
    let out = Command::new(st)
        .arg("--no-color")
        .arg("--config-file")
        .arg(&r.config)
        .args(["run", &format!("{base}/api/v1/openapi.json"), "--url", base, "--checks", "all"])
        // One worker: the same seed then sends the same requests in the same order (two workers
        // interleave the stateful phase's sequences differently from run to run).
        .args(["--max-examples", &examples, "--seed", &seed, "--workers", "1"])
        .args(&r.filters)
        .envs(r.env.iter().map(|(k, v)| (k, v)))
        .output()
        .map_err(|e| format!("{}: {e}", st.display()))?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // The summary, for the test's output: each phase (coverage, fuzzing, stateful) and the cases.
    let summary = text.split_once("Test Phases:").map_or("", |(_, s)| s);
    for line in summary.lines().map(str::trim).filter(|l| !l.is_empty()).take_while(|l| !l.starts_with('=')) {
        println!("schemathesis {}: {line}", r.name);
    }
    if out.status.success() { Ok(()) } else { Err(format!("schemathesis {} failed:\n{text}", r.name)) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_answers_as_its_openapi_document_says() {
    let st = tokio::task::spawn_blocking(tester).await.expect("join");
    let dir = tempfile::tempdir().expect("dir");
    let db = hq_server::testing::TestDb::new(dir.path());
    let mut config = db.config();
    // Payment codes go to the simulator (a provider set up, so a collect is answered in full).
    let settings = hq_server::gateway::GatewaySettings {
        answer_within: std::time::Duration::from_secs(2),
        poll_every: std::time::Duration::from_millis(50),
        ..hq_server::gateway::GatewaySettings::default()
    };
    config.payments = hq_server::gateway::PaymentsConfig::start_simulator(settings).await.expect("simulator");
    let app = Application::build(config).await.expect("build");
    let store = app.store();
    let demo =
        tokio::task::spawn_blocking(move || seed(&*store, &DemoOptions::small())).await.expect("join").expect("seed");
    let hq = app.spawn();
    let base = hq.url();
    let client = reqwest::Client::new();

    let signed_in = client
        .post(format!("{base}/api/v1/session"))
        .json(&serde_json::json!({ "username": "admin", "password": ADMIN_PASSWORD }))
        .send()
        .await
        .expect("sign in");
    assert!(signed_in.status().is_success(), "{}", signed_in.status());
    let session = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("tp_session=").map(|v| v.split(';').next().unwrap_or_default().to_owned()))
        .expect("session cookie");
    let code = demo.branches[0].tills[0].enrolment_code.clone();
    let enrolled: serde_json::Value = client
        .post(format!("{base}/api/v1/sync/enrol"))
        .json(&serde_json::json!({ "protocol": shared::sync::PROTOCOL_VERSION, "code": code, "device_name": "schemathesis" }))
        .send()
        .await
        .expect("enrol")
        .json()
        .await
        .expect("enrol body");
    let token = enrolled["token"].as_str().expect("token").to_owned();

    let anonymous = anonymous_config(dir.path());
    let runs = [
        // Signing out or editing users would end the tester's own session: the third run has those.
        Run {
            name: "with an admin session and a till token",
            config: config_file(),
            filters: vec!["--exclude-path", "/api/v1/session", "--exclude-path-regex", r"^/api/v1/users/\{id\}$"],
            env: vec![("TP_SESSION", session.clone()), ("TP_TILL_TOKEN", token.clone())],
        },
        Run {
            name: "without credentials",
            config: anonymous.clone(),
            filters: vec!["--exclude-path", "/api/v1/session", "--exclude-path", "/api/v1/sync/enrol"],
            env: vec![],
        },
        Run {
            name: "sign-in, enrolment and health",
            config: anonymous,
            filters: vec![
                "--include-path",
                "/api/v1/session",
                "--include-path",
                "/api/v1/sync/enrol",
                "--include-path",
                "/health",
            ],
            env: vec![],
        },
        // Last: editing users may disable the tester's own account.
        Run {
            name: "editing users",
            config: config_file(),
            filters: vec!["--include-path-regex", r"^/api/v1/users/\{id\}$"],
            env: vec![("TP_SESSION", session.clone()), ("TP_TILL_TOKEN", token.clone())],
        },
    ];
    let failures: Vec<String> =
        tokio::task::spawn_blocking(move || runs.iter().filter_map(|r| run(&st, &base, r).err()).collect())
            .await
            .expect("join");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
