//! The console's GET forms as a browser sends them: every field, the blank ones as `name=`
//! ("all branches", a date left empty). A blank field is a field not given: the page shows its
//! default, where axum's own query reader refused `branch_id=` as not a number.

use axum::http::StatusCode;

use crate::helpers::{console_as_admin, spawn_app};

#[tokio::test]
async fn a_form_sent_with_blank_fields_shows_the_page_with_its_defaults() {
    let app = spawn_app().await;
    app.branch("B001").await;
    for uri in [
        "/console?from=&to=&branch=",
        "/console/finance?kind=sales_by_branch&from=&to=&branch=",
        "/console/analysis?from=&to=&branch_id=",
        "/console/analysis/cohorts?from=&to=&branch_id=",
        "/console/plan?from=&to=&metric=sales&branch_id=",
        "/console/care?branch_id=",
        "/console/complaints?state=&branch=&category=",
        "/console/members?q=",
    ] {
        let (status, _, page) = console_as_admin(&app, "GET", uri, None).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {page}");
    }
    // A field that is given and wrong is still refused, with the reason on the page.
    let (status, _, page) = console_as_admin(&app, "GET", "/console/analysis?branch_id=B1", None).await;
    assert!(status.is_client_error(), "{status}: {page}");
    assert!(page.contains("branch_id"), "{page}");
}
