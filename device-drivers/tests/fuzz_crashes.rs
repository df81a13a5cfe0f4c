//! Inputs the fuzzer (`fuzz/run.sh`) once broke an invariant with, replayed through the same
//! checks as ordinary tests so they stay fixed.

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod checks;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digits")).collect()
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
