//! The 12345 hotline API (tag `hotline`): categories, intake by operators and from the public portal, the order
//! life cycle, worklists, bulletins, early warnings and the Open311 API keys. Open311 itself is at /open311/v2.

use crate::auth::ApiUser;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use tongban_app::hotline::bulletin::{self, Bulletin};
use tongban_app::hotline::files;
use tongban_app::hotline::{self, ActionRequest, CategoryIn, EventView, Intake, OrderView};
use tongban_app::policy::{self, Capability};
use tongban_app::Error;
use tongban_store::{HotlineCategory, HotlineFile, HotlineWarning, Open311Key};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
#[schema(as = HotlineCategoryView)]
pub struct CategoryView {
    pub code: String,
    pub name: String,
    pub parent_code: String,
    pub kind: String,
    pub department_code: String,
    /// Working days allowed (the category's own limit or the kind's default)
    pub limit_days: u32,
    pub keywords: String,
    pub position: i64,
    pub active: bool,
}

fn category_view(state: &AppState, c: &HotlineCategory) -> CategoryView {
    CategoryView {
        code: c.code.clone(),
        name: c.name.clone(),
        parent_code: c.parent_code.clone(),
        kind: c.kind.clone(),
        department_code: c.department_code.clone(),
        limit_days: hotline::limit_days(&state.config.hotline, c),
        keywords: c.keywords.clone(),
        position: c.position,
        active: c.active,
    }
}

/// The category tree (public: the portal's form offers it).
#[utoipa::path(get, path = "/api/v1/hotline/categories", tag = "hotline",
    responses((status = 200, body = Vec<CategoryView>)))]
pub async fn categories(State(state): State<AppState>) -> ApiResult<Json<Vec<CategoryView>>> {
    let list = hotline::categories(&state, &state.config.default_region).await?;
    Ok(Json(list.iter().map(|c| category_view(&state, c)).collect()))
}

