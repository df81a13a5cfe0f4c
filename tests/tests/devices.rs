//! The till with its devices on pseudo-terminals: scans from the scanner simulator, receipts read
//! back from the printer simulator, a bank card refused at the member reader.

use std::time::Duration;

use device_drivers::card_reader::CardEvent;
use hq_server::store::SyncStore as _;
use pos_app::engine::{Paid, Payment};
use shared::money::Money;
use shared::receipt::PaperWidth;
use tests::*;

#[test]
fn scanned_on_the_scanner_printed_on_the_printer() {
    let _pty = devices_lock();
    let hq = Hq::start();
    let mut dev = Devices::start();
    let mut t = TestTill::enrol_with(&hq, &hq.code(0, 0), dev.peripherals());
    t.open_shift(CASHIER);

    for n in 0..3 {
        let code = dev.scan(&t.barcode(n));
        t.till.scan(&code).expect("the scanned code is a product");
    }
    // A misread never reaches the till as a scan: the driver reports it as a misread.
    dev.scanner_sim.misread().expect("misread");
    loop {
        match next(&mut dev.scans) {
            device_drivers::scanner::ScannerEvent::Misread(_) => break,
            device_drivers::scanner::ScannerEvent::Scan(s) => panic!("a misread became a scan: {s:?}"),
            _ => {}
        }
    }
    let code = dev.scan(&t.barcode(0));
    t.till.scan(&code).expect("scan");
    let due = t.till.view().expect("view").expect("sale").cash_due;
    t.till.add_cash(due + Money(10_000)).expect("cash");
    let done = t.till.complete(false).expect("complete");

    // The paper says exactly what the engine laid out, and the drawer opened.
    let printed = dev.receipts(1);
    assert_eq!(printed[0].text, done.receipt.text(PaperWidth::Mm80));
    assert_eq!(printed[0].barcodes, vec![done.sale.receipt_no.to_string()]);
    assert!(dev.printer_sim.wait_for_drawer_kicks(1, Duration::from_secs(20)).is_some());

    // A bank card on the member reader is refused, showing only first 6 / last 4.
    dev.cards_sim.swipe_bank_card(None).expect("swipe");
    let refused = loop {
        match next(&mut dev.swipes) {
            CardEvent::BankCardRejected(r) => break r.to_string(),
            CardEvent::Connected { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    };
    assert!(refused.contains("******"), "{refused}");
    // And the receipt of a reprint says so on paper too.
    t.till.reprint(&done.sale.receipt_no).expect("reprint");
    let again = dev.receipts(2);
    assert!(again[1].text.contains("重印"), "{}", again[1].text);
}

#[test]
fn a_short_cash_amount_is_a_part_payment_on_paper_and_at_hq() {
    let _pty = devices_lock();
    let hq = Hq::start();
    let dev = Devices::start();
    let mut t = TestTill::enrol_with(&hq, &hq.code(0, 0), dev.peripherals());
    t.start_sync();
    t.open_shift(CASHIER);
    for n in 0..3 {
        let code = t.barcode(n);
        t.till.scan(&code).expect("scan");
    }
    let due = t.till.view().expect("view").expect("sale").cash_due;
    let part = Money(due.0 / 2);
    // Short: a part payment, nothing printed, the rest still to pay.
    let paid = t.till.pay(&Payment::Cash(part)).expect("a part payment");
    assert_eq!(paid, Paid::Part { outstanding: due - part });
    // The rest and more: change on both amounts, once.
    let Paid::Completed(done) = t.till.pay(&Payment::Cash(Money(100_000))).expect("pay") else {
        panic!("the sale did not complete")
    };
    let change = part + Money(100_000) - due;
    assert_eq!(done.sale.change, change);
    let tendered: Vec<Money> = done.sale.tenders.iter().map(|t| t.tendered).collect();
    assert_eq!(tendered, vec![part, Money(100_000)]);
    let kept: Money = done.sale.tenders.iter().map(|t| t.amount).sum();
    assert_eq!(kept, due, "the drawer keeps what was due, no more");

    let printed = dev.receipts(1);
    assert_eq!(printed[0].text, done.receipt.text(PaperWidth::Mm80));
    assert!(printed[0].text.contains(&change.plain()), "{}", printed[0].text);

    // HQ records the same sale: the same tenders and the same change.
    t.wait_pushed(Duration::from_secs(60));
    let branch = hq.demo.branches[0].id;
    let at_hq = hq.store().sale_history(branch, &done.sale.receipt_no.to_string()).expect("read").expect("at HQ");
    assert_eq!(at_hq.sale.tenders, done.sale.tenders);
    assert_eq!(at_hq.sale.change, change);
    assert_eq!(at_hq.sale.totals.due, due);
}

#[test]
fn a_receipt_interrupted_by_paper_out_prints_by_itself_once_paper_is_loaded() {
    use device_drivers::printer::PrinterEvent;
    let _pty = devices_lock();
    let hq = Hq::start();
    let mut dev = Devices::start();
    let (_, none) = tokio::sync::mpsc::channel(1);
    let driver_events = std::mem::replace(&mut dev.printer_events, none);
    // What the till's UI receives, after the watch that recovers held receipts.
    let mut ui_events = pos_app::printing::watch(dev.printer.clone(), driver_events);
    let mut t = TestTill::enrol_with(&hq, &hq.code(0, 0), dev.peripherals());
    t.open_shift(CASHIER);

    dev.printer_sim.set_paper_end(true);
    loop {
        if let PrinterEvent::Status(s) = next(&mut ui_events)
            && s.paper_end
        {
            break;
        }
    }
    let code = t.barcode(0);
    t.till.scan(&code).expect("scan");
    let due = t.till.view().expect("view").expect("sale").cash_due;
    let Paid::Completed(done) = t.till.pay(&Payment::Cash(due)).expect("pay") else { panic!("not complete") };
    loop {
        if let PrinterEvent::Failed { .. } = next(&mut ui_events) {
            break;
        }
    }
    assert_eq!(dev.printer.held_jobs().len(), 1, "the receipt is held");
    assert!(dev.printer_sim.receipts().is_empty());

    // Paper loaded: nobody presses anything, the receipt prints.
    dev.printer_sim.set_paper_end(false);
    let printed = dev.receipts(1);
    assert_eq!(printed[0].text, done.receipt.text(PaperWidth::Mm80));
    assert!(dev.printer.held_jobs().is_empty());
}
