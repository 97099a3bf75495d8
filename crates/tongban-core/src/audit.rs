//! The case history is append-only and hash-chained: each event stores the hash of its predecessor and of its own
//! content, so that changing, removing or reordering an event is detected by recomputing the chain.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash a case's first event chains from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an event says, in the order it is hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventContent {
    pub case_number: String,
    pub seq: i64,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub at: String,
    pub comment: String,
    pub attachments: Vec<String>,
}

/// SHA-256 over the predecessor's hash and the event's canonical JSON (fields in declaration order).
pub fn event_hash(prev_hash: &str, e: &EventContent) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(serde_json::to_string(e).unwrap_or_default().as_bytes());
    hex::encode(h.finalize())
}

/// A stored event as read back for verification.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub content: EventContent,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainProblem {
    pub case_number: String,
    pub seq: i64,
    /// `changed`, `missing` (a gap before this event) or `broken_link` (removed or reordered before it).
    pub kind: &'static str,
    pub message: String,
}

/// Checks one case's events (in the order stored by seq).
pub fn verify_chain(events: &[StoredEvent]) -> Vec<ChainProblem> {
    let mut out = Vec::new();
    let mut prev = GENESIS.to_string();
    let mut expected_seq = 1;
    for e in events {
        let c = &e.content;
        let problem = |kind, message: String| ChainProblem {
            case_number: c.case_number.clone(),
            seq: c.seq,
            kind,
            message,
        };
        if c.seq != expected_seq {
            out.push(problem(
                "missing",
                format!("第{expected_seq}条至第{}条之间的事件缺失", c.seq),
            ));
        }
        if e.prev_hash != prev {
            out.push(problem(
                "broken_link",
                format!("第{}条事件的前序哈希与上一条不符（事件被删除或调换了顺序）", c.seq),
            ));
        }
        if event_hash(&e.prev_hash, c) != e.hash {
            out.push(problem(
                "changed",
                format!("第{}条事件的内容与其哈希不符（事件被修改）", c.seq),
            ));
        }
        prev = e.hash.clone();
        expected_seq = c.seq + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<StoredEvent> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let content = EventContent {
                    case_number: "430603-20261127-000001".into(),
                    seq,
                    actor: "clerk".into(),
                    role: "clerk".into(),
                    action: format!("a{seq}"),
                    from_state: "x".into(),
                    to_state: "y".into(),
                    at: "2026-11-27T08:00:00Z".into(),
                    comment: String::new(),
                    attachments: vec![],
                };
                let hash = event_hash(&prev, &content);
                let e = StoredEvent {
                    content,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    #[test]
    fn detects_changed_removed_and_reordered_events() {
        assert_eq!(verify_chain(&chain(4)), vec![]);
        let mut changed = chain(4);
        changed[1].content.comment = "改过".into();
        assert_eq!(
            verify_chain(&changed).iter().map(|p| p.kind).collect::<Vec<_>>(),
            vec!["changed"]
        );
        let mut removed = chain(4);
        removed.remove(2);
        let kinds: Vec<_> = verify_chain(&removed).iter().map(|p| p.kind).collect();
        assert_eq!(kinds, vec!["missing", "broken_link"]);
        let mut reordered = chain(4);
        reordered.swap(1, 2);
        assert!(verify_chain(&reordered).iter().any(|p| p.kind == "broken_link"));
    }
}
