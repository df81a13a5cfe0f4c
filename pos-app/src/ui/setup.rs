//! First start: HQ's address and the one-time enrolment code (the catalog download shows its
//! progress), then the devices: a serial port for each, a test print and a test scan, saved to
//! the till's config file. Then the till opens.

use std::path::PathBuf;
use std::time::Instant;

use device_drivers::card_reader::CardReaderConfig;
use device_drivers::config::SerialSettings;
use device_drivers::printer::PrinterConfig;
use device_drivers::scanner::ScannerConfig;
use device_drivers::transport::{Endpoint, PortInfo};
use iced::widget::{button, column, container, progress_bar, row, text};
use iced::{Element, Length, Task};

use super::i18n::T;
use super::{App, Input, Message, Screen, Slot, Tone, boot};
use crate::config::TillConfig;

/// Where the setup is.
#[derive(Clone, Debug, Default)]
pub struct SetupState {
    pub db: PathBuf,
    pub hq_url: String,
    pub code: String,
    /// 0: the HQ address, 1: the code.
    pub field: usize,
    pub enrolling: bool,
    pub progress: Option<(u64, u64)>,
    pub ports: Vec<PortInfo>,
    /// The port (index into `ports`) of the scanner, card reader and printer.
    pub assign: [Option<usize>; 3],
    pub device: usize,
    /// The devices configured before (the settings of a running till).
    pub current: TillConfig,
}

/// What the background work of the setup reports.
#[derive(Clone, Debug)]
pub enum SetupEvent {
    Progress(u64, u64),
    Enrolled(Result<(), String>),
    Ports(Vec<PortInfo>),
    Tested(Result<String, String>),
    Ready(Slot<Result<boot::Running, String>>),
    Saved,
    /// A running till's settings: its config file and this machine's ports.
    Opened(Result<Box<TillConfig>, String>, Vec<PortInfo>),
}

const DEVICES: [T; 3] = [T::Scanner, T::CardReader, T::Printer];

impl App {
    /// A till not enrolled yet: the app starts on the HQ screen.
    pub fn first_start(db: PathBuf, lang: shared::lang::Lang) -> App {
        let mut app = App::idle(lang);
        app.setup = Some(SetupState { db, hq_url: "http://".into(), ..SetupState::default() });
        app.screen = Screen::SetupHq;
        app
    }

