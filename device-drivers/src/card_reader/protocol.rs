//! Card readers as pure code: magnetic-stripe readers (ISO 7811/7813 tracks in ASCII) and UID
//! readers for contactless member cards, both in serial mode, frames ending with CR.
//!
//! Bank cards are rejected here, and this is the only place that ever sees their bytes:
//! - a swipe is held in one fixed buffer (allocated once, never grown, so never reallocated and
//!   copied) and zeroed as soon as the swipe is classified, on reset and on drop;
//! - the check reads the buffer in place; no `String` or `Vec` of track data is made;
//! - the only thing that leaves is the masked number (first 6, last 4);
//! - `Debug` of the parser shows the buffer's length, never its bytes.
//!
//! A read whose bytes stop coming for longer than the idle timeout is dropped (and zeroed) as
//! [`Unreadable::TimedOut`], so half a swipe never glues onto the next one: half a bank swipe and
//! then a member swipe read as the member.

use std::fmt;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use shared::catalog::MemberCode;
use shared::member::CardUid;
use zeroize::Zeroize;

/// Longest frame a reader may send: three full tracks (79 + 40 + 107 characters) with sentinels
/// fit with room to spare.
pub const MAX_FRAME: usize = 512;

/// What the cashier is told when a bank card is swiped on the member card reader.
pub const BANK_CARD_MESSAGE: &str = "bank card: use the payment terminal";

/// A bank card was swiped and rejected. Carries only the masked number.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankCardRejected {
    /// First 6 and last 4 digits, the rest `*`; `None` when the number could not be made out.
    masked_pan: Option<String>,
}

impl BankCardRejected {
    pub fn masked_pan(&self) -> Option<&str> {
        self.masked_pan.as_deref()
    }
}

impl fmt::Display for BankCardRejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.masked_pan {
            Some(m) => write!(f, "{BANK_CARD_MESSAGE} ({m})"),
            None => f.write_str(BANK_CARD_MESSAGE),
        }
    }
}

impl fmt::Debug for BankCardRejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BankCardRejected").field("masked_pan", &self.masked_pan).finish()
    }
}

/// Why a read gave no member. Never carries what was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum Unreadable {
    #[error("the reader could not read a track; swipe again")]
    TrackError,
    #[error("a track has no end sentinel; swipe again")]
    Incomplete,
    #[error("not a member card")]
    NotMemberCard,
    #[error("not a card UID (8 or 14 hex characters, or 10 digits)")]
    NotUid,
    #[error("the read is too long to be a card")]
    TooLong,
    #[error("the read stopped halfway; swipe again")]
    TimedOut,
}

/// Protocol options of a card reader, as the till's config file has them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct CardReaderOptions {
    /// A read whose next byte does not come within this many milliseconds is dropped (0: never).
    pub idle_timeout_ms: u64,
}

impl Default for CardReaderOptions {
    fn default() -> Self {
        CardReaderOptions { idle_timeout_ms: crate::scanner::protocol::DEFAULT_IDLE_TIMEOUT_MS }
    }
}

/// What one read was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CardRead {
    /// A member card's stripe: the member code from track 2.
    MemberCard(MemberCode),
    /// A contactless card's UID.
    Uid(CardUid),
    BankCardRejected(BankCardRejected),
    Unreadable(Unreadable),
}

/// One swipe's bytes, zeroed after use. Boxed so moving the parser never copies them.
struct SwipeBuffer {
    bytes: Box<[u8; MAX_FRAME]>,
    len: usize,
}

impl SwipeBuffer {
    fn new() -> SwipeBuffer {
        SwipeBuffer { bytes: Box::new([0; MAX_FRAME]), len: 0 }
    }
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
    fn clear(&mut self) {
        self.bytes.zeroize();
        self.len = 0;
    }
}

impl Drop for SwipeBuffer {
    fn drop(&mut self) {
        self.clear();
    }
}

