//! Inputs the fuzzer (`fuzz/run.sh`) once broke an invariant with, replayed through the same
//! checks as ordinary tests so they stay fixed.

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod checks;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

/// GB18030 on 58 mm paper: "Nestlé 雀巢" and "Café" lines with CR and NUL inside.
#[test]
fn escpos_roundtrip_with_control_characters_inside_a_line() {
    checks::escpos_roundtrip(&hex(
        "04004e7b73746cc3a920e99b80e5b7a20a436166c3a9975e20b3ba200000ac0a546f74616c09390d39300a0d39300a2d0a53483030312d303030303432",
    ));
}

#[test]
fn escpos_roundtrip_with_invalid_utf8_and_delete() {
    checks::escpos_roundtrip(&hex(
        "04004e6573746cc3a920e99b80e5b7107f8000006c09392eba20e282b40a0a436166c3aa21c339300a0d005348303031612630312d303030303432",
    ));
}

/// GB18030 on 58 mm paper: U+E832, a private-use character that GB18030-2022 reads back as
/// U+9FB8 龸 (found 2026-11-30): the text is said as the paper shows it.
#[test]
fn escpos_roundtrip_with_a_character_gb18030_reads_back_as_another() {
    for input in [
        "b5a6e58cbabae6cfeea0b2af2031303020e58fb70ae50a477b31",
        "b5a6e58cbabae6cfeea0b2af2031303020e58fb70ae5bae4babae6b091e8b768740a477b31",
        "b5a6e58cbabae6cfeea0a6d58cbabae6cfeea0b7af20313030b7af2031303020e58fb70ae5bae4babae6b091e8b768740a477b31",
        "b5a6e58cbabae6cfeea0a6e58cbabae6cfeea0b7af2031303020e58fb716e5bae4b7af2031303020e58fb716e5bae4babae6b091e8b768740a477b31",
        "b5a6e58cbabae6cfeea09eaf2031303020e58fb70ae5bae4babae6b091e8b768740a477b31",
        "b5a6e58cbabae6cfeea0abaf2031303020e58fb70ae5bae4ba45e6b091e8b768740a477b31",
        "b5a6e58cbabae6cfeea0abaf2031303020e58fb70ae5bae4babacab091e8b768740a477b31",
        "b5a6e58cbabae6cfeea0acaf2031303020e58fb70ae5bae4babae6b091e8b76874f4467b31",
    ] {
        checks::escpos_roundtrip(&hex(input));
    }
}

/// Every committed corpus input passes its target's checks (the fuzzer starts from them).
#[test]
fn every_corpus_input_passes_its_checks() {
    type Check = fn(&[u8]);
    let targets: [(&str, Check); 6] = [
        ("scanner", checks::scanner),
        ("card_reader", checks::card_reader),
        ("classify_scan", checks::classify_scan),
        ("escpos_roundtrip", checks::escpos_roundtrip),
        ("sync_decode", checks::sync_decode),
        ("payment_terminal", checks::payment_terminal),
    ];
    for (name, check) in targets {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(name);
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).expect("corpus") {
            let path = entry.expect("entry").path();
            check(&std::fs::read(&path).expect("read"));
            n += 1;
        }
        assert!(n > 0, "{name} has a corpus");
    }
}
