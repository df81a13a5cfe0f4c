//! The bank-card payment terminal's ECR protocol as pure code: frames, messages and the till's
//! side of the link (ACK/NAK, retransmission, the wait for an answer), with time as an input.
//! `docs/payment-terminal.md` is the specification; in short:
//!
//! - a frame is `STX LEN(2 bytes BCD) PAYLOAD ETX LRC`, the LRC the XOR of every byte after STX
//!   up to and including ETX; the receiver answers a good frame with `ACK` and a bad one with
//!   `NAK`, and the sender sends it again on `NAK` or when no `ACK` comes in time;
//! - a payload is ASCII fields separated by `FS` (0x1C): a two-letter message code, the request
//!   id, then the message's fields. Requests: `SA` sale, `QY` query, `VD` void, `RF` refund.
//!   Answers: `AP` approved, `DC` declined, `BY` busy, `NF` not found (to a query). Every answer
//!   carries the request id it answers.
//!
//! A card number never gets past this module: an answer's card field is masked (first 6, last 4)
//! as it is parsed, straight from the frame's buffer; the reader's buffer and every frame's payload
//! are zeroed when done with, and `Debug` of either shows lengths only.

use std::fmt;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use shared::Money;
use zeroize::{Zeroize, Zeroizing};

pub const STX: u8 = 0x02;
pub const ETX: u8 = 0x03;
pub const ACK: u8 = 0x06;
pub const NAK: u8 = 0x15;
/// Field separator inside a payload.
pub const FS: u8 = 0x1C;

/// Longest payload either side sends (an approval is under 100 bytes).
pub const MAX_PAYLOAD: usize = 512;
/// Largest amount a request or an answer carries: 12 digits of fen.
pub const MAX_AMOUNT: Money = Money(999_999_999_999);
/// Longest request id.
pub const MAX_REQUEST_ID: usize = 32;
/// Longest decline message, in bytes (GBK).
pub const MAX_MESSAGE: usize = 128;

/// The XOR of `bytes`.
pub fn lrc(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |a, b| a ^ b)
}

/// A payload in a frame: `STX LEN PAYLOAD ETX LRC`.
pub fn frame(payload: &[u8]) -> Result<Vec<u8>, ProtocolError> {
    let n = payload.len();
    if n > MAX_PAYLOAD {
        return Err(ProtocolError::PayloadTooLong { len: n });
    }
    let len = [bcd((n / 100) as u8), bcd((n % 100) as u8)];
    let mut f = Vec::with_capacity(n + 5);
    f.push(STX);
    f.extend(len);
    f.extend_from_slice(payload);
    f.push(ETX);
    f.push(lrc(&f[1..]));
    Ok(f)
}

fn bcd(n: u8) -> u8 {
    ((n / 10) << 4) | (n % 10)
}

fn from_bcd(b: u8) -> Option<usize> {
    let (hi, lo) = (b >> 4, b & 0x0F);
    (hi < 10 && lo < 10).then_some(usize::from(hi) * 10 + usize::from(lo))
}

/// Why a frame was refused (the receiver answers `NAK`). Never carries the frame's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum FrameError {
    #[error("a frame's length is not two BCD bytes")]
    BadLength,
    #[error("a frame of {len} bytes is longer than {MAX_PAYLOAD}")]
    TooLong { len: usize },
    #[error("a frame does not end with ETX where its length says")]
    NoEtx,
    #[error("a frame's LRC is {got:#04x}, its bytes make {expected:#04x}")]
    BadLrc { expected: u8, got: u8 },
    #[error("a frame stopped halfway")]
    Incomplete,
}

/// A good frame's payload. Zeroed when dropped; `Debug` shows its length only.
pub struct Frame {
    payload: Zeroizing<Vec<u8>>,
}

impl Frame {
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame").field("len", &self.payload.len()).finish_non_exhaustive()
    }
}

/// What arrived on the line.
#[derive(Debug)]
pub enum Received {
    Ack,
    Nak,
    Frame(Frame),
    Bad(FrameError),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReadState {
    /// Between frames: ACK, NAK and STX mean something, other bytes are line noise.
    Idle,
    Len {
        first: Option<u8>,
    },
    Payload {
        len_bytes: [u8; 2],
        need: usize,
    },
    Etx {
        len_bytes: [u8; 2],
    },
    Lrc {
        len_bytes: [u8; 2],
    },
}

/// Splits the byte stream into ACK, NAK and frames. Holds one frame in a fixed buffer (never
/// grown, so never copied by a reallocation), zeroed after each frame, on reset and on drop.
pub struct FrameReader {
    buf: Box<[u8; MAX_PAYLOAD]>,
    len: usize,
    state: ReadState,
    last_byte: Option<Instant>,
    idle_timeout: Duration,
    noise: usize,
}

impl fmt::Debug for FrameReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameReader").field("pending", &self.len).field("noise", &self.noise).finish_non_exhaustive()
    }
}

impl Drop for FrameReader {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

impl FrameReader {
    /// A reader that drops a frame whose bytes stop coming for longer than `idle_timeout`.
    pub fn new(idle_timeout: Duration) -> FrameReader {
        FrameReader {
            buf: Box::new([0; MAX_PAYLOAD]),
            len: 0,
            state: ReadState::Idle,
            last_byte: None,
            idle_timeout,
            noise: 0,
        }
    }

    /// Bytes of an unfinished frame's payload held.
    pub fn pending(&self) -> usize {
        self.len
    }

    /// Bytes dropped between frames.
    pub fn noise(&self) -> usize {
        self.noise
    }

