//! Code pages for printers without Chinese: which byte a character is in the page selected with
//! `ESC t n`, and back. The tables are the `escpos` crate's; this module only asks them.

use std::collections::HashMap;
use std::sync::OnceLock;

use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::utils::{PageCode, Protocol};
use serde::{Deserialize, Serialize};

/// A printer's single-byte code page (`ESC t n`), for printers without Chinese characters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodePage {
    /// USA, standard Europe: every printer's factory setting.
    #[default]
    Pc437,
    /// Multilingual Latin-1.
    Pc850,
    /// Latin-2 (Central Europe).
    Pc852,
    /// PC850 with the euro sign.
    Pc858,
    /// Cyrillic.
    Pc866,
    /// Windows Latin-1, with the euro sign.
    Wpc1252,
    /// Latin-9, with the euro sign.
    Iso8859_15,
}

impl CodePage {
    pub const ALL: [CodePage; 7] = [
        CodePage::Pc437,
        CodePage::Pc850,
        CodePage::Pc852,
        CodePage::Pc858,
        CodePage::Pc866,
        CodePage::Wpc1252,
        CodePage::Iso8859_15,
    ];

    fn page_code(self) -> PageCode {
        match self {
            CodePage::Pc437 => PageCode::PC437,
            CodePage::Pc850 => PageCode::PC850,
            CodePage::Pc852 => PageCode::PC852,
            CodePage::Pc858 => PageCode::PC858,
            CodePage::Pc866 => PageCode::PC866,
            CodePage::Wpc1252 => PageCode::WPC1252,
            CodePage::Iso8859_15 => PageCode::ISO8859_15,
        }
    }

    /// `ESC t n` selecting this page.
    pub fn select(self) -> [u8; 3] {
        [0x1B, b't', self.table().n]
    }

    /// The page `ESC t n` selects, if it is one of these.
    pub fn from_n(n: u8) -> Option<CodePage> {
        CodePage::ALL.into_iter().find(|p| p.table().n == n)
    }

    /// The byte of `c` in this page (ASCII is itself); `None` when the page lacks it.
    pub fn encode(self, c: char) -> Option<u8> {
        if c.is_ascii() {
            return u8::try_from(c).ok();
        }
        self.table().to_byte.get(&c).copied()
    }

    /// The character of byte `b` in this page.
    pub fn decode(self, b: u8) -> Option<char> {
        if b < 0x80 {
            return Some(char::from(b));
        }
        self.table().to_char[usize::from(b - 0x80)]
    }

    fn table(self) -> &'static Table {
        static TABLES: [OnceLock<Table>; 7] = [const { OnceLock::new() }; 7];
        let i = CodePage::ALL.iter().position(|p| *p == self).unwrap_or(0);
        TABLES[i].get_or_init(|| Table::probe(self.page_code()))
    }
}

struct Table {
    /// `n` of `ESC t n`.
    n: u8,
    to_byte: HashMap<char, u8>,
    to_char: [Option<char>; 128],
}

/// Keeps what the `escpos` printer writes.
#[derive(Default)]
struct Collect(std::cell::RefCell<Vec<u8>>);

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

impl Table {
    /// Asks `escpos` for every character up to U+2FFF, each followed by LF: a character in the
    /// page comes out as one byte, one that is not as its UTF-8 (several bytes).
    fn probe(page: PageCode) -> Table {
        let candidates: Vec<char> = (0x80u32..0x3000).filter_map(char::from_u32).collect();
        let text: String = candidates.iter().flat_map(|c| [*c, '\n']).collect();
        let mut p = Printer::new(Collect::default(), Protocol::default(), None);
        let written = p.page_code(page).and_then(|p| p.write(&text)).and_then(|p| p.print()).is_ok();
        let bytes = if written { p.driver().0.into_inner() } else { Vec::new() };
        let n = match bytes.as_slice() {
            [0x1B, b't', n, ..] => *n,
            _ => 0,
        };
        let mut table = Table { n, to_byte: HashMap::new(), to_char: [None; 128] };
        let pieces = bytes.get(3..).unwrap_or_default().split(|b| *b == b'\n');
        for (c, piece) in candidates.iter().zip(pieces) {
            if let [b] = piece
                && *b >= 0x80
            {
                table.to_byte.insert(*c, *b);
                table.to_char[usize::from(*b - 0x80)].get_or_insert(*c);
            }
        }
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_bytes_of_known_pages() {
        assert_eq!(CodePage::Pc437.select(), [0x1B, b't', 0]);
        assert_eq!(CodePage::Pc858.select(), [0x1B, b't', 19]);
        assert_eq!(CodePage::Wpc1252.select(), [0x1B, b't', 16]);
        assert_eq!(CodePage::Pc437.encode('é'), Some(0x82));
        assert_eq!(CodePage::Pc437.encode('€'), None);
        assert_eq!(CodePage::Pc858.encode('€'), Some(0xD5));
        assert_eq!(CodePage::Wpc1252.encode('€'), Some(0x80));
        assert_eq!(CodePage::Wpc1252.encode('ú'), Some(0xFA));
        assert_eq!(CodePage::Pc866.encode('Ж'), Some(0x86));
        assert_eq!(CodePage::Wpc1252.encode('可'), None);
        for page in CodePage::ALL {
            assert_eq!(CodePage::from_n(page.select()[2]), Some(page));
            for b in 0x80..=0xFF {
                if let Some(c) = page.decode(b) {
                    assert_eq!(page.encode(c), Some(b), "{page:?} {b:02X}");
                }
            }
        }
    }
}
