use super::conn::{OptionalExtension, params};
use jiff::Timestamp;
use jiff::civil::Date;
use shared::ids::{BranchId, TillId};
use shared::sync::{Event, EventEnvelope, SaleHistory};

use super::{SqlStore, from_micros, ingest, not_found};
use crate::model::{ChangePage, FlaggedSale, GapRecord, IngestOutcome, SaleSummary, StoredEvent, Till, TillSyncStatus};
use crate::store::{StoreError, StoreResult, SyncStore};

impl SyncStore for SqlStore {
    fn ingest(
        &self,
        till: &Till,
        events: &[EventEnvelope],
        verdicts: &[crate::event_checks::Verdict],
        received_at: Timestamp,
        clock_skew_seconds: i64,
    ) -> StoreResult<IngestOutcome> {
        if events.len() != verdicts.len() {
            return Err(StoreError::Internal("one verdict per event is needed".into()));
        }
        self.write(|tx| ingest::apply_batch(self, tx, till, events, verdicts, received_at, clock_skew_seconds))
    }

    fn pull(&self, branch: BranchId, cursor: u64, limit: u32) -> StoreResult<ChangePage> {
        self.read(|c| {
            let cursor_i = i64::try_from(cursor).unwrap_or(i64::MAX);
            let mut st = c.prepare_cached(
                "SELECT seq, payload FROM changes WHERE seq > ?1 AND (branch_id IS NULL OR branch_id = ?2)
                 ORDER BY seq LIMIT ?3",
            )?;
            let mut changes: Vec<(u64, String)> = st
                .query_map(params![cursor_i, branch.0, i64::from(limit) + 1], |r| {
                    Ok((r.get::<_, i64>(0)?.max(0) as u64, r.get(1)?))
                })?
                .collect::<Result<_, _>>()?;
            let has_more = changes.len() > limit as usize;
            changes.truncate(limit as usize);
            let latest: i64 = c.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| r.get(0))?;
            let latest = latest.max(0) as u64;
            // With nothing more for this branch in this snapshot, the till may skip to the newest seq:
            // everything up to it is either sent or for another branch.
            let next_cursor = match changes.last() {
                Some((seq, _)) if has_more => *seq,
                _ => latest.max(cursor),
            };
            Ok(ChangePage { changes, next_cursor, has_more, latest })
        })
    }

    fn sync_status(&self, till: TillId) -> StoreResult<TillSyncStatus> {
        self.read(|c| {
            let (branch, number): (i64, u16) = c
                .query_row("SELECT branch_id, number FROM tills WHERE id = ?1", [till.0], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .map_err(StoreError::from)
                .map_err(not_found(format!("till {till}")))?;
            let sync: Option<(i64, Option<i64>, Option<i64>)> = c
                .query_row(
                    "SELECT next_seq, last_push_at, clock_skew_seconds FROM till_sync WHERE till_id = ?1",
                    [till.0],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let (next_seq, last_push_at, skew) = sync.unwrap_or((1, None, None));
            let count = |status: &str| -> StoreResult<u64> {
                Ok(c.query_row(
                    "SELECT COUNT(*) FROM events WHERE till_id = ?1 AND status = ?2",
                    params![till.0, status],
                    |r| r.get::<_, i64>(0),
                )?
                .max(0) as u64)
            };
            let mut st = c.prepare(
                "SELECT expected, received, detected_at, filled_at FROM seq_gaps
                 WHERE till_id = ?1 AND filled_at IS NULL ORDER BY id",
            )?;
            let open_gaps = st
                .query_map([till.0], |r| {
                    Ok(GapRecord {
                        expected: r.get::<_, i64>(0)?.max(0) as u64,
                        received: r.get::<_, i64>(1)?.max(0) as u64,
                        detected_at: from_micros(r.get(2)?),
                        filled_at: r.get::<_, Option<i64>>(3)?.map(from_micros),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(TillSyncStatus {
                till_id: till,
                branch_id: BranchId(branch),
                till_number: number,
                next_seq: next_seq.max(1) as u64,
                events_accepted: count("accepted")?,
                events_rejected: count("rejected")?,
                last_push_at: last_push_at.map(from_micros),
                clock_skew_seconds: skew,
                open_gaps,
            })
        })
    }

    fn list_events(&self, till: TillId, rejected_only: bool, limit: u32) -> StoreResult<Vec<StoredEvent>> {
        self.read(|c| {
            let mut st = c.prepare(&format!(
                "SELECT id, seq, kind, till_at, received_at, status, reason,
                        (SELECT {} FROM event_flags f WHERE f.event_id = e.id)
                 FROM events e
                 WHERE till_id = ?1 AND (?2 = 0 OR status = 'rejected') ORDER BY seq DESC LIMIT ?3",
                c.lines_agg("flag")
            ))?;
            let rows = st
                .query_map(params![till.0, rejected_only, limit], |r| {
                    Ok(StoredEvent {
                        id: r.get(0)?,
                        seq: r.get::<_, i64>(1)?.max(0) as u64,
                        kind: r.get(2)?,
                        till_at: from_micros(r.get(3)?),
                        received_at: from_micros(r.get(4)?),
                        status: r.get(5)?,
                        reason: r.get(6)?,
                        flags: r
                            .get::<_, Option<String>>(7)?
                            .map(|f| f.lines().map(str::to_owned).collect())
                            .unwrap_or_default(),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn flagged_sales(&self, flag_prefix: &str, branch: Option<BranchId>, limit: u32) -> StoreResult<Vec<FlaggedSale>> {
        let like = format!("{}%", flag_prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        self.read(|c| {
            let rows = c
                .prepare_cached(
                    "SELECT e.till_id, b.code, t.number, s.receipt_no, e.received_at, f.flag
                     FROM event_flags f
                     JOIN events e ON e.id = f.event_id
                     JOIN tills t ON t.id = e.till_id
                     JOIN branches b ON b.id = t.branch_id
                     LEFT JOIN sales s ON s.event_id = e.id
                     WHERE e.kind = 'sale_completed' AND f.flag LIKE ?1 ESCAPE '\\'
                       AND (CAST(?2 AS BIGINT) IS NULL OR t.branch_id = ?2)
                     ORDER BY f.at DESC, e.seq DESC LIMIT ?3",
                )?
                .query_map(params![like, branch.map(|b| b.0), limit], |r| {
                    Ok(FlaggedSale {
                        till_id: TillId(r.get(0)?),
                        branch_code: r.get(1)?,
                        till_number: u16::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                        receipt_no: r.get(3)?,
                        received_at: from_micros(r.get(4)?),
                        flag: r.get(5)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn sale_history(&self, branch: BranchId, receipt_no: &str) -> StoreResult<Option<SaleHistory>> {
        self.read(|c| {
            let found: Option<(String, String)> = c
                .query_row(
                    "SELECT s.id, e.payload FROM sales s JOIN events e ON e.id = s.event_id
                     WHERE s.receipt_no = ?1 AND s.branch_id = ?2",
                    params![receipt_no, branch.0],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((sale_id, payload)) = found else { return Ok(None) };
            let Event::SaleCompleted(sale) = serde_json::from_str(&payload)? else {
                return Err(StoreError::Internal(format!("sale {sale_id} is stored with another event")));
            };
            let mut st = c.prepare(
                "SELECT e.payload FROM refunds r JOIN events e ON e.id = r.event_id
                 WHERE r.sale_id = ?1 ORDER BY r.refunded_at, r.id",
            )?;
            let payloads = st.query_map([&sale_id], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
            let mut refunds = Vec::with_capacity(payloads.len());
            for p in payloads {
                match serde_json::from_str(&p)? {
                    Event::SaleRefunded(r) | Event::SaleVoided(r) => refunds.push(r),
                    _ => {
                        return Err(StoreError::Internal(format!(
                            "a refund of sale {sale_id} is stored with another event"
                        )));
                    }
                }
            }
            Ok(Some(SaleHistory { sale, refunds }))
        })
    }

    fn list_sales(&self, branch: Option<BranchId>, day: Option<Date>, limit: u32) -> StoreResult<Vec<SaleSummary>> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT s.id, s.receipt_no, s.branch_id, s.till_id, s.completed_at, s.business_day, s.due,
                        (SELECT COUNT(*) FROM sale_lines l WHERE l.sale_id = s.id),
                        (SELECT COUNT(*) FROM sale_tenders t WHERE t.sale_id = s.id),
                        s.member_id, s.points_earned, s.received_at
                 FROM sales s WHERE (CAST(?1 AS BIGINT) IS NULL OR s.branch_id = ?1) AND (CAST(?3 AS TEXT) IS NULL OR s.business_day = ?3)
                 ORDER BY s.completed_at DESC, s.id DESC LIMIT ?2",
            )?;
            let rows = st
                .query_map(params![branch.map(|b| b.0), limit, day.map(|d| d.to_string())], |r| {
                    let day: String = r.get(5)?;
                    Ok(SaleSummary {
                        id: r.get(0)?,
                        receipt_no: r.get(1)?,
                        branch_id: BranchId(r.get(2)?),
                        till_id: TillId(r.get(3)?),
                        completed_at: from_micros(r.get(4)?),
                        business_day: day.parse().unwrap_or_default(),
                        due: r.get(6)?,
                        lines: r.get(7)?,
                        tenders: r.get(8)?,
                        member_id: r.get(9)?,
                        points_earned: r.get(10)?,
                        received_at: from_micros(r.get(11)?),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }
}
