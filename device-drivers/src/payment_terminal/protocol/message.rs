//! The messages a frame carries: requests, answers and their fields (the card masked as it is read).

use std::fmt;

use serde::{Deserialize, Serialize};
use shared::Money;

use super::*;

/// Which request an id names: the till's own, unique per attempt (the receipt number and the
/// attempt, say `B001-01-000042-1`), so a terminal never carries one out twice.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RequestId(String);

impl RequestId {
    pub fn parse(text: &str) -> Result<RequestId, ProtocolError> {
        let ok = (1..=MAX_REQUEST_ID).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok { Ok(RequestId(text.to_owned())) } else { Err(ProtocolError::BadRequestId) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestId({})", self.0)
    }
}

impl TryFrom<String> for RequestId {
    type Error = ProtocolError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RequestId::parse(&s)
    }
}

impl From<RequestId> for String {
    fn from(r: RequestId) -> String {
        r.0
    }
}

/// The bank's retrieval reference number (参考号) of an approved transaction: 12 letters or digits.
/// A refund names the sale it pays back by it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReferenceNo(String);

impl ReferenceNo {
    pub fn parse(text: &str) -> Result<ReferenceNo, ProtocolError> {
        if text.len() == 12 && text.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(ReferenceNo(text.to_owned()))
        } else {
            Err(ProtocolError::BadReference)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReferenceNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ReferenceNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReferenceNo({})", self.0)
    }
}

impl TryFrom<String> for ReferenceNo {
    type Error = ProtocolError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ReferenceNo::parse(&s)
    }
}

impl From<ReferenceNo> for String {
    fn from(r: ReferenceNo) -> String {
        r.0
    }
}

/// A card number as the till may know it: the first 6 and last 4 digits, the rest `*`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MaskedPan(String);

impl MaskedPan {
    /// Reads a card field: 13–19 characters, either all digits (a full card number, masked here
    /// at once) or 6 digits, a mask of `*` or `X`, and 4 digits. Reads the bytes in place: no
    /// copy of a full number is made.
    pub fn from_field(field: &[u8]) -> Option<MaskedPan> {
        let n = field.len();
        if !(13..=19).contains(&n) {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| field[r].iter().all(u8::is_ascii_digit);
        let middle_ok = field[6..n - 4].iter().all(|b| b.is_ascii_digit() || matches!(b, b'*' | b'X' | b'x'))
            && (field[6..n - 4].iter().all(u8::is_ascii_digit)
                || field[6..n - 4].iter().all(|b| matches!(b, b'*' | b'X' | b'x')));
        if !(digits(0..6) && digits(n - 4..n) && middle_ok) {
            return None;
        }
        let masked = field.iter().enumerate().map(|(i, &b)| if i < 6 || i + 4 >= n { char::from(b) } else { '*' });
        Some(MaskedPan(masked.collect()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The issuer's six digits (BIN).
    pub fn first6(&self) -> &str {
        &self.0[..6]
    }

    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }
}

impl fmt::Display for MaskedPan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MaskedPan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MaskedPan({})", self.0)
    }
}

impl TryFrom<String> for MaskedPan {
    type Error = ProtocolError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        // Only a masked form is accepted back: a full number never makes a `MaskedPan` by serde.
        match MaskedPan::from_field(s.as_bytes()) {
            Some(m) if m.0 == s => Ok(m),
            _ => Err(ProtocolError::BadField("card")),
        }
    }
}

impl From<MaskedPan> for String {
    fn from(m: MaskedPan) -> String {
        m.0
    }
}

/// What a transaction does to the customer's card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionKind {
    /// 消费
    Sale,
    /// 撤销: takes back a sale of the same batch (day), in full.
    Void,
    /// 退货: pays back part or all of an earlier sale.
    Refund,
}

impl TransactionKind {
    fn code(self) -> &'static [u8; 2] {
        match self {
            TransactionKind::Sale => b"SA",
            TransactionKind::Void => b"VD",
            TransactionKind::Refund => b"RF",
        }
    }

    fn from_code(c: &[u8]) -> Option<TransactionKind> {
        Some(match c {
            b"SA" => TransactionKind::Sale,
            b"VD" => TransactionKind::Void,
            b"RF" => TransactionKind::Refund,
            _ => return None,
        })
    }
}

