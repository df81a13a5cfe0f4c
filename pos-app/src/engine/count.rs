//! Count mode (盘点) at the till: a manager picks an open count of the branch (pulled from HQ by
//! the sync task), then scans, gives the quantity (one unless typed; a scale label's weight;
//! weighed goods in grams or kilograms) and scans the next. The scanner's codes go to the count,
//! never the cart. Each line is kept on disk before it shows as counted, with the product's
//! running total in the count at this till, which is what HQ is sent (HQ keeps a product's latest
//! figure): the sync task sends the lines in batches under a batch id chosen once, so a batch sent
//! again is entered once. A code the till's catalog does not know is refused here and never sent;
//! so is a product outside a category count. A till never refuses a sale for stock: counting
//! changes nothing of what it sells.

use jiff::Timestamp;
use shared::catalog::{LabelValue, ProductId, ProductStatus, ScannedCode, classify_scan};
use shared::money::Qty;
use shared::pricing::qty_from_label_price;
use shared::staff::StaffMember;
use shared::till_stock::TillCount;

use super::{Till, TillError, TillResult};
use crate::store::{CountLineStatus, TillProduct};

/// How many of a count's last lines the screen shows.
pub const LAST_LINES: usize = 8;

/// An open count to pick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountChoice {
    pub id: i64,
    /// The category's name of a category count (`None`: the whole branch).
    pub category: Option<String>,
    /// When HQ took its snapshot, in the branch's time.
    pub started: String,
    pub note: String,
}

/// A product scanned in count mode, waiting for its quantity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountItem {
    pub count: i64,
    pub product: ProductId,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub weighed: bool,
    /// What was scanned.
    pub scanned: String,
    /// A scale label's quantity: what Enter alone takes (otherwise one).
    pub label_qty: Option<Qty>,
    /// Counted of it so far in this count at this till.
    pub counted: Qty,
}

impl CountItem {
    /// What Enter alone counts: the label's quantity, else one (a piece, or a kilogram).
    pub fn default_qty(&self) -> Qty {
        self.label_qty.unwrap_or(Qty::ONE)
    }
}

/// A line counted here, as the count screen lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountedLine {
    pub name: String,
    pub unit: String,
    /// What the scan added.
    pub qty: Qty,
    /// The product's count after it (what HQ is sent).
    pub total: Qty,
    /// When, in the branch's time.
    pub at: String,
    pub status: CountLineStatus,
}

/// The count screen: the count, its last lines here, and where its lines stand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountView {
    pub count: CountChoice,
    pub last: Vec<CountedLine>,
    /// Lines kept here, not yet at HQ.
    pub waiting: u64,
    /// Lines HQ has.
    pub sent: u64,
    /// Lines HQ refused (the count was posted or cancelled meanwhile, …).
    pub refused: u64,
}

/// Reads a typed quantity: empty is `default`; a weighed good's is grams (`532`, `532g`) or
/// kilograms (`0.532`, `0.532kg`), any other's is pieces (`12`); a leading `-` takes some back
/// (a scan too many). Zero, or what is not a quantity, is refused.
pub fn count_qty(typed: &str, weighed: bool, default: Qty) -> TillResult<Qty> {
    let t = typed.trim().to_lowercase();
    if t.is_empty() {
        return Ok(default);
    }
    let bad = || TillError::Invalid(format!("`{typed}` is not a quantity"));
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.trim()),
        None => (false, t.as_str()),
    };
    let qty = if let Some(kg) = t.strip_suffix("kg") {
        Qty::parse(kg.trim()).map_err(|_| bad())?
    } else if let Some(g) = t.strip_suffix('g') {
        Qty(g.trim().parse::<i64>().map_err(|_| bad())?)
    } else if weighed && !t.contains('.') {
        Qty(t.parse::<i64>().map_err(|_| bad())?)
    } else {
        Qty::parse(t).map_err(|_| bad())?
    };
    if qty.0 <= 0 || qty.0 > shared::stock::MAX_MOVEMENT.0 {
        return Err(bad());
    }
    // Pieces are whole: a third of a can is not counted.
    if !weighed && qty.0 % 1000 != 0 {
        return Err(TillError::Invalid(format!("`{typed}`: count whole pieces")));
    }
    Ok(if negative { Qty(-qty.0) } else { qty })
}

impl Till {
    /// Who counts: a manager signed in (counting moves the branch's stock figures at HQ).
    fn counter(&self) -> TillResult<StaffMember> {
        let staff = self.cashier()?;
        if !staff.can_approve() {
            return Err(TillError::NotAManager);
        }
        Ok(staff.clone())
    }

    /// A time as the count and search screens show it: `14:05` today at the branch, else with
    /// its day (`11-30 14:05`).
    pub(crate) fn as_of_label(&self, at: Timestamp) -> TillResult<String> {
        let branch = self.branch()?;
        let zone = self.time_zone(&branch);
        let (then, now) = (at.to_zoned(zone.clone()), self.now().to_zoned(zone));
        Ok(if then.date() == now.date() {
            then.strftime("%H:%M").to_string()
        } else {
            then.strftime("%m-%d %H:%M").to_string()
        })
    }

    fn choice(&self, c: &TillCount) -> TillResult<CountChoice> {
        let category = match c.category_id {
            None => None,
            Some(k) => Some(self.store.category(k)?.map_or_else(|| k.0.to_string(), |x| x.name)),
        };
        Ok(CountChoice { id: c.id, category, started: self.as_of_label(c.started_at)?, note: c.note.clone() })
    }

