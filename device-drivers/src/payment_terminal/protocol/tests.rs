use std::time::{Duration, Instant};

use shared::Money;

use super::*;

fn id(s: &str) -> RequestId {
    RequestId::parse(s).expect("a request id")
}

fn reference(s: &str) -> ReferenceNo {
    ReferenceNo::parse(s).expect("a reference")
}

fn approval(amount: i64) -> Approval {
    Approval {
        kind: TransactionKind::Sale,
        amount: Money(amount),
        card: MaskedPan::from_field(b"6222021234567890128").expect("a card"),
        auth_code: "A1B2C3".into(),
        reference: reference("880000000001"),
        trace: "000123".into(),
    }
}

/// The frame of the spec's example, byte for byte.
#[test]
fn a_sale_frame_byte_for_byte() {
    let sale = Request::sale(id("000042"), Money(1250)).expect("a sale");
    let f = sale.frame().expect("frames");
    let mut want = vec![STX, 0x00, 0x22];
    want.extend(b"SA\x1c000042\x1c000000001250");
    want.push(ETX);
    want.push(lrc(&want[1..]));
    assert_eq!(f, want);
    assert_eq!(*f.last().expect("an LRC"), 0x33, "the LRC in docs/payment-terminal.md");
    assert_eq!(
        f,
        [
            0x02, 0x00, 0x22, 0x53, 0x41, 0x1C, 0x30, 0x30, 0x30, 0x30, 0x34, 0x32, 0x1C, 0x30, 0x30, 0x30, 0x30, 0x30,
            0x30, 0x30, 0x30, 0x31, 0x32, 0x35, 0x30, 0x03, 0x33
        ]
    );
    // And what the other requests look like.
    let payload = |r: Request| String::from_utf8(r.payload().expect("payload")).expect("ascii");
    assert_eq!(payload(Request::Query { id: id("000042") }), "QY\x1c000042");
    assert_eq!(payload(Request::Void { id: id("000043"), original: id("000042") }), "VD\x1c000043\x1c000042");
    assert_eq!(
        payload(Request::refund(id("000044"), reference("123456789012"), Money(500)).expect("a refund")),
        "RF\x1c000044\x1c123456789012\x1c000000000500"
    );
    // A 100-byte payload has length 01 00 in BCD.
    let f = frame(&[b'x'; 100]).expect("frames");
    assert_eq!(&f[..3], &[STX, 0x01, 0x00]);
    assert_eq!(frame(&[0; MAX_PAYLOAD + 1]), Err(ProtocolError::PayloadTooLong { len: MAX_PAYLOAD + 1 }));
}

#[test]
fn requests_read_back() {
    for r in [
        Request::sale(id("B001-01-000042-1"), Money(1)).expect("sale"),
        Request::sale(id("x"), MAX_AMOUNT).expect("sale"),
        Request::Query { id: id("q_1") },
        Request::Void { id: id("v1"), original: id("s1") },
        Request::refund(id("r1"), reference("ABC123456789"), Money(99)).expect("refund"),
    ] {
        assert_eq!(Request::parse(&r.payload().expect("payload")), Ok(r));
    }
}

#[test]
fn an_amount_of_zero_is_refused_everywhere() {
    assert_eq!(Request::sale(id("1"), Money(0)), Err(ProtocolError::ZeroAmount));
    assert_eq!(Request::sale(id("1"), Money(-1)), Err(ProtocolError::NegativeAmount));
    assert_eq!(Request::sale(id("1"), Money(MAX_AMOUNT.0 + 1)), Err(ProtocolError::AmountTooLarge));
    assert_eq!(Request::refund(id("1"), reference("123456789012"), Money(0)), Err(ProtocolError::ZeroAmount));
    // Built by hand, it still does not go out.
    let bad = Request::Sale { id: id("1"), amount: Money(0) };
    assert_eq!(bad.frame(), Err(ProtocolError::ZeroAmount));
    let mut s = TillSession::new(TerminalOptions::default());
    assert_eq!(s.start(bad, Instant::now()), Err(StartError::Invalid(ProtocolError::ZeroAmount)));
    assert!(s.is_idle());
    // Read from the wire, refused.
    assert_eq!(Request::parse(b"SA\x1c1\x1c000000000000"), Err(ProtocolError::ZeroAmount));
    let a = Answer { id: id("1"), outcome: Outcome::Approved(approval(1)) };
    let p = String::from_utf8(a.payload().expect("payload")).expect("ascii").replace("000000000001", "000000000000");
    assert_eq!(Answer::parse(p.as_bytes()), Err(ProtocolError::ZeroAmount));
}

