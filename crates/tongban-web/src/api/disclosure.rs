//! 政务公开 API: the standard catalog, items of information (draft → publish by another person), the public listing
//! and figures, requests for disclosure (public intake, staff handling), appeals and the annual report (JSON, XLSX).

use crate::auth::{ApiUser, OptionalApiUser};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{paging, ApiJson, ApiQuery};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tongban_app::disclosure::{
    self as d, AnnualReport, DraftInput, Figures, ItemAction, ItemView, ListQuery, RequestAction, RequestInput,
    RequestView,
};
use tongban_app::time::today;
use tongban_app::Error;
use tongban_store::{CatalogEntry, RequestEvent};
use utoipa::{IntoParams, ToSchema};

fn now() -> String {
    tongban_store::now_text()
}

/// An entry of the standard catalog of basic-level disclosure (基层政务公开标准目录).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EntryView {
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
    /// 公开方式 (主动 / 依申请)
    pub method: String,
    /// 公开层级 (县级 / 乡级 / 村级)
    pub level: String,
    pub position: i64,
}

impl From<CatalogEntry> for EntryView {
    fn from(e: CatalogEntry) -> Self {
        EntryView {
            code: e.code,
            level1: e.level1,
            level2: e.level2,
            content: e.content,
            basis: e.basis,
            time_limit: e.time_limit,
            subject: e.subject,
            channels: e.channels,
            object: e.object,
            method: e.method,
            level: e.level,
            position: e.position,
        }
    }
}

/// The standard catalog of basic-level disclosure (public).
#[utoipa::path(get, path = "/api/v1/disclosure/catalog", tag = "disclosure",
    responses((status = 200, body = Vec<EntryView>)))]
