//! The HTTP edge of tongban: `app(state)` builds the whole router — the JSON API with its OpenAPI document, the
//! server-rendered web UI with embedded assets, /healthz and /metrics — so tests can drive it in-process.

pub mod api;
pub mod auth;
pub mod error;
pub mod extract;
pub mod open311;
pub mod state;
pub mod ui;
pub mod upload;

pub use error::HttpError;
pub use state::{AppState, WebConfig};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tongban_app::{Error, ErrorKind};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// JSON bodies are small; catalog imports may be a few megabytes.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;
pub const IMPORT_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// The Prometheus recorder is process-wide; every app in the process (tests start many) shares it.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (e.g. by an embedding program); then ours only renders.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

pub fn app(state: AppState) -> Router {
    ui::set_region_name(&state.config.region_name);
    let (api_routes, openapi) = api::router();
    let openapi = std::sync::Arc::new(openapi);
    // The payment platform may be set to notify another path than the documented one; it answers there too.
    let payment_path = state
        .config
        .payment_notify_path
        .clone()
        .filter(|p| p.starts_with('/') && p != api::payments::NOTIFY_PATH);
    let mut router = Router::new();
    if let Some(path) = payment_path {
        router = router.route(&path, axum::routing::post(api::payments::notify));
    }
    router
        .merge(api_routes)
        .route(
            "/api/openapi.json",
            get(move || async move { Json(openapi.as_ref().clone()) }),
        )
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .merge(ui::router().layer(middleware::from_fn_with_state(state.clone(), ui::staff_error_layout)))
        .merge(open311::router())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), security_headers))
        .layer(middleware::from_fn(record_metrics))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        // The span names the path only: query strings carry secrets (a rating link's `t=`, an identity service's
        // `code=`), which must not reach the log.
        .layer(TraceLayer::new_for_http().make_span_with(
            |req: &Request| tracing::info_span!("request", method = %req.method(), path = %req.uri().path()),
        ))
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(serde_json::json!({"status": "ok", "database": state.store.backend().name()})),
        )
            .into_response(),
        Err(e) => HttpError::from(Error::new(
            ErrorKind::Unavailable,
            "database_unavailable",
            format!("数据库不可用：{e}"),
        ))
        .into_response(),
    }
}

/// Prometheus reads `/metrics` with the configured token; otherwise only an administrator's or supervisor's API
/// session may (the route names and volumes say how the service is used, which is not for everybody).
async fn metrics_text(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let token = match auth::bearer_token(&headers) {
        Ok(Some(t)) => t.to_string(),
        Ok(None) => return HttpError::from(Error::unauthorized("读取运行指标须提供令牌")).into_response(),
        Err(e) => return HttpError::from(e).into_response(),
    };
    let by_token = state
        .web
        .metrics_token
        .as_deref()
        .is_some_and(|expected| tongban_app::auth::same_secret(expected, &token));
    let allowed = if by_token {
        Ok(())
    } else {
        match tongban_app::auth::session(&state, &token, tongban_store::SessionKind::Api).await {
            Ok(Some(s)) => tongban_app::policy::require(&s.staff, tongban_app::policy::Capability::ReadMetrics),
            Ok(None) => Err(Error::unauthorized("令牌无效或已过期")),
            Err(e) => Err(e),
        }
    };
    if let Err(e) = allowed {
        return HttpError::from(e).into_response();
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// The Content-Security-Policy of every answer: everything from this server only, no inline script or style, never
/// framed by another site.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Security headers on every answer, pages and API alike (OWASP ASVS V14.4). What is not an embedded asset (those
/// set their own caching) is marked `no-store`, so no shared or browser cache keeps a page with personal data.
async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    use axum::http::HeaderValue;
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.web.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

async fn not_found(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        HttpError::from(Error::not_found(format!("接口“{} {}”", req.method(), req.uri().path()))).into_response()
    } else {
        ui::not_found_page()
    }
}

async fn record_metrics(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "other".into());
    let method = req.method().to_string();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("tongban_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("tongban_http_request_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
