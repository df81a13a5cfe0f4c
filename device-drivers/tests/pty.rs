//! Drivers against simulators over real pseudo-terminal pairs: the driver opens `/dev/pts/N`
//! (through the simulator's stable link) like a serial port. One test at a time (`pty_lock`).

#![cfg(unix)]

mod common;

use common::{PATIENCE, eventually, pty_lock, queued, sample_receipt, wait_for};
use device_drivers::card_reader::{CardEvent, CardReader, Unreadable};
use device_drivers::display::{CustomerDisplay, DisplayCharset, DisplayKind, Lamp};
use device_drivers::printer::paper::CutKind;
use device_drivers::printer::{DrawerPin, PrintFailure, Printer, PrinterConfig, PrinterEvent, PrinterProblem};
use device_drivers::scanner::{MisreadReason, Scanner, ScannerEvent, ScannerOptions, Symbology, Terminator};
use device_drivers::simulator::{
    CardReaderSimulator, DisplaySimulator, DrawerKick, PrinterSimulator, ScannerSimulator,
};
use device_drivers::transport::TransportError;
use shared::Money;
use shared::catalog::{GtinKind, MemberCode};
use shared::member::CardUid;
use shared::receipt::PaperWidth;

#[test]
fn scanner_reads_misreads_and_survives_an_unplug() {
    let _pty = pty_lock();
    let sim = ScannerSimulator::start().expect("simulator");
    let (_scanner, mut events) = Scanner::open(sim.config());
    wait_for(&mut events, "connected", |e| matches!(e, ScannerEvent::Connected { .. }));

    sim.scan("6901234567892").expect("scan");
    let e = wait_for(&mut events, "a scan", |e| matches!(e, ScannerEvent::Scan(_)));
    let ScannerEvent::Scan(scan) = e else { unreachable!() };
    assert_eq!(scan.code, "6901234567892");
    assert_eq!(scan.symbology, Symbology::Ean13);
    assert_eq!(scan.gtin, Some(GtinKind::Ean13));

    // Continuous mode reads the same code twice at once: one scan.
    sim.scan("96385074").expect("scan");
    sim.scan("96385074").expect("scan again");
    sim.scan("B001-01-000042").expect("receipt number");
    let e = wait_for(&mut events, "EAN-8", |e| matches!(e, ScannerEvent::Scan(_)));
    assert!(matches!(e, ScannerEvent::Scan(ref s) if s.code == "96385074"), "{e:?}");
    let e = wait_for(&mut events, "Code 128", |e| matches!(e, ScannerEvent::Scan(_)));
    assert!(
        matches!(e, ScannerEvent::Scan(ref s) if s.code == "B001-01-000042" && s.symbology == Symbology::Code128),
        "{e:?}"
    );

    sim.misread().expect("misread");
    let e = wait_for(&mut events, "a misread", |e| matches!(e, ScannerEvent::Misread(_)));
    assert!(
        matches!(e, ScannerEvent::Misread(ref m) if m.reason == MisreadReason::CheckDigit { expected: 2 }),
        "{e:?}"
    );
    sim.noise().expect("noise");
    let e = wait_for(&mut events, "noise", |e| matches!(e, ScannerEvent::Misread(_)));
    assert!(
        matches!(e, ScannerEvent::Misread(ref m) if matches!(m.reason, MisreadReason::NotPrintable { .. })),
        "{e:?}"
    );

    // Unplug: the driver says so, with the reason; plug back in: it reconnects by itself.
    sim.close();
    let e = wait_for(&mut events, "disconnected", |e| matches!(e, ScannerEvent::Disconnected { .. }));
    assert!(matches!(e, ScannerEvent::Disconnected { reason: TransportError::Closed { .. } }), "{e:?}");
    sim.reopen().expect("reopen");
    wait_for(&mut events, "connected again", |e| matches!(e, ScannerEvent::Connected { .. }));
    sim.scan("4006381333931").expect("scan after reconnect");
    let e = wait_for(&mut events, "a scan after reconnect", |e| matches!(e, ScannerEvent::Scan(_)));
    assert!(matches!(e, ScannerEvent::Scan(ref s) if s.code == "4006381333931"), "{e:?}");
}