impl fmt::Display for TransactionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransactionKind::Sale => "sale",
            TransactionKind::Void => "void",
            TransactionKind::Refund => "refund",
        })
    }
}

/// What the till asks the terminal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "request")]
pub enum Request {
    /// Take `amount` from the customer's card.
    Sale { id: RequestId, amount: Money },
    /// What became of request `id` (after its answer was lost): answered with that request's
    /// answer, `Busy` while it runs, or `NotFound`.
    Query { id: RequestId },
    /// Take back the approved sale of request `original` (same batch, in full).
    Void { id: RequestId, original: RequestId },
    /// Pay `amount` back to the card of the sale with reference `original_reference`.
    Refund { id: RequestId, original_reference: ReferenceNo, amount: Money },
}

fn check_amount(amount: Money) -> Result<(), ProtocolError> {
    if amount.is_zero() {
        Err(ProtocolError::ZeroAmount)
    } else if amount.is_negative() {
        Err(ProtocolError::NegativeAmount)
    } else if amount > MAX_AMOUNT {
        Err(ProtocolError::AmountTooLarge)
    } else {
        Ok(())
    }
}

fn amount_field(amount: Money) -> String {
    format!("{:012}", amount.0)
}

fn parse_amount(field: &[u8]) -> Result<Money, ProtocolError> {
    if field.len() != 12 || !field.iter().all(u8::is_ascii_digit) {
        return Err(ProtocolError::BadField("amount"));
    }
    let fen = field.iter().fold(0i64, |a, d| a * 10 + i64::from(d - b'0'));
    let amount = Money(fen);
    check_amount(amount)?;
    Ok(amount)
}

fn ascii(field: &[u8]) -> Option<&str> {
    std::str::from_utf8(field).ok().filter(|s| s.is_ascii())
}

fn parse_id(field: &[u8]) -> Result<RequestId, ProtocolError> {
    ascii(field).ok_or(ProtocolError::BadRequestId).and_then(RequestId::parse)
}

/// Joins fields with `FS`.
fn join(fields: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(FS);
        }
        out.extend_from_slice(f);
    }
    out
}

fn fields<'a>(payload: &'a [u8], message: &'static str, expected: usize) -> Result<Vec<&'a [u8]>, ProtocolError> {
    let f: Vec<&[u8]> = payload.split(|&b| b == FS).collect();
    if f.len() != expected {
        return Err(ProtocolError::FieldCount { message, expected, got: f.len() });
    }
    Ok(f)
}

impl Request {
    /// A sale; refused for an amount of zero, below zero or over [`MAX_AMOUNT`].
    pub fn sale(id: RequestId, amount: Money) -> Result<Request, ProtocolError> {
        check_amount(amount)?;
        Ok(Request::Sale { id, amount })
    }

    /// A refund; refused for an amount of zero, below zero or over [`MAX_AMOUNT`].
    pub fn refund(id: RequestId, original_reference: ReferenceNo, amount: Money) -> Result<Request, ProtocolError> {
        check_amount(amount)?;
        Ok(Request::Refund { id, original_reference, amount })
    }

    pub fn id(&self) -> &RequestId {
        match self {
            Request::Sale { id, .. }
            | Request::Query { id }
            | Request::Void { id, .. }
            | Request::Refund { id, .. } => id,
        }
    }

    /// The transaction the request starts; `None` for a query.
    pub fn kind(&self) -> Option<TransactionKind> {
        match self {
            Request::Sale { .. } => Some(TransactionKind::Sale),
            Request::Void { .. } => Some(TransactionKind::Void),
            Request::Refund { .. } => Some(TransactionKind::Refund),
            Request::Query { .. } => None,
        }
    }

    /// The amount asked, for a sale or a refund.
    pub fn amount(&self) -> Option<Money> {
        match self {
            Request::Sale { amount, .. } | Request::Refund { amount, .. } => Some(*amount),
            Request::Query { .. } | Request::Void { .. } => None,
        }
    }

    /// Whether the request can be sent (a sale or refund of a positive amount up to the limit).
    pub fn check(&self) -> Result<(), ProtocolError> {
        match self.amount() {
            Some(a) => check_amount(a),
            None => Ok(()),
        }
    }

