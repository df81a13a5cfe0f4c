//! The iced till: screens over the engine. `App::update` decides, the engine thread
//! ([`worker`]) does, device and sync events arrive through subscriptions. Every action has a key;
//! all typing goes to one entry line, so a keyboard-wedge scan is never lost to focus.

pub mod boot;
pub mod i18n;
pub mod setup;
pub mod worker;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use device_drivers::card_reader::CardEvent;
use device_drivers::printer::PrinterEvent;
use device_drivers::scanner::ScannerEvent;
use device_drivers::scanner::wedge::{WedgeDetector, WedgeKey, WedgeOptions};
use iced::keyboard::{self, key::Named};
use iced::widget::{button, column, container, row, scrollable, space, text};
use iced::{Element, Font, Length, Subscription, Task};
use shared::catalog::MemberCode;
use shared::lang::Lang;
use shared::member::{MemberIdentifier, Phone};
use shared::money::{Currency, Money, Qty};
use shared::receipt::{PaperWidth, Receipt};
use shared::shift::{CashCount, Denomination, ShiftReport};

use crate::sync::SyncStatus;
use i18n::{ErrorKind, T};
use worker::{Command, Engine, Outcome, Replies, Reply, ScanOutcomeKind, Snapshot};

use crate::engine::ReturnContext;
use crate::store::HeldSale;
use shared::sale::ReturnPick;

/// The bundled Chinese font (a GB2312 subset of Noto Sans CJK SC; see `assets/fonts/OFL.txt`).
pub const FONT: &[u8] = include_bytes!("../../assets/fonts/NotoSansCJKsc-Regular-subset.otf");
/// The font every text uses, so Chinese renders on a machine without CJK fonts.
pub const UI_FONT: Font = Font::with_name("Noto Sans CJK SC");

/// A key the till reacts to, from the keyboard or a button.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    Char(char),
    Enter,
    Backspace,
    Escape,
    Tab,
    F(u8),
}

/// What the demo's simulator panel can do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimAction {
    Scan(String),
    SwipeMember(String),
    SwipeBankCard,
    PaperOut(bool),
}

#[derive(Clone, Debug)]
pub enum Message {
    Key(Input, Instant),
    Engine(Box<Reply>),
    Scanner(ScannerEvent),
    Card(CardEvent),
    Printer(PrinterEvent),
    Sync(Box<SyncStatus>),
    Sim(SimAction),
    /// The demo printer's paper, read back after printing.
    Paper(Vec<String>),
    Setup(setup::SetupEvent),
}

/// The prompt the entry line is answering on the sale screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    Scan,
    Member,
    Qty,
    Cash,
    Card,
    /// Part of the sale paid with the member's points (held at HQ).
    Points,
    /// Part of the sale paid from the member's stored value (held at HQ).
    StoredValue,
    /// A manager's login and PIN for [`App::needs_manager`].
    Manager,
    PaidIn,
    PaidOut,
    Reprint,
    EnrolPhone,
    EnrolName,
}

/// An action waiting for a manager's login and PIN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NeedsManager {
    VoidCart,
    Return { receipt: String, picks: Vec<ReturnPick> },
    PaidIn(Money),
    PaidOut(Money),
    NoSale,
    DayEnd,
}

/// Which screen is up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Screen {
    /// First start: HQ's address and the enrolment code.
    SetupHq,
    /// First start: a port for each device, test print and scan.
    SetupDevices,
    Login,
    Locked,
    OpenShift,
    Sale(Prompt),
    XReport(Box<ShiftReport>),
    CloseShift,
    ZReport(Box<ShiftReport>, u32),
    /// A sale found for a return: the cashier picks the lines.
    Return(Box<ReturnContext>),
    /// The manager's menu (F1).
    Menu,
    /// Held sales to recall (F8 with an empty sale).
    Held(Vec<HeldSale>),
    /// A list to read: HQ's refusals, the day-end summary.
    Info(T, Vec<String>),
}

/// How the status line reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Info,
    Good,
    Bad,
}

/// Device link states for the status bar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeviceState {
    pub scanner: Option<bool>,
    pub printer: Option<bool>,
    pub cards: Option<bool>,
    pub paper_out: bool,
}

/// The demo's side panel: products and members to try.
#[derive(Clone, Debug, Default)]
pub struct DemoPanel {
    pub products: Vec<(String, String)>,
    pub members: Vec<(String, String)>,
    pub actions: Option<std::sync::mpsc::Sender<SimAction>>,
    pub paper: Vec<String>,
}

/// A receiver an iced subscription takes over once.
pub struct Slot<R>(Arc<Mutex<Option<R>>>, &'static str, u64);

/// Each slot is a new subscription, even under a name used before (a till reopened after its
/// devices changed gets fresh ones).
static SLOTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl<R> std::fmt::Debug for Slot<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Slot({})", self.1)
    }
}

impl<R> Clone for Slot<R> {
    fn clone(&self) -> Self {
        Slot(self.0.clone(), self.1, self.2)
    }
}

impl<R> std::hash::Hash for Slot<R> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.1.hash(state);
        self.2.hash(state);
    }
}

