//! Receipts: the receipt number, a printer-independent receipt document, and its text layout at
//! 32 columns (58 mm paper) and 48 columns (80 mm).
//!
//! Layout counts display columns, not bytes or chars: a Chinese character takes two columns. The
//! width rule is the one Chinese thermal printers follow in GB18030/GBK mode: every character that
//! East Asian width calls wide *or ambiguous* (`·`, `—`, `“`) prints two columns wide.
//!
//! The layout pads every line itself (no printer-side alignment), so the ESC/POS renderer sends the
//! lines as they are and the printer simulator reads back exactly [`Receipt::text`].

use std::fmt;

use jiff::civil::DateTime;
use serde::{Deserialize, Serialize};
use unicode_width::UnicodeWidthChar;

use crate::lang::Lang;
use crate::money::{Money, Qty};
use crate::sale::{CompletedSale, Refund, RefundKind, TenderKind};
use crate::tax::TaxGroup;

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

/// Paper width.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaperWidth {
    /// 58 mm: 32 columns.
    Mm58,
    /// 80 mm: 48 columns.
    #[default]
    Mm80,
}

impl PaperWidth {
    pub fn columns(self) -> usize {
        match self {
            PaperWidth::Mm58 => 32,
            PaperWidth::Mm80 => 48,
        }
    }
}

/// The columns a character takes on a Chinese receipt printer (wide and ambiguous = 2).
pub fn char_width(c: char) -> usize {
    c.width_cjk().unwrap_or(0)
}

/// The columns a string takes on a Chinese receipt printer.
pub fn text_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Replaces control characters (which a printer would obey as commands) with spaces.
pub fn sanitize(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// Breaks text into lines of at most `width` columns, preferring to break ASCII text at spaces.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let text = sanitize(text);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut w = 0;
    for c in text.chars() {
        let cw = char_width(c);
        if cw > width {
            continue;
        }
        if w + cw > width {
            // Break at the last space if the line has one and the rest is a short word.
            let (head, tail) = match line.rfind(' ') {
                Some(i) if c != ' ' && i > 0 && text_width(&line[i + 1..]) < width / 2 => {
                    (line[..i].to_owned(), line[i + 1..].to_owned())
                }
                _ => (line.clone(), String::new()),
            };
            lines.push(head.trim_end().to_owned());
            line = tail;
            w = text_width(&line);
            if c == ' ' && line.is_empty() {
                continue;
            }
        }
        line.push(c);
        w += cw;
    }
    if !line.trim().is_empty() || lines.is_empty() {
        lines.push(line.trim_end().to_owned());
    }
    lines
}

