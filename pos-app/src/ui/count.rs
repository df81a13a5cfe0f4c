//! The count screen (盘点, manager's menu F11): pick an open count of the branch by its number,
//! then scan (or type a code and Enter), give the quantity (Enter alone is one, or a scale
//! label's weight; weighed goods in grams or `0.532` kg; `-1` takes a scan back) and scan the
//! next. The scanner's codes go to the count while this screen is up, never to the sale. The
//! engine keeps each line on disk before it is listed; the sync task sends them, so the screen
//! shows what waits, what HQ has and what it refused. Escape drops a scanned item not yet
//! counted, then leaves.

use iced::widget::{column, container, row, text};
use iced::{Element, Length};
use shared::money::Qty;

use super::i18n::T;
use super::worker::Command;
use super::{App, Input, Message, Screen, Tone};
use crate::engine::{CountChoice, CountItem, CountLineStatus, CountView};

/// What the count screen shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CountScreen {
    /// The open counts to pick from.
    Pick(Vec<CountChoice>),
    /// Counting: the count's screen, and the item scanned waiting for its quantity.
    Counting { view: Box<CountView>, item: Option<Box<CountItem>> },
}

/// A quantity as counted: pieces, or a weighed good's kilograms.
fn qty_text(q: Qty, unit: &str) -> String {
    if unit.is_empty() { q.display() } else { format!("{} {unit}", q.display()) }
}

impl App {
    /// The menu's entry: asks the engine for the open counts.
    pub(super) fn open_count(&mut self) {
        self.screen = Screen::Menu;
        self.send(Command::OpenCounts);
    }

    /// The open counts came: one is opened at once, several are listed, none is said.
    pub(super) fn counts_listed(&mut self, counts: Vec<CountChoice>) {
        match counts.as_slice() {
            [] => self.say(Tone::Bad, self.t(T::CountNone)),
            [one] => self.send(Command::CountView(one.id)),
            _ => self.screen = Screen::Count(Box::new(CountScreen::Pick(counts))),
        }
    }

    /// A count's screen came (opened, or a line counted): the item waiting is done.
    pub(super) fn count_shown(&mut self, view: CountView) {
        let counted =
            matches!(&self.screen, Screen::Count(c) if matches!(**c, CountScreen::Counting { item: Some(_), .. }));
        if counted && let Some(last) = view.last.first() {
            let said = format!("{} {} → {}", last.name, qty_text(last.qty, ""), qty_text(last.total, &last.unit));
            self.say(Tone::Good, said);
        }
        self.screen = Screen::Count(Box::new(CountScreen::Counting { view: Box::new(view), item: None }));
    }

    /// A code scanned in count mode named this product: its quantity is asked next.
    pub(super) fn count_item(&mut self, item: CountItem) {
        if let Screen::Count(c) = &mut self.screen
            && let CountScreen::Counting { item: waiting, .. } = &mut **c
        {
            *waiting = Some(Box::new(item));
        }
    }

    /// A scan (scanner or wedge) while the count screen is up.
    pub(super) fn count_scan(&mut self, code: String) {
        let Screen::Count(c) = &self.screen else { return };
        match &**c {
            CountScreen::Counting { view, .. } => {
                self.status = None;
                self.send(Command::CountScan { count: view.count.id, code });
            }
            CountScreen::Pick(_) => self.say(Tone::Bad, self.t(T::CountPickFirst)),
        }
    }

    /// A key on the count screen (typing is the entry line's).
    pub(super) fn count_key(&mut self, input: Input, entry: String) {
        let Screen::Count(c) = &mut self.screen else { return };
        match (&mut **c, input) {
            (CountScreen::Pick(counts), Input::Enter) => {
                let picked =
                    entry.trim().parse::<usize>().ok().and_then(|n| counts.get(n.checked_sub(1)?)).map(|k| k.id);
                match picked {
                    Some(id) => self.send(Command::CountView(id)),
                    None => self.say(Tone::Bad, super::i18n::ErrorKind::Invalid.text(self.lang)),
                }
            }
            (CountScreen::Counting { item: Some(item), .. }, Input::Enter) => {
                let item = (**item).clone();
                self.send(Command::CountRecord { item, typed: entry });
            }
            (CountScreen::Counting { view, item: None }, Input::Enter) if !entry.trim().is_empty() => {
                let count = view.count.id;
                self.send(Command::CountScan { count, code: entry });
            }
            (CountScreen::Counting { item: item @ Some(_), .. }, Input::Escape) => *item = None,
            (CountScreen::Counting { view, item: None }, Input::F(5)) => {
                let count = view.count.id;
                self.send(Command::CountView(count));
            }
            (_, Input::Escape) => self.screen = Screen::Menu,
            _ => {}
        }
    }

