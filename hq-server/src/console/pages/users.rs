//! Console users and their roles.

use crate::console::{C, ConsoleError, CsrfForm, Menu, Page, PageResult, from_code, layout};
use crate::http::AppState;
use crate::model::Role;
use axum::extract::{Path, State};
use maud::{Markup, html};
use serde::Deserialize;
use shared::ids::BranchId;

use super::*;

pub(super) async fn users(State(state): State<AppState>, page: Page) -> PageResult {
    users_page(&state, &page, None).await
}

pub(super) async fn users_page(state: &AppState, page: &Page, flash: Option<Markup>) -> PageResult {
    let all = state.db(|s| s.list_users()).await?;
    let names = branch_names(state, page).await?;
    let branch_of = |b: Option<BranchId>| b.and_then(|b| names.iter().find(|(id, _)| *id == b)).map(|(_, n)| n.clone());
    let roles = [
        ("admin", Role::Admin),
        ("finance", Role::Finance),
        ("marketing", Role::Marketing),
        ("branch_manager", Role::BranchManager),
    ];
    let body = html! {
        @if let Some(f) = flash { (f) }
        table #users {
            thead { tr { th { (page.t(C::Username)) } th { (page.t(C::Name)) } th { (page.t(C::Role)) } th { (page.t(C::Branch)) } th { (page.t(C::Status)) } th {} } }
            tbody { @for u in &all { tr {
                td { (u.username) } td { (u.display_name) } td { (format!("{:?}", u.role)) }
                td { (branch_of(u.branch_id).unwrap_or_default()) }
                td { (if u.active { page.t(C::Active) } else { page.t(C::Revoked) }) }
                td { @if u.id != page.me.user.id {
                    form.inline method="post" action={ "/console/users/" (u.id) } { (page.csrf_field())
                        button.danger[u.active] type="submit" { (if u.active { page.t(C::Revoke) } else { page.t(C::Active) }) } }
                }
                    form.inline method="post" action={ "/console/users/" (u.id) "/unlock" } { (page.csrf_field())
                        button type="submit" title=(page.t(C::LiftLockHint)) { (page.t(C::LiftLock)) } }
                }
            } } }
        }
        h2 { "+" }
        form.inline #add-user method="post" action="/console/users" {
            (page.csrf_field())
            label { (page.t(C::Username)) input name="username" required; }
            label { (page.t(C::Name)) input name="display_name" required; }
            label { (page.t(C::Role)) select name="role" { @for (v, _) in roles { option value=(v) { (v) } } } }
            label { (page.t(C::Branch)) select name="branch" { option value="" { "—" } @for (id, n) in &names { option value=(id.0) { (n) } } } }
            label { (page.t(C::Password)) input name="password" type="password" required minlength="12"; }
            button type="submit" { (page.t(C::Save)) }
        }
    };
    Ok(layout(page, Menu::Users, page.t(C::Users), body))
}

#[derive(Deserialize)]
pub(super) struct UserForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    username: String,
    display_name: String,
    role: String,
    #[serde(default)]
    branch: String,
    password: String,
}

pub(super) async fn add_user(
    State(state): State<AppState>,
    page: Page,
    axum::Form(f): axum::Form<UserForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let role: Role = from_code(&f.role).ok_or_else(|| page.invalid("unknown role"))?;
    let branch = f.branch.trim().parse::<i64>().ok().map(BranchId);
    let actor = page.me.actor();
    let outcome = state
        .db(move |s| crate::admin::add_user(s, &actor, f.username.trim(), &f.display_name, role, branch, &f.password))
        .await;
    let flash = match outcome {
        Ok(u) => html! { p.ok { (page.t(C::Saved)) ": " (u.username) } },
        Err(e) => html! { p.error #user-error { (e.to_string()) } },
    };
    users_page(&state, &page, Some(flash)).await
}

/// Lifts a user's sign-in locks (every failed attempt against the account is forgotten).
pub(super) async fn unlock_user(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CsrfForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    let actor = page.me.actor();
    let user = state.db(move |s| s.get_user(id)).await.map_err(|_| ConsoleError::NotFound(page.lang))?;
    let name = user.username.clone();
    let n = state.db(move |s| s.lift_login_lock(&actor, &name)).await?;
    let flash = html! { p.ok #unlocked { (page.t(C::LockLifted)) ": " (user.username) " (" (n) ")" } };
    users_page(&state, &page, Some(flash)).await
}

pub(super) async fn toggle_user(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CsrfForm>,
) -> PageResult {
    page.check_csrf(&f.csrf)?;
    if id == page.me.user.id {
        return Err(ConsoleError::Forbidden(page.lang));
    }
    let active = state
        .db(move |s| Ok(s.list_users()?.into_iter().find(|u| u.id == id).map(|u| u.active)))
        .await?
        .ok_or(ConsoleError::NotFound(page.lang))?;
    let actor = page.me.actor();
    let change = crate::admin::UserChange { active: Some(!active), ..Default::default() };
    state.db(move |s| crate::admin::update_user(s, &actor, id, change)).await?;
    users_page(&state, &page, Some(html! { p.ok { (page.t(C::Saved)) } })).await
}
