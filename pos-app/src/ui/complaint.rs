//! The complaint screen (投诉, manager's menu F10 or 0): the category by its number, the receipt
//! (this till's last one to start with), the member on the sale (F2 leaves them out), and what the
//! customer says, typed in a text field that takes the platform's input method, so Chinese is
//! typed as anywhere else. Enter saves: the engine keeps it on disk for HQ and the sync task sends
//! it. Escape goes back to the menu; what was typed stays until then.
//!
//! While a text field has the focus, the keys it takes are its own: the key subscription
//! ([`super::sources`]) drops a key event a widget captured, so typing never reaches the till's
//! global keys (only Escape does, to leave the screen).

use std::time::{Duration, Instant};

use iced::widget::{Id, button, column, container, row, text, text_input};
use iced::{Element, Task};
use shared::complaints::TEXT_MAX;

use super::i18n::T;
use super::worker::Command;
use super::{App, Input, Message, Screen, Tone};
use crate::engine::{ComplaintDraft, ComplaintForm};

/// The text field of what the customer says.
pub const TEXT_FIELD: &str = "complaint-text";
/// The receipt number's field.
pub const RECEIPT_FIELD: &str = "complaint-receipt";

/// The complaint being typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ComplaintScreen {
    pub form: ComplaintForm,
    /// The category picked (its id).
    pub category: Option<i64>,
    pub receipt: String,
    /// Whether the member on the sale is named in the complaint.
    pub with_member: bool,
    pub text: String,
    /// When the last key no field took came: a digit right after another key (a keyboard-wedge
    /// scanner's burst, a receipt's `B001-01-…`) is not a choice of category.
    pub last_key: Option<Instant>,
}

/// What the complaint screen's widgets say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ComplaintMsg {
    Pick(i64),
    Receipt(String),
    Text(String),
    Save,
}

impl ComplaintScreen {
    pub fn new(form: ComplaintForm) -> ComplaintScreen {
        let receipt = form.last_receipt.clone().unwrap_or_default();
        let with_member = form.member.is_some();
        ComplaintScreen { form, category: None, receipt, with_member, text: String::new(), last_key: None }
    }

    /// What to send, or what to say first (nothing is sent then).
    pub fn draft(&self) -> Result<ComplaintDraft, T> {
        let category = self.category.ok_or(T::ComplaintPickCategory)?;
        if self.text.trim().is_empty() {
            return Err(T::ComplaintWriteText);
        }
        if self.text.chars().count() > TEXT_MAX {
            return Err(T::ComplaintTooLong);
        }
        let receipt = self.receipt.trim();
        if !receipt.is_empty() && shared::complaints::receipt_no(receipt).is_err() {
            return Err(T::ComplaintBadReceipt);
        }
        Ok(ComplaintDraft {
            category,
            receipt_no: (!receipt.is_empty()).then(|| receipt.to_owned()),
            member: self.form.member.as_ref().filter(|_| self.with_member).map(|(id, _)| *id),
            text: self.text.clone(),
        })
    }
}

impl App {
    /// The menu's entry: asks the engine what the screen offers.
    pub(super) fn open_complaint(&mut self) {
        self.screen = Screen::Menu;
        self.send(Command::ComplaintForm);
    }

    /// The engine's answer: the screen opens (or says there is nothing to pick from).
    pub(super) fn complaint_form(&mut self, form: ComplaintForm) {
        if form.categories.is_empty() {
            self.say(Tone::Bad, self.t(T::ComplaintNoCategories));
        } else {
            self.screen = Screen::Complaint(Box::new(ComplaintScreen::new(form)));
        }
    }

    /// The complaint kept for HQ: back where the manager came from, and the status line says so.
    pub(super) fn complaint_queued(&mut self, waiting: u64) {
        self.say(Tone::Good, format!("{} {waiting}", self.t(T::ComplaintQueued)));
        self.screen = if self.back_office { Screen::Menu } else { Screen::Sale(super::Prompt::Scan) };
    }

    pub(super) fn complaint_message(&mut self, m: ComplaintMsg) -> Task<Message> {
        let Screen::Complaint(c) = &mut self.screen else { return Task::none() };
        match m {
            ComplaintMsg::Pick(id) => {
                c.category = Some(id);
                return iced::widget::operation::focus(Id::new(TEXT_FIELD));
            }
            ComplaintMsg::Receipt(r) => c.receipt = r.chars().filter(|c| !c.is_whitespace()).take(24).collect(),
            ComplaintMsg::Text(t) => c.text = t,
            ComplaintMsg::Save => match c.draft() {
                Ok(draft) => {
                    self.status = None;
                    self.send(Command::RecordComplaint(draft));
                }
                Err(why) => self.say(Tone::Bad, self.t(why)),
            },
        }
        Task::none()
    }

