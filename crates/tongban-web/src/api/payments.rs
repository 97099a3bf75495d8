//! Fees over JSON: a case's payment order and receipt, the payment platform's signed notification, and the daily
//! reconciliation for the finance side.

use crate::auth::{ApiCaller, ApiUser};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use tongban_app::cases::{self, PaymentNotice, Reconciliation};
use tongban_app::Error;
use utoipa::{IntoParams, ToSchema};

/// The payment order of a case with a fee and, once paid, its receipt (the platform's notice id, amount, time): for
/// the applicant on their own case, or staff who may read the case. No order (no fee, or not accepted yet): 404.
#[utoipa::path(get, path = "/api/v1/cases/{number}/payment", tag = "payments", security(("bearer" = [])),
    params(("number" = String, Path)),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn case_payment(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(number): Path<String>,
) -> ApiResult<Json<tongban_store::Payment>> {
    let p = match &caller {
        ApiCaller::Staff(s) => cases::payment_for_staff(&state, s, &number).await?,
        ApiCaller::Applicant(a) => cases::payment_for_applicant(&state, a, &number).await?,
        ApiCaller::Anonymous => {
            return Err(Error::unauthorized("查看缴款单须登录").into());
        }
    };
    Ok(Json(p))
}

/// Where the payment platform's notifications are documented to arrive (`payment_notify_path` adds another).
pub const NOTIFY_PATH: &str = "/api/v1/payments/notify";

#[derive(Serialize, ToSchema)]
pub struct NotifyAnswer {
    /// True when this notification paid the order; false when the same notification came before
    pub newly_paid: bool,
    #[schema(value_type = Object)]
    pub payment: tongban_store::Payment,
}

/// The payment platform's notification that an order was paid. The body is signed: `X-Signature` = hex of
/// HMAC-SHA256 over the raw body with the secret shared with the platform (`TONGBAN_PAYMENT_SECRET`). Unsigned or
/// wrongly signed: 401 and nothing changes; unknown order 404; another amount 422; the same notification twice
/// pays once (200, `newly_paid` false). A deployment may have it answer at another path as well
/// (`payment_notify_path`).
#[utoipa::path(post, path = "/api/v1/payments/notify", tag = "payments", request_body = PaymentNotice,
    params(("X-Signature" = String, Header, description = "hex HMAC-SHA256 of the body")),
    responses((status = 200, body = NotifyAnswer), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn notify(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<NotifyAnswer>)> {
    let signature = headers.get("x-signature").and_then(|v| v.to_str().ok());
    let (payment, newly_paid) = cases::payment_notified(&state, &body, signature).await?;
    Ok((StatusCode::OK, Json(NotifyAnswer { newly_paid, payment })))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DayQuery {
    /// The day (Beijing time), e.g. 2026-12-07; default today
    pub date: Option<String>,
}

/// One day's reconciliation (对账): the orders created that day, paid and unpaid, with totals in fen.
#[utoipa::path(get, path = "/api/v1/payments/reconciliation", tag = "payments", security(("bearer" = [])),
    params(DayQuery),
    responses((status = 200, body = Reconciliation), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn reconciliation(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiQuery(q): ApiQuery<DayQuery>,
) -> ApiResult<Json<Reconciliation>> {
    let day = match q.date.as_deref() {
        None => tongban_app::time::today(),
        Some(d) => tongban_app::time::day_field("date", d)?,
    };
    Ok(Json(cases::reconciliation(&state, &s, day).await?))
}
