//! Alipay's RSA2 signature (开放平台 签名 / 验签): SHA256withRSA (PKCS#1 v1.5) in base64.
//!
//! A request is signed over its parameters with a non-empty value, `sign` excepted, sorted by
//! name and joined as `k=v&k=v` (values not URL-encoded), with the merchant application's private
//! key. An answer (`{"alipay_trade_pay_response":{…},"sign":"…"}`) is verified over the answer
//! object's raw JSON text exactly as sent, with Alipay's public key.
//!
//! Keys are taken as Alipay's tools hand them out (bare base64 of the DER, PKCS#8 or PKCS#1 for a
//! private key, SubjectPublicKeyInfo for a public key) or as PEM.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _};
use rsa::signature::{SignatureEncoding as _, Signer as _, Verifier as _};
use sha2::Sha256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an RSA {0} key (PEM, or base64 of PKCS#8 / PKCS#1 / SubjectPublicKeyInfo DER)")]
pub struct KeyError(pub &'static str);

/// A private key that signs (the merchant application's; the simulator's stand-in for Alipay's)
#[derive(Clone)]
pub struct PrivateKey(SigningKey<Sha256>);

/// A public key that verifies (Alipay's; the merchant application's, for the simulator)
#[derive(Clone, Debug, PartialEq)]
pub struct PublicKey(VerifyingKey<Sha256>);

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(<hidden>)")
    }
}

impl PrivateKey {
    pub fn parse(text: &str) -> Result<PrivateKey, KeyError> {
        let text = text.trim();
        let key = if text.starts_with("-----BEGIN RSA PRIVATE KEY") {
            rsa::PrivateKey::from_pkcs1_pem(text).ok()
        } else if text.starts_with("-----BEGIN") {
            rsa::PrivateKey::from_pkcs8_pem(text).ok()
        } else {
            let der = BASE64.decode(strip_whitespace(text)).map_err(|_| KeyError("private"))?;
            rsa::PrivateKey::from_pkcs8_der(&der).ok().or_else(|| rsa::PrivateKey::from_pkcs1_der(&der).ok())
        };
        key.map(|k| PrivateKey(SigningKey::new(k))).ok_or(KeyError("private"))
    }

    /// The base64 SHA256withRSA signature of `content`
    pub fn sign(&self, content: &str) -> String {
        BASE64.encode(self.0.sign(content.as_bytes()).to_bytes())
    }
}

impl PublicKey {
    pub fn parse(text: &str) -> Result<PublicKey, KeyError> {
        let text = text.trim();
        let key = if text.starts_with("-----BEGIN") {
            rsa::PublicKey::from_public_key_pem(text).ok()
        } else {
            let der = BASE64.decode(strip_whitespace(text)).map_err(|_| KeyError("public"))?;
            rsa::PublicKey::from_public_key_der(&der).ok()
        };
        key.map(|k| PublicKey(VerifyingKey::new(k))).ok_or(KeyError("public"))
    }

    /// Whether `signature` (base64) is this key's SHA256withRSA signature of `content`
    pub fn verify(&self, content: &str, signature: &str) -> bool {
        let Ok(bytes) = BASE64.decode(strip_whitespace(signature)) else { return false };
        let Ok(signature) = Signature::try_from(bytes.as_slice()) else { return false };
        self.0.verify(content.as_bytes(), &signature).is_ok()
    }
}

fn strip_whitespace(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The text a request is signed over: non-empty parameters but `sign`, sorted, `k=v&k=v`
pub fn content_to_sign(params: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (name, value) in params {
        if name == "sign" || value.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::keys;

    fn params() -> BTreeMap<String, String> {
        [
            ("app_id", "2021000000000000"),
            ("method", "alipay.trade.pay"),
            ("charset", "utf-8"),
            ("sign_type", "RSA2"),
            ("timestamp", "2026-11-30 10:00:00"),
            ("version", "1.0"),
            ("notify_url", ""),
            ("biz_content", "{\"out_trade_no\":\"B001-01-000042-1\",\"total_amount\":\"12.34\"}"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    #[test]
    fn the_content_is_sorted_without_empty_values() {
        assert_eq!(
            content_to_sign(&params()),
            "app_id=2021000000000000&biz_content={\"out_trade_no\":\"B001-01-000042-1\",\"total_amount\":\"12.34\"}\
             &charset=utf-8&method=alipay.trade.pay&sign_type=RSA2&timestamp=2026-11-30 10:00:00&version=1.0"
        );
    }

    /// Known answer: `printf %s "$CONTENT" | openssl dgst -sha256 -sign merchant-app-private.pem | base64 -w0`
    #[test]
    fn the_signature_is_openssls_sha256_with_rsa() {
        let key = PrivateKey::parse(keys::MERCHANT_APP_PRIVATE).unwrap_or_else(|e| panic!("{e}"));
        let content = content_to_sign(&params());
        let signature = key.sign(&content);
        assert_eq!(signature, KNOWN_SIGNATURE);
        let public = PublicKey::parse(keys::MERCHANT_APP_PUBLIC).unwrap_or_else(|e| panic!("{e}"));
        assert!(public.verify(&content, &signature));
        assert!(!public.verify(&format!("{content} "), &signature));
        let other = PublicKey::parse(keys::SIM_ALIPAY_PUBLIC).unwrap_or_else(|e| panic!("{e}"));
        assert!(!other.verify(&content, &signature));
        assert!(!public.verify(&content, "not base64!"));
        assert!(!public.verify(&content, ""));
    }

    #[test]
    fn keys_read_as_pem_or_bare_base64() {
        let bare: String = keys::MERCHANT_APP_PRIVATE.lines().filter(|l| !l.starts_with("-----")).collect();
        let key = PrivateKey::parse(&bare).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            key.sign("a=1"),
            PrivateKey::parse(keys::MERCHANT_APP_PRIVATE).map(|k| k.sign("a=1")).unwrap_or_default()
        );
        let bare_public: String = keys::MERCHANT_APP_PUBLIC.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(PublicKey::parse(&bare_public).is_ok());
        assert_eq!(PrivateKey::parse("MIIB").err(), Some(KeyError("private")));
        assert_eq!(
            PublicKey::parse("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").err(),
            Some(KeyError("public"))
        );
    }

    const KNOWN_SIGNATURE: &str = "RdWbe2Z7S+Lxeg+rcu9G5PpIvjSPvtgPaPcXw8QZLiewtX6cVGccNOSvy62ajA3fRzYDSWJMYlasu3fv2avNyQFW4kK+1jfjwmdFnAx4pBEBN6IVjXkRNjegsHfL++tMkgwC+pkeDx1mQh9F8FnRP3lObE0E2ZDVKR3m/xypH7Qc1g04cmFNNb0Bj1n1eKOoXs4PSt6ecWbzFKEEOmSgWG4pgWH64uY+y9xP/hbL67yS3JR2owDvnvtP4aJi9H/MqYyiQ6XyfA/NIAx8y3WCSG/Ifrurt+m36GwO7ZZbreSsJ31BKJZ/ZaluuQVcbkqXWEEP4ormoa0/Jdnc0zgvdA==";
}
