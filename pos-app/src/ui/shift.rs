//! Shift screens: the blind cash count (opening float and close) and the X and Z reports.

use iced::Element;
use iced::widget::{column, row, text};
use shared::money::Money;
use shared::shift::{CashCount, Denomination, ShiftReport};

use super::i18n::T;
use super::{App, Input, Message, UI_FONT};

impl App {
    pub(super) fn counted(&self) -> CashCount {
        CashCount::new(Denomination::ALL.iter().copied().zip(self.count))
    }

    pub(super) fn count_view(&self, title: T, hint: T, done: T) -> Element<'_, Message> {
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

    pub(super) fn report_view(&self, title: T, r: &ShiftReport, z: Option<u32>) -> Element<'_, Message> {
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
}
