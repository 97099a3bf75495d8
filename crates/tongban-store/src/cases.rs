//! Cases (办件) and their hash-chained history. A transition is written as one transaction that starts with the
//! version-checked UPDATE (so concurrent writers queue on the row, and a stale version changes nothing), then
//! appends the event chained to its predecessor and queues the applicant's notification.

use crate::case_steps::{
    append_event, insert_case, insert_commitment, insert_licence, queue, CaseRecord, CaseUpdate, Filed, NewCase,
    NewEvent, Notification, CASE_SELECT,
};
use crate::db::{int, text, to_json, JsonText};
use crate::{now_text, Store, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use tongban_core::audit::{EventContent, StoredEvent};
use tongban_core::workflow::{Position, Template};

#[derive(Debug, Clone, Serialize)]
pub struct CaseEvent {
    pub seq: i64,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub at: String,
    pub comment: String,
    pub attachments: Vec<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// A file handed in for a material of a case, stored under the data directory by its SHA-256.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CaseFile {
    pub material: String,
    /// The file's hash; empty when the material came as an e-licence (no file).
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
    /// `upload`, `licence` (电子证照免提交) or `reused` (材料复用).
    pub source: String,
    /// The licence id, or the earlier case's number.
    pub reference: String,
}

#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub state: Option<String>,
    pub department_id: Option<i64>,
    pub department_code: Option<String>,
    pub item_code: Option<String>,
    /// Applicant's identifier or name.
    pub applicant: Option<String>,
    /// Due before this date (overdue when it is today).
    pub due_before: Option<String>,
    /// Due on or before this date (warned).
    pub due_by: Option<String>,
    /// Due on this very date.
    pub due_on: Option<String>,
    pub open_only: bool,
    /// Only cases in one of these states of their workflow: (workflow code, states). Empty: no such limit.
    pub waiting: Vec<(String, Vec<String>)>,
    /// Only cases filed at this site; with `or_online`, also those filed online (no site).
    pub site: Option<(String, bool)>,
    /// A number (whole or its start), an applicant's name or identifier, or a part of the item's name.
    pub search: Option<String>,
}

/// How many cases of a filter run late: counted by the database, for the to-do figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UrgencyCounts {
    pub total: i64,
    /// Past the promised date.
    pub overdue: i64,
    /// Due today.
    pub due_today: i64,
    /// Due after today, within the warning period.
    pub warned: i64,
    /// Changed since the reader last looked.
    pub new: i64,
}

/// A WHERE clause and its bound values, numbered `$1, $2 …` as both databases take them.
struct Where {
    clauses: Vec<String>,
    args: Vec<String>,
}

impl Where {
    /// Adds a clause; each `?` in it takes the next of `values` (as many as there are marks: the callers below
    /// are the only ones, and say so by construction).
    fn add(&mut self, clause: &str, values: &[&str]) {
        debug_assert_eq!(clause.matches('?').count(), values.len(), "{clause}");
        let mut values = values.iter();
        let mut out = String::with_capacity(clause.len() + 8);
        for ch in clause.chars() {
            if ch == '?' {
                self.args.push(values.next().copied().unwrap_or_default().to_string());
                out.push_str(&format!("${}", self.args.len()));
            } else {
                out.push(ch);
            }
        }
        self.clauses.push(out);
    }
}

