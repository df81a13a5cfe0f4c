//! Bank-card data that must never be kept (PCI DSS 3.2, 3.4): a primary account number (a
//! Luhn-valid run of 13–19 digits, written with or without spaces or dashes) or magnetic-stripe
//! track data. A till refuses a tender reference holding either; HQ masks any that still arrives
//! to the first six and last four digits before it stores anything.

/// The Luhn (mod 10) check of a run of ASCII digits.
pub fn luhn_valid(digits: &[u8]) -> bool {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A card number: 13–19 digits whose Luhn check passes.
pub fn is_card_number(digits: &[u8]) -> bool {
    (13..=19).contains(&digits.len()) && luhn_valid(digits)
}

/// Runs of digits in `s`, where single spaces or dashes between digits do not break a run
/// (`4111 1111-1111 1111` is one run): each as (byte range in `s`, its digits).
fn digit_runs(s: &str) -> Vec<(std::ops::Range<usize>, Vec<u8>)> {
    let b = s.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = Vec::new();
        let mut end = i;
        while i < b.len() {
            if b[i].is_ascii_digit() {
                digits.push(b[i]);
                i += 1;
                end = i;
            } else if (b[i] == b' ' || b[i] == b'-') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                i += 1;
            } else {
                break;
            }
        }
        runs.push((start..end, digits));
    }
    runs
}

/// Whether `s` looks like magnetic-stripe track data: a track 1 start (`%B`), a field separator
/// `^` after digits, or a track 2 start (`;` then digits) or separator (`=` after a long number).
fn has_track_data(s: &str) -> bool {
    let b = s.as_bytes();
    let upper = s.to_ascii_uppercase();
    if upper.contains("%B") {
        return true;
    }
    for (i, c) in b.iter().enumerate() {
        let digit_before = i > 0 && b[i - 1].is_ascii_digit();
        let digit_after = b.get(i + 1).is_some_and(u8::is_ascii_digit);
        match c {
            b';' if digit_after => return true,
            b'^' if digit_before => return true,
            b'=' if digit_before && digit_after => {
                let run = b[..i].iter().rev().take_while(|d| d.is_ascii_digit()).count();
                if run >= 12 {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// Whether `s` holds a card number or track data.
pub fn holds_card_data(s: &str) -> bool {
    has_track_data(s) || digit_runs(s).iter().any(|(_, d)| is_card_number(d))
}

/// `s` with every card number masked to its first six and last four digits and any track data
/// dropped: what may be kept of it.
pub fn mask_card_data(s: &str) -> String {
    if has_track_data(s) {
        // Keep only the masked number a track carries, nothing of the rest.
        let pan = digit_runs(s).into_iter().map(|(_, d)| d).find(|d| d.len() >= 13);
        return match pan {
            Some(d) => masked(&d),
            None => "[card data removed]".into(),
        };
    }
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (range, digits) in digit_runs(s) {
        if is_card_number(&digits) {
            out.push_str(&s[last..range.start]);
            out.push_str(&masked(&digits));
            last = range.end;
        }
    }
    out.push_str(&s[last..]);
    out
}

fn masked(digits: &[u8]) -> String {
    let n = digits.len();
    let mut m = String::with_capacity(n);
    for (i, d) in digits.iter().enumerate() {
        m.push(if i < 6 || i + 4 >= n { char::from(*d) } else { '*' });
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn() {
        assert!(luhn_valid(b"4111111111111111"));
        assert!(luhn_valid(b"79927398713"));
        assert!(!luhn_valid(b"79927398710"));
        assert!(!luhn_valid(b""));
        assert!(!luhn_valid(b"41x1"));
    }

    #[test]
    fn card_numbers_and_tracks_are_found_however_written() {
        for s in [
            "4111111111111111",
            "5555 5555 5555 4444",
            "ref 4111-1111-1111-1111 ok",
            "%B4111111111111111^DOE/JOHN^2512101?",
            ";4111111111111111=25121010000000000000?",
            ";4111111111111111?",
            "6221558812340000=2512",
        ] {
            assert!(holds_card_data(s), "{s}");
        }
        // Terminal references, auth codes, short numbers and non-Luhn runs are fine.
        for s in ["T0001", "123456789012", "AUTH 654321", "4111111111111112", "POS-0042", "1234 5678"] {
            assert!(!holds_card_data(s), "{s}");
        }
    }

    #[test]
    fn masking_keeps_first_six_and_last_four_only() {
        assert_eq!(mask_card_data("4111111111111111"), "411111******1111");
        assert_eq!(mask_card_data("card 5555 5555 5555 4444 ok"), "card 555555******4444 ok");
        assert_eq!(mask_card_data(";4111111111111111=2512101?"), "411111******1111");
        assert_eq!(mask_card_data("%B^^"), "[card data removed]");
        assert_eq!(mask_card_data("T0001"), "T0001");
        assert!(!holds_card_data(&mask_card_data("%B4111111111111111^DOE/JOHN^2512101?")));
    }
}
