//! Products in and out as CSV. An import checks every row first and lists each bad one with its
//! line number and reason; only a file without a bad row is applied, in one transaction.
//!
//! Columns (a header row names them; order is free): `code`, `barcodes` (separated by `|`),
//! `name`, `short_name`, `category` (a category code), `unit`, `retail_price` and `member_price`
//! (yuan, e.g. `12.50`), `vat` (percent: `13`, `9`, `6`, `0`), `points_eligible`,
//! `discount_eligible`, `weighed` (`yes`/`no`), `plu`, `status` (`active`/`delisted`), `brand` (a
//! brand code: one HQ does not know yet is created, named by its code, in the same transaction;
//! empty for none; without the column a product keeps its brand).
//! Required: code, name, category, unit, retail_price, vat. A row whose code exists updates it.

use std::collections::{HashMap, HashSet};
use std::io::Write;

pub use indicatif::ProgressBar;
use indicatif::ProgressStyle;
use shared::Money;
use shared::catalog::{Product, ProductId, ProductStatus};
use shared::money::{Bp, Currency};

use crate::model::Actor;
use crate::rules;
use crate::store::{ImportBrand, ImportRow, ImportSummary, Store, StoreError};

pub const COLUMNS: [&str; 15] = [
    "code",
    "barcodes",
    "name",
    "short_name",
    "category",
    "unit",
    "retail_price",
    "member_price",
    "vat",
    "points_eligible",
    "discount_eligible",
    "weighed",
    "plu",
    "status",
    "brand",
];

const REQUIRED: [&str; 6] = ["code", "name", "category", "unit", "retail_price", "vat"];

/// A row that cannot be imported.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowError {
    /// The line in the file (the header is line 1).
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A progress bar drawn on the terminal, for the CLI's imports. The imports report into any
/// `ProgressBar` they are given (a hidden one keeps count for the web console's job page); the
/// caller finishes it.
pub fn terminal_bar() -> ProgressBar {
    let pb = ProgressBar::new(0);
    pb.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb
}

/// Starts a phase of a long job on `progress`: its name (`checking`, `importing`) and its steps.
pub(crate) fn phase(progress: &ProgressBar, name: &'static str, steps: u64) {
    progress.set_message(name);
    progress.set_length(steps);
    progress.set_position(0);
}

fn parse_bool(field: &str, v: &str, default: bool) -> Result<bool, String> {
    match v.trim().to_lowercase().as_str() {
        "" => Ok(default),
        "1" | "true" | "yes" | "y" | "是" => Ok(true),
        "0" | "false" | "no" | "n" | "否" => Ok(false),
        other => Err(format!("{field} `{other}` is not yes or no")),
    }
}

fn parse_money(field: &str, v: &str) -> Result<Money, String> {
    Currency::CNY.parse(v).map_err(|e| format!("{field}: {e}"))
}

/// `13`, `13%`, `9.5` → basis points.
fn parse_vat(v: &str) -> Result<Bp, String> {
    let t = v.trim().trim_end_matches('%');
    Currency::CNY.parse(t).map(|m| Bp(m.0)).map_err(|_| format!("vat `{v}` is not a percentage like 13"))
}

/// Reads and checks every row. `Ok(rows)` only when no row is bad.
/// A CSV file opened for checking: a UTF-8 byte-order mark skipped, cells trimmed, rows of any
/// length (a short row is the caller's to name), and the header's columns by lower-case name.
pub struct CsvFile<'a> {
    pub reader: csv::Reader<&'a [u8]>,
    pub headers: csv::StringRecord,
    pub index: HashMap<String, usize>,
}

