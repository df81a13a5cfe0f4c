//! Targets and member care in the web console, in a real browser against a real HQ: finance sets a
//! branch's year of net sales in the targets form and reads plan against actual; marketing sends
//! a birthday campaign to the week's birthdays and reads its log, the message in the outbox of
//! HQ's log sender.

use hq_server::model::{Actor, NewMember};
use hq_server::store::{BranchStore as _, MemberStore as _, PlanStore as _};
use tests::Hq;
use tests::browser::Browser;

#[test]
fn finance_sets_a_branchs_year_and_reads_plan_against_actual() {
    let hq = Hq::start();
    let branch = hq.store().list_branches().expect("branches").remove(0);
    let year = hq_server::calendar::hq_day(jiff::Timestamp::now()).year();
    let base = hq.url();
    hq.rt.block_on(async {
        let b = Browser::start().await;
        b.sign_in(&base, "finance", "tillpoint-finance").await;
        b.client.goto(&format!("{base}/console/targets")).await.expect("goto");
        b.set_value("#set-target select[name=branch_id]", &branch.id.0.to_string()).await;
        // Not a number: refused, nothing set.
        b.fill("#set-target input[name=total]", "三万").await;
        b.click("#set-target button[type=submit]").await;
        assert!(b.source().await.contains("三万"), "the refusal names what was typed");
        b.client.goto(&format!("{base}/console/targets")).await.expect("goto");
        b.set_value("#set-target select[name=branch_id]", &branch.id.0.to_string()).await;
        b.fill("#set-target input[name=total]", "36500").await;
        b.click("#set-target button[type=submit]").await;
        assert!(!b.text("#target-saved").await.is_empty());
        let table = b.text("#targets").await;
        assert!(table.contains(&branch.code) && table.contains("36500.00"), "{table}");
        b.client.goto(&format!("{base}/console/plan")).await.expect("goto");
        let plan = b.text("#plan").await;
        assert!(plan.contains(&branch.code), "{plan}");
        b.quit().await;
    });
    let years = hq.store().list_targets(year, Some(branch.id)).expect("targets");
    assert_eq!(years.len(), 1);
    assert_eq!(years[0].months.iter().sum::<i64>(), 3_650_000);
}

#[test]
fn marketing_sends_a_birthday_campaign_and_reads_its_log() {
    let hq = Hq::start();
    let today = hq_server::calendar::hq_day(jiff::Timestamp::now());
    let birthday = jiff::civil::Date::new(1990, today.month(), today.day().min(28)).expect("birthday");
    let member = hq
        .store()
        .create_member(
            &Actor::system(),
            NewMember {
                phone: Some(shared::member::Phone::parse("13900009999").expect("phone")),
                name: "生日会员".into(),
                birthday: Some(birthday),
                ..NewMember::default()
            },
        )
        .expect("member");
    let base = hq.url();
    hq.rt.block_on(async {
        let b = Browser::start().await;
        b.sign_in(&base, "marketing", "tillpoint-marketing").await;
        b.client.goto(&format!("{base}/console/care")).await.expect("goto");
        assert!(b.text("#birthdays").await.contains("生日会员"));
        b.set_value("#new-care select[name=kind]", "birthday").await;
        b.fill("#new-care input[name=name]", "本周生日").await;
        b.fill("#new-care textarea[name=template]", "{name}，生日快乐！").await;
        b.click("#new-care button[type=submit]").await;
        assert!(b.text("#care-summary").await.contains("生日"));
        // The log fills in as the messages go out.
        let started = std::time::Instant::now();
        loop {
            b.client.refresh().await.expect("refresh");
            let log = b.text("#care-log").await;
            if b.source().await.contains("data-status=\"sent\"") {
                assert!(log.contains("生日会员") && log.contains("139****9999"), "{log}");
                break;
            }
            assert!(started.elapsed() < std::time::Duration::from_secs(20), "not sent: {log}");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        b.quit().await;
    });
    let sent = hq.sms.last_to("13900009999").expect("the member's message");
    assert!(sent.text.starts_with("生日会员，生日快乐！"), "{}", sent.text);
    let _ = member;
}
