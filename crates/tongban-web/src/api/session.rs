use crate::auth::ApiUser;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use tongban_app::auth::login as do_login;
use tongban_store::{Session, SessionKind};
use utoipa::ToSchema;

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
        let st = &s.staff;
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
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let (token, session) = do_login(&state, req.username.trim(), &req.password, SessionKind::Api).await?;
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
    if let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        tongban_app::auth::end_session(&state, token.trim()).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's account, role and scope.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(ApiUser(session): ApiUser) -> Json<Me> {
    Json(Me::from(&session))
}
