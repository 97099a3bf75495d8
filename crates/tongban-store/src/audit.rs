//! What `tongban audit verify` reads beyond the event chains: each case's recorded chain head and state, the event
//! hashes in the order they were written, and the signed checkpoints over them.

use crate::db::{int, text};
use crate::{Store, StoreError};

/// A case as its row records its history: the state and the hash of its last event.
#[derive(Debug, Clone)]
pub struct CaseHead {
    pub number: String,
    pub state: String,
    pub event_head: String,
    /// The last stored event's hash and the state it led to; None when the case has no events at all.
    pub last_hash: Option<String>,
    pub last_to_state: Option<String>,
}

/// A signed checkpoint: the running digest over every event hash up to `last_event_id`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    pub at: String,
    pub last_event_id: i64,
    pub events: i64,
    pub digest: String,
    pub signature: String,
}

impl Store {
    /// Every case's recorded head beside its last stored event.
    pub async fn case_heads(&self) -> Result<Vec<CaseHead>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.number, c.state, c.event_head, e.hash AS last_hash, e.to_state AS last_to_state FROM cases c \
             LEFT JOIN case_events e ON e.case_id = c.id \
             AND e.seq = (SELECT MAX(x.seq) FROM case_events x WHERE x.case_id = c.id) ORDER BY c.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CaseHead {
                    number: text(r, "number")?,
                    state: text(r, "state")?,
                    event_head: text(r, "event_head")?,
                    last_hash: crate::db::opt_text(r, "last_hash")?,
                    last_to_state: crate::db::opt_text(r, "last_to_state")?,
                })
            })
            .collect()
    }

    /// Event ids and hashes after `after_id` up to `up_to` (inclusive; None: all), in the order written.
    pub async fn event_hashes(&self, after_id: i64, up_to: Option<i64>) -> Result<Vec<(i64, String)>, StoreError> {
        let rows = sqlx::query("SELECT id, hash FROM case_events WHERE id > $1 AND id <= $2 ORDER BY id")
            .bind(after_id)
            .bind(up_to.unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((int(r, "id")?, text(r, "hash")?))).collect()
    }

    /// The highest event id written so far (0 with none).
    pub async fn max_event_id(&self) -> Result<i64, StoreError> {
        let r = sqlx::query("SELECT COALESCE(MAX(id), 0) AS id FROM case_events")
            .fetch_one(&self.pool)
            .await?;
        Ok(int(&r, "id")?)
    }

    /// Every checkpoint, oldest first.
    pub async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, last_event_id, events, digest, signature FROM audit_checkpoints ORDER BY last_event_id, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Checkpoint {
                    at: text(r, "at")?,
                    last_event_id: int(r, "last_event_id")?,
                    events: int(r, "events")?,
                    digest: text(r, "digest")?,
                    signature: text(r, "signature")?,
                })
            })
            .collect()
    }

    /// Saves a checkpoint continuing from the one ending at `after_event_id` (0 for the first); false when another
    /// server saved one from there first.
    pub async fn save_checkpoint(&self, after_event_id: i64, c: &Checkpoint) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let done = sqlx::query(
            "INSERT INTO audit_checkpoints (after_event_id, at, last_event_id, events, digest, signature) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (after_event_id) DO NOTHING",
        )
        .bind(after_event_id)
        .bind(&c.at)
        .bind(c.last_event_id)
        .bind(c.events)
        .bind(&c.digest)
        .bind(&c.signature)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
