//! The fuzz targets' checks (the device protocols, the ESC/POS round trip, and the sync messages
//! tills and HQ exchange): each takes arbitrary bytes and panics when an invariant breaks, so a
//! coverage-guided fuzzer (afl.rs, `run.sh`) and the corpus replay find the input that breaks it.

use std::time::{Duration, Instant};

use device_drivers::card_reader::{CardRead, CardReaderOptions, CardReaderParser};
use device_drivers::payment_terminal::protocol::{FrameReader, Received, Step, TillSession};
use device_drivers::payment_terminal::{Outcome, Request, RequestId, TerminalOptions};
use device_drivers::printer::paper::{PaperEvent, PaperReader};
use device_drivers::printer::protocol::printable_text;
use device_drivers::printer::{CodePage, Font, PrintOptions, TextEncoding, receipt_bytes};
use device_drivers::scanner::{AimIds, ScanOutcome, ScannerOptions, ScannerParser, Terminator};
use shared::catalog::{BarcodeRules, ScannedCode, canonical_barcode, classify_scan as classify, validate_gtin};
use shared::receipt::{Block, PaperWidth, PrintLine, barcode_caption, blocks_text, qr_caption};
use shared::sync::{Event, PullResponse, PushRequest, PushResponse};

fn byte(data: &[u8], i: usize) -> u8 {
    data.get(i).copied().unwrap_or(0)
}

/// Splits `bytes` into reads of `step` bytes (at least 1).
fn reads(bytes: &[u8], step: u8) -> std::slice::Chunks<'_, u8> {
    bytes.chunks(usize::from(step.max(1)))
}

/// The scanner's parser: no panic; a stream split anywhere (bytes arriving together) reads the
/// same; it never holds more than its limit; every scan is printable and its check digit holds;
/// a gap longer than the idle timeout leaves nothing behind.
pub fn scanner(data: &[u8]) {
    let (a, b) = (byte(data, 0), byte(data, 1));
    let options = ScannerOptions {
        terminator: [Terminator::Cr, Terminator::Lf, Terminator::CrLf, Terminator::Etx][usize::from(a & 3)],
        stx: a & 4 != 0,
        aim_ids: [AimIds::Auto, AimIds::Off, AimIds::Required, AimIds::Auto][usize::from((a >> 3) & 3)],
        duplicate_window_ms: u64::from(a >> 5) * 100,
        max_frame_len: usize::from(b % 64) + 1,
        idle_timeout_ms: 100,
    };
    let stream = data.get(2..).unwrap_or_default();
    let t0 = Instant::now();
    let whole = ScannerParser::new(options).feed(stream, t0);
    let mut p = ScannerParser::new(options);
    let mut split = Vec::new();
    for r in reads(stream, b) {
        split.extend(p.feed(r, t0));
        assert!(p.pending() <= options.max_frame_len);
    }
    assert_eq!(whole, split);
    for o in &whole {
        if let ScanOutcome::Scan(s) = o {
            assert!(!s.code.is_empty() && s.code.bytes().all(|c| (0x20..0x7F).contains(&c)), "{s:?}");
            if let Some(kind) = s.gtin {
                assert!(validate_gtin(&s.code).is_ok() || kind == shared::catalog::GtinKind::Ean8, "{s:?}");
            }
        }
    }
    // Reads far apart: each half frame is dropped, nothing is left at the end.
    let mut p = ScannerParser::new(options);
    let mut t = t0;
    for r in reads(stream, b) {
        t += Duration::from_millis(u64::from(r[0]));
        p.feed(r, t);
    }
    p.expire(t + Duration::from_secs(1));
    assert_eq!(p.pending(), 0);
}

