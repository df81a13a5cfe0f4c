use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use shared::Money;
use shared::ids::TillId;
use shared::sync::{Event, PROTOCOL_VERSION, PushRequest};

use crate::helpers::{sale_event, spawn_app, spawn_app_at};

fn outcomes(r: &Value) -> Vec<String> {
    r["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|x| x["outcome"]["status"].as_str().expect("status").to_owned())
        .collect()
}

#[tokio::test]
async fn a_batch_is_applied_once_however_often_it_is_sent() {
    let app = spawn_app().await;
    let b = app.branch("B001").await;
    let (till, token) = app.enrolled_till(b).await;
    let batch: Vec<_> = (1..=5).map(|seq| sale_event(&till, seq)).collect();
    let r = app.push(&token, till.till, batch.clone()).await.expect(StatusCode::OK);
    assert_eq!(outcomes(&r.body), vec!["accepted"; 5]);
    assert!(r.body["gap"].is_null());
    assert!(r.body["received_at"].is_string());
    let r = app.push(&token, till.till, batch.clone()).await.expect(StatusCode::OK);
    assert_eq!(outcomes(&r.body), vec!["duplicate"; 5]);
    // Stored in the sales tables, once.
    let sales = app.get(&format!("/api/v1/sales?branch_id={}", b.0), &app.admin).await.expect(StatusCode::OK);
    let sales = sales.body.as_array().expect("sales").clone();
    assert_eq!(sales.len(), 5);
    assert!(sales.iter().all(|s| s["lines"] == 5 && (s["tenders"] == 1 || s["tenders"] == 2)));
    // One business day's, by the (branch, day) index; a malformed day is a clear 400.
    let day = sales[0]["business_day"].as_str().expect("day").to_owned();
    let of_day = |day: &str| format!("/api/v1/sales?branch_id={}&business_day={day}", b.0);
    let that_day = app.get(&of_day(&day), &app.admin).await.expect(StatusCode::OK);
    assert_eq!(that_day.body.as_array().expect("sales").len(), 5);
    let other_day = app.get(&of_day("2000-01-01"), &app.admin).await.expect(StatusCode::OK);
    assert_eq!(other_day.body.as_array().expect("sales").len(), 0);
    app.get(&of_day("27-11-2026"), &app.admin).await.expect(StatusCode::BAD_REQUEST);
    let status = app.get(&format!("/api/v1/tills/{}/sync", till.till.0), &app.admin).await.expect(StatusCode::OK);
    assert_eq!(status.body["next_seq"], 6);
    assert_eq!(status.body["events_accepted"], 5);
}

#[tokio::test]
async fn bad_events_are_rejected_with_a_reason_and_kept() {
    let app = spawn_app().await;
    let b = app.branch("B001").await;
    let (till, token) = app.enrolled_till(b).await;
    let (other, _) = app.enrolled_till(b).await;
    let good = sale_event(&till, 1);
    // A sale that does not add up.
    let mut bad = sale_event(&till, 2);
    if let Event::SaleCompleted(s) = &mut bad.event {
        s.totals.total += Money(1);
    }
    // An event naming another till.
    let mut foreign = sale_event(&other, 3);
    foreign.seq = 3;
    // The same sale id again under a new event id.
    let mut again = sale_event(&till, 4);
    if let (Event::SaleCompleted(a), Event::SaleCompleted(g)) = (&mut again.event, &good.event) {
        a.id = g.id;
    }
    // A good sale after them: a write refused in the batch (the sale already recorded, which on
    // PostgreSQL is only seen when its queued statements are sent) undoes that event alone.
    let after = sale_event(&till, 5);
    let r = app.push(&token, till.till, vec![good, bad, foreign, again, after]).await.expect(StatusCode::OK);
    assert_eq!(outcomes(&r.body), vec!["accepted", "rejected", "rejected", "rejected", "accepted"]);
    let reasons: Vec<&str> =
        r.body["results"].as_array().expect("results").iter().filter_map(|x| x["outcome"]["reason"].as_str()).collect();
    assert!(reasons[0].contains("does not add up"), "{reasons:?}");
    assert!(reasons[1].contains("names till"), "{reasons:?}");
    assert!(reasons[2].contains("already recorded"), "{reasons:?}");
    let rejected = app
        .get(&format!("/api/v1/tills/{}/events?rejected_only=true", till.till.0), &app.admin)
        .await
        .expect(StatusCode::OK);
    assert_eq!(rejected.body.as_array().expect("events").len(), 3);
    assert!(rejected.body[0]["reason"].is_string());
    // HQ staff read them in the console: the till's page lists each with its reason.
    let page = app.get(&format!("/console/tills/{}?rejected=1", till.till.0), &app.admin).await.expect(StatusCode::OK);
    for reason in &reasons {
        assert!(page.text.contains(&maud::html! { (reason) }.into_string()), "{reason} on the till's page");
    }
    assert!(page.text.contains("id=\"rejected\""), "the rejected count is shown");
    let branch = app.get(&format!("/console/branches/{}", b.0), &app.admin).await.expect(StatusCode::OK);
    assert!(branch.text.contains(&format!("/console/tills/{}?rejected=1", till.till.0)), "the branch links to them");
    let sales = app.get("/api/v1/sales", &app.admin).await.body;
    assert_eq!(sales.as_array().expect("sales").len(), 2);
    // The rejected duplicate left nothing of its own behind: two sales' lines and tenders, and
    // the branch's day counts two sales.
    let (lines, tenders, counted): (i64, i64, i64) = app
        .store
        .raw(|c| {
            Ok((
                c.query_row("SELECT COUNT(*) FROM sale_lines", [], |r| r.get(0))?,
                c.query_row("SELECT COUNT(DISTINCT sale_id) FROM sale_tenders", [], |r| r.get(0))?,
                c.query_row("SELECT COALESCE(SUM(sales), 0) FROM branch_days", [], |r| r.get(0))?,
            ))
        })
        .expect("counts");
    let per_sale = match &sale_event(&till, 9).event {
        Event::SaleCompleted(s) => s.lines.len() as i64,
        _ => unreachable!(),
    };
    assert_eq!((lines, tenders, counted), (2 * per_sale, 2, 2));
}

#[tokio::test]
async fn a_till_cannot_push_as_another_till() {
    let app = spawn_app().await;
    let b = app.branch("B001").await;
    let (mine, token) = app.enrolled_till(b).await;
    let (theirs, _) = app.enrolled_till(b).await;
    let r = app.push(&token, theirs.till, vec![sale_event(&theirs, 1)]).await.expect(StatusCode::FORBIDDEN);
    assert!(r.body["message"].as_str().expect("message").contains("belongs to till"));
    let status = app.get(&format!("/api/v1/tills/{}/sync", theirs.till.0), &app.admin).await.body;
    assert_eq!(status["events_accepted"], 0);
    assert_eq!(status["events_rejected"], 0);
    // A wrong protocol version or a malformed event is refused whole.
    let mut req = serde_json::to_value(PushRequest {
        protocol: PROTOCOL_VERSION,
        till: mine.till,
        events: vec![],
        sent_at: None,
    })
    .expect("json");
    req["protocol"] = json!(99);
    assert_eq!(app.push_raw(&token, req).await.expect(StatusCode::BAD_REQUEST).error_code(), "protocol_version");
    let garbled = json!({"protocol": 1, "till": mine.till.0, "events": [{"id": "x", "till": 1, "seq": 1}]});
    app.push_raw(&token, garbled).await.expect(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn sequence_gaps_are_recorded_shown_and_closed() {
    let app = spawn_app().await;
    let b = app.branch("B001").await;
    let (till, token) = app.enrolled_till(b).await;
    let e: Vec<_> = (1..=5).map(|s| sale_event(&till, s)).collect();
    app.push(&token, till.till, vec![e[0].clone(), e[1].clone()]).await.expect(StatusCode::OK);
    let r = app.push(&token, till.till, vec![e[4].clone()]).await.expect(StatusCode::OK);
    assert_eq!(r.body["gap"], json!({"expected": 3, "received": 5}));
    let status = app.get(&format!("/api/v1/tills/{}/sync", till.till.0), &app.admin).await.body;
    assert_eq!(status["open_gaps"][0]["expected"], 3);
    assert_eq!(status["next_seq"], 6);
    // The missing events arrive late: the gap closes.
    let r = app.push(&token, till.till, vec![e[2].clone(), e[3].clone()]).await.expect(StatusCode::OK);
    assert_eq!(outcomes(&r.body), vec!["accepted", "accepted"]);
    assert!(r.body["gap"].is_null());
    let status = app.get(&format!("/api/v1/tills/{}/sync", till.till.0), &app.admin).await.body;
    assert_eq!(status["open_gaps"], json!([]));
    // A reused sequence number is rejected.
    let reuse = sale_event(&till, 2);
    let r = app.push(&token, till.till, vec![reuse]).await.expect(StatusCode::OK);
    assert!(r.body["results"][0]["outcome"]["reason"].as_str().expect("reason").contains("already used"));
}

#[tokio::test]
async fn hq_time_is_recorded_and_a_skewed_clock_is_warned() {
    // HQ's clock stands still (injected), so the skew is exactly the 10 minutes the till is ahead.
    let t0 = Timestamp::now();
    let (app, _clock) = spawn_app_at(t0).await;
    let b = app.branch("B001").await;
    let (till, token) = app.enrolled_till(b).await;
    let ahead = t0.checked_add(SignedDuration::from_mins(10)).expect("time");
    let req = PushRequest {
        protocol: PROTOCOL_VERSION,
        till: till.till,
        events: vec![sale_event(&till, 1)],
        sent_at: Some(ahead),
    };
    let r = app.push_raw(&token, serde_json::to_value(&req).expect("json")).await.expect(StatusCode::OK);
    let skew = r.body["clock_skew_seconds"].as_i64().expect("skew");
    assert_eq!(skew, 600);
    assert!(r.body["clock_warning"].as_str().expect("warning").contains("ahead"));
    let r = app.push(&token, till.till, vec![sale_event(&till, 2)]).await.expect(StatusCode::OK);
    assert!(r.body["clock_warning"].is_null());
    let status = app.get(&format!("/api/v1/tills/{}/sync", till.till.0), &app.admin).await.body;
    assert!(status["last_push_at"].is_string());
    let events = app.get(&format!("/api/v1/tills/{}/events", till.till.0), &app.admin).await.body;
    assert!(events[0]["received_at"].is_string() && events[0]["till_at"].is_string());
}

#[tokio::test]
async fn a_till_pulls_what_its_branch_may_see_in_pages() {
    let app = spawn_app().await;
    let b1 = app.branch("B001").await;
    let b2 = app.branch("B002").await;
    let p = app.product("P1", "6901234567892").await;
    for (b, login) in [(b1, "1001"), (b2, "2001")] {
        app.post(
            &format!("/api/v1/branches/{}/staff", b.0),
            &app.admin,
            json!({"login": login, "name": "收银员", "role": "cashier", "pin": "1234"}),
        )
        .await
        .expect(StatusCode::CREATED);
        app.put(&format!("/api/v1/branches/{}/prices/{p}", b.0), &app.admin, json!({"price": 300 + b.0}))
            .await
            .expect(StatusCode::OK);
    }
    let (_, token) = app.enrolled_till(b1).await;
    let changes = app.pull_all(&token).await;
    let kinds: Vec<&str> = changes.iter().filter_map(|c| c["change"]["type"].as_str()).collect();
    for k in ["policy", "branch", "staff", "category", "product", "branch_price"] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    let seqs: Vec<u64> = changes.iter().filter_map(|c| c["seq"].as_u64()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "seqs rise: {seqs:?}");
    for c in &changes {
        let data = &c["change"]["data"];
        match c["change"]["type"].as_str() {
            Some("branch") => assert_eq!(data["code"], "B001"),
            Some("staff") => {
                assert_eq!(data["login"], "1001");
                assert!(data["pin_hash"].as_str().expect("hash").starts_with("$argon2id$"));
                assert!(!data.to_string().contains("\"1234\""));
            }
            Some("branch_price") => assert_eq!(data["price"], 301),
            _ => {}
        }
    }
    // Nothing new: an empty page at the same or a later cursor.
    let last = app.pull(&token, 0, 1000).await.body["next_cursor"].as_u64().expect("cursor");
    let r = app.pull(&token, last, 100).await.expect(StatusCode::OK);
    assert_eq!(r.body["changes"], json!([]));
    assert_eq!(r.body["has_more"], false);
    // A change after that shows up, alone.
    app.post(&format!("/api/v1/products/{p}/delist"), &app.admin, json!({})).await.expect(StatusCode::OK);
    let r = app.pull(&token, last, 100).await.expect(StatusCode::OK);
    let changes = r.body["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["change"]["data"]["status"], "delisted");
    // The page parses as the shared PullResponse.
    let _: shared::sync::PullResponse = serde_json::from_value(r.body).expect("a PullResponse");
    // Another branch's changes never reach this till.
    app.put(&format!("/api/v1/branches/{}/prices/{p}", b2.0), &app.admin, json!({"price": 999}))
        .await
        .expect(StatusCode::OK);
    let r = app.pull(&token, last, 100).await.expect(StatusCode::OK);
    assert_eq!(r.body["changes"].as_array().expect("changes").len(), 1);
}

#[tokio::test]
async fn shifts_and_other_events_are_stored() {
    use shared::ids::{ShiftId, StaffId};
    use shared::shift::{CashCount, Denomination, ShiftReport};
    use shared::sync::{ShiftClosed, ShiftOpened};
    let app = spawn_app().await;
    let b = app.branch("B001").await;
    let (till, token) = app.enrolled_till(b).await;
    let shift = ShiftId::new();
    let count = CashCount::new([(Denomination::Yuan100, 5)]);
    let now = Timestamp::now();
    let day = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let opened = Event::ShiftOpened(ShiftOpened {
        shift,
        cashier: StaffId(1),
        opened_at: now,
        business_day: day,
        float: Money(50_000),
        float_count: count.clone(),
    });
    let mut report = ShiftReport::new(Money(50_000));
    report.close(&count);
    let closed = Event::ShiftClosed(ShiftClosed {
        shift,
        cashier: StaffId(1),
        z_number: 1,
        closed_at: now,
        business_day: day,
        count: count.clone(),
        report,
    });
    let bad_float = Event::ShiftOpened(ShiftOpened {
        shift: ShiftId::new(),
        cashier: StaffId(1),
        opened_at: now,
        business_day: day,
        float: Money(1),
        float_count: count,
    });
    let e = |seq, ev| hq_server::fixtures::envelope(TillId(till.till.0), seq, ev);
    let r = app.push(&token, till.till, vec![e(1, opened), e(2, closed.clone()), e(3, bad_float), e(4, closed)]).await;
    let r = r.expect(StatusCode::OK);
    assert_eq!(outcomes(&r.body), vec!["accepted", "accepted", "rejected", "rejected"]);
    assert!(r.body["results"][3]["outcome"]["reason"].as_str().expect("reason").contains("already closed"));
}

#[tokio::test]
async fn a_till_reads_a_sale_of_its_branch_for_a_return_but_not_another_branchs() {
    use shared::sale::{Refund, RefundKind};
    let app = spawn_app().await;
    let b1 = app.branch("B001").await;
    let b2 = app.branch("B002").await;
    let (seller, seller_token) = app.enrolled_till(b1).await;
    let (_, neighbour_token) = app.enrolled_till(b1).await;
    let (_, far_token) = app.enrolled_till(b2).await;
    let sale_ev = sale_event(&seller, 1);
    let Event::SaleCompleted(sale) = sale_ev.event.clone() else { panic!("a sale") };
    let pick = shared::sale::ReturnPick { line: 0, qty: sale.lines[0].priced.qty };
    let plan = shared::sale::plan_refund(&sale, &[], &[pick], shared::pricing::CashRounding::None).expect("plan");
    let refund = Refund {
        id: shared::ids::RefundId::new(),
        kind: RefundKind::Return,
        sale: Some(sale.id),
        original_receipt: Some(sale.receipt_no.clone()),
        receipt_no: shared::receipt::ReceiptNo::new("B001", seller.number, 2),
        branch: seller.branch,
        till: seller.till,
        shift: sale.shift,
        cashier: sale.cashier,
        approved_by: None,
        refunded_at: Timestamp::now(),
        business_day: sale.business_day,
        reason: "不要了".into(),
        lines: plan.lines,
        total: plan.total,
        rounding: plan.rounding,
        tenders: plan.tenders,
        points_taken_back: plan.points_taken_back,
        points_restored: plan.points_restored,
        member: None,
        tax: plan.tax,
        clawback: plan.clawback,
        clawback_waived: plan.clawback_waived,
    };
    let refund_ev = hq_server::fixtures::envelope(seller.till, 2, Event::SaleRefunded(refund.clone()));
    let r = app.push(&seller_token, seller.till, vec![sale_ev, refund_ev]).await.expect(StatusCode::OK);
    assert_eq!(outcomes(&r.body), vec!["accepted", "accepted"]);
    let uri = format!("/api/v1/till/sales/{}", sale.receipt_no);
    let get = |token: String| {
        let uri = uri.clone();
        let app = &app;
        async move {
            app.send(crate::helpers::Req {
                method: axum::http::Method::GET,
                uri,
                cookie: None,
                till_token: Some(&token),
                body: None,
                from: None,
            })
            .await
        }
    };
    let r = get(neighbour_token).await.expect(StatusCode::OK);
    let history: shared::sync::SaleHistory = serde_json::from_value(r.body).expect("a SaleHistory");
    assert_eq!(history.sale, sale);
    assert_eq!(history.refunds, vec![refund]);
    get(far_token).await.expect(StatusCode::NOT_FOUND);
}
