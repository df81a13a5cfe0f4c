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
    // An independent Code128 encoder takes what the printer is sent, switches and all, and makes a
    // symbol of the width the renderer checked against the paper.
    let mut seen = 0;
    for e in PaperReader::new().feed(&bytes) {
        if let PaperEvent::Barcode { data, .. } = e {
            let ours = code128::encode(&data).expect("ascii");
            let (d, mut text, mut i, mut set_c) = (&ours.data, String::new(), 0, false);
            while i < d.len() {
                if d[i] == b'{' && i + 1 < d.len() {
                    match d[i + 1] {
                        b'B' => (text.push('Ɓ'), set_c = false),
                        b'C' => (text.push('Ć'), set_c = true),
                        _ => (text.push('{'), ()),
                    };
                    i += 2;
                } else {
                    if set_c {
                        text.push_str(&format!("{:02}", d[i]));
                    } else {
                        text.push(char::from(d[i]));
                    }
                    i += 1;
                }
            }
            let symbol = barcoders::sym::code128::Code128::new(&text).expect("valid Code128").encode();
            assert_eq!(symbol.len() as u32, ours.modules(), "{text}");
            assert!(ours.dots_with_quiet_zones(2) <= 384, "fits the 58 mm head");
            seen += 1;
        }
    }
    assert_eq!(seen, 1);
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
