//! ESC/POS as pure code: a laid-out receipt to bytes, the drawer kick. Nothing here touches a
//! port. (The real-time status is in [`super::status`].)
//!
//! The `escpos` crate encodes what it does right (init, bold, size, alignment, QR, full cut, code
//! page selection and its tables); the rest is sent as raw bytes, each for a reason:
//! - text: each character is encoded here, so the bytes follow the layout's columns exactly: GBK
//!   (or GB18030) in Chinese mode with `€` as `A2 E3`, GB18030's two-byte code (GBK's one-byte
//!   0x80 is no character to a printer in Chinese mode and eats the byte after it), or the selected
//!   code page (`ESC t n`) on a printer without Chinese;
//! - `FS &` / `FS .` (Chinese character mode on / off): the crate has no command for them;
//! - Code128 (`GS k 73`): the crate has none; set C packs digit runs two to a symbol;
//! - `ESC $` (absolute print position) instead of the layout's runs of padding spaces (four bytes
//!   instead of up to 47), and rules printed at four times the width (`GS !`, a quarter of the
//!   bytes), which together take a receipt under a second on a 9600-baud line;
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
use shared::receipt::{Block, Charset, LineFormat, PaperWidth, PrintLine, barcode_caption};

use super::code_page::CodePage;
use super::code128;

pub const ESC: u8 = 0x1B;
pub const GS: u8 = 0x1D;
pub const FS: u8 = 0x1C;
pub const DLE: u8 = 0x10;
pub const EOT: u8 = 0x04;
pub const LF: u8 = 0x0A;

/// `FS &`: Chinese character mode (bytes ≥ 0x81 start a GBK/GB18030 character).
pub const CHINESE_MODE_ON: [u8; 2] = [FS, b'&'];
/// `FS .`: Chinese character mode off (bytes ≥ 0x80 are the code page's).
pub const CHINESE_MODE_OFF: [u8; 2] = [FS, b'.'];

/// How text is encoded for the printer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    /// Two-byte GBK in Chinese character mode, which every Chinese ESC/POS printer reads. A
    /// character outside GBK prints as `?` (one per column, so the layout keeps its alignment).
    #[default]
    Gbk,
    /// GB18030, for printers with the four-byte extension.
    Gb18030,
    /// A single-byte code page ([`PrintOptions::code_page`]) on a printer without Chinese
    /// characters: one column a character, `?` for what the page lacks.
    CodePage,
}

/// The printer's font: A is 12 dots a column, B 9.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Font {
    #[default]
    A,
    B,
}

