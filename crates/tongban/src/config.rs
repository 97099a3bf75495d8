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
    pub secure_cookies: Option<bool>,
    pub session_hours: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: String,
    pub database_url: String,
    pub data_dir: PathBuf,
    pub region: String,
    pub secure_cookies: bool,
    pub session_hours: i64,
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
        Ok(Config {
            listen,
            database_url,
            data_dir,
            region,
            secure_cookies: file.secure_cookies.unwrap_or(false),
            session_hours,
        })
    }

    pub fn web(&self) -> tongban_web::WebConfig {
        tongban_web::WebConfig {
            default_region: self.region.clone(),
            secure_cookies: self.secure_cookies,
            session_hours: self.session_hours,
            data_dir: self.data_dir.clone(),
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
}
