//! The ledger's hash chain: each entry commits to the previous entry's hash and to its own fields.

use sha2::{Digest, Sha256};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of a ledger entry that its hash covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainFields<'a> {
    pub seq: i64,
    pub at: i64,
    pub kind: &'a str,
    pub report_id: Option<&'a str>,
    pub actor: &'a str,
    pub detail: &'a str,
}

/// SHA-256 over the previous hash and the entry's fields, each length-prefixed so no two different
/// entries share an encoding. Rendered as lowercase hex.
pub fn entry_hash(prev_hash: &str, fields: &ChainFields<'_>) -> String {
    let mut hasher = Sha256::new();
    let mut part = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    };
    part(b"minhbach ledger v1");
    part(prev_hash.as_bytes());
    part(&fields.seq.to_be_bytes());
    part(&fields.at.to_be_bytes());
    part(fields.kind.as_bytes());
    part(fields.report_id.unwrap_or("").as_bytes());
    part(&[u8::from(fields.report_id.is_some())]);
    part(fields.actor.as_bytes());
    part(fields.detail.as_bytes());
    hex::encode(hasher.finalize())
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The sequence number of the first entry that does not verify (or where one is missing).
    pub seq: i64,
    pub reason: &'static str,
}

/// One stored entry as the chain sees it: its fields, the hash it names before it, and its own hash.
pub struct Chained<'a> {
    pub fields: ChainFields<'a>,
    pub prev_hash: &'a str,
    pub hash: &'a str,
}

/// Recomputes the chain over `entries` (in storage order) against the head: detects an edited, reordered,
/// inserted or deleted row. Returns the number of entries checked.
pub fn verify_chain<'a>(
    entries: impl IntoIterator<Item = Chained<'a>>,
    head_entries: i64,
    head_hash: &str,
) -> Result<usize, Broken> {
    let mut prev = GENESIS.to_owned();
    let mut count = 0_i64;
    for entry in entries {
        count += 1;
        let expected_seq = count;
        let Chained {
            fields,
            prev_hash,
            hash,
        } = entry;
        if fields.seq != expected_seq {
            return Err(Broken {
                seq: expected_seq,
                reason: "an entry is missing or out of order here",
            });
        }
        if prev_hash != prev {
            return Err(Broken {
                seq: fields.seq,
                reason: "it does not follow the entry before it",
            });
        }
        if entry_hash(&prev, &fields) != hash {
            return Err(Broken {
                seq: fields.seq,
                reason: "its content does not match its hash",
            });
        }
        prev = hash.to_owned();
    }
    if count != head_entries || prev != head_hash {
        return Err(Broken {
            seq: count.min(head_entries) + 1,
            reason: "the chain ends before its recorded head",
        });
    }
    Ok(count as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> ChainFields<'static> {
        ChainFields {
            seq: 1,
            at: 1_700_000_000_000,
            kind: "received",
            report_id: Some("r1"),
            actor: "reporter",
            detail: "{}",
        }
    }

    #[test]
    fn the_hash_changes_with_every_field_and_the_previous_hash() {
        let base = entry_hash(GENESIS, &fields());
        assert_eq!(base, entry_hash(GENESIS, &fields()));
        assert_ne!(base, entry_hash(&"1".repeat(64), &fields()));
        assert_ne!(base, entry_hash(GENESIS, &ChainFields { seq: 2, ..fields() }));
        assert_ne!(base, entry_hash(GENESIS, &ChainFields { at: 1, ..fields() }));
        assert_ne!(
            base,
            entry_hash(
                GENESIS,
                &ChainFields {
                    kind: "accepted",
                    ..fields()
                }
            )
        );
        assert_ne!(
            base,
            entry_hash(
                GENESIS,
                &ChainFields {
                    report_id: None,
                    ..fields()
                }
            )
        );
        assert_ne!(
            base,
            entry_hash(
                GENESIS,
                &ChainFields {
                    actor: "staff",
                    ..fields()
                }
            )
        );
        assert_ne!(
            base,
            entry_hash(
                GENESIS,
                &ChainFields {
                    detail: "{\"a\":1}",
                    ..fields()
                }
            )
        );
    }
}
