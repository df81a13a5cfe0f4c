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

mod frame;
mod message;
mod session;
#[cfg(test)]
mod tests;

pub use frame::*;
pub use message::*;
pub use session::*;