#[test]
fn ids_and_references() {
    assert!(RequestId::parse("").is_err());
    assert!(RequestId::parse(&"9".repeat(33)).is_err());
    assert!(RequestId::parse("a b").is_err());
    assert!(RequestId::parse("a\x1cb").is_err());
    assert!(RequestId::parse(&"9".repeat(32)).is_ok());
    assert!(ReferenceNo::parse("12345678901").is_err());
    assert!(ReferenceNo::parse("12345678901-").is_err());
}

#[test]
fn answers_read_back() {
    let answers = [
        Answer { id: id("000042"), outcome: Outcome::Approved(approval(1250)) },
        Answer {
            id: id("000042"),
            outcome: Outcome::Declined(Decline {
                kind: TransactionKind::Sale,
                code: "51".into(),
                message: "余额不足".into(),
            }),
        },
        Answer { id: id("000042"), outcome: Outcome::Busy },
        Answer { id: id("000042"), outcome: Outcome::NotFound },
    ];
    for a in answers {
        assert_eq!(Answer::parse(&a.payload().expect("payload")), Ok(a));
    }
    let a = Answer { id: id("000042"), outcome: Outcome::Approved(approval(1250)) };
    assert_eq!(
        a.payload().expect("payload"),
        b"AP\x1c000042\x1cSA\x1c000000001250\x1c622202*********0128\x1cA1B2C3\x1c880000000001\x1c000123"
    );
    // The decline message is GBK on the wire.
    let d = Answer {
        id: id("7"),
        outcome: Outcome::Declined(Decline {
            kind: TransactionKind::Sale,
            code: "51".into(),
            message: "余额不足".into(),
        }),
    };
    assert_eq!(d.payload().expect("payload"), b"DC\x1c7\x1cSA\x1c51\x1c\xd3\xe0\xb6\xee\xb2\xbb\xd7\xe3");
    // An empty auth code (debit cards) reads.
    let p = b"AP\x1c1\x1cSA\x1c000000000100\x1c622202******0123\x1c\x1c123456789012\x1c000001";
    assert!(matches!(Answer::parse(p), Ok(Answer { outcome: Outcome::Approved(ref a), .. }) if a.auth_code.is_empty()));
}

#[test]
fn bad_answers_are_clear_errors() {
    let check = |p: &[u8], e: ProtocolError| assert_eq!(Answer::parse(p), Err(e), "{}", String::from_utf8_lossy(p));
    check(b"", ProtocolError::UnknownMessage);
    check(b"ZZ\x1c1", ProtocolError::UnknownMessage);
    check(b"BY", ProtocolError::FieldCount { message: "busy", expected: 2, got: 1 });
    check(b"BY\x1c", ProtocolError::BadRequestId);
    check(
        b"AP\x1c1\x1cSA\x1c12.50\x1c622202******0123\x1c\x1c123456789012\x1c000001",
        ProtocolError::BadField("amount"),
    );
    check(
        b"AP\x1c1\x1cXX\x1c000000000100\x1c622202******0123\x1c\x1c123456789012\x1c000001",
        ProtocolError::BadField("transaction kind"),
    );
    check(b"AP\x1c1\x1cSA\x1c000000000100\x1c6222\x1c\x1c123456789012\x1c000001", ProtocolError::BadField("card"));
    check(
        b"AP\x1c1\x1cSA\x1c000000000100\x1c622202***456*0123\x1c\x1c123456789012\x1c000001",
        ProtocolError::BadField("card"),
    );
    check(
        b"AP\x1c1\x1cSA\x1c000000000100\x1c622202******0123\x1cTOOLONG\x1c123456789012\x1c000001",
        ProtocolError::BadField("auth code"),
    );
    check(b"AP\x1c1\x1cSA\x1c000000000100\x1c622202******0123\x1c\x1c1234\x1c000001", ProtocolError::BadReference);
    check(
        b"AP\x1c1\x1cSA\x1c000000000100\x1c622202******0123\x1c\x1c123456789012\x1c1",
        ProtocolError::BadField("trace"),
    );
    check(b"DC\x1c1\x1cSA\x1c5\x1cno", ProtocolError::BadField("response code"));
}