    /// `true` when no byte of any frame is left in memory.
    pub fn holds_nothing(&self) -> bool {
        self.len == 0 && self.buf.iter().all(|&b| b == 0)
    }

    /// Forgets (and zeroes) an unfinished frame.
    pub fn reset(&mut self) {
        self.buf[..self.len].zeroize();
        self.len = 0;
        self.state = ReadState::Idle;
        self.last_byte = None;
    }

    /// Drops an unfinished frame whose bytes stopped coming more than the idle timeout before
    /// `now`.
    pub fn expire(&mut self, now: Instant) -> Option<FrameError> {
        let last = self.last_byte?;
        if self.state == ReadState::Idle || now.saturating_duration_since(last) <= self.idle_timeout {
            return None;
        }
        self.reset();
        Some(FrameError::Incomplete)
    }

    /// Feeds bytes that arrived at `now`.
    pub fn feed(&mut self, bytes: &[u8], now: Instant) -> Vec<Received> {
        let mut out = Vec::new();
        if bytes.is_empty() {
            return out;
        }
        if let Some(e) = self.expire(now) {
            out.push(Received::Bad(e));
        }
        self.last_byte = Some(now);
        for &b in bytes {
            self.byte(b, &mut out);
        }
        out
    }

    fn byte(&mut self, b: u8, out: &mut Vec<Received>) {
        match self.state {
            ReadState::Idle => match b {
                STX => self.state = ReadState::Len { first: None },
                ACK => out.push(Received::Ack),
                NAK => out.push(Received::Nak),
                _ => self.noise += 1,
            },
            ReadState::Len { first: None } => self.state = ReadState::Len { first: Some(b) },
            ReadState::Len { first: Some(hi) } => match (from_bcd(hi), from_bcd(b)) {
                (Some(h), Some(l)) if h * 100 + l <= MAX_PAYLOAD => {
                    let need = h * 100 + l;
                    self.state = if need == 0 {
                        ReadState::Etx { len_bytes: [hi, b] }
                    } else {
                        ReadState::Payload { len_bytes: [hi, b], need }
                    };
                }
                (Some(h), Some(l)) => self.refuse(FrameError::TooLong { len: h * 100 + l }, out),
                _ => self.refuse(FrameError::BadLength, out),
            },
            ReadState::Payload { len_bytes, need } => {
                self.buf[self.len] = b;
                self.len += 1;
                if self.len == need {
                    self.state = ReadState::Etx { len_bytes };
                }
            }
            ReadState::Etx { len_bytes } => {
                if b == ETX {
                    self.state = ReadState::Lrc { len_bytes };
                } else {
                    self.refuse(FrameError::NoEtx, out);
                    // A frame cut short may be followed at once by the next one.
                    if b == STX {
                        self.state = ReadState::Len { first: None };
                    }
                }
            }
            ReadState::Lrc { len_bytes } => {
                let expected = lrc(&len_bytes) ^ lrc(&self.buf[..self.len]) ^ ETX;
                if b == expected {
                    let mut payload = Zeroizing::new(Vec::with_capacity(self.len));
                    payload.extend_from_slice(&self.buf[..self.len]);
                    self.reset_frame();
                    out.push(Received::Frame(Frame { payload }));
                } else {
                    self.refuse(FrameError::BadLrc { expected, got: b }, out);
                }
            }
        }
    }

    fn reset_frame(&mut self) {
        self.buf[..self.len].zeroize();
        self.len = 0;
        self.state = ReadState::Idle;
    }

    fn refuse(&mut self, e: FrameError, out: &mut Vec<Received>) {
        self.reset_frame();
        out.push(Received::Bad(e));
    }
}

/// Why a message was refused or could not be made. Never carries a field's content.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("{0}")]
    Frame(FrameError),
    #[error("a payload of {len} bytes is longer than {MAX_PAYLOAD}")]
    PayloadTooLong { len: usize },
    #[error("an unknown message")]
    UnknownMessage,
    #[error("a {message} message has {got} fields, not {expected}")]
    FieldCount { message: &'static str, expected: usize, got: usize },
    #[error("the {0} field is not valid")]
    BadField(&'static str),
    #[error("an amount of zero")]
    ZeroAmount,
    #[error("an amount below zero")]
    NegativeAmount,
    #[error("an amount over {}", MAX_AMOUNT.plain())]
    AmountTooLarge,
    #[error("a request id is 1 to {MAX_REQUEST_ID} letters, digits, `-` or `_`")]
    BadRequestId,
    #[error("a reference number is 12 letters or digits")]
    BadReference,
    #[error("an answer for request {got} while waiting for {expected}")]
    OtherRequest { expected: RequestId, got: RequestId },
    #[error("an answer for request {0}, which nothing waits for")]
    Unexpected(RequestId),
    #[error("the answer to a {asked} is for a {answered}")]
    KindMismatch { asked: TransactionKind, answered: TransactionKind },
    #[error("{} was asked, the terminal approved {}", .asked.plain(), .approved.plain())]
    AmountMismatch { asked: Money, approved: Money },
}

impl From<FrameError> for ProtocolError {
    fn from(e: FrameError) -> Self {
        ProtocolError::Frame(e)
    }
}

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

/// The link's timing, as the till's config file has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct TerminalOptions {
    /// How long the other side has to acknowledge a frame before it is sent again.
    pub ack_timeout_ms: u64,
    /// How many times a frame is sent in all before the other side counts as not answering.
    pub attempts: u32,
    /// How long a sale, void or refund may take: the customer inserts or taps the card and types
    /// the PIN.
    pub answer_timeout_ms: u64,
    /// How long a query may take (the terminal answers it from its own records).
    pub query_timeout_ms: u64,
    /// A frame whose next byte does not come within this is dropped as garbled.
    pub idle_timeout_ms: u64,
}

impl Default for TerminalOptions {
    fn default() -> Self {
        TerminalOptions {
            ack_timeout_ms: 1_000,
            attempts: 3,
            answer_timeout_ms: 120_000,
            query_timeout_ms: 10_000,
            idle_timeout_ms: 500,
        }
    }
}

/// One frame on its way: sent, waiting for `ACK`, sent again on `NAK` or silence.
#[derive(Debug, Default)]
pub struct Outbox {
    pending: Option<Sending>,
}

#[derive(Debug)]
struct Sending {
    frame: Vec<u8>,
    sent: u32,
    at: Instant,
}

/// What the outbox wants done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutboxStep {
    /// Nothing now.
    Wait,
    /// Send these bytes again.
    Resend(Vec<u8>),
    /// Sent as many times as allowed without an `ACK`.
    GaveUp,
}