    /// The request's payload.
    pub fn payload(&self) -> Result<Vec<u8>, ProtocolError> {
        self.check()?;
        Ok(match self {
            Request::Sale { id, amount } => join(&[b"SA", id.0.as_bytes(), amount_field(*amount).as_bytes()]),
            Request::Query { id } => join(&[b"QY", id.0.as_bytes()]),
            Request::Void { id, original } => join(&[b"VD", id.0.as_bytes(), original.0.as_bytes()]),
            Request::Refund { id, original_reference, amount } => {
                join(&[b"RF", id.0.as_bytes(), original_reference.0.as_bytes(), amount_field(*amount).as_bytes()])
            }
        })
    }

    /// The request in a frame, ready to send.
    pub fn frame(&self) -> Result<Vec<u8>, ProtocolError> {
        frame(&self.payload()?)
    }

    /// Reads a request (the terminal's side: the simulator).
    pub fn parse(payload: &[u8]) -> Result<Request, ProtocolError> {
        let code = payload.get(..2).ok_or(ProtocolError::UnknownMessage)?;
        match code {
            b"SA" => {
                let f = fields(payload, "sale", 3)?;
                Ok(Request::Sale { id: parse_id(f[1])?, amount: parse_amount(f[2])? })
            }
            b"QY" => {
                let f = fields(payload, "query", 2)?;
                Ok(Request::Query { id: parse_id(f[1])? })
            }
            b"VD" => {
                let f = fields(payload, "void", 3)?;
                Ok(Request::Void { id: parse_id(f[1])?, original: parse_id(f[2])? })
            }
            b"RF" => {
                let f = fields(payload, "refund", 4)?;
                let reference = ascii(f[2]).ok_or(ProtocolError::BadReference).and_then(ReferenceNo::parse)?;
                Ok(Request::Refund { id: parse_id(f[1])?, original_reference: reference, amount: parse_amount(f[3])? })
            }
            _ => Err(ProtocolError::UnknownMessage),
        }
    }
}

/// An approved transaction, as the till may keep and print it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub kind: TransactionKind,
    pub amount: Money,
    /// First 6 and last 4 digits only.
    pub card: MaskedPan,
    /// The issuer's authorisation code (授权码): up to 6 letters or digits, often empty for debit
    /// cards.
    pub auth_code: String,
    /// The retrieval reference number (参考号): what a refund names.
    pub reference: ReferenceNo,
    /// The terminal's trace number (凭证号), 6 digits.
    pub trace: String,
}

/// A declined transaction: the bank's or the terminal's response code and its message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decline {
    pub kind: TransactionKind,
    /// Two letters or digits (ISO 8583 response codes: `51` insufficient funds, `55` wrong PIN…).
    pub code: String,
    /// What the terminal says, for the cashier (GBK on the wire).
    pub message: String,
}

/// What became of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    Approved(Approval),
    Declined(Decline),
    /// The terminal is busy (another transaction, its own menus; to a query: that request is
    /// still running). Nothing was done: ask again.
    Busy,
    /// To a query: the terminal has no request of that id. Nothing was done.
    NotFound,
}

/// The terminal's answer to request `id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub id: RequestId,
    pub outcome: Outcome,
}

fn auth_ok(s: &str) -> bool {
    s.len() <= 6 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ')
}

