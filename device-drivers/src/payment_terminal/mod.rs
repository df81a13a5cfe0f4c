//! Bank-card payment terminals (UnionPay POS terminals in ECR mode) on a serial port.
//!
//! [`PaymentTerminal::open`] starts the terminal's thread and returns at once. A request (sale,
//! query, void, refund) is checked, then queued, never waited on; the terminal works through
//! them one at a time and each one's end comes back as an event: [`TerminalEvent::Answered`] with
//! the terminal's answer, or [`TerminalEvent::Failed`] when none came. A failure whose outcome is
//! unknown ([`TerminalFailure::outcome_unknown`]) may have taken the customer's money: query the
//! request, and void what should not stand. The protocol and the card data rules are in
//! [`protocol`] and `docs/payment-terminal.md`.

pub mod protocol;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use shared::Money;
use zeroize::Zeroize;

pub use protocol::{
    Answer, Approval, Decline, Failure, MaskedPan, Outcome, ProtocolError, ReferenceNo, Request, RequestId,
    TerminalOptions, TransactionKind,
};

use crate::config::{Reconnect, SerialSettings};
use crate::runtime::{self, Device, Ended, EventSink, Events, Link, READ_SLICE};
use crate::transport::{SerialTransport, Transport, TransportError};
use protocol::{Step, TillSession};

/// A payment terminal's configuration, as the till's config file has it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct PaymentTerminalConfig {
    pub port: SerialSettings,
    pub protocol: TerminalOptions,
    pub reconnect: Reconnect,
}

/// Why a request got no answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TerminalFailure {
    /// The terminal was not connected: the request was never sent.
    #[error("payment terminal not connected: {0}")]
    NotConnected(TransportError),
    /// The link was lost with the request in hand.
    #[error("the payment terminal was lost during the request ({0}); query it")]
    Link(TransportError),
    #[error("{0}")]
    Protocol(Failure),
}

impl TerminalFailure {
    /// Whether the terminal may have carried the request out: query it before anything else.
    pub fn outcome_unknown(&self) -> bool {
        !matches!(self, TerminalFailure::NotConnected(_))
    }
}

/// What a payment terminal reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TerminalEvent {
    Connected {
        port: String,
    },
    Disconnected {
        reason: TransportError,
    },
    /// The terminal acknowledged the request and is working on it (the customer presents the card).
    Accepted {
        id: RequestId,
    },
    /// The terminal's answer to a request.
    Answered(Answer),
    /// A request got no answer.
    Failed {
        id: RequestId,
        failure: TerminalFailure,
    },
    /// Something arrived that changes nothing: a garbled frame, an answer for another request.
    Ignored(ProtocolError),
}

impl From<Link> for TerminalEvent {
    fn from(l: Link) -> Self {
        match l {
            Link::Up { port } => TerminalEvent::Connected { port },
            Link::Down { reason } => TerminalEvent::Disconnected { reason },
        }
    }
}

/// A payment terminal running on its own thread. Cheap to clone; the thread stops when the last
/// clone is dropped. No method waits for the terminal.
#[derive(Clone)]
pub struct PaymentTerminal {
    requests: mpsc::Sender<Request>,
}

impl PaymentTerminal {
    /// Starts the terminal's thread and returns at once.
    pub fn open(config: PaymentTerminalConfig) -> (PaymentTerminal, Events<TerminalEvent>) {
        let (requests, rx) = mpsc::channel();
        let device =
            TerminalDevice { port: config.port, session: TillSession::new(config.protocol), requests: rx, down: None };
        let events = runtime::spawn("payment-terminal", device, config.reconnect);
        (PaymentTerminal { requests }, events)
    }

    /// Queues a request; refused at once, with nothing sent, when it cannot be sent (an amount of
    /// zero or below, or over the limit).
    pub fn send(&self, request: Request) -> Result<(), ProtocolError> {
        request.check()?;
        // A stopped thread means a dropped terminal; nothing to do then.
        let _ = self.requests.send(request);
        Ok(())
    }

    /// Takes `amount` from the customer's card.
    pub fn sale(&self, id: RequestId, amount: Money) -> Result<(), ProtocolError> {
        self.send(Request::sale(id, amount)?)
    }

    /// Asks what became of request `id` (its answer was lost, or the till restarted).
    pub fn query(&self, id: RequestId) {
        let _ = self.send(Request::Query { id });
    }

    /// Takes back the approved sale of request `original` (撤销, same day).
    pub fn void(&self, id: RequestId, original: RequestId) {
        let _ = self.send(Request::Void { id, original });
    }

    /// Pays `amount` back to the card of the sale with reference `original_reference` (退货).
    pub fn refund(&self, id: RequestId, original_reference: ReferenceNo, amount: Money) -> Result<(), ProtocolError> {
        self.send(Request::refund(id, original_reference, amount)?)
    }
}

struct TerminalDevice {
    port: SerialSettings,
    session: TillSession,
    requests: mpsc::Receiver<Request>,
    down: Option<TransportError>,
}