#[test]
fn a_half_frame_is_a_misread_and_the_next_frame_reads() {
    let _pty = pty_lock();
    let sim = ScannerSimulator::start().expect("simulator");
    let (_scanner, mut events) = Scanner::open(sim.config());
    wait_for(&mut events, "connected", |e| matches!(e, ScannerEvent::Connected { .. }));
    // The scanner sends half a frame and nothing more: the driver reports it once the idle
    // timeout has passed, and the next frame reads on its own.
    sim.send_raw(b"6901234").expect("half a frame");
    let e = wait_for(&mut events, "the half frame dropped", |e| matches!(e, ScannerEvent::Misread(_)));
    assert!(
        matches!(e, ScannerEvent::Misread(ref m) if m.reason == MisreadReason::Incomplete { idle_ms: 100 } && m.frame == "6901234"),
        "{e:?}"
    );
    sim.send_raw(b"96385074\r\n").expect("the next frame");
    let e = wait_for(&mut events, "a scan", |e| matches!(e, ScannerEvent::Scan(_)));
    assert!(matches!(e, ScannerEvent::Scan(ref s) if s.code == "96385074"), "{e:?}");
    // UPC-E reads as UPC-E.
    sim.scan("04252614").expect("UPC-E");
    let e = wait_for(&mut events, "a UPC-E", |e| matches!(e, ScannerEvent::Scan(_)));
    assert!(matches!(e, ScannerEvent::Scan(ref s) if s.gtin == Some(GtinKind::UpcE)), "{e:?}");

    let cards = CardReaderSimulator::start().expect("simulator");
    let (_reader, mut events) = CardReader::open(cards.config());
    wait_for(&mut events, "connected", |e| matches!(e, CardEvent::Connected { .. }));
    cards.send_raw(b"%B4111111111111111^ZHANG/SAN^2512").expect("half a bank swipe");
    let e = wait_for(&mut events, "the half swipe dropped", |e| !matches!(e, CardEvent::Connected { .. }));
    assert_eq!(e, CardEvent::Unreadable(Unreadable::TimedOut));
    cards.swipe_member("0000012345").expect("member swipe");
    let e = wait_for(&mut events, "the member", |e| !matches!(e, CardEvent::Connected { .. }));
    assert_eq!(e, CardEvent::MemberCard(MemberCode::parse("0000012345").expect("digits")));
}

#[test]
fn scanner_with_stx_etx_and_no_aim_ids() {
    let _pty = pty_lock();
    let options = ScannerOptions {
        terminator: Terminator::Etx,
        stx: true,
        aim_ids: device_drivers::scanner::AimIds::Off,
        ..ScannerOptions::default()
    };
    let sim = ScannerSimulator::start_with(options).expect("simulator");
    let (_scanner, mut events) = Scanner::open(sim.config());
    wait_for(&mut events, "connected", |e| matches!(e, ScannerEvent::Connected { .. }));
    // A frame split across writes, then two glued together.
    sim.send_raw(b"\x0269012").expect("first half");
    sim.send_raw(b"34567892\x03\x0296385074\x03\x0212\x00\x03").expect("rest");
    let e = wait_for(&mut events, "scan", |e| matches!(e, ScannerEvent::Scan(_)));
    assert!(matches!(e, ScannerEvent::Scan(ref s) if s.code == "6901234567892" && s.symbology == Symbology::Unknown));
    let e = wait_for(&mut events, "scan", |e| matches!(e, ScannerEvent::Scan(_)));
    assert!(matches!(e, ScannerEvent::Scan(ref s) if s.code == "96385074"));
    wait_for(&mut events, "misread", |e| matches!(e, ScannerEvent::Misread(_)));
}

#[test]
fn a_scanner_that_is_not_there_is_reported_and_retried() {
    let _pty = pty_lock();
    let sim = ScannerSimulator::start().expect("simulator");
    let config = sim.config();
    sim.close();
    let (_scanner, mut events) = Scanner::open(config);
    let e = wait_for(&mut events, "disconnected", |e| matches!(e, ScannerEvent::Disconnected { .. }));
    assert!(matches!(e, ScannerEvent::Disconnected { reason: TransportError::Open { .. } }), "{e:?}");
    sim.reopen().expect("plug in");
    wait_for(&mut events, "connected", |e| matches!(e, ScannerEvent::Connected { .. }));
}

