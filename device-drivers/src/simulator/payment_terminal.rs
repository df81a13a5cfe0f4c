use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use shared::Money;

use crate::config::SerialSettings;
use crate::payment_terminal::PaymentTerminalConfig;
use crate::payment_terminal::protocol::{
    ACK, Answer, Approval, Decline, FS, FrameReader, MaskedPan, NAK, Outbox, OutboxStep, Outcome, ProtocolError,
    Received, ReferenceNo, Request, RequestId, TerminalOptions, TransactionKind, approval_payload, frame,
};

use super::{Sim, SimDevice, SimulatorError, lock, wait_until};

/// The card the simulated customer presents: a Luhn-valid 19-digit UnionPay-style number.
pub const TEST_CARD: &str = "6222021234567890128";

/// What the simulated terminal does with the next sale, void or refund (queries always answer
/// from its records).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Script {
    /// Approve (a void or refund still needs an original that allows it).
    Approve,
    /// Decline with a response code (`51` insufficient funds, `55` wrong PIN…) and a message.
    Decline { code: String, message: String },
    /// Answer busy; nothing is done, so the same request may be sent again.
    Busy,
    /// Carry it out (approve when `approved`; otherwise drop it, so a query finds nothing) and
    /// never answer: the till times out and must query.
    NoAnswer { approved: bool },
}

impl Script {
    pub fn decline(code: &str, message: &str) -> Script {
        Script::Decline { code: code.to_owned(), message: message.to_owned() }
    }
}

/// A fault on the line, each for the next occasion it fits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkFault {
    /// The next answer first goes out with a wrong LRC (the till refuses it and it is sent again).
    BadLrc,
    /// The next answer first goes out cut short after half its bytes.
    Garbled,
    /// An answer for another request id goes out before the next answer.
    OtherRequestFirst,
    /// The terminal does not hear the till's next frame: no ACK, so the till sends it again.
    Deaf,
    /// The terminal does not hear the till's ACK of the next answer and sends it again.
    LostAck,
}

/// A transaction as the simulated terminal recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimTransaction {
    pub id: RequestId,
    pub kind: TransactionKind,
    pub amount: Money,
    /// Approved or declined.
    pub outcome: Outcome,
    /// A sale taken back by a void.
    pub voided: bool,
    /// What refunds have paid back of a sale.
    pub refunded: Money,
}

impl SimTransaction {
    fn approval(&self) -> Option<&Approval> {
        match &self.outcome {
            Outcome::Approved(a) => Some(a),
            _ => None,
        }
    }
}

/// A request the terminal is working on (the customer at the keypad).
struct InProgress {
    id: RequestId,
    due: Instant,
    record: Option<SimTransaction>,
    answer: Option<Answer>,
}

#[derive(Default)]
struct Faults {
    bad_lrc: u32,
    garbled: u32,
    other_first: u32,
    deaf: u32,
    lost_ack: u32,
}

fn take(n: &mut u32) -> bool {
    if *n > 0 {
        *n -= 1;
        true
    } else {
        false
    }
}

struct Terminal {
    reader: FrameReader,
    options: TerminalOptions,
    outbox: Outbox,
    queue: VecDeque<Vec<u8>>,
    scripts: VecDeque<Script>,
    faults: Faults,
    delay: Duration,
    in_progress: Vec<InProgress>,
    transactions: Vec<SimTransaction>,
    requests: Vec<Request>,
    card: String,
    full_pan: bool,
    counter: u32,
    naks: usize,
    refused: Vec<ProtocolError>,
}

impl Terminal {
    fn new() -> Terminal {
        let options = TerminalOptions::default();
        Terminal {
            reader: FrameReader::new(Duration::from_millis(options.idle_timeout_ms)),
            options,
            outbox: Outbox::default(),
            queue: VecDeque::new(),
            scripts: VecDeque::new(),
            faults: Faults::default(),
            delay: Duration::ZERO,
            in_progress: Vec::new(),
            transactions: Vec::new(),
            requests: Vec::new(),
            card: TEST_CARD.to_owned(),
            full_pan: false,
            counter: 0,
            naks: 0,
            refused: Vec::new(),
        }
    }

    fn on_bytes(&mut self, bytes: &[u8], now: Instant) -> Vec<u8> {
        let mut out = Vec::new();
        for r in self.reader.feed(bytes, now) {
            match r {
                Received::Ack => {
                    if !take(&mut self.faults.lost_ack) {
                        self.outbox.ack();
                    }
                }
                Received::Nak => {
                    self.naks += 1;
                    if let OutboxStep::Resend(b) = self.outbox.nak(now, &self.options) {
                        out.extend(b);
                    }
                }
                Received::Bad(_) => out.push(NAK),
                Received::Frame(f) => {
                    if take(&mut self.faults.deaf) {
                        continue;
                    }
                    out.push(ACK);
                    match Request::parse(f.payload()) {
                        Ok(request) => self.handle(request, now),
                        Err(e) => self.refuse(f.payload(), e),
                    }
                }
            }
        }
        out.extend(self.pump(now));
        out
    }

