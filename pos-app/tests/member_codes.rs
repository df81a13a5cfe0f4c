//! A member's rotating code (spec/domain.md, "A member's rotating code"): `88`, the member number
//! and a TOTP, as the member pages show it. The till attaches the member as for a card once the
//! code is found to be the member's code of now (one step either side): by HQ online, with the
//! secret of the member it holds offline. The fake HQ keeps the till's clock, so time moves for both.

mod common;

use common::*;
use jiff::{SignedDuration, Timestamp};
use pos_app::TillError;
use pos_app::clock::Clock;
use pos_app::engine::{CartMember, ScanOutcome};
use shared::catalog::{CategoryId, MemberCode, Product, ProductId, ProductStatus};
use shared::member::{MemberIdentifier, MemberStatus};
use shared::member_code::{MemberSecret, code_at};
use shared::money::{Bp, Money};
use shared::sync::{Change, Event};

/// The secret HQ made for the member when they signed in to the member pages.
fn secret() -> MemberSecret {
    MemberSecret::from_bytes([7; 20])
}

/// A secret that is not the member's.
fn another_secret() -> MemberSecret {
    MemberSecret::from_bytes([8; 20])
}

/// The code a phone holding `secret` shows for member `code` at `at`.
fn code_of(code: &MemberCode, secret: &MemberSecret, at: Timestamp) -> String {
    let unix = u64::try_from(at.as_second()).expect("after 1970");
    code_at(code, secret, unix).expect("a ten-digit member number").text()
}

/// A till whose HQ keeps the till's time and holds the member's secret. The till's clock stands
/// at 10:00:00 in Shanghai, the start of a 30-second step.
fn till_and_member_with_a_secret() -> TestTill {
    let mut t = TestTill::ready();
    t.member.code_secret = Some(secret());
    t.hq.add_member(t.member.clone());
    t.hq.set_clock(t.clock.clone());
    t
}

/// What the member's phone shows at `at`, if it holds `secret`.
fn phone(t: &TestTill, secret: &MemberSecret, at: Timestamp) -> String {
    code_of(&t.member.code, secret, at)
}

fn attached(outcome: ScanOutcome) -> CartMember {
    match outcome {
        ScanOutcome::MemberAttached(m) => *m,
        other => panic!("the member was not attached: {other:?}"),
    }
}

fn member_on_sale(t: &TestTill) -> Option<&CartMember> {
    t.till.cart().and_then(|c| c.member.as_ref())
}

fn secs(s: i64) -> SignedDuration {
    SignedDuration::from_secs(s)
}

#[test]
fn a_member_code_of_now_attaches_the_member_by_their_number_as_a_card_would() {
    let mut t = till_and_member_with_a_secret();
    let now = t.clock.now();
    let m = attached(ok(t.till.scan(&phone(&t, &secret(), now))));
    assert!(m.online, "HQ checked the code");
    assert_eq!(m.identifier, MemberIdentifier::Code(t.member.code.clone()), "the static number, not the code");
    let snapshot = m.snapshot.as_ref().expect("HQ's member");
    assert_eq!(snapshot.id, t.member.id);
    assert_eq!(snapshot.code_secret, None, "the sale does not carry the secret");
    assert_eq!(member_on_sale(&t), Some(&m));
    // The member's prices apply: cola at the member price.
    ok(t.till.scan(COLA));
    assert_eq!(ok(t.till.view()).expect("a sale").lines[0].net, Money(300));
}

#[test]
fn a_code_is_accepted_through_the_next_step_and_refused_as_expired_after() {
    let mut t = till_and_member_with_a_secret();
    // The phone showed this code at 10:00:00, the start of its step.
    let shown = phone(&t, &secret(), t.clock.now());
    // At 10:00:59 the till is one step on: the step before is still accepted.
    t.clock.advance(secs(59));
    attached(ok(t.till.scan(&shown)));
    ok(t.till.detach_member());
    // At 10:01:00 the code is two steps old.
    t.clock.advance(secs(1));
    assert!(matches!(t.till.scan(&shown), Err(TillError::MemberCodeExpired)));
    assert_eq!(member_on_sale(&t), None, "nothing attached");
    // A phone whose clock runs a step ahead is accepted too.
    let ahead = phone(&t, &secret(), t.clock.now() + secs(30));
    attached(ok(t.till.scan(&ahead)));
}

