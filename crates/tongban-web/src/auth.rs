//! Who is calling: bearer tokens for the API, a session cookie (with a CSRF token for forms) for the web UI, and
//! the login use case with throttling of repeated failures.

use crate::error::AppError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use tongban_store::{Session, SessionKind};

pub const SESSION_COOKIE: &str = "tongban_session";
pub const LOGIN_CSRF_COOKIE: &str = "tongban_login_csrf";

/// Logs a staff member in: refuses after too many recent failures, checks the Argon2id hash off the async
/// runtime, records failures and opens a session of the given kind.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    kind: SessionKind,
) -> Result<(String, Session), AppError> {
    let cfg = &state.config;
    let since = (chrono::Utc::now() - chrono::Duration::minutes(cfg.login_window_minutes))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    if state.store.login_failures_since(username, &since).await? >= cfg.login_max_failures {
        return Err(AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!("登录失败次数过多，请{}分钟后再试", cfg.login_window_minutes),
        ));
    }
    let found = state.store.staff_by_username(username).await?;
    // Without the account, check against a fixed hash anyway so that timing does not tell which names exist.
    let hash = found
        .as_ref()
        .map(|(_, h)| h.clone())
        .unwrap_or_else(|| DUMMY_HASH.to_string());
    let password = password.to_string();
    let ok = tokio::task::spawn_blocking(move || tongban_store::verify_password(&password, &hash))
        .await
        .map_err(AppError::internal)?;
    let staff = match found {
        Some((staff, _)) if ok => staff,
        _ => {
            state.store.record_login_failure(username).await?;
            return Err(AppError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "用户名或密码错误",
            ));
        }
    };
    if !staff.active {
        return Err(AppError::forbidden("该账号已停用，请联系管理员"));
    }
    state.store.clear_login_failures(username).await?;
    let ttl = chrono::Duration::hours(cfg.session_hours);
    Ok(state.store.create_session(&staff, kind, ttl).await?)
}

const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3Q3mB4n2u9qvVQb8l0x8yWw2l8r6o6l1b2mH1wq7p3A";

/// An API caller authenticated by `Authorization: Bearer <token>`.
pub struct ApiUser(pub Session);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(AppError::unauthorized(
                "需要登录：请在Authorization头中提供Bearer访问令牌",
            ));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| AppError::unauthorized("Authorization头格式应为“Bearer <令牌>”"))?;
        match state.store.session(token, SessionKind::Api).await? {
            Some(s) => Ok(ApiUser(s)),
            None => Err(AppError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "访问令牌无效或已过期，请重新登录",
            )),
        }
    }
}

/// An API caller who may or may not have logged in; a token that is given must be valid.
pub struct OptionalApiUser(pub Option<Session>);

impl FromRequestParts<AppState> for OptionalApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            Ok(OptionalApiUser(Some(
                ApiUser::from_request_parts(parts, state).await?.0,
            )))
        } else {
            Ok(OptionalApiUser(None))
        }
    }
}

/// A signed-in staff member of the web UI. Without a live session the browser is sent to the login page.
pub struct WebUser(pub Session);

pub struct LoginRedirect(String);

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        Redirect::to(&format!("/login?next={}", urlencode(&self.0))).into_response()
    }
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/staff".into());
        let Some(cookie) = jar.get(SESSION_COOKIE) else {
            return Err(LoginRedirect(next).into_response());
        };
        match state.store.session(cookie.value(), SessionKind::Web).await {
            Ok(Some(s)) => Ok(WebUser(s)),
            Ok(None) => Err(LoginRedirect(next).into_response()),
            Err(e) => Err(crate::ui::error_page(AppError::from(e))),
        }
    }
}

/// The signed-in staff member if there is one (public pages show a link to the workbench).
pub struct MaybeWebUser(pub Option<Session>);

impl FromRequestParts<AppState> for MaybeWebUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let session = match jar.get(SESSION_COOKIE) {
            Some(c) => state.store.session(c.value(), SessionKind::Web).await.ok().flatten(),
            None => None,
        };
        Ok(MaybeWebUser(session))
    }
}

/// Compares a form's CSRF token with the session's in constant time.
pub fn csrf_ok(expected: &str, given: &str) -> bool {
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Only same-site paths are followed after login, never another host.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/staff".to_string(),
    }
}