/// `%`, `_` and the escape itself taken literally in a LIKE pattern (with `ESCAPE '\'`).
fn like_literal(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

impl CaseFilter {
    /// The filter as SQL over `cases c JOIN departments d`.
    fn to_where(&self, region: &str) -> Where {
        let mut w = Where {
            clauses: vec![],
            args: vec![],
        };
        w.add("c.region_code = ?", &[region]);
        if let Some(s) = &self.state {
            w.add("c.state = ?", &[s]);
        }
        if let Some(d) = &self.department_code {
            w.add("d.code = ?", &[d]);
        }
        if let Some(id) = self.department_id {
            // An integer column: bound as text it would not compare on PostgreSQL; formatted, it cannot inject.
            w.add(&format!("c.department_id = {id}"), &[]);
        }
        if let Some(i) = &self.item_code {
            w.add("c.item_code = ?", &[i]);
        }
        if let Some(a) = &self.applicant {
            w.add("(c.applicant_identifier = ? OR c.applicant_name = ?)", &[a, a]);
        }
        if let Some(d) = &self.due_before {
            w.add("c.due_date < ?", &[d]);
        }
        if let Some(d) = &self.due_by {
            w.add("c.due_date <= ?", &[d]);
        }
        if let Some(d) = &self.due_on {
            w.add("c.due_date = ?", &[d]);
        }
        if self.open_only {
            w.add("c.closed_at IS NULL", &[]);
        }
        if self.due_before.is_some() || self.due_by.is_some() || self.due_on.is_some() {
            // A case whose result is out is no longer at risk of running late, whatever its due date.
            w.add("c.completed_on IS NULL AND c.suspended_since IS NULL", &[]);
        }
        if !self.waiting.is_empty() {
            let mut parts = vec![];
            let mut values: Vec<&str> = vec![];
            for (workflow, states) in &self.waiting {
                if states.is_empty() {
                    continue;
                }
                parts.push(format!(
                    "(c.workflow_code = ? AND c.state IN ({}))",
                    vec!["?"; states.len()].join(",")
                ));
                values.push(workflow);
                values.extend(states.iter().map(String::as_str));
            }
            if parts.is_empty() {
                w.add("1 = 0", &[]);
            } else {
                w.add(&format!("({})", parts.join(" OR ")), &values);
            }
        }
        match &self.site {
            Some((site, true)) => w.add("(c.site_code = ? OR c.site_code = '')", &[site]),
            Some((site, false)) => w.add("c.site_code = ?", &[site]),
            None => {}
        }
        if let Some(q) = self.search.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let start = format!("{}%", like_literal(&q.to_uppercase()));
            let part = format!("%{}%", like_literal(q));
            w.add(
                "(c.number LIKE ? ESCAPE '\\' OR c.applicant_identifier = ? OR c.applicant_name = ? \
                 OR c.item_name LIKE ? ESCAPE '\\')",
                &[&start, &q.to_uppercase(), q, &part],
            );
        }
        w
    }
}

/// An event row (joined with its case's number) as the chain verifier and the history read it. By hand, not by
/// `FromRow`: `StoredEvent` belongs to tongban-core, which does not know sqlx; the columns are read the same way.
fn event_row(r: &AnyRow) -> Result<StoredEvent, StoreError> {
    Ok(StoredEvent {
        content: EventContent {
            case_number: text(r, "number")?,
            seq: int(r, "seq")?,
            actor: text(r, "actor")?,
            role: text(r, "role")?,
            action: text(r, "action")?,
            from_state: text(r, "from_state")?,
            to_state: text(r, "to_state")?,
            at: text(r, "at")?,
            comment: text(r, "comment")?,
            attachments: r.try_get::<JsonText<Vec<String>>, _>("attachments")?.into_inner(),
        },
        prev_hash: text(r, "prev_hash")?,
        hash: text(r, "hash")?,
    })
}

impl From<StoredEvent> for CaseEvent {
    fn from(e: StoredEvent) -> CaseEvent {
        let c = e.content;
        CaseEvent {
            seq: c.seq,
            actor: c.actor,
            role: c.role,
            action: c.action,
            from_state: c.from_state,
            to_state: c.to_state,
            at: c.at,
            comment: c.comment,
            attachments: c.attachments,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

impl Store {
    /// The region's workflow template of that code, or None when the region never saved one.
    /// The codes of the workflow templates a region saved (the built-in default may be among them or not).
    pub async fn workflow_codes(&self, region: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT code FROM workflow_templates WHERE region_code = $1 ORDER BY code")
            .bind(region)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(text(r, "code")?)).collect()
    }

    pub async fn workflow_template(&self, region: &str, code: &str) -> Result<Option<Template>, StoreError> {
        let row = sqlx::query("SELECT definition FROM workflow_templates WHERE region_code = $1 AND code = $2")
            .bind(region)
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some(
                serde_json::from_str(&text(&r, "definition")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            )),
            None => Ok(None),
        }
    }

    pub async fn save_workflow_template(&self, region: &str, t: &Template, actor: &str) -> Result<(), StoreError> {
        t.validate().map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO workflow_templates (region_code, code, name, definition, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (region_code, code) DO UPDATE SET name = excluded.name, \
             definition = excluded.definition, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(region)
        .bind(&t.code)
        .bind(&t.name)
        .bind(to_json(t)?)
        .bind(now_text())
        .bind(actor)
        .execute(&mut *tx)
        .await?;
        crate::org::audit(&mut tx, region, actor, "workflow.save", &t.code, &t.name).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records an uploaded file (already stored by content hash) in the same transaction as the case's event.
    pub async fn attach_file(
        &self,
        case: &CaseRecord,
        file: &CaseFile,
        event: &NewEvent,
        materials: &[String],
    ) -> Result<CaseRecord, StoreError> {
        let update = CaseUpdate {
            materials: Some(materials.to_vec()),
            ..Default::default()
        };
        let turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE cases SET version = version + 1, materials = $1, updated_at = $2 WHERE id = $3 AND version = $4",
        )
        .bind(to_json(update.materials.as_ref().unwrap_or(&case.materials))?)
        .bind(now_text())
        .bind(case.id)
        .bind(case.version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Stale {
                current: self.case_version(case.id).await?,
            });
        }
        sqlx::query(
            "INSERT INTO case_files (region_code, case_id, material, sha256, size, content_type, uploaded_by, \
             uploaded_at, source, reference) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&case.region_code)
        .bind(case.id)
        .bind(&file.material)
        .bind(&file.sha256)
        .bind(file.size)
        .bind(&file.content_type)
        .bind(&file.uploaded_by)
        .bind(now_text())
        .bind(&file.source)
        .bind(&file.reference)
        .execute(&mut *tx)
        .await?;
        append_event(
            &mut tx,
            &case.region_code,
            case.id,
            &case.number,
            &case.state,
            &case.state,
            event,
        )
        .await?;
        tx.commit().await?;
        drop(turn);
        self.case_by_number(&case.region_code, &case.number)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("办件“{}”", case.number)))
    }

