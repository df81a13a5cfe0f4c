//! `devices`: a branch technician's check of the till's hardware, without the till.
//!
//! ```sh
//! cargo run -p device-drivers --bin devices -- ports
//! cargo run -p device-drivers --bin devices -- watch-scanner /dev/ttyUSB0 --baud 9600
//! cargo run -p device-drivers --bin devices -- watch-cards /dev/ttyUSB1
//! cargo run -p device-drivers --bin devices -- test-receipt --port /dev/ttyUSB2 --paper 58
//! cargo run -p device-drivers --bin devices -- test-receipt --port /dev/ttyS0 --flow dtr-dsr --dots 512
//! cargo run -p device-drivers --bin devices -- test-receipt --port /dev/ttyS0 --no-status --code-page wpc1252
//! cargo run -p device-drivers --bin devices -- drawer --tcp 192.168.1.80
//! cargo run -p device-drivers --bin devices -- status --port /dev/ttyUSB2
//! cargo run -p device-drivers --bin devices -- display /dev/ttyUSB3 "Hello" "TOTAL 12.50"
//! cargo run -p device-drivers --bin devices -- terminal /dev/ttyUSB4 sale 0.01 --id TEST-1
//! cargo run -p device-drivers --bin devices -- terminal /dev/ttyUSB4 query TEST-1
//! cargo run -p device-drivers --bin devices -- simulate printer
//! cargo run -p device-drivers --bin devices -- simulate payment-terminal
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use device_drivers::Events;
use device_drivers::card_reader::{CardEvent, CardReader, CardReaderConfig};
use device_drivers::config::{Baud, FlowControl, SerialSettings};
use device_drivers::display::{CustomerDisplay, DisplayCharset, DisplayConfig, DisplayEvent, DisplayKind};
use device_drivers::payment_terminal::{
    Outcome, PaymentTerminal, PaymentTerminalConfig, ReferenceNo, Request, RequestId, TerminalEvent,
};
use device_drivers::printer::{
    self, CodePage, DrawerPin, DrawerSensor, Font, PrintOptions, Printer, PrinterConfig, PrinterEvent, TextEncoding,
};
use device_drivers::scanner::{AimIds, Scanner, ScannerConfig, ScannerEvent, ScannerOptions, Terminator};
use device_drivers::transport::{Endpoint, list_serial_ports};
use shared::receipt::PaperWidth;

#[derive(Parser)]
#[command(name = "devices", about = "Check a till's scanner, card reader, printer, drawer and customer display")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lists the serial ports of this machine.
    Ports,
    /// Prints what a serial scanner reads, until Ctrl-C.
    WatchScanner {
        #[command(flatten)]
        port: PortArgs,
        #[arg(long, value_enum, default_value = "cr-lf")]
        terminator: TerminatorArg,
        /// Frames start with STX.
        #[arg(long)]
        stx: bool,
        #[arg(long, value_enum, default_value = "auto")]
        aim: AimArg,
    },
    /// Prints what a card reader reads (bank cards only masked), until Ctrl-C.
    WatchCards {
        #[command(flatten)]
        port: PortArgs,
    },
    /// Prints a test page: a column ruler, Chinese and accented text, a barcode and a QR code.
    TestReceipt {
        #[command(flatten)]
        printer: PrinterArgs,
        #[arg(long, default_value = "80", value_parser = ["58", "80"])]
        paper: String,
        /// Printable width in dots (default: 384 at 58 mm, 576 at 80 mm; 512 for TM-T88-class).
        #[arg(long)]
        dots: Option<u16>,
        /// Characters a line (default: as many as fit the width in the font).
        #[arg(long)]
        columns: Option<u16>,
        /// Font B (9 dots a column instead of 12).
        #[arg(long)]
        font_b: bool,
        /// A printer without Chinese: leave Chinese mode and print in this code page.
        #[arg(long, value_enum)]
        code_page: Option<CodePageArg>,
    },
    /// Opens the cash drawer through the printer.
    Drawer {
        #[command(flatten)]
        printer: PrinterArgs,
        #[arg(long, default_value = "2", value_parser = ["2", "5"])]
        pin: String,
    },
    /// Asks the printer's status (DLE EOT): offline, cover open, paper near end, paper end.
    Status {
        #[command(flatten)]
        printer: PrinterArgs,
    },
    /// Shows two lines on a customer display (an LED display shows the first as a price).
    Display {
        #[command(flatten)]
        port: PortArgs,
        upper: String,
        #[arg(default_value = "")]
        lower: String,
        #[arg(long, value_enum, default_value = "vfd")]
        kind: KindArg,
        /// The display has a Chinese (GBK) font.
        #[arg(long)]
        gbk: bool,
    },
    /// Sends one request to a bank-card payment terminal and prints its answer (the card masked).
    Terminal {
        #[command(flatten)]
        port: PortArgs,
        #[command(subcommand)]
        action: TerminalAction,
    },
    /// Runs a simulated device on a pseudo-terminal and shows what it does, until Ctrl-C.
    Simulate {
        #[arg(value_enum)]
        device: SimArg,
    },
}

