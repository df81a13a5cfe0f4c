//! The manager's menu (F1) and the list screens (held sales, HQ's refusals, the day end). The
//! complaint screen it opens (F10 or 0) is `complaint`.

use std::time::Instant;

use iced::widget::{button, column, container, text};
use iced::{Element, Task};

use super::i18n::T;
use super::worker::Command;
use super::{App, Input, Message, NeedsManager, Prompt, Screen};

impl App {
    /// The manager's menu: F1 opens it, then a function key picks.
    pub(super) fn menu(&mut self, n: u8) -> Task<Message> {
        self.screen = Screen::Sale(Prompt::Scan);
        let manager_here = self.snap.staff.as_ref().is_some_and(|s| s.can_approve());
        match n {
            1 => self.screen = Screen::Sale(Prompt::PaidIn),
            2 => self.screen = Screen::Sale(Prompt::PaidOut),
            3 => {
                self.needs_manager = Some(NeedsManager::NoSale);
                self.screen = Screen::Sale(Prompt::Manager);
            }
            4 => self.screen = Screen::Sale(Prompt::Reprint),
            5 => self.screen = Screen::Sale(Prompt::EnrolPhone),
            // A manager signed in approves their own day end.
            6 if manager_here => {
                self.screen = Screen::Menu;
                self.send(Command::DayEnd { manager: None });
            }
            6 => {
                self.needs_manager = Some(NeedsManager::DayEnd);
                self.screen = Screen::Sale(Prompt::Manager);
            }
            9 => self.screen = Screen::Sale(Prompt::UnlockWho),
            7 => self.send(Command::Rejected),
            8 => return self.open_settings(),
            10 => self.open_complaint(),
            11 => self.open_count(),
            _ => {}
        }
        Task::none()
    }

    pub(super) fn menu_view(&self) -> Element<'_, Message> {
        let items = [
            (T::PaidIn, 1),
            (T::PaidOut, 2),
            (T::NoSale, 3),
            (T::Reprint, 4),
            (T::Enrol, 5),
            (T::DayEndTitle, 6),
            (T::SyncTitle, 7),
            (T::Settings, 8),
            (T::UnlockCashier, 9),
            (T::ComplaintMenu, 10),
            (T::CountMenu, 11),
        ];
        let mut c = column![text(self.t(T::MenuTitle)).size(28)].spacing(8);
        for (t, n) in items {
            c = c.push(
                // The tenth entry's number key is 0.
                button(
                    text(if n <= 10 {
                        format!("{}  {}  F{n}", n % 10, self.t(t))
                    } else {
                        format!("   {}  F{n}", self.t(t))
                    })
                    .size(18),
                )
                .padding([10, 14])
                .on_press(Message::Key(Input::F(n), Instant::now())),
            );
        }
        c.push(self.key_button(T::Back, Input::Escape)).into()
    }

    pub(super) fn list_view(&self, title: T, lines: Vec<String>, hint: Option<T>) -> Element<'_, Message> {
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
}