    pub async fn case_files(&self, case_id: i64) -> Result<Vec<CaseFile>, StoreError> {
        Ok(
            sqlx::query_as::<_, CaseFile>("SELECT * FROM case_files WHERE case_id = $1 ORDER BY id")
                .bind(case_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// States that open cases of a template are in now: an edited template must keep them.
    pub async fn open_case_states(&self, region: &str, workflow_code: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT state FROM cases WHERE region_code = $1 AND workflow_code = $2 AND closed_at IS NULL ORDER BY state",
        )
        .bind(region)
        .bind(workflow_code)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(text(r, "state")?)).collect()
    }

    /// Files a case: assigns `<region>-<yyyymmdd>-<seq>`, records the item version in force, writes the first
    /// event and queues the applicant's notice, all or nothing. With an idempotency key already used, returns the
    /// first case when the request is the same and refuses it when it differs.
    pub async fn file_case(
        &self,
        new: &NewCase,
        item: &crate::ItemRecord,
        template: &Template,
        notify: Option<&Notification>,
    ) -> Result<Filed, StoreError> {
        if let Some(key) = &new.idempotency_key {
            if let Some(existing) = self.case_by_idempotency_key(&new.region_code, key).await? {
                return self.replay(existing, key, &new.request_hash).await;
            }
        }
        if item.code != new.item_code {
            return Err(StoreError::Invalid(format!("事项“{}”与申请不符", item.code)));
        }
        if item.status != "published" {
            return Err(StoreError::Invalid(format!("事项“{}”已停用，不能申请", new.item_code)));
        }
        let turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let case = match insert_case(&mut tx, new, item, template, notify, None).await {
            Ok(case) => case,
            // Two filings raced with one key: the loser answers with the winner's case.
            Err(StoreError::Db(sqlx::Error::Database(e)))
                if e.is_unique_violation() && new.idempotency_key.is_some() =>
            {
                drop(tx);
                drop(turn);
                let key = new.idempotency_key.clone().unwrap_or_default();
                let existing = self
                    .case_by_idempotency_key(&new.region_code, &key)
                    .await?
                    .ok_or_else(|| StoreError::Conflict("幂等键冲突".into()))?;
                return self.replay(existing, &key, &new.request_hash).await;
            }
            Err(e) => return Err(e),
        };
        tx.commit().await?;
        drop(turn);
        Ok(Filed::Created(case))
    }

    async fn replay(&self, existing: CaseRecord, key: &str, request_hash: &str) -> Result<Filed, StoreError> {
        let stored: String = sqlx::query("SELECT request_hash FROM cases WHERE id = $1")
            .bind(existing.id)
            .fetch_one(&self.pool)
            .await
            .and_then(|r| text(&r, "request_hash"))?;
        if stored == request_hash {
            Ok(Filed::Replayed(existing))
        } else {
            Err(StoreError::Invalid(format!("幂等键“{key}”已用于另一份不同的申请")))
        }
    }

    async fn case_by_idempotency_key(&self, region: &str, key: &str) -> Result<Option<CaseRecord>, StoreError> {
        Ok(sqlx::query_as::<_, CaseRecord>(&format!(
            "{CASE_SELECT} WHERE c.region_code = $1 AND c.idempotency_key = $2"
        ))
        .bind(region)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn case_by_number(&self, region: &str, number: &str) -> Result<Option<CaseRecord>, StoreError> {
        Ok(
            sqlx::query_as::<_, CaseRecord>(&format!("{CASE_SELECT} WHERE c.region_code = $1 AND c.number = $2"))
                .bind(region)
                .bind(number)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Writes a transition computed from `case` (at `case.version`): nothing changes and `StoreError::Stale` is
    /// returned when someone else moved the case first.
    pub async fn apply_transition(
        &self,
        case: &CaseRecord,
        next: &Position,
        update: &CaseUpdate,
        event: &NewEvent,
        notify: Option<&Notification>,
    ) -> Result<CaseRecord, StoreError> {
        let turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let now = event.at.clone().unwrap_or_else(now_text);
        let suspended_since = match &update.suspended_since {
            Some(v) => v.clone(),
            None => case.suspended_since.clone(),
        };
        let done = sqlx::query(
            "UPDATE cases SET state = $1, position = $2, version = version + 1, accepted_on = $3, due_date = $4, \
             legal_due_date = $5, due_provisional = $6, suspended_since = $7, suspended_days = $8, updated_at = $9, \
             closed_at = $10, materials = $13, completed_on = $14, tolerance = $15, licence_id = $16, form = $17, \
             delivery = $18 WHERE id = $11 AND version = $12",
        )
        .bind(&next.state)
        .bind(to_json(next)?)
        .bind(update.accepted_on.clone().or(case.accepted_on.clone()))
        .bind(update.due_date.clone().or(case.due_date.clone()))
        .bind(update.legal_due_date.clone().or(case.legal_due_date.clone()))
        .bind(i64::from(update.due_provisional.unwrap_or(case.due_provisional)))
        .bind(suspended_since)
        .bind(update.suspended_days.unwrap_or(case.suspended_days))
        .bind(&now)
        .bind(if update.closed {
            Some(now.clone())
        } else {
            case.closed_at.clone()
        })
        .bind(case.id)
        .bind(case.version)
        .bind(to_json(update.materials.as_ref().unwrap_or(&case.materials))?)
        .bind(update.completed_on.clone().or(case.completed_on.clone()))
        .bind(i64::from(case.tolerance || update.commitment.is_some()))
        .bind(
            update
                .licence
                .as_ref()
                .map(|l| l.content.licence_id.clone())
                .or(case.licence_id.clone()),
        )
        .bind(to_json(update.form.as_ref().unwrap_or(&case.form))?)
        .bind(to_json(update.delivery.as_ref().unwrap_or(&case.delivery))?)
        .execute(&mut *tx)
        .await?;
        if let Some(p) = &update.payment {
            sqlx::query(
                "INSERT INTO payments (region_code, case_id, code, amount_fen, state, created_at) \
                 VALUES ($1, $2, $3, $4, 'unpaid', $5)",
            )
            .bind(&case.region_code)
            .bind(case.id)
            .bind(&p.code)
            .bind(p.amount_fen)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        if done.rows_affected() == 0 {
            return Err(StoreError::Stale {
                current: self.case_version(case.id).await?,
            });
        }
        append_event(
            &mut tx,
            &case.region_code,
            case.id,
            &case.number,
            &case.state,
            &next.state,
            event,
        )
        .await?;
        if let Some(n) = notify {
            queue(&mut tx, &case.region_code, case.id, n).await?;
        }
        if let Some(c) = &update.commitment {
            insert_commitment(&mut tx, case, c, &event.actor).await?;
        }
        if let Some(l) = &update.licence {
            insert_licence(&mut tx, &case.region_code, l, &event.actor).await?;
        }
        tx.commit().await?;
        drop(turn);
        // The record as written, without reading it back.
        let mut after = case.clone();
        after.state = next.state.clone();
        after.position = next.clone();
        after.version = case.version + 1;
        if let Some(v) = &update.accepted_on {
            after.accepted_on = Some(v.clone());
        }
        if let Some(v) = &update.due_date {
            after.due_date = Some(v.clone());
        }
        if let Some(v) = &update.legal_due_date {
            after.legal_due_date = Some(v.clone());
        }
        if let Some(v) = update.due_provisional {
            after.due_provisional = v;
        }
        if let Some(v) = &update.suspended_since {
            after.suspended_since = v.clone();
        }
        if let Some(v) = update.suspended_days {
            after.suspended_days = v;
        }
        if let Some(v) = &update.materials {
            after.materials = v.clone();
        }
        if update.completed_on.is_some() && after.completed_on.is_none() {
            after.completed_on = update.completed_on.clone();
        }
        if update.closed {
            after.closed_at = Some(now.clone());
        }
        if update.commitment.is_some() {
            after.tolerance = true;
        }
        if let Some(l) = &update.licence {
            after.licence_id = Some(l.content.licence_id.clone());
        }
        after.updated_at = now;
        Ok(after)
    }

    async fn case_version(&self, id: i64) -> Result<i64, StoreError> {
        let r = sqlx::query("SELECT version FROM cases WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(int(&r, "version")?)
    }

    pub async fn case_events(&self, case_id: i64) -> Result<Vec<CaseEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.number, e.* FROM case_events e JOIN cases c ON c.id = e.case_id WHERE e.case_id = $1 ORDER BY e.seq",
        )
            .bind(case_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(CaseEvent::from(event_row(r)?))).collect()
    }

    pub async fn cases(
        &self,
        region: &str,
        f: &CaseFilter,
        page: i64,
        per_page: i64,
    ) -> Result<crate::Page<CaseRecord>, StoreError> {
        let w = f.to_where(region);
        let sql_where = w.clauses.join(" AND ");
        let count_sql =
            format!("SELECT COUNT(*) AS n FROM cases c JOIN departments d ON d.id = c.department_id WHERE {sql_where}");
        let mut count = sqlx::query(&count_sql);
        for a in &w.args {
            count = count.bind(a.clone());
        }
        let total = int(&count.fetch_one(&self.pool).await?, "n")?;
        let sql = format!(
            "{CASE_SELECT} WHERE {sql_where} ORDER BY CASE WHEN c.due_date IS NULL THEN 1 ELSE 0 END, c.due_date, c.id \
             LIMIT {per_page} OFFSET {}",
            (page - 1) * per_page
        );
        let mut q = sqlx::query_as::<_, CaseRecord>(&sql);
        for a in &w.args {
            q = q.bind(a.clone());
        }
        Ok(crate::Page {
            total,
            page,
            per_page,
            data: q.fetch_all(&self.pool).await?,
        })
    }

    /// How many of the filter's cases are late, due today or warned (due by `warn_by`), and, given the reader's
    /// last look (`seen`, UTC text as `now_text` writes it), changed after it: one scan, for a page's figures.
    pub async fn case_urgency(
        &self,
        region: &str,
        f: &CaseFilter,
        today: &str,
        warn_by: &str,
        seen: Option<&str>,
    ) -> Result<UrgencyCounts, StoreError> {
        let mut w = f.to_where(region);
        let n = w.args.len();
        w.args.extend([today.to_string(), warn_by.to_string()]);
        let (t, wb) = (n + 1, n + 2);
        let fresh = match seen {
            Some(seen) => {
                w.args.push(seen.to_string());
                format!(
                    "COALESCE(SUM(CASE WHEN c.updated_at > ${} THEN 1 ELSE 0 END), 0)",
                    n + 3
                )
            }
            None => "0".to_string(),
        };
        let running = "c.due_date IS NOT NULL AND c.completed_on IS NULL AND c.suspended_since IS NULL";
        let sql = format!(
            "SELECT COUNT(*) AS total, \
             COALESCE(SUM(CASE WHEN {running} AND c.due_date < ${t} THEN 1 ELSE 0 END), 0) AS overdue, \
             COALESCE(SUM(CASE WHEN {running} AND c.due_date = ${t} THEN 1 ELSE 0 END), 0) AS due_today, \
             COALESCE(SUM(CASE WHEN {running} AND c.due_date > ${t} AND c.due_date <= ${wb} THEN 1 ELSE 0 END), 0) \
               AS warned, \
             {fresh} AS fresh \
             FROM cases c JOIN departments d ON d.id = c.department_id WHERE {}",
            w.clauses.join(" AND ")
        );
        let mut q = sqlx::query(&sql);
        for a in &w.args {
            q = q.bind(a.clone());
        }
        let r = q.fetch_one(&self.pool).await?;
        Ok(UrgencyCounts {
            total: int(&r, "total")?,
            overdue: int(&r, "overdue")?,
            due_today: int(&r, "due_today")?,
            warned: int(&r, "warned")?,
            new: int(&r, "fresh")?,
        })
    }

    /// Every case's events of the region, for `tongban audit verify`.
    pub async fn all_case_events(&self, region: Option<&str>) -> Result<Vec<StoredEvent>, StoreError> {
        let sql = "SELECT c.number, e.* FROM case_events e JOIN cases c ON c.id = e.case_id \
                   WHERE ($1 = '' OR e.region_code = $1) ORDER BY e.case_id, e.seq";
        let rows = sqlx::query(sql)
            .bind(region.unwrap_or(""))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(event_row).collect()
    }

    /// Claims up to `limit` notifications whose next attempt is due and that no server holds, for `lease_until`:
    /// several servers on one database each get different messages (PostgreSQL skips rows another is claiming;
    /// SQLite has one writer). A server that dies holding a claim lets it lapse, and the message is tried again.
    pub async fn claim_notifications(
        &self,
        now: &str,
        lease_until: &str,
        limit: i64,
    ) -> Result<Vec<(i64, Notification, i64)>, StoreError> {
        let claim = crate::auth::random_token();
        let free = "delivered_at IS NULL AND next_attempt_at <= $2 AND (claimed_until IS NULL OR claimed_until <= $2)";
        let skip_locked = match self.backend() {
            crate::Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            crate::Backend::Sqlite => "",
        };
        let _turn = self.write_turn().await;
        sqlx::query(&format!(
            "UPDATE outbox SET claim = $1, claimed_until = $3 WHERE {free} AND id IN \
             (SELECT id FROM outbox WHERE {free} ORDER BY id LIMIT {limit}{skip_locked})"
        ))
        .bind(&claim)
        .bind(now)
        .bind(lease_until)
        .execute(&self.pool)
        .await?;
        let rows =
            sqlx::query("SELECT id, channel, recipient, body, attempts FROM outbox WHERE claim = $1 ORDER BY id")
                .bind(&claim)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    int(r, "id")?,
                    Notification {
                        channel: text(r, "channel")?,
                        recipient: text(r, "recipient")?,
                        body: text(r, "body")?,
                    },
                    int(r, "attempts")?,
                ))
            })
            .collect()
    }

    /// Marks every queued notification of a region as sent without sending it: for seeded history (demo data),
    /// whose applicants must not be messaged.
    pub async fn settle_notifications(&self, region: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("UPDATE outbox SET delivered_at = $1 WHERE region_code = $2 AND delivered_at IS NULL")
            .bind(now_text())
            .bind(region)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn notification_delivered(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET delivered_at = $1, attempts = attempts + 1, claim = NULL, claimed_until = NULL \
             WHERE id = $2",
        )
        .bind(now_text())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn notification_failed(&self, id: i64, error: &str, next_attempt_at: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, claim = NULL, \
             claimed_until = NULL WHERE id = $3",
        )
        .bind(error)
        .bind(next_attempt_at)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Holiday notices loaded after the shipped ones (by `tongban calendar import`).
    pub async fn calendar_notices(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT definition FROM calendar_notices ORDER BY year")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(text(r, "definition")?)).collect()
    }

    pub async fn save_calendar_notice(
        &self,
        year: i32,
        source: &str,
        definition: &str,
        actor: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO calendar_notices (year, source, definition, loaded_at, loaded_by) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (year) DO UPDATE SET source = excluded.source, definition = excluded.definition, \
             loaded_at = excluded.loaded_at, loaded_by = excluded.loaded_by",
        )
        .bind(i64::from(year))
        .bind(source)
        .bind(definition)
        .bind(now_text())
        .bind(actor)
        .execute(&mut *tx)
        .await?;
        crate::org::audit(&mut tx, "", actor, "calendar.import", &year.to_string(), source).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Cases accepted within [from, to] (dates), for the supervision figures.
    pub async fn accepted_between(&self, region: &str, from: &str, to: &str) -> Result<Vec<CaseRecord>, StoreError> {
        Ok(sqlx::query_as::<_, CaseRecord>(&format!(
            "{CASE_SELECT} WHERE c.region_code = $1 AND c.accepted_on >= $2 AND c.accepted_on <= $3 ORDER BY c.id"
        ))
        .bind(region)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Open cases whose deadline was computed provisionally (over a year without a notice).
    pub async fn provisional_cases(&self) -> Result<Vec<CaseRecord>, StoreError> {
        Ok(sqlx::query_as::<_, CaseRecord>(&format!(
            "{CASE_SELECT} WHERE c.due_provisional = 1 AND c.closed_at IS NULL ORDER BY c.id"
        ))
        .fetch_all(&self.pool)
        .await?)
    }
}