impl<R> Slot<R> {
    pub fn new(name: &'static str, r: R) -> Slot<R> {
        Slot(Arc::new(Mutex::new(Some(r))), name, SLOTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }

    pub fn take(&self) -> Option<R> {
        self.0.lock().ok().and_then(|mut g| g.take())
    }
}

/// Where the app's outside events come from.
#[derive(Default)]
pub struct Sources {
    pub replies: Option<Slot<Replies>>,
    pub scans: Option<Slot<device_drivers::Events<ScannerEvent>>>,
    pub cards: Option<Slot<device_drivers::Events<CardEvent>>>,
    pub printer: Option<Slot<device_drivers::Events<PrinterEvent>>>,
    pub sync: Option<Slot<tokio::sync::watch::Receiver<SyncStatus>>>,
    /// The demo printer's paper, each receipt's text.
    pub paper: Option<Slot<tokio::sync::mpsc::Receiver<Vec<String>>>>,
}

pub struct App {
    pub lang: Lang,
    engine: Option<Engine>,
    /// What must stay alive while the till runs (the sync task, device drivers).
    keep: Vec<Box<dyn std::any::Any + Send>>,
    /// The till's database (not in the demo), for the settings.
    pub db: Option<std::path::PathBuf>,
    pub setup: Option<setup::SetupState>,
    pub sources: Sources,
    pub snap: Snapshot,
    pub screen: Screen,
    /// What the cashier (or a wedge scanner) typed on the entry line.
    pub entry: String,
    /// The login typed before Enter on the login screen.
    pub login: Option<String>,
    /// A blind count being entered: pieces per denomination, and the field in focus.
    pub count: [u32; 8],
    pub count_field: usize,
    pub status: Option<(Tone, String)>,
    pub last_receipt: Option<Receipt>,
    pub devices: DeviceState,
    pub sync: SyncStatus,
    pub demo: Option<DemoPanel>,
    /// Commands sent to the engine and not answered yet.
    pub pending: usize,
    pub needs_manager: Option<NeedsManager>,
    /// The phone typed while enrolling a member, before the name.
    enrol_phone: Option<String>,
    wedge: WedgeDetector,
}

impl App {
    pub fn new(engine: Engine, replies: Replies, lang: Lang) -> App {
        let mut app = App::idle(lang);
        app.sources.replies = Some(Slot::new("replies", replies));
        app.engine = Some(engine);
        app.send(Command::SetLanguage(lang));
        app.send(Command::Refresh);
        app
    }

    /// An app over a till that is up.
    pub fn with_till(running: boot::Running, lang: Lang) -> App {
        let mut app = App::idle(lang);
        app.run(running);
        app
    }

    /// An app with no till yet (first start).
    fn idle(lang: Lang) -> App {
        App {
            lang,
            engine: None,
            keep: Vec::new(),
            db: None,
            setup: None,
            sources: Sources::default(),
            snap: Snapshot::default(),
            screen: Screen::Login,
            entry: String::new(),
            login: None,
            count: [0; 8],
            count_field: 0,
            status: None,
            last_receipt: None,
            devices: DeviceState::default(),
            sync: SyncStatus::default(),
            demo: None,
            pending: 0,
            needs_manager: None,
            enrol_phone: None,
            wedge: WedgeDetector::new(WedgeOptions::default()),
        }
    }

    /// Runs an opened till: its engine, devices and sync feed this app from now on.
    pub fn run(&mut self, running: boot::Running) {
        let boot::Running { db, engine, replies, sync, scans, cards, printer_events, scanner, card_reader } = running;
        // What ran before (a till reopened from the settings) stops off the UI thread.
        let old = std::mem::take(&mut self.keep);
        std::thread::spawn(move || drop(old));
        self.db = Some(db);
        self.sources.replies = Some(Slot::new("replies", replies));
        self.sources.scans = scans.map(|s| Slot::new("scanner", s));
        self.sources.cards = cards.map(|c| Slot::new("cards", c));
        self.sources.printer = printer_events.map(|p| Slot::new("printer", p));
        self.sources.sync = Some(Slot::new("sync", sync.subscribe()));
        self.keep.push(Box::new(sync));
        if let Some(s) = scanner {
            self.keep.push(Box::new(s));
        }
        if let Some(c) = card_reader {
            self.keep.push(Box::new(c));
        }
        self.engine = Some(engine);
        let lang = self.lang;
        self.send(Command::SetLanguage(lang));
        self.send(Command::Refresh);
    }

    fn t(&self, t: T) -> &'static str {
        t.text(self.lang)
    }

    fn say(&mut self, tone: Tone, s: impl Into<String>) {
        self.status = Some((tone, s.into()));
    }

    fn send(&mut self, c: Command) {
        if let Some(engine) = &self.engine {
            self.pending += 1;
            engine.send(c);
        }
    }

    pub fn update(&mut self, message: Message) -> Task<Message> {
        match message {
            Message::Key(input, at) => return self.key(input, at),
            Message::Setup(e) => return self.setup_event(e),
            Message::Engine(reply) => self.reply(*reply),
            Message::Scanner(e) => match e {
                ScannerEvent::Scan(s) => self.scan(s.code),
                ScannerEvent::Misread(_) => self.say(Tone::Bad, self.t(T::Misread)),
                ScannerEvent::Connected { .. } => self.devices.scanner = Some(true),
                ScannerEvent::Disconnected { .. } => self.devices.scanner = Some(false),
            },
            Message::Card(e) => match e {
                CardEvent::MemberCard(code) => self.member(MemberIdentifier::Code(code)),
                CardEvent::Uid(uid) => self.member(MemberIdentifier::Uid(uid)),
                CardEvent::BankCardRejected(r) => {
                    let masked = r.masked_pan().map(|m| format!(" ({m})")).unwrap_or_default();
                    self.say(Tone::Bad, format!("{}{masked}", self.t(T::BankCardOnReader)))
                }
                CardEvent::Unreadable(_) => self.say(Tone::Bad, self.t(T::UnreadableCard)),
                CardEvent::Connected { .. } => self.devices.cards = Some(true),
                CardEvent::Disconnected { .. } => self.devices.cards = Some(false),
            },
            Message::Printer(e) => match e {
                PrinterEvent::Connected { .. } => self.devices.printer = Some(true),
                PrinterEvent::Disconnected { .. } => self.devices.printer = Some(false),
                PrinterEvent::Status(s) => {
                    self.devices.paper_out = s.paper_end;
                    if s.paper_end {
                        self.say(Tone::Bad, self.t(T::PaperOut));
                    }
                }
                PrinterEvent::Failed { .. } => self.say(Tone::Bad, self.t(T::PaperOut)),
                _ => {}
            },
            Message::Sync(s) => self.sync = *s,
            Message::Sim(action) => {
                if let Some(tx) = self.demo.as_ref().and_then(|d| d.actions.as_ref()) {
                    let _ = tx.send(action);
                }
            }
            Message::Paper(p) => {
                if let Some(d) = &mut self.demo {
                    d.paper = p;
                }
            }
        }
        Task::none()
    }

    fn scan(&mut self, code: String) {
        if matches!(self.screen, Screen::Sale(_)) {
            self.send(Command::Scan(code));
        } else {
            let text = ErrorKind::NoOpenShift.text(self.lang);
            self.say(Tone::Bad, text);
        }
    }

    fn member(&mut self, by: MemberIdentifier) {
        if matches!(self.screen, Screen::Sale(_)) {
            self.send(Command::AttachMember(by));
        }
    }