/// The card reader's byte stream parser.
pub struct CardReaderParser {
    frame: SwipeBuffer,
    overflowing: bool,
    options: CardReaderOptions,
    /// When the last byte of the unfinished read came.
    last_byte: Option<Instant>,
}

impl fmt::Debug for CardReaderParser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardReaderParser").field("pending", &self.frame.len).finish_non_exhaustive()
    }
}

impl Default for CardReaderParser {
    fn default() -> Self {
        CardReaderParser::new()
    }
}

impl CardReaderParser {
    pub fn new() -> CardReaderParser {
        CardReaderParser::with_options(CardReaderOptions::default())
    }

    pub fn with_options(options: CardReaderOptions) -> CardReaderParser {
        CardReaderParser { frame: SwipeBuffer::new(), overflowing: false, options, last_byte: None }
    }

    pub fn options(&self) -> &CardReaderOptions {
        &self.options
    }

    /// Bytes of an unfinished read held.
    pub fn pending(&self) -> usize {
        self.frame.len
    }

    /// `true` when no byte of any read is left in the parser's memory.
    pub fn holds_nothing(&self) -> bool {
        self.frame.len == 0 && self.frame.bytes.iter().all(|&b| b == 0)
    }

    /// Forgets (and zeroes) an unfinished read.
    pub fn reset(&mut self) {
        self.frame.clear();
        self.overflowing = false;
        self.last_byte = None;
    }

    /// Drops (and zeroes) an unfinished read whose bytes stopped coming more than the idle
    /// timeout before `now`. The driver calls this when a read brings nothing.
    pub fn expire(&mut self, now: Instant) -> Vec<CardRead> {
        let mut out = Vec::new();
        self.expire_into(now, &mut out);
        out
    }

    fn expire_into(&mut self, now: Instant, out: &mut Vec<CardRead>) {
        let Some(last) = self.last_byte else { return };
        let idle = self.options.idle_timeout_ms;
        if idle == 0 || now.saturating_duration_since(last) <= Duration::from_millis(idle) {
            return;
        }
        if self.frame.len > 0 && !self.overflowing {
            out.push(CardRead::Unreadable(Unreadable::TimedOut));
        }
        self.reset();
    }

    /// Feeds bytes that arrived at `now`; returns the reads they completed.
    pub fn feed_at(&mut self, bytes: &[u8], now: Instant) -> Vec<CardRead> {
        let mut out = Vec::new();
        if bytes.is_empty() {
            return out;
        }
        self.expire_into(now, &mut out);
        self.last_byte = Some(now);
        out.extend(self.feed(bytes));
        out
    }

    /// Feeds bytes that arrived together (no idle timeout between them); returns the reads they
    /// completed.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<CardRead> {
        let mut out = Vec::new();
        for &b in bytes {
            if b == b'\r' || b == b'\n' {
                if self.overflowing {
                    self.overflowing = false;
                } else if self.frame.len > 0 {
                    out.push(classify(self.frame.as_slice()));
                }
                self.frame.clear();
            } else if self.overflowing {
                // dropped up to the end of the read
            } else if self.frame.len == MAX_FRAME {
                self.frame.clear();
                self.overflowing = true;
                out.push(CardRead::Unreadable(Unreadable::TooLong));
            } else {
                self.frame.bytes[self.frame.len] = b;
                self.frame.len += 1;
            }
        }
        out
    }
}

/// The tracks of a swipe, as slices of the frame.
#[derive(Default)]
struct Tracks<'a> {
    track1: Option<&'a [u8]>,
    track2: Option<&'a [u8]>,
    track3: Option<&'a [u8]>,
    incomplete: bool,
}

fn split_tracks(frame: &[u8]) -> Tracks<'_> {
    let mut t = Tracks::default();
    let mut i = 0;
    while i < frame.len() {
        let start = frame[i];
        if !matches!(start, b'%' | b';' | b'+') {
            // An LRC or stray byte between tracks.
            i += 1;
            continue;
        }
        let Some(len) = frame[i + 1..].iter().position(|&b| b == b'?') else {
            t.incomplete = true;
            break;
        };
        let data = &frame[i + 1..i + 1 + len];
        match start {
            b'%' if t.track1.is_none() => t.track1 = Some(data),
            b';' if t.track2.is_none() => t.track2 = Some(data),
            _ => t.track3 = t.track3.or(Some(data)),
        }
        i += len + 2;
    }
    t
}

