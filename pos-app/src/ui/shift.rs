//! Shift screens: the blind cash count (opening float and close) and the X and Z reports.

use iced::Element;
use iced::widget::{column, row, text};
use shared::money::Money;
use shared::receipt::report_rows;
use shared::shift::{CashCount, Denomination, ShiftReport};

use super::i18n::T;
use super::{App, Input, Message, UI_FONT};

impl App {
    /// What this branch counts its drawer in (down to the fen where it does not round cash).
    pub(super) fn denominations(&self) -> &'static [Denomination] {
        Denomination::counted_at(self.snap.cash_rounding)
    }

    pub(super) fn counted(&self) -> CashCount {
        CashCount::new(self.denominations().iter().copied().zip(self.count))
    }

    pub(super) fn count_view(&self, title: T, hint: T, done: T) -> Element<'_, Message> {
        let mut rows = column![text(self.t(title)).size(28), text(self.t(hint)).size(16)].spacing(3);
        for (i, d) in self.denominations().iter().enumerate() {
            let marker = if i == self.count_field { "▶" } else { "  " };
            let line = format!(
                "{marker} {:<6} × {:>5} = {}",
                d.label(),
                self.count[i],
                Money(d.value().0 * i64::from(self.count[i]))
            );
            rows = rows.push(text(line).size(18).font(UI_FONT));
        }
        rows = rows.push(text(format!("{} {}", self.t(T::Total), self.counted().total())).size(24));
        rows.push(row![self.key_button(done, Input::Enter), self.key_button(T::Back, Input::Escape)].spacing(8)).into()
    }

    pub(super) fn report_view(&self, title: T, r: &ShiftReport, z: Option<u32>) -> Element<'_, Message> {
        let title = match z {
            Some(n) => format!("{} #{n}", self.t(title)),
            None => self.t(title).to_owned(),
        };
        // The expected cash is for a manager: a cashier counts blind.
        let with_expected = self.snap.staff.as_ref().is_some_and(|s| s.can_approve());
        let mut c = column![text(title).size(28)].spacing(2);
        for (label, value) in report_rows(r, self.lang, with_expected) {
            c = c.push(text(format!("{label}: {value}")).size(17));
        }
        let mut keys = row![self.key_button(T::Back, Input::Escape)].spacing(8);
        if z.is_some() {
            keys = row![self.key_button(T::ZPrinted, Input::Enter)].spacing(8);
        }
        c.push(keys).into()
    }
}
