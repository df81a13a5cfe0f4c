//! The end-to-end harness: a real HQ server on a loopback port with its own SQLite database and
//! demo data, and tills (the real engine over their own SQLite files) enrolled at it, syncing in the
//! background. Scenarios live in `tests/`.

pub mod browser;
pub mod faulty;
pub mod powercut;
pub mod sim;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hq_server::demo::{DemoOptions, DemoSummary};
use hq_server::testing::TestDb;
use hq_server::{Application, Clock, RunningHq, SqlStore};
use pos_app::Till;
use pos_app::clock::SystemClock;
use pos_app::peripherals::{NoDevices, Peripherals};
use pos_app::store::Store;
use pos_app::sync::{HqAuthority, SyncConfig, SyncHandle, SyncStatus};
use tokio::runtime::Runtime;

/// Demo staff of every branch (hq-server's demo data).
pub const MANAGER: (&str, &str) = ("9001", "9999");
pub const CASHIER: (&str, &str) = ("1001", "1111");
pub const CASHIER2: (&str, &str) = ("1002", "2222");

/// Waits until `check` holds, polling; panics with `what` after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A real HQ on a loopback port, with a database of its own holding the small demo chain.
pub struct Hq {
    pub dir: tempfile::TempDir,
    pub rt: Runtime,
    running: Option<RunningHq>,
    address: std::net::SocketAddr,
    pub demo: DemoSummary,
    /// HQ's clock: the system's, or one a test moves.
    pub clock: Clock,
    /// HQ's database: a SQLite file in `dir`, or a PostgreSQL schema of its own with
    /// `TILLPOINT_TEST_PG` (dropped last, after HQ has stopped).
    pub db: TestDb,
    /// Where HQ's text messages went (the member pages' sign-in codes).
    pub sms: hq_server::sms::LogSender,
    /// How HQ collects payment codes (`start_paying`: the in-process simulator, kept across a
    /// restart); none by default.
    pub payments: hq_server::gateway::PaymentsConfig,
}

impl Hq {
    pub fn start() -> Hq {
        Hq::start_with(DemoOptions::small())
    }

    pub fn start_with(options: DemoOptions) -> Hq {
        Hq::start_at(options, Clock::system())
    }

    /// An HQ whose time is `clock`'s (a manual clock: HQ at 00:30 in Shanghai on any machine).
    pub fn start_at(options: DemoOptions, clock: Clock) -> Hq {
        Hq::start_full(options, clock, None)
    }

    /// The gateway's timings for tests: quick polls and a short wait for the provider, so a
    /// customer's confirmation and a lost answer take a test moments; 30 s to confirm.
    pub fn quick_payments() -> hq_server::gateway::GatewaySettings {
        hq_server::gateway::GatewaySettings {
            answer_within: Duration::from_secs(2),
            poll_every: Duration::from_millis(100),
            confirm_within: Duration::from_secs(30),
            lease: Duration::from_secs(5),
            max_backoff: Duration::from_millis(500),
            provider_timeout: Duration::from_millis(400),
            ..hq_server::gateway::GatewaySettings::default()
        }
    }

    /// An HQ that takes payment codes through the payment simulator it starts in its process
    /// (demo keys only), with the gateway's timings `settings`; the simulator is
    /// `hq.payments.simulator` (scripts, charges).
    pub fn start_paying(settings: hq_server::gateway::GatewaySettings) -> Hq {
        Hq::start_full(DemoOptions::small(), Clock::system(), Some(settings))
    }

    fn start_full(options: DemoOptions, clock: Clock, payments: Option<hq_server::gateway::GatewaySettings>) -> Hq {
        let dir = tempfile::tempdir().expect("temp dir");
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let db = TestDb::new(dir.path());
        let mut config = db.config();
        config.clock = clock.clone();
        let sms = hq_server::sms::LogSender::default();
        config.sms = hq_server::sms::SmsConfig::Log(sms.clone());
        if let Some(settings) = payments {
            config.payments = rt
                .block_on(hq_server::gateway::PaymentsConfig::start_simulator(settings))
                .expect("the payment simulator starts");
        }
        let payments = config.payments.clone();
        let (running, demo) = rt.block_on(async {
            let app = Application::build(config).await.expect("HQ starts");
            let demo = hq_server::demo::seed(&*app.store(), &options).expect("demo data");
            (app.spawn(), demo)
        });
        let address = running.address();
        Hq { dir, rt, running: Some(running), address, demo, clock, db, sms, payments }
    }

    /// The chain's "today" at HQ's clock (the dashboard's default day).
    pub fn today(&self) -> jiff::civil::Date {
        use hq_server::store::{BranchStore as _, Clocked as _};
        let store = self.store();
        hq_server::calendar::chain_day(&store.list_branches().expect("branches"), store.now()).day
    }

