//! Use cases shared by the JSON API, the web UI and the command line, so that none of them holds business rules.

use crate::App;
use crate::Error;
use serde::Serialize;
use tongban_core::catalog::{check_guide, parse_catalog, Guide, QualityIssue};
use tongban_search::{ItemDoc, SearchIndex};
use tongban_store::{ImportMode, ImportReport, Store, StoreError};

pub fn item_doc(department_code: &str, g: &Guide) -> ItemDoc {
    ItemDoc {
        code: g.code.clone(),
        name: g.name.clone(),
        department: g.department.clone(),
        department_code: department_code.to_string(),
        materials: g.materials.iter().map(|m| m.name.clone()).collect(),
        basis: g.legal_basis.clone(),
        keywords: g.keywords.clone(),
        item_type: g.item_type_label().to_string(),
    }
}

/// Rebuilds the search index of one region from the store.
pub async fn reindex(store: &Store, search: &SearchIndex, region: &str) -> Result<usize, Error> {
    let guides = store.current_guides(region).await?;
    let docs: Vec<ItemDoc> = guides.iter().map(|(d, g)| item_doc(d, g)).collect();
    let search = search.clone();
    let region = region.to_string();
    let n = docs.len();
    tokio::task::spawn_blocking(move || search.rebuild(&region, &docs))
        .await
        .map_err(Error::internal)??;
    Ok(n)
}

/// Imports a catalog file (CSV or XLSX) into the region and brings the search index up to date.
pub async fn import_catalog(
    store: &Store,
    search: &SearchIndex,
    region: &str,
    bytes: &[u8],
    mode: ImportMode,
    actor: &str,
) -> Result<ImportReport, StoreError> {
    let parsed = parse_catalog(bytes);
    let report = store.import_catalog(region, parsed, mode, actor).await?;
    if report.created + report.new_versions > 0 {
        reindex(store, search, region)
            .await
            .map_err(|e| StoreError::Invalid(e.message))?;
    }
    Ok(report)
}

/// Publishes an edited guide as a new version and re-indexes the item.
pub async fn publish_guide(app: &App, region: &str, guide: &Guide, actor: &str) -> Result<i64, Error> {
    let version = app.store.publish_guide(region, guide, actor).await?;
    if let Some(item) = app.store.item(region, &guide.code, None).await? {
        let doc = item_doc(&item.department_code, &item.guide);
        let search = app.search.clone();
        let region = region.to_string();
        tokio::task::spawn_blocking(move || search.upsert(&region, &doc))
            .await
            .map_err(Error::internal)??;
    }
    Ok(version)
}

