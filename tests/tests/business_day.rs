//! A whole business day at one branch, end to end: two enrolled tills with their devices on
//! pseudo-terminals, a catalog imported at HQ and pulled, member and non-member sales scanned from
//! the simulators, change, cash rounding, split tender, points printed on paper, returns at the other
//! till, a paid-out, blind closes with over/short, Z reports and day end. Then HQ's reports must
//! show exactly the tills' figures, fen for fen and point for point.

use std::collections::BTreeMap;
use std::time::Duration;

use device_drivers::card_reader::CardEvent;
use hq_server::model::Actor;
use hq_server::reports::{Cell, Report, ReportKind, ReportQuery};
use hq_server::store::{CatalogStore as _, MemberStore as _, ReportStore as _};
use pos_app::TillError;
use pos_app::engine::ScanOutcome;
use shared::catalog::{MemberCode, with_check_digit};
use shared::member::MemberIdentifier;
use shared::money::{Money, Qty};
use shared::receipt::PaperWidth;
use shared::sale::{CompletedSale, Refund, RefundError, ReturnPick, TenderKind};
use shared::shift::{CashCount, Denomination};
use shared::staff::ApprovalAction;
use tests::*;

/// Branch B002 of the demo chain rounds cash down to the jiao (抹零).
const BRANCH: usize = 1;

fn catalog_csv(category: &str) -> (String, [String; 3]) {
    let codes = [
        with_check_digit("690777000001").expect("EAN"),
        with_check_digit("690777000002").expect("EAN"),
        with_check_digit("690777000003").expect("EAN"),
    ];
    let csv = format!(
        "code,barcodes,name,unit,category,retail_price,member_price,vat,points_eligible\n\
         E2E-WATER,{},测试矿泉水 550ml,瓶,{category},2.35,2.10,13,yes\n\
         E2E-RICE,{},测试东北大米 5kg,袋,{category},39.90,35.90,9,yes\n\
         E2E-CIGS,{},测试香烟,包,{category},25.00,,13,no\n",
        codes[0], codes[1], codes[2]
    );
    (csv, codes)
}

/// A blind count of `amount` (whole jiao) by denomination, largest notes first.
fn count_of(amount: Money) -> CashCount {
    assert_eq!(amount.0 % 10, 0, "a drawer holds whole jiao: {amount:?}");
    let mut left = amount.0;
    let mut counts = Vec::new();
    for d in Denomination::ALL {
        let n = left / d.value().0;
        left -= n * d.value().0;
        counts.push((d, u32::try_from(n).expect("count")));
    }
    CashCount::new(counts)
}

fn column(r: &Report, name: &str) -> usize {
    r.col(name).unwrap_or_else(|| panic!("{:?} has no column {name}", r.kind))
}

fn total(r: &Report, name: &str) -> i64 {
    r.totals[column(r, name)].int()
}

fn text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Int(i) => i.to_string(),
    }
}

/// The figure in `name` of the row whose first cell is `key` (0 when there is no such row).
fn row(r: &Report, key: &str, name: &str) -> i64 {
    let c = column(r, name);
    r.rows.iter().find(|row| text(&row[0]) == key).map_or(0, |row| row[c].int())
}

fn member_code(ev: CardEvent) -> MemberIdentifier {
    match ev {
        CardEvent::MemberCard(code) => MemberIdentifier::Code(code),
        other => panic!("expected a member card, got {other:?}"),
    }
}

