//! The iced till: screens over the engine. `App::update` decides, the engine thread
//! ([`worker`]) does, device and sync events arrive through subscriptions. Every action has a key;
//! all typing goes to one entry line, so a keyboard-wedge scan is never lost to focus.

pub mod boot;
pub mod chrome;
mod code_pay;
mod complaint;
mod count;
pub mod i18n;
mod login;
mod menu;
mod payment;
mod reply;
mod returns;
mod sale;
pub mod setup;
mod shift;
mod sources;
pub mod worker;

pub use complaint::{ComplaintMsg, ComplaintScreen, RECEIPT_FIELD, TEXT_FIELD};
pub use count::CountScreen;
pub use returns::picks_of;
pub use sources::{Slot, Sources, key_message, to_input};

use std::time::Instant;

use device_drivers::card_reader::CardEvent;
use device_drivers::printer::{PrinterEvent, PrinterProblem};
use device_drivers::scanner::ScannerEvent;
use device_drivers::scanner::wedge::{WedgeDetector, WedgeKey, WedgeOptions};
use iced::widget::{column, container, row, text};
use iced::{Element, Font, Length, Task};
use shared::lang::Lang;
use shared::member::MemberIdentifier;
use shared::money::{Money, Qty};
use shared::receipt::{PaperWidth, Receipt};
use shared::shift::{Denomination, ShiftReport};

use crate::sync::SyncStatus;
use i18n::{ErrorKind, T};
use worker::{Command, Engine, Outcome, Replies, Reply, SaleDone, ScanOutcomeKind, Snapshot};

use crate::engine::HeldSale;
use crate::engine::ProductHit;
use crate::engine::ReturnContext;
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
    Up,
    Down,
    F(u8),
}

/// A question the last key asked, answered by the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirm {
    /// F6 again removes this line.
    RemoveLine(usize),
    /// Enter again sets this large quantity.
    Qty { line: usize, qty: Qty },
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
    /// A sale line touched or clicked.
    SelectLine(usize),
    /// A quick key (goods without a barcode): its number in the snapshot's list.
    QuickKey(usize),
    /// One of the member's coupons picked (its code).
    PickCoupon(String),
    /// A coupon on the sale taken off (its code).
    RemoveCoupon(String),
    /// The demo printer's paper, read back after printing.
    Paper(Vec<String>),
    /// Time to ask HQ again about the payment by code the customer is confirming.
    PollCode,
    /// The cashier gives up on the payment by code (the payment panel's button, or Escape).
    CancelCode,
    Setup(setup::SetupEvent),
    Complaint(ComplaintMsg),
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
    /// The login of a locked-out cashier a manager unlocks.
    UnlockWho,
}

/// Where a return's money goes back other than in cash or stored value: to a payment code
/// (through HQ) or to the card the terminal charged (through the terminal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackTo {
    Code(shared::payment_code::Provider),
    Card,
}

/// An action waiting for a manager's login and PIN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NeedsManager {
    VoidCart,
    Return {
        receipt: String,
        picks: Vec<ReturnPick>,
        /// The sale was paid (in part) by a payment code or by card on the terminal: the money
        /// goes back there, and the cashier is told while the engine waits.
        back_to: Option<BackTo>,
    },
    PaidIn(Money),
    PaidOut(Money),
    NoSale,
    DayEnd,
    /// Lift a cashier's lock-out (their login).
    Unlock(String),
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
    /// Products a search found: the cashier picks one by its number.
    Search(Vec<ProductHit>),
    /// A list to read: HQ's refusals, the day-end summary.
    Info(T, Vec<String>),
    /// A complaint being taken (manager's menu).
    Complaint(Box<ComplaintScreen>),
    /// Counting stock for an open count (manager's menu).
    Count(Box<CountScreen>),
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
    pub printer: crate::printing::PrinterState,
    pub cards: Option<bool>,
}

/// The demo's simulator panel is this wide, beside the till.
const DEMO_PANEL_WIDTH: f32 = 300.0;

