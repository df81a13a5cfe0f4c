//! Promotions (促销): the versioned set HQ publishes to the tills, each promotion's revisions, the
//! set at any version (what a sale was priced with), and a preview of a cart with the current set.
//!
//! The body of a write is a promotion as the tills receive it (`shared::promotions::Promotion`,
//! without its id, which HQ assigns), described here field by field with the rules each field
//! carries alone; what depends on several fields or on HQ's records (an end before the start, an
//! empty scope, a product HQ does not know) is refused with 422 naming the field.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::civil::{Date, DateTime, Time};
use serde::{Deserialize, Serialize};
use shared::Money;
use shared::catalog::{CategoryId, ProductId};
use shared::ids::BranchId;
use shared::money::{Bp, Qty};
use shared::promotions::{
    Audience, Branches, BrandId, CartLine, Customer, Limits, Promotion, PromotionCart, PromotionEngine, PromotionId,
    PromotionKind, PromotionOutcome, PromotionSet, Schedule, Scope, Slab, TimeWindow,
};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, CurrentUser};
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError};
use crate::model::{PromotionEffect, PromotionFilter, PromotionRecord, PromotionStatus, Role};
use crate::store::{Store, StoreError, StoreResult};

/// Where a promotion runs.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(tag = "kind", content = "branches", rename_all = "snake_case")]
pub enum BranchesInput {
    All,
    /// These branches (by id), at least one.
    Only(Vec<i64>),
}

/// A time of day window `[start, end)`, branch local time; it does not wrap past midnight.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct TimeWindowInput {
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub start: String,
    /// After the start.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub end: String,
}

/// When a promotion runs, in each branch's local civil time.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct ScheduleInput {
    /// First day, included.
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    /// Last day, included; not before `from`.
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    /// ISO weekdays (1 = Monday … 7 = Sunday); `null` for every day.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 7)]
    pub weekdays: Option<Vec<u8>>,
    #[serde(default)]
    pub time_window: Option<TimeWindowInput>,
}

/// Who a promotion is for.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(tag = "kind", content = "tiers", rename_all = "snake_case")]
pub enum AudienceInput {
    #[default]
    Everyone,
    Members,
    /// Members of these tiers (tier codes of the member policy), at least one.
    Tiers(Vec<String>),
}

/// Which goods: all of them, or the listed products and categories, minus the excluded products.
/// At least one of `all_products`, `products`, `categories` is needed.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct ScopeInput {
    #[serde(default)]
    pub all_products: bool,
    /// Product ids.
    #[serde(default)]
    #[schema(max_items = 10000)]
    pub products: Vec<i64>,
    /// Category ids.
    #[serde(default)]
    #[schema(max_items = 10000)]
    pub categories: Vec<i64>,
    /// Brand ids (`GET /api/v1/brands`).
    #[serde(default)]
    #[schema(max_items = 10000)]
    pub brands: Vec<i64>,
    /// Product ids left out.
    #[serde(default)]
    #[schema(max_items = 10000)]
    pub excluded: Vec<i64>,
}

/// A 满减 slab: from `threshold` (reached at ≥) the order takes `off`. Fen.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct SlabInput {
    #[serde(deserialize_with = "super::int::de")]
    #[schema(minimum = 1, maximum = 1000000000)]
    pub threshold: i64,
    #[serde(deserialize_with = "super::int::de")]
    #[schema(minimum = 1, maximum = 1000000000)]
    pub off: i64,
}

