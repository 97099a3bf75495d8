use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::{Arc, RwLock};
use tongban_core::calendar::Calendar;
use tongban_search::SearchIndex;
use tongban_store::Store;

/// Settings of the HTTP edge, derived from the binary's configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The district the public portal serves when a request names none (e.g. `430603`).
    pub default_region: String,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    pub session_hours: i64,
    /// Failed logins of one user name within `login_window_minutes` before further attempts are refused.
    pub login_max_failures: i64,
    pub login_window_minutes: i64,
    /// Where uploaded files are kept (under `files/`, by content hash).
    pub data_dir: std::path::PathBuf,
    /// Largest file accepted for a material.
    pub max_upload_bytes: usize,
    /// 容缺受理: working days the applicant has to hand in the missing materials.
    pub tolerance_days: u32,
    /// 差评整改: working days the department has to rectify and reply to a bad rating.
    pub rectification_days: u32,
    /// 12345 hotline: default time limits per kind, emergency hours, the optional bounding box of accepted points.
    pub hotline: crate::hotline::HotlineSettings,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            default_region: "430603".into(),
            secure_cookies: false,
            session_hours: 12,
            login_max_failures: 5,
            login_window_minutes: 15,
            data_dir: std::path::PathBuf::from("tongban-data"),
            max_upload_bytes: 10 * 1024 * 1024,
            tolerance_days: 10,
            rectification_days: 5,
            hotline: Default::default(),
        }
    }
}

/// A site and when it was read.
pub type CachedSite = (std::time::Instant, Arc<tongban_store::Site>);

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub search: SearchIndex,
    pub config: Arc<WebConfig>,
    pub metrics: PrometheusHandle,
    /// The official notices shipped and those loaded since (`tongban calendar import`).
    pub calendar: Arc<RwLock<Arc<Calendar>>>,
    /// Workflow templates by "region|code", read on every action; dropped when a template is saved.
    pub templates: Arc<RwLock<std::collections::HashMap<String, Arc<tongban_core::workflow::Template>>>>,
    /// Published guide versions by "region|code|version" (immutable once published).
    pub guides: Arc<RwLock<std::collections::HashMap<String, Arc<tongban_store::ItemRecord>>>>,
    /// Service sites by "region|code" with when they were read: filing checks its site on every case, and sites
    /// are written only by seeding and imports, so a read is trusted for `SITE_CACHE_SECONDS`.
    pub sites: Arc<RwLock<std::collections::HashMap<String, CachedSite>>>,
    /// The deployment's Ed25519 key: signs e-licences, and keys the rating links sent to applicants.
    pub signing_key: Arc<ed25519_dalek::SigningKey>,
}