/// The demo's side panel: products and members to try.
#[derive(Clone, Debug, Default)]
pub struct DemoPanel {
    pub products: Vec<(String, String)>,
    pub members: Vec<(String, String)>,
    pub actions: Option<std::sync::mpsc::Sender<SimAction>>,
    pub paper: Vec<String>,
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
    /// Whose that login is, once the engine said.
    pub login_name: Option<String>,
    /// A blind count being entered: pieces per denomination, and the field in focus.
    pub count: [u32; Denomination::ALL.len()],
    pub count_field: usize,
    pub status: Option<(Tone, String)>,
    pub last_receipt: Option<Receipt>,
    /// The sale just completed, shown with its change until the next sale starts.
    pub done: Option<SaleDone>,
    pub devices: DeviceState,
    pub sync: SyncStatus,
    pub demo: Option<DemoPanel>,
    /// Commands sent to the engine and not answered yet.
    pub pending: usize,
    pub needs_manager: Option<NeedsManager>,
    /// The sale line picked with the arrows or by touch (`None`: the last).
    pub selected: Option<usize>,
    /// The attached member's coupons HQ listed (Insert), until one is picked or the sale ends.
    pub coupon_choices: Vec<(shared::sync::MemberCoupon, String)>,
    /// The member those coupons are of.
    coupon_choices_for: Option<shared::ids::MemberId>,
    /// A payment by code waiting for the customer to confirm on the phone: the provider, the
    /// amount and the code's mask (polled every second; Escape cancels it).
    pub code_wait: Option<(shared::payment_code::Provider, Money, String)>,
    pub confirm: Option<Confirm>,
    /// A manager signed in from the login screen (F1) to use the menu without a shift: day end,
    /// unlocking a cashier, HQ's refusals, the settings.
    pub back_office: bool,
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
        app.send(Command::RecoverPayments);
        app
    }

    /// An app over a till that is up.
    /// The member HQ knows on the sale in progress, if any.
    fn member_on_sale(&self) -> Option<shared::ids::MemberId> {
        self.snap.cart.as_ref()?.member.as_ref()?.snapshot.as_ref().map(|s| s.id)
    }

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
            login_name: None,
            count: [0; Denomination::ALL.len()],
            count_field: 0,
            status: None,
            last_receipt: None,
            done: None,
            devices: DeviceState::default(),
            sync: SyncStatus::default(),
            demo: None,
            pending: 0,
            needs_manager: None,
            selected: None,
            coupon_choices: Vec::new(),
            coupon_choices_for: None,
            code_wait: None,
            confirm: None,
            back_office: false,
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
        self.send(Command::RecoverPayments);
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
            Message::Complaint(m) => return self.complaint_message(m),
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
            Message::Printer(e) => self.printer_event(&e),
            Message::Sync(s) => self.sync = *s,
            Message::QuickKey(i) => self.quick_key(i),
            Message::PickCoupon(code) => {
                self.coupon_choices.retain(|c| c.0.code != code);
                self.send(Command::AddCoupon(code));
            }
            Message::RemoveCoupon(code) => self.send(Command::RemoveCoupon(code)),
            Message::SelectLine(i) => {
                self.selected = Some(i);
                self.confirm = None;
            }
            Message::Sim(action) => {
                if let Some(tx) = self.demo.as_ref().and_then(|d| d.actions.as_ref()) {
                    let _ = tx.send(action);
                }
            }
            Message::PollCode => self.poll_code(),
            Message::CancelCode => self.cancel_code(),
            Message::Paper(p) => {
                if let Some(d) = &mut self.demo {
                    d.paper = p;
                }
            }
        }
        Task::none()
    }

    /// The printer's state for the status bar; a receipt it could not print is said once, and
    /// its printing again (the watch thread puts it back in the queue) too.
    fn printer_event(&mut self, e: &PrinterEvent) {
        let before = self.devices.printer;
        let followed = crate::printing::follow(before, e);
        self.devices.printer = followed.state;
        if let PrinterEvent::Failed { .. } = e {
            self.say(Tone::Bad, self.t(T::PrintHeld));
        } else if followed.state != before
            && followed.state == crate::printing::PrinterState::Problem(PrinterProblem::PaperEnd)
        {
            self.say(Tone::Bad, self.t(T::PaperOut));
        } else if followed.reprint_held {
            self.say(Tone::Good, self.t(T::PrinterBack));
        }
    }

    fn scan(&mut self, code: String) {
        if matches!(self.screen, Screen::Sale(_)) {
            self.status = None;
            self.scan_on_sale(code);
        } else if let Screen::Complaint(c) = &mut self.screen {
            c.receipt = code;
        } else if matches!(self.screen, Screen::Count(_)) {
            self.count_scan(code);
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
            && matches!(self.screen, Screen::Sale(_) | Screen::Complaint(_) | Screen::Count(_))
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
            _ if matches!(self.screen, Screen::Complaint(_)) => return self.complaint_key(input, at),
            // 0 is the tenth entry (F10).
            Input::Char(c @ '0'..='9') if self.screen == Screen::Menu => {
                return self.menu(if c == '0' { 10 } else { c as u8 - b'0' });
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
        // A new action clears the last message; its own answer says what happened.
        self.status = None;
        let entry = std::mem::take(&mut self.entry);
        match (&self.screen, input) {
            (Screen::Login, Input::Enter) => match self.login.take() {
                None if !entry.is_empty() => {
                    self.login_name = None;
                    self.send(Command::StaffName(entry.clone()));
                    self.login = Some(entry);
                }
                None => {}
                Some(login) => self.send(Command::Login { login, pin: entry }),
            },
            (Screen::Login, Input::Escape) => {
                self.login = None;
                self.back_office = false;
            }
            (Screen::Login, Input::F(1)) => {
                self.back_office = true;
                self.login = None;
            }
            (Screen::Locked, Input::Enter) => self.send(Command::Unlock { pin: entry }),
            (Screen::OpenShift | Screen::CloseShift, Input::Tab | Input::Char('\t')) => {
                self.count_field = (self.count_field + 1) % self.denominations().len();
            }
            (Screen::OpenShift, Input::Enter) => self.send(Command::OpenShift(self.counted())),
            (Screen::OpenShift, Input::Escape) => self.send(Command::Logout),
            (Screen::CloseShift, Input::Enter) => self.send(Command::CloseShift(self.counted())),
            (Screen::CloseShift | Screen::XReport(_), Input::Escape) => self.screen = Screen::Sale(Prompt::Scan),
            (Screen::ZReport(..), Input::Enter | Input::Escape) => {
                self.send(Command::Logout);
                self.screen = Screen::Login;
            }
            (Screen::Info(..) | Screen::Sale(_), Input::Escape) if self.back_office => {
                self.needs_manager = None;
                self.screen = Screen::Menu;
            }
            (Screen::Sale(prompt), input) => self.sale_key(*prompt, input, entry),
            (Screen::Count(_), input) => self.count_key(input, entry),
            (Screen::Return(ctx), Input::Enter) => {
                let picks = picks_of(ctx, &entry);
                if picks.is_empty() {
                    self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang));
                } else {
                    let back_to = ctx.sale.tenders.iter().find_map(|t| match t.kind {
                        shared::sale::TenderKind::WechatPay => {
                            Some(BackTo::Code(shared::payment_code::Provider::Wechat))
                        }
                        shared::sale::TenderKind::Alipay => Some(BackTo::Code(shared::payment_code::Provider::Alipay)),
                        shared::sale::TenderKind::BankCard
                            if t.authorization.as_ref().is_some_and(|a| a.card.is_some()) =>
                        {
                            Some(BackTo::Card)
                        }
                        _ => None,
                    });
                    self.needs_manager =
                        Some(NeedsManager::Return { receipt: ctx.sale.receipt_no.to_string(), picks, back_to });
                    self.screen = Screen::Sale(Prompt::Manager);
                }
            }
            (Screen::Menu, Input::Char(_)) | (Screen::Menu, Input::Enter) => {}
            (Screen::Search(hits), Input::Enter) => {
                let picked = entry.trim().parse::<usize>().ok().and_then(|n| hits.get(n.checked_sub(1)?)).map(|h| h.id);
                match picked {
                    Some(id) => {
                        self.send(Command::AddProduct(id));
                        self.screen = Screen::Sale(Prompt::Scan);
                    }
                    None => self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang)),
                }
            }
            // The sync screen: Enter asks again about the returns waiting on their refunds.
            (Screen::Info(T::SyncTitle, _), Input::Enter) => self.send(Command::RetryReturns),
            (Screen::Held(held), Input::Enter) => {
                let picked =
                    entry.trim().parse::<usize>().ok().and_then(|n| held.get(n.checked_sub(1)?)).map(|h| h.id.clone());
                if let Some(id) = picked {
                    self.send(Command::Recall(id));
                }
                self.screen = Screen::Sale(Prompt::Scan);
            }
            (Screen::Menu, Input::Escape) if self.back_office => {
                self.back_office = false;
                self.send(Command::Logout);
                self.screen = Screen::Login;
            }
            (
                Screen::Return(_) | Screen::Menu | Screen::Held(_) | Screen::Search(_) | Screen::Info(..),
                Input::Escape,
            ) => self.screen = Screen::Sale(Prompt::Scan),
            (Screen::Menu, Input::F(n)) => return self.menu(n),
            _ => {}
        }
        Task::none()
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
            Screen::Search(hits) => self.list_view(
                T::SearchTitle,
                hits.iter().enumerate().map(|(i, h)| self.hit_line(i, h)).collect(),
                Some(T::PickProduct),
            ),
            Screen::Info(title, lines) => self.list_view(*title, lines.clone(), None),
            Screen::Complaint(c) => self.complaint_view(c),
            Screen::Count(c) => self.stock_count_view(c),
        };
        let setup = matches!(self.screen, Screen::SetupHq | Screen::SetupDevices);
        let bar = if setup { container(text("")).into() } else { self.status_bar() };
        let body = column![bar, container(main).height(Length::Fill).padding(12), self.status_line()];
        let mut page = row![container(body).width(Length::Fill)];
        if let Some(demo) = &self.demo {
            // Narrow, so the till beside it keeps the room it has on a 1024×768 screen's.
            page = page.push(container(self.demo_view(demo)).width(DEMO_PANEL_WIDTH).padding(8));
        }
        container(page).width(Length::Fill).height(Length::Fill).into()
    }

    /// The text of the last receipt, as the printer lays it out.
    pub fn last_receipt_text(&self) -> Option<String> {
        self.last_receipt.as_ref().map(|r| r.text(PaperWidth::Mm80))
    }
}
