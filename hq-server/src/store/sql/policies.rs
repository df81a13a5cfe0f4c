//! The member policy's versions: the store's cached list of them, the version in force or of a
//! number inside a transaction, and [`PolicyStore`].

use jiff::Timestamp;
use shared::policy::MemberPolicy;
use shared::sync::Change;

use super::conn::{Conn, OptionalExtension, params};
use super::{SqlStore, append_audit, emit, from_micros, micros};
use crate::model::Actor;
use crate::store::{PolicyStore, StoreError, StoreResult};

impl SqlStore {
    /// Every policy version, from the cache when it is current.
    pub(crate) fn all_policies(&self) -> StoreResult<std::sync::Arc<Vec<MemberPolicy>>> {
        self.read(|c| self.all_policies_tx(c))
    }

    /// Every policy version as the caller's transaction sees them: from the cache when it holds
    /// exactly those (versions are only ever appended, so the newest version number tells, and
    /// a policy added by another process is seen too), else read here. The cache only moves
    /// forward, so a reader on an older snapshot never puts back a list without the newest version.
    pub(crate) fn all_policies_tx(&self, c: &Conn<'_>) -> StoreResult<std::sync::Arc<Vec<MemberPolicy>>> {
        let seen: i64 =
            c.prepare_cached("SELECT COALESCE(MAX(version), 0) FROM member_policies")?.query_row([], |r| r.get(0))?;
        self.policies_at(c, seen)
    }

    /// [`SqlStore::all_policies_tx`] when the caller has read the newest version (`seen`) in the
    /// same transaction: the cached list if it is that version's, else read again.
    pub(crate) fn policies_at(&self, c: &Conn<'_>, seen: i64) -> StoreResult<std::sync::Arc<Vec<MemberPolicy>>> {
        fn newest(all: &[MemberPolicy]) -> i64 {
            all.last().map_or(0, |p| i64::from(p.version))
        }
        let cached = self.policies.lock().ok().and_then(|guard| guard.clone());
        if let Some(all) = cached.filter(|all| newest(all) == seen) {
            return Ok(all);
        }
        let rows: Vec<String> = c
            .prepare_cached("SELECT policy FROM member_policies ORDER BY version")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let all: Vec<MemberPolicy> =
            rows.iter().map(|j| serde_json::from_str(j).map_err(StoreError::from)).collect::<StoreResult<_>>()?;
        let all = std::sync::Arc::new(all);
        if let Ok(mut guard) = self.policies.lock()
            && guard.as_ref().is_none_or(|cached| newest(cached) < seen)
        {
            *guard = Some(all.clone());
        }
        Ok(all)
    }
}

/// The policy version in force at `at` (the first version if none is in force yet), in any transaction.
pub(crate) fn policy_in_force_tx(c: &Conn<'_>, at: Timestamp) -> StoreResult<MemberPolicy> {
    if let Some(all) = c.policies.borrow().as_ref() {
        return in_force_of(all, at).cloned();
    }
    let json: Option<String> = c
        .prepare_cached(
            "SELECT policy FROM member_policies WHERE effective_from <= ?1 ORDER BY effective_from DESC, version DESC LIMIT 1",
        )?
        .query_row([micros(at)], |r| r.get(0))
        .optional()?;
    let json = match json {
        Some(j) => j,
        None => c
            .prepare_cached("SELECT policy FROM member_policies ORDER BY version LIMIT 1")?
            .query_row([], |r| r.get(0))?,
    };
    Ok(serde_json::from_str(&json)?)
}

/// The version in force at `at` among `all` (the first version if none is in force yet).
pub(crate) fn in_force_of(all: &[MemberPolicy], at: Timestamp) -> StoreResult<&MemberPolicy> {
    shared::policy::in_force(all, at)
        .or_else(|| all.iter().min_by_key(|p| p.version))
        .ok_or_else(|| StoreError::Internal("HQ has no member policy".into()))
}

/// A policy version by number, in any transaction.
pub(crate) fn policy_version_tx(c: &Conn<'_>, version: u32) -> StoreResult<Option<MemberPolicy>> {
    if let Some(all) = c.policies.borrow().as_ref() {
        return Ok(all.iter().find(|p| p.version == version).cloned());
    }
    let json: Option<String> = c
        .prepare_cached("SELECT policy FROM member_policies WHERE version = ?1")?
        .query_row([version], |r| r.get(0))
        .optional()?;
    json.map(|j| serde_json::from_str(&j).map_err(Into::into)).transpose()
}

impl PolicyStore for SqlStore {
    fn current_policy(&self) -> StoreResult<MemberPolicy> {
        self.read(|c| {
            let json: String =
                c.query_row("SELECT policy FROM member_policies ORDER BY version DESC LIMIT 1", [], |r| r.get(0))?;
            Ok(serde_json::from_str(&json)?)
        })
    }

    fn policy_in_force(&self, at: Timestamp) -> StoreResult<MemberPolicy> {
        in_force_of(&self.all_policies()?, at).cloned()
    }

    fn policy_version(&self, version: u32) -> StoreResult<MemberPolicy> {
        self.read(|c| {
            policy_version_tx(c, version)?.ok_or_else(|| StoreError::NotFound(format!("policy version {version}")))
        })
    }

    fn list_policies(&self) -> StoreResult<Vec<crate::model::PolicyVersion>> {
        self.read(|c| {
            let rows: Vec<(String, i64, String)> = c
                .prepare("SELECT policy, created_at, created_by FROM member_policies ORDER BY version DESC")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?;
            rows.into_iter()
                .map(|(p, at, by)| {
                    Ok(crate::model::PolicyVersion {
                        policy: serde_json::from_str(&p)?,
                        created_at: from_micros(at),
                        created_by: by,
                    })
                })
                .collect()
        })
    }

    fn create_policy(&self, actor: &Actor, mut policy: MemberPolicy) -> StoreResult<MemberPolicy> {
        policy.validate().map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.write(|tx| {
            let last: i64 = tx.query_row("SELECT COALESCE(MAX(version), 0) FROM member_policies", [], |r| r.get(0))?;
            let before: Option<MemberPolicy> = policy_version_tx(tx, u32::try_from(last).unwrap_or(0))?;
            policy.version = u32::try_from(last + 1).map_err(|_| StoreError::Internal("too many policy versions".into()))?;
            let now = self.now();
            tx.execute(
                "INSERT INTO member_policies (version, effective_from, policy, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![policy.version, micros(policy.effective_from), serde_json::to_string(&policy)?, micros(now), actor.who],
            )?;
            emit(tx, &format!("policy:{}", policy.version), None, &Change::Policy(policy.clone()))?;
            append_audit(tx, &self.audit_key, actor, self.now(), "create", &format!("policy:{}", policy.version), before.as_ref(), Some(&policy))?;
            Ok(policy)
        })
    }
}
