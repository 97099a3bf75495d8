//! The hall queue API (取号叫号): categories, kiosk tickets and appointments (public), window actions (window
//! clerks), the hall board (public) and the waiting and serving figures (supervisors and administrators).

use crate::auth::ApiUser;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use tongban_app::policy::{self, Capability};
use tongban_app::queue::{
    self, Board, CategoryInput, CategoryView, QueueReport, SlotView, TicketView, WindowAction, WindowAnswer,
    DEFAULT_HOURS,
};
use utoipa::{IntoParams, ToSchema};

/// The queue categories of the hall with today's waiting counts.
#[utoipa::path(get, path = "/api/v1/queue/categories", tag = "queue",
    responses((status = 200, body = Vec<CategoryView>)))]
pub async fn list_categories(State(state): State<AppState>) -> ApiResult<Json<Vec<CategoryView>>> {
    let region = state.config.default_region.clone();
    Ok(Json(queue::categories(&state, &region, Utc::now()).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryIn {
    /// Stable code, e.g. "zhsl"
    pub code: String,
    pub name: String,
    /// One letter that starts the ticket numbers (A → A001)
    pub prefix: String,
    /// Codes of the windows that call this category
    pub windows: Vec<String>,
    /// Default true
    pub open: Option<bool>,
    /// Default 30
    pub slot_minutes: Option<i64>,
    /// Appointments per slot; default 0 (no appointments)
    pub slot_capacity: Option<i64>,
    /// Default "09:00-12:00,13:30-17:00"
    pub hours: Option<String>,
    /// Order on the kiosk and the board
    pub position: Option<i64>,
}

/// Create a queue category (administrators). A code or letter already used: 409; unknown window: 404.
#[utoipa::path(post, path = "/api/v1/queue/categories", tag = "queue", security(("bearer" = [])),
    request_body = CategoryIn,
    responses((status = 201, body = CategoryView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_category(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiJson(req): ApiJson<CategoryIn>,
) -> ApiResult<(StatusCode, Json<CategoryView>)> {
    let input = CategoryInput {
        code: req.code,
        name: req.name,
        prefix: req.prefix,
        windows: req.windows,
        open: req.open.unwrap_or(true),
        slot_minutes: req.slot_minutes.unwrap_or(30),
        slot_capacity: req.slot_capacity.unwrap_or(0),
        hours: req.hours.unwrap_or_else(|| DEFAULT_HOURS.into()),
        position: req.position.unwrap_or(0),
    };
    let v = queue::save_category(&state, &s, input, true, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryPatch {
    pub name: Option<String>,
    pub prefix: Option<String>,
    pub windows: Option<Vec<String>>,
    /// false closes the category to new tickets (暂停取号); tickets already waiting are still called
    pub open: Option<bool>,
    pub slot_minutes: Option<i64>,
    pub slot_capacity: Option<i64>,
    pub hours: Option<String>,
    pub position: Option<i64>,
}

/// Edit a queue category (administrators): only the fields given change, e.g. `{"open": false}` closes it.
#[utoipa::path(put, path = "/api/v1/queue/categories/{code}", tag = "queue", security(("bearer" = [])),
    params(("code" = String, Path)), request_body = CategoryPatch,
    responses((status = 200, body = CategoryView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_category(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(code): Path<String>,
    ApiJson(p): ApiJson<CategoryPatch>,
) -> ApiResult<Json<CategoryView>> {
    policy::require(&s.staff, Capability::ConfigureQueue)?;
    let mut input = queue::category_input(&state, &s.staff.region_code, &code).await?;
    if let Some(v) = p.name {
        input.name = v;
    }
    if let Some(v) = p.prefix {
        input.prefix = v;
    }
    if let Some(v) = p.windows {
        input.windows = v;
    }
    if let Some(v) = p.open {
        input.open = v;
    }
    if let Some(v) = p.slot_minutes {
        input.slot_minutes = v;
    }
    if let Some(v) = p.slot_capacity {
        input.slot_capacity = v;
    }
    if let Some(v) = p.hours {
        input.hours = v;
    }
    if let Some(v) = p.position {
        input.position = v;
    }
    Ok(Json(queue::save_category(&state, &s, input, false, Utc::now()).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketRequest {
    /// Category code
    pub category: String,
    /// Mobile number for an SMS when the turn comes near (optional; never shown on the board)
    pub phone: Option<String>,
}

/// Take a ticket at the kiosk (public). Closed category: 422 `category_closed`; unknown: 404. Nothing is written
/// on refusal.
#[utoipa::path(post, path = "/api/v1/queue/tickets", tag = "queue", request_body = TicketRequest,
    responses((status = 201, body = TicketView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn take_ticket(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<TicketRequest>,
) -> ApiResult<(StatusCode, Json<TicketView>)> {
    let region = state.config.default_region.clone();
    let t = queue::take_at(&state, &region, &req.category, req.phone.as_deref(), Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TicketParams {
    /// Local date of the ticket (YYYY-MM-DD)
    pub day: String,
}

/// A ticket's state and the people ahead of it (public; phone masked).
#[utoipa::path(get, path = "/api/v1/queue/tickets/{number}", tag = "queue", params(("number" = String, Path), TicketParams),
    responses((status = 200, body = TicketView), (status = 404, body = ErrorBody)))]
pub async fn get_ticket(
    State(state): State<AppState>,
    Path(number): Path<String>,
    ApiQuery(p): ApiQuery<TicketParams>,
) -> ApiResult<Json<TicketView>> {
    let region = state.config.default_region.clone();
    Ok(Json(queue::ticket(&state, &region, p.day.trim(), number.trim()).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentRequest {
    pub category: String,
    /// YYYY-MM-DD, a working day within 30 days
    pub date: String,
    /// Slot start, local time ("09:00")
    pub slot: String,
    pub phone: String,
}

/// Book an appointment slot (public): a ticket for the slot, called before walk-ins once the slot has begun.
/// Full slot: 409 `slot_full`; past slot, closed category or a day the hall is shut: 422.
#[utoipa::path(post, path = "/api/v1/queue/appointments", tag = "queue", request_body = AppointmentRequest,
    responses((status = 201, body = TicketView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn book(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<AppointmentRequest>,
) -> ApiResult<(StatusCode, Json<TicketView>)> {
    let region = state.config.default_region.clone();
    let t = queue::book_at(
        &state,
        &region,
        &req.category,
        &req.date,
        &req.slot,
        &req.phone,
        Utc::now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(t)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SlotParams {
    pub category: String,
    /// YYYY-MM-DD
    pub date: String,
}

/// Appointment slots of a category on a date with their free capacity (public).
#[utoipa::path(get, path = "/api/v1/queue/appointments/slots", tag = "queue", params(SlotParams),
    responses((status = 200, body = Vec<SlotView>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn slots(State(state): State<AppState>, ApiQuery(p): ApiQuery<SlotParams>) -> ApiResult<Json<Vec<SlotView>>> {
    let region = state.config.default_region.clone();
    Ok(Json(
        queue::slots_at(&state, &region, &p.category, &p.date, Utc::now()).await?,
    ))
}

/// The caller's window and the ticket at it now (window clerks).
#[utoipa::path(get, path = "/api/v1/queue/windows/current", tag = "queue", security(("bearer" = [])),
    responses((status = 200, body = WindowAnswer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn current(State(state): State<AppState>, ApiUser(s): ApiUser) -> ApiResult<Json<WindowAnswer>> {
    Ok(Json(
        queue::window_act(&state, &s, WindowAction::Current, Utc::now()).await?,
    ))
}

/// Call the next ticket to the caller's window: appointments whose slot has begun first, then first come, first
/// served among the categories the window serves. The window still has a ticket: 409 `ticket_in_service`.
/// Nobody waiting: 200 with `ticket` null.
#[utoipa::path(post, path = "/api/v1/queue/windows/call-next", tag = "queue", security(("bearer" = [])),
    responses((status = 200, body = WindowAnswer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn call_next(State(state): State<AppState>, ApiUser(s): ApiUser) -> ApiResult<Json<WindowAnswer>> {
    Ok(Json(
        queue::window_act(&state, &s, WindowAction::CallNext, Utc::now()).await?,
    ))
}

/// Announce the window's current ticket again. No current ticket: 409 `no_current_ticket`.
#[utoipa::path(post, path = "/api/v1/queue/windows/recall", tag = "queue", security(("bearer" = [])),
    responses((status = 200, body = WindowAnswer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn recall(State(state): State<AppState>, ApiUser(s): ApiUser) -> ApiResult<Json<WindowAnswer>> {
    Ok(Json(
        queue::window_act(&state, &s, WindowAction::Recall, Utc::now()).await?,
    ))
}

/// The visitor did not come: skip the current ticket (过号) and call the next, in one step.
#[utoipa::path(post, path = "/api/v1/queue/windows/skip", tag = "queue", security(("bearer" = [])),
    responses((status = 200, body = WindowAnswer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn skip(State(state): State<AppState>, ApiUser(s): ApiUser) -> ApiResult<Json<WindowAnswer>> {
    Ok(Json(
        queue::window_act(&state, &s, WindowAction::Skip, Utc::now()).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// The category to send the current ticket to
    pub category: String,
}

/// Send the current ticket to another category: it waits there in the turn of its original taking time, not at
/// the back.
#[utoipa::path(post, path = "/api/v1/queue/windows/transfer", tag = "queue", security(("bearer" = [])),
    request_body = TransferRequest,
    responses((status = 200, body = WindowAnswer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn transfer(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiJson(req): ApiJson<TransferRequest>,
) -> ApiResult<Json<WindowAnswer>> {
    Ok(Json(
        queue::window_act(&state, &s, WindowAction::Transfer(&req.category), Utc::now()).await?,
    ))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct FinishRequest {
    /// The case filed for this visitor, if any
    pub case_number: Option<String>,
}

/// The visitor has been served: finish the current ticket, optionally linking the case filed for it.
#[utoipa::path(post, path = "/api/v1/queue/windows/finish", tag = "queue", security(("bearer" = [])),
    request_body = FinishRequest,
    responses((status = 200, body = WindowAnswer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn finish(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiJson(req): ApiJson<FinishRequest>,
) -> ApiResult<Json<WindowAnswer>> {
    Ok(Json(
        queue::window_act(&state, &s, WindowAction::Finish(req.case_number.as_deref()), Utc::now()).await?,
    ))
}

/// The hall board (public): the numbers called to each window and the waiting count per category. Never shows a
/// phone number.
#[utoipa::path(get, path = "/api/v1/queue/board", tag = "queue", responses((status = 200, body = Board)))]
pub async fn board(State(state): State<AppState>) -> ApiResult<Json<Board>> {
    let region = state.config.default_region.clone();
    Ok(Json(queue::board_at(&state, &region, Utc::now()).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FigureParams {
    /// First day (YYYY-MM-DD); default 6 days before `to`
    pub from: Option<String>,
    /// Last day; default today
    pub to: Option<String>,
}

/// Queue figures (supervisors and administrators): tickets, visitors received per day, average and 90th
/// percentile waiting and serving minutes in total and by category and window. `formula` says how each is
/// computed.
#[utoipa::path(get, path = "/api/v1/queue/figures", tag = "queue", security(("bearer" = [])), params(FigureParams),
    responses((status = 200, body = QueueReport), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn figures(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiQuery(p): ApiQuery<FigureParams>,
) -> ApiResult<Json<QueueReport>> {
    let (from, to) = tongban_app::time::period(
        p.from.as_deref(),
        p.to.as_deref(),
        queue::local_day(Utc::now()),
        tongban_app::time::PeriodStart::DaysBefore(6),
    )?;
    Ok(Json(queue::figures(&state, &s, from, to).await?))
}
