//! A night of trading on the console's dashboard, with HQ's and the till's clocks set to the
//! hour (never the machine's): sales at 23:30, 00:30, 03:59 and 04:01 Shanghai time, at a branch
//! whose business day starts at 04:00 and at one whose day starts at midnight. After each sale the
//! dashboard's "today" holds exactly the sales of the branch's business day, says which day that
//! is, and drills down to the sale, whose time is shown in the branch's zone.

use std::time::Duration;

use hq_server::Clock;
use hq_server::demo::{ADMIN_PASSWORD, DemoOptions};
use hq_server::store::BranchStore as _;
use jiff::Timestamp;
use jiff::civil::{Date, Time, date, time};
use shared::money::Money;
use tests::browser::Browser;
use tests::*;

fn shanghai(day: Date, h: i8, m: i8) -> Timestamp {
    day.at(h, m, 0, 0).in_tz("Asia/Shanghai").expect("zone").timestamp()
}

/// The last number in a card's text (`Transactions\n3` → 3).
fn last_number(text: &str) -> i64 {
    text.split_whitespace().last().and_then(|w| w.replace(',', "").parse().ok()).unwrap_or(-1)
}

/// `steps`: (calendar day, hour, minute, the business day a sale then belongs to), in order.
fn a_night_of_trading(cutoff: Time, steps: &[(Date, i8, i8, Date)]) {
    let first = steps[0];
    let clock = Clock::manual(shanghai(first.0, first.1, first.2));
    let hq = Hq::start_at(DemoOptions::small(), clock.clone());
    let store = hq.store();
    let actor = hq_server::model::Actor::system();
    for b in store.list_branches().expect("branches") {
        let mut b = store.get_branch(b.id).expect("branch");
        b.business_day_cutoff = cutoff;
        hq_server::admin::update_branch(&*store, &actor, b).expect("cut-off saved");
    }
    let mut t = TestTill::enrol(&hq, &hq.code(0, 0));
    t.start_sync();
    t.open_shift(CASHIER);
    assert_eq!(t.till.business_day().expect("day"), first.3, "the till pulled the cut-off");

    let base = hq.url();
    let mut sold: Vec<(Date, Money)> = Vec::new();
    hq.rt.block_on(async {
        let b = Browser::start().await;
        b.sign_in(&base, "admin", ADMIN_PASSWORD).await;
        for (n, &(day, h, m, business_day)) in steps.iter().enumerate() {
            clock.set(shanghai(day, h, m));
            let code = t.barcode(n);
            t.till.scan(&code).expect("scan");
            let due = t.till.view().expect("view").expect("sale").cash_due;
            t.till.add_cash(due).expect("cash");
            let done = t.till.complete(false).expect("complete");
            assert_eq!(done.sale.business_day, business_day, "{h:02}:{m:02} with the day starting at {cutoff}");
            sold.push((business_day, done.sale.totals.due));
            t.wait_pushed(Duration::from_secs(30));

            let today: Vec<Money> = sold.iter().filter(|(d, _)| *d == business_day).map(|(_, m)| *m).collect();
            let total: Money = today.iter().copied().sum();
            b.client.goto(&format!("{base}/console")).await.expect("dashboard");
            let note = b.text("#today-note").await;
            assert!(note.contains(&business_day.to_string()), "at {h:02}:{m:02} today is {business_day}: {note}");
            assert!(note.contains("Asia/Shanghai"), "{note}");
            let card = b.text("#card-sales").await;
            assert!(card.contains(&total.to_string()), "at {h:02}:{m:02} today's sales are {total}: {card}");
            assert_eq!(last_number(&b.text("#card-count").await), today.len() as i64, "at {h:02}:{m:02}");

            // Branch → its days → the day → the sale, shown at the branch's local time.
            b.click("#branches a").await;
            b.follow(&business_day.to_string()).await;
            b.follow(&done.sale.receipt_no.to_string()).await;
            assert_eq!(b.text("#sale-due").await, done.sale.totals.due.to_string());
            let when = b.text("#sale-time").await;
            assert!(when.contains(&format!("{day} {h:02}:{m:02}")), "local time of the sale: {when}");
            assert!(when.contains("Asia/Shanghai") && when.contains(&business_day.to_string()), "{when}");
        }
        b.quit().await;
    });
}

#[test]
fn a_night_at_a_branch_whose_day_starts_at_four() {
    let (d1, d2) = (date(2026, 11, 27), date(2026, 11, 28));
    a_night_of_trading(time(4, 0, 0, 0), &[(d1, 23, 30, d1), (d2, 0, 30, d1), (d2, 3, 59, d1), (d2, 4, 1, d2)]);
}

#[test]
fn a_night_at_a_branch_whose_day_starts_at_midnight() {
    let (d1, d2) = (date(2026, 11, 27), date(2026, 11, 28));
    a_night_of_trading(time(0, 0, 0, 0), &[(d1, 23, 30, d1), (d2, 0, 30, d2), (d2, 3, 59, d2), (d2, 4, 1, d2)]);
}