#[test]
fn a_business_day_ties_out_at_hq_fen_for_fen() {
    let _pty = devices_lock();
    let hq = Hq::start();
    let branch = hq.demo.branches[BRANCH].id;
    let gold = hq.demo.members[0].clone();
    let gold_before = hq.store().get_member(gold.id).expect("member");

    let mut dev_a = Devices::start();
    let mut a = TestTill::enrol_with(&hq, &hq.code(BRANCH, 0), dev_a.peripherals());
    let dev_b = Devices::start();
    let mut b = TestTill::enrol_with(&hq, &hq.code(BRANCH, 1), dev_b.peripherals());
    a.start_sync();
    b.start_sync();

    // Head office imports today's catalog; the tills pull it by themselves.
    let category = hq.store().list_categories().expect("categories")[0].code.clone();
    let (csv, codes) = catalog_csv(&category);
    let imported = hq_server::import::import_products(
        &*hq.store(),
        &Actor::system(),
        csv.as_bytes(),
        &hq_server::import::ProgressBar::hidden(),
    )
    .expect("import")
    .expect("no bad rows");
    assert_eq!(imported.created, 3);
    for t in [&a, &b] {
        let path = t.path.clone();
        wait_until("the catalog to reach the till", Duration::from_secs(30), || {
            pos_app::store::Store::open(&path).and_then(|s| s.product_by_barcode(&codes[2])).is_ok_and(|p| p.is_some())
        });
    }

    a.open_shift(CASHIER);
    b.open_shift(CASHIER2);
    let float = float().total();
    let mut sales: Vec<CompletedSale> = Vec::new();

    // 1. A walk-in customer at till A: three waters and cigarettes, paid with a ¥100 note.
    //    3 × 2.35 + 25.00 = 32.05, rounded down to 32.00 for cash; change 68.00.
    //    (The scanner drops a repeat of the same code within its duplicate window, so the cashier
    //    scans one water and keys the quantity.)
    for code in [&codes[0], &codes[2]] {
        let read = dev_a.scan(code);
        assert!(matches!(a.till.scan(&read).expect("scan"), ScanOutcome::Added { .. }));
    }
    a.till.set_qty(0, Qty::pieces(3)).expect("quantity");
    let view = a.till.view().expect("view").expect("sale");
    assert_eq!(view.totals.total, Money(3205));
    assert_eq!(view.cash_due, Money(3200));
    a.till.add_cash(Money(10_000)).expect("cash");
    let s1 = a.till.complete(false).expect("complete");
    assert_eq!(s1.sale.totals.rounding, Money(-5));
    assert_eq!(s1.sale.totals.due, Money(3200));
    assert_eq!(s1.sale.change, Money(6800));
    assert!(s1.sale.member.is_none());
    sales.push(s1.sale.clone());

    // 2. A gold member swipes their card on the reader; two waters and a bag of rice, at member
    //    prices; ¥20 on a bank card, the rest in cash.
    let member = member_code(dev_a.swipe_member(&gold.code));
    let attached = a.till.attach_member(member).expect("member found at HQ");
    assert!(attached.online);
    for code in [&codes[0], &codes[1], &codes[0]] {
        let read = dev_a.scan(code);
        a.till.scan(&read).expect("scan");
    }
    let view = a.till.view().expect("view").expect("sale");
    // Member prices: 2 × 2.10 + 35.90 = 40.10 (saving 2 × 0.25 + 4.00 = 4.50 on 44.60); gold earns
    // 1.5 points a yuan: 40.10 × 1.5 = 60.15 → 60.
    assert_eq!(
        (view.totals.gross, view.totals.member_savings, view.totals.total),
        (Money(4460), Money(450), Money(4010))
    );
    assert_eq!(view.points_preview, 60);
    a.till.add_card(Money(2000), "POS-REF-000123").expect("card");
    let cash_due = a.till.view().expect("view").expect("sale").cash_due;
    a.till.add_cash(cash_due + Money(1000)).expect("cash");
    let s2 = a.till.complete(false).expect("complete");
    let earned = s2.sale.member.as_ref().expect("member").points_earned;
    assert_eq!(earned, view.points_preview, "the sale earns what the screen promised");
    assert_eq!(s2.sale.change, Money(1000));
    sales.push(s2.sale.clone());

    // 3. The same member again, paying ¥10.00 from stored value and the rest in cash.
    a.till.attach_member(MemberIdentifier::Code(MemberCode::parse(&gold.code).expect("code"))).expect("member");
    let read = dev_a.scan(&codes[1]);
    a.till.scan(&read).expect("scan");
    let split = a.till.add_stored_value(Money(1000)).expect("stored value held at HQ");
    assert_eq!(split.principal + split.bonus, Money(1000));
    let cash_due = a.till.view().expect("view").expect("sale").cash_due;
    a.till.add_cash(cash_due).expect("exact cash");
    let s3 = a.till.complete(false).expect("complete");
    sales.push(s3.sale.clone());

    // The printer printed every receipt exactly as the engine laid it out, points included.
    let printed = dev_a.receipts(3);
    for (paper, done) in printed.iter().zip([&s1, &s2, &s3]) {
        assert_eq!(paper.text, done.receipt.text(PaperWidth::Mm80));
        assert_eq!(paper.barcodes, vec![done.sale.receipt_no.to_string()]);
    }
    assert!(printed[1].text.contains(&format!("+{earned}")), "{}", printed[1].text);

    // A paid-out at till A, approved by the manager.
    let ok = a.till.approve(ApprovalAction::PaidOut, MANAGER.0, MANAGER.1).expect("approval");
    a.till.paid_out(Money(1550), "快递费", Some(ok)).expect("paid out");

    // 4. Till B: a walk-in customer, rice and water in cash.
    for code in [&codes[1], &codes[0]] {
        b.till.scan(code).expect("scan");
    }
    let cash_due = b.till.view().expect("view").expect("sale").cash_due;
    b.till.add_cash(Money(5000)).expect("cash");
    let s4 = b.till.complete(false).expect("complete");
    assert_eq!(s4.sale.change, Money(5000) - cash_due);
    sales.push(s4.sale.clone());

    // Returns at the other till: a water of sale 2 (partial), and the whole of sale 1.
    a.wait_pushed(Duration::from_secs(30));
    let mut refunds: Vec<Refund> = Vec::new();
    // The two waters scanned apart are one line of quantity 2.
    let water_line = 0;
    assert_eq!(s2.sale.lines[water_line].priced.qty, Qty::pieces(2));
    let ok = b.till.approve(ApprovalAction::Refund, MANAGER.0, MANAGER.1).expect("approval");
    let (partial, _) = b
        .till
        .complete_return(
            &s2.sale.receipt_no,
            &[ReturnPick { line: water_line, qty: Qty::pieces(1) }],
            "顾客多买了一瓶",
            Some(ok),
        )
        .expect("partial return");
    assert!(partial.points_taken_back > 0, "the water's points go back");
    refunds.push(partial);
    let picks: Vec<ReturnPick> =
        s1.sale.lines.iter().enumerate().map(|(line, l)| ReturnPick { line, qty: l.priced.qty }).collect();
    let ok = b.till.approve(ApprovalAction::Refund, MANAGER.0, MANAGER.1).expect("approval");
    let (full, _) = b.till.complete_return(&s1.sale.receipt_no, &picks, "整单退货", Some(ok)).expect("full return");
    assert_eq!(full.total + full.rounding, Money(3200), "what was paid comes back");
    refunds.push(full);
    // Nothing more can be returned of sale 1.
    let again = b.till.approve(ApprovalAction::Refund, MANAGER.0, MANAGER.1).expect("approval");
    let r = b.till.complete_return(&s1.sale.receipt_no, &picks[..1], "again", Some(again));
    assert!(
        matches!(
            r,
            Err(TillError::Refund(RefundError::ExceedsSold {
                line: 0,
                sold: Qty(3000),
                left: Qty(0),
                asked: Qty(3000)
            }))
        ),
        "the three waters are all back already: {:?}",
        r.err()
    );

    // Blind closes: till A's cashier is ¥1.00 short, till B's count is right.
    let x_a = a.till.x_report().expect("X");
    let x_b = b.till.x_report().expect("X");
    let z_a = a.till.close_shift(count_of(x_a.expected - Money(100))).expect("Z");
    let z_b = b.till.close_shift(count_of(x_b.expected)).expect("Z");
    assert_eq!(z_a.report.over_short, Some(Money(-100)));
    assert_eq!(z_b.report.over_short, Some(Money(0)));
    // Till A's drawer: the float, the cash its three sales kept, less the paid-out.
    let kept_a = cash_of(&s1.sale) + cash_of(&s2.sale) + cash_of(&s3.sale);
    assert_eq!(z_a.report.expected, float + kept_a - Money(1550));
    // Till B's: the float and its sale, less the cash it paid back for both returns.
    // (A cash refund's `tendered` is what left the drawer: its amount after cash rounding.)
    let paid_back: Money =
        refunds.iter().flat_map(|r| &r.tenders).filter(|t| t.kind == TenderKind::Cash).map(|t| t.tendered).sum();
    assert_eq!(z_b.report.expected, float + cash_of(&s4.sale) - paid_back);
    assert_ne!(z_a.number, 0);

    // Day end at both tills.
    let day = a.till.business_day().expect("day");
    for t in [&mut a, &mut b] {
        t.till.login(MANAGER.0, MANAGER.1).expect("manager");
        let ok = t.till.approve(ApprovalAction::DayEnd, MANAGER.0, MANAGER.1).expect("approval");
        t.till.day_end(day, Some(ok)).expect("day end");
    }
    a.wait_pushed(Duration::from_secs(30));
    b.wait_pushed(Duration::from_secs(30));
    // Each till kept HQ's audit chain head as HQ answered its day close: a witness that matches.
    use hq_server::store::AuditStore as _;
    for t in [&a, &b] {
        let witnesses = pos_app::store::Store::open(&t.path).expect("till db").witnesses().expect("witnesses");
        assert_eq!(witnesses.len(), 1, "one day closed, one witness");
        assert!(hq.store().check_witnesses(&witnesses).expect("check").is_empty());
    }

    // HQ's reports: exactly these figures.
    let store = hq.store();
    let report = |kind| store.report(&ReportQuery { kind, from: day, to: day, branch: Some(branch) }).expect("report");

    let by_branch = report(ReportKind::SalesByBranch);
    let sum = |f: fn(&CompletedSale) -> Money| sales.iter().map(f).sum::<Money>().0;
    assert_eq!(total(&by_branch, "sales"), 4);
    assert_eq!(total(&by_branch, "gross"), sum(|s| s.totals.gross));
    assert_eq!(total(&by_branch, "member_savings"), sum(|s| s.totals.member_savings));
    assert_eq!(total(&by_branch, "net"), sum(|s| s.totals.total));
    assert_eq!(total(&by_branch, "rounding"), sum(|s| s.totals.rounding));
    assert_eq!(total(&by_branch, "due"), sum(|s| s.totals.due));
    assert_eq!(total(&by_branch, "refunded"), refunds.iter().map(|r| (r.total + r.rounding).0).sum::<i64>());

    // Tenders tie out to the two Z reports, kind by kind.
    let tenders = report(ReportKind::Tenders);
    let mut z_tenders: BTreeMap<String, i64> = BTreeMap::new();
    for z in [&z_a, &z_b] {
        for (kind, amount) in &z.report.tenders {
            *z_tenders.entry(kind.code().to_string()).or_default() += amount.0;
        }
    }
    let (tc, nc) = (column(&tenders, "tender"), column(&tenders, "net"));
    let hq_tenders: BTreeMap<String, i64> =
        tenders.rows.iter().map(|r| (text(&r[tc]), r[nc].int())).filter(|(_, v)| *v != 0).collect();
    z_tenders.retain(|_, v| *v != 0);
    assert_eq!(hq_tenders, z_tenders);
    assert_eq!(row(&tenders, TenderKind::BankCard.code(), "taken"), 2000);
    assert_eq!(row(&tenders, TenderKind::StoredValue.code(), "taken"), 1000);
    let card_back: Money = refunds.iter().map(|r| r.paid_back_by(TenderKind::BankCard)).sum();
    assert_eq!(row(&tenders, TenderKind::BankCard.code(), "paid_back"), card_back.0);

    // Shifts with their over/short, and the day closed at both tills.
    // HQ checked every figure of both tills' day against its own rules and refused none.
    use hq_server::store::{BranchStore as _, SyncStore as _};
    for t in hq.store().list_tills(hq.demo.branches[1].id).expect("tills") {
        let rejected = hq.store().list_events(t.id, true, 100).expect("events");
        assert!(rejected.is_empty(), "till {} had events refused: {rejected:?}", t.number);
    }
    let shifts = report(ReportKind::Shifts);
    assert_eq!(shifts.rows.len(), 2);
    assert_eq!(total(&shifts, "over_short"), -100);
    assert_eq!(total(&shifts, "expected"), (z_a.report.expected + z_b.report.expected).0);
    let day_end = report(ReportKind::DayEnd);
    assert_eq!(day_end.rows.len(), 1);
    assert_eq!(total(&day_end, "tills_closed"), 2);
    assert_eq!(total(&day_end, "shifts_open"), 0);

    // Points: earned by sales 2 and 3, less what the return took back; the member's balance at HQ
    // moved by exactly that, and equals the sum of their ledger.
    let points = report(ReportKind::Points);
    let earned_all: i64 = sales.iter().filter_map(|s| s.member.as_ref()).map(|m| m.points_earned).sum();
    let taken_back: i64 = refunds.iter().map(|r| r.points_taken_back).sum();
    assert_eq!(row(&points, "earn", "points"), earned_all);
    assert_eq!(row(&points, "reverse", "points"), -taken_back);
    let gold_after = store.get_member(gold.id).expect("member");
    assert_eq!(gold_after.points - gold_before.points, earned_all - taken_back);
    assert_eq!(gold_before.stored_value.total() - gold_after.stored_value.total(), Money(1000));
    assert!(store.check_balances().expect("balances").is_empty());
    let stored = report(ReportKind::StoredValue);
    assert_eq!(row(&stored, "spend", "total"), -1000);
}

/// Cash a sale kept: cash tenders minus the change handed back.
fn cash_of(sale: &CompletedSale) -> Money {
    sale.tenders.iter().filter(|t| t.kind == TenderKind::Cash).map(|t| t.amount).sum()
}