pub async fn catalog(State(state): State<AppState>) -> ApiResult<Json<Vec<EntryView>>> {
    let region = state.config.default_region.clone();
    Ok(Json(
        tongban_app::disclosure::catalog_entries(&state, &region)
            .await?
            .into_iter()
            .map(EntryView::from)
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryIn {
    pub level1: String,
    pub level2: String,
    pub content: String,
    pub basis: String,
    pub time_limit: String,
    pub subject: String,
    pub channels: String,
    pub object: String,
    pub method: String,
    pub level: String,
    pub position: Option<i64>,
}

/// Add or replace a catalog entry (administrators).
#[utoipa::path(put, path = "/api/v1/disclosure/catalog/{code}", tag = "disclosure", security(("bearer" = [])),
    params(("code" = String, Path)), request_body = EntryIn,
    responses((status = 200, body = EntryView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_entry(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(code): Path<String>,
    ApiJson(e): ApiJson<EntryIn>,
) -> ApiResult<Json<EntryView>> {
    let entry = CatalogEntry {
        code,
        level1: e.level1,
        level2: e.level2,
        content: e.content,
        basis: e.basis,
        time_limit: e.time_limit,
        subject: e.subject,
        channels: e.channels,
        object: e.object,
        method: e.method,
        level: e.level,
        position: e.position.unwrap_or(100),
    };
    Ok(Json(d::save_entry(&state, &s, entry, &now()).await?.into()))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ItemParams {
    /// Department code
    pub department: Option<String>,
    /// Catalog entry code, e.g. GK-13
    pub catalog: Option<String>,
    /// Staff only: draft, returned, published or repealed (default: every state the caller may see)
    pub state: Option<String>,
    /// Words to find in the title or text
    pub q: Option<String>,
    /// Published on or after (YYYY-MM-DD)
    pub from: Option<String>,
    /// Published on or before (YYYY-MM-DD)
    pub to: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ItemList {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub data: Vec<ItemView>,
}

/// Items of information: without a token the published ones (the public listing, with search); with a token also
/// drafts and returned items the caller may see.
#[utoipa::path(get, path = "/api/v1/disclosure/items", tag = "disclosure", params(ItemParams),
    responses((status = 200, body = ItemList), (status = 400, body = ErrorBody)))]
pub async fn list_items(
    State(state): State<AppState>,
    OptionalApiUser(s): OptionalApiUser,
    ApiQuery(p): ApiQuery<ItemParams>,
) -> ApiResult<Json<ItemList>> {
    let (page, per_page) = paging(p.page, p.per_page)?;
    let region = s
        .as_ref()
        .map(|s| s.staff.region_code.clone())
        .unwrap_or_else(|| state.config.default_region.clone());
    let q = ListQuery {
        department: p.department,
        catalog: p.catalog,
        state: p.state,
        q: p.q,
        from: p.from,
        to: p.to,
    };
    let found = d::list_items(&state, &region, s.as_ref(), &q, page, per_page).await?;
    Ok(Json(ItemList {
        total: found.total,
        page: found.page,
        per_page: found.per_page,
        data: found.data,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftIn {
    /// Department code; department staff may leave it out (their own)
    pub department: Option<String>,
    /// Catalog entry code (unknown: 404)
    pub catalog: String,
    pub title: String,
    pub body: String,
    /// regulation (规章) or normative (行政规范性文件), counted in the annual report
    pub doc_kind: Option<String>,
    /// 文号, e.g. 云溪政发〔2026〕3号
    pub doc_number: Option<String>,
}

/// Draft an item of information (author: disclosure officer, or department staff for their department).
#[utoipa::path(post, path = "/api/v1/disclosure/items", tag = "disclosure", security(("bearer" = [])),
    request_body = DraftIn,
    responses((status = 201, body = ItemView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn draft(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiJson(r): ApiJson<DraftIn>,
) -> ApiResult<(StatusCode, Json<ItemView>)> {
    let input = DraftInput {
        department: r.department,
        catalog_code: r.catalog,
        title: r.title,
        body: r.body,
        doc_kind: r.doc_kind.unwrap_or_default(),
        doc_number: r.doc_number.unwrap_or_default(),
    };
    let v = d::draft_item(&state, &s, input, &now()).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// One item: published ones for everyone, drafts for those who may author or approve them.
#[utoipa::path(get, path = "/api/v1/disclosure/items/{id}", tag = "disclosure", params(("id" = i64, Path)),
    responses((status = 200, body = ItemView), (status = 404, body = ErrorBody)))]
pub async fn get_item(
    State(state): State<AppState>,
    OptionalApiUser(s): OptionalApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<ItemView>> {
    let region = state.config.default_region.clone();
    Ok(Json(d::item(&state, s.as_ref(), &region, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemActionIn {
    /// publish (approver, not the author), return (with note), revise (author, with title and body), repeal
    pub action: String,
    pub note: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
}

/// Act on an item. Publishing by its own author: 422 `self_approval`; a state that does not allow it: 409.
#[utoipa::path(post, path = "/api/v1/disclosure/items/{id}/actions", tag = "disclosure", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ItemActionIn,
    responses((status = 200, body = ItemView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn item_action(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<i64>,
    ApiJson(r): ApiJson<ItemActionIn>,
) -> ApiResult<Json<ItemView>> {
    let note = r.note.unwrap_or_default();
    let (title, body) = (r.title.unwrap_or_default(), r.body.unwrap_or_default());
    let action = match r.action.as_str() {
        "publish" => ItemAction::Publish,
        "return" => ItemAction::Return(&note),
        "revise" => ItemAction::Revise {
            title: &title,
            body: &body,
        },
        "repeal" => ItemAction::Repeal,
        other => {
            return Err(Error::unprocessable(
                "invalid_action",
                format!("操作“{other}”应为publish、return、revise或repeal"),
            )
            .into())
        }
    };
    Ok(Json(d::act_on_item(&state, &s, id, action, &now(), today()).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PeriodParams {
    /// YYYY-MM-DD, default 1 January of this year
    pub from: Option<String>,
    /// YYYY-MM-DD, default today
    pub to: Option<String>,
}

/// Published items and requests by department and catalog entry over a period (public).
#[utoipa::path(get, path = "/api/v1/disclosure/figures", tag = "disclosure", params(PeriodParams),
    responses((status = 200, body = Figures), (status = 400, body = ErrorBody)))]
pub async fn figures(State(state): State<AppState>, ApiQuery(p): ApiQuery<PeriodParams>) -> ApiResult<Json<Figures>> {
    let (from, to) = d::figures_period(p.from.as_deref(), p.to.as_deref())?;
    let region = state.config.default_region.clone();
    Ok(Json(d::figures(&state, &region, from, to).await?))
}

#[derive(Serialize, ToSchema)]
pub struct GroundView {
    /// disclose, partial, withhold, unavailable, not_processed, other
    pub kind: String,
    pub kind_label: String,
    pub ground: String,
    pub label: String,
    /// The row of the annual report it counts in
    pub report_row: String,
}

/// The reply kinds and grounds (政府信息公开条例 art. 36–39) with their report rows (public).
#[utoipa::path(get, path = "/api/v1/disclosure/grounds", tag = "disclosure",
    responses((status = 200, body = Vec<GroundView>)))]
pub async fn grounds() -> Json<Vec<GroundView>> {
    Json(
        d::GROUNDS
            .iter()
            .map(|g| GroundView {
                kind: g.kind.into(),
                kind_label: d::kind_label(g.kind).into(),
                ground: g.ground.into(),
                label: g.label.into(),
                report_row: g.row.into(),
            })
            .collect(),
    )
}

/// Submit a request for disclosure: online without a token, or recorded by staff (letter, window) with one. The
/// deadline is 20 working days from receipt.
#[utoipa::path(post, path = "/api/v1/disclosure/requests", tag = "disclosure", request_body = RequestInput,
    responses((status = 201, body = RequestView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn file_request(
    State(state): State<AppState>,
    crate::extract::ClientAddress(address): crate::extract::ClientAddress,
    OptionalApiUser(s): OptionalApiUser,
    ApiJson(input): ApiJson<RequestInput>,
) -> ApiResult<(StatusCode, Json<RequestView>)> {
    let region = s
        .as_ref()
        .map(|s| s.staff.region_code.clone())
        .unwrap_or_else(|| state.config.default_region.clone());
    let v = d::file_request(&state, &region, input, s.as_ref(), today(), &now(), address).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Open requests the caller handles, soonest deadline first (personal data masked).
#[utoipa::path(get, path = "/api/v1/disclosure/requests", tag = "disclosure", security(("bearer" = [])),
    responses((status = 200, body = Vec<RequestView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn inbox(State(state): State<AppState>, ApiUser(s): ApiUser) -> ApiResult<Json<Vec<RequestView>>> {
    Ok(Json(d::inbox(&state, &s, today()).await?))
}

/// One request, whole, for those who handle it.
#[utoipa::path(get, path = "/api/v1/disclosure/requests/{number}", tag = "disclosure", security(("bearer" = [])),
    params(("number" = String, Path)),
    responses((status = 200, body = RequestView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_request(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(number): Path<String>,
) -> ApiResult<Json<RequestView>> {
    let r = d::load_request(&state, &s, &number).await?;
    let whole = tongban_app::policy::may_author_disclosure(&s, &r.department_code);
    Ok(Json(d::request_view(&state, r, whole, today())))
}

#[derive(Serialize, ToSchema)]
#[schema(as = RequestEventView)]
pub struct EventView {
    pub seq: i64,
    pub actor: String,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub day: String,
    pub at: String,
    pub detail: String,
}

impl From<RequestEvent> for EventView {
    fn from(e: RequestEvent) -> Self {
        EventView {
            seq: e.seq,
            actor: e.actor,
            action: e.action,
            from_state: e.from_state,
            to_state: e.to_state,
            day: e.day,
            at: e.at,
            detail: e.detail,
        }
    }
}

/// The history of a request (append-only).
#[utoipa::path(get, path = "/api/v1/disclosure/requests/{number}/events", tag = "disclosure", security(("bearer" = [])),
    params(("number" = String, Path)),
    responses((status = 200, body = Vec<EventView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn request_events(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(number): Path<String>,
) -> ApiResult<Json<Vec<EventView>>> {
    let r = d::load_request(&state, &s, &number).await?;
    Ok(Json(
        tongban_app::disclosure::request_events(&state, &r)
            .await?
            .into_iter()
            .map(EventView::from)
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestActionIn {
    /// request_correction (note), corrected, consult (third_party), resume, extend (days ≤ 20, reason), reply (kind,
    /// ground, text, refer_to)
    pub action: String,
    pub note: Option<String>,
    pub third_party: Option<String>,
    pub days: Option<i64>,
    pub reason: Option<String>,
    pub kind: Option<String>,
    pub ground: Option<String>,
    pub text: Option<String>,
    pub refer_to: Option<String>,
}

/// Handle a request. A step the state does not allow: 409 `invalid_state` (nothing written); an extension beyond
/// 20 working days: 422 `extension_too_long`; a second extension: 409 `already_extended`.
#[utoipa::path(post, path = "/api/v1/disclosure/requests/{number}/actions", tag = "disclosure",
    security(("bearer" = [])), params(("number" = String, Path)), request_body = RequestActionIn,
    responses((status = 200, body = RequestView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn request_action(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(number): Path<String>,
    ApiJson(r): ApiJson<RequestActionIn>,
) -> ApiResult<Json<RequestView>> {
    Ok(Json(act(&state, &s, &number, &r, today()).await?))
}

/// Shared with the pages.
pub async fn act(
    state: &AppState,
    s: &tongban_store::Session,
    number: &str,
    r: &RequestActionIn,
    day: NaiveDate,
) -> Result<RequestView, Error> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let (note, third, reason, kind, ground, text, refer) = (
        o(&r.note),
        o(&r.third_party),
        o(&r.reason),
        o(&r.kind),
        o(&r.ground),
        o(&r.text),
        o(&r.refer_to),
    );
    let action = match r.action.as_str() {
        "request_correction" => RequestAction::RequestCorrection { note: &note },
        "corrected" => RequestAction::Corrected { note: &note },
        "consult" => RequestAction::Consult { third_party: &third },
        "resume" => RequestAction::Resume { note: &note },
        "extend" => RequestAction::Extend {
            days: r
                .days
                .ok_or_else(|| Error::unprocessable("missing_days", "延期须写明延长的工作日数（days）"))?,
            reason: &reason,
        },
        "reply" => RequestAction::Reply {
            kind: &kind,
            ground: &ground,
            text: &text,
            refer_to: &refer,
        },
        other => {
            return Err(Error::unprocessable(
                "invalid_action",
                format!("操作“{other}”应为request_correction、corrected、consult、resume、extend或reply"),
            ))
        }
    };
    d::act_on_request(state, s, number, action, day, &now()).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealIn {
    pub department: String,
    /// reconsideration (行政复议), litigation (未经复议直接起诉) or litigation_after (复议后起诉)
    pub kind: String,
    pub request_number: Option<String>,
    /// YYYY-MM-DD
    pub filed_on: String,
}

#[derive(Serialize, ToSchema)]
pub struct AppealView {
    pub id: i64,
    pub department: String,
    pub kind: String,
    pub request_number: String,
    pub filed_on: String,
    /// upheld, corrected or other; null while pending
    pub result: Option<String>,
    pub decided_on: Option<String>,
}

impl From<tongban_store::Appeal> for AppealView {
    fn from(a: tongban_store::Appeal) -> Self {
        AppealView {
            id: a.id,
            department: a.department_code,
            kind: a.kind,
            request_number: a.request_number,
            filed_on: a.filed_on,
            result: a.result,
            decided_on: a.decided_on,
        }
    }
}

/// Appeals about disclosure (disclosure officers).
#[utoipa::path(get, path = "/api/v1/disclosure/appeals", tag = "disclosure", security(("bearer" = [])),
    responses((status = 200, body = Vec<AppealView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn appeals(State(state): State<AppState>, ApiUser(s): ApiUser) -> ApiResult<Json<Vec<AppealView>>> {
    Ok(Json(
        tongban_app::disclosure::appeals(&state, &s)
            .await?
            .into_iter()
            .map(AppealView::from)
            .collect(),
    ))
}

/// Record an administrative reconsideration or lawsuit about disclosure (disclosure officers).
#[utoipa::path(post, path = "/api/v1/disclosure/appeals", tag = "disclosure", security(("bearer" = [])),
    request_body = AppealIn,
    responses((status = 201, body = AppealView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_appeal(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiJson(a): ApiJson<AppealIn>,
) -> ApiResult<(StatusCode, Json<AppealView>)> {
    let v = d::record_appeal(
        &state,
        &s,
        &a.department,
        &a.kind,
        a.request_number.as_deref().unwrap_or(""),
        &a.filed_on,
        &now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    /// upheld, corrected or other
    pub result: String,
    /// YYYY-MM-DD
    pub decided_on: String,
}

/// Record the outcome of a pending appeal; an appeal already decided: 409.
#[utoipa::path(post, path = "/api/v1/disclosure/appeals/{id}/decision", tag = "disclosure", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = DecisionIn,
    responses((status = 200, body = AppealView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_appeal(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<i64>,
    ApiJson(x): ApiJson<DecisionIn>,
) -> ApiResult<Json<AppealView>> {
    Ok(Json(
        d::decide_appeal(&state, &s, id, &x.result, &x.decided_on).await?.into(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// The report year, e.g. 2025 (default: last year)
    pub year: Option<i32>,
    /// A department's code; the district's report without it
    pub department: Option<String>,
}

/// The report the parameters ask for, as the reader may see it; shared by the JSON, XLSX and page handlers.
pub async fn report_for(state: &AppState, s: &tongban_store::Session, p: &ReportParams) -> Result<AnnualReport, Error> {
    d::report_for_reader(state, s, p.department.as_deref(), p.year).await
}

/// The annual disclosure report (政府信息公开工作年度报告) of the district or a department, in the official tables.
#[utoipa::path(get, path = "/api/v1/disclosure/report", tag = "disclosure", security(("bearer" = [])),
    params(ReportParams),
    responses((status = 200, body = AnnualReport), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Json<AnnualReport>> {
    Ok(Json(report_for(&state, &s, &p).await?))
}

/// The annual report as an XLSX workbook.
#[utoipa::path(get, path = "/api/v1/disclosure/report.xlsx", tag = "disclosure", security(("bearer" = [])),
    params(ReportParams),
    responses((status = 200, description = "XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn report_xlsx(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Response> {
    let r = report_for(&state, &s, &p).await?;
    Ok(xlsx_response(&r)?)
}

pub fn xlsx_response(r: &AnnualReport) -> Result<Response, Error> {
    let bytes = d::report_xlsx(r)?;
    let name = format!(
        "disclosure-report-{}{}.xlsx",
        r.year,
        r.department.as_ref().map(|d| format!("-{d}")).unwrap_or_default()
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportTextsIn {
    pub year: i32,
    /// A department's code; the district's report without it
    pub department: Option<String>,
    /// 五、存在的主要问题及改进情况 (one paragraph a line)
    pub problems: String,
    /// 六、其他需要报告的事项 (one paragraph a line)
    pub other_matters: String,
}

/// Write the text sections (五、六) of an annual report; the tables are always computed from the data.
#[utoipa::path(put, path = "/api/v1/disclosure/report/texts", tag = "disclosure", security(("bearer" = [])),
    request_body = ReportTextsIn,
    responses((status = 204, description = "saved"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_report_texts(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiJson(t): ApiJson<ReportTextsIn>,
) -> ApiResult<StatusCode> {
    let department = t.department.as_deref().map(str::trim).filter(|x| !x.is_empty());
    d::save_report_texts(&state, &s, department, t.year, &t.problems, &t.other_matters).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ProgressParams {
    /// The request number, e.g. GK2026-0001
    pub number: String,
    /// The last 4 characters of the applicant's ID number, credit code or phone
    pub code: String,
}

/// The applicant's progress query (no login): state, deadline and reply of a request.
#[utoipa::path(get, path = "/api/v1/disclosure/progress", tag = "disclosure", params(ProgressParams),
    responses((status = 200, body = d::RequestProgress), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn progress(
    State(state): State<AppState>,
    crate::extract::ClientAddress(address): crate::extract::ClientAddress,
    ApiQuery(p): ApiQuery<ProgressParams>,
) -> ApiResult<Json<d::RequestProgress>> {
    let region = state.config.default_region.clone();
    Ok(Json(d::progress(&state, &region, &p.number, &p.code, address).await?))
}
