//! 12345 hotline persistence: categories, work orders with their append-only event history, early warnings and
//! Open311 API keys. The state machine lives in the web crate; here every write is one transaction carrying its
//! event and audit entry, and an order is only written if its version is still the one the caller read (so two
//! dispatchers acting at once cannot both win).

use crate::db::{decode, int, opt_int, opt_text, text, CommaList, Flag, OptFlag};
use crate::org::audit;
use crate::{now_text, Store, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HotlineCategory {
    pub code: String,
    pub name: String,
    /// Empty for a top-level group.
    pub parent_code: String,
    /// consultation, help, suggestion, complaint or report
    pub kind: String,
    pub department_code: String,
    /// Working days; None: the kind's default.
    pub limit_days: Option<i64>,
    pub keywords: String,
    pub position: i64,
    pub active: bool,
}

/// By hand, for the columns read through `crate::db`'s types (see there why not derived).
impl<'r> sqlx::FromRow<'r, AnyRow> for HotlineCategory {
    fn from_row(r: &'r AnyRow) -> Result<HotlineCategory, sqlx::Error> {
        Ok(HotlineCategory {
            code: text(r, "code")?,
            name: text(r, "name")?,
            parent_code: text(r, "parent_code")?,
            kind: text(r, "kind")?,
            department_code: text(r, "department_code")?,
            limit_days: opt_int(r, "limit_days")?,
            keywords: text(r, "keywords")?,
            position: int(r, "position")?,
            active: r.try_get::<Flag, _>("active")?.into(),
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkOrder {
    #[serde(skip)]
    pub id: i64,
    pub number: String,
    pub channel: String,
    pub category_code: String,
    pub kind: String,
    pub urgency: String,
    pub title: String,
    pub content: String,
    pub address: String,
    pub area_code: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub caller_name: String,
    pub caller_phone: String,
    pub attachments: String,
    pub state: String,
    pub lead_department: String,
    pub co_departments: String,
    pub received_at: String,
    pub due_at: String,
    pub extension_requested: i64,
    pub extension_reason: String,
    pub return_reason: String,
    pub reply: String,
    pub replied_at: Option<String>,
    pub resolved: Option<bool>,
    pub satisfaction: Option<String>,
    pub closed_at: Option<String>,
    pub closing_note: String,
    pub merged_into: Option<String>,
    pub returns: i64,
    pub extensions: i64,
    pub api_client: String,
    pub token: Option<String>,
    pub version: i64,
    pub updated_at: String,
}

/// By hand, for the columns read through `crate::db`'s types (see there why not derived).
impl<'r> sqlx::FromRow<'r, AnyRow> for WorkOrder {
    fn from_row(r: &'r AnyRow) -> Result<WorkOrder, sqlx::Error> {
        Ok(WorkOrder {
            id: int(r, "id")?,
            number: text(r, "number")?,
            channel: text(r, "channel")?,
            category_code: text(r, "category_code")?,
            kind: text(r, "kind")?,
            urgency: text(r, "urgency")?,
            title: text(r, "title")?,
            content: text(r, "content")?,
            address: text(r, "address")?,
            area_code: text(r, "area_code")?,
            lat: r.try_get("lat")?,
            lon: r.try_get("lon")?,
            caller_name: text(r, "caller_name")?,
            caller_phone: text(r, "caller_phone")?,
            attachments: text(r, "attachments")?,
            state: text(r, "state")?,
            lead_department: text(r, "lead_department")?,
            co_departments: text(r, "co_departments")?,
            received_at: text(r, "received_at")?,
            due_at: text(r, "due_at")?,
            extension_requested: int(r, "extension_requested")?,
            extension_reason: text(r, "extension_reason")?,
            return_reason: text(r, "return_reason")?,
            reply: text(r, "reply")?,
            replied_at: opt_text(r, "replied_at")?,
            resolved: r.try_get::<OptFlag, _>("resolved")?.into(),
            satisfaction: opt_text(r, "satisfaction")?,
            closed_at: opt_text(r, "closed_at")?,
            closing_note: text(r, "closing_note")?,
            merged_into: opt_text(r, "merged_into")?,
            returns: int(r, "returns")?,
            extensions: int(r, "extensions")?,
            api_client: text(r, "api_client")?,
            token: opt_text(r, "token")?,
            version: int(r, "version")?,
            updated_at: text(r, "updated_at")?,
        })
    }
}

/// One step in an order's history.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OrderEvent {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub department: String,
    pub note: String,
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub states: Vec<String>,
    /// Lead department, or a co-handler when `include_co` is set.
    pub department: Option<String>,
    pub include_co: bool,
    pub categories: Vec<String>,
    pub numbers: Vec<String>,
    pub channel: Option<String>,
    /// received_at in [from, to) (UTC text)
    pub received_from: Option<String>,
    pub received_to: Option<String>,
    pub updated_from: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct HotlineWarning {
    pub id: i64,
    pub department_code: String,
    pub category_code: String,
    pub area_code: String,
    pub orders: Vec<String>,
    pub summary: String,
    pub first_at: String,
    pub last_at: String,
    pub raised_at: String,
    /// Who took the warning on (the department, or the hotline for it), when, and what they said they will do.
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<String>,
    pub acknowledgement: String,
}

/// By hand, for the columns read through `crate::db`'s types (see there why not derived).
impl<'r> sqlx::FromRow<'r, AnyRow> for HotlineWarning {
    fn from_row(r: &'r AnyRow) -> Result<HotlineWarning, sqlx::Error> {
        Ok(HotlineWarning {
            id: int(r, "id")?,
            department_code: text(r, "department_code")?,
            category_code: text(r, "category_code")?,
            area_code: text(r, "area_code")?,
            orders: r.try_get::<CommaList, _>("orders")?.into(),
            summary: text(r, "summary")?,
            first_at: text(r, "first_at")?,
            last_at: text(r, "last_at")?,
            raised_at: text(r, "raised_at")?,
            acknowledged_by: opt_text(r, "acknowledged_by")?,
            acknowledged_at: opt_text(r, "acknowledged_at")?,
            acknowledgement: text(r, "acknowledgement")?,
        })
    }
}

/// A file attached to a work order; the bytes are kept under the data directory by their SHA-256.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct HotlineFile {
    pub name: String,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Open311Key {
    pub name: String,
    pub created_at: String,
    pub created_by: String,
    pub revoked_at: Option<String>,
}

const ORDER_COLUMNS: &str = "id, number, channel, category_code, kind, urgency, title, content, address, area_code, \
     lat, lon, caller_name, caller_phone, attachments, state, lead_department, co_departments, received_at, due_at, \
     extension_requested, extension_reason, return_reason, reply, replied_at, resolved, satisfaction, closed_at, \
     closing_note, merged_into, returns, extensions, api_client, token, version, updated_at";

const WARNING_COLUMNS: &str = "id, department_code, category_code, area_code, orders, summary, first_at, last_at, \
     raised_at, acknowledged_by, acknowledged_at, acknowledgement";

async fn insert_file(
    tx: &mut Transaction<'static, Any>,
    order_id: i64,
    f: &HotlineFile,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO hotline_files (order_id, name, sha256, size, content_type, uploaded_by, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(order_id)
    .bind(&f.name)
    .bind(&f.sha256)
    .bind(f.size)
    .bind(&f.content_type)
    .bind(&f.uploaded_by)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The history line of an upload: the file names and the first characters of their hashes.
fn attach_note(files: &[HotlineFile]) -> String {
    let names: Vec<String> = files
        .iter()
        .map(|f| format!("{}（{}）", f.name, &f.sha256[..f.sha256.len().min(12)]))
        .collect();
    format!("上传附件：{}", names.join("、"))
}

async fn insert_event(tx: &mut Transaction<'static, Any>, order_id: i64, e: &OrderEvent) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO hotline_events (order_id, at, actor, action, from_state, to_state, department, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(order_id)
    .bind(&e.at)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.from_state)
    .bind(&e.to_state)
    .bind(&e.department)
    .bind(&e.note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    pub async fn hotline_categories(&self, region: &str) -> Result<Vec<HotlineCategory>, StoreError> {
        Ok(sqlx::query_as::<_, HotlineCategory>(
            "SELECT code, name, parent_code, kind, department_code, limit_days, keywords, position, active \
             FROM hotline_categories WHERE region_code = $1 ORDER BY position, code",
        )
        .bind(region)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn upsert_hotline_category(
        &self,
        region: &str,
        c: &HotlineCategory,
        actor: &str,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO hotline_categories (region_code, code, name, parent_code, kind, department_code, limit_days, \
             keywords, position, active, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (region_code, code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code, \
             kind = excluded.kind, department_code = excluded.department_code, limit_days = excluded.limit_days, \
             keywords = excluded.keywords, position = excluded.position, active = excluded.active, \
             updated_at = excluded.updated_at",
        )
        .bind(region)
        .bind(&c.code)
        .bind(&c.name)
        .bind(&c.parent_code)
        .bind(&c.kind)
        .bind(&c.department_code)
        .bind(c.limit_days)
        .bind(&c.keywords)
        .bind(c.position)
        .bind(i64::from(c.active))
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        let detail = format!("{} {} → {}", c.name, c.kind, c.department_code);
        audit(&mut tx, region, actor, "hotline.category", &c.code, &detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Files a new order: numbers it (`RX` + local date + 4 digits, per day), writes the `receive` event and the
    /// audit entry, and the files handed in with it (an `attach` event), all in one transaction. `order.number`,
    /// `id` and `version` are assigned here.
    pub async fn file_work_order(
        &self,
        region: &str,
        day: &str,
        order: &WorkOrder,
        files: &[HotlineFile],
        actor: &str,
    ) -> Result<WorkOrder, StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let last: i64 = sqlx::query(
            "INSERT INTO hotline_sequences (region_code, day, last) VALUES ($1, $2, 1) \
             ON CONFLICT (region_code, day) DO UPDATE SET last = hotline_sequences.last + 1 RETURNING last",
        )
        .bind(region)
        .bind(day)
        .fetch_one(&mut *tx)
        .await?
        .try_get::<i64, _>(0)?;
        let number = format!("RX{}{:04}", day.replace('-', ""), last);
        let now = now_text();
        let id: i64 = sqlx::query(
            "INSERT INTO hotline_orders (region_code, number, channel, category_code, kind, urgency, title, content, \
             address, area_code, lat, lon, caller_name, caller_phone, attachments, state, lead_department, \
             co_departments, received_at, due_at, api_client, token, version, updated_at) VALUES ($1, $2, $3, $4, \
             $5, $6, $7, $8, $9, $10, CASE WHEN $24 = 1 THEN $11 END, CASE WHEN $24 = 1 THEN $12 END, $13, $14, \
             $15, $16, $17, $18, $19, $20, $21, $22, 1, $23) RETURNING id",
        )
        .bind(region)
        .bind(&number)
        .bind(&order.channel)
        .bind(&order.category_code)
        .bind(&order.kind)
        .bind(&order.urgency)
        .bind(&order.title)
        .bind(&order.content)
        .bind(&order.address)
        .bind(&order.area_code)
        // Always a float8: sqlx 0.8's Any driver sends a NULL f64 to PostgreSQL as float4, and a statement first
        // prepared with that NULL then refuses the next order's 8-byte lat ("incorrect binary data format").
        .bind(order.lat.unwrap_or(0.0))
        .bind(order.lon.unwrap_or(0.0))
        .bind(&order.caller_name)
        .bind(&order.caller_phone)
        .bind(&order.attachments)
        .bind(&order.state)
        .bind(&order.lead_department)
        .bind(&order.co_departments)
        .bind(&order.received_at)
        .bind(&order.due_at)
        .bind(&order.api_client)
        .bind(&order.token)
        .bind(&now)
        .bind(i64::from(order.lat.is_some() && order.lon.is_some()))
        .fetch_one(&mut *tx)
        .await?
        .try_get::<i64, _>(0)?;
        let event = OrderEvent {
            at: order.received_at.clone(),
            actor: actor.to_string(),
            action: "receive".into(),
            from_state: String::new(),
            to_state: order.state.clone(),
            department: order.lead_department.clone(),
            note: format!("{}受理", order.channel),
        };
        insert_event(&mut tx, id, &event).await?;
        audit(&mut tx, region, actor, "hotline.receive", &number, &order.category_code).await?;
        if !files.is_empty() {
            for f in files {
                insert_file(&mut tx, id, f, &order.received_at).await?;
            }
            let note = attach_note(files);
            let e = OrderEvent {
                action: "attach".into(),
                from_state: order.state.clone(),
                note: note.clone(),
                ..event
            };
            insert_event(&mut tx, id, &e).await?;
            audit(&mut tx, region, actor, "hotline.attach", &number, &note).await?;
        }
        let saved =
            sqlx::query_as::<_, WorkOrder>(&format!("SELECT {ORDER_COLUMNS} FROM hotline_orders WHERE id = $1"))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn work_order(&self, region: &str, number: &str) -> Result<Option<WorkOrder>, StoreError> {
        Ok(sqlx::query_as::<_, WorkOrder>(&format!(
            "SELECT {ORDER_COLUMNS} FROM hotline_orders WHERE region_code = $1 AND number = $2"
        ))
        .bind(region)
        .bind(number)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn work_order_by_token(&self, token: &str) -> Result<Option<(String, WorkOrder)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT region_code, {ORDER_COLUMNS} FROM hotline_orders WHERE token = $1"
        ))
        .bind(token)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some((text(&r, "region_code")?, decode::<WorkOrder>(&r)?))),
            None => Ok(None),
        }
    }

    /// Orders matching the filter, newest first, and the total matching.
    pub async fn work_orders(&self, region: &str, f: &OrderFilter) -> Result<(i64, Vec<WorkOrder>), StoreError> {
        let mut clauses = vec!["region_code = $1".to_string()];
        let mut binds: Vec<String> = vec![region.to_string()];
        fn push(binds: &mut Vec<String>, v: &str) -> String {
            binds.push(v.to_string());
            format!("${}", binds.len())
        }
        fn list(binds: &mut Vec<String>, values: &[String]) -> String {
            values.iter().map(|v| push(binds, v)).collect::<Vec<_>>().join(", ")
        }
        if !f.states.is_empty() {
            let l = list(&mut binds, &f.states);
            clauses.push(format!("state IN ({l})"));
        }
        if !f.categories.is_empty() {
            let l = list(&mut binds, &f.categories);
            clauses.push(format!("category_code IN ({l})"));
        }
        if !f.numbers.is_empty() {
            let l = list(&mut binds, &f.numbers);
            clauses.push(format!("number IN ({l})"));
        }
        if let Some(d) = &f.department {
            let p = push(&mut binds, d);
            if f.include_co {
                let like = push(&mut binds, &format!("%,{d},%"));
                clauses.push(format!(
                    "(lead_department = {p} OR (',' || co_departments || ',') LIKE {like})"
                ));
            } else {
                clauses.push(format!("lead_department = {p}"));
            }
        }
        if let Some(c) = &f.channel {
            let p = push(&mut binds, c);
            clauses.push(format!("channel = {p}"));
        }
        if let Some(v) = &f.received_from {
            let p = push(&mut binds, v);
            clauses.push(format!("received_at >= {p}"));
        }
        if let Some(v) = &f.received_to {
            let p = push(&mut binds, v);
            clauses.push(format!("received_at < {p}"));
        }
        if let Some(v) = &f.updated_from {
            let p = push(&mut binds, v);
            clauses.push(format!("updated_at >= {p}"));
        }
        let wh = clauses.join(" AND ");
        let count_sql = format!("SELECT COUNT(*) AS n FROM hotline_orders WHERE {wh}");
        let mut count = sqlx::query(&count_sql);
        for b in &binds {
            count = count.bind(b.clone());
        }
        let total = int(&count.fetch_one(&self.pool).await?, "n")?;
        let limit = if f.limit <= 0 { 100_000 } else { f.limit };
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM hotline_orders WHERE {wh} ORDER BY received_at DESC, id DESC \
             LIMIT {limit} OFFSET {}",
            f.offset.max(0)
        );
        let mut rows = sqlx::query_as::<_, WorkOrder>(&sql);
        for b in &binds {
            rows = rows.bind(b.clone());
        }
        Ok((total, rows.fetch_all(&self.pool).await?))
    }

    pub async fn work_order_events(&self, order_id: i64) -> Result<Vec<OrderEvent>, StoreError> {
        Ok(sqlx::query_as::<_, OrderEvent>(
            "SELECT at, actor, action, from_state, to_state, department, note FROM hotline_events \
             WHERE order_id = $1 ORDER BY id",
        )
        .bind(order_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Writes changed orders (each at the version it was read with) with their events and audit entries, all or
    /// nothing: a merge changes two orders at once. An order changed meanwhile: `Stale` and nothing written.
    pub async fn save_work_orders(
        &self,
        region: &str,
        changes: &[(&WorkOrder, &OrderEvent)],
    ) -> Result<Vec<WorkOrder>, StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let mut saved = Vec::new();
        for (o, e) in changes {
            let done = sqlx::query(
                "UPDATE hotline_orders SET category_code = $1, kind = $2, urgency = $3, state = $4, \
                 lead_department = $5, co_departments = $6, due_at = $7, extension_requested = $8, \
                 extension_reason = $9, return_reason = $10, reply = $11, replied_at = $12, resolved = $13, \
                 satisfaction = $14, closed_at = $15, closing_note = $16, merged_into = $17, returns = $18, \
                 extensions = $19, version = version + 1, updated_at = $20 \
                 WHERE id = $21 AND version = $22",
            )
            .bind(&o.category_code)
            .bind(&o.kind)
            .bind(&o.urgency)
            .bind(&o.state)
            .bind(&o.lead_department)
            .bind(&o.co_departments)
            .bind(&o.due_at)
            .bind(o.extension_requested)
            .bind(&o.extension_reason)
            .bind(&o.return_reason)
            .bind(&o.reply)
            .bind(&o.replied_at)
            .bind(o.resolved.map(i64::from))
            .bind(&o.satisfaction)
            .bind(&o.closed_at)
            .bind(&o.closing_note)
            .bind(&o.merged_into)
            .bind(o.returns)
            .bind(o.extensions)
            .bind(&e.at)
            .bind(o.id)
            .bind(o.version)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                let current = sqlx::query("SELECT version FROM hotline_orders WHERE id = $1")
                    .bind(o.id)
                    .fetch_optional(&mut *tx)
                    .await?;
                return match current {
                    Some(r) => Err(StoreError::Stale {
                        current: int(&r, "version")?,
                    }),
                    None => Err(StoreError::NotFound(format!("工单“{}”", o.number))),
                };
            }
            insert_event(&mut tx, o.id, e).await?;
            let detail = format!("{} → {} {}", e.from_state, e.to_state, e.note);
            audit(
                &mut tx,
                region,
                &e.actor,
                &format!("hotline.{}", e.action),
                &o.number,
                &detail,
            )
            .await?;
            saved.push(
                sqlx::query_as::<_, WorkOrder>(&format!("SELECT {ORDER_COLUMNS} FROM hotline_orders WHERE id = $1"))
                    .bind(o.id)
                    .fetch_one(&mut *tx)
                    .await?,
            );
        }
        tx.commit().await?;
        Ok(saved)
    }

    /// Attaches files to an order with an `attach` event and the audit entry, in one transaction. The order's own
    /// fields do not change, so neither does its version.
    pub async fn attach_work_order_files(
        &self,
        region: &str,
        order: &WorkOrder,
        files: &[HotlineFile],
        actor: &str,
        at: &str,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        for f in files {
            insert_file(&mut tx, order.id, f, at).await?;
        }
        let note = attach_note(files);
        let event = OrderEvent {
            at: at.to_string(),
            actor: actor.to_string(),
            action: "attach".into(),
            from_state: order.state.clone(),
            to_state: order.state.clone(),
            department: order.lead_department.clone(),
            note: note.clone(),
        };
        insert_event(&mut tx, order.id, &event).await?;
        audit(&mut tx, region, actor, "hotline.attach", &order.number, &note).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn work_order_files(&self, order_id: i64) -> Result<Vec<HotlineFile>, StoreError> {
        Ok(sqlx::query_as::<_, HotlineFile>(
            "SELECT name, sha256, size, content_type, uploaded_by, uploaded_at FROM hotline_files \
             WHERE order_id = $1 ORDER BY id",
        )
        .bind(order_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many times each action was taken per department in [from, to): returns and approved extensions for
    /// the bulletin, counted from the history so that a return still counts against the department that made it
    /// after the order went elsewhere.
    pub async fn hotline_action_counts(
        &self,
        region: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.department, e.action, COUNT(*) AS n FROM hotline_events e \
             JOIN hotline_orders o ON o.id = e.order_id \
             WHERE o.region_code = $1 AND e.at >= $2 AND e.at < $3 GROUP BY e.department, e.action",
        )
        .bind(region)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((text(r, "department")?, text(r, "action")?, int(r, "n")?)))
            .collect()
    }

    /// Records an early warning, or widens the one raised for the same cluster key as more orders join it;
    /// true when it is new (only then is it audited: the department has been told once).
    #[allow(clippy::too_many_arguments)]
    pub async fn raise_hotline_warning(
        &self,
        region: &str,
        department: &str,
        category: &str,
        area: &str,
        orders: &[String],
        key: &str,
        summary: &str,
        first_at: &str,
        last_at: &str,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let existing = sqlx::query("SELECT id FROM hotline_warnings WHERE region_code = $1 AND cluster_key = $2")
            .bind(region)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
        let raised = existing.is_none();
        if raised {
            sqlx::query(
                "INSERT INTO hotline_warnings (region_code, department_code, category_code, area_code, orders, \
                 cluster_key, summary, first_at, last_at, raised_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(region)
            .bind(department)
            .bind(category)
            .bind(area)
            .bind(orders.join(","))
            .bind(key)
            .bind(summary)
            .bind(first_at)
            .bind(last_at)
            .bind(now_text())
            .execute(&mut *tx)
            .await?;
            audit(&mut tx, region, "system", "hotline.warning", department, summary).await?;
        } else {
            sqlx::query(
                "UPDATE hotline_warnings SET orders = $1, summary = $2, last_at = $3 \
                 WHERE region_code = $4 AND cluster_key = $5",
            )
            .bind(orders.join(","))
            .bind(summary)
            .bind(last_at)
            .bind(region)
            .bind(key)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(raised)
    }

    pub async fn hotline_warnings(
        &self,
        region: &str,
        department: Option<&str>,
    ) -> Result<Vec<HotlineWarning>, StoreError> {
        let sql = format!("SELECT {WARNING_COLUMNS} FROM hotline_warnings WHERE region_code = $1");
        let rows = match department {
            Some(d) => {
                sqlx::query_as::<_, HotlineWarning>(&format!(
                    "{sql} AND department_code = $2 ORDER BY raised_at DESC, id DESC"
                ))
                .bind(region)
                .bind(d)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query_as::<_, HotlineWarning>(&format!("{sql} ORDER BY raised_at DESC, id DESC"))
                    .bind(region)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        Ok(rows)
    }

    pub async fn hotline_warning(&self, region: &str, id: i64) -> Result<Option<HotlineWarning>, StoreError> {
        Ok(sqlx::query_as::<_, HotlineWarning>(&format!(
            "SELECT {WARNING_COLUMNS} FROM hotline_warnings WHERE region_code = $1 AND id = $2"
        ))
        .bind(region)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Records who took a warning on and what they will do, once: a warning already acknowledged (by anyone,
    /// even a moment ago) is a `Conflict` and nothing is written.
    pub async fn acknowledge_hotline_warning(
        &self,
        region: &str,
        id: i64,
        actor: &str,
        note: &str,
    ) -> Result<HotlineWarning, StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE hotline_warnings SET acknowledged_by = $1, acknowledged_at = $2, acknowledgement = $3 \
             WHERE region_code = $4 AND id = $5 AND acknowledged_by IS NULL",
        )
        .bind(actor)
        .bind(now_text())
        .bind(note)
        .bind(region)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let w = sqlx::query_as::<_, HotlineWarning>(&format!(
            "SELECT {WARNING_COLUMNS} FROM hotline_warnings WHERE region_code = $1 AND id = $2"
        ))
        .bind(region)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(w) = w else {
            return Err(StoreError::NotFound(format!("预警{id}")));
        };
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "预警{id}已由{}认领",
                w.acknowledged_by.clone().unwrap_or_default()
            )));
        }
        let detail = format!("{}：{note}", w.department_code);
        audit(&mut tx, region, actor, "hotline.warning_ack", &id.to_string(), &detail).await?;
        tx.commit().await?;
        Ok(w)
    }

    pub async fn add_open311_key(&self, region: &str, name: &str, hash: &str, actor: &str) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let exists = sqlx::query("SELECT 1 FROM open311_keys WHERE region_code = $1 AND name = $2")
            .bind(region)
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            return Err(StoreError::Conflict(format!("接口密钥“{name}”已存在")));
        }
        sqlx::query(
            "INSERT INTO open311_keys (region_code, name, key_hash, created_at, created_by) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(region)
        .bind(name)
        .bind(hash)
        .bind(now_text())
        .bind(actor)
        .execute(&mut *tx)
        .await?;
        audit(&mut tx, region, actor, "open311.key_add", name, "").await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn revoke_open311_key(&self, region: &str, name: &str, actor: &str) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE open311_keys SET revoked_at = $1 WHERE region_code = $2 AND name = $3 AND revoked_at IS NULL",
        )
        .bind(now_text())
        .bind(region)
        .bind(name)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("有效的接口密钥“{name}”")));
        }
        audit(&mut tx, region, actor, "open311.key_revoke", name, "").await?;
        tx.commit().await?;
        Ok(())
    }

    /// The name of the live key with this hash in the region.
    pub async fn open311_key(&self, region: &str, hash: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT name FROM open311_keys WHERE region_code = $1 AND key_hash = $2 AND revoked_at IS NULL",
        )
        .bind(region)
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(|r| text(r, "name")).transpose()?)
    }

    pub async fn open311_keys(&self, region: &str) -> Result<Vec<Open311Key>, StoreError> {
        Ok(sqlx::query_as::<_, Open311Key>(
            "SELECT name, created_at, created_by, revoked_at FROM open311_keys WHERE region_code = $1 ORDER BY name",
        )
        .bind(region)
        .fetch_all(&self.pool)
        .await?)
    }
}
