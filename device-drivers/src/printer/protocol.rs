//! ESC/POS as pure code: a laid-out receipt to bytes, the drawer kick, the real-time status query
//! and its answer. Nothing here touches a port.
//!
//! The `escpos` crate encodes what it does right (init, bold, size, alignment, GBK text, QR, full
//! cut); the rest is sent as raw bytes, each for a reason:
//! - `FS &` (Chinese character mode): the crate has no command for it;
//! - Code128 (`GS k 73`): the crate has none;
//! - the drawer kick: the crate's `cash_drawer()` sends `ESC p m` without `t1 t2`, and the
//!   printer then eats the next two bytes;
//! - partial cut: the crate's `partial_cut()` sends `GS V A 1`, a *full* cut after one unit of feed;
//! - `DLE EOT n`: the crate's `real_time_status()` adds a fourth byte (`00`) that `n` = 1–4 do not
//!   take, and that a printer then prints or obeys as the start of the next command;
//! - line ends: plain LF (one byte) instead of the crate's `writeln` (`ESC d 1`, three bytes),
//!   because at 9600 baud every byte counts.

use std::cell::RefCell;

use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::utils::{JustifyMode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption};
use serde::{Deserialize, Serialize};
use shared::receipt::{Block, PaperWidth, PrintLine, char_width};

pub const ESC: u8 = 0x1B;
pub const GS: u8 = 0x1D;
pub const FS: u8 = 0x1C;
pub const DLE: u8 = 0x10;
pub const EOT: u8 = 0x04;
pub const LF: u8 = 0x0A;

/// `FS &`: Chinese character mode (bytes ≥ 0x81 start a GBK/GB18030 character).
pub const CHINESE_MODE_ON: [u8; 2] = [FS, b'&'];

/// How Chinese text is encoded for the printer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    /// Two-byte GBK, which every Chinese ESC/POS printer reads. A character outside GBK prints
    /// as `?` (one per column, so the layout keeps its alignment).
    #[default]
    Gbk,
    /// GB18030, for printers with the four-byte extension.
    Gb18030,
}

impl TextEncoding {
    fn encoding(self) -> &'static encoding_rs::Encoding {
        match self {
            TextEncoding::Gbk => encoding_rs::GBK,
            TextEncoding::Gb18030 => encoding_rs::GB18030,
        }
    }
}

/// How the paper is cut after a receipt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CutMode {
    #[default]
    Full,
    Partial,
    /// No cutter: the cashier tears.
    None,
}

/// The drawer kick connector pin a drawer is wired to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrawerPin {
    #[default]
    Pin2,
    Pin5,
}

/// How a receipt is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct PrintOptions {
    pub paper: PaperWidth,
    pub encoding: TextEncoding,
    pub cut: CutMode,
    /// Blank lines fed before the cut (the cut itself feeds to the cutter).
    pub feed_before_cut: u8,
    /// Code128 bar height in dots.
    pub barcode_height: u8,
    /// Code128 narrow bar width in dots (2–6).
    pub barcode_module: u8,
    /// QR module size in dots (1–16).
    pub qr_module: u8,
}

impl Default for PrintOptions {
    fn default() -> Self {
        PrintOptions {
            paper: PaperWidth::Mm80,
            encoding: TextEncoding::Gbk,
            cut: CutMode::Full,
            feed_before_cut: 0,
            barcode_height: 60,
            barcode_module: 2,
            qr_module: 5,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("barcode `{0}`: Code128 set B takes printable ASCII only")]
    BarcodeCharacters(String),
    #[error("barcode `{0}` is too long for one GS k command")]
    BarcodeTooLong(String),
    #[error("ESC/POS encoding: {0}")]
    Escpos(String),
}

impl From<escpos::errors::PrinterError> for RenderError {
    fn from(e: escpos::errors::PrinterError) -> Self {
        RenderError::Escpos(e.to_string())
    }
}

/// An `escpos` driver that keeps the bytes, so rendering stays pure.
#[derive(Default)]
struct Collect(RefCell<Vec<u8>>);

impl Driver for Collect {
    fn name(&self) -> String {
        "memory".into()
    }
    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(())
    }
    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }
    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

