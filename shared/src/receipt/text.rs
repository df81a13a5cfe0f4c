//! Receipt text as a printer sets it: the paper width, how many columns a character takes in
//! the printer's character set, and the wrapping, cutting and aligning of text in columns.

use serde::{Deserialize, Serialize};
use unicode_width::UnicodeWidthChar;

/// Paper width.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaperWidth {
    /// 58 mm: 32 columns.
    Mm58,
    /// 80 mm: 48 columns.
    #[default]
    Mm80,
}

impl PaperWidth {
    /// Columns of font A (12 dots) on the usual print width (384 dots at 58 mm, 576 at 80 mm).
    pub fn columns(self) -> usize {
        match self {
            PaperWidth::Mm58 => 32,
            PaperWidth::Mm80 => 48,
        }
    }
}

/// How a printer sets characters, which decides how many columns each takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Charset {
    /// Chinese character mode (GBK / GB18030): ASCII is half width and every other character is a
    /// double-byte (or four-byte) character printed full width, two columns: 可, but also é, ú,
    /// ·, € — whatever East Asian width says of them. Zero-width characters take none.
    #[default]
    DoubleByte,
    /// A single-byte code page (a printer without Chinese): every character one column (one the
    /// code page lacks prints as `?`). Zero-width characters take none.
    SingleByte,
}

impl Charset {
    /// The columns `c` takes.
    pub fn width(self, c: char) -> usize {
        if c.is_ascii() {
            return 1;
        }
        let zero = c.width_cjk() == Some(0);
        match self {
            _ if zero => 0,
            Charset::DoubleByte => 2,
            Charset::SingleByte => 1,
        }
    }

    /// The columns `s` takes.
    pub fn text_width(self, s: &str) -> usize {
        s.chars().map(|c| self.width(c)).sum()
    }
}

/// The text grid a receipt is laid out on: the characters per line and the character set that
/// says how wide each is. A paper width gives the usual grid of a Chinese printer (32 or 48
/// columns, double-byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LineFormat {
    pub columns: usize,
    pub charset: Charset,
}

impl From<PaperWidth> for LineFormat {
    fn from(paper: PaperWidth) -> LineFormat {
        LineFormat { columns: paper.columns(), charset: Charset::DoubleByte }
    }
}

impl LineFormat {
    pub fn new(columns: usize, charset: Charset) -> LineFormat {
        LineFormat { columns, charset }
    }

    /// The columns `s` takes.
    pub fn text_width(&self, s: &str) -> usize {
        self.charset.text_width(s)
    }

    /// Breaks text into lines of at most `columns`, preferring to break ASCII text at spaces.
    pub fn wrap(&self, text: &str) -> Vec<String> {
        let width = self.columns;
        let text = sanitize(text);
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut w = 0;
        for c in text.chars() {
            let cw = self.charset.width(c);
            if cw > width {
                continue;
            }
            if w + cw > width {
                // Break at the last space if the line has one and the rest is a short word.
                let (head, tail) = match line.rfind(' ') {
                    Some(i) if c != ' ' && i > 0 && self.text_width(&line[i + 1..]) < width / 2 => {
                        (line[..i].to_owned(), line[i + 1..].to_owned())
                    }
                    _ => (line.clone(), String::new()),
                };
                lines.push(head.trim_end().to_owned());
                line = tail;
                w = self.text_width(&line);
                if c == ' ' && line.is_empty() {
                    continue;
                }
            }
            line.push(c);
            w += cw;
        }
        if !line.trim().is_empty() || lines.is_empty() {
            lines.push(line.trim_end().to_owned());
        }
        lines
    }

    /// Cuts text to at most `width` columns.
    pub fn truncate(&self, text: &str, width: usize) -> String {
        let mut out = String::new();
        let mut w = 0;
        for c in sanitize(text).chars() {
            let cw = self.charset.width(c);
            if w + cw > width {
                break;
            }
            out.push(c);
            w += cw;
        }
        out
    }

    /// `left` and `right` on one line, the right part flush right. When both do not fit, the left
    /// part wraps onto lines of its own and the right part ends the last line (or gets a line of
    /// its own).
    pub fn left_right(&self, left: &str, right: &str) -> Vec<String> {
        let width = self.columns;
        let right = self.truncate(right, width);
        let rw = self.text_width(&right);
        let mut lines = self.wrap(left);
        let last = lines.pop().unwrap_or_default();
        let lw = self.text_width(&last);
        if lw + 1 + rw <= width || (last.is_empty() && rw <= width) {
            let pad = width.saturating_sub(lw + rw);
            lines.push(format!("{last}{}{right}", " ".repeat(pad)));
        } else {
            lines.push(last);
            lines.push(format!("{}{right}", " ".repeat(width.saturating_sub(rw))));
        }
        lines
    }

