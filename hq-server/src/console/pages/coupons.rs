//! Coupons (优惠券): the campaigns with their counts and the form for a new one; a campaign's page
//! with its counts, the issue form (a tier, a birthday month, members inactive for N days, or a
//! list of member codes and phone numbers from a CSV file) showing what was issued and refused,
//! and the end button. A member's coupons are on the member's page (`members`).

use axum::extract::{Path, State};
use maud::{Markup, html};
use serde::Deserialize;
use shared::lang::Lang;
use shared::money::{Bp, Currency};
use shared::promotions::Scope;
use shared::promotions::coupons::{CampaignId, CouponKind};

use super::promotions::codes;
use crate::console::{C, ConsoleError, Menu, Page, PageResult, layout, redirect};
use crate::http::AppState;
use crate::model::{
    CampaignRecord, CouponAudience, CouponStatus, CouponValidity, IssueOutcome, IssueRequest, NewCampaign, Role,
};

/// What a coupon gives, in a few words: "满 ¥50.00 减 ¥5.00".
pub(super) fn kind_text(lang: Lang, k: &CouponKind) -> String {
    let zh = lang == Lang::ZhCn;
    match k {
        CouponKind::AmountOff { min_spend, off, .. } if zh => format!("满 {min_spend} 减 {off}"),
        CouponKind::AmountOff { min_spend, off, .. } => format!("{off} off from {min_spend}"),
        CouponKind::PercentOff { bp, .. } if zh => format!("减 {}", bp.display_percent()),
        CouponKind::PercentOff { bp, .. } => format!("{} off", bp.display_percent()),
        CouponKind::FixedPriceItem { product, price } if zh => format!("商品 {} 一件 {price}", product.0),
        CouponKind::FixedPriceItem { product, price } => format!("one of product {} for {price}", product.0),
    }
}

pub(super) fn status_label(page: &Page, s: CouponStatus) -> &'static str {
    page.t(match s {
        CouponStatus::Issued => C::CouponUnused,
        CouponStatus::Held => C::CouponHeld,
        CouponStatus::Redeemed => C::CouponUsed,
        CouponStatus::Expired => C::CouponExpired,
    })
}

fn validity_text(lang: Lang, v: &CouponValidity) -> String {
    match (v, lang) {
        (CouponValidity::Days { days }, Lang::ZhCn) => format!("发放后 {days} 天"),
        (CouponValidity::Days { days }, _) => format!("{days} days from issue"),
        (CouponValidity::Dates { from, to }, _) => format!("{from} – {to}"),
    }
}

fn may_edit(page: &Page) -> bool {
    matches!(page.me.user.role, Role::Admin | Role::Marketing)
}

/// The form's fields as typed (kept when the page comes back with what is wrong).
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct CampaignForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    min_spend: String,
    #[serde(default)]
    off: String,
    #[serde(default)]
    percent: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    all_products: Option<String>,
    #[serde(default)]
    products: String,
    #[serde(default)]
    categories: String,
    #[serde(default)]
    brands: String,
    #[serde(default)]
    excluded: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    offline_cap: String,
}

