//! Member care through the API and the console, on both stores, on a fixed clock (2027-03-15,
//! 14:00 in Shanghai) with the log sender: the coming week's birthdays, a birthday campaign sent
//! to those who may be sent to and recorded for every member it reached (refusals never sent, the
//! month's cap counted), a campaign to nobody refused with nothing written, a win-back campaign to
//! the members who stopped buying, and each message sent once however many processes send.

use axum::http::StatusCode;
use serde_json::{Value, json};

use hq_server::model::OwnProfile;
use hq_server::sms::LogSender;
use hq_server::store::{CareStore as _, MemberPagesStore as _};

use crate::helpers::{TestApp, console_as_admin};

fn now() -> jiff::Timestamp {
    "2027-03-15T06:00:00Z".parse().expect("instant")
}

async fn app_with_sms(cap: u32) -> (TestApp, LogSender) {
    let sms = LogSender::default();
    let s = sms.clone();
    let app = crate::helpers::spawn_app_clocked(
        move |cfg| {
            cfg.sms = hq_server::sms::SmsConfig::Log(s);
            cfg.care_monthly_cap = cap;
        },
        hq_server::clock::Clock::manual(now()),
    )
    .await;
    (app, sms)
}

/// Enrols a member and returns their id.
async fn member(app: &TestApp, phone: Option<&str>, name: &str, birthday: &str, branch: Option<i64>) -> String {
    let r = app
        .post(
            "/api/v1/members",
            &app.admin,
            json!({"phone": phone, "name": name, "birthday": birthday, "home_branch": branch}),
        )
        .await;
    r.expect(StatusCode::OK).body["id"].as_str().expect("id").to_owned()
}

async fn refuse_marketing(app: &TestApp, id: &str) {
    let store = app.store.clone();
    let id = shared::ids::MemberId::parse(id).expect("id");
    tokio::task::spawn_blocking(move || {
        store.update_own_profile(id, OwnProfile { name: None, birthday: None, marketing_consent: Some(false) })
    })
    .await
    .expect("join")
    .expect("refused");
}