/// What a promotion does. Money in fen; percentages in basis points (1 … 10000 = 0.01 % … 100 % off).
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KindInput {
    /// 特价: the unit costs this.
    FixedPrice {
        #[serde(deserialize_with = "super::int::de")]
        #[schema(minimum = 0, maximum = 1000000000)]
        price: i64,
    },
    /// 直降: this much off the unit.
    AmountOff {
        #[serde(deserialize_with = "super::int::de")]
        #[schema(minimum = 1, maximum = 1000000000)]
        off: i64,
    },
    /// `bp` off the unit (of the member-benefit unit when `on_member_price`).
    PercentOff {
        #[serde(deserialize_with = "super::int::de")]
        #[schema(minimum = 1, maximum = 10000)]
        bp: i64,
        #[serde(default)]
        on_member_price: bool,
    },
    /// 买 N 赠 M.
    BuyNGetMFree {
        #[serde(deserialize_with = "super::int::de")]
        #[schema(minimum = 1, maximum = 1000)]
        n: u32,
        #[serde(deserialize_with = "super::int::de")]
        #[schema(minimum = 1, maximum = 1000)]
        m: u32,
    },
    /// 第 N 件 X 折: the cheapest of every N takes `bp` off.
    NthPercentOff {
        #[serde(deserialize_with = "super::int::de")]
        #[schema(minimum = 1, maximum = 1000)]
        n: u32,
        #[serde(deserialize_with = "super::int::de")]
        #[schema(minimum = 1, maximum = 10000)]
        bp: i64,
    },
    /// N 元 M 件: every `n` units cost `price` together.
    NForPrice {
        #[serde(deserialize_with = "super::int::de")]
        #[schema(minimum = 1, maximum = 1000)]
        n: u32,
        #[serde(deserialize_with = "super::int::de")]
        #[schema(minimum = 0, maximum = 1000000000)]
        price: i64,
    },
    /// 满减: the highest slab reached applies; thresholds differ.
    Slabs {
        #[schema(min_items = 1, max_items = 20)]
        slabs: Vec<SlabInput>,
    },
    /// 每满减: `off` for every whole `every`, at most `cap` in all.
    Repeating {
        #[serde(deserialize_with = "super::int::de")]
        #[schema(minimum = 1, maximum = 1000000000)]
        every: i64,
        #[serde(deserialize_with = "super::int::de")]
        #[schema(minimum = 1, maximum = 1000000000)]
        off: i64,
        #[serde(default, deserialize_with = "super::int::opt")]
        #[schema(minimum = 1, maximum = 1000000000)]
        cap: Option<i64>,
    },
    /// 满折: from `threshold`, `bp` off the scope's total.
    ThresholdPercent {
        #[serde(deserialize_with = "super::int::de")]
        #[schema(minimum = 1, maximum = 1000000000)]
        threshold: i64,
        #[serde(deserialize_with = "super::int::de")]
        #[schema(minimum = 1, maximum = 10000)]
        bp: i64,
    },
    /// 满赠: from `threshold`, one unit of `product` at ¥0.
    Gift {
        #[serde(deserialize_with = "super::int::de")]
        #[schema(minimum = 1, maximum = 1000000000)]
        threshold: i64,
        /// A product id.
        #[serde(deserialize_with = "super::int::de")]
        product: i64,
    },
}

/// How often a promotion may apply (lines for layer 1, groups for layer 2, repetitions of a 每满减).
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct LimitsInput {
    #[serde(default, deserialize_with = "super::int::opt")]
    #[schema(minimum = 1)]
    pub per_sale: Option<u32>,
    /// Per member over the promotion's life.
    #[serde(default, deserialize_with = "super::int::opt")]
    #[schema(minimum = 1)]
    pub per_member: Option<u32>,
}

/// A promotion as HQ staff define it; HQ assigns the id.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct PromotionInput {
    #[schema(
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: String,
    pub branches: BranchesInput,
    pub schedule: ScheduleInput,
    #[serde(default)]
    pub audience: AudienceInput,
    pub scope: ScopeInput,
    pub kind: KindInput,
    /// Only one promotion of a group applies to a sale.
    #[serde(default)]
    #[schema(
        max_length = 32,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub exclusivity_group: Option<String>,
    /// A larger number is higher (ties between equal savings).
    #[serde(default, deserialize_with = "super::int::de")]
    pub priority: i32,
    #[serde(default)]
    pub limits: LimitsInput,
    /// A return that leaves the kept lines below the lowest threshold takes back what they got.
    #[serde(default)]
    pub threshold_clawback: bool,
}

