//! A member's rotating code (spec/domain.md, "A member's rotating code"): what the member pages
//! show as a QR and a Code 128, and what a till's scanner reads like a member card.
//!
//! `88` + the 10 digits of the member number + a 6-digit TOTP (RFC 6238: HMAC-SHA1, 30-second
//! step) over the member's own secret. The secret is made by HQ when the member first signs in to
//! the member pages, sent to the tills with the member's record, never shown, and replaced when
//! the member signs out everywhere (so every code made before stops working at once).
//!
//! A till accepts the current step and one step either side, offline (with the secret of a
//! member it holds) as online (HQ checks). A code of an older step is refused as expired; any
//! other code of this shape as not the member's: neither is ever looked up as a product.

use std::fmt;

use serde::{Deserialize, Serialize};
use totp_rs::{Algorithm, Builder, Totp};

use crate::catalog::MemberCode;

/// The two digits a rotating code begins with (no GS1 prefix, product or card flag uses 88 at 18 digits).
pub const PREFIX: &str = "88";
/// Its length: prefix, member number, TOTP.
pub const LENGTH: usize = 18;
/// Seconds a code lives before the next one.
pub const STEP_SECONDS: u64 = 30;
/// How far back an old code is still recognised as expired (rather than as not the member's): an hour.
const EXPIRED_LOOKBACK_STEPS: u64 = 120;
/// Bytes of a member's secret (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;

/// A member's TOTP secret. Never printed: its `Debug` hides it; on the wire between HQ and its
/// tills it is lower-case hex.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MemberSecret([u8; SECRET_BYTES]);

impl MemberSecret {
    pub fn from_bytes(bytes: [u8; SECRET_BYTES]) -> MemberSecret {
        MemberSecret(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; SECRET_BYTES] {
        &self.0
    }

    /// The hex form HQ stores and sends.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn from_hex(text: &str) -> Result<MemberSecret, MemberCodeError> {
        let text = text.trim();
        if text.len() != SECRET_BYTES * 2 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(MemberCodeError::BadSecret);
        }
        let mut bytes = [0u8; SECRET_BYTES];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[i * 2..i * 2 + 2], 16).map_err(|_| MemberCodeError::BadSecret)?;
        }
        Ok(MemberSecret(bytes))
    }

    fn totp(&self) -> Totp {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_skew(1)
            .with_step_duration(STEP_SECONDS)
            .with_secret(self.0)
            .build_noncompliant()
    }
}

impl fmt::Debug for MemberSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MemberSecret(…)")
    }
}

impl TryFrom<String> for MemberSecret {
    type Error = MemberCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        MemberSecret::from_hex(&s)
    }
}

impl From<MemberSecret> for String {
    fn from(s: MemberSecret) -> String {
        s.to_hex()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MemberCodeError {
    #[error("a member's secret is 40 hex characters")]
    BadSecret,
    /// The code was the member's, but of a step more than one before now.
    #[error("this member code has expired: ask the member to show the code on their phone again")]
    Expired,
    /// The code is shaped like a member code but was not made with the member's secret (or the
    /// member signed out everywhere since, or the clocks are far apart).
    #[error("this member code is not valid: ask the member to show the code on their phone again")]
    NotValid,
    /// The member number has no rotating code (not 10 digits), or the member has no secret yet.
    #[error("this member has no phone member code")]
    NoSecret,
}

/// A scanned rotating code, parsed but not yet checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotatingCode {
    /// The member number it names.
    pub member: MemberCode,
    /// The six TOTP digits as scanned.
    pub otp: String,
}

impl RotatingCode {
    /// Whether `text` has the shape of a rotating code (18 digits beginning `88`). A till tries
    /// this before a product lookup.
    pub fn looks_like(text: &str) -> bool {
        let t = text.trim();
        t.len() == LENGTH && t.starts_with(PREFIX) && t.bytes().all(|b| b.is_ascii_digit())
    }

    pub fn parse(text: &str) -> Option<RotatingCode> {
        if !Self::looks_like(text) {
            return None;
        }
        let t = text.trim();
        let member = MemberCode::parse(&t[2..12]).ok()?;
        Some(RotatingCode { member, otp: t[12..].to_owned() })
    }

    /// The code as printed and scanned.
    pub fn text(&self) -> String {
        format!("{PREFIX}{}{}", self.member.as_str(), self.otp)
    }

