//! The receipt renderer and the printer's reader, without a port: what is sent reads back as
//! `shared`'s text layout on every printer set-up, and how many bytes (and seconds at 9600 baud) a
//! typical receipt is.

mod common;

use common::sample_receipt;
use device_drivers::config::{Baud, Framing};
use device_drivers::printer::code128;
use device_drivers::printer::paper::{PaperEvent, PaperReader};
use device_drivers::printer::protocol::printable_text;
use device_drivers::printer::{CodePage, Font, PrintOptions, TextEncoding, receipt_bytes};
use shared::receipt::{Block, LineFormat, PaperWidth, barcode_caption, blocks_text, qr_caption};

/// What the printer simulator makes of the bytes, as text.
fn read_back(bytes: &[u8], format: LineFormat) -> String {
    let mut text = String::new();
    for e in PaperReader::new().feed(bytes) {
        match e {
            PaperEvent::Line(l) => text.push_str(&l.text),
            PaperEvent::Barcode { data, .. } => text.push_str(&barcode_caption(&data, format)),
            PaperEvent::Qr(data) => text.push_str(&qr_caption(&data, format)),
            PaperEvent::Unknown(b) => panic!("unknown command {b:02X?}"),
            _ => continue,
        }
        text.push('\n');
    }
    text
}

/// Printers as branches have them: Chinese 58 and 80 mm, TM-T88-class 42 columns, font B, GB18030,
/// code-page printers without Chinese, and the old padding without `ESC $`.
fn printers() -> Vec<PrintOptions> {
    let d = PrintOptions::default();
    let mut all = vec![
        d,
        PrintOptions { paper: PaperWidth::Mm58, ..d },
        PrintOptions { dots: 512, ..d },
        PrintOptions { font: Font::B, ..d },
        PrintOptions { paper: PaperWidth::Mm58, font: Font::B, ..d },
        PrintOptions { encoding: TextEncoding::Gb18030, ..d },
        PrintOptions { columns: 40, ..d },
        PrintOptions { positioning: false, ..d },
    ];
    for page in CodePage::ALL {
        all.push(PrintOptions { encoding: TextEncoding::CodePage, code_page: page, ..d });
    }
    all
}

#[test]
fn every_layout_reads_back_as_its_text_on_every_printer() {
    for options in printers() {
        let format = options.line_format();
        for items in [0, 1, 10, 30] {
            let mut receipt = sample_receipt(items);
            receipt.qr = (items % 2 == 0).then(|| "https://e.tillpoint.cn/r/1".to_owned());
            receipt.reprint = items == 30;
            if items == 1 {
                receipt.items[0].name = "Nestlé 雀巢咖啡 Café ú €".into();
                receipt.lang = shared::lang::Lang::En;
            }
            let blocks = receipt.layout(format);
            assert!(
                blocks_text(&blocks, format).lines().all(|l| format.text_width(l) <= format.columns),
                "{options:?}"
            );
            let bytes = receipt_bytes(&blocks, &options).expect("renders");
            // What the printer has no character for reads back as `?`, one per column.
            let want: String =
                blocks_text(&blocks, format).lines().map(|l| format!("{}\n", printable_text(l, &options))).collect();
            assert_eq!(read_back(&bytes, format), want, "{options:?} {items}");
            if options.encoding != TextEncoding::CodePage {
                assert_eq!(want, blocks_text(&blocks, format));
            }
        }
    }
}

