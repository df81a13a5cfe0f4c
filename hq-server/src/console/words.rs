//! The words of the reports as a person reads them: each report's name, each column's heading,
//! each note's label and each machine value (a tender, a ledger or refund kind, a day's status),
//! in Simplified Chinese and English. The API and the CSV exports keep the machine names (they
//! are for other programs); the console shows these. Tests check that every report's every
//! column and every value `shared` can produce has both.

use shared::lang::Lang;

use crate::reports::ReportKind;

/// `(machine name, zh-CN, en)`.
type Word = (&'static str, &'static str, &'static str);

const REPORTS: &[Word] = &[
    ("sales_by_branch", "门店销售", "Sales by branch"),
    ("sales_by_day", "每日销售", "Sales by day"),
    ("sales_by_till", "收银机销售", "Sales by till"),
    ("sales_by_cashier", "收银员销售", "Sales by cashier"),
    ("sales_by_category", "品类销售", "Sales by category"),
    ("sales_by_product", "商品销售", "Sales by product"),
    ("tenders", "支付方式", "Tenders"),
    ("refunds_and_voids", "退货与作废", "Refunds and voids"),
    ("discounts", "折扣", "Discounts"),
    ("shifts", "班次与长短款", "Shifts and over / short"),
    ("day_end", "日结状态", "Day-end status"),
    ("points", "积分收支", "Points in and out"),
    ("stored_value", "储值收支", "Stored value in and out"),
    ("members", "会员销售", "Members' sales"),
    ("members_by_tier", "会员等级分布", "Members by tier"),
    ("top_customers", "重点客户（80/20）", "Top customers (80/20)"),
    ("promotions", "促销成本", "Promotion cost"),
    ("coupons", "优惠券", "Coupons"),
];

const COLUMNS: &[Word] = &[
    ("active_members", "有消费的会员", "Active members"),
    ("all_discounts", "全部折扣", "All discounts"),
    ("all_due", "全部销售额", "All sales"),
    ("bonus", "赠送金额", "Bonus"),
    ("branch", "门店", "Branch"),
    ("cashier", "收银员", "Cashier"),
    ("category", "品类", "Category"),
    ("counted", "实点现金", "Counted"),
    ("cumulative_share_bp", "累计占比", "Cumulative share"),
    ("day", "营业日", "Business day"),
    ("discounts", "折扣", "Discounts"),
    ("due", "销售额（退货前）", "Sales (before refunds)"),
    ("entries", "笔数", "Entries"),
    ("expected", "应有现金", "Expected cash"),
    ("gross", "原价金额", "Gross"),
    ("kind", "类型", "Kind"),
    ("lines", "行数", "Lines"),
    ("manual_discounts", "手工折扣", "Manual discounts"),
    ("member", "会员", "Member"),
    ("member_due", "会员销售额", "Members' sales"),
    ("member_sales", "会员交易笔数", "Members' transactions"),
    ("member_savings", "会员优惠", "Member savings"),
    ("members", "会员数", "Members"),
    ("name", "名称", "Name"),
    ("net", "净额", "Net"),
    ("new_members", "新会员", "New members"),
    ("order_discounts", "整单折扣", "Order discounts"),
    ("original", "原小票", "Original receipt"),
    ("over_short", "长短款", "Over / short"),
    ("paid_back", "退款", "Paid back"),
    ("points", "积分", "Points"),
    ("points_restored", "退还积分", "Points restored"),
    ("points_taken_back", "扣回积分", "Points taken back"),
    ("points_used", "使用积分", "Points used"),
    ("principal", "本金", "Principal"),
    ("promotion_discounts", "促销优惠", "Promotions"),
    ("product", "商品", "Product"),
    ("qty_milli", "数量", "Quantity"),
    ("reason", "原因", "Reason"),
    ("receipt", "小票号", "Receipt"),
    ("refund", "退款额", "Refund"),
    ("refunded", "退货额", "Refunded"),
    ("returned", "退货额", "Returned"),
    ("returned_qty_milli", "退货数量", "Returned quantity"),
    ("rounding", "抹零", "Rounding"),
    ("sales", "交易笔数", "Transactions"),
    ("shifts_closed", "已结班次", "Shifts closed"),
    ("shifts_open", "未结班次", "Shifts open"),
    ("spend", "消费额", "Spend"),
    ("status", "状态", "Status"),
    ("taken", "收款", "Taken"),
    ("tender", "支付方式", "Tender"),
    ("tier", "等级", "Tier"),
    ("till", "收银机", "Till"),
    ("tills_closed", "已日结收银机", "Tills closed"),
    ("tills_open", "未日结收银机", "Tills open"),
    ("total", "合计", "Total"),
    ("z_number", "Z 报表号", "Z number"),
    ("promotion", "促销", "Promotion"),
    ("given", "让利", "Given"),
    ("cost", "促销成本", "Cost"),
    ("coupon_discounts", "优惠券抵扣", "Coupons"),
    ("campaign", "优惠券活动", "Campaign"),
    ("issued", "已发放", "Issued"),
    ("redeemed", "已使用", "Redeemed"),
    ("discount", "抵扣金额", "Discount"),
    ("expired", "已过期", "Expired"),
    ("outstanding", "未使用", "Outstanding"),
    ("flagged", "存疑未核销", "Flagged, not redeemed"),
    ("flagged_discount", "存疑券优惠", "Flagged coupons' discount"),
];

const NOTES: &[Word] = &[
    ("points_outstanding", "未使用积分", "Points outstanding"),
    ("points_outstanding_value_fen", "未使用积分可抵金额", "Points outstanding, in money"),
    ("principal_outstanding_fen", "储值本金余额", "Stored value principal outstanding"),
    ("bonus_outstanding_fen", "储值赠送余额", "Stored value bonus outstanding"),
    ("stored_value_outstanding_fen", "储值余额", "Stored value outstanding"),
    ("members_with_sales", "有消费的会员", "Members with sales"),
    ("members_bringing_80_percent", "贡献 80% 消费额的会员", "Members bringing 80 % of spend"),
];

/// Values by column: tenders, ledger and refund kinds, a business day's status; and on the other
/// pages, a member card's kind and status, a till's status, a till event's kind.
const VALUES: &[(&str, Word)] = &[
    ("tender", ("cash", "现金", "Cash")),
    ("tender", ("bank_card", "银行卡", "Bank card")),
    ("tender", ("wechat_pay", "微信支付", "WeChat Pay")),
    ("tender", ("alipay", "支付宝", "Alipay")),
    ("tender", ("stored_value", "储值", "Stored value")),
    ("tender", ("points", "积分抵扣", "Points")),
    ("kind", ("return", "退货", "Return")),
    ("kind", ("void", "作废", "Void")),
    ("kind", ("no_receipt", "无小票退货", "Return without receipt")),
    ("kind", ("earn", "消费积分", "Earned")),
    ("kind", ("redeem", "积分抵扣", "Redeemed")),
    ("kind", ("reverse", "退货扣回", "Taken back on refund")),
    ("kind", ("restore", "退货退还", "Restored on refund")),
    ("kind", ("expire", "过期", "Expired")),
    ("kind", ("adjust", "手工调整", "Adjusted")),
    ("kind", ("topup", "充值", "Top-up")),
    ("kind", ("spend", "储值消费", "Spent")),
    ("kind", ("refund", "退回储值", "Refunded to stored value")),
    ("status", ("open", "未日结", "Open")),
    ("status", ("closed", "已日结", "Closed")),
    ("card_kind", ("code", "会员卡号", "Card number")),
    ("card_kind", ("uid", "感应卡", "Contactless card")),
    ("card_status", ("active", "正常", "Active")),
    ("card_status", ("lost", "挂失", "Lost")),
    ("card_status", ("replaced", "已换卡", "Replaced")),
    ("card_status", ("blocked", "冻结", "Blocked")),
    ("cash_rounding", ("none", "不抹零", "None")),
    ("cash_rounding", ("down_to_jiao", "抹去分", "Down to 10 fen")),
    ("cash_rounding", ("half_up_to_jiao", "分四舍五入到角", "Half up to 10 fen")),
    ("cash_rounding", ("down_to_yuan", "抹去角分", "Down to the yuan")),
    ("till_status", ("awaiting_enrolment", "待开通", "Awaiting enrolment")),
    ("till_status", ("enrolled", "已开通", "Enrolled")),
    ("till_status", ("revoked", "已停用", "Revoked")),
    ("event", ("sale_completed", "销售", "Sale")),
    ("event", ("sale_refunded", "退货", "Refund")),
    ("event", ("sale_voided", "作废", "Void")),
    ("event", ("shift_opened", "开班", "Shift opened")),
    ("event", ("cash_movement", "现金存取", "Cash movement")),
    ("event", ("shift_closed", "交班", "Shift closed")),
    ("event", ("day_closed", "日结", "Day closed")),
    ("event", ("member_enrolled", "会员登记", "Member enrolled")),
    ("event", ("audit", "操作记录", "Audit record")),
    ("source", ("sale", "销售", "Sale")),
    ("source", ("refund", "退货", "Refund")),
    ("source", ("adjust", "手工调整", "Adjustment")),
    ("source", ("topup", "充值", "Top-up")),
    ("source", ("expire", "积分过期", "Expiry")),
];

fn find(words: &[Word], lang: Lang, name: &str) -> Option<&'static str> {
    words.iter().find(|w| w.0 == name).map(|w| lang.pick(w.1, w.2))
}

