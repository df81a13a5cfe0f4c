//! What a receipt printer does with ESC/POS bytes, as pure code: the printer simulator's brain.
//!
//! [`PaperReader`] reads a byte stream (split anywhere) and tells what lands on the paper: lines of
//! text (decoded from GB18030 in Chinese character mode, else from the code page `ESC t` chose),
//! barcodes, QR codes, cuts, drawer kicks, and the real-time status queries the printer must
//! answer. `ESC $` (absolute position) lands the next character in the column its dots give in
//! the current font (`ESC M`, `ESC !`), which the reader writes as the spaces it skipped over.
//! Commands it does not know are reported, not guessed at.

use serde::{Deserialize, Serialize};

use shared::receipt::Charset;

use super::code_page::CodePage;
use super::protocol::{DLE, DrawerPin, EOT, ESC, FS, GS, LF};
use super::status::StatusQuery;

/// One printed line of text and its style.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaperLine {
    pub text: String,
    pub bold: bool,
    pub tall: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CutKind {
    Full,
    Partial,
}

/// What the printer did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaperEvent {
    Line(PaperLine),
    /// `GS k`: the symbology number `m` and the data (Code128's code-set prefix removed).
    Barcode {
        m: u8,
        data: String,
    },
    Qr(String),
    Cut(CutKind),
    DrawerKick {
        pin: DrawerPin,
        on_ms: u16,
        off_ms: u16,
    },
    /// `DLE EOT n`: the printer must answer at once.
    StatusQuery(StatusQuery),
    /// `ESC @`.
    Init,
    /// A command this reader does not know (its first bytes).
    Unknown(Vec<u8>),
}

/// Longest command or unfinished line kept; past that the bytes are dropped as noise.
const MAX_PENDING: usize = 64 * 1024;

/// Reads ESC/POS.
#[derive(Clone, Debug)]
pub struct PaperReader {
    pending: Vec<u8>,
    line: Vec<u8>,
    chinese: bool,
    /// `ESC t n`; `None` for a page this reader has no table of.
    code_page: Option<CodePage>,
    font_b: bool,
    bold: bool,
    tall: bool,
    /// Width magnification (`GS !` high nibble + 1, `ESC !` bit 5).
    wide: usize,
    qr_data: Option<Vec<u8>>,
}

impl Default for PaperReader {
    fn default() -> Self {
        PaperReader {
            pending: Vec::new(),
            line: Vec::new(),
            chinese: false,
            code_page: Some(CodePage::Pc437),
            font_b: false,
            bold: false,
            tall: false,
            wide: 1,
            qr_data: None,
        }
    }
}

enum Step {
    /// Need more bytes.
    More,
    /// Consumed this many bytes.
    Took(usize),
}

impl PaperReader {
    pub fn new() -> PaperReader {
        PaperReader::default()
    }

    /// Text received but not yet ended by a line feed.
    pub fn unfinished_line(&self) -> String {
        self.decode(&self.line)
    }

    pub fn feed(&mut self, bytes: &[u8]) -> Vec<PaperEvent> {
        let mut out = Vec::new();
        let mut pending = std::mem::take(&mut self.pending);
        pending.extend_from_slice(bytes);
        let mut at = 0;
        while at < pending.len() {
            match self.step(&pending[at..], &mut out) {
                Step::Took(n) => at += n,
                Step::More => break,
            }
        }
        pending.drain(..at);
        self.pending = pending;
        if self.pending.len() > MAX_PENDING {
            out.push(PaperEvent::Unknown(self.pending[..8].to_vec()));
            self.pending.clear();
        }
        if self.line.len() > MAX_PENDING {
            self.end_line(&mut out);
        }
        out
    }

