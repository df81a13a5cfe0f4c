//! The members' daily job on HQ's injected clock (lots, holds, tiers), and `check_balances`
//! shown to fire.

use axum::http::{Method, StatusCode};
use hq_server::store::MemberStore as _;
use jiff::Timestamp;
use serde_json::{Value, json};
use shared::ids::{HoldId, MemberId, SaleId};

use crate::helpers::{ADMIN_PASSWORD, Req, TestApp, spawn_app, spawn_app_at};
use crate::members::{PHONE, member_with, till_post};

async fn daily_job(app: &TestApp, day: &str) -> Value {
    let r = app
        .send(Req {
            method: Method::POST,
            uri: format!("/api/v1/members/daily-job?date={day}"),
            cookie: Some(&app.admin),
            till_token: None,
            body: None,
            from: None,
        })
        .await;
    r.expect(StatusCode::OK).body
}

fn daily_figures(run: &Value) -> (bool, i64, i64, i64, i64) {
    let n = |k: &str| run[k].as_i64().unwrap_or_else(|| panic!("{k} in {run}"));
    (
        run["already_ran"].as_bool().expect("already_ran"),
        n("lots_expired"),
        n("points_expired"),
        n("tier_changes"),
        n("holds_expired"),
    )
}

/// Lots expire after their last day, a gold member with no spend in the trailing year is moved
/// down once, a hold nobody captured or released expires after its 15 minutes; each run once per
/// date. Every date is a worked figure from HQ's injected clock, which starts on 2026-03-10 at
/// 10:00 Shanghai time.
#[tokio::test]
async fn the_daily_job_expires_lots_and_holds_and_downgrades_once() {
    let t0: Timestamp = "2026-03-10T02:00:00Z".parse().expect("instant");
    let (mut app, clock) = spawn_app_at(t0).await;
    let branch = app.branch("B001").await;
    let (_, token) = app.enrolled_till(branch).await;
    let r = app
        .post("/api/v1/members", &app.admin, json!({"phone": PHONE, "name": "陈小姐", "tier": "gold"}))
        .await
        .expect(StatusCode::OK);
    let member = MemberId::parse(r.body["id"].as_str().expect("id")).expect("uuid");
    app.post(
        &format!("/api/v1/members/{member}/adjustments"),
        &app.admin,
        json!({"points": 300, "principal": 0, "bonus": 0, "reason": "opening balance"}),
    )
    .await
    .expect(StatusCode::OK);
    // Rolling 12 months (the initial policy): earned in March 2026, usable to the end of March 2027.
    let lots = app.get(&format!("/api/v1/members/{member}/lots"), &app.admin).await.expect(StatusCode::OK).body;
    assert_eq!(lots[0]["expires_on"], "2027-03-31", "{lots}");
    // A till holds 100 points at 10:00 and never comes back for them.
    let hold = HoldId::new();
    let body = json!({"hold": hold, "member": member, "sale": SaleId::new(), "amount": {"kind": "points", "points": 100, "value": 100}});
    till_post(&app, &token, "/api/v1/till/holds", body).await.expect(StatusCode::OK);

    // 10:14: the hold has a minute left; the gold member has spent nothing in a year: down once.
    clock.advance(jiff::SignedDuration::from_mins(14));
    assert_eq!(daily_figures(&daily_job(&app, "2026-03-10").await), (false, 0, 0, 1, 0));
    let m = app.store.get_member(member).expect("member");
    assert_eq!((m.tier.as_str(), m.points), ("regular", 300));
    let lookup =
        till_post(&app, &token, "/api/v1/till/members/lookup", json!({"by": {"by": "phone", "value": PHONE}})).await;
    assert_eq!(lookup.expect(StatusCode::OK).body["member"]["points"], 200, "100 still held");
    // The same date again reports the first run and changes nothing.
    assert_eq!(daily_figures(&daily_job(&app, "2026-03-10").await), (true, 0, 0, 1, 0));
    // 10:15, next day's run: the hold has expired (its 15 minutes are up); no second tier change.
    clock.advance(jiff::SignedDuration::from_mins(1));
    assert_eq!(daily_figures(&daily_job(&app, "2026-03-11").await), (false, 0, 0, 0, 1));
    let lookup =
        till_post(&app, &token, "/api/v1/till/members/lookup", json!({"by": {"by": "phone", "value": PHONE}})).await;
    assert_eq!(lookup.expect(StatusCode::OK).body["member"]["points"], 300, "the expired hold gives its points back");

    // 2027-03-31 is the lot's last day: still there. On 2027-04-01 it expires.
    clock.set("2027-03-31T02:00:00Z".parse().expect("instant"));
    app.admin = app.login("root", ADMIN_PASSWORD).await; // a year on, the session has expired
    assert_eq!(daily_figures(&daily_job(&app, "2027-03-31").await), (false, 0, 0, 0, 0));
    assert_eq!(app.store.get_member(member).expect("member").points, 300);
    clock.set("2027-04-01T02:00:00Z".parse().expect("instant"));
    app.admin = app.login("root", ADMIN_PASSWORD).await; // a year on, the session has expired
    assert_eq!(daily_figures(&daily_job(&app, "2027-04-01").await), (false, 1, 300, 0, 0));
    assert_eq!(daily_figures(&daily_job(&app, "2027-04-01").await), (true, 1, 300, 0, 0));
    let m = app.store.get_member(member).expect("member");
    assert_eq!((m.tier.as_str(), m.points), ("regular", 0));
    assert!(app.store.check_balances().expect("check").is_empty());
}

/// `check_balances` is what the other tests rely on to say the ledger and the balances agree:
/// it must report a balance edited behind the ledger's back, and a lot edited behind the balance's.
#[tokio::test]
async fn check_balances_reports_a_balance_that_disagrees_with_the_ledger() {
    let app = spawn_app().await;
    let (member, _) = member_with(&app, PHONE, 300).await;
    assert!(app.store.check_balances().expect("check").is_empty());
    let edit = |sql: &str| {
        app.store.raw(|c| Ok(c.execute(sql, [member.to_string()])?)).expect("edit");
    };
    edit("UPDATE members SET sv_bonus = sv_bonus + 1 WHERE id = ?1");
    let problems = app.store.check_balances().expect("check");
    assert_eq!(
        problems,
        vec![format!("member {member}: stored (300 points, 20000 principal, 2001 bonus) ≠ ledger (300, 20000, 2000)")]
    );
    edit("UPDATE members SET sv_bonus = sv_bonus - 1 WHERE id = ?1");
    edit("UPDATE points_lots SET remaining = remaining - 50 WHERE member_id = ?1");
    let problems = app.store.check_balances().expect("check");
    assert_eq!(problems, vec![format!("member {member}: lots 250 - deficit 0 ≠ balance 300")]);
}