impl Outbox {
    /// Starts sending `frame`; returns the bytes to write.
    pub fn send(&mut self, frame: Vec<u8>, now: Instant) -> Vec<u8> {
        let bytes = frame.clone();
        self.pending = Some(Sending { frame, sent: 1, at: now });
        bytes
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_none()
    }

    /// The other side has the frame. `false` when nothing was waiting for an `ACK`.
    pub fn ack(&mut self) -> bool {
        self.pending.take().is_some()
    }

    /// Gives up on the frame without an `ACK`.
    pub fn clear(&mut self) {
        self.pending = None;
    }

    /// The other side refused the frame: send again, unless it was sent `attempts` times.
    pub fn nak(&mut self, now: Instant, options: &TerminalOptions) -> OutboxStep {
        self.again(now, options)
    }

    /// Sends again when no `ACK` came within the timeout.
    pub fn poll(&mut self, now: Instant, options: &TerminalOptions) -> OutboxStep {
        match &self.pending {
            Some(s) if now.saturating_duration_since(s.at) >= Duration::from_millis(options.ack_timeout_ms) => {
                self.again(now, options)
            }
            _ => OutboxStep::Wait,
        }
    }

    fn again(&mut self, now: Instant, options: &TerminalOptions) -> OutboxStep {
        let Some(s) = &mut self.pending else { return OutboxStep::Wait };
        if s.sent >= options.attempts.max(1) {
            self.pending = None;
            return OutboxStep::GaveUp;
        }
        s.sent += 1;
        s.at = now;
        OutboxStep::Resend(s.frame.clone())
    }
}

/// Why a request got no answer. Only [`Failure::outcome_unknown`] ones may have moved money.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error("the terminal did not acknowledge the request; query it to be sure nothing was done")]
    NotAcknowledged,
    #[error("the terminal took the request but gave no answer in time; query it")]
    NoAnswer,
    #[error("the terminal's answer does not fit the request ({0}); query it")]
    Inconsistent(ProtocolError),
}

/// What the till's side of the link asks its driver to do or tell.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Write these bytes to the terminal.
    Send(Vec<u8>),
    /// The terminal acknowledged the request: it is working on it.
    Accepted(RequestId),
    /// The answer to the request in hand.
    Answered(Answer),
    /// The request in hand got no answer.
    Failed { id: RequestId, failure: Failure },
    /// Something arrived that changes nothing (a garbled frame, an answer for another request).
    Ignored(ProtocolError),
}

#[derive(Debug)]
enum InHand {
    Sending(Request),
    Waiting { request: Request, since: Instant },
}

/// The till's side of the link: one request at a time.
#[derive(Debug)]
pub struct TillSession {
    options: TerminalOptions,
    reader: FrameReader,
    outbox: Outbox,
    in_hand: Option<InHand>,
    /// The last answer taken: the same answer again (the terminal missed our `ACK`) is dropped
    /// quietly.
    last_answer: Option<Answer>,
}

impl TillSession {
    pub fn new(options: TerminalOptions) -> TillSession {
        TillSession {
            reader: FrameReader::new(Duration::from_millis(options.idle_timeout_ms)),
            options,
            outbox: Outbox::default(),
            in_hand: None,
            last_answer: None,
        }
    }

    pub fn options(&self) -> &TerminalOptions {
        &self.options
    }

    /// No request in hand.
    pub fn is_idle(&self) -> bool {
        self.in_hand.is_none()
    }

    /// The request in hand.
    pub fn in_hand(&self) -> Option<&Request> {
        match &self.in_hand {
            Some(InHand::Sending(r) | InHand::Waiting { request: r, .. }) => Some(r),
            None => None,
        }
    }

    /// `true` when no byte of any frame is left in the reader's memory.
    pub fn holds_nothing(&self) -> bool {
        self.reader.holds_nothing()
    }

    /// Sends `request`. Refused, changing nothing, when another request is in hand or the
    /// request cannot be sent (an amount of zero).
    pub fn start(&mut self, request: Request, now: Instant) -> Result<Vec<Step>, StartError> {
        if let Some(r) = self.in_hand() {
            return Err(StartError::Busy(r.id().clone()));
        }
        let frame = request.frame().map_err(StartError::Invalid)?;
        let bytes = self.outbox.send(frame, now);
        self.in_hand = Some(InHand::Sending(request));
        Ok(vec![Step::Send(bytes)])
    }

