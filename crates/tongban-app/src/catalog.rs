//! Use cases shared by the JSON API, the web UI and the command line, so that none of them holds business rules.

use crate::policy::{self, Capability};
use crate::App;
use crate::Error;
use serde::{Deserialize, Serialize};
use tongban_core::catalog::{
    check_catalog, check_guide, parse_catalog, validate, Guide, Level, Material, QualityIssue,
};
use tongban_core::form::FormDefinition;
use tongban_search::{ItemDoc, SearchIndex};
use tongban_store::Staff;
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

/// Brings this server's search index up to date with the catalog when another server changed it (several servers
/// share one database; each keeps its own index). `seen` is the fingerprint the index was last built from; the
/// first pass only records it. Returns whether the index was rebuilt.
pub async fn follow_catalog(app: &App, region: &str, seen: &mut Option<String>) -> Result<bool, Error> {
    let now = app.store.catalog_fingerprint(region).await?;
    if seen.as_deref() == Some(now.as_str()) {
        return Ok(false);
    }
    let first = seen.is_none();
    *seen = Some(now);
    if first {
        return Ok(false);
    }
    reindex(&app.store, &app.search, region).await?;
    Ok(true)
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
    import_guides(store, search, region, parse_catalog(bytes), mode, actor).await
}

/// `import_catalog` for a catalog already parsed (and, for the shipped one, overlaid with its own guide content).
pub async fn import_guides(
    store: &Store,
    search: &SearchIndex,
    region: &str,
    parsed: tongban_core::catalog::ImportParse<Guide>,
    mode: ImportMode,
    actor: &str,
) -> Result<ImportReport, StoreError> {
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

/// One material of a guide as an editor gives it: only the name is needed.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MaterialIn {
    pub name: String,
    /// Must be handed in (default true); false: only when it applies to the applicant
    #[serde(default = "yes")]
    pub required: bool,
    /// May be missing at acceptance under 容缺受理, handed in afterwards (default false)
    #[serde(default)]
    pub may_be_missing: bool,
    /// Originals to show or hand in (default 1)
    #[serde(default = "one")]
    pub originals: u32,
    /// Copies to hand in (default 0)
    #[serde(default)]
    pub copies: u32,
}

fn yes() -> bool {
    true
}

fn one() -> u32 {
    1
}

impl MaterialIn {
    pub fn of(m: &Material) -> MaterialIn {
        MaterialIn {
            name: m.name.clone(),
            required: m.required,
            may_be_missing: m.may_be_missing,
            originals: m.originals,
            copies: m.copies,
        }
    }
}

/// Checks the materials as an editor gave them and makes them the guide's: names given and distinct, at most 20
/// originals or copies (none of either: an electronic material).
fn materials_of(list: Vec<MaterialIn>) -> Result<Vec<Material>, Error> {
    let bad = |m: String| Err(Error::unprocessable("invalid_material", m));
    let mut out: Vec<Material> = vec![];
    for m in list {
        let name = m.name.trim().to_string();
        if name.is_empty() {
            return bad("材料名称不能为空".into());
        }
        if out.iter().any(|o| o.name == name) {
            return bad(format!("材料“{name}”重复"));
        }
        // No paper at all is an electronic material (submitted online or called from a licence).
        if m.originals > 20 || m.copies > 20 {
            return bad(format!("材料“{name}”的原件、复印件份数各不超过20份"));
        }
        out.push(Material {
            name,
            required: m.required,
            may_be_missing: m.may_be_missing,
            originals: m.originals,
            copies: m.copies,
        });
    }
    Ok(out)
}

/// Changes to a guide; fields left out keep their current value.
#[derive(Debug, Clone, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GuideChange {
    pub name: Option<String>,
    /// Department name as in the catalog, e.g. 区行政审批局
    pub department: Option<String>,
    pub item_type_code: Option<String>,
    pub legal_limit_days: Option<u32>,
    pub promised_limit_days: Option<u32>,
    pub visits: Option<u32>,
    pub visit_reason: Option<String>,
    pub online_depth: Option<u8>,
    pub fee_fen: Option<i64>,
    pub fee_basis: Option<String>,
    pub legal_basis: Option<String>,
    /// county, town, village
    pub levels: Option<Vec<String>>,
    pub all_region: Option<bool>,
    pub cross_province: Option<bool>,
    pub tolerance: Option<bool>,
    /// The materials, in order (the whole list: it replaces the current one)
    pub materials: Option<Vec<MaterialIn>>,
    pub consult_phone: Option<String>,
    pub supervise_phone: Option<String>,
    pub address: Option<String>,
    pub hours: Option<String>,
    pub conditions: Option<String>,
    /// 办理流程, in order
    pub steps: Option<Vec<String>>,
    pub result_name: Option<String>,
    pub keywords: Option<Vec<String>>,
    /// The application form; absent keeps the current one (see `PUT /api/v1/items/{code}/form` to reset it)
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub form: Option<FormDefinition>,
    /// True puts back the default application form (and `form` must be absent)
    #[serde(default)]
    pub default_form: bool,
}