fn time_of(field: &str, hh_mm: &str) -> Result<Time, String> {
    let ok = hh_mm.len() == 5 && hh_mm.as_bytes()[2] == b':';
    let parsed = ok.then(|| Time::strptime("%H:%M", hh_mm).ok()).flatten();
    parsed.ok_or_else(|| format!("schedule.time_window.{field}: `{hh_mm}` is not a time like 09:30"))
}

fn hh_mm(t: Time) -> String {
    t.strftime("%H:%M").to_string()
}

impl PromotionInput {
    /// The promotion this describes, with `id`; what cannot even be read is named.
    pub fn into_promotion(self, id: PromotionId) -> Result<Promotion, String> {
        let bp = Bp;
        let kind = match self.kind {
            KindInput::FixedPrice { price } => PromotionKind::FixedPrice { price: Money(price) },
            KindInput::AmountOff { off } => PromotionKind::AmountOff { off: Money(off) },
            KindInput::PercentOff { bp: b, on_member_price } => {
                PromotionKind::PercentOff { bp: bp(b), on_member_price }
            }
            KindInput::BuyNGetMFree { n, m } => PromotionKind::BuyNGetMFree { n, m },
            KindInput::NthPercentOff { n, bp: b } => PromotionKind::NthPercentOff { n, bp: bp(b) },
            KindInput::NForPrice { n, price } => PromotionKind::NForPrice { n, price: Money(price) },
            KindInput::Slabs { slabs } => PromotionKind::Slabs {
                slabs: slabs.into_iter().map(|s| Slab { threshold: Money(s.threshold), off: Money(s.off) }).collect(),
            },
            KindInput::Repeating { every, off, cap } => {
                PromotionKind::Repeating { every: Money(every), off: Money(off), cap: cap.map(Money) }
            }
            KindInput::ThresholdPercent { threshold, bp: b } => {
                PromotionKind::ThresholdPercent { threshold: Money(threshold), bp: bp(b) }
            }
            KindInput::Gift { threshold, product } => {
                PromotionKind::Gift { threshold: Money(threshold), product: ProductId(product) }
            }
        };
        let s = self.schedule;
        let time_window = match s.time_window {
            Some(w) => Some(TimeWindow { start: time_of("start", &w.start)?, end: time_of("end", &w.end)? }),
            None => None,
        };
        let weekdays = s.weekdays;
        if weekdays.as_ref().is_some_and(|d| d.len() > 7) {
            return Err("schedule.weekdays: more than 7 days".into());
        }
        Ok(Promotion {
            id,
            name: self.name,
            branches: match self.branches {
                BranchesInput::All => Branches::All,
                BranchesInput::Only(list) => Branches::Only(list.into_iter().map(BranchId).collect()),
            },
            schedule: Schedule { from: s.from, to: s.to, weekdays, time_window },
            audience: match self.audience {
                AudienceInput::Everyone => Audience::Everyone,
                AudienceInput::Members => Audience::Members,
                AudienceInput::Tiers(t) => Audience::Tiers(t),
            },
            scope: Scope {
                all_products: self.scope.all_products,
                products: self.scope.products.into_iter().map(ProductId).collect(),
                categories: self.scope.categories.into_iter().map(CategoryId).collect(),
                brands: self.scope.brands.into_iter().map(BrandId).collect(),
                excluded: self.scope.excluded.into_iter().map(ProductId).collect(),
            },
            kind,
            exclusivity_group: self.exclusivity_group,
            priority: self.priority,
            limits: Limits { per_sale: self.limits.per_sale, per_member: self.limits.per_member },
            threshold_clawback: self.threshold_clawback,
        })
    }

