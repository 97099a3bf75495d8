//! Configuration: command-line flags, then environment variables, then `tongban.toml`, then defaults derived from
//! one data directory (as vaultwarden does). Validated once at start-up.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Keys of tongban.toml; each has an environment variable and a flag of the same meaning.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub region: Option<String>,
    /// The district's name in texts; by default its name in the shipped region tree.
    pub region_name: Option<String>,
    pub secure_cookies: Option<bool>,
    pub session_hours: Option<i64>,
    /// Addresses of the reverse proxies whose `X-Forwarded-For` is believed; `TONGBAN_TRUSTED_PROXIES`
    /// (comma-separated) wins.
    pub trusted_proxies: Option<Vec<String>>,
    /// The token Prometheus sends to read /metrics; `TONGBAN_METRICS_TOKEN` wins.
    pub metrics_token: Option<String>,
    /// The SMS gateway: each message is POSTed here as JSON; `TONGBAN_SMS_WEBHOOK` wins.
    pub sms_webhook: Option<String>,
    /// The address the public reaches this deployment at (https://zwfw.example.gov.cn): links in SMS and on printed
    /// notices are made absolute with it. `TONGBAN_PUBLIC_URL` wins; by default http://<listen address>.
    pub public_url: Option<String>,
    /// The secret shared with the payment platform (HMAC-SHA256 of its notifications); `TONGBAN_PAYMENT_SECRET` wins.
    pub payment_secret: Option<String>,
    /// Another path the payment platform posts to; `TONGBAN_PAYMENT_NOTIFY_PATH` wins.
    pub payment_notify_path: Option<String>,
    #[serde(default)]
    pub hotline: HotlineSection,
    /// `[oidc]`: the province's unified identity service; each key also `TONGBAN_OIDC_<KEY>`, which wins.
    #[serde(default)]
    pub oidc: OidcSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSection {
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// This deployment's callback as registered with the provider: https://<host>/my/oidc/callback
    pub redirect_url: Option<String>,
    /// The claim carrying the ID number; `id_number` by default.
    pub id_claim: Option<String>,
}

/// `[hotline]` of tongban.toml; each key also `TONGBAN_HOTLINE_<KEY>` in the environment, which wins.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotlineSection {
    /// Default working days of each kind (a category may set its own).
    pub consultation_days: Option<u32>,
    pub help_days: Option<u32>,
    pub suggestion_days: Option<u32>,
    pub complaint_days: Option<u32>,
    pub report_days: Option<u32>,
    /// Hours from receipt an emergency is due.
    pub emergency_hours: Option<i64>,
    /// `[south, west, north, east]`: points outside are refused (Open311 and every intake).
    pub bbox: Option<Vec<f64>>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: String,
    pub database_url: String,
    pub data_dir: PathBuf,
    pub region: String,
    pub region_name: String,
    pub secure_cookies: bool,
    pub session_hours: i64,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub metrics_token: Option<String>,
    pub sms_webhook: Option<String>,
    pub public_url: String,
    pub hotline: tongban_app::hotline::HotlineSettings,
    pub payment_secret: Option<String>,
    pub payment_notify_path: Option<String>,
    pub oidc: Option<tongban_app::reform::OidcSettings>,
}

