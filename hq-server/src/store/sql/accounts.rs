use super::conn::{Conn, OptionalExtension, Row, params};
use jiff::Timestamp;
use shared::ids::BranchId;

use super::{SqlStore, append_audit, micros, not_found};
use crate::model::{Actor, NewUser, Role, User, UserPatch};
use crate::store::{AccountStore, AttemptReservation, StoreError, StoreResult};

const USER_COLUMNS: &str = "id, username, display_name, role, branch_id, active";

fn user_row(r: &Row<'_>) -> super::conn::Result<User> {
    let role: String = r.get(3)?;
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        role: Role::parse(&role).unwrap_or(Role::Marketing),
        branch_id: r.get::<_, Option<i64>>(4)?.map(BranchId),
        active: r.get(5)?,
    })
}

fn load_user(c: &Conn<'_>, id: i64) -> StoreResult<User> {
    c.query_row(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"), [id], user_row)
        .map_err(StoreError::from)
        .map_err(not_found(format!("user {id}")))
}

impl AccountStore for SqlStore {
    fn create_user(&self, actor: &Actor, user: NewUser) -> StoreResult<User> {
        self.write(|tx| {
            let taken: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1)", [&user.username], |r| {
                    r.get(0)
                })?;
            if taken {
                return Err(StoreError::Conflict(format!("username `{}` is taken", user.username)));
            }
            if let Some(b) = user.branch_id {
                let exists: bool =
                    tx.query_row("SELECT EXISTS (SELECT 1 FROM branches WHERE id = ?1)", [b.0], |r| r.get(0))?;
                if !exists {
                    return Err(StoreError::Invalid(format!("branch {b} does not exist")));
                }
            }
            let id: i64 = tx.query_row(
                "INSERT INTO users (username, display_name, role, branch_id, password_hash, active, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6) RETURNING id",
                params![
                    user.username,
                    user.display_name,
                    user.role.code(),
                    user.branch_id.map(|b| b.0),
                    user.password_hash,
                    micros(self.now())
                ],
                |r| r.get(0),
            )?;
            let created = load_user(tx, id)?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                self.now(),
                "create",
                &format!("user:{}", created.id),
                None::<&()>,
                Some(&created),
            )?;
            Ok(created)
        })
    }

    fn update_user(&self, actor: &Actor, id: i64, patch: UserPatch) -> StoreResult<User> {
        self.write(|tx| {
            let before = load_user(tx, id)?;
            let mut after = before.clone();
            if let Some(n) = patch.display_name {
                after.display_name = n;
            }
            if let Some(r) = patch.role {
                after.role = r;
            }
            if let Some(b) = patch.branch_id {
                after.branch_id = b;
            }
            if let Some(a) = patch.active {
                after.active = a;
            }
            if after.role == Role::BranchManager && after.branch_id.is_none() {
                return Err(StoreError::Invalid("a branch manager needs a branch".into()));
            }
            if after.role != Role::BranchManager {
                after.branch_id = None;
            }
            tx.execute(
                "UPDATE users SET display_name = ?2, role = ?3, branch_id = ?4, active = ?5 WHERE id = ?1",
                params![id, after.display_name, after.role.code(), after.branch_id.map(|b| b.0), after.active],
            )?;
            let password_changed = patch.password_hash.is_some();
            if let Some(h) = patch.password_hash {
                tx.execute("UPDATE users SET password_hash = ?2 WHERE id = ?1", params![id, h])?;
            }
            // A deactivated user, or one whose password or role changed, signs in again.
            if password_changed || !after.active || after.role != before.role || after.branch_id != before.branch_id {
                tx.execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
            }
            let action = if password_changed { "update (password changed)" } else { "update" };
            append_audit(
                tx,
                &self.audit_key,
                actor,
                self.now(),
                action,
                &format!("user:{id}"),
                Some(&before),
                Some(&after),
            )?;
            Ok(after)
        })
    }

    fn get_user(&self, id: i64) -> StoreResult<User> {
        self.read(|c| load_user(c, id))
    }

    fn list_users(&self) -> StoreResult<Vec<User>> {
        self.read(|c| {
            let mut st = c.prepare(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))?;
            let rows = st.query_map([], user_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn count_users(&self) -> StoreResult<u64> {
        self.read(|c| Ok(c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get::<_, i64>(0))?.max(0) as u64))
    }

    fn user_for_login(&self, username: &str) -> StoreResult<Option<(User, String)>> {
        self.read(|c| {
            Ok(c.query_row(
                &format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = ?1"),
                [username],
                |r| Ok((user_row(r)?, r.get(6)?)),
            )
            .optional()?)
        })
    }

    fn create_session(&self, user: i64, token_hash: &str, expires_at: Timestamp) -> StoreResult<()> {
        self.write(|tx| {
            let now = micros(self.now());
            tx.execute("DELETE FROM sessions WHERE expires_at < ?1", [now])?;
            tx.execute(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![token_hash, user, now, micros(expires_at)],
            )?;
            Ok(())
        })
    }

    fn session_user(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<User>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {} FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.active = 1",
                USER_COLUMNS.split(", ").map(|col| format!("u.{col}")).collect::<Vec<_>>().join(", ")
            ))?
            .query_row(params![token_hash, micros(now)], user_row)
            .optional()?)
        })
    }

    fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
            Ok(())
        })
    }

    fn clear_failures(&self, key: &str) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM login_failures WHERE key = ?1", [key])?;
            Ok(())
        })
    }

    fn reserve_attempt(
        &self,
        keys: &[(String, u64)],
        since: Timestamp,
        at: Timestamp,
    ) -> StoreResult<Result<AttemptReservation, usize>> {
        self.write(|tx| {
            let mut earlier = Vec::with_capacity(keys.len());
            for (i, (key, limit)) in keys.iter().enumerate() {
                let n: i64 = tx
                    .prepare_cached("SELECT COUNT(*) FROM login_failures WHERE key = ?1 AND at >= ?2")?
                    .query_row(params![key, micros(since)], |r| r.get(0))?;
                let n = n.max(0) as u64;
                if n >= *limit {
                    return Ok(Err(i));
                }
                earlier.push(n);
            }
            tx.execute("DELETE FROM login_failures WHERE at < ?1", [micros(at) - 86_400_000_000])?;
            let mut rows = Vec::with_capacity(keys.len());
            for (key, _) in keys {
                rows.push(
                    tx.prepare_cached("INSERT INTO login_failures (key, at) VALUES (?1, ?2) RETURNING id")?
                        .query_row(params![key, micros(at)], |r| r.get(0))?,
                );
            }
            Ok(Ok(AttemptReservation { rows, earlier }))
        })
    }

    fn release_attempt(&self, reservation: &AttemptReservation) -> StoreResult<()> {
        self.write(|tx| {
            for id in &reservation.rows {
                tx.prepare_cached("DELETE FROM login_failures WHERE id = ?1")?.execute([id])?;
            }
            Ok(())
        })
    }

    fn remember_good(&self, key: &str, at: Timestamp) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO login_known (key, at) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET at = excluded.at",
                params![key, micros(at)],
            )?;
            Ok(())
        })
    }

    fn is_known_good(&self, key: &str, since: Timestamp) -> StoreResult<bool> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT 1 FROM login_known WHERE key = ?1 AND at >= ?2")?
                .query_row(params![key, micros(since)], |_| Ok(()))
                .optional()?
                .is_some())
        })
    }

    fn lift_login_lock(&self, actor: &Actor, username: &str) -> StoreResult<u64> {
        let (_, _, account) = crate::http::session::login_keys(username, "");
        let user: String = username.chars().take(64).collect();
        let escaped = user.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        self.write(|tx| {
            let n = tx.execute(
                "DELETE FROM login_failures WHERE key = ?1 OR key LIKE ?2 ESCAPE '\\'",
                params![account, format!("pair:{escaped}@%")],
            )?;
            append_audit(
                tx,
                &self.audit_key,
                actor,
                self.now(),
                "lift sign-in lock",
                &format!("user:{user}"),
                None::<&()>,
                Some(&serde_json::json!({ "forgotten": n })),
            )?;
            Ok(n as u64)
        })
    }
}
