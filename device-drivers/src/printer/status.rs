//! Real-time status (`DLE EOT n`) as pure code: the queries, their answers, and what they mean.
//!
//! A status check asks four things, each answered with one byte (`0xx1xx10`):
//! - `n = 1`, the printer: offline (bit 3) and the drawer kick connector's pin 3 (bit 2), which a
//!   drawer's switch drives: [`DrawerSensor`] says which level means open;
//! - `n = 2`, why it is offline: cover open (bit 2), stopped at paper end (bit 5), an error (bit 6);
//! - `n = 3`, which error: the autocutter (bit 3, cleared by fixing the jam), an unrecoverable
//!   error (bit 5, switch the printer off), an automatically recoverable one such as head
//!   overheating (bit 6, printing resumes by itself);
//! - `n = 4`, the paper sensors: near end (bits 2–3), end (bits 5–6).

use serde::{Deserialize, Serialize};

use super::protocol::{DLE, EOT};

/// What `DLE EOT n` asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatusQuery {
    Printer = 1,
    OfflineCause = 2,
    ErrorCause = 3,
    PaperSensor = 4,
}

impl StatusQuery {
    pub fn from_n(n: u8) -> Option<StatusQuery> {
        Some(match n {
            1 => StatusQuery::Printer,
            2 => StatusQuery::OfflineCause,
            3 => StatusQuery::ErrorCause,
            4 => StatusQuery::PaperSensor,
            _ => return None,
        })
    }
}

/// `DLE EOT n`.
pub fn status_query(q: StatusQuery) -> [u8; 3] {
    [DLE, EOT, q as u8]
}

/// The four queries a status check sends, in the order the answers come back.
pub const STATUS_CHECK: [StatusQuery; 4] =
    [StatusQuery::Printer, StatusQuery::OfflineCause, StatusQuery::ErrorCause, StatusQuery::PaperSensor];

/// The bytes of a status check: `DLE EOT 1`, `2`, `3`, `4`.
pub fn status_check_bytes() -> Vec<u8> {
    STATUS_CHECK.iter().flat_map(|q| status_query(*q)).collect()
}

/// How a drawer's switch reads on pin 3 of the kick connector.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrawerSensor {
    /// Pin 3 high means open (most drawers sold with Epson-compatible printers).
    #[default]
    OpenHigh,
    /// Pin 3 low means open.
    OpenLow,
    /// The drawer has no switch: its state is unknown.
    None,
}

/// What the printer says of itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PrinterStatus {
    pub offline: bool,
    pub cover_open: bool,
    pub paper_near_end: bool,
    pub paper_end: bool,
    /// An error stopped the printer (one of the three below, or one it does not name).
    pub error: bool,
    /// The autocutter jammed: clear it, close the cover.
    pub cutter_error: bool,
    /// A fault the printer cannot recover from: switch it off and on, or call service.
    pub unrecoverable_error: bool,
    /// The head is too hot (or a similar pause): printing resumes by itself.
    pub recoverable_error: bool,
    /// Whether the cash drawer is open; `None` when its sensor is not read.
    pub drawer_open: Option<bool>,
}

/// Why a printer cannot print now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error, Serialize, Deserialize)]
pub enum PrinterProblem {
    #[error("out of paper")]
    PaperEnd,
    #[error("cover open")]
    CoverOpen,
    #[error("cutter jammed: clear it and close the cover")]
    CutterJam,
    #[error("printer fault: switch the printer off and on")]
    Unrecoverable,
    #[error("printer paused (head too hot): it resumes by itself")]
    Paused,
    #[error("printer error")]
    Error,
    #[error("printer offline")]
    Offline,
}

impl PrinterStatus {
    /// What stops printing, the most useful to the cashier first.
    pub fn problem(&self) -> Option<PrinterProblem> {
        if self.paper_end {
            Some(PrinterProblem::PaperEnd)
        } else if self.cover_open {
            Some(PrinterProblem::CoverOpen)
        } else if self.cutter_error {
            Some(PrinterProblem::CutterJam)
        } else if self.unrecoverable_error {
            Some(PrinterProblem::Unrecoverable)
        } else if self.recoverable_error {
            Some(PrinterProblem::Paused)
        } else if self.error {
            Some(PrinterProblem::Error)
        } else if self.offline {
            Some(PrinterProblem::Offline)
        } else {
            None
        }
    }

    pub fn ready(&self) -> bool {
        self.problem().is_none()
    }

