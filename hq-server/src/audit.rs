//! The audit log's hash chain: each entry's hash covers its fields and the previous entry's hash,
//! so editing, reordering or deleting an entry breaks the chain from there on. The chain's head
//! (last id and hash) is kept apart, so deleting the newest entries is noticed too.
//!
//! The hashes are HMAC-SHA-256 under a key kept outside the database ([`AuditKey`], a file of
//! its own), so someone who can write the database but not read the key cannot recompute a chain
//! over an edited entry. Against someone who has both, the tills are witnesses: each day close
//! they push is answered with the chain's head at that moment, which the till keeps, and
//! `hq-server audit verify --witnesses` checks the chain against those copies.

use std::path::{Path, PathBuf};

use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

/// The secret the audit chain is keyed with: 32 random bytes in a file of their own (hex), never
/// in the database.
#[derive(Clone)]
pub struct AuditKey([u8; 32]);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(..)")
    }
}

impl AuditKey {
    /// The key file HQ uses for a database when none is named: beside it, `hq.sqlite.audit-key`.
    pub fn default_path(db: &Path) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push(".audit-key");
        PathBuf::from(name)
    }

    /// Reads the key at `path`, or makes a new one there (readable by its owner only).
    pub fn load_or_create(path: &Path) -> std::io::Result<AuditKey> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(text.trim()).ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{} is not an audit key", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::fill(&mut key);
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                std::io::Write::write_all(&mut options.open(path)?, format!("{}\n", hex(&key)).as_bytes())?;
                Ok(AuditKey(key))
            }
            Err(e) => Err(e),
        }
    }

    fn parse(text: &str) -> Option<AuditKey> {
        if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(AuditKey(key))
    }

    /// A fixed key, for tests that build chains by hand.
    pub fn for_tests() -> AuditKey {
        AuditKey([7; 32])
    }
}

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of one entry as they are hashed.
#[derive(Clone, Copy, Debug)]
pub struct EntryFields<'a> {
    pub id: i64,
    /// Microseconds since the Unix epoch.
    pub at: i64,
    pub actor: &'a str,
    pub from: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    /// JSON, or empty when there was nothing before (a creation).
    pub before: &'a str,
    /// JSON, or empty when nothing is left (a deletion).
    pub after: &'a str,
}

/// `hmac_sha256(key, prev_hash, then each field length-prefixed)`, lower-case hex.
pub fn entry_hash(key: &AuditKey, prev_hash: &str, e: &EntryFields<'_>) -> String {
    let mut h = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(&key.0).expect("HMAC takes a key of any length");
    feed(|b| h.update(b), prev_hash, e);
    hex(&h.finalize().into_bytes())
}

/// The unkeyed hash the chain was made with before it was keyed (schema 5 re-keys it).
pub fn plain_hash(prev_hash: &str, e: &EntryFields<'_>) -> String {
    let mut h = Sha256::new();
    feed(|b| h.update(b), prev_hash, e);
    hex(&h.finalize())
}