/// Cuts text to at most `width` columns.
pub fn truncate(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut w = 0;
    for c in sanitize(text).chars() {
        let cw = char_width(c);
        if w + cw > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    out
}

/// `left` and `right` on one line of `width` columns, the right part flush right. When both do not
/// fit, the left part wraps onto lines of its own and the right part ends the last line (or gets a
/// line of its own).
pub fn left_right(left: &str, right: &str, width: usize) -> Vec<String> {
    let right = truncate(right, width);
    let rw = text_width(&right);
    let mut lines = wrap(left, width);
    let last = lines.pop().unwrap_or_default();
    let lw = text_width(&last);
    if lw + 1 + rw <= width || (last.is_empty() && rw <= width) {
        let pad = width.saturating_sub(lw + rw);
        lines.push(format!("{last}{}{right}", " ".repeat(pad)));
    } else {
        lines.push(last);
        lines.push(format!("{}{right}", " ".repeat(width - rw)));
    }
    lines
}

/// `text` centred in `width` columns (wrapped if longer).
pub fn center(text: &str, width: usize) -> Vec<String> {
    wrap(text, width)
        .into_iter()
        .map(|l| {
            let pad = (width - text_width(&l)) / 2;
            format!("{}{l}", " ".repeat(pad))
        })
        .collect()
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

/// How a barcode appears in the text form of a receipt (the printer simulator uses the same).
pub fn barcode_caption(data: &str, width: usize) -> String {
    center(&format!("|| {data} ||"), width).into_iter().next().unwrap_or_default()
}

/// How a QR code appears in the text form of a receipt.
pub fn qr_caption(data: &str, width: usize) -> String {
    truncate(&format!("[QR] {data}"), width)
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
    pub discounts: Money,
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
            discounts: sale.totals.manual_discounts + sale.totals.order_discount,
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
            discounts: Money::ZERO,
            total: refund.total,
            rounding: refund.rounding,
            due: refund.paid_back(),
            tenders: refund
                .tenders
                .iter()
                .filter(|t| t.amount.0 > 0)
                .map(|t| ReceiptTender {
                    kind: t.kind,
                    amount: if t.kind == TenderKind::Cash { t.tendered } else { t.amount },
                    points: t.points,
                    reference: t.reference.clone(),
                })
                .collect(),
            change: Money::ZERO,
            change_to_stored_value: Money::ZERO,
            tax: refund.tax.clone(),
            member,
            footer: ctx.footer.clone(),
            qr: None,
            reprint: ctx.reprint,
        }
    }

    /// Lays the receipt out for `paper`.
    pub fn layout(&self, paper: PaperWidth) -> Vec<Block> {
        let w = paper.columns();
        let l = Labels::for_lang(self.lang);
        let mut out = Layout::default();
        let is_refund = self.kind != ReceiptKind::Sale;

        if self.reprint {
            out.bold(center(l.reprint, w));
        }
        out.bold(center(&self.header.branch_name, w));
        if !self.header.address.trim().is_empty() {
            out.plain(center(&self.header.address, w));
        }
        if !self.header.phone.trim().is_empty() {
            out.plain(center(&format!("{} {}", l.tel, self.header.phone), w));
        }
        for line in &self.header.extra {
            out.plain(center(line, w));
        }
        let title = match self.kind {
            ReceiptKind::Sale => l.sale_title,
            ReceiptKind::Return => l.return_title,
            ReceiptKind::Void => l.void_title,
            ReceiptKind::NoReceiptReturn => l.no_receipt_title,
        };
        out.bold(center(title, w));
        out.rule('=', w);
        out.plain(left_right(l.receipt_no, &self.receipt_no.to_string(), w));
        if let Some(orig) = &self.original_receipt {
            out.plain(left_right(l.original, &orig.to_string(), w));
        }
        out.plain(left_right(
            &self.at.strftime("%Y-%m-%d %H:%M:%S").to_string(),
            &format!("{} {}", l.cashier, self.cashier),
            w,
        ));
        out.rule('-', w);

        for item in &self.items {
            out.plain(wrap(&item.name, w));
            let qty = if item.weighed { format!("{}{}", item.qty, item.unit) } else { item.qty.to_string() };
            let detail = if item.unit_price.is_zero() {
                format!("  x{qty}")
            } else {
                format!("  {qty} x {}", item.unit_price.plain())
            };
            let net = if is_refund { -item.net } else { item.net };
            out.plain(left_right(&detail, &net.plain(), w));
            if item.member_saving.0 > 0 {
                out.plain(left_right(&format!("  {}", l.member_saving), &(-item.member_saving).plain(), w));
            }
            if item.discount.0 != 0 {
                out.plain(left_right(&format!("  {}", l.discount), &(-item.discount).plain(), w));
            }
        }
        out.rule('-', w);

        let count: usize = self.items.len();
        out.plain(wrap(&format!("{} {count}", l.items), w));
        if !is_refund {
            out.plain(left_right(l.gross, &self.gross.plain(), w));
            if self.member_savings.0 > 0 {
                out.plain(left_right(l.member_savings, &(-self.member_savings).plain(), w));
            }
            if self.discounts.0 != 0 {
                out.plain(left_right(l.discounts, &(-self.discounts).plain(), w));
            }
        }
        if self.rounding.0 != 0 {
            out.plain(left_right(l.total, &self.total.plain(), w));
            out.plain(left_right(l.rounding, &self.rounding.plain(), w));
        }
        let due_label = if is_refund { l.refund_total } else { l.due };
        out.tall(left_right(due_label, &self.due.plain(), w));
        out.rule('-', w);

        for t in &self.tenders {
            let name = tender_label(&l, t.kind);
            let name = match (t.kind, &t.reference) {
                (TenderKind::Points, _) => format!("{name}({}{})", t.points, l.points_unit),
                (TenderKind::BankCard, Some(r)) => format!("{name}({r})"),
                _ => name.to_owned(),
            };
            out.plain(left_right(&name, &t.amount.plain(), w));
        }
        if !is_refund {
            out.plain(left_right(l.change, &self.change.plain(), w));
            if self.change_to_stored_value.0 > 0 {
                out.plain(left_right(l.change_to_sv, &self.change_to_stored_value.plain(), w));
            }
        }
        if !self.tax.is_empty() {
            out.rule('-', w);
            for g in &self.tax {
                out.plain(left_right(
                    &format!("{} {}", l.tax_rate, g.rate.display_percent()),
                    &format!("{} {}", l.tax, g.tax.plain()),
                    w,
                ));
            }
        }
        if let Some(m) = &self.member {
            out.rule('-', w);
            let who = match &m.tier_name {
                Some(t) => format!("{} {} {t}", l.member, m.masked_id),
                None => format!("{} {}", l.member, m.masked_id),
            };
            out.plain(wrap(&who, w));
            let earned =
                if m.points_earned >= 0 { format!("+{}", m.points_earned) } else { m.points_earned.to_string() };
            out.plain(left_right(l.points_earned, &earned, w));
            if m.points_used != 0 {
                out.plain(left_right(l.points_used, &(-m.points_used).to_string(), w));
            }
            if let Some(b) = m.points_balance {
                out.plain(left_right(l.points_balance, &b.to_string(), w));
            }
            if let Some(sv) = m.stored_value_balance {
                out.plain(left_right(l.sv_balance, &sv.plain(), w));
            }
        }
        out.rule('-', w);
        for f in &self.footer {
            out.plain(center(f, w));
        }
        out.blocks.push(Block::Barcode(self.receipt_no.to_string()));
        if let Some(qr) = &self.qr {
            out.blocks.push(Block::Qr(qr.clone()));
        }
        out.blocks
    }

    /// The receipt as plain text, one line per printed line, exactly as the printer simulator
    /// reads it back.
    pub fn text(&self, paper: PaperWidth) -> String {
        blocks_text(&self.layout(paper), paper)
    }
}