    fn key(&mut self, input: Input, at: Instant) -> Task<Message> {
        if matches!(self.screen, Screen::SetupHq | Screen::SetupDevices) {
            return self.setup_key(input);
        }
        // A wedge scanner's burst is a scan wherever the cashier is typing.
        let wedge = match input {
            Input::Char(c) => self.wedge.key(WedgeKey::Char(c), at),
            Input::Enter => self.wedge.key(WedgeKey::Enter, at),
            _ => {
                self.wedge.reset();
                None
            }
        };
        if let Some(code) = wedge
            && matches!(self.screen, Screen::Sale(_))
        {
            if let Some(cut) = self.entry.len().checked_sub(code.len())
                && self.entry.ends_with(&code)
            {
                self.entry.truncate(cut);
            }
            self.scan(code);
            return Task::none();
        }
        match input {
            Input::F(12) => {
                self.lang = if self.lang == Lang::ZhCn { Lang::En } else { Lang::ZhCn };
                self.send(Command::SetLanguage(self.lang));
                return self.save_language();
            }
            Input::Char(c @ '1'..='8') if self.screen == Screen::Menu => {
                return self.menu(c as u8 - b'0');
            }
            Input::Char(c) if !c.is_control() => {
                if matches!(self.screen, Screen::OpenShift | Screen::CloseShift) {
                    if let Some(d) = c.to_digit(10) {
                        let n = &mut self.count[self.count_field];
                        *n = n.saturating_mul(10).saturating_add(d).min(99_999);
                    }
                } else if self.entry.chars().count() < 64 {
                    self.entry.push(c);
                }
                return Task::none();
            }
            Input::Backspace => {
                if matches!(self.screen, Screen::OpenShift | Screen::CloseShift) {
                    self.count[self.count_field] /= 10;
                } else {
                    self.entry.pop();
                }
                return Task::none();
            }
            _ => {}
        }
        let entry = std::mem::take(&mut self.entry);
        match (&self.screen, input) {
            (Screen::Login, Input::Enter) => match self.login.take() {
                None if !entry.is_empty() => self.login = Some(entry),
                None => {}
                Some(login) => self.send(Command::Login { login, pin: entry }),
            },
            (Screen::Login, Input::Escape) => self.login = None,
            (Screen::Locked, Input::Enter) => self.send(Command::Unlock { pin: entry }),
            (Screen::OpenShift | Screen::CloseShift, Input::Tab | Input::Char('\t')) => {
                self.count_field = (self.count_field + 1) % Denomination::ALL.len();
            }
            (Screen::OpenShift, Input::Enter) => self.send(Command::OpenShift(self.counted())),
            (Screen::OpenShift, Input::Escape) => self.send(Command::Logout),
            (Screen::CloseShift, Input::Enter) => self.send(Command::CloseShift(self.counted())),
            (Screen::CloseShift | Screen::XReport(_), Input::Escape) => self.screen = Screen::Sale(Prompt::Scan),
            (Screen::ZReport(..), Input::Enter | Input::Escape) => {
                self.send(Command::Logout);
                self.screen = Screen::Login;
            }
            (Screen::Sale(prompt), input) => self.sale_key(*prompt, input, entry),
            (Screen::Return(ctx), Input::Enter) => {
                let picks = picks_of(ctx, &entry);
                if picks.is_empty() {
                    self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang));
                } else {
                    self.needs_manager = Some(NeedsManager::Return { receipt: ctx.sale.receipt_no.to_string(), picks });
                    self.screen = Screen::Sale(Prompt::Manager);
                }
            }
            (Screen::Menu, Input::Char(_)) | (Screen::Menu, Input::Enter) => {}
            (Screen::Held(held), Input::Enter) => {
                let picked =
                    entry.trim().parse::<usize>().ok().and_then(|n| held.get(n.checked_sub(1)?)).map(|h| h.id.clone());
                if let Some(id) = picked {
                    self.send(Command::Recall(id));
                }
                self.screen = Screen::Sale(Prompt::Scan);
            }
            (Screen::Return(_) | Screen::Menu | Screen::Held(_) | Screen::Info(..), Input::Escape) => {
                self.screen = Screen::Sale(Prompt::Scan)
            }
            (Screen::Menu, Input::F(n)) => return self.menu(n),
            _ => {}
        }
        Task::none()
    }

    /// The manager's menu: F1 opens it, then a function key picks.
    fn menu(&mut self, n: u8) -> Task<Message> {
        self.screen = Screen::Sale(Prompt::Scan);
        match n {
            1 => self.screen = Screen::Sale(Prompt::PaidIn),
            2 => self.screen = Screen::Sale(Prompt::PaidOut),
            3 => {
                self.needs_manager = Some(NeedsManager::NoSale);
                self.screen = Screen::Sale(Prompt::Manager);
            }
            4 => self.screen = Screen::Sale(Prompt::Reprint),
            5 => self.screen = Screen::Sale(Prompt::EnrolPhone),
            6 => {
                self.needs_manager = Some(NeedsManager::DayEnd);
                self.screen = Screen::Sale(Prompt::Manager);
            }
            7 => self.send(Command::Rejected),
            8 => return self.open_settings(),
            _ => {}
        }
        Task::none()
    }

    fn counted(&self) -> CashCount {
        CashCount::new(Denomination::ALL.iter().copied().zip(self.count))
    }

    fn sale_key(&mut self, prompt: Prompt, input: Input, entry: String) {
        let entry = entry.trim().to_owned();
        let money = |s: &str| Currency::CNY.parse(s).ok().filter(|m| m.0 > 0);
        match (prompt, input) {
            (_, Input::Escape) => {
                self.needs_manager = None;
                self.enrol_phone = None;
                self.screen = Screen::Sale(Prompt::Scan);
            }
            (Prompt::Scan, Input::Enter) if !entry.is_empty() => self.send(Command::Scan(entry)),
            (Prompt::Member, Input::Enter) => {
                let by = Phone::parse(&entry)
                    .map(MemberIdentifier::Phone)
                    .or_else(|_| MemberCode::parse(&entry).map(MemberIdentifier::Code));
                match by {
                    Ok(by) => self.send(Command::AttachMember(by)),
                    Err(_) => self.say(Tone::Bad, ErrorKind::MemberNotFound.text(self.lang)),
                }
                self.screen = Screen::Sale(Prompt::Scan);
            }
            (Prompt::Qty, Input::Enter) => {
                let last = self.snap.cart.as_ref().map_or(0, |c| c.lines.len());
                match Qty::parse(&entry) {
                    Ok(qty) if last > 0 => self.send(Command::SetQty { line: last - 1, qty }),
                    _ => self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang)),
                }
                self.screen = Screen::Sale(Prompt::Scan);
            }
            (Prompt::Cash, Input::Enter) => {
                let due = self.snap.cart.as_ref().map_or(Money::ZERO, |c| c.cash_due - c.cash_given);
                let handed = if entry.is_empty() { Some(due) } else { money(&entry) };
                match handed {
                    Some(m) if m.0 > 0 => {
                        self.send(Command::AddCash(m));
                        self.send(Command::Complete);
                    }
                    _ => self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang)),
                }
                self.screen = Screen::Sale(Prompt::Scan);
            }
            (Prompt::Card, Input::Enter) => {
                let remaining = self.snap.cart.as_ref().map_or(Money::ZERO, |c| c.remaining);
                if entry.is_empty() || remaining.0 <= 0 {
                    self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang));
                } else {
                    self.send(Command::AddCard { amount: remaining, reference: entry });
                    self.send(Command::Complete);
                }
                self.screen = Screen::Sale(Prompt::Scan);
            }
            (Prompt::Points | Prompt::StoredValue, Input::Enter) => {
                let cart = self.snap.cart.as_ref();
                let remaining = cart.map_or(Money::ZERO, |c| c.remaining);
                let balance = cart
                    .and_then(|c| c.member.as_ref())
                    .and_then(|m| m.snapshot.as_ref())
                    .map_or(Money::ZERO, |m| m.stored_value.total());
                let amount = match (prompt, entry.is_empty()) {
                    (Prompt::StoredValue, true) => Some(remaining.min(balance)).filter(|m| m.0 > 0),
                    _ => money(&entry),
                };
                match amount {
                    Some(m) => {
                        self.send(if prompt == Prompt::Points {
                            Command::AddPoints(m)
                        } else {
                            Command::AddStoredValue(m)
                        });
                        if m >= remaining {
                            self.send(Command::Complete);
                        }
                    }
                    None => self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang)),
                }
                self.screen = Screen::Sale(Prompt::Scan);
            }
            (_, Input::F(13)) => self.screen = Screen::Sale(Prompt::Points),
            (_, Input::F(14)) => self.screen = Screen::Sale(Prompt::StoredValue),
            (Prompt::Manager, Input::Enter) => {
                let mut parts = entry.split_whitespace();
                let creds = match (parts.next(), parts.next()) {
                    (Some(login), Some(pin)) => Some((login.to_owned(), pin.to_owned())),
                    _ => None,
                };
                match (creds, self.needs_manager.take()) {
                    (Some(m), Some(action)) => self.send(match action {
                        NeedsManager::VoidCart => Command::VoidCart { manager: Some(m) },
                        NeedsManager::Return { receipt, picks } => {
                            let reason = self.t(T::ReturnReason).to_owned();
                            Command::CompleteReturn { receipt, picks, reason, manager: m }
                        }
                        NeedsManager::PaidIn(amount) => {
                            Command::PaidIn { amount, reason: self.t(T::PaidIn).to_owned(), manager: m }
                        }
                        NeedsManager::PaidOut(amount) => {
                            Command::PaidOut { amount, reason: self.t(T::PaidOut).to_owned(), manager: m }
                        }
                        NeedsManager::NoSale => Command::NoSale { manager: m },
                        NeedsManager::DayEnd => Command::DayEnd { manager: m },
                    }),
                    _ => self.say(Tone::Bad, ErrorKind::ApprovalRequired.text(self.lang)),
                }
                self.screen = Screen::Sale(Prompt::Scan);
            }
            (Prompt::PaidIn | Prompt::PaidOut, Input::Enter) => match money(&entry) {
                Some(m) => {
                    self.needs_manager =
                        Some(if prompt == Prompt::PaidIn { NeedsManager::PaidIn(m) } else { NeedsManager::PaidOut(m) });
                    self.screen = Screen::Sale(Prompt::Manager);
                }
                None => {
                    self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang));
                    self.screen = Screen::Sale(Prompt::Scan);
                }
            },
            (Prompt::Reprint, Input::Enter) => {
                let last = self.last_receipt.as_ref().map(|r| r.receipt_no.to_string());
                match if entry.is_empty() { last } else { Some(entry) } {
                    Some(r) => self.send(Command::Reprint(r)),
                    None => self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang)),
                }
                self.screen = Screen::Sale(Prompt::Scan);
            }
            (Prompt::EnrolPhone, Input::Enter) => {
                if Phone::parse(&entry).is_ok() {
                    self.enrol_phone = Some(entry);
                    self.screen = Screen::Sale(Prompt::EnrolName);
                } else {
                    self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang));
                    self.screen = Screen::Sale(Prompt::Scan);
                }
            }
            (Prompt::EnrolName, Input::Enter) => {
                match (self.enrol_phone.take(), entry.is_empty()) {
                    (Some(phone), false) => self.send(Command::EnrolMember { phone, name: entry }),
                    _ => self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang)),
                }
                self.screen = Screen::Sale(Prompt::Scan);
            }
            (_, Input::F(1)) => self.screen = Screen::Menu,
            (_, Input::F(8)) => {
                if self.snap.cart.as_ref().is_some_and(|c| !c.lines.is_empty()) {
                    self.send(Command::Hold);
                } else {
                    self.send(Command::HeldSales);
                }
            }
            (_, Input::F(2)) => self.screen = Screen::Sale(Prompt::Member),
            (_, Input::F(3)) => self.screen = Screen::Sale(Prompt::Qty),
            (_, Input::F(4)) => self.screen = Screen::Sale(Prompt::Cash),
            (_, Input::F(5)) => self.screen = Screen::Sale(Prompt::Card),
            (_, Input::F(6)) => {
                let last = self.snap.cart.as_ref().map_or(0, |c| c.lines.len());
                if last > 0 {
                    self.send(Command::RemoveLine(last - 1));
                }
            }
            (_, Input::F(7)) => {
                let has_lines = self.snap.cart.as_ref().is_some_and(|c| !c.lines.is_empty());
                if has_lines {
                    self.needs_manager = Some(NeedsManager::VoidCart);
                    self.screen = Screen::Sale(Prompt::Manager);
                } else {
                    self.send(Command::VoidCart { manager: None });
                }
            }
            (_, Input::F(9)) => self.send(Command::XReport),
            (_, Input::F(10)) => {
                self.count = [0; 8];
                self.count_field = 0;
                self.screen = Screen::CloseShift;
            }
            (_, Input::F(11)) => self.send(Command::Lock),
            _ => {}
        }
    }

    fn reply(&mut self, reply: Reply) {
        self.pending = self.pending.saturating_sub(1);
        self.snap = reply.snapshot;
        match reply.result {
            Err(e) => {
                let detail = if matches!(e.kind, ErrorKind::Other | ErrorKind::HqRefused | ErrorKind::Invalid) {
                    format!("{}: {}", e.kind.text(self.lang), e.detail)
                } else {
                    e.kind.text(self.lang).to_owned()
                };
                self.say(Tone::Bad, detail);
            }
            Ok(Outcome::Completed { receipt, change, points }) => {
                let mut s = format!("{}  {} {change}", self.t(T::SaleDone), self.t(T::Change));
                if let Some(p) = points {
                    s.push_str(&format!("  {} +{p}", self.t(T::PointsEarned)));
                }
                self.say(Tone::Good, s);
                self.last_receipt = Some(*receipt);
            }
            Ok(Outcome::X(r)) => self.screen = Screen::XReport(r),
            Ok(Outcome::Z(z)) => self.screen = Screen::ZReport(Box::new(z.report), z.number),
            Ok(Outcome::Scanned(ScanOutcomeKind::Receipt(r))) => self.send(Command::StartReturn(r)),
            Ok(Outcome::Return(ctx)) => self.screen = Screen::Return(ctx),
            Ok(Outcome::Refunded { receipt, paid_back }) => {
                self.say(Tone::Good, format!("{} {paid_back}", self.t(T::Refunded)));
                self.last_receipt = Some(*receipt);
            }
            Ok(Outcome::Held(list)) => self.screen = Screen::Held(list),
            Ok(Outcome::DayEnded(d)) => {
                let lines = vec![
                    format!("{}: {}", self.t(T::SalesCount), d.sales_count),
                    format!("{}: {}", self.t(T::Net), d.net),
                    format!("{}: {}", self.t(T::Expected), d.expected),
                    format!("{}: {}", self.t(T::Counted), d.counted),
                    format!("{}: {}", self.t(T::OverShort), d.over_short),
                ];
                self.screen = Screen::Info(T::DayEndTitle, lines);
            }
            Ok(Outcome::Printed(r)) => {
                self.say(Tone::Good, self.t(T::Reprinted));
                self.last_receipt = Some(*r);
            }
            Ok(Outcome::Rejected(list)) => {
                let mut lines = vec![format!(
                    "{} · {} {}",
                    if self.sync.online { self.t(T::Online) } else { self.t(T::Offline) },
                    self.sync.pending_events,
                    self.t(T::Waiting)
                )];
                if list.is_empty() {
                    lines.push(self.t(T::NoRejected).to_owned());
                }
                lines.extend(list.into_iter().map(|(what, why)| format!("{what}: {why}")));
                self.screen = Screen::Info(T::SyncTitle, lines);
            }
            Ok(Outcome::Scanned(_)) | Ok(Outcome::Done) => {
                if matches!(reply.command, Command::Login { .. } | Command::Unlock { .. }) {
                    self.status = None;
                }
            }
        }
        // The screen follows the engine's state.
        self.screen = match (&self.screen, &self.snap) {
            (Screen::ZReport(..) | Screen::Info(..) | Screen::SetupHq | Screen::SetupDevices, _) => self.screen.clone(),
            (_, s) if s.staff.is_none() => Screen::Login,
            (_, s) if s.locked => Screen::Locked,
            (_, s) if s.shift.is_none() => {
                if self.screen != Screen::OpenShift {
                    self.count = [0; 8];
                    self.count_field = 0;
                }
                Screen::OpenShift
            }
            (Screen::Login | Screen::Locked | Screen::OpenShift, _) => Screen::Sale(Prompt::Scan),
            _ => self.screen.clone(),
        };
    }

    pub fn subscription(&self) -> Subscription<Message> {
        let keys = iced::event::listen_with(|event, _status, _window| match event {
            iced::Event::Keyboard(keyboard::Event::KeyPressed { key, text, .. }) => {
                to_input(&key, text.as_deref()).map(|i| Message::Key(i, Instant::now()))
            }
            _ => None,
        });
        let mut subs = vec![keys];
        if let Some(s) = &self.sources.replies {
            subs.push(Subscription::run_with(s.clone(), |s| {
                receiver_stream(s.take(), |r| Message::Engine(Box::new(r)))
            }));
        }
        if let Some(s) = &self.sources.scans {
            subs.push(Subscription::run_with(s.clone(), |s| receiver_stream(s.take(), Message::Scanner)));
        }
        if let Some(s) = &self.sources.cards {
            subs.push(Subscription::run_with(s.clone(), |s| receiver_stream(s.take(), Message::Card)));
        }
        if let Some(s) = &self.sources.printer {
            subs.push(Subscription::run_with(s.clone(), |s| receiver_stream(s.take(), Message::Printer)));
        }
        if let Some(s) = &self.sources.paper {
            subs.push(Subscription::run_with(s.clone(), |s| receiver_stream(s.take(), Message::Paper)));
        }
        if let Some(s) = &self.sources.sync {
            subs.push(Subscription::run_with(s.clone(), |s| {
                let rx = s.take();
                iced::stream::channel(4, async move |mut out: iced::futures::channel::mpsc::Sender<Message>| {
                    use iced::futures::SinkExt;
                    let Some(mut rx) = rx else { return };
                    loop {
                        let status = rx.borrow_and_update().clone();
                        if out.send(Message::Sync(Box::new(status))).await.is_err() {
                            return;
                        }
                        if rx.changed().await.is_err() {
                            return;
                        }
                    }
                })
            }));
        }
        Subscription::batch(subs)
    }

    pub fn title(&self) -> String {
        format!("{} — {} {:02}", self.t(T::AppTitle), self.snap.branch_name, self.snap.till_number)
    }

    pub fn view(&self) -> Element<'_, Message> {
        let main: Element<'_, Message> = match &self.screen {
            Screen::SetupHq | Screen::SetupDevices => self.setup_view(),
            Screen::Login => self.login_view(),
            Screen::Locked => self.prompt_view(T::Locked, "•".repeat(self.entry.chars().count())),
            Screen::OpenShift => self.count_view(T::OpenShiftTitle, T::OpenShiftHint, T::OpenShift),
            Screen::CloseShift => self.count_view(T::CloseTitle, T::CloseHint, T::CloseShiftKey),
            Screen::Sale(prompt) => self.sale_view(*prompt),
            Screen::XReport(r) => self.report_view(T::XReportTitle, r, None),
            Screen::ZReport(r, n) => self.report_view(T::ZTitle, r, Some(*n)),
            Screen::Return(ctx) => self.return_view(ctx),
            Screen::Menu => self.menu_view(),
            Screen::Held(list) => self.list_view(
                T::HeldTitle,
                list.iter().enumerate().map(|(i, h)| format!("{}. {}", i + 1, h.label)).collect(),
                Some(T::PickHeld),
            ),
            Screen::Info(title, lines) => self.list_view(*title, lines.clone(), None),
        };
        let setup = matches!(self.screen, Screen::SetupHq | Screen::SetupDevices);
        let bar = if setup { container(text("")).into() } else { self.status_bar() };
        let body = column![bar, container(main).height(Length::Fill).padding(12), self.status_line()];
        let mut page = row![container(body).width(Length::FillPortion(3))];
        if let Some(demo) = &self.demo {
            page = page.push(container(self.demo_view(demo)).width(Length::FillPortion(2)).padding(8));
        }
        container(page).width(Length::Fill).height(Length::Fill).into()
    }

    fn key_button(&self, t: T, input: Input) -> Element<'_, Message> {
        button(text(self.t(t)).size(16)).padding([10, 14]).on_press(Message::Key(input, Instant::now())).into()
    }

    /// A touch-size key for payment.
    fn big_button(&self, t: T, input: Input) -> Element<'_, Message> {
        button(text(self.t(t)).size(20)).padding([16, 22]).on_press(Message::Key(input, Instant::now())).into()
    }

    fn status_bar(&self) -> Element<'_, Message> {
        let link = |name: T, up: Option<bool>| {
            let state = match up {
                Some(true) => self.t(T::Connected),
                Some(false) => self.t(T::Disconnected),
                None => "—",
            };
            text(format!("{} {}", self.t(name), state)).size(14)
        };
        let hq = if self.sync.online {
            format!("{} · {} {}", self.t(T::Online), self.sync.pending_events, self.t(T::Waiting))
        } else {
            format!("{} · {} {}", self.t(T::Offline), self.sync.pending_events, self.t(T::Waiting))
        };
        let who = self.snap.staff.as_ref().map(|s| format!("{} {}", self.t(T::Cashier), s.name)).unwrap_or_default();
        container(
            row![
                text(format!("{} · {} {:02}", self.snap.branch_name, self.t(T::TillNo), self.snap.till_number))
                    .size(14),
                text(who).size(14),
                space().width(Length::Fill),
                text(hq).size(14),
                link(T::Scanner, self.devices.scanner),
                link(T::Printer, self.devices.printer),
                link(T::CardReader, self.devices.cards),
            ]
            .spacing(16),
        )
        .padding(8)
        .style(container::rounded_box)
        .into()
    }

    fn status_line(&self) -> Element<'_, Message> {
        let Some((tone, s)) = &self.status else { return container(text(" ")).padding(8).into() };
        let style = match tone {
            Tone::Bad => container::danger,
            Tone::Good => container::success,
            Tone::Info => container::secondary,
        };
        container(text(s.clone()).size(20)).padding(10).width(Length::Fill).style(style).into()
    }

    fn login_view(&self) -> Element<'_, Message> {
        let (label, shown) = match &self.login {
            None => (T::Login, self.entry.clone()),
            Some(l) => (T::Pin, format!("{l}  {}", "•".repeat(self.entry.chars().count()))),
        };
        let pad = |k: &'static str| {
            let c = k.chars().next().unwrap_or('0');
            button(text(k).size(28)).width(80).padding(16).on_press(Message::Key(Input::Char(c), Instant::now()))
        };
        column![
            text(self.t(T::LoginTitle)).size(32),
            text(self.t(T::LoginPrompt)).size(16),
            text(format!("{}: {shown}", self.t(label))).size(28),
            row![pad("1"), pad("2"), pad("3")].spacing(8),
            row![pad("4"), pad("5"), pad("6")].spacing(8),
            row![pad("7"), pad("8"), pad("9")].spacing(8),
            row![self.key_button(T::Clear, Input::Escape), pad("0"), self.key_button(T::SignIn, Input::Enter)]
                .spacing(8),
        ]
        .spacing(12)
        .into()
    }

    fn prompt_view(&self, title: T, shown: String) -> Element<'_, Message> {
        column![text(self.t(title)).size(28), text(shown).size(28)].spacing(12).into()
    }

    fn count_view(&self, title: T, hint: T, done: T) -> Element<'_, Message> {
        let mut rows = column![text(self.t(title)).size(28), text(self.t(hint)).size(16)].spacing(6);
        for (i, d) in Denomination::ALL.iter().enumerate() {
            let marker = if i == self.count_field { "▶" } else { "  " };
            let line = format!(
                "{marker} {:<6} × {:>5} = {}",
                d.label(),
                self.count[i],
                Money(d.value().0 * i64::from(self.count[i]))
            );
            rows = rows.push(text(line).size(20).font(UI_FONT));
        }
        rows = rows.push(text(format!("{} {}", self.t(T::Total), self.counted().total())).size(24));
        rows.push(row![self.key_button(done, Input::Enter), self.key_button(T::Back, Input::Escape)].spacing(8)).into()
    }

    fn sale_view(&self, prompt: Prompt) -> Element<'_, Message> {
        let mut lines = column![
            row![
                text(self.t(T::Item)).width(Length::FillPortion(5)),
                text(self.t(T::Qty)).width(Length::FillPortion(1)),
                text(self.t(T::Price)).width(Length::FillPortion(2)),
                text(self.t(T::Amount)).width(Length::FillPortion(2)),
            ]
            .spacing(8)
        ]
        .spacing(4);
        let cart = self.snap.cart.as_ref();
        match cart {
            Some(c) if !c.lines.is_empty() => {
                for l in &c.lines {
                    let saving = if l.priced.member_saving.0 > 0 {
                        format!("  (-{})", l.priced.member_saving)
                    } else {
                        String::new()
                    };
                    lines = lines.push(
                        row![
                            text(format!("{}{saving}", l.item.name)).width(Length::FillPortion(5)),
                            text(l.priced.qty.display()).width(Length::FillPortion(1)),
                            text(l.priced.unit.to_string()).width(Length::FillPortion(2)),
                            text(l.net.to_string()).width(Length::FillPortion(2)),
                        ]
                        .spacing(8),
                    );
                }
            }
            _ => lines = lines.push(text(self.t(T::EmptySale)).size(18)),
        }
        let totals = match cart {
            Some(c) => column![
                text(format!("{} {}", self.t(T::Total), c.totals.gross)).size(18),
                text(format!("{} -{}", self.t(T::Savings), c.totals.member_savings)).size(18),
                text(format!("{} -{}", self.t(T::Discounts), c.totals.manual_discounts + c.totals.order_discount))
                    .size(18),
                text(format!("{} {}", self.t(T::Due), c.cash_due)).size(30),
                text(format!("{} {}", self.t(T::PointsThisSale), c.points_preview)).size(18),
            ],
            None => column![text(format!("{} {}", self.t(T::Due), Money::ZERO)).size(30)],
        }
        .spacing(4);
        let member = match cart.and_then(|c| c.member.as_ref()) {
            Some(m) => match &m.snapshot {
                Some(s) => format!(
                    "{}: {} · {} · {} {} · {} {}",
                    self.t(T::Member),
                    s.name,
                    s.tier,
                    self.t(T::Points),
                    s.points,
                    self.t(T::StoredValue),
                    s.stored_value.total()
                ),
                None => format!("{}: {} · {}", self.t(T::Member), m.identifier.masked(), self.t(T::MemberOffline)),
            },
            None => self.t(T::NoMember).to_owned(),
        };
        let hint = match prompt {
            Prompt::Scan => T::ScanHint,
            Prompt::Member => T::EnterPhone,
            Prompt::Qty => T::EnterQty,
            Prompt::Cash => T::EnterCash,
            Prompt::Card => T::EnterCard,
            Prompt::Points => T::EnterPoints,
            Prompt::StoredValue => T::EnterStoredValue,
            Prompt::Manager => T::EnterManager,
            Prompt::PaidIn | Prompt::PaidOut => T::EnterAmount,
            Prompt::Reprint => T::EnterReceipt,
            Prompt::EnrolPhone => T::EnterNewPhone,
            Prompt::EnrolName => T::EnterName,
        };
        let shown = if prompt == Prompt::Manager {
            self.entry.split_once(' ').map_or(self.entry.clone(), |(l, p)| format!("{l} {}", "•".repeat(p.len())))
        } else {
            self.entry.clone()
        };
        // Payment keys first and larger: they are pressed most, often by touch.
        let pay = row![
            self.big_button(T::KeyCash, Input::F(4)),
            self.big_button(T::KeyCard, Input::F(5)),
            self.big_button(T::KeyPoints, Input::F(13)),
            self.big_button(T::KeyStoredValue, Input::F(14)),
        ]
        .spacing(6);
        let keys = row![
            self.key_button(T::KeyMember, Input::F(2)),
            self.key_button(T::KeyQty, Input::F(3)),
            self.key_button(T::KeyRemove, Input::F(6)),
            self.key_button(T::KeyVoid, Input::F(7)),
            self.key_button(T::KeyHold, Input::F(8)),
        ]
        .spacing(6);
        let keys2 = row![
            self.key_button(T::KeyMenu, Input::F(1)),
            self.key_button(T::KeyX, Input::F(9)),
            self.key_button(T::KeyClose, Input::F(10)),
            self.key_button(T::KeyLock, Input::F(11)),
            self.key_button(T::KeyLang, Input::F(12)),
        ]
        .spacing(6);
        column![
            container(text(member).size(18)).padding(8).width(Length::Fill).style(container::bordered_box),
            row![
                container(scrollable(lines)).width(Length::FillPortion(5)).height(Length::Fill),
                container(totals).width(Length::FillPortion(2)).padding(8),
            ]
            .height(Length::Fill),
            text(self.t(hint)).size(16),
            container(text(format!("> {shown}▏")).size(24))
                .padding(8)
                .width(Length::Fill)
                .style(container::bordered_box),
            pay,
            keys,
            keys2,
        ]
        .spacing(8)
        .into()
    }

    fn report_view(&self, title: T, r: &ShiftReport, z: Option<u32>) -> Element<'_, Message> {
        let title = match z {
            Some(n) => format!("{} #{n}", self.t(title)),
            None => self.t(title).to_owned(),
        };
        let mut figures = vec![
            (T::Float, r.float.to_string()),
            (T::SalesCount, r.sales_count.to_string()),
            (T::Net, r.net.to_string()),
            (T::Expected, r.expected.to_string()),
        ];
        if let (Some(counted), Some(os)) = (r.counted, r.over_short) {
            figures.push((T::Counted, counted.to_string()));
            figures.push((T::OverShort, os.to_string()));
        }
        let mut c = column![text(title).size(28)].spacing(6);
        for (t, v) in figures {
            c = c.push(text(format!("{}: {v}", self.t(t))).size(20));
        }
        c.push(self.key_button(T::Back, Input::Escape)).into()
    }

    fn return_view(&self, ctx: &ReturnContext) -> Element<'_, Message> {
        let mut c = column![
            text(format!("{} {}", self.t(T::ReturnTitle), ctx.sale.receipt_no)).size(28),
            text(self.t(T::ReturnHint)).size(16),
        ]
        .spacing(6);
        for (i, l) in ctx.sale.lines.iter().enumerate() {
            let left = ctx.returnable.get(i).copied().unwrap_or_default();
            c = c.push(
                text(format!(
                    "{}. {}  {} × {}  = {}   ({} {})",
                    i + 1,
                    l.item.name,
                    l.priced.qty.display(),
                    l.priced.unit,
                    l.net,
                    self.t(T::Returnable),
                    left.display()
                ))
                .size(18),
            );
        }
        c = c.push(container(text(format!("> {}▏", self.entry)).size(24)).padding(8).style(container::bordered_box));
        c.push(self.key_button(T::Back, Input::Escape)).into()
    }

    fn menu_view(&self) -> Element<'_, Message> {
        let items = [
            (T::PaidIn, 1),
            (T::PaidOut, 2),
            (T::NoSale, 3),
            (T::Reprint, 4),
            (T::Enrol, 5),
            (T::DayEndTitle, 6),
            (T::SyncTitle, 7),
            (T::Settings, 8),
        ];
        let mut c = column![text(self.t(T::MenuTitle)).size(28)].spacing(8);
        for (t, n) in items {
            c = c.push(
                button(text(format!("{n}  {}  F{n}", self.t(t))).size(18))
                    .padding([10, 14])
                    .on_press(Message::Key(Input::F(n), Instant::now())),
            );
        }
        c.push(self.key_button(T::Back, Input::Escape)).into()
    }

    fn list_view(&self, title: T, lines: Vec<String>, hint: Option<T>) -> Element<'_, Message> {
        let mut c = column![text(self.t(title)).size(28)].spacing(6);
        if let Some(h) = hint {
            c = c.push(text(self.t(h)).size(16));
        }
        for l in lines {
            c = c.push(text(l).size(18));
        }
        if hint.is_some() {
            c = c
                .push(container(text(format!("> {}▏", self.entry)).size(24)).padding(8).style(container::bordered_box));
        }
        c.push(self.key_button(T::Back, Input::Escape)).into()
    }

    fn demo_view<'a>(&'a self, demo: &'a DemoPanel) -> Element<'a, Message> {
        let mut products = column![text(self.t(T::ScanProduct)).size(16)].spacing(4);
        for (name, code) in &demo.products {
            products = products.push(
                button(text(format!("{name}  {code}")).size(13))
                    .style(button::secondary)
                    .on_press(Message::Sim(SimAction::Scan(code.clone()))),
            );
        }
        let mut members = column![text(self.t(T::SwipeMember)).size(16)].spacing(4);
        for (name, code) in &demo.members {
            members = members.push(
                button(text(format!("{name}  {code}")).size(13))
                    .style(button::secondary)
                    .on_press(Message::Sim(SimAction::SwipeMember(code.clone()))),
            );
        }
        let printer = if self.devices.paper_out {
            button(text(self.t(T::FixPrinter)).size(13)).on_press(Message::Sim(SimAction::PaperOut(false)))
        } else {
            button(text(self.t(T::JamPrinter)).size(13))
                .style(button::danger)
                .on_press(Message::Sim(SimAction::PaperOut(true)))
        };
        let paper = demo.paper.last().cloned().unwrap_or_default();
        column![
            text(self.t(T::Simulator)).size(20),
            scrollable(products).height(Length::FillPortion(2)),
            members,
            row![
                button(text(self.t(T::SwipeBank)).size(13))
                    .style(button::danger)
                    .on_press(Message::Sim(SimAction::SwipeBankCard)),
                printer
            ]
            .spacing(6),
            text(self.t(T::PrintedPaper)).size(16),
            container(scrollable(text(paper).size(11).font(Font::MONOSPACE).width(Length::Fill)).width(Length::Fill))
                .padding(8)
                .height(Length::FillPortion(3))
                .width(Length::Fill)
                .style(container::bordered_box),
        ]
        .spacing(8)
        .into()
    }

    /// The text of the last receipt, as the printer lays it out.
    pub fn last_receipt_text(&self) -> Option<String> {
        self.last_receipt.as_ref().map(|r| r.text(PaperWidth::Mm80))
    }
}

