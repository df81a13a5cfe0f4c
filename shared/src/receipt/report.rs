//! A shift's X or Z report as a till shows and prints it: the figures `spec/domain.md` lists, in
//! order, labelled in the till's language.

use jiff::civil::DateTime;
use serde::{Deserialize, Serialize};

use super::labels::{Labels, tender_label};
use super::{Block, Layout, LineFormat};
use crate::lang::Lang;
use crate::sale::TenderKind;
use crate::shift::ShiftReport;

/// A shift report laid out as lines of `label  value`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSlip {
    pub branch_name: String,
    /// `X 报表` or `Z 报表 #12`.
    pub title: String,
    pub at: DateTime,
    pub cashier: String,
    pub rows: Vec<(String, String)>,
}

/// The figures of a shift report in `lang`: sales count, gross, discounts, net, refunds, voids,
/// each tender, points earned and redeemed, stored value, no-sale opens, paid in and out, the
/// float, expected, counted and over/short. With `with_expected` false the expected cash is left
/// out (an X report a cashier reads before their blind count).
pub fn report_rows(r: &ShiftReport, lang: Lang, with_expected: bool) -> Vec<(String, String)> {
    let l = Labels::for_lang(lang);
    let t = |zh: &str, en: &str| lang.pick(zh, en).to_owned();
    let mut rows = vec![
        (t("备用金", "Float"), r.float.to_string()),
        (t("销售笔数", "Sales"), r.sales_count.to_string()),
        (t("销售原价", "Gross"), r.gross.to_string()),
        (t("优惠与折扣", "Discounts"), format!("-{}", r.discounts)),
        (t("销售净额", "Net"), r.net.to_string()),
        (t("退货", "Refunds"), format!("{} / {}", r.refunds_count, r.refunds)),
        (t("撤销", "Voids"), format!("{} / {}", r.voids_count, r.voids)),
    ];
    for kind in TenderKind::ALL {
        let amount = r.tenders.get(&kind).copied().unwrap_or_default();
        rows.push((tender_label(&l, kind).to_owned(), amount.to_string()));
    }
    rows.extend([
        (t("积分发放", "Points earned"), r.points_earned.to_string()),
        (t("积分抵扣", "Points redeemed"), r.points_redeemed.to_string()),
        (t("储值充值", "Stored value topped up"), r.stored_value_topped_up.to_string()),
        (t("储值消费", "Stored value spent"), r.stored_value_spent.to_string()),
        (t("无销售开钱箱", "No-sale drawer opens"), r.no_sale_opens.to_string()),
        (t("存入现金", "Paid in"), r.paid_in.to_string()),
        (t("取出现金", "Paid out"), r.paid_out.to_string()),
    ]);
    if with_expected || r.counted.is_some() {
        rows.push((t("应有现金", "Expected cash"), r.expected.to_string()));
    }
    if let (Some(counted), Some(over_short)) = (r.counted, r.over_short) {
        rows.push((t("实点现金", "Counted"), counted.to_string()));
        rows.push((t("长短款", "Over / short"), over_short.to_string()));
    }
    rows
}

impl ReportSlip {
    /// Lays the report out for a printer's grid.
    pub fn layout(&self, format: impl Into<LineFormat>) -> Vec<Block> {
        let f = format.into();
        let mut out = Layout::default();
        out.bold(f.center(&self.branch_name));
        out.tall(f.center(&self.title));
        out.rule(f.rule('='));
        out.plain(f.left_right(&self.at.strftime("%Y-%m-%d %H:%M").to_string(), &self.cashier));
        out.rule(f.rule('-'));
        for (label, value) in &self.rows {
            out.plain(f.left_right(label, value));
        }
        out.rule(f.rule('='));
        out.blocks
    }

    /// The report as plain text (what the printer simulator reads back).
    pub fn text(&self, format: impl Into<LineFormat>) -> String {
        let f = format.into();
        super::blocks_text(&self.layout(f), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;
    use crate::receipt::PaperWidth;

    #[test]
    fn a_cashier_x_report_has_every_figure_but_the_expected_cash() {
        let mut r = ShiftReport::new(Money(50_000));
        r.add_movement(crate::shift::MovementKind::NoSale, Money::ZERO);
        let labels = |rows: &[(String, String)]| rows.iter().map(|(l, _)| l.clone()).collect::<Vec<_>>();
        let x = report_rows(&r, Lang::En, false);
        assert!(!labels(&x).contains(&"Expected cash".to_owned()));
        for l in ["Sales", "Gross", "Discounts", "Net", "Refunds", "Voids", "Cash", "Points earned"] {
            assert!(labels(&x).contains(&l.to_owned()), "{l} in {x:?}");
        }
        assert!(x.contains(&("No-sale drawer opens".to_owned(), "1".to_owned())));
        let mut z = r.clone();
        z.close(&crate::shift::CashCount::default());
        let rows = report_rows(&z, Lang::En, false);
        assert!(rows.contains(&("Expected cash".to_owned(), Money(50_000).to_string())));
        assert!(rows.contains(&("Over / short".to_owned(), Money(-50_000).to_string())));
        let slip = ReportSlip {
            branch_name: "B".into(),
            title: "Z #1".into(),
            at: jiff::civil::date(2026, 1, 2).at(21, 0, 0, 0),
            cashier: "Li".into(),
            rows,
        };
        let text = slip.text(PaperWidth::Mm58);
        assert!(text.lines().all(|l| crate::receipt::text_width(l) <= 32), "{text}");
        assert!(text.contains("Over / short"), "{text}");
    }
}
