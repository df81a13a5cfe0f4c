//! Receipts: the receipt number, a printer-independent receipt document, and its text layout on
//! a printer's grid ([`LineFormat`]: 32 columns on 58 mm paper and 48 on 80 mm by default, or
//! what a printer is set to, e.g. 42 for TM-T88-class printers).
//!
//! Layout counts the columns a printer gives each character, not bytes or chars, and that depends
//! on its character set ([`Charset`]): in Chinese (GBK / GB18030) mode every non-ASCII character is
//! a double-byte character printed two columns wide, é and ú included; on a code-page printer
//! every character takes one.
//!
//! The layout pads every line itself (no printer-side alignment), so the printer simulator reads
//! back exactly [`Receipt::text`], whatever the ESC/POS renderer makes of the padding.

mod labels;
mod report;
mod text;

pub use report::{ReportSlip, report_rows};

pub use text::{
    Charset, LineFormat, PaperWidth, barcode_caption, center, char_width, left_right, qr_caption, sanitize, text_width,
    truncate, wrap,
};

use std::fmt;

use jiff::civil::DateTime;
use serde::{Deserialize, Serialize};

use crate::lang::Lang;
use crate::money::{Money, Qty};
use crate::sale::{CompletedSale, Refund, RefundKind, TenderKind};
use crate::tax::TaxGroup;
use labels::{Labels, tender_label};

/// A receipt number `{branch}-{till:02}-{seq:06}`, e.g. `B001-01-000042`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReceiptNo {
    pub branch: String,
    pub till: u16,
    pub seq: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a receipt number like B001-01-000042")]
pub struct ReceiptNoError(pub String);

impl ReceiptNo {
    pub fn new(branch: &str, till: u16, seq: u32) -> ReceiptNo {
        ReceiptNo { branch: branch.to_owned(), till, seq }
    }

    pub fn parse(text: &str) -> Result<ReceiptNo, ReceiptNoError> {
        let err = || ReceiptNoError(text.to_owned());
        let mut parts = text.rsplitn(3, '-');
        let seq = parts.next().ok_or_else(err)?;
        let till = parts.next().ok_or_else(err)?;
        let branch = parts.next().ok_or_else(err)?;
        let digits =
            |s: &str, min: usize, max: usize| (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
        if branch.is_empty()
            || branch.len() > 16
            || !branch.bytes().all(|b| b.is_ascii_alphanumeric())
            || !digits(till, 2, 4)
            || !digits(seq, 6, 9)
        {
            return Err(err());
        }
        Ok(ReceiptNo {
            branch: branch.to_owned(),
            till: till.parse().map_err(|_| err())?,
            seq: seq.parse().map_err(|_| err())?,
        })
    }
}

impl fmt::Display for ReceiptNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}-{:06}", self.branch, self.till, self.seq)
    }
}

impl TryFrom<String> for ReceiptNo {
    type Error = ReceiptNoError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ReceiptNo::parse(&s)
    }
}

impl From<ReceiptNo> for String {
    fn from(r: ReceiptNo) -> String {
        r.to_string()
    }
}

/// One printed line and its style.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintLine {
    pub text: String,
    pub bold: bool,
    /// Double height (width unchanged).
    pub tall: bool,
}

/// A block of a laid-out receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Block {
    Line(PrintLine),
    /// A Code128 barcode of the data (the receipt number).
    Barcode(String),
    /// A QR code of the data.
    Qr(String),
}

/// The shop's header on every receipt.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptHeader {
    pub branch_name: String,
    pub address: String,
    pub phone: String,
    /// Further lines under the shop's name (a slogan, opening hours, a tax number).
    #[serde(default)]
    pub extra: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptKind {
    Sale,
    Return,
    Void,
    NoReceiptReturn,
}

/// One goods line as printed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptItem {
    pub name: String,
    pub qty: Qty,
    pub unit: String,
    pub weighed: bool,
    pub unit_price: Money,
    pub net: Money,
    /// What the member benefit saved on the line.
    pub member_saving: Money,
    /// Manual and order discounts on the line.
    pub discount: Money,
    /// The line-price and item-group promotions on the line, by name (order thresholds print once,
    /// under the lines).
    #[serde(default)]
    pub promotions: Vec<ReceiptSaving>,
    /// A 满赠 gift at ¥0.
    #[serde(default)]
    pub gift: bool,
}