    pub(super) fn stock_count_view<'a>(&'a self, c: &'a CountScreen) -> Element<'a, Message> {
        let entry = container(text(format!("> {}▏", self.entry)).size(24)).padding(8).style(container::bordered_box);
        match c {
            CountScreen::Pick(counts) => {
                let mut col =
                    column![text(self.t(T::CountTitle)).size(28), text(self.t(T::CountPick)).size(16)].spacing(6);
                for (i, k) in counts.iter().enumerate() {
                    col = col.push(text(format!("{}. {}", i + 1, self.count_name(k))).size(18));
                }
                col.push(entry).push(self.key_button(T::Back, Input::Escape)).into()
            }
            CountScreen::Counting { view, item } => {
                let heading = format!("{} · {}", self.t(T::CountTitle), self.count_name(&view.count));
                let tally = format!(
                    "{} {} · {} {} · {} {}",
                    self.t(T::CountWaiting),
                    view.waiting,
                    self.t(T::CountSent),
                    view.sent,
                    self.t(T::CountRefused),
                    view.refused
                );
                let prompt: Element<'_, Message> = match item {
                    None => text(self.t(T::CountScanHint)).size(18).into(),
                    Some(i) => {
                        let hint = if i.weighed { T::CountQtyWeighed } else { T::CountQtyPieces };
                        column![
                            text(format!("{}  {}", i.name, i.code)).size(22),
                            text(format!(
                                "{} {} · {} {}",
                                self.t(T::CountSoFar),
                                qty_text(i.counted, &i.unit),
                                self.t(T::CountEnterTakes),
                                qty_text(i.default_qty(), &i.unit)
                            ))
                            .size(16),
                            text(self.t(hint)).size(16),
                        ]
                        .spacing(4)
                        .into()
                    }
                };
                let mut lines = column![text(self.t(T::CountLast)).size(16)].spacing(4);
                if view.last.is_empty() {
                    lines = lines.push(text(self.t(T::CountNothingYet)).size(16));
                }
                for l in &view.last {
                    let state = match &l.status {
                        CountLineStatus::Pending => self.t(T::CountWaiting).to_owned(),
                        CountLineStatus::Sent => self.t(T::CountSent).to_owned(),
                        CountLineStatus::Rejected(why) => format!("{}: {why}", self.t(T::CountRefused)),
                    };
                    let added = if l.qty.0 < 0 { l.qty.display() } else { format!("+{}", l.qty.display()) };
                    lines = lines.push(
                        row![
                            text(l.at.clone()).size(16).width(Length::Fixed(110.0)),
                            text(l.name.clone()).size(16).width(Length::Fill),
                            text(format!("{added} → {}", qty_text(l.total, &l.unit)))
                                .size(16)
                                .width(Length::Fixed(200.0)),
                            text(state).size(16).width(Length::Fixed(220.0)),
                        ]
                        .spacing(8),
                    );
                }
                column![
                    text(heading).size(28),
                    text(tally).size(16),
                    prompt,
                    entry,
                    container(lines).padding(8).style(container::bordered_box).width(Length::Fill),
                    row![self.key_button(T::CountRefresh, Input::F(5)), self.key_button(T::Back, Input::Escape)]
                        .spacing(12),
                ]
                .spacing(10)
                .into()
            }
        }
    }

    fn count_name(&self, k: &CountChoice) -> String {
        let scope = match &k.category {
            None => self.t(T::CountFull).to_owned(),
            Some(name) => name.clone(),
        };
        let note = if k.note.is_empty() { String::new() } else { format!(" · {}", k.note) };
        format!("#{} {scope} · {} {}{note}", k.id, self.t(T::CountSince), k.started)
    }
}
