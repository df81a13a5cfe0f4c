//! The payment terminal's driver against its simulator over real pseudo-terminal pairs: sales,
//! declines, busy, lost answers recovered by a query, voids and refunds, a card number sent in
//! full, and a line that garbles, corrupts and loses frames. One test at a time (`pty_lock`).

#![cfg(unix)]

mod common;

use common::{pty_lock, queued, wait_for};
use device_drivers::Events;
use device_drivers::payment_terminal::protocol::FrameError;
use device_drivers::payment_terminal::{
    Answer, Approval, Failure, Outcome, PaymentTerminal, PaymentTerminalConfig, ProtocolError, ReferenceNo, RequestId,
    TerminalEvent, TerminalFailure, TerminalOptions, TransactionKind,
};
use device_drivers::simulator::{LinkFault, PaymentTerminalSimulator, Script, TEST_CARD};
use shared::Money;
use std::time::Duration;

fn id(s: &str) -> RequestId {
    RequestId::parse(s).expect("a request id")
}

/// The simulator's driver configuration, with `answer_ms` for the customer (short, so a lost
/// answer shows quickly).
fn open(sim: &PaymentTerminalSimulator, answer_ms: u64) -> (PaymentTerminal, Events<TerminalEvent>) {
    let config = PaymentTerminalConfig {
        protocol: TerminalOptions {
            answer_timeout_ms: answer_ms,
            query_timeout_ms: answer_ms,
            ..TerminalOptions::default()
        },
        ..sim.config()
    };
    let (terminal, mut events) = PaymentTerminal::open(config);
    wait_for(&mut events, "connected", |e| matches!(e, TerminalEvent::Connected { .. }));
    (terminal, events)
}

/// Waits for the end of request `rid`: its answer or its failure.
fn end_of(events: &mut Events<TerminalEvent>, rid: &str) -> TerminalEvent {
    wait_for(events, rid, |e| match e {
        TerminalEvent::Answered(a) => a.id.as_str() == rid,
        TerminalEvent::Failed { id, .. } => id.as_str() == rid,
        _ => false,
    })
}

fn approval(e: &TerminalEvent) -> Approval {
    match e {
        TerminalEvent::Answered(Answer { outcome: Outcome::Approved(a), .. }) => a.clone(),
        other => panic!("expected an approval, got {other:?}"),
    }
}

fn outcome(e: &TerminalEvent) -> Outcome {
    match e {
        TerminalEvent::Answered(a) => a.outcome.clone(),
        other => panic!("expected an answer, got {other:?}"),
    }
}

#[test]
fn terminal_approves_declines_and_answers_busy() {
    let _pty = pty_lock();
    let sim = PaymentTerminalSimulator::start().expect("simulator");
    let (terminal, mut events) = open(&sim, 20_000);

    terminal.sale(id("B001-01-000042-1"), Money(1250)).expect("a sale");
    wait_for(&mut events, "accepted", |e| matches!(e, TerminalEvent::Accepted { .. }));
    let a = approval(&end_of(&mut events, "B001-01-000042-1"));
    assert_eq!((a.kind, a.amount), (TransactionKind::Sale, Money(1250)));
    assert_eq!(a.card.as_str(), "622202*********0128");
    assert_eq!((a.reference.as_str().len(), a.trace.len()), (12, 6));

    sim.script(Script::decline("51", "余额不足"));
    terminal.sale(id("S2"), Money(9900)).expect("a sale");
    match outcome(&end_of(&mut events, "S2")) {
        Outcome::Declined(d) => assert_eq!((d.code.as_str(), d.message.as_str()), ("51", "余额不足")),
        other => panic!("{other:?}"),
    }

    // Busy: nothing done, so the same request goes again and is approved.
    sim.script(Script::Busy);
    terminal.sale(id("S3"), Money(500)).expect("a sale");
    assert_eq!(outcome(&end_of(&mut events, "S3")), Outcome::Busy);
    assert!(sim.transactions().iter().all(|t| t.id.as_str() != "S3"));
    terminal.sale(id("S3"), Money(500)).expect("the sale again");
    approval(&end_of(&mut events, "S3"));

    // An amount of zero never leaves the till.
    assert_eq!(terminal.sale(id("S4"), Money(0)), Err(ProtocolError::ZeroAmount));
    assert_eq!(sim.requests().len(), 4);
    assert_eq!(sim.net_charged(), Money(1750));
}

/// A terminal set up to send the whole card number: the driver masks it as it reads it, so
/// nothing the till gets holds it.
#[test]
fn terminal_card_number_never_reaches_the_till_in_full() {
    let _pty = pty_lock();
    let sim = PaymentTerminalSimulator::start().expect("simulator");
    sim.send_full_card_number(true);
    let (terminal, mut events) = open(&sim, 20_000);
    terminal.sale(id("S1"), Money(100)).expect("a sale");
    let mut seen = vec![wait_for(&mut events, "accepted", |e| matches!(e, TerminalEvent::Accepted { .. }))];
    seen.push(end_of(&mut events, "S1"));
    let a = approval(&seen[1]);
    assert_eq!((a.card.first6(), a.card.last4()), ("622202", "0128"));
    let shown = format!("{seen:?} {}", serde_json::to_string(&a).expect("serialises"));
    assert!(!shown.contains(TEST_CARD) && !shown.contains("123456789"), "{shown}");
}