impl GuideChange {
    /// Applies the change to a copy of the guide and checks the result: a guide that breaks a rule is refused,
    /// naming the first fault.
    pub fn apply(self, g: Guide) -> Result<Guide, Error> {
        let g = self.lay_over(g)?;
        let faults = validate(&g);
        if let Some((field, reason)) = faults.first() {
            return Err(Error::unprocessable("invalid_guide", format!("“{field}”：{reason}")));
        }
        Ok(g)
    }

    /// The guide with the change laid over it, unchecked but for what cannot be represented (an unknown level, a
    /// material without a name, a form that is not one): what an editor typed, to show again after a refusal.
    pub fn lay_over(self, mut g: Guide) -> Result<Guide, Error> {
        macro_rules! set {
            ($($f:ident),*) => {$( if let Some(v) = self.$f { g.$f = v; } )*};
        }
        set!(
            name,
            department,
            item_type_code,
            legal_limit_days,
            promised_limit_days,
            visits,
            visit_reason,
            online_depth,
            fee_fen,
            fee_basis,
            legal_basis,
            all_region,
            cross_province,
            tolerance,
            consult_phone,
            supervise_phone,
            address,
            hours,
            conditions,
            result_name,
            keywords
        );
        if let Some(steps) = self.steps {
            g.steps = steps
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
        }
        if let Some(levels) = self.levels {
            g.levels = levels
                .iter()
                .map(|l| {
                    Level::parse(l).ok_or_else(|| Error::unprocessable("invalid_level", format!("未知的办理层级“{l}”")))
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(materials) = self.materials {
            g.materials = materials_of(materials)?;
        }
        match (self.form, self.default_form) {
            (Some(_), true) => {
                return Err(Error::unprocessable(
                    "invalid_form_definition",
                    "不能同时提供申请表定义并恢复默认申请表",
                ))
            }
            (Some(form), false) => {
                form.check()
                    .map_err(|e| Error::unprocessable("invalid_form_definition", e.0))?;
                g.form = Some(form);
            }
            (None, true) => g.form = None,
            (None, false) => {}
        }
        Ok(g)
    }
}

/// Edits a published guide (administrators): the change is checked, published as a new version and re-indexed;
/// cases keep the version they were filed under.
pub async fn edit_guide(app: &App, staff: &Staff, code: &str, change: GuideChange) -> Result<Guide, Error> {
    policy::require(staff, Capability::EditCatalog)?;
    let region = &staff.region_code;
    let current = item(app, region, code, None)
        .await?
        .ok_or_else(|| Error::not_found(format!("事项“{code}”")))?;
    let guide = change.apply(current.guide)?;
    publish_guide(app, region, &guide, &staff.username).await?;
    Ok(guide)
}

/// Puts back the default application form of an item (administrators), as a new guide version.
pub async fn reset_form(app: &App, staff: &Staff, code: &str) -> Result<Guide, Error> {
    let change = GuideChange {
        default_form: true,
        ..Default::default()
    };
    edit_guide(app, staff, code, change).await
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

pub const RULE_LABELS: [(&str, &str); 9] = [
    ("missing_basis", "缺少设定依据"),
    ("missing_phone", "缺少咨询电话"),
    ("missing_materials", "缺少申请材料"),
    ("promised_exceeds_legal", "承诺时限超过法定时限"),
    ("visits_without_reason", "到现场次数未说明理由"),
    ("depth4_with_visits", "全程网办却要求到现场"),
    ("fee_without_basis", "收费未列明依据"),
    ("same_name_limits_differ", "同名事项时限不一致"),
    ("shared_material", "材料笼统、各部门通用"),
];

/// Checks the current guides of a region (optionally one department's) against the quality rules.
pub async fn quality_report(
    store: &Store,
    region: &str,
    department_code: Option<&str>,
    rule: Option<&str>,
) -> Result<QualityReport, StoreError> {
    let guides = store.current_guides(region).await?;
    // Across the whole region, whichever department is asked about: a namesake may be another department's.
    let mut across = check_catalog(guides.iter().map(|(_, g)| g));
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
            .chain(across.remove(&g.code).unwrap_or_default())
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