/// `[oidc]` with `TONGBAN_OIDC_*` over it: all of issuer, client id, client secret and redirect URL, or none.
fn oidc_settings(
    file: &OidcSection,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<tongban_app::reform::OidcSettings>, ConfigError> {
    let get = |key: &str, from_file: &Option<String>| {
        env(&format!("TONGBAN_OIDC_{}", key.to_uppercase()))
            .or_else(|| from_file.clone())
            .filter(|v| !v.trim().is_empty())
    };
    let issuer = get("issuer", &file.issuer);
    let client_id = get("client_id", &file.client_id);
    let client_secret = get("client_secret", &file.client_secret);
    let redirect_url = get("redirect_url", &file.redirect_url);
    match (issuer, client_id, client_secret, redirect_url) {
        (None, None, None, None) => Ok(None),
        (Some(issuer), Some(client_id), Some(client_secret), Some(redirect_url)) => {
            for (key, url) in [("oidc.issuer", &issuer), ("oidc.redirect_url", &redirect_url)] {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(ConfigError::Invalid {
                        key: if key == "oidc.issuer" {
                            "oidc.issuer"
                        } else {
                            "oidc.redirect_url"
                        },
                        reason: format!("“{url}”应为http(s)地址"),
                    });
                }
            }
            Ok(Some(tongban_app::reform::OidcSettings {
                issuer,
                client_id,
                client_secret,
                redirect_url,
                id_claim: get("id_claim", &file.id_claim).unwrap_or_else(|| "id_number".into()),
            }))
        }
        _ => Err(ConfigError::Invalid {
            key: "oidc",
            reason: "统一身份认证须同时配置issuer、client_id、client_secret和redirect_url".into(),
        }),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("无法读取配置文件{path}：{source}")]
    Read { path: String, source: std::io::Error },
    #[error("配置文件{path}有误：{source}")]
    Parse { path: String, source: toml::de::Error },
    #[error("配置项{key}无效：{reason}")]
    Invalid { key: &'static str, reason: String },
}

/// The name of a region in the region tree shipped with the binary (data/regions.csv).
fn region_name_in_tree(code: &str) -> Option<String> {
    tongban_core::region::parse_regions_csv(crate::seed::REGIONS_CSV)
        .ok()?
        .into_iter()
        .find(|r| r.code.as_str() == code)
        .map(|r| r.name)
}

/// Values given on the command line or in the environment (clap reads both).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub region: Option<String>,
}