/// A promotion's name and what it took off.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptSaving {
    pub name: String,
    pub amount: Money,
}

/// One tender as printed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptTender {
    pub kind: TenderKind,
    pub amount: Money,
    /// Points spent, for a points tender.
    pub points: i64,
    pub reference: Option<String>,
}

/// The member block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptMember {
    /// The member number or phone, masked.
    pub masked_id: String,
    pub tier_name: Option<String>,
    /// Points earned (negative: taken back by a return).
    pub points_earned: i64,
    pub points_used: i64,
    /// The balance after this sale, if the till knows it.
    pub points_balance: Option<i64>,
    pub stored_value_balance: Option<Money>,
}

/// Everything printed on a receipt, independent of any printer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub kind: ReceiptKind,
    pub lang: Lang,
    pub header: ReceiptHeader,
    pub receipt_no: ReceiptNo,
    pub original_receipt: Option<ReceiptNo>,
    /// Local date and time of the sale.
    pub at: DateTime,
    pub cashier: String,
    pub items: Vec<ReceiptItem>,
    pub gross: Money,
    pub member_savings: Money,
    /// Every promotion that took effect, by name, with its discount.
    #[serde(default)]
    pub promotions: Vec<ReceiptSaving>,
    /// Every coupon the sale used, by name and code, with what it took off.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coupons: Vec<ReceiptSaving>,
    pub discounts: Money,
    /// 本单共优惠: member savings, promotions and discounts together.
    #[serde(default)]
    pub total_saving: Money,
    /// A refund's threshold clawback (what it kept back for promotions the kept goods lost).
    #[serde(default)]
    pub clawback: Money,
    pub total: Money,
    pub rounding: Money,
    pub due: Money,
    pub tenders: Vec<ReceiptTender>,
    pub change: Money,
    pub change_to_stored_value: Money,
    pub tax: Vec<TaxGroup>,
    pub member: Option<ReceiptMember>,
    pub footer: Vec<String>,
    pub qr: Option<String>,
    pub reprint: bool,
}

/// What the till knows besides the sale record when it prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptContext {
    pub lang: Lang,
    pub header: ReceiptHeader,
    pub footer: Vec<String>,
    pub cashier_name: String,
    pub at: DateTime,
    pub tier_name: Option<String>,
    pub points_balance: Option<i64>,
    pub stored_value_balance: Option<Money>,
    pub qr: Option<String>,
    pub reprint: bool,
}

