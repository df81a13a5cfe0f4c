//! Reconciliation (对账), HQ finance's: a day's statements of each provider against HQ's records,
//! per branch, with every difference named; the upload of a statement (read whole, all or
//! nothing, the refusal kept); the files refused.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use jiff::civil::Date;
use maud::{Markup, html};
use serde::Deserialize;
use shared::payment_code::Provider;

use super::imports::UploadToken;
use crate::console::FormQuery;
use crate::console::{C, ConsoleError, Menu, Page, PageResult, layout, yuan};
use crate::http::AppState;
use crate::reconciliation::{DayReport, DifferenceRow, PROVIDERS, provider_code, provider_of};

use super::*;

#[derive(Deserialize, Default)]
pub(super) struct DayQuery {
    #[serde(default)]
    day: String,
}

fn yesterday(state: &AppState) -> Date {
    crate::calendar::days_before(crate::calendar::hq_day(state.store.now()), 1)
}

pub(super) async fn reconciliation(
    State(state): State<AppState>,
    page: Page,
    FormQuery(q): FormQuery<DayQuery>,
) -> PageResult {
    let day = match q.day.trim() {
        "" => yesterday(&state),
        text => text.parse().map_err(|_| page.invalid(format!("`{text}` is not a day like 2026-11-30")))?,
    };
    reconciliation_page(&state, &page, day, None).await
}

fn provider_name(page: &Page, p: Provider) -> &'static str {
    if page.lang == shared::lang::Lang::ZhCn { p.name_zh() } else { p.name() }
}

async fn reconciliation_page(
    state: &AppState,
    page: &Page,
    day: Date,
    flash: Option<(StatusCode, Markup)>,
) -> PageResult {
    let names = branch_names(state, page).await?;
    let (reports, rejected) = state
        .db(move |s| {
            let reports = PROVIDERS
                .into_iter()
                .map(|p| crate::reconciliation::day_report(s, p, day))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((reports, s.statement_rejections(10)?))
        })
        .await?;
    let branch = |id: Option<i64>| match id {
        Some(id) => names.iter().find(|(b, _)| b.0 == id).map_or_else(|| id.to_string(), |(_, n)| n.clone()),
        None => page.t(C::Unattributed).to_owned(),
    };
    let (status, flash) = flash.map_or((StatusCode::OK, None), |(s, m)| (s, Some(m)));
    let body = html! {
        @if let Some(f) = flash { (f) }
        p.muted { (page.t(C::ReconcileHint)) }
        form.inline #day-form method="get" action="/console/reconciliation" {
            label { (page.t(C::StatementDay)) input #day type="date" name="day" value=(day); }
            button type="submit" { (page.t(C::Show)) }
        }
        @for (p, r) in PROVIDERS.into_iter().zip(&reports) {
            section.provider data-provider=(provider_code(p)) {
                h2 { (provider_name(page, p)) " · " (day) }
                (provider_day(page, r, &branch))
            }
        }
        h2 { (page.t(C::ImportStatement)) }
        form.inline #statement-import method="post" action={ "/console/reconciliation/import?_csrf=" (page.csrf) }
            enctype="multipart/form-data" {
            label { (page.t(C::PayProvider)) select #statement-provider name="provider" {
                @for p in PROVIDERS { option value=(provider_code(p)) { (provider_name(page, p)) } } } }
            label { (page.t(C::StatementDay)) input #statement-day type="date" name="day" value=(day) required; }
            label { (page.t(C::StatementFile)) input #statement-file type="file" name="file" accept=".csv,.txt,text/csv" required; }
            button #import-statement type="submit" { (page.t(C::ImportStatement)) }
        }
        p.muted { (page.t(C::StatementHint)) }
        @if !rejected.is_empty() {
            h2 { (page.t(C::RejectedStatements)) }
            table #rejected-statements {
                thead { tr { th { (page.t(C::Time)) } th { (page.t(C::PayProvider)) } th { (page.t(C::StatementDay)) }
                    th { (page.t(C::StatementFile)) } th { (page.t(C::Reason)) } th { (page.t(C::ImportedBy)) } } }
                tbody { @for r in &rejected { tr {
                    td { (hq_time(r.at, "%Y-%m-%d %H:%M")) } td { (r.provider) } td { (r.day) }
                    td { (r.file_name) } td { (r.reason) } td { (r.by) }
                } } }
            }
        }
    };
    let mut r = layout(page, Menu::Finance, page.t(C::Reconciliation), body);
    *r.status_mut() = status;
    Ok(r)
}