/// Create or change a category (administrators): the same use case as the page `/staff/hotline/categories`.
/// Unknown kind, department or parent, a limit outside 1–60, a parent under the category itself: 422, nothing
/// written.
#[utoipa::path(put, path = "/api/v1/hotline/categories/{code}", tag = "hotline", security(("bearer" = [])),
    params(("code" = String, Path)), request_body = CategoryIn,
    responses((status = 200, body = CategoryView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_category(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(code): Path<String>,
    ApiJson(c): ApiJson<CategoryIn>,
) -> ApiResult<Json<CategoryView>> {
    let cat = hotline::save_category(&state, &s, &code, c).await?;
    Ok(Json(category_view(&state, &cat)))
}

/// Register an order taken by an operator (phone call, mayor's-mailbox letter, NPC/CPPCC suggestion). Unknown
/// category or a region outside the district: 422, nothing written.
#[utoipa::path(post, path = "/api/v1/hotline/orders", tag = "hotline", security(("bearer" = [])),
    request_body = Intake,
    responses((status = 201, body = OrderView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_order(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiJson(input): ApiJson<Intake>,
) -> ApiResult<(StatusCode, Json<OrderView>)> {
    policy::require(&s.staff, Capability::TakeHotlineCalls)?;
    if input.channel == "open311" {
        return Err(Error::unprocessable("invalid_channel", "Open311工单请通过/open311/v2接口提交").into());
    }
    let now = Utc::now();
    let o = hotline::intake(&state, &s.staff.region_code, &s.staff.username, input, "", None, now).await?;
    let cats = hotline::categories(&state, &s.staff.region_code).await?;
    Ok((StatusCode::CREATED, Json(hotline::view(&o, Some(&s), &cats, now))))
}

#[derive(Serialize, ToSchema)]
pub struct Receipt {
    pub number: String,
    /// When the answer is due (ISO 8601 with offset)
    pub due_at: String,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OrderProgressParams {
    /// The order's number, as the receipt or SMS gave it
    pub number: String,
    /// The last 4 digits of the phone the caller gave
    pub code: String,
}

/// A caller follows their request (no login): the order's number and the last 4 digits of their phone. Throttled
/// per address together with the case progress query.
#[utoipa::path(get, path = "/api/v1/hotline/progress", tag = "hotline", params(OrderProgressParams),
    responses((status = 200, body = hotline::OrderProgress), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn progress(
    State(state): State<AppState>,
    crate::extract::ClientAddress(address): crate::extract::ClientAddress,
    ApiQuery(p): ApiQuery<OrderProgressParams>,
) -> ApiResult<Json<hotline::OrderProgress>> {
    Ok(Json(hotline::progress(&state, &p.number, &p.code, address).await?))
}

/// Submit a request or a mayor's-mailbox letter from the portal (no login). A mobile number is required so that
/// the operator can revisit.
#[utoipa::path(post, path = "/api/v1/hotline/requests", tag = "hotline", request_body = hotline::PublicRequest,
    responses((status = 201, body = Receipt), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn public_request(
    State(state): State<AppState>,
    crate::extract::ClientAddress(address): crate::extract::ClientAddress,
    ApiJson(r): ApiJson<hotline::PublicRequest>,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    let o = hotline::submit_public(&state, r, &[], address).await?;
    Ok((
        StatusCode::CREATED,
        Json(Receipt {
            number: o.number,
            due_at: hotline::local_iso(&o.due_at),
        }),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// dispatch, extensions, revisit, review or inbox
    pub list: String,
}

/// A worklist: `dispatch`, `extensions`, `revisit` (operators), `review` (leaders), `inbox` (a department).
/// Phones masked.
#[utoipa::path(get, path = "/api/v1/hotline/orders", tag = "hotline", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = Vec<OrderView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn list_orders(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<OrderView>>> {
    if !policy::may_see_order_list(&s, &q.list) {
        return Err(Error::forbidden("无权查看该工单列表").into());
    }
    let now = Utc::now();
    let cats = hotline::categories(&state, &s.staff.region_code).await?;
    let orders = hotline::worklist(&state, &s, &q.list).await?;
    Ok(Json(
        orders
            .iter()
            .map(|o| {
                let mut v = hotline::view(o, Some(&s), &cats, now);
                v.caller_phone = policy::mask::phone(&o.caller_phone);
                v
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct OrderDetail {
    pub order: OrderView,
    pub events: Vec<EventView>,
    /// Files attached (download: `…/files/{sha256}`)
    #[schema(value_type = Vec<Object>)]
    pub files: Vec<HotlineFile>,
}

/// One order with its history.
#[utoipa::path(get, path = "/api/v1/hotline/orders/{number}", tag = "hotline", security(("bearer" = [])),
    params(("number" = String, Path)),
    responses((status = 200, body = OrderDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_order(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(number): Path<String>,
) -> ApiResult<Json<OrderDetail>> {
    let hotline::OrderRecord {
        order: o,
        events,
        files,
    } = hotline::order_record(&state, &s, &number).await?;
    let cats = hotline::categories(&state, &s.staff.region_code).await?;
    Ok(Json(OrderDetail {
        order: hotline::view(&o, Some(&s), &cats, Utc::now()),
        events: events.into_iter().map(EventView::from).collect(),
        files,
    }))
}

/// Attach files to an order (multipart/form-data, one or more parts with a file name; at most 10 files, each at
/// most 10 MB, PDF, JPG, PNG or OFD told by content). Kept by SHA-256 under the data directory; recorded in the
/// order's history. Operators and the handling departments; a file of another type 422
/// `unsupported_file_type`, too large 413 `file_too_large`, a finished order 422 `order_finished`.
#[utoipa::path(post, path = "/api/v1/hotline/orders/{number}/files", tag = "hotline", security(("bearer" = [])),
    params(("number" = String, Path)), request_body(content = Vec<u8>, content_type = "multipart/form-data"),
    responses((status = 201, body = Vec<Object>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn upload_files(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(number): Path<String>,
    m: axum::extract::Multipart,
) -> ApiResult<(StatusCode, Json<Vec<HotlineFile>>)> {
    let data = crate::upload::read_multipart(&state, m).await?;
    let list = files::attach(&state, &s, &number, &data.files, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(list)))
}

/// The files attached to an order (readers of the order).
#[utoipa::path(get, path = "/api/v1/hotline/orders/{number}/files", tag = "hotline", security(("bearer" = [])),
    params(("number" = String, Path)),
    responses((status = 200, body = Vec<Object>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn list_files(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(number): Path<String>,
) -> ApiResult<Json<Vec<HotlineFile>>> {
    Ok(Json(files::list(&state, &s, &number).await?))
}

/// Download one file of an order (readers of the order only: another department 403).
#[utoipa::path(get, path = "/api/v1/hotline/orders/{number}/files/{sha256}", tag = "hotline",
    security(("bearer" = [])), params(("number" = String, Path), ("sha256" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download_file(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path((number, sha256)): Path<(String, String)>,
) -> ApiResult<axum::response::Response> {
    let (f, bytes) = files::download(&state, &s, &number, &sha256).await?;
    Ok(crate::upload::download(&f.name, &f.sha256, &f.content_type, bytes))
}

/// Act on an order. Stale version: 409; action not possible in this state: 422 with `allowed_actions`; not the
/// caller's to take: 403; a return or extension without a reason, closing before the revisit: 422.
#[utoipa::path(post, path = "/api/v1/hotline/orders/{number}/actions", tag = "hotline", security(("bearer" = [])),
    params(("number" = String, Path)), request_body = ActionRequest,
    responses((status = 200, body = OrderView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(number): Path<String>,
    ApiJson(req): ApiJson<ActionRequest>,
) -> ApiResult<Json<OrderView>> {
    let now = Utc::now();
    let o = hotline::act(&state, &s, &number, req, now).await?;
    let cats = hotline::categories(&state, &s.staff.region_code).await?;
    Ok(Json(hotline::view(&o, Some(&s), &cats, now)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First day, YYYY-MM-DD (default: the first of this month)
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (default: today)
    pub to: Option<String>,
}

/// The bulletin (通报) for a period: per department received, closed, closed on time, returned, extended and the
/// rates, each with its formula.
#[utoipa::path(get, path = "/api/v1/hotline/bulletin", tag = "hotline", security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, body = Bulletin), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn get_bulletin(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<Bulletin>> {
    if !policy::allows(&s.staff, Capability::ReadHotlineBulletins) {
        return Err(Error::forbidden("无权查看热线通报").into());
    }
    let (from, to) = bulletin::period(q.from.as_deref(), q.to.as_deref())?;
    Ok(Json(bulletin::bulletin(&state, &s.staff.region_code, from, to).await?))
}

/// Overdue open orders: a department's own, or all for hotline staff and leaders.
#[utoipa::path(get, path = "/api/v1/hotline/overdue", tag = "hotline", security(("bearer" = [])),
    responses((status = 200, body = Vec<OrderView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn overdue(State(state): State<AppState>, ApiUser(s): ApiUser) -> ApiResult<Json<Vec<OrderView>>> {
    if !policy::allows(&s.staff, Capability::ReadHotlineBulletins) {
        return Err(Error::forbidden("无权查看超期工单").into());
    }
    let dept = if s.staff.role.is_department_bound() {
        Some(s.staff.department_code.clone().unwrap_or_default())
    } else {
        None
    };
    let now = Utc::now();
    let orders = bulletin::overdue(&state, &s.staff.region_code, dept.as_deref(), now).await?;
    let cats = hotline::categories(&state, &s.staff.region_code).await?;
    Ok(Json(
        orders
            .iter()
            .map(|o| {
                let mut v = hotline::view(o, Some(&s), &cats, now);
                v.caller_phone = policy::mask::phone(&o.caller_phone);
                v
            })
            .collect(),
    ))
}

/// Early warnings of 未诉即办: clusters of similar orders, each with the orders behind it (a department sees its own).
#[utoipa::path(get, path = "/api/v1/hotline/warnings", tag = "hotline", security(("bearer" = [])),
    responses((status = 200, body = Vec<Object>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn warnings(State(state): State<AppState>, ApiUser(s): ApiUser) -> ApiResult<Json<Vec<HotlineWarning>>> {
    Ok(Json(hotline::warnings(&state, &s).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeIn {
    /// What the department will do about it (required)
    pub note: String,
}

/// Acknowledge an early warning (the department it was raised to, or hotline operators and supervisors) with what
/// will be done. A second acknowledgement: 409 `already_acknowledged`; no note: 422 `note_required`.
#[utoipa::path(post, path = "/api/v1/hotline/warnings/{id}/acknowledge", tag = "hotline", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = AcknowledgeIn,
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn acknowledge_warning(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<i64>,
    ApiJson(a): ApiJson<AcknowledgeIn>,
) -> ApiResult<Json<HotlineWarning>> {
    Ok(Json(hotline::acknowledge_warning(&state, &s, id, &a.note).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyIn {
    /// Who the key is for, e.g. "市级平台"
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct NewKey {
    pub name: String,
    /// Shown once; only its hash is kept
    pub api_key: String,
}

/// Issue an Open311 API key (administrators). The key is in this answer only.
#[utoipa::path(post, path = "/api/v1/open311/keys", tag = "hotline", security(("bearer" = [])), request_body = KeyIn,
    responses((status = 201, body = NewKey), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_key(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiJson(k): ApiJson<KeyIn>,
) -> ApiResult<(StatusCode, Json<NewKey>)> {
    policy::require(&s.staff, Capability::ConfigureHotline)?;
    let key = hotline::add_api_key(&state, &s.staff.region_code, &k.name, &s.staff.username).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewKey {
            name: k.name.trim().to_string(),
            api_key: key,
        }),
    ))
}

/// The Open311 API keys (names and dates, never the keys).
#[utoipa::path(get, path = "/api/v1/open311/keys", tag = "hotline", security(("bearer" = [])),
    responses((status = 200, body = Vec<Object>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_keys(State(state): State<AppState>, ApiUser(s): ApiUser) -> ApiResult<Json<Vec<Open311Key>>> {
    policy::require(&s.staff, Capability::ConfigureHotline)?;
    Ok(Json(hotline::list_keys(&state, &s).await?))
}

/// Revoke an Open311 API key (administrators).
#[utoipa::path(post, path = "/api/v1/open311/keys/{name}/revoke", tag = "hotline", security(("bearer" = [])),
    params(("name" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn revoke_key(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    hotline::revoke_key(&state, &s, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
