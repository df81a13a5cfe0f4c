//! The serial scanner's protocol as pure code: bytes in, scans and misreads out.
//!
//! A frame is `[STX] [AIM id] code terminator`. The parser keeps what it has seen of an unfinished
//! frame between calls, so frames split across reads and frames glued together in one read come
//! out the same. Time is an input ([`ScannerParser::feed`] takes the `Instant` the bytes arrived),
//! so duplicate suppression and the inter-byte idle timeout are tested without a clock: a frame
//! whose bytes stop coming for longer than the timeout is dropped as a misread
//! ([`MisreadReason::Incomplete`]), so half a frame never glues onto the next read.

use std::fmt;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use shared::catalog::{BarcodeError, GtinKind, validate_gtin, validate_gtin_as};

pub const STX: u8 = 0x02;
pub const ETX: u8 = 0x03;
pub const CR: u8 = b'\r';
pub const LF: u8 = b'\n';

/// What ends a frame. `Cr`, `Lf` and `CrLf` are line ends: any CR, LF or ETX ends a frame and
/// empty frames are ignored, so a scanner set to another line end, or to STX/ETX framing, still
/// reads (ETX is never part of a code). `Etx` ends a frame at ETX only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Terminator {
    Cr,
    Lf,
    #[default]
    CrLf,
    Etx,
}

impl Terminator {
    /// The bytes a scanner set to this terminator sends after a code.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Terminator::Cr => b"\r",
            Terminator::Lf => b"\n",
            Terminator::CrLf => b"\r\n",
            Terminator::Etx => &[ETX],
        }
    }

    fn ends_frame(self, b: u8) -> bool {
        match self {
            Terminator::Etx => b == ETX,
            _ => b == CR || b == LF || b == ETX,
        }
    }
}

/// Whether frames carry an AIM symbology identifier (`]E0`, `]C0`, `]Q1`...).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AimIds {
    /// Parse one when the frame starts with `]`.
    #[default]
    Auto,
    /// Never: a leading `]` is part of the code.
    Off,
    /// Every frame must have one; a frame without is a misread.
    Required,
}

/// The default inter-byte idle timeout of scanners and card readers: at 9600 baud a byte takes
/// about 1 ms and a USB adapter holds bytes back at most 16 ms, so 100 ms of silence inside a
/// frame means the rest is not coming.
pub const DEFAULT_IDLE_TIMEOUT_MS: u64 = 100;

/// Protocol options of a serial scanner, as the till's config file has them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct ScannerOptions {
    pub terminator: Terminator,
    /// Frames start with STX (0x02); a frame without is a misread. STX is stripped either way.
    pub stx: bool,
    pub aim_ids: AimIds,
    /// The same code again within this many milliseconds of its last read is dropped (0: never).
    pub duplicate_window_ms: u64,
    /// Longest frame accepted; past that the frame is a misread up to its terminator.
    pub max_frame_len: usize,
    /// A frame whose next byte does not come within this many milliseconds is dropped as a
    /// misread (0: never). A scanner sends a frame's bytes back to back; a gap means a lost
    /// terminator or a read cut short.
    pub idle_timeout_ms: u64,
}

impl Default for ScannerOptions {
    fn default() -> Self {
        ScannerOptions {
            terminator: Terminator::CrLf,
            stx: false,
            aim_ids: AimIds::Auto,
            duplicate_window_ms: 300,
            max_frame_len: 512,
            idle_timeout_ms: DEFAULT_IDLE_TIMEOUT_MS,
        }
    }
}

/// The symbology a scanner reported through its AIM identifier.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Symbology {
    /// `]E0`: EAN-13, UPC-A (12 or 13 digits) and UPC-E (8 digits).
    Ean13,
    /// `]E4`.
    Ean8,
    /// `]C0`.
    Code128,
    /// `]C1`: GS1-128.
    Gs1_128,
    /// `]A`.
    Code39,
    /// `]I`.
    Interleaved2of5,
    /// `]F`.
    Codabar,
    /// `]Q`.
    Qr,
    /// `]d`.
    DataMatrix,
    /// `]L`.
    Pdf417,
    /// Another AIM identifier, as sent (`]X0`).
    Other(String),
    /// The frame had no AIM identifier.
    Unknown,
}