/// Makes text safe to send: control characters (which the printer would obey) become spaces,
/// and with GBK a character outside it becomes one `?` per column it takes.
pub fn printable_text(text: &str, encoding: TextEncoding) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.push(' ');
        } else if c.is_ascii() || encoding == TextEncoding::Gb18030 || in_gbk(c) {
            out.push(c);
        } else {
            out.extend(std::iter::repeat_n('?', char_width(c)));
        }
    }
    out
}

fn in_gbk(c: char) -> bool {
    let mut buf = [0u8; 4];
    let (_, _, unmappable) = encoding_rs::GBK.encode(c.encode_utf8(&mut buf));
    !unmappable
}

/// Encodes text for the printer (after [`printable_text`]).
pub fn encode_text(text: &str, encoding: TextEncoding) -> Vec<u8> {
    let text = printable_text(text, encoding);
    encoding.encoding().encode(&text).0.into_owned()
}

/// `GS k 73 n {B data`: a Code128 barcode in code set B. `{` in the data is sent as `{{`.
pub fn code128(data: &str) -> Result<Vec<u8>, RenderError> {
    if data.is_empty() || !data.bytes().all(|b| (0x20..0x7F).contains(&b)) {
        return Err(RenderError::BarcodeCharacters(data.to_owned()));
    }
    let mut body = b"{B".to_vec();
    for b in data.bytes() {
        body.push(b);
        if b == b'{' {
            body.push(b'{');
        }
    }
    let n = u8::try_from(body.len()).map_err(|_| RenderError::BarcodeTooLong(data.to_owned()))?;
    let mut cmd = vec![GS, b'k', 73, n];
    cmd.extend_from_slice(&body);
    Ok(cmd)
}

/// `ESC p m t1 t2`: a pulse on the drawer pin, `on_ms` on and `off_ms` off (2 ms units, as the
/// printer counts them). 50 ms / 500 ms gives `1B 70 00 19 FA`.
pub fn drawer_kick(pin: DrawerPin, on_ms: u16, off_ms: u16) -> [u8; 5] {
    let t = |ms: u16| u8::try_from((ms / 2).clamp(1, 255)).unwrap_or(u8::MAX);
    let t1 = t(on_ms);
    let t2 = t(off_ms).max(t1);
    let m = match pin {
        DrawerPin::Pin2 => 0,
        DrawerPin::Pin5 => 1,
    };
    [ESC, b'p', m, t1, t2]
}

/// The bytes of a laid-out receipt: init, Chinese mode, each line as it is (the layout already
/// padded it), bold as `ESC E`, tall as `GS !` double height, the barcode, the QR, the cut.
pub fn receipt_bytes(blocks: &[Block], options: &PrintOptions) -> Result<Vec<u8>, RenderError> {
    let protocol = Protocol::new(escpos::utils::Encoder::new(options.encoding.encoding()));
    let mut p = Printer::new(Collect::default(), protocol, None);
    p.init()?.custom(&CHINESE_MODE_ON)?;
    let (mut bold, mut tall) = (false, false);
    let mut style = |p: &mut Printer<Collect>, b: bool, t: bool| -> Result<(), RenderError> {
        if b != bold {
            p.bold(b)?;
            bold = b;
        }
        if t != tall {
            if t {
                p.size(1, 2)?
            } else {
                p.reset_size()?
            };
            tall = t;
        }
        Ok(())
    };
    for block in blocks {
        match block {
            Block::Line(PrintLine { text, bold: b, tall: t }) => {
                style(&mut p, *b, *t)?;
                let text = printable_text(text, options.encoding);
                if !text.is_empty() {
                    p.write(&text)?;
                }
                p.custom(&[LF])?;
            }
            Block::Barcode(data) => {
                style(&mut p, false, false)?;
                p.justify(JustifyMode::CENTER)?
                    // HRI characters below, bar height, module width
                    .custom(&[
                        GS,
                        b'H',
                        2,
                        GS,
                        b'h',
                        options.barcode_height.max(1),
                        GS,
                        b'w',
                        options.barcode_module.clamp(2, 6),
                    ])?
                    .custom(&code128(data)?)?
                    .justify(JustifyMode::LEFT)?;
            }
            Block::Qr(data) => {
                style(&mut p, false, false)?;
                let option =
                    QRCodeOption::new(QRCodeModel::Model2, options.qr_module.clamp(1, 16), QRCodeCorrectionLevel::M);
                p.justify(JustifyMode::CENTER)?.qrcode_option(data, option)?.justify(JustifyMode::LEFT)?;
            }
        }
    }
    style(&mut p, false, false)?;
    for _ in 0..options.feed_before_cut {
        p.custom(&[LF])?;
    }
    match options.cut {
        CutMode::Full => {
            p.cut()?;
        }
        CutMode::Partial => {
            p.custom(&[GS, b'V', 66, 0])?;
        }
        CutMode::None => {}
    }
    p.print()?;
    Ok(p.driver().0.into_inner())
}