    fn decode(&self, bytes: &[u8]) -> String {
        if self.chinese {
            encoding_rs::GB18030.decode_without_bom_handling(bytes).0.into_owned()
        } else {
            bytes
                .iter()
                .map(|&b| self.code_page.and_then(|p| p.decode(b)).unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        }
    }

    /// `ESC $`: spaces up to the column `dots` falls in (nothing when already past it).
    fn move_to(&mut self, dots: u32) {
        let font = if self.font_b { 9 } else { 12 };
        let target = (dots / font) as usize;
        let charset = if self.chinese { Charset::DoubleByte } else { Charset::SingleByte };
        let at = charset.text_width(&self.decode(&self.line));
        self.line.extend(std::iter::repeat_n(b' ', target.saturating_sub(at)));
    }

    fn end_line(&mut self, out: &mut Vec<PaperEvent>) {
        let text = self.decode(&self.line);
        self.line.clear();
        out.push(PaperEvent::Line(PaperLine { text, bold: self.bold, tall: self.tall }));
    }

    /// Ends a line that has text in it (before a barcode, a QR or a cut).
    fn flush_line(&mut self, out: &mut Vec<PaperEvent>) {
        if !self.line.is_empty() {
            self.end_line(out);
        }
    }

    fn step(&mut self, b: &[u8], out: &mut Vec<PaperEvent>) -> Step {
        let need = |n: usize| if b.len() < n { Step::More } else { Step::Took(n) };
        match b[0] {
            LF => {
                self.end_line(out);
                Step::Took(1)
            }
            ESC => {
                let Some(&c) = b.get(1) else { return Step::More };
                match c {
                    b'@' => {
                        self.flush_line(out);
                        self.chinese = false;
                        self.code_page = Some(CodePage::Pc437);
                        self.font_b = false;
                        self.bold = false;
                        self.tall = false;
                        self.wide = 1;
                        self.qr_data = None;
                        out.push(PaperEvent::Init);
                        Step::Took(2)
                    }
                    b'E' | b'G' | b'!' | b'd' | b'J' | b'a' | b'-' | b'M' | b't' | b'R' | b'{' | b'V' | b'3' | b'='
                    | b'U' | b' ' | b'c'
                        if b.len() < 3 =>
                    {
                        Step::More
                    }
                    b'E' | b'G' => {
                        self.bold = b[2] & 1 == 1;
                        Step::Took(3)
                    }
                    b'!' => {
                        self.font_b = b[2] & 0x01 != 0;
                        self.bold = b[2] & 0x08 != 0;
                        self.tall = b[2] & 0x10 != 0;
                        self.wide = if b[2] & 0x20 != 0 { 2 } else { 1 };
                        Step::Took(3)
                    }
                    b'M' => {
                        self.font_b = b[2] & 1 == 1;
                        Step::Took(3)
                    }
                    b't' => {
                        self.code_page = CodePage::from_n(b[2]);
                        Step::Took(3)
                    }
                    b'd' => {
                        let n = b[2];
                        if n > 0 || !self.line.is_empty() {
                            self.end_line(out);
                        }
                        for _ in 1..n {
                            self.end_line(out);
                        }
                        Step::Took(3)
                    }
                    b'J' => {
                        self.end_line(out);
                        Step::Took(3)
                    }
                    b'a' | b'-' | b'R' | b'{' | b'V' | b'3' | b'=' | b'U' | b' ' => Step::Took(3),
                    b'$' => {
                        if b.len() < 4 {
                            return Step::More;
                        }
                        self.move_to(u32::from(b[2]) + 256 * u32::from(b[3]));
                        Step::Took(4)
                    }
                    b'c' => need(4),
                    b'2' => Step::Took(2),
                    b'i' | b'm' => {
                        self.flush_line(out);
                        out.push(PaperEvent::Cut(CutKind::Partial));
                        Step::Took(2)
                    }
                    b'p' => {
                        if b.len() < 5 {
                            return Step::More;
                        }
                        let pin = if b[2] & 1 == 0 { DrawerPin::Pin2 } else { DrawerPin::Pin5 };
                        out.push(PaperEvent::DrawerKick {
                            pin,
                            on_ms: u16::from(b[3]) * 2,
                            off_ms: u16::from(b[4]) * 2,
                        });
                        Step::Took(5)
                    }
                    _ => {
                        out.push(PaperEvent::Unknown(b[..2].to_vec()));
                        Step::Took(2)
                    }
                }
            }
            GS => {
                let Some(&c) = b.get(1) else { return Step::More };
                match c {
                    b'!' => {
                        let Some(&n) = b.get(2) else { return Step::More };
                        self.tall = n & 0x0F != 0;
                        self.wide = usize::from(n >> 4) + 1;
                        Step::Took(3)
                    }
                    b'B' | b'H' | b'h' | b'w' | b'f' | b'a' | b'b' | b'r' | b'I' => need(3),
                    b'L' | b'W' | b'P' => need(4),
                    b'V' => {
                        let Some(&m) = b.get(2) else { return Step::More };
                        let (kind, len) = match m {
                            0 | 48 => (CutKind::Full, 3),
                            1 | 49 => (CutKind::Partial, 3),
                            65 | 97 | 103 => (CutKind::Full, 4),
                            _ => (CutKind::Partial, 4),
                        };
                        if b.len() < len {
                            return Step::More;
                        }
                        self.flush_line(out);
                        out.push(PaperEvent::Cut(kind));
                        Step::Took(len)
                    }
                    b'k' => self.barcode(b, out),
                    b'(' => self.function(b, out),
                    _ => {
                        out.push(PaperEvent::Unknown(b[..2].to_vec()));
                        Step::Took(2)
                    }
                }
            }
            FS => {
                let Some(&c) = b.get(1) else { return Step::More };
                match c {
                    b'&' => {
                        self.chinese = true;
                        Step::Took(2)
                    }
                    b'.' => {
                        self.chinese = false;
                        Step::Took(2)
                    }
                    b'!' | b'-' | b'W' | b'C' => need(3),
                    b'S' | b'p' => need(4),
                    _ => {
                        out.push(PaperEvent::Unknown(b[..2].to_vec()));
                        Step::Took(2)
                    }
                }
            }
            DLE => {
                let Some(&c) = b.get(1) else { return Step::More };
                match c {
                    EOT => {
                        let Some(&n) = b.get(2) else { return Step::More };
                        match StatusQuery::from_n(n) {
                            Some(q) => {
                                out.push(PaperEvent::StatusQuery(q));
                                Step::Took(3)
                            }
                            // n = 7, 8, 18 take one more byte
                            None => need(4),
                        }
                    }
                    0x05 => need(3),
                    0x14 => {
                        // DLE DC4 1 m t: real-time drawer pulse
                        if b.len() < 5 {
                            return Step::More;
                        }
                        if b[2] == 1 {
                            let pin = if b[3] & 1 == 0 { DrawerPin::Pin2 } else { DrawerPin::Pin5 };
                            let ms = u16::from(b[4].clamp(1, 8)) * 100;
                            out.push(PaperEvent::DrawerKick { pin, on_ms: ms, off_ms: ms });
                        }
                        Step::Took(5)
                    }
                    _ => {
                        out.push(PaperEvent::Unknown(b[..2].to_vec()));
                        Step::Took(2)
                    }
                }
            }
            // Other control bytes (CR, NUL, HT...) print nothing here.
            c if c < 0x20 => Step::Took(1),
            _ => {
                let n = b.iter().position(|&x| x < 0x20).unwrap_or(b.len());
                if self.wide > 1 {
                    // A half-width character k times as wide covers k columns: it reads back as k
                    // of itself (a rule of `-` sent a quarter as long at 4× width reads as the rule).
                    for &x in &b[..n] {
                        let copies = if x < 0x80 { self.wide } else { 1 };
                        self.line.extend(std::iter::repeat_n(x, copies));
                    }
                } else {
                    self.line.extend_from_slice(&b[..n]);
                }
                Step::Took(n)
            }
        }
    }

    fn barcode(&mut self, b: &[u8], out: &mut Vec<PaperEvent>) -> Step {
        let Some(&m) = b.get(2) else { return Step::More };
        let (data, len) = if m <= 6 {
            let Some(end) = b[3..].iter().position(|&x| x == 0) else { return Step::More };
            (&b[3..3 + end], 3 + end + 1)
        } else {
            let Some(&n) = b.get(3) else { return Step::More };
            let n = usize::from(n);
            if b.len() < 4 + n {
                return Step::More;
            }
            (&b[4..4 + n], 4 + n)
        };
        let data = if m == 73 { code128_text(data) } else { String::from_utf8_lossy(data).into_owned() };
        self.flush_line(out);
        out.push(PaperEvent::Barcode { m, data });
        Step::Took(len)
    }

    /// `GS ( fn pL pH ...`: QR (`GS ( k` with cn = 49) is read, the rest skipped by length.
    fn function(&mut self, b: &[u8], out: &mut Vec<PaperEvent>) -> Step {
        if b.len() < 5 {
            return Step::More;
        }
        let len = 5 + usize::from(b[3]) + 256 * usize::from(b[4]);
        if b.len() < len {
            return Step::More;
        }
        let body = &b[5..len];
        if b[2] == b'k' && body.first() == Some(&49) {
            match body.get(1) {
                Some(80) => self.qr_data = Some(body.get(3..).unwrap_or_default().to_vec()),
                Some(81) => {
                    if let Some(data) = self.qr_data.take() {
                        self.flush_line(out);
                        out.push(PaperEvent::Qr(String::from_utf8_lossy(&data).into_owned()));
                    }
                }
                _ => {}
            }
        }
        Step::Took(len)
    }
}

/// The text of Code128 data: code-set switches (`{A`, `{B`, `{C`...) dropped, `{{` read as `{`.
/// Code set C packs two digits per byte.
fn code128_text(data: &[u8]) -> String {
    let mut s = String::new();
    let mut set_c = false;
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'{' && i + 1 < data.len() {
            match data[i + 1] {
                b'{' => s.push('{'),
                b'C' => set_c = true,
                b'A' | b'B' => set_c = false,
                _ => {}
            }
            i += 2;
            continue;
        }
        if set_c {
            s.push_str(&format!("{:02}", data[i]));
        } else {
            s.push(char::from(data[i]));
        }
        i += 1;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, bold: bool, tall: bool) -> PaperEvent {
        PaperEvent::Line(PaperLine { text: text.into(), bold, tall })
    }