impl CampaignForm {
    /// The campaign the form describes, with every code looked up; or what is wrong, naming the field.
    async fn campaign(&self, state: &AppState, lang: Lang) -> Result<NewCampaign, String> {
        let zh = lang == Lang::ZhCn;
        let say = |field: &str, z: &str, e: &str| format!("{field}: {}", if zh { z } else { e });
        let yuan = |field: &str, v: &str| {
            Currency::CNY
                .parse(v.trim())
                .map_err(|_| say(field, "请填写金额，如 12.50", "an amount like 12.50, please"))
        };
        let mut wanted: Vec<String> = codes(&self.products);
        wanted.extend(codes(&self.excluded));
        wanted.push(self.product.trim().to_owned());
        wanted.retain(|c| !c.is_empty());
        let (products, categories, brands) = state
            .db(move |s| {
                let p: std::collections::BTreeMap<String, shared::catalog::ProductId> =
                    s.product_ids_by_code(&wanted)?.into_iter().collect();
                let c: Vec<(shared::catalog::CategoryId, String)> =
                    s.list_categories()?.into_iter().map(|c| (c.id, c.code)).collect();
                let b: Vec<(shared::catalog::BrandId, String)> =
                    s.list_brands()?.into_iter().map(|b| (b.brand.id, b.brand.code)).collect();
                Ok((p, c, b))
            })
            .await
            .map_err(|e| e.to_string())?;
        let product = |field: &str, code: &str| {
            products
                .get(code)
                .copied()
                .ok_or_else(|| say(field, &format!("总部没有此商品 {code}"), &format!("HQ has no product {code}")))
        };
        let scope = || -> Result<Scope, String> {
            let list =
                |field: &str, text: &str| codes(text).iter().map(|c| product(field, c)).collect::<Result<Vec<_>, _>>();
            let cats = codes(&self.categories)
                .iter()
                .map(|c| {
                    categories.iter().find(|(_, code)| code == c).map(|(id, _)| *id).ok_or_else(|| {
                        say("kind.scope.categories", &format!("总部没有此品类 {c}"), &format!("HQ has no category {c}"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let brand_ids = codes(&self.brands)
                .iter()
                .map(|c| {
                    brands.iter().find(|(_, code)| code == c).map(|(id, _)| *id).ok_or_else(|| {
                        say("kind.scope.brands", &format!("总部没有此品牌 {c}"), &format!("HQ has no brand {c}"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Scope {
                all_products: self.all_products.is_some(),
                products: list("kind.scope.products", &self.products)?,
                categories: cats,
                brands: brand_ids,
                excluded: list("kind.scope.excluded", &self.excluded)?,
            })
        };
        let kind = match self.kind.as_str() {
            "amount_off" => CouponKind::AmountOff {
                scope: scope()?,
                min_spend: if self.min_spend.trim().is_empty() {
                    shared::Money::ZERO
                } else {
                    yuan("kind.min_spend", &self.min_spend)?
                },
                off: yuan("kind.off", &self.off)?,
            },
            "percent_off" => CouponKind::PercentOff {
                scope: scope()?,
                bp: Bp(Currency::CNY
                    .parse(self.percent.trim())
                    .map_err(|_| say("kind.bp", "请填写百分比，如 10", "a percentage like 10, please"))?
                    .0),
            },
            "fixed_price_item" => CouponKind::FixedPriceItem {
                product: product("kind.product", self.product.trim())?,
                price: yuan("kind.price", &self.price)?,
            },
            _ => return Err(say("kind", "请选择券类型", "choose a kind, please")),
        };
        let validity = if self.days.trim().is_empty() {
            let date = |field: &str, v: &str| {
                v.trim().parse::<jiff::civil::Date>().map_err(|_| say(field, "请填写日期", "a date, please"))
            };
            CouponValidity::Dates { from: date("validity.from", &self.from)?, to: date("validity.to", &self.to)? }
        } else {
            CouponValidity::Days {
                days: self
                    .days
                    .trim()
                    .parse()
                    .map_err(|_| say("validity.days", "请填写天数", "a number of days, please"))?,
            }
        };
        let offline_cap = match self.offline_cap.trim() {
            "" => None,
            n => Some(n.parse().map_err(|_| say("offline_cap", "请填写整数", "a whole number, please"))?),
        };
        let new = NewCampaign { name: self.name.trim().to_owned(), kind, offline_cap, validity };
        crate::store::sql::coupons::validate_campaign(&new)?;
        Ok(new)
    }
}

pub(crate) async fn coupons(State(state): State<AppState>, page: Page) -> PageResult {
    list_page(
        &state,
        &page,
        &CampaignForm { kind: "amount_off".into(), days: "30".into(), ..CampaignForm::default() },
        None,
    )
    .await
}

async fn list_page(state: &AppState, page: &Page, f: &CampaignForm, error: Option<String>) -> PageResult {
    let own = (page.me.user.role == Role::BranchManager).then_some(page.me.user.branch_id).flatten();
    let (list, flagged, categories, brands) = state
        .db(move |s| {
            Ok((
                s.list_campaigns()?,
                s.flagged_sales(crate::store::sql::coupons::COUPON_FLAG, own, 100)?,
                s.list_categories()?,
                s.list_brands()?,
            ))
        })
        .await?;
    let body = html! {
        table #campaigns {
            thead { tr { th { "#" } th { (page.t(C::Name)) } th { (page.t(C::CouponKindLabel)) } th { (page.t(C::Validity)) }
                th.n { (page.t(C::OfflineCap)) } th { (page.t(C::Status)) } th.n { (page.t(C::CouponsIssued)) }
                th.n { (page.t(C::CouponUsed)) } th.n { (page.t(C::Discount)) } th.n { (page.t(C::CouponExpired)) }
                th.n { (page.t(C::CouponOutstanding)) } } }
            tbody { @for r in &list { (campaign_row(page, r)) } }
        }
        h2 { (page.t(C::FlaggedCoupons)) }
        p.muted { (page.t(C::FlaggedCouponsHint)) }
        @if flagged.is_empty() {
            p #flagged-none { "—" }
        } @else {
            table #flagged-coupons {
                thead { tr { th { (page.t(C::Till)) } th { (page.t(C::Receipt)) } th { (page.t(C::Received)) } th { (page.t(C::Reason)) } } }
                tbody { @for f in &flagged { tr {
                    td { a href={ "/console/tills/" (f.till_id.0) } { (f.branch_code) " · " (format!("{:02}", f.till_number)) } }
                    td { (f.receipt_no.clone().unwrap_or_default()) }
                    td { (crate::calendar::hq_time(f.received_at).strftime("%Y-%m-%d %H:%M")) }
                    td { span.flag { "⚑ " (f.flag) } }
                } } }
            }
        }
        @if may_edit(page) {
            h2 { (page.t(C::NewCampaign)) }
            @if let Some(e) = &error { p.error #campaign-error { (e) } }
            (campaign_form(page, f, &super::picker::scope_picker(page, &categories, &brands)))
        }
    };
    let mut r = layout(page, Menu::Coupons, page.t(C::CouponCampaigns), body);
    if error.is_some() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

fn campaign_row(page: &Page, r: &CampaignRecord) -> Markup {
    let c = &r.campaign;
    html! { tr {
        td { (c.id) } td { a href={ "/console/coupons/" (c.id) } { (c.name) } } td { (kind_text(page.lang, &c.kind)) }
        td { (validity_text(page.lang, &r.validity)) }
        td.n { (c.offline_cap.map(|n| n.to_string()).unwrap_or_else(|| "—".into())) }
        td { (page.t(if c.active { C::StatusActive } else { C::StatusEnded })) }
        td.n { (r.counts.issued) } td.n { (r.counts.redeemed) } td.n { (shared::Money(r.counts.redeemed_discount)) }
        td.n { (r.counts.expired) } td.n { (r.counts.outstanding) }
    } }
}

fn campaign_form(page: &Page, f: &CampaignForm, picker: &Markup) -> Markup {
    let input =
        |name: &str, label: C, value: &str| html! { label { (page.t(label)) input name=(name) value=(value); } };
    html! {
        form #new-campaign method="post" action="/console/coupons" {
            (page.csrf_field())
            div.inline {
                (input("name", C::Name, &f.name))
                label { (page.t(C::CouponKindLabel))
                    select name="kind" {
                        @for (v, l) in [("amount_off", C::KindCouponAmountOff), ("percent_off", C::KindCouponPercentOff), ("fixed_price_item", C::KindCouponFixedPrice)] {
                            option value=(v) selected[f.kind == v] { (page.t(l)) }
                        }
                    }
                }
                (input("min_spend", C::MinSpend, &f.min_spend))
                (input("off", C::PromoOff, &f.off))
                (input("percent", C::PromoPercent, &f.percent))
                (input("product", C::CouponProduct, &f.product))
                (input("price", C::PromoPrice, &f.price))
            }
            fieldset {
                legend { (page.t(C::Scope)) }
                label { (page.t(C::AllProducts)) input type="checkbox" name="all_products" value="1" checked[f.all_products.is_some()]; }
                (picker)
                div.inline {
                    label { (page.t(C::ScopeProducts)) textarea name="products" rows="3" cols="24" { (f.products) } }
                    label { (page.t(C::ScopeCategories)) textarea name="categories" rows="3" cols="16" { (f.categories) } }
                    label { (page.t(C::ScopeBrands)) textarea name="brands" rows="3" cols="16" { (f.brands) } }
                    label { (page.t(C::ScopeExcluded)) textarea name="excluded" rows="3" cols="16" { (f.excluded) } }
                }
            }
            div.inline {
                (input("days", C::DaysValid, &f.days))
                label { (page.t(C::OrDatesFrom)) input type="date" name="from" value=(f.from); }
                label { (page.t(C::To)) input type="date" name="to" value=(f.to); }
                (input("offline_cap", C::OfflineCap, &f.offline_cap))
            }
            button #save-campaign type="submit" { (page.t(C::Save)) }
        }
    }
}

pub(crate) async fn create_campaign(
    State(state): State<AppState>,
    page: Page,
    axum::Form(f): axum::Form<CampaignForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let new = match f.campaign(&state, page.lang).await {
        Ok(n) => n,
        Err(why) => return list_page(&state, &page, &f, Some(why)).await,
    };
    let actor = page.me.actor();
    match state.db(move |s| s.create_campaign(&actor, new)).await {
        Ok(r) => Ok(redirect(&format!("/console/coupons/{}", r.campaign.id))),
        Err(crate::error::AppError::Validation(why) | crate::error::AppError::Conflict(why)) => {
            list_page(&state, &page, &f, Some(why)).await
        }
        Err(e) => Err(ConsoleError::App(e, page.lang)),
    }
}

pub(crate) async fn campaign(State(state): State<AppState>, page: Page, Path(id): Path<u64>) -> PageResult {
    campaign_page(&state, &page, CampaignId(id), None).await
}

async fn campaign_page(state: &AppState, page: &Page, id: CampaignId, outcome: Option<Markup>) -> PageResult {
    let r = state.db(move |s| s.coupon_campaign(id)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
    let policy = state.db(|s| s.current_policy()).await?;
    let c = &r.campaign;
    let batch = shared::ids::HoldId::new().to_string();
    let body = html! {
        div.cards {
            div.card { (page.t(C::CouponKindLabel)) b { (kind_text(page.lang, &c.kind)) } }
            div.card { (page.t(C::Validity)) b { (validity_text(page.lang, &r.validity)) } }
            div.card { (page.t(C::OfflineCap)) b { (c.offline_cap.map(|n| n.to_string()).unwrap_or_else(|| "—".into())) } }
            div.card { (page.t(C::Status)) b #campaign-status { (page.t(if c.active { C::StatusActive } else { C::StatusEnded })) } }
        }
        div.cards #counts {
            div.card { (page.t(C::CouponsIssued)) b { (r.counts.issued) } }
            div.card { (page.t(C::CouponUsed)) b { (r.counts.redeemed) } span.muted { (shared::Money(r.counts.redeemed_discount)) } }
            div.card { (page.t(C::CouponExpired)) b { (r.counts.expired) } }
            div.card { (page.t(C::CouponOutstanding)) b { (r.counts.outstanding) } }
        }
        @if let Some(o) = outcome { (o) }
        @if may_edit(page) && c.active {
            h2 { (page.t(C::IssueCoupons)) }
            form #issue method="post" action={ "/console/coupons/" (c.id) "/issue" } {
                (page.csrf_field())
                input type="hidden" name="batch" value=(batch);
                div.inline {
                    label { (page.t(C::Audience))
                        select name="audience" {
                            @for (v, l) in [("tier", C::Tier), ("birthday_month", C::BirthdayMonth), ("inactive_days", C::InactiveDays), ("members", C::MemberList)] {
                                option value=(v) { (page.t(l)) }
                            }
                        }
                    }
                    label { (page.t(C::Tier)) select name="tier" { @for t in policy.tiers.tiers() { option value=(t.code) { (t.name) } } } }
                    label { (page.t(C::BirthdayMonth)) input name="month" type="number" min="1" max="12"; }
                    label { (page.t(C::InactiveDays)) input name="days" type="number" min="1"; }
                }
                div.inline {
                    label { (page.t(C::MemberList)) textarea #issue-members name="members" rows="4" cols="30" {} }
                    // A CSV file's text goes into the box above (its first column, after a header).
                    label { (page.t(C::CodesFromFile))
                        input type="file" accept=".csv,.txt,text/csv,text/plain"
                            onchange="const f = this.files[0]; if (f) { f.text().then(t => { document.getElementById('issue-members').value = t; }); }";
                    }
                }
                button #issue-button type="submit" { (page.t(C::IssueCoupons)) }
            }
            form method="post" action={ "/console/coupons/" (c.id) "/end" } {
                (page.csrf_field())
                button.danger #end-campaign type="submit" { (page.t(C::EndCampaign)) }
            }
        }
    };
    Ok(layout(page, Menu::Coupons, &format!("{} · {}", page.t(C::CouponCampaigns), c.name), body))
}

#[derive(Deserialize)]
pub(crate) struct IssueForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    batch: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    members: String,
}

/// The member codes or phone numbers of a pasted list or CSV: the first column of each line, a
/// first line that is not a code or phone number being its header.
fn listed(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .lines()
        .map(|l| l.split(',').next().unwrap_or("").trim().trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    if out.first().is_some_and(|h| !h.chars().all(|c| c.is_ascii_digit())) {
        out.remove(0);
    }
    out
}

fn issue_result(page: &Page, o: &IssueOutcome) -> Markup {
    html! {
        div #issue-result {
            p.ok { (page.t(C::IssuedNow).replace("{0}", &o.issued.to_string()).replace("{1}", &o.already.to_string())) }
            @if !o.refused.is_empty() {
                table #issue-refused { thead { tr { th { (page.t(C::Line)) } th { (page.t(C::Code)) } th { (page.t(C::Reason)) } } }
                    tbody { @for r in &o.refused { tr { td { (r.row) } td { (r.value) } td { (r.reason) } } } } }
            }
        }
    }
}

pub(crate) async fn issue(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<u64>,
    axum::Form(f): axum::Form<IssueForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let number = |v: &str| v.trim().parse::<u32>().map_err(|_| page.invalid("a whole number, please"));
    let audience = match f.audience.as_str() {
        "tier" => CouponAudience::Tier { tier: f.tier.trim().to_owned() },
        "birthday_month" => CouponAudience::BirthdayMonth { month: u8::try_from(number(&f.month)?).unwrap_or(0) },
        "inactive_days" => CouponAudience::InactiveDays { days: number(&f.days)? },
        "members" => CouponAudience::Members { members: listed(&f.members) },
        _ => return Err(page.invalid("audience")),
    };
    let request = IssueRequest { batch: f.batch.trim().to_owned(), audience };
    let actor = page.me.actor();
    let id = CampaignId(id);
    let outcome = match state.db(move |s| s.issue_coupons(&actor, id, &request)).await {
        Ok(o) => issue_result(&page, &o),
        Err(crate::error::AppError::Validation(why) | crate::error::AppError::Conflict(why)) => {
            html! { p.error #issue-result { (why) } }
        }
        Err(e) => return Err(ConsoleError::App(e, page.lang)),
    };
    campaign_page(&state, &page, id, Some(outcome)).await
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

pub(crate) async fn end(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<u64>,
    axum::Form(f): axum::Form<CsrfForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let actor = page.me.actor();
    let id = CampaignId(id);
    state.db(move |s| s.end_campaign(&actor, id)).await?;
    Ok(redirect(&format!("/console/coupons/{id}")))
}

/// A member's coupons, for the member's page.
pub(super) fn member_coupons(page: &Page, list: &[crate::model::MemberCouponRecord]) -> Markup {
    html! {
        h2 { (page.t(C::CouponCampaigns)) }
        table #member-coupons {
            thead { tr { th { (page.t(C::Code)) } th { (page.t(C::Name)) } th { (page.t(C::Status)) } th { (page.t(C::ValidUntil)) }
                th { (page.t(C::Receipt)) } th.n { (page.t(C::Discount)) } } }
            tbody { @for c in list { tr {
                td { (c.code) } td { a href={ "/console/coupons/" (c.campaign_id) } { (c.campaign_name) } }
                td { (status_label(page, c.status)) }
                td { (super::hq_time(c.valid_until, "%Y-%m-%d %H:%M")) }
                td { (c.receipt_no.clone().unwrap_or_else(|| "—".into())) }
                td.n { (c.discount.map(|d| shared::Money(d).to_string()).unwrap_or_default()) }
            } } }
        }
    }
}
