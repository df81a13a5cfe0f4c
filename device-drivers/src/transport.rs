//! Transports: how bytes reach a device. The protocol modules never see them; the device threads
//! read and write through [`Transport`] only.
//!
//! Three kinds: a serial port ([`SerialTransport`], every device), a TCP socket ([`TcpTransport`],
//! network printers on port 9100) and a file ([`FileTransport`], a printer device node such as
//! `/dev/usb/lp0`, or a plain file during development).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serialport::SerialPort;

use crate::config::{DataBits, FlowControl, Parity, SerialSettings, StopBits};

/// Why a device cannot be reached. `Clone` and small, so it travels in events.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("cannot open {port}: {message}")]
    Open { port: String, message: String },
    #[error("{port} was closed or unplugged")]
    Closed { port: String },
    #[error("{port}: {message}")]
    Io { port: String, message: String },
    #[error("{port} does not answer")]
    NotAnswering { port: String },
}

/// A byte stream to a device.
pub trait Transport: Send {
    /// Reads whatever has arrived, waiting at most `timeout`. `Ok(0)` means nothing arrived in time.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError>;
    /// Writes every byte (a slow port takes about a second per 960 bytes at 9600 baud).
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError>;
    /// Whether the device can answer at all (a file cannot, so status queries are skipped).
    fn can_answer(&self) -> bool {
        true
    }
    /// The port path or address, for messages.
    fn name(&self) -> &str;
}

/// A serial port (a USB adapter, a native port, or a simulator's pseudo-terminal).
pub struct SerialTransport {
    port: Box<dyn SerialPort>,
    name: String,
    timeout: Duration,
    /// Send only while DSR is up.
    dsr_paced: bool,
}

/// Bytes sent between two looks at DSR: a printer drops DSR with room for far more than this
/// left in its buffer.
const DSR_CHUNK: usize = 64;

/// Writes `bytes` in chunks, each only once `ready` says the device can take it; `wait` pauses
/// between looks and says `false` when the device has been busy too long.
fn write_paced(
    out: &mut dyn Write,
    bytes: &[u8],
    mut ready: impl FnMut() -> io::Result<bool>,
    mut wait: impl FnMut() -> bool,
) -> io::Result<()> {
    for chunk in bytes.chunks(DSR_CHUNK) {
        while !ready()? {
            if !wait() {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "the device held DSR down"));
            }
        }
        out.write_all(chunk)?;
    }
    Ok(())
}

/// How long a write may wait for the port to take more bytes.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

impl SerialTransport {
    pub fn open(settings: &SerialSettings) -> Result<SerialTransport, TransportError> {
        let name = settings.path.clone();
        let open_err = |message: String| TransportError::Open { port: name.clone(), message };
        if settings.path.trim().is_empty() {
            return Err(open_err("no port configured".into()));
        }
        let data_bits = match settings.framing.data_bits {
            DataBits::SEVEN => serialport::DataBits::Seven,
            _ => serialport::DataBits::Eight,
        };
        let parity = match settings.framing.parity {
            Parity::None => serialport::Parity::None,
            Parity::Odd => serialport::Parity::Odd,
            Parity::Even => serialport::Parity::Even,
        };
        let stop_bits = if settings.framing.stop_bits == StopBits::TWO {
            serialport::StopBits::Two
        } else {
            serialport::StopBits::One
        };
        let flow_control = match settings.flow_control {
            FlowControl::XonXoff => serialport::FlowControl::Software,
            FlowControl::RtsCts => serialport::FlowControl::Hardware,
            FlowControl::None | FlowControl::DtrDsr => serialport::FlowControl::None,
        };
        let timeout = Duration::from_millis(100);
        let mut port = serialport::new(&settings.path, settings.baud.get())
            .data_bits(data_bits)
            .parity(parity)
            .stop_bits(stop_bits)
            .flow_control(flow_control)
            .timeout(timeout)
            .open()
            .map_err(|e| open_err(e.to_string()))?;
        let dsr_paced = settings.flow_control == FlowControl::DtrDsr;
        if dsr_paced {
            // The device sees the till ready on DTR; a port without modem lines cannot do this.
            port.write_data_terminal_ready(true)
                .and_then(|()| port.read_data_set_ready())
                .map_err(|e| open_err(format!("DTR/DSR flow control: {e}")))?;
        }
        Ok(SerialTransport { port, name, timeout, dsr_paced })
    }

    fn set_timeout(&mut self, timeout: Duration) -> Result<(), TransportError> {
        if self.timeout != timeout {
            self.port.set_timeout(timeout).map_err(|e| io_error(&self.name, &e.into()))?;
            self.timeout = timeout;
        }
        Ok(())
    }
}

fn io_error(port: &str, e: &io::Error) -> TransportError {
    match e.kind() {
        io::ErrorKind::BrokenPipe
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::NotConnected
        | io::ErrorKind::UnexpectedEof
        | io::ErrorKind::NotFound => TransportError::Closed { port: port.to_owned() },
        // A USB adapter pulled out reads EIO / ENXIO / ENODEV.
        _ if matches!(e.raw_os_error(), Some(5 | 6 | 19)) => TransportError::Closed { port: port.to_owned() },
        _ => TransportError::Io { port: port.to_owned(), message: e.to_string() },
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted)
}