/// A terminal set up to send the whole card number: masked as it is read, and nothing of it
/// is kept, shown or returned.
#[test]
fn a_full_card_number_is_masked_at_once_and_never_kept() {
    let pan = "6222021234567890128";
    let a = approval(1250);
    let payload = approval_payload(&id("000042"), &a, pan).expect("payload");
    let bytes = frame(&payload).expect("frames");
    let mut s = TillSession::new(TerminalOptions::default());
    let t = Instant::now();
    s.start(Request::sale(id("000042"), Money(1250)).expect("sale"), t).expect("sent");
    // Half the frame: the reader holds it, its Debug does not show it.
    let steps = s.feed(&bytes[..30], t);
    assert!(steps.is_empty(), "{steps:?}");
    assert!(!format!("{s:?}").contains("62220212"), "{s:?}");
    let steps = s.feed(&bytes[30..], t);
    assert!(s.holds_nothing(), "the reader's buffer is zeroed");
    let shown = format!("{steps:?}");
    assert!(!shown.contains(pan) && !shown.contains("0212345678"), "{shown}");
    let Some(Step::Answered(answer)) = steps.into_iter().find(|s| matches!(s, Step::Answered(_))) else {
        panic!("no answer")
    };
    let Outcome::Approved(approved) = &answer.outcome else { panic!("{answer:?}") };
    assert_eq!(approved.card.as_str(), "622202*********0128");
    assert_eq!((approved.card.first6(), approved.card.last4()), ("622202", "0128"));
    let json = serde_json::to_string(&answer).expect("serialises");
    assert!(!json.contains(pan), "{json}");
    // A full number never comes back in through serde either.
    assert!(serde_json::from_str::<MaskedPan>(&format!("\"{pan}\"")).is_err());
    assert!(serde_json::from_str::<MaskedPan>("\"622202*********0128\"").is_ok());
    // A frame whose payload is dropped is zeroed.
    let mut r = FrameReader::new(Duration::from_millis(500));
    let got = r.feed(&bytes, t);
    assert!(r.holds_nothing());
    drop(got);
    // A decline message with a card number in it is masked too.
    let d = b"DC\x1c1\x1cSA\x1c05\x1ccard 6222021234567890128 refused";
    let Ok(Answer { outcome: Outcome::Declined(d), .. }) = Answer::parse(d) else { panic!("a decline") };
    assert!(!d.message.contains(pan), "{}", d.message);
}

fn read(bytes: &[u8]) -> Vec<String> {
    let mut r = FrameReader::new(Duration::from_millis(500));
    let t = Instant::now();
    let whole: Vec<String> = r.feed(bytes, t).iter().map(|x| format!("{x:?}")).collect();
    let mut r = FrameReader::new(Duration::from_millis(500));
    let split: Vec<String> = bytes.iter().flat_map(|b| r.feed(&[*b], t)).map(|x| format!("{x:?}")).collect();
    assert_eq!(whole, split, "byte by byte");
    assert!(r.holds_nothing() || r.pending() > 0);
    whole
}

#[test]
fn the_reader_finds_frames_acks_and_naks() {
    let f = frame(b"BY\x1c1").expect("frames");
    let mut bytes = vec![ACK, b'x', NAK];
    bytes.extend(&f);
    bytes.extend(&f);
    assert_eq!(read(&bytes), ["Ack", "Nak", "Frame(Frame { len: 4, .. })", "Frame(Frame { len: 4, .. })"]);
    // An empty payload is a frame (it answers nothing).
    assert_eq!(read(&frame(b"").expect("frames")), ["Frame(Frame { len: 0, .. })"]);
}

#[test]
fn garbled_frames_are_refused_and_the_next_one_reads() {
    let good = frame(b"BY\x1c1").expect("frames");
    let mut bad_lrc = good.clone();
    *bad_lrc.last_mut().expect("lrc") ^= 0xFF;
    let mut bytes = bad_lrc.clone();
    bytes.extend(&good);
    assert_eq!(
        read(&bytes),
        [
            format!("Bad(BadLrc {{ expected: {}, got: {} }})", good[good.len() - 1], bad_lrc[bad_lrc.len() - 1]),
            "Frame(Frame { len: 4, .. })".into()
        ]
    );
    // Not BCD, too long, no ETX where the length says (the next frame right behind it).
    assert_eq!(read(&[STX, 0x0A, 0x00]), ["Bad(BadLength)"]);
    assert_eq!(read(&[STX, 0x05, 0x13]), ["Bad(TooLong { len: 513 })"]);
    let mut long = vec![STX, 0x00, 0x03, b'B', b'Y', FS, b'1'];
    long.extend(&good);
    assert_eq!(read(&long), ["Bad(NoEtx)", "Frame(Frame { len: 4, .. })"]);
    let mut short = vec![STX, 0x00, 0x03, b'B', b'Y', FS];
    short.extend(&good);
    assert_eq!(read(&short), ["Bad(NoEtx)", "Frame(Frame { len: 4, .. })"]);
}

