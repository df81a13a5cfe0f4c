//! A till's first start, from the keyboard, through the app's own background tasks (run here as
//! the iced runtime would run them): HQ's address and the enrolment code, the catalog download
//! with its progress, the devices on pseudo-terminals with a test print and a test scan, and the
//! till opening on its sign-in screen with its config file written.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use device_drivers::simulator::{PrinterSimulator, ScannerSimulator};
use device_drivers::transport::PortInfo;
use hq_server::store::BranchStore as _;
use iced::Task;
use iced::futures::StreamExt;
use pos_app::config::TillConfig;
use pos_app::ui::setup::SetupEvent;
use pos_app::ui::{App, Input, Message, Screen, Tone};
use shared::lang::Lang;
use tests::*;

/// The app and a runtime for its tasks.
struct FirstStart {
    app: App,
    rt: tokio::runtime::Runtime,
    at: Instant,
    /// The engine's replies, once the till runs (the iced subscription's part).
    replies: Option<pos_app::ui::worker::Replies>,
}

impl FirstStart {
    /// Applies `message`, then runs the task it returned to the end and applies what that
    /// produced, recursively: what the iced runtime does, in order.
    fn send(&mut self, message: Message) {
        let task = self.app.update(message);
        self.run(task);
    }

    fn run(&mut self, task: Task<Message>) {
        let Some(stream) = iced_runtime::task::into_stream(task) else { return };
        let produced: Vec<Message> = self.rt.block_on(
            stream
                .filter_map(|action| async move {
                    match action {
                        iced_runtime::Action::Output(m) => Some(m),
                        _ => None,
                    }
                })
                .collect(),
        );
        for m in produced {
            self.send(m);
        }
    }

    /// Keys typed by a person (a pause between them, so no burst looks like a scanner).
    fn type_slowly(&mut self, s: &str) {
        for c in s.chars() {
            self.key(Input::Char(c));
        }
    }

    fn key(&mut self, input: Input) {
        self.at += Duration::from_millis(200);
        self.send(Message::Key(input, self.at));
        self.settle();
    }

    /// Feeds the engine's replies into the app until every command sent has its answer.
    fn settle(&mut self) {
        if let Some(slot) = self.app.sources.replies.take() {
            self.replies = slot.take();
        }
        while self.app.pending > 0 {
            let Some(replies) = self.replies.as_mut() else { return };
            // Generous: a slow machine only makes the test wait longer, never fail.
            let next = self.rt.block_on(async { tokio::time::timeout(Duration::from_secs(60), replies.recv()).await });
            match next {
                Ok(Some(r)) => self.send(Message::Engine(Box::new(r))),
                Ok(None) => panic!("the engine stopped"),
                Err(_) => panic!("the engine did not answer in a minute"),
            }
        }
    }

    fn status(&self) -> String {
        self.app.status.as_ref().map(|(_, s)| s.clone()).unwrap_or_default()
    }
}

/// How many of this process's open files are the terminal behind `port` (a simulator's stable
/// path): the simulator holds one, and a driver that opened the port one more.
fn opened(port: &std::path::Path) -> usize {
    let Ok(terminal) = std::fs::canonicalize(port) else { return 0 };
    let Ok(fds) = std::fs::read_dir("/proc/self/fd") else { return 0 };
    fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok()).filter(|target| *target == terminal).count()
}

