use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;
use tongban_app::App;

/// Settings of the HTTP edge alone; the use cases' settings are `tongban_app::Settings`.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` and send HSTS (behind HTTPS).
    pub secure_cookies: bool,
    /// Reverse proxies (the load balancer) whose `X-Forwarded-For` names the client; from anyone else the header is
    /// ignored, so that a client cannot choose the address it is throttled under.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// A token Prometheus sends (`Authorization: Bearer …`) to read `/metrics`; without it only an administrator's
    /// or supervisor's session may.
    pub metrics_token: Option<String>,
}

/// What every handler gets: the use cases' `App`, the edge's settings and the metrics recorder.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub web: Arc<WebConfig>,
    pub metrics: PrometheusHandle,
}

impl AppState {
    pub fn new(app: App, web: WebConfig) -> AppState {
        AppState {
            app,
            web: Arc::new(web),
            metrics: crate::metrics_handle(),
        }
    }
}

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}
