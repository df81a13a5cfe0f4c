//! `cargo afl fuzz` target: see `device_drivers_fuzz::payment_terminal`.

fn main() {
    afl::fuzz!(|data: &[u8]| device_drivers_fuzz::payment_terminal(data));
}
