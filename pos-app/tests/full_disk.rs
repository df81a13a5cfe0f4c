//! A full disk at the till. The database is capped at its size (SQLite's `max_page_count`: its
//! writes then fail with `SQLITE_FULL`, as on a full disk) and the till sells until a sale no
//! longer fits: that sale stays open with its lines and payments, completing it says the disk is
//! full, nothing of it is written (no sale, no event, no receipt number used, no receipt printed),
//! and once there is room again it completes as one sale.

mod common;

use common::*;
use pos_app::TillError;
use pos_app::store::StoreError;
use pos_app::ui::i18n::ErrorKind;
use shared::money::Money;

fn ring_up(t: &mut TestTill) {
    for code in [COLA, CHIPS, OIL, COLA] {
        ok(t.till.scan(code));
    }
    let due = ok(t.till.view()).expect("sale").cash_due;
    ok(t.till.add_cash(due + Money(1_000)));
}

#[test]
fn a_sale_that_does_not_fit_stays_open_and_completes_when_there_is_room() {
    let mut t = TestTill::ready();
    ok(t.till.fault_disk_full(true));
    let mut completed = 0;
    let refused = loop {
        ring_up(&mut t);
        let before = footprint(&t.store());
        let printed = t.devices.log().receipts.len();
        match t.till.complete(false) {
            Ok(_) => {
                completed += 1;
                assert!(completed < 500, "a capped database never filled");
            }
            Err(e) => break (e, before, printed),
        }
    };
    let (e, before, printed) = refused;
    assert!(matches!(e, TillError::Store(StoreError::DiskFull)), "{e:?}");
    assert_eq!(ErrorKind::of(&e), ErrorKind::DiskFull);
    assert!(e.to_string().contains("disk is full"), "{e}");
    // Nothing half written, nothing printed, the sale still open as it was.
    assert_eq!(footprint(&t.store()), before);
    assert_eq!(t.devices.log().receipts.len(), printed);
    let view = ok(t.till.view()).expect("the sale is still open");
    assert_eq!(view.lines.len(), 3);
    assert!(!view.tenders.is_empty(), "its payment is still there");
    // Trying again on a full disk changes nothing either.
    assert!(t.till.complete(false).is_err());
    assert_eq!(footprint(&t.store()), before);

    // Room again: the same sale completes, once, with the next receipt number.
    ok(t.till.fault_disk_full(false));
    let done = ok(t.till.complete(false));
    let after = footprint(&t.store());
    assert_eq!(after.sales, before.sales + 1);
    assert_eq!(after.outbox, before.outbox + 1);
    assert_eq!(done.sale.receipt_no.seq, u32::try_from(completed + 1).expect("count"));
    assert_eq!(t.devices.log().receipts.len(), printed + 1);
    // And selling goes on.
    ring_up(&mut t);
    ok(t.till.complete(false));
}