    /// An error that stops the printer taking commands at all (the drawer kick too).
    pub fn stopped_by_error(&self) -> bool {
        self.error || self.cutter_error || self.unrecoverable_error || self.recoverable_error
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("0x{0:02X} is not a real-time status byte (0xx1xx10)")]
pub struct BadStatusByte(pub u8);

/// A status byte always has bit 1 and bit 4 set, bit 0 and bit 7 clear.
pub fn is_status_byte(b: u8) -> bool {
    b & 0b1001_0011 == 0b0001_0010
}

/// The status from the answers to [`STATUS_CHECK`], the drawer read as `sensor` says.
pub fn parse_status(answers: [u8; 4], sensor: DrawerSensor) -> Result<PrinterStatus, BadStatusByte> {
    if let Some(b) = answers.iter().find(|b| !is_status_byte(**b)) {
        return Err(BadStatusByte(*b));
    }
    let [printer, offline, error, paper] = answers;
    let bit = |b: u8, n: u8| b & (1 << n) != 0;
    let pin3_high = bit(printer, 2);
    Ok(PrinterStatus {
        offline: bit(printer, 3),
        cover_open: bit(offline, 2),
        error: bit(offline, 6),
        paper_end: bit(offline, 5) || bit(paper, 5) || bit(paper, 6),
        paper_near_end: bit(paper, 2) || bit(paper, 3),
        cutter_error: bit(error, 3),
        unrecoverable_error: bit(error, 5),
        recoverable_error: bit(error, 6),
        drawer_open: match sensor {
            DrawerSensor::OpenHigh => Some(pin3_high),
            DrawerSensor::OpenLow => Some(!pin3_high),
            DrawerSensor::None => None,
        },
    })
}

/// The byte a printer in `status` answers to `DLE EOT n` (used by the simulator, whose drawer
/// switch reads high when open).
pub fn status_answer(status: &PrinterStatus, q: StatusQuery) -> u8 {
    let mut b = 0b0001_0010;
    let mut set = |on: bool, bits: u8| {
        if on {
            b |= bits;
        }
    };
    match q {
        StatusQuery::Printer => {
            set(!status.ready(), 1 << 3);
            set(status.drawer_open == Some(true), 1 << 2);
        }
        StatusQuery::OfflineCause => {
            set(status.cover_open, 1 << 2);
            set(status.paper_end, 1 << 5);
            set(status.stopped_by_error(), 1 << 6);
        }
        StatusQuery::ErrorCause => {
            set(status.cutter_error, 1 << 3);
            set(status.unrecoverable_error, 1 << 5);
            set(status.recoverable_error, 1 << 6);
        }
        StatusQuery::PaperSensor => {
            set(status.paper_near_end || status.paper_end, 0b0000_1100);
            set(status.paper_end, 0b0110_0000);
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(answers: [u8; 4]) -> PrinterStatus {
        parse_status(answers, DrawerSensor::OpenHigh).expect("valid")
    }

    #[test]
    fn status_bytes() {
        assert_eq!(status_check_bytes(), vec![0x10, 0x04, 0x01, 0x10, 0x04, 0x02, 0x10, 0x04, 0x03, 0x10, 0x04, 0x04]);
        assert_eq!(parse([0x12; 4]), PrinterStatus { drawer_open: Some(false), ..PrinterStatus::default() });
        let s = parse([0x1A, 0x32, 0x12, 0x72]);
        assert!(s.offline && s.paper_end && !s.paper_near_end && !s.cover_open && !s.error);
        assert_eq!(s.problem(), Some(PrinterProblem::PaperEnd));
        let s = parse([0x1A, 0x16, 0x12, 0x1E]);
        assert!(s.cover_open && s.paper_near_end && !s.paper_end);
        assert_eq!(s.problem(), Some(PrinterProblem::CoverOpen));
        assert_eq!(parse_status([0x12, 0x00, 0x12, 0x12], DrawerSensor::None), Err(BadStatusByte(0x00)));
        assert_eq!(parse_status([0xFF, 0x12, 0x12, 0x12], DrawerSensor::None), Err(BadStatusByte(0xFF)));
    }

    #[test]
    fn the_drawer_bit_and_the_error_causes_are_read() {
        // DLE EOT 1 bit 2: pin 3 of the kick connector.
        assert_eq!(parse([0x16, 0x12, 0x12, 0x12]).drawer_open, Some(true));
        assert_eq!(
            parse_status([0x16, 0x12, 0x12, 0x12], DrawerSensor::OpenLow).map(|s| s.drawer_open),
            Ok(Some(false))
        );
        assert_eq!(
            parse_status([0x12, 0x12, 0x12, 0x12], DrawerSensor::OpenLow).map(|s| s.drawer_open),
            Ok(Some(true))
        );
        assert_eq!(parse_status([0x16, 0x12, 0x12, 0x12], DrawerSensor::None).map(|s| s.drawer_open), Ok(None));
        // An open drawer does not stop printing.
        assert!(parse([0x16, 0x12, 0x12, 0x12]).ready());
        // DLE EOT 3: the cutter jammed; an unrecoverable error; the head too hot.
        let s = parse([0x1A, 0x52, 0x1A, 0x12]);
        assert!(s.cutter_error && !s.unrecoverable_error);
        assert_eq!(s.problem(), Some(PrinterProblem::CutterJam));
        assert_eq!(parse([0x1A, 0x52, 0x32, 0x12]).problem(), Some(PrinterProblem::Unrecoverable));
        assert_eq!(parse([0x1A, 0x52, 0x52, 0x12]).problem(), Some(PrinterProblem::Paused));
        assert_eq!(parse([0x1A, 0x52, 0x12, 0x12]).problem(), Some(PrinterProblem::Error));
    }

    #[test]
    fn the_simulators_answers_read_back_as_its_status() {
        for status in [
            PrinterStatus::default(),
            PrinterStatus { paper_near_end: true, ..PrinterStatus::default() },
            PrinterStatus { paper_end: true, offline: true, ..PrinterStatus::default() },
            PrinterStatus { cover_open: true, offline: true, ..PrinterStatus::default() },
            PrinterStatus { offline: true, ..PrinterStatus::default() },
            PrinterStatus { cutter_error: true, ..PrinterStatus::default() },
            PrinterStatus { unrecoverable_error: true, ..PrinterStatus::default() },
            PrinterStatus { recoverable_error: true, drawer_open: Some(true), ..PrinterStatus::default() },
        ] {
            let answers = STATUS_CHECK.map(|q| status_answer(&status, q));
            let mut want = status;
            want.offline = !status.ready();
            want.error = status.stopped_by_error();
            want.paper_near_end |= status.paper_end;
            want.drawer_open = Some(status.drawer_open == Some(true));
            assert_eq!(parse_status(answers, DrawerSensor::OpenHigh), Ok(want), "{status:?}");
        }
    }
}
