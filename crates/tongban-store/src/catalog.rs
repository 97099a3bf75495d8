//! The versioned service catalog. An item row holds what lists filter on; every published guide is an immutable
//! row of item_versions, so a case can keep the version it was filed under while the guide moves on.

use crate::db::{int, text, CommaList, JsonText};
use crate::org::audit;
use crate::{now_text, Store, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::HashMap;
use tongban_core::catalog::{Bundle, Guide, ImportParse, RowError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Nothing is imported unless every row is good.
    AllOrNothing,
    /// The good rows are imported; the bad ones are listed.
    SkipBad,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub created: usize,
    /// Items whose guide changed: a new version was published.
    pub new_versions: usize,
    pub unchanged: usize,
    pub skipped: Vec<RowError>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemRecord {
    /// Row ids, for the cases filed under the item (not part of the API's view).
    #[serde(skip)]
    pub id: i64,
    #[serde(skip)]
    pub department_id: i64,
    pub code: String,
    pub version: i64,
    pub current_version: i64,
    pub status: String,
    pub department_code: String,
    pub department_name: String,
    pub published_at: String,
    pub published_by: String,
    pub versions: Vec<i64>,
    pub guide: Guide,
}

/// What an item row says now, without its guide: which version is current and who handles it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemHead {
    pub id: i64,
    pub current_version: i64,
    pub status: String,
    pub department_id: i64,
    pub department_code: String,
    pub department_name: String,
}

impl ItemRecord {
    /// This version's guide under the item's current head: a cached published version stays valid, while the
    /// current version number and the handling department are the row's as of now.
    pub fn under(&self, head: &ItemHead) -> ItemRecord {
        ItemRecord {
            id: head.id,
            department_id: head.department_id,
            current_version: head.current_version,
            status: head.status.clone(),
            department_code: head.department_code.clone(),
            department_name: head.department_name.clone(),
            ..self.clone()
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemSummary {
    pub code: String,
    pub name: String,
    pub department_code: String,
    pub department_name: String,
    pub item_type_code: String,
    pub version: i64,
    pub levels: Vec<String>,
    pub promised_limit_days: u32,
    pub legal_limit_days: u32,
    pub visits: u32,
    pub online_depth: u8,
}

#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    /// Substring of the item name.
    pub name_contains: Option<String>,
    pub department_code: Option<String>,
    /// `county`, `town` or `village`: acceptable at that level.
    pub level: Option<String>,
    pub item_type_code: Option<String>,
    /// Restrict to these codes (e.g. a department-bound reader's own items).
    pub department_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub data: Vec<T>,
}

fn guide_json(g: &Guide) -> Result<String, StoreError> {
    serde_json::to_string(g).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn parse_guide(s: &str) -> Result<Guide, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("办事指南数据无法解析：{e}")))
}

fn levels_text(g: &Guide) -> String {
    g.levels.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(",")
}

impl Store {
    /// Imports parsed catalog rows into `region`: new items get version 1, changed guides a new version, identical
    /// ones are left alone. Departments must already exist (by name). One transaction.
    pub async fn import_catalog(
        &self,
        region: &str,
        mut parsed: ImportParse<Guide>,
        mode: ImportMode,
        actor: &str,
    ) -> Result<ImportReport, StoreError> {
        if self.region(region).await?.is_none() {
            return Err(StoreError::NotFound(format!("行政区划“{region}”")));
        }
        let departments: HashMap<String, i64> = self
            .departments(region)
            .await?
            .into_iter()
            .map(|d| (d.name, d.id))
            .collect();
        let mut rows = Vec::with_capacity(parsed.rows.len());
        for row in parsed.rows {
            match departments.get(&row.value.department) {
                Some(id) => rows.push((*id, row.value)),
                None => parsed.errors.push(RowError {
                    line: row.line,
                    column: "department".into(),
                    reason: format!("未知的部门“{}”（本区没有这个部门）", row.value.department),
                }),
            }
        }
        parsed.errors.sort_by_key(|e| e.line);
        if mode == ImportMode::AllOrNothing && !parsed.errors.is_empty() {
            return Err(StoreError::Import(parsed.errors));
        }
        let mut report = ImportReport {
            skipped: parsed.errors,
            ..Default::default()
        };
        let mut tx = self.pool.begin().await?;
        let existing: HashMap<String, (i64, i64, String)> = sqlx::query(
            "SELECT i.code, i.id, i.current_version, v.guide FROM items i JOIN item_versions v \
             ON v.item_id = i.id AND v.version = i.current_version WHERE i.region_code = $1",
        )
        .bind(region)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            Ok((
                text(r, "code")?,
                (int(r, "id")?, int(r, "current_version")?, text(r, "guide")?),
            ))
        })
        .collect::<Result<_, sqlx::Error>>()?;
        let now = now_text();
        for (department_id, guide) in rows {
            let json = guide_json(&guide)?;
            let (item_id, version) = match existing.get(&guide.code) {
                Some((_, _, old)) if *old == json => {
                    report.unchanged += 1;
                    continue;
                }
                Some((id, current, _)) => {
                    sqlx::query(
                        "UPDATE items SET current_version = $1, department_id = $2, name = $3, item_type_code = $4, \
                         levels = $5, status = 'published', updated_at = $6 WHERE id = $7",
                    )
                    .bind(current + 1)
                    .bind(department_id)
                    .bind(&guide.name)
                    .bind(&guide.item_type_code)
                    .bind(levels_text(&guide))
                    .bind(&now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    report.new_versions += 1;
                    (*id, current + 1)
                }
                None => {
                    let r = sqlx::query(
                        "INSERT INTO items (region_code, code, department_id, current_version, name, item_type_code, \
                         levels, status, updated_at) VALUES ($1, $2, $3, 1, $4, $5, $6, 'published', $7) RETURNING id",
                    )
                    .bind(region)
                    .bind(&guide.code)
                    .bind(department_id)
                    .bind(&guide.name)
                    .bind(&guide.item_type_code)
                    .bind(levels_text(&guide))
                    .bind(&now)
                    .fetch_one(&mut *tx)
                    .await?;
                    report.created += 1;
                    (int(&r, "id")?, 1)
                }
            };
            sqlx::query(
                "INSERT INTO item_versions (region_code, item_id, version, guide, published_at, published_by) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(region)
            .bind(item_id)
            .bind(version)
            .bind(&json)
            .bind(&now)
            .bind(actor)
            .execute(&mut *tx)
            .await?;
            audit(
                &mut tx,
                region,
                actor,
                "item.publish",
                &guide.code,
                &format!("version {version}"),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(report)
    }

    /// Publishes an edited guide as the item's next version (the department may change with it).
    pub async fn publish_guide(&self, region: &str, guide: &Guide, actor: &str) -> Result<i64, StoreError> {
        let parsed = ImportParse {
            rows: vec![tongban_core::catalog::Parsed {
                line: 0,
                value: guide.clone(),
            }],
            errors: vec![],
        };
        match self.item(region, &guide.code, None).await? {
            None => return Err(StoreError::NotFound(format!("事项“{}”", guide.code))),
            Some(current) if current.guide == *guide => return Ok(current.version),
            Some(_) => {}
        }
        match self
            .import_catalog(region, parsed, ImportMode::AllOrNothing, actor)
            .await
        {
            Err(StoreError::Import(errors)) => Err(StoreError::Invalid(
                errors.iter().map(|e| e.reason.clone()).collect::<Vec<_>>().join("；"),
            )),
            Err(e) => Err(e),
            Ok(_) => Ok(self
                .item(region, &guide.code, None)
                .await?
                .map(|i| i.version)
                .unwrap_or(0)),
        }
    }

    /// An item's guide: the current version, or `version` when given.
    /// The item row with its department, in one look-up.
    pub async fn item_head(&self, region: &str, code: &str) -> Result<Option<ItemHead>, StoreError> {
        Ok(sqlx::query_as::<_, ItemHead>(
            "SELECT i.id, i.current_version, i.status, i.department_id, d.code AS department_code, \
             d.name AS department_name FROM items i JOIN departments d ON d.id = i.department_id \
             WHERE i.region_code = $1 AND i.code = $2",
        )
        .bind(region)
        .bind(code)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn item(&self, region: &str, code: &str, version: Option<i64>) -> Result<Option<ItemRecord>, StoreError> {
        let Some(head) = self.item_head(region, code).await? else {
            return Ok(None);
        };
        let item_id = head.id;
        let current_version = head.current_version;
        let wanted = version.unwrap_or(current_version);
        let versions: Vec<i64> = sqlx::query("SELECT version FROM item_versions WHERE item_id = $1 ORDER BY version")
            .bind(item_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| int(r, "version"))
            .collect::<Result<_, _>>()?;
        let Some(v) = sqlx::query(
            "SELECT guide, published_at, published_by FROM item_versions WHERE item_id = $1 AND version = $2",
        )
        .bind(item_id)
        .bind(wanted)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(ItemRecord {
            id: head.id,
            department_id: head.department_id,
            code: code.to_string(),
            version: wanted,
            current_version,
            status: head.status,
            department_code: head.department_code,
            department_name: head.department_name,
            published_at: text(&v, "published_at")?,
            published_by: text(&v, "published_by")?,
            versions,
            guide: parse_guide(&text(&v, "guide")?)?,
        }))
    }

    pub async fn items(
        &self,
        region: &str,
        f: &ItemFilter,
        page: i64,
        per_page: i64,
    ) -> Result<Page<ItemSummary>, StoreError> {
        let mut clauses = vec!["i.region_code = $1".to_string(), "i.status = 'published'".to_string()];
        let mut args: Vec<String> = vec![region.to_string()];
        let mut push = |clause: &str, value: String| {
            args.push(value);
            clauses.push(clause.replace('?', &format!("${}", args.len())));
        };
        if let Some(q) = f.name_contains.as_deref().filter(|q| !q.is_empty()) {
            push("i.name LIKE ?", format!("%{}%", q.replace(['%', '_'], "")));
        }
        if let Some(d) = &f.department_code {
            push("d.code = ?", d.clone());
        }
        if let Some(l) = &f.level {
            push("i.levels LIKE ?", format!("%{l}%"));
        }
        if let Some(t) = &f.item_type_code {
            push("i.item_type_code = ?", t.clone());
        }
        // An integer, so formatting it into the SQL cannot inject anything; the other values are bound.
        let dept_filter = f
            .department_id
            .map(|id| format!(" AND i.department_id = {id}"))
            .unwrap_or_default();
        let from = format!(
            "FROM items i JOIN departments d ON d.id = i.department_id WHERE {}{dept_filter}",
            clauses.join(" AND ")
        );
        let count_sql = format!("SELECT COUNT(*) AS n {from}");
        let mut count = sqlx::query(&count_sql);
        for a in &args {
            count = count.bind(a.clone());
        }
        let total = int(&count.fetch_one(&self.pool).await?, "n")?;
        let sql = format!(
            "SELECT i.code, i.name, i.item_type_code, i.levels, i.current_version, d.code AS department_code, \
             d.name AS department_name, v.guide {from_join} ORDER BY i.code LIMIT {per_page} OFFSET {offset}",
            from_join = from.replacen(
                "FROM items i JOIN departments d ON d.id = i.department_id",
                "FROM items i JOIN departments d ON d.id = i.department_id JOIN item_versions v \
                 ON v.item_id = i.id AND v.version = i.current_version",
                1
            ),
            offset = (page - 1) * per_page,
        );
        let mut q = sqlx::query_as::<_, ItemSummary>(&sql);
        for a in &args {
            q = q.bind(a.clone());
        }
        let data = q.fetch_all(&self.pool).await?;
        Ok(Page {
            total,
            page,
            per_page,
            data,
        })
    }

    /// Every published item's current guide with its department code, for the search index and quality checks.
    pub async fn current_guides(&self, region: &str) -> Result<Vec<(String, Guide)>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.code AS department_code, v.guide FROM items i JOIN departments d ON d.id = i.department_id \
             JOIN item_versions v ON v.item_id = i.id AND v.version = i.current_version \
             WHERE i.region_code = $1 AND i.status = 'published' ORDER BY i.code",
        )
        .bind(region)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((text(r, "department_code")?, parse_guide(&text(r, "guide")?)?)))
            .collect()
    }

    /// Imports bundles; every item code must be a published item of the region. One transaction.
    pub async fn import_bundles(
        &self,
        region: &str,
        mut parsed: ImportParse<Bundle>,
        mode: ImportMode,
        actor: &str,
    ) -> Result<ImportReport, StoreError> {
        let items: HashMap<String, i64> = sqlx::query("SELECT code, id FROM items WHERE region_code = $1")
            .bind(region)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((text(r, "code")?, int(r, "id")?)))
            .collect::<Result<_, sqlx::Error>>()?;
        let mut good = Vec::new();
        for row in parsed.rows {
            let unknown: Vec<&String> = row
                .value
                .item_codes
                .iter()
                .filter(|c| !items.contains_key(*c))
                .collect();
            if unknown.is_empty() {
                good.push(row.value);
            } else {
                parsed.errors.push(RowError {
                    line: row.line,
                    column: "item_codes".into(),
                    reason: format!(
                        "未知的事项编码：{}",
                        unknown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("、")
                    ),
                });
            }
        }
        if mode == ImportMode::AllOrNothing && !parsed.errors.is_empty() {
            return Err(StoreError::Import(parsed.errors));
        }
        let mut report = ImportReport {
            skipped: parsed.errors,
            ..Default::default()
        };
        let mut tx = self.pool.begin().await?;
        for b in good {
            let r = sqlx::query(
                "INSERT INTO bundles (region_code, code, name) VALUES ($1, $2, $3) \
                 ON CONFLICT (region_code, code) DO UPDATE SET name = excluded.name RETURNING id",
            )
            .bind(region)
            .bind(&b.code)
            .bind(&b.name)
            .fetch_one(&mut *tx)
            .await?;
            let id = int(&r, "id")?;
            sqlx::query("DELETE FROM bundle_items WHERE bundle_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for (pos, code) in b.item_codes.iter().enumerate() {
                sqlx::query("INSERT INTO bundle_items (bundle_id, position, item_id) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(pos as i64)
                    .bind(items.get(code).copied().unwrap_or_default())
                    .execute(&mut *tx)
                    .await?;
            }
            audit(
                &mut tx,
                region,
                actor,
                "bundle.upsert",
                &b.code,
                &b.item_codes.join(";"),
            )
            .await?;
            report.created += 1;
        }
        tx.commit().await?;
        Ok(report)
    }

    /// Bundles of the region with their items' codes and names, in order.
    pub async fn bundles(&self, region: &str) -> Result<Vec<(Bundle, Vec<String>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT b.code AS bundle_code, b.name AS bundle_name, i.code, i.name FROM bundles b \
             JOIN bundle_items bi ON bi.bundle_id = b.id JOIN items i ON i.id = bi.item_id \
             WHERE b.region_code = $1 ORDER BY b.code, bi.position",
        )
        .bind(region)
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<(Bundle, Vec<String>)> = Vec::new();
        for r in &rows {
            let code = text(r, "bundle_code")?;
            if out.last().map(|(b, _)| b.code != code).unwrap_or(true) {
                out.push((
                    Bundle {
                        code,
                        name: text(r, "bundle_name")?,
                        item_codes: vec![],
                    },
                    vec![],
                ));
            }
            if let Some((b, names)) = out.last_mut() {
                b.item_codes.push(text(r, "code")?);
                names.push(text(r, "name")?);
            }
        }
        Ok(out)
    }

    pub async fn count_items(&self, region: &str) -> Result<i64, StoreError> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM items WHERE region_code = $1 AND status = 'published'")
            .bind(region)
            .fetch_one(&self.pool)
            .await?;
        Ok(int(&r, "n")?)
    }
}

