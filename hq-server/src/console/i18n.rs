//! Every word of the web console, in Simplified Chinese and English.

shared::text_table!(C {
    Title => ("Tillpoint 总部", "Tillpoint head office"),
    SignIn => ("登录", "Sign in"),
    SignOut => ("退出", "Sign out"),
    Username => ("用户名", "Username"),
    Password => ("密码", "Password"),
    BadLogin => ("用户名或密码错误", "Wrong username or password"),
    TooMany => ("失败次数过多，请稍后再试", "Too many failed sign-ins; try again later"),
    Dashboard => ("驾驶舱", "Dashboard"),
    Branches => ("门店与收银机", "Branches and tills"),
    Catalog => ("商品", "Catalog"),
    Members => ("会员", "Members"),
    Policy => ("会员政策", "Member policy"),
    Finance => ("财务报表", "Finance"),
    Audit => ("审计日志", "Audit log"),
    Users => ("用户与角色", "Users and roles"),
    Role => ("角色", "Role"),
    Cards => ("会员卡", "Cards"),
    From => ("从", "From"),
    To => ("到", "To"),
    Show => ("查看", "Show"),
    Branch => ("门店", "Branch"),
    AllBranches => ("全部门店", "All branches"),
    Sales => ("销售额", "Sales"),
    Transactions => ("交易笔数", "Transactions"),
    NewestShown => ("仅显示最新的笔数：", "Showing only the newest: "),
    AvgBasket => ("客单价", "Average basket"),
    MemberShare => ("会员销售占比", "Members' share of sales"),
    PointsIssued => ("发放积分", "Points issued"),
    PointsRedeemed => ("使用积分", "Points redeemed"),
    StoredValue => ("储值余额", "Stored value outstanding"),
    TrendByDay => ("每日销售趋势", "Sales by day"),
    BranchComparison => ("门店对比", "Branches compared"),
    TenderMix => ("支付方式", "Tender mix"),
    TierMix => ("会员等级分布", "Members by tier"),
    Day => ("营业日", "Business day"),
    Till => ("收银机", "Till"),
    Receipt => ("小票号", "Receipt"),
    Time => ("时间", "Time"),
    Amount => ("金额", "Amount"),
    Lines => ("行数", "Lines"),
    Member => ("会员", "Member"),
    Shifts => ("班次", "Shifts"),
    Cashier => ("收银员", "Cashier"),
    Expected => ("应有现金", "Expected"),
    Counted => ("实点现金", "Counted"),
    OverShort => ("长短款", "Over / short"),
    Item => ("商品", "Item"),
    Qty => ("数量", "Qty"),
    Price => ("单价", "Price"),
    Net => ("实收", "Net"),
    Tenders => ("支付", "Tenders"),
    Points => ("积分", "Points"),
    Refunds => ("退货", "Refunds"),
    NotFound => ("找不到，或者您无权查看", "Not found, or not yours to see"),
    Forbidden => ("您的角色不能做这件事", "Your role may not do this"),
    Save => ("保存", "Save"),
    Saved => ("已保存", "Saved"),
    Code => ("代码", "Code"),
    Name => ("名称", "Name"),
    Address => ("地址", "Address"),
    Phone => ("电话", "Phone"),
    ReceiptHeader => ("小票抬头（每行一条）", "Receipt header (one line each)"),
    ReceiptFooter => ("小票页脚（每行一条）", "Receipt footer (one line each)"),
    CashRounding => ("现金抹零", "Cash rounding"),
    RegisterTill => ("登记新收银机", "Register a till"),
    EnrolmentCode => ("开通码（一次有效）", "Enrolment code (single use)"),
    Revoke => ("停用", "Revoke"),
    Revoked => ("已停用", "Revoked"),
    LastSync => ("最近同步", "Last sync"),
    Waiting => ("未到事件（缺口）", "Missing events (gaps)"),
    Status => ("状态", "Status"),
    Search => ("搜索", "Search"),
    Import => ("导入 CSV", "Import CSV"),
    Export => ("导出 CSV", "Export CSV"),
    ImportDone => ("导入完成：新建 {0}，更新 {1}", "Imported: {0} created, {1} updated"),
    ImportBad => ("文件有错误，没有导入任何行：", "The file has errors; no row was imported:"),
    Line => ("行", "Line"),
    Reason => ("原因", "Reason"),
    Delisted => ("已下架", "Delisted"),
    Active => ("在售", "Active"),
    RetailPrice => ("零售价", "Retail price"),
    MemberPrice => ("会员价", "Member price"),
    Tier => ("等级", "Tier"),
    Balance => ("余额", "Balance"),
    Lots => ("积分批次", "Points lots"),
    Expires => ("到期", "Expires"),
    Ledger => ("流水", "Ledger"),
    Kind => ("类型", "Kind"),
    Adjust => ("手工调整", "Manual adjustment"),
    PointsDelta => ("积分增减", "Points (+/-)"),
    EarnRate => ("每元积分（百分之一分）", "Earn rate (hundredths of a point per yuan)"),
    PreviewTitle => ("保存前预览：一笔 ¥100 的销售各等级可得积分", "Preview: what a ¥100 sale earns for each tier"),
    PreviewButton => ("预览", "Preview"),
    BirthdayMonth => ("生日月", "Birthday month"),
    Version => ("版本", "Version"),
    EffectiveFrom => ("生效时间", "Effective from"),
    Report => ("报表", "Report"),
    DownloadCsv => ("下载 CSV", "Download CSV"),
    Totals => ("合计", "Totals"),
    Action => ("操作", "Action"),
    Entity => ("对象", "Entity"),
    Who => ("操作人", "Who"),
    Language => ("English", "中文"),
    Drill => ("点门店看每日，点日期看收银机与班次，点小票看明细", "Click a branch for its days, a day for its tills and shifts, a receipt for the sale"),
});

#[cfg(test)]
mod tests {
    use shared::lang::Lang;

    use super::*;

    #[test]
    fn every_console_text_is_in_both_languages() {
        let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for c in C::ALL {
            let (zh, en) = (c.text(Lang::ZhCn), c.text(Lang::En));
            assert!(!zh.trim().is_empty() && !en.trim().is_empty(), "{c:?}");
            // The language switch names the other language; everything else is in its own.
            if *c != C::Language {
                assert!(cjk(zh), "{c:?} has no Chinese");
                assert!(!cjk(en), "{c:?} has Chinese in English");
            }
        }
    }
}