    /// Forgets the request in hand (the link was lost): returns its id, its outcome unknown.
    pub fn abandon(&mut self) -> Option<RequestId> {
        self.reader.reset();
        self.outbox.clear();
        let id = self.in_hand().map(|r| r.id().clone());
        self.in_hand = None;
        id
    }

    /// Bytes from the terminal, arrived at `now`.
    pub fn feed(&mut self, bytes: &[u8], now: Instant) -> Vec<Step> {
        let mut steps = Vec::new();
        for r in self.reader.feed(bytes, now) {
            self.received(r, now, &mut steps);
        }
        steps
    }

    /// Time passed with nothing read: resends, timeouts, a half frame dropped.
    pub fn poll(&mut self, now: Instant) -> Vec<Step> {
        let mut steps = Vec::new();
        if let Some(e) = self.reader.expire(now) {
            steps.push(Step::Send(vec![NAK]));
            steps.push(Step::Ignored(e.into()));
        }
        match &self.in_hand {
            Some(InHand::Sending(_)) => {
                let step = self.outbox.poll(now, &self.options);
                self.outbox_step(step, &mut steps);
            }
            Some(InHand::Waiting { request, since }) => {
                let limit = match request {
                    Request::Query { .. } => self.options.query_timeout_ms,
                    _ => self.options.answer_timeout_ms,
                };
                if now.saturating_duration_since(*since) >= Duration::from_millis(limit) {
                    let id = request.id().clone();
                    self.in_hand = None;
                    steps.push(Step::Failed { id, failure: Failure::NoAnswer });
                }
            }
            None => {}
        }
        steps
    }

    fn outbox_step(&mut self, step: OutboxStep, steps: &mut Vec<Step>) {
        match step {
            OutboxStep::Wait => {}
            OutboxStep::Resend(bytes) => steps.push(Step::Send(bytes)),
            OutboxStep::GaveUp => {
                if let Some(r) = self.in_hand.take() {
                    let id = match r {
                        InHand::Sending(r) | InHand::Waiting { request: r, .. } => r.id().clone(),
                    };
                    steps.push(Step::Failed { id, failure: Failure::NotAcknowledged });
                }
            }
        }
    }

    fn received(&mut self, r: Received, now: Instant, steps: &mut Vec<Step>) {
        match r {
            Received::Ack => {
                if self.outbox.ack() {
                    match self.in_hand.take() {
                        Some(InHand::Sending(request)) => {
                            steps.push(Step::Accepted(request.id().clone()));
                            self.in_hand = Some(InHand::Waiting { request, since: now });
                        }
                        other => self.in_hand = other,
                    }
                }
            }
            Received::Nak => {
                let step = self.outbox.nak(now, &self.options);
                self.outbox_step(step, steps);
            }
            Received::Bad(e) => {
                steps.push(Step::Send(vec![NAK]));
                steps.push(Step::Ignored(e.into()));
            }
            Received::Frame(f) => {
                steps.push(Step::Send(vec![ACK]));
                match Answer::parse(f.payload()) {
                    Ok(answer) => self.answer(answer, steps),
                    Err(e) => steps.push(Step::Ignored(e)),
                }
            }
        }
    }

    fn answer(&mut self, answer: Answer, steps: &mut Vec<Step>) {
        let repeat = self.last_answer.as_ref() == Some(&answer);
        let Some(request) = self.in_hand() else {
            if !repeat {
                steps.push(Step::Ignored(ProtocolError::Unexpected(answer.id)));
            }
            return;
        };
        if *request.id() != answer.id {
            if !repeat {
                let expected = request.id().clone();
                steps.push(Step::Ignored(ProtocolError::OtherRequest { expected, got: answer.id }));
            }
            return;
        }
        // The answer may come before the ACK (the ACK was lost): it answers all the same.
        let misfit = misfit(request, &answer);
        let id = answer.id.clone();
        self.outbox.clear();
        self.in_hand = None;
        self.last_answer = Some(answer.clone());
        match misfit {
            Some(e) => steps.push(Step::Failed { id, failure: Failure::Inconsistent(e) }),
            None => steps.push(Step::Answered(answer)),
        }
    }
}

/// Why an answer for the request's id does not fit the request: another kind of transaction, or
/// another amount approved.
fn misfit(request: &Request, answer: &Answer) -> Option<ProtocolError> {
    let asked = request.kind()?;
    let answered = match &answer.outcome {
        Outcome::Approved(a) => a.kind,
        Outcome::Declined(d) => d.kind,
        Outcome::Busy | Outcome::NotFound => return None,
    };
    if asked != answered {
        return Some(ProtocolError::KindMismatch { asked, answered });
    }
    match (&answer.outcome, request.amount()) {
        (Outcome::Approved(a), Some(amount)) if a.amount != amount => {
            Some(ProtocolError::AmountMismatch { asked: amount, approved: a.amount })
        }
        _ => None,
    }
}

