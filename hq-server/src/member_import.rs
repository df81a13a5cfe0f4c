//! Members in and out as CSV, with the catalog import's rules: every row is checked first and each
//! bad one listed with its line number and reason; only a file without a bad row is applied, in
//! one transaction.
//!
//! Columns (a header names them; order is free): `code` (digits; assigned when empty), `phone`,
//! `name` (required), `birthday` (YYYY-MM-DD), `tier` (a tier code), `home_branch` (a branch code),
//! `uid` (a contactless card UID). Export adds the balances: `points`, `principal`, `bonus`, `status`.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use shared::catalog::MemberCode;
use shared::member::{CardUid, MemberIdentifier, Phone};

use crate::import::{CsvError, CsvFile, RowError, open_csv};
use crate::model::{Actor, NewMember};
use crate::store::{ImportSummary, Store};

pub const COLUMNS: [&str; 7] = ["code", "phone", "name", "birthday", "tier", "home_branch", "uid"];

/// Reads and checks every row. `Ok(members)` only when no row is bad.
pub fn parse_members(store: &dyn Store, csv_bytes: &[u8]) -> Result<Result<Vec<NewMember>, Vec<RowError>>, CsvError> {
    let CsvFile { mut reader, index, .. } = match open_csv(csv_bytes, &COLUMNS, &["name"])? {
        Ok(file) => file,
        Err(errors) => return Ok(Err(errors)),
    };
    let mut errors = Vec::new();
    let policy = store.current_policy()?;
    let branches: HashMap<String, shared::ids::BranchId> =
        store.list_branches()?.into_iter().map(|b| (b.code.to_lowercase(), b.id)).collect();
    let (mut codes, mut phones, mut uids) = (HashSet::new(), HashSet::new(), HashSet::new());
    let mut members = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError { line, reason: format!("unreadable row: {e}") });
                continue;
            }
        };
        let get = |col: &str| index.get(col).and_then(|&i| record.get(i)).unwrap_or("").trim().to_owned();
        let row = (|| -> Result<NewMember, String> {
            let name = get("name");
            if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
                return Err("name must be 1 to 100 printable characters".into());
            }
            let code = match get("code").as_str() {
                "" => None,
                c => Some(MemberCode::parse(c).map_err(|e| format!("code: {e}"))?),
            };
            let phone = match get("phone").as_str() {
                "" => None,
                p => Some(Phone::parse(p).map_err(|e| format!("phone: {e}"))?),
            };
            let birthday = match get("birthday").as_str() {
                "" => None,
                b => Some(
                    b.parse::<jiff::civil::Date>()
                        .map_err(|_| format!("birthday `{b}` is not a date like 1990-05-17"))?,
                ),
            };
            let tier = match get("tier").as_str() {
                "" => None,
                t if policy.tiers.by_code(t).is_some() => Some(t.to_owned()),
                t => return Err(format!("there is no tier `{t}`")),
            };
            let home_branch = match get("home_branch").as_str() {
                "" => None,
                b => Some(*branches.get(&b.to_lowercase()).ok_or_else(|| format!("there is no branch `{b}`"))?),
            };
            let uid = match get("uid").as_str() {
                "" => None,
                u => Some(
                    CardUid::parse(u).map_err(|_| format!("uid `{u}` is not 8 or 14 hex characters or 10 digits"))?,
                ),
            };
            if let Some(c) = &code {
                if !codes.insert(c.as_str().to_owned()) {
                    return Err(format!("code {c} appears twice in the file"));
                }
                if store
                    .find_member(&MemberIdentifier::Code(c.clone()))
                    .map_err(|e| e.to_string())?
                    .is_ok_and(|m| m.is_some())
                {
                    return Err(format!("code {c} is already a member's"));
                }
            }
            if let Some(p) = &phone {
                if !phones.insert(p.as_str().to_owned()) {
                    return Err(format!("phone {} appears twice in the file", p.masked()));
                }
                if store
                    .find_member(&MemberIdentifier::Phone(p.clone()))
                    .map_err(|e| e.to_string())?
                    .is_ok_and(|m| m.is_some())
                {
                    return Err(format!("phone {} is already a member's", p.masked()));
                }
            }
            if let Some(u) = &uid {
                if !uids.insert(u.as_str().to_owned()) {
                    return Err(format!("uid {} appears twice in the file", u.as_str()));
                }
                if !matches!(store.find_member(&MemberIdentifier::Uid(u.clone())).map_err(|e| e.to_string())?, Ok(None))
                {
                    return Err(format!("uid {} is already a member's card", u.as_str()));
                }
            }
            Ok(NewMember { id: None, code, phone, name, birthday, tier, home_branch, uid })
        })();
        match row {
            Ok(m) => members.push(m),
            Err(reason) => errors.push(RowError { line, reason }),
        }
    }
    if errors.is_empty() { Ok(Ok(members)) } else { Ok(Err(errors)) }
}

/// Checks every row, then creates all members in one transaction, or none.
pub fn import_members(
    store: &dyn Store,
    actor: &Actor,
    csv_bytes: &[u8],
    progress: &indicatif::ProgressBar,
) -> Result<Result<ImportSummary, Vec<RowError>>, CsvError> {
    crate::import::phase(progress, "checking", 0);
    match parse_members(store, csv_bytes)? {
        Ok(members) => {
            crate::import::phase(progress, "importing", members.len() as u64);
            let summary = store.import_members(actor, members, &|n| progress.set_position(n))?;
            Ok(Ok(summary))
        }
        Err(errors) => Ok(Err(errors)),
    }
}

/// Writes every member with their balances; returns how many.
pub fn export_members(store: &dyn Store, out: impl Write) -> Result<u64, CsvError> {
    let branches: HashMap<i64, String> = store.list_branches()?.into_iter().map(|b| (b.id.0, b.code)).collect();
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "code",
        "phone",
        "name",
        "birthday",
        "tier",
        "home_branch",
        "uid",
        "points",
        "principal",
        "bonus",
        "status",
    ])?;
    let mut after = String::new();
    let mut n = 0;
    loop {
        let page = store.list_members(&after, 1000)?;
        let Some(last) = page.last() else { break };
        after = last.code.as_str().to_owned();
        for m in &page {
            let uid = m
                .cards
                .iter()
                .find(|c| c.kind == crate::model::CardKind::Uid && c.status == crate::model::CardStatus::Active)
                .map(|c| c.value.clone())
                .unwrap_or_default();
            w.write_record([
                m.code.as_str().to_owned(),
                m.phone.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default(),
                m.name.clone(),
                m.birthday.map(|d| d.to_string()).unwrap_or_default(),
                m.tier.clone(),
                m.home_branch.and_then(|b| branches.get(&b.0).cloned()).unwrap_or_default(),
                uid,
                m.points.to_string(),
                m.stored_value.principal.plain(),
                m.stored_value.bonus.plain(),
                match m.status {
                    shared::member::MemberStatus::Active => "active",
                    shared::member::MemberStatus::Blocked => "blocked",
                    shared::member::MemberStatus::Merged => "merged",
                }
                .to_owned(),
            ])?;
            n += 1;
        }
    }
    w.flush()?;
    Ok(n)
}
