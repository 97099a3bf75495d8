//! Cases whose lifecycle already happened — a district's history brought over from its previous system, or the
//! benchmark's replay of a year — written many per transaction. Every rule was applied in memory by the caller
//! (workflow, deadlines); this writes the same rows the live path writes, hash chain included, with multi-row
//! statements, because one transaction per step tops out near 3,000 steps a second.

use crate::db::{int, text, to_json};
use crate::{now_text, NewCase, Store, StoreError};
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::Any;
use std::collections::HashMap;
use tongban_core::audit::{event_hash, EventContent, GENESIS};
use tongban_core::workflow::Position;

/// One step of a past case, after its filing.
#[derive(Debug, Clone)]
pub struct PastEvent {
    pub actor: String,
    pub role: String,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub at: String,
    pub comment: String,
}

/// A past case: as filed, where it ended, and the steps between (the filing event is derived from `filed`).
#[derive(Debug, Clone)]
pub struct PastCase {
    pub filed: NewCase,
    pub item_version: i64,
    pub item_name: String,
    pub promised_days: i64,
    pub legal_days: i64,
    pub workflow_code: String,
    pub start: Position,
    pub end: Position,
    pub accepted_on: Option<String>,
    pub due_date: Option<String>,
    pub legal_due_date: Option<String>,
    pub completed_on: Option<String>,
    pub closed_at: Option<String>,
    pub events: Vec<PastEvent>,
}

/// A value of a multi-row statement.
enum Val {
    Int(i64),
    Text(String),
    Opt(Option<String>),
}

fn bind_all<'q>(mut q: Query<'q, Any, AnyArguments<'q>>, vals: Vec<Val>) -> Query<'q, Any, AnyArguments<'q>> {
    for v in vals {
        q = match v {
            Val::Int(i) => q.bind(i),
            Val::Text(t) => q.bind(t),
            Val::Opt(o) => q.bind(o),
        };
    }
    q
}

/// `($1, $2, …), ($n+1, …)` for `rows` rows of `cols` columns.
fn placeholders(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=cols).map(|c| format!("${}", r * cols + c)).collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows per statement. Measured on SQLite (debug build, 5,000 cases): binding grows with the square of a
/// statement's parameters — 2,000 event rows per statement ran 110 s, 400 rows 18 s, 100 rows 5.2 s, 32 rows 4.0 s.
const ROWS_PER_STATEMENT: usize = 16;