    /// Checks the code against the member's secret at `unix_seconds`: `Ok(step)` for the current
    /// step or one either side; `Expired` for an older step of the last hour; `NotValid` otherwise.
    pub fn verify(&self, secret: &MemberSecret, unix_seconds: u64) -> Result<u64, MemberCodeError> {
        let totp = secret.totp();
        if let Some(step) = totp.check(&self.otp, unix_seconds) {
            return Ok(step);
        }
        let now = unix_seconds / STEP_SECONDS;
        let older = (2..=EXPIRED_LOOKBACK_STEPS).filter_map(|back| now.checked_sub(back));
        for step in older {
            if totp.generate(step * STEP_SECONDS).to_string() == self.otp {
                return Err(MemberCodeError::Expired);
            }
        }
        Err(MemberCodeError::NotValid)
    }
}

/// The code the member pages show at `unix_seconds` for a member number (10 digits) and secret.
pub fn code_at(member: &MemberCode, secret: &MemberSecret, unix_seconds: u64) -> Result<RotatingCode, MemberCodeError> {
    if member.as_str().len() != 10 {
        return Err(MemberCodeError::NoSecret);
    }
    let otp = secret.totp().generate(unix_seconds).to_string();
    Ok(RotatingCode { member: member.clone(), otp })
}

/// Seconds until the code shown at `unix_seconds` is replaced by the next.
pub fn seconds_left(unix_seconds: u64) -> u64 {
    STEP_SECONDS - unix_seconds % STEP_SECONDS
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 secret is the ASCII of "12345678901234567890".
    fn rfc_secret() -> MemberSecret {
        let mut bytes = [0u8; SECRET_BYTES];
        bytes.copy_from_slice(b"12345678901234567890");
        MemberSecret::from_bytes(bytes)
    }

    fn member() -> MemberCode {
        MemberCode::parse("0000012345").expect("a member number")
    }

    #[test]
    fn the_rfc_6238_vectors_in_six_digits() {
        // The RFC's eight-digit values, of which six digits are the last six.
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            let code = code_at(&member(), &rfc_secret(), time).expect("a code");
            assert_eq!(code.otp, &eight[2..], "at {time}");
            assert_eq!(code.text(), format!("880000012345{}", &eight[2..]));
        }
    }

    #[test]
    fn the_window_is_one_step_either_side_and_older_is_expired() {
        let secret = rfc_secret();
        let now = 1_800_000_015;
        let made = |t: u64| code_at(&member(), &secret, t).expect("a code");
        assert!(made(now).verify(&secret, now).is_ok());
        assert!(made(now - 30).verify(&secret, now).is_ok(), "one step before");
        assert!(made(now + 30).verify(&secret, now).is_ok(), "one step after (a phone's clock ahead)");
        assert_eq!(made(now - 61).verify(&secret, now), Err(MemberCodeError::Expired), "two steps before");
        assert_eq!(made(now - 3000).verify(&secret, now), Err(MemberCodeError::Expired));
        assert_eq!(made(now + 90).verify(&secret, now), Err(MemberCodeError::NotValid), "from the future");
        let mut other = [7u8; SECRET_BYTES];
        other[0] = 1;
        assert_eq!(
            made(now).verify(&MemberSecret::from_bytes(other), now),
            Err(MemberCodeError::NotValid),
            "another member's secret"
        );
    }

    #[test]
    fn the_shape() {
        assert!(RotatingCode::looks_like("880000012345287082"));
        assert!(RotatingCode::looks_like(" 880000012345287082 "));
        for not in ["870000012345287082", "88000001234528708", "8800000123452870821", "88000001234528708a", ""] {
            assert!(!RotatingCode::looks_like(not), "{not}");
            assert!(RotatingCode::parse(not).is_none(), "{not}");
        }
        let code = RotatingCode::parse("880000012345287082").expect("parses");
        assert_eq!(code.member.as_str(), "0000012345");
        assert_eq!(code.otp, "287082");
        // A member number that is not ten digits has no rotating code.
        let short = MemberCode::parse("12345").expect("a code");
        assert_eq!(code_at(&short, &rfc_secret(), 59), Err(MemberCodeError::NoSecret));
    }

    #[test]
    fn the_secret_is_hex_on_the_wire_and_hidden_in_debug() {
        let s = rfc_secret();
        let hex = s.to_hex();
        assert_eq!(hex.len(), 40);
        assert_eq!(MemberSecret::from_hex(&hex), Ok(s.clone()));
        assert_eq!(format!("{s:?}"), "MemberSecret(…)");
        let json = serde_json::to_string(&s).expect("serialises");
        assert_eq!(json, format!("\"{hex}\""));
        assert!(serde_json::from_str::<MemberSecret>("\"abc\"").is_err());
        assert!(MemberSecret::from_hex(&"zz".repeat(20)).is_err());
    }

    #[test]
    fn seconds_left_counts_down_the_step() {
        assert_eq!(seconds_left(60), 30);
        assert_eq!(seconds_left(89), 1);
    }
}
