//! `cargo afl fuzz` target: see `device_drivers_fuzz::escpos_roundtrip`.

fn main() {
    afl::fuzz!(|data: &[u8]| device_drivers_fuzz::escpos_roundtrip(data));
}