impl Config {
    /// `default_data_dir` differs per command: `demo` keeps its data apart from a real deployment's.
    pub fn load(o: &Overrides, default_data_dir: &str) -> Result<Config, ConfigError> {
        let path = o
            .config
            .clone()
            .or_else(|| Some(PathBuf::from("tongban.toml")).filter(|p| p.exists()));
        let file = match &path {
            Some(p) => read_file(p)?,
            None => FileConfig::default(),
        };
        let data_dir = o
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from(default_data_dir));
        let database_url = o
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| sqlite_url(&data_dir));
        let listen = o
            .listen
            .clone()
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".to_string());
        if listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::Invalid {
                key: "listen",
                reason: format!("“{listen}”不是“地址:端口”"),
            });
        }
        let region = o.region.clone().or(file.region).unwrap_or_else(|| "430603".to_string());
        tongban_core::ids::RegionCode::parse(&region).map_err(|e| ConfigError::Invalid {
            key: "region",
            reason: e.to_string(),
        })?;
        let region_name = match file.region_name {
            Some(name) if !name.trim().is_empty() => name.trim().to_string(),
            _ => region_name_in_tree(&region).ok_or_else(|| ConfigError::Invalid {
                key: "region_name",
                reason: format!("行政区划“{region}”不在随程序提供的区划表中，请在配置文件中写明region_name"),
            })?,
        };
        tongban_store::Backend::from_url(&database_url).map_err(|e| ConfigError::Invalid {
            key: "database_url",
            reason: e.to_string(),
        })?;
        let session_hours = file.session_hours.unwrap_or(12);
        if !(1..=24 * 30).contains(&session_hours) {
            return Err(ConfigError::Invalid {
                key: "session_hours",
                reason: "应在1到720之间".into(),
            });
        }
        let hotline = hotline_settings(&file.hotline, &|k| std::env::var(k).ok())?;
        let payment_secret = std::env::var("TONGBAN_PAYMENT_SECRET")
            .ok()
            .or(file.payment_secret)
            .filter(|s| !s.trim().is_empty());
        if payment_secret.as_ref().is_some_and(|s| s.len() < 16) {
            return Err(ConfigError::Invalid {
                key: "payment_secret",
                reason: "与缴费平台共享的密钥至少16个字符".into(),
            });
        }
        let oidc = oidc_settings(&file.oidc, &|k| std::env::var(k).ok())?;
        let payment_notify_path = std::env::var("TONGBAN_PAYMENT_NOTIFY_PATH")
            .ok()
            .or(file.payment_notify_path)
            .filter(|p| !p.trim().is_empty());
        if let Some(path) = &payment_notify_path {
            let ok = path.starts_with('/')
                && path.len() <= 200
                && path.chars().all(|c| c.is_ascii_alphanumeric() || "/-_.".contains(c));
            if !ok {
                return Err(ConfigError::Invalid {
                    key: "payment_notify_path",
                    reason: format!("“{path}”应为以/开头的路径，只含字母、数字和/-_."),
                });
            }
        }
        let trusted_proxies = match std::env::var("TONGBAN_TRUSTED_PROXIES") {
            Ok(v) => v
                .split(',')
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty())
                .collect(),
            Err(_) => file.trusted_proxies.unwrap_or_default(),
        };
        let trusted_proxies = trusted_proxies
            .iter()
            .map(|a| {
                a.parse().map_err(|_| ConfigError::Invalid {
                    key: "trusted_proxies",
                    reason: format!("“{a}”不是IP地址"),
                })
            })
            .collect::<Result<Vec<std::net::IpAddr>, _>>()?;
        let metrics_token = std::env::var("TONGBAN_METRICS_TOKEN")
            .ok()
            .or(file.metrics_token)
            .filter(|s| !s.trim().is_empty());
        if metrics_token.as_ref().is_some_and(|s| s.len() < 16) {
            return Err(ConfigError::Invalid {
                key: "metrics_token",
                reason: "读取指标的令牌至少16个字符".into(),
            });
        }
        let sms_webhook = std::env::var("TONGBAN_SMS_WEBHOOK")
            .ok()
            .or(file.sms_webhook)
            .filter(|s| !s.trim().is_empty());
        if let Some(url) = &sms_webhook {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(ConfigError::Invalid {
                    key: "sms_webhook",
                    reason: format!("“{url}”应为http(s)地址"),
                });
            }
        }
        let public_url = std::env::var("TONGBAN_PUBLIC_URL")
            .ok()
            .or(file.public_url)
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| format!("http://{listen}"));
        if !(public_url.starts_with("https://") || public_url.starts_with("http://")) {
            return Err(ConfigError::Invalid {
                key: "public_url",
                reason: format!("“{public_url}”应为http(s)地址"),
            });
        }
        let public_url = public_url.trim_end_matches('/').to_string();
        Ok(Config {
            listen,
            database_url,
            data_dir,
            region,
            region_name,
            secure_cookies: file.secure_cookies.unwrap_or(false),
            session_hours,
            trusted_proxies,
            metrics_token,
            sms_webhook,
            public_url,
            hotline,
            payment_secret,
            payment_notify_path,
            oidc,
        })
    }

    pub fn web(&self) -> tongban_web::WebConfig {
        tongban_web::WebConfig {
            secure_cookies: self.secure_cookies,
            trusted_proxies: self.trusted_proxies.clone(),
            metrics_token: self.metrics_token.clone(),
        }
    }

    pub fn settings(&self) -> tongban_app::Settings {
        tongban_app::Settings {
            default_region: self.region.clone(),
            region_name: self.region_name.clone(),
            public_url: self.public_url.clone(),
            session_hours: self.session_hours,
            data_dir: self.data_dir.clone(),
            hotline: self.hotline.clone(),
            payment_secret: self.payment_secret.clone(),
            payment_notify_path: self.payment_notify_path.clone(),
            oidc: self.oidc.clone(),
            ..Default::default()
        }
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// The SQLite file when the database is the embedded one under the data directory.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        self.database_url
            .strip_prefix("sqlite://")
            .map(|rest| PathBuf::from(rest.split('?').next().unwrap_or(rest)))
    }
}

