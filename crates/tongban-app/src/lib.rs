//! The use cases of tongban, between the domain (tongban-core), the databases (tongban-store) and search
//! (tongban-search) below, and the HTTP edge and the command line above. Nothing here knows HTTP or templates: the
//! API, the pages, the seed, the demo and the benchmarks call the same functions, and every access decision is
//! taken by `policy`.

pub mod audit;
pub mod auth;
pub mod cases;
pub mod catalog;
pub mod disclosure;
pub mod error;
pub mod hotline;
pub mod passwords;
pub mod policy;
pub mod queue;
pub mod reform;
pub mod staff;
pub mod throttle;
pub mod time;
pub mod todo;
pub mod url;

pub use error::{Error, ErrorKind, Result};

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tongban_core::calendar::Calendar;
use tongban_search::SearchIndex;
use tongban_store::Store;

/// The deployment's settings that the use cases read (tongban.toml and `TONGBAN_*`).
#[derive(Debug, Clone)]
pub struct Settings {
    /// The district the public portal serves when a request names none (e.g. `430603`).
    pub default_region: String,
    /// Its name as the public reads it in texts and on pages (e.g. 云溪区): the SMS signature 【云溪区政务服务】 is made
    /// of it, so that one deployment can serve another district by its settings alone.
    pub region_name: String,
    /// Where the public reaches the deployment (no trailing slash): links in SMS and printed notices start with it.
    pub public_url: String,
    pub session_hours: i64,
    /// Where uploaded files are kept (under `files/`, by content hash).
    pub data_dir: std::path::PathBuf,
    /// Largest file accepted for a material.
    pub max_upload_bytes: usize,
    /// 容缺受理: working days the applicant has to hand in the missing materials.
    pub tolerance_days: u32,
    /// 差评整改: working days the department has to rectify and reply to a bad rating.
    pub rectification_days: u32,
    /// 12345 hotline: default time limits per kind, emergency hours, the optional bounding box of accepted points.
    pub hotline: hotline::HotlineSettings,
    /// The secret shared with the payment platform: its notifications are signed with HMAC-SHA256 under it. None:
    /// notifications are refused.
    pub payment_secret: Option<String>,
    /// Another path the payment platform posts its notifications to, besides /api/v1/payments/notify.
    pub payment_notify_path: Option<String>,
    /// The province's unified identity service (OpenID Connect); None: SMS code and password sign-in only.
    pub oidc: Option<reform::OidcSettings>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_region: "430603".into(),
            region_name: "云溪区".into(),
            public_url: "http://127.0.0.1:8080".into(),
            session_hours: 12,
            data_dir: std::path::PathBuf::from("tongban-data"),
            max_upload_bytes: 10 * 1024 * 1024,
            tolerance_days: 10,
            rectification_days: 5,
            hotline: Default::default(),
            payment_secret: None,
            payment_notify_path: None,
            oidc: None,
        }
    }
}

/// The shipped official notices, then every notice loaded into the database since.
pub async fn load_calendar(store: &Store) -> Result<Calendar> {
    let mut calendar = Calendar::official();
    for definition in store.calendar_notices().await? {
        let notice = tongban_core::calendar::YearNotice::parse_toml(&definition)
            .map_err(|e| Error::internal(format!("calendar notice: {e}")))?;
        calendar.load_notice(notice);
    }
    Ok(calendar)
}

impl Settings {
    /// The signature every SMS opens with: 【云溪区政务服务】.
    pub fn sms_signature(&self) -> String {
        format!("【{}政务服务】", self.region_name)
    }

    /// A path of the portal as a full address a citizen can open from an SMS or a printed notice.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }
}

/// A site and when it was read.
pub type CachedSite = (std::time::Instant, Arc<tongban_store::Site>);

/// Everything a use case needs: the store, the search index, the calendar, the caches and the signing key. Cheap
/// to clone (all shared).
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub search: SearchIndex,
    pub config: Arc<Settings>,
    /// The official notices shipped and those loaded since (`tongban calendar import`).
    pub calendar: Arc<RwLock<Arc<Calendar>>>,
    /// Workflow templates by "region|code", read on every action; dropped when a template is saved.
    pub templates: Arc<RwLock<HashMap<String, Arc<tongban_core::workflow::Template>>>>,
    /// Published guide versions by "region|code|version" (immutable once published).
    pub guides: Arc<RwLock<HashMap<String, Arc<tongban_store::ItemRecord>>>>,
    /// Service sites by "region|code" with when they were read: filing checks its site on every case, and sites
    /// are written only by seeding and imports, so a read is trusted for `reform::SITE_CACHE_SECONDS`.
    pub sites: Arc<RwLock<HashMap<String, CachedSite>>>,
    /// The deployment's Ed25519 key: signs e-licences, and keys the rating links sent to applicants.
    pub signing_key: Arc<ed25519_dalek::SigningKey>,
}

/// The deployment's signing key, refusing to start rather than make every licence already issued verify as forged:
/// when the key file is missing while licences exist (a new key would be created), or when the key in the data
/// directory did not sign the last licence (the directory of another deployment, or a key restored wrongly).
async fn checked_signing_key(store: &Store, data_dir: &std::path::Path) -> Result<ed25519_dalek::SigningKey> {
    let key_file = data_dir.join(reform::SIGNING_KEY_FILE);
    let latest = store.latest_licence().await?;
    if latest.is_some() && !key_file.exists() {
        return Err(Error::new(
            ErrorKind::Conflict,
            "signing_key_missing",
            format!(
                "数据库中已有电子证照，但签名密钥{}不存在：若新建密钥，已签发的证照将全部核验为伪造。请从备份恢复数据目录\
                 （tongban restore），或把原密钥文件放回该位置后再启动",
                key_file.display()
            ),
        ));
    }
    let key = reform::signing_key(data_dir).map_err(Error::internal)?;
    if let Some(l) = latest {
        if !l.content.verify(&key.verifying_key(), &l.signature) {
            return Err(Error::new(
                ErrorKind::Conflict,
                "signing_key_mismatch",
                format!(
                    "签名密钥{}不是签发本库电子证照的密钥（数据目录与数据库不配套）。请使用与该数据库一同备份的数据目录",
                    key_file.display()
                ),
            ));
        }
    }
    Ok(key)
}

impl App {
    /// An app over a migrated store: the search index of the default region built, the calendar with every notice
    /// loaded, the signing key read from (or created in) the data directory.
    pub async fn open(store: Store, settings: Settings) -> Result<App> {
        let search = SearchIndex::new()?;
        catalog::reindex(&store, &search, &settings.default_region).await?;
        let calendar = load_calendar(&store).await?;
        let signing_key = checked_signing_key(&store, &settings.data_dir).await?;
        Ok(App {
            store,
            search,
            config: Arc::new(settings),
            calendar: Arc::new(RwLock::new(Arc::new(calendar))),
            templates: Default::default(),
            guides: Default::default(),
            sites: Default::default(),
            signing_key: Arc::new(signing_key),
        })
    }

    /// The working-day calendar as it stands now.
    pub fn calendar(&self) -> Arc<Calendar> {
        self.calendar
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }
}