impl TerminalDevice {
    /// Writes what the session asks and reports the rest; `Err` when the link is lost.
    fn carry_out(
        &mut self,
        steps: Vec<Step>,
        link: &mut dyn Transport,
        sink: &EventSink<TerminalEvent>,
    ) -> Result<(), TransportError> {
        for step in steps {
            let event = match step {
                Step::Send(bytes) => {
                    link.write_all(&bytes)?;
                    continue;
                }
                Step::Accepted(id) => TerminalEvent::Accepted { id },
                Step::Answered(a) => TerminalEvent::Answered(a),
                Step::Failed { id, failure } => {
                    TerminalEvent::Failed { id, failure: TerminalFailure::Protocol(failure) }
                }
                Step::Ignored(e) => TerminalEvent::Ignored(e),
            };
            sink.send(event);
        }
        Ok(())
    }

    fn lost(&mut self, e: TransportError, sink: &EventSink<TerminalEvent>) -> Ended {
        if let Some(id) = self.session.abandon() {
            sink.send(TerminalEvent::Failed { id, failure: TerminalFailure::Link(e.clone()) });
        }
        self.down = Some(e.clone());
        Ended::Lost(e)
    }
}

impl Device for TerminalDevice {
    type Event = TerminalEvent;

    fn open(&mut self) -> Result<Box<dyn Transport>, TransportError> {
        match SerialTransport::open(&self.port) {
            Ok(t) => Ok(Box::new(t)),
            Err(e) => {
                self.down = Some(e.clone());
                Err(e)
            }
        }
    }

    fn serve(&mut self, link: &mut dyn Transport, sink: &EventSink<TerminalEvent>) -> Ended {
        self.down = None;
        self.session.abandon();
        let mut buf = [0u8; 256];
        loop {
            if sink.is_closed() {
                return Ended::Stopped;
            }
            if self.session.is_idle() {
                match self.requests.recv_timeout(Duration::from_millis(10)) {
                    Ok(request) => {
                        let steps = match self.session.start(request, Instant::now()) {
                            Ok(steps) => steps,
                            // Checked when queued; a request the session refuses never went out.
                            Err(e) => vec![Step::Ignored(match e {
                                protocol::StartError::Invalid(e) => e,
                                protocol::StartError::Busy(id) => ProtocolError::Unexpected(id),
                            })],
                        };
                        if let Err(e) = self.carry_out(steps, link, sink) {
                            return self.lost(e, sink);
                        }
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => return Ended::Stopped,
                }
            }
            let wait = if self.session.is_idle() { Duration::from_millis(1) } else { READ_SLICE };
            let steps = match link.read(&mut buf, wait) {
                Ok(0) => self.session.poll(Instant::now()),
                Ok(n) => {
                    let steps = self.session.feed(&buf[..n], Instant::now());
                    // An answer may hold a card number before it is masked: keep no copy.
                    buf[..n].zeroize();
                    steps
                }
                Err(e) => return self.lost(e, sink),
            };
            if let Err(e) = self.carry_out(steps, link, sink) {
                return self.lost(e, sink);
            }
        }
    }

    fn wait_offline(&mut self, delay: Duration, sink: &EventSink<TerminalEvent>) -> bool {
        let until = Instant::now() + delay;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return !sink.is_closed();
            }
            match self.requests.recv_timeout(left) {
                Ok(request) => {
                    let reason =
                        self.down.clone().unwrap_or_else(|| TransportError::Closed { port: self.port.path.clone() });
                    sink.send(TerminalEvent::Failed {
                        id: request.id().clone(),
                        failure: TerminalFailure::NotConnected(reason),
                    });
                }
                Err(mpsc::RecvTimeoutError::Timeout) => return !sink.is_closed(),
                Err(mpsc::RecvTimeoutError::Disconnected) => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_loads_from_json_with_defaults() {
        let c: PaymentTerminalConfig = serde_json::from_str(
            r#"{"port":{"path":"/dev/ttyUSB4","baud":115200},"protocol":{"answer_timeout_ms":90000}}"#,
        )
        .expect("valid config");
        assert_eq!(c.port.baud.get(), 115_200);
        assert_eq!(c.protocol.answer_timeout_ms, 90_000);
        assert_eq!(c.protocol.ack_timeout_ms, 1_000);
        let d: PaymentTerminalConfig = serde_json::from_str("{}").expect("all defaults");
        assert_eq!(d, PaymentTerminalConfig::default());
    }

    #[test]
    fn a_terminal_refuses_an_amount_of_zero_before_anything_is_sent() {
        let (t, _events) = PaymentTerminal::open(PaymentTerminalConfig::default());
        let id = RequestId::parse("1").expect("an id");
        assert_eq!(t.sale(id.clone(), Money(0)), Err(ProtocolError::ZeroAmount));
        assert_eq!(t.send(Request::Sale { id, amount: Money(-5) }), Err(ProtocolError::NegativeAmount));
    }

    #[test]
    fn the_outcome_is_unknown_unless_nothing_was_sent() {
        let e = TransportError::Closed { port: "x".into() };
        assert!(!TerminalFailure::NotConnected(e.clone()).outcome_unknown());
        assert!(TerminalFailure::Link(e).outcome_unknown());
        assert!(TerminalFailure::Protocol(Failure::NoAnswer).outcome_unknown());
        assert!(TerminalFailure::Protocol(Failure::NotAcknowledged).outcome_unknown());
    }
}