impl Store {
    /// Item id and department id by item code: what a past case needs and the live path looks up per filing.
    pub async fn item_ids(&self, region: &str) -> Result<HashMap<String, (i64, i64)>, StoreError> {
        let rows = sqlx::query("SELECT code, id, department_id FROM items WHERE region_code = $1")
            .bind(region)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((text(r, "code")?, (int(r, "id")?, int(r, "department_id")?))))
            .collect()
    }

    /// Writes past cases in one transaction: numbers from the per-day sequences, applicants, cases, and every event
    /// chained by hash exactly as the live path chains them. Returns the numbers given, in order.
    pub async fn import_past_cases(
        &self,
        region: &str,
        cases: &[PastCase],
        items: &HashMap<String, (i64, i64)>,
    ) -> Result<Vec<String>, StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        // Numbers: one sequence bump per day for all of that day's cases.
        let mut per_day: Vec<(String, usize)> = Vec::new();
        for c in cases {
            let day = c.filed.day.format("%Y%m%d").to_string();
            match per_day.iter_mut().find(|(d, _)| *d == day) {
                Some((_, n)) => *n += 1,
                None => per_day.push((day, 1)),
            }
        }
        let mut next: HashMap<String, i64> = HashMap::new();
        for (day, n) in &per_day {
            let row = sqlx::query(
                "INSERT INTO case_sequences (region_code, day, last) VALUES ($1, $2, $3) \
                 ON CONFLICT (region_code, day) DO UPDATE SET last = case_sequences.last + $3 RETURNING last",
            )
            .bind(region)
            .bind(day)
            .bind(*n as i64)
            .fetch_one(&mut *tx)
            .await?;
            next.insert(day.clone(), int(&row, "last")? - *n as i64 + 1);
        }
        let mut numbers = Vec::with_capacity(cases.len());
        for c in cases {
            let day = c.filed.day.format("%Y%m%d").to_string();
            let seq = next
                .get_mut(&day)
                .ok_or_else(|| StoreError::Corrupt("sequence".into()))?;
            numbers.push(format!("{region}-{day}-{seq:06}"));
            *seq += 1;
        }
        // Applicants, once each (a statement may not touch one row twice).
        let mut applicants: HashMap<(&str, &str), &NewCase> = HashMap::new();
        for c in cases {
            applicants.insert((&c.filed.applicant_kind, &c.filed.applicant_identifier), &c.filed);
        }
        let applicants: Vec<&NewCase> = applicants.into_values().collect();
        let now = now_text();
        for chunk in applicants.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO applicants (region_code, kind, name, identifier, phone, created_at) VALUES {} \
                 ON CONFLICT (region_code, kind, identifier) DO UPDATE SET name = excluded.name, phone = excluded.phone",
                placeholders(chunk.len(), 6)
            );
            let mut vals = Vec::with_capacity(chunk.len() * 6);
            for a in chunk {
                vals.extend([
                    Val::Text(region.to_string()),
                    Val::Text(a.applicant_kind.clone()),
                    Val::Text(a.applicant_name.clone()),
                    Val::Text(a.applicant_identifier.clone()),
                    Val::Text(a.applicant_phone.clone()),
                    Val::Text(now.clone()),
                ]);
            }
            bind_all(sqlx::query(&sql), vals).execute(&mut *tx).await?;
        }
        // Cases, then their ids by number (the order RETURNING gives is not promised).
        let mut ids: HashMap<String, i64> = HashMap::with_capacity(cases.len());
        const CASE_COLUMNS: usize = 32;
        for (chunk_index, chunk) in cases.chunks(ROWS_PER_STATEMENT / 2).enumerate() {
            let sql = format!(
                "INSERT INTO cases (region_code, number, item_id, item_code, item_name, item_version, department_id, \
                 workflow_code, applicant_kind, applicant_name, applicant_identifier, applicant_phone, agent, channel, \
                 site_code, filed_by, state, position, version, promised_days, legal_days, accepted_on, due_date, \
                 legal_due_date, form, materials, request_hash, created_at, updated_at, closed_at, completed_on, \
                 due_provisional) VALUES {} RETURNING id, number",
                placeholders(chunk.len(), CASE_COLUMNS)
            );
            let mut vals = Vec::with_capacity(chunk.len() * CASE_COLUMNS);
            for (i, c) in chunk.iter().enumerate() {
                let f = &c.filed;
                let &(item_id, department_id) = items
                    .get(&f.item_code)
                    .ok_or_else(|| StoreError::NotFound(format!("事项“{}”", f.item_code)))?;
                let updated = c.events.last().map(|e| e.at.clone()).unwrap_or_else(|| now.clone());
                vals.extend([
                    Val::Text(region.to_string()),
                    Val::Text(numbers[chunk_index * (ROWS_PER_STATEMENT / 2) + i].clone()),
                    Val::Int(item_id),
                    Val::Text(f.item_code.clone()),
                    Val::Text(c.item_name.clone()),
                    Val::Int(c.item_version),
                    Val::Int(department_id),
                    Val::Text(c.workflow_code.clone()),
                    Val::Text(f.applicant_kind.clone()),
                    Val::Text(f.applicant_name.clone()),
                    Val::Text(f.applicant_identifier.clone()),
                    Val::Text(f.applicant_phone.clone()),
                    Val::Text(f.agent.clone()),
                    Val::Text(f.channel.clone()),
                    Val::Text(f.site_code.clone()),
                    Val::Text(f.filed_by.clone()),
                    Val::Text(c.end.state.clone()),
                    Val::Text(to_json(&c.end)?),
                    Val::Int(1 + c.events.len() as i64),
                    Val::Int(c.promised_days),
                    Val::Int(c.legal_days),
                    Val::Opt(c.accepted_on.clone()),
                    Val::Opt(c.due_date.clone()),
                    Val::Opt(c.legal_due_date.clone()),
                    Val::Text(to_json(&f.form)?),
                    Val::Text(to_json(&f.materials)?),
                    Val::Text(f.request_hash.clone()),
                    Val::Text(f.at.clone().unwrap_or_else(|| now.clone())),
                    Val::Text(updated),
                    Val::Opt(c.closed_at.clone()),
                    Val::Opt(c.completed_on.clone()),
                    Val::Int(0),
                ]);
            }
            for r in bind_all(sqlx::query(&sql), vals).fetch_all(&mut *tx).await? {
                ids.insert(text(&r, "number")?, int(&r, "id")?);
            }
        }
        // Events: the filing, then each step, chained.
        let mut rows: Vec<Vec<Val>> = Vec::with_capacity(cases.len() * 7);
        for (c, number) in cases.iter().zip(&numbers) {
            let case_id = *ids
                .get(number)
                .ok_or_else(|| StoreError::Corrupt(format!("办件“{number}”未写入")))?;
            let f = &c.filed;
            let mut prev = GENESIS.to_string();
            let filing = PastEvent {
                actor: f.filed_by.clone(),
                role: f.filed_by_role.clone(),
                action: "submit".into(),
                from_state: String::new(),
                to_state: c.start.state.clone(),
                at: f.at.clone().unwrap_or_else(|| now.clone()),
                comment: String::new(),
            };
            for (seq, e) in std::iter::once(&filing).chain(&c.events).enumerate() {
                let attachments = if seq == 0 { f.materials.clone() } else { vec![] };
                let content = EventContent {
                    case_number: number.clone(),
                    seq: seq as i64 + 1,
                    actor: e.actor.clone(),
                    role: e.role.clone(),
                    action: e.action.clone(),
                    from_state: e.from_state.clone(),
                    to_state: e.to_state.clone(),
                    at: e.at.clone(),
                    comment: e.comment.clone(),
                    attachments,
                };
                let hash = event_hash(&prev, &content);
                rows.push(vec![
                    Val::Text(region.to_string()),
                    Val::Int(case_id),
                    Val::Int(content.seq),
                    Val::Text(content.actor),
                    Val::Text(content.role),
                    Val::Text(content.action),
                    Val::Text(content.from_state),
                    Val::Text(content.to_state),
                    Val::Text(content.at),
                    Val::Text(content.comment),
                    Val::Text(to_json(&content.attachments)?),
                    Val::Text(prev),
                    Val::Text(hash.clone()),
                ]);
                prev = hash;
            }
        }
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Vec<Val>> = rows.by_ref().take(ROWS_PER_STATEMENT * 2).collect();
            let sql = format!(
                "INSERT INTO case_events (region_code, case_id, seq, actor, role, action, from_state, to_state, at, \
                 comment, attachments, prev_hash, hash) VALUES {}",
                placeholders(chunk.len(), 13)
            );
            bind_all(sqlx::query(&sql), chunk.into_iter().flatten().collect())
                .execute(&mut *tx)
                .await?;
        }
        // The cases just written are the region's only ones without a chain head yet.
        sqlx::query(
            "UPDATE cases SET event_head = COALESCE((SELECT e.hash FROM case_events e WHERE e.case_id = cases.id \
             ORDER BY e.seq DESC LIMIT 1), '') WHERE region_code = $1 AND event_head = ''",
        )
        .bind(region)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(numbers)
    }
}
