//! Stock at the till (issue 19): the branch's on hand as HQ's ledger had it at the last pull, the
//! branch's open counts as last pulled, and the lines counted here, each kept durably from the
//! moment it is scanned until HQ has it or refused it.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};
use shared::catalog::ProductId;
use shared::ids::StaffId;
use shared::money::Qty;
use shared::till_stock::{TillCount, TillCountLine, TillStockPage};
use uuid::Uuid;

use super::{Store, StoreError, StoreResult, from_json, to_json};

/// A product's on hand at this branch, as of HQ's time at the last finished pull.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnHand {
    pub qty: Qty,
    /// HQ's time when the pull it came with finished (offline, it stays as it was).
    pub as_of: Timestamp,
    /// That time as the screen shows it, in the branch's time (`14:05`, or `11-30 14:05` when it
    /// is not today's); filled by the engine.
    pub label: String,
}

/// Where a line counted here stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CountLineStatus {
    /// Waiting to be sent (offline, or not sent yet).
    Pending,
    /// HQ has it.
    Sent,
    /// HQ refused its batch; kept with HQ's reason.
    Rejected(String),
}

/// A line counted here, as the till keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCountLine {
    pub seq: i64,
    pub count_id: i64,
    pub product: ProductId,
    /// What was scanned (or typed).
    pub scanned: String,
    /// What this scan added (thousandths).
    pub qty: Qty,
    /// The product's count in this count at this till after it: what HQ is sent.
    pub total: Qty,
    pub counted_at: Timestamp,
    pub counter: String,
    pub status: CountLineStatus,
}

/// A batch of count lines to send: its id (chosen once), the count, the counter, the lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountBatch {
    pub batch_id: Uuid,
    pub count_id: i64,
    pub counter: String,
    pub lines: Vec<TillCountLine>,
}

fn time(text: &str) -> StoreResult<Timestamp> {
    text.parse().map_err(|_| StoreError::Corrupt(format!("time `{text}`")))
}

impl Store {
    /// Where the pull of on hand stands (none: from the start).
    pub fn stock_cursor(&self) -> StoreResult<Option<String>> {
        Ok(self.meta("stock_cursor")?.filter(|c| !c.is_empty()))
    }

    /// HQ's time when the last pull of on hand finished (none: never).
    pub fn stock_as_of(&self) -> StoreResult<Option<Timestamp>> {
        self.meta("stock_as_of")?.map(|t| time(&t)).transpose()
    }

    /// Applies one page of on hand and moves the cursor, in one transaction; the last page of a
    /// pull (nothing more waits) also says as of when the figures are.
    pub fn apply_stock_page(&mut self, page: &TillStockPage) -> StoreResult<()> {
        self.tx(|tx| {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO stock_on_hand (product_id, on_hand) VALUES (?1, ?2)
                 ON CONFLICT (product_id) DO UPDATE SET on_hand = excluded.on_hand",
            )?;
            for l in &page.levels {
                upsert.execute(params![l.product_id.0, l.on_hand.0])?;
            }
            let mut meta = tx.prepare_cached(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?;
            if !page.next_cursor.is_empty() {
                meta.execute(params!["stock_cursor", page.next_cursor])?;
            }
            if !page.has_more {
                meta.execute(params!["stock_as_of", page.as_of.to_string()])?;
            }
            Ok(())
        })
    }

    /// A product's on hand as of the last finished pull (none before the first, or for a product
    /// that never moved at this branch).
    pub fn on_hand(&self, product: ProductId) -> StoreResult<Option<OnHand>> {
        let Some(as_of) = self.stock_as_of()? else {
            return Ok(None);
        };
        let qty: Option<i64> = self
            .conn()
            .prepare_cached("SELECT on_hand FROM stock_on_hand WHERE product_id = ?1")?
            .query_row([product.0], |r| r.get(0))
            .optional()?;
        Ok(qty.map(|q| OnHand { qty: Qty(q), as_of, label: String::new() }))
    }

    /// Replaces the open counts with the list HQ gave.
    pub fn replace_open_counts(&mut self, counts: &[TillCount]) -> StoreResult<()> {
        self.tx(|tx| {
            tx.execute("DELETE FROM open_counts", [])?;
            let mut insert = tx.prepare_cached("INSERT INTO open_counts (id, json) VALUES (?1, ?2)")?;
            for c in counts {
                insert.execute(params![c.id, to_json(c)?])?;
            }
            Ok(())
        })
    }