impl Receipt {
    /// The receipt of a completed sale.
    pub fn for_sale(sale: &CompletedSale, ctx: &ReceiptContext, weighed: impl Fn(usize) -> bool) -> Receipt {
        let applied = sale.promotions.as_ref().map_or(&[][..], |p| &p.applied[..]);
        let name_of = |id: crate::promotions::PromotionId| {
            applied.iter().find(|p| p.id == id).map_or_else(|| id.0.to_string(), |p| p.name.clone())
        };
        let line_level = |id: crate::promotions::PromotionId| {
            applied.iter().any(|p| p.id == id && p.layer != crate::promotions::Layer::Threshold)
        };
        let items = sale
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| ReceiptItem {
                name: l.item.name.clone(),
                qty: l.priced.qty,
                unit: l.item.unit.clone(),
                weighed: weighed(i),
                unit_price: l.priced.base_unit,
                net: l.net,
                member_saving: l.priced.member_saving,
                discount: l.priced.manual_discount + l.order_discount,
                promotions: l
                    .promotions
                    .iter()
                    .filter(|(id, _)| line_level(*id))
                    .map(|(id, amount)| ReceiptSaving { name: name_of(*id), amount: *amount })
                    .collect(),
                gift: l.gift_of.is_some(),
            })
            .collect();
        let member = sale.member.as_ref().map(|m| ReceiptMember {
            masked_id: m.identifier.masked(),
            tier_name: ctx.tier_name.clone(),
            points_earned: m.points_earned,
            points_used: sale.points_redeemed(),
            points_balance: ctx.points_balance,
            stored_value_balance: ctx.stored_value_balance,
        });
        Receipt {
            kind: ReceiptKind::Sale,
            lang: ctx.lang,
            header: ctx.header.clone(),
            receipt_no: sale.receipt_no.clone(),
            original_receipt: None,
            at: ctx.at,
            cashier: ctx.cashier_name.clone(),
            items,
            gross: sale.totals.gross,
            member_savings: sale.totals.member_savings,
            promotions: applied.iter().map(|p| ReceiptSaving { name: p.name.clone(), amount: p.discount }).collect(),
            coupons: sale
                .coupons
                .iter()
                .map(|c| ReceiptSaving { name: format!("{} {}", c.coupon.name, c.code), amount: c.discount })
                .collect(),
            discounts: sale.totals.manual_discounts + sale.totals.order_discount,
            total_saving: sale.totals.discounts(),
            clawback: Money::ZERO,
            total: sale.totals.total,
            rounding: sale.totals.rounding,
            due: sale.totals.due,
            tenders: sale
                .tenders
                .iter()
                .map(|t| ReceiptTender {
                    kind: t.kind,
                    amount: if t.kind == TenderKind::Cash { t.tendered } else { t.amount },
                    points: t.points,
                    reference: t.reference.clone(),
                })
                .collect(),
            change: sale.change,
            change_to_stored_value: sale.change_to_stored_value,
            tax: sale.tax.clone(),
            member,
            footer: ctx.footer.clone(),
            qr: ctx.qr.clone(),
            reprint: ctx.reprint,
        }
    }

    /// The receipt of a refund, void or return without receipt.
    pub fn for_refund(refund: &Refund, ctx: &ReceiptContext) -> Receipt {
        let items = refund
            .lines
            .iter()
            .map(|l| ReceiptItem {
                name: l.name.clone(),
                qty: l.qty,
                unit: String::new(),
                weighed: false,
                unit_price: Money::ZERO,
                net: l.amount,
                member_saving: Money::ZERO,
                discount: Money::ZERO,
                promotions: Vec::new(),
                gift: false,
            })
            .collect();
        let member = refund.member.as_ref().map(|m| ReceiptMember {
            masked_id: m.identifier.masked(),
            tier_name: ctx.tier_name.clone(),
            points_earned: -refund.points_taken_back,
            points_used: -refund.points_restored,
            points_balance: ctx.points_balance,
            stored_value_balance: ctx.stored_value_balance,
        });
        Receipt {
            kind: match refund.kind {
                RefundKind::Return => ReceiptKind::Return,
                RefundKind::Void => ReceiptKind::Void,
                RefundKind::NoReceipt => ReceiptKind::NoReceiptReturn,
            },
            lang: ctx.lang,
            header: ctx.header.clone(),
            receipt_no: refund.receipt_no.clone(),
            original_receipt: refund.original_receipt.clone(),
            at: ctx.at,
            cashier: ctx.cashier_name.clone(),
            items,
            gross: refund.total,
            member_savings: Money::ZERO,
            promotions: Vec::new(),
            coupons: Vec::new(),
            discounts: Money::ZERO,
            total_saving: Money::ZERO,
            clawback: refund.clawback,
            total: refund.total,
            rounding: refund.rounding,
            due: refund.paid_back(),
            tenders: refund_tenders(refund),
            change: Money::ZERO,
            change_to_stored_value: Money::ZERO,
            tax: refund.tax.clone(),
            member,
            footer: ctx.footer.clone(),
            qr: None,
            reprint: ctx.reprint,
        }
    }

    /// Lays the receipt out for a paper width or a printer's [`LineFormat`].
    pub fn layout(&self, format: impl Into<LineFormat>) -> Vec<Block> {
        let f = format.into();
        let l = Labels::for_lang(self.lang);
        let mut out = Layout::default();
        let is_refund = self.kind != ReceiptKind::Sale;

        if self.reprint {
            out.bold(f.center(l.reprint));
        }
        out.bold(f.center(&self.header.branch_name));
        if !self.header.address.trim().is_empty() {
            out.plain(f.center(&self.header.address));
        }
        if !self.header.phone.trim().is_empty() {
            out.plain(f.center(&format!("{} {}", l.tel, self.header.phone)));
        }
        for line in &self.header.extra {
            out.plain(f.center(line));
        }
        let title = match self.kind {
            ReceiptKind::Sale => l.sale_title,
            ReceiptKind::Return => l.return_title,
            ReceiptKind::Void => l.void_title,
            ReceiptKind::NoReceiptReturn => l.no_receipt_title,
        };
        out.bold(f.center(title));
        out.rule(f.rule('='));
        out.plain(f.left_right(l.receipt_no, &self.receipt_no.to_string()));
        if let Some(orig) = &self.original_receipt {
            out.plain(f.left_right(l.original, &orig.to_string()));
        }
        out.plain(f.left_right(
            &self.at.strftime("%Y-%m-%d %H:%M:%S").to_string(),
            &format!("{} {}", l.cashier, self.cashier),
        ));
        out.rule(f.rule('-'));

        for item in &self.items {
            out.plain(f.wrap(&item.name));
            let qty = if item.weighed { format!("{}{}", item.qty, item.unit) } else { item.qty.to_string() };
            let detail = if item.unit_price.is_zero() {
                format!("  x{qty}")
            } else {
                format!("  {qty} x {}", item.unit_price.plain())
            };
            let net = if is_refund { -item.net } else { item.net };
            out.plain(f.left_right(&detail, &net.plain()));
            if item.member_saving.0 > 0 {
                out.plain(f.left_right(&format!("  {}", l.member_saving), &(-item.member_saving).plain()));
            }
            for p in &item.promotions {
                out.plain(f.left_right(&format!("  {}", p.name), &(-p.amount).plain()));
            }
            if item.gift {
                out.plain(f.wrap(&format!("  {}", l.gift)));
            }
            if item.discount.0 != 0 {
                out.plain(f.left_right(&format!("  {}", l.discount), &(-item.discount).plain()));
            }
        }
        out.rule(f.rule('-'));

        let count: usize = self.items.len();
        out.plain(f.wrap(&format!("{} {count}", l.items)));
        if !is_refund {
            out.plain(f.left_right(l.gross, &self.gross.plain()));
            if self.member_savings.0 > 0 {
                out.plain(f.left_right(l.member_savings, &(-self.member_savings).plain()));
            }
            for p in self.promotions.iter().filter(|p| p.amount.0 > 0) {
                out.plain(f.left_right(&p.name, &(-p.amount).plain()));
            }
            for c in &self.coupons {
                out.plain(f.wrap(&format!("{}: {}", l.coupon, c.name)));
                out.plain(f.left_right("", &(-c.amount).plain()));
            }
            if self.discounts.0 != 0 {
                out.plain(f.left_right(l.discounts, &(-self.discounts).plain()));
            }
        } else if self.clawback.0 != 0 {
            out.plain(f.left_right(l.clawback, &(-self.clawback).plain()));
        }
        if self.rounding.0 != 0 {
            out.plain(f.left_right(l.total, &self.total.plain()));
            out.plain(f.left_right(l.rounding, &self.rounding.plain()));
        }
        let due_label = if is_refund { l.refund_total } else { l.due };
        out.tall(f.left_right(due_label, &self.due.plain()));
        if !is_refund
            && self.total_saving.0 > 0
            && (!self.promotions.is_empty() || !self.coupons.is_empty() || self.discounts.0 > 0)
        {
            out.bold(f.left_right(l.total_saving, &self.total_saving.plain()));
        }
        out.rule(f.rule('-'));

        for t in &self.tenders {
            let name = tender_label(&l, t.kind);
            let name = match (t.kind, &t.reference) {
                (TenderKind::Points, _) => format!("{name}({}{})", t.points, l.points_unit),
                (TenderKind::BankCard, Some(r)) => format!("{name}({r})"),
                _ => name.to_owned(),
            };
            out.plain(f.left_right(&name, &t.amount.plain()));
            // A provider's transaction id (28–32 characters) on a line of its own: what the
            // customer quotes to the provider, and what reconciliation matches. On a refund slip
            // the tender's reference is the refund's number (`{order_no}-R{seq}`).
            if let (true, Some(id)) = (t.kind.is_mobile(), &t.reference) {
                out.plain(f.left_right(if is_refund { l.refund_no } else { l.transaction }, id));
            }
        }
        if !is_refund {
            out.plain(f.left_right(l.change, &self.change.plain()));
            if self.change_to_stored_value.0 > 0 {
                out.plain(f.left_right(l.change_to_sv, &self.change_to_stored_value.plain()));
            }
        }
        if !self.tax.is_empty() {
            out.rule(f.rule('-'));
            for g in &self.tax {
                out.plain(f.left_right(
                    &format!("{} {}", l.tax_rate, g.rate.display_percent()),
                    &format!("{} {}", l.tax, g.tax.plain()),
                ));
            }
        }
        if let Some(m) = &self.member {
            out.rule(f.rule('-'));
            let who = match &m.tier_name {
                Some(t) => format!("{} {} {t}", l.member, m.masked_id),
                None => format!("{} {}", l.member, m.masked_id),
            };
            out.plain(f.wrap(&who));
            if is_refund {
                // A refund takes earned points back and gives used points back: said as such.
                if m.points_earned != 0 {
                    out.plain(f.left_right(l.points_taken_back, &m.points_earned.to_string()));
                }
                if m.points_used != 0 {
                    out.plain(f.left_right(l.points_returned, &format!("+{}", -m.points_used)));
                }
            } else {
                let earned =
                    if m.points_earned >= 0 { format!("+{}", m.points_earned) } else { m.points_earned.to_string() };
                out.plain(f.left_right(l.points_earned, &earned));
                if m.points_used != 0 {
                    out.plain(f.left_right(l.points_used, &(-m.points_used).to_string()));
                }
            }
            if let Some(b) = m.points_balance {
                out.plain(f.left_right(l.points_balance, &b.to_string()));
            }
            if let Some(sv) = m.stored_value_balance {
                out.plain(f.left_right(l.sv_balance, &sv.plain()));
            }
        }
        out.rule(f.rule('-'));
        for line in &self.footer {
            out.plain(f.center(line));
        }
        out.blocks.push(Block::Barcode(self.receipt_no.to_string()));
        if let Some(qr) = &self.qr {
            out.blocks.push(Block::Qr(qr.clone()));
        }
        out.blocks
    }

    /// The receipt as plain text, one line per printed line, exactly as the printer simulator
    /// reads it back.
    pub fn text(&self, format: impl Into<LineFormat>) -> String {
        let f = format.into();
        blocks_text(&self.layout(f), f)
    }
}

