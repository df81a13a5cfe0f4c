//! The sale screen: the cart, the totals, the entry line and its prompts (quantity, member,
//! payment, manager approval), and the keys that act on them.

use iced::alignment::Horizontal;
use iced::widget::text::Wrapping;
use iced::widget::{button, column, container, row, scrollable, text};
use iced::{Element, Length};
use shared::catalog::MemberCode;
use shared::member::{MemberIdentifier, Phone};
use shared::money::{Currency, Money, Qty};

use super::i18n::{ErrorKind, T};
use super::worker::Command;
use super::{App, Confirm, Input, Message, NeedsManager, Prompt, Screen, Tone};
use crate::engine::Payment;

impl App {
    /// What a card, points or stored value may still pay: the sale less its other tenders and the
    /// cash already handed over.
    fn owed_beyond_cash(&self) -> Money {
        self.snap.cart.as_ref().map_or(Money::ZERO, |c| (c.remaining - c.cash_given).max(Money::ZERO))
    }

    /// The line F3 and F6 act on: the one picked with the arrows or by touch, else the last.
    /// The line the cashier picked, else the last one they rang up (a 满赠's gift lines, which
    /// follow them, are not the cashier's to change).
    pub fn selected_line(&self) -> Option<usize> {
        let lines = self.snap.cart.as_ref().map_or(0, |c| c.lines.iter().filter(|l| l.gift_of.is_none()).count());
        let last = lines.checked_sub(1)?;
        Some(self.selected.unwrap_or(last).min(last))
    }

    fn move_selection(&mut self, by: isize) {
        let lines = self.snap.cart.as_ref().map_or(0, |c| c.lines.iter().filter(|l| l.gift_of.is_none()).count());
        if let Some(at) = self.selected_line() {
            self.selected = Some(at.saturating_add_signed(by).min(lines.saturating_sub(1)));
        }
    }

    /// A member's tier in the cashier's language: the standard tiers by their code, any other by
    /// the name HQ gave it.
    fn tier_name<'a>(&self, code: &'a str, named: Option<&'a str>) -> &'a str {
        match code {
            "regular" => self.t(T::TierRegular),
            "silver" => self.t(T::TierSilver),
            "gold" => self.t(T::TierGold),
            "platinum" => self.t(T::TierPlatinum),
            _ => named.unwrap_or(code),
        }
    }

    /// A quick key sells its product; one sold by weight asks for the weight next.
    pub(super) fn quick_key(&mut self, i: usize) {
        let Some(key) = self.snap.quick_keys.get(i).cloned() else { return };
        if !matches!(self.screen, Screen::Sale(_)) {
            return;
        }
        self.status = None;
        self.send(Command::AddProduct(key.product));
        self.screen = Screen::Sale(if key.weighed { Prompt::Qty } else { Prompt::Scan });
    }