    /// A till clock that reads HQ's, so a till and its HQ agree on the hour a test set.
    pub fn till_clock(&self) -> Box<dyn pos_app::clock::Clock> {
        Box::new(HqClock(self.clock.clone()))
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// HQ's SQLite file (tests of SQLite itself: a power cut, the file read behind HQ's back).
    pub fn db_path(&self) -> PathBuf {
        self.db.location.sqlite_path().expect("HQ is on SQLite in this test").to_owned()
    }

    /// HQ's store (for checks and for changes HQ staff would make in the console).
    pub fn store(&self) -> Arc<SqlStore> {
        match &self.running {
            Some(r) => r.store(),
            None => Arc::new(self.db.open(self.clock.clone()).expect("open HQ store")),
        }
    }

    /// Signs in to HQ's API as `user` (a demo account) and returns the session cookie.
    pub fn sign_in(&self, user: &str, password: &str) -> String {
        let (status, _, cookie) = self.call(
            None,
            reqwest::Method::POST,
            "/api/v1/session",
            Some(serde_json::json!({"username": user, "password": password})),
        );
        assert!((200..300).contains(&status), "sign in as {user}: {status}");
        cookie.expect("a session cookie")
    }

    /// One call to HQ's API with a session cookie: the status and the JSON answer (`null` when
    /// there is none).
    pub fn api(
        &self,
        cookie: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let (status, json, _) = self.call(Some(cookie), method, path, body);
        (status, json)
    }

    fn call(
        &self,
        cookie: Option<&str>,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value, Option<String>) {
        self.rt.block_on(async {
            let mut request = reqwest::Client::new().request(method, format!("{}{path}", self.url()));
            if let Some(c) = cookie {
                request = request.header("cookie", c);
            }
            if let Some(b) = &body {
                request = request.json(b);
            }
            let r = request.send().await.expect("HQ answered");
            let status = r.status().as_u16();
            let set_cookie = r
                .headers()
                .get("set-cookie")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .map(str::to_owned);
            let text = r.text().await.expect("a body");
            (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null), set_cookie)
        })
    }

    /// The enrolment code of a demo till.
    pub fn code(&self, branch: usize, till: usize) -> String {
        self.demo.branches[branch].tills[till].enrolment_code.clone()
    }

    /// Stops serving: tills see HQ as unreachable.
    pub fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.stop()).expect("HQ stops");
        }
    }

    /// Starts serving again on the same address, over the same database.
    pub fn restart(&mut self) {
        assert!(self.running.is_none(), "HQ is running");
        let mut config = self.db.config();
        config.listen = self.address;
        config.clock = self.clock.clone();
        config.sms = hq_server::sms::SmsConfig::Log(self.sms.clone());
        config.payments = self.payments.clone();
        let running = self.rt.block_on(async {
            // The old socket may linger a moment.
            let mut tries = 0;
            loop {
                match Application::build(config.clone()).await {
                    Ok(app) => break app.spawn(),
                    Err(e) if tries < 50 => {
                        tries += 1;
                        tracing::debug!(error = %e, "retrying bind");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Err(e) => panic!("HQ restarts: {e}"),
                }
            }
        });
        self.running = Some(running);
    }
}

impl Drop for Hq {
    fn drop(&mut self) {
        self.stop();
    }
}

/// HQ's clock as a till's.
pub struct HqClock(pub Clock);

impl pos_app::clock::Clock for HqClock {
    fn now(&self) -> jiff::Timestamp {
        self.0.now()
    }
}

/// A till enrolled at an HQ: the real engine over its own database, with its sync task.
pub struct TestTill {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub till: Till,
    pub sync: Option<SyncHandle>,
}

impl TestTill {
    /// Enrols a new till with a one-time code and pulls its catalog.
    pub fn enrol(hq: &Hq, code: &str) -> TestTill {
        TestTill::enrol_with(hq, code, Box::new(NoDevices))
    }

    pub fn enrol_with(hq: &Hq, code: &str, devices: Box<dyn Peripherals>) -> TestTill {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("till.sqlite");
        hq.rt.block_on(pos_app::sync::enrol(&hq.url(), code, "test-till", &path, |_, _| {})).expect("enrolment");
        let till = open_till_with(&path, devices, hq.till_clock());
        TestTill { dir, path, till, sync: None }
    }

