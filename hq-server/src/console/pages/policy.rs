//! The member policy: its form (scalars, and tiers, campaigns and top-up bonuses as tables), preview and versions.

use crate::console::{C, Menu, Page, PageResult, layout};
use crate::http::AppState;
use crate::model::Role;
use axum::extract::State;
use jiff::SignedDuration;
use jiff::civil::Date;
use maud::{Markup, html};
use shared::money::Money;

use super::*;

/// The policy form as typed: every field a string, so a rejected form comes back as it was.
#[derive(Default, Clone, Debug)]
pub(super) struct PolicyForm {
    csrf: String,
    earn_per_yuan: String,
    birthday_bp: String,
    points_per_yuan: String,
    min_balance: String,
    max_share_bp: String,
    expiry: String,
    expiry_n: String,
    offline_points: String,
    offline_sv: String,
    /// `yes` or `no`: whether a new number may enrol itself on the member pages.
    self_enrolment: String,
    tiers: Vec<[String; 6]>,
    campaigns: Vec<[String; 4]>,
    topups: Vec<[String; 2]>,
    action: String,
}

/// The form fields of a tier row, a campaign row and a top-up bonus row, in column order. A
/// row's fields share a name and are matched by position; a row left all blank is dropped, which
/// is how one is removed, and every table has a blank row to add one.
pub(super) const TIER_FIELDS: [&str; 6] =
    ["tier_code", "tier_name", "tier_threshold", "tier_discount", "tier_multiplier", "tier_member_prices"];
pub(super) const CAMPAIGN_FIELDS: [&str; 4] = ["campaign_name", "campaign_from", "campaign_to", "campaign_multiplier"];
pub(super) const TOPUP_FIELDS: [&str; 2] = ["topup_min", "topup_bonus"];

/// Rows of `N` fields from the posted pairs, blank rows dropped.
pub(super) fn rows<const N: usize>(pairs: &[(String, String)], names: [&str; N]) -> Vec<[String; N]> {
    let columns: Vec<Vec<&str>> =
        names.iter().map(|n| pairs.iter().filter(|(k, _)| k == n).map(|(_, v)| v.as_str()).collect()).collect();
    let len = columns.iter().map(Vec::len).max().unwrap_or(0);
    (0..len)
        .map(|i| std::array::from_fn(|c| columns[c].get(i).map_or(String::new(), |v| v.trim().to_owned())))
        .filter(|row: &[String; N]| row.iter().any(|v| !v.is_empty()))
        .collect()
}

/// ¥ as typed in a form: `2000.00`.
impl PolicyForm {
    fn of(p: &shared::policy::MemberPolicy) -> PolicyForm {
        use shared::points::ExpiryPolicy;
        let (expiry, n) = match p.expiry {
            ExpiryPolicy::Rolling { months } => ("rolling", months),
            ExpiryPolicy::Annual { years } => ("annual", years),
            ExpiryPolicy::Never => ("never", 0),
        };
        PolicyForm {
            csrf: String::new(),
            earn_per_yuan: p.earn.earn_per_yuan.to_string(),
            birthday_bp: p.earn.birthday_multiplier.map_or(0, |b| b.0).to_string(),
            points_per_yuan: p.redeem.points_per_yuan.to_string(),
            min_balance: p.redeem.min_balance.to_string(),
            max_share_bp: p.redeem.max_share.0.to_string(),
            expiry: expiry.into(),
            expiry_n: n.to_string(),
            offline_points: p.offline.points_per_day.to_string(),
            offline_sv: yuan_field(p.offline.stored_value_per_day),
            self_enrolment: if p.self_enrolment { "yes" } else { "no" }.into(),
            tiers: p
                .tiers
                .tiers()
                .iter()
                .map(|t| {
                    [
                        t.code.clone(),
                        t.name.clone(),
                        yuan_field(t.threshold),
                        t.discount.0.to_string(),
                        t.points_multiplier.0.to_string(),
                        if t.member_prices { "yes" } else { "no" }.into(),
                    ]
                })
                .collect(),
            campaigns: p
                .earn
                .campaigns
                .iter()
                .map(|c| [c.name.clone(), c.from.to_string(), c.to.to_string(), c.multiplier.0.to_string()])
                .collect(),
            topups: p.topup_rules.iter().map(|r| [yuan_field(r.min_topup), yuan_field(r.bonus)]).collect(),
            action: String::new(),
        }
    }

