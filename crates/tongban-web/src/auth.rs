//! Who is calling: bearer tokens for the API, a session cookie (with a CSRF token for forms) for the web UI.

use crate::error::HttpError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use tongban_app::{Error, ErrorKind};
use tongban_store::{ApplicantSession, Session, SessionKind};

pub const SESSION_COOKIE: &str = "tongban_session";
pub const LOGIN_CSRF_COOKIE: &str = "tongban_login_csrf";

/// An API caller authenticated by `Authorization: Bearer <token>`.
pub struct ApiUser(pub Session);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer_token(&parts.headers)?
            .ok_or_else(|| Error::unauthorized("需要登录：请在Authorization头中提供Bearer访问令牌"))?;
        match tongban_app::auth::session(state, token, SessionKind::Api).await? {
            Some(s) => Ok(ApiUser(s)),
            None => Err(invalid_token().into()),
        }
    }
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case, RFC 9110 §11.1); None without the header,
/// an error for a header of another form.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Result<Option<&str>, Error> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty())
        .map(Some)
        .ok_or_else(|| Error::unauthorized("Authorization头格式应为“Bearer <令牌>”"))
}

fn invalid_token() -> Error {
    Error::new(
        ErrorKind::Unauthenticated,
        "invalid_token",
        "访问令牌无效或已过期，请重新登录",
    )
}

/// An applicant (citizen or enterprise) signed in by `Authorization: Bearer <token>`; the token is kept to sign out.
pub struct ApiApplicant {
    pub session: ApplicantSession,
    pub token: String,
}

impl FromRequestParts<AppState> for ApiApplicant {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token =
            bearer_token(&parts.headers)?.ok_or_else(|| Error::unauthorized("需要申请人登录：请提供Bearer访问令牌"))?;
        let session = tongban_app::reform::signed_in_applicant(state, token).await?;
        Ok(ApiApplicant {
            session,
            token: token.to_string(),
        })
    }
}

/// Whoever calls the API: staff, an applicant, or nobody; a token that is given must open a session.
pub enum ApiCaller {
    Staff(Session),
    Applicant(ApplicantSession),
    Anonymous,
}

impl ApiCaller {
    pub fn staff(&self) -> Option<&Session> {
        match self {
            ApiCaller::Staff(s) => Some(s),
            _ => None,
        }
    }
    /// The caller as the use cases know who acts.
    pub fn filer(&self) -> tongban_app::cases::FiledBy<'_> {
        match self {
            ApiCaller::Staff(s) => tongban_app::cases::FiledBy::Staff(s),
            ApiCaller::Applicant(a) => tongban_app::cases::FiledBy::Applicant(a),
            ApiCaller::Anonymous => tongban_app::cases::FiledBy::Anonymous,
        }
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = bearer_token(&parts.headers)? else {
            return Ok(ApiCaller::Anonymous);
        };
        if let Some(s) = tongban_app::auth::session(state, token, SessionKind::Api).await? {
            return Ok(ApiCaller::Staff(s));
        }
        match tongban_app::reform::applicant_session(state, token).await? {
            Some(a) => Ok(ApiCaller::Applicant(a)),
            None => Err(invalid_token().into()),
        }
    }
}

/// An API caller who may or may not have logged in; a token that is given must be valid.
pub struct OptionalApiUser(pub Option<Session>);

impl FromRequestParts<AppState> for OptionalApiUser {
    type Rejection = HttpError;

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
        match tongban_app::auth::session(state, cookie.value(), SessionKind::Web).await {
            Ok(Some(s)) => Ok(WebUser(s)),
            Ok(None) => Err(LoginRedirect(next).into_response()),
            Err(e) => Err(crate::ui::error_page(e)),
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
            Some(c) => tongban_app::auth::session(state, c.value(), SessionKind::Web)
                .await
                .ok()
                .flatten(),
            None => None,
        };
        Ok(MaybeWebUser(session))
    }
}

pub use tongban_app::url::encode as urlencode;

/// Only same-site paths are followed after login, never another host.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/staff".to_string(),
    }
}
