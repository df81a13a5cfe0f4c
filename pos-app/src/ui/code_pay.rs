//! Payments by code (付款码) on the sale screen (issue 23): a scan is first asked whether it is a
//! WeChat Pay or Alipay payment code, which pays what is due (or the amount typed first, for a
//! split) through HQ and is never looked up as a product; a misread one is scanned again. While
//! the customer confirms on the phone the app asks HQ every second, and the cashier may give up
//! (the payment panel's cancel, or Escape). At start, what a restart settled is listed.

use shared::lang::Lang;
use shared::money::Money;
use shared::payment_code::{PaymentScan, Provider, classify};

use super::i18n::{ErrorKind, T};
use super::worker::Command;
use super::{App, Screen, Tone};

impl App {
    pub(super) fn provider_name(&self, p: Provider) -> &'static str {
        match self.lang {
            Lang::ZhCn => p.name_zh(),
            _ => p.name(),
        }
    }

    /// Where a return's money goes back: the provider's name, or the bank card.
    pub(super) fn back_to_name(&self, to: super::BackTo) -> &'static str {
        match to {
            super::BackTo::Code(p) => self.provider_name(p),
            super::BackTo::Card => self.t(T::TenderCard),
        }
    }

    /// A scan on the sale screen: a payment code pays, a misread one is refused, anything else
    /// is a product (or a member, a coupon, a receipt) as before.
    pub(super) fn scan_on_sale(&mut self, code: String) {
        match classify(&code) {
            PaymentScan::Wechat(_) | PaymentScan::Alipay(_) => {
                let typed = self.entry.trim().to_owned();
                let amount = if typed.is_empty() { None } else { shared::money::Currency::CNY.parse(&typed).ok() };
                if !typed.is_empty() && amount.is_none_or(|m| m.0 <= 0) {
                    self.say(Tone::Bad, ErrorKind::Invalid.text(self.lang));
                    return;
                }
                self.entry.clear();
                self.say(Tone::Info, self.t(T::CodePaying));
                self.send(Command::PayByCode { code, amount });
            }
            PaymentScan::Misread(_) => self.say(Tone::Bad, self.t(T::CodeMisread)),
            PaymentScan::NotAPaymentCode => self.send(Command::Scan(code)),
        }
    }

    /// Every second while the customer confirms: ask HQ again (not while a command is out).
    pub(super) fn poll_code(&mut self) {
        if self.code_wait.is_some() && self.pending == 0 {
            self.send(Command::PollCodePayment);
        }
    }

    pub(super) fn cancel_code(&mut self) {
        if self.code_wait.is_some() {
            self.say(Tone::Info, self.t(T::CodeCancelling));
            self.send(Command::CancelCodePayment);
        }
    }

    pub(super) fn code_waiting(&mut self, provider: Provider, amount: Money, masked: String) {
        self.say(
            Tone::Info,
            format!("{} · {} {amount} · {}", self.t(T::CodeWaiting), self.provider_name(provider), masked),
        );
        self.code_wait = Some((provider, amount, masked));
    }

    pub(super) fn code_not_paid(&mut self, provider: Provider, cancelled: bool, message: &str) {
        self.code_wait = None;
        let what = if cancelled { self.t(T::CodeCancelled) } else { self.t(T::CodeNotPaid) };
        self.say(Tone::Bad, format!("{} {what}: {message}", self.provider_name(provider)));
    }

    /// What the start's settling of open payments by code came to, each by its order number:
    /// paid (the sale completed and printed), not paid, or still open at HQ; and the returns
    /// waiting on refunds by code, by receipt number: done (printed), refused, or still open.
    pub(super) fn payments_recovered(
        &mut self,
        list: Vec<(String, Option<bool>)>,
        returns: Vec<(String, Option<bool>)>,
    ) {
        if list.is_empty() && returns.is_empty() {
            return;
        }
        self.returns_settled(T::RecoveredTitle, list, returns);
    }

    /// The screen listing payments and returns settled (at start, or when asked again).
    pub(super) fn returns_settled(
        &mut self,
        title: T,
        list: Vec<(String, Option<bool>)>,
        returns: Vec<(String, Option<bool>)>,
    ) {
        let mut lines: Vec<String> = list
            .into_iter()
            .map(|(order_no, how)| {
                let said = match how {
                    Some(true) => self.t(T::RecoveredPaid),
                    Some(false) => self.t(T::RecoveredNotPaid),
                    None => self.t(T::RecoveredOpen),
                };
                format!("{order_no}: {said}")
            })
            .collect();
        lines.extend(returns.into_iter().map(|(receipt_no, how)| {
            let said = match how {
                Some(true) => self.t(T::ReturnDone),
                Some(false) => self.t(T::ReturnRefused),
                None => self.t(T::ReturnStillOpen),
            };
            format!("{receipt_no}: {said}")
        }));
        self.screen = Screen::Info(title, lines);
    }
}
