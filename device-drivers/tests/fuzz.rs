//! Random byte streams, split at random places: the parsers never panic, never hold more than
//! their limit, give the same result however the stream is split, and never let a bank card's
//! number out (neither the card reader's nor the payment terminal's).

use std::time::{Duration, Instant};

use device_drivers::card_reader::{CardRead, CardReaderParser};
use device_drivers::display::protocol::DisplayReader;
use device_drivers::payment_terminal::protocol::{
    Answer, Approval, FrameReader, MaskedPan, Outcome, ReferenceNo, Request, RequestId, Step, TerminalOptions,
    TillSession, TransactionKind, approval_payload, frame,
};
use device_drivers::printer::paper::PaperReader;
use device_drivers::scanner::{
    ScanOutcome, ScannerOptions, ScannerParser, Terminator, WedgeDetector, WedgeKey, WedgeOptions,
};
use proptest::prelude::*;

/// Bytes that look like device traffic more often than uniform noise would.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => any::<u8>(),
        3 => b'0'..=b'9',
        1 => prop::sample::select(vec![b'\r', b'\n', 0x02, 0x03, b']', b'E', b'0', b'%', b';', b'?', b'=', b'^', b'B', 0x1B, 0x1D, 0x1C, 0x10, 0x04]),
    ];
    prop::collection::vec(byte, 0..2048)
}

/// Cut points for splitting a stream into reads.
fn cuts() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..2048, 0..16)
}

fn chunks<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut at = 0;
    for p in points {
        out.push(&bytes[at..p]);
        at = p;
    }
    out.push(&bytes[at..]);
    out
}

