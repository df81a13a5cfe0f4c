//! `cargo afl fuzz` target: see `device_drivers_fuzz::classify_scan`.

fn main() {
    afl::fuzz!(|data: &[u8]| device_drivers_fuzz::classify_scan(data));
}
