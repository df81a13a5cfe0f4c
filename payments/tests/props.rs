//! Properties: yuan text and fen convert exactly both ways; the parsers never panic, whatever
//! they are given.
#![allow(clippy::unwrap_used)]

use payments::money::{fen_to_yuan, yuan_to_fen};
use payments::statement::{alipay, wechat};
use proptest::prelude::*;

proptest! {
    #[test]
    fn fen_to_yuan_and_back_is_the_same_fen(fen in any::<i64>()) {
        prop_assert_eq!(yuan_to_fen(&fen_to_yuan(fen)), Ok(fen));
    }

    #[test]
    fn yuan_text_reads_as_its_integer_arithmetic(whole in 0u64..10_000_000_000, frac in 0u32..100, negative in any::<bool>()) {
        let text = format!("{}{whole}.{frac:02}", if negative { "-" } else { "" });
        let fen = i64::try_from(whole).unwrap() * 100 + i64::from(frac);
        prop_assert_eq!(yuan_to_fen(&text), Ok(if negative { -fen } else { fen }));
        let printed = fen_to_yuan(if negative { -fen } else { fen });
        prop_assert_eq!(printed.trim_start_matches('-'), text.trim_start_matches('-'));
    }

    #[test]
    fn yuan_parsing_never_panics(text in "\\PC{0,30}") {
        let _ = yuan_to_fen(&text);
    }

    #[test]
    fn the_wechat_parser_never_panics(text in "(\\PC|[`,\\r\\n0-9.])*") {
        let _ = wechat::parse(&text);
    }

    #[test]
    fn the_alipay_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = alipay::parse(&bytes);
    }

    /// Lines of a real statement cut, duplicated or changed: refused or read, never a panic
    #[test]
    fn mangled_statements_never_panic(cut in 0usize..4000, byte in any::<u8>(), at in 0usize..4000) {
        let sample = wechat_sample();
        let mut text: Vec<u8> = sample.into_bytes();
        if !text.is_empty() {
            let at = at % text.len();
            text[at] = byte;
        }
        text.truncate(cut.min(text.len()));
        let _ = wechat::parse(&String::from_utf8_lossy(&text));
        let _ = alipay::parse(&text);
    }
}

fn wechat_sample() -> String {
    let row = "`2026-11-30 09:12:45,`wx1,`10000100,`0,`,`42000,`B001-01-000042-1,`o1,`MICROPAY,`SUCCESS,`CFT,`CNY,`32.50,`0.00,`0,`0,`0.00,`0.00,`,`,`x,`,`0.20000,`0.60%,`32.50,`0.00,`";
    format!(
        "{}\r\n{row}\r\n{}\r\n`1,`32.50,`0.00,`0.00,`0.20000,`32.50,`0.00\r\n",
        wechat::HEADER,
        wechat::SUMMARY_HEADER
    )
}