/// A report's name.
pub fn report(lang: Lang, kind: ReportKind) -> &'static str {
    find(REPORTS, lang, kind.code()).unwrap_or(kind.code())
}

/// A column's heading (the machine name where there is none, which a test forbids).
pub fn column(lang: Lang, name: &str) -> &str {
    find(COLUMNS, lang, name).unwrap_or(name)
}

/// A note's label.
pub fn note(lang: Lang, name: &str) -> &str {
    find(NOTES, lang, name).unwrap_or(name)
}

/// Whether a note is an amount of money (fen).
pub fn note_is_money(name: &str) -> bool {
    name.ends_with("_fen")
}

/// A text cell as shown: a machine value of its column in words; "N others" (the top customers'
/// last row) in the page's language; anything else (names, codes, receipts) as it is.
pub fn value(lang: Lang, column: &str, text: &str) -> String {
    if let Some(w) = VALUES.iter().find(|(c, w)| *c == column && w.0 == text) {
        return lang.pick(w.1.1, w.1.2).to_owned();
    }
    // A ledger entry's cause, `kind:id`: the kind in words, then the id.
    if column == "source"
        && let Some((kind, id)) = text.split_once(':')
        && let Some(w) = VALUES.iter().find(|(c, w)| *c == "source" && w.0 == kind)
    {
        return format!("{} {id}", lang.pick(w.1.1, w.1.2));
    }
    if column == "member"
        && let Some(n) = text.strip_suffix(" others").filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
    {
        return match lang {
            Lang::ZhCn => format!("其余 {n} 位会员"),
            Lang::En => format!("{n} other members"),
        };
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use shared::ledger::LedgerKind;
    use shared::sale::TenderKind;

    use super::*;

    fn cjk(s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    #[test]
    fn every_report_value_kind_and_status_has_words_in_both_languages() {
        for k in ReportKind::ALL {
            assert!(cjk(report(Lang::ZhCn, k)) && !cjk(report(Lang::En, k)), "{k:?}");
        }
        let codes = TenderKind::ALL.iter().map(|t| ("tender", t.code()));
        let ledger = LedgerKind::ALL.iter().map(|k| ("kind", k.code()));
        let refunds = ["return", "void", "no_receipt"].into_iter().map(|k| ("kind", k));
        let status = ["open", "closed"].into_iter().map(|k| ("status", k));
        for (column, code) in codes.chain(ledger).chain(refunds).chain(status) {
            assert!(cjk(&value(Lang::ZhCn, column, code)), "{column} {code}");
            assert_ne!(value(Lang::En, column, code), code, "{column} {code}");
        }
        for (name, zh, en) in COLUMNS.iter().chain(NOTES) {
            assert!(cjk(zh) && !cjk(en), "{name}");
        }
        assert_eq!(value(Lang::ZhCn, "member", "12 others"), "其余 12 位会员");
        assert_eq!(value(Lang::En, "member", "12 others"), "12 other members");
        assert_eq!(value(Lang::ZhCn, "source", "refund:0192"), "退货 0192");
        assert_eq!(value(Lang::ZhCn, "name", "cash"), "cash", "only a column's own values are words");
    }

    #[test]
    fn every_column_and_note_of_every_report_has_words() {
        use crate::store::ReportStore as _;
        let dir = tempfile::tempdir().expect("dir");
        let store = crate::store::sql::SqlStore::open(&dir.path().join("hq.sqlite")).expect("store");
        let day = jiff::civil::date(2026, 11, 28);
        for kind in ReportKind::ALL {
            let r =
                store.report(&crate::reports::ReportQuery { kind, from: day, to: day, branch: None }).expect("report");
            for c in &r.columns {
                for lang in Lang::ALL {
                    assert_ne!(column(lang, &c.name), c.name, "{kind:?} column {} in {lang:?}", c.name);
                }
            }
            for (n, _) in &r.notes {
                assert_ne!(note(Lang::ZhCn, n), n, "{kind:?} note {n}");
            }
        }
    }
}