/// What `DLE EOT n` asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatusQuery {
    Printer = 1,
    OfflineCause = 2,
    ErrorCause = 3,
    PaperSensor = 4,
}

impl StatusQuery {
    pub fn from_n(n: u8) -> Option<StatusQuery> {
        Some(match n {
            1 => StatusQuery::Printer,
            2 => StatusQuery::OfflineCause,
            3 => StatusQuery::ErrorCause,
            4 => StatusQuery::PaperSensor,
            _ => return None,
        })
    }
}

/// `DLE EOT n`.
pub fn status_query(q: StatusQuery) -> [u8; 3] {
    [DLE, EOT, q as u8]
}

/// The three queries a status check sends, in the order the answers come back.
pub const STATUS_CHECK: [StatusQuery; 3] = [StatusQuery::Printer, StatusQuery::OfflineCause, StatusQuery::PaperSensor];

/// The bytes of a status check: `DLE EOT 1`, `DLE EOT 2`, `DLE EOT 4`.
pub fn status_check_bytes() -> Vec<u8> {
    STATUS_CHECK.iter().flat_map(|q| status_query(*q)).collect()
}

/// What the printer says of itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PrinterStatus {
    pub offline: bool,
    pub cover_open: bool,
    pub paper_near_end: bool,
    pub paper_end: bool,
    /// An error stopped the printer (a cutter jam, say).
    pub error: bool,
}

/// Why a printer cannot print now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error, Serialize, Deserialize)]
pub enum PrinterProblem {
    #[error("out of paper")]
    PaperEnd,
    #[error("cover open")]
    CoverOpen,
    #[error("printer error")]
    Error,
    #[error("printer offline")]
    Offline,
}

impl PrinterStatus {
    /// What stops printing, the most useful to the cashier first.
    pub fn problem(&self) -> Option<PrinterProblem> {
        if self.paper_end {
            Some(PrinterProblem::PaperEnd)
        } else if self.cover_open {
            Some(PrinterProblem::CoverOpen)
        } else if self.error {
            Some(PrinterProblem::Error)
        } else if self.offline {
            Some(PrinterProblem::Offline)
        } else {
            None
        }
    }