impl Transport for SerialTransport {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        self.set_timeout(timeout.max(Duration::from_millis(1)))?;
        match self.port.read(buf) {
            // The port said it was readable and had nothing: the other end is gone.
            Ok(0) if !buf.is_empty() => Err(TransportError::Closed { port: self.name.clone() }),
            Ok(n) => Ok(n),
            Err(e) if is_timeout(&e) => Ok(0),
            Err(e) => Err(io_error(&self.name, &e)),
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.set_timeout(WRITE_TIMEOUT)?;
        let written = if self.dsr_paced {
            let deadline = std::time::Instant::now() + WRITE_TIMEOUT;
            let port = &mut self.port;
            let mut probe = port.try_clone().map_err(|e| io_error(&self.name, &e.into()))?;
            write_paced(
                port,
                bytes,
                || probe.read_data_set_ready().map_err(io::Error::from),
                || {
                    std::thread::sleep(Duration::from_millis(5));
                    std::time::Instant::now() < deadline
                },
            )
        } else {
            self.port.write_all(bytes)
        };
        written.map_err(|e| {
            if e.kind() == io::ErrorKind::TimedOut {
                TransportError::NotAnswering { port: self.name.clone() }
            } else {
                io_error(&self.name, &e)
            }
        })
    }

    fn name(&self) -> &str {
        &self.name
    }
}

/// The raw TCP port of network receipt printers.
pub const PRINTER_TCP_PORT: u16 = 9100;

/// A network printer's socket.
pub struct TcpTransport {
    stream: TcpStream,
    name: String,
}

impl TcpTransport {
    /// Connects to `host:port`; a bare host gets port 9100.
    pub fn connect(address: &str, timeout: Duration) -> Result<TcpTransport, TransportError> {
        let name = with_default_port(address);
        let open_err = |message: String| TransportError::Open { port: name.clone(), message };
        let addrs: Vec<SocketAddr> = name.to_socket_addrs().map_err(|e| open_err(e.to_string()))?.collect();
        let mut last = "no address".to_owned();
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(stream) => {
                    stream.set_write_timeout(Some(WRITE_TIMEOUT)).map_err(|e| open_err(e.to_string()))?;
                    stream.set_nodelay(true).map_err(|e| open_err(e.to_string()))?;
                    return Ok(TcpTransport { stream, name });
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(open_err(last))
    }
}

fn with_default_port(address: &str) -> String {
    let a = address.trim();
    let has_port = match a.rsplit_once(':') {
        Some((host, port)) => !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && !host.ends_with(':'),
        None => false,
    };
    if has_port && (!a.contains('[') || a.contains("]:")) { a.to_owned() } else { format!("{a}:{PRINTER_TCP_PORT}") }
}

impl Transport for TcpTransport {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        self.stream
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))
            .map_err(|e| io_error(&self.name, &e))?;
        match self.stream.read(buf) {
            Ok(0) if !buf.is_empty() => Err(TransportError::Closed { port: self.name.clone() }),
            Ok(n) => Ok(n),
            Err(e) if is_timeout(&e) => Ok(0),
            Err(e) => Err(io_error(&self.name, &e)),
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.stream.write_all(bytes).map_err(|e| {
            if is_timeout(&e) {
                TransportError::NotAnswering { port: self.name.clone() }
            } else {
                io_error(&self.name, &e)
            }
        })
    }

    fn name(&self) -> &str {
        &self.name
    }
}

/// A printer device file (`/dev/usb/lp0`) or a plain file that collects what would be printed.
pub struct FileTransport {
    file: File,
    name: String,
}

impl FileTransport {
    /// Opens for appending, creating a plain file if there is none.
    pub fn open(path: &std::path::Path) -> Result<FileTransport, TransportError> {
        let name = path.display().to_string();
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| TransportError::Open { port: name.clone(), message: e.to_string() })?;
        Ok(FileTransport { file, name })
    }
}

impl Transport for FileTransport {
    fn read(&mut self, _buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        std::thread::sleep(timeout);
        Ok(0)
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.file.write_all(bytes).and_then(|()| self.file.flush()).map_err(|e| io_error(&self.name, &e))
    }

    fn can_answer(&self) -> bool {
        false
    }

    fn name(&self) -> &str {
        &self.name
    }
}

/// Where a printer is: a serial port, a network address, or a file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Endpoint {
    Serial(SerialSettings),
    /// `host` or `host:port` (9100 when left out).
    Tcp {
        address: String,
    },
    File {
        path: PathBuf,
    },
}

impl Default for Endpoint {
    fn default() -> Self {
        Endpoint::Serial(SerialSettings::default())
    }
}

impl Endpoint {
    pub fn open(&self) -> Result<Box<dyn Transport>, TransportError> {
        Ok(match self {
            Endpoint::Serial(s) => Box::new(SerialTransport::open(s)?),
            Endpoint::Tcp { address } => Box::new(TcpTransport::connect(address, Duration::from_secs(3))?),
            Endpoint::File { path } => Box::new(FileTransport::open(path)?),
        })
    }