    /// The branch's open counts as last pulled, newest first.
    pub fn open_counts(&self) -> StoreResult<Vec<TillCount>> {
        let mut st = self.conn().prepare_cached("SELECT json FROM open_counts ORDER BY id DESC")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|j| from_json(&j?)).collect()
    }

    /// Keeps a counted line, on disk when this returns (`synchronous=FULL`): `qty` more of the
    /// product in the count (less, when below zero), its running total here with it. Refused
    /// (`None`, nothing written) when the total would go below zero.
    #[allow(clippy::too_many_arguments)] // one line's columns
    pub(crate) fn queue_count_line(
        &mut self,
        count: i64,
        product: ProductId,
        scanned: &str,
        qty: Qty,
        at: Timestamp,
        counter: &str,
        staff: StaffId,
    ) -> StoreResult<Option<i64>> {
        self.durable(|tx| {
            let before: i64 = tx
                .prepare_cached(
                    "SELECT total FROM count_lines WHERE count_id = ?1 AND product_id = ?2 AND status <> 'rejected'
                     ORDER BY seq DESC LIMIT 1",
                )?
                .query_row(params![count, product.0], |r| r.get(0))
                .optional()?
                .unwrap_or(0);
            let total = before + qty.0;
            if total < 0 {
                return Ok(None);
            }
            tx.prepare_cached(
                "INSERT INTO count_lines (count_id, product_id, scanned, qty, total, counted_at, counter, staff_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                count,
                product.0,
                scanned,
                qty.0,
                total,
                at.to_string(),
                counter,
                staff.0
            ])?;
            Ok(Some(tx.last_insert_rowid()))
        })
    }

    /// A product's running total in a count at this till (zero before its first line).
    pub fn counted_total(&self, count: i64, product: ProductId) -> StoreResult<Qty> {
        Ok(Qty(self
            .conn()
            .prepare_cached(
                "SELECT total FROM count_lines WHERE count_id = ?1 AND product_id = ?2 AND status <> 'rejected'
                 ORDER BY seq DESC LIMIT 1",
            )?
            .query_row(params![count, product.0], |r| r.get(0))
            .optional()?
            .unwrap_or(0)))
    }

    /// The newest lines counted here for a count (all counts: `None`), newest first.
    pub fn count_lines(&self, count: Option<i64>, limit: usize) -> StoreResult<Vec<StoredCountLine>> {
        let mut st = self.conn().prepare_cached(
            "SELECT seq, count_id, product_id, scanned, qty, total, counted_at, counter, status, reason FROM count_lines
             WHERE (?1 IS NULL OR count_id = ?1) ORDER BY seq DESC LIMIT ?2",
        )?;
        let rows = st.query_map(params![count, limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, Option<String>>(9)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, count_id, product, scanned, qty, total, at, counter, status, reason) = row?;
            out.push(StoredCountLine {
                seq,
                count_id,
                product: ProductId(product),
                scanned,
                qty: Qty(qty),
                total: Qty(total),
                counted_at: time(&at)?,
                counter,
                status: match status.as_str() {
                    "pending" => CountLineStatus::Pending,
                    "sent" => CountLineStatus::Sent,
                    "rejected" => CountLineStatus::Rejected(reason.unwrap_or_default()),
                    other => return Err(StoreError::Corrupt(format!("count line status `{other}`"))),
                },
            });
        }
        Ok(out)
    }

    /// A count's lines here: waiting, sent, refused.
    pub fn count_line_tally(&self, count: i64) -> StoreResult<(u64, u64, u64)> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT COALESCE(SUM(status = 'pending'), 0), COALESCE(SUM(status = 'sent'), 0),
                 COALESCE(SUM(status = 'rejected'), 0) FROM count_lines WHERE count_id = ?1",
            )?
            .query_row([count], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)? as u64))
            })?)
    }

    /// How many counted lines wait to be sent.
    pub fn pending_count_lines(&self) -> StoreResult<u64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM count_lines WHERE status = 'pending'", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    /// The next batch to send: a batch sent before and not answered (the same id, the same
    /// lines), else the oldest waiting lines of one count and counter (at most `limit`), given a
    /// batch id now, on disk before they are sent. `None`: nothing waits.
    pub fn next_count_batch(&mut self, limit: usize) -> StoreResult<Option<CountBatch>> {
        self.tx(|tx| {
            let oldest = tx
                .prepare_cached(
                    "SELECT batch_id, count_id, counter FROM count_lines WHERE status = 'pending' ORDER BY seq LIMIT 1",
                )?
                .query_row([], |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)))
                .optional()?;
            let Some((batch, count, counter)) = oldest else {
                return Ok(None);
            };
            let batch = match batch {
                Some(b) => b,
                None => {
                    let b = Uuid::now_v7().hyphenated().to_string();
                    tx.prepare_cached(
                        "UPDATE count_lines SET batch_id = ?1 WHERE seq IN (
                             SELECT seq FROM count_lines WHERE status = 'pending' AND batch_id IS NULL
                                 AND count_id = ?2 AND counter = ?3 ORDER BY seq LIMIT ?4)",
                    )?
                    .execute(params![b, count, counter, limit as i64])?;
                    b
                }
            };
            let mut st = tx.prepare_cached(
                "SELECT product_id, total, counted_at FROM count_lines WHERE batch_id = ?1 AND status = 'pending'
                 ORDER BY seq",
            )?;
            let rows =
                st.query_map([&batch], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)))?;
            let mut lines = Vec::new();
            for row in rows {
                let (product, total, at) = row?;
                lines.push(TillCountLine { product_id: ProductId(product), qty: Qty(total), counted_at: time(&at)? });
            }
            let batch_id = batch.parse().map_err(|_| StoreError::Corrupt(format!("batch id `{batch}`")))?;
            Ok(Some(CountBatch { batch_id, count_id: count, counter, lines }))
        })
    }

    /// Records HQ's answer to a batch: entered (now or before), or refused with HQ's reason.
    pub fn mark_count_batch(&mut self, batch: Uuid, outcome: Result<(), String>) -> StoreResult<()> {
        let id = batch.hyphenated().to_string();
        self.tx(|tx| {
            match outcome {
                Ok(()) => tx
                    .prepare_cached("UPDATE count_lines SET status = 'sent' WHERE batch_id = ?1 AND status = 'pending'")?
                    .execute([&id])?,
                Err(why) => tx
                    .prepare_cached(
                        "UPDATE count_lines SET status = 'rejected', reason = ?2 WHERE batch_id = ?1 AND status = 'pending'",
                    )?
                    .execute(params![id, why])?,
            };
            Ok(())
        })
    }
}