#[test]
fn a_code_made_with_another_secret_is_refused_as_not_valid() {
    let mut t = till_and_member_with_a_secret();
    let forged = phone(&t, &another_secret(), t.clock.now());
    assert!(matches!(t.till.scan(&forged), Err(TillError::MemberCodeNotValid)));
    assert!(t.till.cart().is_none(), "nothing attached, no sale started");

    // A member who has no secret at HQ (never signed in to the member pages) has no valid code.
    let mut t = TestTill::ready();
    t.hq.set_clock(t.clock.clone());
    let code = phone(&t, &secret(), t.clock.now());
    assert!(matches!(t.till.scan(&code), Err(TillError::MemberCodeNotValid)));
    assert!(t.till.cart().is_none());
}

#[test]
fn a_code_naming_a_member_hq_does_not_know_is_refused_as_not_found() {
    let mut t = till_and_member_with_a_secret();
    let nobody = MemberCode::parse("0000099999").expect("a number");
    let code = code_of(&nobody, &secret(), t.clock.now());
    assert!(matches!(t.till.scan(&code), Err(TillError::MemberNotFound)));
    assert!(t.till.cart().is_none(), "not kept as an identifier: a code that was not checked");
}

#[test]
fn offline_the_till_checks_the_code_with_the_secret_of_the_member_it_holds() {
    let mut t = till_and_member_with_a_secret();
    // A card scan online brings the member into the till's cache, secret and all.
    ok(t.till.scan("2900000123458"));
    ok(t.till.detach_member());
    t.hq.set_online(false);

    let m = attached(ok(t.till.scan(&phone(&t, &secret(), t.clock.now()))));
    assert!(!m.online, "checked by the till");
    assert_eq!(m.identifier, MemberIdentifier::Code(t.member.code.clone()));
    assert_eq!(m.snapshot.as_ref().map(|s| (s.id, s.tier.as_str())), Some((t.member.id, "gold")));
    ok(t.till.detach_member());

    // By the till's own clock: a code of two steps ago is expired, one of another secret not valid.
    let old = phone(&t, &secret(), t.clock.now() - secs(60));
    assert!(matches!(t.till.scan(&old), Err(TillError::MemberCodeExpired)));
    let forged = phone(&t, &another_secret(), t.clock.now());
    assert!(matches!(t.till.scan(&forged), Err(TillError::MemberCodeNotValid)));
    assert_eq!(member_on_sale(&t), None, "nothing attached");
    // The code of the step before is still good offline.
    let before = phone(&t, &secret(), t.clock.now() - secs(30));
    attached(ok(t.till.scan(&before)));
}

#[test]
fn offline_a_code_the_till_holds_no_secret_for_is_refused_and_the_card_still_works() {
    // The member is cached (by a card scan) but had no secret when HQ last answered.
    let mut t = TestTill::ready();
    ok(t.till.scan("2900000123458"));
    ok(t.till.detach_member());
    t.hq.set_online(false);
    let code = phone(&t, &secret(), t.clock.now());
    let refused = t.till.scan(&code);
    assert!(matches!(refused, Err(TillError::MemberCodeOffline)), "{refused:?}");
    let words = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(words.contains("card") && words.contains("phone number"), "says what works instead: {words}");
    assert_eq!(member_on_sale(&t), None);

    // A member the till has never seen: not even the number is kept, since the code was not checked.
    let nobody = MemberCode::parse("0000099999").expect("a number");
    let code = code_of(&nobody, &secret(), t.clock.now());
    assert!(matches!(t.till.scan(&code), Err(TillError::MemberCodeOffline)));
    assert_eq!(member_on_sale(&t), None);

    // The card works offline as before.
    let m = attached(ok(t.till.scan("2900000123458")));
    assert!(!m.online);
}