    pub fn ready(&self) -> bool {
        self.problem().is_none()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("0x{0:02X} is not a real-time status byte (0xx1xx10)")]
pub struct BadStatusByte(pub u8);

/// A status byte always has bit 1 and bit 4 set, bit 0 and bit 7 clear.
pub fn is_status_byte(b: u8) -> bool {
    b & 0b1001_0011 == 0b0001_0010
}

/// The status from the answers to [`STATUS_CHECK`].
pub fn parse_status(answers: [u8; 3]) -> Result<PrinterStatus, BadStatusByte> {
    if let Some(b) = answers.iter().find(|b| !is_status_byte(**b)) {
        return Err(BadStatusByte(*b));
    }
    let [printer, offline, paper] = answers;
    let bit = |b: u8, n: u8| b & (1 << n) != 0;
    Ok(PrinterStatus {
        offline: bit(printer, 3),
        cover_open: bit(offline, 2),
        error: bit(offline, 6),
        paper_end: bit(offline, 5) || bit(paper, 5) || bit(paper, 6),
        paper_near_end: bit(paper, 2) || bit(paper, 3),
    })
}

/// The byte a printer in `status` answers to `DLE EOT n` (used by the simulator).
pub fn status_answer(status: &PrinterStatus, q: StatusQuery) -> u8 {
    let mut b = 0b0001_0010;
    let mut set = |on: bool, bits: u8| {
        if on {
            b |= bits;
        }
    };
    match q {
        StatusQuery::Printer => set(!status.ready(), 1 << 3),
        StatusQuery::OfflineCause => {
            set(status.cover_open, 1 << 2);
            set(status.paper_end, 1 << 5);
            set(status.error, 1 << 6);
        }
        StatusQuery::ErrorCause => set(status.error, 1 << 6),
        StatusQuery::PaperSensor => {
            set(status.paper_near_end || status.paper_end, 0b0000_1100);
            set(status.paper_end, 0b0110_0000);
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, bold: bool, tall: bool) -> Block {
        Block::Line(PrintLine { text: text.into(), bold, tall })
    }

    #[test]
    fn a_receipt_byte_for_byte() {
        let blocks = vec![
            line("  超市  ", true, false),
            line("可乐 x1    3.50", false, false),
            line("TOTAL 3.50", true, true),
            Block::Barcode("B001-01-000042".into()),
        ];
        let options = PrintOptions { paper: PaperWidth::Mm58, ..PrintOptions::default() };
        let got = receipt_bytes(&blocks, &options).expect("renders");
        let mut want: Vec<u8> = vec![0x1B, 0x40, 0x1C, 0x26];
        want.extend([0x1B, 0x45, 0x01]);
        want.extend(b"  \xb3\xac\xca\xd0  \n");
        want.extend([0x1B, 0x45, 0x00]);
        want.extend(b"\xbf\xc9\xc0\xd6 x1    3.50\n");
        want.extend([0x1B, 0x45, 0x01, 0x1D, 0x21, 0x01]);
        want.extend(b"TOTAL 3.50\n");
        want.extend([0x1B, 0x45, 0x00, 0x1D, 0x21, 0x00]);
        want.extend([0x1B, 0x61, 0x01, 0x1D, 0x48, 0x02, 0x1D, 0x68, 60, 0x1D, 0x77, 0x02]);
        want.extend([0x1D, 0x6B, 73, 16, b'{', b'B']);
        want.extend(b"B001-01-000042");
        want.extend([0x1B, 0x61, 0x00]);
        want.extend([0x1D, 0x56, 0x41, 0x00]);
        assert_eq!(got, want);
    }

    #[test]
    fn qr_and_partial_cut() {
        let options = PrintOptions { cut: CutMode::Partial, qr_module: 4, ..PrintOptions::default() };
        let got = receipt_bytes(&[Block::Qr("https://e.tp/r/1".into())], &options).expect("renders");
        let mut want: Vec<u8> = vec![0x1B, 0x40, 0x1C, 0x26, 0x1B, 0x61, 0x01];
        want.extend([0x1D, 0x28, 0x6B, 4, 0, 49, 65, 50, 0]); // model 2
        want.extend([0x1D, 0x28, 0x6B, 3, 0, 49, 67, 4]); // module size
        want.extend([0x1D, 0x28, 0x6B, 3, 0, 49, 69, 49]); // level M
        want.extend([0x1D, 0x28, 0x6B, 19, 0, 49, 80, 48]); // store 16 bytes
        want.extend(b"https://e.tp/r/1");
        want.extend([0x1D, 0x28, 0x6B, 3, 0, 49, 81, 48]); // print
        want.extend([0x1B, 0x61, 0x00, 0x1D, 0x56, 66, 0]);
        assert_eq!(got, want);
    }

    #[test]
    fn code128_escapes_braces_and_refuses_non_ascii() {
        assert_eq!(code128("A{1").expect("ascii"), vec![0x1D, 0x6B, 73, 6, b'{', b'B', b'A', b'{', b'{', b'1']);
        assert!(matches!(code128("单号"), Err(RenderError::BarcodeCharacters(_))));
        assert!(matches!(code128(""), Err(RenderError::BarcodeCharacters(_))));
        assert!(matches!(code128(&"9".repeat(300)), Err(RenderError::BarcodeTooLong(_))));
    }

    #[test]
    fn drawer_kick_bytes() {
        assert_eq!(drawer_kick(DrawerPin::Pin2, 50, 500), [0x1B, 0x70, 0x00, 0x19, 0xFA]);
        assert_eq!(drawer_kick(DrawerPin::Pin5, 50, 500), [0x1B, 0x70, 0x01, 0x19, 0xFA]);
        assert_eq!(drawer_kick(DrawerPin::Pin2, 0, 60_000), [0x1B, 0x70, 0x00, 0x01, 0xFF]);
        // t2 is never shorter than t1
        assert_eq!(drawer_kick(DrawerPin::Pin2, 200, 20), [0x1B, 0x70, 0x00, 100, 100]);
    }

    #[test]
    fn text_outside_gbk_keeps_its_columns() {
        assert_eq!(printable_text("a\x1bb\tc", TextEncoding::Gbk), "a b c");
        assert_eq!(printable_text("可乐😀!", TextEncoding::Gbk), "可乐??!");
        assert_eq!(printable_text("可乐😀!", TextEncoding::Gb18030), "可乐😀!");
        assert_eq!(encode_text("可乐", TextEncoding::Gbk), b"\xbf\xc9\xc0\xd6");
        assert_eq!(encode_text("·—", TextEncoding::Gbk), b"\xa1\xa4\xa1\xaa");
        assert_eq!(encode_text("😀", TextEncoding::Gb18030).len(), 4);
    }

    #[test]
    fn status_bytes() {
        assert_eq!(status_check_bytes(), vec![0x10, 0x04, 0x01, 0x10, 0x04, 0x02, 0x10, 0x04, 0x04]);
        assert_eq!(parse_status([0x12, 0x12, 0x12]), Ok(PrinterStatus::default()));
        let s = parse_status([0x1A, 0x32, 0x72]).expect("valid");
        assert_eq!(
            s,
            PrinterStatus { offline: true, paper_end: true, paper_near_end: false, cover_open: false, error: false }
        );
        assert_eq!(s.problem(), Some(PrinterProblem::PaperEnd));
        let s = parse_status([0x1A, 0x16, 0x1E]).expect("valid");
        assert!(s.cover_open && s.paper_near_end && !s.paper_end);
        assert_eq!(s.problem(), Some(PrinterProblem::CoverOpen));
        assert_eq!(parse_status([0x12, 0x00, 0x12]), Err(BadStatusByte(0x00)));
        assert_eq!(parse_status([0xFF, 0x12, 0x12]), Err(BadStatusByte(0xFF)));
        // The simulator's answers read back as the status it was given.
        for status in [
            PrinterStatus::default(),
            PrinterStatus { paper_near_end: true, ..PrinterStatus::default() },
            PrinterStatus { paper_end: true, offline: true, ..PrinterStatus::default() },
            PrinterStatus { cover_open: true, offline: true, ..PrinterStatus::default() },
            PrinterStatus { offline: true, ..PrinterStatus::default() },
        ] {
            let answers = STATUS_CHECK.map(|q| status_answer(&status, q));
            let mut want = status;
            want.offline = !status.ready();
            want.paper_near_end |= status.paper_end;
            assert_eq!(parse_status(answers), Ok(want), "{status:?}");
        }
    }
}