/// The card reader's parser: no panic; split reads read the same; nothing of a read stays in
/// memory after a reset or a timeout; a bank card's number never leaves except masked.
pub fn card_reader(data: &[u8]) {
    let b = byte(data, 0);
    let stream = data.get(1..).unwrap_or_default();
    let whole = CardReaderParser::new().feed(stream);
    let mut p = CardReaderParser::new();
    let mut split = Vec::new();
    for r in reads(stream, b) {
        split.extend(p.feed(r));
    }
    assert_eq!(whole, split);
    p.reset();
    assert!(p.holds_nothing());
    for read in &whole {
        if let CardRead::BankCardRejected(r) = read
            && let Some(m) = r.masked_pan()
        {
            assert!(m.len() >= 13 && m.contains('*'), "{m}");
        }
    }
    let mut p = CardReaderParser::with_options(CardReaderOptions { idle_timeout_ms: 100 });
    let t0 = Instant::now();
    let mut t = t0;
    for r in reads(stream, b) {
        t += Duration::from_millis(u64::from(r[0]));
        p.feed_at(r, t);
    }
    p.expire(t + Duration::from_secs(1));
    assert!(p.holds_nothing());
}

/// The payment terminal's till side (and the terminal side's request parser): no panic; a stream
/// split anywhere gives the same steps; an approval's card is only ever masked; nothing of a frame
/// stays in memory once the session lets go of it.
pub fn payment_terminal(data: &[u8]) {
    let b = byte(data, 0);
    let stream = data.get(1..).unwrap_or_default();
    let t0 = Instant::now();
    let whole = terminal_steps(b & 1 == 1, std::iter::once(stream), t0);
    let split = terminal_steps(b & 1 == 1, reads(stream, b >> 1), t0);
    assert_eq!(whole, split);
    for step in &whole {
        if let Step::Answered(a) = step
            && let Outcome::Approved(a) = &a.outcome
        {
            let card = a.card.as_str();
            assert!((13..=19).contains(&card.len()) && card.contains('*'), "{card}");
            assert!(!a.amount.is_zero() && !a.amount.is_negative());
        }
    }
    let mut r = FrameReader::new(Duration::from_millis(500));
    for got in r.feed(stream, t0) {
        if let Received::Frame(f) = got
            && let Ok(request) = Request::parse(f.payload())
        {
            assert_eq!(request.payload().map(|p| Request::parse(&p)), Ok(Ok(request.clone())));
        }
    }
}

/// What the till's side of the link does with `reads` (after sending a sale when `sale`); checks
/// that nothing of a frame is left once the session lets go.
fn terminal_steps<'a>(sale: bool, reads: impl Iterator<Item = &'a [u8]>, t0: Instant) -> Vec<Step> {
    let mut s = TillSession::new(TerminalOptions::default());
    let mut steps = Vec::new();
    if sale
        && let Ok(id) = RequestId::parse("000042")
        && let Ok(sale) = Request::sale(id, shared::Money(1250))
    {
        steps.extend(s.start(sale, t0).expect("an idle session sends"));
    }
    for r in reads {
        steps.extend(s.feed(r, t0));
    }
    steps.extend(s.poll(t0 + Duration::from_secs(600)));
    s.abandon();
    assert!(s.holds_nothing());
    steps
}

/// `classify_scan`: no panic; what it calls a product barcode is in canonical form and, when it
/// has a GTIN's length, passes its check digit.
pub fn classify_scan(data: &[u8]) {
    let code = String::from_utf8_lossy(data);
    if let Ok(ScannedCode::Product(p)) = classify(&code, &BarcodeRules::default()) {
        assert_eq!(canonical_barcode(&p), p, "{code:?}");
        if matches!(p.len(), 8 | 12 | 13) && p.bytes().all(|b| b.is_ascii_digit()) {
            assert!(validate_gtin(&p).is_ok(), "{code:?} -> {p}");
        }
    }
    let _ = validate_gtin(&code);
}