    fn tick(&mut self, now: Instant) -> Vec<u8> {
        let mut out = Vec::new();
        if self.reader.expire(now).is_some() {
            out.push(NAK);
        }
        let due: Vec<InProgress> = {
            let (due, waiting): (Vec<InProgress>, Vec<InProgress>) =
                std::mem::take(&mut self.in_progress).into_iter().partition(|p| p.due <= now);
            self.in_progress = waiting;
            due
        };
        for p in due {
            self.finish(p.record, p.answer);
        }
        if let OutboxStep::Resend(b) = self.outbox.poll(now, &self.options) {
            out.extend(b);
        }
        out.extend(self.pump(now));
        out
    }

    /// Sends the next queued answer once the last one is acknowledged.
    fn pump(&mut self, now: Instant) -> Vec<u8> {
        if !self.outbox.is_empty() {
            return Vec::new();
        }
        let Some(f) = self.queue.pop_front() else { return Vec::new() };
        let mut bytes = self.outbox.send(f, now);
        if take(&mut self.faults.bad_lrc) {
            if let Some(l) = bytes.last_mut() {
                *l ^= 0x5A;
            }
        } else if take(&mut self.faults.garbled) {
            bytes.truncate(bytes.len() / 2);
        }
        bytes
    }

    fn send(&mut self, answer: &Answer) {
        if take(&mut self.faults.other_first)
            && let Ok(id) = RequestId::parse(&format!("OTHER-{}", self.counter))
        {
            self.queue_frame(&Answer { id, outcome: Outcome::Busy });
        }
        self.queue_frame(answer);
    }

    fn queue_frame(&mut self, answer: &Answer) {
        let payload = match &answer.outcome {
            Outcome::Approved(a) if self.full_pan => approval_payload(&answer.id, a, &self.card),
            _ => answer.payload(),
        };
        if let Ok(f) = payload.and_then(|p| frame(&p)) {
            self.queue.push_back(f);
        }
    }

    /// A frame whose payload is no request: declined when its id can be read.
    fn refuse(&mut self, payload: &[u8], e: ProtocolError) {
        let mut fields = payload.split(|&b| b == FS);
        let kind = match fields.next() {
            Some(b"VD") => TransactionKind::Void,
            Some(b"RF") => TransactionKind::Refund,
            _ => TransactionKind::Sale,
        };
        let id = fields.next().and_then(|f| std::str::from_utf8(f).ok()).and_then(|s| RequestId::parse(s).ok());
        let code = match e {
            ProtocolError::ZeroAmount | ProtocolError::NegativeAmount | ProtocolError::AmountTooLarge => "13",
            _ => "30",
        };
        self.refused.push(e.clone());
        if let Some(id) = id {
            let outcome = Outcome::Declined(Decline { kind, code: code.into(), message: e.to_string() });
            self.send(&Answer { id, outcome });
        }
    }

    fn record(&self, id: &RequestId) -> Option<&SimTransaction> {
        self.transactions.iter().find(|t| t.id == *id)
    }

    fn handle(&mut self, request: Request, now: Instant) {
        self.requests.push(request.clone());
        let id = request.id().clone();
        // A request it has seen is never carried out twice: it is answered as before.
        if self.in_progress.iter().any(|p| p.id == id) {
            return self.send(&Answer { id, outcome: Outcome::Busy });
        }
        if let Some(t) = self.record(&id) {
            let outcome = t.outcome.clone();
            return self.send(&Answer { id, outcome });
        }
        if let Request::Query { .. } = request {
            return self.send(&Answer { id, outcome: Outcome::NotFound });
        }
        let script = self.scripts.pop_front().unwrap_or(Script::Approve);
        let (record, answer) = match script {
            Script::Busy => return self.send(&Answer { id, outcome: Outcome::Busy }),
            Script::Decline { code, message } => {
                let kind = request.kind().unwrap_or(TransactionKind::Sale);
                let outcome = Outcome::Declined(Decline { kind, code, message });
                let record = self.transaction(&request, outcome.clone());
                (Some(record), Some(Answer { id: id.clone(), outcome }))
            }
            Script::Approve => {
                let outcome = self.carry_out(&request);
                let record = self.transaction(&request, outcome.clone());
                (Some(record), Some(Answer { id: id.clone(), outcome }))
            }
            Script::NoAnswer { approved } => {
                let record = approved.then(|| {
                    let outcome = self.carry_out(&request);
                    self.transaction(&request, outcome)
                });
                (record, None)
            }
        };
        if self.delay.is_zero() {
            self.finish(record, answer);
        } else {
            self.in_progress.push(InProgress { id: request.id().clone(), due: now + self.delay, record, answer });
        }
    }