    /// Enrols through `url` (a `faulty::FaultyProxy` in front of `hq`), so the till's sync and
    /// member calls go that way; member calls wait at most `online` for an answer.
    pub fn enrol_via(hq: &Hq, url: &str, code: &str, online: Duration) -> TestTill {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("till.sqlite");
        hq.rt.block_on(pos_app::sync::enrol(url, code, "test-till", &path, |_, _| {})).expect("enrolment");
        let store = Store::open(&path).expect("open till store");
        let timeouts = pos_app::sync::Timeouts { online, ..pos_app::sync::Timeouts::default() };
        let client = pos_app::sync::client_for(&store, timeouts).expect("client");
        let authority = HqAuthority::new(client, online).expect("HQ authority");
        let till = Till::open(store, hq.till_clock(), Box::new(authority), Box::new(NoDevices)).expect("open till");
        TestTill { dir, path, till, sync: None }
    }

    /// Starts syncing in the background, with quick retries for tests.
    pub fn start_sync(&mut self) {
        self.start_sync_with(|_| {});
    }

    /// The same, with the test's changes to the configuration.
    pub fn start_sync_with(&mut self, tweak: impl FnOnce(&mut SyncConfig)) {
        let mut config = SyncConfig::new(&self.path);
        config.interval = Duration::from_millis(200);
        config.min_backoff = Duration::from_millis(100);
        config.max_backoff = Duration::from_millis(800);
        tweak(&mut config);
        self.sync = Some(pos_app::sync::start(config).expect("sync starts"));
    }

    /// Waits, on the sync task's status channel (no polling), until `done` holds for its status;
    /// panics with `what` and the last status after `limit`.
    pub fn wait_status(&self, what: &str, limit: Duration, done: impl FnMut(&SyncStatus) -> bool) -> SyncStatus {
        let mut rx = self.sync.as_ref().expect("syncing").subscribe();
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime");
        let found = rt.block_on(async {
            match tokio::time::timeout(limit, rx.wait_for(done)).await {
                Ok(Ok(s)) => Some(s.clone()),
                _ => None,
            }
        });
        found.unwrap_or_else(|| panic!("timed out after {limit:?} waiting for {what}; status {:?}", rx.borrow()))
    }

    pub fn status(&self) -> SyncStatus {
        self.sync.as_ref().map(|s| s.status()).unwrap_or_default()
    }

    /// Waits until every event of this till is accepted or rejected by HQ.
    pub fn wait_pushed(&self, limit: Duration) {
        let store = Store::open(&self.path).expect("second connection");
        wait_until("the outbox to drain", limit, || store.pending_count().map(|n| n == 0).unwrap_or(false));
    }

    /// Logs in and opens a shift with a ¥500 float.
    pub fn open_shift(&mut self, who: (&str, &str)) {
        self.till.login(who.0, who.1).expect("login");
        if self.till.current_shift().expect("shift").is_none() {
            self.till.open_shift(float()).expect("open shift");
        }
    }

    /// A barcode of the till's catalog (the n-th active product that has one).
    pub fn barcode(&self, n: usize) -> String {
        barcode(&self.path, n)
    }
}

/// Opens the till engine of an enrolled database, with HQ's member services.
pub fn open_till(path: &Path, devices: Box<dyn Peripherals>) -> Till {
    open_till_with(path, devices, Box::new(SystemClock))
}

/// The same, with a clock of the caller's (simulated days).
pub fn open_till_with(path: &Path, devices: Box<dyn Peripherals>, clock: Box<dyn pos_app::clock::Clock>) -> Till {
    let store = Store::open(path).expect("open till store");
    let authority = HqAuthority::for_store(&store).expect("HQ authority");
    Till::open(store, clock, Box::new(authority), devices).expect("open till")
}

pub fn barcode(path: &Path, n: usize) -> String {
    let store = Store::open(path).expect("open");
    store.sample_barcodes(n + 1).expect("barcodes").pop().expect("enough products with barcodes")
}

pub fn float() -> shared::shift::CashCount {
    use shared::shift::{CashCount, Denomination};
    CashCount::new([
        (Denomination::Yuan100, 4),
        (Denomination::Yuan50, 1),
        (Denomination::Yuan20, 2),
        (Denomination::Yuan10, 1),
    ])
}

/// Pseudo-terminal pairs are not safe to create from several threads at once: tests that start
/// device simulators hold this lock.
pub fn devices_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A till's devices on pseudo-terminals: the simulators playing the hardware, and the drivers the
/// till uses, exactly as in a shop.
pub struct Devices {
    pub scanner_sim: device_drivers::simulator::ScannerSimulator,
    pub cards_sim: device_drivers::simulator::CardReaderSimulator,
    pub printer_sim: device_drivers::simulator::PrinterSimulator,
    pub scanner: device_drivers::scanner::Scanner,
    pub scans: device_drivers::Events<device_drivers::scanner::ScannerEvent>,
    pub cards: device_drivers::card_reader::CardReader,
    pub swipes: device_drivers::Events<device_drivers::card_reader::CardEvent>,
    pub printer: device_drivers::printer::Printer,
    pub printer_events: device_drivers::Events<device_drivers::printer::PrinterEvent>,
}

