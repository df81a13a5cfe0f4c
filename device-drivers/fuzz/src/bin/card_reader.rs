//! `cargo afl fuzz` target: see `device_drivers_fuzz::card_reader`.

fn main() {
    afl::fuzz!(|data: &[u8]| device_drivers_fuzz::card_reader(data));
}