/// The picks a cashier typed on the return screen: line numbers (`1 3`), or `*` for everything
/// still returnable; each picked line returns all that is left of it.
pub fn picks_of(ctx: &ReturnContext, typed: &str) -> Vec<ReturnPick> {
    let all = typed.trim() == "*";
    ctx.returnable
        .iter()
        .enumerate()
        .filter(|(i, left)| {
            left.0 > 0 && (all || typed.split([' ', ',']).any(|w| w.trim().parse::<usize>().ok() == Some(i + 1)))
        })
        .map(|(line, left)| ReturnPick { line, qty: *left })
        .collect()
}

/// A stream of a receiver's messages, for `Subscription::run_with`.
fn receiver_stream<E: Send + 'static>(
    rx: Option<tokio::sync::mpsc::Receiver<E>>,
    wrap: fn(E) -> Message,
) -> impl iced::futures::Stream<Item = Message> {
    iced::stream::channel(64, async move |mut out: iced::futures::channel::mpsc::Sender<Message>| {
        use iced::futures::SinkExt;
        let Some(mut rx) = rx else { return };
        while let Some(e) = rx.recv().await {
            if out.send(wrap(e)).await.is_err() {
                return;
            }
        }
    })
}

/// A key as the till reads it.
pub fn to_input(key: &keyboard::Key, text: Option<&str>) -> Option<Input> {
    match key {
        keyboard::Key::Named(n) => match n {
            Named::Enter => Some(Input::Enter),
            Named::Backspace => Some(Input::Backspace),
            Named::Escape => Some(Input::Escape),
            Named::Tab => Some(Input::Tab),
            Named::Space => Some(Input::Char(' ')),
            Named::F1 => Some(Input::F(1)),
            Named::F2 => Some(Input::F(2)),
            Named::F3 => Some(Input::F(3)),
            Named::F4 => Some(Input::F(4)),
            Named::F5 => Some(Input::F(5)),
            Named::F6 => Some(Input::F(6)),
            Named::F7 => Some(Input::F(7)),
            Named::F8 => Some(Input::F(8)),
            Named::F9 => Some(Input::F(9)),
            Named::F10 => Some(Input::F(10)),
            Named::F11 => Some(Input::F(11)),
            Named::F12 => Some(Input::F(12)),
            // Points and stored value have no F-key of their own: Page Up and Page Down.
            Named::PageUp => Some(Input::F(13)),
            Named::PageDown => Some(Input::F(14)),
            _ => None,
        },
        _ => text.and_then(|t| t.chars().next()).filter(|c| !c.is_control()).map(Input::Char),
    }
}