    fn check(input: &[u8], expected: &[PaperEvent]) {
        assert_eq!(PaperReader::new().feed(input), expected);
        let mut r = PaperReader::new();
        let split: Vec<PaperEvent> = input.iter().flat_map(|b| r.feed(&[*b])).collect();
        assert_eq!(split, expected, "byte by byte");
    }

    #[test]
    fn text_styles_and_chinese() {
        check(
            b"\x1b@\x1c&\x1bE\x01\xb3\xac\xca\xd0\n\x1bE\x00\x1d!\x01TOTAL\n\x1d!\x00\r\n",
            &[PaperEvent::Init, line("超市", true, false), line("TOTAL", false, true), line("", false, false)],
        );
        // Without Chinese mode, high bytes are the code page's (PC437 until ESC t says otherwise).
        check(b"\xb3\xac\n", &[line("│¼", false, false)]);
        check(b"\x1bt\x10\x80\n\x1bt\x63\x80\n", &[line("€", false, false), line("\u{FFFD}", false, false)]);
        check(b"a\x1bd\x03", &[line("a", false, false), line("", false, false), line("", false, false)]);
    }

    #[test]
    fn barcodes_qr_cuts_and_drawer() {
        check(
            b"\x1da\x00\x1dH\x02\x1dk\x49\x10{BB001-01-000042\x1dk\x02690123456789\x00",
            &[
                PaperEvent::Barcode { m: 73, data: "B001-01-000042".into() },
                PaperEvent::Barcode { m: 2, data: "690123456789".into() },
            ],
        );
        let mut qr = vec![0x1D, 0x28, 0x6B, 4, 0, 49, 65, 50, 0];
        qr.extend([0x1D, 0x28, 0x6B, 6, 0, 49, 80, 48, b'a', b'b', b'c']);
        qr.extend([0x1D, 0x28, 0x6B, 3, 0, 49, 81, 48]);
        check(&qr, &[PaperEvent::Qr("abc".into())]);
        check(
            b"x\x1dVA\x00\x1dV\x01\x1bp\x00\x19\xfa\x1bp\x01\x19\xfa",
            &[
                line("x", false, false),
                PaperEvent::Cut(CutKind::Full),
                PaperEvent::Cut(CutKind::Partial),
                PaperEvent::DrawerKick { pin: DrawerPin::Pin2, on_ms: 50, off_ms: 500 },
                PaperEvent::DrawerKick { pin: DrawerPin::Pin5, on_ms: 50, off_ms: 500 },
            ],
        );
    }

