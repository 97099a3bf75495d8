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
    local_path(next).unwrap_or_else(|| "/staff".to_string())
}

/// Sign-in forms are posted before any session exists, so their CSRF token is a double submit: a fresh random
/// token in an HttpOnly, SameSite=Strict cookie scoped to the form's path (`/login` for staff, `/my` for the
/// portal), which a foreign site can neither read nor send, and the same token in the form.
pub fn issue_sign_in_csrf(
    jar: axum_extra::extract::CookieJar,
    path: &'static str,
    secure: bool,
) -> (axum_extra::extract::CookieJar, String) {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    let token = hex::encode(b);
    let cookie = axum_extra::extract::cookie::Cookie::build((LOGIN_CSRF_COOKIE, token.clone()))
        .path(path)
        .http_only(true)
        .secure(secure)
        .same_site(axum_extra::extract::cookie::SameSite::Strict);
    (jar.add(cookie), token)
}

/// Whether a sign-in form's token matches its cookie (constant time); a missing cookie never matches.
pub fn sign_in_csrf_holds(jar: &axum_extra::extract::CookieJar, given: &str) -> bool {
    let expected = jar
        .get(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    !expected.is_empty() && tongban_app::auth::same_secret(&expected, given)
}

/// `next` if it is a path of this site: it starts with one `/`, and holds no backslash, space or control character
/// (browsers drop tabs and newlines, so `/%09/evil.example` would become `//evil.example`, another site).
pub fn local_path(next: Option<&str>) -> Option<String> {
    let n = next?;
    let ok = n.starts_with('/')
        && !n.starts_with("//")
        && n.len() <= 2000
        && !n.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control());
    ok.then(|| n.to_string())
}

/// The address a request came from: the peer, or — when the peer is a trusted proxy — the last address in
/// `X-Forwarded-For` that is not one of the trusted proxies.
pub fn client_address(
    peer: Option<std::net::IpAddr>,
    headers: &axum::http::HeaderMap,
    trusted: &[std::net::IpAddr],
) -> Option<std::net::IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|a| !trusted.contains(a))
        .or(Some(peer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/ /x",
            "/a\nb",
        ] {
            assert_eq!(local_path(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(
            local_path(Some("/staff/cases?state=received")).as_deref(),
            Some("/staff/cases?state=received")
        );
        assert_eq!(safe_next(Some("/\t/evil.example")), "/staff");
    }

    #[test]
    fn a_forwarded_address_counts_only_from_a_trusted_proxy() {
        let proxy: std::net::IpAddr = "10.0.0.1".parse().unwrap_or(std::net::Ipv4Addr::LOCALHOST.into());
        let mut h = axum::http::HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            axum::http::HeaderValue::from_static("1.2.3.4, 5.6.7.8"),
        );
        let direct: std::net::IpAddr = "9.9.9.9".parse().unwrap_or(proxy);
        assert_eq!(
            client_address(Some(direct), &h, &[proxy]),
            Some(direct),
            "a client cannot pick its address"
        );
        assert_eq!(
            client_address(Some(proxy), &h, &[proxy])
                .map(|a| a.to_string())
                .as_deref(),
            Some("5.6.7.8")
        );
    }
}
