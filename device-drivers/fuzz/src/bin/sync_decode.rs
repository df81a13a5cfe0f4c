//! `cargo afl fuzz` target: see `device_drivers_fuzz::sync_decode`.

fn main() {
    afl::fuzz!(|data: &[u8]| device_drivers_fuzz::sync_decode(data));
}