    pub(super) fn setup_key(&mut self, input: Input) -> Task<Message> {
        let Some(s) = self.setup.as_mut() else { return Task::none() };
        match (&self.screen, input) {
            (Screen::SetupHq, _) if s.enrolling => Task::none(),
            (Screen::SetupHq, Input::Char(c)) => {
                let f = if s.field == 0 { &mut s.hq_url } else { &mut s.code };
                if f.len() < 200 {
                    f.push(c);
                }
                Task::none()
            }
            (Screen::SetupHq, Input::Backspace) => {
                if s.field == 0 {
                    s.hq_url.pop()
                } else {
                    s.code.pop()
                };
                Task::none()
            }
            (Screen::SetupHq, Input::Escape) => {
                if s.field == 0 {
                    s.hq_url.clear()
                } else {
                    s.code.clear()
                };
                Task::none()
            }
            (Screen::SetupHq, Input::Tab) => {
                s.field = 1 - s.field;
                Task::none()
            }
            (Screen::SetupHq, Input::Enter) if s.field == 0 => {
                s.field = 1;
                Task::none()
            }
            (Screen::SetupHq, Input::Enter) => {
                if s.code.trim().is_empty() {
                    return Task::none();
                }
                s.enrolling = true;
                s.progress = None;
                let (url, code, db) = (s.hq_url.trim().to_owned(), s.code.trim().to_owned(), s.db.clone());
                self.status = None;
                Task::stream(iced::stream::channel(64, async move |mut out| {
                    use iced::futures::SinkExt;
                    let mut tx = out.clone();
                    let name = std::env::var("HOSTNAME").unwrap_or_else(|_| "till".into());
                    let result = crate::sync::enrol(&url, &code, &name, &db, move |done, of| {
                        let _ = tx.try_send(Message::Setup(SetupEvent::Progress(done, of)));
                    })
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string());
                    let _ = out.send(Message::Setup(SetupEvent::Enrolled(result))).await;
                }))
            }
            (Screen::SetupDevices, Input::Escape) if self.engine.is_some() => {
                self.setup = None;
                self.screen = Screen::Sale(super::Prompt::Scan);
                Task::none()
            }
            (Screen::SetupDevices, Input::Tab) => {
                s.device = (s.device + 1) % DEVICES.len();
                Task::none()
            }
            (Screen::SetupDevices, Input::Char(c)) if c.is_ascii_digit() => {
                let n = c.to_digit(10).unwrap_or(0) as usize;
                s.assign[s.device] = n.checked_sub(1).filter(|i| *i < s.ports.len());
                Task::none()
            }
            (Screen::SetupDevices, Input::F(5)) => match self.device_config().printer {
                Some(p) => {
                    Task::perform(blocking(move || boot::test_print(p)), |r| Message::Setup(SetupEvent::Tested(r)))
                }
                None => Task::none(),
            },
            (Screen::SetupDevices, Input::F(6)) => match self.device_config().scanner {
                Some(c) => {
                    Task::perform(blocking(move || boot::test_scan(c)), |r| Message::Setup(SetupEvent::Tested(r)))
                }
                None => Task::none(),
            },
            (Screen::SetupDevices, Input::F(9)) => {
                Task::perform(blocking(boot::ports), |p| Message::Setup(SetupEvent::Ports(p)))
            }
            (Screen::SetupDevices, Input::Enter) => {
                let db = s.db.clone();
                let config = self.device_config();
                // The file and the devices are opened off the UI thread.
                let work = move || {
                    config.save(&TillConfig::path_for(&db)).map_err(|e| e.to_string())?;
                    boot::open_enrolled(&db, &config)
                };
                Task::perform(blocking(work), |r| Message::Setup(SetupEvent::Ready(Slot::new("running", r))))
            }
            _ => Task::none(),
        }
    }

    /// The settings of a running till (manager menu 8): its devices, on the device setup screen.
    pub(super) fn open_settings(&mut self) -> Task<Message> {
        let Some(db) = self.db.clone() else {
            self.say(Tone::Info, self.t(T::DemoDevices));
            return Task::none();
        };
        let path = TillConfig::path_for(&db);
        self.setup = Some(SetupState { db, ..SetupState::default() });
        self.screen = Screen::SetupDevices;
        // Read off the UI thread; a config file that does not parse is reported, not overwritten.
        Task::perform(
            blocking(move || (TillConfig::load(&path).map(Box::new).map_err(|e| e.to_string()), boot::ports())),
            |(c, p)| Message::Setup(SetupEvent::Opened(c, p)),
        )
    }

    /// Keeps the language chosen with F12 in the till's config file.
    pub(super) fn save_language(&self) -> Task<Message> {
        let Some(db) = self.db.clone() else { return Task::none() };
        let lang = self.lang;
        Task::perform(
            blocking(move || {
                let path = TillConfig::path_for(&db);
                let mut config = TillConfig::load(&path).map_err(|e| e.to_string())?;
                config.lang = Some(lang);
                config.save(&path).map_err(|e| e.to_string())
            }),
            |r| match r {
                Ok(()) => Message::Setup(SetupEvent::Saved),
                Err(e) => Message::Setup(SetupEvent::Tested(Err(e))),
            },
        )
    }

    /// The config the device screen describes.
    fn device_config(&self) -> TillConfig {
        let Some(s) = &self.setup else { return TillConfig::default() };
        let port = |i: usize| s.assign[i].and_then(|p| s.ports.get(p)).map(|p| SerialSettings::new(p.path.clone()));
        TillConfig {
            lang: Some(self.lang),
            scanner: port(0).map(|port| ScannerConfig { port, ..ScannerConfig::default() }),
            card_reader: port(1).map(|port| CardReaderConfig { port, ..CardReaderConfig::default() }),
            printer: port(2).map(|p| PrinterConfig { endpoint: Endpoint::Serial(p), ..PrinterConfig::default() }),
            display: s.current.display.clone(),
            // Set in till.toml (the setup screen assigns the scanner, card reader and printer).
            payment_terminal: s.current.payment_terminal.clone(),
        }
    }

    pub(super) fn setup_event(&mut self, e: SetupEvent) -> Task<Message> {
        let not_listed = self.t(T::NotListed);
        let Some(s) = self.setup.as_mut() else { return Task::none() };
        match e {
            SetupEvent::Progress(done, of) => s.progress = Some((done, of)),
            SetupEvent::Saved => {}
            SetupEvent::Enrolled(Ok(())) => {
                s.enrolling = false;
                self.screen = Screen::SetupDevices;
                self.say(Tone::Good, self.t(T::Enrolled));
                return Task::perform(blocking(boot::ports), |p| Message::Setup(SetupEvent::Ports(p)));
            }
            SetupEvent::Enrolled(Err(why)) => {
                s.enrolling = false;
                // A half-written database would make the next try fail: start clean.
                let _ = std::fs::remove_file(&s.db);
                let hint = if why.contains("401") || why.to_lowercase().contains("code") {
                    self.t(T::BadCode)
                } else {
                    self.t(T::HqUnreachable)
                };
                self.say(Tone::Bad, format!("{hint} ({why})"));
            }
            SetupEvent::Opened(Err(why), _) => {
                self.setup = None;
                self.screen = Screen::Sale(super::Prompt::Scan);
                self.say(Tone::Bad, why);
            }
            SetupEvent::Opened(Ok(current), p) => {
                s.current = *current;
                return self.setup_event(SetupEvent::Ports(p));
            }
            SetupEvent::Ports(mut p) => {
                // A running till's settings start from the ports it uses. A port the machine does
                // not list (a built-in port the enumeration misses, an adapter unplugged for now)
                // is kept, marked, so saving the settings does not drop the device.
                let c = &s.current;
                let paths = [
                    c.scanner.as_ref().map(|d| d.port.path.clone()),
                    c.card_reader.as_ref().map(|d| d.port.path.clone()),
                    c.printer.as_ref().and_then(|d| match &d.endpoint {
                        Endpoint::Serial(p) => Some(p.path.clone()),
                        _ => None,
                    }),
                ];
                for path in paths.iter().flatten() {
                    if !p.iter().any(|port| &port.path == path) {
                        p.push(PortInfo { path: path.clone(), description: not_listed.to_owned() });
                    }
                }
                for (i, path) in paths.iter().enumerate() {
                    if s.assign[i].is_none() {
                        s.assign[i] = path.as_ref().and_then(|path| p.iter().position(|port| &port.path == path));
                    }
                }
                s.ports = p;
            }
            SetupEvent::Tested(Ok(what)) => self.say(Tone::Good, format!("{} {what}", self.t(T::TestOk))),
            SetupEvent::Tested(Err(why)) => self.say(Tone::Bad, format!("{} {why}", self.t(T::TestFailed))),
            SetupEvent::Ready(slot) => match slot.take() {
                Some(Ok(running)) => {
                    let was_running = self.engine.is_some();
                    self.setup = None;
                    self.run(running);
                    self.screen = Screen::Login;
                    if was_running {
                        self.say(Tone::Good, self.t(T::Saved));
                    }
                }
                Some(Err(why)) => self.say(Tone::Bad, why),
                None => {}
            },
        }
        Task::none()
    }

    pub(super) fn setup_view(&self) -> Element<'_, Message> {
        let Some(s) = &self.setup else { return text("").into() };
        match self.screen {
            Screen::SetupHq => {
                let mark = |i: usize| if s.field == i { "▶ " } else { "  " };
                let mut c = column![
                    text(self.t(T::SetupTitle)).size(30),
                    text(self.t(T::SetupHint)).size(16),
                    text(format!("{}{}: {}", mark(0), self.t(T::HqAddress), s.hq_url)).size(22),
                    text(format!("{}{}: {}", mark(1), self.t(T::EnrolCode), s.code)).size(22),
                ]
                .spacing(10);
                if s.enrolling {
                    let (done, of) = s.progress.unwrap_or((0, 0));
                    c = c.push(text(format!("{} {done} / {of}", self.t(T::Downloading))).size(16));
                    let share = if of > 0 { done as f32 / of as f32 } else { 0.0 };
                    c = c.push(progress_bar(0.0..=1.0, share));
                } else {
                    c = c.push(
                        button(text(self.t(T::EnrolTill)).size(18))
                            .padding([10, 14])
                            .on_press(Message::Key(Input::Enter, Instant::now())),
                    );
                }
                c.into()
            }
            _ => {
                let mut c =
                    column![text(self.t(T::DevicesTitle)).size(30), text(self.t(T::DevicesHint)).size(16)].spacing(8);
                for (i, p) in s.ports.iter().enumerate() {
                    c = c.push(text(format!("{}. {}  {}", i + 1, p.path, p.description)).size(16));
                }
                if s.ports.is_empty() {
                    c = c.push(text(self.t(T::NoPorts)).size(16));
                }
                for (i, d) in DEVICES.iter().enumerate() {
                    let mark = if s.device == i { "▶ " } else { "  " };
                    let port = s.assign[i].and_then(|p| s.ports.get(p)).map_or("—", |p| p.path.as_str());
                    c = c.push(text(format!("{mark}{}: {port}", self.t(*d))).size(22));
                }
                c.push(
                    row![
                        self.key_button(T::TestPrint, Input::F(5)),
                        self.key_button(T::TestScan, Input::F(6)),
                        self.key_button(T::Rescan, Input::F(9)),
                        self.key_button(T::SaveStart, Input::Enter),
                    ]
                    .spacing(8),
                )
                .push(if self.engine.is_some() { self.key_button(T::Back, Input::Escape) } else { text("").into() })
                .push(container(text("")).height(Length::Fill))
                .into()
            }
        }
    }
}

/// Runs blocking work on tokio's blocking pool, for `Task::perform`.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(t) => t,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}
