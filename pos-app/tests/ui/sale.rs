//! The sale screen: scanning, typing, search, quick keys, picking lines, hold, void, lock.

use super::*;

#[test]
fn a_wedge_scanner_burst_is_a_scan_even_while_the_cash_prompt_is_up() {
    let mut ui = Ui::new(Lang::En);
    ui.login_and_open_shift();
    ui.press(Input::F(4));
    assert_eq!(ui.app.screen, Screen::Sale(Prompt::Cash));
    // A scanner types 13 digits and Enter within milliseconds.
    let mut at = Instant::now() + Duration::from_secs(120);
    for c in CHIPS.chars() {
        at += Duration::from_millis(3);
        let _ = ui.app.update(Message::Key(Input::Char(c), at));
    }
    at += Duration::from_millis(3);
    let _ = ui.app.update(Message::Key(Input::Enter, at));
    ui.settle();
    assert_eq!(ui.app.snap.cart.as_ref().map(|c| c.lines.len()), Some(1), "the burst became a line");
    assert_eq!(ui.app.entry, "", "and its digits did not stay in the cash entry");
}

#[test]
fn an_unknown_barcode_and_a_bank_card_are_explained_and_change_nothing() {
    let mut ui = Ui::new(Lang::En);
    ui.login_and_open_shift();
    ui.type_slowly("6901234567809");
    ui.press(Input::Enter);
    assert!(matches!(&ui.app.status, Some((Tone::Bad, s)) if s.contains("No product has this barcode")));
    assert!(ui.app.snap.cart.as_ref().is_none_or(|c| c.lines.is_empty()));
    // A bank card swiped on the member reader, as the reader's parser reads it.
    let read = CardReaderParser::new().feed(b";4111111111111111=2512101000000000?\r");
    let Some(CardRead::BankCardRejected(rejected)) = read.into_iter().next() else { panic!("a bank card") };
    let _ = ui.app.update(Message::Card(CardEvent::BankCardRejected(rejected)));
    assert!(
        matches!(&ui.app.status, Some((Tone::Bad, s)) if s.contains("payment terminal") && s.contains("411111******1111")),
        "{:?}",
        ui.app.status
    );
    assert!(ui.app.snap.cart.as_ref().is_none_or(|c| c.member.is_none()));
}

#[test]
fn lines_are_picked_with_the_arrows_or_by_touch_and_removing_one_asks_once() {
    let mut ui = Ui::new(Lang::En);
    ui.login_and_open_shift();
    for code in [COLA, CHIPS, OIL] {
        ui.type_slowly(code);
        ui.press(Input::Enter);
    }
    let names: Vec<String> =
        ui.app.snap.cart.as_ref().expect("cart").lines.iter().map(|l| l.item.name.clone()).collect();
    assert_eq!(ui.app.selected_line(), Some(2), "the line just scanned");
    ui.press(Input::Up);
    assert_eq!(ui.app.selected_line(), Some(1));
    // F3 sets the picked line's quantity, not the last line's.
    ui.press(Input::F(3));
    ui.type_slowly("2");
    ui.press(Input::Enter);
    let qty = |ui: &Ui, i: usize| ui.app.snap.cart.as_ref().expect("cart").lines[i].priced.qty;
    assert_eq!(qty(&ui, 1), shared::money::Qty(2_000));
    assert_eq!(qty(&ui, 2), shared::money::Qty(1_000));

    // F6 asks; another key keeps the line; F6 twice removes the picked one.
    ui.press(Input::F(6));
    assert!(matches!(&ui.app.status, Some((Tone::Info, s)) if s.contains(&names[1])), "{:?}", ui.app.status);
    ui.press(Input::Down);
    ui.press(Input::F(6));
    assert_eq!(ui.app.snap.cart.as_ref().expect("cart").lines.len(), 3, "asked, not removed");
    ui.press(Input::F(6));
    let left: Vec<String> =
        ui.app.snap.cart.as_ref().expect("cart").lines.iter().map(|l| l.item.name.clone()).collect();
    assert_eq!(left, vec![names[0].clone(), names[1].clone()], "the picked line (the third) went");

    // By touch: the first line.
    ui.click(&names[0]);
    assert_eq!(ui.app.selected_line(), Some(0));

    // A quantity above the branch's limit is confirmed first.
    ui.press(Input::F(3));
    ui.type_slowly("1000");
    ui.press(Input::Enter);
    assert_eq!(qty(&ui, 0), shared::money::Qty(1_000), "not set yet");
    assert!(matches!(&ui.app.status, Some((Tone::Info, s)) if s.contains("Enter again")), "{:?}", ui.app.status);
    ui.press(Input::Enter);
    assert_eq!(qty(&ui, 0), shared::money::Qty(1_000_000));
    // The amount keeps to its column: it is on screen, whole.
    let net = ui.app.snap.cart.as_ref().expect("cart").lines[0].net;
    assert!(ui.shows(&net.to_string()));
}

