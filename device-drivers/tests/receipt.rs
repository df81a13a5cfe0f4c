//! The receipt renderer and the printer's reader, without a port: what is sent reads back as
//! `shared`'s text layout, and how many bytes (and seconds at 9600 baud) a typical receipt is.

mod common;

use common::sample_receipt;
use device_drivers::config::{Baud, Framing};
use device_drivers::printer::paper::{PaperEvent, PaperReader};
use device_drivers::printer::{PrintOptions, TextEncoding, receipt_bytes};
use shared::receipt::{Block, PaperWidth, barcode_caption, blocks_text, qr_caption};

/// What the printer simulator makes of the bytes, as text.
fn read_back(bytes: &[u8], paper: PaperWidth) -> String {
    let mut text = String::new();
    for e in PaperReader::new().feed(bytes) {
        match e {
            PaperEvent::Line(l) => text.push_str(&l.text),
            PaperEvent::Barcode { data, .. } => text.push_str(&barcode_caption(&data, paper.columns())),
            PaperEvent::Qr(data) => text.push_str(&qr_caption(&data, paper.columns())),
            PaperEvent::Unknown(b) => panic!("unknown command {b:02X?}"),
            _ => continue,
        }
        text.push('\n');
    }
    text
}

#[test]
fn every_layout_reads_back_as_its_text() {
    for paper in [PaperWidth::Mm58, PaperWidth::Mm80] {
        for encoding in [TextEncoding::Gbk, TextEncoding::Gb18030] {
            for items in [0, 1, 10, 30] {
                let mut receipt = sample_receipt(items);
                receipt.qr = (items % 2 == 0).then(|| "https://e.tillpoint.cn/r/1".to_owned());
                receipt.reprint = items == 30;
                let blocks = receipt.layout(paper);
                let bytes = receipt_bytes(&blocks, &PrintOptions { paper, encoding, ..PrintOptions::default() })
                    .expect("renders");
                assert_eq!(read_back(&bytes, paper), blocks_text(&blocks, paper), "{paper:?} {encoding:?} {items}");
            }
        }
    }
}

#[test]
fn english_receipts_and_receipt_number_barcodes() {
    let mut receipt = sample_receipt(5);
    receipt.lang = shared::lang::Lang::En;
    let blocks = receipt.layout(PaperWidth::Mm58);
    let bytes =
        receipt_bytes(&blocks, &PrintOptions { paper: PaperWidth::Mm58, ..PrintOptions::default() }).expect("renders");
    assert_eq!(read_back(&bytes, PaperWidth::Mm58), receipt.text(PaperWidth::Mm58));
    // An independent Code128 encoder takes what the printer is sent as code set B.
    for b in blocks {
        if let Block::Barcode(data) = b {
            assert!(barcoders::sym::code128::Code128::new(format!("Ɓ{data}")).is_ok(), "{data}");
        }
    }
}

/// The figure for BENCHMARKS.md: run with `--nocapture` to see it.
#[test]
fn size_of_a_ten_line_receipt_at_80mm_and_9600_baud() {
    let receipt = sample_receipt(10);
    let paper = PaperWidth::Mm80;
    let blocks = receipt.layout(paper);
    let bytes = receipt_bytes(&blocks, &PrintOptions::default()).expect("renders");
    let per_second = Baud::B9600.bytes_per_second(&Framing::default());
    let lines = blocks.iter().filter(|b| matches!(b, Block::Line(_))).count();
    let text_chars: usize = receipt.text(paper).chars().count();
    // Hundredths of a second, without floats.
    let hundredths = (bytes.len() as u64 * 100).div_ceil(u64::from(per_second));
    println!(
        "10-item receipt, 80 mm, Chinese: {lines} printed lines, {text_chars} characters, {} bytes of ESC/POS \
         = {}.{:02} s at 9600 baud ({per_second} bytes/s)",
        bytes.len(),
        hundredths / 100,
        hundredths % 100
    );
    assert_eq!(per_second, 960);
    // Lean: no raster logo; a 48-column receipt of ~45 lines stays under 2.5 kB.
    assert!(bytes.len() < 2_500, "{} bytes", bytes.len());
}