/// The hotline settings: the environment (`TONGBAN_HOTLINE_*`), else `[hotline]` of the file, else the defaults
/// (`KINDS`, `EMERGENCY_HOURS`, no bounding box). `env` looks a variable up (the process environment, or a test's).
pub fn hotline_settings(
    file: &HotlineSection,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<tongban_app::hotline::HotlineSettings, ConfigError> {
    use tongban_app::hotline::HotlineSettings;
    let mut h = HotlineSettings::default();
    let days = [
        (
            "consultation",
            "hotline.consultation_days",
            "TONGBAN_HOTLINE_CONSULTATION_DAYS",
            file.consultation_days,
        ),
        ("help", "hotline.help_days", "TONGBAN_HOTLINE_HELP_DAYS", file.help_days),
        (
            "suggestion",
            "hotline.suggestion_days",
            "TONGBAN_HOTLINE_SUGGESTION_DAYS",
            file.suggestion_days,
        ),
        (
            "complaint",
            "hotline.complaint_days",
            "TONGBAN_HOTLINE_COMPLAINT_DAYS",
            file.complaint_days,
        ),
        (
            "report",
            "hotline.report_days",
            "TONGBAN_HOTLINE_REPORT_DAYS",
            file.report_days,
        ),
    ];
    for (kind, key, var, from_file) in days {
        let value = match env(var) {
            Some(v) => Some(v.trim().parse::<u32>().map_err(|_| ConfigError::Invalid {
                key,
                reason: format!("{var}=“{v}”不是整数"),
            })?),
            None => from_file,
        };
        if let Some(d) = value {
            if !(1..=60).contains(&d) {
                return Err(ConfigError::Invalid {
                    key,
                    reason: format!("应在1到60个工作日之间（是{d}）"),
                });
            }
            if let Some(slot) = h.kind_days.iter_mut().find(|(k, _)| k == kind) {
                slot.1 = d;
            }
        }
    }
    let hours = match env("TONGBAN_HOTLINE_EMERGENCY_HOURS") {
        Some(v) => Some(v.trim().parse::<i64>().map_err(|_| ConfigError::Invalid {
            key: "hotline.emergency_hours",
            reason: format!("TONGBAN_HOTLINE_EMERGENCY_HOURS=“{v}”不是整数"),
        })?),
        None => file.emergency_hours,
    };
    if let Some(hours) = hours {
        if !(1..=72).contains(&hours) {
            return Err(ConfigError::Invalid {
                key: "hotline.emergency_hours",
                reason: format!("应在1到72小时之间（是{hours}）"),
            });
        }
        h.emergency_hours = hours;
    }
    let bbox = match env("TONGBAN_HOTLINE_BBOX") {
        Some(v) if v.trim().is_empty() => None,
        Some(v) => Some(
            v.split(',')
                .map(|x| x.trim().parse::<f64>())
                .collect::<Result<Vec<f64>, _>>()
                .map_err(|_| ConfigError::Invalid {
                    key: "hotline.bbox",
                    reason: format!("TONGBAN_HOTLINE_BBOX=“{v}”应为“南纬度,西经度,北纬度,东经度”四个数"),
                })?,
        ),
        None => file.bbox.clone(),
    };
    if let Some(b) = bbox {
        let ok = b.len() == 4
            && b.iter().all(|x| x.is_finite())
            && (-90.0..=90.0).contains(&b[0])
            && (-90.0..=90.0).contains(&b[2])
            && (-180.0..=180.0).contains(&b[1])
            && (-180.0..=180.0).contains(&b[3])
            && b[0] < b[2]
            && b[1] < b[3];
        if !ok {
            return Err(ConfigError::Invalid {
                key: "hotline.bbox",
                reason: "应为[南, 西, 北, 东]四个度数，南小于北、西小于东，纬度在−90到90、经度在−180到180之间".into(),
            });
        }
        h.bbox = Some([b[0], b[1], b[2], b[3]]);
    }
    Ok(h)
}

fn read_file(p: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
        path: p.display().to_string(),
        source,
    })?;
    toml::from_str(&text).map_err(|source| ConfigError::Parse {
        path: p.display().to_string(),
        source,
    })
}