#[test]
fn a_product_is_found_by_name_pinyin_initials_or_plu_from_the_sale_screen() {
    let mut ui = Ui::new(Lang::En);
    ui.login_and_open_shift();
    let names = |ui: &Ui| -> Vec<String> {
        ui.app.snap.cart.as_ref().map(|c| c.lines.iter().map(|l| l.item.name.clone()).collect()).unwrap_or_default()
    };
    // Pinyin initials: one product, added at once; letters are not a bad barcode.
    ui.type_slowly("kkkl");
    ui.press(Input::Enter);
    assert_eq!(names(&ui), vec!["可口可乐 330ml".to_owned()], "{:?}", ui.app.status);
    assert!(ui.app.status.is_none(), "{:?}", ui.app.status);
    // A PLU: the apples, by the kilo.
    ui.type_slowly(&APPLE_PLU.to_string());
    ui.press(Input::Enter);
    assert_eq!(names(&ui).len(), 2, "{:?}", ui.app.status);
    // A name that two products share: a list to pick from.
    ui.type_slowly("乐");
    ui.press(Input::Enter);
    let Screen::Search(hits) = ui.app.screen.clone() else { panic!("{:?} {:?}", ui.app.screen, ui.app.status) };
    assert_eq!(hits.len(), 2);
    let chips = hits.iter().position(|h| h.name.contains("薯片")).expect("the chips are listed");
    assert!(ui.shows(&format!(
        "{}. {}  {} / {}  {}",
        chips + 1,
        hits[chips].name,
        hits[chips].price,
        hits[chips].unit,
        hits[chips].code
    )));
    ui.type_slowly(&(chips + 1).to_string());
    ui.press(Input::Enter);
    assert_eq!(ui.app.screen, Screen::Sale(Prompt::Scan));
    assert_eq!(names(&ui).last().map(String::as_str), Some("乐事薯片 原味 75g"));
    // Nothing found says so.
    ui.type_slowly("zzzz");
    ui.press(Input::Enter);
    assert!(matches!(&ui.app.status, Some((Tone::Bad, s)) if s.contains("zzzz")), "{:?}", ui.app.status);
    assert_eq!(names(&ui).len(), 3);
}

#[test]
fn quick_keys_set_for_the_branch_sell_goods_without_a_barcode() {
    use shared::branch::QuickKey;
    let key = |label: &str, code: &str| QuickKey { label: label.into(), product_code: code.into() };
    let mut ui = Ui::with_branch(Lang::En, |b| {
        b.quick_keys = vec![key("Apples /kg", "P00005"), key("Cola", "P00001"), key("Old biscuits", "P00006")];
    });
    ui.login_and_open_shift();
    assert!(ui.shows("Apples /kg") && ui.shows("Cola"));
    assert!(!ui.shows("Old biscuits"), "a delisted product has no key");
    ui.click("Cola");
    let cart = ui.app.snap.cart.clone().expect("cart");
    assert_eq!(cart.lines.last().map(|l| l.item.name.as_str()), Some("可口可乐 330ml"));
    // Sold by weight: the weight is asked next.
    ui.click("Apples /kg");
    assert_eq!(ui.app.screen, Screen::Sale(Prompt::Qty));
    ui.type_slowly("0.75");
    ui.press(Input::Enter);
    let line = ui.app.snap.cart.as_ref().expect("cart").lines.last().cloned().expect("apples");
    assert_eq!(line.item.name, "红富士苹果");
    assert_eq!(line.priced.qty, shared::money::Qty(750));
}