#[test]
fn a_half_frame_is_dropped_after_the_idle_timeout() {
    let good = frame(b"BY\x1c1").expect("frames");
    let t = Instant::now();
    let ms = |n| t + Duration::from_millis(n);
    let mut r = FrameReader::new(Duration::from_millis(500));
    assert!(r.feed(&good[..4], ms(0)).is_empty());
    assert_eq!(r.expire(ms(500)), None, "not yet");
    assert_eq!(r.expire(ms(501)), Some(FrameError::Incomplete));
    assert!(r.holds_nothing());
    // Late bytes of a frame never glue onto the next one.
    assert!(r.feed(&good[..4], ms(1000)).is_empty());
    let got = r.feed(&good, ms(2000));
    assert_eq!(format!("{got:?}"), "[Bad(Incomplete), Frame(Frame { len: 4, .. })]");
}

fn approved(rid: &str, amount: i64) -> Vec<u8> {
    Answer { id: id(rid), outcome: Outcome::Approved(approval(amount)) }.frame().expect("frames")
}

fn names(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .map(|s| match s {
            Step::Send(b) if b == &[ACK] => "send ACK".to_owned(),
            Step::Send(b) if b == &[NAK] => "send NAK".to_owned(),
            Step::Send(_) => "send frame".to_owned(),
            Step::Accepted(id) => format!("accepted {id}"),
            Step::Answered(a) => format!(
                "answered {} {}",
                a.id,
                match &a.outcome {
                    Outcome::Approved(a) => format!("approved {}", a.amount.plain()),
                    Outcome::Declined(d) => format!("declined {}", d.code),
                    Outcome::Busy => "busy".into(),
                    Outcome::NotFound => "not found".into(),
                }
            ),
            Step::Failed { id, failure } => format!("failed {id}: {failure:?}"),
            Step::Ignored(e) => format!("ignored: {e}"),
        })
        .collect()
}

#[test]
fn a_sale_acknowledged_and_approved() {
    let t = Instant::now();
    let mut s = TillSession::new(TerminalOptions::default());
    let sale = Request::sale(id("000042"), Money(1250)).expect("sale");
    let steps = s.start(sale.clone(), t).expect("sent");
    assert_eq!(steps, vec![Step::Send(sale.frame().expect("frame"))]);
    assert!(matches!(s.start(sale, t), Err(StartError::Busy(_))), "one request at a time");
    assert_eq!(names(&s.feed(&[ACK], t)), ["accepted 000042"]);
    // The customer takes a minute: no resend, no timeout.
    assert!(s.poll(t + Duration::from_secs(60)).is_empty());
    assert_eq!(names(&s.feed(&approved("000042", 1250), t)), ["send ACK", "answered 000042 approved 12.50"]);
    assert!(s.is_idle());
    // The terminal did not hear our ACK and sends the answer again: acknowledged, dropped.
    assert_eq!(names(&s.feed(&approved("000042", 1250), t)), ["send ACK"]);
}

#[test]
fn a_request_is_sent_again_on_nak_and_on_silence_then_given_up() {
    let t = Instant::now();
    let ms = |n| t + Duration::from_millis(n);
    let mut s = TillSession::new(TerminalOptions::default());
    let sale = Request::sale(id("1"), Money(100)).expect("sale");
    let bytes = sale.frame().expect("frame");
    s.start(sale, t).expect("sent");
    assert_eq!(s.feed(&[NAK], ms(10)), vec![Step::Send(bytes.clone())], "sent again at once on NAK");
    assert!(s.poll(ms(1009)).is_empty(), "not yet");
    assert_eq!(s.poll(ms(1010)), vec![Step::Send(bytes)], "sent again after a second of silence");
    assert_eq!(names(&s.poll(ms(2010))), ["failed 1: NotAcknowledged"], "three sends in all");
    assert!(s.is_idle());
    assert!(s.feed(&[ACK], ms(2020)).is_empty(), "a late ACK changes nothing");
}

#[test]
fn an_answer_before_the_ack_still_answers() {
    let t = Instant::now();
    let mut s = TillSession::new(TerminalOptions::default());
    s.start(Request::sale(id("1"), Money(100)).expect("sale"), t).expect("sent");
    assert_eq!(names(&s.feed(&approved("1", 100), t)), ["send ACK", "answered 1 approved 1.00"]);
    assert!(s.poll(t + Duration::from_secs(5)).is_empty(), "no resend of an answered request");
}

