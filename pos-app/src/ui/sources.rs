//! Where the app's outside events come from: the engine's replies, the devices' event channels,
//! the sync task's status and every key press, each an iced subscription over a receiver taken
//! once ([`Slot`]).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use device_drivers::card_reader::CardEvent;
use device_drivers::printer::PrinterEvent;
use device_drivers::scanner::ScannerEvent;
use iced::Subscription;
use iced::keyboard::{self, key::Named};

use super::worker::Replies;
use super::{App, Input, Message};
use crate::sync::SyncStatus;

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

impl App {
    pub fn subscription(&self) -> Subscription<Message> {
        let keys = iced::event::listen_with(key_message);
        let mut subs = vec![keys];
        // While the customer confirms a payment by code on the phone, HQ is asked every second.
        if self.code_wait.is_some() {
            subs.push(iced::time::every(std::time::Duration::from_secs(1)).map(|_| Message::PollCode));
        }
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

/// A key press as the till's message, unless a widget took it: a key typed into a text field (the
/// complaint screen's) is the field's, never the till's too. Escape always reaches the till (a
/// text field only drops its focus on it), so it leaves a screen from inside a field.
pub fn key_message(event: iced::Event, status: iced::event::Status, _window: iced::window::Id) -> Option<Message> {
    match event {
        iced::Event::Keyboard(keyboard::Event::KeyPressed { key, text, .. }) => {
            let escape = key == keyboard::Key::Named(Named::Escape);
            if status == iced::event::Status::Captured && !escape {
                return None;
            }
            to_input(&key, text.as_deref()).map(|i| Message::Key(i, Instant::now()))
        }
        _ => None,
    }
}

/// A key as the till reads it.
pub fn to_input(key: &keyboard::Key, text: Option<&str>) -> Option<Input> {
    match key {
        keyboard::Key::Named(n) => match n {
            Named::Enter => Some(Input::Enter),
            Named::Backspace => Some(Input::Backspace),
            Named::Escape => Some(Input::Escape),
            Named::Tab => Some(Input::Tab),
            Named::ArrowUp => Some(Input::Up),
            Named::ArrowDown => Some(Input::Down),
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
            // The attached member's coupons, to pick from.
            Named::Insert => Some(Input::F(15)),
            _ => None,
        },
        _ => text.and_then(|t| t.chars().next()).filter(|c| !c.is_control()).map(Input::Char),
    }
}