impl Symbology {
    /// Parses the three characters of an AIM identifier (`]E0`).
    pub fn from_aim(id: &str) -> Option<Symbology> {
        let b = id.as_bytes();
        if b.len() != 3 || b[0] != b']' || !b[1].is_ascii_alphabetic() || !b[2].is_ascii_graphic() {
            return None;
        }
        Some(match (b[1], b[2]) {
            (b'E', b'4') => Symbology::Ean8,
            (b'E', b'0') => Symbology::Ean13,
            (b'C', b'1') => Symbology::Gs1_128,
            (b'C', _) => Symbology::Code128,
            (b'A', _) => Symbology::Code39,
            (b'I', _) => Symbology::Interleaved2of5,
            (b'F', _) => Symbology::Codabar,
            (b'Q', _) => Symbology::Qr,
            (b'd', _) => Symbology::DataMatrix,
            (b'L', _) => Symbology::Pdf417,
            _ => Symbology::Other(id.to_owned()),
        })
    }

    /// The AIM identifier a scanner sends for this symbology.
    pub fn aim(&self) -> &str {
        match self {
            Symbology::Ean13 => "]E0",
            Symbology::Ean8 => "]E4",
            Symbology::Code128 => "]C0",
            Symbology::Gs1_128 => "]C1",
            Symbology::Code39 => "]A0",
            Symbology::Interleaved2of5 => "]I0",
            Symbology::Codabar => "]F0",
            Symbology::Qr => "]Q1",
            Symbology::DataMatrix => "]d1",
            Symbology::Pdf417 => "]L0",
            Symbology::Other(id) => id,
            Symbology::Unknown => "",
        }
    }

    fn is_gtin(&self) -> bool {
        matches!(self, Symbology::Ean13 | Symbology::Ean8)
    }
}

/// A good read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scan {
    /// The code without STX, AIM identifier or terminator. Printable ASCII only.
    pub code: String,
    pub symbology: Symbology,
    /// Set when the code is an EAN-13 / UPC-A / EAN-8 / UPC-E whose check digit was verified.
    pub gtin: Option<GtinKind>,
}

/// Why a frame was not a scan.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum MisreadReason {
    #[error("byte 0x{byte:02X} at position {at} is not printable ASCII")]
    NotPrintable { at: usize, byte: u8 },
    #[error("EAN/UPC check digit fails (expected {expected})")]
    CheckDigit { expected: u8 },
    #[error("not an EAN/UPC code: {0}")]
    NotGtin(String),
    #[error("frame longer than {max} bytes")]
    TooLong { max: usize },
    #[error("frame does not start with STX")]
    MissingStx,
    #[error("frame cut short by the next STX")]
    Interrupted,
    #[error("missing or malformed AIM identifier")]
    BadAim,
    #[error("no code after the AIM identifier")]
    Empty,
    #[error("the frame stopped for more than {idle_ms} ms before its end; scan again")]
    Incomplete { idle_ms: u64 },
}

/// A frame that was not a scan, and what it looked like.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Misread {
    pub reason: MisreadReason,
    /// The frame's start with non-printable bytes escaped (`\x1B`), at most 64 bytes of it.
    pub frame: String,
}

impl fmt::Display for Misread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "misread: {} ({})", self.reason, self.frame)
    }
}

/// What one frame turned out to be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScanOutcome {
    Scan(Scan),
    Misread(Misread),
}

/// The frame as a reader may show it: printable ASCII as is, other bytes as `\xNN`.
pub fn escape_frame(frame: &[u8]) -> String {
    const SHOWN: usize = 64;
    let mut s = String::new();
    for &b in frame.iter().take(SHOWN) {
        if (0x20..0x7F).contains(&b) && b != b'\\' {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("\\x{b:02X}"));
        }
    }
    if frame.len() > SHOWN {
        s.push('…');
    }
    s
}