    fn finish(&mut self, record: Option<SimTransaction>, answer: Option<Answer>) {
        if let Some(t) = record {
            self.commit(&t);
            self.transactions.push(t);
        }
        if let Some(a) = answer {
            self.send(&a);
        }
    }

    /// What a void or refund does to its original.
    fn commit(&mut self, t: &SimTransaction) {
        let Outcome::Approved(a) = &t.outcome else { return };
        let requested = self.requests.iter().rev().find(|r| *r.id() == t.id).cloned();
        match requested {
            Some(Request::Void { original, .. }) => {
                if let Some(o) = self.transactions.iter_mut().find(|o| o.id == original) {
                    o.voided = true;
                }
            }
            Some(Request::Refund { original_reference, .. }) => {
                if let Some(o) = self
                    .transactions
                    .iter_mut()
                    .find(|o| o.approval().is_some_and(|oa| oa.reference == original_reference))
                {
                    o.refunded = Money(o.refunded.0 + a.amount.0);
                }
            }
            _ => {}
        }
    }

    fn transaction(&self, request: &Request, outcome: Outcome) -> SimTransaction {
        let amount = match &outcome {
            Outcome::Approved(a) => a.amount,
            _ => request.amount().unwrap_or_default(),
        };
        SimTransaction {
            id: request.id().clone(),
            kind: request.kind().unwrap_or(TransactionKind::Sale),
            amount,
            outcome,
            voided: false,
            refunded: Money(0),
        }
    }

    fn approve(&mut self, kind: TransactionKind, amount: Money, card: MaskedPan) -> Outcome {
        self.counter += 1;
        let n = self.counter;
        let Ok(reference) = ReferenceNo::parse(&format!("{:012}", 880_000_000_000u64 + u64::from(n))) else {
            return Terminal::decline(kind, "96", "系统故障");
        };
        Outcome::Approved(Approval {
            kind,
            amount,
            card,
            auth_code: format!("{:06}", (n * 7919) % 1_000_000),
            reference,
            trace: format!("{:06}", n % 1_000_000),
        })
    }

    fn decline(kind: TransactionKind, code: &str, message: &str) -> Outcome {
        Outcome::Declined(Decline { kind, code: code.into(), message: message.into() })
    }

    /// The bank's answer to a request it is told to approve.
    fn carry_out(&mut self, request: &Request) -> Outcome {
        let card = || MaskedPan::from_field(self.card.as_bytes());
        match request {
            Request::Sale { amount, .. } => match card() {
                Some(c) => self.approve(TransactionKind::Sale, *amount, c),
                None => Terminal::decline(TransactionKind::Sale, "14", "无效卡号"),
            },
            Request::Void { original, .. } => {
                let kind = TransactionKind::Void;
                let Some(o) = self.record(original) else { return Terminal::decline(kind, "25", "原交易不存在") };
                match (o.kind, o.approval(), o.voided, o.refunded.is_zero()) {
                    (TransactionKind::Sale, Some(a), false, true) => {
                        let (amount, card) = (a.amount, a.card.clone());
                        self.approve(kind, amount, card)
                    }
                    (_, _, true, _) => Terminal::decline(kind, "12", "原交易已撤销"),
                    _ => Terminal::decline(kind, "12", "原交易不能撤销"),
                }
            }
            Request::Refund { original_reference, amount, .. } => {
                let kind = TransactionKind::Refund;
                let original = self.transactions.iter().find(|o| {
                    o.kind == TransactionKind::Sale && o.approval().is_some_and(|a| a.reference == *original_reference)
                });
                let Some(o) = original else { return Terminal::decline(kind, "25", "原交易不存在") };
                let Some(a) = o.approval() else { return Terminal::decline(kind, "25", "原交易不存在") };
                if o.voided {
                    return Terminal::decline(kind, "12", "原交易已撤销");
                }
                if amount.0 > a.amount.0 - o.refunded.0 {
                    return Terminal::decline(kind, "13", "退货金额超限");
                }
                let card = a.card.clone();
                self.approve(kind, *amount, card)
            }
            Request::Query { .. } => Outcome::NotFound,
        }
    }
}

struct Wire(Arc<Mutex<Terminal>>);

impl SimDevice for Wire {
    fn on_bytes(&mut self, bytes: &[u8]) -> Vec<u8> {
        lock(&self.0).on_bytes(bytes, Instant::now())
    }

    fn tick(&mut self) -> Vec<u8> {
        lock(&self.0).tick(Instant::now())
    }
}