/// Waits until the campaign has nothing left to send.
async fn delivered(app: &TestApp, id: i64) -> Value {
    for _ in 0..200 {
        let r = app.get(&format!("/api/v1/care/campaigns/{id}"), &app.admin).await.expect(StatusCode::OK).body;
        let c = &r["campaign"]["counts"];
        if c["queued"] == 0 && c["sending"] == 0 {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("campaign {id} was not delivered");
}

fn birthday_campaign(name: &str) -> Value {
    json!({"kind": "birthday", "name": name, "template": "{name}，生日快乐！{branch}为您准备了礼物", "days_ahead": 7})
}

#[tokio::test]
async fn a_birthday_campaign_reaches_the_weeks_birthdays_respects_refusals_and_records_every_member() {
    let (app, sms) = app_with_sms(4).await;
    let b = app.branch("B001").await.0;
    // Birthdays on the 15th (today), the 21st (the week's last day), the 22nd (not this week).
    let today = member(&app, Some("13800001111"), "王芳", "1990-03-15", Some(b)).await;
    let last = member(&app, Some("13800002222"), "李雷", "1985-03-21", Some(b)).await;
    let _later = member(&app, Some("13800003333"), "韩梅", "1988-03-22", Some(b)).await;
    let refused = member(&app, Some("13800004444"), "赵四", "1992-03-16", Some(b)).await;
    let no_phone = member(&app, None, "钱五", "1991-03-17", None).await;
    refuse_marketing(&app, &refused).await;

    let week = app.get("/api/v1/care/birthdays", &app.admin).await.expect(StatusCode::OK).body;
    let week = week.as_array().expect("birthdays");
    let ids: Vec<&str> = week.iter().map(|m| m["member_id"].as_str().expect("id")).collect();
    assert_eq!(ids, vec![today.as_str(), refused.as_str(), no_phone.as_str(), last.as_str()], "{week:?}");
    assert_eq!(week[0]["birthday_on"], "2027-03-15");
    assert_eq!(week[1]["decision"], "refused");
    assert_eq!(week[2]["decision"], "no_phone");
    assert_eq!(week[0]["phone"], "138****1111", "phones are masked");
    // One branch's.
    let b_week =
        app.get(&format!("/api/v1/care/birthdays?branch_id={b}"), &app.admin).await.expect(StatusCode::OK).body;
    assert_eq!(b_week.as_array().expect("list").len(), 3);

    let before = app.audit_count().await;
    let r = app.post("/api/v1/care/campaigns", &app.admin, birthday_campaign("三月生日")).await;
    let id = r.expect(StatusCode::CREATED).body["id"].as_i64().expect("id");
    let detail = delivered(&app, id).await;
    assert_eq!(app.audit_count().await, before + 1);
    let counts = &detail["campaign"]["counts"];
    assert_eq!(
        (counts["sent"].as_u64(), counts["skipped"].as_u64(), counts["failed"].as_u64()),
        (Some(2), Some(2), Some(0))
    );
    // What was sent to whom: the two who may be sent to, each once, with their name and branch.
    let sent = sms.sent();
    assert_eq!(sent.len(), 2, "{sent:?}");
    let to_wang = sms.last_to("13800001111").expect("王芳's message");
    assert!(to_wang.text.starts_with("王芳，生日快乐！") && to_wang.text.ends_with("拒收请回复R"), "{}", to_wang.text);
    assert!(sms.last_to("13800004444").is_none(), "a member who refused marketing is never sent to");
    let log = detail["messages"].as_array().expect("messages");
    assert_eq!(log.len(), 4);
    let of = |id: &str| log.iter().find(|m| m["member_id"] == id).cloned().expect("in the log");
    assert_eq!(of(&refused)["status"], "skipped");
    assert_eq!(of(&refused)["decision"], "refused");
    assert_eq!(of(&today)["status"], "sent");
    assert_eq!(of(&today)["text"], to_wang.text.as_str());
}

#[tokio::test]
async fn the_monthly_cap_counts_every_campaign_and_a_campaign_to_nobody_is_refused_with_nothing_written() {
    let (app, sms) = app_with_sms(1).await;
    let b = app.branch("B001").await.0;
    member(&app, Some("13800001111"), "王芳", "1990-03-15", Some(b)).await;
    let r = app.post("/api/v1/care/campaigns", &app.admin, birthday_campaign("第一次")).await;
    let id = r.expect(StatusCode::CREATED).body["id"].as_i64().expect("id");
    delivered(&app, id).await;
    assert_eq!(sms.sent().len(), 1);

    // The member had this month's one message: a second campaign reaches nobody to send to.
    let before = app.audit_count().await;
    let r = app.post("/api/v1/care/campaigns", &app.admin, birthday_campaign("第二次")).await;
    let body = r.expect(StatusCode::UNPROCESSABLE_ENTITY).body;
    assert!(body["message"].as_str().expect("why").contains("this month"), "{body}");
    let preview =
        app.post("/api/v1/care/preview", &app.admin, birthday_campaign("预览")).await.expect(StatusCode::OK).body;
    assert_eq!(preview[0]["decision"], "capped");
    // A campaign that reaches no member at all.
    let r = app
        .post(
            "/api/v1/care/campaigns",
            &app.admin,
            json!({"kind": "win_back", "name": "挽回", "template": "{name}，好久不见"}),
        )
        .await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    // Bad fields.
    for (bad, why) in [
        (json!({"kind": "birthday", "name": "", "template": "x"}), "name"),
        (json!({"kind": "birthday", "name": "n", "template": "  "}), "empty"),
        (json!({"kind": "birthday", "name": "n", "template": "{phone}"}), "phone"),
        (json!({"kind": "birthday", "name": "n", "template": "x", "days_ahead": 40}), "31"),
        (json!({"kind": "holiday", "name": "n", "template": "x", "inactive_days": 30}), "win-back"),
        (json!({"kind": "holiday", "name": "n", "template": "长".repeat(200)}), "characters"),
    ] {
        let r =
            app.post("/api/v1/care/campaigns", &app.admin, bad.clone()).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body["message"].as_str().expect("why").contains(why), "{bad}: {}", r.body);
    }
    app.post(
        "/api/v1/care/campaigns",
        &app.admin,
        json!({"kind": "holiday", "name": "n", "template": "x", "branch_id": 999}),
    )
    .await
    .expect(StatusCode::NOT_FOUND);
    assert_eq!(app.audit_count().await, before, "nothing written");
    let list = app.get("/api/v1/care/campaigns", &app.admin).await.expect(StatusCode::OK).body;
    assert_eq!(list.as_array().expect("campaigns").len(), 1);
    assert_eq!(sms.sent().len(), 1, "nothing sent");
}

#[tokio::test]
async fn a_win_back_campaign_reaches_those_who_stopped_buying_and_each_message_goes_once() {
    let (app, sms) = app_with_sms(4).await;
    let b = app.branch("B001").await;
    let (till, token) = app.enrolled_till(b).await;
    let gone = member(&app, Some("13800005555"), "周六", "1980-01-01", Some(b.0)).await;
    let recent = member(&app, Some("13800006666"), "吴七", "1980-01-02", Some(b.0)).await;
    let _never = member(&app, Some("13800007777"), "郑八", "1980-01-03", Some(b.0)).await;
    // 周六 last bought 100 days ago, 吴七 10 days ago.
    for (seq, (who, days)) in [(&gone, 100), (&recent, 10)].into_iter().enumerate() {
        let mut sale = hq_server::fixtures::sale(&till, seq as u32 + 1, 5, 1);
        sale.business_day = jiff::civil::date(2027, 3, 15).checked_sub(jiff::Span::new().days(days)).expect("day");
        sale.completed_at = now().checked_sub(jiff::Span::new().hours(24 * days)).expect("when");
        sale.member = Some(shared::sale::SaleMember {
            member_id: Some(shared::ids::MemberId::parse(who).expect("id")),
            identifier: shared::member::MemberIdentifier::Phone(
                shared::member::Phone::parse("13800000000").expect("p"),
            ),
            tier: None,
            points_base: sale.points_eligible_net,
            points_earned: 0,
            policy_version: 1,
        });
        let at = sale.completed_at;
        let mut e = hq_server::fixtures::envelope(till.till, seq as u64 + 1, shared::sync::Event::SaleCompleted(sale));
        e.at = at;
        let r = app.push(&token, till.till, vec![e]).await.expect(StatusCode::OK);
        assert_eq!(r.body["results"][0]["outcome"]["status"], "accepted", "{}", r.body);
    }
    let r = app
        .post(
            "/api/v1/care/campaigns",
            &app.admin,
            json!({"kind": "win_back", "name": "九十天未购", "template": "{name}，好久不见，回来看看", "inactive_days": 90}),
        )
        .await;
    let id = r.expect(StatusCode::CREATED).body["id"].as_i64().expect("id");
    let detail = delivered(&app, id).await;
    let log = detail["messages"].as_array().expect("log");
    assert_eq!(log.len(), 1, "only the member who stopped buying: {log:?}");
    assert_eq!(log[0]["member_id"], gone.as_str());
    assert_eq!(sms.sent().len(), 1);

    // Senders racing (two HQ processes): each message is claimed once. A message claimed by a
    // process that then died is marked failed after ten minutes, never sent again.
    let r = app
        .post(
            "/api/v1/care/campaigns",
            &app.admin,
            json!({"kind": "holiday", "name": "春节", "template": "{name}，新春快乐"}),
        )
        .await;
    let id = r.expect(StatusCode::CREATED).body["id"].as_i64().expect("id");
    delivered(&app, id).await;
    assert_eq!(sms.sent().len(), 4, "three holiday greetings, one each: {:?}", sms.sent());
    let store = app.store.clone();
    let claimed =
        tokio::task::spawn_blocking(move || store.claim_care_message(now())).await.expect("join").expect("claim");
    assert!(claimed.is_none(), "nothing is left to claim");
}

#[tokio::test]
async fn the_console_shows_the_weeks_birthdays_sends_a_campaign_and_its_log() {
    let (app, sms) = app_with_sms(4).await;
    let b = app.branch("B001").await.0;
    member(&app, Some("13800001111"), "王芳", "1990-03-16", Some(b)).await;
    let (status, _, page) = console_as_admin(&app, "GET", "/console/care", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"birthdays\"") && page.contains("王芳"), "{page}");
    let at = page.find("name=\"_csrf\" value=\"").expect("a CSRF field") + 20;
    let csrf = page[at..at + 32].to_owned();
    let form = format!(
        "_csrf={csrf}&kind=birthday&name=%E7%94%9F%E6%97%A5&template=%7Bname%7D%EF%BC%8C%E7%94%9F%E6%97%A5%E5%BF%AB%E4%B9%90&branch_id=&days_ahead=7&inactive_days=90"
    );
    let (status, location, _) = console_as_admin(&app, "POST", "/console/care", Some(form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.expect("to the campaign");
    let id: i64 = location.rsplit('/').next().expect("id").parse().expect("number");
    delivered(&app, id).await;
    let (status, _, page) = console_as_admin(&app, "GET", &location, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"care-log\"") && page.contains("王芳，生日快乐"), "{page}");
    assert_eq!(sms.sent().len(), 1);
}