#[test]
fn hold_and_void_confirm_the_tier_is_in_words_and_f11_locks_to_the_same_cashier_pin() {
    let mut ui = Ui::new(Lang::ZhCn);
    ui.login_and_open_shift();
    let phone = gold_member().phone.expect("phone").as_str().to_owned();
    ui.press(Input::F(2));
    ui.type_slowly(&phone);
    ui.press(Input::Enter);
    ui.type_slowly(COLA);
    ui.press(Input::Enter);
    assert!(
        ui.shows(&format!("会员: 陈小姐 · 金卡会员 · 积分 5000 · 储值余额 {}", Money(22_000))),
        "the tier in words"
    );
    ui.press(Input::F(8));
    assert!(matches!(&ui.app.status, Some((Tone::Good, s)) if s.contains("已挂单")), "{:?}", ui.app.status);
    // The next action clears it.
    ui.press(Input::F(8));
    ui.press(Input::Escape);
    assert!(ui.app.status.is_none(), "{:?}", ui.app.status);
    ui.type_slowly(OIL);
    ui.press(Input::Enter);
    ui.press(Input::F(7));
    ui.type_slowly(&format!("{MANAGER} {MANAGER_PIN}"));
    ui.press(Input::Enter);
    assert!(matches!(&ui.app.status, Some((Tone::Good, s)) if s.contains("本单已取消")), "{:?}", ui.app.status);

    // F11: a PIN-only screen; another PIN does not open it, the cashier's own does.
    ui.press(Input::F(11));
    assert_eq!(ui.app.screen, Screen::Locked);
    ui.type_slowly(MANAGER_PIN);
    ui.press(Input::Enter);
    assert_eq!(ui.app.screen, Screen::Locked);
    ui.type_slowly(CASHIER_PIN);
    ui.press(Input::Enter);
    assert_eq!(ui.app.screen, Screen::Sale(Prompt::Scan));
    assert_eq!(ui.app.snap.staff.as_ref().map(|s| s.login.as_str()), Some(CASHIER));
}

#[test]
fn the_rendered_screens_work_by_mouse_and_touch_too() {
    let mut ui = Ui::new(Lang::En);
    assert!(ui.shows("Cashier login"));
    // The PIN pad: 1001, Enter, 1234, Enter.
    for digit in CASHIER.chars() {
        ui.click(&digit.to_string());
    }
    ui.click("Sign in  Enter");
    for digit in CASHIER_PIN.chars() {
        ui.click(&digit.to_string());
    }
    ui.click("Sign in  Enter");
    assert_eq!(ui.app.screen, Screen::OpenShift);
    assert!(ui.shows("Open shift: count the float"));
    ui.type_slowly("3");
    ui.click("Open shift  Enter");
    assert!(ui.shows("Waiting for the first item"));

    ui.type_slowly(OIL);
    ui.press(Input::Enter);
    let due = ui.app.snap.cart.as_ref().expect("cart").cash_due;
    assert!(ui.shows(&format!("Due {due}")));
    ui.click("Cash  F4");
    assert!(ui.shows("Type the cash handed over, Enter to finish (Enter alone = exact)"));
    ui.press(Input::Enter);
    assert_eq!(ui.devices.log().receipts.len(), 1, "printed");

    // A return: the receipt's number, the return screen lists its lines, * takes them all back.
    let receipt = ui.app.last_receipt.clone().expect("receipt").receipt_no.to_string();
    ui.type_slowly(&receipt);
    ui.press(Input::Enter);
    assert!(ui.shows(&format!("Return: receipt {receipt}")), "{:?}", ui.app.screen);
    ui.type_slowly("*");
    ui.press(Input::Enter);
    assert!(ui.shows("A manager must approve: type login, space, PIN, then Enter"));
    ui.type_slowly(&format!("{MANAGER} {MANAGER_PIN}"));
    ui.press(Input::Enter);
    assert!(matches!(&ui.app.status, Some((Tone::Good, s)) if s.contains("Refund done")), "{:?}", ui.app.status);
    assert_eq!(ui.devices.log().receipts.len(), 2, "the refund printed");

    ui.click("X report  F9");
    assert!(ui.shows("X report (shift stays open)"));
    ui.click("Back  Esc");
    ui.click("Close shift  F10");
    assert!(ui.shows("Close shift: blind cash count"));
    ui.type_slowly("3");
    ui.press(Input::Enter);
    assert!(matches!(ui.app.screen, Screen::ZReport(..)), "{:?}", ui.app.screen);
    // The Z report's figures are on screen.
    let Screen::ZReport(z, _) = ui.app.screen.clone() else { unreachable!() };
    assert!(ui.shows(&format!("Over / short: {}", z.over_short.expect("counted"))));
}

