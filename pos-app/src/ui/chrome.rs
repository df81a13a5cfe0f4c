//! What frames every screen: the status bar (branch, cashier, HQ, devices), the status line,
//! the keys, and the demo's simulator panel.

use std::time::Instant;

use iced::widget::{button, column, container, row, scrollable, space, text};
use iced::{Element, Font, Length, Point, Size, Task, window};

use super::i18n::T;
use super::{App, DemoPanel, Input, Message, SimAction, Tone};
use crate::printing::PrinterState;
use device_drivers::printer::PrinterProblem;

/// The size the till's window opens at: a 1366×768 screen's.
pub const WINDOW: Size = Size::new(1366.0, 768.0);
/// The smallest screen the till is laid out for.
pub const SMALLEST_SCREEN: Size = Size::new(1024.0, 768.0);

/// The window's size on a screen of `screen`: the whole screen when it is smaller than the window
/// (a till whose X has no window manager to maximize it would otherwise run off a 1024×768
/// screen), else as it is.
pub fn fitted(window: Size, screen: Option<Size>) -> Option<Size> {
    let screen = screen?;
    (screen.width < window.width || screen.height < window.height)
        .then(|| Size::new(screen.width.max(SMALLEST_SCREEN.width), screen.height.max(SMALLEST_SCREEN.height)))
}

/// Fits the till's window to its screen at start (see [`fitted`]), in its top left corner.
pub fn fit_window_to_screen() -> Task<Message> {
    window::oldest().and_then(|id| {
        window::monitor_size(id).then(move |screen| match fitted(WINDOW, screen) {
            Some(size) => window::resize(id, size).chain(window::move_to(id, Point::ORIGIN)),
            None => Task::none(),
        })
    })
}

impl App {
    /// The printer's real state in the cashier's words.
    fn printer_words(&self) -> &'static str {
        match self.devices.printer {
            PrinterState::Unknown => "—",
            PrinterState::Ready => self.t(T::Connected),
            PrinterState::Disconnected => self.t(T::Disconnected),
            PrinterState::Problem(PrinterProblem::PaperEnd) => self.t(T::NoPaper),
            PrinterState::Problem(PrinterProblem::CoverOpen) => self.t(T::CoverOpen),
            PrinterState::Problem(_) => self.t(T::PrinterError),
        }
    }

    pub(super) fn key_button(&self, t: T, input: Input) -> Element<'_, Message> {
        button(text(self.t(t)).size(16)).padding([10, 14]).on_press(Message::Key(input, Instant::now())).into()
    }

    /// A touch-size key for payment.
    pub(super) fn big_button(&self, t: T, input: Input) -> Element<'_, Message> {
        button(text(self.t(t)).size(20)).padding([16, 22]).on_press(Message::Key(input, Instant::now())).into()
    }

    pub(super) fn status_bar(&self) -> Element<'_, Message> {
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
                text(format!("{} {}", self.t(T::Printer), self.printer_words())).size(14),
                link(T::CardReader, self.devices.cards),
            ]
            .spacing(10),
        )
        .padding(8)
        .style(container::rounded_box)
        .into()
    }

    pub(super) fn status_line(&self) -> Element<'_, Message> {
        let Some((tone, s)) = &self.status else { return container(text(" ")).padding(8).into() };
        let style = match tone {
            Tone::Bad => container::danger,
            Tone::Good => container::success,
            Tone::Info => container::secondary,
        };
        container(text(s.clone()).size(20)).padding(10).width(Length::Fill).style(style).into()
    }

    pub(super) fn demo_view<'a>(&'a self, demo: &'a DemoPanel) -> Element<'a, Message> {
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
        let printer = if matches!(self.devices.printer, PrinterState::Problem(_)) {
            button(text(self.t(T::FixPrinter)).size(13)).on_press(Message::Sim(SimAction::PaperOut(false)))
        } else {
            button(text(self.t(T::JamPrinter)).size(13))
                .style(button::danger)
                .on_press(Message::Sim(SimAction::PaperOut(true)))
        };
        let paper = demo.paper.last().cloned().unwrap_or_default();
        column![
            text(self.t(T::Simulator)).size(20),
            // Room on the right for the scroll bar, which is drawn over the list.
            scrollable(container(products).padding(iced::Padding::ZERO.right(12))).height(Length::FillPortion(2)),
            members,
            row![
                button(text(self.t(T::SwipeBank)).size(13))
                    .style(button::danger)
                    .on_press(Message::Sim(SimAction::SwipeBankCard)),
                printer
            ]
            .spacing(6),
            text(self.t(T::PrintedPaper)).size(16),
            // An 80 mm receipt's 48 columns across the panel.
            container(
                scrollable(
                    container(text(paper).size(8.5).font(Font::MONOSPACE)).padding(iced::Padding::ZERO.right(10)),
                )
                .width(Length::Fill),
            )
            .padding(8)
            .height(Length::FillPortion(3))
            .width(Length::Fill)
            .style(container::bordered_box),
        ]
        .spacing(8)
        .into()
    }
}