    pub(super) fn sale_key(&mut self, prompt: Prompt, input: Input, entry: String) {
        let entry = entry.trim().to_owned();
        // A question asked by the last key is answered by this one, or dropped.
        let confirming = self.confirm.take();
        let money = |s: &str| Currency::CNY.parse(s).ok().filter(|m| m.0 > 0);
        match (prompt, input) {
            (_, Input::Escape) if self.code_wait.is_some() => {
                self.say(Tone::Info, self.t(T::CodeCancelling));
                self.send(Command::CancelCodePayment);
            }
            (_, Input::Escape) => {
                self.needs_manager = None;
                self.enrol_phone = None;
                self.screen = Screen::Sale(Prompt::Scan);
            }
            // Letters are words to search by, not a bad barcode.
            // A payment code typed (the customer's app shows its digits when a scan fails) pays as
            // a scanned one; a misread one is said so, never looked up as a product.
            (Prompt::Scan, Input::Enter) if shared::payment_code::classify(&entry).is_payment() => {
                self.entry.clear();
                self.scan(entry);
            }
            (Prompt::Scan, Input::Enter) if shared::catalog::typed_is_code(&entry) => self.send(Command::Scan(entry)),
            (Prompt::Scan, Input::Enter) if !entry.is_empty() => self.send(Command::Search(entry)),
            // A member's rotating code typed at the member prompt is checked as a scan of it would be.
            (Prompt::Member, Input::Enter) if shared::member_code::RotatingCode::looks_like(&entry) => {
                self.send(Command::Scan(entry));
                self.screen = Screen::Sale(Prompt::Scan);
            }
            (Prompt::Member, Input::Enter) => {
                let by = Phone::parse(&entry)
                    .map(MemberIdentifier::Phone)
                    .or_else(|_| MemberCode::parse(&entry).map(MemberIdentifier::Code));
                match by {
                    Ok(by) => self.send(Command::AttachMember(by)),
                    Err(_) => self.say(Tone::Bad, ErrorKind::MemberNotFound.text(self.lang)),
                }
                self.screen = Screen::Sale(Prompt::Scan);
            }
            // Enter alone confirms a large quantity asked about just before.
            (Prompt::Qty, Input::Enter) if entry.is_empty() && matches!(confirming, Some(Confirm::Qty { .. })) => {
                if let Some(Confirm::Qty { line, qty }) = confirming {
                    self.send(Command::SetQty { line, qty });
                }
                self.screen = Screen::Sale(Prompt::Scan);
            }
            (Prompt::Qty, Input::Enter) => {
                let line = self.selected_line();
                let unit = line.and_then(|i| self.snap.cart.as_ref()?.lines.get(i)).map(|l| l.priced.unit);
                match (Qty::parse(&entry), line, unit) {
                    (Ok(qty), Some(line), Some(unit)) if self.snap.cashier_limits.confirm_line(qty, unit) => {
                        self.confirm = Some(Confirm::Qty { line, qty });
                        let amount = i64::try_from(i128::from(unit.0) * i128::from(qty.0) / 1_000).map(Money);
                        let amount = amount.map(|m| m.to_string()).unwrap_or_default();
                        self.say(
                            Tone::Info,
                            format!("{} {} = {amount}  {}", self.t(T::Qty), qty.display(), self.t(T::ConfirmLarge)),
                        );
                        return;
                    }
                    (Ok(qty), Some(line), Some(_)) => self.send(Command::SetQty { line, qty }),
                    _ => self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang)),
                }
                self.screen = Screen::Sale(Prompt::Scan);
            }
            (Prompt::Scan, Input::Up) => self.move_selection(-1),
            (Prompt::Scan, Input::Down) => self.move_selection(1),
            // A payment keeps its prompt up until the engine answers: a part payment asks for the
            // rest on the same prompt, a completed sale goes back to scanning.
            (Prompt::Cash, Input::Enter) => {
                let exact = self.snap.cart.as_ref().map_or(Money::ZERO, |c| c.cash_due - c.cash_given);
                match if entry.is_empty() { Some(exact) } else { money(&entry) } {
                    Some(m) if m.0 > 0 => self.send(Command::Pay(Payment::Cash(m))),
                    _ => self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang)),
                }
            }
            // With a payment terminal: Enter sends what is due (or an amount typed first) to it;
            // the engine waits for the customer's card and PIN.
            (Prompt::Card, Input::Enter) if self.snap.card_terminal => {
                let owed = self.owed_beyond_cash();
                let amount = if entry.is_empty() { Some(owed) } else { money(&entry) };
                match amount {
                    Some(m) if m.0 > 0 => {
                        self.say(Tone::Info, self.t(T::CardPaying));
                        self.send(Command::PayByCard { amount: Some(m) });
                    }
                    _ => self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang)),
                }
            }
            (Prompt::Card, Input::Enter) => {
                let owed = self.owed_beyond_cash();
                if entry.is_empty() {
                    self.say(Tone::Bad, self.t(T::NeedReference));
                } else if owed.0 <= 0 {
                    self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang));
                } else {
                    self.send(Command::Pay(Payment::Card { amount: owed, reference: entry }));
                }
            }
            (Prompt::Points | Prompt::StoredValue, Input::Enter) => {
                let owed = self.owed_beyond_cash();
                let balance = self
                    .snap
                    .cart
                    .as_ref()
                    .and_then(|c| c.member.as_ref())
                    .and_then(|m| m.snapshot.as_ref())
                    .map_or(Money::ZERO, |m| m.stored_value.total());
                let amount = match (prompt, entry.is_empty()) {
                    (Prompt::StoredValue, true) => Some(owed.min(balance)).filter(|m| m.0 > 0),
                    _ => money(&entry),
                };
                match amount {
                    Some(m) if prompt == Prompt::Points => self.send(Command::Pay(Payment::Points(m))),
                    Some(m) => self.send(Command::Pay(Payment::StoredValue(m))),
                    None if prompt == Prompt::StoredValue && entry.is_empty() => {
                        self.say(Tone::Bad, format!("{} {balance}", self.t(T::StoredValueBalance)))
                    }
                    None => self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang)),
                }
            }
            (_, Input::F(15)) => self.send(Command::MemberCoupons),
            (_, Input::F(13)) => self.screen = Screen::Sale(Prompt::Points),
            (_, Input::F(14)) => self.screen = Screen::Sale(Prompt::StoredValue),
            (Prompt::UnlockWho, Input::Enter) if !entry.is_empty() => {
                if self.snap.staff.as_ref().is_some_and(|s| s.can_approve()) {
                    self.send(Command::UnlockStaff { login: entry, manager: None });
                    self.screen = if self.back_office { Screen::Menu } else { Screen::Sale(Prompt::Scan) };
                } else {
                    self.needs_manager = Some(NeedsManager::Unlock(entry));
                    self.screen = Screen::Sale(Prompt::Manager);
                }
            }
            (Prompt::Manager, Input::Enter) => {
                let mut parts = entry.split_whitespace();
                let creds = match (parts.next(), parts.next()) {
                    (Some(login), Some(pin)) => Some((login.to_owned(), pin.to_owned())),
                    _ => None,
                };
                if let Some(NeedsManager::Return { back_to: Some(to), .. }) = &self.needs_manager
                    && creds.is_some()
                {
                    // The engine waits for HQ's gateway or the terminal: the cashier sees where the
                    // money goes.
                    let said = format!("{} {}…", self.t(T::RefundingTo), self.back_to_name(*to));
                    self.say(Tone::Info, said);
                }
                match (creds, self.needs_manager.take()) {
                    (Some(m), Some(action)) => self.send(match action {
                        NeedsManager::VoidCart => Command::VoidCart { manager: Some(m) },
                        NeedsManager::Return { receipt, picks, .. } => {
                            let reason = self.t(T::ReturnReason).to_owned();
                            Command::CompleteReturn { receipt, picks, reason, manager: m }
                        }
                        NeedsManager::PaidIn(amount) => {
                            Command::PaidIn { amount, reason: self.t(T::PaidIn).to_owned(), manager: m }
                        }
                        NeedsManager::PaidOut(amount) => {
                            Command::PaidOut { amount, reason: self.t(T::PaidOut).to_owned(), manager: m }
                        }
                        NeedsManager::NoSale => Command::NoSale { manager: m },
                        NeedsManager::DayEnd => Command::DayEnd { manager: Some(m) },
                        NeedsManager::Unlock(login) => Command::UnlockStaff { login, manager: Some(m) },
                    }),
                    _ => self.say(Tone::Bad, ErrorKind::ApprovalRequired.text(self.lang)),
                }
                self.screen = Screen::Sale(Prompt::Scan);
            }
            (Prompt::PaidIn | Prompt::PaidOut, Input::Enter) => match money(&entry) {
                Some(m) => {
                    self.needs_manager =
                        Some(if prompt == Prompt::PaidIn { NeedsManager::PaidIn(m) } else { NeedsManager::PaidOut(m) });
                    self.screen = Screen::Sale(Prompt::Manager);
                }
                None => {
                    self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang));
                    self.screen = Screen::Sale(Prompt::Scan);
                }
            },
            (Prompt::Reprint, Input::Enter) => {
                let last = self.last_receipt.as_ref().map(|r| r.receipt_no.to_string());
                match if entry.is_empty() { last } else { Some(entry) } {
                    Some(r) => self.send(Command::Reprint(r)),
                    None => self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang)),
                }
                self.screen = Screen::Sale(Prompt::Scan);
            }
            (Prompt::EnrolPhone, Input::Enter) => {
                if Phone::parse(&entry).is_ok() {
                    self.enrol_phone = Some(entry);
                    self.screen = Screen::Sale(Prompt::EnrolName);
                } else {
                    self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang));
                    self.screen = Screen::Sale(Prompt::Scan);
                }
            }
            (Prompt::EnrolName, Input::Enter) => {
                match (self.enrol_phone.take(), entry.is_empty()) {
                    (Some(phone), false) => self.send(Command::EnrolMember { phone, name: entry }),
                    _ => self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang)),
                }
                self.screen = Screen::Sale(Prompt::Scan);
            }
            (_, Input::F(1)) => self.screen = Screen::Menu,
            (_, Input::F(8)) => {
                if self.snap.cart.as_ref().is_some_and(|c| !c.lines.is_empty()) {
                    self.send(Command::Hold);
                } else {
                    self.send(Command::HeldSales);
                }
            }
            (_, Input::F(2)) => self.screen = Screen::Sale(Prompt::Member),
            (_, Input::F(3)) => self.screen = Screen::Sale(Prompt::Qty),
            (_, Input::F(4)) => self.screen = Screen::Sale(Prompt::Cash),
            (_, Input::F(5)) => self.screen = Screen::Sale(Prompt::Card),
            // Removing a line asks once: F6 again removes it, any other key keeps it.
            (_, Input::F(6)) => match (self.selected_line(), confirming) {
                (Some(line), Some(Confirm::RemoveLine(asked))) if asked == line => {
                    self.send(Command::RemoveLine(line));
                }
                (Some(line), _) => {
                    let name = self.snap.cart.as_ref().and_then(|c| c.lines.get(line)).map(|l| l.item.name.clone());
                    self.confirm = Some(Confirm::RemoveLine(line));
                    self.say(Tone::Info, format!("{} {}", name.unwrap_or_default(), self.t(T::ConfirmRemove)));
                }
                (None, _) => {}
            },
            (_, Input::F(7)) => {
                let has_lines = self.snap.cart.as_ref().is_some_and(|c| !c.lines.is_empty());
                if has_lines {
                    self.needs_manager = Some(NeedsManager::VoidCart);
                    self.screen = Screen::Sale(Prompt::Manager);
                } else {
                    self.send(Command::VoidCart { manager: None });
                }
            }
            (_, Input::F(9)) => self.send(Command::XReport),
            (_, Input::F(10)) => {
                self.count = [0; shared::shift::Denomination::ALL.len()];
                self.count_field = 0;
                self.screen = Screen::CloseShift;
            }
            (_, Input::F(11)) => self.send(Command::Lock),
            _ => {}
        }
    }

    pub(super) fn sale_view(&self, prompt: Prompt) -> Element<'_, Message> {
        let mut lines = column![
            row![
                text(self.t(T::Item)).width(Length::FillPortion(5)),
                text(self.t(T::Qty)).width(Length::FillPortion(1)),
                text(self.t(T::Price)).width(Length::FillPortion(2)),
                text(self.t(T::Amount)).width(Length::FillPortion(2)),
            ]
            .spacing(8)
        ]
        .spacing(4);
        let cart = self.snap.cart.as_ref();
        match cart {
            Some(c) if !c.lines.is_empty() => {
                let selected = self.selected_line();
                for (i, l) in c.lines.iter().enumerate() {
                    let saving = if l.priced.member_saving.0 > 0 {
                        format!("  (-{})", l.priced.member_saving)
                    } else {
                        String::new()
                    };
                    let marker = if Some(i) == selected { "▶ " } else { "" };
                    // Amounts keep to their column: right-aligned, never wrapped into the next.
                    let figure = |s: String| text(s).wrapping(Wrapping::None).align_x(Horizontal::Right);
                    let row = row![
                        text(format!("{marker}{}{saving}", l.item.name)).width(Length::FillPortion(5)),
                        figure(l.priced.qty.display()).width(Length::FillPortion(1)),
                        figure(l.priced.unit.to_string()).width(Length::FillPortion(2)),
                        figure(l.net.to_string()).width(Length::FillPortion(2)),
                    ]
                    .spacing(8);
                    // A line is picked by touch too.
                    let style = if Some(i) == selected { button::primary } else { button::text };
                    lines = lines
                        .push(button(row).padding(2).width(Length::Fill).style(style).on_press(Message::SelectLine(i)));
                    // The line's own promotions (特价, 第二件半价) by name, and a gift said as one.
                    for (name, amount) in line_promotions(c, l) {
                        lines = lines.push(
                            row![
                                text(format!("    {name}")).size(14).width(Length::FillPortion(8)),
                                figure(format!("-{amount}")).size(14).width(Length::FillPortion(2)),
                            ]
                            .spacing(8),
                        );
                    }
                    if l.gift_of.is_some() {
                        lines = lines.push(text(format!("    {}", self.t(T::Gift))).size(14));
                    }
                }
            }
            _ => lines = lines.push(text(self.t(T::EmptySale)).size(18)),
        }
        let totals = self.payment_view(cart);
        let member = match cart.and_then(|c| c.member.as_ref()) {
            Some(m) => match &m.snapshot {
                Some(s) => format!(
                    "{}: {} · {} · {} {} · {} {}",
                    self.t(T::Member),
                    s.name,
                    self.tier_name(&s.tier, cart.and_then(|c| c.tier.as_ref()).map(|t| t.name.as_str())),
                    self.t(T::Points),
                    s.points,
                    self.t(T::StoredValue),
                    s.stored_value.total()
                ),
                None => format!("{}: {} · {}", self.t(T::Member), m.identifier.masked(), self.t(T::MemberOffline)),
            },
            None => self.t(T::NoMember).to_owned(),
        };
        let hint = match prompt {
            Prompt::Scan => T::ScanHint,
            Prompt::Member => T::EnterPhone,
            Prompt::Qty => T::EnterQtyOf,
            Prompt::Cash => T::EnterCash,
            Prompt::Card if self.snap.card_terminal => T::EnterCardTerminal,
            Prompt::Card => T::EnterCard,
            Prompt::Points => T::EnterPoints,
            Prompt::StoredValue => T::EnterStoredValue,
            Prompt::Manager => T::EnterManager,
            Prompt::PaidIn | Prompt::PaidOut => T::EnterAmount,
            Prompt::Reprint => T::EnterReceipt,
            Prompt::EnrolPhone => T::EnterNewPhone,
            Prompt::EnrolName => T::EnterName,
            Prompt::UnlockWho => T::EnterUnlockLogin,
        };
        let shown = if prompt == Prompt::Manager {
            self.entry.split_once(' ').map_or(self.entry.clone(), |(l, p)| format!("{l} {}", "•".repeat(p.len())))
        } else {
            self.entry.clone()
        };
        // Payment keys first and larger: they are pressed most, often by touch.
        let pay = row![
            self.big_button(T::KeyCash, Input::F(4)),
            self.big_button(T::KeyCard, Input::F(5)),
            self.big_button(T::KeyPoints, Input::F(13)),
            self.big_button(T::KeyStoredValue, Input::F(14)),
        ]
        .spacing(6);
        let keys = row![
            self.key_button(T::KeyMember, Input::F(2)),
            self.key_button(T::KeyQty, Input::F(3)),
            self.key_button(T::KeyRemove, Input::F(6)),
            self.key_button(T::KeyVoid, Input::F(7)),
            self.key_button(T::KeyHold, Input::F(8)),
        ]
        .spacing(6);
        let keys2 = row![
            self.key_button(T::KeyMenu, Input::F(1)),
            self.key_button(T::KeyX, Input::F(9)),
            self.key_button(T::KeyClose, Input::F(10)),
            self.key_button(T::KeyLock, Input::F(11)),
            self.key_button(T::KeyLang, Input::F(12)),
        ]
        .spacing(6);
        // Goods without a barcode, one touch each (set per branch at HQ).
        let mut quick = row![].spacing(6);
        for (i, k) in self.snap.quick_keys.iter().enumerate() {
            quick = quick.push(
                button(text(k.label.clone()).size(16))
                    .padding([8, 12])
                    .style(button::secondary)
                    .on_press(Message::QuickKey(i)),
            );
        }
        column![
            // The member, and their coupons one touch (or Insert) away.
            container(
                row![
                    text(member).size(18).width(Length::Fill),
                    button(text(self.t(T::KeyCoupons)).size(16))
                        .padding([0, 8])
                        .style(button::secondary)
                        .on_press(Message::Key(Input::F(15), std::time::Instant::now())),
                ]
                .spacing(8)
            )
            .padding(8)
            .width(Length::Fill)
            .style(container::bordered_box),
            row![
                container(scrollable(lines)).width(Length::FillPortion(5)).height(Length::Fill),
                container(totals).width(Length::FillPortion(2)).padding(8),
            ]
            .height(Length::Fill),
            quick.wrap(),
            text(self.t(hint)).size(16),
            container(text(format!("> {shown}▏")).size(24))
                .padding(8)
                .width(Length::Fill)
                .style(container::bordered_box),
            pay,
            keys,
            keys2,
        ]
        .spacing(8)
        .into()
    }
}

