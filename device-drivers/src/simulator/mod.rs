//! Simulators: each plays a device's side of a pseudo-terminal pair, so a driver opens it like a
//! real serial port. The till's `--demo` mode and the tests use them.
//!
//! Every simulator gives a stable port path: a symlink in a temporary directory pointing to the
//! current `/dev/pts/N` (as udev's `/dev/serial/by-id/...` links point to a USB adapter). Closing
//! the simulator ([`ScannerSimulator::close`] and the like) hangs the pseudo-terminal up and
//! removes the link, as unplugging a device would; reopening makes a new pseudo-terminal behind
//! the same path, so a driver reports `Disconnected` and then `Connected` again.
//!
//! Each simulator runs one thread that owns the pseudo-terminal; its handle is `Send + Sync` and
//! every query takes a snapshot under a lock. Dropping the handle stops the thread.

mod card_reader;
mod display;
mod payment_terminal;
mod printer;
mod scanner;

pub use card_reader::CardReaderSimulator;
pub use display::DisplaySimulator;
pub use payment_terminal::{LinkFault, PaymentTerminalSimulator, Script, SimTransaction, TEST_CARD};
pub use printer::{DrawerKick, PrintedReceipt, PrinterSimulator};
pub use scanner::ScannerSimulator;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SimulatorError {
    #[error("pseudo-terminal: {0}")]
    Pty(String),
    #[error("the simulated device is unplugged (closed)")]
    Closed,
    #[error("the simulator has stopped")]
    Stopped,
}

/// `TTYPort::pair()` is not safe to call from two threads at once.
static PAIR_LOCK: Mutex<()> = Mutex::new(());

struct Pty {
    master: TTYPort,
    /// Kept open so the master never reads a hang-up while no driver has the port open.
    _slave: TTYPort,
}

fn new_pty(link: &Path) -> Result<Pty, SimulatorError> {
    let (mut master, slave) = {
        let _guard = PAIR_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        TTYPort::pair().map_err(|e| SimulatorError::Pty(e.to_string()))?
    };
    master.set_timeout(Duration::from_millis(20)).map_err(|e| SimulatorError::Pty(e.to_string()))?;
    let target = slave.name().ok_or_else(|| SimulatorError::Pty("the slave has no name".into()))?;
    // Swap the link atomically so a driver never sees a half-made one.
    let tmp = link.with_extension("new");
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(&target, &tmp).map_err(|e| SimulatorError::Pty(e.to_string()))?;
    std::fs::rename(&tmp, link).map_err(|e| SimulatorError::Pty(e.to_string()))?;
    Ok(Pty { master, _slave: slave })
}

/// A simulated device's behaviour: what it does with the bytes a driver sends.
pub(crate) trait SimDevice: Send + 'static {
    /// Takes bytes from the driver; returns bytes to send back (status answers).
    fn on_bytes(&mut self, bytes: &[u8]) -> Vec<u8>;
    /// Called about every 20 ms: bytes the device sends of its own accord (a delayed answer, a
    /// frame sent again for want of an acknowledgement).
    fn tick(&mut self) -> Vec<u8> {
        Vec::new()
    }
}

enum SimCommand {
    Write(Vec<u8>, mpsc::Sender<Result<(), SimulatorError>>),
    Close(mpsc::Sender<()>),
    Reopen(mpsc::Sender<Result<(), SimulatorError>>),
}

/// The thread and pseudo-terminal behind a simulator.
pub(crate) struct Sim {
    commands: Option<mpsc::Sender<SimCommand>>,
    thread: Option<thread::JoinHandle<()>>,
    link: PathBuf,
    _dir: tempfile::TempDir,
}

impl Sim {
    pub(crate) fn start(name: &str, device: impl SimDevice) -> Result<Sim, SimulatorError> {
        let dir = tempfile::Builder::new()
            .prefix("tillpoint-sim-")
            .tempdir()
            .map_err(|e| SimulatorError::Pty(e.to_string()))?;
        let link = dir.path().join(name);
        let pty = new_pty(&link)?;
        let (tx, rx) = mpsc::channel();
        let thread_link = link.clone();
        let thread = thread::Builder::new()
            .name(format!("{name}-simulator"))
            .spawn(move || run(device, pty, &thread_link, &rx))
            .map_err(|e| SimulatorError::Pty(e.to_string()))?;
        Ok(Sim { commands: Some(tx), thread: Some(thread), link, _dir: dir })
    }

    pub(crate) fn port_path(&self) -> PathBuf {
        self.link.clone()
    }

    fn ask<T>(&self, make: impl FnOnce(mpsc::Sender<T>) -> SimCommand) -> Result<T, SimulatorError> {
        let (tx, rx) = mpsc::channel();
        self.commands.as_ref().ok_or(SimulatorError::Stopped)?.send(make(tx)).map_err(|_| SimulatorError::Stopped)?;
        rx.recv().map_err(|_| SimulatorError::Stopped)
    }

    /// Writes bytes as the device, returning once they are in the pseudo-terminal.
    pub(crate) fn write(&self, bytes: &[u8]) -> Result<(), SimulatorError> {
        self.ask(|tx| SimCommand::Write(bytes.to_vec(), tx))?
    }

    pub(crate) fn close(&self) {
        let _ = self.ask(SimCommand::Close);
    }

    pub(crate) fn reopen(&self) -> Result<(), SimulatorError> {
        self.ask(SimCommand::Reopen)?
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.commands = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(mut device: impl SimDevice, pty: Pty, link: &Path, commands: &mpsc::Receiver<SimCommand>) {
    let mut pty = Some(pty);
    let mut buf = [0u8; 4096];
    loop {
        // Commands first, then whatever the driver sent.
        loop {
            let wait = if pty.is_some() { Duration::ZERO } else { Duration::from_millis(20) };
            let cmd = match commands.recv_timeout(wait) {
                Ok(cmd) => cmd,
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let _ = std::fs::remove_file(link);
                    return;
                }
            };
            match cmd {
                SimCommand::Write(bytes, reply) => {
                    let r = match &mut pty {
                        Some(p) => p.master.write_all(&bytes).map_err(|e| SimulatorError::Pty(e.to_string())),
                        None => Err(SimulatorError::Closed),
                    };
                    let _ = reply.send(r);
                }
                SimCommand::Close(reply) => {
                    pty = None;
                    let _ = std::fs::remove_file(link);
                    let _ = reply.send(());
                }
                SimCommand::Reopen(reply) => {
                    pty = None;
                    let r = new_pty(link).map(|p| pty = Some(p));
                    let _ = reply.send(r);
                }
            }
        }
        if let Some(p) = &mut pty {
            match p.master.read(&mut buf) {
                Ok(n) if n > 0 => {
                    let answer = device.on_bytes(&buf[..n]);
                    if !answer.is_empty() {
                        let _ = p.master.write_all(&answer);
                    }
                }
                _ => {}
            }
            let own = device.tick();
            if !own.is_empty() {
                let _ = p.master.write_all(&own);
            }
        }
    }
}

/// Polls `f` until it gives `Some`, or `timeout` passes.
pub(crate) fn wait_until<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