/// Classifies one complete read. Bank-card detection comes first, on every shape of read.
pub fn classify(frame: &[u8]) -> CardRead {
    let frame = trim(frame);
    let sentinels = matches!(frame.first(), Some(b'%' | b';' | b'+'));
    let tracks = if sentinels {
        split_tracks(frame)
    } else if frame.first() == Some(&b'B') && frame.contains(&b'^') {
        // A track 1 sent without sentinels.
        Tracks { track1: Some(frame), ..Tracks::default() }
    } else if frame.contains(&b'=') {
        // A track 2 sent without sentinels.
        Tracks { track2: Some(frame), ..Tracks::default() }
    } else {
        Tracks::default()
    };

    if let Some(masked) = bank_card(&tracks) {
        return CardRead::BankCardRejected(BankCardRejected { masked_pan: masked });
    }
    if !sentinels && tracks.track1.is_none() && tracks.track2.is_none() {
        if is_pan(frame) {
            return CardRead::BankCardRejected(BankCardRejected { masked_pan: Some(mask_pan(frame)) });
        }
        return match std::str::from_utf8(frame).ok().and_then(|s| CardUid::parse(s).ok()) {
            Some(uid) => CardRead::Uid(uid),
            None => CardRead::Unreadable(Unreadable::NotUid),
        };
    }
    if tracks.incomplete && tracks.track2.is_none() {
        return CardRead::Unreadable(Unreadable::Incomplete);
    }
    let Some(track2) = tracks.track2 else {
        return CardRead::Unreadable(Unreadable::NotMemberCard);
    };
    if track2 == b"E" || track2.is_empty() {
        return CardRead::Unreadable(Unreadable::TrackError);
    }
    if track2.contains(&b'=') || !track2.iter().all(u8::is_ascii_digit) {
        return CardRead::Unreadable(Unreadable::NotMemberCard);
    }
    match std::str::from_utf8(track2).ok().and_then(|s| MemberCode::parse(s).ok()) {
        Some(code) => CardRead::MemberCard(code),
        None => CardRead::Unreadable(Unreadable::NotMemberCard),
    }
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// `Some(masked number)` when the swipe looks like a bank card, as devices.md defines it:
/// track 1 in format `B`, or a track 2 with a Luhn-valid 13–19 digit number and `=`; and a track 2
/// of only a Luhn-valid 13–19 digit number, which no member code is (`MemberCode::parse`).
fn bank_card(t: &Tracks<'_>) -> Option<Option<String>> {
    if let Some(t2) = t.track2 {
        let pan = t2.iter().position(|&b| b == b'=').map_or(t2, |eq| &t2[..eq]);
        if is_pan(pan) {
            return Some(Some(mask_pan(pan)));
        }
    }
    if let Some(t1) = t.track1
        && t1.first() == Some(&b'B')
    {
        let end = t1.iter().position(|&b| b == b'^').unwrap_or(t1.len());
        let pan = &t1[1..end];
        return Some(is_digits_13_19(pan).then(|| mask_pan(pan)));
    }
    None
}

fn is_digits_13_19(pan: &[u8]) -> bool {
    (13..=19).contains(&pan.len()) && pan.iter().all(u8::is_ascii_digit)
}

/// A 13–19 digit number whose Luhn check passes (`shared::card_data`, the rule the till and HQ
/// apply to tender references too).
pub fn is_pan(digits: &[u8]) -> bool {
    is_digits_13_19(digits) && shared::card_data::is_card_number(digits)
}

/// First 6 and last 4 digits, the rest `*`.
fn mask_pan(pan: &[u8]) -> String {
    let n = pan.len();
    pan.iter().enumerate().map(|(i, &b)| if i < 6 || i + 4 >= n { char::from(b) } else { '*' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &[u8], expected: &[CardRead]) {
        let mut p = CardReaderParser::new();
        assert_eq!(p.feed(input), expected);
        assert!(p.holds_nothing() || p.pending() > 0);
        let mut p = CardReaderParser::new();
        let split: Vec<CardRead> = input.iter().flat_map(|b| p.feed(&[*b])).collect();
        assert_eq!(split, expected, "byte by byte");
    }

    fn member(code: &str) -> CardRead {
        CardRead::MemberCard(MemberCode::parse(code).expect("digits"))
    }

    fn bank(masked: Option<&str>) -> CardRead {
        CardRead::BankCardRejected(BankCardRejected { masked_pan: masked.map(str::to_owned) })
    }

    fn unreadable(u: Unreadable) -> CardRead {
        CardRead::Unreadable(u)
    }

    #[test]
    fn card_numbers() {
        assert!(!is_pan(b""));
        assert!(!is_pan(b"4111a11111111111"));
        assert!(is_pan(b"4111111111111111"));
        assert!(!is_pan(b"79927398713"), "too short for a card number");
    }

    #[test]
    fn member_cards_carry_the_code_on_track_2() {
        check(b";0000012345?\r", &[member("0000012345")]);
        check(b"%A MEMBER?;0000012345?;123?\r", &[member("0000012345")]);
        check(b";0000012345?\r\n;0000067890?\n", &[member("0000012345"), member("0000067890")]);
        check(b"  ;0000012345?  \r", &[member("0000012345")]);
    }

    #[test]
    fn bank_cards_are_rejected_masked() {
        let masked = Some("411111******1111");
        check(b"%B4111111111111111^ZHANG/SAN^2512101000000000?;4111111111111111=25121010000000000?\r", &[bank(masked)]);
        check(b";4111111111111111=25121010000000000?\r", &[bank(masked)]);
        // Only the number on track 2, or bare digits: still a bank card, never a member code.
        check(b";4111111111111111?\r", &[bank(masked)]);
        check(b"4111111111111111\r", &[bank(masked)]);
        check(b"%B4111111111111111^ZHANG/SAN^2512101?\r", &[bank(masked)]);
        // Track 2 sent without sentinels.
        check(b"4111111111111111=2512101\r", &[bank(masked)]);
        // Track 1 in format B is a bank card even when its number cannot be made out.
        check(b"%BXXXX^ZHANG/SAN^2512?\r", &[bank(None)]);
        // A 19-digit UnionPay-length number.
        let pan19 = luhn_complete("622202123456789012");
        let frame = format!(";{pan19}=3012?\r");
        check(frame.as_bytes(), &[bank(Some(&format!("622202*********{}", &pan19[15..])))]);
    }

    /// Appends the Luhn check digit.
    fn luhn_complete(body: &str) -> String {
        (0..10).map(|d| format!("{body}{d}")).find(|s| is_pan(s.as_bytes())).expect("one digit fits")
    }

    #[test]
    fn track_2_with_separator_but_no_card_number_is_not_a_member() {
        // Luhn fails: not a bank card by the rule, and not a member card either (it has `=`).
        check(b";4111111111111112=2512?\r", &[unreadable(Unreadable::NotMemberCard)]);
        check(b";12345=99?\r", &[unreadable(Unreadable::NotMemberCard)]);
    }

    #[test]
    fn bad_reads() {
        check(b";E?\r", &[unreadable(Unreadable::TrackError)]);
        check(b";0000012345\r", &[unreadable(Unreadable::Incomplete)]);
        check(b"%A NO TRACK TWO?\r", &[unreadable(Unreadable::NotMemberCard)]);
        check(b";00000A2345?\r", &[unreadable(Unreadable::NotMemberCard)]);
        check(b"hello\r", &[unreadable(Unreadable::NotUid)]);
        check(b"\xff\xfe\x00\r", &[unreadable(Unreadable::NotUid)]);
        check(b"\r\n\r\n", &[]);
    }

    #[test]
    fn uids() {
        let uid = |s: &str| CardRead::Uid(CardUid::parse(s).expect("uid"));
        check(b"04a1b2c3\r", &[uid("04A1B2C3")]);
        check(b"04A1B2C3D4E5F6\r", &[uid("04A1B2C3D4E5F6")]);
        check(b"1234567890\r", &[uid("1234567890")]);
        check(b"123456789\r", &[unreadable(Unreadable::NotUid)]);
        check(b"04A1B2C3\r1234567890\r", &[uid("04A1B2C3"), uid("1234567890")]);
    }

    #[test]
    fn over_long_reads_are_dropped_to_the_end_of_the_read() {
        let mut p = CardReaderParser::new();
        let junk = vec![b'9'; 10 * 1024];
        assert_eq!(p.feed(&junk), vec![unreadable(Unreadable::TooLong)]);
        assert!(p.pending() <= MAX_FRAME);
        assert_eq!(p.feed(b"999\r;0000012345?\r"), vec![member("0000012345")]);
    }

    #[test]
    fn half_a_bank_swipe_then_a_member_swipe_reads_the_member() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut p = CardReaderParser::new();
        assert_eq!(p.feed_at(b"%B4111111111111111^ZHANG/SAN^25", ms(0)), vec![]);
        let reads = p.feed_at(b";0000012345?\r", ms(1_500));
        assert_eq!(reads, vec![unreadable(Unreadable::TimedOut), member("0000012345")]);
        assert!(p.holds_nothing(), "the half swipe was zeroed");
        // With nothing more coming, the driver's `expire` drops it and zeroes the buffer.
        let mut p = CardReaderParser::new();
        assert_eq!(p.feed_at(b";41111111111111", ms(0)), vec![]);
        assert_eq!(p.expire(ms(100)), vec![], "not yet");
        assert_eq!(p.expire(ms(101)), vec![unreadable(Unreadable::TimedOut)]);
        assert!(p.holds_nothing());
        assert_eq!(p.expire(ms(9_000)), vec![]);
        // A swipe whose bytes keep coming reads; 0 turns the timeout off.
        let swipe = b";0000012345?\r";
        let got: Vec<CardRead> =
            swipe.iter().enumerate().flat_map(|(i, b)| p.feed_at(&[*b], ms(10_000 + 90 * i as u64))).collect();
        assert_eq!(got, vec![member("0000012345")]);
        let mut p = CardReaderParser::with_options(CardReaderOptions { idle_timeout_ms: 0 });
        p.feed_at(b";00000", ms(0));
        assert_eq!(p.expire(ms(60_000)), vec![]);
        assert_eq!(p.feed_at(b"12345?\r", ms(60_000)), vec![member("0000012345")]);
    }

    #[test]
    fn nothing_of_a_bank_card_stays_in_memory_or_debug_output() {
        let mut p = CardReaderParser::new();
        let swipe = b"%B4111111111111111^ZHANG/SAN^2512101?;4111111111111111=2512101?\r";
        // Half a swipe: the parser holds it, but Debug does not show it.
        p.feed(&swipe[..30]);
        let dbg = format!("{p:?}");
        assert!(!dbg.contains("4111"), "{dbg}");
        let reads = p.feed(&swipe[30..]);
        assert!(p.holds_nothing(), "buffer zeroed after the check");
        let shown = format!("{reads:?} {}", reads.iter().map(|r| format!("{r:?}")).collect::<String>());
        assert!(!shown.contains("4111111111111111"), "{shown}");
        assert!(!shown.contains("ZHANG"), "{shown}");
        assert!(shown.contains("411111******1111"), "{shown}");
        match &reads[..] {
            [CardRead::BankCardRejected(r)] => {
                assert_eq!(r.to_string(), "bank card: use the payment terminal (411111******1111)");
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
        // A reset also zeroes a partial read.
        p.feed(b";4111111111111111=25");
        p.reset();
        assert!(p.holds_nothing());
    }
}
