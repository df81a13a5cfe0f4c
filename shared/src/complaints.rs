//! A complaint taken at a till (投诉, spec "Feedback and complaints"): what a till pulls
//! (`GET /api/v1/till/complaint-categories`) and sends (`POST /api/v1/till/complaints`), and the
//! bounds of what is typed, so the till refuses at the counter what HQ would refuse later.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::MemberId;

/// The longest complaint text, in characters (HQ's limit too).
pub const TEXT_MAX: usize = 1000;

/// A kind of complaint (商品质量, 服务态度, …) and how many hours one has to be resolved. A till
/// pulls the active ones and offers them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub id: i64,
    pub name: String,
    pub due_hours: u32,
    /// An inactive category keeps its complaints but takes no new ones.
    pub active: bool,
}

/// A complaint a till sends HQ. HQ records it for the till's branch (from its token), once per
/// `request_id`: the same body sent again answers the complaint recorded the first time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TillComplaint {
    /// Chosen by the till when the complaint is taken (a UUID).
    pub request_id: Uuid,
    /// The member attached to the sale, if any.
    pub member_id: Option<MemberId>,
    /// The receipt it is about (`B001-01-000123`), if any.
    pub receipt_no: Option<String>,
    /// Required by HQ (absent is refused): the category sets the due time.
    pub category_id: Option<i64>,
    pub text: String,
}

/// A typed text trimmed, or why it is refused: empty, longer than `max` characters as typed, or
/// with control characters (line breaks and tabs are kept).
pub fn text(field: &str, value: &str, max: usize) -> Result<String, String> {
    let t = value.trim();
    if t.is_empty() {
        return Err(format!("{field}: write something"));
    }
    if value.chars().count() > max {
        return Err(format!("{field}: at most {max} characters"));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(format!("{field}: no control characters"));
    }
    Ok(t.to_owned())
}

/// A complaint's receipt number as HQ keeps it (`B001-01-000123`: a branch code of 1 to 16 letters
/// and digits, a two-digit till, a six-digit number; upper case), or why it is not one.
pub fn receipt_no(no: &str) -> Result<String, String> {
    let mut parts = no.split('-');
    let ok = matches!((parts.next(), parts.next(), parts.next(), parts.next()),
        (Some(b), Some(t), Some(n), None)
            if (1..=16).contains(&b.len()) && b.chars().all(|c| c.is_ascii_alphanumeric())
            && t.len() == 2 && t.chars().all(|c| c.is_ascii_digit())
            && n.len() == 6 && n.chars().all(|c| c.is_ascii_digit()));
    if ok {
        Ok(no.to_uppercase())
    } else {
        Err(format!("receipt_no: `{no}` is not a receipt number like B001-01-000123"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_have_bounds() {
        assert_eq!(text("text", "  坏了 \n", TEXT_MAX), Ok("坏了".into()));
        assert!(text("text", "   ", TEXT_MAX).is_err());
        assert!(text("text", &"长".repeat(TEXT_MAX), TEXT_MAX).is_ok());
        assert!(text("text", &"长".repeat(TEXT_MAX + 1), TEXT_MAX).is_err());
        assert!(text("text", "a\u{7}b", TEXT_MAX).is_err());
        assert_eq!(text("text", "第一行\n第二行", TEXT_MAX), Ok("第一行\n第二行".into()));
    }

    #[test]
    fn receipt_numbers_have_the_shape_hq_keeps() {
        assert_eq!(receipt_no("b001-01-000123"), Ok("B001-01-000123".into()));
        for bad in ["", "B001", "B001-1-000123", "B001-01-12345", "B001-01-000123-1", "B-0-1", "分店-01-000001"] {
            assert!(receipt_no(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_till_complaint_reads_as_hq_documents_it() {
        let body = r#"{"request_id":"01a2290d-0000-7000-8000-0000000000aa","member_id":null,
                       "receipt_no":"B001-01-000007","category_id":3,"text":"找零少了"}"#;
        let c: TillComplaint = serde_json::from_str(body).expect("reads");
        assert_eq!((c.category_id, c.receipt_no.as_deref()), (Some(3), Some("B001-01-000007")));
        // HQ's category, with its fields, reads as the till keeps it.
        let k: Category =
            serde_json::from_str(r#"{"id":3,"name":"商品质量","due_hours":48,"active":true}"#).expect("reads");
        assert_eq!(k.name, "商品质量");
    }
}