/// A line's layer-1 and layer-2 promotions, by name, with what each took off it.
fn line_promotions<'a>(
    cart: &'a crate::engine::CartView,
    line: &'a shared::sale::SaleLine,
) -> impl Iterator<Item = (&'a str, shared::money::Money)> + 'a {
    let applied = cart.promotions.as_ref().map_or(&[][..], |p| &p.applied[..]);
    line.promotions.iter().filter_map(move |(id, amount)| {
        applied
            .iter()
            .find(|p| p.id == *id && p.layer != shared::promotions::Layer::Threshold)
            .map(|p| (p.name.as_str(), *amount))
    })
}

impl App {
    /// A search result as the pick list shows it: number, name, price and unit, code, and the
    /// branch's on hand as of the last pull with its time (nothing before the first pull; below
    /// zero shown as it is: the till never refuses a sale for it).
    pub(super) fn hit_line(&self, i: usize, h: &crate::engine::ProductHit) -> String {
        let mut line = format!("{}. {}  {} / {}  {}", i + 1, h.name, h.price, h.unit, h.code);
        if let Some(o) = &h.on_hand {
            line += "  · ";
            line += &self.t(super::i18n::T::OnHand).replace("{qty}", &o.qty.display()).replace("{at}", &o.label);
        }
        line
    }
}
