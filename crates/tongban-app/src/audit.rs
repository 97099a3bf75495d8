//! Audit that cannot be quietly rewritten. Three checks, each catching what the others cannot:
//! 1. every case's event chain (SHA-256 over the predecessor and the content): an event changed, removed,
//!    inserted or reordered;
//! 2. every case's row against its chain: the hash of its last event and the state it led to are recorded on the
//!    case in the same transaction, so a state changed without an event, a last event deleted or a whole history
//!    deleted shows;
//! 3. signed checkpoints: a background pass folds the hashes of the events written since the previous checkpoint
//!    into a running digest and signs it with the deployment's Ed25519 key, which lives in the data directory, not
//!    in the database; each checkpoint is also appended to `<data dir>/audit-checkpoints.log`. Whoever can write the
//!    database alone cannot rewrite any history a checkpoint covers — not even with freshly computed hashes and a
//!    matching case row — nor delete the checkpoint rows unseen while the log file is kept.
//!
//! Not detected: changes to events written after the latest checkpoint by someone who also rewrites the case row
//! consistently (the checkpoint interval bounds that window), and anything done by someone holding the key.

use crate::{App, Error};
use ed25519_dalek::{Signature, Signer, Verifier};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tongban_core::audit::{verify_chain, ChainProblem};
use tongban_store::Checkpoint;

/// The file in the data directory each checkpoint is appended to (one JSON object per line).
pub const CHECKPOINT_LOG: &str = "audit-checkpoints.log";

/// The digest the first checkpoint folds from.
const START: &str = "tongban-audit-checkpoints-v1";

fn fold(previous: &str, events: &[(i64, String)]) -> String {
    let mut h = Sha256::new();
    h.update(previous.as_bytes());
    for (id, hash) in events {
        h.update(format!("\n{id}:{hash}").as_bytes());
    }
    hex::encode(h.finalize())
}

fn signed_text(c: &Checkpoint) -> String {
    format!(
        "tongban audit checkpoint\n{}\n{}\n{}\n{}",
        c.at, c.last_event_id, c.events, c.digest
    )
}

/// What `verify` found.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    /// Events whose chains were recomputed.
    pub events: usize,
    pub cases: usize,
    /// Checkpoints whose digest and signature were checked.
    pub checkpoints: usize,
    pub problems: Vec<ChainProblem>,
}

fn problem(case_number: &str, seq: i64, kind: &'static str, message: String) -> ChainProblem {
    ChainProblem {
        case_number: case_number.to_string(),
        seq,
        kind,
        message,
    }
}

/// Runs the three checks over the whole database (and the checkpoint log in the data directory).
pub async fn verify(app: &App) -> Result<AuditReport, Error> {
    let events = app.store.all_case_events(None).await?;
    let mut problems = Vec::new();
    let mut start = 0;
    for i in 1..=events.len() {
        if i == events.len() || events[i].content.case_number != events[start].content.case_number {
            problems.extend(verify_chain(&events[start..i]));
            start = i;
        }
    }
    let heads = app.store.case_heads().await?;
    for h in &heads {
        match (&h.last_hash, &h.last_to_state) {
            (None, _) => problems.push(problem(
                &h.number,
                0,
                "history_missing",
                "办件没有任何事件记录（整段历史被删除）".into(),
            )),
            (Some(last), Some(to_state)) => {
                if *last != h.event_head {
                    problems.push(problem(
                        &h.number,
                        0,
                        "head_mismatch",
                        "办件记录的最后一条事件哈希与事件链末尾不符（末尾事件被删除或事件链被改写）".into(),
                    ));
                }
                if *to_state != h.state {
                    problems.push(problem(
                        &h.number,
                        0,
                        "state_without_event",
                        format!("办件状态为“{}”，但事件链止于“{to_state}”（状态被改而无事件）", h.state),
                    ));
                }
            }
            (Some(_), None) => {}
        }
    }
    let checkpoints = app.store.checkpoints().await?;
    let key = app.signing_key.verifying_key();
    let mut previous = (0i64, START.to_string(), 0i64);
    for c in &checkpoints {
        let covered = app.store.event_hashes(previous.0, Some(c.last_event_id)).await?;
        let digest = fold(&previous.1, &covered);
        let count = previous.2 + covered.len() as i64;
        let signature = hex::decode(&c.signature)
            .ok()
            .and_then(|b| Signature::from_slice(&b).ok());
        let signed = signature.is_some_and(|s| key.verify(signed_text(c).as_bytes(), &s).is_ok());
        if !signed {
            problems.push(problem(
                "",
                0,
                "checkpoint_forged",
                format!("{}的检查点签名无效（检查点被伪造或改动）", c.at),
            ));
        } else if digest != c.digest || count != c.events {
            problems.push(problem(
                "",
                0,
                "checkpoint_mismatch",
                format!(
                    "{}的检查点覆盖的{}条事件已被改动、删除或重写（现存{}条）",
                    c.at, c.events, count
                ),
            ));
        }
        previous = (c.last_event_id, c.digest.clone(), c.events);
    }
    let log = app.config.data_dir.join(CHECKPOINT_LOG);
    if let Ok(text) = std::fs::read_to_string(&log) {
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            match serde_json::from_str::<Checkpoint>(line) {
                Ok(published) if checkpoints.contains(&published) => {}
                Ok(published) => problems.push(problem(
                    "",
                    0,
                    "checkpoint_removed",
                    format!("检查点日志中{}的检查点在数据库中不存在（被删除或改动）", published.at),
                )),
                Err(_) => problems.push(problem(
                    "",
                    0,
                    "checkpoint_log_unreadable",
                    format!("{}中有无法读取的行", log.display()),
                )),
            }
        }
    }
    Ok(AuditReport {
        events: events.len(),
        cases: heads.len(),
        checkpoints: checkpoints.len(),
        problems,
    })
}

/// Signs a checkpoint over the events written since the last one, up to the event id `up_to` (None: all), and
/// appends it to the log file; None when there is nothing new. A server passes the highest id it saw a pass
/// earlier, so that no transaction still open then (holding a lower id) can commit into a range already signed.
/// Run hourly by the server and by `tongban audit checkpoint`.
pub async fn checkpoint(app: &App, up_to: Option<i64>) -> Result<Option<Checkpoint>, Error> {
    let last = app.store.checkpoints().await?.pop();
    let (after, previous, count) = match &last {
        Some(c) => (c.last_event_id, c.digest.clone(), c.events),
        None => (0, START.to_string(), 0),
    };
    let new = app.store.event_hashes(after, up_to).await?;
    let Some((last_id, _)) = new.last() else {
        return Ok(None);
    };
    let mut c = Checkpoint {
        at: tongban_store::now_text(),
        last_event_id: *last_id,
        events: count + new.len() as i64,
        digest: fold(&previous, &new),
        signature: String::new(),
    };
    c.signature = hex::encode(app.signing_key.sign(signed_text(&c).as_bytes()).to_bytes());
    if !app.store.save_checkpoint(after, &c).await? {
        return Ok(None);
    }
    let line = serde_json::to_string(&c).map_err(Error::internal)?;
    use std::io::Write;
    std::fs::create_dir_all(&app.config.data_dir).map_err(Error::internal)?;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(app.config.data_dir.join(CHECKPOINT_LOG))
        .and_then(|mut f| writeln!(f, "{line}"))
        .map_err(Error::internal)?;
    Ok(Some(c))
}
