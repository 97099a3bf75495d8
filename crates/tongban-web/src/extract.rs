//! JSON and query extractors whose rejections speak our error format instead of axum's plain text, and the one
//! extractor of staff forms, which checks the session and the CSRF token.

use crate::auth::WebUser;
use crate::error::HttpError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use serde::de::DeserializeOwned;
use tongban_app::{Error, ErrorKind};
use tongban_store::Session;

pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = HttpError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection).into()),
        }
    }
}

fn json_rejection(r: JsonRejection) -> Error {
    match r {
        JsonRejection::MissingJsonContentType(_) => Error::new(
            ErrorKind::UnsupportedFormat,
            "unsupported_media_type",
            "请求体应为JSON，并带有Content-Type: application/json",
        ),
        JsonRejection::JsonSyntaxError(e) => {
            Error::bad_request("invalid_json", format!("JSON格式错误：{}", e.body_text()))
        }
        JsonRejection::JsonDataError(e) => {
            Error::unprocessable("invalid_fields", format!("JSON字段不符合要求：{}", e.body_text()))
        }
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Error::new(ErrorKind::TooLarge, "payload_too_large", "请求体过大")
        }
        other => Error::bad_request("invalid_body", format!("无法读取请求体：{}", other.body_text())),
    }
}

pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                Err(Error::bad_request("invalid_query", format!("查询参数不符合要求：{}", e.body_text())).into())
            }
            Err(other) => Err(Error::bad_request("invalid_query", other.body_text()).into()),
        }
    }
}

/// Page and page size with bounds, shared by every paged list.
/// The last page number a list answers: beyond it nothing is listed anyway, and offsets stay far from overflowing.
pub const MAX_PAGE: i64 = 100_000;

pub fn paging(page: Option<i64>, per_page: Option<i64>) -> Result<(i64, i64), Error> {
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(20);
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(Error::bad_request(
            "invalid_page",
            format!("page应为从1开始、不超过{MAX_PAGE}的页码"),
        ));
    }
    if !(1..=100).contains(&per_page) {
        return Err(Error::bad_request("invalid_per_page", "per_page应在1到100之间"));
    }
    Ok((page, per_page))
}

/// A form sent by a signed-in staff member from one of our pages: the session (else the login page), the CSRF
/// token checked against the session's in constant time (else the "form expired" page), then the fields read as
/// `T` (else a page naming the bad field). Every staff form goes through here; no handler compares tokens itself.
pub struct StaffForm<T>(pub Session, pub T);

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// Reads a urlencoded form whose `csrf` field must match the session's token (compared in constant time) before the
/// fields are read as `T`: the one check behind `StaffForm` and `ApplicantForm`.
async fn csrf_checked_form<T: DeserializeOwned>(req: Request, state: &AppState, expected: &str) -> Result<T, Response> {
    let bytes = Bytes::from_request(req, state).await.map_err(|e| {
        crate::ui::error_page(Error::new(
            crate::error::kind_of(e.status()),
            "invalid_form",
            format!("表单内容无法读取：{}", e.body_text()),
        ))
    })?;
    let given = serde_urlencoded::from_bytes::<CsrfField>(&bytes)
        .map(|f| f.csrf)
        .unwrap_or_default();
    if !tongban_app::auth::same_secret(expected, &given) {
        return Err(crate::ui::csrf_refused());
    }
    serde_urlencoded::from_bytes::<T>(&bytes)
        .map_err(|e| crate::ui::error_page(Error::unprocessable("invalid_form", format!("表单内容无效：{e}"))))
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for StaffForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let WebUser(session) = WebUser::from_request_parts(&mut parts, state).await?;
        let form = csrf_checked_form(Request::from_parts(parts, body), state, &session.csrf_token).await?;
        Ok(StaffForm(session, form))
    }
}

/// A form posted by a signed-in applicant (the portal's cookie session), its CSRF token checked against the
/// session's before anything is read: not signed in, the browser goes to /my to sign in; a missing or wrong token
/// is refused (403) and nothing changes. `T` is read as `Form<T>` reads it.
pub struct ApplicantForm<T>(pub tongban_store::ApplicantSession, pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for ApplicantForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        use axum::response::IntoResponse;
        let (mut parts, body) = req.into_parts();
        let jar = axum_extra::extract::CookieJar::from_request_parts(&mut parts, state)
            .await
            .map_err(|e| e.into_response())?;
        let Some(session) = crate::ui::signed_in_applicant(state, &jar).await else {
            return Err(axum::response::Redirect::to("/my").into_response());
        };
        let form = csrf_checked_form(Request::from_parts(parts, body), state, &session.csrf_token).await?;
        Ok(ApplicantForm(session, form))
    }
}

/// The client's address for throttling: the peer, or behind a trusted proxy the address it forwarded. Never fails;
/// a server run without connection info counts every request under one unspecified address (limited together,
/// never unlimited).
pub struct ClientAddress(pub tongban_app::throttle::ClientAddress);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let address = crate::auth::client_address(peer, &parts.headers, &state.web.trusted_proxies)
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        Ok(ClientAddress(Some(address)))
    }
}
