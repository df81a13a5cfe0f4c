//! A network printer on port 9100 is a TCP socket: the same driver, the same bytes.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use device_drivers::printer::paper::{PaperEvent, PaperReader};
use device_drivers::printer::status::{PrinterStatus, status_answer};
use device_drivers::printer::{Printer, PrinterConfig, PrinterEvent, test_page};
use device_drivers::transport::Endpoint;
use shared::receipt::{PaperWidth, blocks_text};

#[test]
fn a_network_printer_prints_and_answers_status() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let address = listener.local_addr().expect("address").to_string();
    let printed = Arc::new(Mutex::new(Vec::<PaperEvent>::new()));
    let seen = printed.clone();
    // A printer that serves one connection for at most a minute.
    std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().expect("accept");
        socket.set_read_timeout(Some(Duration::from_millis(50))).expect("timeout");
        let mut reader = PaperReader::new();
        let mut buf = [0u8; 4096];
        let until = Instant::now() + Duration::from_secs(60);
        while Instant::now() < until {
            let n = match socket.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => n,
                Err(_) => continue,
            };
            for e in reader.feed(&buf[..n]) {
                if let PaperEvent::StatusQuery(q) = e {
                    let _ = socket.write_all(&[status_answer(&PrinterStatus::default(), q)]);
                } else {
                    seen.lock().expect("lock").push(e);
                }
            }
        }
    });

    let config = PrinterConfig { endpoint: Endpoint::Tcp { address }, ..PrinterConfig::default() };
    let (printer, mut events) = Printer::open(config);
    let blocks = test_page(PaperWidth::Mm80);
    let job = printer.print_blocks(&blocks, "test page").expect("renders");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut log = Vec::new();
    loop {
        match events.try_recv() {
            Ok(PrinterEvent::Printed { job: j }) if j == job => break,
            Ok(e) => log.push(e),
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("no Printed: {e:?}; saw {log:?}"),
        }
    }
    assert!(matches!(log.first(), Some(PrinterEvent::Connected { port }) if port.starts_with("127.0.0.1:")), "{log:?}");
    // What reached the socket reads back as the page's text.
    let events = printed.lock().expect("lock").clone();
    let mut text = String::new();
    for e in events {
        match e {
            PaperEvent::Line(l) => text.push_str(&l.text),
            PaperEvent::Barcode { data, .. } => {
                text.push_str(&shared::receipt::barcode_caption(&data, PaperWidth::Mm80))
            }
            PaperEvent::Qr(data) => text.push_str(&shared::receipt::qr_caption(&data, PaperWidth::Mm80)),
            _ => continue,
        }
        text.push('\n');
    }
    assert_eq!(text, blocks_text(&blocks, PaperWidth::Mm80));
}