    /// The form as posted: `name=value` pairs, the rows' fields repeated once per row.
    fn from_pairs(pairs: &[(String, String)]) -> PolicyForm {
        let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
        PolicyForm {
            csrf: one("_csrf"),
            earn_per_yuan: one("earn_per_yuan"),
            birthday_bp: one("birthday_bp"),
            points_per_yuan: one("points_per_yuan"),
            min_balance: one("min_balance"),
            max_share_bp: one("max_share_bp"),
            expiry: one("expiry"),
            expiry_n: one("expiry_n"),
            offline_points: one("offline_points"),
            offline_sv: one("offline_sv"),
            self_enrolment: one("self_enrolment"),
            tiers: rows(pairs, TIER_FIELDS),
            campaigns: rows(pairs, CAMPAIGN_FIELDS),
            topups: rows(pairs, TOPUP_FIELDS),
            action: one("action"),
        }
    }

    /// The policy this form describes, on top of `base`; or what is wrong with it.
    fn apply(&self, base: &shared::policy::MemberPolicy) -> Result<shared::policy::MemberPolicy, String> {
        use shared::money::{Bp, Currency};
        use shared::points::{Campaign, ExpiryPolicy};
        use shared::stored_value::TopUpRule;
        use shared::tiers::{Tier, TierLadder};
        let int = |name: &str, v: &str| v.trim().parse::<i64>().map_err(|_| format!("{name}: a whole number, please"));
        let yuan = |name: &str, v: &str| Currency::CNY.parse(v.trim()).map_err(|e| format!("{name}: {e}"));
        let mut p = base.clone();
        p.earn.earn_per_yuan = int("earn rate", &self.earn_per_yuan)?;
        let birthday = int("birthday multiplier", &self.birthday_bp)?;
        p.earn.birthday_multiplier = (birthday > 0).then_some(Bp(birthday));
        p.redeem.points_per_yuan = int("points per yuan", &self.points_per_yuan)?;
        p.redeem.min_balance = int("minimum balance", &self.min_balance)?;
        p.redeem.max_share = Bp(int("maximum share", &self.max_share_bp)?);
        let n = u32::try_from(int("expiry", &self.expiry_n)?).map_err(|_| "expiry: not negative".to_string())?;
        p.expiry = match self.expiry.as_str() {
            "rolling" => ExpiryPolicy::Rolling { months: n },
            "annual" => ExpiryPolicy::Annual { years: n },
            _ => ExpiryPolicy::Never,
        };
        p.offline.points_per_day = int("offline points per day", &self.offline_points)?;
        p.offline.stored_value_per_day = yuan("offline stored value per day", &self.offline_sv)?;
        p.self_enrolment = match self.self_enrolment.as_str() {
            "yes" => true,
            "no" => false,
            // A form from before the field: as it was.
            _ => base.self_enrolment,
        };
        let tiers = self
            .tiers
            .iter()
            .enumerate()
            .map(|(i, [code, name, threshold, discount, multiplier, member_prices])| {
                let at = |field: &str| format!("tier {} ({code}), {field}", i + 1);
                if code.is_empty() || name.is_empty() {
                    return Err(format!("tier {}: a code and a name, please", i + 1));
                }
                Ok(Tier {
                    code: code.clone(),
                    name: name.clone(),
                    threshold: yuan(&at("threshold"), threshold)?,
                    discount: Bp(int(&at("discount"), discount)?),
                    points_multiplier: Bp(int(&at("points multiplier"), multiplier)?),
                    member_prices: member_prices == "yes",
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        p.tiers = TierLadder::new(tiers).map_err(|e| format!("tiers: {e}"))?;
        p.earn.campaigns = self
            .campaigns
            .iter()
            .enumerate()
            .map(|(i, [name, from, to, multiplier])| {
                let at = |field: &str| format!("campaign {} ({name}), {field}", i + 1);
                let date = |field: &str, v: &str| {
                    v.parse::<Date>().map_err(|_| format!("{}: a date like 2026-12-01, please", at(field)))
                };
                if name.is_empty() {
                    return Err(format!("campaign {}: a name, please", i + 1));
                }
                Ok(Campaign {
                    name: name.clone(),
                    from: date("from", from)?,
                    to: date("to", to)?,
                    multiplier: Bp(int(&at("multiplier"), multiplier)?),
                })
            })
            .collect::<Result<_, String>>()?;
        p.topup_rules = self
            .topups
            .iter()
            .enumerate()
            .map(|(i, [min, bonus])| {
                Ok(TopUpRule {
                    min_topup: yuan(&format!("top-up bonus {}, from", i + 1), min)?,
                    bonus: yuan(&format!("top-up bonus {}, bonus", i + 1), bonus)?,
                })
            })
            .collect::<Result<_, String>>()?;
        p.validate().map_err(|e| e.to_string())?;
        Ok(p)
    }
}

pub(super) async fn policy(State(state): State<AppState>, page: Page) -> PageResult {
    let current = state.db(|s| s.current_policy()).await?;
    policy_page(&state, &page, PolicyForm::of(&current), None).await
}

pub(super) async fn policy_page(state: &AppState, page: &Page, form: PolicyForm, flash: Option<Markup>) -> PageResult {
    let current = state.db(|s| s.current_policy()).await?;
    let versions = state.db(|s| s.list_policies()).await?;
    let (proposed, error) = match form.apply(&current) {
        Ok(p) => (p, None),
        Err(e) => (current.clone(), Some(e)),
    };
    let preview = crate::http::policy::preview_tiers(&proposed, Money::yuan(100), state.chain_day().await?.day);
    let may_edit = matches!(page.me.user.role, Role::Admin | Role::Marketing);
    let field = |name: &'static str, label: &str, value: &str| {
        html! { label { (label) input name=(name) value=(value) disabled[!may_edit]; } }
    };
    let body = html! {
        @if let Some(f) = flash { (f) }
        @if let Some(e) = &error { p.error #policy-error { (e) } }
        form.box #policy-form method="post" action="/console/policy" {
            (page.csrf_field())
            div.inline {
                label { (page.t(C::EarnRate)) input #earn name="earn_per_yuan" type="number" min="0" max="100000" value=(form.earn_per_yuan) disabled[!may_edit]; }
                (field("birthday_bp", page.t(C::BirthdayBp), &form.birthday_bp))
            }
            div.inline {
                (field("points_per_yuan", page.t(C::PointsPerYuan), &form.points_per_yuan))
                (field("min_balance", page.t(C::MinBalance), &form.min_balance))
                (field("max_share_bp", page.t(C::MaxShareBp), &form.max_share_bp))
            }
            div.inline {
                label { (page.t(C::Expiry))
                    select name="expiry" disabled[!may_edit] {
                        @for (v, l) in [("rolling", C::ExpiryRolling), ("annual", C::ExpiryAnnual), ("never", C::ExpiryNever)] {
                            option value=(v) selected[form.expiry == v] { (page.t(l)) }
                        }
                    }
                }
                (field("expiry_n", page.t(C::ExpiryN), &form.expiry_n))
                (field("offline_points", page.t(C::OfflinePoints), &form.offline_points))
                (field("offline_sv", page.t(C::OfflineSv), &form.offline_sv))
                label { (page.t(C::SelfEnrolment))
                    select name="self_enrolment" disabled[!may_edit] {
                        @for (v, l) in [("yes", C::Yes), ("no", C::No)] { option value=(v) selected[form.self_enrolment == v] { (page.t(l)) } }
                    }
                }
            }
            p.muted { (page.t(C::RowsHint)) }
            h3 { (page.t(C::Tiers)) }
            table #tiers {
                thead { tr {
                    th { (page.t(C::Code)) } th { (page.t(C::Name)) } th { (page.t(C::TierThreshold)) }
                    th { (page.t(C::TierDiscount)) } th { (page.t(C::TierMultiplier)) } th { (page.t(C::MemberPrice)) }
                } }
                tbody { @for row in form.tiers.iter().cloned().chain([Default::default()]) { tr {
                    @for (i, name) in TIER_FIELDS.iter().enumerate().take(5) {
                        td { input name=(name) value=(row[i]) size=(if i == 1 { 12 } else { 8 }) disabled[!may_edit]; }
                    }
                    // The blank row's choice is blank too, so an untouched blank row stays blank.
                    td { select name=(TIER_FIELDS[5]) disabled[!may_edit] {
                        @if row[5].is_empty() { option value="" selected {} }
                        @for (v, l) in [("yes", C::Yes), ("no", C::No)] { option value=(v) selected[row[5] == v] { (page.t(l)) } }
                    } }
                } } }
            }
            h3 { (page.t(C::Campaigns)) }
            table #campaigns {
                thead { tr {
                    th { (page.t(C::Name)) } th { (page.t(C::From)) } th { (page.t(C::To)) } th { (page.t(C::CampaignMultiplier)) }
                } }
                tbody { @for row in form.campaigns.iter().cloned().chain([Default::default()]) { tr {
                    td { input name=(CAMPAIGN_FIELDS[0]) value=(row[0]) disabled[!may_edit]; }
                    td { input name=(CAMPAIGN_FIELDS[1]) type="date" value=(row[1]) disabled[!may_edit]; }
                    td { input name=(CAMPAIGN_FIELDS[2]) type="date" value=(row[2]) disabled[!may_edit]; }
                    td { input name=(CAMPAIGN_FIELDS[3]) value=(row[3]) size="8" disabled[!may_edit]; }
                } } }
            }
            h3 { (page.t(C::TopUpBonuses)) }
            table #topups {
                thead { tr { th { (page.t(C::TopUpFrom)) } th { (page.t(C::TopUpBonus)) } } }
                tbody { @for row in form.topups.iter().cloned().chain([Default::default()]) { tr {
                    td { input name=(TOPUP_FIELDS[0]) value=(row[0]) size="10" disabled[!may_edit]; }
                    td { input name=(TOPUP_FIELDS[1]) value=(row[1]) size="10" disabled[!may_edit]; }
                } } }
            }
            @if may_edit {
                br;
                button #preview name="action" value="preview" type="submit" { (page.t(C::PreviewButton)) } " "
                button #save name="action" value="save" type="submit" { (page.t(C::Save)) }
            }
        }
        h2 { (page.t(C::PreviewTitle)) }
        table #preview-table {
            thead { tr { th { (page.t(C::Tier)) } th.n { (page.t(C::Points)) } th.n { (page.t(C::BirthdayMonth)) } } }
            tbody { @for p in &preview { tr { td { (p.name) } td.n { (p.points) } td.n { (p.birthday_points) } } } }
        }
        h2 { (page.t(C::Version)) }
        p.muted { (page.t(C::TimesIn)) " " (crate::calendar::HQ_TIME_ZONE) }
        table #versions {
            thead { tr {
                th { (page.t(C::Version)) } th { (page.t(C::EffectiveFrom)) } th.n { (page.t(C::EarnRate)) }
                th { (page.t(C::Redemption)) } th { (page.t(C::Expiry)) } th { (page.t(C::Tiers)) }
                th { (page.t(C::Campaigns)) } th { (page.t(C::TopUpBonuses)) } th { (page.t(C::Who)) }
            } }
            tbody { @for v in &versions { @let p = &v.policy; tr {
                td { (p.version) }
                td { @if p.effective_from == jiff::Timestamp::UNIX_EPOCH { (page.t(C::FromTheStart)) } @else { (hq_time(p.effective_from, "%Y-%m-%d %H:%M")) } }
                td.n { (p.earn.earn_per_yuan) }
                td { (p.redeem.points_per_yuan) " = ¥1, ≥ " (p.redeem.min_balance) ", ≤ " (p.redeem.max_share.display_percent()) }
                td { (expiry_text(page, &p.expiry)) }
                td { @for (i, t) in p.tiers.tiers().iter().enumerate() { @if i > 0 { " · " } (t.name) " " (t.threshold) } }
                td { @for c in &p.earn.campaigns { (c.name) " " (c.from) "–" (c.to) " " (c.multiplier.display_multiplier()) br; } }
                td { @for r in &p.topup_rules { (r.min_topup) " +" (r.bonus) br; } }
                td { (v.created_by) }
            } } }
        }
    };
    Ok(layout(page, Menu::Policy, page.t(C::Policy), body))
}

