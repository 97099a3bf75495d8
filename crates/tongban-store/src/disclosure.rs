//! 政务公开 persistence: the standard catalog, items of information (draft → published by another person), requests
//! for disclosure with their append-only history, and appeals about disclosure. Rules (who may act, which state
//! allows what, deadlines) live in the web crate's use cases; here every write is one transaction with its audit
//! entry, and every state change is conditional on the state (or version) the use case read, so that two people
//! acting at once cannot both succeed.

use crate::db::{int, opt_text, text, Flag};
use crate::org::{audit, department_id};
use crate::{Page, Store, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// An entry of the standard catalog of basic-level disclosure (基层政务公开标准目录).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct CatalogEntry {
    pub code: String,
    /// 一级事项
    pub level1: String,
    /// 二级事项
    pub level2: String,
    /// 公开内容（要素）
    pub content: String,
    /// 公开依据
    pub basis: String,
    /// 公开时限
    pub time_limit: String,
    /// 公开主体
    pub subject: String,
    /// 公开渠道和载体
    pub channels: String,
    /// 公开对象
    pub object: String,
    /// 公开方式
    pub method: String,
    /// 公开层级
    pub level: String,
    pub position: i64,
}

/// An item of information under a catalog entry.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct InfoItem {
    pub id: i64,
    pub department_code: String,
    pub department_name: String,
    pub catalog_code: String,
    pub title: String,
    pub body: String,
    pub doc_kind: String,
    pub doc_number: String,
    /// draft, returned, published, repealed
    pub state: String,
    pub author: String,
    pub approver: Option<String>,
    pub return_note: String,
    pub created_at: String,
    pub published_at: Option<String>,
    pub published_on: Option<String>,
    pub repealed_on: Option<String>,
}

pub struct NewInfoItem<'a> {
    pub region: &'a str,
    pub department_code: &'a str,
    pub catalog_code: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub doc_kind: &'a str,
    pub doc_number: &'a str,
    pub author: &'a str,
    pub now: &'a str,
}

#[derive(Debug, Clone, Default)]
pub struct InfoFilter {
    pub department_code: Option<String>,
    pub catalog_code: Option<String>,
    /// One state, or None for every state.
    pub state: Option<String>,
    /// Words that must all appear in the title or the body.
    pub words: Vec<String>,
    /// Published on or after / on or before (local dates).
    pub from: Option<String>,
    pub to: Option<String>,
}

/// A request for disclosure (依申请公开) as stored.
#[derive(Debug, Clone, Serialize)]
pub struct DisclosureRequest {
    #[serde(skip)]
    pub id: i64,
    pub number: String,
    pub department_code: String,
    pub department_name: String,
    pub applicant_kind: String,
    pub org_kind: String,
    pub applicant_name: String,
    pub applicant_identifier: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub description: String,
    pub purpose: String,
    pub delivery: String,
    pub channel: String,
    pub state: String,
    pub received_on: String,
    pub clock_start: String,
    pub extended_days: i64,
    pub suspended_days: i64,
    pub suspended_since: Option<String>,
    pub due_date: String,
    pub due_provisional: bool,
    pub correction_on: Option<String>,
    pub reply_kind: Option<String>,
    pub reply_ground: Option<String>,
    pub reply_text: String,
    pub refer_to: String,
    pub replied_on: Option<String>,
    pub replied_by: Option<String>,
    pub filed_by: String,
    pub version: i64,
    pub created_at: String,
}