/// A bank-card payment terminal in ECR mode on a pseudo-terminal: it keeps its own records
/// (never carries out a request id twice, answers queries from them, voids and refunds against
/// them) and does what it is scripted to with each sale, void or refund: approve (the default),
/// decline, busy, or no answer; and the line can be made to garble, corrupt or lose frames.
///
/// ```no_run
/// # use device_drivers::simulator::{PaymentTerminalSimulator, Script};
/// # use device_drivers::payment_terminal::{PaymentTerminal, RequestId};
/// # use shared::Money;
/// let sim = PaymentTerminalSimulator::start()?;
/// let (terminal, _events) = PaymentTerminal::open(sim.config());
/// sim.script(Script::decline("51", "余额不足"));
/// terminal.sale(RequestId::parse("B001-01-000042-1").expect("an id"), Money(1250)).expect("a positive amount");
/// # Ok::<(), device_drivers::simulator::SimulatorError>(())
/// ```
pub struct PaymentTerminalSimulator {
    sim: Sim,
    terminal: Arc<Mutex<Terminal>>,
}

impl PaymentTerminalSimulator {
    pub fn start() -> Result<PaymentTerminalSimulator, SimulatorError> {
        let terminal = Arc::new(Mutex::new(Terminal::new()));
        let sim = Sim::start("payment-terminal", Wire(terminal.clone()))?;
        Ok(PaymentTerminalSimulator { sim, terminal })
    }

    pub fn port_path(&self) -> PathBuf {
        self.sim.port_path()
    }

    /// A driver configuration for this simulator (the till's demo mode uses it as it is).
    pub fn config(&self) -> PaymentTerminalConfig {
        PaymentTerminalConfig {
            port: SerialSettings::new(self.port_path().display().to_string()),
            ..PaymentTerminalConfig::default()
        }
    }

    /// What to do with the next sale, void or refund; scripts queue up, and once they run out
    /// the terminal approves.
    pub fn script(&self, script: Script) {
        lock(&self.terminal).scripts.push_back(script);
    }

    /// A fault on the line, for the next occasion it fits; faults of a kind add up.
    pub fn fault(&self, fault: LinkFault) {
        let mut t = lock(&self.terminal);
        let f = &mut t.faults;
        match fault {
            LinkFault::BadLrc => f.bad_lrc += 1,
            LinkFault::Garbled => f.garbled += 1,
            LinkFault::OtherRequestFirst => f.other_first += 1,
            LinkFault::Deaf => f.deaf += 1,
            LinkFault::LostAck => f.lost_ack += 1,
        }
    }

    /// How long the customer takes at the keypad before the answer (queries meanwhile: busy).
    pub fn set_answer_delay(&self, delay: Duration) {
        lock(&self.terminal).delay = delay;
    }

    /// The card the next customers present (a full number: this is the terminal's side).
    pub fn set_card(&self, pan: &str) {
        lock(&self.terminal).card = pan.to_owned();
    }

    /// `true`: approvals carry the whole card number, as a badly set-up terminal sends it (the
    /// driver must mask it).
    pub fn send_full_card_number(&self, on: bool) {
        lock(&self.terminal).full_pan = on;
    }

    /// Every request the terminal heard, repeats included.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.terminal).requests.clone()
    }

    /// The transactions it recorded (approved and declined), oldest first.
    pub fn transactions(&self) -> Vec<SimTransaction> {
        lock(&self.terminal).transactions.clone()
    }

    /// What the customers' cards were charged in all: approved sales not voided, less refunds.
    pub fn net_charged(&self) -> Money {
        let t = lock(&self.terminal);
        let mut fen = 0i64;
        for x in &t.transactions {
            if let Some(a) = x.approval() {
                match x.kind {
                    TransactionKind::Sale if !x.voided => fen += a.amount.0,
                    TransactionKind::Refund => fen -= a.amount.0,
                    _ => {}
                }
            }
        }
        Money(fen)
    }

    /// How many frames the till refused (NAK).
    pub fn naks(&self) -> usize {
        lock(&self.terminal).naks
    }

    /// Good frames that were no request it knows (declined with `30`, or `13` for a bad amount).
    pub fn refused(&self) -> Vec<ProtocolError> {
        lock(&self.terminal).refused.clone()
    }

    /// Waits until the terminal has heard at least `n` requests; `None` after `timeout`.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> Option<Vec<Request>> {
        wait_until(timeout, || {
            let r = self.requests();
            (r.len() >= n).then_some(r)
        })
    }

    /// Writes bytes as they are.
    pub fn send_raw(&self, bytes: &[u8]) -> Result<(), SimulatorError> {
        self.sim.write(bytes)
    }

    /// Unplugs the terminal.
    pub fn close(&self) {
        self.sim.close();
    }

    /// Plugs it back in behind the same path (its records are kept, as a terminal's are).
    pub fn reopen(&self) -> Result<(), SimulatorError> {
        self.sim.reopen()
    }
}
