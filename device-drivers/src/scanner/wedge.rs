//! Keyboard-wedge (USB HID) scanners type their codes. The sale screen tells a scan from a
//! cashier's typing by rhythm: a burst of keys with short gaps, ending in Enter, is one scan,
//! wherever focus is. Pure code: the UI passes each key and the `Instant` it came.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// How a wedge scan is recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct WedgeOptions {
    /// Keys closer than this (default 30 ms) belong to one burst.
    pub max_gap_ms: u64,
    /// Fewer characters than this before Enter is typing, not a scan.
    pub min_len: usize,
}

impl Default for WedgeOptions {
    fn default() -> Self {
        WedgeOptions { max_gap_ms: 30, min_len: 4 }
    }
}

/// A key as the wedge detector needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WedgeKey {
    Char(char),
    Enter,
}

/// Longest burst kept; a stuck key does not grow memory.
const MAX_BURST: usize = 512;

/// Watches keystrokes for scanner bursts.
#[derive(Clone, Debug)]
pub struct WedgeDetector {
    options: WedgeOptions,
    burst: String,
    burst_len: usize,
    last: Option<Instant>,
}

impl WedgeDetector {
    pub fn new(options: WedgeOptions) -> WedgeDetector {
        WedgeDetector { options, burst: String::new(), burst_len: 0, last: None }
    }

    /// Takes one key pressed at `at`. Returns the code when the key is the Enter that ends a
    /// scanner burst; the UI then treats the code as a scan and drops the characters the burst
    /// typed into whatever had focus.
    pub fn key(&mut self, key: WedgeKey, at: Instant) -> Option<String> {
        let gap = Duration::from_millis(self.options.max_gap_ms);
        let quick = self.last.is_some_and(|t| at.saturating_duration_since(t) < gap);
        self.last = Some(at);
        match key {
            WedgeKey::Char(c) => {
                if !quick || self.burst_len >= MAX_BURST {
                    self.burst.clear();
                    self.burst_len = 0;
                }
                self.burst.push(c);
                self.burst_len += 1;
                None
            }
            WedgeKey::Enter => {
                let burst = std::mem::take(&mut self.burst);
                let len = std::mem::take(&mut self.burst_len);
                self.last = None;
                (quick && len >= self.options.min_len.max(1)).then_some(burst)
            }
        }
    }

    /// Forgets a burst in progress (focus moved to a password field, say).
    pub fn reset(&mut self) {
        self.burst.clear();
        self.burst_len = 0;
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Types `text` with `gap_ms` between keys, then Enter after `enter_ms`.
    fn check(text: &str, gap_ms: u64, enter_ms: u64, expected: Option<&str>) {
        let mut d = WedgeDetector::new(WedgeOptions::default());
        let t0 = Instant::now();
        let mut t = t0;
        for c in text.chars() {
            assert_eq!(d.key(WedgeKey::Char(c), t), None);
            t += Duration::from_millis(gap_ms);
        }
        t = t - Duration::from_millis(gap_ms) + Duration::from_millis(enter_ms);
        assert_eq!(d.key(WedgeKey::Enter, t).as_deref(), expected, "{text} gap {gap_ms} enter {enter_ms}");
    }

    #[test]
    fn bursts_ending_in_enter_are_scans() {
        check("6901234567892", 8, 8, Some("6901234567892"));
        check("6901234567892", 29, 29, Some("6901234567892"));
        check("B001-01-000042", 0, 1, Some("B001-01-000042"));
    }

    #[test]
    fn typing_is_not_a_scan() {
        check("6901234567892", 30, 10, None);
        check("6901234567892", 120, 120, None);
        check("6901234567892", 10, 300, None);
        check("12", 5, 5, None);
        check("", 5, 5, None);
    }

    #[test]
    fn a_slow_start_then_a_burst_keeps_only_the_burst() {
        let mut d = WedgeDetector::new(WedgeOptions::default());
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        d.key(WedgeKey::Char('x'), ms(0));
        d.key(WedgeKey::Char('y'), ms(500));
        for (i, c) in "96385074".chars().enumerate() {
            d.key(WedgeKey::Char(c), ms(1000 + 10 * i as u64));
        }
        assert_eq!(d.key(WedgeKey::Enter, ms(1075)).as_deref(), Some("96385074"));
        // A quick Enter right after a scan, with nothing typed, is not another scan.
        assert_eq!(d.key(WedgeKey::Enter, ms(1080)), None);
    }

    #[test]
    fn reset_forgets_the_burst() {
        let mut d = WedgeDetector::new(WedgeOptions::default());
        let t0 = Instant::now();
        for (i, c) in "12345678".chars().enumerate() {
            d.key(WedgeKey::Char(c), t0 + Duration::from_millis(i as u64));
        }
        d.reset();
        assert_eq!(d.key(WedgeKey::Enter, t0 + Duration::from_millis(9)), None);
    }
}