    #[test]
    fn status_queries_and_unknown_commands() {
        check(
            b"\x10\x04\x01\x10\x04\x04\x1bZ\x1dZ",
            &[
                PaperEvent::StatusQuery(StatusQuery::Printer),
                PaperEvent::StatusQuery(StatusQuery::PaperSensor),
                PaperEvent::Unknown(vec![0x1B, b'Z']),
                PaperEvent::Unknown(vec![0x1D, b'Z']),
            ],
        );
    }

    #[test]
    fn positions_and_wide_rules_read_back_as_columns() {
        // ESC $ 168 dots = column 14 in font A; a Chinese character takes two columns.
        check(b"\x1c&\xba\xcf\xbc\xc6\x1b$\xa8\x0012.30\n", &[line("合计          12.30", false, false)]);
        // In font B (ESC M 1) a column is 9 dots.
        check(b"\x1bM\x01\x1b$\x36\x00x\n", &[line("      x", false, false)]);
        // A position already passed adds nothing.
        check(b"abc\x1b$\x0c\x00d\n", &[line("abcd", false, false)]);
        // Four times as wide: each dash covers four columns.
        check(b"\x1d!\x30--\x1d!\x00-\n", &[line("---------", false, false)]);
    }

    #[test]
    fn code128_sets() {
        assert_eq!(code128_text(b"{BA{{1"), "A{1");
        assert_eq!(code128_text(b"{C\x0c\x22"), "1234");
    }
}