    fn open_count(&self, id: i64) -> TillResult<TillCount> {
        self.store
            .open_counts()?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| TillError::Invalid(format!("count {id} is not open at this branch")))
    }

    /// The branch's open counts as last pulled from HQ, newest first (a manager signed in).
    pub fn open_counts(&self) -> TillResult<Vec<CountChoice>> {
        self.counter()?;
        self.store.open_counts()?.iter().map(|c| self.choice(c)).collect()
    }

    /// A count's screen: its last lines here and where its lines stand.
    pub fn count_view(&self, count: i64) -> TillResult<CountView> {
        self.counter()?;
        let c = self.open_count(count)?;
        let mut last = Vec::new();
        for l in self.store.count_lines(Some(count), LAST_LINES)? {
            let (name, unit) = match self.store.product(l.product)? {
                Some(p) => (p.product.name, p.product.unit),
                None => (l.scanned.clone(), String::new()),
            };
            last.push(CountedLine {
                name,
                unit,
                qty: l.qty,
                total: l.total,
                at: self.as_of_label(l.counted_at)?,
                status: l.status,
            });
        }
        let (waiting, sent, refused) = self.store.count_line_tally(count)?;
        Ok(CountView { count: self.choice(&c)?, last, waiting, sent, refused })
    }

    /// A code scanned (or typed) in count mode: the product it names in this till's catalog, by
    /// barcode, product code or scale label (whose weight is the quantity to take). Refused,
    /// nothing kept: a code the catalog does not know, a product no longer sold here, a product
    /// outside a category count, a count that is not open.
    pub fn count_scan(&self, count: i64, code: &str) -> TillResult<CountItem> {
        self.counter()?;
        let c = self.open_count(count)?;
        let code = code.trim();
        let rules = self.branch()?.barcode_rules;
        let (product, label_qty): (TillProduct, Option<Qty>) = match classify_scan(code, &rules)? {
            ScannedCode::Product(barcode) => {
                let p = match self.store.product_by_barcode(&barcode)? {
                    Some(p) => p,
                    None => self.store.product_by_code(&barcode)?.ok_or(TillError::UnknownBarcode(barcode.clone()))?,
                };
                (p, None)
            }
            ScannedCode::ScaleLabel(label) => {
                let p =
                    self.store.product_by_plu(label.plu)?.ok_or_else(|| TillError::UnknownBarcode(code.to_owned()))?;
                let qty = match label.value {
                    LabelValue::WeightGrams(grams) => Qty(grams),
                    LabelValue::Price(price) => qty_from_label_price(price, p.base_price())?,
                };
                (p, (qty.0 > 0).then_some(qty))
            }
            // A receipt or a member's card is no product.
            _ => return Err(TillError::UnknownBarcode(code.to_owned())),
        };
        if product.product.status == ProductStatus::Delisted {
            return Err(TillError::Delisted(product.product.name.clone()));
        }
        if let Some(k) = c.category_id
            && product.product.category != k
        {
            return Err(TillError::Invalid(format!(
                "{} is not in the category this count counts",
                product.product.name
            )));
        }
        Ok(CountItem {
            count,
            counted: self.store.counted_total(count, product.product.id)?,
            product: product.product.id,
            code: product.product.code,
            name: product.product.name,
            unit: product.product.unit,
            weighed: product.product.weighed,
            scanned: code.to_owned(),
            label_qty,
        })
    }

    /// Counts a scanned item: the typed quantity (empty: [`CountItem::default_qty`]) is kept on
    /// disk with the product's running total before this returns, for the sync task to send. The
    /// item is looked up again, so what is kept is what the catalog says now. Refused, nothing
    /// kept: a quantity that is not one, a total that would go below zero.
    pub fn record_count(&mut self, item: &CountItem, typed: &str) -> TillResult<CountView> {
        let staff = self.counter()?;
        let again = self.count_scan(item.count, &item.scanned)?;
        if again.product != item.product {
            return Err(TillError::Invalid(format!("{} names another product now", item.scanned)));
        }
        let qty = count_qty(typed, again.weighed, item.default_qty())?;
        let at = self.now();
        let kept =
            self.store.queue_count_line(item.count, item.product, &item.scanned, qty, at, &staff.name, staff.id)?;
        if kept.is_none() {
            return Err(TillError::Invalid(format!(
                "{}: that takes back more than was counted ({})",
                again.name,
                again.counted.display()
            )));
        }
        tracing::info!(count = item.count, product = item.product.0, qty = qty.0, "count line kept for HQ");
        self.count_view(item.count)
    }

    /// Lines counted here that wait to be sent to HQ.
    pub fn count_lines_waiting(&self) -> TillResult<u64> {
        Ok(self.store.pending_count_lines()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_as_typed() {
        let one = Qty::ONE;
        assert_eq!(count_qty("", false, one).ok(), Some(one));
        assert_eq!(count_qty("  ", true, Qty(532)).ok(), Some(Qty(532)));
        assert_eq!(count_qty("12", false, one).ok(), Some(Qty(12_000)));
        assert_eq!(count_qty("-1", false, one).ok(), Some(Qty(-1_000)));
        assert_eq!(count_qty("532", true, one).ok(), Some(Qty(532)));
        assert_eq!(count_qty("532g", true, one).ok(), Some(Qty(532)));
        assert_eq!(count_qty("0.532", true, one).ok(), Some(Qty(532)));
        assert_eq!(count_qty("1.5KG", true, one).ok(), Some(Qty(1_500)));
        for bad in ["0", "abc", "1.5", "-", "1..2", "99999999999"] {
            assert!(count_qty(bad, false, one).is_err(), "{bad}");
        }
        assert!(count_qty("0g", true, one).is_err());
    }
}