#[test]
fn card_reader_members_uids_and_bank_cards() {
    let _pty = pty_lock();
    let sim = CardReaderSimulator::start().expect("simulator");
    let (_reader, mut events) = CardReader::open(sim.config());
    wait_for(&mut events, "connected", |e| matches!(e, CardEvent::Connected { .. }));

    sim.swipe_member("0000012345").expect("swipe");
    let e = wait_for(&mut events, "member", |e| matches!(e, CardEvent::MemberCard(_)));
    assert_eq!(e, CardEvent::MemberCard(MemberCode::parse("0000012345").expect("code")));

    sim.swipe_bank_card(None).expect("swipe a bank card");
    let e = wait_for(&mut events, "bank card", |e| matches!(e, CardEvent::BankCardRejected(_)));
    let shown = format!("{e:?}");
    assert!(!shown.contains("4111111111111111") && !shown.contains("CARDHOLDER"), "{shown}");
    let CardEvent::BankCardRejected(r) = e else { unreachable!() };
    assert_eq!(r.to_string(), "bank card: use the payment terminal (411111******1111)");

    sim.tap_uid("04a1b2c3").expect("tap");
    let e = wait_for(&mut events, "uid", |e| matches!(e, CardEvent::Uid(_)));
    assert_eq!(e, CardEvent::Uid(CardUid::parse("04A1B2C3").expect("uid")));

    sim.swipe_unreadable().expect("bad swipe");
    let e = wait_for(&mut events, "unreadable", |e| matches!(e, CardEvent::Unreadable(_)));
    assert_eq!(e, CardEvent::Unreadable(Unreadable::TrackError));

    sim.close();
    wait_for(&mut events, "disconnected", |e| matches!(e, CardEvent::Disconnected { .. }));
    sim.reopen().expect("reopen");
    wait_for(&mut events, "connected", |e| matches!(e, CardEvent::Connected { .. }));
    sim.swipe_member("0000067890").expect("swipe");
    wait_for(&mut events, "member", |e| matches!(e, CardEvent::MemberCard(_)));
}

fn printed_receipt_equals_the_layout(paper: PaperWidth) {
    let sim = PrinterSimulator::start_with(paper).expect("simulator");
    let (printer, mut events) = Printer::open(sim.config());
    wait_for(&mut events, "connected", |e| matches!(e, PrinterEvent::Connected { .. }));
    let mut receipt = sample_receipt(10);
    receipt.qr = Some("https://e.tillpoint.cn/r/B001-01-000042".into());
    let job = printer.print_receipt(&receipt).expect("renders");
    wait_for(&mut events, "printed", |e| *e == PrinterEvent::Printed { job });
    let printed = sim.wait_for_receipts(1, PATIENCE).expect("a receipt is cut");
    assert_eq!(printed.len(), 1);
    let want = receipt.text(paper);
    assert!(want.contains("可口可乐") && want.contains("Thank you!"), "{want}");
    assert_eq!(printed[0].text, want, "at {} columns", paper.columns());
    assert_eq!(printed[0].barcodes, vec!["B001-01-000042".to_owned()]);
    assert_eq!(printed[0].qr_codes, vec!["https://e.tillpoint.cn/r/B001-01-000042".to_owned()]);
    assert_eq!(printed[0].cut, Some(CutKind::Full));
    assert!(printed[0].lines.iter().any(|l| l.bold && l.tall), "the amount due is printed tall");
    assert!(sim.unknown_commands().is_empty(), "{:?}", sim.unknown_commands());
}

#[test]
fn a_printed_receipt_equals_the_layout_at_32_and_48_columns() {
    let _pty = pty_lock();
    printed_receipt_equals_the_layout(PaperWidth::Mm58);
    printed_receipt_equals_the_layout(PaperWidth::Mm80);
}

