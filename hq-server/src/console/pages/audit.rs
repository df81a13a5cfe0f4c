//! The audit log, searchable.

use crate::console::FormQuery;
use crate::console::{C, Menu, Page, PageResult, layout};
use crate::http::AppState;
use axum::extract::State;
use maud::html;

use super::*;

pub(super) async fn audit(State(state): State<AppState>, page: Page, FormQuery(q): FormQuery<Search>) -> PageResult {
    let query = q.q.unwrap_or_default();
    let all = state.db(|s| s.list_audit(0, 100_000)).await?;
    let needle = query.trim().to_lowercase();
    let shown: Vec<_> = all
        .iter()
        .rev()
        .filter(|a| {
            needle.is_empty()
                || format!("{} {} {} {}", a.actor, a.action, a.entity, a.from).to_lowercase().contains(&needle)
        })
        .take(200)
        .collect();
    let body = html! {
        form.inline method="get" { label { (page.t(C::Search)) input name="q" value=(query); } button type="submit" { (page.t(C::Search)) } }
        p.muted #time-zone { (page.t(C::TimesIn)) " " (crate::calendar::HQ_TIME_ZONE) }
        table #audit { thead { tr { th { (page.t(C::Time)) } th { (page.t(C::Who)) } th { (page.t(C::Action)) } th { (page.t(C::Entity)) } } }
            tbody { @for a in &shown { tr { td { (hq_time(a.at, "%Y-%m-%d %H:%M:%S")) } td { (a.actor) " @" (a.from) } td { (a.action) } td { (a.entity) } } } } }
    };
    Ok(layout(&page, Menu::Audit, page.t(C::Audit), body))
}
