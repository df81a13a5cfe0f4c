//! Stock at the till (issue 19), over real SQLite files: on hand in the product search as of the
//! last pull with its time (nothing before one; below zero as it is; the sale never refused), and
//! count mode: scan → quantity → next, each line on disk before it shows, its running total what
//! HQ is sent, batches kept with their id until HQ answers; unknown codes, products outside a
//! category count and a cashier refused with nothing kept.

mod common;

use common::{APPLE_PLU, CASHIER, CASHIER_PIN, CHIPS, COLA, MANAGER, MANAGER_PIN, TestTill, ok};
use pos_app::TillError;
use pos_app::engine::CountLineStatus;
use shared::catalog::{CategoryId, ProductId};
use shared::money::Qty;
use shared::till_stock::{TillCount, TillStockLevel, TillStockPage};

fn page(levels: &[(i64, i64)], cursor: &str, has_more: bool, as_of: &str) -> TillStockPage {
    TillStockPage {
        levels: levels.iter().map(|&(p, q)| TillStockLevel { product_id: ProductId(p), on_hand: Qty(q) }).collect(),
        next_cursor: cursor.into(),
        has_more,
        as_of: as_of.parse().expect("time"),
    }
}

fn count(id: i64, category: Option<i64>, started: &str) -> TillCount {
    TillCount {
        id,
        scope: if category.is_some() { "category".into() } else { "full".into() },
        category_id: category.map(CategoryId),
        started_at: started.parse().expect("time"),
        note: "月末".into(),
    }
}

#[test]
fn the_search_shows_on_hand_as_of_the_last_pull_with_its_time() {
    let mut t = TestTill::ready();
    // Never pulled: nothing is said.
    let hits = ok(t.till.search("可乐", 10));
    assert_eq!(hits[0].on_hand, None);

    // The sync task's connection applies a pull of two pages; the figures are as of the last.
    let mut sync = t.store();
    sync.apply_stock_page(&page(&[(1, 12_000)], "5.1", true, "2026-11-23T01:00:00Z")).expect("page");
    assert_eq!(sync.stock_as_of().expect("as of"), None, "a pull not finished says no time");
    sync.apply_stock_page(&page(&[(2, -3_000)], "7.2", false, "2026-11-23T06:05:00Z")).expect("page");
    assert_eq!(sync.stock_cursor().expect("cursor").as_deref(), Some("7.2"));
    let cola = ok(t.till.search("可乐", 10)).remove(0).on_hand.expect("on hand");
    // 06:05Z is 14:05 in Shanghai: today at the branch, the time alone.
    assert_eq!((cola.qty, cola.label.as_str()), (Qty(12_000), "14:05"));
    // Below zero is shown as it is, and sells all the same.
    let chips = ok(t.till.search("薯片", 10)).remove(0).on_hand.expect("on hand");
    assert_eq!(chips.qty, Qty(-3_000));
    ok(t.till.scan(CHIPS));
    // A product that never moved here has no figure; nor does a PLU hit of one.
    assert_eq!(ok(t.till.search(&APPLE_PLU.to_string(), 10))[0].on_hand, None);

    // Offline the next day: the last figure stays, with its day.
    t.clock.advance(jiff::SignedDuration::from_hours(24));
    let cola = ok(t.till.search("可乐", 10)).remove(0).on_hand.expect("on hand");
    assert_eq!((cola.qty, cola.label.as_str()), (Qty(12_000), "11-23 14:05"));
    // A later pull with nothing new keeps the cursor and moves the time.
    sync.apply_stock_page(&page(&[], "", false, "2026-11-24T02:00:00Z")).expect("page");
    assert_eq!(sync.stock_cursor().expect("cursor").as_deref(), Some("7.2"));
    assert_eq!(ok(t.till.search("可乐", 10))[0].on_hand.as_ref().map(|o| o.label.as_str()), Some("10:00"));
}