/// By hand: the limits and depth come from the guide's JSON, not from columns of their own.
impl<'r> sqlx::FromRow<'r, AnyRow> for ItemSummary {
    fn from_row(r: &'r AnyRow) -> Result<ItemSummary, sqlx::Error> {
        let guide: Guide = r.try_get::<JsonText<Guide>, _>("guide")?.into_inner();
        Ok(ItemSummary {
            code: text(r, "code")?,
            name: text(r, "name")?,
            department_code: text(r, "department_code")?,
            department_name: text(r, "department_name")?,
            item_type_code: text(r, "item_type_code")?,
            version: int(r, "current_version")?,
            levels: r.try_get::<CommaList, _>("levels")?.into(),
            promised_limit_days: guide.promised_limit_days,
            legal_limit_days: guide.legal_limit_days,
            visits: guide.visits,
            online_depth: guide.online_depth,
        })
    }
}

impl Store {
    /// A fingerprint of the region's published catalog that changes with every new item, guide version or status
    /// change: another server compares it to decide when to rebuild its search index.
    pub async fn catalog_fingerprint(&self, region: &str) -> Result<String, StoreError> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(current_version), 0) AS BIGINT) AS v, COALESCE(MAX(updated_at), '') AS at \
             FROM items WHERE region_code = $1",
        )
        .bind(region)
        .fetch_one(&self.pool)
        .await?;
        Ok(format!(
            "{}/{}/{}",
            crate::db::int(&r, "n")?,
            crate::db::int(&r, "v")?,
            crate::db::text(&r, "at")?
        ))
    }
}
