//! Lines of goods as a console form takes them: one a line, a product's code or barcode, the
//! quantity in selling units and, where the form asks for it, the cost in yuan a unit
//! (`COLA 24 2.00`; commas or tabs separate as well, so rows pasted from a spreadsheet work).
//! A line that does not read, or names a product HQ does not have, is refused by its number and
//! the form comes back as typed.

use shared::catalog::ProductId;
use shared::money::{Currency, Money, Qty};

use crate::http::AppState;

/// A typed line, with the product it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct TypedLine {
    pub product: ProductId,
    pub qty: Qty,
    /// Fen a unit; none when the form does not ask for a cost.
    pub cost: Option<Money>,
}

/// A line as written, before its product is looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Written {
    /// Its number in the text, from 1.
    pub line: usize,
    pub code: String,
    pub qty: Qty,
    pub cost: Option<Money>,
}

/// The most lines a form takes.
const MAX_LINES: usize = 2_000;

/// Splits the text into lines of code, quantity and cost, without looking anything up.
/// `with_cost` asks for a cost on every line; without it a third field is refused.
pub(super) fn parse(text: &str, with_cost: bool) -> Result<Vec<Written>, String> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let fields: Vec<&str> =
            raw.split(|c: char| c == ',' || c == '\t' || c.is_whitespace()).filter(|f| !f.is_empty()).collect();
        if fields.is_empty() {
            continue;
        }
        let (wanted, width) =
            if with_cost { ("code, quantity and cost (COLA 24 2.00)", 3) } else { ("code and quantity (COLA 24)", 2) };
        if fields.len() != width {
            return Err(format!("line {n}: `{}`: write the {wanted}", raw.trim()));
        }
        let code = fields[0];
        if code.chars().count() > 64 {
            return Err(format!("line {n}: the code is longer than 64 characters"));
        }
        let qty = Qty::parse(fields[1])
            .ok()
            .filter(|q| q.0 > 0)
            .ok_or_else(|| format!("line {n}: `{}` is not a quantity above zero (24, 0.5)", fields[1]))?;
        let cost = match fields.get(2) {
            Some(c) => Some(
                Currency::CNY
                    .parse(c)
                    .ok()
                    .filter(|m| m.0 >= 0)
                    .ok_or_else(|| format!("line {n}: `{c}` is not a cost in yuan (2.00)"))?,
            ),
            None => None,
        };
        out.push(Written { line: n, code: code.to_owned(), qty, cost });
        if out.len() > MAX_LINES {
            return Err(format!("line {n}: at most {MAX_LINES} lines a form"));
        }
    }
    if out.is_empty() {
        return Err("lines: write at least one".into());
    }
    Ok(out)
}

/// Reads the lines and finds each product by its code, else by a barcode of it.
pub(super) async fn read(state: &AppState, text: &str, with_cost: bool) -> Result<Vec<TypedLine>, String> {
    let parsed = parse(text, with_cost)?;
    let found = state
        .db(move |s| {
            let mut out = Vec::with_capacity(parsed.len());
            for Written { line: n, code, qty, cost } in parsed {
                let product = match s.product_by_code(&code)? {
                    Some(p) => Some(p),
                    None => s.product_by_barcode(&code)?,
                };
                out.push(match product {
                    Some(p) => Ok(TypedLine { product: p.id, qty, cost }),
                    None => Err(format!("line {n}: HQ has no product with the code or barcode `{code}`")),
                });
            }
            Ok(out)
        })
        .await
        .map_err(|e| e.to_string())?;
    found.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_with_spaces_commas_or_tabs_and_a_bad_one_is_named() {
        let got = parse("COLA 24 2.00\n\n6901234567892,0.5,1\nTEA\t3\t0", true).expect("lines");
        let w = |line: usize, code: &str, qty: i64, cost: Option<i64>| Written {
            line,
            code: code.into(),
            qty: Qty(qty),
            cost: cost.map(Money),
        };
        assert_eq!(
            got,
            vec![w(1, "COLA", 24_000, Some(200)), w(3, "6901234567892", 500, Some(100)), w(4, "TEA", 3_000, Some(0))]
        );
        assert_eq!(parse("COLA 2", false).expect("lines"), vec![w(1, "COLA", 2_000, None)]);
        for (text, cost, words) in [
            ("COLA 24", true, "line 1: `COLA 24`: write the code, quantity and cost"),
            ("COLA 24 2.00", false, "line 1: `COLA 24 2.00`: write the code and quantity"),
            ("COLA 2\nTEA -1", false, "line 2: `-1` is not a quantity above zero"),
            ("COLA 0", false, "line 1: `0` is not a quantity"),
            ("COLA 1 2.001", true, "line 1: `2.001` is not a cost"),
            ("COLA 1 -2", true, "line 1: `-2` is not a cost"),
            ("  \n", false, "at least one"),
        ] {
            let e = parse(text, cost).expect_err(text);
            assert!(e.contains(words), "{text}: {e}");
        }
    }
}