#[test]
fn no_answer_in_time_fails_the_request() {
    let t = Instant::now();
    let mut s = TillSession::new(TerminalOptions::default());
    s.start(Request::sale(id("1"), Money(100)).expect("sale"), t).expect("sent");
    s.feed(&[ACK], t);
    assert!(s.poll(t + Duration::from_millis(119_999)).is_empty());
    assert_eq!(names(&s.poll(t + Duration::from_secs(120))), ["failed 1: NoAnswer"]);
    // A query has less time.
    s.start(Request::Query { id: id("1") }, t).expect("sent");
    s.feed(&[ACK], t);
    assert_eq!(names(&s.poll(t + Duration::from_secs(10))), ["failed 1: NoAnswer"]);
    // The late answer to the sale: acknowledged, reported as unexpected, nothing else.
    assert_eq!(
        names(&s.feed(&approved("1", 100), t)),
        ["send ACK", "ignored: an answer for request 1, which nothing waits for"]
    );
}

#[test]
fn bad_input_is_a_clear_error_and_changes_nothing() {
    let t = Instant::now();
    let mut s = TillSession::new(TerminalOptions::default());
    s.start(Request::sale(id("000042"), Money(1250)).expect("sale"), t).expect("sent");
    s.feed(&[ACK], t);
    // A bad LRC: NAK, so the terminal sends it again.
    let mut bad = approved("000042", 1250);
    *bad.last_mut().expect("lrc") ^= 1;
    let steps = names(&s.feed(&bad, t));
    assert_eq!(steps[0], "send NAK");
    assert!(steps[1].starts_with("ignored: a frame's LRC"), "{steps:?}");
    // A good frame that is no answer: ACK (it arrived) and ignored.
    assert_eq!(names(&s.feed(&frame(b"HELLO").expect("frame"), t)), ["send ACK", "ignored: an unknown message"]);
    // An answer for another request.
    assert_eq!(
        names(&s.feed(&approved("000041", 1250), t)),
        ["send ACK", "ignored: an answer for request 000041 while waiting for 000042"]
    );
    // Noise between frames is dropped.
    assert!(s.feed(b"\xff\x00junk", t).is_empty());
    assert_eq!(s.in_hand().map(|r| r.id().as_str()), Some("000042"), "still waiting");
    assert_eq!(names(&s.feed(&approved("000042", 1250), t)), ["send ACK", "answered 000042 approved 12.50"]);
}

#[test]
fn an_answer_that_does_not_fit_the_request_fails_it() {
    let t = Instant::now();
    let mut s = TillSession::new(TerminalOptions::default());
    s.start(Request::sale(id("1"), Money(100)).expect("sale"), t).expect("sent");
    assert_eq!(
        names(&s.feed(&approved("1", 200), t)),
        ["send ACK", "failed 1: Inconsistent(AmountMismatch { asked: Money(100), approved: Money(200) })"]
    );
    s.start(Request::Void { id: id("2"), original: id("1") }, t).expect("sent");
    assert_eq!(
        names(&s.feed(&approved("2", 200), t)),
        ["send ACK", "failed 2: Inconsistent(KindMismatch { asked: Void, answered: Sale })"]
    );
    // A query takes whatever the queried request was.
    s.start(Request::Query { id: id("1") }, t).expect("sent");
    assert_eq!(names(&s.feed(&approved("1", 200), t)), ["send ACK", "answered 1 approved 2.00"]);
}

#[test]
fn the_outbox_resends_until_it_gives_up() {
    let t = Instant::now();
    let o = TerminalOptions { attempts: 2, ..TerminalOptions::default() };
    let mut b = Outbox::default();
    assert_eq!(b.send(vec![1, 2], t), vec![1, 2]);
    assert_eq!(b.nak(t, &o), OutboxStep::Resend(vec![1, 2]));
    assert_eq!(b.nak(t, &o), OutboxStep::GaveUp);
    assert!(b.is_empty());
    b.send(vec![3], t);
    assert!(b.ack());
    assert!(!b.ack());
    assert_eq!(b.poll(t + Duration::from_secs(9), &o), OutboxStep::Wait);
}

#[test]
fn options_load_from_json_with_defaults() {
    let o: TerminalOptions = serde_json::from_str(r#"{"answer_timeout_ms":60000}"#).expect("options");
    assert_eq!(o, TerminalOptions { answer_timeout_ms: 60_000, ..TerminalOptions::default() });
}