#[derive(Args)]
struct PortArgs {
    /// Serial port path, e.g. /dev/ttyUSB0.
    path: String,
    #[arg(long, default_value_t = 9600)]
    baud: u32,
}

impl PortArgs {
    fn settings(&self) -> anyhow::Result<SerialSettings> {
        let baud = Baud::try_from(self.baud)?;
        Ok(SerialSettings { baud, ..SerialSettings::new(&self.path) })
    }
}

#[derive(Args)]
#[group(required = true, multiple = false)]
struct PrinterArgs {
    /// Serial port of the printer.
    #[arg(long)]
    port: Option<String>,
    /// Network printer, host or host:port (9100).
    #[arg(long)]
    tcp: Option<String>,
    /// A file or printer device node (/dev/usb/lp0).
    #[arg(long)]
    file: Option<PathBuf>,
    #[arg(long, default_value_t = 9600)]
    baud: u32,
    /// Serial flow control (Epson serial printers default to DTR/DSR).
    #[arg(long, value_enum, default_value = "none")]
    flow: FlowArg,
    /// A send-only cable: never ask the printer's status, count a job printed once sent.
    #[arg(long)]
    no_status: bool,
}

impl PrinterArgs {
    fn config(&self) -> anyhow::Result<PrinterConfig> {
        Ok(PrinterConfig { endpoint: self.endpoint()?, check_status: !self.no_status, ..PrinterConfig::default() })
    }

    fn endpoint(&self) -> anyhow::Result<Endpoint> {
        Ok(match (&self.port, &self.tcp, &self.file) {
            (Some(p), _, _) => Endpoint::Serial(SerialSettings {
                baud: Baud::try_from(self.baud)?,
                flow_control: match self.flow {
                    FlowArg::None => FlowControl::None,
                    FlowArg::DtrDsr => FlowControl::DtrDsr,
                    FlowArg::XonXoff => FlowControl::XonXoff,
                    FlowArg::RtsCts => FlowControl::RtsCts,
                },
                ..SerialSettings::new(p)
            }),
            (_, Some(a), _) => Endpoint::Tcp { address: a.clone() },
            (_, _, Some(f)) => Endpoint::File { path: f.clone() },
            _ => bail!("give --port, --tcp or --file"),
        })
    }
}

#[derive(Subcommand)]
enum TerminalAction {
    /// A sale of AMOUNT yuan (0.01 for a test).
    Sale {
        amount: String,
        /// The request id (unique per request: the terminal answers a repeated id from its records).
        #[arg(long, default_value = "TEST-1")]
        id: String,
    },
    /// What became of request ID.
    Query { id: String },
    /// Takes back the approved sale of request ORIGINAL.
    Void { id: String, original: String },
    /// Pays AMOUNT yuan back to the card of the sale with reference REFERENCE.
    Refund { id: String, reference: String, amount: String },
}

#[derive(Clone, Copy, ValueEnum)]
enum TerminatorArg {
    Cr,
    Lf,
    CrLf,
    Etx,
}

