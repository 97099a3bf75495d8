use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;
use tongban_app::App;

/// Settings of the HTTP edge alone; the use cases' settings are `tongban_app::Settings`.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
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