/// The text form of laid-out blocks.
pub fn blocks_text(blocks: &[Block], paper: PaperWidth) -> String {
    let w = paper.columns();
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
    fn rule(&mut self, c: char, w: usize) {
        self.plain(vec![c.to_string().repeat(w)]);
    }
}

fn tender_label(l: &Labels, kind: TenderKind) -> &'static str {
    match kind {
        TenderKind::Cash => l.cash,
        TenderKind::BankCard => l.card,
        TenderKind::StoredValue => l.stored_value,
        TenderKind::Points => l.points,
    }
}

/// Receipt wording per language.
struct Labels {
    reprint: &'static str,
    tel: &'static str,
    sale_title: &'static str,
    return_title: &'static str,
    void_title: &'static str,
    no_receipt_title: &'static str,
    receipt_no: &'static str,
    original: &'static str,
    cashier: &'static str,
    member_saving: &'static str,
    discount: &'static str,
    items: &'static str,
    gross: &'static str,
    member_savings: &'static str,
    discounts: &'static str,
    total: &'static str,
    rounding: &'static str,
    due: &'static str,
    refund_total: &'static str,
    cash: &'static str,
    card: &'static str,
    stored_value: &'static str,
    points: &'static str,
    points_unit: &'static str,
    change: &'static str,
    change_to_sv: &'static str,
    tax_rate: &'static str,
    tax: &'static str,
    member: &'static str,
    points_earned: &'static str,
    points_used: &'static str,
    points_balance: &'static str,
    sv_balance: &'static str,
}