#[test]
fn a_rotating_code_is_never_looked_up_as_a_product_even_one_with_that_barcode() {
    let mut t = till_and_member_with_a_secret();
    let forged = phone(&t, &another_secret(), t.clock.now());
    // A product whose barcode is that very text.
    let product = Product {
        brand: None,
        id: ProductId(77),
        code: "P00077".into(),
        barcodes: vec![forged.clone()],
        name: "一个不该被扫到的商品".into(),
        short_name: String::new(),
        category: CategoryId(1),
        unit: "个".into(),
        retail_price: Money(100),
        member_price: None,
        vat: Bp(1300),
        points_eligible: true,
        discount_eligible: true,
        weighed: false,
        plu: None,
        status: ProductStatus::Active,
    };
    t.store().apply_changes(&[Change::Product(product)]).expect("pulled");
    assert!(t.till.store().product_by_barcode(&forged).expect("lookup").is_some(), "the store has it");

    assert!(matches!(t.till.scan(&forged), Err(TillError::MemberCodeNotValid)));
    t.hq.set_online(false);
    assert!(matches!(t.till.scan(&forged), Err(TillError::MemberCodeOffline)), "uncached: cannot check");
    assert!(t.till.cart().is_none_or(|c| c.lines.is_empty()), "no line was added");
}

#[test]
fn the_pulled_secret_survives_a_restart_and_the_sale_records_the_member_number() {
    let mut t = TestTill::ready();
    // The member arrives with the pull, secret included (kept in the member cache's JSON).
    let mut pulled = t.member.clone();
    pulled.code_secret = Some(secret());
    t.store().apply_changes(&[Change::Member(pulled)]).expect("pulled");
    t.restart();
    ok(t.till.login(CASHIER, CASHIER_PIN));
    let by = MemberIdentifier::Code(t.member.code.clone());
    let cached = t.till.store().cached_member(&by).expect("read").expect("cached");
    assert_eq!(cached.code_secret, Some(secret()));

    t.hq.set_online(false);
    ok(t.till.scan(OIL));
    let m = attached(ok(t.till.scan(&phone(&t, &secret(), t.clock.now()))));
    assert!(!m.online);
    // Neither the saved sale nor its event carries the secret.
    let saved = t.store().cart_json().expect("read").expect("the sale is saved");
    assert!(!saved.contains(&secret().to_hex()), "{saved}");

    ok(t.till.add_cash(Money(10_000)));
    let done = ok(t.till.complete(false));
    let on_sale = done.sale.member.as_ref().expect("the member is on the sale");
    assert_eq!(on_sale.identifier, by, "the static number: HQ attributes it as for a card");
    assert_eq!(on_sale.member_id, Some(t.member.id));
    assert_eq!(on_sale.tier.as_deref(), Some("gold"));
    let events = t.store().all_events(10).expect("outbox");
    let sent = events.iter().find_map(|e| match &e.envelope.event {
        Event::SaleCompleted(s) => Some(s.clone()),
        _ => None,
    });
    assert_eq!(sent.as_ref(), Some(&done.sale));
}

#[test]
fn the_card_s_rules_hold_for_a_code_a_blocked_member_and_a_sale_with_payments_are_refused() {
    let mut t = till_and_member_with_a_secret();
    ok(t.till.scan(COLA));
    ok(t.till.add_cash(Money(100)));
    let code = phone(&t, &secret(), t.clock.now());
    assert!(matches!(t.till.scan(&code), Err(TillError::TendersPresent)));
    assert_eq!(member_on_sale(&t), None);

    let mut t = till_and_member_with_a_secret();
    t.member.status = MemberStatus::Blocked;
    t.hq.add_member(t.member.clone());
    let code = phone(&t, &secret(), t.clock.now());
    assert!(matches!(t.till.scan(&code), Err(TillError::MemberBlocked)));
    assert_eq!(member_on_sale(&t), None);
}