/// Decodes one frame (STX and terminator already removed): AIM identifier, printable check,
/// EAN/UPC check digit.
pub fn decode_frame(frame: &[u8], aim: AimIds) -> Result<Scan, MisreadReason> {
    if let Some(at) = frame.iter().position(|b| !(0x20..0x7F).contains(b)) {
        return Err(MisreadReason::NotPrintable { at, byte: frame[at] });
    }
    // Printable ASCII only from here, so every byte is one char.
    let text: String = frame.iter().map(|&b| char::from(b)).collect();
    let (symbology, code) = match aim {
        AimIds::Off => (Symbology::Unknown, text.as_str()),
        AimIds::Auto | AimIds::Required if text.starts_with(']') => {
            let id = text.get(..3).ok_or(MisreadReason::BadAim)?;
            (Symbology::from_aim(id).ok_or(MisreadReason::BadAim)?, &text[3..])
        }
        AimIds::Required => return Err(MisreadReason::BadAim),
        AimIds::Auto => (Symbology::Unknown, text.as_str()),
    };
    let code = code.trim_matches(' ');
    if code.is_empty() {
        return Err(MisreadReason::Empty);
    }
    let digits_only = code.bytes().all(|b| b.is_ascii_digit());
    let gtin = if symbology.is_gtin() || (symbology == Symbology::Unknown && digits_only && is_gtin_length(code)) {
        // `]E4` is EAN-8 and nothing else; `]E0` and no identifier leave 8 digits to the rule of
        // `validate_gtin` (UPC-E when they read as one, else EAN-8).
        let checked = if symbology == Symbology::Ean8 {
            validate_gtin_as(code, GtinKind::Ean8).map(|()| GtinKind::Ean8)
        } else {
            validate_gtin(code)
        };
        match checked {
            Ok(kind) => Some(kind),
            Err(BarcodeError::CheckDigit { expected, .. }) => return Err(MisreadReason::CheckDigit { expected }),
            Err(e) => return Err(MisreadReason::NotGtin(e.to_string())),
        }
    } else {
        None
    };
    Ok(Scan { code: code.to_owned(), symbology, gtin })
}

fn is_gtin_length(code: &str) -> bool {
    matches!(code.len(), 8 | 12 | 13)
}

/// Drops the same code read again within the window of its last read (the window slides while a
/// scanner in continuous mode keeps reading an item held in front of it).
#[derive(Clone, Debug)]
pub struct DuplicateFilter {
    window: Duration,
    last: Option<(String, Instant)>,
}

impl DuplicateFilter {
    pub fn new(window: Duration) -> DuplicateFilter {
        DuplicateFilter { window, last: None }
    }

    /// `true` when `code` at `now` repeats the previous read.
    pub fn is_repeat(&mut self, code: &str, now: Instant) -> bool {
        if let Some((last, at)) = &mut self.last
            && last == code
        {
            let repeat = now.saturating_duration_since(*at) < self.window;
            *at = now;
            return repeat;
        }
        self.last = Some((code.to_owned(), now));
        false
    }
}

/// The scanner's byte stream parser.
#[derive(Clone, Debug)]
pub struct ScannerParser {
    options: ScannerOptions,
    frame: Vec<u8>,
    saw_stx: bool,
    /// The current frame has gone past the limit: drop bytes up to the terminator.
    overflowing: bool,
    duplicates: DuplicateFilter,
    suppressed: u64,
    /// When the last byte of the unfinished frame came.
    last_byte: Option<Instant>,
}

impl ScannerParser {
    pub fn new(options: ScannerOptions) -> ScannerParser {
        ScannerParser {
            options,
            frame: Vec::new(),
            saw_stx: false,
            overflowing: false,
            duplicates: DuplicateFilter::new(Duration::from_millis(options.duplicate_window_ms)),
            suppressed: 0,
            last_byte: None,
        }
    }

    pub fn options(&self) -> &ScannerOptions {
        &self.options
    }

    /// How many duplicate reads were dropped so far.
    pub fn suppressed(&self) -> u64 {
        self.suppressed
    }

    /// Bytes of an unfinished frame held.
    pub fn pending(&self) -> usize {
        self.frame.len()
    }

    /// Drops an unfinished frame whose bytes stopped coming more than the idle timeout before
    /// `now`, as a misread. The driver calls this when a read brings nothing.
    pub fn expire(&mut self, now: Instant) -> Vec<ScanOutcome> {
        let mut out = Vec::new();
        self.expire_into(now, &mut out);
        out
    }

