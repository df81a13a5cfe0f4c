//! `cargo afl fuzz` target: see `device_drivers_fuzz::scanner`.

fn main() {
    afl::fuzz!(|data: &[u8]| device_drivers_fuzz::scanner(data));
}