#[test]
fn a_new_till_enrols_sets_up_its_devices_and_opens_from_the_keyboard() {
    let hq = Hq::start();
    let _devices = devices_lock();
    let scanner_sim = ScannerSimulator::start().expect("scanner simulator");
    let printer_sim = PrinterSimulator::start().expect("printer simulator");
    let scanner_path = scanner_sim.port_path().display().to_string();
    let dir = tempfile::tempdir().expect("dir");
    let db: PathBuf = dir.path().join("till.sqlite");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut t = FirstStart { app: App::first_start(db.clone(), Lang::En), rt, at: Instant::now(), replies: None };
    assert_eq!(t.app.screen, Screen::SetupHq);

    // A wrong code: refused with the reason, nothing left behind, the form still there.
    let address = hq.url().trim_start_matches("http://").to_owned();
    t.type_slowly(&address);
    t.key(Input::Enter);
    t.type_slowly("ABCD2345");
    t.key(Input::Enter);
    assert_eq!(t.app.screen, Screen::SetupHq);
    assert!(matches!(t.app.status, Some((Tone::Bad, _))), "{:?}", t.app.status);
    assert!(t.status().contains("code"), "{}", t.status());
    assert!(!db.exists(), "a failed enrolment leaves no database");

    // The right code: enrolled, with the catalog downloaded (its progress reached the end).
    for _ in 0..8 {
        t.key(Input::Backspace);
    }
    t.type_slowly(&hq.code(0, 0));
    t.key(Input::Enter);
    assert_eq!(t.app.screen, Screen::SetupDevices, "{}", t.status());
    let setup = t.app.setup.as_ref().expect("setup");
    let (done, of) = setup.progress.expect("the download showed its progress");
    assert!(of > 0 && done == of, "{done} / {of}");
    let at_hq = hq.store().get_till(hq.demo.branches[0].tills[0].id).expect("till");
    assert!(at_hq.enrolled_at.is_some(), "HQ knows the till is enrolled");

    // The machine's serial ports (here the simulators' pseudo-terminals): scanner on 1, printer on 2.
    let port = |path: PathBuf| PortInfo { path: path.display().to_string(), description: "pty".into() };
    t.send(Message::Setup(SetupEvent::Ports(vec![port(scanner_sim.port_path()), port(printer_sim.port_path())])));
    t.type_slowly("1");
    t.key(Input::Tab);
    t.key(Input::Tab);
    t.type_slowly("2");

    // F5 prints the test page on the printer; F6 waits for a scan on the scanner.
    t.key(Input::F(5));
    assert!(matches!(t.app.status, Some((Tone::Good, _))), "{:?}", t.app.status);
    let pages = printer_sim.wait_for_receipts(1, Duration::from_secs(20)).expect("the test page");
    assert!(!pages[0].text.is_empty());
    // The cashier scans once the test scan has opened the scanner's port, and scans again only if
    // the scan was not answered (the test takes the first scan it reads).
    assert_eq!(opened(&scanner_sim.port_path()), 1, "until then only the simulator has the port open");
    let (answered, told) = std::sync::mpsc::channel::<()>();
    let scan = std::thread::spawn(move || {
        let port = scanner_sim.port_path();
        wait_until("the test scan to open the scanner's port", Duration::from_secs(60), || opened(&port) > 1);
        loop {
            scanner_sim.scan("6901234567892").expect("scan");
            match told.recv_timeout(Duration::from_secs(5)) {
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
                Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return scanner_sim,
            }
        }
    });
    t.key(Input::F(6));
    answered.send(()).expect("the cashier is waiting");
    let _scanner_sim = scan.join().expect("scanner thread");
    assert!(t.status().contains("6901234567892"), "{}", t.status());

    // Enter saves the devices beside the database and opens the till.
    t.key(Input::Enter);
    assert_eq!(t.app.screen, Screen::Login, "{}", t.status());
    let config = TillConfig::load(&TillConfig::path_for(&db)).expect("config file");
    assert_eq!(config.scanner.expect("scanner").port.path, scanner_path);
    assert!(config.printer.is_some() && config.card_reader.is_none());
    assert_eq!(config.lang, Some(Lang::En));

    // Later, the manager menu's settings (8): the machine does not list these pseudo-terminals,
    // yet the devices in use are kept, marked, and saving them reopens the till with both.
    t.type_slowly(CASHIER.0);
    t.key(Input::Enter);
    t.type_slowly(CASHIER.1);
    t.key(Input::Enter);
    assert_eq!(t.app.screen, Screen::OpenShift, "{}", t.status());
    t.type_slowly("5");
    t.key(Input::Enter);
    t.key(Input::F(1));
    t.type_slowly("8");
    assert_eq!(t.app.screen, Screen::SetupDevices, "{}", t.status());
    let ports = &t.app.setup.as_ref().expect("settings").ports;
    assert!(ports.iter().any(|p| p.path == scanner_path && p.description.contains("not listed")), "{ports:?}");
    t.key(Input::Enter);
    assert!(matches!(&t.app.status, Some((Tone::Good, s)) if s.contains("Saved")), "{:?}", t.app.status);
    let config = TillConfig::load(&TillConfig::path_for(&db)).expect("config file");
    assert_eq!(config.scanner.expect("the scanner is kept").port.path, scanner_path);
    assert!(config.printer.is_some(), "the printer is kept");
}