impl Font {
    /// Dots a half-width character takes (a Chinese character takes two columns).
    pub fn dots(self) -> u32 {
        match self {
            Font::A => 12,
            Font::B => 9,
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

/// How a receipt is printed: the printer's paper, print width, font, columns and characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct PrintOptions {
    pub paper: PaperWidth,
    /// Printable width in dots; 0: the paper's usual (384 at 58 mm, 576 at 80 mm). TM-T88-class
    /// printers print 512 dots at 80 mm.
    pub dots: u16,
    pub font: Font,
    /// Characters a line; 0: as many as fit (dots / font width: 48 and 32 in font A, 42 on a
    /// 512-dot printer, 64 and 42 in font B).
    pub columns: u16,
    pub encoding: TextEncoding,
    /// The code page when `encoding` is `code_page`.
    pub code_page: CodePage,
    /// Moves to a column with `ESC $` instead of sending the layout's padding spaces, and prints
    /// a rule (`----`) as a quarter as many characters four times as wide.
    pub positioning: bool,
    pub cut: CutMode,
    /// Blank lines fed before the cut (the cut itself feeds to the cutter).
    pub feed_before_cut: u8,
    /// Code128 bar height in dots.
    pub barcode_height: u8,
    /// Code128 narrow bar width in dots (2–6); narrower (down to 2) when the receipt number would
    /// not fit the paper with its quiet zones.
    pub barcode_module: u8,
    /// QR module size in dots (1–16).
    pub qr_module: u8,
}

impl Default for PrintOptions {
    fn default() -> Self {
        PrintOptions {
            paper: PaperWidth::Mm80,
            dots: 0,
            font: Font::A,
            columns: 0,
            encoding: TextEncoding::Gbk,
            code_page: CodePage::Pc437,
            positioning: true,
            cut: CutMode::Full,
            feed_before_cut: 0,
            barcode_height: 60,
            barcode_module: 2,
            qr_module: 5,
        }
    }
}

impl PrintOptions {
    /// Printable width in dots.
    pub fn print_dots(&self) -> u32 {
        match (self.dots, self.paper) {
            (0, PaperWidth::Mm58) => 384,
            (0, PaperWidth::Mm80) => 576,
            (d, _) => u32::from(d),
        }
    }

    /// Characters a line.
    pub fn columns(&self) -> usize {
        match self.columns {
            0 => (self.print_dots() / self.font.dots()).max(1) as usize,
            n => usize::from(n),
        }
    }

    /// How wide characters print.
    pub fn charset(&self) -> Charset {
        match self.encoding {
            TextEncoding::Gbk | TextEncoding::Gb18030 => Charset::DoubleByte,
            TextEncoding::CodePage => Charset::SingleByte,
        }
    }

    /// The grid receipts are laid out on for this printer.
    pub fn line_format(&self) -> LineFormat {
        LineFormat::new(self.columns(), self.charset())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("barcode `{0}`: Code128 takes printable ASCII only")]
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

/// The bytes of one character, or `None` when the printer cannot print it.
fn encode_char(c: char, options: &PrintOptions) -> Option<Vec<u8>> {
    let mut buf = [0u8; 4];
    let s = c.encode_utf8(&mut buf);
    match options.encoding {
        _ if c.is_ascii() => Some(vec![c as u8]),
        TextEncoding::Gbk => {
            // In GBK, and encoded as GB18030 does: the same two bytes for every character but `€`,
            // which GBK makes the single byte 0x80.
            let (_, _, unmappable) = encoding_rs::GBK.encode(s);
            if unmappable {
                return None;
            }
            Some(encoding_rs::GB18030.encode(s).0.into_owned())
        }
        TextEncoding::Gb18030 => {
            let (bytes, _, unmappable) = encoding_rs::GB18030.encode(s);
            (!unmappable).then(|| bytes.into_owned())
        }
        TextEncoding::CodePage => options.code_page.encode(c).map(|b| vec![b]),
    }
}

/// Makes text safe to send: control characters (which the printer would obey) become spaces, and
/// a character the printer cannot print becomes one `?` per column the layout gave it.
pub fn printable_text(text: &str, options: &PrintOptions) -> String {
    let charset = options.charset();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        // GBK has no `¥` (U+00A5, a promotion's "满¥100"), but has the full-width `￥` (A3 A4),
        // which takes the two columns the layout gave `¥` in Chinese mode.
        let c = if c == '¥' && options.encoding == TextEncoding::Gbk { '￥' } else { c };
        if c.is_control() {
            out.push(' ');
        } else if charset.width(c) == 0 && !matches!(options.encoding, TextEncoding::Gb18030) {
            // a combining mark: no column, and no GBK or code-page byte
        } else if let Some(bytes) = encode_char(c, options) {
            // What the paper shows is what the bytes decode to: GB18030-2022 reads a few bytes
            // that older tables gave a private-use character (U+E832) as the standard one
            // (U+9FB8 龸), so the text is said as the printer will print it.
            let printed = match options.encoding {
                TextEncoding::Gbk | TextEncoding::Gb18030 if !c.is_ascii() => {
                    let back = encoding_rs::GB18030.decode_without_bom_handling(&bytes).0;
                    let mut chars = back.chars();
                    match (chars.next(), chars.next()) {
                        (Some(one), None) => one,
                        _ => c,
                    }
                }
                _ => c,
            };
            out.push(printed);
        } else {
            out.extend(std::iter::repeat_n('?', charset.width(c)));
        }
    }
    out
}

/// Encodes text for the printer (after [`printable_text`]).
pub fn encode_text(text: &str, options: &PrintOptions) -> Vec<u8> {
    printable_text(text, options).chars().filter_map(|c| encode_char(c, options)).flatten().collect()
}

/// `GS k 73 n data`: the receipt number as Code128, digit runs in set C.
pub fn code128(data: &str) -> Result<Vec<u8>, RenderError> {
    let symbol = code128::encode(data).ok_or_else(|| RenderError::BarcodeCharacters(data.to_owned()))?;
    let n = u8::try_from(symbol.data.len()).map_err(|_| RenderError::BarcodeTooLong(data.to_owned()))?;
    let mut cmd = vec![GS, b'k', 73, n];
    cmd.extend_from_slice(&symbol.data);
    Ok(cmd)
}

/// The widest module (dots, from the configured one down to 2) at which the Code128 of `data` and
/// its quiet zones fit the printable width; `None` when it does not fit even at 2.
pub fn code128_module(data: &str, options: &PrintOptions) -> Option<u8> {
    let symbol = code128::encode(data)?;
    (2..=options.barcode_module.clamp(2, 6))
        .rev()
        .find(|m| symbol.dots_with_quiet_zones(u32::from(*m)) <= options.print_dots())
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

/// `ESC $ nL nH`: print from `dots` from the left of the print area.
pub fn position(dots: u32) -> [u8; 4] {
    let d = dots.min(u32::from(u16::MAX));
    [ESC, b'$', (d & 0xFF) as u8, (d >> 8) as u8]
}

/// Spaces this long or longer are sent as `ESC $` (four bytes).
const SHORTEST_JUMP: usize = 5;

/// The bytes of one line's text: runs of padding spaces become `ESC $` to their column (when
/// positioning is on), except at the end of a line, where they are kept as they are.
fn line_bytes(text: &str, options: &PrintOptions) -> Vec<u8> {
    let text = printable_text(text, options);
    let charset = options.charset();
    let mut out = Vec::with_capacity(text.len());
    let mut column = 0;
    let mut spaces = 0;
    let flush = |out: &mut Vec<u8>, spaces: usize, column: usize| {
        if options.positioning && spaces >= SHORTEST_JUMP {
            out.extend(position(column as u32 * options.font.dots()));
        } else {
            out.extend(std::iter::repeat_n(b' ', spaces));
        }
    };
    for c in text.chars() {
        if c == ' ' {
            spaces += 1;
            column += 1;
            continue;
        }
        flush(&mut out, spaces, column);
        spaces = 0;
        out.extend(encode_char(c, options).unwrap_or_default());
        column += charset.width(c);
    }
    out.extend(std::iter::repeat_n(b' ', spaces));
    out
}

/// A rule across the paper (one ASCII character repeated over every column) and the widest
/// magnification (4, 3 or 2) that divides the columns: it is sent as `1/k` of the characters,
/// `k` times as wide.
fn rule_magnification(text: &str, options: &PrintOptions) -> Option<(u8, usize)> {
    let first = *text.as_bytes().first()?;
    let is_rule = options.positioning
        && first.is_ascii_graphic()
        && text.len() == options.columns()
        && text.bytes().all(|b| b == first);
    if !is_rule {
        return None;
    }
    [4, 3, 2].into_iter().find(|k| text.len().is_multiple_of(*k)).map(|k| (first, k))
}

/// The bytes of a laid-out receipt: init, the character mode, the font, each line (padding as
/// positions), bold as `ESC E`, tall as `GS !` double height, the barcode, the QR, the cut.
pub fn receipt_bytes(blocks: &[Block], options: &PrintOptions) -> Result<Vec<u8>, RenderError> {
    let mut p = Printer::new(Collect::default(), Protocol::default(), None);
    p.init()?;
    match options.encoding {
        TextEncoding::Gbk | TextEncoding::Gb18030 => p.custom(&CHINESE_MODE_ON)?,
        TextEncoding::CodePage => p.custom(&CHINESE_MODE_OFF)?.custom(&options.code_page.select())?,
    };
    if options.font == Font::B {
        p.custom(&[ESC, b'M', 1])?;
    }
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
                match rule_magnification(text, options) {
                    Some((c, k)) => {
                        let tall_bit = u8::from(*t);
                        let wide = ((k as u8 - 1) << 4) | tall_bit;
                        p.custom(&[GS, b'!', wide])?
                            .custom(&vec![c; text.len() / k])?
                            .custom(&[GS, b'!', tall_bit, LF])?;
                    }
                    None => {
                        p.custom(&line_bytes(text, options))?.custom(&[LF])?;
                    }
                }
            }
            Block::Barcode(data) => {
                style(&mut p, false, false)?;
                match code128_module(data, options) {
                    Some(module) => {
                        p.justify(JustifyMode::CENTER)?
                            // HRI characters below, bar height, module width
                            .custom(&[GS, b'H', 2, GS, b'h', options.barcode_height.max(1), GS, b'w', module])?
                            .custom(&code128(data)?)?
                            .justify(JustifyMode::LEFT)?;
                    }
                    // Too wide for the paper even at its narrowest: the number as text, which a
                    // cashier can type (and which reads back as the barcode's caption).
                    None => {
                        p.custom(&line_bytes(&barcode_caption(data, options.line_format()), options))?.custom(&[LF])?;
                    }
                }
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
        want.extend([0x1D, 0x6B, 73, 15]);
        want.extend(b"{BB001-01-{C\x00\x00\x2a");
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
        assert!(matches!(code128(&"A".repeat(300)), Err(RenderError::BarcodeTooLong(_))));
    }

    #[test]
    fn the_receipt_number_fits_a_58mm_head_in_set_c() {
        let mm58 = PrintOptions { paper: PaperWidth::Mm58, ..PrintOptions::default() };
        // Set B only: 16 symbols + stop = 189 modules, 378 dots; with quiet zones 418 > 384.
        assert_eq!(code128("B001-01-000042").expect("ascii")[3], 15, "set C for the digits");
        assert_eq!(code128_module("B001-01-000042", &mm58), Some(2), "167 modules + quiet zones = 374 dots");
        // A wider module is narrowed to fit; a long branch code at 80 mm is checked too.
        let wide = PrintOptions { barcode_module: 3, ..mm58 };
        assert_eq!(code128_module("B001-01-000042", &wide), Some(2));
        let mm80 = PrintOptions { barcode_module: 3, ..PrintOptions::default() };
        assert_eq!(code128_module("B001-01-000042", &mm80), Some(3));
        assert_eq!(code128_module("SH0012-01-000042", &PrintOptions::default()), Some(2));
        assert_eq!(code128_module("BRANCHCODEABCDEF-01-000042", &PrintOptions::default()), None);
        // What does not fit prints as text, never wider than the paper.
        let blocks = [Block::Barcode("BRANCHCODEABCDEF-01-000042".into())];
        let bytes = receipt_bytes(&blocks, &mm58).expect("renders");
        assert!(!bytes.windows(2).any(|w| w == [GS, b'k']), "no barcode command");
        assert!(bytes.windows(26).any(|w| w == b"BRANCHCODEABCDEF-01-000042"));
    }

    #[test]
    fn padding_spaces_are_sent_as_positions() {
        let o = PrintOptions::default();
        assert_eq!(line_bytes("合计          12.30", &o), b"\xba\xcf\xbc\xc6\x1b$\xa8\x00\x31\x32.30".to_vec());
        assert_eq!(line_bytes("    short", &o), b"    short".to_vec(), "four spaces are shorter than ESC $");
        assert_eq!(line_bytes("a     ", &o), b"a     ".to_vec(), "trailing spaces stay");
        let b = PrintOptions { font: Font::B, ..o };
        assert_eq!(line_bytes("      x", &b), b"\x1b$\x36\x00x".to_vec(), "6 columns of 9 dots");
        let off = PrintOptions { positioning: false, ..o };
        assert_eq!(line_bytes("a      b", &off), b"a      b".to_vec());
    }

    #[test]
    fn rules_are_sent_four_times_as_wide() {
        let o = PrintOptions { paper: PaperWidth::Mm58, ..PrintOptions::default() };
        let bytes = receipt_bytes(&[line(&"-".repeat(32), false, false)], &o).expect("renders");
        let mut want = vec![ESC, b'@', FS, b'&', GS, b'!', 0x30];
        want.extend([b'-'; 8]);
        want.extend([GS, b'!', 0, LF, GS, b'V', b'A', 0]);
        assert_eq!(bytes, want);
        assert_eq!(rule_magnification(&"=".repeat(42), &PrintOptions { dots: 512, ..o }), Some((b'=', 3)));
        assert_eq!(rule_magnification("--", &o), None, "not across the paper");
        assert_eq!(rule_magnification(&"-".repeat(32), &PrintOptions { positioning: false, ..o }), None);
    }

    #[test]
    fn columns_follow_the_print_width_and_font() {
        let cols = |o: PrintOptions| o.columns();
        assert_eq!(cols(PrintOptions::default()), 48);
        assert_eq!(cols(PrintOptions { paper: PaperWidth::Mm58, ..PrintOptions::default() }), 32);
        assert_eq!(cols(PrintOptions { dots: 512, ..PrintOptions::default() }), 42, "TM-T88 class at 80 mm");
        assert_eq!(cols(PrintOptions { font: Font::B, ..PrintOptions::default() }), 64);
        assert_eq!(cols(PrintOptions { columns: 42, ..PrintOptions::default() }), 42);
        let o = PrintOptions { encoding: TextEncoding::CodePage, ..PrintOptions::default() };
        assert_eq!(o.line_format(), LineFormat::new(48, Charset::SingleByte));
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
    fn text_outside_the_printers_characters_keeps_its_columns() {
        let gbk = PrintOptions::default();
        let gb18030 = PrintOptions { encoding: TextEncoding::Gb18030, ..gbk };
        let cp = |page| PrintOptions { encoding: TextEncoding::CodePage, code_page: page, ..gbk };
        assert_eq!(printable_text("a\x1bb\tc", &gbk), "a b c");
        assert_eq!(printable_text("可乐😀!", &gbk), "可乐??!");
        assert_eq!(printable_text("可乐😀!", &gb18030), "可乐😀!");
        // The yen sign GBK lacks prints as its full-width form, in the same two columns.
        assert_eq!(printable_text("满¥100", &gbk), "满￥100");
        assert_eq!(encode_text("¥1", &gbk), b"\xa3\xa41");
        assert_eq!(encode_text("可乐", &gbk), b"\xbf\xc9\xc0\xd6");
        assert_eq!(encode_text("·—", &gbk), b"\xa1\xa4\xa1\xaa");
        assert_eq!(encode_text("😀", &gb18030).len(), 4);
        // é and ú are GBK double-byte characters (two columns in the layout); € is GB18030's
        // A2 E3, never GBK's single 0x80, which a printer in Chinese mode takes as a lead byte.
        assert_eq!(encode_text("Nestlé ú", &gbk), b"Nestl\xa8\xa6 \xa8\xb2");
        assert_eq!(encode_text("€5", &gbk), b"\xa2\xe35");
        assert!(!encode_text("€", &gbk).contains(&0x80));
        // A code page: one byte a character, `?` for what it lacks.
        assert_eq!(encode_text("Nestlé €", &cp(CodePage::Wpc1252)), b"Nestl\xe9 \x80");
        assert_eq!(encode_text("Nestlé €", &cp(CodePage::Pc437)), b"Nestl\x82 ?");
        assert_eq!(encode_text("雀巢", &cp(CodePage::Pc858)), b"??");
        assert_eq!(printable_text("e\u{301}", &gbk), "e");
    }

    #[test]
    fn a_code_page_printer_leaves_chinese_mode_and_selects_its_page() {
        let o =
            PrintOptions { encoding: TextEncoding::CodePage, code_page: CodePage::Pc858, ..PrintOptions::default() };
        let bytes = receipt_bytes(&[line("Café €2", false, false)], &o).expect("renders");
        assert!(bytes.starts_with(&[ESC, b'@', FS, b'.', ESC, b't', 19]), "{bytes:02X?}");
        assert!(bytes.windows(7).any(|w| w == b"Caf\x82 \xd52"), "{bytes:02X?}");
    }
}
