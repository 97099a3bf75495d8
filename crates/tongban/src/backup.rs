//! `tongban backup DIR` and `tongban restore DIR`: the database and the data directory together, since neither is
//! any use without the other — the data directory holds the signing key every e-licence and audit checkpoint was
//! signed with, the checkpoint log and the uploaded files.
//!
//! SQLite is copied with `VACUUM INTO` while the server keeps serving (one read transaction: a single point in
//! time). PostgreSQL is dumped with the server's own `pg_dump --format=custom` (also one snapshot) and restored
//! with `pg_restore` into an empty database. Every file is listed in `manifest.json` with its SHA-256, and a
//! restore checks them all before it writes anything.

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tongban_store::{Backend, Store};

const SQLITE_FILE: &str = "tongban.db";
const PG_DUMP_FILE: &str = "tongban.pgdump";
const DATA_DIR: &str = "data";
const MANIFEST: &str = "manifest.json";

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub created_at: String,
    pub tongban_version: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Every file of the backup but the manifest, relative to the backup directory, with its SHA-256.
    pub files: Vec<(String, String)>,
}

fn sha256_of(path: &Path) -> anyhow::Result<String> {
    let mut f = std::fs::File::open(path).with_context(|| format!("无法读取{}", path.display()))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(hex::encode(h.finalize()))
}

/// Every regular file under `dir`, relative to it.
fn files_under(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("无法读取目录{}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.is_file() {
                out.push(path.strip_prefix(dir)?.to_path_buf());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The SQLite database's own files, which the backup copies consistently instead of as files.
fn is_database_file(relative: &Path) -> bool {
    relative
        .to_str()
        .is_some_and(|p| p == SQLITE_FILE || p.starts_with(&format!("{SQLITE_FILE}-")))
}

/// Writes a backup of the running deployment into `dir` (which must not exist or be empty).
pub async fn backup(store: &Store, database_url: &str, data_dir: &Path, dir: &Path) -> anyhow::Result<Manifest> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!("备份目录{}不为空，请指定一个新目录", dir.display());
    }
    std::fs::create_dir_all(dir.join(DATA_DIR))?;
    let dir = dir.canonicalize()?;
    match store.backend() {
        Backend::Sqlite => store.sqlite_copy_into(&dir.join(SQLITE_FILE)).await?,
        Backend::Postgres => {
            let out = tokio::process::Command::new("pg_dump")
                .arg("--format=custom")
                .arg("--no-owner")
                .arg("--file")
                .arg(dir.join(PG_DUMP_FILE))
                .arg(database_url)
                .output()
                .await
                .context("无法运行pg_dump（PostgreSQL的备份需要服务器版本对应的pg_dump）")?;
            if !out.status.success() {
                bail!("pg_dump失败：{}", String::from_utf8_lossy(&out.stderr).trim());
            }
        }
    }
    // The data directory, after the database: a file uploaded meanwhile may be in the copy without its case,
    // never a case without its file.
    if data_dir.exists() {
        let data = data_dir.canonicalize()?;
        for relative in files_under(&data)? {
            if is_database_file(&relative) || data.join(&relative).starts_with(&dir) {
                continue;
            }
            let to = dir.join(DATA_DIR).join(&relative);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(data.join(&relative), &to).with_context(|| format!("无法复制{}", relative.display()))?;
        }
    }
    let mut files = Vec::new();
    for relative in files_under(&dir)? {
        let sum = sha256_of(&dir.join(&relative))?;
        files.push((relative.to_string_lossy().replace('\\', "/"), sum));
    }
    let manifest = Manifest {
        created_at: tongban_store::now_text(),
        tongban_version: env!("CARGO_PKG_VERSION").into(),
        backend: store.backend().name().into(),
        files,
    };
    std::fs::write(dir.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?)?;
    Ok(manifest)
}

/// Restores a backup into `data_dir` (which must hold no database and no signing key) and the database at
/// `database_url` (SQLite: the data directory's file; PostgreSQL: an empty database). Checks every file against
/// the manifest first; writes nothing if one differs.
pub async fn restore(dir: &Path, database_url: &str, data_dir: &Path) -> anyhow::Result<Manifest> {
    let manifest: Manifest = serde_json::from_slice(
        &std::fs::read(dir.join(MANIFEST))
            .with_context(|| format!("{}不是tongban备份（缺少{MANIFEST}）", dir.display()))?,
    )
    .context("备份清单无法读取")?;
    for (relative, sum) in &manifest.files {
        if relative.contains("..") {
            bail!("备份清单中的路径“{relative}”无效");
        }
        if sha256_of(&dir.join(relative))? != *sum {
            bail!("备份文件{relative}与清单不符（已损坏或被改动），未恢复任何数据");
        }
    }
    let backend = Backend::from_url(database_url)?;
    if backend.name() != manifest.backend {
        bail!("备份来自{}数据库，不能恢复到{}数据库", manifest.backend, backend.name());
    }
    for existing in [SQLITE_FILE, tongban_app::reform::SIGNING_KEY_FILE] {
        if data_dir.join(existing).exists() {
            bail!(
                "数据目录{}中已有{existing}：恢复只写入新的数据目录，以免覆盖现有数据",
                data_dir.display()
            );
        }
    }
    std::fs::create_dir_all(data_dir)?;
    for (relative, _) in &manifest.files {
        let Some(inner) = relative.strip_prefix(&format!("{DATA_DIR}/")) else {
            continue;
        };
        let to = data_dir.join(inner);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(dir.join(relative), &to)?;
    }
    match backend {
        Backend::Sqlite => {
            let target = sqlite_path(database_url).unwrap_or_else(|| data_dir.join(SQLITE_FILE));
            if target.exists() {
                bail!("数据库文件{}已存在，未覆盖", target.display());
            }
            std::fs::copy(dir.join(SQLITE_FILE), &target)?;
        }
        Backend::Postgres => {
            let out = tokio::process::Command::new("pg_restore")
                .arg("--no-owner")
                .arg("--exit-on-error")
                .arg("--dbname")
                .arg(database_url)
                .arg(dir.join(PG_DUMP_FILE))
                .output()
                .await
                .context("无法运行pg_restore")?;
            if !out.status.success() {
                bail!(
                    "pg_restore失败（目标数据库须为空库）：{}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
        }
    }
    Ok(manifest)
}

/// The file of a `sqlite://PATH?…` URL.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    Some(PathBuf::from(rest.split('?').next()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_file_is_found_in_its_url() {
        assert_eq!(
            sqlite_path("sqlite://tongban-data/tongban.db?mode=rwc"),
            Some(PathBuf::from("tongban-data/tongban.db"))
        );
        assert!(is_database_file(Path::new("tongban.db-wal")));
        assert!(!is_database_file(Path::new("files/ab/cd")));
    }
}
