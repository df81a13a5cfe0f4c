//! CSV uploads run as jobs, and a job's page.

use super::super::jobs::{JobKind, JobOutcome};
use crate::console::FormQuery;
use crate::console::{C, ConsoleError, Menu, Page, PageResult, layout, redirect};
use crate::http::AppState;
use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use maud::{Markup, PreEscaped, html};

/// The CSRF token of an upload form, in its address: checked before the body is touched at all
/// (a multipart parser reads ahead whatever the client has already sent).
#[derive(serde::Deserialize)]
pub(super) struct UploadToken {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

impl UploadToken {
    pub(super) fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// A CSV upload: its form's CSRF token checked before a byte of the body is read (the role was
/// checked before that by `authz`), then the file, within the route's size limit as it streams
/// in. A forged or unauthorised upload costs HQ nothing but its headers.
pub(super) async fn read_upload(
    page: &Page,
    token: &UploadToken,
    mut form: Multipart,
) -> Result<Vec<u8>, ConsoleError> {
    page.check_csrf(&token.csrf)?;
    let bad = |e: String| ConsoleError::App(crate::error::AppError::BadRequest(e), page.lang);
    while let Some(field) = form.next_field().await.map_err(|e| bad(e.to_string()))? {
        if field.name() == Some("file") {
            return Ok(field.bytes().await.map_err(|e| bad(e.to_string()))?.to_vec());
        }
    }
    Err(bad("no file".into()))
}

/// What an all-or-nothing CSV import did, for the page.
pub(super) fn import_flash(page: &Page, outcome: &JobOutcome) -> Markup {
    match outcome {
        Ok(Ok(summary)) => html! {
            p.ok #import-result { (page.t(C::ImportDone).replace("{0}", &summary.created.to_string()).replace("{1}", &summary.updated.to_string())) }
        },
        Ok(Err(rows)) => html! {
            div #import-result {
                p.error { (page.t(C::ImportBad)) }
                table #bad-rows { thead { tr { th { (page.t(C::Line)) } th { (page.t(C::Reason)) } } }
                    tbody { @for r in rows { tr { td { (r.line) } td { (r.reason) } } } } }
            }
        },
        Err(message) => html! { p.error #import-result { (message) } },
    }
}

/// A failed import as the user should read it: what was wrong with the file, or, for a failure
/// of HQ itself, that it failed (the details go to the log, as for the API).
pub(super) fn import_failure(e: crate::import::CsvError) -> String {
    match e {
        crate::import::CsvError::Store(crate::store::StoreError::Internal(detail)) => {
            tracing::error!(%detail, "console import failed");
            "the import failed on the server; nothing was imported".into()
        }
        other => format!("{other}; nothing was imported"),
    }
}

/// The largest CSV file the console takes (a catalog of about two million products); the API's
/// other requests keep the configured limit.
pub(super) const IMPORT_BYTES: usize = 256 * 1024 * 1024;

/// Starts an import as a job and sends the user to its page.
pub(super) async fn start_import(
    state: &AppState,
    page: &Page,
    kind: JobKind,
    import: impl FnOnce(&dyn crate::store::Store, &indicatif::ProgressBar) -> Result<JobOutcome, crate::import::CsvError>
    + Send
    + 'static,
) -> Result<Response, ConsoleError> {
    let store = state.store.clone();
    let id = state
        .jobs
        .start(page.me.user.id, kind, move |progress| {
            import(&*store, progress).unwrap_or_else(|e| Err(import_failure(e)))
        })
        .await
        .map_err(|e| ConsoleError::App(e, page.lang))?;
    Ok(redirect(&format!("/console/jobs/{id}")))
}

pub(super) async fn import_catalog(
    State(state): State<AppState>,
    page: Page,
    FormQuery(token): FormQuery<UploadToken>,
    form: Multipart,
) -> Result<Response, ConsoleError> {
    let bytes = read_upload(&page, &token, form).await?;
    let actor = page.me.actor();
    start_import(&state, &page, JobKind::CatalogImport, move |s, progress| {
        Ok(Ok(crate::import::import_products(s, &actor, &bytes, progress)?))
    })
    .await
}

pub(super) async fn import_members(
    State(state): State<AppState>,
    page: Page,
    FormQuery(token): FormQuery<UploadToken>,
    form: Multipart,
) -> Result<Response, ConsoleError> {
    let bytes = read_upload(&page, &token, form).await?;
    let actor = page.me.actor();
    start_import(&state, &page, JobKind::MemberImport, move |s, progress| {
        Ok(Ok(crate::member_import::import_members(s, &actor, &bytes, progress)?))
    })
    .await
}

/// A job's page: its progress while it runs (the page reloads itself), then what it did.
pub(super) async fn job(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    let view = state
        .jobs
        .view(&id, page.me.user.id)
        .await
        .map_err(|e| ConsoleError::App(e, page.lang))?
        .ok_or(ConsoleError::NotFound(page.lang))?;
    let (menu, title, back) = match view.kind {
        JobKind::CatalogImport => (Menu::Catalog, page.t(C::Catalog), "/console/catalog"),
        JobKind::MemberImport => (Menu::Members, page.t(C::Members), "/console/members"),
        JobKind::ExpenseImport => (Menu::Finance, page.t(C::Expenses), "/console/expenses"),
    };
    let phase = match view.phase.as_str() {
        "checking" => page.t(C::Checking),
        "importing" => page.t(C::Importing),
        _ => page.t(C::Starting),
    };
    let body = html! {
        @match &view.outcome {
            None => {
                p #job-phase { (phase) " " @if let Some(n) = view.steps { (view.done) " / " (n) } }
                @if let Some(n) = view.steps { progress #job-progress value=(view.done) max=(n) {} } @else { progress #job-progress {} }
                script { (PreEscaped("setTimeout(function () { location.reload(); }, 700);")) }
            }
            Some(outcome) => {
                (import_flash(&page, outcome))
                p { a #back href=(back) { (page.t(C::Back)) } }
            }
        }
    };
    Ok(layout(&page, menu, &format!("{title} · {}", page.t(C::Import)), body))
}