#[test]
fn the_member_s_coupons_are_picked_by_touch_shown_with_their_saving_and_taken_off_again() {
    let mut ui = Ui::new(Lang::ZhCn);
    let now = jiff::Timestamp::now();
    let code = shared::promotions::coupons::CouponCode::new(
        shared::promotions::coupons::CampaignId(2),
        shared::promotions::coupons::CouponId(7),
        &[2, 7, 1, 8, 2],
    );
    ui.hq.add_coupon(
        code.clone(),
        shared::promotions::coupons::Coupon {
            id: shared::promotions::coupons::CouponId(7),
            name: "满50减5".into(),
            kind: shared::promotions::coupons::CouponKind::AmountOff {
                scope: shared::promotions::Scope { all_products: true, ..Default::default() },
                min_spend: Money::yuan(50),
                off: Money::yuan(5),
            },
            offline_allowed: false,
        },
        ui.member.id,
        now - jiff::SignedDuration::from_hours(1),
        now + jiff::SignedDuration::from_hours(24),
    );
    ui.login_and_open_shift();
    ui.type_slowly(OIL);
    ui.press(Input::Enter);
    // Without a member there is no list to pick from.
    ui.click("会员券 Ins");
    assert!(ui.app.coupon_choices.is_empty());
    let phone = ui.member.phone.clone().expect("phone").to_string();
    ui.press(Input::F(2));
    ui.type_slowly(&phone);
    ui.press(Input::Enter);
    // Insert lists the member's coupons; one touch puts it on the sale.
    ui.press(Input::F(15));
    assert_eq!(ui.app.coupon_choices.len(), 1);
    // Its last day in the branch's time (the demo's and these tests' branch: Shanghai).
    let choice = ui.app.coupon_choices[0].1.clone();
    let local =
        ui.app.coupon_choices[0].0.valid_until.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").expect("zone"));
    assert_eq!(choice, local.strftime("%m-%d").to_string());
    ui.click(&format!("券 满50减5 · 有效期至 {choice}"));
    let cart = ui.app.snap.cart.clone().expect("the sale");
    assert_eq!(cart.coupons.len(), 1);
    assert_eq!(cart.totals.coupon_discounts, Money(500));
    assert!(ui.shows("券 满50减5 -¥5.00"), "the saving is on the panel");
    assert!(ui.app.coupon_choices.is_empty());
    // ✕ takes it off again; HQ has it back.
    ui.click("✕");
    assert!(ui.app.snap.cart.as_ref().expect("the sale").coupons.is_empty());
    assert!(!ui.hq.coupon_held(shared::promotions::coupons::CouponId(7)));
}

#[test]
fn a_member_s_phone_code_is_scanned_or_typed_and_its_refusals_say_what_to_do() {
    let mut ui = Ui::new(Lang::En);
    let phone = ui.member_with_a_phone();
    ui.login_and_open_shift();
    let said = |ui: &Ui, words: &str| matches!(&ui.app.status, Some((Tone::Bad, s)) if s.contains(words));
    // Typed in the barcode field: a code of a minute ago has expired.
    ui.type_slowly(&phone(60));
    ui.press(Input::Enter);
    assert!(said(&ui, "ask the member to refresh the code on their phone"), "{:?}", ui.app.status);
    assert!(ui.app.snap.cart.as_ref().is_none_or(|c| c.member.is_none() && c.lines.is_empty()));
    // One of another phone is not valid.
    let other = shared::member_code::MemberSecret::from_bytes([8; 20]);
    ui.type_slowly(&phone_code(&ui.member.code, &other, 0));
    ui.press(Input::Enter);
    assert!(said(&ui, "not valid"), "{:?}", ui.app.status);

    // At the member prompt (F2) the code of now attaches the member.
    ui.press(Input::F(2));
    ui.type_slowly(&phone(0));
    ui.press(Input::Enter);
    let member = ui.app.snap.cart.as_ref().and_then(|c| c.member.clone()).expect("the member is on the sale");
    assert_eq!(member.identifier, shared::member::MemberIdentifier::Code(ui.member.code.clone()));
    assert!(member.online);

    // Offline, a member the till holds no secret for cannot be checked: the card or phone number can.
    ui.hq.set_online(false);
    let stranger = shared::catalog::MemberCode::parse("0000099999").expect("a number");
    ui.press(Input::F(2));
    ui.type_slowly(&phone_code(&stranger, &other, 0));
    ui.press(Input::Enter);
    assert!(said(&ui, "scan the member's card or enter their phone number"), "{:?}", ui.app.status);
}