impl Labels {
    fn for_lang(lang: Lang) -> Labels {
        match lang {
            Lang::ZhCn => Labels {
                reprint: "*** 重印 ***",
                tel: "电话",
                sale_title: "销售小票",
                return_title: "退货单",
                void_title: "作废单",
                no_receipt_title: "无小票退货单",
                receipt_no: "单号",
                original: "原单号",
                cashier: "收银员",
                member_saving: "会员优惠",
                discount: "折扣",
                items: "品项",
                gross: "原价合计",
                member_savings: "会员优惠",
                discounts: "折扣",
                total: "合计",
                rounding: "抹零",
                due: "应付",
                refund_total: "退款合计",
                cash: "现金",
                card: "银行卡",
                stored_value: "储值",
                points: "积分抵扣",
                points_unit: "分",
                change: "找零",
                change_to_sv: "找零转储值",
                tax_rate: "税率",
                tax: "税额",
                member: "会员",
                points_earned: "本次积分",
                points_used: "使用积分",
                points_balance: "积分余额",
                sv_balance: "储值余额",
            },
            Lang::En => Labels {
                reprint: "*** REPRINT ***",
                tel: "Tel",
                sale_title: "SALES RECEIPT",
                return_title: "RETURN",
                void_title: "VOID",
                no_receipt_title: "RETURN WITHOUT RECEIPT",
                receipt_no: "No.",
                original: "Original",
                cashier: "Cashier",
                member_saving: "Member saving",
                discount: "Discount",
                items: "Items",
                gross: "Subtotal",
                member_savings: "Member savings",
                discounts: "Discounts",
                total: "Total",
                rounding: "Rounding",
                due: "TOTAL",
                refund_total: "REFUND",
                cash: "Cash",
                card: "Bank card",
                stored_value: "Stored value",
                points: "Points",
                points_unit: "pts",
                change: "Change",
                change_to_sv: "Change to stored value",
                tax_rate: "VAT",
                tax: "tax",
                member: "Member",
                points_earned: "Points earned",
                points_used: "Points used",
                points_balance: "Points balance",
                sv_balance: "Stored value",
            },
        }
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

    #[test]
    fn widths() {
        assert_eq!(text_width("abc"), 3);
        assert_eq!(text_width("可口可乐"), 8);
        assert_eq!(text_width("可乐 Cola"), 9);
        assert_eq!(text_width("·"), 2);
    }

    #[test]
    fn left_right_fits_or_wraps() {
        assert_eq!(left_right("合计", "12.30", 16), vec!["合计       12.30"]);
        let lines = left_right("一个非常非常长的商品名称啊", "9.99", 16);
        assert!(lines.iter().all(|l| text_width(l) <= 16), "{lines:?}");
        assert_eq!(lines, vec!["一个非常非常长的", "商品名称啊  9.99"]);
        let lines = left_right("一个非常非常长的商品名称啊啊", "9.99", 16);
        assert_eq!(lines, vec!["一个非常非常长的", "商品名称啊啊", "            9.99"]);
    }

    #[test]
    fn wrap_breaks_words_and_wide_chars() {
        assert_eq!(wrap("hello big world", 10), vec!["hello big", "world"]);
        assert_eq!(wrap("可口可乐可口可乐", 7), vec!["可口可", "乐可口", "可乐"]);
        assert_eq!(wrap("", 10), vec![""]);
        assert_eq!(wrap("a\x1b@b", 10), vec!["a @b"]);
    }
}
