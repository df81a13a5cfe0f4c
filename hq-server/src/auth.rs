//! Secrets: argon2id password and PIN hashes, random till tokens and session tokens (stored only
//! as SHA-256 hashes: they are long random strings, so a fast hash is enough), enrolment codes.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};

use crate::audit::hex;

/// Argon2id with OWASP's recommended parameters: 19 MiB, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// An argon2id PHC string for a password or a PIN.
pub fn hash_secret(secret: &str) -> Result<String, String> {
    argon2().hash_password(secret.as_bytes()).map(|h| h.to_string()).map_err(|e| format!("hashing failed: {e}"))
}

/// Whether `secret` matches the PHC string `hash` (false for a malformed hash).
pub fn verify_secret(secret: &str, hash: &str) -> bool {
    argon2().verify_password(secret.as_bytes(), hash).is_ok()
}

/// A hash to compare against when the user does not exist, so a missing user takes as long.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_secret("not-a-real-password").unwrap_or_default())
}

/// 32 random bytes as hex with a recognisable prefix.
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    format!("{prefix}{}", hex(&bytes))
}

/// Whether two secrets are equal, in a time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How a token or code is stored: SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Letters and digits that cannot be mistaken for one another when read aloud or typed.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A one-time enrolment code: eight characters shown as `ABCD-EFGH` (40 bits).
pub fn enrolment_code() -> String {
    let mut s = String::with_capacity(9);
    for i in 0..8 {
        if i == 4 {
            s.push('-');
        }
        let k = rand::random_range(0..CODE_ALPHABET.len());
        s.push(char::from(CODE_ALPHABET[k]));
    }
    s
}

/// The form a typed enrolment code is hashed in: upper case, without dashes and spaces.
pub fn normalise_code(code: &str) -> String {
    code.chars().filter(|c| !matches!(c, '-' | ' ')).flat_map(char::to_uppercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_verify_and_use_argon2id() {
        let h = hash_secret("1234").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_secret("1234", &h));
        assert!(!verify_secret("1235", &h));
        assert!(!verify_secret("1234", "not a hash"));
    }

    #[test]
    fn codes_normalise() {
        let c = enrolment_code();
        assert_eq!(c.len(), 9);
        assert_eq!(normalise_code(&c.to_lowercase()), c.replace('-', ""));
        assert_ne!(random_token("t_"), random_token("t_"));
    }
}
