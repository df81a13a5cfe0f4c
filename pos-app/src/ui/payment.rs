//! The payment panel beside the sale: the totals, what each tender took and what is still to
//! pay; once the sale is complete, the change, large, until the next sale starts.

use iced::widget::text::Wrapping;
use iced::widget::{Text, button, column, container, row, text};
use iced::{Element, Length};
use shared::money::Money;
use shared::sale::TenderKind;

use super::i18n::T;
use super::worker::SaleDone;
use super::{App, Message};
use crate::engine::CartView;

/// A large amount on one line, at `largest` or smaller when it is long: a digit is about half the
/// size wide, and the panel beside the sale leaves it some 165 pixels at 1024×768 beside the demo's
/// panel (250 without), so 300 divided by the characters keeps any amount in it (¥87.60 at 50).
pub(super) fn figure<'a>(amount: Money, largest: u16) -> Text<'a> {
    let shown = amount.to_string();
    let chars = u16::try_from(shown.chars().count()).unwrap_or(u16::MAX).max(1);
    text(shown).size(f32::from(largest.min(300 / chars))).wrapping(Wrapping::None)
}

impl App {
    pub(super) fn tender_name(&self, kind: TenderKind) -> &'static str {
        self.t(match kind {
            TenderKind::Cash => T::TenderCash,
            TenderKind::BankCard => T::TenderCard,
            TenderKind::Points => T::TenderPoints,
            TenderKind::StoredValue => T::TenderStoredValue,
            TenderKind::WechatPay => T::TenderWechatPay,
            TenderKind::Alipay => T::TenderAlipay,
        })
    }

    pub(super) fn payment_view(&self, cart: Option<&CartView>) -> Element<'_, Message> {
        let c = match cart {
            Some(c) if !c.lines.is_empty() => c,
            _ => {
                return match &self.done {
                    Some(done) => self.change_view(done),
                    None => column![text(format!("{} {}", self.t(T::Due), Money::ZERO)).size(30)].into(),
                };
            }
        };
        let mut panel = column![text(format!("{} {}", self.t(T::Total), c.totals.gross)).size(18)].spacing(4);
        // A payment by code the customer is confirming on the phone: said first, with a cancel.
        if let Some((provider, amount, masked)) = &self.code_wait {
            panel = panel.push(
                container(
                    column![
                        text(self.t(T::CodeWaiting)).size(18),
                        text(format!("{} {amount} · {masked}", self.provider_name(*provider))).size(15),
                        button(text(self.t(T::CodeCancel)).size(15))
                            .style(button::danger)
                            .on_press(Message::CancelCode),
                    ]
                    .spacing(4),
                )
                .padding(6)
                .width(Length::Fill)
                .style(container::bordered_box),
            );
        }
        // Once the customer pays, the panel makes room for the tenders: what came off the total is
        // one line (本单共优惠), and the promotions' details and the threshold hint give way (the
        // receipt prints them).
        let paying = !c.tenders.is_empty();
        if paying {
            panel = panel.push(text(format!("{} -{}", self.t(T::TotalSaving), c.totals.discounts())).size(18));
        } else {
            // A figure that took nothing off is not shown: the panel keeps its room for the due.
            if c.totals.member_savings.0 != 0 {
                panel = panel.push(text(format!("{} -{}", self.t(T::Savings), c.totals.member_savings)).size(18));
            }
            // Every promotion together; order thresholds (满减, 满折) by name beneath (line
            // promotions show under their lines).
            if c.totals.promotion_discounts.0 > 0 {
                panel =
                    panel.push(text(format!("{} -{}", self.t(T::Promotions), c.totals.promotion_discounts)).size(18));
            }
            for p in c.promotions.iter().flat_map(|p| &p.applied) {
                if p.layer == shared::promotions::Layer::Threshold && p.discount.0 > 0 {
                    panel = panel.push(text(format!("  {} -{}", p.name, p.discount)).size(15));
                }
            }
            // The member's coupons: what each takes off, or that it is not used yet; ✕ takes it off.
            for coupon in &c.coupons {
                let said = if coupon.discount.0 > 0 {
                    format!("{} {} -{}", self.t(T::Coupon), coupon.name, coupon.discount)
                } else {
                    format!("{} {} ({})", self.t(T::Coupon), coupon.name, self.t(T::CouponNotUsed))
                };
                let said = if coupon.offline { format!("{said} · {}", self.t(T::CouponTakenOffline)) } else { said };
                panel = panel.push(
                    row![
                        text(said).size(15).width(Length::Fill),
                        button(text("✕").size(14))
                            .padding([0, 6])
                            .style(button::text)
                            .on_press(Message::RemoveCoupon(coupon.code.clone())),
                    ]
                    .spacing(4),
                );
            }
            let discounts = c.totals.manual_discounts + c.totals.order_discount;
            if discounts.0 != 0 {
                panel = panel.push(text(format!("{} -{discounts}", self.t(T::Discounts))).size(18));
            }
            // The member's coupons HQ listed (Insert): one touch puts it on the sale.
            for (choice, valid) in &self.coupon_choices {
                panel = panel.push(
                    button(
                        text(format!(
                            "{} {} · {} {valid}",
                            self.t(T::Coupon),
                            choice.coupon.name,
                            self.t(T::ValidUntil)
                        ))
                        .size(15),
                    )
                    .padding([2, 6])
                    .width(Length::Fill)
                    .style(button::secondary)
                    .on_press(Message::PickCoupon(choice.code.clone())),
                );
            }
        }
        panel = panel.push(text(format!("{} {}", self.t(T::Due), c.cash_due)).size(30));
        if !paying {
            if c.totals.promotion_discounts.0 > 0 || c.totals.coupon_discounts.0 > 0 {
                panel = panel.push(text(format!("{} {}", self.t(T::TotalSaving), c.totals.discounts())).size(18));
            }
            if let Some(h) = &c.threshold_hint {
                let said =
                    self.t(T::ThresholdAway).replace("{missing}", &h.missing.to_string()).replace("{name}", &h.name);
                panel = panel.push(text(said).size(18));
            }
        }
        panel = panel.push(text(format!("{} {}", self.t(T::PointsThisSale), c.points_preview)).size(18));
        if !c.tenders.is_empty() {
            for t in &c.tenders {
                panel = panel.push(text(format!("{} {}", self.tender_name(t.kind), t.amount)).size(18));
            }
            panel = panel
                .push(text(format!("{} {}", self.t(T::Received), c.received)).size(22))
                .push(text(self.t(T::Outstanding)).size(18))
                .push(figure(c.outstanding, 40));
        }
        panel.into()
    }

    /// The sale just completed: the change first and large, for the cashier counting it out.
    fn change_view<'a>(&'a self, done: &'a SaleDone) -> Element<'a, Message> {
        let mut panel =
            column![text(self.t(T::SaleDone)).size(20), text(format!("{} {}", self.t(T::Due), done.total)).size(18),]
                .spacing(4);
        for (kind, handed, _) in &done.tenders {
            panel = panel.push(text(format!("{} {handed}", self.tender_name(*kind))).size(18));
        }
        panel = panel
            .push(text(format!("{} {}", self.t(T::Received), done.received)).size(18))
            .push(text(self.t(T::Change)).size(22))
            .push(figure(done.change, 56));
        if let Some(p) = done.points {
            panel = panel.push(text(format!("{} +{p}", self.t(T::PointsEarned))).size(18));
        }
        container(panel).padding(8).width(Length::Fill).style(container::bordered_box).into()
    }
}