#[test]
fn printer_holds_jobs_it_cannot_print_and_reprints_them() {
    let _pty = pty_lock();
    let sim = PrinterSimulator::start().expect("simulator");
    let (printer, mut events) = Printer::open(sim.config());
    wait_for(&mut events, "connected", |e| matches!(e, PrinterEvent::Connected { .. }));
    let e = wait_for(&mut events, "status", |e| matches!(e, PrinterEvent::Status(_)));
    assert!(matches!(e, PrinterEvent::Status(s) if s.ready()), "{e:?}");

    sim.set_paper_end(true);
    let receipt = sample_receipt(3);
    let job = printer.print_receipt(&receipt).expect("renders");
    let e = wait_for(&mut events, "failed", |e| matches!(e, PrinterEvent::Failed { .. }));
    assert_eq!(e, PrinterEvent::Failed { job, reason: PrintFailure::Printer(PrinterProblem::PaperEnd) });
    let held = printer.held_jobs();
    assert_eq!(held.len(), 1);
    assert_eq!((held[0].job, held[0].label.as_str()), (job, "B001-01-000042"));
    assert!(sim.receipts().is_empty());

    // The cash drawer still opens with the paper out.
    printer.open_drawer();
    wait_for(&mut events, "drawer", |e| *e == PrinterEvent::DrawerOpened { pin: DrawerPin::Pin2 });
    let kicks = sim.wait_for_drawer_kicks(1, PATIENCE).expect("a kick");
    assert_eq!(kicks, vec![DrawerKick { pin: DrawerPin::Pin2, on_ms: 50, off_ms: 500 }]);

    // Paper loaded; the cashier reprints.
    sim.set_paper_end(false);
    printer.query_status();
    wait_for(&mut events, "ready", |e| matches!(e, PrinterEvent::Status(s) if s.ready()));
    assert!(printer.reprint(job));
    assert!(!printer.reprint(job), "a job is reprinted once");
    wait_for(&mut events, "printed", |e| *e == PrinterEvent::Printed { job });
    let printed = sim.wait_for_receipts(1, PATIENCE).expect("printed");
    assert_eq!(printed[0].text, receipt.text(PaperWidth::Mm80));
    assert!(printer.held_jobs().is_empty());

    // Cover open is reported as such; a discarded job is gone.
    sim.set_cover_open(true);
    let job2 = printer.print_receipt(&receipt).expect("renders");
    let e = wait_for(&mut events, "failed", |e| matches!(e, PrinterEvent::Failed { .. }));
    assert_eq!(e, PrinterEvent::Failed { job: job2, reason: PrintFailure::Printer(PrinterProblem::CoverOpen) });
    assert!(printer.discard(job2));
    assert!(printer.held_jobs().is_empty());
}

#[test]
fn a_printer_that_stops_answering_is_disconnected_then_back() {
    let _pty = pty_lock();
    let sim = PrinterSimulator::start().expect("simulator");
    let config = PrinterConfig { poll_interval_ms: 200, ..sim.config() };
    let (printer, mut events) = Printer::open(config);
    wait_for(&mut events, "connected", |e| matches!(e, PrinterEvent::Connected { .. }));

    sim.set_answering(false);
    let e = wait_for(&mut events, "disconnected", |e| matches!(e, PrinterEvent::Disconnected { .. }));
    assert!(matches!(e, PrinterEvent::Disconnected { reason: TransportError::NotAnswering { .. } }), "{e:?}");
    // Printing meanwhile does not wait: the job fails at once and is held.
    let job = printer.print_receipt(&sample_receipt(1)).expect("renders");
    let e = wait_for(&mut events, "failed", |e| matches!(e, PrinterEvent::Failed { .. }));
    assert!(matches!(e, PrinterEvent::Failed { job: j, reason: PrintFailure::NotConnected(_) } if j == job), "{e:?}");

    sim.set_answering(true);
    wait_for(&mut events, "connected", |e| matches!(e, PrinterEvent::Connected { .. }));
    assert!(printer.reprint(job));
    wait_for(&mut events, "printed", |e| *e == PrinterEvent::Printed { job });
}