#[test]
fn terminal_lost_answer_is_recovered_by_a_query_and_never_charged_twice() {
    let _pty = pty_lock();
    let sim = PaymentTerminalSimulator::start().expect("simulator");
    let (terminal, mut events) = open(&sim, 1_500);

    // The terminal charges the card but its answer never comes.
    sim.script(Script::NoAnswer { approved: true });
    terminal.sale(id("S1"), Money(2000)).expect("a sale");
    let e = end_of(&mut events, "S1");
    let TerminalEvent::Failed { failure, .. } = &e else { panic!("{e:?}") };
    assert_eq!(*failure, TerminalFailure::Protocol(Failure::NoAnswer));
    assert!(failure.outcome_unknown());
    terminal.query(id("S1"));
    let a = approval(&end_of(&mut events, "S1"));
    assert_eq!((a.kind, a.amount), (TransactionKind::Sale, Money(2000)));
    // The same sale sent again is answered from the terminal's records, not charged again.
    terminal.sale(id("S1"), Money(2000)).expect("the sale again");
    assert_eq!(approval(&end_of(&mut events, "S1")), a);
    assert_eq!(sim.net_charged(), Money(2000));
    // The till decides the sale does not stand: void it.
    terminal.void(id("V1"), id("S1"));
    let v = approval(&end_of(&mut events, "V1"));
    assert_eq!((v.kind, v.amount, v.card.clone()), (TransactionKind::Void, Money(2000), a.card));
    assert_eq!(sim.net_charged(), Money(0));
    terminal.void(id("V2"), id("S1"));
    assert!(matches!(outcome(&end_of(&mut events, "V2")), Outcome::Declined(d) if d.code == "12"));

    // A sale the terminal dropped: the query finds nothing, so nothing was taken.
    sim.script(Script::NoAnswer { approved: false });
    terminal.sale(id("S2"), Money(300)).expect("a sale");
    assert!(matches!(end_of(&mut events, "S2"), TerminalEvent::Failed { .. }));
    terminal.query(id("S2"));
    assert_eq!(outcome(&end_of(&mut events, "S2")), Outcome::NotFound);
}

#[test]
fn terminal_busy_while_the_customer_is_at_the_keypad() {
    let _pty = pty_lock();
    let sim = PaymentTerminalSimulator::start().expect("simulator");
    sim.set_answer_delay(Duration::from_millis(2_500));
    let (terminal, mut events) = open(&sim, 500);
    terminal.sale(id("S1"), Money(700)).expect("a sale");
    assert!(matches!(end_of(&mut events, "S1"), TerminalEvent::Failed { .. }));
    terminal.query(id("S1"));
    assert_eq!(outcome(&end_of(&mut events, "S1")), Outcome::Busy, "still running");
    // Its answer comes while nothing waits for it: reported, nothing changes.
    let e = wait_for(&mut events, "the late answer", |e| matches!(e, TerminalEvent::Ignored(_)));
    assert!(matches!(e, TerminalEvent::Ignored(ProtocolError::Unexpected(ref i)) if i.as_str() == "S1"), "{e:?}");
    terminal.query(id("S1"));
    approval(&end_of(&mut events, "S1"));
}

#[test]
fn terminal_refunds_part_and_refuses_more_than_was_paid() {
    let _pty = pty_lock();
    let sim = PaymentTerminalSimulator::start().expect("simulator");
    let (terminal, mut events) = open(&sim, 20_000);
    terminal.sale(id("S1"), Money(10_000)).expect("a sale");
    let sale = approval(&end_of(&mut events, "S1"));
    terminal.refund(id("R1"), sale.reference.clone(), Money(3_000)).expect("a refund");
    let r = approval(&end_of(&mut events, "R1"));
    assert_eq!((r.kind, r.amount), (TransactionKind::Refund, Money(3_000)));
    terminal.refund(id("R2"), sale.reference.clone(), Money(8_000)).expect("a refund");
    assert!(matches!(outcome(&end_of(&mut events, "R2")), Outcome::Declined(d) if d.code == "13"));
    terminal.refund(id("R3"), ReferenceNo::parse("000000000001").expect("a reference"), Money(1)).expect("a refund");
    assert!(matches!(outcome(&end_of(&mut events, "R3")), Outcome::Declined(d) if d.code == "25"));
    assert_eq!(terminal.refund(id("R4"), sale.reference, Money(0)), Err(ProtocolError::ZeroAmount));
    assert_eq!(sim.net_charged(), Money(7_000));
}