/// The ESC/POS encoder and the simulator's reader: any text laid out for any printer set-up,
/// rendered and read back, is the layout's text (with `?` for what the printer cannot print).
pub fn escpos_roundtrip(data: &[u8]) {
    let (a, b) = (byte(data, 0), byte(data, 1));
    let encoding = [TextEncoding::Gbk, TextEncoding::Gb18030, TextEncoding::CodePage][usize::from(a % 3)];
    let options = PrintOptions {
        paper: if a & 4 != 0 { PaperWidth::Mm58 } else { PaperWidth::Mm80 },
        font: if a & 8 != 0 { Font::B } else { Font::A },
        dots: if a & 16 != 0 { 512 } else { 0 },
        positioning: a & 32 == 0,
        encoding,
        code_page: CodePage::ALL[usize::from(b) % CodePage::ALL.len()],
        columns: if b & 0x80 != 0 { u16::from(b & 0x3F) + 1 } else { 0 },
        ..PrintOptions::default()
    };
    let f = options.line_format();
    let text = String::from_utf8_lossy(data.get(2..).unwrap_or_default());
    let mut blocks = Vec::new();
    for (i, part) in text.split('\n').enumerate() {
        let lines = match i % 4 {
            0 => f.wrap(part),
            1 => f.center(part),
            2 => match part.split_once('\t') {
                Some((l, r)) => f.left_right(l, r),
                None => f.left_right(part, "9.99"),
            },
            _ => vec![f.rule(part.chars().next().unwrap_or('-'))],
        };
        blocks
            .extend(lines.into_iter().map(|text| Block::Line(PrintLine { text, bold: i % 2 == 1, tall: i % 3 == 2 })));
        if i % 5 == 4 && part.is_ascii() && !part.is_empty() && part.len() < 100 && !part.contains('\n') {
            blocks.push(Block::Barcode(part.to_owned()));
        }
    }
    let Ok(bytes) = receipt_bytes(&blocks, &options) else { return };
    let mut got = String::new();
    for e in PaperReader::new().feed(&bytes) {
        match e {
            PaperEvent::Line(l) => got.push_str(&l.text),
            PaperEvent::Barcode { data, .. } => got.push_str(&barcode_caption(&data, f)),
            PaperEvent::Qr(data) => got.push_str(&qr_caption(&data, f)),
            PaperEvent::Unknown(u) => panic!("the reader does not know {u:02X?}"),
            _ => continue,
        }
        got.push('\n');
    }
    // `split_terminator`, not `lines`: a line may end in CR (a rule of CRs), which `lines` drops.
    let want: String =
        blocks_text(&blocks, f).split_terminator('\n').map(|l| format!("{}\n", printable_text(l, &options))).collect();
    assert_eq!(got, want, "{options:?}");
}

/// Sync messages as HQ and the till decode them (JSON from the network): no panic for any bytes;
/// what decodes encodes back to the same value; the checks HQ runs on a decoded event (a sale's
/// and a refund's arithmetic, a Z report's and a day close's bounds) refuse, never panic, whatever
/// the figures (overflow included).
pub fn sync_decode(data: &[u8]) {
    if let Ok(push) = serde_json::from_slice::<PushRequest>(data) {
        let text = serde_json::to_string(&push).expect("a decoded batch encodes");
        assert_eq!(serde_json::from_str::<PushRequest>(&text).expect("and decodes again"), push);
        for e in &push.events {
            match &e.event {
                Event::SaleCompleted(s) => {
                    let _ = s.check();
                }
                Event::SaleRefunded(r) | Event::SaleVoided(r) => {
                    let _ = r.check();
                }
                Event::ShiftClosed(z) => {
                    let _ = z.report.check_bounds();
                }
                Event::DayClosed(d) => {
                    let _ = d.summary.check_bounds();
                }
                _ => {}
            }
        }
    }
    if let Ok(page) = serde_json::from_slice::<PullResponse>(data) {
        let text = serde_json::to_string(&page).expect("a decoded page encodes");
        assert_eq!(serde_json::from_str::<PullResponse>(&text).expect("and decodes again"), page);
    }
    let _ = serde_json::from_slice::<PushResponse>(data);
}