    /// The port path or address, for messages.
    pub fn name(&self) -> String {
        match self {
            Endpoint::Serial(s) => s.path.clone(),
            Endpoint::Tcp { address } => with_default_port(address),
            Endpoint::File { path } => path.display().to_string(),
        }
    }
}

/// A serial port the operating system knows, for the diagnostics command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortInfo {
    pub path: String,
    pub description: String,
}

/// The serial ports present on this machine (USB adapters with their vendor and product).
pub fn list_serial_ports() -> Result<Vec<PortInfo>, TransportError> {
    let ports = serialport::available_ports()
        .map_err(|e| TransportError::Io { port: "serial ports".into(), message: e.to_string() })?;
    Ok(ports
        .into_iter()
        .map(|p| {
            let description = match p.port_type {
                serialport::SerialPortType::UsbPort(u) => format!(
                    "USB {:04x}:{:04x} {} {}",
                    u.vid,
                    u.pid,
                    u.manufacturer.unwrap_or_default(),
                    u.product.unwrap_or_default()
                )
                .trim_end()
                .to_owned(),
                serialport::SerialPortType::PciPort => "PCI".into(),
                serialport::SerialPortType::BluetoothPort => "Bluetooth".into(),
                serialport::SerialPortType::Unknown => "serial".into(),
            };
            PortInfo { path: p.port_name, description }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn dtr_dsr_sends_only_while_the_device_is_ready() {
        // The device is busy for the first two looks, then ready.
        let mut looks = [false, false, true, true, true].into_iter();
        let mut out = Vec::new();
        let mut waits = 0;
        let bytes = vec![7u8; DSR_CHUNK * 2 + 1];
        write_paced(
            &mut out,
            &bytes,
            || Ok(looks.next().unwrap_or(true)),
            || {
                waits += 1;
                true
            },
        )
        .expect("written");
        assert_eq!(out, bytes);
        assert_eq!(waits, 2);
        // A device that never comes ready: the write gives up with nothing more sent.
        let mut out = Vec::new();
        let mut patience = 3;
        let e = write_paced(
            &mut out,
            &bytes,
            || Ok(false),
            || {
                patience -= 1;
                patience > 0
            },
        )
        .expect_err("times out");
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(out.is_empty());
    }

    #[test]
    fn bare_hosts_get_port_9100() {
        assert_eq!(with_default_port("192.168.1.50"), "192.168.1.50:9100");
        assert_eq!(with_default_port("printer.local:9101"), "printer.local:9101");
        assert_eq!(with_default_port("[::1]"), "[::1]:9100");
        assert_eq!(with_default_port("[::1]:9100"), "[::1]:9100");
    }

    #[test]
    fn endpoints_load_from_json() {
        let e: Endpoint = serde_json::from_str(r#"{"kind":"tcp","address":"10.0.0.9"}"#).expect("tcp");
        assert_eq!(e.name(), "10.0.0.9:9100");
        let e: Endpoint =
            serde_json::from_str(r#"{"kind":"serial","path":"/dev/ttyUSB0","baud":38400}"#).expect("serial");
        assert!(matches!(e, Endpoint::Serial(ref s) if s.baud.get() == 38400 && s.path == "/dev/ttyUSB0"));
        let e: Endpoint = serde_json::from_str(r#"{"kind":"file","path":"/dev/usb/lp0"}"#).expect("file");
        assert_eq!(e.name(), "/dev/usb/lp0");
    }

    #[test]
    fn tcp_reads_writes_and_sees_the_peer_close() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("address").to_string();
        let peer = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().expect("accept");
            let mut buf = [0u8; 3];
            s.read_exact(&mut buf).expect("read query");
            s.write_all(&[0x12]).expect("answer");
            buf
        });
        let mut t = TcpTransport::connect(&addr, Duration::from_secs(5)).expect("connect");
        t.write_all(&[0x10, 0x04, 0x01]).expect("write");
        let mut buf = [0u8; 8];
        let mut n = 0;
        for _ in 0..100 {
            n = t.read(&mut buf, Duration::from_millis(100)).expect("read");
            if n > 0 {
                break;
            }
        }
        assert_eq!(&buf[..n], &[0x12]);
        assert_eq!(peer.join().expect("peer thread"), [0x10, 0x04, 0x01]);
        let mut closed = None;
        for _ in 0..100 {
            match t.read(&mut buf, Duration::from_millis(100)) {
                Ok(0) => continue,
                other => {
                    closed = Some(other);
                    break;
                }
            }
        }
        assert!(matches!(closed, Some(Err(TransportError::Closed { .. }))), "{closed:?}");
    }

    #[test]
    fn a_file_collects_the_bytes_and_cannot_answer() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("printer.bin");
        let mut f = FileTransport::open(&path).expect("open");
        f.write_all(b"\x1b@hello\n").expect("write");
        assert!(!f.can_answer());
        assert_eq!(std::fs::read(&path).expect("read back"), b"\x1b@hello\n");
    }
}