    /// The input that describes `p` (the console's form starts from it).
    pub fn of(p: &Promotion) -> PromotionInput {
        let kind = match &p.kind {
            PromotionKind::FixedPrice { price } => KindInput::FixedPrice { price: price.0 },
            PromotionKind::AmountOff { off } => KindInput::AmountOff { off: off.0 },
            PromotionKind::PercentOff { bp, on_member_price } => {
                KindInput::PercentOff { bp: bp.0, on_member_price: *on_member_price }
            }
            PromotionKind::BuyNGetMFree { n, m } => KindInput::BuyNGetMFree { n: *n, m: *m },
            PromotionKind::NthPercentOff { n, bp } => KindInput::NthPercentOff { n: *n, bp: bp.0 },
            PromotionKind::NForPrice { n, price } => KindInput::NForPrice { n: *n, price: price.0 },
            PromotionKind::Slabs { slabs } => KindInput::Slabs {
                slabs: slabs.iter().map(|s| SlabInput { threshold: s.threshold.0, off: s.off.0 }).collect(),
            },
            PromotionKind::Repeating { every, off, cap } => {
                KindInput::Repeating { every: every.0, off: off.0, cap: cap.map(|c| c.0) }
            }
            PromotionKind::ThresholdPercent { threshold, bp } => {
                KindInput::ThresholdPercent { threshold: threshold.0, bp: bp.0 }
            }
            PromotionKind::Gift { threshold, product } => {
                KindInput::Gift { threshold: threshold.0, product: product.0 }
            }
        };
        PromotionInput {
            name: p.name.clone(),
            branches: match &p.branches {
                Branches::All => BranchesInput::All,
                Branches::Only(list) => BranchesInput::Only(list.iter().map(|b| b.0).collect()),
            },
            schedule: ScheduleInput {
                from: p.schedule.from,
                to: p.schedule.to,
                weekdays: p.schedule.weekdays.clone(),
                time_window: p
                    .schedule
                    .time_window
                    .map(|w| TimeWindowInput { start: hh_mm(w.start), end: hh_mm(w.end) }),
            },
            audience: match &p.audience {
                Audience::Everyone => AudienceInput::Everyone,
                Audience::Members => AudienceInput::Members,
                Audience::Tiers(t) => AudienceInput::Tiers(t.clone()),
            },
            scope: ScopeInput {
                all_products: p.scope.all_products,
                products: p.scope.products.iter().map(|x| x.0).collect(),
                categories: p.scope.categories.iter().map(|x| x.0).collect(),
                brands: p.scope.brands.iter().map(|x| x.0).collect(),
                excluded: p.scope.excluded.iter().map(|x| x.0).collect(),
            },
            kind,
            exclusivity_group: p.exclusivity_group.clone(),
            priority: p.priority,
            limits: LimitsInput { per_sale: p.limits.per_sale, per_member: p.limits.per_member },
            threshold_clawback: p.threshold_clawback,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// By where they stand on the chain's business day today.
    pub status: Option<PromotionStatus>,
    /// Part of the name.
    #[param(max_length = 50)]
    pub q: Option<String>,
    /// Promotions with an id above this (paging: pass the last id you got).
    pub after: Option<i64>,
    /// At most this many (default 100, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SetQuery {
    /// The set's version (default the newest).
    #[param(minimum = 0)]
    pub version: Option<u64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EffectQuery {
    /// One branch (default the promotion's branches; a branch manager always sees their own).
    #[param(minimum = 1)]
    pub branch_id: Option<i64>,
}

/// What sold in the promotion's scope while it ran (to today), against as many days just before
/// it: lines, units and net sales (before returns). 404 before its first day.
#[utoipa::path(get, path = "/api/v1/promotions/{id}/effect", tag = "promotions", security(("session" = [])),
    params(("id" = i64, Path, description = "Promotion id"), EffectQuery),
    responses((status = 200, body = PromotionEffect)))]
async fn effect(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<EffectQuery>,
) -> Result<Json<PromotionEffect>, AppError> {
    let id = promotion_id(id)?;
    let branch = match me.user.role {
        Role::BranchManager => me.user.branch_id,
        _ => q.branch_id.map(BranchId),
    };
    let today = state.chain_day().await?.day;
    state
        .db(move |s| s.promotion_effect(id, today, branch))
        .await?
        .map(Json)
        .ok_or_else(|| AppError::NotFound(format!("promotion {} has not started", id.0)))
}

/// The promotions, in id order, by status and name (any console role).
#[utoipa::path(get, path = "/api/v1/promotions", tag = "promotions", security(("session" = [])),
    params(ListQuery), responses((status = 200, body = Vec<PromotionRecord>)))]
