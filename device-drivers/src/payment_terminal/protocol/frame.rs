//! Frames: `STX LEN PAYLOAD ETX LRC`, their reader, and the protocol's errors.

use std::fmt;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use shared::Money;
use zeroize::{Zeroize, Zeroizing};

use super::*;

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
