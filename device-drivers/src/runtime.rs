//! The imperative shell every device shares: a thread per device that opens its transport,
//! serves it until the link is lost, reports `Connected` / `Disconnected` and reopens it with
//! backoff, and hands events to the caller on a tokio channel.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::config::Reconnect;
use crate::transport::{Transport, TransportError};

/// A device's events. It is a tokio `mpsc` receiver: `recv().await` in a tokio task or inside an
/// iced `stream::channel`, `blocking_recv()` on a plain thread, `try_recv()` to poll.
pub type Events<E> = mpsc::Receiver<E>;

/// How many events may wait for the consumer; past that the device thread waits (the serial
/// port's own buffer holds what arrives meanwhile).
pub const EVENT_CAPACITY: usize = 256;

/// A change of a device's link, turned into each device's own `Connected` / `Disconnected` event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    Up { port: String },
    Down { reason: TransportError },
}

/// The sending half, owned by the device thread.
pub(crate) struct EventSink<E> {
    tx: mpsc::Sender<E>,
}

impl<E> EventSink<E> {
    pub(crate) fn new() -> (EventSink<E>, Events<E>) {
        let (tx, rx) = mpsc::channel(EVENT_CAPACITY);
        (EventSink { tx }, rx)
    }

    /// Sends an event; `false` once nobody listens any more (the device thread then stops).
    pub(crate) fn send(&self, event: E) -> bool {
        self.tx.blocking_send(event).is_ok()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

/// Tells a device thread to stop; set by its handle when dropped.
#[derive(Clone, Default)]
pub(crate) struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    pub(crate) fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub(crate) fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Why serving a connected device ended.
pub(crate) enum Ended {
    Lost(TransportError),
    Stopped,
}

/// One device as its thread sees it.
pub(crate) trait Device: Send + 'static {
    type Event: From<Link> + Send + 'static;
    fn open(&mut self) -> Result<Box<dyn Transport>, TransportError>;
    /// Runs while the link is up.
    fn serve(&mut self, link: &mut dyn Transport, sink: &EventSink<Self::Event>) -> Ended;
    /// Waits `delay` while the link is down (commands arriving meanwhile are answered as failed).
    /// Returns `false` to stop the thread.
    fn wait_offline(&mut self, delay: Duration, sink: &EventSink<Self::Event>) -> bool;
}

/// A session shorter than this counts as a flap: the next retry waits longer instead of starting
/// over from the first delay.
const STEADY: Duration = Duration::from_secs(10);

fn run<D: Device>(mut device: D, reconnect: Reconnect, sink: EventSink<D::Event>) {
    let mut attempt: u32 = 0;
    let mut reported_down = false;
    loop {
        if sink.is_closed() {
            return;
        }
        match device.open() {
            Ok(mut link) => {
                let port = link.name().to_owned();
                if !sink.send(Link::Up { port }.into()) {
                    return;
                }
                let since = Instant::now();
                match device.serve(link.as_mut(), &sink) {
                    Ended::Stopped => return,
                    Ended::Lost(reason) => {
                        drop(link);
                        if since.elapsed() > STEADY {
                            attempt = 0;
                        }
                        if !sink.send(Link::Down { reason }.into()) {
                            return;
                        }
                        reported_down = true;
                    }
                }
            }
            Err(reason) => {
                if !reported_down {
                    if !sink.send(Link::Down { reason }.into()) {
                        return;
                    }
                    reported_down = true;
                }
            }
        }
        if !device.wait_offline(reconnect.delay(attempt), &sink) {
            return;
        }
        attempt = attempt.saturating_add(1);
    }
}

/// Starts `device` on a thread of its own named `name`.
pub(crate) fn spawn<D: Device>(name: &str, device: D, reconnect: Reconnect) -> Events<D::Event> {
    let (sink, events) = EventSink::new();
    let spawned = thread::Builder::new().name(name.to_owned()).spawn(move || run(device, reconnect, sink));
    if let Err(e) = spawned {
        // Without a thread there is no device; say so on the channel the caller listens to.
        let (sink, events) = EventSink::new();
        let reason = TransportError::Io { port: name.to_owned(), message: format!("cannot start thread: {e}") };
        let _ = sink.tx.try_send(Link::Down { reason }.into());
        return events;
    }
    events
}

/// Sleeps `delay` in short slices, returning `false` as soon as `stop` is set.
pub(crate) fn sleep_unless_stopped(delay: Duration, stop: &StopFlag) -> bool {
    let until = Instant::now() + delay;
    loop {
        if stop.is_set() {
            return false;
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        thread::sleep(left.min(Duration::from_millis(25)));
    }
}

/// How long one read waits before the reader threads look at their stop flag again.
pub(crate) const READ_SLICE: Duration = Duration::from_millis(50);

/// A device that only talks: a scanner or a card reader. Its parser turns bytes into events.
pub(crate) trait ByteParser: Send + 'static {
    type Event: From<Link> + Send + 'static;
    fn feed(&mut self, bytes: &[u8], now: Instant) -> Vec<Self::Event>;
    /// Drops an unfinished frame whose bytes stopped coming (the inter-byte idle timeout).
    fn expire(&mut self, now: Instant) -> Vec<Self::Event>;
    /// Forgets an unfinished frame (the device was unplugged mid-frame).
    fn reset(&mut self);
}

pub(crate) struct ReaderDevice<P> {
    pub(crate) settings: crate::config::SerialSettings,
    pub(crate) parser: P,
    pub(crate) stop: StopFlag,
}

impl<P: ByteParser> Device for ReaderDevice<P> {
    type Event = P::Event;

    fn open(&mut self) -> Result<Box<dyn Transport>, TransportError> {
        Ok(Box::new(crate::transport::SerialTransport::open(&self.settings)?))
    }

    fn serve(&mut self, link: &mut dyn Transport, sink: &EventSink<P::Event>) -> Ended {
        use zeroize::Zeroize;
        self.parser.reset();
        let mut buf = [0u8; 256];
        let ended = loop {
            if self.stop.is_set() || sink.is_closed() {
                break Ended::Stopped;
            }
            let read = link.read(&mut buf, READ_SLICE);
            let events = match read {
                Ok(0) => self.parser.expire(Instant::now()),
                Ok(n) => {
                    let events = self.parser.feed(&buf[..n], Instant::now());
                    // What a card reader sends may be a bank card: keep no copy of it.
                    buf[..n].zeroize();
                    events
                }
                Err(e) => break Ended::Lost(e),
            };
            for e in events {
                if !sink.send(e) {
                    return Ended::Stopped;
                }
            }
        };
        self.parser.reset();
        ended
    }

    fn wait_offline(&mut self, delay: Duration, sink: &EventSink<P::Event>) -> bool {
        sleep_unless_stopped(delay, &self.stop) && !sink.is_closed()
    }
}