    /// `text` centred (wrapped if longer).
    pub fn center(&self, text: &str) -> Vec<String> {
        self.wrap(text)
            .into_iter()
            .map(|l| {
                let pad = self.columns.saturating_sub(self.text_width(&l)) / 2;
                format!("{}{l}", " ".repeat(pad))
            })
            .collect()
    }

    /// A line of `c` across the paper.
    pub fn rule(&self, c: char) -> String {
        c.to_string().repeat(self.columns / self.charset.width(c).max(1))
    }
}

fn chinese(width: usize) -> LineFormat {
    LineFormat::new(width, Charset::DoubleByte)
}

/// The columns a character takes on a Chinese receipt printer (ASCII 1, anything else 2).
pub fn char_width(c: char) -> usize {
    Charset::DoubleByte.width(c)
}

/// The columns a string takes on a Chinese receipt printer.
pub fn text_width(s: &str) -> usize {
    Charset::DoubleByte.text_width(s)
}

/// Replaces control characters (which a printer would obey as commands) with spaces.
pub fn sanitize(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// [`LineFormat::wrap`] on a Chinese printer of `width` columns.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    chinese(width).wrap(text)
}

/// [`LineFormat::truncate`] on a Chinese printer.
pub fn truncate(text: &str, width: usize) -> String {
    chinese(width).truncate(text, width)
}

/// [`LineFormat::left_right`] on a Chinese printer of `width` columns.
pub fn left_right(left: &str, right: &str, width: usize) -> Vec<String> {
    chinese(width).left_right(left, right)
}

/// [`LineFormat::center`] on a Chinese printer of `width` columns.
pub fn center(text: &str, width: usize) -> Vec<String> {
    chinese(width).center(text)
}

/// How a barcode appears in the text form of a receipt (the printer simulator uses the same).
pub fn barcode_caption(data: &str, format: impl Into<LineFormat>) -> String {
    format.into().center(&format!("|| {data} ||")).into_iter().next().unwrap_or_default()
}

/// How a QR code appears in the text form of a receipt.
pub fn qr_caption(data: &str, format: impl Into<LineFormat>) -> String {
    let f = format.into();
    f.truncate(&format!("[QR] {data}"), f.columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(text_width("abc"), 3);
        assert_eq!(text_width("可口可乐"), 8);
        assert_eq!(text_width("可乐 Cola"), 9);
        assert_eq!(text_width("·"), 2);
    }

    #[test]
    fn width_follows_the_printers_character_set() {
        // GBK prints é and ú as double-byte characters, full width.
        assert_eq!(Charset::DoubleByte.text_width("Nestlé 雀巢"), 12);
        assert_eq!(Charset::DoubleByte.text_width("Jalapeño ú €"), 15);
        assert_eq!(Charset::DoubleByte.text_width("e\u{301}"), 1, "a combining accent takes no column");
        // A code page prints every character in one column.
        assert_eq!(Charset::SingleByte.text_width("Nestlé 雀巢"), 9);
        // "Nestlé 雀巢" and its amount on one 16-column line of a Chinese printer.
        let f = LineFormat::new(16, Charset::DoubleByte);
        assert_eq!(f.left_right("Nestlé 雀巢", "9.90"), vec!["Nestlé 雀巢", "            9.90"]);
        let f = LineFormat::new(18, Charset::DoubleByte);
        assert_eq!(f.left_right("Nestlé 雀巢", "9.90"), vec!["Nestlé 雀巢  9.90"]);
        assert!(f.left_right("Nestlé 雀巢", "9.90").iter().all(|l| f.text_width(l) <= 18));
        assert_eq!(LineFormat::new(10, Charset::DoubleByte).rule('—'), "—————");
    }

    #[test]
    fn left_right_fits_or_wraps() {
        assert_eq!(left_right("合计", "12.30", 16), vec!["合计       12.30"]);
        let lines = left_right("一个非常非常长的商品名称啊", "9.99", 16);
        assert!(lines.iter().all(|l| text_width(l) <= 16), "{lines:?}");
        assert_eq!(lines, vec!["一个非常非常长的", "商品名称啊  9.99"]);
        let lines = left_right("一个非常非常长的商品名称啊啊", "9.99", 16);
        assert_eq!(lines, vec!["一个非常非常长的", "商品名称啊啊", "            9.99"]);
    }

    #[test]
    fn wrap_breaks_words_and_wide_chars() {
        assert_eq!(wrap("hello big world", 10), vec!["hello big", "world"]);
        assert_eq!(wrap("可口可乐可口可乐", 7), vec!["可口可", "乐可口", "可乐"]);
        assert_eq!(wrap("", 10), vec![""]);
        assert_eq!(wrap("a\x1b@b", 10), vec!["a @b"]);
    }
}