fn options() -> impl Strategy<Value = ScannerOptions> {
    (
        prop::sample::select(vec![Terminator::Cr, Terminator::Lf, Terminator::CrLf, Terminator::Etx]),
        any::<bool>(),
        prop::sample::select(vec![
            device_drivers::scanner::AimIds::Auto,
            device_drivers::scanner::AimIds::Off,
            device_drivers::scanner::AimIds::Required,
        ]),
        1usize..600,
    )
        .prop_map(|(terminator, stx, aim_ids, max_frame_len)| ScannerOptions {
            terminator,
            stx,
            aim_ids,
            max_frame_len,
            duplicate_window_ms: 0,
            idle_timeout_ms: 100,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn scanner_parser_never_panics_and_ignores_how_reads_split(bytes in stream(), cuts in cuts(), options in options()) {
        let t = Instant::now();
        let whole = ScannerParser::new(options).feed(&bytes, t);
        let mut p = ScannerParser::new(options);
        let mut split = Vec::new();
        for c in chunks(&bytes, &cuts) {
            split.extend(p.feed(c, t));
            prop_assert!(p.pending() <= options.max_frame_len);
        }
        prop_assert_eq!(&whole, &split);
        for o in &whole {
            if let ScanOutcome::Scan(s) = o {
                prop_assert!(!s.code.is_empty());
                prop_assert!(s.code.bytes().all(|b| (0x20..0x7F).contains(&b)));
            }
        }
    }

    #[test]
    fn card_parser_never_panics_and_ignores_how_reads_split(bytes in stream(), cuts in cuts()) {
        let whole = CardReaderParser::new().feed(&bytes);
        let mut p = CardReaderParser::new();
        let mut split = Vec::new();
        for c in chunks(&bytes, &cuts) {
            split.extend(p.feed(c));
        }
        prop_assert_eq!(whole, split);
        p.reset();
        prop_assert!(p.holds_nothing());
    }

    #[test]
    fn a_bank_card_number_never_leaves_the_parser(body in prop::collection::vec(0u8..10, 12..18), noise in stream(), name in "[A-Z/ ]{2,20}") {
        // A Luhn-valid number of 13 to 19 digits.
        let digits: Vec<u8> = body.iter().map(|d| b'0' + d).collect();
        let pan = (b'0'..=b'9')
            .map(|d| { let mut p = digits.clone(); p.push(d); p })
            .find(|p| shared::card_data::luhn_valid(p))
            .expect("one check digit fits");
        let pan = String::from_utf8(pan).expect("ascii");
        let swipe = format!("%B{pan}^{name}^3012101?;{pan}=3012101?\r");
        let mut p = CardReaderParser::new();
        let mut reads = p.feed(&noise);
        reads.extend(p.feed(b"\r"));
        reads.extend(p.feed(swipe.as_bytes()));
        prop_assert!(p.holds_nothing());
        let shown = format!("{reads:?}");
        prop_assert!(!shown.contains(&pan), "{}", shown);
        let last = reads.last().cloned();
        prop_assert!(matches!(last, Some(CardRead::BankCardRejected(_))), "{:?}", last);
        if let Some(CardRead::BankCardRejected(r)) = last {
            let masked = r.masked_pan().unwrap_or_default().to_owned();
            prop_assert_eq!(&masked[..6], &pan[..6]);
            prop_assert_eq!(&masked[masked.len() - 4..], &pan[pan.len() - 4..]);
            prop_assert_eq!(masked.len(), pan.len());
        }
    }

    #[test]
    fn printer_and_display_readers_never_panic(bytes in stream(), cuts in cuts()) {
        let mut paper = PaperReader::new();
        let mut display = DisplayReader::default();
        let whole = PaperReader::new().feed(&bytes);
        let mut split = Vec::new();
        for c in chunks(&bytes, &cuts) {
            split.extend(paper.feed(c));
            display.feed(c);
        }
        prop_assert_eq!(whole, split);
    }

    #[test]
    fn wedge_detector_never_panics(keys in prop::collection::vec((any::<Option<char>>(), 0u64..100), 0..200)) {
        let mut d = WedgeDetector::new(WedgeOptions::default());
        let mut t = Instant::now();
        for (k, gap) in keys {
            t += Duration::from_millis(gap);
            let key = k.map_or(WedgeKey::Enter, WedgeKey::Char);
            if let Some(code) = d.key(key, t) {
                prop_assert!(code.chars().count() >= WedgeOptions::default().min_len);
            }
        }
    }

    #[test]
    fn payment_terminal_parser_never_panics_and_ignores_how_reads_split(bytes in terminal_stream(), cuts in cuts(), sale in any::<bool>()) {
        let t = Instant::now();
        let whole = terminal_steps(sale, vec![&bytes[..]], t);
        let split = terminal_steps(sale, chunks(&bytes, &cuts), t);
        prop_assert_eq!(&whole, &split);
        for step in &whole {
            if let Step::Answered(Answer { outcome: Outcome::Approved(a), .. }) = step {
                prop_assert!(a.card.as_str().contains('*'), "{:?}", a);
            }
        }
        let mut r = FrameReader::new(Duration::from_millis(500));
        for c in chunks(&bytes, &cuts) {
            r.feed(c, t);
            prop_assert!(r.pending() <= device_drivers::payment_terminal::protocol::MAX_PAYLOAD);
        }
    }

    #[test]
    fn a_card_number_sent_by_the_terminal_never_leaves_the_parser(body in prop::collection::vec(0u8..10, 12..18), noise in terminal_stream(), cuts in cuts()) {
        let digits: Vec<u8> = body.iter().map(|d| b'0' + d).collect();
        let pan = (b'0'..=b'9')
            .map(|d| { let mut p = digits.clone(); p.push(d); p })
            .find(|p| shared::card_data::luhn_valid(p))
            .expect("one check digit fits");
        let pan = String::from_utf8(pan).expect("ascii");
        let id = RequestId::parse("000042").expect("an id");
        let approval = Approval {
            kind: TransactionKind::Sale,
            amount: shared::Money(1250),
            card: MaskedPan::from_field(pan.as_bytes()).expect("a card"),
            auth_code: "123456".into(),
            reference: ReferenceNo::parse("880000000001").expect("a reference"),
            trace: "000001".into(),
        };
        let mut bytes = noise.clone();
        bytes.extend(frame(&approval_payload(&id, &approval, &pan).expect("payload")).expect("frame"));
        let t = Instant::now();
        let mut s = TillSession::new(TerminalOptions::default());
        s.start(Request::sale(id, shared::Money(1250)).expect("a sale"), t).expect("idle");
        let mut steps = Vec::new();
        for c in chunks(&bytes, &cuts) {
            steps.extend(s.feed(c, t));
        }
        let shown = format!("{steps:?} {s:?}");
        prop_assert!(!shown.contains(&pan), "{}", shown);
        s.abandon();
        prop_assert!(s.holds_nothing());
    }
}

/// What the till's side of the link does with `reads` (after sending a sale when `sale`); nothing
/// of a frame is left once it lets go.
fn terminal_steps(sale: bool, reads: Vec<&[u8]>, t: Instant) -> Vec<Step> {
    let mut s = TillSession::new(TerminalOptions::default());
    let mut steps = Vec::new();
    if sale {
        let request = Request::sale(RequestId::parse("000042").expect("an id"), shared::Money(1250)).expect("a sale");
        steps.extend(s.start(request, t).expect("idle"));
    }
    for r in reads {
        steps.extend(s.feed(r, t));
    }
    steps.extend(s.poll(t + Duration::from_secs(600)));
    s.abandon();
    assert!(s.holds_nothing());
    steps
}

/// Bytes that look like terminal traffic: frames, their control bytes and fields.
fn terminal_stream() -> impl Strategy<Value = Vec<u8>> {
    let good = prop::sample::select(vec![
        frame(b"AP\x1c000042\x1cSA\x1c000000001250\x1c6222021234567890128\x1c\x1c880000000001\x1c000001")
            .expect("frame"),
        frame(b"DC\x1c000042\x1cSA\x1c51\x1c\xd3\xe0\xb6\xee\xb2\xbb\xd7\xe3").expect("frame"),
        frame(b"BY\x1c000042").expect("frame"),
        frame(b"NF\x1c000041").expect("frame"),
        vec![0x06],
        vec![0x15],
    ]);
    let piece = prop_oneof![
        3 => good,
        2 => prop::collection::vec(any::<u8>(), 0..40),
        1 => prop::collection::vec(prop::sample::select(vec![0x02, 0x03, 0x06, 0x15, 0x1C, 0x00, 0x22, b'A', b'P', b'0', b'*']), 0..20),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}
