//! The till's side of the link: acknowledgements, resends and the wait for an answer, with time as an input.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::*;

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