/// One guide that breaks at least one quality rule.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QualityFinding {
    pub code: String,
    pub name: String,
    pub department_code: String,
    pub department: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub issues: Vec<QualityIssue>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QualityReport {
    /// Guides checked.
    pub checked: usize,
    /// Guides with at least one issue.
    pub failing: usize,
    /// Count of breaches per rule code.
    pub by_rule: Vec<RuleCount>,
    pub findings: Vec<QualityFinding>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleCount {
    pub rule: String,
    pub label: String,
    pub count: usize,
}

pub const RULE_LABELS: [(&str, &str); 7] = [
    ("missing_basis", "缺少设定依据"),
    ("missing_phone", "缺少咨询电话"),
    ("missing_materials", "缺少申请材料"),
    ("promised_exceeds_legal", "承诺时限超过法定时限"),
    ("visits_without_reason", "到现场次数未说明理由"),
    ("depth4_with_visits", "全程网办却要求到现场"),
    ("fee_without_basis", "收费未列明依据"),
];

/// Checks the current guides of a region (optionally one department's) against the quality rules.
pub async fn quality_report(
    store: &Store,
    region: &str,
    department_code: Option<&str>,
    rule: Option<&str>,
) -> Result<QualityReport, StoreError> {
    let guides = store.current_guides(region).await?;
    let mut checked = 0;
    let mut findings = Vec::new();
    let mut counts = vec![0usize; RULE_LABELS.len()];
    for (dept, g) in guides {
        if department_code.is_some_and(|d| d != dept) {
            continue;
        }
        checked += 1;
        let issues: Vec<QualityIssue> = check_guide(&g)
            .into_iter()
            .filter(|i| rule.is_none_or(|r| r == i.rule))
            .collect();
        for i in &issues {
            if let Some(pos) = RULE_LABELS.iter().position(|(r, _)| *r == i.rule) {
                counts[pos] += 1;
            }
        }
        if !issues.is_empty() {
            findings.push(QualityFinding {
                code: g.code.clone(),
                name: g.name.clone(),
                department_code: dept,
                department: g.department.clone(),
                issues,
            });
        }
    }
    Ok(QualityReport {
        checked,
        failing: findings.len(),
        by_rule: RULE_LABELS
            .iter()
            .zip(counts)
            .map(|((rule, label), count)| RuleCount {
                rule: rule.to_string(),
                label: label.to_string(),
                count,
            })
            .collect(),
        findings,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// The public reference data: departments, sites, regions, items and bundles. Anyone may read them, so these ask
// nothing of the policy; they are here so that handlers read through the use cases, never the store.

pub async fn departments(app: &App, region: &str) -> Result<Vec<tongban_store::Department>, Error> {
    Ok(app.store.departments(region).await?)
}

pub async fn department(app: &App, region: &str, code: &str) -> Result<Option<tongban_store::Department>, Error> {
    Ok(app.store.department(region, code).await?)
}

pub async fn sites(app: &App, region: &str) -> Result<Vec<tongban_store::Site>, Error> {
    Ok(app.store.sites(region).await?)
}

pub async fn bundles(app: &App, region: &str) -> Result<Vec<(tongban_core::catalog::Bundle, Vec<String>)>, Error> {
    Ok(app.store.bundles(region).await?)
}

pub async fn count_items(app: &App, region: &str) -> Result<i64, Error> {
    Ok(app.store.count_items(region).await?)
}

pub async fn items(
    app: &App,
    region: &str,
    filter: &tongban_store::ItemFilter,
    page: i64,
    per_page: i64,
) -> Result<tongban_store::Page<tongban_store::ItemSummary>, Error> {
    Ok(app.store.items(region, filter, page, per_page).await?)
}

/// An item's guide, the current version or the one asked for.
pub async fn item(
    app: &App,
    region: &str,
    code: &str,
    version: Option<i64>,
) -> Result<Option<tongban_store::ItemRecord>, Error> {
    Ok(app.store.item(region, code, version).await?)
}

pub async fn region(app: &App, code: &str) -> Result<Option<tongban_store::RegionRow>, Error> {
    Ok(app.store.region(code).await?)
}

pub async fn region_children(app: &App, code: &str) -> Result<Vec<tongban_store::RegionRow>, Error> {
    Ok(app.store.region_children(code).await?)
}

pub async fn region_path(app: &App, code: &str) -> Result<Vec<tongban_store::RegionRow>, Error> {
    Ok(app.store.region_path(code).await?)
}

/// Checks list filters, naming the one that is wrong.
pub async fn item_filter(
    app: &App,
    region: &str,
    q: Option<String>,
    department: Option<String>,
    level: Option<String>,
    item_type: Option<String>,
) -> Result<tongban_store::ItemFilter, Error> {
    let department = department.filter(|d| !d.is_empty());
    if let Some(d) = &department {
        if self::department(app, region, d).await?.is_none() {
            return Err(Error::not_found(format!("部门“{d}”")));
        }
    }
    let level = level.filter(|l| !l.is_empty());
    if let Some(l) = &level {
        if tongban_core::catalog::Level::parse(l).is_none() {
            return Err(Error::bad_request(
                "invalid_level",
                format!("level“{l}”应为county、town或village"),
            ));
        }
    }
    let item_type = item_type.filter(|t| !t.is_empty());
    if let Some(t) = &item_type {
        if tongban_core::catalog::item_type_label(t).is_none() {
            return Err(Error::bad_request("invalid_type", format!("未知的事项类型代码“{t}”")));
        }
    }
    Ok(tongban_store::ItemFilter {
        name_contains: q.filter(|q| !q.trim().is_empty()).map(|q| q.trim().to_string()),
        department_code: department,
        level: level
            .and_then(|l| tongban_core::catalog::Level::parse(&l))
            .map(|l| l.as_str().to_string()),
        item_type_code: item_type,
        department_id: None,
    })
}

/// Who may see which department's quality report: department staff only their own department.
pub fn quality_scope(staff: &tongban_store::Staff, wanted: Option<&str>) -> Result<Option<String>, Error> {
    crate::policy::require(staff, crate::policy::Capability::CheckGuides)?;
    if staff.role.is_department_bound() {
        let own = staff.department_code.clone();
        if let Some(w) = wanted.filter(|w| !w.is_empty()) {
            if Some(w) != own.as_deref() {
                return Err(Error::forbidden("只能查看本部门的办事指南"));
            }
        }
        return Ok(own);
    }
    Ok(wanted.filter(|w| !w.is_empty()).map(str::to_string))
}