async fn list(
    State(state): State<AppState>,
    _me: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<PromotionRecord>>, AppError> {
    let limit = super::schema::page_limit(q.limit, 100, 500)?;
    if q.q.as_ref().is_some_and(|s| s.chars().count() > 50) {
        return Err(AppError::Validation("q: at most 50 characters".into()));
    }
    let filter = PromotionFilter { status: q.status, name: q.q, after: q.after.unwrap_or(0), limit };
    let today = state.chain_day().await?.day;
    Ok(Json(state.db(move |s| s.list_promotions(&filter, today)).await?))
}

/// Publishes a new promotion to every till (HQ admin, marketing); its id is assigned.
#[utoipa::path(post, path = "/api/v1/promotions", tag = "promotions", security(("session" = [])),
    request_body = PromotionInput, responses((status = 201, body = PromotionRecord)))]
async fn create(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(input): ApiJson<PromotionInput>,
) -> Result<(StatusCode, Json<PromotionRecord>), AppError> {
    let promotion = input.into_promotion(PromotionId(0)).map_err(AppError::Validation)?;
    let actor = me.actor();
    let mut created = state.db(move |s| crate::admin::add_promotion(s, &actor, promotion)).await?;
    restatus(&state, &mut created).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

fn promotion_id(id: i64) -> Result<PromotionId, AppError> {
    u64::try_from(id).map(PromotionId).map_err(|_| AppError::NotFound(format!("promotion {id}")))
}

/// The status on the chain's day (the store's is by HQ's own zone).
async fn restatus(state: &AppState, r: &mut PromotionRecord) -> Result<(), AppError> {
    let today = state.chain_day().await?.day;
    let withdrawn = r.status == PromotionStatus::Withdrawn;
    r.status = PromotionStatus::on(today, r.promotion.schedule.from, r.promotion.schedule.to, withdrawn);
    Ok(())
}

/// A promotion's newest revision.
#[utoipa::path(get, path = "/api/v1/promotions/{id}", tag = "promotions", security(("session" = [])),
    params(("id" = i64, Path, description = "Promotion id")), responses((status = 200, body = PromotionRecord)))]
async fn get_one(
    State(state): State<AppState>,
    _me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PromotionRecord>, AppError> {
    let id = promotion_id(id)?;
    let today = state.chain_day().await?.day;
    Ok(Json(state.db(move |s| s.promotion(id, today)).await?))
}

/// Publishes a new revision of a promotion at the next set version (HQ admin, marketing).
#[utoipa::path(put, path = "/api/v1/promotions/{id}", tag = "promotions", security(("session" = [])),
    params(("id" = i64, Path, description = "Promotion id")), request_body = PromotionInput,
    responses((status = 200, body = PromotionRecord)))]
async fn update(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<PromotionInput>,
) -> Result<Json<PromotionRecord>, AppError> {
    let id = promotion_id(id)?;
    let promotion = input.into_promotion(id).map_err(AppError::Validation)?;
    let actor = me.actor();
    let mut updated = state.db(move |s| crate::admin::update_promotion(s, &actor, promotion)).await?;
    restatus(&state, &mut updated).await?;
    Ok(Json(updated))
}

