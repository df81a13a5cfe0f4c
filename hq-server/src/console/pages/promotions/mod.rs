//! Promotions (促销): the list with its filters, a promotion's page with what it competes with and
//! a withdraw button; the form for every kind (`form`) and the preview of a typed cart with the
//! current set (`preview`).

mod form;
mod preview;

use axum::extract::{Path, State};
use maud::{Markup, html};
use serde::Deserialize;
use shared::catalog::{CategoryId, ProductId};
use shared::ids::BranchId;
use shared::lang::Lang;
use shared::money::{Bp, Currency, Money, Qty};
use shared::promotions::{
    Audience, Branches, Layer, Limits, Promotion, PromotionError, PromotionId, PromotionKind, Schedule, Scope, Slab,
    TimeWindow,
};

use super::*;
use crate::console::FormQuery;
use crate::console::{C, ConsoleError, Menu, Page, PageResult, layout, redirect};
use crate::http::AppState;
use crate::http::promotions::{PreviewInput, PreviewLine, PreviewOutput};
use crate::model::{PromotionFilter, PromotionRecord, PromotionStatus};
use crate::store::{Store, StoreResult};

pub(crate) use form::{codes, create_promotion, edit_promotion, new_promotion, update_promotion};
pub(crate) use preview::preview;
use preview::{PreviewForm, preview_form};

/// The kinds, in the order the form offers them: code (as the API spells it) and label.
const KINDS: [(&str, C); 10] = [
    ("fixed_price", C::KindFixedPrice),
    ("amount_off", C::KindAmountOff),
    ("percent_off", C::KindPercentOff),
    ("buy_n_get_m_free", C::KindBuyNGetM),
    ("nth_percent_off", C::KindNthPercentOff),
    ("n_for_price", C::KindNForPrice),
    ("slabs", C::KindSlabs),
    ("repeating", C::KindRepeating),
    ("threshold_percent", C::KindThresholdPercent),
    ("gift", C::KindGift),
];

fn kind_code(k: &PromotionKind) -> &'static str {
    match k {
        PromotionKind::FixedPrice { .. } => "fixed_price",
        PromotionKind::AmountOff { .. } => "amount_off",
        PromotionKind::PercentOff { .. } => "percent_off",
        PromotionKind::BuyNGetMFree { .. } => "buy_n_get_m_free",
        PromotionKind::NthPercentOff { .. } => "nth_percent_off",
        PromotionKind::NForPrice { .. } => "n_for_price",
        PromotionKind::Slabs { .. } => "slabs",
        PromotionKind::Repeating { .. } => "repeating",
        PromotionKind::ThresholdPercent { .. } => "threshold_percent",
        PromotionKind::Gift { .. } => "gift",
    }
}

fn kind_label(page: &Page, k: &PromotionKind) -> &'static str {
    let code = kind_code(k);
    KINDS.iter().find(|(c, _)| *c == code).map_or(code, |(_, l)| page.t(*l))
}

fn status_label(page: &Page, s: PromotionStatus) -> &'static str {
    page.t(match s {
        PromotionStatus::Scheduled => C::StatusScheduled,
        PromotionStatus::Active => C::StatusActive,
        PromotionStatus::Ended => C::StatusEnded,
        PromotionStatus::Withdrawn => C::StatusWithdrawn,
    })
}