#[test]
fn a_code_typed_at_the_member_prompt_is_checked_as_a_code() {
    let mut t = till_and_member_with_a_secret();
    let typed = |text: &str| MemberIdentifier::Code(MemberCode::parse(text).expect("digits"));
    // Find a code of two steps ago that also reads as a (long) member number.
    let old = (0..20)
        .map(|back| phone(&t, &secret(), t.clock.now() - secs(60 + 30 * back)))
        .find(|c| MemberCode::parse(c).is_ok())
        .expect("most codes do");
    assert!(matches!(t.till.attach_member(typed(&old)), Err(TillError::MemberCodeExpired)));
    assert_eq!(member_on_sale(&t), None, "not attached as an unknown number either");
    let now = (0..2)
        .map(|back| phone(&t, &secret(), t.clock.now() - secs(30 * back)))
        .find(|c| MemberCode::parse(c).is_ok())
        .expect("this step's or the one before reads as a number");
    let m = ok(t.till.attach_member(typed(&now)));
    assert_eq!(m.identifier, MemberIdentifier::Code(t.member.code.clone()));
}

/// An HQ stand-in on a loopback port: answers each request in turn with the next of `answers`
/// (status, JSON body) and hands over what it was sent (path, body).
fn stand_in_hq(answers: Vec<(u16, String)>) -> (String, std::sync::mpsc::Receiver<(String, String)>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for (status, body) in answers {
            let Ok((stream, _)) = listener.accept() else { return };
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            reader.read_line(&mut request_line).expect("request line");
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).expect("header");
                if header.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().expect("a length");
                }
            }
            let mut sent = vec![0; length];
            reader.read_exact(&mut sent).expect("body");
            let path = request_line.split_whitespace().nth(1).unwrap_or_default().to_owned();
            let _ = tx.send((path, String::from_utf8(sent).expect("utf-8")));
            let answer = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            reader.get_mut().write_all(answer.as_bytes()).expect("answer");
        }
    });
    (url, rx)
}

#[test]
fn over_http_the_till_sends_the_code_with_the_member_number_and_reads_hq_s_refusals() {
    use pos_app::sync::{HqAuthority, HqClient, Timeouts};
    use shared::sync::{ErrorBody, MemberLookupRequest, MemberLookupResponse, member_code_refusal};
    let mut t = TestTill::ready();
    let refusal = |code: &str| {
        let body = ErrorBody { error: code.into(), message: "refused".into() };
        (409, serde_json::to_string(&body).expect("json"))
    };
    let mut member = t.member.clone();
    member.code_secret = Some(secret());
    let found = MemberLookupResponse { member, policy_version: 1, promotion_uses: Vec::new(), code_checked: true };
    // An HQ that answers without saying it checked the code (one from before rotating codes).
    let unchecked = MemberLookupResponse { code_checked: false, ..found.clone() };
    let (url, sent) = stand_in_hq(vec![
        refusal(member_code_refusal::EXPIRED),
        refusal(member_code_refusal::NOT_VALID),
        (200, serde_json::to_string(&unchecked).expect("json")),
        (200, serde_json::to_string(&found).expect("json")),
    ]);
    let client = HqClient::new(&url, Some("token".into()), Timeouts::default()).expect("a client");
    t.till.set_authority(Box::new(HqAuthority::new(client, Timeouts::default().online).expect("an authority")));

    let code = phone(&t, &secret(), t.clock.now());
    assert!(matches!(t.till.scan(&code), Err(TillError::MemberCodeExpired)));
    let (path, body) = sent.recv().expect("a request");
    assert_eq!(path, "/api/v1/till/members/lookup");
    let request: MemberLookupRequest = serde_json::from_str(&body).expect("a lookup request");
    assert_eq!(
        request,
        MemberLookupRequest { by: MemberIdentifier::Code(t.member.code.clone()), rotating_code: Some(code.clone()) }
    );
    assert!(matches!(t.till.scan(&code), Err(TillError::MemberCodeNotValid)));
    assert_eq!(member_on_sale(&t), None);
    // An answer that does not say the code was checked attaches no one.
    assert!(matches!(t.till.scan(&code), Err(TillError::MemberCodeNotValid)));
    assert_eq!(member_on_sale(&t), None);

    let m = attached(ok(t.till.scan(&code)));
    assert!(m.online);
    assert_eq!(m.identifier, MemberIdentifier::Code(t.member.code.clone()));
    // What HQ sent is cached, secret included, for the next code offline.
    let cached = t.till.store().cached_member(&m.identifier).expect("read").expect("cached");
    assert_eq!(cached.code_secret, Some(secret()));
}
