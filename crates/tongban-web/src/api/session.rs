use crate::auth::ApiUser;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, ClientAddress};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use tongban_app::auth::login as do_login;
use tongban_store::{Session, SessionKind};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token for `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: String,
    pub user: Me,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub username: String,
    pub display_name: String,
    /// admin, clerk, reviewer, head, supervisor, operator, discloser, policy
    pub role: String,
    pub role_label: String,
    pub region_code: String,
    pub department_code: Option<String>,
    pub department_name: Option<String>,
    pub window_name: Option<String>,
}

impl From<&Session> for Me {
    fn from(s: &Session) -> Me {
        Me::from(&s.staff)
    }
}

impl From<&tongban_store::Staff> for Me {
    fn from(st: &tongban_store::Staff) -> Me {
        Me {
            username: st.username.clone(),
            display_name: st.display_name.clone(),
            role: st.role.as_str().into(),
            role_label: st.role.label().into(),
            region_code: st.region_code.clone(),
            department_code: st.department_code.clone(),
            department_name: st.department_name.clone(),
            window_name: st.window_name.clone(),
        }
    }
}

/// Log in with user name and password; returns a bearer token. Repeated failures are throttled (429).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let (token, session) = do_login(&state, req.username.trim(), &req.password, SessionKind::Api, address).await?;
    Ok(Json(LoginResponse {
        token,
        expires_at: session.expires_at.clone(),
        user: Me::from(&session),
    }))
}

/// End the session of the bearer token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, _user: ApiUser, headers: HeaderMap) -> ApiResult<StatusCode> {
    if let Some(token) = crate::auth::bearer_token(&headers)? {
        tongban_app::auth::end_session(&state, token).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's account, role and scope.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(ApiUser(session): ApiUser) -> Json<Me> {
    Json(Me::from(&session))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TodoParams {
    /// A number or its start, an applicant's or caller's name or ID number, or part of an item's name or a title
    pub q: Option<String>,
}

/// What waits for the caller now — cases at their step (department staff: their department's; window clerks:
/// their site's), 12345 orders, disclosure requests and rectifications — late first, then by deadline, with counts
/// by urgency. Reading it here does not move the caller's "new" mark (the web page does).
#[utoipa::path(get, path = "/api/v1/me/todo", tag = "auth", security(("bearer" = [])), params(TodoParams),
    responses((status = 200, body = tongban_app::todo::Todo), (status = 401, body = ErrorBody)))]
pub async fn todo(
    State(state): State<AppState>,
    ApiUser(session): ApiUser,
    ApiQuery(p): ApiQuery<TodoParams>,
) -> ApiResult<Json<tongban_app::todo::Todo>> {
    Ok(Json(
        tongban_app::todo::todo(&state, &session, p.q.as_deref(), false).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    /// 12–128 characters, not a common password, not containing the user name
    pub new_password: String,
}

/// Change the caller's own password; the caller's other sessions end, this one stays.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", security(("bearer" = [])), request_body = ChangePassword,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    ApiUser(session): ApiUser,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ChangePassword>,
) -> ApiResult<StatusCode> {
    let token = crate::auth::bearer_token(&headers)?.unwrap_or_default();
    tongban_app::staff::change_own_password(&state, &session, token, &req.current_password, &req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    /// The new password, under the same rule as any new password
    pub password: String,
}

/// Set a new password for a staff member (administrators); all their sessions end.
#[utoipa::path(post, path = "/api/v1/staff/{username}/password", tag = "auth", security(("bearer" = [])),
    params(("username" = String, Path)), request_body = ResetPassword,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    ApiUser(session): ApiUser,
    Path(username): Path<String>,
    ApiJson(req): ApiJson<ResetPassword>,
) -> ApiResult<StatusCode> {
    tongban_app::staff::reset_password(&state, &session, &username, &req.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountState {
    /// false disables the account: its sessions end at once and it cannot sign in
    pub active: bool,
}

/// Disable or re-enable a staff account (administrators; not their own).
#[utoipa::path(put, path = "/api/v1/staff/{username}/active", tag = "auth", security(("bearer" = [])),
    params(("username" = String, Path)), request_body = AccountState,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn set_active(
    State(state): State<AppState>,
    ApiUser(session): ApiUser,
    Path(username): Path<String>,
    ApiJson(req): ApiJson<AccountState>,
) -> ApiResult<StatusCode> {
    tongban_app::staff::set_active(&state, &session, &username, req.active).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change a staff member's name, role, department or window (administrators; not one's own role). The person's
/// sessions end, so that the new role holds at once on every server.
#[utoipa::path(put, path = "/api/v1/staff/{username}", tag = "auth", security(("bearer" = [])),
    params(("username" = String, Path)), request_body = tongban_app::staff::Assignment,
    responses((status = 200, body = Me), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    ApiUser(session): ApiUser,
    Path(username): Path<String>,
    ApiJson(req): ApiJson<tongban_app::staff::Assignment>,
) -> ApiResult<Json<Me>> {
    let staff = tongban_app::staff::assign(&state, &session, &username, &req).await?;
    Ok(Json(Me::from(&staff)))
}