/// By hand, for the columns read through `crate::db`'s types (see there why not derived).
impl<'r> sqlx::FromRow<'r, AnyRow> for DisclosureRequest {
    fn from_row(r: &'r AnyRow) -> Result<DisclosureRequest, sqlx::Error> {
        Ok(DisclosureRequest {
            id: int(r, "id")?,
            number: text(r, "number")?,
            department_code: text(r, "department_code")?,
            department_name: text(r, "department_name")?,
            applicant_kind: text(r, "applicant_kind")?,
            org_kind: text(r, "org_kind")?,
            applicant_name: text(r, "applicant_name")?,
            applicant_identifier: text(r, "applicant_identifier")?,
            phone: text(r, "phone")?,
            email: text(r, "email")?,
            address: text(r, "address")?,
            description: text(r, "description")?,
            purpose: text(r, "purpose")?,
            delivery: text(r, "delivery")?,
            channel: text(r, "channel")?,
            state: text(r, "state")?,
            received_on: text(r, "received_on")?,
            clock_start: text(r, "clock_start")?,
            extended_days: int(r, "extended_days")?,
            suspended_days: int(r, "suspended_days")?,
            suspended_since: opt_text(r, "suspended_since")?,
            due_date: text(r, "due_date")?,
            due_provisional: r.try_get::<Flag, _>("due_provisional")?.into(),
            correction_on: opt_text(r, "correction_on")?,
            reply_kind: opt_text(r, "reply_kind")?,
            reply_ground: opt_text(r, "reply_ground")?,
            reply_text: text(r, "reply_text")?,
            refer_to: text(r, "refer_to")?,
            replied_on: opt_text(r, "replied_on")?,
            replied_by: opt_text(r, "replied_by")?,
            filed_by: text(r, "filed_by")?,
            version: int(r, "version")?,
            created_at: text(r, "created_at")?,
        })
    }
}

/// One step in a request's history.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RequestEvent {
    pub seq: i64,
    pub actor: String,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    /// Local date the step counts on.
    pub day: String,
    pub at: String,
    pub detail: String,
}

/// What a step writes to the history.
pub struct NewRequestEvent<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub day: &'a str,
    pub at: &'a str,
    pub detail: &'a str,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Appeal {
    pub id: i64,
    pub department_code: String,
    pub kind: String,
    pub request_number: String,
    pub filed_on: String,
    pub result: Option<String>,
    pub decided_on: Option<String>,
    pub recorded_by: String,
}

/// Counts of published items by department and catalog entry over a period.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PublishedCount {
    pub department_code: String,
    pub department_name: String,
    pub catalog_code: String,
    #[sqlx(rename = "n")]
    pub count: i64,
}

const ITEM_SELECT: &str =
    "SELECT i.id, d.code AS department_code, d.name AS department_name, i.catalog_code, i.title, \
     i.body, i.doc_kind, i.doc_number, i.state, i.author, i.approver, i.return_note, i.created_at, i.published_at, \
     i.published_on, i.repealed_on FROM disclosure_items i JOIN departments d ON d.id = i.department_id";

const REQUEST_SELECT: &str = "SELECT r.*, d.code AS department_code, d.name AS department_name \
     FROM disclosure_requests r JOIN departments d ON d.id = r.department_id";