    /// A key no text field took: a category's number, Tab to a field, F2 for the member, Enter
    /// saves, Escape goes back. A scanner's burst is the wedge detector's (its receipt number fills
    /// the receipt): none of its digits picks a category.
    pub(super) fn complaint_key(&mut self, input: Input, at: Instant) -> Task<Message> {
        let Screen::Complaint(c) = &mut self.screen else { return Task::none() };
        let gap = Duration::from_millis(device_drivers::scanner::wedge::WedgeOptions::default().max_gap_ms);
        let burst = c.last_key.is_some_and(|t| at.saturating_duration_since(t) < gap);
        c.last_key = Some(at);
        match input {
            Input::Char(d @ '1'..='9') if !burst => {
                let n = d as usize - '1' as usize;
                if let Some(id) = c.form.categories.get(n).map(|k| k.id) {
                    return self.complaint_message(ComplaintMsg::Pick(id));
                }
            }
            Input::F(2) => c.with_member = !c.with_member && c.form.member.is_some(),
            Input::Tab | Input::Down => return iced::widget::operation::focus_next(),
            Input::Up => return iced::widget::operation::focus_previous(),
            Input::Enter => return self.complaint_message(ComplaintMsg::Save),
            Input::Escape => self.screen = Screen::Menu,
            _ => {}
        }
        Task::none()
    }

    pub(super) fn complaint_view<'a>(&'a self, c: &'a ComplaintScreen) -> Element<'a, Message> {
        let msg = |m: ComplaintMsg| Message::Complaint(m);
        let mut kinds = row![].spacing(8);
        for (i, k) in c.form.categories.iter().enumerate() {
            let label = if i < 9 { format!("{}  {}", i + 1, k.name) } else { k.name.clone() };
            let style = if c.category == Some(k.id) { button::primary } else { button::secondary };
            kinds = kinds.push(
                button(text(label).size(18)).padding([8, 12]).style(style).on_press(msg(ComplaintMsg::Pick(k.id))),
            );
        }
        let picked = c.category.and_then(|id| c.form.categories.iter().find(|k| k.id == id)).map(|k| k.name.as_str());
        let member: Element<'_, Message> = match &c.form.member {
            None => text(self.t(T::ComplaintNoMember)).size(18).into(),
            Some((_, who)) => {
                let (shown, key) = if c.with_member {
                    (format!("{}: {who}", self.t(T::Member)), T::ComplaintDropMember)
                } else {
                    (format!("{}: —", self.t(T::Member)), T::ComplaintKeepMember)
                };
                row![text(shown).size(18), self.key_button(key, Input::F(2))].spacing(12).into()
            }
        };
        let receipt = text_input("B001-01-000123", &c.receipt)
            .id(Id::new(RECEIPT_FIELD))
            .on_input(move |r| msg(ComplaintMsg::Receipt(r)))
            .on_submit(msg(ComplaintMsg::Save))
            .size(20)
            .padding(8)
            .width(320);
        let said = text_input(self.t(T::ComplaintText), &c.text)
            .id(Id::new(TEXT_FIELD))
            .on_input(move |t| msg(ComplaintMsg::Text(t)))
            .on_submit(msg(ComplaintMsg::Save))
            .size(20)
            .padding(8);
        column![
            text(self.t(T::ComplaintTitle)).size(28),
            text(self.t(T::ComplaintHint)).size(16),
            text(format!("{}: {}", self.t(T::ComplaintCategory), picked.unwrap_or("—"))).size(18),
            container(kinds.wrap()).max_width(980),
            row![text(self.t(T::ComplaintReceipt)).size(18), receipt].spacing(12).align_y(iced::Alignment::Center),
            member,
            text(self.t(T::ComplaintText)).size(18),
            said,
            text(format!("{} / {TEXT_MAX}", c.text.chars().count())).size(14),
            row![
                button(text(self.t(T::ComplaintSave)).size(18)).padding([10, 14]).on_press(msg(ComplaintMsg::Save)),
                self.key_button(T::Back, Input::Escape)
            ]
            .spacing(12),
        ]
        .spacing(10)
        .into()
    }
}