#[test]
fn an_unplugged_printer_is_reported_and_reconnected() {
    let _pty = pty_lock();
    let sim = PrinterSimulator::start().expect("simulator");
    let (printer, mut events) = Printer::open(sim.config());
    wait_for(&mut events, "connected", |e| matches!(e, PrinterEvent::Connected { .. }));
    sim.close();
    let e = wait_for(&mut events, "disconnected", |e| matches!(e, PrinterEvent::Disconnected { .. }));
    assert!(matches!(e, PrinterEvent::Disconnected { reason: TransportError::Closed { .. } }), "{e:?}");
    printer.open_drawer();
    let e = wait_for(&mut events, "drawer failed", |e| matches!(e, PrinterEvent::DrawerFailed { .. }));
    assert!(matches!(e, PrinterEvent::DrawerFailed { reason: PrintFailure::NotConnected(_) }), "{e:?}");
    sim.reopen().expect("plug in");
    wait_for(&mut events, "connected", |e| matches!(e, PrinterEvent::Connected { .. }));
    printer.open_drawer();
    wait_for(&mut events, "drawer", |e| matches!(e, PrinterEvent::DrawerOpened { .. }));
    assert_eq!(sim.wait_for_drawer_kicks(1, PATIENCE).expect("kick").len(), 1);
}

#[test]
fn vfd_shows_the_item_and_total_and_comes_back_after_an_unplug() {
    let _pty = pty_lock();
    let sim = DisplaySimulator::start_with(DisplayKind::Vfd, DisplayCharset::Gbk).expect("simulator");
    let (display, mut events) = CustomerDisplay::open(sim.config());
    wait_for(&mut events, "connected", |e| matches!(e, device_drivers::display::DisplayEvent::Connected { .. }));
    display.show_item("可口可乐 330ml", Money(350), Money(1250));
    let want = ["可口可乐 330ml  3.50".to_owned(), "TOTAL          12.50".to_owned()];
    let shown = eventually(PATIENCE, || (sim.lines() == want).then_some(()));
    assert!(shown.is_some(), "{:?}", sim.lines());

    sim.close();
    wait_for(&mut events, "disconnected", |e| matches!(e, device_drivers::display::DisplayEvent::Disconnected { .. }));
    sim.reopen().expect("plug in");
    wait_for(&mut events, "connected", |e| matches!(e, device_drivers::display::DisplayEvent::Connected { .. }));
    // The new display shows what the customer saw before.
    let shown = eventually(PATIENCE, || (sim.lines() == want).then_some(()));
    assert!(shown.is_some(), "{:?}", sim.lines());
    display.clear();
    let cleared = eventually(PATIENCE, || (sim.lines() == [String::new(), String::new()]).then_some(()));
    assert!(cleared.is_some(), "{:?}", sim.lines());
}

#[test]
fn led_price_display_lamps_and_digits() {
    let _pty = pty_lock();
    let sim = DisplaySimulator::start_with(DisplayKind::Led, DisplayCharset::Ascii).expect("simulator");
    let (display, mut events) = CustomerDisplay::open(sim.config());
    wait_for(&mut events, "connected", |e| matches!(e, device_drivers::display::DisplayEvent::Connected { .. }));
    let see = |lamp: Lamp, digits: &str| {
        let r = eventually(PATIENCE, || (sim.led() == (lamp, digits.to_owned())).then_some(()));
        assert!(r.is_some(), "want {lamp:?} {digits}, see {:?}", sim.led());
    };
    display.show_item("ignored", Money(350), Money(350));
    see(Lamp::Price, "3.50");
    display.show_total(Money(1250));
    see(Lamp::Total, "12.50");
    display.show_paid(Money(10_000));
    see(Lamp::Paid, "100.00");
    display.show_change(Money(8750));
    see(Lamp::Change, "87.50");
    display.show_total(Money(1_000_000_000));
    let e = wait_for(&mut events, "refused", |e| matches!(e, device_drivers::display::DisplayEvent::Refused(_)));
    assert!(matches!(e, device_drivers::display::DisplayEvent::Refused(_)));
    assert_eq!(sim.led(), (Lamp::Change, "87.50".to_owned()), "the refused total is not shown");
    // The next total shows: the driver went on, and by then it had reported all it had to say
    // about the refused one.
    display.show_total(Money(4_200));
    see(Lamp::Total, "42.00");
    let after: Vec<String> = queued(&mut events).iter().map(|e| format!("{e:?}")).collect();
    assert!(after.is_empty(), "{after:?}");
}