/// Opens `bytes` as a CSV file whose header may name only `columns` and must name `required`:
/// `Ok(Err(..))` lists every unknown and every missing column (line 1), so a wrong file is
/// refused whole before any row is read.
pub fn open_csv<'a>(
    bytes: &'a [u8],
    columns: &[&str],
    required: &[&str],
) -> Result<Result<CsvFile<'a>, Vec<RowError>>, CsvError> {
    let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text);
    let headers = reader.headers()?.clone();
    let index: HashMap<String, usize> = headers.iter().enumerate().map(|(i, h)| (h.trim().to_lowercase(), i)).collect();
    let mut errors: Vec<RowError> = headers
        .iter()
        .filter(|h| !columns.contains(&h.trim().to_lowercase().as_str()))
        .map(|h| RowError { line: 1, reason: format!("unknown column `{h}`") })
        .collect();
    for r in required.iter().filter(|r| !index.contains_key(**r)) {
        errors.push(RowError { line: 1, reason: format!("the required column `{r}` is missing") });
    }
    Ok(if errors.is_empty() { Ok(CsvFile { reader, headers, index }) } else { Err(errors) })
}

pub fn parse_products(
    store: &dyn Store,
    csv_bytes: &[u8],
    progress: &ProgressBar,
) -> Result<Result<Vec<ImportRow>, Vec<RowError>>, CsvError> {
    let CsvFile { mut reader, headers, index } = match open_csv(csv_bytes, &COLUMNS, &REQUIRED)? {
        Ok(file) => file,
        Err(errors) => return Ok(Err(errors)),
    };
    let mut errors = Vec::new();
    let categories: HashMap<String, shared::catalog::CategoryId> =
        store.list_categories()?.into_iter().map(|c| (c.code, c.id)).collect();
    let catalog_empty = store.count_products()? == 0;

    let records: Vec<(u64, Result<csv::StringRecord, csv::Error>)> = reader
        .records()
        .map(|r| {
            let line = match &r {
                Ok(rec) => rec.position().map_or(0, |p| p.line()),
                Err(e) => e.position().map_or(0, |p| p.line()),
            };
            (line, r)
        })
        .collect();
    let pb = progress;
    phase(pb, "checking", records.len() as u64);
    let mut products = Vec::with_capacity(records.len());
    let mut codes: HashMap<String, u64> = HashMap::new();
    let mut barcodes: HashMap<String, u64> = HashMap::new();
    let mut plus: HashSet<u32> = HashSet::new();
    for (line, record) in records {
        pb.inc(1);
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError { line, reason: format!("unreadable row: {e}") });
                continue;
            }
        };
        if record.len() != headers.len() {
            errors.push(RowError {
                line,
                reason: format!("{} fields where the header has {}", record.len(), headers.len()),
            });
            continue;
        }
        let get = |name: &str| index.get(name).and_then(|i| record.get(*i)).unwrap_or("");
        let row = (|| -> Result<ImportRow, String> {
            let brand = if index.contains_key("brand") {
                match get("brand") {
                    "" => ImportBrand::AsGiven,
                    code => {
                        rules::brand_code(code)?;
                        ImportBrand::Code(code.to_owned())
                    }
                }
            } else {
                ImportBrand::Keep
            };
            let category_code = get("category");
            let category =
                *categories.get(category_code).ok_or_else(|| format!("unknown category `{category_code}`"))?;
            let member_price = match get("member_price") {
                "" => None,
                v => Some(parse_money("member_price", v)?),
            };
            let plu = match get("plu") {
                "" => None,
                v => Some(v.parse::<u32>().map_err(|_| format!("plu `{v}` is not a number"))?),
            };
            let status = match get("status").to_lowercase().as_str() {
                "" | "active" => ProductStatus::Active,
                "delisted" => ProductStatus::Delisted,
                other => return Err(format!("status `{other}` is not active or delisted")),
            };
            let mut p = Product {
                brand: None,
                id: ProductId(0),
                code: get("code").to_owned(),
                barcodes: get("barcodes")
                    .split(['|', ';', ' '])
                    .map(str::trim)
                    .filter(|b| !b.is_empty())
                    .map(str::to_owned)
                    .collect(),
                name: get("name").to_owned(),
                short_name: get("short_name").to_owned(),
                category,
                unit: get("unit").to_owned(),
                retail_price: parse_money("retail_price", get("retail_price"))?,
                member_price,
                vat: parse_vat(get("vat"))?,
                points_eligible: parse_bool("points_eligible", get("points_eligible"), true)?,
                discount_eligible: parse_bool("discount_eligible", get("discount_eligible"), true)?,
                weighed: parse_bool("weighed", get("weighed"), false)?,
                plu,
                status,
            };
            rules::product(&mut p)?;
            Ok(ImportRow { product: p, brand })
        })();
        let (p, brand) = match row {
            Ok(r) => (r.product, r.brand),
            Err(reason) => {
                errors.push(RowError { line, reason });
                continue;
            }
        };
        if let Some(first) = codes.insert(p.code.clone(), line) {
            errors.push(RowError { line, reason: format!("product code `{}` is also on line {first}", p.code) });
            continue;
        }
        let mut bad = None;
        for b in &p.barcodes {
            if let Some(first) = barcodes.insert(b.clone(), line) {
                bad = Some(format!("barcode {b} is also on line {first}"));
                break;
            }
            if !catalog_empty
                && let Some(owner) = store.product_by_barcode(b)?
                && owner.code != p.code
            {
                bad = Some(format!("barcode {b} belongs to product `{}`", owner.code));
                break;
            }
        }
        if let Some(plu) = p.plu
            && !plus.insert(plu)
        {
            bad = bad.or(Some(format!("PLU {plu} is used twice in the file")));
        }
        match bad {
            Some(reason) => errors.push(RowError { line, reason }),
            None => products.push(ImportRow { product: p, brand }),
        }
    }
    if errors.is_empty() { Ok(Ok(products)) } else { Ok(Err(errors)) }
}

