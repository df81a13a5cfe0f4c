//! The member registry for console users: search, profile with balances, lots and ledger,
//! enrolment, edits, cards (lost / replaced / blocked), manual adjustments, CSV in and out, and
//! the daily job. Members are chain-wide: every role may read them; writes by role below.

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use shared::catalog::MemberCode;
use shared::ids::{BranchId, MemberId};
use shared::member::{CardUid, MemberStatus, Phone};
use shared::money::Money;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, CurrentUser, ErrorBody};
use crate::error::{ApiBytes, ApiJson, ApiPath, ApiQuery, AppError};
use crate::model::{
    Adjustment, CardKind, CardStatus, DailyRun, LedgerRow, LotRow, MemberPatch, MemberRecord, NewMember,
};

fn member_id(s: &str) -> Result<MemberId, AppError> {
    MemberId::parse(s).map_err(|e| AppError::BadRequest(format!("member id: {e}")))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// A member code or phone number (or their start), or part of a name.
    #[param(
        min_length = 1,
        max_length = 50,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub q: String,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Members by code, phone or name (any console role).
#[utoipa::path(get, path = "/api/v1/members", tag = "members", security(("session" = [])), params(SearchQuery),
    responses((status = 200, body = Vec<MemberRecord>)))]
async fn search(
    State(state): State<AppState>,
    _me: CurrentUser,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<Vec<MemberRecord>>, AppError> {
    let limit = super::schema::page_limit(q.limit, 50, 200)?;
    if q.q.trim().is_empty() || q.q.chars().count() > 50 || q.q.chars().any(char::is_control) {
        return Err(AppError::BadRequest("q must be 1 to 50 printable characters".into()));
    }
    Ok(Json(state.db(move |s| s.search_members(&q.q, limit)).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct NewMemberInput {
    /// Digits; assigned by HQ when absent.
    #[schema(pattern = "^[0-9]{1,20}$")]
    pub code: Option<String>,
    /// An 11-digit mobile number starting with 1.
    #[schema(pattern = "^1[0-9]{10}$")]
    pub phone: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: String,
    /// `YYYY-MM-DD`.
    #[schema(value_type = Option<String>, pattern = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$")]
    pub birthday: Option<jiff::civil::Date>,
    /// A tier code of the policy in force (default: its entry tier).
    #[schema(min_length = 1, max_length = 20, pattern = "^[a-z0-9_]+$")]
    pub tier: Option<String>,
    #[serde(default, deserialize_with = "super::int::opt")]
    #[schema(minimum = 1)]
    pub home_branch: Option<i64>,
    /// A contactless card UID: 8 or 14 hex characters, or 10 digits.
    #[schema(pattern = "^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{14}|[0-9]{10})$")]
    pub uid: Option<String>,
}

fn parse_new(i: NewMemberInput) -> Result<NewMember, AppError> {
    let bad = |e: String| AppError::Validation(e);
    Ok(NewMember {
        id: None,
        code: i.code.as_deref().map(MemberCode::parse).transpose().map_err(|e| bad(format!("code: {e}")))?,
        phone: i.phone.as_deref().map(Phone::parse).transpose().map_err(|e| bad(e.to_string()))?,
        name: i.name,
        birthday: i.birthday,
        tier: i.tier,
        home_branch: i.home_branch.map(BranchId),
        uid: i.uid.as_deref().map(CardUid::parse).transpose().map_err(|e| bad(format!("uid: {e}")))?,
    })
}

/// Enrols a member (HQ admin, marketing).
#[utoipa::path(post, path = "/api/v1/members", tag = "members", security(("session" = [])), request_body = NewMemberInput,
    responses((status = 200, body = MemberRecord)))]
async fn create(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(input): ApiJson<NewMemberInput>,
) -> Result<Json<MemberRecord>, AppError> {
    if input.home_branch.is_some_and(|b| b < 1) {
        return Err(AppError::Validation("home_branch must be a branch id (1 or more)".into()));
    }
    let new = parse_new(input)?;
    let actor = me.actor();
    Ok(Json(state.db(move |s| s.create_member(&actor, new)).await?))
}

/// A member with their cards and balances.
#[utoipa::path(get, path = "/api/v1/members/{id}", tag = "members", security(("session" = [])),
    params(("id" = String, Path)), responses((status = 200, body = MemberRecord)))]