#[derive(Clone, Copy, ValueEnum)]
enum FlowArg {
    None,
    DtrDsr,
    XonXoff,
    RtsCts,
}

#[derive(Clone, Copy, ValueEnum)]
enum CodePageArg {
    Pc437,
    Pc850,
    Pc852,
    Pc858,
    Pc866,
    Wpc1252,
    Iso8859_15,
}

impl From<CodePageArg> for CodePage {
    fn from(c: CodePageArg) -> CodePage {
        match c {
            CodePageArg::Pc437 => CodePage::Pc437,
            CodePageArg::Pc850 => CodePage::Pc850,
            CodePageArg::Pc852 => CodePage::Pc852,
            CodePageArg::Pc858 => CodePage::Pc858,
            CodePageArg::Pc866 => CodePage::Pc866,
            CodePageArg::Wpc1252 => CodePage::Wpc1252,
            CodePageArg::Iso8859_15 => CodePage::Iso8859_15,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum AimArg {
    Auto,
    Off,
    Required,
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Vfd,
    Led,
}

#[derive(Clone, Copy, ValueEnum)]
enum SimArg {
    Printer,
    Scanner,
    CardReader,
    Display,
    PaymentTerminal,
}

const WAIT: Duration = Duration::from_secs(15);

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Ports => {
            let ports = list_serial_ports()?;
            if ports.is_empty() {
                println!("no serial ports found");
            }
            for p in ports {
                println!("{:<28} {}", p.path, p.description);
            }
            Ok(())
        }
        Command::WatchScanner { port, terminator, stx, aim } => {
            let protocol = ScannerOptions {
                terminator: match terminator {
                    TerminatorArg::Cr => Terminator::Cr,
                    TerminatorArg::Lf => Terminator::Lf,
                    TerminatorArg::CrLf => Terminator::CrLf,
                    TerminatorArg::Etx => Terminator::Etx,
                },
                stx,
                aim_ids: match aim {
                    AimArg::Auto => AimIds::Auto,
                    AimArg::Off => AimIds::Off,
                    AimArg::Required => AimIds::Required,
                },
                ..ScannerOptions::default()
            };
            let (_scanner, mut events) =
                Scanner::open(ScannerConfig { port: port.settings()?, protocol, ..ScannerConfig::default() });
            println!("watching {}; Ctrl-C to stop", port.path);
            while let Some(e) = events.blocking_recv() {
                match e {
                    ScannerEvent::Connected { port } => println!("connected: {port}"),
                    ScannerEvent::Disconnected { reason } => println!("disconnected: {reason} (retrying)"),
                    ScannerEvent::Scan(s) => {
                        let gtin = s.gtin.map(|g| format!(", {g:?} check digit ok")).unwrap_or_default();
                        println!("scan: {} ({:?}{gtin})", s.code, s.symbology);
                    }
                    ScannerEvent::Misread(m) => println!("{m}"),
                }
            }
            Ok(())
        }
        Command::WatchCards { port } => {
            let (_reader, mut events) =
                CardReader::open(CardReaderConfig { port: port.settings()?, ..CardReaderConfig::default() });
            println!("watching {}; Ctrl-C to stop", port.path);
            while let Some(e) = events.blocking_recv() {
                match e {
                    CardEvent::Connected { port } => println!("connected: {port}"),
                    CardEvent::Disconnected { reason } => println!("disconnected: {reason} (retrying)"),
                    CardEvent::MemberCard(code) => println!("member card: {}", code.masked()),
                    CardEvent::Uid(uid) => println!("card UID: {}", uid.as_str()),
                    CardEvent::BankCardRejected(r) => println!("{r}"),
                    CardEvent::Unreadable(u) => println!("unreadable: {u}"),
                }
            }
            Ok(())
        }
        Command::TestReceipt { printer, paper, dots, columns, font_b, code_page } => {
            let paper = if paper == "58" { PaperWidth::Mm58 } else { PaperWidth::Mm80 };
            let print = PrintOptions {
                paper,
                dots: dots.unwrap_or(0),
                columns: columns.unwrap_or(0),
                font: if font_b { Font::B } else { Font::A },
                encoding: if code_page.is_some() { TextEncoding::CodePage } else { TextEncoding::Gbk },
                code_page: code_page.map(CodePage::from).unwrap_or_default(),
                ..PrintOptions::default()
            };
            let config = PrinterConfig { print, ..printer.config()? };
            let (p, mut events) = Printer::open(config);
            let job = p.print_blocks(&printer::test_page(print.line_format()), "test page")?;
            until(&mut events, |e| match e {
                PrinterEvent::Printed { job: j } if *j == job => {
                    Some(Ok(format!("printed ({} columns)", print.columns())))
                }
                PrinterEvent::Failed { job: j, reason } if *j == job => Some(Err(reason.to_string())),
                _ => None,
            })
        }
        Command::Drawer { printer, pin } => {
            let mut config = printer.config()?;
            config.drawer.pin = if pin == "5" { DrawerPin::Pin5 } else { DrawerPin::Pin2 };
            let (p, mut events) = Printer::open(config);
            p.open_drawer();
            until(&mut events, |e| match e {
                PrinterEvent::DrawerOpened { pin } => Some(Ok(format!("drawer kick sent on {pin:?}"))),
                PrinterEvent::DrawerFailed { reason } => Some(Err(reason.to_string())),
                _ => None,
            })
        }
        Command::Status { printer } => {
            let endpoint = printer.endpoint()?;
            let mut link = endpoint.open()?;
            if !link.can_answer() {
                bail!("{} cannot answer a status query", endpoint.name());
            }
            if printer.no_status {
                bail!("--no-status: a send-only cable cannot be asked");
            }
            let s = printer::query_status(link.as_mut(), Duration::from_secs(2), DrawerSensor::OpenHigh)
                .with_context(|| format!("asking {}", endpoint.name()))?;
            println!("offline:        {}", yes(s.offline));
            println!("cover open:     {}", yes(s.cover_open));
            println!("paper near end: {}", yes(s.paper_near_end));
            println!("paper end:      {}", yes(s.paper_end));
            println!("error:          {}", yes(s.error));
            println!("cutter jammed:  {}", yes(s.cutter_error));
            println!("unrecoverable:  {}", yes(s.unrecoverable_error));
            println!("head too hot:   {}", yes(s.recoverable_error));
            println!(
                "drawer pin 3:   {}",
                if s.drawer_open == Some(true) { "high (open, for most drawers)" } else { "low" }
            );
            match s.problem() {
                Some(p) => println!("=> cannot print: {p}"),
                None => println!("=> ready"),
            }
            Ok(())
        }
        Command::Display { port, upper, lower, kind, gbk } => {
            let kind = match kind {
                KindArg::Vfd => DisplayKind::Vfd,
                KindArg::Led => DisplayKind::Led,
            };
            let charset = if gbk { DisplayCharset::Gbk } else { DisplayCharset::Ascii };
            let config = DisplayConfig { port: port.settings()?, kind, charset, ..DisplayConfig::default() };
            let (d, mut events) = CustomerDisplay::open(config);
            until(&mut events, |e| match e {
                DisplayEvent::Connected { .. } => Some(Ok(String::new())),
                DisplayEvent::Disconnected { reason } => Some(Err(reason.to_string())),
                DisplayEvent::Refused(r) => Some(Err(r.to_string())),
            })?;
            match kind {
                DisplayKind::Vfd => d.show_lines(&upper, &lower),
                DisplayKind::Led => {
                    let fen = parse_amount(&upper)?;
                    d.show_total(shared::Money(fen));
                }
            }
            // Give the display's thread time to send before the process ends.
            std::thread::sleep(Duration::from_millis(300));
            println!("shown");
            Ok(())
        }
        Command::Terminal { port, action } => terminal(port.settings()?, action),
        Command::Simulate { device } => simulate(device),
    }
}

fn request_id(s: &str) -> anyhow::Result<RequestId> {
    RequestId::parse(s).with_context(|| format!("request id `{s}`"))
}

fn terminal(settings: SerialSettings, action: TerminalAction) -> anyhow::Result<()> {
    let request = match action {
        TerminalAction::Sale { amount, id } => Request::sale(request_id(&id)?, shared::Money(parse_amount(&amount)?))?,
        TerminalAction::Query { id } => Request::Query { id: request_id(&id)? },
        TerminalAction::Void { id, original } => {
            Request::Void { id: request_id(&id)?, original: request_id(&original)? }
        }
        TerminalAction::Refund { id, reference, amount } => {
            Request::refund(request_id(&id)?, ReferenceNo::parse(&reference)?, shared::Money(parse_amount(&amount)?))?
        }
    };
    let config = PaymentTerminalConfig { port: settings, ..PaymentTerminalConfig::default() };
    let patience = Duration::from_millis(config.protocol.answer_timeout_ms) + WAIT;
    let (t, mut events) = PaymentTerminal::open(config);
    let id = request.id().clone();
    t.send(request)?;
    let deadline = Instant::now() + patience;
    while Instant::now() < deadline {
        match events.try_recv() {
            Ok(TerminalEvent::Answered(a)) if a.id == id => {
                match a.outcome {
                    Outcome::Approved(a) => println!(
                        "approved {} {}: card {}, auth code {}, reference {}, trace {}",
                        a.kind,
                        a.amount.plain(),
                        a.card,
                        a.auth_code,
                        a.reference,
                        a.trace
                    ),
                    Outcome::Declined(d) => println!("declined {} {}: {}", d.kind, d.code, d.message),
                    Outcome::Busy => println!("busy: nothing was done, try again"),
                    Outcome::NotFound => println!("not found: the terminal has no request {id}"),
                }
                return Ok(());
            }
            Ok(TerminalEvent::Failed { id: failed, failure }) if failed == id => bail!(failure.to_string()),
            Ok(TerminalEvent::Accepted { .. }) => println!("the terminal took the request: present the card"),
            Ok(e) => println!("{e:?}"),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    bail!("no answer in {} s", patience.as_secs())
}

fn yes(b: bool) -> &'static str {
    if b { "YES" } else { "no" }
}

fn parse_amount(s: &str) -> anyhow::Result<i64> {
    let (yuan, fen) = s.split_once('.').unwrap_or((s, "0"));
    let fen = format!("{fen:0<2}");
    if fen.len() != 2 {
        bail!("`{s}` is not an amount like 12.50");
    }
    Ok(yuan.parse::<i64>().context("amount")? * 100 + fen.parse::<i64>().context("amount")?)
}

/// Waits for the event `f` decides on; prints `Ok`, fails with `Err`.
fn until<E: std::fmt::Debug>(
    events: &mut Events<E>,
    mut f: impl FnMut(&E) -> Option<Result<String, String>>,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        match events.try_recv() {
            Ok(e) => match f(&e) {
                Some(Ok(msg)) => {
                    if !msg.is_empty() {
                        println!("{msg}");
                    }
                    return Ok(());
                }
                Some(Err(msg)) => bail!(msg),
                None => println!("{e:?}"),
            },
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    bail!("no answer in {} s", WAIT.as_secs())
}

#[cfg(not(unix))]
fn simulate(_device: SimArg) -> anyhow::Result<()> {
    bail!("simulators need pseudo-terminals (Linux, macOS)")
}

#[cfg(unix)]
fn simulate(device: SimArg) -> anyhow::Result<()> {
    use device_drivers::simulator::{
        CardReaderSimulator, DisplaySimulator, LinkFault, PaymentTerminalSimulator, PrinterSimulator, ScannerSimulator,
        Script,
    };
    use std::io::BufRead;
    match device {
        SimArg::Printer => {
            let sim = PrinterSimulator::start()?;
            println!("printer simulator on {} (80 mm); Ctrl-C to stop", sim.port_path().display());
            let (mut receipts, mut kicks) = (0, 0);
            loop {
                let r = sim.receipts();
                for receipt in &r[receipts..] {
                    println!("----- receipt ({:?}) -----\n{}", receipt.cut, receipt.text);
                }
                receipts = r.len();
                let k = sim.drawer_kicks();
                for kick in &k[kicks..] {
                    println!("drawer kick: {kick:?}");
                }
                kicks = k.len();
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        SimArg::Scanner | SimArg::CardReader => {
            let scanner = matches!(device, SimArg::Scanner);
            let (s, c) = if scanner {
                (Some(ScannerSimulator::start()?), None)
            } else {
                (None, Some(CardReaderSimulator::start()?))
            };
            let path = s.as_ref().map(|s| s.port_path()).or(c.as_ref().map(|c| c.port_path())).unwrap_or_default();
            println!("simulator on {}", path.display());
            println!(
                "type a code and Enter to send it ({}); Ctrl-D to stop",
                if scanner {
                    "`bad` for a misread"
                } else {
                    "`bank` for a bank card, 8/14 hex or 10 digits for a UID, else a member code"
                }
            );
            for line in std::io::stdin().lock().lines() {
                let line = line?;
                let code = line.trim();
                let sent = match (&s, &c) {
                    (Some(s), _) if code == "bad" => s.misread(),
                    (Some(s), _) => s.scan(code),
                    (_, Some(c)) if code == "bank" => c.swipe_bank_card(None),
                    (_, Some(c)) if shared::member::CardUid::parse(code).is_ok() => c.tap_uid(code),
                    (_, Some(c)) => c.swipe_member(code),
                    _ => Ok(()),
                };
                sent?;
            }
            Ok(())
        }
        SimArg::PaymentTerminal => {
            let sim = PaymentTerminalSimulator::start()?;
            println!("payment terminal simulator on {}; Ctrl-D to stop", sim.port_path().display());
            println!(
                "the next sale, void or refund: approve | decline CODE MESSAGE | busy | lost | dropped\n\
                 the line: bad-lrc | garbled | other-first | deaf | lost-ack\n\
                 the terminal: delay MS | full-pan on|off | records"
            );
            let stdin = std::io::stdin();
            let mut lines = stdin.lock().lines();
            let mut shown = 0;
            loop {
                let requests = sim.requests();
                for r in &requests[shown.min(requests.len())..] {
                    println!("heard: {r:?}");
                }
                shown = requests.len();
                let Some(line) = lines.next() else { return Ok(()) };
                let line = line?;
                let words: Vec<&str> = line.split_whitespace().collect();
                match words.as_slice() {
                    ["approve"] => sim.script(Script::Approve),
                    ["decline", code, message @ ..] => sim.script(Script::decline(code, &message.join(" "))),
                    ["busy"] => sim.script(Script::Busy),
                    ["lost"] => sim.script(Script::NoAnswer { approved: true }),
                    ["dropped"] => sim.script(Script::NoAnswer { approved: false }),
                    ["bad-lrc"] => sim.fault(LinkFault::BadLrc),
                    ["garbled"] => sim.fault(LinkFault::Garbled),
                    ["other-first"] => sim.fault(LinkFault::OtherRequestFirst),
                    ["deaf"] => sim.fault(LinkFault::Deaf),
                    ["lost-ack"] => sim.fault(LinkFault::LostAck),
                    ["delay", ms] => sim.set_answer_delay(Duration::from_millis(ms.parse().context("milliseconds")?)),
                    ["full-pan", on] => sim.send_full_card_number(*on == "on"),
                    ["records"] | [] => {
                        for t in sim.transactions() {
                            println!("{t:?}");
                        }
                        println!("net charged: {}", sim.net_charged().plain());
                    }
                    _ => println!("?"),
                }
            }
        }
        SimArg::Display => {
            let sim = DisplaySimulator::start()?;
            println!("customer display simulator on {}; Ctrl-C to stop", sim.port_path().display());
            let mut shown = sim.screen();
            loop {
                let now = sim.screen();
                if now != shown {
                    println!("[{:<20}]\n[{:<20}] lamp {:?}", now.lines[0], now.lines[1], now.lamp);
                    shown = now;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}