impl Devices {
    pub fn start() -> Devices {
        use device_drivers::simulator::*;
        let scanner_sim = ScannerSimulator::start().expect("scanner simulator");
        let cards_sim = CardReaderSimulator::start().expect("card reader simulator");
        let printer_sim = PrinterSimulator::start().expect("printer simulator");
        let (scanner, scans) = device_drivers::scanner::Scanner::open(scanner_sim.config());
        let (cards, swipes) = device_drivers::card_reader::CardReader::open(cards_sim.config());
        let (printer, printer_events) = device_drivers::printer::Printer::open(printer_sim.config());
        Devices { scanner_sim, cards_sim, printer_sim, scanner, scans, cards, swipes, printer, printer_events }
    }

    /// The engine's peripherals: this printer.
    pub fn peripherals(&self) -> Box<dyn Peripherals> {
        Box::new(pos_app::peripherals::DriverDevices { printer: Some(self.printer.clone()), display: None })
    }

    /// Scans `code` on the scanner simulator and returns what the driver read.
    pub fn scan(&mut self, code: &str) -> String {
        self.scanner_sim.scan(code).expect("scan");
        loop {
            match next(&mut self.scans) {
                device_drivers::scanner::ScannerEvent::Scan(s) => return s.code,
                device_drivers::scanner::ScannerEvent::Misread(m) => panic!("misread: {m:?}"),
                _ => {}
            }
        }
    }

    /// Swipes a member card on the card reader simulator and returns what the driver read.
    pub fn swipe_member(&mut self, code: &str) -> device_drivers::card_reader::CardEvent {
        self.cards_sim.swipe_member(code).expect("swipe");
        loop {
            let e = next(&mut self.swipes);
            if !matches!(
                e,
                device_drivers::card_reader::CardEvent::Connected { .. }
                    | device_drivers::card_reader::CardEvent::Disconnected { .. }
            ) {
                return e;
            }
        }
    }

    /// The receipts printed so far, waiting for at least `n`.
    pub fn receipts(&self, n: usize) -> Vec<device_drivers::simulator::PrintedReceipt> {
        self.printer_sim.wait_for_receipts(n, Duration::from_secs(20)).expect("the receipts were printed")
    }
}

/// The next event of a device, waiting up to 20 s.
pub fn next<E>(rx: &mut device_drivers::Events<E>) -> E {
    let start = Instant::now();
    loop {
        match rx.try_recv() {
            Ok(e) => return e,
            Err(tokio::sync::mpsc::error::TryRecvError::Empty) => {
                assert!(start.elapsed() < Duration::from_secs(20), "no device event within 20 s");
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("device stopped: {e}"),
        }
    }
}

/// In the child till of a kill -9 test: makes `till` stop for good at `step` once it reaches it,
/// saying so in the file beside its database at `path` (what [`kill_child_at_step`] waits for:
/// the harness captures what a test prints).
pub fn stop_at_step(till: &mut Till, path: &Path, step: pos_app::engine::PaymentStep) {
    let marker = path.with_extension("step");
    till.set_payment_hook(Some(Box::new(move |s| {
        if s == step {
            let _ = std::fs::write(&marker, format!("AT {s:?}"));
            loop {
                std::thread::park();
            }
        }
    })));
}

/// In the child till of a kill -9 test, after the call that should have stopped at its step
/// returned: says so (the parent then fails the case) and waits to be killed.
pub fn wait_to_be_killed(path: &Path) -> ! {
    let _ = std::fs::write(path.with_extension("step"), "RETURNED");
    loop {
        std::thread::park();
    }
}

/// Runs the ignored test `child` of this test binary as a till of its own (its arguments in the
/// environment variable `var`), waits until it says it stopped at its step (a line `AT …` in the
/// file beside the till's database, `till` with the extension `step`), and kills it with
/// SIGKILL. `case` names the case in failures; the child's stderr goes to `stderr`.
pub fn kill_child_at_step(child: &str, var: &str, value: &str, till: &Path, stderr: &Path, case: &str) {
    let exe = std::env::current_exe().expect("test binary");
    let mut process = std::process::Command::new(&exe)
        .args([child, "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(var, value)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(stderr).expect("stderr file"))
        .spawn()
        .expect("start the child till");
    let marker = till.with_extension("step");
    let said = loop {
        if let Ok(said) = std::fs::read_to_string(&marker)
            && !said.is_empty()
        {
            break said;
        }
        assert!(process.try_wait().expect("child").is_none(), "case {case}: the child till ended early");
        std::thread::sleep(Duration::from_millis(20));
    };
    std::fs::remove_file(&marker).expect("marker");
    assert!(said.starts_with("AT "), "case {case}: the child did not stop at its step: {said}");
    process.kill().expect("SIGKILL");
    process.wait().expect("reaped");
}