/// Columns a GBK printer in Chinese mode gives a string, counted here without `shared`: ASCII is
/// half width, every other character a double-byte one, full width.
fn gbk_columns(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

#[test]
fn accented_names_keep_the_amount_on_the_line_at_gbk_width() {
    // GBK prints é and ú full width: laid out as one column each, these lines printed 49 columns
    // wide, and the printer wrapped the amount onto a line of its own.
    let mut receipt = sample_receipt(2);
    receipt.items[0].name = "Nestlé 雀巢 咖啡 1.2kg 罐装 特浓 Café ú".into();
    receipt.items[0].unit_price = shared::Money(12_990);
    receipt.header.address = "Café Nestlé ú 雀巢咖啡 上海市黄浦区人民路 100 号 é".into();
    for options in [PrintOptions::default(), PrintOptions { paper: PaperWidth::Mm58, ..PrintOptions::default() }] {
        for line in receipt.text(options.line_format()).lines() {
            assert!(gbk_columns(line) <= options.columns(), "{line:?} is {} columns", gbk_columns(line));
        }
    }
    let f = PrintOptions::default().line_format();
    assert_eq!(f.left_right("Nestlé 雀巢 咖啡 1.2kg 罐装 特浓 Café ú", "129.90").len(), 2);
}

#[test]
fn english_receipts_and_receipt_number_barcodes() {
    let mut receipt = sample_receipt(5);
    receipt.lang = shared::lang::Lang::En;
    let options = PrintOptions { paper: PaperWidth::Mm58, ..PrintOptions::default() };
    let blocks = receipt.layout(options.line_format());
    let bytes = receipt_bytes(&blocks, &options).expect("renders");
    assert_eq!(read_back(&bytes, options.line_format()), receipt.text(PaperWidth::Mm58));
    // The Code128 symbol as the printer is sent it: the `GS k 73 n` command is found in the bytes
    // themselves (not in what the renderer or the paper reader made of them) and its payload is
    // decoded here, by the printer's rules: `{B` text, `{C` one byte (0–99) per pair of digits.
    let commands: Vec<&[u8]> = (0..bytes.len().saturating_sub(3))
        .filter(|&i| bytes[i..i + 3] == [0x1D, 0x6B, 73])
        .map(|i| &bytes[i..i + 4 + usize::from(bytes[i + 3])])
        .collect();
    assert_eq!(commands.len(), 1, "one receipt-number barcode");
    // Golden bytes for B001-01-000042: set B for "B001-01-", set C for 00 00 42 (15 data bytes).
    let golden: &[u8] = b"\x1d\x6b\x49\x0f{BB001-01-{C\x00\x00\x2a";
    assert_eq!(commands[0], golden, "{:02X?}", commands[0]);
    let payload = &commands[0][4..];
    let (mut text, mut symbols, mut set_c, mut i) = (String::new(), 0u32, None, 0);
    // The same symbol in the notation of an independent encoder (barcoders: Ɓ / Ć switch sets).
    let mut theirs = String::new();
    while i < payload.len() {
        match (payload[i], payload.get(i + 1)) {
            (b'{', Some(b'B')) => {
                set_c = Some(false);
                theirs.push('Ɓ');
                i += 2;
            }
            (b'{', Some(b'C')) => {
                set_c = Some(true);
                theirs.push('Ć');
                i += 2;
            }
            (b'{', Some(b'{')) if set_c == Some(false) => {
                text.push('{');
                theirs.push('{');
                i += 2;
            }
            (d, _) if set_c == Some(true) => {
                assert!(d < 100, "set C carries 0–99, not {d}");
                let pair = format!("{d:02}");
                text.push_str(&pair);
                theirs.push_str(&pair);
                i += 1;
            }
            (c, _) if set_c == Some(false) => {
                text.push(char::from(c));
                theirs.push(char::from(c));
                i += 1;
            }
            (c, _) => panic!("byte {c:02X} before a code set"),
        }
        symbols += 1;
    }
    assert_eq!(text, "B001-01-000042", "the symbol carries the receipt number");
    // Start B, 8 characters (B001-01-), the switch to C, 3 pairs: 13 symbols; with the check
    // symbol 14 × 11 modules, and the stop pattern's 13: 167 modules.
    let symbol = barcoders::sym::code128::Code128::new(&theirs).expect("valid Code128").encode();
    assert_eq!(symbols, 13);
    assert_eq!(symbol.len(), 167, "{theirs}");
    // The width the renderer checked against the paper is the width of what it sent.
    let checked = code128::encode("B001-01-000042").expect("ascii");
    assert_eq!(checked.data, payload);
    assert_eq!(checked.modules() as usize, symbol.len());
    assert!(checked.dots_with_quiet_zones(2) <= 384, "fits the 58 mm head");
}

/// The figures for BENCHMARKS.md: run with `--nocapture` to see them.
#[test]
fn size_of_a_ten_line_receipt_at_80mm_and_9600_baud() {
    let receipt = sample_receipt(10);
    let per_second = Baud::B9600.bytes_per_second(&Framing::default());
    assert_eq!(per_second, 960);
    let mut sizes = Vec::new();
    for (what, options) in [
        ("padding spaces", PrintOptions { positioning: false, ..PrintOptions::default() }),
        ("ESC $ positions", PrintOptions::default()),
    ] {
        let format = options.line_format();
        let blocks = receipt.layout(format);
        let bytes = receipt_bytes(&blocks, &options).expect("renders");
        let lines = blocks.iter().filter(|b| matches!(b, Block::Line(_))).count();
        let text_chars: usize = receipt.text(format).chars().count();
        // Milliseconds on the wire, rounded up, without floats.
        let ms = (bytes.len() as u64 * 1000).div_ceil(u64::from(per_second));
        println!(
            "10-item receipt, 80 mm, Chinese, {what}: {lines} printed lines, {text_chars} characters, {} bytes of \
             ESC/POS = {ms} ms at 9600 baud ({per_second} bytes/s)",
            bytes.len(),
        );
        sizes.push(bytes.len());
    }
    // Positioning: under a second on the wire at 9600 baud.
    assert!(sizes[1] < 960, "{} bytes", sizes[1]);
    assert!(sizes[1] < sizes[0]);
}
