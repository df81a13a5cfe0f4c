//! The login screen with its PIN pad, and the lock screen.

use std::time::Instant;

use iced::Element;
use iced::widget::{button, column, row, text};

use super::i18n::T;
use super::{App, Input, Message};

impl App {
    pub(super) fn login_view(&self) -> Element<'_, Message> {
        // Who is signing in stays on its own line, apart from the PIN's dots.
        let (who, pin) = match &self.login {
            None => (format!("{}: {}", self.t(T::Login), self.entry), String::new()),
            Some(l) => (
                match &self.login_name {
                    Some(name) => format!("{}: {l}  {name}", self.t(T::Login)),
                    None => format!("{}: {l}", self.t(T::Login)),
                },
                format!("{}: {}", self.t(T::Pin), "•".repeat(self.entry.chars().count())),
            ),
        };
        let title = if self.back_office { T::ManagerLoginTitle } else { T::LoginTitle };
        let pad = |k: &'static str| {
            let c = k.chars().next().unwrap_or('0');
            button(text(k).size(28))
                .width(80)
                .height(68)
                .padding(16)
                .on_press(Message::Key(Input::Char(c), Instant::now()))
        };
        let wide = |t: T, input: Input| {
            button(text(self.t(t)).size(18)).height(68).padding([22, 14]).on_press(Message::Key(input, Instant::now()))
        };
        column![
            text(self.t(title)).size(32),
            text(self.t(T::LoginPrompt)).size(16),
            text(who).size(24),
            text(pin).size(24),
            row![pad("1"), pad("2"), pad("3")].spacing(8),
            row![pad("4"), pad("5"), pad("6")].spacing(8),
            row![pad("7"), pad("8"), pad("9")].spacing(8),
            // The 0 sits in line with the keys beside it, all one height.
            row![wide(T::Clear, Input::Escape), pad("0"), wide(T::SignIn, Input::Enter)].spacing(8),
            text(self.t(T::LoginMenuHint)).size(14),
        ]
        .spacing(10)
        .into()
    }

    pub(super) fn prompt_view(&self, title: T, shown: String) -> Element<'_, Message> {
        column![text(self.t(title)).size(28), text(shown).size(28)].spacing(12).into()
    }
}
