//! Member care (客户关怀): whose birthday falls in the coming days, the text of a care message
//! from its template, and who may be sent one. Pure rules; HQ reads the members and sends.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// What a care campaign is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CareKind {
    /// 生日关怀: members whose birthday falls in the coming days.
    Birthday,
    /// 节日问候: every member (of a branch, of a tier) on a holiday.
    Holiday,
    /// 流失挽回: members who have not bought for a while.
    WinBack,
}

impl CareKind {
    pub const ALL: [CareKind; 3] = [CareKind::Birthday, CareKind::Holiday, CareKind::WinBack];

    pub fn code(self) -> &'static str {
        match self {
            CareKind::Birthday => "birthday",
            CareKind::Holiday => "holiday",
            CareKind::WinBack => "win_back",
        }
    }

    pub fn parse(s: &str) -> Option<CareKind> {
        CareKind::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// The most characters a care message may have (about three text messages' worth).
pub const MAX_TEXT: usize = 200;

/// What every care message ends with: how to stop them (a marketing text must say it).
pub const OPT_OUT_ZH: &str = "拒收请回复R";

/// The day in `year` a birthday falls on (29 February on 28 February of a common year).
pub fn birthday_in(birthday: Date, year: i16) -> Option<Date> {
    Date::new(year, birthday.month(), birthday.day())
        .ok()
        .or_else(|| (birthday.month() == 2 && birthday.day() == 29).then(|| Date::new(year, 2, 28).ok()).flatten())
}

/// When `birthday` next falls in `from..from + days` (`days` ≥ 1), if it does.
pub fn birthday_within(birthday: Date, from: Date, days: i16) -> Option<Date> {
    let last = from.checked_add(jiff::Span::new().days(i64::from(days.max(1)) - 1)).ok()?;
    [from.year(), from.year().checked_add(1)?]
        .into_iter()
        .filter_map(|y| birthday_in(birthday, y))
        .find(|d| *d >= from && *d <= last)
}

/// Why a template cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the message is empty")]
    Empty,
    #[error("the message has {0} characters; at most {MAX_TEXT} with the member's name")]
    TooLong(usize),
    #[error("`{{{0}}}` is not a field of a care message (name, branch)")]
    UnknownField(String),
}

/// A care message for one member: `{name}` and `{branch}` filled in, the opt-out added.
pub fn render(template: &str, name: &str, branch: &str) -> Result<String, TemplateError> {
    let mut out = String::new();
    let mut rest = template.trim();
    if rest.is_empty() {
        return Err(TemplateError::Empty);
    }
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        match &after[..close] {
            "name" => out.push_str(name),
            "branch" => out.push_str(branch),
            other => return Err(TemplateError::UnknownField(other.to_owned())),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    if !out.contains(OPT_OUT_ZH) {
        out.push(' ');
        out.push_str(OPT_OUT_ZH);
    }
    let chars = out.chars().count();
    if chars > MAX_TEXT {
        return Err(TemplateError::TooLong(chars));
    }
    Ok(out)
}

/// What a member's record says about sending them a care message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reachable {
    pub has_phone: bool,
    pub active: bool,
    /// `Some(false)`: they refused marketing messages.
    pub consent: Option<bool>,
    /// Care messages already sent or queued to them this calendar month.
    pub this_month: u32,
}

/// Whether a member is sent a care message, or why not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Send,
    NoPhone,
    Inactive,
    /// They refused marketing: never sent to.
    Refused,
    /// They had the month's most care messages already.
    Capped,
}

impl Decision {
    pub fn code(self) -> &'static str {
        match self {
            Decision::Send => "send",
            Decision::NoPhone => "no_phone",
            Decision::Inactive => "inactive",
            Decision::Refused => "refused",
            Decision::Capped => "capped",
        }
    }
}

/// Decides for one member under a cap of `monthly_cap` care messages a month.
pub fn decide(m: Reachable, monthly_cap: u32) -> Decision {
    if m.consent == Some(false) {
        Decision::Refused
    } else if !m.active {
        Decision::Inactive
    } else if !m.has_phone {
        Decision::NoPhone
    } else if m.this_month >= monthly_cap {
        Decision::Capped
    } else {
        Decision::Send
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_birthday_in_the_coming_week_across_the_new_year_and_on_29_february() {
        let from = date(2026, 12, 28);
        assert_eq!(birthday_within(date(1990, 1, 2), from, 7), Some(date(2027, 1, 2)));
        assert_eq!(birthday_within(date(1990, 1, 4), from, 7), None);
        assert_eq!(birthday_within(date(1990, 12, 28), from, 7), Some(date(2026, 12, 28)));
        assert_eq!(birthday_within(date(1990, 12, 27), from, 7), None);
        // A leap-day birthday is kept on 28 February in a common year.
        assert_eq!(birthday_within(date(2000, 2, 29), date(2027, 2, 25), 7), Some(date(2027, 2, 28)));
        assert_eq!(birthday_within(date(2000, 2, 29), date(2028, 2, 25), 7), Some(date(2028, 2, 29)));
    }

    #[test]
    fn a_message_names_the_member_and_ends_with_the_opt_out() {
        assert_eq!(
            render("{name}，生日快乐！{branch}送您好礼", "王芳", "人民路店").as_deref(),
            Ok("王芳，生日快乐！人民路店送您好礼 拒收请回复R")
        );
        assert_eq!(render("祝您节日快乐 拒收请回复R", "x", "y").as_deref(), Ok("祝您节日快乐 拒收请回复R"));
        assert_eq!(render("  ", "x", "y"), Err(TemplateError::Empty));
        assert_eq!(render("{phone}", "x", "y"), Err(TemplateError::UnknownField("phone".into())));
        assert!(matches!(render(&"长".repeat(MAX_TEXT), "x", "y"), Err(TemplateError::TooLong(_))));
    }

    #[test]
    fn refusal_is_final_and_the_cap_counts() {
        let m = Reachable { has_phone: true, active: true, consent: None, this_month: 0 };
        assert_eq!(decide(m, 2), Decision::Send);
        assert_eq!(decide(Reachable { consent: Some(false), ..m }, 2), Decision::Refused);
        assert_eq!(decide(Reachable { this_month: 2, ..m }, 2), Decision::Capped);
        assert_eq!(decide(Reachable { has_phone: false, ..m }, 2), Decision::NoPhone);
        assert_eq!(decide(Reachable { active: false, ..m }, 2), Decision::Inactive);
    }
}