fn trace_ok(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

fn code_ok(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A decline message as the cashier may see it: controls are spaces, and anything shaped like a
/// card number or track data is masked.
fn clean_message(text: &str) -> String {
    let t: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let t = t.trim();
    if shared::card_data::holds_card_data(t) { shared::card_data::mask_card_data(t) } else { t.to_owned() }
}

fn encode_message(text: &str) -> Vec<u8> {
    let clean = clean_message(text);
    let mut out = Vec::new();
    let mut buf = [0u8; 4];
    for c in clean.chars() {
        let (bytes, _, _) = encoding_rs::GBK.encode(c.encode_utf8(&mut buf));
        if out.len() + bytes.len() > MAX_MESSAGE {
            break;
        }
        out.extend_from_slice(&bytes);
    }
    out
}

impl Answer {
    /// The answer's payload (the terminal's side: the simulator). A card number in the approval
    /// is already masked; a terminal that sends a full one is played by [`approval_payload`].
    pub fn payload(&self) -> Result<Vec<u8>, ProtocolError> {
        let id = self.id.0.as_bytes();
        Ok(match &self.outcome {
            Outcome::Approved(a) => {
                check_amount(a.amount)?;
                approval_payload(&self.id, a, a.card.as_str())?
            }
            Outcome::Declined(d) => {
                if !code_ok(&d.code) {
                    return Err(ProtocolError::BadField("response code"));
                }
                join(&[b"DC", id, d.kind.code(), d.code.as_bytes(), &encode_message(&d.message)])
            }
            Outcome::Busy => join(&[b"BY", id]),
            Outcome::NotFound => join(&[b"NF", id]),
        })
    }

    pub fn frame(&self) -> Result<Vec<u8>, ProtocolError> {
        frame(&self.payload()?)
    }

    /// Reads an answer. The card field is masked as it is read; nothing of a full number stays.
    pub fn parse(payload: &[u8]) -> Result<Answer, ProtocolError> {
        let code = payload.get(..2).ok_or(ProtocolError::UnknownMessage)?;
        let outcome_of = |id: RequestId, outcome: Outcome| Ok(Answer { id, outcome });
        match code {
            b"AP" => {
                let f = fields(payload, "approved", 8)?;
                let id = parse_id(f[1])?;
                let kind = TransactionKind::from_code(f[2]).ok_or(ProtocolError::BadField("transaction kind"))?;
                let amount = parse_amount(f[3])?;
                let card = MaskedPan::from_field(f[4]).ok_or(ProtocolError::BadField("card"))?;
                let auth_code = ascii(f[5]).filter(|s| auth_ok(s)).ok_or(ProtocolError::BadField("auth code"))?;
                let reference = ascii(f[6]).ok_or(ProtocolError::BadReference).and_then(ReferenceNo::parse)?;
                let trace = ascii(f[7]).filter(|s| trace_ok(s)).ok_or(ProtocolError::BadField("trace"))?;
                outcome_of(
                    id,
                    Outcome::Approved(Approval {
                        kind,
                        amount,
                        card,
                        auth_code: auth_code.trim().to_owned(),
                        reference,
                        trace: trace.to_owned(),
                    }),
                )
            }
            b"DC" => {
                let f = fields(payload, "declined", 5)?;
                let id = parse_id(f[1])?;
                let kind = TransactionKind::from_code(f[2]).ok_or(ProtocolError::BadField("transaction kind"))?;
                let code = ascii(f[3]).filter(|s| code_ok(s)).ok_or(ProtocolError::BadField("response code"))?;
                if f[4].len() > MAX_MESSAGE {
                    return Err(ProtocolError::BadField("message"));
                }
                let message = clean_message(&encoding_rs::GBK.decode_without_bom_handling(f[4]).0);
                outcome_of(id, Outcome::Declined(Decline { kind, code: code.to_owned(), message }))
            }
            b"BY" => {
                let f = fields(payload, "busy", 2)?;
                outcome_of(parse_id(f[1])?, Outcome::Busy)
            }
            b"NF" => {
                let f = fields(payload, "not found", 2)?;
                outcome_of(parse_id(f[1])?, Outcome::NotFound)
            }
            _ => Err(ProtocolError::UnknownMessage),
        }
    }
}

/// An approval's payload with `card` as the card field: the masked number, or (a terminal set up
/// to send it, played by the simulator) the full one.
pub fn approval_payload(id: &RequestId, a: &Approval, card: &str) -> Result<Vec<u8>, ProtocolError> {
    if !auth_ok(&a.auth_code) {
        return Err(ProtocolError::BadField("auth code"));
    }
    if !trace_ok(&a.trace) {
        return Err(ProtocolError::BadField("trace"));
    }
    Ok(join(&[
        b"AP",
        id.0.as_bytes(),
        a.kind.code(),
        amount_field(a.amount).as_bytes(),
        card.as_bytes(),
        a.auth_code.as_bytes(),
        a.reference.0.as_bytes(),
        a.trace.as_bytes(),
    ]))
}