/// The text form of laid-out blocks.
pub fn blocks_text(blocks: &[Block], format: impl Into<LineFormat>) -> String {
    let w = format.into();
    let mut s = String::new();
    for b in blocks {
        match b {
            Block::Line(l) => s.push_str(&l.text),
            Block::Barcode(d) => s.push_str(&barcode_caption(d, w)),
            Block::Qr(d) => s.push_str(&qr_caption(d, w)),
        }
        s.push('\n');
    }
    s
}

/// What a refund paid back, one line per way it was paid: the cash of several cash tenders is
/// one amount; a card keeps its reference.
fn refund_tenders(refund: &Refund) -> Vec<ReceiptTender> {
    let mut out: Vec<ReceiptTender> = Vec::new();
    for t in refund.tenders.iter().filter(|t| t.amount.0 > 0) {
        let amount = if t.kind == TenderKind::Cash { t.tendered } else { t.amount };
        match out.iter_mut().find(|o| o.kind == t.kind && o.reference == t.reference) {
            Some(o) => {
                o.amount += amount;
                o.points += t.points;
            }
            None => out.push(ReceiptTender { kind: t.kind, amount, points: t.points, reference: t.reference.clone() }),
        }
    }
    out
}

#[derive(Default)]
struct Layout {
    blocks: Vec<Block>,
}

impl Layout {
    fn push(&mut self, lines: Vec<String>, bold: bool, tall: bool) {
        self.blocks.extend(lines.into_iter().map(|text| Block::Line(PrintLine { text, bold, tall })));
    }
    fn plain(&mut self, lines: Vec<String>) {
        self.push(lines, false, false);
    }
    fn bold(&mut self, lines: Vec<String>) {
        self.push(lines, true, false);
    }
    fn tall(&mut self, lines: Vec<String>) {
        self.push(lines, true, true);
    }
    fn rule(&mut self, line: String) {
        self.plain(vec![line]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_numbers() {
        let r = ReceiptNo::new("B001", 1, 42);
        assert_eq!(r.to_string(), "B001-01-000042");
        assert_eq!(ReceiptNo::parse("B001-01-000042"), Ok(r));
        assert_eq!(ReceiptNo::parse("SH12-13-1234567").map(|r| r.seq), Ok(1_234_567));
        for bad in ["", "B001-1-000042", "B001-01-42", "B0 1-01-000042", "-01-000042", "6901234567892"] {
            assert!(ReceiptNo::parse(bad).is_err(), "{bad}");
        }
    }
}