/// What a promotion does, in a few words: "满 ¥100.00 减 ¥10.00".
fn kind_text(page: &Page, k: &PromotionKind) -> String {
    let zh = page.lang == Lang::ZhCn;
    let pct = |bp: Bp| bp.display_percent();
    match k {
        PromotionKind::FixedPrice { price } => format!("{} {price}", page.t(C::KindFixedPrice)),
        PromotionKind::AmountOff { off } => format!("{} {off}", page.t(C::KindAmountOff)),
        PromotionKind::PercentOff { bp, on_member_price } => {
            let m = if *on_member_price { format!(" ({})", page.t(C::OnMemberPrice)) } else { String::new() };
            if zh { format!("减 {}{m}", pct(*bp)) } else { format!("{} off{m}", pct(*bp)) }
        }
        PromotionKind::BuyNGetMFree { n, m } => {
            if zh {
                format!("买{n}赠{m}")
            } else {
                format!("buy {n} get {m} free")
            }
        }
        PromotionKind::NthPercentOff { n, bp } => {
            if zh {
                format!("第{n}件减 {}", pct(*bp))
            } else {
                format!("item {n} at {} off", pct(*bp))
            }
        }
        PromotionKind::NForPrice { n, price } => {
            if zh {
                format!("{price} {n}件")
            } else {
                format!("{n} for {price}")
            }
        }
        PromotionKind::Slabs { slabs } => {
            slabs
                .iter()
                .map(|s| {
                    if zh {
                        format!("满{}减{}", s.threshold, s.off)
                    } else {
                        format!("{} off {}", s.off, s.threshold)
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        }
        PromotionKind::Repeating { every, off, cap } => {
            let cap =
                cap.map(|c| if zh { format!("，最多减{c}") } else { format!(", at most {c}") }).unwrap_or_default();
            if zh { format!("每满{every}减{off}{cap}") } else { format!("{off} off every {every}{cap}") }
        }
        PromotionKind::ThresholdPercent { threshold, bp } => {
            if zh {
                format!("满{threshold}减 {}", pct(*bp))
            } else {
                format!("{} off from {threshold}", pct(*bp))
            }
        }
        PromotionKind::Gift { threshold, product } => {
            if zh {
                format!("满{threshold}赠商品 #{}", product.0)
            } else {
                format!("gift #{} from {threshold}", product.0)
            }
        }
    }
}

#[derive(Deserialize, Default)]
pub(super) struct ListQuery {
    status: Option<String>,
    q: Option<String>,
}

pub(super) async fn promotions(
    State(state): State<AppState>,
    page: Page,
    FormQuery(q): FormQuery<ListQuery>,
) -> PageResult {
    let status: Option<PromotionStatus> =
        q.status.as_deref().filter(|s| !s.is_empty()).and_then(crate::console::from_code);
    let name = q.q.clone().unwrap_or_default();
    let filter = PromotionFilter {
        status,
        name: (!name.trim().is_empty()).then(|| name.trim().to_owned()),
        after: 0,
        limit: 500,
    };
    let today = state.chain_day().await?.day;
    let own = (page.me.user.role == crate::model::Role::BranchManager).then_some(page.me.user.branch_id).flatten();
    let (list, set, flagged) = state
        .db(move |s| {
            Ok((
                s.list_promotions(&filter, today)?,
                s.current_promotion_set()?,
                s.flagged_sales(crate::event_checks::value::REPRICED_FLAG, own, 100)?,
            ))
        })
        .await?;
    let preview = preview_form(&page, &state, &PreviewForm::default()).await?;
    let body = html! {
        form.inline #promotion-filter method="get" {
            label { (page.t(C::Status))
                select name="status" {
                    option value="" { (page.t(C::AllStatuses)) }
                    @for s in PromotionStatus::ALL { option value=(s.code()) selected[status == Some(s)] { (status_label(&page, s)) } }
                }
            }
            label { (page.t(C::Search)) input name="q" value=(name); }
            button type="submit" { (page.t(C::Show)) }
        }
        p {
            (page.t(C::SetVersion)) " " b #set-version { (set.version) } " · "
            @if may_edit(&page) { a #new-promotion href="/console/promotions/new" { (page.t(C::NewPromotion)) } " · " }
            a href="#preview-form" { (page.t(C::RunPreview)) }
        }
        table #promotions {
            thead { tr {
                th { "#" } th { (page.t(C::Name)) } th { (page.t(C::PromotionKindLabel)) } th { (page.t(C::From)) }
                th { (page.t(C::To)) } th { (page.t(C::Status)) } th.n { (page.t(C::Version)) }
            } }
            tbody { @for r in &list { @let p = &r.promotion; tr {
                td { (p.id.0) }
                td { a href={ "/console/promotions/" (p.id.0) } { (p.name) } }
                td { (kind_text(&page, &p.kind)) }
                td { (p.schedule.from) } td { (p.schedule.to) }
                td.status { (status_label(&page, r.status)) }
                td.n { (r.version) }
            } } }
        }
        (preview)
        h2 { (page.t(C::RepricedSales)) }
        p.muted { (page.t(C::RepricedSalesHint)) }
        @if flagged.is_empty() {
            p #repriced-none { (page.t(C::RepricedNone)) }
        } @else {
            table #repriced {
                thead { tr { th { (page.t(C::Till)) } th { (page.t(C::Receipt)) } th { (page.t(C::Received)) } th { (page.t(C::Reason)) } } }
                tbody { @for f in &flagged { tr {
                    td { a href={ "/console/tills/" (f.till_id.0) } { (f.branch_code) " · " (format!("{:02}", f.till_number)) } }
                    td { (f.receipt_no.clone().unwrap_or_default()) }
                    td { (crate::calendar::hq_time(f.received_at).strftime("%Y-%m-%d %H:%M")) }
                    td { span.flag { "⚑ " (f.flag) } }
                } } }
            }
        }
    };
    Ok(layout(&page, Menu::Promotions, page.t(C::Promotions), body))
}

/// How many competitors a promotion's page prices a sample cart against.
const SHOWDOWNS: usize = 5;

/// A sample cart that `p` and its competitor `o` can both take, priced with each alone and with
/// both, as a till would choose (the larger saving for the customer, ties by priority, then id).
struct Showdown {
    cart: String,
    alone: shared::Money,
    rival_alone: shared::Money,
    /// The promotions that applied with both on offer.
    chosen: Vec<String>,
    saving: shared::Money,
}

/// Units of one product that let a promotion give something: a whole group for an item-group
/// promotion, enough to reach a threshold for an order promotion.
fn sample_units(p: &Promotion, price: shared::Money) -> i64 {
    match &p.kind {
        PromotionKind::BuyNGetMFree { n, m } => i64::from(*n) + i64::from(*m),
        PromotionKind::NthPercentOff { n, .. } | PromotionKind::NForPrice { n, .. } => i64::from(*n),
        kind => match kind.lowest_threshold() {
            Some(t) if price.0 > 0 => (t.0 + price.0 - 1) / price.0,
            _ => 1,
        },
    }
}

fn showdown(s: &dyn Store, p: &Promotion, o: &Promotion, now: jiff::Timestamp) -> StoreResult<Option<Showdown>> {
    let candidates: Vec<shared::catalog::ProductId> =
        p.scope.products.iter().chain(&o.scope.products).copied().take(40).collect();
    for id in candidates {
        let Ok(product) = s.get_product(id) else { continue };
        if product.weighed
            || !p.scope.covers(id, product.category, product.brand)
            || !o.scope.covers(id, product.category, product.brand)
        {
            continue;
        }
        let units = sample_units(p, product.retail_price).max(sample_units(o, product.retail_price)).clamp(1, 1000);
        // A moment both run: the later first day, at the later window's start or noon.
        let day = p.schedule.from.max(o.schedule.from);
        let time = [p.schedule.time_window, o.schedule.time_window]
            .into_iter()
            .flatten()
            .map(|w| w.start)
            .max()
            .unwrap_or(jiff::civil::time(12, 0, 0, 0));
        let tier = [&p.audience, &o.audience].into_iter().find_map(|a| match a {
            Audience::Tiers(t) => t.first().cloned(),
            _ => None,
        });
        let member = [&p.audience, &o.audience].into_iter().any(|a| !matches!(a, Audience::Everyone));
        let branch_id = [&p.branches, &o.branches].into_iter().find_map(|b| match b {
            Branches::Only(list) => list.first().map(|b| b.0),
            Branches::All => None,
        });
        let input = PreviewInput {
            lines: vec![PreviewLine { code: product.code.clone(), qty_milli: units * 1000 }],
            member,
            tier,
            branch_id,
            at: Some(day.at(time.hour(), time.minute(), 0, 0).strftime("%Y-%m-%dT%H:%M").to_string()),
        };
        let priced = |promotions: Vec<Promotion>| -> StoreResult<PreviewOutput> {
            let set = shared::promotions::PromotionSet { version: 0, promotions };
            crate::http::promotions::price_preview_with(s, &input, None, now, Some(set))
        };
        // A cart the preview refuses (no branch yet, a tier the policy dropped) has no sample.
        let outcomes = (priced(vec![p.clone()]), priced(vec![o.clone()]), priced(vec![p.clone(), o.clone()]));
        let (alone, rival_alone, both) = match outcomes {
            (Ok(a), Ok(b), Ok(c)) => (a.outcome.total_saving, b.outcome.total_saving, c.outcome),
            (Err(crate::store::StoreError::Invalid(_)), _, _)
            | (_, Err(crate::store::StoreError::Invalid(_)), _)
            | (_, _, Err(crate::store::StoreError::Invalid(_))) => return Ok(None),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return Err(e),
        };
        return Ok(Some(Showdown {
            cart: format!("{} {} × {units}", product.code, product.name),
            alone,
            rival_alone,
            chosen: both.promotions.iter().map(|a| a.name.clone()).collect(),
            saving: both.total_saving,
        }));
    }
    Ok(None)
}

fn may_edit(page: &Page) -> bool {
    crate::authz::can::EDIT_PROMOTIONS.contains(&page.me.user.role)
}

#[derive(Deserialize, Default)]
pub(super) struct DetailQuery {
    published: Option<String>,
}

/// Whether two promotions compete: the same exclusivity group, or two item-group (layer 2)
/// promotions that may want the same units.
fn competes(a: &Promotion, b: &Promotion) -> bool {
    if a.id == b.id {
        return false;
    }
    if a.exclusivity_group.is_some() && a.exclusivity_group == b.exclusivity_group {
        return true;
    }
    if a.layer() != Layer::ItemGroup || b.layer() != Layer::ItemGroup {
        return false;
    }
    let (x, y) = (&a.scope, &b.scope);
    x.all_products
        || y.all_products
        || x.products.iter().any(|p| y.products.contains(p))
        || x.categories.iter().any(|c| y.categories.contains(c))
        || x.brands.iter().any(|b| y.brands.contains(b))
}

pub(super) async fn promotion(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<u64>,
    FormQuery(q): FormQuery<DetailQuery>,
) -> PageResult {
    let flash = q.published.is_some().then(|| html! { p.ok #published { (page.t(C::Published)) } });
    detail_page(&state, &page, PromotionId(id), flash).await
}

async fn detail_page(state: &AppState, page: &Page, id: PromotionId, flash: Option<Markup>) -> PageResult {
    let today = state.chain_day().await?.day;
    let own = (page.me.user.role == crate::model::Role::BranchManager).then_some(page.me.user.branch_id).flatten();
    let (r, set, effect, brands): (PromotionRecord, _, _, _) = state
        .db(move |s| {
            Ok((
                s.promotion(id, today)?,
                s.current_promotion_set()?,
                s.promotion_effect(id, today, own)?,
                s.list_brands()?,
            ))
        })
        .await?;
    let preview = preview_form(page, state, &PreviewForm::default()).await?;
    let p = &r.promotion;
    let rivals: Vec<&Promotion> = set.promotions.iter().filter(|o| competes(p, o)).collect();
    let now = state.now();
    let pair: Vec<(Promotion, Promotion)> = rivals.iter().take(SHOWDOWNS).map(|o| (p.clone(), (*o).clone())).collect();
    let showdowns =
        state.db(move |s| pair.iter().map(|(a, b)| showdown(s, a, b, now)).collect::<StoreResult<Vec<_>>>()).await?;
    let layer = match p.layer() {
        Layer::LinePrice => "1",
        Layer::ItemGroup => "2",
        Layer::Threshold => "3",
    };
    let body = html! {
        @if let Some(f) = flash { (f) }
        table #promotion-summary { tbody {
            tr { th { (page.t(C::Status)) } td #promotion-status { (status_label(page, r.status)) } }
            tr { th { (page.t(C::PromotionKindLabel)) } td { (kind_label(page, &p.kind)) " · " (kind_text(page, &p.kind)) } }
            tr { th { (page.t(C::Layer)) } td { (layer) } }
            tr { th { (page.t(C::Schedule)) } td {
                (p.schedule.from) " – " (p.schedule.to)
                @if let Some(d) = &p.schedule.weekdays { " · " (format!("{d:?}")) }
                @if let Some(w) = p.schedule.time_window { " · " (w.start.strftime("%H:%M")) "–" (w.end.strftime("%H:%M")) }
            } }
            tr { th { (page.t(C::Audience)) } td { (match &p.audience {
                Audience::Everyone => page.t(C::Everyone).to_owned(),
                Audience::Members => page.t(C::MembersOnly).to_owned(),
                Audience::Tiers(t) => format!("{}: {}", page.t(C::SomeTiers), t.join(", ")),
            }) } }
            tr { th { (page.t(C::Branch)) } td { (match &p.branches {
                Branches::All => page.t(C::AllBranches).to_owned(),
                Branches::Only(b) => b.iter().map(|b| b.0.to_string()).collect::<Vec<_>>().join(", "),
            }) } }
            tr { th { (page.t(C::Scope)) } td {
                @if p.scope.all_products { (page.t(C::AllProducts)) }
                @else { (p.scope.products.len()) " / " (p.scope.categories.len()) }
                @if !p.scope.excluded.is_empty() { " − " (p.scope.excluded.len()) }
            } }
            @if !p.scope.brands.is_empty() {
                tr { th { (page.t(C::Brands)) } td #promotion-brands { (p.scope.brands.iter().map(|id| {
                    brands.iter().find(|b| b.brand.id == *id).map_or(id.0.to_string(), |b| b.brand.name.clone())
                }).collect::<Vec<_>>().join("、")) } }
            }
            tr { th { (page.t(C::ExclusivityGroup)) } td { (p.exclusivity_group.clone().unwrap_or_default()) } }
            tr { th { (page.t(C::Priority)) } td { (p.priority) } }
            tr { th { (page.t(C::Version)) } td { (r.version) " · " (r.updated_by) " · " (hq_time(r.updated_at, "%Y-%m-%d %H:%M")) } }
        } }
        @if may_edit(page) && r.status != PromotionStatus::Withdrawn {
            p {
                a #edit-promotion href={ "/console/promotions/" (p.id.0) "/edit" } { (page.t(C::EditPromotion)) }
            }
            form.inline #withdraw-form method="post" action={ "/console/promotions/" (p.id.0) "/withdraw" } {
                (page.csrf_field())
                button.danger #withdraw type="submit" { (page.t(C::Withdraw)) }
            }
        }
        h2 { (page.t(C::Competes)) }
        @if rivals.is_empty() { p.muted #no-competitors { (page.t(C::NoCompetitors)) } }
        @else {
            ul #competitors { @for o in &rivals {
                li { a href={ "/console/promotions/" (o.id.0) } { (o.name) } " · " (kind_text(page, &o.kind)) }
            } }
            p.muted { (page.t(C::ShowdownHint)) }
            table #showdown {
                thead { tr {
                    th { (page.t(C::Competes)) } th { (page.t(C::ShowdownCart)) } th.n { (page.t(C::ShowdownThis)) }
                    th.n { (page.t(C::ShowdownRival)) } th { (page.t(C::ShowdownWinner)) } th.n { (page.t(C::ShowdownSaving)) }
                } }
                tbody { @for (o, d) in rivals.iter().zip(&showdowns) { tr {
                    td { (o.name) }
                    @match d {
                        None => td colspan="5" { (page.t(C::ShowdownNone)) },
                        Some(d) => {
                            td { (d.cart) } td.n { (d.alone) } td.n { (d.rival_alone) }
                            td.winner { (d.chosen.join(" + ")) } td.n { (d.saving) }
                        },
                    }
                } } }
            }
        }
        h2 { (page.t(C::Effect)) }
        @match &effect {
            None => p.muted #effect-none { (page.t(C::EffectNotStarted)) },
            Some(e) => table #effect {
                thead { tr { th { } th { (page.t(C::From)) } th { (page.t(C::To)) } th.n { (page.t(C::EffectLines)) } th.n { (page.t(C::EffectUnits)) } th.n { (page.t(C::EffectSales)) } } }
                tbody {
                    @for (label, period) in [(page.t(C::EffectBefore), &e.before), (page.t(C::EffectDuring), &e.during)] {
                        tr {
                            th { (label) } td { (period.from) } td { (period.to) }
                            td.n { (period.lines) } td.n { (shared::money::Qty(period.qty_milli).display()) }
                            td.n { (shared::Money(period.net)) }
                        }
                    }
                }
            },
        }
        (preview)
    };
    Ok(layout(page, Menu::Promotions, &p.name, body))
}

pub(super) async fn withdraw_promotion(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<u64>,
    axum::Form(f): axum::Form<crate::console::CsrfForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let actor = page.me.actor();
    let id = PromotionId(id);
    state.db(move |s| s.withdraw_promotion(&actor, id)).await?;
    detail_page(&state, &page, id, Some(html! { p.ok #withdrawn { (page.t(C::Withdrawn)) } })).await
}
