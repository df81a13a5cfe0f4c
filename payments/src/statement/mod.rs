//! The providers' daily statements (对账单), which HQ imports to reconcile against the tills'
//! tenders: parsed here (pure; a broken row names its row and the whole file yields nothing),
//! and written (for the simulator and tests).
//!
//! - `wechat`: WeChat Pay's `downloadbill` (`bill_type=ALL`): a header line, one line per
//!   payment or refund with every field prefixed by a backquote, then the summary's header and
//!   row.
//! - `alipay`: Alipay's 业务明细 (`bill_type=trade`) CSV, GBK: `#` lines before (account, period)
//!   and after (counts and totals) the list.
//!
//! Rows are numbered as lines of the file, from 1.

pub mod alipay;
pub mod wechat;

/// A statement that cannot be imported, and where
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("row {row}: {message}")]
pub struct StatementError {
    /// The line of the file, from 1
    pub row: usize,
    pub message: String,
}

fn error(row: usize, message: impl Into<String>) -> StatementError {
    StatementError { row, message: message.into() }
}

/// Yuan as fen, naming the row and column on failure
fn amount(row: usize, column: &str, text: &str) -> Result<i64, StatementError> {
    crate::money::yuan_to_fen(text).map_err(|e| error(row, format!("{column}: {e}")))
}

fn date_time(row: usize, column: &str, text: &str) -> Result<jiff::civil::DateTime, StatementError> {
    jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", text)
        .map_err(|_| error(row, format!("{column}: `{text}` is not a time like 2026-11-30 10:00:00")))
}

fn time_text(at: jiff::civil::DateTime) -> String {
    at.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// The file's lines without line ends, numbered from 1
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).enumerate().map(|(i, l)| (i + 1, l))
}