/// Why a request was not sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    #[error("the terminal is still working on request {0}")]
    Busy(RequestId),
    #[error("{0}")]
    Invalid(ProtocolError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> RequestId {
        RequestId::parse(s).expect("a request id")
    }

    fn reference(s: &str) -> ReferenceNo {
        ReferenceNo::parse(s).expect("a reference")
    }

    fn approval(amount: i64) -> Approval {
        Approval {
            kind: TransactionKind::Sale,
            amount: Money(amount),
            card: MaskedPan::from_field(b"6222021234567890128").expect("a card"),
            auth_code: "A1B2C3".into(),
            reference: reference("880000000001"),
            trace: "000123".into(),
        }
    }

    /// The frame of the spec's example, byte for byte.
    #[test]
    fn a_sale_frame_byte_for_byte() {
        let sale = Request::sale(id("000042"), Money(1250)).expect("a sale");
        let f = sale.frame().expect("frames");
        let mut want = vec![STX, 0x00, 0x22];
        want.extend(b"SA\x1c000042\x1c000000001250");
        want.push(ETX);
        want.push(lrc(&want[1..]));
        assert_eq!(f, want);
        assert_eq!(*f.last().expect("an LRC"), 0x33, "the LRC in docs/payment-terminal.md");
        assert_eq!(
            f,
            [
                0x02, 0x00, 0x22, 0x53, 0x41, 0x1C, 0x30, 0x30, 0x30, 0x30, 0x34, 0x32, 0x1C, 0x30, 0x30, 0x30, 0x30,
                0x30, 0x30, 0x30, 0x30, 0x31, 0x32, 0x35, 0x30, 0x03, 0x33
            ]
        );
        // And what the other requests look like.
        let payload = |r: Request| String::from_utf8(r.payload().expect("payload")).expect("ascii");
        assert_eq!(payload(Request::Query { id: id("000042") }), "QY\x1c000042");
        assert_eq!(payload(Request::Void { id: id("000043"), original: id("000042") }), "VD\x1c000043\x1c000042");
        assert_eq!(
            payload(Request::refund(id("000044"), reference("123456789012"), Money(500)).expect("a refund")),
            "RF\x1c000044\x1c123456789012\x1c000000000500"
        );
        // A 100-byte payload has length 01 00 in BCD.
        let f = frame(&[b'x'; 100]).expect("frames");
        assert_eq!(&f[..3], &[STX, 0x01, 0x00]);
        assert_eq!(frame(&[0; MAX_PAYLOAD + 1]), Err(ProtocolError::PayloadTooLong { len: MAX_PAYLOAD + 1 }));
    }

    #[test]
    fn requests_read_back() {
        for r in [
            Request::sale(id("B001-01-000042-1"), Money(1)).expect("sale"),
            Request::sale(id("x"), MAX_AMOUNT).expect("sale"),
            Request::Query { id: id("q_1") },
            Request::Void { id: id("v1"), original: id("s1") },
            Request::refund(id("r1"), reference("ABC123456789"), Money(99)).expect("refund"),
        ] {
            assert_eq!(Request::parse(&r.payload().expect("payload")), Ok(r));
        }
    }

    #[test]
    fn an_amount_of_zero_is_refused_everywhere() {
        assert_eq!(Request::sale(id("1"), Money(0)), Err(ProtocolError::ZeroAmount));
        assert_eq!(Request::sale(id("1"), Money(-1)), Err(ProtocolError::NegativeAmount));
        assert_eq!(Request::sale(id("1"), Money(MAX_AMOUNT.0 + 1)), Err(ProtocolError::AmountTooLarge));
        assert_eq!(Request::refund(id("1"), reference("123456789012"), Money(0)), Err(ProtocolError::ZeroAmount));
        // Built by hand, it still does not go out.
        let bad = Request::Sale { id: id("1"), amount: Money(0) };
        assert_eq!(bad.frame(), Err(ProtocolError::ZeroAmount));
        let mut s = TillSession::new(TerminalOptions::default());
        assert_eq!(s.start(bad, Instant::now()), Err(StartError::Invalid(ProtocolError::ZeroAmount)));
        assert!(s.is_idle());
        // Read from the wire, refused.
        assert_eq!(Request::parse(b"SA\x1c1\x1c000000000000"), Err(ProtocolError::ZeroAmount));
        let a = Answer { id: id("1"), outcome: Outcome::Approved(approval(1)) };
        let p =
            String::from_utf8(a.payload().expect("payload")).expect("ascii").replace("000000000001", "000000000000");
        assert_eq!(Answer::parse(p.as_bytes()), Err(ProtocolError::ZeroAmount));
    }

    #[test]
    fn ids_and_references() {
        assert!(RequestId::parse("").is_err());
        assert!(RequestId::parse(&"9".repeat(33)).is_err());
        assert!(RequestId::parse("a b").is_err());
        assert!(RequestId::parse("a\x1cb").is_err());
        assert!(RequestId::parse(&"9".repeat(32)).is_ok());
        assert!(ReferenceNo::parse("12345678901").is_err());
        assert!(ReferenceNo::parse("12345678901-").is_err());
    }

    #[test]
    fn answers_read_back() {
        let answers = [
            Answer { id: id("000042"), outcome: Outcome::Approved(approval(1250)) },
            Answer {
                id: id("000042"),
                outcome: Outcome::Declined(Decline {
                    kind: TransactionKind::Sale,
                    code: "51".into(),
                    message: "余额不足".into(),
                }),
            },
            Answer { id: id("000042"), outcome: Outcome::Busy },
            Answer { id: id("000042"), outcome: Outcome::NotFound },
        ];
        for a in answers {
            assert_eq!(Answer::parse(&a.payload().expect("payload")), Ok(a));
        }
        let a = Answer { id: id("000042"), outcome: Outcome::Approved(approval(1250)) };
        assert_eq!(
            a.payload().expect("payload"),
            b"AP\x1c000042\x1cSA\x1c000000001250\x1c622202*********0128\x1cA1B2C3\x1c880000000001\x1c000123"
        );
        // The decline message is GBK on the wire.
        let d = Answer {
            id: id("7"),
            outcome: Outcome::Declined(Decline {
                kind: TransactionKind::Sale,
                code: "51".into(),
                message: "余额不足".into(),
            }),
        };
        assert_eq!(d.payload().expect("payload"), b"DC\x1c7\x1cSA\x1c51\x1c\xd3\xe0\xb6\xee\xb2\xbb\xd7\xe3");
        // An empty auth code (debit cards) reads.
        let p = b"AP\x1c1\x1cSA\x1c000000000100\x1c622202******0123\x1c\x1c123456789012\x1c000001";
        assert!(
            matches!(Answer::parse(p), Ok(Answer { outcome: Outcome::Approved(ref a), .. }) if a.auth_code.is_empty())
        );
    }

    #[test]
    fn bad_answers_are_clear_errors() {
        let check = |p: &[u8], e: ProtocolError| assert_eq!(Answer::parse(p), Err(e), "{}", String::from_utf8_lossy(p));
        check(b"", ProtocolError::UnknownMessage);
        check(b"ZZ\x1c1", ProtocolError::UnknownMessage);
        check(b"BY", ProtocolError::FieldCount { message: "busy", expected: 2, got: 1 });
        check(b"BY\x1c", ProtocolError::BadRequestId);
        check(
            b"AP\x1c1\x1cSA\x1c12.50\x1c622202******0123\x1c\x1c123456789012\x1c000001",
            ProtocolError::BadField("amount"),
        );
        check(
            b"AP\x1c1\x1cXX\x1c000000000100\x1c622202******0123\x1c\x1c123456789012\x1c000001",
            ProtocolError::BadField("transaction kind"),
        );
        check(b"AP\x1c1\x1cSA\x1c000000000100\x1c6222\x1c\x1c123456789012\x1c000001", ProtocolError::BadField("card"));
        check(
            b"AP\x1c1\x1cSA\x1c000000000100\x1c622202***456*0123\x1c\x1c123456789012\x1c000001",
            ProtocolError::BadField("card"),
        );
        check(
            b"AP\x1c1\x1cSA\x1c000000000100\x1c622202******0123\x1cTOOLONG\x1c123456789012\x1c000001",
            ProtocolError::BadField("auth code"),
        );
        check(b"AP\x1c1\x1cSA\x1c000000000100\x1c622202******0123\x1c\x1c1234\x1c000001", ProtocolError::BadReference);
        check(
            b"AP\x1c1\x1cSA\x1c000000000100\x1c622202******0123\x1c\x1c123456789012\x1c1",
            ProtocolError::BadField("trace"),
        );
        check(b"DC\x1c1\x1cSA\x1c5\x1cno", ProtocolError::BadField("response code"));
    }

    /// A terminal set up to send the whole card number: masked as it is read, and nothing of it
    /// is kept, shown or returned.
    #[test]
    fn a_full_card_number_is_masked_at_once_and_never_kept() {
        let pan = "6222021234567890128";
        let a = approval(1250);
        let payload = approval_payload(&id("000042"), &a, pan).expect("payload");
        let bytes = frame(&payload).expect("frames");
        let mut s = TillSession::new(TerminalOptions::default());
        let t = Instant::now();
        s.start(Request::sale(id("000042"), Money(1250)).expect("sale"), t).expect("sent");
        // Half the frame: the reader holds it, its Debug does not show it.
        let steps = s.feed(&bytes[..30], t);
        assert!(steps.is_empty(), "{steps:?}");
        assert!(!format!("{s:?}").contains("62220212"), "{s:?}");
        let steps = s.feed(&bytes[30..], t);
        assert!(s.holds_nothing(), "the reader's buffer is zeroed");
        let shown = format!("{steps:?}");
        assert!(!shown.contains(pan) && !shown.contains("0212345678"), "{shown}");
        let Some(Step::Answered(answer)) = steps.into_iter().find(|s| matches!(s, Step::Answered(_))) else {
            panic!("no answer")
        };
        let Outcome::Approved(approved) = &answer.outcome else { panic!("{answer:?}") };
        assert_eq!(approved.card.as_str(), "622202*********0128");
        assert_eq!((approved.card.first6(), approved.card.last4()), ("622202", "0128"));
        let json = serde_json::to_string(&answer).expect("serialises");
        assert!(!json.contains(pan), "{json}");
        // A full number never comes back in through serde either.
        assert!(serde_json::from_str::<MaskedPan>(&format!("\"{pan}\"")).is_err());
        assert!(serde_json::from_str::<MaskedPan>("\"622202*********0128\"").is_ok());
        // A frame whose payload is dropped is zeroed.
        let mut r = FrameReader::new(Duration::from_millis(500));
        let got = r.feed(&bytes, t);
        assert!(r.holds_nothing());
        drop(got);
        // A decline message with a card number in it is masked too.
        let d = b"DC\x1c1\x1cSA\x1c05\x1ccard 6222021234567890128 refused";
        let Ok(Answer { outcome: Outcome::Declined(d), .. }) = Answer::parse(d) else { panic!("a decline") };
        assert!(!d.message.contains(pan), "{}", d.message);
    }

    fn read(bytes: &[u8]) -> Vec<String> {
        let mut r = FrameReader::new(Duration::from_millis(500));
        let t = Instant::now();
        let whole: Vec<String> = r.feed(bytes, t).iter().map(|x| format!("{x:?}")).collect();
        let mut r = FrameReader::new(Duration::from_millis(500));
        let split: Vec<String> = bytes.iter().flat_map(|b| r.feed(&[*b], t)).map(|x| format!("{x:?}")).collect();
        assert_eq!(whole, split, "byte by byte");
        assert!(r.holds_nothing() || r.pending() > 0);
        whole
    }

    #[test]
    fn the_reader_finds_frames_acks_and_naks() {
        let f = frame(b"BY\x1c1").expect("frames");
        let mut bytes = vec![ACK, b'x', NAK];
        bytes.extend(&f);
        bytes.extend(&f);
        assert_eq!(read(&bytes), ["Ack", "Nak", "Frame(Frame { len: 4, .. })", "Frame(Frame { len: 4, .. })"]);
        // An empty payload is a frame (it answers nothing).
        assert_eq!(read(&frame(b"").expect("frames")), ["Frame(Frame { len: 0, .. })"]);
    }

    #[test]
    fn garbled_frames_are_refused_and_the_next_one_reads() {
        let good = frame(b"BY\x1c1").expect("frames");
        let mut bad_lrc = good.clone();
        *bad_lrc.last_mut().expect("lrc") ^= 0xFF;
        let mut bytes = bad_lrc.clone();
        bytes.extend(&good);
        assert_eq!(
            read(&bytes),
            [
                format!("Bad(BadLrc {{ expected: {}, got: {} }})", good[good.len() - 1], bad_lrc[bad_lrc.len() - 1]),
                "Frame(Frame { len: 4, .. })".into()
            ]
        );
        // Not BCD, too long, no ETX where the length says (the next frame right behind it).
        assert_eq!(read(&[STX, 0x0A, 0x00]), ["Bad(BadLength)"]);
        assert_eq!(read(&[STX, 0x05, 0x13]), ["Bad(TooLong { len: 513 })"]);
        let mut long = vec![STX, 0x00, 0x03, b'B', b'Y', FS, b'1'];
        long.extend(&good);
        assert_eq!(read(&long), ["Bad(NoEtx)", "Frame(Frame { len: 4, .. })"]);
        let mut short = vec![STX, 0x00, 0x03, b'B', b'Y', FS];
        short.extend(&good);
        assert_eq!(read(&short), ["Bad(NoEtx)", "Frame(Frame { len: 4, .. })"]);
    }

    #[test]
    fn a_half_frame_is_dropped_after_the_idle_timeout() {
        let good = frame(b"BY\x1c1").expect("frames");
        let t = Instant::now();
        let ms = |n| t + Duration::from_millis(n);
        let mut r = FrameReader::new(Duration::from_millis(500));
        assert!(r.feed(&good[..4], ms(0)).is_empty());
        assert_eq!(r.expire(ms(500)), None, "not yet");
        assert_eq!(r.expire(ms(501)), Some(FrameError::Incomplete));
        assert!(r.holds_nothing());
        // Late bytes of a frame never glue onto the next one.
        assert!(r.feed(&good[..4], ms(1000)).is_empty());
        let got = r.feed(&good, ms(2000));
        assert_eq!(format!("{got:?}"), "[Bad(Incomplete), Frame(Frame { len: 4, .. })]");
    }

    fn approved(rid: &str, amount: i64) -> Vec<u8> {
        Answer { id: id(rid), outcome: Outcome::Approved(approval(amount)) }.frame().expect("frames")
    }

    fn names(steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .map(|s| match s {
                Step::Send(b) if b == &[ACK] => "send ACK".to_owned(),
                Step::Send(b) if b == &[NAK] => "send NAK".to_owned(),
                Step::Send(_) => "send frame".to_owned(),
                Step::Accepted(id) => format!("accepted {id}"),
                Step::Answered(a) => format!(
                    "answered {} {}",
                    a.id,
                    match &a.outcome {
                        Outcome::Approved(a) => format!("approved {}", a.amount.plain()),
                        Outcome::Declined(d) => format!("declined {}", d.code),
                        Outcome::Busy => "busy".into(),
                        Outcome::NotFound => "not found".into(),
                    }
                ),
                Step::Failed { id, failure } => format!("failed {id}: {failure:?}"),
                Step::Ignored(e) => format!("ignored: {e}"),
            })
            .collect()
    }

    #[test]
    fn a_sale_acknowledged_and_approved() {
        let t = Instant::now();
        let mut s = TillSession::new(TerminalOptions::default());
        let sale = Request::sale(id("000042"), Money(1250)).expect("sale");
        let steps = s.start(sale.clone(), t).expect("sent");
        assert_eq!(steps, vec![Step::Send(sale.frame().expect("frame"))]);
        assert!(matches!(s.start(sale, t), Err(StartError::Busy(_))), "one request at a time");
        assert_eq!(names(&s.feed(&[ACK], t)), ["accepted 000042"]);
        // The customer takes a minute: no resend, no timeout.
        assert!(s.poll(t + Duration::from_secs(60)).is_empty());
        assert_eq!(names(&s.feed(&approved("000042", 1250), t)), ["send ACK", "answered 000042 approved 12.50"]);
        assert!(s.is_idle());
        // The terminal did not hear our ACK and sends the answer again: acknowledged, dropped.
        assert_eq!(names(&s.feed(&approved("000042", 1250), t)), ["send ACK"]);
    }

    #[test]
    fn a_request_is_sent_again_on_nak_and_on_silence_then_given_up() {
        let t = Instant::now();
        let ms = |n| t + Duration::from_millis(n);
        let mut s = TillSession::new(TerminalOptions::default());
        let sale = Request::sale(id("1"), Money(100)).expect("sale");
        let bytes = sale.frame().expect("frame");
        s.start(sale, t).expect("sent");
        assert_eq!(s.feed(&[NAK], ms(10)), vec![Step::Send(bytes.clone())], "sent again at once on NAK");
        assert!(s.poll(ms(1009)).is_empty(), "not yet");
        assert_eq!(s.poll(ms(1010)), vec![Step::Send(bytes)], "sent again after a second of silence");
        assert_eq!(names(&s.poll(ms(2010))), ["failed 1: NotAcknowledged"], "three sends in all");
        assert!(s.is_idle());
        assert!(s.feed(&[ACK], ms(2020)).is_empty(), "a late ACK changes nothing");
    }

    #[test]
    fn an_answer_before_the_ack_still_answers() {
        let t = Instant::now();
        let mut s = TillSession::new(TerminalOptions::default());
        s.start(Request::sale(id("1"), Money(100)).expect("sale"), t).expect("sent");
        assert_eq!(names(&s.feed(&approved("1", 100), t)), ["send ACK", "answered 1 approved 1.00"]);
        assert!(s.poll(t + Duration::from_secs(5)).is_empty(), "no resend of an answered request");
    }

    #[test]
    fn no_answer_in_time_fails_the_request() {
        let t = Instant::now();
        let mut s = TillSession::new(TerminalOptions::default());
        s.start(Request::sale(id("1"), Money(100)).expect("sale"), t).expect("sent");
        s.feed(&[ACK], t);
        assert!(s.poll(t + Duration::from_millis(119_999)).is_empty());
        assert_eq!(names(&s.poll(t + Duration::from_secs(120))), ["failed 1: NoAnswer"]);
        // A query has less time.
        s.start(Request::Query { id: id("1") }, t).expect("sent");
        s.feed(&[ACK], t);
        assert_eq!(names(&s.poll(t + Duration::from_secs(10))), ["failed 1: NoAnswer"]);
        // The late answer to the sale: acknowledged, reported as unexpected, nothing else.
        assert_eq!(
            names(&s.feed(&approved("1", 100), t)),
            ["send ACK", "ignored: an answer for request 1, which nothing waits for"]
        );
    }

    #[test]
    fn bad_input_is_a_clear_error_and_changes_nothing() {
        let t = Instant::now();
        let mut s = TillSession::new(TerminalOptions::default());
        s.start(Request::sale(id("000042"), Money(1250)).expect("sale"), t).expect("sent");
        s.feed(&[ACK], t);
        // A bad LRC: NAK, so the terminal sends it again.
        let mut bad = approved("000042", 1250);
        *bad.last_mut().expect("lrc") ^= 1;
        let steps = names(&s.feed(&bad, t));
        assert_eq!(steps[0], "send NAK");
        assert!(steps[1].starts_with("ignored: a frame's LRC"), "{steps:?}");
        // A good frame that is no answer: ACK (it arrived) and ignored.
        assert_eq!(names(&s.feed(&frame(b"HELLO").expect("frame"), t)), ["send ACK", "ignored: an unknown message"]);
        // An answer for another request.
        assert_eq!(
            names(&s.feed(&approved("000041", 1250), t)),
            ["send ACK", "ignored: an answer for request 000041 while waiting for 000042"]
        );
        // Noise between frames is dropped.
        assert!(s.feed(b"\xff\x00junk", t).is_empty());
        assert_eq!(s.in_hand().map(|r| r.id().as_str()), Some("000042"), "still waiting");
        assert_eq!(names(&s.feed(&approved("000042", 1250), t)), ["send ACK", "answered 000042 approved 12.50"]);
    }

    #[test]
    fn an_answer_that_does_not_fit_the_request_fails_it() {
        let t = Instant::now();
        let mut s = TillSession::new(TerminalOptions::default());
        s.start(Request::sale(id("1"), Money(100)).expect("sale"), t).expect("sent");
        assert_eq!(
            names(&s.feed(&approved("1", 200), t)),
            ["send ACK", "failed 1: Inconsistent(AmountMismatch { asked: Money(100), approved: Money(200) })"]
        );
        s.start(Request::Void { id: id("2"), original: id("1") }, t).expect("sent");
        assert_eq!(
            names(&s.feed(&approved("2", 200), t)),
            ["send ACK", "failed 2: Inconsistent(KindMismatch { asked: Void, answered: Sale })"]
        );
        // A query takes whatever the queried request was.
        s.start(Request::Query { id: id("1") }, t).expect("sent");
        assert_eq!(names(&s.feed(&approved("1", 200), t)), ["send ACK", "answered 1 approved 2.00"]);
    }

    #[test]
    fn the_outbox_resends_until_it_gives_up() {
        let t = Instant::now();
        let o = TerminalOptions { attempts: 2, ..TerminalOptions::default() };
        let mut b = Outbox::default();
        assert_eq!(b.send(vec![1, 2], t), vec![1, 2]);
        assert_eq!(b.nak(t, &o), OutboxStep::Resend(vec![1, 2]));
        assert_eq!(b.nak(t, &o), OutboxStep::GaveUp);
        assert!(b.is_empty());
        b.send(vec![3], t);
        assert!(b.ack());
        assert!(!b.ack());
        assert_eq!(b.poll(t + Duration::from_secs(9), &o), OutboxStep::Wait);
    }

    #[test]
    fn options_load_from_json_with_defaults() {
        let o: TerminalOptions = serde_json::from_str(r#"{"answer_timeout_ms":60000}"#).expect("options");
        assert_eq!(o, TerminalOptions { answer_timeout_ms: 60_000, ..TerminalOptions::default() });
    }
}