#[test]
fn terminal_line_faults_are_survived_and_change_nothing() {
    let _pty = pty_lock();
    let sim = PaymentTerminalSimulator::start().expect("simulator");
    let (terminal, mut events) = open(&sim, 20_000);

    // A bad LRC and a frame cut short: the till refuses each (NAK) and the terminal sends it again.
    sim.fault(LinkFault::BadLrc);
    terminal.sale(id("S1"), Money(100)).expect("a sale");
    let e = wait_for(&mut events, "refused frame", |e| matches!(e, TerminalEvent::Ignored(_)));
    assert!(matches!(e, TerminalEvent::Ignored(ProtocolError::Frame(FrameError::BadLrc { .. }))), "{e:?}");
    approval(&end_of(&mut events, "S1"));
    sim.fault(LinkFault::Garbled);
    terminal.sale(id("S2"), Money(200)).expect("a sale");
    let e = wait_for(&mut events, "refused frame", |e| matches!(e, TerminalEvent::Ignored(_)));
    assert!(matches!(e, TerminalEvent::Ignored(ProtocolError::Frame(_))), "{e:?}");
    approval(&end_of(&mut events, "S2"));
    assert!(sim.naks() >= 2, "{}", sim.naks());

    // An answer for another request first: reported, then the right one.
    sim.fault(LinkFault::OtherRequestFirst);
    terminal.sale(id("S3"), Money(300)).expect("a sale");
    let e = wait_for(&mut events, "other answer", |e| matches!(e, TerminalEvent::Ignored(_)));
    assert!(matches!(e, TerminalEvent::Ignored(ProtocolError::OtherRequest { .. })), "{e:?}");
    approval(&end_of(&mut events, "S3"));

    // The terminal misses the request: no ACK, so the till sends it again.
    sim.fault(LinkFault::Deaf);
    terminal.sale(id("S4"), Money(400)).expect("a sale");
    approval(&end_of(&mut events, "S4"));

    // The terminal misses the till's ACK and sends its answer again: one answer all the same.
    sim.fault(LinkFault::LostAck);
    terminal.sale(id("S5"), Money(500)).expect("a sale");
    approval(&end_of(&mut events, "S5"));
    terminal.query(id("S4"));
    approval(&end_of(&mut events, "S4"));
    let rest = queued(&mut events);
    assert!(!rest.iter().any(|e| matches!(e, TerminalEvent::Answered(a) if a.id.as_str() == "S5")), "{rest:?}");

    // Line noise and a frame that is not BCD: refused, nothing changes.
    sim.send_raw(b"\xff\x00noise\x02\xaa\xbb").expect("noise");
    let e = wait_for(&mut events, "refused frame", |e| matches!(e, TerminalEvent::Ignored(_)));
    assert!(matches!(e, TerminalEvent::Ignored(ProtocolError::Frame(FrameError::BadLength))), "{e:?}");

    let sales = sim.transactions().iter().filter(|t| t.kind == TransactionKind::Sale).count();
    assert_eq!(sales, 5, "each sale charged once");
    assert_eq!(sim.net_charged(), Money(1_500));
}

#[test]
fn terminal_unplugged_fails_requests_and_comes_back() {
    let _pty = pty_lock();
    let sim = PaymentTerminalSimulator::start().expect("simulator");
    let (terminal, mut events) = open(&sim, 20_000);
    sim.close();
    wait_for(&mut events, "disconnected", |e| matches!(e, TerminalEvent::Disconnected { .. }));
    terminal.sale(id("S1"), Money(100)).expect("a sale");
    let e = end_of(&mut events, "S1");
    let TerminalEvent::Failed { failure, .. } = &e else { panic!("{e:?}") };
    assert!(matches!(failure, TerminalFailure::NotConnected(_)) && !failure.outcome_unknown(), "{failure:?}");
    sim.reopen().expect("plug in");
    wait_for(&mut events, "connected", |e| matches!(e, TerminalEvent::Connected { .. }));

    // Unplugged with the customer at the keypad: the outcome is unknown.
    sim.set_answer_delay(Duration::from_secs(30));
    terminal.sale(id("S2"), Money(100)).expect("a sale");
    wait_for(&mut events, "accepted", |e| matches!(e, TerminalEvent::Accepted { .. }));
    sim.close();
    let e = end_of(&mut events, "S2");
    let TerminalEvent::Failed { failure, .. } = &e else { panic!("{e:?}") };
    assert!(matches!(failure, TerminalFailure::Link(_)) && failure.outcome_unknown(), "{failure:?}");
    sim.set_answer_delay(Duration::ZERO);
    sim.reopen().expect("plug in");
    wait_for(&mut events, "connected", |e| matches!(e, TerminalEvent::Connected { .. }));
    terminal.sale(id("S3"), Money(100)).expect("a sale");
    approval(&end_of(&mut events, "S3"));
}
