//! WeChat Pay v2's signature (安全规范, 签名算法): the fields with a non-empty value, `sign`
//! excepted, sorted by name (ASCII), joined as `k=v&k=v`, then `&key=` and the merchant's API key;
//! MD5 (the default) or HMAC-SHA256 keyed with the API key, as uppercase hex.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hmac::{KeyInit, Mac};
use md5::Digest;

/// `sign_type`: MD5 unless the request says `HMAC-SHA256`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum SignType {
    #[default]
    #[serde(rename = "MD5")]
    Md5,
    #[serde(rename = "HMAC-SHA256")]
    HmacSha256,
}

impl SignType {
    pub fn wire(self) -> &'static str {
        match self {
            SignType::Md5 => "MD5",
            SignType::HmacSha256 => "HMAC-SHA256",
        }
    }

    /// The `sign_type` field as sent (absent is MD5); `None` for an unknown one
    pub fn from_wire(field: Option<&str>) -> Option<SignType> {
        match field {
            None | Some("") | Some("MD5") => Some(SignType::Md5),
            Some("HMAC-SHA256") => Some(SignType::HmacSha256),
            Some(_) => None,
        }
    }
}

/// `stringA` of the documentation: sorted non-empty `k=v` pairs, `sign` left out
pub fn string_to_sign(fields: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (name, value) in fields {
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

/// The `sign` of `fields` under `api_key`
pub fn sign(fields: &BTreeMap<String, String>, api_key: &str, sign_type: SignType) -> String {
    let text = format!("{}&key={api_key}", string_to_sign(fields));
    match sign_type {
        SignType::Md5 => upper_hex(&md5::Md5::digest(text.as_bytes())),
        SignType::HmacSha256 => {
            // HMAC takes a key of any length: this cannot fail
            let Ok(mut mac) = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(api_key.as_bytes()) else {
                return String::new();
            };
            mac.update(text.as_bytes());
            upper_hex(&mac.finalize().into_bytes())
        }
    }
}

/// Whether `fields["sign"]` is the signature of the other fields (compared in constant time)
pub fn verify(fields: &BTreeMap<String, String>, api_key: &str, sign_type: SignType) -> bool {
    let Some(given) = fields.get("sign") else { return false };
    let expected = sign(fields, api_key, sign_type);
    given.len() == expected.len() && given.bytes().zip(expected.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

fn upper_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02X}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of WeChat Pay's 签名算法 page (appid wxd930ea5d5a258f4f, key 192006…6a2d);
    /// the expected values were checked with `openssl dgst -md5` / `-sha256 -hmac`
    fn example() -> BTreeMap<String, String> {
        [
            ("appid", "wxd930ea5d5a258f4f"),
            ("mch_id", "10000100"),
            ("device_info", "1000"),
            ("body", "test"),
            ("nonce_str", "ibuaiVcKdpRxkhJA"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }
    const KEY: &str = "192006250b4c09247ec02edce69f6a2d";

    #[test]
    fn the_documented_example_signs_as_documented() {
        let fields = example();
        assert_eq!(
            string_to_sign(&fields),
            "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA"
        );
        assert_eq!(sign(&fields, KEY, SignType::Md5), "9A0A8659F005D6984697E2CA0A9CF3B7");
        assert_eq!(
            sign(&fields, KEY, SignType::HmacSha256),
            "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"
        );
    }

    #[test]
    fn empty_values_and_the_sign_itself_are_left_out() {
        let mut fields = example();
        fields.insert("attach".into(), String::new());
        fields.insert("sign".into(), "whatever".into());
        assert_eq!(sign(&fields, KEY, SignType::Md5), "9A0A8659F005D6984697E2CA0A9CF3B7");
    }

    #[test]
    fn verification_takes_only_the_right_key_and_fields() {
        let mut fields = example();
        fields.insert("sign".into(), "9A0A8659F005D6984697E2CA0A9CF3B7".into());
        assert!(verify(&fields, KEY, SignType::Md5));
        assert!(!verify(&fields, "192006250b4c09247ec02edce69f6a2e", SignType::Md5));
        assert!(!verify(&fields, KEY, SignType::HmacSha256));
        fields.insert("body".into(), "test2".into());
        assert!(!verify(&fields, KEY, SignType::Md5));
        fields.remove("sign");
        assert!(!verify(&fields, KEY, SignType::Md5));
    }
}
