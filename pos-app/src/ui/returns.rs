//! The return screen: a past sale's lines, and the lines the cashier picks to take back.

use iced::Element;
use iced::widget::{column, container, text};
use shared::money::Qty;
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

/// The picks a cashier typed on the return screen: line numbers (`1 3`) return all that is left
/// of each, `2x1` (or `2*1`) returns one of line 2, `*` everything still returnable. Anything
/// not understood, or more than is left, picks nothing (the screen says the entry is not valid).
pub fn picks_of(ctx: &ReturnContext, typed: &str) -> Vec<ReturnPick> {
    let left = |line: usize| ctx.returnable.get(line).copied().filter(|q| q.0 > 0);
    let mut picks = Vec::new();
    for word in typed.split([' ', ',']).map(str::trim).filter(|w| !w.is_empty()) {
        if word == "*" {
            picks.extend((0..ctx.returnable.len()).filter_map(|line| Some(ReturnPick { line, qty: left(line)? })));
            continue;
        }
        let (line, qty) = match word.split_once(['x', 'X', '*', '×']) {
            Some((n, q)) => (n, Some(q)),
            None => (word, None),
        };
        let Some(line) = line.parse::<usize>().ok().and_then(|n| n.checked_sub(1)) else { return Vec::new() };
        let Some(left) = left(line) else { return Vec::new() };
        let qty = match qty.map(Qty::parse) {
            None => left,
            Some(Ok(q)) if q.0 > 0 && q <= left => q,
            Some(_) => return Vec::new(),
        };
        picks.push(ReturnPick { line, qty });
    }
    picks
}