/// Takes a promotion out of the set from the next version on; tills stop applying it when they
/// pull (HQ admin, marketing).
#[utoipa::path(post, path = "/api/v1/promotions/{id}/withdraw", tag = "promotions", security(("session" = [])),
    params(("id" = i64, Path, description = "Promotion id")), responses((status = 200, body = PromotionRecord)))]
async fn withdraw(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PromotionRecord>, AppError> {
    let id = promotion_id(id)?;
    let actor = me.actor();
    let mut r = state.db(move |s| s.withdraw_promotion(&actor, id)).await?;
    restatus(&state, &mut r).await?;
    Ok(Json(r))
}

/// The whole set as it stood at a version (default the newest): what a till priced with.
#[utoipa::path(get, path = "/api/v1/promotions/set", tag = "promotions", security(("session" = [])),
    params(SetQuery),
    responses((status = 200, description = "A `shared::promotions::PromotionSet`", body = Object)))]
async fn set(
    State(state): State<AppState>,
    _me: CurrentUser,
    ApiQuery(q): ApiQuery<SetQuery>,
) -> Result<Json<PromotionSet>, AppError> {
    Ok(Json(
        state
            .db(move |s| match q.version {
                Some(v) => s.promotion_set_at(v),
                None => s.current_promotion_set(),
            })
            .await?,
    ))
}

/// One line of a cart to preview.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct PreviewLine {
    /// A product's code.
    #[schema(pattern = "^[^\\s\\u0000-\\u001F\\u007F-\\u009F]{1,64}$")]
    pub code: String,
    /// Thousandths of a unit (2 pieces = 2000; 0.5 kg = 500).
    #[serde(deserialize_with = "super::int::de")]
    #[schema(minimum = 1, maximum = 1000000)]
    pub qty_milli: i64,
}

/// A cart priced with the current promotion set.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct PreviewInput {
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<PreviewLine>,
    /// A member buys (without a tier: no tier benefit).
    #[serde(default)]
    pub member: bool,
    /// The member's tier code (implies a member).
    #[serde(default)]
    #[schema(
        max_length = 32,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub tier: Option<String>,
    /// The branch (default: a branch manager's own, else the first branch).
    #[serde(default, deserialize_with = "super::int::opt")]
    pub branch_id: Option<i64>,
    /// Branch local time, `YYYY-MM-DDTHH:MM` (default now).
    #[serde(default)]
    #[schema(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$")]
    pub at: Option<String>,
}

/// A previewed line's product, as priced before promotions. Money in fen.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PreviewLineView {
    pub index: usize,
    pub code: String,
    pub name: String,
    pub qty_milli: i64,
    pub base_unit: i64,
    /// After the member benefit (the base unit for a non-member).
    pub member_unit: i64,
}

/// The engine's answer for the cart, and the lines' products.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PreviewOutput {
    /// A `shared::promotions::PromotionOutcome`: each line's allocations, each promotion's
    /// discount, `total_saving` (本单共优惠).
    #[schema(value_type = Object)]
    pub outcome: PromotionOutcome,
    pub lines: Vec<PreviewLineView>,
}

/// Prices a cart with the current promotion set, as a till would (any console role).
#[utoipa::path(post, path = "/api/v1/promotions/preview", tag = "promotions", security(("session" = [])),
    request_body = PreviewInput, responses((status = 200, body = PreviewOutput)))]
async fn preview(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(input): ApiJson<PreviewInput>,
) -> Result<Json<PreviewOutput>, AppError> {
    let own = (me.user.role == Role::BranchManager).then_some(me.user.branch_id).flatten();
    let now = state.now();
    Ok(Json(state.db(move |s| price_preview(s, &input, own, now)).await?))
}

/// The preview itself (the web console calls it too): each line priced as a till's steps 1–2
/// would (the branch's price, the tier's benefit), then the engine with the current set.
pub fn price_preview(
    s: &dyn Store,
    input: &PreviewInput,
    own_branch: Option<BranchId>,
    now: jiff::Timestamp,
) -> StoreResult<PreviewOutput> {
    price_preview_with(s, input, own_branch, now, None)
}