#[test]
fn count_mode_keeps_each_line_before_it_shows_and_sends_running_totals_once() {
    let mut t = TestTill::new();
    let mut sync = t.store();
    sync.replace_open_counts(&[count(41, None, "2026-11-23T01:30:00Z")]).expect("counts");

    // A cashier does not count; a manager does.
    ok(t.till.login(CASHIER, CASHIER_PIN));
    assert!(matches!(t.till.open_counts(), Err(TillError::NotAManager)));
    t.till.logout();
    ok(t.till.login(MANAGER, MANAGER_PIN));
    let counts = ok(t.till.open_counts());
    assert_eq!(counts.len(), 1);
    assert_eq!((counts[0].id, counts[0].category.as_deref(), counts[0].started.as_str()), (41, None, "09:30"));

    // Scan, Enter (one), scan again, typed 11: the cola's running total is 12.
    let item = ok(t.till.count_scan(41, COLA));
    assert_eq!((item.name.as_str(), item.counted, item.default_qty()), ("可口可乐 330ml", Qty(0), Qty::ONE));
    let view = ok(t.till.record_count(&item, ""));
    assert_eq!((view.waiting, view.last[0].total), (1, Qty(1_000)));
    let item = ok(t.till.count_scan(41, COLA));
    assert_eq!(item.counted, Qty(1_000));
    let view = ok(t.till.record_count(&item, "11"));
    assert_eq!(
        (view.last[0].qty, view.last[0].total, view.last[0].status.clone()),
        (Qty(11_000), Qty(12_000), CountLineStatus::Pending)
    );
    // A weighed good by its scale label: the label's weight unless typed; grams or kilograms.
    let label = shared::catalog::scale_label_barcode(20, APPLE_PLU, 600).expect("label");
    let apples = ok(t.till.count_scan(41, &label));
    assert!(apples.weighed && apples.label_qty.is_some());
    let view = ok(t.till.record_count(&apples, "1.5kg"));
    assert_eq!(view.last[0].total, Qty(1_500));
    // One too many scanned: -1 takes it back; more than was counted is refused.
    let item = ok(t.till.count_scan(41, COLA));
    ok(t.till.record_count(&item, "-1"));
    assert!(matches!(t.till.record_count(&item, "-20"), Err(TillError::Invalid(_))));

    // Refused, nothing kept: a code the catalog does not know (never sent), a receipt, a
    // quantity that is not one, a count that is not open.
    let before = t.till.store().count_rows("count_lines").expect("rows");
    assert!(matches!(t.till.count_scan(41, &common::ean("690000000000")), Err(TillError::UnknownBarcode(_))));
    assert!(matches!(t.till.count_scan(41, "12345"), Err(TillError::UnknownBarcode(_))));
    assert!(t.till.count_scan(41, "B001-01-000001").is_err());
    assert!(matches!(t.till.record_count(&item, "1.5"), Err(TillError::Invalid(_))));
    assert!(matches!(t.till.record_count(&item, "abc"), Err(TillError::Invalid(_))));
    assert!(t.till.count_scan(42, COLA).is_err());
    assert_eq!(t.till.store().count_rows("count_lines").expect("rows"), before);

    // What the sync task sends: one batch of the count's lines, each the product's running total
    // then, under an id kept until HQ answers (the same batch again after a lost answer).
    let batch = sync.next_count_batch(1000).expect("batch").expect("a batch waits");
    assert_eq!(batch.count_id, 41);
    assert_eq!(batch.counter, "王经理");
    let totals: Vec<(i64, i64)> = batch.lines.iter().map(|l| (l.product_id.0, l.qty.0)).collect();
    assert_eq!(totals, vec![(1, 1_000), (1, 12_000), (5, 1_500), (1, 11_000)]);
    let again = sync.next_count_batch(1000).expect("batch").expect("the same batch");
    assert_eq!(again, batch, "unanswered, the same id and lines go again");
    // A line counted meanwhile waits for the next batch.
    let item = ok(t.till.count_scan(41, CHIPS));
    ok(t.till.record_count(&item, "3"));
    sync.mark_count_batch(batch.batch_id, Ok(())).expect("sent");
    let view = ok(t.till.count_view(41));
    assert_eq!((view.waiting, view.sent, view.refused), (1, 4, 0));
    let next = sync.next_count_batch(1000).expect("batch").expect("the chips");
    assert_ne!(next.batch_id, batch.batch_id);
    sync.mark_count_batch(next.batch_id, Err("stock count 41 is posted: it takes no more entries".into()))
        .expect("refused");
    let view = ok(t.till.count_view(41));
    assert_eq!((view.waiting, view.sent, view.refused), (0, 4, 1));
    assert!(matches!(&view.last[0].status, CountLineStatus::Rejected(why) if why.contains("posted")));
    assert_eq!(sync.next_count_batch(1000).expect("batch"), None);

    // Lines are on disk: a restart loses none.
    t.restart();
    ok(t.till.login(MANAGER, MANAGER_PIN));
    assert_eq!(ok(t.till.count_view(41)).sent, 4);
}

#[test]
fn a_category_count_takes_only_its_products() {
    let mut t = TestTill::new();
    t.store().replace_open_counts(&[count(7, Some(99), "2026-11-23T01:30:00Z")]).expect("counts");
    ok(t.till.login(MANAGER, MANAGER_PIN));
    assert!(matches!(t.till.count_scan(7, COLA), Err(TillError::Invalid(_))));
    t.store().replace_open_counts(&[count(7, Some(1), "2026-11-23T01:30:00Z")]).expect("counts");
    assert_eq!(ok(t.till.count_scan(7, COLA)).product, ProductId(1));
}
