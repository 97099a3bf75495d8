use crate::auth::ApiUser;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{paging, ApiJson, ApiQuery};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use tongban_app::catalog::GuideChange;
use tongban_app::catalog::QualityReport;
use tongban_app::policy::{self, Capability};
use tongban_app::Error;
use tongban_core::catalog::Guide;
use tongban_core::ids::RegionCode;
use tongban_store::{ImportMode, ImportReport};
use utoipa::{IntoParams, ToSchema};

/// Resolves the district a public request is about: `region` if given (it must exist), else the portal's default.
pub(crate) async fn public_region(state: &AppState, region: Option<&str>) -> ApiResult<String> {
    match region {
        None => Ok(state.config.default_region.clone()),
        Some(r) => {
            let code = RegionCode::parse(r)?;
            match tongban_app::catalog::region(state, code.as_str()).await? {
                Some(_) => Ok(code.as_str().to_string()),
                None => Err(Error::not_found(format!("行政区划“{r}”")).into()),
            }
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// The citizen's words, e.g. 我想开个奶茶店要办什么证
    pub q: String,
    pub page: Option<i64>,
    /// 1–100, default 20
    pub per_page: Option<i64>,
    /// District code; default: the portal's district
    pub region: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchHit {
    pub code: String,
    pub name: String,
    pub department: String,
    pub department_code: String,
    /// Relevance (BM25); higher is better. Hits come best first.
    pub score: f32,
}

#[derive(Serialize, ToSchema)]
pub struct SearchPage {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub data: Vec<SearchHit>,
}

/// Ranked items for a question in everyday Chinese (also traditional characters, pinyin, small typos).
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchPage), (status = 400, body = ErrorBody)))]
pub async fn search(State(state): State<AppState>, ApiQuery(p): ApiQuery<SearchParams>) -> ApiResult<Json<SearchPage>> {
    let (page, per_page) = paging(p.page, p.per_page)?;
    if p.q.trim().is_empty() {
        return Err(Error::bad_request("empty_query", "请输入要搜索的内容（参数q）").into());
    }
    if p.q.chars().count() > 200 {
        return Err(Error::bad_request("query_too_long", "搜索内容不能超过200个字").into());
    }
    let region = public_region(&state, p.region.as_deref()).await?;
    let started = std::time::Instant::now();
    let search = state.search.clone();
    let q = p.q.clone();
    let (total, hits) = tokio::task::spawn_blocking(move || {
        search.search(&region, &q, per_page as usize, ((page - 1) * per_page) as usize)
    })
    .await
    .map_err(Error::internal)??;
    metrics::histogram!("tongban_search_seconds").record(started.elapsed().as_secs_f64());
    Ok(Json(SearchPage {
        total: total as i64,
        page,
        per_page,
        data: hits
            .into_iter()
            .map(|h| SearchHit {
                code: h.code,
                name: h.name,
                department: h.department,
                department_code: h.department_code,
                score: h.score,
            })
            .collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ItemParams {
    /// Part of the item name
    pub q: Option<String>,
    /// Department code, e.g. xzspj
    pub department: Option<String>,
    /// county, town or village: acceptable at that level
    pub level: Option<String>,
    /// Item type code of GB/T 39046, e.g. 01 (行政许可)
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub item_type: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    pub region: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ItemEntry {
    pub code: String,
    pub name: String,
    pub department_code: String,
    pub department: String,
    pub item_type_code: String,
    pub item_type: String,
    pub version: i64,
    pub levels: Vec<String>,
    pub promised_limit_days: u32,
    pub legal_limit_days: u32,
    pub visits: u32,
    pub online_depth: u8,
}

#[derive(Serialize, ToSchema)]
pub struct ItemPage {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub data: Vec<ItemEntry>,
}

/// The catalog, filtered and paged.
#[utoipa::path(get, path = "/api/v1/items", tag = "catalog", params(ItemParams),
    responses((status = 200, body = ItemPage), (status = 400, body = ErrorBody)))]
pub async fn list_items(State(state): State<AppState>, ApiQuery(p): ApiQuery<ItemParams>) -> ApiResult<Json<ItemPage>> {
    let (page, per_page) = paging(p.page, p.per_page)?;
    let region = public_region(&state, p.region.as_deref()).await?;
    let filter = tongban_app::catalog::item_filter(&state, &region, p.q, p.department, p.level, p.item_type).await?;
    let result = tongban_app::catalog::items(&state, &region, &filter, page, per_page).await?;
    Ok(Json(ItemPage {
        total: result.total,
        page,
        per_page,
        data: result
            .data
            .into_iter()
            .map(|i| ItemEntry {
                item_type: tongban_core::catalog::item_type_label(&i.item_type_code)
                    .unwrap_or("")
                    .into(),
                code: i.code,
                name: i.name,
                department_code: i.department_code,
                department: i.department_name,
                item_type_code: i.item_type_code,
                version: i.version,
                levels: i.levels,
                promised_limit_days: i.promised_limit_days,
                legal_limit_days: i.legal_limit_days,
                visits: i.visits,
                online_depth: i.online_depth,
            })
            .collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ItemQuery {
    /// A published version; default the current one
    pub version: Option<i64>,
    pub region: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ItemDetail {
    pub code: String,
    pub version: i64,
    pub current_version: i64,
    /// Every published version of the guide
    pub versions: Vec<i64>,
    pub department_code: String,
    pub department: String,
    pub item_type: String,
    pub published_at: String,
    pub published_by: String,
    /// The guide elements (GB/T 39046-2020 表4)
    #[schema(value_type = Object)]
    pub guide: Guide,
}

/// The guide of an item: the current version, or `?version=`.
#[utoipa::path(get, path = "/api/v1/items/{code}", tag = "catalog", params(("code" = String, Path), ItemQuery),
    responses((status = 200, body = ItemDetail), (status = 404, body = ErrorBody)))]
pub async fn get_item(
    State(state): State<AppState>,
    Path(code): Path<String>,
    ApiQuery(p): ApiQuery<ItemQuery>,
) -> ApiResult<Json<ItemDetail>> {
    let region = public_region(&state, p.region.as_deref()).await?;
    item_detail(&state, &region, &code, p.version).await.map(Json)
}

async fn item_detail(state: &AppState, region: &str, code: &str, version: Option<i64>) -> ApiResult<ItemDetail> {
    let item = tongban_app::catalog::item(state, region, code, version)
        .await?
        .ok_or_else(|| match version {
            Some(v) => Error::not_found(format!("事项“{code}”的第{v}版")),
            None => Error::not_found(format!("事项“{code}”")),
        })?;
    Ok(ItemDetail {
        item_type: item.guide.item_type_label().to_string(),
        code: item.code,
        version: item.version,
        current_version: item.current_version,
        versions: item.versions,
        department_code: item.department_code,
        department: item.department_name,
        published_at: item.published_at,
        published_by: item.published_by,
        guide: item.guide,
    })
}

/// Edit a published guide (administrators). The edit is published as a new version; cases keep the version they
/// were filed under.
#[utoipa::path(put, path = "/api/v1/items/{code}", tag = "catalog", security(("bearer" = [])),
    params(("code" = String, Path)), request_body = GuideChange,
    responses((status = 200, body = ItemDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_item(
    State(state): State<AppState>,
    ApiUser(session): ApiUser,
    Path(code): Path<String>,
    ApiJson(change): ApiJson<GuideChange>,
) -> ApiResult<Json<ItemDetail>> {
    tongban_app::catalog::edit_guide(&state, &session.staff, &code, change).await?;
    item_detail(&state, &session.staff.region_code, &code, None)
        .await
        .map(Json)
}

#[derive(Deserialize, IntoParams)]
pub struct RegionQuery {
    /// Region code; the portal's default region when absent
    pub region: Option<String>,
}

/// An item's application form: each field with its label, type, whether it is required, its limits, help, the
/// condition under which it is shown and what the platform fills in.
#[derive(Serialize, ToSchema)]
pub struct FormView {
    pub item_code: String,
    pub item_name: String,
    /// True when the item's guide defines no form of its own and the default one applies
    pub is_default: bool,
    #[schema(value_type = Vec<Object>)]
    pub fields: Vec<tongban_core::form::Field>,
}

/// The application form of an item (the guide's own, or the default form).
#[utoipa::path(get, path = "/api/v1/items/{code}/form", tag = "catalog", params(("code" = String, Path), RegionQuery),
    responses((status = 200, body = FormView), (status = 404, body = ErrorBody)))]
pub async fn get_form(
    State(state): State<AppState>,
    Path(code): Path<String>,
    ApiQuery(q): ApiQuery<RegionQuery>,
) -> ApiResult<Json<FormView>> {
    let region = public_region(&state, q.region.as_deref()).await?;
    Ok(Json(form_view(&state, &region, &code).await?))
}

async fn form_view(state: &AppState, region: &str, code: &str) -> ApiResult<FormView> {
    let item = tongban_app::catalog::item(state, region, code, None)
        .await?
        .ok_or_else(|| Error::not_found(format!("事项“{code}”")))?;
    Ok(FormView {
        item_code: item.code,
        item_name: item.guide.name.clone(),
        is_default: item.guide.form.is_none(),
        fields: item.guide.application_form().fields,
    })
}

/// The application form of an item as JSON Schema (draft 2020-12), for API clients to check a filing's `form`.
#[utoipa::path(get, path = "/api/v1/items/{code}/form.schema.json", tag = "catalog",
    params(("code" = String, Path), RegionQuery),
    responses((status = 200, body = Object, content_type = "application/schema+json"), (status = 404, body = ErrorBody)))]
pub async fn get_form_schema(
    State(state): State<AppState>,
    Path(code): Path<String>,
    ApiQuery(q): ApiQuery<RegionQuery>,
) -> ApiResult<Response> {
    let region = public_region(&state, q.region.as_deref()).await?;
    let (name, form) = tongban_app::cases::item_form(&state, &region, &code).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/schema+json")],
        Json(form.json_schema(&format!("{name}申请表"))),
    )
        .into_response())
}

/// Replace an item's application form (administrators); published as a new guide version. A definition that
/// cannot be filled (duplicate names, a choice without options, a condition on a later field) is refused (422).
#[utoipa::path(put, path = "/api/v1/items/{code}/form", tag = "catalog", security(("bearer" = [])),
    params(("code" = String, Path)), request_body = Object,
    responses((status = 200, body = FormView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_form(
    State(state): State<AppState>,
    ApiUser(session): ApiUser,
    Path(code): Path<String>,
    ApiJson(form): ApiJson<tongban_core::form::FormDefinition>,
) -> ApiResult<Json<FormView>> {
    let change = GuideChange {
        form: Some(form),
        ..Default::default()
    };
    tongban_app::catalog::edit_guide(&state, &session.staff, &code, change).await?;
    Ok(Json(form_view(&state, &session.staff.region_code, &code).await?))
}

/// Put back the default application form of an item (administrators); published as a new guide version.
#[utoipa::path(delete, path = "/api/v1/items/{code}/form", tag = "catalog", security(("bearer" = [])),
    params(("code" = String, Path)),
    responses((status = 200, body = FormView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn reset_form(
    State(state): State<AppState>,
    ApiUser(session): ApiUser,
    Path(code): Path<String>,
) -> ApiResult<Json<FormView>> {
    tongban_app::catalog::reset_form(&state, &session.staff, &code).await?;
    Ok(Json(form_view(&state, &session.staff.region_code, &code).await?))
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentEntry {
    pub code: String,
    pub name: String,
    pub phone: String,
    pub item_count: i64,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RegionParam {
    pub region: Option<String>,
}

/// Departments of the district with their number of published items.
#[utoipa::path(get, path = "/api/v1/departments", tag = "org", params(RegionParam),
    responses((status = 200, body = Vec<DepartmentEntry>)))]
pub async fn list_departments(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<RegionParam>,
) -> ApiResult<Json<Vec<DepartmentEntry>>> {
    let region = public_region(&state, p.region.as_deref()).await?;
    let list = tongban_app::catalog::departments(&state, &region).await?;
    Ok(Json(
        list.into_iter()
            .map(|d| DepartmentEntry {
                code: d.code,
                name: d.name,
                phone: d.phone,
                item_count: d.item_count,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct RegionEntry {
    pub code: String,
    pub name: String,
    /// province, city, county, town, village
    pub level: String,
    pub parent_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RegionDetail {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
    /// From the province down to this region
    pub path: Vec<RegionEntry>,
    pub children: Vec<RegionEntry>,
}

fn region_entry(r: tongban_store::RegionRow) -> RegionEntry {
    RegionEntry {
        code: r.code,
        name: r.name,
        level: r.level,
        parent_code: r.parent_code,
    }
}

/// A region of the tree (行政区划) with its children.
#[utoipa::path(get, path = "/api/v1/regions/{code}", tag = "org", params(("code" = String, Path)),
    responses((status = 200, body = RegionDetail), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_region(State(state): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<RegionDetail>> {
    let code = RegionCode::parse(&code)?;
    let region = tongban_app::catalog::region(&state, code.as_str())
        .await?
        .ok_or_else(|| Error::not_found(format!("行政区划“{code}”")))?;
    let children = tongban_app::catalog::region_children(&state, code.as_str()).await?;
    let path = tongban_app::catalog::region_path(&state, code.as_str()).await?;
    Ok(Json(RegionDetail {
        code: region.code,
        name: region.name,
        level: region.level,
        parent_code: region.parent_code,
        path: path.into_iter().map(region_entry).collect(),
        children: children.into_iter().map(region_entry).collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct BundleEntry {
    pub code: String,
    pub name: String,
    pub items: Vec<BundleItem>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = BundleListItem)]
pub struct BundleItem {
    pub code: String,
    pub name: String,
}

/// 一件事一次办 bundles of the district.
#[utoipa::path(get, path = "/api/v1/bundles", tag = "catalog", params(RegionParam),
    responses((status = 200, body = Vec<BundleEntry>)))]
pub async fn list_bundles(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<RegionParam>,
) -> ApiResult<Json<Vec<BundleEntry>>> {
    let region = public_region(&state, p.region.as_deref()).await?;
    let bundles = tongban_app::catalog::bundles(&state, &region).await?;
    Ok(Json(
        bundles
            .into_iter()
            .map(|(b, names)| BundleEntry {
                code: b.code,
                name: b.name,
                items: b
                    .item_codes
                    .into_iter()
                    .zip(names)
                    .map(|(code, name)| BundleItem { code, name })
                    .collect(),
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct QualityParams {
    /// Department code; department staff always get their own
    pub department: Option<String>,
    /// One rule only, e.g. visits_without_reason
    pub rule: Option<String>,
}

/// Guide-quality report (办事指南动态监测): guides that break the rules of provincial checks.
#[utoipa::path(get, path = "/api/v1/catalog/quality", tag = "catalog", security(("bearer" = [])), params(QualityParams),
    responses((status = 200, body = QualityReport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn quality(
    State(state): State<AppState>,
    ApiUser(session): ApiUser,
    ApiQuery(p): ApiQuery<QualityParams>,
) -> ApiResult<Json<QualityReport>> {
    let department = tongban_app::catalog::quality_scope(&session.staff, p.department.as_deref())?;
    if let Some(d) = &department {
        if tongban_app::catalog::department(&state, &session.staff.region_code, d)
            .await?
            .is_none()
        {
            return Err(Error::not_found(format!("部门“{d}”")).into());
        }
    }
    if let Some(r) = &p.rule {
        if !tongban_app::catalog::RULE_LABELS.iter().any(|(code, _)| code == r) {
            return Err(Error::bad_request("invalid_rule", format!("未知的规则“{r}”")).into());
        }
    }
    let report = tongban_app::catalog::quality_report(
        &state.store,
        &session.staff.region_code,
        department.as_deref(),
        p.rule.as_deref(),
    )
    .await?;
    Ok(Json(report))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// Import the good rows and list the bad ones instead of refusing the whole file
    pub skip_bad: Option<bool>,
}

/// Import a catalog file (CSV or XLSX in the format of data/catalog.csv) into the caller's district
/// (administrators). Nothing is imported unless every row is good, unless `skip_bad=true`.
#[utoipa::path(post, path = "/api/v1/catalog/import", tag = "catalog", security(("bearer" = [])), params(ImportParams),
    request_body(content = Vec<u8>, content_type = "text/csv"),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    ApiUser(session): ApiUser,
    ApiQuery(p): ApiQuery<ImportParams>,
    body: Bytes,
) -> ApiResult<Json<ImportReport>> {
    let staff = &session.staff;
    policy::require(staff, Capability::EditCatalog)?;
    let mode = if p.skip_bad.unwrap_or(false) {
        ImportMode::SkipBad
    } else {
        ImportMode::AllOrNothing
    };
    let report = tongban_app::catalog::import_catalog(
        &state.store,
        &state.search,
        &staff.region_code,
        &body,
        mode,
        &staff.username,
    )
    .await?;
    Ok(Json(report))
}
