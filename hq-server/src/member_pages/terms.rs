//! The member terms and privacy policy (会员章程与隐私政策) a new number agrees to when it joins
//! on the member pages: what is kept about a member, what for, and how to sign out everywhere or
//! report a lost card. Anyone may read them, signed in or not.
//!
//! The text is versioned: a self-enrolment records the [`VERSION`] agreed to in its audit entry
//! (`MemberPagesStore::enrol_self`), so a change of wording is a new version.

use axum::response::{IntoResponse, Response};
use maud::html;
use shared::lang::Lang;

use super::i18n::M;
use super::{Visitor, layout};

/// The version of the terms below; change it with their wording.
pub const VERSION: &str = "2026-11";

/// A section of the terms: (heading, paragraphs), in Chinese and in English.
struct Section {
    zh: (&'static str, &'static [&'static str]),
    en: (&'static str, &'static [&'static str]),
}

const SECTIONS: &[Section] = &[
    Section {
        zh: (
            "一、会员资格",
            &[
                "凭中国大陆手机号入会，一个手机号对应一位会员。会员可以在门店或本会员中心入会；入会免费。",
                "会员等级、积分、储值和优惠券按总部公布的会员政策计算；以收银小票和会员中心显示的记录为准。",
            ],
        ),
        en: (
            "1. Membership",
            &[
                "You join with a mainland China mobile number: one number, one member. You may join at a branch or on these pages; joining is free.",
                "Tiers, points, stored value and coupons follow the member policy head office publishes; the receipt and the records on these pages are what counts.",
            ],
        ),
    },
    Section {
        zh: (
            "二、我们保存的信息",
            &[
                "手机号、姓名、生日（如您填写）、是否愿意接收优惠短信；会员号和会员卡；等级、积分、储值和优惠券；每笔消费和退货的门店、小票号、商品和金额；投诉与建议。",
                "登录会员中心时：验证码只保存其散列值，5 分钟后失效；我们记录发送短信的号码、时间和结果（不含验证码），以及登录所用的会话。",
            ],
        ),
        en: (
            "2. What we keep",
            &[
                "Your mobile number, name, birthday (if you give it) and whether you want offers by text; your member number and cards; your tier, points, stored value and coupons; for each purchase and return, the branch, receipt number, goods and amounts; your complaints and feedback.",
                "When you sign in here: a sign-in code is kept only as a hash and lapses after 5 minutes; we record to which number a text went, when, and whether it was sent (never the code), and your signed-in sessions.",
            ],
        ),
    },
    Section {
        zh: (
            "三、用途",
            &[
                "用于识别会员、计算积分和储值、在收银台给予会员价和优惠券、处理退货和投诉、防止冒用。",
                "只有在您同意时才向您发送优惠活动短信，您可以随时在“我的”页面取消。我们不会出售您的个人信息，也不会提供给与上述用途无关的第三方。",
            ],
        ),
        en: (
            "3. What for",
            &[
                "To know you as a member, count your points and stored value, give you member prices and your coupons at the till, handle returns and complaints, and stop others from using your membership.",
                "We text you offers only if you agree, and you can stop them at any time under \u{201c}Me\u{201d}. We do not sell your personal information or give it to anyone for other purposes.",
            ],
        ),
    },
    Section {
        zh: (
            "四、会员码与账户安全",
            &[
                "会员码每 30 秒更新一次，截图无效。请勿把短信验证码告诉任何人，店员不会向您索要验证码。",
                "手机丢失或怀疑他人登录：请在“我的”页面点击“退出所有设备”，所有手机上的登录都会退出，之前显示过的会员码全部作废。",
                "实体会员卡丢失：请在“我的”页面点击“会员卡挂失”，卡立即停用，手机会员码照常可用；补卡或更换手机号请到任一门店办理。",
            ],
        ),
        en: (
            "4. Your member code and keeping your account safe",
            &[
                "Your member code changes every 30 seconds, so a screenshot stops working. Never tell anyone a sign-in code; our staff will never ask you for one.",
                "If you lose your phone or think someone else has signed in: under \u{201c}Me\u{201d}, choose \u{201c}Sign out everywhere\u{201d}. Every phone is signed out and every code shown before stops working.",
                "If you lose your member card: under \u{201c}Me\u{201d}, choose \u{201c}Report my card lost\u{201d}. The card stops working at once; the code on your phone still works. Get a new card, or change your number, at any branch.",
            ],
        ),
    },
    Section {
        zh: (
            "五、查询、更正与注销",
            &[
                "您可以在会员中心查看自己的信息、余额和明细，修改姓名和短信偏好。更正生日或注销会员，请到任一门店办理。",
                "章程修改时版本号随之变更；已入会的会员可随时在此查看当前版本。",
            ],
        ),
        en: (
            "5. Seeing, correcting and leaving",
            &[
                "You can see your details, balances and history on these pages and change your name and text preferences. To correct your birthday or to leave the membership, ask at any branch.",
                "When these terms change, their version changes with them; members can read the current version here at any time.",
            ],
        ),
    },
];

/// `/m/terms`: the terms in the visitor's language, with their version.
pub(super) async fn page(v: Visitor) -> Response {
    let body = html! {
        section.card #terms {
            p.muted #terms-version { (v.t(M::TermsVersion)) " " (VERSION) }
            @for s in SECTIONS {
                @let (heading, paragraphs) = if v.lang == Lang::ZhCn { s.zh } else { s.en };
                h2 { (heading) }
                @for p in paragraphs { p { (p) } }
            }
        }
        p { a href="/m" { (v.t(M::Home)) } }
    };
    layout(&v, v.t(M::TermsTitle), None, body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_is_in_both_languages() {
        let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for s in SECTIONS {
            assert_eq!(s.zh.1.len(), s.en.1.len(), "{}", s.en.0);
            assert!(cjk(s.zh.0) && s.zh.1.iter().all(|p| cjk(p)), "{}", s.en.0);
            assert!(!cjk(s.en.0) && s.en.1.iter().all(|p| !cjk(p)), "{}", s.en.0);
        }
    }
}
