//! Every word of the member pages, in Simplified Chinese first and English second.

shared::text_table!(M {
    Title => ("会员中心", "Member centre"),
    SignInTitle => ("手机号登录", "Sign in with your phone"),
    Phone => ("手机号", "Mobile number"),
    SendCode => ("获取验证码", "Send me a code"),
    Code => ("验证码", "Code"),
    SignIn => ("登录", "Sign in"),
    CodeSent => ("如果该号码可以接收短信，验证码已发送至", "If this number can receive messages, a code was sent to"),
    CodeValid => ("验证码 5 分钟内有效，只能使用一次。", "The code is valid for 5 minutes, once."),
    OtherNumber => ("换一个号码", "Use another number"),
    BadPhone => ("请输入 11 位手机号", "Please enter an 11-digit mobile number"),
    WrongCode => ("验证码错误或已失效", "The code is wrong or no longer valid"),
    TriesLeft => ("剩余尝试次数", "Tries left"),
    Locked => ("验证码错误次数过多，该号码一小时内不能登录", "Too many wrong codes: this number cannot sign in for an hour"),
    TooManyCodes => ("获取验证码过于频繁，请稍后再试", "Too many codes asked for; please try again later"),
    NotSent => ("短信发送失败，请稍后再试", "The message could not be sent; please try again later"),
    JoinTitle => ("成为会员", "Become a member"),
    JoinNotOpen => ("该号码还不是会员。请到任一门店办理入会。", "This number is not a member yet. Join at any of our branches."),
    Name => ("姓名", "Name"),
    Birthday => ("生日", "Birthday"),
    Optional => ("选填", "optional"),
    AgreeTerms => ("我已阅读并同意会员章程与隐私政策", "I have read and agree to the member terms and privacy policy"),
    MustAgree => ("请先同意会员章程", "Please agree to the member terms first"),
    MarketingConsent => ("愿意接收优惠活动短信", "Send me offers by text message"),
    Join => ("入会", "Join"),
    Home => ("首页", "Home"),
    History => ("明细", "History"),
    MemberCode => ("会员码", "Member code"),
    Profile => ("我的", "Me"),
    Branches => ("门店", "Branches"),
    Tier => ("等级", "Tier"),
    Spend12 => ("近 12 个月消费", "Spent in the last 12 months"),
    ToNextTier => ("距离升级还需消费", "To reach the next tier, spend"),
    NextTierReached => ("已达到升级条件，将于下次评定时升级至", "Reached: you move up at the next evaluation to"),
    TopTier => ("已是最高等级", "You are at the top tier"),
    Points => ("积分", "Points"),
    ExpiresOn => ("{n} 积分将于 {day} 过期", "{n} points expire on {day}"),
    NoExpiry => ("暂无即将过期的积分", "No points about to expire"),
    StoredValue => ("储值余额", "Stored value"),
    Principal => ("本金", "Principal"),
    Bonus => ("赠送", "Bonus"),
    Coupons => ("优惠券", "Coupons"),
    CouponsValid => ("可用", "Valid"),
    CouponsUsed => ("已使用", "Used"),
    CouponsExpired => ("已过期", "Expired"),
    NoCoupons => ("暂无", "None"),
    ValidUntil => ("有效期至", "Valid until"),
    UsedOn => ("使用于", "Used on"),
    Receipt => ("小票", "Receipt"),
    NoHistory => ("暂无记录", "Nothing yet"),
    Older => ("更早的记录", "Older entries"),
    Newest => ("回到最新", "Back to the newest"),
    KindEarn => ("消费得积分", "Points earned"),
    KindRedeem => ("积分抵现", "Points used"),
    KindReverse => ("退货扣回积分", "Points taken back by a return"),
    KindRestore => ("退货退回积分", "Points given back by a return"),
    KindExpire => ("积分过期", "Points expired"),
    KindAdjust => ("调整", "Adjustment"),
    KindTopUp => ("储值充值", "Top-up"),
    KindSpend => ("储值消费", "Paid with stored value"),
    KindRefund => ("退回储值", "Refund to stored value"),
    CodeHelp => ("结账时请出示此码，收银员扫码即可识别会员。每 30 秒自动更新，截图无效。", "Show this code at the till; it changes every 30 seconds, so a screenshot stops working."),
    Refresh => ("刷新", "Refresh"),
    SecondsLeft => ("秒后更新", "seconds until the next code"),
    NoRotatingCode => ("您的会员号不支持动态会员码，请出示会员卡或报手机号。", "Your member number has no phone code: show your card or give your phone number."),
    CardNumber => ("会员号", "Member number"),
    Save => ("保存", "Save"),
    Saved => ("已保存", "Saved"),
    BirthdaySet => ("生日设置后如需修改，请到门店办理。", "Once set, a birthday is changed at a branch."),
    LostCard => ("会员卡挂失", "Report my card lost"),
    LostCardHelp => ("挂失后实体卡不能再使用，手机会员码照常可用。补卡请到门店。", "The card stops working at once; the code on your phone still works. Get a new card at a branch."),
    CardsLost => ("会员卡已挂失", "Your card is reported lost"),
    SignOut => ("退出登录", "Sign out"),
    SignOutEverywhere => ("退出所有设备", "Sign out everywhere"),
    SignOutEverywhereHelp => ("所有手机上的登录都会退出，之前的会员码全部作废。", "Every phone is signed out and every code shown before stops working."),
    Address => ("地址", "Address"),
    OpeningHours => ("营业时间", "Opening hours"),
    BranchPhone => ("电话", "Phone"),
    Blocked => ("会员已被冻结，请联系门店", "This membership is blocked; please ask a branch"),
    Language => ("English", "中文"),
    Problem => ("出错了，请稍后再试", "Something went wrong; please try again later"),
    BadForm => ("表单已过期，请重试", "The form has expired; please try again"),
});

#[cfg(test)]
mod tests {
    use shared::lang::Lang;

    use super::*;

    #[test]
    fn every_member_page_text_is_in_both_languages() {
        let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for m in M::ALL {
            let (zh, en) = (m.text(Lang::ZhCn), m.text(Lang::En));
            assert!(!zh.trim().is_empty() && !en.trim().is_empty(), "{m:?}");
            if *m != M::Language {
                assert!(cjk(zh), "{m:?} has no Chinese");
                assert!(!cjk(en), "{m:?} has Chinese in English");
            }
        }
    }
}