/// Checks every row, then applies all of them in one transaction, or none.
pub fn import_products(
    store: &dyn Store,
    actor: &Actor,
    csv_bytes: &[u8],
    progress: &ProgressBar,
) -> Result<Result<ImportSummary, Vec<RowError>>, CsvError> {
    let rows = match parse_products(store, csv_bytes, progress)? {
        Ok(r) => r,
        Err(errors) => return Ok(Err(errors)),
    };
    phase(progress, "importing", rows.len() as u64);
    let summary = store.import_rows(actor, rows, &|n| progress.set_position(n))?;
    Ok(Ok(summary))
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// Writes every product in the import format; returns how many.
pub fn export_products(store: &dyn Store, out: impl Write) -> Result<u64, CsvError> {
    let categories: HashMap<i64, String> = store.list_categories()?.into_iter().map(|c| (c.id.0, c.code)).collect();
    let brands: HashMap<i64, String> = store.list_brands()?.into_iter().map(|b| (b.brand.id.0, b.brand.code)).collect();
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COLUMNS)?;
    let money = |m: Money| Currency::CNY.format_plain(m);
    let mut after = 0;
    let mut n = 0;
    loop {
        let page = store.list_products(after, 1000, None)?;
        let Some(last) = page.last() else { break };
        after = last.id.0;
        for p in &page {
            let vat = Currency::CNY.format_plain(Money(p.vat.0));
            let vat = vat.trim_end_matches(".00");
            w.write_record([
                p.code.as_str(),
                &p.barcodes.join("|"),
                &p.name,
                &p.short_name,
                categories.get(&p.category.0).map_or("", String::as_str),
                &p.unit,
                &money(p.retail_price),
                &p.member_price.map(money).unwrap_or_default(),
                vat,
                yes_no(p.points_eligible),
                yes_no(p.discount_eligible),
                yes_no(p.weighed),
                &p.plu.map(|x| x.to_string()).unwrap_or_default(),
                if p.status == ProductStatus::Delisted { "delisted" } else { "active" },
                p.brand.and_then(|b| brands.get(&b.0)).map_or("", String::as_str),
            ])?;
            n += 1;
        }
    }
    w.flush()?;
    Ok(n)
}
