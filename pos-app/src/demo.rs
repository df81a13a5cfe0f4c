//! `pos-app --demo`: a head office in this process on a loopback port with the demo chain, this
//! till enrolled at it, and every device simulated on pseudo-terminals with the real drivers
//! attached. The simulator panel beside the till scans products, swipes cards and jams the printer.

use std::time::Duration;

use device_drivers::simulator::{CardReaderSimulator, PaymentTerminalSimulator, PrinterSimulator, ScannerSimulator};
use hq_server::demo::DemoOptions;
use hq_server::{Application, Config};
use pos_app::Till;
use pos_app::clock::SystemClock;
use pos_app::peripherals::DriverDevices;
use pos_app::store::Store;
use pos_app::sync::{HqAuthority, SyncConfig};
use pos_app::ui::worker::Engine;
use pos_app::ui::{App, DemoPanel, SimAction, Slot};
use shared::lang::Lang;

pub fn run(lang: Lang) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    eprintln!("demo: head office and till data in {}", dir.path().display());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;

    // Head office, with the demo chain.
    let options =
        DemoOptions { branches: 2, tills_per_branch: 2, products: 600, members: 50, ..DemoOptions::default() };
    let (hq, demo) = rt.block_on(async {
        // The member pages' sign-in codes are printed here, for whoever runs the demo to type.
        // Payment codes through the payment simulator, in this process, with its DEMO keys.
        let payments = hq_server::gateway::PaymentsConfig::start_simulator(Default::default())
            .await
            .map_err(|e| format!("the payment simulator: {e}"))?;
        if let Some(sim) = &payments.simulator {
            for (code, script) in demo_payment_scripts() {
                sim.script_code(code, script);
            }
        }
        let config = Config {
            sms: hq_server::sms::SmsConfig::Log(hq_server::sms::LogSender::to_stderr()),
            payments,
            ..Config::loopback(dir.path().join("hq.sqlite"))
        };
        let app = Application::build(config).await.map_err(|e| e.to_string())?;
        let demo = hq_server::demo::seed(&*app.store(), &options).map_err(|e| e.to_string())?;
        Ok::<_, String>((app.spawn(), demo))
    })?;
    let url = format!("http://{}", hq.address());
    eprintln!("demo: head office at {url} (console admin / tillpoint-admin)");
    if let Some(m) = demo.members.first() {
        eprintln!(
            "demo: member pages at {url}/m (a phone-sized window): sign in as {} with {}; the code is printed here",
            m.name, m.phone
        );
    }

    // This till, enrolled with the first till's one-time code.
    let till_db = dir.path().join("till.sqlite");
    let code = &demo.branches[0].tills[0].enrolment_code;
    rt.block_on(pos_app::sync::enrol(&url, code, "demo-till", &till_db, |_, _| {})).map_err(|e| e.to_string())?;

    // The devices: simulators playing the hardware, the real drivers reading them.
    let scanner_sim = ScannerSimulator::start().map_err(|e| e.to_string())?;
    let cards_sim = CardReaderSimulator::start().map_err(|e| e.to_string())?;
    let printer_sim = PrinterSimulator::start().map_err(|e| e.to_string())?;
    // The bank-card terminal: approves every card (TEST_CARD, masked on the way in).
    let terminal_sim = PaymentTerminalSimulator::start().map_err(|e| e.to_string())?;
    let (terminal, _) =
        pos_app::peripherals::DriverTerminal::open_connected(terminal_sim.config(), Duration::from_secs(5));
    let (_scanner, scans) = device_drivers::scanner::Scanner::open(scanner_sim.config());
    let (_cards, swipes) = device_drivers::card_reader::CardReader::open(cards_sim.config());
    let (printer, printer_events) = device_drivers::printer::Printer::open(printer_sim.config());
    let printer_events = pos_app::printing::watch(printer.clone(), printer_events);

    let store = Store::open(&till_db).map_err(|e| e.to_string())?;
    let mut products: Vec<(String, String)> = store
        .sample_barcodes(24)
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter_map(|code| store.product_by_barcode(&code).ok().flatten().map(|p| (p.product.name, code)))
        .collect();
    // The customer's payment codes, on the panel as the products are: a scan pays what is due.
    for (label, code) in DEMO_PAYMENT_CODES {
        products.insert(0, ((*label).to_owned(), (*code).to_owned()));
    }
    eprintln!("demo: payment codes (scan or type them on the sale with goods on it; a typed amount first is a split):");
    for (label, code) in DEMO_PAYMENT_CODES.iter().rev() {
        eprintln!("demo:   {code}  {label}");
    }
    eprintln!(
        "demo:   any other 18 digits beginning 10-15 (WeChat Pay) or 16-24 beginning 25-30 (Alipay) pays at once"
    );
    let authority = HqAuthority::for_store(&store).map_err(|e| e.to_string())?;
    let devices = DriverDevices { printer: Some(printer), display: None };
    let mut till =
        Till::open(store, Box::new(SystemClock), Box::new(authority), Box::new(devices)).map_err(|e| e.to_string())?;
    till.set_card_terminal(Some(Box::new(terminal)));
    eprintln!("demo: F5 sends what is due to the simulated card terminal, which approves it");
    let sync = pos_app::sync::start(SyncConfig::new(&till_db)).map_err(|e| e.to_string())?;

    // The simulator panel's actions run on a thread of their own; the printed paper comes back.
    let (actions, todo) = std::sync::mpsc::channel::<SimAction>();
    let (paper_tx, paper_rx) = tokio::sync::mpsc::channel(8);
    std::thread::spawn(move || {
        let mut printed = 0;
        loop {
            match todo.recv_timeout(Duration::from_millis(200)) {
                Ok(SimAction::Scan(code)) => drop(scanner_sim.scan(&code)),
                Ok(SimAction::SwipeMember(code)) => drop(cards_sim.swipe_member(&code)),
                Ok(SimAction::SwipeBankCard) => drop(cards_sim.swipe_bank_card(None)),
                Ok(SimAction::PaperOut(on)) => printer_sim.set_paper_end(on),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
            }
            let receipts = printer_sim.receipts();
            if receipts.len() != printed {
                printed = receipts.len();
                let paper = receipts.into_iter().map(|r| r.text).collect();
                if paper_tx.blocking_send(paper).is_err() {
                    return;
                }
            }
        }
    });

    let (engine, replies) = Engine::spawn(till);
    let mut app = App::new(engine, replies, lang);
    app.sources.scans = Some(Slot::new("scanner", scans));
    app.sources.cards = Some(Slot::new("cards", swipes));
    app.sources.printer = Some(Slot::new("printer", printer_events));
    app.sources.sync = Some(Slot::new("sync", sync.subscribe()));
    app.sources.paper = Some(Slot::new("paper", paper_rx));
    app.demo = Some(DemoPanel {
        products,
        members: demo.members.iter().map(|m| (format!("{} {}", m.name, m.tier), m.code.clone())).collect(),
        actions: Some(actions),
        paper: Vec::new(),
    });
    eprintln!("demo: log in as 1001 with PIN 1111 (cashier) or 9001 / 9999 (manager)");
    let result = crate::launch(app);
    drop(terminal_sim);
    sync.stop();
    rt.block_on(async {
        let _ = hq.stop().await;
    });
    result
}

/// Payment codes the demo's customers show: label and code (the simulator's scripts decide what
/// the ones that do not simply pay do).
const DEMO_PAYMENT_CODES: &[(&str, &str)] = &[
    ("微信付款码 WeChat Pay", "134567890123456789"),
    ("支付宝付款码 Alipay", "281234567890123456"),
    ("微信 需确认 WeChat (confirm)", "134567890000000002"),
    ("支付宝 余额不足 Alipay (no funds)", "281234567890000003"),
];

/// What the simulator does with the demo's codes that do not simply pay.
fn demo_payment_scripts() -> Vec<(&'static str, payments::sim::Script)> {
    vec![
        ("134567890000000002", payments::sim::Script::UserPaying { paid_after_queries: Some(3) }),
        ("281234567890000003", payments::sim::Script::InsufficientFunds),
    ]
}
