//! The audit log's hash chain: each entry's hash covers its fields and the previous entry's hash,
//! so editing, reordering or deleting an entry breaks the chain from there on. The chain's head
//! (last id and hash) is kept apart, so deleting the newest entries is noticed too.

use sha2::{Digest, Sha256};

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

/// `sha256(prev_hash, then each field length-prefixed)`, lower-case hex.
pub fn entry_hash(prev_hash: &str, e: &EntryFields<'_>) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    let id = e.id.to_string();
    let at = e.at.to_string();
    for field in [id.as_str(), at.as_str(), e.actor, e.from, e.action, e.entity, e.before, e.after] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex(&h.finalize())
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
    expected_prev: String,
    expected_id: i64,
    pub entries: u64,
    pub problems: Vec<String>,
}

impl Default for ChainChecker {
    fn default() -> Self {
        ChainChecker { expected_prev: GENESIS.to_owned(), expected_id: 1, entries: 0, problems: Vec::new() }
    }
}

impl ChainChecker {
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
        if entry_hash(prev_hash, fields) != hash {
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
        let h1 = entry_hash(GENESIS, &fields(1, "{}"));
        let h2 = entry_hash(&h1, &fields(2, "{\"a\":1}"));
        let mut c = ChainChecker::default();
        c.check(&fields(1, "{}"), GENESIS, &h1);
        c.check(&fields(2, "{\"a\":1}"), &h1, &h2);
        assert_eq!(c.finish(Some((2, h2.clone()))).1, Vec::<String>::new());

        let mut c = ChainChecker::default();
        c.check(&fields(1, "{}"), GENESIS, &h1);
        c.check(&fields(2, "{\"a\":2}"), &h1, &h2);
        let (_, problems) = c.finish(Some((2, h2.clone())));
        assert_eq!(problems, vec!["entry 2 was changed after it was written".to_owned()]);

        // The newest entry deleted: only the head notices.
        let mut c = ChainChecker::default();
        c.check(&fields(1, "{}"), GENESIS, &h1);
        assert_eq!(c.finish(Some((2, h2))).1.len(), 1);
    }

    #[test]
    fn hex_is_lower_case() {
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), "00ab7f");
    }
}
