use super::conn::{OptionalExtension, params};

use super::{SqlStore, from_micros};
use crate::audit::{ChainChecker, EntryFields};
use crate::model::{AuditRecord, AuditVerdict};
use crate::store::{AuditStore, StoreResult};

fn json_or_none(s: &str) -> Option<serde_json::Value> {
    if s.is_empty() { None } else { serde_json::from_str(s).ok() }
}

impl AuditStore for SqlStore {
    fn list_audit(&self, after: i64, limit: u32) -> StoreResult<Vec<AuditRecord>> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT id, at, actor, client, action, entity, before, after, prev_hash, hash
                 FROM audit_log WHERE id > ?1 ORDER BY id LIMIT ?2",
            )?;
            let rows = st
                .query_map(params![after, limit], |r| {
                    let before: String = r.get(6)?;
                    let after: String = r.get(7)?;
                    Ok(AuditRecord {
                        id: r.get(0)?,
                        at: from_micros(r.get(1)?),
                        actor: r.get(2)?,
                        from: r.get(3)?,
                        action: r.get(4)?,
                        entity: r.get(5)?,
                        before: json_or_none(&before),
                        after: json_or_none(&after),
                        prev_hash: r.get(8)?,
                        hash: r.get(9)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn verify_audit(&self) -> StoreResult<AuditVerdict> {
        self.read(|c| {
            let mut checker = ChainChecker::new(&self.audit_key);
            let mut st = c.prepare(
                "SELECT id, at, actor, client, action, entity, before, after, prev_hash, hash FROM audit_log ORDER BY id",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next_row()? {
                let (actor, from, action, entity): (String, String, String, String) =
                    (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
                let (before, after, prev, hash): (String, String, String, String) =
                    (r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?);
                let fields = EntryFields {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    actor: &actor,
                    from: &from,
                    action: &action,
                    entity: &entity,
                    before: &before,
                    after: &after,
                };
                checker.check(&fields, &prev, &hash);
            }
            let head: Option<(i64, String)> = c
                .query_row("SELECT last_id, last_hash FROM audit_head WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let (entries, problems) = checker.finish(head);
            Ok(AuditVerdict { entries, problems })
        })
    }

    fn audit_head(&self) -> StoreResult<Option<shared::sync::AuditHead>> {
        self.read(|c| {
            Ok(c.query_row("SELECT last_id, last_hash FROM audit_head WHERE id = 1", [], |r| {
                Ok(shared::sync::AuditHead { id: r.get(0)?, hash: r.get(1)? })
            })
            .optional()?)
        })
    }

    fn check_witnesses(&self, witnesses: &[shared::sync::AuditHead]) -> StoreResult<Vec<String>> {
        self.read(|c| {
            let mut problems = Vec::new();
            for w in witnesses {
                let stored: Option<String> = c
                    .prepare_cached("SELECT hash FROM audit_log WHERE id = ?1")?
                    .query_row([w.id], |r| r.get(0))
                    .optional()?;
                match stored {
                    None => problems.push(format!("entry {} that a till holds a copy of is missing", w.id)),
                    Some(h) if h != w.hash => problems
                        .push(format!("entry {} differs from the copy a till holds: the log was rewritten", w.id)),
                    Some(_) => {}
                }
            }
            Ok(problems)
        })
    }
}