fn feed(mut update: impl FnMut(&[u8]), prev_hash: &str, e: &EntryFields<'_>) {
    update(prev_hash.as_bytes());
    let id = e.id.to_string();
    let at = e.at.to_string();
    for field in [id.as_str(), at.as_str(), e.actor, e.from, e.action, e.entity, e.before, e.after] {
        update(&(field.len() as u64).to_be_bytes());
        update(field.as_bytes());
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// Walks the chain entry by entry and says what is wrong with it, if anything.
#[derive(Debug)]
pub struct ChainChecker {
    hash: fn(&AuditKey, &str, &EntryFields<'_>) -> String,
    key: AuditKey,
    expected_prev: String,
    expected_id: i64,
    pub entries: u64,
    pub problems: Vec<String>,
}

impl ChainChecker {
    /// A checker of a chain keyed with `key`.
    pub fn new(key: &AuditKey) -> ChainChecker {
        ChainChecker {
            hash: entry_hash,
            key: key.clone(),
            expected_prev: GENESIS.to_owned(),
            expected_id: 1,
            entries: 0,
            problems: Vec::new(),
        }
    }

    /// A checker of a chain made before keying.
    pub fn unkeyed() -> ChainChecker {
        ChainChecker { hash: |_, prev, e| plain_hash(prev, e), ..ChainChecker::new(&AuditKey([0; 32])) }
    }

    /// Checks the next stored entry: its id follows, its `prev_hash` links, its `hash` is right.
    pub fn check(&mut self, fields: &EntryFields<'_>, prev_hash: &str, hash: &str) {
        self.entries += 1;
        if fields.id != self.expected_id {
            self.problems.push(format!(
                "entries {}..{} are missing (deleted)",
                self.expected_id,
                fields.id.saturating_sub(1).max(self.expected_id)
            ));
        }
        if prev_hash != self.expected_prev {
            self.problems.push(format!("entry {} does not link to the entry before it", fields.id));
        }
        if (self.hash)(&self.key, prev_hash, fields) != hash {
            self.problems.push(format!("entry {} was changed after it was written", fields.id));
        }
        self.expected_id = fields.id + 1;
        self.expected_prev = hash.to_owned();
    }

    /// Compares the end of the chain with the recorded head.
    pub fn finish(mut self, head: Option<(i64, String)>) -> (u64, Vec<String>) {
        let last_id = self.expected_id - 1;
        match head {
            Some((id, hash)) if id != last_id || hash != self.expected_prev => {
                self.problems.push(format!(
                    "the log ends at entry {last_id} but its head records entry {id}: entries were deleted or replaced"
                ));
            }
            Some(_) => {}
            None if self.entries > 0 => self.problems.push("the log's head record is missing".into()),
            None => {}
        }
        (self.entries, self.problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(id: i64, after: &str) -> EntryFields<'_> {
        EntryFields {
            id,
            at: 1,
            actor: "cli:root",
            from: "local",
            action: "create",
            entity: "branch:1",
            before: "",
            after,
        }
    }

    #[test]
    fn an_intact_chain_passes_and_an_edit_is_found() {
        let key = AuditKey::for_tests();
        let h1 = entry_hash(&key, GENESIS, &fields(1, "{}"));
        let h2 = entry_hash(&key, &h1, &fields(2, "{\"a\":1}"));
        let mut c = ChainChecker::new(&key);
        c.check(&fields(1, "{}"), GENESIS, &h1);
        c.check(&fields(2, "{\"a\":1}"), &h1, &h2);
        assert_eq!(c.finish(Some((2, h2.clone()))).1, Vec::<String>::new());

        let mut c = ChainChecker::new(&key);
        c.check(&fields(1, "{}"), GENESIS, &h1);
        c.check(&fields(2, "{\"a\":2}"), &h1, &h2);
        let (_, problems) = c.finish(Some((2, h2.clone())));
        assert_eq!(problems, vec!["entry 2 was changed after it was written".to_owned()]);

        // The newest entry deleted: only the head notices.
        let mut c = ChainChecker::new(&key);
        c.check(&fields(1, "{}"), GENESIS, &h1);
        assert_eq!(c.finish(Some((2, h2))).1.len(), 1);
    }

    #[test]
    fn without_the_key_an_edited_chain_cannot_be_made_to_pass() {
        // Someone who can write the database edits entry 2 and recomputes the chain unkeyed, or
        // keyed with a guess: neither passes under HQ's key.
        let key = AuditKey::for_tests();
        for forge in [plain_hash as fn(&str, &EntryFields<'_>) -> String, |p, e| entry_hash(&AuditKey([1; 32]), p, e)] {
            let f1 = forge(GENESIS, &fields(1, "{}"));
            let f2 = forge(&f1, &fields(2, "{\"a\":2}"));
            let mut c = ChainChecker::new(&key);
            c.check(&fields(1, "{}"), GENESIS, &f1);
            c.check(&fields(2, "{\"a\":2}"), &f1, &f2);
            assert_eq!(c.finish(Some((2, f2))).1.len(), 2);
        }
    }

    #[test]
    fn a_key_file_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().expect("dir");
        let path = AuditKey::default_path(&dir.path().join("hq.sqlite"));
        let made = AuditKey::load_or_create(&path).expect("made");
        let read = AuditKey::load_or_create(&path).expect("read");
        assert_eq!(made.0, read.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "only its owner may read it");
        }
        std::fs::write(&path, "not a key").expect("write");
        assert!(AuditKey::load_or_create(&path).is_err());
    }

    #[test]
    fn hex_is_lower_case() {
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), "00ab7f");
    }
}
