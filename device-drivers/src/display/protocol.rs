//! Customer displays as pure code.
//!
//! - 2×20 VFD pole displays, CD5220 command set: `ESC @` init, `0C` clear, `ESC Q A text CR`
//!   writes the upper line, `ESC Q B text CR` the lower line. Lines are padded to 20 columns here,
//!   so what was on a line before never shows through.
//! - 8-digit LED price displays: `ESC s n` lights one lamp (n = `1` price, `2` total, `3` paid,
//!   `4` change, `0` none) and `ESC Q A digits CR` shows the number (a decimal point takes no digit).

use serde::{Deserialize, Serialize};
use shared::Money;
use shared::receipt::char_width;

pub const ESC: u8 = 0x1B;
pub const CLEAR: u8 = 0x0C;
pub const CR: u8 = b'\r';
/// Columns of a VFD line.
pub const VFD_COLUMNS: usize = 20;
/// Digits of an LED price display.
pub const LED_DIGITS: usize = 8;

/// What a VFD can show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisplayCharset {
    /// ASCII only: anything else shows as `?`.
    #[default]
    Ascii,
    /// GBK, for displays with a Chinese font (a Chinese character takes two columns).
    Gbk,
}

/// The LED display's lamps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lamp {
    #[default]
    None,
    /// 单价
    Price,
    /// 总计
    Total,
    /// 收款
    Paid,
    /// 找零
    Change,
}

impl Lamp {
    pub fn code(self) -> u8 {
        match self {
            Lamp::None => b'0',
            Lamp::Price => b'1',
            Lamp::Total => b'2',
            Lamp::Paid => b'3',
            Lamp::Change => b'4',
        }
    }