/// One provider's day: the statement, the totals, each branch's, the differences.
fn provider_day(page: &Page, r: &DayReport, branch: &dyn Fn(Option<i64>) -> String) -> Markup {
    let diff = |ours: i64, theirs: i64| if ours == theirs { String::new() } else { yuan(ours - theirs) };
    html! {
        @match &r.statement {
            Some(s) => p.statement {
                (page.t(C::StatementOf)) ": " (s.file_name) " · " (s.lines) " " (page.t(C::StatementRows))
                " · " (page.t(C::ImportedBy)) " " (s.imported_by) " " (hq_time(s.imported_at, "%Y-%m-%d %H:%M"))
            },
            None => p.muted.no-statement { (page.t(C::NoStatement)) },
        }
        table.totals {
            thead { tr { th {} th.n { (page.t(C::ProviderKept)) } th.n { (page.t(C::OursClaimed)) }
                th.n { (page.t(C::ProviderRefunded)) } th.n { (page.t(C::OursRefunded)) } th.n { (page.t(C::Differences)) } } }
            tbody {
                @for b in &r.branches {
                    tr data-branch=(b.branch_id.map(|i| i.to_string()).unwrap_or_default()) {
                        td { (branch(b.branch_id)) }
                        td.n { (yuan(b.provider_paid)) } td.n { (yuan(b.ours_paid)) }
                        td.n { (yuan(b.provider_refunded)) } td.n { (yuan(b.ours_refunded)) }
                        td.n.differences { (b.differences) }
                    }
                }
            }
            tfoot { tr {
                td { (page.t(C::Totals)) }
                td.n.provider-paid { (yuan(r.provider_paid)) } td.n.ours-paid { (yuan(r.ours_paid)) }
                td.n { (yuan(r.provider_refunded)) } td.n { (yuan(r.ours_refunded)) }
                td.n.difference-count { (r.differences.len()) }
            } }
        }
        @if r.statement.is_some() {
            p {
                (page.t(C::MatchedPayments)) " " (r.matched_payments) " · " (page.t(C::MatchedRefunds)) " " (r.matched_refunds)
                @let gap = diff(r.ours_paid, r.provider_paid);
                @if !gap.is_empty() { " · " (page.t(C::OursClaimed)) " − " (page.t(C::ProviderKept)) " = " (gap) }
            }
            @if r.differences.is_empty() {
                p.ok.no-differences { (page.t(C::NoDifferences)) }
            } @else {
                table.differences {
                    thead { tr {
                        th { (page.t(C::Kind)) } th {} th { (page.t(C::Branch)) } th { (page.t(C::OrderNo)) }
                        th { (page.t(C::RefundNo)) } th { (page.t(C::Receipt)) } th.n { (page.t(C::OursClaimed)) }
                        th.n { (page.t(C::ProviderKept)) } th { (page.t(C::StatementRows)) }
                    } }
                    tbody { @for d in &r.differences { (difference(page, d, branch)) } }
                }
            }
        }
    }
}