pub(super) fn expiry_text(page: &Page, e: &shared::points::ExpiryPolicy) -> String {
    use shared::points::ExpiryPolicy;
    match e {
        ExpiryPolicy::Rolling { months } => format!("{} {months}", page.t(C::ExpiryRolling)),
        ExpiryPolicy::Annual { years } => format!("{} {years}", page.t(C::ExpiryAnnual)),
        ExpiryPolicy::Never => page.t(C::ExpiryNever).to_owned(),
    }
}

pub(super) async fn save_policy(
    State(state): State<AppState>,
    page: Page,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> PageResult {
    let f = PolicyForm::from_pairs(&pairs);
    page.check_csrf(&f.csrf)?;
    if f.action != "save" {
        return policy_page(&state, &page, f, None).await;
    }
    let current = state.db(|s| s.current_policy()).await?;
    let mut next = match f.apply(&current) {
        Ok(p) => p,
        // The form comes back as typed, with the reason.
        Err(_) => return policy_page(&state, &page, f, None).await,
    };
    next.effective_from = state.now() + SignedDuration::from_secs(1);
    let actor = page.me.actor();
    state.db(move |s| s.create_policy(&actor, next)).await?;
    policy_page(&state, &page, f, Some(html! { p.ok #saved { (page.t(C::Saved)) } })).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn row_fields_pair_up_by_position_and_blank_rows_drop_out() {
        let posted = pairs(&[
            ("topup_min", "300.00"),
            ("topup_bonus", "30.00"),
            ("topup_min", " "),
            ("topup_bonus", ""),
            ("topup_min", "500"),
            ("topup_bonus", "60"),
        ]);
        assert_eq!(rows(&posted, TOPUP_FIELDS), vec![["300.00", "30.00"], ["500", "60"]]);
    }

    #[test]
    fn every_policy_comes_back_unchanged_through_its_form() {
        let mut policy = shared::policy::MemberPolicy::initial(jiff::Timestamp::now());
        policy.earn.campaigns.push(shared::points::Campaign {
            name: "双倍积分日".into(),
            from: jiff::civil::date(2026, 12, 5),
            to: jiff::civil::date(2026, 12, 6),
            multiplier: shared::money::Bp(20_000),
        });
        let form = PolicyForm::of(&policy);
        assert_eq!(form.apply(&policy), Ok(policy.clone()));
        // What the browser posts: the rows' fields repeated, then the blank row of each table.
        let mut posted = pairs(&[("_csrf", "t"), ("action", "save")]);
        let one = |name: &str, v: &String| (name.to_owned(), v.clone());
        for (name, v) in [
            ("earn_per_yuan", &form.earn_per_yuan),
            ("birthday_bp", &form.birthday_bp),
            ("points_per_yuan", &form.points_per_yuan),
            ("min_balance", &form.min_balance),
            ("max_share_bp", &form.max_share_bp),
            ("expiry", &form.expiry),
            ("expiry_n", &form.expiry_n),
            ("offline_points", &form.offline_points),
            ("offline_sv", &form.offline_sv),
            ("self_enrolment", &form.self_enrolment),
        ] {
            posted.push(one(name, v));
        }
        for row in form.tiers.iter().chain([&Default::default()]) {
            posted.extend(TIER_FIELDS.iter().zip(row).map(|(n, v)| one(n, v)));
        }
        for row in form.campaigns.iter().chain([&Default::default()]) {
            posted.extend(CAMPAIGN_FIELDS.iter().zip(row).map(|(n, v)| one(n, v)));
        }
        for row in form.topups.iter().chain([&Default::default()]) {
            posted.extend(TOPUP_FIELDS.iter().zip(row).map(|(n, v)| one(n, v)));
        }
        assert_eq!(PolicyForm::from_pairs(&posted).apply(&policy), Ok(policy));
    }

    #[test]
    fn a_bad_row_is_named_and_nothing_is_made_of_it() {
        let policy = shared::policy::MemberPolicy::initial(jiff::Timestamp::now());
        let mut form = PolicyForm::of(&policy);
        form.campaigns.push(["周年庆".into(), "2026-12-31".into(), "2026-12-01".into(), "20000".into()]);
        assert!(form.apply(&policy).is_err_and(|e| e.contains("周年庆")), "dates the wrong way round");
        form.campaigns[0][1] = "12/01/2026".into();
        assert!(form.apply(&policy).is_err_and(|e| e.contains("campaign 1 (周年庆), from")));
        let mut form = PolicyForm::of(&policy);
        form.tiers[0][2] = "100.00".into();
        assert!(form.apply(&policy).is_err_and(|e| e.starts_with("tiers:")), "the first tier starts at ¥0");
        let mut form = PolicyForm::of(&policy);
        form.topups.push(["abc".into(), "1".into()]);
        assert!(form.apply(&policy).is_err_and(|e| e.contains("top-up bonus")));
    }
}