    pub fn from_code(b: u8) -> Option<Lamp> {
        Some(match b {
            b'0' | 0 => Lamp::None,
            b'1' | 1 => Lamp::Price,
            b'2' | 2 => Lamp::Total,
            b'3' | 3 => Lamp::Paid,
            b'4' | 4 => Lamp::Change,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DisplayError {
    #[error("{0} does not fit on an {LED_DIGITS}-digit display")]
    TooManyDigits(String),
}

/// `text` cut or padded to exactly `columns` display columns, in what the display can show.
pub fn fit(text: &str, columns: usize, charset: DisplayCharset) -> String {
    let mut out = String::new();
    let mut w = 0;
    for c in text.chars() {
        let shown: Vec<char> = if c.is_control() {
            vec![' ']
        } else if c.is_ascii() || (charset == DisplayCharset::Gbk && in_gbk(c)) {
            vec![c]
        } else {
            vec!['?'; char_width(c).max(1)]
        };
        let cw: usize = shown.iter().map(|c| char_width(*c)).sum();
        if w + cw > columns {
            break;
        }
        out.extend(shown);
        w += cw;
    }
    out.extend(std::iter::repeat_n(' ', columns - w));
    out
}

fn in_gbk(c: char) -> bool {
    let mut buf = [0u8; 4];
    !encoding_rs::GBK.encode(c.encode_utf8(&mut buf)).2
}

fn encode(text: &str, charset: DisplayCharset) -> Vec<u8> {
    match charset {
        DisplayCharset::Ascii => text.bytes().collect(),
        DisplayCharset::Gbk => encoding_rs::GBK.encode(text).0.into_owned(),
    }
}

/// `ESC @`.
pub fn init() -> Vec<u8> {
    vec![ESC, b'@']
}

/// `0C`: clears the display.
pub fn clear() -> Vec<u8> {
    vec![CLEAR]
}

/// Both lines of a VFD.
pub fn vfd_lines(upper: &str, lower: &str, charset: DisplayCharset) -> Vec<u8> {
    let mut b = vec![ESC, b'Q', b'A'];
    b.extend(encode(&fit(upper, VFD_COLUMNS, charset), charset));
    b.extend([CR, ESC, b'Q', b'B']);
    b.extend(encode(&fit(lower, VFD_COLUMNS, charset), charset));
    b.push(CR);
    b
}

/// `left` and `right` on one line of `columns`, the right part flush right.
pub fn left_right(left: &str, right: &str, columns: usize) -> String {
    let rw = shared::receipt::text_width(right);
    let left = shared::receipt::truncate(left, columns.saturating_sub(rw + 1));
    let pad = columns.saturating_sub(shared::receipt::text_width(&left) + rw);
    format!("{left}{}{right}", " ".repeat(pad))
}

/// The digits an LED display shows for an amount: `12.50`, `-3.00`.
pub fn led_digits(amount: Money) -> Result<String, DisplayError> {
    let s = amount.plain();
    if s.chars().filter(|c| *c != '.').count() > LED_DIGITS {
        return Err(DisplayError::TooManyDigits(s));
    }
    Ok(s)
}

/// Lights `lamp` and shows `amount` on an LED display.
pub fn led_amount(lamp: Lamp, amount: Money) -> Result<Vec<u8>, DisplayError> {
    let digits = led_digits(amount)?;
    let mut b = vec![ESC, b's', lamp.code(), ESC, b'Q', b'A'];
    b.extend(digits.bytes());
    b.push(CR);
    Ok(b)
}

/// What a customer sees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Screen {
    /// The two VFD lines (an LED display shows its digits on the first).
    pub lines: [String; 2],
    pub lamp: Lamp,
}

impl Default for Screen {
    fn default() -> Self {
        Screen { lines: [String::new(), String::new()], lamp: Lamp::None }
    }
}

/// Reads display commands (the display simulator's brain). Split input is fine.
#[derive(Clone, Debug, Default)]
pub struct DisplayReader {
    pending: Vec<u8>,
    screen: Screen,
    gbk: bool,
}

impl DisplayReader {
    /// A reader for a display with the given charset.
    pub fn new(charset: DisplayCharset) -> DisplayReader {
        DisplayReader { gbk: charset == DisplayCharset::Gbk, ..DisplayReader::default() }
    }

    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    fn decode(&self, b: &[u8]) -> String {
        if self.gbk {
            encoding_rs::GBK.decode_without_bom_handling(b).0.into_owned()
        } else {
            b.iter().map(|&x| if x.is_ascii() { char::from(x) } else { '?' }).collect()
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        let mut at = 0;
        while at < self.pending.len() {
            let b = &self.pending[at..];
            let took = match b[0] {
                CLEAR => {
                    self.screen.lines = [String::new(), String::new()];
                    Some(1)
                }
                ESC => match b.get(1) {
                    None => None,
                    Some(b'@') => {
                        self.screen = Screen::default();
                        Some(2)
                    }
                    Some(b's') => b.get(2).map(|&n| {
                        self.screen.lamp = Lamp::from_code(n).unwrap_or_default();
                        3
                    }),
                    Some(b'Q') => match (b.get(2), b.iter().position(|&x| x == CR)) {
                        (Some(&which), Some(end)) if end >= 3 => {
                            let text = self.decode(&b[3..end]);
                            let line = if which == b'B' { 1 } else { 0 };
                            self.screen.lines[line] = text.trim_end().to_owned();
                            Some(end + 1)
                        }
                        _ if b.len() > 256 => Some(b.len()),
                        _ => None,
                    },
                    Some(_) => Some(2),
                },
                _ => Some(1),
            };
            match took {
                Some(n) => at += n,
                None => break,
            }
        }
        self.pending.drain(..at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vfd_bytes() {
        let b = vfd_lines("Cola 330ml", "TOTAL 12.50", DisplayCharset::Ascii);
        let mut want = b"\x1bQACola 330ml          \r".to_vec();
        want.extend(b"\x1bQBTOTAL 12.50         \r");
        assert_eq!(b, want);
        assert_eq!(fit("可口可乐", 20, DisplayCharset::Ascii), format!("????????{}", " ".repeat(12)));
        assert_eq!(fit("可口可乐", 5, DisplayCharset::Gbk), "可口 ");
        assert_eq!(fit("a very long product name indeed", 20, DisplayCharset::Ascii), "a very long product ");
        assert_eq!(left_right("Cola", "3.50", 20), "Cola            3.50");
        assert_eq!(left_right("A very long product name", "3.50", 20), "A very long pro 3.50");
    }

    #[test]
    fn led_bytes() {
        assert_eq!(led_amount(Lamp::Total, Money(1250)).expect("fits"), b"\x1bs2\x1bQA12.50\r");
        assert_eq!(led_amount(Lamp::Change, Money(0)).expect("fits"), b"\x1bs4\x1bQA0.00\r");
        assert_eq!(led_digits(Money(99_999_999)).as_deref(), Ok("999999.99"));
        assert!(led_digits(Money(100_000_000)).is_err());
    }

    #[test]
    fn the_reader_keeps_what_a_customer_sees() {
        let mut r = DisplayReader::new(DisplayCharset::Gbk);
        let mut bytes = init();
        bytes.extend(clear());
        bytes.extend(vfd_lines("可乐", "TOTAL 3.50", DisplayCharset::Gbk));
        for b in &bytes {
            r.feed(&[*b]);
        }
        assert_eq!(r.screen().lines, ["可乐".to_owned(), "TOTAL 3.50".to_owned()]);
        r.feed(&led_amount(Lamp::Paid, Money(10000)).expect("fits"));
        assert_eq!(r.screen().lamp, Lamp::Paid);
        assert_eq!(r.screen().lines[0], "100.00");
        r.feed(&clear());
        assert_eq!(r.screen().lines, [String::new(), String::new()]);
    }
}