    fn expire_into(&mut self, now: Instant, out: &mut Vec<ScanOutcome>) {
        let idle_ms = self.options.idle_timeout_ms;
        let Some(last) = self.last_byte else { return };
        if idle_ms == 0 || now.saturating_duration_since(last) <= Duration::from_millis(idle_ms) {
            return;
        }
        self.last_byte = None;
        if (!self.frame.is_empty() || self.saw_stx) && !self.overflowing {
            out.push(self.misread(MisreadReason::Incomplete { idle_ms }));
        }
        self.reset();
    }

    /// Feeds bytes that arrived at `now`; returns the frames they completed.
    pub fn feed(&mut self, bytes: &[u8], now: Instant) -> Vec<ScanOutcome> {
        let mut out = Vec::new();
        if bytes.is_empty() {
            return out;
        }
        self.expire_into(now, &mut out);
        self.last_byte = Some(now);
        for &b in bytes {
            if self.options.terminator.ends_frame(b) {
                self.end_frame(now, &mut out);
            } else if b == STX {
                if !self.frame.is_empty() && !self.overflowing {
                    out.push(self.misread(MisreadReason::Interrupted));
                }
                self.reset();
                self.saw_stx = true;
            } else if self.overflowing {
                // dropped up to the terminator
            } else if self.frame.len() >= self.options.max_frame_len {
                out.push(self.misread(MisreadReason::TooLong { max: self.options.max_frame_len }));
                self.frame.clear();
                self.overflowing = true;
            } else {
                self.frame.push(b);
            }
        }
        out
    }

    fn misread(&self, reason: MisreadReason) -> ScanOutcome {
        ScanOutcome::Misread(Misread { reason, frame: escape_frame(&self.frame) })
    }

    fn reset(&mut self) {
        self.frame.clear();
        self.saw_stx = false;
        self.overflowing = false;
    }

    fn end_frame(&mut self, now: Instant, out: &mut Vec<ScanOutcome>) {
        if self.overflowing || (self.frame.is_empty() && !self.saw_stx) {
            self.reset();
            return;
        }
        if self.frame.is_empty() {
            // STX and a terminator with nothing between: a read with no data.
            out.push(self.misread(MisreadReason::Empty));
        } else if self.options.stx && !self.saw_stx {
            out.push(self.misread(MisreadReason::MissingStx));
        } else {
            match decode_frame(&self.frame, self.options.aim_ids) {
                Ok(scan) => {
                    if self.duplicates.is_repeat(&scan.code, now) {
                        self.suppressed += 1;
                    } else {
                        out.push(ScanOutcome::Scan(scan));
                    }
                }
                Err(reason) => out.push(self.misread(reason)),
            }
        }
        self.reset();
    }
}