/// [`price_preview`] with a set of its own (`None`: the current one), for comparing promotions.
pub fn price_preview_with(
    s: &dyn Store,
    input: &PreviewInput,
    own_branch: Option<BranchId>,
    now: jiff::Timestamp,
    set: Option<PromotionSet>,
) -> StoreResult<PreviewOutput> {
    let invalid = StoreError::Invalid;
    if input.lines.is_empty() {
        return Err(invalid("lines: type at least one line".into()));
    }
    if input.lines.len() > 200 {
        return Err(invalid("lines: at most 200 lines".into()));
    }
    let branch = match (own_branch, input.branch_id) {
        (Some(own), _) => s.get_branch(own)?,
        (None, Some(b)) => {
            s.get_branch(BranchId(b)).map_err(|_| invalid(format!("branch_id: HQ has no branch {b}")))?
        }
        (None, None) => match s.list_branches()?.into_iter().next() {
            Some(b) => b,
            None => return Err(invalid("branch_id: HQ has no branch yet".into())),
        },
    };
    let at = match input.at.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => DateTime::strptime("%Y-%m-%dT%H:%M", a)
            .map_err(|_| invalid(format!("at: `{a}` is not a time like 2026-12-01T18:30")))?,
        None => branch.local(now).datetime(),
    };
    let policy = s.current_policy()?;
    let tier = match input.tier.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(code) => Some(
            policy
                .tiers
                .tiers()
                .iter()
                .find(|t| t.code == code)
                .ok_or_else(|| invalid(format!("tier: HQ has no member tier {code}")))?
                .clone(),
        ),
        None => None,
    };
    let prices = s.list_branch_prices(branch.id)?;
    let mut lines = Vec::with_capacity(input.lines.len());
    let mut views = Vec::with_capacity(input.lines.len());
    for (index, l) in input.lines.iter().enumerate() {
        if !(1..=1_000_000).contains(&l.qty_milli) {
            return Err(invalid(format!("lines[{index}].qty_milli: between 1 and 1000000")));
        }
        let p = s
            .product_by_code(l.code.trim())?
            .ok_or_else(|| invalid(format!("lines[{index}].code: HQ has no product {}", l.code)))?;
        let own = prices.iter().find(|bp| bp.product == p.id);
        let base = shared::pricing::base_price(p.retail_price, own.and_then(|o| o.price));
        let member_price = own.and_then(|o| o.member_price).or(p.member_price);
        let member_unit = match &tier {
            Some(t) if p.discount_eligible => shared::pricing::member_unit(base, member_price, &t.benefit()),
            _ => base,
        };
        lines.push(CartLine {
            index,
            product: p.id,
            category: p.category,
            brand: p.brand,
            base_unit: base,
            member_unit,
            qty: Qty(l.qty_milli),
            discount_eligible: p.discount_eligible,
            manual_override: false,
            weighed: p.weighed,
        });
        views.push(PreviewLineView {
            index,
            code: p.code,
            name: p.name,
            qty_milli: l.qty_milli,
            base_unit: base.0,
            member_unit: member_unit.0,
        });
    }
    let cart = PromotionCart {
        branch: branch.id,
        at,
        customer: Customer {
            member: input.member || tier.is_some(),
            tier: tier.map(|t| t.code),
            used_by_member: Default::default(),
        },
        lines,
        coupons: Vec::new(),
    };
    let set = match set {
        Some(set) => set,
        None => s.current_promotion_set()?,
    };
    let outcome = PromotionEngine::new(set).price(&cart).map_err(|e| invalid(e.to_string()))?;
    Ok(PreviewOutput { outcome, lines: views })
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(set))
        .routes(routes!(preview))
        .routes(routes!(get_one, update))
        .routes(routes!(withdraw))
        .routes(routes!(effect))
}
