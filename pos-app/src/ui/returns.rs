//! The return screen: a past sale's lines, and the lines the cashier picks to take back.

use iced::Element;
use iced::widget::{column, container, text};
use shared::sale::ReturnPick;

use super::i18n::T;
use super::{App, Input, Message};
use crate::engine::ReturnContext;

impl App {
    pub(super) fn return_view(&self, ctx: &ReturnContext) -> Element<'_, Message> {
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