/// `%word%` for LIKE, with the wildcard characters of the word taken literally.
fn like_pattern(word: &str) -> String {
    let mut p = String::from("%");
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl Store {
    pub async fn disclosure_catalog(&self, region: &str) -> Result<Vec<CatalogEntry>, StoreError> {
        Ok(sqlx::query_as::<_, CatalogEntry>(
            "SELECT * FROM disclosure_catalog WHERE region_code = $1 ORDER BY position, code",
        )
        .bind(region)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn disclosure_catalog_entry(&self, region: &str, code: &str) -> Result<Option<CatalogEntry>, StoreError> {
        Ok(
            sqlx::query_as::<_, CatalogEntry>("SELECT * FROM disclosure_catalog WHERE region_code = $1 AND code = $2")
                .bind(region)
                .bind(code)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Adds or replaces catalog entries. With `keep_existing`, entries already there are left as they are (a
    /// re-seed must not undo an administrator's edits). One transaction, one audit entry per entry written.
    pub async fn save_disclosure_catalog(
        &self,
        region: &str,
        entries: &[CatalogEntry],
        keep_existing: bool,
        actor: &str,
        now: &str,
    ) -> Result<usize, StoreError> {
        let turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let mut written = 0;
        for e in entries {
            let conflict = if keep_existing {
                "DO NOTHING"
            } else {
                "DO UPDATE SET level1 = excluded.level1, level2 = excluded.level2, content = excluded.content, \
                 basis = excluded.basis, time_limit = excluded.time_limit, subject = excluded.subject, \
                 channels = excluded.channels, object = excluded.object, method = excluded.method, \
                 level = excluded.level, position = excluded.position, updated_at = excluded.updated_at, \
                 updated_by = excluded.updated_by"
            };
            let done = sqlx::query(&format!(
                "INSERT INTO disclosure_catalog (region_code, code, level1, level2, content, basis, time_limit, \
                 subject, channels, object, method, level, position, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
                 ON CONFLICT (region_code, code) {conflict}"
            ))
            .bind(region)
            .bind(&e.code)
            .bind(&e.level1)
            .bind(&e.level2)
            .bind(&e.content)
            .bind(&e.basis)
            .bind(&e.time_limit)
            .bind(&e.subject)
            .bind(&e.channels)
            .bind(&e.object)
            .bind(&e.method)
            .bind(&e.level)
            .bind(e.position)
            .bind(now)
            .bind(actor)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() > 0 {
                written += 1;
                let detail = format!("{} / {}", e.level1, e.level2);
                audit(&mut tx, region, actor, "disclosure.catalog.save", &e.code, &detail).await?;
            }
        }
        tx.commit().await?;
        drop(turn);
        Ok(written)
    }

    /// Records a draft. The catalog entry and the department must exist.
    pub async fn create_info_item(&self, new: &NewInfoItem<'_>) -> Result<InfoItem, StoreError> {
        let turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        if sqlx::query("SELECT 1 FROM disclosure_catalog WHERE region_code = $1 AND code = $2")
            .bind(new.region)
            .bind(new.catalog_code)
            .fetch_optional(&mut *tx)
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound(format!("公开目录事项“{}”", new.catalog_code)));
        }
        let dept = department_id(&mut tx, new.region, new.department_code).await?;
        let row = sqlx::query(
            "INSERT INTO disclosure_items (region_code, department_id, catalog_code, title, body, doc_kind, doc_number, \
             state, author, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', $8, $9, $9) RETURNING id",
        )
        .bind(new.region)
        .bind(dept)
        .bind(new.catalog_code)
        .bind(new.title)
        .bind(new.body)
        .bind(new.doc_kind)
        .bind(new.doc_number)
        .bind(new.author)
        .bind(new.now)
        .fetch_one(&mut *tx)
        .await?;
        let id = int(&row, "id")?;
        audit(
            &mut tx,
            new.region,
            new.author,
            "disclosure.item.draft",
            &format!("info/{id}"),
            new.title,
        )
        .await?;
        let item = sqlx::query_as::<_, InfoItem>(&format!("{ITEM_SELECT} WHERE i.id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        drop(turn);
        Ok(item)
    }

    pub async fn info_item(&self, region: &str, id: i64) -> Result<Option<InfoItem>, StoreError> {
        Ok(
            sqlx::query_as::<_, InfoItem>(&format!("{ITEM_SELECT} WHERE i.region_code = $1 AND i.id = $2"))
                .bind(region)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Moves an item from `from_state` to `to_state`: `published` records the approver and the time, `returned` the
    /// note, `draft` (revised by its author) new title and body, `repealed` the day. Nothing is written when the item
    /// is no longer in `from_state` (someone acted first): a conflict.
    #[allow(clippy::too_many_arguments)]
    pub async fn move_info_item(
        &self,
        region: &str,
        id: i64,
        from_state: &str,
        to_state: &str,
        actor: &str,
        note: &str,
        revised: Option<(&str, &str)>,
        now: &str,
        day: &str,
    ) -> Result<InfoItem, StoreError> {
        let turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let (title, body) = revised.unwrap_or(("", ""));
        let done = sqlx::query(
            "UPDATE disclosure_items SET state = $4, updated_at = $5, \
             approver = CASE WHEN $4 = 'published' THEN $6 ELSE approver END, \
             published_at = CASE WHEN $4 = 'published' THEN $5 ELSE published_at END, \
             published_on = CASE WHEN $4 = 'published' THEN $7 ELSE published_on END, \
             repealed_on = CASE WHEN $4 = 'repealed' THEN $7 ELSE repealed_on END, \
             return_note = CASE WHEN $4 = 'returned' THEN $8 ELSE return_note END, \
             title = CASE WHEN $9 = '' THEN title ELSE $9 END, body = CASE WHEN $9 = '' THEN body ELSE $10 END \
             WHERE region_code = $1 AND id = $2 AND state = $3",
        )
        .bind(region)
        .bind(id)
        .bind(from_state)
        .bind(to_state)
        .bind(now)
        .bind(actor)
        .bind(day)
        .bind(note)
        .bind(title)
        .bind(body)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "公开信息{id}已不在“{from_state}”状态，请刷新后重试"
            )));
        }
        audit(
            &mut tx,
            region,
            actor,
            &format!("disclosure.item.{to_state}"),
            &format!("info/{id}"),
            note,
        )
        .await?;
        let item = sqlx::query_as::<_, InfoItem>(&format!("{ITEM_SELECT} WHERE i.id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        drop(turn);
        Ok(item)
    }

    /// Items matching the filter, newest first (published ones by publication, others by creation).
    pub async fn info_items(
        &self,
        region: &str,
        f: &InfoFilter,
        page: i64,
        per_page: i64,
    ) -> Result<Page<InfoItem>, StoreError> {
        let mut clauses = vec!["i.region_code = $1".to_string()];
        let mut binds: Vec<String> = vec![region.to_string()];
        let mut add = |clause: &str, value: String| {
            binds.push(value);
            clauses.push(clause.replace('?', &format!("${}", binds.len())));
        };
        if let Some(d) = &f.department_code {
            add("d.code = ?", d.clone());
        }
        if let Some(c) = &f.catalog_code {
            add("i.catalog_code = ?", c.clone());
        }
        if let Some(s) = &f.state {
            add("i.state = ?", s.clone());
        }
        if let Some(from) = &f.from {
            add("i.published_on >= ?", from.clone());
        }
        if let Some(to) = &f.to {
            add("i.published_on <= ?", to.clone());
        }
        for w in &f.words {
            binds.push(like_pattern(w));
            let n = binds.len();
            clauses.push(format!(
                "(i.title LIKE ${n} ESCAPE '\\' OR i.body LIKE ${n} ESCAPE '\\')"
            ));
        }
        let filter = clauses.join(" AND ");
        let count_sql = format!(
            "SELECT COUNT(*) AS n FROM disclosure_items i JOIN departments d ON d.id = i.department_id WHERE {filter}"
        );
        let mut q = sqlx::query(&count_sql);
        for b in &binds {
            q = q.bind(b);
        }
        let total = int(&q.fetch_one(&self.pool).await?, "n")?;
        let list_sql = format!(
            "{ITEM_SELECT} WHERE {filter} ORDER BY COALESCE(i.published_at, i.created_at) DESC, i.id DESC \
             LIMIT {per_page} OFFSET {}",
            (page - 1).max(0) * per_page
        );
        let mut q = sqlx::query_as::<_, InfoItem>(&list_sql);
        for b in &binds {
            q = q.bind(b);
        }
        let data = q.fetch_all(&self.pool).await?;
        Ok(Page {
            total,
            page,
            per_page,
            data,
        })
    }

    /// Published items (still published or repealed since) by department and catalog entry, published in [from, to].
    pub async fn published_counts(
        &self,
        region: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<PublishedCount>, StoreError> {
        Ok(sqlx::query_as::<_, PublishedCount>(
            "SELECT d.code AS department_code, d.name AS department_name, i.catalog_code, COUNT(*) AS n \
             FROM disclosure_items i JOIN departments d ON d.id = i.department_id \
             WHERE i.region_code = $1 AND i.published_on >= $2 AND i.published_on <= $3 \
             GROUP BY d.code, d.name, i.catalog_code ORDER BY d.code, i.catalog_code",
        )
        .bind(region)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every published or repealed regulation and normative document (for the report's table 2).
    pub async fn disclosure_documents(&self, region: &str) -> Result<Vec<InfoItem>, StoreError> {
        Ok(sqlx::query_as::<_, InfoItem>(&format!(
            "{ITEM_SELECT} WHERE i.region_code = $1 AND i.doc_kind <> '' AND i.published_on IS NOT NULL ORDER BY i.id"
        ))
        .bind(region)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Decided cases by department and item type (GB/T 39046 code) with the decision day in [from, to]: the report's
    /// 行政许可 / 行政处罚 / 行政强制 rows. Withdrawn cases decided nothing.
    pub async fn decisions_by_type(
        &self,
        region: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.code AS department_code, i.item_type_code, COUNT(*) AS n FROM cases c \
             JOIN items i ON i.id = c.item_id JOIN departments d ON d.id = c.department_id \
             WHERE c.region_code = $1 AND c.completed_on >= $2 AND c.completed_on <= $3 AND c.state <> 'withdrawn' \
             GROUP BY d.code, i.item_type_code",
        )
        .bind(region)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((text(r, "department_code")?, text(r, "item_type_code")?, int(r, "n")?)))
            .collect()
    }

    /// Records a request received, numbered `<prefix><year>-<nnnn>` per year, with its first history step.
    pub async fn file_disclosure_request(
        &self,
        region: &str,
        department_code: &str,
        r: &DisclosureRequest,
        prefix: &str,
        event: &NewRequestEvent<'_>,
    ) -> Result<DisclosureRequest, StoreError> {
        let turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let dept = department_id(&mut tx, region, department_code).await?;
        let year: i64 = r.received_on.get(0..4).and_then(|y| y.parse().ok()).unwrap_or(0);
        let seq = sqlx::query(
            "INSERT INTO disclosure_sequences (region_code, year, last) VALUES ($1, $2, 1) \
             ON CONFLICT (region_code, year) DO UPDATE SET last = disclosure_sequences.last + 1 RETURNING last",
        )
        .bind(region)
        .bind(year)
        .fetch_one(&mut *tx)
        .await?;
        let number = format!("{prefix}{year}-{:04}", int(&seq, "last")?);
        let row = sqlx::query(
            "INSERT INTO disclosure_requests (region_code, number, department_id, applicant_kind, org_kind, \
             applicant_name, applicant_identifier, phone, email, address, description, purpose, delivery, channel, \
             state, received_on, clock_start, due_date, due_provisional, filed_by, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, 1, \
             $21, $21) RETURNING id",
        )
        .bind(region)
        .bind(&number)
        .bind(dept)
        .bind(&r.applicant_kind)
        .bind(&r.org_kind)
        .bind(&r.applicant_name)
        .bind(&r.applicant_identifier)
        .bind(&r.phone)
        .bind(&r.email)
        .bind(&r.address)
        .bind(&r.description)
        .bind(&r.purpose)
        .bind(&r.delivery)
        .bind(&r.channel)
        .bind(&r.state)
        .bind(&r.received_on)
        .bind(&r.clock_start)
        .bind(&r.due_date)
        .bind(i64::from(r.due_provisional))
        .bind(&r.filed_by)
        .bind(event.at)
        .fetch_one(&mut *tx)
        .await?;
        let id = int(&row, "id")?;
        insert_event(&mut tx, id, 1, "", &r.state, event).await?;
        audit(
            &mut tx,
            region,
            event.actor,
            "disclosure.request.receive",
            &number,
            department_code,
        )
        .await?;
        let stored = sqlx::query_as::<_, DisclosureRequest>(&format!("{REQUEST_SELECT} WHERE r.id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        drop(turn);
        Ok(stored)
    }

    pub async fn disclosure_request(
        &self,
        region: &str,
        number: &str,
    ) -> Result<Option<DisclosureRequest>, StoreError> {
        Ok(sqlx::query_as::<_, DisclosureRequest>(&format!(
            "{REQUEST_SELECT} WHERE r.region_code = $1 AND r.number = $2"
        ))
        .bind(region)
        .bind(number)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Writes the request's new handling fields if nobody changed it since `old` was read (else `Stale`), with the
    /// history step and the audit entry.
    pub async fn update_disclosure_request(
        &self,
        region: &str,
        old: &DisclosureRequest,
        new: &DisclosureRequest,
        event: &NewRequestEvent<'_>,
    ) -> Result<DisclosureRequest, StoreError> {
        let turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE disclosure_requests SET state = $3, clock_start = $4, extended_days = $5, suspended_days = $6, \
             suspended_since = $7, due_date = $8, due_provisional = $9, correction_on = $10, reply_kind = $11, \
             reply_ground = $12, reply_text = $13, refer_to = $14, replied_on = $15, replied_by = $16, \
             version = version + 1, updated_at = $17 WHERE id = $1 AND version = $2",
        )
        .bind(old.id)
        .bind(old.version)
        .bind(&new.state)
        .bind(&new.clock_start)
        .bind(new.extended_days)
        .bind(new.suspended_days)
        .bind(new.suspended_since.clone())
        .bind(&new.due_date)
        .bind(i64::from(new.due_provisional))
        .bind(new.correction_on.clone())
        .bind(new.reply_kind.clone())
        .bind(new.reply_ground.clone())
        .bind(&new.reply_text)
        .bind(&new.refer_to)
        .bind(new.replied_on.clone())
        .bind(new.replied_by.clone())
        .bind(event.at)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            let current = sqlx::query("SELECT version FROM disclosure_requests WHERE id = $1")
                .bind(old.id)
                .fetch_one(&mut *tx)
                .await?;
            return Err(StoreError::Stale {
                current: int(&current, "version")?,
            });
        }
        let seq =
            sqlx::query("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM disclosure_request_events WHERE request_id = $1")
                .bind(old.id)
                .fetch_one(&mut *tx)
                .await?;
        insert_event(&mut tx, old.id, int(&seq, "n")?, &old.state, &new.state, event).await?;
        audit(
            &mut tx,
            region,
            event.actor,
            &format!("disclosure.request.{}", event.action),
            &old.number,
            event.detail,
        )
        .await?;
        let stored = sqlx::query_as::<_, DisclosureRequest>(&format!("{REQUEST_SELECT} WHERE r.id = $1"))
            .bind(old.id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        drop(turn);
        Ok(stored)
    }

    pub async fn disclosure_request_events(
        &self,
        request: &DisclosureRequest,
    ) -> Result<Vec<RequestEvent>, StoreError> {
        Ok(sqlx::query_as::<_, RequestEvent>(
            "SELECT * FROM disclosure_request_events WHERE request_id = $1 ORDER BY seq",
        )
        .bind(request.id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Requests of the region (of one department when given): the open ones by due date, or all received up to
    /// `received_until` and not replied before `open_on` (what a report year handles or carries), oldest first.
    pub async fn disclosure_requests(
        &self,
        region: &str,
        department_code: Option<&str>,
        open_only: bool,
        window: Option<(&str, &str)>,
    ) -> Result<Vec<DisclosureRequest>, StoreError> {
        let mut sql = format!("{REQUEST_SELECT} WHERE r.region_code = $1");
        let mut binds = vec![region.to_string()];
        if let Some(d) = department_code {
            binds.push(d.to_string());
            sql.push_str(&format!(" AND d.code = ${}", binds.len()));
        }
        if open_only {
            sql.push_str(" AND r.state <> 'replied'");
        }
        if let Some((open_on, received_until)) = window {
            binds.push(received_until.to_string());
            sql.push_str(&format!(" AND r.received_on <= ${}", binds.len()));
            binds.push(open_on.to_string());
            sql.push_str(&format!(
                " AND (r.replied_on IS NULL OR r.replied_on >= ${})",
                binds.len()
            ));
        }
        sql.push_str(if open_only {
            " ORDER BY r.due_date, r.id"
        } else {
            " ORDER BY r.received_on, r.id"
        });
        let mut q = sqlx::query_as::<_, DisclosureRequest>(&sql);
        for b in &binds {
            q = q.bind(b);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn record_disclosure_appeal(
        &self,
        region: &str,
        department_code: &str,
        kind: &str,
        request_number: &str,
        filed_on: &str,
        actor: &str,
        now: &str,
    ) -> Result<Appeal, StoreError> {
        let turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let dept = department_id(&mut tx, region, department_code).await?;
        let row = sqlx::query(
            "INSERT INTO disclosure_appeals (region_code, department_id, kind, request_number, filed_on, recorded_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(region)
        .bind(dept)
        .bind(kind)
        .bind(request_number)
        .bind(filed_on)
        .bind(actor)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let id = int(&row, "id")?;
        audit(
            &mut tx,
            region,
            actor,
            "disclosure.appeal.record",
            &format!("appeal/{id}"),
            &format!("{kind} {request_number} {filed_on}"),
        )
        .await?;
        tx.commit().await?;
        drop(turn);
        self.disclosure_appeal(region, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("复议诉讼记录{id}")))
    }

    /// Records the outcome of a pending appeal; an appeal already decided is a conflict.
    pub async fn decide_disclosure_appeal(
        &self,
        region: &str,
        id: i64,
        result: &str,
        decided_on: &str,
        actor: &str,
    ) -> Result<Appeal, StoreError> {
        let turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE disclosure_appeals SET result = $3, decided_on = $4 WHERE region_code = $1 AND id = $2 \
             AND result IS NULL",
        )
        .bind(region)
        .bind(id)
        .bind(result)
        .bind(decided_on)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("复议诉讼记录{id}不存在或已审结")));
        }
        audit(
            &mut tx,
            region,
            actor,
            "disclosure.appeal.decide",
            &format!("appeal/{id}"),
            &format!("{result} {decided_on}"),
        )
        .await?;
        tx.commit().await?;
        drop(turn);
        self.disclosure_appeal(region, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("复议诉讼记录{id}")))
    }

    pub async fn disclosure_appeal(&self, region: &str, id: i64) -> Result<Option<Appeal>, StoreError> {
        Ok(sqlx::query_as::<_, Appeal>(
            "SELECT a.*, d.code AS department_code FROM disclosure_appeals a JOIN departments d ON d.id = a.department_id \
             WHERE a.region_code = $1 AND a.id = $2",
        )
        .bind(region)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn disclosure_appeals(&self, region: &str) -> Result<Vec<Appeal>, StoreError> {
        Ok(sqlx::query_as::<_, Appeal>(
            "SELECT a.*, d.code AS department_code FROM disclosure_appeals a JOIN departments d ON d.id = a.department_id \
             WHERE a.region_code = $1 ORDER BY a.filed_on, a.id",
        )
        .bind(region)
        .fetch_all(&self.pool)
        .await?)
    }
}

impl Store {
    /// The written sections of a report: (problems, other matters), if someone wrote them.
    pub async fn report_texts(
        &self,
        region: &str,
        scope: &str,
        year: i64,
    ) -> Result<Option<(String, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT problems, other_matters FROM disclosure_report_texts WHERE region_code = $1 AND scope = $2 AND year = $3",
        )
        .bind(region)
        .bind(scope)
        .bind(year)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => Some((text(&r, "problems")?, text(&r, "other_matters")?)),
            None => None,
        })
    }

    pub async fn save_report_texts(
        &self,
        region: &str,
        scope: &str,
        year: i64,
        problems: &str,
        other_matters: &str,
        actor: &str,
    ) -> Result<(), StoreError> {
        let turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO disclosure_report_texts (region_code, scope, year, problems, other_matters, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (region_code, scope, year) DO UPDATE SET \
             problems = excluded.problems, other_matters = excluded.other_matters, updated_by = excluded.updated_by, \
             updated_at = excluded.updated_at",
        )
        .bind(region)
        .bind(scope)
        .bind(year)
        .bind(problems)
        .bind(other_matters)
        .bind(actor)
        .bind(crate::now_text())
        .execute(&mut *tx)
        .await?;
        let target = format!("report/{year}/{}", if scope.is_empty() { "district" } else { scope });
        audit(&mut tx, region, actor, "disclosure.report.texts", &target, "").await?;
        tx.commit().await?;
        drop(turn);
        Ok(())
    }
}

async fn insert_event(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    request_id: i64,
    seq: i64,
    from_state: &str,
    to_state: &str,
    e: &NewRequestEvent<'_>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO disclosure_request_events (request_id, seq, actor, action, from_state, to_state, day, at, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(request_id)
    .bind(seq)
    .bind(e.actor)
    .bind(e.action)
    .bind(from_state)
    .bind(to_state)
    .bind(e.day)
    .bind(e.at)
    .bind(e.detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