fn difference(page: &Page, d: &DifferenceRow, branch: &dyn Fn(Option<i64>) -> String) -> Markup {
    let kind = match d.kind.as_str() {
        "missing_at_hq" => page.t(C::DiffMissingAtHq),
        "missing_at_provider" => page.t(C::DiffMissingAtProvider),
        _ => page.t(C::DiffAmount),
    };
    let of = if d.of == "refund" { page.t(C::OfRefund) } else { page.t(C::OfPayment) };
    let money = |v: Option<i64>| v.map(yuan).unwrap_or_else(|| "—".into());
    let rows: Vec<String> = d.rows.iter().map(usize::to_string).collect();
    html! {
        tr.difference data-kind=(d.kind) data-order=(d.out_trade_no) {
            td { (kind) } td { (of) } td { (branch(d.branch_id)) } td { (d.out_trade_no) }
            td { (d.out_refund_no.as_deref().unwrap_or("")) }
            td { @match (&d.receipt_no, d.branch_id) {
                (Some(r), Some(b)) => a href={ "/console/sales/" (b) "/" (r) } { (r) },
                (Some(r), None) => (r),
                _ => {},
            } }
            td.n { (money(d.ours)) } td.n { (money(d.provider)) } td { (rows.join(", ")) }
        }
    }
}

/// The upload's fields.
struct Upload {
    provider: String,
    day: String,
    file_name: String,
    bytes: Vec<u8>,
}

/// Reads the upload after its CSRF token (in the address) is checked, before a byte of the body.
async fn read_statement_upload(page: &Page, token: &UploadToken, mut form: Multipart) -> Result<Upload, ConsoleError> {
    page.check_csrf(token.csrf())?;
    let bad = |e: String| ConsoleError::App(crate::error::AppError::BadRequest(e), page.lang);
    let mut up = Upload { provider: String::new(), day: String::new(), file_name: String::new(), bytes: Vec::new() };
    while let Some(field) = form.next_field().await.map_err(|e| bad(e.to_string()))? {
        match field.name() {
            Some("provider") => up.provider = field.text().await.map_err(|e| bad(e.to_string()))?,
            Some("day") => up.day = field.text().await.map_err(|e| bad(e.to_string()))?,
            Some("file") => {
                up.file_name = field.file_name().unwrap_or("").to_owned();
                up.bytes = field.bytes().await.map_err(|e| bad(e.to_string()))?.to_vec();
            }
            _ => {}
        }
    }
    Ok(up)
}

pub(super) async fn import_statement(
    State(state): State<AppState>,
    page: Page,
    FormQuery(token): FormQuery<UploadToken>,
    form: Multipart,
) -> PageResult {
    let up = read_statement_upload(&page, &token, form).await?;
    let today = crate::calendar::hq_day(state.store.now());
    let checked = provider_of(&up.provider).and_then(|p| {
        let day: Date =
            up.day.trim().parse().map_err(|_| format!("`{}` is not a day like 2026-11-30", up.day.trim()))?;
        if day > today {
            return Err(format!("{day} is after today ({today})"));
        }
        if up.bytes.is_empty() {
            return Err("choose the provider's statement file".into());
        }
        Ok((p, day))
    });
    let (provider, day) = match checked {
        Ok(pd) => pd,
        Err(why) => {
            let flash = html! { p.error #statement-error { (why) } };
            return reconciliation_page(
                &state,
                &page,
                yesterday(&state),
                Some((StatusCode::UNPROCESSABLE_ENTITY, flash)),
            )
            .await;
        }
    };
    let actor = page.me.actor();
    let Upload { file_name, bytes, .. } = up;
    let outcome = state
        .db(move |s| crate::reconciliation::import_statement(s, &actor, provider, day, &file_name, &bytes))
        .await?;
    let flash = match outcome {
        Ok(info) => (
            StatusCode::OK,
            html! { p.ok #statement-imported { (page.t(C::StatementImported)) ": " (info.file_name) " · " (info.lines) " " (page.t(C::StatementRows)) } },
        ),
        Err(why) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            html! { p.error #statement-error { (why.to_string()) "; nothing was imported" } },
        ),
    };
    reconciliation_page(&state, &page, day, Some(flash)).await
}
