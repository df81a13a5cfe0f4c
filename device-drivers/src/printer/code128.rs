//! Code128 for the receipt number: code set B for text, code set C (two digits a symbol) for runs
//! of digits, and the width of the symbol so the renderer can check it fits the paper.

/// Modules of white a scanner needs on each side of the symbol.
pub const QUIET_ZONE_MODULES: u32 = 10;

/// One Code128 symbol: the `GS k 73` data (code-set switches as `{B` / `{C`) and its width.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Code128 {
    /// The bytes after `GS k 73 n`: `{B` text (`{` sent as `{{`), `{C` and one byte (0–99) per
    /// pair of digits.
    pub data: Vec<u8>,
    /// Symbol characters: the start, the data characters and code-set switches, the check
    /// character (not the stop).
    pub symbols: u32,
}

impl Code128 {
    /// Width in modules, stop pattern included, quiet zones not.
    pub fn modules(&self) -> u32 {
        self.symbols * 11 + 13
    }

    /// Width in dots with quiet zones at `module` dots a module.
    pub fn dots_with_quiet_zones(&self, module: u32) -> u32 {
        (self.modules() + 2 * QUIET_ZONE_MODULES) * module
    }
}

/// Encodes printable ASCII; `None` for anything else (or nothing).
///
/// Set C is used for a run of digits where it saves symbols: four or more at the start or the end
/// of the data, six or more in the middle (a switch costs a symbol each way); of an odd run, the
/// first digit stays in set B.
pub fn encode(text: &str) -> Option<Code128> {
    let b = text.as_bytes();
    if b.is_empty() || !b.iter().all(|c| (0x20..0x7F).contains(c)) {
        return None;
    }
    let mut out = Writer { data: Vec::new(), symbols: 1, set_c: None };
    let mut i = 0;
    while i < b.len() {
        let mut run = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let at_edge = i == 0 || i + run == b.len();
        if run >= 6 || (run >= 4 && at_edge) || (run >= 2 && run == b.len()) {
            if run % 2 == 1 {
                out.switch(false);
                out.push(b[i]);
                i += 1;
                run -= 1;
            }
            out.switch(true);
            for pair in b[i..i + run].chunks_exact(2) {
                out.push((pair[0] - b'0') * 10 + (pair[1] - b'0'));
            }
            i += run;
        } else {
            out.switch(false);
            if b[i] == b'{' {
                out.data.push(b'{');
            }
            out.push(b[i]);
            i += 1;
        }
    }
    Some(Code128 { data: out.data, symbols: out.symbols + 1 })
}

struct Writer {
    data: Vec<u8>,
    symbols: u32,
    /// The code set in use (`None` before the start character).
    set_c: Option<bool>,
}

impl Writer {
    /// Selects set C (`true`) or B: the start character, or a switch that costs a symbol.
    fn switch(&mut self, c: bool) {
        if self.set_c != Some(c) {
            if self.set_c.is_some() {
                self.symbols += 1;
            }
            self.data.extend_from_slice(if c { b"{C" } else { b"{B" });
            self.set_c = Some(c);
        }
    }

    fn push(&mut self, byte: u8) {
        self.data.push(byte);
        self.symbols += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_runs_go_in_set_c() {
        let c = encode("B001-01-000042").expect("ascii");
        assert_eq!(c.data, b"{BB001-01-{C\x00\x00\x2a".to_vec());
        // start, 8 in B, switch, 3 pairs, check
        assert_eq!(c.symbols, 14);
        assert_eq!(c.modules(), 167);
        let c = encode("6901234").expect("digits");
        assert_eq!(c.data, b"{B6{C\x5a\x0c\x22".to_vec());
        assert_eq!(c.symbols, 7);
        let c = encode("123456").expect("digits");
        assert_eq!(c.data, b"{C\x0c\x22\x38".to_vec());
        assert_eq!(encode("A{1").expect("ascii").data, b"{BA{{1".to_vec());
        assert_eq!(encode("AB12CD").expect("ascii").data, b"{BAB12CD".to_vec(), "two digits inside: B is shorter");
        assert_eq!(encode("单号"), None);
        assert_eq!(encode(""), None);
    }
}