/// The bytes a scanner with these options sends for `code` read as `symbology`.
pub fn encode_frame(code: &str, symbology: &Symbology, options: &ScannerOptions) -> Vec<u8> {
    let mut f = Vec::new();
    if options.stx {
        f.push(STX);
    }
    if options.aim_ids != AimIds::Off {
        f.extend_from_slice(symbology.aim().as_bytes());
    }
    f.extend_from_slice(code.as_bytes());
    f.extend_from_slice(options.terminator.bytes());
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(code: &str, symbology: Symbology, gtin: Option<GtinKind>) -> ScanOutcome {
        ScanOutcome::Scan(Scan { code: code.into(), symbology, gtin })
    }

    fn misread(reason: MisreadReason, frame: &str) -> ScanOutcome {
        ScanOutcome::Misread(Misread { reason, frame: frame.into() })
    }

    /// Feeds `input` in one read with `options` and compares the outcomes.
    fn check(options: ScannerOptions, input: &[u8], expected: &[ScanOutcome]) {
        let mut p = ScannerParser::new(options);
        let got = p.feed(input, Instant::now());
        assert_eq!(got, expected, "input {}", escape_frame(input));
        // The same bytes one at a time give the same outcomes (a frame split across reads).
        let mut p = ScannerParser::new(options);
        let t = Instant::now();
        let split: Vec<ScanOutcome> = input.iter().flat_map(|b| p.feed(&[*b], t)).collect();
        assert_eq!(split, expected, "byte by byte {}", escape_frame(input));
    }

    fn opts() -> ScannerOptions {
        ScannerOptions { duplicate_window_ms: 0, ..ScannerOptions::default() }
    }

    #[test]
    fn terminators() {
        let ean = || scan("6901234567892", Symbology::Unknown, Some(GtinKind::Ean13));
        for t in [Terminator::Cr, Terminator::Lf, Terminator::CrLf] {
            let o = ScannerOptions { terminator: t, ..opts() };
            check(o, b"6901234567892\r\n", &[ean()]);
            check(o, b"6901234567892\r", &[ean()]);
            check(o, b"6901234567892\n", &[ean()]);
            check(o, b"\r\n\r\n", &[]);
        }
        let etx = ScannerOptions { terminator: Terminator::Etx, ..opts() };
        check(etx, b"6901234567892\x03", &[ean()]);
        check(
            etx,
            b"6901234567892\r\x03",
            &[misread(MisreadReason::NotPrintable { at: 13, byte: 0x0D }, "6901234567892\\x0D")],
        );
    }

    #[test]
    fn stx_prefix() {
        let want = scan("ABC-1", Symbology::Unknown, None);
        check(opts(), b"\x02ABC-1\r\n", std::slice::from_ref(&want));
        let o = ScannerOptions { stx: true, ..opts() };
        check(o, b"\x02ABC-1\r\n", std::slice::from_ref(&want));
        check(o, b"ABC-1\r\n", &[misread(MisreadReason::MissingStx, "ABC-1")]);
        // A frame cut short by the next STX.
        check(o, b"\x02ABC\x02ABC-1\r\n", &[misread(MisreadReason::Interrupted, "ABC"), want.clone()]);
        check(o, b"\x02\r\n", &[misread(MisreadReason::Empty, "")]);
    }

    #[test]
    fn aim_identifiers_are_parsed_and_stripped() {
        let o = opts();
        check(o, b"]E06901234567892\r\n", &[scan("6901234567892", Symbology::Ean13, Some(GtinKind::Ean13))]);
        check(o, b"]E096385074\r\n", &[scan("96385074", Symbology::Ean13, Some(GtinKind::Ean8))]);
        check(o, b"]E496385074\r\n", &[scan("96385074", Symbology::Ean8, Some(GtinKind::Ean8))]);
        check(o, b"]E0036000291452\r\n", &[scan("036000291452", Symbology::Ean13, Some(GtinKind::UpcA))]);
        check(o, b"]C0B001-01-000042\r\n", &[scan("B001-01-000042", Symbology::Code128, None)]);
        // A Code 128 of 13 digits is not check-digit validated: it is not an EAN.
        check(o, b"]C06901234567893\r\n", &[scan("6901234567893", Symbology::Code128, None)]);
        check(o, b"]Q1https://t.cn/x?a=1\r\n", &[scan("https://t.cn/x?a=1", Symbology::Qr, None)]);
        check(o, b"]X0abc\r\n", &[scan("abc", Symbology::Other("]X0".into()), None)]);
        check(o, b"]E\r\n", &[misread(MisreadReason::BadAim, "]E")]);
        check(o, b"]E0\r\n", &[misread(MisreadReason::Empty, "]E0")]);
        check(o, b"]9x123\r\n", &[misread(MisreadReason::BadAim, "]9x123")]);
        let off = ScannerOptions { aim_ids: AimIds::Off, ..opts() };
        check(off, b"]C0abc\r\n", &[scan("]C0abc", Symbology::Unknown, None)]);
        let req = ScannerOptions { aim_ids: AimIds::Required, ..opts() };
        check(req, b"6901234567892\r\n", &[misread(MisreadReason::BadAim, "6901234567892")]);
    }

    #[test]
    fn check_digits_are_validated() {
        let o = opts();
        check(o, b"6901234567893\r\n", &[misread(MisreadReason::CheckDigit { expected: 2 }, "6901234567893")]);
        check(o, b"]E06901234567893\r\n", &[misread(MisreadReason::CheckDigit { expected: 2 }, "]E06901234567893")]);
        check(o, b"96385075\r\n", &[misread(MisreadReason::CheckDigit { expected: 4 }, "96385075")]);
        // An EAN symbology with letters in it is a misread.
        assert!(matches!(
            ScannerParser::new(o).feed(b"]E0690123456789A\r\n", Instant::now()).as_slice(),
            [ScanOutcome::Misread(Misread { reason: MisreadReason::NotGtin(_), .. })]
        ));
        // Internal numeric codes of other lengths pass through unvalidated.
        check(o, b"1001\r\n", &[scan("1001", Symbology::Unknown, None)]);
    }

    #[test]
    fn noise_and_high_bytes_are_misreads() {
        let o = opts();
        check(
            o,
            b"69012\x0034567892\r\n",
            &[misread(MisreadReason::NotPrintable { at: 5, byte: 0 }, "69012\\x0034567892")],
        );
        check(o, b"\xff\xfe690\r\n", &[misread(MisreadReason::NotPrintable { at: 0, byte: 0xFF }, "\\xFF\\xFE690")]);
        check(
            o,
            "可乐\r\n".as_bytes(),
            &[misread(MisreadReason::NotPrintable { at: 0, byte: 0xE5 }, "\\xE5\\x8F\\xAF\\xE4\\xB9\\x90")],
        );
        check(o, b"\x1b[A\r\n", &[misread(MisreadReason::NotPrintable { at: 0, byte: 0x1B }, "\\x1B[A")]);
    }

    #[test]
    fn glued_and_split_frames() {
        let o = opts();
        let a = scan("6901234567892", Symbology::Unknown, Some(GtinKind::Ean13));
        let b = scan("96385074", Symbology::Unknown, Some(GtinKind::Ean8));
        check(o, b"6901234567892\r\n96385074\r\n", &[a.clone(), b.clone()]);
        check(o, b"6901234567892\r96385074\n", &[a.clone(), b.clone()]);
        let mut p = ScannerParser::new(o);
        let t = Instant::now();
        assert_eq!(p.feed(b"69012345", t), vec![]);
        assert_eq!(p.pending(), 8);
        assert_eq!(p.feed(b"67892\r", t), vec![a]);
        assert_eq!(p.feed(b"\n963", t), vec![]);
        assert_eq!(p.feed(b"85074\r\n", t), vec![b]);
        // A truncated frame with no terminator yields nothing until one comes.
        assert_eq!(p.feed(b"69012", t), vec![]);
    }

    #[test]
    fn ten_kilobytes_without_terminator_is_one_misread() {
        let o = opts();
        let mut input = vec![b'7'; 10 * 1024];
        let mut p = ScannerParser::new(o);
        let got = p.feed(&input, Instant::now());
        assert_eq!(got.len(), 1);
        assert!(matches!(&got[0], ScanOutcome::Misread(Misread { reason: MisreadReason::TooLong { max: 512 }, .. })));
        assert!(p.pending() <= 512);
        // The rest of the over-long frame is dropped up to its terminator; the next frame reads.
        input.clear();
        input.extend_from_slice(b"777\r\n96385074\r\n");
        assert_eq!(p.feed(&input, Instant::now()), vec![scan("96385074", Symbology::Unknown, Some(GtinKind::Ean8))]);
    }

    #[test]
    fn duplicates_within_the_window_are_dropped() {
        let o = ScannerOptions::default();
        let mut p = ScannerParser::new(o);
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let frame = b"6901234567892\r\n";
        assert_eq!(p.feed(frame, ms(0)).len(), 1);
        assert_eq!(p.feed(frame, ms(120)), vec![], "continuous mode reads again");
        assert_eq!(p.feed(frame, ms(400)), vec![], "the window slides while the code keeps coming");
        assert_eq!(p.feed(frame, ms(701)).len(), 1, "a second item after the window");
        assert_eq!(p.feed(b"96385074\r\n", ms(710)).len(), 1, "another code at once");
        assert_eq!(p.feed(frame, ms(720)).len(), 1, "back to the first code");
        assert_eq!(p.suppressed(), 2);
        // Misreads are never suppressed.
        assert_eq!(p.feed(b"6901234567893\r\n6901234567893\r\n", ms(730)).len(), 2);
    }

    #[test]
    fn a_half_frame_is_dropped_after_the_idle_timeout_not_glued_to_the_next() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let incomplete = |frame: &str| misread(MisreadReason::Incomplete { idle_ms: 100 }, frame);
        // `6901234`, 2 s later `96385074\r\n`: a misread and the EAN-8, not `690123496385074`.
        let mut p = ScannerParser::new(opts());
        assert_eq!(p.feed(b"6901234", ms(0)), vec![]);
        assert_eq!(
            p.feed(b"96385074\r\n", ms(2_000)),
            vec![incomplete("6901234"), scan("96385074", Symbology::Unknown, Some(GtinKind::Ean8))]
        );
        // `20012` then `34012508\r\n` is not the scale label 2001234012508.
        let mut p = ScannerParser::new(opts());
        assert_eq!(p.feed(b"20012", ms(0)), vec![]);
        let got = p.feed(b"34012508\r\n", ms(2_000));
        assert_eq!(got.first(), Some(&incomplete("20012")));
        assert!(!got.iter().any(|o| matches!(o, ScanOutcome::Scan(s) if s.code.len() == 13)), "{got:?}");
        // With no more bytes at all, the driver's `expire` reports it once the timeout is past.
        let mut p = ScannerParser::new(opts());
        assert_eq!(p.feed(b"]E0690", ms(0)), vec![]);
        assert_eq!(p.expire(ms(100)), vec![], "not yet");
        assert_eq!(p.expire(ms(101)), vec![incomplete("]E0690")]);
        assert_eq!(p.pending(), 0);
        assert_eq!(p.expire(ms(5_000)), vec![], "reported once");
        // A frame whose bytes keep coming within the timeout reads, however slowly it comes in all.
        let mut p = ScannerParser::new(opts());
        let frame = b"6901234567892\r\n";
        let got: Vec<ScanOutcome> =
            frame.iter().enumerate().flat_map(|(i, b)| p.feed(&[*b], ms(90 * i as u64))).collect();
        assert_eq!(got, vec![scan("6901234567892", Symbology::Unknown, Some(GtinKind::Ean13))]);
        // A finished frame leaves nothing to expire; 0 turns the timeout off.
        assert_eq!(p.expire(ms(60_000)), vec![]);
        let mut p = ScannerParser::new(ScannerOptions { idle_timeout_ms: 0, ..opts() });
        p.feed(b"690123", ms(0));
        assert_eq!(p.expire(ms(60_000)), vec![]);
        assert_eq!(
            p.feed(b"4567892\r", ms(60_000)),
            vec![scan("6901234567892", Symbology::Unknown, Some(GtinKind::Ean13))]
        );
    }

    #[test]
    fn default_settings_end_a_frame_on_etx_too() {
        let o = ScannerOptions::default();
        assert_eq!(o.terminator, Terminator::CrLf);
        let want = scan("6901234567892", Symbology::Unknown, Some(GtinKind::Ean13));
        check(ScannerOptions { duplicate_window_ms: 0, ..o }, b"\x026901234567892\x03", std::slice::from_ref(&want));
        check(ScannerOptions { duplicate_window_ms: 0, ..o }, b"6901234567892\x03\r\n", std::slice::from_ref(&want));
    }

    #[test]
    fn upc_e_reads_as_upc_e() {
        let o = opts();
        for code in ["04252614", "06543217", "02468139"] {
            let frame = format!("{code}\r\n");
            check(o, frame.as_bytes(), &[scan(code, Symbology::Unknown, Some(GtinKind::UpcE))]);
            let frame = format!("]E0{code}\r\n");
            check(o, frame.as_bytes(), &[scan(code, Symbology::Ean13, Some(GtinKind::UpcE))]);
        }
        // A scanner that says EAN-8 read an EAN-8: checked as one.
        check(o, b"]E404252614\r\n", &[misread(MisreadReason::CheckDigit { expected: 0 }, "]E404252614")]);
        check(o, b"04252615\r\n", &[misread(MisreadReason::CheckDigit { expected: 4 }, "04252615")]);
    }

    #[test]
    fn encode_frame_round_trips() {
        let o = ScannerOptions { stx: true, terminator: Terminator::Etx, ..opts() };
        let bytes = encode_frame("B001-01-000042", &Symbology::Code128, &o);
        assert_eq!(bytes, b"\x02]C0B001-01-000042\x03");
        let got = ScannerParser::new(o).feed(&bytes, Instant::now());
        assert_eq!(got, vec![scan("B001-01-000042", Symbology::Code128, None)]);
    }
}