pub fn sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("tongban.db").display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oidc_is_all_four_settings_or_none() {
        let none = |_: &str| None;
        assert!(oidc_settings(&OidcSection::default(), &none).unwrap().is_none());
        let partial = OidcSection {
            issuer: Some("https://id.example.gov.cn".into()),
            ..Default::default()
        };
        assert!(matches!(
            oidc_settings(&partial, &none),
            Err(ConfigError::Invalid { key: "oidc", .. })
        ));
        let env = |k: &str| match k {
            "TONGBAN_OIDC_CLIENT_ID" => Some("tongban".to_string()),
            "TONGBAN_OIDC_CLIENT_SECRET" => Some("s".to_string()),
            "TONGBAN_OIDC_REDIRECT_URL" => Some("https://zwfw.example.gov.cn/my/oidc/callback".to_string()),
            _ => None,
        };
        let o = oidc_settings(&partial, &env).unwrap().unwrap();
        assert_eq!((o.client_id.as_str(), o.id_claim.as_str()), ("tongban", "id_number"));
    }

    #[test]
    fn a_region_outside_the_shipped_tree_must_be_named() {
        let dir = std::env::temp_dir().join(format!("tongban-config-name-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("tongban.toml");
        std::fs::write(&file, "region = \"110101\"\n").unwrap();
        let o = Overrides {
            config: Some(file.clone()),
            data_dir: Some(dir.clone()),
            ..Default::default()
        };
        assert!(matches!(
            Config::load(&o, "unused"),
            Err(ConfigError::Invalid { key: "region_name", .. })
        ));
        std::fs::write(&file, "region = \"110101\"\nregion_name = \"东城区\"\n").unwrap();
        let c = Config::load(&o, "unused").unwrap();
        assert_eq!(c.settings().sms_signature(), "【东城区政务服务】");
    }

    #[test]
    fn flags_win_over_file_and_defaults_follow_data_dir() {
        let dir = std::env::temp_dir().join(format!("tongban-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("tongban.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9000\"\nregion = \"430602\"\n").unwrap();
        let o = Overrides {
            config: Some(file.clone()),
            data_dir: Some(dir.clone()),
            ..Default::default()
        };
        let c = Config::load(&o, "unused").unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.region, "430602");
        assert_eq!(c.region_name, "岳阳楼区", "named from the shipped region tree");
        assert_eq!(c.settings().sms_signature(), "【岳阳楼区政务服务】");
        assert_eq!(c.database_url, sqlite_url(&dir));
        assert_eq!(c.sqlite_file(), Some(dir.join("tongban.db")));
        let o = Overrides {
            listen: Some("127.0.0.1:1".into()),
            ..o
        };
        assert_eq!(Config::load(&o, "unused").unwrap().listen, "127.0.0.1:1");
        std::fs::write(&file, "colour = 1\n").unwrap();
        assert!(matches!(Config::load(&o, "unused"), Err(ConfigError::Parse { .. })));
        let bad = Overrides {
            listen: Some("nowhere".into()),
            config: None,
            ..Default::default()
        };
        assert!(matches!(
            Config::load(&bad, "x"),
            Err(ConfigError::Invalid { key: "listen", .. })
        ));
    }

    #[test]
    fn hotline_settings_from_file_and_environment() {
        let none = |_: &str| -> Option<String> { None };
        let d = hotline_settings(&HotlineSection::default(), &none).unwrap();
        assert_eq!(d, tongban_app::hotline::HotlineSettings::default());
        assert_eq!(
            (d.days_for("consultation"), d.days_for("complaint"), d.emergency_hours),
            (2, 15, 4)
        );
        let file: FileConfig = toml::from_str(
            "[hotline]\nconsultation_days = 3\nemergency_hours = 2\nbbox = [29.3, 113.1, 29.6, 113.5]\n",
        )
        .unwrap();
        let h = hotline_settings(&file.hotline, &none).unwrap();
        assert_eq!(
            (h.days_for("consultation"), h.days_for("help"), h.emergency_hours),
            (3, 10, 2)
        );
        assert_eq!(h.bbox, Some([29.3, 113.1, 29.6, 113.5]));
        // The environment wins over the file.
        let env = |k: &str| match k {
            "TONGBAN_HOTLINE_CONSULTATION_DAYS" => Some("5".to_string()),
            "TONGBAN_HOTLINE_BBOX" => Some(String::new()),
            _ => None,
        };
        let h = hotline_settings(&file.hotline, &env).unwrap();
        assert_eq!((h.days_for("consultation"), h.bbox), (5, None));
        for bad in [
            "consultation_days = 0",
            "emergency_hours = -1",
            "bbox = [29.6, 113.1, 29.3, 113.5]",
            "bbox = [1.0]",
        ] {
            let file: FileConfig = toml::from_str(&format!("[hotline]\n{bad}\n")).unwrap();
            assert!(
                matches!(hotline_settings(&file.hotline, &none), Err(ConfigError::Invalid { .. })),
                "{bad}"
            );
        }
        let env = |k: &str| (k == "TONGBAN_HOTLINE_HELP_DAYS").then(|| "many".to_string());
        assert!(hotline_settings(&HotlineSection::default(), &env).is_err());
    }
}