#[test]
fn events_can_be_awaited_in_a_tokio_task() {
    let _pty = pty_lock();
    let sim = ScannerSimulator::start().expect("simulator");
    let (_scanner, mut events) = Scanner::open(sim.config());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime");
    let code = runtime.block_on(async move {
        let (up, connected) = tokio::sync::oneshot::channel();
        let consumer = tokio::spawn(async move {
            let mut up = Some(up);
            while let Some(e) = events.recv().await {
                match e {
                    ScannerEvent::Connected { .. } => {
                        if let Some(up) = up.take() {
                            let _ = up.send(());
                        }
                    }
                    ScannerEvent::Scan(s) => return Some(s.code),
                    _ => {}
                }
            }
            None
        });
        tokio::time::timeout(PATIENCE, connected).await.expect("connected in time").expect("signal");
        sim.scan("6901234567892").expect("scan");
        tokio::time::timeout(PATIENCE, consumer).await
    });
    assert_eq!(code.expect("in time").expect("task ran"), Some("6901234567892".to_owned()));
}

#[test]
fn a_42_column_printer_on_a_send_only_cable_prints_its_layout() {
    let _pty = pty_lock();
    // TM-T88 class: 512 dots at 80 mm, 42 columns of font A. The cable has no wire back.
    let print = device_drivers::printer::PrintOptions { dots: 512, ..Default::default() };
    let sim = PrinterSimulator::start_for(print).expect("simulator");
    sim.set_answering(false);
    let config = PrinterConfig { check_status: false, ..sim.config() };
    let (printer, mut events) = Printer::open(config);
    assert_eq!(printer.line_format().columns, 42);
    let receipt = sample_receipt(3);
    let job = printer.print_receipt(&receipt).expect("renders");
    let e =
        wait_for(&mut events, "printed", |e| matches!(e, PrinterEvent::Printed { .. } | PrinterEvent::Failed { .. }));
    assert_eq!(e, PrinterEvent::Printed { job });
    let printed = sim.wait_for_receipts(1, PATIENCE).expect("a receipt");
    assert_eq!(printed[0].text, receipt.text(printer.line_format()));
    assert!(printed[0].text.lines().all(|l| shared::receipt::text_width(l) <= 42));
    assert_eq!(sim.status_queries(), 0, "never asked");
    assert!(sim.unknown_commands().is_empty(), "{:?}", sim.unknown_commands());
}

#[test]
fn the_drawer_switch_and_a_jammed_cutter_are_reported() {
    let _pty = pty_lock();
    let sim = PrinterSimulator::start().expect("simulator");
    let (printer, mut events) = Printer::open(sim.config());
    wait_for(&mut events, "connected", |e| matches!(e, PrinterEvent::Connected { .. }));
    printer.open_drawer();
    wait_for(&mut events, "kicked", |e| matches!(e, PrinterEvent::DrawerOpened { .. }));
    printer.query_status();
    let e = wait_for(&mut events, "status", |e| matches!(e, PrinterEvent::Status(_)));
    assert!(matches!(e, PrinterEvent::Status(s) if s.drawer_open == Some(true) && s.ready()), "{e:?}");
    sim.set_drawer_open(false);
    printer.query_status();
    let e = wait_for(&mut events, "status", |e| matches!(e, PrinterEvent::Status(_)));
    assert!(matches!(e, PrinterEvent::Status(s) if s.drawer_open == Some(false)), "{e:?}");
    // A jammed cutter (DLE EOT 3) holds the job with what to do about it.
    sim.set_cutter_error(true);
    let job = printer.print_receipt(&sample_receipt(1)).expect("renders");
    let e = wait_for(&mut events, "held", |e| matches!(e, PrinterEvent::Failed { .. }));
    assert_eq!(e, PrinterEvent::Failed { job, reason: PrintFailure::Printer(PrinterProblem::CutterJam) });
    assert_eq!(printer.held_jobs().len(), 1);
    sim.set_cutter_error(false);
    assert!(printer.reprint(job));
    wait_for(&mut events, "reprinted", |e| matches!(e, PrinterEvent::Printed { .. }));
}