async fn get(
    State(state): State<AppState>,
    _me: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<MemberRecord>, AppError> {
    let id = member_id(&id)?;
    Ok(Json(state.db(move |s| s.get_member(id)).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct MemberPatchInput {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// A new mobile number, or an empty string to remove it.
    #[schema(pattern = "^(1[0-9]{10})?$")]
    pub phone: Option<String>,
    /// `YYYY-MM-DD`.
    #[schema(value_type = Option<String>, pattern = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$")]
    pub birthday: Option<jiff::civil::Date>,
    /// `active` or `blocked`.
    #[schema(pattern = "^(active|blocked)$")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "super::int::opt")]
    #[schema(minimum = 1)]
    pub home_branch: Option<i64>,
}

/// Changes a member (HQ admin, marketing).
#[utoipa::path(patch, path = "/api/v1/members/{id}", tag = "members", security(("session" = [])),
    params(("id" = String, Path)), request_body = MemberPatchInput, responses((status = 200, body = MemberRecord)))]
async fn update(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(p): ApiJson<MemberPatchInput>,
) -> Result<Json<MemberRecord>, AppError> {
    let id = member_id(&id)?;
    if p.home_branch.is_some_and(|b| b < 1) {
        return Err(AppError::Validation("home_branch must be a branch id (1 or more)".into()));
    }
    let patch = MemberPatch {
        name: p.name,
        phone: match p.phone.as_deref() {
            None => None,
            Some("") => Some(None),
            Some(v) => Some(Some(Phone::parse(v).map_err(|e| AppError::Validation(e.to_string()))?)),
        },
        birthday: p.birthday.map(Some),
        status: match p.status.as_deref() {
            None => None,
            Some("active") => Some(MemberStatus::Active),
            Some("blocked") => Some(MemberStatus::Blocked),
            Some(other) => return Err(AppError::Validation(format!("status `{other}` is not active or blocked"))),
        },
        home_branch: p.home_branch.map(|b| Some(BranchId(b))),
    };
    let actor = me.actor();
    Ok(Json(state.db(move |s| s.update_member(&actor, id, patch)).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// A member's ledger, newest first.
#[utoipa::path(get, path = "/api/v1/members/{id}/ledger", tag = "members", security(("session" = [])),
    params(("id" = String, Path), LedgerQuery), responses((status = 200, body = Vec<LedgerRow>)))]
async fn ledger(
    State(state): State<AppState>,
    _me: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> Result<Json<Vec<LedgerRow>>, AppError> {
    let id = member_id(&id)?;
    let limit = super::schema::page_limit(q.limit, 200, 1000)?;
    Ok(Json(state.db(move |s| s.ledger(id, limit)).await?))
}

/// A member's points lots with their expiry.
#[utoipa::path(get, path = "/api/v1/members/{id}/lots", tag = "members", security(("session" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Vec<LotRow>)))]
async fn lots(
    State(state): State<AppState>,
    _me: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<LotRow>>, AppError> {
    let id = member_id(&id)?;
    Ok(Json(state.db(move |s| s.lots(id)).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct AdjustmentInput {
    #[serde(default, deserialize_with = "super::int::de")]
    #[schema(minimum = -100000000, maximum = 100000000)]
    pub points: i64,
    /// Fen.
    #[serde(default, deserialize_with = "super::int::de")]
    #[schema(minimum = -1000000000, maximum = 1000000000)]
    pub principal: i64,
    /// Fen.
    #[serde(default, deserialize_with = "super::int::de")]
    #[schema(minimum = -1000000000, maximum = 1000000000)]
    pub bonus: i64,
    #[schema(min_length = 1, max_length = 200)]
    pub reason: String,
}

/// A manual adjustment of points and/or stored value, with a reason (HQ admin, finance, marketing).
#[utoipa::path(post, path = "/api/v1/members/{id}/adjustments", tag = "members", security(("session" = [])),
    params(("id" = String, Path)), request_body = AdjustmentInput, responses((status = 200, body = MemberRecord)))]
async fn adjust(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(a): ApiJson<AdjustmentInput>,
) -> Result<Json<MemberRecord>, AppError> {
    let id = member_id(&id)?;
    let adj = Adjustment { points: a.points, principal: Money(a.principal), bonus: Money(a.bonus), reason: a.reason };
    let actor = me.actor();
    Ok(Json(state.db(move |s| s.adjust(&actor, id, adj)).await??))
}

#[derive(Deserialize, ToSchema)]
pub struct CardInput {
    pub kind: CardKind,
    /// A member code (1–20 digits) or a card UID (8 or 14 hex characters, or 10 digits).
    #[schema(pattern = "^([0-9]{1,20}|[0-9A-Fa-f]{8}|[0-9A-Fa-f]{14})$")]
    pub value: String,
    /// When the new card replaces one: the old card's value (it is marked replaced).
    #[schema(pattern = "^([0-9]{1,20}|[0-9A-Fa-f]{8}|[0-9A-Fa-f]{14})$")]
    pub replaces: Option<String>,
}

/// Gives a member a card, optionally replacing a lost one (HQ admin, marketing, branch manager).
#[utoipa::path(post, path = "/api/v1/members/{id}/cards", tag = "members", security(("session" = [])),
    params(("id" = String, Path)), request_body = CardInput, responses((status = 200, body = MemberRecord)))]
async fn add_card(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(card): ApiJson<CardInput>,
) -> Result<Json<MemberRecord>, AppError> {
    let id = member_id(&id)?;
    let actor = me.actor();
    Ok(Json(
        state
            .db(move |s| {
                // The card it replaces must be one of this member's (checked before anything is
                // written: a refused request changes nothing); then the new card, then the old
                // one marked replaced.
                if let Some(old) = &card.replaces {
                    let member = s.get_member(id)?;
                    if !member.cards.iter().any(|c| c.kind == card.kind && c.value.eq_ignore_ascii_case(old.trim())) {
                        return Err(crate::store::StoreError::Invalid(format!(
                            "the card it replaces, {old}, is not one of this member's {} cards",
                            card.kind.code()
                        )));
                    }
                }
                let added = s.add_card(&actor, id, card.kind, &card.value)?;
                match &card.replaces {
                    Some(old) => s.set_card_status(&actor, card.kind, old.trim(), CardStatus::Replaced),
                    None => Ok(added),
                }
            })
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct CardStatusInput {
    pub status: CardStatus,
}

/// Reports a card lost, blocks it, or makes it active again (HQ admin, marketing, branch manager).
#[utoipa::path(put, path = "/api/v1/member-cards/{kind}/{value}", tag = "members", security(("session" = [])),
    params(("kind" = String, Path, description = "`code` or `uid`"), ("value" = String, Path)),
    request_body = CardStatusInput, responses((status = 200, body = MemberRecord)))]
async fn card_status(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath((kind, value)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<CardStatusInput>,
) -> Result<Json<MemberRecord>, AppError> {
    let kind = CardKind::parse(&kind).ok_or_else(|| AppError::BadRequest("card kind is code or uid".into()))?;
    let actor = me.actor();
    Ok(Json(state.db(move |s| s.set_card_status(&actor, kind, &value, input.status)).await?))
}

/// Every member as CSV, with balances (HQ admin, finance, marketing).
#[utoipa::path(get, path = "/api/v1/members/export", tag = "members", security(("session" = [])),
    responses((status = 200, content_type = "text/csv", body = String)))]
async fn export(State(state): State<AppState>, _me: CurrentUser) -> Result<impl IntoResponse, AppError> {
    let bytes = state
        .db(|s| {
            let mut out = Vec::new();
            crate::member_import::export_members(s, &mut out)
                .map_err(|e| crate::store::StoreError::Internal(e.to_string()))?;
            Ok(out)
        })
        .await?;
    Ok(([(CONTENT_TYPE, "text/csv; charset=utf-8")], bytes))
}

#[derive(Serialize, ToSchema)]
pub struct ImportReport {
    /// Whether the file was applied (all rows) or not (any bad row).
    pub applied: bool,
    pub created: u64,
    pub errors: Vec<RowErrorView>,
}

/// A refused import: an error body (`error`, `message`) with the rows that were wrong; nothing
/// was imported.
#[derive(Serialize, ToSchema)]
pub struct ImportRefused {
    /// `import_refused`.
    pub error: String,
    pub message: String,
    pub applied: bool,
    pub created: u64,
    pub errors: Vec<RowErrorView>,
}

#[derive(Serialize, ToSchema)]
pub struct RowErrorView {
    pub line: u64,
    pub reason: String,
}

/// Imports members from CSV (the body): every row is checked first; all or nothing (HQ admin, marketing).
#[utoipa::path(post, path = "/api/v1/members/import", tag = "members", security(("session" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 400, body = ErrorBody), (status = 415, body = ErrorBody),
               (status = 422, body = ImportRefused, description = "A row or the header is wrong: nothing imported")))]
async fn import(
    State(state): State<AppState>,
    me: CurrentUser,
    headers: axum::http::HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<axum::response::Response, AppError> {
    let csv = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/csv"));
    if !csv {
        return Err(AppError::UnsupportedMediaType);
    }
    if body.is_empty() {
        return Err(AppError::BadRequest("the CSV is empty: send a header line and the members".into()));
    }
    let actor = me.actor();
    let outcome = state
        .db(move |s| {
            crate::member_import::import_members(s, &actor, &body, &indicatif::ProgressBar::hidden()).map_err(|e| {
                match e {
                    crate::import::CsvError::Store(e) => e,
                    other => crate::store::StoreError::Invalid(other.to_string()),
                }
            })
        })
        .await?;
    Ok(import_answer(outcome, "imported"))
}

/// A CSV import's answer: what it created, or (422) every wrong line, with nothing `done`.
pub(crate) fn import_answer(
    outcome: Result<crate::store::ImportSummary, Vec<crate::import::RowError>>,
    done: &str,
) -> axum::response::Response {
    match outcome {
        Ok(summary) => Json(ImportReport { applied: true, created: summary.created, errors: vec![] }).into_response(),
        Err(rows) => (
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            Json(ImportRefused {
                error: "import_refused".into(),
                message: format!("{} line(s) of the file are wrong; nothing was {done}", rows.len()),
                applied: false,
                created: 0,
                errors: rows.into_iter().map(|r| RowErrorView { line: r.line, reason: r.reason }).collect(),
            }),
        )
            .into_response(),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DailyQuery {
    /// The date to run for (default: the chain's business day today).
    #[param(value_type = Option<String>, format = Date)]
    pub date: Option<jiff::civil::Date>,
}

/// Runs the daily job for a date: expire lots, re-evaluate tiers, expire forgotten holds. Once per
/// date; running it again reports what the first run did (HQ admin).
#[utoipa::path(post, path = "/api/v1/members/daily-job", tag = "members", security(("session" = [])), params(DailyQuery),
    responses((status = 200, body = DailyRun)))]
async fn daily(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<DailyQuery>,
) -> Result<Json<DailyRun>, AppError> {
    let now = state.now();
    let day = match q.date {
        Some(d) => d,
        None => state.chain_day().await?.day,
    };
    let actor = me.actor();
    Ok(Json(state.db(move |s| s.run_daily(&actor, day, now)).await?))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search, create))
        .routes(routes!(export))
        .routes(routes!(import))
        .routes(routes!(daily))
        .routes(routes!(get, update))
        .routes(routes!(ledger))
        .routes(routes!(lots))
        .routes(routes!(adjust))
        .routes(routes!(add_card))
        .routes(routes!(card_status))
}
